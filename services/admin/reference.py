"""Reference tables the admin maintains: estates 小区, buildings 楼栋, departments 部门, posts 岗位, ticket categories,
ticket time limits (SLA) and the holiday calendar.

A reference table is declared once (model, rules, list columns); the same three
functions list, edit and add any of them. Rows are deactivated, never deleted,
because units, staff and history point at them.

Time limits: one rule per ticket type and category (category empty: the type's general rule, used
for tickets of a category without a rule of its own). A new rule's category must exist and be active;
a second rule for the same type and category is refused (re-enable and edit the existing one instead).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, SQLColumnExpression, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, object_session

from db.engine import read_session, unit_of_work
from db.models import Building, Department, Estate, FeeItem, Holiday, Post, SlaPolicy, TicketCategory
from services.estate.units import UNIT_KINDS
from services.fees import billing as fees
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.editing import RowEdit, apply_edits
from services.platform.errors import Conflict, NotFound, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.scope import estate_clause
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import RecordRules
from services.tickets import workflow as ticket_workflow

_CODE = Field(
    "code", "编号", "admin.code", creatable=True, required=True, max_len=16, pattern=r"[A-Za-z0-9\-]+",
    pattern_hint="只能包含字母、数字和短横线",
)
_ACTIVE = Field("active", "启用", "admin.active", "bool", editable=True)
_NAME = Field("name", "名称", "admin.name", editable=True, creatable=True, required=True, max_len=64)


@dataclass(frozen=True)
class RefTable:
    name: str
    label: str
    model: type
    spec: TableSpec
    columns: Mapping[str, SQLColumnExpression[Any]]
    search_columns: Sequence[SQLColumnExpression[Any]]
    equal_filters: Mapping[str, SQLColumnExpression[Any]] = field(default_factory=dict)
    key_fields: tuple[str, ...] = ("code",)  # what names a row in messages
    sort_field: str = "code"
    created_defaults: Mapping[str, Any] = field(default_factory=dict)
    shown_as: Mapping[str, Mapping[str, str]] = field(default_factory=dict)  # stored code -> label, per field
    conflict_fields: tuple[str, ...] = ("code", "name")  # the unique fields a duplicate names
    conflict_hint: str = "编号或名称"
    joins: tuple[tuple[type, ColumnElement[bool], bool], ...] = ()  # (model, on, outer) the list columns need
    key_text: Callable[[Any], str] | None = None  # names a row in messages, when key_fields cannot

    @property
    def edit_rules(self) -> RecordRules:
        return self.spec.edit_rules

    @property
    def create_rules(self) -> RecordRules:
        return self.spec.create_rules

    def row_label(self, row: object) -> str:
        key = self.key_text(row) if self.key_text else " ".join(str(getattr(row, f)) for f in self.key_fields)
        return f"{self.label} {key}"

    def base_select(self) -> Select[*tuple[Any, ...]]:
        stmt: Select[*tuple[Any, ...]] = select(*[c.label(n) for n, c in self.columns.items()])
        for model, on, outer in self.joins:
            stmt = stmt.join(model, on, isouter=outer)
        return stmt


ESTATE_TABLE = TableSpec("estates", (
    _CODE, _NAME, Field("address", "地址", "admin.address", editable=True, creatable=True, max_len=200), _ACTIVE,
))
BUILDING_TABLE = TableSpec("buildings", (
    Field("estate_id", "小区", "admin.estate", "int", creatable=True, required=True, min_value=1),
    _CODE, _NAME,
    Field("floors", "层数", "admin.floors", "int", editable=True, creatable=True, min_value=1, max_value=200),
    _ACTIVE,
))
DEPARTMENT_TABLE = TableSpec("departments", (_CODE, _NAME, _ACTIVE))
POST_TABLE = TableSpec("posts", (
    _CODE, Field("name", "名称", "admin.name", editable=True, creatable=True, required=True, max_len=32), _ACTIVE,
))

REF_TABLES: dict[str, RefTable] = {
    "estates": RefTable(
        name="estates",
        label="小区",
        model=Estate,
        spec=ESTATE_TABLE,
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
        spec=BUILDING_TABLE,
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
        joins=((Estate, Estate.id == Building.estate_id, False),),
    ),
    "departments": RefTable(
        name="departments",
        label="部门",
        model=Department,
        spec=DEPARTMENT_TABLE,
        columns={
            "id": Department.id,
            "version": Department.version,
            "code": Department.code,
            "name": Department.name,
            "active": Department.active,
        },
        search_columns=[Department.code, Department.name],
    ),
    "posts": RefTable(
        name="posts",
        label="岗位",
        model=Post,
        spec=POST_TABLE,
        columns={
            "id": Post.id,
            "version": Post.version,
            "code": Post.code,
            "name": Post.name,
            "active": Post.active,
        },
        search_columns=[Post.code, Post.name],
    ),
}


SLA_UNITS = {"小时": "hours", "工作日": "working_days"}  # what the admin reads -> what is stored
ALL_CATEGORIES = "全部分类"  # how the list shows a type's general rule (no category)


def _category_text(place: str, problem: str) -> str:
    return f"{place} · {problem}"


def _sla_key(policy: SlaPolicy) -> str:
    """'报修 · 电梯 · 困人', or '报修' for the type's general rule."""
    # the rows named in messages are the ones apply_edits loaded, so they belong to a session
    category = (cast(Session, object_session(policy)).get(TicketCategory, policy.category_id)
                if policy.category_id else None)
    return policy.ticket_type if category is None else (
        f"{policy.ticket_type} · {_category_text(category.place, category.problem)}")

