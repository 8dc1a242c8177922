"""Households: move-in 入伙, move-out 迁出, VIP households 重点户, the vacancy ledger, notes, and the unit card.

Invariants:
- each workflow is one transaction with one audit row, and adds a line to the unit's timeline;
- moving out ends links (end_on), it never deletes them, so a unit's history stays complete;
- a unit's status follows its workflows: move-in -> 已入住 (租客 -> 出租), move-out -> 空置 with
  vacant_since; keys handed over at move-in leave the service centre (已交付).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pandas as pd
from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import (
    Building,
    Estate,
    Key,
    KeyLoan,
    ParkingLease,
    ParkingSpace,
    Person,
    Renovation,
    Unit,
    UnitNote,
    UnitPerson,
    Vehicle,
    VipHousehold,
)
from db.types import utcnow
from services.estate.people import find_or_create_person, parse_person
from services.estate.statuses import UnitStatus
from services.estate.units import PERSON_ROLES, UNIT_CODE_ORDER, unit_code
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import local_today
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.privacy import mask_id_number, mask_mobile
from services.platform.scope import estate_clause, in_scope, scoped_unit
from services.platform.validate import (
    FieldError,
    choice_of,
    collect,
    collect_text,
    parse_choice,
    parse_date,
    parse_text,
)

MOVE_IN_DOCUMENTS = ("身份证", "房产证或购房合同", "入伙通知书", "业主公约签署", "装修须知告知")
VIP_CATEGORIES = ("独居老人", "残障人士", "频繁投诉", "欠费历史", "其他")
VACANT_STATUSES = (UnitStatus.VACANT, UnitStatus.HANDED_OVER)


def _locked_unit(session: Session, actor: Actor, unit_id: int, version: int | None) -> Unit:
    unit = scoped_unit(session, actor, unit_id)
    if version is not None and unit.version != version:
        raise StaleEdit()
    return unit


def _note(session: Session, actor: Actor, unit_id: int, kind: str, text: str) -> None:
    session.add(UnitNote(unit_id=unit_id, at=utcnow(), author=actor.display_name, kind=kind, text=text))


def unit_label(session: Session, unit: Unit) -> str:
    b = session.get(Building, unit.building_id)
    assert b is not None  # units.building_id is a foreign key
    return f"{b.code}-{unit.unit_no}-{unit.room_no}"


@dataclass(frozen=True)
class MoveIn:
    unit_id: int
    unit_version: int
    person: dict[str, Any]  # name, gender, mobile, phone, id_number, is_company, note
    role: str
    move_in_on: date
    documents: Sequence[str] = ()
    key_ids: Sequence[int] = ()
    note: str = ""


def move_in(*, actor: Actor, request: MoveIn) -> int:
    """入伙: link the person to the unit, hand over keys, set the unit's status; returns the link id."""
    require(actor, "residency.manage")
    errors = {}
    try:
        person_values = parse_person(request.person)
    except ValidationError as exc:
        errors.update(exc.errors)
        person_values = {}
    if request.role not in PERSON_ROLES:
        errors["身份"] = "应为以下之一：" + "、".join(PERSON_ROLES)
    if request.role == "业主" and set(MOVE_IN_DOCUMENTS[:2]) - set(request.documents):
        errors["资料核验"] = "业主入伙须核验身份证和房产证或购房合同"
    unknown = set(request.documents) - set(MOVE_IN_DOCUMENTS)
    if unknown:
        errors["资料核验"] = "未知资料：" + "、".join(sorted(unknown))
    move_in_on = collect(errors, "入伙日期", request.move_in_on, parse_date)
    if move_in_on is not None and (move_in_on - local_today()).days > 31:
        errors["入伙日期"] = "不能晚于一个月以后"
    try:
        note = parse_text(request.note, max_len=500)
    except FieldError as exc:
        errors["备注"] = str(exc)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        unit = _locked_unit(s, actor, request.unit_id, request.unit_version)
        if unit.status == UnitStatus.UNSOLD and request.role == "业主":
            raise Conflict("未售房屋不能办理业主入伙，请先将状态改为已交房未入住")
        known = person_values.get("mobile") and s.scalar(select(Person.id).where(
            Person.name == person_values["name"], Person.mobile == person_values["mobile"]))
        # Decision (estate scope): the same name + mobile is the same person even when they live only in an estate
        # the actor does not see: a person belongs to no estate, and a second record of one human would split their
        # history and bills (scope.person_clause: one who lives in two estates is seen from both). Reusing them
        # hands the actor nothing of the other estate: only the link id comes back, and every read the actor has
        # (unit card, search, people list, parking) shows the units, leases and vehicles of the actor's estates
        # only. Once moved in, the person is this estate's resident too, so their own fields (masked mobile and
        # ID number) are shown as for any resident. What a form typed is not written over the stored person.
        person = find_or_create_person(s, actor, person_values, audited=False)
        already = s.scalar(select(UnitPerson.id).where(
            UnitPerson.unit_id == unit.id, UnitPerson.person_id == person.id, UnitPerson.end_on.is_(None)))
        if already:
            raise Conflict(f"{person.name} 已是该房屋的在住人员")
        link = UnitPerson(unit_id=unit.id, person_id=person.id, role=request.role,
                          start_on=request.move_in_on, end_on=None)
        s.add(link)
        before = {"status": unit.status}
        s.flush()
        tenant = s.scalar(select(UnitPerson.id).where(UnitPerson.unit_id == unit.id, UnitPerson.role == "租客",
                                                      UnitPerson.end_on.is_(None)).limit(1))
        new_status = UnitStatus.RENTED if tenant else UnitStatus.OCCUPIED
        works = s.scalar(select(Renovation).where(Renovation.unit_id == unit.id,
                                                  Renovation.status.in_(("施工中", "已验收"))))
        if works is not None and unit.status == UnitStatus.RENOVATING:
            works.unit_status_before = new_status  # the unit stays 装修中 until closing gives it this status
        else:
            unit.status = new_status
        unit.vacant_since = None
        keys = []
        for key_id in request.key_ids:
            key = s.get(Key, key_id)
            if key is None or key.unit_id != unit.id:
                raise ValidationError({"钥匙": "只能交付本房屋的钥匙"})
            if key.status != "在库":
                raise Conflict(f"钥匙“{key.label}”当前{key.status}，不能交付")
            key.status = "已交付"
            keys.append(key.label)
        s.flush()
        after = {"status": unit.status, "person": person.name, "person_id": person.id,
                 "new_person": not known, "role": request.role,
                 "move_in_on": request.move_in_on, "documents": list(request.documents), "keys": keys}
        audit.record(s, actor, "move_in", "units", unit.id, before, after)
        text = f"{person.name}（{request.role}）入伙，资料：{'、'.join(request.documents) or '无'}"
        if keys:
            text += f"；交付钥匙：{'、'.join(keys)}"
        _note(s, actor, unit.id, "入伙", text + (f"；{note}" if note else ""))
        uow.commit()
        return link.id


