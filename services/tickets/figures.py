"""The ticket figures of KPI.md (报修及时率, 回访率, 满意率, 投诉处理率, ...), defined once, counted in SQL.

Read them through services.kpi, which names this module. Invariants: a period is a calendar month in
Asia/Shanghai; `as_of` is the moment the figure is taken (default: now); cancelled tickets never count.

Each figure is declared once (`_definitions`) as SQL conditions over a ticket or a revisit: which rows form its
denominator and which of those count in its numerator, with the month's start and end and `as_of` as bound
parameters. Everything else is built from those declarations: the counts of one scope (`ticket_kpis`), of every
group at once with SUM(CASE ...) GROUP BY (`ticket_kpis_by`, `ticket_counts_by`), of several months at once (one
UNION ALL branch per month, `ticket_kpis_months`) and the rows behind a figure (`ticket_kpi_evidence`), so their
values cannot diverge. Counting reads two statements (over tickets, over revisits) whatever the number of groups
or months; the statements are built once per shape (months, grouping, scope kind) and reused with new parameters.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

import pandas as pd
from sqlalchemy import (
    BindParameter,
    ColumnElement,
    Select,
    and_,
    bindparam,
    case,
    exists,
    func,
    literal_column,
    or_,
    select,
    union_all,
)
from sqlalchemy.orm import InstrumentedAttribute, aliased
from sqlalchemy.sql.selectable import CompoundSelect

from db.elapsed import microseconds_between
from db.engine import read_session
from db.models import Revisit, Ticket
from db.types import UTCDateTime, utcnow
from services.platform.period import Period
from services.platform.rates import rate
from services.tickets.statuses import TicketStatus

COMPLAINT_HANDLING = timedelta(hours=24)
SATISFIED = ("满意", "基本满意")
CANCELLED = TicketStatus.CANCELLED
REPAIR, COMPLAINT = "报修", "投诉"
EFFECTIVE = "有效"

# Targets managers read the month against (seed rules: 回访率 and 投诉处理率 100%); direction "min" means
# the figure should reach the target, "max" that it should stay at or below it.
TICKET_TARGETS: dict[str, tuple[Decimal, str]] = {
    "repair_timeliness": (Decimal("0.95"), "min"),
    "repair_completion": (Decimal("0.98"), "min"),
    "complaint_timely_rate": (Decimal("1"), "min"),
    "complaint_handled_rate": (Decimal("1"), "min"),
    "revisit_rate": (Decimal("1"), "min"),
    "revisit_timely_rate": (Decimal("0.95"), "min"),
    "satisfaction": (Decimal("0.90"), "min"),
    "effective_complaint_rate": (Decimal("0.05"), "max"),
}
TICKET_KPI_LABELS = {
    "repair_timeliness": "报修及时率", "repair_completion": "报修完成率", "complaint_timely_rate": "投诉处理及时率",
    "complaint_handled_rate": "投诉处理率", "revisit_rate": "回访率", "revisit_timely_rate": "回访及时率",
    "satisfaction": "满意率", "effective_complaints": "有效投诉", "effective_complaint_rate": "有效投诉率",
}

TICKET_KPI_KEYS = (
    "repair_timeliness", "repair_completion", "complaint_timely_rate", "complaint_handled_rate",
    "revisit_rate", "revisit_timely_rate", "satisfaction", "effective_complaints", "effective_complaint_rate",
)
# the figures counted as numerator / denominator; 有效投诉 is the numerator of 有效投诉率
_COUNTED = tuple(k for k in TICKET_KPI_KEYS if k != "effective_complaints")

# the groups ticket_kpis_by counts at once: 处理人 and 首问责任人 (user accounts), 责任人 of a ruling (staff), 小区
TICKET_GROUPS = ("assignee", "first_responder", "ruling_staff", "estate")
GroupKey = int | None
Figures = dict[str, Decimal | int | None]


@dataclass(frozen=True)
class TicketScope:
    """Whose tickets a figure looks at: all, or one person's (for the appraisal of staff).

    `assignee_ids`: tickets handled by these user accounts (处理人); `first_responder_ids`: tickets these
    accounts took (首问责任人); `ruling_staff_id`: complaints ruled naming this staff member as responsible.
    Revisits belong to their ticket. Empty id tuples mean "nobody's", not "everybody's". `estate_ids`: the tickets
    of these estates only (a reader's estate scope, Actor.estate_ids; None: every estate).
    """

    assignee_ids: tuple[int, ...] | None = None
    first_responder_ids: tuple[int, ...] | None = None
    ruling_staff_id: int | None = None
    estate_ids: frozenset[int] | None = None

    def where(self) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.assignee_ids is not None:
            conditions.append(Ticket.assignee_id.in_(list(self.assignee_ids)))
        if self.first_responder_ids is not None:
            conditions.append(Ticket.first_responder_id.in_(list(self.first_responder_ids)))
        if self.ruling_staff_id is not None:
            conditions.append(Ticket.ruling_staff_id == self.ruling_staff_id)
        if self.estate_ids is not None:
            conditions.append(Ticket.estate_id.in_(sorted(self.estate_ids)))
        return conditions


@dataclass(frozen=True)
class Figure:
    """One figure of KPI.md in SQL: over tickets or revisits, which rows are its denominator, which of those count."""

    subject: Literal["ticket", "revisit"]
    denominator: ColumnElement[bool]
    numerator: ColumnElement[bool]


@dataclass(frozen=True)
class _Moments:
    """The bound parameters of one month's figures: the month's [start, end) and the moment they are taken."""

    start: BindParameter[datetime]
    end: BindParameter[datetime]
    as_of: BindParameter[datetime]

    @staticmethod
    def of(n: int) -> _Moments:
        return _Moments(*(bindparam(f"{name}{n}", type_=UTCDateTime()) for name in ("start", "end", "as_of")))

    def values(self, period: Period, as_of: datetime) -> dict[str, datetime]:
        return {self.start.key: period.start, self.end.key: period.end, self.as_of.key: as_of}


Column = InstrumentedAttribute[datetime] | InstrumentedAttribute[datetime | None]


def _definitions(m: _Moments) -> dict[str, Figure]:
    """key -> Figure, exactly as KPI.md says, for the month [m.start, m.end) taken at m.as_of (有效投诉 is the
    numerator of 有效投诉率). Conditions on Revisit are for the revisit subject; a ticket's revisits are read
    through an EXISTS of their own."""

    def within(column: Column) -> ColumnElement[bool]:
        return and_(column >= m.start, column < m.end)

    def by(column: InstrumentedAttribute[datetime | None]) -> ColumnElement[bool]:
        return and_(column.is_not(None), column <= m.as_of)

    repair = Ticket.ticket_type == REPAIR
    completed_in_p = and_(within(Ticket.completed_at), by(Ticket.completed_at))
    complaint_in_p = and_(Ticket.ticket_type == COMPLAINT, within(Ticket.received_at))
    handling = microseconds_between(Ticket.received_at, Ticket.handled_at) <= COMPLAINT_HANDLING // timedelta(
        microseconds=1)
    done = aliased(Revisit)
    revisited = exists().where(done.ticket_id == Ticket.id, done.done_at.is_not(None), done.done_at <= m.as_of)
    return {
        "repair_timeliness": Figure("ticket", and_(repair, completed_in_p), Ticket.completed_at <= Ticket.deadline_at),
        "repair_completion": Figure("ticket", and_(repair, within(Ticket.received_at)), by(Ticket.completed_at)),
        "complaint_timely_rate": Figure("ticket", complaint_in_p, and_(by(Ticket.handled_at), handling)),
        "complaint_handled_rate": Figure("ticket", complaint_in_p, by(Ticket.handled_at)),
        "revisit_rate": Figure("ticket", and_(Ticket.needs_revisit.is_(True), completed_in_p), revisited),
        "revisit_timely_rate": Figure("revisit", within(Revisit.due_at),
                                      and_(by(Revisit.done_at), Revisit.done_at <= Revisit.due_at)),
        "satisfaction": Figure("revisit", and_(within(Revisit.done_at), by(Revisit.done_at), Revisit.result != ""),
                               Revisit.result.in_(SATISFIED)),
        "effective_complaint_rate": Figure("ticket", complaint_in_p,
                                           and_(Ticket.ruling == EFFECTIVE, by(Ticket.ruled_at))),
    }


# a TicketScope's conditions as bound parameters, so one statement serves every person
_SCOPE_CONDITIONS = (
    Ticket.assignee_id.in_(bindparam("assignee_ids", expanding=True)),
    Ticket.first_responder_id.in_(bindparam("first_responder_ids", expanding=True)),
    Ticket.ruling_staff_id == bindparam("ruling_staff_id"),
    Ticket.estate_id.in_(bindparam("estate_ids", expanding=True)),
)
ScopeShape = tuple[bool, bool, bool, bool]


def _scope_shape(scope: TicketScope) -> ScopeShape:
    return (scope.assignee_ids is not None, scope.first_responder_ids is not None, scope.ruling_staff_id is not None,
            scope.estate_ids is not None)


def _scope_values(scope: TicketScope) -> dict[str, Any]:
    values = {"assignee_ids": list(scope.assignee_ids or ()), "first_responder_ids": list(
        scope.first_responder_ids or ()), "ruling_staff_id": scope.ruling_staff_id,
        "estate_ids": sorted(scope.estate_ids or ())}
    return {k: v for (k, v), used in zip(values.items(), _scope_shape(scope), strict=True) if used}


def _scope_where(shape: ScopeShape) -> list[ColumnElement[bool]]:
    return [condition for condition, used in zip(_SCOPE_CONDITIONS, shape, strict=True) if used]


@dataclass(frozen=True)
class TicketCounts:
    """The (numerator, denominator) of every ticket figure of one group, in the order of `_COUNTED`.

    Counts of disjoint groups add up (`+`): a person's figures from those of each of their user accounts."""

    pairs: tuple[tuple[int, int], ...] = ((0, 0),) * len(_COUNTED)

    def __add__(self, other: TicketCounts) -> TicketCounts:
        return TicketCounts(tuple((a + c, b + d) for (a, b), (c, d) in zip(self.pairs, other.pairs, strict=True)))

    def of(self, key: str) -> tuple[int, int]:
        """(numerator, denominator) of one figure (有效投诉: of 有效投诉率)."""
        return self.pairs[_COUNTED.index("effective_complaint_rate" if key == "effective_complaints" else key)]

    def figures(self) -> Figures:
        """The figures dict of ticket_kpis: rates half-up to 4 places (None without a denominator), counts as int."""
        out: Figures = {}
        for key in TICKET_KPI_KEYS:
            numerator, denominator = self.of(key)
            out[key] = numerator if key == "effective_complaints" else rate(numerator, denominator)
        return out


def empty_ticket_kpis() -> Figures:
    """The figures of a group without any ticket (what ticket_kpis gives for an empty scope)."""
    return TicketCounts().figures()


_GROUP_COLUMNS = {"assignee": Ticket.assignee_id, "first_responder": Ticket.first_responder_id,
                  "ruling_staff": Ticket.ruling_staff_id, "estate": Ticket.estate_id}


@dataclass(frozen=True)
class _Plan:
    """One counting statement and where its columns are: rows (month n, [group], sums...); `at` gives for each
    counted figure over the statement's subject (key, denominator column, numerator column) among the sums."""

    statement: Select[*tuple[Any, ...]] | CompoundSelect[*tuple[Any, ...]]
    at: tuple[tuple[str, int, int], ...]


def _tallies(figures: Mapping[str, Figure]) -> tuple[list[ColumnElement[int]], tuple[tuple[str, int, int], ...]]:
    """SUM(CASE WHEN ... THEN 1 ELSE 0 END) columns of the figures, and (key, denominator, numerator) positions. A
    denominator several figures share (the complaints received in the month) is summed once."""
    columns: list[ColumnElement[int]] = []
    known: dict[int, int] = {}

    def tally(condition: ColumnElement[bool]) -> int:
        if id(condition) not in known:
            known[id(condition)] = len(columns)
            columns.append(func.coalesce(func.sum(case((condition, 1), else_=0)), 0))
        return known[id(condition)]

    return columns, tuple((key, tally(f.denominator), tally(and_(f.denominator, f.numerator)))
                          for key, f in figures.items())


@lru_cache(maxsize=64)
def _plans(months: int, group: str | None, scope: ScopeShape) -> tuple[_Plan, _Plan]:
    """The two counting statements (over tickets, over revisits) for `months` months, one UNION ALL branch each,
    grouped by `group` (None: no GROUP BY, one row per month), filtered by a scope of that shape. Built once per
    shape: the months, the moments and the scope are bound parameters (see _Moments, _scope_values)."""
    grouped = [_GROUP_COLUMNS[group]] if group is not None else []
    plans = []
    for subject in ("ticket", "revisit"):
        branches: list[Select[*tuple[Any, ...]]] = []
        at: tuple[tuple[str, int, int], ...] = ()
        for n in range(months):
            m = _Moments.of(n)
            columns, at = _tallies({k: f for k, f in _definitions(m).items() if f.subject == subject})
            stmt: Select[*tuple[Any, ...]] = select(literal_column(str(n)), *grouped, *columns)
            if subject == "ticket":  # every row a figure of the month may count: an index range scan narrows to them
                stmt = stmt.select_from(Ticket).where(or_(and_(Ticket.received_at >= m.start, Ticket.received_at < m.end),
                                                          and_(Ticket.completed_at >= m.start, Ticket.completed_at < m.end)))
                stmt = stmt.where(Ticket.status != CANCELLED, *_scope_where(scope))
                branches.append(stmt.group_by(*grouped))
            else:
                stmt = stmt.select_from(Revisit).where(_revisit_window(m))
                if grouped or any(scope):
                    stmt = stmt.join(Ticket, Ticket.id == Revisit.ticket_id).where(
                        Ticket.status != CANCELLED, *_scope_where(scope))
                else:  # a join would have PostgreSQL hash every ticket once a month (12 months: 926 -> 115 ms)
                    stmt = stmt.where(~exists().where(Ticket.id == Revisit.ticket_id, Ticket.status == CANCELLED))
                branches.append(stmt.group_by(*grouped))
        plans.append(_Plan(branches[0] if months == 1 else union_all(*branches), at))
    return plans[0], plans[1]


def _revisit_window(m: _Moments) -> ColumnElement[bool]:
    """The revisits a month's figures may count: due or done within it (index range scans narrow to them)."""
    return or_(and_(Revisit.due_at >= m.start, Revisit.due_at < m.end),
               and_(Revisit.done_at >= m.start, Revisit.done_at < m.end))


def _count(slots: Sequence[tuple[Period, datetime]], group: str | None,
           scope: TicketScope) -> list[dict[GroupKey, TicketCounts]]:
    """For each (month, as_of) slot, the counts of every group (`group` in TICKET_GROUPS; None: the scope as one
    group, key None), in two statements."""
    if group is not None and group not in TICKET_GROUPS:
        raise ValueError(group)
    values = _scope_values(scope)
    for n, (period, as_of) in enumerate(slots):
        values.update(_Moments.of(n).values(period, as_of))
    pairs: list[dict[GroupKey, list[tuple[int, int]]]] = [{} for _ in slots]
    with read_session() as s:
        for plan in _plans(len(slots), group, _scope_shape(scope)):
            rows: Sequence[Any] = s.execute(plan.statement, values).all()  # (month, [group], sums...)
            for row in rows:
                key_of_group: GroupKey = row[1] if group is not None else None
                sums = row[2 if group is not None else 1:]
                got = pairs[int(row[0])].setdefault(key_of_group, [(0, 0)] * len(_COUNTED))
                for key, denominator, numerator in plan.at:
                    got[_COUNTED.index(key)] = (int(sums[numerator]), int(sums[denominator]))
    return [{g: TicketCounts(tuple(p)) for g, p in of_slot.items()} for of_slot in pairs]


def _period(period: str | Period) -> Period:
    return period if isinstance(period, Period) else Period.parse(period)


def ticket_counts_by(period: str | Period, *, by: str | None, as_of: datetime | None = None,
                     scope: TicketScope | None = None) -> dict[GroupKey, TicketCounts]:
    """The numerators and denominators of the ticket figures for every group (`by` in TICKET_GROUPS, or None: the
    scope as one group, key None), in two grouped statements. Groups without a ticket of the month are absent;
    tickets without an assignee (first responder, ruling) form the group None."""
    return _count([(_period(period), as_of or utcnow())], by, scope or TicketScope())[0]


def ticket_kpis_by(period: str | Period, *, by: str | None, as_of: datetime | None = None,
                   scope: TicketScope | None = None) -> dict[GroupKey, Figures]:
    """ticket_kpis for every 处理人, 首问责任人 (user ids), ruling 责任人 (staff id) or 小区 (`by`, one of
    TICKET_GROUPS) at once, whatever the number of groups; a group absent has empty_ticket_kpis()."""
    return {g: counts.figures() for g, counts in ticket_counts_by(period, by=by, as_of=as_of, scope=scope).items()}


def ticket_kpis(period: str | Period, *, as_of: datetime | None = None,
                scope: TicketScope | None = None) -> Figures:
    """The ticket figures of KPI.md for one month, taken at `as_of` (of everybody's tickets, or a scope's)."""
    return ticket_kpis_by(period, by=None, as_of=as_of, scope=scope).get(None, empty_ticket_kpis())


def ticket_kpis_months(periods: Sequence[str | Period], *, as_of: Mapping[str, datetime],
                       scope: TicketScope | None = None) -> dict[str, Figures]:
    """ticket_kpis of several months at once, each taken at its own moment (`as_of` by month label): what a trend
    draws, in two statements whatever the number of months. Every month asked for is in the result."""
    months = [_period(p) for p in periods]
    if not months:
        return {}
    counted = _count([(p, as_of[p.label]) for p in months], None, scope or TicketScope())
    return {p.label: of_month.get(None, TicketCounts()).figures() for p, of_month in zip(months, counted, strict=True)}


def ticket_kpi_evidence(period: str | Period, key: str, *, as_of: datetime | None = None,
                        scope: TicketScope | None = None) -> pd.DataFrame:
    """The tickets (or revisits) behind one figure: every row of its denominator, marked when it counts (object
    columns: a time not reached stays None, never NaT), in the order of the ticket numbers."""
    m = _Moments.of(0)
    figure = _definitions(m)["effective_complaint_rate" if key == "effective_complaints" else key]
    counts = case((figure.numerator, 1), else_=0)
    scope = scope or TicketScope()
    where = [Ticket.status != CANCELLED, figure.denominator, *_scope_where(_scope_shape(scope))]
    values = {**m.values(_period(period), as_of or utcnow()), **_scope_values(scope)}
    with read_session() as s:
        if figure.subject == "ticket":
            columns = ["number", "counts", "ticket_type", "received_at", "deadline_at", "completed_at", "handled_at"]
            rows = s.execute(select(Ticket.number, counts, Ticket.ticket_type, Ticket.received_at, Ticket.deadline_at,
                                    Ticket.completed_at, Ticket.handled_at).where(*where).order_by(Ticket.number),
                             values).all()
        else:
            columns = ["number", "counts", "due_at", "done_at", "result"]
            rows = s.execute(select(Ticket.number, counts, Revisit.due_at, Revisit.done_at, Revisit.result)
                             .join(Ticket, Ticket.id == Revisit.ticket_id).where(*where)
                             .order_by(Ticket.number, Revisit.due_at, Revisit.id),
                             values).all()
    return pd.DataFrame([{"number": r[0], "counts": bool(r[1]), **dict(zip(columns[2:], r[2:], strict=True))}
                         for r in rows], columns=columns, dtype=object)
