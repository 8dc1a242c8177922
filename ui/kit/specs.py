"""Column specs of the grids, shared by pages and tests.

An editable table's columns come from its services' TableSpec (label, kind, rule, options); here a grid adds
only presentation: width, pinning, sorting, and the display kind of a hundredths field (area or money).
Read-only columns that no rule covers (joined names, computed figures) are declared here alone.
"""

from __future__ import annotations

from dataclasses import replace

from services.admin.reference import (
    BUILDING_TABLE,
    DEPARTMENT_TABLE,
    ESTATE_TABLE,
    FEE_ITEM_TABLE,
    HOLIDAY_TABLE,
    POST_TABLE,
    SLA_TABLE,
    TICKET_CATEGORY_TABLE,
)
from services.appraisal.staff import ATTENDANCE_TABLE, STAFF_TABLE
from services.estate.parking import SPACE_TABLE
from services.estate.people import PERSON_TABLE
from services.estate.units import UNIT_TABLE
from services.platform.tablespec import TableSpec
from services.platform.users import USER_TABLE
from ui.kit.grid import Column, GridSpec

# a rule kind shown as itself, except hundredths, whose display (area or money) the grid must say
_DISPLAY_KIND = {"text": "text", "int": "int", "rate": "rate", "date": "date", "choice": "choice", "bool": "bool"}


def col(table: TableSpec, name: str, *, kind: str | None = None, width: int | None = None, sortable: bool = True,
        pinned: bool = False) -> Column:
    """The grid column of one field of `table` (a key listed by name takes `kind`, e.g. choice)."""
    f = table.field(name)
    shown = f.listed_as or f.name
    if kind is None:
        kind = _DISPLAY_KIND[f.kind]  # a hundredths field has no default display: KeyError names it
    if not f.editable:
        # a column nobody edits in the grid shows text and needs no editor's choices or required mark
        return Column(shown, f.label_key, "text" if kind == "choice" else kind, width=width, sortable=sortable,
                      pinned=pinned)
    return Column(
        shown, f.label_key, kind, editable=True,
        required=f.required and f.kind != "bool",  # a checkbox cannot be left blank
        options=f.options, width=width, sortable=sortable, pinned=pinned,
    )


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
        col(UNIT_TABLE, "floor", width=70),
        col(UNIT_TABLE, "kind", width=80),
        col(UNIT_TABLE, "layout", width=100),
        col(UNIT_TABLE, "built_area", kind="area", width=120),
        col(UNIT_TABLE, "inner_area", kind="area", width=120),
        col(UNIT_TABLE, "status", width=120),
        col(UNIT_TABLE, "delivered_on", width=120),
        Column("owner", "units.owner", width=90, sortable=False),
        Column("owner_mobile", "units.owner_mobile", width=120, sortable=False),
        col(UNIT_TABLE, "note", width=180, sortable=False),
    ),
)

USERS = GridSpec(
    name="users",
    search_hint="admin.search_users",
    export_sheet="用户",
    columns=(
        col(USER_TABLE, "username", width=120, pinned=True),
        col(USER_TABLE, "display_name", width=120),
        col(USER_TABLE, "role", width=120),
        Column("staff", "admin.staff", width=100, sortable=False),
        col(USER_TABLE, "active", width=80),
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
        col(ESTATE_TABLE, "code", width=90),
        col(ESTATE_TABLE, "name", width=160),
        col(ESTATE_TABLE, "address", width=320),
        col(ESTATE_TABLE, "active", width=80),
    ),
)

BUILDINGS = GridSpec(
    name="buildings",
    search_hint="admin.search_reference",
    export_sheet="楼栋",
    columns=(
        Column("estate", "admin.estate", width=140),
        col(BUILDING_TABLE, "code", width=90),
        col(BUILDING_TABLE, "name", width=140),
        col(BUILDING_TABLE, "floors", width=90),
        col(BUILDING_TABLE, "active", width=80),
    ),
)

DEPARTMENTS = GridSpec(
    name="departments",
    search_hint="admin.search_reference",
    export_sheet="部门",
    columns=(
        col(DEPARTMENT_TABLE, "code", width=90),
        col(DEPARTMENT_TABLE, "name", width=160),
        col(DEPARTMENT_TABLE, "active", width=80),
    ),
)

