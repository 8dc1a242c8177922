"""Approvals 审批: requests to void a receipt 作废, waive part of a bill 减免, cancel a bill 取消账单 or refund
prepaid credit 退款, and a manager's decision on them.

Invariants:
- nothing posted changes until a manager other than the requester grants the request; granting applies it in
  the same transaction as the decision (a refund through services/fees/refunds.py);
- one request waits per receipt, per bill and (for refunds) per account;
- a void keeps the receipt number and takes the payment's money off every bill it reached, including bills paid
  from its credit; a payment whose credit was refunded, or is about to be (a refund of its account waits while
  it has credit left), cannot be voided.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Integer, Select, case, func, select, true
from sqlalchemy import cast as sql_cast
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Approval, Bill, CreditEntry, FeeItem, Payment, Refund
from db.types import utcnow
from services.fees import ledger, refunds
from services.fees.accounts import holder_labels, scoped_holder
from services.fees.cashier import parse_amount, required_reason
from services.fees.figures import account_clause
from services.fees.statuses import ApprovalStatus, PaymentStatus
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import to_local
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.platform.validate import FieldError, parse_text

APPROVAL_KINDS = ("作废收据", "减免", "取消账单", "退款")


def _no_pending(session: Session, **target: object) -> None:
    key, value = next(iter(target.items()))
    if session.scalar(select(Approval.id).where(getattr(Approval, key) == value, Approval.status == ApprovalStatus.PENDING)):
        raise Conflict("已有一项待审批的申请，请等主管处理后再提")


def request_void(*, actor: Actor, payment_id: int, reason: str) -> int:
    """Ask a manager to void a receipt (作废); nothing changes until it is approved."""
    if not (can(actor, "fees.collect") or can(actor, "fees.request")):
        require(actor, "fees.request")
    text = required_reason(reason)
    with unit_of_work() as uow:
        s = uow.session
        p = s.get(Payment, payment_id)
        if p is None:
            raise NotFound("没有这张收据")
        scoped_holder(s, actor, p.household, "没有这张收据")
        if p.status == PaymentStatus.VOIDED:
            raise Conflict(f"收据 {p.receipt_no} 已作废，不能重复作废")
        _refund_blocks_void(s, p)
        _no_pending(s, payment_id=payment_id)
        req = Approval(kind="作废收据", payment_id=p.id, amount=p.amount, reason=text, requested_by=actor.user_id,
                       requester_name=actor.display_name, requested_at=utcnow())
        s.add(req)
        s.flush()
        audit.record(s, actor, "request", "approvals", req.id, None,
                     {"kind": req.kind, "receipt_no": p.receipt_no, "reason": text})
        uow.commit()
        return req.id


def _refund_blocks_void(session: Session, p: Payment) -> None:
    """Refuse to void a payment whose credit went back to the payer (or is about to): the money left the counter,
    so the void would make it vanish from the books. Locking reads: a refund granted meanwhile is seen."""
    # entries of kind 退款 always name their refund (ledger.refund_credit): no None among the ids
    refund_ids = sorted(cast(set[int], set(session.scalars(select(CreditEntry.refund_id).where(
        CreditEntry.payment_id == p.id, CreditEntry.kind == "退款", CreditEntry.voided.is_(False))
        .with_for_update()))))
    if refund_ids:
        numbers = "、".join(session.scalars(select(Refund.refund_no).where(Refund.id.in_(refund_ids))
                                           .order_by(Refund.refund_no)))
        raise Conflict(f"收据 {p.receipt_no} 的预存已退还缴款人（退款单 {numbers}），不能作废")
    if p.credit_added <= 0:
        return
    waiting = session.scalar(select(Approval.id).where(Approval.kind == "退款", Approval.household == p.household,
                                                       Approval.status == ApprovalStatus.PENDING))
    left = sum(session.scalars(select(CreditEntry.amount).where(CreditEntry.payment_id == p.id,
                                                                CreditEntry.voided.is_(False))), ledger.ZERO)
    if waiting and left > 0:
        raise Conflict(f"该户有一项待审批的退款申请，可能退还收据 {p.receipt_no} 的预存；请先由主管审批或驳回该退款申请，再作废")


def request_waiver(*, actor: Actor, bill_id: int, amount: object, reason: str) -> int:
    """Ask a manager to waive part or all of a bill (减免); never applied by the requester alone."""
    require(actor, "fees.request")
    value = parse_amount(amount, "减免金额")
    text = required_reason(reason)
    with unit_of_work() as uow:
        s = uow.session
        bill = s.get(Bill, bill_id)
        if bill is None:
            raise NotFound("没有这笔账单")
        scoped_holder(s, actor, bill.household, "没有这笔账单")
        if bill.status not in ledger.OPEN_STATUSES:
            raise Conflict(f"账单状态为“{bill.status}”，不能减免")
        if value > ledger.outstanding(bill):
            raise ValidationError({"减免金额": f"不能超过未缴金额 {ledger.outstanding(bill)}"})
        _no_pending(s, bill_id=bill_id)
        req = Approval(kind="减免", bill_id=bill.id, amount=value, reason=text, requested_by=actor.user_id,
                       requester_name=actor.display_name, requested_at=utcnow())
        s.add(req)
        s.flush()
        audit.record(s, actor, "request", "approvals", req.id, None,
                     {"kind": req.kind, "bill_id": bill.id, "amount": value, "reason": text})
        uow.commit()
        return req.id


def request_cancel(*, actor: Actor, bill_id: int, reason: str) -> int:
    """Ask a manager to cancel a bill raised in error (取消账单); a bill with money on it cannot be cancelled."""
    require(actor, "fees.request")
    text = required_reason(reason)
    with unit_of_work() as uow:
        s = uow.session
        bill = s.get(Bill, bill_id)
        if bill is None:
            raise NotFound("没有这笔账单")
        scoped_holder(s, actor, bill.household, "没有这笔账单")
        if bill.status == ledger.CANCELLED:
            raise Conflict("账单已取消")
        if bill.paid > 0:
            raise Conflict("账单已有收款，请先作废相关收据再取消")
        _no_pending(s, bill_id=bill_id)
        req = Approval(kind="取消账单", bill_id=bill.id, amount=bill.amount, reason=text,
                       requested_by=actor.user_id, requester_name=actor.display_name, requested_at=utcnow())
        s.add(req)
        s.flush()
        audit.record(s, actor, "request", "approvals", req.id, None,
                     {"kind": req.kind, "bill_id": bill.id, "reason": text})
        uow.commit()
        return req.id


def decide(*, actor: Actor, approval_id: int, approve: bool, note: str = "") -> None:
    """A manager grants or refuses a request; granting applies it in the same transaction."""
    require(actor, "fees.approve")
    try:
        note = parse_text(note, max_len=200)
    except FieldError as exc:
        raise ValidationError({"审批意见": str(exc)}) from exc
    now = utcnow()
    with unit_of_work() as uow:
        s = uow.session
        req = s.get(Approval, approval_id, with_for_update=True)
        if req is None:
            raise NotFound("没有这项申请")
        if actor.estate_ids is not None:  # read only for a scoped actor: see _household_of
            scoped_holder(s, actor, _household_of(s, req), "没有这项申请")
        if req.status != ApprovalStatus.PENDING:
            raise Conflict(f"该申请已{req.status}，不能重复审批")
        if req.requested_by is not None and req.requested_by == actor.user_id:
            raise PermissionDenied("审批自己提出的申请（须由另一位主管审批）")
        after: dict[str, Any] = {"kind": req.kind}
        if approve:
            after.update(_apply(s, req, actor, now))
        req.status = ApprovalStatus.APPROVED if approve else ApprovalStatus.REFUSED
        req.decided_by = actor.user_id
        req.decider_name = actor.display_name
        req.decided_at = now
        req.decision_note = note
        s.flush()
        audit.record(s, actor, "approve" if approve else "refuse", "approvals", req.id,
                     {"status": ApprovalStatus.PENDING}, {"status": req.status, **after, "note": note})
        uow.commit()


def _household_of(session: Session, req: Approval) -> str:
    """The account a request is about: a refund's own, a void's payment's, a waiver's or cancellation's bill's.

    Reads the column, not the row: a Payment or Bill loaded here would stay in the session unrefreshed when the
    decision later locks it FOR UPDATE, and on MariaDB it would keep what it held before a concurrent billing run
    spent the payment's credit (the void would then leave that money behind)."""
    if req.household:
        return req.household
    if req.payment_id is not None:
        return cast(str, session.scalar(select(Payment.household).where(Payment.id == req.payment_id)))
    return cast(str, session.scalar(select(Bill.household).where(Bill.id == req.bill_id)))


