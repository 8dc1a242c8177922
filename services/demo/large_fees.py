"""Five years of fees for the large demo (`propdesk demo --scale large`): a monthly bill of every item for every
billable unit (about 1.2 million at 20,000 units), payments with receipts, prepaid credit and its use, arrears,
rare waivers and voids with their approvals, daily settlements, dunning, and the audit rows those leave.

The ledger invariants of services.fees.ledger hold: every allocation is on a live bill; a bill's paid is the sum of
its live allocations and paid + waived <= amount; a household's credit is the sum of its live credit entries and
never below zero; credit is used oldest payment first on the oldest bills; receipt numbers run without gaps per
year in time order; the receipt counters end at the last number used.

Decisions (the issue is silent on them):
- the bills are computed here with the billing module's own arithmetic (`billing.month_days`, `billing.prorate`,
  `round_cents`, the fee items' rates from the database, 开发商 for an unsold unit, the current owner otherwise),
  not by 60 calls of `run_billing`: a run stamps its bills, its log and the credit it applies with the moment it
  runs (now), so it cannot write a back-dated history, and it goes through the ORM for the credit. One bill per
  item, payer and period, exactly as a run would raise it; tests/services/demo/test_large_demo.py checks that the
  real billing plan of the next month equals what this module computes for it;
- the billing run of a month happens on its 1st at 00:30 (Shanghai), by the clerk (吴佳琪), and uses prepaid
  credit as run_billing does; its audit row is the one run_billing writes;
- households pay by habit: most every month (a few days to six weeks after the bill), some quarterly, yearly in
  December, yearly in advance in January (prepaid credit 预存 the runs then use), a few stopped paying in the last
  two and a half years or never paid (the old arrears are theirs), a few pay now and then; the developer pays its
  unsold units quarterly. About 95% of the money billed is paid;
- counter payments are taken Monday to Saturday, 08:00–17:00; a cashier settles each day (日结) the next evening;
- one payment in a thousand was keyed wrongly first, voided with a manager's approval and taken again; one bill in
  two thousand had half waived (减免) with a manager's approval; two waivers still wait for one;
- every timestamp is placed relative to the local midnight that starts today, never the clock of the build, so two
  builds on the same day write the same rows.
"""

from __future__ import annotations

import heapq
import random
from array import array
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import FeeItem, MeterReading, ParkingLease, Person, Unit, UnitFee, UnitPerson, User
from db.types import round_cents
from services.demo import bulk
from services.demo.fees import METHOD_WEIGHTS
from services.estate.statuses import UnitStatus
from services.fees import billing as fees
from services.fees.cashier import RECEIPT_PREFIX
from services.fees.statuses import ApprovalStatus, BillStatus, PaymentStatus
from services.platform.period import Period

MONTHS = 60
# how a household pays: (profile, weight)
PROFILES = (("monthly", 70), ("quarterly", 12), ("yearly", 5), ("prepaid", 4), ("stopped", 5), ("sporadic", 3),
            ("never", 1))
VOID_ODDS = 0.001
WAIVER_ODDS = 0.0005
EXTRA_CREDIT_ODDS = 0.01
_EPOCH = datetime(2000, 1, 1)  # local (Shanghai) seconds are counted from here
_DAY = 86400


def _ts(moment: datetime) -> int:
    """Seconds since 2000-01-01 00:00 of a naive local (Shanghai) moment."""
    return int((moment - _EPOCH).total_seconds())


def _day_ts(day: date) -> int:
    return (day.toordinal() - _EPOCH.toordinal()) * _DAY


def _utc(ts: int) -> datetime:
    """Local seconds as the naive UTC datetime the database stores."""
    return bulk.utc(_EPOCH + timedelta(seconds=ts))


