"""业主访谈 (services/relations/visits): the plan from the seed standard, recording visits, and the figures.

The plan counts each occupied household once and each handed-over but unoccupied one twice (unsold: never); the
completion rate counts a household's visits of the period at most as often as it was planned there; the
face-to-face share is 上门 and 来访 over all recorded visits. Every value below is worked out by hand.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import insert, select

from db.engine import read_session, unit_of_work
from db.models import OwnerVisit, Staff, Ticket, VisitPlan
from db.types import utcnow
from services.platform.auth import Role
from services.platform.errors import Conflict, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import visits
from services.relations.visits import FollowUp, Household, NewVisit
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    bulk_units,
    db_state,
    fee_login,
    get_row,
    make_estate,
    make_login,
    make_resident,
    post_id_of,
    roles_without,
    seed_ticket_policies,
    sqlite_only,
)

MANAGER = actor_for(Role.MANAGER)


@pytest.fixture
def today(monkeypatch):
    """Pin the visits service's today (plans spread from it; visit dates are checked against it)."""
    pinned = {"day": date(2026, 7, 10)}
    monkeypatch.setattr(visits, "local_today", lambda: pinned["day"])
    return pinned


# --- the arithmetic, by hand --------------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "handed_over", "kind", "times"), [
    ("已入住", True, "住宅", 1),
    ("出租", True, "住宅", 1),
    ("已交房未入住", True, "住宅", 2),
    ("装修中", True, "住宅", 2),  # the seed: 已交付未入住（空置房、装修房）
    ("空置", True, "住宅", 2),
    ("空置", False, "住宅", 0),  # never handed over: nobody to visit
    ("未售", False, "住宅", 0),
    ("已入住", True, "商铺", 0),
])
def test_visits_a_year_follow_the_seed_standard(status, handed_over, kind, times):
    assert visits.visits_per_year(status, handed_over=handed_over, kind=kind) == times


def test_a_plan_spreads_over_the_months_left_in_the_year():
    assert visits.months_left(2026, date(2026, 7, 10)) == [f"2026-{m:02d}" for m in range(7, 13)]
    assert visits.months_left(2027, date(2026, 7, 10)) == [f"2027-{m:02d}" for m in range(1, 13)]
    assert visits.months_left(2026, date(2026, 12, 31)) == ["2026-12"]


def test_whole_buildings_go_to_the_least_loaded_person_and_second_visits_come_half_a_year_later():
    months = [f"2026-{m:02d}" for m in range(7, 13)]  # six months: a second visit comes three months later
    homes = [Household(1, 1, 10, "已入住", 1), Household(2, 1, 10, "已入住", 1), Household(3, 1, 10, "空置", 2),
             Household(4, 1, 10, "装修中", 2), Household(5, 1, 20, "已入住", 1), Household(6, 1, 20, "已入住", 1),
             Household(7, 1, 20, "已入住", 1), Household(8, 1, 30, "未售", 0)]
    rows = visits.spread(homes, months, [100, 200])
    got = sorted((r.unit_id, r.sequence, r.month, r.assignee_id) for r in rows)
    assert got == [
        (1, 1, "2026-07", 100), (2, 1, "2026-10", 100),  # once: k * 6 // 2 -> months 0 and 3
        (3, 1, "2026-07", 100), (3, 2, "2026-10", 100),  # twice: first half k * 3 // 2 -> 0, 1; then + 3
        (4, 1, "2026-08", 100), (4, 2, "2026-11", 100),
        (5, 1, "2026-07", 200), (6, 1, "2026-09", 200), (7, 1, "2026-11", 200),  # building 20: the other person
    ]


def test_a_building_already_planned_keeps_its_person_and_loads_count():
    months = ["2026-12"]
    homes = [Household(1, 1, 10, "已入住", 1), Household(2, 1, 20, "空置", 2)]
    rows = visits.spread(homes, months, [100, 200], building_assignee={10: 200}, load={200: 50})
    assert sorted((r.unit_id, r.sequence, r.month, r.assignee_id) for r in rows) == [
        (1, 1, "2026-12", 200), (2, 1, "2026-12", 100), (2, 2, "2026-12", 100)]  # one month left: both in it


# --- planning on the database -------------------------------------------------------------------------------


