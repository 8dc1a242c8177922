"""Parking 车位, vehicles 车辆 and parking leases 车位租赁.

Invariants: one space has at most one 有效 lease at a time; a renewal is a new lease
document starting the day after the old one ends (the old one becomes 已续租); the
monthly fee is Money; leases ending within 30 days make the expiring list.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from db.engine import read_session, unit_of_work
from db.models import Building, Estate, ParkingLease, ParkingSpace, Person, Unit, UnitPerson, Vehicle
from services.estate.households import _note
from services.estate.people import SEARCH_LIMIT, search_terms
from services.estate.statuses import LeaseStatus
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.clock import local_today
from services.platform.editing import RowEdit, apply_edits
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.privacy import mask_mobile
from services.platform.scope import estate_clause, in_scope, person_clause, scoped_unit, unit_clause
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import (
    FieldError,
    choice_of,
    collect,
    collect_text,
    parse_date,
    parse_hundredths,
    parse_text,
)

SPACE_KINDS = ("产权", "租赁")
SPACE_STATUSES = ("空闲", "已租", "已售", "自用")
PLATE_PATTERN = r"[\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6}"
EXPIRING_DAYS = 30

# add_space keeps its own checks: its messages name the form's rule in words of their own
SPACE_TABLE = TableSpec("parking_spaces", (
    Field("kind", "类型", "parking.kind", "choice", editable=True, required=True, options=SPACE_KINDS),
    Field("status", "状态", "parking.status", "choice", editable=True, required=True, options=SPACE_STATUSES),
    Field("note", "备注", "units.note", editable=True, max_len=200),
))
SPACE_RULES = SPACE_TABLE.edit_rules


def _plate(text: object) -> str:
    plate = parse_text(text, max_len=32).upper().replace(" ", "").replace("·", "")
    if not re.fullmatch(PLATE_PATTERN, plate):
        raise FieldError("应为车牌号，例如 粤A12345 或 粤AD12345（新能源）")
    return plate


SPACE_COLUMNS = {
    "id": ParkingSpace.id,
    "version": ParkingSpace.version,
    "estate": Estate.name,
    "number": ParkingSpace.number,
    "kind": ParkingSpace.kind,
    "status": ParkingSpace.status,
    "note": ParkingSpace.note,
}


def list_spaces(*, actor: Actor, query: ListQuery) -> PageResult:
    authorize_list(actor, "units.view", query)
    stmt = (select(*[c.label(n) for n, c in SPACE_COLUMNS.items()]).join(Estate, Estate.id == ParkingSpace.estate_id)
            .where(estate_clause(actor, ParkingSpace.estate_id)))
    with read_session() as s:
        return run_list(s, stmt, SPACE_COLUMNS, query, search_columns=[ParkingSpace.number, ParkingSpace.note],
                        equal_filters={"estate_id": ParkingSpace.estate_id, "status": ParkingSpace.status},
                        default_sort=("number", False))


def _space_status_check(space: ParkingSpace, values: Mapping[str, Any]) -> dict[str, str]:
    """已租 follows the leases: the grid neither sets it nor changes the status of a leased space."""
    new = values.get("status", space.status)
    if new == space.status:
        return {}
    # apply_edits loaded `space` through its session, so the space is attached to one
    leased = cast(Session, object_session(space)).scalar(select(ParkingLease.id).where(
        ParkingLease.space_id == space.id, ParkingLease.status == LeaseStatus.ACTIVE).limit(1))
    if leased is not None or new == "已租":
        return {"状态": "出租和退租请通过车位租赁办理"}
    return {}


def update_spaces(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    require(actor, "parking.manage")
    with unit_of_work() as uow:
        n = apply_edits(uow.session, actor=actor, model=ParkingSpace, entity="parking_spaces", edits=edits,
                        rules=SPACE_RULES, row_label=lambda sp: f"车位 {sp.number}",
                        check_row=_space_status_check, visible=lambda sp: in_scope(actor, sp.estate_id))
        uow.commit()
    return n


def add_space(*, actor: Actor, estate_id: int, number: str, kind: str) -> int:
    require(actor, "parking.manage")
    errors: dict[str, str] = {}
    number = collect_text(errors, "车位号", number, 16, required=True).upper()
    kind = collect(errors, "类型", kind, choice_of(SPACE_KINDS, "应为 产权 或 租赁")) or ""
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        if s.get(Estate, estate_id) is None or not in_scope(actor, estate_id):
            raise ValidationError({"小区": "不存在"})
        space = ParkingSpace(estate_id=estate_id, number=number, kind=kind, status="空闲")
        s.add(space)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"车位号已存在：{number}") from exc
        audit.record(s, actor, "create", "parking_spaces", space.id, None,
                     {"number": number, "kind": kind, "estate_id": estate_id})
        uow.commit()
        return space.id


def add_vehicle(*, actor: Actor, unit_id: int, person_id: int | None, plate: str, note: str = "") -> int:
    require(actor, "parking.manage")
    errors: dict[str, str] = {}
    plate = collect(errors, "车牌号", plate, _plate) or ""
    note = collect_text(errors, "备注", note, 200)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        scoped_unit(s, actor, unit_id)
        if person_id is not None:
            _scoped_person(s, actor, person_id)
        vehicle = Vehicle(plate=plate, person_id=person_id, unit_id=unit_id, note=note)
        s.add(vehicle)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"车牌号已登记：{plate}") from exc
        audit.record(s, actor, "create", "vehicles", vehicle.id, None, {"plate": plate, "unit_id": unit_id})
        _note(s, actor, unit_id, "车位", f"登记车辆 {plate}")
        uow.commit()
        return vehicle.id


def _scoped_person(session: Session, actor: Actor, person_id: int) -> Person:
    """The person, or NotFound when there is none or they are nobody of the actor's estates (scope.person_clause):
    the same words either way, so a form cannot find out that someone lives in another estate."""
    person = session.scalar(select(Person).where(Person.id == person_id, person_clause(actor, Person.id)))
    if person is None:
        raise NotFound("人员不存在")
    return person


def _lease_values(plate: str, start_on: date, end_on: date, monthly_fee: object) -> tuple[str, Decimal, date, date]:
    errors: dict[str, str] = {}
    plate = collect(errors, "车牌号", plate, _plate, required=False, default="") or ""
    start = collect(errors, "开始日期", start_on, parse_date)
    end = collect(errors, "结束日期", end_on, parse_date)
    try:
        fee = parse_hundredths(monthly_fee, min_value=Decimal("0.00"), max_value=Decimal("99999.99"))
    except FieldError as exc:
        errors["月租金"] = str(exc)
        fee = Decimal("0")
    if start is not None and end is not None and end < start:
        errors["结束日期"] = "不能早于开始日期"
    if errors or start is None or end is None:
        raise ValidationError(errors)
    return plate, fee, start, end


def lease_space(*, actor: Actor, space_id: int, space_version: int, person_id: int, unit_id: int | None,
                plate: str, start_on: date, end_on: date, monthly_fee: object) -> int:
    """车位租赁: a new lease on a free 租赁 space; returns the lease id."""
    require(actor, "parking.manage")
    plate, fee, start_on, end_on = _lease_values(plate, start_on, end_on, monthly_fee)
    with unit_of_work() as uow:
        s = uow.session
        space = s.get(ParkingSpace, space_id)
        if space is None or not in_scope(actor, space.estate_id):
            raise NotFound("车位不存在")
        if space.version != space_version:
            raise StaleEdit()
        if space.kind != "租赁":
            raise Conflict(f"车位 {space.number} 是{space.kind}车位，不能出租")
        if space.status != "空闲":
            raise Conflict(f"车位 {space.number} 当前{space.status}，不能出租")
        person = _scoped_person(s, actor, person_id)
        if unit_id is not None:
            scoped_unit(s, actor, unit_id)
        lease = ParkingLease(space_id=space.id, person_id=person.id, unit_id=unit_id, plate=plate,
                             start_on=start_on, end_on=end_on, monthly_fee=fee, status=LeaseStatus.ACTIVE)
        s.add(lease)
        space.status = "已租"
        s.flush()
        audit.record(s, actor, "lease", "parking_leases", lease.id, None,
                     {"space": space.number, "person": person.name, "plate": plate, "start_on": start_on,
                      "end_on": end_on, "monthly_fee": fee})
        if unit_id:
            _note(s, actor, unit_id, "车位", f"租用车位 {space.number}（{start_on} 至 {end_on}，月租 {fee}）")
        uow.commit()
        return lease.id


def renew_lease(*, actor: Actor, lease_id: int, version: int, new_end_on: date, monthly_fee: object) -> int:
    """续租: a new lease document from the day after the old end; the old one becomes 已续租."""
    require(actor, "parking.manage")
    with unit_of_work() as uow:
        s = uow.session
        old = s.get(ParkingLease, lease_id)
        if old is None or not _lease_in_scope(s, actor, old):
            raise NotFound("租赁记录不存在")
        if old.version != version:
            raise StaleEdit()
        if old.status != LeaseStatus.ACTIVE:
            raise Conflict(f"该租赁{old.status}，不能续租")
        start = old.end_on + timedelta(days=1)
        plate, fee, start, new_end_on = _lease_values(old.plate, start, new_end_on, monthly_fee)
        new = ParkingLease(space_id=old.space_id, person_id=old.person_id, unit_id=old.unit_id, plate=plate,
                           start_on=start, end_on=new_end_on, monthly_fee=fee, status=LeaseStatus.ACTIVE,
                           renewed_from_id=old.id)
        old.status = LeaseStatus.RENEWED
        s.add(new)
        s.flush()
        space = s.get(ParkingSpace, old.space_id)
        assert space is not None  # parking_leases.space_id is a foreign key
        audit.record(s, actor, "lease_renew", "parking_leases", new.id, {"lease": old.id, "end_on": old.end_on},
                     {"space": space.number, "start_on": start, "end_on": new_end_on, "monthly_fee": fee})
        if old.unit_id:
            _note(s, actor, old.unit_id, "车位", f"车位 {space.number} 续租至 {new_end_on}（月租 {fee}）")
        uow.commit()
        return new.id


def _lease_in_scope(session: Session, actor: Actor, lease: ParkingLease) -> bool:
    space = session.get(ParkingSpace, lease.space_id)
    assert space is not None  # parking_leases.space_id is a foreign key
    return in_scope(actor, space.estate_id)


def end_lease(*, actor: Actor, lease_id: int, version: int) -> None:
    require(actor, "parking.manage")
    with unit_of_work() as uow:
        s = uow.session
        lease = s.get(ParkingLease, lease_id)
        if lease is None or not _lease_in_scope(s, actor, lease):
            raise NotFound("租赁记录不存在")
        if lease.status != LeaseStatus.ACTIVE:
            raise Conflict("该租赁不是有效状态")
        if lease.version != version:
            raise StaleEdit()
        lease.status = LeaseStatus.ENDED
        before_end = lease.end_on
        # billing reads the lease's dates: it is charged up to the day it ended, not to its planned end
        lease.end_on = min(lease.end_on, max(local_today(), lease.start_on))
        space = s.get(ParkingSpace, lease.space_id)
        assert space is not None  # parking_leases.space_id is a foreign key
        space.status = "空闲"
        audit.record(s, actor, "lease_end", "parking_leases", lease.id, {"status": LeaseStatus.ACTIVE, "end_on": before_end},
                     {"status": LeaseStatus.ENDED, "end_on": lease.end_on})
        if lease.unit_id:
            _note(s, actor, lease.unit_id, "车位", f"车位 {space.number} 租赁终止")
        uow.commit()


LEASE_COLUMNS = {
    "id": ParkingLease.id,
    "version": ParkingLease.version,
    "estate": Estate.name,
    "space": ParkingSpace.number,
    "person": Person.name,
    "plate": ParkingLease.plate,
    "start_on": ParkingLease.start_on,
    "end_on": ParkingLease.end_on,
    "monthly_fee": ParkingLease.monthly_fee,
    "status": ParkingLease.status,
}


def list_leases(*, actor: Actor, query: ListQuery, expiring_within_days: int | None = None) -> PageResult:
    """Leases; with `expiring_within_days`, only 有效 leases ending from today to that many days ahead."""
    authorize_list(actor, "units.view", query)
    stmt = (select(*[c.label(n) for n, c in LEASE_COLUMNS.items()])
            .join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
            .join(Estate, Estate.id == ParkingSpace.estate_id)
            .join(Person, Person.id == ParkingLease.person_id)
            .where(estate_clause(actor, ParkingSpace.estate_id)))
    if expiring_within_days is not None:
        today = local_today()
        stmt = stmt.where(ParkingLease.status == LeaseStatus.ACTIVE, ParkingLease.end_on >= today,
                          ParkingLease.end_on <= today + timedelta(days=expiring_within_days))
    with read_session() as s:
        return run_list(s, stmt, LEASE_COLUMNS, query,
                        search_columns=[ParkingSpace.number, Person.name, ParkingLease.plate],
                        equal_filters={"status": ParkingLease.status}, default_sort=("end_on", False))


@dataclass(frozen=True)
class LeaseHit:
    """A parking lease found by the counter's search, with the account its bills go to."""

    lease_id: int
    household: str  # "L<lease id>" for a lease without a unit, else its unit's "U<unit id>"
    estate: str
    space: str
    plate: str
    person: str  # "王车主 139****1111"
    status: str
    start_on: date
    end_on: date
    unit_code: str  # "1-1-101", or "" for a lease without a unit
    matched: str  # 车牌号 / 车位号 / what matched the lessee (姓名, 手机尾号...)


