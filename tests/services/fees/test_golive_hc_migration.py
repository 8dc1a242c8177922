"""Going live from HC小区管理系统 (issue 13), end to end through the services, as a company would do it.

The company exports its 资产信息 sheet (25 units: 20 已入住, one 商铺 出租, 4 未售; HC has no 交房日期 column) and its
房屋费用信息 arrears; it sets up the seeded fee catalog with its own rates (the arrears name its items), imports both
sheets, then bills the current month.
Before issue 13 the first run billed only the four unsold units and silently skipped the 21 handed-over ones.

"Now" is pinned to 2026-11-23 (pin_fee_clock; the imports' "not after today" rules read the same clock), so the
current month is 2026-11. Workbooks are built with the helpers of the import suites (hc_row and xlsx from
tests/services/estate/test_imports.py, arrears_workbook from tests/factories.py). Runs on SQLite, PostgreSQL and
MariaDB (`db`).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import FeeItem
from services.admin import reference
from services.estate import asset_import
from services.fees import arrears, billing
from services.fees import arrears_import as fee_import
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.editing import RowEdit
from services.platform.listing import ListQuery
from tests.factories import actor_for, arrears_workbook, bills_of, db_state, pin_fee_clock, seed_fee_items
from tests.services.estate.test_imports import HC, hc_row, units_by_code, xlsx

ADMIN = actor_for(Role.ADMIN, "admin1")
CLERK = actor_for(Role.CLERK, "clerk1")
ESTATE = "锦绣华庭"
PERIOD = "2026-11"
RATES = {"WY-ZZ": Decimal("2.5000"), "WY-SP": Decimal("6.0000")}  # the company's own, set on /admin → 收费项目

OCCUPIED = [f"1-{entrance}-{100 + n}" for entrance in (1, 2) for n in range(1, 11)]  # 20 已入住 flats
SHOP = "2-1-101"  # 商铺 出租: its owner lets it to a tenant
UNSOLD = ["2-1-201", "2-1-202", "2-1-203", "2-1-204"]  # 未售: the developer 开发商 pays
HANDED_OVER = {*OCCUPIED, SHOP}

# HC 房屋费用信息: 房屋, 费用名称, 开始时间, 结束时间, 费用 — amounts with cents, as HC writes them
ARREARS = [
    ["1-1-101", "物业费", "2026-01-01", "2026-06-30", "1,234.56"],
    ["1-1-105", "物业管理费", "2026-07-01", "2026-10-31", "789.01"],
    ["1-2-110", "物业费", "2025-10-01", "2025-12-31", "659.99"],
    [SHOP, "物业费", "2026-04-01", "2026-09-30", "2,001.99"],
    [SHOP, "垃圾费", "2026-10-01", "2026-10-31", "50.5"],
    ["2-1-203", "物业费", "2026-01-01", "2026-10-31", "2343.33"],
]
ARREARS_TOTAL = Decimal("7079.38")  # 1234.56 + 789.01 + 659.99 + 2001.99 + 50.50 + 2343.33


def assets_workbook() -> bytes:
    """HC's 资产信息 sheet of the 25 units, with no 交房日期 (HC has no such column)."""
    nobody = dict(业主名称=None, 性别=None, 手机号=None, 身份证=None, 业主类型=None, 人员类型=None, 人员角色=None)
    rows = []
    for n, code in enumerate(OCCUPIED):
        building, entrance, room = code.split("-")
        rows.append(hc_row(楼号=building, 单元=entrance, 房屋=room, 楼层=int(room) // 100, 建筑面积=90 + n,
                           房屋状态="2001", 业主名称=f"业主{n + 1:02d}", 手机号=f"139001390{n:02d}", 身份证=None))
    rows.append(hc_row(楼号="2", 房屋="101", 房屋类型="商铺", 房屋户型=None, 建筑面积=60.25, 室内面积=None, 房屋状态="2006",
                       业主名称="陈商户", 手机号="13700137000", 身份证=None))
    rows.append(hc_row(楼号="2", 房屋="101", 房屋类型="商铺", 房屋户型=None, 建筑面积=60.25, 室内面积=None, 房屋状态="2006",
                       业主名称="林租户", 手机号="13700137001", 身份证=None, 人员角色="2"))
    for code in UNSOLD:
        rows.append(hc_row(楼号="2", 房屋=code.split("-")[2], 建筑面积=120, 房屋状态="2002", **nobody))
    return xlsx(HC, rows, sheet="资产信息", title="资产信息")


