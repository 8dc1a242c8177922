"""Refunds 退款 of prepaid credit (services/fees/refunds): request, grant or refusal, the 退款单, payout and 日结.

Hand-made data: Monday 2026-11-23 10:00 in Shanghai. Unit A owes October 100.00 (物业服务费). 收费员甲 takes
P1 300.00 in cash (100.00 meets October, 200.00 becomes credit) and P2 80.00 by 微信 (all credit): A holds
280.00 of credit, 200.00 from P1 and 80.00 from P2. Unit B owes nothing and has no credit.
Every test runs on SQLite, PostgreSQL and MariaDB (`db` fixture).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Approval, CreditEntry, Payment, Refund, Unit
from services.admin import system
from services.fees import approvals, cashier, ledger, refunds
from services.fees import billing as fees
from services.fees import reports as fee_reports
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, PermissionDenied, ValidationError
from tests.factories import (
    FeeClock,
    audit_json,
    audit_rows,
    bulk_units,
    db_state,
    fee_login,
    get_row,
    make_bill,
    make_estate,
    make_lease,
    meet_after,
    pin_fee_clock,
    run_both,
    seed_fee_items,
)

D = Decimal


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Desk:
    clock: FeeClock
    estate: int
    a: int
    b: int
    p1: cashier.Receipt
    p2: cashier.Receipt
    cash1: object
    cash2: object
    boss1: object
    boss2: object
    desk: object  # 客服: may ask, never grant, never pay out


@pytest.fixture
def desk(db, monkeypatch) -> Desk:
    clock = pin_fee_clock(monkeypatch, at(2026, 11, 23))
    items = seed_fee_items()
    estate, [b1] = make_estate()
    a, b = bulk_units(estate, b1, 2)
    make_bill(a, items["WY-ZZ"], "2026-10", "100.00")
    cash1, cash2 = fee_login(Role.CASHIER, "cash1", "收费员甲"), fee_login(Role.CASHIER, "cash2", "收费员乙")
    p1 = cashier.take_payment(actor=cash1, unit_id=a, amount="300.00", method="现金")
    p2 = cashier.take_payment(actor=cash1, unit_id=a, amount="80.00", method="微信")
    return Desk(clock, estate, a, b, p1, p2, cash1, cash2, fee_login(Role.MANAGER, "boss1", "主管甲"),
                fee_login(Role.MANAGER, "boss2", "主管乙"), fee_login(Role.SERVICE, "desk1", "客服甲"))


def _ask(d: Desk, amount: str = "230.00", *, by=None, unit=None, method: str = "现金", payee: str = "业主甲",
         reason: str = "房屋已出售，退还剩余预存款") -> int:
    return refunds.request_refund(actor=by or d.cash1, unit_id=unit or d.a, amount=amount, method=method,
                                  payee=payee, reason=reason)


def _credit(unit: int) -> Decimal:
    with read_session() as s:
        return ledger.credit_balances(s, [f"U{unit}"]).get(f"U{unit}", D("0.00"))


def _refund_entries() -> list[tuple[int, Decimal, str, int | None]]:
    with read_session() as s:
        return s.execute(select(CreditEntry.payment_id, CreditEntry.amount, CreditEntry.kind, CreditEntry.refund_id)
                         .where(CreditEntry.kind == "退款").order_by(CreditEntry.id)).all()


def _grant(d: Desk, amount: str = "230.00", **kwargs) -> refunds.RefundView:
    req = _ask(d, amount, **kwargs)
    approvals.decide(actor=d.boss1, approval_id=req, approve=True, note="核对无误")
    [row] = [r for r in refunds.account_refunds(actor=d.boss1, unit_id=kwargs.get("unit") or d.a)
             if r.approval_id == req]
    return refunds.refund(actor=d.boss1, refund_id=row.refund_id)


def _ledger_holds() -> None:
    """Credit balance = sum of live entries, never below zero, for every household and every payment's credit."""
    with read_session() as s:
        for household, balance in ledger.credit_balances(s).items():
            assert balance >= 0, household
        for p in s.scalars(select(Payment)):
            left = sum(s.scalars(select(CreditEntry.amount).where(CreditEntry.payment_id == p.id,
                                                                  CreditEntry.voided.is_(False))), D("0.00"))
            assert left >= 0, p.receipt_no