def search_leases(*, actor: Actor, text: str, limit: int = SEARCH_LIMIT) -> list[LeaseHit]:
    """Find parking leases by plate (粤B12345, or part of it), space number (B1-001) or the lessee, read as the one
    search box reads a person (name, pinyin initials, mobile or its last four digits, ID number); current leases
    first, then the latest."""
    require(actor, "units.view")
    terms = search_terms(text)
    if terms is None:
        return []
    q = terms.text.upper()
    plate = q.replace(" ", "").replace("·", "")
    conds = [*terms.person_conds, ParkingSpace.number == q]
    if len(plate) >= 3 and plate.isalnum():
        conds.append(ParkingLease.plate.contains(plate, autoescape=True))
    with read_session() as s:
        # 13 columns: SQLAlchemy types the first 10 only, and mypy cannot unpack such a row into names
        rows: Sequence[Sequence[Any]] = s.execute(
            select(ParkingLease.id, ParkingLease.unit_id, Estate.name, ParkingSpace.number, ParkingLease.plate,
                   Person.name, Person.mobile, ParkingLease.status, ParkingLease.start_on, ParkingLease.end_on,
                   Building.code, Unit.unit_no, Unit.room_no)
            .join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
            .join(Estate, Estate.id == ParkingSpace.estate_id)
            .join(Person, Person.id == ParkingLease.person_id)
            .outerjoin(Unit, Unit.id == ParkingLease.unit_id).outerjoin(Building, Building.id == Unit.building_id)
            .where(or_(*conds), estate_clause(actor, ParkingSpace.estate_id))
            .order_by((ParkingLease.status == LeaseStatus.ACTIVE).desc(), ParkingLease.end_on.desc(), ParkingLease.id.desc())
            .limit(limit)).all()
    hits = []
    for (lease_id, unit_id, estate, number, lease_plate, name, mobile, status, start_on, end_on, b_code, unit_no,
         room_no) in rows:
        matched = "车位号" if number == q else ("车牌号" if plate and plate in (lease_plate or "") else terms.matched)
        hits.append(LeaseHit(lease_id, f"U{unit_id}" if unit_id else f"L{lease_id}", estate, number,
                             lease_plate or "", f"{name} {mask_mobile(mobile)}".strip(), status, start_on, end_on,
                             f"{b_code}-{unit_no}-{room_no}" if unit_id else "", matched))
    return hits


