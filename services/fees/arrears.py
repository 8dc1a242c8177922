"""Arrears 欠费 and dunning 催缴: who owes what, how old it is, who chased it and what they were told.

Invariants:
- what is owed is read from live bills (amount - waived - paid of bills 未缴/部分缴); nothing here writes money;
- age is counted from a bill's due date in whole months (0–3, 3–6, 6–12, >12), as of a given day; a bill
  not yet due is in 0–3, so every grouping of the same day adds up to the same total;
- every dunning action stores the amount owed at that moment, so the log reads as it was;
- a unit has one responsible collector 收费员 at a time (units.collector_staff_id);
- the bills of a parking lease without a unit count in the estate of its space (by estate, by age and in the
  totals), under 车位（无房屋） by building and （未指定） by collector; the owing-units list and dunning are
  about units only;
- the summaries and the owing-units list are grouped in SQL (one row per group or unit comes back, never one per
  open bill; the age bucket is a CASE on the due date): at 1.2 million bills a page reads a few hundred rows.
  The owing-units list is cut to the units owing most (ties by the unit's name), and counts and sums all.
"""

from __future__ import annotations

import itertools
from calendar import monthrange
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Select,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session, aliased

from db.engine import in_chunks, read_session, unit_of_work
from db.models import Bill, Building, DunningAction, Estate, FeeItem, ParkingLease, ParkingSpace, Staff, Unit
from db.types import utcnow
from services.fees import documents, ledger
from services.fees.figures import AGING_BUCKETS
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.clock import local_today, to_local
from services.platform.errors import NotFound, ValidationError
from services.platform.scope import estate_clause, in_scope, scoped_unit, unit_clause
from services.platform.settings import get_setting
from services.platform.validate import FieldError, collect, parse_choice, parse_date, parse_text

DUNNING_METHODS = ("电话", "上门", "张贴通知", "短信", "微信")
DUNNING_OUTCOMES = ("承诺缴费", "拒缴", "无人接听", "已缴")
GROUPS = {"estate": "小区", "building": "楼栋", "collector": "收费员", "age": "账龄"}
NO_BUILDING = "车位（无房屋）"  # the bills of parking leases without a unit, by building


def months_between(earlier: date, later: date) -> int:
    """Whole months from `earlier` to `later` (0 when not yet a month)."""
    months = (later.year - earlier.year) * 12 + later.month - earlier.month
    if later.day < earlier.day:
        months -= 1
    return max(months, 0)


def age_bucket(due_on: date, as_of: date) -> str:
    months = months_between(due_on, as_of)
    for label, lo, hi in AGING_BUCKETS:
        if months >= lo and (hi is None or months < hi):
            return label
    return AGING_BUCKETS[-1][0]


def _owing_cents() -> ColumnElement[int]:
    return type_coerce(Bill.amount, BigInteger) - type_coerce(Bill.waived, BigInteger) - type_coerce(Bill.paid,
                                                                                                     BigInteger)


def _lease_space() -> tuple[Any, ColumnElement[int]]:
    """The parking space of a lease without a unit (an alias: ParkingSpace may be joined elsewhere too), and the
    estate of a bill: its unit's, or that space's."""
    lease_space = aliased(ParkingSpace)
    return lease_space, func.coalesce(Unit.estate_id, lease_space.estate_id)


def _open_with_places(stmt: Select[*tuple[Any, ...]], lease_space: Any,
                      estate_of: ColumnElement[int]) -> Select[*tuple[Any, ...]]:
    """`stmt` over the open bills, with where each one belongs: unit, building, the space of a lease without a unit,
    estate and the unit's collector (outer joins: a lease's bill has no unit, a unit may have no collector)."""
    return (stmt.outerjoin(Unit, Unit.id == Bill.unit_id).outerjoin(Building, Building.id == Unit.building_id)
            .outerjoin(ParkingLease, and_(Bill.unit_id.is_(None), ParkingLease.id == Bill.parking_lease_id))
            .outerjoin(lease_space, lease_space.id == ParkingLease.space_id)
            .outerjoin(Estate, Estate.id == estate_of).outerjoin(Staff, Staff.id == Unit.collector_staff_id)
            .where(Bill.status.in_(ledger.OPEN_STATUSES)))