TICKET_CATEGORY_TABLE = TableSpec("ticket_categories", (
    Field("place", "部位", "admin.place", editable=True, creatable=True, required=True, max_len=32),
    Field("problem", "问题", "admin.problem", editable=True, creatable=True, required=True, max_len=32),
    _ACTIVE,
))
SLA_TABLE = TableSpec("sla_policies", (
    Field("ticket_type", "类型", "tickets.type", "choice", creatable=True, required=True, options=ticket_workflow.TYPES),
    Field("category_id", "报事分类", "tickets.category", "int", creatable=True, min_value=1),
    Field("unit", "单位", "admin.sla_unit", "choice", editable=True, creatable=True, required=True,
          options=tuple(SLA_UNITS), stored_as=SLA_UNITS),
    Field("amount", "时限", "admin.sla_amount", "int", editable=True, creatable=True, required=True, min_value=1,
          max_value=720),
    Field("needs_revisit", "需要回访", "admin.needs_revisit", "bool", editable=True, creatable=True, default=True),
    _ACTIVE,
))
HOLIDAY_TABLE = TableSpec("holidays", (
    Field("day", "日期", "admin.day", "date", creatable=True, required=True),
    Field("is_workday", "上班", "admin.is_workday", "bool", editable=True, creatable=True, required=True,
          default=False),
    Field("name", "名称", "admin.name", editable=True, creatable=True, max_len=32),
))

REF_TABLES["ticket_categories"] = RefTable(
    name="ticket_categories",
    conflict_fields=("place", "problem"),
    conflict_hint="",
    label="报事分类",
    model=TicketCategory,
    spec=TICKET_CATEGORY_TABLE,
    columns={"id": TicketCategory.id, "version": TicketCategory.version, "place": TicketCategory.place,
             "problem": TicketCategory.problem, "active": TicketCategory.active},
    search_columns=[TicketCategory.place, TicketCategory.problem],
    key_fields=("place", "problem"),
    sort_field="place",
)
REF_TABLES["sla_policies"] = RefTable(
    name="sla_policies",
    conflict_fields=("ticket_type",),
    conflict_hint="",
    label="时限规定",
    model=SlaPolicy,
    spec=SLA_TABLE,
    columns={"id": SlaPolicy.id, "version": SlaPolicy.version, "ticket_type": SlaPolicy.ticket_type,
             "category": func.coalesce(TicketCategory.place + " · " + TicketCategory.problem, ALL_CATEGORIES),
             "unit": SlaPolicy.unit, "amount": SlaPolicy.amount, "needs_revisit": SlaPolicy.needs_revisit,
             "active": SlaPolicy.active},
    search_columns=[SlaPolicy.ticket_type, TicketCategory.place, TicketCategory.problem],
    joins=((TicketCategory, TicketCategory.id == SlaPolicy.category_id, True),),
    key_fields=("ticket_type",),
    key_text=_sla_key,
    sort_field="ticket_type",
    shown_as={"unit": {v: k for k, v in SLA_UNITS.items()}},
)
REF_TABLES["holidays"] = RefTable(
    name="holidays",
    conflict_fields=("day",),
    conflict_hint="日期",
    label="节假日",
    model=Holiday,
    spec=HOLIDAY_TABLE,
    columns={"id": Holiday.id, "version": Holiday.version, "day": Holiday.day, "is_workday": Holiday.is_workday,
             "name": Holiday.name, "source": Holiday.source},
    search_columns=[Holiday.name],
    key_fields=("day",),
    sort_field="day",
    created_defaults={"source": "手工"},
)

_NO_DEFAULT = "（不默认）"
_UNIT_KIND_CHOICES = {_NO_DEFAULT: "", **{k: k for k in UNIT_KINDS}}
FEE_ITEM_TABLE = TableSpec("fee_items", (
    _CODE,
    Field("name", "名称", "admin.name", editable=True, creatable=True, required=True, max_len=32),
    Field("category", "类别", "admin.fee_category", "choice", editable=True, creatable=True, required=True,
          options=fees.CATEGORIES),
    Field("basis", "计费方式", "admin.fee_basis", "choice", creatable=True, required=True, options=fees.BASES),
    Field("rate", "单价", "admin.fee_rate", "rate", editable=True, creatable=True, required=True,
          min_value=Decimal(0), max_value=Decimal(1000000)),
    Field("unit_label", "计价单位", "admin.fee_unit_label", editable=True, creatable=True, max_len=16),
    Field("default_unit_kind", "默认收取的房屋类型", "admin.fee_default_kind", "choice", editable=True,
          creatable=True, options=tuple(_UNIT_KIND_CHOICES), stored_as=_UNIT_KIND_CHOICES),
    _ACTIVE,
    Field("note", "备注", "admin.note", editable=True, max_len=200),
))
REF_TABLES["fee_items"] = RefTable(
    name="fee_items",
    label="收费项目",
    model=FeeItem,
    spec=FEE_ITEM_TABLE,
    columns={"id": FeeItem.id, "version": FeeItem.version, "code": FeeItem.code, "name": FeeItem.name,
             "category": FeeItem.category, "basis": FeeItem.basis, "rate": FeeItem.rate,
             "unit_label": FeeItem.unit_label, "default_unit_kind": FeeItem.default_unit_kind,
             "active": FeeItem.active, "note": FeeItem.note},
    search_columns=[FeeItem.code, FeeItem.name, FeeItem.category],
    shown_as={"default_unit_kind": {"": _NO_DEFAULT}},
)


