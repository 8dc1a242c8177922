"""Column specs of the grids: one declaration per table, shared by pages and tests."""

from __future__ import annotations

from dataclasses import replace

from services.appraisal.staff import LEAVE_TYPES, NO_LEAVE, POSTS
from services.estate.parking import SPACE_KINDS, SPACE_STATUSES
from services.estate.units import UNIT_KINDS, UNIT_STATUSES
from services.platform.users import ROLE_CHOICES
from ui.kit.grid import Column, GridSpec

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

PEOPLE = GridSpec(
    name="people",
    export_sheet="人员",
    search_hint="people.search_help",
    columns=(
        Column("name", "people.name", editable=True, required=True, width=100, pinned=True),
        Column("gender", "people.gender", "choice", editable=True, options=("男", "女"), width=70),
        Column("mobile", "people.mobile", width=120, sortable=False),
        Column("phone", "people.phone", editable=True, width=130),
        Column("id_number", "people.id_number", width=170, sortable=False),
        Column("is_company", "people.is_company", "bool", editable=True, width=70),
        Column("pinyin_initials", "people.pinyin", width=80),
        Column("note", "people.note", editable=True, width=200, sortable=False),
    ),
)

SPACES = GridSpec(
    name="spaces",
    export_sheet="车位",
    search_hint="admin.search_reference",
    columns=(
        Column("estate", "units.estate", width=110),
        Column("number", "parking.number", width=100),
        Column("kind", "parking.kind", "choice", editable=True, required=True, options=SPACE_KINDS, width=90),
        Column("status", "parking.status", "choice", editable=True, required=True, options=SPACE_STATUSES,
               width=90),
        Column("note", "units.note", editable=True, width=200, sortable=False),
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
        Column("place", "admin.place", editable=True, required=True, width=140),
        Column("problem", "admin.problem", editable=True, required=True, width=160),
        Column("active", "admin.active", "bool", editable=True, width=80),
    ),
)

SLA_POLICIES = GridSpec(
    name="sla_policies",
    export_sheet="时限规定",
    search_hint="admin.search_reference",
    columns=(
        Column("ticket_type", "tickets.type", width=90),
        Column("category", "tickets.category", width=160),
        Column("unit", "admin.sla_unit", "choice", editable=True, required=True, options=("小时", "工作日"), width=90),
        Column("amount", "admin.sla_amount", "int", editable=True, required=True, width=90),
        Column("needs_revisit", "admin.needs_revisit", "bool", editable=True, width=100),
        Column("active", "admin.active", "bool", editable=True, width=80),
    ),
)

HOLIDAYS = GridSpec(
    name="holidays",
    export_sheet="节假日",
    search_hint="admin.search_reference",
    default_page_size=100,
    columns=(
        Column("day", "admin.day", "date", width=120),
        Column("is_workday", "admin.is_workday", "bool", editable=True, width=90),
        Column("name", "admin.name", editable=True, width=140),
        Column("source", "admin.source", width=140),
    ),
)


FEE_ITEMS = GridSpec(
    name="fee_items",
    export_sheet="收费项目",
    search_hint="admin.search_reference",
    columns=(
        Column("code", "admin.code", width=80),
        Column("name", "admin.name", editable=True, required=True, width=170),
        Column("category", "admin.fee_category", "choice", editable=True, required=True,
               options=("物业服务费", "停车费", "水费", "电费", "垃圾清运费", "其他"), width=110),
        Column("basis", "admin.fee_basis", width=90),
        Column("rate", "admin.fee_rate", "rate", editable=True, required=True, width=100),
        Column("unit_label", "admin.fee_unit_label", editable=True, width=120),
        Column("default_unit_kind", "admin.fee_default_kind", "choice", editable=True,
               options=("（不默认）", "住宅", "商铺", "车库", "办公"), width=130),
        Column("active", "admin.active", "bool", editable=True, width=70),
        Column("note", "admin.note", editable=True, width=160),
    ),
)

STAFF = GridSpec(
    name="staff",
    search_hint="appraisal.staff_search",
    export_sheet="员工档案",
    default_sort="staff_no",
    columns=(
        Column("staff_no", "appraisal.staff_no", width=90, pinned=True),
        Column("name", "appraisal.name", editable=True, required=True, width=100),
        Column("department", "appraisal.department", "choice", editable=True, required=True, width=110),
        Column("post", "appraisal.post", "choice", editable=True, required=True, options=POSTS, width=110),
        Column("hired_on", "appraisal.hired_on", "date", editable=True, required=True, width=120),
        Column("left_on", "appraisal.left_on", "date", editable=True, width=120),
        Column("base_salary", "appraisal.base_salary", "money", editable=True, required=True, width=120),
        Column("active", "appraisal.active", "bool", editable=True, width=80),
        Column("appraised", "appraisal.appraised", "bool", editable=True, width=90),
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
        Column("late_minutes", "appraisal.late_minutes", "int", editable=True, width=110),
        Column("early_minutes", "appraisal.early_minutes", "int", editable=True, width=110),
        Column("absent", "appraisal.absent", "bool", editable=True, width=80),
        Column("leave_type", "appraisal.leave_type", "choice", editable=True, options=(NO_LEAVE, *LEAVE_TYPES),
               width=100),
        Column("note", "appraisal.note", editable=True, width=200, sortable=False),
    ),
)
