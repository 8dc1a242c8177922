"""巡查 and 违章 (services/relations/inspections): routes and checklists as data, daily rounds, findings turned into
tickets in one step, violations from discovery through notice and follow-up to their outcome, and the overdue list
of the manager's home. Every refusal names the field and the rule and writes nothing."""

from __future__ import annotations

from datetime import timedelta

import pytest

from db.models import InspectionItem, InspectionResult, InspectionRound, Ticket, Unit, UnitNote, Violation
from db.types import utcnow
from services.platform.auth import Actor, Role
from services.platform.clock import local_today
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import inspections as insp
from services.relations.inspections import Answer
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    count_rows,
    db_state,
    force_columns,
    get_row,
    make_estate,
    make_login,
    make_units,
    roles_with,
    roles_without,
    seed_ticket_policies,
    sqlite_only,
)

TODAY = local_today()
ITEMS = (("公共区域环境", "公共区域照明", "工程"), ("设施设备", "消防通道畅通", "安保"),
         ("设施设备", "灭火器压力", "工程"), ("园区配套", "泳池水质", "客服"))


def _login(username: str, name: str, role: Role) -> Actor:
    return Actor(user_id=make_login(username, name, role=role), username=username, display_name=name, role=role)


@pytest.fixture
def setup(db):
    """An estate with three units, a route of four lines, and a manager, a front desk and an engineer signed in."""
    units = make_units(3)
    seed_ticket_policies()
    manager = _login("mgr", "陈静怡", Role.MANAGER)
    desk = _login("desk", "林晓燕", Role.SERVICE)
    engineer = _login("eng", "赵建国", Role.ENGINEER)
    estate_id = get_row(Unit, units[0]).estate_id
    route_id = insp.add_route(actor=manager, estate_id=estate_id, name="每日园区巡查", note="客服+工程")
    items = [insp.add_item(actor=manager, route_id=route_id, area=a, text=t, department=d) for a, t, d in ITEMS]
    return {"units": units, "estate_id": estate_id, "route_id": route_id, "items": items, "manager": manager,
            "desk": desk, "engineer": engineer}


def _answers(items: list[int], failed: dict[int, str] | None = None, ticket: bool = False) -> list[Answer]:
    failed = failed or {}
    return [Answer(item_id=i, result="异常" if i in failed else "正常", note=failed.get(i, ""),
                   ticket=ticket and i in failed) for i in items]


# ---------------------------------------------------------------- routes and checklist items


def test_the_manager_keeps_routes_and_their_checklist_in_order(setup):
    rows = insp.list_items(actor=setup["manager"], query=ListQuery(filters={"route_id": setup["route_id"]})).rows
    assert list(rows["text"]) == [t for _, t, _ in ITEMS]
    assert list(rows["position"]) == [10, 20, 30, 40]
    assert set(rows["route"]) == {"测试小区 · 每日园区巡查"}
    routes = insp.list_routes(actor=setup["manager"], query=ListQuery()).rows
    assert (routes.iloc[0]["name"], routes.iloc[0]["items"], routes.iloc[0]["last_round_on"]) == ("每日园区巡查", 4, None)
    [created] = audit_rows(action="create", entity="inspection_routes")
    assert audit_json(created)[1]["name"] == "每日园区巡查"
    assert len(audit_rows(action="create", entity="inspection_items")) == 4


def test_a_checklist_line_is_edited_in_the_grid_and_a_bad_value_saves_nothing(setup):
    item_id = setup["items"][0]
    n = insp.update_items(actor=setup["manager"], edits=[RowEdit(item_id, 1, {"text": "楼道及大堂照明",
                                                                               "position": "5"})])
    assert n == 1 and (get_row(InspectionItem, item_id).text, get_row(InspectionItem, item_id).position) == \
        ("楼道及大堂照明", 5)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        insp.update_items(actor=setup["manager"], edits=[RowEdit(setup["items"][1], 1, {"area": "厨房"}),
                                                         RowEdit(setup["items"][2], 1, {"text": ""})])
    assert exc.value.row_errors == {"消防通道畅通": {"检查类别": "应为以下之一：" + "、".join(insp.AREAS)},
                                    "灭火器压力": {"检查内容": "必填"}}
    assert db_state() == before


