"""值班与交接班: each shift's log (events, calls, keys, incidents), handed over with its open items and confirmed by
the person who takes over, signed in as themselves.

Invariants:
- a log belongs to the signed-in user who opened it (the writer); only the writer adds to it, marks its items done
  and hands it over; a user has at most one log not yet handed over;
- a log is 值班中 until handed over (a summary, the moment, and the count of the lines still open), then 待接班 until
  another user confirms it (已接班). The writer confirming their own handover is refused: the rule is that the
  receiver confirms with their own sign-in;
- confirming copies every open line into the receiver's log (their log not yet handed over, or a new one for the shift
  of the moment), each copy pointing at the line it continues; the receiver's note and the count carried are audited;
- while a handover waits, nobody else opens a log for the same estate (or for the whole centre): they confirm it,
  which opens theirs. So an unconfirmed handover stays on the next shift's home until someone confirms it;
- shifts follow the seed's working hours: 白班 08:30–17:30, 夜班 17:30 to 08:30 the next morning (a night shift's
  day is the evening it starts);
- every change writes its audit row in its own transaction, or nothing is written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import String, case, cast, func, literal, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import DutyEntry, DutyShift, Estate
from db.types import utcnow
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.clock import SHANGHAI, local_today, to_local
from services.platform.editing import flush_or_stale
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.scope import in_scope, shared_clause
from services.platform.validate import choice_of, collect, collect_text, given_or, parse_choice, parse_date

SHIFTS = ("白班", "夜班")
DAY_START, DAY_END = time(8, 30), time(17, 30)  # seed: 上班时间 早8:30—17:30; the night duty covers the rest
ENTRY_KINDS = ("事件", "来电", "钥匙", "突发事件", "其他")
ON_DUTY, WAITING, TAKEN_OVER = "值班中", "待接班", "已接班"
STATUSES = (ON_DUTY, WAITING, TAKEN_OVER)
WHOLE_CENTRE = "全服务中心"  # a log kept for every estate at once (no estate)
EARLY_ENTRY = timedelta(hours=1)  # a line may be timed this long before its shift starts (arriving early)


def shift_of(moment: datetime) -> tuple[date, str]:
    """The shift a moment falls in: (its day, 白班 or 夜班); a night shift's day is the evening it started."""
    local = to_local(moment)
    if DAY_START <= local.time() < DAY_END:
        return local.date(), "白班"
    return (local.date() if local.time() >= DAY_END else local.date() - timedelta(days=1)), "夜班"


def shift_window(duty_on: date, shift: str) -> tuple[datetime, datetime]:
    """When a shift starts and ends (aware, Asia/Shanghai)."""
    if shift == "白班":
        return datetime.combine(duty_on, DAY_START, SHANGHAI), datetime.combine(duty_on, DAY_END, SHANGHAI)
    return (datetime.combine(duty_on, DAY_END, SHANGHAI),
            datetime.combine(duty_on + timedelta(days=1), DAY_START, SHANGHAI))






def _status_of(shift: DutyShift) -> str:
    if shift.handed_at is None:
        return ON_DUTY
    return WAITING if shift.confirmed_at is None else TAKEN_OVER


def _same_scope(estate_id: int | None) -> Any:
    return DutyShift.estate_id.is_(None) if estate_id is None else DutyShift.estate_id == estate_id


def _visible(actor: Actor, log: DutyShift) -> bool:
    """A log of one of the actor's estates, or of the whole centre (every user on duty may read and take it over)."""
    return log.estate_id is None or in_scope(actor, log.estate_id)


def _own_open_log(session: Session, actor: Actor) -> DutyShift | None:
    if actor.user_id is None:
        return None
    return session.scalar(select(DutyShift).where(DutyShift.writer_id == actor.user_id, DutyShift.handed_at.is_(None))
                          .order_by(DutyShift.id.desc()).limit(1))


