"""The import wizards of the appraisal page: staff records (导入员工档案) and attendance (导入考勤).

The steps (template, upload, preview with every problem, commit, result) are ui/kit/import_wizard.py; the rules are
services/appraisal/staff_import.py, the same as `propdesk import staff FILE` and `propdesk import attendance FILE`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import streamlit as st

from services.appraisal import staff_import
from services.platform.auth import Actor
from ui.kit import import_wizard as wizard
from ui.kit.i18n import t


def _staff_sheet(preview: staff_import.ImportPreview) -> str | None:
    return t("staff_import.sheet", sheet=preview.sheet, rows=preview.counts.rows) if preview.sheet else None


def _attendance_sheet(preview: staff_import.ImportPreview) -> str | None:
    return t("attendance_import.sheet", sheet=preview.sheet, rows=preview.counts.rows) if preview.sheet else None


def _span(preview: staff_import.ImportPreview) -> list[str]:
    c = preview.counts
    if not c.rows or c.first_day is None:
        return []
    return [t("attendance_import.span", people=c.people, first=c.first_day.isoformat(), last=c.last_day.isoformat())]


def _changes(counts: staff_import.ImportCounts) -> int:
    return counts.changes


def _create_missing(key: str) -> Mapping[str, Any]:
    # one confirmation for every department and post the file names that does not exist yet
    return {"create_missing": st.checkbox(t("staff_import.create_missing"), key=f"{key}:create_missing",
                                          help=t("staff_import.create_missing_help"))}


def _to_create(preview: staff_import.ImportPreview) -> list[str]:
    c = preview.counts
    return [t(word, names="、".join(names)) for word, names in (("staff_import.new_departments", c.new_departments),
                                                                ("staff_import.new_posts", c.new_posts)) if names]


STAFF = wizard.ImportWizard(
    key="staff_import",
    permission="staff.manage",
    words="staff_import",
    template_file="员工档案导入模板.xlsx",
    template=staff_import.staff_template_bytes,
    preview=staff_import.preview_staff_import,
    commit=staff_import.commit_staff_import,
    metrics=((("staff_import.new", "new"), ("staff_import.changed", "changed"),
              ("staff_import.unchanged", "unchanged")),),
    changes=_changes,
    options=_create_missing,
    caption=_staff_sheet,
    warnings=_to_create,
)

ATTENDANCE = wizard.ImportWizard(
    key="attendance_import",
    permission="attendance.edit",
    words="attendance_import",
    template_file="考勤导入模板.xlsx",
    template=staff_import.attendance_template_bytes,
    preview=staff_import.preview_attendance_import,
    commit=staff_import.commit_attendance_import,
    metrics=((("attendance_import.new", "new"), ("attendance_import.changed", "changed"),
              ("attendance_import.unchanged", "unchanged")),),
    changes=_changes,
    caption=_attendance_sheet,
    notes=_span,
)


def staff_import_wizard(actor: Actor) -> None:
    """Render the staff-record import wizard for `actor` (needs staff.manage; a manager imports their department)."""
    wizard.render(STAFF, actor)


def attendance_import_wizard(actor: Actor) -> None:
    """Render the attendance import wizard for `actor` (needs attendance.edit; the clerk imports everybody's)."""
    wizard.render(ATTENDANCE, actor)