def _people() -> tuple[int, int]:
    """Two assignees: a 客服 user, and a clerk whose staff post is 物业管理员; a cashier who is neither."""
    a = make_login("wangmin", "王敏", role=Role.SERVICE)
    with unit_of_work() as uow:
        staff = Staff(staff_no="S100", name="李强", post_id=post_id_of(uow.session, "物业管理员"))
        uow.session.add(staff)
        uow.session.flush()
        staff_id = staff.id
        uow.commit()
    b = make_login("liqiang", "李强", role=Role.CLERK, staff_id=staff_id)
    make_login("cashier1", "收费员甲", role=Role.CASHIER)
    make_login("gone", "离职客服", role=Role.SERVICE, active=False)
    return a, b


def _estate() -> tuple[int, list[int], list[int]]:
    """Building 1: every status once (R00001..R00009 and a shop); building 2: three occupied homes."""
    estate_id, (b1, b2) = make_estate("E1", "测试花园", buildings=("1", "2"))
    one = bulk_units(estate_id, b1, 9)
    statuses = ["已入住", "出租", "已交房未入住", "装修中", "空置", "空置", "未售", "空置", "已入住"]
    with unit_of_work() as uow:
        from db.models import Unit

        for uid, status in zip(one, statuses, strict=True):
            unit = uow.session.get(Unit, uid)
            unit.status = status
            if uid in (one[5], one[6], one[7]):
                unit.delivered_on = None  # 106 and 108 were never given a 交房日期; 107 is unsold
            if uid == one[8]:
                unit.kind = "商铺"
        uow.commit()
    make_resident(one[7], "赵六", "13900001111", end_on=date(2025, 5, 1))  # 108: an owner once, moved out
    two = bulk_units(estate_id, b2, 3, start=1)
    return estate_id, one, two


def test_the_plan_counts_occupied_once_unoccupied_twice_and_unsold_never(db, today):
    a, b = _people()
    estate_id, one, two = _estate()
    preview = visits.preview_plan(actor=MANAGER, year=2026, estate_id=estate_id)
    assert (preview.occupied, preview.unoccupied, preview.not_visited, preview.visits) == (5, 4, 2, 13)
    assert preview.months == tuple(f"2026-{m:02d}" for m in range(7, 13))
    assert db_state()["visit_plans"] == []  # a preview writes nothing

    done = visits.plan_year(actor=MANAGER, year=2026, estate_id=estate_id)
    assert done.visits == 13
    with read_session() as s:
        rows = s.execute(select(VisitPlan.unit_id, VisitPlan.sequence, VisitPlan.planned_month, VisitPlan.basis,
                                VisitPlan.assignee_id, VisitPlan.building_id)).all()
    times = {}
    for uid, *_ in rows:
        times[uid] = times.get(uid, 0) + 1
    assert times == {one[0]: 1, one[1]: 1, one[2]: 2, one[3]: 2, one[4]: 2, one[7]: 2,
                     two[0]: 1, two[1]: 1, two[2]: 1}
    assert {r.basis for r in rows if r.unit_id == one[3]} == {"装修中"}
    # building 1 (10 visits) to the first person, building 2 (3 visits) to the other: whole buildings
    assert {r.assignee_id for r in rows if r.unit_id in one} == {a}
    assert {r.assignee_id for r in rows if r.unit_id in two} == {b}
    # the second visit of a household comes three months after its first
    by_unit = {}
    for r in rows:
        by_unit.setdefault(r.unit_id, {})[r.sequence] = r.planned_month
    assert by_unit[one[2]] == {1: "2026-07", 2: "2026-10"}
    [row] = audit_rows(action="visit_plan")
    assert audit_json(row)[1]["rows"] == 13 and audit_json(row)[1]["by_assignee"] == {"王敏": 10, "李强": 3}


