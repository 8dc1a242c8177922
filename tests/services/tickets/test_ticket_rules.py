"""The ticket rules the admin edits: categories, time limits (SLA) and the holiday calendar."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from db.engine import unit_of_work
from db.models import Holiday, SlaPolicy, Ticket, Unit
from services.admin import reference
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, PermissionDenied, ValidationError
from services.platform.listing import ListQuery
from services.tickets import workdays
from services.tickets import workflow as tickets
from tests.factories import actor_for, audit_json, audit_rows, db_state, get_row, make_ticket, make_units


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


# --- time limits for a type and a ticket category ---------------------------------------------------

ADMIN = actor_for(Role.ADMIN, "rules_admin")


def _category(place: str = "电梯", problem: str = "困人") -> int:
    options = reference.ticket_category_options(actor=SYSTEM_ACTOR)
    return next(cid for cid, text in options.items() if text == f"{place} · {problem}")


def _add_rule(category_id: int | None, ticket_type: str = "报修", amount: str = "2", unit: str = "小时") -> int:
    return reference.create_reference(actor=ADMIN, table="sla_policies", values={
        "ticket_type": ticket_type, "category_id": category_id, "unit": unit, "amount": amount,
        "needs_revisit": "是"})


def test_an_admin_adds_a_rule_for_a_type_and_category_and_the_list_names_the_category(rules):
    policy_id = _add_rule(_category())
    stored = get_row(SlaPolicy, policy_id)
    assert (stored.ticket_type, stored.category_id, stored.unit, stored.amount) == ("报修", _category(), "hours", 2)
    rows = reference.list_reference(actor=ADMIN, table="sla_policies", query=ListQuery(search="报修")).rows
    assert sorted(rows["category"]) == ["全部分类", "电梯 · 困人"]
    found = reference.list_reference(actor=ADMIN, table="sla_policies", query=ListQuery(search="困人")).rows
    assert list(found["id"]) == [policy_id]
    [entry] = audit_rows(action="create", entity="sla_policies")
    assert audit_json(entry)[1]["category_id"] == _category()


def test_a_category_rule_is_edited_in_the_grid_and_its_errors_name_type_and_category(rules):
    policy_id = _add_rule(_category())
    reference.update_reference(actor=ADMIN, table="sla_policies",
                               edits=[RowEdit(policy_id, 1, {"amount": "4", "unit": "工作日"})])
    assert (get_row(SlaPolicy, policy_id).unit, get_row(SlaPolicy, policy_id).amount) == ("working_days", 4)
    with pytest.raises(ValidationError) as exc:
        reference.update_reference(actor=ADMIN, table="sla_policies", edits=[RowEdit(policy_id, 2, {"amount": "0"})])
    assert exc.value.row_errors == {"时限规定 报修 · 电梯 · 困人": {"时限": "不能小于 1"}}


def test_a_second_rule_for_the_same_type_and_category_is_refused_and_says_what_to_do(rules):
    policy_id = _add_rule(_category())
    before = db_state()
    with pytest.raises(Conflict) as exc:
        _add_rule(_category(), amount="8")
    assert exc.value.message == "时限规定已存在：报修 · 电梯 · 困人（请修改现有规定）"
    reference.update_reference(actor=ADMIN, table="sla_policies", edits=[RowEdit(policy_id, 1, {"active": "否"})])
    with pytest.raises(Conflict) as exc:
        _add_rule(_category(), amount="8")
    assert exc.value.message == "时限规定已存在：报修 · 电梯 · 困人（现有规定已停用，请在表格中重新启用并修改）"
    _add_rule(_category(), ticket_type="投诉")  # the same category under another type is another rule
    assert len(db_state()["sla_policies"]) == len(before["sla_policies"]) + 1


@pytest.mark.parametrize(("amount", "message"), [("0", "不能小于 1"), ("-3", "不能小于 1"), ("", "必填")])
def test_a_category_rule_without_a_positive_limit_is_refused(rules, amount, message):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        _add_rule(_category(), amount=amount)
    assert exc.value.errors == {"时限": message}
    assert db_state() == before


def test_a_rule_for_an_unknown_or_disabled_category_is_refused(rules):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        _add_rule(999_999)
    assert exc.value.errors == {"报事分类": "不存在，请从报事分类中选择"}
    category_id = _category("绿化", "修剪")
    reference.update_reference(actor=ADMIN, table="ticket_categories",
                               edits=[RowEdit(category_id, 1, {"active": "否"})])
    with pytest.raises(ValidationError) as exc:
        _add_rule(category_id)
    assert exc.value.errors == {"报事分类": "“绿化 · 修剪”已停用"}
    assert db_state()["sla_policies"] == before["sla_policies"]


def test_a_ticket_of_the_category_taken_after_the_rule_gets_its_deadline_and_old_tickets_keep_theirs(rules):
    [unit_id] = make_units(1)
    estate_id = get_row(Unit, unit_id).estate_id
    desk = actor_for(Role.SERVICE, "rules_desk")
    received = tickets.utcnow().replace(second=0, microsecond=0) - timedelta(hours=1)
    lift, lamp = _category(), _category("公共区域", "照明")

    def take(category_id: int) -> Ticket:
        ticket_id, _ = make_ticket(desk, estate_id, unit_id, received_at=received, category_id=category_id)
        return get_row(Ticket, ticket_id)

    before_rule = take(lift)
    policy_id = _add_rule(lift, amount="2")
    after_rule, other_category = take(lift), take(lamp)
    reference.update_reference(actor=ADMIN, table="sla_policies", edits=[RowEdit(policy_id, 1, {"amount": "6"})])
    after_edit = take(lift)

    assert before_rule.deadline_at == received + timedelta(hours=24)  # the general 报修 rule, as when taken
    assert after_rule.deadline_at == received + timedelta(hours=2)
    assert other_category.deadline_at == received + timedelta(hours=24)
    assert after_edit.deadline_at == received + timedelta(hours=6)
    assert get_row(Ticket, before_rule.id).deadline_at == before_rule.deadline_at
    assert get_row(Ticket, after_rule.id).deadline_at == received + timedelta(hours=2)
