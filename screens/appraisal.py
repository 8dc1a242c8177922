"""员工考核 (/appraisal): the month's scorecards, charts, incidents, attendance, staff records and the rules.

Every member of staff reaches the page for their own scorecards; what else shows depends on the role
(managers: their department; the admin: everybody; the clerk: the attendance sheet).
"""

from functools import partial

import streamlit as st

from services.platform.auth import can
from ui.appraisal.cards import mine_tab, month_tab
from ui.appraisal.charts import charts_tab
from ui.appraisal.records import attendance_tab, incidents_tab, staff_tab
from ui.appraisal.setup import setup_tab
from ui.kit.i18n import t
from ui.kit.session import current_actor
from ui.kit.tabs import LazyTab, grid_query_keys, lazy_tabs

actor = current_actor()
st.title(t("appraisal.title"))

# tab -> (label key, whether the actor sees it, what renders it)
TABS = (
    ("month", "appraisal.tab_month", can(actor, "appraisal.manage"), month_tab),
    ("mine", "appraisal.tab_mine", actor.staff_id is not None, mine_tab),
    ("charts", "appraisal.tab_charts", True, charts_tab),
    ("incidents", "appraisal.tab_incidents", can(actor, "incidents.record"), incidents_tab),
    ("attendance", "appraisal.tab_attendance", can(actor, "attendance.edit"), attendance_tab),
    ("staff", "appraisal.tab_staff", can(actor, "staff.manage"), staff_tab),
    ("setup", "appraisal.tab_setup", True, setup_tab),
)
shown = [tab for tab in TABS if tab[2]]
# the choices a user finds again on coming back to a tab: the month, the scorecard open, the person, the filters
KEEP = {
    "month": ("ap:month", "ap:open:"),
    "mine": ("ap:mine",),
    "charts": ("ap:trend_person", "ap:dist_month"),
    "incidents": ("ap:inc_month",),
    "attendance": ("ap:att_month", "ap:att_exceptions", "ap:att_person", *grid_query_keys("attendance")),
    "staff": grid_query_keys("staff"),
    "setup": ("appraisal:setup:tab", "ap:catalog_post", "ap:rule_pick", "ap:type_pick"),
}
lazy_tabs("appraisal:tab", [LazyTab(t(label), partial(render, actor), keep=KEEP.get(name, ()), name=name)
                            for name, label, _, render in shown])
