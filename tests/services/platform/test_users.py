"""User accounts: adding, editing, resetting, disabling; the invariants that keep an admin in charge."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from db.engine import unit_of_work
from db.models import Staff, User
from services.platform import users
from services.platform.auth import SYSTEM_ACTOR, Role, authenticate
from services.platform.editing import RowEdit
from services.platform.errors import AuthError, Conflict, NotFound, ValidationError
from services.platform.listing import ListQuery
from tests.factories import (
    PASSWORD,
    audit_json,
    audit_rows,
    count_rows,
    db_state,
    get_row,
    make_user,
    user_row,
)

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)


def _version(user_id: int) -> int:
    return get_row(User, user_id).version


# --- adding ------------------------------------------------------------------------------------


def test_add_user_stores_the_account_and_returns_the_given_password(db):
    user_id, password = users.add_user(actor=SYSTEM_ACTOR, username="li.si-2", display_name="李四",
                                       role="收费员", password="a-good-pass")
    assert password == "a-good-pass"
    row = user_row("li.si-2")
    assert (row.id, row.display_name, row.role, row.active, row.must_change_password) == (
        user_id, "李四", "cashier", True, True)
    assert authenticate(username="li.si-2", password="a-good-pass", now=T0).role == Role.CASHIER


def test_add_user_without_a_password_generates_one_that_works(db):
    _, password = users.add_user(actor=SYSTEM_ACTOR, username="wangwu", display_name="王五", role=Role.CLERK)
    assert len(password) >= 8
    assert authenticate(username="wangwu", password=password, now=T0).must_change_password is True


def test_two_generated_passwords_differ(db):
    _, a = users.add_user(actor=SYSTEM_ACTOR, username="user_a", display_name="甲", role=Role.CLERK)
    _, b = users.add_user(actor=SYSTEM_ACTOR, username="user_b", display_name="乙", role=Role.CLERK)
    assert a != b


def test_duplicate_username_is_a_conflict_and_writes_nothing(db):
    make_user(Role.CLERK, "zhaoliu")
    before = db_state()
    with pytest.raises(Conflict) as exc:
        users.add_user(actor=SYSTEM_ACTOR, username="zhaoliu", display_name="另一个", role=Role.CLERK,
                       password="a-good-pass")
    assert exc.value.message == "用户名已存在：zhaoliu"
    assert db_state() == before


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "必填"),
        ("   ", "必填"),
        ("x" * 10_000, "不能超过 32 个字符（现有 10000 个）"),
        ("ab", "3–32 位字母、数字、点、下划线或短横线"),
        ("o'brien", "3–32 位字母、数字、点、下划线或短横线"),
        ("admin'--", "3–32 位字母、数字、点、下划线或短横线"),
        ("a; DROP TABLE users", "3–32 位字母、数字、点、下划线或短横线"),
        ("<script>", "3–32 位字母、数字、点、下划线或短横线"),
        ("张三", "3–32 位字母、数字、点、下划线或短横线"),
        ("System", "“system”保留给命令行，请换一个"),  # the audit trail's name of the command line
    ],
)
def test_bad_usernames_are_refused_with_the_rule_and_nothing_is_written(db, username, message):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.add_user(actor=SYSTEM_ACTOR, username=username, display_name="某人", role=Role.CLERK,
                       password="a-good-pass")
    assert exc.value.errors == {"用户名": message}
    assert exc.value.message == f"用户名：{message}"
    assert db_state() == before


def test_every_bad_field_of_a_new_user_is_reported_at_once(db):
    with pytest.raises(ValidationError) as exc:
        users.add_user(actor=SYSTEM_ACTOR, username="", display_name="", role="超级用户", password="short")
    assert exc.value.errors == {
        "用户名": "必填",
        "姓名": "必填",
        "角色": "应为以下之一：" + "、".join(users.ROLE_CHOICES),
        "初始密码": "至少 8 个字符",
    }
    assert count_rows(User) == 0


@pytest.mark.parametrize("name", ["<script>alert(1)</script>", "O'Brien; DROP TABLE users;--",
                                  "Robert\"); --", "50% 的_人"])
def test_names_with_markup_quotes_and_sql_are_stored_verbatim(db, name):
    users.add_user(actor=SYSTEM_ACTOR, username="odd.name", display_name=name, role=Role.CLERK,
                   password="a-good-pass")
    assert user_row("odd.name").display_name == name
    listed = users.list_users(actor=SYSTEM_ACTOR, query=ListQuery(search="odd.name")).rows
    assert list(listed["display_name"]) == [name]


def test_a_display_name_longer_than_32_characters_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        users.add_user(actor=SYSTEM_ACTOR, username="longname", display_name="长" * 33, role=Role.CLERK,
                       password="a-good-pass")
    assert exc.value.errors == {"姓名": "不能超过 32 个字符（现有 33 个）"}


def test_linking_an_account_to_missing_staff_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        users.add_user(actor=SYSTEM_ACTOR, username="linked", display_name="某人", role=Role.CLERK,
                       password="a-good-pass", staff_id=999_999)
    assert exc.value.errors == {"员工": "不存在"}
    assert count_rows(User) == 0


def test_an_account_can_be_linked_to_staff_and_the_list_shows_the_staff_name(db):
    with unit_of_work() as uow:
        staff = Staff(staff_no="S001", name="周立新")
        uow.session.add(staff)
        uow.session.flush()
        staff_id = staff.id
        uow.commit()
    users.add_user(actor=SYSTEM_ACTOR, username="zhou", display_name="周立新", role=Role.SERVICE,
                   password="a-good-pass", staff_id=staff_id)
    assert users.staff_options(actor=SYSTEM_ACTOR) == [(staff_id, "S001 周立新")]
    rows = users.list_users(actor=SYSTEM_ACTOR, query=ListQuery()).rows
    assert rows.loc[rows.username == "zhou", "staff"].iloc[0] == "周立新"


def test_user_list_never_carries_password_hashes(db):
    make_user(Role.CLERK, "clerk1")
    rows = users.list_users(actor=SYSTEM_ACTOR, query=ListQuery()).rows
    assert "password_hash" not in rows.columns
    assert not rows.astype(str).apply(lambda col: col.str.contains(r"\$argon2")).any().any()
    assert list(rows["role"]) == ["内勤"]


# --- editing in the grid -----------------------------------------------------------------------


def test_admin_edits_name_role_and_active_in_one_batch(db):
    admin = make_user(Role.ADMIN, "admin")
    clerk = make_user(Role.CLERK, "clerk1")
    n = users.update_users(actor=admin, edits=[
        RowEdit(clerk.user_id, _version(clerk.user_id), {"display_name": "吴佳琪", "role": "客服主管",
                                                         "active": "否"}),
    ])
    assert n == 1
    row = user_row("clerk1")
    assert (row.display_name, row.role, row.active) == ("吴佳琪", "manager", False)
    [entry] = audit_rows(action="update", entity="users")
    assert audit_json(entry) == (
        {"active": True, "display_name": "测试内勤", "role": "clerk"},
        {"active": False, "display_name": "吴佳琪", "role": "manager"},
    )


def test_an_admin_cannot_disable_themselves(db):
    admin = make_user(Role.ADMIN, "admin")
    make_user(Role.ADMIN, "admin2")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.update_users(actor=admin, edits=[RowEdit(admin.user_id, _version(admin.user_id), {"active": "否"})])
    assert exc.value.row_errors == {"admin": {"启用": "不能停用自己的账户"}}
    with pytest.raises(ValidationError) as exc:
        users.set_active(actor=admin, username="admin", active=False)
    assert exc.value.errors == {"启用": "不能停用自己的账户"}
    assert db_state() == before


def test_an_admin_cannot_demote_themselves(db):
    admin = make_user(Role.ADMIN, "admin")
    make_user(Role.ADMIN, "admin2")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.update_users(actor=admin, edits=[RowEdit(admin.user_id, _version(admin.user_id),
                                                       {"role": "客服主管"})])
    assert exc.value.row_errors == {"admin": {"角色": "不能修改自己的管理员角色"}}
    assert db_state() == before


def test_an_admin_may_rename_themselves(db):
    admin = make_user(Role.ADMIN, "admin")
    users.update_users(actor=admin, edits=[RowEdit(admin.user_id, _version(admin.user_id),
                                                   {"display_name": "周立新"})])
    assert user_row("admin").display_name == "周立新"


def test_the_last_active_admin_cannot_be_disabled(db):
    make_user(Role.ADMIN, "admin")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.set_active(actor=SYSTEM_ACTOR, username="admin", active=False)
    assert exc.value.errors == {"启用": "至少要保留一个启用的系统管理员"}
    assert db_state() == before


def test_the_last_active_admin_cannot_be_disabled_or_demoted_in_the_grid(db):
    admin = make_user(Role.ADMIN, "admin")
    before = db_state()
    for change, field in (({"active": "否"}, "启用"), ({"role": "内勤"}, "角色")):
        with pytest.raises(ValidationError) as exc:
            users.update_users(actor=SYSTEM_ACTOR, edits=[RowEdit(admin.user_id, _version(admin.user_id), change)])
        assert exc.value.errors == {field: "至少要保留一个启用的系统管理员"}
        assert db_state() == before


def test_one_of_two_admins_can_be_disabled_but_not_the_second(db):
    make_user(Role.ADMIN, "admin")
    make_user(Role.ADMIN, "admin2")
    users.set_active(actor=SYSTEM_ACTOR, username="admin2", active=False)
    with pytest.raises(ValidationError):
        users.set_active(actor=SYSTEM_ACTOR, username="admin", active=False)
    assert user_row("admin").active is True
    users.set_active(actor=SYSTEM_ACTOR, username="admin2", active=True)
    assert user_row("admin2").active is True
    assert [a.action for a in audit_rows(entity="users") if a.action in ("enable", "disable")] == [
        "disable", "enable"]


def test_a_disabled_admin_does_not_count_as_the_active_admin(db):
    make_user(Role.ADMIN, "admin")
    make_user(Role.ADMIN, "admin2")
    users.set_active(actor=SYSTEM_ACTOR, username="admin2", active=False)
    admin = user_row("admin")
    with pytest.raises(ValidationError):
        users.update_users(actor=SYSTEM_ACTOR, edits=[RowEdit(admin.id, admin.version, {"role": "内勤"})])


def test_user_grid_refuses_bad_values_per_row_and_writes_nothing(db):
    admin = make_user(Role.ADMIN, "admin")
    clerk = make_user(Role.CLERK, "clerk1")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.update_users(actor=admin, edits=[
            RowEdit(clerk.user_id, _version(clerk.user_id), {"display_name": "", "role": "老板", "active": "也许"}),
        ])
    assert exc.value.row_errors == {"clerk1": {
        "姓名": "必填",
        "角色": "应为以下之一：" + "、".join(users.ROLE_CHOICES),
        "启用": "应为 是 或 否",
    }}
    assert db_state() == before


def test_username_and_password_hash_are_not_editable_in_the_grid(db):
    admin = make_user(Role.ADMIN, "admin")
    clerk = make_user(Role.CLERK, "clerk1")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.update_users(actor=admin, edits=[
            RowEdit(clerk.user_id, _version(clerk.user_id), {"username": "root", "password_hash": "x"}),
        ])
    assert set(exc.value.row_errors["clerk1"].values()) == {"不可修改"}
    assert db_state() == before


# --- reset and disable -------------------------------------------------------------------------


def test_reset_forces_a_change_at_next_sign_in_and_unlocks(db):
    make_user(Role.CLERK, "clerk1")
    for _ in range(5):
        with pytest.raises(AuthError):
            authenticate(username="clerk1", password="wrong-password", now=T0)
    assert user_row("clerk1").locked_until == T0 + timedelta(minutes=15)

    new = users.reset_password(actor=SYSTEM_ACTOR, username="clerk1")
    row = user_row("clerk1")
    assert (row.must_change_password, row.locked_until, row.failed_attempts) == (True, None, 0)
    actor = authenticate(username="clerk1", password=new, now=T0 + timedelta(minutes=1))
    assert actor.must_change_password is True
    with pytest.raises(AuthError):
        authenticate(username="clerk1", password=PASSWORD, now=T0 + timedelta(minutes=1))
    [entry] = audit_rows(action="reset_password")
    assert (entry.entity, entry.entity_id, entry.before_json, entry.after_json) == (
        "users", str(row.id), None, None)


def test_reset_with_a_chosen_password_checks_the_rules(db):
    make_user(Role.CLERK, "clerk1")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        users.reset_password(actor=SYSTEM_ACTOR, username="clerk1", password="short")
    assert exc.value.errors == {"新密码": "至少 8 个字符"}
    assert db_state() == before
    assert users.reset_password(actor=SYSTEM_ACTOR, username="clerk1", password="chosen-pass") == "chosen-pass"
    assert authenticate(username="clerk1", password="chosen-pass", now=T0).username == "clerk1"


@pytest.mark.parametrize("call", [
    lambda: users.reset_password(actor=SYSTEM_ACTOR, username="ghost"),
    lambda: users.set_active(actor=SYSTEM_ACTOR, username="ghost", active=False),
])
def test_reset_or_disable_of_an_unknown_user_is_not_found(db, call):
    make_user(Role.ADMIN, "admin")
    before = db_state()
    with pytest.raises(NotFound) as exc:
        call()
    assert exc.value.message == "用户不存在：ghost"
    assert db_state() == before


def test_disable_records_before_and_after(db):
    make_user(Role.ADMIN, "admin")
    clerk = make_user(Role.CLERK, "clerk1")
    users.set_active(actor=SYSTEM_ACTOR, username="clerk1", active=False)
    [entry] = audit_rows(action="disable")
    assert (entry.actor_username, entry.entity, entry.entity_id) == ("system", "users", str(clerk.user_id))
    assert audit_json(entry) == ({"active": True}, {"active": False})


def test_user_list_filters_by_role_and_active(db):
    make_user(Role.ADMIN, "admin")
    make_user(Role.CLERK, "clerk1")
    make_user(Role.CLERK, "clerk2")
    users.set_active(actor=SYSTEM_ACTOR, username="clerk2", active=False)
    clerks = users.list_users(actor=SYSTEM_ACTOR, query=ListQuery(filters={"role": "clerk"}))
    assert (clerks.total, sorted(clerks.rows["username"])) == (2, ["clerk1", "clerk2"])
    inactive = users.list_users(actor=SYSTEM_ACTOR, query=ListQuery(filters={"active": False}))
    assert list(inactive.rows["username"]) == ["clerk2"]
