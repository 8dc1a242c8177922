"""The facts behind the appraisal on /appraisal: attendance 考勤, incidents 奖惩记录 and staff records 员工档案.

Decisions:
- The month's attendance sheet is generated with a row per working day (holiday table) for everyone in
  service, so the clerk edits exceptions in the grid instead of typing every day; 只看异常 narrows it to the
  late, early, absent and leave days. Each grid save is all-or-nothing with every wrong cell listed.
- An incident is recorded with a form (who, what, which day, a note); it is withdrawn with a reason, never
  edited, so a scorecard's evidence cannot change silently.
"""

from __future__ import annotations

from dataclasses import replace

import streamlit as st

from services.admin.reference import department_options
from services.appraisal import posts, staff
from services.appraisal.staff import STAFF_TABLE, NewIncident, NewStaff
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from ui.appraisal.cards import month_picker
from ui.appraisal.staff_import import attendance_import_wizard, staff_import_wizard
from ui.kit import specs
from ui.kit.grid import data_grid
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import money_table


def _act(call, done: str) -> bool:
    try:
        call()
    except DomainError as exc:
        st.error(exc.message)
        return False
    flash(done)
    st.rerun()
    return True


def attendance_tab(actor: Actor) -> None:
    """The month's attendance sheet: generate it, then edit the exceptions in the grid."""
    period = month_picker("ap:att_month")
    people = staff.staff_choices(actor=actor, purpose="attendance")
    c1, c2, c3 = st.columns([1.4, 1.4, 2], vertical_alignment="bottom")
    if c1.button(t("appraisal.generate_sheet"), icon=":material/event_available:", key="ap:att_generate",
                 help=t("appraisal.generate_help")):
        try:
            result = staff.generate_month_sheet(actor=actor, period=period)
        except DomainError as exc:
            st.error(exc.message)
        else:
            flash(t("appraisal.generated", created=result.created, staff=result.staff, days=result.working_days))
            st.rerun()
    only = c2.toggle(t("appraisal.exceptions_only"), key="ap:att_exceptions")
    who = c3.selectbox(t("appraisal.person"), [None, *people], key="ap:att_person",
                       format_func=lambda v: t("grid.all") if v is None else people[v])
    data_grid(specs.ATTENDANCE, load=lambda q: staff.list_attendance(actor=actor, period=period, query=q,
                                                                      exceptions_only=only),
              save=lambda edits: staff.update_attendance(actor=actor, edits=edits),
              filters={"staff_id": who} if who else {})
    st.caption(t("appraisal.attendance_hint"))
    with st.expander(t("appraisal.import_attendance")):
        attendance_import_wizard(actor)


def incidents_tab(actor: Actor) -> None:
    """Record an incident, see the month's, withdraw one recorded in error."""
    period = month_picker("ap:inc_month")
    people = staff.staff_choices(actor=actor)
    kinds = staff.incident_type_options(actor=actor)
    left, right = st.columns([2, 3], gap="large")
    with left, st.container(border=True):
        st.markdown(f"**{t('appraisal.record_incident')}**")
        if not people or not kinds:
            st.caption(t("appraisal.nobody"))
        else:
            with st.form("ap:incident", clear_on_submit=True):
                who = st.selectbox(t("appraisal.person"), list(people), format_func=people.get)
                kind = st.selectbox(t("appraisal.incident_type"), list(kinds), format_func=kinds.get)
                day = st.date_input(t("appraisal.day"), value=local_today(), max_value=local_today(),
                                    format="YYYY-MM-DD")
                note = st.text_input(t("appraisal.note"), max_chars=500, placeholder=t("appraisal.note_hint"))
                if st.form_submit_button(t("appraisal.record"), type="primary"):
                    _act(lambda: staff.record_incident(actor=actor, incident=NewIncident(who, kind, day, note)),
                         t("appraisal.recorded", name=people[who], kind=kinds[kind]))
    frame = staff.list_incidents(actor=actor, period=period)
    with right:
        st.markdown(f"**{t('appraisal.incidents_of_month', period=period)}**")
        money_table(frame, {"day": t("appraisal.day"), "staff_no": t("appraisal.staff_no"),
                            "name": t("appraisal.name"), "type": t("appraisal.incident_type"),
                            "kind": t("appraisal.incident_kind"), "note": t("appraisal.note"),
                            "recorded_by": t("appraisal.recorded_by"), "status": t("appraisal.status"),
                            "withdrawn_reason": t("appraisal.withdrawn_reason")}, key="ap:incidents")
        live = frame[frame["status"] == "有效"]
        if live.empty:
            return
        options = {int(r.id): (int(r.version), f"{r.day} {r.name} {r.type}") for r in live.itertuples()}
        with st.expander(t("appraisal.withdraw")), st.form("ap:withdraw", clear_on_submit=True):
            chosen = st.selectbox(t("appraisal.incident"), list(options), format_func=lambda i: options[i][1])
            reason = st.text_input(t("appraisal.reason"), max_chars=200)
            if st.form_submit_button(t("appraisal.withdraw")):
                _act(lambda: staff.withdraw_incident(actor=actor, incident_id=chosen, version=options[chosen][0],
                                                     reason=reason), t("appraisal.withdrawn_done"))


def staff_tab(actor: Actor) -> None:
    """Staff records: the grid (editable), a form to add someone."""
    departments = [name for _, name in department_options(actor=actor)]
    post_names = posts.post_names()
    choices = {"department": tuple(departments), "post": tuple(post_names)}
    spec = replace(specs.STAFF, columns=tuple(
        replace(c, options=choices[c.field]) if c.field in choices else c for c in specs.STAFF.columns))
    data_grid(spec, load=lambda q: staff.list_staff(actor=actor, query=q),
              save=lambda edits: staff.update_staff(actor=actor, edits=edits))
    if not can(actor, "staff.manage"):
        return
    with st.expander(t("appraisal.import_staff")):
        staff_import_wizard(actor)
    with st.expander(t("appraisal.add_staff")), st.form("ap:add_staff", clear_on_submit=True):
        field = STAFF_TABLE.field
        c1, c2, c3 = st.columns(3)
        staff_no = c1.text_input(t(field("staff_no").label_key), max_chars=field("staff_no").max_len)
        name = c2.text_input(t(field("name").label_key), max_chars=field("name").max_len)
        department = c3.selectbox(t(field("department_id").label_key), departments)
        post = c1.selectbox(t(field("post_id").label_key), post_names)
        hired = c2.date_input(t(field("hired_on").label_key), value=local_today(), format="YYYY-MM-DD")
        salary = c3.text_input(t(field("base_salary").label_key), placeholder="4000.00")
        appraised = st.checkbox(t(field("appraised").label_key), value=field("appraised").default)
        if st.form_submit_button(t("appraisal.add"), type="primary"):
            _act(lambda: staff.create_staff(actor=actor, staff=NewStaff(staff_no, name, department, post, hired,
                                                                         salary, appraised)),
                 t("appraisal.staff_added", name=name.strip()))
