"""系统管理 (/admin): user accounts and the reference tables (estates, buildings, departments, posts, ticket
categories, ticket time limits, the holiday calendar), and the go-live checklist 上线检查 — the only tab a
manager sees here."""

from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any

import streamlit as st

from services.admin.reference import (
    BUILDING_TABLE,
    DEPARTMENT_TABLE,
    ESTATE_TABLE,
    FEE_ITEM_TABLE,
    HOLIDAY_TABLE,
    POST_TABLE,
    SLA_TABLE,
    TICKET_CATEGORY_TABLE,
    create_reference,
    estate_options,
    list_reference,
    ticket_category_options,
    update_reference,
)
from services.platform.auth import can
from services.platform.clock import local_today
from services.platform.errors import DomainError, ValidationError
from services.platform.listing import MAX_PAGE_SIZE, ListQuery
from services.platform.settings import DEFAULTS as SETTING_KEYS
from services.platform.settings import get_setting, update_settings
from services.platform.tablespec import TableSpec
from services.platform.users import (
    USER_TABLE,
    add_user,
    estate_assignment,
    list_users,
    reset_password,
    set_estates,
    staff_options,
    update_users,
)
from services.tickets import workdays
from ui.admin.golive import golive_tab
from ui.kit import specs
from ui.kit.forms import choice_field, form_field, text_field
from ui.kit.grid import GridSpec, data_grid
from ui.kit.i18n import t
from ui.kit.session import current_actor, flash
from ui.kit.tabs import LazyTab, grid_query_keys, lazy_tabs

actor = current_actor()
st.title(t("admin.title"))

# A password shown once must survive the rerun that follows the form.
notice = st.session_state.pop("admin:notice", None)
if notice:
    st.success(notice)

if not can(actor, "users.manage"):
    # a manager comes here for the go-live checklist only; accounts and reference tables are the admin's
    lazy_tabs("admin:tab", [(t("admin.golive"), partial(golive_tab, actor))])
    st.stop()


def users_tab() -> None:
    data_grid(specs.USERS, load=lambda q: list_users(actor=actor, query=q),
              save=lambda edits: update_users(actor=actor, edits=edits))
    c1, c2 = st.columns(2)
    with c1, st.expander(t("admin.add_user")), st.form("add_user", clear_on_submit=True):
        username = text_field(USER_TABLE, "username")
        display_name = text_field(USER_TABLE, "display_name")
        role = choice_field(USER_TABLE, "role")
        staff = staff_options(actor=actor)
        staff_id = st.selectbox(t("admin.staff"), [None, *[s[0] for s in staff]],
                                format_func=lambda v: t("admin.none") if v is None else dict(staff)[v])
        estates = dict(estate_options(actor=actor))
        # one estate: 全部小区 is the only sensible answer; several: the admin says which, nobody gets all by default
        everywhere, picked = estates_picker(estates, key="add_user", everywhere=True if len(estates) <= 1 else None)
        if st.form_submit_button(t("admin.add"), type="primary"):
            try:
                if everywhere is None:
                    raise ValidationError({t("admin.user_estates"): t("admin.estates_choose")})
                _, password = add_user(actor=actor, username=username, display_name=display_name,
                                       role=role, staff_id=staff_id, estate_ids=None if everywhere else picked)
            except DomainError as exc:
                st.error(exc.message)
            else:
                st.session_state["admin:notice"] = t("admin.user_added", username=username.strip(),
                                                     password=password)
                st.rerun()
    with c2, st.expander(t("admin.reset")), st.form("reset_password", clear_on_submit=True):
        who = st.text_input(t("admin.reset_user"), max_chars=32)
        if st.form_submit_button(t("admin.reset"), type="primary"):
            try:
                password = reset_password(actor=actor, username=who.strip())
            except DomainError as exc:
                st.error(exc.message)
            else:
                st.session_state["admin:notice"] = t("admin.reset_done", username=who.strip(),
                                                     password=password)
                st.rerun()
    with st.expander(t("admin.estates_set")):
        user_estates_form()


def estates_picker(estates: Mapping[int, str], *, key: str, everywhere: bool | None,
                   chosen: Sequence[int] = ()) -> tuple[bool | None, list[int]]:
    """全部小区 or 指定小区 and which: (True: all, False: the picked ones, None: not chosen yet), picked ids."""
    st.caption(t("admin.estates_caption"))
    scope = st.radio(t("admin.estates_scope"), (True, False), index=None if everywhere is None else int(not everywhere),
                     format_func=lambda v: t("admin.estates_all") if v else t("admin.estates_some"),
                     horizontal=True, key=f"{key}:estates_scope")
    picked = st.multiselect(t("admin.estates_pick"), list(estates), default=[e for e in chosen if e in estates],
                            format_func=lambda e: estates[e], key=f"{key}:estates_pick")
    return scope, picked


