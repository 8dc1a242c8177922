"""Personal data a role does not need stays masked: in lists, in exported files, in PDFs; and scorecards.

Masked are 手机号 and 身份证号 (what people.reveal names). Roles without people.reveal (收费员, 维修工程, 内勤) see
138****8000 and 110***********1234; the full number goes to people.reveal holders, and a contact's number to the
person who calls back (a ticket's assignee or first responder, a paid-service order's worker). The permission
matrix (test_permission_matrix.py) checks what every entry point returns on its synthesised arguments; here are the
exports of every list, the PDFs, and the rules by name. A member of staff reads only their own scorecard.
"""

from __future__ import annotations

import dataclasses
import inspect
import re

import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import LostItem, PaidServiceOrder, Payment, Person, Scorecard, Staff, Ticket, Unit, Violation
from services.appraisal import pdf as card_pdf
from services.appraisal import scorecards
from services.appraisal.scorecards import ScorecardView
from services.estate import people
from services.fees import arrears, cashier, documents
from services.platform.auth import PERMISSIONS, Role
from services.platform.clock import local_today
from services.platform.errors import DomainError, NotFound
from services.platform.excel import frame_to_bytes
from services.platform.listing import ListQuery, PageResult
from services.platform.privacy import mask_mobile
from services.relations import inspections, lost_found, notice_print, paid_services, violation_notice
from services.tickets import lists as ticket_lists
from tests.services.platform.personal_data import as_text, leaked, pdf_text
from tests.services.platform.test_permission_matrix import ENTRY_POINTS, synthesised_args

WITHOUT_REVEAL = [r for r in Role if "people.reveal" not in PERMISSIONS[r]]
MASKED_MOBILE = re.compile(r"1[0-9]{2}\*{4}[0-9]{4}")
MASKED_ID = re.compile(r"[0-9]{3}\*{11}[0-9]{3}[0-9Xx]")


def test_the_roles_without_people_reveal_are_the_cashier_the_engineer_and_the_clerk():
    assert set(WITHOUT_REVEAL) == {Role.CASHIER, Role.ENGINEER, Role.CLERK}


# --- exports: every list a role may export, whole, as XLSX and CSV --------------------------------------------

LISTS = sorted(name for name, fn in ENTRY_POINTS.items()
               if inspect.signature(fn).parameters.get("query") is not None)


def test_every_whole_list_exported_by_a_role_without_reveal_holds_no_full_mobile_or_id(demo_actors, numbers):
    """As the grid exports (ui/kit/grid.py): the whole list, page_size=None, through frame_to_bytes."""
    exported = 0
    for name in LISTS:
        args = {**synthesised_args(ENTRY_POINTS[name]), "query": ListQuery(page_size=None)}
        for role in [r for r in WITHOUT_REVEAL if "data.export" in PERMISSIONS[r]]:
            try:
                result = ENTRY_POINTS[name](actor=demo_actors[role], **args)
            except DomainError:
                continue  # not this role's list (the matrix checks that), or not on these arguments
            assert isinstance(result, PageResult), name
            if result.rows.empty:
                continue
            exported += 1
            data = frame_to_bytes(result.rows, "csv")  # the grid's export: the same frame, as a file
            assert not leaked(data, numbers), (name, role.value, leaked(data, numbers))
    assert exported >= 20, exported  # the lists of people, units, tickets, payments... were really exported


def test_the_people_list_and_its_export_show_masked_mobiles_and_ids(demo_actors):
    rows = people.list_people(actor=demo_actors[Role.CLERK], query=ListQuery(page_size=None)).rows
    assert len(rows) > 1000
    assert all(MASKED_MOBILE.fullmatch(m) for m in rows["mobile"] if m)
    assert all(MASKED_ID.fullmatch(i) for i in rows["id_number"] if i)
    for fmt in ("csv", "xlsx"):
        text = as_text(frame_to_bytes(rows, fmt, sheet="人员"))
        assert len(MASKED_MOBILE.findall(text)) == sum(1 for m in rows["mobile"] if m), fmt
        assert len(MASKED_ID.findall(text)) == sum(1 for i in rows["id_number"] if i), fmt


