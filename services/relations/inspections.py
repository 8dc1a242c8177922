"""楼宇巡查 and 违章: daily rounds along a route's checklist, findings turned into tickets, violations followed to an
outcome.

Invariants:
- routes and their checklist items are data the manager keeps (inspections.manage); an item is never deleted, only
  made inactive, so past rounds keep pointing at it; a round copies each item's words, so renaming an item later
  leaves the rounds already walked as they were;
- a round is one route walked on one day by the signed-in user: every active item answered 正常 or 异常, an 异常
  saying what was found. The day is not in the future and at most ROUND_LATE_DAYS back (a paper sheet entered late).
  A second round of the same route and day is refused, by the service and by the unique key (route, day): the
  seed's standard is one walk a day (园区现场巡查 1次/天), and the usual mistake is a sheet entered twice;
- an 异常 line becomes a ticket of the tickets domain, channel 巡查发现, through tickets.workflow.take (its number,
  deadline and audit row as any ticket's), in one step; the line is claimed first under its version, so two desks
  never make two tickets of one finding, and a refused ticket releases the claim;
- a violation 违章: found_on not in the future; its rectification deadline on or after found_on; the 整改通知书 gets a
  number from a counter when issued (ZG + year + sequence, no gaps); follow-ups are dated between found_on and today
  and may move the deadline; closing records the outcome and the day and ends it. Overdue = open and the deadline
  before today;
- every change writes its audit row in its own transaction, or nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, cast

import pandas as pd
from sqlalchemy import Select, String, case, func, literal, or_, select
from sqlalchemy import cast as sql_cast
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import (
    Building,
    Estate,
    InspectionItem,
    InspectionResult,
    InspectionRound,
    InspectionRoute,
    Ticket,
    Unit,
    Violation,
    ViolationFollowUp,
)
from db.types import utcnow
from services.estate.households import _note
from services.estate.units import unit_code
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import local_today
from services.platform.counters import advance
from services.platform.editing import RowEdit, apply_edits, flush_or_stale
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.scope import estate_clause, in_scope
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import collect, collect_text, given_or, parse_choice, parse_date
from services.tickets import workflow as tickets

# the seed's daily inspection covers these (园区公共区域环境、设施设备、房屋本体、标识标牌、装修管理、园区配套（泳池、会所）、
# 客户触点岗位)
AREAS = ("公共区域环境", "设施设备", "房屋本体", "标识标牌", "装修管理", "园区配套", "客户触点岗位")
RESULTS = ("正常", "异常")
DEPARTMENTS = tickets.DEPARTMENTS
ROUND_LATE_DAYS = 7
# A finding on a public area has no unit, and the tickets domain takes 报修 and 投诉 only for a unit; such a ticket is
# a 求助 to the department (2-hour time limit, no owner to revisit). With a unit (a renovation site) it is a 报修.
PUBLIC_TICKET_TYPE = "求助"
UNIT_TICKET_TYPE = "报修"
TICKET_CHANNEL = "巡查发现"
CLAIM_TTL = timedelta(minutes=2)  # a claim left by a desk that crashed mid-way lapses after this

VIOLATION_KINDS = ("违章搭建", "占用公共部位", "违反装修规定", "其他")
OUTCOMES = ("已整改", "移交执法部门", "其他")
OPEN, OVERDUE, CLOSED = "处理中", "已逾期", "已结案"
VIOLATION_STATUSES = (OPEN, OVERDUE, CLOSED)

ROUTE_TABLE = TableSpec("inspection_routes", (
    Field("estate_id", "小区", "inspections.estate", "int", creatable=True, required=True, min_value=1,
          listed_as="estate"),
    Field("name", "路线名称", "inspections.route_name", editable=True, creatable=True, required=True, max_len=64),
    Field("note", "说明", "inspections.route_note", editable=True, creatable=True, max_len=200),
    Field("active", "启用", "inspections.active", "bool", editable=True, default=True),
))
ITEM_TABLE = TableSpec("inspection_items", (
    Field("route_id", "巡查路线", "inspections.route", "int", creatable=True, required=True, min_value=1,
          listed_as="route"),
    Field("position", "顺序", "inspections.position", "int", editable=True, creatable=True, min_value=0,
          max_value=9999),
    Field("area", "检查类别", "inspections.area", "choice", editable=True, creatable=True, required=True,
          options=AREAS),
    Field("text", "检查内容", "inspections.item_text", editable=True, creatable=True, required=True, max_len=100),
    Field("department", "责任部门", "inspections.department", "choice", editable=True, creatable=True,
          required=True, options=DEPARTMENTS, default="工程"),
    Field("active", "启用", "inspections.active", "bool", editable=True, default=True),
))






def _day(errors: dict[str, str], label: str, value: Any, *, required: bool = True) -> date | None:
    return collect(errors, label, value, parse_date, required=required)


# ---------------------------------------------------------------- routes and checklist items (the manager's data)


def add_route(*, actor: Actor, estate_id: int, name: str, note: str = "") -> int:
    """A new route of an estate, active, with an empty checklist."""
    require(actor, "inspections.manage")
    values = ROUTE_TABLE.create_rules.parse_or_raise({"estate_id": estate_id, "name": name, "note": note})
    with unit_of_work() as uow:
        s = uow.session
        if s.get(Estate, values["estate_id"]) is None or not in_scope(actor, values["estate_id"]):
            raise ValidationError({"小区": "不存在"})
        if s.scalar(select(InspectionRoute.id).where(InspectionRoute.estate_id == values["estate_id"],
                                                     InspectionRoute.name == values["name"])) is not None:
            raise ValidationError({"路线名称": f"本小区已有路线“{values['name']}”"})
        route = InspectionRoute(estate_id=values["estate_id"], name=values["name"], note=values["note"], active=True)
        s.add(route)
        s.flush()
        audit.record(s, actor, "create", "inspection_routes", route.id, None, values)
        uow.commit()
        return route.id


def update_routes(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Grid edits of routes (name, note, active): all rows or none."""
    require(actor, "inspections.manage")
    with unit_of_work() as uow:
        n = apply_edits(uow.session, actor=actor, model=InspectionRoute, entity="inspection_routes", edits=edits,
                        rules=ROUTE_TABLE.edit_rules, row_label=lambda r: r.name,
                        visible=lambda r: in_scope(actor, r.estate_id))
        uow.commit()
        return n


