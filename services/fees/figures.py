"""The fee figures of KPI.md (当期应收, 当期实收, 收缴率, 户收费率, 清缴率, ...), defined once.

Read them through services.kpi, which names this module. Invariants: voided payments and cancelled bills
never count; amounts billed are net of approved waivers; sums are integer-cent sums in SQL.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    false,
    func,
    literal_column,
    or_,
    select,
    true,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TypeCoerce

from db.engine import read_session
from db.models import Allocation, Bill, FeeItem, ParkingLease, ParkingSpace, Payment, Unit
from db.types import utcnow
from services.fees.accounts import lease_household
from services.fees.statuses import OPEN_BILL_STATUSES, BillStatus, PaymentStatus
from services.platform.actors import Actor
from services.platform.period import Period, period_of
from services.platform.rates import rate

FEE_KPI_KEYS = ("billed", "collected", "collection_rate", "household_rate", "prior_arrears", "arrears_recovered",
                "arrears_recovery_rate", "prior_years_collected")
FEE_KPI_LABELS = {
    "billed": "当期应收", "collected": "当期实收", "collection_rate": "收缴率", "household_rate": "户收费率",
    "prior_arrears": "历史欠费", "arrears_recovered": "欠费追回", "arrears_recovery_rate": "清缴率",
    "prior_years_collected": "以往年度收缴金额",
}
FEE_TARGETS: dict[str, tuple[Decimal, str]] = {"collection_rate": (Decimal("0.95"), "min")}
AGING_BUCKETS = (("0–3个月", 0, 3), ("3–6个月", 3, 6), ("6–12个月", 6, 12), ("12个月以上", 12, None))


@dataclass(frozen=True)
class FeeScope:
    """Which bills a figure looks at: all, or one estate, building or collector's units.

    An estate holds its units' bills and the bills of the parking leases without a unit whose space is in the
    estate (those leases are their own accounts "L<lease id>"). A building or a collector is responsible for
    units only, so their figures leave such lease bills out (a lease with a unit counts with its unit).

    `estate_ids` narrows any of these to the estates a reader works in (Actor.estate_ids; None: every estate): the
    figures of several estates are then computed over their bills together (rates from the summed numerators and
    denominators, never averaged)."""

    estate_id: int | None = None
    building_id: int | None = None
    collector_staff_id: int | None = None
    estate_ids: frozenset[int] | None = None

    def where(self) -> list[ColumnElement[bool]]:
        """Conditions on Unit (joined to the bills) for the building and collector scopes, and the estate with them."""
        conditions: list[ColumnElement[bool]] = []
        if self.estate_id is not None:
            conditions.append(Unit.estate_id == self.estate_id)
        if self.building_id is not None:
            conditions.append(Unit.building_id == self.building_id)
        if self.collector_staff_id is not None:
            conditions.append(Unit.collector_staff_id == self.collector_staff_id)
        if self.estate_ids is not None:
            conditions.append(Unit.estate_id.in_(sorted(self.estate_ids)))
        return conditions

    @property
    def units_only(self) -> bool:
        return self.building_id is not None or self.collector_staff_id is not None


def lease_households(session: Session, estate_id: int) -> list[str]:
    """The accounts "L<lease id>" of the parking leases without a unit whose space is in the estate (a short list,
    read first: building the keys in SQL would mix collations on MariaDB)."""
    return [household for household, estate in _lease_estates(session).items() if estate == estate_id]


def in_estate(session: Session, estate_id: int, *, unit_id: SQLColumnExpression[int | None],
              household: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """A condition: the row (a bill, payment, credit entry) belongs to the estate, through its unit or, for a lease
    account without a unit, through the lease's parking space. `unit_id` and `household` are the row's columns."""
    return in_estates(session, {estate_id}, unit_id=unit_id, household=household)


def in_estates(session: Session, estate_ids: Collection[int], *, unit_id: SQLColumnExpression[int | None],
               household: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """in_estate for several estates at once (a reader's estate scope): the row belongs to one of them."""
    wanted = sorted(estate_ids)
    if not wanted:
        return false()
    units = unit_id.in_(select(Unit.id).where(Unit.estate_id.in_(wanted)))
    leases = [household for household, estate in _lease_estates(session).items() if estate in estate_ids]
    return or_(units, household.in_(leases)) if leases else units


def account_clause(session: Session, actor: Actor, *, unit_id: SQLColumnExpression[int | None],
                   household: SQLColumnExpression[str]) -> ColumnElement[bool]:
    """A condition: the row's account (its unit, or its lease's space) is of the actor's estates; true for every row
    when the actor sees all estates."""
    if actor.estate_ids is None:
        return true()
    return in_estates(session, actor.estate_ids, unit_id=unit_id, household=household)


def _cents(column: SQLColumnExpression[Decimal]) -> TypeCoerce[int]:
    """The raw integer cents of a Money column, so SQL sums are integer sums (no type round-trips)."""
    return type_coerce(column, BigInteger)


def _owed_now() -> ColumnElement[int]:
    """What a bill owes now, in cents: net of waivers and of its live allocations (Bill.paid)."""
    return _cents(Bill.amount) - _cents(Bill.waived) - _cents(Bill.paid)


# the groups a report or the scorecards ask figures for at once: 小区, 楼栋, 收费员 (the unit's collector)
FEE_GROUPS = ("estate", "building", "collector")
GroupKey = int | None


@dataclass
class _Sums:
    """The integer-cent sums and household counts of one group, from which its figures are derived."""

    billed: int = 0
    households: int = 0
    owing: int = 0
    collected: int = 0
    owed_before: int = 0  # what the bills of earlier months owe now
    paid_since: int = 0  # what was paid on them from the month's first instant until now
    recovered: int = 0
    prior_years: int = 0

    def figures(self) -> dict[str, Decimal | None]:
        prior = self.owed_before + self.paid_since
        return {
            "billed": _yuan(self.billed),
            "collected": _yuan(self.collected),
            "collection_rate": rate(self.collected, self.billed),
            "household_rate": rate(self.households - self.owing, self.households),
            "prior_arrears": _yuan(prior),
            "arrears_recovered": _yuan(self.recovered),
            "arrears_recovery_rate": rate(self.recovered, prior),
            "prior_years_collected": _yuan(self.prior_years),
        }


def empty_fee_kpis() -> dict[str, Decimal | None]:
    """The figures of a group with no bill at all (what fee_kpis gives for an empty scope)."""
    return _Sums().figures()


def fee_kpis(period: str | Period, *, as_of: datetime | None = None,
             scope: FeeScope | None = None) -> dict[str, Decimal | None]:
    """The fee figures of KPI.md for one month, taken at `as_of` (voided payments and cancelled bills excluded).

    Amounts billed are net of approved waivers 减免: a partly waived bill counts with what is left to pay.
    """
    p = period if isinstance(period, Period) else Period.parse(period)
    return fee_kpis_months([p], as_of={p.label: as_of or utcnow()}, scope=scope)[p.label]


def fee_kpis_by(period: str | Period, *, by: str | None, as_of: datetime | None = None,
                scope: FeeScope | None = None) -> dict[GroupKey, dict[str, Decimal | None]]:
    """fee_kpis for every 小区, 楼栋 or 收费员 (`by`, one of FEE_GROUPS; None: the scope as one group, key None) in four
    grouped statements whatever the number of groups. Groups without a bill are absent (empty_fee_kpis).

    By building or collector the figures are of units only, as FeeScope(building_id=...) counts them (a parking
    lease without a unit belongs to no building); by estate a lease without a unit counts in its space's estate.
    Prior arrears (Σ net billed before the month − Σ paid on those bills before it began) are read as what those
    bills owe now plus what was paid on them since the month began: the same sum, since a bill's `paid` is the
    sum of its live allocations (kept in the same transaction) and only an open bill owes; but it reads the few
    open bills and the month's allocations, not years of history (20,000 units: 3.4 s -> 60 ms).
    """
    if by is not None and by not in FEE_GROUPS:
        raise ValueError(by)
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    scope = scope or FeeScope()
    net = _cents(Bill.amount) - _cents(Bill.waived)
    sums: dict[GroupKey, _Sums] = {}

    def of(key: GroupKey) -> _Sums:
        return sums.setdefault(key, _Sums())

    with read_session() as s:
        group, bills = _grouped_bills(s, scope, by)
        grouped = [group] if by is not None else []  # one group: no GROUP BY (a constant is not a column to all)

        def rows(*columns: Any) -> Select[*tuple[Any, ...]]:
            return bills(select(group.label("g"), *columns)).group_by(*grouped)

        # rows of Select[*tuple[Any, ...]] unpack as Any only through a Sequence[Any]
        per_household: Sequence[Any] = s.execute(
            bills(select(group.label("g"), Bill.household, func.sum(net).label("net"),
                         func.max(case((_owed_at({p.label: as_of}), 1), else_=0)).label("owed")))
            .where(Bill.period == p.label).group_by(*grouped, Bill.household)).all()
        for r in per_household:
            got = of(r.g)
            got.billed += int(r.net or 0)
            got.households += 1 if (r.net or 0) > 0 else 0
            got.owing += int(r.owed)
        owed_rows: Sequence[Any] = s.execute(rows(func.sum(_owed_now())).where(
            Bill.status.in_(OPEN_BILL_STATUSES), _unindexed(Bill.period) < p.label)).all()
        for g, owed in owed_rows:
            of(g).owed_before += int(owed or 0)

        cents = _cents(Allocation.amount)
        in_period = and_(Allocation.paid_period == p.label, Allocation.at <= as_of)

        def when(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, cents), else_=0)), 0)

        def live(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:  # as _live_allocations says
            return stmt.join(Allocation, Allocation.bill_id == Bill.id).where(Allocation.voided == false())

        collected_rows: Sequence[Any] = s.execute(live(rows(func.coalesce(func.sum(cents), 0))).where(
            Bill.period == p.label, Allocation.at <= as_of)).all()
        for g, collected in collected_rows:
            of(g).collected = int(collected)
        since: Sequence[Any] = s.execute(live(rows(
            func.coalesce(func.sum(cents), 0), when(in_period),
            when(and_(Allocation.bill_period < f"{p.label[:4]}-01", in_period))))
            .where(_unindexed(Allocation.bill_period) < p.label, Allocation.paid_period >= p.label)).all()
        for g, paid_since, recovered, prior_years in since:
            got = of(g)
            got.paid_since, got.recovered, got.prior_years = int(paid_since), int(recovered), int(prior_years)

    return {key: got.figures() for key, got in sums.items()}


def fee_kpis_months(periods: Sequence[Period], *, as_of: Mapping[str, datetime], scope: FeeScope | None = None,
                    only: Collection[str] | None = None) -> dict[str, dict[str, Decimal | None]]:
    """fee_kpis of several months at once, each taken at its own moment (`as_of` by month label): what a 12-month
    trend draws, in four statements whatever the number of months (and one more per moment inside its month). Every
    month is in the result.

    `only` names the figures wanted (all when None) and the result holds just those: a trend of 收缴率 alone
    leaves out the statements the others need — counting households (户收费率) and what earlier months owe
    (历史欠费, 清缴率) — which are most of the time at 20,000 units.

    Money received is read from the live allocations summed by (bill's month, month received): each allocation
    carries both, under covering indexes, so the whole company's trend reads no bill or payment for it (20,000
    units: 4.1 s -> 0.1 s); a moment inside a month subtracts what came after it in that month.
    """
    if not periods:
        return {}
    scope = scope or FeeScope()
    wanted = set(FEE_KPI_KEYS if only is None else only)
    if wanted - set(FEE_KPI_KEYS):
        raise ValueError(sorted(wanted - set(FEE_KPI_KEYS)))
    labels = [q.label for q in periods]
    first = min(labels)
    moment = {q.label: as_of[q.label] for q in periods}
    month_of = {label: period_of(m) for label, m in moment.items()}  # the month each moment falls in
    net = _cents(Bill.amount) - _cents(Bill.waived)
    cents = _cents(Allocation.amount)
    sums = {label: _Sums() for label in labels}

    def when(condition: ColumnElement[bool], value: Any) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((condition, value), else_=0)), 0)

    with read_session() as s:
        _group, bills = _grouped_bills(s, scope, None)
        allocations = _live_allocations(s, scope)
        if wanted & {"household_rate"}:
            billed: Sequence[Any] = s.execute(bills(select(
                Bill.period, func.sum(net), func.count(func.distinct(case((net > 0, Bill.household)))),
                func.sum(case((net < 0, 1), else_=0)),
                func.count(func.distinct(case((_owed_at(moment), Bill.household))))))
                .where(Bill.period.in_(labels)).group_by(Bill.period)).all()
        else:
            billed = [(label, total, 0, 0, 0) for label, total in s.execute(
                bills(select(Bill.period, func.sum(net))).where(Bill.period.in_(labels)).group_by(Bill.period))]
        for label, total, households, negatives, owing in billed:
            got = sums[label]
            got.billed, got.households, got.owing = int(total or 0), int(households), int(owing)
            if negatives:  # a household counts when its bills net above zero: count such months household by household
                per_household: Sequence[Any] = s.execute(bills(select(func.sum(net))).where(Bill.period == label)
                                                         .group_by(Bill.household)).all()
                got.households = sum(1 for (n,) in per_household if (n or 0) > 0)
        if wanted & {"prior_arrears", "arrears_recovery_rate"}:
            owed: Sequence[Any] = s.execute(bills(select(*(when(Bill.period < q.label, _owed_now())
                                                           for q in periods)))
                                            .where(Bill.status.in_(OPEN_BILL_STATUSES))).one()
            for q, owed_before in zip(periods, owed, strict=True):
                sums[q.label].owed_before = int(owed_before)

        # cents received by (bill's month, month received): all received from the first month on, and what bills
        # of these months received before it (credit used by a billing run ahead of the month)
        cell: dict[tuple[str, str], int] = defaultdict(int)
        pair = (Allocation.bill_period, Allocation.paid_period)
        for where in (Allocation.paid_period >= first, and_(Allocation.bill_period >= first,
                                                            Allocation.paid_period < first)):
            rows: Sequence[Any] = s.execute(allocations(select(*pair, func.sum(cents))).where(where)
                                            .group_by(*pair)).all()
            for bill_period, paid_period, got in rows:
                cell[(bill_period, paid_period)] += int(got)
        # what came after a moment inside its own month, by bill's month (none for a month's last instant)
        after: dict[datetime, dict[str, int]] = {}
        for m in set(moment.values()):
            if m < Period.parse(period_of(m)).last_instant:
                later: Sequence[Any] = s.execute(allocations(select(Allocation.bill_period, func.sum(cents)))
                                                 .where(Allocation.paid_period == period_of(m), Allocation.at > m)
                                                 .group_by(Allocation.bill_period)).all()
                after[m] = {bp: int(got) for bp, got in later}

        for q in periods:
            got, m, in_month = sums[q.label], moment[q.label], month_of[q.label]
            after_m = after.get(m, {})
            year = f"{q.label[:4]}-01"
            for (bp, pp), value in cell.items():
                if bp == q.label and pp <= in_month:
                    got.collected += value - (after_m.get(bp, 0) if pp == in_month else 0)
                if bp < q.label and pp >= q.label:
                    got.paid_since += value
                if bp < q.label and pp == q.label and in_month >= q.label:  # received within the month by m
                    within = value - (after_m.get(bp, 0) if in_month == q.label else 0)
                    got.recovered += within
                    got.prior_years += within if bp < year else 0

    return {label: {key: value for key, value in got.figures().items() if key in wanted}
            for label, got in sums.items()}


