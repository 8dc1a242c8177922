"""`propdesk import arrears`, `propdesk bill`, the fee keys of `propdesk kpi --json` and the fee exports
(`propdesk export bills|payments|receipts|dunning`), in the output style of the other commands."""

from __future__ import annotations

import io
import json
import re
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import AuditEntry, Bill, Unit
from services.fees import approvals, arrears, cashier
from services.platform.auth import Role
from tests.cli_support import cli_database, run
from tests.factories import (
    arrears_workbook,
    bills_of,
    fee_login,
    force_columns,
    make_estate,
    make_resident,
    make_units,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> list[int]:
    """`propdesk init` (fee catalog) and estate 测试小区 with 1-1-101..103 (住宅, 89.50 ㎡, delivered 2024-01-15);
    张伟 owns 1-1-101. Returns the unit ids."""
    with cli_database(tmp_path, monkeypatch):
        units = make_units(3)
        make_resident(units[0], "张伟")
        yield units


def bill_count() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(Bill))


def row(**over) -> dict:
    base = {"小区": "测试小区", "房屋": "1-1-101", "收费项目": "物业服务费（住宅）", "期间": "2024-03", "金额": "1,234.50"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


# --- import arrears -----------------------------------------------------------------------------------


def test_import_arrears_writes_the_bills_prints_the_counts_and_skips_them_the_second_time(cli_db, capsys, tmp_path):
    path = tmp_path / "历史欠费.xlsx"
    arrears_workbook([row(), row(房屋="1-1-102", 期间=None, 开始日期="2024-01-01", 结束日期="2024-12-31", 金额=1200.5)],
                     path=path)
    code, out, err = run(capsys, "import", "arrears", str(path))
    assert code == 0, err
    assert "格式：PropDesk 欠费导入模板（工作表“历史欠费”）" in out
    assert "已导入。共 2 行：新增欠费账单 2 张，合计 ¥2,435.00，涉及 2 户；已导入而跳过 0；期间 2024-01 至 2024-03" in out
    assert [(b.period, b.amount, b.source, b.payer_name) for b in bills_of()] == [
        ("2024-01", Decimal("1200.50"), "导入", ""), ("2024-03", Decimal("1234.50"), "导入", "张伟")]
    with read_session() as s:
        assert list(s.scalars(select(AuditEntry.actor_username).where(
            AuditEntry.action == "import", AuditEntry.entity == "bills"))) == ["system"]
    code, out, _err = run(capsys, "import", "arrears", str(path))
    assert code == 0 and "新增欠费账单 0 张" in out and "已导入而跳过 2" in out
    assert bill_count() == 2


def test_import_arrears_dry_run_checks_and_counts_but_writes_nothing(cli_db, capsys, tmp_path):
    path = tmp_path / "欠费.xlsx"
    arrears_workbook([row()], path=path)
    code, out, _err = run(capsys, "import", "arrears", str(path), "--dry-run")
    assert code == 0 and "未写入" in out and "新增欠费账单 1 张，合计 ¥1,234.50" in out
    assert bill_count() == 0


def test_import_arrears_prints_every_problem_by_row_and_column_and_writes_nothing(cli_db, capsys, tmp_path):
    path = tmp_path / "欠费.xlsx"
    arrears_workbook([row(), row(房屋="9-9-909", 期间="2024-04"), row(期间="2024-05", 金额="12.345")], path=path)
    code, out, err = run(capsys, "import", "arrears", str(path))
    assert code == 1
    assert "发现 2 个问题" in out
    assert "第 4 行 · 房屋：“测试小区”没有房屋 9-9-909" in out
    assert "第 5 行 · 金额：最多两位小数（收到 12.345）" in out
    assert err.startswith("错误：文件有 2 个问题，未导入任何账单") and CJK.search(err)
    assert bill_count() == 0


def test_import_arrears_reads_an_hc_sheet_into_the_estate_named(cli_db, capsys, tmp_path):
    make_estate("E2", "别的小区")
    path = tmp_path / "hc.xlsx"
    arrears_workbook([["1-1-101", "物业费", "2024-01-01", "2024-01-31", "196.90"]],
                     headers=["房屋", "费用名称", "开始时间", "结束时间", "费用"], title="房屋费用信息",
                     sheet="房屋费用信息", path=path)
    code, out, _err = run(capsys, "import", "arrears", str(path))
    assert code == 1 and "请指定导入到哪个小区（命令行用 --estate 名称）" in out
    code, out, err = run(capsys, "import", "arrears", str(path), "--estate", "测试小区")
    assert code == 0, err
    assert "格式：HC小区管理系统 房屋费用信息（工作表“房屋费用信息”）" in out and "新增欠费账单 1 张" in out


def test_import_arrears_of_a_missing_file_is_refused_in_one_chinese_line(cli_db, capsys, tmp_path):
    code, out, err = run(capsys, "import", "arrears", str(tmp_path / "none.xlsx"))
    assert code == 1 and out == "" and err.startswith("错误：文件不存在")


# --- bill ---------------------------------------------------------------------------------------------


def test_bill_raises_the_period_prints_count_and_total_and_creates_nothing_the_second_time(cli_db, capsys):
    code, out, err = run(capsys, "bill", "--period", "2025-01")
    assert code == 0, err
    assert out.strip() == "2025-01 计费完成：新增应收 3 张，合计 ¥590.70"  # 3 x 89.50 ㎡ x 2.20
    code, out, _err = run(capsys, "bill", "--period", "2025-01")
    assert code == 0 and "新增应收 0 张，合计 ¥0.00" in out and "未新增" in out
    assert bill_count() == 3


def test_bill_for_one_estate_leaves_the_others_alone(cli_db, capsys):
    estate_id, [building_id] = make_estate("E2", "别的小区")
    from tests.factories import bulk_units

    bulk_units(estate_id, building_id, 2)
    code, out, err = run(capsys, "bill", "--period", "2025-01", "--estate", "别的小区")
    assert code == 0, err
    assert out.strip() == "2025-01（别的小区） 计费完成：新增应收 2 张，合计 ¥393.80"
    with read_session() as s:
        assert set(s.scalars(select(Unit.estate_id).join(Bill, Bill.unit_id == Unit.id))) == {estate_id}


def test_bill_dry_run_writes_nothing_and_counts_every_unit_left_out_by_reason(cli_db, capsys):
    from datetime import date

    from tests.factories import force_columns

    force_columns(Unit, cli_db[1], delivered_on=None)  # 已入住 without its date: billed, flagged
    force_columns(Unit, cli_db[2], status="空置", delivered_on=None)  # never owned, no date: not handed over
    code, out, err = run(capsys, "bill", "--period", "2025-01", "--dry-run")
    assert code == 0, err
    assert out.splitlines() == [
        "2025-01 计费预览（未写入）：将新增应收 2 张，合计 ¥393.80；本期已有 0 张",
        "未计费房屋 1 套：",
        "  未交房（空置、无交房日期且从未有业主）：1 套",
        "交房日期未填、按整月计费的房屋 1 套（请在房屋档案中补填交房日期）",
    ]
    assert bill_count() == 0
    code, out, err = run(capsys, "bill", "--period", "2025-01")
    assert code == 0, err
    assert out.splitlines()[1:] == ["未计费房屋 1 套：", "  未交房（空置、无交房日期且从未有业主）：1 套",
                                    "交房日期未填、按整月计费的房屋 1 套（请在房屋档案中补填交房日期）"]
    assert bill_count() == 2
    force_columns(Unit, cli_db[2], delivered_on=date(2025, 1, 1))
    assert run(capsys, "bill", "--period", "2025-01")[0] == 0 and bill_count() == 3


@pytest.mark.parametrize(("argv", "expected"), [
    (["bill", "--period", "2025-13"], "错误：计费期间：期间应为 YYYY-MM"),
    (["bill", "--period", "202501"], "错误：计费期间：期间应为 YYYY-MM"),
    (["bill", "--period", "2025-01", "--estate", "无此小区"], "错误：小区：系统中没有“无此小区”这个小区"),
    (["bill"], "错误：命令参数有误"),
])
def test_bill_refuses_bad_input_with_one_chinese_line_and_exit_1(cli_db, capsys, argv, expected):
    code, out, err = run(capsys, *argv)
    assert code == 1 and out == ""
    assert err.startswith(expected), err
    assert len(err.strip().splitlines()) == 1
    assert bill_count() == 0


# --- kpi ----------------------------------------------------------------------------------------------


@pytest.fixture
def month(cli_db, capsys, tmp_path) -> list[int]:
    """100.00 of 2024-12 arrears on 1-1-101, 2025-01 billed (3 x 196.90), 1-1-102 has paid its 2025-01 bill."""
    path = tmp_path / "欠费.xlsx"
    arrears_workbook([row(期间="2024-12", 金额="100.00")], path=path)
    assert run(capsys, "import", "arrears", str(path))[0] == 0
    assert run(capsys, "bill", "--period", "2025-01")[0] == 0
    cashier.take_payment(actor=fee_login(Role.CASHIER, "cashier1"), unit_id=cli_db[1], amount="196.90", method="现金")
    return cli_db


def test_kpi_json_has_the_fee_figures_next_to_the_ticket_figures(month, capsys):
    code, out, err = run(capsys, "kpi", "--period", "2025-01", "--json")
    assert code == 0, err
    figures = json.loads(out)
    assert figures["period"] == "2025-01"
    assert "repair_timeliness" in figures and "effective_complaints" in figures  # the ticket keys are still there
    assert {k: figures[k] for k in ("billed", "collected", "collection_rate", "household_rate", "prior_arrears",
                                    "arrears_recovered", "arrears_recovery_rate", "prior_years_collected")} == {
        "billed": "590.70", "collected": "196.90", "collection_rate": "0.3333", "household_rate": "0.3333",
        "prior_arrears": "100.00", "arrears_recovered": "0.00", "arrears_recovery_rate": "0.0000",
        "prior_years_collected": "0.00"}


def test_kpi_json_rates_are_null_when_there_is_nothing_to_divide_by(month, capsys):
    figures = json.loads(run(capsys, "kpi", "--period", "2024-06", "--json")[1])
    assert (figures["billed"], figures["collected"]) == ("0.00", "0.00")
    assert figures["collection_rate"] is None and figures["household_rate"] is None
    assert figures["arrears_recovery_rate"] is None and figures["prior_years_collected"] == "0.00"


def test_kpi_as_of_the_end_of_the_month_does_not_see_a_later_payment(month, capsys):
    figures = json.loads(run(capsys, "kpi", "--period", "2025-01", "--as-of", "2025-01-31T23:59:59", "--json")[1])
    assert (figures["billed"], figures["collected"], figures["collection_rate"]) == ("590.70", "0.00", "0.0000")


def test_kpi_text_shows_the_fee_figures_with_money_and_percent(month, capsys):
    code, out, _err = run(capsys, "kpi", "--period", "2025-01")
    assert code == 0
    assert "2025-01 收费指标" in out
    assert re.search(r"当期应收\s+¥590\.70", out) and re.search(r"收缴率\s+33\.33%", out)
    assert re.search(r"历史欠费\s+¥100\.00", out)


# --- exports ------------------------------------------------------------------------------------------


def money(text: str) -> Decimal:
    return Decimal(text).quantize(Decimal("0.01"))


def read(path, fmt: str) -> pd.DataFrame:
    data = path.read_bytes()
    if fmt == "csv":
        assert data.startswith(b"\xef\xbb\xbf")
        return pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
    return pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)


