"""Sign-in, roles and the one permission table.

Invariants:
- PERMISSIONS is the only place that says which role may do what; every write
  service calls `require(actor, action)` before touching data;
- passwords are stored as argon2 hashes only;
- five wrong passwords in a row lock an account for 15 minutes; a locked or
  disabled account cannot sign in, whatever the password;
- a failed sign-in says the same thing whether the user exists or not, and takes as long: an unknown name
  verifies the password against a dummy hash made with the same parameters;
- hashes are argon2id, 64 MiB, 3 passes, 1 lane (above OWASP's 19 MiB, 2 passes, 1 lane).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from functools import cache
from typing import Any

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select, update
from sqlalchemy.orm import Session, object_session

from db.engine import unit_of_work
from db.models import User, UserEstate
from db.types import utcnow
from services.platform import audit
from services.platform.actors import ROLE_LABELS as ROLE_LABELS
from services.platform.actors import SYSTEM_ACTOR as SYSTEM_ACTOR
from services.platform.actors import Actor as Actor
from services.platform.actors import Role as Role
from services.platform.clock import to_local
from services.platform.errors import AuthError, PermissionDenied, ValidationError

MAX_FAILED_ATTEMPTS = 5
LOCKOUT = timedelta(minutes=15)
USERNAME_MAX = 32
PASSWORD_MIN = 8
PASSWORD_MAX = 128
WRONG_CREDENTIALS = f"用户名或密码错误（连续输错 {MAX_FAILED_ATTEMPTS} 次将锁定 15 分钟）"

# argon2id, 64 MiB, 3 passes, 1 lane: above OWASP's minimum (19 MiB, 2 passes, 1 lane), ~0.15 s a hash on one
# core. A hash made with other parameters is rehashed with these at its owner's next sign-in.
_hasher = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=1, hash_len=32, salt_len=16, type=Type.ID)


# action -> what the refusal message says the role cannot do
ACTIONS = {
    "units.view": "查看房屋",
    "units.edit": "修改房屋资料",
    "people.edit": "修改人员资料",
    "people.reveal": "查看完整证件号和手机号",
    "residency.manage": "办理入伙和迁出",
    "keys.manage": "管理钥匙借还",
    "parking.manage": "管理车位和车辆",
    "renovation.manage": "办理装修登记",
    "renovation.approve": "审批装修申请",
    "vip.manage": "管理重点户",
    "vacancy.inspect": "登记空置房巡查",
    "assets.import": "导入房屋和人员资料",
    "tickets.view": "查看工单",
    "tickets.take": "受理报事",
    "tickets.handle": "处理工单",
    "tickets.rule": "对投诉定性",
    "tickets.import": "导入历史工单",
    "fees.view": "查看收费和欠费",
    "fees.collect": "收款、开具收据和退款付款",
    "fees.bill": "生成应收账单",
    "fees.meter": "录入抄表读数",
    "fees.request": "申请减免、作废、取消账单或退款",
    "fees.approve": "审批减免、作废、取消账单和退款",
    "fees.dun": "登记催缴",
    "fees.settle": "办理日结",
    "fees.edit": "维护收费项目和房屋收费设置",
    "fees.import": "导入历史欠费",
    "appraisal.view": "查看考核表",
    "appraisal.manage": "编制月度考核（生成考核表、填写评语、提交）",
    "appraisal.approve": "审批考核表",
    "appraisal.rules": "维护考核指标、奖惩项目和奖惩规则",
    "staff.manage": "维护员工档案",
    "attendance.edit": "录入考勤",
    "incidents.record": "登记奖惩记录",
    "reference.view": "查看基础资料",
    "reference.edit": "维护基础资料（小区、楼栋、部门）",
    "users.manage": "管理用户",
    "setup.view": "查看上线检查",
    "audit.view": "查看操作日志",
    "data.export": "导出数据",
    # customer relations 客户关系 (services/relations)
    "relations.view": "查看客户关系登记",
    "surveys.manage": "维护满意度问卷和调查轮次",
    "surveys.record": "录入满意度调查答卷",
    "visits.plan": "编制业主访谈计划",
    "visits.record": "登记业主访谈",
    "activities.manage": "登记社区活动和宣传栏",
    "notices.write": "起草公告",
    "notices.publish": "发布、撤回和归档公告",
    "lost.manage": "登记失物招领",
    "services.manage": "维护特约服务价目",
    "services.order": "登记特约服务订单",
    "services.complete": "完成特约服务并记录业主评价",
    "inspections.manage": "维护巡查路线和检查项",
    "inspections.record": "登记楼宇巡查",
    "violations.manage": "登记和跟进违章",
    "handover.write": "填写值班记录和交接班",
}

_ALL = frozenset(ACTIONS)
_FRONT_DESK = {
    "units.view", "units.edit", "people.edit", "residency.manage", "keys.manage", "parking.manage",
    "renovation.manage", "vacancy.inspect", "reference.view", "data.export",
    "tickets.view", "tickets.take", "tickets.handle",
}
_FEES_DESK = {"fees.view", "fees.request", "fees.dun"}
# the registers of 客户关系 the front desk and property managers keep day to day (seeds: 客服前台, 物业管理员)
_RELATIONS_DESK = {"relations.view", "surveys.record", "visits.record", "activities.manage", "notices.write",
                   "lost.manage", "services.order", "services.complete", "inspections.record", "violations.manage",
                   "handover.write"}
# every member of staff reads their own scorecard; managers appraise their department
_APPRAISER = {"appraisal.view", "appraisal.manage", "appraisal.approve", "appraisal.rules", "staff.manage",
              "attendance.edit", "incidents.record"}
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.ADMIN: _ALL,
    Role.MANAGER: frozenset(
        _FRONT_DESK | _FEES_DESK | _APPRAISER | {"people.reveal", "renovation.approve", "vip.manage",
                                                 "assets.import", "audit.view", "tickets.rule", "tickets.import",
                                                 "fees.bill", "fees.approve", "fees.edit", "fees.import",
                                                 "fees.meter", "setup.view"}
        | _RELATIONS_DESK | {"surveys.manage", "visits.plan", "notices.publish", "services.manage",
                             "inspections.manage"}
    ),
    Role.SERVICE: frozenset(_FRONT_DESK | _FEES_DESK | _RELATIONS_DESK | {"people.reveal", "vip.manage",
                                                                         "appraisal.view"}),
    # a cashier collects and settles their own day; approving a void or waiver is never theirs
    Role.CASHIER: frozenset(_FEES_DESK | {"units.view", "reference.view", "tickets.view", "fees.collect",
                                          "fees.settle", "data.export", "appraisal.view"}),
    # engineers walk the rounds, do the paid jobs and keep the night duty log (seeds: 工程部值班)
    Role.ENGINEER: frozenset({"units.view", "reference.view", "vacancy.inspect", "tickets.view", "tickets.handle",
                              "appraisal.view", "relations.view", "inspections.record", "services.complete",
                              "handover.write"}),
    # the clerk 内勤 keeps the centre's attendance sheet (seeds: 文件、档案、票据、办公用品、考勤)
    Role.CLERK: frozenset(_FRONT_DESK | _FEES_DESK | _RELATIONS_DESK | {"assets.import", "fees.bill", "fees.meter",
                                                                        "fees.import", "appraisal.view",
                                                                        "attendance.edit"}),
}


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
    if not isinstance(password, str):
        raise ValidationError({field: "应为文字"})
    try:
        password.encode("utf-8")  # what the hasher hashes: a lone surrogate cannot be
    except UnicodeEncodeError:
        raise ValidationError({field: "含有无法保存的字符（不成对的代理码位），请重新输入"}) from None
    if len(password) < PASSWORD_MIN:
        raise ValidationError({field: f"至少 {PASSWORD_MIN} 个字符"})
    if len(password) > PASSWORD_MAX:
        raise ValidationError({field: f"不能超过 {PASSWORD_MAX} 个字符"})
    if password.strip() != password:
        raise ValidationError({field: "首尾不能有空格"})


def _verify(stored_hash: str, password: str) -> bool:
    """Whether `password` is the one hashed; anything that is not text, or text the hasher cannot encode (a lone
    surrogate), is simply not the password."""
    if not isinstance(password, str):
        return False
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError, UnicodeEncodeError):
        return False


def actor_of(user: User) -> Actor:
    return Actor(
        user_id=user.id,
        username=user.username,
        display_name=user.display_name,
        role=Role(user.role),
        staff_id=user.staff_id,
        must_change_password=user.must_change_password,
        estate_ids=_estates_of(user),
    )


def _estates_of(user: User) -> frozenset[int] | None:
    """The estates the user works in (None: all of them; an administrator always sees all)."""
    if user.role == Role.ADMIN or user.all_estates:
        return None
    session = object_session(user)
    assert session is not None  # read inside the sign-in's transaction
    return frozenset(session.scalars(select(UserEstate.estate_id).where(UserEstate.user_id == user.id)))


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
        s = uow.session
        # The row lock makes concurrent sign-ins of one account queue instead of racing on its counters.
        user = s.scalar(select(User).where(User.username == username).with_for_update())
        if user is None:
            _verify(_dummy_hash(_hasher), password)  # same cost whether the user exists or not
            raise AuthError(WRONG_CREDENTIALS)
        if user.locked_until is not None and user.locked_until > now:
            local = to_local(user.locked_until).strftime("%H:%M")
            raise AuthError(f"连续输错密码次数过多，账户已锁定，请于 {local} 后再试")
        if not _verify(user.password_hash, password):
            failures = user.failed_attempts + 1
            locked = failures >= MAX_FAILED_ATTEMPTS
            _sign_in_state(s, user.id, failed_attempts=0 if locked else failures,
                           locked_until=now + LOCKOUT if locked else user.locked_until)
            if locked:
                audit.record(s, SYSTEM_ACTOR, "lock", "users", user.id, None,
                             {"username": user.username, "locked_until": now + LOCKOUT})
            uow.commit()
            if locked:
                raise AuthError(f"连续输错密码 {MAX_FAILED_ATTEMPTS} 次，账户已锁定 15 分钟")
            raise AuthError(WRONG_CREDENTIALS)
        if not user.active:
            raise AuthError("该账户已停用，请联系系统管理员")
        new_hash = hash_password(password) if _hasher.check_needs_rehash(user.password_hash) else None
        _sign_in_state(s, user.id, failed_attempts=0, locked_until=None, last_login_at=now,
                       **({"password_hash": new_hash} if new_hash else {}))
        actor = actor_of(user)
        audit.record(s, actor, "login", "users", user.id, None, None)
        uow.commit()
        return actor


def _sign_in_state(session: Session, user_id: int, **values: Any) -> None:
    """Sign-in bookkeeping, written without bumping `version`: an admin editing the account meanwhile
    must not get a stale-edit refusal because its owner signed in."""
    session.execute(update(User).where(User.id == user_id).values(**values).execution_options(
        synchronize_session=False))


def change_own_password(*, actor: Actor, old_password: str, new_password: str, confirm: str) -> Actor:
    """Change the signed-in user's password (checks the old one)."""
    if actor.user_id is None:
        raise AuthError("命令行身份没有密码")
    if not isinstance(old_password, str):
        raise ValidationError({"原密码": "不正确"})
    check_password_rules(new_password, field="新密码")
    # only text is compared: pandas' NA or a signalling NaN raises when compared, instead of being unequal
    if not isinstance(confirm, str) or new_password != confirm:
        raise ValidationError({"确认新密码": "两次输入的新密码不一致"})
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
def _dummy_hash(hasher: PasswordHasher) -> str:
    """A hash with the hasher's own parameters, so verifying it costs what verifying a user's does."""
    return hasher.hash("propdesk-timing-equaliser")
