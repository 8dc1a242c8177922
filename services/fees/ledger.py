"""The money ledger under bills: allocations of payments and of prepaid credit 预存.

Invariants (helpers only: they work inside the caller's transaction and never commit):
- for every bill, paid = sum of its live allocations, and 0 <= paid + waived <= amount;
- a household's credit balance = sum of its live credit entries, never below zero;
- money is never deleted: a void marks allocations and credit entries voided and takes them off the bills;
- a refund 退款 takes credit back out with negative entries of kind 退款 (never voided: a payment whose credit
  was refunded cannot be voided), from each still valid payment's remaining credit, oldest payment first;
- allocation order is the bill's due date, then period, then item, then id (oldest first);
- an account 户 is keyed by a household string: "U<unit id>" for a unit, "L<lease id>" for a parking lease without
  a unit (a lease with a unit bills to the unit's account).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import in_chunks
from db.models import Allocation, Bill, CreditEntry, Payment
from services.fees.statuses import OPEN_BILL_STATUSES, BillStatus, PaymentStatus
from services.platform.period import period_of

ZERO = Decimal("0.00")
OPEN_STATUSES = OPEN_BILL_STATUSES
CANCELLED = BillStatus.CANCELLED
OLDEST_FIRST = (Bill.due_on, Bill.period, Bill.fee_item_id, Bill.id)


def outstanding(bill: Bill) -> Decimal:
    return bill.amount - bill.waived - bill.paid


def settle_status(bill: Bill) -> None:
    """Derive the bill's status from its amounts (a cancelled bill stays cancelled)."""
    if bill.status == CANCELLED:
        return
    if outstanding(bill) == 0:
        bill.status = BillStatus.PAID if bill.paid > 0 else BillStatus.WAIVED
    elif bill.paid > 0 or bill.waived > 0:
        bill.status = BillStatus.PART_PAID
    else:
        bill.status = BillStatus.UNPAID


def open_bills(session: Session, household: str, *, lock: bool = True) -> list[Bill]:
    stmt = (select(Bill).where(Bill.household == household, Bill.status.in_(OPEN_STATUSES))
            .order_by(*OLDEST_FIRST))
    if lock:
        stmt = stmt.with_for_update()
    return list(session.scalars(stmt))


def allocate(session: Session, bills: Sequence[Bill], amount: Decimal, *, payment_id: int, at: datetime,
             via: str = "收款") -> list[tuple[Bill, Decimal]]:
    """Spread `amount` over `bills` in the order given; return what each bill received."""
    left = amount
    given: list[tuple[Bill, Decimal]] = []
    for bill in bills:
        if left <= 0:
            break
        share = min(left, outstanding(bill))
        if share <= 0:
            continue
        session.add(Allocation(bill_id=bill.id, payment_id=payment_id, amount=share, at=at, via=via,
                               bill_period=bill.period, paid_period=period_of(at)))
        bill.paid += share
        settle_status(bill)
        left -= share
        given.append((bill, share))
    return given


def credit_balances(session: Session, households: Iterable[str] | None = None) -> dict[str, Decimal]:
    stmt = (select(CreditEntry.household, func.sum(CreditEntry.amount))
            .where(CreditEntry.voided.is_(False)).group_by(CreditEntry.household))
    if households is not None:
        stmt = stmt.where(CreditEntry.household.in_(list(households)))
    return {h: ZERO if v is None else Decimal(v).quantize(ZERO) for h, v in session.execute(stmt).all()}


def _credit_by_payment(session: Session, household: str) -> list[tuple[int, Decimal]]:
    """What is left of each still valid payment's credit, oldest payment first (see `_credit_by_payments`)."""
    return _credit_by_payments(session, [household]).get(household, [])


def _credit_by_payments(session: Session, households: Sequence[str]) -> dict[str, list[tuple[int, Decimal]]]:
    """What is left of each still valid payment's credit, oldest payment first, by household (only those with
    some left); a few statements per slice of households, whatever their number (a billing run's thousands).

    The payments are locked first, in id order, as a void locks its payment before reversing it, so spending
    credit and voiding the payment it came from take turns; the entries are then read with a locking read, which
    sees the latest committed rows on every backend (MariaDB's repeatable read included)."""
    wanted = sorted(set(households))
    ids: set[int] = set()
    for chunk in in_chunks(wanted):
        ids.update(session.scalars(select(CreditEntry.payment_id).where(
            CreditEntry.household.in_(chunk), CreditEntry.voided.is_(False))))
    live: set[int] = set()
    for id_chunk in in_chunks(sorted(ids)):
        live.update(session.scalars(select(Payment.id).where(Payment.id.in_(id_chunk),
                                                             Payment.status == PaymentStatus.VALID)
                                    .order_by(Payment.id).with_for_update()))
    if not live:
        return {}
    left: dict[str, dict[int, Decimal]] = defaultdict(lambda: defaultdict(lambda: ZERO))
    for chunk in in_chunks(wanted):
        for household, payment_id, amount in session.execute(
                select(CreditEntry.household, CreditEntry.payment_id, CreditEntry.amount).where(
                    CreditEntry.household.in_(chunk), CreditEntry.voided.is_(False)).with_for_update()):
            if payment_id in live:
                left[household][payment_id] += amount
    out = {h: [(pid, v) for pid, v in sorted(by_payment.items()) if v > 0] for h, by_payment in left.items()}
    return {h: credit for h, credit in out.items() if credit}


