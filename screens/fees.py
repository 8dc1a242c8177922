"""收费 (/fees): the cashier counter, approvals, daily settlement, billing runs and meter readings,
arrears and dunning, reports, and the import of historical arrears."""

from functools import partial

import streamlit as st

from services.platform.auth import can
from ui.fees.arrears import KEEP as arrears_keep
from ui.fees.arrears import arrears_tab
from ui.fees.arrears_import import import_tab
from ui.fees.billing import billing_tab, meter_tab
from ui.fees.counter import approvals_tab, counter_tab, settlement_tab
from ui.fees.reports import reports_tab
from ui.kit.i18n import t
from ui.kit.session import current_actor
from ui.kit.tabs import LazyTab, lazy_tabs

actor = current_actor()
st.title(t("fees.title"))

# tab -> (label key, the permission that shows it, what renders it)
TABS = (
    ("counter", "fees.tab_counter", "fees.collect", counter_tab),
    ("approvals", "fees.tab_approvals", "fees.request", approvals_tab),
    ("settlement", "fees.tab_settlement", "fees.settle", settlement_tab),
    ("arrears", "fees.tab_arrears", "fees.view", arrears_tab),
    ("billing", "fees.tab_billing", "fees.bill", billing_tab),
    ("meters", "fees.tab_meters", "fees.meter", meter_tab),
    ("reports", "fees.tab_reports", "fees.view", reports_tab),
    ("import", "fees.tab_import", "fees.import", import_tab),
)
# a manager reads cashiers' settlement sheets (read-only) without settling a day of their own
shown = [tab for tab in TABS if can(actor, tab[2]) or (tab[0] == "settlement" and can(actor, "fees.approve"))]
# the widget values a user finds again on coming back to a tab (ui/kit/tabs.py: value widgets, never buttons)
KEEP = {
    "counter": ("owners:search",),
    "arrears": arrears_keep,
    "billing": ("fees:bill:period",),
    "meters": ("fees:meter:period", "fees:meter:read_on", "fees:meter:building"),
    "reports": ("fees:report:kind", "fees:report:rec:period", "fees:report:rec:estate", "fees:report:kpi:period",
                "fees:report:kpi:estate", "fees:report:kpi:group", "fees:report:set:from", "fees:report:set:to"),
}
lazy_tabs("fees:tab", [LazyTab(t(label), partial(render, actor), keep=KEEP.get(name, ()), name=name)
                       for name, label, _, render in shown])
