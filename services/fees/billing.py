"""Fees 收费: the fee catalog, meter readings and billing runs that raise 应收.

Invariants:
- money is Decimal; every amount is rounded once, half-up to the cent (db.types.round_cents), after
  multiplying quantity x rate x (days billed / days in the month);
- a bill is unique per (item, payer, period): a billing run skips what exists, so running it again
  creates nothing; a run is one transaction — killed halfway it leaves no partial period;
- every delivered unit pays the default items of its kind (物业服务费 by type) from its 交房日期; a unit
  still 未售 is billed to the developer 开发商; per-unit exceptions add an item (收取) or exempt from one
  (免收) for a span of days; parking leases pay their monthly fee for the days they cover, to the account of
  their unit, or to their own account "L<lease id>" when they have none (an estate's run bills those leases
  through their space's estate);
- prepaid credit 预存 is used automatically, oldest bill first, by the bills a run creates.
"""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import ColumnElement, Table, and_, func, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import (
    Bill,
    BillingRun,
    Estate,
    FeeItem,
    MeterReading,
    ParkingLease,
    ParkingSpace,
    Person,
    Unit,
    UnitFee,
    UnitPerson,
)
from db.types import round_cents, utcnow
from services.estate.statuses import DELIVERED, UnitStatus, is_handed_over
from services.fees import ledger
from services.fees.accounts import lease_household, unit_household, unit_labels
from services.fees.statuses import BillStatus
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.period import Period
from services.platform.scope import in_scope, scoped_unit, unit_clause
from services.platform.validate import (
    FieldError,
    choice_of,
    collect,
    parse_date,
    parse_hundredths,
    parse_text,
)

BASES = ("面积", "固定", "抄表", "车位", "一次性")
CATEGORIES = ("物业服务费", "停车费", "水费", "电费", "垃圾清运费", "其他")
DEVELOPER = "开发商"
INSERT_CHUNK = 2000

DEFAULT_ITEMS = (
    # code, name, category, basis, rate, unit label, default unit kind
    ("WY-ZZ", "物业服务费（住宅）", "物业服务费", "面积", "2.2000", "元/㎡·月", "住宅"),
    ("WY-SP", "物业服务费（商铺）", "物业服务费", "面积", "4.5000", "元/㎡·月", "商铺"),
    ("WY-BG", "物业服务费（办公）", "物业服务费", "面积", "3.5000", "元/㎡·月", "办公"),
    ("WY-CK", "物业服务费（车库）", "物业服务费", "面积", "1.0000", "元/㎡·月", "车库"),
    ("TC", "停车费", "停车费", "车位", "0.0000", "元/月（按租约）", ""),
    ("SF", "水费（商铺）", "水费", "抄表", "5.6000", "元/吨", ""),
    ("DF", "电费（商铺）", "电费", "抄表", "0.9800", "元/度", ""),
    ("LJ-SP", "垃圾清运费（商铺）", "垃圾清运费", "固定", "50.0000", "元/月", "商铺"),
    ("ZX-LJ", "装修垃圾清运费", "其他", "一次性", "300.0000", "元/次", ""),
)


def seed_items(session: Session) -> int:
    """The catalog a new company starts from (propdesk init); never overwrites an edited item."""
    have = set(session.scalars(select(FeeItem.code)))
    added = 0
    for code, name, category, basis, rate, unit_label, kind in DEFAULT_ITEMS:
        if code not in have:
            session.add(FeeItem(code=code, name=name, category=category, basis=basis, rate=Decimal(rate),
                                unit_label=unit_label, default_unit_kind=kind))
            added += 1
    return added


def month_days(period: Period) -> tuple[date, date, int]:
    first = period.start.date()
    days = calendar.monthrange(first.year, first.month)[1]
    return first, first.replace(day=days), days


def prorate(quantity: Decimal, rate: Decimal, days: int, days_in_month: int) -> Decimal:
    """quantity x rate for a whole month, x days/days_in_month for part of one; rounded once, half-up."""
    if days == days_in_month:
        return round_cents(quantity * rate)
    return round_cents(quantity * rate * days / days_in_month)


