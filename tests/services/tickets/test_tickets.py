"""Tickets 报事 (services/tickets/workflow): intake, numbers, deadlines, the status machine, revisits, rulings, timeline.

The tickets module reads "now" from `tickets.utcnow`; the `clock` fixture pins it (and lets a test move it),
so the 31-day intake window, the 国庆节 2026 week and the expected numbers never depend on the day the
suite runs. Explicit `at=` times stand for when a step really happened.

Backend-neutral tables (which role may make which move, which status a move may start from) run on SQLite
only; everything that writes numbers, deadlines, events and audit rows runs on all three backends.
"""

from __future__ import annotations

import contextlib
import io
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pandas as pd
import pytest
from sqlalchemy import select

from db.engine import read_session, unit_of_work
from db.models import Counter, Revisit, SlaPolicy, Ticket, TicketCategory, TicketEvent, Unit
from services import kpi
from services.admin.system import export_table
from services.platform.auth import SYSTEM_ACTOR, Actor, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, DomainError, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.tickets import workdays
from services.tickets import workflow as tickets
from services.tickets.lists import list_tickets, ticket_detail
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    bulk_units,
    count_rows,
    db_state,
    force_columns,
    get_row,
    make_estate,
    make_staff,
    make_ticket,
    make_units,
    make_user,
    roles_with,
    roles_without,
    second_waits_on_lock,
    seed_ticket_policies,
    sqlite_only,
)

ADMIN = actor_for(Role.ADMIN)
SERVICE = actor_for(Role.SERVICE)
MANAGER = actor_for(Role.MANAGER)
ENGINEER = actor_for(Role.ENGINEER)
STATUSES = ("待派单", "已派单", "处理中", "已完成", "待回访", "已关闭", "已撤销")
NUMBER = re.compile(r"^(BX|TS|ZX|JY|QZ|BY)\d{8}-\d{3}$")


def at(m: int, d: int, hh: int = 10, mm: int = 0, y: int = 2026) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


def close_of(m: int, d: int) -> datetime:
    """23:59:59 local on that day of 2026: where a working-day deadline ends."""
    return datetime(2026, m, d, 23, 59, 59, tzinfo=SHANGHAI)


