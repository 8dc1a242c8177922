"""Two years of fees for the demo estate: bills from real billing runs, payments with receipts, realistic
arrears, waivers and voids with their approvals, dunning and daily settlements.

Bills come from services.fees.billing.run_billing (the same code as production). Payments are back-dated, so they
are written here directly, keeping the ledger invariants of services.fees.ledger: every allocation is on a live
bill, paid = sum of live allocations, receipt numbers run without gaps per year in time order.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Mapping
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Row, Table, bindparam, insert, select, update
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import (
    Allocation,
    Approval,
    Bill,
    Counter,
    CreditEntry,
    DunningAction,
    FeeItem,
    MeterReading,
    Payment,
    Settlement,
    Staff,
    Unit,
    UnitFee,
    User,
)
from services.demo import bulk
from services.estate.statuses import UnitStatus
from services.fees import billing as fees
from services.fees.cashier import RECEIPT_PREFIX
from services.fees.statuses import ApprovalStatus, BillStatus, PaymentStatus
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import SHANGHAI, local_today
from services.platform.period import Period, period_of

MONTHS = 24
METHOD_WEIGHTS = (("微信", 45), ("支付宝", 20), ("现金", 15), ("银行转账", 10), ("POS", 10))
# how a household pays: (profile, weight)
PROFILES = (("monthly", 68), ("quarterly", 14), ("yearly", 6), ("stopped", 6), ("sporadic", 4), ("never", 2))
ZERO = Decimal("0.00")


def _periods(today: date, months: int) -> list[str]:
    first = date(today.year, today.month, 1)
    out = []
    for n in range(months - 1, -1, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - n, 12)
        out.append(f"{y:04d}-{m + 1:02d}")
    return out


def _moment(rng: random.Random, day: date) -> datetime:
    while day.weekday() == 6:  # the counter is closed on Sundays
        day += timedelta(days=1)
    return datetime.combine(day, time(rng.randrange(8, 17), rng.randrange(60), rng.randrange(60)), SHANGHAI)


def build_fee_demo(rng: random.Random, months: int = MONTHS) -> None:
    """Meter readings and exceptions, a billing run per month, then payments, approvals, dunning, settlements."""
    today = local_today()
    periods = _periods(today, months)
    with unit_of_work() as uow:
        s = uow.session
        fees.seed_items(s)
        staff = dict(s.execute(select(User.username, User.staff_id)).all())
        estates = sorted(set(s.scalars(select(Unit.estate_id))))
        for n, estate_id in enumerate(estates):
            collector = staff.get("cashier") if n % 2 == 0 else staff.get("clerk")
            s.execute(update(Unit).where(Unit.estate_id == estate_id).values(collector_staff_id=collector))
        items = {i.code: i for i in s.scalars(select(FeeItem))}
        shops = list(s.scalars(select(Unit.id).where(Unit.kind == "商铺").order_by(Unit.id)))
        readings = []
        for uid in shops:
            for code, lo, hi in (("SF", 5, 40), ("DF", 200, 1500)):
                value = Decimal(rng.randrange(100, 5000))
                for period in periods[:-1]:  # this month's meters are read at month end
                    usage = Decimal(rng.randrange(lo * 100, hi * 100)) / 100
                    readings.append(dict(unit_id=uid, fee_item_id=items[code].id, period=period, previous=value,
                                         current=value + usage, usage=usage, replaced=False,
                                         read_on=Period.parse(period).end.date() - timedelta(days=1),
                                         read_by="吴佳琪", version=1))
                    value += usage
        if readings:
            s.execute(insert(MeterReading), readings)
        renovating = list(s.scalars(select(Unit.id).where(Unit.status == UnitStatus.RENOVATING).order_by(Unit.id)))
        for uid in renovating:
            s.add(UnitFee(unit_id=uid, fee_item_id=items["ZX-LJ"].id, action="收取",
                          start_on=today - timedelta(days=rng.randrange(20, 300)), note="装修垃圾清运"))
        uow.commit()
    for period in periods:
        fees.run_billing(actor=SYSTEM_ACTOR, period=period)
    _payments(rng, today)


def _payments(rng: random.Random, today: date) -> None:
    with read_session() as s:
        users = {u.username: u for u in s.execute(select(User.id, User.username, User.display_name)).all()}
        bills = s.execute(select(Bill.id, Bill.household, Bill.unit_id, Bill.period, Bill.due_on, Bill.amount,
                                 Bill.payer_name).order_by(Bill.due_on, Bill.period, Bill.fee_item_id, Bill.id)).all()
        collectors = dict(s.execute(select(Staff.id, Staff.name)).all())
    cashier, manager = users["cashier"], users["manager"]
    # (id, household, unit_id, period, due_on, amount, payer_name) of every bill
    by_household: dict[str, list[Row[int, str, int | None, str, date, Decimal, str]]] = defaultdict(list)
    for b in bills:
        by_household[b.household].append(b)
    waived: dict[int, Decimal] = {}
    approvals: list[dict[str, Any]] = []
    now = datetime.now(SHANGHAI)
    # a few waivers a manager granted (hardship, service failures), and two still waiting
    for b in rng.sample(bills, k=min(12, len(bills))):
        amount = (b.amount / 2).quantize(Decimal("0.01"))
        pending = len(approvals) < 2
        if not pending:
            waived[b.id] = amount
        requested = datetime.combine(b.due_on, time(10), SHANGHAI) if not pending else now - timedelta(hours=3)
        approvals.append(dict(kind="减免", bill_id=b.id, payment_id=None, amount=amount,
                              reason=rng.choice(("独居老人困难减免", "停水三天服务补偿", "漏水影响使用，协商减免")),
                              requested_by=users["service"].id, requester_name=users["service"].display_name,
                              requested_at=requested, status=ApprovalStatus.PENDING if pending else ApprovalStatus.APPROVED,
                              decided_by=None if pending else manager.id,
                              decider_name="" if pending else manager.display_name,
                              decided_at=None if pending else requested + timedelta(hours=5), decision_note=""))
    events: list[tuple[datetime, str]] = []
    now = datetime.now(SHANGHAI)
    rows: list[Any]  # a household's bills here, a payment's allocations below
    for household, rows in by_household.items():
        profile = rng.choices([p for p, _ in PROFILES], weights=[w for _, w in PROFILES])[0]
        if rows[0].payer_name == fees.DEVELOPER:
            profile = "quarterly"
        months = sorted({r.period for r in rows})
        stop = months[max(0, len(months) - rng.randrange(4, 16))]
        for i, period in enumerate(months):
            first = Period.parse(period).start.date()
            pay = None
            if profile == "monthly" and rng.random() < 0.96:
                pay = first + timedelta(days=rng.randrange(3, 45))
            elif profile == "quarterly" and i % 3 == 2:
                pay = first + timedelta(days=rng.randrange(5, 40))
            elif profile == "yearly" and period.endswith("-12"):
                pay = first + timedelta(days=rng.randrange(10, 50))
            elif profile == "stopped" and period < stop and rng.random() < 0.9:
                pay = first + timedelta(days=rng.randrange(5, 60))
            elif profile == "sporadic" and rng.random() < 0.25:
                pay = first + timedelta(days=rng.randrange(5, 90))
            if pay is not None and pay < today and (at := _moment(rng, pay)) < now:
                events.append((at, household))
    events.sort()
    paid: dict[int, Decimal] = defaultdict(lambda: ZERO)
    payments: list[dict[str, Any]] = []
    allocations: list[list[dict[str, Any]]] = []
    credits: list[tuple[int, str, Decimal, datetime]] = []
    numbers: dict[int, int] = defaultdict(int)
    voids = set(rng.sample(range(len(events)), k=min(15, len(events))))
    methods = [m for m, _ in METHOD_WEIGHTS]
    weights = [w for _, w in METHOD_WEIGHTS]
    for n, (at, household) in enumerate(events):
        owing = [b for b in by_household[household]
                 if b.due_on <= (at.date() + timedelta(days=31)) and b.amount - waived.get(b.id, ZERO) - paid[b.id] > 0]
        if not owing:
            continue
        year = at.year
        if n in voids:  # keyed wrongly first, voided with a manager's approval, then taken again
            numbers[year] += 1
            payments.append(dict(receipt_no=f"{RECEIPT_PREFIX}{year}-{numbers[year]:06d}", household=household,
                                 unit_id=owing[0].unit_id, payer_name=owing[0].payer_name, method="现金",
                                 amount=owing[0].amount, credit_added=ZERO, received_at=at - timedelta(minutes=6),
                                 cashier_user_id=cashier.id, cashier_name=cashier.display_name, note="",
                                 status=PaymentStatus.VOIDED, voided_at=at - timedelta(minutes=2), void_reason="金额录入错误",
                                 void_approved_by=manager.display_name, version=2))
            allocations.append([dict(bill_id=owing[0].id, amount=owing[0].amount, at=at - timedelta(minutes=6),
                                     via="收款", voided=True, bill_period=owing[0].period,
                                     paid_period=period_of(at - timedelta(minutes=6)))])
            approvals.append(dict(kind="作废收据", bill_id=None, payment_id=len(payments), amount=owing[0].amount,
                                  reason="金额录入错误", requested_by=cashier.id, requester_name=cashier.display_name,
                                  requested_at=at - timedelta(minutes=5), status=ApprovalStatus.APPROVED, decided_by=manager.id,
                                  decider_name=manager.display_name, decided_at=at - timedelta(minutes=2),
                                  decision_note="同意"))
        numbers[year] += 1
        total = ZERO
        rows = []
        for b in owing:
            share = b.amount - waived.get(b.id, ZERO) - paid[b.id]
            paid[b.id] += share
            total += share
            rows.append(dict(bill_id=b.id, amount=share, at=at, via="收款", voided=False, bill_period=b.period,
                             paid_period=period_of(at)))
        extra = ZERO
        if at.date() >= today - timedelta(days=20) and rng.random() < 0.1:
            extra = Decimal(rng.choice((200, 500, 1000)))  # paying ahead: prepaid credit 预存
        payments.append(dict(receipt_no=f"{RECEIPT_PREFIX}{year}-{numbers[year]:06d}", household=household,
                             unit_id=owing[0].unit_id, payer_name=owing[0].payer_name,
                             method=rng.choices(methods, weights=weights)[0], amount=total + extra, credit_added=extra,
                             received_at=at, cashier_user_id=cashier.id, cashier_name=cashier.display_name, note="",
                             status=PaymentStatus.VALID, voided_at=None, void_reason="", void_approved_by="", version=1))
        allocations.append(rows)
        if extra:
            credits.append((len(payments), household, extra, at))
    with unit_of_work() as uow:
        s = uow.session
        ids: list[int] = []
        for chunk in range(0, len(payments), 2000):
            objs = [Payment(**p) for p in payments[chunk:chunk + 2000]]
            s.add_all(objs)
            s.flush()
            ids += [o.id for o in objs]
        rows = [dict(r, payment_id=ids[i]) for i, rs in enumerate(allocations) for r in rs]
        for chunk in range(0, len(rows), 5000):
            s.execute(insert(Allocation), rows[chunk:chunk + 5000])
        if credits:
            s.execute(insert(CreditEntry), [dict(household=h, payment_id=ids[i - 1], bill_id=None, amount=a, at=at,
                                                 kind="存入", voided=False) for i, h, a, at in credits])
        posted = []
        for a in approvals:
            if a["payment_id"] is not None:
                a["payment_id"] = ids[a["payment_id"] - 1]
            posted.append(Approval(**a))
        s.add_all(posted)
        table = cast(Table, Bill.__table__)  # a mapped class's table
        changes = []
        for b in bills:
            w, p = waived.get(b.id, ZERO), paid.get(b.id, ZERO)
            left = b.amount - w - p
            status = ((BillStatus.PAID if p > 0 else BillStatus.WAIVED) if left == 0
                      else (BillStatus.PART_PAID if p > 0 or w > 0 else BillStatus.UNPAID))
            if w or p:
                changes.append({"b_id": b.id, "b_paid": p, "b_waived": w, "b_status": status})
        if changes:
            s.execute(update(table).where(table.c.id == bindparam("b_id"))
                      .values(paid=bindparam("b_paid"), waived=bindparam("b_waived"), status=bindparam("b_status"),
                              version=table.c.version + 1).execution_options(synchronize_session=False), changes)
        for year, value in numbers.items():
            s.merge(Counter(name=f"receipt:{RECEIPT_PREFIX}{year}", value=value))
        _settlements(s, payments, cashier, users["clerk"].display_name, today)
        _dunning(s, rng, by_household, paid, waived, users, today)
        s.flush()
        bulk.write(s, "audit_log", _document_audits(s, payments, ids, allocations, posted, users))
        audit.record(s, SYSTEM_ACTOR, "create", "payments", "-", None,
                     {"demo_payments": len(payments), "collectors": len(collectors)})
        uow.commit()


def _document_audits(s: Session, payments: list[dict[str, Any]], ids: list[int],
                     allocations: list[list[dict[str, Any]]], approvals: list[Approval],
                     users: Mapping[str, Row[int, str, str]]) -> list[dict[str, Any]]:
    """The audit rows the services leave for each posted document (`propdesk check` asks for them): a payment's
    收款 (services.fees.cashier.take_payment), each request and decision (approvals), each 日结, stamped when the
    document was posted."""
    def yuan(value: Decimal) -> str:
        return format(value, "f")

    names = {u.id: u.username for u in users.values()}
    rows = []
    for pid, p, given in zip(ids, payments, allocations, strict=True):
        rows.append(bulk.audit_row(bulk.utc(p["received_at"]), p["cashier_user_id"], names[p["cashier_user_id"]],
                                   "collect", "payments", pid, None,
                                   {"receipt_no": p["receipt_no"], "household": p["household"],
                                    "amount": yuan(p["amount"]), "method": p["method"],
                                    "bills": {str(a["bill_id"]): yuan(a["amount"]) for a in given},
                                    "credit_added": yuan(p["credit_added"])}))
    for a in approvals:
        target = {"bill_id": a.bill_id} if a.payment_id is None else {"payment_id": a.payment_id}
        rows.append(bulk.audit_row(bulk.utc(a.requested_at), a.requested_by, names.get(a.requested_by or 0, ""),
                                   "request", "approvals", a.id, None,
                                   {"kind": a.kind, **target, "amount": yuan(cast(Decimal, a.amount)),
                                    "reason": a.reason}))
        if a.decided_at is not None:
            rows.append(bulk.audit_row(bulk.utc(a.decided_at), a.decided_by, names.get(a.decided_by or 0, ""),
                                       "approve", "approvals", a.id, {"status": ApprovalStatus.PENDING},
                                       {"status": a.status, "kind": a.kind, **target, "note": a.decision_note}))
    for st in s.scalars(select(Settlement).order_by(Settlement.id)):
        rows.append(bulk.audit_row(bulk.utc(st.confirmed_at), st.cashier_user_id, names.get(st.cashier_user_id, ""),
                                   "settle", "settlements", st.id, None,
                                   {"day": st.day.isoformat(), "total": yuan(st.total),
                                    "cash_expected": yuan(st.cash_expected), "cash_handed": yuan(st.cash_handed),
                                    "discrepancy": yuan(st.discrepancy), "receipts": st.receipt_count}))
    return rows


def _settlements(s: Session, payments: list[dict[str, Any]], cashier: Row[int, str, str], clerk: str,
                 today: date) -> None:
    by_day: dict[date, list[dict[str, Any]]] = defaultdict(list)
    for p in payments:
        by_day[p["received_at"].date()].append(p)
    for day, rows in sorted(by_day.items()):
        if day >= today:
            continue
        totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
        for p in rows:
            if p["status"] == PaymentStatus.VALID:
                totals[p["method"]] += p["amount"]
        cash = totals.get("现金", ZERO)
        s.add(Settlement(cashier_user_id=cashier.id, cashier_name=cashier.display_name, day=day,
                         totals_json=json.dumps({k: str(v) for k, v in totals.items()}, ensure_ascii=False),
                         total=sum(totals.values(), ZERO), receipt_count=len(rows),
                         receipts=",".join(sorted(p["receipt_no"] for p in rows)),
                         voided_receipts=",".join(sorted(p["receipt_no"] for p in rows if p["status"] == PaymentStatus.VOIDED)),
                         cash_expected=cash, cash_handed=cash, discrepancy=ZERO, note="", received_by=clerk,
                         confirmed_at=datetime.combine(day, time(17, 40), SHANGHAI)))


def _dunning(s: Session, rng: random.Random,
             by_household: Mapping[str, list[Row[int, str, int | None, str, date, Decimal, str]]],
             paid: Mapping[int, Decimal], waived: Mapping[int, Decimal],
             users: Mapping[str, Row[int, str, str]], today: date) -> None:
    outcomes = (("承诺缴费", 40), ("无人接听", 30), ("拒缴", 15), ("承诺缴费", 15))
    staff = [users["cashier"], users["clerk"]]
    for rows in by_household.values():
        left = [b for b in rows if b.amount - waived.get(b.id, ZERO) - paid.get(b.id, ZERO) > 0
                and b.due_on < today - timedelta(days=60)]
        if len(left) < 3 or rows[0].unit_id is None:
            continue
        owed = sum((b.amount - waived.get(b.id, ZERO) - paid.get(b.id, ZERO) for b in left), ZERO)
        for k in range(rng.randrange(1, 4), 0, -1):
            at = datetime.combine(today - timedelta(days=30 * k + rng.randrange(0, 10)),
                                  time(rng.randrange(9, 18), rng.randrange(60)), SHANGHAI)
            outcome = rng.choices([o for o, _ in outcomes], weights=[w for _, w in outcomes])[0]
            by = rng.choice(staff)
            promised = at.date() + timedelta(days=rng.randrange(5, 20)) if outcome == "承诺缴费" else None
            s.add(DunningAction(unit_id=rows[0].unit_id, at=at, method=rng.choice(("电话", "电话", "上门", "张贴通知",
                                                                                 "短信", "微信")),
                                outcome=outcome, promised_on=promised,
                                next_on=at.date() + timedelta(days=rng.choice((7, 14, 30))) if k > 1 else
                                today + timedelta(days=rng.randrange(0, 7)), note="", owed=owed,
                                by_user_id=by.id, by_name=by.display_name))
