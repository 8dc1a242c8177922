"""Arrears 欠费 and dunning 催缴 (services/fees/arrears): aging at the boundaries, summaries, the dunning log and due list.

Time: `pin_fee_clock` pins "now" (services.fees.arrears/cashier.utcnow and services.platform.clock for local_today) at
Monday 2026-11-23 10:00 in Shanghai, so "today", "this week" and the past-date rule never depend on the
day the suite runs. Bills of chosen periods and due dates are written directly with `make_bill`;
payments, waivers and dunning go through the services. Every test runs on SQLite, PostgreSQL and MariaDB.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from services.fees import approvals, arrears, cashier
from services.fees.arrears import Dunning
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import NotFound, PermissionDenied, ValidationError
from tests.factories import (
    FeeClock,
    actor_for,
    bulk_units,
    db_state,
    fee_login,
    make_bill,
    make_estate,
    make_staff,
    pin_fee_clock,
    seed_fee_items,
)

D = Decimal
TODAY = date(2026, 11, 23)  # a Monday
MANAGER = actor_for(Role.MANAGER)


def at(y: int, m: int, d: int, hh: int = 10) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


# --- aging ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("due_on, as_of, months, bucket", [
    (date(2026, 10, 15), date(2027, 1, 14), 2, "0–3个月"),
    (date(2026, 10, 15), date(2027, 1, 15), 3, "3–6个月"),  # exactly 3 months
    (date(2026, 7, 15), date(2027, 1, 14), 5, "3–6个月"),
    (date(2026, 7, 15), date(2027, 1, 15), 6, "6–12个月"),  # exactly 6 months
    (date(2026, 1, 15), date(2027, 1, 14), 11, "6–12个月"),
    (date(2026, 1, 15), date(2027, 1, 15), 12, "12个月以上"),  # exactly 12 months
    (date(2027, 1, 15), date(2027, 1, 15), 0, "0–3个月"),  # due today
    (date(2026, 2, 28), date(2026, 5, 28), 3, "3–6个月"),
])
def test_age_in_whole_months_and_its_bucket(db, due_on, as_of, months, bucket):
    assert arrears.months_between(due_on, as_of) == months
    assert arrears.age_bucket(due_on, as_of) == bucket


def test_arrears_by_age_at_the_bucket_boundaries(db, monkeypatch):
    pin_fee_clock(monkeypatch, at(2027, 1, 15))
    items = seed_fee_items()
    estate_id, [b1] = make_estate()
    [unit] = bulk_units(estate_id, b1, 1)
    wy = items["WY-ZZ"]
    for period, due, amount in (("2026-10", date(2026, 10, 16), "1.00"),  # 2 months 30 days: 0–3
                                ("2026-09", date(2026, 10, 15), "2.00"),  # exactly 3 months: 3–6
                                ("2026-07", date(2026, 7, 16), "4.00"),  # 5 months: 3–6
                                ("2026-06", date(2026, 7, 15), "8.00"),  # exactly 6 months: 6–12
                                ("2026-01", date(2026, 1, 16), "16.00"),  # 11 months: 6–12
                                ("2025-12", date(2026, 1, 15), "32.00"),  # exactly 12 months: >12
                                ("2027-01", date(2027, 1, 31), "64.00")):  # not yet due: age 0, so 0–3
        make_bill(unit, wy, period, amount, due_on=due)
    got = arrears.arrears_summary(actor=MANAGER, group="age", as_of=date(2027, 1, 15))
    assert list(got["账龄"]) == ["0–3个月", "3–6个月", "6–12个月", "12个月以上"]
    # 0–3: 1.00 + 64.00 = 65.00; 3–6: 2.00 + 4.00 = 6.00; 6–12: 8.00 + 16.00 = 24.00; >12: 32.00
    assert list(got["欠费金额"]) == [D("65.00"), D("6.00"), D("24.00"), D("32.00")]
    assert list(got["笔数"]) == [2, 2, 2, 1]
    assert list(got["最早期间"]) == ["2026-10", "2026-07", "2026-01", "2025-12"]
    # a day earlier every boundary bill is still in the younger bucket:
    # 0–3: 1.00 + 2.00 + 64.00 = 67.00; 3–6: 4.00 + 8.00 = 12.00; 6–12: 16.00 + 32.00 = 48.00; >12: nothing
    earlier = arrears.arrears_summary(actor=MANAGER, group="age", as_of=date(2027, 1, 14))
    assert list(earlier["欠费金额"]) == [D("67.00"), D("12.00"), D("48.00"), D("0.00")]
    assert list(earlier["笔数"]) == [3, 2, 2, 0]


# --- summaries by building and collector ---------------------------------------------------------------


@dataclass(frozen=True)
class Arrears:
    clock: FeeClock
    items: dict[str, int]
    buildings: tuple[int, int]
    units: tuple[int, int, int, int]  # u1, u2 in building 1; u3, u4 in building 2
    staff: tuple[int, int]
    cash: object
    dun: object


@pytest.fixture
def owing(db, monkeypatch) -> Arrears:
    """u1 (张收) owes 100.00 (09) + 60.00 (10, 40.00 paid); u2 (李收) 50.00 (10; 09 waived whole);
    u3 (no collector) 200.00 (08; a paid 09 and a cancelled 10); u4 (no collector) 10.00 (10)."""
    clock = pin_fee_clock(monkeypatch, at(2026, 11, 23))
    items = seed_fee_items()
    wy, lj = items["WY-ZZ"], items["LJ-SP"]
    estate_id, (b1, b2) = make_estate("A1", "欠费小区", buildings=("1", "2"))
    u1, u2 = bulk_units(estate_id, b1, 2)
    u3, u4 = bulk_units(estate_id, b2, 2)
    zhang, li = make_staff("张收", "C001"), make_staff("李收", "C002")
    arrears.assign_collector(actor=MANAGER, unit_ids=[u1], staff_id=zhang)
    arrears.assign_collector(actor=MANAGER, unit_ids=[u2], staff_id=li)
    cash, boss, desk = (fee_login(Role.CASHIER, "cash"), fee_login(Role.MANAGER, "boss"),
                        fee_login(Role.SERVICE, "desk"))
    make_bill(u1, wy, "2026-09", "100.00")
    u1_oct = make_bill(u1, wy, "2026-10", "100.00")
    cashier.take_payment(actor=cash, unit_id=u1, amount="40.00", method="现金", bill_ids=[u1_oct])
    make_bill(u2, wy, "2026-10", "50.00")
    u2_sep = make_bill(u2, lj, "2026-09", "30.00")
    req = approvals.request_waiver(actor=desk, bill_id=u2_sep, amount="30.00", reason="商铺空置")
    approvals.decide(actor=boss, approval_id=req, approve=True)
    make_bill(u3, wy, "2026-08", "200.00")
    u3_sep = make_bill(u3, wy, "2026-09", "100.00")
    cashier.take_payment(actor=cash, unit_id=u3, amount="100.00", method="微信", bill_ids=[u3_sep])
    make_bill(u3, lj, "2026-10", "70.00", status="已取消")
    make_bill(u4, wy, "2026-10", "10.00")
    return Arrears(clock, items, (b1, b2), (u1, u2, u3, u4), (zhang, li), cash, desk)


def _rows(frame, key: str) -> dict:
    return {r[key]: (r["户数"], r["笔数"], r["欠费金额"], r["最早期间"]) for _, r in frame.iterrows()}


def test_arrears_by_building(owing):
    got = _rows(arrears.arrears_summary(actor=MANAGER, group="building"), "楼栋")
    assert got == {
        # u1 100.00 + 60.00, u2 50.00 = 210.00 in 3 bills of 2 households
        "欠费小区 1栋": (2, 3, D("210.00"), "2026-09"),
        # u3 200.00 + u4 10.00 = 210.00 (paid and cancelled bills left out)
        "欠费小区 2栋": (2, 2, D("210.00"), "2026-08"),
    }


def test_arrears_by_collector_and_estate(owing):
    got = _rows(arrears.arrears_summary(actor=MANAGER, group="collector"), "收费员")
    assert got == {"张收": (1, 2, D("160.00"), "2026-09"), "李收": (1, 1, D("50.00"), "2026-10"),
                   "（未指定）": (2, 2, D("210.00"), "2026-08")}
    # 160.00 + 50.00 + 210.00 = 420.00
    assert _rows(arrears.arrears_summary(actor=MANAGER, group="estate"), "小区") == {
        "欠费小区": (4, 5, D("420.00"), "2026-08")}


def test_an_unknown_grouping_is_refused(owing):
    with pytest.raises(ValidationError) as e:
        arrears.arrears_summary(actor=MANAGER, group="owner")
    assert "分组" in e.value.errors


def test_owing_units_most_owed_first(owing):
    u1, u2, u3, u4 = owing.units
    got = arrears.owing_units(actor=MANAGER)
    assert list(got["unit_id"]) == [u3, u1, u2, u4]
    assert list(got["欠费金额"]) == [D("200.00"), D("160.00"), D("50.00"), D("10.00")]
    assert list(got["月数"]) == [1, 2, 1, 1]
    assert list(got["收费员"]) == ["", "张收", "李收", ""]
    only_b1 = arrears.owing_units(actor=MANAGER, building_id=owing.buildings[0])
    assert list(only_b1["unit_id"]) == [u1, u2]


def test_every_grouping_adds_up_to_the_same_total(owing):
    u1 = owing.units[0]
    make_bill(u1, owing.items["WY-ZZ"], "2026-11", "196.90")  # due 2026-11-30, not yet due on 11-23
    totals = {group: sum(arrears.arrears_summary(actor=MANAGER, group=group)["欠费金额"], D("0.00"))
              for group in ("estate", "building", "collector", "age")}
    # 420.00 + 196.90 = 616.90 whichever way it is cut
    assert set(totals.values()) == {D("616.90")}, totals


def test_notices_for_a_building_list_each_owing_unit(owing):
    u1, u2, _, _ = owing.units
    notices = arrears.notices_for_building(actor=MANAGER, building_id=owing.buildings[0])
    assert [(n.unit_id, n.total) for n in notices] == [(u1, D("160.00")), (u2, D("50.00"))]
    assert [(item, period, amount) for item, period, amount, _ in notices[0].lines] == [
        ("物业服务费（住宅）", "2026-09", D("100.00")), ("物业服务费（住宅）", "2026-10", D("60.00"))]


def test_assigning_a_collector_needs_the_right_and_a_real_staff_member(owing):
    with pytest.raises(PermissionDenied):
        arrears.assign_collector(actor=owing.cash, unit_ids=[owing.units[2]], staff_id=owing.staff[0])
    with pytest.raises(ValidationError):
        arrears.assign_collector(actor=MANAGER, unit_ids=[owing.units[2]], staff_id=999_999)
    assert arrears.assign_collector(actor=MANAGER, unit_ids=[owing.units[2]], staff_id=owing.staff[0]) == 1
    got = _rows(arrears.arrears_summary(actor=MANAGER, group="collector"), "收费员")
    # u1 160.00 + u3 200.00 = 360.00
    assert got["张收"] == (2, 3, D("360.00"), "2026-08")


# --- dunning 催缴 ---------------------------------------------------------------------------------------


def test_a_dunning_action_keeps_the_amount_owed_at_that_moment(owing):
    u1 = owing.units[0]
    arrears.record_dunning(actor=owing.dun, dunning=Dunning(u1, "电话", "承诺缴费", promised_on=date(2026, 11, 30),
                                                           next_on="2026-11-27", note="月底前缴清"))
    owing.clock.now = at(2026, 11, 24)
    cashier.take_payment(actor=owing.cash, unit_id=u1, amount="100.00", method="现金")
    arrears.record_dunning(actor=owing.dun, dunning=Dunning(u1, "上门", "无人接听"))
    log = arrears.dunning_log(actor=MANAGER, unit_id=u1)
    # newest first: 160.00 - 100.00 = 60.00 now; the first contact still reads 160.00
    assert list(log["当时欠费"]) == [D("60.00"), D("160.00")]
    assert list(log["方式"]) == ["上门", "电话"]
    assert (log["承诺日期"].iloc[1], log["下次催缴"].iloc[1], log["备注"].iloc[1]) == (
        date(2026, 11, 30), date(2026, 11, 27), "月底前缴清")
    assert log["时间"].iloc[1] == at(2026, 11, 23)


def test_a_promise_needs_its_date(owing):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        arrears.record_dunning(actor=owing.dun, dunning=Dunning(owing.units[0], "电话", "承诺缴费"))
    assert e.value.errors == {"承诺缴费日期": "结果为“承诺缴费”时必须填写"}
    assert db_state() == before


@pytest.mark.parametrize("field, dunning", [
    ("承诺缴费日期", dict(outcome="承诺缴费", promised_on=date(2026, 11, 22))),
    ("下次催缴日期", dict(outcome="拒缴", next_on="2026-11-22")),
])
def test_dates_in_the_past_are_refused(owing, field, dunning):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        arrears.record_dunning(actor=owing.dun, dunning=Dunning(owing.units[0], "电话", **dunning))
    assert e.value.errors[field] == "不能早于今天"
    assert db_state() == before


def test_today_is_not_in_the_past(owing):
    assert arrears.record_dunning(actor=owing.dun, dunning=Dunning(owing.units[0], "电话", "承诺缴费",
                                                                   promised_on=TODAY, next_on=TODAY))


def test_a_bad_method_outcome_or_date_is_refused_all_at_once(owing):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        arrears.record_dunning(actor=owing.dun, dunning=Dunning(owing.units[0], "飞鸽", "失联", next_on="明天"))
    assert set(e.value.errors) == {"催缴方式", "结果", "下次催缴日期"}
    with pytest.raises(NotFound):
        arrears.record_dunning(actor=owing.dun, dunning=Dunning(999_999, "电话", "拒缴"))
    with pytest.raises(PermissionDenied):
        arrears.record_dunning(actor=actor_for(Role.ENGINEER), dunning=Dunning(owing.units[0], "电话", "拒缴"))
    assert db_state() == before


def test_dunning_due_this_week(owing):
    u1, u2, u3, u4 = owing.units
    dun = owing.dun
    arrears.record_dunning(actor=dun, dunning=Dunning(u1, "电话", "拒缴", next_on=date(2026, 11, 27)))  # Friday
    arrears.record_dunning(actor=dun, dunning=Dunning(u2, "电话", "拒缴", next_on=date(2026, 11, 30)))  # next Monday
    arrears.record_dunning(actor=dun, dunning=Dunning(u3, "上门", "承诺缴费", promised_on=date(2026, 11, 24)))
    arrears.record_dunning(actor=dun, dunning=Dunning(u4, "电话", "已缴", next_on=date(2026, 11, 24)))
    monday = arrears.dunning_due(actor=MANAGER, today=TODAY)
    # the week ends on Sunday 11-29: u1 only (u3's promise is not yet broken; u4 says it paid)
    assert list(monday["unit_id"]) == [u1]
    assert (monday["现欠费"].iloc[0], monday["逾期承诺"].iloc[0]) == (D("160.00"), False)
    wednesday = arrears.dunning_due(actor=MANAGER, today=date(2026, 11, 25))
    # u3 promised 11-24 and still owes 200.00: due, flagged as a broken promise (listed first: no next date)
    assert list(wednesday["unit_id"]) == [u3, u1]
    assert list(wednesday["逾期承诺"]) == [True, False]
    next_monday = arrears.dunning_due(actor=MANAGER, today=date(2026, 11, 30))
    assert set(next_monday["unit_id"]) == {u1, u2, u3}
    # a unit that has paid everything drops off the list
    cashier.take_payment(actor=owing.cash, unit_id=u1, amount="160.00", method="现金")
    assert u1 not in set(arrears.dunning_due(actor=MANAGER, today=date(2026, 11, 30))["unit_id"])
