"""房屋档案 (/owners): find a unit and keep its record right.

Filters by estate, building, type and status run in SQL; editable cells depend on
the role (units.edit). Later issues add the unit card and the people workflows here.
"""

import streamlit as st

from services.auth import can
from services.listing import ListQuery
from services.reference import building_options, estate_options
from services.units import UNIT_KINDS, UNIT_STATUSES, list_units, update_units
from ui import specs
from ui.grid import data_grid
from ui.i18n import t
from ui.session import current_actor

actor = current_actor()
st.title(t("units.title"))
editable = can(actor, "units.edit")
st.caption(t("units.caption") if editable else t("grid.readonly"))

ALL = None
estates = estate_options(actor=actor)
c1, c2, c3, c4 = st.columns(4)
estate_id = c1.selectbox(t("units.estate"), [ALL, *[e[0] for e in estates]],
                         format_func=lambda v: t("grid.all") if v is None else dict(estates)[v],
                         key="units:estate")
buildings = building_options(actor=actor, estate_id=estate_id)
building_id = c2.selectbox(t("units.building"), [ALL, *[b[0] for b in buildings]],
                           format_func=lambda v: t("grid.all") if v is None else dict(buildings)[v],
                           key="units:building", disabled=estate_id is None)
kind = c3.selectbox(t("units.kind"), [ALL, *UNIT_KINDS],
                    format_func=lambda v: t("grid.all") if v is None else v, key="units:kind")
status = c4.selectbox(t("units.status"), [ALL, *UNIT_STATUSES],
                      format_func=lambda v: t("grid.all") if v is None else v, key="units:status")
if building_id is not None and building_id not in dict(buildings):
    building_id = None


def load(query: ListQuery):
    return list_units(actor=actor, query=query)


def save(edits):
    return update_units(actor=actor, edits=edits)


data_grid(
    specs.UNITS,
    load=load,
    save=save if editable else None,
    filters={"estate_id": estate_id, "building_id": building_id, "kind": kind, "status": status},
)
