"""The audit trail: one row per mutation, in the same transaction, with exact before/after text."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest

from db.engine import unit_of_work
from db.models import AuditEntry, Estate, Unit
from services.admin import audit_log, reference
from services.estate import units
from services.platform import audit, users
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from tests.factories import actor_for, audit_json, audit_rows, db_state, get_row, make_units, make_user


def test_each_changed_unit_gets_one_audit_row_with_exact_strings(db):
    a, b, c = make_units(3)
    actor = make_user(Role.SERVICE, "service1")
    n = units.update_units(actor=actor, edits=[
        RowEdit(a, 1, {"built_area": "120.37", "delivered_on": "2025-03-01"}),
        RowEdit(b, 1, {"inner_area": "¥1,0.5", "note": "换了业主"}),
        RowEdit(c, 1, {"built_area": "89.50"}),  # unchanged: no row
    ])
    assert n == 2
    rows = audit_rows(entity="units")
    assert [(r.entity_id, r.action, r.actor_username, r.actor_user_id) for r in rows] == [
        (str(a), "update", "service1", actor.user_id),
        (str(b), "update", "service1", actor.user_id),
    ]
    assert audit_json(rows[0]) == (
        {"built_area": "89.50", "delivered_on": "2024-01-15"},
        {"built_area": "120.37", "delivered_on": "2025-03-01"},
    )
    assert audit_json(rows[1]) == ({"inner_area": "70.00", "note": ""}, {"inner_area": "10.50", "note": "换了业主"})
    # the JSON text itself holds strings, never floats
    assert '"built_area": "120.37"' in rows[0].after_json
    assert all(r.at.tzinfo is not None for r in rows)


def test_audit_keeps_chinese_readable_in_the_json(db):
    [u] = make_units(1)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 1, {"status": "出租"})])
    [row] = audit_rows(entity="units")
    assert row.after_json == json.dumps({"status": "出租"}, ensure_ascii=False)


def test_a_refused_batch_leaves_no_audit_row_and_no_change(db):
    good, bad = make_units(2)
    before = db_state()
    with pytest.raises(ValidationError):
        units.update_units(actor=actor_for(Role.SERVICE), edits=[
            RowEdit(good, 1, {"note": "本可保存"}),
            RowEdit(bad, 1, {"built_area": "abc"}),
        ])
    assert db_state() == before


def test_a_stale_batch_leaves_no_audit_row(db):
    [u] = make_units(1)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 1, {"note": "一"})])
    with pytest.raises(StaleEdit):
        units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 1, {"note": "二"})])
    assert len(audit_rows(entity="units")) == 1


def test_a_conflicting_rename_rolls_back_change_and_audit_together(db):
    """The audit row is added before the flush that fails on the unique name: both go."""
    reference.create_reference(actor=SYSTEM_ACTOR, table="estates", values={"code": "A", "name": "甲小区"})
    b = reference.create_reference(actor=SYSTEM_ACTOR, table="estates", values={"code": "B", "name": "乙小区"})
    before = db_state()
    with pytest.raises(Conflict) as exc:
        reference.update_reference(actor=SYSTEM_ACTOR, table="estates", edits=[RowEdit(b, 1, {"name": "甲小区"})])
    assert exc.value.message == "保存失败：与已有记录重复（编号或名称已存在）"
    assert db_state() == before


def test_creating_a_reference_row_is_audited_with_its_values(db):
    admin = actor_for(Role.ADMIN, "admin1")
    estate_id = reference.create_reference(actor=admin, table="estates",
                                           values={"code": "CH", "name": "翠湖花园", "address": "翠湖路 88 号"})
    building_id = reference.create_reference(actor=admin, table="buildings",
                                             values={"estate_id": str(estate_id), "code": "1", "name": "1栋",
                                                     "floors": "18"})
    e, b = audit_rows(action="create")
    assert (e.entity, e.entity_id, e.actor_username) == ("estates", str(estate_id), "admin1")
    assert audit_json(e) == (None, {"code": "CH", "name": "翠湖花园", "address": "翠湖路 88 号"})
    assert (b.entity, b.entity_id) == ("buildings", str(building_id))
    assert audit_json(b) == (None, {"estate_id": estate_id, "code": "1", "name": "1栋", "floors": 18})


def test_adding_a_user_is_audited_without_any_password(db):
    user_id, password = users.add_user(actor=SYSTEM_ACTOR, username="clerk1", display_name="吴佳琪",
                                       role=Role.CLERK, password="a-good-pass")
    [entry] = audit_rows(entity="users")
    assert (entry.action, entry.entity_id, entry.actor_username, entry.actor_user_id) == (
        "create", str(user_id), "system", None)
    assert audit_json(entry) == (None, {"username": "clerk1", "display_name": "吴佳琪", "role": "clerk",
                                        "estates": users.ALL_ESTATES})
    assert password not in (entry.after_json or "")
    assert "argon2" not in (entry.after_json or "")


def test_audit_record_writes_money_and_dates_as_exact_strings(db):
    from decimal import Decimal

    with unit_of_work() as uow:
        audit.record(uow.session, SYSTEM_ACTOR, "update", "units", 7,
                     {"amount": Decimal("0.10"), "on": date(2026, 2, 28), "at": datetime(2026, 1, 1, tzinfo=UTC)},
                     {"amount": Decimal("-99999999.99"), "items": [Decimal("1.50")], "nested": {"x": Decimal("2")}})
        uow.commit()
    [row] = audit_rows()
    assert audit_json(row) == (
        {"amount": "0.10", "on": "2026-02-28", "at": "2026-01-01T00:00:00+00:00"},
        {"amount": "-99999999.99", "items": ["1.50"], "nested": {"x": "2"}},
    )


def test_audit_record_without_commit_leaves_nothing(db):
    with unit_of_work() as uow:
        audit.record(uow.session, SYSTEM_ACTOR, "update", "units", 1, None, {"note": "x"})
        uow.session.flush()
    assert audit_rows() == []


# --- reading the trail -------------------------------------------------------------------------


def _entry(at: datetime, actor: str, entity: str, entity_id: str = "1", after: dict | None = None) -> None:
    with unit_of_work() as uow:
        uow.session.add(AuditEntry(at=at, actor_user_id=None, actor_username=actor, action="update",
                                   entity=entity, entity_id=entity_id, before_json=None,
                                   after_json=json.dumps(after, ensure_ascii=False) if after else None))
        uow.commit()


def test_audit_list_is_newest_first_with_labels_and_shanghai_times(db):
    _entry(datetime(2026, 3, 1, 16, 30, tzinfo=UTC), "alice", "units", after={"note": "晚"})  # 3-2 00:30 Shanghai
    _entry(datetime(2026, 3, 1, 15, 30, tzinfo=UTC), "bob", "estates")  # 3-1 23:30 Shanghai
    result = audit_log.list_audit(actor=actor_for(Role.MANAGER), query=ListQuery())
    rows = result.rows
    assert result.total == 2
    assert list(rows["at"]) == ["2026-03-02 00:30:00", "2026-03-01 23:30:00"]
    assert list(rows["actor"]) == ["alice", "bob"]
    assert list(rows["action"]) == ["修改", "修改"]
    assert list(rows["entity"]) == ["房屋", "小区"]
    assert not rows["before"].iloc[0]
    assert json.loads(rows["after"].iloc[0]) == {"note": "晚"}


def test_audit_list_filters_by_actor_entity_and_shanghai_day(db):
    _entry(datetime(2026, 3, 1, 15, 59, 59, tzinfo=UTC), "alice", "units", "1")  # 3-1 23:59:59 Shanghai
    _entry(datetime(2026, 3, 1, 16, 0, 0, tzinfo=UTC), "alice", "units", "2")  # 3-2 00:00:00 Shanghai
    _entry(datetime(2026, 3, 2, 15, 59, 59, tzinfo=UTC), "bob", "estates", "3")  # 3-2 23:59:59 Shanghai
    _entry(datetime(2026, 3, 2, 16, 0, 0, tzinfo=UTC), "bob", "units", "4")  # 3-3 00:00 Shanghai
    manager = actor_for(Role.MANAGER)

    def ids(**filters):
        return sorted(audit_log.list_audit(actor=manager, query=ListQuery(filters=filters)).rows["entity_id"])

    assert ids(date_from=date(2026, 3, 2), date_to=date(2026, 3, 2)) == ["2", "3"]
    assert ids(actor="alice") == ["1", "2"]
    assert ids(entity="units") == ["1", "2", "4"]
    assert ids(actor="bob", entity="units") == ["4"]
    assert ids(date_to=date(2026, 3, 1)) == ["1"]


def test_audit_search_finds_words_inside_before_and_after(db):
    [u] = make_units(1)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 1, {"note": "漏水已修好"})])
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 2, {"note": "换锁"})])
    found = audit_log.list_audit(actor=actor_for(Role.ADMIN), query=ListQuery(search="漏水"))
    assert found.total == 2  # in the after of the first and the before of the second


def test_audit_list_names_the_actor_through_the_user_table(db):
    [u] = make_units(1)
    actor = make_user(Role.SERVICE, "service1")
    units.update_units(actor=actor, edits=[RowEdit(u, 1, {"note": "x"})])
    rows = audit_log.list_audit(actor=actor_for(Role.ADMIN), query=ListQuery(filters={"entity": "units"})).rows
    assert list(rows["actor_name"]) == ["测试客服专员"]


def test_audit_rows_are_never_updated_by_services(db):
    [u] = make_units(1)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 1, {"note": "x"})])
    first = audit_rows()[0]
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(u, 2, {"note": "y"})])
    again = audit_rows()[0]
    assert (again.id, again.at, again.after_json) == (first.id, first.at, first.after_json)
    assert get_row(Unit, u).note == "y"
    assert get_row(Estate, get_row(Unit, u).estate_id).version == 1


def test_audit_list_describes_each_change_in_words(db):
    [u] = make_units(1)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[
        RowEdit(u, 1, {"built_area": "120.37", "delivered_on": "2025-03-01", "note": "已换锁"})])
    [row] = audit_log.list_audit(actor=actor_for(Role.ADMIN), query=ListQuery()).rows.to_dict("records")
    for part in ("建筑面积：89.50 → 120.37", "交房日期：2024-01-15 → 2025-03-01", "备注：（空） → 已换锁"):
        assert part in row["detail"]