def _writers_log(session: Session, actor: Actor, shift_id: int, version: int | None = None) -> DutyShift:
    """The actor's own log, not yet handed over (what adding, resolving and handing over need)."""
    log = session.get(DutyShift, shift_id)
    if log is None:
        raise NotFound("值班记录不存在")
    if version is not None and log.version != version:
        raise StaleEdit()
    if actor.user_id is None or log.writer_id != actor.user_id:
        raise Conflict(f"这是{log.writer_name}的值班记录：只有值班人本人可以登记和交班")
    if log.handed_at is not None:
        raise Conflict(f"该值班记录已于 {to_local(log.handed_at):%m-%d %H:%M} 交班，不能再修改")
    return log


# ---------------------------------------------------------------- opening a shift, its lines


def open_shift(*, actor: Actor, estate_id: int | None = None, shift: str | None = None,
               duty_on: date | None = None) -> int:
    """开始值班: a new log for the signed-in user (shift and day default to those of now)."""
    require(actor, "handover.write")
    errors: dict[str, str] = {}
    now_day, now_shift = shift_of(utcnow())
    if actor.user_id is None:
        errors["值班人"] = "须由值班人本人登录后开始值班"
    shift = collect(errors, "班次", given_or(shift, now_shift), choice_of(SHIFTS, "应为 白班 或 夜班")) or ""
    day = collect(errors, "值班日期", given_or(duty_on, now_day), parse_date)
    if day is not None and day > local_today():
        errors["值班日期"] = "不能晚于今天"
    elif day is not None and day < local_today() - timedelta(days=1):
        errors["值班日期"] = "只能是今天或昨天（昨晚的夜班）"
    with unit_of_work() as uow:
        s = uow.session
        if estate_id is not None and (s.get(Estate, estate_id) is None or not in_scope(actor, estate_id)):
            errors["小区"] = "不存在"
        if errors:
            raise ValidationError(errors)
        assert day is not None  # no error means a day was given or defaulted
        mine = _own_open_log(s, actor)
        if mine is not None:
            raise Conflict(f"你已有未交班的值班记录（{mine.duty_on.isoformat()} {mine.shift}），请先交班")
        waiting = s.scalar(select(DutyShift).where(_same_scope(estate_id), DutyShift.handed_at.is_not(None),
                                                   DutyShift.confirmed_at.is_(None),
                                                   DutyShift.writer_id != actor.user_id)
                           .order_by(DutyShift.handed_at.desc()).limit(1))
        if waiting is not None:
            assert waiting.handed_at is not None
            raise Conflict(f"{waiting.writer_name}于 {to_local(waiting.handed_at):%m-%d %H:%M} 交班，尚未确认接班："
                           "请先确认接班（确认后自动开始你的值班并带入未办结事项）")
        log = DutyShift(estate_id=estate_id, duty_on=day, shift=shift, writer_id=actor.user_id,
                        writer_name=actor.display_name, opened_at=utcnow())
        s.add(log)
        s.flush()
        audit.record(s, actor, "create", "duty_shifts", log.id, None,
                     {"estate_id": estate_id, "duty_on": day, "shift": shift})
        uow.commit()
        return log.id


def add_entry(*, actor: Actor, shift_id: int, at: datetime, kind: str, content: str, open_item: bool = False) -> int:
    """登记: one line of the actor's own log; `open_item` when it still needs action after this line."""
    require(actor, "handover.write")
    errors: dict[str, str] = {}
    kind = collect(errors, "类别", kind, lambda v: parse_choice(v, ENTRY_KINDS)) or ""
    content = collect_text(errors, "内容", content, 500, required=True)
    now = utcnow()
    if at is None or at.tzinfo is None:
        errors["时间"] = "应为带时区的时间"
    elif at > now + timedelta(minutes=1):
        errors["时间"] = "不能晚于现在"
    with unit_of_work() as uow:
        s = uow.session
        log = _writers_log(s, actor, shift_id)
        start, _ = shift_window(log.duty_on, log.shift)
        if "时间" not in errors and at < start - EARLY_ENTRY:
            errors["时间"] = f"应在本班次内（{to_local(start):%m-%d %H:%M} 开始）"
        if errors:
            raise ValidationError(errors)
        entry = DutyEntry(shift_id=log.id, at=at, kind=kind, content=content, open_item=bool(open_item),
                          recorded_by=actor.display_name)
        s.add(entry)
        s.flush()
        audit.record(s, actor, "create", "duty_entries", entry.id, None,
                     {"shift_id": log.id, "at": at, "kind": kind, "content": content, "open_item": bool(open_item)})
        uow.commit()
        return entry.id


