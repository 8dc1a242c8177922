"""欠费催缴 tab of /fees: who owes what (by building, collector and age), the 催缴 due this week, the
owing units with their dunning log and a form to log a contact, batch 催缴通知单 PDFs for a building,
and the assignment of units to a collector.

Decisions:
- Charts get money as integer cents and divide by 100 in the chart itself: no float in Python.
- Notices are printed as of today with a pay-by day the user picks (default 15 days); the service draws them
  (company name and contact line from the settings). The PDF bytes stay in this user's session only, for the
  building and day they were made for.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from functools import partial

import altair as alt
import pandas as pd
import streamlit as st

from services.admin.reference import building_options, estate_options
from services.fees import arrears
from services.fees.reports import building_units, collector_options
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.platform.excel import frame_to_bytes
from ui.fees.card import XLSX_MIME, dunning_form, dunning_log_table, export_button
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import MAX_SHOWN_ROWS, money_table
from ui.kit.tabs import LazyTab, lazy_tabs

GROUP = "fees:arrears:group"
# the owing-units filters and the unit picked, kept while another tab is looked at
UNIT_FILTERS = ("fees:arrears:units:building", "fees:arrears:units:collector", "fees:arrears:units:months",
                "fees:arrears:dun:unit")
# what of this tab is kept while another tab of /fees is looked at (ui/kit/tabs.py: value widgets only)
KEEP = ("fees:arrears:estate", "fees:arrears:tab", GROUP, *UNIT_FILTERS)
PDF = "fees:arrears:pdf"  # (building id, pay-by day, today, count, bytes) of the notices made last
GROUPS = ("building", "collector", "age", "estate")


def _cents(values) -> list[int]:
    return [int(v.scaleb(2)) for v in values]


def owed_chart(summary: pd.DataFrame, group_label: str) -> alt.Chart:
    """Horizontal bars of the amount owed per group (cents in, yuan on the axis)."""
    data = pd.DataFrame({"group": list(summary.iloc[:, 0]), "cents": _cents(summary["欠费金额"]),
                         "households": list(summary["户数"])})
    return (alt.Chart(data).transform_calculate(yuan="datum.cents / 100")
            .mark_bar(color="#c0392b")
            .encode(y=alt.Y("group:N", title=group_label, sort=None),
                    x=alt.X("yuan:Q", title=t("fees.arrears_amount_axis")),
                    tooltip=[alt.Tooltip("group:N", title=group_label),
                             alt.Tooltip("yuan:Q", title=t("fees.arrears_amount"), format=",.2f"),
                             alt.Tooltip("households:Q", title=t("fees.arrears_households"))])
            .properties(height=alt.Step(30)))


def arrears_tab(actor: Actor) -> None:
    st.caption(t("fees.arrears_caption"))
    estates = dict(estate_options(actor=actor))
    estate_id = st.selectbox(t("fees.arrears_estate"), [None, *estates], key="fees:arrears:estate",
                             placeholder=t("fees.bill_all_estates"),
                             format_func={None: t("fees.bill_all_estates"), **estates}.__getitem__)
    tabs = [LazyTab(t("fees.arrears_tab_summary"), partial(_summary, actor, estate_id), keep=(GROUP,),
                    name="summary"),
            LazyTab(t("fees.arrears_tab_units"), partial(_units, actor, estate_id), keep=UNIT_FILTERS, name="units"),
            LazyTab(t("fees.arrears_tab_notices"), partial(_notices, actor, estate_id, estates), name="notices")]
    if can(actor, "fees.edit"):
        tabs.append(LazyTab(t("fees.arrears_tab_collectors"), partial(_collectors, actor, estate_id, estates),
                            name="collectors"))
    lazy_tabs("fees:arrears:tab", tabs)


def _group_label(group: str) -> str:
    return t(f"fees.arrears_by_{group}")


def _summary(actor: Actor, estate_id: int | None) -> None:
    group = st.radio(t("fees.arrears_group"), GROUPS, format_func={g: _group_label(g) for g in GROUPS}.__getitem__,
                     horizontal=True, key=GROUP)
    summary = arrears.arrears_summary(actor=actor, group=group, estate_id=estate_id)
    first = summary.columns[0]
    c1, c2 = st.columns(2)
    c1.metric(t("fees.arrears_total"), fmt.money(sum(summary["欠费金额"], Decimal("0.00"))))
    c2.metric(t("fees.arrears_bills"), f"{int(summary['笔数'].sum()) if not summary.empty else 0:,}")
    if group == "age":
        st.caption(t("fees.arrears_age_hint"))
    left, right = st.columns([1, 1])
    with left:
        money_table(summary, {first: _group_label(group), "户数": t("fees.arrears_households"),
                              "笔数": t("fees.arrears_bills"), "欠费金额": t("fees.arrears_amount"),
                              "最早期间": t("fees.arrears_oldest")},
                    money=("欠费金额",), numbers=("户数", "笔数"), key="fees:arrears:summary")
        if not summary.empty:
            export_button(actor, summary, sheet="欠费汇总", file_name=f"欠费汇总-{first}.xlsx",
                          key="fees:arrears:summary:export")
    with right:
        if not summary.empty:
            st.altair_chart(owed_chart(summary, _group_label(group)), width="stretch")
    due = arrears.dunning_due(actor=actor)
    st.subheader(t("fees.arrears_due_title"))
    st.caption(t("fees.arrears_due_caption", n=len(due)))
    money_table(due, {"房屋": t("fees.arrears_unit"), "现欠费": t("fees.arrears_owed_now"),
                      "上次结果": t("fees.arrears_last_outcome"), "承诺日期": t("fees.arrears_promised_on"),
                      "下次催缴": t("fees.arrears_next_on"), "经办人": t("fees.arrears_by"),
                      "逾期承诺": t("fees.arrears_broken_promise")},
                money=("现欠费",), key="fees:arrears:due")


# --- owing units and 催缴 ------------------------------------------------------------------------------


def _units(actor: Actor, estate_id: int | None) -> None:
    buildings = dict(building_options(actor=actor, estate_id=estate_id)) if estate_id is not None else {}
    c1, c2, c3 = st.columns(3)
    building_id = c1.selectbox(t("fees.arrears_building"), [None, *buildings], key="fees:arrears:units:building",
                               disabled=estate_id is None, placeholder=t("fees.bill_all_estates"),
                               format_func={None: t("fees.bill_all_estates"), **buildings}.__getitem__)
    if building_id not in buildings:
        building_id = None
    collectors = arrears.owing_collectors(actor=actor, estate_id=estate_id, building_id=building_id)
    collector = c2.selectbox(t("fees.arrears_collector"), [None, *collectors], key="fees:arrears:units:collector",
                             placeholder=t("fees.bill_all_estates"),
                             format_func={None: t("fees.bill_all_estates"), **{c: c for c in collectors}}.__getitem__)
    min_months = c3.number_input(t("fees.arrears_min_months"), min_value=1, max_value=120, value=1, step=1,
                                 key="fees:arrears:units:months")
    # filtered, grouped and cut to the units owing most in SQL: at most MAX_SHOWN_ROWS rows reach the browser
    scope = {"estate_id": estate_id, "building_id": building_id, "collector": collector, "min_months": int(min_months)}
    listed = arrears.owing_list(actor=actor, limit=MAX_SHOWN_ROWS, **scope)
    owing, n, total = listed.frame, listed.count, listed.total
    st.markdown(t("fees.arrears_units_count", n=n, total=fmt.money(total if n else None)))
    if n > len(owing):
        st.caption(t("fees.arrears_units_capped", shown=len(owing), more=n - len(owing)))
    labels = {"房屋": t("fees.arrears_unit"), "业主": t("fees.arrears_payer"), "欠费金额": t("fees.arrears_amount"),
              "月数": t("fees.arrears_months"), "最早期间": t("fees.arrears_oldest"),
              "收费员": t("fees.arrears_collector"), "最近催缴": t("fees.arrears_last"),
              "下次催缴": t("fees.arrears_next_on")}
    money_table(owing, labels, money=("欠费金额",), numbers=("月数",), height=360, key="fees:arrears:units")
    if not owing.empty and can(actor, "data.export"):
        # every owing unit of the filter, read when the button is clicked (the table above stops at the cap)
        st.download_button(t("fees.arrears_export_all") if n > len(owing) else t("grid.export"),
                           data=lambda: frame_to_bytes(arrears.owing_units(actor=actor, limit=None, **scope)[
                               list(labels)].rename(columns=labels), "xlsx", sheet="欠费房屋"),
                           file_name="欠费房屋.xlsx", mime=XLSX_MIME, key="fees:arrears:units:export",
                           icon=":material/download:")
    st.subheader(t("fees.arrears_dun_title"))
    due = arrears.dunning_due(actor=actor)
    options: dict[int, str] = {}
    for row in due.itertuples(index=False):
        options.setdefault(int(row.unit_id), f"{row.房屋} · {fmt.money(row.现欠费)} · {t('fees.arrears_due_mark')}")
    for row in owing.itertuples(index=False):
        options.setdefault(int(row.unit_id), f"{row.房屋} · {row.业主} · {fmt.money(row.欠费金额)}")
    unit_id = st.selectbox(t("fees.arrears_pick_unit"), [None, *options], key="fees:arrears:dun:unit",
                           format_func={None: "—", **options}.__getitem__,
                           placeholder=t("fees.arrears_pick_unit"))
    if unit_id is None:
        st.caption(t("fees.arrears_pick_hint"))
        return
    st.markdown(f"**{t('fees.arrears_card_dunning_log')}**")
    dunning_log_table(actor, unit_id, key=f"fees:arrears:log:{unit_id}")
    if can(actor, "fees.dun"):
        dunning_form(actor, unit_id, key=f"fees:arrears:dun:{unit_id}")


# --- 催缴通知单 -------------------------------------------------------------------------------------------


def _building_choice(actor: Actor, estate_id: int | None, estates: dict[int, str], key: str) -> int | None:
    c1, c2 = st.columns(2)
    if estate_id is None:
        estate_id = c1.selectbox(t("fees.arrears_estate"), list(estates), key=f"{key}:estate",
                                 format_func=estates.get, index=0 if estates else None)
    else:
        c1.text_input(t("fees.arrears_estate"), value=estates.get(estate_id, ""), disabled=True, key=f"{key}:fixed")
    buildings = dict(building_options(actor=actor, estate_id=estate_id)) if estate_id is not None else {}
    return c2.selectbox(t("fees.arrears_building"), list(buildings), format_func=buildings.get, key=f"{key}:building",
                        index=0 if buildings else None)


def _notices(actor: Actor, estate_id: int | None, estates: dict[int, str]) -> None:
    st.caption(t("fees.arrears_notices_caption"))
    building_id = _building_choice(actor, estate_id, estates, "fees:arrears:notice")
    today = local_today()
    pay_by = st.date_input(t("fees.arrears_pay_by"), value=today + timedelta(days=15), min_value=today,
                           format="YYYY-MM-DD", key="fees:arrears:notice:pay_by")
    if building_id is None:
        return
    if st.button(t("fees.arrears_make_notices"), key="fees:arrears:notice:make", icon=":material/print:"):
        st.session_state.pop(PDF, None)
        try:
            batch = arrears.notices_pdf(actor=actor, building_id=building_id, pay_by=pay_by, as_of=today)
            if batch.pdf is None:
                st.info(t("fees.arrears_no_notices"))
            else:
                st.session_state[PDF] = (building_id, pay_by, today, batch.count, batch.pdf)
        except DomainError as exc:
            st.error(exc.message)
    made = st.session_state.get(PDF)
    if made is not None and made[:3] == (building_id, pay_by, today):
        st.success(t("fees.arrears_notices_ready", n=made[3]))
        st.download_button(t("fees.arrears_download_notices", n=made[3]), data=made[4],
                           file_name=f"催缴通知单-{today:%Y%m%d}.pdf", mime="application/pdf",
                           key="fees:arrears:notice:download", icon=":material/download:", type="primary")


# --- 收费员 ----------------------------------------------------------------------------------------------


def _collectors(actor: Actor, estate_id: int | None, estates: dict[int, str]) -> None:
    st.caption(t("fees.arrears_collectors_caption"))
    building_id = _building_choice(actor, estate_id, estates, "fees:arrears:collector")
    if building_id is None:
        return
    units = building_units(actor=actor, building_id=building_id)
    staff = dict(collector_options(actor=actor))
    labels = dict(zip(units["unit_id"], units["房屋"], strict=True))
    with st.form(f"fees:arrears:assign:{building_id}"):
        chosen = st.multiselect(t("fees.arrears_assign_units"), list(labels), default=list(labels),
                                format_func=labels.get, key=f"fees:arrears:assign:units:{building_id}")
        staff_id = st.selectbox(t("fees.arrears_collector"), [None, *staff], key="fees:arrears:assign:staff",
                                format_func={None: t("fees.arrears_no_collector"), **staff}.__getitem__)
        if st.form_submit_button(t("fees.arrears_assign"), type="primary"):
            try:
                n = arrears.assign_collector(actor=actor, unit_ids=chosen, staff_id=staff_id)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("fees.arrears_assigned", n=n))
                st.rerun()
    money_table(units, {"房屋": t("fees.arrears_unit"), "收费员": t("fees.arrears_collector")}, height=300,
                key=f"fees:arrears:assign:table:{building_id}")