# --- request and grant ----------------------------------------------------------------------------------


def test_a_granted_refund_posts_its_voucher_and_takes_the_oldest_credit_first(desk):
    d = desk
    assert _credit(d.a) == D("280.00")
    req = _ask(d)
    # asked only: nothing moves
    assert _credit(d.a) == D("280.00") and _refund_entries() == []
    [queued] = approvals.list_approvals(actor=d.boss1)
    assert (queued.kind, queued.unit, queued.amount, queued.method, queued.payee) == (
        "退款", "测试小区二 1-1-R00001", D("230.00"), "现金", "业主甲")
    assert [(r.status, r.refund_no, r.amount) for r in refunds.account_refunds(actor=d.cash1, unit_id=d.a)] == [
        ("待审批", "", D("230.00"))]

    d.clock.now = at(2026, 11, 23, 11, 30)
    approvals.decide(actor=d.boss1, approval_id=req, approve=True, note="核对无误")
    [row] = refunds.account_refunds(actor=d.cash1, unit_id=d.a)
    r = refunds.refund(actor=d.cash1, refund_id=row.refund_id)
    assert (r.refund_no, r.status, r.amount, r.method, r.payee) == ("TK2026-000001", "待付款", D("230.00"), "现金",
                                                                    "业主甲")
    assert (r.requester, r.approver, r.approved_at, r.unit_code, r.place) == (
        "收费员甲", "主管甲", at(2026, 11, 23, 11, 30), "测试小区二 1-1-R00001", "房屋")
    assert (r.paid_by, r.paid_at, r.reason) == ("", None, "房屋已出售，退还剩余预存款")
    # 230.00 = all 200.00 left of P1 (the oldest) + 30.00 of P2's 80.00; 50.00 of credit stays
    assert _refund_entries() == [(d.p1.payment_id, D("-200.00"), "退款", r.refund_id),
                                 (d.p2.payment_id, D("-30.00"), "退款", r.refund_id)]
    assert _credit(d.a) == D("50.00")
    assert cashier.account(actor=d.cash1, unit_id=d.a).credit == D("50.00")
    assert get_row(Approval, req).status == "已批准"
    [asked] = audit_rows(action="request")
    [granted] = audit_rows(action="approve")
    assert audit_json(asked)[1]["amount"] == "230.00" and audit_json(asked)[1]["kind"] == "退款"
    assert audit_json(granted)[1]["refund_no"] == "TK2026-000001"
    assert audit_json(granted)[1]["credit_taken"] == {str(d.p1.payment_id): "200.00", str(d.p2.payment_id): "30.00"}
    _ledger_holds()


def test_the_whole_credit_may_be_refunded_and_then_nothing_is_left(desk):
    d = desk
    _grant(d, "280.00")
    assert _credit(d.a) == D("0.00")
    with pytest.raises(ValidationError) as e:
        _ask(d, "0.01")
    assert e.value.errors == {"退款金额": "不能超过该户预存余额 0.00"}
    _ledger_holds()


def test_a_refund_needs_a_manager_other_than_the_requester(desk):
    d = desk
    req = _ask(d, by=d.boss1)
    with pytest.raises(PermissionDenied) as e:
        approvals.decide(actor=d.boss1, approval_id=req, approve=True)
    assert "审批自己提出的申请" in e.value.message
    for not_manager in (d.cash1, d.cash2, d.desk):
        with pytest.raises(PermissionDenied):
            approvals.decide(actor=not_manager, approval_id=req, approve=True)
    assert _refund_entries() == [] and get_row(Approval, req).status == "待审批"
    approvals.decide(actor=d.boss2, approval_id=req, approve=True)
    assert _credit(d.a) == D("50.00")


