"""The 导入欠费 tab of /fees: historical unpaid bills from our template or HC小区管理系统's 房屋费用信息 sheet.

The steps (template, upload, preview with every problem, commit, result) are ui/kit/import_wizard.py; the rules are
services/fees/arrears_import.py, the same as `propdesk import arrears FILE`. This module adds the estate chosen for HC
files (which have no estate column) and the figures shown.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from functools import partial

import streamlit as st

from services.admin import reference
from services.fees import arrears_import as fee_import
from services.platform.auth import Actor
from ui.kit import import_wizard as wizard
from ui.kit.i18n import t


def _estate_choice(key: str, *, actor: Actor) -> Mapping[str, str]:
    """The estate for rows without one (HC files): blank means the file's 小区 column, or the only estate."""
    names = [name for _id, name in reference.estate_options(actor=actor)]
    chosen = st.selectbox(t("fee_import.estate"), ["", *names], key=f"{key}:estate", help=t("fee_import.estate_help"),
                          format_func=lambda name: name or t("fee_import.estate_auto"))
    return {"estate": chosen or ""}


def _layout(preview: fee_import.ArrearsImportPreview) -> str | None:
    if not preview.layout:
        return None
    return t("fee_import.layout", layout=preview.layout_label, sheet=preview.sheet, rows=preview.counts.rows)


def _periods(preview: fee_import.ArrearsImportPreview) -> list[str]:
    c = preview.counts
    if not c.new or not c.first_period:
        return []
    return [t("fee_import.periods", first=c.first_period, last=c.last_period)]


ARREARS = wizard.ImportWizard(
    key="fee_import",
    permission="fees.import",
    words="fee_import",
    template_file="历史欠费导入模板.xlsx",
    template=fee_import.arrears_template_bytes,
    preview=fee_import.preview_arrears_import,
    commit=fee_import.commit_arrears_import,
    metrics=(
        (("fee_import.new", "new"), ("fee_import.existing", "existing"), ("fee_import.units", "units"),
         ("fee_import.total", "total_text")),
    ),
    changes=lambda counts: counts.new,
    caption=_layout,
    notes=_periods,
)


def import_tab(actor: Actor) -> None:
    """Render the arrears import wizard for `actor` (needs fees.import)."""
    wizard.render(replace(ARREARS, options=partial(_estate_choice, actor=actor)), actor)
