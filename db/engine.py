"""Engine and transactions.

Invariants:
- `DATABASE_URL` picks the backend; the default is the embedded SQLite file
  `data/propdesk.db` (WAL, foreign keys on, busy timeout);
- a write transaction on SQLite starts with BEGIN IMMEDIATE, so two writers queue
  on the busy timeout instead of failing half-way when one upgrades a read lock;
- `unit_of_work()` rolls back unless `commit()` was called; nothing else commits.

The engine registry below holds connection pools, never records, so several
Streamlit processes behind a proxy behave like one.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TypeVar

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.orm import Session
from sqlalchemy.pool import ConnectionPoolEntry

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_URL = f"sqlite:///{PROJECT_ROOT / 'data' / 'propdesk.db'}"
SQLITE_BUSY_TIMEOUT_MS = 10_000
IN_LIST_SIZE = 900  # values bound in one IN (...): under the 999 variables of older SQLite builds
_T = TypeVar("_T")


def in_chunks(items: Sequence[_T], size: int = IN_LIST_SIZE) -> Iterator[Sequence[_T]]:
    """`items` in slices small enough for one IN (...) list each."""
    for i in range(0, len(items), size):
        yield items[i:i + size]

_engines: dict[str, Engine] = {}
# Streamlit runs each session's script in its own thread: without the lock, sessions arriving together after a
# restart each built an engine (20 threads: 20 engines) and all but one leaked their pooled connections.
_engines_lock = threading.Lock()


def database_url() -> str:
    return os.environ.get("DATABASE_URL") or DEFAULT_URL


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000})

        @event.listens_for(engine, "connect")
        def _sqlite_on_connect(dbapi_conn: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
            # Take transaction control from pysqlite so BEGIN is ours to emit.
            dbapi_conn.isolation_level = None
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_on_begin(conn: Connection) -> None:
            immediate = conn.get_execution_options().get("propdesk_write", False)
            conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

        return engine
    if url.startswith("postgresql"):
        # PostgreSQL's JIT compiles any statement its planner costs high, such as a 12-month figure with a CASE per
        # month: 3.1 of the 3.2 s of the ticket trend at 20,000 units went to compiling, 0.05 s to running it.
        # Short reporting queries never win that back, so the console's sessions turn it off.
        return create_engine(url, pool_pre_ping=True, pool_recycle=3600, connect_args={"options": "-c jit=off"})
    return create_engine(url, pool_pre_ping=True, pool_recycle=3600)


def get_engine(url: str | None = None) -> Engine:
    url = url or database_url()
    engine = _engines.get(url)
    if engine is None:
        with _engines_lock:
            engine = _engines.get(url)
            if engine is None:
                engine = _engines[url] = _make_engine(url)
    return engine


def dispose_all() -> None:
    with _engines_lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


class UnitOfWork:
    def __init__(self, session: Session):
        self.session = session
        self._committed = False

    def commit(self) -> None:
        self.session.commit()
        self._committed = True


@contextmanager
def unit_of_work() -> Iterator[UnitOfWork]:
    """A write transaction: commit() or everything is rolled back."""
    engine = get_engine().execution_options(propdesk_write=True)
    session = Session(engine, expire_on_commit=False, autoflush=True)
    uow = UnitOfWork(session)
    try:
        yield uow
    finally:
        if not uow._committed:
            session.rollback()
        session.close()


@contextmanager
def read_session() -> Iterator[Session]:
    """A read-only transaction (never committed)."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
    finally:
        session.rollback()
        session.close()
