"""One schema history for every backend; the engine's SQLite settings and transaction rules."""

from __future__ import annotations

import sqlite3

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, select, text
from sqlalchemy.exc import IntegrityError

from db import migrate
from db.engine import get_engine, read_session, unit_of_work
from db.models import Base, Estate, Unit
from services.admin import system


def test_each_backend_is_at_head_after_upgrade(db):
    assert migrate.current_revision(db) == migrate.head_revision()
    assert migrate.is_up_to_date(db) is True
    assert system.schema_status().ok is True


def test_upgrading_an_up_to_date_database_changes_nothing(db):
    with unit_of_work() as uow:
        uow.session.add(Estate(code="K", name="保留"))
        uow.commit()
    migrate.upgrade(db)
    assert migrate.is_up_to_date(db)
    with read_session() as s:
        assert s.scalars(select(Estate.name)).all() == ["保留"]


def test_migrations_create_exactly_what_the_models_declare(db):
    with get_engine(db).connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(ctx, Base.metadata)
    assert diffs == []


def test_every_model_table_exists_with_a_version_column_where_edited(db):
    insp = inspect(get_engine(db))
    tables = set(insp.get_table_names())
    assert {t.name for t in Base.metadata.sorted_tables} <= tables
    for name in ("estates", "buildings", "departments", "staff", "users", "units", "people", "unit_people"):
        assert "version" in {c["name"] for c in insp.get_columns(name)}, name


def test_sqlite_schema_downgrades_to_nothing_and_upgrades_again(tmp_path):
    url = f"sqlite:///{tmp_path / 'roundtrip.db'}"
    migrate.upgrade(url)
    command.downgrade(migrate.alembic_config(url), "base")
    assert migrate.current_revision(url) is None
    assert set(inspect(get_engine(url)).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(url)
    assert migrate.is_up_to_date(url)
    get_engine(url).dispose()


def test_schema_status_on_an_empty_sqlite_file_names_propdesk_init(tmp_path, monkeypatch):
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    status = system.schema_status()
    assert status.ok is False
    assert "propdesk init" in status.message
    assert "尚未初始化" in status.message
    get_engine(url).dispose()


def test_schema_status_on_an_old_revision_says_it_is_behind(tmp_path, monkeypatch):
    path = tmp_path / "old.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
        conn.execute("INSERT INTO alembic_version VALUES ('0000')")
    url = f"sqlite:///{path}"
    monkeypatch.setenv("DATABASE_URL", url)
    status = system.schema_status()
    assert status.ok is False
    assert "0000" in status.message and migrate.head_revision() in status.message
    assert "propdesk init" in status.message
    get_engine(url).dispose()


def test_schema_status_on_an_unreachable_server_says_so_in_words(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")
    status = system.schema_status()
    assert status.ok is False
    assert status.message.startswith("无法连接数据库")
    assert "DATABASE_URL" in status.message


# --- engine ------------------------------------------------------------------------------------


def test_sqlite_runs_with_wal_foreign_keys_and_busy_timeout(sqlite_db):
    with get_engine(sqlite_db).connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar_one() == "wal"
        assert conn.execute(text("PRAGMA foreign_keys")).scalar_one() == 1
        assert conn.execute(text("PRAGMA busy_timeout")).scalar_one() == 10_000


def test_foreign_keys_are_enforced(db):
    with pytest.raises(IntegrityError), unit_of_work() as uow:
        uow.session.add(Unit(estate_id=999_999, building_id=999_999, unit_no="1", room_no="101", kind="住宅",
                             status="空置"))
        uow.session.flush()


def test_unit_of_work_without_commit_rolls_back(db):
    with unit_of_work() as uow:
        uow.session.add(Estate(code="X", name="未提交"))
        uow.session.flush()
    with unit_of_work() as uow:
        uow.session.add(Estate(code="Y", name="出错"))
        uow.session.flush()
        with pytest.raises(ZeroDivisionError):
            raise ZeroDivisionError
    with read_session() as s:
        assert s.scalars(select(Estate)).all() == []


def test_a_sqlite_write_transaction_holds_the_write_lock_from_its_first_statement(sqlite_db):
    path = sqlite_db.split("///", 1)[1]
    with unit_of_work() as uow:
        uow.session.execute(select(Estate.id)).all()  # a read, but inside a write transaction
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            with pytest.raises(sqlite3.OperationalError, match="locked"):
                other.execute("BEGIN IMMEDIATE")
        finally:
            other.close()


def test_read_sessions_do_not_take_the_write_lock(sqlite_db):
    path = sqlite_db.split("///", 1)[1]
    with read_session() as s:
        s.execute(select(Estate.id)).all()
        other = sqlite3.connect(path, timeout=0.05, isolation_level=None)
        try:
            other.execute("BEGIN IMMEDIATE")
            other.execute("ROLLBACK")
        finally:
            other.close()
