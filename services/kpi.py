"""Every figure a manager reads, defined once (see ../shared/KPI.md).

Invariants:
- a rate is a Decimal fraction rounded half-up to 4 places, or None when its denominator
  is zero (shown as "—"), never 0 or 100%;
- a period is a calendar month YYYY-MM in Asia/Shanghai; `as_of` is the moment the figure
  is taken (default: now; a month-end report passes the last instant of the month);
- cancelled tickets never count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, and_, func, or_, select, type_coerce

from db.engine import read_session
from db.models import Allocation, Bill, FeeItem, ParkingLease, ParkingSpace, Payment, Revisit, Ticket, Unit
from db.types import utcnow
from services.clock import SHANGHAI
from services.ledger import LEASE

RATE_PLACES = Decimal("0.0001")
COMPLAINT_HANDLING = timedelta(hours=24)
SATISFIED = ("满意", "基本满意")
CANCELLED = "已撤销"
REPAIR, COMPLAINT = "报修", "投诉"

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


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a 4-place fraction, or None when there is nothing to divide by."""
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Period:
    """A calendar month in Asia/Shanghai: [start, end) as aware datetimes."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, text: str) -> Period:
        m = re.fullmatch(r"(\d{4})-(\d{2})", (text or "").strip())
        if not m or not 1 <= int(m[2]) <= 12:
            raise ValueError(f"期间应为 YYYY-MM，例如 2026-11（收到 {text!r}）")
        year, month = int(m[1]), int(m[2])
        start = datetime(year, month, 1, tzinfo=SHANGHAI)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
        return cls(f"{year:04d}-{month:02d}", start, end)

    @property
    def last_instant(self) -> datetime:
        return self.end - timedelta(microseconds=1)

    def previous(self) -> Period:
        return Period.parse((self.start - timedelta(days=1)).strftime("%Y-%m"))


@dataclass(frozen=True)
class TicketFact:
    """What the ticket KPIs need to know about one ticket (or one revisit of it)."""

    id: int
    number: str
    ticket_type: str
    received_at: datetime
    deadline_at: datetime
    completed_at: datetime | None
    handled_at: datetime | None
    needs_revisit: bool
    ruling: str
    ruled_at: datetime | None


@dataclass(frozen=True)
class RevisitFact:
    ticket_id: int
    number: str
    due_at: datetime
    done_at: datetime | None
    result: str


@dataclass(frozen=True)
class TicketScope:
    """Whose tickets a figure looks at: all, or one person's (for the appraisal of staff).

    `assignee_ids`: tickets handled by these user accounts (处理人); `first_responder_ids`: tickets these
    accounts took (首问责任人); `ruling_staff_id`: complaints ruled naming this staff member as responsible.
    Revisits belong to their ticket. Empty id tuples mean "nobody's", not "everybody's".
    """

    assignee_ids: tuple[int, ...] | None = None
    first_responder_ids: tuple[int, ...] | None = None
    ruling_staff_id: int | None = None

    def where(self) -> list:
        conditions = []
        if self.assignee_ids is not None:
            conditions.append(Ticket.assignee_id.in_(list(self.assignee_ids)))
        if self.first_responder_ids is not None:
            conditions.append(Ticket.first_responder_id.in_(list(self.first_responder_ids)))
        if self.ruling_staff_id is not None:
            conditions.append(Ticket.ruling_staff_id == self.ruling_staff_id)
        return conditions


def _facts(period: Period, scope: TicketScope | None = None
           ) -> tuple[list[TicketFact], list[RevisitFact], dict[int, list[datetime]]]:
    """Tickets received or completed in the period and revisits due or done in it (cancelled excluded)."""
    in_p = lambda col: and_(col >= period.start, col < period.end)  # noqa: E731
    within_scope = (scope or TicketScope()).where()
    with read_session() as s:
        tickets = [TicketFact(*r) for r in s.execute(
            select(Ticket.id, Ticket.number, Ticket.ticket_type, Ticket.received_at, Ticket.deadline_at,
                   Ticket.completed_at, Ticket.handled_at, Ticket.needs_revisit, Ticket.ruling, Ticket.ruled_at)
            .where(Ticket.status != CANCELLED, or_(in_p(Ticket.received_at), in_p(Ticket.completed_at)),
                   *within_scope))]
        revisits = [RevisitFact(*r) for r in s.execute(
            select(Revisit.ticket_id, Ticket.number, Revisit.due_at, Revisit.done_at, Revisit.result)
            .join(Ticket, Ticket.id == Revisit.ticket_id)
            .where(Ticket.status != CANCELLED, or_(in_p(Revisit.due_at), in_p(Revisit.done_at)), *within_scope))]
        ids = [t.id for t in tickets]
        done: dict[int, list[datetime]] = {}
        for chunk in range(0, len(ids), 900):
            for ticket_id, at in s.execute(select(Revisit.ticket_id, Revisit.done_at).where(
                    Revisit.ticket_id.in_(ids[chunk:chunk + 900]), Revisit.done_at.is_not(None))):
                done.setdefault(ticket_id, []).append(at)
    return tickets, revisits, done


def _definitions(period: Period, as_of: datetime, done: dict[int, list[datetime]]):
    """key -> (subject: 'ticket' or 'revisit', in the denominator?, in the numerator?) exactly as KPI.md says."""

    def within(moment):
        return moment is not None and period.start <= moment < period.end

    def by(moment):
        return moment is not None and moment <= as_of

    repair = lambda t: t.ticket_type == REPAIR  # noqa: E731
    complaint = lambda t: t.ticket_type == COMPLAINT  # noqa: E731
    completed_in_p = lambda t: within(t.completed_at) and by(t.completed_at)  # noqa: E731
    return {
        "repair_timeliness": ("ticket", lambda t: repair(t) and completed_in_p(t),
                              lambda t: t.completed_at <= t.deadline_at),
        "repair_completion": ("ticket", lambda t: repair(t) and within(t.received_at),
                              lambda t: by(t.completed_at)),
        "complaint_timely_rate": ("ticket", lambda t: complaint(t) and within(t.received_at),
                                  lambda t: by(t.handled_at) and t.handled_at - t.received_at <= COMPLAINT_HANDLING),
        "complaint_handled_rate": ("ticket", lambda t: complaint(t) and within(t.received_at),
                                   lambda t: by(t.handled_at)),
        "revisit_rate": ("ticket", lambda t: t.needs_revisit and completed_in_p(t),
                         lambda t: any(by(at) for at in done.get(t.id, []))),
        "revisit_timely_rate": ("revisit", lambda r: within(r.due_at),
                                lambda r: r.done_at is not None and r.done_at <= r.due_at and by(r.done_at)),
        "satisfaction": ("revisit", lambda r: within(r.done_at) and by(r.done_at) and r.result != "",
                         lambda r: r.result in SATISFIED),
        "effective_complaint_rate": ("ticket", lambda t: complaint(t) and within(t.received_at),
                                     lambda t: t.ruling == "有效" and by(t.ruled_at)),
    }


def ticket_kpis(period: str | Period, *, as_of: datetime | None = None,
                scope: TicketScope | None = None) -> dict[str, Decimal | int | None]:
    """The ticket figures of KPI.md for one month, taken at `as_of` (of everybody's tickets, or a scope's)."""
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    tickets, revisits, done = _facts(p, scope)
    figures: dict[str, Decimal | int | None] = {}
    for key, (subject, in_denominator, in_numerator) in _definitions(p, as_of, done).items():
        rows = [r for r in (tickets if subject == "ticket" else revisits) if in_denominator(r)]
        figures[key] = rate(sum(1 for r in rows if in_numerator(r)), len(rows))
    effective = _definitions(p, as_of, done)["effective_complaint_rate"]
    figures["effective_complaints"] = sum(1 for t in tickets if effective[1](t) and effective[2](t))
    return {key: figures[key] for key in TICKET_KPI_KEYS}


def ticket_kpi_evidence(period: str | Period, key: str, *, as_of: datetime | None = None,
                        scope: TicketScope | None = None) -> list[dict]:
    """The tickets (or revisits) behind one figure: every row of its denominator, marked when it counts."""
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    tickets, revisits, done = _facts(p, scope)
    definitions = _definitions(p, as_of, done)
    if key == "effective_complaints":
        key = "effective_complaint_rate"
    subject, in_denominator, in_numerator = definitions[key]
    rows = [r for r in (tickets if subject == "ticket" else revisits) if in_denominator(r)]
    return [{"number": r.number, "counts": bool(in_numerator(r)), **{
        k: getattr(r, k) for k in ("ticket_type", "received_at", "deadline_at", "completed_at", "handled_at")
        if hasattr(r, k)}, **({"due_at": r.due_at, "done_at": r.done_at, "result": r.result}
                              if subject == "revisit" else {})} for r in rows]


def as_json_values(figures: dict[str, Decimal | int | None]) -> dict[str, str | int | None]:
    """Rates as strings with 4 decimals (or null), counts as integers: the `propdesk kpi --json` form."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in figures.items()}


