"""Import of historical arrears 历史欠费 (services/fees/arrears_import): our template and HC小区管理系统's 房屋费用信息 sheet,
bills as the billing run would write them (source 导入), every problem by Excel row and column with nothing
written, idempotent re-import, exact cents, and one transaction.

Workbooks are built here with openpyxl (tests.factories.arrears_workbook): a title row, then the header, so the
first data row is Excel row 3. "Today" is pinned to 2026-11-23 for the "not after this month" rule.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace

import openpyxl
import pytest
from sqlalchemy import BigInteger, select, type_coerce

from db.engine import read_session
from db.models import Bill, Unit
from services import kpi
from services.fees import arrears_import as fee_import
from services.fees import cashier
from services.platform.auth import Role
from services.platform.errors import NotFound, PermissionDenied, ValidationError
from services.platform.workbook import Problem
from tests.factories import (
    actor_for,
    arrears_workbook,
    audit_json,
    audit_rows,
    bills_of,
    db_state,
    force_columns,
    get_row,
    make_bill,
    make_estate,
    make_resident,
    make_units,
    roles_with,
    roles_without,
    seed_fee_items,
    sqlite_only,
)

MANAGER = actor_for(Role.MANAGER, "manager1")
CASHIER = actor_for(Role.CASHIER, "cashier1")
TODAY = date(2026, 11, 23)
HC_HEADERS = ["房屋", "费用名称", "开始时间", "结束时间", "费用"]
HC_TITLE = ("费用名称: 请填写系统中费用类型，如物业费，押金等 ；\n开始时间: 收费开始时间，格式为YYYY-MM-DD；\n"
            "结束时间: 费用结束时间，格式为YYYY-MM-DD； \n收费金额: 本次收取金额 单位元； \n注意：所有单元格式为文本")


@pytest.fixture
def desk(db, monkeypatch) -> SimpleNamespace:
    """The seed fee catalog; 测试小区 with 1-1-101 (住宅, owner 张伟), 1-1-102 (商铺, no owner), 1-1-103 (住宅, 未售)."""
    monkeypatch.setattr(fee_import, "local_today", lambda: TODAY)
    items = seed_fee_items()
    units = make_units(3)
    make_resident(units[0], "张伟")
    force_columns(Unit, units[1], kind="商铺")
    force_columns(Unit, units[2], status="未售")
    return SimpleNamespace(items=items, units=units, estate_id=get_row(Unit, units[0]).estate_id)


def row(**over) -> dict:
    base = {"小区": "测试小区", "房屋": "1-1-101", "收费项目": "物业服务费（住宅）", "期间": "2024-03", "金额": "196.90",
            "备注": "2024年3月物业费"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def hc(rows: list[list], *, headers: list[str] = HC_HEADERS) -> bytes:
    return arrears_workbook(rows, headers=headers, title=HC_TITLE, sheet="房屋费用信息")


def preview(data: bytes, estate: str = "") -> fee_import.ArrearsImportPreview:
    return fee_import.preview_arrears_import(actor=MANAGER, source=data, estate=estate)


def commit(data: bytes, estate: str = "") -> fee_import.ArrearsImportCounts:
    p = preview(data, estate)
    assert p.ok, [str(x) for x in p.problems]
    return fee_import.commit_arrears_import(actor=MANAGER, preview=p)


def item_code(fee_item_id: int, desk) -> str:
    return next(code for code, i in desk.items.items() if i == fee_item_id)


# --- our template -----------------------------------------------------------------------------------


def test_template_rows_become_unpaid_imported_bills_payable_by_the_owner_or_the_developer(desk):
    u101, u102, u103 = desk.units
    data = arrears_workbook([
        row(),
        row(小区=None, 房屋="1-1-102", 收费项目="物业费", 期间=None, 开始日期="2024-01-01", 结束日期="2024-06-30",
            金额="1,234.50", 备注=None),
        row(房屋="1栋1单元103室", 收费项目="wy-zz", 期间="2024/5", 金额="¥88.00", 备注=None),
    ])
    p = preview(data)
    assert p.ok and p.layout == "template" and p.sheet == "历史欠费"
    assert (p.counts.new, p.counts.existing, p.counts.units, p.counts.total) == (3, 0, 3, Decimal("1519.40"))
    assert p.rows["行号"].tolist() == [3, 4, 5]
    assert p.rows["缴费人"].tolist() == ["张伟", "", "开发商"]
    assert p.rows["处理"].tolist() == ["新增"] * 3
    assert count_bills() == 0  # a preview writes nothing

    counts = fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    assert counts.summary() == "共 3 行：新增欠费账单 3 张，合计 ¥1,519.40，涉及 3 户；已导入而跳过 0；期间 2024-01 至 2024-05"
    [b1] = bills_of(u101)
    assert (item_code(b1.fee_item_id, desk), b1.period, b1.start_on, b1.end_on, b1.due_on) == (
        "WY-ZZ", "2024-03", date(2024, 3, 1), date(2024, 3, 31), date(2024, 3, 31))
    assert (b1.amount, b1.paid, b1.waived, b1.status, b1.source) == (
        Decimal("196.90"), Decimal("0.00"), Decimal("0.00"), "未缴", "导入")
    assert (b1.payer_key, b1.household, b1.unit_id, b1.parking_lease_id, b1.run_id) == (
        f"U{u101}", f"U{u101}", u101, None, None)
    assert (b1.payer_name, b1.note) == ("张伟", "2024年3月物业费")
    [b2] = bills_of(u102)
    assert (item_code(b2.fee_item_id, desk), b2.period, b2.start_on, b2.end_on, b2.due_on, b2.amount) == (
        "WY-SP", "2024-01", date(2024, 1, 1), date(2024, 6, 30), date(2024, 6, 30), Decimal("1234.50"))
    assert b2.payer_name == ""
    [b3] = bills_of(u103)
    assert (item_code(b3.fee_item_id, desk), b3.period, b3.amount, b3.payer_name) == (
        "WY-ZZ", "2024-05", Decimal("88.00"), "开发商")
    [entry] = audit_rows(action="import", entity="bills")
    _before, after = audit_json(entry)
    assert (after["new"], after["total"], after["first_period"], after["last_period"], after["layout"]) == (
        3, "1519.40", "2024-01", "2024-05", "template")


def test_the_template_has_the_documented_columns_and_a_guide_sheet():
    wb = openpyxl.load_workbook(io.BytesIO(fee_import.arrears_template_bytes()))
    assert wb.sheetnames == ["历史欠费", "说明"]
    assert [c.value for c in wb["历史欠费"][1]] == ["小区", "房屋", "收费项目", "期间", "开始日期", "结束日期", "金额", "备注"]
    guide = "\n".join(str(c.value) for r in wb["说明"].iter_rows() for c in r if c.value)
    for rule in ("YYYY-MM", "开始日期所在月份", "物业费", "开发商", "再导入一次不会新增", "时间重叠", "HC小区管理系统",
                 "房屋费用信息", "什么都不会写入"):
        assert rule in guide, rule


def test_an_estate_given_for_the_file_fills_blank_estate_cells_and_several_estates_need_one(desk):
    make_estate("E2", "别的小区")
    p = preview(arrears_workbook([row(小区=None)]))
    assert p.problems == (Problem(3, "小区", "必填（系统中有多个小区；也可在导入时统一指定小区）"),)
    assert preview(arrears_workbook([row(小区=None)]), estate="测试小区").ok
    assert preview(arrears_workbook([row(小区="T1")])).ok  # by code too
    p = preview(arrears_workbook([row()]), estate="无此小区")
    assert p.problems == (Problem(None, "小区", "系统中没有“无此小区”这个小区"),)


# --- HC小区管理系统 ------------------------------------------------------------------------------------


def test_the_hc_sheet_is_read_after_its_title_row_and_fee_names_map_to_items_by_unit_kind(desk):
    u101, u102, _ = desk.units
    data = hc([
        ["1-1-101", "物业费", "2024-01-01", "2024-12-31", "2,400.00"],
        ["1-1-102", "物业费", datetime(2024, 1, 1), datetime(2024, 3, 31), 1350],
        ["1-1-102", "垃圾费", "2024/1/1", "2024年1月31日", 50.5],
        ["1-1-101", "WY-ZZ", "2023-12-01 00:00:00", "2023-12-31", "196.9"],
    ])
    p = preview(data)  # no estate typed: the database has only one
    assert p.ok, [str(x) for x in p.problems]
    assert (p.layout, p.sheet, p.layout_label) == ("hc", "房屋费用信息", "HC小区管理系统 房屋费用信息")
    assert p.rows["行号"].tolist() == [3, 4, 5, 6]
    fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    got = [(item_code(b.fee_item_id, desk), b.period, b.start_on, b.end_on, b.amount, b.source)
           for b in bills_of(u101) + bills_of(u102)]
    assert got == [
        ("WY-ZZ", "2023-12", date(2023, 12, 1), date(2023, 12, 31), Decimal("196.90"), "导入"),
        ("WY-ZZ", "2024-01", date(2024, 1, 1), date(2024, 12, 31), Decimal("2400.00"), "导入"),
        ("WY-SP", "2024-01", date(2024, 1, 1), date(2024, 3, 31), Decimal("1350.00"), "导入"),
        ("LJ-SP", "2024-01", date(2024, 1, 1), date(2024, 1, 31), Decimal("50.50"), "导入"),
    ]


def test_hcs_own_export_with_building_unit_and_room_columns_is_read_too(desk):
    data = hc([[1, 1, 101, "物业管理费", "2024-02-01", "2024-02-29", "196.90"]],
              headers=["楼栋编号", "单元编号", "房屋编号", "费用名称", "开始时间", "结束时间", "费用"])
    commit(data, estate="测试小区")
    [b] = bills_of(desk.units[0])
    assert (b.period, b.start_on, b.end_on, b.amount) == ("2024-02", date(2024, 2, 1), date(2024, 2, 29),
                                                          Decimal("196.90"))


def test_an_hc_sheet_needs_an_estate_when_the_database_has_several(desk):
    make_estate("E2", "别的小区")
    data = hc([["1-1-101", "物业费", "2024-01-01", "2024-01-31", "196.90"]])
    p = preview(data)
    assert p.problems == (Problem(None, "小区", "HC 的房屋费用信息表没有小区列，请指定导入到哪个小区（命令行用 --estate 名称）"),)
    assert preview(data, estate="测试小区").ok


BAD_HC_CELLS = [
    (["1-1-101", "物业费", "2024-01-01", "2024-01-31", "1.234"], "费用", "最多两位小数"),
    (["1-1-101", "物业费", "2024-01-31", "2024-01-01", "196.90"], "结束时间", "不能早于开始时间（2024-01-31）"),
    (["1-1-101", "物业费", None, "2024-01-31", "196.90"], "开始时间", "必填"),
    (["1-1-101", "押金", "2024-01-01", "2024-01-31", "196.90"], "费用名称", "系统中没有“押金”这个收费项目"),
    (["9-9-909", "物业费", "2024-01-01", "2024-01-31", "196.90"], "房屋", "“测试小区”没有房屋 9-9-909"),
    (["1-1-101", "物业费", "2024-01-01", "2024-01-31", "-196.90"], "费用", "应大于 0"),
]


@pytest.mark.parametrize(("cells", "column", "message"), BAD_HC_CELLS, ids=[f"{c}-{m}" for _x, c, m in BAD_HC_CELLS])
def test_each_bad_hc_row_is_refused_by_row_and_column(desk, cells, column, message):
    good = ["1-1-102", "物业费", "2024-01-01", "2024-01-31", "300.00"]
    p = preview(hc([good, cells]))
    assert [(x.row, x.column) for x in p.problems] == [(4, column)]
    assert message in p.problems[0].message


# --- every problem by row and column; nothing written ----------------------------------------------

BAD_CELLS = [
    ({"房屋": "1-1-909"}, "房屋", "“测试小区”没有房屋 1-1-909"),
    ({"房屋": "一号楼"}, "房屋", "楼栋-单元-房号"),
    ({"房屋": None}, "房屋", "必填"),
    ({"房屋": datetime(2010, 1, 1)}, "房屋", "被 Excel 当成了日期"),
    ({"小区": "无此小区"}, "小区", "系统中没有“无此小区”这个小区"),
    ({"收费项目": "押金"}, "收费项目", "系统中没有“押金”这个收费项目"),
    ({"收费项目": None}, "收费项目", "必填"),
    ({"期间": None, "开始日期": "2024-03-31", "结束日期": "2024-03-01"}, "结束日期", "不能早于开始日期（2024-03-31）"),
    ({"期间": None, "开始日期": "2024-02-30", "结束日期": "2024-03-01"}, "开始日期", "日期不存在"),
    ({"期间": None, "开始日期": "下个月", "结束日期": "2024-03-01"}, "开始日期", "应为日期"),
    ({"期间": None, "开始日期": "2024-03-01"}, "结束日期", "须同时填写"),
    ({"期间": "2024-04", "开始日期": "2024-03-01", "结束日期": "2024-03-31"}, "期间", "应为开始日期所在月份 2024-03"),
    ({"期间": "2024-13"}, "期间", "应为年月 YYYY-MM"),
    ({"期间": "1999-03"}, "期间", "2000 年以后"),
    ({"期间": "2026-12"}, "期间", "晚于本月（2026-11）"),
    ({"期间": None}, "期间", "必填"),
    ({"金额": "-5"}, "金额", "应大于 0"),
    ({"金额": "0"}, "金额", "应大于 0"),
    ({"金额": 0}, "金额", "应大于 0"),
    ({"金额": "12.345"}, "金额", "最多两位小数"),
    ({"金额": 12.345}, "金额", "最多两位小数"),
    ({"金额": "十元"}, "金额", "应为数字"),
    ({"金额": "12,3.4.5"}, "金额", "应为数字"),
    ({"金额": None}, "金额", "必填"),
    ({"金额": "20000000"}, "金额", "不能超过 10,000,000.00"),
    ({"备注": "很长" * 101}, "备注", "不能超过 200 个字符"),
]


@pytest.mark.parametrize(("over", "column", "message"), BAD_CELLS, ids=[f"{c}-{m}" for _o, c, m in BAD_CELLS])
def test_each_bad_cell_is_refused_by_row_and_column_and_nothing_is_written(desk, over, column, message):
    data = arrears_workbook([row(期间="2024-01"), row(**over), row(期间="2024-05")])
    before = db_state()
    p = preview(data)
    assert [(x.row, x.column) for x in p.problems] == [(4, column)], [str(x) for x in p.problems]
    assert message in p.problems[0].message
    with pytest.raises(ValidationError) as refused:
        fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    assert column in refused.value.row_errors["第 4 行"]
    assert db_state() == before


def test_a_file_that_is_not_a_workbook_or_has_no_header_or_lacks_columns_is_refused(desk):
    assert preview(b"not a workbook").problems[0].column == "文件"
    wb = openpyxl.Workbook()
    wb.active.append(["随便什么"])
    buf = io.BytesIO()
    wb.save(buf)
    [problem] = preview(buf.getvalue()).problems
    assert (problem.row, problem.column) == (None, "表头") and "房屋费用信息" in problem.message
    p = preview(arrears_workbook([row()], headers=["小区", "房屋", "收费项目", "期间"]))
    assert p.problems == (Problem(2, "金额", "缺少此列"),)
    p = preview(arrears_workbook([row()], headers=["房屋", "收费项目", "金额"]))
    assert p.problems == (Problem(2, "期间", "缺少此列（或 开始日期、结束日期 两列）"),)
    assert preview(arrears_workbook([])).problems == (Problem(None, "文件", "表头下面没有数据行"),)


def test_the_same_unit_item_and_period_twice_in_the_file_is_refused_on_the_later_row(desk):
    p = preview(arrears_workbook([row(), row(金额="100.00"), row(房屋="1-1-103")]))
    assert p.problems == (Problem(4, "期间", "与第 3 行重复（同一房屋、收费项目、期间 2024-03）"),)


def test_a_bill_already_there_for_the_unit_item_and_period_is_refused(desk):
    make_bill(desk.units[0], desk.items["WY-ZZ"], "2024-03", "196.90", source="计费")
    before = db_state()
    p = preview(arrears_workbook([row(房屋="1-1-103"), row()]))
    [problem] = p.problems
    assert (problem.row, problem.column) == (4, "期间")
    assert "房屋 1-1-101 已有 2024-03 期的“物业服务费（住宅）”账单" in problem.message
    assert "来源 计费" in problem.message
    with pytest.raises(ValidationError):
        fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    assert db_state() == before


def test_a_span_overlapping_another_bill_of_the_same_unit_and_item_is_refused(desk):
    make_bill(desk.units[0], desk.items["WY-ZZ"], "2024-06", "196.90")
    year = row(期间=None, 开始日期="2024-01-01", 结束日期="2024-12-31", 金额="2362.80")
    [problem] = preview(arrears_workbook([year])).problems
    assert (problem.row, problem.column) == (3, "期间") and "时间重叠（2024-06 期" in problem.message
    # within the file: a whole year, then one of its months
    p = preview(arrears_workbook([row(房屋="1-1-103", 期间=None, 开始日期="2024-01-01", 结束日期="2024-12-31"),
                                  row(房屋="1-1-103", 期间="2024-07")]))
    assert p.problems == (Problem(4, "期间", "与第 3 行时间重叠（同一房屋、收费项目），不能重复计收"),)
    # a cancelled bill does not count
    make_bill(desk.units[2], desk.items["WY-ZZ"], "2025-06", "196.90", status="已取消")
    assert preview(arrears_workbook([row(房屋="1-1-103", 期间=None, 开始日期="2025-01-01",
                                         结束日期="2025-12-31")])).ok


def test_a_bill_raised_between_preview_and_commit_makes_the_commit_refuse_and_write_nothing(desk):
    p = preview(arrears_workbook([row(房屋="1-1-103"), row()]))
    assert p.ok
    make_bill(desk.units[0], desk.items["WY-ZZ"], "2024-03", "200.00")
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    assert list(refused.value.row_errors) == ["第 4 行"]
    assert db_state() == before


# --- re-import, cents, credit, one transaction -----------------------------------------------------


def test_importing_the_same_file_again_changes_nothing(desk):
    data = arrears_workbook([row(), row(期间="2024-04"), row(房屋="1-1-102", 收费项目="物业费", 金额="400.00")])
    commit(data)
    paid = cashier.take_payment(actor=CASHIER, unit_id=desk.units[0], amount="100.00", method="现金")
    assert paid.receipt_no
    before = db_state()
    p = preview(data)
    assert p.ok and (p.counts.new, p.counts.existing) == (0, 3)
    assert p.rows["处理"].tolist() == ["已导入，跳过"] * 3
    counts = fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    assert counts.summary() == "共 3 行：新增欠费账单 0 张，合计 ¥0.00，涉及 0 户；已导入而跳过 3"
    assert db_state() == before  # not even an audit row
    assert len(audit_rows(action="import", entity="bills")) == 1


def test_a_changed_amount_for_an_imported_bill_is_refused_not_updated(desk):
    commit(arrears_workbook([row()]))
    p = preview(arrears_workbook([row(金额="200.00")]))
    [problem] = p.problems
    assert problem.row == 3 and "来源 导入" in problem.message and "申请减免或取消" in problem.message


def test_new_rows_next_to_imported_ones_are_added_and_the_imported_ones_skipped(desk):
    commit(arrears_workbook([row()]))
    counts = commit(arrears_workbook([row(), row(期间="2024-04")]))
    assert (counts.new, counts.existing) == (1, 1)
    assert [b.period for b in bills_of(desk.units[0])] == ["2024-03", "2024-04"]


def test_amounts_are_exact_to_the_cent_as_text_numbers_or_with_currency_signs(desk):
    amounts = ["1,234.50", 1234.5, "¥1234.50", "1234.50元", "￥0.10", 0.1, "１２３４．５６", 0.3]
    data = arrears_workbook([row(期间=f"2025-{n + 1:02d}", 金额=a) for n, a in enumerate(amounts)])
    counts = commit(data)
    expected = [Decimal(x) for x in ("1234.50", "1234.50", "1234.50", "1234.50", "0.10", "0.10", "1234.56", "0.30")]
    assert [b.amount for b in bills_of(desk.units[0])] == expected
    assert counts.total == sum(expected) == Decimal("6173.06")
    with read_session() as s:
        cents = list(s.scalars(select(type_coerce(Bill.amount, BigInteger)).order_by(Bill.period)))
    assert cents == [123450, 123450, 123450, 123450, 10, 10, 123456, 30]
    assert kpi.fee_kpis("2025-08")["prior_arrears"] == Decimal("6172.76")  # all but 2025-08's 0.30


def test_prepaid_credit_pays_the_imported_bills_oldest_first(desk):
    u101 = desk.units[0]
    cashier.take_payment(actor=CASHIER, unit_id=u101, amount="300.00", method="微信")  # nothing owed: all credit
    counts = commit(arrears_workbook([row(期间="2024-04"), row()]))
    assert counts.credit_used == Decimal("300.00")
    assert "已用预存抵扣 ¥300.00" in counts.summary()
    b3, b4 = bills_of(u101)
    assert (b3.period, b3.paid, b3.status) == ("2024-03", Decimal("196.90"), "已缴")
    assert (b4.period, b4.paid, b4.status) == ("2024-04", Decimal("103.10"), "部分缴")


def test_an_import_killed_halfway_leaves_nothing(desk, monkeypatch):
    data = arrears_workbook([row(期间=f"2024-{m:02d}") for m in range(1, 13)])
    p = preview(data)
    before = db_state()
    monkeypatch.setattr(fee_import, "_CHUNK", 5)  # several INSERTs happen before the failure

    def killed(*_a, **_k):
        raise RuntimeError("killed")

    monkeypatch.setattr(fee_import.audit, "record", killed)
    with pytest.raises(RuntimeError, match="killed"):
        fee_import.commit_arrears_import(actor=MANAGER, preview=p)
    assert db_state() == before


@sqlite_only
@pytest.mark.parametrize("role", roles_without("fees.import"))
def test_roles_without_fees_import_can_neither_preview_nor_commit(desk, role):
    data = arrears_workbook([row()])
    with pytest.raises(PermissionDenied):
        fee_import.preview_arrears_import(actor=actor_for(role), source=data)
    p = preview(data)
    with pytest.raises(PermissionDenied):
        fee_import.commit_arrears_import(actor=actor_for(role), preview=p)
    assert count_bills() == 0


def test_the_roles_that_import_arrears_are_admin_manager_and_clerk():
    assert set(roles_with("fees.import")) == {Role.ADMIN, Role.MANAGER, Role.CLERK}


def test_an_estate_is_found_by_name_or_code_for_the_command_line(desk):
    assert fee_import.estate_id_by_name("测试小区") == fee_import.estate_id_by_name("t1") == desk.estate_id
    with pytest.raises(NotFound, match="系统中没有“无此小区”这个小区（现有：测试小区）"):
        fee_import.estate_id_by_name("无此小区")


def count_bills() -> int:
    return len(bills_of())