class Clock:
    """The tickets module's now; a test moves it with `clock.now = ...`."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        return self.now.astimezone(UTC)


@pytest.fixture
def clock(monkeypatch) -> Clock:
    """Now is Monday 2026-11-23 10:00 in Shanghai, for the tickets module."""
    c = Clock(at(11, 23, 10))
    monkeypatch.setattr(tickets, "utcnow", c)
    return c


@dataclass(frozen=True)
class Desk:
    estate_id: int
    unit_id: int
    unit2_id: int
    foreign_unit_id: int  # a unit of another estate
    clock: Clock


@pytest.fixture
def desk(db, clock) -> Desk:
    """Seed SLA policies and the 2026 holidays; one estate with two units and a second estate with one."""
    seed_ticket_policies()
    workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[2026])
    unit_id, unit2_id = make_units(2)
    other_estate, [other_building] = make_estate("E2", "别的小区")
    [foreign] = bulk_units(other_estate, other_building, 1)
    return Desk(get_row(Unit, unit_id).estate_id, unit_id, unit2_id, foreign, clock)


def _take(desk: Desk, ticket_type: str = "报修", received: datetime | None = None, *, actor: Actor = SERVICE,
          unit: int | None | str = "default", **fields) -> tuple[int, str]:
    unit_id = desk.unit_id if unit == "default" else unit
    return make_ticket(actor, desk.estate_id, unit_id, ticket_type=ticket_type, received_at=received, **fields)


def _t(ticket_id: int) -> Ticket:
    return get_row(Ticket, ticket_id)


def _move(ticket_id: int, action: str, *, actor: Actor = SERVICE, note: str = "", version: int | None = None,
          **kwargs) -> None:
    tickets.move(actor=actor, ticket_id=ticket_id, version=_t(ticket_id).version if version is None else version,
                 action=action, note=note, **kwargs)


def _revisit(ticket_id: int, result: str = "满意", *, method: str = "电话", comment: str = "",
             actor: Actor = SERVICE, at: datetime | None = None) -> None:
    tickets.record_revisit(actor=actor, ticket_id=ticket_id, version=_t(ticket_id).version, method=method,
                           result=result, comment=comment, at=at)


def _events(ticket_id: int) -> list[TicketEvent]:
    with read_session() as s:
        rows = list(s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id)
                              .order_by(TicketEvent.id)))
        s.expunge_all()
        return rows


def _revisits(ticket_id: int) -> list[Revisit]:
    with read_session() as s:
        rows = list(s.scalars(select(Revisit).where(Revisit.ticket_id == ticket_id).order_by(Revisit.id)))
        s.expunge_all()
        return rows


def _ticket_audits(ticket_id: int) -> list:
    return audit_rows(entity="tickets", entity_id=str(ticket_id))


def _counter(name: str) -> int | None:
    with read_session() as s:
        return s.scalar(select(Counter.value).where(Counter.name == name))


# --- intake: numbers -------------------------------------------------------------------------------------


def test_numbers_carry_the_type_prefix_and_the_local_receiving_date(desk):
    # 2026-11-22 00:30 in Shanghai is still 2026-11-21 in UTC: the local date names the ticket
    _, after_midnight = _take(desk, "报修", at(11, 22, 0, 30))
    _, before_midnight = _take(desk, "报修", at(11, 21, 23, 30))
    _, complaint = _take(desk, "投诉", at(11, 22, 9))
    assert after_midnight == "BX20261122-001"
    assert before_midnight == "BX20261121-001"
    assert complaint == "TS20261122-001"
    assert all(NUMBER.match(n) for n in (after_midnight, before_midnight, complaint))


def test_each_type_counts_its_own_day_without_gaps_across_many_intakes(desk):
    kinds = ["报修", "投诉", "报修", "咨询", "报修", "报修", "投诉", "报修", "建议", "报修", "报修", "投诉",
             "报修", "报修", "求助", "报修", "表扬", "报修"]
    numbers: dict[str, list[str]] = {}
    for i, kind in enumerate(kinds):
        _, number = _take(desk, kind, at(11, 22, 8, i * 3), unit=desk.unit_id)
        numbers.setdefault(kind, []).append(number)
    _, next_day = _take(desk, "报修", at(11, 23, 8))

    prefix = {k: tickets.PREFIX[k] for k in numbers}
    for kind, got in numbers.items():
        assert got == [f"{prefix[kind]}20261122-{i:03d}" for i in range(1, len(got) + 1)], kind
    assert len(numbers["报修"]) == kinds.count("报修") == 11
    assert next_day == "BX20261123-001"
    assert _counter("ticket:BX20261122") == 11  # the counter says exactly how many were issued


def test_a_refused_intake_does_not_use_up_a_number(desk, monkeypatch):
    _, first = _take(desk, "报修", at(11, 22, 8))
    before = db_state()
    refusals = [
        dict(content="   "),  # refused before the transaction
        dict(unit=desk.foreign_unit_id),  # refused inside it, before the counter
    ]
    for kw in refusals:
        with pytest.raises(ValidationError):
            _take(desk, "报修", at(11, 22, 9), **kw)
    assert db_state() == before

    # a failure after the counter was advanced rolls the counter back with everything else
    def broken_audit(*args, **kwargs):
        raise RuntimeError("disk full")

    with monkeypatch.context() as m:
        m.setattr(tickets.audit, "record", broken_audit)
        with pytest.raises(RuntimeError):
            _take(desk, "报修", at(11, 22, 9))
    assert db_state() == before

    _, second = _take(desk, "报修", at(11, 22, 10))
    assert (first, second) == ("BX20261122-001", "BX20261122-002")


# --- intake: deadlines ---------------------------------------------------------------------------------


def test_hour_deadlines_run_from_the_real_receiving_time(desk):
    cases = {"报修": 24, "投诉": 24, "咨询": 4, "求助": 2}
    received = at(11, 22, 21, 15)
    for kind, hours in cases.items():
        ticket_id, _ = _take(desk, kind, received)
        assert _t(ticket_id).deadline_at == received + timedelta(hours=hours), kind


def test_a_suggestion_gets_three_working_days_across_national_day_and_its_make_up_saturday(desk):
    desk.clock.now = at(10, 12, 9)
    # 10-01..10-07 off; 10-08 Thu = 1, 10-09 Fri = 2, 10-10 Sat (调休上班) = 3
    suggestion, _ = _take(desk, "建议", at(9, 30, 10), unit=None)
    # taken on a holiday: counting starts on the next working day
    holiday, _ = _take(desk, "建议", at(10, 3, 15), unit=None)
    # taken on Friday 10-09 at 16:00: 10-10 Sat (调休) = 1, 10-11 Sun off, 10-12 = 2, 10-13 = 3
    praise, _ = _take(desk, "表扬", at(10, 9, 16), unit=None)
    assert _t(suggestion).deadline_at == close_of(10, 10)
    assert _t(holiday).deadline_at == close_of(10, 10)
    assert _t(praise).deadline_at == close_of(10, 13)


def test_changing_the_policy_later_does_not_move_old_deadlines(desk):
    old, _ = _take(desk, "报修", at(11, 22, 9))
    with read_session() as s:
        policy_id = s.scalar(select(SlaPolicy.id).where(SlaPolicy.ticket_type == "报修"))
    force_columns(SlaPolicy, policy_id, unit="working_days", amount=2)

    new, _ = _take(desk, "报修", at(11, 22, 9))
    assert _t(old).deadline_at == at(11, 23, 9)  # 24 hours, as fixed when it was received
    assert _t(new).deadline_at == close_of(11, 24)  # Sun 11-22 -> Mon 11-23 = 1, Tue 11-24 = 2


def test_a_category_policy_wins_over_the_general_one_of_its_type(desk):
    with unit_of_work() as uow:
        cat = TicketCategory(place="电梯", problem="困人")
        uow.session.add(cat)
        uow.session.flush()
        uow.session.add(SlaPolicy(ticket_type="报修", category_id=cat.id, unit="hours", amount=1,
                                  needs_revisit=True))
        cat_id = cat.id
        uow.commit()
    urgent, _ = _take(desk, "报修", at(11, 22, 9), category_id=cat_id, urgency="紧急")
    ordinary, _ = _take(desk, "报修", at(11, 22, 9))
    assert _t(urgent).deadline_at == at(11, 22, 10)
    assert _t(ordinary).deadline_at == at(11, 23, 9)


def test_a_type_without_a_policy_is_refused_in_chinese(desk):
    with unit_of_work() as uow:
        uow.session.query(SlaPolicy).filter(SlaPolicy.ticket_type == "求助").delete()
        uow.commit()
    with pytest.raises(Conflict, match="没有“求助”的时限规定"):
        _take(desk, "求助", at(11, 22, 9), unit=None)
    assert count_rows(Ticket) == 0


# --- intake: night tickets, bad input, first responder --------------------------------------------------


def test_a_night_ticket_keeps_its_real_time_and_records_who_entered_it_next_morning(desk):
    clerk = make_user(Role.SERVICE, "desk_morning")
    desk.clock.now = at(11, 23, 8, 30)
    night = at(11, 22, 23, 40)
    ticket_id, number = _take(desk, "报修", night, actor=clerk, channel="夜间值班")

    t = _t(ticket_id)
    assert number == "BX20261122-001"  # the night's date, not the morning's
    assert t.received_at == night
    assert t.entered_at == at(11, 23, 8, 30)
    assert t.entered_by == clerk.user_id
    assert t.deadline_at == night + timedelta(hours=24)
    [created] = _events(ticket_id)
    assert created.kind == "create" and created.at == night  # the timeline shows the real time
    assert created.actor_user_id == clerk.user_id
    assert "事后补录" in created.note and clerk.display_name in created.note and "夜间值班" in created.note


def test_a_ticket_entered_within_half_an_hour_is_not_marked_as_entered_afterwards(desk):
    ticket_id, _ = _take(desk, "报修", desk.clock.now - timedelta(minutes=29))
    [created] = _events(ticket_id)
    assert created.note == "电话受理"
    ticket_id, _ = _take(desk, "报修", desk.clock.now - timedelta(minutes=31))
    assert "事后补录" in _events(ticket_id)[0].note


BAD_INTAKES = {
    "received in the future": (dict(received=at(11, 23, 10, 10)), "受理时间", "不能晚于现在"),
    "received without a time zone": (dict(received=datetime(2026, 11, 23, 9)), "受理时间", "时区"),
    "received more than 31 days ago": (dict(received=at(10, 20, 10)), "受理时间", "31 天"),
    "empty content": (dict(content=""), "内容", "必填"),
    "blank content": (dict(content=" \n "), "内容", "必填"),
    "repair without unit": (dict(unit=None), "房屋", "报修和投诉必须选择房屋"),
    "complaint without unit": (dict(ticket_type="投诉", unit=None), "房屋", "报修和投诉必须选择房屋"),
    "unit of another estate": (dict(unit="foreign"), "房屋", "不属于所选小区"),
    "unknown type": (dict(ticket_type="催缴"), "类型", "应为以下之一"),
    "unknown channel": (dict(channel="传真"), "渠道", "应为以下之一"),
}


@pytest.mark.parametrize("case", list(BAD_INTAKES))
def test_bad_intake_is_refused_with_the_field_and_writes_nothing(desk, case):
    kw, field, message = BAD_INTAKES[case]
    kw = dict(kw)
    ticket_type = kw.pop("ticket_type", "报修")
    received = kw.pop("received", at(11, 23, 9))
    if kw.get("unit") == "foreign":
        kw["unit"] = desk.foreign_unit_id
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        _take(desk, ticket_type, received, **kw)
    assert message in refused.value.errors[field]
    assert db_state() == before
    _, number = _take(desk, "报修", at(11, 23, 9))
    assert number == "BX20261123-001"


@pytest.mark.parametrize("kind", ["咨询", "建议", "求助", "表扬"])
def test_types_other_than_repairs_and_complaints_need_no_unit(desk, kind):
    ticket_id, number = _take(desk, kind, at(11, 23, 9), unit=None)
    assert _t(ticket_id).unit_id is None and number.startswith(tickets.PREFIX[kind])


def test_the_first_responder_is_the_user_who_took_the_ticket(desk):
    clerk = make_user(Role.CLERK, "clerk1")
    ticket_id, _ = _take(desk, "投诉", at(11, 23, 9), actor=clerk)
    t = _t(ticket_id)
    assert t.first_responder_id == clerk.user_id == t.entered_by
    assert t.status == "待派单"
    _move(ticket_id, "dispatch", actor=make_user(Role.MANAGER, "boss"), department="工程")
    assert _t(ticket_id).first_responder_id == clerk.user_id  # dispatching does not pass the responsibility
    created, dispatched = _ticket_audits(ticket_id)
    assert dispatched.action == "dispatch"
    assert created.action == "create" and created.actor_user_id == clerk.user_id
    assert audit_json(created)[1]["number"] == _t(ticket_id).number


@sqlite_only
@pytest.mark.parametrize("role", roles_without("tickets.take"))
def test_roles_without_intake_rights_cannot_take_a_ticket(desk, role):
    with pytest.raises(PermissionDenied, match="受理报事"):
        _take(desk, "报修", at(11, 23, 9), actor=actor_for(role))
    assert count_rows(Ticket) == 0


# --- the status machine --------------------------------------------------------------------------------


def _ticket_in(desk: Desk, status: str, ticket_type: str = "报修") -> int:
    """A ticket put into `status` (for 待回访: completed through the service, so its revisit is pending)."""
    ticket_id, _ = _take(desk, ticket_type, at(11, 23, 8), unit=desk.unit_id)
    if status == "待回访":
        _move(ticket_id, "complete", actor=ADMIN, at=at(11, 23, 9))
        assert _t(ticket_id).status == "待回访"
    elif status != "待派单":
        force_columns(Ticket, ticket_id, status=status, completed_at=at(11, 23, 9) if status in (
            "已完成", "已关闭") else None)
    return ticket_id


def _do(move: str, ticket_id: int, actor: Actor) -> None:
    if move == "revisit":
        _revisit(ticket_id, actor=actor)
    else:
        _move(ticket_id, move, actor=actor, note="说明")


@sqlite_only
@pytest.mark.parametrize("move", list(tickets.MOVES))
def test_every_role_may_make_exactly_the_moves_of_the_table(desk, move):
    starts, leads_to, allowed = tickets.MOVES[move]
    for role in Role:
        ticket_id = _ticket_in(desk, starts[-1])
        if role in allowed:
            _do(move, ticket_id, actor_for(role))
            expected = "待回访" if move == "complete" else leads_to or starts[-1]  # a repair awaits its revisit
            assert _t(ticket_id).status == expected, (move, role)
        else:
            before = db_state()
            with pytest.raises(PermissionDenied, match="无权限"):
                _do(move, ticket_id, actor_for(role))
            assert db_state() == before, (move, role)


@sqlite_only
@pytest.mark.parametrize("move", list(tickets.MOVES))
def test_a_move_from_a_status_outside_the_table_is_refused_with_the_current_status(desk, move):
    starts, _, _ = tickets.MOVES[move]
    ticket_id = _ticket_in(desk, "待派单")
    number = _t(ticket_id).number
    label = tickets.MOVE_LABELS[move]
    for status in STATUSES:
        if status in starts:
            continue
        force_columns(Ticket, ticket_id, status=status)
        before = db_state()
        with pytest.raises(Conflict) as refused:
            _do(move, ticket_id, ADMIN)
        assert f"当前为{status}" in refused.value.message and number in refused.value.message
        assert label in refused.value.message, (move, status)
        assert db_state() == before


def test_completing_a_cancelled_ticket_is_refused(desk):
    ticket_id, number = _take(desk, "报修", at(11, 23, 8))
    _move(ticket_id, "cancel", note="业主已自行修好")
    t = _t(ticket_id)
    assert (t.status, t.cancelled_at) == ("已撤销", desk.clock.now)
    with pytest.raises(Conflict, match=f"工单 {number} 当前为已撤销，不能完成"):
        _move(ticket_id, "complete", actor=ENGINEER)
    assert _t(ticket_id).completed_at is None


@pytest.mark.parametrize("action", ["cancel", "reopen", "note"])
def test_cancel_reopen_and_progress_notes_need_a_written_reason(desk, action):
    ticket_id = _ticket_in(desk, tickets.MOVES[action][0][-1])
    before = db_state()
    for blank in ("", "   "):
        with pytest.raises(ValidationError) as refused:
            _move(ticket_id, action, note=blank)
        assert "说明" in refused.value.errors
    assert db_state() == before


def test_a_move_on_a_version_someone_else_already_changed_is_stale(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    seen = _t(ticket_id).version
    _move(ticket_id, "dispatch", version=seen, department="工程")
    before = db_state()
    with pytest.raises(StaleEdit, match="请刷新后重试"):
        _move(ticket_id, "cancel", version=seen, note="重复报事")
    with pytest.raises(StaleEdit):
        tickets.record_revisit(actor=SERVICE, ticket_id=ticket_id, version=seen, method="电话", result="满意")
    assert db_state() == before
    assert _t(ticket_id).status == "已派单"


def test_unknown_moves_are_refused(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    for action in ("delete", "revisit"):  # a revisit goes through record_revisit with its method and result
        with pytest.raises(ValidationError, match="未知的操作"):
            _move(ticket_id, action)


def test_each_step_writes_one_timeline_event_and_one_audit_row(desk):
    engineer = make_user(Role.ENGINEER, "eng1")
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    steps: list[tuple[Callable[[], None], list[str], str]] = [
        (lambda: _move(ticket_id, "dispatch", department="工程", assignee_id=engineer.user_id,
                       at=at(11, 23, 8, 10)), ["dispatch"], "已派单"),
        (lambda: _move(ticket_id, "accept", actor=engineer, at=at(11, 23, 8, 20)), ["accept"], "处理中"),
        (lambda: _move(ticket_id, "note", actor=engineer, note="已关阀门，待换管", at=at(11, 23, 8, 40)),
         ["note"], "处理中"),
        (lambda: _move(ticket_id, "complete", actor=engineer, at=at(11, 23, 9, 30)), ["complete", "revisit_due"],
         "待回访"),
        (lambda: _revisit(ticket_id, "不满意", comment="还在滴水", at=at(11, 23, 9, 45)), ["revisit"], "已关闭"),
        (lambda: _move(ticket_id, "reopen", note="回访不满意，重新处理"), ["reopen"], "处理中"),
        (lambda: _move(ticket_id, "complete", actor=engineer), ["complete", "revisit_due"], "待回访"),
    ]
    for step, kinds, status in steps:
        events_before, audits_before = len(_events(ticket_id)), len(_ticket_audits(ticket_id))
        step()
        new_events = _events(ticket_id)[events_before:]
        new_audits = _ticket_audits(ticket_id)[audits_before:]
        assert [e.kind for e in new_events] == kinds
        assert len(new_audits) == 1 and new_audits[0].action == kinds[0]
        assert audit_json(new_audits[0])[1]["status"] == status == _t(ticket_id).status
    # the dispatch named department and assignee
    t = _t(ticket_id)
    assert (t.department, t.assignee_id, t.reopen_count) == ("工程", engineer.user_id, 1)


def test_an_inquiry_is_completed_closed_and_cancelled_with_one_event_each(desk):
    ticket_id, _ = _take(desk, "咨询", at(11, 23, 8), unit=None)
    _move(ticket_id, "complete", at=at(11, 23, 8, 30))
    assert _t(ticket_id).status == "已完成"
    _move(ticket_id, "close", at=at(11, 23, 9))
    t = _t(ticket_id)
    assert (t.status, t.closed_at) == ("已关闭", at(11, 23, 9))
    _move(ticket_id, "reopen", note="业主追问")
    _move(ticket_id, "cancel", note="重复")
    assert [e.kind for e in _events(ticket_id)] == ["create", "complete", "close", "reopen", "cancel"]
    assert [a.action for a in _ticket_audits(ticket_id)] == ["create", "complete", "close", "reopen", "cancel"]
    assert _revisits(ticket_id) == []


def test_completion_time_is_recorded_and_may_not_precede_receipt_or_lie_in_the_future(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    before = db_state()
    with pytest.raises(ValidationError, match="完成时间：不能早于受理时间"):
        _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 23, 7, 59))
    with pytest.raises(ValidationError, match="不能晚于现在"):
        _move(ticket_id, "complete", actor=ENGINEER, at=desk.clock.now + timedelta(hours=1))
    assert db_state() == before
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 23, 8))  # the same minute is allowed
    t = _t(ticket_id)
    assert t.completed_at == at(11, 23, 8)
    assert t.handled_at is None  # repairs have no handling time; only complaints do


def test_the_first_progress_note_on_a_complaint_is_its_handling_time(desk):
    ticket_id, _ = _take(desk, "投诉", at(11, 22, 20))
    _move(ticket_id, "note", note="已电话致歉并约定上门", at=at(11, 22, 21))
    _move(ticket_id, "note", note="上门查看", at=at(11, 23, 9))
    assert _t(ticket_id).handled_at == at(11, 22, 21)
    _move(ticket_id, "complete", at=at(11, 23, 9, 30))
    t = _t(ticket_id)
    assert (t.handled_at, t.completed_at) == (at(11, 22, 21), at(11, 23, 9, 30))


def test_a_step_dated_before_the_ticket_was_received_is_refused(desk):
    ticket_id, _ = _take(desk, "投诉", at(11, 23, 8))
    before = db_state()
    with pytest.raises(ValidationError, match="不能早于受理时间"):
        _move(ticket_id, "note", note="已回复业主", at=at(11, 23, 7))
    assert db_state() == before


def test_a_complaint_completed_without_a_note_was_handled_when_completed(desk):
    ticket_id, _ = _take(desk, "投诉", at(11, 22, 20))
    _move(ticket_id, "complete", at=at(11, 23, 9))
    assert _t(ticket_id).handled_at == at(11, 23, 9)


# --- revisits ------------------------------------------------------------------------------------------


def test_a_completed_repair_is_due_for_a_revisit_24_hours_later(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 22, 8))
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 22, 17, 30))
    [revisit] = _revisits(ticket_id)
    assert revisit.due_at == at(11, 23, 17, 30)
    assert revisit.done_at is None and _t(ticket_id).status == "待回访"


def test_a_complaint_is_due_for_a_revisit_at_the_close_of_the_third_working_day_after_handling(desk):
    desk.clock.now = at(10, 12, 9)
    ticket_id, _ = _take(desk, "投诉", at(9, 29, 10))
    _move(ticket_id, "note", note="已致歉，协调施工方", at=at(9, 30, 10))
    _move(ticket_id, "complete", at=at(10, 9, 10))
    # handled 09-30; 10-01..10-07 off; 10-08 = 1, 10-09 = 2, 10-10 Sat (调休上班) = 3
    [revisit] = _revisits(ticket_id)
    assert revisit.due_at == close_of(10, 10)


@pytest.mark.parametrize("kind", ["咨询", "建议", "求助", "表扬"])
def test_types_other_than_repairs_and_complaints_are_not_revisited(desk, kind):
    ticket_id, _ = _take(desk, kind, at(11, 23, 8), unit=None)
    _move(ticket_id, "complete", at=at(11, 23, 9))
    t = _t(ticket_id)
    assert (t.status, t.needs_revisit) == ("已完成", False)
    assert _revisits(ticket_id) == []
    assert [e.kind for e in _events(ticket_id)] == ["create", "complete"]
    with pytest.raises(Conflict, match="当前为已完成"):
        _revisit(ticket_id)


def test_a_revisit_needs_method_and_result_and_a_comment_when_unsatisfied(desk):
    ticket_id = _ticket_in(desk, "待回访")
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        _revisit(ticket_id, result="", method="")
    assert set(refused.value.errors) == {"回访方式", "回访结果"}
    with pytest.raises(ValidationError) as refused:
        _revisit(ticket_id, result="不满意", method="微信", comment="  ")
    assert set(refused.value.errors) == {"回访方式", "回访意见"}
    assert db_state() == before


def test_a_revisit_before_the_completion_is_refused(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 23, 9))
    before = db_state()
    with pytest.raises(ValidationError, match="回访时间：不能早于完成时间"):
        _revisit(ticket_id, at=at(11, 23, 8, 59))
    assert db_state() == before


def test_a_revisit_in_the_future_is_refused(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 23, 9))
    with pytest.raises(ValidationError, match="不能晚于现在"):
        _revisit(ticket_id, at=desk.clock.now + timedelta(days=1))


def test_a_revisit_closes_the_ticket_and_keeps_who_how_and_what(desk):
    caller = make_user(Role.SERVICE, "revisit_desk")
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 23, 9))
    _revisit(ticket_id, "基本满意", method="上门", comment="  师傅准时  ", actor=caller, at=at(11, 23, 9, 50))
    t = _t(ticket_id)
    assert (t.status, t.closed_at) == ("已关闭", at(11, 23, 9, 50))
    [r] = _revisits(ticket_id)
    assert (r.done_at, r.method, r.result, r.comment, r.done_by) == (
        at(11, 23, 9, 50), "上门", "基本满意", "师傅准时", caller.user_id)
    last = _events(ticket_id)[-1]
    assert (last.kind, last.status_from, last.status_to) == ("revisit", "待回访", "已关闭")
    assert "上门回访：基本满意" in last.note


def test_an_unsatisfied_revisit_can_be_reopened_and_the_next_completion_is_revisited_again(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 22, 8))
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 22, 12))
    _revisit(ticket_id, "不满意", comment="还在漏", at=at(11, 22, 18))
    assert _t(ticket_id).status == "已关闭"

    _move(ticket_id, "reopen", note="回访不满意", at=at(11, 22, 18, 5))
    t = _t(ticket_id)
    assert (t.status, t.reopen_count, t.completed_at, t.closed_at) == ("处理中", 1, None, None)
    _move(ticket_id, "complete", actor=ENGINEER, at=at(11, 23, 9))
    first, second = _revisits(ticket_id)
    assert (first.result, first.done_at) == ("不满意", at(11, 22, 18))  # history is kept
    assert (second.due_at, second.done_at) == (at(11, 24, 9), None)
    _revisit(ticket_id, "满意", at=at(11, 23, 9, 30))
    assert [r.result for r in _revisits(ticket_id)] == ["不满意", "满意"]


def test_reopening_while_a_revisit_is_pending_leaves_one_pending_revisit_after_the_next_completion(desk):
    ticket_id = _ticket_in(desk, "待回访")
    _move(ticket_id, "reopen", note="业主来电说还没修好")
    assert _revisits(ticket_id) == []
    _move(ticket_id, "complete", actor=ENGINEER)
    assert [r.done_at for r in _revisits(ticket_id)] == [None]
    assert _t(ticket_id).reopen_count == 1


# --- complaint rulings ---------------------------------------------------------------------------------


@sqlite_only
def test_only_roles_with_ruling_rights_may_rule_a_complaint(desk):
    staff_id = make_staff()
    ticket_id, _ = _take(desk, "投诉", at(11, 23, 8))
    assert set(roles_with("tickets.rule")) == {Role.ADMIN, Role.MANAGER}
    for role in roles_without("tickets.rule"):
        with pytest.raises(PermissionDenied, match="对投诉定性"):
            tickets.rule_complaint(actor=actor_for(role), ticket_id=ticket_id, version=_t(ticket_id).version,
                                   effective=True, responsible_staff_id=staff_id)
    assert _t(ticket_id).ruling == ""


def test_an_effective_complaint_needs_an_existing_responsible_staff_member(desk):
    ticket_id, _ = _take(desk, "投诉", at(11, 23, 8))
    before = db_state()
    for staff_id, message in ((None, "有效投诉必须指定责任人"), (999_999, "员工不存在")):
        with pytest.raises(ValidationError, match=message):
            tickets.rule_complaint(actor=MANAGER, ticket_id=ticket_id, version=_t(ticket_id).version,
                                   effective=True, responsible_staff_id=staff_id)
    assert db_state() == before


def test_only_complaints_are_ruled_and_not_once_cancelled(desk):
    staff_id = make_staff()
    repair, _ = _take(desk, "报修", at(11, 23, 8))
    with pytest.raises(Conflict, match="只有投诉需要定性"):
        tickets.rule_complaint(actor=MANAGER, ticket_id=repair, version=_t(repair).version, effective=True,
                               responsible_staff_id=staff_id)
    complaint, _ = _take(desk, "投诉", at(11, 23, 8))
    _move(complaint, "cancel", note="业主撤回")
    with pytest.raises(Conflict, match="已撤销"):
        tickets.rule_complaint(actor=MANAGER, ticket_id=complaint, version=_t(complaint).version,
                               effective=False, responsible_staff_id=None)


def test_a_ruling_is_recorded_and_feeds_the_effective_complaints_of_the_month(desk):
    staff_id = make_staff("王保安", "S007")
    first, _ = _take(desk, "投诉", at(11, 20, 9))
    second, _ = _take(desk, "投诉", at(11, 21, 9))
    _take(desk, "报修", at(11, 21, 9))
    desk.clock.now = at(11, 23, 11)
    tickets.rule_complaint(actor=MANAGER, ticket_id=first, version=_t(first).version, effective=True,
                           responsible_staff_id=staff_id, note="保安态度差属实")
    tickets.rule_complaint(actor=MANAGER, ticket_id=second, version=_t(second).version, effective=False,
                           responsible_staff_id=staff_id)

    t = _t(first)
    assert (t.ruling, t.ruling_staff_id, t.ruled_at) == ("有效", staff_id, at(11, 23, 11))
    assert (_t(second).ruling, _t(second).ruling_staff_id) == ("无效", None)  # 无效 names nobody
    assert _events(first)[-1].kind == "rule" and "定性为有效：保安态度差属实" in _events(first)[-1].note
    assert audit_json(_ticket_audits(first)[-1]) == ({"ruling": "", "ruling_staff_id": None},
                                                     {"ruling": "有效", "ruling_staff_id": staff_id})
    figures = kpi.ticket_kpis("2026-11", as_of=at(11, 23, 12))
    assert figures["effective_complaints"] == 1
    assert figures["effective_complaint_rate"] == Decimal("0.5000")

    tickets.rule_complaint(actor=MANAGER, ticket_id=first, version=_t(first).version, effective=False,
                           responsible_staff_id=None, note="复核后不成立")
    assert kpi.ticket_kpis("2026-11", as_of=at(11, 23, 12))["effective_complaints"] == 0


# --- timeline ------------------------------------------------------------------------------------------


def test_the_timeline_lists_every_step_oldest_first_with_chinese_labels(desk):
    desk.clock.now = at(11, 23, 8, 30)
    ticket_id, _ = _take(desk, "投诉", at(11, 22, 23, 10), channel="夜间值班")  # entered next morning
    desk.clock.now = at(11, 23, 11)
    _move(ticket_id, "dispatch", department="安保", at=at(11, 23, 8, 31))
    _move(ticket_id, "accept", actor=ENGINEER, at=at(11, 23, 8, 35))
    _move(ticket_id, "note", note="已向业主说明情况", at=at(11, 23, 8, 40))
    _move(ticket_id, "complete", at=at(11, 23, 9))
    _revisit(ticket_id, "满意", at=at(11, 23, 10, 30))
    tickets.rule_complaint(actor=MANAGER, ticket_id=ticket_id, version=_t(ticket_id).version, effective=False,
                           responsible_staff_id=None)

    lines = tickets.timeline(actor=actor_for(Role.CASHIER), ticket_id=ticket_id)  # anyone may read it
    assert [line.kind for line in lines] == ["受理", "派单", "接单", "处理进展", "完成", "待回访", "回访",
                                                "投诉定性"]
    assert [line.at for line in lines] == sorted(line.at for line in lines)
    assert lines[0].at == at(11, 22, 23, 10) and "事后补录" in lines[0].note
    assert [(line.status_from, line.status_to) for line in lines[1:4]] == [
        ("待派单", "已派单"), ("已派单", "处理中"), ("处理中", "处理中")]
    assert lines[4].status_to == "已完成" and lines[5].status_to == "待回访" and lines[6].status_to == "已关闭"
    assert lines[2].actor == ENGINEER.display_name


def test_a_step_recorded_later_with_an_earlier_time_takes_its_place_in_the_timeline(desk):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    _move(ticket_id, "dispatch", at=at(11, 23, 9, 30))
    _move(ticket_id, "note", note="补记：8:45 已电话联系业主", at=at(11, 23, 8, 45))
    kinds = [line.kind for line in tickets.timeline(actor=SERVICE, ticket_id=ticket_id)]
    assert kinds == ["受理", "处理进展", "派单"]


# --- two desks at once (PostgreSQL, MariaDB) -----------------------------------------------------------


def _both(fn_a: Callable[[], object], fn_b: Callable[[], object]) -> list[object]:
    """Run two calls in threads; return each result or the exception it raised."""
    results: list[object] = [None, None]

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _barrier_wait(barrier: threading.Barrier) -> None:
    with contextlib.suppress(threading.BrokenBarrierError):
        barrier.wait()


@pytest.fixture
def server_desk(desk, db):
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; no interleaving")
    return desk


def _two_intakes_at_once(desk: Desk) -> list[object]:
    return _both(lambda: _take(desk, "报修", at(11, 23, 9), caller_name="甲"),
                 lambda: _take(desk, "报修", at(11, 23, 9, 1), caller_name="乙", unit=desk.unit2_id))


def _assert_consecutive(results: list[object], numbers: list[str]) -> None:
    assert all(isinstance(r, tuple) for r in results), results
    assert sorted(number for _, number in results) == numbers
    with read_session() as s:
        stored = sorted(s.scalars(select(Ticket.number)))
    assert stored == sorted({*stored})  # no duplicate
    assert _counter("ticket:BX20261123") == int(numbers[-1][-3:])  # no gap behind the last number


def _second_desk_while_the_first_holds_the_counter(desk: Desk, monkeypatch) -> list[object]:
    """Desk 甲 advances the day's counter and keeps its transaction open; desk 乙 starts meanwhile and must wait."""
    results, second_was_waiting = second_waits_on_lock(monkeypatch, tickets, "_next_number", [
        lambda: _take(desk, "报修", at(11, 23, 9), caller_name="甲"),
        lambda: _take(desk, "报修", at(11, 23, 9, 1), caller_name="乙", unit=desk.unit2_id)])
    assert second_was_waiting, results  # the counter row lock made 乙 queue behind 甲
    return results