def _days(start: date, end: date) -> int:
    return max((end - start).days + 1, 0)


def _covered_days(spans: Sequence[tuple[date, date]], exempt: Sequence[tuple[date, date]]) -> int:
    """Days in the union of `spans` minus the union of `exempt` (spans already clipped to the month)."""
    if not exempt and len(spans) == 1:
        return _days(*spans[0])
    days: set[date] = set()
    for start, end in spans:
        days.update(start + timedelta(n) for n in range(_days(start, end)))
    for start, end in exempt:
        days.difference_update(start + timedelta(n) for n in range(_days(start, end)))
    return len(days)


@dataclass(frozen=True)
class PlannedBill:
    fee_item_id: int
    item: str
    payer_key: str
    household: str
    unit_id: int | None
    parking_lease_id: int | None
    payer_name: str
    start_on: date
    end_on: date
    quantity: Decimal | None
    rate: Decimal
    amount: Decimal


@dataclass(frozen=True)
class UnitNote:
    """A unit the run does not bill in the period (`reason` says why), or bills with a flag the clerk should fix."""

    unit_id: int
    unit: str  # "小区 楼栋-单元-房号"
    reason: str


# Why a unit gets no bill of the period. Every unit of the run's scope either gets a bill, already had its bills,
# or is listed under one of these.
NOT_HANDED_OVER = "未交房（空置、无交房日期且从未有业主）"
DELIVERED_LATER = "交房日期在本期之后"
NO_ITEM = "该类房屋没有默认收费项目"
EXEMPT = "本期免收"
NO_AREA = "缺少建筑面积（按面积计费的项目未计）"
ZERO_AMOUNT = "应收金额为零（单价为 0 或天数为 0）"
NO_DELIVERY_DATE = "交房日期未填"


def handed_over_condition() -> ColumnElement[bool]:
    """`_plan`'s rule for a unit someone other than the developer pays for, as SQL on Unit (for counts): not 未售,
    and either a 交房日期 or handed over by its status (statuses.is_handed_over: 空置 only once it has had an
    owner)."""
    ever_owned = select(UnitPerson.id).where(UnitPerson.unit_id == Unit.id, UnitPerson.role == "业主").exists()
    return and_(Unit.status != UnitStatus.UNSOLD,
                or_(Unit.delivered_on.is_not(None), Unit.status.in_(DELIVERED),
                    and_(Unit.status == UnitStatus.VACANT, ever_owned)))


@dataclass(frozen=True)
class BillingPlan:
    period: str
    estate_id: int | None
    bills: tuple[PlannedBill, ...]
    existing: int  # bills of this period already there (skipped)
    warnings: tuple[str, ...] = ()
    by_item: tuple[tuple[str, int, Decimal], ...] = field(default=())  # item, count, total
    not_billed: tuple[UnitNote, ...] = ()  # units of the scope with no bill of the period, and why
    undated: tuple[UnitNote, ...] = ()  # handed-over units billed for the whole period: 交房日期未填

    @property
    def total(self) -> Decimal:
        return sum((b.amount for b in self.bills), Decimal("0.00"))

    @property
    def not_billed_by_reason(self) -> tuple[tuple[str, int], ...]:
        """(reason, units) for the units left without a bill, most first."""
        return _by_reason(self.not_billed)


