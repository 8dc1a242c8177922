"""Tickets 报事: intake, dispatch, handling, revisits 回访, complaint rulings — a status machine with a timeline.

Invariants:
- a ticket number (BX20261122-007: type prefix, local receiving date, daily sequence) comes from a
  counter row locked in the intake transaction: unique and without gaps, even with several desks;
- `received_at` is when the caller actually reported it (a night-duty ticket entered next morning
  keeps the night time); who entered it and when is kept apart;
- the deadline is fixed at intake from the SLA policy then in force; changing a policy later never
  moves old deadlines;
- every step is one transaction with one TicketEvent (the timeline) and one audit row; which role may
  make which move is the MOVES table, and a move not in it is refused in Chinese;
- the first responder 首问责任人 is the user who took the ticket and stays so until it is closed;
- photos (services/tickets/photos) come with the intake or later through `add_photos`, in the same
  transaction as their timeline entry and audit row; a refused batch writes nothing;
- 有偿/无偿 and 费用 are set by the 完成 move: cost is money (not negative, two decimals at most), and a
  cost above zero only for paid work; paid work needs its cost. Without either, 完成 keeps what was there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Estate, Revisit, SlaPolicy, Staff, Ticket, TicketCategory, TicketEvent, Unit
from db.types import utcnow
from services.platform import audit
from services.platform.auth import Actor, Role, require
from services.platform.clock import SHANGHAI
from services.platform.counters import advance
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.scope import estate_clause, in_scope
from services.platform.users import assignees
from services.platform.validate import (
    choice_of,
    collect,
    collect_text,
    parse_choice,
    parse_hundredths,
    parse_text,
)
from services.tickets import photos as ticket_photos
from services.tickets import statuses, workdays
from services.tickets.statuses import TicketStatus

TYPES = ("报修", "投诉", "咨询", "建议", "求助", "表扬")
PREFIX = {"报修": "BX", "投诉": "TS", "咨询": "ZX", "建议": "JY", "求助": "QZ", "表扬": "BY"}
CHANNELS = ("电话", "来访", "微信", "APP", "网络平台", "夜间值班", "巡查发现")
DEPARTMENTS = ("工程", "保洁", "安保", "绿化", "客服")
URGENCIES = ("普通", "紧急")
OPEN = statuses.OPEN
REVISIT_METHODS = ("电话", "上门")
REVISIT_RESULTS = ("满意", "基本满意", "不满意")
REPAIR_REVISIT_AFTER = timedelta(hours=24)
COMPLAINT_REVISIT_WORKING_DAYS = 3

_DESK = frozenset({Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.CLERK})
_HANDLERS = frozenset({Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.ENGINEER, Role.CLERK})

# move -> (statuses it starts from, status it leads to (None: unchanged), roles allowed)
_S = TicketStatus
_SENIOR = frozenset({Role.ADMIN, Role.MANAGER, Role.SERVICE})
MOVES: dict[str, tuple[tuple[str, ...], str | None, frozenset[Role]]] = {
    "dispatch": ((_S.PENDING, _S.DISPATCHED), _S.DISPATCHED, _DESK),
    "accept": ((_S.DISPATCHED,), _S.IN_HAND, _HANDLERS),
    "note": ((_S.PENDING, _S.DISPATCHED, _S.IN_HAND, _S.COMPLETED, _S.AWAITING_REVISIT), None, _HANDLERS),
    "complete": ((_S.PENDING, _S.DISPATCHED, _S.IN_HAND), _S.COMPLETED, _HANDLERS),
    "revisit": ((_S.AWAITING_REVISIT,), _S.CLOSED, _DESK),
    "close": ((_S.COMPLETED,), _S.CLOSED, _DESK),
    "reopen": ((_S.COMPLETED, _S.AWAITING_REVISIT, _S.CLOSED), _S.IN_HAND, _SENIOR),
    "cancel": (statuses.OPEN, _S.CANCELLED, _SENIOR),
}
MOVE_LABELS = {"dispatch": "派单", "accept": "接单", "note": "处理进展", "complete": "完成", "revisit": "回访",
               "close": "关闭", "reopen": "重新处理", "cancel": "撤销", "create": "受理", "rule": "投诉定性",
               "revisit_due": "待回访", "photo": "照片"}
MAX_COST = Decimal("999999.99")


@dataclass(frozen=True)
class Intake:
    ticket_type: str
    channel: str
    estate_id: int
    unit_id: int | None
    caller_name: str
    caller_phone: str
    content: str
    received_at: datetime
    category_id: int | None = None
    urgency: str = "普通"
    department: str = "客服"


def _sla(session: Session, ticket_type: str, category_id: int | None) -> SlaPolicy | None:
    stmt = select(SlaPolicy).where(SlaPolicy.ticket_type == ticket_type, SlaPolicy.active.is_(True))
    rows = list(session.scalars(stmt))
    # typed with None so that the fallback [None] below makes one list type
    exact: list[SlaPolicy | None] = [p for p in rows
                                     if p.category_id == category_id and category_id is not None]
    general: list[SlaPolicy | None] = [p for p in rows if p.category_id is None]
    return (exact or general or [None])[0]


def _next_number(session: Session, ticket_type: str, received_at: datetime) -> str:
    """The day's next number for the type, from its counter (locked until the intake commits)."""
    return next_numbers(session, ticket_type, received_at, 1)[0]