def test_a_route_name_is_unique_within_its_estate(setup):
    with pytest.raises(ValidationError) as exc:
        insp.add_route(actor=setup["manager"], estate_id=setup["estate_id"], name="每日园区巡查")
    assert exc.value.errors == {"路线名称": "本小区已有路线“每日园区巡查”"}
    other, _ = make_estate()
    assert insp.add_route(actor=setup["manager"], estate_id=other, name="每日园区巡查") > 0


@sqlite_only
@pytest.mark.parametrize("role", roles_without("inspections.manage"))
def test_only_the_manager_changes_routes_and_items(db, role):
    with pytest.raises(PermissionDenied):
        insp.add_route(actor=actor_for(role), estate_id=1, name="夜间巡查")
    with pytest.raises(PermissionDenied):
        insp.add_item(actor=actor_for(role), route_id=1, area="标识标牌", text="标识清晰")


def test_walking_a_round_is_for_the_desk_the_engineers_and_the_manager():
    assert set(roles_with("inspections.record")) == {Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.ENGINEER,
                                                     Role.CLERK}
    assert set(roles_with("violations.manage")) == {Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.CLERK}


# ---------------------------------------------------------------- rounds


def test_a_round_keeps_every_line_as_walked_and_counts_its_findings(setup):
    items = setup["items"]
    outcome = insp.submit_round(actor=setup["engineer"], route_id=setup["route_id"], round_on=TODAY,
                                answers=_answers(items, {items[2]: "2号楼大堂灭火器压力指针在红区"}), note="晴")
    assert (outcome.items, outcome.failed, outcome.tickets) == (4, 1, ())
    rnd = get_row(InspectionRound, outcome.round_id)
    assert (rnd.round_on, rnd.inspector_name, rnd.inspector_id, rnd.note) == \
        (TODAY, "赵建国", setup["engineer"].user_id, "晴")
    lines = insp.round_results(actor=setup["engineer"], round_id=outcome.round_id)
    assert list(lines["item"]) == [t for _, t, _ in ITEMS]
    assert list(lines["result"]) == ["正常", "正常", "异常", "正常"]
    assert lines.iloc[2]["note"] == "2号楼大堂灭火器压力指针在红区"
    listed = insp.list_rounds(actor=setup["desk"], query=ListQuery()).rows
    assert (listed.iloc[0]["route"], listed.iloc[0]["failed"], listed.iloc[0]["inspector"]) == ("每日园区巡查", 1, "赵建国")
    findings = insp.list_findings(actor=setup["desk"], query=ListQuery(), without_ticket=True).rows
    assert list(findings["item"]) == ["灭火器压力"] and list(findings["ticket_status"]) == ["待转工单"]
    [row] = audit_rows(entity="inspection_rounds")
    assert audit_json(row)[1]["findings"] == ["灭火器压力：2号楼大堂灭火器压力指针在红区"]


def test_a_round_with_a_line_left_out_a_finding_unexplained_or_a_future_day_writes_nothing(setup):
    items = setup["items"]
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY + timedelta(days=1),
                          answers=[Answer(items[0], "异常", "  "), Answer(items[1], "故障"), Answer(999_999, "正常")])
    assert exc.value.errors == {
        "巡查日期": "不能晚于今天",
        "公共区域照明": "异常时须写明发现的问题",
        "消防通道畅通": "结果应为 正常 或 异常",
        "检查项 #999999": "不是本路线在用的检查项",
        "未填写的检查项": "灭火器压力、泳池水质",
    }
    with pytest.raises(ValidationError) as exc:
        insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY - timedelta(days=8),
                          answers=_answers(items))
    assert exc.value.errors == {"巡查日期": "不能早于 7 天前（只补录一周内的巡查记录）"}
    assert db_state() == before


def test_a_second_round_of_the_same_route_on_the_same_day_is_refused(setup):
    items = setup["items"]
    insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY, answers=_answers(items))
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        insp.submit_round(actor=setup["engineer"], route_id=setup["route_id"], round_on=TODAY,
                          answers=_answers(items))
    assert exc.value.errors == {"巡查日期": f"每日园区巡查 {TODAY.isoformat()} 已由林晓燕登记巡查，同一路线每天只登记一次"}
    assert db_state() == before
    # yesterday's sheet entered late is another day
    insp.submit_round(actor=setup["engineer"], route_id=setup["route_id"], round_on=TODAY - timedelta(days=1),
                      answers=_answers(items))
    assert count_rows(InspectionRound) == 2


