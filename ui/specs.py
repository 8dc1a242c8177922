"""Column specs of the grids: one declaration per table, shared by pages and tests."""

from __future__ import annotations

from services.units import UNIT_KINDS, UNIT_STATUSES
from services.users import ROLE_CHOICES
from ui.grid import Column, GridSpec

UNITS = GridSpec(
    name="units",
    search_hint="units.search_help",
    export_sheet="房屋档案",
    columns=(
        Column("code", "units.code", width=110, pinned=True),
        Column("estate", "units.estate", width=110),
        Column("building", "units.building", width=90),
        Column("unit_no", "units.unit_no", width=70),
        Column("room_no", "units.room_no", width=80),
        Column("floor", "units.floor", "int", editable=True, width=70),
        Column("kind", "units.kind", "choice", editable=True, required=True, options=UNIT_KINDS, width=80),
        Column("layout", "units.layout", editable=True, width=100),
        Column("built_area", "units.built_area", "area", editable=True, width=120),
        Column("inner_area", "units.inner_area", "area", editable=True, width=120),
        Column("status", "units.status", "choice", editable=True, required=True, options=UNIT_STATUSES,
               width=120),
        Column("delivered_on", "units.delivered_on", "date", editable=True, width=120),
        Column("owner", "units.owner", width=90, sortable=False),
        Column("owner_mobile", "units.owner_mobile", width=120, sortable=False),
        Column("note", "units.note", editable=True, width=180, sortable=False),
    ),
)

USERS = GridSpec(
    name="users",
    search_hint="admin.search_users",
    export_sheet="用户",
    columns=(
        Column("username", "admin.username", width=120, pinned=True),
        Column("display_name", "admin.display_name", editable=True, required=True, width=120),
        Column("role", "admin.role", "choice", editable=True, required=True, options=ROLE_CHOICES, width=120),
        Column("staff", "admin.staff", width=100, sortable=False),
        Column("active", "admin.active", "bool", editable=True, width=80),
        Column("must_change_password", "admin.must_change", "bool", width=100),
        Column("locked_until", "admin.locked_until", "datetime", width=150),
        Column("last_login_at", "admin.last_login", "datetime", width=150),
    ),
)

ESTATES = GridSpec(
    name="estates",
    search_hint="admin.search_reference",
    export_sheet="小区",
    columns=(
        Column("code", "admin.code", width=90),
        Column("name", "admin.name", editable=True, required=True, width=160),
        Column("address", "admin.address", editable=True, width=320),
        Column("active", "admin.active", "bool", editable=True, width=80),
    ),
)

BUILDINGS = GridSpec(
    name="buildings",
    search_hint="admin.search_reference",
    export_sheet="楼栋",
    columns=(
        Column("estate", "admin.estate", width=140),
        Column("code", "admin.code", width=90),
        Column("name", "admin.name", editable=True, required=True, width=140),
        Column("floors", "admin.floors", "int", editable=True, width=90),
        Column("active", "admin.active", "bool", editable=True, width=80),
    ),
)

DEPARTMENTS = GridSpec(
    name="departments",
    search_hint="admin.search_reference",
    export_sheet="部门",
    columns=(
        Column("code", "admin.code", width=90),
        Column("name", "admin.name", editable=True, required=True, width=160),
        Column("active", "admin.active", "bool", editable=True, width=80),
    ),
)

AUDIT = GridSpec(
    name="audit",
    export_sheet="操作日志",
    search_hint="audit.search_help",
    default_descending=True,
    columns=(
        Column("at", "audit.at", width=160),
        Column("actor", "audit.actor", width=100),
        Column("actor_name", "audit.actor_name", width=90, sortable=False),
        Column("action", "audit.action", width=100),
        Column("entity", "audit.entity", width=80),
        Column("entity_id", "audit.entity_id", width=70),
        Column("detail", "audit.detail", width=520, sortable=False),
    ),
)
