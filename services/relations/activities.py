"""社区文化活动 community activities and 宣传栏 bulletins, with their progress against the seed's targets.

The seed (客服主管 performance standard 6 社区文化): 每月28日前籌辦內容豐富的宣傳欄, 並建檔; 每年舉辦6次以上社區文化活動,
並建檔.

Invariants:
- an activity is 计划 (its date today or later), 已举办 (its date not in the future, with the participants counted
  and the cost spent) or 已取消 (with a reason); only 已举办 counts toward the year's target; a planned activity
  becomes 已举办 or 已取消, nothing else changes status;
- one 宣传栏 issue per estate and month (unique), on time when posted on or before the 28th of its month (`due_on`,
  kept on the row); its posting date is never in the future;
- every change writes one audit row in its transaction; rates follow services/platform/rates.rate.

Decisions (where the issue is silent):
- The activity target (ACTIVITY_TARGET a year) is the service centre's: activities of all its estates count
  together. An activity without an estate was held for all of them; per estate, an activity counts for its own
  estate and the all-estates ones count for every estate.
- Bulletins are per estate (each estate has its own board). A month is due once its 28th has passed — or earlier,
  once its issue is posted — so a month still running never lowers the rate; the total rate is on-time issues over
  due months summed over the active estates.
- An issue may be posted before its month (the January board put up on 30 December is on time) but not more than
  a month ahead; a late issue is still recorded, as 逾期.
- Cost is money (two decimals, not negative); for a planned activity it is the budget, replaced by the real cost
  when it is marked held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Bulletin, CommunityActivity, Estate
from db.types import utcnow
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.clock import local_today
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.period import Period
from services.platform.rates import rate
from services.platform.scope import estate_clause, in_scope, require_shared, shared_clause
from services.platform.validate import FieldError, collect_text, parse_hundredths, parse_int

PLANNED, HELD, CANCELLED = "计划", "已举办", "已取消"
ACTIVITY_STATUSES = (PLANNED, HELD, CANCELLED)
ACTIVITY_TARGET = 6  # seed: 每年舉辦6次以上社區文化活動
BULLETIN_DAY = 28  # seed: 每月28日前籌辦宣傳欄
MAX_COST = Decimal("999999.99")
MAX_PARTICIPANTS = 100_000
OLDEST_YEARS = 3  # records older than this many years before this one are not registered any more
ALL_ESTATES = "全部小区"




def _participants(errors: dict[str, str], raw: Any, *, required: bool) -> int | None:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        if required:
            errors["参与人数"] = "必填：已举办的活动应登记参与人数"
        return None
    try:
        return parse_int(raw, min_value=0, max_value=MAX_PARTICIPANTS)
    except FieldError as exc:
        errors["参与人数"] = str(exc)
        return None


def _cost(errors: dict[str, str], raw: Any) -> Decimal:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return Decimal("0.00")
    try:
        return parse_hundredths(raw, min_value=Decimal("0"), max_value=MAX_COST)
    except FieldError as exc:
        errors["费用"] = str(exc)
        return Decimal("0.00")


def _held_date(errors: dict[str, str], held_on: date | None, status: str, today: date) -> None:
    if held_on is None:
        errors["活动日期"] = "必填"
    elif status == HELD and held_on > today:
        errors["活动日期"] = "已举办的活动不能晚于今天（以后的活动请登记为计划）"
    elif status == PLANNED and held_on < today:
        errors["活动日期"] = "计划中的活动不能早于今天（已经举办的请登记为已举办）"
    elif held_on.year < today.year - OLDEST_YEARS:
        errors["活动日期"] = f"不能早于 {today.year - OLDEST_YEARS} 年"


# --- activities ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewActivity:
    title: str
    held_on: date | None
    place: str
    organiser: str
    status: str = HELD  # 计划 or 已举办
    estate_id: int | None = None  # None: every estate
    participants: Any = None  # a count (text or int); required once held
    cost: Any = None  # money text or Decimal; blank is 0
    note: str = ""


def add_activity(*, actor: Actor, activity: NewActivity) -> int:
    """登记社区活动: one planned or held activity; returns its id."""
    require(actor, "activities.manage")
    today = local_today()
    errors: dict[str, str] = {}
    title = collect_text(errors, "活动名称", activity.title, 64, required=True)
    place = collect_text(errors, "活动地点", activity.place, 64, required=True)
    organiser = collect_text(errors, "组织人", activity.organiser, 32, required=True)
    note = collect_text(errors, "备注", activity.note, 500, required=False)
    if activity.status not in (PLANNED, HELD):
        errors["状态"] = f"应为 {PLANNED} 或 {HELD}"
    else:
        _held_date(errors, activity.held_on, activity.status, today)
    participants = _participants(errors, activity.participants, required=activity.status == HELD)
    cost = _cost(errors, activity.cost)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        if activity.estate_id is not None and (s.get(Estate, activity.estate_id) is None
                                               or not in_scope(actor, activity.estate_id)):
            raise ValidationError({"小区": "不存在"})
        require_shared(actor, activity.estate_id, "小区不存在")
        row = CommunityActivity(estate_id=activity.estate_id, title=title, held_on=activity.held_on, place=place,
                                organiser=organiser, participants=participants, cost=cost, status=activity.status,
                                note=note, recorded_by=actor.display_name, recorded_at=utcnow())
        s.add(row)
        s.flush()
        audit.record(s, actor, "activity_add", "community_activities", row.id, None,
                     {"title": title, "held_on": activity.held_on, "place": place, "organiser": organiser,
                      "status": activity.status, "estate_id": activity.estate_id, "participants": participants,
                      "cost": cost})
        uow.commit()
        return row.id


def _planned(session: Session, actor: Actor, activity_id: int, version: int) -> CommunityActivity:
    row = session.get(CommunityActivity, activity_id)
    if row is None:
        raise NotFound("活动不存在")
    require_shared(actor, row.estate_id, "活动不存在")
    if row.version != version:
        raise StaleEdit()
    if row.status != PLANNED:
        raise Conflict(f"活动“{row.title}”当前为{row.status}，只有计划中的活动可以办理")
    return row


def hold_activity(*, actor: Actor, activity_id: int, version: int, held_on: date | None, participants: Any,
                  cost: Any, note: str = "") -> None:
    """活动已举办: a planned activity took place (on its day or another, not in the future), with its turnout and
    cost."""
    require(actor, "activities.manage")
    today = local_today()
    errors: dict[str, str] = {}
    _held_date(errors, held_on, HELD, today)
    count = _participants(errors, participants, required=True)
    spent = _cost(errors, cost)
    text = collect_text(errors, "备注", note, 500, required=False)
    if errors:
        raise ValidationError(errors)
    assert held_on is not None  # checked above
    with unit_of_work() as uow:
        s = uow.session
        row = _planned(s, actor, activity_id, version)
        before = {"status": row.status, "held_on": row.held_on, "cost": row.cost}
        row.status, row.held_on, row.participants, row.cost = HELD, held_on, count, spent
        if text:
            row.note = text
        audit.record(s, actor, "activity_hold", "community_activities", row.id, before,
                     {"status": HELD, "held_on": held_on, "participants": count, "cost": spent})
        uow.commit()


def cancel_activity(*, actor: Actor, activity_id: int, version: int, reason: str) -> None:
    """取消 a planned activity, with the reason (it stays on file)."""
    require(actor, "activities.manage")
    errors: dict[str, str] = {}
    text = collect_text(errors, "取消原因", reason, 200, required=True)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        row = _planned(s, actor, activity_id, version)
        row.status, row.cancel_reason = CANCELLED, text
        audit.record(s, actor, "activity_cancel", "community_activities", row.id, {"status": PLANNED},
                     {"status": CANCELLED, "reason": text})
        uow.commit()


ACTIVITY_COLUMNS: dict[str, Any] = {
    "id": CommunityActivity.id,
    "version": CommunityActivity.version,
    "held_on": CommunityActivity.held_on,
    "title": CommunityActivity.title,
    "estate": func.coalesce(Estate.name, ALL_ESTATES),
    "place": CommunityActivity.place,
    "organiser": CommunityActivity.organiser,
    "participants": CommunityActivity.participants,
    "cost": CommunityActivity.cost,
    "status": CommunityActivity.status,
    "note": case((CommunityActivity.status == CANCELLED, CommunityActivity.cancel_reason),
                 else_=CommunityActivity.note),
    "recorded_by": CommunityActivity.recorded_by,
}


def list_activities(*, actor: Actor, year: int | None, query: ListQuery) -> PageResult:
    """Activities of a year (or all), latest first; filters: status, estate_id (its own and all-estates ones)."""
    authorize_list(actor, "relations.view", query)
    stmt = (select(*[c.label(n) for n, c in ACTIVITY_COLUMNS.items()])
            .outerjoin(Estate, Estate.id == CommunityActivity.estate_id)
            .where(shared_clause(actor, CommunityActivity.estate_id)))
    if year is not None:
        stmt = stmt.where(CommunityActivity.held_on.between(date(year, 1, 1), date(year, 12, 31)))
    estate_id = query.filters.get("estate_id")
    if estate_id not in (None, ""):
        stmt = stmt.where(or_(CommunityActivity.estate_id == estate_id, CommunityActivity.estate_id.is_(None)))
    with read_session() as s:
        return run_list(s, stmt, ACTIVITY_COLUMNS, query,
                        search_columns=[CommunityActivity.title, CommunityActivity.place,
                                        CommunityActivity.organiser, CommunityActivity.note],
                        equal_filters={"status": CommunityActivity.status}, default_sort=("held_on", True))


def planned_activities(*, actor: Actor) -> pd.DataFrame:
    """The activities still 计划, soonest first (for 已举办 / 取消 and the home page)."""
    require(actor, "relations.view")
    with read_session() as s:
        rows = s.execute(select(CommunityActivity.id, CommunityActivity.version, CommunityActivity.held_on,
                                CommunityActivity.title, func.coalesce(Estate.name, ALL_ESTATES),
                                CommunityActivity.place, CommunityActivity.cost)
                         .outerjoin(Estate, Estate.id == CommunityActivity.estate_id)
                         .where(CommunityActivity.status == PLANNED, shared_clause(actor, CommunityActivity.estate_id))
                         .order_by(CommunityActivity.held_on, CommunityActivity.id)).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["id", "version", "held_on", "title", "estate", "place", "cost"], dtype=object)


# --- bulletins 宣传栏 -----------------------------------------------------------------------------------------


def due_day(month: str) -> date:
    """The day an issue must be up by: the 28th of its month."""
    p = Period.parse(month)
    return date(p.start.year, p.start.month, BULLETIN_DAY)


def _month_index(d: date) -> int:
    return d.year * 12 + d.month - 1


@dataclass(frozen=True)
class NewBulletin:
    estate_id: int | None
    month: str  # YYYY-MM
    title: str
    posted_on: date | None
    content: str = ""


def add_bulletin(*, actor: Actor, bulletin: NewBulletin) -> int:
    """登记宣传栏: the month's board of one estate, as posted; returns its id."""
    require(actor, "activities.manage")
    today = local_today()
    errors: dict[str, str] = {}
    title = collect_text(errors, "宣传栏主题", bulletin.title, 64, required=True)
    content = collect_text(errors, "主要内容", bulletin.content, 500, required=False)
    if bulletin.estate_id is None:
        errors["小区"] = "必填"
    month = ""
    try:
        month = Period.parse(bulletin.month).label
    except ValueError:
        errors["期数（月份）"] = "应为 YYYY-MM，例如 2026-03"
    if bulletin.posted_on is None:
        errors["张贴日期"] = "必填"
    elif bulletin.posted_on > today:
        errors["张贴日期"] = "不能晚于今天"
    elif month:
        ahead = _month_index(due_day(month)) - _month_index(bulletin.posted_on)
        if ahead > 1:
            errors["期数（月份）"] = "不能早于张贴日期的下一个月（张贴日期之后的月份还未到）"
        elif int(month[:4]) < today.year - OLDEST_YEARS:
            errors["期数（月份）"] = f"不能早于 {today.year - OLDEST_YEARS} 年"
    if errors:
        raise ValidationError(errors)
    assert bulletin.posted_on is not None and bulletin.estate_id is not None
    with unit_of_work() as uow:
        s = uow.session
        estate = s.get(Estate, bulletin.estate_id)
        if estate is None or not in_scope(actor, estate.id):
            raise ValidationError({"小区": "不存在"})
        exists = s.scalar(select(Bulletin.id).where(Bulletin.estate_id == estate.id, Bulletin.month == month))
        if exists is not None:
            raise Conflict(f"{estate.name} {month} 的宣传栏已登记")
        row = Bulletin(estate_id=estate.id, month=month, title=title, content=content, due_on=due_day(month),
                       posted_on=bulletin.posted_on, posted_by=actor.display_name, recorded_at=utcnow())
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:  # the same board registered at another desk a moment ago
            raise Conflict(f"{estate.name} {month} 的宣传栏已登记") from exc
        audit.record(s, actor, "bulletin_add", "bulletins", row.id, None,
                     {"estate_id": estate.id, "month": month, "title": title, "posted_on": bulletin.posted_on,
                      "on_time": bulletin.posted_on <= row.due_on})
        uow.commit()
        return row.id