def test_planning_again_adds_only_the_households_missing(db, today):
    a, b = _people()
    estate_id, one, two = _estate()
    visits.plan_year(actor=MANAGER, year=2026, estate_id=estate_id)
    before = db_state()["visit_plans"]
    with pytest.raises(Conflict, match="已包含全部应访房屋"):
        visits.plan_year(actor=MANAGER, year=2026)
    with read_session() as s:
        building_2 = s.scalar(select(VisitPlan.building_id).where(VisitPlan.unit_id == two[0]))
    new = bulk_units(estate_id, building_2, 1, start=50, status="已交房未入住")[-1]
    today["day"] = date(2026, 11, 3)
    added = visits.plan_year(actor=MANAGER, year=2026)
    assert (added.visits, added.already_planned, added.unoccupied) == (2, 9, 1)
    after = db_state()["visit_plans"]
    assert set(before) <= set(after) and len(after) == len(before) + 2  # old rows untouched, nothing doubled
    with read_session() as s:
        new_rows = s.execute(select(VisitPlan.sequence, VisitPlan.planned_month, VisitPlan.assignee_id)
                             .where(VisitPlan.unit_id == new).order_by(VisitPlan.sequence)).all()
    # two months left (11, 12): the second visit one month after the first; building 2 keeps its person
    assert [tuple(r) for r in new_rows] == [(1, "2026-11", b), (2, "2026-12", b)]


@sqlite_only
def test_a_plan_is_refused_for_a_past_year_a_far_year_without_people_or_for_the_desk(db, today):
    estate_id, _one, _two = _estate()
    with pytest.raises(Conflict, match="没有可分派的访谈人员"):
        visits.plan_year(actor=MANAGER, year=2026)
    _people()
    for year in (2025, 2028):
        with pytest.raises(ValidationError) as exc:
            visits.plan_year(actor=MANAGER, year=year)
        assert exc.value.errors == {"年度": "只能为今年（2026）或明年编制访谈计划"}
    for role in roles_without("visits.plan"):
        with pytest.raises(PermissionDenied):
            visits.plan_year(actor=actor_for(role), year=2026)
    assert db_state()["visit_plans"] == []


def test_a_manager_hands_a_buildings_open_rows_to_someone_else(db, today):
    a, b = _people()
    estate_id, one, two = _estate()
    visits.plan_year(actor=MANAGER, year=2026, estate_id=estate_id)
    with read_session() as s:
        building_2 = s.scalar(select(VisitPlan.building_id).where(VisitPlan.unit_id == two[0]))
    assert visits.reassign_building(actor=MANAGER, year=2026, building_id=building_2, assignee_id=a) == 3
    with read_session() as s:
        assert set(s.scalars(select(VisitPlan.assignee_id).where(VisitPlan.building_id == building_2))) == {a}
    with pytest.raises(Conflict, match="没有需要调整"):
        visits.reassign_building(actor=MANAGER, year=2026, building_id=building_2, assignee_id=a)
    cashier = make_login("cashier2", "收费员乙", role=Role.CASHIER)
    with pytest.raises(ValidationError) as exc:
        visits.reassign_building(actor=MANAGER, year=2026, building_id=building_2, assignee_id=cashier)
    assert exc.value.errors == {"访谈人员": "应为在职的客服或物业管理员"}


# --- recording visits and the figures -------------------------------------------------------------------------


def _hand_plan(rows: list[tuple[int, int, str, int]], estate_id: int, building_id: int) -> None:
    """Plan rows written by hand: (unit id, sequence, month, assignee user id) of 2026."""
    with unit_of_work() as uow:
        uow.session.execute(insert(VisitPlan), [
            {"year": 2026, "estate_id": estate_id, "building_id": building_id, "unit_id": u, "sequence": seq,
             "planned_month": m, "basis": "已入住" if seq == 1 else "空置", "assignee_id": who,
             "planned_at": utcnow(), "planned_by": "测试", "version": 1} for u, seq, m, who in rows])
        uow.commit()


def _visit(actor, unit_id: int, day: date, way: str, **kw):
    return visits.record_visit(actor=actor, visit=NewVisit(unit_id, day, way, kw.pop("person", "业主本人"),
                                                           kw.pop("content", "了解居住情况，业主无意见"), **kw))


@pytest.fixture
def worked_year(db, today):
    """Four households, two people (see the module docstring of the figures below)."""
    today["day"] = date(2026, 12, 15)
    p1 = fee_login(Role.SERVICE, "p1", "王敏")
    p2 = fee_login(Role.SERVICE, "p2", "李强")
    estate_id, (building,) = make_estate("E1", "测试花园")
    u1, u2, u3, u4 = bulk_units(estate_id, building, 4)
    _hand_plan([(u1, 1, "2026-03", p1.user_id), (u2, 1, "2026-03", p1.user_id), (u2, 2, "2026-09", p1.user_id),
                (u3, 1, "2026-03", p2.user_id), (u4, 1, "2026-04", p2.user_id)], estate_id, building)
    links = {
        "u1a": _visit(p1, u1, date(2026, 3, 10), "上门"),
        "u1b": _visit(p1, u1, date(2026, 3, 20), "电话"),  # a second call: the household was planned once
        "u2a": _visit(p1, u2, date(2026, 3, 15), "电话"),
        "u2b": _visit(p1, u2, date(2026, 4, 2), "微信"),  # early for September
        "u3": _visit(p2, u3, date(2026, 4, 5), "来访"),  # late for March
    }
    return {"p1": p1, "p2": p2, "units": (u1, u2, u3, u4), "links": links, "estate_id": estate_id}


