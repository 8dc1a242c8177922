"""Every field of the write services that takes what a user types, as hostile-input targets.

A service is declared once as a `Form` (how to call it with every field valid, how to read back what it stored);
each field is then one line naming the parameter, its Chinese label and its oracle. Grid tables come from their
TableSpec (one target per editable field, through the service's update_* function).

Typed parameters (a `date` from a date picker, an `int` from a number box) get only the corpus values of their type
(`only=`): the page cannot send anything else there. Free values (text, an amount typed as text) get the whole
corpus.
"""

# ruff: noqa: ARG005  (every Form lambda takes (world, context, **values); many use only some)

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import delete, func, select, update

from db.engine import get_engine, read_session, unit_of_work
from db.models import (
    AppraisalRule,
    Approval,
    Attendance,
    AuditEntry,
    Bulletin,
    CommunityActivity,
    DunningAction,
    DutyEntry,
    DutyShift,
    FeeItem,
    Incident,
    IncidentType,
    InspectionItem,
    InspectionResult,
    InspectionRound,
    InspectionRoute,
    Key,
    KeyLoan,
    LostItem,
    LostNotice,
    MeterReading,
    Notice,
    OwnerVisit,
    PaidServiceItem,
    PaidServiceOrder,
    ParkingLease,
    ParkingSpace,
    Payment,
    Person,
    PostKpi,
    Renovation,
    Revisit,
    Scorecard,
    Setting,
    Settlement,
    Staff,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyRound,
    Ticket,
    TicketEvent,
    Unit,
    UnitFee,
    UnitNote,
    UnitPerson,
    User,
    Vehicle,
    Violation,
    ViolationFollowUp,
    VipHousehold,
)
from services.admin import reference
from services.appraisal import rules as appraisal_rules
from services.appraisal import scorecards, staff
from services.estate import households, keys, parking, people, renovation, units
from services.fees import approvals, arrears, billing, cashier, refunds
from services.platform import settings, users
from services.platform.actors import ROLE_LABELS
from services.platform.auth import Actor, Role, change_own_password, hash_password
from services.platform.clock import SHANGHAI, local_today
from services.platform.editing import RowEdit
from services.platform.tablespec import TableSpec
from services.relations import (
    activities,
    handover,
    inspections,
    lost_found,
    notices,
    paid_services,
    surveys,
    visits,
)
from services.tickets import workflow
from services.tickets.statuses import TicketStatus
from tests.factories import make_key, make_login, make_resident, make_space, make_units
from tests.services.platform import hostile_oracle as o
from tests.services.platform.hostile_harness import (
    Form,
    Target,
    delete_result,
    newest,
    row_of,
    set_context,
    version_of,
    with_fields,
)


def a_date(value: Any) -> bool:
    """A value a date picker can give: a date (not a datetime), or nothing."""
    return value is None or type(value) is date


def a_number(value: Any) -> bool:
    """A value a number box can give."""
    return type(value) in (int, float, Decimal)


def also_trying(oracle: o.Oracle, *values: Any) -> o.Oracle:
    """`oracle`, with values the harness also feeds bare and padded, as it does a choice's options: a field whose
    format no corpus value has (a month, a quarter, a moment in the coming days) is tried with an acceptance too."""

    def kind(value: Any) -> Any:
        return oracle(value)

    kind.options = values  # type: ignore[attr-defined]
    return kind


@dataclass
class World:
    """The records every target acts on, built once per database."""

    actors: dict[Role, Actor] = field(default_factory=dict)
    estate: int = 0
    building: int = 0
    units: list[int] = field(default_factory=list)
    person: int = 0
    fee_items: dict[str, int] = field(default_factory=dict)
    service_item: int = 0
    incident_types: dict[str, int] = field(default_factory=dict)
    department: int = 0
    member: int = 0
    last: Any = None
    counter: int = 0

    def actor(self, role: Role = Role.ADMIN) -> Actor:
        return self.actors[role]

    def next(self) -> int:
        """A number no other call of this world used (for unique codes)."""
        self.counter += 1
        return self.counter


def build_world() -> World:
    w = World()
    for role in Role:
        user_id = make_login(f"h_{role.value}", f"测试{role.label}", role=role)
        w.actors[role] = Actor(user_id=user_id, username=f"h_{role.value}", display_name=f"测试{role.label}",
                               role=role)
    w.units = make_units(6)
    with read_session() as s:
        unit = s.get(Unit, w.units[0])
        w.estate, w.building = unit.estate_id, unit.building_id
    w.person, _ = make_resident(w.units[0])
    _fee_world(w)
    from tests.factories import seed_ticket_policies

    seed_ticket_policies()
    _appraisal_world(w)
    surveys.add_standard_questionnaire(actor=w.actor())
    return w


# --- readers ---------------------------------------------------------------------------------------------------


def note_tail(separator: str) -> Callable[[Any, Any, Any, str], Any]:
    """What follows `separator` in the newest timeline note (a service that writes the value into a note)."""

    def read(_w: Any, _c: Any, _r: Any, _column: str) -> Any:
        with get_engine().connect() as s:
            text = s.scalar(select(UnitNote.text).order_by(UnitNote.id.desc()).limit(1)) or ""
        return text.partition(separator)[2]

    return read


def result_row(model: type) -> Callable[[Any, Any, Any, str], Any]:
    return row_of(model, lambda _w, _c, r: r)


def context_row(model: type) -> Callable[[Any, Any, Any, str], Any]:
    return row_of(model, lambda _w, c, _r: c)


# --- estate ----------------------------------------------------------------------------------------------------


def _fresh_unit(w: World) -> int:
    """A vacant unit of its own (services that change a unit's state)."""
    with unit_of_work() as uow:
        first = uow.session.get(Unit, w.units[0])
        unit = Unit(estate_id=first.estate_id, building_id=first.building_id, unit_no="9", room_no=f"X{w.next()}",
                    floor=1, kind="住宅", layout="", built_area=Decimal("80.00"), inner_area=Decimal("60.00"),
                    status="空置", delivered_on=date(2024, 1, 1))
        uow.session.add(unit)
        uow.session.flush()
        unit_id = unit.id
        uow.commit()
    return unit_id


ADD_NOTE = Form("estate.households.add_note",
                lambda w, c, **v: households.add_note(actor=w.actor(), **{"unit_id": w.units[0], "text": "备注", **v}),
                read=newest(UnitNote))
ADD_VIP = Form("estate.households.add_vip",
               lambda w, c, **v: households.add_vip(actor=w.actor(), **{
                   "unit_id": w.units[0], "category": "独居老人", "reason": "独居", "care_notes": "", **v}),
               read=result_row(VipHousehold))
INSPECT_VACANT = Form("estate.households.record_inspection",
                      lambda w, c, **v: households.record_inspection(actor=w.actor(), **{
                          "unit_id": c, "inspected_on": local_today(), "finding": "正常", **v}),
                      read=context_row(Unit), prepare=_fresh_unit)


def _move_in(w: World, c: Any, **v: Any) -> int:
    person = {"name": f"李{w.next()}", "mobile": f"139{w.next():08d}", **v.pop("person", {})}
    request = households.MoveIn(unit_id=c, unit_version=version_of(Unit, c), person=person, role="租客",
                                move_in_on=local_today(), note="")
    return households.move_in(actor=w.actor(), request=with_fields(request, **v))


MOVE_IN = Form("estate.households.move_in", _move_in, read=newest(UnitNote), prepare=_fresh_unit)


def _move_in_person(param: str, label: str, kind: o.Oracle) -> Target:
    def call(w: World, c: Any, value: Any) -> int:
        return _move_in(w, c, person={**({"phone": "020-12345678"} if param == "mobile" else {}), param: value})

    def read(_w: World, _c: Any, link_id: int) -> Any:
        with read_session() as s:
            person_id = s.scalar(select(UnitPerson.person_id).where(UnitPerson.id == link_id))
            return s.scalar(select(getattr(Person, param)).where(Person.id == person_id))

    return Target("estate.households.move_in", f"person.{param}", label, kind, call, read, prepare=_fresh_unit)


def _lent_key(w: World) -> int:
    return make_key(w.units[0], f"K{w.next()}")


def _back_in_cabinet(key_id: int) -> None:
    with unit_of_work() as uow:
        uow.session.execute(delete(KeyLoan).where(KeyLoan.key_id == key_id))
        uow.session.execute(update(Key).where(Key.id == key_id).values(status="在库"))
        uow.commit()


def _lease_ended(lease_id: int) -> None:
    with unit_of_work() as uow:
        lease = uow.session.get(ParkingLease, lease_id)
        lease.status = "已终止"
        uow.session.execute(update(ParkingSpace).where(ParkingSpace.id == lease.space_id).values(status="空闲"))
        uow.commit()


ADD_KEY = Form("estate.keys.add_key",
               lambda w, c, **v: keys.add_key(actor=w.actor(), **{"unit_id": w.units[0], "label": "大门钥匙",
                                                                  "location": "A柜", **v}),
               read=result_row(Key))
LEND_KEY = Form("estate.keys.lend_key",
                lambda w, c, **v: keys.lend_key(actor=w.actor(), **{
                    "key_id": c, "version": version_of(Key, c), "borrower": "王师傅", "borrower_phone": "13812348000",
                    "reason": "维修", "due_at": datetime.now(UTC) + timedelta(days=1), **v}),
                read=result_row(KeyLoan), prepare=_lent_key, reset=lambda w, c, r: _back_in_cabinet(c))
REPORT_LOST = Form("estate.keys.report_lost",
                   lambda w, c, **v: keys.report_lost(actor=w.actor(), **{
                       "key_id": c, "version": version_of(Key, c), "note": "丢了", **v}),
                   read=note_tail("遗失："), prepare=_lent_key, reset=set_context(Key, status="在库"))


def _free_space(w: World) -> int:
    return make_space(w.estate, f"P{w.next()}", kind="租赁", status="空闲")


ADD_SPACE = Form("estate.parking.add_space",
                 lambda w, c, **v: parking.add_space(actor=w.actor(), **{"estate_id": w.estate,
                                                                         "number": f"N{w.next()}", "kind": "租赁", **v}),
                 read=result_row(ParkingSpace))
ADD_VEHICLE = Form("estate.parking.add_vehicle",
                   lambda w, c, **v: parking.add_vehicle(actor=w.actor(), **{
                       "unit_id": w.units[0], "person_id": None, "plate": f"粤B{w.next():05d}", "note": "", **v}),
                   read=result_row(Vehicle))
