"""The cashier counter 收银台: accounts, payments with receipts, approvals (void, waiver, cancel), 日结.

An account 户 is a unit's ("U<unit id>") or, for a parking lease without a unit, the lease's own ("L<lease id>");
every function taking `unit_id` also takes `household` instead. A lease account's receipts name the parking space
and plate where a unit's name the unit.

Invariants:
- a payment and its receipt number (SJ2026-000123: series per calendar year) are written in one
  transaction; the number comes from a locked counter, so numbers are unique and without gaps;
- money meets bills oldest first, or the bills the cashier picked; what is beyond the owed amount
  becomes prepaid credit 预存; no cent appears or vanishes (ledger invariants);
- a posted payment is never edited or deleted; voiding 作废, waiving 减免, cancelling a bill 取消账单 and
  refunding credit 退款 are requests a manager other than the requester approves (services/fees/approvals.py,
  services/fees/refunds.py);
- a cashier settles only their own day 日结; once settled, that day takes no more payments (nor refund payouts).
  The sheet counts the day's valid payments by method and the refunds the cashier paid out that day; the cash to
  hand over is the cash received less the cash refunded. A payment and the
  confirmation of its day take turns on the cashier-day lock (`lock_cashier_day`), and the confirmed sheet is
  read inside the confirming transaction, so no payment of a settled day is missing from its sheet.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import (
    ColumnElement,
    Exists,
    SQLColumnExpression,
    and_,
    case,
    exists,
    false,
    func,
    or_,
    select,
    true,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import (
    Allocation,
    Approval,
    Bill,
    CreditEntry,
    FeeItem,
    Payment,
    Refund,
    Settlement,
    User,
)
from db.types import utcnow
from services.fees import documents, ledger
from services.fees import figures as fee_figures
from services.fees.accounts import AccountKey, account_key, scoped_holder
from services.fees.statuses import ApprovalStatus, PaymentStatus
from services.platform import audit
from services.platform.auth import Actor, Role, require, role_can
from services.platform.clock import SHANGHAI, local_today, to_local
from services.platform.counters import advance
from services.platform.errors import Conflict, NotFound, PermissionDenied, ValidationError
from services.platform.settings import get_setting
from services.platform.validate import (
    FieldError,
    collect,
    collect_text,
    parse_choice,
    parse_hundredths,
    parse_text,
)

METHODS = ("现金", "微信", "支付宝", "银行转账", "POS")
RECEIPT_PREFIX = "SJ"
MAX_PAYMENT = Decimal("10000000.00")


@dataclass(frozen=True)
class BillLine:
    id: int
    item: str
    period: str
    amount: Decimal
    waived: Decimal
    paid: Decimal
    outstanding: Decimal
    due_on: date
    status: str
    pending: str  # a request waiting for a manager, if any


@dataclass(frozen=True)
class Account:
    household: str
    unit_id: int | None
    unit_code: str  # the holder's label: the unit code, or the parking space and plate of a lease
    payer_name: str
    bills: tuple[BillLine, ...]
    owed: Decimal
    credit: Decimal
    lease_id: int | None = None  # set for the account of a parking lease without a unit
    place: str = "房屋"  # 房屋 / 车位


def _pending_requests(session: Session, bill_ids: Sequence[int]) -> dict[int, str]:
    if not bill_ids:
        return {}
    rows = session.execute(select(Approval.bill_id, Approval.kind).where(
        Approval.bill_id.in_(list(bill_ids)), Approval.status == ApprovalStatus.PENDING)).all()
    return dict(cast(Sequence[tuple[int, str]], rows))  # bill_id is not None: selected by bill_id IN (...)


def account(*, actor: Actor, unit_id: int | None = None, household: str | None = None) -> Account:
    """Everything an account owes, by item and month, oldest first, with its prepaid credit: a unit's account
    (`unit_id`, or household "U<id>"), or the account "L<id>" of a parking lease without a unit."""
    require(actor, "fees.view")
    key = AccountKey.of(unit_id, household)
    household = str(key)
    with read_session() as s:
        holder = scoped_holder(s, actor, key)
        rows = s.execute(select(Bill, FeeItem.name).join(FeeItem, FeeItem.id == Bill.fee_item_id)
                         .where(Bill.household == household, Bill.status.in_(ledger.OPEN_STATUSES))
                         .order_by(*ledger.OLDEST_FIRST)).all()
        pending = _pending_requests(s, [b.id for b, _ in rows])
        lines = tuple(BillLine(b.id, name, b.period, b.amount, b.waived, b.paid, ledger.outstanding(b), b.due_on,
                               b.status, pending.get(b.id, "")) for b, name in rows)
        payer = next((b.payer_name for b, _ in rows if b.payer_name), "")
        if not payer:
            payer = s.scalar(select(Bill.payer_name).where(Bill.household == household, Bill.payer_name != "")
                             .order_by(Bill.id.desc()).limit(1)) or holder.payer_name
        credit = ledger.credit_balances(s, [household]).get(household, ledger.ZERO)
    return Account(household, holder.unit_id if holder.lease_id is None else None, holder.label, payer, lines,
                   sum((b.outstanding for b in lines), ledger.ZERO), credit, holder.lease_id, holder.place)


@dataclass(frozen=True)
class ReceiptLine:
    item: str
    period: str
    amount: Decimal


@dataclass(frozen=True)
class Receipt:
    payment_id: int
    version: int
    receipt_no: str
    received_at: datetime
    payer_name: str
    unit_code: str
    method: str
    amount: Decimal
    credit_added: Decimal
    lines: tuple[ReceiptLine, ...]
    cashier: str
    status: str
    void_reason: str
    note: str
    place: str = "房屋"  # what unit_code names: 房屋, or 车位 for a lease account


def parse_amount(raw: object, label: str = "金额") -> Decimal:
    """A payment amount: a positive number of yuan with at most two decimals."""
    try:
        value = parse_hundredths(raw, max_value=MAX_PAYMENT)
    except FieldError as exc:
        raise ValidationError({label: str(exc)}) from exc
    if value <= 0:
        raise ValidationError({label: "应大于 0"})
    return value


def day_settled(session: Session, user_id: int | None, day: date) -> bool:
    if user_id is None:
        return False
    return session.scalar(select(Settlement.id).where(Settlement.cashier_user_id == user_id,
                                                      Settlement.day == day)) is not None


UNSETTLED_LOOKBACK_DAYS = 62


def unsettled_days(*, actor: Actor, today: date | None = None) -> list[date]:
    """The actor's days before today with payments taken and no 日结 confirmed, oldest first (two months back: an
    older gap is an audit matter, not today's work)."""
    require(actor, "fees.view")
    today = today or local_today()
    if actor.user_id is None:
        return []
    first = today - timedelta(days=UNSETTLED_LOOKBACK_DAYS)
    with read_session() as s:
        settled = set(s.scalars(select(Settlement.day).where(Settlement.cashier_user_id == actor.user_id,
                                                             Settlement.day >= first, Settlement.day < today)))
        # the days left are few (a cashier settles each working day): one pass asks which of them took money,
        # instead of reading every payment of two months
        candidates = [d for d in (first + timedelta(days=i) for i in range(UNSETTLED_LOOKBACK_DAYS))
                      if d not in settled]
        if not candidates:
            return []
        took = []
        for day in candidates:
            start, end = _day_bounds(day)
            took.append(func.max(case((and_(Payment.received_at >= start, Payment.received_at < end), 1), else_=0)))
        since, _ = _day_bounds(candidates[0])
        until, _ = _day_bounds(today)
        flags = s.execute(select(*took).where(Payment.cashier_user_id == actor.user_id,
                                              Payment.received_at >= since, Payment.received_at < until)).one()
    return [day for day, flag in zip(candidates, flags, strict=True) if flag]


