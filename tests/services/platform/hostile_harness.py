"""Feeding the hostile corpus into one field of one write service, and judging what happened.

A `Target` is one field of one service: how to call the service with a value in that field (every other field
valid), how to read back what was stored, and the oracle (tests/services/platform/hostile_oracle.py) saying what
an acceptance must store. `run` feeds it values one by one; for each the service must either

- store it exactly: the value read back is the oracle's, or
- refuse it with a DomainError whose message names the field (its Chinese label), and write nothing at all: on
  SQLite nothing was committed (`PRAGMA data_version`), elsewhere the row count of every table and the version sum
  of every versioned table are as they were;

and never raise anything else. A `Form` declares a service once; each of its fields is then one line
(`FORM.field("reason", "原因", oracle.text)`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import delete, func, select, update

from db.engine import get_engine
from db.models import Base
from services.platform.errors import DomainError
from tests.services.platform import hostile_oracle as oracle

Values = Sequence[tuple[str, Any]]


@dataclass
class Tally:
    """What happened to the values fed into one target."""

    target: str
    tried: int = 0
    refused: int = 0
    stored: int = 0
    problems: list[str] = field(default_factory=list)

    def report(self) -> str:
        shown = "\n  ".join(self.problems[:40])
        more = f"\n  ... and {len(self.problems) - 40} more" if len(self.problems) > 40 else ""
        return f"{self.target}: {len(self.problems)} of {self.tried} values went wrong:\n  {shown}{more}"


@dataclass(frozen=True)
class Target:
    """One field of one write service."""

    service: str
    param: str
    label: str  # the field's name in messages
    oracle: oracle.Oracle
    call: Callable[[Any, Any, Any], Any]  # (world, context, value) -> the service's result
    read: Callable[[Any, Any, Any], Any]  # (world, context, result) -> the value stored
    prepare: Callable[[Any], Any] | None = None  # world -> a context (a fresh record to act on)
    consumes: bool = False  # an accepted value uses the context up (a state change): prepare a new one
    only: Callable[[Any], bool] | None = None  # the corpus values this field can be given (a typed parameter)
    reset: Callable[[Any, Any, Any], None] | None = None  # (world, context, result): undo an acceptance cheaply

    @property
    def name(self) -> str:
        return f"{self.service} · {self.param}"


_FINGERPRINT_SQL: dict[str, str] = {}


def fingerprint() -> tuple[int, ...]:
    """Row counts of every table and version sums of the versioned ones, in one statement (compiled once)."""
    engine = get_engine()
    sql = _FINGERPRINT_SQL.get(engine.dialect.name)
    if sql is None:
        tables = Base.metadata.sorted_tables
        parts = [select(func.count()).select_from(t).scalar_subquery() for t in tables]
        parts += [select(func.coalesce(func.sum(t.c.version), 0)).scalar_subquery()
                  for t in tables if "version" in t.c]
        sql = _FINGERPRINT_SQL[engine.dialect.name] = str(select(*parts).compile(engine, compile_kwargs={"literal_binds": True}))
    with engine.connect() as conn:
        return tuple(int(v) for v in conn.exec_driver_sql(sql).one())


class _Commits:
    """Whether anything was committed since the last look: on SQLite `PRAGMA data_version` read on a connection of
    our own (it moves when any other connection commits: exact and cheap); elsewhere the fingerprint, unless
    `counted` is False (the servers' slice: a service's transaction is the same code on every backend, and counting
    every table after each call on a server costs more than the calls)."""

    def __init__(self, counted: bool = True) -> None:
        engine = get_engine()
        self.raw = engine.raw_connection() if engine.dialect.name == "sqlite" else None
        self.counted = counted

    def mark(self) -> Any:
        if self.raw is None:
            return fingerprint() if self.counted else None
        cursor = self.raw.cursor()
        cursor.execute("PRAGMA data_version")
        value = cursor.fetchone()[0]
        cursor.close()
        return value

    def close(self) -> None:
        if self.raw is not None:
            self.raw.close()


def run(target: Target, world: Any, values: Values, *, counted: bool = True) -> Tally:
    commits = _Commits(counted)
    try:
        return _run(target, world, values, commits)
    finally:
        commits.close()


def _run(target: Target, world: Any, values: Values, commits: _Commits) -> Tally:
    tally = Tally(target.name)
    context = None
    fingerprint = commits.mark
    before = fingerprint()
    # a choice field is also given two of its options, bare and padded, so that storing one is tried too
    options = [o for o in getattr(target.oracle, "options", ()) if o][:2]
    values = [*values, *((f"option {o}", o) for o in options), *((f"padded option {o}", f" {o} ") for o in options)]
    for name, value in values:
        if target.only is not None and not target.only(value):
            continue
        if context is None and target.prepare is not None:
            context = target.prepare(world)
            before = fingerprint()
        tally.tried += 1
        try:
            result = target.call(world, context, value)
        except DomainError as exc:
            tally.refused += 1
            if target.label not in exc.message:
                tally.problems.append(f"{name}: refused without naming {target.label}: {exc.message[:160]}")
            after = fingerprint()
            if after != before:
                tally.problems.append(f"{name}: refused after a partial write ({exc.message[:80]})")
            before = after
            continue
        except Exception as exc:
            tally.problems.append(f"{name}: {type(exc).__name__}: {str(exc)[:160]}")
            after = fingerprint()
            if after != before:
                tally.problems.append(f"{name}: partial write before {type(exc).__name__}")
            before = after
            continue
        before = fingerprint()
        tally.stored += 1
        stored = target.read(world, context, result)
        try:
            expected = target.oracle(value)
        except oracle.Refuse as why:
            tally.problems.append(f"{name}: accepted ({why}) and stored {stored!r:.80}")
        else:
            if not oracle.same(stored, expected):
                tally.problems.append(f"{name}: stored {stored!r:.80}, expected {expected!r:.80}")
        if target.consumes:
            context = None
        elif target.reset is not None:
            target.reset(world, context, result)
            before = fingerprint()
    return tally


# --- declaring services --------------------------------------------------------------------------------------


def _fits(model: type, column: str, value: Any) -> Any:
    """The value, or a note that it is longer than its column: SQLite keeps any length, the servers refuse it, so
    the full corpus on SQLite finds every text a service accepts that PostgreSQL and MariaDB would not store."""
    limit = getattr(model.__table__.c[column].type, "length", None)  # type: ignore[attr-defined]
    if isinstance(value, str) and limit is not None and len(value) > limit:
        return f"<{len(value)} characters: longer than the column's {limit}>"
    return value


# The readers and resets below run once or twice for every value tried, so they use a bare connection: half the
# CPU of an ORM session each, about 6% of the SQLite corpus run. Column types still convert (cents to Decimal...).


def newest(model: type) -> Callable[[Any, Any, Any, str], Any]:
    """Read a column of the newest row of `model`."""

    def read(_world: Any, _context: Any, _result: Any, column: str) -> Any:
        with get_engine().connect() as s:
            value = s.scalar(select(getattr(model, column)).order_by(model.id.desc()).limit(1))  # type: ignore[attr-defined]
        return _fits(model, column, value)

    return read


def row_of(model: type, key: Callable[[Any, Any, Any], int]) -> Callable[[Any, Any, Any, str], Any]:
    """Read a column of the row of `model` whose id `key(world, context, result)` gives."""

    def read(world: Any, context: Any, result: Any, column: str) -> Any:
        with get_engine().connect() as s:
            value = s.scalar(select(getattr(model, column)).where(model.id == key(world, context, result)))  # type: ignore[attr-defined]
        return _fits(model, column, value)

    return read


def delete_result(model: type) -> Callable[[Any, Any, Any], None]:
    """Undo an acceptance by deleting the row the service created (its id is the service's result)."""

    def reset(_world: Any, _context: Any, result: Any) -> None:
        with get_engine().begin() as conn:
            conn.execute(delete(model).where(model.id == result))  # type: ignore[attr-defined]

    return reset


def set_context(model: type, **values: Any) -> Callable[[Any, Any, Any], None]:
    """Undo an acceptance by putting columns of the context's row back (a state the service moved on)."""

    def reset(_world: Any, context: Any, _result: Any) -> None:
        with get_engine().begin() as conn:
            conn.execute(update(model).where(model.id == context).values(**values))  # type: ignore[attr-defined]

    return reset


def version_of(model: type, row_id: int) -> int:
    with get_engine().connect() as conn:
        return int(conn.scalar(select(model.version).where(model.id == row_id)))  # type: ignore[attr-defined]


@dataclass(frozen=True)
class Form:
    """One write service: `call(world, context, **{param: value})` with every other field valid."""

    service: str
    call: Callable[..., Any]
    read: Callable[[Any, Any, Any, str], Any]
    prepare: Callable[[Any], Any] | None = None
    consumes: bool = False
    reset: Callable[[Any, Any, Any], None] | None = None

    def field(self, param: str, label: str, kind: oracle.Oracle, *, column: str | None = None,
              only: Callable[[Any], bool] | None = None, read: Callable[[Any, Any, Any, str], Any] | None = None
              ) -> Target:
        reader = read or self.read
        col = column or param
        return Target(
            service=self.service, param=param, label=label, oracle=kind,
            call=lambda w, c, v: self.call(w, c, **{param: v}),
            read=lambda w, c, r: reader(w, c, r, col),
            prepare=self.prepare, consumes=self.consumes, only=only, reset=self.reset,
        )


def with_fields(obj: Any, **changes: Any) -> Any:
    """A frozen dataclass with some fields replaced (a service's request object)."""
    return dataclasses.replace(obj, **changes)
