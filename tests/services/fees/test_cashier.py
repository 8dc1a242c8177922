"""The cashier counter 收银台 (services/fees/cashier): payments, receipts, approvals (void, waiver, cancel) and 日结.

Time: `pin_fee_clock` monkeypatches `utcnow` in the fee services (and services.platform.clock for local_today),
so receipts, allocations and the settlement day carry the moments the test chooses. Bills of chosen
periods are written directly with `make_bill` (no billing run needed); where the credit of a voided
payment must have been used by a later bill, a real billing run raises that bill.
Every test runs on SQLite, PostgreSQL and MariaDB (`db` fixture).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Allocation, Approval, Bill, CreditEntry, Payment, Settlement
from services.fees import approvals, cashier, ledger
from services.fees import billing as fees
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.platform.period import period_of
from tests.factories import (
    FeeClock,
    actor_for,
    audit_rows,
    bills_of,
    bulk_units,
    count_rows,
    db_state,
    fee_login,
    get_row,
    make_bill,
    make_estate,
    pin_fee_clock,
    seed_fee_items,
)

D = Decimal
RECEIPT_NO = re.compile(r"^SJ\d{4}-\d{6}$")


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Counter:
    clock: FeeClock
    items: dict[str, int]
    unit: int
    other: int  # a second unit of the same building
    aug: int  # 2026-08 物业服务费 100.00
    sep: int  # 2026-09 物业服务费 100.00
    sep_lj: int  # 2026-09 垃圾清运费 20.00 (same month, later item)
    oct: int  # 2026-10 物业服务费 100.00
    cash1: object
    cash2: object
    boss1: object
    boss2: object
    desk: object  # 客服 (may request, never approve)


@pytest.fixture
def counter(db, monkeypatch) -> Counter:
    """Monday 2026-11-23 10:00 in Shanghai; one unit owing 320.00 in four bills; two cashiers, two managers."""
    clock = pin_fee_clock(monkeypatch, at(2026, 11, 23))
    items = seed_fee_items()
    estate_id, [b1] = make_estate()
    unit, other = bulk_units(estate_id, b1, 2)
    return Counter(
        clock, items, unit, other,
        make_bill(unit, items["WY-ZZ"], "2026-08", "100.00"),
        make_bill(unit, items["WY-ZZ"], "2026-09", "100.00"),
        make_bill(unit, items["LJ-SP"], "2026-09", "20.00"),
        make_bill(unit, items["WY-ZZ"], "2026-10", "100.00"),
        fee_login(Role.CASHIER, "cash1", "收费员甲"), fee_login(Role.CASHIER, "cash2", "收费员乙"),
        fee_login(Role.MANAGER, "boss1", "主管甲"), fee_login(Role.MANAGER, "boss2", "主管乙"),
        fee_login(Role.SERVICE, "desk1", "客服甲"),
    )


def _bill(bill_id: int) -> Bill:
    return get_row(Bill, bill_id)


def _state(bill_id: int) -> tuple[Decimal, Decimal, str]:
    b = _bill(bill_id)
    return b.paid, b.waived, b.status


def _pay(c: Counter, amount: str = "100.00", *, actor=None, unit: int | None = None, method: str = "现金",
         bill_ids=None) -> cashier.Receipt:
    return cashier.take_payment(actor=actor or c.cash1, unit_id=unit or c.unit, amount=amount, method=method,
                                bill_ids=bill_ids)


def _void(c: Counter, payment_id: int, *, by=None, approver=None, reason: str = "金额录错") -> int:
    req = approvals.request_void(actor=by or c.cash1, payment_id=payment_id, reason=reason)
    approvals.decide(actor=approver or c.boss1, approval_id=req, approve=True, note="同意")
    return req


def _ledger_holds() -> None:
    """Ledger invariants: paid = live allocations per bill, 0 <= paid + waived <= amount,
    every valid payment = its live direct allocations + its credit 存入, credit balance >= 0."""
    with read_session() as s:
        for b in s.scalars(select(Bill)):
            live = sum(s.scalars(select(Allocation.amount).where(Allocation.bill_id == b.id,
                                                                 Allocation.voided.is_(False))), D("0.00"))
            assert b.paid == live, b.id
            assert D("0.00") <= b.paid + b.waived <= b.amount, b.id
        periods = dict(s.execute(select(Bill.id, Bill.period)).all())
        for a in s.scalars(select(Allocation)):  # the figures read the bill's month and its own off the allocation
            assert (a.bill_period, a.paid_period) == (periods[a.bill_id], period_of(a.at)), a.id
        for p in s.scalars(select(Payment).where(Payment.status == "有效")):
            direct = sum(s.scalars(select(Allocation.amount).where(
                Allocation.payment_id == p.id, Allocation.via == "收款", Allocation.voided.is_(False))), D("0.00"))
            assert p.amount == direct + p.credit_added, p.receipt_no
        for v in ledger.credit_balances(s).values():
            assert v >= 0


# --- payments -------------------------------------------------------------------------------------------


def test_a_payment_meets_the_oldest_bills_first(counter):
    c = counter
    r = _pay(c, "250.00")
    # 250.00 = 08月 100.00 + 09月 物业 100.00 + 09月 垃圾 20.00 + 10月 30.00 (of 100.00)
    assert [(line.period, line.amount) for line in r.lines] == [
        ("2026-08", D("100.00")), ("2026-09", D("100.00")), ("2026-09", D("20.00")), ("2026-10", D("30.00"))]
    assert [line.item for line in r.lines][1:3] == ["物业服务费（住宅）", "垃圾清运费（商铺）"]
    assert _state(c.aug) == (D("100.00"), D("0.00"), "已缴")
    assert _state(c.sep_lj) == (D("20.00"), D("0.00"), "已缴")
    assert _state(c.oct) == (D("30.00"), D("0.00"), "部分缴")
    acct = cashier.account(actor=c.cash1, unit_id=c.unit)
    # 320.00 - 250.00 = 70.00 still owed, on October only
    assert (acct.owed, acct.credit, [b.id for b in acct.bills]) == (D("70.00"), D("0.00"), [c.oct])
    assert (r.amount, r.credit_added, r.method, r.cashier, r.status) == (D("250.00"), D("0.00"), "现金", "收费员甲",
                                                                         "有效")
    _ledger_holds()


def test_a_payment_meets_only_the_bills_the_cashier_picked(counter):
    c = counter
    r = _pay(c, "100.00", bill_ids=[c.oct])
    assert [(line.period, line.amount) for line in r.lines] == [("2026-10", D("100.00"))]
    assert _state(c.oct)[2] == "已缴" and _state(c.aug) == (D("0.00"), D("0.00"), "未缴")
    # picked in this order: 09月 垃圾 20.00 then 08月 30.00 of 100.00
    r2 = _pay(c, "50.00", bill_ids=[c.sep_lj, c.aug])
    assert [(line.period, line.amount) for line in r2.lines] == [("2026-08", D("30.00")), ("2026-09", D("20.00"))]
    assert _state(c.aug) == (D("30.00"), D("0.00"), "部分缴")
    _ledger_holds()


def test_money_beyond_what_is_owed_becomes_prepaid_credit(counter):
    c = counter
    r = _pay(c, "400.00", method="微信")
    # 400.00 - 320.00 owed = 80.00 credit
    assert (sum(line.amount for line in r.lines), r.credit_added) == (D("320.00"), D("80.00"))
    acct = cashier.account(actor=c.cash1, unit_id=c.unit)
    assert (acct.owed, acct.credit, acct.bills) == (D("0.00"), D("80.00"), ())
    # nothing owed at all: the whole payment is credit
    r2 = _pay(c, "19.99")
    assert (r2.lines, r2.credit_added) == ((), D("19.99"))
    assert cashier.account(actor=c.cash1, unit_id=c.unit).credit == D("99.99")
    with read_session() as s:
        entries = s.execute(select(CreditEntry.kind, CreditEntry.amount).order_by(CreditEntry.id)).all()
    assert entries == [("存入", D("80.00")), ("存入", D("19.99"))]
    _ledger_holds()


def test_picked_bills_overpaid_leave_the_rest_as_credit(counter):
    c = counter
    r = _pay(c, "50.00", bill_ids=[c.sep_lj])
    # 20.00 to the picked bill, 30.00 credit (the other bills stay as they were)
    assert (r.lines[0].amount, r.credit_added) == (D("20.00"), D("30.00"))
    assert _state(c.aug) == (D("0.00"), D("0.00"), "未缴")
    _ledger_holds()


def test_receipt_numbers_follow_the_series_without_gaps(counter, monkeypatch):
    c = counter
    first = _pay(c, "10.00")
    with pytest.raises(ValidationError):
        _pay(c, "0")  # refused before any number is taken
    real_allocate = ledger.allocate

    def broken(*args, **kwargs):
        raise RuntimeError("connection lost")

    monkeypatch.setattr(ledger, "allocate", broken)
    with pytest.raises(RuntimeError):
        _pay(c, "10.00")  # dies after the counter moved: the rollback gives the number back
    monkeypatch.setattr(ledger, "allocate", real_allocate)
    second = _pay(c, "10.00", actor=c.cash2, unit=c.other)
    third = _pay(c, "10.00")
    assert [first.receipt_no, second.receipt_no, third.receipt_no] == ["SJ2026-000001", "SJ2026-000002",
                                                                       "SJ2026-000003"]
    assert all(RECEIPT_NO.match(r.receipt_no) for r in (first, second, third))
    assert count_rows(Payment) == 3


def test_the_receipt_series_starts_again_each_year_in_shanghai_time(counter):
    c = counter
    c.clock.now = at(2026, 12, 31, 23, 50)
    assert _pay(c, "10.00").receipt_no == "SJ2026-000001"
    c.clock.now = at(2027, 1, 1, 0, 5)  # still 2026-12-31 16:05 in UTC
    assert _pay(c, "10.00").receipt_no == "SJ2027-000001"
    assert _pay(c, "10.00").receipt_no == "SJ2027-000002"


@pytest.mark.parametrize("amount, message", [
    ("-5.00", "应大于 0"),
    ("0", "应大于 0"),
    ("0.00", "应大于 0"),
    ("abc", "应为数字"),
    ("", "应为数字"),
    ("10.005", "最多两位小数"),
    ("10000000.01", "不能大于 10000000.00"),
])
def test_a_bad_amount_is_refused_and_nothing_is_written(counter, amount, message):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        _pay(counter, amount)
    assert message in e.value.errors["金额"]
    assert db_state() == before


def test_the_largest_amount_is_taken_and_commas_are_read(counter):
    assert _pay(counter, "10,000,000.00").amount == D("10000000.00")


def test_an_unknown_method_is_refused_and_nothing_is_written(counter):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        _pay(counter, "10.00", method="信用卡")
    assert e.value.errors["收款方式"] == "应为以下之一：现金、微信、支付宝、银行转账、POS"
    assert db_state() == before


def test_paying_a_cancelled_bill_is_refused_and_nothing_is_written(counter):
    c = counter
    req = approvals.request_cancel(actor=c.desk, bill_id=c.oct, reason="重复开单")
    approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    assert _state(c.oct)[2] == "已取消"
    before = db_state()
    with pytest.raises(ValidationError) as e:
        _pay(c, "100.00", bill_ids=[c.oct])
    assert e.value.errors == {"账单": "所选账单已取消，不能收款"}
    assert db_state() == before
    # and it is no longer owed: 320.00 - 100.00 = 220.00
    assert cashier.account(actor=c.cash1, unit_id=c.unit).owed == D("220.00")


def test_picking_a_bill_of_another_unit_is_refused(counter):
    c = counter
    before = db_state()
    with pytest.raises(ValidationError) as e:
        _pay(c, "100.00", unit=c.other, bill_ids=[c.aug])
    assert "不属于这套房屋" in e.value.errors["账单"]
    assert db_state() == before


def test_a_payment_for_a_missing_unit_is_refused(counter):
    before = db_state()
    with pytest.raises(NotFound):
        _pay(counter, "10.00", unit=999_999)
    assert db_state() == before


@pytest.mark.parametrize("role", [Role.SERVICE, Role.MANAGER, Role.CLERK, Role.ENGINEER])
def test_only_cashiers_take_payments(counter, role):
    with pytest.raises(PermissionDenied):
        _pay(counter, "10.00", actor=actor_for(role))
    assert count_rows(Payment) == 0


def test_a_payment_writes_one_audit_row(counter):
    r = _pay(counter, "150.00")
    [row] = audit_rows(action="collect")
    assert (row.entity, int(row.entity_id), row.actor_username) == ("payments", r.payment_id, "cash1")


# --- approvals: void 作废 ----------------------------------------------------------------------------------


def test_a_void_needs_a_manager(counter):
    c = counter
    r = _pay(c, "100.00")
    req = approvals.request_void(actor=c.cash1, payment_id=r.payment_id, reason="收错房屋")
    for not_manager in (c.cash1, c.cash2, c.desk):
        with pytest.raises(PermissionDenied):
            approvals.decide(actor=not_manager, approval_id=req, approve=True)
    # nothing changes while it waits
    assert cashier.receipt(actor=c.cash1, payment_id=r.payment_id).status == "有效"
    assert _state(c.aug) == (D("100.00"), D("0.00"), "已缴")
    assert approvals.list_approvals(actor=c.boss1)[0].kind == "作废收据"


def test_the_requester_cannot_approve_their_own_request(counter):
    c = counter
    r = _pay(c, "100.00")
    req = approvals.request_void(actor=c.boss1, payment_id=r.payment_id, reason="收错房屋")
    with pytest.raises(PermissionDenied) as e:
        approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    assert "审批自己提出的申请" in e.value.message
    assert get_row(Approval, req).status == "待审批"
    approvals.decide(actor=c.boss2, approval_id=req, approve=True)
    assert get_row(Approval, req).status == "已批准"


def test_voiding_twice_is_refused(counter):
    c = counter
    r = _pay(c, "100.00")
    req = approvals.request_void(actor=c.cash1, payment_id=r.payment_id, reason="金额录错")
    with pytest.raises(Conflict):  # a second request while one waits
        approvals.request_void(actor=c.cash2, payment_id=r.payment_id, reason="再申请一次")
    approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    before = db_state()
    with pytest.raises(Conflict) as e:
        approvals.request_void(actor=c.cash1, payment_id=r.payment_id, reason="再作废一次")
    assert e.value.message == "收据 SJ2026-000001 已作废，不能重复作废"
    with pytest.raises(Conflict):  # the decided request cannot be decided again
        approvals.decide(actor=c.boss2, approval_id=req, approve=True)
    assert db_state() == before


def test_a_void_reverses_the_allocations(counter):
    c = counter
    r = _pay(c, "250.00")
    _void(c, r.payment_id)
    for bill_id in (c.aug, c.sep, c.sep_lj, c.oct):
        assert _state(bill_id) == (D("0.00"), D("0.00"), "未缴")
    assert cashier.account(actor=c.cash1, unit_id=c.unit).owed == D("320.00")
    with read_session() as s:
        assert set(s.scalars(select(Allocation.voided))) == {True}
    _ledger_holds()


def test_a_void_takes_back_credit_even_when_a_later_bill_already_used_it(counter):
    c = counter
    r = _pay(c, "500.00")
    # 500.00 - 320.00 = 180.00 credit
    assert r.credit_added == D("180.00")
    c.clock.now = at(2026, 12, 1, 1)
    clerk = actor_for(Role.CLERK)
    run = fees.run_billing(actor=clerk, period="2026-12")
    # the December bills: 2 units x 89.50 x 2.2 = 196.90 each; this unit's is paid 180.00 from credit
    assert run.credit_used == D("180.00")
    [dec] = [b for b in bills_of(c.unit) if b.period == "2026-12"]
    assert (dec.paid, dec.status) == (D("180.00"), "部分缴")
    c.clock.now = at(2026, 12, 2)
    _void(c, r.payment_id)
    # every bill it reached, directly or through credit, owes again; no credit is left
    assert _state(dec.id) == (D("0.00"), D("0.00"), "未缴")
    acct = cashier.account(actor=c.cash1, unit_id=c.unit)
    # 320.00 + 196.90 = 516.90
    assert (acct.owed, acct.credit) == (D("516.90"), D("0.00"))
    with read_session() as s:
        assert set(s.scalars(select(CreditEntry.voided))) == {True}
        assert s.scalar(select(Payment.voided_at)) == at(2026, 12, 2)
    _ledger_holds()


def test_a_voided_receipt_keeps_its_number_and_reads_as_void(counter):
    c = counter
    r = _pay(c, "120.00")
    _void(c, r.payment_id, reason="客户要求退款")
    again = cashier.receipt(actor=c.cash1, payment_id=r.payment_id)
    assert (again.receipt_no, again.status, again.void_reason) == (r.receipt_no, "已作废", "客户要求退款")
    assert (again.amount, again.lines) == (r.amount, r.lines)  # a reprint shows what was received
    assert get_row(Payment, r.payment_id).void_approved_by == "主管甲"
    # the next receipt takes the next number; the voided one is not reused
    assert _pay(c, "10.00").receipt_no == "SJ2026-000002"


def test_a_refused_void_changes_nothing_but_the_request(counter):
    c = counter
    r = _pay(c, "100.00")
    req = approvals.request_void(actor=c.cash1, payment_id=r.payment_id, reason="金额录错")
    approvals.decide(actor=c.boss1, approval_id=req, approve=False, note="核实无误")
    assert get_row(Approval, req).status == "已驳回"
    assert get_row(Payment, r.payment_id).status == "有效"
    assert _state(c.aug) == (D("100.00"), D("0.00"), "已缴")


def test_a_void_needs_a_reason(counter):
    c = counter
    r = _pay(c, "100.00")
    before = db_state()
    with pytest.raises(ValidationError) as e:
        approvals.request_void(actor=c.cash1, payment_id=r.payment_id, reason="  ")
    assert e.value.errors == {"原因": "必须写明原因"}
    assert db_state() == before


# --- approvals: waiver 减免 and cancel 取消账单 --------------------------------------------------------------


def test_an_approved_waiver_reduces_what_is_owed(counter):
    c = counter
    req = approvals.request_waiver(actor=c.desk, bill_id=c.oct, amount="30.00", reason="漏水影响使用")
    # requested only: still 320.00 owed
    assert cashier.account(actor=c.cash1, unit_id=c.unit).owed == D("320.00")
    assert [b.pending for b in cashier.account(actor=c.cash1, unit_id=c.unit).bills if b.id == c.oct] == ["减免"]
    approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    # 320.00 - 30.00 = 290.00
    assert cashier.account(actor=c.cash1, unit_id=c.unit).owed == D("290.00")
    assert _state(c.oct) == (D("0.00"), D("30.00"), "部分缴")
    # a payment now meets 70.00 of October, not 100.00: 320.00 - 30.00 waived = 290.00, 10.00 credit
    r = _pay(c, "300.00")
    assert r.credit_added == D("10.00")
    assert _state(c.oct) == (D("70.00"), D("30.00"), "已缴")
    _ledger_holds()


def test_a_whole_bill_waived_reads_as_waived(counter):
    c = counter
    req = approvals.request_waiver(actor=c.desk, bill_id=c.sep_lj, amount="20.00", reason="商铺空置")
    approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    assert _state(c.sep_lj) == (D("0.00"), D("20.00"), "已减免")


def test_a_waiver_is_never_applied_by_the_requester_alone(counter):
    c = counter
    req = approvals.request_waiver(actor=c.boss1, bill_id=c.oct, amount="30.00", reason="领导特批")
    with pytest.raises(PermissionDenied):
        approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    with pytest.raises(PermissionDenied):
        approvals.decide(actor=c.cash1, approval_id=req, approve=True)
    assert _state(c.oct) == (D("0.00"), D("0.00"), "未缴")
    approvals.decide(actor=c.boss2, approval_id=req, approve=True)
    assert _state(c.oct) == (D("0.00"), D("30.00"), "部分缴")


def test_a_waiver_larger_than_what_is_outstanding_is_refused(counter):
    c = counter
    _pay(c, "230.00")  # 08 100 + 09 100 + 09 20 + 10月 10.00: October owes 90.00
    before = db_state()
    with pytest.raises(ValidationError) as e:
        approvals.request_waiver(actor=c.desk, bill_id=c.oct, amount="90.01", reason="漏水")
    assert e.value.errors == {"减免金额": "不能超过未缴金额 90.00"}
    with pytest.raises(ValidationError):
        approvals.request_waiver(actor=c.desk, bill_id=c.oct, amount="-1", reason="漏水")
    with pytest.raises(Conflict):  # a paid bill cannot be waived
        approvals.request_waiver(actor=c.desk, bill_id=c.aug, amount="1.00", reason="漏水")
    assert db_state() == before


def test_a_waiver_overtaken_by_a_payment_cannot_be_approved(counter):
    c = counter
    req = approvals.request_waiver(actor=c.desk, bill_id=c.aug, amount="50.00", reason="漏水")
    _pay(c, "60.00", bill_ids=[c.aug])  # August now owes 40.00
    with pytest.raises(Conflict):
        approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    assert _state(c.aug) == (D("60.00"), D("0.00"), "部分缴")
    assert get_row(Approval, req).status == "待审批"


def test_a_bill_with_money_on_it_cannot_be_cancelled(counter):
    c = counter
    _pay(c, "10.00", bill_ids=[c.aug])
    with pytest.raises(Conflict) as e:
        approvals.request_cancel(actor=c.desk, bill_id=c.aug, reason="重复开单")
    assert e.value.message == "账单已有收款，请先作废相关收据再取消"
    # requested while unpaid, paid before the manager decides: still refused
    req = approvals.request_cancel(actor=c.desk, bill_id=c.oct, reason="重复开单")
    _pay(c, "10.00", bill_ids=[c.oct])
    with pytest.raises(Conflict):
        approvals.decide(actor=c.boss1, approval_id=req, approve=True)
    assert _state(c.oct)[2] == "部分缴"


def test_an_approved_cancel_takes_the_bill_off_the_account(counter):
    c = counter
    req = approvals.request_cancel(actor=c.desk, bill_id=c.oct, reason="重复开单")
    approvals.decide(actor=c.boss2, approval_id=req, approve=True)
    acct = cashier.account(actor=c.cash1, unit_id=c.unit)
    assert (acct.owed, c.oct in [b.id for b in acct.bills]) == (D("220.00"), False)
    with pytest.raises(Conflict):
        approvals.request_cancel(actor=c.desk, bill_id=c.oct, reason="再取消")


# --- daily settlement 日结 ------------------------------------------------------------------------------


def _day_of_payments(c: Counter) -> list[cashier.Receipt]:
    """cash1 on 2026-11-23: 现金 100.00 + 50.00, 微信 30.00, POS 12.34, a 现金 20.00 voided; cash2 现金 999.00."""
    receipts = [_pay(c, "100.00"), _pay(c, "50.00"), _pay(c, "30.00", method="微信"),
                _pay(c, "12.34", method="POS"), _pay(c, "20.00")]
    _void(c, receipts[-1].payment_id)
    _pay(c, "999.00", actor=c.cash2, unit=c.other)
    return receipts


def test_a_settlement_sheet_totals_by_method_and_lists_voided_receipts(counter):
    c = counter
    receipts = _day_of_payments(c)
    sheet = cashier.settlement_sheet(actor=c.cash1, day=date(2026, 11, 23))
    assert sheet.totals == {"现金": D("150.00"), "微信": D("30.00"), "支付宝": D("0.00"), "银行转账": D("0.00"),
                            "POS": D("12.34")}
    # 150.00 + 30.00 + 12.34 = 192.34 (the voided 20.00 does not count)
    assert (sheet.total, sheet.cash_expected, sheet.confirmed) == (D("192.34"), D("150.00"), False)
    assert sheet.receipts == tuple(r.receipt_no for r in receipts)
    assert sheet.voided_receipts == (receipts[-1].receipt_no,)
    # another day is empty
    assert cashier.settlement_sheet(actor=c.cash1, day=date(2026, 11, 22)).total == D("0.00")


def test_a_discrepancy_needs_a_note(counter):
    c = counter
    _day_of_payments(c)
    before = db_state()
    with pytest.raises(ValidationError) as e:
        cashier.confirm_settlement(actor=c.cash1, day=date(2026, 11, 23), cash_handed="149.00")
    assert e.value.errors == {"差异说明": "交款现金与应交现金相差 -1.00，请写明原因"}
    assert db_state() == before
    sheet = cashier.confirm_settlement(actor=c.cash1, day=date(2026, 11, 23), cash_handed="149.00",
                                       note="找零少收1元", received_by="内勤王")
    # 149.00 - 150.00 = -1.00
    assert (sheet.confirmed, sheet.cash_handed, sheet.discrepancy, sheet.note) == (True, D("149.00"), D("-1.00"),
                                                                                   "找零少收1元")


def test_a_settled_day_is_locked(counter):
    c = counter
    receipts = _day_of_payments(c)
    sheet = cashier.confirm_settlement(actor=c.cash1, day=date(2026, 11, 23), cash_handed="150.00")
    assert (sheet.confirmed, sheet.discrepancy) == (True, D("0.00"))
    before = db_state()
    with pytest.raises(Conflict):
        _pay(c, "10.00")
    with pytest.raises(Conflict):
        cashier.confirm_settlement(actor=c.cash1, day=date(2026, 11, 23), cash_handed="150.00")
    assert db_state() == before
    # a void approved later does not move the confirmed snapshot
    _void(c, receipts[0].payment_id)
    again = cashier.settlement_sheet(actor=c.boss1, day=date(2026, 11, 23), cashier_user_id=c.cash1.user_id)
    assert (again.total, again.cash_expected, again.voided_receipts) == (D("192.34"), D("150.00"),
                                                                         (receipts[-1].receipt_no,))
    # the other cashier's day is not locked, and the next day takes payments again
    _pay(c, "10.00", actor=c.cash2, unit=c.other)
    c.clock.now = at(2026, 11, 24, 9)
    assert _pay(c, "10.00").status == "有效"


def test_a_cashier_cannot_settle_another_cashiers_day(counter):
    c = counter
    _day_of_payments(c)
    before = db_state()
    with pytest.raises(PermissionDenied):
        cashier.confirm_settlement(actor=c.cash2, day=date(2026, 11, 23), cash_handed="150.00",
                                   cashier_user_id=c.cash1.user_id)
    with pytest.raises(PermissionDenied):
        cashier.confirm_settlement(actor=c.boss1, day=date(2026, 11, 23), cash_handed="150.00",
                                   cashier_user_id=c.cash1.user_id)
    assert db_state() == before
    # cash2 settles only cash2's own day: 999.00 cash
    own = cashier.confirm_settlement(actor=c.cash2, day=date(2026, 11, 23), cash_handed="999.00")
    assert (own.cashier_user_id, own.total) == (c.cash2.user_id, D("999.00"))
    assert count_rows(Settlement) == 1
    assert cashier.settlement_sheet(actor=c.cash1, day=date(2026, 11, 23)).confirmed is False


def test_a_future_day_cannot_be_settled(counter):
    with pytest.raises(ValidationError) as e:
        cashier.confirm_settlement(actor=counter.cash1, day=date(2026, 11, 24), cash_handed="0")
    assert "日期" in e.value.errors
    assert count_rows(Settlement) == 0


def test_settlement_refusals_name_the_field_at_fault(counter):
    c = counter
    _day_of_payments(c)
    before = db_state()
    with pytest.raises(ValidationError) as e:
        cashier.confirm_settlement(actor=c.cash1, day=date(2026, 11, 23), cash_handed="-1", note="长" * 501,
                                   received_by="王" * 33)
    assert set(e.value.errors) == {"交款现金", "差异说明", "接收人"}
    assert e.value.errors["差异说明"] == "不能超过 500 个字符（现有 501 个）"
    assert db_state() == before
