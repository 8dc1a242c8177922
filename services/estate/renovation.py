"""Renovation 装修: 申请中 -> 已批准 (or 已拒绝 with reason) -> 施工中 -> 已验收 -> 已关闭.

Invariants: every step is one transaction with one audit row and a timeline line;
only a manager (renovation.approve) decides an application; while works are under way
the unit's status is 装修中 everywhere, and closing restores the status it had before;
the deposit received and refunded are Money, and the refund never exceeds the deposit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

import pandas as pd
from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Estate, Renovation, Unit
from services.estate.households import _note
from services.estate.statuses import UnitStatus
from services.estate.units import UNIT_CODE_ORDER, UNIT_STATUSES, join_unit_location, unit_code
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.identity import parse_phone
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.scope import in_scope, scoped_unit, unit_clause
from services.platform.validate import FieldError, collect, collect_text, parse_date, parse_hundredths

STEPS = ("申请中", "已批准", "已拒绝", "施工中", "已验收", "已关闭")
# the status a step requires -> the step's name, for refusal messages
_NEXT = {"approve": "申请中", "refuse": "申请中", "start": "已批准", "inspect": "施工中", "close": "已验收"}
_STEP_LABEL = {"approve": "批准", "refuse": "拒绝", "start": "开工", "inspect": "验收", "close": "关闭"}


@dataclass(frozen=True)
class Application:
    unit_id: int
    applicant: str
    contractor: str
    contractor_phone: str
    scope: str
    planned_start_on: date
    planned_end_on: date
    deposit: object  # text or Decimal from the form
    applied_on: date


def apply(*, actor: Actor, application: Application) -> int:
    """装修申请: registered 申请中; returns the renovation id."""
    require(actor, "renovation.manage")
    a = application
    errors: dict[str, str] = {}
    applicant = collect_text(errors, "申请人", a.applicant, 64, required=True)
    contractor = collect_text(errors, "施工单位", a.contractor, 100, required=True)
    phone = collect(errors, "施工方电话", a.contractor_phone, parse_phone) or ""
    scope = collect_text(errors, "装修内容", a.scope, 500, required=True)
    planned_start_on = collect(errors, "计划开工", a.planned_start_on, parse_date)
    planned_end_on = collect(errors, "计划完工", a.planned_end_on, parse_date)
    applied_on = collect(errors, "申请日期", a.applied_on, parse_date)
    if planned_start_on and planned_end_on and planned_end_on < planned_start_on:
        errors["计划完工"] = "不能早于计划开工"
    try:
        deposit = parse_hundredths(a.deposit, min_value=Decimal("0.00"), max_value=Decimal("999999.99"))
    except FieldError as exc:
        errors["装修押金"] = str(exc)
        deposit = Decimal("0.00")
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        unit = scoped_unit(s, actor, a.unit_id)
        open_one = s.scalar(select(Renovation.id).where(
            Renovation.unit_id == unit.id, Renovation.status.in_(("申请中", "已批准", "施工中", "已验收"))))
        if open_one:
            raise Conflict("该房屋已有未关闭的装修登记")
        r = Renovation(unit_id=unit.id, status="申请中", applicant=applicant, contractor=contractor,
                       contractor_phone=phone, scope=scope, planned_start_on=planned_start_on,
                       planned_end_on=planned_end_on, applied_on=applied_on, deposit=deposit)
        s.add(r)
        s.flush()
        audit.record(s, actor, "renovation_apply", "renovations", r.id, None,
                     {"unit_id": unit.id, "applicant": r.applicant, "contractor": r.contractor,
                      "deposit": deposit, "planned_start_on": planned_start_on, "planned_end_on": planned_end_on})
        _note(s, actor, unit.id, "装修", f"装修申请：{r.scope}（{r.contractor}）")
        uow.commit()
        return r.id


def _step(s: Session, actor: Actor, renovation_id: int, version: int, step: str) -> tuple[Renovation, Unit]:
    r = s.get(Renovation, renovation_id)
    unit = None if r is None else cast(Unit, s.get(Unit, r.unit_id))  # renovations.unit_id is a foreign key
    if r is None or unit is None or not in_scope(actor, unit.estate_id):
        raise NotFound("装修登记不存在")
    if r.version != version:
        raise StaleEdit()
    if r.status != _NEXT[step]:
        raise Conflict(f"当前状态为{r.status}，不能{_STEP_LABEL[step]}（需为{_NEXT[step]}）")
    return r, unit


def decide(*, actor: Actor, renovation_id: int, version: int, approve: bool, reason: str = "") -> None:
    """批准 or 拒绝 (with a reason) an application: a manager's decision."""
    require(actor, "renovation.approve")
    errors: dict[str, str] = {}
    reason = collect_text(errors, "拒绝原因", reason, 200)
    if not approve and not reason and not errors:
        errors["拒绝原因"] = "拒绝时必须填写原因"
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        r, unit = _step(s, actor, renovation_id, version, "approve" if approve else "refuse")
        r.status = "已批准" if approve else "已拒绝"
        r.decided_by = actor.display_name
        r.refused_reason = "" if approve else reason
        audit.record(s, actor, "renovation_approve" if approve else "renovation_refuse", "renovations", r.id,
                     {"status": "申请中"}, {"status": r.status, "reason": r.refused_reason})
        _note(s, actor, unit.id, "装修", "装修申请已批准" if approve else f"装修申请被拒绝：{reason}")
        uow.commit()


