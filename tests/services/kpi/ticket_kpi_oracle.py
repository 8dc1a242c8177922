"""The ticket figures as PropDesk computed them before issue 14: every ticket of the month loaded into Python and
each KPI evaluated with lambdas. Kept verbatim (renamed oracle_*) as the oracle the SQL figures of
services/tickets/figures.py must equal; not used by the application."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.orm import QueryableAttribute

from db.engine import read_session
from db.models import Revisit, Ticket
from db.types import utcnow
from services.kpi import TICKET_KPI_KEYS, TicketScope
from services.platform.period import Period
from services.platform.rates import rate
from services.tickets.statuses import TicketStatus

COMPLAINT_HANDLING = timedelta(hours=24)
SATISFIED = ("满意", "基本满意")
CANCELLED = TicketStatus.CANCELLED
REPAIR, COMPLAINT = "报修", "投诉"


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


def _facts(period: Period, scope: TicketScope | None = None
           ) -> tuple[list[TicketFact], list[RevisitFact], dict[int, list[datetime]]]:
    """Tickets received or completed in the period and revisits due or done in it (cancelled excluded)."""
    in_p: Callable[[QueryableAttribute[datetime | None]], ColumnElement[bool]] = (  # noqa: E731
        lambda col: and_(col >= period.start, col < period.end))
    within_scope = (scope or TicketScope()).where()
    with read_session() as s:
        # SQLAlchemy types a 10-column select as "these 10 columns and maybe more", so *r may look too long
        tickets = [TicketFact(*r) for r in s.execute(  # type: ignore[call-arg]  # 10 columns, see above
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
                done.setdefault(ticket_id, []).append(cast(datetime, at))  # not None: the query excludes it
    return tickets, revisits, done


def _definitions(period: Period, as_of: datetime, done: dict[int, list[datetime]]
                 ) -> dict[str, tuple[str, Callable[[Any], bool], Callable[[Any], bool]]]:
    """key -> (subject: 'ticket' or 'revisit', in the denominator?, in the numerator?) exactly as KPI.md says."""

    def within(moment: datetime | None) -> bool:
        return moment is not None and period.start <= moment < period.end

    def by(moment: datetime | None) -> bool:
        return moment is not None and moment <= as_of

    repair: Callable[[TicketFact], bool] = lambda t: t.ticket_type == REPAIR  # noqa: E731
    complaint: Callable[[TicketFact], bool] = lambda t: t.ticket_type == COMPLAINT  # noqa: E731
    completed_in_p: Callable[[TicketFact], bool] = (  # noqa: E731
        lambda t: within(t.completed_at) and by(t.completed_at))
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


def oracle_ticket_kpis(period: str | Period, *, as_of: datetime | None = None,
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


def oracle_ticket_kpi_evidence(period: str | Period, key: str, *, as_of: datetime | None = None,
                        scope: TicketScope | None = None) -> pd.DataFrame:
    """The tickets (or revisits) behind one figure: every row of its denominator, marked when it counts (object
    columns: a time not reached stays None, never NaT)."""
    p = period if isinstance(period, Period) else Period.parse(period)
    as_of = as_of or utcnow()
    tickets, revisits, done = _facts(p, scope)
    definitions = _definitions(p, as_of, done)
    if key == "effective_complaints":
        key = "effective_complaint_rate"
    subject, in_denominator, in_numerator = definitions[key]
    # TicketFacts or RevisitFacts, as `subject` says (the revisit fields are read only for revisits)
    rows: list[Any] = [r for r in (tickets if subject == "ticket" else revisits) if in_denominator(r)]
    columns = ["number", "counts", *(("ticket_type", "received_at", "deadline_at", "completed_at", "handled_at")
                                     if subject == "ticket" else ("due_at", "done_at", "result"))]
    return pd.DataFrame([{"number": r.number, "counts": bool(in_numerator(r)), **{
        k: getattr(r, k) for k in columns[2:]}} for r in rows], columns=columns, dtype=object)
