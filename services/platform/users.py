"""User accounts (admin only): add, edit role and name, reset password, disable, and the estates each works in.

Invariants: usernames are unique, 3–32 letters, digits, '.', '_' or '-'; there is
always at least one active admin; an admin cannot disable or demote themselves;
a reset password must be changed at the next sign-in; hashes never leave here.
A user works in every estate (users.all_estates) or in the estates listed for them (user_estates, at least one);
an administrator always works in all; a change is read at the user's next sign-in (services/platform/scope.py).
"""

from __future__ import annotations

import secrets
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Estate, Staff, User, UserEstate
from services.platform import audit
from services.platform.auth import (
    ROLE_LABELS,
    SYSTEM_ACTOR,
    Actor,
    Role,
    check_password_rules,
    hash_password,
    require,
)
from services.platform.editing import RowEdit, apply_edits, flush_or_stale
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import FieldError

USERNAME_PATTERN = r"[A-Za-z0-9._\-]{3,32}"
ALL_ESTATES = "全部小区"
ROLE_CHOICES = tuple(ROLE_LABELS[r] for r in Role)

USER_TABLE = TableSpec("users", (
    Field("username", "用户名", "admin.username", creatable=True, required=True, max_len=32,
          pattern=USERNAME_PATTERN, pattern_hint="3–32 位字母、数字、点、下划线或短横线"),
    Field("display_name", "姓名", "admin.display_name", editable=True, creatable=True, required=True, max_len=32),
    Field("role", "角色", "admin.role", "choice", editable=True, creatable=True, required=True,
          options=ROLE_CHOICES, stored_as={ROLE_LABELS[r]: r.value for r in Role}),
    Field("active", "启用", "admin.active", "bool", editable=True),
))
USER_RULES = USER_TABLE.edit_rules

USER_COLUMNS = {
    "id": User.id,
    "version": User.version,
    "username": User.username,
    "display_name": User.display_name,
    "role": User.role,
    "staff": Staff.name,
    "active": User.active,
    "must_change_password": User.must_change_password,
    "locked_until": User.locked_until,
    "last_login_at": User.last_login_at,
}  # and "estates": 全部小区, or the names of the estates the user works in


def generate_password() -> str:
    return secrets.token_urlsafe(9)


