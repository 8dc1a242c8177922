"""满意度调查 (/relations, tab 满意度调查): pick a round, read its 综合满意率 and 覆盖率, and work in one of its views —
录入答卷 (find a household, tick its paper or phone answers), 答卷 (the grid of responses, open one to edit or withdraw
it), 调查名单 (the round's households, who has not answered yet), 调查结果 (by building and by question, Altair charts,
Excel), and for managers 问卷与轮次 (the questionnaire grid, opening, changing and ending rounds).

Decisions:
- Every figure comes from services.relations.surveys (the KPI.md definitions); charts convert rates to percentages
  for drawing only. A rate with nothing to divide by shows "—" and draws no bar.
- A household already answered opens its own sheet in the entry form (one response per household and round: the
  second sheet edits the first); the form's radios start blank, so an unanswered question stays unanswered.
- Withdrawing and ending a round are confirmed in dialogs; every result is a toast (flash).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import altair as alt
import pandas as pd
import streamlit as st

from services.admin.reference import estate_options
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.platform.listing import ListQuery
from services.relations import surveys
from services.relations.surveys import RUNNING, WAYS, RoundInfo, RoundResults
from ui.fees.reports import percent
from ui.kit import fmt, specs
from ui.kit.grid import data_grid, picked_row
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import fit_height, money_table
from ui.kit.tabs import grid_query_keys

KEEP: tuple[str, ...] = ("sv:round", "sv:view", "sv:find", "sv:filter:",
                         *grid_query_keys("survey_responses", "survey_households", "survey_rounds",
                                          "survey_questions"))
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# an open dialog, kept in the session so it stays open while its form reruns the page: (round id, response id) of
# a sheet being withdrawn, or the id of the round being ended
WITHDRAWING, CLOSING = "sv:withdrawing", "sv:closing"
ENTRY, RESPONSES, HOUSEHOLDS, RESULTS, MANAGE = "entry", "responses", "households", "results", "manage"
# colours of a scale's points, best first (green to red), for the answers chart
POINT_COLOURS = ("#2e8b57", "#8cc084", "#f2c14e", "#e67e22", "#c0392b", "#8e2b20", "#5b1a14")


def _attempt(fn: Callable[[], object], success: str) -> bool:
    try:
        fn()
    except DomainError as exc:
        st.error(exc.message)
        return False
    flash(success)
    return True


def _closer(*keys: str) -> Callable[[], None]:
    def close() -> None:
        for key in keys:
            st.session_state.pop(key, None)
    return close


def _opener(key: str, value: object) -> Callable[[], None]:
    def open_() -> None:
        st.session_state[key] = value
    return open_


def _withdraw_if_open(actor: Actor, response: surveys.ResponseView) -> None:
    if st.session_state.get(WITHDRAWING) == response.id:
        st.dialog(t("surveys.withdraw_title"), on_dismiss=_closer(WITHDRAWING))(_withdraw_dialog)(actor, response)


# --- the tab --------------------------------------------------------------------------------------------------


def survey_tab(actor: Actor) -> None:
    rounds = surveys.round_choices(actor=actor)
    views = {}
    if can(actor, "surveys.record"):
        views[ENTRY] = t("surveys.view_entry")
    views.update({RESPONSES: t("surveys.view_responses"), HOUSEHOLDS: t("surveys.view_households"),
                  RESULTS: t("surveys.view_results")})
    if can(actor, "surveys.manage"):
        views[MANAGE] = t("surveys.view_manage")
    if not rounds:
        st.info(t("surveys.no_rounds_manage") if can(actor, "surveys.manage") else t("surveys.no_rounds"))
        if can(actor, "surveys.manage"):
            _manage(actor, None)
        return
    labels = {r.id: r.label for r in rounds}
    if st.session_state.get("sv:round") not in labels:
        st.session_state.pop("sv:round", None)  # a round of another database (or withdrawn): start at the latest
    round_id = st.selectbox(t("surveys.round"), list(labels), format_func=labels.get, key="sv:round")
    try:
        info = surveys.round_detail(actor=actor, round_id=round_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    _headline(info)
    if st.session_state.get("sv:view") not in views:
        st.session_state.pop("sv:view", None)  # a view kept from another role's session
    view = st.segmented_control(t("surveys.view"), list(views), format_func=views.get, key="sv:view",
                                default=next(iter(views)), label_visibility="collapsed") or next(iter(views))
    if view == ENTRY:
        _entry(actor, info)
    elif view == RESPONSES:
        _responses(actor, info)
    elif view == HOUSEHOLDS:
        _households(actor, info)
    elif view == RESULTS:
        _results(actor, info)
    elif view == MANAGE:
        _manage(actor, info)


def _headline(info: RoundInfo) -> None:
    """综合满意率, 覆盖率, how many answered, and the round's dates."""
    [overall] = surveys.survey_satisfaction(round_id=info.id).to_dict("records")
    coverage = surveys.survey_coverage(round_id=info.id)
    with st.container(horizontal=True, gap="small"):
        st.metric(t("surveys.satisfaction"), fmt.rate(overall["satisfaction"]), width=170,
                  help=t("surveys.satisfaction_help", satisfied=overall["satisfied"], answered=overall["answered"]))
        st.metric(t("surveys.coverage"), fmt.rate(coverage.coverage), width=170,
                  help=t("surveys.coverage_help", responded=coverage.responded, households=coverage.households))
        st.metric(t("surveys.responded"), f"{coverage.responded} / {coverage.households}", width=200)
    st.caption(t("surveys.period_line", start=fmt.day(info.start_on), end=fmt.day(info.end_on), status=info.status)
               + (f" · {info.note}" if info.note else ""))


