"""社区活动 and 宣传栏 (/relations): the year against the seed's targets on top (activities held of 6, boards on
time by the 28th), then two sections — 社区文化活动 (the register, a form for a held or planned activity, and 已举办 /
取消 for a planned one) and 宣传栏 (the twelve months of each estate's board, the register and its form).

Decisions:
- An activity is registered as 已举办 (the usual case: recorded after it took place, with turnout and cost) or as
  计划 (announced ahead; marked held or cancelled later). The form asks for turnout only for a held one.
- The board's month defaults to this month, or next month after the 28th (the next issue is being put up).
"""

from __future__ import annotations

from datetime import date

import pandas as pd
import streamlit as st

from services.admin.reference import estate_options
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.relations import activities
from services.relations.activities import NewActivity, NewBulletin
from ui.kit import fmt, specs
from ui.kit.grid import data_grid
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import money_table
from ui.kit.tabs import grid_query_keys

SECTION = "activities:section"
SECTIONS = ("activities", "boards")
KEEP: tuple[str, ...] = (SECTION, "activities:year", "activities:status", "activities:estate", "activities:kind",
                         *grid_query_keys("community_activities", "bulletins"))


def activities_tab(actor: Actor) -> None:
    today = local_today()
    years = list(range(today.year, today.year - 4, -1))
    year = st.selectbox(t("activities.year"), years, key="activities:year", width=200)
    progress = activities.activity_progress(actor=actor, year=year, today=today)
    _figures(progress)
    section = st.segmented_control(t("activities.section"), SECTIONS, key=SECTION, default="activities",
                                   format_func=lambda s: t(f"activities.section_{s}"), label_visibility="collapsed")
    if section == "boards":
        _boards(actor, year, today, progress)
    else:
        _activities(actor, year, today)


def _figures(p: activities.ActivityProgress) -> None:
    with st.container(horizontal=True, gap="small"):
        st.metric(t("activities.held"), f"{p.held} / {p.target}", width=140, help=t("activities.target_help"))
        st.metric(t("activities.planned"), f"{p.planned}", width=120)
        st.metric(t("activities.participants"), f"{p.participants:,}", width=120)
        st.metric(t("activities.cost"), fmt.money(p.cost), width=190)
        st.metric(t("activities.board_rate"), fmt.rate(p.bulletin_rate), width=150,
                  help=t("activities.board_help"))
        st.metric(t("activities.board_count"), f"{p.bulletins_on_time} / {p.bulletins_due}", width=150)
    if p.short:
        st.caption(t("activities.short", n=p.short, year=p.year))
    else:
        st.caption(t("activities.reached", year=p.year))


def _act(call, done: str, *, clear: str = "") -> None:
    """Run a write; on success confirm it, empty the form whose widget keys start with `clear`, and rerun."""
    try:
        call()
    except DomainError as exc:
        st.error(exc.message)
        return
    flash(done)
    for key in [k for k in st.session_state if clear and isinstance(k, str) and k.startswith(clear)]:
        del st.session_state[key]
    st.rerun()


# --- activities -----------------------------------------------------------------------------------------------


def _activities(actor: Actor, year: int, today: date) -> None:
    estates = dict(estate_options(actor=actor))
    c1, c2 = st.columns(2)
    status = c1.selectbox(t("activities.status"), [None, *activities.ACTIVITY_STATUSES], key="activities:status",
                          format_func=lambda s: t("grid.all") if s is None else s)
    estate = c2.selectbox(t("activities.estate"), [None, *estates], key="activities:estate",
                          format_func=lambda e: t("grid.all") if e is None else estates[e])
    filters = {"status": status, "estate_id": estate}
    data_grid(specs.ACTIVITIES, load=lambda q: activities.list_activities(actor=actor, year=year, query=q),
              filters={k: v for k, v in filters.items() if v is not None})
    if not can(actor, "activities.manage"):
        return
    left, right = st.columns([3, 2], gap="large")
    with left, st.container(border=True):
        _add_activity(actor, estates, today)
    with right, st.container(border=True):
        _planned(actor, today)


def _add_activity(actor: Actor, estates: dict[int, str], today: date) -> None:
    st.markdown(f"**{t('activities.add')}**")
    kind = st.radio(t("activities.kind"), (activities.HELD, activities.PLANNED), key="activities:kind",
                    horizontal=True, format_func=lambda k: t("activities.kind_held" if k == activities.HELD
                                                             else "activities.kind_planned"))
    held = kind == activities.HELD
    # not cleared on submit: a refused form keeps what was typed; a saved one is emptied (_act)
    with st.form(f"activities:add:{kind}"):
        c1, c2 = st.columns([2, 1])
        title = c1.text_input(t("activities.title") + " *", max_chars=64, placeholder=t("activities.title_hint"),
                              key="activities:f:title")
        # the date's bounds depend on the kind: its own key per kind, so a kept value never falls outside them
        day = c2.date_input(t("activities.held_on") + " *", value=today, format="YYYY-MM-DD",
                            max_value=today if held else None, min_value=None if held else today,
                            key=f"activities:f:day:{'held' if held else 'planned'}")
        c1, c2, c3 = st.columns(3)
        place = c1.text_input(t("activities.place") + " *", max_chars=64, placeholder=t("activities.place_hint"),
                              key="activities:f:place")
        organiser = c2.text_input(t("activities.organiser") + " *", max_chars=32, value=actor.display_name,
                                  key="activities:f:organiser")
        # 全部小区 only for a user of every estate (the service refuses it to the others)
        choices = [None, *estates] if actor.estate_ids is None else list(estates)
        estate = c3.selectbox(t("activities.estate"), choices, key="activities:f:estate",
                              format_func=lambda e: t("activities.all_estates") if e is None else estates[e])
        c1, c2 = st.columns(2)
        participants = c1.text_input(t("activities.participants") + " *", max_chars=6,
                                     key="activities:f:participants") if held else None
        cost = c2.text_input(t("activities.cost_held" if held else "activities.budget"), max_chars=12,
                             placeholder="1200.00", key="activities:f:cost")
        note = st.text_area(t("activities.note"), max_chars=500, height=70, placeholder=t("activities.note_hint"),
                            key="activities:f:note")
        if st.form_submit_button(t("activities.submit"), type="primary", key="activities:f:submit"):
            _act(lambda: activities.add_activity(actor=actor, activity=NewActivity(
                title, day, place, organiser, status=kind, estate_id=estate, participants=participants, cost=cost,
                note=note)), t("activities.added", title=title.strip()), clear="activities:f:")


