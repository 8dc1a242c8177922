"""The ticket rules the admin edits: categories, time limits (SLA) and the holiday calendar."""

from __future__ import annotations

from datetime import date

import pytest

from db.engine import unit_of_work
from db.models import Holiday, SlaPolicy
from services import reference, tickets, workdays
from services.auth import SYSTEM_ACTOR, Role
from services.editing import RowEdit
from services.errors import Conflict, PermissionDenied, ValidationError
from services.listing import ListQuery
from tests.factories import actor_for, db_state, get_row


@pytest.fixture
def rules(db):
    with unit_of_work() as uow:
        tickets.seed_policies(uow.session)
        tickets.seed_categories(uow.session)
        uow.commit()
    return db


def _policy(ticket_type: str):
    rows = reference.list_reference(actor=SYSTEM_ACTOR, table="sla_policies", query=ListQuery()).rows
    return rows[rows.ticket_type == ticket_type].iloc[0]


@pytest.mark.parametrize("amount", ["0", "-4", "abc", "721"])
def test_a_time_limit_of_zero_negative_or_nonsense_hours_is_refused(rules, amount):
    row = _policy("投诉")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        reference.update_reference(actor=SYSTEM_ACTOR, table="sla_policies",
                                   edits=[RowEdit(int(row.id), int(row.version), {"amount": amount})])
    assert "时限" in exc.value.message
    assert db_state() == before


def test_the_list_shows_time_units_in_chinese_and_an_edit_stores_the_code(rules):
    row = _policy("建议")
    assert row.unit == "工作日"
    reference.update_reference(actor=SYSTEM_ACTOR, table="sla_policies",
                               edits=[RowEdit(int(row.id), int(row.version), {"unit": "小时", "amount": "48"})])
    stored = get_row(SlaPolicy, int(row.id))
    assert (stored.unit, stored.amount) == ("hours", 48)


def test_a_second_general_rule_for_a_type_is_a_conflict(rules):
    with pytest.raises(Conflict) as exc:
        reference.create_reference(actor=SYSTEM_ACTOR, table="sla_policies",
                                   values={"ticket_type": "报修", "unit": "小时", "amount": "12", "needs_revisit": "是"})
    assert "时限规定已存在：报修" in exc.value.message


def test_the_seed_categories_are_a_two_level_classifier(rules):
    options = reference.ticket_category_options(actor=SYSTEM_ACTOR)
    assert "户内 · 给排水" in options.values()
    assert len(options) == len(tickets.DEFAULT_CATEGORIES)


def test_an_admin_adds_a_make_up_working_day_by_hand(rules):
    reference.create_reference(actor=SYSTEM_ACTOR, table="holidays",
                               values={"day": "2027-02-07", "is_workday": "是", "name": "调休上班"})
    with unit_of_work() as uow:
        row = uow.session.query(Holiday).filter_by(day=date(2027, 2, 7)).one()
        assert (row.is_workday, row.source) == (True, "手工")
    cal = workdays.WorkCalendar.load(date(2027, 2, 1), date(2027, 2, 28))
    assert cal.is_workday(date(2027, 2, 7))  # a Sunday made a working day
    assert workdays.uncovered_years([2027]) == []


def test_an_impossible_holiday_date_is_refused(rules):
    with pytest.raises(ValidationError) as exc:
        reference.create_reference(actor=SYSTEM_ACTOR, table="holidays",
                                   values={"day": "2027-02-30", "is_workday": "否", "name": "错日期"})
    assert "日期不存在" in exc.value.message


def test_only_an_admin_edits_the_ticket_rules(rules):
    row = _policy("投诉")
    for role in (Role.MANAGER, Role.SERVICE, Role.CLERK, Role.ENGINEER, Role.CASHIER):
        with pytest.raises(PermissionDenied):
            reference.update_reference(actor=actor_for(role), table="sla_policies",
                                       edits=[RowEdit(int(row.id), int(row.version), {"amount": "12"})])
