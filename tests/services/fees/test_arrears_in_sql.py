"""The arrears summary and the owing-units list, grouped in SQL since issue 14, give exactly what the pandas
computation over every open bill gave (tests/services/fees/arrears_oracle.py): every grouping, several days for
the age buckets (month ends, a leap day), an estate filter, parking leases without a unit, blank and changing
payer names, ties on the amount at the limit, and the collector and months filters the page applies."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.fees import arrears
from services.fees.arrears import Dunning
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from tests.factories import (
    actor_for,
    bulk_units,
    fee_login,
    make_bill,
    make_estate,
    make_lease,
    make_staff,
    pin_fee_clock,
    seed_fee_items,
)
from tests.services.fees.arrears_oracle import old_arrears_summary, old_owing_units, records

MANAGER = actor_for(Role.MANAGER)
DAYS = (date(2026, 11, 23), date(2026, 11, 30), date(2027, 2, 28), date(2028, 2, 29), date(2026, 3, 31),
        date(2025, 1, 1))


@pytest.fixture
def mixed(db, monkeypatch) -> dict:
    """Two estates, three buildings, two collectors (one unit each), units of equal debt, a lease without a unit
    in each estate, bills of every open status and some closed ones, due dates on month ends."""
    pin_fee_clock(monkeypatch, datetime(2026, 11, 23, 10, tzinfo=SHANGHAI))
    items = seed_fee_items()
    wy, lj = items["WY-ZZ"], items["LJ-SP"]
    e1, (b1, b2) = make_estate("A1", "甲小区", buildings=("1", "2"))
    e2, (b3,) = make_estate("B2", "乙小区", buildings=("9",))
    u = bulk_units(e1, b1, 4) + bulk_units(e1, b2, 3) + bulk_units(e2, b3, 3)
    zhang, li = make_staff("张收", "C001"), make_staff("李收", "C002")
    arrears.assign_collector(actor=MANAGER, unit_ids=u[:3], staff_id=zhang)
    arrears.assign_collector(actor=MANAGER, unit_ids=u[7:9], staff_id=li)
    periods = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][:23]
    for i, unit in enumerate(u):
        for j, period in enumerate(periods[i % 5::3]):
            due = date(int(period[:4]), int(period[5:]), 28 if j % 2 else 15)
            payer = "" if (i + j) % 4 == 0 else ("业主甲" if j < 3 else f"新业主{i}")
            status = ("未缴", "部分缴", "已缴", "未缴", "已取消")[(i + j) % 5]
            make_bill(unit, wy if j % 3 else lj, period, ("120.00", "80.50", "120.00")[i % 3], due_on=due,
                      payer_name=payer, status=status)
    for unit in bulk_units(e1, b2, 3, start=20):  # three units owing exactly the same: the tie at the limit
        make_bill(unit, wy, "2026-12", "5000.00", due_on=date(2026, 12, 31), payer_name="同额")
    make_bill(u[9], wy, "2026-02", "13.00", due_on=date(2026, 2, 28), payer_name="")  # nobody named
    lease1 = make_lease(e1, None, date(2026, 1, 1), date(2027, 12, 31), "300.00")
    lease2 = make_lease(e2, None, date(2026, 1, 1), date(2027, 12, 31), "250.00", number="D-01", person="赵外来",
                        plate="粤C88888")
    from db.engine import unit_of_work
    from db.models import Bill
    for lease, amount in ((lease1, "300.00"), (lease2, "250.00")):
        with unit_of_work() as uow:
            uow.session.add(Bill(fee_item_id=wy, payer_key=f"L{lease}", household=f"L{lease}", unit_id=None,
                                 parking_lease_id=lease, payer_name="车主", period="2026-06",
                                 start_on=date(2026, 6, 1), end_on=date(2026, 6, 30), amount=amount, paid=0,
                                 waived=0, due_on=date(2026, 6, 30), status="未缴", source="手工"))
            uow.commit()
    arrears.record_dunning(actor=fee_login(Role.MANAGER, "boss"),
                           dunning=Dunning(unit_id=u[1], method="电话", outcome="无人接听",
                                           next_on=date(2026, 11, 25)))
    return {"estates": (e1, e2), "buildings": (b1, b2, b3), "units": u}


def test_the_summary_grouped_in_sql_equals_the_pandas_summary(mixed):
    for estate_id in (None, *mixed["estates"]):
        for group in arrears.GROUPS:
            for as_of in DAYS:
                new = arrears.arrears_summary(actor=MANAGER, group=group, as_of=as_of, estate_id=estate_id)
                old = old_arrears_summary(group=group, as_of=as_of, estate_id=estate_id)
                assert list(new.columns) == list(old.columns)
                assert records(new) == records(old), (group, as_of, estate_id)


def test_the_owing_units_grouped_in_sql_equal_the_pandas_list(mixed):
    scopes = [{}, {"estate_id": mixed["estates"][0]}, {"estate_id": mixed["estates"][1]},
              *({"building_id": b} for b in mixed["buildings"])]
    for scope in scopes:
        for limit in (None, 500, 1, 2, 3, 4, 5):
            new = arrears.owing_units(actor=MANAGER, limit=limit, **scope)
            old = old_owing_units(limit=limit, **scope)
            assert list(new.columns) == list(old.columns)
            assert records(new) == records(old), (scope, limit)
        everything = old_owing_units(limit=None, **scope)
        n, total = arrears.owing_totals(actor=MANAGER, **scope)
        assert (n, total) == (len(everything), sum(everything["欠费金额"], arrears._yuan(0)))
        assert arrears.owing_collectors(actor=MANAGER, **scope) == sorted({c for c in everything["收费员"] if c})
        for collector in (None, "张收", "李收"):
            for months in (1, 2, 4):
                want = everything[everything["月数"] >= months]
                if collector is not None:
                    want = want[want["收费员"] == collector]
                got = arrears.owing_units(actor=MANAGER, collector=collector, min_months=months, limit=None,
                                          **scope)
                assert records(got) == records(want.reset_index(drop=True)), (scope, collector, months)
                assert arrears.owing_totals(actor=MANAGER, collector=collector, min_months=months, **scope) == (
                    len(want), sum(want["欠费金额"], arrears._yuan(0)))


def test_ties_at_the_limit_are_broken_by_the_units_name(mixed):
    everything = arrears.owing_units(actor=MANAGER, limit=None)
    tied = everything[everything["欠费金额"] == arrears._yuan(500000)]
    above = int((everything["欠费金额"] > arrears._yuan(500000)).sum())
    assert len(tied) == 3
    for k in (1, 2, 3):
        top = arrears.owing_units(actor=MANAGER, limit=above + k)
        assert list(top["房屋"][above:]) == sorted(tied["房屋"])[:k]


def test_nothing_owed_gives_the_empty_frames(db):
    assert arrears.arrears_summary(actor=MANAGER, group="age").empty
    assert list(arrears.owing_units(actor=MANAGER).columns) == list(old_owing_units().columns)
    assert arrears.owing_totals(actor=MANAGER) == (0, arrears._yuan(0))