LEASE = Form("estate.parking.lease_space",
             lambda w, c, **v: parking.lease_space(actor=w.actor(), **{
                 "space_id": c, "space_version": version_of(ParkingSpace, c), "person_id": w.person,
                 "unit_id": None, "plate": "", "start_on": date(2026, 1, 1), "end_on": date(2026, 12, 31),
                 "monthly_fee": "300.00", **v}),
             read=result_row(ParkingLease), prepare=_free_space, reset=lambda w, c, r: _lease_ended(r))


def _applied(w: World) -> int:
    return renovation.apply(actor=w.actor(), application=_APPLICATION(_fresh_unit(w)))


def _APPLICATION(unit_id: int) -> renovation.Application:
    return renovation.Application(unit_id=unit_id, applicant="张伟", contractor="好家装修", contractor_phone="13812348000",
                                  scope="刷墙", planned_start_on=date(2026, 3, 1), planned_end_on=date(2026, 4, 1),
                                  deposit="2000.00", applied_on=date(2026, 2, 1))


APPLY = Form("estate.renovation.apply",
             lambda w, c, **v: renovation.apply(actor=w.actor(), application=with_fields(_APPLICATION(c), **v)),
             read=result_row(Renovation), prepare=_fresh_unit,
             reset=lambda w, c, r: set_context(Renovation, status="已关闭")(w, r, None))
REFUSE_RENOVATION = Form("estate.renovation.decide",
                         lambda w, c, **v: renovation.decide(actor=w.actor(), **{
                             "renovation_id": c, "version": version_of(Renovation, c), "approve": False,
                             "reason": "不合规", **v}),
                         read=context_row(Renovation), prepare=_applied, reset=set_context(Renovation, status="申请中"))


def _started(w: World) -> int:
    r = _applied(w)
    renovation.decide(actor=w.actor(), renovation_id=r, version=version_of(Renovation, r), approve=True)
    renovation.start(actor=w.actor(), renovation_id=r, version=version_of(Renovation, r),
                     started_on=date(2026, 3, 1), deposit_received_on=date(2026, 3, 1))
    return r


def _inspected(w: World) -> int:
    r = _started(w)
    renovation.inspect(actor=w.actor(), renovation_id=r, version=version_of(Renovation, r),
                       inspected_on=date(2026, 4, 1), violations="")
    return r


INSPECT_RENOVATION = Form("estate.renovation.inspect",
                          lambda w, c, **v: renovation.inspect(actor=w.actor(), **{
                              "renovation_id": c, "version": version_of(Renovation, c),
                              "inspected_on": date(2026, 4, 1), "violations": "", **v}),
                          read=context_row(Renovation), prepare=_started, reset=set_context(Renovation, status="施工中"))
CLOSE_RENOVATION = Form("estate.renovation.close",
                        lambda w, c, **v: renovation.close(actor=w.actor(), **{
                            "renovation_id": c, "version": version_of(Renovation, c), "refund": "2000.00",
                            "refunded_on": date(2026, 4, 2), **v}),
                        read=context_row(Renovation), prepare=_inspected, reset=set_context(Renovation, status="已验收"))


def _moved_in(w: World) -> tuple[int, int]:
    """A unit of its own with one resident moved in today: (unit, the resident's link)."""
    unit_id = _fresh_unit(w)
    return unit_id, _move_in(w, unit_id)


def _moved_back(w: World, c: tuple[int, int], r: Any) -> None:
    with get_engine().begin() as conn:
        conn.execute(update(UnitPerson).where(UnitPerson.id == c[1]).values(end_on=None))


def _leased(w: World) -> int:
    space = _free_space(w)
    return parking.lease_space(actor=w.actor(), space_id=space, space_version=version_of(ParkingSpace, space),
                               person_id=w.person, unit_id=None, plate="", start_on=date(2026, 1, 1),
                               end_on=date(2026, 12, 31), monthly_fee="300.00")


def _unrenewed(w: World, c: int, r: int) -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(ParkingLease).where(ParkingLease.id == r))
        conn.execute(update(ParkingLease).where(ParkingLease.id == c).values(status="有效"))


def _approved(w: World) -> int:
    r = _applied(w)
    renovation.decide(actor=w.actor(), renovation_id=r, version=version_of(Renovation, r), approve=True)
    return r


MOVE_OUT = Form("estate.households.move_out",
                lambda w, c, **v: households.move_out(actor=w.actor(), **{
                    "unit_id": c[0], "unit_version": version_of(Unit, c[0]), "link_ids": [c[1]],
                    "move_out_on": local_today(), "new_status": "空置", "note": "", **v}),
                read=newest(UnitNote), prepare=_moved_in, reset=_moved_back)
RENEW = Form("estate.parking.renew_lease",
             lambda w, c, **v: parking.renew_lease(actor=w.actor(), **{
                 "lease_id": c, "version": version_of(ParkingLease, c), "new_end_on": date(2027, 12, 31),
                 "monthly_fee": "320.00", **v}),
             read=result_row(ParkingLease), prepare=_leased, reset=_unrenewed)
START_RENOVATION = Form("estate.renovation.start",
                        lambda w, c, **v: renovation.start(actor=w.actor(), **{
                            "renovation_id": c, "version": version_of(Renovation, c), "started_on": date(2026, 3, 1),
                            "deposit_received_on": date(2026, 3, 1), **v}),
                        read=context_row(Renovation), prepare=_approved, reset=set_context(Renovation, status="已批准"))

ESTATE: list[Target] = [
    ADD_NOTE.field("text", "备注", o.text),
    ADD_VIP.field("category", "类别", o.choice(households.VIP_CATEGORIES)),
    ADD_VIP.field("reason", "原因", o.text),
    ADD_VIP.field("care_notes", "关怀要点", o.text),
    INSPECT_VACANT.field("finding", "巡查情况", o.text, read=note_tail("）：")),
    INSPECT_VACANT.field("inspected_on", "巡查日期", o.day, column="last_inspected_on", only=a_date),
    _move_in_person("name", "姓名", o.text),
    _move_in_person("mobile", "手机号", o.mobile),
    _move_in_person("phone", "固定电话", o.landline),
    _move_in_person("id_number", "身份证号", o.id_number),
    _move_in_person("note", "备注", o.text),
    MOVE_IN.field("note", "备注", o.text, read=note_tail("无；")),
    ADD_KEY.field("label", "钥匙名称", o.text),
    ADD_KEY.field("location", "存放位置", o.text),
    LEND_KEY.field("borrower", "借用人", o.text),
    LEND_KEY.field("borrower_phone", "借用人电话", o.phone),
    LEND_KEY.field("reason", "借用事由", o.text),
    REPORT_LOST.field("note", "说明", o.text),
    ADD_SPACE.field("number", "车位号", lambda v: o.text(v).upper()),
    ADD_SPACE.field("kind", "类型", o.choice(parking.SPACE_KINDS)),
    ADD_VEHICLE.field("note", "备注", o.text),
    LEASE.field("monthly_fee", "月租金", o.money),
    LEASE.field("start_on", "开始日期", o.day, only=a_date),
    LEASE.field("end_on", "结束日期", o.day, only=a_date),
    APPLY.field("applicant", "申请人", o.text),
    APPLY.field("contractor", "施工单位", o.text),
    APPLY.field("contractor_phone", "施工方电话", o.phone),
    APPLY.field("scope", "装修内容", o.text),
    APPLY.field("deposit", "装修押金", o.money),
    APPLY.field("planned_end_on", "计划完工", o.day, only=a_date),
    REFUSE_RENOVATION.field("reason", "拒绝原因", o.text, column="refused_reason"),
    INSPECT_RENOVATION.field("violations", "违规", o.text),
    CLOSE_RENOVATION.field("refund", "退还押金", o.money, column="deposit_refunded"),
    MOVE_OUT.field("note", "备注", o.text, read=note_tail("）；")),
    MOVE_OUT.field("new_status", "迁出后状态", o.choice(("空置", "已交房未入住", "已入住", "出租")),
                   column="status", read=row_of(Unit, lambda w, c, r: c[0])),
    MOVE_OUT.field("move_out_on", "迁出日期", o.or_any_when_blank(o.day), column="end_on", only=a_date,
                   read=row_of(UnitPerson, lambda w, c, r: c[1])),
    RENEW.field("monthly_fee", "月租金", o.money),
    RENEW.field("new_end_on", "结束日期", o.day, column="end_on", only=a_date),
    START_RENOVATION.field("started_on", "开工日期", o.day, only=a_date),
    START_RENOVATION.field("deposit_received_on", "押金收取日期", o.day, only=a_date),
]


# --- fees ------------------------------------------------------------------------------------------------------


def _fee_world(w: World) -> None:
    from tests.factories import seed_fee_items

    w.fee_items = seed_fee_items()


def _cashier(w: World) -> Actor:
    return w.actor(Role.CASHIER)


def _paid(w: World) -> int:
    """A payment of its own (services that act on one receipt)."""
    receipt = cashier.take_payment(actor=_cashier(w), unit_id=_fresh_unit(w), amount="100.00", method="现金")
    with read_session() as s:
        return int(s.scalar(select(Payment.id).where(Payment.receipt_no == receipt.receipt_no)))


def _credit(w: World) -> int:
    """A unit of its own with 10,000.00 of prepaid credit."""
    unit_id = _fresh_unit(w)
    cashier.take_payment(actor=_cashier(w), unit_id=unit_id, amount="10000.00", method="现金")
    return unit_id


def _bill(w: World) -> int:
    from tests.factories import make_bill

    return make_bill(_fresh_unit(w), w.fee_items["WY-ZZ"], "2026-01", "500.00")


def _requested(w: World) -> int:
    return approvals.request_cancel(actor=w.actor(Role.SERVICE), bill_id=_bill(w), reason="重复开单")


def _a_cashier(w: World) -> Actor:
    """A cashier of their own: each confirms one day."""
    n = w.next()
    user_id = make_login(f"h_cashier{n}", f"收费员{n}", role=Role.CASHIER)
    return Actor(user_id=user_id, username=f"h_cashier{n}", display_name=f"收费员{n}", role=Role.CASHIER)


def _unsettled(cashier_actor: Actor) -> None:
    with unit_of_work() as uow:
        uow.session.execute(delete(Settlement).where(Settlement.cashier_user_id == cashier_actor.user_id))
        uow.commit()


def _unread(unit_id: int) -> None:
    with unit_of_work() as uow:
        uow.session.execute(delete(MeterReading).where(MeterReading.unit_id == unit_id))
        uow.commit()


def _meter_unit(w: World) -> int:
    return _fresh_unit(w)


def _meter_item(w: World) -> int:
    with read_session() as s:
        return int(s.scalar(select(FeeItem.id).where(FeeItem.basis == "抄表").order_by(FeeItem.id).limit(1)))