def list_users(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of user accounts (never the hashes)."""
    authorize_list(actor, "users.manage", query)
    stmt = select(*[c.label(n) for n, c in USER_COLUMNS.items()]).outerjoin(Staff, Staff.id == User.staff_id)
    with read_session() as s:
        result = run_list(
            s, stmt, USER_COLUMNS, query,
            search_columns=[User.username, User.display_name],
            equal_filters={"role": User.role, "active": User.active},
            default_sort=("username", False),
        )
        df = result.rows
        df["estates"] = _estate_labels(s, [int(i) for i in df["id"]])
    df["role"] = [ROLE_LABELS[Role(r)] for r in df["role"]]
    df["staff"] = df["staff"].fillna("")
    return result


def _estate_labels(session: Session, user_ids: Sequence[int]) -> list[str]:
    """What each user of a page works in: 全部小区, or the estates' names (read for the page's users only)."""
    if not user_ids:
        return []
    everywhere = dict(session.execute(select(User.id, User.all_estates.is_(True) | (User.role == Role.ADMIN.value))
                                      .where(User.id.in_(user_ids))).all())
    names: dict[int, list[str]] = {}
    for user_id, name in session.execute(select(UserEstate.user_id, Estate.name)
                                         .join(Estate, Estate.id == UserEstate.estate_id)
                                         .where(UserEstate.user_id.in_(user_ids)).order_by(Estate.code)):
        names.setdefault(user_id, []).append(name)
    return [ALL_ESTATES if everywhere.get(u) else "、".join(names.get(u, [])) for u in user_ids]


def _check_username(username: str) -> str:
    rule = USER_TABLE.field("username").rule
    try:
        parsed = cast(str, rule.parse(username))  # a "text" rule parses to str
    except FieldError as exc:
        raise ValidationError({"用户名": str(exc)}) from None
    # the audit trail names the command line so; an account of that name would be confused with it
    if parsed.casefold() == SYSTEM_ACTOR.username.casefold():
        raise ValidationError({"用户名": f"“{SYSTEM_ACTOR.username}”保留给命令行，请换一个"})
    return parsed


def add_user(
    *,
    actor: Actor,
    username: str,
    display_name: str,
    role: Role | str,
    password: str | None = None,
    staff_id: int | None = None,
    must_change_password: bool = True,
    estate_ids: Collection[int] | None = None,
) -> tuple[int, str]:
    """Create an account; returns (id, initial password) — a generated one when none is given. `estate_ids`: the
    estates the user works in (None: all of them; an administrator always works in all)."""
    require(actor, "users.manage")
    errors = {}
    try:
        username = _check_username(username)
    except ValidationError as exc:
        errors.update(exc.errors)
    try:
        display_name = USER_TABLE.field("display_name").rule.parse(display_name)
    except FieldError as exc:
        errors["姓名"] = str(exc)
    try:  # a role's code, or its label as the form shows it
        role = (Role(role) if isinstance(role, str) and role in {r.value for r in Role}
                else Role(USER_TABLE.field("role").rule.parse(role)))
    except FieldError:
        errors["角色"] = "应为以下之一：" + "、".join(ROLE_CHOICES)
    generated = password is None
    password = password if password is not None else generate_password()
    if not generated:
        try:
            check_password_rules(password, field="初始密码")
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    if role == Role.ADMIN:
        estate_ids = None
    with unit_of_work() as uow:
        s = uow.session
        if staff_id is not None and s.get(Staff, staff_id) is None:
            raise ValidationError({"员工": "不存在"})
        wanted = _check_estates(s, estate_ids)
        user = User(
            username=username,
            display_name=display_name,
            password_hash=hash_password(password),
            role=cast(Role, role).value,  # parsed into a Role above, or errors were raised
            staff_id=staff_id,
            must_change_password=must_change_password,
            all_estates=wanted is None,
        )
        s.add(user)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"用户名已存在：{username}") from exc
        s.add_all(UserEstate(user_id=user.id, estate_id=e) for e in wanted or ())
        audit.record(s, actor, "create", "users", user.id, None,
                     {"username": username, "display_name": display_name, "role": cast(Role, role).value,
                      "estates": ALL_ESTATES if wanted is None else wanted})
        uow.commit()
        return user.id, password


def _check_estates(session: Session, estate_ids: Collection[int] | None) -> list[int] | None:
    """The estates chosen for a user, sorted (None: all); at least one, each an estate on record."""
    if estate_ids is None:
        return None
    wanted = sorted(set(estate_ids))
    if not wanted:
        raise ValidationError({"负责小区": f"请至少选择一个小区，或选择“{ALL_ESTATES}”"})
    known = set(session.scalars(select(Estate.id).where(Estate.id.in_(wanted))))
    if len(known) < len(wanted):
        raise ValidationError({"负责小区": "所选小区不存在，请刷新后重选"})
    return wanted


@dataclass(frozen=True)
class EstateAssignment:
    """The estates a user works in, as the form to change them shows them."""

    user_id: int
    username: str
    version: int  # of the user's account: a change names the version it was read at
    all_estates: bool
    estate_ids: tuple[int, ...]  # when not all_estates
    is_admin: bool


def estate_assignment(*, actor: Actor, username: str) -> EstateAssignment:
    """The estates a user works in now (for the /admin form)."""
    require(actor, "users.manage")
    with read_session() as s:
        user = _get_user(s, username)
        ids = tuple(s.scalars(select(UserEstate.estate_id).where(UserEstate.user_id == user.id)
                              .order_by(UserEstate.estate_id)))
        return EstateAssignment(user.id, user.username, user.version, user.all_estates, ids,
                                user.role == Role.ADMIN.value)


def set_estates(*, actor: Actor, username: str, version: int, estate_ids: Collection[int] | None) -> None:
    """Give a user every estate (`estate_ids` None) or these (at least one); read at their next sign-in. An
    administrator always works in all estates."""
    require(actor, "users.manage")
    with unit_of_work() as uow:
        s = uow.session
        # locked: a second admin changing the same user's estates waits here, then sees the new version
        user = s.scalar(select(User).where(User.username == username).with_for_update())
        if user is None:
            raise NotFound(f"用户不存在：{username}")
        if user.version != version:
            raise StaleEdit()
        if user.role == Role.ADMIN.value and estate_ids is not None:
            raise ValidationError({"负责小区": "系统管理员总是负责全部小区"})
        wanted = _check_estates(s, estate_ids)
        had = sorted(s.scalars(select(UserEstate.estate_id).where(UserEstate.user_id == user.id)))
        before: list[int] | str = ALL_ESTATES if user.all_estates else had
        after: list[int] | str = ALL_ESTATES if wanted is None else wanted
        if before == after:
            return  # nothing to change, nothing to audit
        s.execute(delete(UserEstate).where(UserEstate.user_id == user.id))
        s.add_all(UserEstate(user_id=user.id, estate_id=e) for e in wanted or ())
        user.all_estates = wanted is None
        user.version += 1  # the estates live in their own table: the account's version still moves
        flush_or_stale(s)
        audit.record(s, actor, "set_estates", "users", user.id, {"estates": before}, {"estates": after})
        uow.commit()


def _lock_admins(session: Session) -> None:
    """Serialise changes that could leave no active admin (two admins disabling each other at once)."""
    session.execute(select(User.id).where(User.role == Role.ADMIN.value).order_by(User.id).with_for_update()).all()


def _active_admins(session: Session) -> int:
    # COUNT(*) always returns one row, so this is never None
    return cast(int, session.scalar(
        select(func.count()).select_from(User).where(User.role == Role.ADMIN.value, User.active.is_(True))
    ))


def update_users(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits (name, role, active) to accounts, all or nothing."""
    require(actor, "users.manage")

    def check_self(user: User, values: Mapping[str, Any]) -> dict[str, str]:
        errors = {}
        if user.id == actor.user_id:
            if values.get("role", Role.ADMIN.value) != Role.ADMIN.value:
                errors["角色"] = "不能修改自己的管理员角色"
            if values.get("active") is False:
                errors["启用"] = "不能停用自己的账户"
        return errors

    with unit_of_work() as uow:
        s = uow.session
        _lock_admins(s)
        count = apply_edits(
            s, actor=actor, model=User, entity="users", edits=edits,
            rules=USER_RULES, row_label=lambda u: u.username, check_row=check_self,
        )
        if count and _active_admins(s) < 1:
            field = "启用" if any("active" in e.changes for e in edits) else "角色"
            raise ValidationError({field: "至少要保留一个启用的系统管理员"})
        uow.commit()
    return count