BULLETIN_COLUMNS: dict[str, Any] = {
    "id": Bulletin.id,
    "version": Bulletin.version,
    "month": Bulletin.month,
    "estate": Estate.name,
    "title": Bulletin.title,
    "content": Bulletin.content,
    "posted_on": Bulletin.posted_on,
    "due_on": Bulletin.due_on,
    "on_time": case((Bulletin.posted_on <= Bulletin.due_on, "按时"), else_="逾期"),
    "posted_by": Bulletin.posted_by,
}


def list_bulletins(*, actor: Actor, year: int | None, query: ListQuery) -> PageResult:
    """宣传栏 issues of a year (or all), latest month first; filters: estate_id, on_time (按时/逾期)."""
    authorize_list(actor, "relations.view", query)
    stmt = (select(*[c.label(n) for n, c in BULLETIN_COLUMNS.items()]).join(Estate, Estate.id == Bulletin.estate_id)
            .where(estate_clause(actor, Bulletin.estate_id)))
    if year is not None:
        stmt = stmt.where(Bulletin.month.between(f"{year}-01", f"{year}-12"))
    with read_session() as s:
        return run_list(s, stmt, BULLETIN_COLUMNS, query, search_columns=[Bulletin.title, Bulletin.content],
                        equal_filters={"estate_id": Bulletin.estate_id, "on_time": BULLETIN_COLUMNS["on_time"]},
                        default_sort=("month", True))


