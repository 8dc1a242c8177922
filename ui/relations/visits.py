"""业主访谈 (/relations): the year's figures on top, then four sections — 待访与登记 (the visits due and the form
that records one, with an optional follow-up ticket), 访谈记录 (every visit, withdraw one recorded in error),
访谈计划 (the plan rows with their status; a manager makes the year's plan and hands a building to someone else) and
完成进度 (per person and month).

Decisions:
- A front-desk user sees their own due visits and figures; a manager (visits.plan) sees everyone's, and may record a
  visit on behalf of the person who made it.
- The household is picked from the due list (the usual case) or found with the one search box (a visit to a
  household not due now, e.g. an owner who walked in).
- A follow-up ticket left without its own text takes the visit's content.
- Making a plan is previewed in a dialog (how many households, how often, who gets how many) before it is written.
"""

from __future__ import annotations

from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from services.admin.reference import estate_options
from services.estate.people import search
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.platform.listing import ListQuery
from services.relations import visits
from services.tickets.workflow import DEPARTMENTS, URGENCIES
from ui.kit import fmt, specs
from ui.kit.grid import data_grid
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import fit_height, money_table
from ui.kit.tabs import grid_query_keys

SECTION = "visits:section"
SECTIONS = ("due", "records", "plan", "progress")
KEEP: tuple[str, ...] = (SECTION, "visits:source", "visits:find", "visits:year", "visits:estate", "visits:person",
                         "visits:status", "visits:month", "visits:way", "visits:records_mine", "visits:pyear",
                         "visits:pestate", *grid_query_keys("visit_plan", "owner_visits"))


def visits_tab(actor: Actor) -> None:
    today = local_today()
    _figures(actor, today)
    section = st.segmented_control(t("visits.section"), SECTIONS, key=SECTION, default="due",
                                   format_func=lambda s: t(f"visits.section_{s}"), label_visibility="collapsed")
    if section == "records":
        _records(actor, today)
    elif section == "plan":
        _plan(actor, today)
    elif section == "progress":
        _progress(actor, today)
    else:
        _due_and_record(actor, today)


def _figures(actor: Actor, today: date) -> None:
    p = visits.visit_progress(actor=actor, year=today.year)
    st.caption(t("visits.figures_mine" if p.mine else "visits.figures_all", year=p.year))
    with st.container(horizontal=True, gap="small"):
        st.metric(t("visits.planned"), f"{p.planned:,}", width=120)
        st.metric(t("visits.done"), f"{p.done:,}", width=120)
        st.metric(t("visits.completion"), fmt.rate(p.completion), width=120)
        st.metric(t("visits.f2f_share"), fmt.rate(p.face_to_face_share), width=140,
                  help=t("visits.f2f_help"))
        st.metric(t("visits.overdue"), f"{p.overdue:,}", width=120)
    if p.face_to_face_share is not None and p.face_to_face_share < visits.FACE_TO_FACE_FLOOR:
        st.warning(t("visits.f2f_below"))
    if p.planned == 0:
        st.info(t("visits.no_plan_manager" if can(actor, "visits.plan") else "visits.no_plan", year=p.year))


def _clear(prefix: str) -> None:
    """Empty a form whose values were saved (its widgets start from their defaults on the next run)."""
    for key in [k for k in st.session_state if isinstance(k, str) and k.startswith(prefix)]:
        del st.session_state[key]


def _act(call, done: str) -> bool:
    try:
        call()
    except DomainError as exc:
        st.error(exc.message)
        return False
    flash(done)
    st.rerun()
    return True


# --- due visits and the record form ---------------------------------------------------------------------------


def _due_and_record(actor: Actor, today: date) -> None:
    due = visits.visits_due(actor=actor, on=today)
    left, right = st.columns([5, 6], gap="large")
    with left:
        st.markdown(f"**{t('visits.due_title', n=len(due))}**")
        if due.empty:
            st.caption(t("visits.nothing_due"))
        else:
            shown = due.assign(overdue=[t("visits.overdue_flag") if o else "" for o in due["overdue"]],
                               sequence=[t("visits.nth", n=n) for n in due["sequence"]])
            columns = {"unit": t("visits.unit"), "planned_month": t("visits.planned_month"),
                       "sequence": t("visits.sequence"), "overdue": t("visits.overdue_flag"),
                       "basis": t("visits.unit_status")}
            if can(actor, "visits.plan"):  # everyone's list: whose visit it is
                columns["assignee"] = t("visits.assignee")
            money_table(shown, columns, height=fit_height(len(shown), 600), key="visits:due_table")
    with right, st.container(border=True):
        st.markdown(f"**{t('visits.record_title')}**")
        if not can(actor, "visits.record"):
            st.caption(t("visits.read_only"))
            return
        unit_id = _pick_unit(actor, due)
        if unit_id is None:
            return
        last = visits.unit_visits(actor=actor, unit_id=unit_id)
        if not last.empty:
            r = last.iloc[0]
            st.caption(t("visits.last_visit", day=fmt.day(r["visited_on"]), way=r["way"], who=r["visitor"],
                         content=r["content"]))
        _record_form(actor, unit_id, today)