def _open_bills_frame(session: Session, *, estate_id: int | None = None, building_id: int | None = None,
                      unit_id: int | None = None, actor: Actor | None = None) -> pd.DataFrame:
    """Open bills with what they owe (integer cents), their unit, estate, building and collector. The bills of a
    parking lease without a unit (account "L<lease id>") belong to the estate of the lease's space and to no
    building or collector; their code is the space number."""
    lease_space, estate_of = _lease_space()
    code = func.coalesce(Building.code + "-" + Unit.unit_no + "-" + Unit.room_no, "车位 " + lease_space.number)
    stmt = _open_with_places(
        select(Bill.id.label("bill_id"), Bill.unit_id, Bill.household, Bill.period, Bill.due_on,
               _owing_cents().label("cents"), FeeItem.name.label("item"), Bill.payer_name,
               estate_of.label("estate_id"), Estate.name.label("estate"), Building.id.label("building_id"),
               Building.name.label("building"), code.label("code"),
               Unit.collector_staff_id, Staff.name.label("collector"))
        .select_from(Bill).join(FeeItem, FeeItem.id == Bill.fee_item_id), lease_space, estate_of)
    if actor is not None:  # the bills of the actor's estates only
        stmt = stmt.where(estate_clause(actor, estate_of))
    if estate_id is not None:
        stmt = stmt.where(estate_of == estate_id)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    if unit_id is not None:
        stmt = stmt.where(Bill.unit_id == unit_id)
    frame = pd.DataFrame(session.execute(stmt).all(),
                         columns=["bill_id", "unit_id", "household", "period", "due_on", "cents", "item",
                                  "payer_name", "estate_id", "estate", "building_id", "building", "code",
                                  "collector_staff_id", "collector"])
    return frame


def _yuan(cents: int) -> Decimal:
    return (Decimal(int(cents)) / 100).quantize(Decimal("0.01"))


def _cutoff(as_of: date, months: int) -> date:
    """The last due day that is `months` whole months old on `as_of`: months_between(d, as_of) >= months
    exactly when d <= this day (the same day `months` earlier, or that month's last day if shorter)."""
    index = as_of.year * 12 + as_of.month - 1 - months
    year, month = divmod(index, 12)
    return date(year, month + 1, min(as_of.day, monthrange(year, month + 1)[1]))


def _age_label(as_of: date) -> ColumnElement[str]:
    """age_bucket(Bill.due_on, as_of) as a SQL expression (the buckets are contiguous from 0 months up)."""
    assert AGING_BUCKETS[0][1] == 0 and all(a[2] == b[1] for a, b in itertools.pairwise(AGING_BUCKETS))
    whens = [(Bill.due_on <= _cutoff(as_of, lo), literal(label, String()))
             for label, lo, _ in reversed(AGING_BUCKETS[1:])]
    return case(*whens, else_=literal(AGING_BUCKETS[0][0], String()))


def arrears_summary(*, actor: Actor, group: str, as_of: date | None = None,
                    estate_id: int | None = None) -> pd.DataFrame:
    """Owed money grouped by 小区, 楼栋, 收费员 or 账龄: households, bills, amount (Decimal), oldest period."""
    require(actor, "fees.view")
    if group not in GROUPS:
        raise ValidationError({"分组": "应为 " + "、".join(GROUPS.values())})
    as_of = as_of or local_today()
    lease_space, estate_of = _lease_space()
    building = func.coalesce(Building.name, literal(NO_BUILDING, String()))
    key: ColumnElement[str]
    if group == "age":
        key = _age_label(as_of)
    elif group == "building":  # "小区 楼栋"; without a 小区 just the 楼栋
        key = case((Estate.name.is_(None), building), else_=Estate.name + literal(" ", String()) + building)
    elif group == "collector":
        key = func.coalesce(Staff.name, literal("（未指定）", String()))
    else:
        key = func.coalesce(Estate.name, literal("（无房屋）", String()))
    bills = _open_with_places(select(key.label("key"), Bill.household, Bill.period, _owing_cents().label("cents"))
                              .select_from(Bill), lease_space, estate_of).where(estate_clause(actor, estate_of))
    if estate_id is not None:
        bills = bills.where(estate_of == estate_id)
    o = bills.subquery()  # grouped by the key column, not by the expression: PostgreSQL wants the same text
    with read_session() as s:
        grouped: list[Any] = list(s.execute(
            select(o.c.key, func.count(func.distinct(o.c.household)), func.count(), func.sum(o.c.cents),
                   func.min(o.c.period)).group_by(o.c.key)))
    columns = [GROUPS[group], "户数", "笔数", "欠费金额", "最早期间"]
    if not grouped:
        return pd.DataFrame(columns=columns)
    rows = [{GROUPS[group]: k, "户数": int(households), "笔数": int(n), "欠费金额": _yuan(cents or 0),
             "最早期间": oldest} for k, households, n, cents, oldest in sorted(grouped, key=lambda r: r[0])]
    out = pd.DataFrame(rows, columns=columns)
    if group == "age":
        out = out.set_index(GROUPS[group]).reindex([b[0] for b in AGING_BUCKETS]).reset_index()
        out["户数"] = out["户数"].fillna(0).astype(int)
        out["笔数"] = out["笔数"].fillna(0).astype(int)
        out["欠费金额"] = [v if isinstance(v, Decimal) else Decimal("0.00") for v in out["欠费金额"]]
        out["最早期间"] = out["最早期间"].fillna("")
    return out


