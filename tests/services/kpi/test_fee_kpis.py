"""The fee figures of KPI.md (services.kpi.fee_kpis) against a hand-built month with exact expected values.

Time: payments are taken through the real cashier service with its clock pinned (`pin_fee_clock`
monkeypatches `services.fees.cashier.utcnow`), so each allocation carries the moment the test chose; bills
of chosen periods are written directly with `make_bill`. Every test runs on SQLite, PostgreSQL and MariaDB.

The month P = 2026-03. Units U1, U2, U3 in building 1 (collector 张收 for U1 and U2), U4 in building 2
(collector 李收); a second estate has no bills. Bills (物业服务费 unless said):

    2025-11  U1 100.00   U4 80.00                       (an earlier calendar year)
    2026-02  U1 100.00   U2 100.00                      (earlier this year)
    2026-03  U1 100.00   U2 100.00   U3 100.00   U4 100.00   U3 垃圾清运费 50.00 cancelled

Payments (oldest bills first unless picked):

    2026-02-20  U2 100.00 -> U2 2026-02 (paid before P starts)
    2026-03-05  U1 300.00 -> U1 2025-11 100 + 2026-02 100 + 2026-03 100
    2026-03-10  U3  60.00 -> U3 2026-03 60 of 100
    2026-03-12  U4  50.00 picked U4 2026-03, then voided on 03-13
    2026-04-02  U2 100.00 -> U2 2026-03 (after P)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from services import kpi
from services.fees import approvals, arrears, cashier
from services.kpi import FeeScope
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from tests.factories import (
    FeeClock,
    actor_for,
    bulk_units,
    fee_login,
    make_bill,
    make_estate,
    make_staff,
    pin_fee_clock,
    seed_fee_items,
)

D = Decimal
P = kpi.Period.parse("2026-03")
END_OF_MARCH = P.last_instant


def at(m: int, d: int, hh: int = 10, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Month:
    clock: FeeClock
    estate_id: int
    other_estate_id: int
    buildings: tuple[int, int]
    units: tuple[int, int, int, int]
    collectors: tuple[int, int]
    bills: dict[str, int]
    boss: object
    cash: object


def _pay(m: Month, when: datetime, unit: int, amount: str, bill_ids=None) -> cashier.Receipt:
    m.clock.now = when
    return cashier.take_payment(actor=m.cash, unit_id=unit, amount=amount, method="现金", bill_ids=bill_ids)


@pytest.fixture
def month(db, monkeypatch) -> Month:
    clock = pin_fee_clock(monkeypatch, at(2, 1))
    items = seed_fee_items()
    wy, lj = items["WY-ZZ"], items["LJ-SP"]
    estate_id, (b1, b2) = make_estate("K1", "指标小区", buildings=("1", "2"))
    other_estate_id, _ = make_estate("K2", "空小区")
    u1, u2, u3 = bulk_units(estate_id, b1, 3)
    [u4] = bulk_units(estate_id, b2, 1)
    zhang, li = make_staff("张收", "C001"), make_staff("李收", "C002")
    manager = actor_for(Role.MANAGER)
    arrears.assign_collector(actor=manager, unit_ids=[u1, u2], staff_id=zhang)
    arrears.assign_collector(actor=manager, unit_ids=[u4], staff_id=li)
    bills = {
        "u1_2025_11": make_bill(u1, wy, "2025-11", "100.00"),
        "u4_2025_11": make_bill(u4, wy, "2025-11", "80.00"),
        "u1_02": make_bill(u1, wy, "2026-02", "100.00"),
        "u2_02": make_bill(u2, wy, "2026-02", "100.00"),
        "u1_03": make_bill(u1, wy, "2026-03", "100.00"),
        "u2_03": make_bill(u2, wy, "2026-03", "100.00"),
        "u3_03": make_bill(u3, wy, "2026-03", "100.00"),
        "u4_03": make_bill(u4, wy, "2026-03", "100.00"),
        "u3_03_cancelled": make_bill(u3, lj, "2026-03", "50.00", status="已取消"),
    }
    m = Month(clock, estate_id, other_estate_id, (b1, b2), (u1, u2, u3, u4), (zhang, li), bills,
              fee_login(Role.MANAGER, "boss"), fee_login(Role.CASHIER, "cash"))
    _pay(m, at(2, 20), u2, "100.00")
    _pay(m, at(3, 5), u1, "300.00")
    _pay(m, at(3, 10), u3, "60.00")
    voided = _pay(m, at(3, 12), u4, "50.00", bill_ids=[bills["u4_03"]])
    clock.now = at(3, 13)
    req = approvals.request_void(actor=m.cash, payment_id=voided.payment_id, reason="收错")
    approvals.decide(actor=m.boss, approval_id=req, approve=True)
    _pay(m, at(4, 2), u2, "100.00")
    return m


def test_the_month_at_its_last_instant(month):
    got = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH)
    assert got == {
        # 4 x 100.00; the cancelled 50.00 does not count
        "billed": D("400.00"),
        # U1 100.00 + U3 60.00; U4's 50.00 was voided; U2's arrives in April
        "collected": D("160.00"),
        # 160 / 400
        "collection_rate": D("0.4000"),
        # 4 households billed, 3 still owing (U2, U3, U4): (4 - 3) / 4
        "household_rate": D("0.2500"),
        # unpaid on 03-01 of bills before March: U1 2025-11 100 + U4 2025-11 80 + U1 2026-02 100 (U2's was paid)
        "prior_arrears": D("280.00"),
        # U1's 2025-11 100 + 2026-02 100, paid 03-05
        "arrears_recovered": D("200.00"),
        # 200 / 280 = 0.714285... -> 0.7143
        "arrears_recovery_rate": D("0.7143"),
        # of those, the 2025 bill: 100.00
        "prior_years_collected": D("100.00"),
    }
    assert tuple(got) == kpi.FEE_KPI_KEYS


def test_collected_counts_only_what_was_received_by_as_of(month):
    before = kpi.fee_kpis("2026-03", as_of=at(3, 5, 9))
    # nothing of March received yet: 0 / 400 is a rate of 0, not "—"
    assert (before["collected"], before["collection_rate"], before["household_rate"]) == (D("0.00"), D("0.0000"),
                                                                                           D("0.0000"))
    assert (before["arrears_recovered"], before["arrears_recovery_rate"]) == (D("0.00"), D("0.0000"))
    assert before["prior_arrears"] == D("280.00")  # fixed at the start of P, whatever as_of
    just_after = kpi.fee_kpis("2026-03", as_of=at(3, 5, 10))
    # received at or before as_of: U1's 100.00 counts at the very moment
    assert (just_after["collected"], just_after["collection_rate"]) == (D("100.00"), D("0.2500"))
    # U4's voided payment never counts, not even between its taking and its void
    between = kpi.fee_kpis("2026-03", as_of=at(3, 12, 12))
    assert between["collected"] == D("160.00")


def test_a_payment_after_the_month_counts_in_collected_but_not_in_recovered(month):
    got = kpi.fee_kpis("2026-03", as_of=at(4, 3))
    # U2's 100.00 of 04-02 meets U2's March bill: 160 + 100 = 260; 260 / 400 = 0.65
    assert (got["collected"], got["collection_rate"]) == (D("260.00"), D("0.6500"))
    # now owing: U3 and U4 -> (4 - 2) / 4
    assert got["household_rate"] == D("0.5000")
    # recovered counts only allocations received within March
    assert (got["arrears_recovered"], got["arrears_recovery_rate"]) == (D("200.00"), D("0.7143"))


def test_the_month_ends_at_midnight_in_shanghai_not_in_utc(month):
    """Half past midnight on 1 April in Shanghai is still 31 March in UTC: the money counts in April."""
    _pay(month, datetime(2026, 4, 1, 0, 30, tzinfo=SHANGHAI), month.units[2], "40.00")  # U3's March bill, the rest
    march = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH)
    assert (march["collected"], march["household_rate"]) == (D("160.00"), D("0.2500"))  # U3 still owed at month-end
    april = kpi.fee_kpis("2026-04", as_of=at(4, 30, 23))
    # recovered in April: U3's 40.00 at 00:30 and U2's 100.00 on 04-02
    assert april["arrears_recovered"] == D("140.00")
    both = kpi.fee_kpis_months([P, kpi.Period.parse("2026-04")],
                               as_of={"2026-03": END_OF_MARCH, "2026-04": at(4, 30, 23)})
    assert both == {"2026-03": march, "2026-04": april}


def test_april_sees_march_as_prior_arrears(month):
    got = kpi.fee_kpis("2026-04", as_of=at(4, 30, 23))
    # April has no bills: rates over nothing are None
    assert (got["billed"], got["collection_rate"], got["household_rate"]) == (D("0.00"), None, None)
    # unpaid on 04-01 of bills before April: U4 2025-11 80 + U2 03 100 + U3 03 40 + U4 03 100 = 320.00
    assert got["prior_arrears"] == D("320.00")
    # U2's 100.00 on 04-02 meets a March bill: recovered, same year
    assert (got["arrears_recovered"], got["prior_years_collected"]) == (D("100.00"), D("0.00"))
    # 100 / 320 = 0.3125
    assert got["arrears_recovery_rate"] == D("0.3125")


def test_scope_by_building(month):
    b1, b2 = month.buildings
    one = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH, scope=FeeScope(building_id=b1))
    # U1, U2, U3: billed 300, collected 100 + 60 = 160, 160 / 300 = 0.5333...; owing U2, U3 -> (3 - 2) / 3
    assert (one["billed"], one["collected"], one["collection_rate"], one["household_rate"]) == (
        D("300.00"), D("160.00"), D("0.5333"), D("0.3333"))
    # prior: U1 100 + 100 = 200, all recovered
    assert (one["prior_arrears"], one["arrears_recovered"], one["arrears_recovery_rate"],
            one["prior_years_collected"]) == (D("200.00"), D("200.00"), D("1.0000"), D("100.00"))
    two = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH, scope=FeeScope(building_id=b2))
    # U4: billed 100, nothing collected (voided), prior 80 untouched
    assert (two["billed"], two["collected"], two["collection_rate"], two["household_rate"], two["prior_arrears"],
            two["arrears_recovery_rate"]) == (D("100.00"), D("0.00"), D("0.0000"), D("0.0000"), D("80.00"),
                                              D("0.0000"))


def test_scope_by_collector(month):
    zhang, li = month.collectors
    z = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH, scope=FeeScope(collector_staff_id=zhang))
    # U1, U2: billed 200, collected 100, 100 / 200 = 0.5; U1 paid, U2 owing -> (2 - 1) / 2
    assert (z["billed"], z["collected"], z["collection_rate"], z["household_rate"]) == (
        D("200.00"), D("100.00"), D("0.5000"), D("0.5000"))
    # prior: U1 200 (U2's February was paid in February); recovered 200
    assert (z["prior_arrears"], z["arrears_recovered"], z["arrears_recovery_rate"]) == (
        D("200.00"), D("200.00"), D("1.0000"))
    lee = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH, scope=FeeScope(collector_staff_id=li))
    assert (lee["billed"], lee["collected"], lee["prior_arrears"], lee["arrears_recovered"]) == (
        D("100.00"), D("0.00"), D("80.00"), D("0.00"))


def test_scope_by_estate_and_zero_denominators(month):
    whole = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH, scope=FeeScope(estate_id=month.estate_id))
    assert whole == kpi.fee_kpis("2026-03", as_of=END_OF_MARCH)
    empty = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH, scope=FeeScope(estate_id=month.other_estate_id))
    assert empty == {"billed": D("0.00"), "collected": D("0.00"), "collection_rate": None, "household_rate": None,
                     "prior_arrears": D("0.00"), "arrears_recovered": D("0.00"), "arrears_recovery_rate": None,
                     "prior_years_collected": D("0.00")}


def test_an_empty_database_has_no_rates(db):
    got = kpi.fee_kpis("2026-03")
    assert [got[k] for k in ("collection_rate", "household_rate", "arrears_recovery_rate")] == [None, None, None]
    assert got["billed"] == got["collected"] == D("0.00")


def test_an_approved_waiver_counts_billed_net_and_a_household_waived_to_zero_is_not_billed(month):
    month.clock.now = at(3, 20)
    desk = fee_login(Role.SERVICE, "desk")
    # U3 owes 40.00 of March: waive it; U4's March bill is waived whole
    for bill, amount in ((month.bills["u3_03"], "40.00"), (month.bills["u4_03"], "100.00")):
        req = approvals.request_waiver(actor=desk, bill_id=bill, amount=amount, reason="漏水影响使用")
        approvals.decide(actor=month.boss, approval_id=req, approve=True)
    got = kpi.fee_kpis("2026-03", as_of=END_OF_MARCH)
    # billed net: U1 100 + U2 100 + U3 (100 - 40) + U4 (100 - 100) = 260.00; collected 160; 160 / 260 = 0.6154
    assert (got["billed"], got["collected"], got["collection_rate"]) == (D("260.00"), D("160.00"), D("0.6154"))
    # households billed: U1, U2, U3 (U4 owes nothing for March); owing: U2 -> (3 - 1) / 3 = 0.6667
    assert got["household_rate"] == D("0.6667")
    # a pending (not approved) waiver changes nothing, not even the prior arrears it would reduce
    approvals.request_waiver(actor=desk, bill_id=month.bills["u4_2025_11"], amount="80.00", reason="待批")
    assert kpi.fee_kpis("2026-03", as_of=END_OF_MARCH) == got


def test_credit_used_by_a_billing_run_counts_when_the_run_meets_the_bill(month):
    from services.fees import billing as fees

    u1 = month.units[0]
    # U1 pays 196.90 ahead on 03-20 (all its bills are paid): credit
    assert _pay(month, at(3, 20), u1, "196.90").credit_added == D("196.90")
    month.clock.now = at(4, 1, 2)
    fees.run_billing(actor=actor_for(Role.CLERK), period="2026-04")
    # April bills: 4 units x 89.50 x 2.2 = 196.90 each = 787.60; U1's is paid from credit at 04-01 02:00
    early = kpi.fee_kpis("2026-04", as_of=at(4, 1, 1))
    late = kpi.fee_kpis("2026-04", as_of=at(4, 1, 3))
    assert (early["billed"], early["collected"]) == (D("787.60"), D("0.00"))
    # 196.90 / 787.60 = 0.25; 1 of 4 households paid up
    assert (late["collected"], late["collection_rate"], late["household_rate"]) == (D("196.90"), D("0.2500"),
                                                                                   D("0.2500"))
    # money received in March as credit is not March's 当期实收
    assert kpi.fee_kpis("2026-03", as_of=END_OF_MARCH)["collected"] == D("160.00")


def test_a_voided_payment_whose_credit_was_used_counts_nowhere(month):
    from services.fees import billing as fees

    u1 = month.units[0]
    r = _pay(month, at(3, 20), u1, "196.90")
    month.clock.now = at(4, 1, 2)
    fees.run_billing(actor=actor_for(Role.CLERK), period="2026-04")
    month.clock.now = at(4, 2, 9)
    req = approvals.request_void(actor=month.cash, payment_id=r.payment_id, reason="假币")
    approvals.decide(actor=month.boss, approval_id=req, approve=True)
    got = kpi.fee_kpis("2026-04", as_of=at(4, 30, 23))
    # collected in April: only U2's 100.00 of 04-02 met a March bill (recovered), nothing met April
    assert (got["collected"], got["collection_rate"], got["household_rate"]) == (D("0.00"), D("0.0000"),
                                                                                D("0.0000"))


@pytest.mark.parametrize("as_of", [END_OF_MARCH, at(3, 11), at(4, 30)], ids=["month-end", "mid-month", "later"])
def test_the_grouped_figures_equal_one_computation_per_group(month, as_of):
    """fee_kpis_by gives, for every building, collector and estate, exactly what fee_kpis gives for that scope."""
    scopes = {
        "building": {b: FeeScope(building_id=b) for b in month.buildings},
        "collector": {c: FeeScope(collector_staff_id=c) for c in month.collectors},
        "estate": {e: FeeScope(estate_id=e) for e in (month.estate_id, month.other_estate_id)},
    }
    for by, groups in scopes.items():
        grouped = kpi.fee_kpis_by("2026-03", by=by, as_of=as_of)
        for key, scope in groups.items():
            assert grouped.get(key, kpi.empty_fee_kpis()) == kpi.fee_kpis("2026-03", as_of=as_of, scope=scope), \
                (by, key)
    # a group with no bill is absent, and a unit without a collector belongs to no collector
    assert month.other_estate_id not in kpi.fee_kpis_by("2026-03", by="estate", as_of=as_of)
    assert set(kpi.fee_kpis_by("2026-03", by="collector", as_of=as_of)) == {*month.collectors, None}
    # within an estate, the groups are the estate's
    inside = kpi.fee_kpis_by("2026-03", by="building", as_of=as_of, scope=FeeScope(estate_id=month.other_estate_id))
    assert inside == {}


def test_several_months_at_once_equal_one_computation_per_month(month):
    """fee_kpis_months (the 12-month trend) gives each month what fee_kpis gives it at that month's moment."""
    periods = [kpi.Period.parse(f"2025-{m:02d}") for m in (11, 12)] + [kpi.Period.parse(f"2026-{m:02d}")
                                                                       for m in (1, 2, 3, 4)]
    moments = {q.label: q.last_instant for q in periods} | {"2026-03": at(3, 11), "2026-04": at(4, 2, 12)}
    for scope in (None, FeeScope(estate_id=month.estate_id), FeeScope(estate_id=month.other_estate_id)):
        got = kpi.fee_kpis_months(periods, as_of=moments, scope=scope)
        assert list(got) == [q.label for q in periods]
        for q in periods:
            assert got[q.label] == kpi.fee_kpis(q, as_of=moments[q.label], scope=scope), (scope, q.label)
        for only in (["collection_rate"], ["billed", "prior_arrears"], ["household_rate", "arrears_recovery_rate"]):
            some = kpi.fee_kpis_months(periods, as_of=moments, scope=scope, only=only)
            assert some == {label: {k: got[label][k] for k in only} for label in got}, (scope, only)
    assert kpi.fee_kpis_months([], as_of={}) == {}
    with pytest.raises(ValueError):
        kpi.fee_kpis_months(periods, as_of=moments, only=["no_such_figure"])