def resolve_entry(*, actor: Actor, entry_id: int, version: int, note: str = "") -> None:
    """办结: an open line of the actor's own log is done (with what was done)."""
    require(actor, "handover.write")
    errors: dict[str, str] = {}
    note = collect_text(errors, "办结说明", note, 200)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        entry = s.get(DutyEntry, entry_id)
        if entry is None:
            raise NotFound("值班事项不存在")
        if entry.version != version:
            raise StaleEdit()
        _writers_log(s, actor, entry.shift_id)
        if not entry.open_item:
            raise Conflict("该事项已办结")
        entry.open_item, entry.resolved_at, entry.resolved_note = False, utcnow(), note
        flush_or_stale(s)
        audit.record(s, actor, "resolve", "duty_entries", entry.id, {"open_item": True},
                     {"open_item": False, "note": note})
        uow.commit()


# ---------------------------------------------------------------- handing over and taking over


@dataclass(frozen=True)
class Handover:
    shift_id: int
    version: int
    handed_at: datetime
    open_items: int


def hand_over(*, actor: Actor, shift_id: int, version: int, summary: str) -> Handover:
    """交班: the writer closes their log with a summary; its open lines wait for the receiver."""
    require(actor, "handover.write")
    errors: dict[str, str] = {}
    summary = collect_text(errors, "交班小结", summary, 1000, required=True)
    with unit_of_work() as uow:
        s = uow.session
        log = _writers_log(s, actor, shift_id, version)
        if errors:
            raise ValidationError(errors)
        open_items = s.scalar(select(func.count(DutyEntry.id))
                              .where(DutyEntry.shift_id == log.id, DutyEntry.open_item.is_(True))) or 0
        now = utcnow()
        log.handed_at, log.summary, log.open_items = now, summary, int(open_items)
        flush_or_stale(s)
        audit.record(s, actor, "hand_over", "duty_shifts", log.id, {"status": ON_DUTY},
                     {"status": WAITING, "summary": summary, "open_items": int(open_items)})
        uow.commit()
        return Handover(shift_id=log.id, version=log.version, handed_at=now, open_items=int(open_items))


def confirm(*, actor: Actor, shift_id: int, version: int, note: str = "") -> int:
    """接班确认: the receiver, signed in as themselves, takes the handover over; its open lines go into the receiver's
    log (opened now when they have none). Returns the receiver's log id."""
    require(actor, "handover.write")
    errors: dict[str, str] = {}
    note = collect_text(errors, "接班备注", note, 500)
    with unit_of_work() as uow:
        s = uow.session
        log = s.get(DutyShift, shift_id)
        if log is None or not _visible(actor, log):
            raise NotFound("值班记录不存在")
        if log.version != version:
            raise StaleEdit()
        if log.handed_at is None:
            raise Conflict(f"{log.writer_name}尚未交班，不能接班")
        if log.confirmed_at is not None:
            raise Conflict(f"该交班已由{log.receiver_name}于 {to_local(log.confirmed_at):%m-%d %H:%M} 确认接班")
        if actor.user_id is None or actor.user_id == log.writer_id:
            errors["接班人"] = "交班人不能确认自己的交班：须由接班人用本人账号登录后确认"
        if errors:
            raise ValidationError(errors)
        now = utcnow()
        mine = _own_open_log(s, actor)
        opened = mine is None
        if mine is None:
            duty_on, shift = shift_of(now)
            mine = DutyShift(estate_id=log.estate_id, duty_on=duty_on, shift=shift, writer_id=actor.user_id,
                             writer_name=actor.display_name, opened_at=now, carried_from_id=log.id)
            s.add(mine)
            s.flush()
            audit.record(s, actor, "create", "duty_shifts", mine.id, None,
                         {"estate_id": log.estate_id, "duty_on": duty_on, "shift": shift, "carried_from": log.id})
        elif mine.carried_from_id is None:
            mine.carried_from_id = log.id
        carried = list(s.scalars(select(DutyEntry).where(DutyEntry.shift_id == log.id, DutyEntry.open_item.is_(True))
                                 .order_by(DutyEntry.at, DutyEntry.id)))
        s.add_all(DutyEntry(shift_id=mine.id, at=e.at, kind=e.kind, content=e.content, open_item=True,
                            recorded_by=e.recorded_by, carried_from_id=e.id) for e in carried)
        log.receiver_id, log.receiver_name, log.confirmed_at, log.confirm_note = (
            actor.user_id, actor.display_name, now, note)
        flush_or_stale(s)
        audit.record(s, actor, "confirm", "duty_shifts", log.id, {"status": WAITING},
                     {"status": TAKEN_OVER, "receiver": actor.display_name, "note": note, "carried": len(carried),
                      "into_shift": mine.id, "opened": opened})
        uow.commit()
        return mine.id