def start(*, actor: Actor, renovation_id: int, version: int, started_on: date,
          deposit_received_on: date | None) -> None:
    """开工: the unit shows 装修中 until the renovation is closed."""
    require(actor, "renovation.manage")
    errors: dict[str, str] = {}
    started_on = collect(errors, "开工日期", started_on, parse_date) or started_on
    deposit_received_on = collect(errors, "押金收取日期", deposit_received_on, parse_date, required=False)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        r, unit = _step(s, actor, renovation_id, version, "start")
        if r.deposit > 0 and deposit_received_on is None:
            raise ValidationError({"押金收取日期": f"须先收取装修押金 {r.deposit}"})
        r.status = "施工中"
        r.started_on = started_on
        r.deposit_received_on = deposit_received_on
        r.unit_status_before = unit.status
        before = {"status": unit.status}
        unit.status = UnitStatus.RENOVATING
        audit.record(s, actor, "renovation_start", "renovations", r.id, before,
                     {"status": UnitStatus.RENOVATING, "started_on": started_on,
                      "deposit_received_on": deposit_received_on})
        _note(s, actor, unit.id, "装修", f"装修开工（{started_on}）")
        uow.commit()


def inspect(*, actor: Actor, renovation_id: int, version: int, inspected_on: date, violations: str = "") -> None:
    """验收: record the inspection and any violations found."""
    require(actor, "renovation.manage")
    errors: dict[str, str] = {}
    inspected_on = collect(errors, "验收日期", inspected_on, parse_date) or inspected_on
    violations = collect_text(errors, "违规", violations, 500)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        r, unit = _step(s, actor, renovation_id, version, "inspect")
        if r.started_on and inspected_on < r.started_on:
            raise ValidationError({"验收日期": f"不能早于开工日期 {r.started_on}"})
        r.status = "已验收"
        r.inspected_on = inspected_on
        r.violations = violations
        audit.record(s, actor, "renovation_inspect", "renovations", r.id, {"status": "施工中"},
                     {"status": "已验收", "inspected_on": inspected_on, "violations": r.violations})
        _note(s, actor, unit.id, "装修", "装修验收" + (f"，发现违规：{r.violations}" if r.violations else "，无违规"))
        uow.commit()


