"""Refunds 退款 of prepaid credit 预存: asked for at the counter, granted by a manager, paid out by a cashier.

Invariants:
- a refund pays back credit only: an amount > 0 with at most two decimals, at most the account's credit balance
  when asked for and again when granted (credit may have been spent by a bill since); otherwise it is refused
  naming the field and the rule, and nothing is written;
- one refund request waits per account at a time; the requester never grants their own (`approvals.decide`);
- granting posts the 退款单 in the same transaction: its number TK<year>-NNNNNN comes from its own counter (year of
  the grant in Shanghai: unique, without gaps) and its money from negative credit entries of kind 退款, taken
  from each still valid payment's remaining credit, oldest payment first, under the payment locks a billing run
  spending credit and a void also take (`ledger.credit_left`), so none of them can spend the same credit twice;
- a payment whose credit was refunded, or whose account has a refund waiting while the payment still has credit,
  cannot be voided: the money went (or is about to go) back to the payer;
- the money is handed over 付款 by a cashier (fees.collect), once; the payee signs the printed 退款单. The refund
  counts in that cashier's 日结 of the day it was paid out (totals by method; a cash refund lowers the cash to
  hand over), and a settled day takes no more payouts, as it takes no more payments. Granting a refund touches
  no cashier's day: between grant and payout the credit is already gone and the refund is 待付款;
- every step writes its audit row in its own transaction: request, grant or refusal, payout.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Approval, Refund
from db.types import utcnow
from services.fees import cashier, documents, ledger
from services.fees.accounts import account_holder, account_key, scoped_holder
from services.fees.statuses import ApprovalStatus
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import to_local
from services.platform.counters import advance
from services.platform.errors import Conflict, NotFound, ValidationError
from services.platform.settings import get_setting
from services.platform.validate import FieldError, collect, parse_choice, parse_text

KIND = "退款"
PREFIX = "TK"
TO_PAY, PAID = "待付款", "已付款"


def _may_request(actor: Actor) -> None:
    if not (can(actor, "fees.collect") or can(actor, "fees.request")):
        require(actor, "fees.request")


def request_refund(*, actor: Actor, unit_id: int | None = None, household: str | None = None, amount: object,
                   method: str, payee: str, reason: str) -> int:
    """Ask a manager to pay part or all of an account's prepaid credit back (退款); returns the request id."""
    _may_request(actor)
    household = account_key(unit_id, household)
    errors: dict[str, str] = {}
    value = None
    try:
        value = cashier.parse_amount(amount, "退款金额")
    except ValidationError as exc:
        errors.update(exc.errors)
    method = collect(errors, "退款方式", method, lambda v: parse_choice(v, cashier.METHODS)) or ""
    try:
        payee = parse_text(payee, max_len=64)
        if not payee:
            errors["领款人"] = "必填：写明收款的人（业主本人或其委托人）"
    except FieldError as exc:
        errors["领款人"] = str(exc)
    try:
        text = cashier.required_reason(reason)
    except ValidationError as exc:
        errors.update(exc.errors)
    with unit_of_work() as uow:
        s = uow.session
        holder = scoped_holder(s, actor, household)
        balance = ledger.credit_balances(s, [household]).get(household, ledger.ZERO)
        if value is not None and value > balance:
            errors["退款金额"] = f"不能超过该户预存余额 {balance}"
        if errors:
            raise ValidationError(errors)
        if s.scalar(select(Approval.id).where(Approval.kind == KIND, Approval.household == household,
                                              Approval.status == ApprovalStatus.PENDING)):
            raise Conflict("该户已有一项待审批的退款申请，请等主管处理后再提")
        req = Approval(kind=KIND, household=household, amount=value, method=method, payee_name=payee, reason=text,
                       requested_by=actor.user_id, requester_name=actor.display_name, requested_at=utcnow())
        s.add(req)
        s.flush()
        audit.record(s, actor, "request", "approvals", req.id, None,
                     {"kind": KIND, "household": household, "account": holder.label, "amount": value,
                      "method": method, "payee": payee, "reason": text, "credit": balance})
        uow.commit()
        return req.id


def grant(session: Session, req: Approval, actor: Actor, now: datetime) -> dict[str, Any]:
    """Post the 退款单 of a granted request and take its credit (inside `approvals.decide`'s transaction)."""
    # a refund request always names its account and amount (request_refund)
    assert req.household is not None and req.amount is not None
    holder = account_holder(session, req.household)
    year = to_local(now).year
    # The series' counter row first: grants queue on it before they lock any credit, so two grants of different
    # accounts never hold gap locks on the credit ledger in opposite orders (a MariaDB deadlock). A refusal
    # below rolls the number back with everything else.
    number = advance(session, f"refund:{PREFIX}{year}")
    credit = ledger.credit_left(session, req.household)
    available = sum((left for _, left in credit), ledger.ZERO)
    if req.amount > available:
        raise Conflict(f"该户预存余额现为 {available}，不足申请退款的 {req.amount}（申请后预存已被账单抵扣或作废），"
                       f"不能批准；请驳回后按现有余额重新申请")
    refund = Refund(refund_no=f"{PREFIX}{year}-{number:06d}", approval_id=req.id, household=req.household,
                    unit_id=holder.unit_id if holder.lease_id is None else None, payee_name=req.payee_name or "",
                    amount=req.amount, method=req.method or "", reason=req.reason, requested_by=req.requested_by,
                    requester_name=req.requester_name, approved_by=actor.user_id, approver_name=actor.display_name,
                    approved_at=now, status=TO_PAY)
    session.add(refund)
    session.flush()
    taken = ledger.refund_credit(session, req.household, credit, req.amount, at=now, refund_id=refund.id)
    return {"refund_no": refund.refund_no, "household": req.household, "amount": req.amount,
            "method": refund.method, "payee": refund.payee_name, "credit_taken": dict(taken)}