def test_front_desk_staff_may_ask_for_a_refund(desk):
    d = desk
    req = _ask(d, "10.00", by=d.desk)
    assert get_row(Approval, req).requester_name == "客服甲"
    with pytest.raises(PermissionDenied):
        refunds.request_refund(actor=fee_login(Role.ENGINEER, "eng"), unit_id=d.a, amount="1.00", method="现金",
                               payee="业主甲", reason="测试")


def test_a_refused_refund_changes_nothing_but_the_request(desk):
    d = desk
    req = _ask(d)
    approvals.decide(actor=d.boss1, approval_id=req, approve=False, note="请业主本人来办理")
    assert get_row(Approval, req).status == "已驳回"
    assert _credit(d.a) == D("280.00") and _refund_entries() == []
    assert [r.status for r in refunds.account_refunds(actor=d.cash1, unit_id=d.a)] == ["已驳回"]
    _ask(d, "280.00")  # refused: a new request may be made


def test_every_field_of_a_refund_request_is_checked_at_once_and_nothing_is_written(desk):
    d = desk
    before = db_state()
    with pytest.raises(ValidationError) as e:
        refunds.request_refund(actor=d.cash1, unit_id=d.a, amount="280.01", method="支票", payee="  ", reason=" ")
    assert e.value.errors == {"退款金额": "不能超过该户预存余额 280.00", "退款方式": "应为以下之一：现金、微信、支付宝、银行转账、POS",
                              "领款人": "必填：写明收款的人（业主本人或其委托人）", "原因": "必须写明原因"}
    for amount, message in (("0", "应大于 0"), ("-5", "应大于 0"), ("1.005", "最多两位小数"), ("abc", "应为数字")):
        with pytest.raises(ValidationError) as e:
            _ask(d, amount)
        assert message in e.value.errors["退款金额"], amount
    with pytest.raises(ValidationError) as e:
        _ask(d, "1.00", unit=d.b)  # B has no credit at all
    assert e.value.errors == {"退款金额": "不能超过该户预存余额 0.00"}
    assert db_state() == before


def test_one_refund_waits_per_account(desk):
    d = desk
    _ask(d, "100.00")
    before = db_state()
    with pytest.raises(Conflict) as e:
        _ask(d, "50.00", by=d.cash2)
    assert e.value.message == "该户已有一项待审批的退款申请，请等主管处理后再提"
    assert db_state() == before


def test_credit_spent_after_the_request_is_checked_again_when_granting(desk):
    d = desk
    req = _ask(d, "280.00")
    d.clock.now = at(2026, 12, 1, 2)
    run = fees.run_billing(actor=fee_login(Role.CLERK, "clerk"), period="2026-12")
    # December: 89.50 x 2.2000 = 196.90 for each unit; A's is paid from its credit: 280.00 - 196.90 = 83.10 left
    assert run.credit_used == D("196.90")
    assert _credit(d.a) == D("83.10")
    before = db_state()
    with pytest.raises(Conflict) as e:
        approvals.decide(actor=d.boss1, approval_id=req, approve=True)
    assert e.value.message == ("该户预存余额现为 83.10，不足申请退款的 280.00（申请后预存已被账单抵扣或作废），"
                               "不能批准；请驳回后按现有余额重新申请")
    assert db_state() == before  # no voucher, no number taken, no credit moved; the request still waits
    approvals.decide(actor=d.boss1, approval_id=req, approve=False, note="余额不足")
    assert _grant(d, "83.10").refund_no == "TK2026-000001"  # the refused attempt took no number
    assert _credit(d.a) == D("0.00")
    _ledger_holds()


def test_the_voucher_series_starts_again_each_year(desk):
    d = desk
    d.clock.now = at(2026, 12, 31, 23, 50)
    assert _grant(d, "10.00").refund_no == "TK2026-000001"
    d.clock.now = at(2027, 1, 1, 0, 5)
    assert _grant(d, "10.00").refund_no == "TK2027-000001"
    assert _grant(d, "10.00").refund_no == "TK2027-000002"


