"""Read models of the managers' fee screens (services/fees/reports) on every backend, with figures checked by hand.

The data set (every amount below follows from it by hand):
  estate 甲 (E-A): units A1 and A2, 住宅 100.00 ㎡ and 50.00 ㎡ -> 物业服务费（住宅） 2.20/㎡: 220.00 and 110.00 a month;
  estate 乙 (E-B): shop B1 商铺 20.00 ㎡ -> 物业服务费（商铺） 4.50/㎡: 90.00, 垃圾清运费（商铺） 50.00 a month.
  Each month bills 470.00.
  2026-02-01 bill 2026-02;  02-10 A1 pays 220.00 (Feb);  02-15 A2 pays 300.00 (Feb 110.00, 预存 +190.00);
  2026-03-01 bill 2026-03: A2's March 110.00 is paid from its credit (预存抵扣, credit left 80.00);
  03-06 B1 pays 90.00 for its March property fee;  03-10 a 20.00 waiver of B1's March 垃圾清运费 is approved;
  03-20 A1 pays 100.00 (March);  03-21 A1 pays 50.00, voided on 03-22;  03-25 B1 pays 50.00 (oldest: Feb 90.00);
  04-02 A1 pays 120.00 (rest of March, after the month closed).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from db.engine import unit_of_work
from db.models import Building, Estate, Unit
from services import kpi
from services.fees import approvals, cashier
from services.fees import billing as fees
from services.fees import reports as fee_reports
from services.fees.arrears import assign_collector
from services.fees.billing import Reading
from services.kpi import FeeScope, Period
from services.platform.auth import Role
from services.platform.errors import PermissionDenied, ValidationError
from tests.factories import actor_for, make_staff, make_user

D = Decimal


class Clock:
    """The services' clock, moved by the test (UTC)."""

    def __init__(self):
        self.now = datetime(2026, 2, 1, 1, 0, tzinfo=UTC)

    def set(self, day: str, hour: int = 2) -> None:
        y, m, d = map(int, day.split("-"))
        self.now = datetime(y, m, d, hour, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    c = Clock()
    for module in ("services.fees.cashier", "services.fees.approvals", "services.fees.billing",
                   "services.platform.clock", "services.fees.figures", "services.fees.reports", "services.fees.arrears",
                   "services.platform.audit"):
        monkeypatch.setattr(f"{module}.utcnow", c)
    return c


def _estate(code: str, name: str, units: list[tuple[str, str, str]]) -> list[int]:
    """units: (room, kind, area)."""
    with unit_of_work() as uow:
        s = uow.session
        e = Estate(code=code, name=name, address="")
        s.add(e)
        s.flush()
        b = Building(estate_id=e.id, code="1", name="1栋", floors=10)
        s.add(b)
        s.flush()
        rows = [Unit(estate_id=e.id, building_id=b.id, unit_no="1", room_no=room, floor=1, kind=kind,
                     built_area=D(area), status="已入住", delivered_on=date(2025, 1, 1)) for room, kind, area in units]
        s.add_all(rows)
        s.flush()
        ids = [u.id for u in rows]
        uow.commit()
    return ids


@pytest.fixture
def ledger(db, clock):
    """The data set of the module docstring; returns the ids and actors the tests need."""
    with unit_of_work() as uow:
        fees.seed_items(uow.session)
        uow.commit()
    a1, a2 = _estate("E-A", "甲小区", [("101", "住宅", "100.00"), ("102", "住宅", "50.00")])
    (b1,) = _estate("E-B", "乙小区", [("S01", "商铺", "20.00")])
    manager = make_user(Role.MANAGER, "mgr")
    service = make_user(Role.SERVICE, "svc")
    cash = make_user(Role.CASHIER, "cash")

    clock.set("2026-02-01")
    assert fees.run_billing(actor=manager, period="2026-02").created == 4
    clock.set("2026-02-10")
    cashier.take_payment(actor=cash, unit_id=a1, amount="220.00", method="现金")
    clock.set("2026-02-15")
    cashier.take_payment(actor=cash, unit_id=a2, amount="300.00", method="微信")
    clock.set("2026-03-01")
    assert fees.run_billing(actor=manager, period="2026-03").credit_used == D("110.00")
    clock.set("2026-03-06")
    b1_march = {line.item: line.id for line in cashier.account(actor=manager, unit_id=b1).bills
                if line.period == "2026-03"}
    cashier.take_payment(actor=cash, unit_id=b1, amount="90.00", method="现金",
                         bill_ids=[b1_march["物业服务费（商铺）"]])
    clock.set("2026-03-10")
    req = approvals.request_waiver(actor=service, bill_id=b1_march["垃圾清运费（商铺）"], amount="20.00", reason="保洁投诉")
    approvals.decide(actor=manager, approval_id=req, approve=True)
    clock.set("2026-03-20")
    cashier.take_payment(actor=cash, unit_id=a1, amount="100.00", method="现金")
    clock.set("2026-03-21")
    voided = cashier.take_payment(actor=cash, unit_id=a1, amount="50.00", method="现金")
    clock.set("2026-03-22")
    approvals.decide(actor=manager, approval_id=approvals.request_void(actor=cash, payment_id=voided.payment_id,
                                                                   reason="金额录错"), approve=True)
    clock.set("2026-03-25")
    cashier.take_payment(actor=cash, unit_id=b1, amount="50.00", method="现金")
    clock.set("2026-04-02")
    cashier.take_payment(actor=cash, unit_id=a1, amount="120.00", method="支付宝")
    clock.set("2026-04-10")
    with unit_of_work() as uow:
        estates = {e.code: e.id for e in uow.session.query(Estate)}
    return {"a1": a1, "a2": a2, "b1": b1, "manager": manager, "cash": cash, "estate_a": estates["E-A"],
            "estate_b": estates["E-B"]}


def _lines(rec) -> dict[str, list[Decimal]]:
    return {row[0]: list(row[1:]) for row in rec.lines.itertuples(index=False)}


def test_march_reconciliation_matches_the_hand_made_statement(ledger):
    rec = fee_reports.reconciliation(actor=ledger["manager"], period="2026-03")
    # 应收, 减免, 实收, 预存抵扣, 欠费, 本月收款 — taken at the end of March (the April payment is not in it)
    assert _lines(rec) == {
        "物业服务费（住宅）": [D("330.00"), D("0.00"), D("210.00"), D("110.00"), D("120.00"), D("100.00")],
        "物业服务费（商铺）": [D("90.00"), D("0.00"), D("90.00"), D("0.00"), D("0.00"), D("140.00")],
        "垃圾清运费（商铺）": [D("50.00"), D("20.00"), D("0.00"), D("0.00"), D("30.00"), D("0.00")],
        "合计": [D("470.00"), D("20.00"), D("300.00"), D("110.00"), D("150.00"), D("240.00")],
    }
    assert list(rec.lines.columns) == list(fee_reports.RECONCILIATION_COLUMNS)
    assert rec.lines.iloc[-1, 0] == "合计"
    assert rec.as_of == Period.parse("2026-03").last_instant
    assert rec.received == D("240.00")  # 90 + 100 + 50; the voided 50.00 never counts
    assert (rec.opening_credit, rec.credit_added, rec.credit_used, rec.closing_credit) == (
        D("190.00"), D("0.00"), D("110.00"), D("80.00"))


def test_reconciliation_balances_and_agrees_with_the_collection_kpis(ledger):
    rec = fee_reports.reconciliation(actor=ledger["manager"], period="2026-03")
    for item, (billed, waived, collected, _credit, owing, _received) in _lines(rec).items():
        assert billed == waived + collected + owing, item
    total = _lines(rec)["合计"]
    assert rec.received == total[5] + rec.credit_added
    figures = kpi.fee_kpis("2026-03", as_of=rec.as_of)
    assert figures["billed"] == total[0] - total[1] == D("450.00")
    assert figures["collected"] == total[2] == D("300.00")


def test_reconciliation_taken_later_counts_the_late_payment(ledger):
    later = datetime(2026, 4, 30, tzinfo=UTC)
    rec = fee_reports.reconciliation(actor=ledger["manager"], period="2026-03", as_of=later)
    assert _lines(rec)["物业服务费（住宅）"] == [D("330.00"), D("0.00"), D("330.00"), D("110.00"), D("0.00"),
                                          D("100.00")]
    assert _lines(rec)["合计"][4] == D("30.00")


def test_reconciliation_of_one_estate(ledger):
    a = fee_reports.reconciliation(actor=ledger["manager"], period="2026-03", estate_id=ledger["estate_a"])
    assert _lines(a) == {
        "物业服务费（住宅）": [D("330.00"), D("0.00"), D("210.00"), D("110.00"), D("120.00"), D("100.00")],
        "合计": [D("330.00"), D("0.00"), D("210.00"), D("110.00"), D("120.00"), D("100.00")],
    }
    assert (a.received, a.opening_credit, a.credit_used, a.closing_credit) == (
        D("100.00"), D("190.00"), D("110.00"), D("80.00"))
    b = fee_reports.reconciliation(actor=ledger["manager"], period="2026-03", estate_id=ledger["estate_b"])
    assert _lines(b)["合计"] == [D("140.00"), D("20.00"), D("90.00"), D("0.00"), D("30.00"), D("140.00")]
    assert (b.received, b.opening_credit, b.closing_credit) == (D("140.00"), D("0.00"), D("0.00"))


def test_february_reconciliation_and_an_empty_month(ledger):
    feb = fee_reports.reconciliation(actor=ledger["manager"], period="2026-02")
    # B1's February property fee got 50.00 only in March: at the end of February nothing of B1 was paid
    assert _lines(feb)["合计"] == [D("470.00"), D("0.00"), D("330.00"), D("0.00"), D("140.00"), D("330.00")]
    assert (feb.received, feb.credit_added, feb.closing_credit) == (D("520.00"), D("190.00"), D("190.00"))
    empty = fee_reports.reconciliation(actor=ledger["manager"], period="2025-06")
    assert _lines(empty) == {"合计": [D("0.00")] * 6}
    assert empty.received == D("0.00")


def test_reconciliation_refuses_a_bad_period_and_an_engineer(ledger):
    with pytest.raises(ValidationError) as exc:
        fee_reports.reconciliation(actor=ledger["manager"], period="2026-13")
    assert "期间" in exc.value.errors
    with pytest.raises(PermissionDenied):
        fee_reports.reconciliation(actor=actor_for(Role.ENGINEER), period="2026-03")


def test_collection_report_by_month_uses_the_kpi_figures(ledger):
    frame = fee_reports.collection_report(actor=ledger["manager"], period="2026-03", by="month")
    assert len(frame) == 12
    assert list(frame["月份"])[-2:] == ["2026-02", "2026-03"]
    rows = frame.set_index("月份")
    assert rows.loc["2026-03", "当期应收"] == D("450.00")
    assert rows.loc["2026-03", "当期实收"] == D("300.00")
    assert rows.loc["2026-03", "收缴率"] == D("0.6667")  # 300 / 450
    assert rows.loc["2026-02", "收缴率"] == D("0.7021")  # 330 / 470 at the end of February
    assert rows.loc["2026-03", "欠费追回"] == D("50.00")  # B1's 50.00 to a February bill
    assert rows.loc["2026-03", "历史欠费"] == D("140.00")  # B1's February 90 + 50 unpaid on 1 March
    assert rows.loc["2026-03", "清缴率"] == D("0.3571")  # 50 / 140
    assert rows.loc["2025-05", "收缴率"] is None  # nothing billed: no rate, never 0 or 100%
    assert list(frame.columns) == ["月份", *(kpi.FEE_KPI_LABELS[k] for k in kpi.FEE_KPI_KEYS)]


def test_collection_report_by_estate_building_and_collector(ledger):
    staff = make_staff("王收费", "C01")
    assign_collector(actor=ledger["manager"], unit_ids=[ledger["a1"], ledger["a2"]], staff_id=staff)
    by_estate = fee_reports.collection_report(actor=ledger["manager"], period="2026-03", by="estate")
    assert list(by_estate["小区"]) == ["甲小区", "乙小区"]
    rows = by_estate.set_index("小区")
    assert rows.loc["甲小区", "收缴率"] == D("0.6364")  # 210 / 330
    assert rows.loc["乙小区", "收缴率"] == D("0.7500")  # 90 / (140 − 20)
    assert rows.loc["甲小区", "户收费率"] == D("0.5000")  # A2 paid up, A1 still owes March
    as_of = Period.parse("2026-03").last_instant
    expected = kpi.fee_kpis("2026-03", as_of=as_of, scope=FeeScope(estate_id=ledger["estate_a"]))
    assert [rows.loc["甲小区", kpi.FEE_KPI_LABELS[k]] for k in kpi.FEE_KPI_KEYS] == \
        [expected[k] for k in kpi.FEE_KPI_KEYS]
    by_building = fee_reports.collection_report(actor=ledger["manager"], period="2026-03", by="building",
                                                estate_id=ledger["estate_b"])
    assert list(by_building["楼栋"]) == ["乙小区 1栋"]
    assert by_building.iloc[0]["当期应收"] == D("120.00")
    by_collector = fee_reports.collection_report(actor=ledger["manager"], period="2026-03", by="collector")
    assert list(by_collector["收费员"]) == ["王收费"]
    assert by_collector.iloc[0]["收缴率"] == D("0.6364")
    with pytest.raises(ValidationError):
        fee_reports.collection_report(actor=ledger["manager"], period="2026-03", by="floor")


def test_settlement_sheets_list_the_confirmed_days(ledger, clock):
    clock.set("2026-03-25", hour=10)
    cash = ledger["cash"]
    cashier.confirm_settlement(actor=cash, day=date(2026, 3, 25), cash_handed="50.00")
    frame = fee_reports.settlements(actor=ledger["manager"], date_from=date(2026, 3, 1), date_to=date(2026, 3, 31))
    assert len(frame) == 1
    row = frame.iloc[0]
    assert (row["日期"], row["收费员"], row["现金"], row["微信"], row["收款合计"], row["收据张数"]) == (
        date(2026, 3, 25), cash.display_name, D("50.00"), D("0.00"), D("50.00"), 1)
    assert (row["应交现金"], row["实交现金"], row["差异"]) == (D("50.00"), D("50.00"), D("0.00"))
    assert row["收据号"].startswith("SJ2026-")
    assert fee_reports.settlements(actor=ledger["manager"], date_from=date(2026, 4, 1),
                                   date_to=date(2026, 4, 30)).empty
    with pytest.raises(ValidationError):
        fee_reports.settlements(actor=ledger["manager"], date_from=date(2026, 4, 2), date_to=date(2026, 4, 1))


def test_billing_runs_newest_first(ledger):
    runs = fee_reports.billing_runs(actor=ledger["manager"])
    assert list(runs["期间"]) == ["2026-03", "2026-02"]
    assert list(runs["生成账单"]) == [4, 4]
    assert list(runs["金额"]) == [D("470.00"), D("470.00")]
    assert list(runs["小区"]) == ["全部", "全部"]


def test_meter_sheet_lists_shop_meters_with_the_previous_reading(ledger):
    manager = ledger["manager"]
    sheet = fee_reports.meter_sheet(actor=manager, period="2026-02")
    assert sorted(sheet["收费项目"]) == ["水费（商铺）", "电费（商铺）"]  # B1 is the only shop
    assert set(sheet["unit_id"]) == {ledger["b1"]}
    assert not sheet["已录入"].any()
    items = dict(zip(sheet["收费项目"], sheet["fee_item_id"], strict=True))
    fees.record_readings(actor=manager, period="2026-02", read_on=date(2026, 2, 28),
                         readings=[Reading(ledger["b1"], items["水费（商铺）"], "120.50")])
    march = fee_reports.meter_sheet(actor=manager, period="2026-03").set_index("收费项目")
    assert march.loc["水费（商铺）", "上期读数"] == D("120.50")
    assert march.loc["水费（商铺）", "上期期间"] == "2026-02"
    assert march.loc["电费（商铺）", "上期读数"] is None
    feb = fee_reports.meter_sheet(actor=manager, period="2026-02").set_index("收费项目")
    assert feb.loc["水费（商铺）", "已录入"]
    assert feb.loc["水费（商铺）", "用量"] == D("120.50")
    assert fee_reports.meter_sheet(actor=manager, period="2026-02", estate_id=ledger["estate_a"]).empty
    with pytest.raises(PermissionDenied):
        fee_reports.meter_sheet(actor=actor_for(Role.CASHIER), period="2026-02")


def test_units_of_a_building_with_their_collector(ledger):
    staff = make_staff("王收费", "C01")
    assign_collector(actor=ledger["manager"], unit_ids=[ledger["a1"]], staff_id=staff)
    with unit_of_work() as uow:
        building = uow.session.get(Unit, ledger["a1"]).building_id
    frame = fee_reports.building_units(actor=ledger["manager"], building_id=building)
    assert list(frame["房屋"]) == ["甲小区 1-1-101", "甲小区 1-1-102"]
    assert list(frame["收费员"]) == ["王收费", ""]
    assert (staff, "C01 王收费") in fee_reports.collector_options(actor=ledger["manager"])


def test_month_labels_count_back_from_the_current_month():
    assert fee_reports.month_labels(count=3, today=date(2026, 1, 15)) == ["2026-01", "2025-12", "2025-11"]
    assert fee_reports.month_labels(count=2, ahead=1, today=date(2025, 12, 31)) == ["2026-01", "2025-12"]