def credit_left(session: Session, household: str) -> list[tuple[int, Decimal]]:
    """(payment id, credit left) of a household, oldest payment first, the payments locked (see
    `_credit_by_payment`): what a refund may take, read under the locks a billing run and a void also take."""
    return _credit_by_payment(session, household)


def refund_credit(session: Session, household: str, credit: Sequence[tuple[int, Decimal]], amount: Decimal, *,
                  at: datetime, refund_id: int) -> list[tuple[int, Decimal]]:
    """Take `amount` out of `credit` (from `credit_left`), oldest payment first, as negative 退款 entries of the
    refund; return what each payment gave. The caller has checked that the credit covers the amount."""
    left = amount
    taken: list[tuple[int, Decimal]] = []
    for payment_id, available in credit:
        if left <= 0:
            break
        share = min(left, available)
        session.add(CreditEntry(household=household, payment_id=payment_id, amount=-share, at=at, kind="退款",
                                refund_id=refund_id))
        taken.append((payment_id, share))
        left -= share
    if left > 0:
        raise ValueError(f"credit of {household} short by {left} for refund {refund_id}")  # a caller's bug
    return taken


def use_credit(session: Session, household: str, bills: Sequence[Bill], *, at: datetime,
               credit: Sequence[tuple[int, Decimal]] | None = None) -> Decimal:
    """Pay `bills` (oldest first) from the household's credit, each payment's credit in turn."""
    used = ZERO
    for payment_id, available in (credit if credit is not None else _credit_by_payment(session, household)):
        for bill, share in allocate(session, bills, available, payment_id=payment_id, at=at, via="预存"):
            session.add(CreditEntry(household=household, payment_id=payment_id, bill_id=bill.id,
                                    amount=-share, at=at, kind="抵扣"))
            used += share
    return used


def apply_credit(session: Session, *, households: Iterable[str], at: datetime) -> Decimal:
    """Let every household with credit pay its open bills from it (after a billing run): the credit of all of
    them read, then their open bills, in a few statements (one household at a time, a 20,000-unit run spent
    seconds on 1,200 households' queries)."""
    wanted = set(households)
    if not wanted:
        return ZERO
    with_credit = sorted(h for h, v in credit_balances(session).items() if v > 0 and h in wanted)
    credit = _credit_by_payments(session, with_credit)  # payments locked before bills, in a void's order
    bills: dict[str, list[Bill]] = defaultdict(list)
    for chunk in in_chunks(sorted(credit)):
        for bill in session.scalars(select(Bill).where(Bill.household.in_(chunk), Bill.status.in_(OPEN_STATUSES))
                                    .order_by(*OLDEST_FIRST).with_for_update()):
            bills[bill.household].append(bill)
    used = ZERO
    for household in sorted(credit):
        used += use_credit(session, household, bills[household], at=at, credit=credit[household])
    return used


def reverse_payment(session: Session, payment_id: int) -> tuple[Decimal, list[int]]:
    """Take a voided payment's money off every bill it reached (directly or through credit)."""
    allocations = list(session.scalars(select(Allocation).where(Allocation.payment_id == payment_id,
                                                                Allocation.voided.is_(False))))
    by_bill: dict[int, Decimal] = defaultdict(lambda: ZERO)
    for a in allocations:
        a.voided = True
        by_bill[a.bill_id] += a.amount
    bills = list(session.scalars(select(Bill).where(Bill.id.in_(list(by_bill))).with_for_update())) if by_bill else []
    for bill in bills:
        bill.paid -= by_bill[bill.id]
        settle_status(bill)
    for entry in session.scalars(select(CreditEntry).where(CreditEntry.payment_id == payment_id,
                                                           CreditEntry.voided.is_(False))):
        entry.voided = True
    return sum(by_bill.values(), ZERO), sorted(by_bill)