def arrears_sheet() -> bytes:
    return arrears_workbook(ARREARS, headers=["房屋", "费用名称", "开始时间", "结束时间", "费用"],
                            title="费用名称: 请填写系统中费用类型，如物业费，押金等", sheet="房屋费用信息")


def set_company_rates() -> dict[str, int]:
    """The seeded catalog (物业服务费 per unit kind is a default item), with the company's own rates."""
    items = seed_fee_items()
    rows = reference.list_reference(actor=ADMIN, table="fee_items", query=ListQuery(page_size=100)).rows
    versions = dict(zip(rows["id"], rows["version"], strict=True))
    reference.update_reference(actor=ADMIN, table="fee_items", edits=[
        RowEdit(items[code], int(versions[items[code]]), {"rate": format(rate, "f")}) for code, rate in RATES.items()])
    with read_session() as s:
        assert {c: r for c, r in s.execute(select(FeeItem.code, FeeItem.rate)) if c in RATES} == RATES
    return items


def owed_in_estate() -> Decimal:
    summary = arrears.arrears_summary(actor=CLERK, group="estate")
    return sum(summary["欠费金额"], Decimal("0.00"))


def go_live(delivered_on: date | None = None) -> SimpleNamespace:
    """Set up the fee catalog (the arrears name its items), import the assets (with the 交房日期 given, if any) and
    the arrears."""
    items = set_company_rates()
    preview = asset_import.preview_import(actor=CLERK, source=assets_workbook(), estate=ESTATE,
                                          delivered_on=delivered_on)
    assert preview.ok, [str(p) for p in preview.problems]
    counts = asset_import.commit_import(actor=CLERK, preview=preview)
    assert (counts.units_new, counts.people_new, counts.links_new) == (25, 22, 22)
    units = {code: u.id for code, u in units_by_code().items()}
    assert len(units) == 25
    arrears_preview = fee_import.preview_arrears_import(actor=CLERK, source=arrears_sheet(), estate=ESTATE)
    assert arrears_preview.ok, [str(p) for p in arrears_preview.problems]
    imported = fee_import.commit_arrears_import(actor=CLERK, preview=arrears_preview)
    return SimpleNamespace(asset_counts=counts, arrears_counts=imported, units=units, items=items)


@pytest.fixture
def november(db, monkeypatch) -> None:
    pin_fee_clock(monkeypatch, datetime(2026, 11, 23, 10, tzinfo=SHANGHAI))


