"""房屋档案 (/owners): the record the whole service centre works from.

查找 finds a unit or person in one box and opens the unit card with its workflows;
the other tabs are the registers (units, people, parking, keys, renovation, vacancy),
each filtered, sorted and paged in SQL, editable where the role allows.
"""

import streamlit as st

import ui.fees.card  # noqa: F401  (registers the 收费 section of the unit card)
from services.admin.reference import building_options, estate_options
from services.estate import households, keys, parking, renovation
from services.estate.people import list_people, update_people
from services.estate.units import UNIT_KINDS, UNIT_STATUSES, list_units, update_units
from services.platform.auth import can
from services.platform.errors import DomainError
from ui.estate.asset_import import import_wizard
from ui.estate.unit_card import SELECTED, render_card, search_box
from ui.kit import specs
from ui.kit.grid import data_grid
from ui.kit.i18n import t
from ui.kit.session import current_actor, flash
from ui.kit.tabs import LazyTab, grid_query_keys, lazy_tabs

actor = current_actor()
st.title(t("units.title"))

ALL = None
# tabs by a stable name; the labels follow the language switch
tab_labels = {"find": t("owners.tab_find"), "units": t("owners.tab_units"), "people": t("owners.tab_people"),
              "parking": t("owners.tab_parking"), "keys": t("owners.tab_keys"),
              "renovation": t("owners.tab_renovation"), "vacancy": t("owners.tab_vacancy")}
if can(actor, "assets.import"):
    tab_labels["import"] = t("owners.tab_import")


def find_tab() -> None:
    search_box(actor)
    unit_id = st.session_state.get(SELECTED)
    if unit_id is not None:
        st.divider()
        render_card(actor, households.unit_card(actor=actor, unit_id=unit_id))


def units_tab() -> None:
    editable = can(actor, "units.edit")
    st.caption(t("units.caption") if editable else t("grid.readonly"))
    estates = estate_options(actor=actor)
    c1, c2, c3, c4 = st.columns(4)
    estate_id = c1.selectbox(t("units.estate"), [ALL, *[e[0] for e in estates]],
                             format_func=lambda v: t("grid.all") if v is None else dict(estates)[v],
                             key="units:estate")
    buildings = building_options(actor=actor, estate_id=estate_id)
    building_id = c2.selectbox(t("units.building"), [ALL, *[b[0] for b in buildings]],
                               format_func=lambda v: t("grid.all") if v is None else dict(buildings)[v],
                               key="units:building", disabled=estate_id is None, placeholder=t("grid.all"))
    kind = c3.selectbox(t("units.kind"), [ALL, *UNIT_KINDS],
                        format_func=lambda v: t("grid.all") if v is None else v, key="units:kind")
    status = c4.selectbox(t("units.status"), [ALL, *UNIT_STATUSES],
                          format_func=lambda v: t("grid.all") if v is None else v, key="units:status")
    if building_id is not None and building_id not in dict(buildings):
        building_id = None
    data_grid(
        specs.UNITS,
        load=lambda q: list_units(actor=actor, query=q),
        save=(lambda edits: update_units(actor=actor, edits=edits)) if editable else None,
        filters={"estate_id": estate_id, "building_id": building_id, "kind": kind, "status": status},
    )


def people_tab() -> None:
    st.caption(t("owners.people_caption"))
    data_grid(specs.PEOPLE, load=lambda q: list_people(actor=actor, query=q),
              save=(lambda edits: update_people(actor=actor, edits=edits)) if can(actor, "people.edit") else None)


def parking_tab() -> None:
    st.subheader(t("owners.leases_expiring", days=parking.EXPIRING_DAYS))
    data_grid(specs.LEASES_EXPIRING,
              load=lambda q: parking.list_leases(actor=actor, query=q,
                                                 expiring_within_days=parking.EXPIRING_DAYS))
    st.subheader(t("owners.spaces"))
    data_grid(specs.SPACES, load=lambda q: parking.list_spaces(actor=actor, query=q),
              save=(lambda edits: parking.update_spaces(actor=actor, edits=edits))
              if can(actor, "parking.manage") else None)
    if can(actor, "parking.manage"):
        with st.expander(t("owners.add_space")), st.form("add_space", clear_on_submit=True):
            estates = estate_options(actor=actor)
            c1, c2, c3 = st.columns(3)
            space_estate = c1.selectbox(t("owners.space_estate"), [e[0] for e in estates],
                                        format_func=dict(estates).get)
            number = c2.text_input(t("owners.space_number"), max_chars=16)
            space_kind = c3.selectbox(t("owners.space_kind"), parking.SPACE_KINDS)
            if st.form_submit_button(t("owners.add"), type="primary"):
                try:
                    parking.add_space(actor=actor, estate_id=space_estate, number=number, kind=space_kind)
                except DomainError as exc:
                    st.error(exc.message)
                else:
                    flash(t("owners.space_added", number=number))
                    st.rerun()
    st.subheader(t("owners.all_leases"))
    data_grid(specs.LEASES, load=lambda q: parking.list_leases(actor=actor, query=q))


def keys_tab() -> None:
    st.subheader(t("owners.overdue_keys"))
    data_grid(specs.OVERDUE_KEYS, load=lambda q: keys.overdue_loans(actor=actor, query=q))
    st.subheader(t("owners.key_register"))
    data_grid(specs.KEYS, load=lambda q: keys.list_keys(actor=actor, query=q))


def renovation_tab() -> None:
    data_grid(specs.RENOVATIONS, load=lambda q: renovation.list_renovations(actor=actor, query=q))


def vacancy_tab() -> None:
    st.caption(t("owners.vacancy_caption"))
    data_grid(specs.VACANCY, load=lambda q: households.vacancy_ledger(actor=actor, query=q))


def import_tab() -> None:
    import_wizard(actor)


RENDER = {"find": find_tab, "units": units_tab, "people": people_tab, "parking": parking_tab, "keys": keys_tab,
          "renovation": renovation_tab, "vacancy": vacancy_tab, "import": import_tab}
# what a user finds again on coming back to a tab: the search box, the filters, each grid's search and sort
KEEP = {"find": ("owners:search", "card:tab"), "units": ("units:", *grid_query_keys("units")),
        "people": grid_query_keys("people"), "parking": grid_query_keys("leases_expiring", "spaces", "leases"),
        "keys": grid_query_keys("overdue_keys", "keys"), "renovation": grid_query_keys("renovations"),
        "vacancy": grid_query_keys("vacancy")}
lazy_tabs("owners:tab", [LazyTab(label, RENDER[name], keep=KEEP.get(name, ()), name=name) for name, label in tab_labels.items()])