def test_two_desks_taking_the_first_repair_of_the_day_at_once_get_001_and_002(server_desk, monkeypatch):
    results = _second_desk_while_the_first_holds_the_counter(server_desk, monkeypatch)
    _assert_consecutive(results, ["BX20261123-001", "BX20261123-002"])
    assert results[0][1] == "BX20261123-001"


def test_a_desk_waits_while_another_holds_the_days_counter_and_gets_the_next_number(server_desk, monkeypatch):
    _take(server_desk, "报修", at(11, 23, 8))  # today's counter exists
    results = _second_desk_while_the_first_holds_the_counter(server_desk, monkeypatch)
    _assert_consecutive(results, ["BX20261123-002", "BX20261123-003"])
    assert results[0][1] == "BX20261123-002"


def test_two_engineers_completing_one_ticket_at_once_leave_one_completion_and_a_stale_edit(server_desk, db,
                                                                                           monkeypatch, request):
    ticket_id, _ = _take(server_desk, "报修", at(11, 23, 8))
    version = _t(ticket_id).version
    barrier = threading.Barrier(2, timeout=1)
    real = tickets._check_move

    def held(*args, **kwargs):  # both have loaded the ticket at the same version
        leads_to = real(*args, **kwargs)
        _barrier_wait(barrier)
        return leads_to

    monkeypatch.setattr(tickets, "_check_move", held)
    results = _both(
        lambda: tickets.move(actor=ENGINEER, ticket_id=ticket_id, version=version, action="complete"),
        lambda: tickets.move(actor=ENGINEER, ticket_id=ticket_id, version=version, action="complete"))
    assert sum(r is None for r in results) == 1
    assert [type(r) for r in results if r is not None] == [StaleEdit], results
    assert [e.kind for e in _events(ticket_id)] == ["create", "complete", "revisit_due"]
    assert len(_revisits(ticket_id)) == 1