def test_an_inactive_line_is_not_asked_and_a_renamed_line_leaves_past_rounds_as_walked(setup):
    items = setup["items"]
    first = insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY - timedelta(days=1),
                              answers=_answers(items))
    insp.update_items(actor=setup["manager"], edits=[RowEdit(items[3], 1, {"active": "否"}),
                                                     RowEdit(items[0], 1, {"text": "楼道照明"})])
    assert list(insp.checklist(actor=setup["desk"], route_id=setup["route_id"])["text"]) == \
        ["楼道照明", "消防通道畅通", "灭火器压力"]
    insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY, answers=_answers(items[:3]))
    assert list(insp.round_results(actor=setup["desk"], round_id=first.round_id)["item"])[0] == "公共区域照明"


# ---------------------------------------------------------------- findings into tickets


def test_a_finding_becomes_a_ticket_in_one_step_with_the_round(setup):
    items = setup["items"]
    outcome = insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY,
                                answers=_answers(items, {items[1]: "3栋地库消防通道堆放装修垃圾"}, ticket=True))
    assert outcome.ticket_errors == () and len(outcome.tickets) == 1
    [line] = [r for r in insp.round_results(actor=setup["desk"], round_id=outcome.round_id).itertuples()
              if r.result == "异常"]
    assert line.ticket == outcome.tickets[0]
    ticket = get_row(Ticket, get_row(InspectionResult, line.id).ticket_id)
    assert (ticket.channel, ticket.ticket_type, ticket.department, ticket.unit_id, ticket.estate_id) == \
        ("巡查发现", "求助", "安保", None, setup["estate_id"])
    assert ticket.content == f"【巡查发现】每日园区巡查 {TODAY.isoformat()} · 设施设备·消防通道畅通：3栋地库消防通道堆放装修垃圾"
    assert ticket.first_responder_id == setup["desk"].user_id
    [linked] = audit_rows(action="to_ticket")
    assert audit_json(linked)[1]["ticket"] == ticket.number
    assert len(audit_rows(action="create", entity="tickets")) == 1
    findings = insp.list_findings(actor=setup["desk"], query=ListQuery()).rows
    assert list(findings["ticket"]) == [ticket.number] and list(findings["ticket_status"]) == ["待派单"]


def test_the_engineer_records_the_finding_and_the_desk_turns_it_into_a_ticket(setup):
    items = setup["items"]
    with pytest.raises(ValidationError) as exc:
        insp.submit_round(actor=setup["engineer"], route_id=setup["route_id"], round_on=TODAY,
                          answers=_answers(items, {items[0]: "5栋2单元电梯厅灯不亮"}, ticket=True))
    assert exc.value.errors == {"转工单": "当前角色不能受理报事：请保存巡查后由前台在“异常项”中转为工单"}
    insp.submit_round(actor=setup["engineer"], route_id=setup["route_id"], round_on=TODAY,
                      answers=_answers(items, {items[0]: "5栋2单元电梯厅灯不亮"}))
    [pending] = insp.list_findings(actor=setup["desk"], query=ListQuery(), without_ticket=True).rows.itertuples()
    with pytest.raises(PermissionDenied):
        insp.raise_ticket(actor=setup["engineer"], result_id=pending.id, version=pending.version)
    unit = setup["units"][0]
    ticket_id, number = insp.raise_ticket(actor=setup["desk"], result_id=pending.id, version=pending.version,
                                          unit_id=unit, urgency="紧急")
    ticket = get_row(Ticket, ticket_id)
    assert (ticket.number, ticket.ticket_type, ticket.unit_id, ticket.urgency, ticket.department) == \
        (number, "报修", unit, "紧急", "工程")
    assert insp.list_findings(actor=setup["desk"], query=ListQuery(), without_ticket=True).total == 0