TAKE_PAYMENT = Form("fees.cashier.take_payment",
                    lambda w, c, **v: cashier.take_payment(actor=_cashier(w), **{
                        "unit_id": w.units[1], "amount": "100.00", "method": "现金", "note": "", **v}),
                    read=newest(Payment))
SETTLE = Form("fees.cashier.confirm_settlement",
              lambda w, c, **v: cashier.confirm_settlement(actor=c, **{
                  "day": local_today() - timedelta(days=1), "cash_handed": "0.00", "note": "差异说明",
                  "received_by": "主管", **v}),
              read=newest(Settlement), prepare=_a_cashier, reset=lambda w, c, r: _unsettled(c))
REFUND = Form("fees.refunds.request_refund",
              lambda w, c, **v: refunds.request_refund(actor=w.actor(Role.SERVICE), **{
                  "unit_id": c, "amount": "100.00", "method": "现金", "payee": "张伟", "reason": "多交", **v}),
              read=result_row(Approval), prepare=_credit, reset=delete_result(Approval))
VOID = Form("fees.approvals.request_void",
            lambda w, c, **v: approvals.request_void(actor=w.actor(Role.SERVICE), **{
                "payment_id": c, "reason": "开错", **v}),
            read=result_row(Approval), prepare=_paid, reset=delete_result(Approval))
WAIVE = Form("fees.approvals.request_waiver",
             lambda w, c, **v: approvals.request_waiver(actor=w.actor(Role.SERVICE), **{
                 "bill_id": c, "amount": "100.00", "reason": "困难户", **v}),
             read=result_row(Approval), prepare=_bill, reset=delete_result(Approval))
CANCEL = Form("fees.approvals.request_cancel",
              lambda w, c, **v: approvals.request_cancel(actor=w.actor(Role.SERVICE), **{
                  "bill_id": c, "reason": "重复开单", **v}),
              read=result_row(Approval), prepare=_bill, reset=delete_result(Approval))
DECIDE = Form("fees.approvals.decide",
              lambda w, c, **v: approvals.decide(actor=w.actor(Role.MANAGER), **{
                  "approval_id": c, "approve": False, "note": "不同意", **v}),
              read=context_row(Approval), prepare=_requested,
              reset=set_context(Approval, status="待审批", decided_by=None, decider_name="", decided_at=None))
DUN = Form("fees.arrears.record_dunning",
           lambda w, c, **v: arrears.record_dunning(actor=w.actor(), dunning=with_fields(arrears.Dunning(
               unit_id=w.units[1], method="电话", outcome="拒缴", promised_on=None, next_on=None, note=""), **v)),
           read=result_row(DunningAction))
UNIT_FEE = Form("fees.billing.add_unit_fee",
                lambda w, c, **v: billing.add_unit_fee(actor=w.actor(), **{
                    "unit_id": w.units[1], "fee_item_id": w.fee_items["WY-ZZ"], "action": "免收",
                    "start_on": "2026-01-01", "end_on": None, "note": "", **v}),
                read=result_row(UnitFee))


def _unit_fee(w: World) -> int:
    return billing.add_unit_fee(actor=w.actor(), unit_id=w.units[1], fee_item_id=w.fee_items["WY-ZZ"], action="免收",
                                start_on="1900-01-01")


END_UNIT_FEE = Form("fees.billing.end_unit_fee",
                    lambda w, c, **v: billing.end_unit_fee(actor=w.actor(), **{
                        "unit_fee_id": c, "version": version_of(UnitFee, c), "end_on": "2026-01-01", **v}),
                    read=context_row(UnitFee), prepare=_unit_fee)


def _reading(w: World, c: Any, **v: Any) -> int:
    period = v.pop("period", "2026-02")
    reading = billing.Reading(unit_id=c, fee_item_id=_meter_item(w), current="10.00")
    return billing.record_readings(actor=w.actor(), period=period, read_on=date(2026, 2, 28),
                                   readings=[with_fields(reading, **v)])


READINGS = Form("fees.billing.record_readings", _reading, read=newest(MeterReading), prepare=_meter_unit,
                reset=lambda w, c, r: _unread(c))

RUN_BILLING = Form("fees.billing.run_billing",
                   lambda w, c, **v: billing.run_billing(actor=w.actor(), **{"period": "2026-01", **v}),
                   read=lambda w, c, r, col: r.period)  # the label the run billed under (bills and run log carry it)
MONTH = also_trying(lambda v: o.text(v)[:7], "2026-01", "2026-02")

FEES: list[Target] = [
    TAKE_PAYMENT.field("amount", "金额", o.money),
    TAKE_PAYMENT.field("method", "收款方式", o.choice(cashier.METHODS)),
    TAKE_PAYMENT.field("note", "备注", o.text),
    SETTLE.field("cash_handed", "交款现金", o.money),
    SETTLE.field("note", "差异说明", o.text),
    SETTLE.field("received_by", "接收人", o.text),
    REFUND.field("amount", "退款金额", o.money),
    REFUND.field("method", "退款方式", o.choice(cashier.METHODS)),
    REFUND.field("payee", "领款人", o.text, column="payee_name"),
    REFUND.field("reason", "原因", o.text),
    VOID.field("reason", "原因", o.text),
    WAIVE.field("amount", "减免金额", o.money),
    WAIVE.field("reason", "原因", o.text),
    CANCEL.field("reason", "原因", o.text),
    DECIDE.field("note", "审批意见", o.text, column="decision_note"),
    DUN.field("method", "催缴方式", o.choice(arrears.DUNNING_METHODS)),
    DUN.field("outcome", "结果", o.choice(arrears.DUNNING_OUTCOMES)),
    DUN.field("next_on", "下次催缴日期", o.day),
    DUN.field("note", "备注", o.text),
    UNIT_FEE.field("action", "方式", o.choice(billing.UNIT_FEE_ACTIONS)),
    UNIT_FEE.field("start_on", "开始日期", o.day),
    UNIT_FEE.field("end_on", "结束日期", o.day),
    UNIT_FEE.field("note", "备注", o.text),
    END_UNIT_FEE.field("end_on", "结束日期", o.day),
    READINGS.field("current", "本期读数", o.money),
    READINGS.field("period", "计费期间", lambda v: o.text(v)[:7]),
    RUN_BILLING.field("period", "计费期间", MONTH),
]


# --- tickets ---------------------------------------------------------------------------------------------------


def _ticket(w: World, ticket_type: str = "报修") -> int:
    from tests.factories import make_ticket

    ticket_id, _ = make_ticket(w.actor(), w.estate, w.units[2], ticket_type=ticket_type)
    return ticket_id


def _awaiting_revisit(w: World) -> int:
    ticket_id = _ticket(w)
    workflow.move(actor=w.actor(), ticket_id=ticket_id, version=version_of(Ticket, ticket_id), action="complete")
    return ticket_id


def _revisit_undone(ticket_id: int) -> None:
    with unit_of_work() as uow:
        uow.session.execute(update(Ticket).where(Ticket.id == ticket_id).values(
            status=TicketStatus.AWAITING_REVISIT, closed_at=None))
        uow.session.execute(update(Revisit).where(Revisit.ticket_id == ticket_id).values(done_at=None))
        uow.commit()


def _take(w: World, c: Any, **v: Any) -> int:
    intake = workflow.Intake(ticket_type="报修", channel="电话", estate_id=w.estate, unit_id=w.units[2],
                             caller_name="张伟", caller_phone="13812348000", content="厨房漏水",
                             received_at=workflow.utcnow())
    ticket_id, _ = workflow.take(actor=w.actor(), intake=with_fields(intake, **v))
    return ticket_id


TAKE = Form("tickets.workflow.take", _take, read=result_row(Ticket))
NOTE = Form("tickets.workflow.move",
            lambda w, c, **v: workflow.move(actor=w.actor(), **{
                "ticket_id": c, "version": version_of(Ticket, c), "action": "note", "note": "已联系", **v}),
            read=newest(TicketEvent), prepare=_ticket)
COMPLETE = Form("tickets.workflow.move",
                lambda w, c, **v: workflow.move(actor=w.actor(), **{
                    "ticket_id": c, "version": version_of(Ticket, c), "action": "complete", "paid": True,
                    "cost": "50.00", **v}),
                read=context_row(Ticket), prepare=lambda w: _ticket(w, "咨询"),
                reset=set_context(Ticket, status=TicketStatus.PENDING, completed_at=None))
REVISIT = Form("tickets.workflow.record_revisit",
               lambda w, c, **v: workflow.record_revisit(actor=w.actor(), **{
                   "ticket_id": c, "version": version_of(Ticket, c), "method": "电话", "result": "满意",
                   "comment": "", **v}),
               read=row_of(Revisit, lambda w, c, r: _revisit_of(c)), prepare=_awaiting_revisit,
               reset=lambda w, c, r: _revisit_undone(c))
RULE = Form("tickets.workflow.rule_complaint",
            lambda w, c, **v: workflow.rule_complaint(actor=w.actor(), **{
                "ticket_id": c, "version": version_of(Ticket, c), "effective": False,
                "responsible_staff_id": None, "note": "", **v}),
            read=newest(TicketEvent), prepare=lambda w: _ticket(w, "投诉"))


def _revisit_of(ticket_id: int) -> int:
    with read_session() as s:
        return int(s.scalar(select(Revisit.id).where(Revisit.ticket_id == ticket_id)))


def _event_tail(separator: str) -> Callable[[Any, Any, Any, str], Any]:
    def read(_w: Any, _c: Any, _r: Any, _column: str) -> Any:
        with get_engine().connect() as s:
            note = s.scalar(select(TicketEvent.note).order_by(TicketEvent.id.desc()).limit(1)) or ""
        return note.partition(separator)[2]

    return read


TICKETS: list[Target] = [
    TAKE.field("ticket_type", "类型", o.choice(workflow.TYPES)),
    TAKE.field("channel", "渠道", o.choice(workflow.CHANNELS)),
    TAKE.field("department", "处理部门", o.choice(workflow.DEPARTMENTS)),
    TAKE.field("urgency", "紧急程度", o.choice(workflow.URGENCIES)),
    TAKE.field("caller_name", "来电人", o.text),
    TAKE.field("caller_phone", "联系电话", o.text),
    TAKE.field("content", "内容", o.text),
    NOTE.field("note", "说明", o.text),
    COMPLETE.field("cost", "费用", o.money),
    REVISIT.field("method", "回访方式", o.choice(workflow.REVISIT_METHODS)),
    REVISIT.field("result", "回访结果", o.choice(workflow.REVISIT_RESULTS)),
    REVISIT.field("comment", "回访意见", o.text),
    RULE.field("note", "说明", o.text, read=_event_tail("无效：")),
]


# --- customer relations --------------------------------------------------------------------------------------


def _route(w: World) -> int:
    return inspections.add_route(actor=w.actor(), estate_id=w.estate, name=f"路线{w.next()}")