def lock_cashier_day(session: Session, user_id: int, day: date) -> None:
    """Take the row lock of one cashier's day (a counter row, created on first use) until the transaction ends.

    Every write that counts in a 日结 sheet (a payment, a refund paid out) and the confirmation of that sheet take
    it first, before any other read, so they take turns: a payment either lands before the sheet is read inside the
    confirming transaction (and is on it), or after the day is locked (and is refused). On MariaDB the snapshot of
    the transaction is then taken after the lock, so it sees every write that went before."""
    advance(session, f"settle-day:{user_id}:{day.isoformat()}", 0)


def take_payment(*, actor: Actor, unit_id: int | None = None, household: str | None = None, amount: object,
                 method: str, bill_ids: Sequence[int] | None = None, note: str = "") -> Receipt:
    """Post a payment for a unit (or a lease account) with its receipt number; oldest bills first unless picked."""
    require(actor, "fees.collect")
    key = AccountKey.of(unit_id, household)
    household = str(key)
    value = parse_amount(amount)
    errors: dict[str, str] = {}
    method = collect(errors, "收款方式", method, lambda v: parse_choice(v, METHODS)) or ""
    note = collect_text(errors, "备注", note, 200)
    if errors:
        raise ValidationError(errors)
    now = utcnow()
    with unit_of_work() as uow:
        s = uow.session
        today = to_local(now).date()
        if actor.user_id is not None:
            lock_cashier_day(s, actor.user_id, today)
            if day_settled(s, actor.user_id, today):
                raise Conflict("今日已日结，不能再收款；请在下一个工作日收款，或请主管处理")
        holder = scoped_holder(s, actor, key)
        bills = ledger.open_bills(s, household)
        if bill_ids is not None:
            wanted = list(dict.fromkeys(bill_ids))
            by_id = {b.id: b for b in bills}
            missing = [i for i in wanted if i not in by_id]
            if missing:
                states = dict(s.execute(select(Bill.id, Bill.status).where(Bill.id.in_(missing))).all())
                if any(states.get(i) == ledger.CANCELLED for i in missing):
                    raise ValidationError({"账单": "所选账单已取消，不能收款"})
                whose = "这套房屋" if holder.lease_id is None else "这份车位租约"
                raise ValidationError({"账单": f"所选账单已结清或不属于{whose}，请刷新后重选"})
            bills = [by_id[i] for i in wanted]
        payer = next((b.payer_name for b in bills if b.payer_name), "") or holder.payer_name
        number = advance(s, f"receipt:{RECEIPT_PREFIX}{to_local(now).year}")
        payment = Payment(receipt_no=f"{RECEIPT_PREFIX}{to_local(now).year}-{number:06d}", household=household,
                          unit_id=holder.unit_id if holder.lease_id is None else None, payer_name=payer, method=method, amount=value, received_at=now,
                          cashier_user_id=actor.user_id, cashier_name=actor.display_name, note=note)
        s.add(payment)
        s.flush()
        given = ledger.allocate(s, bills, value, payment_id=payment.id, at=now)
        credit = value - sum((g for _, g in given), ledger.ZERO)
        if credit > 0:
            s.add(CreditEntry(household=household, payment_id=payment.id, amount=credit, at=now, kind="存入"))
            payment.credit_added = credit
        s.flush()
        audit.record(s, actor, "collect", "payments", payment.id, None,
                     {"receipt_no": payment.receipt_no, "household": household, "amount": value, "method": method,
                      "bills": {b.id: g for b, g in given}, "credit_added": credit})
        payment_id = payment.id
        uow.commit()
    return receipt(actor=actor, payment_id=payment_id)