def move_out(*, actor: Actor, unit_id: int, unit_version: int, link_ids: Sequence[int],
             move_out_on: date, new_status: str = UnitStatus.VACANT, note: str = "") -> None:
    """迁出: end the chosen links; when nobody stays, the unit becomes 空置 from that day."""
    require(actor, "residency.manage")
    if not link_ids:
        raise ValidationError({"迁出人员": "请至少选择一位"})
    errors: dict[str, str] = {}
    new_status = collect(errors, "迁出后状态", new_status, choice_of(
        (UnitStatus.VACANT, UnitStatus.HANDED_OVER, UnitStatus.OCCUPIED, UnitStatus.RENTED),
        "应为 空置、已交房未入住、已入住 或 出租")) or ""
    move_out_on = collect(errors, "迁出日期", move_out_on, parse_date) or local_today()
    note = collect_text(errors, "备注", note, 500)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        unit = _locked_unit(s, actor, unit_id, unit_version)
        names = []
        for link_id in link_ids:
            link = s.get(UnitPerson, link_id)
            if link is None or link.unit_id != unit.id or link.end_on is not None:
                raise StaleEdit("所选人员已迁出或不属于该房屋，请刷新后重试")
            if link.start_on and move_out_on < link.start_on:
                raise ValidationError({"迁出日期": f"不能早于入住日期 {link.start_on}"})
            link.end_on = move_out_on
            names.append(cast(Person, s.get(Person, link.person_id)).name)  # person_id is a foreign key
        s.flush()
        remaining = s.scalar(select(UnitPerson.id).where(UnitPerson.unit_id == unit.id,
                                                         UnitPerson.end_on.is_(None)).limit(1))
        before = {"status": unit.status}
        if remaining is None:
            works = s.scalar(select(Renovation).where(Renovation.unit_id == unit.id,
                                                      Renovation.status.in_(("施工中", "已验收"))))
            if works is not None and unit.status == UnitStatus.RENOVATING:
                works.unit_status_before = new_status  # stays 装修中 until the works are closed
            else:
                unit.status = new_status
            if new_status in VACANT_STATUSES:
                unit.vacant_since = move_out_on
        audit.record(s, actor, "move_out", "units", unit.id, before,
                     {"status": unit.status, "people": names, "move_out_on": move_out_on})
        _note(s, actor, unit.id, "迁出", f"{'、'.join(names)} 迁出（{move_out_on}）" + (f"；{note}" if note else ""))
        uow.commit()


