"""`propdesk import staff|attendance FILE [--dry-run]` and `propdesk appraise --period YYYY-MM [--json]`.

The month is made by hand through the two imports after `propdesk init` (which seeds the appraisal rules of
services/appraisal/rules.DEFAULT_RULES): 张伟 (客服前台) late on 3 days of March 2025, 李娜 (保洁员, a post with no
KPIs) late on 2, both on a base salary of 4,000.00. KPI.md: 2 lates cost 1% each (80.00), 3 or more 5% each (600.00).
"""

from __future__ import annotations

import json
import re

import pytest

import cli
from services.appraisal.staff_import import ATTENDANCE_HEADERS, STAFF_HEADERS
from tests.cli_support import cli_database, run
from tests.factories import audit_rows, make_department, sheet_workbook

CJK = re.compile(r"[\u4e00-\u9fff]")
STAFF = [["S001", "张伟", "客服部", "客服前台", "2024-03-01", "4000.00"],
         ["S002", "李娜", "客服部", "保洁员", "2024-03-01", 4000]]
LATE = ([["S001", "张伟", f"2025-03-{d:02d}", 10, 0, "否", ""] for d in (3, 4, 5)]
        + [["S002", "李娜", f"2025-03-{d:02d}", 5, "", "", ""] for d in (3, 4)]
        + [["S002", "李娜", "2025-03-06", "", "", "是", "病假"]])


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> str:
    """`propdesk init` (seed appraisal rules and KPIs per post) and department 客服部."""
    with cli_database(tmp_path, monkeypatch) as url:
        make_department("KF", "客服部")
        yield url


def files(tmp_path) -> tuple[str, str]:
    staff = tmp_path / "员工.xlsx"
    attendance = tmp_path / "考勤.xlsx"
    sheet_workbook(STAFF, headers=STAFF_HEADERS, title="员工名单", sheet="员工档案", path=staff)
    sheet_workbook(LATE, headers=ATTENDANCE_HEADERS, title="2025年3月考勤", sheet="考勤", path=attendance)
    return str(staff), str(attendance)


def test_import_staff_and_attendance_print_the_counts_dry_run_writes_nothing_and_again_changes_nothing(
        cli_db, capsys, tmp_path):
    staff, attendance = files(tmp_path)
    code, out, err = run(capsys, "import", "staff", staff, "--dry-run")
    assert code == 0, err
    assert "试导入（--dry-run），未写入任何数据。将会：共 2 行：新增员工 2、修改 0、不变 0" in out
    assert audit_rows(action="import", entity="staff") == []
    code, out, err = run(capsys, "import", "staff", staff)
    assert code == 0, err
    assert "格式：员工档案（工作表“员工档案”）" in out and "已导入。共 2 行：新增员工 2、修改 0、不变 0" in out
    code, out, _err = run(capsys, "import", "staff", staff)
    assert code == 0 and "新增员工 0、修改 0、不变 2" in out
    code, out, err = run(capsys, "import", "attendance", attendance)
    assert code == 0, err
    assert "已导入。共 6 行：新增考勤 6 天、修改 0 天、不变 0 天；涉及 2 人，2025-03-03 至 2025-03-06" in out
    code, out, _err = run(capsys, "import", "attendance", attendance)
    assert code == 0 and "新增考勤 0 天、修改 0 天、不变 6 天" in out
    assert [e.actor_username for e in audit_rows(action="import")] == ["system", "system"]


def created_references() -> list[str]:
    return sorted(e.entity for e in audit_rows(action="create") if e.entity in ("departments", "posts"))


def test_import_problems_are_printed_by_row_and_column_and_nothing_is_written(cli_db, capsys, tmp_path):
    path = tmp_path / "考勤.xlsx"
    sheet_workbook([["S001", "张伟", "2025-03-03", -5, 0, "否", ""], ["S001", "张伟", "2025-03-04", 5, 0, "否", ""]],
                   headers=ATTENDANCE_HEADERS, title="考勤", path=path)
    code, out, err = run(capsys, "import", "attendance", str(path))
    assert code == 1
    assert "发现 2 个问题（行号按 Excel 显示）" in out
    assert "第 3 行 · 迟到分钟：不能小于 0" in out and "第 4 行 · 工号：系统中没有工号为 S001 的员工" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and CJK.search(lines[0]) and "未导入任何考勤" in lines[0] and "Traceback" not in err
    staff = tmp_path / "员工.xlsx"
    sheet_workbook([STAFF[0], ["S001", "张伟", "客服部", "客服前台", "2024-03-01", "4000.001"],
                    ["S009", "赵安", "保安部", "保安", "2024-03-01", "3000"]], headers=STAFF_HEADERS,
                   title="员工名单", path=staff)
    code, out, err = run(capsys, "import", "staff", str(staff))
    assert code == 1
    assert "第 4 行 · 基本工资：最多两位小数（收到 4000.001）" in out
    assert "第 5 行 · 部门：系统中没有部门“保安部”（将新建，需确认）；已有：客服部" in out and "--create-missing" in out
    assert "第 5 行 · 岗位：系统中没有岗位“保安”（将新建，需确认）" in out
    assert "未导入任何员工" in err
    # confirming creates what is missing, but a bad row still stops everything
    code, out, err = run(capsys, "import", "staff", str(staff), "--create-missing")
    assert code == 1 and "第 4 行 · 基本工资" in out and "部门" not in out.split("第 4 行")[-1]
    assert audit_rows(action="import") == [] and created_references() == []


