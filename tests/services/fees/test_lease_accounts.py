"""Parking leases without a unit are accounts of their own ("L<lease id>"): billed, found, paid and counted.

Hand-made data (every figure below follows from it): estate 测试小区二 (E1) with two units of 89.50 ㎡ (物业服务费
89.50 x 2.2000 = 196.90 a month each) and parking space B1-001 leased to 王车主 (粤B12345, 139****1111) without a
unit at 300.00 a month; estate 东区 (E2) with one unit and space D-01 leased without a unit at 250.00 a month.
"Now" is Monday 2026-11-23 10:00 in Shanghai; November is billed by estate.
Every test runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Bill, Payment
from services import kpi
from services.estate import parking
from services.fees import approvals, arrears, cashier
from services.fees import billing as fees
from services.fees import reports as fee_reports
from services.kpi import FeeScope
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import NotFound, ValidationError
from tests.factories import bulk_units, fee_login, make_estate, make_lease, pin_fee_clock, seed_fee_items

D = Decimal
UNIT_MONTH = D("196.90")


@dataclass(frozen=True)
class Leases:
    e1: int
    e2: int
    building: int
    units: list[int]
    lease: int  # B1-001 in E1, no unit, 300.00
    lease2: int  # D-01 in E2, no unit, 250.00
    unit_lease: int  # B1-002 in E1, rented with unit 1, 200.00
    cash: object
    boss: object
    clerk: object

    @property
    def account(self) -> str:
        return f"L{self.lease}"


@pytest.fixture
def leases(db, monkeypatch) -> Leases:
    pin_fee_clock(monkeypatch, datetime(2026, 11, 23, 10, tzinfo=SHANGHAI))
    seed_fee_items()
    e1, [b1] = make_estate()
    e2, [b2] = make_estate("E2", "东区", buildings=("9",))
    units = bulk_units(e1, b1, 2)
    bulk_units(e2, b2, 1)
    lease = make_lease(e1, None, date(2026, 1, 1), date(2027, 12, 31), "300.00")
    lease2 = make_lease(e2, None, date(2026, 1, 1), date(2027, 12, 31), "250.00", number="D-01", person="赵外来",
                        plate="粤C88888")
    unit_lease = make_lease(e1, units[0], date(2026, 1, 1), date(2027, 12, 31), "200.00", number="B1-002",
                            person="李业主", plate="粤A66666")
    return Leases(e1, e2, b1, units, lease, lease2, unit_lease, fee_login(Role.CASHIER, "cash", "收费员甲"),
                  fee_login(Role.MANAGER, "boss", "主管甲"), fee_login(Role.CLERK, "clerk", "内勤甲"))


def _bill_of(household: str) -> Bill:
    with read_session() as s:
        [bill] = s.scalars(select(Bill).where(Bill.household == household))
        s.expunge_all()
        return bill


def test_an_estates_billing_run_bills_its_leases_without_a_unit_and_no_other_estates(leases):
    L = leases
    run = fees.run_billing(actor=L.clerk, period="2026-11", estate_id=L.e1)
    # E1: 2 units x 196.90 + the lease without a unit 300.00 + the lease of unit 1 200.00 = 893.80
    assert (run.created, run.total) == (4, D("893.80"))
    bill = _bill_of(L.account)
    assert (bill.unit_id, bill.parking_lease_id, bill.amount, bill.payer_name) == (None, L.lease, D("300.00"), "王车主")
    with read_session() as s:
        assert s.scalar(select(Bill.household).where(Bill.parking_lease_id == L.unit_lease)) == f"U{L.units[0]}"
        assert s.scalar(select(Bill.id).where(Bill.household == f"L{L.lease2}")) is None  # E2's lease: not this run
    run2 = fees.run_billing(actor=L.clerk, period="2026-11", estate_id=L.e2)
    # E2: 1 unit 196.90 + its lease 250.00 = 446.90
    assert (run2.created, run2.total) == (2, D("446.90"))
    assert _bill_of(f"L{L.lease2}").amount == D("250.00")


def test_the_lease_account_shows_its_bills_and_takes_a_payment_with_a_receipt_naming_the_space(leases):
    L = leases
    fees.run_billing(actor=L.clerk, period="2026-11")
    acct = cashier.account(actor=L.cash, household=L.account)
    assert (acct.household, acct.unit_id, acct.lease_id, acct.place) == (L.account, None, L.lease, "车位")
    assert (acct.unit_code, acct.payer_name, acct.owed, acct.credit) == ("测试小区二 B1-001（粤B12345）", "王车主",
                                                                         D("300.00"), D("0.00"))
    assert [(b.item, b.period, b.outstanding) for b in acct.bills] == [("停车费", "2026-11", D("300.00"))]

    r = cashier.take_payment(actor=L.cash, household=L.account, amount="350.00", method="微信")
    # 300.00 meets the November parking bill, 50.00 becomes the lease account's credit
    assert (r.place, r.unit_code, r.payer_name) == ("车位", "测试小区二 B1-001（粤B12345）", "王车主")
    assert [(x.item, x.period, x.amount) for x in r.lines] == [("停车费", "2026-11", D("300.00"))]
    assert (r.amount, r.credit_added, r.receipt_no) == (D("350.00"), D("50.00"), "SJ2026-000001")
    with read_session() as s:
        p = s.get(Payment, r.payment_id)
        assert (p.household, p.unit_id) == (L.account, None)
    after = cashier.account(actor=L.cash, household=L.account)
    assert (after.owed, after.credit, after.bills) == (D("0.00"), D("50.00"), ())
    assert [x.receipt_no for x in cashier.unit_receipts(actor=L.cash, household=L.account)] == ["SJ2026-000001"]
    assert cashier.unit_receipts(actor=L.cash, unit_id=L.units[1]) == []  # not mixed into a unit's receipts
    # a unit's account is the same whether asked by unit id or by household
    assert cashier.account(actor=L.cash, unit_id=L.units[0]) == cashier.account(actor=L.cash,
                                                                                household=f"U{L.units[0]}")


def test_void_and_waiver_work_on_a_lease_account_and_the_queue_names_the_space(leases):
    L = leases
    fees.run_billing(actor=L.clerk, period="2026-11")
    r = cashier.take_payment(actor=L.cash, household=L.account, amount="300.00", method="现金")
    req = approvals.request_void(actor=L.cash, payment_id=r.payment_id, reason="收错车位")
    [queued] = approvals.list_approvals(actor=L.boss)
    assert (queued.kind, queued.receipt_no, queued.unit) == ("作废收据", r.receipt_no,
                                                                      "测试小区二 B1-001（粤B12345）")
    approvals.decide(actor=L.boss, approval_id=req, approve=True)
    assert cashier.account(actor=L.cash, household=L.account).owed == D("300.00")
    assert cashier.receipt(actor=L.cash, payment_id=r.payment_id).status == "已作废"

    bill = cashier.account(actor=L.cash, household=L.account).bills[0]
    waive = approvals.request_waiver(actor=L.cash, bill_id=bill.id, amount="100.00", reason="车位积水一周")
    assert approvals.list_approvals(actor=L.boss)[0].unit == "测试小区二 B1-001（粤B12345）"
    approvals.decide(actor=L.boss, approval_id=waive, approve=True)
    # 300.00 - 100.00 waived = 200.00
    assert cashier.account(actor=L.cash, household=L.account).owed == D("200.00")


def test_estate_figures_count_the_lease_through_its_space_and_building_figures_leave_it_out(leases, monkeypatch):
    L = leases
    fees.run_billing(actor=L.clerk, period="2026-11")
    cashier.take_payment(actor=L.cash, household=L.account, amount="300.00", method="现金")
    cashier.take_payment(actor=L.cash, unit_id=L.units[1], amount="196.90", method="现金")
    # E1 billed: 2 x 196.90 + 300.00 + 200.00 (unit 1's lease) = 893.80; collected 300.00 + 196.90 = 496.90
    e1 = kpi.fee_kpis("2026-11", scope=FeeScope(estate_id=L.e1))
    assert (e1["billed"], e1["collected"]) == (D("893.80"), D("496.90"))
    assert e1["collection_rate"] == D("0.5559")  # 496.90 / 893.80 = 0.55594...
    # 3 households billed in E1 (unit 1, unit 2, the lease); unit 1 still owes: (3 - 1) / 3
    assert e1["household_rate"] == D("0.6667")
    # the building is responsible for its units only: 2 x 196.90 + 200.00 = 593.80, collected 196.90
    b = kpi.fee_kpis("2026-11", scope=FeeScope(building_id=L.building))
    assert (b["billed"], b["collected"]) == (D("593.80"), D("196.90"))
    # E2 is not touched by E1's lease: 196.90 + 250.00 = 446.90, nothing collected
    e2 = kpi.fee_kpis("2026-11", scope=FeeScope(estate_id=L.e2))
    assert (e2["billed"], e2["collected"]) == (D("446.90"), D("0.00"))
    # all estates together = E1 + E2
    assert kpi.fee_kpis("2026-11")["billed"] == D("1340.70")
    # the report's one grouped computation gives the same per estate and per building, the lease in E1 only
    assert kpi.fee_kpis_by("2026-11", by="estate") == {L.e1: e1, L.e2: e2}
    assert kpi.fee_kpis_by("2026-11", by="building")[L.building] == b

    by_estate = arrears.arrears_summary(actor=L.boss, group="estate", as_of=date(2026, 11, 23))
    # E1 still owes unit 1's 196.90 + 200.00; E2 owes 196.90 + 250.00 (its lease counted in E2)
    assert dict(zip(by_estate["小区"], by_estate["欠费金额"], strict=True)) == {"测试小区二": D("396.90"),
                                                                             "东区": D("446.90")}
    by_building = arrears.arrears_summary(actor=L.boss, group="building", as_of=date(2026, 11, 23))
    assert dict(zip(by_building["楼栋"], by_building["欠费金额"], strict=True)) == {
        "测试小区二 1栋": D("396.90"), "东区 9栋": D("196.90"), "东区 车位（无房屋）": D("250.00")}
    e2_only = arrears.arrears_summary(actor=L.boss, group="age", estate_id=L.e2, as_of=date(2026, 11, 23))
    assert sum(e2_only["欠费金额"], D("0.00")) == D("446.90")

    rec = fee_reports.reconciliation(actor=L.boss, period="2026-11", estate_id=L.e1)
    lines = rec.lines.set_index("收费项目")
    # 停车费 of E1: the lease 300.00 (paid) + unit 1's lease 200.00 (owing)
    assert (lines.loc["停车费", "应收"], lines.loc["停车费", "实收"], lines.loc["停车费", "欠费"]) == (
        D("500.00"), D("300.00"), D("200.00"))
    assert lines.loc["合计", "应收"] == D("893.80")
    assert rec.received == D("496.90")  # both payments of the month in E1
    e2_rec = fee_reports.reconciliation(actor=L.boss, period="2026-11", estate_id=L.e2)
    assert (e2_rec.lines.set_index("收费项目").loc["合计", "应收"], e2_rec.received) == (D("446.90"), D("0.00"))


@pytest.mark.parametrize("text, matched", [
    ("粤B12345", "车牌号"),
    ("b12345", "车牌号"),  # part of the plate, any case
    ("b1-001", "车位号"),
    ("王车", "姓名"),
    ("wcz", "拼音首字母"),
    ("1111", "手机尾号或房号"),
    ("13900001111", "手机号"),
])
def test_the_counter_finds_a_lease_by_plate_space_or_lessee(leases, text, matched):
    L = leases
    hits = [h for h in parking.search_leases(actor=L.cash, text=text) if h.lease_id == L.lease]
    assert [(h.household, h.space, h.plate, h.person, h.unit_code, h.matched) for h in hits] == [
        (L.account, "B1-001", "粤B12345", "王车主 139****1111", "", matched)]


def test_a_lease_with_a_unit_is_found_with_its_units_account(leases):
    [hit] = parking.search_leases(actor=leases.cash, text="粤A66666")
    assert (hit.household, hit.unit_code, hit.estate) == (f"U{leases.units[0]}", "1-1-R00001", "测试小区二")
    assert parking.search_leases(actor=leases.cash, text="  ") == []
    assert parking.search_leases(actor=leases.cash, text="粤Z00000") == []


def test_an_account_key_is_one_of_unit_or_household_and_must_exist(leases):
    L = leases
    with pytest.raises(ValidationError) as both:
        cashier.account(actor=L.cash, unit_id=L.units[0], household=L.account)
    assert both.value.errors == {"户号": "请指定房屋或车位租约（二者选一）"}
    with pytest.raises(ValidationError) as bad:
        cashier.take_payment(actor=L.cash, household="X12", amount="1.00", method="现金")
    assert "应为 U<房屋编号> 或 L<车位租约编号>" in bad.value.errors["户号"]
    with pytest.raises(NotFound):
        cashier.account(actor=L.cash, household="L999999")
    with pytest.raises(NotFound):
        cashier.take_payment(actor=L.cash, household="L999999", amount="1.00", method="现金")