def _violation(w: World) -> int:
    return inspections.record_violation(actor=w.actor(), estate_id=w.estate, unit_id=w.units[3], kind="违章搭建",
                                        description="阳台加建", found_on=local_today(),
                                        deadline_on=local_today() + timedelta(days=7))


def _lost(w: World) -> int:
    item_id, _ = lost_found.register_item(actor=w.actor(), estate_id=w.estate, what="雨伞", found_place="大堂",
                                          kept_at="前台", found_at=datetime.now(UTC) - timedelta(hours=1))
    return item_id


def _item_waiting(item_id: int) -> None:
    with unit_of_work() as uow:
        uow.session.execute(update(LostItem).where(LostItem.id == item_id).values(status="待认领"))
        uow.commit()


def _service_item(w: World) -> int:
    return paid_services.add_item(actor=w.actor(), name=f"保洁{w.next()}", category="家政保洁", charge_unit="小时",
                                  price="50.00")


def _order(w: World, c: Any, **v: Any) -> Any:
    return paid_services.create_order(actor=w.actor(), **{
        "unit_id": w.units[3], "requester_name": "张伟", "requester_phone": "13812348000", "item_id": c,
        "quantity": "2", "scheduled_at": datetime.now(UTC) + timedelta(days=1), "staff_name": "外协李师傅",
        "request": "", **v})


def _booked(w: World) -> int:
    if not w.service_item:
        w.service_item = _service_item(w)
    return _order(w, w.service_item).id


def _rounds_ended() -> bool:
    """No round is running (a round of another target may be, where targets share a world)."""
    with unit_of_work() as uow:
        uow.session.execute(update(SurveyRound).values(status="已结束"))
        uow.commit()
    return True


def _unanswered(response_id: int) -> None:
    with unit_of_work() as uow:
        uow.session.execute(delete(SurveyAnswer).where(SurveyAnswer.response_id == response_id))
        uow.session.execute(delete(SurveyResponse).where(SurveyResponse.id == response_id))
        uow.commit()


def _survey_round(w: World) -> int:
    return surveys.open_round(actor=w.actor(), estate_id=w.estate, name=f"满意度{w.next()}",
                              start_on=local_today() - timedelta(days=5), end_on=local_today() + timedelta(days=20))


def _own_round(w: World) -> int:
    """A running round of its own (one runs per estate at a time: on the servers the targets share one world)."""
    _rounds_ended()
    return _survey_round(w)


def _respond(w: World, c: Any, **v: Any) -> int:
    detail = surveys.round_detail(actor=w.actor(), round_id=c)
    answers = {q.id: q.options[0] for q in detail.questions}
    return surveys.record_response(actor=w.actor(), **{
        "round_id": c, "unit_id": w.units[4], "respondent": "张伟", "way": "电话", "answered_on": local_today(),
        "answers": answers, "comment": "", **v})


def _shift(w: World) -> int:
    actor = w.actor(Role.SERVICE)
    with read_session() as s:
        open_one = s.scalar(select(DutyShift.id).where(DutyShift.writer_id == actor.user_id,
                                                        DutyShift.handed_at.is_(None)))
    return open_one or handover.open_shift(actor=actor, estate_id=w.estate)


def _unhanded(shift_id: int) -> None:
    with unit_of_work() as uow:
        uow.session.execute(update(DutyShift).where(DutyShift.id == shift_id).values(handed_at=None))
        uow.commit()


def _activity(w: World, c: Any, **v: Any) -> int:
    activity = activities.NewActivity(title="中秋游园", held_on=local_today() - timedelta(days=1), place="中心广场",
                                      organiser="客服部", status=activities.HELD, estate_id=w.estate,
                                      participants="30", cost="100.00", note="")
    return activities.add_activity(actor=w.actor(), activity=with_fields(activity, **v))


def _visit(w: World, c: Any, **v: Any) -> Any:
    visit = visits.NewVisit(unit_id=w.units[4], visited_on=local_today(), way="上门", person_met="张伟",
                            content="了解需求")
    return visits.record_visit(actor=w.actor(), visit=with_fields(visit, **v)).visit_id


def _draft(w: World, c: Any, **v: Any) -> int:
    return notices.draft_notice(actor=w.actor(), **{
        "title": "停水通知", "body": "明日停水", "kind": "停水停电", "publish_on": local_today(),
        "until_on": None, "estate_ids": [w.estate], **v})


ROUTE = Form("relations.inspections.add_route",
             lambda w, c, **v: inspections.add_route(actor=w.actor(), **{
                 "estate_id": w.estate, "name": f"路线{w.next()}", "note": "", **v}),
             read=result_row(InspectionRoute))
CHECK_ITEM = Form("relations.inspections.add_item",
                  lambda w, c, **v: inspections.add_item(actor=w.actor(), **{
                      "route_id": c, "area": "设施设备", "text": f"电梯{w.next()}", "department": "工程", **v}),
                  read=result_row(InspectionItem), prepare=_route)
VIOLATION = Form("relations.inspections.record_violation",
                 lambda w, c, **v: inspections.record_violation(actor=w.actor(), **{
                     "estate_id": w.estate, "unit_id": w.units[3], "kind": "违章搭建", "description": "阳台加建",
                     "found_on": local_today(), "deadline_on": local_today() + timedelta(days=7), "location": "",
                     **v}),
                 read=result_row(Violation))
FOLLOW = Form("relations.inspections.follow_up",
              lambda w, c, **v: inspections.follow_up(actor=w.actor(), **{
                  "violation_id": c, "version": version_of(Violation, c), "followed_on": local_today(),
                  "note": "已督促", **v}),
              read=result_row(ViolationFollowUp), prepare=_violation)
CLOSE_VIOLATION = Form("relations.inspections.close_violation",
                       lambda w, c, **v: inspections.close_violation(actor=w.actor(), **{
                           "violation_id": c, "version": version_of(Violation, c), "outcome": "其他",
                           "closed_on": local_today(), "note": "业主自行拆除", **v}),
                       read=context_row(Violation), prepare=_violation,
                       reset=set_context(Violation, outcome="", closed_on=None))
REGISTER_LOST = Form("relations.lost_found.register_item",
                     lambda w, c, **v: lost_found.register_item(actor=w.actor(), **{
                         "estate_id": w.estate, "what": "雨伞", "found_place": "大堂", "kept_at": "前台",
                         "found_at": datetime.now(UTC) - timedelta(hours=1), **v})[0],
                     read=result_row(LostItem))
CLAIM = Form("relations.lost_found.claim_item",
             lambda w, c, **v: lost_found.claim_item(actor=w.actor(), **{
                 "item_id": c, "version": version_of(LostItem, c), "claimant_name": "王五",
                 "claimant_phone": "13812348000", "id_kind": "居民身份证", "id_checked": True, **v}),
             read=context_row(LostItem), prepare=_lost, reset=lambda w, c, r: _item_waiting(c))
DRAFT = Form("relations.notices.draft_notice", _draft, read=result_row(Notice))


def _published(w: World) -> int:
    notice_id = _draft(w, None)
    notices.publish_notice(actor=w.actor(), notice_id=notice_id, version=version_of(Notice, notice_id))
    return notice_id


WITHDRAW_NOTICE = Form("relations.notices.withdraw_notice",
                       lambda w, c, **v: notices.withdraw_notice(actor=w.actor(), **{
                           "notice_id": c, "version": version_of(Notice, c), "reason": "取消", **v}),
                       read=context_row(Notice), prepare=_published,
                       reset=set_context(Notice, status=notices.PUBLISHED, withdrawn_reason=""))
SERVICE_ITEM = Form("relations.paid_services.add_item",
                    lambda w, c, **v: paid_services.add_item(actor=w.actor(), **{
                        "name": f"保洁{w.next()}", "category": "家政保洁", "charge_unit": "小时", "price": "50.00",
                        "note": "", **v}),
                    read=result_row(PaidServiceItem))
ORDER = Form("relations.paid_services.create_order", lambda w, c, **v: _order(w, c, **v).id,
             read=result_row(PaidServiceOrder), prepare=_service_item)
COMPLETE_ORDER = Form("relations.paid_services.complete_order",
                      lambda w, c, **v: paid_services.complete_order(actor=w.actor(), **{
                          "order_id": c, "version": version_of(PaidServiceOrder, c),
                          "completed_at": datetime.now(UTC), "rating": None, "comment": "", **v}),
                      read=context_row(PaidServiceOrder), prepare=_booked, consumes=True)
QUESTION = Form("relations.surveys.add_question",
                lambda w, c, **v: surveys.add_question(actor=w.actor(), **{
                    "position": 50 + w.next() % 40, "text": f"问题{w.next()}", **v}),
                read=result_row(SurveyQuestion))
ROUND = Form("relations.surveys.open_round",
             lambda w, c, **v: surveys.open_round(actor=w.actor(), **{
                 "estate_id": w.estate, "name": f"调查{w.next()}", "start_on": local_today(),
                 "end_on": local_today() + timedelta(days=30), "note": "", **v}),
             read=result_row(SurveyRound), prepare=lambda w: _rounds_ended(),
             reset=lambda w, c, r: set_context(SurveyRound, status="已结束")(w, r, None))
RESPONSE = Form("relations.surveys.record_response", _respond, read=result_row(SurveyResponse),
                prepare=_own_round, reset=lambda w, c, r: _unanswered(r))
ENTRY = Form("relations.handover.add_entry",
             lambda w, c, **v: handover.add_entry(actor=w.actor(Role.SERVICE), **{
                 "shift_id": c, "at": datetime.now(UTC), "kind": "来电", "content": "业主来电", **v}),
             read=result_row(DutyEntry), prepare=_shift)
HAND_OVER = Form("relations.handover.hand_over",
                 lambda w, c, **v: handover.hand_over(actor=w.actor(Role.SERVICE), **{
                     "shift_id": c, "version": version_of(DutyShift, c), "summary": "平稳", **v}),
                 read=context_row(DutyShift), prepare=_shift, reset=lambda w, c, r: _unhanded(c))
ACTIVITY = Form("relations.activities.add_activity", _activity, read=result_row(CommunityActivity))
BULLETIN = Form("relations.activities.add_bulletin",
                lambda w, c, **v: activities.add_bulletin(actor=w.actor(), bulletin=with_fields(activities.NewBulletin(
                    estate_id=w.estate, month=f"{local_today():%Y-%m}", title="安全月", posted_on=local_today(),
                    content=""), **v)),
                read=result_row(Bulletin), reset=delete_result(Bulletin))
VISIT = Form("relations.visits.record_visit", _visit, read=result_row(OwnerVisit))