def test_reveal_gives_the_full_number_only_to_people_reveal_and_writes_an_audit_row(demo_actors):
    with read_session() as s:
        person_id, mobile = s.execute(select(Person.id, Person.mobile).limit(1)).one()
    assert people.reveal(actor=demo_actors[Role.SERVICE], person_id=person_id, field="mobile") == mobile
    for role in WITHOUT_REVEAL:
        with pytest.raises(DomainError):
            people.reveal(actor=demo_actors[role], person_id=person_id, field="mobile")


# --- a contact's number: full to whoever calls back ------------------------------------------------------------


def _first(stmt):
    with read_session() as s:
        return s.execute(stmt.limit(1)).one()


def _all(stmt):
    with read_session() as s:
        return s.execute(stmt).all()


def test_a_tickets_caller_phone_is_full_for_its_assignee_and_reveal_holders_masked_for_others(demo_actors):
    engineer = demo_actors[Role.ENGINEER]
    ticket_id, phone, responder = _first(select(Ticket.id, Ticket.caller_phone, Ticket.first_responder_id)
                                         .where(Ticket.assignee_id == engineer.user_id))
    assert responder != engineer.user_id
    shown = {role: ticket_lists.ticket_detail(actor=demo_actors[role], ticket_id=ticket_id).caller_phone
             for role in Role}
    assert shown[Role.ENGINEER] == phone  # dispatched to them: they call the resident
    assert shown[Role.SERVICE] == shown[Role.MANAGER] == shown[Role.ADMIN] == phone
    assert shown[Role.CASHIER] == shown[Role.CLERK] == mask_mobile(phone) != phone


def test_a_paid_service_orders_phone_is_full_for_its_worker_and_reveal_holders_masked_for_others(demo_actors):
    engineer = demo_actors[Role.ENGINEER]
    order_id, phone = _first(select(PaidServiceOrder.id, PaidServiceOrder.requester_phone)
                             .where(PaidServiceOrder.staff_id == engineer.staff_id))
    assert paid_services.get_order(actor=engineer, order_id=order_id).requester_phone == phone
    assert paid_services.get_order(actor=demo_actors[Role.SERVICE], order_id=order_id).requester_phone == phone
    clerk = paid_services.get_order(actor=demo_actors[Role.CLERK], order_id=order_id).requester_phone
    assert clerk == mask_mobile(phone) != phone
    listed = paid_services.list_orders(actor=engineer, query=ListQuery(search=phone[-4:])).rows
    assert phone not in set(listed["phone"])  # the list masks for every role without reveal


def test_lost_and_found_phones_are_masked_for_the_clerk(demo_actors):
    item_id, finder, claimant = _first(select(LostItem.id, LostItem.finder_phone, LostItem.claimant_phone))
    view = lost_found.item(actor=demo_actors[Role.CLERK], item_id=item_id)
    assert finder not in repr(view) and claimant not in repr(view)
    assert mask_mobile(finder) in repr(view)


# --- PDFs -------------------------------------------------------------------------------------------------------

# What feeds each PDF: none carries a resident's phone or ID number (`contact` is the service centre's line).
PDF_DOCUMENTS = [documents.ReceiptDoc, documents.ReceiptLine, documents.RefundDoc, documents.NoticeLine,
                 documents.DunningNotice, notice_print.NoticeDoc, notice_print.FoundItemLine,
                 notice_print.LostNoticeDoc, inspections.ViolationView, ScorecardView]


@pytest.mark.parametrize("doc", PDF_DOCUMENTS, ids=lambda d: d.__name__)
def test_no_pdf_document_has_a_field_for_a_phone_or_an_id_number(doc):
    personal = [f.name for f in dataclasses.fields(doc) if re.search(r"phone|mobile|id_number|id_card", f.name)]
    assert personal == []


