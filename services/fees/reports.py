"""Read models of the fees screens for managers: billing runs, meter sheets, the monthly 对账单,
the collection-rate report, daily settlement sheets and the lists behind collector assignment.

Invariants:
- nothing here writes; every function checks the actor's permission first;
- money sums are integer-cent sums in SQL (type_coerce to BigInteger), turned into Decimal yuan once;
- the 对账单 of a period P, taken at `as_of` (default: the end of P, or now while P is running), agrees
  with services.fees.figures.fee_kpis: 应收 − 减免 is 当期应收 and 实收 is 当期实收; and it balances by item:
  应收 = 减免 + 实收 + 欠费; the money received in P is 本月收款 (allocated to bills) + 预存存入;
  closing credit = opening + 存入 − 使用 − 退款 (refunds 退款 paid credit back; granted in P). Voided payments and
  cancelled bills never count (as in KPI.md); an estate's figures include the parking leases without a unit
  whose space is in it (services.fees.figures.in_estate);
- collection-rate figures come only from services.fees.figures.fee_kpis (never recomputed here).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Result,
    Select,
    SQLColumnExpression,
    case,
    false,
    func,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TypeCoerce

from db.engine import read_session
from db.models import (
    Allocation,
    Bill,
    BillingRun,
    Building,
    CreditEntry,
    Estate,
    FeeItem,
    MeterReading,
    Payment,
    Settlement,
    Staff,
    Unit,
    UnitFee,
)
from db.types import utcnow
from services.fees import figures as fee_figures
from services.fees.accounts import unit_labels
from services.fees.cashier import METHODS, sheet_clause
from services.fees.figures import FEE_KPI_KEYS, FEE_KPI_LABELS, FeeScope
from services.fees.statuses import BillStatus, PaymentStatus
from services.platform.auth import Actor, require
from services.platform.clock import to_local
from services.platform.errors import ValidationError
from services.platform.period import Period
from services.platform.scope import estate_clause

ZERO = Decimal("0.00")
CANCELLED = BillStatus.CANCELLED
VOIDED = PaymentStatus.VOIDED
REFUND = "退款"  # the kind of the credit entries a refund takes
METER_KIND = "商铺"  # every shop reads its water and electricity meters
TOTAL = "合计"
REPORT_GROUPS = {"month": "月份", "estate": "小区", "building": "楼栋", "collector": "收费员"}
RECONCILIATION_COLUMNS = ("收费项目", "应收", "减免", "实收", "预存抵扣", "欠费", "本月收款")


def _cents(column: SQLColumnExpression[Decimal]) -> TypeCoerce[int]:
    return type_coerce(column, BigInteger)


def _yuan(cents: int | None) -> Decimal:
    return (Decimal(int(cents or 0)) / 100).quantize(Decimal("0.01"))


def _period(text: str | Period) -> Period:
    if isinstance(text, Period):
        return text
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError({"期间": str(exc)}) from exc


def month_labels(*, count: int = 12, ahead: int = 0, today: date | None = None) -> list[str]:
    """`count` month labels newest first, starting `ahead` months after the current one."""
    today = today or to_local(utcnow()).date()
    index = today.year * 12 + today.month - 1 + ahead
    return [f"{(index - n) // 12:04d}-{(index - n) % 12 + 1:02d}" for n in range(count)]


# --- billing runs ------------------------------------------------------------------------------------


def billing_runs(*, actor: Actor, limit: int = 20) -> pd.DataFrame:
    """The latest billing runs, newest first: period, estate, when, by whom, bills created, total."""
    require(actor, "fees.view")
    with read_session() as s:
        rows = s.execute(select(BillingRun.period, Estate.name, BillingRun.at, BillingRun.by_name,
                                BillingRun.bills_created, BillingRun.total)
                         .outerjoin(Estate, Estate.id == BillingRun.estate_id)
                         .where(estate_clause(actor, BillingRun.estate_id))
                         .order_by(BillingRun.id.desc()).limit(limit)).all()
    return pd.DataFrame([{"期间": p, "小区": e or "全部", "时间": to_local(at), "操作人": by, "生成账单": n,
                          "金额": total} for p, e, at, by, n, total in rows],
                        columns=["期间", "小区", "时间", "操作人", "生成账单", "金额"])


# --- meter sheet 抄表 ---------------------------------------------------------------------------------


def _unit_label() -> ColumnElement[str]:
    return Estate.name + " " + Building.code + "-" + Unit.unit_no + "-" + Unit.room_no


def meter_sheet(*, actor: Actor, period: str, estate_id: int | None = None,
                building_id: int | None = None) -> pd.DataFrame:
    """The meters to read in a period: every shop 商铺 x every active 抄表 item, plus units that pay a
    meter item by exception (收取) or were read before; with the previous reading and this period's, if any."""
    require(actor, "fees.meter")
    p = _period(period)
    first, last = p.start.date(), p.last_instant.date()
    where = [estate_clause(actor, Unit.estate_id)]
    if estate_id is not None:
        where.append(Unit.estate_id == estate_id)
    if building_id is not None:
        where.append(Unit.building_id == building_id)
    with read_session() as s:
        items = dict(s.execute(select(FeeItem.id, FeeItem.name).where(FeeItem.basis == "抄表",
                                                                        FeeItem.active.is_(True))
                               .order_by(FeeItem.id)).all())
        if not items:
            return _empty_meter_sheet()
        shops = s.scalars(select(Unit.id).where(Unit.kind == METER_KIND, *where)).all()
        pairs = {(u, i) for u in shops for i in items}
        pairs |= set(s.execute(select(UnitFee.unit_id, UnitFee.fee_item_id).join(Unit, Unit.id == UnitFee.unit_id)
                               .where(UnitFee.fee_item_id.in_(list(items)), UnitFee.action == "收取",
                                      UnitFee.start_on <= last,
                                      or_(UnitFee.end_on.is_(None), UnitFee.end_on >= first), *where)).all())
        pairs |= set(s.execute(select(MeterReading.unit_id, MeterReading.fee_item_id).distinct()
                               .join(Unit, Unit.id == MeterReading.unit_id)
                               .where(MeterReading.fee_item_id.in_(list(items)), *where)).all())
        latest = (select(MeterReading.unit_id, MeterReading.fee_item_id,
                         func.max(MeterReading.period).label("period"))
                  .join(Unit, Unit.id == MeterReading.unit_id)
                  .where(MeterReading.period < p.label, *where)
                  .group_by(MeterReading.unit_id, MeterReading.fee_item_id).subquery())
        previous = {(u, i): (per, cur) for u, i, per, cur in s.execute(
            select(MeterReading.unit_id, MeterReading.fee_item_id, MeterReading.period, MeterReading.current)
            .join(latest, (latest.c.unit_id == MeterReading.unit_id)
                  & (latest.c.fee_item_id == MeterReading.fee_item_id) & (latest.c.period == MeterReading.period)))}
        labels = unit_labels(s, {u for u, _ in pairs})  # the metered units' only (not every unit in scope)
        current = {(u, i): (cur, use, rep) for u, i, cur, use, rep in s.execute(
            select(MeterReading.unit_id, MeterReading.fee_item_id, MeterReading.current, MeterReading.usage,
                   MeterReading.replaced).join(Unit, Unit.id == MeterReading.unit_id)
            .where(MeterReading.period == p.label, *where))}
    rows = []
    for unit_id, item_id in pairs:
        if unit_id not in labels:
            continue
        prev = previous.get((unit_id, item_id))
        now = current.get((unit_id, item_id))
        rows.append({"unit_id": unit_id, "fee_item_id": item_id, "房屋": labels[unit_id], "收费项目": items[item_id],
                     "上期期间": prev[0] if prev else "", "上期读数": prev[1] if prev else None,
                     "本期读数": now[0] if now else None, "用量": now[1] if now else None,
                     "换表": bool(now[2]) if now else False, "已录入": now is not None})
    if not rows:
        return _empty_meter_sheet()
    return pd.DataFrame(rows).sort_values(["房屋", "fee_item_id"]).reset_index(drop=True)