@dataclass(frozen=True)
class RefundView:
    """A posted 退款单 (for the screen and the PDF)."""

    refund_id: int
    version: int
    refund_no: str
    household: str
    unit_code: str  # the account's label: unit code, or parking space and plate
    place: str  # 房屋 / 车位
    payee: str
    amount: Decimal
    method: str
    reason: str
    requester: str
    approver: str
    approved_at: datetime
    status: str  # 待付款 / 已付款
    paid_by: str
    paid_at: datetime | None


def _view(session: Session, r: Refund) -> RefundView:
    holder = account_holder(session, r.household)
    return RefundView(r.id, r.version, r.refund_no, r.household, holder.label, holder.place, r.payee_name, r.amount,
                      r.method, r.reason, r.requester_name, r.approver_name, r.approved_at, r.status, r.paid_by_name,
                      r.paid_at)


def refund(*, actor: Actor, refund_id: int) -> RefundView:
    """One 退款单 as posted (paid out or not)."""
    require(actor, "fees.view")
    with read_session() as s:
        r = s.get(Refund, refund_id)
        if r is None:
            raise NotFound("没有这张退款单")
        scoped_holder(s, actor, r.household, "没有这张退款单")
        return _view(s, r)


def pay_out(*, actor: Actor, refund_id: int) -> RefundView:
    """The cashier hands a granted refund's money to the payee (付款): recorded once, in the cashier's day."""
    require(actor, "fees.collect")
    if actor.user_id is None:
        raise ValidationError({"收费员": "退款付款须由收费员本人在收银台办理"})
    now = utcnow()
    today = to_local(now).date()
    with unit_of_work() as uow:
        s = uow.session
        cashier.lock_cashier_day(s, actor.user_id, today)  # first, as a payment: the day's 日结 waits or refuses us
        if cashier.day_settled(s, actor.user_id, today):
            raise Conflict("今日已日结，不能再办理退款付款；请在下一个工作日付款，或请主管处理")
        r = s.get(Refund, refund_id, with_for_update=True)
        if r is None:
            raise NotFound("没有这张退款单")
        scoped_holder(s, actor, r.household, "没有这张退款单")
        if r.status == PAID:
            paid_at = cast(datetime, r.paid_at)  # set with the status 已付款
            raise Conflict(f"退款单 {r.refund_no} 已于 {to_local(paid_at):%Y-%m-%d %H:%M} 由 {r.paid_by_name} 付款，"
                           f"不能重复付款")
        r.status, r.paid_by, r.paid_by_name, r.paid_at = PAID, actor.user_id, actor.display_name, now
        s.flush()
        audit.record(s, actor, "refund_payout", "refunds", r.id, {"status": TO_PAY},
                     {"status": PAID, "refund_no": r.refund_no, "amount": r.amount, "method": r.method,
                      "payee": r.payee_name})
        uow.commit()
    return refund(actor=actor, refund_id=refund_id)


@dataclass(frozen=True)
class RefundRow:
    """One refund request of an account and, once granted, its 退款单."""

    approval_id: int
    refund_id: int | None
    refund_no: str
    amount: Decimal
    method: str
    payee: str
    reason: str
    status: str  # 待审批 / 已驳回 / 待付款 / 已付款
    requester: str
    requested_at: datetime
    approver: str
    paid_by: str
    paid_at: datetime | None
    decided_at: datetime | None = None  # when the request was granted or refused


def account_refunds(*, actor: Actor, unit_id: int | None = None, household: str | None = None,
                    limit: int = 20) -> list[RefundRow]:
    """An account's refund requests, newest first: waiting, refused, granted (to pay out) and paid out."""
    require(actor, "fees.view")
    household = account_key(unit_id, household)
    with read_session() as s:
        scoped_holder(s, actor, household)
        rows = s.execute(select(Approval, Refund).outerjoin(Refund, Refund.approval_id == Approval.id)
                         .where(Approval.kind == KIND, Approval.household == household)
                         .order_by(Approval.requested_at.desc(), Approval.id.desc()).limit(limit)).all()
        # a.amount: a refund request always has one (request_refund)
        return [RefundRow(a.id, r.id if r else None, r.refund_no if r else "", cast(Decimal, a.amount),
                          a.method or "", a.payee_name or "", a.reason, r.status if r else a.status,
                          a.requester_name,
                          to_local(a.requested_at), a.decider_name, r.paid_by_name if r else "",
                          to_local(r.paid_at) if r and r.paid_at else None,
                          to_local(a.decided_at) if a.decided_at else None) for a, r in rows]


def pending_household_refund(session: Session, household: str) -> int | None:
    """The waiting refund request of an account, if any (a void of a payment with credit left waits for it)."""
    return session.scalar(select(Approval.id).where(Approval.kind == KIND, Approval.household == household,
                                                    Approval.status == ApprovalStatus.PENDING))


def refund_doc(r: RefundView, company: str) -> documents.RefundDoc:
    """The printed form of a 退款单 (before payout the cashier and time are blank lines to fill in by hand)."""
    return documents.RefundDoc(
        company=company, refund_no=r.refund_no, approved_at=r.approved_at, payee=r.payee, unit_code=r.unit_code,
        amount=r.amount, method=r.method, reason=r.reason, requester=r.requester, approver=r.approver,
        cashier=r.paid_by if r.paid_at else "", paid_at=r.paid_at, place=r.place,
    )


def refund_pdf(*, actor: Actor, refund_id: int) -> bytes:
    """The 退款单 as a PDF for the payee to sign."""
    return documents.refund_pdf(refund_doc(refund(actor=actor, refund_id=refund_id), get_setting("company_name")))