# --- 录入答卷 -------------------------------------------------------------------------------------------------


def _open_in_entry(code: str) -> None:
    """Button callback (runs before the rerun, so widget values may still be set): show `code` in the entry view."""
    st.session_state["sv:view"] = ENTRY
    st.session_state["sv:find"] = code
    st.session_state.pop("sv:unit", None)


def _entry(actor: Actor, info: RoundInfo) -> None:
    if info.status != RUNNING:
        st.info(t("surveys.ended_no_entry"))
        return
    text = st.text_input(t("surveys.find"), key="sv:find", max_chars=40, placeholder=t("surveys.find_hint"))
    if not text.strip():
        st.caption(t("surveys.find_caption"))
        return
    hits = surveys.find_households(actor=actor, round_id=info.id, text=text)
    if not hits:
        st.warning(t("surveys.not_found"))
        return
    by_id = {h.unit_id: h for h in hits}
    options = {h.unit_id: " · ".join(part for part in (
        h.code, h.people or t("surveys.no_people"), t("surveys.answered") if h.response_id else t("surveys.not_yet"))
        if part) for h in hits}
    unit_id = st.selectbox(t("surveys.household"), list(options), format_func=options.get, key="sv:unit")
    hit = by_id[unit_id]
    existing = None
    if hit.response_id is not None:
        try:
            existing = surveys.response_detail(actor=actor, response_id=hit.response_id)
        except DomainError as exc:
            st.error(exc.message)
            return
        st.info(t("surveys.already", code=hit.code, respondent=existing.respondent,
                  day=fmt.day(existing.answered_on), by=existing.entered_by))
    _sheet_form(actor, info, hit.code, unit_id, hit.matched_person or hit.owner, existing)
    if existing is not None:
        st.button(t("surveys.withdraw"), key=f"sv:withdraw:{existing.id}", icon=":material/delete:",
                  on_click=_opener(WITHDRAWING, existing.id))
        _withdraw_if_open(actor, existing)