@pytest.fixture
def ledger(month) -> list[int]:
    """On top of `month`: a voided receipt (cashier asked, manager approved) and a dunning call for 1-1-101."""
    clerk = fee_login(Role.CASHIER, "cashier2", "收费员乙")
    voided = cashier.take_payment(actor=clerk, unit_id=month[2], amount="50.00", method="微信")
    approval = approvals.request_void(actor=clerk, payment_id=voided.payment_id, reason="金额录错")
    approvals.decide(actor=fee_login(Role.MANAGER, "boss", "主管甲"), approval_id=approval, approve=True)
    arrears.record_dunning(actor=fee_login(Role.SERVICE, "kefu"),
                           dunning=arrears.Dunning(unit_id=month[0], method="电话", outcome="无人接听"))
    return month


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_bills_export_has_the_unit_code_item_and_exact_amounts(ledger, capsys, tmp_path, fmt):
    target = tmp_path / f"bills.{fmt}"
    code, out, _err = run(capsys, "export", "bills", "--format", fmt, "-o", str(target))
    assert code == 0 and "已导出 bills" in out
    frame = read(target, fmt)
    assert list(frame.columns[:8]) == \
        ["id", "estate", "unit_code", "household", "payer_name", "item_code", "item", "period"]
    assert len(frame) == 4
    first = frame.iloc[0]
    assert (first["estate"], first["unit_code"], first["item"], first["period"], first["source"]) == (
        "测试小区", "1-1-101", "物业服务费（住宅）", "2024-12", "导入")
    paid = frame[frame["unit_code"] == "1-1-102"].iloc[0]
    assert (money(paid["amount"]), money(paid["paid"]), money(paid["outstanding"]), paid["status"]) == (
        Decimal("196.90"), Decimal("196.90"), Decimal("0.00"), "已缴")
    if fmt == "csv":  # text keeps the two decimals; Excel keeps numbers (it shows 196.9 as the cell format says)
        assert (first["amount"], paid["outstanding"]) == ("100.00", "0.00")


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_receipts_export_lists_every_receipt_with_its_status_and_void_reason(ledger, capsys, tmp_path, fmt):
    target = tmp_path / f"receipts.{fmt}"
    assert run(capsys, "export", "receipts", "--format", fmt, "-o", str(target))[0] == 0
    frame = read(target, fmt)
    for col in ("receipt_no", "received_at", "payer_name", "unit_code", "method", "amount", "status", "void_reason",
                "cashier_name"):
        assert col in frame.columns, col
    assert frame[["unit_code", "method", "status", "void_reason", "cashier_name"]].values.tolist() == [
        ["1-1-102", "现金", "有效", "", "收费员cashier1"], ["1-1-103", "微信", "已作废", "金额录错", "收费员乙"]]
    assert [money(a) for a in frame["amount"]] == [Decimal("196.90"), Decimal("50.00")]
    assert all(re.fullmatch(r"SJ\d{4}-\d{6}", n) for n in frame["receipt_no"])