def receipt(*, actor: Actor, payment_id: int) -> Receipt:
    """A posted payment as its receipt (for the screen and the PDF), voided or not."""
    require(actor, "fees.view")
    with read_session() as s:
        p = s.get(Payment, payment_id)
        if p is None:
            raise NotFound("没有这张收据")
        holder = scoped_holder(s, actor, p.household, "没有这张收据")
        rows = s.execute(select(FeeItem.name, Bill.period, Allocation.amount, Allocation.via)
                         .join(Bill, Bill.id == Allocation.bill_id).join(FeeItem, FeeItem.id == Bill.fee_item_id)
                         .where(Allocation.payment_id == p.id, Allocation.via == "收款")
                         .order_by(Bill.due_on, Bill.period, Bill.fee_item_id)).all()
        return Receipt(p.id, p.version, p.receipt_no, p.received_at, p.payer_name, holder.label, p.method, p.amount,
                       p.credit_added,
                       tuple(ReceiptLine(name, period, amount) for name, period, amount, _ in rows),
                       p.cashier_name, p.status, p.void_reason, p.note, holder.place)


# --- approvals: void 作废, waiver 减免, cancel 取消账单 ---------------------------------------------------


def receipt_doc(r: Receipt, company: str) -> documents.ReceiptDoc:
    """The printed form of a receipt the cashier service returned (voided ones carry 作废 and the reason)."""
    return documents.ReceiptDoc(
        company=company, receipt_no=r.receipt_no, issued_at=r.received_at, payer=r.payer_name,
        unit_code=r.unit_code, lines=tuple(documents.ReceiptLine(x.item, x.period, x.amount) for x in r.lines),
        credit_added=r.credit_added, credit_used=Decimal("0.00"), total=r.amount, method=r.method,
        cashier=r.cashier, voided=r.status == PaymentStatus.VOIDED, void_reason=r.void_reason, place=r.place,
    )