def number_day(ticket_type: str, received_at: datetime) -> str:
    """What a ticket's number counts within: its type and its local receiving day (e.g. "BX20261207")."""
    return f"{PREFIX[ticket_type]}{received_at.astimezone(SHANGHAI).strftime('%Y%m%d')}"


def next_numbers(session: Session, ticket_type: str, received_at: datetime, count: int) -> list[str]:
    """The next `count` numbers of the type's day, in order, from one advance of its counter (an import numbers a
    day's tickets at once instead of one statement pair per ticket)."""
    day = number_day(ticket_type, received_at)
    last = advance(session, f"ticket:{day}", by=count)
    return [f"{day}-{value:03d}" for value in range(last - count + 1, last + 1)]


def _event(session: Session, actor: Actor, ticket: Ticket, kind: str, before: str, note: str = "",
           at: datetime | None = None) -> None:
    session.add(TicketEvent(ticket_id=ticket.id, at=at or utcnow(), actor_user_id=actor.user_id,
                            actor_name=actor.display_name, kind=kind, status_from=before,
                            status_to=ticket.status, note=note))


def validate_intake(intake: Intake, now: datetime) -> dict[str, str]:
    """The intake's problems by field label (`_parsed` gives its values as stored when there are none)."""
    errors: dict[str, str] = {}
    kind = collect(errors, "类型", intake.ticket_type, lambda v: parse_choice(v, TYPES))
    for label, raw, choices, message in (("渠道", intake.channel, CHANNELS, ""),
                                         ("处理部门", intake.department, DEPARTMENTS, ""),
                                         ("紧急程度", intake.urgency, URGENCIES, "应为 普通 或 紧急")):
        collect(errors, label, raw, choice_of(choices, message))
    collect_text(errors, "来电人", intake.caller_name, 64)
    collect_text(errors, "联系电话", intake.caller_phone, 20)
    if not collect_text(errors, "内容", intake.content, 1000) and "内容" not in errors:
        errors["内容"] = "必填：请记录报事内容"
    if intake.unit_id is None and kind in ("报修", "投诉"):
        errors["房屋"] = "报修和投诉必须选择房屋"
    if intake.received_at.tzinfo is None:
        errors["受理时间"] = "缺少时区"
    elif intake.received_at > now + timedelta(minutes=1):
        errors["受理时间"] = "不能晚于现在"
    elif intake.received_at < now - timedelta(days=31):
        errors["受理时间"] = "不能早于 31 天前（历史工单请用导入）"
    return errors


def _parsed(intake: Intake) -> Intake:
    """An intake validate_intake found no problem in, with its values as stored (stripped)."""
    return replace(intake, ticket_type=parse_choice(intake.ticket_type, TYPES),
                   channel=parse_choice(intake.channel, CHANNELS), department=parse_choice(intake.department, DEPARTMENTS),
                   urgency=parse_choice(intake.urgency, URGENCIES), caller_name=parse_text(intake.caller_name, max_len=64),
                   caller_phone=parse_text(intake.caller_phone, max_len=20),
                   content=parse_text(intake.content, max_len=1000))