def test_two_desks_reaching_the_days_counter_at_the_same_moment_get_consecutive_numbers(
        server_desk, monkeypatch, request, db):
    _take(server_desk, "报修", at(11, 23, 8))  # today's counter exists
    barrier = threading.Barrier(2, timeout=1)
    real_select = tickets.select

    def select_after_both_tried_to_create_the_counter(*args, **kwargs):
        if args and args[0] is Counter:
            _barrier_wait(barrier)
        return real_select(*args, **kwargs)

    monkeypatch.setattr(tickets, "select", select_after_both_tried_to_create_the_counter)
    results = _two_intakes_at_once(server_desk)
    assert not any(isinstance(r, BaseException) and not isinstance(r, DomainError) for r in results), results
    _assert_consecutive(results, ["BX20261123-002", "BX20261123-003"])


# --- end to end: a month of tickets through the services and its KPIs ----------------------------------


def test_a_month_taken_through_the_services_gives_the_hand_computed_ticket_kpis(desk):
    """October 2026 (after 国庆节; 10-10 is a 调休 Saturday), each step at the time it happened."""
    staff_id = make_staff()
    clock = desk.clock

    def take(kind, received, **kw):
        clock.now = received + timedelta(minutes=2)
        return _take(desk, kind, received, unit=kw.pop("unit", desk.unit_id), **kw)[0]

    def step(when, fn, *args, **kw):
        clock.now = when + timedelta(minutes=1)
        fn(*args, at=when, **kw)

    # repairs (24 h deadline; revisit due 24 h after completion)
    r1 = take("报修", at(10, 12, 9))
    step(at(10, 12, 15), _move, r1, "complete", actor=ENGINEER)  # in time
    step(at(10, 13, 10), _revisit, r1, "满意")  # due 10-13 15:00: in time
    r2 = take("报修", at(10, 14, 9))
    step(at(10, 14, 9, 30), _move, r2, "dispatch", department="工程")
    step(at(10, 14, 10), _move, r2, "accept", actor=ENGINEER)
    step(at(10, 16, 10), _move, r2, "complete", actor=ENGINEER)  # deadline 10-15 09:00: late
    step(at(10, 18, 9), _revisit, r2, "不满意", comment="维修慢")  # due 10-17 10:00: late
    r3 = take("报修", at(10, 20, 9))
    step(at(10, 20, 9, 30), _move, r3, "dispatch", department="工程")
    step(at(10, 20, 10), _move, r3, "accept", actor=ENGINEER)  # still open at month end
    r4 = take("报修", at(10, 22, 9))
    step(at(10, 22, 10), _move, r4, "cancel", note="重复报事")  # cancelled: never counts
    r5 = take("报修", at(10, 30, 20))
    # complaints (handled = first documented reply; revisit due 3 working days after handling)
    c1 = take("投诉", at(10, 9, 10))
    step(at(10, 9, 18), _move, c1, "note", note="已致歉并协调")  # handled within 8 h
    step(at(10, 10, 10), _move, c1, "complete")  # revisit due: 10-10 (调休) = 1, 10-12 = 2, 10-13 = 3
    step(at(10, 13, 16), _revisit, c1, "基本满意")
    clock.now = at(10, 14, 9)
    tickets.rule_complaint(actor=MANAGER, ticket_id=c1, version=_t(c1).version, effective=True,
                           responsible_staff_id=staff_id)
    c2 = take("投诉", at(10, 15, 9))
    step(at(10, 17, 10), _move, c2, "complete")  # handled after 49 h; revisit due 10-21 close, never done
    clock.now = at(10, 19, 9)
    tickets.rule_complaint(actor=MANAGER, ticket_id=c2, version=_t(c2).version, effective=False,
                           responsible_staff_id=None)
    take("投诉", at(10, 28, 9))  # c3: not handled
    # an inquiry: no revisit
    z1 = take("咨询", at(10, 13, 10), unit=None)
    step(at(10, 13, 11), _move, z1, "complete")
    step(at(10, 13, 12), _move, z1, "close")
    # November: r5 completed after the month ended
    step(at(11, 1, 9), _move, r5, "complete", actor=ENGINEER)

    assert [_t(i).status for i in (r1, r2, r3, r4, r5, c1, c2, z1)] == [
        "已关闭", "已关闭", "处理中", "已撤销", "待回访", "已关闭", "待回访", "已关闭"]
    assert _revisits(c1)[0].due_at == close_of(10, 13) and _revisits(c2)[0].due_at == close_of(10, 21)

    october = kpi.Period.parse("2026-10")
    assert kpi.ticket_kpis(october, as_of=october.last_instant) == {
        "repair_timeliness": Decimal("0.5000"),  # completed in October: r1 in time, r2 late
        "repair_completion": Decimal("0.5000"),  # received r1, r2, r3, r5 (r4 cancelled); r1, r2 done
        "complaint_timely_rate": Decimal("0.3333"),  # c1 in 8 h; c2 in 49 h; c3 not handled
        "complaint_handled_rate": Decimal("0.6667"),  # c1, c2
        "revisit_rate": Decimal("0.7500"),  # needing: r1, r2, c1, c2; revisited: r1, r2, c1
        "revisit_timely_rate": Decimal("0.5000"),  # due in October: r1, c1 in time; r2 late; c2 never
        "satisfaction": Decimal("0.6667"),  # 满意, 不满意, 基本满意
        "effective_complaints": 1,
        "effective_complaint_rate": Decimal("0.3333"),
    }
    # taken later, October's completion rate counts r5's completion on 11-01
    assert kpi.ticket_kpis(october, as_of=at(11, 2, 9))["repair_completion"] == Decimal("0.7500")


