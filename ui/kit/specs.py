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
        Column("estates", "admin.user_estates", width=160, sortable=False),
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


# ---- customer relations 客户关系 (ui/relations); one section per register ----
# -- relations: surveys --
from services.relations.surveys import QUESTION_TABLE  # noqa: E402  (each register's import sits in its section)

SURVEY_QUESTIONS = GridSpec(
    name="survey_questions",
    export_sheet="满意度问卷",
    search_hint="surveys.question_search",
    default_sort="position",
    default_page_size=50,
    columns=(
        col(QUESTION_TABLE, "position", width=70, pinned=True),
        col(QUESTION_TABLE, "text", width=180),
        col(QUESTION_TABLE, "scale", width=320, sortable=False),
        col(QUESTION_TABLE, "is_overall", width=110),
        col(QUESTION_TABLE, "active", width=80),
    ),
)
SURVEY_ROUNDS = GridSpec(
    name="survey_rounds",
    export_sheet="调查轮次",
    search_hint="surveys.round_search",
    default_sort="start_on",
    default_descending=True,
    default_page_size=50,
    height=300,
    columns=(
        Column("estate", "surveys.estate", width=110, pinned=True),
        Column("name", "surveys.round_name", width=230),
        Column("start_on", "surveys.start_on", "date", width=110),
        Column("end_on", "surveys.end_on", "date", width=110),
        Column("status", "surveys.status", width=80),
        Column("households", "surveys.households", "int", width=110),
        Column("responses", "surveys.responded_short", "int", width=90),
        Column("created_by", "surveys.created_by", width=90),
        Column("closed_by", "surveys.closed_by", width=90),
        Column("note", "surveys.note", width=220, sortable=False),
    ),
)
SURVEY_RESPONSES = GridSpec(
    name="survey_responses",
    export_sheet="满意度答卷",
    search_hint="surveys.response_search",
    default_sort="answered_on",
    default_descending=True,
    pick_field="code",
    height=420,
    columns=(
        Column("code", "surveys.code", width=110, pinned=True),
        Column("building", "surveys.building", width=80),
        Column("respondent", "surveys.respondent", width=100),
        Column("way", "surveys.way", width=90),
        Column("answered_on", "surveys.answered_on", "date", width=110),
        Column("overall", "surveys.overall_answer", width=100),
        Column("answered", "surveys.answered_count", "int", width=80),
        Column("comment", "surveys.comment", width=260, sortable=False),
        Column("entered_by", "surveys.entered_by", width=90),
        Column("entered_at", "surveys.entered_at", "datetime", width=140),
    ),
)
SURVEY_HOUSEHOLDS = GridSpec(
    name="survey_households",
    export_sheet="调查名单",
    search_hint="surveys.household_search",
    default_sort="code",
    height=420,
    columns=(
        Column("code", "surveys.code", width=110, pinned=True),
        Column("building", "surveys.building", width=80),
        Column("unit_status", "surveys.unit_status", width=100),
        Column("owner", "surveys.owner", width=100),
        Column("owner_mobile", "surveys.owner_mobile", width=120, sortable=False),
        Column("state", "surveys.state", width=80),
        Column("respondent", "surveys.respondent", width=100),
        Column("answered_on", "surveys.answered_on", "date", width=110),
    ),
)
# -- relations: visits --
VISIT_PLAN = GridSpec(
    name="visit_plan",
    search_hint="visits.plan_search",
    export_sheet="业主访谈计划",
    default_sort="planned_month",
    columns=(
        Column("planned_month", "visits.planned_month", width=90, pinned=True),
        Column("estate", "visits.estate", width=100),
        Column("code", "visits.unit", width=100),
        Column("sequence", "visits.sequence", "int", width=70),
        Column("basis", "visits.basis", width=110, sortable=False),
        Column("assignee", "visits.assignee", width=90),
        Column("status", "visits.status", width=90),
        Column("visited_on", "visits.visited_on", "date", width=110),
        Column("way", "visits.way", width=80, sortable=False),
    ),
)
OWNER_VISITS = GridSpec(
    name="owner_visits",
    search_hint="visits.record_search",
    export_sheet="业主访谈记录",
    default_sort="visited_on",
    default_descending=True,
    columns=(
        Column("visited_on", "visits.visited_on", "date", width=110, pinned=True),
        Column("estate", "visits.estate", width=100),
        Column("code", "visits.unit", width=100),
        Column("way", "visits.way", width=70),
        Column("person_met", "visits.person_met", width=130, sortable=False),
        Column("content", "visits.content", width=360, sortable=False),
        Column("visitor", "visits.visitor", width=90),
        Column("ticket", "visits.ticket", width=140),
        Column("planned_month", "visits.fulfils", width=100),
        Column("state", "visits.state", width=80),
        Column("withdrawn_reason", "visits.withdrawn_reason", width=160, sortable=False),
    ),
)
# -- relations: activities and bulletins --
ACTIVITIES = GridSpec(
    name="community_activities",
    search_hint="activities.search",
    export_sheet="社区文化活动",
    default_sort="held_on",
    default_descending=True,
    columns=(
        Column("held_on", "activities.held_on", "date", width=110, pinned=True),
        Column("title", "activities.title", width=170),
        Column("estate", "activities.estate", width=100),
        Column("place", "activities.place", width=140, sortable=False),
        Column("organiser", "activities.organiser", width=90),
        Column("participants", "activities.participants", "int", width=90),
        Column("cost", "activities.cost", "money", width=110),
        Column("status", "activities.status", width=80),
        Column("note", "activities.note", width=300, sortable=False),
        Column("recorded_by", "activities.recorded_by", width=90, sortable=False),
    ),
)
BULLETINS = GridSpec(
    name="bulletins",
    search_hint="activities.board_search",
    export_sheet="宣传栏",
    default_sort="month",
    default_descending=True,
    columns=(
        Column("month", "activities.board_month", width=90, pinned=True),
        Column("estate", "activities.estate", width=100),
        Column("title", "activities.board_title", width=180),
        Column("content", "activities.board_content", width=300, sortable=False),
        Column("posted_on", "activities.posted_on", "date", width=110),
        Column("due_on", "activities.due_on", "date", width=110),
        Column("on_time", "activities.on_time", width=80),
        Column("posted_by", "activities.posted_by", width=90, sortable=False),
    ),
)
# -- relations: notices --
from services.relations.notices import NOTICE_TABLE  # noqa: E402  (each register's import sits in its section)