def _empty_meter_sheet() -> pd.DataFrame:
    return pd.DataFrame(columns=["unit_id", "fee_item_id", "房屋", "收费项目", "上期期间", "上期读数", "本期读数",
                                 "用量", "换表", "已录入"])


# --- monthly reconciliation 对账单 --------------------------------------------------------------------


@dataclass(frozen=True)
class Reconciliation:
    """The 对账单 of one month: by fee item (last row 合计) and the 预存 ledger of the month."""

    period: str
    as_of: datetime
    lines: pd.DataFrame  # RECONCILIATION_COLUMNS; money as Decimal
    received: Decimal  # valid payments received in the month
    opening_credit: Decimal
    credit_added: Decimal
    credit_used: Decimal  # spent by bills 抵扣
    credit_refunded: Decimal  # paid back 退款
    closing_credit: Decimal


def default_as_of(period: Period) -> datetime:
    """The moment a month's report is taken: its last instant, or now while it is still running."""
    return min(period.last_instant, utcnow())


def reconciliation(*, actor: Actor, period: str, estate_id: int | None = None,
                   as_of: datetime | None = None) -> Reconciliation:
    """对账单 by fee item for a month: 应收, 减免, 实收 (of it 预存抵扣), 欠费, and the money received in it."""
    require(actor, "fees.view")
    p = _period(period)
    as_of = as_of or default_as_of(p)
    # live allocations: a void flags its payment's allocations (services.fees.figures reads them the same way)
    live_allocs = (select(Allocation.bill_id, Allocation.via, Allocation.at, _cents(Allocation.amount).label("cents"))
                   .where(Allocation.voided == false())).subquery()
    with read_session() as s:
        # the actor's estates only (true for one who sees all)
        their_bills = fee_figures.account_clause(s, actor, unit_id=Bill.unit_id, household=Bill.household)
        their_payments = fee_figures.account_clause(s, actor, unit_id=Payment.unit_id, household=Payment.household)

        def bills(*columns: SQLColumnExpression[Any]) -> Select[*tuple[Any, ...]]:
            stmt = select(*columns).where(Bill.period == p.label, Bill.status != CANCELLED, their_bills)
            return stmt.where(_bill_in(s, estate_id)) if estate_id is not None else stmt

        # bills() takes any columns, so its rows are typed Row[*tuple[Any, ...]], which mypy cannot unpack
        billed = {i: (a, w) for i, a, w in cast("Result[int, int, int]", s.execute(
            bills(Bill.fee_item_id, func.sum(_cents(Bill.amount)), func.sum(_cents(Bill.waived)))
            .group_by(Bill.fee_item_id)))}
        paid = {i: (c, via) for i, c, via in cast("Result[int, int, int]", s.execute(
            bills(Bill.fee_item_id, func.sum(live_allocs.c.cents),
                  func.sum(case((live_allocs.c.via == "预存", live_allocs.c.cents), else_=0)))
            .join(live_allocs, live_allocs.c.bill_id == Bill.id).where(live_allocs.c.at <= as_of)
            .group_by(Bill.fee_item_id)))}
        # what each bill of the month has been paid by as_of: the month's bills' allocations only (summed over all
        # allocations, then joined, it read years of them: 3.9 s at 20,000 units)
        paid_by_bill = (select(Allocation.bill_id, func.sum(_cents(Allocation.amount)).label("cents"))
                        .where(Allocation.bill_period == p.label, Allocation.voided == false(), Allocation.at <= as_of)
                        .group_by(Allocation.bill_id).subquery())
        owing: dict[int, int] = dict(s.execute(
            bills(Bill.fee_item_id, func.sum(_cents(Bill.amount) - _cents(Bill.waived)
                                             - func.coalesce(paid_by_bill.c.cents, 0)))
            .outerjoin(paid_by_bill, paid_by_bill.c.bill_id == Bill.id).group_by(Bill.fee_item_id)).all())
        received_stmt = (select(Bill.fee_item_id, func.sum(live_allocs.c.cents))
                         .join(live_allocs, live_allocs.c.bill_id == Bill.id)
                         .where(live_allocs.c.via == "收款", live_allocs.c.at >= p.start, live_allocs.c.at < p.end,
                                their_bills))
        if estate_id is not None:
            received_stmt = received_stmt.where(_bill_in(s, estate_id))
        received_by_item: dict[int, int] = dict(s.execute(received_stmt.group_by(Bill.fee_item_id)).all())
        names = dict(s.execute(select(FeeItem.id, FeeItem.name)).all())

        def payments(*columns: SQLColumnExpression[Any]) -> Select[*tuple[Any, ...]]:
            stmt = select(*columns).where(their_payments)
            return stmt.where(_payment_in(s, estate_id)) if estate_id is not None else stmt

        received = s.scalar(payments(func.sum(_cents(Payment.amount)))
                            .where(Payment.status != VOIDED, Payment.received_at >= p.start,
                                   Payment.received_at < p.end))
        credit = (select(func.sum(_cents(CreditEntry.amount))).join(Payment, Payment.id == CreditEntry.payment_id)
                  .where(CreditEntry.voided.is_(False), their_payments))
        if estate_id is not None:
            credit = credit.where(_payment_in(s, estate_id))
        opening = s.scalar(credit.where(CreditEntry.at < p.start))
        added = s.scalar(credit.where(CreditEntry.at >= p.start, CreditEntry.at < p.end, CreditEntry.amount > 0))
        used = s.scalar(credit.where(CreditEntry.at >= p.start, CreditEntry.at < p.end, CreditEntry.amount < 0,
                                     CreditEntry.kind != REFUND))
        refunded = s.scalar(credit.where(CreditEntry.at >= p.start, CreditEntry.at < p.end, CreditEntry.kind == REFUND))
    rows = []
    totals = [0] * 6
    for item_id in sorted(set(billed) | set(paid) | set(received_by_item)):
        amount, waived = billed.get(item_id, (0, 0))
        collected, via_credit = paid.get(item_id, (0, 0))
        figures = [int(amount or 0), int(waived or 0), int(collected or 0), int(via_credit or 0),
                   int(owing.get(item_id) or 0), int(received_by_item.get(item_id) or 0)]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        rows.append([names.get(item_id, str(item_id)), *map(_yuan, figures)])
    rows.append([TOTAL, *map(_yuan, totals)])
    opening_c, added_c, used_c, refunded_c = int(opening or 0), int(added or 0), -int(used or 0), -int(refunded or 0)
    return Reconciliation(p.label, as_of, pd.DataFrame(rows, columns=list(RECONCILIATION_COLUMNS)),
                          _yuan(received), _yuan(opening_c), _yuan(added_c), _yuan(used_c), _yuan(refunded_c),
                          _yuan(opening_c + added_c - used_c - refunded_c))


