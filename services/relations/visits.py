"""业主访谈 owner visits: the year's plan from the seed standard, the visits as they happen, and their figures.

The seed (工作标准 10, 11): 已入住业主访谈 1次/年.户; 已交付未入住业主访谈（空置房、装修房）2次/年.户; 面访、电访均可,
工作拆分到月度进行, 其中面访全年应覆盖20%.

Invariants:
- a year's plan holds each household at most once per sequence (unique year + unit + sequence): planning again
  only adds the households that have no row yet, and never changes or duplicates the rows already there;
- a plan row is done when a visit is linked to it (visit_id, unique); a withdrawn visit releases its row;
- a visit's date is never in the future, its way is one of WAYS, its content is never empty;
- a visit with a follow-up ticket links the ticket taken through services/tickets/workflow.take (the ticket's
  number, deadline and timeline are the tickets domain's);
- every change writes one audit row in its transaction; rates follow services/platform/rates.rate.

Decisions (where the issue is silent):
- Households are units of kind 住宅 (a shop, garage space or office has no household to visit).
  Visited once a year (occupied): 已入住 and 出租. Visited twice (handed over, not lived in): 已交房未入住, 装修中
  (the seed names 装修房 here) and 空置 once handed over (a 交房日期, or an owner ever: the rule billing uses,
  services/fees/billing.handed_over_condition). Not visited: 未售 and a 空置 unit never handed over.
- The count is taken from each unit's status when the plan is made (KPI.md: at 1 January, or at the plan's
  creation for a plan made later) and kept on the row (`basis`), so a move-in later in the year does not change
  the plan.
- The plan's visits are spread evenly over the months left in the year (this month to December; all twelve for
  next year's plan): a household visited once in order of walking (building, 单元, floor, room) over all months;
  a household visited twice has its first visit in the first half of those months and its second the same
  distance later, so the two are about half a year apart.
- Assignees are the active users whose role is 客服 or whose staff post is 物业管理员. Each building goes whole to
  one of them: the one with the fewest planned visits of the year so far (a round robin weighted by building
  size); a building already in the year's plan keeps its person. A manager can hand a building's open rows to
  someone else (reassign_building).
- A visit links to its unit's open row planned for the visit's month, else to the earliest open row of that year
  (an overdue one first); a visit to a household without an open row is kept unlinked (it still counts for
  面访比例).
- The follow-up ticket is taken first, received now, with the visit's way as its channel (上门 -> 巡查发现: staff
  found it on their round); the visit is validated in full before, so a refused form writes neither.
- 访谈完成率 (KPI.md): for each household planned in the period, the visits dated in the period count at most as
  often as it was planned there, over the visits planned for the period. A month's figure therefore counts a
  visit in its month only (a late visit shows as 逾期完成 in the plan but not in that month's rate); the year's
  figure counts every visit of the year. Per person: the rows assigned to them, whoever made the visit.
- 面访比例: visits 上门 or 来访 over the visits recorded (withdrawn ones never count); per person: the visitor's.
- The due list (visits_due) is the year's: open rows of the current or an earlier month of that year; a new
  year's plan replaces last year's open rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
from sqlalchemy import Select, and_, case, func, insert, literal, or_, select, union_all
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from db.engine import read_session, unit_of_work
from db.models import Building, Estate, OwnerVisit, Post, Staff, Ticket, Unit, User, VisitPlan
from db.types import utcnow
from services.estate.statuses import UnitStatus
from services.estate.units import UNIT_CODE_ORDER, join_unit_location, unit_code
from services.fees.billing import handed_over_condition
from services.platform import audit
from services.platform.auth import Actor, Role, can, require
from services.platform.clock import SHANGHAI, local_today
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.period import Period
from services.platform.rates import rate
from services.platform.scope import estate_clause, in_scope
from services.platform.validate import choice_of, collect, collect_text, parse_choice
from services.tickets import workflow as tickets

WAYS = ("上门", "来访", "电话", "微信")
FACE_TO_FACE = ("上门", "来访")
FACE_TO_FACE_FLOOR = Decimal("0.20")  # seed: 面访全年应覆盖20%
VISITED_KINDS = ("住宅",)
OCCUPIED = (UnitStatus.OCCUPIED, UnitStatus.RENTED)
ASSIGNEE_POST = "物业管理员"
# a visit's way as the channel of its follow-up ticket (tickets.CHANNELS)
TICKET_CHANNEL = {"上门": "巡查发现", "来访": "来访", "电话": "电话", "微信": "微信"}
FOLLOW_UP_TYPES = ("报修", "投诉", "咨询", "建议", "求助")
PLAN_STATUSES = ("待访", "逾期未访", "已访", "逾期完成")
OLDEST_VISIT = timedelta(days=366)
MAX_DUE_ROWS = 500


# --- the plan arithmetic (pure: tested by hand) ---------------------------------------------------------------


def visits_per_year(status: str, *, handed_over: bool, kind: str = "住宅") -> int:
    """How often a household is visited in a year, from its unit's status (the seed standard)."""
    if kind not in VISITED_KINDS or status == UnitStatus.UNSOLD:
        return 0
    if status in OCCUPIED:
        return 1
    return 2 if handed_over else 0