def _by_reason(notes: Sequence[UnitNote]) -> tuple[tuple[str, int], ...]:
    counts: dict[str, int] = defaultdict(int)
    for n in notes:
        counts[n.reason] += 1
    return tuple(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


@dataclass(frozen=True)
class BillingResult:
    period: str
    created: int
    total: Decimal
    credit_used: Decimal
    not_billed: tuple[UnitNote, ...] = ()
    undated: tuple[UnitNote, ...] = ()

    @property
    def not_billed_by_reason(self) -> tuple[tuple[str, int], ...]:
        return _by_reason(self.not_billed)


def _clip(start: date | None, end: date | None, first: date, last: date) -> tuple[date, date] | None:
    lo = max(start or first, first)
    hi = min(end or last, last)
    return (lo, hi) if lo <= hi else None


def _plan(session: Session, period: Period, estate_id: int | None,
          estate_ids: frozenset[int] | None = None) -> BillingPlan:
    """The run's bills: of one estate, of `estate_ids` (the estates of a user who runs it for all theirs), or of
    every estate."""
    first, last, days_in_month = month_days(period)
    items = {i.id: i for i in session.scalars(select(FeeItem).where(FeeItem.active.is_(True)))}
    if estate_id:
        estate_ids = frozenset({estate_id})
    unit_filter = [Unit.estate_id.in_(sorted(estate_ids))] if estate_ids is not None else []
    units = session.execute(select(Unit.id, Unit.kind, Unit.status, Unit.built_area, Unit.delivered_on)
                            .where(*unit_filter)).all()
    owners = dict(session.execute(
        select(UnitPerson.unit_id, func.min(Person.name))
        .join(Person, Person.id == UnitPerson.person_id)
        .where(UnitPerson.role == "业主", UnitPerson.end_on.is_(None))
        .group_by(UnitPerson.unit_id)).all())
    exceptions: dict[tuple[int, int], list[UnitFee]] = defaultdict(list)
    for ex in session.scalars(select(UnitFee).where(UnitFee.start_on <= last,
                                                    or_(UnitFee.end_on.is_(None), UnitFee.end_on >= first))):
        exceptions[(ex.unit_id, ex.fee_item_id)].append(ex)
    existing_keys = set(session.execute(select(Bill.fee_item_id, Bill.payer_key)
                                        .where(Bill.period == period.label)).all())
    planned: list[PlannedBill] = []
    missing_area = 0
    defaults_by_kind: dict[str, list[FeeItem]] = defaultdict(list)
    item: FeeItem | None  # None below for a reading of an item not active
    for item in items.values():
        if item.default_unit_kind and item.basis in ("面积", "固定"):
            defaults_by_kind[item.default_unit_kind].append(item)

    billed: set[int] = set()  # units with a bill of the period, planned or already there
    reasons: dict[int, str] = {}  # why a unit got no bill (the first reason met)
    undated: list[int] = []

    def add(item: FeeItem, unit_id: int, quantity: Decimal | None, days: int, span: tuple[date, date],
            amount: Decimal | None = None) -> None:
        key = unit_household(unit_id)
        if (item.id, key) in existing_keys:
            billed.add(unit_id)
            return
        value = amount if amount is not None else prorate(quantity or Decimal(1), item.rate, days, days_in_month)
        if value <= 0:
            reasons.setdefault(unit_id, ZERO_AMOUNT)
            return
        billed.add(unit_id)
        planned.append(PlannedBill(item.id, item.name, key, key, unit_id, None, payers.get(unit_id, ""),
                                   span[0], span[1], quantity, item.rate, value))

    ever_owned = set(session.scalars(select(UnitPerson.unit_id).where(UnitPerson.role == "业主").distinct()))
    by_unit: dict[int, list[tuple[int, list[UnitFee]]]] = defaultdict(list)  # each unit's own, not all per unit
    for (u, item_id), rows in exceptions.items():
        by_unit[u].append((item_id, rows))
    payers: dict[int, str] = {}
    unit_id: int | None  # None below for a parking lease without a unit
    for unit_id, kind, status, area, delivered_on in units:
        payers[unit_id] = DEVELOPER if status == UnitStatus.UNSOLD else owners.get(unit_id, "")
        billed_from = None if status == UnitStatus.UNSOLD else delivered_on
        if status != UnitStatus.UNSOLD and delivered_on is None:
            # A handed-over unit without its 交房日期 (HC's sheet has none) pays for whole periods until the date
            # is filled in; a 空置 unit that never had an owner has not been handed over.
            if not is_handed_over(status, ever_owned=unit_id in ever_owned):
                reasons[unit_id] = NOT_HANDED_OVER
                continue
            undated.append(unit_id)
        elif delivered_on is not None and status != UnitStatus.UNSOLD and delivered_on > last:
            reasons.setdefault(unit_id, DELIVERED_LATER)
        candidates = {i.id: i for i in defaults_by_kind.get(kind, [])}
        if not candidates and unit_id not in by_unit:
            reasons.setdefault(unit_id, NO_ITEM)
        for item_id, rows in by_unit.get(unit_id, ()):
            if item_id in items and any(r.action == "收取" for r in rows):
                candidates[item_id] = items[item_id]
        for item in candidates.values():
            rows = exceptions.get((unit_id, item.id), [])
            if item.basis == "一次性":
                for r in rows:
                    if r.action == "收取" and first <= r.start_on <= last:
                        add(item, unit_id, Decimal(1), 1, (r.start_on, r.start_on), round_cents(item.rate))
                continue
            spans = []
            if item.default_unit_kind == kind:
                span = _clip(billed_from, None, first, last)
                if span:
                    spans.append(span)
            spans += [s for r in rows if r.action == "收取" and (s := _clip(r.start_on, r.end_on, first, last))]
            if not spans:
                continue
            exempt = [s for r in rows if r.action == "免收" and (s := _clip(r.start_on, r.end_on, first, last))]
            days = _covered_days(spans, exempt)
            if days == 0:
                reasons.setdefault(unit_id, EXEMPT if exempt else ZERO_AMOUNT)
                continue
            lo = min(s[0] for s in spans)
            hi = max(s[1] for s in spans)
            if item.basis == "面积":
                if area is None:
                    missing_area += 1
                    reasons.setdefault(unit_id, NO_AREA)
                    continue
                add(item, unit_id, area, days, (lo, hi))
            else:
                add(item, unit_id, None, days, (lo, hi))

    unit_ids = set(payers)
    meter_filter = [MeterReading.unit_id.in_(select(Unit.id).where(*unit_filter))] if unit_filter else []
    for reading in session.scalars(select(MeterReading).where(MeterReading.period == period.label, *meter_filter)):
        item = items.get(reading.fee_item_id)
        if item is None or reading.unit_id not in unit_ids:
            continue
        add(item, reading.unit_id, reading.usage, days_in_month, (first, last),
            round_cents(reading.usage * item.rate))

    parking = next((i for i in items.values() if i.basis == "车位"), None)
    if parking is not None:
        # a run for one estate bills its units' leases, and the leases without a unit of its parking spaces
        lease_filter = [or_(ParkingLease.unit_id.in_(select(Unit.id).where(*unit_filter)),
                            and_(ParkingLease.unit_id.is_(None), ParkingLease.space_id.in_(
                                select(ParkingSpace.id).where(ParkingSpace.estate_id.in_(sorted(estate_ids or ()))))))] \
            if unit_filter else []
        leases = session.execute(
            select(ParkingLease.id, ParkingLease.unit_id, ParkingLease.start_on, ParkingLease.end_on,
                   ParkingLease.monthly_fee, Person.name)
            .join(Person, Person.id == ParkingLease.person_id)
            .where(ParkingLease.start_on <= last, ParkingLease.end_on >= first, *lease_filter)).all()
        for lease_id, unit_id, start_on, end_on, fee, name in leases:
            key = lease_household(lease_id)
            span = _clip(start_on, end_on, first, last)
            if (parking.id, key) in existing_keys or span is None or fee <= 0:
                continue
            amount = prorate(Decimal(1), fee, _days(*span), days_in_month)
            if unit_id is not None:
                billed.add(unit_id)
            planned.append(PlannedBill(parking.id, parking.name, key, unit_household(unit_id) if unit_id else key, unit_id,
                                       lease_id, name, span[0], span[1], None, fee, amount))

    by_item: dict[str, list[Decimal]] = defaultdict(list)
    for b in planned:
        by_item[b.item].append(b.amount)
    warnings = []
    if missing_area:
        warnings.append(f"{missing_area} 套房屋缺少建筑面积，未计物业服务费；补齐面积后再次计费即可补上")
    if undated:
        warnings.append(f"{len(undated)} 套已交房的房屋{NO_DELIVERY_DATE}，本期按整月计费；请在房屋档案中补填交房日期")
    left_out = [u for u in payers if u not in billed]
    labels = unit_labels(session, set(left_out) | set(undated))
    return BillingPlan(
        period=period.label, estate_id=estate_id, bills=tuple(planned), existing=len(existing_keys),
        warnings=tuple(warnings),
        by_item=tuple((name, len(v), sum(v, Decimal("0.00"))) for name, v in sorted(by_item.items())),
        not_billed=tuple(UnitNote(u, labels.get(u, ""), reasons.get(u, NO_ITEM)) for u in sorted(left_out)),
        undated=tuple(UnitNote(u, labels.get(u, ""), NO_DELIVERY_DATE) for u in sorted(undated)))


def _parse_period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError({"计费期间": str(exc)}) from exc


def _check_estate(session: Session, actor: Actor, estate_id: int | None) -> None:
    """A run for one estate names one of the actor's (another is refused as one that does not exist)."""
    if estate_id is not None and (session.get(Estate, estate_id) is None or not in_scope(actor, estate_id)):
        raise NotFound("没有这个小区")


def preview_billing(*, actor: Actor, period: str, estate_id: int | None = None) -> BillingPlan:
    """What a billing run would create for the period (and estate), by item, without writing anything."""
    require(actor, "fees.bill")
    p = _parse_period(period)
    with read_session() as s:
        _check_estate(s, actor, estate_id)
        return _plan(s, p, estate_id, actor.estate_ids)


def run_billing(*, actor: Actor, period: str, estate_id: int | None = None,
                progress: Callable[[float, str], None] | None = None) -> BillingResult:
    """Raise the period's bills in one transaction; what already exists is skipped; credit is applied."""
    require(actor, "fees.bill")
    p = _parse_period(period)
    report = progress or (lambda _f, _t: None)
    try:
        with unit_of_work() as uow:
            s = uow.session
            report(0.05, "计算应收")
            _check_estate(s, actor, estate_id)
            plan = _plan(s, p, estate_id, actor.estate_ids)
            total = plan.total
            if not plan.bills:  # billed already: nothing to write, not even a run log
                report(1.0, "完成")
                return BillingResult(p.label, 0, total, ledger.ZERO, plan.not_billed, plan.undated)
            # a run of all the estates of a user of one estate is that estate's run (its log shows to them)
            only = next(iter(actor.estate_ids)) if actor.estate_ids and len(actor.estate_ids) == 1 else None
            run = BillingRun(period=p.label, estate_id=estate_id or only, at=utcnow(), by_name=actor.display_name,
                             bills_created=len(plan.bills), total=total)
            s.add(run)
            s.flush()
            _, last, _ = month_days(p)
            now = utcnow()
            rows = [dict(fee_item_id=b.fee_item_id, payer_key=b.payer_key, household=b.household,
                         unit_id=b.unit_id, parking_lease_id=b.parking_lease_id, payer_name=b.payer_name,
                         period=p.label, start_on=b.start_on, end_on=b.end_on, quantity=b.quantity, rate=b.rate,
                         amount=b.amount, paid=Decimal("0.00"), waived=Decimal("0.00"), due_on=last,
                         status=BillStatus.UNPAID, source="计费", run_id=run.id, created_at=now, note="", version=1)
                    for b in plan.bills]
            bills_table = cast(Table, Bill.__table__)  # the table, not the class: Core executemany, no ORM bulk path
            for n in range(0, len(rows), INSERT_CHUNK):
                s.execute(insert(bills_table), rows[n:n + INSERT_CHUNK])
                report(0.1 + 0.7 * min(n + INSERT_CHUNK, len(rows)) / max(len(rows), 1),
                       f"写入应收 {min(n + INSERT_CHUNK, len(rows))}/{len(rows)}")
            report(0.85, "使用预存抵扣")
            credit_used = ledger.apply_credit(s, households={b.household for b in plan.bills}, at=now)
            audit.record(s, actor, "bill", "billing_runs", run.id, None,
                         {"period": p.label, "estate_id": estate_id, "bills": len(plan.bills), "total": total,
                          "estate_ids": None if actor.estate_ids is None or estate_id else sorted(actor.estate_ids),
                          "credit_used": credit_used, "not_billed": dict(plan.not_billed_by_reason),
                          "undated": len(plan.undated)})
            uow.commit()
    except IntegrityError as exc:
        raise Conflict("同一期间正在由他人计费，请稍后刷新再试（不会重复生成账单）") from exc
    report(1.0, "完成")
    return BillingResult(p.label, len(plan.bills), total, credit_used, plan.not_billed, plan.undated)



# --- meter readings 抄表 ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Reading:
    unit_id: int
    fee_item_id: int
    current: object
    replaced: bool = False
    start_reading: object = None  # a replaced meter's first reading


def record_readings(*, actor: Actor, period: str, read_on: date, readings: Sequence[Reading]) -> int:
    """Enter a period's meter readings; usage = current - previous; all or nothing, errors per row."""
    require(actor, "fees.meter")
    p = _parse_period(period)
    row_errors: dict[int, dict[str, str]] = {}
    with unit_of_work() as uow:
        s = uow.session
        meter_items = set(s.scalars(select(FeeItem.id).where(FeeItem.basis == "抄表")))
        written = 0
        for n, r in enumerate(readings, start=1):
            scoped_unit(s, actor, r.unit_id, "没有这套房屋")
            errors: dict[str, str] = {}
            if r.fee_item_id not in meter_items:
                errors["收费项目"] = "不是抄表类收费项目"
            try:
                current = parse_hundredths(r.current, min_value=Decimal(0))
            except FieldError as exc:
                errors["本期读数"] = str(exc)
                current = None
            previous_row = s.scalars(select(MeterReading).where(
                MeterReading.unit_id == r.unit_id, MeterReading.fee_item_id == r.fee_item_id,
                MeterReading.period < p.label).order_by(MeterReading.period.desc()).limit(1)).first()
            if r.replaced:
                try:
                    previous = parse_hundredths(r.start_reading if r.start_reading not in (None, "") else "0",
                                                min_value=Decimal(0))
                except FieldError as exc:
                    errors["新表起数"] = str(exc)
                    previous = None
            else:
                previous = previous_row.current if previous_row else Decimal("0.00")
            if current is not None and previous is not None and current < previous:
                errors["本期读数"] = f"不能小于上期读数 {previous}（如已换表，请勾选“换表”并填写新表起数）"
            exists = s.scalar(select(MeterReading.id).where(
                MeterReading.unit_id == r.unit_id, MeterReading.fee_item_id == r.fee_item_id,
                MeterReading.period == p.label))
            if exists:
                errors["期间"] = f"{p.label} 已有读数"
            if errors:
                row_errors[n] = errors
                continue
            assert current is not None and previous is not None  # one that did not parse is an error above
            reading = MeterReading(unit_id=r.unit_id, fee_item_id=r.fee_item_id, period=p.label, previous=previous,
                                   current=current, usage=current - previous, replaced=r.replaced, read_on=read_on,
                                   read_by=actor.display_name)
            s.add(reading)
            s.flush()
            audit.record(s, actor, "create", "meter_readings", reading.id, None,
                         audit.snapshot(reading, ("unit_id", "fee_item_id", "period", "previous", "current",
                                                  "usage", "replaced")))
            written += 1
        if row_errors:
            raise ValidationError({}, row_errors=row_errors)
        uow.commit()
    return written



# --- per-unit exceptions 房屋收费设置 ------------------------------------------------------------------

UNIT_FEE_ACTIONS = ("收取", "免收")


@dataclass(frozen=True)
class UnitFeeView:
    """One exception of a unit to the default items: 收取 (also pays `item`) or 免收 (exempt) for a span of days."""

    id: int
    version: int
    item: str
    basis: str
    action: str
    start_on: date
    end_on: date | None
    note: str


def unit_fees(*, actor: Actor, unit_id: int) -> list[UnitFeeView]:
    """A unit's exceptions to the default items, newest first, with what each means for billing."""
    require(actor, "fees.view")
    with read_session() as s:
        rows = s.execute(select(UnitFee, FeeItem.name, FeeItem.basis).join(FeeItem, FeeItem.id == UnitFee.fee_item_id)
                         .where(UnitFee.unit_id == unit_id, unit_clause(actor, UnitFee.unit_id)).order_by(UnitFee.start_on.desc(), UnitFee.id.desc())).all()
        return [UnitFeeView(f.id, f.version, name, basis, f.action, f.start_on, f.end_on, f.note)
                for f, name, basis in rows]


def add_unit_fee(*, actor: Actor, unit_id: int, fee_item_id: int, action: str, start_on: object,
                 end_on: object = None, note: str = "") -> int:
    """Make a unit also pay an item (收取) or be exempt from a default one (免收) from a day, optionally until a day."""
    require(actor, "fees.edit")
    errors: dict[str, str] = {}
    action = collect(errors, "方式", action, choice_of(UNIT_FEE_ACTIONS, "应为 收取 或 免收")) or ""
    dates: dict[str, date | None] = {}
    for label, raw, required in (("开始日期", start_on, True), ("结束日期", end_on, False)):
        dates[label] = collect(errors, label, raw, parse_date, required=required)
    if dates.get("结束日期") and dates.get("开始日期") and \
            cast(date, dates["结束日期"]) < cast(date, dates["开始日期"]):  # both dates: the gets are truthy
        errors["结束日期"] = "不能早于开始日期"
    try:
        note = parse_text(note, max_len=200)
    except FieldError as exc:
        errors["备注"] = str(exc)
    with unit_of_work() as uow:
        s = uow.session
        item = s.get(FeeItem, fee_item_id)
        if item is None or not item.active:
            errors["收费项目"] = "不存在或已停用"
        elif item.basis in ("抄表", "车位"):
            errors["收费项目"] = f"“{item.name}”按{item.basis}计费，不需要在房屋上设置"
        elif action == "免收" and not item.default_unit_kind:
            errors["收费项目"] = f"“{item.name}”不是默认收取的项目，无需免收"
        unit = s.get(Unit, unit_id)
        if unit is None or not in_scope(actor, unit.estate_id):
            errors["房屋"] = "不存在"
        if errors:
            raise ValidationError(errors)
        row = UnitFee(unit_id=unit_id, fee_item_id=fee_item_id, action=action, start_on=dates["开始日期"],
                      end_on=dates["结束日期"], note=note)
        s.add(row)
        s.flush()
        audit.record(s, actor, "create", "unit_fees", row.id, None,
                     audit.snapshot(row, ("unit_id", "fee_item_id", "action", "start_on", "end_on", "note")))
        uow.commit()
        return row.id


def end_unit_fee(*, actor: Actor, unit_fee_id: int, version: int, end_on: object) -> None:
    """End an exception on a day (kept for history; bills already raised are not touched)."""
    require(actor, "fees.edit")
    errors: dict[str, str] = {}
    day = collect(errors, "结束日期", end_on, parse_date)
    if day is None:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        row = s.get(UnitFee, unit_fee_id)
        if row is None or not in_scope(actor, cast(Unit, s.get(Unit, row.unit_id)).estate_id):
            raise NotFound("没有这条房屋收费设置")
        if row.version != version:
            raise StaleEdit()
        if day < row.start_on:
            raise ValidationError({"结束日期": "不能早于开始日期"})
        before = row.end_on
        row.end_on = day
        s.flush()
        audit.record(s, actor, "update", "unit_fees", row.id, {"end_on": before}, {"end_on": day})
        uow.commit()


def fee_item_options(*, actor: Actor) -> list[tuple[int, str, str]]:
    """(id, name, basis) of active fee items, for pickers."""
    require(actor, "fees.view")
    with read_session() as s:
        return [cast("tuple[int, str, str]", tuple(r))
                for r in s.execute(select(FeeItem.id, FeeItem.name, FeeItem.basis)
                                   .where(FeeItem.active.is_(True)).order_by(FeeItem.code)).all()]
