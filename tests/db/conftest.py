"""Databases migrated to an old revision, for the tests of a data migration, on each backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from alembic import command
from sqlalchemy import text

from db import migrate
from db.engine import get_engine
from tests.conftest import MARIADB_ADMIN_URL, PG_ADMIN_URL, _server_database


def at_revision(backend: str, tmp_path: Path, revision: str) -> Iterator[str]:
    """The URL of a fresh database of `backend` (sqlite, postgresql, mariadb) upgraded to `revision` only: a
    fixture's body (`yield from`)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'old.db'}"
        command.upgrade(migrate.alembic_config(url), revision)
        yield url
        get_engine(url).dispose()
        return
    admin = PG_ADMIN_URL if backend == "postgresql" else MARIADB_ADMIN_URL
    with _server_database(admin, backend) as url:
        command.upgrade(migrate.alembic_config(url), revision)
        yield url


def rows(url: str, sql: str) -> list[tuple]:
    with get_engine(url).connect() as conn:
        return [tuple(r) for r in conn.execute(text(sql))]
