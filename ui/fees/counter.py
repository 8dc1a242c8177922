"""The cashier's side of /fees: the counter 收银台, approvals 审批 and the daily settlement 日结.

Decisions (the screens follow them; tests/pages/test_fees_counter.py checks them):
- The counter finds the unit with the /owners search box itself (`ui.estate.unit_card.search_box`), so the
  unit in hand is the same on both pages. Below the units the same box lists parking leases found by plate,
  space number or lessee (services.estate.parking.search_leases): a lease without a unit opens its own account
  "L<lease id>", a lease with a unit opens the unit.
- The bills table takes the whole width (every column from 收费项目 to 状态 visible at 1400 px); the payment
  form sits below it.
- Refunds 退款: when the account has prepaid credit, 申请退款 opens a request dialog; the account's refund requests
  are listed with their state; a granted one prints as a 退款单 PDF (reprintable), and the cashier confirms the
  payout 确认付款 in a dialog once the payee has the money and signed.
- Every money write goes through a confirmation dialog. The open dialog is kept in
  `st.session_state` (a draft), not in the click that opened it: the dialog is drawn again on every
  run until it is confirmed, cancelled or dismissed, so a rerun never loses what the cashier typed.
- A receipt is offered as a PDF right after the payment, and again from the unit's recent receipts
  (a voided receipt reprints stamped 作废). The PDF bytes are kept per receipt and version in this
  user's session only (never in a shared cache).
- Money is shown as ¥1,234.50, right-aligned; amounts typed by the cashier are parsed by the services.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, fields
from decimal import Decimal

import pandas as pd
import streamlit as st

from services.estate import parking
from services.fees import accounts, approvals, cashier, documents, refunds
from services.fees.approvals import ApprovalView
from services.fees.cashier import Account, Receipt, SettlementSheet
from services.fees.statuses import ApprovalStatus, PaymentStatus
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.platform.validate import FieldError, parse_hundredths
from ui.estate.unit_card import SELECTED, search_box
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import DATA_GENERATION, flash
from ui.kit.tables import fit_height, money_table
from ui.kit.tabs import on_demand

DRAFT = "fees:counter:draft"  # the payment waiting for confirmation
LAST = "fees:counter:last"  # (household, payment id) of the receipt just issued
REQUEST = "fees:counter:request"  # the request dialog open: (household, kind, target id)
PAYOUT = "fees:counter:payout_draft"  # (household, refund id) whose payout waits for confirmation
ACCOUNT = "fees:counter:account"  # (lease account "L<id>" picked from the lease hits, the unit in SELECTED then)
PDFS = "fees:counter:pdfs"  # (document, id, version, status) -> PDF bytes, this session only
SETTLE_DRAFT = "fees:settle:draft"
PDF_CACHE_SIZE = 6


def _generation() -> int:
    return int(st.session_state.get(DATA_GENERATION, 0))


def _done(message: str) -> None:
    flash(message)
    st.rerun()


def _closer(*keys: str) -> Callable[[], None]:
    def close() -> None:
        for key in keys:
            st.session_state.pop(key, None)
    return close


# --- receipts as PDF -------------------------------------------------------------------------------


def _cached_pdf(key: tuple, make: Callable[[], bytes]) -> bytes:
    cache: dict = st.session_state.setdefault(PDFS, {})
    if key not in cache:
        while len(cache) >= PDF_CACHE_SIZE:
            cache.pop(next(iter(cache)))
        cache[key] = make()
    return cache[key]


def _receipt_pdf(actor: Actor, payment_id: int) -> tuple[Receipt, bytes]:
    r = cashier.receipt(actor=actor, payment_id=payment_id)
    return r, _cached_pdf(("receipt", r.payment_id, r.version, r.status),
                          lambda: cashier.receipt_pdf(actor=actor, payment_id=payment_id))


def _download(actor: Actor, payment_id: int, *, key: str, primary: bool = False) -> None:
    try:
        r, pdf = _receipt_pdf(actor, payment_id)
    except DomainError as exc:  # e.g. the CJK font is missing on the server
        st.error(exc.message)
        return
    voided = r.status == PaymentStatus.VOIDED
    st.download_button(t("fees.counter_reprint_void") if voided else t("fees.counter_download"), pdf,
                       file_name=f"{r.receipt_no}{'-作废' if voided else ''}.pdf", mime="application/pdf",
                       key=key, on_click="ignore", icon=":material/receipt_long:",
                       type="primary" if primary else "secondary", width="stretch")


# --- 收银台 -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PaymentDraft:
    household: str
    unit_code: str
    payer: str
    amount: Decimal
    method: str
    bill_ids: tuple[int, ...] | None  # None: oldest bills first
    bills_text: str
    target: Decimal  # what the chosen bills (or all open bills) still owe
    note: str


def _household() -> str | None:
    """The account in hand: a lease account picked from the lease hits, unless a unit was picked since (here or
    on /owners, which share the search); else the unit picked in the search."""
    unit_id = st.session_state.get(SELECTED)
    picked = st.session_state.get(ACCOUNT)
    if picked and picked[1] == unit_id:
        return picked[0]
    return accounts.unit_household(unit_id) if unit_id is not None else None


def _lease_hits(actor: Actor, text: str) -> Callable[[], None] | None:
    """What draws the parking leases the search text finds (by plate, space or lessee), or None."""
    try:
        hits = parking.search_leases(actor=actor, text=text)
    except DomainError:
        return None
    if not hits:
        return None

    def draw() -> None:
        st.caption(t("fees.counter_leases_found", n=len(hits)))
        for h in hits:
            whose = t("fees.counter_lease_of_unit", code=h.unit_code) if h.unit_code else t("fees.counter_lease_own")
            label = (f"{t('fees.counter_space')} {h.estate} · **{h.space}** · {h.plate or '—'} · {h.person} · "
                     f"{h.status}（{fmt.day(h.start_on)} – {fmt.day(h.end_on)}） · {whose}")
            if st.button(label, key=f"fees:counter:lease:{h.lease_id}", width="stretch", icon=":material/garage:"):
                if h.household.startswith("U"):
                    st.session_state[SELECTED] = int(h.household[1:])
                    st.session_state.pop(ACCOUNT, None)
                else:
                    st.session_state[ACCOUNT] = (h.household, st.session_state.get(SELECTED))
                st.rerun()
    return draw


def counter_tab(actor: Actor) -> None:
    """Find a unit (or a parking lease), see what it owes, take a payment with its receipt, reprint, ask for a
    void, waiver, cancellation or refund, and pay granted refunds out."""
    search_box(actor, on_pick=_closer(ACCOUNT), more=lambda text: _lease_hits(actor, text))
    household = _household()
    if household is None:
        if not str(st.session_state.get("owners:search", "")).strip():
            st.caption(t("fees.counter_pick_unit"))
        return
    try:
        acct = cashier.account(actor=actor, household=household)
        refund_rows = refunds.account_refunds(actor=actor, household=household)
    except DomainError as exc:
        st.error(exc.message)
        return
    st.divider()
    _account_header(actor, acct, refund_rows)
    last = st.session_state.get(LAST)
    if last and last[0] == household:
        _last_receipt(actor, last[1])
    _bills(actor, acct)
    if can(actor, "fees.collect"):
        _payment_form(acct)
    _receipts(actor, acct)
    _refunds(actor, acct, refund_rows)
    draft = st.session_state.get(DRAFT)
    if isinstance(draft, PaymentDraft) and draft.household == household:
        st.dialog(t("fees.counter_confirm_title"), width="medium", dismissible=True,
                  on_dismiss=_closer(DRAFT))(_confirm_payment)(actor, draft)
    request = st.session_state.get(REQUEST)
    if request and request[0] == household:
        _kind, _target = request[1], request[2]
        titles = {"void": t("fees.counter_void_title"), "waive": t("fees.counter_waive_title"),
                  "cancel": t("fees.counter_cancel_title"), "refund": t("fees.refund_title")}
        st.dialog(titles[_kind], on_dismiss=_closer(REQUEST))(_request_dialog)(actor, acct, _kind, _target)
    payout = st.session_state.get(PAYOUT)
    if payout and payout[0] == household:
        st.dialog(t("fees.refund_payout_title"), on_dismiss=_closer(PAYOUT))(_confirm_payout)(actor, payout[1])


def _may_request(actor: Actor) -> bool:
    return can(actor, "fees.collect") or can(actor, "fees.request")


def _account_header(actor: Actor, acct: Account, refund_rows: list[refunds.RefundRow]) -> None:
    st.subheader(acct.unit_code if acct.lease_id is None else t("fees.counter_lease_title", label=acct.unit_code))
    if acct.payer_name:
        st.caption(t("fees.counter_payer", name=acct.payer_name))
    c = st.columns(4)
    c[0].metric(t("fees.counter_owed"), fmt.money(acct.owed))
    c[1].metric(t("fees.counter_credit"), fmt.money(acct.credit))
    c[2].metric(t("fees.counter_open_bills"), str(len(acct.bills)))
    months = sorted({b.period for b in acct.bills})
    c[3].metric(t("fees.counter_months"), f"{months[0]} – {months[-1]}" if len(months) > 1
                else (months[0] if months else "—"))
    if acct.credit > 0 and _may_request(actor):
        waiting = any(r.status == ApprovalStatus.PENDING for r in refund_rows)
        if c[1].button(t("fees.refund_request"), key="fees:counter:refund", disabled=waiting,
                       icon=":material/currency_exchange:",
                       help=t("fees.refund_waiting") if waiting else t("fees.refund_request_help")):
            st.session_state[REQUEST] = (acct.household, "refund", 0)
            st.rerun()


def _last_receipt(actor: Actor, payment_id: int) -> None:
    try:
        r = cashier.receipt(actor=actor, payment_id=payment_id)
    except DomainError:
        return
    if r.status == PaymentStatus.VOIDED:  # voided since: no longer "just received"; it reprints from the receipts below
        return
    with st.container(border=True):
        c1, c2 = st.columns([3, 1], vertical_alignment="center")
        c1.success(t("fees.counter_issued", no=r.receipt_no, amount=fmt.money(r.amount), method=r.method),
                   icon=":material/check_circle:")
        if r.credit_added:
            c1.caption(t("fees.counter_issued_credit", amount=fmt.money(r.credit_added)))
        with c2:
            _download(actor, payment_id, key=f"fees:counter:pdf:last:{payment_id}", primary=True)


def _bill_label(b: cashier.BillLine) -> str:
    return f"{b.item} {b.period} · {fmt.money(b.outstanding)}"


def _bills(actor: Actor, acct: Account) -> None:
    st.markdown(f"**{t('fees.counter_bills')}**")
    if not acct.bills:
        st.info(t("fees.counter_no_bills"), icon=":material/task_alt:")
        return
    df = pd.DataFrame([{"item": b.item, "period": b.period, "amount": b.amount, "waived": b.waived,
                        "paid": b.paid, "outstanding": b.outstanding, "due_on": b.due_on, "status": b.status,
                        "pending": b.pending} for b in acct.bills])
    total = {"item": t("fees.counter_total"), "period": "", "amount": sum(df["amount"], Decimal(0)),
             "waived": sum(df["waived"], Decimal(0)), "paid": sum(df["paid"], Decimal(0)),
             "outstanding": acct.owed, "due_on": None, "status": "", "pending": ""}
    df = pd.concat([df, pd.DataFrame([total])], ignore_index=True)
    labels = {"item": t("fees.counter_item"), "period": t("fees.counter_period"),
              "amount": t("fees.counter_amount"), "waived": t("fees.counter_waived"),
              "paid": t("fees.counter_paid"), "outstanding": t("fees.counter_outstanding"),
              "due_on": t("fees.counter_due_on"), "status": t("fees.counter_status")}
    if any(b.pending for b in acct.bills):  # the column only when a request waits
        labels["pending"] = t("fees.counter_pending")
    money_table(df, labels, money=("amount", "waived", "paid", "outstanding"), total_row=True,
                height=fit_height(len(df), 420), key=f"fees:counter:bills:{acct.household}:{_generation()}")
    if not can(actor, "fees.request"):
        return
    options = {b.id: b for b in acct.bills}
    c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="bottom")
    bill_id = c1.selectbox(t("fees.counter_request_bill"), list(options),
                           format_func=lambda i: _bill_label(options[i]), key=f"fees:counter:reqbill:{acct.household}")
    busy = bool(options[bill_id].pending) if bill_id in options else True
    if c2.button(t("fees.counter_waive"), key="fees:counter:waive", disabled=busy, width="stretch"):
        st.session_state[REQUEST] = (acct.household, "waive", bill_id)
        st.rerun()
    if c3.button(t("fees.counter_cancel_bill"), key="fees:counter:cancel", width="stretch",
                 disabled=busy or options[bill_id].paid > 0):
        st.session_state[REQUEST] = (acct.household, "cancel", bill_id)
        st.rerun()
    if busy:
        st.caption(t("fees.counter_request_busy", kind=options[bill_id].pending))


def _payment_form(acct: Account) -> None:
    with st.container(border=True):
        st.markdown(f"**{t('fees.counter_take')}**")
        options = {b.id: b for b in acct.bills}
        gen = _generation()
        c1, c2 = st.columns([3, 1], vertical_alignment="bottom")
        picked = c1.multiselect(t("fees.counter_pick_bills"), list(options),
                                format_func=lambda i: _bill_label(options[i]),
                                key=f"fees:counter:bills:{acct.household}:{gen}",
                                placeholder=t("fees.counter_pick_bills_placeholder"))
        target = sum((options[i].outstanding for i in picked), Decimal(0)) if picked else acct.owed
        prefill = fmt.plain_hundredths(target) if target > 0 else ""
        raw = c2.text_input(t("fees.counter_amount_input"), value=prefill, max_chars=14,
                            key=f"fees:counter:amount:{acct.household}:{gen}:{','.join(map(str, picked))}",
                            help=t("fees.counter_amount_help"))
        c3, c4, c5 = st.columns([4, 3, 2], vertical_alignment="bottom")
        method = c3.radio(t("fees.counter_method"), cashier.METHODS, horizontal=True, key="fees:counter:method")
        note = c4.text_input(t("fees.counter_note"), max_chars=200, key=f"fees:counter:note:{acct.household}:{gen}")
        take = c5.button(t("fees.counter_take_button"), type="primary", key="fees:counter:take", width="stretch",
                         icon=":material/point_of_sale:")
        if not acct.bills:
            st.caption(t("fees.counter_prepay_hint"))
        if take:
            try:
                amount = cashier.parse_amount(raw, t("fees.counter_amount_input"))
            except DomainError as exc:
                st.error(exc.message)
                return
            bills_text = "、".join(f"{options[i].item} {options[i].period}" for i in picked) if picked \
                else t("fees.counter_oldest_first")
            st.session_state[DRAFT] = PaymentDraft(acct.household, acct.unit_code, acct.payer_name, amount, method,
                                                   tuple(picked) if picked else None, bills_text, target, note)
            st.rerun()


def _confirm_payment(actor: Actor, d: PaymentDraft) -> None:
    st.markdown(f"**{d.unit_code}**" + (f" · {d.payer}" if d.payer else ""))
    c1, c2 = st.columns(2)
    c1.metric(t("fees.counter_amount_input"), fmt.money(d.amount))
    c2.metric(t("fees.counter_method"), d.method)
    st.markdown(t("fees.counter_in_words", words=documents.amount_in_words(d.amount)))
    st.caption(t("fees.counter_confirm_bills", bills=d.bills_text))
    if d.amount > d.target:
        st.info(t("fees.counter_to_credit", amount=fmt.money(d.amount - d.target)), icon=":material/savings:")
    elif d.amount < d.target:
        st.caption(t("fees.counter_partial", amount=fmt.money(d.target - d.amount)))
    if d.note:
        st.caption(t("fees.counter_note_shown", note=d.note))
    c1, c2 = st.columns(2)
    confirm = c1.button(t("fees.counter_confirm"), type="primary", key="fees:counter:confirm", width="stretch")
    if c2.button(t("fees.counter_back"), key="fees:counter:back", width="stretch"):
        st.session_state.pop(DRAFT, None)
        st.rerun()
    if confirm:
        try:
            r = cashier.take_payment(actor=actor, household=d.household, amount=d.amount, method=d.method,
                                     bill_ids=list(d.bill_ids) if d.bill_ids is not None else None, note=d.note)
        except DomainError as exc:
            st.error(exc.message)
            return
        st.session_state.pop(DRAFT, None)
        st.session_state[LAST] = (d.household, r.payment_id)
        _done(t("fees.counter_taken", no=r.receipt_no, amount=fmt.money(r.amount)))


def _receipts(actor: Actor, acct: Account) -> None:
    rows = cashier.unit_receipts(actor=actor, household=acct.household)
    st.markdown(f"**{t('fees.counter_receipts')}**")
    if not rows:
        st.caption(t("fees.counter_no_receipts"))
        return

    def state(r: cashier.ReceiptRow) -> str:
        return t("fees.counter_void_pending") if r.void_pending else r.status

    df = pd.DataFrame([{"receipt_no": r.receipt_no, "at": r.received_at, "amount": r.amount,
                        "method": r.method, "cashier": r.cashier, "status": state(r)} for r in rows])
    money_table(df, {"receipt_no": t("fees.counter_receipt_no"), "at": t("fees.counter_received_at"),
                     "amount": t("fees.counter_amount"), "method": t("fees.counter_method"),
                     "cashier": t("fees.counter_cashier"), "status": t("fees.counter_status")}, money=("amount",),
                height=fit_height(len(df), 300), key=f"fees:counter:receipts:{acct.household}:{_generation()}")
    by_id = {r.payment_id: r for r in rows}
    c1, c2, c3 = st.columns([5, 2, 2], vertical_alignment="bottom")
    pid = c1.selectbox(t("fees.counter_pick_receipt"), list(by_id),
                       format_func=lambda i: f"{by_id[i].receipt_no} · {fmt.money(by_id[i].amount)} · "
                                             f"{state(by_id[i])}",
                       key=f"fees:counter:receipt:{acct.household}:{_generation()}")
    with c2:
        _download(actor, pid, key=f"fees:counter:pdf:{pid}")
    chosen = by_id[pid]
    can_void = chosen.status != PaymentStatus.VOIDED and not chosen.void_pending
    if _may_request(actor) and c3.button(t("fees.counter_request_void"), key="fees:counter:void",
                                         disabled=not can_void, width="stretch"):
        st.session_state[REQUEST] = (acct.household, "void", pid)
        st.rerun()


def _refunds(actor: Actor, acct: Account, rows: list[refunds.RefundRow]) -> None:
    """The account's refund requests and 退款单: state, PDF, payout."""
    if not rows:
        return
    st.markdown(f"**{t('fees.refund_list')}**")
    df = pd.DataFrame([{"refund_no": r.refund_no or "—", "status": r.status, "amount": r.amount, "method": r.method,
                        "payee": r.payee, "requester": r.requester, "at": r.requested_at, "approver": r.approver,
                        "paid_by": r.paid_by, "paid_at": r.paid_at} for r in rows])
    money_table(df, {"refund_no": t("fees.refund_no"), "status": t("fees.counter_status"),
                     "amount": t("fees.refund_amount"), "method": t("fees.refund_method"),
                     "payee": t("fees.refund_payee"), "requester": t("fees.approval_requester"),
                     "approver": t("fees.approval_decider"), "paid_at": t("fees.refund_paid_at")},
                money=("amount",), height=fit_height(len(df), 250),
                key=f"fees:counter:refunds:{acct.household}:{_generation()}")
    granted = {r.refund_id: r for r in rows if r.refund_id is not None}
    if not granted:
        return
    c1, c2, c3 = st.columns([5, 2, 2], vertical_alignment="bottom")
    rid = c1.selectbox(t("fees.refund_pick"), list(granted),
                       format_func=lambda i: f"{granted[i].refund_no} · {fmt.money(granted[i].amount)} · "
                                             f"{granted[i].status}",
                       key=f"fees:counter:refund_pick:{acct.household}:{_generation()}")
    with c2:
        _refund_download(actor, rid, key=f"fees:counter:refund_pdf:{rid}")
    if can(actor, "fees.collect") and c3.button(t("fees.refund_payout"), key="fees:counter:payout",
                                                disabled=granted[rid].status != refunds.TO_PAY, width="stretch",
                                                type="primary" if granted[rid].status == refunds.TO_PAY
                                                else "secondary"):
        st.session_state[PAYOUT] = (acct.household, rid)
        st.rerun()
    if granted[rid].status == refunds.TO_PAY:
        st.caption(t("fees.refund_to_pay_hint"))


