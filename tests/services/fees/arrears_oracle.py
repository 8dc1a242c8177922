"""The arrears figures as services/fees/arrears.py computed them before issue 14 (pandas over every open bill),
kept as the oracle the grouped SQL must equal: `arrears_summary` and `owing_units` of that version, verbatim
but for the names and for `_last_dunning` reading every unit's last contact. The open bills themselves are read by
the service's `_open_bills_frame`, which the notices still use: what is compared is the grouping."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import DunningAction
from services.fees.arrears import GROUPS, NO_BUILDING, _open_bills_frame, _yuan, age_bucket
from services.fees.figures import AGING_BUCKETS
from services.platform.clock import local_today, to_local


def old_arrears_summary(*, group: str, as_of: date | None = None, estate_id: int | None = None) -> pd.DataFrame:
    as_of = as_of or local_today()
    with read_session() as s:
        f = _open_bills_frame(s, estate_id=estate_id)
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
        f = _open_bills_frame(s, estate_id=estate_id, building_id=building_id)
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