def test_a_visit_fulfils_the_row_of_its_month_else_the_earliest_open_one(worked_year):
    links = worked_year["links"]
    assert links["u1a"].planned_month == "2026-03"
    assert links["u1b"].plan_id is None  # nothing left open for that household: kept, unlinked
    assert links["u2a"].planned_month == "2026-03"
    assert links["u2b"].planned_month == "2026-09"
    assert links["u3"].planned_month == "2026-03"
    plan = visits.list_plan(actor=MANAGER, year=2026, query=ListQuery(page_size=50)).rows
    assert sorted(zip(plan["planned_month"], plan["status"], strict=True)) == [
        ("2026-03", "已访"), ("2026-03", "已访"), ("2026-03", "逾期完成"), ("2026-04", "逾期未访"), ("2026-09", "已访")]
    late = visits.list_plan(actor=MANAGER, year=2026, query=ListQuery(filters={"status": "逾期未访"})).rows
    assert list(late["code"]) == ["1-1-R00004"]


def test_completion_counts_each_household_at_most_as_often_as_planned(worked_year):
    p1, p2 = worked_year["p1"].user_id, worked_year["p2"].user_id
    # March: U1 (two visits, planned once) 1 + U2 1 + U3 (visited in April) 0 over 3 planned
    assert visits.visit_completion(period="2026-03") == Decimal("0.6667")
    assert visits.visit_completion(period="2026-04") == Decimal("0.0000")  # U4 not visited
    assert visits.visit_completion(period="2026-09") == Decimal("0.0000")  # U2's September visit came in April
    assert visits.visit_completion(period="2026-06") is None  # nothing planned: no rate
    # the year: U1 1 + U2 2 + U3 1 + U4 0 over 5
    assert visits.visit_completion(period="2026") == Decimal("0.8000")
    assert visits.visit_completion(period="2026", staff_user_id=p1) == Decimal("1.0000")
    assert visits.visit_completion(period="2026", staff_user_id=p2) == Decimal("0.5000")
    assert visits.visit_completion(period="2026-03", staff_user_id=p2) == Decimal("0.0000")


def test_face_to_face_share_is_home_and_office_visits_over_all_recorded(worked_year):
    p1, p2 = worked_year["p1"].user_id, worked_year["p2"].user_id
    assert visits.face_to_face_share(period="2026") == Decimal("0.4000")  # 上门 + 来访 of 5
    assert visits.face_to_face_share(period="2026-03") == Decimal("0.3333")  # 上门 of 3
    assert visits.face_to_face_share(period="2026", staff_user_id=p1) == Decimal("0.2500")
    assert visits.face_to_face_share(period="2026", staff_user_id=p2) == Decimal("1.0000")
    assert visits.face_to_face_share(period="2026-06") is None


def test_progress_per_person_and_month_in_one_table(worked_year):
    frame = visits.progress_by_person(actor=MANAGER, year=2026)
    got = {(r.name, r.month): (r.planned, r.done, r.visits, r.f2f, r.completion, r.f2f_share)
           for r in frame.itertuples()}
    assert got == {
        ("王敏", "2026-03"): (2, 2, 3, 1, Decimal("1.0000"), Decimal("0.3333")),
        ("王敏", "2026-04"): (0, 0, 1, 0, None, Decimal("0.0000")),
        ("王敏", "2026-09"): (1, 0, 0, 0, Decimal("0.0000"), None),
        ("李强", "2026-03"): (1, 0, 0, 0, Decimal("0.0000"), None),
        ("李强", "2026-04"): (1, 0, 1, 1, Decimal("0.0000"), Decimal("1.0000")),
    }


