"""员工考核 (/appraisal): the month's scorecards, charts, incidents, attendance, staff records and the rules.

Every member of staff reaches the page for their own scorecards; what else shows depends on the role
(managers: their department; the admin: everybody; the clerk: the attendance sheet).
"""

import streamlit as st

from services.platform.auth import can
from ui.appraisal.cards import mine_tab, month_tab
from ui.appraisal.charts import charts_tab
from ui.appraisal.records import attendance_tab, incidents_tab, staff_tab
from ui.appraisal.setup import setup_tab
from ui.kit.i18n import t
from ui.kit.session import current_actor

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
for (_name, _label, _shown, render), container in zip(shown, st.tabs([t(label) for _, label, _, _ in shown]),
                                                       strict=True):
    with container:
        render(actor)