def test_a_lease_account_refunds_its_credit(desk):
    d = desk
    lease = make_lease(d.estate, None, date(2026, 1, 1), date(2027, 12, 31), "300.00")
    cashier.take_payment(actor=d.cash1, household=f"L{lease}", amount="120.00", method="现金")  # no bill: credit
    req = refunds.request_refund(actor=d.cash1, household=f"L{lease}", amount="120.00", method="现金",
                                 payee="王车主", reason="退租")
    assert approvals.list_approvals(actor=d.boss1)[0].unit == "测试小区二 B1-001（粤B12345）"
    approvals.decide(actor=d.boss1, approval_id=req, approve=True)
    [row] = refunds.account_refunds(actor=d.cash1, household=f"L{lease}")
    r = refunds.refund(actor=d.cash1, refund_id=row.refund_id)
    assert (r.refund_no, r.place, r.unit_code, r.amount) == ("TK2026-000001", "车位", "测试小区二 B1-001（粤B12345）",
                                                             D("120.00"))
    assert get_row(Refund, r.refund_id).unit_id is None
    assert cashier.account(actor=d.cash1, household=f"L{lease}").credit == D("0.00")


# --- voids and refunds ------------------------------------------------------------------------------------


def test_a_payment_whose_credit_was_refunded_cannot_be_voided(desk):
    d = desk
    _grant(d, "230.00")  # takes 200.00 of P1 and 30.00 of P2
    before = db_state()
    for p in (d.p1, d.p2):
        with pytest.raises(Conflict) as e:
            approvals.request_void(actor=d.cash1, payment_id=p.payment_id, reason="收错")
        assert e.value.message == f"收据 {p.receipt_no} 的预存已退还缴款人（退款单 TK2026-000001），不能作废"
    assert db_state() == before
    # a payment of another account is voided as before
    other = cashier.take_payment(actor=d.cash1, unit_id=d.b, amount="10.00", method="现金")
    req = approvals.request_void(actor=d.cash1, payment_id=other.payment_id, reason="收错房屋")
    approvals.decide(actor=d.boss1, approval_id=req, approve=True)
    assert get_row(Payment, other.payment_id).status == "已作废"
    _ledger_holds()


def test_a_void_asked_for_before_the_refund_is_refused_when_approved_after_it(desk):
    d = desk
    void = approvals.request_void(actor=d.cash1, payment_id=d.p2.payment_id, reason="金额录错")
    _grant(d, "230.00")
    before = db_state()
    with pytest.raises(Conflict) as e:
        approvals.decide(actor=d.boss2, approval_id=void, approve=True)
    assert "已退还缴款人（退款单 TK2026-000001）" in e.value.message
    assert db_state() == before
    assert get_row(Payment, d.p2.payment_id).status == "有效"


def test_a_payment_with_credit_left_cannot_be_voided_while_a_refund_of_its_account_waits(desk):
    d = desk
    _ask(d, "100.00")
    with pytest.raises(Conflict) as e:
        approvals.request_void(actor=d.cash1, payment_id=d.p2.payment_id, reason="金额录错")
    assert e.value.message == ("该户有一项待审批的退款申请，可能退还收据 SJ2026-000002 的预存；"
                               "请先由主管审批或驳回该退款申请，再作废")
    # a payment of the account that left no credit can still be voided
    items = seed_fee_items()
    bill = make_bill(d.a, items["LJ-SP"], "2026-11", "20.00")
    paid = cashier.take_payment(actor=d.cash1, unit_id=d.a, amount="20.00", method="现金", bill_ids=[bill])
    assert paid.credit_added == D("0.00")
    req = approvals.request_void(actor=d.cash1, payment_id=paid.payment_id, reason="收错")
    approvals.decide(actor=d.boss1, approval_id=req, approve=True)
    assert get_row(Payment, paid.payment_id).status == "已作废"


