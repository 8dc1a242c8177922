"""Keys 钥匙 kept by the service centre: register, lend, return, report lost; the overdue list.

Invariants: a key is lent only when 在库 and returned only when 借出; each loan keeps who,
why, when it went out, when it is due and when it came back; one audit row per step.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Estate, Key, KeyLoan, Unit
from db.types import utcnow
from services.estate.households import _note
from services.estate.units import UNIT_CODE_ORDER, join_unit_location, unit_code
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.identity import parse_phone
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.scope import in_scope, scoped_unit, unit_clause
from services.platform.validate import collect, collect_text

KEY_STATUSES = ("在库", "借出", "遗失", "已交付")


def _key(session: Session, actor: Actor, key_id: int, version: int) -> Key:
    key = session.get(Key, key_id)
    if key is None or not in_scope(actor, cast(Unit, session.get(Unit, key.unit_id)).estate_id):
        raise NotFound("钥匙不存在")
    if key.version != version:
        raise StaleEdit()
    return key


def add_key(*, actor: Actor, unit_id: int, label: str, location: str = "") -> int:
    """登记 a key the service centre now keeps for a unit."""
    require(actor, "keys.manage")
    errors: dict[str, str] = {}
    label = collect_text(errors, "钥匙名称", label, 32, required=True)
    location = collect_text(errors, "存放位置", location, 32)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        scoped_unit(s, actor, unit_id)
        key = Key(unit_id=unit_id, label=label, location=location, status="在库")
        s.add(key)
        s.flush()
        audit.record(s, actor, "key_add", "keys", key.id, None, {"unit_id": unit_id, "label": label,
                                                                  "location": location})
        _note(s, actor, unit_id, "钥匙", f"登记钥匙“{label}”（{location or '未注明位置'}）")
        uow.commit()
        return key.id


def lend_key(*, actor: Actor, key_id: int, version: int, borrower: str, borrower_phone: str, reason: str,
             due_at: datetime) -> int:
    """借出: the key leaves the cabinet with a due time; returns the loan id."""
    require(actor, "keys.manage")
    errors: dict[str, str] = {}
    borrower = collect_text(errors, "借用人", borrower, 64, required=True)
    phone = collect(errors, "借用人电话", borrower_phone, parse_phone, required=False, default="")
    reason = collect_text(errors, "借用事由", reason, 200, required=True)
    now = utcnow()
    if due_at <= now:
        errors["应还时间"] = "应晚于现在"
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        key = _key(s, actor, key_id, version)
        if key.status != "在库":
            raise Conflict(f"钥匙“{key.label}”当前{key.status}，不能借出")
        key.status = "借出"
        loan = KeyLoan(key_id=key.id, borrower=borrower, borrower_phone=phone, reason=reason, out_at=now,
                       due_at=due_at, lent_by=actor.display_name)
        s.add(loan)
        s.flush()
        audit.record(s, actor, "key_lend", "keys", key.id, {"status": "在库"},
                     {"status": "借出", "borrower": borrower, "reason": reason, "due_at": due_at})
        _note(s, actor, key.unit_id, "钥匙", f"钥匙“{key.label}”借给 {borrower}（{reason}）")
        uow.commit()
        return loan.id


def return_key(*, actor: Actor, key_id: int, version: int) -> None:
    """归还: the open loan is closed and the key is back 在库."""
    require(actor, "keys.manage")
    with unit_of_work() as uow:
        s = uow.session
        key = _key(s, actor, key_id, version)
        loan = s.scalar(select(KeyLoan).where(KeyLoan.key_id == key.id, KeyLoan.returned_at.is_(None)))
        if key.status != "借出" or loan is None:
            raise Conflict(f"钥匙“{key.label}”当前{key.status}，没有待归还的借用")
        loan.returned_at = utcnow()
        loan.received_by = actor.display_name
        key.status = "在库"
        audit.record(s, actor, "key_return", "keys", key.id, {"status": "借出"},
                     {"status": "在库", "borrower": loan.borrower})
        _note(s, actor, key.unit_id, "钥匙", f"钥匙“{key.label}”已由 {loan.borrower} 归还")
        uow.commit()


def report_lost(*, actor: Actor, key_id: int, version: int, note: str = "") -> None:
    require(actor, "keys.manage")
    errors: dict[str, str] = {}
    note = collect_text(errors, "说明", note, 500)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        key = _key(s, actor, key_id, version)
        if key.status in ("遗失", "已交付"):
            raise Conflict(f"钥匙“{key.label}”当前{key.status}")
        before = key.status
        key.status = "遗失"
        loan = s.scalar(select(KeyLoan).where(KeyLoan.key_id == key.id, KeyLoan.returned_at.is_(None)))
        if loan is not None:  # lost while lent: the loan ends here, it will never be returned
            loan.returned_at = utcnow()
            loan.received_by = f"遗失（{actor.display_name}登记）"
        audit.record(s, actor, "key_lost", "keys", key.id, {"status": before}, {"status": "遗失", "note": note})
        _note(s, actor, key.unit_id, "钥匙", f"钥匙“{key.label}”遗失" + (f"：{note}" if note else ""))
        uow.commit()


_code = unit_code
KEY_COLUMNS = {
    "id": Key.id,
    "version": Key.version,
    "estate": Estate.name,
    "code": _code,
    "label": Key.label,
    "location": Key.location,
    "status": Key.status,
}
LOAN_COLUMNS = {
    "id": KeyLoan.id,
    "estate": Estate.name,
    "code": _code,
    "label": Key.label,
    "borrower": KeyLoan.borrower,
    "reason": KeyLoan.reason,
    "out_at": KeyLoan.out_at,
    "due_at": KeyLoan.due_at,
}


def list_keys(*, actor: Actor, query: ListQuery) -> PageResult:
    authorize_list(actor, "units.view", query)
    stmt = join_unit_location(select(*[c.label(n) for n, c in KEY_COLUMNS.items()]), Key.unit_id, actor=actor)
    with read_session() as s:
        return run_list(s, stmt, KEY_COLUMNS, query, search_columns=[_code, Key.label, Key.location],
                        equal_filters={"status": Key.status}, default_sort=("code", False),
                        sort_keys={"code": UNIT_CODE_ORDER})


def key_counts(*, actor: Actor) -> dict[str, int]:
    """Keys out of the cabinet now, and of those the ones past their due time."""
    require(actor, "units.view")
    with read_session() as s:
        counted = s.execute(select(
            func.count(), func.coalesce(func.sum(case((KeyLoan.due_at < utcnow(), 1), else_=0)), 0))
            .select_from(KeyLoan).join(Key, Key.id == KeyLoan.key_id)
            .where(KeyLoan.returned_at.is_(None), unit_clause(actor, Key.unit_id))).one()
    return {"out": int(counted[0]), "overdue": int(counted[1])}


def overdue_loans(*, actor: Actor, query: ListQuery) -> PageResult:
    """Keys lent out and not back by their due time, most overdue first."""
    authorize_list(actor, "units.view", query)
    stmt = join_unit_location(
        select(*[c.label(n) for n, c in LOAN_COLUMNS.items()]).join(Key, Key.id == KeyLoan.key_id), Key.unit_id,
        actor=actor).where(KeyLoan.returned_at.is_(None), KeyLoan.due_at < utcnow())
    with read_session() as s:
        return run_list(s, stmt, LOAN_COLUMNS, query, search_columns=[_code, KeyLoan.borrower],
                        default_sort=("due_at", False))