NOTICES = GridSpec(
    name="notices",
    export_sheet="公告",
    search_hint="notices.search_help",
    default_sort="publish_on",
    default_descending=True,
    pick_field="label",
    columns=(
        Column("label", "notices.notice", width=300, pinned=True, sortable=False),
        col(NOTICE_TABLE, "kind", width=90),
        Column("status", "notices.status", width=80),
        col(NOTICE_TABLE, "publish_on", width=110),
        col(NOTICE_TABLE, "until_on", width=110),
        Column("targets", "notices.targets", width=240, sortable=False),
        Column("written_by", "notices.written_by", width=90),
        Column("published_by", "notices.published_by", width=90),
        Column("withdrawn_reason", "notices.withdrawn_reason", width=220, sortable=False),
    ),
)
# -- relations: lost and found --
from services.relations.lost_found import LOST_TABLE  # noqa: E402  (each register's import sits in its section)

LOST_ITEMS = GridSpec(
    name="lost_items",
    export_sheet="失物登记表",
    search_hint="lost.search_help",
    default_sort="found_at",
    default_descending=True,
    pick_field="number",
    columns=(
        Column("number", "lost.number", width=120, pinned=True),
        col(LOST_TABLE, "what", width=100),
        Column("status", "lost.status", width=80),
        Column("estate", "lost.estate", width=90),
        Column("found_at", "lost.found_at", "datetime", width=140),
        col(LOST_TABLE, "found_place", width=130),
        col(LOST_TABLE, "kept_at", width=140),
        Column("valuable", "lost.valuable", "bool", width=70),
        col(LOST_TABLE, "description", width=190, sortable=False),
        Column("claim_by", "lost.claim_by", "date", width=110),
        Column("disposable_from", "lost.disposable_from", "date", width=110, sortable=False),
        Column("claimant_name", "lost.claimant_name", width=90),
        Column("claimant_phone", "lost.claimant_phone", width=120, sortable=False),
        Column("id_kind", "lost.id_kind", width=100),
        Column("claimed_at", "lost.claimed_at", "datetime", width=140),
        Column("handed_over_by", "lost.handed_over_by", width=90),
        Column("disposal_way", "lost.way", width=100),
        Column("disposed_on", "lost.disposed_on", "date", width=110),
        col(LOST_TABLE, "finder_name", width=130),
        Column("recorded_by", "lost.recorded_by", width=90),
    ),
)
# -- relations: paid services --
from services.relations.paid_services import ITEM_TABLE as SERVICE_ITEM_TABLE  # noqa: E402