def _planned(actor: Actor, today: date) -> None:
    st.markdown(f"**{t('activities.planned_title')}**")
    planned = activities.planned_activities(actor=actor)
    if planned.empty:
        st.caption(t("activities.none_planned"))
        return
    options = {int(r.id): (int(r.version), f"{fmt.day(r.held_on)} {r.title} · {r.estate}")
               for r in planned.itertuples()}
    chosen = st.selectbox(t("activities.which"), list(options), format_func=lambda i: options[i][1],
                          key="activities:planned_pick")
    version = options[chosen][0]
    with st.form(f"activities:hold:{chosen}", clear_on_submit=True):
        c1, c2 = st.columns(2)
        day = c1.date_input(t("activities.held_on"), value=min(today, planned.set_index("id").at[chosen, "held_on"]),
                            max_value=today, format="YYYY-MM-DD")
        participants = c2.text_input(t("activities.participants") + " *", max_chars=6)
        c1, c2 = st.columns(2)
        cost = c1.text_input(t("activities.cost_held"), max_chars=12)
        note = c2.text_input(t("activities.note"), max_chars=500)
        if st.form_submit_button(t("activities.hold"), type="primary"):
            _act(lambda: activities.hold_activity(actor=actor, activity_id=chosen, version=version, held_on=day,
                                                  participants=participants, cost=cost, note=note),
                 t("activities.held_done"))
    with st.form(f"activities:cancel:{chosen}", clear_on_submit=True):
        reason = st.text_input(t("activities.cancel_reason") + " *", max_chars=200)
        if st.form_submit_button(t("activities.cancel")):
            _act(lambda: activities.cancel_activity(actor=actor, activity_id=chosen, version=version, reason=reason),
                 t("activities.cancelled"))


# --- boards 宣传栏 -------------------------------------------------------------------------------------------


def _boards(actor: Actor, year: int, today: date, progress: activities.ActivityProgress) -> None:
    st.markdown(f"**{t('activities.calendar', year=year)}**")
    calendar = activities.bulletin_calendar(actor=actor, year=year, today=today)
    months = [c for c in calendar.columns if c != "estate"]
    money_table(calendar, {"estate": t("activities.estate"), **{m: t("activities.month_column", month=m[5:])
                                                                 for m in months}}, key="activities:calendar")
    rates = [{"estate": e.estate, "on_time": f"{e.on_time} / {e.due}", "rate": e.rate} for e in progress.by_estate]
    if rates:
        money_table(pd.DataFrame(rates), {"estate": t("activities.estate"), "on_time": t("activities.board_count"),
                                          "rate": t("activities.board_rate")}, rates=("rate",),
                    numbers=("on_time",), key="activities:board_rates")
    st.caption(t("activities.board_rule"))
    estates = dict(estate_options(actor=actor))
    data_grid(specs.BULLETINS, load=lambda q: activities.list_bulletins(actor=actor, year=year, query=q))
    if not can(actor, "activities.manage"):
        return
    with st.container(border=True):
        st.markdown(f"**{t('activities.add_board')}**")
        if not estates:
            st.caption(t("activities.no_estates"))
            return
        this = f"{today.year:04d}-{today.month:02d}"
        nxt = f"{today.year + (today.month == 12):04d}-{today.month % 12 + 1:02d}"
        choices = [nxt, this, *[f"{y:04d}-{m:02d}" for y, m in _earlier(today, 12)]]
        default = choices.index(nxt if today.day > activities.BULLETIN_DAY else this)
        with st.form("activities:board"):
            c1, c2, c3 = st.columns(3)
            estate = c1.selectbox(t("activities.estate") + " *", list(estates), format_func=estates.get,
                                  key="activities:b:estate")
            month = c2.selectbox(t("activities.board_month") + " *", choices, index=default, key="activities:b:month")
            posted = c3.date_input(t("activities.posted_on") + " *", value=today, max_value=today,
                                   format="YYYY-MM-DD", key="activities:b:posted")
            title = st.text_input(t("activities.board_title") + " *", max_chars=64, key="activities:b:title",
                                  placeholder=t("activities.board_title_hint"))
            content = st.text_area(t("activities.board_content"), max_chars=500, height=70, key="activities:b:content")
            if st.form_submit_button(t("activities.submit_board"), type="primary", key="activities:b:submit"):
                _act(lambda: activities.add_bulletin(actor=actor, bulletin=NewBulletin(estate, month, title, posted,
                                                                                       content)),
                     t("activities.board_added", estate=estates.get(estate, ""), month=month), clear="activities:b:")


def _earlier(today: date, count: int) -> list[tuple[int, int]]:
    out = []
    y, m = today.year, today.month
    for _ in range(count):
        y, m = (y - 1, 12) if m == 1 else (y, m - 1)
        out.append((y, m))
    return out
