"""Alembic, driven from code: one schema history for SQLite, PostgreSQL and MariaDB."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import cast

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from db.engine import database_url, get_engine

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def alembic_config(url: str | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["url"] = url or database_url()
    return cfg


def upgrade(url: str | None = None) -> None:
    command.upgrade(alembic_config(url), "head")


@cache
def head_revision() -> str:
    """The code's head revision. Kept for the process: reading it loads every migration file (about 20 ms), and
    the console asks on every rerun of every page."""
    # db/migrations/versions always holds a single head revision, so this is never None
    return cast(str, ScriptDirectory.from_config(alembic_config()).get_current_head())


def current_revision(url: str | None = None) -> str | None:
    with get_engine(url).connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def is_up_to_date(url: str | None = None) -> bool:
    return current_revision(url) == head_revision()
