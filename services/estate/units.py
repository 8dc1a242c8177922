"""Units 房屋: the list every desk works from, and its edits.

Invariants: a unit's code reads `楼栋-单元-房号` (e.g. 1-1-101) and is unique within
its estate; identity fields (estate, building, unit, room) are not edited in the
grid; the inner area never exceeds the built area; mobiles are masked in lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from sqlalchemy import Select, SQLColumnExpression, and_, func, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Building, Estate, Person, Unit, UnitPerson
from services.estate.statuses import UNIT_STATUSES as UNIT_STATUSES
from services.platform.auth import Actor, require
from services.platform.editing import RowEdit, apply_edits
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.privacy import mask_mobile
from services.platform.scope import estate_clause, in_scope
from services.platform.tablespec import Field, TableSpec

UNIT_KINDS = ("住宅", "商铺", "车库", "办公")
PERSON_ROLES = ("业主", "共有人", "家属", "租客")

_AREA_MIN, _AREA_MAX = Decimal("0.01"), Decimal("99999.99")
UNIT_TABLE = TableSpec("units", (
    Field("floor", "楼层", "units.floor", "int", editable=True, min_value=-5, max_value=200),
    Field("kind", "类型", "units.kind", "choice", editable=True, required=True, options=UNIT_KINDS),
    Field("layout", "户型", "units.layout", editable=True, max_len=32),
    Field("built_area", "建筑面积", "units.built_area", "hundredths", editable=True,
          min_value=_AREA_MIN, max_value=_AREA_MAX),
    Field("inner_area", "套内面积", "units.inner_area", "hundredths", editable=True,
          min_value=_AREA_MIN, max_value=_AREA_MAX),
    Field("status", "状态", "units.status", "choice", editable=True, required=True, options=UNIT_STATUSES),
    Field("delivered_on", "交房日期", "units.delivered_on", "date", editable=True),
    Field("note", "备注", "units.note", editable=True, max_len=500),
))
UNIT_RULES = UNIT_TABLE.edit_rules

unit_code = Building.code.concat("-").concat(Unit.unit_no).concat("-").concat(Unit.room_no)

_owner = (
    select(Person.id)
    .join(UnitPerson, UnitPerson.person_id == Person.id)
    .where(and_(UnitPerson.unit_id == Unit.id, UnitPerson.role == "业主", UnitPerson.end_on.is_(None)))
    .order_by(UnitPerson.id)
    .limit(1)
    .correlate(Unit)
    .scalar_subquery()
)
_owner_name = select(Person.name).where(Person.id == _owner).scalar_subquery()
_owner_mobile = select(Person.mobile).where(Person.id == _owner).scalar_subquery()

def join_unit_location(stmt: Select[*tuple[Any, ...]], unit_id: SQLColumnExpression[int], *,
                       actor: Actor | None = None) -> Select[*tuple[Any, ...]]:
    """Join a list statement to the unit it is about, its building and estate (for unit_code and sorting); with
    `actor`, only the rows of units in the actor's estates."""
    joined = (stmt.join(Unit, Unit.id == unit_id).join(Building, Building.id == Unit.building_id)
              .join(Estate, Estate.id == Unit.estate_id))
    return joined if actor is None else joined.where(estate_clause(actor, Unit.estate_id))


# 楼栋 and 单元 numbers sort as numbers; a room sorts by floor first, as staff walk a building.
UNIT_CODE_ORDER = (
    Estate.code,
    func.length(Building.code),
    Building.code,
    func.length(Unit.unit_no),
    Unit.unit_no,
    Unit.floor,
    func.length(Unit.room_no),
    Unit.room_no,
)

UNIT_COLUMNS = {
    "id": Unit.id,
    "version": Unit.version,
    "code": unit_code,
    "estate": Estate.name,
    "building": Building.name,
    "unit_no": Unit.unit_no,
    "room_no": Unit.room_no,
    "floor": Unit.floor,
    "kind": Unit.kind,
    "layout": Unit.layout,
    "built_area": Unit.built_area,
    "inner_area": Unit.inner_area,
    "status": Unit.status,
    "delivered_on": Unit.delivered_on,
    "owner": _owner_name,
    "owner_mobile": _owner_mobile,
    "note": Unit.note,
}


def list_units(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of units with their current owner; filters: estate_id, building_id, kind, status."""
    authorize_list(actor, "units.view", query)
    stmt: Select[*tuple[Any, ...]] = (
        select(*[c.label(n) for n, c in UNIT_COLUMNS.items()])
        .join(Building, Building.id == Unit.building_id)
        .join(Estate, Estate.id == Unit.estate_id)
        .where(estate_clause(actor, Unit.estate_id))
    )
    with read_session() as s:
        result = run_list(
            s,
            stmt,
            UNIT_COLUMNS,
            query,
            search_columns=[unit_code, Unit.room_no, Unit.note, _owner_name],
            equal_filters={
                "estate_id": Unit.estate_id,
                "building_id": Unit.building_id,
                "kind": Unit.kind,
                "status": Unit.status,
            },
            default_sort=("code", False),
            sort_keys={"code": UNIT_CODE_ORDER, "room_no": UNIT_CODE_ORDER[3:]},
        )
    df = result.rows
    df["owner"] = df["owner"].fillna("")
    df["owner_mobile"] = [mask_mobile(m) if m else "" for m in df["owner_mobile"]]
    return result


def _unit_labeller(session: Session) -> Callable[[Unit], str]:
    def label(unit: Unit) -> str:
        # the estate is part of the label: 1-1-101 exists in every estate
        # units.estate_id and units.building_id are foreign keys: both rows exist
        estate = cast(Estate, session.get(Estate, unit.estate_id)).name
        building = cast(Building, session.get(Building, unit.building_id))
        return f"{estate} {building.code}-{unit.unit_no}-{unit.room_no}"

    return label


def _check_areas(unit: Unit, values: Mapping[str, Any]) -> dict[str, str]:
    built = values.get("built_area", unit.built_area)
    inner = values.get("inner_area", unit.inner_area)
    if built is not None and inner is not None and inner > built:
        return {"套内面积": f"不能大于建筑面积（{built}）"}
    return {}


def update_units(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits to units, all or nothing; returns how many units changed."""
    require(actor, "units.edit")
    with unit_of_work() as uow:
        count = apply_edits(
            uow.session,
            actor=actor,
            model=Unit,
            entity="units",
            edits=edits,
            rules=UNIT_RULES,
            row_label=_unit_labeller(uow.session),
            check_row=_check_areas,
            visible=lambda unit: in_scope(actor, unit.estate_id),
        )
        uow.commit()
    return count


def unit_summary(*, actor: Actor) -> pd.DataFrame:
    """Unit counts by estate and status, for the home page."""
    require(actor, "units.view")
    with read_session() as s:
        rows = s.execute(
            select(Estate.name, Unit.status, func.count(Unit.id))
            .join(Estate, Estate.id == Unit.estate_id)
            .where(estate_clause(actor, Unit.estate_id))
            .group_by(Estate.name, Unit.status)
            .order_by(Estate.name, Unit.status)
        ).all()
    return pd.DataFrame([tuple(r) for r in rows], columns=["estate", "status", "count"])