def test_the_home_sees_the_due_visits_and_the_years_progress(worked_year):
    p1, p2 = worked_year["p1"], worked_year["p2"]
    assert visits.visits_due(actor=p1, on=date(2026, 12, 15)).empty
    due = visits.visits_due(actor=p2, on=date(2026, 12, 15))
    assert list(zip(due["unit"], due["planned_month"], due["assignee"], due["overdue"], strict=True)) == [
        ("测试花园 1-1-R00004", "2026-04", "李强", True)]
    assert len(visits.visits_due(actor=MANAGER, on=date(2026, 12, 15))) == 1  # a manager sees everyone's
    assert visits.visits_due(actor=p2, on=date(2026, 3, 31)).empty  # April's row is not due in March
    mine = visits.visit_progress(actor=p2, year=2026)
    assert (mine.planned, mine.done, mine.completion, mine.visits, mine.face_to_face, mine.face_to_face_share,
            mine.overdue, mine.mine) == (2, 1, Decimal("0.5000"), 1, 1, Decimal("1.0000"), 1, True)
    everyone = visits.visit_progress(actor=MANAGER, year=2026)
    assert (everyone.planned, everyone.done, everyone.completion, everyone.face_to_face_share, everyone.mine) == (
        5, 4, Decimal("0.8000"), Decimal("0.4000"), False)


def test_a_withdrawn_visit_stops_counting_and_opens_its_row_again(worked_year):
    p1, p2 = worked_year["p1"], worked_year["p2"]
    visit_id = worked_year["links"]["u2b"].visit_id
    with pytest.raises(PermissionDenied):
        visits.withdraw_visit(actor=p2, visit_id=visit_id, version=1, reason="登记错了")
    with pytest.raises(StaleEdit):
        visits.withdraw_visit(actor=p1, visit_id=visit_id, version=7, reason="登记错了")
    with pytest.raises(ValidationError) as exc:
        visits.withdraw_visit(actor=p1, visit_id=visit_id, version=1, reason=" ")
    assert exc.value.errors == {"撤销原因": "必填"}
    visits.withdraw_visit(actor=p1, visit_id=visit_id, version=1, reason="登记错了房号")
    assert visits.visit_completion(period="2026") == Decimal("0.6000")  # U2 now 1 of 2
    assert visits.face_to_face_share(period="2026") == Decimal("0.5000")  # 2 of 4
    due = visits.visits_due(actor=p1, on=date(2026, 12, 15))
    assert list(due["planned_month"]) == ["2026-09"]
    with pytest.raises(Conflict, match="已撤销"):
        visits.withdraw_visit(actor=MANAGER, visit_id=visit_id, version=2, reason="再撤一次")
    [row] = audit_rows(action="visit_withdraw")
    assert audit_json(row)[1]["reason"] == "登记错了房号"


def test_visits_are_listed_newest_first_with_their_plan_month(worked_year):
    rows = visits.list_visits(actor=MANAGER, query=ListQuery()).rows
    assert list(rows["visited_on"][:2]) == [date(2026, 4, 5), date(2026, 4, 2)]
    assert list(rows["planned_month"][:2]) == ["2026-03", "2026-09"]
    phone = visits.list_visits(actor=MANAGER, query=ListQuery(filters={"way": "电话"})).rows
    assert len(phone) == 2 and set(phone["visitor"]) == {"王敏"}


def test_a_bad_visit_is_refused_with_every_field_and_writes_nothing(db, today):
    seed_ticket_policies()
    p1 = fee_login(Role.SERVICE, "p1", "王敏")
    estate_id, (building,) = make_estate("E1", "测试花园")
    [unit] = bulk_units(estate_id, building, 1)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        visits.record_visit(actor=p1, visit=NewVisit(unit, date(2026, 7, 11), "短信", " ", ""),
                            follow_up=FollowUp("报修", "  "))
    assert exc.value.errors == {"访谈日期": "不能晚于今天", "访谈方式": "应为以下之一：上门、来访、电话、微信",
                                "访谈对象": "必填", "访谈内容": "必填", "跟进内容": "必填"}
    with pytest.raises(ValidationError) as exc:
        visits.record_visit(actor=p1, visit=NewVisit(None, date(2025, 7, 1), "电话", "业主", "电话回访"))
    assert exc.value.errors == {"房屋": "请选择访谈的房屋", "访谈日期": "不能早于一年前"}
    assert db_state() == before  # no visit, no ticket, no audit row


