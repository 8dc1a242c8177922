"""The home page's blocks of the 客户关系 registers (services/relations): what the front desk posts, visits and
takes over today, and the manager's overdue violations, activity and visit progress and the latest survey.

Each block is drawn only for a role that works the register (the permission table decides), and each reads one
function of its register, the same one the register's tab reads."""

from __future__ import annotations

from datetime import date

import streamlit as st

from services.platform.auth import Actor, can
from services.relations import activities, handover, inspections, notices, surveys, visits
from ui.kit import fmt
from ui.kit.i18n import t
from ui.workbench.blocks import card, metric_row, open_link, records


def _notices(actor: Actor, today: date) -> None:
    due = notices.notices_to_post(actor=actor, today=today)

    def body() -> None:
        records(due, {"action": t("home.notice_action"), "title": t("home.notice_title"),
                      "publish_on": t("home.notice_publish_on"), "targets": t("home.notice_targets")},
                empty=t("home.no_notices"))
        open_link("relations", "notices", t("home.open_notices"))
    card(t("home.notices", n=len(due)), body, icon=":material/campaign:")


def _visits(actor: Actor, today: date) -> None:
    due = visits.visits_due(actor=actor, on=today)

    def body() -> None:
        overdue = int(due["overdue"].sum()) if len(due) else 0
        metric_row([(t("home.visits_due"), len(due)), (t("home.visits_overdue"), overdue)])
        records(due.sort_values(["overdue", "planned_month"], ascending=[False, True]) if len(due) else due,
                {"unit": t("home.unit"), "planned_month": t("home.visit_month"), "basis": t("home.visit_basis")},
                empty=t("home.no_visits"))
        open_link("relations", "visits", t("home.open_visits"))
    card(t("home.visits"), body, icon=":material/diversity_3:")


def handovers(actor: Actor) -> None:
    """The handovers waiting for the next shift's confirmation (each shift's home shows them until confirmed)."""
    waiting = handover.open_handovers(actor=actor)

    def body() -> None:
        if waiting.empty:
            st.caption(t("home.no_handover"))
        for row in waiting.head(3).itertuples():
            st.warning(t("home.handover_waiting", writer=row.writer, shift=row.shift, day=fmt.day(row.duty_on),
                         at=fmt.moment(row.handed_at), n=row.open_items), icon=":material/assignment_late:")
        open_link("relations", "handover", t("home.open_handover"))
    card(t("home.handover"), body, icon=":material/swap_horiz:")


def desk_side(actor: Actor, today: date) -> None:
    """The front desk's registers: the handover waiting (first: the shift starts there), notices, visits."""
    if can(actor, "handover.write"):
        handovers(actor)
    if can(actor, "notices.write"):
        _notices(actor, today)
    if can(actor, "visits.record"):
        _visits(actor, today)


def manager_side(actor: Actor, today: date) -> None:
    """The manager's registers: violations past their deadline, activities and bulletins, visits, the last survey."""
    if can(actor, "violations.manage"):
        overdue = inspections.violations_overdue(actor=actor, today=today, limit=5)
        total = inspections.violations_overdue_count(actor=actor, today=today)

        def violations_body() -> None:
            records(overdue, {"label": t("home.violation_place"), "kind": t("home.violation_kind"),
                              "deadline_on": t("home.violation_deadline"),
                              "days_overdue": t("home.violation_days")}, numbers=("days_overdue",),
                    empty=t("home.no_violations"))
            open_link("relations", "inspections", t("home.open_violations"))
        card(t("home.violations", n=total), violations_body, icon=":material/report:")

    progress = activities.activity_progress(actor=actor, year=today.year, today=today)
    visit = visits.visit_progress(actor=actor, year=today.year)

    def progress_body() -> None:
        metric_row([(t("home.activities_held"), f"{progress.held} / {progress.target}"),
                    (t("home.bulletins_on_time"), f"{progress.bulletins_on_time} / {progress.bulletins_due}"),
                    (t("home.visit_completion"), fmt.rate(visit.completion)),
                    (t("home.face_to_face"), fmt.rate(visit.face_to_face_share))], width=150)
        if progress.short:
            st.caption(t("home.activities_short", n=progress.short, planned=progress.planned))
        with st.container(horizontal=True):
            open_link("relations", "activities", t("home.open_activities"))
            open_link("relations", "visits", t("home.open_visits"))
    card(t("home.relations_progress", year=today.year), progress_body, icon=":material/event:")

    rounds = surveys.latest_rounds(actor=actor, limit=2)

    def survey_body() -> None:
        if rounds.empty:
            st.caption(t("home.no_survey"))
        for row in rounds.itertuples():
            st.markdown(t("home.survey_line", estate=row.estate, name=row.name, status=row.status,
                          rate=fmt.rate(row.satisfaction), coverage=fmt.rate(row.coverage)))
        open_link("relations", "surveys", t("home.open_surveys"))
    card(t("home.survey"), survey_body, icon=":material/sentiment_satisfied:")