# --- progress -----------------------------------------------------------------------------------------------


def due_months(year: int, today: date) -> list[str]:
    """The months of `year` whose board deadline (the 28th) has passed by `today`."""
    return [f"{year:04d}-{m:02d}" for m in range(1, 13) if date(year, m, BULLETIN_DAY) < today]


@dataclass(frozen=True)
class EstateBulletins:
    estate_id: int
    estate: str
    held: int  # activities held for this estate (its own and the all-estates ones)
    on_time: int
    due: int
    rate: Decimal | None


@dataclass(frozen=True)
class ActivityProgress:
    """社区活动 against the seed's targets in a year, as of `today`."""

    year: int
    held: int
    target: int
    planned: int  # still 计划 in the year
    participants: int
    cost: Decimal
    bulletins_on_time: int
    bulletins_due: int
    bulletin_rate: Decimal | None
    by_estate: tuple[EstateBulletins, ...]

    @property
    def short(self) -> int:
        """Activities still to hold to reach the target (0 once reached)."""
        return max(0, self.target - self.held)


def activity_progress(*, actor: Actor, year: int, today: date) -> ActivityProgress:
    """Activities held in the year against the target of 6; 宣传栏 on time against the due months, per estate and
    in total."""
    require(actor, "relations.view")
    first, last = date(year, 1, 1), min(date(year, 12, 31), today)
    due = set(due_months(year, today))
    with read_session() as s:
        held_rows = s.execute(
            select(CommunityActivity.estate_id, func.count(), func.coalesce(func.sum(CommunityActivity.participants), 0),
                   func.coalesce(func.sum(CommunityActivity.cost), 0))
            .where(CommunityActivity.status == HELD, CommunityActivity.held_on.between(first, last),
                   shared_clause(actor, CommunityActivity.estate_id))
            .group_by(CommunityActivity.estate_id)).all()
        planned = int(s.scalar(select(func.count()).select_from(CommunityActivity).where(
            CommunityActivity.status == PLANNED,
            CommunityActivity.held_on.between(date(year, 1, 1), date(year, 12, 31)),
            shared_clause(actor, CommunityActivity.estate_id))) or 0)
        estates = s.execute(select(Estate.id, Estate.name).where(Estate.active.is_(True), estate_clause(actor, Estate.id))
                            .order_by(Estate.code)).all()
        boards = s.execute(select(Bulletin.estate_id, Bulletin.month, Bulletin.posted_on <= Bulletin.due_on)
                           .where(Bulletin.month.between(f"{year}-01", f"{year}-12"),
                                  estate_clause(actor, Bulletin.estate_id))).all()
    held_by = {eid: int(n) for eid, n, _p, _c in held_rows}
    everywhere = held_by.get(None, 0)
    cost = sum((c for *_x, c in held_rows), Decimal("0.00"))  # SUM of a Money column reads back through Money
    posted: dict[int, dict[str, bool]] = {}
    for eid, month, in_time in boards:
        posted.setdefault(int(eid), {})[month] = bool(in_time)
    per_estate = []
    for eid, name in estates:
        mine = posted.get(int(eid), {})
        months = due | set(mine)
        on_time = sum(1 for m in months if mine.get(m))
        per_estate.append(EstateBulletins(int(eid), name, held_by.get(eid, 0) + everywhere, on_time, len(months),
                                          rate(on_time, len(months))))
    on_time_total = sum(e.on_time for e in per_estate)
    due_total = sum(e.due for e in per_estate)
    return ActivityProgress(
        year=year, held=sum(held_by.values()), target=ACTIVITY_TARGET, planned=planned,
        participants=sum(int(p or 0) for _e, _n, p, _c in held_rows), cost=cost.quantize(Decimal("0.01")),
        bulletins_on_time=on_time_total, bulletins_due=due_total, bulletin_rate=rate(on_time_total, due_total),
        by_estate=tuple(per_estate))