def take(*, actor: Actor, intake: Intake, photos: Sequence[tuple[str, bytes]] | None = None) -> tuple[int, str]:
    """受理: register a ticket with its deadline, number and optional photos; the actor becomes its first responder."""
    require(actor, "tickets.take")
    now = utcnow()
    errors = validate_intake(intake, now)
    try:
        files = ticket_photos.check_photos(photos)
    except ValidationError as exc:
        errors.update(exc.errors)
        files = []
    if errors:
        raise ValidationError(errors)
    intake = _parsed(intake)
    with unit_of_work() as uow:
        s = uow.session
        if s.get(Estate, intake.estate_id) is None or not in_scope(actor, intake.estate_id):
            raise ValidationError({"小区": "不存在"})
        if intake.unit_id is not None:
            unit = s.get(Unit, intake.unit_id)
            if unit is None or unit.estate_id != intake.estate_id:
                raise ValidationError({"房屋": "不存在或不属于所选小区"})
        policy = _sla(s, intake.ticket_type, intake.category_id)
        if policy is None:
            raise Conflict(f"没有“{intake.ticket_type}”的时限规定，请系统管理员先设置")
        if policy.unit == "hours":
            deadline_at = workdays.deadline(intake.received_at, hours=policy.amount)
        else:
            deadline_at = workdays.deadline(intake.received_at, working_days=policy.amount)
        ticket = Ticket(
            number=_next_number(s, intake.ticket_type, intake.received_at), ticket_type=intake.ticket_type,
            channel=intake.channel, estate_id=intake.estate_id, unit_id=intake.unit_id,
            caller_name=intake.caller_name, caller_phone=intake.caller_phone,
            content=intake.content, category_id=intake.category_id, urgency=intake.urgency,
            received_at=intake.received_at, entered_at=now, entered_by=actor.user_id,
            first_responder_id=actor.user_id, department=intake.department, status=TicketStatus.PENDING,
            deadline_at=deadline_at, needs_revisit=policy.needs_revisit,
        )
        s.add(ticket)
        s.flush()
        late_entry = now - intake.received_at > timedelta(minutes=30)
        note = f"{intake.channel}受理" + (f"（{actor.display_name}于事后补录）" if late_entry else "")
        if files:
            note += f"，附照片 {len(files)} 张"
        _event(s, actor, ticket, "create", "", note, at=intake.received_at)
        photo_ids = ticket_photos.attach(s, actor, ticket.id, files, now)
        audit.record(s, actor, "create", "tickets", ticket.id, None,
                     {"number": ticket.number, "type": ticket.ticket_type, "unit_id": ticket.unit_id,
                      "received_at": ticket.received_at, "deadline_at": deadline_at}
                     | ({"photos": _photo_summary(files, photo_ids)} if files else {}))
        uow.commit()
        return ticket.id, ticket.number


def _photo_summary(files: Sequence[ticket_photos.PhotoFile],
                   ids: Sequence[int]) -> list[dict[str, int | str]]:
    return [{"id": i, "filename": f.filename, "size": len(f.data)} for f, i in zip(files, ids, strict=True)]


def add_photos(*, actor: Actor, ticket_id: int, photos: Sequence[tuple[str, bytes]]) -> list[int]:
    """添加照片: photos of the problem or the finished work, with a timeline entry; returns the new photos' ids."""
    require(actor, "tickets.handle")
    if not photos:
        raise ValidationError({ticket_photos.FIELD: "请选择要添加的照片"})
    ticket_photos.check_photos(photos)  # the files themselves, before any lock is taken
    with unit_of_work() as uow:
        s = uow.session
        # Locked: two people adding photos at once cannot together pass the limit per ticket.
        ticket = s.get(Ticket, ticket_id, with_for_update=True)
        if ticket is None or not in_scope(actor, ticket.estate_id):
            raise NotFound("工单不存在")
        starts, _, roles = MOVES["note"]  # photos go where a progress note may go
        if Role(actor.role) not in roles:
            raise PermissionDenied("为工单添加照片")
        if ticket.status not in starts:
            raise Conflict(f"工单 {ticket.number} 当前为{ticket.status}，不能添加照片")
        files = ticket_photos.check_photos(photos, already=ticket_photos.count(s, ticket.id))
        now = utcnow()
        ids = ticket_photos.attach(s, actor, ticket.id, files, now)
        _event(s, actor, ticket, "photo", ticket.status,
               f"添加照片 {len(files)} 张：" + "、".join(f.filename for f in files), at=now)
        audit.record(s, actor, "photo", "tickets", ticket.id, None, {"photos": _photo_summary(files, ids)})
        uow.commit()
        return ids


