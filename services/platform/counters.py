"""Counters behind the numbers people cite (工单号, 收据号): unique and without gaps.

Invariant: a counter advances inside the caller's transaction and its row stays locked until that
transaction ends, so a rolled-back document gives its number back and two desks never share one.
"""

from __future__ import annotations

from typing import cast

from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.dialects.mysql import insert as mysql_insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from db.models import Counter


def advance(session: Session, name: str, by: int = 1) -> int:
    """Create-or-advance the counter `name` by `by` in one statement (row-locked until commit); return its new value.

    One upsert instead of INSERT-then-SELECT ... FOR UPDATE: on MariaDB a failed INSERT of the existing row
    leaves a shared lock, and two desks holding it deadlock when both ask for the row lock.
    """
    dialect = session.get_bind().dialect.name
    stmt: mysql.Insert | postgresql.Insert | sqlite.Insert
    if dialect in ("mysql", "mariadb"):
        stmt = mysql_insert(Counter).values(name=name, value=by)
        stmt = stmt.on_duplicate_key_update(value=Counter.value + by)
    else:
        upsert = pg_insert if dialect == "postgresql" else sqlite_insert
        stmt = upsert(Counter).values(name=name, value=by)
        stmt = stmt.on_conflict_do_update(index_elements=[Counter.name], set_={"value": Counter.value + by})
    session.execute(stmt)
    # the upsert above made sure the row exists, so this is never None
    return cast(int, session.scalar(select(Counter.value).where(Counter.name == name)))
