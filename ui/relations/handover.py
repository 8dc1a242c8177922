"""值班交接 (/relations): the handovers waiting for their receiver, the signed-in user's own shift log (its lines, the
items still open, handing over), and the register of past shifts.

The receiver confirms with their own sign-in: the writer of a handover sees it waiting but has no button to confirm
it (the service refuses it anyway, with the rule). Every write goes through services/relations/handover.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pandas as pd
import streamlit as st

from services.admin.reference import estate_options
from services.platform.auth import Actor
from services.platform.clock import SHANGHAI, local_today, utcnow
from services.relations import handover as duty
from ui.kit import fmt, specs
from ui.kit.grid import data_grid, picked_row
from ui.kit.i18n import t
from ui.kit.session import attempt
from ui.kit.tables import money_table
from ui.kit.tabs import grid_query_keys

KEEP: tuple[str, ...] = ("duty:f_status", "duty:f_shift", *grid_query_keys("duty_shifts"))
# The open dialog lives in the session, not in the click that opened it, so it is drawn again on every run until it
# succeeds or is dismissed: ("confirm", shift id, version) or ("hand_over", shift id).
DIALOG = "duty:dialog"


def _close_dialog() -> None:
    st.session_state.pop(DIALOG, None)


def handover_tab(actor: Actor) -> None:
    waiting = duty.open_handovers(actor=actor)
    if not waiting.empty:
        st.subheader(t("handover.waiting", n=len(waiting)))
        for row in waiting.itertuples():
            _waiting_card(actor, row)
    current = duty.current_shift(actor=actor)
    st.subheader(t("handover.my_shift"))
    if current is None:
        _start_form(actor, blocked=not waiting.empty)
    else:
        _my_log(actor, current)
    dialog = st.session_state.get(DIALOG)
    if dialog and dialog[0] == "confirm" and dialog[1] in set(waiting["id"]):
        st.dialog(t("handover.confirm_title"), width="large", on_dismiss=_close_dialog)(_confirm_dialog)(
            actor, int(dialog[1]), int(dialog[2]))
    elif dialog and dialog[0] == "hand_over" and current is not None and dialog[1] == current.id:
        st.dialog(t("handover.hand_over"), width="large", on_dismiss=_close_dialog)(_hand_over_dialog)(actor, current)
    elif dialog:
        _close_dialog()
    st.subheader(t("handover.register"))
    _register(actor)


def _attempt(fn: Callable[[], object], success: Callable[[Any], str]) -> None:
    attempt(fn, success, then=_close_dialog)


def _entries_table(entries: pd.DataFrame, key: str, *, brief: bool = False) -> None:
    """A log's lines; `brief`: the open items being handed over (no state, origin or how it was done)."""
    shown = entries.assign(
        at=[fmt.moment(v) for v in entries["at"]],
        # a line that never needed action has no state; one that did is open or done
        state=[t("handover.state_open") if o else (t("handover.state_done") if done is not None and done == done
                                                   else "")
               for o, done in zip(entries["open_item"], entries["resolved_at"], strict=True)],
        carried=[t("handover.carried_mark") if c else "" for c in entries["carried"]],
    ) if len(entries) else entries
    columns = {"at": t("handover.at"), "kind": t("handover.kind"), "content": t("handover.content"),
               "state": t("handover.state"), "carried": t("handover.carried"),
               "recorded_by": t("handover.recorded_by"), "resolved_note": t("handover.resolved_note")}
    if brief:
        columns = {k: v for k, v in columns.items() if k in ("at", "kind", "content", "recorded_by")}
    money_table(shown, columns, key=key)


# ---------------------------------------------------------------- handovers waiting


def _waiting_card(actor: Actor, row: Any) -> None:
    with st.container(border=True):
        where = f"{row.estate} · " if row.estate else ""
        st.markdown(f"**{where}{row.duty_on.isoformat()} {row.shift} · {row.writer}**  \n"
                    + t("handover.handed_line", at=fmt.moment(row.handed_at), n=int(row.open_items)))
        st.write(row.summary)
        own = row.writer_id is not None and row.writer_id == actor.user_id
        if own:
            st.caption(t("handover.own_waiting"))
        elif st.button(t("handover.confirm"), key=f"duty:confirm:{row.id}", type="primary",
                       icon=":material/how_to_reg:"):
            st.session_state[DIALOG] = ("confirm", int(row.id), int(row.version))


def _confirm_dialog(actor: Actor, shift_id: int, version: int) -> None:
    log = duty.shift_detail(actor=actor, shift_id=shift_id)
    st.markdown(t("handover.confirm_intro", writer=log.writer, day=log.duty_on.isoformat(), shift=log.shift,
                  me=actor.display_name))
    st.write(log.summary)
    still_open = log.entries[log.entries["open_item"].astype(bool)] if len(log.entries) else log.entries
    st.markdown(f"**{t('handover.carried_items', n=len(still_open))}**")
    _entries_table(still_open, key=f"duty:carry:{shift_id}", brief=True)
    with st.form(f"duty:confirm_form:{shift_id}"):
        note = st.text_area(t("handover.confirm_note"), max_chars=500)
        if st.form_submit_button(t("handover.confirm"), type="primary"):
            _attempt(lambda: duty.confirm(actor=actor, shift_id=shift_id, version=version, note=note),
                     lambda _: t("handover.confirmed", n=len(still_open)))


# ---------------------------------------------------------------- my shift