def add_note(*, actor: Actor, unit_id: int, text: str) -> None:
    """A free note on the unit's timeline."""
    require(actor, "units.edit")
    try:
        text = parse_text(text, max_len=1000)
    except FieldError as exc:
        raise ValidationError({"备注": str(exc)}) from None
    if not text:
        raise ValidationError({"备注": "不能为空"})
    with unit_of_work() as uow:
        scoped_unit(uow.session, actor, unit_id)
        _note(uow.session, actor, unit_id, "备注", text)
        audit.record(uow.session, actor, "note", "units", unit_id, None, {"note": text})
        uow.commit()


def add_vip(*, actor: Actor, unit_id: int, category: str, reason: str, care_notes: str = "") -> int:
    """登记重点户 with a reason and care notes; shown as a badge on the unit."""
    require(actor, "vip.manage")
    errors: dict[str, str] = {}
    category = collect(errors, "类别", category, lambda v: parse_choice(v, VIP_CATEGORIES)) or ""
    reason = collect_text(errors, "原因", reason, 200, required=True)
    care_notes = collect_text(errors, "关怀要点", care_notes, 500)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        scoped_unit(s, actor, unit_id)
        vip = VipHousehold(unit_id=unit_id, category=category, reason=reason, care_notes=care_notes)
        s.add(vip)
        s.flush()
        audit.record(s, actor, "vip_add", "vip_households", vip.id, None,
                     {"unit_id": unit_id, "category": category, "reason": reason})
        _note(s, actor, unit_id, "重点户", f"登记为重点户（{category}）：{reason}")
        uow.commit()
        return vip.id


def end_vip(*, actor: Actor, vip_id: int, version: int) -> None:
    require(actor, "vip.manage")
    with unit_of_work() as uow:
        s = uow.session
        vip = s.get(VipHousehold, vip_id)
        if vip is None or not vip.active or not in_scope(actor, cast(Unit, s.get(Unit, vip.unit_id)).estate_id):
            raise NotFound("该重点户登记不存在或已取消")
        if vip.version != version:
            raise StaleEdit()
        vip.active = False
        audit.record(s, actor, "vip_end", "vip_households", vip.id, {"active": True}, {"active": False})
        _note(s, actor, vip.unit_id, "重点户", f"取消重点户（{vip.category}）")
        uow.commit()


