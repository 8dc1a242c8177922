"""The 收费 section of the unit card (open bills, prepaid credit, recent receipts and refunds, the dunning log and a
催缴 form), and the export button the managers' fee tabs share.

Importing this module registers the section with ui.estate.unit_card (screens/owners.py imports it), so the
card shows it to every role holding fees.view.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import timedelta

import pandas as pd
import streamlit as st

from services.estate.households import UnitCard
from services.fees import arrears, cashier, refunds
from services.fees import billing as fees
from services.fees.arrears import DUNNING_METHODS, DUNNING_OUTCOMES, Dunning
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.platform.excel import frame_to_bytes
from ui.estate.unit_card import CardSection, register_card_section
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import fit_height, money_table

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export_button(actor: Actor, frame: pd.DataFrame, *, sheet: str, file_name: str, key: str) -> None:
    """Offer `frame` (headers already in the reader's language) as an Excel file, through the one exporter
    (services.platform.excel.frame_to_bytes); only for roles that may export."""
    if not can(actor, "data.export"):
        return
    # made when clicked (a workbook takes tens of ms, and every tab of /fees renders on every rerun)
    st.download_button(t("grid.export"), data=lambda: frame_to_bytes(frame, "xlsx", sheet=sheet),
                       file_name=file_name, mime=XLSX_MIME, key=key, icon=":material/download:")


def dunning_form(actor: Actor, unit_id: int, *, key: str) -> None:
    """Log one 催缴 contact for a unit (method, outcome, promised date, next date, note)."""
    if not can(actor, "fees.dun"):
        return
    with st.form(f"{key}:dun:{unit_id}", clear_on_submit=True):
        c1, c2, c3, c4 = st.columns(4)
        method = c1.selectbox(t("fees.arrears_method"), DUNNING_METHODS, key=f"{key}:method")
        outcome = c2.selectbox(t("fees.arrears_outcome"), DUNNING_OUTCOMES, key=f"{key}:outcome")
        promised = c3.date_input(t("fees.arrears_promised_on"), value=None, min_value=local_today(),
                                 format="YYYY-MM-DD", key=f"{key}:promised")
        next_on = c4.date_input(t("fees.arrears_next_on"), value=local_today() + timedelta(days=7),
                                min_value=local_today(), format="YYYY-MM-DD", key=f"{key}:next")
        note = st.text_input(t("fees.arrears_note"), max_chars=500, key=f"{key}:note")
        if st.form_submit_button(t("fees.arrears_record"), type="primary"):
            try:
                arrears.record_dunning(actor=actor, dunning=Dunning(unit_id=unit_id, method=method, outcome=outcome,
                                                                    promised_on=promised, next_on=next_on,
                                                                    note=note))
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("fees.arrears_recorded"))
                st.rerun()


def dunning_log_table(actor: Actor, unit_id: int, *, key: str) -> None:
    log = arrears.dunning_log(actor=actor, unit_id=unit_id)
    money_table(log, {"时间": t("fees.arrears_at"), "方式": t("fees.arrears_method"),
                      "结果": t("fees.arrears_outcome"), "当时欠费": t("fees.arrears_owed_then"),
                      "承诺日期": t("fees.arrears_promised_on"), "下次催缴": t("fees.arrears_next_on"),
                      "备注": t("fees.arrears_note"), "经办人": t("fees.arrears_by")},
                money=("当时欠费",), key=key)


def fee_section(actor: Actor, card: UnitCard) -> None:
    """The unit's open bills by item and month, its prepaid credit, and its 催缴 history."""
    try:
        account = cashier.account(actor=actor, unit_id=card.id)
    except DomainError as exc:
        st.error(exc.message)
        return
    c1, c2, c3 = st.columns(3)
    c1.metric(t("fees.arrears_card_owed"), fmt.money(account.owed))
    c2.metric(t("fees.arrears_card_credit"), fmt.money(account.credit))
    c3.metric(t("fees.arrears_card_bills"), len(account.bills))
    bills = pd.DataFrame([{"item": b.item, "period": b.period, "amount": b.amount, "waived": b.waived,
                           "paid": b.paid, "outstanding": b.outstanding, "due_on": b.due_on, "status": b.status,
                           "pending": b.pending} for b in account.bills],
                         columns=["item", "period", "amount", "waived", "paid", "outstanding", "due_on", "status",
                                  "pending"])
    st.markdown(f"**{t('fees.arrears_card_open_bills')}**")
    money_table(bills, {"item": t("fees.arrears_card_item"), "period": t("fees.arrears_card_period"),
                        "amount": t("fees.arrears_card_amount"), "waived": t("fees.arrears_card_waived"),
                        "paid": t("fees.arrears_card_paid"), "outstanding": t("fees.arrears_card_outstanding"),
                        "due_on": t("fees.arrears_card_due_on"), "status": t("fees.arrears_card_status"),
                        "pending": t("fees.arrears_card_pending")},
                money=("amount", "waived", "paid", "outstanding"), height=fit_height(len(bills), 320),
                key=f"card:fees:bills:{card.id}")
    _history(actor, account)
    st.markdown(f"**{t('fees.arrears_card_dunning_log')}**")
    dunning_log_table(actor, card.id, key=f"card:fees:log:{card.id}")
    if can(actor, "fees.dun") and account.owed > 0:
        with st.expander(t("fees.arrears_record_title")):
            dunning_form(actor, card.id, key=f"card:fees:{card.id}")
    unit_fee_settings(actor, card.id)


def _history(actor: Actor, account: cashier.Account) -> None:
    """The account's latest receipts 收据 and refund vouchers 退款单, newest first (they explain its credit)."""
    receipts = cashier.unit_receipts(actor=actor, household=account.household, limit=10)
    paid_back = [r for r in refunds.account_refunds(actor=actor, household=account.household, limit=10)
                 if r.refund_id is not None]
    rows = [{"at": r.received_at, "doc": r.receipt_no, "kind": t("fees.card_receipt"), "amount": r.amount,
             "method": r.method, "status": r.status} for r in receipts]
    rows += [{"at": r.decided_at, "doc": r.refund_no, "kind": t("fees.card_refund"), "amount": -r.amount,
              "method": r.method, "status": r.status} for r in paid_back]
    rows.sort(key=lambda r: r["at"], reverse=True)
    st.markdown(f"**{t('fees.card_history')}**")
    money_table(pd.DataFrame(rows, columns=["at", "doc", "kind", "amount", "method", "status"]),
                {"at": t("fees.card_at"), "doc": t("fees.card_doc"), "kind": t("fees.card_doc_kind"),
                 "amount": t("fees.counter_amount"), "method": t("fees.counter_method"),
                 "status": t("fees.arrears_card_status")}, money=("amount",),
                height=fit_height(len(rows), 320), key=f"card:fees:history:{account.household}")


def unit_fee_settings(actor: Actor, unit_id: int) -> None:
    """房屋收费设置: what this unit pays beyond (收取) or instead of (免收) the defaults of its kind."""
    rows = fees.unit_fees(actor=actor, unit_id=unit_id)
    with st.expander(t("fees.unit_fees_title", count=len(rows))):
        st.caption(t("fees.unit_fees_hint"))
        money_table(pd.DataFrame([asdict(r) for r in rows], columns=["item", "action", "start_on", "end_on", "note"]),
                    {"item": t("fees.arrears_card_item"), "action": t("fees.unit_fees_action"),
                     "start_on": t("fees.unit_fees_start"), "end_on": t("fees.unit_fees_end"),
                     "note": t("fees.unit_fees_note")}, key=f"card:unitfees:{unit_id}")
        if not can(actor, "fees.edit"):
            return
        items = {i: name for i, name, basis in fees.fee_item_options(actor=actor) if basis not in ("抄表", "车位")}
        with st.form(f"card:unitfees:add:{unit_id}", clear_on_submit=True):
            c1, c2 = st.columns(2)
            item_id = c1.selectbox(t("fees.arrears_card_item"), list(items), format_func=items.get)
            action = c2.radio(t("fees.unit_fees_action"), fees.UNIT_FEE_ACTIONS, horizontal=True)
            c3, c4 = st.columns(2)
            start_on = c3.date_input(t("fees.unit_fees_start"), value=local_today(), format="YYYY-MM-DD")
            end_on = c4.date_input(t("fees.unit_fees_end"), value=None, format="YYYY-MM-DD")
            note = st.text_input(t("fees.unit_fees_note"), max_chars=200)
            if st.form_submit_button(t("fees.unit_fees_add"), type="primary"):
                try:
                    fees.add_unit_fee(actor=actor, unit_id=unit_id, fee_item_id=item_id, action=action,
                                      start_on=start_on, end_on=end_on, note=note)
                except DomainError as exc:
                    st.error(exc.message)
                else:
                    flash(t("fees.unit_fees_added"))
                    st.rerun()
        open_rows = [r for r in rows if r.end_on is None]
        if open_rows:
            with st.form(f"card:unitfees:end:{unit_id}"):
                labels = {r.id: f"{r.item} · {r.action} · {r.start_on}" for r in open_rows}
                chosen = st.selectbox(t("fees.unit_fees_which"), list(labels), format_func=labels.get)
                day = st.date_input(t("fees.unit_fees_end"), value=local_today(), format="YYYY-MM-DD")
                if st.form_submit_button(t("fees.unit_fees_end_button")):
                    version = next(r.version for r in open_rows if r.id == chosen)
                    try:
                        fees.end_unit_fee(actor=actor, unit_fee_id=chosen, version=version, end_on=day)
                    except DomainError as exc:
                        st.error(exc.message)
                    else:
                        flash(t("fees.unit_fees_ended"))
                        st.rerun()


register_card_section(CardSection(label="fees.arrears_card_tab", render=fee_section, action="fees.view"))