def _bill_in(session: Session, estate_id: int) -> ColumnElement[bool]:
    """The estate's bills: its units', and those of the leases without a unit of its parking spaces."""
    return fee_figures.in_estate(session, estate_id, unit_id=Bill.unit_id, household=Bill.household)


def _payment_in(session: Session, estate_id: int) -> ColumnElement[bool]:
    return fee_figures.in_estate(session, estate_id, unit_id=Payment.unit_id, household=Payment.household)


# --- collection-rate report 收缴率 ---------------------------------------------------------------------


def _groups(session: Session, actor: Actor, by: str, estate_id: int | None) -> list[tuple[str, int]]:
    """The report's rows: (label, the group's id in fee_kpis_by), in the report's order (of the actor's estates)."""
    stmt: Select[int, str] | Select[int, str, str]  # (id, name), or (id, estate, building) by building
    if by == "estate":
        stmt = (select(Estate.id, Estate.name).where(Estate.active.is_(True), estate_clause(actor, Estate.id))
                .order_by(Estate.code))
        if estate_id is not None:
            stmt = stmt.where(Estate.id == estate_id)
        return [(name, i) for i, name in session.execute(stmt)]
    if by == "building":
        stmt = (select(Building.id, Estate.name, Building.name).join(Estate, Estate.id == Building.estate_id)
                .where(Building.active.is_(True), estate_clause(actor, Building.estate_id))
                .order_by(Estate.code, Building.id))
        if estate_id is not None:
            stmt = stmt.where(Building.estate_id == estate_id)
        return [(f"{e} {b}", i) for i, e, b in session.execute(stmt)]
    stmt = (select(Staff.id, Staff.name).where(Staff.id.in_(select(Unit.collector_staff_id).where(
        Unit.collector_staff_id.is_not(None), estate_clause(actor, Unit.estate_id),
        *([Unit.estate_id == estate_id] if estate_id is not None else [])))))
    return [(name, i) for i, name in session.execute(stmt.order_by(Staff.staff_no))]


