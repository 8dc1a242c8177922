"""报事 (/tickets): take a call in seconds, work the boards, revisit, and read the month's figures."""

from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from services import kpi
from services.admin.reference import ticket_category_options
from services.estate.households import unit_card
from services.estate.people import search
from services.platform.auth import can
from services.platform.clock import SHANGHAI, local_today
from services.platform.errors import DomainError
from services.platform.excel import excel_workbook
from services.tickets import workflow as tickets
from services.tickets.lists import board_counts, list_tickets, month_counts, unit_open_tickets
from ui.kit import fmt, specs
from ui.kit.grid import data_grid, picked_row
from ui.kit.i18n import t
from ui.kit.session import current_actor, flash
from ui.kit.tables import capped
from ui.kit.tabs import LazyTab, grid_query_keys, lazy_tabs, on_demand
from ui.tickets.panel import PHOTO_TYPES, ticket_panel
from ui.tickets.ticket_import import ticket_import_wizard

actor = current_actor()
scope = kpi.TicketScope(estate_ids=actor.estate_ids)  # the figures of the user's estates only
st.title(t("tickets.title"))
counts = board_counts(actor=actor)
# A wrapping row rather than st.columns(7): on a phone columns stack, and seven metrics filled the screen.
with st.container(horizontal=True, gap="small"):
    for label, value in ((t("tickets.board_today"), counts["today"]), (t("tickets.board_open"), counts["open"]),
                         (t("tickets.overdue"), counts["overdue"]), (t("tickets.due_soon"), counts["due_soon"]),
                         (t("tickets.board_revisits"), counts["revisits"]),
                         (t("tickets.revisits_overdue"), counts["revisits_overdue"]),
                         (t("tickets.board_mine"), counts["mine"])):
        st.metric(label, value, width=104)

names = []
if can(actor, "tickets.take"):
    names.append(("take", t("tickets.take")))
names += [("today", t("tickets.board_today")), ("open", t("tickets.board_open")),
          ("deadline", t("tickets.board_deadline")), ("revisits", t("tickets.board_revisits")),
          ("mine", t("tickets.board_mine")), ("analysis", t("tickets.analysis"))]
if can(actor, "tickets.import"):
    names.append(("import", t("tickets.tab_import")))


def intake() -> None:
    text = st.text_input(t("tickets.find_caller"), key="tk:search", live=True, max_chars=40,
                         placeholder=t("tickets.find_caller_hint"))
    hits = search(actor=actor, text=text) if text.strip() else []
    options = {h.unit_id: f"{h.estate} {h.code} · {h.status}" + (f" · {h.person}" if h.person else "")
               for h in hits}
    unit_id = st.selectbox(t("tickets.unit"), [None, *options], key="tk:unit",
                           format_func=lambda v: t("tickets.no_unit") if v is None else options[v])
    card = unit_card(actor=actor, unit_id=unit_id) if unit_id else None
    if card is not None:
        for v in card.vip:
            st.warning(t("tickets.vip", category=v["category"], reason=v["reason"]))
        if card.renovating:
            st.info(t("tickets.renovating"))
        open_ones = unit_open_tickets(actor=actor, unit_id=unit_id)
        if len(open_ones):
            st.warning(t("tickets.open_for_unit", n=len(open_ones)))
            shown = open_ones.assign(received_at=[fmt.moment(v) for v in open_ones["received_at"]])
            shown.columns = [t("tickets.number"), t("tickets.type"), t("tickets.status"), t("tickets.content"),
                             t("tickets.received_at")]
            st.dataframe(shown, hide_index=True, width="stretch")
    hit = next((h for h in hits if h.unit_id == unit_id), None)
    caller = card.residents.iloc[0] if card is not None and len(card.residents) else None
    caller_default = hit.person_name if hit is not None and hit.person_name else (
        "" if caller is None else caller["name"])  # who called: the person the phone matched, else the first resident
    with st.form("intake", clear_on_submit=True):
        c1, c2, c3, c4 = st.columns(4)
        ticket_type = c1.selectbox(t("tickets.type"), tickets.TYPES)
        channel = c2.selectbox(t("tickets.channel"), tickets.CHANNELS)
        department = c3.selectbox(t("tickets.department"), tickets.DEPARTMENTS,
                                  index=tickets.DEPARTMENTS.index("工程"))
        urgency = c4.selectbox(t("tickets.urgency"), tickets.URGENCIES)
        categories = ticket_category_options(actor=actor)
        category_id = st.selectbox(t("tickets.category"), [None, *categories],
                                   format_func=lambda v: "—" if v is None else categories[v])
        c1, c2 = st.columns(2)
        caller_name = c1.text_input(t("tickets.caller"), value=caller_default,
                                    max_chars=64)
        caller_phone = c2.text_input(t("tickets.caller_phone"),
                                     value=text.strip() if text.strip().isdigit() and len(text.strip()) == 11
                                     else "", max_chars=20)
        content = st.text_area(t("tickets.content") + " *", max_chars=1000)
        uploads = st.file_uploader(t("tickets.photos_optional"), accept_multiple_files=True, key="tk:photos",
                                   type=PHOTO_TYPES, help=t("tickets.photos_help"))
        c1, c2 = st.columns(2)
        now = datetime.now(SHANGHAI)
        day = c1.date_input(t("tickets.received_day"), value=local_today(), format="YYYY-MM-DD")
        moment = c2.time_input(t("tickets.received_time"), value=now.time().replace(second=0, microsecond=0),
                               step=300)
        st.caption(t("tickets.received_hint"))
        if st.form_submit_button(t("tickets.submit"), type="primary"):
            request = tickets.Intake(
                ticket_type=ticket_type, channel=channel, estate_id=card.estate_id if card else 0,
                unit_id=unit_id, caller_name=caller_name, caller_phone=caller_phone, content=content,
                received_at=datetime.combine(day, moment, SHANGHAI), urgency=urgency, department=department,
                category_id=category_id)
            try:
                if card is None and ticket_type in ("报修", "投诉"):
                    raise DomainError("房屋：报修和投诉必须选择房屋（先输入电话或房号查找）")
                if card is None:
                    raise DomainError("房屋：请先输入电话或房号查找并选择房屋")
                photos = [(f.name, f.getvalue()) for f in uploads or []]
                _, number = tickets.take(actor=actor, intake=request, photos=photos)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("tickets.taken", number=number))
                st.rerun()


