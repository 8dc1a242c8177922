"""Billing run at scale: 20,000 units billed for one month, against a naive one-row-at-a-time ORM loop.

Both start from a copy of the large estate with its years of bills and bill the months after its last. The
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


def _months_after(last: str, count: int) -> list[str]:
    from services.platform.period import Period

    year, month = (int(x) for x in last.split("-"))
    out = []
    for n in range(1, count + 1):
        y, m = divmod(year * 12 + month - 1 + n, 12)
        out.append(Period.parse(f"{y:04d}-{m + 1:02d}").label)
    return out


def bench_billing(base: Path, tmp: Path, runs: int = RUNS) -> list[tuple[str, float]]:
    """Billing runs on a copy of the database at `base` (the large estate, with its years of bills): each run
    bills a month after its last, so every run does the same whole month's work; the naive loop does the same
    months on another copy."""
    from sqlalchemy import func, select

    from db.engine import dispose_all, read_session
    from db.models import Bill
    from services.fees.billing import run_billing
    from services.platform.auth import SYSTEM_ACTOR

    def fresh(name: str) -> None:
        dispose_all()
        target = tmp / f"{name}.db"
        shutil.copy(base, target)
        os.environ["DATABASE_URL"] = f"sqlite:///{target}"

    fresh("billing-fast")
    with read_session() as s:
        last = s.scalar(select(func.max(Bill.period))) or PERIOD
    months = _months_after(last, runs)
    fast, naive, created = [], [], 0
    for month in months:
        t0 = time.perf_counter()
        created = run_billing(actor=SYSTEM_ACTOR, period=month).created
        fast.append((time.perf_counter() - t0) * 1000)
        assert run_billing(actor=SYSTEM_ACTOR, period=month).created == 0
    fresh("billing-naive")
    for month in months:
        t0 = time.perf_counter()
        _naive_billing(month)
        naive.append((time.perf_counter() - t0) * 1000)
    dispose_all()
    f, v = statistics.median(fast), statistics.median(naive)
    return [(f"billing run, {created:,} bills (plan + insert + credit)", f),
            ("naive one-row-at-a-time ORM loop, property fees only (floor for the ratio)", v)]