# --- 有偿/无偿 and 费用, set by the completion -----------------------------------------------------------


def _in_hand(desk: Desk, ticket_type: str = "报修") -> int:
    ticket_id, _ = _take(desk, ticket_type, at(11, 23, 8))
    _move(ticket_id, "dispatch", assignee_id=ENGINEER.user_id)
    _move(ticket_id, "accept", actor=ENGINEER)
    return ticket_id


def test_paid_work_is_recorded_with_its_cost_on_completion(desk):
    ticket_id = _in_hand(desk)
    _move(ticket_id, "complete", actor=ENGINEER, note="更换角阀一只", paid=True, cost="¥1,120.5")

    t = _t(ticket_id)
    assert (t.paid, t.cost) == (True, Decimal("1120.50"))
    assert _events(ticket_id)[-2].note == "更换角阀一只（有偿，费用 ¥1,120.50）"  # then 待回访
    complete = _ticket_audits(ticket_id)[-1]
    assert complete.action == "complete"
    before, after = audit_json(complete)
    assert (before["paid"], before["cost"]) == (False, "0.00")
    assert (after["paid"], after["cost"]) == (True, "1120.50")

    detail = ticket_detail(actor=SERVICE, ticket_id=ticket_id)
    assert (detail.paid, detail.cost) == (True, Decimal("1120.50"))
    [row] = list_tickets(actor=SERVICE, query=ListQuery(search=t.number), board="all").rows.to_dict("records")
    assert (bool(row["paid"]), row["cost"]) == (True, Decimal("1120.50"))
    exported = pd.read_csv(io.BytesIO(export_table("tickets", "csv")), encoding="utf-8-sig", dtype=str)
    assert exported.loc[exported["number"] == t.number, ["paid", "cost"]].values.tolist() == [["True", "1120.50"]]