# ---------------------------------------------------------------- reading


@dataclass(frozen=True)
class ShiftView:
    id: int
    version: int
    estate_id: int | None
    estate: str  # "" for the whole centre
    duty_on: date
    shift: str
    writer_id: int | None
    writer: str
    opened_at: datetime
    handed_at: datetime | None
    summary: str
    open_items: int  # open now (值班中), or carried at the handover
    receiver: str
    confirmed_at: datetime | None
    confirm_note: str
    status: str
    # id, version, at, kind, content, open_item, carried (bool), recorded_by, resolved_at, resolved_note
    entries: pd.DataFrame = field(default_factory=pd.DataFrame)


_ENTRY_COLUMNS = ["id", "version", "at", "kind", "content", "open_item", "carried", "recorded_by", "resolved_at",
                  "resolved_note"]


def _view(session: Session, log: DutyShift) -> ShiftView:
    estate = session.get(Estate, log.estate_id) if log.estate_id is not None else None
    rows = session.execute(select(DutyEntry.id, DutyEntry.version, DutyEntry.at, DutyEntry.kind, DutyEntry.content,
                                  DutyEntry.open_item, DutyEntry.carried_from_id.is_not(None), DutyEntry.recorded_by,
                                  DutyEntry.resolved_at, DutyEntry.resolved_note)
                           .where(DutyEntry.shift_id == log.id).order_by(DutyEntry.at, DutyEntry.id)).all()
    entries = pd.DataFrame([tuple(r) for r in rows], columns=_ENTRY_COLUMNS)
    open_now = int(entries["open_item"].astype(bool).sum()) if len(entries) else 0
    return ShiftView(
        id=log.id, version=log.version, estate_id=log.estate_id, estate=estate.name if estate else "",
        duty_on=log.duty_on, shift=log.shift, writer_id=log.writer_id, writer=log.writer_name,
        opened_at=log.opened_at, handed_at=log.handed_at, summary=log.summary,
        open_items=open_now if log.handed_at is None else log.open_items, receiver=log.receiver_name,
        confirmed_at=log.confirmed_at, confirm_note=log.confirm_note, status=_status_of(log), entries=entries)


def current_shift(*, actor: Actor) -> ShiftView | None:
    """The actor's log not yet handed over, with its lines; None when they are not on duty."""
    require(actor, "handover.write")
    with read_session() as s:
        log = _own_open_log(s, actor)
        return None if log is None else _view(s, log)


def shift_detail(*, actor: Actor, shift_id: int) -> ShiftView:
    """Any log with its lines (the register of past shifts opens one)."""
    require(actor, "handover.write")
    with read_session() as s:
        log = s.get(DutyShift, shift_id)
        if log is None or not _visible(actor, log):
            raise NotFound("值班记录不存在")
        return _view(s, log)


