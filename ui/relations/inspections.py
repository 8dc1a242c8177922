"""巡查与违章 (/relations): walk a route's checklist, read past rounds, turn findings into tickets, follow violations
from discovery to their outcome, and (the manager) keep the routes and their checklists.

Each part is a tab of its own, drawn only when open (ui/kit/tabs.py); every write goes through
services/relations/inspections and a refusal shows its Chinese message (field and rule), never a traceback.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from functools import partial

import streamlit as st

from services.admin.reference import estate_options
from services.estate.people import search
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.relations import inspections as insp
from services.relations.violation_notice import notice_pdf
from services.tickets import workflow as tickets
from ui.kit import fmt, specs
from ui.kit.forms import form_field
from ui.kit.grid import data_grid, picked_row
from ui.kit.i18n import t
from ui.kit.session import attempt, flash
from ui.kit.tables import money_table
from ui.kit.tabs import LazyTab, grid_query_keys, lazy_tabs

NOTICE = "insp:notice"  # what a round's submission left to say after its rerun (tickets not made)
# The open dialog of a violation lives in the session, not in the click that opened it, so it is drawn again on every
# run until it succeeds or is dismissed: (notice | follow | close, violation id).
DIALOG = "insp:dialog"
PDF = "insp:notice_pdf"  # ((violation id, version), bytes) of the 整改通知书 made last
# what a user finds again on coming back to the tab: the route picked, the filters, each grid's search and sort
KEEP: tuple[str, ...] = ("insp:route", "insp:estate", "insp:pending_only", "insp:failed_only", "insp:v_status",
                         "insp:v_kind", "insp:items_route",
                         *grid_query_keys("insp_rounds", "insp_findings", "insp_violations", "insp_routes",
                                          "insp_items"))


def inspections_tab(actor: Actor) -> None:
    parts: list[tuple[str, Callable[[], None]]] = []
    if can(actor, "inspections.record"):
        parts += [(t("inspections.tab_walk"), partial(_walk, actor)),
                  (t("inspections.tab_rounds"), partial(_rounds, actor)),
                  (t("inspections.tab_findings"), partial(_findings, actor))]
    if can(actor, "violations.manage"):
        parts.append((t("inspections.tab_violations"), partial(_violations, actor)))
    if can(actor, "inspections.manage"):
        parts.append((t("inspections.tab_routes"), partial(_routes, actor)))
    lazy_tabs("insp:tab", [LazyTab(label, render) for label, render in parts])


def _close_dialog() -> None:
    st.session_state.pop(DIALOG, None)


def _attempt(fn: Callable[[], object], success: str) -> None:
    attempt(fn, success, then=_close_dialog)


def _estate_filter(actor: Actor, key: str) -> int | None:
    estates = dict(estate_options(actor=actor))
    return st.selectbox(t("inspections.estate"), [None, *estates], key=key,
                        format_func=lambda v: t("inspections.all_estates") if v is None else estates[v])


# ---------------------------------------------------------------- 巡查登记


def _walk(actor: Actor) -> None:
    notice = st.session_state.pop(NOTICE, None)
    if notice:
        st.warning(notice)
    routes = insp.route_options(actor=actor)
    if not routes:
        st.info(t("inspections.no_routes"))
        return
    route_id = st.selectbox(t("inspections.route"), list(routes), format_func=routes.get, key="insp:route")
    items = insp.checklist(actor=actor, route_id=route_id)
    if items.empty:
        st.info(t("inspections.no_items"))
        return
    may_ticket = can(actor, "tickets.take")
    st.caption(t("inspections.walk_hint") if may_ticket else t("inspections.walk_hint_no_ticket"))
    today = local_today()
    with st.form(f"insp:round:{route_id}", clear_on_submit=True):
        day = st.date_input(t("inspections.round_on"), value=today, format="YYYY-MM-DD",
                            min_value=today - timedelta(days=insp.ROUND_LATE_DAYS), max_value=today)
        widths = [5, 3, 5, 1.3] if may_ticket else [5, 3, 6]
        header = st.columns(widths)
        for col, key in zip(header, ("inspections.item", "inspections.result", "inspections.finding_note",
                                     "inspections.to_ticket"), strict=False):
            col.markdown(f"**{t(key)}**")
        answers = []
        for n, row in enumerate(items.itertuples(), start=1):
            cols = st.columns(widths, vertical_alignment="center")
            cols[0].markdown(f"{n}\\. {row.text}  \n:gray[{row.area} · {row.department}]")
            result = cols[1].radio(row.text, insp.RESULTS, horizontal=True, label_visibility="collapsed",
                                   key=f"insp:r:{row.id}")
            note = cols[2].text_input(row.text, max_chars=200, label_visibility="collapsed",
                                      placeholder=t("inspections.finding_placeholder"), key=f"insp:n:{row.id}")
            ticket = bool(may_ticket and cols[3].checkbox(t("inspections.to_ticket"), value=True,
                                                          label_visibility="collapsed", key=f"insp:t:{row.id}"))
            answers.append((int(row.id), result, note, ticket))
        note = st.text_input(t("inspections.round_note"), max_chars=500)
        if st.form_submit_button(t("inspections.submit_round"), type="primary"):
            request = [insp.Answer(item_id=i, result=r, note=n, ticket=tk and r == "异常")
                       for i, r, n, tk in answers]
            try:
                outcome = insp.submit_round(actor=actor, route_id=route_id, round_on=day, answers=request, note=note)
            except DomainError as exc:
                st.error(exc.message)
            else:
                message = t("inspections.round_saved", items=outcome.items, failed=outcome.failed)
                if outcome.tickets:
                    message += t("inspections.tickets_made", numbers="、".join(outcome.tickets))
                if outcome.ticket_errors:
                    st.session_state[NOTICE] = t("inspections.tickets_failed") + "\n\n" + "\n\n".join(
                        f"- {e}" for e in outcome.ticket_errors)
                flash(message)
                st.rerun()


# ---------------------------------------------------------------- 巡查记录


def _rounds(actor: Actor) -> None:
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    with c1:
        estate_id = _estate_filter(actor, "insp:estate")
    failed_only = c2.toggle(t("inspections.failed_only"), key="insp:failed_only")
    spec = specs.INSPECTION_ROUNDS
    # the switch goes into the filters too: a change of filters is what makes the grid load its rows again
    data_grid(spec, load=lambda q: insp.list_rounds(actor=actor, query=q, failed_only=failed_only),
              filters={"estate_id": estate_id, "failed_only": failed_only})
    round_id = picked_row(spec)
    if round_id is None:
        st.caption(t("inspections.pick_round"))
        return
    lines = insp.round_results(actor=actor, round_id=round_id)
    lines = lines.assign(ticket=[f"{n}（{s}）" if n else "" for n, s in zip(lines["ticket"], lines["ticket_status"],
                                                                          strict=True)])
    money_table(lines, {"position": t("inspections.position"), "area": t("inspections.area"),
                        "item": t("inspections.item"), "result": t("inspections.result"),
                        "note": t("inspections.finding_note"), "ticket": t("inspections.ticket")},
                numbers=("position",), key=f"insp:lines:{round_id}")


# ---------------------------------------------------------------- 异常项 → 工单


def _findings(actor: Actor) -> None:
    c1, c2 = st.columns([2, 1], vertical_alignment="bottom")
    with c1:
        estate_id = _estate_filter(actor, "insp:f_estate")
    pending_only = c2.toggle(t("inspections.pending_only"), value=True, key="insp:pending_only")
    spec = specs.INSPECTION_FINDINGS
    data_grid(spec, load=lambda q: insp.list_findings(actor=actor, query=q, without_ticket=pending_only),
              filters={"estate_id": estate_id, "without_ticket": pending_only})
    result_id = picked_row(spec)
    if result_id is None:
        st.caption(t("inspections.pick_finding"))
        return
    try:
        found = insp.finding(actor=actor, result_id=result_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    st.markdown(f"**{found.round_on.isoformat()} · {found.estate} · {found.route}**  \n"
                f"{found.area} · {found.item}：{found.note}")
    if found.ticket:
        st.success(t("inspections.already_ticket", number=found.ticket))
        return
    if not can(actor, "tickets.take"):
        st.info(t("inspections.desk_turns"))
        return
    _ticket_form(actor, found)


def _ticket_form(actor: Actor, found: insp.FindingView) -> None:
    st.markdown(f"**{t('inspections.make_ticket')}**")
    text = st.text_input(t("inspections.unit_search"), key=f"insp:unit_q:{found.id}", max_chars=40,
                         placeholder=t("inspections.unit_search_hint"))
    hits = [h for h in search(actor=actor, text=text) if h.estate == found.estate] if text.strip() else []
    options = {h.unit_id: f"{h.estate} {h.code}" for h in hits}
    unit_id = st.selectbox(t("inspections.unit"), [None, *options], key=f"insp:unit:{found.id}",
                           format_func=lambda v: t("inspections.public_area") if v is None else options[v])
    with st.form(f"insp:ticket:{found.id}"):
        c1, c2, c3 = st.columns(3)
        default_type = insp.UNIT_TICKET_TYPE if unit_id else insp.PUBLIC_TICKET_TYPE
        ticket_type = c1.selectbox(t("inspections.ticket_type"), tickets.TYPES,
                                   index=tickets.TYPES.index(default_type))
        department = c2.selectbox(t("inspections.department"), tickets.DEPARTMENTS,
                                  index=tickets.DEPARTMENTS.index(found.department)
                                  if found.department in tickets.DEPARTMENTS else 0)
        urgency = c3.selectbox(t("inspections.urgency"), tickets.URGENCIES)
        content = st.text_area(t("inspections.ticket_content"), max_chars=1000,
                               value=f"【巡查发现】{found.route} {found.round_on.isoformat()} · {found.area}·"
                                     f"{found.item}：{found.note}")
        st.caption(t("inspections.ticket_type_hint"))
        if st.form_submit_button(t("inspections.make_ticket"), type="primary"):
            try:
                _, number = insp.raise_ticket(actor=actor, result_id=found.id, version=found.version,
                                              ticket_type=ticket_type, department=department, urgency=urgency,
                                              unit_id=unit_id, content=content)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("inspections.ticket_made", number=number))
                st.rerun()


# ---------------------------------------------------------------- 违章


def _violations(actor: Actor) -> None:
    today = local_today()
    counts = insp.violation_counts(actor=actor, today=today)
    with st.container(horizontal=True, gap="small"):
        st.metric(t("inspections.v_open"), counts[insp.OPEN], width=120)
        st.metric(t("inspections.v_overdue"), counts[insp.OVERDUE], width=120)
        st.metric(t("inspections.v_closed_year"), counts[insp.CLOSED], width=140)
    overdue = insp.violations_overdue(actor=actor, today=today)
    if not overdue.empty:
        st.warning(t("inspections.v_overdue_list", n=insp.violations_overdue_count(actor=actor, today=today)))
        money_table(overdue, {"estate": t("inspections.estate"), "unit": t("inspections.place"),
                              "kind": t("inspections.v_kind"), "deadline_on": t("inspections.deadline_on"),
                              "days_overdue": t("inspections.days_overdue"), "notice_no": t("inspections.notice_no")},
                    numbers=("days_overdue",), key="insp:overdue")
    with st.expander(t("inspections.v_new"), icon=":material/add:"):
        _new_violation(actor)
    c1, c2, c3 = st.columns(3)
    status = c1.selectbox(t("inspections.v_status"), [None, *insp.VIOLATION_STATUSES], key="insp:v_status",
                          format_func=lambda v: t("inspections.all") if v is None else v)
    kind = c2.selectbox(t("inspections.v_kind"), [None, *insp.VIOLATION_KINDS], key="insp:v_kind",
                        format_func=lambda v: t("inspections.all") if v is None else v)
    with c3:
        estate_id = _estate_filter(actor, "insp:v_estate")
    spec = specs.INSPECTION_VIOLATIONS
    data_grid(spec, load=lambda q: insp.list_violations(actor=actor, query=q, today=today),
              filters={"status": status, "kind": kind, "estate_id": estate_id})
    violation_id = picked_row(spec)
    if violation_id is None:
        st.caption(t("inspections.pick_violation"))
        return
    try:
        v = insp.violation(actor=actor, violation_id=violation_id, today=today)
    except DomainError as exc:
        st.error(exc.message)
        return
    _violation_card(actor, v)


def _new_violation(actor: Actor) -> None:
    text = st.text_input(t("inspections.unit_search"), key="insp:v_unit_q", max_chars=40,
                         placeholder=t("inspections.unit_search_hint"))
    hits = search(actor=actor, text=text) if text.strip() and can(actor, "units.view") else []
    options = {h.unit_id: f"{h.estate} {h.code}" for h in hits}
    unit_id = st.selectbox(t("inspections.unit"), [None, *options], key="insp:v_unit",
                           format_func=lambda v: t("inspections.public_area") if v is None else options[v])
    estates = dict(estate_options(actor=actor))
    hit = next((h for h in hits if h.unit_id == unit_id), None)
    today = local_today()
    with st.form("insp:violation", clear_on_submit=True):
        c1, c2 = st.columns(2)
        if hit is not None:
            estate_id = next((i for i, name in estates.items() if name == hit.estate), None)
            c1.text_input(t("inspections.estate"), value=hit.estate, disabled=True)
        else:
            estate_id = c1.selectbox(t("inspections.estate"), list(estates), format_func=estates.get)
        kind = c2.selectbox(t("inspections.v_kind"), insp.VIOLATION_KINDS)
        location = st.text_input(t("inspections.location"), max_chars=100,
                                 placeholder=t("inspections.location_hint"))
        description = st.text_area(t("inspections.description"), max_chars=500)
        c1, c2, c3 = st.columns(3)
        found_on = c1.date_input(t("inspections.found_on"), value=today, format="YYYY-MM-DD")
        deadline_on = c2.date_input(t("inspections.deadline_on"), value=today + timedelta(days=7),
                                    format="YYYY-MM-DD")
        notice = c3.checkbox(t("inspections.notice_now"), value=True)
        if st.form_submit_button(t("inspections.v_record"), type="primary"):
            _attempt(lambda: insp.record_violation(
                actor=actor, estate_id=estate_id or 0, unit_id=unit_id, kind=kind, description=description,
                found_on=found_on, deadline_on=deadline_on, location=location,
                notice_on=found_on if notice else None), t("inspections.v_recorded"))


def _violation_card(actor: Actor, v: insp.ViolationView) -> None:
    st.subheader(f"{v.place} · {v.kind}")
    badge = {insp.OPEN: "blue", insp.OVERDUE: "red", insp.CLOSED: "green"}[v.status]
    st.markdown(f":{badge}-badge[{v.status}]" + (f" :gray-badge[{v.notice_no}]" if v.notice_no else ""))
    st.write(v.description)
    c = st.columns(4)
    c[0].metric(t("inspections.found_on"), fmt.day(v.found_on))
    c[1].metric(t("inspections.notice_on"), fmt.day(v.notice_on) or "—")
    c[2].metric(t("inspections.deadline_on"), fmt.day(v.deadline_on))
    c[3].metric(t("inspections.outcome"), v.outcome or "—")
    if v.closed_on is not None:
        st.caption(t("inspections.closed_line", day=fmt.day(v.closed_on), by=v.closed_by, note=v.outcome_note or "—"))
    if v.notice_no:
        _notice_download(actor, v)
    st.markdown(f"**{t('inspections.follow_ups')}**")
    money_table(v.follow_ups, {"followed_on": t("inspections.followed_on"), "note": t("inspections.follow_note"),
                               "by": t("inspections.by")}, key=f"insp:fu:{v.id}")
    if v.closed_on is not None:
        return
    flows: list[tuple[str, str, Callable[[Actor, insp.ViolationView], None]]] = []
    if not v.notice_no:
        flows.append(("notice", t("inspections.issue_notice"), _notice_dialog))
    flows += [("follow", t("inspections.follow_up"), _follow_dialog), ("close", t("inspections.close"), _closing_dialog)]
    cols = st.columns(len(flows))
    for col, (name, label, _) in zip(cols, flows, strict=True):
        if col.button(label, key=f"insp:{name}:{v.id}", width="stretch"):
            st.session_state[DIALOG] = (name, v.id)
    dialog = st.session_state.get(DIALOG)
    opened = next(((label, body) for name, label, body in flows if dialog == (name, v.id)), None)
    if opened is not None:
        st.dialog(opened[0], on_dismiss=_close_dialog)(opened[1])(actor, v)
    elif dialog:
        _close_dialog()


def _notice_download(actor: Actor, v: insp.ViolationView) -> None:
    """Making the PDF embeds the CJK font (seconds), so it is made on request and kept for this violation."""
    made = st.session_state.get(PDF)
    if made is None or made[0] != (v.id, v.version):
        if st.button(t("inspections.make_notice_pdf", number=v.notice_no), key=f"insp:pdf:{v.id}",
                     icon=":material/print:"):
            try:
                with st.spinner(t("inspections.making_pdf")):
                    st.session_state[PDF] = ((v.id, v.version), notice_pdf(actor=actor, violation_id=v.id))
            except DomainError as exc:
                st.error(exc.message)
                return
            st.rerun()
        return
    st.download_button(t("inspections.download_notice", number=v.notice_no), data=made[1],
                       file_name=f"整改通知书-{v.notice_no}.pdf", mime="application/pdf", key=f"insp:pdf_dl:{v.id}",
                       icon=":material/download:", type="primary")


def _notice_dialog(actor: Actor, v: insp.ViolationView) -> None:
    with st.form("insp:notice_form"):
        notice_on = st.date_input(t("inspections.notice_on"), value=local_today(), format="YYYY-MM-DD")
        deadline_on = st.date_input(t("inspections.deadline_on"), value=v.deadline_on, format="YYYY-MM-DD")
        if st.form_submit_button(t("inspections.issue_notice"), type="primary"):
            _attempt(lambda: insp.issue_notice(actor=actor, violation_id=v.id, version=v.version, notice_on=notice_on,
                                               deadline_on=deadline_on), t("inspections.notice_issued"))


def _follow_dialog(actor: Actor, v: insp.ViolationView) -> None:
    with st.form("insp:follow_form"):
        day = st.date_input(t("inspections.followed_on"), value=local_today(), format="YYYY-MM-DD")
        note = st.text_area(t("inspections.follow_note"), max_chars=500)
        extend = st.checkbox(t("inspections.extend"))
        deadline = st.date_input(t("inspections.new_deadline"), value=max(v.deadline_on, local_today()),
                                 format="YYYY-MM-DD")
        if st.form_submit_button(t("inspections.follow_up"), type="primary"):
            _attempt(lambda: insp.follow_up(actor=actor, violation_id=v.id, version=v.version, followed_on=day,
                                            note=note, new_deadline_on=deadline if extend else None),
                     t("inspections.followed"))


def _closing_dialog(actor: Actor, v: insp.ViolationView) -> None:
    with st.form("insp:close_form"):
        outcome = st.selectbox(t("inspections.outcome"), insp.OUTCOMES)
        day = st.date_input(t("inspections.closed_on"), value=local_today(), format="YYYY-MM-DD")
        note = st.text_input(t("inspections.close_note"), max_chars=200)
        if st.form_submit_button(t("inspections.close"), type="primary"):
            _attempt(lambda: insp.close_violation(actor=actor, violation_id=v.id, version=v.version, outcome=outcome,
                                                  closed_on=day, note=note), t("inspections.closed"))


# ---------------------------------------------------------------- 路线与检查项 (the manager)


def _routes(actor: Actor) -> None:
    st.markdown(f"**{t('inspections.routes')}**")
    data_grid(specs.INSPECTION_ROUTES, load=lambda q: insp.list_routes(actor=actor, query=q),
              save=lambda edits: insp.update_routes(actor=actor, edits=edits))
    with st.expander(t("inspections.add_route"), icon=":material/add:"), \
            st.form("insp:add_route", clear_on_submit=True):
        estates = dict(estate_options(actor=actor))
        estate_id = st.selectbox(t("inspections.estate"), list(estates), format_func=estates.get)
        name = form_field(insp.ROUTE_TABLE, "name")
        note = form_field(insp.ROUTE_TABLE, "note")
        if st.form_submit_button(t("inspections.add_route"), type="primary"):
            _attempt(lambda: insp.add_route(actor=actor, estate_id=estate_id, name=name, note=note),
                     t("inspections.route_added", name=name.strip()))
    st.markdown(f"**{t('inspections.items')}**")
    routes = insp.route_options(actor=actor, active_only=False)
    if not routes:
        return
    route_id = st.selectbox(t("inspections.route"), list(routes), format_func=routes.get, key="insp:items_route")
    data_grid(specs.INSPECTION_ITEMS, load=lambda q: insp.list_items(actor=actor, query=q),
              save=lambda edits: insp.update_items(actor=actor, edits=edits), filters={"route_id": route_id})
    with st.expander(t("inspections.add_item"), icon=":material/add:"), \
            st.form("insp:add_item", clear_on_submit=True):
        c1, c2 = st.columns(2)
        with c1:
            area = form_field(insp.ITEM_TABLE, "area")
        with c2:
            department = form_field(insp.ITEM_TABLE, "department")
        text = form_field(insp.ITEM_TABLE, "text")
        if st.form_submit_button(t("inspections.add_item"), type="primary"):
            _attempt(lambda: insp.add_item(actor=actor, route_id=route_id, area=area, text=text,
                                           department=department), t("inspections.item_added"))