def collection_report(*, actor: Actor, period: str, by: str = "month", estate_id: int | None = None,
                      months: int = 12) -> pd.DataFrame:
    """The fee figures of KPI.md (services.fees.figures.fee_kpis) by month (the `months` ending with `period`),
    or for `period` by 小区, 楼栋 or 收费员; first column the group, then FEE_KPI_KEYS by their labels."""
    require(actor, "fees.view")
    if by not in REPORT_GROUPS:
        raise ValidationError({"分组": "应为 " + "、".join(REPORT_GROUPS.values())})
    p = _period(period)
    columns = [REPORT_GROUPS[by], *(FEE_KPI_LABELS[k] for k in FEE_KPI_KEYS)]
    rows = []
    if by == "month":
        periods = [p]
        while len(periods) < months:
            periods.append(periods[-1].previous())
        trend = list(reversed(periods))
        by_month = fee_figures.fee_kpis_months(trend, as_of={q.label: default_as_of(q) for q in trend},
                                               scope=FeeScope(estate_id=estate_id, estate_ids=actor.estate_ids))
        for q in trend:
            rows.append([q.label, *(by_month[q.label][k] for k in FEE_KPI_KEYS)])
    else:
        with read_session() as s:
            groups = _groups(s, actor, by, estate_id)
        # one grouped computation for every row (a building's or collector's figures are of its units)
        figures_by = fee_figures.fee_kpis_by(p, by=by, as_of=default_as_of(p),
                                             scope=FeeScope(estate_id=estate_id if by != "estate" else None,
                                                            estate_ids=actor.estate_ids))
        for label, key in groups:
            figures = figures_by.get(key) or fee_figures.empty_fee_kpis()
            rows.append([label, *(figures[k] for k in FEE_KPI_KEYS)])
    return pd.DataFrame(rows, columns=columns)