def _pick_unit(actor: Actor, due: pd.DataFrame) -> int | None:
    sources = ("due", "search")
    source = st.radio(t("visits.source"), sources, key="visits:source", horizontal=True,
                      format_func=lambda s: t(f"visits.source_{s}"), index=0 if len(due) else 1)
    if source == "due":
        if due.empty:
            st.caption(t("visits.nothing_due"))
            return None
        # one entry per household (a household due twice is visited once at a time)
        options: dict[int, str] = {}
        for r in due.itertuples():
            options.setdefault(int(r.unit_id), f"{r.unit} · {r.planned_month}" + (
                f" · {t('visits.overdue_flag')}" if r.overdue else "") + f" · {r.assignee}")
        return st.selectbox(t("visits.unit"), list(options), format_func=options.get, key="visits:due_unit")
    text = st.text_input(t("visits.find"), key="visits:find", max_chars=40, placeholder=t("visits.find_hint"))
    hits = search(actor=actor, text=text) if text.strip() else []
    if not hits:
        if text.strip():
            st.caption(t("visits.no_hits"))
        return None
    labels = {h.unit_id: f"{h.estate} {h.code} · {h.status}" + (f" · {h.person}" if h.person else "") for h in hits}
    return st.selectbox(t("visits.unit"), list(labels), format_func=labels.get, key="visits:hit_unit")


def _record_form(actor: Actor, unit_id: int, today: date) -> None:
    manager = can(actor, "visits.plan")
    people = visits.assignable_users(actor=actor) if manager else {}
    may_ticket = can(actor, "tickets.take")
    # not cleared on submit: a refused form keeps what was typed; a recorded one is emptied below
    with st.form(f"visits:record:{unit_id}"):
        c1, c2, c3 = st.columns(3)
        day = c1.date_input(t("visits.visited_on"), value=today, max_value=today, format="YYYY-MM-DD",
                            key="visits:f:day")
        way = c2.selectbox(t("visits.way"), visits.WAYS, help=t("visits.way_help"), key="visits:f:way")
        visitor = None
        if manager:
            choices = [None, *[u for u in people if u != actor.user_id]]
            visitor = c3.selectbox(t("visits.visitor"), choices, key="visits:f:visitor",
                                   format_func=lambda u: t("visits.myself") if u is None else people[u])
        person = st.text_input(t("visits.person_met") + " *", max_chars=32, placeholder=t("visits.person_hint"),
                               key="visits:f:person")
        content = st.text_area(t("visits.content") + " *", max_chars=1000, height=90,
                               placeholder=t("visits.content_hint"), key="visits:f:content")
        follow = False
        kind = department = urgency = phone = ticket_text = ""
        if may_ticket:
            follow = st.checkbox(t("visits.follow_up"), help=t("visits.follow_up_help"), key="visits:f:follow")
            c1, c2, c3, c4 = st.columns([1, 1, 1, 2])
            kind = c1.selectbox(t("visits.ticket_type"), visits.FOLLOW_UP_TYPES, key="visits:f:kind")
            department = c2.selectbox(t("visits.department"), DEPARTMENTS, index=DEPARTMENTS.index("工程"),
                                      key="visits:f:department")
            urgency = c3.selectbox(t("visits.urgency"), URGENCIES, key="visits:f:urgency")
            phone = c4.text_input(t("visits.phone"), max_chars=20, key="visits:f:phone")
            ticket_text = st.text_input(t("visits.ticket_content"), max_chars=1000, key="visits:f:ticket",
                                        placeholder=t("visits.ticket_content_hint"))
        if st.form_submit_button(t("visits.submit"), type="primary", key="visits:f:submit"):
            follow_up = visits.FollowUp(kind, ticket_text.strip() or content, department=department,
                                        urgency=urgency, phone=phone) if follow else None
            try:
                done = visits.record_visit(actor=actor, visit=visits.NewVisit(unit_id, day, way, person, content,
                                                                              visitor_id=visitor),
                                           follow_up=follow_up)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("visits.recorded_ticket", number=done.ticket_number) if done.ticket_number
                      else t("visits.recorded"))
                _clear("visits:f:")
                st.rerun()


# --- records --------------------------------------------------------------------------------------------------


def _month_choices(today: date) -> list[str | None]:
    return [None, *[f"{today.year:04d}-{m:02d}" for m in range(today.month, 0, -1)],
            *[f"{today.year - 1:04d}-{m:02d}" for m in range(12, today.month, -1)]]


