"""The month's appraisal on /appraisal: every person's score and rank, and one scorecard with its evidence.

Decisions (tests/pages/test_appraisal_page.py checks them):
- The month defaults to the last complete month (appraisals are made at month end); the running month can
  be chosen too and is taken as of now.
- The month table is read-only; a scorecard opens below it from the picker (one click, works the same on
  every device), with the KPI lines, the evidence behind each figure, attendance, incidents, every rule's
  result in words, the comments and the moves the reader may make.
- Moves that need a reason (退回, 重新打开) are small forms with the reason field; nothing happens without it.
- A staff member without managing rights sees only their own cards once submitted ("我的考核").
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from services.appraisal import scorecards as appraisal
from services.appraisal.pdf import card_pdf
from services.appraisal.rules import KPI_CATALOG
from services.appraisal.scorecards import APPROVED, DRAFT, NOT_BUILT, SUBMITTED, ScorecardView
from services.appraisal.staff import scope_hint
from services.fees.documents import cjk_font
from services.fees.reports import month_labels
from services.platform.auth import Actor, can
from services.platform.errors import DomainError
from ui.appraisal.charts import trend_chart
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import fit_height, money_table
from ui.kit.tabs import on_demand

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
STATUS_COLORS = {DRAFT: "gray", SUBMITTED: "orange", APPROVED: "green", NOT_BUILT: "red"}


def month_picker(key: str) -> str:
    """The appraisal month: the last 13 months, the last complete one first."""
    months = month_labels(count=13)
    return st.selectbox(t("appraisal.month"), months, index=1, key=key, width=240)


def month_tab(actor: Actor) -> None:
    """Build the month's drafts, see everyone's score and rank, open a scorecard."""
    period = month_picker("ap:month")
    hint = scope_hint(actor)
    if hint:
        st.warning(hint)
    frame = appraisal.month_view(actor=actor, period=period)
    _month_figures(frame)
    c1, c2, _ = st.columns([1.3, 1.3, 3])
    if c1.button(t("appraisal.build"), type="primary", icon=":material/calculate:", key="ap:build",
                 help=t("appraisal.build_help")):
        with st.spinner(t("appraisal.building")):
            try:
                result = appraisal.build_drafts(actor=actor, period=period)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("appraisal.built", created=result.created, refreshed=result.refreshed, kept=result.kept))
                st.rerun()
    if can(actor, "data.export"):
        c2.download_button(t("grid.export"), data=lambda: appraisal.month_workbook(actor=actor, period=period),
                           file_name=f"月度考核-{period}.xlsx", mime=XLSX_MIME, icon=":material/download:",
                           key="ap:export")
    if frame.empty:
        st.info(t("appraisal.nobody"))
        return
    _month_table(frame)
    cards = {int(r.card_id): r for r in frame.itertuples() if r.card_id is not None}
    if not cards:
        st.caption(t("appraisal.none_built"))
        return
    card_id = st.selectbox(t("appraisal.open"), list(cards), key=f"ap:open:{period}",
                           format_func=lambda i: _card_label(cards[i]))
    st.divider()
    scorecard_panel(actor, card_id)


def _card_label(row) -> str:
    score = "—" if row.score is None else f"{row.score:.2f}"
    return f"{row.staff_no} {row.name} · {row.post} · {row.status} · {t('appraisal.score')} {score}"


def _month_figures(frame: pd.DataFrame) -> None:
    counts = frame["status"].value_counts() if not frame.empty else {}
    scores = [v for v in frame["score"] if v is not None] if not frame.empty else []
    cols = st.columns(6)
    cols[0].metric(t("appraisal.people"), len(frame))
    for col, status in zip(cols[1:5], (APPROVED, SUBMITTED, DRAFT, NOT_BUILT), strict=True):
        col.metric(status, int(counts.get(status, 0)))
    cols[5].metric(t("appraisal.average"), f"{sum(scores) / len(scores):.2f}" if scores else "—")


def _month_table(frame: pd.DataFrame) -> None:
    labels = {"rank": t("appraisal.rank"), "staff_no": t("appraisal.staff_no"), "name": t("appraisal.name"),
              "department": t("appraisal.department"), "post": t("appraisal.post"),
              "status": t("appraisal.status"), "score": t("appraisal.score"), "late_count": t("appraisal.late_count"), "attendance_deduction": t("appraisal.attendance_deduction"),
              "incident_deduction": t("appraisal.incident_deduction"), "kpi_deduction": t("appraisal.kpi_deduction"),
              "reward": t("appraisal.reward"), "net": t("appraisal.net"), "missing": t("appraisal.missing")}
    if not any(frame["missing"]):  # the column only while something is missing (the table stays narrow)
        labels.pop("missing")
    shown = frame.copy()
    shown["score"] = ["—" if v is None else f"{v:.2f}" for v in shown["score"]]
    money_table(shown, labels, money=("attendance_deduction", "incident_deduction", "kpi_deduction", "reward",
                                      "net"), numbers=("rank", "score", "late_count"), key="ap:table")
    st.caption(t("appraisal.table_hint"))


# --- one scorecard -------------------------------------------------------------------------------------


def scorecard_panel(actor: Actor, card_id: int, *, key: str = "ap", read_only: bool = False) -> None:
    """One scorecard: figures, evidence, rules in words, comments, moves and the PDF.

    `key` prefixes the panel's widget keys: the same card may be open in 月度考核 and in 我的考核 at once
    (a manager's own card). `read_only` leaves out the comment form and the moves (我的考核 is for reading)."""
    try:
        card = appraisal.scorecard(actor=actor, card_id=card_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    head, badge = st.columns([5, 1], vertical_alignment="center")
    head.subheader(t("appraisal.card_title", name=card.name, staff_no=card.staff_no, period=card.period))
    badge.badge(card.status, color=STATUS_COLORS.get(card.status, "gray"))
    st.caption(t("appraisal.card_caption", department=card.department or "—", post=card.post or "—",
                 salary=fmt.money(card.base_salary), as_of=fmt.moment(card.as_of)))
    _card_figures(card)
    managing = can(actor, "appraisal.manage")
    if managing and card.status != APPROVED and card.missing:
        st.warning(t("appraisal.incomplete", missing="；".join(card.missing)), icon=":material/warning:")
    left, right = st.columns([3, 2], gap="large")
    with left:
        st.markdown(f"**{t('appraisal.kpis')}**")
        _kpi_table(card, key)
        _evidence(actor, card, key)
    with right:
        st.markdown(f"**{t('appraisal.rules_applied')}**")
        _rule_results(card)
        st.markdown(f"**{t('appraisal.attendance')}**")
        a = card.attendance
        st.caption(t("appraisal.attendance_line", working=a.get("working_days", 0), recorded=a.get("recorded_days", 0),
                     late=a.get("late_count", 0), late_minutes=a.get("late_minutes", 0), early=a.get("early_count", 0),
                     absent=a.get("absent_days", 0), leave=a.get("leave_days", 0)))
        st.markdown(f"**{t('appraisal.incidents')}**")
        if card.incidents:
            for d in card.incidents:
                st.markdown(f"- {d['day']} · {d['type']}（{d['kind']}）" + (f"：{d['note']}" if d["note"] else ""))
        else:
            st.caption(t("appraisal.no_incidents"))
    _comments(actor, card, read_only)
    _moves(actor, card, read_only)
    _pdf(actor, card, key)


def _card_figures(card: ScorecardView) -> None:
    cols = st.columns(6)
    cols[0].metric(t("appraisal.score"), "—" if card.score is None else f"{card.score:.2f}")
    cols[1].metric(t("appraisal.weighted"), "—" if card.weighted_score is None else f"{card.weighted_score:.2f}")
    cols[2].metric(t("appraisal.points"), f"{card.points:+.2f}")
    cols[3].metric(t("appraisal.reward"), fmt.money(card.reward))
    cols[4].metric(t("appraisal.deductions"), fmt.money(card.deductions),
                   help=t("appraisal.deductions_help", attendance=fmt.money(card.attendance_deduction),
                          lateness=fmt.money(card.lateness_deduction), incidents=fmt.money(card.incident_deduction),
                          kpi=fmt.money(card.kpi_deduction)))
    cols[5].metric(t("appraisal.net"), fmt.money(card.net))


def _kpi_table(card: ScorecardView, key: str) -> None:
    if not card.kpis:
        st.info(t("appraisal.no_kpis", post=card.post))
        return
    frame = pd.DataFrame([{"label": x.label, "scope": x.scope, "value": x.shown_value, "target": x.shown_target,
                           "weight": f"{x.weight}%", "achievement": x.achievement,
                           "score": "—" if x.score is None else f"{x.score:.2f}"} for x in card.kpis])
    money_table(frame, {"label": t("appraisal.kpi"), "scope": t("appraisal.scope"), "value": t("appraisal.value"),
                        "target": t("appraisal.target"), "weight": t("appraisal.weight"),
                        "achievement": t("appraisal.achievement"), "score": t("appraisal.kpi_score")},
                rates=("achievement",), numbers=("value", "target", "weight", "score"), key=f"{key}:kpis:{card.id}")
    st.caption(t("appraisal.score_rule"))


EVIDENCE_COLUMNS = {
    "number": "tickets.ev_number", "counts": "tickets.ev_counts", "ticket_type": "tickets.ev_ticket_type",
    "received_at": "tickets.ev_received_at", "deadline_at": "tickets.ev_deadline_at",
    "completed_at": "tickets.ev_completed_at", "handled_at": "tickets.ev_handled_at",
    "due_at": "tickets.ev_due_at", "done_at": "tickets.ev_done_at", "result": "tickets.ev_result",
    "household": "appraisal.ev_household", "payer": "appraisal.ev_payer", "item": "appraisal.ev_item",
    "period": "appraisal.ev_period", "billed": "appraisal.ev_billed", "paid": "appraisal.ev_paid",
    "receipt_no": "appraisal.ev_receipt", "at": "appraisal.ev_at", "amount": "appraisal.ev_amount",
    "day": "appraisal.day", "late_minutes": "appraisal.late_minutes", "early_minutes": "appraisal.early_minutes",
    "absent": "appraisal.absent", "leave_type": "appraisal.leave_type", "note": "appraisal.note",
    "type": "appraisal.incident_type", "kind": "appraisal.incident_kind", "recorded_by": "appraisal.recorded_by",
    "withdrawn": "appraisal.withdrawn", "withdrawn_reason": "appraisal.withdrawn_reason",
    # 访谈完成率 / 面访比例: the month's plan rows, or its visits (services/relations/visits)
    "estate": "visits.estate", "code": "visits.unit", "planned_month": "visits.planned_month",
    "sequence": "visits.sequence", "basis": "visits.basis", "assignee": "visits.assignee", "status": "visits.status",
    "visited_on": "visits.visited_on", "way": "visits.way", "person_met": "visits.person_met",
    "content": "visits.content", "visitor": "visits.visitor", "ticket": "visits.ticket",
}


def _evidence(actor: Actor, card: ScorecardView, prefix: str) -> None:
    if not on_demand(t("appraisal.evidence"), key=f"{prefix}:evidence_open:{card.id}"):
        return
    with st.container(border=True):
        options = {x.key: x.label for x in card.kpis}
        options |= {"attendance": t("appraisal.attendance"), "incidents": t("appraisal.incidents")}
        key = st.selectbox(t("appraisal.evidence_of"), list(options), format_func=options.get,
                           key=f"{prefix}:evidence:{card.id}")
        try:
            frame = appraisal.evidence(actor=actor, card_id=card.id, key=key)
        except DomainError as exc:
            st.error(exc.message)
            return
        if frame.empty:
            st.caption(t("appraisal.no_evidence"))
            return
        frame = frame[[c for c in frame.columns if c in EVIDENCE_COLUMNS]]
        money = tuple(c for c in ("billed", "paid", "amount") if c in frame.columns)
        labels = {c: t(EVIDENCE_COLUMNS[c]) for c in frame.columns}
        if key in KPI_CATALOG:
            st.caption(t("appraisal.evidence_hint", source=KPI_CATALOG[key].help))
        money_table(frame, labels, money=money, numbers=tuple(c for c in ("late_minutes", "early_minutes")
                                                              if c in frame.columns),
                    height=fit_height(len(frame), 420), key=f"{prefix}:evidence_table:{card.id}:{key}")


def _rule_results(card: ScorecardView) -> None:
    fired = [r for r in card.rules if r.triggered]
    if not fired:
        st.caption(t("appraisal.no_rules_fired"))
    for r in fired:
        amount = fmt.money(r.money) if r.money else f"{r.points:+.2f} {t('appraisal.points_unit')}"
        st.markdown(f"- **{r.rule}**（{amount}）：{r.explanation}")
    rest = [r for r in card.rules if not r.triggered]
    if rest:
        with st.expander(t("appraisal.rules_not_fired", n=len(rest))):
            for r in rest:
                st.markdown(f"- {r.rule}：{r.explanation}")


def _comments(actor: Actor, card: ScorecardView, read_only: bool) -> None:
    st.markdown(f"**{t('appraisal.comments')}**")
    if read_only or not (can(actor, "appraisal.manage") and card.status == DRAFT):
        st.write(card.comments or t("appraisal.no_comments"))
        return
    with st.form(f"ap:comments:{card.id}:{card.version}", border=False):
        text = st.text_area(t("appraisal.comments"), value=card.comments, max_chars=1000, height=90,
                            label_visibility="collapsed", placeholder=t("appraisal.comments_hint"))
        if st.form_submit_button(t("appraisal.save_comments")):
            _act(lambda: appraisal.set_comments(actor=actor, card_id=card.id, version=card.version, comments=text),
                 t("appraisal.comments_saved"))


def _act(call, done: str) -> None:
    try:
        call()
    except DomainError as exc:
        st.error(exc.message)
    else:
        flash(done)
        st.rerun()


def _moves(actor: Actor, card: ScorecardView, read_only: bool) -> None:
    if card.status == APPROVED:
        st.caption(t("appraisal.approved_by", who=card.approved_by, at=fmt.moment(card.approved_at)))
    if read_only or not can(actor, "appraisal.manage"):
        return
    if card.status == DRAFT:
        row = st.container(horizontal=True)  # the two buttons side by side, whatever the width
        if row.button(t("appraisal.submit"), type="primary", key=f"ap:submit:{card.id}",
                      disabled=bool(card.missing), help="；".join(card.missing) or None):
            _act(lambda: appraisal.submit(actor=actor, card_id=card.id, version=card.version),
                 t("appraisal.submitted", name=card.name))
        if row.button(t("appraisal.rebuild_one"), key=f"ap:rebuild:{card.id}", help=t("appraisal.rebuild_help")):
            _act(lambda: appraisal.build_drafts(actor=actor, period=card.period, staff_ids=[card.staff_id]),
                 t("appraisal.rebuilt", name=card.name))
    elif card.status == SUBMITTED:
        c1, c2 = st.columns([1, 3])
        if can(actor, "appraisal.approve") and c1.button(t("appraisal.approve"), type="primary",
                                                         key=f"ap:approve:{card.id}"):
            _act(lambda: appraisal.approve(actor=actor, card_id=card.id, version=card.version),
                 t("appraisal.approved", name=card.name))
        with c2, st.expander(t("appraisal.return")), st.form(f"ap:return:{card.id}:{card.version}", border=False):
            reason = st.text_input(t("appraisal.reason"), max_chars=200)
            if st.form_submit_button(t("appraisal.return")):
                _act(lambda: appraisal.return_to_draft(actor=actor, card_id=card.id, version=card.version,
                                                       reason=reason), t("appraisal.returned", name=card.name))
    elif card.status == APPROVED and can(actor, "appraisal.approve"):
        with st.expander(t("appraisal.reopen")), st.form(f"ap:reopen:{card.id}:{card.version}", border=False):
            st.caption(t("appraisal.reopen_help"))
            reason = st.text_input(t("appraisal.reason"), max_chars=200)
            if st.form_submit_button(t("appraisal.reopen")):
                _act(lambda: appraisal.reopen(actor=actor, card_id=card.id, version=card.version, reason=reason),
                     t("appraisal.reopened", name=card.name))


def _pdf(actor: Actor, card: ScorecardView, key: str) -> None:
    """The PDF is drawn when the button is clicked (drawing one takes seconds; every rerun would pay for it)."""
    try:
        cjk_font()  # the CJK font is missing on the server: say so here rather than fail on the click
    except DomainError as exc:
        st.error(exc.message)
        return
    st.download_button(t("appraisal.pdf"), data=lambda: card_pdf(actor=actor, card_id=card.id),
                       file_name=f"考核表-{card.period}-{card.staff_no}.pdf",
                       mime="application/pdf", icon=":material/picture_as_pdf:", key=f"{key}:pdf:{card.id}",
                       on_click="ignore")


# --- my own cards -----------------------------------------------------------------------------------


def mine_tab(actor: Actor) -> None:
    """The signed-in person's own scorecards (submitted or approved) and their KPI trend."""
    if actor.staff_id is None:
        st.info(t("appraisal.no_staff_link"))
        return
    cards = appraisal.own_scorecards(actor=actor)
    if not cards:
        st.info(t("appraisal.mine_none"))
        return
    labels = {card_id: f"{period} · {status}" for card_id, period, status in cards}
    card_id = st.selectbox(t("appraisal.month"), list(labels), format_func=labels.get, key="ap:mine")
    # not under "ap:mine", which /appraisal keeps when the tab is left: the panel's PDF button and tables are
    # widgets a script may not set, and putting their values back on the return failed the page
    scorecard_panel(actor, card_id, key="ap:own", read_only=True)
    st.divider()
    st.markdown(f"**{t('appraisal.trend')}**")
    trend_chart(actor, actor.staff_id)
