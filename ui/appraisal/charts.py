"""Appraisal charts: a person's KPIs against target over twelve months, and the month's scores by department.

Values come from the scorecards (what each month's card recorded), converted to floats for drawing only.
"""

from __future__ import annotations

import altair as alt
import streamlit as st

from services.appraisal import scorecards as appraisal
from services.appraisal.staff import staff_choices
from services.fees.reports import month_labels
from services.platform.auth import Actor, can
from services.platform.errors import DomainError
from ui.kit.i18n import t


def trend_chart(actor: Actor, staff_id: int) -> None:
    """Each KPI of the person over the last twelve months with its target as a dashed red line."""
    months = month_labels(count=12, ahead=-1)
    try:
        frame = appraisal.kpi_trend(actor=actor, staff_id=staff_id, months=months)
    except DomainError as exc:
        st.error(exc.message)
        return
    if frame.empty:
        st.caption(t("appraisal.no_trend"))
        return
    frame = frame.assign(title=frame["kpi"] + "（" + frame["unit"] + "）")
    line = alt.Chart().mark_line(point=True).encode(
        x=alt.X("month:N", title=None, sort=sorted(months)),
        y=alt.Y("value:Q", title=None, scale=alt.Scale(zero=False)),
        tooltip=[alt.Tooltip("month:N", title=t("appraisal.month")), alt.Tooltip("kpi:N", title=t("appraisal.kpi")),
                 alt.Tooltip("value:Q", format=",.2f", title=t("appraisal.value")),
                 alt.Tooltip("target:Q", format=",.2f", title=t("appraisal.target"))])
    rule = alt.Chart().mark_rule(strokeDash=[4, 4], color="#d62728").encode(y="mean(target):Q")
    chart = alt.layer(line, rule, data=frame).properties(height=160, width=260).facet(
        facet=alt.Facet("title:N", title=None), columns=3).resolve_scale(y="independent").resolve_axis(
        x="independent")  # each chart its own month axis (a shared one hangs below an empty cell)
    st.altair_chart(chart)
    st.caption(t("appraisal.target_line"))


def charts_tab(actor: Actor) -> None:
    """A person's trend (managers pick anyone in their view) and the month's score distribution."""
    if can(actor, "appraisal.manage"):
        people = staff_choices(actor=actor)
        if not people:
            st.info(t("appraisal.nobody"))
            return
        default = list(people).index(actor.staff_id) if actor.staff_id in people else 0
        staff_id = st.selectbox(t("appraisal.person"), list(people), index=default, format_func=people.get,
                                key="ap:trend_person")
    else:
        staff_id = actor.staff_id
        if staff_id is None:
            st.info(t("appraisal.no_staff_link"))
            return
    st.markdown(f"**{t('appraisal.trend')}**")
    trend_chart(actor, staff_id)
    if not can(actor, "appraisal.manage"):
        return
    st.markdown(f"**{t('appraisal.distribution')}**")
    period = st.selectbox(t("appraisal.month"), month_labels(count=13), index=1, key="ap:dist_month", width=240)
    frame = appraisal.score_distribution(actor=actor, period=period)
    if frame.empty:
        st.caption(t("appraisal.no_scores"))
        return
    box = alt.Chart().mark_boxplot(extent="min-max", size=28, opacity=0.35).encode(
        x=alt.X("score:Q", title=t("appraisal.score"), scale=alt.Scale(zero=False)),
        y=alt.Y("department:N", title=None))
    dots = alt.Chart().mark_circle(size=70).encode(
        x="score:Q", y="department:N", color=alt.Color("status:N", title=t("appraisal.status")),
        tooltip=[alt.Tooltip("name:N", title=t("appraisal.name")),
                 alt.Tooltip("score:Q", format=".2f", title=t("appraisal.score")),
                 alt.Tooltip("status:N", title=t("appraisal.status"))])
    st.altair_chart(alt.layer(box, dots, data=frame).properties(height=max(120, 70 * frame["department"].nunique())),
                    width="stretch")
