"""首页: the day's picture for whoever signs in — units by estate and status."""

import altair as alt
import streamlit as st

from services.estate.statuses import UnitStatus
from services.estate.units import unit_summary
from ui.kit.i18n import t
from ui.kit.session import current_actor

actor = current_actor()
st.title(t("home.title"))
st.caption(t("home.welcome", name=actor.display_name))

summary = unit_summary(actor=actor)
if summary.empty:
    st.info(t("home.no_units"))
else:
    by_status = summary.groupby("status")["count"].sum()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric(t("home.units_total"), f"{int(summary['count'].sum()):,}")
    c2.metric(t("home.occupied"), f"{int(by_status.get('已入住', 0)):,}")
    c3.metric(t("home.vacant"), f"{int(by_status.get('空置', 0)):,}")
    c4.metric(t("home.renovating"), f"{int(by_status.get('装修中', 0)):,}")
    st.subheader(t("home.by_status"))
    chart = (
        alt.Chart(summary)
        .mark_bar()
        .encode(
            x=alt.X("sum(count):Q", title=t("home.units_total")),
            y=alt.Y("estate:N", title=t("units.estate")),
            color=alt.Color("status:N", title=t("units.status"),
                            sort=[UnitStatus.OCCUPIED, UnitStatus.RENTED, UnitStatus.RENOVATING,
                                  UnitStatus.HANDED_OVER, UnitStatus.VACANT, UnitStatus.UNSOLD]),
            tooltip=[alt.Tooltip("estate:N", title=t("units.estate")),
                     alt.Tooltip("status:N", title=t("units.status")),
                     alt.Tooltip("count:Q", title=t("home.units_total"))],
        )
        .properties(height=160)
    )
    st.altair_chart(chart, width="stretch")