def _sheet_form(actor: Actor, info: RoundInfo, code: str, unit_id: int, respondent: str,
                existing: surveys.ResponseView | None) -> None:
    """The answer sheet: who, how, when, one row of options per question, and the comment."""
    key = f"sv:sheet:{info.id}:{unit_id}:{existing.version if existing else 0}"
    today = local_today()
    with st.form(key, clear_on_submit=False, border=True):
        st.markdown(f"**{t('surveys.sheet_of', code=code)}**")
        c1, c2, c3 = st.columns(3)
        who = c1.text_input(t("surveys.respondent"), value=existing.respondent if existing else respondent,
                            max_chars=32, key=f"{key}:who")
        way = c2.selectbox(t("surveys.way"), WAYS, key=f"{key}:way",
                           index=WAYS.index(existing.way) if existing and existing.way in WAYS else 0)
        day = c3.date_input(t("surveys.answered_on"), key=f"{key}:on", format="YYYY-MM-DD",
                            value=existing.answered_on if existing else min(today, info.end_on))
        answers: dict[int, str | None] = {}
        columns = st.columns(2)  # two questions a row: a sheet of eight fits on one screen
        for n, q in enumerate(info.questions):
            old = existing.answers.get(q.id) if existing else None
            label = f"{q.position}. {q.text}" + (t("surveys.overall_mark") if q.is_overall else "")
            answers[q.id] = columns[n % 2].radio(label, q.options, horizontal=True, key=f"{key}:q{q.id}",
                                                 index=q.options.index(old) if old in q.options else None)
        comment = st.text_area(t("surveys.comment"), value=existing.comment if existing else "", max_chars=500,
                               height=80, key=f"{key}:comment", placeholder=t("surveys.comment_hint"))
        st.caption(t("surveys.blank_hint"))
        label = t("surveys.save_edit") if existing else t("surveys.save")
        if st.form_submit_button(label, type="primary", icon=":material/save:"):
            if existing is None:
                done = _attempt(lambda: surveys.record_response(
                    actor=actor, round_id=info.id, unit_id=unit_id, respondent=who, way=way, answered_on=day,
                    answers=answers, comment=comment), t("surveys.saved", code=code))
            else:
                done = _attempt(lambda: surveys.update_response(
                    actor=actor, response_id=existing.id, version=existing.version, respondent=who, way=way,
                    answered_on=day, answers=answers, comment=comment), t("surveys.edited", code=code))
            if done:
                st.session_state.pop("sv:find", None)  # ready for the next sheet of the pile
                st.session_state.pop("sv:unit", None)
                st.rerun()


def _withdraw_dialog(actor: Actor, response: surveys.ResponseView) -> None:
    st.write(t("surveys.withdraw_confirm", code=response.code, respondent=response.respondent))
    with st.form(f"sv:withdraw_form:{response.id}"):
        reason = st.text_input(t("surveys.withdraw_reason"), max_chars=200, placeholder=t("surveys.withdraw_hint"),
                               key=f"sv:withdraw_reason:{response.id}")
        if st.form_submit_button(t("surveys.withdraw"), type="primary") and _attempt(
                lambda: surveys.withdraw_response(actor=actor, response_id=response.id, version=response.version,
                                                  reason=reason), t("surveys.withdrawn", code=response.code)):
            for key in ("sv:find", "sv:unit", WITHDRAWING):
                st.session_state.pop(key, None)
            st.rerun()


# --- 答卷 and 调查名单 -----------------------------------------------------------------------------------------


def _responses(actor: Actor, info: RoundInfo) -> None:
    way = st.selectbox(t("surveys.way"), [None, *WAYS], key="sv:filter:way", width=200,
                       format_func=lambda v: t("grid.all") if v is None else v)
    data_grid(specs.SURVEY_RESPONSES, load=lambda q: surveys.list_responses(actor=actor, query=q),
              filters={"round_id": info.id, "way": way})
    if can(actor, "data.export"):
        st.download_button(t("surveys.export_sheets"), key="sv:export_sheets", icon=":material/download:",
                           data=lambda: surveys.responses_workbook(actor=actor, round_id=info.id),
                           file_name=f"{info.estate}{info.name}答卷明细.xlsx", mime=XLSX_MIME,
                           help=t("surveys.export_sheets_help"))
    response_id = picked_row(specs.SURVEY_RESPONSES)
    if response_id is None:
        return
    try:
        response = surveys.response_detail(actor=actor, response_id=response_id)
    except DomainError as exc:
        st.caption(exc.message)
        return
    if response.round_id != info.id:
        return
    st.markdown(f"**{t('surveys.sheet_of', code=response.code)}**")
    st.caption(t("surveys.sheet_caption", respondent=response.respondent, way=response.way,
                 day=fmt.day(response.answered_on), by=response.entered_by))
    frame = pd.DataFrame([{"question": f"{q.position}. {q.text}", "answer": response.answers.get(q.id, "—")}
                          for q in info.questions])
    money_table(frame, {"question": t("surveys.question"), "answer": t("surveys.answer")},
                height=fit_height(len(frame), 360))
    if response.comment:
        st.write(t("surveys.comment") + "：" + response.comment)
    if info.status == RUNNING and can(actor, "surveys.record"):
        c1, c2 = st.columns([1, 5])
        c1.button(t("surveys.edit"), key=f"sv:edit:{response.id}", icon=":material/edit:",
                  on_click=_open_in_entry, args=(response.code,))
        c2.button(t("surveys.withdraw"), key=f"sv:withdraw_picked:{response.id}", icon=":material/delete:",
                  on_click=_opener(WITHDRAWING, response.id))
        _withdraw_if_open(actor, response)