def _paid_and_cost(paid: bool | None, cost: Decimal | str | None) -> tuple[bool, Decimal]:
    """有偿/无偿 and 费用 of a completion, checked; refusals name 费用."""
    errors: dict[str, str] = {}
    value = collect(errors, "费用", cost, lambda v: parse_hundredths(v, min_value=Decimal("0"), max_value=MAX_COST),
                    required=False, default=Decimal("0.00")) or Decimal("0.00")
    if errors:
        raise ValidationError(errors)
    if not paid and value > 0:
        raise ValidationError({"费用": "无偿服务不收费用：费用大于 0 时请选择有偿"})
    if paid and value == 0:
        raise ValidationError({"费用": "有偿服务请填写大于 0 的费用"})
    return bool(paid), value


def _load(session: Session, actor: Actor, ticket_id: int, version: int) -> Ticket:
    # Locked: a second desk on the same version waits here and then sees the new version (StaleEdit),
    # instead of failing in its versioned UPDATE with SQLAlchemy's StaleDataError.
    ticket = session.get(Ticket, ticket_id, with_for_update=True)
    if ticket is None or not in_scope(actor, ticket.estate_id):
        raise NotFound("工单不存在")
    if ticket.version != version:
        raise StaleEdit("该工单已被他人更新，请刷新后重试")
    return ticket


def _check_move(actor: Actor, ticket: Ticket, move: str) -> str | None:
    starts, leads_to, roles = MOVES[move]
    if Role(actor.role) not in roles:
        raise PermissionDenied(f"对工单执行“{MOVE_LABELS[move]}”")
    if ticket.status not in starts:
        raise Conflict(f"工单 {ticket.number} 当前为{ticket.status}，不能{MOVE_LABELS[move]}")
    return leads_to


NOT_ASSIGNABLE = "只能派给负责本工单所在小区的在职人员（维修工程、客服专员、内勤或客服主管）"


def assignee_options(*, actor: Actor, ticket_id: int) -> dict[int, str]:
    """The 处理人 picker of 派单: {user id: '姓名（角色）'} of the active 维修工程, 客服专员, 内勤 and 客服主管 who
    work in the ticket's estate (every estate, or it among theirs), the only ones `move` dispatches to: someone
    else could neither see nor take the ticket. This holds whoever dispatches, a user of every estate too."""
    require(actor, "tickets.view")
    with read_session() as s:
        estate_id = s.scalar(select(Ticket.estate_id).where(Ticket.id == ticket_id,
                                                            estate_clause(actor, Ticket.estate_id)))
        if estate_id is None:
            raise NotFound("工单不存在")
        return assignees(s, estate_id)


def move(*, actor: Actor, ticket_id: int, version: int, action: str, note: str = "",
         assignee_id: int | None = None, department: str | None = None, at: datetime | None = None,
         paid: bool | None = None, cost: Decimal | str | None = None) -> None:
    """One step of the status machine (派单, 接单, 进展, 完成, 关闭, 重新处理, 撤销) with its timeline entry;
    完成 may state 有偿/无偿 (`paid`) and 费用 (`cost`)."""
    require(actor, "tickets.handle")
    if action not in MOVES or action == "revisit":
        raise ValidationError({"操作": "未知的操作"})
    charge = None
    if paid is not None or cost is not None:
        if action != "complete":
            raise ValidationError({"费用": "有偿/无偿和费用只在完成时填写"})
        charge = _paid_and_cost(paid, cost)
    errors: dict[str, str] = {}
    note = collect_text(errors, "说明", note, 1000)
    if errors:
        raise ValidationError(errors)
    if charge is not None and charge[0]:  # the timeline says what was charged
        charged = f"有偿，费用 ¥{charge[1]:,.2f}"
        note = f"{note}（{charged}）" if note else charged
    if len(note) > 1000:
        raise ValidationError({"说明": "不能超过 1000 个字符" + ("（含费用说明）" if charge else "")})
    if action in ("cancel", "reopen", "note") and not note:
        raise ValidationError({"说明": f"{MOVE_LABELS[action]}必须写明原因或内容"})
    now = utcnow()
    when = at or now
    if when > now + timedelta(minutes=1):
        raise ValidationError({"时间": "不能晚于现在"})
    with unit_of_work() as uow:
        s = uow.session
        ticket = _load(s, actor, ticket_id, version)
        leads_to = _check_move(actor, ticket, action)
        if when < ticket.received_at:
            raise ValidationError({"完成时间" if action == "complete" else "时间": "不能早于受理时间"})
        before = ticket.status
        charged_before: dict[str, Any] = {}
        if action == "dispatch":
            if department is not None and department not in DEPARTMENTS:
                raise ValidationError({"处理部门": "应为以下之一：" + "、".join(DEPARTMENTS)})
            ticket.department = department or ticket.department
            if assignee_id is not None and not assignees(s, ticket.estate_id, assignee_id):
                raise ValidationError({"处理人": NOT_ASSIGNABLE})
            ticket.assignee_id = assignee_id
        if action == "complete":
            ticket.completed_at = when
            if ticket.ticket_type == "投诉" and ticket.handled_at is None:
                ticket.handled_at = when
            if charge is not None:
                charged_before = {"paid": ticket.paid, "cost": ticket.cost}
                ticket.paid, ticket.cost = charge
        if action == "note" and ticket.ticket_type == "投诉" and ticket.handled_at is None:
            ticket.handled_at = when  # the first documented handling reply
        if action == "reopen":
            ticket.reopen_count += 1
            ticket.completed_at = None
            ticket.closed_at = None
            for r in s.scalars(select(Revisit).where(Revisit.ticket_id == ticket.id, Revisit.done_at.is_(None))):
                s.delete(r)  # a revisit is due again only after the next completion
        if action == "close":
            ticket.closed_at = when
        if action == "cancel":
            ticket.cancelled_at = when
        if leads_to is not None:
            ticket.status = leads_to
        s.flush()
        _event(s, actor, ticket, action, before, note, at=when)
        if action == "complete" and ticket.needs_revisit:
            ticket.status = TicketStatus.AWAITING_REVISIT
            s.add(Revisit(ticket_id=ticket.id, due_at=_revisit_due(ticket)))
            s.flush()
            _event(s, actor, ticket, "revisit_due", TicketStatus.COMPLETED, "", at=when)
        audit.record(s, actor, action, "tickets", ticket.id,
                     {"status": before} | charged_before,
                     {"status": ticket.status, "note": note, "assignee_id": ticket.assignee_id}
                     | ({"paid": ticket.paid, "cost": ticket.cost} if charge is not None else {}))
        uow.commit()