def _shift_handed(w: World) -> int:
    """A log an engineer handed over, waiting for someone else to take it over."""
    engineer = w.actor(Role.ENGINEER)
    # the whole centre's log: one of the estate's waiting to be taken over would hold up opening a shift there, and
    # on the servers the targets share one world
    shift_id = handover.open_shift(actor=engineer, estate_id=None)
    handover.hand_over(actor=engineer, shift_id=shift_id, version=version_of(DutyShift, shift_id), summary="平稳")
    return shift_id


def _open_entry(w: World) -> int:
    return handover.add_entry(actor=w.actor(Role.SERVICE), shift_id=_shift(w), at=datetime.now(UTC), kind="来电",
                              content="业主来电报修", open_item=True)


OPEN_SHIFT = Form("relations.handover.open_shift",
                  lambda w, c, **v: handover.open_shift(actor=w.actor(Role.CLERK), **{
                      "estate_id": w.estate, "shift": "白班", "duty_on": local_today(), **v}),
                  read=result_row(DutyShift), reset=delete_result(DutyShift))
RESOLVE = Form("relations.handover.resolve_entry",
               lambda w, c, **v: handover.resolve_entry(actor=w.actor(Role.SERVICE), **{
                   "entry_id": c, "version": version_of(DutyEntry, c), "note": "已处理", **v}),
               read=context_row(DutyEntry), prepare=_open_entry,
               reset=set_context(DutyEntry, open_item=True, resolved_at=None, resolved_note=""))
TAKE_OVER = Form("relations.handover.confirm",
                 lambda w, c, **v: handover.confirm(actor=w.actor(Role.SERVICE), **{
                     "shift_id": c, "version": version_of(DutyShift, c), "note": "", **v}),
                 read=context_row(DutyShift), prepare=_shift_handed,
                 reset=set_context(DutyShift, receiver_id=None, receiver_name="", confirmed_at=None, confirm_note=""))


def _checklist(w: World) -> tuple[int, int]:
    """A route of its own with one checklist item: (route, item)."""
    route = _route(w)
    return route, inspections.add_item(actor=w.actor(), route_id=route, area="设施设备", text="电梯运行")


def _walk(w: World, c: tuple[int, int], **v: Any) -> Any:
    answer = inspections.Answer(item_id=c[1], result="异常", note=v.pop("answers.note", "电梯异响"))
    return inspections.submit_round(actor=w.actor(), **{
        "route_id": c[0], "round_on": local_today(), "answers": [answer], "note": "", **v})


def _unwalked(w: World, c: Any, outcome: Any) -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(InspectionResult).where(InspectionResult.round_id == outcome.round_id))
        conn.execute(delete(InspectionRound).where(InspectionRound.id == outcome.round_id))


def _finding(w: World) -> int:
    """An 异常 line of a round walked today, not yet a ticket."""
    outcome = _walk(w, _checklist(w))
    with read_session() as s:
        return int(s.scalar(select(InspectionResult.id).where(InspectionResult.round_id == outcome.round_id)))


def _round_line(w: World, c: Any, outcome: Any, column: str) -> Any:
    with get_engine().connect() as s:
        return s.scalar(select(InspectionResult.note).where(InspectionResult.round_id == outcome.round_id))


SUBMIT_ROUND = Form("relations.inspections.submit_round", _walk,
                    read=row_of(InspectionRound, lambda w, c, r: r.round_id), prepare=_checklist, reset=_unwalked)
RAISE_TICKET = Form("relations.inspections.raise_ticket",
                    lambda w, c, **v: inspections.raise_ticket(actor=w.actor(), **{
                        "result_id": c, "version": version_of(InspectionResult, c), "ticket_type": "报修",
                        "department": "工程", "urgency": "普通", "unit_id": w.units[3], "content": "电梯异响",
                        **v})[0],
                    read=result_row(Ticket), prepare=_finding,
                    reset=set_context(InspectionResult, ticket_id=None, ticket_claimed_at=None))
ISSUE_NOTICE = Form("relations.inspections.issue_notice",
                    lambda w, c, **v: inspections.issue_notice(actor=w.actor(), **{
                        "violation_id": c, "version": version_of(Violation, c), "notice_on": local_today(),
                        "deadline_on": None, **v}),
                    read=context_row(Violation), prepare=_violation,
                    reset=set_context(Violation, notice_no="", notice_on=None))


def _disposable(w: World) -> int:
    """An item found 200 days ago, listed on its quarter's notice whose claim period has passed."""
    found_at = datetime.now(UTC) - timedelta(days=200)
    item_id, _ = lost_found.register_item(actor=w.actor(), estate_id=w.estate, what="雨伞", found_place="大堂",
                                          kept_at="前台", found_at=found_at)
    quarter = lost_found.Quarter.of((found_at + timedelta(hours=8)).date()).label
    notice = lost_found.post_quarter_notice(actor=w.actor(), quarter=quarter, estate_id=w.estate)
    with unit_of_work() as uow:
        uow.session.execute(update(LostNotice).where(LostNotice.id == notice).values(
            claim_by=local_today() - timedelta(days=1)))
        uow.commit()
    return item_id


def _long_lost(w: World) -> int:
    """An item found in 2001 and still waiting: every quarter since has it to list."""
    item_id, _ = lost_found.register_item(actor=w.actor(), estate_id=w.estate, what="雨伞", found_place="大堂",
                                          kept_at="前台", found_at=datetime(2001, 1, 1, tzinfo=UTC))
    return item_id


def _unposted(w: World, c: Any, notice: int) -> None:
    with get_engine().begin() as conn:
        conn.execute(update(LostItem).where(LostItem.notice_id == notice).values(notice_id=None))
        conn.execute(delete(LostNotice).where(LostNotice.id == notice))


def quarter(value: Any) -> str:
    """A quarter typed as 2026Q3 (2026-Q3, 2026 q3), stored as 2026Q3."""
    m = re.fullmatch(r"(\d{4})\s*-?\s*Q([1-4])", o.text(value).upper())
    if not m:
        raise o.Refuse("not a quarter")
    return f"{int(m[1]):04d}Q{m[2]}"


EDIT_LOST = Form("relations.lost_found.update_item",
                 lambda w, c, **v: lost_found.update_item(actor=w.actor(), **{
                     "item_id": c, "version": version_of(LostItem, c), "estate_id": w.estate, "what": "雨伞",
                     "found_at": datetime.now(UTC) - timedelta(hours=1), "found_place": "大堂", "kept_at": "前台",
                     "description": "", "finder_name": "", "finder_phone": "", **v}),
                 read=context_row(LostItem), prepare=_lost)
DISPOSE = Form("relations.lost_found.dispose_item",
               lambda w, c, **v: lost_found.dispose_item(actor=w.actor(), **{
                   "item_id": c, "version": version_of(LostItem, c), "way": "上交派出所",
                   "disposed_on": local_today(), "note": "", **v}),
               read=context_row(LostItem), prepare=_disposable,
               reset=set_context(LostItem, status="待认领", disposal_way="", disposed_on=None, disposal_note="",
                                 disposed_by=""))
QUARTER_NOTICE = Form("relations.lost_found.post_quarter_notice",
                      lambda w, c, **v: lost_found.post_quarter_notice(actor=w.actor(), **{
                          "quarter": "2025Q1", "estate_id": w.estate, **v}),
                      read=result_row(LostNotice), prepare=_long_lost, reset=_unposted)
EDIT_DRAFT = Form("relations.notices.update_draft",
                  lambda w, c, **v: notices.update_draft(actor=w.actor(), **{
                      "notice_id": c, "version": version_of(Notice, c), "title": "停水通知", "body": "明日停水",
                      "kind": "停水停电", "publish_on": local_today(), "until_on": None, "estate_ids": [w.estate],
                      **v}),
                  read=context_row(Notice), prepare=lambda w: _draft(w, None))
SOON = datetime.now(UTC).replace(second=0, microsecond=0) + timedelta(days=2)


def a_moment(value: Any) -> bool:
    """A value the day and time inputs can give: a datetime, or nothing."""
    return value is None or type(value) is datetime


def moment(value: Any) -> datetime:
    """A moment; a naive one is read as Shanghai time (a desk's clock)."""
    if not isinstance(value, datetime):
        raise o.Refuse("not a moment")
    return value if value.tzinfo is not None else value.replace(tzinfo=SHANGHAI)


RESCHEDULE = Form("relations.paid_services.reschedule_order",
                  lambda w, c, **v: paid_services.reschedule_order(actor=w.actor(), **{
                      "order_id": c, "version": version_of(PaidServiceOrder, c), "scheduled_at": SOON,
                      "staff_id": None, "staff_name": "外协王师傅", **v}),
                  read=context_row(PaidServiceOrder), prepare=_booked)
CANCEL_ORDER = Form("relations.paid_services.cancel_order",
                    lambda w, c, **v: paid_services.cancel_order(actor=w.actor(), **{
                        "order_id": c, "version": version_of(PaidServiceOrder, c), "reason": "业主取消", **v}),
                    read=context_row(PaidServiceOrder), prepare=_booked,
                    reset=set_context(PaidServiceOrder, status="已预约", cancelled_at=None, cancel_reason=""))


def _answered(w: World) -> tuple[int, dict[int, str]]:
    """A response of its own round: (response, the answers it gave)."""
    round_id = _own_round(w)
    detail = surveys.round_detail(actor=w.actor(), round_id=round_id)
    return _respond(w, round_id), {q.id: q.options[0] for q in detail.questions}


def _a_response(w: World) -> int:
    """A response written directly into the running round (withdrawing it uses it up: a cheap new one each time)."""
    with read_session() as s:
        running = s.scalar(select(SurveyRound.id).where(SurveyRound.status == surveys.RUNNING,
                                                        SurveyRound.estate_id == w.estate))
        answered = running and s.scalar(select(SurveyResponse.id).where(SurveyResponse.round_id == running,
                                                                        SurveyResponse.unit_id == w.units[4]))
    round_id = running if running and not answered else _own_round(w)
    now = datetime.now(UTC)
    with unit_of_work() as uow:
        response = SurveyResponse(round_id=round_id, unit_id=w.units[4], respondent="张伟", way="电话",
                                  answered_on=local_today(), comment="", entered_by="测试", entered_at=now,
                                  updated_at=now)
        uow.session.add(response)
        uow.session.flush()
        response_id = response.id
        uow.commit()
    return response_id


EDIT_ROUND = Form("relations.surveys.update_round",
                  lambda w, c, **v: surveys.update_round(actor=w.actor(), **{
                      "round_id": c, "version": version_of(SurveyRound, c), "name": "满意度调查",
                      "end_on": local_today() + timedelta(days=25), "note": "", **v}),
                  read=context_row(SurveyRound), prepare=_own_round)
