"""`propdesk check` (services/admin/integrity): a ledger built through the services passes every invariant, and each
invariant broken by hand-made SQL is named, with the offending ids.

Hand-made data: Monday 2026-11-23 10:00 in Shanghai. Three units A, B, C of one estate and a parking lease without a
unit, billed for October. 收费员 takes P1 500.00 from A (October, the rest credit), P2 80.00 from A (all credit),
P3 10.00 from B (part of October), P4 20.00 from C (voided with a manager's approval) and the lease's October;
C's October is half waived; 30.00 of A's credit is refunded and paid out; November is billed (A's credit pays
it); the cashier settles the day. Every test runs on SQLite, PostgreSQL and MariaDB (`db` fixture).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import insert, select

from db.engine import get_engine
from db.models import (
    Approval,
    AuditEntry,
    Bill,
    BillingRun,
    Counter,
    CreditEntry,
    Payment,
    Refund,
    Settlement,
    Unit,
)
from services.admin import integrity
from services.fees import approvals, cashier, refunds
from services.fees import billing as fees
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import SHANGHAI
from tests.cli_support import run
from tests.demo_template import demo_copy
from tests.factories import (
    bills_of,
    bulk_units,
    fee_login,
    make_estate,
    make_lease,
    pin_fee_clock,
    seed_fee_items,
    sqlite_only,
)

D = Decimal


@dataclass(frozen=True)
class Ledger:
    a: int
    b: int
    c: int
    lease: int
    p1: int
    p2: int
    p3: int
    p4: int
    void: int  # the granted void request of P4
    waiver: int  # the granted waiver of C's October
    refund: int
    a_october: int
    b_october: int
    c_november: int


def build_ledger(monkeypatch) -> Ledger:
    pin_fee_clock(monkeypatch, datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI))
    seed_fee_items()
    estate, [building] = make_estate()
    a, b, c = bulk_units(estate, building, 3)
    lease = make_lease(estate, None, date(2026, 1, 1), date(2027, 12, 31), "300.00")
    cash = fee_login(Role.CASHIER, "cash1", "收费员甲")
    boss = fee_login(Role.MANAGER, "boss1", "主管甲")
    desk = fee_login(Role.SERVICE, "desk1", "客服甲")
    fees.run_billing(actor=SYSTEM_ACTOR, period="2026-10")
    p1 = cashier.take_payment(actor=cash, unit_id=a, amount="500.00", method="现金").payment_id
    p2 = cashier.take_payment(actor=cash, unit_id=a, amount="80.00", method="微信").payment_id
    p3 = cashier.take_payment(actor=cash, unit_id=b, amount="10.00", method="现金").payment_id
    p4 = cashier.take_payment(actor=cash, unit_id=c, amount="20.00", method="现金").payment_id
    cashier.take_payment(actor=cash, household=f"L{lease}", amount="300.00", method="微信")
    void = approvals.request_void(actor=cash, payment_id=p4, reason="金额录入错误")
    approvals.decide(actor=boss, approval_id=void, approve=True)
    [c_october] = bills_of(c)
    waiver = approvals.request_waiver(actor=desk, bill_id=c_october.id, amount="10.00", reason="停水三天服务补偿")
    approvals.decide(actor=boss, approval_id=waiver, approve=True)
    asked = refunds.request_refund(actor=cash, unit_id=a, amount="30.00", method="现金", payee="业主甲",
                                   reason="多交退还")
    approvals.decide(actor=boss, approval_id=asked, approve=True)
    [row] = refunds.account_refunds(actor=boss, unit_id=a)
    refunds.pay_out(actor=cash, refund_id=row.refund_id)
    fees.run_billing(actor=SYSTEM_ACTOR, period="2026-11")
    sheet = cashier.settlement_sheet(actor=cash, day=date(2026, 11, 23))
    cashier.confirm_settlement(actor=cash, day=date(2026, 11, 23), cash_handed=sheet.cash_expected)
    [a_october, _] = bills_of(a)
    [b_october, _] = bills_of(b)
    [_, c_november] = bills_of(c)
    return Ledger(a, b, c, lease, p1, p2, p3, p4, void, waiver, row.refund_id, a_october.id, b_october.id,
                  c_november.id)


class Tamper:
    """Rows changed behind the services' back (Core statements: no version bump, no hook), each change undone by
    `undo` so one ledger serves every breakage."""

    def __init__(self, url: str):
        self.engine = get_engine(url)
        self._undo: list[Callable[[], None]] = []

    def _run(self, stmt: Any, rows: list[dict[str, Any]] | None = None) -> Any:
        with self.engine.begin() as conn:
            return conn.execute(stmt, rows) if rows else conn.execute(stmt)

    def update(self, model: Any, where: Any, **values: Any) -> None:
        """Set `values` (a callable gets the old value) on the rows `where` selects."""
        t = model.__table__
        keys = list(t.primary_key.columns)
        with self.engine.begin() as conn:
            rows = conn.execute(select(*keys, *[t.c[k] for k in values]).where(where)).all()
            assert rows, f"nothing to tamper with in {t.name}"
            for r in rows:
                old = r._asdict()
                match = [k == old[k.name] for k in keys]
                new = {k: v(old[k]) if callable(v) else v for k, v in values.items()}
                conn.execute(t.update().where(*match).values(**new))
                self._undo.append(lambda match=match, old=old: self._run(
                    t.update().where(*match).values(**{k: old[k] for k in values})))

    def insert(self, model: Any, **values: Any) -> None:
        t = model.__table__
        new_id = self._run(insert(t).values(**values)).inserted_primary_key[0]
        self._undo.append(lambda: self._run(t.delete().where(t.c.id == new_id)))

    def delete(self, model: Any, where: Any) -> None:
        t = model.__table__
        with self.engine.begin() as conn:
            rows = [r._asdict() for r in conn.execute(select(t).where(where)).all()]
            assert rows, f"nothing to delete in {t.name}"
            conn.execute(t.delete().where(where))
        self._undo.append(lambda: self._run(insert(t), rows))

    def undo(self) -> None:
        while self._undo:
            self._undo.pop()()


def _audit_of(entity: str, entity_id: int, action: str) -> Any:
    return (AuditEntry.entity == entity) & (AuditEntry.entity_id == str(entity_id)) & (AuditEntry.action == action)


# (what the SQL does, the invariants check must name, a text one of the examples must contain, the tampering)
Breakage = tuple[str, set[str], str, Callable[[Tamper, Ledger], None]]
BREAKAGES: list[Breakage] = [
    ("a voided receipt whose money stayed on its bill", {"payment_allocations", "audit_voids"}, "收款 {p3}",
     lambda t, g: t.update(Payment, Payment.id == g.p3, status="已作废")),
    ("a receipt for more than it paid on bills and put in credit", {"payment_split"}, "收款 {p3}",
     lambda t, g: t.update(Payment, Payment.id == g.p3, amount=D("11.00"))),
    ("a receipt whose allocations exceed it", {"payment_allocations", "payment_split"}, "收款 {p1}",
     lambda t, g: t.update(Payment, Payment.id == g.p1, amount=D("0.01"))),
    ("a paid bill waived as well", {"bill_overpaid", "bill_status"}, "账单 {a_october}",
     lambda t, g: t.update(Bill, Bill.id == g.a_october, waived=D("1.00"))),
    ("a bill whose paid is not the sum of its allocations", {"bill_paid"}, "账单 {b_october}",
     lambda t, g: t.update(Bill, Bill.id == g.b_october, paid=lambda v: v - D("0.01"))),
    ("an unpaid bill marked paid", {"bill_status"}, "账单 {c_november}",
     lambda t, g: t.update(Bill, Bill.id == g.c_november, status="已缴")),
    ("credit that came from no payment's overpayment", {"credit_ledger"}, "户 U{a}",
     lambda t, g: t.insert(CreditEntry, household=f"U{g.a}", payment_id=g.p1, amount=D("1.00"),
                           at=datetime(2026, 11, 23, 2, 0, tzinfo=SHANGHAI), kind="存入")),
    ("one receipt's credit spent below zero, another's grown to match", {"credit_negative"}, "收款 {p2}",
     lambda t, g: (t.insert(CreditEntry, household=f"U{g.a}", payment_id=g.p2, amount=D("-100.00"),
                            at=datetime(2026, 11, 23, 2, 0, tzinfo=SHANGHAI), kind="抵扣"),
                   t.insert(CreditEntry, household=f"U{g.a}", payment_id=g.p1, amount=D("100.00"),
                            at=datetime(2026, 11, 23, 2, 0, tzinfo=SHANGHAI), kind="存入"))),
    ("a refund that took a cent less credit than its amount", {"refund_credit", "credit_ledger"}, "退款单 TK2026-000001",
     lambda t, g: t.update(CreditEntry, CreditEntry.refund_id == g.refund, amount=lambda v: v + D("0.01"))),
    ("a gap in the receipt numbers", {"receipt_series"}, "SJ2026-000005",
     lambda t, g: t.update(Payment, Payment.id == g.p4 + 1, receipt_no="SJ2026-000009")),
    ("a receipt number handed out without its receipt", {"receipt_series"}, "SJ2026 计数器为 6",
     lambda t, _g: t.update(Counter, Counter.name == "receipt:SJ2026", value=lambda v: v + 1)),
    ("a refund number handed out without its refund", {"refund_series"}, "TK2026 计数器为 2",
     lambda t, _g: t.update(Counter, Counter.name == "refund:TK2026", value=lambda v: v + 1)),
    ("a receipt without its audit row", {"audit_payments"}, "收款 {p2}",
     lambda t, g: t.delete(AuditEntry, _audit_of("payments", g.p2, "collect"))),
    ("a voided receipt whose void request was refused", {"audit_voids"}, "收款 {p4}",
     lambda t, g: t.update(Approval, Approval.id == g.void, status="已驳回")),
    ("a waiver granted without its audit row", {"audit_approvals"}, "申请 {waiver}",
     lambda t, g: t.delete(AuditEntry, _audit_of("approvals", g.waiver, "approve"))),
    ("a refund paid out without its audit row", {"audit_refunds"}, "退款单 TK2026-000001",
     lambda t, g: t.delete(AuditEntry, _audit_of("refunds", g.refund, "refund_payout"))),
    ("a billing run without its audit row", {"audit_billing_runs"}, "计费批次",
     lambda t, _g: t.delete(AuditEntry, (AuditEntry.entity == BillingRun.__tablename__) & (AuditEntry.action == "bill"))),
    ("a 日结 without its audit row", {"audit_settlements"}, "日结",
     lambda t, _g: t.delete(AuditEntry, (AuditEntry.entity == Settlement.__tablename__)
                            & (AuditEntry.action == "settle"))),
    ("a bill with no account", {"bill_payer"}, "账单 {c_november}",
     lambda t, g: t.update(Bill, Bill.id == g.c_november, household="")),
    ("a bill on another unit's account", {"bill_payer"}, "账单 {c_november}",
     lambda t, g: t.update(Bill, Bill.id == g.c_november, household=f"U{g.a}")),
    ("a unit whose version is zero", {"versions"}, "units {a}",
     lambda t, g: t.update(Unit, Unit.id == g.a, version=0)),
    ("a bill whose version is zero", {"versions"}, "bills {b_october}",
     lambda t, g: t.update(Bill, Bill.id == g.b_october, version=0)),
]


def test_a_ledger_built_through_the_services_passes_every_invariant_and_each_one_broken_by_hand_is_named(
        db, monkeypatch):
    ledger = build_ledger(monkeypatch)
    report = integrity.check()
    assert report.ok, [f.message for f in report.broken]
    assert len(report.checked) == len(integrity.INVARIANTS) >= 18
    assert report.counts["payments"] == 5 and report.counts["refunds"] == 1
    tamper = Tamper(db)
    wrong = []
    for what, expected, example, breaks in BREAKAGES:
        breaks(tamper, ledger)
        try:
            found = {f.key: f for f in integrity.check().broken}
        finally:
            tamper.undo()
        shown = example.format(**vars(ledger))
        if set(found) != expected or not any(shown in e for f in found.values() for e in f.examples):
            wrong.append((what, expected, {k: f.message for k, f in found.items()}, shown))
    assert not wrong, "\n".join(map(str, wrong))
    assert {k for _, keys, _, _ in BREAKAGES for k in keys} == {inv.key for inv in integrity.INVARIANTS}
    assert integrity.check().ok  # every change undone


@sqlite_only
def test_propdesk_check_exits_1_naming_the_broken_invariant_with_a_count_and_example_ids(db, monkeypatch, capsys):
    ledger = build_ledger(monkeypatch)
    code, out, _ = run(capsys, "check")
    assert code == 0 and out.startswith("数据检查：全部通过（18 项；收款 5 张"), out
    tamper = Tamper(db)
    tamper.update(Bill, Bill.id == ledger.b_october, paid=lambda v: v - D("0.01"))
    tamper.update(Refund, Refund.id == ledger.refund, status="已付款")  # as it is: no change to the verdict
    code, out, _ = run(capsys, "check", "--verbose")
    tamper.undo()
    lines = out.splitlines()
    assert code == 1
    assert lines[0].startswith("数据检查：1 项不通过（共 18 项")
    assert lines[1] == f"  不通过  账单的已缴金额等于其有效分配之和：1 处不符，例如 账单 {ledger.b_october}"
    assert sum(line.startswith("  通过    ") for line in lines) == 17


def test_the_demo_passes_propdesk_check(tmp_path_factory, tmp_path, monkeypatch, capsys):
    """The small demo (`propdesk demo`, the run's shared template) leaves every document's audit row too."""
    url = f"sqlite:///{demo_copy(tmp_path_factory, tmp_path / 'demo.db')}"
    monkeypatch.setenv("DATABASE_URL", url)
    try:
        code, out, _ = run(capsys, "check")
    finally:
        get_engine(url).dispose()
    assert code == 0 and out.startswith("数据检查：全部通过（18 项；收款 "), out