def test_free_work_is_recorded_with_no_cost_and_nothing_added_to_the_note(desk):
    ticket_id = _in_hand(desk)
    _move(ticket_id, "complete", actor=ENGINEER, note="紧固水龙头", paid=False, cost="0")
    assert (_t(ticket_id).paid, _t(ticket_id).cost) == (False, Decimal("0.00"))
    assert _events(ticket_id)[-2].note == "紧固水龙头"
    other = _in_hand(desk)
    _move(other, "complete", actor=ENGINEER, paid=False)  # no cost given: free means 0
    assert (_t(other).paid, _t(other).cost) == (False, Decimal("0.00"))


def test_a_paid_completion_without_a_note_says_what_was_charged(desk):
    ticket_id = _in_hand(desk, "咨询")
    _move(ticket_id, "complete", actor=ENGINEER, paid=True, cost=Decimal("80"))
    assert _events(ticket_id)[-1].note == "有偿，费用 ¥80.00"


def test_a_completion_that_says_nothing_about_payment_keeps_what_was_recorded(desk):
    ticket_id = _in_hand(desk)
    _move(ticket_id, "complete", actor=ENGINEER, paid=True, cost="150")
    _move(ticket_id, "reopen", note="业主反映仍漏水")
    _move(ticket_id, "complete", actor=ENGINEER, note="再次维修")  # an older client: no paid, no cost
    assert (_t(ticket_id).paid, _t(ticket_id).cost) == (True, Decimal("150.00"))
    _move(ticket_id, "reopen", note="再次反映")
    _move(ticket_id, "complete", actor=ENGINEER, paid=False, cost="")  # changed to free on the next completion
    assert (_t(ticket_id).paid, _t(ticket_id).cost) == (False, Decimal("0.00"))