def _records(actor: Actor, today: date) -> None:
    c1, c2, c3 = st.columns(3)
    month = c1.selectbox(t("visits.month"), _month_choices(today), key="visits:month",
                         format_func=lambda m: t("grid.all") if m is None else m)
    way = c2.selectbox(t("visits.way"), [None, *visits.WAYS], key="visits:way",
                       format_func=lambda w: t("grid.all") if w is None else w)
    mine = c3.toggle(t("visits.only_mine"), key="visits:records_mine", value=not can(actor, "visits.plan"))
    filters = {"month": month, "way": way, "visitor_id": actor.user_id if mine else None}
    data_grid(specs.OWNER_VISITS, load=lambda q: visits.list_visits(actor=actor, query=q),
              filters={k: v for k, v in filters.items() if v is not None})
    if not can(actor, "visits.record"):
        return
    scope = {"state": "有效"} | ({} if can(actor, "visits.plan") else {"visitor_id": actor.user_id})
    recent = visits.list_visits(actor=actor, query=ListQuery(filters=scope, page_size=50)).rows
    if recent.empty:
        return
    options = {int(r.id): (int(r.version), f"{fmt.day(r.visited_on)} {r.estate} {r.code} · {r.way} · {r.visitor}")
               for r in recent.itertuples()}
    with st.expander(t("visits.withdraw")), st.form("visits:withdraw", clear_on_submit=True):
        chosen = st.selectbox(t("visits.withdraw_which"), list(options), format_func=lambda i: options[i][1])
        reason = st.text_input(t("visits.withdraw_reason") + " *", max_chars=200)
        st.caption(t("visits.withdraw_hint"))
        if st.form_submit_button(t("visits.withdraw")):
            _act(lambda: visits.withdraw_visit(actor=actor, visit_id=chosen, version=options[chosen][0],
                                               reason=reason), t("visits.withdrawn"))


# --- plan -----------------------------------------------------------------------------------------------------


def _years(actor: Actor, today: date) -> list[int]:
    return sorted({today.year, *visits.plan_years(actor=actor)}, reverse=True)


def _plan(actor: Actor, today: date) -> None:
    estates = dict(estate_options(actor=actor))
    people = visits.assignable_users(actor=actor)
    c1, c2, c3, c4 = st.columns(4)
    year = c1.selectbox(t("visits.year"), _years(actor, today), key="visits:year")
    estate = c2.selectbox(t("visits.estate"), [None, *estates], key="visits:estate",
                          format_func=lambda e: t("grid.all") if e is None else estates[e])
    person = c3.selectbox(t("visits.assignee"), [None, *people], key="visits:person",
                          format_func=lambda u: t("grid.all") if u is None else people[u])
    status = c4.selectbox(t("visits.status"), [None, *visits.PLAN_STATUSES], key="visits:status",
                          format_func=lambda s: t("grid.all") if s is None else s)
    filters = {"estate_id": estate, "assignee_id": person, "status": status}
    data_grid(specs.VISIT_PLAN, load=lambda q: visits.list_plan(actor=actor, year=year, query=q),
              filters={k: v for k, v in filters.items() if v is not None})
    st.caption(t("visits.plan_rule"))
    if not can(actor, "visits.plan"):
        return
    left, right = st.columns(2, gap="large")
    with left, st.container(border=True):
        st.markdown(f"**{t('visits.make_plan')}**")
        c1, c2 = st.columns(2)
        plan_year = c1.selectbox(t("visits.year"), [today.year, today.year + 1], key="visits:plan_year")
        plan_estate = c2.selectbox(t("visits.estate"), [None, *estates], key="visits:plan_estate",
                                   format_func=lambda e: t("visits.all_estates") if e is None else estates[e])
        st.caption(t("visits.make_plan_hint"))
        if st.button(t("visits.preview"), key="visits:preview", icon=":material/event_note:"):
            st.dialog(t("visits.make_plan"), width="medium")(_plan_dialog)(actor, plan_year, plan_estate,
                                                                            estates.get(plan_estate) if plan_estate
                                                                            else t("visits.all_estates"))
    with right, st.container(border=True):
        st.markdown(f"**{t('visits.reassign')}**")
        buildings = visits.plan_buildings(actor=actor, year=year)
        if buildings.empty:
            st.caption(t("visits.no_plan", year=year))
            return
        labels = {int(r.building_id): t("visits.building_line", estate=r.estate, building=r.building,
                                        who=r.assignee, open=r.open) for r in buildings.itertuples()}
        with st.form("visits:reassign", clear_on_submit=True):
            building = st.selectbox(t("visits.building"), list(labels), format_func=labels.get)
            to = st.selectbox(t("visits.reassign_to"), list(people), format_func=people.get)
            if st.form_submit_button(t("visits.reassign")):
                _act(lambda: visits.reassign_building(actor=actor, year=year, building_id=building, assignee_id=to),
                     t("visits.reassigned", who=people.get(to, "")))


