"""The import wizard (导入房屋和人员): template download, upload, preview with every problem, commit.

`import_wizard(actor)` renders the whole wizard where the page puts it (the /owners page).
The preview of an uploaded file is kept in st.session_state for this user only, keyed by
the file's hash and the estate typed, so a rerun does not read the workbook again; it is
dropped after a successful import. The service re-checks everything inside its one
transaction, so a preview that went stale only costs a refusal, never a half import.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import streamlit as st

from services import imports
from services.auth import Actor, can
from services.errors import DomainError, ValidationError
from ui.i18n import t
from ui.session import flash

KEY = "asset_import"
XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# The wizard's own words (Chinese first, English second), like ui/i18n.CATALOG.


def _template() -> bytes:
    return imports.template_bytes()  # the same bytes for everyone: shared reference data


def problems_frame(problems) -> pd.DataFrame:
    """Problems as a table: row (as Excel shows it), column, message."""
    return pd.DataFrame(
        [{t("import.col_row"): str(p.row) if p.row is not None else t("import.whole_file"), t("import.col_column"): p.column,
          t("import.col_message"): p.message} for p in problems],
        columns=[t("import.col_row"), t("import.col_column"), t("import.col_message")],
    )


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)

    def update(fraction: float, message: str) -> None:
        bar.progress(max(0.0, min(1.0, fraction)), text=message)

    return bar, update


def _preview(actor: Actor, data: bytes, estate: str) -> imports.ImportPreview:
    fingerprint = (hashlib.sha256(data).hexdigest(), estate)
    cached = st.session_state.get(f"{KEY}:preview")
    if cached is not None and cached[0] == fingerprint:
        return cached[1]
    with st.status(t("import.checking"), expanded=True) as status:
        bar, update = _progress_bar(t("import.checking"))
        preview = imports.preview_import(actor=actor, source=data, estate=estate, progress=update)
        bar.empty()
        status.update(label=t("import.checked"), state="complete", expanded=False)
    st.session_state[f"{KEY}:preview"] = (fingerprint, preview)
    return preview


def _show_counts(preview: imports.ImportPreview) -> None:
    c = preview.counts
    cols = st.columns(4)
    cols[0].metric(t("import.units_new"), c.units_new)
    cols[1].metric(t("import.units_changed"), c.units_changed)
    cols[2].metric(t("import.units_unchanged"), c.units_unchanged)
    cols[3].metric(t("import.people_new"), c.people_new)
    cols = st.columns(4)
    cols[0].metric(t("import.people_changed"), c.people_changed)
    cols[1].metric(t("import.links_new"), c.links_new)
    cols[2].metric(t("import.links_changed"), c.links_changed)
    if c.estates_new or c.buildings_new:
        st.caption(t("import.created", estates=c.estates_new, buildings=c.buildings_new))


def import_wizard(actor: Actor) -> None:
    """Render the import wizard for `actor` (needs assets.import)."""
    st.subheader(t("import.title"))
    if not can(actor, "assets.import"):
        st.info(t("import.no_permission"))
        return
    done = st.session_state.pop(f"{KEY}:done", None)
    if done:
        st.success(t("import.done", summary=done))
    st.caption(t("import.intro"))
    st.download_button(t("import.template"), data=_template(), file_name="房屋人员导入模板.xlsx", mime=XLSX_MIME,
                       key=f"{KEY}:template")
    estate = st.text_input(t("import.estate"), key=f"{KEY}:estate", help=t("import.estate_help"), max_chars=64).strip()
    nonce = st.session_state.get(f"{KEY}:nonce", 0)
    upload = st.file_uploader(t("import.file"), type=["xlsx"], key=f"{KEY}:file:{nonce}")
    if upload is None:
        st.session_state.pop(f"{KEY}:preview", None)
        return
    try:
        preview = _preview(actor, upload.getvalue(), estate)
    except DomainError as exc:
        st.error(exc.message)
        return

    if preview.layout:
        st.caption(t("import.layout", layout=preview.layout_label, sheet=preview.sheet, rows=preview.counts.rows))
    if preview.problems:
        st.error(t("import.problems", n=len(preview.problems)))
        st.dataframe(problems_frame(preview.problems), hide_index=True, width="stretch", key=f"{KEY}:problems")
    else:
        _show_counts(preview)
    if len(preview.rows):
        st.markdown(f"**{t('import.preview')}**")
        st.dataframe(preview.rows, hide_index=True, width="stretch", height=320, key=f"{KEY}:rows")
    if preview.ok and preview.counts.changes == 0:
        st.info(t("import.nothing"))
    disabled = not preview.ok or preview.counts.changes == 0
    if st.button(t("import.confirm"), type="primary", disabled=disabled, key=f"{KEY}:confirm"):
        _commit(actor, preview)


def _commit(actor: Actor, preview: imports.ImportPreview) -> None:
    bar, update = _progress_bar(t("import.importing"))
    try:
        counts = imports.commit_import(actor=actor, preview=preview, progress=update)
    except ValidationError as exc:
        bar.empty()
        st.session_state.pop(f"{KEY}:preview", None)  # check the file again on the next run
        st.error(t("import.refused"))
        rows = [imports.Problem(None, field, msg) for field, msg in exc.errors.items()]
        for where, fields in exc.row_errors.items():
            row = int("".join(ch for ch in str(where) if ch.isdigit()) or 0) or None
            rows.extend(imports.Problem(row, field, msg) for field, msg in fields.items())
        st.dataframe(problems_frame(rows), hide_index=True, width="stretch", key=f"{KEY}:refusal")
        return
    except DomainError as exc:
        bar.empty()
        st.session_state.pop(f"{KEY}:preview", None)
        st.error(exc.message)
        return
    st.session_state.pop(f"{KEY}:preview", None)
    st.session_state[f"{KEY}:nonce"] = st.session_state.get(f"{KEY}:nonce", 0) + 1  # a fresh, empty uploader
    st.session_state[f"{KEY}:done"] = counts.summary()
    flash(t("import.done", summary=counts.summary()))  # the toast, shown by app.py after the rerun
    st.rerun()