def record_inspection(*, actor: Actor, unit_id: int, inspected_on: date, finding: str = "") -> None:
    """空置房巡查: the date staff last looked inside, with what they found."""
    require(actor, "vacancy.inspect")
    errors: dict[str, str] = {}
    inspected_on = collect(errors, "巡查日期", inspected_on, parse_date) or local_today()
    finding = collect_text(errors, "巡查情况", finding, 500)
    if not errors and inspected_on > local_today():
        errors["巡查日期"] = "不能晚于今天"
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        unit = scoped_unit(s, actor, unit_id)
        if unit.status not in VACANT_STATUSES:
            raise Conflict(f"该房屋状态为{unit.status}，不在空置房台账中")
        before = {"last_inspected_on": unit.last_inspected_on}
        unit.last_inspected_on = inspected_on
        audit.record(s, actor, "inspect", "units", unit.id, before,
                     {"last_inspected_on": inspected_on, "finding": finding})
        _note(s, actor, unit.id, "巡查", f"空置房巡查（{inspected_on}）" + (f"：{finding}" if finding else ""))
        uow.commit()


VACANCY_COLUMNS = {
    "id": Unit.id,
    "version": Unit.version,
    "estate": Estate.name,
    "code": unit_code,
    "kind": Unit.kind,
    "status": Unit.status,
    "built_area": Unit.built_area,
    "vacant_since": Unit.vacant_since,
    "last_inspected_on": Unit.last_inspected_on,
}


def vacancy_ledger(*, actor: Actor, query: ListQuery) -> PageResult:
    """空置房台账: vacant units, longest-unvisited first by default."""
    authorize_list(actor, "units.view", query)
    stmt: Select[*tuple[Any, ...]] = (
        select(*[c.label(n) for n, c in VACANCY_COLUMNS.items()])
        .join(Building, Building.id == Unit.building_id)
        .join(Estate, Estate.id == Unit.estate_id)
        .where(Unit.status.in_(VACANT_STATUSES), estate_clause(actor, Unit.estate_id))
    )
    with read_session() as s:
        return run_list(s, stmt, VACANCY_COLUMNS, query, search_columns=[VACANCY_COLUMNS["code"]],
                        equal_filters={"estate_id": Unit.estate_id}, default_sort=("last_inspected_on", False),
                        # never inspected (NULL) = longest unvisited on every backend; PostgreSQL sorts NULLs last
                        sort_keys={"code": UNIT_CODE_ORDER,
                                   "last_inspected_on": [Unit.last_inspected_on.is_not(None), Unit.last_inspected_on]})


# --- the unit card -----------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitCard:
    id: int
    version: int
    estate_id: int
    estate: str
    code: str
    kind: str
    layout: str
    floor: int | None
    built_area: object
    inner_area: object
    status: str
    delivered_on: date | None
    vacant_since: date | None
    last_inspected_on: date | None
    note: str
    renovating: bool
    vip: list[dict[str, Any]] = field(default_factory=list)
    residents: pd.DataFrame = field(default_factory=pd.DataFrame)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    vehicles: pd.DataFrame = field(default_factory=pd.DataFrame)
    parking: pd.DataFrame = field(default_factory=pd.DataFrame)
    keys: pd.DataFrame = field(default_factory=pd.DataFrame)
    renovations: pd.DataFrame = field(default_factory=pd.DataFrame)
    timeline: pd.DataFrame = field(default_factory=pd.DataFrame)