def board(name: str) -> None:
    spec = replace(specs.TICKETS, name=f"tickets_{name}")
    data_grid(spec, load=lambda q: list_tickets(actor=actor, query=q, board=name))
    ticket_id = picked_row(spec)
    if ticket_id is not None:
        st.divider()
        ticket_panel(actor, ticket_id, key=name)


def analysis() -> None:
    months = [kpi.Period.parse(local_today().strftime("%Y-%m"))]
    while len(months) < 12:
        months.append(months[-1].previous())
    months = [p.label for p in months]
    label = st.selectbox(t("tickets.period"), months, key="tk:period")
    period = kpi.Period.parse(label)
    now = datetime.now(SHANGHAI)
    as_of = min(period.last_instant, now)
    trend_periods = [kpi.Period.parse(mo) for mo in reversed(months[:6])]
    # the month, the one before it (for the deltas) and the 6-month trend in one computation, each month taken at
    # its last instant, the running month now
    wanted = {p.label: p for p in (*trend_periods, period, period.previous())}
    every = kpi.ticket_kpis_months(list(wanted.values()),
                                   as_of={mo: min(p.last_instant, now) for mo, p in wanted.items()}, scope=scope)
    figures, previous = every[period.label], every[period.previous().label]
    cols = st.columns(3)
    for i, key in enumerate(kpi.TICKET_KPI_KEYS):
        value, before = figures[key], previous[key]
        shown = str(value) if isinstance(value, int) else fmt.rate(value)
        delta = None
        if isinstance(value, Decimal) and isinstance(before, Decimal):
            delta = f"{(value - before) * 100:+.2f}%"
        target = kpi.TICKET_TARGETS.get(key)
        help_text = t("tickets.target", target=fmt.rate(target[0])) if target else None
        cols[i % 3].metric(kpi.TICKET_KPI_LABELS[key], shown, delta=delta, help=help_text,
                           delta_color="inverse" if target and target[1] == "max" else "normal")
    if on_demand(t("tickets.evidence"), key="tk:evidence_open"):
        key = st.selectbox(t("tickets.evidence_kpi"), kpi.TICKET_KPI_KEYS, format_func=kpi.TICKET_KPI_LABELS.get,
                           key="tk:evidence")
        evidence = kpi.ticket_kpi_evidence(period, key, as_of=as_of, scope=scope)
        if evidence.empty:
            st.caption(t("tickets.no_data"))
        else:
            for column in evidence.columns:
                if column.endswith("_at"):
                    evidence[column] = [fmt.moment(v) if v is not None and v == v else "" for v in evidence[column]]
            evidence["counts"] = [t("grid.yes") if v else t("grid.no") for v in evidence["counts"]]
            evidence = evidence.rename(columns={c: t(f"tickets.ev_{c}") for c in evidence.columns})
            st.caption(t("tickets.evidence_hint"))
            st.dataframe(capped(evidence), hide_index=True, width="stretch")
    if can(actor, "data.export"):
        st.download_button(t("grid.export"), data=lambda: month_workbook(period, as_of, figures),
                           icon=":material/download:",
                           file_name=f"报事分析-{period.label}.xlsx", key="tk:export",
                           mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    st.subheader(t("tickets.trend"))
    rows = []
    for p in trend_periods:
        values = every[p.label]
        for key, (target, _) in kpi.TICKET_TARGETS.items():
            if values[key] is not None:
                rows.append({"month": p.label, "kpi": kpi.TICKET_KPI_LABELS[key], "value": float(values[key] * 100),
                             "target": float(target * 100)})
    if rows:
        frame = pd.DataFrame(rows)
        line = alt.Chart().mark_line(point=True).encode(
            x=alt.X("month:N", title=None), y=alt.Y("value:Q", title="%", scale=alt.Scale(zero=False)),
            tooltip=[alt.Tooltip("month:N", title=t("tickets.month")), alt.Tooltip("kpi:N", title=""),
                     alt.Tooltip("value:Q", format=".2f", title="%")])
        rule = alt.Chart().mark_rule(strokeDash=[4, 4], color="#d62728").encode(y="target:Q")
        chart = alt.layer(line, rule, data=frame).properties(height=150, width=230).facet(
            facet=alt.Facet("kpi:N", title=None), columns=3).resolve_scale(y="independent")
        st.altair_chart(chart)
        st.caption(t("tickets.target_line"))
    else:
        st.info(t("tickets.no_data"))
    st.subheader(t("tickets.counts"))
    cols = st.columns(2)
    for i, (by, title) in enumerate([("ticket_type", t("tickets.type")), ("category", t("tickets.category")),
                                     ("department", t("tickets.department")), ("channel", t("tickets.channel")),
                                     ("building", t("units.building"))]):
        frame = month_counts(actor=actor, period=period, by=by)
        with cols[i % 2]:
            st.markdown(f"**{title}**")
            if frame.empty:
                st.caption(t("tickets.no_data"))
                continue
            frame["count"] = frame["count"].astype(int)
            st.altair_chart(alt.Chart(frame).mark_bar().encode(
                x=alt.X("count:Q", title=t("tickets.count")), y=alt.Y("key:N", sort="-x", title=None),
                tooltip=["key", "count"]).properties(height=max(80, 24 * len(frame))), width="stretch")


def month_workbook(period: kpi.Period, as_of: datetime, figures: dict | None = None) -> bytes:
    """The month's figures and counts as one Excel workbook (a sheet each); `figures`: the month's ticket figures
    at `as_of` when the caller has them already."""
    if figures is None:
        figures = kpi.ticket_kpis(period, as_of=as_of, scope=scope)
    sheets = {t("tickets.analysis"): pd.DataFrame(
        [{t("tickets.ev_kpi"): kpi.TICKET_KPI_LABELS[k], t("tickets.ev_value"): fmt.rate(v) if isinstance(v, Decimal)
          else ("—" if v is None else v),
          t("tickets.ev_target"): fmt.rate(kpi.TICKET_TARGETS[k][0]) if k in kpi.TICKET_TARGETS else ""}
         for k, v in figures.items()])}
    for by, title in (("ticket_type", t("tickets.type")), ("category", t("admin.ticket_categories")),
                      ("department", t("tickets.department")),
                      ("channel", t("tickets.channel")), ("building", t("units.building"))):
        sheets[title] = month_counts(actor=actor, period=period, by=by).rename(
            columns={"key": title, "count": t("tickets.count")})
    return excel_workbook(sheets)


RENDER = {"take": intake, "today": partial(board, "today"), "open": partial(board, "open"),
          "deadline": partial(board, "deadline"), "revisits": partial(board, "revisits"),
          "mine": partial(board, "mine"), "analysis": analysis, "import": partial(ticket_import_wizard, actor)}
# a caller half-found on 受理 (the search box and the unit picked) is still there after a look at a board
KEEP = {"take": ("tk:search", "tk:unit"), "analysis": ("tk:period",),
        **{board: grid_query_keys(f"tickets_{board}") for board in ("today", "open", "deadline", "revisits", "mine")}}
lazy_tabs("tickets:tab", [LazyTab(label, RENDER[name], keep=KEEP.get(name, ()), name=name) for name, label in names])
