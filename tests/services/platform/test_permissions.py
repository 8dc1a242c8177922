"""Permissions follow the one table in services/platform/auth.PERMISSIONS.

Every expectation here is derived from that table: a role lacking the action is
refused with PermissionDenied and nothing is written (no audit row either); a role
holding it gets past the check.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from db.models import Estate, Unit, User
from services.admin import audit_log, reference
from services.estate import units
from services.platform import users
from services.platform.auth import ACTIONS, PERMISSIONS, Actor, Role, can, require
from services.platform.editing import RowEdit
from services.platform.errors import DomainError, PermissionDenied
from services.platform.listing import ListQuery
from tests.factories import actor_for, db_state, get_row, make_units, make_user


@dataclass(frozen=True)
class World:
    unit_id: int
    estate_id: int
    target_id: int


@pytest.fixture
def world(db) -> World:
    [unit_id] = make_units(1)
    estate_id = get_row(Unit, unit_id).estate_id
    target = make_user(Role.SERVICE, "target")
    return World(unit_id=unit_id, estate_id=estate_id, target_id=target.user_id)


def _version(model, row_id) -> int:
    return get_row(model, row_id).version


WRITE_SERVICES: dict[str, tuple[str, Callable[[Actor, World], object]]] = {
    "units.update_units": (
        "units.edit",
        lambda a, w: units.update_units(actor=a, edits=[RowEdit(w.unit_id, _version(Unit, w.unit_id),
                                                                {"note": "改过"})]),
    ),
    "reference.update_reference": (
        "reference.edit",
        lambda a, w: reference.update_reference(
            actor=a, table="estates",
            edits=[RowEdit(w.estate_id, _version(Estate, w.estate_id), {"address": "新地址"})]),
    ),
    "reference.create_reference": (
        "reference.edit",
        lambda a, _w: reference.create_reference(actor=a, table="departments",
                                                 values={"code": "QA", "name": "质检部"}),
    ),
    "users.add_user": (
        "users.manage",
        lambda a, _w: users.add_user(actor=a, username="newbie", display_name="新人", role=Role.CLERK,
                                     password="another-pass-1"),
    ),
    "users.update_users": (
        "users.manage",
        lambda a, w: users.update_users(actor=a, edits=[RowEdit(w.target_id, _version(User, w.target_id),
                                                                {"display_name": "改名"})]),
    ),
    "users.reset_password": (
        "users.manage",
        lambda a, _w: users.reset_password(actor=a, username="target"),
    ),
    "users.set_active": (
        "users.manage",
        lambda a, _w: users.set_active(actor=a, username="target", active=False),
    ),
}

READ_SERVICES: dict[str, tuple[str, Callable[[Actor], object]]] = {
    "audit_log.list_audit": ("audit.view", lambda a: audit_log.list_audit(actor=a, query=ListQuery())),
    "audit_log.list_actors": ("audit.view", lambda a: audit_log.list_actors(actor=a)),
    "users.list_users": ("users.manage", lambda a: users.list_users(actor=a, query=ListQuery())),
    "users.staff_options": ("users.manage", lambda a: users.staff_options(actor=a)),
    "units.list_units": ("units.view", lambda a: units.list_units(actor=a, query=ListQuery())),
    "units.unit_summary": ("units.view", lambda a: units.unit_summary(actor=a)),
    "reference.list_reference": (
        "reference.view", lambda a: reference.list_reference(actor=a, table="buildings", query=ListQuery())),
    "reference.estate_options": ("reference.view", lambda a: reference.estate_options(actor=a)),
    "reference.building_options": (
        "reference.view", lambda a: reference.building_options(actor=a, estate_id=1)),
    "reference.department_options": ("reference.view", lambda a: reference.department_options(actor=a)),
}


def _roles_without(action: str) -> list[Role]:
    return [r for r in Role if action not in PERMISSIONS[r]]


def _roles_with(action: str) -> list[Role]:
    return [r for r in Role if action in PERMISSIONS[r]]


def test_the_permission_table_names_only_known_actions_and_gives_admin_everything():
    for role in Role:
        assert role in PERMISSIONS, role
        assert PERMISSIONS[role] <= set(ACTIONS), role
    assert PERMISSIONS[Role.ADMIN] == set(ACTIONS)


def test_an_unknown_action_is_a_programming_error_not_a_refusal():
    with pytest.raises(KeyError):
        can(actor_for(Role.ADMIN), "units.delete_everything")


def test_refusal_message_is_chinese_and_names_the_action():
    with pytest.raises(PermissionDenied) as exc:
        require(actor_for(Role.CASHIER), "units.edit")
    assert exc.value.message == f"无权限：当前角色不能{ACTIONS['units.edit']}"


@pytest.mark.parametrize("service", list(WRITE_SERVICES))
def test_write_service_refuses_every_role_lacking_the_action_and_writes_nothing(world, service):
    action, call = WRITE_SERVICES[service]
    denied = _roles_without(action)
    assert denied, f"{action} is allowed to every role; nothing to refuse"
    before = db_state()
    for role in denied:
        with pytest.raises(PermissionDenied) as exc:
            call(actor_for(role), world)
        assert ACTIONS[action] in exc.value.message, (service, role)
        assert db_state() == before, f"{service} wrote something for {role}"


@pytest.mark.parametrize("service", list(WRITE_SERVICES))
def test_write_service_lets_every_role_holding_the_action_past_the_check(world, service):
    action, call = WRITE_SERVICES[service]
    for role in _roles_with(action):
        try:
            call(actor_for(role), world)
        except PermissionDenied:  # pragma: no cover - the failure we look for
            pytest.fail(f"{service} refused {role}, which holds {action}")
        except DomainError:
            pass  # e.g. a second add of the same user: the permission check was passed


@pytest.mark.parametrize("service", list(READ_SERVICES))
def test_read_service_follows_the_permission_table(db, service):
    action, call = READ_SERVICES[service]
    for role in Role:
        if action in PERMISSIONS[role]:
            call(actor_for(role))
        else:
            with pytest.raises(PermissionDenied):
                call(actor_for(role))


@pytest.mark.parametrize("role", _roles_without("data.export"))
def test_whole_table_export_requires_data_export(sqlite_db, role):
    make_units(2)
    with pytest.raises(PermissionDenied):
        units.list_units(actor=actor_for(role), query=ListQuery(page_size=None))