def user_estates_form() -> None:
    """Pick a user, then set the estates they work in (versioned: a change made meanwhile is refused)."""
    users = list_users(actor=actor, query=ListQuery(page_size=MAX_PAGE_SIZE)).rows
    names = dict(zip(users["username"], users["display_name"], strict=True))
    username = st.selectbox(t("admin.estates_user"), list(names), index=None,
                            format_func=lambda u: f"{u}（{names[u]}）", key="admin:estates_user")
    if username is None:
        return
    now = estate_assignment(actor=actor, username=username)
    if now.is_admin:
        st.info(t("admin.estates_admin"))
        return
    with st.form(f"estates_{now.user_id}_{now.version}"):
        everywhere, picked = estates_picker(dict(estate_options(actor=actor)), key=f"estates_{now.user_id}",
                                            everywhere=now.all_estates, chosen=now.estate_ids)
        if st.form_submit_button(t("admin.save"), type="primary"):
            try:
                set_estates(actor=actor, username=username, version=now.version,
                            estate_ids=None if everywhere else picked)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("admin.estates_saved", username=username))
                st.rerun()


def reference_tab(table: str, grid: GridSpec, fields: TableSpec,
                  lookups: Mapping[str, Mapping[Any, str]] | None = None) -> None:
    """The grid of a reference table and its add form; `lookups` offer rows of another table by name."""
    data_grid(grid, load=lambda q: list_reference(actor=actor, table=table, query=q),
              save=lambda edits: update_reference(actor=actor, table=table, edits=edits))
    with st.expander(t("admin.add")), st.form(f"add_{table}", clear_on_submit=True):
        values = {}
        for f in fields.creatable_fields:
            if lookups and f.name in lookups:
                options = lookups[f.name]
                values[f.name] = st.selectbox(t(f.label_key), list(options), format_func=options.get)
            else:
                values[f.name] = form_field(fields, f.name, max_chars=200)
        if st.form_submit_button(t("admin.add"), type="primary"):
            try:
                create_reference(actor=actor, table=table, values=values)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("admin.created"))
                st.rerun()


def sla_tab() -> None:
    st.caption(t("admin.sla_hint"))
    categories = {None: t("admin.sla_all_categories"), **ticket_category_options(actor=actor)}
    reference_tab("sla_policies", specs.SLA_POLICIES, SLA_TABLE, {"category_id": categories})


def holidays_tab() -> None:
    year = local_today().year
    missing = workdays.uncovered_years([year, year + 1])
    if missing:
        st.warning(t("admin.holidays_missing", years="、".join(map(str, missing))))
    st.caption(t("admin.holidays_hint"))
    reference_tab("holidays", specs.HOLIDAYS, HOLIDAY_TABLE)


def company_tab() -> None:
    with st.form("company_settings"):
        values = {key: st.text_input(t(f"admin.setting_{key}"), value=get_setting(key), max_chars=100)
                  for key in SETTING_KEYS}
        if st.form_submit_button(t("admin.save"), type="primary"):
            try:
                update_settings(actor=actor, values=values)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("admin.saved"))
                st.rerun()


def with_caption(caption_key: str, render: Callable[[], None]) -> Callable[[], None]:
    def draw() -> None:
        st.caption(t(caption_key))
        render()
    return draw


# every reference grid keeps its search and sort while another tab is looked at
lazy_tabs("admin:tab", [
    LazyTab(t("admin.users"), users_tab, grid_query_keys("users")),
    LazyTab(t("admin.estates"), partial(reference_tab, "estates", specs.ESTATES, ESTATE_TABLE),
            grid_query_keys("estates")),
    LazyTab(t("admin.buildings"),
            lambda: reference_tab("buildings", specs.BUILDINGS, BUILDING_TABLE,
                                  {"estate_id": dict(estate_options(actor=actor))}),
            grid_query_keys("buildings")),
    LazyTab(t("admin.departments"), partial(reference_tab, "departments", specs.DEPARTMENTS, DEPARTMENT_TABLE),
            grid_query_keys("departments")),
    LazyTab(t("admin.posts"), with_caption("admin.posts_hint", partial(reference_tab, "posts", specs.POSTS,
                                                                       POST_TABLE)),
            grid_query_keys("posts")),
    LazyTab(t("admin.ticket_categories"),
            partial(reference_tab, "ticket_categories", specs.TICKET_CATEGORIES, TICKET_CATEGORY_TABLE),
            grid_query_keys("ticket_categories")),
    LazyTab(t("admin.sla_policies"), sla_tab, grid_query_keys("sla_policies")),
    LazyTab(t("admin.holidays"), holidays_tab, grid_query_keys("holidays")),
    LazyTab(t("admin.fee_items"), with_caption("admin.fee_items_hint", partial(reference_tab, "fee_items",
                                                                               specs.FEE_ITEMS, FEE_ITEM_TABLE)),
            grid_query_keys("fee_items")),
    LazyTab(t("admin.company"), company_tab),
    LazyTab(t("admin.golive"), partial(golive_tab, actor)),
])