def test_one_finding_never_becomes_two_tickets(setup):
    items = setup["items"]
    insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY,
                      answers=_answers(items, {items[3]: "泳池余氯偏低"}))
    [f] = insp.list_findings(actor=setup["desk"], query=ListQuery()).rows.itertuples()
    _, number = insp.raise_ticket(actor=setup["desk"], result_id=f.id, version=f.version)
    with pytest.raises(StaleEdit):  # a second desk still showing the line as it was
        insp.raise_ticket(actor=setup["manager"], result_id=f.id, version=f.version)
    with pytest.raises(Conflict) as exc:
        insp.raise_ticket(actor=setup["manager"], result_id=f.id, version=get_row(InspectionResult, f.id).version)
    assert exc.value.message == f"该异常项已转为工单 {number}"
    assert count_rows(Ticket) == 1
    # a line being turned into a ticket by another desk right now is not taken twice either
    insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY - timedelta(days=1),
                      answers=_answers(items, {items[3]: "泳池水质浑浊"}))
    [g] = insp.list_findings(actor=setup["desk"], query=ListQuery(), without_ticket=True).rows.itertuples()
    force_columns(InspectionResult, g.id, ticket_claimed_at=utcnow())
    with pytest.raises(Conflict) as exc:
        insp.raise_ticket(actor=setup["desk"], result_id=g.id, version=g.version)
    assert exc.value.message == "该异常项正在由他人转为工单，请稍后刷新查看"


def test_a_refused_ticket_leaves_the_finding_waiting_and_unclaimed(setup):
    items = setup["items"]
    insp.submit_round(actor=setup["desk"], route_id=setup["route_id"], round_on=TODAY,
                      answers=_answers(items, {items[2]: "灭火器过期"}))
    [f] = insp.list_findings(actor=setup["desk"], query=ListQuery()).rows.itertuples()
    with pytest.raises(ValidationError) as exc:
        insp.raise_ticket(actor=setup["desk"], result_id=f.id, version=f.version, ticket_type="报修")
    assert exc.value.errors == {"房屋": "报修和投诉必须选择房屋"}
    assert get_row(InspectionResult, f.id).ticket_claimed_at is None
    with pytest.raises(ValidationError) as exc:
        insp.raise_ticket(actor=setup["desk"], result_id=f.id, version=f.version, unit_id=10_000_000)
    assert exc.value.errors == {"房屋": "不存在或不属于所选小区"}
    line = get_row(InspectionResult, f.id)
    assert (line.ticket_claimed_at, line.ticket_id) == (None, None)
    assert count_rows(Ticket) == 0
    _, number = insp.raise_ticket(actor=setup["desk"], result_id=f.id, version=line.version)
    assert number.startswith("QZ")


# ---------------------------------------------------------------- violations


def test_a_violation_is_noticed_followed_up_and_closed(setup):
    desk, unit = setup["desk"], setup["units"][1]
    found = TODAY - timedelta(days=10)
    vid = insp.record_violation(actor=desk, estate_id=setup["estate_id"], unit_id=unit, kind="违章搭建",
                                description="露台加建阳光房", found_on=found, deadline_on=found + timedelta(days=7))
    v = insp.violation(actor=desk, violation_id=vid)
    assert (v.status, v.notice_no, v.unit, v.found_by) == ("已逾期", "", "1-1-102", "林晓燕")
    number = insp.issue_notice(actor=desk, violation_id=vid, version=v.version, notice_on=found + timedelta(days=1),
                               deadline_on=TODAY + timedelta(days=5))
    assert number == f"ZG{(found + timedelta(days=1)).year}-001"
    v = insp.violation(actor=desk, violation_id=vid)
    assert (v.status, v.notice_no, v.deadline_on) == ("处理中", number, TODAY + timedelta(days=5))
    insp.follow_up(actor=setup["manager"], violation_id=vid, version=v.version, followed_on=TODAY - timedelta(days=2),
                   note="上门沟通，业主承诺周末前拆除")
    insp.close_violation(actor=desk, violation_id=vid, version=insp.violation(actor=desk, violation_id=vid).version,
                         outcome="已整改", closed_on=TODAY, note="复查已拆除")
    v = insp.violation(actor=desk, violation_id=vid)
    assert (v.status, v.outcome, v.closed_on, v.closed_by) == ("已结案", "已整改", TODAY, "林晓燕")
    assert list(v.follow_ups["note"]) == ["上门沟通，业主承诺周末前拆除"] and list(v.follow_ups["by"]) == ["陈静怡"]
    assert [a.action for a in audit_rows(entity="violations")] == ["create", "notice", "follow_up", "close"]
    notes = _unit_notes(unit)
    assert notes[0] == f"违章搭建：露台加建阳光房（整改期限 {(found + timedelta(days=7)).isoformat()}）"
    assert notes[-1] == "违章搭建结案：已整改（复查已拆除）"
    with pytest.raises(Conflict):
        insp.follow_up(actor=desk, violation_id=vid, version=v.version, followed_on=TODAY, note="再次复查")


