"""The figures /fees → 收缴率 draws by 小区, 楼栋 and 收费员, on the demo's two years of bills: one grouped
computation (fee_kpis_by) gives for every group exactly what one fee_kpis call per group gives. (Parking leases
without a unit, which count in their space's estate, are checked in tests/services/fees/test_lease_accounts.py:
the demo has none.)"""

from __future__ import annotations

from sqlalchemy import select

from db.engine import read_session
from db.models import Building, Estate, Staff
from services import kpi
from services.fees.reports import default_as_of


def test_grouped_fee_figures_equal_per_group_figures_on_the_demo(demo_db):
    with read_session() as s:
        estates = list(s.scalars(select(Estate.id)))
        buildings = list(s.scalars(select(Building.id)))
        collectors = list(s.scalars(select(Staff.id)))
    for period in ("2026-10", "2025-12"):
        p = kpi.Period.parse(period)
        as_of = default_as_of(p)
        for by, keys, scope_of in (("estate", estates, lambda k: kpi.FeeScope(estate_id=k)),
                                   ("building", buildings, lambda k: kpi.FeeScope(building_id=k)),
                                   ("collector", collectors, lambda k: kpi.FeeScope(collector_staff_id=k))):
            grouped = kpi.fee_kpis_by(p, by=by, as_of=as_of)
            assert set(grouped) - {None} <= set(keys)
            for key in keys:
                assert grouped.get(key, kpi.empty_fee_kpis()) == kpi.fee_kpis(p, as_of=as_of, scope=scope_of(key)), \
                    (period, by, key)
        whole = kpi.fee_kpis(p, as_of=as_of)
        assert whole["billed"] == sum(kpi.fee_kpis_by(p, by="estate", as_of=as_of)[e]["billed"] for e in estates)


def test_the_12_month_trend_equals_one_computation_per_month_on_the_demo(demo_db):
    last = kpi.Period.parse("2026-11")
    periods = [last]
    while len(periods) < 12:
        periods.append(periods[-1].previous())
    moments = {q.label: default_as_of(q) for q in periods}
    with read_session() as s:
        estate = s.scalar(select(Estate.id).order_by(Estate.code))
    for scope in (None, kpi.FeeScope(estate_id=estate)):
        trend = kpi.fee_kpis_months(periods, as_of=moments, scope=scope)
        for q in periods:
            assert trend[q.label] == kpi.fee_kpis(q, as_of=moments[q.label], scope=scope), q.label
