"""Sign-in, roles and the one permission table.

Invariants:
- PERMISSIONS is the only place that says which role may do what; every write
  service calls `require(actor, action)` before touching data;
- passwords are stored as argon2 hashes only;
- five wrong passwords in a row lock an account for 15 minutes; a locked or
  disabled account cannot sign in, whatever the password;
- a failed sign-in says the same thing whether the user exists or not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from db.engine import unit_of_work
from db.models import User
from db.types import utcnow
from services import audit
from services.clock import to_local
from services.errors import AuthError, PermissionDenied, ValidationError

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
USERNAME_MAX = 32
PASSWORD_MIN = 8
PASSWORD_MAX = 128

_hasher = PasswordHasher()


class Role(StrEnum):
    ADMIN = "admin"
    MANAGER = "manager"
    SERVICE = "service"
    CASHIER = "cashier"
    ENGINEER = "engineer"
    CLERK = "clerk"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.ADMIN: "系统管理员",
    Role.MANAGER: "客服主管",
    Role.SERVICE: "客服专员",
    Role.CASHIER: "收费员",
    Role.ENGINEER: "维修工程",
    Role.CLERK: "内勤",
}

# action -> what the refusal message says the role cannot do
ACTIONS = {
    "units.view": "查看房屋",
    "units.edit": "修改房屋资料",
    "people.view_private": "查看完整证件号和手机号",
    "reference.view": "查看基础资料",
    "reference.edit": "维护基础资料（小区、楼栋、部门）",
    "users.manage": "管理用户",
    "audit.view": "查看操作日志",
    "data.export": "导出数据",
}

_ALL = frozenset(ACTIONS)
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: _ALL,
    Role.MANAGER: frozenset(
        {"units.view", "units.edit", "people.view_private", "reference.view", "audit.view", "data.export"}
    ),
    Role.SERVICE: frozenset({"units.view", "units.edit", "reference.view", "data.export"}),
    Role.CASHIER: frozenset({"units.view", "reference.view"}),
    Role.ENGINEER: frozenset({"units.view", "reference.view"}),
    Role.CLERK: frozenset({"units.view", "units.edit", "reference.view", "data.export"}),
}


@dataclass(frozen=True)
class Actor:
    """Who is acting: the signed-in user, or the command line."""

    user_id: int | None
    username: str
    display_name: str
    role: Role
    staff_id: int | None = None
    must_change_password: bool = False


SYSTEM_ACTOR = Actor(user_id=None, username="system", display_name="命令行", role=Role.ADMIN)


def role_can(role: Role | str, action: str) -> bool:
    if action not in ACTIONS:
        raise KeyError(f"unknown action {action!r}")
    return action in PERMISSIONS[Role(role)]


def can(actor: Actor, action: str) -> bool:
    return role_can(actor.role, action)


def require(actor: Actor, action: str) -> None:
    if not can(actor, action):
        raise PermissionDenied(ACTIONS[action])


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def check_password_rules(password: str, *, field: str = "密码") -> None:
    if len(password) < PASSWORD_MIN:
        raise ValidationError({field: f"至少 {PASSWORD_MIN} 个字符"})
    if len(password) > PASSWORD_MAX:
        raise ValidationError({field: f"不能超过 {PASSWORD_MAX} 个字符"})
    if password.strip() != password:
        raise ValidationError({field: "首尾不能有空格"})


def _verify(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        staff_id=user.staff_id,
        must_change_password=user.must_change_password,
    )


def authenticate(*, username: str, password: str, now: datetime | None = None) -> Actor:
    """Check a sign-in; count failures and lock after five."""
    now = now or utcnow()
    username = (username or "").strip()
    errors = {}
    if not username:
        errors["用户名"] = "不能为空"
    elif len(username) > USERNAME_MAX:
        errors["用户名"] = f"不能超过 {USERNAME_MAX} 个字符"
    if not password:
        errors["密码"] = "不能为空"
    if errors:
        raise ValidationError(errors)

    with unit_of_work() as uow:
        user = uow.session.scalar(select(User).where(User.username == username))
        if user is None:
            _verify(_dummy_hash(), password)  # same cost whether the user exists or not
            raise AuthError("用户名或密码错误")
        if not user.active:
            raise AuthError("该账户已停用，请联系系统管理员")
        if user.locked_until is not None and user.locked_until > now:
            local = to_local(user.locked_until).strftime("%H:%M")
            raise AuthError(f"连续输错密码次数过多，账户已锁定，请于 {local} 后再试")
        if not _verify(user.password_hash, password):
            user.failed_attempts += 1
            locked = user.failed_attempts >= MAX_FAILED_ATTEMPTS
            if locked:
                user.locked_until = now + LOCKOUT
                user.failed_attempts = 0
                audit.record(uow.session, SYSTEM_ACTOR, "lock", "users", user.id, None,
                             {"username": user.username, "locked_until": user.locked_until})
            uow.commit()
            if locked:
                raise AuthError("连续输错密码 5 次，账户已锁定 15 分钟")
            left = MAX_FAILED_ATTEMPTS - user.failed_attempts
            raise AuthError(f"用户名或密码错误（再错 {left} 次将锁定 15 分钟）")
        user.failed_attempts = 0
        user.locked_until = None
        user.last_login_at = now
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        actor = actor_of(user)
        audit.record(uow.session, actor, "login", "users", user.id, None, None)
        uow.commit()
        return actor


def change_own_password(*, actor: Actor, old_password: str, new_password: str, confirm: str) -> Actor:
    """Change the signed-in user's password (checks the old one)."""
    if actor.user_id is None:
        raise AuthError("命令行身份没有密码")
    if new_password != confirm:
        raise ValidationError({"确认新密码": "两次输入的新密码不一致"})
    check_password_rules(new_password, field="新密码")
    if new_password == old_password:
        raise ValidationError({"新密码": "不能与原密码相同"})
    with unit_of_work() as uow:
        user = uow.session.get(User, actor.user_id)
        if user is None or not user.active:
            raise AuthError("该账户已停用，请联系系统管理员")
        if not _verify(user.password_hash, old_password):
            raise ValidationError({"原密码": "不正确"})
        user.password_hash = hash_password(new_password)
        user.must_change_password = False
        audit.record(uow.session, actor, "change_password", "users", user.id, None, None)
        uow.commit()
        return actor_of(user)


@cache
def _dummy_hash() -> str:
    return _hasher.hash("propdesk-timing-equaliser")