def test_a_voided_payments_credit_is_not_refunded(desk):
    d = desk
    req = approvals.request_void(actor=d.cash1, payment_id=d.p1.payment_id, reason="假币")
    approvals.decide(actor=d.boss1, approval_id=req, approve=True)
    # P1 voided: its 200.00 of credit is gone (and October owes again); only P2's 80.00 is left
    assert _credit(d.a) == D("80.00")
    with pytest.raises(ValidationError):
        _ask(d, "80.01")
    r = _grant(d, "80.00")
    assert _refund_entries() == [(d.p2.payment_id, D("-80.00"), "退款", r.refund_id)]
    _ledger_holds()


# --- payout and the daily settlement ------------------------------------------------------------------------


def test_the_cashier_pays_a_granted_refund_out_once_and_it_counts_in_their_day(desk):
    d = desk
    r = _grant(d, "230.00")
    d.clock.now = at(2026, 11, 23, 15)
    paid = refunds.pay_out(actor=d.cash1, refund_id=r.refund_id)
    assert (paid.status, paid.paid_by, paid.paid_at) == ("已付款", "收费员甲", at(2026, 11, 23, 15))
    with pytest.raises(Conflict) as e:
        refunds.pay_out(actor=d.cash2, refund_id=r.refund_id)
    assert e.value.message == "退款单 TK2026-000001 已于 2026-11-23 15:00 由 收费员甲 付款，不能重复付款"
    for not_cashier in (d.boss1, d.desk):
        with pytest.raises(PermissionDenied):
            refunds.pay_out(actor=not_cashier, refund_id=r.refund_id)
    [row] = audit_rows(action="refund_payout")
    assert (row.entity, int(row.entity_id), row.actor_username) == ("refunds", r.refund_id, "cash1")

    sheet = cashier.settlement_sheet(actor=d.cash1, day=date(2026, 11, 23))
    # received 300.00 cash + 80.00 微信 = 380.00; refunded 230.00 cash: cash to hand over 300.00 - 230.00 = 70.00
    assert (sheet.total, sheet.totals["现金"], sheet.totals["微信"]) == (D("380.00"), D("300.00"), D("80.00"))
    assert (sheet.refunds, sheet.refund_total, sheet.refund_totals["现金"]) == (("TK2026-000001",), D("230.00"),
                                                                               D("230.00"))
    assert sheet.cash_expected == D("70.00")
    # nothing of it in the other cashier's day
    other = cashier.settlement_sheet(actor=d.cash2, day=date(2026, 11, 23))
    assert (other.refunds, other.refund_total, other.cash_expected) == ((), D("0.00"), D("0.00"))

    done = cashier.confirm_settlement(actor=d.cash1, day=date(2026, 11, 23), cash_handed="70.00")
    assert (done.confirmed, done.refunds, done.refund_total, done.cash_expected, done.discrepancy) == (
        True, ("TK2026-000001",), D("230.00"), D("70.00"), D("0.00"))
    frame = fee_reports.settlements(actor=d.boss1, date_from=date(2026, 11, 23), date_to=date(2026, 11, 23))
    row = frame.iloc[0]
    assert (row["收款合计"], row["退款合计"], row["退款单"], row["应交现金"]) == (D("380.00"), D("230.00"),
                                                                      "TK2026-000001", D("70.00"))


def test_a_refund_granted_on_a_settled_day_is_paid_out_on_the_next(desk):
    d = desk
    cashier.confirm_settlement(actor=d.cash1, day=date(2026, 11, 23), cash_handed="300.00")
    r = _grant(d, "50.00", method="微信")  # granting touches no cashier's day
    before = db_state()
    with pytest.raises(Conflict) as e:
        refunds.pay_out(actor=d.cash1, refund_id=r.refund_id)
    assert e.value.message == "今日已日结，不能再办理退款付款；请在下一个工作日付款，或请主管处理"
    assert db_state() == before
    # the settled sheet did not move
    assert cashier.settlement_sheet(actor=d.cash1, day=date(2026, 11, 23)).refunds == ()
    d.clock.now = at(2026, 11, 24, 9)
    refunds.pay_out(actor=d.cash1, refund_id=r.refund_id)
    nxt = cashier.settlement_sheet(actor=d.cash1, day=date(2026, 11, 24))
    # paid by 微信: counted, but the cash to hand over is untouched
    assert (nxt.refunds, nxt.refund_totals["微信"], nxt.cash_expected, nxt.total) == (
        ("TK2026-000001",), D("50.00"), D("0.00"), D("0.00"))