def _local_date(ts: int) -> date:
    return date.fromordinal(_EPOCH.toordinal() + ts // _DAY)


def _local_month(ts: int) -> str:
    """The period label of local seconds (services.platform.period.period_of of the moment)."""
    day = _local_date(ts)
    return f"{day.year:04d}-{day.month:02d}"


def _cents(value: Decimal) -> int:
    return int(value.scaleb(2))


def periods_back(today: date, months: int) -> list[str]:
    """The `months` periods that end with today's, oldest first."""
    out = []
    for n in range(months - 1, -1, -1):
        y, m = divmod(today.year * 12 + today.month - 1 - n, 12)
        out.append(f"{y:04d}-{m + 1:02d}")
    return out


@dataclass
class _Bills:
    """Every bill of the five years, one slot per bill in id order, as compact arrays (cents, ordinals)."""

    item: array[int] = field(default_factory=lambda: array("i"))
    unit: array[int] = field(default_factory=lambda: array("i"))  # 0: none
    lease: array[int] = field(default_factory=lambda: array("i"))  # 0: none
    period: array[int] = field(default_factory=lambda: array("i"))
    amount: array[int] = field(default_factory=lambda: array("q"))
    quantity: array[int] = field(default_factory=lambda: array("q"))  # hundredths; -1: none
    rate: array[int] = field(default_factory=lambda: array("q"))  # ten-thousandths
    start: array[int] = field(default_factory=lambda: array("i"))  # date ordinals
    end: array[int] = field(default_factory=lambda: array("i"))
    paid: array[int] = field(default_factory=lambda: array("q"))
    waived: array[int] = field(default_factory=lambda: array("q"))

    def add(self, item: int, unit: int, lease: int, period: int, amount: int, quantity: int, rate: int,
            start: date, end: date) -> int:
        self.item.append(item)
        self.unit.append(unit)
        self.lease.append(lease)
        self.period.append(period)
        self.amount.append(amount)
        self.quantity.append(quantity)
        self.rate.append(rate)
        self.start.append(start.toordinal())
        self.end.append(end.toordinal())
        self.paid.append(0)
        self.waived.append(0)
        return len(self.amount) - 1


@dataclass
class _Payments:
    """Payments in the order they were simulated (household by household), with their allocations and credit."""

    at: array[int] = field(default_factory=lambda: array("q"))
    house: array[int] = field(default_factory=lambda: array("i"))
    amount: array[int] = field(default_factory=lambda: array("q"))
    credit: array[int] = field(default_factory=lambda: array("q"))
    method: array[int] = field(default_factory=lambda: array("b"))
    voided: array[int] = field(default_factory=lambda: array("b"))
    a0: array[int] = field(default_factory=lambda: array("i"))  # its first allocation
    an: array[int] = field(default_factory=lambda: array("i"))  # how many
    # allocations 收款 of the payments (contiguous per payment)
    a_bill: array[int] = field(default_factory=lambda: array("i"))
    a_amount: array[int] = field(default_factory=lambda: array("q"))
    # credit used by a billing run 预存: an allocation and a -credit entry each
    u_bill: array[int] = field(default_factory=lambda: array("i"))
    u_pay: array[int] = field(default_factory=lambda: array("i"))
    u_amount: array[int] = field(default_factory=lambda: array("q"))
    u_at: array[int] = field(default_factory=lambda: array("q"))


def _billing_inputs(s: Session) -> tuple[dict[str, tuple[int, Decimal, str, str]], Any, dict[int, str], Any]:
    """What bills are planned from, as the database holds it now: the fee items by code (id, rate, basis, unit
    kind), the units in id order, each unit's current owner, the parking leases with their holder's name."""
    items = {i.code: (i.id, i.rate, i.basis, i.default_unit_kind) for i in s.scalars(select(FeeItem))}
    units = s.execute(select(Unit.id, Unit.estate_id, Unit.kind, Unit.status, Unit.built_area, Unit.delivered_on)
                      .order_by(Unit.id)).all()
    owners = dict(s.execute(
        select(UnitPerson.unit_id, func.min(Person.name)).join(Person, Person.id == UnitPerson.person_id)
        .where(UnitPerson.role == "业主", UnitPerson.end_on.is_(None)).group_by(UnitPerson.unit_id)).all())
    leases = s.execute(select(ParkingLease.id, ParkingLease.unit_id, ParkingLease.start_on, ParkingLease.end_on,
                              ParkingLease.monthly_fee, Person.name)
                       .join(Person, Person.id == ParkingLease.person_id).order_by(ParkingLease.id)).all()
    return items, units, owners, leases


def build_fee_history(rng: random.Random, *, today: date, months: int = MONTHS) -> dict[str, int]:
    """Fee items, meter readings, five years of bills, payments and the rest (see the module docstring); returns
    the rows written per table."""
    now_ts = _day_ts(today)
    labels = periods_back(today, months)
    with unit_of_work() as uow:
        s = uow.session
        fees.seed_items(s)
        s.flush()
        users = {u: (i, n) for i, u, n in s.execute(select(User.id, User.username, User.display_name))}
        staff = dict(s.execute(select(User.username, User.staff_id)).all())
        estates = sorted(set(s.scalars(select(Unit.estate_id))))
        for n, estate_id in enumerate(estates):
            collector = staff.get("cashier") if n % 2 == 0 else staff.get("clerk")
            s.execute(update(Unit).where(Unit.estate_id == estate_id).values(collector_staff_id=collector))
        items, units, owners, leases = _billing_inputs(s)
        # 商铺 meters, read at each month's end but the current one's; 装修垃圾清运 for the units renovating now
        usage: dict[int, list[tuple[int, int, int]]] = defaultdict(list)  # period -> (unit, item, usage)
        readings: list[dict[str, Any]] = []
        for uid, _e, kind, *_ in units:
            if kind != "商铺":
                continue
            for code, lo, hi in (("SF", 5, 40), ("DF", 200, 1500)):
                value = rng.randrange(10000, 500000)
                for p, label in enumerate(labels[:-1]):
                    used = rng.randrange(lo * 100, hi * 100)
                    usage[p].append((uid, items[code][0], used))
                    readings.append(dict(unit_id=uid, fee_item_id=items[code][0], period=label, previous=value,
                                         current=value + used, usage=used, replaced=False,
                                         read_on=Period.parse(label).end.date() - timedelta(days=1),
                                         read_by="吴佳琪", version=1))
                    value += used
        bulk.write(s, "meter_readings", readings)
        renovation: dict[int, date] = {}
        for uid, _e, _k, status, *_ in units:
            if status == UnitStatus.RENOVATING:
                renovation[uid] = today - timedelta(days=rng.randrange(20, 300))
        bulk.write(s, "unit_fees", ({"unit_id": uid, "fee_item_id": items["ZX-LJ"][0], "action": "收取",
                                     "start_on": day, "end_on": None, "note": "装修垃圾清运", "version": 1}
                                    for uid, day in renovation.items()))
        first_bill = bulk.next_id(s, "bills")
        first_run = bulk.next_id(s, "billing_runs")
        first_payment = bulk.next_id(s, "payments")
        first_approval = bulk.next_id(s, "approvals")
        uow.commit()

    # the households (accounts): a unit's, or a lease's own when it has no unit
    house_of_unit = {uid: n for n, (uid, *_rest) in enumerate(units)}
    houses = [f"U{uid}" for uid, *_ in units]
    house_unit = [uid for uid, *_ in units]
    house_estate = [estate_id for _u, estate_id, *_ in units]
    payer = [fees.DEVELOPER if status == UnitStatus.UNSOLD else owners.get(uid, "")
             for uid, _e, _k, status, *_ in units]
    lease_house: dict[int, int] = {}
    for lease_id, unit_id, *_rest, name in leases:
        if unit_id is None:
            lease_house[lease_id] = len(houses)
            houses.append(f"L{lease_id}")
            house_unit.append(0)
            house_estate.append(0)
            payer.append(name)
        else:
            lease_house[lease_id] = house_of_unit[unit_id]

    plan = _plan_bills(labels, units, items, usage, renovation, leases, house_of_unit, lease_house, len(houses))
    sim = _Simulation(rng, plan, labels, now_ts, payer)
    for h in range(len(houses)):
        sim.household(h)
    users_of = {name: users[name] for name in ("cashier", "cashier2", "manager", "service", "clerk") if name in users}
    lease_payer = {lease_id: name for lease_id, *_rest, name in leases}
    return _write(sim, houses, house_unit, house_estate, payer, lease_payer, labels, plan.run_totals, users_of, today, now_ts,
                  first_bill, first_run, first_payment, first_approval)


@dataclass
class _Plan:
    """Where each household's bills are: a month's regular bills (the default items of a unit billed for the whole
    month, the same every month) are one block per period, copied; the others (a unit delivered during the five
    years, one-off items, meters, parking) are listed per household and period."""

    bills: _Bills
    offsets: list[int]  # the first bill of each period's block
    slots: list[list[int]]  # per household: its places in the block
    extras: dict[tuple[int, int], list[int]]  # (household, period) -> bills
    run_totals: list[tuple[int, int]]  # (bills, total) of each period's run

    def of(self, h: int, p: int) -> list[int]:
        """The household's bills of the period, in allocation order (item, then id)."""
        base = self.offsets[p]
        mine = [base + j for j in self.slots[h]] + self.extras.get((h, p), [])
        if len(mine) < 2:
            return mine
        item = self.bills.item
        return sorted(mine, key=lambda i: (item[i], i))


def planned_bills(period: str) -> list[tuple[int, str, str, Decimal, str, date, date]]:
    """(item id, payer key, household, amount, payer name, start, end) of every bill this module would raise for
    `period` on the database as it is now: what tests compare with services.fees.billing.preview_billing."""
    with read_session() as s:
        items, units, owners, leases = _billing_inputs(s)
        renovation = dict(s.execute(select(UnitFee.unit_id, UnitFee.start_on)
                                    .where(UnitFee.fee_item_id == items["ZX-LJ"][0], UnitFee.action == "收取")).all())
        usage = {0: [(u, i, _cents(q)) for u, i, q in s.execute(
            select(MeterReading.unit_id, MeterReading.fee_item_id, MeterReading.usage)
            .where(MeterReading.period == period))]}
    house_of_unit = {uid: n for n, (uid, *_rest) in enumerate(units)}
    lease_house: dict[int, int] = {}
    for lease_id, unit_id, *_rest in leases:
        lease_house[lease_id] = house_of_unit[unit_id] if unit_id is not None else len(house_of_unit) + len(lease_house)
    plan = _plan_bills([period], units, items, usage, renovation, leases, house_of_unit, lease_house,
                       len(house_of_unit) + len(leases))
    b = plan.bills
    names = {lease_id: name for lease_id, *_rest, name in leases}
    payer = {uid: fees.DEVELOPER if status == UnitStatus.UNSOLD else owners.get(uid, "")
             for uid, _e, _k, status, *_ in units}
    return [(b.item[i], f"L{b.lease[i]}" if b.lease[i] else f"U{b.unit[i]}",
             f"U{b.unit[i]}" if b.unit[i] else f"L{b.lease[i]}", Decimal(b.amount[i]).scaleb(-2),
             names[b.lease[i]] if b.lease[i] else payer[b.unit[i]], date.fromordinal(b.start[i]),
             date.fromordinal(b.end[i])) for i in range(len(b.amount))]


def _plan_bills(labels: list[str], units: Any, items: dict[str, tuple[int, Decimal, str, str]],
                usage: dict[int, list[tuple[int, int, int]]], renovation: dict[int, date], leases: Any,
                house_of_unit: dict[int, int], lease_house: dict[int, int], households: int) -> _Plan:
    """Every period's bills as a billing run computes them (billing._plan), period by period in id order."""
    bills = _Bills()
    defaults: dict[str, list[tuple[int, Decimal, str]]] = defaultdict(list)
    for _code, (item_id, rate, basis, kind) in sorted(items.items(), key=lambda kv: kv[1][0]):
        if kind and basis in ("面积", "固定"):
            defaults[kind].append((item_id, rate, basis))
    one_off_id, one_off_rate = items["ZX-LJ"][0], items["ZX-LJ"][1]
    parking_id = items["TC"][0]
    meter_rates = {items[c][0]: items[c][1] for c in ("SF", "DF")}
    window = fees.month_days(Period.parse(labels[0]))[0]
    # the block: units billed for whole months from the first period on (sold before it, or unsold: developer)
    block: dict[str, array[int]] = {k: array("i" if k in ("item", "unit") else "q")
                               for k in ("item", "unit", "amount", "quantity", "rate")}
    slots: list[list[int]] = [[] for _ in range(households)]
    later = []  # units delivered during the five years
    for uid, _estate, kind, status, area, delivered in units:
        if status != UnitStatus.UNSOLD and delivered is None:
            continue  # not handed over (the large demo has none: every sold unit has its 交房日期)
        if status != UnitStatus.UNSOLD and delivered > window:
            later.append((uid, kind, area, delivered))
            continue
        for item_id, rate, basis in defaults.get(kind, ()):
            if basis == "面积" and area is None:
                continue
            amount = _cents(round_cents((area if basis == "面积" else Decimal(1)) * rate))
            if amount <= 0:
                continue
            slots[house_of_unit[uid]].append(len(block["item"]))
            for key, value in (("item", item_id), ("unit", uid), ("amount", amount),
                               ("quantity", _cents(area) if basis == "面积" else -1), ("rate", _cents(rate.scaleb(2)))):
                block[key].append(value)
    size, block_total = len(block["item"]), sum(block["amount"])
    offsets: list[int] = []
    extras: dict[tuple[int, int], list[int]] = defaultdict(list)
    run_totals = []
    for p, label in enumerate(labels):
        first, last, dim = fees.month_days(Period.parse(label))
        offsets.append(len(bills.amount))
        bills.item.extend(block["item"])
        bills.unit.extend(block["unit"])
        bills.lease.extend(array("i", bytes(4 * size)))
        bills.period.extend(array("i", [p]) * size)
        bills.amount.extend(block["amount"])
        bills.quantity.extend(block["quantity"])
        bills.rate.extend(block["rate"])
        bills.start.extend(array("i", [first.toordinal()]) * size)
        bills.end.extend(array("i", [last.toordinal()]) * size)
        bills.paid.extend(array("q", bytes(8 * size)))
        bills.waived.extend(array("q", bytes(8 * size)))
        count, total = size, block_total

        def add(h: int, *fields: Any) -> None:
            nonlocal count, total
            extras[(h, fields[3])].append(bills.add(*fields))  # fields[3]: the period
            count += 1
            total += fields[4]

        for uid, kind, area, delivered in later:
            start = max(delivered, first)
            if start > last:
                continue
            days = (last - start).days + 1
            for item_id, rate, basis in defaults.get(kind, ()):
                if basis == "面积" and area is None:
                    continue
                amount = _cents(fees.prorate(area if basis == "面积" else Decimal(1), rate, days, dim))
                if amount > 0:
                    add(house_of_unit[uid], item_id, uid, 0, p, amount, _cents(area) if basis == "面积" else -1,
                        _cents(rate.scaleb(2)), start, last)
        for uid, day in renovation.items():
            if first <= day <= last:
                add(house_of_unit[uid], one_off_id, uid, 0, p, _cents(round_cents(one_off_rate)), 100,
                    _cents(one_off_rate.scaleb(2)), day, day)
        for uid, item_id, used in usage.get(p, ()):
            amount = _cents(round_cents(Decimal(used).scaleb(-2) * meter_rates[item_id]))
            if amount > 0:
                add(house_of_unit[uid], item_id, uid, 0, p, amount, used, _cents(meter_rates[item_id].scaleb(2)),
                    first, last)
        for lease_id, unit_id, start_on, end_on, fee, _name in leases:
            lo, hi = max(start_on, first), min(end_on, last)
            if lo > hi or fee <= 0:
                continue
            amount = _cents(fees.prorate(Decimal(1), fee, (hi - lo).days + 1, dim))
            if amount > 0:
                add(lease_house[lease_id], parking_id, unit_id or 0, lease_id, p, amount, -1, _cents(fee.scaleb(2)),
                    lo, hi)
        run_totals.append((count, total))
    return _Plan(bills, offsets, slots, dict(extras), run_totals)


class _Simulation:
    """Each household's five years in time order: runs raise bills and use credit; payments meet the oldest bills."""

    def __init__(self, rng: random.Random, plan: _Plan, labels: list[str], now_ts: int, payer: list[str]):
        self.rng = rng
        self.plan = plan
        self.bills = plan.bills
        self.now_ts = now_ts
        self.payer = payer
        self.months = [int(label[5:]) for label in labels]
        self.firsts = [Period.parse(label).start.date() for label in labels]
        self.runs = [_day_ts(d) + 1800 for d in self.firsts]  # the 1st, 00:30
        self.pay = _Payments()
        self.waivers: list[tuple[int, int, int]] = []  # (bill, amount, requested at)
        self.voids: list[tuple[int, int]] = []  # (voided payment, at)
        self.credit_used = [0] * len(labels)
        self.deposits: list[tuple[int, int, int]] = []  # (payment, amount, at): credit entries 存入
        self.methods = [m for m, _ in METHOD_WEIGHTS]
        self.method_codes = list(range(len(self.methods)))
        self.method_weights = list(accumulate(w for _, w in METHOD_WEIGHTS))
        self.profiles = [p for p, _ in PROFILES]
        self.profile_weights = list(accumulate(w for _, w in PROFILES))

    def _moment(self, day: date) -> int:
        if day.weekday() == 6:  # the counter is closed on Sundays
            day += timedelta(days=1)
        r = self.rng
        return _day_ts(day) + r.randrange(8, 17) * 3600 + r.randrange(3600)

    def household(self, h: int) -> None:
        r, b = self.rng, self.bills
        profile = "quarterly" if self.payer[h] == fees.DEVELOPER else \
            r.choices(self.profiles, cum_weights=self.profile_weights)[0]
        periods = len(self.runs)
        stop = periods - r.randrange(4, 30)
        open_bills: list[int] = []
        credit: list[list[int]] = []  # [payment, left], oldest first
        events: list[tuple[int, int]] = []  # (at, 1 for a prepayment)
        for p in range(periods):
            new = self.plan.of(h, p)
            for idx in new:
                if r.random() < WAIVER_ODDS:
                    half = b.amount[idx] // 2
                    b.waived[idx] = half
                    self.waivers.append((idx, half, self.runs[p] + _DAY + 9 * 3600))
                if b.amount[idx] > b.waived[idx]:
                    open_bills.append(idx)
            if credit and open_bills:
                open_bills = self._use_credit(open_bills, credit, self.runs[p], p)
            first, month = self.firsts[p], self.months[p]
            when: int | None = None
            if profile == "monthly" or (profile == "stopped" and p < stop):
                if r.random() < (0.96 if profile == "monthly" else 0.9):
                    when = r.randrange(1, 27) if r.random() < 0.85 else r.randrange(27, 50)
            elif profile == "quarterly" and month % 3 == 0:
                when = r.randrange(5, 40)
            elif profile == "yearly" and month == 12:
                when = r.randrange(10, 50)
            elif profile == "sporadic" and r.random() < 0.25:
                when = r.randrange(5, 90)
            elif profile == "prepaid" and (month == 1 or p == 0):
                heapq.heappush(events, (self._moment(first + timedelta(days=r.randrange(3, 20))), 1))
            if when is not None:
                heapq.heappush(events, (self._moment(first + timedelta(days=when)), 0))
            until = min(self.runs[p + 1] if p + 1 < periods else self.now_ts, self.now_ts)
            while events and events[0][0] < until:
                at, prepay = heapq.heappop(events)
                ahead = 0
                if prepay:  # a year ahead, rounded up to 100 yuan
                    month_total = sum(b.amount[i] for i in new)
                    ahead = -(-12 * month_total // 10000) * 10000
                elif r.random() < EXTRA_CREDIT_ODDS:
                    ahead = r.choice((200, 500, 1000)) * 100
                open_bills = self._payment(h, at, open_bills, ahead, credit)

    def _use_credit(self, open_bills: list[int], credit: list[list[int]], at: int, p: int) -> list[int]:
        b, pay = self.bills, self.pay
        for entry in credit:
            for idx in open_bills:
                if entry[1] <= 0:
                    break
                share = min(entry[1], b.amount[idx] - b.waived[idx] - b.paid[idx])
                if share <= 0:
                    continue
                b.paid[idx] += share
                entry[1] -= share
                pay.u_bill.append(idx)
                pay.u_pay.append(entry[0])
                pay.u_amount.append(share)
                pay.u_at.append(at)
                self.credit_used[p] += share
        credit[:] = [e for e in credit if e[1] > 0]
        return [i for i in open_bills if b.amount[i] - b.waived[i] - b.paid[i] > 0]

    def _new_payment(self, h: int, at: int, amount: int, credit: int, method: int, voided: bool) -> int:
        pay = self.pay
        pay.at.append(at)
        pay.house.append(h)
        pay.amount.append(amount)
        pay.credit.append(credit)
        pay.method.append(method)
        pay.voided.append(1 if voided else 0)
        pay.a0.append(len(pay.a_bill))
        pay.an.append(0)
        return len(pay.at) - 1

    def _payment(self, h: int, at: int, open_bills: list[int], ahead: int, credit: list[list[int]]) -> list[int]:
        b, pay, r = self.bills, self.pay, self.rng
        owing = [(i, b.amount[i] - b.waived[i] - b.paid[i]) for i in open_bills]
        total = sum(share for _, share in owing)
        if total + ahead <= 0:
            return open_bills
        if total and r.random() < VOID_ODDS:  # keyed wrongly first (in cash), voided, then taken again
            n = self._new_payment(h, at - 360, total, 0, self.methods.index("现金"), True)
            for i, share in owing:
                pay.a_bill.append(i)
                pay.a_amount.append(share)
            pay.an[n] = len(owing)
            self.voids.append((n, at))
        method = r.choices(self.method_codes, cum_weights=self.method_weights)[0]
        n = self._new_payment(h, at, total + ahead, ahead, method, False)
        for i, share in owing:
            b.paid[i] += share
            pay.a_bill.append(i)
            pay.a_amount.append(share)
        pay.an[n] = len(owing)
        if ahead:
            credit.append([n, ahead])
            self.deposits.append((n, ahead, at))
        return []


BILL_COLUMNS = ("id", "fee_item_id", "payer_key", "household", "unit_id", "parking_lease_id", "payer_name", "period",
                "start_on", "end_on", "quantity", "rate", "amount", "paid", "waived", "due_on", "status", "source",
                "run_id", "created_at", "note", "version")
PAYMENT_COLUMNS = ("id", "receipt_no", "household", "unit_id", "payer_name", "method", "amount", "credit_added",
                   "received_at", "cashier_user_id", "cashier_name", "note", "status", "voided_at", "void_reason",
                   "void_approved_by", "version")


def _status(amount: int, paid: int, waived: int) -> str:
    if amount - waived - paid == 0:
        return BillStatus.PAID if paid > 0 else BillStatus.WAIVED
    return BillStatus.PART_PAID if paid > 0 or waived > 0 else BillStatus.UNPAID


def _write(sim: _Simulation, houses: list[str], house_unit: list[int], house_estate: list[int], payer: list[str],
           lease_payer: dict[int, str], labels: list[str], run_totals: list[tuple[int, int]], users: dict[str, tuple[int, str]], today: date,
           now_ts: int, first_bill: int, first_run: int, first_payment: int, first_approval: int) -> dict[str, int]:
    b, pay, rng = sim.bills, sim.pay, sim.rng
    counts: dict[str, int] = {}
    clerk, manager, service = users["clerk"], users["manager"], users["service"]
    cashiers = [users["cashier"], users.get("cashier2", users["cashier"])]
    # the counter of odd estates is 马志强's (cashier2), of the others 黄丽娟's
    cashier_of_estate = {e: cashiers[n % 2] for n, e in enumerate(sorted(set(house_estate)))}
    unit_house = {u: h for h, u in enumerate(house_unit) if u}
    usernames = {uid: name for name, (uid, _n) in users.items()}

    def cashier(h: int) -> tuple[int, str]:
        return cashier_of_estate.get(house_estate[h], cashiers[0])
    # 1. billing runs and bills
    with unit_of_work() as uow:
        s = uow.session
        runs = []
        audits = []
        for p, label in enumerate(labels):
            at = _utc(sim.runs[p])
            count, total = run_totals[p]
            runs.append({"id": first_run + p, "period": label, "estate_id": None, "at": at, "by_name": clerk[1],
                         "bills_created": count, "total": total})
            audits.append(bulk.audit_row(at, clerk[0], "clerk", "bill", "billing_runs", first_run + p, None,
                                         {"period": label, "estate_id": None, "bills": count,
                                          "total": bulk.yuan(total), "credit_used": bulk.yuan(sim.credit_used[p]),
                                          "not_billed": {}, "undated": 0}))
        counts["billing_runs"] = bulk.write(s, "billing_runs", runs)
        counts["audit_log"] = bulk.write(s, "audit_log", audits)
        due = [Period.parse(label).end.date() - timedelta(days=1) for label in labels]

        def bill_rows() -> Iterator[tuple[Any, ...]]:
            for i in range(len(b.amount)):
                p, unit, lease = b.period[i], b.unit[i], b.lease[i]
                paid, waived, amount = b.paid[i], b.waived[i], b.amount[i]
                quantity = b.quantity[i]
                yield (first_bill + i, b.item[i], f"L{lease}" if lease else f"U{unit}",
                       f"U{unit}" if unit else f"L{lease}", unit or None, lease or None,
                       lease_payer[lease] if lease else payer[unit_house[unit]], labels[p],
                       date.fromordinal(b.start[i]), date.fromordinal(b.end[i]), None if quantity < 0 else quantity,
                       b.rate[i], amount, paid, waived, due[p], _status(amount, paid, waived), "计费", first_run + p,
                       runs[p]["at"], "", 1 + (paid > 0) + (waived > 0))

        counts["bills"] = bulk.write(s, "bills", bill_rows(), BILL_COLUMNS)
        uow.commit()
    # 2. payments in time order: ids and receipt numbers follow time; their audit rows; daily settlements
    order = sorted(range(len(pay.at)), key=lambda k: pay.at[k] * 1_000_000 + pay.house[k])
    pid = array("i", bytes(4 * len(order)))
    for rank, k in enumerate(order):
        pid[k] = first_payment + rank
    numbers: dict[int, int] = defaultdict(int)
    receipt = [""] * len(order)
    with unit_of_work() as uow:
        s = uow.session
        void_at = dict(sim.voids)
        by_day: dict[tuple[int, date], list[int]] = defaultdict(list)

        def payment_rows() -> Iterator[tuple[Any, ...]]:
            for k in order:
                at = pay.at[k]
                day = _local_date(at)
                numbers[day.year] += 1
                receipt[k] = f"{RECEIPT_PREFIX}{day.year}-{numbers[day.year]:06d}"
                h = pay.house[k]
                who = cashier(h)
                voided = bool(pay.voided[k])
                if day < today:
                    by_day[(who[0], day)].append(k)
                yield (pid[k], receipt[k], houses[h], house_unit[h] or None, payer[h], sim.methods[pay.method[k]],
                       pay.amount[k], pay.credit[k], _utc(at), who[0], who[1], "",
                       PaymentStatus.VOIDED if voided else PaymentStatus.VALID,
                       _utc(void_at[k] - 120) if voided else None, "金额录入错误" if voided else "",
                       manager[1] if voided else "", 2 if voided else 1)

        counts["payments"] = bulk.write(s, "payments", payment_rows(), PAYMENT_COLUMNS)

        def collect_rows() -> Iterator[tuple[Any, ...]]:
            # as services.fees.cashier.take_payment writes it (json.dumps, sort_keys), formatted here for speed
            for k in order:
                h = pay.house[k]
                who = cashier(h)
                a0, an = pay.a0[k], pay.an[k]
                met = ", ".join(f'"{first_bill + i}": "{bulk.yuan(x)}"'
                                for i, x in sorted(zip(pay.a_bill[a0:a0 + an], pay.a_amount[a0:a0 + an], strict=True)))
                after = (f'{{"amount": "{bulk.yuan(pay.amount[k])}", "bills": {{{met}}}, '
                         f'"credit_added": "{bulk.yuan(pay.credit[k])}", "household": "{houses[h]}", '
                         f'"method": "{sim.methods[pay.method[k]]}", "receipt_no": "{receipt[k]}"}}')
                yield (_utc(pay.at[k]), who[0], usernames[who[0]], "collect", "payments", str(pid[k]), None, after)

        counts["audit_log"] += bulk.write(s, "audit_log", collect_rows(), bulk.AUDIT_COLUMNS)
        settlements, settle_audits = _settlements(by_day, pay, receipt, sim.methods, users, clerk,
                                                  bulk.next_id(s, "settlements"))
        counts["settlements"] = bulk.write(s, "settlements", settlements)
        counts["audit_log"] += bulk.write(s, "audit_log", settle_audits)
        bulk.write(s, "counters", ({"name": f"receipt:{RECEIPT_PREFIX}{year}", "value": value}
                                   for year, value in sorted(numbers.items())))
        uow.commit()
    # 3. allocations and the credit ledger
    with unit_of_work() as uow:
        s = uow.session

        def allocation_rows() -> Iterator[tuple[Any, ...]]:
            for k in range(len(pay.at)):
                at = _utc(pay.at[k])
                voided = bool(pay.voided[k])
                month = _local_month(pay.at[k])
                for j in range(pay.a0[k], pay.a0[k] + pay.an[k]):
                    yield (first_bill + pay.a_bill[j], pid[k], pay.a_amount[j], at, "收款", voided,
                           labels[b.period[pay.a_bill[j]]], month)
            for j in range(len(pay.u_bill)):
                yield (first_bill + pay.u_bill[j], pid[pay.u_pay[j]], pay.u_amount[j], _utc(pay.u_at[j]), "预存", False,
                       labels[b.period[pay.u_bill[j]]], _local_month(pay.u_at[j]))

        counts["allocations"] = bulk.write(s, "allocations", allocation_rows(),
                                           ("bill_id", "payment_id", "amount", "at", "via", "voided", "bill_period",
                                            "paid_period"))

        def credit_rows() -> Iterator[dict[str, Any]]:
            for n, amount, at in sim.deposits:
                yield {"household": houses[pay.house[n]], "payment_id": pid[n], "bill_id": None, "amount": amount,
                       "at": _utc(at), "kind": "存入", "voided": False, "refund_id": None}
            for j in range(len(pay.u_bill)):
                n = pay.u_pay[j]
                yield {"household": houses[pay.house[n]], "payment_id": pid[n], "bill_id": first_bill + pay.u_bill[j],
                       "amount": -pay.u_amount[j], "at": _utc(pay.u_at[j]), "kind": "抵扣", "voided": False,
                       "refund_id": None}

        counts["credit_entries"] = bulk.write(s, "credit_entries", credit_rows())
        uow.commit()
    # 4. approvals (voids, waivers, two waivers still waiting), dunning; sequences
    with unit_of_work() as uow:
        s = uow.session
        approvals: list[dict[str, Any]] = []
        audits = []
        for n, ts in sim.voids:
            h = pay.house[n]
            who = cashier(h)
            aid = first_approval + len(approvals)
            approvals.append(dict(id=aid, kind="作废收据", payment_id=pid[n], bill_id=None, amount=pay.amount[n],
                                  reason="金额录入错误", requested_by=who[0], requester_name=who[1],
                                  requested_at=_utc(ts - 300), status=ApprovalStatus.APPROVED, decided_by=manager[0],
                                  decider_name=manager[1], decided_at=_utc(ts - 120), decision_note="同意", version=2))
            audits.append(bulk.audit_row(_utc(ts - 300), who[0], _username(users, who), "request", "approvals", aid,
                                         None, {"kind": "作废收据", "receipt_no": receipt[n], "reason": "金额录入错误"}))
            audits.append(bulk.audit_row(
                _utc(ts - 120), manager[0], "manager", "approve", "approvals", aid, {"status": ApprovalStatus.PENDING},
                {"status": ApprovalStatus.APPROVED, "kind": "作废收据", "receipt_no": receipt[n],
                 "reversed": bulk.yuan(pay.amount[n]),
                 "bills": sorted(first_bill + pay.a_bill[j] for j in range(pay.a0[n], pay.a0[n] + pay.an[n])),
                 "note": "同意"}))
        reasons = ("独居老人困难减免", "停水三天服务补偿", "漏水影响使用，协商减免")
        for idx, amount, ts in sim.waivers:
            aid = first_approval + len(approvals)
            reason = rng.choice(reasons)
            approvals.append(dict(id=aid, kind="减免", payment_id=None, bill_id=first_bill + idx, amount=amount,
                                  reason=reason, requested_by=service[0], requester_name=service[1],
                                  requested_at=_utc(ts), status=ApprovalStatus.APPROVED, decided_by=manager[0],
                                  decider_name=manager[1], decided_at=_utc(ts + 5 * 3600), decision_note="",
                                  version=2))
            audits.append(bulk.audit_row(_utc(ts), service[0], "service", "request", "approvals", aid, None,
                                         {"kind": "减免", "bill_id": first_bill + idx, "amount": bulk.yuan(amount),
                                          "reason": reason}))
            audits.append(bulk.audit_row(_utc(ts + 5 * 3600), manager[0], "manager", "approve", "approvals", aid,
                                         {"status": ApprovalStatus.PENDING},
                                         {"status": ApprovalStatus.APPROVED, "kind": "减免",
                                          "bill_id": first_bill + idx, "waived": bulk.yuan(amount), "note": ""}))
        waiting = [i for i in range(len(b.amount) - 1, -1, -1)
                   if b.paid[i] == 0 and b.waived[i] == 0 and b.lease[i] == 0][:200]
        for idx in rng.sample(waiting, k=min(2, len(waiting))):
            aid = first_approval + len(approvals)
            amount = b.amount[idx] // 2
            ts = now_ts - 3 * 3600 - rng.randrange(3600)
            reason = rng.choice(reasons)
            approvals.append(dict(id=aid, kind="减免", payment_id=None, bill_id=first_bill + idx, amount=amount,
                                  reason=reason, requested_by=service[0], requester_name=service[1],
                                  requested_at=_utc(ts), status=ApprovalStatus.PENDING, decided_by=None,
                                  decider_name="", decided_at=None, decision_note="", version=1))
            audits.append(bulk.audit_row(_utc(ts), service[0], "service", "request", "approvals", aid, None,
                                         {"kind": "减免", "bill_id": first_bill + idx, "amount": bulk.yuan(amount),
                                          "reason": reason}))
        counts["approvals"] = bulk.write(s, "approvals", approvals)
        dunning, dun_audits = _dunning(rng, b, unit_house, house_unit, today, users, cashier_of_estate,
                                       house_estate, bulk.next_id(s, "dunning_actions"))
        counts["dunning_actions"] = bulk.write(s, "dunning_actions", dunning)
        counts["audit_log"] += bulk.write(s, "audit_log", audits + dun_audits)
        bulk.fix_sequences(s, ("bills", "billing_runs", "payments", "approvals", "settlements", "dunning_actions"))
        uow.commit()
    return counts


def _username(users: dict[str, tuple[int, str]], who: tuple[int, str]) -> str:
    for name, value in users.items():
        if value[0] == who[0]:
            return name
    return ""


def _settlements(by_day: dict[tuple[int, date], list[int]], pay: _Payments, receipt: list[str], methods: list[str],
                 users: dict[str, tuple[int, str]], clerk: tuple[int, str], first_id: int
                 ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    audits = []
    names = dict(users.values())
    for (user_id, day), ks in sorted(by_day.items()):
        totals: dict[str, int] = defaultdict(int)
        for k in ks:
            if not pay.voided[k]:
                totals[methods[pay.method[k]]] += pay.amount[k]
        total = sum(totals.values())
        cash = totals.get("现金", 0)
        numbers = sorted(receipt[k] for k in ks)
        at = bulk.utc(datetime.combine(day, time(17, 40)))
        row_id = first_id + len(rows)
        rows.append({"id": row_id, "cashier_user_id": user_id, "cashier_name": names[user_id], "day": day,
                     "totals_json": bulk.dump({m: bulk.yuan(v) for m, v in totals.items()}), "total": total,
                     "receipt_count": len(ks), "receipts": ",".join(numbers),
                     "voided_receipts": ",".join(sorted(receipt[k] for k in ks if pay.voided[k])),
                     "cash_expected": cash, "cash_handed": cash, "discrepancy": 0, "note": "",
                     "received_by": clerk[1], "confirmed_at": at, "refunds_json": None})
        audits.append(bulk.audit_row(at, user_id, _username(users, (user_id, names[user_id])), "settle",
                                     "settlements", row_id, None,
                                     {"day": day.isoformat(), "total": bulk.yuan(total),
                                      "cash_expected": bulk.yuan(cash), "cash_handed": bulk.yuan(cash),
                                      "discrepancy": "0.00", "receipts": len(ks), "refunds": [],
                                      "refund_total": "0.00"}))
    return rows, audits


def _dunning(rng: random.Random, b: _Bills, unit_house: dict[int, int], house_unit: list[int], today: date,
             users: dict[str, tuple[int, str]], cashier_of_estate: dict[int, tuple[int, str]],
             house_estate: list[int], first_id: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Calls and notices of the last three months to the households owing three months or more."""
    outcomes = (("承诺缴费", 40), ("无人接听", 30), ("拒缴", 15), ("承诺缴费", 15))
    limit = (today - timedelta(days=60)).toordinal()
    clerk = users["clerk"]
    rows: list[dict[str, Any]] = []
    audits = []
    overdue: dict[int, list[int]] = defaultdict(list)
    for i in range(len(b.amount)):
        if b.end[i] < limit and b.unit[i] and b.amount[i] - b.waived[i] - b.paid[i] > 0:
            overdue[unit_house[b.unit[i]]].append(i)
    for h, left in sorted(overdue.items()):
        if len(left) < 3:
            continue
        owed = sum(b.amount[i] - b.waived[i] - b.paid[i] for i in left)
        for k in range(rng.randrange(1, 4), 0, -1):
            day = today - timedelta(days=30 * k + rng.randrange(0, 10))
            at_ts = _day_ts(day) + rng.randrange(9, 18) * 3600 + rng.randrange(60) * 60
            outcome = rng.choices([o for o, _ in outcomes], weights=[w for _, w in outcomes])[0]
            by = rng.choice((cashier_of_estate.get(house_estate[h], clerk), clerk))
            promised = day + timedelta(days=rng.randrange(5, 20)) if outcome == "承诺缴费" else None
            next_on = day + timedelta(days=rng.choice((7, 14, 30))) if k > 1 else today + timedelta(
                days=rng.randrange(0, 7))
            method = rng.choice(("电话", "电话", "上门", "张贴通知", "短信", "微信"))
            row_id = first_id + len(rows)
            rows.append({"id": row_id, "unit_id": house_unit[h], "at": _utc(at_ts), "method": method, "outcome": outcome,
                         "promised_on": promised, "next_on": next_on, "note": "", "owed": owed, "by_user_id": by[0],
                         "by_name": by[1]})
            audits.append(bulk.audit_row(_utc(at_ts), by[0], _username(users, by), "dun", "dunning_actions", row_id,
                                         None, {"unit_id": house_unit[h], "method": method, "outcome": outcome,
                                                "promised_on": promised.isoformat() if promised else None,
                                                "next_on": next_on.isoformat(), "owed": bulk.yuan(owed), "note": ""}))
    return rows, audits
