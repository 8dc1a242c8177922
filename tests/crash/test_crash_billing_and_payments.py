"""A billing run and a series of payments, each killed with SIGKILL at least 20 times at random moments (see
tests/crash/support.py): each kill leaves the run whole or absent, each payment whole or absent, the receipt
series without a gap, and `propdesk check` passing."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from db.engine import get_engine
from db.models import Allocation, AuditEntry, Bill, BillingRun, CreditEntry, Payment
from tests.crash.support import kill_loop

PERIOD = "2026-10"


def _count(url: str, model, *where) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model).where(*where)) or 0)


def billing_state(url: str) -> tuple[int, ...]:
    return (_count(url, Bill, Bill.period == PERIOD), _count(url, BillingRun), _count(url, Allocation),
            _count(url, CreditEntry), _count(url, AuditEntry))


def test_a_billing_run_killed_at_random_moments_leaves_all_of_its_bills_or_none(crash_db, worker, tmp_path):
    out = kill_loop(worker, crash_db.path, tmp_path, "billing run",
                    lambda _path: {"op": "billing", "period": PERIOD}, billing_state, writes="写入应收")
    print(out.summary())
    assert out.landed >= 20 and out.nothing + out.everything == out.landed
    assert out.writing >= 5, out.summary()  # bills written, credit being used, the commit


def payment_state(url: str) -> tuple[int, ...]:
    return _count(url, Payment), _count(url, Allocation), _count(url, CreditEntry), _count(url, AuditEntry)


def test_payments_killed_at_random_moments_are_each_whole_or_absent_and_the_receipts_run_on(crash_db, worker, tmp_path):
    payments = [(f"U{unit}", "3000.00" if n % 2 else "1000.00") for n, unit in enumerate(crash_db.paying)]
    before = None

    def each_payment_whole(url: str, progress: Path, state: tuple[int, ...]) -> None:
        nonlocal before
        if before is None:
            before = payment_state(f"sqlite:///{crash_db.path}")
        taken = state[0] - before[0]
        told = sum(1 for line in progress.read_text(encoding="utf-8").splitlines() if " 已收 " in line)
        # the child reports a payment after its commit: the one in flight is committed whole or not at all
        assert told <= taken <= told + 1, (told, taken)

    out = kill_loop(worker, crash_db.path, tmp_path, "payments",
                    lambda _path: {"op": "payments", "cashier_id": crash_db.cashier_id, "cashier": "收费员甲",
                                   "payments": payments},
                    payment_state, writes="已收", series=True, extra=each_payment_whole)
    print(out.summary())
    assert out.landed >= 20 and out.writing >= 5, out.summary()