def _start_form(actor: Actor, *, blocked: bool) -> None:
    if blocked:
        st.info(t("handover.confirm_first"))
        return
    st.caption(t("handover.not_on_duty"))
    day, shift = duty.shift_of(utcnow())
    estates = dict(estate_options(actor=actor))
    with st.form("duty:open"):
        c1, c2, c3 = st.columns(3)
        estate_id = c1.selectbox(t("handover.estate"), [None, *estates],
                                 format_func=lambda v: t("handover.whole_centre") if v is None else estates[v])
        shift = c2.selectbox(t("handover.shift"), duty.SHIFTS, index=duty.SHIFTS.index(shift))
        day = c3.date_input(t("handover.duty_on"), value=day, format="YYYY-MM-DD")
        if st.form_submit_button(t("handover.start"), type="primary"):
            _attempt(lambda: duty.open_shift(actor=actor, estate_id=estate_id, shift=shift, duty_on=day),
                     lambda _: t("handover.started"))


def _my_log(actor: Actor, log: duty.ShiftView) -> None:
    where = log.estate or t("handover.whole_centre")
    st.markdown(t("handover.my_line", day=log.duty_on.isoformat(), shift=log.shift, where=where,
                  at=fmt.moment(log.opened_at)))
    with st.container(horizontal=True, gap="small"):
        st.metric(t("handover.lines"), len(log.entries), width=110)
        st.metric(t("handover.open_items"), log.open_items, width=110)
    _entries_table(log.entries, key=f"duty:mine:{log.id}")
    now = datetime.now(SHANGHAI)
    with st.form("duty:entry", clear_on_submit=True):
        c1, c2, c3 = st.columns([1, 1, 1])
        day = c1.date_input(t("handover.day"), value=local_today(), format="YYYY-MM-DD")
        moment = c2.time_input(t("handover.time"), value=now.time().replace(second=0, microsecond=0), step=300)
        kind = c3.selectbox(t("handover.kind"), duty.ENTRY_KINDS)
        content = st.text_area(t("handover.content"), max_chars=500, placeholder=t("handover.content_hint"))
        open_item = st.checkbox(t("handover.open_item"))
        if st.form_submit_button(t("handover.add"), type="primary"):
            _attempt(lambda: duty.add_entry(actor=actor, shift_id=log.id, at=datetime.combine(day, moment, SHANGHAI),
                                            kind=kind, content=content, open_item=open_item),
                     lambda _: t("handover.added"))
    still_open = log.entries[log.entries["open_item"].astype(bool)] if len(log.entries) else log.entries
    c1, c2 = st.columns(2)
    if len(still_open):
        with c1, st.popover(t("handover.resolve"), icon=":material/task_alt:", width="stretch"):
            options = {int(r.id): f"{fmt.moment(r.at)} {r.kind}：{r.content}" for r in still_open.itertuples()}
            versions = {int(r.id): int(r.version) for r in still_open.itertuples()}
            with st.form("duty:resolve", clear_on_submit=True):
                entry_id = st.selectbox(t("handover.item"), list(options), format_func=options.get)
                note = st.text_input(t("handover.resolved_note"), max_chars=200)
                if st.form_submit_button(t("handover.resolve"), type="primary"):
                    _attempt(lambda: duty.resolve_entry(actor=actor, entry_id=entry_id, version=versions[entry_id],
                                                        note=note), lambda _: t("handover.resolved"))
    if c2.button(t("handover.hand_over"), key="duty:hand_over", icon=":material/logout:", width="stretch"):
        st.session_state[DIALOG] = ("hand_over", log.id)


def _hand_over_dialog(actor: Actor, log: duty.ShiftView) -> None:
    still_open = log.entries[log.entries["open_item"].astype(bool)] if len(log.entries) else log.entries
    st.markdown(t("handover.hand_over_intro", n=len(still_open)))
    _entries_table(still_open, key=f"duty:handing:{log.id}", brief=True)
    with st.form("duty:hand_over_form"):
        summary = st.text_area(t("handover.summary"), max_chars=1000, placeholder=t("handover.summary_hint"))
        if st.form_submit_button(t("handover.hand_over"), type="primary"):
            _attempt(lambda: duty.hand_over(actor=actor, shift_id=log.id, version=log.version, summary=summary),
                     lambda result: t("handover.handed", n=getattr(result, "open_items", 0)))


# ---------------------------------------------------------------- past shifts


def _register(actor: Actor) -> None:
    c1, c2 = st.columns(2)
    status = c1.selectbox(t("handover.status"), [None, *duty.STATUSES], key="duty:f_status",
                          format_func=lambda v: t("handover.all") if v is None else v)
    shift = c2.selectbox(t("handover.shift"), [None, *duty.SHIFTS], key="duty:f_shift",
                         format_func=lambda v: t("handover.all") if v is None else v)
    spec = specs.DUTY_SHIFTS
    data_grid(spec, load=lambda q: duty.list_shifts(actor=actor, query=q), filters={"status": status, "shift": shift})
    shift_id = picked_row(spec)
    if shift_id is None:
        st.caption(t("handover.pick"))
        return
    log = duty.shift_detail(actor=actor, shift_id=shift_id)
    line = t("handover.detail_line", day=log.duty_on.isoformat(), shift=log.shift, writer=log.writer,
             status=log.status)
    if log.confirmed_at is not None:
        line += t("handover.detail_confirmed", receiver=log.receiver, at=fmt.moment(log.confirmed_at))
    st.markdown(f"**{line}**")
    if log.summary:
        st.write(log.summary)
    if log.confirm_note:
        st.caption(t("handover.receiver_note", note=log.confirm_note))
    _entries_table(log.entries, key=f"duty:detail:{log.id}")