EDIT_RESPONSE = Form("relations.surveys.update_response",
                     lambda w, c, **v: surveys.update_response(actor=w.actor(), **{
                         "response_id": c[0], "version": version_of(SurveyResponse, c[0]), "respondent": "张伟",
                         "way": "电话", "answered_on": local_today(), "answers": c[1], "comment": "", **v}),
                     read=row_of(SurveyResponse, lambda w, c, r: c[0]), prepare=_answered)
WITHDRAW_RESPONSE = Form("relations.surveys.withdraw_response",
                         lambda w, c, **v: surveys.withdraw_response(actor=w.actor(), **{
                             "response_id": c, "version": version_of(SurveyResponse, c), "reason": "重复录入",
                             **v}),
                         read=lambda w, c, r, col: note_tail("答卷已撤销（")(w, c, r, col).removesuffix("）"),
                         prepare=_a_response, consumes=True)
WITHDRAW_VISIT = Form("relations.visits.withdraw_visit",
                      lambda w, c, **v: visits.withdraw_visit(actor=w.actor(), **{
                          "visit_id": c, "version": version_of(OwnerVisit, c), "reason": "登记错误", **v}),
                      read=context_row(OwnerVisit), prepare=lambda w: _visit(w, None),
                      reset=set_context(OwnerVisit, withdrawn=False, withdrawn_reason=""))


def _planned_activity(w: World) -> int:
    return _activity(w, None, status=activities.PLANNED, held_on=local_today() + timedelta(days=7),
                     participants=None, cost=None)


HOLD = Form("relations.activities.hold_activity",
            lambda w, c, **v: activities.hold_activity(actor=w.actor(), **{
                "activity_id": c, "version": version_of(CommunityActivity, c), "held_on": local_today(),
                "participants": "30", "cost": "100.00", "note": "", **v}),
            read=context_row(CommunityActivity), prepare=_planned_activity,
            reset=set_context(CommunityActivity, status=activities.PLANNED, note=""))
CANCEL_ACTIVITY = Form("relations.activities.cancel_activity",
                       lambda w, c, **v: activities.cancel_activity(actor=w.actor(), **{
                           "activity_id": c, "version": version_of(CommunityActivity, c), "reason": "天气原因",
                           **v}),
                       read=context_row(CommunityActivity), prepare=_planned_activity,
                       reset=set_context(CommunityActivity, status=activities.PLANNED, cancel_reason=""))

RELATIONS: list[Target] = [
    ROUTE.field("name", "路线名称", o.text),
    ROUTE.field("note", "说明", o.text),
    CHECK_ITEM.field("area", "检查类别", o.choice(inspections.AREAS)),
    CHECK_ITEM.field("text", "检查内容", o.text),
    CHECK_ITEM.field("position", "顺序", o.or_any_when_blank(o.integer)),
    VIOLATION.field("kind", "违章类型", o.choice(inspections.VIOLATION_KINDS)),
    VIOLATION.field("description", "违章情况", o.text),
    VIOLATION.field("location", "位置", o.text),
    VIOLATION.field("deadline_on", "整改期限", o.day, only=a_date),
    FOLLOW.field("note", "跟进情况", o.text),
    CLOSE_VIOLATION.field("outcome", "处理结果", o.choice(inspections.OUTCOMES)),
    CLOSE_VIOLATION.field("note", "结案说明", o.text, column="outcome_note"),
    REGISTER_LOST.field("what", "物品", o.text),
    REGISTER_LOST.field("found_place", "拾获地点", o.text),
    REGISTER_LOST.field("kept_at", "存放位置", o.text),
    REGISTER_LOST.field("description", "特征描述", o.text),
    REGISTER_LOST.field("finder_name", "拾获人", o.text),
    REGISTER_LOST.field("finder_phone", "拾获人电话", o.phone),
    CLAIM.field("claimant_name", "认领人", o.text),
    CLAIM.field("claimant_phone", "认领人电话", o.phone),
    CLAIM.field("id_kind", "证件类型", o.choice(lost_found.ID_KINDS)),
    DRAFT.field("title", "标题", o.text),
    DRAFT.field("body", "正文", o.text),
    DRAFT.field("kind", "类别", o.choice(notices.NOTICE_KINDS)),
    WITHDRAW_NOTICE.field("reason", "撤回原因", o.text, column="withdrawn_reason"),
    SERVICE_ITEM.field("name", "服务名称", o.text),
    SERVICE_ITEM.field("category", "类别", o.choice(paid_services.CATEGORIES)),
    SERVICE_ITEM.field("price", "单价", o.money),
    SERVICE_ITEM.field("note", "说明", o.text),
    ORDER.field("requester_name", "联系人", o.text),
    ORDER.field("requester_phone", "联系电话", o.phone),
    ORDER.field("quantity", "数量", o.money),
    ORDER.field("staff_name", "服务人员", o.text, column="staff_name"),
    ORDER.field("request", "服务要求", o.text),
    COMPLETE_ORDER.field("rating", "评价", o.integer),
    COMPLETE_ORDER.field("comment", "评价内容", o.text),
    QUESTION.field("text", "题目", o.text),
    QUESTION.field("position", "序号", o.integer),
    ROUND.field("name", "调查名称", o.text),
    ROUND.field("note", "备注", o.text),
    RESPONSE.field("respondent", "受访人", o.text),
    RESPONSE.field("way", "调查方式", o.choice(surveys.WAYS)),
    RESPONSE.field("comment", "意见建议", o.text),
    ENTRY.field("kind", "类别", o.choice(handover.ENTRY_KINDS)),
    ENTRY.field("content", "内容", o.text),
    HAND_OVER.field("summary", "交班小结", o.text),
    ACTIVITY.field("title", "活动名称", o.text),
    ACTIVITY.field("place", "地点", o.text),
    ACTIVITY.field("organiser", "组织人", o.text),
    ACTIVITY.field("participants", "参与人数", o.integer),
    ACTIVITY.field("cost", "费用", o.blank_as(Decimal("0.00"), o.money)),
    ACTIVITY.field("note", "备注", o.text),
    BULLETIN.field("title", "宣传栏主题", o.text),
    BULLETIN.field("content", "主要内容", o.text),
    VISIT.field("person_met", "访谈对象", o.text),
    VISIT.field("content", "访谈内容", o.text),
    VISIT.field("way", "访谈方式", o.choice(visits.WAYS)),
    OPEN_SHIFT.field("shift", "班次", o.or_any_when_blank(o.choice(handover.SHIFTS))),
    OPEN_SHIFT.field("duty_on", "值班日期", o.or_any_when_blank(o.day), only=a_date),
    RESOLVE.field("note", "办结说明", o.text, column="resolved_note"),
    TAKE_OVER.field("note", "接班备注", o.text, column="confirm_note"),
    SUBMIT_ROUND.field("note", "备注", o.text),
    SUBMIT_ROUND.field("answers.note", "电梯运行", o.text, read=_round_line),
    SUBMIT_ROUND.field("round_on", "巡查日期", o.day, only=a_date),
    RAISE_TICKET.field("content", "内容", o.or_any_when_blank(o.text)),
    RAISE_TICKET.field("ticket_type", "类型", o.or_any_when_blank(o.choice(workflow.TYPES))),
    RAISE_TICKET.field("department", "处理部门", o.or_any_when_blank(o.choice(workflow.DEPARTMENTS))),
    RAISE_TICKET.field("urgency", "紧急程度", o.choice(workflow.URGENCIES)),
    ISSUE_NOTICE.field("notice_on", "通知日期", o.day, only=a_date),
    ISSUE_NOTICE.field("deadline_on", "整改期限", o.or_any_when_blank(o.day), only=a_date),
    EDIT_LOST.field("what", "物品", o.text),
    EDIT_LOST.field("found_place", "拾获地点", o.text),
    EDIT_LOST.field("kept_at", "存放位置", o.text),
    EDIT_LOST.field("description", "特征描述", o.text),
    EDIT_LOST.field("finder_name", "拾获人", o.text),
    EDIT_LOST.field("finder_phone", "拾获人电话", o.phone),
    DISPOSE.field("way", "处置方式", o.choice(lost_found.DISPOSAL_WAYS), column="disposal_way"),
    DISPOSE.field("note", "说明", o.text, column="disposal_note"),
    DISPOSE.field("disposed_on", "处置日期", o.day, only=a_date),
    QUARTER_NOTICE.field("quarter", "季度", also_trying(quarter, "2025Q1", "2025Q2")),
    EDIT_DRAFT.field("title", "标题", o.text),
    EDIT_DRAFT.field("body", "正文", o.text),
    EDIT_DRAFT.field("kind", "类别", o.choice(notices.NOTICE_KINDS)),
    EDIT_DRAFT.field("publish_on", "发布日期", o.day, only=a_date),
    EDIT_DRAFT.field("until_on", "截止日期", o.day, only=a_date),
    RESCHEDULE.field("staff_name", "服务人员", o.text),
    RESCHEDULE.field("scheduled_at", "预约时间", also_trying(moment, SOON + timedelta(hours=1)), only=a_moment),
    CANCEL_ORDER.field("reason", "取消原因", o.text, column="cancel_reason"),
    EDIT_ROUND.field("name", "调查名称", o.text),
    EDIT_ROUND.field("note", "备注", o.text),
    EDIT_ROUND.field("end_on", "结束日期", o.day, only=a_date),
    EDIT_RESPONSE.field("respondent", "受访人", o.text),
    EDIT_RESPONSE.field("way", "调查方式", o.choice(surveys.WAYS)),
    EDIT_RESPONSE.field("comment", "意见建议", o.text),
    EDIT_RESPONSE.field("answered_on", "答卷日期", o.day, only=a_date),
    WITHDRAW_RESPONSE.field("reason", "撤销原因", o.text),
    WITHDRAW_VISIT.field("reason", "撤销原因", o.text, column="withdrawn_reason"),
    HOLD.field("participants", "参与人数", o.integer),
    HOLD.field("cost", "费用", o.blank_as(Decimal("0.00"), o.money)),
    HOLD.field("note", "备注", o.text),
    HOLD.field("held_on", "活动日期", o.day, only=a_date),
    CANCEL_ACTIVITY.field("reason", "取消原因", o.text, column="cancel_reason"),
]


# --- appraisal -------------------------------------------------------------------------------------------------


def _appraisal_world(w: World) -> None:
    from tests.factories import make_department, make_member, seed_appraisal

    w.incident_types = seed_appraisal()
    w.department = make_department("D1", "客服部")
    w.member = make_member("S001", "李工", "维修工", department_id=w.department)


