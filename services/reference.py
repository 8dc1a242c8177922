"""Reference tables the admin maintains: estates 小区, buildings 楼栋, departments 部门.

A reference table is declared once (model, rules, list columns); the same three
functions list, edit and add any of them. Rows are deactivated, never deleted,
because units, staff and history point at them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.exc import IntegrityError

from db.engine import read_session, unit_of_work
from db.models import Building, Department, Estate
from services import audit
from services.auth import Actor, require
from services.editing import RowEdit, apply_edits
from services.errors import Conflict, NotFound, ValidationError
from services.listing import ListQuery, PageResult, authorize_list, run_list
from services.validate import FieldRule, RecordRules

_CODE = FieldRule(
    "code", "编号", "text", required=True, max_len=16, pattern=r"[A-Za-z0-9\-]+",
    pattern_hint="只能包含字母、数字和短横线",
)
_ACTIVE = FieldRule("active", "启用", "bool")


@dataclass(frozen=True)
class RefTable:
    name: str
    label: str
    model: type
    edit_rules: RecordRules
    create_rules: RecordRules
    columns: Mapping[str, ColumnElement]
    search_columns: Sequence[ColumnElement]
    equal_filters: Mapping[str, ColumnElement] = field(default_factory=dict)

    def base_select(self) -> Select:
        stmt = select(*[c.label(n) for n, c in self.columns.items()])
        if self.model is Building:
            stmt = stmt.join(Estate, Estate.id == Building.estate_id)
        return stmt


REF_TABLES: dict[str, RefTable] = {
    "estates": RefTable(
        name="estates",
        label="小区",
        model=Estate,
        edit_rules=RecordRules(
            {
                "name": FieldRule("name", "名称", "text", required=True, max_len=64),
                "address": FieldRule("address", "地址", "text", max_len=200),
                "active": _ACTIVE,
            }
        ),
        create_rules=RecordRules(
            {
                "code": _CODE,
                "name": FieldRule("name", "名称", "text", required=True, max_len=64),
                "address": FieldRule("address", "地址", "text", max_len=200),
            }
        ),
        columns={
            "id": Estate.id,
            "version": Estate.version,
            "code": Estate.code,
            "name": Estate.name,
            "address": Estate.address,
            "active": Estate.active,
        },
        search_columns=[Estate.code, Estate.name, Estate.address],
    ),
    "buildings": RefTable(
        name="buildings",
        label="楼栋",
        model=Building,
        edit_rules=RecordRules(
            {
                "name": FieldRule("name", "名称", "text", required=True, max_len=64),
                "floors": FieldRule("floors", "层数", "int", min_value=1, max_value=200),
                "active": _ACTIVE,
            }
        ),
        create_rules=RecordRules(
            {
                "estate_id": FieldRule("estate_id", "小区", "int", required=True, min_value=1),
                "code": _CODE,
                "name": FieldRule("name", "名称", "text", required=True, max_len=64),
                "floors": FieldRule("floors", "层数", "int", min_value=1, max_value=200),
            }
        ),
        columns={
            "id": Building.id,
            "version": Building.version,
            "estate": Estate.name,
            "code": Building.code,
            "name": Building.name,
            "floors": Building.floors,
            "active": Building.active,
        },
        search_columns=[Building.code, Building.name, Estate.name],
        equal_filters={"estate_id": Building.estate_id},
    ),
    "departments": RefTable(
        name="departments",
        label="部门",
        model=Department,
        edit_rules=RecordRules(
            {
                "name": FieldRule("name", "名称", "text", required=True, max_len=64),
                "active": _ACTIVE,
            }
        ),
        create_rules=RecordRules(
            {
                "code": _CODE,
                "name": FieldRule("name", "名称", "text", required=True, max_len=64),
            }
        ),
        columns={
            "id": Department.id,
            "version": Department.version,
            "code": Department.code,
            "name": Department.name,
            "active": Department.active,
        },
        search_columns=[Department.code, Department.name],
    ),
}


def _table(name: str) -> RefTable:
    try:
        return REF_TABLES[name]
    except KeyError:
        raise NotFound(f"没有名为 {name} 的基础资料表") from None


def list_reference(*, actor: Actor, table: str, query: ListQuery) -> PageResult:
    """One page of a reference table."""
    authorize_list(actor, "reference.view", query)
    t = _table(table)
    with read_session() as s:
        return run_list(
            s, t.base_select(), t.columns, query,
            search_columns=t.search_columns, equal_filters=t.equal_filters, default_sort=("code", False),
        )


def update_reference(*, actor: Actor, table: str, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits to a reference table, all or nothing."""
    require(actor, "reference.edit")
    t = _table(table)
    with unit_of_work() as uow:
        count = apply_edits(
            uow.session, actor=actor, model=t.model, entity=t.name, edits=edits,
            rules=t.edit_rules, row_label=lambda row: f"{t.label} {row.code}",
        )
        uow.commit()
    return count


def create_reference(*, actor: Actor, table: str, values: Mapping[str, Any]) -> int:
    """Add one row to a reference table; returns its id."""
    require(actor, "reference.edit")
    t = _table(table)
    parsed = t.create_rules.parse_or_raise(values)
    missing = {r.label: "必填" for n, r in t.create_rules.fields.items() if r.required and n not in parsed}
    if missing:
        raise ValidationError(missing)
    with unit_of_work() as uow:
        s = uow.session
        if t.model is Building and s.get(Estate, parsed["estate_id"]) is None:
            raise ValidationError({"小区": "不存在"})
        row = t.model(**parsed)
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"{t.label}编号或名称已存在：{parsed.get('code')} / {parsed.get('name')}") from exc
        audit.record(s, actor, "create", t.name, row.id, None, parsed)
        uow.commit()
        return row.id


def estate_options(*, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of active estates, for filters and forms."""
    require(actor, "reference.view")
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            select(Estate.id, Estate.name).where(Estate.active.is_(True)).order_by(Estate.code)
        )]


def building_options(*, actor: Actor, estate_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the active buildings of one estate."""
    require(actor, "reference.view")
    if estate_id is None:
        return []
    with read_session() as s:
        stmt = (
            select(Building.id, Building.name)
            .where(Building.estate_id == estate_id, Building.active.is_(True))
            .order_by(Building.id)
        )
        return [tuple(r) for r in s.execute(stmt)]


def department_options(*, actor: Actor) -> list[tuple[int, str]]:
    require(actor, "reference.view")
    with read_session() as s:
        return [tuple(r) for r in s.execute(
            select(Department.id, Department.name).where(Department.active.is_(True)).order_by(Department.code)
        )]
