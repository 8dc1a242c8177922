"""特约服务/家政 (paid services): the price list, the orders of units, their completion with the owner's rating, and
the charge as a bill of the unit.

Invariants:
- a price is money above zero; an order copies its item's name, category, unit of charge and price when it is
  taken, so a later change of the price list never moves it; amount = quantity x price, rounded once, half-up to
  the cent (db.types.round_cents), when the order is taken and again when the quantity actually done is recorded;
- an order is 已预约 until it is completed (已完成) or cancelled (已取消); neither is undone. Only an order not yet
  done may be cancelled or moved to another time or worker;
- completing an order raises exactly one Bill of its unit in the same transaction (fee item TS 特约服务, created
  when missing, basis 一次性; period = the month of completion in Asia/Shanghai, due on the completion day,
  payer_key = the order number, household = the unit's account "U<unit id>", payer = who ordered). The unit's
  prepaid credit 预存 is used on it as a billing run uses it (services.fees.ledger.use_credit); the rest is
  collected at the cashier counter by services.fees.cashier.take_payment like any other bill, so the receipt names
  特约服务 and the cashier's 日结 counts it: there is no second payment path. A bill raised in error is cancelled
  through the fees domain's 取消账单 request (a manager approves); the order stays 已完成 and its list shows the
  bill's state;
- the fee figures (当期应收, 当期实收, 收缴率, 户收费率, arrears) count a paid-service bill like every other fee item.
  Decision: KPI.md defines 当期应收 as all bills of the period and the fee figures already count every item
  (parking, water, power, the one-off 装修垃圾清运费), not the property fee alone; a paid service is usually paid
  within days, so it barely moves the rate, and an unpaid one is an arrear the collectors chase like any other.
  Excluding it would make every fee figure join the bills behind each allocation, which the fees domain reads
  without them for speed (services/fees/figures.py);
- every change writes its audit row(s) in its own transaction (completion: the order's and the bill's), or nothing
  is written; a stale version raises StaleEdit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from sqlalchemy import BigInteger, case, func, select, type_coerce
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import (
    Bill,
    Estate,
    FeeItem,
    PaidServiceItem,
    PaidServiceOrder,
    Person,
    Staff,
    Unit,
    UnitPerson,
)
from db.types import round_cents, utcnow
from services.estate.households import _note as unit_note
from services.estate.units import UNIT_CODE_ORDER, join_unit_location, unit_code
from services.fees import ledger
from services.fees.accounts import unit_household, unit_labels
from services.fees.statuses import BillStatus
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import SHANGHAI, to_local
from services.platform.counters import advance
from services.platform.editing import RowEdit, apply_edits, flush_or_stale
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.period import Period, period_of
from services.platform.privacy import mask_mobile
from services.platform.scope import in_scope, unit_clause
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import FieldError, is_blank, parse_date, parse_hundredths, parse_text
from services.platform.workbook import parse_contact_phone

CATEGORIES = ("家政保洁", "家电维修", "水电维修", "管道疏通", "开锁换锁", "搬家", "其他")
CHARGE_UNITS = ("次", "小时", "平方米", "个", "台", "米")
MAX_PRICE = Decimal("100000.00")
MAX_QUANTITY = Decimal("10000.00")
# an order may be entered after the job for up to this long (a lock opened at night is written up next morning),
# and booked this far ahead at most
BACKDATE = timedelta(days=3)
AHEAD = timedelta(days=180)

FEE_ITEM_CODE = "TS"
FEE_ITEM_NAME = "特约服务"
BILL_SOURCE = "特约服务"
ORDER_PREFIX = "TS"
RATINGS = (5, 4, 3, 2, 1)
RATING_WORDS = {5: "非常满意", 4: "满意", 3: "一般", 2: "不满意", 1: "非常不满意"}


class OrderStatus:
    BOOKED = "已预约"
    DONE = "已完成"
    CANCELLED = "已取消"


ORDER_STATUSES = (OrderStatus.BOOKED, OrderStatus.DONE, OrderStatus.CANCELLED)

ITEM_TABLE = TableSpec("paid_service_items", (
    Field("name", "服务名称", "services.item_name", editable=True, creatable=True, required=True, max_len=32),
    Field("category", "类别", "services.category", "choice", editable=True, creatable=True, required=True,
          options=CATEGORIES),
    Field("charge_unit", "计价单位", "services.charge_unit", "choice", editable=True, creatable=True, required=True,
          options=CHARGE_UNITS),
    Field("price", "单价", "services.price", "hundredths", editable=True, creatable=True, required=True,
          min_value=Decimal("0.01"), max_value=MAX_PRICE),
    Field("active", "启用", "services.active", "bool", editable=True, default=True),
    Field("note", "说明", "services.note", editable=True, creatable=True, max_len=200),
))


# --- price list 价目表 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceItem:
    id: int
    name: str
    category: str
    charge_unit: str
    price: Decimal
    note: str


def add_item(*, actor: Actor, name: str, category: str, charge_unit: str, price: object, note: str = "") -> int:
    """Add a service to the price list (active); returns its id."""
    require(actor, "services.manage")
    values = ITEM_TABLE.create_rules.parse_or_raise(
        {"name": name, "category": category, "charge_unit": charge_unit, "price": price, "note": note})
    with unit_of_work() as uow:
        s = uow.session
        if s.scalar(select(PaidServiceItem.id).where(PaidServiceItem.name == values["name"])) is not None:
            raise ValidationError({"服务名称": f"价目表中已有“{values['name']}”"})
        item = PaidServiceItem(active=True, **values)
        s.add(item)
        try:
            s.flush()
        except IntegrityError as exc:  # the same name added by someone else meanwhile
            raise Conflict(f"价目表中已有“{values['name']}”") from exc
        audit.record(s, actor, "create", "paid_service_items", item.id, None,
                     audit.snapshot(item, ("name", "category", "charge_unit", "price", "active", "note")))
        uow.commit()
        return item.id


def update_items(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits to the price list, all or nothing (orders already taken keep their price)."""
    require(actor, "services.manage")
    with unit_of_work() as uow:
        count = apply_edits(uow.session, actor=actor, model=PaidServiceItem, entity="paid_service_items",
                            edits=edits, rules=ITEM_TABLE.edit_rules, row_label=lambda item: item.name)
        uow.commit()
    return count