def bulletin_calendar(*, actor: Actor, year: int, today: date) -> pd.DataFrame:
    """Each active estate's twelve boards of the year: 按时 MM-DD / 逾期 MM-DD / 未张贴 (due, missing) / '' (not due)."""
    require(actor, "relations.view")
    due = set(due_months(year, today))
    with read_session() as s:
        estates = s.execute(select(Estate.id, Estate.name).where(Estate.active.is_(True), estate_clause(actor, Estate.id))
                            .order_by(Estate.code)).all()
        boards = {(int(e), m): (p, d) for e, m, p, d in s.execute(
            select(Bulletin.estate_id, Bulletin.month, Bulletin.posted_on, Bulletin.due_on)
            .where(Bulletin.month.between(f"{year}-01", f"{year}-12"), estate_clause(actor, Bulletin.estate_id)))}
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    rows = []
    for eid, name in estates:
        row: dict[str, str] = {"estate": name}
        for m in months:
            hit = boards.get((int(eid), m))
            if hit is not None:
                row[m] = ("按时 " if hit[0] <= hit[1] else "逾期 ") + hit[0].strftime("%m-%d")
            else:
                row[m] = "未张贴" if m in due else ""
        rows.append(row)
    return pd.DataFrame(rows, columns=["estate", *months], dtype=object)