def unit_people_options(*, actor: Actor, unit_id: int) -> list[tuple[int, str]]:
    """(person id, name（身份）) of the people living in a unit now, for lease and vehicle forms."""
    require(actor, "units.view")
    with read_session() as s:
        rows = s.execute(select(Person.id, Person.name, UnitPerson.role)
                         .join(UnitPerson, UnitPerson.person_id == Person.id)
                         .where(UnitPerson.unit_id == unit_id, UnitPerson.end_on.is_(None),
                                unit_clause(actor, UnitPerson.unit_id)))
        return [(pid, f"{name}（{role}）") for pid, name, role in rows]


def free_spaces(*, actor: Actor, estate_id: int) -> list[tuple[int, int, str]]:
    """(id, version, number) of free spaces of an estate."""
    require(actor, "units.view")
    with read_session() as s:
        rows = s.execute(select(ParkingSpace.id, ParkingSpace.version, ParkingSpace.number)
                         .where(ParkingSpace.estate_id == estate_id, ParkingSpace.status == "空闲",
                                estate_clause(actor, ParkingSpace.estate_id))
                         .order_by(ParkingSpace.number))
        # tuple(row) is typed tuple[object, ...]; the row holds (int, int, str)
        return cast("list[tuple[int, int, str]]", [tuple(r) for r in rows])

