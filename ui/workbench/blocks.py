"""The blocks of the home page 工作台, one per duty: a bordered card with its numbers, the few most urgent records,
and a link that opens the board or register behind them (`?tab=` opens the right tab, ui/kit/tabs.py).

Every number here comes from services/workbench/home.py (or the register that owns it), which reads the functions
the boards and reports use; this module only lays them out.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from services.platform.auth import Actor
from services.workbench import home
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.tables import plain

PAGES = {"tickets": "screens/tickets.py", "owners": "screens/owners.py", "fees": "screens/fees.py",
         "appraisal": "screens/appraisal.py", "relations": "screens/relations.py"}


def open_link(page: str, tab: str, label: str) -> None:
    """A link to `page` opened on its tab `tab` (a dotted path for a tab inside a tab)."""
    st.page_link(PAGES[page], label=label, icon=":material/arrow_forward:", query_params={"tab": tab},
                 width="content")


def metric_row(items: Sequence[tuple[str, Any]], *, width: int = 132) -> None:
    """Metrics side by side that wrap on a narrow screen (st.columns would stack them one per line)."""
    with st.container(horizontal=True, gap="small"):
        for label, value in items:
            st.metric(label, value, width=width)


def card(title: str, body: Callable[[], None], *, icon: str | None = None) -> None:
    with st.container(border=True):
        st.markdown(f"**{title}**" if icon is None else f"{icon} **{title}**")
        body()


def records(frame: pd.DataFrame, labels: Mapping[str, str], *, money: tuple[str, ...] = (),
            numbers: tuple[str, ...] = (), empty: str | None = None) -> None:
    """A short read-only list (the first few records behind a number), or a line saying there are none.

    A static table, not the interactive one: ten rows need no sorting or search, and it is drawn with the page
    (the canvas table paints after the run, blank for a moment on every home page and in screenshots)."""
    if frame is None or frame.empty:
        st.caption(empty or t("home.nothing"))
        return
    shown = frame[list(labels)].head(home.LIST_LIMIT).copy()
    for col in shown.columns:
        shown[col] = [fmt.money(v) if col in money else plain(v) for v in shown[col]]
    right = [labels[c] for c in (*money, *numbers) if c in labels]
    shown = shown.rename(columns=dict(labels))
    styled = shown.style.hide(axis="index").set_properties(subset=right, **{"text-align": "right !important"})
    st.table(styled)


def with_unit(frame: pd.DataFrame) -> pd.DataFrame:
    """`frame` with a `unit` column, 小区 + 房号, as the home lists records (from its `estate` and `code`)."""
    if frame.empty:
        return frame
    return frame.assign(unit=[f"{e} {c or ''}".strip() for e, c in zip(frame["estate"], frame["code"], strict=True)])


TICKET_LABELS = {"number": "tickets.number", "ticket_type": "tickets.type", "status": "tickets.status",
                 "unit": "home.unit", "content": "tickets.content", "deadline_at": "tickets.deadline_at"}


def ticket_table(frame: pd.DataFrame, *, columns: Sequence[str]) -> None:
    records(with_unit(frame), {c: t(TICKET_LABELS[c]) for c in columns})


def rate_metric(figure: home.Figure, *, width: int = 150) -> None:
    """One of the month's figures: its value, the change from last month, the target in the help and the label
    marked when the target is missed."""
    if isinstance(figure.value, Decimal):
        shown = fmt.rate(figure.value)
    else:
        shown = "—" if figure.value is None else str(figure.value)
    delta = None
    if isinstance(figure.value, Decimal) and isinstance(figure.previous, Decimal):
        delta = f"{(figure.value - figure.previous) * 100:+.2f}%"
    elif isinstance(figure.value, int) and isinstance(figure.previous, int):
        delta = f"{figure.value - figure.previous:+d}"
    help_text = None
    if figure.target is not None:
        help_text = t("home.target_min" if figure.direction == "min" else "home.target_max",
                      target=fmt.rate(figure.target))
    label = figure.label if figure.met is not False else f"{figure.label} ⚠"
    st.metric(label, shown, delta=delta, help=help_text, width=width,
              delta_color="inverse" if figure.direction == "max" or figure.key == "effective_complaints"
              else "normal")


def trend_chart(frame: pd.DataFrame) -> None:
    """The 12-month lines of the manager's rates with each one's target as a dashed red line."""
    shown = frame[frame["value"].notna()]
    if shown.empty:
        st.caption(t("home.no_trend"))
        return
    data = pd.DataFrame({
        "month": shown["month"], "kpi": shown["label"],
        "value": [float(v * 100) for v in shown["value"]],
        "target": [None if v is None else float(v * 100) for v in shown["target"]],
    })
    line = alt.Chart().mark_line(point=True).encode(
        x=alt.X("month:N", title=None, axis=alt.Axis(labelAngle=-45)),
        y=alt.Y("value:Q", title="%", scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:N", title=t("home.month")), alt.Tooltip("kpi:N", title=""),
                 alt.Tooltip("value:Q", format=".2f", title="%")])
    rule = alt.Chart().mark_rule(strokeDash=[4, 4], color="#d62728").encode(y="target:Q")
    chart = alt.layer(line, rule, data=data).properties(height=160, width=260).facet(
        facet=alt.Facet("kpi:N", title=None), columns=3).resolve_scale(y="independent")
    st.altair_chart(chart)
    st.caption(t("home.target_line"))


def aging_table(month: home.ManagerMonth) -> None:
    records(month.aging, {"账龄": t("home.aging"), "户数": t("home.households"), "笔数": t("home.bills"),
                          "欠费金额": t("home.owed")}, money=("欠费金额",), numbers=("户数", "笔数"),
            empty=t("home.no_arrears"))


def welcome(actor: Actor) -> None:
    st.title(t("home.title"))
    st.caption(t("home.welcome", name=actor.display_name, at=home.now_label()))