def test_create_missing_adds_departments_and_posts_with_the_staff(cli_db, capsys, tmp_path):
    staff = tmp_path / "员工.xlsx"
    sheet_workbook([["G001", "管一", "管家部", "管家", "2024-03-01", "4100"],
                    ["G002", "管二", "管家部", "管家", "2024-03-01", "4100"],
                    ["E001", "工一", "工程部", "工程", "2023-05-01", "5200.50"]],
                   headers=STAFF_HEADERS, title="员工名单", path=staff)
    code, out, _err = run(capsys, "import", "staff", str(staff), "--create-missing", "--dry-run")
    assert code == 0 and "新建部门 2 个（管家部、工程部）" in out and "新建岗位 2 个（管家、工程）" in out
    assert created_references() == []
    code, out, _err = run(capsys, "import", "staff", str(staff), "--create-missing")
    assert code == 0 and "新增员工 3" in out and "新建岗位 2 个（管家、工程）" in out
    assert created_references() == ["departments", "departments", "posts", "posts"]
    code, out, _err = run(capsys, "import", "staff", str(staff))  # again, without the option: nothing is missing
    assert code == 0 and "不变 3" in out


def test_appraise_json_lists_each_person_with_the_seed_lateness_deductions(cli_db, capsys, tmp_path):
    staff, attendance = files(tmp_path)
    assert run(capsys, "import", "staff", staff)[0] == 0
    assert run(capsys, "import", "attendance", attendance)[0] == 0
    code, out, err = run(capsys, "appraise", "--period", "2025-03", "--json")
    assert code == 0, err
    cards = {c["staff_no"]: c for c in json.loads(out)}
    assert sorted(cards) == ["S001", "S002"]
    zhang, li = cards["S001"], cards["S002"]
    assert (zhang["name"], zhang["late_count"], zhang["lateness_deduction"]) == ("张伟", 3, "600.00")
    assert (li["name"], li["late_count"], li["lateness_deduction"]) == ("李娜", 2, "80.00")
    for card in cards.values():
        assert card["incident_deduction"] == "0.00" and card["reward"] == "0.00" and card["status"] == "草稿"
        assert {"staff_no", "name", "late_count", "lateness_deduction", "incident_deduction", "reward",
                "score"} <= set(card)
    assert zhang["score"] == "100.00"  # effective complaints 0 against a target of 0; no other KPI has data
    assert li["score"] is None  # 保洁员 has no KPIs
    code, again, _err = run(capsys, "appraise", "--period", "2025-03", "--json")
    assert code == 0 and json.loads(again) == json.loads(out)  # drafts are recomputed, not duplicated


def test_appraise_prints_a_readable_table_with_money_in_yuan_and_a_dash_for_no_score(cli_db, capsys, tmp_path):
    staff, attendance = files(tmp_path)
    run(capsys, "import", "staff", staff)
    run(capsys, "import", "attendance", attendance)
    code, out, err = run(capsys, "appraise", "--period", "2025-03")
    assert code == 0, err
    lines = out.strip().splitlines()
    assert lines[0].startswith("2025-03 月度考核：共 2 人")
    assert lines[1].split() == ["工号", "姓名", "岗位", "状态", "迟到", "考勤扣款", "奖惩扣款", "奖励", "总分"]
    assert lines[2].split() == ["S001", "张伟", "客服前台", "草稿", "3", "¥600.00", "¥0.00", "¥0.00", "100.00"]
    assert lines[3].split() == ["S002", "李娜", "保洁员", "草稿", "2", "¥80.00", "¥0.00", "¥0.00", "—"]
    assert len({cli._width(line) for line in lines[1:]}) == 1  # columns line up (a Chinese character is 2 wide)


def test_appraise_with_a_bad_or_future_period_prints_one_chinese_line_and_exits_1(cli_db, capsys):
    for period in ("2025-13", "March", "2099-01"):
        code, out, err = run(capsys, "appraise", "--period", period)
        lines = err.strip().splitlines()
        assert code == 1 and out == "" and len(lines) == 1 and CJK.search(lines[0]) and "月份" in lines[0], period
    code, out, _err = run(capsys, "appraise", "--period", "2025-03")
    assert code == 0 and "没有需要考核的员工" in out


def test_the_import_command_lists_staff_and_attendance(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import", "-h"])
    out = capsys.readouterr().out
    assert "staff" in out and "attendance" in out
