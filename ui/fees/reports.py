"""报表 tab of /fees: the monthly 对账单 for finance, the collection-rate report (KPI.md) and the daily
settlement sheets 日结单; every table exports to Excel through services.platform.excel.frame_to_bytes.

Decisions:
- Every figure comes from a service: the 对账单 from services.fees.reports.reconciliation, the rates from
  services.kpi.fee_kpis (through services.fees.reports.collection_report), never recomputed here.
- A month's figures are taken at its last instant (now, for the running month).
- Charts show rates as percentages (rates are not money); the 95% target is a dashed red rule with its
  label. A month without bills has no rate and no bar ("—" in the table), never 0%.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import altair as alt
import pandas as pd
import streamlit as st

from services.admin.reference import estate_options
from services.fees import reports as fee_reports
from services.fees.cashier import METHODS
from services.kpi import FEE_KPI_KEYS, FEE_KPI_LABELS, FEE_TARGETS
from services.platform.auth import Actor
from services.platform.clock import local_today
from services.platform.errors import DomainError
from ui.fees.card import export_button
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.tables import money_table

KINDS = ("reconciliation", "collection", "settlements")
GROUPS = ("month", "estate", "building", "collector")
MONEY_KPIS = ("billed", "collected", "prior_arrears", "arrears_recovered", "prior_years_collected")
RATE_KPIS = ("collection_rate", "household_rate", "arrears_recovery_rate")
TARGET = FEE_TARGETS["collection_rate"][0]


def reports_tab(actor: Actor) -> None:
    kind = st.radio(t("fees.report_kind"), KINDS, format_func={k: t(f"fees.report_{k}") for k in KINDS}.__getitem__,
                    horizontal=True,
                    key="fees:report:kind")
    try:
        if kind == "reconciliation":
            _reconciliation(actor)
        elif kind == "collection":
            _collection(actor)
        else:
            _settlements(actor)
    except DomainError as exc:
        st.error(exc.message)


def _period_and_estate(actor: Actor, key: str) -> tuple[str, int | None]:
    c1, c2 = st.columns([1, 2])
    period = c1.selectbox(t("fees.report_period"), fee_reports.month_labels(count=24), key=f"{key}:period")
    estates = dict(estate_options(actor=actor))
    estate_id = c2.selectbox(t("fees.report_estate"), [None, *estates], key=f"{key}:estate",
                             placeholder=t("fees.bill_all_estates"),
                             format_func={None: t("fees.bill_all_estates"), **estates}.__getitem__)
    return period, estate_id


# --- 对账单 -----------------------------------------------------------------------------------------------


def _reconciliation(actor: Actor) -> None:
    period, estate_id = _period_and_estate(actor, "fees:report:rec")
    rec = fee_reports.reconciliation(actor=actor, period=period, estate_id=estate_id)
    st.caption(t("fees.report_rec_caption", as_of=fmt.moment(rec.as_of)))
    labels = {c: t(f"fees.report_col_{key}") for c, key in zip(
        fee_reports.RECONCILIATION_COLUMNS, ("item", "billed", "waived", "collected", "credit_used", "owing",
                                             "received"), strict=True)}
    money = tuple(fee_reports.RECONCILIATION_COLUMNS[1:])
    money_table(rec.lines, labels, money=money, key="fees:report:rec:lines")
    export_button(actor, rec.lines.rename(columns=labels), sheet=f"对账单{period}",
                  file_name=f"对账单-{period}.xlsx", key="fees:report:rec:export")
    st.markdown(f"**{t('fees.report_credit_title')}**")
    credit = pd.DataFrame([
        {"what": t("fees.report_received"), "amount": rec.received},
        {"what": t("fees.report_opening_credit"), "amount": rec.opening_credit},
        {"what": t("fees.report_credit_added"), "amount": rec.credit_added},
        {"what": t("fees.report_credit_used"), "amount": rec.credit_used},
        {"what": t("fees.report_credit_refunded"), "amount": rec.credit_refunded},
        {"what": t("fees.report_closing_credit"), "amount": rec.closing_credit},
    ])
    c1, _ = st.columns([1, 1])
    with c1:
        money_table(credit, {"what": t("fees.report_item"), "amount": t("fees.report_amount")}, money=("amount",),
                    key="fees:report:rec:credit")
    st.caption(t("fees.report_rec_rules"))


# --- 收缴率 -----------------------------------------------------------------------------------------------


def percent(value: Decimal | None) -> float | None:
    """A rate as a percentage for a chart (rates are not money); None stays None."""
    return None if value is None else float(value * 100)


def rate_chart(frame: pd.DataFrame, *, x: str, x_title: str, rate_column: str, target: Decimal = TARGET,
               target_label: str = "") -> alt.LayerChart:
    """Bars of a rate (green when it reaches the target, orange below), with a dashed red rule at the
    target and its label; groups without a rate get no bar."""
    data = pd.DataFrame({"x": list(frame[x]), "rate": [percent(v) for v in frame[rate_column]]})
    data = data.dropna(subset=["rate"])
    target_pct = float(target * 100)
    data["target"] = target_pct
    data["reached"] = [t("fees.report_reached") if r >= target_pct else t("fees.report_below") for r in data["rate"]]
    top = max([100.0, *data["rate"]]) if len(data) else 100.0
    horizontal = x != "月份"
    axis_x = alt.X("x:N", title=x_title, sort=None, axis=alt.Axis(labelAngle=0))
    axis_rate = alt.Y("rate:Q", title=f"{rate_column}（%）", scale=alt.Scale(domain=[0, top]))
    encode = dict(
        color=alt.Color("reached:N", title=None,
                        scale=alt.Scale(domain=[t("fees.report_reached"), t("fees.report_below")],
                                        range=["#2e8b57", "#e67e22"]),
                        legend=alt.Legend(orient="top")),
        tooltip=[alt.Tooltip("x:N", title=x_title), alt.Tooltip("rate:Q", title=f"{rate_column}（%）", format=".2f")],
    )
    if horizontal:
        bars = alt.Chart().mark_bar().encode(
            y=alt.Y("x:N", title=x_title, sort=None),
            x=alt.X("rate:Q", title=f"{rate_column}（%）", scale=alt.Scale(domain=[0, top])), **encode)
        rule = alt.Chart().mark_rule(color="#d62728", strokeDash=[6, 4], size=2).encode(x="target:Q")
        label = alt.Chart().mark_text(color="#d62728", align="right", dx=-4, dy=-4, baseline="bottom",
                                      fontSize=12, fontWeight="bold").encode(
            x="target:Q", y=alt.value(0), text=alt.value(target_label))
        height = alt.Step(28)
    else:
        bars = alt.Chart().mark_bar().encode(x=axis_x, y=axis_rate, **encode)
        rule = alt.Chart().mark_rule(color="#d62728", strokeDash=[6, 4], size=2).encode(y="target:Q")
        label = alt.Chart().mark_text(color="#d62728", align="left", dx=4, dy=-8, fontSize=12,
                                      fontWeight="bold").encode(
            y="target:Q", x=alt.value(0), text=alt.value(target_label))
        height = 300
    return alt.layer(bars, rule, label, data=data).properties(height=height)


def _kpi_metrics(row: pd.Series) -> None:
    cols = st.columns(4)
    rate = row[FEE_KPI_LABELS["collection_rate"]]
    delta = None if rate is None else t("fees.report_vs_target", delta=f"{(rate - TARGET) * 100:+.2f}%",
                                        target=fmt.rate(TARGET))
    cols[0].metric(FEE_KPI_LABELS["collection_rate"], fmt.rate(rate), delta=delta,
                   help=t("fees.report_target_help", target=fmt.rate(TARGET)))
    cols[1].metric(FEE_KPI_LABELS["household_rate"], fmt.rate(row[FEE_KPI_LABELS["household_rate"]]))
    cols[2].metric(FEE_KPI_LABELS["arrears_recovery_rate"], fmt.rate(row[FEE_KPI_LABELS["arrears_recovery_rate"]]))
    cols[3].metric(FEE_KPI_LABELS["prior_years_collected"], fmt.money(row[FEE_KPI_LABELS["prior_years_collected"]]))
    cols = st.columns(4)
    for col, key in zip(cols, ("billed", "collected", "prior_arrears", "arrears_recovered"), strict=True):
        col.metric(FEE_KPI_LABELS[key], fmt.money(row[FEE_KPI_LABELS[key]]))


def kpi_table(actor: Actor, frame: pd.DataFrame, *, key: str, sheet: str) -> None:
    first = frame.columns[0]
    labels = {first: first, **{FEE_KPI_LABELS[k]: FEE_KPI_LABELS[k] for k in FEE_KPI_KEYS}}
    money_table(frame, labels, money=tuple(FEE_KPI_LABELS[k] for k in MONEY_KPIS),
                rates=tuple(FEE_KPI_LABELS[k] for k in RATE_KPIS), key=key)
    export_button(actor, frame, sheet=sheet, file_name=f"{sheet}.xlsx", key=f"{key}:export")


def _collection(actor: Actor) -> None:
    period, estate_id = _period_and_estate(actor, "fees:report:kpi")
    group = st.radio(t("fees.report_group"), GROUPS, format_func={g: t(f"fees.report_by_{g}") for g in GROUPS}.__getitem__,
                     horizontal=True, key="fees:report:kpi:group")
    trend = fee_reports.collection_report(actor=actor, period=period, by="month", estate_id=estate_id)
    _kpi_metrics(trend.iloc[-1])
    rate_label = FEE_KPI_LABELS["collection_rate"]
    target_label = t("fees.report_target_line", target=fmt.rate(TARGET))
    if group == "month":
        st.markdown(f"**{t('fees.report_trend_title')}**")
        st.altair_chart(rate_chart(trend, x="月份", x_title=t("fees.report_by_month"), rate_column=rate_label,
                                   target_label=target_label), width="stretch")
        kpi_table(actor, trend, key="fees:report:kpi:table", sheet=f"收缴率-{period}")
        return
    frame = fee_reports.collection_report(actor=actor, period=period, by=group, estate_id=estate_id)
    st.markdown(f"**{t('fees.report_group_title', period=period, group=t(f'fees.report_by_{group}'))}**")
    if frame.empty:
        st.info(t("fees.report_no_groups"))
        return
    st.altair_chart(rate_chart(frame, x=frame.columns[0], x_title=t(f"fees.report_by_{group}"),
                               rate_column=rate_label, target_label=target_label), width="stretch")
    kpi_table(actor, frame, key="fees:report:kpi:table", sheet=f"收缴率-{period}")


# --- 日结单 -----------------------------------------------------------------------------------------------


def _settlements(actor: Actor) -> None:
    today = local_today()
    c1, c2 = st.columns(2)
    date_from = c1.date_input(t("fees.report_from"), value=today - timedelta(days=30), format="YYYY-MM-DD",
                              key="fees:report:set:from")
    date_to = c2.date_input(t("fees.report_to"), value=today, format="YYYY-MM-DD", key="fees:report:set:to")
    frame = fee_reports.settlements(actor=actor, date_from=date_from, date_to=date_to)
    labels = {c: c for c in ("日期", "收费员", *METHODS, "收款合计", "收据张数", "退款合计", "退款单", "应交现金",
                             "实交现金", "差异", "差异说明", "接收人", "收据号", "作废收据", "确认时间")}
    labels.update({"日期": t("fees.report_day"), "收费员": t("fees.report_cashier"),
                   "收款合计": t("fees.report_total"), "收据张数": t("fees.report_receipts"),
                   "退款合计": t("fees.report_refund_total"), "退款单": t("fees.report_refund_numbers"),
                   "应交现金": t("fees.report_cash_expected"), "实交现金": t("fees.report_cash_handed"),
                   "差异": t("fees.report_discrepancy"), "差异说明": t("fees.report_note"),
                   "接收人": t("fees.report_received_by"), "收据号": t("fees.report_receipt_numbers"),
                   "作废收据": t("fees.report_voided"), "确认时间": t("fees.report_confirmed_at")})
    st.markdown(t("fees.report_settlements_count", n=len(frame)))
    money_table(frame, labels, money=(*METHODS, "收款合计", "退款合计", "应交现金", "实交现金", "差异"),
                numbers=("收据张数",),
                height=420, key="fees:report:set:table")
    if not frame.empty:
        export_button(actor, frame.rename(columns=labels), sheet="日结单", file_name=f"日结单-{date_from}-{date_to}.xlsx",
                      key="fees:report:set:export")