def receipt_pdf(*, actor: Actor, payment_id: int) -> bytes:
    """The receipt as the A5 PDF handed to the payer (a reprint of a voided one is marked 作废)."""
    return documents.receipt_pdf(receipt_doc(receipt(actor=actor, payment_id=payment_id), get_setting("company_name")))


def required_reason(reason: str) -> str:
    try:
        text = parse_text(reason, max_len=200)
    except FieldError as exc:
        raise ValidationError({"原因": str(exc)}) from exc
    if not text:
        raise ValidationError({"原因": "必须写明原因"})
    return text


@dataclass(frozen=True)
class ReceiptRow:
    payment_id: int
    receipt_no: str
    received_at: datetime
    amount: Decimal
    method: str
    cashier: str
    status: str
    void_pending: bool  # a void request waits for a manager


def unit_receipts(*, actor: Actor, unit_id: int | None = None, household: str | None = None,
                  limit: int = 20) -> list[ReceiptRow]:
    """An account's latest receipts (valid and voided), newest first, for reprint and void requests."""
    require(actor, "fees.view")
    household = account_key(unit_id, household)
    with read_session() as s:
        scoped_holder(s, actor, household)
        payments = s.execute(select(Payment.id, Payment.receipt_no, Payment.received_at, Payment.amount,
                                    Payment.method, Payment.cashier_name, Payment.status)
                             .where(Payment.household == household)
                             .order_by(Payment.received_at.desc(), Payment.id.desc()).limit(limit)).all()
        ids = [p.id for p in payments]
        pending = set(s.scalars(select(Approval.payment_id).where(Approval.payment_id.in_(ids),
                                                                  Approval.status == ApprovalStatus.PENDING))) if ids else set()
    return [ReceiptRow(p.id, p.receipt_no, to_local(p.received_at), p.amount, p.method, p.cashier_name, p.status,
                       p.id in pending) for p in payments]


def settlement_cashiers(*, actor: Actor, day: date | None = None) -> list[tuple[int, str]]:
    """(user id, name) of everyone whose day a manager may look at: cashiers, and anyone who took a payment.

    An actor of some estates only (see `sheet_clause`): those who took a payment in the actor's estates (on `day`
    when given: the cashiers whose sheet of that day the actor may read)."""
    require(actor, "fees.approve")
    wanted: ColumnElement[bool]
    with read_session() as s:
        if actor.estate_ids is None:
            roles = [r.value for r in Role if role_can(r, "fees.collect") and r != Role.ADMIN]
            takers = select(Payment.cashier_user_id).where(Payment.cashier_user_id.is_not(None)).distinct()
            wanted = (User.role.in_(roles) & User.active.is_(True)) | User.id.in_(takers)
        else:
            theirs = select(Payment.cashier_user_id).where(
                Payment.cashier_user_id.is_not(None),
                fee_figures.account_clause(s, actor, unit_id=Payment.unit_id, household=Payment.household))
            if day is not None:
                start, end = _day_bounds(day)
                theirs = theirs.where(Payment.received_at >= start, Payment.received_at < end)
            wanted = User.id.in_(theirs.distinct())
        rows = s.execute(select(User.id, User.display_name).where(wanted)
                         .order_by(User.display_name, User.id)).all()
    return [(uid, name) for uid, name in rows]


