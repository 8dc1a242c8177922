"""Read models of tickets: the boards (今日新增, 未完成, 即将超时/已超时, 待回访, 我的工单), a unit's open
tickets for intake, and the month's counts for the analysis page. Filtered, sorted and paged in SQL."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, Row, Select, and_, func, or_, select
from sqlalchemy.orm import aliased

from db.engine import read_session
from db.models import Building, Estate, Revisit, Ticket, TicketCategory, Unit, User
from db.types import utcnow
from services.estate.units import unit_code
from services.platform.auth import Actor, can, require
from services.platform.clock import SHANGHAI, local_today
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.period import Period
from services.platform.privacy import mask_mobile
from services.platform.scope import estate_clause
from services.tickets.statuses import TicketStatus
from services.tickets.workflow import OPEN

DUE_SOON = timedelta(hours=4)
BOARDS = ("today", "open", "deadline", "revisits", "mine", "all")

_assignee = aliased(User)
_responder = aliased(User)
_due = (select(func.min(Revisit.due_at)).where(Revisit.ticket_id == Ticket.id, Revisit.done_at.is_(None))
        .correlate(Ticket).scalar_subquery())

TICKET_COLUMNS = {
    "id": Ticket.id,
    "version": Ticket.version,
    "number": Ticket.number,
    "ticket_type": Ticket.ticket_type,
    "status": Ticket.status,
    "estate": Estate.name,
    "code": unit_code,
    "caller_name": Ticket.caller_name,
    "content": Ticket.content,
    "department": Ticket.department,
    "assignee": _assignee.display_name,
    "first_responder": _responder.display_name,
    "received_at": Ticket.received_at,
    "deadline_at": Ticket.deadline_at,
    "completed_at": Ticket.completed_at,
    "revisit_due_at": _due,
    "reopen_count": Ticket.reopen_count,
    "paid": Ticket.paid,
    "cost": Ticket.cost,
}


def _base(actor: Actor) -> Select[*tuple[Any, ...]]:
    """The board's columns over the tickets of the actor's estates."""
    return (select(*[c.label(n) for n, c in TICKET_COLUMNS.items()])
            .join(Estate, Estate.id == Ticket.estate_id)
            .outerjoin(Unit, Unit.id == Ticket.unit_id)
            .outerjoin(Building, Building.id == Unit.building_id)
            .outerjoin(_assignee, _assignee.id == Ticket.assignee_id)
            .outerjoin(_responder, _responder.id == Ticket.first_responder_id)
            .where(estate_clause(actor, Ticket.estate_id)))


def list_tickets(*, actor: Actor, query: ListQuery, board: str = "all") -> PageResult:
    """One page of a board. Filters: ticket_type, status, department, estate_id."""
    authorize_list(actor, "tickets.view", query)
    if board not in BOARDS:
        raise ValueError(board)
    now = utcnow()
    stmt = _base(actor)
    if board == "today":
        start = datetime.combine(local_today(), time.min, SHANGHAI)
        stmt = stmt.where(Ticket.received_at >= start, Ticket.received_at < start + timedelta(days=1))
    elif board == "open":
        stmt = stmt.where(Ticket.status.in_(OPEN))
    elif board == "deadline":
        stmt = stmt.where(Ticket.status.in_(OPEN), Ticket.deadline_at < now + DUE_SOON)
    elif board == "revisits":
        stmt = stmt.where(Ticket.status == TicketStatus.AWAITING_REVISIT)
    elif board == "mine":
        stmt = stmt.where(Ticket.status.in_(OPEN),
                          or_(Ticket.assignee_id == actor.user_id, Ticket.first_responder_id == actor.user_id))
    default_sort = {"today": ("received_at", True), "open": ("department", False), "deadline": ("deadline_at", False),
                    "revisits": ("revisit_due_at", False), "mine": ("deadline_at", False)}.get(board,
                                                                                            ("received_at", True))
    with read_session() as s:
        result = run_list(s, stmt, TICKET_COLUMNS, query,
                          search_columns=[Ticket.number, Ticket.content, Ticket.caller_name, Ticket.caller_phone,
                                          unit_code],
                          equal_filters={"ticket_type": Ticket.ticket_type, "status": Ticket.status,
                                         "department": Ticket.department, "estate_id": Ticket.estate_id},
                          default_sort=default_sort)
    df = result.rows
    df["assignee"] = df["assignee"].fillna("")
    df["first_responder"] = df["first_responder"].fillna("")
    df["code"] = df["code"].fillna("")
    return result


def board_counts(*, actor: Actor) -> dict[str, int]:
    """How many tickets each board holds right now (the numbers on the board tabs)."""
    require(actor, "tickets.view")
    now = utcnow()
    start = datetime.combine(local_today(), time.min, SHANGHAI)
    with read_session() as s:
        def count(*where: ColumnElement[bool]) -> int:
            return s.scalar(select(func.count()).select_from(Ticket).where(*where, mine)) or 0

        mine = estate_clause(actor, Ticket.estate_id)

        return {
            "today": count(Ticket.received_at >= start, Ticket.received_at < start + timedelta(days=1)),
            "open": count(Ticket.status.in_(OPEN)),
            "overdue": count(Ticket.status.in_(OPEN), Ticket.deadline_at < now),
            "due_soon": count(Ticket.status.in_(OPEN), Ticket.deadline_at >= now,
                              Ticket.deadline_at < now + DUE_SOON),
            "revisits": count(Ticket.status == TicketStatus.AWAITING_REVISIT),
            "revisits_overdue": s.scalar(select(func.count()).select_from(Revisit).join(Ticket)
                                         .where(Ticket.status == TicketStatus.AWAITING_REVISIT, Revisit.done_at.is_(None),
                                                Revisit.due_at < now, mine)) or 0,
            "revisits_today": s.scalar(select(func.count()).select_from(Revisit).join(Ticket)
                                       .where(Ticket.status == TicketStatus.AWAITING_REVISIT, Revisit.done_at.is_(None),
                                              Revisit.due_at >= now, Revisit.due_at < start + timedelta(days=1),
                                              mine))
            or 0,
            "mine": count(Ticket.status.in_(OPEN), or_(Ticket.assignee_id == actor.user_id,
                                                       Ticket.first_responder_id == actor.user_id)),
        }


RULING_WINDOW = timedelta(days=92)


def complaints_to_rule(*, actor: Actor, limit: int = 10) -> tuple[int, pd.DataFrame]:
    """Complaints of the last three months handled and not yet ruled 有效/无效 (the 有效投诉 of a month counts
    rulings, so an unruled complaint is a figure still open): how many, and the oldest `limit` of them."""
    require(actor, "tickets.view")
    since = utcnow() - RULING_WINDOW
    waiting = and_(Ticket.ticket_type == "投诉", Ticket.ruling == "", Ticket.received_at >= since,
                   Ticket.status.in_((TicketStatus.COMPLETED, TicketStatus.AWAITING_REVISIT, TicketStatus.CLOSED)))
    with read_session() as s:
        total = s.scalar(select(func.count()).select_from(Ticket).where(waiting, estate_clause(actor, Ticket.estate_id))) or 0
        rows = s.execute(_base(actor).where(waiting).order_by(Ticket.received_at, Ticket.id).limit(limit)).all()
    return int(total), pd.DataFrame([tuple(r) for r in rows], columns=list(TICKET_COLUMNS), dtype=object)


def unit_open_tickets(*, actor: Actor, unit_id: int) -> pd.DataFrame:
    """A unit's tickets not yet closed: shown at intake so the same leak is not taken twice."""
    require(actor, "tickets.view")
    with read_session() as s:
        rows = s.execute(select(Ticket.number, Ticket.ticket_type, Ticket.status, Ticket.content,
                                Ticket.received_at)
                         .where(Ticket.unit_id == unit_id, estate_clause(actor, Ticket.estate_id),
                                Ticket.status.in_((*OPEN, TicketStatus.COMPLETED, TicketStatus.AWAITING_REVISIT)))
                         .order_by(Ticket.received_at.desc())).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["number", "ticket_type", "status", "content",
                                                           "received_at"], dtype=object)


