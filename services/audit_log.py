"""Reading the audit trail (admin and manager): filter by person, entity and date."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from db.engine import read_session
from db.models import AuditEntry, User
from services.audit import ACTION_LABELS, ENTITY_LABELS
from services.auth import Actor, require
from services.clock import SHANGHAI
from services.listing import ListQuery, PageResult, run_list

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
    require(actor, "audit.view")
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
    if not df.empty:
        df["at"] = df["at"].map(lambda t: t.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S"))
        df["action"] = df["action"].map(lambda a: ACTION_LABELS.get(a, a))
        df["entity"] = df["entity"].map(lambda e: ENTITY_LABELS.get(e, e))
        df["before"] = df["before"].fillna("")
        df["after"] = df["after"].fillna("")
    return result


def list_actors(*, actor: Actor) -> list[str]:
    """Usernames that appear in the audit trail (for the person filter)."""
    require(actor, "audit.view")
    with read_session() as s:
        return list(s.scalars(select(AuditEntry.actor_username).distinct().order_by(AuditEntry.actor_username)))