def _owed_at(moments: Mapping[str, datetime]) -> ColumnElement[bool]:
    """Whether a bill of one of these months (by label) still owed at its month's moment: it owes now, or money
    reached it after the moment (what a bill owes now is never below zero, so money that came later means it owed
    then). It reads the late allocations, not all that every bill of the months was paid."""
    came_later = [and_(Allocation.bill_period == label, or_(
        Allocation.paid_period > period_of(m), and_(Allocation.paid_period == period_of(m), Allocation.at > m)))
        for label, m in moments.items()]
    late = select(Allocation.bill_id).where(Allocation.voided == false(), Allocation.bill_period.in_(list(moments)),
                                            or_(*came_later))
    return or_(_owed_now() > 0, Bill.id.in_(late))


def _unindexed(column: SQLColumnExpression[str]) -> ColumnElement[str]:
    """The column in a form no index serves, where a range on it would draw SQLite's planner to the wrong index.
    Its statistics keep a column's average rows per value (no histograms in Python's build): it reckons the open
    bills' status as common as the paid one and would read every earlier month's bills by period (1.2 million at
    20,000 units) rather than the open ones by status, or every allocation to an earlier bill rather than this
    month's by the month received."""
    return func.substr(column, 1, 64)


def _live_allocations(session: Session, scope: FeeScope) -> Callable[[Select[*tuple[Any, ...]]],
                                                                     Select[*tuple[Any, ...]]]:
    """What puts a statement over the live allocations of the scope's bills. A void flags its payment's allocations
    in the same transaction (ledger.reverse_payment) and a bill with money on it cannot be cancelled, so `voided`
    alone tells which count; and the whole company's need no bill at all (the periods are on the allocation)."""
    if scope == FeeScope():
        return lambda stmt: stmt.select_from(Allocation).where(Allocation.voided == false())
    _group, bills = _grouped_bills(session, scope, None)
    return lambda stmt: bills(stmt).join(Allocation, Allocation.bill_id == Bill.id).where(Allocation.voided == false())


