"""Import of staff records 员工档案 and attendance 考勤 (services/appraisal/staff_import): exact headers, every problem by
Excel row and column with nothing written, updates by 工号 / (工号, 日期), idempotent re-import, one audit row per
import that changes something, exact cents, and the scope of managers and the clerk.

Workbooks are built here with openpyxl (tests.factories.sheet_workbook). Files have a title row, so the header is
Excel row 2 and the first data row Excel row 3. "Today" is pinned to 2025-06-16.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Attendance, Post, Staff
from services.appraisal import staff, staff_import
from services.appraisal.posts import DEFAULT_POSTS
from services.platform.auth import SYSTEM_ACTOR, Actor, Role
from services.platform.errors import PermissionDenied, ValidationError
from services.platform.workbook import Problem
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    db_state,
    force_columns,
    make_department,
    make_login,
    roles_without,
    second_waits_on_lock,
    sheet_workbook,
)

TODAY = date(2025, 6, 16)
TITLE = "2025年员工名单"


@pytest.fixture
def centre(db, monkeypatch) -> SimpleNamespace:
    """Departments 客服部 and 工程部; today is 2025-06-16."""
    monkeypatch.setattr(staff_import, "local_today", lambda: TODAY)
    monkeypatch.setattr(staff, "local_today", lambda: TODAY)
    return SimpleNamespace(service=make_department("KF", "客服部"), works=make_department("GC", "工程部"))


def person(**over) -> dict:
    base = {"工号": "S001", "姓名": "张伟", "部门": "客服部", "岗位": "客服前台", "入职日期": "2024-03-01",
            "基本工资": "4000.00"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def day(**over) -> dict:
    base = {"工号": "S001", "姓名": "张伟", "日期": "2025-03-03", "迟到分钟": 15, "早退分钟": None, "缺勤": None,
            "假别": None}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def staff_file(rows, *, headers=staff_import.STAFF_HEADERS, title=TITLE) -> bytes:
    return sheet_workbook(rows, headers=headers, title=title, sheet="员工档案")


def attendance_file(rows, *, headers=staff_import.ATTENDANCE_HEADERS, title="2025年3月考勤") -> bytes:
    return sheet_workbook(rows, headers=headers, title=title, sheet="考勤")


def problems(preview) -> list[str]:
    return [str(p) for p in preview.problems]


def people() -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            select(Staff.staff_no, Staff.name, Staff.department_id, Post.name, Staff.hired_on, Staff.base_salary,
                   Staff.active, Staff.appraised).join(Post, Post.id == Staff.post_id).order_by(Staff.staff_no))]


def days() -> list[tuple]:
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            select(Staff.staff_no, Attendance.day, Attendance.late_minutes, Attendance.early_minutes,
                   Attendance.absent, Attendance.leave_type, Attendance.note)
            .join(Staff, Staff.id == Attendance.staff_id).order_by(Staff.staff_no, Attendance.day))]


def import_staff(data: bytes, actor: Actor = SYSTEM_ACTOR) -> staff_import.StaffImportCounts:
    return staff_import.import_staff(actor=actor, source=data)


def import_attendance(data: bytes, actor: Actor = SYSTEM_ACTOR) -> staff_import.AttendanceImportCounts:
    return staff_import.import_attendance(actor=actor, source=data)


def refused(call) -> None:
    """`call()` raises ValidationError and the database is exactly as before."""
    before = db_state()
    with pytest.raises(ValidationError):
        call()
    assert db_state() == before


def manager_of(staff_no: str, department: str, username: str = "mgr") -> Actor:
    """A manager account linked to a new staff record in `department`."""
    sid = staff.create_staff(actor=SYSTEM_ACTOR, staff=staff.NewStaff(staff_no, "王主管", department, "客服主管",
                                                                      date(2020, 1, 1), "8000.00"))
    uid = make_login(username, "王主管", role=Role.MANAGER, staff_id=sid)
    return Actor(user_id=uid, username=username, display_name="王主管", role=Role.MANAGER, staff_id=sid)


# --- staff ----------------------------------------------------------------------------------------------


def test_a_valid_staff_file_creates_exactly_its_people_in_service_and_appraised(centre):
    data = staff_file([
        person(),
        person(工号="S002", 姓名="李　娜", 部门="工程部", 岗位="维修工", 入职日期=datetime(2023, 7, 15), 基本工资=5200.1),
        person(工号="S003", 姓名="王芳", 岗位="收费员", 入职日期="2022年1月3日", 基本工资="¥3,850.50"),
    ])
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=data)
    assert preview.ok and preview.sheet == "员工档案"
    assert list(preview.rows["行号"]) == [3, 4, 5] and set(preview.rows["处理"]) == {"新增"}
    counts = staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert (counts.rows, counts.new, counts.changed, counts.unchanged) == (3, 3, 0, 0)
    assert counts.summary() == "共 3 行：新增员工 3、修改 0、不变 0"
    assert people() == [
        ("S001", "张伟", centre.service, "客服前台", date(2024, 3, 1), Decimal("4000.00"), True, True),
        ("S002", "李娜", centre.works, "维修工", date(2023, 7, 15), Decimal("5200.10"), True, True),
        ("S003", "王芳", centre.service, "收费员", date(2022, 1, 3), Decimal("3850.50"), True, True),
    ]
    [entry] = audit_rows(action="import", entity="staff")
    before, after = audit_json(entry)
    assert before is None
    assert after["new"] == 3 and after["新增工号"] == ["S001", "S002", "S003"]


def test_importing_the_same_staff_file_again_changes_nothing_and_writes_no_audit_row(centre):
    data = staff_file([person(), person(工号="S002", 姓名="李娜", 基本工资=4500)])
    import_staff(data)
    before = db_state()
    counts = import_staff(data)
    assert (counts.new, counts.changed, counts.unchanged) == (0, 0, 2)
    assert db_state() == before
    assert len(audit_rows(action="import", entity="staff")) == 1


def test_a_known_staff_no_updates_that_person_whatever_its_case_and_keeps_left_and_appraised(centre):
    import_staff(staff_file([person(), person(工号="S002", 姓名="李娜")]))
    sid = people_ids()["S001"]
    force_columns(Staff, sid, appraised=False)
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file([
        person(工号="s001", 姓名="张伟强", 部门="工程部", 岗位="维修工", 入职日期="2024-02-01", 基本工资="4100.50"),
        person(工号="S002", 姓名="李娜"),
    ]))
    assert list(preview.rows["处理"]) == [
        "修改：姓名 张伟 → 张伟强、部门 客服部 → 工程部、岗位 客服前台 → 维修工、入职日期 2024-03-01 → 2024-02-01、"
        "基本工资 4000.00 → 4100.50",
        "不变",
    ]
    counts = staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert (counts.new, counts.changed, counts.unchanged) == (0, 1, 1)
    assert people()[0] == ("S001", "张伟强", centre.works, "维修工", date(2024, 2, 1), Decimal("4100.50"), True, False)
    with read_session() as s:
        assert s.get(Staff, sid).version == 2
    entry = audit_rows(action="import", entity="staff")[-1]
    before, after = audit_json(entry)
    assert before == {"修改": {"S001": {"姓名": "张伟", "部门": "客服部", "岗位": "客服前台", "入职日期": "2024-03-01",
                                       "基本工资": "4000.00"}}}
    assert after["修改"]["S001"]["基本工资"] == "4100.50" and after["changed"] == 1 and "新增工号" not in after


def people_ids() -> dict[str, int]:
    with read_session() as s:
        return dict(s.execute(select(Staff.staff_no, Staff.id)).all())


def test_every_bad_staff_row_is_refused_by_row_and_column_and_nothing_is_written(centre):
    import_staff(staff_file([person(工号="S009", 姓名="赵六")]))
    data = staff_file([
        person(),
        person(工号="S002", 部门="保安部"),
        person(工号="S003", 岗位="保安"),
        person(工号="S004", 基本工资="4000.123"),
        person(工号="S005", 基本工资=-100),
        person(工号="S006", 基本工资=4000.005),
        person(工号="s001", 姓名="张伟"),
        person(工号="S007", 入职日期="2024-02-30"),
        person(工号="S008", 姓名=None, 入职日期="下个月"),
        person(工号="S0 10", 基本工资="四千"),
        person(工号="S#11", 入职日期="2026-07-01"),
    ])
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=data)
    assert problems(preview) == [
        "第 4 行 · 部门：系统中没有部门“保安部”（将新建，需确认）；已有：工程部、客服部。" + staff_import.CREATE_HINT,
        "第 5 行 · 岗位：系统中没有岗位“保安”（将新建，需确认）；已有：" + "、".join(DEFAULT_POSTS) + "。"
        + staff_import.CREATE_HINT,
        "第 6 行 · 基本工资：最多两位小数（收到 4000.123）",
        "第 7 行 · 基本工资：不能小于 0（收到 -100）",
        "第 8 行 · 基本工资：最多两位小数（收到 4000.005）",
        "第 9 行 · 工号：与第 3 行的工号相同",
        "第 10 行 · 入职日期：日期不存在：2024-02-30",
        "第 11 行 · 姓名：必填",
        "第 11 行 · 入职日期：应为日期，例如 2025-03-01、2025/3/1 或 2025年3月1日",
        "第 12 行 · 基本工资：应为数字，最多两位小数，例如 1234.50（收到 四千）",
        "第 13 行 · 工号：只能包含字母、数字和短横线",
        "第 13 行 · 入职日期：不能晚于一年以后",
    ]
    assert people() == [("S009", "赵六", centre.service, "客服前台", date(2024, 3, 1), Decimal("4000.00"), True, True)]
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert "第 6 行" in exc.value.row_errors and db_state() == before
    with pytest.raises(ValidationError):
        import_staff(data)
    assert db_state() == before


def test_a_new_hired_date_after_the_leaving_date_or_after_recorded_attendance_is_refused(centre):
    import_staff(staff_file([person(), person(工号="S002", 姓名="李娜")]))
    ids = people_ids()
    force_columns(Staff, ids["S002"], active=False, left_on=date(2025, 1, 31))
    import_attendance(attendance_file([day(日期="2024-05-06")]))
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file([
        person(入职日期="2024-06-01"), person(工号="S002", 姓名="李娜", 入职日期="2025-02-01")]))
    assert problems(preview) == [
        "第 3 行 · 入职日期：张伟 在 2024-05-06 已有考勤，入职日期不能晚于该日",
        "第 4 行 · 入职日期：不能晚于 李娜 的离职日期 2025-01-31",
    ]


def test_headers_are_exact_but_spaces_and_a_required_mark_are_tolerated(centre):
    headers = [" 工号 ", "*姓名", "部门＊", "岗 位", "入职日期", "基本工资", "备注"]
    rows = [["S001", "张伟", "客服部", "客服前台", "2024-03-01", "4000", "（其他列不读）"]]
    counts = import_staff(sheet_workbook(rows, headers=headers, title=TITLE, sheet="Sheet1"))
    assert counts.new == 1
    wrong = sheet_workbook([["S002", "李娜", "客服部", "客服前台", "2024-03-01", "4000"]],
                           headers=["工号", "姓名", "部门", "岗位", "入职时间", "基本工资（元）"], title=TITLE)
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=wrong)
    listed = "工号、姓名、部门、岗位、入职日期、基本工资"
    assert preview.problems == (Problem(2, "入职日期", f"缺少此列（表头应为：{listed}）"),
                                Problem(2, "基本工资", f"缺少此列（表头应为：{listed}）"))


def test_a_file_without_the_header_row_is_one_whole_file_problem_naming_the_headers(centre):
    data = sheet_workbook([["S001", "张伟", "客服部"]], headers=["编号", "名字", "科室"], title=TITLE)
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=data)
    assert problems(preview) == ["文件 · 表头：没有找到表头。表头应为：工号、姓名、部门、岗位、入职日期、基本工资（请使用员工档案导入模板）"]
    refused(lambda: import_staff(data))
    assert problems(staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=b"not a workbook")) == [
        "文件 · 文件：不是有效的 Excel 文件（.xlsx）；旧版 .xls 请在 Excel 中另存为 .xlsx"]
    assert problems(staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=staff_file([]))) == [
        "文件 · 文件：表头下面没有数据行"]


def test_a_manager_imports_only_into_their_own_department(centre):
    import_staff(staff_file([person(工号="G001", 姓名="李工", 部门="工程部", 岗位="维修工")]))
    manager = manager_of("K100", "客服部")
    data = staff_file([person(), person(工号="S002", 姓名="赵敏", 部门="工程部"),
                       person(工号="G001", 姓名="李工", 部门="客服部", 岗位="维修工")])
    preview = staff_import.preview_staff_import(actor=manager, source=data)
    assert problems(preview) == [
        "第 4 行 · 部门：只能导入本部门（客服部）的员工",
        "第 5 行 · 工号：G001 李工 是其他部门（工程部）的员工，不能修改",
    ]
    refused(lambda: import_staff(data, manager))
    counts = import_staff(staff_file([person()]), manager)
    assert counts.new == 1 and [p[0] for p in people()] == ["G001", "K100", "S001"]
    audit_entry = audit_rows(action="import", entity="staff")[-1]
    assert audit_entry.actor_username == "mgr"


def test_a_manager_without_a_linked_staff_record_imports_nobody(centre):
    uid = make_login("mgr2", "主管二", role=Role.MANAGER)
    lonely = Actor(user_id=uid, username="mgr2", display_name="主管二", role=Role.MANAGER)
    preview = staff_import.preview_staff_import(actor=lonely, source=staff_file([person()]))
    assert problems(preview) == ["第 3 行 · 部门：您的账户没有关联员工档案或所属部门，不能导入员工（请系统管理员在“用户”中关联）"]


def test_a_preview_gone_stale_is_planned_again_at_commit(centre):
    data = staff_file([person(), person(工号="S002", 姓名="李娜")])
    preview = staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=data)
    import_staff(staff_file([person(基本工资="4200.00")]))
    counts = staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=preview)
    assert (counts.new, counts.changed, counts.unchanged) == (1, 1, 0)
    assert [p[5] for p in people()] == [Decimal("4000.00"), Decimal("4000.00")]
    attendance = staff_import.preview_attendance_import(actor=SYSTEM_ACTOR, source=attendance_file([day()]))
    with pytest.raises(ValidationError, match="不是本导入"):
        staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=attendance)


def test_the_staff_template_reads_back_through_the_import(centre):
    wb = openpyxl.load_workbook(io_bytes(staff_import.staff_template_bytes()))
    assert wb.sheetnames == ["员工档案", "说明"]
    assert [c.value for c in wb["员工档案"][1]] == list(staff_import.STAFF_HEADERS)
    wb["员工档案"].append(["S001", "张伟", "工程部", "维修工", "2024-03-01", "4000.00"])
    assert import_staff(io_bytes(wb)).new == 1
    assert people()[0][2] == centre.works


def io_bytes(source):
    import io

    if isinstance(source, bytes):
        return io.BytesIO(source)
    buf = io.BytesIO()
    source.save(buf)
    return buf.getvalue()


# --- attendance -----------------------------------------------------------------------------------------


@pytest.fixture
def crew(centre) -> SimpleNamespace:
    """S001 张伟 (客服部, since 2024-03-01), S002 李娜 (工程部, 2025-01-06 .. 2025-03-20, left)."""
    import_staff(staff_file([person(), person(工号="S002", 姓名="李娜", 部门="工程部", 岗位="维修工",
                                              入职日期="2025-01-06")]))
    ids = people_ids()
    force_columns(Staff, ids["S002"], active=False, left_on=date(2025, 3, 20))
    return SimpleNamespace(**vars(centre), ids=ids)


def test_a_valid_attendance_file_writes_exactly_its_days(crew):
    data = attendance_file([
        day(),
        day(日期=datetime(2025, 3, 4), 迟到分钟=None, 早退分钟=30),
        day(日期="2025/3/5", 迟到分钟=None, 缺勤="是", 假别="病假"),
        day(日期="2025年3月6日", 迟到分钟=None, 缺勤="是"),
        day(工号="S002", 姓名="李娜", 日期="2025-03-20", 迟到分钟=1440, 缺勤="否", 假别=""),
    ])
    preview = staff_import.preview_attendance_import(actor=SYSTEM_ACTOR, source=data)
    assert preview.ok, problems(preview)
    counts = staff_import.commit_attendance_import(actor=SYSTEM_ACTOR, preview=preview)
    assert (counts.rows, counts.new, counts.changed, counts.unchanged, counts.people) == (5, 5, 0, 0, 2)
    assert counts.summary() == "共 5 行：新增考勤 5 天、修改 0 天、不变 0 天；涉及 2 人，2025-03-03 至 2025-03-20"
    assert days() == [
        ("S001", date(2025, 3, 3), 15, 0, False, "", ""),
        ("S001", date(2025, 3, 4), 0, 30, False, "", ""),
        ("S001", date(2025, 3, 5), 0, 0, True, "病假", ""),
        ("S001", date(2025, 3, 6), 0, 0, True, "", ""),
        ("S002", date(2025, 3, 20), 1440, 0, False, "", ""),
    ]
    [entry] = audit_rows(action="import", entity="attendance")
    assert audit_json(entry)[1]["new"] == 5


def test_existing_days_are_updated_keeping_their_note_and_a_second_import_changes_nothing(crew):
    result = staff.generate_month_sheet(actor=SYSTEM_ACTOR, period="2025-03", staff_ids=[crew.ids["S001"]],
                                        today=date(2025, 3, 4))
    assert result.created == 2  # 3 and 4 March
    with read_session() as s:
        row_id = s.scalar(select(Attendance.id).where(Attendance.day == date(2025, 3, 3)))
    force_columns(Attendance, row_id, note="打卡机故障")
    data = attendance_file([day(), day(日期="2025-03-04", 迟到分钟=0), day(日期="2025-03-07", 迟到分钟=5)])
    preview = staff_import.preview_attendance_import(actor=SYSTEM_ACTOR, source=data)
    assert list(preview.rows["处理"]) == ["修改：迟到分钟 0 → 15", "不变", "新增"]
    counts = staff_import.commit_attendance_import(actor=SYSTEM_ACTOR, preview=preview)
    assert (counts.new, counts.changed, counts.unchanged) == (1, 1, 1)
    assert days() == [("S001", date(2025, 3, 3), 15, 0, False, "", "打卡机故障"),
                      ("S001", date(2025, 3, 4), 0, 0, False, "", ""),
                      ("S001", date(2025, 3, 7), 5, 0, False, "", "")]
    before, after = audit_json(audit_rows(action="import", entity="attendance")[-1])
    assert before == {"修改": {"S001 2025-03-03": {"迟到分钟": "0"}}}
    assert after["修改"] == {"S001 2025-03-03": {"迟到分钟": "15"}}
    state = db_state()
    counts = import_attendance(data)
    assert (counts.new, counts.changed, counts.unchanged) == (0, 0, 3)
    assert db_state() == state


def test_every_bad_attendance_row_is_refused_by_row_and_column_and_nothing_is_written(crew):
    import_attendance(attendance_file([day(日期="2025-03-10")]))
    data = attendance_file([
        day(),
        day(日期="2025-03-04", 迟到分钟=-5),
        day(日期="2025-03-05", 迟到分钟=None, 早退分钟=1441),
        day(日期="2025-03-06", 迟到分钟="半小时"),
        day(工号="S404", 姓名="无名"),
        day(姓名="张三", 日期="2025-03-14"),
        day(日期="2024-02-29"),
        day(工号="S002", 姓名="李娜", 日期="2025-03-21"),
        day(日期="2025-06-17"),
        day(日期="2025-03-11", 缺勤="迟到"),
        day(日期="2025-03-12", 迟到分钟=None, 缺勤="是", 假别="旅游假"),
        day(日期="2025-03-13", 缺勤="是", 早退分钟=10),
        day(日期="2025-03-03", 迟到分钟=20),
        day(日期=None),
    ])
    preview = staff_import.preview_attendance_import(actor=SYSTEM_ACTOR, source=data)
    assert problems(preview) == [
        "第 4 行 · 迟到分钟：不能小于 0",
        "第 5 行 · 早退分钟：不能大于 1440",
        "第 6 行 · 迟到分钟：应为整数",
        "第 7 行 · 工号：系统中没有工号为 S404 的员工",
        "第 8 行 · 姓名：工号 S001 的员工是“张伟”，文件中写的是“张三”",
        "第 9 行 · 日期：张伟 于 2024-03-01 入职，2024-02-29 不在任职期间",
        "第 10 行 · 日期：李娜 已于 2025-03-20 离职，2025-03-21 不在任职期间",
        "第 11 行 · 日期：2025-06-17 是将来的日期",
        "第 12 行 · 缺勤：应为 是 或 否",
        "第 13 行 · 假别：应为以下之一：" + "、".join((staff.NO_LEAVE, *staff.LEAVE_TYPES)),
        "第 14 行 · 迟到分钟：缺勤的日期不能有迟到分钟",
        "第 14 行 · 早退分钟：缺勤的日期不能有早退分钟",
        "第 15 行 · 日期：与第 3 行重复（同一工号、同一日期）",
        "第 16 行 · 日期：必填",
    ]
    before = db_state()
    with pytest.raises(ValidationError):
        staff_import.commit_attendance_import(actor=SYSTEM_ACTOR, preview=preview)
    with pytest.raises(ValidationError):
        import_attendance(data)
    assert db_state() == before
    assert days() == [("S001", date(2025, 3, 10), 15, 0, False, "", "")]


def test_padded_names_and_full_width_digits_are_read_as_people_write_them(crew):
    counts = import_attendance(attendance_file([day(姓名="张  伟", 迟到分钟="１５", 缺勤=" 否 ")]))
    assert counts.new == 1 and days()[0][2] == 15


def test_attendance_headers_are_exact(crew):
    headers = ["工号", "姓名", "日期", "迟到", "早退分钟", "缺勤（是/否）", "假别"]
    preview = staff_import.preview_attendance_import(
        actor=SYSTEM_ACTOR, source=attendance_file([["S001", "张伟", "2025-03-03", 5, 0, "否", ""]], headers=headers))
    assert [(p.row, p.column) for p in preview.problems] == [(2, "迟到分钟"), (2, "缺勤")]
    preview = staff_import.preview_attendance_import(actor=SYSTEM_ACTOR, source=staff_file([person()]))
    assert problems(preview) == ["文件 · 表头：没有找到表头。表头应为：工号、姓名、日期、迟到分钟、早退分钟、缺勤、假别（请使用考勤导入模板）"]


def test_the_clerk_enters_everybodys_attendance_and_a_manager_only_their_departments(crew):
    data = attendance_file([day(), day(工号="S002", 姓名="李娜", 日期="2025-03-04")])
    clerk = actor_for(Role.CLERK, "clerk1")
    assert staff_import.preview_attendance_import(actor=clerk, source=data).ok
    manager = manager_of("K100", "客服部")
    preview = staff_import.preview_attendance_import(actor=manager, source=data)
    assert problems(preview) == ["第 4 行 · 工号：S002 李娜 是其他部门（工程部）的员工，不能录入其考勤"]
    refused(lambda: import_attendance(data, manager))
    assert import_attendance(attendance_file([day()]), manager).new == 1


IMPORTS = {
    "staff": ("staff.manage", staff_import.preview_staff_import, staff_import.commit_staff_import,
              lambda: staff_file([person(工号="S003", 姓名="王芳")])),
    "attendance": ("attendance.edit", staff_import.preview_attendance_import, staff_import.commit_attendance_import,
                   lambda: attendance_file([day()])),
}


@pytest.mark.parametrize(("kind", "role"), [(kind, role) for kind, (action, *_rest) in IMPORTS.items()
                                            for role in roles_without(action)])
def test_roles_without_the_permission_can_neither_preview_nor_commit(crew, kind, role):
    _action, preview_import, commit_import, make_file = IMPORTS[kind]
    data = make_file()
    preview = preview_import(actor=SYSTEM_ACTOR, source=data)
    assert preview.ok and preview.counts.new == 1
    before = db_state()
    with pytest.raises(PermissionDenied):
        preview_import(actor=actor_for(role), source=data)
    with pytest.raises(PermissionDenied):
        commit_import(actor=actor_for(role), preview=preview)
    assert db_state() == before


def test_the_attendance_template_reads_back_through_the_import(crew):
    wb = openpyxl.load_workbook(io_bytes(staff_import.attendance_template_bytes()))
    assert wb.sheetnames == ["考勤", "说明"]
    assert [c.value for c in wb["考勤"][1]] == list(staff_import.ATTENDANCE_HEADERS)
    wb["考勤"].append(["S001", "张伟", "2025-03-03", 15, 0, "否", ""])
    assert import_attendance(io_bytes(wb)).new == 1


def test_two_imports_of_one_file_at_once_create_its_people_once(db, centre, monkeypatch):
    """The second import waits on the locked import counter, then finds the first one's people unchanged."""
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; no interleaving")
    data = staff_file([person(), person(工号="S002", 姓名="李娜")])
    previews = [staff_import.preview_staff_import(actor=SYSTEM_ACTOR, source=data) for _ in range(2)]
    results, second_was_waiting = second_waits_on_lock(
        monkeypatch, staff_import, "advance",
        [lambda: staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=previews[0]),
         lambda: staff_import.commit_staff_import(actor=SYSTEM_ACTOR, preview=previews[1])])
    assert second_was_waiting, results
    assert [(r.new, r.unchanged) for r in results] == [(2, 0), (0, 2)], results
    assert [p[0] for p in people()] == ["S001", "S002"]
    assert len(audit_rows(action="import", entity="staff")) == 1
