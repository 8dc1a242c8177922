"""Sign-in (services/platform/auth.authenticate) and changing one's own password.

Every rule runs on every backend (lockout round-trips timestamps; lookups compare
usernames in SQL). Hashing uses cheap argon2 parameters (tests/services/conftest.py)
except where the production parameters are the subject.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Literal

import pytest
from argon2 import PasswordHasher, Type, extract_parameters

from services.platform import auth, users
from services.platform.auth import LOCKOUT, MAX_FAILED_ATTEMPTS, Role, authenticate, change_own_password
from services.platform.clock import to_local
from services.platform.errors import AuthError, ValidationError
from tests.factories import PASSWORD, audit_json, audit_rows, make_user, production_password_hashing, user_row

T0 = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)  # 09:30 in Shanghai
WRONG = "wrong-password"


def _fail(username: str, password: str = WRONG, now: datetime = T0) -> str:
    with pytest.raises(AuthError) as exc:
        authenticate(username=username, password=password, now=now)
    return exc.value.message


def test_right_password_signs_in_and_records_the_login(db):
    made = make_user(Role.CASHIER, "cashier1")
    actor = authenticate(username="cashier1", password=PASSWORD, now=T0)
    assert (actor.user_id, actor.username, actor.role) == (made.user_id, "cashier1", Role.CASHIER)
    assert actor.must_change_password is False
    row = user_row("cashier1")
    assert row.last_login_at == T0
    assert row.failed_attempts == 0
    [login] = audit_rows(action="login")
    assert (login.actor_username, login.entity, login.entity_id) == ("cashier1", "users", str(made.user_id))


def test_username_is_trimmed_but_password_is_not(db):
    make_user(Role.CASHIER, "cashier1")
    assert authenticate(username="  cashier1 ", password=PASSWORD, now=T0).username == "cashier1"
    _fail("cashier1", f" {PASSWORD}")


def test_wrong_password_says_so_and_counts_towards_the_lock(db):
    make_user(Role.CASHIER, "cashier1")
    assert _fail("cashier1").startswith("用户名或密码错误")
    assert _fail("cashier1").startswith("用户名或密码错误")
    assert user_row("cashier1").failed_attempts == 2
    assert audit_rows(action="login") == []


def test_unknown_user_gets_the_same_message_as_a_wrong_password(db):
    make_user(Role.CASHIER, "cashier1")
    assert _fail("nobody") == _fail("cashier1")


def test_unknown_user_is_refused_without_writing_anything(db):
    make_user(Role.CASHIER, "cashier1")
    assert _fail("nobody").startswith("用户名或密码错误")
    assert audit_rows(action="login") == []
    assert user_row("cashier1").failed_attempts == 0


def test_five_failures_lock_the_account_for_fifteen_minutes(db):
    make_user(Role.CASHIER, "cashier1")
    for i in range(MAX_FAILED_ATTEMPTS - 1):
        _fail("cashier1", now=T0 + timedelta(seconds=i))
    assert _fail("cashier1", now=T0 + timedelta(seconds=10)) == "连续输错密码 5 次，账户已锁定 15 分钟"
    locked_at = T0 + timedelta(seconds=10)
    row = user_row("cashier1")
    assert row.locked_until == locked_at + LOCKOUT
    [lock] = audit_rows(action="lock")
    assert lock.actor_username == "system"
    assert audit_json(lock)[1] == {"username": "cashier1", "locked_until": (locked_at + LOCKOUT).isoformat()}

    # locked: even the right password is refused, and the message says until when (Shanghai time)
    until = to_local(locked_at + LOCKOUT).strftime("%H:%M")
    msg = _fail("cashier1", PASSWORD, now=locked_at + LOCKOUT - timedelta(seconds=1))
    assert msg == f"连续输错密码次数过多，账户已锁定，请于 {until} 后再试"
    assert until == "09:45"

    # after 15 minutes the right password works again
    actor = authenticate(username="cashier1", password=PASSWORD, now=locked_at + LOCKOUT)
    assert actor.username == "cashier1"
    row = user_row("cashier1")
    assert (row.locked_until, row.failed_attempts) == (None, 0)


def test_a_success_resets_the_failure_count(db):
    make_user(Role.CASHIER, "cashier1")
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        _fail("cashier1")
    authenticate(username="cashier1", password=PASSWORD, now=T0)
    for _ in range(MAX_FAILED_ATTEMPTS - 1):
        _fail("cashier1")
    assert user_row("cashier1").locked_until is None
    assert authenticate(username="cashier1", password=PASSWORD, now=T0).username == "cashier1"


def test_disabled_account_is_refused_even_with_the_right_password(db):
    admin = make_user(Role.ADMIN, "admin")
    make_user(Role.CASHIER, "cashier1")
    users.set_active(actor=admin, username="cashier1", active=False)
    assert _fail("cashier1", PASSWORD) == "该账户已停用，请联系系统管理员"
    assert audit_rows(action="login") == []


@pytest.mark.parametrize(
    ("username", "password", "errors"),
    [
        ("", PASSWORD, {"用户名": "不能为空"}),
        ("   ", PASSWORD, {"用户名": "不能为空"}),
        ("x" * 10_000, PASSWORD, {"用户名": "不能超过 32 个字符"}),
        ("cashier1", "", {"密码": "不能为空"}),
        ("", "", {"用户名": "不能为空", "密码": "不能为空"}),
    ],
)
def test_empty_or_oversized_sign_in_fields_are_refused_before_any_lookup(db, username, password, errors):
    make_user(Role.CASHIER, "cashier1")
    with pytest.raises(ValidationError) as exc:
        authenticate(username=username, password=password, now=T0)
    assert exc.value.errors == errors
    assert user_row("cashier1").failed_attempts == 0


@pytest.mark.parametrize("username", ["' OR '1'='1", "cashier1' --", "cashier1\"; DROP TABLE users; --",
                                      "%", "_________", "cashier_"])
def test_sql_fragments_and_wildcards_in_the_username_are_looked_up_literally(db, username):
    make_user(Role.CASHIER, "cashier1")
    assert _fail(username, PASSWORD).startswith("用户名或密码错误")
    assert user_row("cashier1").failed_attempts == 0


def test_sign_in_matches_the_username_exactly_on_every_backend(db):
    make_user(Role.CASHIER, "cashier1")
    _fail("CASHIER1", PASSWORD)


# --- must_change_password and change_own_password -----------------------------------------------


def _user_needing_change(username="newhire", password="initial-pass-1"):
    users.add_user(actor=auth.SYSTEM_ACTOR, username=username, display_name="新员工", role=Role.SERVICE,
                   password=password)  # must_change_password defaults to True
    return password


def test_new_account_must_change_its_password_and_then_signs_in_normally(db):
    initial = _user_needing_change()
    actor = authenticate(username="newhire", password=initial, now=T0)
    assert actor.must_change_password is True

    changed = change_own_password(actor=actor, old_password=initial, new_password="my-own-pass-9",
                                  confirm="my-own-pass-9")
    assert changed.must_change_password is False
    assert user_row("newhire").must_change_password is False
    assert [a.action for a in audit_rows(entity="users", actor_username="newhire")] == [
        "login", "change_password"]

    assert authenticate(username="newhire", password="my-own-pass-9", now=T0).must_change_password is False
    assert _fail("newhire", initial).startswith("用户名或密码错误")


@pytest.mark.parametrize(
    ("old", "new", "confirm", "errors"),
    [
        ("initial-pass-1", "my-own-pass-9", "my-own-pass-8", {"确认新密码": "两次输入的新密码不一致"}),
        ("initial-pass-1", "short", "short", {"新密码": "至少 8 个字符"}),
        ("initial-pass-1", "x" * 129, "x" * 129, {"新密码": "不能超过 128 个字符"}),
        ("initial-pass-1", " padded-pass ", " padded-pass ", {"新密码": "首尾不能有空格"}),
        ("initial-pass-1", "initial-pass-1", "initial-pass-1", {"新密码": "不能与原密码相同"}),
        ("not-the-old-one", "my-own-pass-9", "my-own-pass-9", {"原密码": "不正确"}),
    ],
)
def test_change_own_password_rules_refuse_and_keep_the_old_password(db, old, new, confirm, errors):
    _user_needing_change()
    actor = auth.actor_of(user_row("newhire"))
    before = user_row("newhire")
    with pytest.raises(ValidationError) as exc:
        change_own_password(actor=actor, old_password=old, new_password=new, confirm=confirm)
    assert exc.value.errors == errors
    after = user_row("newhire")
    assert (after.password_hash, after.must_change_password, after.version) == (
        before.password_hash, True, before.version)
    assert audit_rows(action="change_password") == []


def test_the_command_line_actor_has_no_password_to_change(db):
    with pytest.raises(AuthError):
        change_own_password(actor=auth.SYSTEM_ACTOR, old_password="a-long-pass", new_password="b-long-pass",
                            confirm="b-long-pass")


def test_a_disabled_account_cannot_change_its_password(db):
    admin = make_user(Role.ADMIN, "admin")
    initial = _user_needing_change()
    actor = authenticate(username="newhire", password=initial, now=T0)
    users.set_active(actor=admin, username="newhire", active=False)
    with pytest.raises(AuthError):
        change_own_password(actor=actor, old_password=initial, new_password="my-own-pass-9",
                            confirm="my-own-pass-9")


def test_passwords_are_stored_only_as_argon2_hashes(db):
    make_user(Role.CASHIER, "cashier1")
    stored = user_row("cashier1").password_hash
    assert stored.startswith("$argon2")
    assert PASSWORD not in stored


def test_production_hashes_use_argon2id_with_64_mib(sqlite_db, production_hasher):
    make_user(Role.CASHIER, "cashier1")
    stored = user_row("cashier1").password_hash
    assert stored.startswith("$argon2id$")
    assert ",m=65536," in stored or "$m=65536," in stored


def test_a_weaker_hash_is_upgraded_at_the_next_sign_in(sqlite_db, monkeypatch):
    make_user(Role.CASHIER, "cashier1")  # hashed with the cheap test parameters
    weak = user_row("cashier1").password_hash
    production_password_hashing(monkeypatch)
    authenticate(username="cashier1", password=PASSWORD, now=T0)
    strong = user_row("cashier1").password_hash
    assert strong != weak and "m=65536" in strong
    assert authenticate(username="cashier1", password=PASSWORD, now=T0).username == "cashier1"


# --- the hash's parameters and the cost of a refusal (issue 16) --------------------------------------------------


def test_production_hashes_meet_owasps_argon2id_minimum_and_the_stated_parameters(sqlite_db, production_hasher):
    make_user(Role.CASHIER, "cashier1")
    params = extract_parameters(user_row("cashier1").password_hash)
    assert params.type is Type.ID
    # OWASP Password Storage Cheat Sheet: argon2id with at least 19 MiB, 2 iterations, 1 degree of parallelism
    assert params.memory_cost >= 19 * 1024 and params.time_cost >= 2 and params.parallelism == 1
    assert (params.memory_cost, params.time_cost, params.parallelism) == (65536, 3, 1)  # as the README states


class _CountingHasher(PasswordHasher):
    """The hasher it replaces, counting the hashes verified."""

    def __init__(self, like: PasswordHasher) -> None:
        super().__init__(time_cost=like.time_cost, memory_cost=like.memory_cost, parallelism=like.parallelism,
                         hash_len=like.hash_len, salt_len=like.salt_len, type=like.type)
        self.verified = 0

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        self.verified += 1
        return super().verify(hash, password)


def test_an_unknown_user_costs_one_argon2_verify_like_a_wrong_password(db, monkeypatch):
    make_user(Role.CASHIER, "cashier1")
    counting = _CountingHasher(auth._hasher)
    monkeypatch.setattr(auth, "_hasher", counting)
    _fail("nobody")
    assert counting.verified == 1
    _fail("cashier1")
    assert counting.verified == 2


def test_an_unknown_user_takes_as_long_as_a_wrong_password(sqlite_db, production_hasher):
    make_user(Role.CASHIER, "cashier1")  # hashed with the production parameters (~0.15 s a verify)
    _fail("nobody")  # the first unknown name also makes the dummy hash: not part of the comparison

    def fastest_seconds(username: str) -> float:  # the least disturbed of a few tries (other work shares the cores)
        times = []
        for _ in range(4):  # a wrong password four times: not yet locked
            start = time.perf_counter()
            _fail(username)
            times.append(time.perf_counter() - start)
        return min(times)

    unknown, wrong = fastest_seconds("nobody"), fastest_seconds("cashier1")
    # without the dummy verify an unknown name answers ~100x faster; a wrong password also writes its failure count
    assert 0.25 < unknown / wrong < 4, (unknown, wrong)