@pytest.mark.parametrize("table", ["payments", "dunning"])
def test_payments_and_dunning_export_to_csv(ledger, capsys, tmp_path, table):
    target = tmp_path / f"{table}.csv"
    assert run(capsys, "export", table, "--format", "csv", "-o", str(target))[0] == 0
    frame = read(target, "csv")
    if table == "payments":
        assert len(frame) == 2 and "receipt_no" in frame.columns and frame["amount"].tolist() == ["196.90", "50.00"]
    else:
        assert frame[["unit_code", "method", "outcome", "owed"]].values.tolist() == [
            ["1-1-101", "电话", "无人接听", "296.90"]]  # 2024-12 arrears + 2025-01


def test_an_unsold_unit_is_billed_to_the_developer_in_the_export(cli_db, capsys, tmp_path):
    force_columns(Unit, cli_db[2], status="未售")
    assert run(capsys, "bill", "--period", "2025-01")[0] == 0
    target = tmp_path / "bills.csv"
    assert run(capsys, "export", "bills", "--format", "csv", "-o", str(target))[0] == 0
    frame = read(target, "csv")
    assert frame.set_index("unit_code")["payer_name"].to_dict() == {"1-1-101": "张伟", "1-1-102": "", "1-1-103": "开发商"}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_refunds_export_lists_every_refund_voucher(month, capsys, tmp_path, fmt):
    from services.fees import refunds

    desk = fee_login(Role.CASHIER, "cashier3", "收费员丙")
    cashier.take_payment(actor=desk, unit_id=month[1], amount="30.00", method="现金")  # 1-1-102 owes nothing: credit
    req = refunds.request_refund(actor=desk, unit_id=month[1], amount="20.00", method="现金", payee="李四",
                                 reason="多缴退还")
    approvals.decide(actor=fee_login(Role.MANAGER, "boss3", "主管丙"), approval_id=req, approve=True)
    target = tmp_path / f"refunds.{fmt}"
    code, out, _err = run(capsys, "export", "refunds", "--format", fmt, "-o", str(target))
    assert code == 0 and "已导出 refunds" in out
    frame = read(target, fmt)
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["household"], row["payee_name"], money(row["amount"]), row["method"], row["status"]) == (
        f"U{month[1]}", "李四", Decimal("20.00"), "现金", "待付款")
    assert re.fullmatch(r"TK\d{4}-000001", row["refund_no"])
    assert (row["requester_name"], row["approver_name"], row["reason"]) == ("收费员丙", "主管丙", "多缴退还")
