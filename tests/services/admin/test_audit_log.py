"""The /audit page's person filter (services/admin/audit_log): choices from the users table, filtering in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event

from db.engine import get_engine, unit_of_work
from db.models import AuditEntry
from services.admin import audit_log
from services.platform import users
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.errors import PermissionDenied
from services.platform.listing import ListQuery
from tests.factories import actor_for, make_user


def _entry(at: datetime, username: str, entity_id: str, user_id: int | None = None) -> None:
    with unit_of_work() as uow:
        uow.session.add(AuditEntry(at=at, actor_user_id=user_id, actor_username=username, action="update",
                                   entity="units", entity_id=entity_id, before_json=None, after_json=None))
        uow.commit()


def test_person_choices_are_every_account_by_username_then_the_command_line(db):
    make_user(Role.ADMIN, "admin")  # a disabled account needs an active admin beside it
    make_user(Role.SERVICE, "zhang")
    make_user(Role.CASHIER, "chen")
    make_user(Role.ENGINEER, "lisi")
    users.set_active(actor=SYSTEM_ACTOR, username="lisi", active=False)
    assert list(audit_log.list_actors(actor=actor_for(Role.MANAGER)).items()) == [
        ("admin", "admin 测试系统管理员"),
        ("chen", "chen 测试收费员"),
        ("lisi", "lisi 测试维修工程"),  # disabled accounts keep their history, so they stay a choice
        ("zhang", "zhang 测试客服专员"),
        ("system", "system 命令行"),
    ]


def test_person_choices_do_not_read_the_audit_trail(db):
    make_user(Role.SERVICE, "zhang")
    _entry(datetime(2026, 3, 1, tzinfo=UTC), "ghost", "1")  # a name no account has: not offered
    statements: list[str] = []
    engine = get_engine()

    def grab(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", grab)
    try:
        choices = audit_log.list_actors(actor=actor_for(Role.ADMIN))
    finally:
        event.remove(engine, "before_cursor_execute", grab)
    assert list(choices) == ["zhang", "system"]
    assert statements and not [s for s in statements if "audit_log" in s]


def test_person_choices_need_the_audit_permission(db):
    with pytest.raises(PermissionDenied):
        audit_log.list_actors(actor=actor_for(Role.CASHIER))


def test_filtering_by_a_person_returns_only_their_rows_newest_first_within_the_dates(db):
    zhang = make_user(Role.SERVICE, "zhang")
    chen = make_user(Role.CASHIER, "chen")
    _entry(datetime(2026, 3, 1, 1, tzinfo=UTC), "zhang", "1", zhang.user_id)
    _entry(datetime(2026, 3, 2, 1, tzinfo=UTC), "chen", "2", chen.user_id)
    _entry(datetime(2026, 3, 3, 1, tzinfo=UTC), "zhang", "3", zhang.user_id)
    _entry(datetime(2026, 3, 4, 1, tzinfo=UTC), SYSTEM_ACTOR.username, "4")
    _entry(datetime(2026, 3, 5, 1, tzinfo=UTC), "zhang", "5", zhang.user_id)
    manager = actor_for(Role.MANAGER)

    def page(**filters):
        result = audit_log.list_audit(actor=manager, query=ListQuery(filters=filters))
        return result.total, list(result.rows["entity_id"])

    assert page(actor="zhang") == (3, ["5", "3", "1"])
    assert page(actor="zhang", date_from=date(2026, 3, 2), date_to=date(2026, 3, 4)) == (1, ["3"])
    assert page(actor="chen") == (1, ["2"])
    # the accounts were created by the command line too (entity users): the entity filter leaves them out
    result = audit_log.list_audit(actor=manager, query=ListQuery(
        filters={"actor": SYSTEM_ACTOR.username, "entity": "units"}))
    assert list(result.rows["entity_id"]) == ["4"] and list(result.rows["actor_name"]) == ["命令行"]
    assert page(actor="zhang", date_from=date(2026, 3, 6)) == (0, [])