def _households(actor: Actor, info: RoundInfo) -> None:
    state = st.segmented_control(t("surveys.state"), [surveys.NOT_ANSWERED, surveys.ANSWERED], key="sv:filter:state",
                                 help=t("surveys.state_help"))
    st.caption(t("surveys.households_caption", households=info.households, responses=info.responses))
    data_grid(specs.SURVEY_HOUSEHOLDS, load=lambda q: surveys.list_households(actor=actor, query=q),
              filters={"round_id": info.id, "state": state})


# --- 调查结果 --------------------------------------------------------------------------------------------------


def _rate_bars(frame: pd.DataFrame, *, label: str, rate_column: str, title: str, highlight: str | None = None
               ) -> alt.LayerChart:
    """Horizontal bars of a rate per row of `frame` (in its order) with the percentage written at each bar's end;
    rows without a rate get no bar."""
    data = pd.DataFrame({"label": list(frame[label]), "rate": [percent(v) for v in frame[rate_column]],
                         "text": [fmt.rate(v) for v in frame[rate_column]],
                         "kind": [t("surveys.overall_question") if highlight and bool(v) else t("surveys.item")
                                  for v in (frame[highlight] if highlight else [False] * len(frame))]})
    order = list(data["label"])
    data = data.dropna(subset=["rate"])
    y = alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220, labelFontSize=13))
    x = alt.X("rate:Q", title=title, scale=alt.Scale(domain=[0, 100]))
    colour = alt.Color("kind:N", title=None, legend=alt.Legend(orient="top") if highlight else None,
                       scale=alt.Scale(domain=[t("surveys.item"), t("surveys.overall_question")],
                                       range=["#4c78a8", "#2e8b57"]))
    bars = alt.Chart().mark_bar().encode(y=y, x=x, color=colour, tooltip=[
        alt.Tooltip("label:N", title=t("surveys.group")), alt.Tooltip("text:N", title=title)])
    text = alt.Chart().mark_text(align="left", dx=4, fontSize=12).encode(y=y, x=x, text="text:N")
    return alt.layer(bars, text, data=data).properties(height=alt.Step(30))


def _answers_chart(r: RoundResults) -> alt.Chart:
    """Each question's answers as one 100% bar, best point left, coloured green to red."""
    data = r.distribution.assign(label=[f"{p}. {q}" for p, q in zip(r.distribution["position"],
                                                                     r.distribution["question"], strict=True)])
    data["share"] = data["answers"] / data.groupby("label")["answers"].transform("sum") * 100
    choices = list(dict.fromkeys(data.sort_values("point_no")["choice"]))
    order = list(dict.fromkeys(data.sort_values("position")["label"]))
    return alt.Chart(data).mark_bar().encode(
        y=alt.Y("label:N", title=None, sort=order, axis=alt.Axis(labelLimit=220, labelFontSize=13)),
        x=alt.X("share:Q", title=t("surveys.share"), stack="zero", scale=alt.Scale(domain=[0, 100])),
        color=alt.Color("choice:N", title=None, sort=choices, legend=alt.Legend(orient="top"),
                        scale=alt.Scale(domain=choices, range=list(POINT_COLOURS[:len(choices)]))),
        order=alt.Order("point_no:Q"),
        tooltip=[alt.Tooltip("label:N", title=t("surveys.question")), alt.Tooltip("choice:N", title=t("surveys.answer")),
                 alt.Tooltip("answers:Q", title=t("surveys.count")),
                 alt.Tooltip("share:Q", title=t("surveys.share"), format=".1f")],
    ).properties(height=alt.Step(30))