PAID_SERVICE_ITEMS = GridSpec(
    name="paid_service_items",
    export_sheet="特约服务价目",
    search_hint="services.item_search_help",
    default_sort="category",
    columns=(
        col(SERVICE_ITEM_TABLE, "name", width=150, pinned=True),
        col(SERVICE_ITEM_TABLE, "category", width=110),
        col(SERVICE_ITEM_TABLE, "charge_unit", width=100),
        col(SERVICE_ITEM_TABLE, "price", kind="money", width=110),
        col(SERVICE_ITEM_TABLE, "active", width=80),
        Column("orders", "services.item_orders", "int", width=90, sortable=False),
        col(SERVICE_ITEM_TABLE, "note", width=280, sortable=False),
    ),
)

PAID_SERVICE_ORDERS = GridSpec(
    name="paid_service_orders",
    export_sheet="特约服务订单",
    search_hint="services.search_help",
    default_sort="scheduled_at",
    default_descending=True,
    pick_field="order_no",
    columns=(
        Column("order_no", "services.order_no", width=140, pinned=True),
        Column("status", "services.status", width=80),
        Column("scheduled_at", "services.scheduled_at", "datetime", width=140),
        Column("estate", "units.estate", width=100),
        Column("code", "units.code", width=100),
        Column("requester", "services.requester", width=90),
        Column("phone", "services.phone", width=120, sortable=False),
        Column("category", "services.category", width=90),
        Column("item", "services.item", width=120),
        # a quantity has two decimals like an area: shown as 2.50, right-aligned, a number in the export
        Column("quantity", "services.quantity", "area", width=80, sortable=False),
        Column("charge_unit", "services.charge_unit", width=70, sortable=False),
        Column("price", "services.price", "money", width=100, sortable=False),
        Column("amount", "services.amount", "money", width=110),
        Column("staff", "services.staff", width=130),
        Column("completed_at", "services.completed_at", "datetime", width=140),
        Column("rating", "services.rating", "int", width=90),
        Column("bill_status", "services.bill_status", width=90),
        Column("ordered_by", "services.ordered_by", width=90),
    ),
)
# -- relations: inspections and violations --
from services.relations.inspections import ITEM_TABLE as INSPECTION_ITEM_TABLE  # noqa: E402
from services.relations.inspections import ROUTE_TABLE as INSPECTION_ROUTE_TABLE  # noqa: E402

INSPECTION_ROUNDS = GridSpec(
    name="insp_rounds",
    search_hint="inspections.search_rounds",
    export_sheet="巡查记录",
    pick_field="title",
    default_sort="title",
    default_descending=True,
    columns=(
        Column("title", "inspections.round", width=250, pinned=True),
        Column("inspector", "inspections.inspector", width=90),
        Column("items", "inspections.items_count", "int", width=80),
        Column("failed", "inspections.failed", "int", width=80),
        Column("note", "inspections.round_note", width=200, sortable=False),
        Column("recorded_at", "inspections.recorded_at", "datetime", width=140),
    ),
)