def _grouped_bills(session: Session, scope: FeeScope, by: str | None
                   ) -> tuple[SQLColumnExpression[Any], Callable[[Select[*tuple[Any, ...]]], Select[*tuple[Any, ...]]]]:
    """The group column of a bill, and what puts a statement over the live bills of the scope (joining the unit
    where the scope or the group needs it)."""
    if by in ("building", "collector") or scope.units_only:
        columns: dict[str, SQLColumnExpression[Any]] = {"building": Unit.building_id,
                                                        "collector": Unit.collector_staff_id}
        group: SQLColumnExpression[Any] = columns.get(by or "", literal_column("NULL"))

        def on_units(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
            return (stmt.select_from(Bill).join(Unit, Unit.id == Bill.unit_id)
                    .where(Bill.status != BillStatus.CANCELLED, *scope.where()))

        return group, on_units
    conditions = [Bill.status != BillStatus.CANCELLED]
    if scope.estate_id is not None:
        conditions.append(in_estate(session, scope.estate_id, unit_id=Bill.unit_id, household=Bill.household))
    if scope.estate_ids is not None:
        conditions.append(in_estates(session, scope.estate_ids, unit_id=Bill.unit_id, household=Bill.household))
    if by == "estate":
        leases = _lease_estates(session)
        unit_estate = select(Unit.estate_id).where(Unit.id == Bill.unit_id).correlate(Bill).scalar_subquery()
        group = func.coalesce(unit_estate, case(leases, value=Bill.household, else_=None)) if leases else unit_estate
    else:
        group = literal_column("NULL")

    def on_bills(stmt: Select[*tuple[Any, ...]]) -> Select[*tuple[Any, ...]]:
        return stmt.select_from(Bill).where(*conditions)

    return group, on_bills


def _lease_estates(session: Session) -> dict[str, int]:
    """The accounts "L<lease id>" of parking leases without a unit -> the estate of their space (a short list)."""
    return {lease_household(i): estate for i, estate in session.execute(
        select(ParkingLease.id, ParkingSpace.estate_id).join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
        .where(ParkingLease.unit_id.is_(None)).order_by(ParkingLease.id))}


def _yuan(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def fee_kpi_evidence(period: str | Period, key: str, *, as_of: datetime | None = None,
                     scope: FeeScope | None = None) -> pd.DataFrame:
    """The bills or payments behind one fee figure, as fee_kpis counts them (object columns: a missing value stays
    None).

    收缴率 / 户收费率 / 当期应收 / 当期实收: every live bill of the period in scope, with what was paid on it by
    `as_of` (`counts`: nothing left to pay). 清缴率 / 欠费追回 / 以往年度收缴金额: every allocation received within
    the period to a bill of an earlier period (of an earlier year, for 以往年度收缴金额), with its receipt.
    """
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    with read_session() as s:
        _group, in_scope = _grouped_bills(s, scope or FeeScope(), None)
        if key in ("billed", "collected", "collection_rate", "household_rate"):
            # the month's bills' allocations only (over all of them it read years of history: 4.2 s at 20,000 units)
            paid = (select(Allocation.bill_id, func.sum(_cents(Allocation.amount)).label("cents"))
                    .join(Payment, Payment.id == Allocation.payment_id).join(Bill, Bill.id == Allocation.bill_id)
                    .where(Bill.period == p.label, Payment.status != PaymentStatus.VOIDED,
                           Allocation.voided.is_(False), Allocation.at <= as_of)
                    .group_by(Allocation.bill_id).subquery())
            # SQLAlchemy types these rows Row[*tuple[Any, ...]] (the coalesce is Any), which mypy cannot
            # unpack; and `rows` is reused below for rows of another shape
            rows: Sequence[Sequence[Any]] = s.execute(
                in_scope(select(Bill.household, Bill.payer_name, FeeItem.name, Bill.period,
                                _cents(Bill.amount) - _cents(Bill.waived), func.coalesce(paid.c.cents, 0)))
                .join(FeeItem, FeeItem.id == Bill.fee_item_id)
                .outerjoin(paid, paid.c.bill_id == Bill.id)
                .where(Bill.period == p.label)
                .order_by(Bill.household, Bill.fee_item_id)).all()
            return pd.DataFrame([{"household": h, "payer": payer, "item": item, "period": per, "billed": _yuan(net),
                                  "paid": _yuan(got), "counts": net - got <= 0}
                                 for h, payer, item, per, net, got in rows],
                                columns=["household", "payer", "item", "period", "billed", "paid", "counts"],
                                dtype=object)
        if key not in ("arrears_recovered", "arrears_recovery_rate", "prior_years_collected"):
            raise KeyError(key)
        before = f"{p.label[:4]}-01" if key == "prior_years_collected" else p.label
        received: Sequence[Any] = s.execute(
            in_scope(select(Payment.receipt_no, Allocation.at, Bill.household, Bill.payer_name, FeeItem.name,
                            Bill.period, _cents(Allocation.amount)))
            .join(Allocation, Allocation.bill_id == Bill.id)
            .join(Payment, Payment.id == Allocation.payment_id)
            .join(FeeItem, FeeItem.id == Bill.fee_item_id)
            .where(Payment.status != PaymentStatus.VOIDED, Allocation.voided.is_(False),
                   Allocation.bill_period < before, Allocation.paid_period == p.label, Allocation.at <= as_of)
            .order_by(Allocation.at, Payment.receipt_no)).all()
    return pd.DataFrame([{"receipt_no": no, "at": at, "household": h, "payer": payer, "item": item, "period": per,
                          "amount": _yuan(cents), "counts": True} for no, at, h, payer, item, per, cents in received],
                        columns=["receipt_no", "at", "household", "payer", "item", "period", "amount", "counts"],
                        dtype=object)
