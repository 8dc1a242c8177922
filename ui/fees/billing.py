"""计费 and 抄表 tabs of /fees: the monthly billing run and the meter readings it bills.

Decisions:
- A run is always previewed first (bills to create by item, count and total, and the warnings); the
  生成 button sits under the preview it confirms, and the run itself recomputes the plan inside its own
  transaction, so what someone changed since the preview is still billed exactly once.
- The preview is kept in this user's session (never a shared cache) until period or estate changes.
- Meter readings are typed into a st.data_editor inside a form: readings travel as text and are parsed by
  services.fees.billing.record_readings; the whole sheet is saved or nothing is (errors are listed per row, and the
  typed values stay in the editor until they are saved).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd
import streamlit as st

from services.admin.reference import building_options, estate_options
from services.fees.billing import (
    BillingPlan,
    Reading,
    UnitNote,
    preview_billing,
    record_readings,
    run_billing,
)
from services.fees.reports import billing_runs, meter_sheet, month_labels
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError, ValidationError
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import fit_height, money_table

PLAN = "fees:bill:plan"  # (period, estate id, BillingPlan) of the preview on screen
RESULT = "fees:bill:result"  # the last run's result, shown once after the rerun
METER_GEN = "fees:meter:gen"
PLAN_ROWS_SHOWN = 1000


def _estate_choice(actor: Actor, key: str, *, label: str) -> int | None:
    estates = dict(estate_options(actor=actor))
    return st.selectbox(label, [None, *estates], key=key, placeholder=t("fees.bill_all_estates"),
                        format_func={None: t("fees.bill_all_estates"), **estates}.__getitem__)


# --- 计费 ---------------------------------------------------------------------------------------------


def billing_tab(actor: Actor) -> None:
    st.caption(t("fees.bill_caption"))
    months = month_labels(count=14, ahead=1)  # next month, this month, then the past
    runs = billing_runs(actor=actor)
    # this month until it has been billed, then the next one
    default = 0 if months[1] in set(runs["期间"]) else 1
    c1, c2, c3 = st.columns([1, 2, 1], vertical_alignment="bottom")
    period = c1.selectbox(t("fees.bill_period"), months, index=default, key="fees:bill:period")
    with c2:
        estate_id = _estate_choice(actor, "fees:bill:estate", label=t("fees.bill_estate"))
    if c3.button(t("fees.bill_preview"), key="fees:bill:preview", icon=":material/preview:", width="stretch"):
        try:
            st.session_state[PLAN] = (period, estate_id, preview_billing(actor=actor, period=period,
                                                                         estate_id=estate_id))
        except DomainError as exc:
            st.error(exc.message)
    result = st.session_state.pop(RESULT, None)
    if result is not None:
        st.success(t("fees.bill_done", period=result.period, n=result.created, total=fmt.money(result.total),
                     credit=fmt.money(result.credit_used)))
        _unit_notes(result.not_billed_by_reason, result.not_billed, result.undated, key="fees:bill:done_notes")
    shown = st.session_state.get(PLAN)
    if shown is not None and shown[:2] == (period, estate_id):
        _preview(actor, shown[2])
    st.subheader(t("fees.bill_recent"))
    money_table(runs, {"期间": t("fees.bill_period"), "小区": t("fees.bill_estate"), "时间": t("fees.bill_at"),
                       "操作人": t("fees.bill_by"), "生成账单": t("fees.bill_created"),
                       "金额": t("fees.bill_total")}, money=("金额",), numbers=("生成账单",), key="fees:bill:runs")


def _unit_notes(by_reason: tuple[tuple[str, int], ...], not_billed: tuple[UnitNote, ...],
                undated: tuple[UnitNote, ...], *, key: str) -> None:
    """Every unit the run leaves without a bill, counted by reason and listed, and those billed without 交房日期."""
    if by_reason:
        st.markdown(f"**{t('fees.bill_not_billed', n=f'{len(not_billed):,}')}**")
        st.caption(" · ".join(t("fees.bill_reason_count", reason=reason, n=n) for reason, n in by_reason))
        with st.expander(t("fees.bill_not_billed_list", n=f"{len(not_billed):,}")):
            money_table(pd.DataFrame([{"unit": u.unit, "reason": u.reason} for u in not_billed],
                                      columns=["unit", "reason"]),
                        {"unit": t("fees.bill_unit"), "reason": t("fees.bill_reason")},
                        height=fit_height(len(not_billed)), key=f"{key}:out")
    if undated:
        with st.expander(t("fees.bill_undated_list", n=f"{len(undated):,}")):
            money_table(pd.DataFrame([{"unit": u.unit} for u in undated], columns=["unit"]),
                        {"unit": t("fees.bill_unit")}, height=fit_height(len(undated)), key=f"{key}:undated")


def plan_frame(plan: BillingPlan) -> pd.DataFrame:
    """The preview by item with a 合计 row: item, count, total (Decimal)."""
    rows = [{"item": item, "count": n, "total": total} for item, n, total in plan.by_item]
    rows.append({"item": t("fees.bill_sum"), "count": len(plan.bills), "total": plan.total})
    return pd.DataFrame(rows, columns=["item", "count", "total"])


def _preview(actor: Actor, plan: BillingPlan) -> None:
    st.markdown(f"**{t('fees.bill_preview_title', period=plan.period)}**")
    c1, c2, c3 = st.columns(3)
    c1.metric(t("fees.bill_to_create"), f"{len(plan.bills):,}")
    c2.metric(t("fees.bill_total"), fmt.money(plan.total))
    c3.metric(t("fees.bill_existing"), f"{plan.existing:,}", help=t("fees.bill_existing_help"))
    for warning in plan.warnings:
        st.warning(warning)
    money_table(plan_frame(plan), {"item": t("fees.bill_item"), "count": t("fees.bill_count"),
                                   "total": t("fees.bill_total")}, money=("total",), numbers=("count",),
                key="fees:bill:by_item")
    if plan.bills:
        with st.expander(t("fees.bill_details", n=min(len(plan.bills), PLAN_ROWS_SHOWN))):
            details = pd.DataFrame([{"payer": b.payer_name, "key": b.payer_key, "item": b.item,
                                     "span": f"{b.start_on:%m-%d}–{b.end_on:%m-%d}", "quantity": b.quantity,
                                     "rate": b.rate, "amount": b.amount}
                                    for b in plan.bills[:PLAN_ROWS_SHOWN]])
            money_table(details, {"payer": t("fees.bill_payer"), "key": t("fees.bill_payer_key"),
                                  "item": t("fees.bill_item"), "span": t("fees.bill_span"),
                                  "quantity": t("fees.bill_quantity"), "rate": t("fees.bill_rate"),
                                  "amount": t("fees.bill_amount")}, money=("amount",),
                        numbers=("quantity", "rate"), height=320,
                        key="fees:bill:details")
    else:
        st.info(t("fees.bill_nothing", existing=plan.existing))
    _unit_notes(plan.not_billed_by_reason, plan.not_billed, plan.undated, key="fees:bill:notes")
    label = t("fees.bill_run", n=f"{len(plan.bills):,}", total=fmt.money(plan.total))
    if st.button(label, type="primary" if plan.bills else "secondary", key="fees:bill:run",
                 icon=":material/play_arrow:"):
        bar = st.progress(0.0, text=t("fees.bill_running"))

        def progress(fraction: float, text: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=text)

        try:
            result = run_billing(actor=actor, period=plan.period, estate_id=plan.estate_id, progress=progress)
        except DomainError as exc:
            bar.empty()
            st.error(exc.message)
            return
        st.session_state[RESULT] = result
        st.session_state.pop(PLAN, None)
        flash(t("fees.bill_done_toast", n=result.created))
        st.rerun()


# --- 抄表 ---------------------------------------------------------------------------------------------


def editor_frame(todo: pd.DataFrame) -> pd.DataFrame:
    """The sheet the reader types into: readings as text (never float), 换表 unticked."""
    return pd.DataFrame({
        "unit": list(todo["房屋"]),
        "item": list(todo["收费项目"]),
        "previous_period": list(todo["上期期间"]),
        "previous": [fmt.plain_hundredths(v) if v is not None and v == v else "" for v in todo["上期读数"]],
        "current": [""] * len(todo),
        "replaced": [False] * len(todo),
        "start": [""] * len(todo),
    })


def readings_from_editor(todo: pd.DataFrame, edited: pd.DataFrame) -> tuple[list[Reading], list[str]]:
    """The readings typed into the sheet (rows left blank are skipped) and a label for each, in order."""
    readings, labels = [], []
    for n in range(len(todo)):
        current = _text(edited["current"].iloc[n])
        replaced = bool(edited["replaced"].iloc[n]) if edited["replaced"].iloc[n] == edited["replaced"].iloc[n] \
            else False
        start = _text(edited["start"].iloc[n])
        if not current and not replaced and not start:
            continue
        readings.append(Reading(unit_id=int(todo["unit_id"].iloc[n]), fee_item_id=int(todo["fee_item_id"].iloc[n]),
                                current=current, replaced=replaced, start_reading=start or None))
        labels.append(f"{todo['房屋'].iloc[n]} {todo['收费项目'].iloc[n]}")
    return readings, labels


def _text(value) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    return str(value).strip()


def row_error_lines(error: ValidationError, labels: Sequence[str]) -> list[str]:
    """The refusal of a batch as one line per row: 'unit item · field：message'."""
    lines = [f"{labels[n - 1] if isinstance(n, int) and 0 < n <= len(labels) else n} · {field}：{msg}"
             for n, fields in error.row_errors.items() for field, msg in fields.items()]
    return lines + [f"{field}：{msg}" for field, msg in error.errors.items()]


def meter_tab(actor: Actor) -> None:
    st.caption(t("fees.meter_caption"))
    c1, c2, c3, c4 = st.columns(4)
    period = c1.selectbox(t("fees.meter_period"), month_labels(count=13), key="fees:meter:period")
    read_on = c2.date_input(t("fees.meter_read_on"), value=local_today(), max_value=local_today(),
                            format="YYYY-MM-DD", key="fees:meter:read_on")
    with c3:
        estate_id = _estate_choice(actor, "fees:meter:estate", label=t("fees.meter_estate"))
    buildings = dict(building_options(actor=actor, estate_id=estate_id)) if estate_id is not None else {}
    building_id = c4.selectbox(t("fees.meter_building"), [None, *buildings], key="fees:meter:building",
                               disabled=estate_id is None, placeholder=t("fees.bill_all_estates"),
                               format_func={None: t("fees.bill_all_estates"), **buildings}.__getitem__)
    if building_id not in buildings:
        building_id = None
    try:
        sheet = meter_sheet(actor=actor, period=period, estate_id=estate_id, building_id=building_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    if sheet.empty:
        st.info(t("fees.meter_none"))
        return
    todo = sheet[~sheet["已录入"].astype(bool)].reset_index(drop=True)
    done = sheet[sheet["已录入"].astype(bool)].reset_index(drop=True)
    st.markdown(t("fees.meter_progress", done=len(done), total=len(sheet)))
    if todo.empty:
        st.success(t("fees.meter_all_done", period=period))
    elif can(actor, "fees.meter"):
        gen = st.session_state.get(METER_GEN, 0)
        key = f"fees:meter:editor:{period}:{estate_id}:{building_id}:{gen}"
        with st.form(f"fees:meter:form:{gen}", border=False):
            edited = st.data_editor(
                editor_frame(todo), key=key, hide_index=True, num_rows="fixed", width="stretch",
                height=fit_height(len(todo), 460),
                disabled=["unit", "item", "previous_period", "previous"],
                column_config={
                    "unit": st.column_config.TextColumn(t("fees.meter_unit")),
                    "item": st.column_config.TextColumn(t("fees.meter_item")),
                    "previous_period": st.column_config.TextColumn(t("fees.meter_previous_period")),
                    "previous": st.column_config.TextColumn(t("fees.meter_previous"), alignment="right"),
                    "current": st.column_config.TextColumn(t("fees.meter_current"), alignment="right",
                                                           max_chars=14),
                    "replaced": st.column_config.CheckboxColumn(t("fees.meter_replaced")),
                    "start": st.column_config.TextColumn(t("fees.meter_start"), alignment="right", max_chars=14,
                                                         help=t("fees.meter_start_help")),
                })
            saved = st.form_submit_button(t("fees.meter_save"), type="primary")
        if saved:
            _save_readings(actor, period, read_on, todo, edited)
    if not done.empty:
        st.markdown(f"**{t('fees.meter_entered')}**")
        entered = done.assign(替换=[t("grid.yes") if v else "" for v in done["换表"]])
        money_table(entered, {"房屋": t("fees.meter_unit"), "收费项目": t("fees.meter_item"),
                              "上期读数": t("fees.meter_previous"), "本期读数": t("fees.meter_current"),
                              "用量": t("fees.meter_usage"), "替换": t("fees.meter_replaced")},
                    numbers=("上期读数", "本期读数", "用量"), key="fees:meter:done")


def _save_readings(actor: Actor, period: str, read_on, todo: pd.DataFrame, edited: pd.DataFrame) -> None:
    readings, labels = readings_from_editor(todo, edited)
    if not readings:
        st.warning(t("fees.meter_nothing"))
        return
    try:
        n = record_readings(actor=actor, period=period, read_on=read_on, readings=readings)
    except ValidationError as exc:
        st.error("\n".join([t("fees.meter_refused"), *(f"- {line}" for line in row_error_lines(exc, labels))]))
    except DomainError as exc:
        st.error(exc.message)
    else:
        st.session_state[METER_GEN] = st.session_state.get(METER_GEN, 0) + 1
        flash(t("fees.meter_saved", n=n))
        st.rerun()