INSPECTION_FINDINGS = GridSpec(
    name="insp_findings",
    search_hint="inspections.search_findings",
    export_sheet="巡查异常项",
    pick_field="title",
    default_sort="title",
    default_descending=True,
    columns=(
        Column("title", "inspections.finding", width=230, pinned=True),
        Column("estate", "inspections.estate", width=90),
        Column("route", "inspections.route", width=110),
        Column("area", "inspections.area", width=100),
        Column("note", "inspections.finding_note", width=240, sortable=False),
        Column("department", "inspections.department", width=80),
        Column("inspector", "inspections.inspector", width=80),
        Column("ticket", "inspections.ticket", width=140),
        Column("ticket_status", "inspections.ticket_status", width=90),
    ),
)

INSPECTION_VIOLATIONS = GridSpec(
    name="insp_violations",
    search_hint="inspections.search_violations",
    export_sheet="违章台账",
    pick_field="title",
    default_sort="title",
    default_descending=True,
    columns=(
        Column("title", "inspections.violation", width=230, pinned=True),
        Column("status", "inspections.v_status", width=80),
        Column("estate", "inspections.estate", width=90),
        Column("unit", "inspections.unit", width=90),
        Column("location", "inspections.location", width=130),
        Column("kind", "inspections.v_kind", width=110),
        Column("description", "inspections.description", width=200, sortable=False),
        Column("notice_no", "inspections.notice_no", width=110),
        Column("deadline_on", "inspections.deadline_on", "date", width=110),
        Column("follow_ups", "inspections.follow_up_count", "int", width=80),
        Column("last_follow_up", "inspections.last_follow_up", "date", width=110),
        Column("outcome", "inspections.outcome", width=110),
        Column("closed_on", "inspections.closed_on", "date", width=110),
        Column("found_by", "inspections.found_by", width=80),
    ),
)

INSPECTION_ROUTES = GridSpec(
    name="insp_routes",
    search_hint="inspections.search_routes",
    export_sheet="巡查路线",
    default_sort="estate",
    columns=(
        Column("estate", "inspections.estate", width=110),
        col(INSPECTION_ROUTE_TABLE, "name", width=160),
        col(INSPECTION_ROUTE_TABLE, "note", width=360, sortable=False),
        col(INSPECTION_ROUTE_TABLE, "active", width=80),
        Column("items", "inspections.items_count", "int", width=90, sortable=False),
        Column("last_round_on", "inspections.last_round_on", "date", width=120, sortable=False),
    ),
)

INSPECTION_ITEMS = GridSpec(
    name="insp_items",
    search_hint="inspections.search_items",
    export_sheet="巡查检查项",
    default_sort="position",
    columns=(
        Column("route", "inspections.route", width=180),
        col(INSPECTION_ITEM_TABLE, "position", width=80),
        col(INSPECTION_ITEM_TABLE, "area", width=130),
        col(INSPECTION_ITEM_TABLE, "text", width=320),
        col(INSPECTION_ITEM_TABLE, "department", width=100),
        col(INSPECTION_ITEM_TABLE, "active", width=80),
    ),
)
# -- relations: duty handover --
DUTY_SHIFTS = GridSpec(
    name="duty_shifts",
    search_hint="handover.search",
    export_sheet="值班记录",
    pick_field="title",
    default_sort="title",
    default_descending=True,
    columns=(
        Column("title", "handover.shift_log", width=190, pinned=True),
        Column("status", "handover.status", width=80),
        Column("estate", "handover.estate", width=90),
        Column("entries", "handover.lines", "int", width=80, sortable=False),
        Column("open_items", "handover.open_items", "int", width=90, sortable=False),
        Column("handed_at", "handover.handed_at", "datetime", width=140),
        Column("receiver", "handover.receiver", width=80),
        Column("confirmed_at", "handover.confirmed_at", "datetime", width=140),
        Column("summary", "handover.summary", width=360, sortable=False),
    ),
)