def _unit_notes(unit_id: int) -> list[str]:
    """The texts of a unit's timeline notes, oldest first."""
    from sqlalchemy import select

    from db.engine import read_session

    with read_session() as s:
        return list(s.scalars(select(UnitNote.text).where(UnitNote.unit_id == unit_id).order_by(UnitNote.id)))


def test_a_violation_with_bad_dates_no_place_or_an_unknown_kind_writes_nothing(setup):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        insp.record_violation(actor=setup["desk"], estate_id=setup["estate_id"], unit_id=None, kind="乱停车",
                              description="", found_on=TODAY + timedelta(days=1), deadline_on=TODAY,
                              notice_on=TODAY + timedelta(days=2))
    assert exc.value.errors == {
        "违章类型": "应为以下之一：违章搭建、占用公共部位、违反装修规定、其他",
        "违章情况": "必填",
        "位置": "公共部位的违章须写明位置（未选房屋时必填）",
        "发现日期": "不能晚于今天",
        "整改期限": "不能早于发现日期",
        "通知日期": "不能晚于今天",
    }
    other, _ = make_estate()
    with pytest.raises(ValidationError) as exc:
        insp.record_violation(actor=setup["desk"], estate_id=other, unit_id=setup["units"][0], kind="其他",
                              description="空调外机位置不符", found_on=TODAY, deadline_on=TODAY)
    assert exc.value.errors == {"房屋": "不存在或不属于所选小区"}
    assert {k: v for k, v in db_state().items() if k not in ("estates", "buildings")} == \
        {k: v for k, v in before.items() if k not in ("estates", "buildings")}


def test_follow_ups_and_closing_refuse_days_out_of_range(setup):
    vid = insp.record_violation(actor=setup["desk"], estate_id=setup["estate_id"], unit_id=None, kind="占用公共部位",
                                location="2栋1单元楼道", description="堆放旧家具", found_on=TODAY - timedelta(days=3),
                                deadline_on=TODAY)
    version = get_row(Violation, vid).version
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        insp.follow_up(actor=setup["desk"], violation_id=vid, version=version, followed_on=TODAY - timedelta(days=4),
                       note="", new_deadline_on=TODAY - timedelta(days=5))
    assert exc.value.errors == {"跟进情况": "必填", "新整改期限": "不能早于跟进日期", "跟进日期": "不能早于发现日期"}
    with pytest.raises(ValidationError) as exc:
        insp.close_violation(actor=setup["desk"], violation_id=vid, version=version, outcome="其他",
                             closed_on=TODAY + timedelta(days=1))
    assert exc.value.errors == {"结案日期": "不能晚于今天", "结案说明": "处理结果为“其他”时须说明"}
    with pytest.raises(ValidationError) as exc:
        insp.close_violation(actor=setup["desk"], violation_id=vid, version=version, outcome="不了了之",
                             closed_on=TODAY)
    assert exc.value.errors == {"处理结果": "应为以下之一：已整改、移交执法部门、其他"}
    with pytest.raises(StaleEdit):
        insp.close_violation(actor=setup["desk"], violation_id=vid, version=version + 1, outcome="已整改",
                             closed_on=TODAY)
    assert db_state() == before


