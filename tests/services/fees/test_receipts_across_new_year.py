"""Ten cashiers paying at once while the year turns (Shanghai midnight), on SQLite and PostgreSQL.

Receipt numbers are counted per year (SJ2026-..., SJ2027-...). Payments in flight when the clock passes
midnight commit in any order, so a 2026 receipt may be posted after the first 2027 one; whatever the order,
each year's series is gapless from 000001, the year in a number is the year of its payment's 收款时间, and the
money adds up to the cent. (The 10 × 100 run within one day is test_fee_concurrency.py.)
"""

from __future__ import annotations

import threading
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Payment
from services.fees import cashier
from services.platform.auth import Role
from services.platform.clock import SHANGHAI, to_local
from tests.factories import bulk_units, fee_login, make_estate, pin_fee_clock

CASHIERS = 10
PAYMENTS = 30

pytestmark = pytest.mark.parametrize("backend_url", ["sqlite", "postgresql"], indirect=True)


def test_receipts_stay_gapless_per_year_when_the_year_turns_during_payments(db, monkeypatch):
    clock = pin_fee_clock(monkeypatch, datetime(2026, 12, 31, 23, 59, 59, tzinfo=SHANGHAI))
    estate_id, [building] = make_estate()
    units = bulk_units(estate_id, building, CASHIERS)
    desks = [fee_login(Role.CASHIER, f"ny{i:02d}", f"收费员{i:02d}") for i in range(CASHIERS)]
    start = threading.Barrier(CASHIERS)
    lock = threading.Lock()
    done: list[tuple[str, Decimal]] = []
    errors: list[BaseException] = []

    def work(i: int) -> None:
        try:
            start.wait(timeout=30)
            for k in range(PAYMENTS):
                amount = Decimal(f"{10 + i}.{k:02d}")
                r = cashier.take_payment(actor=desks[i], unit_id=units[(i + k) % CASHIERS], amount=amount,
                                         method="现金")
                with lock:
                    done.append((r.receipt_no, amount))
                    if len(done) == CASHIERS * PAYMENTS // 2:  # midnight, with nine other payments in flight
                        clock.now = datetime(2027, 1, 1, 0, 0, 1, tzinfo=SHANGHAI)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(CASHIERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert not any(t.is_alive() for t in threads), "cashiers still paying after 120 s"
    assert errors == []

    with read_session() as s:
        posted = s.execute(select(Payment.receipt_no, Payment.received_at, Payment.amount)).all()
    assert len(posted) == CASHIERS * PAYMENTS
    by_year: dict[str, list[int]] = {}
    for receipt_no, received_at, _ in posted:
        year, number = receipt_no.removeprefix(cashier.RECEIPT_PREFIX).split("-")
        assert int(year) == to_local(received_at).year, receipt_no
        by_year.setdefault(year, []).append(int(number))
    assert set(by_year) == {"2026", "2027"}
    for numbers in by_year.values():
        assert sorted(numbers) == list(range(1, len(numbers) + 1))
    assert len(by_year["2026"]) >= CASHIERS * PAYMENTS // 2
    assert sorted(no for no, _ in done) == sorted(no for no, _, _ in posted)
    assert sum(a for _, _, a in posted) == sum(a for _, a in done)
