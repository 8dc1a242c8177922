"""The import wizard for last year's ticket register (导入历史工单) on /tickets.

The steps (template, upload, preview with every problem, commit, result) are ui/kit/import_wizard.py;
the rules of the register are services/tickets/ticket_import.py, the same as `propdesk import tickets FILE`.
"""

from __future__ import annotations

from services.platform.auth import Actor
from services.tickets import ticket_import
from ui.kit import import_wizard as wizard
from ui.kit.i18n import t


def _sheet(preview: ticket_import.TicketImportPreview) -> str | None:
    return t("ticket_import.sheet", sheet=preview.sheet, rows=preview.counts.rows) if preview.sheet else None


def _calendar_notes(preview: ticket_import.TicketImportPreview) -> list[str]:
    c = preview.counts
    notes = []
    if c.new and c.holiday_years:
        notes.append(t("ticket_import.holiday_years", years="、".join(map(str, c.holiday_years))))
    if c.new and c.weekend_only_years:
        notes.append(t("ticket_import.weekend_only", years="、".join(map(str, c.weekend_only_years))))
    return notes


TICKETS = wizard.ImportWizard(
    key="ticket_import",
    permission="tickets.import",
    words="ticket_import",
    template_file="历史工单导入模板.xlsx",
    template=ticket_import.ticket_template_bytes,
    preview=ticket_import.preview_ticket_import,
    commit=ticket_import.commit_ticket_import,
    metrics=(
        (("ticket_import.new", "new"), ("ticket_import.existing", "existing")),
        (("ticket_import.closed", "closed"), ("ticket_import.awaiting_revisit", "awaiting_revisit"),
         ("ticket_import.in_progress", "in_progress")),
    ),
    changes=lambda counts: counts.new,
    caption=_sheet,
    notes=_calendar_notes,
)


def ticket_import_wizard(actor: Actor) -> None:
    """Render the ticket-register import wizard for `actor` (needs tickets.import)."""
    wizard.render(TICKETS, actor)