def close(*, actor: Actor, renovation_id: int, version: int, refund: object, refunded_on: date | None,
          unit_status_after: str | None = None) -> None:
    """关闭: refund the deposit (all or part, never more) and give the unit its status back."""
    require(actor, "renovation.manage")
    errors: dict[str, str] = {}
    amount = (collect(errors, "退还押金", refund, lambda v: parse_hundredths(v, min_value=Decimal("0.00")))
              or Decimal("0.00"))
    refunded_on = collect(errors, "退还日期", refunded_on, parse_date, required=False)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        r, unit = _step(s, actor, renovation_id, version, "close")
        errors = {}
        if amount > r.deposit:
            errors["退还押金"] = f"不能超过已收押金 {r.deposit}"
        if amount > 0 and refunded_on is None:
            errors["退还日期"] = "退还押金时必填"
        if r.deposit > amount and not r.violations:
            errors["退还押金"] = "验收无违规时应全额退还押金"
        allowed = tuple(st for st in UNIT_STATUSES if st != UnitStatus.RENOVATING)
        if unit_status_after is not None and unit_status_after not in allowed:
            errors["关闭后房屋状态"] = "应为以下之一：" + "、".join(allowed)
        if errors:
            raise ValidationError(errors)
        r.status = "已关闭"
        r.deposit_refunded = amount
        r.deposit_refunded_on = refunded_on
        r.closed_on = refunded_on or r.inspected_on
        before = {"status": unit.status}
        unit.status = unit_status_after or r.unit_status_before or UnitStatus.OCCUPIED
        audit.record(s, actor, "renovation_close", "renovations", r.id, before,
                     {"status": unit.status, "deposit_refunded": amount, "refunded_on": refunded_on})
        _note(s, actor, unit.id, "装修", f"装修关闭，退还押金 {amount}")
        uow.commit()


_code = unit_code
RENOVATION_COLUMNS = {
    "id": Renovation.id,
    "version": Renovation.version,
    "estate": Estate.name,
    "code": _code,
    "status": Renovation.status,
    "applicant": Renovation.applicant,
    "contractor": Renovation.contractor,
    "applied_on": Renovation.applied_on,
    "planned_end_on": Renovation.planned_end_on,
    "deposit": Renovation.deposit,
    "deposit_refunded": Renovation.deposit_refunded,
    "violations": Renovation.violations,
}


INSPECT_AHEAD = timedelta(days=3)


def renovations_waiting(*, actor: Actor, today: date, limit: int = 10) -> tuple[dict[str, int], pd.DataFrame]:
    """The renovations the front desk must act on: works 施工中 whose planned end is past or within three days (an
    inspection 验收 to arrange) and applications 申请中 (to approve); counts and the first `limit` works by end date."""
    require(actor, "units.view")
    due = and_(Renovation.status == "施工中", Renovation.planned_end_on <= today + INSPECT_AHEAD)
    stmt = join_unit_location(select(*[c.label(n) for n, c in RENOVATION_COLUMNS.items()]), Renovation.unit_id,
                              actor=actor)
    with read_session() as s:
        counts = dict(s.execute(select(Renovation.status, func.count()).where(
            or_(due, Renovation.status == "申请中"), unit_clause(actor, Renovation.unit_id)).group_by(Renovation.status)).all())
        rows = s.execute(stmt.where(due).order_by(Renovation.planned_end_on, Renovation.id).limit(limit)).all()
    frame = pd.DataFrame([tuple(r) for r in rows], columns=list(RENOVATION_COLUMNS), dtype=object)
    return {"to_inspect": int(counts.get("施工中", 0)), "to_approve": int(counts.get("申请中", 0))}, frame


def list_renovations(*, actor: Actor, query: ListQuery) -> PageResult:
    authorize_list(actor, "units.view", query)
    stmt = join_unit_location(select(*[c.label(n) for n, c in RENOVATION_COLUMNS.items()]), Renovation.unit_id,
                              actor=actor)
    with read_session() as s:
        return run_list(s, stmt, RENOVATION_COLUMNS, query,
                        search_columns=[_code, Renovation.applicant, Renovation.contractor],
                        equal_filters={"status": Renovation.status}, default_sort=("applied_on", True),
                        sort_keys={"code": UNIT_CODE_ORDER})