def _revisit_due(ticket: Ticket) -> datetime:
    # called on completion only: move() has just set completed_at (and handled_at of a complaint)
    if ticket.ticket_type == "投诉":
        return workdays.deadline(cast(datetime, ticket.handled_at or ticket.completed_at),
                                 working_days=COMPLAINT_REVISIT_WORKING_DAYS)
    return cast(datetime, ticket.completed_at) + REPAIR_REVISIT_AFTER


def record_revisit(*, actor: Actor, ticket_id: int, version: int, method: str, result: str, comment: str = "",
                   at: datetime | None = None) -> None:
    """回访: method, result and comment; the ticket closes (不满意 can then be reopened)."""
    require(actor, "tickets.handle")
    errors: dict[str, str] = {}
    method = collect(errors, "回访方式", method, choice_of(REVISIT_METHODS, "应为 电话 或 上门")) or ""
    result = collect(errors, "回访结果", result, choice_of(REVISIT_RESULTS, "应为 满意、基本满意 或 不满意")) or ""
    comment = collect_text(errors, "回访意见", comment, 500)
    if result == "不满意" and not comment and "回访意见" not in errors:
        errors["回访意见"] = "不满意时请记录业主的意见"
    now = utcnow()
    when = at or now
    if when > now + timedelta(minutes=1):
        errors["回访时间"] = "不能晚于现在"
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        ticket = _load(s, actor, ticket_id, version)
        _check_move(actor, ticket, "revisit")
        if ticket.completed_at and when < ticket.completed_at:
            raise ValidationError({"回访时间": "不能早于完成时间"})
        revisit = s.scalar(select(Revisit).where(Revisit.ticket_id == ticket.id, Revisit.done_at.is_(None)))
        if revisit is None:
            raise Conflict("该工单没有待办的回访")
        revisit.done_at, revisit.method, revisit.result = when, method, result
        revisit.comment, revisit.done_by = comment, actor.user_id
        before = ticket.status
        ticket.status = TicketStatus.CLOSED
        ticket.closed_at = when
        s.flush()
        _event(s, actor, ticket, "revisit", before, f"{method}回访：{result}" + (f"，{comment}" if comment
                                                                              else ""), at=when)
        audit.record(s, actor, "revisit", "tickets", ticket.id, {"status": before},
                     {"status": TicketStatus.CLOSED, "method": method, "result": result})
        uow.commit()