def test_the_first_billing_after_an_hc_migration_bills_every_unit_and_flags_the_undated_ones(november):
    live = go_live()
    units = live.units
    handed_over = {units[c] for c in HANDED_OVER}

    # the asset import said it: 21 handed-over units have no 交房日期
    assert (live.asset_counts.units_undated, live.asset_counts.units_dated) == (21, 0)
    assert "21 套已交房的房屋没有交房日期，首次计费将按整月计费" in live.asset_counts.summary()

    # the arrears are kept to the cent
    assert (live.arrears_counts.new, live.arrears_counts.total) == (len(ARREARS), ARREARS_TOTAL)
    imported = [b for b in bills_of() if b.source == "导入"]
    assert sum((b.amount for b in imported), Decimal("0.00")) == ARREARS_TOTAL
    assert {b.payer_name for b in imported if b.unit_id == units["2-1-203"]} == {"开发商"}
    assert owed_in_estate() == ARREARS_TOTAL

    # the preview lists the 21 handed-over units as undated, bills the 4 unsold to 开发商, and leaves nobody out
    plan = billing.preview_billing(actor=CLERK, period=PERIOD)
    assert {n.unit_id for n in plan.undated} == handed_over
    assert {n.reason for n in plan.undated} == {"交房日期未填"}
    assert all(n.unit.startswith(ESTATE) for n in plan.undated)
    assert any(w.startswith("21 套已交房的房屋交房日期未填") for w in plan.warnings)
    assert plan.not_billed == ()
    by_unit = {b.unit_id: b for b in plan.bills if b.fee_item_id in (live.items["WY-ZZ"], live.items["WY-SP"])}
    assert set(by_unit) == set(units.values())
    assert {by_unit[units[c]].payer_name for c in UNSOLD} == {"开发商"}
    assert by_unit[units["1-1-101"]].payer_name == "业主01"
    assert by_unit[units[SHOP]].payer_name == "陈商户"  # the owner pays, not the tenant
    # whole months at the company's rates: 90 ㎡ x 2.5000 = 225.00; 60.25 ㎡ x 6.0000 = 361.50; 120 ㎡ x 2.5 = 300.00
    assert (by_unit[units["1-1-101"]].start_on, by_unit[units["1-1-101"]].end_on) == (date(2026, 11, 1),
                                                                                    date(2026, 11, 30))
    assert by_unit[units["1-1-101"]].amount == Decimal("225.00")
    assert by_unit[units[SHOP]].amount == Decimal("361.50")
    assert by_unit[units["2-1-201"]].amount == Decimal("300.00")
    assert len(plan.bills) == 26  # 25 物业服务费 + the shop's 垃圾清运费

    # the run: every one of the 25 units has a bill of the month
    result = billing.run_billing(actor=CLERK, period=PERIOD)
    assert (result.created, result.total, len(result.undated)) == (26, plan.total, 21)
    month = [b for b in bills_of() if b.period == PERIOD]
    assert {b.unit_id for b in month} == set(units.values())
    assert {b.unit_id for b in month if b.payer_name == "开发商"} == {units[c] for c in UNSOLD}
    assert owed_in_estate() == ARREARS_TOTAL + result.total
    assert sum((b.amount for b in bills_of() if b.source == "导入"), Decimal("0.00")) == ARREARS_TOTAL

    # a second run adds nothing and writes nothing
    before = db_state()
    again = billing.run_billing(actor=CLERK, period=PERIOD)
    assert again.created == 0 and db_state() == before
    assert len([b for b in bills_of() if b.period == PERIOD]) == 26


def test_with_a_handover_date_given_at_import_no_unit_is_undated_and_every_unit_is_billed(november):
    live = go_live(delivered_on=date(2024, 6, 1))
    units = live.units
    assert (live.asset_counts.units_undated, live.asset_counts.units_dated) == (0, 21)
    assert {c for c, u in units_by_code().items() if u.delivered_on == date(2024, 6, 1)} == HANDED_OVER
    assert all(units_by_code()[c].delivered_on is None for c in UNSOLD)

    plan = billing.preview_billing(actor=CLERK, period=PERIOD)
    assert plan.undated == () and plan.not_billed == ()
    assert not any("交房日期未填" in w for w in plan.warnings)

    result = billing.run_billing(actor=CLERK, period=PERIOD)
    assert result.created == 26 and result.undated == ()
    month = [b for b in bills_of() if b.period == PERIOD]
    assert {b.unit_id for b in month} == set(units.values())
    # delivered long before the month: whole months, as without the date
    assert next(b.amount for b in month if b.unit_id == units["1-1-101"]) == Decimal("225.00")
    assert sum((b.amount for b in bills_of() if b.source == "导入"), Decimal("0.00")) == ARREARS_TOTAL
    assert billing.run_billing(actor=CLERK, period=PERIOD).created == 0
