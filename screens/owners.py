"""房屋档案 (/owners): the record the whole service centre works from.

查找 finds a unit or person in one box and opens the unit card with its workflows;
the other tabs are the registers (units, people, parking, keys, renovation, vacancy),
each filtered, sorted and paged in SQL, editable where the role allows.
"""

import streamlit as st

from services import households, keys, parking, renovation
from services.auth import can
from services.errors import DomainError
from services.people import list_people, update_people
from services.reference import building_options, estate_options
from services.units import UNIT_KINDS, UNIT_STATUSES, list_units, update_units
from ui import specs
from ui.asset_import import import_wizard
from ui.grid import data_grid
from ui.i18n import t
from ui.session import current_actor, flash
from ui.unit_card import SELECTED, render_card, search_box

actor = current_actor()
st.title(t("units.title"))

ALL = None
tab_names = ["查找", "房屋", "人员", "车位", "钥匙", "装修", "空置房"]
if can(actor, "assets.import"):
    tab_names.append("导入")
tabs = dict(zip(tab_names, st.tabs(tab_names), strict=True))

with tabs["查找"]:
    search_box(actor)
    unit_id = st.session_state.get(SELECTED)
    if unit_id is not None:
        st.divider()
        render_card(actor, households.unit_card(actor=actor, unit_id=unit_id))

with tabs["房屋"]:
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

with tabs["人员"]:
    st.caption("手机号和身份证号已隐去中间位；在房屋卡片中可查看完整号码（有权限的角色，查看会记入操作日志）。")
    data_grid(specs.PEOPLE, load=lambda q: list_people(actor=actor, query=q),
              save=(lambda edits: update_people(actor=actor, edits=edits)) if can(actor, "people.edit") else None)

with tabs["车位"]:
    st.subheader("30 天内到期的车位租赁")
    data_grid(specs.LEASES_EXPIRING,
              load=lambda q: parking.list_leases(actor=actor, query=q,
                                                 expiring_within_days=parking.EXPIRING_DAYS))
    st.subheader("车位")
    data_grid(specs.SPACES, load=lambda q: parking.list_spaces(actor=actor, query=q),
              save=(lambda edits: parking.update_spaces(actor=actor, edits=edits))
              if can(actor, "parking.manage") else None)
    if can(actor, "parking.manage"):
        with st.expander("新增车位"), st.form("add_space", clear_on_submit=True):
            estates = estate_options(actor=actor)
            c1, c2, c3 = st.columns(3)
            space_estate = c1.selectbox("小区", [e[0] for e in estates], format_func=dict(estates).get)
            number = c2.text_input("车位号 *", max_chars=16)
            space_kind = c3.selectbox("类型", parking.SPACE_KINDS)
            if st.form_submit_button("新增", type="primary"):
                try:
                    parking.add_space(actor=actor, estate_id=space_estate, number=number, kind=space_kind)
                except DomainError as exc:
                    st.error(exc.message)
                else:
                    flash(f"车位 {number} 已新增")
                    st.rerun()
    st.subheader("全部租赁")
    data_grid(specs.LEASES, load=lambda q: parking.list_leases(actor=actor, query=q))

with tabs["钥匙"]:
    st.subheader("逾期未还")
    data_grid(specs.OVERDUE_KEYS, load=lambda q: keys.overdue_loans(actor=actor, query=q))
    st.subheader("钥匙台账")
    data_grid(specs.KEYS, load=lambda q: keys.list_keys(actor=actor, query=q))

with tabs["装修"]:
    data_grid(specs.RENOVATIONS, load=lambda q: renovation.list_renovations(actor=actor, query=q))

with tabs["空置房"]:
    st.caption("空置和已交房未入住的房屋，最久未巡查的在前。在房屋卡片中登记巡查。")
    data_grid(specs.VACANCY, load=lambda q: households.vacancy_ledger(actor=actor, query=q))

if "导入" in tabs:
    with tabs["导入"]:
        import_wizard(actor)
