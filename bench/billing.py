"""Billing run at scale: 20,000 units billed for one month, against a naive one-row-at-a-time ORM loop.

Both start from the same freshly built database (20,320 units of the large demo without its fees). The
naive loop raises only the area-based property fees (the bulk of the bills; the run also raises parking,
shop refuse and metered items, so the ratio understates the difference); it asks for each unit's owner, checks for an existing bill and flushes
one Bill at a time, as a first version written without thought for scale would. The ratio is what the
set-based plan (a handful of queries, chunked executemany inserts) saves.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time
from decimal import Decimal
from pathlib import Path

RUNS = 3
PERIOD = "2026-10"


def _naive_billing(period: str) -> int:
    from sqlalchemy import select

    from db.engine import unit_of_work
    from db.models import Bill, FeeItem, Person, Unit, UnitPerson
    from db.types import round_cents
    from services.fees.billing import DEVELOPER, month_days, prorate
    from services.platform.period import Period

    p = Period.parse(period)
    first, last, days = month_days(p)
    created = 0
    with unit_of_work() as uow:
        s = uow.session
        for unit in s.scalars(select(Unit)):
            for item in s.scalars(select(FeeItem).where(FeeItem.default_unit_kind == unit.kind,
                                                        FeeItem.basis == "面积")):
                if unit.built_area is None or (unit.status != "未售" and unit.delivered_on is None):
                    continue
                if s.scalar(select(Bill.id).where(Bill.fee_item_id == item.id, Bill.payer_key == f"U{unit.id}",
                                                  Bill.period == period)):
                    continue
                owner = s.scalar(select(Person.name).join(UnitPerson, UnitPerson.person_id == Person.id)
                                 .where(UnitPerson.unit_id == unit.id, UnitPerson.role == "业主",
                                        UnitPerson.end_on.is_(None)).limit(1))
                start = max(first, unit.delivered_on or first)
                amount = prorate(unit.built_area, item.rate, (last - start).days + 1, days)
                s.add(Bill(fee_item_id=item.id, payer_key=f"U{unit.id}", household=f"U{unit.id}", unit_id=unit.id,
                           payer_name=DEVELOPER if unit.status == "未售" else owner or "", period=period,
                           start_on=start, end_on=last, quantity=unit.built_area, rate=item.rate,
                           amount=round_cents(amount), paid=Decimal("0.00"), waived=Decimal("0.00"), due_on=last,
                           status="未缴"))
                s.flush()
                created += 1
        uow.commit()
    return created


def bench_billing(tmp: Path) -> list[tuple[str, float]]:
    from db import migrate
    from db.engine import dispose_all
    from services.admin import system
    from services.demo import builder as demo
    from services.fees.billing import run_billing
    from services.platform.auth import SYSTEM_ACTOR

    base = tmp / "billing-base.db"
    os.environ["DATABASE_URL"] = f"sqlite:///{base}"
    migrate.upgrade()
    system.init(admin_password="bench-admin-1")
    original = demo.build_fee_demo
    demo.build_fee_demo = lambda *_args, **_kwargs: None  # units and people only: the runs below raise the bills
    try:
        demo.build_demo(scale="large", demo_password="bench-pass-1")
    finally:
        demo.build_fee_demo = original
    dispose_all()

    def fresh(name: str) -> None:
        dispose_all()
        target = tmp / f"{name}.db"
        shutil.copy(base, target)
        os.environ["DATABASE_URL"] = f"sqlite:///{target}"

    fast, naive, created = [], [], 0
    for n in range(RUNS):
        fresh(f"run{n}")
        t0 = time.perf_counter()
        created = run_billing(actor=SYSTEM_ACTOR, period=PERIOD).created
        fast.append((time.perf_counter() - t0) * 1000)
        t0 = time.perf_counter()
        again = run_billing(actor=SYSTEM_ACTOR, period=PERIOD).created
        assert again == 0
        fresh(f"naive{n}")
        t0 = time.perf_counter()
        _naive_billing(PERIOD)
        naive.append((time.perf_counter() - t0) * 1000)
    f, v = statistics.median(fast), statistics.median(naive)
    return [(f"billing run, {created:,} bills (plan + insert + credit)", f),
            ("naive one-row-at-a-time ORM loop, property fees only (floor for the ratio)", v),
            (f"ratio naive / billing run: x{v / f:.1f}", 0.0)]
