"""The ticket detail panel with its timeline and the moves the role may make, as dialogs."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import pandas as pd
import streamlit as st

from services import tickets
from services.auth import Actor, Role, can
from services.clock import SHANGHAI, local_today
from services.errors import DomainError
from services.ticket_lists import ticket_detail
from services.users import assignable_users, staff_choices
from ui import fmt
from ui.i18n import t
from ui.session import flash


def _attempt(fn: Callable[[], object], success: str) -> None:
    try:
        fn()
    except DomainError as exc:
        st.error(exc.message)
    else:
        flash(success)
        st.rerun()


def _when(key: str) -> datetime:
    c1, c2 = st.columns(2)
    day = c1.date_input(t("tickets.when_day"), value=local_today(), format="YYYY-MM-DD", key=f"{key}:d")
    moment = c2.time_input(t("tickets.when_time"), value=datetime.now(SHANGHAI).time().replace(second=0,
                                                                                                 microsecond=0),
                           key=f"{key}:t", step=300)
    return datetime.combine(day, moment, SHANGHAI)


def ticket_panel(actor: Actor, ticket_id: int, key: str = "") -> None:
    """`key` tells apart panels of one ticket opened under several boards in the same run."""
    d = ticket_detail(actor=actor, ticket_id=ticket_id)
    if not d:
        return
    st.subheader(f"{d['number']} · {d['ticket_type']} · {d['status']}")
    c = st.columns(4)
    c[0].markdown(f"**{t('tickets.unit')}** {d['estate']} {d['code'] or '—'}")
    c[1].markdown(f"**{t('tickets.caller')}** {d['caller_name'] or '—'} {d['caller_phone']}")
    c[2].markdown(f"**{t('tickets.received_at')}** {fmt.moment(d['received_at'])}")
    overdue = d["status"] in tickets.OPEN and d["deadline_at"] < datetime.now(SHANGHAI)
    c[3].markdown(f"**{t('tickets.deadline_at')}** {fmt.moment(d['deadline_at'])}"
                  + (f" :red-badge[{t('tickets.overdue')}]" if overdue else ""))
    st.text(d["content"])
    st.caption(t("tickets.people_line", department=d["department"], assignee=d["assignee"] or "—",
                 responder=d["first_responder"] or "—", reopen=d["reopen_count"]))
    _actions(actor, d, key)
    rows = tickets.timeline(actor=actor, ticket_id=ticket_id)
    timeline = pd.DataFrame([{t("tickets.tl_at"): fmt.moment(r["at"]), t("tickets.tl_step"): r["kind"],
                              t("tickets.tl_actor"): r["actor"], t("tickets.status"): r["to"] or "",
                              t("tickets.tl_note"): r["note"]} for r in rows])
    st.markdown(f"**{t('tickets.timeline')}**")
    st.dataframe(timeline, hide_index=True, width="stretch")


def _allowed(actor: Actor, status: str) -> list[str]:
    role = Role(actor.role)
    return [m for m, (starts, _, roles) in tickets.MOVES.items() if status in starts and role in roles]


def _actions(actor: Actor, d: dict, key: str) -> None:
    if not can(actor, "tickets.handle"):
        return
    moves = _allowed(actor, d["status"])
    buttons = [(m, tickets.MOVE_LABELS[m]) for m in moves]
    if d["ticket_type"] == "投诉" and can(actor, "tickets.rule") and d["status"] != "已撤销":
        buttons.append(("rule", tickets.MOVE_LABELS["rule"]))
    if not buttons:
        return
    cols = st.columns(len(buttons))
    for col, (move, label) in zip(cols, buttons, strict=True):
        if col.button(label, key=f"tk:{key}:{move}:{d['id']}", width="stretch"):
            st.dialog(label)(_dialog)(actor, d, move)


def _dialog(actor: Actor, d: dict, move: str) -> None:
    st.caption(f"{d['number']} · {d['status']}")
    ticket_id, version = int(d["id"]), int(d["version"])
    if move == "revisit":
        with st.form("revisit"):
            method = st.radio(t("tickets.revisit_method"), tickets.REVISIT_METHODS, horizontal=True)
            result = st.radio(t("tickets.revisit_result"), tickets.REVISIT_RESULTS, horizontal=True)
            comment = st.text_area(t("tickets.revisit_comment"), max_chars=500)
            if st.form_submit_button(t("tickets.confirm"), type="primary"):
                _attempt(lambda: tickets.record_revisit(actor=actor, ticket_id=ticket_id, version=version,
                                                        method=method, result=result, comment=comment),
                         t("tickets.revisited"))
        return
    if move == "rule":
        staff = staff_choices(actor=actor)
        with st.form("rule"):
            effective = st.radio(t("tickets.ruling"), ["有效", "无效"], horizontal=True) == "有效"
            who = st.selectbox(t("tickets.responsible"), [None, *staff], format_func=lambda v: "—" if v is None
                               else staff[v])
            note = st.text_input(t("tickets.note"), max_chars=200)
            if st.form_submit_button(t("tickets.confirm"), type="primary"):
                _attempt(lambda: tickets.rule_complaint(actor=actor, ticket_id=ticket_id, version=version,
                                                        effective=effective, responsible_staff_id=who, note=note),
                         t("tickets.ruled"))
        return
    with st.form(move):
        department = assignee = None
        if move == "dispatch":
            department = st.selectbox(t("tickets.department"), tickets.DEPARTMENTS,
                                      index=tickets.DEPARTMENTS.index(d["department"]))
            people = assignable_users(actor=actor)
            assignee = st.selectbox(t("tickets.assignee"), [None, *people],
                                    format_func=lambda v: "—" if v is None else people[v])
        when = _when(f"when:{move}") if move in ("complete", "note") else None
        note = st.text_area(t("tickets.note") + (" *" if move in ("cancel", "reopen", "note") else ""),
                            max_chars=1000)
        if st.form_submit_button(t("tickets.confirm"), type="primary"):
            _attempt(lambda: tickets.move(actor=actor, ticket_id=ticket_id, version=version, action=move, note=note,
                                          assignee_id=assignee, department=department, at=when),
                     t("tickets.moved", step=tickets.MOVE_LABELS[move], number=d["number"]))