BAD_CHARGES = {
    "negative": (dict(paid=True, cost="-5"), "不能小于 0"),
    "three decimals": (dict(paid=True, cost="12.345"), "最多两位小数"),
    "not a number": (dict(paid=True, cost="一百"), "应为数字"),
    "absurdly large": (dict(paid=True, cost="1000000"), "不能大于 999999.99"),
    "a cost on free work": (dict(paid=False, cost="30"), "费用大于 0 时请选择有偿"),
    "a cost without saying paid": (dict(cost="30"), "费用大于 0 时请选择有偿"),
    "paid work without a cost": (dict(paid=True, cost="0.00"), "有偿服务请填写大于 0 的费用"),
    "paid work with no cost given": (dict(paid=True), "有偿服务请填写大于 0 的费用"),
}


@pytest.mark.parametrize("case", list(BAD_CHARGES))
def test_a_bad_charge_is_refused_naming_the_cost_and_writes_nothing(desk, case):
    kw, message = BAD_CHARGES[case]
    ticket_id = _in_hand(desk)
    before = db_state()
    with pytest.raises(ValidationError) as refused:
        _move(ticket_id, "complete", actor=ENGINEER, **kw)
    assert message in refused.value.errors["费用"]
    assert refused.value.message.startswith("费用：")
    assert db_state() == before


@pytest.mark.parametrize("action", ["accept", "note", "dispatch"])
def test_payment_is_stated_only_on_completion(desk, action):
    ticket_id, _ = _take(desk, "报修", at(11, 23, 8))
    if action == "accept":
        _move(ticket_id, "dispatch", assignee_id=ENGINEER.user_id)
    before = db_state()
    with pytest.raises(ValidationError, match="费用：有偿/无偿和费用只在完成时填写"):
        _move(ticket_id, action, actor=ENGINEER if action != "dispatch" else SERVICE, note="x", paid=True,
              cost="10")
    assert db_state() == before


@sqlite_only
def test_a_role_that_cannot_complete_is_refused_whatever_the_charge(desk):
    ticket_id = _in_hand(desk)
    with pytest.raises(PermissionDenied):
        _move(ticket_id, "complete", actor=actor_for(Role.CASHIER), paid=True, cost="10")
