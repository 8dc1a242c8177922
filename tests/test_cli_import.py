"""`propdesk import assets FILE` and the export of units, people, residents, parking and keys."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import AuditEntry, Key, ParkingSpace, Person, Unit, UnitPerson
from services.estate import asset_import as imports
from services.platform.clock import local_today
from services.platform.identity import id_check_char
from tests.cli_support import cli_database, run

CJK = re.compile(r"[\u4e00-\u9fff]")
TEMPLATE = [h for h, _f, _help in imports.TEMPLATE_COLUMNS]
HC = [h for h, _f in imports.HC_COLUMNS]
ID1 = "11010519491231002" + id_check_char("11010519491231002")


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> str:
    with cli_database(tmp_path, monkeypatch) as url:
        yield url


def count(model) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def workbook(path, headers, rows, *, sheet="房屋人员", title=None):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
        for cell in ws[ws.max_row]:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as a user may type with a leading '
    wb.save(path)
    return str(path)


def row(**over) -> dict:
    base = {"小区": "翠湖花园", "楼栋": "1", "单元": "1", "房号": "101", "类型": "住宅", "建筑面积": "89.50",
            "状态": "已入住", "姓名": "张伟", "手机号": "13800138000", "身份证号": ID1, "身份": "业主"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_import_assets_writes_the_file_and_prints_the_counts(cli_db, capsys, tmp_path):
    path = workbook(tmp_path / "资料.xlsx", TEMPLATE, [row(), row(房号="102", 状态="空置", 姓名=None, 手机号=None,
                                                               身份证号=None, 身份=None)])
    code, out, err = run(capsys, "import", "assets", path)
    assert code == 0, err
    assert "PropDesk 导入模板" in out and "房屋 新增 2" in out and "人员 新增 1" in out
    assert (count(Unit), count(Person), count(UnitPerson)) == (2, 1, 1)
    with read_session() as s:
        assert set(s.scalars(select(AuditEntry.actor_username).where(AuditEntry.action == "import"))) == {"system"}
    code, out, _ = run(capsys, "import", "assets", path)
    assert code == 0 and "房屋 新增 0、修改 0、不变 2" in out


def test_dry_run_checks_and_counts_but_writes_nothing(cli_db, capsys, tmp_path):
    path = workbook(tmp_path / "资料.xlsx", TEMPLATE, [row()])
    code, out, _ = run(capsys, "import", "assets", path, "--dry-run")
    assert code == 0 and "未写入" in out and "房屋 新增 1" in out
    assert count(Unit) == 0 and count(Person) == 0


def test_problems_are_printed_by_row_and_column_and_nothing_is_written(cli_db, capsys, tmp_path):
    path = workbook(tmp_path / "资料.xlsx", TEMPLATE,
                    [row(), row(房号="102", 手机号="1380013800", 姓名="李娜", 身份证号=None),
                     row(房号="103", 建筑面积="-1", 姓名="陈强", 手机号="13900139002", 身份证号=None)],
                    title="业主名册")
    code, out, err = run(capsys, "import", "assets", path)
    assert code == 1
    assert "第 4 行 · 手机号：" in out and "第 5 行 · 建筑面积：应大于 0" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and CJK.search(lines[0]) and "2 个问题" in lines[0] and "Traceback" not in err
    assert count(Unit) == 0 and count(Person) == 0


def test_hc_sheet_needs_estate_and_then_imports(cli_db, capsys, tmp_path):
    hc = {"楼号": "3", "单元": "2", "房屋": "1502", "楼层": 15, "房屋类型": "110", "建筑面积": 120, "房屋状态": "2001",
          "业主名称": "刘洋", "性别": "男", "手机号": 13900139000.0, "业主类型": "1001", "人员类型": "P", "人员角色": "1"}
    path = workbook(tmp_path / "hc.xlsx", HC, [hc], sheet="资产信息")
    code, out, err = run(capsys, "import", "assets", path)
    assert code == 1 and "小区" in out and "--estate" in out
    code, out, err = run(capsys, "import", "assets", path, "--estate", "锦绣华庭")
    assert code == 0, (out, err)
    assert "HC小区管理系统" in out
    with read_session() as s:
        assert s.scalar(select(Unit.compact_code)) == "321502"


def test_a_missing_or_broken_file_is_refused_in_one_chinese_line(cli_db, capsys, tmp_path):
    code, _out, err = run(capsys, "import", "assets", str(tmp_path / "nope.xlsx"))
    assert code == 1 and "文件不存在" in err
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"plain text")
    code, out, err = run(capsys, "import", "assets", str(bad))
    assert code == 1 and ".xlsx" in out and len(err.strip().splitlines()) == 1


@pytest.mark.parametrize("table", ["units", "people", "residents", "parking", "keys"])
def test_the_issue_tables_export_to_csv_and_xlsx(cli_db, capsys, tmp_path, table):
    path = workbook(tmp_path / "资料.xlsx", TEMPLATE, [row(), row(姓名="=HYPERLINK(\"http://x\")", 手机号="13900139001",
                                                              身份证号=None, 身份="家属")])
    assert run(capsys, "import", "assets", path)[0] == 0
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"{table}.{fmt}"
        code, out, err = run(capsys, "export", table, "--format", fmt, "-o", str(target))
        assert code == 0 and f"已导出 {table}" in out, err
        data = target.read_bytes()
        frame = (pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
                 if fmt == "csv" else pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False))
        expected = {"units": count(Unit), "people": 2, "residents": 2, "parking": count(ParkingSpace),
                    "keys": count(Key)}[table]
        assert len(frame) == expected
        if table == "residents":
            assert list(frame.columns) == ["id", "estate", "unit_code", "unit_id", "person_id", "person_name", "role",
                                           "start_on", "end_on"]
            assert list(frame["unit_code"]) == ["1-1-101", "1-1-101"]
            assert frame["person_name"].iloc[0] == "张伟"
            assert frame["person_name"].iloc[1] == "'=HYPERLINK(\"http://x\")"  # never an Excel formula
    if table == "residents":
        sheet = openpyxl.load_workbook(tmp_path / "residents.xlsx").active
        assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)


# --- --delivered-on: the 交房日期 for units without one (issue 13) ------------------------------------------


def hc_sheet(path) -> str:
    """Two occupied units and an unsold one, as HC exports them: no 交房日期 column."""
    base = {"楼号": "1", "单元": "1", "房屋类型": "110", "建筑面积": 100, "业主类型": "1001", "人员类型": "P",
            "人员角色": "1"}
    return workbook(path, HC, [
        {**base, "房屋": "101", "房屋状态": "2001", "业主名称": "刘洋", "手机号": "13900139000"},
        {**base, "房屋": "102", "房屋状态": "2001", "业主名称": "孙丽", "手机号": "13900139001"},
        {"楼号": "1", "单元": "1", "房屋": "103", "房屋类型": "110", "建筑面积": 100, "房屋状态": "2002"},
    ], sheet="资产信息")


def delivery_dates() -> list:
    with read_session() as s:
        return list(s.scalars(select(Unit.delivered_on).order_by(Unit.room_no)))


def test_the_preview_and_the_result_count_the_handed_over_units_without_a_date(cli_db, capsys, tmp_path):
    path = hc_sheet(tmp_path / "hc.xlsx")
    code, out, err = run(capsys, "import", "assets", path, "--estate", "锦绣华庭", "--dry-run")
    assert code == 0, err
    assert ("2 套已交房的房屋没有交房日期，首次计费将按整月计费；可在导入时填写统一的交房日期，或导入后在房屋资料中补填"
            in out)
    code, out, err = run(capsys, "import", "assets", path, "--estate", "锦绣华庭")
    assert code == 0 and "已导入" in out and "2 套已交房的房屋没有交房日期" in out, err
    assert delivery_dates() == [None, None, None]


def test_delivered_on_dates_the_handed_over_units_that_have_none(cli_db, capsys, tmp_path):
    path = hc_sheet(tmp_path / "hc.xlsx")
    code, out, err = run(capsys, "import", "assets", path, "--estate", "锦绣华庭", "--delivered-on", "2024-06-01")
    assert code == 0, err
    assert "2 套已交房的房屋没有交房日期，填为统一的交房日期 2024-06-01" in out and "按整月计费" not in out
    assert delivery_dates() == [date(2024, 6, 1), date(2024, 6, 1), None]
    code, out, _ = run(capsys, "import", "assets", path, "--estate", "锦绣华庭", "--delivered-on", "2020-01-01")
    assert code == 0 and "房屋 新增 0、修改 0、不变 3" in out  # a date already stored is never replaced
    assert delivery_dates() == [date(2024, 6, 1), date(2024, 6, 1), None]


@pytest.mark.parametrize(("given", "rule"), [
    ("2024-13-01", "应为 YYYY-MM-DD 格式的日期"),
    ("2024/6/1", "应为 YYYY-MM-DD 格式的日期"),
    ("明天", "应为 YYYY-MM-DD 格式的日期"),
    ((local_today() + timedelta(days=1)).isoformat(), "不能晚于今天"),
])
def test_a_bad_or_future_delivered_on_is_refused_in_one_chinese_line(cli_db, capsys, tmp_path, given, rule):
    path = hc_sheet(tmp_path / "hc.xlsx")
    code, out, err = run(capsys, "import", "assets", path, "--estate", "锦绣华庭", "--delivered-on", given)
    assert code == 1 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("错误：命令参数有误")
    assert "--delivered-on: 统一的交房日期" in lines[0] and rule in lines[0] and "Traceback" not in err
    assert count(Unit) == 0