OWING_COLUMNS = ["unit_id", "房屋", "业主", "欠费金额", "月数", "最早期间", "收费员", "最近催缴", "下次催缴"]


def _owing_groups(actor: Actor, *, estate_id: int | None, building_id: int | None, collector: str | None,
                  min_months: int) -> Select[*tuple[Any, ...]]:
    """One row per owing unit in scope: unit id, cents owed, months owed, oldest period (no row for a unit
    that owes nothing: only open bills are read)."""
    cents = func.sum(_owing_cents())
    months = func.count(func.distinct(Bill.period))
    stmt: Select[*tuple[Any, ...]] = (
        select(Bill.unit_id, cents.label("cents"), months.label("months"), func.min(Bill.period).label("oldest"))
        .join(Unit, Unit.id == Bill.unit_id)
        .where(Bill.status.in_(ledger.OPEN_STATUSES), estate_clause(actor, Unit.estate_id)).group_by(Bill.unit_id))
    if estate_id is not None:
        stmt = stmt.where(Unit.estate_id == estate_id)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    if collector is not None:
        stmt = stmt.join(Staff, Staff.id == Unit.collector_staff_id).where(Staff.name == collector)
    if min_months > 1:
        stmt = stmt.having(months >= min_months)
    return stmt


@dataclass(frozen=True)
class OwingList:
    """The owing units of a scope, most owed first and cut to a limit, with how many owe and how much in all."""

    frame: pd.DataFrame  # OWING_COLUMNS
    count: int
    total: Decimal


def owing_list(*, actor: Actor, estate_id: int | None = None, building_id: int | None = None,
               collector: str | None = None, min_months: int = 1, limit: int | None = 500) -> OwingList:
    """Units that owe, most owed first (at most `limit`; None: all): amount, months owed, oldest period, collector,
    last dunning, next action; with the count and total of every owing unit in scope. One grouped statement (a row
    per owing unit: a few thousand at 20,000 units) gives the order, the cut and the totals; ties on the amount are
    broken by the unit's name; the 业主 is the payer of the unit's oldest open bill that names one."""
    require(actor, "fees.view")
    grouped = _owing_groups(actor, estate_id=estate_id, building_id=building_id, collector=collector,
                            min_months=min_months)
    with read_session() as s:
        units: list[Any]
        if limit is None:
            units = list(s.execute(grouped))
            count, total = len(units), _yuan(sum(int(u[1]) for u in units))
        else:
            # the first `limit` by amount and every unit tied with the last of them (they compete for its place by
            # name below), each row with the count and total of all: one grouping, a few hundred rows back
            g = grouped.subquery()
            ranked = select(g, func.rank().over(order_by=g.c.cents.desc()).label("place"),
                            func.count().over().label("n"), func.sum(g.c.cents).over().label("all_cents")).subquery()
            units = list(s.execute(select(ranked.c.unit_id, ranked.c.cents, ranked.c.months, ranked.c.oldest,
                                          ranked.c.n, ranked.c.all_cents).where(ranked.c.place <= limit)))
            count, total = (int(units[0].n), _yuan(int(units[0].all_cents))) if units else (0, _yuan(0))
        if not units:
            return OwingList(pd.DataFrame(columns=OWING_COLUMNS), count, total)
        ids = [int(u[0]) for u in units]
        names: dict[int, tuple[str, str]] = {}
        payers: dict[int, str] = {}
        for chunk in in_chunks(ids):
            names.update({int(i): (f"{e} {code}", c or "") for i, e, code, c in s.execute(
                select(Unit.id, Estate.name, Building.code + "-" + Unit.unit_no + "-" + Unit.room_no, Staff.name)
                .join(Estate, Estate.id == Unit.estate_id).join(Building, Building.id == Unit.building_id)
                .outerjoin(Staff, Staff.id == Unit.collector_staff_id).where(Unit.id.in_(chunk)))})
            for unit_id, payer in s.execute(
                    select(Bill.unit_id, Bill.payer_name)
                    .where(Bill.unit_id.in_(chunk), Bill.status.in_(ledger.OPEN_STATUSES), Bill.payer_name != "")
                    .order_by(Bill.id)):
                payers.setdefault(int(unit_id or 0), payer)
        rows = sorted(units, key=lambda u: (-int(u[1]), names[int(u[0])][0]))
        if limit is not None:
            rows = rows[:limit]
        shown = [int(u[0]) for u in rows]
        last_dunning = _last_dunning(s, shown)
    return OwingList(pd.DataFrame({
        "unit_id": shown, "房屋": [names[u][0] for u in shown], "业主": [payers.get(u, "") for u in shown],
        "欠费金额": [_yuan(u[1]) for u in rows], "月数": [int(u[2]) for u in rows],
        "最早期间": [u[3] for u in rows], "收费员": [names[u][1] for u in shown],
        "最近催缴": [last_dunning[u][0] if u in last_dunning else "" for u in shown],
        "下次催缴": [last_dunning[u][1] if u in last_dunning else None for u in shown],
    }, columns=OWING_COLUMNS), count, total)


