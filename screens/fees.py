"""收费 (/fees): the cashier counter, approvals, daily settlement, billing runs and meter readings,
arrears and dunning, reports, and the import of historical arrears."""

import streamlit as st

from services.platform.auth import can
from ui.fees.arrears import arrears_tab
from ui.fees.arrears_import import import_tab
from ui.fees.billing import billing_tab, meter_tab
from ui.fees.counter import approvals_tab, counter_tab, settlement_tab
from ui.fees.reports import reports_tab
from ui.kit.i18n import t
from ui.kit.session import current_actor

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
for (_name, _label, _action, render), container in zip(shown, st.tabs([t(label) for _, label, _, _ in shown]),
                                                        strict=True):
    with container:
        render(actor)
