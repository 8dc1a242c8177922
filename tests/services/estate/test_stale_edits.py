"""Optimistic locking: an edit carries the version the user saw; an older version is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import create_engine, update

import services.estate.units
from db.models import Estate, Unit, User
from services.admin import reference
from services.estate import units
from services.platform import users
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.errors import StaleEdit
from services.platform.listing import ListQuery
from tests.factories import (
    actor_for,
    audit_rows,
    db_state,
    get_row,
    make_units,
    make_user,
    user_row,
)

STALE_MESSAGE = "该记录已被他人修改，请刷新后重试"


def test_second_unit_editor_gets_stale_edit_and_first_edit_survives(db):
    [unit_id] = make_units(1)
    first, second = actor_for(Role.SERVICE, "first"), actor_for(Role.CLERK, "second")
    seen = units.list_units(actor=first, query=ListQuery()).rows
    version = int(seen.loc[seen.id == unit_id, "version"].iloc[0])

    assert units.update_units(actor=first, edits=[RowEdit(unit_id, version, {"note": "第一位"})]) == 1
    with pytest.raises(StaleEdit) as exc:
        units.update_units(actor=second, edits=[RowEdit(unit_id, version, {"note": "第二位"})])

    assert STALE_MESSAGE in exc.value.message
    assert "1-1-101" in exc.value.message  # names the row
    unit = get_row(Unit, unit_id)
    assert unit.note == "第一位"
    assert unit.version == version + 1
    assert [a.actor_username for a in audit_rows(entity="units")] == ["first"]


def test_a_stale_row_refuses_the_whole_batch(db):
    fresh_id, stale_id = make_units(2)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(stale_id, 1, {"note": "别人改过"})])
    before = db_state()
    with pytest.raises(StaleEdit):
        units.update_units(actor=actor_for(Role.CLERK), edits=[
            RowEdit(fresh_id, 1, {"note": "本来能保存"}),
            RowEdit(stale_id, 1, {"note": "过期"}),
        ])
    assert db_state() == before
    assert get_row(Unit, fresh_id).note == ""


def test_editing_a_row_that_no_longer_exists_is_a_stale_edit(db):
    [unit_id] = make_units(1)
    with pytest.raises(StaleEdit):
        units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(unit_id + 1000, 1, {"note": "x"})])


def test_each_saved_edit_advances_the_version_and_the_new_version_can_edit_again(db):
    [unit_id] = make_units(1)
    actor = actor_for(Role.SERVICE)
    units.update_units(actor=actor, edits=[RowEdit(unit_id, 1, {"note": "一"})])
    units.update_units(actor=actor, edits=[RowEdit(unit_id, 2, {"note": "二"})])
    unit = get_row(Unit, unit_id)
    assert (unit.note, unit.version) == ("二", 3)


def test_an_edit_that_changes_nothing_keeps_the_version_and_writes_no_audit(db):
    [unit_id] = make_units(1)
    n = units.update_units(actor=actor_for(Role.SERVICE),
                           edits=[RowEdit(unit_id, 1, {"built_area": "89.5", "status": "已入住"})])
    assert n == 0
    assert get_row(Unit, unit_id).version == 1
    assert audit_rows(entity="units") == []


def test_second_reference_editor_gets_stale_edit_and_first_edit_survives(db):
    [unit_id] = make_units(1)
    estate_id = get_row(Unit, unit_id).estate_id
    admin_a, admin_b = actor_for(Role.ADMIN, "admin_a"), actor_for(Role.ADMIN, "admin_b")
    seen = reference.list_reference(actor=admin_a, table="estates", query=ListQuery()).rows
    version = int(seen.loc[seen.id == estate_id, "version"].iloc[0])

    reference.update_reference(actor=admin_a, table="estates",
                               edits=[RowEdit(estate_id, version, {"address": "翠湖路 1 号"})])
    with pytest.raises(StaleEdit):
        reference.update_reference(actor=admin_b, table="estates",
                                   edits=[RowEdit(estate_id, version, {"address": "翠湖路 2 号"})])
    assert get_row(Estate, estate_id).address == "翠湖路 1 号"
    assert len(audit_rows(entity="estates", action="update")) == 1


def test_second_user_editor_gets_stale_edit_and_first_edit_survives(db):
    target = make_user(Role.SERVICE, "target")
    admin_a, admin_b = make_user(Role.ADMIN, "admin_a"), actor_for(Role.ADMIN, "admin_b")
    seen = users.list_users(actor=admin_a, query=ListQuery()).rows
    version = int(seen.loc[seen.id == target.user_id, "version"].iloc[0])

    users.update_users(actor=admin_a, edits=[RowEdit(target.user_id, version, {"display_name": "张三"})])
    with pytest.raises(StaleEdit):
        users.update_users(actor=admin_b, edits=[RowEdit(target.user_id, version, {"role": "收费员"})])
    row = user_row("target")
    assert (row.display_name, row.role) == ("张三", "service")


def test_a_password_reset_makes_an_open_user_grid_stale(db):
    target = make_user(Role.SERVICE, "target")
    admin = make_user(Role.ADMIN, "admin")
    version = get_row(User, target.user_id).version
    users.reset_password(actor=admin, username="target", password="brand-new-pass")
    with pytest.raises(StaleEdit):
        users.update_users(actor=admin, edits=[RowEdit(target.user_id, version, {"display_name": "李四"})])


def test_edit_racing_a_concurrent_commit_gets_stale_edit(db, monkeypatch):
    """Another transaction commits between our read and our UPDATE: the version check in SQL catches it."""
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers with BEGIN IMMEDIATE; no interleaving to race")
    [unit_id] = make_units(1)
    other = create_engine(db)
    real_check = services.estate.units._check_areas

    def check_then_someone_else_commits(unit, values):
        with other.begin() as conn:
            conn.execute(update(Unit.__table__).where(Unit.__table__.c.id == unit_id)
                         .values(note="抢先", version=Unit.__table__.c.version + 1))
        return real_check(unit, values)

    monkeypatch.setattr(services.estate.units, "_check_areas", check_then_someone_else_commits)
    try:
        with pytest.raises(StaleEdit):
            units.update_units(actor=actor_for(Role.SERVICE),
                               edits=[RowEdit(unit_id, 1, {"built_area": "100.00"})])
    finally:
        other.dispose()
    unit = get_row(Unit, unit_id)
    assert (unit.note, unit.built_area, unit.version) == ("抢先", Decimal("89.50"), 2)
    assert audit_rows(entity="units") == []