def test_a_day_refunding_more_cash_than_it_took_hands_a_negative_amount_over(desk):
    d = desk
    r = _grant(d, "50.00")
    refunds.pay_out(actor=d.cash2, refund_id=r.refund_id)  # 收费员乙 took no money today
    sheet = cashier.settlement_sheet(actor=d.cash2, day=date(2026, 11, 23))
    # 0.00 cash received - 50.00 cash refunded = -50.00: the clerk gives 50.00 back to the float
    assert (sheet.total, sheet.refund_total, sheet.cash_expected) == (D("0.00"), D("50.00"), D("-50.00"))
    before = db_state()
    with pytest.raises(ValidationError) as e:
        cashier.confirm_settlement(actor=d.cash2, day=date(2026, 11, 23), cash_handed="-50.01")
    assert e.value.errors == {"交款现金": "不能小于 -50.00"}
    with pytest.raises(ValidationError) as e:
        cashier.confirm_settlement(actor=d.cash2, day=date(2026, 11, 23), cash_handed="0")
    assert e.value.errors == {"差异说明": "交款现金与应交现金相差 50.00，请写明原因"}
    assert db_state() == before
    done = cashier.confirm_settlement(actor=d.cash2, day=date(2026, 11, 23), cash_handed="-50.00")
    assert (done.confirmed, done.cash_handed, done.discrepancy) == (True, D("-50.00"), D("0.00"))
    # a day without refunds still takes no negative cash
    with pytest.raises(ValidationError) as e:
        cashier.confirm_settlement(actor=d.cash1, day=date(2026, 11, 23), cash_handed="-0.01")
    assert e.value.errors == {"交款现金": "不能小于 0.00"}


# --- reports and exports ------------------------------------------------------------------------------------


def test_the_reconciliation_credit_balances_with_refunds(desk):
    d = desk
    _grant(d, "230.00")
    nov = fee_reports.reconciliation(actor=d.boss1, period="2026-11")
    # opening 0.00 + 存入 280.00 - 使用 0.00 - 退款 230.00 = 50.00, the balance held
    assert (nov.opening_credit, nov.credit_added, nov.credit_used, nov.credit_refunded, nov.closing_credit) == (
        D("0.00"), D("280.00"), D("0.00"), D("230.00"), D("50.00"))
    assert nov.received == D("380.00")  # money received in the month; a refund is not a negative receipt
    d.clock.now = at(2026, 12, 1, 2)
    fees.run_billing(actor=fee_login(Role.CLERK, "clerk"), period="2026-12")
    d.clock.now = at(2026, 12, 20)
    dec = fee_reports.reconciliation(actor=d.boss1, period="2026-12")
    # December: 50.00 + 0.00 - 50.00 (the December bill met from credit) - 0.00 = 0.00
    assert (dec.opening_credit, dec.credit_added, dec.credit_used, dec.credit_refunded, dec.closing_credit) == (
        D("50.00"), D("0.00"), D("50.00"), D("0.00"), D("0.00"))
    estate = fee_reports.reconciliation(actor=d.boss1, period="2026-11", estate_id=d.estate)
    assert (estate.credit_refunded, estate.closing_credit) == (D("230.00"), D("50.00"))


def test_refunds_export_as_a_table(desk):
    d = desk
    _grant(d, "230.00")
    text = system.export_table("refunds", "csv").decode("utf-8-sig")
    assert "refund_no" in text and "TK2026-000001" in text and "230.00" in text and "业主甲" in text
    assert "refunds" in system.EXPORT_NAMES


# --- at the same moment ------------------------------------------------------------------------------------------