def owing_units(*, actor: Actor, estate_id: int | None = None, building_id: int | None = None,
                collector: str | None = None, min_months: int = 1, limit: int | None = 500) -> pd.DataFrame:
    """owing_list's units alone."""
    return owing_list(actor=actor, estate_id=estate_id, building_id=building_id, collector=collector,
                      min_months=min_months, limit=limit).frame


def owing_totals(*, actor: Actor, estate_id: int | None = None, building_id: int | None = None,
                 collector: str | None = None, min_months: int = 1) -> tuple[int, Decimal]:
    """How many units owe in this scope and how much in all (what owing_units lists, without a limit)."""
    require(actor, "fees.view")
    g = _owing_groups(actor, estate_id=estate_id, building_id=building_id, collector=collector,
                      min_months=min_months).subquery()
    with read_session() as s:
        totals: Any = s.execute(select(func.count(), func.sum(g.c.cents))).one()
    n, cents = totals
    return int(n or 0), _yuan(cents or 0)


def owing_collectors(*, actor: Actor, estate_id: int | None = None, building_id: int | None = None) -> list[str]:
    """The names of the collectors responsible for at least one owing unit in scope, sorted."""
    require(actor, "fees.view")
    stmt = (select(Staff.name).distinct().select_from(Bill).join(Unit, Unit.id == Bill.unit_id)
            .join(Staff, Staff.id == Unit.collector_staff_id)
            .where(Bill.status.in_(ledger.OPEN_STATUSES), estate_clause(actor, Unit.estate_id)))
    if estate_id is not None:
        stmt = stmt.where(Unit.estate_id == estate_id)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    with read_session() as s:
        return sorted(name for name in s.scalars(stmt) if name)


def _last_dunning(session: Session, unit_ids: Sequence[int]) -> dict[int, tuple[str, date | None]]:
    out: dict[int, tuple[str, date | None]] = {}
    for chunk in in_chunks(unit_ids):
        latest = select(DunningAction.unit_id, func.max(DunningAction.id).label("id")).where(
            DunningAction.unit_id.in_(chunk)).group_by(DunningAction.unit_id).subquery()
        rows = session.execute(select(DunningAction.unit_id, DunningAction.at, DunningAction.method,
                                      DunningAction.outcome, DunningAction.next_on)
                               .join(latest, latest.c.id == DunningAction.id)).all()
        out.update({u: (f"{to_local(at):%Y-%m-%d} {method} {outcome}", next_on)
                    for u, at, method, outcome, next_on in rows})
    return out


