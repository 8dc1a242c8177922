"""Bulk writing for the large demo: plain Core INSERTs of lists of dicts, in chunks, with no ORM object per row.

Decisions (for a builder of millions of rows, not a rule of the product):
- rows go to the driver's executemany as tuples, through a "raw" copy of a model's table whose fixed-point columns are plain integers (money in
  cents, rates in ten-thousandths: exactly what db.types stores) and whose timestamps are naive UTC (what
  UTCDateTime stores): the values are prepared once, in bulk, without a TypeDecorator call per value;
- the builder gives the primary keys of the rows other rows point at (bills, payments, tickets), so a payment can
  name its bills before they are read back; `fix_sequences` then moves PostgreSQL's sequences past them (SQLite and
  MariaDB follow the largest id by themselves).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from itertools import islice
from typing import Any, cast

from sqlalchemy import BigInteger, Column, Date, DateTime, MetaData, Table, func, select, text
from sqlalchemy.orm import Session

from db.engine import get_engine
from db.models import Base
from db.types import Hundredths, Rate, UTCDateTime
from services.platform.clock import SHANGHAI

CHUNK = 5000
SQLITE_CACHE_KIB = 256 * 1024
_RAW = MetaData()
_UTC_OFFSET = timedelta(hours=8)  # Asia/Shanghai keeps no summer time


def raw_table(name: str) -> Table:
    """The table `name` with integer fixed-point columns and naive-UTC timestamps (see the module docstring)."""
    if name in _RAW.tables:
        return _RAW.tables[name]
    model = Base.metadata.tables[name]
    columns = []
    for c in model.columns:
        kind: Any = c.type
        if isinstance(kind, Hundredths | Rate):
            kind = BigInteger()
        elif isinstance(kind, UTCDateTime):
            kind = DateTime()
        columns.append(Column(c.name, kind, primary_key=c.primary_key))
    return Table(name, _RAW, *columns)


def write(session: Session, name: str, rows: Iterable[dict[str, Any]] | Iterable[tuple[Any, ...]],
          columns: Sequence[str] | None = None, chunk: int = CHUNK) -> int:
    """INSERT `rows` into table `name` in chunks, inside the caller's transaction; returns how many. Rows are dicts
    with the same keys in the same order, or tuples in the order of `columns`. The driver's executemany gets plain
    tuples: no per-row work in SQLAlchemy."""
    table = raw_table(name)
    conn = session.connection()
    dialect = conn.dialect
    it = iter(rows)
    batch: list[Any] = list(islice(it, chunk))
    if not batch:
        return 0
    as_dicts = columns is None
    names = list(batch[0]) if as_dicts else list(columns or ())
    if dialect.name == "sqlite":  # the indexes of a million-row table stay in memory while it is written
        conn.exec_driver_sql(f"PRAGMA cache_size = -{SQLITE_CACHE_KIB}")
    quote = dialect.identifier_preparer.quote
    mark = "?" if dialect.paramstyle == "qmark" else "%s"
    sql = (f"INSERT INTO {quote(name)} ({', '.join(quote(c) for c in names)}) "
           f"VALUES ({', '.join([mark] * len(names))})")
    convert = [(i, f) for i, c in enumerate(names) if (f := _converter(table.c[c].type, dialect.name))]
    count = 0
    while batch:
        values: list[Any] = [tuple(row.values()) for row in batch] if as_dicts else batch
        if convert:
            for n, row in enumerate(values):
                v = list(row)
                for i, f in convert:
                    if v[i] is not None:
                        v[i] = f(v[i])
                values[n] = tuple(v)
        conn.exec_driver_sql(sql, values)
        count += len(batch)
        batch = list(islice(it, chunk))
    return count


def _converter(kind: Any, dialect: str) -> Callable[[Any], Any] | None:
    """How a value of a column goes to the driver: SQLite gets dates and timestamps as the text SQLAlchemy's SQLite
    types write ('2026-12-01', '2026-12-01 08:30:00.000000'); the other drivers take them as they are."""
    if dialect != "sqlite":
        return None
    if isinstance(kind, DateTime):
        return lambda v: v.isoformat(" ", "microseconds")
    if isinstance(kind, Date):
        return lambda v: v.isoformat()
    return None


def next_id(session: Session, name: str) -> int:
    """The first free primary key of table `name` (ids given by the builder start here)."""
    table = Base.metadata.tables[name]
    return cast(int, session.scalar(select(func.coalesce(func.max(table.c.id), 0)))) + 1


def fix_sequences(session: Session, names: Iterable[str]) -> None:
    """After rows were written with given ids: move PostgreSQL's id sequences past the largest id."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for name in names:
        session.execute(text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                             f"(SELECT COALESCE(MAX(id), 0) + 1 FROM {name}), false)"))


def refresh_statistics() -> None:
    """After a bulk load: give the server's planner the tables as they now are. PostgreSQL plans from statistics
    that autovacuum refreshes in the background (and only a VACUUM lets an index be read without the table); until
    it runs, a freshly loaded million-row table looks empty and arrears lists take 0.8 s instead of 0.3 s. MariaDB
    samples on its own but is told too. SQLite keeps no statistics unless ANALYZE was run once, after which they
    would have to be kept up by hand: it is left to plan from the schema, as on every other SQLite database."""
    engine = get_engine()
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    elif engine.dialect.name in ("mysql", "mariadb"):
        with engine.connect() as conn:
            conn.exec_driver_sql("ANALYZE TABLE " + ", ".join(f"`{name}`" for name in Base.metadata.tables))


def utc(local: datetime) -> datetime:
    """A naive Asia/Shanghai wall-clock time (or an aware one) as the naive UTC value the database stores."""
    if local.tzinfo is SHANGHAI:
        return local.replace(tzinfo=None) - _UTC_OFFSET
    if local.tzinfo is not None:
        return local.astimezone(UTC).replace(tzinfo=None)
    return local - _UTC_OFFSET


_JSON = json.JSONEncoder(ensure_ascii=False, sort_keys=True)


def dump(values: dict[str, Any] | None) -> str | None:
    """An audit row's before/after as services.platform.audit writes it (values already money/date strings)."""
    return None if values is None else _JSON.encode(values)


def yuan(cents: int) -> str:
    """Cents as the audit trail writes money: '1234.50'."""
    sign, cents = ("-", -cents) if cents < 0 else ("", cents)
    return f"{sign}{cents // 100}.{cents % 100:02d}"


AUDIT_COLUMNS = ("at", "actor_user_id", "actor_username", "action", "entity", "entity_id", "before_json", "after_json")


def audit_row(at: datetime, user_id: int | None, username: str, action: str, entity: str, entity_id: object,
              before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """One audit_log row as services.platform.audit.record writes it, at a given (naive UTC) moment."""
    return {"at": at, "actor_user_id": user_id, "actor_username": username, "action": action, "entity": entity,
            "entity_id": str(entity_id), "before_json": dump(before), "after_json": dump(after)}


def quoted(text: str) -> str:
    """A JSON string as json.dumps(ensure_ascii=False) writes it (for audit rows formatted by hand)."""
    if '"' in text or "\\" in text or any(ord(ch) < 32 for ch in text):
        return json.dumps(text, ensure_ascii=False)
    return f'"{text}"'