def _draft_card(w: World, member: int | None = None) -> int:
    """Last month's draft scorecard of `member` (the world's own member by default)."""
    member = member or w.member
    last_month = (local_today().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    scorecards.build_drafts(actor=w.actor(), period=last_month, staff_ids=[member])
    with read_session() as s:
        return int(s.scalar(select(Scorecard.id).where(Scorecard.staff_id == member)))


def _post_kpis(w: World, c: Any, **v: Any) -> int:
    from db.models import Post

    with read_session() as s:
        post_id = s.scalar(select(Post.id).where(Post.name == "维修工"))
        versions = dict(s.execute(select(PostKpi.kpi, PostKpi.version).where(
            PostKpi.post_id == post_id, PostKpi.active.is_(True))).all())
    entry = appraisal_rules.KpiEntry(kpi="repair_timeliness", target="95", weight=100)
    return appraisal_rules.save_post_kpis(actor=w.actor(), post="维修工", entries=[with_fields(entry, **v)],
                                          versions=versions)


def _kpi_target(_w: Any, _c: Any, _r: Any, _column: str) -> Any:
    from db.models import Post

    with read_session() as s:
        return s.scalar(select(PostKpi.target).join(Post, Post.id == PostKpi.post_id).where(
            Post.name == "维修工", PostKpi.kpi == "repair_timeliness", PostKpi.active.is_(True)))


INCIDENT_TYPE = Form("appraisal.rules.save_incident_type",
                     lambda w, c, **v: appraisal_rules.save_incident_type(actor=w.actor(), **{
                         "name": f"奖惩{w.next()}", "kind": "惩罚", "description": "", **v}),
                     read=result_row(IncidentType))
RULE = Form("appraisal.rules.create_rule",
            lambda w, c, **v: appraisal_rules.create_rule(actor=w.actor(), spec=with_fields(appraisal_rules.RuleSpec(
                name=f"规则{w.next()}", metric="att:late_count", op=">=", threshold="1", effect="扣款", basis="元",
                amount="50"), **v)),
            read=result_row(AppraisalRule))
POINTS_RULE = Form("appraisal.rules.create_rule",
                   lambda w, c, **v: appraisal_rules.create_rule(actor=w.actor(), spec=with_fields(
                       appraisal_rules.RuleSpec(name=f"规则{w.next()}", metric="att:late_count", op=">=",
                                                threshold="1", effect="扣分", amount="5"), **v)),
                   read=result_row(AppraisalRule))
POST_KPIS = Form("appraisal.rules.save_post_kpis", _post_kpis, read=_kpi_target)
NEW_STAFF = Form("appraisal.staff.create_staff",
                 lambda w, c, **v: staff.create_staff(actor=w.actor(), staff=with_fields(staff.NewStaff(
                     staff_no=f"N{w.next()}", name="王五", department="客服部", post="维修工", hired_on="2024-01-01",
                     base_salary="4000.00"), **v)),
                 read=result_row(Staff))
INCIDENT = Form("appraisal.staff.record_incident",
                lambda w, c, **v: staff.record_incident(actor=w.actor(), incident=with_fields(staff.NewIncident(
                    staff_id=w.member, incident_type_id=next(iter(w.incident_types.values())),
                    day=local_today() - timedelta(days=1), note=""), **v)),
                read=result_row(Incident))


def _incident(w: World) -> int:
    return staff.record_incident(actor=w.actor(), incident=staff.NewIncident(
        staff_id=w.member, incident_type_id=next(iter(w.incident_types.values())),
        day=local_today() - timedelta(days=1)))


WITHDRAW = Form("appraisal.staff.withdraw_incident",
                lambda w, c, **v: staff.withdraw_incident(actor=w.actor(), **{
                    "incident_id": c, "version": version_of(Incident, c), "reason": "登记错误", **v}),
                read=context_row(Incident), prepare=_incident,
                reset=set_context(Incident, withdrawn=False, withdrawn_reason=""))
COMMENTS = Form("appraisal.scorecards.set_comments",
                lambda w, c, **v: scorecards.set_comments(actor=w.actor(), **{
                    "card_id": c, "version": version_of(Scorecard, c), "comments": "良好", **v}),
                read=context_row(Scorecard), prepare=_draft_card)


def percent(value: Any) -> Any:
    """A KPI target typed as a percentage, stored as a fraction with four places."""
    if o.blank(value) or isinstance(value, bool) or not isinstance(value, str | int | Decimal | float):
        raise o.Refuse("not a percentage")
    number = o.fixed(2)(str(value).strip().removesuffix("%") if isinstance(value, str) else value)
    if number is None or not 0 <= number <= 100:
        raise o.Refuse("not a percentage")
    return (number / 100).quantize(Decimal("0.0001"))


def _card_in(status: str) -> Callable[[World], int]:
    """A draft scorecard of a member of its own (the servers share one world) moved straight to `status`: what
    return_to_draft and reopen act on; whether a card is complete enough to submit is not what these fields test."""

    def prepare(w: World) -> int:
        card = _draft_card(w, _a_member(w))
        set_context(Scorecard, status=status)(w, card, None)
        return card

    return prepare


def _audited(key: str) -> Callable[[Any, Any, Any, str], Any]:
    """`key` of the newest audit row's after-image (a reason kept only in the audit trail)."""

    def read(_w: Any, _c: Any, _r: Any, _column: str) -> Any:
        with get_engine().connect() as s:
            after = s.scalar(select(AuditEntry.after_json).order_by(AuditEntry.id.desc()).limit(1))
        return json.loads(after or "{}").get(key)

    return read


def _no_attendance(w: World, c: Any, r: Any) -> None:
    with get_engine().begin() as conn:
        conn.execute(delete(Attendance))


def _sheet_month(_w: Any, _c: Any, _r: Any, _column: str) -> Any:
    with read_session() as s:
        first = s.scalar(select(func.min(Attendance.day)))
    return first and f"{first:%Y-%m}"


RETURN_CARD = Form("appraisal.scorecards.return_to_draft",
                   lambda w, c, **v: scorecards.return_to_draft(actor=w.actor(), **{
                       "card_id": c, "version": version_of(Scorecard, c), "reason": "评语不全", **v}),
                   read=_audited("原因"), prepare=_card_in(scorecards.SUBMITTED),
                   reset=set_context(Scorecard, status=scorecards.SUBMITTED))
REOPEN_CARD = Form("appraisal.scorecards.reopen",
                   lambda w, c, **v: scorecards.reopen(actor=w.actor(), **{
                       "card_id": c, "version": version_of(Scorecard, c), "reason": "数据更正", **v}),
                   read=_audited("原因"), prepare=_card_in(scorecards.APPROVED),
                   reset=set_context(Scorecard, status=scorecards.APPROVED))
MONTH_SHEET = Form("appraisal.staff.generate_month_sheet",
                   lambda w, c, **v: staff.generate_month_sheet(actor=w.actor(), **{"period": "2026-01", **v}),
                   read=_sheet_month, reset=_no_attendance)

APPRAISAL: list[Target] = [
    INCIDENT_TYPE.field("name", "名称", o.text),
    INCIDENT_TYPE.field("kind", "类别", o.choice(appraisal_rules.INCIDENT_KINDS)),
    INCIDENT_TYPE.field("description", "说明", o.text),
    RULE.field("name", "规则名称", o.text),
    RULE.field("note", "说明", o.text),
    RULE.field("threshold", "阈值", o.fixed(4)),
    RULE.field("amount", "金额", o.fixed(2)),
    POINTS_RULE.field("amount", "分值", o.fixed(2)),
    POST_KPIS.field("target", "目标", percent),
    NEW_STAFF.field("staff_no", "工号", o.text),
    NEW_STAFF.field("name", "姓名", o.text),
    NEW_STAFF.field("department", "部门", o.choice(("客服部",)), read=lambda w, c, r, col: "客服部"),
    NEW_STAFF.field("hired_on", "入职日期", o.day),
    NEW_STAFF.field("base_salary", "基本工资", o.money),
    INCIDENT.field("day", "日期", o.day),
    INCIDENT.field("note", "说明", o.text),
    WITHDRAW.field("reason", "撤销原因", o.text, column="withdrawn_reason"),
    COMMENTS.field("comments", "考核评语", o.text),
    RETURN_CARD.field("reason", "退回原因", o.text),
    REOPEN_CARD.field("reason", "重新打开原因", o.text),
    MONTH_SHEET.field("period", "月份", MONTH),
]


# --- platform and reference data -------------------------------------------------------------------------------


def _password_kept(w: World, c: Any, r: Any, column: str) -> Any:
    """The password just set, if the stored hash verifies it (a password is stored as its hash)."""
    from services.platform.auth import _verify

    if not isinstance(w.last, str):
        return o.ANY  # none given: the service generated one
    with read_session() as s:
        stored = s.scalar(select(User.password_hash).where(User.id == r) if isinstance(r, int)
                          else select(User.password_hash).where(User.username == "h_service"))
    return w.last if _verify(stored, w.last) else "<hash does not verify>"


def _remember(w: World, value: Any) -> Any:
    w.last = value
    return value


NEW_USER = Form("platform.users.add_user",
                lambda w, c, **v: users.add_user(actor=w.actor(), **{
                    "username": f"user{w.next()}", "display_name": "新同事", "role": "客服专员",
                    "password": _remember(w, v.pop("password", "secret-pass-1")), **v})[0],
                read=result_row(User))
RESET_PASSWORD = Form("platform.users.reset_password",
                      lambda w, c, **v: users.reset_password(actor=w.actor(), username="h_service",
                                                             password=_remember(w, v["password"])),
                      read=lambda w, c, r, col: _password_kept(w, c, None, col))
SETTINGS = Form("platform.settings.update_settings",
                lambda w, c, **v: settings.update_settings(actor=w.actor(), values={"company_name": v["value"]}),
                read=lambda w, c, r, col: _setting("company_name"))


def _setting(key: str) -> Any:
    with read_session() as s:
        return s.scalar(select(Setting.value).where(Setting.key == key))


def password(value: Any) -> str:
    if not isinstance(value, str):
        raise o.Refuse("not text")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise o.Refuse("lone surrogate") from None
    if value.strip() != value or not 8 <= len(value) <= 128:
        raise o.Refuse("against the password rules")
    return value


OLD_PASSWORD = "old-pass-123"


def _own_password(w: World) -> int:
    """The clerk's account with a password they know."""
    user_id = w.actor(Role.CLERK).user_id
    _password_back(w, user_id, None)
    return user_id


def _password_back(w: World, user_id: int, _result: Any) -> None:
    with get_engine().begin() as conn:
        conn.execute(update(User).where(User.id == user_id).values(password_hash=hash_password(OLD_PASSWORD)))


def _change_password(w: World, c: Any, **v: Any) -> Any:
    new = _remember(w, v.get("new_password", "new-pass-456"))
    return change_own_password(actor=w.actor(Role.CLERK), **{
        "old_password": OLD_PASSWORD, "new_password": new, "confirm": new, **v})


def never(value: Any) -> Any:
    """A field no corpus value may pass (the old password: it is none of them)."""
    raise o.Refuse("not the password")


CHANGE_PASSWORD = Form("platform.auth.change_own_password", _change_password,
                       read=lambda w, c, r, col: _password_kept(w, c, c, col), prepare=_own_password,
                       reset=_password_back)

PLATFORM: list[Target] = [
    NEW_USER.field("username", "用户名", o.text),
    NEW_USER.field("display_name", "姓名", o.text),
    NEW_USER.field("role", "角色", o.choice(users.ROLE_CHOICES, {ROLE_LABELS[r]: r.value for r in Role})),
    NEW_USER.field("password", "初始密码", o.or_any_when_blank(password), read=_password_kept),
    RESET_PASSWORD.field("password", "新密码", o.or_any_when_blank(password)),
    SETTINGS.field("value", "公司名称", o.text),
    CHANGE_PASSWORD.field("new_password", "新密码", password),
    CHANGE_PASSWORD.field("old_password", "原密码", never),
    CHANGE_PASSWORD.field("confirm", "确认新密码", never),
]


_REF_BASE: dict[str, Callable[[World], dict[str, Any]]] = {
    "estates": lambda w: {"code": f"E{w.next()}", "name": f"小区{w.next()}", "address": ""},
    "buildings": lambda w: {"estate_id": w.estate, "code": f"B{w.next()}", "name": f"{w.next()}栋", "floors": 18},
    "departments": lambda w: {"code": f"D{w.next()}", "name": f"部门{w.next()}"},
    "posts": lambda w: {"code": f"P{w.next()}", "name": f"岗位{w.next()}"},
    "ticket_categories": lambda w: {"place": f"部位{w.next()}", "problem": f"问题{w.next()}"},
    "holidays": lambda w: {"day": date(2030, 1, 1) + timedelta(days=w.next()), "is_workday": "否", "name": "节"},
    "fee_items": lambda w: {"code": f"F{w.next()}", "name": f"收费{w.next()}", "category": "其他", "basis": "固定",
                            "rate": "10.0000", "unit_label": "元/月", "default_unit_kind": "（不默认）"},
}


def reference_targets() -> list[Target]:
    """Each reference table's add form (every creatable field but the parent's id) and grid (every editable field)."""
    targets: list[Target] = []
    for table, base in _REF_BASE.items():
        ref = reference.REF_TABLES[table]

        def create(w: World, c: Any, value: Any, name: str, table: str = table,
                   base: Callable[[World], dict[str, Any]] = base) -> int:
            return reference.create_reference(actor=w.actor(), table=table, values={**base(w), name: value})

        def row(w: World, table: str = table, base: Callable[[World], dict[str, Any]] = base) -> int:
            return reference.create_reference(actor=w.actor(), table=table, values=base(w))

        def update(*, actor: Actor, edits: list[RowEdit], table: str = table) -> int:
            return reference.update_reference(actor=actor, table=table, edits=edits)

        for f in ref.spec.creatable_fields:
            if f.name.endswith("_id"):
                continue
            reader = row_of(ref.model, lambda _w, _c, r: r)
            targets.append(Target(f"admin.reference.create_reference({table})", f.name, f.label, _oracle_of(f),
                                  lambda w, c, v, name=f.name, create=create: create(w, c, v, name),
                                  read=lambda w, c, r, name=f.name, reader=reader: reader(w, c, r, name)))
        targets += grid_targets(f"admin.reference.update_reference({table})", ref.spec, update, ref.model, row)
    return targets


# --- grid tables (TableSpec): one target per editable field ----------------------------------------------------


def _oracle_of(spec_field: Any) -> o.Oracle:
    from services.platform.identity import check_id_number, check_landline, check_mobile

    if spec_field.check is check_mobile:
        return o.mobile
    if spec_field.check is check_landline:
        return o.landline
    if spec_field.check is check_id_number:
        return o.id_number
    return {
        "text": o.text, "int": o.integer, "hundredths": o.money, "rate": o.rate, "date": o.day, "bool": o.boolean,
        "choice": o.choice(spec_field.options, spec_field.stored_as),
    }[spec_field.kind]


def grid_targets(service: str, spec: TableSpec, update: Callable[..., int], model: type,
                 row: Callable[[World], int], *, role: Role = Role.ADMIN, skip: Iterable[str] = (),
                 oracles: dict[str, o.Oracle] | None = None) -> list[Target]:
    """One target per editable field of `spec`: a RowEdit through `update` on a row `row(world)` made."""
    targets = []
    for f in spec.fields:
        if not f.editable or f.name in skip:
            continue

        def call(w: World, c: int, value: Any, name: str = f.name) -> int:
            return update(actor=w.actor(role), edits=[RowEdit(c, version_of(model, c), {name: value})])

        targets.append(Target(service, f.name, f.label, (oracles or {}).get(f.name) or _oracle_of(f), call,
                              read=lambda w, c, r, name=f.name: row_of(model, lambda _w, c_, _r: c_)(w, c, r, name),
                              prepare=row))
    return targets


def _a_person(w: World) -> int:
    person, _ = make_resident(w.units[0], name=f"人{w.next()}", mobile=f"139{w.next():08d}")
    return person


def scale(value: Any) -> str:
    """A survey question's options, kept in the one spelling: separated by '/'."""
    text = o.text(value)
    for separator in ("、", "，", ",", "；", ";", "|", "／", " "):
        text = text.replace(separator, "/")
    return "/".join(option.strip() for option in text.split("/") if option.strip())


def _a_member(w: World) -> int:
    from tests.factories import make_member

    return make_member(f"M{w.next()}", "赵六", "维修工", department_id=w.department)


def _attendance_day(w: World) -> int:
    month = local_today().strftime("%Y-%m")
    with read_session() as s:
        found = s.scalar(select(Attendance.id).where(Attendance.staff_id == w.member).limit(1))
    if found is None:
        staff.generate_month_sheet(actor=w.actor(), period=month, staff_ids=[w.member])
        with read_session() as s:
            found = s.scalar(select(Attendance.id).where(Attendance.staff_id == w.member).limit(1))
    return int(found)


def _a_login(w: World) -> int:
    return make_login(f"grid{w.next()}", "某人", role=Role.SERVICE)


def _a_question(w: World) -> int:
    return surveys.add_question(actor=w.actor(), position=90, text=f"题{w.next()}")


def _an_item(w: World) -> int:
    return inspections.add_item(actor=w.actor(), route_id=_route(w), area="设施设备", text="电梯")


GRIDS: list[Target] = [
    *grid_targets("estate.units.update_units", units.UNIT_TABLE, units.update_units, Unit, _fresh_unit),
    *grid_targets("appraisal.staff.update_staff", staff.STAFF_TABLE, staff.update_staff, Staff, _a_member,
                  skip=("department_id", "post_id")),
    *grid_targets("appraisal.staff.update_attendance", staff.ATTENDANCE_TABLE, staff.update_attendance,
                  Attendance, _attendance_day),
    *grid_targets("platform.users.update_users", users.USER_TABLE, users.update_users, User, _a_login),
    *grid_targets("relations.surveys.update_questions", surveys.QUESTION_TABLE, surveys.update_questions,
                  SurveyQuestion, _a_question, oracles={"scale": scale}),
    *grid_targets("relations.inspections.update_routes", inspections.ROUTE_TABLE, inspections.update_routes,
                  InspectionRoute, _route),
    *grid_targets("relations.inspections.update_items", inspections.ITEM_TABLE, inspections.update_items,
                  InspectionItem, _an_item),
    *grid_targets("relations.paid_services.update_items", paid_services.ITEM_TABLE, paid_services.update_items,
                  PaidServiceItem, _service_item),
    *reference_targets(),
    *grid_targets("estate.people.update_people", people.PERSON_TABLE, people.update_people, Person, _a_person),
    *grid_targets("estate.parking.update_spaces", parking.SPACE_TABLE, parking.update_spaces, ParkingSpace,
                  _free_space),
]

TARGETS: list[Target] = [*ESTATE, *FEES, *TICKETS, *RELATIONS, *APPRAISAL, *PLATFORM, *GRIDS]


# --- the grid adapter: a value typed (or garbled) in a grid cell, through diff_edits, into the service ----------


_FRESH_UNIT = {"floor": 1, "kind": "住宅", "layout": "", "built_area": Decimal("80.00"),
               "inner_area": Decimal("60.00"), "status": "空置", "delivered_on": date(2024, 1, 1), "note": ""}


def grid_text(value: Any) -> Any:
    """What a returned grid cell stands for (ui/kit/grid.py passes cells on as the text they show; a blank cell is
    ''; a float the grid made of a number is its digits); a cell that is no scalar is passed on unchanged."""
    if o.blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float | Decimal | date):
        return str(value)
    return value


