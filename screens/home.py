"""工作台 (/): the first screen after signing in shows the signed-in person's work of the day — the front desk's
tickets, keys, renovations and registers; the cashier's takings and dunning; the engineer's work orders; the
manager's month against its targets and what waits for a decision. Every number links to the records behind it."""

from datetime import date

import pandas as pd
import streamlit as st

from services.platform.auth import can
from services.platform.clock import local_today
from services.workbench import home
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import current_actor
from ui.kit.tabs import on_demand
from ui.workbench import relations_blocks
from ui.workbench.blocks import (
    aging_table,
    card,
    metric_row,
    open_link,
    rate_metric,
    records,
    ticket_table,
    trend_chart,
    welcome,
    with_unit,
)

actor = current_actor()
today: date = local_today()
welcome(actor)
kind = home.home_kind(actor)
if not home.has_units():
    st.info(t("home.no_units"), icon=":material/info:")
    if can(actor, "setup.view"):
        st.page_link("screens/admin.py", label=t("admin.golive"), icon=":material/checklist:")


def desk() -> None:
    day = home.desk_day(actor=actor, today=today)
    b = day.boards
    left, right = st.columns([3, 2])
    with left:
        def tickets_today() -> None:
            metric_row([(t("home.new_today"), b["today"]), (t("tickets.board_open"), b["open"]),
                        (t("tickets.overdue"), b["overdue"]), (t("tickets.due_soon"), b["due_soon"])])
            ticket_table(day.today_tickets, columns=("number", "ticket_type", "status", "unit", "content"))
            open_link("tickets", "today", t("home.open_today_board"))
        card(t("home.tickets_today"), tickets_today, icon=":material/support_agent:")

        def deadlines() -> None:
            ticket_table(day.deadline_tickets, columns=("number", "ticket_type", "status", "unit", "deadline_at"))
            open_link("tickets", "deadline", t("home.open_deadline_board"))
        card(t("home.deadlines", overdue=b["overdue"], soon=b["due_soon"]), deadlines, icon=":material/timer:")

        def revisits() -> None:
            metric_row([(t("home.revisits_today"), b["revisits_today"]),
                        (t("tickets.revisits_overdue"), b["revisits_overdue"]),
                        (t("tickets.board_revisits"), b["revisits"])])
            open_link("tickets", "revisits", t("home.open_revisits"))
        card(t("home.revisits"), revisits, icon=":material/call:")
    with right:
        relations_blocks.desk_side(actor, today)

        def keys_block() -> None:
            metric_row([(t("home.keys_out"), day.keys["out"]), (t("home.keys_overdue"), day.keys["overdue"])])
            if day.keys["overdue"]:
                records(with_unit(day.overdue_keys),
                        {"unit": t("home.unit"), "label": t("keys.label"), "borrower": t("keys.borrower"),
                         "due_at": t("keys.due_at")})
            open_link("owners", "keys", t("home.open_keys"))
        card(t("home.keys"), keys_block, icon=":material/key:")

        def renovations() -> None:
            metric_row([(t("home.to_inspect"), day.renovations["to_inspect"]),
                        (t("home.to_approve"), day.renovations["to_approve"])])
            if len(day.renovations_to_inspect):
                records(with_unit(day.renovations_to_inspect),
                        {"unit": t("home.unit"), "contractor": t("home.contractor"),
                         "planned_end_on": t("home.planned_end")})
            open_link("owners", "renovation", t("home.open_renovations"))
        card(t("home.renovations"), renovations, icon=":material/construction:")


