"""操作日志 (/audit): who changed what and when; filter by person, entity and date; export."""

from datetime import timedelta

import streamlit as st

from services.admin.audit_log import list_actors, list_audit
from services.platform.audit import ENTITY_LABELS
from services.platform.clock import local_today
from ui.kit import specs
from ui.kit.grid import data_grid
from ui.kit.i18n import t
from ui.kit.session import current_actor

actor = current_actor()
st.title(t("audit.title"))
st.caption(t("audit.caption"))

c1, c2, c3, c4 = st.columns(4)
actors = list_actors(actor=actor)
who = c1.selectbox(t("audit.actor"), [None, *actors],
                   format_func=lambda v: t("grid.all") if v is None else actors.get(v, v), key="audit:actor")
entity = c2.selectbox(t("audit.entity"), [None, *ENTITY_LABELS],
                      format_func=lambda v: t("grid.all") if v is None else ENTITY_LABELS[v], key="audit:entity")
today = local_today()
date_from = c3.date_input(t("audit.date_from"), value=today - timedelta(days=30), key="audit:from",
                          format="YYYY-MM-DD")
date_to = c4.date_input(t("audit.date_to"), value=today, key="audit:to", format="YYYY-MM-DD")

data_grid(
    specs.AUDIT,
    load=lambda q: list_audit(actor=actor, query=q),
    filters={"actor": who, "entity": entity, "date_from": date_from, "date_to": date_to},
)
