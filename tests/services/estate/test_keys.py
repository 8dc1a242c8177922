"""Keys 钥匙 (services/estate/keys): register, lend, return, report lost; the overdue list.

A key is lent only when 在库 and returned only when 借出; each step writes one audit row and
a timeline line, or, when refused, nothing at all.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest

from db.models import Key, KeyLoan
from db.types import utcnow
from services.estate import households, keys
from services.platform.auth import ACTIONS, Actor, Role
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
    ago,
    audit_json,
    audit_rows,
    db_state,
    force_columns,
    get_row,
    make_key,
    make_units,
    roles_with,
    roles_without,
    sqlite_only,
)

SERVICE = actor_for(Role.SERVICE)
CLERK = actor_for(Role.CLERK)


def _in(**delta):
    return utcnow() + timedelta(**delta)


def _v(key_id: int) -> int:
    return get_row(Key, key_id).version


def _lend(key_id: int, *, borrower: str = "维修工老陈", reason: str = "修水管", due_at=None,
          actor: Actor = SERVICE) -> int:
    return keys.lend_key(actor=actor, key_id=key_id, version=_v(key_id), borrower=borrower,
                         borrower_phone="13500000000", reason=reason, due_at=due_at or _in(hours=4))


def _timeline(unit_id: int) -> list[str]:
    return list(households.unit_card(actor=SERVICE, unit_id=unit_id).timeline["text"])


@pytest.fixture
def unit_id(db) -> int:
    return make_units(2)[0]


def test_a_registered_key_is_in_the_cabinet(unit_id):
    key_id = keys.add_key(actor=SERVICE, unit_id=unit_id, label=" 大门钥匙 ", location=" A柜3号 ")
    key = get_row(Key, key_id)
    assert (key.unit_id, key.label, key.location, key.status, key.version) == (unit_id, "大门钥匙", "A柜3号", "在库", 1)
    [row] = audit_rows(action="key_add")
    assert (row.entity, row.entity_id) == ("keys", str(key_id))
    assert audit_json(row)[1] == {"unit_id": unit_id, "label": "大门钥匙", "location": "A柜3号"}
    assert _timeline(unit_id) == ["登记钥匙“大门钥匙”（A柜3号）"]


def test_a_key_needs_a_label_and_a_real_unit(unit_id):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        keys.add_key(actor=SERVICE, unit_id=unit_id, label="  ", location="长" * 33)
    assert exc.value.errors == {"钥匙名称": "必填", "存放位置": "不能超过 32 个字符（现有 33 个）"}
    with pytest.raises(ValidationError) as exc:
        keys.add_key(actor=SERVICE, unit_id=unit_id, label="长" * 33)
    assert exc.value.errors == {"钥匙名称": "不能超过 32 个字符（现有 33 个）"}
    with pytest.raises(NotFound):
        keys.add_key(actor=SERVICE, unit_id=unit_id + 999, label="大门钥匙")
    assert db_state() == before


def test_lending_a_key_records_who_why_and_when_it_is_due(unit_id):
    key_id = make_key(unit_id)
    due = _in(hours=4)
    loan_id = _lend(key_id, due_at=due)
    assert get_row(Key, key_id).status == "借出"
    loan = get_row(KeyLoan, loan_id)
    assert (loan.key_id, loan.borrower, loan.borrower_phone, loan.reason, loan.lent_by, loan.returned_at) == (
        key_id, "维修工老陈", "13500000000", "修水管", SERVICE.display_name, None)
    assert loan.due_at == due  # microseconds and time zone survive every backend
    assert abs(loan.out_at - utcnow()) < timedelta(minutes=1)
    [row] = audit_rows(action="key_lend")
    assert audit_json(row) == ({"status": "在库"}, {"status": "借出", "borrower": "维修工老陈", "reason": "修水管",
                                                   "due_at": due.isoformat()})
    assert _timeline(unit_id)[0] == "钥匙“大门钥匙”借给 维修工老陈（修水管）"


@sqlite_only
def test_a_loan_needs_a_borrower_a_reason_and_a_due_time_in_the_future(unit_id):
    key_id = make_key(unit_id)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        _lend(key_id, borrower=" ", reason="", due_at=ago(minutes=1))
    assert exc.value.errors == {"借用人": "必填", "借用事由": "必填", "应还时间": "应晚于现在"}
    with pytest.raises(ValidationError) as exc:
        _lend(key_id, due_at=utcnow())
    assert exc.value.errors == {"应还时间": "应晚于现在"}
    assert db_state() == before


def test_only_a_key_in_the_cabinet_can_be_lent(unit_id):
    statuses = ["借出", "遗失", "已交付"]
    key_ids = [make_key(unit_id, f"钥匙{status}", status=status) for status in statuses]
    before = db_state()
    for status, key_id in zip(statuses, key_ids, strict=True):
        with pytest.raises(Conflict) as exc:
            _lend(key_id)
        assert exc.value.message == f"钥匙“钥匙{status}”当前{status}，不能借出"
        assert db_state() == before, status


def test_a_key_step_on_an_old_version_is_refused_as_stale(unit_id):
    key_id = make_key(unit_id)
    _lend(key_id)
    before = db_state()
    with pytest.raises(StaleEdit):
        keys.return_key(actor=SERVICE, key_id=key_id, version=1)
    with pytest.raises(StaleEdit):
        keys.report_lost(actor=SERVICE, key_id=key_id, version=1)
    with pytest.raises(NotFound):
        keys.return_key(actor=SERVICE, key_id=key_id + 99, version=1)
    assert db_state() == before


def test_returning_a_key_closes_the_loan_and_puts_it_back(unit_id):
    key_id = make_key(unit_id)
    loan_id = _lend(key_id)
    keys.return_key(actor=CLERK, key_id=key_id, version=_v(key_id))
    assert get_row(Key, key_id).status == "在库"
    loan = get_row(KeyLoan, loan_id)
    assert loan.received_by == CLERK.display_name
    assert abs(loan.returned_at - utcnow()) < timedelta(minutes=1)
    [row] = audit_rows(action="key_return")
    assert audit_json(row) == ({"status": "借出"}, {"status": "在库", "borrower": "维修工老陈"})
    assert _timeline(unit_id)[0] == "钥匙“大门钥匙”已由 维修工老陈 归还"
    assert households.unit_card(actor=SERVICE, unit_id=unit_id).keys.iloc[0]["borrower"] == ""


def test_only_a_lent_key_can_be_returned(unit_id):
    statuses = ["在库", "遗失", "已交付"]
    key_ids = [make_key(unit_id, f"钥匙{status}", status=status) for status in statuses]
    before = db_state()
    for status, key_id in zip(statuses, key_ids, strict=True):
        with pytest.raises(Conflict) as exc:
            keys.return_key(actor=SERVICE, key_id=key_id, version=1)
        assert exc.value.message == f"钥匙“钥匙{status}”当前{status}，没有待归还的借用"
        assert db_state() == before, status


@pytest.mark.parametrize("status", ["在库", "借出"])
def test_a_key_in_the_cabinet_or_lent_can_be_reported_lost(unit_id, status):
    key_id = make_key(unit_id, status=status)
    keys.report_lost(actor=SERVICE, key_id=key_id, version=1, note="借用人遗失")
    assert get_row(Key, key_id).status == "遗失"
    [row] = audit_rows(action="key_lost")
    assert audit_json(row) == ({"status": status}, {"status": "遗失", "note": "借用人遗失"})
    assert _timeline(unit_id)[0] == "钥匙“大门钥匙”遗失：借用人遗失"


def test_a_lost_or_handed_over_key_cannot_be_reported_lost(unit_id):
    statuses = ["遗失", "已交付"]
    key_ids = [make_key(unit_id, f"钥匙{status}", status=status) for status in statuses]
    before = db_state()
    for status, key_id in zip(statuses, key_ids, strict=True):
        with pytest.raises(Conflict) as exc:
            keys.report_lost(actor=SERVICE, key_id=key_id, version=1)
        assert exc.value.message == f"钥匙“钥匙{status}”当前{status}"
        assert db_state() == before, status


def test_every_step_of_a_keys_life_writes_one_audit_row(unit_id):
    key_id = keys.add_key(actor=SERVICE, unit_id=unit_id, label="大门钥匙")
    _lend(key_id)
    keys.return_key(actor=SERVICE, key_id=key_id, version=_v(key_id))
    _lend(key_id, borrower="保洁阿姨", reason="开荒保洁")
    keys.report_lost(actor=SERVICE, key_id=key_id, version=_v(key_id))
    rows = audit_rows(entity="keys")
    assert [r.action for r in rows] == ["key_add", "key_lend", "key_return", "key_lend", "key_lost"]
    assert {r.entity_id for r in rows} == {str(key_id)}
    assert len(audit_rows()) == 5
    assert len(_timeline(unit_id)) == 5


def test_the_overdue_list_shows_loans_past_due_and_not_returned(unit_id):
    late, later, not_due, returned = (make_key(unit_id, label) for label in ("大门", "信箱", "车库", "后门"))
    late_loan, later_loan, _, returned_loan = (_lend(k, borrower=f"借{n}") for n, k in
                                               enumerate((late, later, not_due, returned)))
    force_columns(KeyLoan, late_loan, due_at=ago(hours=2))
    force_columns(KeyLoan, later_loan, due_at=ago(days=3))
    keys.return_key(actor=SERVICE, key_id=returned, version=_v(returned))
    force_columns(KeyLoan, returned_loan, due_at=ago(days=5))
    rows = keys.overdue_loans(actor=SERVICE, query=ListQuery()).rows
    assert list(rows["id"]) == [later_loan, late_loan]  # most overdue first
    assert list(rows["label"]) == ["信箱", "大门"]
    assert list(rows["borrower"]) == ["借1", "借0"]
    assert set(rows["code"]) == {"1-1-101"}


def test_the_overdue_list_is_empty_when_every_loan_is_in_time(unit_id):
    _lend(make_key(unit_id))
    assert keys.overdue_loans(actor=SERVICE, query=ListQuery()).total == 0


def test_the_key_list_filters_by_status(unit_id):
    make_key(unit_id, "大门钥匙")
    make_key(unit_id, "信箱钥匙", status="借出")
    rows = keys.list_keys(actor=SERVICE, query=ListQuery(filters={"status": "借出"})).rows
    assert list(rows["label"]) == ["信箱钥匙"]
    assert keys.list_keys(actor=actor_for(Role.CASHIER), query=ListQuery()).total == 2


# --- permissions --------------------------------------------------------------------------------


WRITES: dict[str, Callable[[Actor, dict], object]] = {
    "add_key": lambda a, w: keys.add_key(actor=a, unit_id=w["unit"], label="新钥匙"),
    "lend_key": lambda a, w: _lend(w["in_cabinet"], actor=a),
    "return_key": lambda a, w: keys.return_key(actor=a, key_id=w["lent"], version=_v(w["lent"])),
    "report_lost": lambda a, w: keys.report_lost(actor=a, key_id=w["in_cabinet"], version=_v(w["in_cabinet"])),
}


@pytest.fixture
def world(unit_id) -> dict[str, int]:
    lent = make_key(unit_id, "信箱钥匙")
    _lend(lent)
    return {"unit": unit_id, "in_cabinet": make_key(unit_id), "lent": lent}


@sqlite_only
@pytest.mark.parametrize("service", list(WRITES))
def test_key_writes_refuse_every_role_lacking_keys_manage_and_write_nothing(world, service):
    denied = roles_without("keys.manage")
    assert denied
    before = db_state()
    for role in denied:
        with pytest.raises(PermissionDenied) as exc:
            WRITES[service](actor_for(role), world)
        assert ACTIONS["keys.manage"] in exc.value.message
        assert db_state() == before, role


@sqlite_only
@pytest.mark.parametrize("service", list(WRITES))
def test_key_writes_let_every_role_holding_keys_manage_through(world, service):
    succeeded = 0
    for role in roles_with("keys.manage"):
        try:
            WRITES[service](actor_for(role), world)
            succeeded += 1
        except PermissionDenied:  # pragma: no cover - the failure we look for
            pytest.fail(f"{service} refused {role}")
        except DomainError:
            pass  # the key already changed state under the previous role
    assert succeeded >= 1


def test_a_key_lost_while_lent_ends_its_loan_and_leaves_the_overdue_list(unit_id):
    key_id = make_key(unit_id)
    loan_id = _lend(key_id)
    force_columns(KeyLoan, loan_id, due_at=ago(days=2))
    keys.report_lost(actor=SERVICE, key_id=key_id, version=_v(key_id), note="借用人遗失")
    assert get_row(KeyLoan, loan_id).returned_at is not None
    assert keys.overdue_loans(actor=SERVICE, query=ListQuery()).total == 0
    assert get_row(Key, key_id).status == "遗失"