POSTS = GridSpec(
    name="posts",
    search_hint="admin.search_reference",
    export_sheet="岗位",
    columns=(
        col(POST_TABLE, "code", width=90),
        col(POST_TABLE, "name", width=160),
        col(POST_TABLE, "active", width=80),
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

PEOPLE = GridSpec(
    name="people",
    export_sheet="人员",
    search_hint="people.search_help",
    columns=(
        col(PERSON_TABLE, "name", width=100, pinned=True),
        col(PERSON_TABLE, "gender", width=70),
        col(PERSON_TABLE, "mobile", width=120, sortable=False),
        col(PERSON_TABLE, "phone", width=130),
        col(PERSON_TABLE, "id_number", width=170, sortable=False),
        col(PERSON_TABLE, "is_company", width=70),
        Column("pinyin_initials", "people.pinyin", width=80),
        col(PERSON_TABLE, "note", width=200, sortable=False),
    ),
)

SPACES = GridSpec(
    name="spaces",
    export_sheet="车位",
    search_hint="admin.search_reference",
    columns=(
        Column("estate", "units.estate", width=110),
        Column("number", "parking.number", width=100),
        col(SPACE_TABLE, "kind", width=90),
        col(SPACE_TABLE, "status", width=90),
        col(SPACE_TABLE, "note", width=200, sortable=False),
    ),
)

LEASES = GridSpec(
    name="leases",
    export_sheet="车位租赁",
    search_hint="parking.search_help",
    columns=(
        Column("estate", "units.estate", width=110),
        Column("space", "parking.number", width=90),
        Column("person", "parking.person", width=90),
        Column("plate", "parking.plate", width=100),
        Column("start_on", "parking.start_on", "date", width=110),
        Column("end_on", "parking.end_on", "date", width=110),
        Column("monthly_fee", "parking.monthly_fee", "money", width=110),
        Column("status", "parking.lease_status", width=80),
    ),
)

LEASES_EXPIRING = replace(LEASES, name="leases_expiring", export_sheet="车位租赁30天内到期", default_sort="end_on")

KEYS = GridSpec(
    name="keys",
    default_sort="code",
    export_sheet="钥匙",
    search_hint="keys.search_help",
    columns=(
        Column("estate", "units.estate", width=110),
        Column("code", "units.code", width=110),
        Column("label", "keys.label", width=140),
        Column("location", "keys.location", width=140),
        Column("status", "keys.status", width=80),
    ),
)

OVERDUE_KEYS = GridSpec(
    name="overdue_keys",
    default_sort="due_at",
    export_sheet="钥匙逾期未还",
    search_hint="keys.search_help",
    columns=(
        Column("estate", "units.estate", width=110),
        Column("code", "units.code", width=110),
        Column("label", "keys.label", width=120),
        Column("borrower", "keys.borrower", width=100),
        Column("reason", "keys.reason", width=160, sortable=False),
        Column("out_at", "keys.out_at", "datetime", width=150),
        Column("due_at", "keys.due_at", "datetime", width=150),
    ),
)

RENOVATIONS = GridSpec(
    name="renovations",
    default_sort="applied_on",
    export_sheet="装修登记",
    search_hint="renovation.search_help",
    default_descending=True,
    columns=(
        Column("estate", "units.estate", width=110),
        Column("code", "units.code", width=110),
        Column("status", "renovation.status", width=80),
        Column("applicant", "renovation.applicant", width=90),
        Column("contractor", "renovation.contractor", width=150),
        Column("applied_on", "renovation.applied_on", "date", width=110),
        Column("planned_end_on", "renovation.planned_end_on", "date", width=110),
        Column("deposit", "renovation.deposit", "money", width=110),
        Column("deposit_refunded", "renovation.deposit_refunded", "money", width=110),
        Column("violations", "renovation.violations", width=180, sortable=False),
    ),
)

VACANCY = GridSpec(
    name="vacancy",
    default_sort="last_inspected_on",
    export_sheet="空置房台账",
    search_hint="units.search_help",
    columns=(
        Column("estate", "units.estate", width=110),
        Column("code", "units.code", width=110),
        Column("kind", "units.kind", width=80),
        Column("status", "units.status", width=120),
        Column("built_area", "units.built_area", "area", width=120),
        Column("vacant_since", "vacancy.since", "date", width=120),
        Column("last_inspected_on", "vacancy.last_inspected", "date", width=120),
    ),
)

TICKETS = GridSpec(
    name="tickets",
    export_sheet="工单",
    search_hint="tickets.search_help",
    pick_field="number",
    columns=(
        Column("number", "tickets.number", width=150, pinned=True),
        Column("ticket_type", "tickets.type", width=70),
        Column("status", "tickets.status", width=80),
        Column("estate", "units.estate", width=100),
        Column("code", "units.code", width=100),
        Column("caller_name", "tickets.caller", width=80, sortable=False),
        Column("content", "tickets.content", width=260, sortable=False),
        Column("department", "tickets.department", width=70),
        Column("assignee", "tickets.assignee", width=80, sortable=False),
        Column("first_responder", "tickets.first_responder", width=90, sortable=False),
        Column("received_at", "tickets.received_at", "datetime", width=140),
        Column("deadline_at", "tickets.deadline_at", "datetime", width=140),
        Column("revisit_due_at", "tickets.revisit_due_at", "datetime", width=140),
        Column("paid", "tickets.paid", "bool", width=70),
        Column("cost", "tickets.cost", "money", width=100),
    ),
)

TICKET_CATEGORIES = GridSpec(
    name="ticket_categories",
    export_sheet="报事分类",
    search_hint="admin.search_reference",
    columns=(
        col(TICKET_CATEGORY_TABLE, "place", width=140),
        col(TICKET_CATEGORY_TABLE, "problem", width=160),
        col(TICKET_CATEGORY_TABLE, "active", width=80),
    ),
)

SLA_POLICIES = GridSpec(
    name="sla_policies",
    export_sheet="时限规定",
    search_hint="admin.search_reference",
    columns=(
        col(SLA_TABLE, "ticket_type", width=90),
        Column("category", "tickets.category", width=160),
        col(SLA_TABLE, "unit", width=90),
        col(SLA_TABLE, "amount", width=90),
        col(SLA_TABLE, "needs_revisit", width=100),
        col(SLA_TABLE, "active", width=80),
    ),
)

HOLIDAYS = GridSpec(
    name="holidays",
    export_sheet="节假日",
    search_hint="admin.search_reference",
    default_page_size=100,
    columns=(
        col(HOLIDAY_TABLE, "day", width=120),
        col(HOLIDAY_TABLE, "is_workday", width=90),
        col(HOLIDAY_TABLE, "name", width=140),
        Column("source", "admin.source", width=140),
    ),
)


FEE_ITEMS = GridSpec(
    name="fee_items",
    export_sheet="收费项目",
    search_hint="admin.search_reference",
    columns=(
        col(FEE_ITEM_TABLE, "code", width=80),
        col(FEE_ITEM_TABLE, "name", width=170),
        col(FEE_ITEM_TABLE, "category", width=110),
        col(FEE_ITEM_TABLE, "basis", width=90),
        col(FEE_ITEM_TABLE, "rate", width=100),
        col(FEE_ITEM_TABLE, "unit_label", width=120),
        col(FEE_ITEM_TABLE, "default_unit_kind", width=130),
        col(FEE_ITEM_TABLE, "active", width=70),
        col(FEE_ITEM_TABLE, "note", width=160),
    ),
)

STAFF = GridSpec(
    name="staff",
    search_hint="appraisal.staff_search",
    export_sheet="员工档案",
    default_sort="staff_no",
    columns=(
        col(STAFF_TABLE, "staff_no", width=90, pinned=True),
        col(STAFF_TABLE, "name", width=100),
        # their options are the departments and posts of the day, filled in by the staff tab
        col(STAFF_TABLE, "department_id", kind="choice", width=110),
        col(STAFF_TABLE, "post_id", kind="choice", width=110),
        col(STAFF_TABLE, "hired_on", width=120),
        col(STAFF_TABLE, "left_on", width=120),
        col(STAFF_TABLE, "base_salary", kind="money", width=120),
        col(STAFF_TABLE, "active", width=80),
        col(STAFF_TABLE, "appraised", width=90),
        Column("account", "appraisal.account", width=110, sortable=False),
    ),
)

ATTENDANCE = GridSpec(
    name="attendance",
    search_hint="appraisal.attendance_search",
    export_sheet="考勤",
    default_sort="day",
    columns=(
        Column("day", "appraisal.day", "date", width=110, pinned=True),
        Column("staff_no", "appraisal.staff_no", width=90),
        Column("name", "appraisal.name", width=90),
        Column("department", "appraisal.department", width=100, sortable=False),
        col(ATTENDANCE_TABLE, "late_minutes", width=110),
        col(ATTENDANCE_TABLE, "early_minutes", width=110),
        col(ATTENDANCE_TABLE, "absent", width=80),
        col(ATTENDANCE_TABLE, "leave_type", width=100),
        col(ATTENDANCE_TABLE, "note", width=200, sortable=False),
    ),
)