def months_left(year: int, today: date) -> list[str]:
    """The months a plan for `year` made on `today` spreads over: this month to December, or all of a later year."""
    first = today.month if year == today.year else 1
    return [f"{year:04d}-{m:02d}" for m in range(first, 13)]


@dataclass(frozen=True)
class Household:
    """A unit to plan, in walking order, with how often it is visited and why."""

    unit_id: int
    estate_id: int
    building_id: int
    basis: str
    times: int


@dataclass(frozen=True)
class PlannedVisit:
    unit_id: int
    estate_id: int
    building_id: int
    sequence: int
    month: str
    assignee_id: int
    basis: str


def spread(households: Sequence[Household], months: Sequence[str], assignees: Sequence[int], *,
           building_assignee: Mapping[int, int] | None = None,
           load: Mapping[int, int] | None = None) -> list[PlannedVisit]:
    """The plan rows of `households` (in walking order): whole buildings to the least-loaded assignee (a building
    in `building_assignee` keeps its person), then each person's visits spread evenly over `months`."""
    if not months or not assignees:
        return []
    kept = dict(building_assignee or {})
    loads = {a: (load or {}).get(a, 0) for a in assignees}
    by_building: dict[int, list[Household]] = defaultdict(list)
    for h in households:
        if h.times > 0:
            by_building[h.building_id].append(h)
    owner: dict[int, int] = {}
    for building_id, homes in by_building.items():  # dicts keep the walking order of the buildings
        person = kept.get(building_id)
        if person is None:
            person = min(assignees, key=lambda a: (loads[a], assignees.index(a)))
        owner[building_id] = person
        loads[person] = loads.get(person, 0) + sum(h.times for h in homes)
    n_months = len(months)
    offset = n_months // 2  # a second visit comes this many months after the first
    first_half = n_months - offset
    rows: list[PlannedVisit] = []
    for person in dict.fromkeys(owner.values()):
        homes = [h for b, hs in by_building.items() if owner[b] == person for h in hs]
        once = [h for h in homes if h.times == 1]
        twice = [h for h in homes if h.times == 2]
        for k, h in enumerate(once):
            rows.append(PlannedVisit(h.unit_id, h.estate_id, h.building_id, 1, months[k * n_months // len(once)],
                                     person, h.basis))
        for k, h in enumerate(twice):
            i = k * first_half // len(twice)
            rows.append(PlannedVisit(h.unit_id, h.estate_id, h.building_id, 1, months[i], person, h.basis))
            rows.append(PlannedVisit(h.unit_id, h.estate_id, h.building_id, 2, months[i + offset], person, h.basis))
    return rows


# --- who may be assigned ------------------------------------------------------------------------------------


def assignees_in(session: Session) -> dict[int, str]:
    """{user id: name} of the active 客服 and 物业管理员 accounts, in the caller's session (the demo plans with it)."""
    stmt = (select(User.id, User.display_name)
            .outerjoin(Staff, Staff.id == User.staff_id).outerjoin(Post, Post.id == Staff.post_id)
            .where(User.active.is_(True), or_(User.role == Role.SERVICE.value, Post.name == ASSIGNEE_POST))
            .order_by(User.id))
    return {int(i): name for i, name in session.execute(stmt)}


def assignable_users(*, actor: Actor) -> dict[int, str]:
    """{user id: name} of the people visits are assigned to (客服 and 物业管理员 with an active account)."""
    require(actor, "relations.view")
    with read_session() as s:
        return assignees_in(s)


# --- planning -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanSummary:
    """What planning a year does (preview) or did: households by how often they are visited, rows added."""

    year: int
    months: tuple[str, ...]
    occupied: int  # households visited once
    unoccupied: int  # households visited twice
    not_visited: int  # units of the scope left out (unsold, never handed over)
    already_planned: int  # households already in the year's plan (left as they are)
    visits: int  # rows added (or to be added)
    by_assignee: tuple[tuple[str, int], ...]


def _check_year(year: int, today: date) -> list[str]:
    """The months of a plan for `year`, or none for a year that cannot be planned now (past, or beyond next)."""
    return months_left(year, today) if today.year <= year <= today.year + 1 else []


def households_to_plan(session: Session, year: int, estate_id: int | None,
                       estate_ids: frozenset[int] | None = None) -> tuple[list[Household], int, int]:
    """The units of the scope (one estate, or the estates `estate_ids` of the planner, or all) without a plan row in
    `year`, in walking order; and how many were left out and how many are already planned."""
    handed = handed_over_condition().label("handed")
    stmt = (select(Unit.id, Unit.estate_id, Unit.building_id, Unit.status, Unit.kind, handed)
            .join(Building, Building.id == Unit.building_id).join(Estate, Estate.id == Unit.estate_id)
            .where(Estate.active.is_(True)))
    if estate_id is not None:
        stmt = stmt.where(Unit.estate_id == estate_id)
    if estate_ids is not None:
        stmt = stmt.where(Unit.estate_id.in_(sorted(estate_ids)))
    planned = set(session.scalars(select(VisitPlan.unit_id).where(VisitPlan.year == year).distinct()))
    out, left_out, already = [], 0, 0
    for uid, eid, bid, status, kind, is_handed in session.execute(stmt.order_by(*UNIT_CODE_ORDER)):
        if kind not in VISITED_KINDS:
            continue
        times = visits_per_year(status, handed_over=bool(is_handed), kind=kind)
        if uid in planned:
            already += 1
        elif times == 0:
            left_out += 1
        else:
            out.append(Household(uid, eid, bid, status, times))
    return out, left_out, already


def _draft(session: Session, actor: Actor, year: int, estate_id: int | None, today: date
           ) -> tuple[PlanSummary, list[PlannedVisit]]:
    months = _check_year(year, today)
    if not months:
        raise ValidationError({"年度": f"只能为今年（{today.year}）或明年编制访谈计划"})
    if estate_id is not None and (session.get(Estate, estate_id) is None or not in_scope(actor, estate_id)):
        raise NotFound("小区不存在")
    people = assignees_in(session)
    if not people:
        raise Conflict("没有可分派的访谈人员：请先为客服或物业管理员开通账户")
    homes, left_out, already = households_to_plan(session, year, estate_id, actor.estate_ids)
    kept = dict(session.execute(select(VisitPlan.building_id, func.min(VisitPlan.assignee_id))
                                .where(VisitPlan.year == year).group_by(VisitPlan.building_id)).all())
    load = dict(session.execute(select(VisitPlan.assignee_id, func.count()).where(VisitPlan.year == year)
                                .group_by(VisitPlan.assignee_id)).all())
    rows = spread(homes, months, list(people), building_assignee=kept, load={k: int(v) for k, v in load.items()})
    counts: dict[int, int] = defaultdict(int)
    for r in rows:
        counts[r.assignee_id] += 1
    summary = PlanSummary(
        year=year, months=tuple(months), occupied=sum(1 for h in homes if h.times == 1),
        unoccupied=sum(1 for h in homes if h.times == 2), not_visited=left_out, already_planned=already,
        visits=len(rows),
        by_assignee=tuple((people.get(a, str(a)), n) for a, n in sorted(counts.items(), key=lambda kv: -kv[1])))
    return summary, rows


def preview_plan(*, actor: Actor, year: int, estate_id: int | None = None) -> PlanSummary:
    """What plan_year would add now, without writing anything."""
    require(actor, "visits.plan")
    with read_session() as s:
        return _draft(s, actor, year, estate_id, local_today())[0]


def plan_year(*, actor: Actor, year: int, estate_id: int | None = None) -> PlanSummary:
    """编制访谈计划: add the year's plan rows of every household of the estate (or of all estates) not planned yet."""
    require(actor, "visits.plan")
    now = utcnow()
    with unit_of_work() as uow:
        s = uow.session
        summary, rows = _draft(s, actor, year, estate_id, local_today())
        if not rows:
            raise Conflict(f"{year} 年访谈计划已包含全部应访房屋，没有需要新增的计划"
                           if summary.already_planned else "所选范围内没有需要访谈的房屋")
        values = [{"year": year, "estate_id": r.estate_id, "building_id": r.building_id, "unit_id": r.unit_id,
                   "sequence": r.sequence, "planned_month": r.month, "basis": r.basis, "assignee_id": r.assignee_id,
                   "planned_at": now, "planned_by": actor.display_name, "version": 1} for r in rows]
        try:
            for n in range(0, len(values), 1000):
                s.execute(insert(VisitPlan), values[n:n + 1000])
            audit.record(s, actor, "visit_plan", "visit_plans", f"{year}", None,
                         {"year": year, "estate_id": estate_id, "rows": len(rows), "occupied": summary.occupied,
                          "unoccupied": summary.unoccupied, "by_assignee": dict(summary.by_assignee)})
            uow.commit()
        except IntegrityError as exc:  # someone planned the same households a moment ago
            raise Conflict("该年度计划刚被他人修改，请刷新后重试") from exc
    return summary


def reassign_building(*, actor: Actor, year: int, building_id: int, assignee_id: int) -> int:
    """调整分派: the open plan rows of a building go to another person; returns how many moved."""
    require(actor, "visits.plan")
    with unit_of_work() as uow:
        s = uow.session
        people = assignees_in(s)
        if assignee_id not in people:
            raise ValidationError({"访谈人员": "应为在职的客服或物业管理员"})
        building = s.get(Building, building_id)
        if building is None or not in_scope(actor, building.estate_id):
            raise NotFound("楼栋不存在")
        rows = list(s.scalars(select(VisitPlan).where(VisitPlan.year == year, VisitPlan.building_id == building_id,
                                                      VisitPlan.visit_id.is_(None)).with_for_update()))
        moved = [r for r in rows if r.assignee_id != assignee_id]
        if not moved:
            raise Conflict("该楼栋没有需要调整的待访计划")
        before = sorted({r.assignee_id for r in moved})
        for r in moved:
            r.assignee_id = assignee_id
        audit.record(s, actor, "visit_reassign", "visit_plans", f"{year}:{building_id}",
                     {"assignee_ids": before}, {"assignee_id": assignee_id, "rows": len(moved)})
        uow.commit()
        return len(moved)


# --- recording a visit --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewVisit:
    unit_id: int | None
    visited_on: date | None
    way: str
    person_met: str
    content: str
    visitor_id: int | None = None  # None: the actor made the visit


@dataclass(frozen=True)
class FollowUp:
    """The ticket a visit opens: what the owner asked for, to whom it goes."""

    ticket_type: str
    content: str
    department: str = "客服"
    urgency: str = "普通"
    phone: str = ""


@dataclass(frozen=True)
class RecordedVisit:
    visit_id: int
    plan_id: int | None  # the plan row it fulfilled
    planned_month: str | None
    ticket_id: int | None
    ticket_number: str | None




def _check_visit(visit: NewVisit, today: date) -> tuple[dict[str, str], str, str]:
    errors: dict[str, str] = {}
    if visit.unit_id is None:
        errors["房屋"] = "请选择访谈的房屋"
    if visit.visited_on is None:
        errors["访谈日期"] = "必填"
    elif visit.visited_on > today:
        errors["访谈日期"] = "不能晚于今天"
    elif visit.visited_on < today - OLDEST_VISIT:
        errors["访谈日期"] = "不能早于一年前"
    collect(errors, "访谈方式", visit.way, lambda v: parse_choice(v, WAYS))
    person = collect_text(errors, "访谈对象", visit.person_met, 32, required=True)
    content = collect_text(errors, "访谈内容", visit.content, 1000, required=True)
    return errors, person, content


def _check_follow_up(follow_up: FollowUp, errors: dict[str, str]) -> None:
    for label, raw, choices in (("跟进工单类型", follow_up.ticket_type, FOLLOW_UP_TYPES),
                                ("处理部门", follow_up.department, tickets.DEPARTMENTS),
                                ("紧急程度", follow_up.urgency, tickets.URGENCIES)):
        collect(errors, label, raw, choice_of(choices))
    collect_text(errors, "跟进内容", follow_up.content, 1000, required=True)
    collect_text(errors, "联系电话", follow_up.phone, 20, required=False)


def _open_row(session: Session, unit_id: int, visited_on: date) -> VisitPlan | None:
    """The row a visit fulfils: the unit's open row of the visit's month, else its earliest open row that year."""
    month = visited_on.strftime("%Y-%m")
    return session.scalars(
        select(VisitPlan).where(VisitPlan.unit_id == unit_id, VisitPlan.year == visited_on.year,
                                VisitPlan.visit_id.is_(None))
        .order_by(case((VisitPlan.planned_month == month, 0), else_=1), VisitPlan.planned_month,
                  VisitPlan.sequence)
        .limit(1).with_for_update()
    ).first()


def record_visit(*, actor: Actor, visit: NewVisit, follow_up: FollowUp | None = None) -> RecordedVisit:
    """登记访谈: the visit, linked to its plan row, and (optionally) its follow-up ticket taken in the same step."""
    require(actor, "visits.record")
    if follow_up is not None:
        require(actor, "tickets.take")
    today = local_today()
    errors, person, content = _check_visit(visit, today)
    if follow_up is not None:
        _check_follow_up(follow_up, errors)
    if not errors:  # the choices as checked (stripped)
        visit = replace(visit, way=parse_choice(visit.way, WAYS))
        if follow_up is not None:
            follow_up = replace(follow_up, ticket_type=parse_choice(follow_up.ticket_type, FOLLOW_UP_TYPES),
                                department=parse_choice(follow_up.department, tickets.DEPARTMENTS),
                                urgency=parse_choice(follow_up.urgency, tickets.URGENCIES))
    visitor_id = visit.visitor_id if visit.visitor_id is not None else actor.user_id
    estate_id = None
    with read_session() as s:
        if visit.unit_id is not None:
            estate_id = s.scalar(select(Unit.estate_id).where(Unit.id == visit.unit_id,
                                                              estate_clause(actor, Unit.estate_id)))
            if estate_id is None:
                errors["房屋"] = "不存在"
        people = assignees_in(s)
        visitor_name = actor.display_name
        if visitor_id is not None and visitor_id != actor.user_id:
            if not can(actor, "visits.plan"):
                raise PermissionDenied("代他人登记业主访谈")
            if visitor_id not in people:
                errors["访谈人"] = "应为在职的客服或物业管理员"
            else:
                visitor_name = people[visitor_id]
    if errors:
        raise ValidationError(errors)
    assert visit.unit_id is not None and estate_id is not None and visit.visited_on is not None  # checked above
    unit_id = visit.unit_id
    ticket_id = number = None
    if follow_up is not None:
        ticket_id, number = tickets.take(actor=actor, intake=tickets.Intake(
            ticket_type=follow_up.ticket_type, channel=TICKET_CHANNEL[visit.way], estate_id=estate_id,
            unit_id=unit_id, caller_name=person, caller_phone=follow_up.phone,
            content=follow_up.content, received_at=utcnow().astimezone(SHANGHAI),
            department=follow_up.department, urgency=follow_up.urgency))
    with unit_of_work() as uow:
        s = uow.session
        row = OwnerVisit(estate_id=estate_id, unit_id=unit_id, visited_on=visit.visited_on,
                         month=visit.visited_on.strftime("%Y-%m"), way=visit.way,
                         face_to_face=visit.way in FACE_TO_FACE, person_met=person, content=content,
                         ticket_id=ticket_id, visitor_id=visitor_id, visitor_name=visitor_name,
                         recorded_by=actor.display_name, recorded_at=utcnow())
        s.add(row)
        s.flush()
        plan = _open_row(s, unit_id, visit.visited_on)
        if plan is not None:
            plan.visit_id = row.id
        audit.record(s, actor, "visit_record", "owner_visits", row.id, None,
                     {"unit_id": unit_id, "visited_on": visit.visited_on, "way": visit.way, "person_met": person,
                      "content": content, "visitor": visitor_name, "plan_id": plan.id if plan else None,
                      "ticket": number})
        uow.commit()
        return RecordedVisit(row.id, plan.id if plan else None, plan.planned_month if plan else None, ticket_id,
                             number)


def withdraw_visit(*, actor: Actor, visit_id: int, version: int, reason: str) -> None:
    """撤销 a visit recorded in error (its visitor or a manager): it stops counting and its plan row is open again.
    A follow-up ticket it opened stays: it is the tickets desk's to cancel."""
    require(actor, "visits.record")
    errors: dict[str, str] = {}
    text = collect_text(errors, "撤销原因", reason, 200, required=True)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        row = s.get(OwnerVisit, visit_id)
        if row is None or not in_scope(actor, row.estate_id):
            raise NotFound("访谈记录不存在")
        if row.version != version:
            raise StaleEdit()
        if row.visitor_id != actor.user_id and not can(actor, "visits.plan"):
            raise PermissionDenied("撤销他人登记的业主访谈")
        if row.withdrawn:
            raise Conflict("该访谈记录已撤销")
        row.withdrawn = True
        row.withdrawn_reason = text
        plan = s.scalars(select(VisitPlan).where(VisitPlan.visit_id == row.id)).first()
        if plan is not None:
            plan.visit_id = None
        audit.record(s, actor, "visit_withdraw", "owner_visits", row.id, {"withdrawn": False},
                     {"withdrawn": True, "reason": text, "released_plan_id": plan.id if plan else None})
        uow.commit()


# --- lists --------------------------------------------------------------------------------------------------


def _this_month() -> str:
    return local_today().strftime("%Y-%m")


_Assignee = aliased(User)
_Done = aliased(OwnerVisit)


def _plan_status(this_month: str) -> Any:
    return case(
        (and_(VisitPlan.visit_id.is_not(None), _Done.month <= VisitPlan.planned_month), "已访"),
        (VisitPlan.visit_id.is_not(None), "逾期完成"),
        (VisitPlan.planned_month < this_month, "逾期未访"),
        else_="待访",
    )


def _plan_columns(this_month: str) -> dict[str, Any]:
    return {
        "id": VisitPlan.id,
        "version": VisitPlan.version,
        "estate": Estate.name,
        "code": unit_code,
        "planned_month": VisitPlan.planned_month,
        "sequence": VisitPlan.sequence,
        "basis": VisitPlan.basis,
        "assignee": _Assignee.display_name,
        "status": _plan_status(this_month),
        "visited_on": _Done.visited_on,
        "way": _Done.way,
        "unit_id": VisitPlan.unit_id,
    }


def list_plan(*, actor: Actor, year: int, query: ListQuery) -> PageResult:
    """The year's plan rows with their status; filters: estate_id, assignee_id, planned_month, status."""
    authorize_list(actor, "relations.view", query)
    columns = _plan_columns(_this_month())
    stmt = (join_unit_location(select(*[c.label(n) for n, c in columns.items()]), VisitPlan.unit_id, actor=actor)
            .join(_Assignee, _Assignee.id == VisitPlan.assignee_id)
            .outerjoin(_Done, _Done.id == VisitPlan.visit_id)
            .where(VisitPlan.year == year))
    with read_session() as s:
        return run_list(s, stmt, columns, query, search_columns=[unit_code, _Assignee.display_name, Estate.name],
                        equal_filters={"estate_id": VisitPlan.estate_id, "assignee_id": VisitPlan.assignee_id,
                                       "planned_month": VisitPlan.planned_month,
                                       "status": columns["status"]},
                        default_sort=("planned_month", False),
                        sort_keys={"code": UNIT_CODE_ORDER,
                                   "planned_month": (VisitPlan.planned_month, *UNIT_CODE_ORDER)})


_Fulfils = aliased(VisitPlan)
VISIT_COLUMNS: dict[str, Any] = {
    "id": OwnerVisit.id,
    "version": OwnerVisit.version,
    "visited_on": OwnerVisit.visited_on,
    "estate": Estate.name,
    "code": unit_code,
    "way": OwnerVisit.way,
    "person_met": OwnerVisit.person_met,
    "content": OwnerVisit.content,
    "visitor": OwnerVisit.visitor_name,
    "ticket": Ticket.number,
    "planned_month": _Fulfils.planned_month,
    "state": case((OwnerVisit.withdrawn.is_(True), "已撤销"), else_="有效"),
    "withdrawn_reason": OwnerVisit.withdrawn_reason,
    "visitor_id": OwnerVisit.visitor_id,
}


def list_visits(*, actor: Actor, query: ListQuery) -> PageResult:
    """访谈记录, newest first; filters: estate_id, month, way, visitor_id, state (有效/已撤销)."""
    authorize_list(actor, "relations.view", query)
    stmt = (join_unit_location(select(*[c.label(n) for n, c in VISIT_COLUMNS.items()]), OwnerVisit.unit_id,
                               actor=actor)
            .outerjoin(Ticket, Ticket.id == OwnerVisit.ticket_id)
            .outerjoin(_Fulfils, _Fulfils.visit_id == OwnerVisit.id))
    with read_session() as s:
        return run_list(s, stmt, VISIT_COLUMNS, query,
                        search_columns=[unit_code, OwnerVisit.person_met, OwnerVisit.content,
                                        OwnerVisit.visitor_name, Ticket.number],
                        equal_filters={"estate_id": OwnerVisit.estate_id, "month": OwnerVisit.month,
                                       "way": OwnerVisit.way, "visitor_id": OwnerVisit.visitor_id,
                                       "state": VISIT_COLUMNS["state"]},
                        default_sort=("visited_on", True), sort_keys={"code": UNIT_CODE_ORDER})


def unit_visits(*, actor: Actor, unit_id: int) -> pd.DataFrame:
    """A household's visits, newest first (for the record form: what was said last time)."""
    require(actor, "relations.view")
    with read_session() as s:
        rows = s.execute(select(OwnerVisit.visited_on, OwnerVisit.way, OwnerVisit.person_met, OwnerVisit.content,
                                OwnerVisit.visitor_name)
                         .where(OwnerVisit.unit_id == unit_id, OwnerVisit.withdrawn.is_(False),
                                estate_clause(actor, OwnerVisit.estate_id))
                         .order_by(OwnerVisit.visited_on.desc(), OwnerVisit.id.desc()).limit(20)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["visited_on", "way", "person_met", "content", "visitor"],
                        dtype=object)


# --- figures ------------------------------------------------------------------------------------------------


def _rows(session: Session, stmt: Select[*tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """A statement's rows as plain tuples (a grouped read model: each caller names the columns)."""
    return [tuple(r) for r in session.execute(stmt)]


def _period_months(period: str | Period) -> tuple[str, str]:
    """('YYYY-MM', 'YYYY-MM') of a month (Period or 'YYYY-MM') or a year ('YYYY')."""
    label = period.label if isinstance(period, Period) else str(period).strip()
    if len(label) == 4 and label.isdigit():
        return f"{label}-01", f"{label}-12"
    month = Period.parse(label).label
    return month, month


def _planned_done(first: str, last: str, *, by_month: bool = False, by_assignee: bool = False,
                  estate_id: int | None = None, assignee_id: int | None = None,
                  estate_ids: frozenset[int] | None = None) -> Select[*tuple[Any, ...]]:
    """Planned and counted visits of the months first..last (KPI.md 访谈完成率), grouped by assignee and/or month:
    each household's visits of the span (or of each month) count at most as often as it was planned there."""
    keys = [VisitPlan.unit_id] + ([VisitPlan.planned_month] if by_month else []) \
        + ([VisitPlan.assignee_id] if by_assignee else [])
    plan = select(*keys, func.count().label("times")).where(VisitPlan.planned_month.between(first, last))
    if estate_id is not None:
        plan = plan.where(VisitPlan.estate_id == estate_id)
    if estate_ids is not None:  # the reader's estates
        plan = plan.where(VisitPlan.estate_id.in_(sorted(estate_ids)))
    if assignee_id is not None:
        plan = plan.where(VisitPlan.assignee_id == assignee_id)
    planned = plan.group_by(*keys).subquery()
    vkeys = [OwnerVisit.unit_id] + ([OwnerVisit.month] if by_month else [])
    visited = (select(*vkeys, func.count().label("times"))
               .where(OwnerVisit.withdrawn.is_(False), OwnerVisit.month.between(first, last))
               .group_by(*vkeys).subquery())
    on = planned.c.unit_id == visited.c.unit_id
    if by_month:
        on = and_(on, planned.c.planned_month == visited.c.month)
    counted = case((visited.c.times.is_(None), 0), (visited.c.times < planned.c.times, visited.c.times),
                   else_=planned.c.times)
    groups = ([planned.c.assignee_id] if by_assignee else []) + ([planned.c.planned_month] if by_month else [])
    return (select(*groups, func.sum(planned.c.times).label("planned"), func.sum(counted).label("done"))
            .select_from(planned.outerjoin(visited, on)).group_by(*groups))


def _recorded(first: str, last: str, *, estate_id: int | None = None,
              visitor_id: int | None = None, estate_ids: frozenset[int] | None = None) -> Select[*tuple[Any, ...]]:
    stmt: Select[*tuple[Any, ...]] = select(func.count().label("visits"),
                  func.sum(case((OwnerVisit.face_to_face.is_(True), 1), else_=0)).label("f2f")
                  ).where(OwnerVisit.withdrawn.is_(False), OwnerVisit.month.between(first, last))
    if estate_id is not None:
        stmt = stmt.where(OwnerVisit.estate_id == estate_id)
    if estate_ids is not None:
        stmt = stmt.where(OwnerVisit.estate_id.in_(sorted(estate_ids)))
    if visitor_id is not None:
        stmt = stmt.where(OwnerVisit.visitor_id == visitor_id)
    return stmt


def visit_completion(*, period: str | Period, staff_user_id: int | None = None) -> Decimal | None:
    """访谈完成率 of a month ('YYYY-MM' or Period) or a year ('YYYY'), of everyone or of one assignee (user id)."""
    first, last = _period_months(period)
    with read_session() as s:
        row = s.execute(_planned_done(first, last, assignee_id=staff_user_id)).one()
    return rate(int(row.done or 0), int(row.planned or 0))


def face_to_face_share(*, period: str | Period, staff_user_id: int | None = None) -> Decimal | None:
    """面访比例 of a month or a year: visits 上门/来访 over recorded visits (of everyone, or one visitor)."""
    first, last = _period_months(period)
    with read_session() as s:
        row = s.execute(_recorded(first, last, visitor_id=staff_user_id)).one()
    return rate(int(row.f2f or 0), int(row.visits or 0))


@dataclass(frozen=True)
class VisitProgress:
    """A year's visits for the home page: of one person (their plan rows and visits) or of everyone."""

    year: int
    planned: int
    done: int
    completion: Decimal | None
    visits: int
    face_to_face: int
    face_to_face_share: Decimal | None
    overdue: int  # open rows of months before this one
    mine: bool


def _scope_user(actor: Actor) -> int | None:
    """None (everyone) for a manager, else the actor's own user id."""
    return None if can(actor, "visits.plan") else (actor.user_id if actor.user_id is not None else -1)


def visit_progress(*, actor: Actor, year: int) -> VisitProgress:
    """计划/完成/完成率/面访比例 of the year: the actor's own, or everyone's for a manager."""
    require(actor, "relations.view")
    who = _scope_user(actor)
    first, last = f"{year}-01", f"{year}-12"
    this_month = _this_month()
    with read_session() as s:
        pd_row = s.execute(_planned_done(first, last, assignee_id=who, estate_ids=actor.estate_ids)).one()
        rec = s.execute(_recorded(first, last, visitor_id=who, estate_ids=actor.estate_ids)).one()
        overdue_q = select(func.count()).select_from(VisitPlan).where(
            VisitPlan.year == year, VisitPlan.visit_id.is_(None), VisitPlan.planned_month < this_month,
            estate_clause(actor, VisitPlan.estate_id))
        if who is not None:
            overdue_q = overdue_q.where(VisitPlan.assignee_id == who)
        overdue = int(s.scalar(overdue_q) or 0)
    planned, done = int(pd_row.planned or 0), int(pd_row.done or 0)
    visits, f2f = int(rec.visits or 0), int(rec.f2f or 0)
    return VisitProgress(year, planned, done, rate(done, planned), visits, f2f, rate(f2f, visits), overdue,
                         who is not None)


def progress_by_person(*, actor: Actor, year: int, estate_id: int | None = None,
                       by_month: bool = True) -> pd.DataFrame:
    """Per person (and month of the year, unless by_month is False): planned, done, visits recorded, face to face,
    with the rates (a month counts the visits made in it; the year counts every visit of the year). One statement:
    the plan's counts (per assignee) and the visits' counts (per visitor) united and summed per person."""
    require(actor, "relations.view")
    first, last = f"{year}-01", f"{year}-12"
    plan = _planned_done(first, last, by_month=by_month, by_assignee=True, estate_id=estate_id,
                         estate_ids=actor.estate_ids).subquery()
    plan_month = plan.c.planned_month if by_month else literal("")
    rec = select(OwnerVisit.visitor_id.label("user_id"),
                 (OwnerVisit.month if by_month else literal("")).label("month"),
                 literal(0).label("planned"), literal(0).label("done"), func.count().label("visits"),
                 func.sum(case((OwnerVisit.face_to_face.is_(True), 1), else_=0)).label("f2f")) \
        .where(OwnerVisit.withdrawn.is_(False), OwnerVisit.month.between(first, last),
               OwnerVisit.visitor_id.is_not(None))
    if estate_id is not None:
        rec = rec.where(OwnerVisit.estate_id == estate_id)
    rec = rec.where(estate_clause(actor, OwnerVisit.estate_id))
    rec = rec.group_by(OwnerVisit.visitor_id, *([OwnerVisit.month] if by_month else []))
    both = union_all(
        select(plan.c.assignee_id.label("user_id"), plan_month.label("month"), plan.c.planned, plan.c.done,
               literal(0).label("visits"), literal(0).label("f2f")),
        rec).subquery()
    stmt: Select[*tuple[Any, ...]] = (select(both.c.user_id, User.display_name, both.c.month, func.sum(both.c.planned),
                   func.sum(both.c.done), func.sum(both.c.visits), func.sum(both.c.f2f))
            .join(User, User.id == both.c.user_id)
            .group_by(both.c.user_id, User.display_name, both.c.month).order_by(User.display_name, both.c.month))
    with read_session() as s:
        rows = [(int(uid), name, month, int(p or 0), int(d or 0), int(v or 0), int(f or 0))
                for uid, name, month, p, d, v, f in _rows(s, stmt)]
    frame = pd.DataFrame(rows, columns=["user_id", "name", "month", "planned", "done", "visits", "f2f"])
    frame["completion"] = [rate(d, p) for d, p in zip(frame["done"], frame["planned"], strict=True)]
    frame["f2f_share"] = [rate(f, v) for f, v in zip(frame["f2f"], frame["visits"], strict=True)]
    frame = frame.astype({"completion": object, "f2f_share": object})
    return frame if by_month else frame.drop(columns=["month"])


def visits_due(*, actor: Actor, on: date, limit: int = MAX_DUE_ROWS) -> pd.DataFrame:
    """Planned visits not yet made, due in `on`'s month or overdue from an earlier month of that year: the actor's
    own, or everyone's for a manager; overdue first. Columns: id, unit_id, unit, planned_month, sequence,
    assignee, overdue."""
    require(actor, "relations.view")
    who = _scope_user(actor)
    month = on.strftime("%Y-%m")
    stmt: Select[*tuple[Any, ...]] = (join_unit_location(select(VisitPlan.id, VisitPlan.unit_id, Estate.name, unit_code,
                                      VisitPlan.planned_month, VisitPlan.sequence, VisitPlan.basis,
                                      _Assignee.display_name), VisitPlan.unit_id, actor=actor)
            .join(_Assignee, _Assignee.id == VisitPlan.assignee_id)
            .where(VisitPlan.year == on.year, VisitPlan.visit_id.is_(None), VisitPlan.planned_month <= month)
            .order_by(VisitPlan.planned_month, *UNIT_CODE_ORDER, VisitPlan.sequence).limit(limit))
    if who is not None:
        stmt = stmt.where(VisitPlan.assignee_id == who)
    with read_session() as s:
        rows = [(pid, uid, f"{estate} {code}", m, seq, basis, name, m < month)
                for pid, uid, estate, code, m, seq, basis, name in _rows(s, stmt)]
    return pd.DataFrame(rows, columns=["id", "unit_id", "unit", "planned_month", "sequence", "basis", "assignee",
                                       "overdue"], dtype=object)


def plan_years(*, actor: Actor) -> list[int]:
    """The years that have a plan, newest first (for pickers)."""
    require(actor, "relations.view")
    with read_session() as s:
        return [int(y) for y in s.scalars(select(VisitPlan.year).distinct().where(estate_clause(actor, VisitPlan.estate_id))
                                          .order_by(VisitPlan.year.desc()))]


def plan_buildings(*, actor: Actor, year: int) -> pd.DataFrame:
    """The buildings of a year's plan with their person and open rows (for 调整分派)."""
    require(actor, "relations.view")
    stmt: Select[*tuple[Any, ...]] = (select(VisitPlan.building_id, Estate.name, Building.name, _Assignee.display_name,
                   func.count().label("rows"),
                   func.sum(case((VisitPlan.visit_id.is_(None), 1), else_=0)).label("open"))
            .join(Building, Building.id == VisitPlan.building_id).join(Estate, Estate.id == VisitPlan.estate_id)
            .join(_Assignee, _Assignee.id == VisitPlan.assignee_id)
            .where(VisitPlan.year == year, estate_clause(actor, VisitPlan.estate_id))
            .group_by(VisitPlan.building_id, Estate.code, Estate.name, Building.code, Building.name,
                      _Assignee.display_name)
            .order_by(Estate.code, func.length(Building.code), Building.code))
    with read_session() as s:
        rows = [(int(b), e, bn, a, int(n), int(o or 0)) for b, e, bn, a, n, o in _rows(s, stmt)]
    return pd.DataFrame(rows, columns=["building_id", "estate", "building", "assignee", "rows", "open"])