_Stmt = TypeVar("_Stmt", bound=Select[*tuple[Any, ...]])


def _in_scope(session: Session, actor: Actor, stmt: _Stmt) -> _Stmt:
    """Requests of accounts in the actor's estates only: `stmt` selects from Approval, outer-joined here to the
    payment and bill it names (a refund request names its account itself)."""
    if actor.estate_ids is None:
        return stmt
    household = func.coalesce(Approval.household, Payment.household, Bill.household)
    unit_id: ColumnElement[int | None] = func.coalesce(
        Payment.unit_id, Bill.unit_id,
        case((Approval.household.like("U%"), sql_cast(func.substr(Approval.household, 2), Integer)), else_=None))
    return stmt.where(account_clause(session, actor, unit_id=unit_id, household=household))


def _apply(session: Session, req: Approval, actor: Actor, now: datetime) -> dict[str, Any]:
    if req.kind == "退款":
        return refunds.grant(session, req, actor, now)
    if req.kind == "作废收据":
        # a void request names its payment (a foreign key): the row exists
        p = cast(Payment, session.get(Payment, req.payment_id, with_for_update=True))
        if p.status == PaymentStatus.VOIDED:
            raise Conflict(f"收据 {p.receipt_no} 已作废，不能重复作废")
        _refund_blocks_void(session, p)
        reversed_amount, bill_ids = ledger.reverse_payment(session, p.id)
        p.status = PaymentStatus.VOIDED
        p.voided_at = now
        p.void_reason = req.reason
        p.void_approved_by = actor.display_name
        return {"receipt_no": p.receipt_no, "reversed": reversed_amount, "bills": bill_ids}
    # a waiver or cancellation request names its bill (a foreign key): the row exists
    bill = cast(Bill, session.get(Bill, req.bill_id, with_for_update=True))
    if req.kind == "减免":
        assert req.amount is not None  # a waiver request always has its amount (request_waiver)
        if bill.status not in ledger.OPEN_STATUSES or req.amount > ledger.outstanding(bill):
            raise Conflict(f"账单现未缴 {ledger.outstanding(bill)}，少于申请减免的 {req.amount}，请驳回后重新申请")
        bill.waived += req.amount
        ledger.settle_status(bill)
        return {"bill_id": bill.id, "waived": req.amount}
    if bill.paid > 0:
        raise Conflict("账单已有收款，请先作废相关收据再取消")
    bill.status = ledger.CANCELLED
    return {"bill_id": bill.id, "cancelled": bill.amount}


