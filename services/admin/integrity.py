"""数据检查 (`propdesk check`): the invariants of the money ledger and its documents, verified in SQL.

What is checked (each a named invariant; `INVARIANTS` lists them in the order they are reported):
- allocations: a payment's live allocations never exceed it and a voided payment has none; a valid payment's
  money is exactly what it paid on bills plus what it put in credit; a bill's live allocations never exceed
  its amount less its waiver, its `paid` equals the sum of them, and its status agrees with its amounts;
- credit 预存: every account's live credit entries sum to its valid payments' credit less the credit its bills
  used less the credit refunded; no payment's credit is spent below zero; each refund took exactly its amount;
- numbers: receipt 收据号 and refund 退款单号 series run 1..N per year without a gap, and their counters stand at N;
- audit: every posted money document has its audit row: each payment (its 收款 row), each request and decision
  (作废, 减免, 取消账单, 退款), each voided receipt an approved void request, each refund its grant and payout,
  each billing run and each 日结;
- every bill has an account that pays it (a unit's "U<id>", or a lease's "L<id>" when it has no unit);
- every versioned table's versions are positive.

Invariants of this module: it only reads, inside one transaction (a repeatable-read snapshot on PostgreSQL and
MariaDB, SQLite's read snapshot), so a check running beside the console sees one consistent moment; every
invariant is a few aggregate or anti-join statements — grouped passes shared by several invariants first tell
whether one holds at all, and the query naming its offending rows runs only when it does not — so a 20,000-unit
database with millions of rows is checked in seconds and never loaded into Python; a broken invariant is reported
with how many rows break it and a few of their ids, never raised.

Decision: bills themselves are not audited one by one (a billing run writes one audit row for thousands of
bills, an import one row for its file; a bill is a claim, not a posted money document), so the audit invariants
cover billing runs and the documents that move money.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    cast,
    exists,
    func,
    literal,
    not_,
    or_,
    select,
    text,
    type_coerce,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from db.engine import get_engine
from db.models import (
    Allocation,
    Approval,
    AuditEntry,
    Base,
    Bill,
    BillingRun,
    Counter,
    CreditEntry,
    Payment,
    Refund,
    Settlement,
)
from services.fees.cashier import RECEIPT_PREFIX
from services.fees.refunds import PAID as REFUND_PAID
from services.fees.refunds import PREFIX as REFUND_PREFIX
from services.fees.statuses import ApprovalStatus, BillStatus, PaymentStatus

EXAMPLES = 5  # ids shown per broken invariant


@dataclass(frozen=True)
class Finding:
    """One broken invariant: how many rows break it and a few of them."""

    key: str
    label: str
    count: int
    examples: tuple[str, ...]

    @property
    def message(self) -> str:
        shown = "、".join(self.examples)
        more = "等" if self.count > len(self.examples) else ""
        return f"{self.label}：{self.count:,} 处不符，例如 {shown}{more}"


@dataclass(frozen=True)
class IntegrityReport:
    """What `check` verified and what it found broken."""

    checked: tuple[str, ...]  # the label of every invariant verified
    broken: tuple[Finding, ...]
    seconds: float
    counts: dict[str, int]  # rows of the money tables, for the summary line

    @property
    def ok(self) -> bool:
        return not self.broken


def _cents(column: Any) -> ColumnElement[int]:
    """A money column as the integer cents the database holds (sums and comparisons stay integer)."""
    return type_coerce(column, BigInteger)


class _IdText(FunctionElement[str]):
    """An integer id as text (as audit rows keep it in entity_id), comparable with a text column on every backend."""

    type = String()
    name = "id_text"
    inherit_cache = True


@compiles(_IdText)
def _id_text_cast(element: _IdText, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS VARCHAR)"


@compiles(_IdText, "mysql")
def _id_text_concat(element: _IdText, compiler: Any, **kw: Any) -> str:
    # CAST(... AS CHAR) takes the connection's collation, which MariaDB refuses to compare with a column of the
    # table's ("Illegal mix of collations"); a number CONCATenated yields text that gives way to the column's
    return f"CONCAT('', {compiler.process(element.clauses, **kw)})"


def _id_text(column: Any) -> ColumnElement[str]:
    return _IdText(column)


def _offenders(session: Session, stmt: Select[Any], label: Callable[[Any], str]) -> tuple[int, tuple[str, ...]]:
    """How many rows `stmt` (offending ids in its first column) returns, and the first few, in one statement."""
    sub = stmt.subquery()
    first = list(sub.c)[0]
    rows = session.execute(select(first, func.count().over()).select_from(sub).order_by(first)
                           .limit(EXAMPLES)).all()
    return (int(rows[0][1]) if rows else 0), tuple(label(r[0]) for r in rows)


def _bill(i: Any) -> str:
    return f"账单 {i}"


def _payment(i: Any) -> str:
    return f"收款 {i}"


# --- allocations ---------------------------------------------------------------------------------
#
# The exact offender queries below join every bill (payment) to its allocations, which takes long at millions of rows
# (SQLite, 20,000 units: 10 s each), so `_Scans` first asks, in a few grouped passes, whether anything is wrong at
# all, and an offender query runs only for an invariant found broken.


def _group_key(column: Any, session: Session) -> Any:
    """The column to GROUP BY: on SQLite `column + 0`, so it sorts a covering scan instead of walking the
    single-column index and reading every row behind it (1.2 million allocations: 5 s -> 2 s)."""
    return column + 0 if session.get_bind().dialect.name == "sqlite" else column


class _Scans:
    """The grouped passes the fast detectors share, each run once per check (lazily)."""

    def __init__(self, session: Session):
        self.session = session
        self._done: dict[str, Any] = {}

    def _once(self, key: str, make: Callable[[], Any]) -> Any:
        if key not in self._done:
            self._done[key] = make()
        return self._done[key]

    def by_payment(self) -> Any:
        """(payments over-allocated, valid payments not split exactly, sum of direct allocations of valid payments)."""
        def run() -> Any:
            key = _group_key(Allocation.payment_id, self.session)
            a = (select(key.label("pid"), func.sum(_cents(Allocation.amount)).label("t"),
                        func.sum(case((Allocation.via == "收款", _cents(Allocation.amount)), else_=0)).label("d"))
                 .where(Allocation.voided.is_(False)).group_by(key).subquery())
            valid = Payment.status == PaymentStatus.VALID
            return self.session.execute(
                select(func.count(case((_over_allocated(a.c.t), 1))),
                       func.count(case((and_(valid, a.c.d + _cents(Payment.credit_added) != _cents(Payment.amount)), 1))),
                       func.coalesce(func.sum(case((valid, a.c.d), else_=0)), 0))
                .select_from(a).join(Payment, Payment.id == a.c.pid)).one()
        return self._once("by_payment", run)

    def payments(self) -> Any:
        """(valid payments with an impossible amount or credit, sum over valid payments of amount − credit, bad
        versions)."""
        valid = Payment.status == PaymentStatus.VALID
        return self._once("payments", lambda: self.session.execute(
            select(func.count(case((and_(valid, _bad_split_row()), 1))),
                   func.coalesce(func.sum(case((valid, _cents(Payment.amount) - _cents(Payment.credit_added)),
                                               else_=0)), 0),
                   func.count(case((_bad_version(Payment.__table__), 1))))).one())

    def by_bill(self) -> Any:
        """(bills whose live allocations exceed amount − waived, bills whose paid differs from them)."""
        def run() -> Any:
            key = _group_key(Allocation.bill_id, self.session)
            a = (select(key.label("bid"), func.sum(_cents(Allocation.amount)).label("t"))
                 .where(Allocation.voided.is_(False)).group_by(key).subquery())
            return self.session.execute(
                select(func.count(case((a.c.t > _cents(Bill.amount) - _cents(Bill.waived), 1))),
                       func.count(case((a.c.t != _cents(Bill.paid), 1))))
                .select_from(a).join(Bill, Bill.id == a.c.bid)).one()
        return self._once("by_bill", run)

    def bills(self) -> Any:
        """One pass over the bills: (impossible amounts, negative paid, wrong status, no payer, sum of paid, bad
        versions)."""
        return self._once("bills", lambda: self.session.execute(
            select(func.count(case((_bad_amounts(), 1))), func.count(case((_cents(Bill.paid) < 0, 1))),
                   func.count(case((_wrong_status(), 1))), func.count(case((_no_payer(), 1))),
                   func.coalesce(func.sum(_cents(Bill.paid)), 0),
                   func.count(case((_bad_version(Bill.__table__), 1))))).one())

    def live_allocations(self) -> int:
        return int(self._once("live", lambda: self.session.scalar(
            select(func.coalesce(func.sum(_cents(Allocation.amount)), 0)).where(Allocation.voided.is_(False)))))


def _over_allocated(total: Any) -> ColumnElement[bool]:
    return or_(total > _cents(Payment.amount), and_(Payment.status == PaymentStatus.VOIDED, total != 0))


def _bad_split_row() -> ColumnElement[bool]:
    credit, amount = _cents(Payment.credit_added), _cents(Payment.amount)
    return or_(amount <= 0, credit < 0, credit > amount)


def _live_by_payment() -> Any:
    return (select(Allocation.payment_id.label("payment_id"), func.sum(_cents(Allocation.amount)).label("total"),
                   func.sum(case((Allocation.via == "收款", _cents(Allocation.amount)), else_=0)).label("direct"))
            .where(Allocation.voided.is_(False)).group_by(Allocation.payment_id).subquery())


def _payment_allocations(scans: _Scans) -> bool:
    return bool(scans.by_payment()[0])


def _payment_allocations_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    a = _live_by_payment()
    return _offenders(session, select(Payment.id).join(a, a.c.payment_id == Payment.id)
                      .where(_over_allocated(a.c.total)), _payment)


def _payment_split(scans: _Scans) -> bool:
    bad_rows, net, _ = scans.payments()
    _, unsplit, direct = scans.by_payment()
    return bool(unsplit or bad_rows or int(net) != int(direct))


def _payment_split_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    a = _live_by_payment()
    stmt = (select(Payment.id).outerjoin(a, a.c.payment_id == Payment.id)
            .where(Payment.status == PaymentStatus.VALID,
                   or_(func.coalesce(a.c.direct, 0) + _cents(Payment.credit_added) != _cents(Payment.amount),
                       _bad_split_row())))
    return _offenders(session, stmt, _payment)


def _live_by_bill() -> Any:
    return (select(Allocation.bill_id.label("bill_id"), func.sum(_cents(Allocation.amount)).label("total"))
            .where(Allocation.voided.is_(False)).group_by(Allocation.bill_id).subquery())


def _bad_amounts() -> ColumnElement[bool]:
    amount, paid, waived = _cents(Bill.amount), _cents(Bill.paid), _cents(Bill.waived)
    return or_(paid + waived > amount, paid < 0, waived < 0)


def _bill_overpaid(scans: _Scans) -> bool:
    return bool(scans.by_bill()[0] or scans.bills()[0])


def _bill_overpaid_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    a = _live_by_bill()
    stmt = (select(Bill.id).outerjoin(a, a.c.bill_id == Bill.id)
            .where(or_(func.coalesce(a.c.total, 0) > _cents(Bill.amount) - _cents(Bill.waived), _bad_amounts())))
    return _offenders(session, stmt, _bill)


def _bill_paid(scans: _Scans) -> bool:
    """Bills with allocations are compared one by one; for the others (paid must be 0) the totals suffice: with no
    paid below zero, sum(paid) = sum(live allocations) leaves nothing for a bill without allocations."""
    _, negative, _, _, paid, _ = scans.bills()
    return bool(scans.by_bill()[1] or negative or int(paid) != scans.live_allocations())


def _bill_paid_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    a = _live_by_bill()
    stmt = select(Bill.id).outerjoin(a, a.c.bill_id == Bill.id).where(func.coalesce(a.c.total, 0) != _cents(Bill.paid))
    return _offenders(session, stmt, _bill)


def _wrong_status() -> ColumnElement[bool]:
    """Not the status services.fees.ledger.settle_status derives; a cancelled bill carries no money. (The status
    column is compared with constants only: MariaDB refuses to compare it with a CASE of them.)"""
    amount, paid, waived = _cents(Bill.amount), _cents(Bill.paid), _cents(Bill.waived)
    settled = amount - waived - paid == 0
    return not_(or_(and_(Bill.status == BillStatus.PAID, settled, paid > 0),
                    and_(Bill.status == BillStatus.WAIVED, settled, paid <= 0),
                    and_(Bill.status == BillStatus.PART_PAID, not_(settled), or_(paid > 0, waived > 0)),
                    and_(Bill.status == BillStatus.UNPAID, not_(settled), paid <= 0, waived <= 0),
                    and_(Bill.status == BillStatus.CANCELLED, paid == 0)))


def _bill_status(scans: _Scans) -> bool:
    return bool(scans.bills()[2])


def _bill_status_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    return _offenders(session, select(Bill.id).where(_wrong_status()), _bill)


# --- credit ----------------------------------------------------------------------------------------


def _credit_ledger(session: Session) -> tuple[int, tuple[str, ...]]:
    """Per account: live entries − (valid payments' credit − credit used by bills − refunds) = 0."""
    parts = union_all(
        select(CreditEntry.household.label("household"), _cents(CreditEntry.amount).label("cents"))
        .where(CreditEntry.voided.is_(False)),
        select(Payment.household, -_cents(Payment.credit_added))
        .where(Payment.status == PaymentStatus.VALID, _cents(Payment.credit_added) != 0),
        select(Payment.household, _cents(Allocation.amount)).join(Payment, Payment.id == Allocation.payment_id)
        .where(Allocation.via == "预存", Allocation.voided.is_(False)),
        select(Refund.household, _cents(Refund.amount)),
    ).subquery()
    stmt = select(parts.c.household).group_by(parts.c.household).having(func.sum(parts.c.cents) != 0)
    return _offenders(session, stmt, lambda h: f"户 {h}")


def _credit_negative(session: Session) -> tuple[int, tuple[str, ...]]:
    stmt = (select(CreditEntry.payment_id).where(CreditEntry.voided.is_(False)).group_by(CreditEntry.payment_id)
            .having(func.sum(_cents(CreditEntry.amount)) < 0))
    return _offenders(session, stmt, _payment)


def _refund_credit(session: Session) -> tuple[int, tuple[str, ...]]:
    taken = (select(CreditEntry.refund_id.label("refund_id"), func.sum(_cents(CreditEntry.amount)).label("cents"))
             .where(CreditEntry.refund_id.is_not(None), CreditEntry.voided.is_(False))
             .group_by(CreditEntry.refund_id).subquery())
    stmt = (select(Refund.refund_no).outerjoin(taken, taken.c.refund_id == Refund.id)
            .where(func.coalesce(taken.c.cents, 0) != -_cents(Refund.amount)))
    return _offenders(session, stmt, lambda no: f"退款单 {no}")


# --- number series ---------------------------------------------------------------------------------


def _series(session: Session, number: Any, prefix: str, counter: str) -> tuple[int, tuple[str, ...]]:
    """A series PREFIX<year>-NNNNNN: per year the numbers 1..N, each once (unique column), and the counter at N.

    Counted and bounded in SQL (the numbers are zero-padded, so text order is number order within one length);
    the missing numbers themselves are read only for a year found broken."""
    head = len(prefix) + 4
    year_of = func.substr(number, 1, head)
    rows: list[Any] = list(session.execute(select(year_of, func.length(number), func.count(), func.min(number),
                                                  func.max(number)).group_by(year_of, func.length(number))))
    counters = {name[len(counter) + 1:]: int(value) for name, value in session.execute(
        select(Counter.name, Counter.value).where(Counter.name.like(f"{counter}:%")))}
    by_year: dict[str, list[tuple[int, str, str]]] = {}
    bad: list[str] = []
    for year, _length, count, low, high in rows:
        by_year.setdefault(str(year), []).append((int(count), str(low), str(high)))
    for year, groups in sorted(by_year.items()):
        count = sum(g[0] for g in groups)
        # the smallest number is the least text of the shortest ones, the largest the greatest of the longest
        first = min(groups, key=lambda g: len(g[1]))[1][head + 1:]
        last = max(groups, key=lambda g: len(g[2]))[2][head + 1:]
        if not (year[:len(prefix)] == prefix and year[len(prefix):].isdigit() and first.isdigit() and last.isdigit()):
            bad.append(f"{year} 号码格式不对")
            continue
        low, high = int(first), int(last)
        if low != 1 or high != count:
            bad.append(f"{year} 共 {count} 张、最大号 {high}，缺号 {_missing(session, number, year, head)}")
        elif counters.get(year, 0) != high:
            bad.append(f"{year} 计数器为 {counters.get(year, 0)}、最大号 {high}")
    for year, value in sorted(counters.items()):
        if year not in by_year and value != 0:
            bad.append(f"{year} 计数器为 {value}，却没有单据")
    return len(bad), tuple(bad[:EXAMPLES])


def _missing(session: Session, number: Any, year: str, head: int) -> str:
    numbers: list[str] = list(session.scalars(select(number).where(func.substr(number, 1, head) == year)))
    taken = {int(n[head + 1:]) for n in numbers if n[head + 1:].isdigit()}
    gaps = [n for n in range(1, max(taken, default=0) + 1) if n not in taken][:EXAMPLES]
    return "、".join(f"{year}-{n:06d}" for n in gaps) or "（号码重复或不从 1 开始）"


def _receipt_series(session: Session) -> tuple[int, tuple[str, ...]]:
    return _series(session, Payment.receipt_no, RECEIPT_PREFIX, "receipt")


def _refund_series(session: Session) -> tuple[int, tuple[str, ...]]:
    return _series(session, Refund.refund_no, REFUND_PREFIX, "refund")


# --- audit -----------------------------------------------------------------------------------------


def _audited(entity: str, entity_id: Any, *actions: str) -> ColumnElement[bool]:
    """An audit row of the record (of one of `actions`; of any when none is named: the action is not in the
    audit index, and reading it for every row of a million-row table costs seconds)."""
    found = exists().where(AuditEntry.entity == entity, AuditEntry.entity_id == _id_text(entity_id))
    return found.where(AuditEntry.action.in_(actions)) if actions else found


def _audit_payments(scans: _Scans) -> bool:
    """A payment's audit row is the one take_payment writes (entity payments, its id; voids are audited on their
    approval). On SQLite an anti-join probing the audit index once per payment is slow (a million payments: 6 s);
    there the distinct payment ids the audit trail names are counted against the payments instead, each id found
    by its primary key (an id naming no payment, or written otherwise than the service writes it, does not count)."""
    s = scans.session
    if s.get_bind().dialect.name != "sqlite":
        return bool(_audit_payments_offenders(s)[0])
    named = select(AuditEntry.entity_id.label("e")).where(AuditEntry.entity == "payments").distinct().subquery()
    number = cast(named.c.e, BigInteger)
    audited = s.scalar(select(func.count()).select_from(named)
                       .where(cast(number, String) == named.c.e, exists().where(Payment.id == number)))
    return int(audited or 0) != int(s.scalar(select(func.count()).select_from(Payment)) or 0)


def _audit_payments_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    stmt = select(Payment.id).where(not_(_audited("payments", Payment.id)))
    return _offenders(session, stmt, _payment)


def _audit_voids(session: Session) -> tuple[int, tuple[str, ...]]:
    granted = exists().where(Approval.payment_id == Payment.id, Approval.kind == "作废收据",
                             Approval.status == ApprovalStatus.APPROVED)
    stmt = select(Payment.id).where(Payment.status == PaymentStatus.VOIDED, not_(granted))
    return _offenders(session, stmt, _payment)


def _audit_approvals(session: Session) -> tuple[int, tuple[str, ...]]:
    decided = Approval.status.in_((ApprovalStatus.APPROVED, ApprovalStatus.REFUSED))
    stmt = select(Approval.id).where(or_(not_(_audited("approvals", Approval.id, "request")),
                                         and_(decided, not_(_audited("approvals", Approval.id, "approve", "refuse")))))
    return _offenders(session, stmt, lambda i: f"申请 {i}")


def _audit_refunds(session: Session) -> tuple[int, tuple[str, ...]]:
    granted = exists().where(Approval.id == Refund.approval_id, Approval.kind == "退款",
                             Approval.status == ApprovalStatus.APPROVED)
    stmt = select(Refund.refund_no).where(or_(not_(granted), and_(Refund.status == REFUND_PAID,
                                                                  not_(_audited("refunds", Refund.id, "refund_payout")))))
    return _offenders(session, stmt, lambda no: f"退款单 {no}")


def _audit_runs(session: Session) -> tuple[int, tuple[str, ...]]:
    stmt = select(BillingRun.id).where(not_(_audited("billing_runs", BillingRun.id, "bill")))
    return _offenders(session, stmt, lambda i: f"计费批次 {i}")


def _audit_settlements(session: Session) -> tuple[int, tuple[str, ...]]:
    stmt = select(Settlement.id).where(not_(_audited("settlements", Settlement.id, "settle")))
    return _offenders(session, stmt, lambda i: f"日结 {i}")


# --- payers and versions ---------------------------------------------------------------------------


def _no_payer() -> ColumnElement[bool]:
    """The account is not the bill's unit's ("U<unit id>") nor, for a bill without a unit, its lease's ("L<id>");
    the foreign keys make sure the unit or lease exists."""
    of_unit = and_(Bill.unit_id.is_not(None), Bill.household == literal("U") + _id_text(Bill.unit_id))
    of_lease = and_(Bill.unit_id.is_(None), Bill.parking_lease_id.is_not(None),
                    Bill.household == literal("L") + _id_text(Bill.parking_lease_id))
    return or_(Bill.household.is_(None), not_(or_(of_unit, of_lease)))


def _bill_payer(scans: _Scans) -> bool:
    return bool(scans.bills()[3])


def _bill_payer_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    return _offenders(session, select(Bill.id).where(_no_payer()), _bill)


def _row_of(table: str) -> Callable[[Any], str]:
    return lambda pk: f"{table} {pk}"


def _bad_version(table: Any) -> ColumnElement[bool]:
    return or_(table.c.version.is_(None), table.c.version < 1)


# read in the passes over bills and payments that other invariants make anyway
_SCANNED = ("bills", "payments")


def _versions(scans: _Scans) -> bool:
    """One statement counting the bad versions of every versioned table but the two read in the scans."""
    tables = [t for t in Base.metadata.sorted_tables if "version" in t.c and t.name not in _SCANNED]
    stmt = union_all(*(select(func.count()).where(_bad_version(t)) for t in tables))
    bad = [int(row[0]) for row in scans.session.execute(stmt)]
    return bool(scans.bills()[5] or scans.payments()[2] or any(bad))


def _versions_offenders(session: Session) -> tuple[int, tuple[str, ...]]:
    total, examples = 0, list[str]()
    for table in Base.metadata.sorted_tables:
        if "version" not in table.c:
            continue
        key = list(table.primary_key.columns)[0]
        n, some = _offenders(session, select(key).where(_bad_version(table)), _row_of(table.name))
        total += n
        examples += some
    return total, tuple(examples[:EXAMPLES])


Offenders = Callable[[Session], tuple[int, tuple[str, ...]]]
Detector = Callable[[_Scans], bool]


@dataclass(frozen=True)
class Invariant:
    """One invariant: its key and label, the query counting its offenders (with a few examples), and optionally a
    faster test of whether it holds at all (the offender query then runs only when it does not)."""

    key: str
    label: str
    offenders: Offenders
    detect: Detector | None = None


# the order of the report
INVARIANTS: tuple[Invariant, ...] = (
    Invariant("payment_allocations", "收款的有效分配不超过收款金额，作废的收款没有有效分配",
              _payment_allocations_offenders, _payment_allocations),
    Invariant("payment_split", "有效收款 = 冲抵账单的金额 + 转入预存的金额", _payment_split_offenders, _payment_split),
    Invariant("bill_overpaid", "账单的有效分配不超过应收减去减免（已缴、减免不为负）", _bill_overpaid_offenders,
              _bill_overpaid),
    Invariant("bill_paid", "账单的已缴金额等于其有效分配之和", _bill_paid_offenders, _bill_paid),
    Invariant("bill_status", "账单状态与金额一致（已取消的账单没有收款）", _bill_status_offenders, _bill_status),
    Invariant("credit_ledger", "每户预存余额 = 收款转入预存 − 账单抵扣 − 退款", _credit_ledger),
    Invariant("credit_negative", "每笔收款的预存余额不为负", _credit_negative),
    Invariant("refund_credit", "每张退款单从预存中扣出的金额等于退款金额", _refund_credit),
    Invariant("receipt_series", "收据号每年从 1 起连续无缺号，与计数器一致", _receipt_series),
    Invariant("refund_series", "退款单号每年从 1 起连续无缺号，与计数器一致", _refund_series),
    Invariant("audit_payments", "每张收据有操作日志（收款）", _audit_payments_offenders, _audit_payments),
    Invariant("audit_voids", "每张作废收据有已批准的作废申请", _audit_voids),
    Invariant("audit_approvals", "每项申请（作废、减免、取消账单、退款）有申请日志，已审批的有审批日志", _audit_approvals),
    Invariant("audit_refunds", "每张退款单有已批准的退款申请，已付款的有付款日志", _audit_refunds),
    Invariant("audit_billing_runs", "每次计费有计费操作日志", _audit_runs),
    Invariant("audit_settlements", "每次日结有日结操作日志", _audit_settlements),
    Invariant("bill_payer", "每笔账单有缴费户（房屋 U<编号>，或无房屋的车位租约 L<编号>）", _bill_payer_offenders,
              _bill_payer),
    Invariant("versions", "各表的版本号为正", _versions_offenders, _versions),
)


def _session(url: str | None) -> Session:
    engine = get_engine(url)
    if engine.dialect.name == "sqlite":  # SQLite's read transaction is a snapshot already
        return Session(engine)
    session = Session(engine.execution_options(isolation_level="REPEATABLE READ"))
    if engine.dialect.name == "postgresql":
        # PostgreSQL plans the join of bills with their grouped allocations in parallel with each worker reading
        # every allocation again (20,000 units: the check 12 s in parallel, 6.5 s without)
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
    return session


def check(url: str | None = None, *, only: tuple[str, ...] | None = None) -> IntegrityReport:
    """Verify every invariant (or the keys in `only`) on the database at `url` (default: DATABASE_URL)."""
    started = time.perf_counter()
    chosen = [inv for inv in INVARIANTS if only is None or inv.key in only]
    broken: list[Finding] = []
    session = _session(url)
    try:
        counts = {name: int(session.scalar(select(func.count()).select_from(model)) or 0)
                  for name, model in (("payments", Payment), ("bills", Bill), ("allocations", Allocation),
                                      ("refunds", Refund))}
        scans = _Scans(session)
        for inv in chosen:
            if inv.detect is not None and not inv.detect(scans):
                continue
            count, examples = inv.offenders(session)
            if inv.detect is not None and not count:  # broken in the totals, not in any one row
                count, examples = 1, ("（合计不符）",)
            if count:
                broken.append(Finding(inv.key, inv.label, count, examples))
    finally:
        session.rollback()
        session.close()
    return IntegrityReport(tuple(inv.label for inv in chosen), tuple(broken), time.perf_counter() - started, counts)


__all__ = ["INVARIANTS", "Finding", "IntegrityReport", "Invariant", "check"]
