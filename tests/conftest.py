"""Database fixtures: every service test runs on SQLite, and on PostgreSQL and MariaDB when reachable.

`PROPDESK_REQUIRE_DBS=1` (set by .ci/run) turns an unreachable server into a failure
instead of a skip. Each backend gets one database per test session (per worker), migrated
once with Alembic on first use; each test starts from empty tables.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from db import migrate
from db.engine import dispose_all, get_engine
from db.models import Base
from services.appraisal.posts import seed_posts

PG_ADMIN_URL = os.environ.get("PROPDESK_TEST_PG", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
MARIADB_ADMIN_URL = os.environ.get("PROPDESK_TEST_MARIADB", "mysql+pymysql://root@127.0.0.1:3306/mysql")
REQUIRE_DBS = os.environ.get("PROPDESK_REQUIRE_DBS") == "1"
CHECK_DBS = os.environ.get("PROPDESK_CHECK_DBS") == "1"  # every `db` test's database must pass `propdesk check`
BACKENDS = ["sqlite", "postgresql", "mariadb"]


@contextmanager
def _server_database(admin_url: str, backend: str) -> Iterator[str]:
    name = f"propdesk_test_{uuid.uuid4().hex[:10]}"
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\''))
            else:
                conn.execute(text(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci"))
    except Exception as exc:
        if REQUIRE_DBS:
            pytest.fail(f"{backend} is required (PROPDESK_REQUIRE_DBS=1) but unreachable: {exc}")
        pytest.skip(f"{backend} unreachable: {exc}")
    url = make_url(admin_url).set(database=name)
    if backend == "mariadb":
        url = url.update_query_dict({"charset": "utf8mb4"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        dispose_all()
        with admin.connect() as conn:
            if backend == "postgresql":
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            else:
                conn.execute(text(f"DROP DATABASE IF EXISTS `{name}`"))
        admin.dispose()


@pytest.fixture(scope="session")
def _migrated_databases(tmp_path_factory) -> Iterator[Callable[[str], str]]:
    """Each backend's database, created and migrated on first use and kept for the worker's whole session.

    A session-scoped parametrized fixture would not do: pytest keeps one parameter's instance alive at a time, so
    every test file that ran sqlite, postgresql, mariadb in turn dropped and re-migrated the server databases (a
    fifth of the suite's time went to it)."""
    made: dict[str, str] = {}
    with ExitStack() as stack:
        def database(backend: str) -> str:
            if backend not in made:
                if backend == "sqlite":
                    url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
                else:
                    admin = PG_ADMIN_URL if backend == "postgresql" else MARIADB_ADMIN_URL
                    url = stack.enter_context(_server_database(admin, backend))
                migrate.upgrade(url)
                made[backend] = url
            return made[backend]

        yield database


@pytest.fixture(params=BACKENDS)
def backend_url(request, _migrated_databases) -> str:
    """A migrated database on each backend (its tables are emptied by `db`)."""
    return _migrated_databases(request.param)


def _truncate(url: str) -> None:
    engine = get_engine(url)
    with engine.begin() as conn:
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=0"))
        for table in reversed(Base.metadata.sorted_tables):
            conn.execute(table.delete())
        if engine.dialect.name == "mysql":
            conn.execute(text("SET FOREIGN_KEY_CHECKS=1"))
    # an empty migrated database holds the posts the migration seeds
    with Session(engine) as session:
        seed_posts(session)
        session.commit()


@pytest.fixture
def db(backend_url, monkeypatch) -> Iterator[str]:
    """Point the services at an empty migrated database; yields its URL. With PROPDESK_CHECK_DBS=1 the database
    must pass `propdesk check` when the test ends (what the test left, built through the services)."""
    monkeypatch.setenv("DATABASE_URL", backend_url)
    _truncate(backend_url)
    yield backend_url
    if CHECK_DBS:
        from services.admin import integrity

        report = integrity.check(backend_url)
        if not report.ok:
            pytest.fail("propdesk check: " + "; ".join(f.message for f in report.broken), pytrace=False)


@pytest.fixture
def sqlite_db(tmp_path, monkeypatch) -> str:
    """A fresh migrated SQLite database only (for tests that need no other backend)."""
    url = f"sqlite:///{tmp_path / 'propdesk.db'}"
    migrate.upgrade(url)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    get_engine(url).dispose()
