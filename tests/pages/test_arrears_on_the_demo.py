"""The /fees 欠费催缴 figures on the demo's two years of bills: the summaries and the owing-units list grouped in
SQL (services/fees/arrears.py) equal the pandas computation over every open bill they replaced
(tests/services/fees/arrears_oracle.py), for every grouping, estate and building."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db.engine import read_session
from db.models import Building, Estate
from services.fees import arrears
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today
from tests.services.fees.arrears_oracle import old_arrears_summary, old_owing_units, records


def test_the_arrears_summaries_equal_the_pandas_ones_on_the_demo(demo_db):
    with read_session() as s:
        estates = list(s.scalars(select(Estate.id)))
    for estate_id in (None, *estates):
        for group in arrears.GROUPS:
            for as_of in (local_today(), date(2026, 2, 28), date(2025, 12, 31)):
                new = arrears.arrears_summary(actor=SYSTEM_ACTOR, group=group, as_of=as_of, estate_id=estate_id)
                old = old_arrears_summary(group=group, as_of=as_of, estate_id=estate_id)
                assert list(new.columns) == list(old.columns)
                assert records(new) == records(old), (group, as_of, estate_id)


def test_the_owing_units_equal_the_pandas_list_on_the_demo(demo_db):
    with read_session() as s:
        estates = list(s.scalars(select(Estate.id)))
        buildings = list(s.scalars(select(Building.id)))
    scopes = [{}, *({"estate_id": e} for e in estates), *({"building_id": b} for b in buildings)]
    for scope in scopes:
        for limit in (500, 20, None):
            new = arrears.owing_units(actor=SYSTEM_ACTOR, limit=limit, **scope)
            assert records(new) == records(old_owing_units(limit=limit, **scope)), (scope, limit)
        everything = old_owing_units(limit=None, **scope)
        assert arrears.owing_totals(actor=SYSTEM_ACTOR, **scope) == (
            len(everything), sum(everything["欠费金额"], arrears._yuan(0)))