def owed_by_units(session: Session, unit_ids: Sequence[int]) -> dict[int, Decimal]:
    """What each unit owes right now (0.00 for a unit that owes nothing), in one query."""
    owed = {unit_id: _yuan(0) for unit_id in unit_ids}
    # a unit's account "U<id>" holds exactly the bills with its unit_id (billing and the imports write both), so
    # the open bills index answers by unit, where by account it would read all of each unit's years of bills
    for chunk in in_chunks(sorted(owed)):
        for unit_id, cents in session.execute(
                select(Bill.unit_id, func.sum(_owing_cents()))
                .where(Bill.unit_id.in_(chunk), Bill.status.in_(ledger.OPEN_STATUSES)).group_by(Bill.unit_id)):
            owed[cast(int, unit_id)] = _yuan(cents or 0)  # never NULL: matched by IN
    return owed


@dataclass(frozen=True)
class Dunning:
    unit_id: int
    method: str
    outcome: str
    promised_on: object = None
    next_on: object = None
    note: str = ""


def record_dunning(*, actor: Actor, dunning: Dunning) -> int:
    """Log one 催缴 contact with the amount owed right now; a promise needs its date."""
    require(actor, "fees.dun")
    errors: dict[str, str] = {}
    method = collect(errors, "催缴方式", dunning.method, lambda v: parse_choice(v, DUNNING_METHODS))
    outcome = collect(errors, "结果", dunning.outcome, lambda v: parse_choice(v, DUNNING_OUTCOMES))
    today = local_today()
    dates: dict[str, date | None] = {}
    for label, raw in (("承诺缴费日期", dunning.promised_on), ("下次催缴日期", dunning.next_on)):
        value = dates[label] = collect(errors, label, raw, parse_date, required=False)
        if value is not None and value < today:
            errors[label] = "不能早于今天"
    if outcome == "承诺缴费" and not dates.get("承诺缴费日期") and "承诺缴费日期" not in errors:
        errors["承诺缴费日期"] = "结果为“承诺缴费”时必须填写"
    try:
        note = parse_text(dunning.note, max_len=500)
    except FieldError as exc:
        errors["备注"] = str(exc)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        scoped_unit(s, actor, dunning.unit_id, "没有这套房屋")
        row = DunningAction(unit_id=dunning.unit_id, at=utcnow(), method=method, outcome=outcome,
                            promised_on=dates["承诺缴费日期"], next_on=dates["下次催缴日期"], note=note,
                            owed=owed_by_units(s, [dunning.unit_id])[dunning.unit_id],
                            by_user_id=actor.user_id, by_name=actor.display_name)
        s.add(row)
        s.flush()
        audit.record(s, actor, "dun", "dunning_actions", row.id, None,
                     audit.snapshot(row, ("unit_id", "method", "outcome", "promised_on", "next_on", "owed", "note")))
        uow.commit()
        return row.id


def dunning_log(*, actor: Actor, unit_id: int) -> pd.DataFrame:
    """A unit's 催缴 history, newest first (for the unit card)."""
    require(actor, "fees.view")
    with read_session() as s:
        rows = s.execute(select(DunningAction).where(DunningAction.unit_id == unit_id,
                                                     unit_clause(actor, DunningAction.unit_id))
                         .order_by(DunningAction.at.desc())).scalars().all()
        return pd.DataFrame([{"时间": to_local(r.at), "方式": r.method, "结果": r.outcome, "当时欠费": r.owed,
                              "承诺日期": r.promised_on, "下次催缴": r.next_on, "备注": r.note, "经办人": r.by_name}
                             for r in rows], columns=["时间", "方式", "结果", "当时欠费", "承诺日期", "下次催缴",
                                                      "备注", "经办人"])