def _plan_dialog(actor: Actor, year: int, estate_id: int | None, scope: str) -> None:
    try:
        draft = visits.preview_plan(actor=actor, year=year, estate_id=estate_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    st.markdown(t("visits.preview_scope", year=year, scope=scope, first=draft.months[0], last=draft.months[-1]))
    lines = [(t("visits.preview_once"), draft.occupied), (t("visits.preview_twice"), draft.unoccupied),
             (t("visits.preview_left_out"), draft.not_visited), (t("visits.preview_already"), draft.already_planned),
             (t("visits.preview_visits"), draft.visits),
             *[(t("visits.preview_person", who=who), n) for who, n in draft.by_assignee]]
    st.markdown("\n".join(f"- {what}：**{n:,}**" for what, n in lines))
    if draft.visits == 0:
        st.info(t("visits.preview_nothing"))
        return
    if st.button(t("visits.confirm_plan"), type="primary", key="visits:confirm_plan"):
        _act(lambda: visits.plan_year(actor=actor, year=year, estate_id=estate_id),
             t("visits.planned_done", n=draft.visits, year=year))


# --- progress -------------------------------------------------------------------------------------------------


def _progress(actor: Actor, today: date) -> None:
    estates = dict(estate_options(actor=actor))
    c1, c2 = st.columns(2)
    year = c1.selectbox(t("visits.year"), _years(actor, today), key="visits:pyear")
    estate = c2.selectbox(t("visits.estate"), [None, *estates], key="visits:pestate",
                          format_func=lambda e: t("grid.all") if e is None else estates[e])
    people = visits.progress_by_person(actor=actor, year=year, estate_id=estate, by_month=False)
    if people.empty:
        st.info(t("visits.no_plan", year=year))
        return
    st.markdown(f"**{t('visits.by_person', year=year)}**")
    money_table(people, {"name": t("visits.assignee"), "planned": t("visits.planned"), "done": t("visits.done"),
                         "completion": t("visits.completion"), "visits": t("visits.recorded_visits"),
                         "f2f": t("visits.f2f"), "f2f_share": t("visits.f2f_share")},
                rates=("completion", "f2f_share"), numbers=("planned", "done", "visits", "f2f"),
                key="visits:people_table")
    months = visits.progress_by_person(actor=actor, year=year, estate_id=estate)
    months = months[months["planned"] > 0]
    if months.empty:
        return
    st.markdown(f"**{t('visits.by_month')}**")
    drawn = months.assign(rate=[float(v) if v is not None else None for v in months["completion"]],
                          share=[float(v) if v is not None else None for v in months["f2f_share"]],
                          label=[f"{d}/{p}" for d, p in zip(months["done"], months["planned"], strict=True)],
                          m=[m[5:] for m in months["month"]])
    person = alt.Color("name:N", title=t("visits.assignee"))
    bars = alt.Chart(drawn).mark_bar().encode(
        x=alt.X("m:N", title=t("visits.month"), axis=alt.Axis(labelAngle=0)), xOffset="name:N",
        y=alt.Y("rate:Q", title=t("visits.completion"), axis=alt.Axis(format="%"), scale=alt.Scale(domain=[0, 1])),
        color=person,
        tooltip=[alt.Tooltip("name:N", title=t("visits.assignee")), alt.Tooltip("month:N", title=t("visits.month")),
                 alt.Tooltip("label:N", title=t("visits.done_of_planned")),
                 alt.Tooltip("rate:Q", format=".1%", title=t("visits.completion"))])
    st.altair_chart(bars.properties(height=240), width="stretch")
    st.caption(t("visits.month_rule"))
    share = alt.Chart(drawn.dropna(subset=["share"])).mark_line(point=True).encode(
        x=alt.X("m:N", title=t("visits.month"), axis=alt.Axis(labelAngle=0)),
        y=alt.Y("share:Q", title=t("visits.f2f_share"), axis=alt.Axis(format="%")),
        color=person, tooltip=[alt.Tooltip("name:N", title=t("visits.assignee")),
                               alt.Tooltip("share:Q", format=".1%", title=t("visits.f2f_share"))])
    floor = alt.Chart(pd.DataFrame({"y": [float(visits.FACE_TO_FACE_FLOOR)]})).mark_rule(
        strokeDash=[4, 4], color="#d62728").encode(y="y:Q")
    st.altair_chart(alt.layer(share, floor).properties(height=200), width="stretch")
    st.caption(t("visits.floor_line"))