# --- daily settlement 日结 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SettlementSheet:
    cashier_user_id: int
    cashier_name: str
    day: date
    totals: dict[str, Decimal]  # method -> amount of valid payments
    total: Decimal
    receipts: tuple[str, ...]
    voided_receipts: tuple[str, ...]
    cash_expected: Decimal  # cash received - cash refunds paid out
    confirmed: bool
    cash_handed: Decimal | None = None
    discrepancy: Decimal | None = None
    note: str = ""
    received_by: str = ""
    confirmed_at: datetime | None = None
    refunds: tuple[str, ...] = ()  # 退款单 numbers paid out that day
    refund_totals: dict[str, Decimal] = field(default_factory=dict)  # method -> amount paid out
    refund_total: Decimal = Decimal("0.00")


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime(day.year, day.month, day.day, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


NO_SHEET = "这一天没有该收费员在您负责小区的收款记录"


def sheet_clause(session: Session, actor: Actor, *, cashier_user_id: SQLColumnExpression[int],
                 day: SQLColumnExpression[date], days: Iterable[date]) -> ColumnElement[bool]:
    """Which cashier-days' 日结 sheets the actor may read, as a condition on a (cashier, day) pair; `days`: the days
    the pairs may fall on (each day's bounds are local midnights, which the query cannot compute itself).

    Decision (estate scope): a sheet is one cashier's cash count for a day and is never split by estate. An actor
    who sees every estate reads every sheet; an actor of some estates reads their own sheets (a cashier moved to
    another estate still counts and hands over the cash of their day) and the whole sheet of any cashier who took
    at least one payment in the actor's estates that day, even if the cashier also took money in other estates
    that day. Any other cashier-day is NotFound, as a missing one; an actor whose estates were all taken away reads
    their own sheets only (nobody else's)."""
    if actor.estate_ids is None:
        return true()
    own = cashier_user_id == actor.user_id if actor.user_id is not None else false()
    return or_(own, *(and_(day == d, _took_payment_there(session, actor, cashier_user_id, d))
                      for d in sorted(set(days))))


def _took_payment_there(session: Session, actor: Actor, cashier_user_id: SQLColumnExpression[int] | int,
                        day: date) -> Exists:
    """The cashier took at least one payment (valid or voided) in the actor's estates on the day."""
    start, end = _day_bounds(day)
    return exists().where(
        Payment.cashier_user_id == cashier_user_id, Payment.received_at >= start, Payment.received_at < end,
        fee_figures.account_clause(session, actor, unit_id=Payment.unit_id, household=Payment.household))


def settlement_sheet(*, actor: Actor, day: date, cashier_user_id: int | None = None) -> SettlementSheet:
    """A cashier's day: totals by method, receipts used and voided; the confirmed snapshot once settled. Another
    cashier's day is read only as `sheet_clause` allows (else NotFound, whether or not the cashier exists)."""
    require(actor, "fees.view")
    user_id = cashier_user_id if cashier_user_id is not None else actor.user_id
    if user_id is None:
        raise ValidationError({"收费员": "请选择收费员"})
    with read_session() as s:
        if actor.estate_ids is not None and user_id != actor.user_id \
                and not s.scalar(select(_took_payment_there(s, actor, user_id, day))):
            raise NotFound(NO_SHEET)
        return _day_sheet(s, user_id, day)


def _day_sheet(session: Session, user_id: int, day: date) -> SettlementSheet:
    """The sheet of one cashier's day as the session sees it: the confirmed snapshot, or the live figures."""
    done = session.scalar(select(Settlement).where(Settlement.cashier_user_id == user_id, Settlement.day == day))
    if done is not None:
        refunds = json.loads(done.refunds_json) if done.refunds_json else {}
        return SettlementSheet(user_id, done.cashier_name, day,
                               {k: Decimal(v) for k, v in json.loads(done.totals_json).items()}, done.total,
                               tuple(filter(None, done.receipts.split(","))),
                               tuple(filter(None, done.voided_receipts.split(","))), done.cash_expected, True,
                               done.cash_handed, done.discrepancy, done.note, done.received_by,
                               to_local(done.confirmed_at), tuple(refunds.get("numbers", ())),
                               {k: Decimal(v) for k, v in refunds.get("totals", {}).items()},
                               Decimal(refunds.get("total", "0.00")))
    name = session.scalar(select(User.display_name).where(User.id == user_id)) or ""
    start, end = _day_bounds(day)
    payments = session.execute(select(Payment.receipt_no, Payment.method, Payment.amount, Payment.status)
                               .where(Payment.cashier_user_id == user_id, Payment.received_at >= start,
                                      Payment.received_at < end).order_by(Payment.receipt_no)).all()
    refunds = session.execute(select(Refund.refund_no, Refund.method, Refund.amount)
                              .where(Refund.paid_by == user_id, Refund.paid_at >= start, Refund.paid_at < end)
                              .order_by(Refund.refund_no)).all()
    totals = dict.fromkeys(METHODS, ledger.ZERO)
    for p in payments:
        if p.status != PaymentStatus.VOIDED:
            totals[p.method] += p.amount
    paid_out = dict.fromkeys(METHODS, ledger.ZERO)
    for r in refunds:
        paid_out[r.method] += r.amount
    return SettlementSheet(user_id, name, day, totals, sum(totals.values(), ledger.ZERO),
                           tuple(p.receipt_no for p in payments),
                           tuple(p.receipt_no for p in payments if p.status == PaymentStatus.VOIDED),
                           totals["现金"] - paid_out["现金"], False, refunds=tuple(r.refund_no for r in refunds),
                           refund_totals=paid_out, refund_total=sum(paid_out.values(), ledger.ZERO))


def confirm_settlement(*, actor: Actor, day: date, cash_handed: object, note: str = "", received_by: str = "",
                       cashier_user_id: int | None = None) -> SettlementSheet:
    """Lock the actor's own day: the sheet as it stands, cash handed over and any discrepancy explained."""
    require(actor, "fees.settle")
    if cashier_user_id is not None and cashier_user_id != actor.user_id:
        raise PermissionDenied("为其他收费员日结（日结只能由收费员本人办理）")
    if actor.user_id is None:
        raise ValidationError({"收费员": "命令行不能日结"})
    if day > local_today():
        raise ValidationError({"日期": "不能为将来的日期日结"})
    with unit_of_work() as uow:
        s = uow.session
        lock_cashier_day(s, actor.user_id, day)  # first: payments of this day wait, or have committed
        sheet = _day_sheet(s, actor.user_id, day)
        if sheet.confirmed:
            raise Conflict(f"{day} 已日结，不能重复日结")
        # cash handed over is never negative, except when the day's cash refunds exceed its cash receipts: then the
        # clerk makes the cashier's float whole again: a negative amount, down to the (negative) cash expected
        floor = min(Decimal("0.00"), sheet.cash_expected)
        errors: dict[str, str] = {}
        parsed: dict[str, object] = {}
        for label, parse in (("交款现金", lambda: parse_hundredths(cash_handed, min_value=floor, max_value=MAX_PAYMENT)),
                             ("差异说明", lambda: parse_text(note, max_len=500)),
                             ("接收人", lambda: parse_text(received_by, max_len=32))):
            try:
                parsed[label] = parse()
            except FieldError as exc:
                errors[label] = str(exc)
        if errors:
            raise ValidationError(errors)
        # each parsed above (no errors): the amount a Decimal, the texts str
        handed, note, received_by = (cast(Decimal, parsed["交款现金"]), cast(str, parsed["差异说明"]),
                                     cast(str, parsed["接收人"]))
        discrepancy = handed - sheet.cash_expected
        if discrepancy != 0 and not note:
            raise ValidationError({"差异说明": f"交款现金与应交现金相差 {discrepancy}，请写明原因"})
        row = Settlement(cashier_user_id=actor.user_id, cashier_name=actor.display_name, day=day,
                         totals_json=json.dumps({k: str(v) for k, v in sheet.totals.items()}, ensure_ascii=False),
                         total=sheet.total, receipt_count=len(sheet.receipts), receipts=",".join(sheet.receipts),
                         voided_receipts=",".join(sheet.voided_receipts), cash_expected=sheet.cash_expected,
                         cash_handed=handed, discrepancy=discrepancy, note=note, received_by=received_by,
                         confirmed_at=utcnow(),
                         refunds_json=json.dumps({"numbers": list(sheet.refunds),
                                                  "totals": {k: str(v) for k, v in sheet.refund_totals.items()},
                                                  "total": str(sheet.refund_total)}, ensure_ascii=False))
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:  # the unique (cashier, day) row: someone confirmed the same day meanwhile
            raise Conflict(f"{day} 已日结，不能重复日结") from exc
        audit.record(s, actor, "settle", "settlements", row.id, None,
                     {"day": day, "total": sheet.total, "cash_expected": sheet.cash_expected, "cash_handed": handed,
                      "discrepancy": discrepancy, "receipts": len(sheet.receipts), "refunds": list(sheet.refunds),
                      "refund_total": sheet.refund_total})
        uow.commit()
    return settlement_sheet(actor=actor, day=day)