def _get_user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"用户不存在：{username}")
    return user


def reset_password(*, actor: Actor, username: str, password: str | None = None) -> str:
    """Set a new password (generated unless given) that must be changed at next sign-in; unlocks."""
    require(actor, "users.manage")
    if password is not None:
        check_password_rules(password, field="新密码")
    new_password = password or generate_password()
    with unit_of_work() as uow:
        user = _get_user(uow.session, username)
        user.password_hash = hash_password(new_password)
        user.must_change_password = True
        user.failed_attempts = 0
        user.locked_until = None
        audit.record(uow.session, actor, "reset_password", "users", user.id, None, None)
        uow.commit()
    return new_password


def set_active(*, actor: Actor, username: str, active: bool) -> None:
    """Disable (or enable again) an account; the last active admin cannot be disabled."""
    require(actor, "users.manage")
    with unit_of_work() as uow:
        s = uow.session
        _lock_admins(s)
        user = _get_user(s, username)
        if not active and user.id == actor.user_id:
            raise ValidationError({"启用": "不能停用自己的账户"})
        if user.active == active:
            return  # already so: nothing to change, nothing to audit
        before = user.active
        user.active = active
        s.flush()
        if _active_admins(s) < 1:
            raise ValidationError({"启用": "至少要保留一个启用的系统管理员"})
        audit.record(s, actor, "enable" if active else "disable", "users", user.id,
                     {"active": before}, {"active": active})
        uow.commit()


def staff_options(*, actor: Actor) -> list[tuple[int, str]]:
    """(id, '工号 姓名') of active staff, for linking an account."""
    require(actor, "users.manage")
    with read_session() as s:
        rows = s.execute(select(Staff.id, Staff.staff_no, Staff.name).where(Staff.active.is_(True))
                         .order_by(Staff.staff_no))
        return [(r[0], f"{r[1]} {r[2]}") for r in rows]


ASSIGNABLE_ROLES = (Role.ENGINEER, Role.SERVICE, Role.CLERK, Role.MANAGER)


def works_in(estate_id: int) -> ColumnElement[bool]:
    """A condition on User: the user works in the estate (every estate, or it among theirs; an administrator
    always works in all), as their sign-in reads it (auth._estates_of)."""
    return or_(User.role == Role.ADMIN.value, User.all_estates.is_(True),
               User.id.in_(select(UserEstate.user_id).where(UserEstate.estate_id == estate_id)))


def assignees(session: Session, estate_id: int | None = None, user_id: int | None = None) -> dict[int, str]:
    """{user id: '姓名（角色）'} of the active accounts a ticket can be dispatched to; of those who work in
    `estate_id` when given (the ticket's: another estate's user could neither see nor take it); `user_id`: that
    account only (empty when it is none of them)."""
    stmt = select(User.id, User.display_name, User.role).where(
        User.active.is_(True), User.role.in_([r.value for r in ASSIGNABLE_ROLES]))
    if estate_id is not None:
        stmt = stmt.where(works_in(estate_id))
    if user_id is not None:
        stmt = stmt.where(User.id == user_id)
    rows = session.execute(stmt.order_by(User.role, User.display_name, User.id))
    return {uid: f"{name}（{ROLE_LABELS[Role(role)]}）" for uid, name, role in rows}


def assignable_users(*, actor: Actor, estate_id: int | None = None) -> dict[int, str]:
    """Active accounts a ticket can be dispatched to: {user id: '姓名（角色）'} (of one estate: see `assignees`)."""
    require(actor, "tickets.view")
    with read_session() as s:
        return assignees(s, estate_id)


def staff_choices(*, actor: Actor) -> dict[int, str]:
    """Active staff {id: '工号 姓名'} (for naming who is responsible)."""
    require(actor, "tickets.view")
    with read_session() as s:
        rows = s.execute(select(Staff.id, Staff.staff_no, Staff.name).where(Staff.active.is_(True))
                         .order_by(Staff.staff_no))
        return {sid: f"{no} {name}" for sid, no, name in rows}