def test_a_receipt_and_a_dunning_notice_printed_by_a_role_without_reveal_hold_no_full_number(demo_actors,
                                                                                             numbers):
    """Read back from the PDF bytes: the payer's name is there, no full mobile or ID number is."""
    cashier_, clerk = demo_actors[Role.CASHIER], demo_actors[Role.CLERK]
    payment_id, payer = _first(select(Payment.id, Payment.payer_name).where(Payment.status == "有效"))
    receipt = pdf_text(cashier.receipt_pdf(actor=cashier_, payment_id=payment_id))
    assert payer in receipt and "收据" in receipt
    assert not leaked(receipt, numbers)
    owing = {b: len(arrears.notices_for_building(actor=clerk, building_id=b))
             for b in {b for (b,) in _all(select(Unit.building_id).distinct())}}
    building = min((b for b, n in owing.items() if n), key=lambda b: owing[b])  # the fewest pages to draw
    notices = arrears.notices_pdf(actor=clerk, building_id=building, pay_by=local_today()).pdf
    assert notices is not None
    text = pdf_text(notices)
    assert "催缴" in text.replace(" ", "")
    assert not leaked(text, numbers)


def test_what_feeds_the_violation_and_lost_and_found_notices_holds_no_full_number(demo_actors, numbers):
    clerk = demo_actors[Role.CLERK]
    for (violation_id,) in _all(select(Violation.id).where(Violation.notice_no != "")):
        view = inspections.violation(actor=clerk, violation_id=violation_id)
        assert not leaked(violation_notice.notice_text(view), numbers)
        assert not leaked(view, numbers)
    for (item_id,) in _all(select(LostItem.id)):
        assert not leaked(lost_found.item(actor=clerk, item_id=item_id), numbers)


# --- scorecards: one's own only ----------------------------------------------------------------------------------


def _latest_period() -> str:
    """The last month the demo appraised (its history is relative to today)."""
    return str(_first(select(func.max(Scorecard.period)).where(Scorecard.status == scorecards.APPROVED))[0])


def _card(staff_id: int, period: str) -> int | None:
    with read_session() as s:
        return s.scalar(select(Scorecard.id).where(Scorecard.staff_id == staff_id, Scorecard.period == period))


def test_a_member_of_staff_reads_only_their_own_scorecard(demo_actors):
    me, other = demo_actors[Role.CASHIER], demo_actors[Role.ENGINEER]
    period = _latest_period()
    mine, theirs = _card(me.staff_id, period), _card(other.staff_id, period)
    assert mine is not None and theirs is not None
    assert scorecards.scorecard(actor=me, card_id=mine).staff_id == me.staff_id
    for read in (lambda: scorecards.scorecard(actor=me, card_id=theirs),
                 lambda: card_pdf.card_pdf(actor=me, card_id=theirs),
                 lambda: scorecards.evidence(actor=me, card_id=theirs, key="attendance"),
                 lambda: scorecards.kpi_trend(actor=me, staff_id=other.staff_id, months=[period])):
        with pytest.raises(NotFound):
            read()
    assert set(scorecards.month_view(actor=me, period=period)["staff_id"]) == {me.staff_id}
    assert len(scorecards.score_distribution(actor=me, period=period)) == 1
    own = {card for card, _, _ in scorecards.own_scorecards(actor=me)}
    assert mine in own and theirs not in own
    workbook = as_text(scorecards.month_workbook(actor=me, period=period))
    assert {name for name in _staff_names().values() if name in workbook} == {_staff_names()[me.staff_id]}


def test_a_manager_reads_only_their_own_departments_scorecards(demo_actors):
    manager = demo_actors[Role.MANAGER]  # 客服部
    period = _latest_period()
    with read_session() as s:
        department = dict(s.execute(select(Staff.id, Staff.department_id)).all())
    outside = next(staff for staff, dep in department.items()
                   if dep != department[manager.staff_id] and _card(staff, period) is not None)
    with pytest.raises(NotFound):
        scorecards.scorecard(actor=manager, card_id=_card(outside, period))
    seen = set(scorecards.month_view(actor=manager, period=period)["staff_id"])
    assert seen and {department[s] for s in seen} == {department[manager.staff_id]}


def _staff_names() -> dict[int, str]:
    with read_session() as s:
        return dict(s.execute(select(Staff.id, Staff.name)).all())