def _results(actor: Actor, info: RoundInfo) -> None:
    try:
        r = surveys.round_results(actor=actor, round_id=info.id)
    except DomainError as exc:
        st.error(exc.message)
        return
    if can(actor, "data.export"):
        with st.container(horizontal=True, gap="small"):
            st.download_button(t("surveys.export_results"), key="sv:export_results", icon=":material/download:",
                               data=lambda: surveys.results_workbook(actor=actor, round_id=info.id),
                               file_name=f"{info.estate}{info.name}结果.xlsx", mime=XLSX_MIME)
            st.download_button(t("surveys.export_sheets"), key="sv:export_sheets_results",
                               icon=":material/download:",
                               data=lambda: surveys.responses_workbook(actor=actor, round_id=info.id),
                               file_name=f"{info.estate}{info.name}答卷明细.xlsx", mime=XLSX_MIME)
    st.caption(t("surveys.definition"))
    st.markdown(f"**{t('surveys.by_building')}**")
    left, right = st.columns(2, gap="large")
    with left:
        if r.answered:
            st.altair_chart(_rate_bars(r.by_building, label="building", rate_column="satisfaction",
                                       title=t("surveys.satisfaction_pct")), width="stretch")
    with right:
        money_table(r.by_building, {"building": t("surveys.building"), "households": t("surveys.households"),
                                    "responded": t("surveys.responded_short"), "coverage": t("surveys.coverage"),
                                    "satisfaction": t("surveys.satisfaction")},
                    rates=("coverage", "satisfaction"), numbers=("households", "responded"),
                    height=fit_height(len(r.by_building), 420), key="sv:by_building")
    st.markdown(f"**{t('surveys.by_question')}**")
    left, right = st.columns(2, gap="large")
    with left:
        if r.answered or len(r.distribution):
            st.altair_chart(_rate_bars(r.by_question, label="question", rate_column="satisfaction",
                                       title=t("surveys.satisfaction_pct"), highlight="is_overall"),
                            width="stretch")
    with right:
        money_table(r.by_question, {"position": t("surveys.position"), "question": t("surveys.question"),
                                    "answered": t("surveys.answered_count"), "satisfied": t("surveys.satisfied"),
                                    "satisfaction": t("surveys.satisfaction_item")},
                    rates=("satisfaction",), numbers=("position", "answered", "satisfied"),
                    height=fit_height(len(r.by_question), 420), key="sv:by_question")
    if len(r.distribution):
        st.markdown(f"**{t('surveys.answers_spread')}**")
        st.altair_chart(_answers_chart(r), width="stretch")


# --- 问卷与轮次 ----------------------------------------------------------------------------------------------------


