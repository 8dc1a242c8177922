"""The import wizard for units and people (导入房屋和人员) on /owners: our template or an HC 资产信息 sheet.

The steps (template, upload, preview with every problem, commit, result) are ui/kit/import_wizard.py;
this module says what is particular to assets: the estate typed for HC files, the optional 交房日期 for units
without one (HC's sheet has no such column), and the figures shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import streamlit as st

from services.estate import asset_import as imports
from services.platform.auth import Actor
from services.platform.clock import local_today
from ui.kit import import_wizard as wizard
from ui.kit.i18n import t


def _options(key: str) -> Mapping[str, Any]:
    estate = st.text_input(t("import.estate"), key=f"{key}:estate", help=t("import.estate_help"), max_chars=64)
    # empty by default: a date the user did not choose would be stored as if it were known
    delivered_on = st.date_input(t("import.delivered_on"), value=None, min_value=date(1980, 1, 1),
                                 max_value=local_today(), format="YYYY-MM-DD", key=f"{key}:delivered_on",
                                 help=t("import.delivered_on_help"))
    return {"estate": estate.strip(), "delivered_on": delivered_on}


def _layout(preview: imports.ImportPreview) -> str | None:
    if not preview.layout:
        return None
    return t("import.layout", layout=preview.layout_label, sheet=preview.sheet, rows=preview.counts.rows)


def _undated(preview: imports.ImportPreview) -> list[str]:
    n = preview.counts.units_undated
    return [t("import.undated", n=n)] if n else []


def _notes(preview: imports.ImportPreview) -> list[str]:
    c = preview.counts
    lines = [t("import.created", estates=c.estates_new, buildings=c.buildings_new)] if (
        c.estates_new or c.buildings_new) else []
    if c.units_dated and c.delivered_on is not None:
        lines.append(t("import.dated", n=c.units_dated, date=c.delivered_on.isoformat()))
    return lines


ASSETS = wizard.ImportWizard(
    key="asset_import",
    permission="assets.import",
    words="import",
    template_file="房屋人员导入模板.xlsx",
    template=imports.template_bytes,
    preview=imports.preview_import,
    commit=imports.commit_import,
    metrics=(
        (("import.units_new", "units_new"), ("import.units_changed", "units_changed"),
         ("import.units_unchanged", "units_unchanged"), ("import.people_new", "people_new")),
        (("import.people_changed", "people_changed"), ("import.links_new", "links_new"),
         ("import.links_changed", "links_changed")),
    ),
    changes=lambda counts: counts.changes,
    options=_options,
    caption=_layout,
    notes=_notes,
    warnings=_undated,
)


def import_wizard(actor: Actor) -> None:
    """Render the units-and-people import wizard for `actor` (needs assets.import)."""
    wizard.render(ASSETS, actor)