def _frame(rows: Iterable[Iterable[Any]], columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame([tuple(r) for r in rows], columns=columns, dtype=object)


def unit_card(*, actor: Actor, unit_id: int) -> UnitCard:
    """Everything the front desk needs about one unit, with private numbers masked."""
    require(actor, "units.view")
    with read_session() as s:
        row = s.execute(
            select(Unit, Estate.name, Building.code)
            .join(Estate, Estate.id == Unit.estate_id)
            .join(Building, Building.id == Unit.building_id)
            .where(Unit.id == unit_id, estate_clause(actor, Unit.estate_id))
        ).first()
        if row is None:
            raise NotFound("房屋不存在")
        unit, estate, b_code = row
        people = s.execute(
            select(UnitPerson.id, Person.id, Person.name, UnitPerson.role, Person.gender, Person.mobile,
                   Person.phone, Person.id_number, UnitPerson.start_on, UnitPerson.end_on)
            .join(Person, Person.id == UnitPerson.person_id)
            .where(UnitPerson.unit_id == unit_id)
            .order_by(UnitPerson.end_on.is_not(None), UnitPerson.start_on.desc(), UnitPerson.id)
        ).all()
        cols = ["link_id", "person_id", "name", "role", "gender", "mobile", "phone", "id_number",
                "start_on", "end_on"]
        masked = [(*r[:5], mask_mobile(r[5] or ""), r[6], mask_id_number(r[7] or ""), r[8], r[9]) for r in people]
        everyone = _frame(masked, cols)
        residents = everyone[everyone.end_on.isna()].reset_index(drop=True)
        history = everyone[everyone.end_on.notna()].reset_index(drop=True)
        vehicles = _frame(s.execute(
            select(Vehicle.id, Vehicle.plate, Person.name, Vehicle.note)
            .outerjoin(Person, Person.id == Vehicle.person_id)
            .where(Vehicle.unit_id == unit_id).order_by(Vehicle.plate)
        ).all(), ["id", "plate", "owner", "note"])
        parking = _frame(s.execute(
            select(ParkingLease.id, ParkingLease.version, ParkingSpace.number, ParkingSpace.kind, Person.name, ParkingLease.plate,
                   ParkingLease.start_on, ParkingLease.end_on, ParkingLease.monthly_fee, ParkingLease.status)
            .join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
            .join(Person, Person.id == ParkingLease.person_id)
            .where(ParkingLease.unit_id == unit_id).order_by(ParkingLease.end_on.desc())
        ).all(), ["id", "version", "space", "kind", "person", "plate", "start_on", "end_on", "monthly_fee",
                  "status"])
        keys = _frame(s.execute(
            select(Key.id, Key.version, Key.label, Key.location, Key.status).where(Key.unit_id == unit_id)
            .order_by(Key.id)
        ).all(), ["id", "version", "label", "location", "status"])
        open_loans = dict(s.execute(
            select(KeyLoan.key_id, KeyLoan.borrower).join(Key, Key.id == KeyLoan.key_id)
            .where(Key.unit_id == unit_id, KeyLoan.returned_at.is_(None))
        ).all())
        keys["borrower"] = [open_loans.get(k, "") for k in keys["id"]]
        renovations = _frame(s.execute(
            select(Renovation.id, Renovation.version, Renovation.status, Renovation.applicant,
                   Renovation.contractor, Renovation.applied_on, Renovation.planned_start_on,
                   Renovation.planned_end_on, Renovation.deposit, Renovation.violations)
            .where(Renovation.unit_id == unit_id).order_by(Renovation.id.desc())
        ).all(), ["id", "version", "status", "applicant", "contractor", "applied_on", "planned_start_on",
                  "planned_end_on", "deposit", "violations"])
        vip = [
            {"id": v.id, "version": v.version, "category": v.category, "reason": v.reason,
             "care_notes": v.care_notes}
            for v in s.scalars(select(VipHousehold).where(VipHousehold.unit_id == unit_id,
                                                          VipHousehold.active.is_(True)))
        ]
        timeline = _frame(s.execute(
            select(UnitNote.at, UnitNote.kind, UnitNote.author, UnitNote.text)
            .where(UnitNote.unit_id == unit_id).order_by(UnitNote.at.desc(), UnitNote.id.desc()).limit(200)
        ).all(), ["at", "kind", "author", "text"])
        renovating = (unit.status == UnitStatus.RENOVATING
                      or any(st in ("已批准", "施工中") for st in renovations["status"]))
        return UnitCard(
            id=unit.id, version=unit.version, estate_id=unit.estate_id, estate=estate, code=f"{b_code}-{unit.unit_no}-{unit.room_no}",
            kind=unit.kind, layout=unit.layout, floor=unit.floor, built_area=unit.built_area,
            inner_area=unit.inner_area, status=unit.status, delivered_on=unit.delivered_on,
            vacant_since=unit.vacant_since, last_inspected_on=unit.last_inspected_on, note=unit.note,
            renovating=renovating, vip=vip, residents=residents, history=history, vehicles=vehicles,
            parking=parking, keys=keys, renovations=renovations, timeline=timeline,
        )


def can_reveal(actor: Actor) -> bool:
    return can(actor, "people.reveal")