def month_counts(*, actor: Actor, period: Period, by: str) -> pd.DataFrame:
    """Tickets received in the month (cancelled excluded) counted by type, category, department, channel or
    building."""
    require(actor, "tickets.view")
    column = {"ticket_type": Ticket.ticket_type, "department": Ticket.department, "channel": Ticket.channel,
              "building": func.coalesce(Estate.name.concat(" ").concat(Building.name), Estate.name),
              "category": func.coalesce(TicketCategory.place.concat(" · ").concat(TicketCategory.problem),
                                        "未分类")}[by]
    with read_session() as s:
        # SQLAlchemy types .label() of a SQLColumnExpression as Label[Never]; the keys are text
        rows: Sequence[Row[str, int]] = s.execute(
            select(column.label("key"), func.count(Ticket.id))
            .join(Estate, Estate.id == Ticket.estate_id)
            .outerjoin(Unit, Unit.id == Ticket.unit_id).outerjoin(Building, Building.id == Unit.building_id)
            .outerjoin(TicketCategory, TicketCategory.id == Ticket.category_id)
            .where(and_(Ticket.received_at >= period.start, Ticket.received_at < period.end),
                   Ticket.status != TicketStatus.CANCELLED, estate_clause(actor, Ticket.estate_id))
            .group_by(column).order_by(func.count(Ticket.id).desc())
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["key", "count"], dtype=object)


@dataclass(frozen=True)
class TicketDetail:
    """One ticket for the detail panel: the board's columns, with its unit code, 有偿/无偿 `paid` and 费用 `cost`."""

    id: int
    version: int
    number: str
    ticket_type: str
    status: str
    estate: str
    code: str | None
    caller_name: str
    content: str
    department: str
    assignee: str | None
    first_responder: str | None
    received_at: datetime
    deadline_at: datetime
    completed_at: datetime | None
    revisit_due_at: datetime | None
    reopen_count: int
    paid: bool
    cost: Decimal
    channel: str
    caller_phone: str
    urgency: str
    ruling: str
    needs_revisit: bool
    handled_at: datetime | None


def ticket_detail(*, actor: Actor, ticket_id: int) -> TicketDetail | None:
    """One ticket for the detail panel, or None when there is no such ticket."""
    require(actor, "tickets.view")
    with read_session() as s:
        row = s.execute(_base(actor).where(Ticket.id == ticket_id)).first()
        if row is None:
            return None
        extra = s.execute(select(Ticket.channel, Ticket.caller_phone, Ticket.urgency, Ticket.ruling,
                                 Ticket.needs_revisit, Ticket.handled_at, Ticket.assignee_id,
                                 Ticket.first_responder_id).where(Ticket.id == ticket_id)).one()
    fields: dict[str, Any] = dict(zip(TICKET_COLUMNS, row, strict=True))
    fields.update(zip(("channel", "caller_phone", "urgency", "ruling", "needs_revisit", "handled_at"), extra[:6],
                      strict=True))
    # the caller's number in full to whoever calls back (the assignee, the first responder) or holds people.reveal
    if not (can(actor, "people.reveal") or (actor.user_id is not None and actor.user_id in tuple(extra[6:]))):
        fields["caller_phone"] = mask_mobile(fields["caller_phone"] or "")
    return TicketDetail(**fields)