@sqlite_only
def test_only_the_desk_records_and_only_a_manager_records_for_someone_else(db, today):
    p1 = fee_login(Role.SERVICE, "p1", "王敏")
    p2 = fee_login(Role.SERVICE, "p2", "李强")
    estate_id, (building,) = make_estate("E1", "测试花园")
    [unit] = bulk_units(estate_id, building, 1)
    for role in roles_without("visits.record"):
        with pytest.raises(PermissionDenied):
            _visit(actor_for(role), unit, date(2026, 7, 1), "电话")
    with pytest.raises(PermissionDenied):
        _visit(p1, unit, date(2026, 7, 1), "电话", visitor_id=p2.user_id)
    manager = fee_login(Role.MANAGER, "boss", "陈主管")
    done = _visit(manager, unit, date(2026, 7, 1), "上门", visitor_id=p2.user_id)
    row = get_row(OwnerVisit, done.visit_id)
    assert (row.visitor_id, row.visitor_name, row.recorded_by, row.face_to_face) == (p2.user_id, "李强", "陈主管",
                                                                                      True)


def test_a_follow_up_ticket_is_taken_in_the_same_step_and_linked(db, today):
    seed_ticket_policies()
    p1 = fee_login(Role.SERVICE, "p1", "王敏")
    estate_id, (building,) = make_estate("E1", "测试花园")
    [unit] = bulk_units(estate_id, building, 1)
    done = visits.record_visit(
        actor=p1, visit=NewVisit(unit, date(2026, 7, 9), "上门", "业主张伟", "反映卫生间天花渗水"),
        follow_up=FollowUp("报修", "卫生间天花渗水，请工程部上门查看", department="工程", phone="13812345678"))
    assert done.ticket_number and done.ticket_number.startswith("BX")
    ticket = get_row(Ticket, done.ticket_id)
    assert (ticket.unit_id, ticket.channel, ticket.caller_name, ticket.caller_phone, ticket.department,
            ticket.content) == (unit, "巡查发现", "业主张伟", "13812345678", "工程", "卫生间天花渗水，请工程部上门查看")
    assert get_row(OwnerVisit, done.visit_id).ticket_id == done.ticket_id
    [row] = audit_rows(action="visit_record")
    assert audit_json(row)[1]["ticket"] == done.ticket_number
    listed = visits.list_visits(actor=p1, query=ListQuery()).rows
    assert list(listed["ticket"]) == [done.ticket_number]


def test_the_years_progress_per_person_counts_late_visits(worked_year):
    frame = visits.progress_by_person(actor=MANAGER, year=2026, by_month=False)
    got = {r.name: (r.planned, r.done, r.visits, r.f2f, r.completion, r.f2f_share) for r in frame.itertuples()}
    assert got == {"王敏": (3, 3, 4, 1, Decimal("1.0000"), Decimal("0.2500")),
                   "李强": (2, 1, 1, 1, Decimal("0.5000"), Decimal("1.0000"))}


def test_the_appraisal_reads_a_persons_visit_figures_and_lists_what_stands_behind_them(worked_year):
    from datetime import datetime

    from services.appraisal.rules import KPI_CATALOG, PERSON
    from services.appraisal.scorecards import _Figures, _visit_evidence
    from services.platform.period import Period

    p1, p2 = worked_year["p1"].user_id, worked_year["p2"].user_id
    march = Period.parse("2026-03")
    figures = _Figures(march, datetime(2026, 4, 1), {11: (p1,), 12: (p2,), 13: ()})
    completion, share = KPI_CATALOG["visit_completion"], KPI_CATALOG["face_to_face_share"]
    assert figures.value(completion, PERSON, 11) == visits.visit_completion(period=march, staff_user_id=p1)
    assert figures.value(completion, PERSON, 12) == Decimal("0.0000")  # U3 visited in April, late
    assert figures.value(share, PERSON, 11) == Decimal("0.3333")  # 上门 of p1's three March visits
    assert figures.value(completion, PERSON, 13) is None  # no account: nobody's plan, no figure
    behind = _visit_evidence(MANAGER, march, "visit_completion", figures, 11)
    assert sorted(behind["status"]) == ["已访", "已访"]
    made = _visit_evidence(MANAGER, march, "face_to_face_share", figures, 11)
    assert sorted(made["way"]) == ["上门", "电话", "电话"]