def test_refunds_granted_at_once_take_gapless_voucher_numbers(desk):
    """Four managers grant five refunds each at the same moment (one account each): TK2026-000001..000020."""
    d = desk
    accounts = [u for u in bulk_units(d.estate, get_row(Unit, d.a).building_id, 20, start=100) if u not in (d.a, d.b)]
    assert len(accounts) == 20
    requests = []
    for unit in accounts:
        cashier.take_payment(actor=d.cash2, unit_id=unit, amount="15.00", method="现金")
        requests.append(_ask(d, "12.34", unit=unit, by=d.cash2))
    bosses = [d.boss1, d.boss2, fee_login(Role.MANAGER, "boss3"), fee_login(Role.MANAGER, "boss4")]
    start = threading.Barrier(len(bosses))
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait(timeout=30)
            for req in requests[i::len(bosses)]:
                approvals.decide(actor=bosses[i], approval_id=req, approve=True)
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(bosses))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert errors == [] and not any(t.is_alive() for t in threads)
    with read_session() as s:
        numbers = sorted(s.scalars(select(Refund.refund_no)))
        assert numbers == [f"TK2026-{n:06d}" for n in range(1, 21)]
        # each account: 15.00 - 12.34 = 2.66 left
        balances = ledger.credit_balances(s, [f"U{u}" for u in accounts])
    assert set(balances.values()) == {D("2.66")}
    _ledger_holds()


def test_a_refund_granted_while_a_billing_run_spends_the_same_credit_never_overdraws_it(desk, monkeypatch):
    """A manager grants a 280.00 refund (all of A's credit) while the December run pays A's new 196.90 bill from the
    same credit. Both read the credit at the same point (`ledger._credit_by_payment`), held there together unless
    its payment locks make one wait for the other. Either the run spends first and the refund is refused (83.10
    is left), or the refund takes all 280.00 and the run finds none; never both (which would leave -196.90)."""
    d = desk
    req = _ask(d, "280.00")
    d.clock.now = at(2026, 12, 1, 2)
    meet_after(monkeypatch, ledger, "_credit_by_payment")
    clerk = fee_login(Role.CLERK, "clerk")
    results = run_both(lambda: approvals.decide(actor=d.boss1, approval_id=req, approve=True),
                       lambda: fees.run_billing(actor=clerk, period="2026-12"))
    granted, run = results
    assert isinstance(run, fees.BillingResult), run
    if isinstance(granted, Conflict):  # the run spent 196.90 first
        assert (run.credit_used, _credit(d.a), _refund_entries()) == (D("196.90"), D("83.10"), [])
    else:  # the refund took everything first; the December bill stays unpaid
        assert granted is None, granted
        assert (run.credit_used, _credit(d.a)) == (D("0.00"), D("0.00"))
        assert sum((e[1] for e in _refund_entries()), D("0.00")) == D("-280.00")
    _ledger_holds()


def test_a_void_and_a_refund_of_the_same_payment_granted_at_once_never_both_happen(desk, monkeypatch):
    """The void of P1 and a refund needing P1's credit are granted at the same moment. The void is refused (the
    refund still waits, or has taken P1's credit) or the refund finds P1 voided; never both."""
    d = desk
    void = approvals.request_void(actor=d.cash1, payment_id=d.p1.payment_id, reason="假币")
    refund_req = _ask(d, "150.00", by=d.cash2)  # P1's credit is needed: P2 has only 80.00
    meet_after(monkeypatch, ledger, "_credit_by_payment")
    results = run_both(lambda: approvals.decide(actor=d.boss1, approval_id=void, approve=True),
                       lambda: approvals.decide(actor=d.boss2, approval_id=refund_req, approve=True))
    assert sorted(type(r).__name__ for r in results) == ["Conflict", "NoneType"], results
    voided = get_row(Payment, d.p1.payment_id).status == "已作废"
    refunded = _refund_entries()
    assert voided != bool(refunded)
    if not voided:  # the refund took 150.00 of P1's 200.00
        assert refunded == [(d.p1.payment_id, D("-150.00"), "退款", refunded[0][3])]
    _ledger_holds()
