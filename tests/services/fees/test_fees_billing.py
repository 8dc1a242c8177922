"""Billing 计费 (services/fees/billing): every fee formula, proration, exceptions, rounding, idempotent and atomic runs.

Expected amounts are computed by hand in the comments (half-up to the cent, once, after
quantity x rate x days/days-in-month). The fee services' clock is pinned with `pin_fee_clock`
(monkeypatching `utcnow` in services.fees.billing/cashier/...), so payments and runs carry chosen moments.
Every test that touches the database runs on SQLite, PostgreSQL and MariaDB (`db` fixture).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Allocation, Bill, BillingRun, CreditEntry, FeeItem, MeterReading, ParkingLease, Unit
from services.estate import parking
from services.fees import billing as fees
from services.fees import cashier
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import PermissionDenied, ValidationError
from tests.factories import (
    actor_for,
    bills_of,
    bulk_units,
    count_rows,
    db_state,
    fee_login,
    force_columns,
    get_row,
    make_estate,
    make_lease,
    make_resident,
    make_unit_fee,
    pin_fee_clock,
    seed_fee_items,
)

D = Decimal
CLERK = actor_for(Role.CLERK)
MANAGER = actor_for(Role.MANAGER)


def at(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Estate:
    estate_id: int
    items: dict[str, int]
    units: dict[str, int]  # label -> unit id
    leases: dict[str, int]


def _unit(estate_id: int, building_id: int, start: int, **overrides) -> int:
    return bulk_units(estate_id, building_id, 1, start=start, **overrides)[-1]  # the building's newest unit


@pytest.fixture
def march(db, monkeypatch) -> Estate:
    """One estate, billed for 2026-03 (31 days), with one unit per rule under test."""
    pin_fee_clock(monkeypatch, at(2026, 4, 1))
    items = seed_fee_items()
    estate_id, [b1] = make_estate("E1", "计费小区")
    u = {
        # 住宅 89.50 m² x 2.2000 = 196.90 a whole month
        "full": _unit(estate_id, b1, 1),
        # delivered 2026-03-15: days 15..31 = 17 of 31
        "mid": _unit(estate_id, b1, 2, delivered_on=date(2026, 3, 15)),
        # 商铺 10.01 m² x 4.5000 = 45.045 -> 45.05 (half-up; half-even would give 45.04); 垃圾清运费 50.00 fixed
        "shop": _unit(estate_id, b1, 3, kind="商铺", built_area=D("10.01")),
        # 未售, never delivered: billed to 开发商 for the whole month, 100.00 x 2.2 = 220.00
        "unsold": _unit(estate_id, b1, 4, status="未售", delivered_on=None, built_area=D("100.00")),
        # not handed over (no delivery date): nobody pays
        "undelivered": _unit(estate_id, b1, 5, status="空置", delivered_on=None),
        # no area: warned, not billed
        "no_area": _unit(estate_id, b1, 6, built_area=None),
        # 免收 物业服务费 2026-03-01..03-10: billed days 11..31 = 21 of 31
        "exempt": _unit(estate_id, b1, 7),
    }
    make_unit_fee(u["exempt"], items["WY-ZZ"], "免收", date(2026, 3, 1), date(2026, 3, 10))
    # one-off 装修垃圾清运费 300.00 on 2026-03-05
    make_unit_fee(u["full"], items["ZX-LJ"], "收取", date(2026, 3, 5), date(2026, 3, 5))
    leases = {
        # starts 2026-03-11: days 11..31 = 21 of 31 of 350.00
        "starts": make_lease(estate_id, u["full"], date(2026, 3, 11), date(2027, 3, 10), "350.00", number="B1-001"),
        # ends 2026-03-09: days 1..9 = 9 of 31 of 280.00
        "ends": make_lease(estate_id, u["mid"], date(2025, 3, 10), date(2026, 3, 9), "280.00", number="B1-002",
                           person="赵车主"),
        # the whole month: 300.00
        "whole": make_lease(estate_id, None, date(2026, 1, 1), date(2026, 12, 31), "300.00", number="B1-003",
                            person="钱车主"),
        # over before March: nothing
        "over": make_lease(estate_id, u["shop"], date(2025, 1, 1), date(2026, 2, 28), "300.00", number="B1-004",
                           person="孙车主"),
    }
    # meters of the shop: 水 1200.00 -> 1234.50 (usage 34.50), 电 5000.00 -> 5123.45 (usage 123.45)
    meter = fee_login(Role.CLERK, "meter1")
    fees.record_readings(actor=meter, period="2026-02", read_on=date(2026, 2, 28), readings=[
        fees.Reading(u["shop"], items["SF"], "1200.00"), fees.Reading(u["shop"], items["DF"], "5000.00")])
    fees.record_readings(actor=meter, period="2026-03", read_on=date(2026, 3, 31), readings=[
        fees.Reading(u["shop"], items["SF"], "1234.50"), fees.Reading(u["shop"], items["DF"], "5123.45")])
    return Estate(estate_id, items, u, leases)


def _amounts(unit_id: int | None = None, period: str = "2026-03") -> dict[int, Decimal]:
    return {b.fee_item_id: b.amount for b in bills_of(unit_id) if b.period == period}


def _lease_bill(lease_id: int, period: str = "2026-03") -> Bill | None:
    return next((b for b in bills_of() if b.payer_key == f"L{lease_id}" and b.period == period), None)


# --- the formulas ---------------------------------------------------------------------------------------


def test_area_times_rate_bills_a_whole_month(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    [bill] = [b for b in bills_of(march.units["full"]) if b.fee_item_id == march.items["WY-ZZ"]]
    # 89.50 x 2.2000 = 196.90
    assert bill.amount == D("196.90")
    assert (bill.quantity, bill.rate) == (D("89.50"), D("2.2000"))
    assert (bill.start_on, bill.end_on, bill.due_on) == (date(2026, 3, 1), date(2026, 3, 31), date(2026, 3, 31))
    assert (bill.status, bill.source, bill.paid, bill.waived) == ("未缴", "计费", D("0.00"), D("0.00"))


def test_a_unit_delivered_mid_month_pays_for_its_days(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    [bill] = [b for b in bills_of(march.units["mid"]) if b.fee_item_id == march.items["WY-ZZ"]]
    # 196.90 x 17 / 31 = 3347.30 / 31 = 107.9774... -> 107.98
    assert bill.amount == D("107.98")
    assert (bill.start_on, bill.end_on) == (date(2026, 3, 15), date(2026, 3, 31))


def test_shop_area_fee_rounds_half_up_and_fixed_fee_is_the_monthly_rate(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    got = _amounts(march.units["shop"])
    # 10.01 x 4.5000 = 45.045 -> 45.05 (ROUND_HALF_UP; banker's rounding would say 45.04)
    assert got[march.items["WY-SP"]] == D("45.05")
    # 垃圾清运费（商铺）: fixed 50.0000 a month
    assert got[march.items["LJ-SP"]] == D("50.00")


def test_meter_usage_times_tariff(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    got = _amounts(march.units["shop"])
    # 水: (1234.50 - 1200.00) = 34.50 t x 5.6000 = 193.20
    assert got[march.items["SF"]] == D("193.20")
    # 电: (5123.45 - 5000.00) = 123.45 kWh x 0.9800 = 120.981 -> 120.98
    assert got[march.items["DF"]] == D("120.98")
    [water] = [b for b in bills_of(march.units["shop"]) if b.fee_item_id == march.items["SF"]
               and b.period == "2026-03"]
    assert (water.quantity, water.rate) == (D("34.50"), D("5.6000"))


def test_parking_leases_pay_their_monthly_fee_for_the_days_they_cover(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    starts, ends, whole = (_lease_bill(march.leases[k]) for k in ("starts", "ends", "whole"))
    # starts 03-11: 350.00 x 21 / 31 = 7350 / 31 = 237.0967... -> 237.10
    assert starts.amount == D("237.10")
    assert (starts.start_on, starts.end_on) == (date(2026, 3, 11), date(2026, 3, 31))
    # ends 03-09: 280.00 x 9 / 31 = 2520 / 31 = 81.2903... -> 81.29
    assert ends.amount == D("81.29")
    assert (ends.start_on, ends.end_on) == (date(2026, 3, 1), date(2026, 3, 9))
    # the whole month: 300.00
    assert whole.amount == D("300.00")
    assert _lease_bill(march.leases["over"]) is None
    # a lease of a unit is paid from the unit's account; one without a unit has its own
    assert (starts.household, starts.payer_name) == (f"U{march.units['full']}", "王车主")
    assert whole.household == f"L{march.leases['whole']}"


def test_a_one_off_charge_is_billed_once_in_its_month(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    assert _amounts(march.units["full"])[march.items["ZX-LJ"]] == D("300.00")
    fees.run_billing(actor=CLERK, period="2026-04")
    assert march.items["ZX-LJ"] not in _amounts(march.units["full"], "2026-04")


def test_an_exemption_for_part_of_a_month_bills_the_other_days(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    [bill] = [b for b in bills_of(march.units["exempt"]) if b.period == "2026-03"]
    # 免收 03-01..03-10 leaves 21 of 31 days: 196.90 x 21 / 31 = 4134.90 / 31 = 133.3838... -> 133.38
    assert bill.amount == D("133.38")
    # April has no exemption: the whole month, 196.90
    fees.run_billing(actor=CLERK, period="2026-04")
    assert _amounts(march.units["exempt"], "2026-04") == {march.items["WY-ZZ"]: D("196.90")}


def test_an_unsold_unit_is_billed_to_the_developer(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    [bill] = bills_of(march.units["unsold"])
    # 100.00 x 2.2000 = 220.00, the whole month (no delivery date needed)
    assert (bill.amount, bill.payer_name) == (D("220.00"), "开发商")


def test_the_owner_of_record_is_named_on_the_bill(march):
    make_resident(march.units["full"], "李业主")
    fees.run_billing(actor=CLERK, period="2026-03")
    assert {b.payer_name for b in bills_of(march.units["full"]) if b.unit_id == march.units["full"]
            and b.parking_lease_id is None} == {"李业主"}


def test_units_not_delivered_are_not_billed_and_units_without_area_are_warned(march):
    plan = fees.preview_billing(actor=CLERK, period="2026-03")
    assert bills_of(march.units["undelivered"]) == []
    assert not [b for b in plan.bills if b.unit_id in (march.units["undelivered"], march.units["no_area"])]
    assert plan.warnings == ("1 套房屋缺少建筑面积，未计物业服务费；补齐面积后再次计费即可补上",)
    fees.run_billing(actor=CLERK, period="2026-03")
    assert bills_of(march.units["undelivered"]) == [] and bills_of(march.units["no_area"]) == []


def test_once_the_area_is_filled_in_a_second_run_bills_only_that_unit(march):
    first = fees.run_billing(actor=CLERK, period="2026-03")
    force_columns(Unit, march.units["no_area"], built_area=D("50.00"))
    second = fees.run_billing(actor=CLERK, period="2026-03")
    # 50.00 x 2.2000 = 110.00
    assert (second.created, second.total) == (1, D("110.00"))
    assert [b.amount for b in bills_of(march.units["no_area"])] == [D("110.00")]
    assert count_rows(Bill) == first.created + 1


def test_whole_run_total_and_count(march):
    result = fees.run_billing(actor=CLERK, period="2026-03")
    # 住宅 full 196.90 + one-off 300.00; mid 107.98; shop 45.05 + 50.00 + 193.20 + 120.98; unsold 220.00;
    # exempt 133.38; leases 237.10 + 81.29 + 300.00
    # = 196.90 + 300.00 + 107.98 + 45.05 + 50.00 + 193.20 + 120.98 + 220.00 + 133.38 + 237.10 + 81.29 + 300.00
    # = 1985.88
    assert (result.period, result.created, result.total, result.credit_used) == ("2026-03", 12, D("1985.88"),
                                                                                    D("0.00"))
    assert sum((b.amount for b in bills_of()), D("0.00")) == D("1985.88")
    with read_session() as s:
        [run] = s.scalars(select(BillingRun)).all()
        assert (run.period, run.bills_created, run.total) == ("2026-03", 12, D("1985.88"))


def test_prorate_rounds_once_half_up():
    # 100.01 x 15 / 30 = 50.005 -> 50.01 (half-up), not 50.00
    assert fees.prorate(D("1"), D("100.01"), 15, 30) == D("50.01")
    # a whole month is not divided: 89.50 x 2.2 = 196.90
    assert fees.prorate(D("89.50"), D("2.2"), 31, 31) == D("196.90")
    # 0.125 -> 0.13
    assert fees.prorate(D("1"), D("0.125"), 30, 30) == D("0.13")


# --- runs: preview, idempotence, atomicity ----------------------------------------------------------------


def test_preview_writes_nothing_and_equals_the_run(march):
    before = db_state()
    plan = fees.preview_billing(actor=CLERK, period="2026-03")
    assert db_state() == before
    result = fees.run_billing(actor=CLERK, period="2026-03")
    planned = sorted((b.fee_item_id, b.payer_key, b.amount, b.start_on, b.end_on) for b in plan.bills)
    made = sorted((b.fee_item_id, b.payer_key, b.amount, b.start_on, b.end_on) for b in bills_of())
    assert planned == made
    assert (result.created, result.total) == (len(plan.bills), plan.total)
    by_item = {name: (n, total) for name, n, total in plan.by_item}
    # 物业服务费（住宅）: 196.90 + 107.98 + 220.00 + 133.38 = 658.26
    assert by_item["物业服务费（住宅）"] == (4, D("658.26"))
    # 停车费: 237.10 + 81.29 + 300.00 = 618.39
    assert by_item["停车费"] == (3, D("618.39"))


def test_running_a_period_twice_creates_nothing_new(march):
    fees.run_billing(actor=CLERK, period="2026-03")
    before = db_state()
    again = fees.run_billing(actor=CLERK, period="2026-03")
    assert (again.created, again.total) == (0, D("0.00"))
    assert db_state() == before  # nothing written, not even a run log
    assert fees.preview_billing(actor=CLERK, period="2026-03").bills == ()


def test_a_run_killed_after_its_first_chunk_leaves_no_partial_period(march, monkeypatch):
    monkeypatch.setattr(fees, "INSERT_CHUNK", 2)
    before = db_state()
    seen: list[str] = []

    class Killed(RuntimeError):
        pass

    def progress(fraction: float, text: str) -> None:
        seen.append(text)
        if text.startswith("写入应收"):  # reported right after a chunk of bills was inserted
            raise Killed(text)

    with pytest.raises(Killed):
        fees.run_billing(actor=CLERK, period="2026-03", progress=progress)
    assert seen[-1] == "写入应收 2/12"
    assert count_rows(Bill) == 0 and count_rows(BillingRun) == 0
    assert db_state() == before
    # and a later run bills the whole period
    assert fees.run_billing(actor=CLERK, period="2026-03").created == 12


def test_progress_reaches_done(march):
    seen: list[float] = []
    fees.run_billing(actor=CLERK, period="2026-03", progress=lambda f, _t: seen.append(f))
    assert seen[0] < seen[-1] == 1.0 and seen == sorted(seen)


def test_a_run_for_one_estate_leaves_the_other_alone(march):
    other, [b2] = make_estate("E2", "别的小区")
    [foreign] = bulk_units(other, b2, 1)
    result = fees.run_billing(actor=CLERK, period="2026-03", estate_id=other)
    assert (result.created, result.total) == (1, D("196.90"))
    assert [b.unit_id for b in bills_of()] == [foreign]


def test_prepaid_credit_is_used_by_the_next_run(db, monkeypatch):
    clock = pin_fee_clock(monkeypatch, at(2026, 3, 20))
    seed_fee_items()
    estate_id, [b1] = make_estate()
    [unit] = bulk_units(estate_id, b1, 1)
    fees.run_billing(actor=CLERK, period="2026-03")
    cash = fee_login(Role.CASHIER, "cash1")
    receipt = cashier.take_payment(actor=cash, unit_id=unit, amount="500.00", method="现金")
    # 500.00 - 196.90 (March) = 303.10 credit
    assert receipt.credit_added == D("303.10")
    clock.now = at(2026, 4, 1, 2)
    april = fees.run_billing(actor=CLERK, period="2026-04")
    # April 196.90 paid from credit; 303.10 - 196.90 = 106.20 left
    assert april.credit_used == D("196.90")
    assert cashier.account(actor=cash, unit_id=unit).credit == D("106.20")
    clock.now = at(2026, 5, 1, 2)
    may = fees.run_billing(actor=CLERK, period="2026-05")
    # May: 106.20 of 196.90 from credit, 90.70 still owed
    assert may.credit_used == D("106.20")
    acct = cashier.account(actor=cash, unit_id=unit)
    assert (acct.credit, acct.owed) == (D("0.00"), D("90.70"))
    [(status, paid)] = [(b.status, b.paid) for b in bills_of(unit) if b.period == "2026-05"]
    assert (status, paid) == ("部分缴", D("106.20"))
    with read_session() as s:
        vias = s.execute(select(Allocation.via, Allocation.amount, Allocation.at).order_by(Allocation.id)).all()
        credit = s.scalars(select(CreditEntry.amount).order_by(CreditEntry.id)).all()
    assert [(v, a) for v, a, _ in vias] == [("收款", D("196.90")), ("预存", D("196.90")), ("预存", D("106.20"))]
    assert vias[1][2] == at(2026, 4, 1, 2)  # credit meets the bill when the run raises it
    assert credit == [D("303.10"), D("-196.90"), D("-106.20")]


# --- meter readings ------------------------------------------------------------------------------------


def test_a_meter_reading_lower_than_the_last_is_refused_unless_the_meter_was_replaced(march):
    meter = fee_login(Role.CLERK, "meter2")
    before = db_state()
    with pytest.raises(ValidationError) as e:
        fees.record_readings(actor=meter, period="2026-04", read_on=date(2026, 4, 30),
                             readings=[fees.Reading(march.units["shop"], march.items["SF"], "1200.00")])
    assert "不能小于上期读数 1234.50" in e.value.row_errors[1]["本期读数"]
    assert db_state() == before
    fees.record_readings(actor=meter, period="2026-04", read_on=date(2026, 4, 30), readings=[
        fees.Reading(march.units["shop"], march.items["SF"], "12.00", replaced=True, start_reading="2.00")])
    with read_session() as s:
        usage = s.scalar(select(MeterReading.usage).where(MeterReading.period == "2026-04"))
    # new meter 2.00 -> 12.00: usage 10.00 t, billed 10.00 x 5.6 = 56.00
    assert usage == D("10.00")
    fees.run_billing(actor=CLERK, period="2026-04")
    assert _amounts(march.units["shop"], "2026-04")[march.items["SF"]] == D("56.00")


# --- refusals -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.CASHIER, Role.SERVICE, Role.ENGINEER])
def test_only_billing_roles_run_billing(db, role):
    with pytest.raises(PermissionDenied):
        fees.run_billing(actor=actor_for(role), period="2026-03")
    with pytest.raises(PermissionDenied):
        fees.preview_billing(actor=actor_for(role), period="2026-03")


@pytest.mark.parametrize("period", ["2026-13", "2026-3", "202603", "", "三月"])
def test_a_malformed_period_is_refused_naming_the_field(db, period):
    with pytest.raises(ValidationError) as e:
        fees.run_billing(actor=MANAGER, period=period)
    assert "计费期间" in e.value.errors
    assert count_rows(BillingRun) == 0


def test_a_lease_ended_early_is_not_billed_for_later_months(march):
    lease_id = march.leases["starts"]
    parking.end_lease(actor=MANAGER, lease_id=lease_id, version=get_row(ParkingLease, lease_id).version)
    fees.run_billing(actor=CLERK, period="2026-05")
    assert _lease_bill(lease_id, "2026-05") is None


# --- no unit is skipped in silence (issue 13: going live from a system whose units have no 交房日期) ----------


def test_a_handed_over_unit_without_delivery_date_is_billed_for_the_whole_month_and_flagged(march):
    estate_id = march.estate_id
    b1 = get_row(Unit, march.units["full"]).building_id
    lived_in = _unit(estate_id, b1, 20, delivered_on=None)  # 已入住, as HC's 资产信息 lists it, no date
    rented = _unit(estate_id, b1, 21, kind="商铺", status="出租", delivered_on=None, built_area=D("10.00"))
    plan = fees.preview_billing(actor=CLERK, period="2026-03")
    assert {n.unit_id for n in plan.undated} == {lived_in, rented}
    assert all(n.reason == "交房日期未填" and n.unit.startswith("计费小区 ") for n in plan.undated)
    assert "2 套已交房的房屋交房日期未填，本期按整月计费；请在房屋档案中补填交房日期" in plan.warnings
    result = fees.run_billing(actor=CLERK, period="2026-03")
    # the whole month: 89.50 x 2.2000 = 196.90; the shop 10.00 x 4.5000 = 45.00 and 垃圾清运费 50.00
    assert _amounts(lived_in) == {march.items["WY-ZZ"]: D("196.90")}
    assert sorted(_amounts(rented).values()) == [D("45.00"), D("50.00")]
    assert {n.unit_id for n in result.undated} == {lived_in, rented}


def test_a_delivery_date_filled_in_later_bills_from_then_on_and_leaves_billed_months_alone(march):
    b1 = get_row(Unit, march.units["full"]).building_id
    unit = _unit(march.estate_id, b1, 20, delivered_on=None)
    fees.run_billing(actor=CLERK, period="2026-03")
    force_columns(Unit, unit, delivered_on=date(2026, 4, 16))  # the clerk finds the handover record
    fees.run_billing(actor=CLERK, period="2026-03")
    fees.run_billing(actor=CLERK, period="2026-04")
    assert _amounts(unit) == {march.items["WY-ZZ"]: D("196.90")}  # March stays as billed
    # April from the 16th: 15 of 30 days of 196.90 = 98.45
    assert _amounts(unit, "2026-04") == {march.items["WY-ZZ"]: D("98.45")}
    assert fees.preview_billing(actor=CLERK, period="2026-04").undated == ()


def test_every_unit_left_without_a_bill_is_listed_with_its_reason_and_counted(march):
    b1 = get_row(Unit, march.units["full"]).building_id
    force_columns(FeeItem, march.items["WY-CK"], active=False)  # this company does not charge garages
    garage = _unit(march.estate_id, b1, 30, kind="车库")
    exempt_all = _unit(march.estate_id, b1, 31)
    make_unit_fee(exempt_all, march.items["WY-ZZ"], "免收", date(2026, 1, 1))
    later = _unit(march.estate_id, b1, 32, delivered_on=date(2026, 5, 1))
    plan = fees.preview_billing(actor=CLERK, period="2026-03")
    reasons = {n.unit_id: n.reason for n in plan.not_billed}
    assert reasons == {
        march.units["undelivered"]: "未交房（空置、无交房日期且从未有业主）",
        march.units["no_area"]: "缺少建筑面积（按面积计费的项目未计）",
        garage: "该类房屋没有默认收费项目",
        exempt_all: "本期免收",
        later: "交房日期在本期之后",
    }
    assert sum(n for _, n in plan.not_billed_by_reason) == len(plan.not_billed) == 5
    result = fees.run_billing(actor=CLERK, period="2026-03")
    assert result.not_billed == plan.not_billed
    billed = {b.unit_id for b in bills_of() if b.period == "2026-03" and b.unit_id is not None}
    with read_session() as s:
        every_unit = set(s.scalars(select(Unit.id).where(Unit.estate_id == march.estate_id)))
    assert billed | set(reasons) == every_unit  # nothing skipped in silence


def test_a_vacant_unit_that_had_an_owner_counts_as_handed_over(march):
    b1 = get_row(Unit, march.units["full"]).building_id
    moved_out = _unit(march.estate_id, b1, 40, status="空置", delivered_on=None)
    make_resident(moved_out, "周前业主", "13900001111", end_on=date(2025, 12, 31))
    plan = fees.preview_billing(actor=CLERK, period="2026-03")
    assert moved_out in {n.unit_id for n in plan.undated}
    assert moved_out in {b.unit_id for b in plan.bills}