# --- fees 收费 (KPI.md "Fees") ------------------------------------------------------------------------

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
    units only, so their figures leave such lease bills out (a lease with a unit counts with its unit)."""

    estate_id: int | None = None
    building_id: int | None = None
    collector_staff_id: int | None = None

    def where(self) -> list:
        """Conditions on Unit (joined to the bills) for the building and collector scopes, and the estate with them."""
        conditions = []
        if self.estate_id is not None:
            conditions.append(Unit.estate_id == self.estate_id)
        if self.building_id is not None:
            conditions.append(Unit.building_id == self.building_id)
        if self.collector_staff_id is not None:
            conditions.append(Unit.collector_staff_id == self.collector_staff_id)
        return conditions

    @property
    def units_only(self) -> bool:
        return self.building_id is not None or self.collector_staff_id is not None


def lease_households(session, estate_id: int) -> list[str]:
    """The accounts "L<lease id>" of the parking leases without a unit whose space is in the estate (a short list,
    read first: building the keys in SQL would mix collations on MariaDB)."""
    return [f"{LEASE}{i}" for i in session.scalars(
        select(ParkingLease.id).join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
        .where(ParkingSpace.estate_id == estate_id, ParkingLease.unit_id.is_(None)).order_by(ParkingLease.id))]


def in_estate(session, estate_id: int, *, unit_id, household):
    """A condition: the row (a bill, payment, credit entry) belongs to the estate, through its unit or, for a lease
    account without a unit, through the lease's parking space. `unit_id` and `household` are the row's columns."""
    units = unit_id.in_(select(Unit.id).where(Unit.estate_id == estate_id))
    leases = lease_households(session, estate_id)
    return or_(units, household.in_(leases)) if leases else units


def _cents(column):
    """The raw integer cents of a Money column, so SQL sums are integer sums (no type round-trips)."""
    return type_coerce(column, BigInteger)


def _bills(session, scope: FeeScope):
    """Live bills (not cancelled) within the scope, as a statement the fee figures refine."""
    stmt = select(Bill.id).where(Bill.status != "已取消")
    if scope.units_only:
        return stmt.join(Unit, Unit.id == Bill.unit_id).where(*scope.where())
    if scope.estate_id is not None:
        return stmt.where(in_estate(session, scope.estate_id, unit_id=Bill.unit_id, household=Bill.household))
    return stmt


def fee_kpis(period: str | Period, *, as_of: datetime | None = None,
             scope: FeeScope | None = None) -> dict[str, Decimal | None]:
    """The fee figures of KPI.md for one month, taken at `as_of` (voided payments and cancelled bills excluded).

    Amounts billed are net of approved waivers 减免: a partly waived bill counts with what is left to pay.
    """
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    scope = scope or FeeScope()
    net = _cents(Bill.amount) - _cents(Bill.waived)
    allocs = (select(Allocation.bill_id, _cents(Allocation.amount).label("cents"), Allocation.at)
              .join(Payment, Payment.id == Allocation.payment_id)
              .where(Payment.status != "已作废", Allocation.voided.is_(False))).subquery()

    def paid_by_bill(*when):
        return (select(allocs.c.bill_id, func.sum(allocs.c.cents).label("paid"))
                .where(*when).group_by(allocs.c.bill_id).subquery())

    def total(stmt) -> int:
        return int(s.scalar(stmt) or 0)

    with read_session() as s:
        live = _bills(s, scope)
        per_household = s.execute(select(Bill.household, func.sum(net).label("net"))
                                  .where(Bill.id.in_(live), Bill.period == p.label)
                                  .group_by(Bill.household)).all()
        billed = sum(int(r.net or 0) for r in per_household)
        households = sum(1 for r in per_household if (r.net or 0) > 0)
        collected = total(select(func.sum(allocs.c.cents)).join(Bill, Bill.id == allocs.c.bill_id)
                          .where(Bill.id.in_(live), Bill.period == p.label, allocs.c.at <= as_of))
        by_as_of = paid_by_bill(allocs.c.at <= as_of)
        owing = total(select(func.count(func.distinct(Bill.household)))
                      .outerjoin(by_as_of, by_as_of.c.bill_id == Bill.id)
                      .where(Bill.id.in_(live), Bill.period == p.label,
                             net - func.coalesce(by_as_of.c.paid, 0) > 0))
        before = paid_by_bill(allocs.c.at < p.start)
        prior = total(select(func.sum(net - func.coalesce(before.c.paid, 0)))
                      .outerjoin(before, before.c.bill_id == Bill.id)
                      .where(Bill.id.in_(live), Bill.period < p.label))
        in_period = (allocs.c.at >= p.start, allocs.c.at < p.end, allocs.c.at <= as_of)
        recovered = total(select(func.sum(allocs.c.cents)).join(Bill, Bill.id == allocs.c.bill_id)
                          .where(Bill.id.in_(live), Bill.period < p.label, *in_period))
        prior_years = total(select(func.sum(allocs.c.cents)).join(Bill, Bill.id == allocs.c.bill_id)
                            .where(Bill.id.in_(live), Bill.period < f"{p.label[:4]}-01", *in_period))
    return {
        "billed": _yuan(billed),
        "collected": _yuan(collected),
        "collection_rate": rate(collected, billed),
        "household_rate": rate(households - owing, households),
        "prior_arrears": _yuan(prior),
        "arrears_recovered": _yuan(recovered),
        "arrears_recovery_rate": rate(recovered, prior),
        "prior_years_collected": _yuan(prior_years),
    }


def _yuan(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def fee_kpi_evidence(period: str | Period, key: str, *, as_of: datetime | None = None,
                     scope: FeeScope | None = None) -> list[dict]:
    """The bills or payments behind one fee figure, as fee_kpis counts them.

    收缴率 / 户收费率 / 当期应收 / 当期实收: every live bill of the period in scope, with what was paid on it by
    `as_of` (`counts`: nothing left to pay). 清缴率 / 欠费追回 / 以往年度收缴金额: every allocation received within
    the period to a bill of an earlier period (of an earlier year, for 以往年度收缴金额), with its receipt.
    """
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    with read_session() as s:
        live = _bills(s, scope or FeeScope())
        if key in ("billed", "collected", "collection_rate", "household_rate"):
            paid = (select(Allocation.bill_id, func.sum(_cents(Allocation.amount)).label("cents"))
                    .join(Payment, Payment.id == Allocation.payment_id)
                    .where(Payment.status != "已作废", Allocation.voided.is_(False), Allocation.at <= as_of)
                    .group_by(Allocation.bill_id).subquery())
            rows = s.execute(select(Bill.household, Bill.payer_name, FeeItem.name, Bill.period,
                                    _cents(Bill.amount) - _cents(Bill.waived), func.coalesce(paid.c.cents, 0))
                             .join(FeeItem, FeeItem.id == Bill.fee_item_id)
                             .outerjoin(paid, paid.c.bill_id == Bill.id)
                             .where(Bill.id.in_(live), Bill.period == p.label)
                             .order_by(Bill.household, Bill.fee_item_id)).all()
            return [{"household": h, "payer": payer, "item": item, "period": per, "billed": _yuan(net),
                     "paid": _yuan(got), "counts": net - got <= 0} for h, payer, item, per, net, got in rows]
        if key not in ("arrears_recovered", "arrears_recovery_rate", "prior_years_collected"):
            raise KeyError(key)
        before = f"{p.label[:4]}-01" if key == "prior_years_collected" else p.label
        rows = s.execute(select(Payment.receipt_no, Allocation.at, Bill.household, Bill.payer_name, FeeItem.name,
                                Bill.period, _cents(Allocation.amount))
                         .join(Payment, Payment.id == Allocation.payment_id)
                         .join(Bill, Bill.id == Allocation.bill_id).join(FeeItem, FeeItem.id == Bill.fee_item_id)
                         .where(Payment.status != "已作废", Allocation.voided.is_(False), Bill.id.in_(live),
                                Bill.period < before, Allocation.at >= p.start, Allocation.at < p.end,
                                Allocation.at <= as_of)
                         .order_by(Allocation.at, Payment.receipt_no)).all()
    return [{"receipt_no": no, "at": at, "household": h, "payer": payer, "item": item, "period": per,
             "amount": _yuan(cents), "counts": True} for no, at, h, payer, item, per, cents in rows]
