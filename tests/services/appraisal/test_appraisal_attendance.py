"""Attendance 考勤 and incidents 奖惩记录 as the appraisal reads them (services/appraisal/staff): the month's sheet follows
the holiday table and each person's employment; bad grid edits and incident dates are refused in Chinese,
naming the field and the rule, and nothing is written.

P = 2026-03 (22 working days, Mon–Fri; no statutory holiday). "Today" is pinned at 2026-03-31 20:00 Shanghai.
People of the 客服部: 王芳 in service since 2020; 新人 hired 2026-03-16 (a Monday); 老张 left 2026-03-10 (a
Tuesday); 早走 left 2026-02-27, before the month.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import Attendance, Incident, Staff
from services.appraisal import rules as appraisal_rules
from services.appraisal import scorecards as appraisal
from services.appraisal import staff
from services.appraisal.scorecards import BuildResult
from services.appraisal.staff import NewIncident, SheetResult
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import SHANGHAI
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, StaleEdit, ValidationError
from services.tickets import workdays
from tests.factories import (
    actor_for,
    attendance_row,
    audit_rows,
    card_of,
    count_rows,
    db_state,
    get_row,
    make_department,
    make_member,
    mark_attendance,
    pin_appraisal_clock,
    seed_appraisal,
    sqlite_only,
)

P = "2026-03"
CLERK = actor_for(Role.CLERK)
ADMIN = actor_for(Role.ADMIN)


@dataclass(frozen=True)
class People:
    types: dict[str, int]
    wang: int
    new: int
    gone: int
    early: int


@pytest.fixture
def people(db, monkeypatch) -> People:
    pin_appraisal_clock(monkeypatch, datetime(2026, 3, 31, 20, tzinfo=SHANGHAI))
    types = seed_appraisal()
    kf = make_department("KF", "客服部")
    return People(types,
                  wang=make_member("K001", "王芳", "客服前台", department_id=kf),
                  new=make_member("K002", "新人", "客服前台", department_id=kf, hired_on=date(2026, 3, 16)),
                  gone=make_member("K003", "老张", "收费员", department_id=kf, left_on=date(2026, 3, 10)),
                  early=make_member("K004", "早走", "收费员", department_id=kf, left_on=date(2026, 2, 27)))


def _days(staff_id: int) -> tuple[int, date | None, date | None]:
    with read_session() as s:
        return tuple(s.execute(select(func.count(), func.min(Attendance.day), func.max(Attendance.day))
                               .where(Attendance.staff_id == staff_id)).one())


def test_the_month_sheet_has_a_row_per_working_day_of_employment_up_to_today(people):
    """With today 03-18: 王芳 2–6, 9–13, 16–18 March = 13 days; 新人 16–18 = 3; 老张 2–6, 9, 10 = 7; 早走 none
    (left before March) -> 23 rows for 3 people, 13 working days so far. With today 03-31 the rest of the month:
    王芳 and 新人 9 more each (19, 20, 23–27, 30, 31) = 18 rows for 2 people; the days already there are kept.
    No row before 入职日期, after 离职日期, or after today."""
    p = people
    assert staff.generate_month_sheet(actor=CLERK, period=P, today=date(2026, 3, 18)) == SheetResult(23, 3, 13)
    assert staff.generate_month_sheet(actor=CLERK, period=P, today=date(2026, 3, 31)) == SheetResult(18, 2, 22)
    assert _days(p.wang) == (22, date(2026, 3, 2), date(2026, 3, 31))
    assert _days(p.new) == (12, date(2026, 3, 16), date(2026, 3, 31))
    assert _days(p.gone) == (7, date(2026, 3, 2), date(2026, 3, 10))
    assert _days(p.early) == (0, None, None)
    assert staff.generate_month_sheet(actor=CLERK, period=P) == SheetResult(0, 0, 22)


def test_the_month_sheet_follows_the_holiday_table_with_its_make_up_working_days(people):
    """February 2026 with the holiday table seeded: 20 weekdays, less the 春节 days off on weekdays (16–20 and 23
    February), plus the 调休 Saturdays 14 and 28 February = 16 working days."""
    workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[2026])
    result = staff.generate_month_sheet(actor=CLERK, period="2026-02", staff_ids=[people.wang])
    assert result == SheetResult(16, 1, 16)
    assert attendance_row(people.wang, date(2026, 2, 14)) is not None  # a Saturday, worked (调休)
    assert attendance_row(people.wang, date(2026, 2, 16)) is None  # 春节
    assert attendance_row(people.wang, date(2026, 2, 15)) is None  # an ordinary Sunday


def test_a_month_that_has_not_started_has_no_sheet(people):
    with pytest.raises(ValidationError) as refused:
        staff.generate_month_sheet(actor=CLERK, period="2026-04")
    assert refused.value.errors == {"月份": "2026-04 还没有开始，不能生成考勤表"}
    with pytest.raises(ValidationError) as bad:
        staff.generate_month_sheet(actor=CLERK, period="2026-3")
    assert bad.value.errors == {"月份": "期间应为 YYYY-MM，例如 2026-11（收到 '2026-3'）"}
    assert count_rows(Attendance) == 0


def test_late_minutes_below_zero_or_over_a_day_are_refused_and_nothing_is_written(people):
    """A batch with -1 迟到分钟 on 03-02, 1441 早退分钟 on 03-03 and a valid 30 on 03-04 is refused whole, each
    bad row named (工号 and day) with its field and rule. 1440 (a whole day) is the largest accepted."""
    staff.generate_month_sheet(actor=CLERK, period=P)
    rows = [attendance_row(people.wang, date(2026, 3, d)) for d in (2, 3, 4)]
    edits = [RowEdit(rows[0].id, rows[0].version, {"late_minutes": -1}),
             RowEdit(rows[1].id, rows[1].version, {"early_minutes": 1441}),
             RowEdit(rows[2].id, rows[2].version, {"late_minutes": 30})]
    state = db_state()
    with pytest.raises(ValidationError) as refused:
        staff.update_attendance(actor=CLERK, edits=edits)
    assert refused.value.row_errors == {"K001 2026-03-02": {"迟到分钟": "不能小于 0"},
                                        "K001 2026-03-03": {"早退分钟": "不能大于 1440"}}
    assert str(refused.value) == "K001 2026-03-02 · 迟到分钟：不能小于 0；K001 2026-03-03 · 早退分钟：不能大于 1440"
    assert db_state() == state

    assert staff.update_attendance(actor=CLERK, edits=[RowEdit(rows[0].id, rows[0].version,
                                                               {"late_minutes": 1440})]) == 1
    assert attendance_row(people.wang, date(2026, 3, 2)).late_minutes == 1440


@sqlite_only  # the checks run before any SQL write
@pytest.mark.parametrize(("changes", "field", "message"), [
    ({"late_minutes": "5分"}, "迟到分钟", "应为整数"),
    ({"late_minutes": 2.5}, "迟到分钟", "应为整数"),
    ({"absent": True, "late_minutes": 10}, "迟到分钟", "缺勤的日期不能有迟到分钟"),
    ({"absent": True, "early_minutes": 10}, "早退分钟", "缺勤的日期不能有早退分钟"),
    ({"leave_type": "出差"}, "假别", "应为以下之一：无、事假、病假、年假、调休、婚假、产假、丧假、工伤"),
    ({"day": "2026-03-05"}, "字段 day", "不可修改"),
], ids=["text", "fraction", "absent-and-late", "absent-and-early", "unknown-leave", "day-is-fixed"])
def test_a_bad_attendance_edit_is_refused_naming_the_field_and_the_rule(people, changes, field, message):
    staff.generate_month_sheet(actor=CLERK, period=P, staff_ids=[people.wang])
    row = attendance_row(people.wang, date(2026, 3, 2))
    state = db_state()
    with pytest.raises(ValidationError) as refused:
        staff.update_attendance(actor=CLERK, edits=[RowEdit(row.id, row.version, changes)])
    assert refused.value.row_errors == {"K001 2026-03-02": {field: message}}
    assert db_state() == state


def test_an_absent_day_made_late_later_is_refused_too(people):
    """The check runs on the day as it will be: a day already 缺勤 cannot get late minutes in a later edit."""
    staff.generate_month_sheet(actor=CLERK, period=P, staff_ids=[people.wang])
    row = attendance_row(people.wang, date(2026, 3, 2))
    staff.update_attendance(actor=CLERK, edits=[RowEdit(row.id, row.version, {"absent": True})])
    row = attendance_row(people.wang, date(2026, 3, 2))
    with pytest.raises(ValidationError) as refused:
        staff.update_attendance(actor=CLERK, edits=[RowEdit(row.id, row.version, {"late_minutes": 3})])
    assert refused.value.row_errors == {"K001 2026-03-02": {"迟到分钟": "缺勤的日期不能有迟到分钟"}}


@sqlite_only  # the checks run before any SQL write
@pytest.mark.parametrize(("who", "day", "message"), [
    ("new", "2026-03-05", "新人 于 2026-03-16 入职，2026-03-05 不在任职期间"),
    ("gone", "2026-03-12", "老张 已于 2026-03-10 离职，2026-03-12 不在任职期间"),
    ("wang", "2026-04-01", "2026-04-01 是将来的日期"),
    ("wang", "2026-02-30", "日期不存在：2026-02-30"),
    ("wang", "3月5日", "应为日期，格式 YYYY-MM-DD，例如 2026-03-01"),
], ids=["before-hire", "after-leaving", "future", "no-such-day", "not-a-date"])
def test_an_incident_on_a_day_outside_employment_or_in_the_future_is_refused(people, who, day, message):
    with pytest.raises(ValidationError) as refused:
        staff.record_incident(actor=ADMIN, incident=NewIncident(getattr(people, who), people.types["仪容不整"], day))
    assert refused.value.errors == {"日期": message}
    assert count_rows(Incident) == 0


def test_an_incident_of_a_retired_type_is_refused_and_the_last_working_day_is_accepted(people):
    """An incident type switched off (停用) cannot be recorded any more; 老张's last day 03-10 is within his
    employment."""
    types = appraisal_rules.list_incident_types(actor=ADMIN).set_index("name")
    old = types.loc["业主表扬"]
    appraisal_rules.save_incident_type(actor=ADMIN, name="业主表扬", kind="奖励", description=old["description"],
                                       active=False, type_id=int(old["id"]), version=int(old["version"]))
    with pytest.raises(ValidationError) as refused:
        staff.record_incident(actor=ADMIN, incident=NewIncident(people.wang, int(old["id"]), date(2026, 3, 5)))
    assert refused.value.errors == {"奖惩项目": "“业主表扬”已停用"}
    assert count_rows(Incident) == 0
    assert staff.record_incident(actor=ADMIN, incident=NewIncident(people.gone, people.types["仪容不整"],
                                                                   date(2026, 3, 10)))


def test_an_incident_is_withdrawn_with_a_reason_and_kept_marked(people):
    """撤销 needs a reason; the record stays, listed as 已撤销 with the reason, audited; a second withdrawal is a
    Conflict, and withdrawing with a version other than the one read is StaleEdit."""
    incident_id = staff.record_incident(actor=ADMIN, incident=NewIncident(people.wang, people.types["仪容不整"],
                                                                          date(2026, 3, 5), note="未佩戴工牌"))
    with pytest.raises(ValidationError) as refused:
        staff.withdraw_incident(actor=ADMIN, incident_id=incident_id, version=1, reason=" ")
    assert refused.value.errors == {"撤销原因": "必须写明原因"}
    staff.withdraw_incident(actor=ADMIN, incident_id=incident_id, version=1, reason="登记错人")
    listed = staff.list_incidents(actor=ADMIN, period=P)
    assert listed[["name", "type", "status", "withdrawn_reason"]].values.tolist() == [
        ["王芳", "仪容不整", "已撤销", "登记错人"]]
    with pytest.raises(Conflict, match="这条奖惩记录已撤销"):
        staff.withdraw_incident(actor=ADMIN, incident_id=incident_id, version=2, reason="再撤")
    other = staff.record_incident(actor=ADMIN, incident=NewIncident(people.wang, people.types["仪容不整"],
                                                                    date(2026, 3, 6)))
    with pytest.raises(StaleEdit):
        staff.withdraw_incident(actor=ADMIN, incident_id=other, version=2, reason="版本不对")
    assert [e.action for e in audit_rows(entity="incidents")] == ["create", "withdraw", "create"]
    assert count_rows(Incident) == 2


@sqlite_only
def test_a_leaving_date_entered_after_the_sheet_leaves_no_attendance_day_after_it(people):
    """The sheet was generated on 03-20 for 王芳; she stopped coming and the clerk marked 03-11 and 03-12 缺勤
    (no 假别). On 03-31 HR records that she left on 03-10. Her March card should count 7 working days and no
    旷工, not 2 days of 旷工 (4,000.00 x 5% x 2 = 400.00) after she had left."""

    staff.generate_month_sheet(actor=CLERK, period=P, staff_ids=[people.wang], today=date(2026, 3, 20))
    mark_attendance(people.wang, {date(2026, 3, 11): {"absent": True}, date(2026, 3, 12): {"absent": True}})
    row = get_row(Staff, people.wang)
    staff.update_staff(actor=ADMIN, edits=[RowEdit(people.wang, row.version,
                                                   {"left_on": "2026-03-10", "active": False})])
    assert appraisal.build_drafts(actor=ADMIN, period=P, staff_ids=[people.wang],
                                  now=datetime(2026, 4, 2, tzinfo=SHANGHAI)) == BuildResult(P, 1, 0, 0)
    card = card_of(people.wang, P)
    assert card.attendance["working_days"] == 7
    assert (card.attendance["absent_days"], card.attendance_deduction) == (0, 0)