@dataclass(frozen=True)
class ApprovalView:
    """One request as the approval queue and the history show it."""

    id: int
    kind: str
    receipt_no: str  # the receipt to void, or the 退款单 of a granted refund
    bill: str  # "物业服务费 2026-10" for a waiver or cancellation
    unit: str  # the account's label
    amount: Decimal
    reason: str
    method: str  # a refund's payout method
    payee: str  # a refund's payee
    household: str
    requester: str
    requested_at: datetime
    status: str
    decider: str | None
    decision_note: str | None
    decided_at: datetime | None
    requested_by: int | None

    @property
    def target(self) -> str:
        return self.receipt_no or self.bill


def pending_count(*, actor: Actor) -> int:
    """Requests (voids, waivers, cancellations, refunds) waiting for a manager's decision."""
    require(actor, "fees.view")
    with read_session() as s:
        stmt = (select(func.count()).select_from(Approval).outerjoin(Payment, Payment.id == Approval.payment_id)
                .outerjoin(Bill, Bill.id == Approval.bill_id).where(Approval.status == ApprovalStatus.PENDING))
        return int(s.scalar(_in_scope(s, actor, stmt)) or 0)


def list_approvals(*, actor: Actor, status: str = ApprovalStatus.PENDING, requested_by: int | None = None
                   ) -> list[ApprovalView]:
    """Requests for the manager's queue (or the history, or one requester's own), newest first."""
    require(actor, "fees.view")
    with read_session() as s:
        stmt = (select(Approval, Payment.receipt_no, Bill.period, FeeItem.name, Payment.household, Bill.household,
                       Refund.refund_no)
                .outerjoin(Payment, Payment.id == Approval.payment_id).outerjoin(Bill, Bill.id == Approval.bill_id)
                .outerjoin(FeeItem, FeeItem.id == Bill.fee_item_id)
                .outerjoin(Refund, Refund.approval_id == Approval.id)
                .where(Approval.status == status if status else true())
                .order_by(Approval.requested_at.desc(), Approval.id.desc()).limit(500))
        if requested_by is not None:
            stmt = stmt.where(Approval.requested_by == requested_by)
        rows = s.execute(_in_scope(s, actor, stmt)).all()
        households = {a.household or ph or bh for a, _, _, _, ph, bh, _ in rows}
        labels = holder_labels(s, {h for h in households if h})
        # amount: every kind of request records one (request_void, _waiver, _cancel, refunds.request_refund)
        return [ApprovalView(
            id=a.id, kind=a.kind, receipt_no=no or refund_no or "", bill=f"{item} {period}" if item else "",
            unit=labels.get(a.household or ph or bh, ""), amount=cast(Decimal, a.amount), reason=a.reason,
            method=a.method or "",
            payee=a.payee_name or "", household=a.household or ph or bh or "", requester=a.requester_name,
            requested_at=to_local(a.requested_at), status=a.status, decider=a.decider_name,
            decision_note=a.decision_note, decided_at=to_local(a.decided_at) if a.decided_at else None,
            requested_by=a.requested_by) for a, no, period, item, ph, bh, refund_no in rows]