def cashier() -> None:
    day = home.cashier_day(actor=actor, today=today)
    left, right = st.columns([3, 2])
    with left:
        def takings() -> None:
            totals = {m: v for m, v in day.sheet.totals.items() if v}
            metric_row([(t("home.takings_total"), fmt.money(day.sheet.total)),
                        (t("home.receipts"), len(day.sheet.receipts) - len(day.sheet.voided_receipts))],
                       width=170)
            if totals:
                records(pd.DataFrame([{"method": m, "amount": v} for m, v in totals.items()]),
                    {"method": t("home.method"), "amount": t("home.amount")}, money=("amount",))
            st.caption(t("home.settled") if day.sheet.confirmed else t("home.not_settled_today"))
            open_link("fees", "settlement", t("home.open_settlement"))
        card(t("home.takings"), takings, icon=":material/point_of_sale:")

        def dunning() -> None:
            st.caption(t("home.dunning_count", n=day.dunning_total))
            records(day.dunning_due, {"房屋": t("home.unit"), "现欠费": t("home.owed"),
                                      "上次结果": t("home.last_outcome"), "下次催缴": t("home.next_on")},
                    money=("现欠费",))
            open_link("fees", "arrears.units", t("home.open_dunning"))
        card(t("home.dunning"), dunning, icon=":material/campaign:")
    with right:
        def unsettled() -> None:
            if day.unsettled:
                st.warning(t("home.unsettled_days", days="、".join(d.isoformat() for d in day.unsettled)))
            else:
                st.caption(t("home.all_settled"))
            open_link("fees", "settlement", t("home.open_settlement"))
        card(t("home.unsettled"), unsettled, icon=":material/event_busy:")

        def collection() -> None:
            if not day.has_units:
                st.caption(t("home.no_collector_units"))
                return
            value, target = day.collection["collection_rate"], day.target
            metric_row([(t("home.my_collection_rate", month=day.period.label), fmt.rate(value)),
                        (t("home.target"), fmt.rate(target)),
                        (t("home.billed"), fmt.money(day.collection["billed"])),
                        (t("home.collected"), fmt.money(day.collection["collected"]))], width=190)
            if value is not None and value < target:
                st.caption(t("home.below_target"))
            open_link("fees", "reports", t("home.open_reports"))
        card(t("home.my_collection"), collection, icon=":material/percent:")


def engineer() -> None:
    if can(actor, "handover.write"):  # the engineers' night duty is handed over too
        relations_blocks.handovers(actor)
    total, orders = home.my_work_orders(actor=actor)
    st.subheader(t("home.my_orders", n=total))
    if orders.empty:
        st.caption(t("home.no_orders"))
    for row in orders.itertuples():
        with st.container(border=True):
            st.markdown(f"**{row.number}** · {row.ticket_type} · {row.status}")
            st.markdown(f"{row.estate} {row.code or ''}".strip())
            st.caption(row.content)
            if row.overdue:
                st.error(t("home.overdue_since", at=fmt.moment(row.deadline_at)), icon=":material/alarm:")
            else:
                st.caption(t("home.deadline", at=fmt.moment(row.deadline_at)))
    open_link("tickets", "mine", t("home.open_mine"))


def manager() -> None:
    month = home.manager_month(actor=actor, today=today)
    st.subheader(t("home.month_figures", month=month.period.label))
    with st.container(horizontal=True, gap="small"):
        for figure in month.figures:
            rate_metric(figure)
    c1, c2 = st.columns([1, 2])
    with c1:
        st.metric(t("home.arrears_total"), fmt.money(month.arrears_total))
        open_link("fees", "reports", t("home.open_reports"))
        open_link("tickets", "analysis", t("home.open_analysis"))
    with c2:
        aging_table(month)
        open_link("fees", "arrears.summary", t("home.open_arrears"))
    decisions = home.decisions(actor=actor, today=today)
    left, right = st.columns([3, 2])
    with left:
        def waiting() -> None:
            metric_row([(t("home.approvals"), decisions.approvals), (t("home.complaints"), decisions.complaints),
                        (t("home.scorecards"), decisions.scorecards),
                        (t("home.renovations_to_approve"), decisions.renovations)])
            if decisions.complaints:
                ticket_table(decisions.complaints_rows, columns=("number", "status", "unit", "content"))
            with st.container(horizontal=True):
                open_link("fees", "approvals", t("home.open_approvals"))
                open_link("tickets", "open", t("home.open_tickets"))
                open_link("appraisal", "month", t("home.open_scorecards"))
                open_link("owners", "renovation", t("home.open_renovations"))
        card(t("home.decisions"), waiting, icon=":material/gavel:")
    with right:
        relations_blocks.manager_side(actor, today)
    if on_demand(t("home.show_trends"), key="home:trends"):
        trend_chart(home.trends(actor=actor, today=today))


{"desk": desk, "cashier": cashier, "engineer": engineer, "manager": manager}[kind]()
if kind != "manager" and can(actor, "appraisal.view") and actor.staff_id is not None:
    st.page_link("screens/appraisal.py", label=t("home.my_scorecard"), icon=":material/workspace_premium:",
                 query_params={"tab": "mine"})