def rule_complaint(*, actor: Actor, ticket_id: int, version: int, effective: bool,
                   responsible_staff_id: int | None, note: str = "") -> None:
    """投诉定性: a manager rules a complaint 有效 (naming the staff member responsible) or 无效."""
    require(actor, "tickets.rule")
    if effective and responsible_staff_id is None:
        raise ValidationError({"责任人": "有效投诉必须指定责任人"})
    errors: dict[str, str] = {}
    note = collect_text(errors, "说明", note, 500)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        ticket = _load(s, actor, ticket_id, version)
        if ticket.ticket_type != "投诉":
            raise Conflict("只有投诉需要定性")
        if ticket.status == TicketStatus.CANCELLED:
            raise Conflict("已撤销的投诉不能定性")
        if responsible_staff_id is not None and s.get(Staff, responsible_staff_id) is None:
            raise ValidationError({"责任人": "员工不存在"})
        before = {"ruling": ticket.ruling, "ruling_staff_id": ticket.ruling_staff_id}
        ticket.ruling = "有效" if effective else "无效"
        ticket.ruling_staff_id = responsible_staff_id if effective else None
        ticket.ruled_at = utcnow()
        s.flush()
        _event(s, actor, ticket, "rule", ticket.status, f"定性为{ticket.ruling}" + (f"：{note}" if note else ""))
        audit.record(s, actor, "rule", "tickets", ticket.id, before,
                     {"ruling": ticket.ruling, "ruling_staff_id": ticket.ruling_staff_id})
        uow.commit()


@dataclass(frozen=True)
class TimelineStep:
    """One step of a ticket's timeline: when, which move (its label), who, the status before and after, the note."""

    at: datetime
    kind: str
    actor: str
    status_from: str
    status_to: str
    note: str


def timeline(*, actor: Actor, ticket_id: int) -> list[TimelineStep]:
    """Every step of a ticket, oldest first."""
    require(actor, "tickets.view")
    with read_session() as s:
        rows = s.execute(select(TicketEvent).join(Ticket, Ticket.id == TicketEvent.ticket_id)
                         .where(TicketEvent.ticket_id == ticket_id, estate_clause(actor, Ticket.estate_id))
                         .order_by(TicketEvent.at, TicketEvent.id)).scalars().all()
        # Times typed into a form have minute precision (the dialogs drop the seconds), times the service
        # stamps itself do not: within one minute, keep the order in which the steps were made.
        rows = sorted(rows, key=lambda e: (e.at.replace(second=0, microsecond=0), e.id))
        return [TimelineStep(e.at, MOVE_LABELS.get(e.kind, e.kind), e.actor_name, e.status_from, e.status_to,
                             e.note) for e in rows]


DEFAULT_POLICIES = (
    # type, unit, amount, needs revisit (seed rules: complaints within 24 hours; repairs and complaints revisited)
    ("报修", "hours", 24, True),
    ("投诉", "hours", 24, True),
    ("咨询", "hours", 4, False),
    ("建议", "working_days", 3, False),
    ("求助", "hours", 2, False),
    ("表扬", "working_days", 3, False),
)


def seed_policies(session: Session) -> int:
    """The seed SLA table (inside the caller's transaction); types already present are kept."""
    present = set(session.scalars(select(SlaPolicy.ticket_type).where(SlaPolicy.category_id.is_(None))))
    added = 0
    for ticket_type, unit, amount, needs_revisit in DEFAULT_POLICIES:
        if ticket_type not in present:
            session.add(SlaPolicy(ticket_type=ticket_type, category_id=None, unit=unit, amount=amount,
                                  needs_revisit=needs_revisit))
            added += 1
    return added


DEFAULT_CATEGORIES = tuple(
    (place, problem)
    for place, problems in (
        ("户内", ("给排水", "电路", "门窗", "墙面地面", "燃气")),
        ("公共区域", ("照明", "卫生", "噪音", "杂物堆放", "设施损坏")),
        ("电梯", ("故障", "困人")),
        ("停车场", ("车位占用", "照明", "道闸")),
        ("绿化", ("修剪", "病虫害")),
        ("安全", ("门禁", "消防", "可疑人员")),
    )
    for problem in problems
)


def seed_categories(session: Session) -> int:
    """The seed two-level classifier (inside the caller's transaction) when the table is empty."""
    if session.scalar(select(TicketCategory.id).limit(1)) is not None:
        return 0
    session.add_all(TicketCategory(place=place, problem=problem) for place, problem in DEFAULT_CATEGORIES)
    return len(DEFAULT_CATEGORIES)
