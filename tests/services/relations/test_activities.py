"""社区文化活动 and 宣传栏 (services/relations/activities): register, hold or cancel, and progress against the
seed's targets (6 activities a year; a board every month by the 28th). Values worked out by hand."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db.models import Bulletin, CommunityActivity
from services.platform.auth import Role
from services.platform.errors import Conflict, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import activities
from services.relations.activities import NewActivity, NewBulletin
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    db_state,
    get_row,
    make_estate,
    roles_without,
    sqlite_only,
)

DESK = actor_for(Role.SERVICE)
TODAY = date(2026, 6, 10)


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(activities, "local_today", lambda: TODAY)
    return TODAY


def _held(title: str, day: date, estate_id: int | None = None, *, participants="80", cost="1200.00") -> int:
    return activities.add_activity(actor=DESK, activity=NewActivity(
        title, day, "中心花园", "林晓燕", estate_id=estate_id, participants=participants, cost=cost))


def test_a_held_activity_is_registered_with_its_turnout_and_cost(db, today):
    estate_id, _ = make_estate("E1", "测试花园")
    activity_id = _held(" 端午包粽子 ", date(2026, 6, 1), estate_id, participants="65", cost="1,580.50")
    row = get_row(CommunityActivity, activity_id)
    assert (row.title, row.status, row.participants, row.cost, row.estate_id) == (
        "端午包粽子", "已举办", 65, Decimal("1580.50"), estate_id)
    [audit] = audit_rows(action="activity_add")
    assert audit_json(audit)[1]["cost"] == "1580.50"


def test_a_bad_activity_is_refused_with_every_field_and_writes_nothing(db, today):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        activities.add_activity(actor=DESK, activity=NewActivity(
            "", date(2026, 6, 11), " ", "", participants="-3", cost="12.345"))
    assert exc.value.errors == {
        "活动名称": "必填", "活动地点": "必填", "组织人": "必填",
        "活动日期": "已举办的活动不能晚于今天（以后的活动请登记为计划）",
        "参与人数": "不能小于 0", "费用": "最多两位小数"}
    with pytest.raises(ValidationError) as exc:
        activities.add_activity(actor=DESK, activity=NewActivity(
            "中秋游园会", date(2026, 6, 9), "中心广场", "林晓燕", status="计划"))
    assert exc.value.errors == {"活动日期": "计划中的活动不能早于今天（已经举办的请登记为已举办）"}
    with pytest.raises(ValidationError) as exc:
        activities.add_activity(actor=DESK, activity=NewActivity("消防演练", date(2026, 5, 9), "3栋", "林晓燕"))
    assert exc.value.errors == {"参与人数": "必填：已举办的活动应登记参与人数"}
    assert db_state() == before


def test_a_planned_activity_is_held_later_or_cancelled_with_a_reason(db, today, monkeypatch):
    planned = activities.add_activity(actor=DESK, activity=NewActivity(
        "中秋游园会", date(2026, 9, 25), "中心广场", "林晓燕", status="计划", cost="3000"))
    other = activities.add_activity(actor=DESK, activity=NewActivity(
        "七夕电影夜", date(2026, 8, 19), "会所", "林晓燕", status="计划"))
    assert list(activities.planned_activities(actor=DESK)["title"]) == ["七夕电影夜", "中秋游园会"]
    with pytest.raises(ValidationError) as exc:  # it is not September yet
        activities.hold_activity(actor=DESK, activity_id=planned, version=1, held_on=date(2026, 9, 25),
                                 participants="200", cost="2860")
    assert exc.value.errors == {"活动日期": "已举办的活动不能晚于今天（以后的活动请登记为计划）"}
    monkeypatch.setattr(activities, "local_today", lambda: date(2026, 9, 26))
    with pytest.raises(StaleEdit):
        activities.hold_activity(actor=DESK, activity_id=planned, version=5, held_on=date(2026, 9, 25),
                                 participants="200", cost="2860")
    activities.hold_activity(actor=DESK, activity_id=planned, version=1, held_on=date(2026, 9, 25),
                             participants="200", cost="2860.00", note="猜灯谜、做月饼")
    row = get_row(CommunityActivity, planned)
    assert (row.status, row.participants, row.cost, row.note) == ("已举办", 200, Decimal("2860.00"), "猜灯谜、做月饼")
    with pytest.raises(Conflict, match="只有计划中的活动"):
        activities.cancel_activity(actor=DESK, activity_id=planned, version=2, reason="下雨")
    with pytest.raises(ValidationError) as exc:
        activities.cancel_activity(actor=DESK, activity_id=other, version=1, reason="")
    assert exc.value.errors == {"取消原因": "必填"}
    activities.cancel_activity(actor=DESK, activity_id=other, version=1, reason="台风预警，改期另行通知")
    listed = activities.list_activities(actor=DESK, year=2026, query=ListQuery()).rows
    assert list(zip(listed["title"], listed["status"], listed["note"], strict=True)) == [
        ("中秋游园会", "已举办", "猜灯谜、做月饼"), ("七夕电影夜", "已取消", "台风预警，改期另行通知")]
    assert [a.action for a in audit_rows()] == ["activity_add", "activity_add", "activity_hold", "activity_cancel"]


@sqlite_only
def test_only_the_roles_that_keep_the_register_write_it(db, today):
    for role in roles_without("activities.manage"):
        with pytest.raises(PermissionDenied):
            activities.add_activity(actor=actor_for(role), activity=NewActivity(
                "消防演练", date(2026, 5, 9), "3栋", "林晓燕", participants="30"))
    for role in roles_without("activities.manage"):
        with pytest.raises(PermissionDenied):
            activities.add_bulletin(actor=actor_for(role), bulletin=NewBulletin(1, "2026-05", "防汛", TODAY))


def test_a_board_is_on_time_by_the_28th_and_registered_once_a_month(db, today):
    estate_id, _ = make_estate("E1", "测试花园")
    first = activities.add_bulletin(actor=DESK, bulletin=NewBulletin(estate_id, "2026-05", "防汛安全", date(2026, 5, 28)))
    late = activities.add_bulletin(actor=DESK, bulletin=NewBulletin(estate_id, "2026-04", "垃圾分类", date(2026, 4, 29)))
    early = activities.add_bulletin(actor=DESK, bulletin=NewBulletin(estate_id, "2026-06", "端午习俗", date(2026, 5, 30)))
    assert get_row(Bulletin, first).due_on == date(2026, 5, 28)
    rows = activities.list_bulletins(actor=DESK, year=2026, query=ListQuery()).rows
    assert list(zip(rows["month"], rows["on_time"], strict=True)) == [
        ("2026-06", "按时"), ("2026-05", "按时"), ("2026-04", "逾期")]
    assert {late, early} <= set(rows["id"])
    with pytest.raises(Conflict, match="测试花园 2026-05 的宣传栏已登记"):
        activities.add_bulletin(actor=DESK, bulletin=NewBulletin(estate_id, "2026-05", "又一期", date(2026, 5, 20)))


def test_a_bad_board_is_refused_with_every_field(db, today):
    estate_id, _ = make_estate("E1", "测试花园")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        activities.add_bulletin(actor=DESK, bulletin=NewBulletin(None, "2026-13", " ", date(2026, 6, 11)))
    assert exc.value.errors == {"宣传栏主题": "必填", "小区": "必填", "期数（月份）": "应为 YYYY-MM，例如 2026-03",
                                "张贴日期": "不能晚于今天"}
    with pytest.raises(ValidationError) as exc:
        activities.add_bulletin(actor=DESK, bulletin=NewBulletin(estate_id, "2026-08", "中秋", date(2026, 6, 1)))
    assert exc.value.errors == {"期数（月份）": "不能早于张贴日期的下一个月（张贴日期之后的月份还未到）"}
    assert db_state() == before


def test_progress_counts_held_activities_and_boards_against_the_months_due(db, today):
    e1, _ = make_estate("E1", "测试花园")
    e2, _ = make_estate("E2", "第二花园")
    _held("元宵猜灯谜", date(2026, 3, 3), e1, participants="120", cost="800.00")
    _held("植树节", date(2026, 3, 12), e2, participants="40", cost="650.50")
    _held("儿童绘画比赛", date(2026, 6, 1), None, participants="56", cost="1200.00")  # both estates
    _held("去年的重阳敬老", date(2025, 10, 29), e1)  # another year
    activities.add_activity(actor=DESK, activity=NewActivity("中秋游园会", date(2026, 9, 25), "中心广场", "林晓燕",
                                                             status="计划"))
    # E1: January on time, February late, March missing, April on time, May on time; June posted early
    for month, posted in (("2026-01", date(2026, 1, 20)), ("2026-02", date(2026, 3, 2)),
                          ("2026-04", date(2026, 4, 28)), ("2026-05", date(2026, 5, 25)),
                          ("2026-06", date(2026, 6, 8))):
        activities.add_bulletin(actor=DESK, bulletin=NewBulletin(e1, month, f"{month} 期", posted))
    # E2: only January
    activities.add_bulletin(actor=DESK, bulletin=NewBulletin(e2, "2026-01", "新年", date(2026, 1, 5)))

    progress = activities.activity_progress(actor=DESK, year=2026, today=TODAY)
    assert (progress.held, progress.target, progress.short, progress.planned) == (3, 6, 3, 1)
    assert (progress.participants, progress.cost) == (216, Decimal("2650.50"))
    # months due by 10 June: January to May (five); E1 also June (posted): 4 on time of 6; E2 1 of 5
    assert [(e.estate, e.held, e.on_time, e.due, e.rate) for e in progress.by_estate] == [
        ("测试花园", 2, 4, 6, Decimal("0.6667")), ("第二花园", 2, 1, 5, Decimal("0.2000"))]
    assert (progress.bulletins_on_time, progress.bulletins_due, progress.bulletin_rate) == (5, 11, Decimal("0.4545"))

    calendar = activities.bulletin_calendar(actor=DESK, year=2026, today=TODAY)
    first = calendar.iloc[0]
    assert [first[m] for m in ("2026-01", "2026-02", "2026-03", "2026-06", "2026-07")] == [
        "按时 01-20", "逾期 03-02", "未张贴", "按时 06-08", ""]


def test_a_year_with_nothing_due_has_no_board_rate(db, today):
    make_estate("E1", "测试花园")
    progress = activities.activity_progress(actor=DESK, year=2027, today=TODAY)
    assert (progress.held, progress.bulletins_due, progress.bulletin_rate) == (0, 0, None)
    assert activities.due_months(2026, date(2026, 2, 28)) == ["2026-01"]  # February's deadline is not past yet
    assert activities.due_months(2026, date(2026, 3, 1)) == ["2026-01", "2026-02"]