def _manage(actor: Actor, info: RoundInfo | None) -> None:
    st.subheader(t("surveys.questionnaire"))
    st.caption(t("surveys.questionnaire_caption"))
    data_grid(specs.SURVEY_QUESTIONS, load=lambda q: surveys.list_questions(actor=actor, query=q),
              save=lambda edits: surveys.update_questions(actor=actor, edits=edits))
    c1, c2 = st.columns([3, 2], gap="large")
    with c1, st.expander(t("surveys.add_question"), icon=":material/add:"), st.form("sv:add_question",
                                                                                      clear_on_submit=True):
        a, b = st.columns([1, 4])
        position = a.number_input(t("surveys.position"), min_value=1, max_value=99, value=1, step=1)
        text = b.text_input(t("surveys.question"), max_chars=60)
        scale = st.text_input(t("surveys.scale"), value=surveys.STANDARD_SCALE_TEXT, max_chars=80,
                              help=t("surveys.scale_help"))
        overall = st.checkbox(t("surveys.is_overall"), help=t("surveys.is_overall_help"))
        if st.form_submit_button(t("surveys.add"), type="primary") and _attempt(
                lambda: surveys.add_question(actor=actor, position=position, text=text, scale=scale,
                                             is_overall=overall), t("surveys.question_added", text=text.strip())):
            st.rerun()
    empty = surveys.list_questions(actor=actor, query=ListQuery(page_size=1)).total == 0
    with c2:
        if empty and st.button(t("surveys.load_standard"), key="sv:standard", help=t("surveys.load_standard_help"),
                               icon=":material/playlist_add:") and _attempt(
                lambda: surveys.add_standard_questionnaire(actor=actor), t("surveys.standard_loaded")):
            st.rerun()

    st.subheader(t("surveys.rounds"))
    data_grid(specs.SURVEY_ROUNDS, load=lambda q: surveys.list_rounds(actor=actor, query=q))
    c1, c2 = st.columns(2, gap="large")
    with c1:
        _open_round_form(actor)
    with c2:
        if info is not None and info.status == RUNNING:
            _round_edit(actor, info)


def _open_round_form(actor: Actor) -> None:
    today = local_today()
    estates = dict(estate_options(actor=actor))
    if not estates:
        return
    with st.expander(t("surveys.open_round"), icon=":material/add_task:"), st.form("sv:open_round"):
        estate_id = st.selectbox(t("surveys.estate"), list(estates), format_func=estates.get,
                                 key="sv:open_round:estate")
        name = st.text_input(t("surveys.round_name"), value=surveys.default_round_name(today), max_chars=64,
                             key="sv:open_round:name")
        a, b = st.columns(2)
        start: date | None = a.date_input(t("surveys.start_on"), value=today, format="YYYY-MM-DD",
                                          key="sv:open_round:start")
        end: date | None = b.date_input(t("surveys.end_on"), value=surveys.default_round_end(today),
                                        format="YYYY-MM-DD", key="sv:open_round:end")
        note = st.text_input(t("surveys.note"), max_chars=500, key="sv:open_round:note")
        st.caption(t("surveys.open_round_caption"))
        if st.form_submit_button(t("surveys.open"), type="primary") and _attempt(
                lambda: surveys.open_round(actor=actor, estate_id=estate_id, name=name, start_on=start,
                                           end_on=end, note=note), t("surveys.round_opened", name=name.strip())):
            st.session_state.pop("sv:round", None)  # the new round is the latest: show it
            st.rerun()


def _round_edit(actor: Actor, info: RoundInfo) -> None:
    with st.expander(t("surveys.edit_round", name=info.name), icon=":material/edit_calendar:"), \
            st.form(f"sv:edit_round:{info.id}:{info.version}"):
        name = st.text_input(t("surveys.round_name"), value=info.name, max_chars=64)
        end: date | None = st.date_input(t("surveys.end_on"), value=info.end_on, format="YYYY-MM-DD")
        note = st.text_input(t("surveys.note"), value=info.note, max_chars=500)
        if st.form_submit_button(t("surveys.save_round")) and _attempt(
                lambda: surveys.update_round(actor=actor, round_id=info.id, version=info.version, name=name,
                                             end_on=end, note=note), t("surveys.round_saved", name=name.strip())):
            st.rerun()
    st.button(t("surveys.close_round"), key=f"sv:close:{info.id}", icon=":material/flag:",
              on_click=_opener(CLOSING, info.id))
    if st.session_state.get(CLOSING) == info.id:
        st.dialog(t("surveys.close_title"), on_dismiss=_closer(CLOSING))(_close_dialog)(actor, info)


def _close_dialog(actor: Actor, info: RoundInfo) -> None:
    st.write(t("surveys.close_confirm", name=info.name, estate=info.estate, responses=info.responses,
               households=info.households))
    if st.button(t("surveys.close_round"), type="primary", key=f"sv:do_close:{info.id}") and _attempt(
            lambda: surveys.close_round(actor=actor, round_id=info.id, version=info.version),
            t("surveys.round_closed", name=info.name)):
        st.session_state.pop(CLOSING, None)
        st.rerun()