def dunning_due(*, actor: Actor, today: date | None = None) -> pd.DataFrame:
    """催缴 due this week: owing units whose next action falls by Sunday, or whose promise date has passed."""
    require(actor, "fees.view")
    today = today or local_today()
    week_end = today + timedelta(days=6 - today.weekday())
    with read_session() as s:
        latest = select(DunningAction.unit_id, func.max(DunningAction.id).label("id")).group_by(
            DunningAction.unit_id).subquery()
        due = s.execute(select(DunningAction.unit_id, DunningAction.outcome, DunningAction.promised_on,
                               DunningAction.next_on, DunningAction.by_name)
                        .join(latest, latest.c.id == DunningAction.id)
                        .where(DunningAction.outcome != "已缴", unit_clause(actor, DunningAction.unit_id),
                               or_(DunningAction.next_on <= week_end, DunningAction.promised_on < today))).all()
        owing = owed_by_units(s, [r.unit_id for r in due])
        labels = dict(s.execute(select(Unit.id, Estate.name + " " + Building.code + "-" + Unit.unit_no + "-"
                                       + Unit.room_no).join(Building, Building.id == Unit.building_id)
                                .join(Estate, Estate.id == Unit.estate_id)
                                .where(Unit.id.in_(list(owing) or [0]))).all())
        out = [{"unit_id": r.unit_id, "房屋": labels.get(r.unit_id, ""), "现欠费": owing[r.unit_id],
                "上次结果": r.outcome, "承诺日期": r.promised_on, "下次催缴": r.next_on, "经办人": r.by_name,
                "逾期承诺": bool(r.promised_on and r.promised_on < today)}
               for r in due if owing[r.unit_id] > 0]
    columns = ["unit_id", "房屋", "现欠费", "上次结果", "承诺日期", "下次催缴", "经办人", "逾期承诺"]
    return pd.DataFrame(out, columns=columns).sort_values(["下次催缴", "房屋"], na_position="first") \
        if out else pd.DataFrame(columns=columns)


@dataclass(frozen=True)
class NoticeData:
    unit_id: int
    unit_code: str
    payer: str
    lines: tuple[tuple[str, str, Decimal, date], ...]  # item, period, amount, due_on
    total: Decimal


def notices_for_building(*, actor: Actor, building_id: int, as_of: date | None = None) -> list[NoticeData]:
    """What each owing unit of a building owes, by item and month: the content of its 催缴通知单."""
    require(actor, "fees.view")
    as_of = as_of or local_today()
    with read_session() as s:
        f = _open_bills_frame(s, building_id=building_id, actor=actor)
    if f.empty:
        return []
    f = f[f["due_on"] <= as_of]
    out = []
    for unit_id, g in f.sort_values(["code", "period", "item"]).groupby("unit_id", sort=False):
        lines = tuple((r.item, r.period, _yuan(r.cents), r.due_on) for r in g.itertuples())
        out.append(NoticeData(int(unit_id), f"{g['estate'].iloc[0]} {g['code'].iloc[0]}",
                              next((p for p in g["payer_name"] if p), "业主"), lines,
                              sum((line[2] for line in lines), Decimal("0.00"))))
    return out


def assign_collector(*, actor: Actor, unit_ids: Sequence[int], staff_id: int | None) -> int:
    """Make one staff member the responsible collector of these units (or clear it)."""
    require(actor, "fees.edit")
    with unit_of_work() as uow:
        s = uow.session
        if staff_id is not None and s.get(Staff, staff_id) is None:
            raise ValidationError({"收费员": "没有这位员工"})
        units = list(s.scalars(select(Unit).where(Unit.id.in_(list(unit_ids)))))
        if not all(in_scope(actor, u.estate_id) for u in units):
            raise NotFound("没有这套房屋")
        for u in units:
            before = u.collector_staff_id
            u.collector_staff_id = staff_id
            audit.record(s, actor, "update", "units", u.id, {"collector_staff_id": before},
                         {"collector_staff_id": staff_id})
        uow.commit()
        return len(units)


@dataclass(frozen=True)
class NoticeBatch:
    """A building's 催缴通知单 as one PDF: one A4 page per owing unit (`count` units; none: no PDF)."""

    count: int
    pdf: bytes | None


def notices_pdf(*, actor: Actor, building_id: int, pay_by: date, as_of: date | None = None) -> NoticeBatch:
    """The 催缴通知单 of every owing unit of a building, as of a day, asking to pay by `pay_by`, under the company
    name and contact line of the settings."""
    as_of = as_of or local_today()
    notices = notices_for_building(actor=actor, building_id=building_id, as_of=as_of)
    if pay_by < as_of:
        raise ValidationError({"缴费期限": f"不能早于通知日期 {as_of.isoformat()}"})
    if not notices:
        return NoticeBatch(0, None)
    company, contact = get_setting("company_name"), get_setting("notice_contact")
    docs = [documents.DunningNotice(
        company=company, unit_code=n.unit_code, payer=n.payer,
        lines=tuple(documents.NoticeLine(item, period, amount, due_on) for item, period, amount, due_on in n.lines),
        total=n.total, as_of=as_of, pay_by=pay_by, contact=contact) for n in notices]
    return NoticeBatch(len(docs), documents.dunning_notices_pdf(docs))