def _refund_download(actor: Actor, refund_id: int, *, key: str) -> None:
    try:
        r = refunds.refund(actor=actor, refund_id=refund_id)
        pdf = _cached_pdf(("refund", r.refund_id, r.version, r.status),
                          lambda: refunds.refund_pdf(actor=actor, refund_id=refund_id))
    except DomainError as exc:  # e.g. the CJK font is missing on the server
        st.error(exc.message)
        return
    st.download_button(t("fees.refund_download"), pdf, file_name=f"{r.refund_no}.pdf", mime="application/pdf",
                       key=key, on_click="ignore", icon=":material/receipt_long:", width="stretch")


def _confirm_payout(actor: Actor, refund_id: int) -> None:
    try:
        r = refunds.refund(actor=actor, refund_id=refund_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    st.markdown(t("fees.refund_payout_what", no=r.refund_no, amount=fmt.money(r.amount), method=r.method,
                  payee=r.payee))
    st.markdown(t("fees.counter_in_words", words=documents.amount_in_words(r.amount)))
    st.caption(t("fees.refund_payout_effect"))
    c1, c2 = st.columns(2)
    confirm = c1.button(t("fees.refund_payout_confirm"), type="primary", key="fees:counter:payout_confirm",
                        width="stretch")
    if c2.button(t("fees.counter_back"), key="fees:counter:payout_back", width="stretch"):
        st.session_state.pop(PAYOUT, None)
        st.rerun()
    if confirm:
        try:
            refunds.pay_out(actor=actor, refund_id=refund_id)
        except DomainError as exc:
            st.error(exc.message)
            return
        st.session_state.pop(PAYOUT, None)
        _done(t("fees.refund_paid", no=r.refund_no, amount=fmt.money(r.amount)))


def _request_dialog(actor: Actor, acct: Account, kind: str, target: int) -> None:
    amount: object = None
    method = payee = ""
    if kind == "void":
        r = cashier.receipt(actor=actor, payment_id=target)
        st.markdown(t("fees.counter_void_what", no=r.receipt_no, amount=fmt.money(r.amount), method=r.method,
                      at=fmt.moment(r.received_at)))
        st.caption(t("fees.counter_void_effect"))
    elif kind == "refund":
        st.markdown(t("fees.refund_what", account=acct.unit_code, credit=fmt.money(acct.credit)))
        c1, c2 = st.columns(2)
        amount = c1.text_input(t("fees.refund_amount_input"), value=fmt.plain_hundredths(acct.credit), max_chars=14,
                               key=f"fees:counter:refund_amount:{acct.household}")
        payee = c2.text_input(t("fees.refund_payee"), value=acct.payer_name, max_chars=64,
                              key=f"fees:counter:refund_payee:{acct.household}")
        method = st.radio(t("fees.refund_method"), cashier.METHODS, horizontal=True,
                          key=f"fees:counter:refund_method:{acct.household}")
        st.caption(t("fees.refund_effect"))
    else:
        bill = next((b for b in acct.bills if b.id == target), None)
        if bill is None:
            st.warning(t("fees.counter_bill_gone"))
            return
        st.markdown(t("fees.counter_bill_what", item=bill.item, period=bill.period, amount=fmt.money(bill.amount),
                      outstanding=fmt.money(bill.outstanding)))
        if kind == "waive":
            amount = st.text_input(t("fees.counter_waive_amount"), value=fmt.plain_hundredths(bill.outstanding),
                                   max_chars=14, key=f"fees:counter:waive_amount:{target}")
    reason = st.text_area(t("fees.counter_reason"), max_chars=200, key=f"fees:counter:reason:{kind}:{target}",
                          placeholder=t("fees.refund_reason_placeholder") if kind == "refund"
                          else t("fees.counter_reason_placeholder"))
    st.caption(t("fees.counter_needs_manager"))
    c1, c2 = st.columns(2)
    submit = c1.button(t("fees.counter_submit_request"), type="primary", key="fees:counter:submit_request",
                       width="stretch")
    if c2.button(t("fees.counter_back"), key="fees:counter:request_back", width="stretch"):
        st.session_state.pop(REQUEST, None)
        st.rerun()
    if submit:
        try:
            if kind == "void":
                approvals.request_void(actor=actor, payment_id=target, reason=reason)
            elif kind == "waive":
                approvals.request_waiver(actor=actor, bill_id=target, amount=amount, reason=reason)
            elif kind == "refund":
                refunds.request_refund(actor=actor, household=acct.household, amount=amount, method=method,
                                       payee=payee, reason=reason)
            else:
                approvals.request_cancel(actor=actor, bill_id=target, reason=reason)
        except DomainError as exc:
            st.error(exc.message)
            return
        st.session_state.pop(REQUEST, None)
        _done(t("fees.counter_requested"))


# --- 审批 -------------------------------------------------------------------------------------------


def _what(a: ApprovalView) -> str:
    target = a.target
    extra = (a.method, t("fees.refund_payee_shown", payee=a.payee)) if a.kind == "退款" else ()
    return " · ".join(x for x in (a.kind, target, a.unit, fmt.money(a.amount), *extra) if x)


def approvals_tab(actor: Actor) -> None:
    """A manager's queue of void, waiver, cancel and refund requests; everyone's own requests and their state."""
    if can(actor, "fees.approve"):
        pending = approvals.list_approvals(actor=actor, status=ApprovalStatus.PENDING)
        st.subheader(t("fees.approval_queue", n=len(pending)))
        if not pending:
            st.info(t("fees.approval_none"), icon=":material/done_all:")
        for a in pending:
            _decision_card(actor, a)
        if on_demand(t("fees.approval_history"), key="fees:approval:history"):  # 500 decisions: read when asked
            done = [a for a in approvals.list_approvals(actor=actor, status="") if a.status != ApprovalStatus.PENDING]
            _approvals_table(done, decided=True)
    st.subheader(t("fees.approval_mine"))
    mine = approvals.list_approvals(actor=actor, status="", requested_by=actor.user_id) \
        if actor.user_id is not None else []
    _approvals_table(mine, decided=True)


def _decision_card(actor: Actor, a: ApprovalView) -> None:
    with st.container(border=True):
        c1, c2 = st.columns([3, 2], vertical_alignment="center")
        own = a.requested_by is not None and a.requested_by == actor.user_id
        c1.markdown(f"**{_what(a)}**" + (f" :orange-badge[{t('fees.approval_own')}]" if own else ""))
        c1.caption(t("fees.approval_by", reason=a.reason, who=a.requester, at=fmt.moment(a.requested_at)))
        note = c2.text_input(t("fees.approval_note"), max_chars=200, key=f"fees:approval:note:{a.id}")
        b1, b2 = c2.columns(2)
        for approve, label, button_key in ((True, t("fees.approval_approve"), "ok"),
                                           (False, t("fees.approval_refuse"), "no")):
            column = b1 if approve else b2
            if column.button(label, key=f"fees:approval:{button_key}:{a.id}", width="stretch",
                             type="primary" if approve else "secondary"):
                try:
                    approvals.decide(actor=actor, approval_id=a.id, approve=approve, note=note)
                except DomainError as exc:
                    st.error(exc.message)
                else:
                    _done(t("fees.approval_approved") if approve else t("fees.approval_refused"))


def _approvals_table(rows: list[ApprovalView], *, decided: bool) -> None:
    if not rows:
        st.caption(t("fees.approval_empty"))
        return
    # fields read as they are: asdict deep-copies every value (66 ms for 500 rows)
    df = pd.DataFrame([{**{f.name: getattr(a, f.name) for f in fields(a)}, "target": a.target,
                        "at": a.requested_at, "decided": a.decided_at} for a in rows])
    labels = {"kind": t("fees.approval_kind"), "target": t("fees.approval_target"), "unit": t("fees.approval_unit"),
              "amount": t("fees.approval_amount"), "reason": t("fees.approval_reason"),
              "requester": t("fees.approval_requester"), "at": t("fees.approval_at"),
              "status": t("fees.approval_status")}
    if decided:
        labels |= {"decider": t("fees.approval_decider"), "decision_note": t("fees.approval_note"),
                   "decided": t("fees.approval_decided_at")}
    money_table(df, labels, money=("amount",))


# --- 日结 -------------------------------------------------------------------------------------------


def settlement_tab(actor: Actor) -> None:
    """A cashier's day: totals by method, receipts used and voided, cash to hand over; confirm to lock it."""
    c1, c2, _ = st.columns([1, 1, 2])
    day = c1.date_input(t("fees.settle_day"), value=local_today(), max_value=local_today(), format="YYYY-MM-DD",
                        key="fees:settle:day")
    who = actor.user_id
    if can(actor, "fees.approve"):
        people = dict(cashier.settlement_cashiers(actor=actor, day=day))
        if actor.user_id is not None:
            people = {actor.user_id: actor.display_name, **people}
        if people:
            who = c2.selectbox(t("fees.settle_cashier"), list(people), format_func=people.get,
                               key="fees:settle:who")
    if who is None:
        st.info(t("fees.settle_no_cashier"))
        return
    try:
        sheet = cashier.settlement_sheet(actor=actor, day=day, cashier_user_id=who)
    except DomainError as exc:
        st.error(exc.message)
        return
    own = who == actor.user_id
    _sheet(sheet)
    if sheet.confirmed:
        _locked(sheet)
    elif own and can(actor, "fees.settle"):
        _settle_form(sheet)
    else:
        st.caption(t("fees.settle_read_only"))
    draft = st.session_state.get(SETTLE_DRAFT)
    if draft and draft["day"] == day and own and not sheet.confirmed:
        st.dialog(t("fees.settle_confirm_title"), on_dismiss=_closer(SETTLE_DRAFT))(_confirm_settle)(
            actor, sheet, draft)


def _receipt_range(numbers: tuple[str, ...]) -> str:
    if not numbers:
        return "—"
    ordered = sorted(numbers)
    return ordered[0] if len(ordered) == 1 else f"{ordered[0]} – {ordered[-1]}"


def _sheet(sheet: SettlementSheet) -> None:
    badge = f":green-badge[:material/lock: {t('fees.settle_locked')}]" if sheet.confirmed \
        else f":orange-badge[{t('fees.settle_open')}]"
    st.markdown(f"#### {t('fees.settle_heading', name=sheet.cashier_name, day=sheet.day.isoformat())} {badge}")
    valid = len(sheet.receipts) - len(sheet.voided_receipts)
    c = st.columns(5)
    c[0].metric(t("fees.settle_total"), fmt.money(sheet.total))
    c[1].metric(t("fees.settle_refunds_total"), fmt.money(sheet.refund_total),
                help=t("fees.settle_refunds_help", n=len(sheet.refunds)))
    c[2].metric(t("fees.settle_cash_expected"), fmt.money(sheet.cash_expected),
                help=t("fees.settle_cash_expected_help"))
    c[3].metric(t("fees.settle_receipts"), str(len(sheet.receipts)),
                help=t("fees.settle_receipts_help", valid=valid, voided=len(sheet.voided_receipts)))
    c[4].metric(t("fees.settle_voided"), str(len(sheet.voided_receipts)))
    left, right = st.columns([2, 3], gap="large")
    with left:
        refunded = sheet.refund_totals or {}
        df = pd.DataFrame([{"method": m, "amount": v, "refunded": refunded.get(m, Decimal("0.00"))}
                           for m, v in sheet.totals.items()]
                          + [{"method": t("fees.counter_total"), "amount": sheet.total,
                              "refunded": sheet.refund_total}])
        money_table(df, {"method": t("fees.counter_method"), "amount": t("fees.settle_received"),
                         "refunded": t("fees.settle_refunded")}, money=("amount", "refunded"), total_row=True,
                    key=f"fees:settle:methods:{sheet.cashier_user_id}:{sheet.day}:{sheet.confirmed}")
    with right:
        st.markdown(t("fees.settle_range", range=_receipt_range(sheet.receipts), n=len(sheet.receipts)))
        st.markdown(t("fees.settle_voided_list", numbers="、".join(sheet.voided_receipts) or "—"))
        st.markdown(t("fees.settle_refund_list", numbers="、".join(sheet.refunds) or "—"))
        if sheet.refund_totals.get("现金"):
            st.caption(t("fees.settle_cash_net", received=fmt.money(sheet.totals.get("现金", Decimal("0.00"))),
                         refunded=fmt.money(sheet.refund_totals["现金"]), expected=fmt.money(sheet.cash_expected)))
        if not sheet.receipts and not sheet.refunds:
            st.caption(t("fees.settle_no_payments"))
        elif sheet.receipts:
            with st.expander(t("fees.settle_receipt_list", n=len(sheet.receipts))):
                voided = set(sheet.voided_receipts)
                st.text("\n".join(f"{no}（{t('fees.settle_void_mark')}）" if no in voided else no
                                   for no in sorted(sheet.receipts)))


def _locked(sheet: SettlementSheet) -> None:
    with st.container(border=True):
        c = st.columns(3)
        c[0].metric(t("fees.settle_cash_handed"), fmt.money(sheet.cash_handed))
        c[1].metric(t("fees.settle_discrepancy"), fmt.money(sheet.discrepancy))
        c[2].metric(t("fees.settle_received_by"), sheet.received_by or "—")
        if sheet.note:
            st.caption(t("fees.settle_note_shown", note=sheet.note))
        st.caption(t("fees.settle_confirmed_at", at=fmt.moment(sheet.confirmed_at)))


def _settle_form(sheet: SettlementSheet) -> None:
    with st.container(border=True):
        st.markdown(f"**{t('fees.settle_hand_over')}**")
        gen = _generation()
        day = sheet.day.isoformat()
        c1, c2 = st.columns(2)
        cash = c1.text_input(t("fees.settle_cash_handed"), value=fmt.plain_hundredths(sheet.cash_expected),
                             max_chars=14, key=f"fees:settle:cash:{day}:{gen}")
        received_by = c2.text_input(t("fees.settle_received_by"), max_chars=32, key=f"fees:settle:by:{day}:{gen}",
                                    placeholder=t("fees.settle_received_by_placeholder"))
        if sheet.cash_expected < 0:
            st.caption(t("fees.settle_negative_cash", amount=fmt.money(-sheet.cash_expected)))
        note = st.text_area(t("fees.settle_note"), max_chars=500, key=f"fees:settle:note:{day}:{gen}",
                            placeholder=t("fees.settle_note_placeholder"), height=80)
        if st.button(t("fees.settle_button"), type="primary", key="fees:settle:go", icon=":material/lock:"):
            try:
                handed = parse_hundredths(cash, min_value=min(Decimal(0), sheet.cash_expected),
                                          max_value=cashier.MAX_PAYMENT)
            except FieldError as exc:
                st.error(f"{t('fees.settle_cash_handed')}：{exc}")
                return
            st.session_state[SETTLE_DRAFT] = {"day": sheet.day, "cash": handed, "received_by": received_by,
                                              "note": note}
            st.rerun()


def _confirm_settle(actor: Actor, sheet: SettlementSheet, draft: dict) -> None:
    st.markdown(t("fees.settle_confirm_text", day=sheet.day.isoformat(), total=fmt.money(sheet.total),
                  n=len(sheet.receipts)))
    handed = draft["cash"]
    c = st.columns(3)
    c[0].metric(t("fees.settle_cash_expected"), fmt.money(sheet.cash_expected))
    c[1].metric(t("fees.settle_cash_handed"), fmt.money(handed))
    c[2].metric(t("fees.settle_discrepancy"), fmt.money(handed - sheet.cash_expected))
    if handed != sheet.cash_expected and not draft["note"].strip():
        st.error(t("fees.settle_need_note"))
    if draft["received_by"]:
        st.caption(t("fees.settle_received_by_shown", name=draft["received_by"]))
    st.warning(t("fees.settle_lock_warning"), icon=":material/lock:")
    c1, c2 = st.columns(2)
    confirm = c1.button(t("fees.settle_confirm"), type="primary", key="fees:settle:confirm", width="stretch")
    if c2.button(t("fees.counter_back"), key="fees:settle:back", width="stretch"):
        st.session_state.pop(SETTLE_DRAFT, None)
        st.rerun()
    if confirm:
        try:
            cashier.confirm_settlement(actor=actor, day=sheet.day, cash_handed=draft["cash"], note=draft["note"],
                                       received_by=draft["received_by"])
        except DomainError as exc:
            st.error(exc.message)
            return
        st.session_state.pop(SETTLE_DRAFT, None)
        _done(t("fees.settle_done", day=sheet.day.isoformat()))