ITEM_COLUMNS: dict[str, Any] = {
    "id": PaidServiceItem.id,
    "version": PaidServiceItem.version,
    "name": PaidServiceItem.name,
    "category": PaidServiceItem.category,
    "charge_unit": PaidServiceItem.charge_unit,
    "price": PaidServiceItem.price,
    "active": PaidServiceItem.active,
    "note": PaidServiceItem.note,
    "orders": select(func.count(PaidServiceOrder.id)).where(PaidServiceOrder.item_id == PaidServiceItem.id)
    .correlate(PaidServiceItem).scalar_subquery(),
}


# categories sort as the price list declares them (家政保洁 first), not by their characters' code points
CATEGORY_ORDER = case({c: n for n, c in enumerate(CATEGORIES)}, value=PaidServiceItem.category, else_=len(CATEGORIES))


def list_items(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of the price list (filters: category, active), with how many orders each service had."""
    authorize_list(actor, "relations.view", query)
    stmt = select(*[c.label(n) for n, c in ITEM_COLUMNS.items()])
    with read_session() as s:
        return run_list(s, stmt, ITEM_COLUMNS, query, search_columns=[PaidServiceItem.name, PaidServiceItem.note],
                        equal_filters={"category": PaidServiceItem.category, "active": PaidServiceItem.active},
                        default_sort=("category", False),
                        sort_keys={"category": [CATEGORY_ORDER, PaidServiceItem.name]})


def active_items(*, actor: Actor) -> list[ServiceItem]:
    """The services an order can be taken for, by category and name."""
    require(actor, "relations.view")
    with read_session() as s:
        rows = s.execute(select(PaidServiceItem.id, PaidServiceItem.name, PaidServiceItem.category,
                                PaidServiceItem.charge_unit, PaidServiceItem.price, PaidServiceItem.note)
                         .where(PaidServiceItem.active.is_(True))
                         .order_by(PaidServiceItem.category, PaidServiceItem.name)).all()
    return [ServiceItem(*r) for r in rows]


def staff_choices(*, actor: Actor) -> dict[int, str]:
    """Staff in service {id: '工号 姓名'}, who can be sent to do a job."""
    require(actor, "relations.view")
    with read_session() as s:
        rows = s.execute(select(Staff.id, Staff.staff_no, Staff.name).where(Staff.active.is_(True))
                         .order_by(Staff.staff_no)).all()
    return {sid: f"{no} {name}" for sid, no, name in rows}


@dataclass(frozen=True)
class UnitContact:
    unit_id: int
    unit: str  # "小区 楼栋-单元-房号"
    name: str  # the current owner, else a current resident; "" when nobody lives there


def unit_contact(*, actor: Actor, unit_id: int) -> UnitContact:
    """The unit's label and whom an order is usually for (its current owner), to start the order form from."""
    require(actor, "relations.view")
    with read_session() as s:
        label = unit_labels(s, {unit_id}).get(unit_id) if _unit_visible(s, actor, unit_id) else None
        if label is None:
            raise NotFound("房屋不存在")
        name = s.scalar(select(Person.name).join(UnitPerson, UnitPerson.person_id == Person.id)
                        .where(UnitPerson.unit_id == unit_id, UnitPerson.end_on.is_(None))
                        .order_by(case((UnitPerson.role == "业主", 0), else_=1), UnitPerson.id).limit(1))
    return UnitContact(unit_id, label, name or "")


# --- orders 订单 -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceOrder:
    id: int
    version: int
    order_no: str
    unit_id: int
    unit: str
    requester_name: str
    requester_phone: str
    item_id: int
    item_name: str
    category: str
    charge_unit: str
    price: Decimal
    quantity: Decimal
    amount: Decimal
    scheduled_at: datetime
    staff_id: int | None
    staff_name: str
    request: str
    status: str
    ordered_at: datetime
    ordered_by: str
    completed_at: datetime | None
    completed_by: str
    rating: int | None
    comment: str
    cancelled_at: datetime | None
    cancel_reason: str
    bill_id: int | None
    bill_status: str  # the bill's state (未缴 / 部分缴 / 已缴 / 已减免 / 已取消), "" before completion
    bill_outstanding: Decimal | None  # what the bill still owes, None before completion


@dataclass(frozen=True)
class Completion:
    order_id: int
    order_no: str
    bill_id: int
    period: str
    amount: Decimal
    credit_used: Decimal  # paid at once from the unit's prepaid credit 预存
    outstanding: Decimal  # what the counter collects


def _field(errors: dict[str, str], label: str, parse: Any) -> Any:
    """Run one parser; a FieldError becomes the field's message (so every field is checked before refusing)."""
    try:
        return parse()
    except FieldError as exc:
        errors[label] = str(exc)
        return None


def _quantity(raw: object) -> Decimal:
    value = parse_hundredths(raw, max_value=MAX_QUANTITY)
    if value <= 0:
        raise FieldError("应大于 0")
    return value


def quote(*, price: Decimal, quantity: object) -> Decimal | None:
    """What `quantity` at `price` comes to (rounded as an order is), or None when the quantity is not a valid one:
    the estimate a form shows while the desk types."""
    try:
        return round_cents(_quantity(quantity) * price)
    except FieldError:
        return None


def _required_text(raw: object, max_len: int) -> str:
    text = parse_text(raw, max_len=max_len)
    if not text:
        raise FieldError("必填")
    return text


def _moment(raw: object) -> datetime:
    if not isinstance(raw, datetime):
        raise FieldError("应为日期和时刻，例如 2026-12-08 09:30")
    return raw if raw.tzinfo is not None else raw.replace(tzinfo=SHANGHAI)  # a desk's clock reads Shanghai time


def _scheduled(raw: object, now: datetime) -> datetime:
    moment = _moment(raw)
    if moment < now - BACKDATE:
        raise FieldError(f"不能早于 {BACKDATE.days} 天前（补录只限最近 {BACKDATE.days} 天的服务）")
    if moment > now + AHEAD:
        raise FieldError(f"不能晚于 {AHEAD.days} 天后")
    return moment


def _staff(session: Session, staff_id: int | None, outside: str, errors: dict[str, str]) -> tuple[int | None, str]:
    """Who does the job: a staff member in service, or an outside worker named in full (one of the two)."""
    if staff_id is None and not outside:
        errors["服务人员"] = "必填：请选择员工，或填写外协人员姓名"
    elif staff_id is not None and outside:
        errors["服务人员"] = "请选择员工或填写外协人员，二者选一"
    elif staff_id is not None:
        staff = session.get(Staff, staff_id)
        if staff is None or not staff.active:
            errors["服务人员"] = "员工不存在或已离职"
        else:
            return staff.id, staff.name
    return None, outside


def _locked_order(session: Session, actor: Actor, order_id: int, version: int) -> PaidServiceOrder:
    order = session.get(PaidServiceOrder, order_id, with_for_update=True)
    if order is None or not _unit_visible(session, actor, order.unit_id):
        raise NotFound("没有这张特约服务订单")
    if order.version != version:
        raise StaleEdit()
    return order




def create_order(*, actor: Actor, unit_id: int, requester_name: str, requester_phone: str, item_id: int,
                 quantity: object, scheduled_at: object, staff_id: int | None = None, staff_name: str = "",
                 request: str = "") -> ServiceOrder:
    """Take an order 登记 for a unit at the price list's current price; returns it with its number."""
    require(actor, "services.order")
    now = utcnow()
    errors: dict[str, str] = {}
    name = _field(errors, "联系人", lambda: _required_text(requester_name, 64))
    phone = _field(errors, "联系电话", lambda: parse_contact_phone(_required_text(requester_phone, 20)))
    qty = _field(errors, "数量", lambda: _quantity(quantity))
    when = _field(errors, "预约时间", lambda: _scheduled(scheduled_at, now))
    text = _field(errors, "服务要求", lambda: parse_text(request, max_len=500))
    outside = _field(errors, "外协人员", lambda: parse_text(staff_name, max_len=32)) or ""
    with unit_of_work() as uow:
        s = uow.session
        unit = s.get(Unit, unit_id)
        if unit is None or not in_scope(actor, unit.estate_id):
            errors["房屋"] = "不存在"
        item = s.get(PaidServiceItem, item_id)
        if item is None or not item.active:
            errors["服务项目"] = "不存在或已停用"
        staff_id, worker = _staff(s, staff_id, outside, errors)
        amount = round_cents(qty * item.price) if item is not None and qty is not None else None
        if amount is not None and amount <= 0:
            errors["数量"] = "金额不足 0.01 元，请核对数量"
        if errors:
            raise ValidationError(errors)
        assert item is not None and amount is not None  # no errors: both were found and parsed
        year = to_local(now).year
        number = advance(s, f"service-order:{ORDER_PREFIX}{year}")
        order = PaidServiceOrder(
            order_no=f"{ORDER_PREFIX}{year}-{number:06d}", unit_id=unit_id, requester_name=name,
            requester_phone=phone, item_id=item.id, item_name=item.name, category=item.category,
            charge_unit=item.charge_unit, price=item.price, quantity=qty, amount=amount, scheduled_at=when,
            staff_id=staff_id, staff_name=worker, request=text, status=OrderStatus.BOOKED, ordered_at=now,
            ordered_by=actor.display_name)
        s.add(order)
        s.flush()
        audit.record(s, actor, "create", "paid_service_orders", order.id, None, audit.snapshot(order, (
            "order_no", "unit_id", "requester_name", "requester_phone", "item_name", "price", "quantity", "amount",
            "scheduled_at", "staff_id", "staff_name", "request")))
        unit_note(s, actor, unit_id, BILL_SOURCE,
                  f"登记特约服务 {order.order_no}：{item.name} {quantity_text(qty)}{item.charge_unit}，"
                  f"预约 {to_local(when):%Y-%m-%d %H:%M}，{worker}")
        order_id = order.id
        uow.commit()
    return get_order(actor=actor, order_id=order_id)


def reschedule_order(*, actor: Actor, order_id: int, version: int, scheduled_at: object,
                     staff_id: int | None = None, staff_name: str = "") -> ServiceOrder:
    """改约/改派: move an order not yet done to another time or worker."""
    require(actor, "services.order")
    now = utcnow()
    errors: dict[str, str] = {}
    when = _field(errors, "预约时间", lambda: _scheduled(scheduled_at, now))
    outside = _field(errors, "外协人员", lambda: parse_text(staff_name, max_len=32)) or ""
    with unit_of_work() as uow:
        s = uow.session
        order = _locked_order(s, actor, order_id, version)
        if order.status != OrderStatus.BOOKED:
            raise Conflict(f"订单 {order.order_no} {order.status}，不能改约")
        staff_id, worker = _staff(s, staff_id, outside, errors)
        if errors:
            raise ValidationError(errors)
        before = audit.snapshot(order, ("scheduled_at", "staff_id", "staff_name"))
        after = {"scheduled_at": when, "staff_id": staff_id, "staff_name": worker}
        changed = {k: v for k, v in after.items() if before[k] != v}
        if changed:
            for k, v in changed.items():
                setattr(order, k, v)
            flush_or_stale(s)
            audit.record(s, actor, "update", "paid_service_orders", order.id, {k: before[k] for k in changed},
                         changed)
            uow.commit()
    return get_order(actor=actor, order_id=order_id)


def cancel_order(*, actor: Actor, order_id: int, version: int, reason: str) -> None:
    """取消 an order not yet done, with the reason (a done order has its bill: see the module docstring)."""
    require(actor, "services.order")
    try:
        text = _required_text(reason, 200)
    except FieldError as exc:
        raise ValidationError({"取消原因": str(exc)}) from exc
    with unit_of_work() as uow:
        s = uow.session
        order = _locked_order(s, actor, order_id, version)
        if order.status == OrderStatus.DONE:
            raise Conflict(f"订单 {order.order_no} 已完成并已生成账单，不能取消；如收费有误，请在收银台申请取消账单（主管审批）")
        if order.status != OrderStatus.BOOKED:
            raise Conflict(f"订单 {order.order_no} {order.status}")
        order.status = OrderStatus.CANCELLED
        order.cancelled_at = utcnow()
        order.cancel_reason = text
        flush_or_stale(s)
        audit.record(s, actor, "cancel", "paid_service_orders", order.id, {"status": OrderStatus.BOOKED},
                     {"status": OrderStatus.CANCELLED, "cancel_reason": text})
        unit_note(s, actor, order.unit_id, BILL_SOURCE, f"特约服务 {order.order_no}（{order.item_name}）已取消：{text}")
        uow.commit()


def service_fee_item(session: Session, actor: Actor) -> FeeItem:
    """The fee item paid-service bills are raised under: TS 特约服务 (by code, else by name), created when missing
    (a helper: works in the caller's session and never commits; the demo uses it too)."""
    item = session.scalar(select(FeeItem).where(FeeItem.code == FEE_ITEM_CODE)) or \
        session.scalar(select(FeeItem).where(FeeItem.name == FEE_ITEM_NAME))
    if item is not None:
        return item
    # rate 0 and no default unit kind: a billing run never raises it; only a completed order does
    item = FeeItem(code=FEE_ITEM_CODE, name=FEE_ITEM_NAME, category="其他", basis="一次性", rate=Decimal("0"),
                   unit_label="按服务价目", default_unit_kind="", active=True,
                   note="特约服务订单完成时生成账单（客户关系 → 特约服务），金额按价目")
    session.add(item)
    try:
        session.flush()
    except IntegrityError as exc:  # created by a completion running at the same moment
        raise Conflict("特约服务收费项目正在由他人创建，请重试") from exc
    audit.record(session, actor, "create", "fee_items", item.id, None,
                 audit.snapshot(item, ("code", "name", "category", "basis", "rate", "unit_label")))
    return item


def _rating(raw: object) -> int | None:
    if is_blank(raw):
        return None
    if isinstance(raw, bool) or not isinstance(raw, int | str) or str(raw).strip() not in {str(r) for r in RATINGS}:
        raise FieldError("应为 1–5 星，或不评价")
    return int(raw)


def complete_order(*, actor: Actor, order_id: int, version: int, completed_at: object, quantity: object = None,
                   rating: object = None, comment: str = "") -> Completion:
    """完成: record when the job was done, the quantity actually done, the owner's rating 1–5 (or none) and comment;
    raise the unit's bill in the same transaction and use its prepaid credit. Returns what the counter collects."""
    require(actor, "services.complete")
    now = utcnow()
    errors: dict[str, str] = {}

    def done_at() -> datetime:
        moment = _moment(completed_at)
        if moment > now:
            raise FieldError("不能晚于现在")
        return moment

    when = _field(errors, "完成时间", done_at)
    qty = _field(errors, "实际数量", lambda: _quantity(quantity)) if quantity not in (None, "") else None
    stars = _field(errors, "业主评价", lambda: _rating(rating))
    remark = _field(errors, "评价内容", lambda: parse_text(comment, max_len=500))
    with unit_of_work() as uow:
        s = uow.session
        order = _locked_order(s, actor, order_id, version)
        if order.status != OrderStatus.BOOKED:
            raise Conflict(f"订单 {order.order_no} {order.status}，不能再次完成")
        # a job is not done before it was asked for, nor before the time it was booked for when that is earlier
        # (an order written up after the job: 补录); to the minute, as the desk enters times
        earliest = min(order.ordered_at, order.scheduled_at)
        if when is not None and when < earliest.replace(second=0, microsecond=0):
            what = "下单" if earliest == order.ordered_at else "预约"
            errors["完成时间"] = f"不能早于{what}时间 {to_local(earliest):%Y-%m-%d %H:%M}"
        qty = qty if qty is not None else order.quantity
        amount = round_cents(qty * order.price)
        if amount <= 0:
            errors["实际数量"] = "金额不足 0.01 元，请核对数量"
        if errors:
            raise ValidationError(errors)
        assert when is not None  # no errors: parsed
        before = audit.snapshot(order, ("status", "quantity", "amount"))
        fee_item = service_fee_item(s, actor)
        day = to_local(when).date()
        household = unit_household(order.unit_id)
        bill = Bill(fee_item_id=fee_item.id, payer_key=order.order_no, household=household, unit_id=order.unit_id,
                    parking_lease_id=None, payer_name=order.requester_name, period=period_of(when), start_on=day,
                    end_on=day, quantity=qty, rate=order.price, amount=amount, paid=ledger.ZERO, waived=ledger.ZERO,
                    due_on=day, status=BillStatus.UNPAID, source=BILL_SOURCE, run_id=None, created_at=now,
                    note=f"{order.order_no} {order.item_name} {quantity_text(qty)}{order.charge_unit} × ¥{order.price}"[:200])
        s.add(bill)
        try:
            s.flush()
        except IntegrityError as exc:  # the unique (item, payer_key, period): this order billed meanwhile
            raise Conflict(f"订单 {order.order_no} 已生成账单") from exc
        order.status = OrderStatus.DONE
        order.completed_at = when
        order.completed_by = actor.display_name
        order.quantity = qty
        order.amount = amount
        order.rating = stars
        order.comment = remark
        order.bill_id = bill.id
        flush_or_stale(s)
        credit_used = ledger.use_credit(s, household, [bill], at=now)
        audit.record(s, actor, "complete", "paid_service_orders", order.id, before,
                     {"status": OrderStatus.DONE, "completed_at": when, "quantity": qty, "amount": amount,
                      "rating": stars, "comment": remark, "bill_id": bill.id})
        audit.record(s, actor, "create", "bills", bill.id, None,
                     {"fee_item": fee_item.name, "household": household, "period": bill.period, "amount": amount,
                      "due_on": day, "source": BILL_SOURCE, "order_no": order.order_no, "credit_used": credit_used})
        unit_note(s, actor, order.unit_id, BILL_SOURCE,
                  f"特约服务 {order.order_no}（{order.item_name}）已完成，应收 ¥{amount:,.2f}"
                  + (f"，预存抵扣 ¥{credit_used:,.2f}" if credit_used else "")
                  + (f"，业主评价 {stars} 星" if stars else ""))
        result = Completion(order.id, order.order_no, bill.id, bill.period, amount, credit_used, amount - credit_used)
        uow.commit()
    return result


def quantity_text(value: Decimal) -> str:
    """2.00 -> '2', 2.50 -> '2.5': how a quantity reads in a sentence."""
    return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f").rstrip("0")


# --- reading orders --------------------------------------------------------------------------------

_bill_status = func.coalesce(Bill.status, "")
ORDER_COLUMNS: dict[str, Any] = {
    "id": PaidServiceOrder.id,
    "version": PaidServiceOrder.version,
    "order_no": PaidServiceOrder.order_no,
    "status": PaidServiceOrder.status,
    "scheduled_at": PaidServiceOrder.scheduled_at,
    "estate": Estate.name,
    "code": unit_code,
    "requester": PaidServiceOrder.requester_name,
    "phone": PaidServiceOrder.requester_phone,
    "category": PaidServiceOrder.category,
    "item": PaidServiceOrder.item_name,
    "quantity": PaidServiceOrder.quantity,
    "charge_unit": PaidServiceOrder.charge_unit,
    "price": PaidServiceOrder.price,
    "amount": PaidServiceOrder.amount,
    "staff": PaidServiceOrder.staff_name,
    "completed_at": PaidServiceOrder.completed_at,
    "rating": PaidServiceOrder.rating,
    "bill_status": _bill_status,
    "ordered_by": PaidServiceOrder.ordered_by,
}


def list_orders(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of orders, latest appointment first. Filters: status, category, unit_id, item_id, staff_id, and by
    appointment month ("YYYY-MM") or day ("YYYY-MM-DD" or a date: the home page's jobs of the day, with status
    已预约). Phones are masked for roles that do not see them in full."""
    authorize_list(actor, "relations.view", query)
    stmt = join_unit_location(select(*[c.label(n) for n, c in ORDER_COLUMNS.items()]), PaidServiceOrder.unit_id,
                              actor=actor) \
        .outerjoin(Bill, Bill.id == PaidServiceOrder.bill_id)
    month = query.filters.get("month")
    if month:
        p = _period(str(month))
        stmt = stmt.where(PaidServiceOrder.scheduled_at >= p.start, PaidServiceOrder.scheduled_at < p.end)
    day = query.filters.get("day")
    if day:
        try:
            first = datetime.combine(parse_date(day), datetime.min.time(), SHANGHAI)
        except FieldError as exc:
            raise ValidationError({"日期": str(exc)}) from exc
        stmt = stmt.where(PaidServiceOrder.scheduled_at >= first,
                          PaidServiceOrder.scheduled_at < first + timedelta(days=1))
    with read_session() as s:
        result = run_list(
            s, stmt, ORDER_COLUMNS, query,
            search_columns=[PaidServiceOrder.order_no, unit_code, PaidServiceOrder.requester_name,
                            PaidServiceOrder.requester_phone, PaidServiceOrder.item_name, PaidServiceOrder.staff_name],
            equal_filters={"status": PaidServiceOrder.status, "category": PaidServiceOrder.category,
                           "unit_id": PaidServiceOrder.unit_id, "item_id": PaidServiceOrder.item_id,
                           "staff_id": PaidServiceOrder.staff_id},
            default_sort=("scheduled_at", True), sort_keys={"code": UNIT_CODE_ORDER})
    if not can(actor, "people.reveal"):
        result.rows["phone"] = [mask_mobile(p) if p else "" for p in result.rows["phone"]]
    return result


def get_order(*, actor: Actor, order_id: int) -> ServiceOrder:
    """One order with its bill's state; the phone in full to whoever does the job (they call the owner) and to
    people.reveal, masked for the others."""
    require(actor, "relations.view")
    with read_session() as s:
        row = s.execute(select(PaidServiceOrder, Bill).outerjoin(Bill, Bill.id == PaidServiceOrder.bill_id)
                        .where(PaidServiceOrder.id == order_id, unit_clause(actor, PaidServiceOrder.unit_id))).first()
        if row is None:
            raise NotFound("没有这张特约服务订单")
        o, bill = row
        label = unit_labels(s, {o.unit_id}).get(o.unit_id, "")
        doing_it = o.staff_id is not None and o.staff_id == actor.staff_id
        phone = o.requester_phone if doing_it or can(actor, "people.reveal") else mask_mobile(o.requester_phone)
        return ServiceOrder(
            o.id, o.version, o.order_no, o.unit_id, label, o.requester_name, phone, o.item_id,
            o.item_name, o.category, o.charge_unit, o.price, o.quantity, o.amount, o.scheduled_at, o.staff_id,
            o.staff_name, o.request, o.status, o.ordered_at, o.ordered_by, o.completed_at, o.completed_by, o.rating,
            o.comment, o.cancelled_at, o.cancel_reason, o.bill_id, bill.status if bill is not None else "",
            ledger.outstanding(bill) if bill is not None else None)


# --- the month 月度汇总 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthSummary:
    """A month of paid services. Orders are counted by appointment; what was done, billed, paid and rated by the
    month of completion (the bill's period), bills cancelled through the fees domain left out."""

    period: str
    orders: int  # appointments in the month, whatever became of them
    booked: int  # of those, still 已预约
    cancelled: int  # of those, 已取消
    completed: int  # done in the month
    billed: Decimal
    collected: Decimal  # paid on those bills so far (at the counter or from credit)
    rated: int
    average_rating: Decimal | None  # 1 decimal; None when nobody rated
    by_category: pd.DataFrame  # category, completed, billed, collected, average_rating


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError({"月份": str(exc)}) from exc


def _average(total: int, count: int) -> Decimal | None:
    if not count:
        return None
    return (Decimal(total) / Decimal(count)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _cents(column: Any) -> Any:
    """A Money column as its raw integer cents, so SQL sums are integer sums on every backend."""
    return type_coerce(column, BigInteger)


def _money(cents: int | Decimal | None) -> Decimal:
    return ledger.ZERO if cents is None else Decimal(int(cents)).scaleb(-2).quantize(ledger.ZERO)


def _unit_visible(session: Session, actor: Actor, unit_id: int) -> bool:
    unit = session.get(Unit, unit_id)
    return unit is not None and in_scope(actor, unit.estate_id)


def _done_by_period(session: Session, actor: Actor, periods: Sequence[str], *, by_category: bool) -> list[Any]:
    """(period, [category,] completed, billed, collected, rating sum, rated) of orders done in `periods`."""
    keys = [Bill.period, PaidServiceOrder.category] if by_category else [Bill.period]
    return list(session.execute(
        select(*keys, func.count(PaidServiceOrder.id), func.sum(_cents(Bill.amount) - _cents(Bill.waived)),
               func.sum(_cents(Bill.paid)),
               func.sum(PaidServiceOrder.rating), func.count(PaidServiceOrder.rating))
        .join(Bill, Bill.id == PaidServiceOrder.bill_id)
        .where(Bill.period.in_(list(periods)), Bill.status != BillStatus.CANCELLED,
               PaidServiceOrder.status == OrderStatus.DONE, unit_clause(actor, PaidServiceOrder.unit_id))
        .group_by(*keys).order_by(*keys)).all())


def month_summary(*, actor: Actor, period: str) -> MonthSummary:
    """Orders, money billed and collected, and the owners' average rating of one month."""
    require(actor, "relations.view")
    p = _period(period)
    with read_session() as s:
        by_status = {status: int(n) for status, n in s.execute(
            select(PaidServiceOrder.status, func.count(PaidServiceOrder.id))
            .where(PaidServiceOrder.scheduled_at >= p.start, PaidServiceOrder.scheduled_at < p.end,
                   unit_clause(actor, PaidServiceOrder.unit_id))
            .group_by(PaidServiceOrder.status))}
        rows = _done_by_period(s, actor, [p.label], by_category=True)
    categories = pd.DataFrame(
        [{"category": cat, "completed": int(n), "billed": _money(billed), "collected": _money(paid),
          "average_rating": _average(int(total or 0), int(rated))} for _p, cat, n, billed, paid, total, rated in rows],
        columns=["category", "completed", "billed", "collected", "average_rating"])
    rating_total = sum(int(r[5] or 0) for r in rows)
    rated = sum(int(r[6]) for r in rows)
    return MonthSummary(
        p.label, sum(by_status.values()), by_status.get(OrderStatus.BOOKED, 0),
        by_status.get(OrderStatus.CANCELLED, 0), sum(int(r[2]) for r in rows),
        sum((_money(r[3]) for r in rows), ledger.ZERO), sum((_money(r[4]) for r in rows), ledger.ZERO),
        rated, _average(rating_total, rated), categories)


def monthly_trend(*, actor: Actor, end: str, months: int = 12) -> pd.DataFrame:
    """Per month (the `months` up to `end`): orders done, money billed and collected, average rating."""
    require(actor, "relations.view")
    last = _period(end)
    periods = [last.label]
    while len(periods) < max(1, min(months, 36)):
        periods.insert(0, Period.parse(periods[0]).previous().label)
    with read_session() as s:
        rows = {r[0]: r for r in _done_by_period(s, actor, periods, by_category=False)}
    out = []
    for label in periods:
        r = rows.get(label)
        out.append({"period": label, "completed": int(r[1]) if r else 0, "billed": _money(r[2] if r else None),
                    "collected": _money(r[3] if r else None),
                    "average_rating": _average(int(r[4] or 0), int(r[5])) if r else None})
    return pd.DataFrame(out, columns=["period", "completed", "billed", "collected", "average_rating"])
