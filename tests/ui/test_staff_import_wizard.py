"""The staff and attendance import wizards (ui/appraisal/staff_import.py): their pure parts, and each once under AppTest.

Both are declarations over the shared wizard (ui/kit/import_wizard.py, tested in tests/ui/test_import_wizard.py).
"""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest

from db.models import Attendance, Department, Staff
from services.appraisal.staff_import import (
    ATTENDANCE_HEADERS,
    STAFF_HEADERS,
    AttendanceImportCounts,
    StaffImportCounts,
)
from services.platform.auth import Role
from tests.factories import count_rows, make_department, sheet_workbook
from tests.ui.wizards import XLSX, confirm_button, wizard_app
from ui.appraisal.staff_import import ATTENDANCE, STAFF, _span
from ui.kit import import_wizard
from ui.kit.i18n import CATALOG

# --- pure parts --------------------------------------------------------------------------------------


def test_the_figures_are_new_changed_and_unchanged_and_only_new_and_changed_are_changes():
    counts = StaffImportCounts(rows=6, new=2, changed=1, unchanged=3)
    assert import_wizard.metric_rows(STAFF, counts) == [[("新增员工", 2), ("修改员工", 1), ("不变", 3)]]
    assert STAFF.changes(counts) == 3 and STAFF.changes(StaffImportCounts(rows=3, unchanged=3)) == 0
    days = AttendanceImportCounts(rows=4, new=1, changed=0, unchanged=3, people=2)
    assert import_wizard.metric_rows(ATTENDANCE, days) == [[("新增考勤（天）", 1), ("修改考勤（天）", 0), ("不变（天）", 3)]]
    assert ATTENDANCE.changes(days) == 1


def test_the_attendance_note_says_whom_and_which_days_the_file_covers():
    counts = AttendanceImportCounts(rows=3, new=3, people=2, first_day=date(2025, 3, 3), last_day=date(2025, 3, 31))
    assert _span(SimpleNamespace(counts=counts)) == ["涉及 2 人，2025-03-03 至 2025-03-31"]
    assert _span(SimpleNamespace(counts=AttendanceImportCounts())) == []


@pytest.mark.parametrize("wizard", [STAFF, ATTENDANCE], ids=["staff", "attendance"])
def test_every_word_a_wizard_names_is_in_the_catalog(wizard):
    assert wizard.label_keys <= set(CATALOG)


# --- under AppTest ---------------------------------------------------------------------------------


def test_a_staff_file_is_previewed_then_imported(sqlite_db):
    make_department("KF", "客服部")
    at = wizard_app("ui.appraisal.staff_import:staff_import_wizard", Role.MANAGER)
    assert not at.exception and [b.label for b in at.get("download_button")] == ["下载导入模板"]
    data = sheet_workbook([["S001", "张伟", "客服部", "客服前台", "2024-03-01", "4000.00"]], headers=STAFF_HEADERS,
                          title="员工名单", sheet="员工档案")
    at.file_uploader[0].set_value(("员工.xlsx", data, XLSX))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "工作表“员工档案”，共 1 行数据" in [c.value for c in at.caption]
    assert {m.label: m.value for m in at.metric}["新增员工"] == "1"
    assert count_rows(Staff) == 0  # a preview writes nothing
    confirm_button(at).click()
    at.run()
    assert not at.exception and count_rows(Staff) == 1
    assert any("新增员工 1" in s.value for s in at.success)


def test_attendance_problems_are_listed_by_excel_row_and_nothing_can_be_imported(sqlite_db):
    at = wizard_app("ui.appraisal.staff_import:attendance_import_wizard", Role.CLERK)
    data = sheet_workbook([["S001", "张伟", "2025-03-03", 1500, 0, "否", ""]], headers=ATTENDANCE_HEADERS,
                          title="考勤", sheet="考勤")
    at.file_uploader[0].set_value(("考勤.xlsx", data, XLSX))
    at.run()
    assert at.error and "1 个问题" in at.error[0].value
    assert at.dataframe[0].value.values.tolist() == [["3", "迟到分钟", "不能大于 1440"]]
    assert confirm_button(at).disabled and count_rows(Attendance) == 0


@pytest.mark.parametrize(("render", "role", "words"), [
    ("staff_import_wizard", Role.CLERK, "不能导入员工档案"),
    ("attendance_import_wizard", Role.CASHIER, "不能导入考勤"),
])
def test_roles_without_the_permission_see_no_uploader(sqlite_db, render, role, words):
    at = wizard_app(f"ui.appraisal.staff_import:{render}", role)
    assert not at.exception and not at.file_uploader and words in at.info[0].value


def test_on_a_fresh_install_the_missing_departments_and_posts_are_created_once_confirmed(sqlite_db):
    at = wizard_app("ui.appraisal.staff_import:staff_import_wizard", Role.ADMIN)
    data = sheet_workbook([["G001", "管一", "管家部", "管家", "2024-03-01", "4100"],
                           ["E001", "工一", "工程部", "维修工", "2023-05-01", "5200.50"]],
                          headers=STAFF_HEADERS, title="员工名单", sheet="员工档案")
    at.file_uploader[0].set_value(("员工.xlsx", data, XLSX))
    at.run()
    assert not at.exception and at.error and "3 个问题" in at.error[0].value
    problems = at.dataframe[0].value.values.tolist()
    assert problems[0][:2] == ["3", "部门"]
    assert "系统中还没有任何部门" in problems[0][2] and "新建缺少的部门和岗位" in problems[0][2]
    assert confirm_button(at).disabled
    at.checkbox(key="staff_import:create_missing").check()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [w.value for w in at.warning] == ["将新建部门：管家部、工程部", "将新建岗位：管家"]
    assert count_rows(Department) == 0 and count_rows(Staff) == 0  # a preview writes nothing
    confirm_button(at).click()
    at.run()
    assert not at.exception and count_rows(Staff) == 2 and count_rows(Department) == 2
    assert any("新建部门 2 个（管家部、工程部）" in s.value for s in at.success)
