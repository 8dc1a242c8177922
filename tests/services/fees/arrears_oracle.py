"""The arrears figures as services/fees/arrears.py computed them before issue 14 (pandas over every open bill),
kept as the oracle the grouped SQL must equal: `arrears_summary` and `owing_units` of that version, verbatim
but for the names and for `_last_dunning` reading every unit's last contact."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session, aliased

from db.engine import read_session
from db.models import Bill, Building, DunningAction, Estate, FeeItem, ParkingLease, ParkingSpace, Staff, Unit
from services.fees import ledger
from services.fees.arrears import GROUPS, NO_BUILDING, _owing_cents, _yuan, age_bucket
from services.fees.figures import AGING_BUCKETS
from services.platform.clock import local_today, to_local


def open_bills_frame(session: Session, *, estate_id: int | None = None, building_id: int | None = None,
                     unit_id: int | None = None) -> pd.DataFrame:
    lease_space = aliased(ParkingSpace)
    estate_of = func.coalesce(Unit.estate_id, lease_space.estate_id)
    code = func.coalesce(Building.code + "-" + Unit.unit_no + "-" + Unit.room_no, "车位 " + lease_space.number)
    stmt = (select(Bill.id.label("bill_id"), Bill.unit_id, Bill.household, Bill.period, Bill.due_on,
                   _owing_cents().label("cents"), FeeItem.name.label("item"), Bill.payer_name,
                   estate_of.label("estate_id"), Estate.name.label("estate"), Building.id.label("building_id"),
                   Building.name.label("building"), code.label("code"),
                   Unit.collector_staff_id, Staff.name.label("collector"))
            .join(FeeItem, FeeItem.id == Bill.fee_item_id)
            .outerjoin(Unit, Unit.id == Bill.unit_id).outerjoin(Building, Building.id == Unit.building_id)
            .outerjoin(ParkingLease, and_(Bill.unit_id.is_(None), ParkingLease.id == Bill.parking_lease_id))
            .outerjoin(lease_space, lease_space.id == ParkingLease.space_id)
            .outerjoin(Estate, Estate.id == estate_of).outerjoin(Staff, Staff.id == Unit.collector_staff_id)
            .where(Bill.status.in_(ledger.OPEN_STATUSES)))
    if estate_id is not None:
        stmt = stmt.where(estate_of == estate_id)
    if building_id is not None:
        stmt = stmt.where(Unit.building_id == building_id)
    if unit_id is not None:
        stmt = stmt.where(Bill.unit_id == unit_id)
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["bill_id", "unit_id", "household", "period", "due_on", "cents", "item",
                                 "payer_name", "estate_id", "estate", "building_id", "building", "code",
                                 "collector_staff_id", "collector"])


def old_arrears_summary(*, group: str, as_of: date | None = None, estate_id: int | None = None) -> pd.DataFrame:
    as_of = as_of or local_today()
    with read_session() as s:
        f = open_bills_frame(s, estate_id=estate_id)
    columns = [GROUPS[group], "户数", "笔数", "欠费金额", "最早期间"]
    if f.empty:
        return pd.DataFrame(columns=columns)
    if group == "age":
        f = f.assign(key=[age_bucket(d, as_of) for d in f["due_on"]])
        order = [b[0] for b in AGING_BUCKETS]
    elif group == "building":
        f = f.assign(key=(f["estate"].fillna("") + " " + f["building"].fillna(NO_BUILDING)).str.strip())
        order = None
    elif group == "collector":
        f = f.assign(key=f["collector"].fillna("（未指定）"))
        order = None
    else:
        f = f.assign(key=f["estate"].fillna("（无房屋）"))
        order = None
    rows = []
    for key, g in f.groupby("key", sort=True):
        rows.append({GROUPS[group]: key, "户数": g["household"].nunique(), "笔数": len(g),
                     "欠费金额": _yuan(g["cents"].sum()), "最早期间": g["period"].min()})
    out = pd.DataFrame(rows, columns=columns)
    if order is not None:
        out = out.set_index(GROUPS[group]).reindex(order).reset_index()
        out["户数"] = out["户数"].fillna(0).astype(int)
        out["笔数"] = out["笔数"].fillna(0).astype(int)
        out["欠费金额"] = [v if isinstance(v, Decimal) else Decimal("0.00") for v in out["欠费金额"]]
        out["最早期间"] = out["最早期间"].fillna("")
    return out


def old_owing_units(*, estate_id: int | None = None, building_id: int | None = None, as_of: date | None = None,
                    limit: int | None = 500) -> pd.DataFrame:
    as_of = as_of or local_today()
    with read_session() as s:
        f = open_bills_frame(s, estate_id=estate_id, building_id=building_id)
        last = _last_dunning(s)
    if f.empty:
        return pd.DataFrame(columns=["unit_id", "房屋", "业主", "欠费金额", "月数", "最早期间", "收费员",
                                     "最近催缴", "下次催缴"])
    f = f[f["unit_id"].notna()]
    f = f.sort_values("bill_id")  # the one change: "first" payer in bill order (was: the database's row order)
    f = f.assign(payer_name=f["payer_name"].mask(f["payer_name"] == ""))  # "first" then skips a blank payer
    g = f.groupby("unit_id", sort=False).agg(
        estate=("estate", "first"), code=("code", "first"), payer=("payer_name", "first"), cents=("cents", "sum"),
        months=("period", "nunique"), oldest=("period", "min"), collector=("collector", "first"))
    g["房屋"] = g["estate"] + " " + g["code"]
    g = g.sort_values(["cents", "房屋"], ascending=[False, True])
    if limit is not None:
        g = g.head(limit)
    unit_ids = [int(u) for u in g.index]
    return pd.DataFrame({
        "unit_id": unit_ids, "房屋": list(g["房屋"]), "业主": list(g["payer"].fillna("")),
        "欠费金额": [_yuan(c) for c in g["cents"]], "月数": [int(m) for m in g["months"]],
        "最早期间": list(g["oldest"]), "收费员": list(g["collector"].fillna("")),
        "最近催缴": [last[u][0] if u in last else "" for u in unit_ids],
        "下次催缴": [last[u][1] if u in last else None for u in unit_ids],
    })


def _last_dunning(session: Session) -> dict[int, tuple[str, date | None]]:
    latest = select(DunningAction.unit_id, func.max(DunningAction.id).label("id")).group_by(
        DunningAction.unit_id).subquery()
    rows = session.execute(select(DunningAction.unit_id, DunningAction.at, DunningAction.method,
                                  DunningAction.outcome, DunningAction.next_on)
                           .join(latest, latest.c.id == DunningAction.id)).all()
    return {u: (f"{to_local(at):%Y-%m-%d} {method} {outcome}", next_on) for u, at, method, outcome, next_on in rows}


def records(frame: pd.DataFrame) -> list[dict]:
    """A frame as plain rows (column order kept), for comparing two frames value by value and type by type."""
    return [{k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()}
            for row in frame.to_dict(orient="records")]
