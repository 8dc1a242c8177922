"""客户关系 (/relations): the service centre's registers beyond tickets and fees — surveys, owner visits,
community activities and bulletins, notices, lost and found, paid services, inspections and violations, and the
duty log with its handover. Each tab is one register (ui/relations/<register>.py): a grid filtered, sorted and
paged in SQL with Excel export, and the forms of its workflow."""

from functools import partial

import streamlit as st

from services.platform.auth import can
from ui.kit.i18n import t
from ui.kit.session import current_actor
from ui.kit.tabs import LazyTab, lazy_tabs
from ui.relations import (
    activities,
    handover,
    inspections,
    lost_found,
    notices,
    paid_services,
    surveys,
    visits,
)

actor = current_actor()
st.title(t("relations.title"))

# tab -> (label key, the actions any of which shows it, its module, what renders it)
TABS = (
    ("surveys", "relations.tab_surveys", ("surveys.record", "surveys.manage"), surveys, surveys.survey_tab),
    ("visits", "relations.tab_visits", ("visits.record", "visits.plan"), visits, visits.visits_tab),
    ("activities", "relations.tab_activities", ("activities.manage",), activities, activities.activities_tab),
    ("notices", "relations.tab_notices", ("notices.write", "notices.publish"), notices, notices.notices_tab),
    ("lost", "relations.tab_lost", ("lost.manage",), lost_found, lost_found.lost_found_tab),
    ("services", "relations.tab_services", ("services.order", "services.complete", "services.manage"),
     paid_services, paid_services.paid_services_tab),
    ("inspections", "relations.tab_inspections", ("inspections.record", "violations.manage"), inspections,
     inspections.inspections_tab),
    ("handover", "relations.tab_handover", ("handover.write",), handover, handover.handover_tab),
)
shown = [tab for tab in TABS if any(can(actor, action) for action in tab[2])]
lazy_tabs("relations:tab", [LazyTab(t(label), partial(render, actor), keep=module.KEEP, name=name)
                            for name, label, _actions, module, render in shown])