def ticket_category_options(*, actor: Actor) -> dict[int, str]:
    """{id: '部位 · 问题'} of active ticket categories, for the intake form."""
    require(actor, "reference.view")
    with read_session() as s:
        rows = s.execute(select(TicketCategory.id, TicketCategory.place, TicketCategory.problem)
                         .where(TicketCategory.active.is_(True))
                         .order_by(TicketCategory.place, TicketCategory.problem))
        return {cid: _category_text(place, problem) for cid, place, problem in rows}


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
        result = run_list(
            s, t.base_select(), t.columns, query,
            search_columns=t.search_columns, equal_filters=t.equal_filters, default_sort=(t.sort_field, False),
        )
    for column, labels in t.shown_as.items():
        result.rows[column] = [labels.get(v, v) for v in result.rows[column]]
    return result


def update_reference(*, actor: Actor, table: str, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits to a reference table, all or nothing."""
    require(actor, "reference.edit")
    t = _table(table)
    with unit_of_work() as uow:
        count = apply_edits(
            uow.session, actor=actor, model=t.model, entity=t.name, edits=edits,
            rules=t.edit_rules, row_label=t.row_label,
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
        if t.model is SlaPolicy:
            _check_new_sla(s, parsed)
        row = t.model(**{**t.created_defaults, **parsed})
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:
            shown = " / ".join(str(parsed.get(f)) for f in t.conflict_fields)
            raise Conflict(f"{t.label}{t.conflict_hint}已存在：{shown}") from exc
        audit.record(s, actor, "create", t.name, row.id, None, parsed)
        uow.commit()
        return cast(int, row.id)  # every reference table's key is an integer `id`


def _check_new_sla(session: Session, parsed: Mapping[str, Any]) -> None:
    """The category of a new time limit exists and is active, and its type and category have no rule yet.

    Checked here, not left to the unique key: NULL never equals NULL there (the general rules), and the
    message must say which rule already exists and what to do instead.
    """
    category_id = parsed.get("category_id")
    key = parsed["ticket_type"]
    if category_id is not None:
        category = session.get(TicketCategory, category_id)
        if category is None:
            raise ValidationError({"报事分类": "不存在，请从报事分类中选择"})
        if not category.active:
            raise ValidationError({"报事分类": f"“{_category_text(category.place, category.problem)}”已停用"})
        key = f"{key} · {_category_text(category.place, category.problem)}"
    same_category = SlaPolicy.category_id.is_(None) if category_id is None else SlaPolicy.category_id == category_id
    active = session.scalar(select(SlaPolicy.active).where(SlaPolicy.ticket_type == parsed["ticket_type"],
                                                           same_category))
    if active is not None:
        hint = "请修改现有规定" if active else "现有规定已停用，请在表格中重新启用并修改"
        raise Conflict(f"时限规定已存在：{key}（{hint}）")


def estate_options(*, actor: Actor) -> list[tuple[int, str]]:
    """(id, name) of the active estates the actor works in, for filters and forms."""
    require(actor, "reference.view")
    with read_session() as s:
        return cast(list[tuple[int, str]], [tuple(r) for r in s.execute(
            select(Estate.id, Estate.name).where(Estate.active.is_(True), estate_clause(actor, Estate.id))
            .order_by(Estate.code)
        )])


def building_options(*, actor: Actor, estate_id: int | None) -> list[tuple[int, str]]:
    """(id, name) of the active buildings of one estate."""
    require(actor, "reference.view")
    if estate_id is None:
        return []
    with read_session() as s:
        stmt = (
            select(Building.id, Building.name)
            .where(Building.estate_id == estate_id, Building.active.is_(True), estate_clause(actor, Building.estate_id))
            .order_by(Building.id)
        )
        return cast(list[tuple[int, str]], [tuple(r) for r in s.execute(stmt)])


def department_options(*, actor: Actor) -> list[tuple[int, str]]:
    require(actor, "reference.view")
    with read_session() as s:
        return cast(list[tuple[int, str]], [tuple(r) for r in s.execute(
            select(Department.id, Department.name).where(Department.active.is_(True)).order_by(Department.code)
        )])