def open_handovers(*, actor: Actor) -> pd.DataFrame:
    """For the home: handovers handed over and not yet confirmed, newest first — id, version, estate, duty_on,
    shift, writer_id, writer, handed_at, open_items, summary. One stays until someone confirms it."""
    require(actor, "handover.write")
    with read_session() as s:
        rows = s.execute(select(DutyShift.id, DutyShift.version, func.coalesce(Estate.name, ""), DutyShift.duty_on,
                                DutyShift.shift, DutyShift.writer_id, DutyShift.writer_name, DutyShift.handed_at,
                                DutyShift.open_items, DutyShift.summary)
                         .outerjoin(Estate, Estate.id == DutyShift.estate_id)
                         .where(DutyShift.handed_at.is_not(None), DutyShift.confirmed_at.is_(None),
                                shared_clause(actor, DutyShift.estate_id))
                         .order_by(DutyShift.handed_at.desc(), DutyShift.id.desc())).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["id", "version", "estate", "duty_on", "shift", "writer_id", "writer", "handed_at",
                                 "open_items", "summary"])


def open_handover_count(*, actor: Actor) -> int:
    """How many handovers wait for their receiver (the home's figure beside open_handovers)."""
    require(actor, "handover.write")
    with read_session() as s:
        return int(s.scalar(select(func.count(DutyShift.id))
                            .where(DutyShift.handed_at.is_not(None), DutyShift.confirmed_at.is_(None),
                                   shared_clause(actor, DutyShift.estate_id))) or 0)


_entries = (select(func.count(DutyEntry.id)).where(DutyEntry.shift_id == DutyShift.id).correlate(DutyShift)
            .scalar_subquery())
_open_now = (select(func.count(DutyEntry.id)).where(DutyEntry.shift_id == DutyShift.id, DutyEntry.open_item.is_(True))
             .correlate(DutyShift).scalar_subquery())
_STATUS = case((DutyShift.handed_at.is_(None), literal(ON_DUTY)), (DutyShift.confirmed_at.is_(None), literal(WAITING)),
               else_=literal(TAKEN_OVER))
SHIFT_COLUMNS: dict[str, Any] = {
    "id": DutyShift.id,
    "version": DutyShift.version,
    # what the picker under the grid names a log by
    "title": cast(DutyShift.duty_on, String(10)).concat(" ").concat(DutyShift.shift).concat(" ")
    .concat(DutyShift.writer_name),
    "duty_on": DutyShift.duty_on,
    "shift": DutyShift.shift,
    "estate": func.coalesce(Estate.name, WHOLE_CENTRE),
    "writer": DutyShift.writer_name,
    "status": _STATUS,
    "entries": _entries,
    "open_items": case((DutyShift.handed_at.is_(None), _open_now), else_=DutyShift.open_items),
    "handed_at": DutyShift.handed_at,
    "receiver": DutyShift.receiver_name,
    "confirmed_at": DutyShift.confirmed_at,
    "summary": DutyShift.summary,
}


def list_shifts(*, actor: Actor, query: ListQuery) -> PageResult:
    """Past and current shift logs, newest first; filters shift (白班/夜班), status (值班中/待接班/已接班), estate_id;
    the search looks in the writer, the receiver and the summary."""
    authorize_list(actor, "handover.write", query)
    stmt = (select(*[c.label(n) for n, c in SHIFT_COLUMNS.items()])
            .outerjoin(Estate, Estate.id == DutyShift.estate_id).where(shared_clause(actor, DutyShift.estate_id)))
    with read_session() as s:
        return run_list(s, stmt, SHIFT_COLUMNS, query,
                        search_columns=[DutyShift.writer_name, DutyShift.receiver_name, DutyShift.summary],
                        equal_filters={"shift": DutyShift.shift, "status": _STATUS, "estate_id": DutyShift.estate_id},
                        default_sort=("duty_on", True),
                        sort_keys={"duty_on": [DutyShift.duty_on, DutyShift.opened_at],
                                   "title": [DutyShift.duty_on, DutyShift.opened_at]})
