"""Parking (services/estate/parking): spaces, vehicles, leases, renewals and the expiring list.

A space holds at most one 有效 lease; a renewal is a new lease document from the day after the
old end; the monthly fee is Money, exact to the cent on every backend.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal

import pytest

from db.models import ParkingLease, ParkingSpace, Unit, Vehicle
from services.estate import households, parking
from services.platform.auth import ACTIONS, Actor, Role
from services.platform.clock import local_today
from services.platform.editing import RowEdit
from services.platform.errors import (
    Conflict,
    DomainError,
    NotFound,
    PermissionDenied,
    StaleEdit,
    ValidationError,
)
from services.platform.listing import ListQuery
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    db_state,
    force_columns,
    get_row,
    make_estate,
    make_resident,
    make_space,
    make_units,
    roles_with,
    roles_without,
    sqlite_only,
)

SERVICE = actor_for(Role.SERVICE)
TODAY = local_today()
PLATE_HINT = "应为车牌号，例如 粤A12345 或 粤AD12345（新能源）"


def _v(model, row_id: int) -> int:
    return get_row(model, row_id).version


class Lot:
    def __init__(self, estate_id: int, unit_id: int, person_id: int):
        self.estate_id, self.unit_id, self.person_id = estate_id, unit_id, person_id

    def lease(self, space_id: int, *, plate: str = "粤A12345", start_on: date = date(2025, 1, 1),
              end_on: date = date(2025, 12, 31), fee="300.00", unit: bool = True, actor: Actor = SERVICE) -> int:
        return parking.lease_space(actor=actor, space_id=space_id, space_version=_v(ParkingSpace, space_id),
                                   person_id=self.person_id, unit_id=self.unit_id if unit else None, plate=plate,
                                   start_on=start_on, end_on=end_on, monthly_fee=fee)


@pytest.fixture
def lot(db) -> Lot:
    [unit_id] = make_units(1)
    person_id, _ = make_resident(unit_id, "张伟", "13812348000")
    return Lot(get_row(Unit, unit_id).estate_id, unit_id, person_id)


# --- spaces -------------------------------------------------------------------------------------


def test_a_new_space_is_free_with_its_number_tidied(lot):
    space_id = parking.add_space(actor=SERVICE, estate_id=lot.estate_id, number=" b1-001 ", kind="租赁")
    space = get_row(ParkingSpace, space_id)
    assert (space.number, space.kind, space.status) == ("B1-001", "租赁", "空闲")
    [row] = audit_rows(action="create", entity="parking_spaces")
    assert audit_json(row)[1] == {"number": "B1-001", "kind": "租赁", "estate_id": lot.estate_id}
    assert parking.free_spaces(actor=SERVICE, estate_id=lot.estate_id) == [(space_id, 1, "B1-001")]


def test_a_space_number_is_unique_within_an_estate(lot):
    parking.add_space(actor=SERVICE, estate_id=lot.estate_id, number="B1-001", kind="租赁")
    before = db_state()
    with pytest.raises(Conflict) as exc:
        parking.add_space(actor=SERVICE, estate_id=lot.estate_id, number="b1-001", kind="产权")
    assert exc.value.message == "车位号已存在：B1-001"
    assert db_state() == before
    other_estate, _ = make_estate("E2", "另一个小区")
    parking.add_space(actor=SERVICE, estate_id=other_estate, number="B1-001", kind="租赁")  # fine elsewhere


def test_a_bad_space_is_refused_and_nothing_written(lot):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        parking.add_space(actor=SERVICE, estate_id=lot.estate_id, number="  ", kind="临时")
    assert set(exc.value.errors) == {"车位号", "类型"}
    with pytest.raises(ValidationError):
        parking.add_space(actor=SERVICE, estate_id=lot.estate_id, number="X" * 17, kind="租赁")
    with pytest.raises(ValidationError) as exc:
        parking.add_space(actor=SERVICE, estate_id=lot.estate_id + 99, number="B1-002", kind="租赁")
    assert exc.value.errors == {"小区": "不存在"}
    assert db_state() == before


def test_space_grid_edits_are_validated(lot):
    space_id = make_space(lot.estate_id)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        parking.update_spaces(actor=SERVICE, edits=[RowEdit(space_id, 1, {"kind": "临时", "status": "",
                                                                          "number": "C9"})])
    assert exc.value.row_errors == {"车位 B1-001": {"类型": "应为以下之一：产权、租赁", "状态": "必填",
                                                  "字段 number": "不可修改"}}
    assert db_state() == before
    assert parking.update_spaces(actor=SERVICE, edits=[RowEdit(space_id, 1, {"note": "靠近电梯"})]) == 1
    assert get_row(ParkingSpace, space_id).note == "靠近电梯"


def test_the_space_grid_cannot_free_a_space_that_is_leased(lot):
    space_id = make_space(lot.estate_id)
    lot.lease(space_id)
    with pytest.raises(DomainError):
        parking.update_spaces(actor=SERVICE, edits=[RowEdit(space_id, _v(ParkingSpace, space_id),
                                                            {"status": "空闲"})])


# --- vehicles -----------------------------------------------------------------------------------


def test_a_vehicle_is_registered_with_a_tidied_plate_and_shown_on_the_unit_card(lot):
    vehicle_id = parking.add_vehicle(actor=SERVICE, unit_id=lot.unit_id, person_id=lot.person_id,
                                     plate=" 粤b·12345 ", note="白色")
    assert get_row(Vehicle, vehicle_id).plate == "粤B12345"
    card = households.unit_card(actor=SERVICE, unit_id=lot.unit_id)
    assert list(zip(card.vehicles["plate"], card.vehicles["owner"], strict=True)) == [("粤B12345", "张伟")]
    assert card.timeline.iloc[0]["text"] == "登记车辆 粤B12345"
    before = db_state()
    with pytest.raises(Conflict) as exc:
        parking.add_vehicle(actor=SERVICE, unit_id=lot.unit_id, person_id=None, plate="粤B12345")
    assert exc.value.message == "车牌号已登记：粤B12345"
    with pytest.raises(ValidationError) as exc:
        parking.add_vehicle(actor=SERVICE, unit_id=lot.unit_id, person_id=None, plate="B12345")
    assert exc.value.errors == {"车牌号": PLATE_HINT}
    with pytest.raises(NotFound):
        parking.add_vehicle(actor=SERVICE, unit_id=lot.unit_id + 99, person_id=None, plate="粤B54321")
    assert db_state() == before


# --- leases -------------------------------------------------------------------------------------


def test_leasing_a_free_space_makes_it_rented(lot):
    space_id = make_space(lot.estate_id)
    lease_id = lot.lease(space_id, fee="350.50")
    lease = get_row(ParkingLease, lease_id)
    assert (lease.space_id, lease.person_id, lease.unit_id, lease.plate, lease.start_on, lease.end_on,
            lease.monthly_fee, lease.status) == (space_id, lot.person_id, lot.unit_id, "粤A12345",
                                                 date(2025, 1, 1), date(2025, 12, 31), Decimal("350.50"), "有效")
    assert get_row(ParkingSpace, space_id).status == "已租"
    [row] = audit_rows(action="lease")
    assert (row.entity, row.entity_id) == ("parking_leases", str(lease_id))
    assert audit_json(row)[1] == {"space": "B1-001", "person": "张伟", "plate": "粤A12345", "start_on": "2025-01-01",
                                  "end_on": "2025-12-31", "monthly_fee": "350.50"}
    card = households.unit_card(actor=SERVICE, unit_id=lot.unit_id)
    assert list(card.parking["space"]) == ["B1-001"]
    assert card.timeline.iloc[0]["text"] == "租用车位 B1-001（2025-01-01 至 2025-12-31，月租 350.50）"
    assert parking.free_spaces(actor=SERVICE, estate_id=lot.estate_id) == []


def test_only_a_free_space_can_be_leased(lot):
    statuses = ["已租", "已售", "自用"]
    space_ids = [make_space(lot.estate_id, f"S-{n}", status=status) for n, status in enumerate(statuses)]
    before = db_state()
    for n, (status, space_id) in enumerate(zip(statuses, space_ids, strict=True)):
        with pytest.raises(Conflict) as exc:
            lot.lease(space_id)
        assert exc.value.message == f"车位 S-{n} 当前{status}，不能出租"
        assert db_state() == before, status


def test_plates_in_the_ordinary_and_new_energy_formats_are_accepted(lot):
    for n, (typed, stored) in enumerate([("粤A12345", "粤A12345"), ("粤AD12345", "粤AD12345"),
                                         (" 粤a·1234x ", "粤A1234X"), ("京AF1234D", "京AF1234D"),
                                         ("", "")]):
        space_id = make_space(lot.estate_id, f"P{n}")
        assert get_row(ParkingLease, lot.lease(space_id, plate=typed)).plate == stored


@sqlite_only
@pytest.mark.parametrize("plate", ["A12345", "粤A1234", "粤A1234567", "粤12345A", "粤A-12345", "粤粤12345"])
def test_a_malformed_plate_is_refused(lot, plate):
    space_id = make_space(lot.estate_id)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        lot.lease(space_id, plate=plate)
    assert exc.value.errors == {"车牌号": PLATE_HINT}
    assert db_state() == before


def test_monthly_fees_are_exact_to_the_cent_on_every_backend(lot):
    cases = [("0.01", "0.01"), ("0.10", "0.10"), ("1234.56", "1234.56"), ("¥1,200.5", "1200.50"),
             (Decimal("333.33"), "333.33"), ("99999.99", "99999.99"), ("0", "0.00")]
    for n, (typed, _) in enumerate(cases):
        lot.lease(make_space(lot.estate_id, f"M{n}"), fee=typed)
    rows = parking.list_leases(actor=SERVICE, query=ListQuery(sort="space")).rows
    assert [str(f) for f in rows["monthly_fee"]] == [s for _, s in cases]
    assert all(isinstance(f, Decimal) for f in rows["monthly_fee"])
    assert sum(rows["monthly_fee"], Decimal("0")) == sum(Decimal(s) for _, s in cases) == Decimal("102768.49")


@sqlite_only
@pytest.mark.parametrize("fee", ["12.345", "-1", "abc", "100000", "1e3", ""])
def test_a_bad_monthly_fee_is_refused(lot, fee):
    space_id = make_space(lot.estate_id)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        lot.lease(space_id, fee=fee)
    assert set(exc.value.errors) == {"月租金"}
    assert db_state() == before


def test_a_lease_ending_before_it_starts_is_refused_with_every_other_problem(lot):
    space_id = make_space(lot.estate_id)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        lot.lease(space_id, plate="A1", fee="x", start_on=date(2025, 6, 1), end_on=date(2025, 5, 31))
    assert exc.value.errors == {"车牌号": PLATE_HINT, "月租金": "应为数字，最多两位小数，例如 1234.50",
                                "结束日期": "不能早于开始日期"}
    assert db_state() == before
    lot.lease(space_id, start_on=date(2025, 6, 1), end_on=date(2025, 6, 1))  # one day is a lease


def test_a_lease_on_a_stale_or_unknown_space_or_person_is_refused(lot):
    space_id = make_space(lot.estate_id)
    before = db_state()
    with pytest.raises(StaleEdit):
        parking.lease_space(actor=SERVICE, space_id=space_id, space_version=2, person_id=lot.person_id,
                            unit_id=None, plate="", start_on=TODAY, end_on=TODAY, monthly_fee="1")
    with pytest.raises(NotFound):
        parking.lease_space(actor=SERVICE, space_id=space_id + 99, space_version=1, person_id=lot.person_id,
                            unit_id=None, plate="", start_on=TODAY, end_on=TODAY, monthly_fee="1")
    with pytest.raises(NotFound, match="^人员不存在$"):
        parking.lease_space(actor=SERVICE, space_id=space_id, space_version=1, person_id=lot.person_id + 99,
                            unit_id=None, plate="", start_on=TODAY, end_on=TODAY, monthly_fee="1")
    assert db_state() == before


def test_a_renewal_is_a_new_lease_from_the_day_after_the_old_end(lot):
    space_id = make_space(lot.estate_id)
    old_id = lot.lease(space_id, end_on=date(2025, 12, 31), fee="300.00")
    new_id = parking.renew_lease(actor=SERVICE, lease_id=old_id, version=1, new_end_on=date(2026, 12, 31),
                                 monthly_fee="320.50")
    assert new_id != old_id
    old, new = get_row(ParkingLease, old_id), get_row(ParkingLease, new_id)
    assert (old.status, old.end_on, old.monthly_fee) == ("已续租", date(2025, 12, 31), Decimal("300.00"))
    assert (new.status, new.start_on, new.end_on, new.monthly_fee, new.renewed_from_id) == (
        "有效", date(2026, 1, 1), date(2026, 12, 31), Decimal("320.50"), old_id)
    assert (new.space_id, new.person_id, new.unit_id, new.plate) == (space_id, lot.person_id, lot.unit_id, "粤A12345")
    assert get_row(ParkingSpace, space_id).status == "已租"
    [row] = audit_rows(action="lease_renew")
    assert row.entity_id == str(new_id)
    assert audit_json(row) == ({"lease": old_id, "end_on": "2025-12-31"},
                               {"space": "B1-001", "start_on": "2026-01-01", "end_on": "2026-12-31",
                                "monthly_fee": "320.50"})


def test_a_renewal_is_refused_for_a_renewed_stale_or_backwards_lease(lot):
    space_id = make_space(lot.estate_id)
    old_id = lot.lease(space_id, end_on=date(2025, 12, 31))
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        parking.renew_lease(actor=SERVICE, lease_id=old_id, version=1, new_end_on=date(2025, 12, 31),
                            monthly_fee="300")
    assert exc.value.errors == {"结束日期": "不能早于开始日期"}
    with pytest.raises(ValidationError):
        parking.renew_lease(actor=SERVICE, lease_id=old_id, version=1, new_end_on=date(2026, 12, 31),
                            monthly_fee="3.001")
    with pytest.raises(StaleEdit):
        parking.renew_lease(actor=SERVICE, lease_id=old_id, version=2, new_end_on=date(2026, 12, 31),
                            monthly_fee="300")
    with pytest.raises(NotFound):
        parking.renew_lease(actor=SERVICE, lease_id=old_id + 99, version=1, new_end_on=date(2026, 12, 31),
                            monthly_fee="300")
    assert db_state() == before
    parking.renew_lease(actor=SERVICE, lease_id=old_id, version=1, new_end_on=date(2026, 12, 31), monthly_fee="300")
    after = db_state()
    with pytest.raises(Conflict):
        parking.renew_lease(actor=SERVICE, lease_id=old_id, version=2, new_end_on=date(2027, 12, 31),
                            monthly_fee="300")
    assert db_state() == after


def test_renewing_a_renewed_lease_says_so_in_plain_chinese(lot):
    old_id = lot.lease(make_space(lot.estate_id))
    parking.renew_lease(actor=SERVICE, lease_id=old_id, version=1, new_end_on=date(2026, 12, 31), monthly_fee="300")
    with pytest.raises(Conflict) as exc:
        parking.renew_lease(actor=SERVICE, lease_id=old_id, version=2, new_end_on=date(2027, 12, 31),
                            monthly_fee="300")
    assert exc.value.message == "该租赁已续租，不能续租"


def test_ending_a_lease_frees_the_space_for_a_new_one(lot):
    space_id = make_space(lot.estate_id)
    lease_id = lot.lease(space_id)
    parking.end_lease(actor=SERVICE, lease_id=lease_id, version=1)
    assert get_row(ParkingLease, lease_id).status == "已终止"
    assert get_row(ParkingSpace, space_id).status == "空闲"
    [row] = audit_rows(action="lease_end")
    # a lease that ran out before it was ended keeps its end; one ended early ends today (billing reads it)
    assert audit_json(row) == ({"status": "有效", "end_on": "2025-12-31"}, {"status": "已终止", "end_on": "2025-12-31"})
    before = db_state()
    with pytest.raises(Conflict):
        parking.end_lease(actor=SERVICE, lease_id=lease_id, version=2)
    assert db_state() == before
    second = lot.lease(space_id, plate="粤AD12345", start_on=date(2026, 1, 1), end_on=date(2026, 6, 30))
    assert get_row(ParkingLease, second).status == "有效"


def test_ending_a_lease_on_an_old_version_is_refused(lot):
    space_id = make_space(lot.estate_id)
    lease_id = lot.lease(space_id)
    force_columns(ParkingLease, lease_id, version=2)
    before = db_state()
    with pytest.raises(StaleEdit):
        parking.end_lease(actor=SERVICE, lease_id=lease_id, version=1)
    assert db_state() == before


def test_the_expiring_list_shows_only_valid_leases_ending_within_30_days(lot):
    def lease(number: str, end_on: date, status: str = "有效") -> int:
        lease_id = lot.lease(make_space(lot.estate_id, number), start_on=end_on - timedelta(days=300), end_on=end_on)
        if status != "有效":
            force_columns(ParkingLease, lease_id, status=status)
        return lease_id

    today = lease("A-today", TODAY)
    soon = lease("A-soon", TODAY + timedelta(days=10))
    edge = lease("A-edge", TODAY + timedelta(days=30))
    lease("B-later", TODAY + timedelta(days=31))
    lease("B-ended", TODAY - timedelta(days=1))
    lease("B-renewed", TODAY + timedelta(days=5), status="已续租")
    lease("B-terminated", TODAY + timedelta(days=5), status="已终止")
    rows = parking.list_leases(actor=SERVICE, query=ListQuery(), expiring_within_days=30).rows
    assert list(rows["id"]) == [today, soon, edge]  # soonest first
    assert set(rows["status"]) == {"有效"}
    assert parking.list_leases(actor=SERVICE, query=ListQuery()).total == 7


def test_a_lease_without_a_unit_leaves_no_timeline_line(lot):
    lot.lease(make_space(lot.estate_id), unit=False)
    assert households.unit_card(actor=SERVICE, unit_id=lot.unit_id).timeline.empty


# --- permissions --------------------------------------------------------------------------------


@pytest.fixture
def world(lot) -> dict:
    free = make_space(lot.estate_id, "F-1")
    leased = make_space(lot.estate_id, "L-1")
    return {"lot": lot, "free": free, "leased": leased, "lease": lot.lease(leased)}


WRITES: dict[str, Callable[[Actor, dict], object]] = {
    "add_space": lambda a, w: parking.add_space(actor=a, estate_id=w["lot"].estate_id, number="N-1", kind="产权"),
    "update_spaces": lambda a, w: parking.update_spaces(actor=a, edits=[
        RowEdit(w["free"], _v(ParkingSpace, w["free"]), {"note": a.role.value})]),
    "add_vehicle": lambda a, w: parking.add_vehicle(actor=a, unit_id=w["lot"].unit_id, person_id=None,
                                                    plate="粤C88888"),
    "lease_space": lambda a, w: w["lot"].lease(w["free"], actor=a),
    "renew_lease": lambda a, w: parking.renew_lease(actor=a, lease_id=w["lease"],
                                                    version=_v(ParkingLease, w["lease"]),
                                                    new_end_on=date(2026, 12, 31), monthly_fee="300"),
    "end_lease": lambda a, w: parking.end_lease(actor=a, lease_id=w["lease"], version=_v(ParkingLease, w["lease"])),
}


@sqlite_only
@pytest.mark.parametrize("service", list(WRITES))
def test_parking_writes_refuse_every_role_lacking_parking_manage_and_write_nothing(world, service):
    denied = roles_without("parking.manage")
    assert denied
    before = db_state()
    for role in denied:
        with pytest.raises(PermissionDenied) as exc:
            WRITES[service](actor_for(role), world)
        assert ACTIONS["parking.manage"] in exc.value.message
        assert db_state() == before, role


@sqlite_only
@pytest.mark.parametrize("service", list(WRITES))
def test_parking_writes_let_every_role_holding_parking_manage_through(world, service):
    succeeded = 0
    for role in roles_with("parking.manage"):
        try:
            WRITES[service](actor_for(role), world)
            succeeded += 1
        except PermissionDenied:  # pragma: no cover - the failure we look for
            pytest.fail(f"{service} refused {role}")
        except DomainError:
            pass
    assert succeeded >= 1


def test_an_owned_space_cannot_be_leased(lot):
    space_id = make_space(lot.estate_id, "P-1", kind="产权")
    before = db_state()
    with pytest.raises(Conflict) as exc:
        lot.lease(space_id)
    assert exc.value.message == "车位 P-1 是产权车位，不能出租"
    assert db_state() == before