def _grid_unit(w: World) -> tuple[int, Any]:
    from services.platform.listing import ListQuery
    from ui.kit import grid, specs

    unit_id = _fresh_unit(w)
    rows = units.list_units(actor=w.actor(), query=ListQuery(page_size=None)).rows
    return unit_id, grid.to_grid_frame(rows[rows["id"] == unit_id].reset_index(drop=True), specs.UNITS)


def grid_adapter_targets() -> list[Target]:
    """Every editable column of the units grid: the corpus value in the returned frame, diff_edits, update_units."""
    import pandas as pd

    from ui.kit import grid, specs

    targets = []
    for column in specs.UNITS.columns:
        if not column.editable:
            continue
        spec_field = units.UNIT_TABLE.field(column.field)

        def call(w: World, c: tuple[int, Any], value: Any, name: str = column.field) -> int:
            unit_id, sent = c
            sent = sent.assign(version=[version_of(Unit, unit_id)])
            returned = sent.copy()
            returned[name] = pd.Series([value], dtype=object)
            return units.update_units(actor=w.actor(), edits=grid.diff_edits(sent, returned, specs.UNITS))

        def reset(w: World, c: tuple[int, Any], r: Any) -> None:
            with unit_of_work() as uow:
                uow.session.execute(update(Unit).where(Unit.id == c[0]).values(**_FRESH_UNIT))
                uow.commit()

        kind = _oracle_of(spec_field)
        targets.append(Target("ui.kit.grid.diff_edits → estate.units.update_units", column.field, spec_field.label,
                              lambda v, kind=kind: kind(grid_text(v)), call,
                              read=lambda w, c, r, name=column.field: row_of(Unit, lambda *_: c[0])(w, c, r, name),
                              prepare=_grid_unit, reset=reset))
    return targets


GRID_ADAPTER: list[Target] = grid_adapter_targets()
