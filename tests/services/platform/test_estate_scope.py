"""Estate scope: a user of estate 甲 sees and touches only 甲 — every read service returns nothing of 乙, every write
service on a record of 乙 is refused as a missing record would be (NotFound, never PermissionDenied) and writes
nothing. Each estate's texts carry its mark (甲 / 乙), so "nothing of 乙" is read off whatever a service returns.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import select

from db.engine import read_session, unit_of_work
from db.models import AuditEntry, Building, Estate, Person, Ticket, Unit, UnitPerson
from services.estate import households, keys, parking, people, renovation, units
from services.fees import approvals, arrears, billing, cashier, refunds, reports
from services.fees.figures import FeeScope, fee_kpis
from services.kpi import TicketScope, ticket_kpis
from services.platform.auth import Actor, Role
from services.platform.clock import local_today
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult
from services.platform.period import Period
from services.platform.users import add_user
from services.relations import activities, inspections, lost_found, notices, surveys
from services.tickets import lists as ticket_lists
from services.tickets import workflow as tickets
from services.workbench import home
from tests.factories import (
    PASSWORD,
    actor_for,
    count_rows,
    db_state,
    estate_user,
    force_columns,
    make_bill,
    make_key,
    make_lease,
    make_resident,
    make_space,
    make_ticket,
    make_unit_fee,
    seed_fee_items,
    seed_ticket_policies,
    sqlite_only,
)

ADMIN = actor_for(Role.ADMIN, "scope_admin")


@dataclass
class Side:
    """One estate's records, every text carrying the estate's mark."""

    mark: str
    estate: int
    building: int
    unit: int
    vacant: int
    person: int
    key: int
    space: int
    lease: int
    vip: int
    renovation: int
    ticket: int
    bill: int
    bill2: int
    payment: int
    refund: int
    void_request: int
    waiver_request: int
    unit_fee: int
    violation: int
    lost: int
    route: int
    round: int
    notice: int


@dataclass
class World:
    a: Side
    b: Side
    items: dict[str, int]
    manager: Actor  # each of them works in 甲 only
    service: Actor
    cashier: Actor
    clerk: Actor
    engineer: Actor


def _version(model: type, row_id: int) -> int:
    with read_session() as s:
        return s.get(model, row_id).version


def _side(mark: str, code: str, items: dict[str, int]) -> Side:
    today = local_today()
    with unit_of_work() as uow:
        s = uow.session
        e = Estate(code=code, name=f"{mark}苑", address="")
        s.add(e)
        s.flush()
        b = Building(estate_id=e.id, code="1", name=f"{mark}1栋", floors=18)
        s.add(b)
        s.flush()
        made = [Unit(estate_id=e.id, building_id=b.id, unit_no="1", room_no=room, floor=1, kind="住宅", layout="",
                     built_area=Decimal("89.50"), inner_area=Decimal("70.00"), status=status,
                     delivered_on=date(2024, 1, 15), note=f"{mark}房屋")
                for room, status in (("101", "已入住"), ("102", "空置"))]
        s.add_all(made)
        s.flush()
        estate_id, building_id, unit_id, vacant_id = e.id, b.id, made[0].id, made[1].id
        uow.commit()
    person, _link = make_resident(unit_id, name=f"{mark}业主", mobile="13812348000" if mark == "甲" else "13912349000")
    key = make_key(unit_id, label=f"{mark}大门钥匙")
    space = make_space(estate_id, f"{mark}-001")
    lease = make_lease(estate_id, unit_id, today - timedelta(days=30), today + timedelta(days=300), "300.00",
                       number=f"{mark}-002", person=f"{mark}车主", plate="粤B11111" if mark == "甲" else "粤B11112")
    vip = households.add_vip(actor=ADMIN, unit_id=unit_id, category="独居老人", reason=f"{mark}独居")
    reno = renovation.apply(actor=ADMIN, application=renovation.Application(
        unit_id=vacant_id, applicant=f"{mark}申请人", contractor=f"{mark}装修队", contractor_phone="13500001111",
        scope=f"{mark}厨房翻新", planned_start_on=today, planned_end_on=today + timedelta(days=30),
        deposit="1000.00", applied_on=today))
    ticket, _number = make_ticket(ADMIN, estate_id, unit_id, content=f"{mark}厨房漏水", caller_name=f"{mark}来电人")
    period = today.strftime("%Y-%m")
    bill = make_bill(unit_id, items["WY-ZZ"], period, "100.00", payer_name=f"{mark}业主")
    bill2 = make_bill(unit_id, items["LJ-SP"], period, "80.00", payer_name=f"{mark}业主")
    payment = cashier.take_payment(actor=ADMIN, unit_id=unit_id, amount="100.00", method="现金", bill_ids=[bill])
    credit = cashier.take_payment(actor=ADMIN, unit_id=unit_id, amount="30.00", method="微信", bill_ids=[])
    granted = refunds.request_refund(actor=ADMIN, unit_id=unit_id, amount="20.00", method="现金", payee=f"{mark}业主",
                                     reason="多缴")
    approvals.decide(actor=ADMIN, approval_id=granted, approve=True)
    refund_id = refunds.account_refunds(actor=ADMIN, unit_id=unit_id)[0].refund_id
    assert credit.credit_added == Decimal("30.00") and refund_id is not None
    void_request = approvals.request_void(actor=ADMIN, payment_id=payment.payment_id, reason=f"{mark}收错")
    waiver_request = approvals.request_waiver(actor=ADMIN, bill_id=bill2, amount="10.00", reason=f"{mark}减免")
    unit_fee = make_unit_fee(unit_id, items["LJ-SP"], "收取", today)
    violation = inspections.record_violation(actor=ADMIN, estate_id=estate_id, unit_id=unit_id, kind="违章搭建",
                                             description=f"{mark}阳台搭建", found_on=today,
                                             deadline_on=today + timedelta(days=7))
    lost, _no = lost_found.register_item(actor=ADMIN, estate_id=estate_id, what=f"{mark}钱包",
                                         found_at=datetime.now().astimezone() - timedelta(hours=1),
                                         found_place=f"{mark}大堂", kept_at="前台")
    route = inspections.add_route(actor=ADMIN, estate_id=estate_id, name=f"{mark}日常路线")
    inspections.add_item(actor=ADMIN, route_id=route, area="公共区域环境", text=f"{mark}大堂地面")
    survey_round = surveys.open_round(actor=ADMIN, estate_id=estate_id, name=f"{mark}年度调查", start_on=today,
                                      end_on=today + timedelta(days=30))
    notice = notices.draft_notice(actor=ADMIN, title=f"{mark}停水通知", body=f"{mark}明日停水", kind="停水停电",
                                  publish_on=today, estate_ids=[estate_id])
    activities.add_activity(actor=ADMIN, activity=activities.NewActivity(
        title=f"{mark}中秋活动", held_on=today, place=f"{mark}广场", organiser="客服部", estate_id=estate_id,
        participants=20))
    return Side(mark, estate_id, building_id, unit_id, vacant_id, person, key, space, lease, vip, reno, ticket, bill,
                bill2, payment.payment_id, refund_id, void_request, waiver_request, unit_fee, violation, lost, route,
                survey_round, notice)


@pytest.fixture
def world(db) -> World:
    seed_ticket_policies()
    items = seed_fee_items()
    surveys.add_standard_questionnaire(actor=ADMIN)
    a, b = _side("甲", "JA", items), _side("乙", "YI", items)
    return World(a, b, items, *(estate_user(role, f"a_{role.value}", [a.estate])
                                for role in (Role.MANAGER, Role.SERVICE, Role.CASHIER, Role.CLERK, Role.ENGINEER)))


def _text(value: Any) -> str:
    """Everything a service returned, as one text (the marks of the estates are looked for in it)."""
    if isinstance(value, PageResult):
        value = value.rows
    if isinstance(value, pd.DataFrame):
        return value.to_json(orient="records", force_ascii=False, date_format="iso", default_handler=str)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return " ".join(_text(getattr(value, f.name)) for f in dataclasses.fields(value))
    if isinstance(value, dict):
        return " ".join(f"{_text(k)}:{_text(v)}" for k, v in value.items())
    if isinstance(value, list | tuple | set | frozenset):
        return " ".join(_text(v) for v in value)
    return json.dumps(value, ensure_ascii=False, default=str)


ALL = ListQuery(page_size=500)
Read = Callable[[World], Any]

# (what, the read as 甲's user calls it, whether 甲's records must show in it)
READS: list[tuple[str, Read, bool]] = [
    ("units.list_units", lambda w: units.list_units(actor=w.manager, query=ALL), True),
    ("units.unit_summary", lambda w: units.unit_summary(actor=w.manager), True),
    ("people.search by room", lambda w: people.search(actor=w.service, text="1-1-101"), True),
    ("people.search by mobile tail", lambda w: people.search(actor=w.service, text="9000"), False),
    ("people.list_people", lambda w: people.list_people(actor=w.service, query=ALL), True),
    ("households.vacancy_ledger", lambda w: households.vacancy_ledger(actor=w.service, query=ALL), True),
    ("households.unit_card (own)", lambda w: households.unit_card(actor=w.service, unit_id=w.a.unit), True),
    ("keys.list_keys", lambda w: keys.list_keys(actor=w.service, query=ALL), True),
    ("keys.key_counts", lambda w: keys.key_counts(actor=w.service), False),
    ("keys.overdue_loans", lambda w: keys.overdue_loans(actor=w.service, query=ALL), False),
    ("parking.list_spaces", lambda w: parking.list_spaces(actor=w.service, query=ALL), True),
    ("parking.list_leases", lambda w: parking.list_leases(actor=w.service, query=ALL), True),
    ("parking.search_leases", lambda w: parking.search_leases(actor=w.service, text="粤B1111"), True),
    ("parking.unit_people_options of 乙", lambda w: parking.unit_people_options(actor=w.service, unit_id=w.b.unit),
     False),
    ("parking.free_spaces of 乙", lambda w: parking.free_spaces(actor=w.service, estate_id=w.b.estate), False),
    ("renovation.list_renovations", lambda w: renovation.list_renovations(actor=w.service, query=ALL), True),
    ("renovation.renovations_waiting",
     lambda w: renovation.renovations_waiting(actor=w.manager, today=local_today() + timedelta(days=40)), False),
    ("tickets.list_tickets", lambda w: ticket_lists.list_tickets(actor=w.service, query=ALL), True),
    ("tickets.board_counts", lambda w: ticket_lists.board_counts(actor=w.service), False),
    ("tickets.unit_open_tickets of 乙", lambda w: ticket_lists.unit_open_tickets(actor=w.service, unit_id=w.b.unit),
     False),
    ("tickets.month_counts", lambda w: ticket_lists.month_counts(actor=w.manager, period=Period.parse(
        local_today().strftime("%Y-%m")), by="building"), True),
    ("tickets.ticket_detail of 乙", lambda w: ticket_lists.ticket_detail(actor=w.service, ticket_id=w.b.ticket), False),
    ("tickets.timeline of 乙", lambda w: tickets.timeline(actor=w.service, ticket_id=w.b.ticket), False),
    ("cashier.unit_receipts (own)", lambda w: cashier.unit_receipts(actor=w.cashier, unit_id=w.a.unit), False),
    ("approvals.list_approvals", lambda w: approvals.list_approvals(actor=w.manager), True),
    ("approvals.list_approvals history", lambda w: approvals.list_approvals(actor=w.manager, status=""), True),
    ("arrears.arrears_summary by estate", lambda w: arrears.arrears_summary(actor=w.manager, group="estate"), True),
    ("arrears.arrears_summary by building", lambda w: arrears.arrears_summary(actor=w.manager, group="building"),
     True),
    ("arrears.owing_list", lambda w: arrears.owing_list(actor=w.manager), True),
    ("arrears.owing_totals", lambda w: arrears.owing_totals(actor=w.manager), False),
    ("arrears.notices_for_building of 乙",
     lambda w: arrears.notices_for_building(actor=w.manager, building_id=w.b.building,
                                            as_of=local_today() + timedelta(days=40)), False),
    ("arrears.dunning_log of 乙", lambda w: arrears.dunning_log(actor=w.manager, unit_id=w.b.unit), False),
    ("billing.unit_fees of 乙", lambda w: billing.unit_fees(actor=w.manager, unit_id=w.b.unit), False),
    ("billing.preview_billing", lambda w: billing.preview_billing(
        actor=w.manager, period=(local_today().replace(day=1) + timedelta(days=32)).strftime("%Y-%m")), False),
    ("reports.reconciliation", lambda w: reports.reconciliation(actor=w.manager, period=local_today().strftime(
        "%Y-%m")), False),
    ("reports.collection_report by estate", lambda w: reports.collection_report(
        actor=w.manager, period=local_today().strftime("%Y-%m"), by="estate"), True),
    ("reports.collection_report by building", lambda w: reports.collection_report(
        actor=w.manager, period=local_today().strftime("%Y-%m"), by="building"), True),
    ("reports.building_units of 乙", lambda w: reports.building_units(actor=w.manager, building_id=w.b.building),
     False),
    ("reports.meter_sheet", lambda w: reports.meter_sheet(actor=w.manager, period=local_today().strftime("%Y-%m")),
     False),
    ("home.desk_day", lambda w: home.desk_day(actor=w.service), True),
    ("home.decisions", lambda w: home.decisions(actor=w.manager), False),
    ("home.manager_month", lambda w: home.manager_month(actor=w.manager), False),
    ("inspections.list_violations", lambda w: inspections.list_violations(actor=w.manager, query=ALL), True),
    ("inspections.list_routes", lambda w: inspections.list_routes(actor=w.manager, query=ALL), True),
    ("inspections.route_options", lambda w: inspections.route_options(actor=w.manager), True),
    ("inspections.checklist of 乙", lambda w: inspections.checklist(actor=w.service, route_id=w.b.route), False),
    ("lost_found.list_items", lambda w: lost_found.list_items(actor=w.service, query=ALL), True),
    ("surveys.round_choices", lambda w: surveys.round_choices(actor=w.manager), True),
    ("surveys.list_rounds", lambda w: surveys.list_rounds(actor=w.manager, query=ALL), True),
    ("notices.list_notices", lambda w: notices.list_notices(actor=w.service, query=ALL), True),
    ("activities.list_activities", lambda w: activities.list_activities(actor=w.service, year=None, query=ALL), True),
    ("activities.activity_progress",
     lambda w: activities.activity_progress(actor=w.service, year=local_today().year, today=local_today()), True),
]


def test_a_user_of_estate_a_reads_nothing_of_estate_b_in_any_read_service(world):
    wrong = []
    for what, read, shows_a in READS:
        text = _text(read(world))
        if "乙" in text or (shows_a and "甲" not in text):
            wrong.append(f"{what}: {text[:300]}")
    assert not wrong, "\n".join(wrong)


def _edit(model: type, row_id: int, **changes: Any) -> list[RowEdit]:
    return [RowEdit(row_id, _version(model, row_id), changes)]


Write = Callable[[World], Any]
LATER = local_today() + timedelta(days=2)

# (what, the write as 甲's user calls it on 乙's record, the refusal a missing record gets)
WRITES: list[tuple[str, Write, type[Exception]]] = [
    ("units.update_units", lambda w: units.update_units(actor=w.service, edits=_edit(Unit, w.b.unit, note="改")),
     StaleEdit),
    ("households.move_in", lambda w: households.move_in(actor=w.service, request=households.MoveIn(
        unit_id=w.b.vacant, unit_version=_version(Unit, w.b.vacant), person={"name": "新住户", "mobile": "13700001111"},
        role="租客", move_in_on=local_today())), NotFound),
    ("households.add_note", lambda w: households.add_note(actor=w.service, unit_id=w.b.unit, text="备注"), NotFound),
    ("households.add_vip", lambda w: households.add_vip(actor=w.service, unit_id=w.b.unit, category="其他",
                                                         reason="原因"), NotFound),
    ("households.record_inspection", lambda w: households.record_inspection(
        actor=w.service, unit_id=w.b.vacant, inspected_on=local_today()), NotFound),
    ("households.unit_card", lambda w: households.unit_card(actor=w.service, unit_id=w.b.unit), NotFound),
    ("people.reveal", lambda w: people.reveal(actor=w.manager, person_id=w.b.person, field="mobile"), NotFound),
    ("keys.add_key", lambda w: keys.add_key(actor=w.service, unit_id=w.b.unit, label="新钥匙"), NotFound),
    ("keys.lend_key", lambda w: keys.lend_key(actor=w.service, key_id=w.b.key, version=1, borrower="某人",
                                               borrower_phone="", reason="维修",
                                               due_at=datetime.now().astimezone() + timedelta(hours=2)), NotFound),
    ("keys.report_lost", lambda w: keys.report_lost(actor=w.service, key_id=w.b.key, version=1), NotFound),
    ("parking.add_space", lambda w: parking.add_space(actor=w.service, estate_id=w.b.estate, number="X-9",
                                                       kind="租赁"), ValidationError),
    ("parking.add_vehicle", lambda w: parking.add_vehicle(actor=w.service, unit_id=w.b.unit, person_id=None,
                                                           plate="粤A88888"), NotFound),
    ("parking.lease_space", lambda w: parking.lease_space(
        actor=w.service, space_id=w.b.space, space_version=1, person_id=w.a.person, unit_id=None, plate="",
        start_on=local_today(), end_on=LATER, monthly_fee="100"), NotFound),
    ("parking.add_vehicle for a person of 乙", lambda w: _as_missing(lambda person: parking.add_vehicle(
        actor=w.service, unit_id=w.a.unit, person_id=person, plate="粤A77777"), w.b.person), NotFound),
    ("parking.lease_space to a person of 乙", lambda w: _as_missing(lambda person: parking.lease_space(
        actor=w.service, space_id=w.a.space, space_version=1, person_id=person, unit_id=None, plate="",
        start_on=local_today(), end_on=LATER, monthly_fee="100"), w.b.person), NotFound),
    ("parking.lease_space for a unit of 乙", lambda w: parking.lease_space(
        actor=w.service, space_id=w.a.space, space_version=1, person_id=w.a.person, unit_id=w.b.unit, plate="",
        start_on=local_today(), end_on=LATER, monthly_fee="100"), NotFound),
    ("parking.end_lease", lambda w: parking.end_lease(actor=w.service, lease_id=w.b.lease, version=1), NotFound),
    ("parking.renew_lease", lambda w: parking.renew_lease(actor=w.service, lease_id=w.b.lease, version=1,
                                                           new_end_on=LATER + timedelta(days=400),
                                                           monthly_fee="100"), NotFound),
    ("renovation.decide", lambda w: renovation.decide(actor=w.manager, renovation_id=w.b.renovation,
                                                       version=_version_of_renovation(w.b.renovation),
                                                       approve=True), NotFound),
    ("tickets.take", lambda w: tickets.take(actor=w.service, intake=tickets.Intake(
        ticket_type="报修", channel="电话", estate_id=w.b.estate, unit_id=w.b.unit, caller_name="某",
        caller_phone="13800000000", content="漏水", received_at=datetime.now().astimezone())), ValidationError),
    ("tickets.move dispatch", lambda w: tickets.move(actor=w.service, ticket_id=w.b.ticket, version=1,
                                                     action="dispatch", assignee_id=w.engineer.user_id), NotFound),
    ("tickets.assignee_options of 乙's ticket", lambda w: tickets.assignee_options(actor=w.service,
                                                                                   ticket_id=w.b.ticket), NotFound),
    ("tickets.add_photos", lambda w: tickets.add_photos(actor=w.service, ticket_id=w.b.ticket,
                                                        photos=[("a.png", _PNG)]), NotFound),
    ("cashier.account", lambda w: cashier.account(actor=w.cashier, unit_id=w.b.unit), NotFound),
    ("cashier.take_payment", lambda w: cashier.take_payment(actor=w.cashier, unit_id=w.b.unit, amount="80.00",
                                                            method="现金"), NotFound),
    ("cashier.receipt", lambda w: cashier.receipt(actor=w.cashier, payment_id=w.b.payment), NotFound),
    ("cashier.unit_receipts", lambda w: cashier.unit_receipts(actor=w.cashier, unit_id=w.b.unit), NotFound),
    ("approvals.request_void", lambda w: approvals.request_void(actor=w.cashier, payment_id=w.b.payment,
                                                                reason="错"), NotFound),
    ("approvals.request_waiver", lambda w: approvals.request_waiver(actor=w.service, bill_id=w.b.bill2,
                                                                    amount="1.00", reason="减"), NotFound),
    ("approvals.request_cancel", lambda w: approvals.request_cancel(actor=w.service, bill_id=w.b.bill2,
                                                                    reason="错"), NotFound),
    ("approvals.decide a void of 乙", lambda w: approvals.decide(actor=w.manager, approval_id=w.b.void_request,
                                                                approve=True), NotFound),
    ("approvals.decide a waiver of 乙", lambda w: approvals.decide(actor=w.manager, approval_id=w.b.waiver_request,
                                                                  approve=False), NotFound),
    ("refunds.request_refund", lambda w: refunds.request_refund(actor=w.cashier, unit_id=w.b.unit, amount="1.00",
                                                                method="现金", payee="某", reason="退"), NotFound),
    ("refunds.refund", lambda w: refunds.refund(actor=w.cashier, refund_id=w.b.refund), NotFound),
    ("refunds.pay_out", lambda w: refunds.pay_out(actor=w.cashier, refund_id=w.b.refund), NotFound),
    ("refunds.account_refunds", lambda w: refunds.account_refunds(actor=w.cashier, unit_id=w.b.unit), NotFound),
    ("arrears.record_dunning", lambda w: arrears.record_dunning(actor=w.service, dunning=arrears.Dunning(
        unit_id=w.b.unit, method="电话", outcome="无人接听")), NotFound),
    ("arrears.assign_collector", lambda w: arrears.assign_collector(actor=w.manager, unit_ids=[w.b.unit],
                                                                    staff_id=None), NotFound),
    ("billing.run_billing for 乙", lambda w: billing.run_billing(actor=w.manager, period=local_today().strftime(
        "%Y-%m"), estate_id=w.b.estate), NotFound),
    ("billing.record_readings", lambda w: billing.record_readings(
        actor=w.manager, period=local_today().strftime("%Y-%m"), read_on=local_today(),
        readings=[billing.Reading(unit_id=w.b.unit, fee_item_id=w.items["SF"], current="10")]), NotFound),
    ("billing.add_unit_fee", lambda w: billing.add_unit_fee(actor=w.manager, unit_id=w.b.unit,
                                                            fee_item_id=w.items["LJ-SP"], action="收取",
                                                            start_on=local_today()), ValidationError),
    ("billing.end_unit_fee", lambda w: billing.end_unit_fee(actor=w.manager, unit_fee_id=w.b.unit_fee, version=1,
                                                            end_on=local_today()), NotFound),
    ("inspections.record_violation", lambda w: inspections.record_violation(
        actor=w.service, estate_id=w.b.estate, unit_id=None, kind="其他", description="x", found_on=local_today(),
        deadline_on=LATER, location="大堂"), ValidationError),
    ("inspections.follow_up", lambda w: inspections.follow_up(actor=w.service, violation_id=w.b.violation,
                                                              version=1, followed_on=local_today(), note="跟进"),
     NotFound),
    ("inspections.violation", lambda w: inspections.violation(actor=w.service, violation_id=w.b.violation), NotFound),
    ("inspections.submit_round", lambda w: inspections.submit_round(actor=w.engineer, route_id=w.b.route,
                                                                    round_on=local_today(), answers=[]), NotFound),
    ("lost_found.claim_item", lambda w: lost_found.claim_item(
        actor=w.service, item_id=w.b.lost, version=1, claimant_name="某", claimant_phone="13800000000",
        id_kind="身份证", id_checked=True, claimed_at=datetime.now().astimezone()), NotFound),
    ("lost_found.item", lambda w: lost_found.item(actor=w.service, item_id=w.b.lost), NotFound),
    ("surveys.close_round", lambda w: surveys.close_round(actor=w.manager, round_id=w.b.round, version=1), NotFound),
    ("surveys.round_detail", lambda w: surveys.round_detail(actor=w.manager, round_id=w.b.round), NotFound),
    ("notices.publish_notice", lambda w: notices.publish_notice(actor=w.manager, notice_id=w.b.notice, version=1),
     NotFound),
    ("notices.notice", lambda w: notices.notice(actor=w.service, notice_id=w.b.notice), NotFound),
]

_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
NOWHERE = 10**9  # the id of no record


def _as_missing(write: Callable[[int], Any], hidden: int) -> None:
    """`write` given the id of a record the actor may not see: refused (NotFound) in the very words it gets for the
    id of no record, so the refusal tells nothing of the other estate."""
    try:
        write(NOWHERE)
    except NotFound as missing:
        words = missing.message
    else:
        raise AssertionError("a write on a record that does not exist went through")
    try:
        write(hidden)
    except NotFound as refused:
        if refused.message != words:
            raise AssertionError(f"refused in other words than a missing record's: {refused.message} ≠ {words}") \
                from refused
        raise


def _version_of_renovation(renovation_id: int) -> int:
    from db.models import Renovation

    return _version(Renovation, renovation_id)


def test_a_user_of_estate_a_touching_a_record_of_estate_b_is_refused_as_missing_and_nothing_is_written(world):
    before = db_state()
    wrong = []
    for what, write, refusal in WRITES:
        audits = count_rows(AuditEntry)
        try:
            write(world)
        except refusal as exc:
            if refusal is not NotFound and "不存在" not in exc.message and "#" not in exc.message:
                wrong.append(f"{what}: refused in other words than a missing record's: {exc.message}")
        except Exception as exc:  # reported below with the service's name
            wrong.append(f"{what}: {type(exc).__name__}: {exc}")
        else:
            wrong.append(f"{what}: went through")
        if count_rows(AuditEntry) != audits:
            wrong.append(f"{what}: wrote an audit row")
    assert not wrong, "\n".join(wrong)
    assert db_state() == before


def test_the_counts_of_a_user_of_estate_a_count_estate_a_only(world):
    assert ticket_lists.board_counts(actor=world.service)["today"] == 1
    assert ticket_lists.board_counts(actor=ADMIN)["today"] == 2
    assert arrears.owing_totals(actor=world.manager) == (1, Decimal("80.00"))
    assert arrears.owing_totals(actor=ADMIN) == (2, Decimal("160.00"))
    assert tickets.timeline(actor=world.service, ticket_id=world.b.ticket) == []
    assert len(tickets.timeline(actor=world.service, ticket_id=world.a.ticket)) == 1
    assert renovation.renovations_waiting(actor=world.manager, today=local_today())[0]["to_approve"] == 1
    assert home.decisions(actor=world.manager).approvals == 2  # 甲's void and waiver, not 乙's


def test_the_manager_of_estate_a_cannot_approve_a_void_in_estate_b_but_approves_one_in_estate_a(world):
    with pytest.raises(NotFound, match="没有这项申请"):
        approvals.decide(actor=world.manager, approval_id=world.b.void_request, approve=True)
    approvals.decide(actor=world.manager, approval_id=world.a.void_request, approve=True)
    assert cashier.receipt(actor=world.cashier, payment_id=world.a.payment).status == "已作废"
    assert cashier.receipt(actor=ADMIN, payment_id=world.b.payment).status != "已作废"
    assert [a.id for a in approvals.list_approvals(actor=world.manager)] == [world.a.waiver_request]
    assert approvals.pending_count(actor=world.manager) == 1
    assert approvals.pending_count(actor=ADMIN) == 3  # 甲's waiver, 乙's void and waiver


def test_the_counter_of_estate_a_takes_money_for_estate_a_only(world):
    taken = cashier.take_payment(actor=world.cashier, unit_id=world.a.unit, amount="70.00", method="现金")
    assert taken.unit_code.startswith("甲苑")
    assert [r.payment_id for r in cashier.unit_receipts(actor=world.cashier, unit_id=world.a.unit)][0] == \
        taken.payment_id
    with pytest.raises(NotFound, match="没有这套房屋"):
        cashier.account(actor=world.cashier, household=f"U{world.b.unit}")
    with pytest.raises(NotFound, match="没有这份车位租约"):
        cashier.account(actor=world.cashier, household=f"L{world.b.lease}")


def test_the_figures_of_a_user_of_estate_a_are_those_of_estate_a_and_of_both_estates_the_companys(world):
    period = Period.parse(local_today().strftime("%Y-%m"))
    month = home.manager_month(actor=world.manager)
    shown = {f.key: f.value for f in month.figures}
    fees_a = fee_kpis(period, scope=FeeScope(estate_id=world.a.estate))
    tickets_a = ticket_kpis(period, scope=TicketScope(estate_ids=frozenset({world.a.estate})))
    for key, value in shown.items():
        assert value == (fees_a.get(key) if key in fees_a else tickets_a[key]), key
    assert fees_a["billed"] == Decimal("180.00") and fees_a["collected"] == Decimal("100.00")
    # both estates: the company's figures, the rate from the summed sums: 乙 billed 380 and collected 180, so
    # (100 + 180) / (180 + 380) = 0.5, where the mean of the two rates (0.5556, 0.4737) would be 0.5146
    make_bill(world.b.unit, world.items["WY-BG"], period.label, "200.00", payer_name="乙业主")
    cashier.take_payment(actor=ADMIN, unit_id=world.b.unit, amount="80.00", method="现金", bill_ids=[world.b.bill2])
    both = estate_user(Role.MANAGER, "ab_manager", [world.a.estate, world.b.estate])
    fees_ab = fee_kpis(period, scope=FeeScope(estate_ids=both.estate_ids))
    assert fees_ab == fee_kpis(period)
    assert fees_ab["collection_rate"] == Decimal("0.5000")
    assert {f.key: f.value for f in home.manager_month(actor=both).figures}["collection_rate"] == Decimal("0.5000")


def _till(username: str, name: str, estate_ids: list[int] | None, takings: list[tuple[int, str]]) -> Actor:
    """A cashier named after the estates they work in (a 日结 sheet carries only the cashier's name) who took
    these payments (unit, amount; in cash, as credit) and settled the day."""
    from services.platform import auth

    add_user(actor=ADMIN, username=username, display_name=name, role=Role.CASHIER, password=PASSWORD,
             must_change_password=False, estate_ids=estate_ids)
    till = auth.authenticate(username=username, password=PASSWORD)
    for unit_id, amount in takings:
        cashier.take_payment(actor=till, unit_id=unit_id, amount=amount, method="现金", bill_ids=[])
    cash = sum((Decimal(amount) for _, amount in takings), Decimal("0.00"))
    cashier.confirm_settlement(actor=till, day=local_today(), cash_handed=str(cash))
    return till


def test_a_user_of_estate_a_reads_whole_settlement_sheets_of_cashiers_who_took_money_in_estate_a(world):
    # each settled today: 甲's took money in 甲, 乙's in 乙, the cashier of both estates in each
    till_a = _till("till_a", "甲收费员", [world.a.estate], [(world.a.unit, "10.00")])
    till_b = _till("till_b", "乙收费员", [world.b.estate], [(world.b.unit, "20.00")])
    till_ab = _till("till_ab", "两苑收费员", None, [(world.a.unit, "30.00"), (world.b.unit, "40.00")])
    today = local_today()
    week = {"date_from": today - timedelta(days=7), "date_to": today}
    listed = reports.settlements(actor=world.manager, **week)
    # the sheet of the cashier of both estates is whole: 30.00 taken in 甲 and 40.00 in 乙
    assert dict(zip(listed["收费员"], listed["收款合计"], strict=True)) == {
        "甲收费员": Decimal("10.00"), "两苑收费员": Decimal("70.00")}
    assert len(reports.settlements(actor=ADMIN, **week)) == 3
    theirs = {till_a.user_id: "甲收费员", till_ab.user_id: "两苑收费员"}
    assert dict(cashier.settlement_cashiers(actor=world.manager)) == theirs
    assert dict(cashier.settlement_cashiers(actor=world.manager, day=today)) == theirs
    assert cashier.settlement_cashiers(actor=world.manager, day=today - timedelta(days=1)) == []
    assert {till_b.user_id, world.cashier.user_id} <= set(dict(cashier.settlement_cashiers(actor=ADMIN)))
    whole = cashier.settlement_sheet(actor=world.manager, day=today, cashier_user_id=till_ab.user_id)
    assert (whole.cashier_name, whole.total, whole.confirmed) == ("两苑收费员", Decimal("70.00"), True)
    # 乙's cashier, 甲's on a day without money of 甲, and nobody at all: refused in the same words
    words = []
    for user_id, day in ((till_b.user_id, today), (till_a.user_id, today - timedelta(days=1)),
                         (NOWHERE, today)):
        with pytest.raises(NotFound) as refused:
            cashier.settlement_sheet(actor=world.manager, day=day, cashier_user_id=user_id)
        words.append(refused.value.message)
    assert words == [cashier.NO_SHEET] * 3
    assert cashier.settlement_sheet(actor=till_b, day=today).total == Decimal("20.00")  # one's own
    # estates all taken away: nobody else's sheet; one's own day is still counted and handed over
    nothing = dataclasses.replace(world.manager, estate_ids=frozenset())
    assert reports.settlements(actor=nothing, **week).empty
    assert cashier.settlement_cashiers(actor=nothing) == []
    with pytest.raises(NotFound):
        cashier.settlement_sheet(actor=nothing, day=today, cashier_user_id=till_a.user_id)
    stripped = dataclasses.replace(till_a, estate_ids=frozenset())
    assert cashier.settlement_sheet(actor=stripped, day=today).total == Decimal("10.00")


def test_a_ticket_is_dispatched_only_to_those_who_work_in_its_estate(world):
    b_engineer = estate_user(Role.ENGINEER, "b_engineer", [world.b.estate])
    everywhere = estate_user(Role.ENGINEER, "all_engineer", None)
    options = tickets.assignee_options(actor=world.service, ticket_id=world.a.ticket)
    assert set(options) == {world.manager.user_id, world.service.user_id, world.clerk.user_id,
                            world.engineer.user_id, everywhere.user_id}
    assert options[everywhere.user_id] == "维修工程all_engineer（维修工程）"
    assert set(tickets.assignee_options(actor=ADMIN, ticket_id=world.b.ticket)) == {b_engineer.user_id,
                                                                                   everywhere.user_id}
    before = db_state()
    # a user of 甲 to 乙's engineer; one of every estate to an engineer of 甲 only (who could not see 乙's ticket)
    for dispatcher, ticket, assignee in ((world.service, world.a.ticket, b_engineer),
                                         (ADMIN, world.b.ticket, world.engineer)):
        with pytest.raises(ValidationError) as refused:
            tickets.move(actor=dispatcher, ticket_id=ticket, version=_version(Ticket, ticket), action="dispatch",
                         assignee_id=assignee.user_id)
        assert refused.value.errors == {"处理人": tickets.NOT_ASSIGNABLE}
    assert db_state() == before
    tickets.move(actor=world.service, ticket_id=world.a.ticket, version=_version(Ticket, world.a.ticket),
                 action="dispatch", assignee_id=everywhere.user_id)
    tickets.move(actor=everywhere, ticket_id=world.a.ticket, version=_version(Ticket, world.a.ticket),
                 action="accept")
    assert ticket_lists.ticket_detail(actor=world.service, ticket_id=world.a.ticket).status == "处理中"


def test_moving_a_person_of_estate_b_into_estate_a_reuses_them_and_shows_nothing_of_estate_b(world):
    def move_in(person: dict[str, str]) -> int:
        return households.move_in(actor=world.service, request=households.MoveIn(
            unit_id=world.a.vacant, unit_version=_version(Unit, world.a.vacant), person=person, role="租客",
            move_in_on=local_today()))

    id_number = "11010519491231002X"
    force_columns(Person, world.b.person, id_number=id_number)
    with pytest.raises(Conflict) as clash:  # someone else with the ID number of 乙's resident: not named
        move_in({"name": "新住户", "mobile": "13700001111", "id_number": id_number})
    assert clash.value.message == "身份证号已登记在其他人员名下，请核对姓名和手机号"
    people_before = count_rows(Person)
    link = move_in({"name": "乙业主", "mobile": "13912349000"})  # the same name and mobile: the same person
    assert count_rows(Person) == people_before
    with read_session() as s:
        assert s.get(UnitPerson, link).person_id == world.b.person
    shown = _text([households.unit_card(actor=world.service, unit_id=world.a.vacant),
                   people.search(actor=world.service, text="13912349000"),
                   people.search(actor=world.service, text="乙业主"),
                   people.list_people(actor=world.service, query=ListQuery(search="乙业主")),
                   parking.unit_people_options(actor=world.service, unit_id=world.a.vacant)])
    assert "乙业主" in shown  # now a resident of 甲 too
    assert [mark for mark in ("乙苑", "乙1栋", "乙房屋", "乙-00", "粤B11112", "乙大门钥匙", "乙车主") if mark in shown] == []
    assert [(h.unit_id, h.estate) for h in people.search(actor=world.service, text="13912349000")] == [
        (world.a.vacant, "甲苑")]


@sqlite_only
def test_sign_in_carries_the_estates_the_admin_sets_and_a_change_is_versioned_and_audited(db):
    from services.platform import auth, users
    from tests.factories import PASSWORD, audit_rows, make_estate

    a, _ = make_estate("A1", "甲苑")
    b, _ = make_estate("B1", "乙苑")
    assert estate_user(Role.SERVICE, "desk_a", [a]).estate_ids == frozenset({a})
    assert estate_user(Role.SERVICE, "desk_all", None).estate_ids is None
    assert estate_user(Role.ADMIN, "admin2", [a]).estate_ids is None  # an administrator always has all
    now = users.estate_assignment(actor=ADMIN, username="desk_a")
    users.set_estates(actor=ADMIN, username="desk_a", version=now.version, estate_ids=[a, b])
    assert auth.authenticate(username="desk_a", password=PASSWORD).estate_ids == frozenset({a, b})
    with pytest.raises(StaleEdit):
        users.set_estates(actor=ADMIN, username="desk_a", version=now.version, estate_ids=[b])
    with pytest.raises(ValidationError, match="至少选择一个小区"):
        users.set_estates(actor=ADMIN, username="desk_a", version=now.version + 1, estate_ids=[])
    users.set_estates(actor=ADMIN, username="desk_a", version=now.version + 1, estate_ids=None)
    assert auth.authenticate(username="desk_a", password=PASSWORD).estate_ids is None
    changes = [json.loads(r.after_json) for r in audit_rows(action="set_estates")]
    assert changes == [{"estates": [a, b]}, {"estates": "全部小区"}]
    listed = users.list_users(actor=ADMIN, query=ListQuery()).rows.set_index("username")["estates"]
    assert listed["desk_all"] == "全部小区" and listed["admin2"] == "全部小区"


@sqlite_only
def test_imports_of_a_user_of_estate_a_refuse_each_row_of_another_estate_in_the_preview(db):
    from services.estate import asset_import
    from services.fees import arrears_import
    from services.tickets import ticket_import
    from tests.factories import arrears_workbook, make_estate, sheet_workbook, ticket_register

    seed_ticket_policies()
    seed_fee_items()
    a, (a_building,) = make_estate("A1", "甲苑")
    b, (b_building,) = make_estate("B1", "乙苑")
    for estate, building in ((a, a_building), (b, b_building)):
        with unit_of_work() as uow:
            uow.session.add(Unit(estate_id=estate, building_id=building, unit_no="1", room_no="101", floor=1,
                                 kind="住宅", layout="", built_area=Decimal("89.50"), status="空置"))
            uow.commit()
    clerk = estate_user(Role.CLERK, "clerk_a", [a])
    manager = estate_user(Role.MANAGER, "manager_a", [a])

    headers = [h for h, *_ in asset_import.TEMPLATE_COLUMNS]
    unit = {"楼栋": "1", "单元": "1", "类型": "住宅", "状态": "空置"}
    assets = asset_import.preview_import(actor=clerk, source=sheet_workbook(
        [{**unit, "小区": "甲苑", "房号": "102"}, {**unit, "小区": "乙苑", "房号": "102"},
         {**unit, "小区": "新小区", "房号": "101"}], headers=headers, sheet=asset_import.TEMPLATE_SHEET))
    assert [(p.row, p.column) for p in assets.problems] == [(3, "小区"), (4, "小区")]
    assert assets.counts.rows_out_of_scope == 2 and "2 行不在您负责的小区内" in assets.counts.summary()
    assert "乙苑”不在您负责的小区（甲苑）内" in str(assets.problems[0])
    # an ID number held by a resident of 乙: refused without naming them (a user of all estates is told the name)
    with read_session() as s:
        b_unit = s.scalar(select(Unit.id).where(Unit.estate_id == b))
    make_resident(b_unit, "乙住户", "13912340001", id_number="11010519491231002X")
    clash = [{**unit, "小区": "甲苑", "房号": "101", "姓名": "新住户", "手机号": "13700001111",
              "身份证号": "11010519491231002X", "人员类型": "个人", "身份": "业主"}]
    for who, words in ((clerk, "身份证号已登记在其他人员名下，请核对姓名和手机号"),
                       (estate_user(Role.CLERK, "clerk_all", None), "身份证号已登记在“乙住户”名下，请核对")):
        problems = asset_import.preview_import(actor=who, source=sheet_workbook(
            clash, headers=headers, sheet=asset_import.TEMPLATE_SHEET)).problems
        assert [(p.column, p.message) for p in problems] == [("身份证号", words)]

    register = ticket_import.preview_ticket_import(actor=manager, source=ticket_register([
        {"小区": name, "房屋": "1-1-101", "类型": "咨询", "渠道": "电话", "内容": "问询", "受理时间": "2025-03-01 09:30"}
        for name in ("甲苑", "乙苑")]))
    assert [str(p) for p in register.problems] == [
        "第 4 行 · 小区：系统中没有“乙苑”这个小区（请先在基础资料或资产导入中建立）"]  # as an unknown estate
    assert register.counts.rows == 2

    owed = arrears_import.preview_arrears_import(actor=clerk, source=arrears_workbook([
        {"小区": name, "房屋": "1-1-101", "收费项目": "物业服务费（住宅）", "期间": "2024-03", "金额": "100.00"}
        for name in ("甲苑", "乙苑")]))
    assert [str(p) for p in owed.problems] == [
        "第 4 行 · 小区：系统中没有“乙苑”这个小区（请先在基础资料或资产导入中建立）"]
    # a user of one estate may leave the estate out: theirs is the only one
    assert arrears_import.preview_arrears_import(actor=clerk, source=arrears_workbook([
        {"房屋": "1-1-101", "收费项目": "物业服务费（住宅）", "期间": "2024-03", "金额": "100.00"}])).ok
