"""Time elapsed between two timestamp columns, in SQL, the same on SQLite, PostgreSQL and MariaDB.

Datetime arithmetic is not portable (SQLite has no timestamp type at all), so a figure that asks "within 24
hours of" reads `microseconds_between(start, end) <= 24 * 3600 * 10**6` and this module renders it per
dialect. Invariants: the result is an exact integer count of microseconds, `end - start` (negative when `end`
is earlier), NULL when either side is NULL; the columns are UTCDateTime (db/types.py: naive UTC, which on
SQLite is SQLAlchemy's text form "YYYY-MM-DD HH:MM:SS.ffffff", a shorter fraction or none also read right).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger
from sqlalchemy.exc import CompileError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

MICROSECONDS_PER_SECOND = 1_000_000


class microseconds_between(FunctionElement[int]):  # lower case: it reads as a SQL function
    """`end - start` in whole microseconds (BIGINT): microseconds_between(Ticket.received_at, Ticket.handled_at)."""

    type = BigInteger()
    name = "microseconds_between"
    inherit_cache = True


def _sides(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> tuple[str, str]:
    start, end = element.clauses
    return compiler.process(start, **kw), compiler.process(end, **kw)


@compiles(microseconds_between)
def _unsupported(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> str:  # noqa: ARG001
    raise CompileError(f"microseconds_between is not defined for {compiler.dialect.name}")


@compiles(microseconds_between, "sqlite")
def _sqlite(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    # whole seconds from the first 19 characters (strftime would round a fraction to milliseconds), the fraction
    # from the digits after the point, padded so that ".5" reads 500000 and no fraction reads 0
    start, end = _sides(element, compiler, **kw)

    def seconds(x: str) -> str:
        return f"CAST(strftime('%s', substr({x}, 1, 19)) AS INTEGER)"

    def micros(x: str) -> str:
        return f"CAST(substr({x} || '000000', 21, 6) AS INTEGER)"

    return f"(({seconds(end)} - {seconds(start)}) * {MICROSECONDS_PER_SECOND} + ({micros(end)} - {micros(start)}))"


@compiles(microseconds_between, "postgresql")
def _postgresql(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _sides(element, compiler, **kw)
    # EXTRACT(EPOCH FROM interval) is numeric (exact) since PostgreSQL 14, double before: ROUND covers both
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * {MICROSECONDS_PER_SECOND}) AS BIGINT)"


@compiles(microseconds_between, "mysql")
@compiles(microseconds_between, "mariadb")
def _mariadb(element: microseconds_between, compiler: SQLCompiler, **kw: Any) -> str:
    start, end = _sides(element, compiler, **kw)
    return f"TIMESTAMPDIFF(MICROSECOND, {start}, {end})"
