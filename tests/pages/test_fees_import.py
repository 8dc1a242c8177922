"""The 导入欠费 tab of /fees (ui/fees/arrears_import.py): who sees it, and the arrears wizard under AppTest.

The tab's visibility is checked on the real page (app.py, demo database); the wizard itself runs alone
(tests/ui/wizards.py) on a small SQLite database, so the bills it writes are counted exactly.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from db.models import Unit
from services.fees import arrears_import as fee_import
from services.platform.auth import Role
from tests.factories import (
    arrears_workbook,
    bills_of,
    force_columns,
    make_estate,
    make_resident,
    make_units,
    seed_fee_items,
)
from tests.pages.conftest import DEMO_USER_OF_ROLE, signed_in
from tests.ui.wizards import XLSX, confirm_button, wizard_app
from ui.fees.arrears_import import ARREARS
from ui.kit.i18n import CATALOG

TAB = "导入欠费"


def _tab_labels(username: str) -> list[str]:
    at = signed_in(username).run()
    at.switch_page("screens/fees.py").run()
    assert not at.exception, at.exception
    return [tab.label for tab in at.tabs]


@pytest.mark.parametrize("role", [Role.MANAGER, Role.CLERK, Role.ADMIN])
def test_managers_clerks_and_admins_see_the_import_tab(demo_db, role):
    assert TAB in _tab_labels(DEMO_USER_OF_ROLE[role])


@pytest.mark.parametrize("role", [Role.CASHIER, Role.SERVICE])
def test_cashiers_and_front_desk_do_not_see_the_import_tab(demo_db, role):
    labels = _tab_labels(DEMO_USER_OF_ROLE[role])
    assert labels and TAB not in labels


def test_every_word_the_wizard_names_is_in_the_catalog():
    assert ARREARS.label_keys <= set(CATALOG)


# --- the wizard alone ---------------------------------------------------------------------------------


@pytest.fixture
def arrears_desk(sqlite_db, monkeypatch) -> list[int]:
    """The fee catalog and 测试小区 with 1-1-101 (owner 张伟), 1-1-102 (商铺), 1-1-103 (未售)."""
    from datetime import date

    monkeypatch.setattr(fee_import, "local_today", lambda: date(2026, 11, 23))
    seed_fee_items()
    units = make_units(3)
    make_resident(units[0], "张伟")
    force_columns(Unit, units[1], kind="商铺")
    force_columns(Unit, units[2], status="未售")
    return units


def wizard(role: Role = Role.MANAGER):
    return wizard_app("ui.fees.arrears_import:import_tab", role)


def row(**over) -> dict:
    base = {"房屋": "1-1-101", "收费项目": "物业费", "期间": "2024-03", "金额": "196.90"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_a_cashier_running_the_wizard_is_told_the_role_cannot_import(arrears_desk):
    at = wizard(Role.CASHIER)
    assert not at.exception
    assert [i.value for i in at.info] == ["当前角色不能导入历史欠费。"]
    assert not at.file_uploader and not at.get("download_button")


def test_a_clean_file_is_previewed_then_imported_and_the_same_file_again_has_nothing_to_import(arrears_desk):
    at = wizard()
    assert not at.exception
    assert [b.label for b in at.get("download_button")] == ["下载导入模板"]
    data = arrears_workbook([row(), row(房屋="1-1-102", 金额="1,234.50"), row(房屋="1-1-103", 期间="2024-04")])
    at.file_uploader[0].set_value(("历史欠费.xlsx", data, XLSX))
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert "格式：PropDesk 欠费导入模板（工作表“历史欠费”），共 3 行数据" in [c.value for c in at.caption]
    metrics = {m.label: m.value for m in at.metric}
    assert (metrics["新增欠费账单"], metrics["已导入（跳过）"], metrics["涉及房屋"], metrics["欠费合计"]) == (
        "3", "0", "3", "¥1,628.30")
    assert at.dataframe[0].value["缴费人"].tolist() == ["张伟", "", "开发商"]
    assert bills_of() == []  # a preview writes nothing
    confirm_button(at).click()
    at.run()
    assert not at.exception
    assert [(b.period, b.amount, b.source) for b in bills_of(arrears_desk[1])] == [
        ("2024-03", Decimal("1234.50"), "导入")]
    assert len(bills_of()) == 3
    assert any("新增欠费账单 3 张" in s.value for s in at.success)
    assert at.file_uploader[0].value is None  # a fresh uploader for the next file

    at.file_uploader[0].set_value(("历史欠费.xlsx", data, XLSX))
    at.run()
    assert [i.value for i in at.info] == ["文件中的欠费账单都已导入过，无需导入。"]
    assert confirm_button(at).disabled
    assert len(bills_of()) == 3


def test_problems_are_listed_by_row_and_column_and_the_import_button_stays_off(arrears_desk):
    at = wizard()
    data = arrears_workbook([row(), row(房屋="9-9-909"), row(期间="2024-05", 金额="-1")])
    at.file_uploader[0].set_value(("历史欠费.xlsx", data, XLSX))
    at.run()
    assert [e.value for e in at.error] == ["发现 2 个问题，改正后重新上传（不会写入任何数据）："]
    problems = at.dataframe[0].value
    assert problems.values.tolist() == [["4", "房屋", "“测试小区”没有房屋 9-9-909"],
                                        ["5", "金额", "应大于 0（收到 -1）"]]
    assert confirm_button(at).disabled
    assert bills_of() == []


def test_an_hc_sheet_goes_to_the_estate_chosen_when_there_are_several(arrears_desk):
    make_estate("E2", "别的小区")
    data = arrears_workbook([["1-1-101", "物业费", "2024-01-01", "2024-12-31", "2,362.80"]],
                            headers=["房屋", "费用名称", "开始时间", "结束时间", "费用"], title="房屋费用信息",
                            sheet="房屋费用信息")
    at = wizard()
    at.file_uploader[0].set_value(("hc.xlsx", data, XLSX))
    at.run()
    assert any("请指定导入到哪个小区" in v for v in at.dataframe[0].value["问题"].tolist())
    at.selectbox(key="fee_import:estate").set_value("测试小区")
    at.run()
    assert not at.error, [e.value for e in at.error]
    confirm_button(at).click()
    at.run()
    [bill] = bills_of(arrears_desk[0])
    assert (bill.period, bill.start_on.isoformat(), bill.end_on.isoformat(), bill.amount) == (
        "2024-01", "2024-01-01", "2024-12-31", Decimal("2362.80"))
