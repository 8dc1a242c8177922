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

from sqlalchemy import and_, func, select

from db.engine import read_session
from db.models import Revisit, Ticket
from db.types import utcnow
from services.clock import SHANGHAI

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


def _in(col, period: Period):
    return and_(col >= period.start, col < period.end)


def _count(session, *conditions, join_revisit: bool = False) -> int:
    stmt = select(func.count(func.distinct(Ticket.id))).select_from(Ticket)
    if join_revisit:
        stmt = stmt.join(Revisit, Revisit.ticket_id == Ticket.id)
    return session.scalar(stmt.where(Ticket.status != CANCELLED, *conditions)) or 0


def ticket_kpis(period: str | Period, *, as_of: datetime | None = None) -> dict[str, Decimal | int | None]:
    """The ticket figures of KPI.md for one month, taken at `as_of`."""
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    repair = Ticket.ticket_type == REPAIR
    complaint = Ticket.ticket_type == COMPLAINT
    with read_session() as s:
        repairs_completed = _count(s, repair, _in(Ticket.completed_at, p), Ticket.completed_at <= as_of)
        repairs_in_time = _count(s, repair, _in(Ticket.completed_at, p), Ticket.completed_at <= as_of,
                                 Ticket.completed_at <= Ticket.deadline_at)
        repairs_received = _count(s, repair, _in(Ticket.received_at, p))
        repairs_received_done = _count(s, repair, _in(Ticket.received_at, p), Ticket.completed_at <= as_of)
        complaints = _count(s, complaint, _in(Ticket.received_at, p))
        complaints_handled = _count(s, complaint, _in(Ticket.received_at, p), Ticket.handled_at <= as_of)
        handled_ids = s.execute(select(Ticket.received_at, Ticket.handled_at).where(
            Ticket.status != CANCELLED, complaint, _in(Ticket.received_at, p), Ticket.handled_at <= as_of)).all()
        complaints_timely = sum(1 for got, handled in handled_ids if handled - got <= COMPLAINT_HANDLING)
        needing = _count(s, Ticket.needs_revisit.is_(True), _in(Ticket.completed_at, p),
                         Ticket.completed_at <= as_of)
        revisited = _count(s, Ticket.needs_revisit.is_(True), _in(Ticket.completed_at, p),
                           Ticket.completed_at <= as_of, Revisit.done_at <= as_of, join_revisit=True)
        due_rows = s.execute(select(Revisit.due_at, Revisit.done_at).join(Ticket, Ticket.id == Revisit.ticket_id)
                             .where(Ticket.status != CANCELLED, _in(Revisit.due_at, p))).all()
        answered = s.execute(select(Revisit.result).join(Ticket, Ticket.id == Revisit.ticket_id).where(
            Ticket.status != CANCELLED, _in(Revisit.done_at, p), Revisit.done_at <= as_of, Revisit.result != "")
        ).scalars().all()
        effective = _count(s, complaint, _in(Ticket.received_at, p), Ticket.ruling == "有效",
                           Ticket.ruled_at <= as_of)
    return {
        "repair_timeliness": rate(repairs_in_time, repairs_completed),
        "repair_completion": rate(repairs_received_done, repairs_received),
        "complaint_timely_rate": rate(complaints_timely, complaints),
        "complaint_handled_rate": rate(complaints_handled, complaints),
        "revisit_rate": rate(revisited, needing),
        "revisit_timely_rate": rate(sum(1 for due, done in due_rows if done is not None and done <= due
                                        and done <= as_of), len(due_rows)),
        "satisfaction": rate(sum(1 for r in answered if r in SATISFIED), len(answered)),
        "effective_complaints": effective,
        "effective_complaint_rate": rate(effective, complaints),
    }


def as_json_values(figures: dict[str, Decimal | int | None]) -> dict[str, str | int | None]:
    """Rates as strings with 4 decimals (or null), counts as integers: the `propdesk kpi --json` form."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in figures.items()}