def test_overdue_violations_for_the_managers_home(setup):
    desk, estate = setup["desk"], setup["estate_id"]

    def record(days_ago: int, deadline_days_ago: int, **kw) -> int:
        return insp.record_violation(actor=desk, estate_id=estate, description="违章", found_on=TODAY -
                                     timedelta(days=days_ago), deadline_on=TODAY - timedelta(days=deadline_days_ago),
                                     **kw)

    late = record(30, 9, unit_id=setup["units"][0], kind="违反装修规定")
    public = record(20, 2, unit_id=None, location="地库B2-061旁", kind="占用公共部位")
    record(5, -3, unit_id=setup["units"][1], kind="违章搭建")  # deadline still ahead
    closed = record(40, 20, unit_id=setup["units"][2], kind="其他")
    insp.close_violation(actor=desk, violation_id=closed, version=1, outcome="移交执法部门", closed_on=TODAY)
    record(3, 0, unit_id=None, location="3栋天台", kind="违章搭建")  # due today: not yet overdue

    overdue = insp.violations_overdue(actor=setup["manager"], today=TODAY)
    assert list(overdue["id"]) == [late, public]
    assert list(overdue["unit"]) == ["1-1-101", "地库B2-061旁"]
    assert list(overdue["label"]) == ["测试小区 1-1-101", "测试小区 地库B2-061旁"]
    assert list(overdue["days_overdue"]) == [9, 2]
    assert list(overdue["kind"]) == ["违反装修规定", "占用公共部位"]
    assert insp.violations_overdue_count(actor=setup["manager"], today=TODAY) == 2
    assert insp.violations_overdue_count(actor=setup["manager"], today=TODAY + timedelta(days=1)) == 3
    listed = insp.list_violations(actor=desk, query=ListQuery(filters={"status": "已逾期"})).rows
    assert set(listed["id"]) == {late, public}
    assert insp.violation_counts(actor=desk) == {"处理中": 2, "已逾期": 2, "已结案": 1}
    with pytest.raises(PermissionDenied):
        insp.violations_overdue(actor=setup["engineer"], today=TODAY)


def test_a_notice_is_issued_once_and_numbers_run_on_without_gaps(setup):
    desk = setup["desk"]
    ids = [insp.record_violation(actor=desk, estate_id=setup["estate_id"], unit_id=u, kind="违章搭建",
                                 description="阳台外扩", found_on=TODAY, deadline_on=TODAY + timedelta(days=15))
           for u in setup["units"][:2]]
    first = insp.issue_notice(actor=desk, violation_id=ids[0], version=1, notice_on=TODAY)
    with pytest.raises(ValidationError) as exc:
        insp.issue_notice(actor=desk, violation_id=ids[1], version=1, notice_on=TODAY,
                          deadline_on=TODAY - timedelta(days=1))
    assert exc.value.errors == {"整改期限": "不能早于通知日期"}
    second = insp.issue_notice(actor=desk, violation_id=ids[1], version=1, notice_on=TODAY)
    assert (first, second) == (f"ZG{TODAY.year}-001", f"ZG{TODAY.year}-002")
    with pytest.raises(Conflict) as exc:
        insp.issue_notice(actor=desk, violation_id=ids[0], version=2, notice_on=TODAY)
    assert exc.value.message == f"整改通知书 {first} 已于 {TODAY} 发出"


@sqlite_only
def test_the_rectification_notice_prints_once_issued(setup):
    from services.relations.violation_notice import notice_pdf, notice_text

    desk = setup["desk"]
    vid = insp.record_violation(actor=desk, estate_id=setup["estate_id"], unit_id=setup["units"][0], kind="违章搭建",
                                description="露台加建阳光房", found_on=TODAY, deadline_on=TODAY + timedelta(days=10))
    with pytest.raises(Conflict) as exc:
        notice_pdf(actor=desk, violation_id=vid)
    assert exc.value.message.startswith("该违章尚未发出整改通知书")
    insp.issue_notice(actor=desk, violation_id=vid, version=1, notice_on=TODAY)
    to, body = notice_text(insp.violation(actor=desk, violation_id=vid))
    assert to == "测试小区 1-1-101 业主（住户）："
    deadline = TODAY + timedelta(days=10)
    assert "露台加建阳光房（违章搭建）" in body
    assert f"请您于{deadline.year}年{deadline.month}月{deadline.day}日前自行整改完毕" in body
    assert notice_pdf(actor=desk, violation_id=vid).startswith(b"%PDF")
    with pytest.raises(PermissionDenied):
        notice_pdf(actor=setup["engineer"], violation_id=vid)