# --- daily settlement sheets 日结单 ---------------------------------------------------------------------


def settlements(*, actor: Actor, date_from: date, date_to: date) -> pd.DataFrame:
    """Confirmed 日结 of all cashiers between two days, newest first, totals by method as columns, refunds paid
    out (total and numbers) and the cash expected net of cash refunds. An actor of some estates reads the sheets
    `cashier.sheet_clause` lets them read: their own, and the whole sheet of each cashier who took a payment in
    their estates that day (a sheet is one cashier's cash count: never split by estate)."""
    require(actor, "fees.view")
    if date_from > date_to:
        raise ValidationError({"日期": "开始日期不能晚于结束日期"})
    with read_session() as s:
        in_range = (Settlement.day >= date_from, Settlement.day <= date_to)
        # the days that hold a sheet, read first: the scope's condition has one term per day
        days = s.scalars(select(Settlement.day).where(*in_range).distinct()).all() \
            if actor.estate_ids is not None else []
        theirs = sheet_clause(s, actor, cashier_user_id=Settlement.cashier_user_id, day=Settlement.day, days=days)
        rows = s.scalars(select(Settlement).where(*in_range, theirs)
                         .order_by(Settlement.day.desc(), Settlement.cashier_name)).all()
        out = []
        for r in rows:
            totals = json.loads(r.totals_json)
            refunds = json.loads(r.refunds_json) if r.refunds_json else {}
            out.append({"日期": r.day, "收费员": r.cashier_name,
                        **{m: Decimal(totals.get(m, "0.00")) for m in METHODS},
                        "收款合计": r.total, "收据张数": r.receipt_count,
                        "退款合计": Decimal(refunds.get("total", "0.00")),
                        "退款单": "、".join(refunds.get("numbers", ())), "应交现金": r.cash_expected,
                        "实交现金": r.cash_handed, "差异": r.discrepancy, "差异说明": r.note,
                        "接收人": r.received_by, "作废收据": r.voided_receipts.replace(",", "、"),
                        "收据号": _receipt_range(r.receipts), "确认时间": to_local(r.confirmed_at)})
    return pd.DataFrame(out, columns=["日期", "收费员", *METHODS, "收款合计", "收据张数", "退款合计", "退款单",
                                      "应交现金", "实交现金", "差异", "差异说明", "接收人", "作废收据", "收据号",
                                      "确认时间"])


def _receipt_range(numbers: str) -> str:
    used = [n for n in numbers.split(",") if n]
    if not used:
        return ""
    return used[0] if len(used) == 1 else f"{used[0]} 至 {used[-1]}"


# --- collectors 收费员 ----------------------------------------------------------------------------------


def collector_options(*, actor: Actor) -> list[tuple[int, str]]:
    """(id, '工号 姓名') of active staff, to assign as the collector of units."""
    require(actor, "fees.view")
    with read_session() as s:
        return [(i, f"{no} {name}") for i, no, name in s.execute(
            select(Staff.id, Staff.staff_no, Staff.name).where(Staff.active.is_(True)).order_by(Staff.staff_no))]


def building_units(*, actor: Actor, building_id: int) -> pd.DataFrame:
    """The units of a building with their collector: unit_id, 房屋, 收费员."""
    require(actor, "fees.view")
    with read_session() as s:
        rows = s.execute(select(Unit.id, _unit_label(), Staff.name).join(Building, Building.id == Unit.building_id)
                         .join(Estate, Estate.id == Unit.estate_id)
                         .outerjoin(Staff, Staff.id == Unit.collector_staff_id)
                         .where(Unit.building_id == building_id, estate_clause(actor, Unit.estate_id))
                         .order_by(Unit.unit_no, Unit.floor, Unit.room_no)).all()
    return pd.DataFrame([{"unit_id": i, "房屋": label, "收费员": name or ""} for i, label, name in rows],
                        columns=["unit_id", "房屋", "收费员"])
