"""The import wizard under AppTest: upload, preview with problems, confirm, result."""

from __future__ import annotations

import io
from datetime import date

import openpyxl
import pytest
from sqlalchemy import func, select
from streamlit.testing.v1 import AppTest

from db.engine import read_session
from db.models import Unit
from services.estate import asset_import as imports
from services.platform.auth import Role
from services.platform.identity import id_check_char
from tests.services.estate.test_imports import HC, hc_row, xlsx
from tests.ui.wizards import XLSX, confirm_button, wizard_app

TEMPLATE = [h for h, _f, _help in imports.TEMPLATE_COLUMNS]
ID1 = "11010519491231002" + id_check_char("11010519491231002")


def wizard(role: Role = Role.CLERK) -> AppTest:
    return wizard_app("ui.estate.asset_import:import_wizard", role)


def workbook(rows: list[dict]) -> bytes:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "房屋人员"
    ws.append(TEMPLATE)
    for r in rows:
        ws.append([r.get(h) for h in TEMPLATE])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def row(**over) -> dict:
    base = {"小区": "翠湖花园", "楼栋": "1", "单元": "1", "房号": "101", "类型": "住宅", "建筑面积": "89.50",
            "状态": "已入住", "姓名": "张伟", "手机号": "13800138000", "身份证号": ID1, "身份": "业主"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def units() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(Unit))


def test_a_clean_file_is_previewed_then_imported_with_a_toast(sqlite_db):
    at = wizard()
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["下载导入模板"]
    at.file_uploader[0].set_value(("资料.xlsx", workbook([row(), row(房号="102", 姓名="李娜",
                                                                       手机号="13900139001", 身份证号=None)]), XLSX))
    at.run()
    assert not at.exception and not at.error
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["新增房屋"] == "2" and metrics["新增人员"] == "2"
    assert not confirm_button(at).disabled
    confirm_button(at).click()
    at.run()
    assert not at.exception
    assert units() == 2
    assert any("导入完成" in t.value for t in at.toast)
    assert any("导入完成" in s.value for s in at.success)
    assert at.file_uploader[0].value is None  # a fresh uploader for the next file


def test_problems_are_listed_by_row_and_column_and_import_is_disabled(sqlite_db):
    at = wizard()
    at.file_uploader[0].set_value(("资料.xlsx", workbook([row(手机号="12345")]), XLSX))
    at.run()
    assert at.error and "1 个问题" in at.error[0].value
    problems = at.dataframe[0].value
    assert list(problems.iloc[0]) == ["2", "手机号", problems.iloc[0, 2]] and "11 位手机号" in problems.iloc[0, 2]
    assert confirm_button(at).disabled
    assert units() == 0


def test_an_hc_file_asks_for_the_estate(sqlite_db):
    hc_headers = [h for h, _f in imports.HC_COLUMNS]
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "资产信息"
    ws.append(hc_headers)
    values = {"楼号": "1", "单元": "1", "房屋": "101", "房屋类型": "110", "房屋状态": "2008"}
    ws.append([values.get(h) for h in hc_headers])
    buf = io.BytesIO()
    wb.save(buf)
    at = wizard()
    at.file_uploader[0].set_value(("hc.xlsx", buf.getvalue(), XLSX))
    at.run()
    assert "小区" in at.dataframe[0].value.iloc[0, 1]
    at.text_input[0].set_value("锦绣华庭")
    at.run()
    assert not at.error and not confirm_button(at).disabled


@pytest.mark.parametrize("role", [Role.SERVICE, Role.CASHIER])
def test_roles_without_the_permission_see_no_uploader(sqlite_db, role):
    at = wizard(role)
    assert not at.exception and not at.file_uploader and "不能导入" in at.info[0].value


# --- 交房日期 for the units without one (issue 13) -------------------------------------------------------


def hc_file() -> bytes:
    """Two occupied units and an unsold one, as HC exports them: no 交房日期 column."""
    nobody = dict(业主名称=None, 性别=None, 手机号=None, 身份证=None, 业主类型=None, 人员类型=None, 人员角色=None)
    return xlsx(HC, [hc_row(), hc_row(房屋="102", 业主名称="孙丽", 手机号="13900139012", 身份证=None),
                     hc_row(房屋="103", 房屋状态="2002", **nobody)], sheet="资产信息")


def delivery_dates() -> list:
    with read_session() as s:
        return list(s.scalars(select(Unit.delivered_on).order_by(Unit.room_no)))


def test_the_handover_date_is_empty_by_default_and_the_undated_units_are_warned_of(sqlite_db):
    at = wizard()
    assert [d.label for d in at.date_input] == ["统一交房日期（可选）"] and at.date_input[0].value is None
    at.text_input[0].set_value("锦绣华庭")
    at.file_uploader[0].set_value(("hc.xlsx", hc_file(), XLSX))
    at.run()
    assert not at.exception and not at.error
    [warning] = at.warning
    assert warning.value == ("2 套已交房的房屋没有交房日期，首次计费将按整月计费；"
                             "可在导入时填写统一的交房日期，或导入后在房屋资料中补填")
    assert list(at.dataframe[0].value["交房日期"]) == ["未填", "未填", ""]
    confirm_button(at).click()
    at.run()
    assert delivery_dates() == [None, None, None]
    assert any("2 套已交房的房屋没有交房日期" in s.value for s in at.success)  # the result says it again


def test_a_handover_date_given_goes_to_the_handed_over_units_and_the_preview_says_how_many(sqlite_db):
    at = wizard()
    at.text_input[0].set_value("锦绣华庭")
    at.date_input[0].set_value(date(2024, 6, 1))
    at.file_uploader[0].set_value(("hc.xlsx", hc_file(), XLSX))
    at.run()
    assert not at.exception and not at.error and not at.warning
    assert any("2 套已交房、没有交房日期的房屋将填为统一的交房日期 2024-06-01" in c.value for c in at.caption)
    confirm_button(at).click()
    at.run()
    assert not at.exception
    assert delivery_dates() == [date(2024, 6, 1), date(2024, 6, 1), None]
