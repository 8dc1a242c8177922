"""Reading the audit trail (admin and manager): filter by person, entity and date."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.engine import read_session
from db.models import AuditEntry, User
from services.admin.reference import REF_TABLES
from services.estate.units import UNIT_RULES
from services.platform.audit import ACTION_LABELS, ENTITY_LABELS
from services.platform.auth import ROLE_LABELS, SYSTEM_ACTOR, Actor, Role, require
from services.platform.clock import SHANGHAI
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.users import USER_RULES

FIELD_LABELS: dict[str, str] = {
    "username": "用户名", "display_name": "姓名", "role": "角色", "active": "启用",
    "locked_until": "锁定至", "scale": "规模", "units": "房屋数", "people": "人数", "from": "来源文件",
}
for _rules in [UNIT_RULES, USER_RULES] + [
    r for t in REF_TABLES.values() for r in (t.edit_rules, t.create_rules)
]:
    FIELD_LABELS.update({name: rule.label for name, rule in _rules.fields.items()})


def _show(field: str, value: Any) -> str:  # a JSON value
    if value is None or value == "":
        return "（空）"
    if isinstance(value, bool):
        return "是" if value else "否"
    if field == "role" and value in {r.value for r in Role}:
        return ROLE_LABELS[Role(value)]
    return str(value)


def describe_change(before_json: str | None, after_json: str | None) -> str:
    """'建筑面积：89.50 → 120.37；备注：（空） → 已换锁' — what changed, in words."""
    before = json.loads(before_json) if before_json else {}
    after = json.loads(after_json) if after_json else {}
    parts = []
    for field in list(after) + [f for f in before if f not in after]:
        label = FIELD_LABELS.get(field, field)
        if field in before and field in after:
            parts.append(f"{label}：{_show(field, before[field])} → {_show(field, after[field])}")
        elif field in after:
            parts.append(f"{label}：{_show(field, after[field])}")
        else:
            parts.append(f"{label}：{_show(field, before[field])} → （删除）")
    return "；".join(parts)

AUDIT_COLUMNS = {
    "id": AuditEntry.id,
    "at": AuditEntry.at,
    "actor": AuditEntry.actor_username,
    "actor_name": User.display_name,
    "action": AuditEntry.action,
    "entity": AuditEntry.entity,
    "entity_id": AuditEntry.entity_id,
    "before": AuditEntry.before_json,
    "after": AuditEntry.after_json,
}


def list_audit(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of the audit trail, newest first, filtered in SQL."""
    authorize_list(actor, "audit.view", query)
    stmt = select(*[c.label(n) for n, c in AUDIT_COLUMNS.items()]).outerjoin(
        User, User.id == AuditEntry.actor_user_id
    )
    f = query.filters
    if f.get("actor"):
        stmt = stmt.where(AuditEntry.actor_username == f["actor"])
    if f.get("entity"):
        stmt = stmt.where(AuditEntry.entity == f["entity"])
    if f.get("date_from"):
        start = datetime.combine(f["date_from"], datetime.min.time(), SHANGHAI)
        stmt = stmt.where(AuditEntry.at >= start)
    if f.get("date_to"):
        end = datetime.combine(f["date_to"], datetime.max.time(), SHANGHAI)
        stmt = stmt.where(AuditEntry.at <= end)
    with read_session() as s:
        result = run_list(
            s, stmt, AUDIT_COLUMNS, query, search_columns=[AuditEntry.entity_id, AuditEntry.before_json,
                                                          AuditEntry.after_json],
            default_sort=("at", True),
        )
    df = result.rows
    df["at"] = [t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S") for t in df["at"]]
    df["action"] = [ACTION_LABELS.get(a, a) for a in df["action"]]
    df["entity"] = [ENTITY_LABELS.get(e, e) for e in df["entity"]]
    df["detail"] = [describe_change(b, a) for b, a in zip(df["before"], df["after"], strict=True)]
    df["actor_name"] = [
        n if n else (SYSTEM_ACTOR.display_name if a == SYSTEM_ACTOR.username else "")
        for a, n in zip(df["actor"], df["actor_name"], strict=True)
    ]
    return result


def list_actors(*, actor: Actor) -> dict[str, str]:
    """The person filter's choices {username: '用户名 姓名'}: every account by username, then the command line.

    Read from the users table, never from the trail (a DISTINCT over millions of rows): usernames cannot be renamed
    and accounts are disabled, never deleted, so every name the trail holds is among these.
    """
    require(actor, "audit.view")
    with read_session() as s:
        rows = s.execute(select(User.username, User.display_name)).all()
    # sorted here, not in SQL: the backends' collations order 'Admin' and 'admin' differently
    choices = {username: f"{username} {name}" for username, name in sorted(rows)}
    choices.setdefault(SYSTEM_ACTOR.username, f"{SYSTEM_ACTOR.username} {SYSTEM_ACTOR.display_name}")
    return choices