def add_item(*, actor: Actor, route_id: int, area: str, text: str, department: str = "工程",
             position: int | None = None) -> int:
    """A new checklist line at the end of the route (or at `position`)."""
    require(actor, "inspections.manage")
    raw: dict[str, Any] = {"route_id": route_id, "area": area, "text": text, "department": department}
    if position is not None:
        raw["position"] = position
    values = ITEM_TABLE.create_rules.parse_or_raise(raw)
    with unit_of_work() as uow:
        s = uow.session
        route = s.get(InspectionRoute, values["route_id"])
        if route is None or not in_scope(actor, route.estate_id):
            raise ValidationError({"巡查路线": "不存在"})
        if values.get("position") is None:
            last = s.scalar(select(func.max(InspectionItem.position))
                            .where(InspectionItem.route_id == values["route_id"]))
            values["position"] = (last or 0) + 10  # steps of ten leave room to slot a line in between
        item = InspectionItem(**values, active=True)
        s.add(item)
        s.flush()
        audit.record(s, actor, "create", "inspection_items", item.id, None, values)
        uow.commit()
        return item.id


def update_items(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Grid edits of checklist lines (order, area, words, department, active): all rows or none."""
    require(actor, "inspections.manage")
    with unit_of_work() as uow:
        s = uow.session
        n = apply_edits(s, actor=actor, model=InspectionItem, entity="inspection_items", edits=edits,
                        rules=ITEM_TABLE.edit_rules, row_label=lambda r: r.text,
                        visible=lambda r: in_scope(actor, cast(InspectionRoute, s.get(InspectionRoute, r.route_id))
                                                   .estate_id))
        uow.commit()
        return n


def route_options(*, actor: Actor, active_only: bool = True) -> dict[int, str]:
    """{route id: '小区 · 路线'} for pickers, in estate and name order."""
    if not (can(actor, "inspections.record") or can(actor, "inspections.manage")):
        require(actor, "inspections.record")
    stmt = (select(InspectionRoute.id, Estate.name, InspectionRoute.name)
            .join(Estate, Estate.id == InspectionRoute.estate_id).where(estate_clause(actor, InspectionRoute.estate_id))
            .order_by(Estate.code, InspectionRoute.id))
    if active_only:
        stmt = stmt.where(InspectionRoute.active.is_(True))
    with read_session() as s:
        return {rid: f"{estate} · {name}" for rid, estate, name in s.execute(stmt)}


_item_count = (select(func.count(InspectionItem.id))
               .where(InspectionItem.route_id == InspectionRoute.id, InspectionItem.active.is_(True))
               .correlate(InspectionRoute).scalar_subquery())
_last_round = (select(func.max(InspectionRound.round_on)).where(InspectionRound.route_id == InspectionRoute.id)
               .correlate(InspectionRoute).scalar_subquery())
ROUTE_COLUMNS = {
    "id": InspectionRoute.id,
    "version": InspectionRoute.version,
    "estate": Estate.name,
    "name": InspectionRoute.name,
    "note": InspectionRoute.note,
    "active": InspectionRoute.active,
    "items": _item_count,
    "last_round_on": _last_round,
}


def list_routes(*, actor: Actor, query: ListQuery) -> PageResult:
    authorize_list(actor, "inspections.manage", query)
    stmt: Select[*tuple[Any, ...]] = (select(*[c.label(n) for n, c in ROUTE_COLUMNS.items()])
            .join(Estate, Estate.id == InspectionRoute.estate_id).where(estate_clause(actor, InspectionRoute.estate_id)))
    with read_session() as s:
        return run_list(s, stmt, ROUTE_COLUMNS, query, search_columns=[Estate.name, InspectionRoute.name],
                        equal_filters={"estate_id": InspectionRoute.estate_id}, default_sort=("estate", False))


ITEM_COLUMNS = {
    "id": InspectionItem.id,
    "version": InspectionItem.version,
    "route": Estate.name.concat(" · ").concat(InspectionRoute.name),
    "position": InspectionItem.position,
    "area": InspectionItem.area,
    "text": InspectionItem.text,
    "department": InspectionItem.department,
    "active": InspectionItem.active,
}


def list_items(*, actor: Actor, query: ListQuery) -> PageResult:
    """Checklist lines; filter `route_id` shows one route's, in their order."""
    authorize_list(actor, "inspections.manage", query)
    stmt: Select[*tuple[Any, ...]] = (select(*[c.label(n) for n, c in ITEM_COLUMNS.items()])
            .join(InspectionRoute, InspectionRoute.id == InspectionItem.route_id)
            .join(Estate, Estate.id == InspectionRoute.estate_id).where(estate_clause(actor, InspectionRoute.estate_id)))
    with read_session() as s:
        return run_list(s, stmt, ITEM_COLUMNS, query,
                        search_columns=[InspectionItem.text, InspectionItem.area, InspectionRoute.name],
                        equal_filters={"route_id": InspectionItem.route_id, "area": InspectionItem.area},
                        default_sort=("position", False),
                        sort_keys={"position": [Estate.code, InspectionRoute.name, InspectionItem.position],
                                   "route": [Estate.code, InspectionRoute.name, InspectionItem.position]})


def checklist(*, actor: Actor, route_id: int) -> pd.DataFrame:
    """The active lines of a route in walking order: id, position, area, text, department."""
    require(actor, "inspections.record")
    with read_session() as s:
        rows = s.execute(select(InspectionItem.id, InspectionItem.position, InspectionItem.area, InspectionItem.text,
                                InspectionItem.department)
                         .join(InspectionRoute, InspectionRoute.id == InspectionItem.route_id)
                         .where(InspectionItem.route_id == route_id, InspectionItem.active.is_(True),
                                estate_clause(actor, InspectionRoute.estate_id))
                         .order_by(InspectionItem.position, InspectionItem.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["id", "position", "area", "text", "department"])


# ---------------------------------------------------------------- rounds


@dataclass(frozen=True)
class Answer:
    """One checklist line as the inspector found it; `ticket`: turn an 异常 into a ticket right away."""

    item_id: int
    result: str
    note: str = ""
    ticket: bool = False


@dataclass(frozen=True)
class RoundOutcome:
    round_id: int
    items: int
    failed: int
    tickets: tuple[str, ...] = ()  # numbers of the tickets made from 异常 lines
    ticket_errors: tuple[str, ...] = ()  # why a line asked to become a ticket did not (it stays 待转工单)


def _check_answers(checklist_rows: Sequence[InspectionItem], answers: Sequence[Answer],
                   errors: dict[str, str]) -> dict[int, tuple[str, str, bool]]:
    by_item: dict[int, tuple[str, str, bool]] = {}
    seen: set[int] = set()
    known = {item.id: item for item in checklist_rows}
    for answer in answers:
        item = known.get(answer.item_id)
        if item is None:
            errors[f"检查项 #{answer.item_id}"] = "不是本路线在用的检查项"
            continue
        label = item.text
        if answer.item_id in seen:
            errors[label] = "重复填写"
            continue
        seen.add(answer.item_id)
        if not isinstance(answer.result, str) or answer.result not in RESULTS:
            errors[label] = "结果应为 正常 或 异常"
            continue
        note = collect_text(errors, f"{label}（说明）", answer.note, 200)
        if answer.result == "异常" and not note and f"{label}（说明）" not in errors:
            errors[label] = "异常时须写明发现的问题"
        if answer.ticket and answer.result != "异常":
            errors[label] = "只有异常项可以转为工单"
        by_item[answer.item_id] = (answer.result, note, answer.ticket)
    missing = [item.text for item in checklist_rows if item.id not in seen]
    if missing:
        errors["未填写的检查项"] = "、".join(missing[:8]) + (f" 等 {len(missing)} 项" if len(missing) > 8 else "")
    return by_item


def submit_round(*, actor: Actor, route_id: int, round_on: date, answers: Sequence[Answer],
                 note: str = "") -> RoundOutcome:
    """登记巡查: the round and every line in one transaction; then each 异常 line marked `ticket` becomes a ticket
    (its own transaction each: a ticket refused leaves the round saved and the line 待转工单)."""
    require(actor, "inspections.record")
    errors: dict[str, str] = {}
    today = local_today()
    day = _day(errors, "巡查日期", round_on)
    if day is not None and day > today:
        errors["巡查日期"] = "不能晚于今天"
    elif day is not None and day < today - timedelta(days=ROUND_LATE_DAYS):
        errors["巡查日期"] = f"不能早于 {ROUND_LATE_DAYS} 天前（只补录一周内的巡查记录）"
    note = collect_text(errors, "备注", note, 500)
    if actor.user_id is None:
        errors["巡查人"] = "须由巡查人本人登录后登记"
    if any(a.ticket for a in answers) and not can(actor, "tickets.take"):
        errors["转工单"] = "当前角色不能受理报事：请保存巡查后由前台在“异常项”中转为工单"
    with unit_of_work() as uow:
        s = uow.session
        route = s.get(InspectionRoute, route_id)
        if route is None or not in_scope(actor, route.estate_id):
            raise NotFound("巡查路线不存在")
        if not route.active:
            raise Conflict(f"巡查路线“{route.name}”已停用")
        items = list(s.scalars(select(InspectionItem)
                               .where(InspectionItem.route_id == route_id, InspectionItem.active.is_(True))
                               .order_by(InspectionItem.position, InspectionItem.id)))
        if not items:
            raise Conflict(f"巡查路线“{route.name}”还没有检查项，请先由主管维护检查项")
        by_item = _check_answers(items, answers, errors)
        if day is not None and "巡查日期" not in errors:
            earlier = s.execute(select(InspectionRound.inspector_name, InspectionRound.recorded_at)
                                .where(InspectionRound.route_id == route_id, InspectionRound.round_on == day)).first()
            if earlier is not None:
                errors["巡查日期"] = (f"{route.name} {day.isoformat()} 已由{earlier[0]}登记巡查"
                                   "，同一路线每天只登记一次")
        if errors:
            raise ValidationError(errors)
        assert day is not None  # no error means the day was given
        failed = sum(1 for result, _, _ in by_item.values() if result == "异常")
        rnd = InspectionRound(route_id=route_id, round_on=day, inspector_id=actor.user_id,
                              inspector_name=actor.display_name, recorded_at=utcnow(), note=note, items=len(items),
                              failed=failed)
        s.add(rnd)
        try:
            s.flush()
        except IntegrityError as exc:  # another desk saved the same route and day a moment ago
            raise ValidationError({"巡查日期": f"{route.name} {day.isoformat()} 已登记巡查，同一路线每天只登记一次"}) \
                from exc
        lines = []
        for item in items:
            result, line_note, _ = by_item[item.id]
            line = InspectionResult(round_id=rnd.id, item_id=item.id, position=item.position, area=item.area,
                                    item_text=item.text, department=item.department, result=result, note=line_note)
            s.add(line)
            lines.append(line)
        s.flush()
        audit.record(s, actor, "create", "inspection_rounds", rnd.id, None,
                     {"route": route.name, "round_on": day, "items": len(items), "failed": failed,
                      "findings": [f"{line.item_text}：{line.note}" for line in lines if line.result == "异常"]})
        wanted = [(line.id, line.version) for line in lines if by_item[line.item_id][2]]
        uow.commit()
        outcome = RoundOutcome(round_id=rnd.id, items=len(items), failed=failed)
    numbers, problems = [], []
    for line_id, version in wanted:
        try:
            numbers.append(raise_ticket(actor=actor, result_id=line_id, version=version)[1])
        except (ValidationError, Conflict, NotFound, StaleEdit, PermissionDenied) as exc:
            problems.append(exc.message)
    return RoundOutcome(round_id=outcome.round_id, items=outcome.items, failed=outcome.failed,
                        tickets=tuple(numbers), ticket_errors=tuple(problems))


def _finding_content(route: str, day: date, area: str, text: str, note: str) -> str:
    return f"【巡查发现】{route} {day.isoformat()} · {area}·{text}：{note}"[:1000]


def raise_ticket(*, actor: Actor, result_id: int, version: int, ticket_type: str | None = None,
                 department: str | None = None, urgency: str = "普通", unit_id: int | None = None,
                 content: str | None = None) -> tuple[int, str]:
    """转工单: one 异常 line becomes a ticket (channel 巡查发现) and the line links it; returns (ticket id, number).

    Defaults: the line's department; type 求助 for a public area, 报修 when a unit is named; the content says route,
    day, item and what was found."""
    require(actor, "inspections.record")
    require(actor, "tickets.take")
    now = utcnow()
    with unit_of_work() as uow:  # 1: claim the line under the version the user saw
        s = uow.session
        line = s.get(InspectionResult, result_id)
        if line is None or not in_scope(actor, _estate_of_line(s, line)):
            raise NotFound("巡查异常项不存在")
        if line.version != version:
            raise StaleEdit()
        if line.result != "异常":
            raise Conflict("只有异常项可以转为工单")
        if line.ticket_id is not None:
            number = s.scalar(select(Ticket.number).where(Ticket.id == line.ticket_id))
            raise Conflict(f"该异常项已转为工单 {number}")
        if line.ticket_claimed_at is not None and now - line.ticket_claimed_at < CLAIM_TTL:
            raise Conflict("该异常项正在由他人转为工单，请稍后刷新查看")
        rnd = s.get(InspectionRound, line.round_id)
        assert rnd is not None  # a foreign key
        route = s.get(InspectionRoute, rnd.route_id)
        assert route is not None
        intake = tickets.Intake(
            ticket_type=given_or(ticket_type, UNIT_TICKET_TYPE if unit_id else PUBLIC_TICKET_TYPE),
            channel=TICKET_CHANNEL, estate_id=route.estate_id, unit_id=unit_id, caller_name=actor.display_name,
            caller_phone="", urgency=urgency, department=given_or(department, line.department), received_at=now,
            content=given_or(content, _finding_content(route.name, rnd.round_on, line.area, line.item_text,
                                                       line.note)))
        problems = tickets.validate_intake(intake, now)
        if problems:
            raise ValidationError(problems)
        line.ticket_claimed_at = now
        flush_or_stale(s)
        uow.commit()
    try:  # 2: the ticket, as the tickets domain takes any ticket
        ticket_id, number = tickets.take(actor=actor, intake=intake)
    except BaseException:
        _release_claim(result_id)
        raise
    with unit_of_work() as uow:  # 3: the line links its ticket
        s = uow.session
        line = s.get(InspectionResult, result_id)
        assert line is not None
        line.ticket_id, line.ticket_claimed_at = ticket_id, None
        audit.record(s, actor, "to_ticket", "inspection_results", line.id, None,
                     {"ticket": number, "item": line.item_text, "note": line.note})
        uow.commit()
    return ticket_id, number


def _estate_of_line(session: Session, line: InspectionResult) -> int:
    rnd = cast(InspectionRound, session.get(InspectionRound, line.round_id))  # foreign keys: the rows exist
    return cast(InspectionRoute, session.get(InspectionRoute, rnd.route_id)).estate_id


def _release_claim(result_id: int) -> None:
    with unit_of_work() as uow:
        line = uow.session.get(InspectionResult, result_id)
        if line is not None and line.ticket_id is None:
            line.ticket_claimed_at = None
            uow.commit()


def _day_text(column: Any) -> Any:
    """A date column as 'YYYY-MM-DD' text in SQL (the pickers under the grids name a row by it)."""
    return sql_cast(column, String(10))


ROUND_COLUMNS = {
    "id": InspectionRound.id,
    "title": _day_text(InspectionRound.round_on).concat(" ").concat(Estate.name).concat("·")
    .concat(InspectionRoute.name),
    "round_on": InspectionRound.round_on,
    "estate": Estate.name,
    "route": InspectionRoute.name,
    "inspector": InspectionRound.inspector_name,
    "items": InspectionRound.items,
    "failed": InspectionRound.failed,
    "note": InspectionRound.note,
    "recorded_at": InspectionRound.recorded_at,
}


def list_rounds(*, actor: Actor, query: ListQuery, failed_only: bool = False) -> PageResult:
    """Rounds walked, newest first by default; filters estate_id, route_id; `failed_only`: rounds with an 异常."""
    authorize_list(actor, "inspections.record", query)
    stmt: Select[*tuple[Any, ...]] = (select(*[c.label(n) for n, c in ROUND_COLUMNS.items()])
            .join(InspectionRoute, InspectionRoute.id == InspectionRound.route_id)
            .join(Estate, Estate.id == InspectionRoute.estate_id).where(estate_clause(actor, InspectionRoute.estate_id)))
    if failed_only:
        stmt = stmt.where(InspectionRound.failed > 0)
    with read_session() as s:
        return run_list(s, stmt, ROUND_COLUMNS, query,
                        search_columns=[InspectionRoute.name, InspectionRound.inspector_name, InspectionRound.note],
                        equal_filters={"estate_id": InspectionRoute.estate_id, "route_id": InspectionRound.route_id},
                        default_sort=("round_on", True),
                        sort_keys={"title": [InspectionRound.round_on, Estate.code, InspectionRoute.name]})


def round_results(*, actor: Actor, round_id: int) -> pd.DataFrame:
    """The lines of one round in walking order: id, version, position, area, item, result, note, ticket, status."""
    require(actor, "inspections.record")
    with read_session() as s:
        rows = s.execute(select(InspectionResult.id, InspectionResult.version, InspectionResult.position,
                                InspectionResult.area, InspectionResult.item_text, InspectionResult.result,
                                InspectionResult.note, func.coalesce(Ticket.number, ""),
                                func.coalesce(Ticket.status, ""))
                         .outerjoin(Ticket, Ticket.id == InspectionResult.ticket_id)
                         .join(InspectionRound, InspectionRound.id == InspectionResult.round_id)
                         .join(InspectionRoute, InspectionRoute.id == InspectionRound.route_id)
                         .where(InspectionResult.round_id == round_id, estate_clause(actor, InspectionRoute.estate_id))
                         .order_by(InspectionResult.position, InspectionResult.id)).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["id", "version", "position", "area", "item", "result",
                                                           "note", "ticket", "ticket_status"])


FINDING_COLUMNS = {
    "id": InspectionResult.id,
    "version": InspectionResult.version,
    "title": _day_text(InspectionRound.round_on).concat(" ").concat(InspectionResult.item_text),
    "round_on": InspectionRound.round_on,
    "estate": Estate.name,
    "route": InspectionRoute.name,
    "area": InspectionResult.area,
    "item": InspectionResult.item_text,
    "note": InspectionResult.note,
    "department": InspectionResult.department,
    "inspector": InspectionRound.inspector_name,
    "ticket": func.coalesce(Ticket.number, ""),
    "ticket_status": func.coalesce(Ticket.status, "待转工单"),
}


def list_findings(*, actor: Actor, query: ListQuery, without_ticket: bool = False) -> PageResult:
    """异常 lines of every round, newest first, with the ticket each became; `without_ticket`: those still
    待转工单. Filters estate_id, route_id."""
    authorize_list(actor, "inspections.record", query)
    stmt: Select[*tuple[Any, ...]] = (select(*[c.label(n) for n, c in FINDING_COLUMNS.items()])
            .join(InspectionRound, InspectionRound.id == InspectionResult.round_id)
            .join(InspectionRoute, InspectionRoute.id == InspectionRound.route_id)
            .join(Estate, Estate.id == InspectionRoute.estate_id)
            .outerjoin(Ticket, Ticket.id == InspectionResult.ticket_id)
            .where(InspectionResult.result == "异常", estate_clause(actor, InspectionRoute.estate_id)))
    if without_ticket:
        stmt = stmt.where(InspectionResult.ticket_id.is_(None))
    with read_session() as s:
        return run_list(s, stmt, FINDING_COLUMNS, query,
                        search_columns=[InspectionResult.item_text, InspectionResult.note, InspectionRoute.name,
                                        Ticket.number],
                        equal_filters={"estate_id": InspectionRoute.estate_id, "route_id": InspectionRound.route_id},
                        default_sort=("round_on", True),
                        sort_keys={"title": [InspectionRound.round_on, Estate.code, InspectionResult.position]})


@dataclass(frozen=True)
class FindingView:
    id: int
    version: int
    estate_id: int
    estate: str
    route: str
    round_on: date
    area: str
    item: str
    note: str
    department: str
    ticket: str  # the ticket's number, "" while 待转工单


def finding(*, actor: Actor, result_id: int) -> FindingView:
    """One 异常 line, for the 转工单 form."""
    require(actor, "inspections.record")
    with read_session() as s:
        row = s.execute(select(InspectionResult.id, InspectionResult.version, InspectionRoute.estate_id, Estate.name,
                               InspectionRoute.name, InspectionRound.round_on, InspectionResult.area,
                               InspectionResult.item_text, InspectionResult.note, InspectionResult.department,
                               func.coalesce(Ticket.number, ""))
                        .join(InspectionRound, InspectionRound.id == InspectionResult.round_id)
                        .join(InspectionRoute, InspectionRoute.id == InspectionRound.route_id)
                        .join(Estate, Estate.id == InspectionRoute.estate_id)
                        .outerjoin(Ticket, Ticket.id == InspectionResult.ticket_id)
                        .where(InspectionResult.id == result_id, InspectionResult.result == "异常",
                               estate_clause(actor, InspectionRoute.estate_id))).first()
    if row is None:
        raise NotFound("巡查异常项不存在")
    return FindingView(*row)


# ---------------------------------------------------------------- violations 违章


def _status(today: date) -> Any:
    return case((Violation.closed_on.is_not(None), literal(CLOSED)),
                (Violation.deadline_on < today, literal(OVERDUE)), else_=literal(OPEN))


def _place(session: Session, actor: Actor, estate_id: int, unit_id: int | None, errors: dict[str, str]) -> None:
    if session.get(Estate, estate_id) is None or not in_scope(actor, estate_id):
        errors["小区"] = "不存在"
        return
    if unit_id is not None:
        unit = session.get(Unit, unit_id)
        if unit is None or unit.estate_id != estate_id:
            errors["房屋"] = "不存在或不属于所选小区"


def _unit_text(session: Session, unit_id: int | None) -> str:
    if unit_id is None:
        return ""
    row = session.execute(select(Building.code, Unit.unit_no, Unit.room_no)
                          .join(Building, Building.id == Unit.building_id).where(Unit.id == unit_id)).first()
    return "" if row is None else f"{row[0]}-{row[1]}-{row[2]}"


def _notice_number(session: Session, day: date) -> str:
    return f"ZG{day.year}-{advance(session, f'violation_notice:{day.year}'):03d}"


def record_violation(*, actor: Actor, estate_id: int, unit_id: int | None, kind: str, description: str,
                     found_on: date, deadline_on: date, location: str = "", notice_on: date | None = None) -> int:
    """登记违章: what, where (a unit, or a public place), when found and by when it must be put right; with
    `notice_on` the 整改通知书 is issued at once and numbered."""
    require(actor, "violations.manage")
    errors: dict[str, str] = {}
    today = local_today()
    kind = collect(errors, "违章类型", kind, lambda v: parse_choice(v, VIOLATION_KINDS)) or ""
    description = collect_text(errors, "违章情况", description, 500, required=True)
    location = collect_text(errors, "位置", location, 100)
    if unit_id is None and not location and "位置" not in errors:
        errors["位置"] = "公共部位的违章须写明位置（未选房屋时必填）"
    found = _day(errors, "发现日期", found_on)
    if found is not None and found > today:
        errors["发现日期"] = "不能晚于今天"
    deadline = _day(errors, "整改期限", deadline_on)
    if deadline is not None and found is not None and deadline < found:
        errors["整改期限"] = "不能早于发现日期"
    notice = _day(errors, "通知日期", notice_on, required=False)
    if notice is not None and notice > today:
        errors["通知日期"] = "不能晚于今天"
    elif notice is not None and found is not None and notice < found:
        errors["通知日期"] = "不能早于发现日期"
    with unit_of_work() as uow:
        s = uow.session
        _place(s, actor, estate_id, unit_id, errors)
        if errors:
            raise ValidationError(errors)
        assert found is not None and deadline is not None
        v = Violation(estate_id=estate_id, unit_id=unit_id, kind=kind, location=location, description=description,
                      found_on=found, found_by=actor.display_name, recorded_at=utcnow(), deadline_on=deadline,
                      notice_on=notice, notice_no=_notice_number(s, notice) if notice else "")
        s.add(v)
        s.flush()
        audit.record(s, actor, "create", "violations", v.id, None,
                     {"kind": kind, "unit_id": unit_id, "location": location, "description": description,
                      "found_on": found, "deadline_on": deadline, "notice_no": v.notice_no, "notice_on": notice})
        if unit_id is not None:
            _note(s, actor, unit_id, "违章", f"{kind}：{description}（整改期限 {deadline.isoformat()}）")
        uow.commit()
        return v.id


def _open_violation(session: Session, actor: Actor, violation_id: int, version: int) -> Violation:
    v = session.get(Violation, violation_id)
    if v is None or not in_scope(actor, v.estate_id):
        raise NotFound("违章记录不存在")
    if v.version != version:
        raise StaleEdit()
    if v.closed_on is not None:
        raise Conflict(f"该违章已于 {v.closed_on.isoformat()} 结案（{v.outcome}）")
    return v


def issue_notice(*, actor: Actor, violation_id: int, version: int, notice_on: date,
                 deadline_on: date | None = None) -> str:
    """发出整改通知书: the notice's day and number (and, when given, a new deadline); returns the number."""
    require(actor, "violations.manage")
    errors: dict[str, str] = {}
    notice = _day(errors, "通知日期", notice_on)
    if notice is not None and notice > local_today():
        errors["通知日期"] = "不能晚于今天"
    deadline = _day(errors, "整改期限", deadline_on, required=False)
    with unit_of_work() as uow:
        s = uow.session
        v = _open_violation(s, actor, violation_id, version)
        if v.notice_no:
            raise Conflict(f"整改通知书 {v.notice_no} 已于 {v.notice_on} 发出")
        if notice is not None and notice < v.found_on:
            errors["通知日期"] = "不能早于发现日期"
        if deadline is not None and notice is not None and deadline < notice:
            errors["整改期限"] = "不能早于通知日期"
        if errors:
            raise ValidationError(errors)
        assert notice is not None
        before = {"notice_no": "", "notice_on": None, "deadline_on": v.deadline_on}
        v.notice_on, v.notice_no = notice, _notice_number(s, notice)
        if deadline is not None:
            v.deadline_on = deadline
        audit.record(s, actor, "notice", "violations", v.id, before,
                     {"notice_no": v.notice_no, "notice_on": notice, "deadline_on": v.deadline_on})
        flush_or_stale(s)
        if v.unit_id is not None:
            _note(s, actor, v.unit_id, "违章", f"发出整改通知书 {v.notice_no}，整改期限 {v.deadline_on.isoformat()}")
        uow.commit()
        return v.notice_no


def follow_up(*, actor: Actor, violation_id: int, version: int, followed_on: date, note: str,
              new_deadline_on: date | None = None) -> int:
    """跟进: a dated note of a visit or call; `new_deadline_on` moves the deadline (an agreed extension)."""
    require(actor, "violations.manage")
    errors: dict[str, str] = {}
    day = _day(errors, "跟进日期", followed_on)
    if day is not None and day > local_today():
        errors["跟进日期"] = "不能晚于今天"
    note = collect_text(errors, "跟进情况", note, 500, required=True)
    deadline = _day(errors, "新整改期限", new_deadline_on, required=False)
    if deadline is not None and day is not None and deadline < day:
        errors["新整改期限"] = "不能早于跟进日期"
    with unit_of_work() as uow:
        s = uow.session
        v = _open_violation(s, actor, violation_id, version)
        if day is not None and day < v.found_on:
            errors["跟进日期"] = "不能早于发现日期"
        if errors:
            raise ValidationError(errors)
        assert day is not None
        row = ViolationFollowUp(violation_id=v.id, followed_on=day, note=note, by_user_id=actor.user_id,
                                by_name=actor.display_name, at=utcnow())
        s.add(row)
        before = {"deadline_on": v.deadline_on}
        if deadline is not None:
            v.deadline_on = deadline
        flush_or_stale(s)
        audit.record(s, actor, "follow_up", "violations", v.id, before if deadline is not None else None,
                     {"followed_on": day, "note": note} | ({"deadline_on": deadline} if deadline else {}))
        uow.commit()
        return row.id


def close_violation(*, actor: Actor, violation_id: int, version: int, outcome: str, closed_on: date,
                    note: str = "") -> None:
    """结案: the outcome (已整改 / 移交执法部门 / 其他) and its day end the violation."""
    require(actor, "violations.manage")
    errors: dict[str, str] = {}
    outcome = collect(errors, "处理结果", outcome, lambda v: parse_choice(v, OUTCOMES)) or ""
    day = _day(errors, "结案日期", closed_on)
    if day is not None and day > local_today():
        errors["结案日期"] = "不能晚于今天"
    note = collect_text(errors, "结案说明", note, 200)
    if outcome == "其他" and not note and "结案说明" not in errors:
        errors["结案说明"] = "处理结果为“其他”时须说明"
    with unit_of_work() as uow:
        s = uow.session
        v = _open_violation(s, actor, violation_id, version)
        if day is not None and day < v.found_on:
            errors["结案日期"] = "不能早于发现日期"
        if errors:
            raise ValidationError(errors)
        assert day is not None
        v.outcome, v.outcome_note, v.closed_on, v.closed_by = outcome, note, day, actor.display_name
        flush_or_stale(s)
        audit.record(s, actor, "close", "violations", v.id, {"closed_on": None},
                     {"outcome": outcome, "closed_on": day, "note": note})
        if v.unit_id is not None:
            _note(s, actor, v.unit_id, "违章", f"{v.kind}结案：{outcome}" + (f"（{note}）" if note else ""))
        uow.commit()


_follow_ups = (select(func.count(ViolationFollowUp.id)).where(ViolationFollowUp.violation_id == Violation.id)
               .correlate(Violation).scalar_subquery())
_last_follow_up = (select(func.max(ViolationFollowUp.followed_on))
                   .where(ViolationFollowUp.violation_id == Violation.id).correlate(Violation).scalar_subquery())


def _violation_columns(today: date) -> dict[str, Any]:
    return {
        "id": Violation.id,
        "version": Violation.version,
        "title": _day_text(Violation.found_on).concat(" ").concat(Violation.kind).concat(" ")
        .concat(func.coalesce(unit_code, Violation.location)),
        "estate": Estate.name,
        "unit": func.coalesce(unit_code, ""),
        "location": Violation.location,
        "kind": Violation.kind,
        "description": Violation.description,
        "found_on": Violation.found_on,
        "found_by": Violation.found_by,
        "notice_no": Violation.notice_no,
        "notice_on": Violation.notice_on,
        "deadline_on": Violation.deadline_on,
        "status": _status(today),
        "follow_ups": _follow_ups,
        "last_follow_up": _last_follow_up,
        "outcome": Violation.outcome,
        "closed_on": Violation.closed_on,
    }


def _violations_from(stmt: Any) -> Any:
    return (stmt.select_from(Violation).join(Estate, Estate.id == Violation.estate_id)
            .outerjoin(Unit, Unit.id == Violation.unit_id).outerjoin(Building, Building.id == Unit.building_id))


def list_violations(*, actor: Actor, query: ListQuery, today: date | None = None) -> PageResult:
    """违章台账: filters status (处理中 / 已逾期 / 已结案), kind, estate_id; newest found first by default."""
    authorize_list(actor, "violations.manage", query)
    today = today or local_today()
    columns = _violation_columns(today)
    stmt = _violations_from(select(*[c.label(n) for n, c in columns.items()])).where(
        estate_clause(actor, Violation.estate_id))
    with read_session() as s:
        return run_list(s, stmt, columns, query,
                        search_columns=[unit_code, Violation.location, Violation.description, Violation.notice_no,
                                        Violation.found_by],
                        equal_filters={"status": columns["status"], "kind": Violation.kind,
                                       "estate_id": Violation.estate_id},
                        default_sort=("found_on", True), sort_keys={"title": [Violation.found_on]})


@dataclass(frozen=True)
class ViolationView:
    id: int
    version: int
    estate_id: int
    estate: str
    unit_id: int | None
    unit: str  # 楼栋-单元-房号, "" for a public place
    location: str
    kind: str
    description: str
    found_on: date
    found_by: str
    notice_no: str
    notice_on: date | None
    deadline_on: date
    outcome: str
    outcome_note: str
    closed_on: date | None
    closed_by: str
    status: str
    follow_ups: pd.DataFrame = field(default_factory=pd.DataFrame)  # followed_on, note, by

    @property
    def place(self) -> str:
        """Where, as a notice names it: the unit (and the place, when given) or the public place."""
        return " ".join(p for p in (self.estate, self.unit, self.location) if p)


def violation(*, actor: Actor, violation_id: int, today: date | None = None) -> ViolationView:
    """One violation with its follow-ups, oldest first."""
    require(actor, "violations.manage")
    today = today or local_today()
    with read_session() as s:
        v = s.get(Violation, violation_id)
        if v is None or not in_scope(actor, v.estate_id):
            raise NotFound("违章记录不存在")
        estate = s.get(Estate, v.estate_id)
        assert estate is not None
        rows = s.execute(select(ViolationFollowUp.followed_on, ViolationFollowUp.note, ViolationFollowUp.by_name)
                         .where(ViolationFollowUp.violation_id == v.id)
                         .order_by(ViolationFollowUp.followed_on, ViolationFollowUp.id)).all()
        status = CLOSED if v.closed_on is not None else (OVERDUE if v.deadline_on < today else OPEN)
        return ViolationView(
            id=v.id, version=v.version, estate_id=v.estate_id, estate=estate.name, unit_id=v.unit_id,
            unit=_unit_text(s, v.unit_id), location=v.location, kind=v.kind, description=v.description,
            found_on=v.found_on, found_by=v.found_by, notice_no=v.notice_no, notice_on=v.notice_on,
            deadline_on=v.deadline_on, outcome=v.outcome, outcome_note=v.outcome_note, closed_on=v.closed_on,
            closed_by=v.closed_by, status=status,
            follow_ups=pd.DataFrame([tuple(r) for r in rows], columns=["followed_on", "note", "by"]))


def violations_overdue(*, actor: Actor, today: date, limit: int = 20) -> pd.DataFrame:
    """For the manager's home: open violations past their deadline, most overdue first (at most `limit`):
    id, label ("小区 楼栋-单元-房号" or "小区 public place"), estate, unit (楼栋-单元-房号 or the public place), kind,
    deadline_on, days_overdue, notice_no."""
    require(actor, "violations.manage")
    place = case((Violation.unit_id.is_(None), Violation.location), else_=unit_code)
    stmt = _violations_from(select(Violation.id, Estate.name, place, Violation.kind, Violation.deadline_on,
                                   Violation.notice_no)) \
        .where(Violation.closed_on.is_(None), Violation.deadline_on < today, estate_clause(actor, Violation.estate_id)) \
        .order_by(Violation.deadline_on, Violation.id).limit(max(1, min(int(limit), 500)))
    with read_session() as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame([(vid, f"{estate} {unit or ''}".strip(), estate, unit or "", kind, deadline,
                          (today - cast(date, deadline)).days, number)
                         for vid, estate, unit, kind, deadline, number in rows],
                        columns=["id", "label", "estate", "unit", "kind", "deadline_on", "days_overdue", "notice_no"])


def violations_overdue_count(*, actor: Actor, today: date) -> int:
    """How many open violations are past their deadline (the home's figure beside violations_overdue)."""
    require(actor, "violations.manage")
    with read_session() as s:
        return int(s.scalar(select(func.count(Violation.id))
                            .where(Violation.closed_on.is_(None), Violation.deadline_on < today,
                                   estate_clause(actor, Violation.estate_id))) or 0)


def violation_counts(*, actor: Actor, today: date | None = None) -> Mapping[str, int]:
    """{处理中, 已逾期, 已结案 (this year): count} for the tab's figures."""
    require(actor, "violations.manage")
    today = today or local_today()
    status = _status(today)
    with read_session() as s:
        rows: dict[str, int] = dict(s.execute(select(status, func.count(Violation.id))
                              .where(or_(Violation.closed_on.is_(None),
                                         Violation.closed_on >= date(today.year, 1, 1)),
                                     estate_clause(actor, Violation.estate_id))
                              .group_by(status)).all())
    return {name: int(rows.get(name, 0)) for name in VIOLATION_STATUSES}


__all__ = [
    "AREAS", "DEPARTMENTS", "ITEM_TABLE", "OUTCOMES", "RESULTS", "ROUTE_TABLE", "VIOLATION_KINDS",
    "VIOLATION_STATUSES", "Answer", "FindingView", "RoundOutcome", "ViolationView", "add_item", "add_route",
    "checklist", "close_violation", "finding", "follow_up", "issue_notice", "list_findings", "list_items",
    "list_rounds", "list_routes", "list_violations", "raise_ticket", "record_violation", "round_results",
    "route_options", "submit_round", "update_items", "update_routes", "violation", "violation_counts",
    "violations_overdue", "violations_overdue_count",
]
