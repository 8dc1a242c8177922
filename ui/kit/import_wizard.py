"""One import wizard for every Excel import: template download, upload, preview with every problem, commit.

An `ImportWizard` names what differs between imports (the permission, the service functions for the
template, the preview and the commit, the figures of the preview, and the catalog keys of its words);
`render(wizard, actor)` draws the same steps for each: /owners imports units and people
(ui/estate/asset_import.py), /tickets last year's ticket register (ui/tickets/ticket_import.py).

The preview of an uploaded file is kept in st.session_state for this user only, keyed by the file's hash
and the wizard's options (e.g. the estate typed), so a rerun does not read the workbook again; it is
dropped after a successful import. The service re-checks everything inside its one transaction, so a
preview that went stale only costs a refusal, never a half import.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from services.platform.auth import Actor, can
from services.platform.errors import DomainError, ValidationError
from services.platform.excel import excel_workbook
from services.platform.workbook import Problem
from ui.kit.i18n import t
from ui.kit.session import flash
from ui.kit.tables import MAX_SHOWN_ROWS, capped

XLSX_MIME = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _no_options(_key: str) -> Mapping[str, Any]:
    return {}


def _no_caption(_preview: Any) -> str | None:
    return None


def _nothing_more(_preview: Any) -> Sequence[str]:
    return ()


@dataclass(frozen=True)
class ImportWizard:
    """What one import's wizard needs; its words are in the catalog (ui/kit/i18n.py)."""

    key: str  # prefix of its widget and session keys
    permission: str  # services.platform.auth action, e.g. "assets.import"
    words: str  # catalog prefix of its own words: {words}.title, .intro, .no_permission, .nothing
    template_file: str  # the download's file name
    template: Callable[[], bytes]  # the template workbook
    preview: Callable[..., Any]  # (actor=, source=, progress=, **options) -> preview with problems, counts, rows
    commit: Callable[..., Any]  # (actor=, preview=, progress=) -> counts with summary()
    metrics: tuple[tuple[tuple[str, str], ...], ...]  # rows of (catalog key, attribute of counts)
    changes: Callable[[Any], int]  # how many records the counts would write
    options: Callable[[str], Mapping[str, Any]] = _no_options  # draws extra inputs (given the key); their values
    caption: Callable[[Any], str | None] = _no_caption  # one line about the file read
    notes: Callable[[Any], Sequence[str]] = _nothing_more  # further lines under the figures
    # what the import does that the user should act on (still imported): shown as warnings under the figures
    warnings: Callable[[Any], Sequence[str]] = _nothing_more

    def word(self, name: str) -> str:
        """The catalog key of one of its own words: title, intro, no_permission, nothing."""
        return f"{self.words}.{name}"

    @property
    def label_keys(self) -> set[str]:
        """Every catalog key the wizard's declaration names (the catalog test checks them)."""
        return ({self.word(name) for name in ("title", "intro", "no_permission", "nothing")}
                | {label for row in self.metrics for label, _attr in row})


# --- pure parts ----------------------------------------------------------------------------------


def problems_frame(problems: Sequence[Problem]) -> pd.DataFrame:
    """Problems as a table: row (as Excel shows it), column, message."""
    columns = [t("import.col_row"), t("import.col_column"), t("import.col_message")]
    return pd.DataFrame(
        [dict(zip(columns, (str(p.row) if p.row is not None else t("import.whole_file"), p.column, p.message),
                  strict=True)) for p in problems],
        columns=columns,
    )


def refusal_problems(exc: ValidationError) -> list[Problem]:
    """A commit's ValidationError (whole-file errors, and row errors keyed '第 12 行') back as Problems."""
    problems = [Problem(None, column, message) for column, message in exc.errors.items()]
    for where, fields in exc.row_errors.items():
        row = int("".join(ch for ch in str(where) if ch.isdigit()) or 0) or None
        problems.extend(Problem(row, column, message) for column, message in fields.items())
    return problems


def metric_rows(wizard: ImportWizard, counts: Any) -> list[list[tuple[str, int]]]:
    """The preview's figures as shown: rows of (label, value)."""
    return [[(t(label), getattr(counts, attr)) for label, attr in row] for row in wizard.metrics]


def fingerprint(data: bytes, options: Mapping[str, Any]) -> tuple:
    """What a cached preview was made from: the file's hash and the options typed."""
    return hashlib.sha256(data).hexdigest(), tuple(sorted(options.items()))


# --- drawing -------------------------------------------------------------------------------------


def _progress_bar(text: str):
    bar = st.progress(0.0, text=text)

    def update(fraction: float, message: str) -> None:
        bar.progress(max(0.0, min(1.0, fraction)), text=message)

    return bar, update


def _preview(wizard: ImportWizard, actor: Actor, data: bytes, options: Mapping[str, Any]) -> Any:
    made_from = fingerprint(data, options)
    cached = st.session_state.get(f"{wizard.key}:preview")
    if cached is not None and cached[0] == made_from:
        return cached[1]
    with st.status(t("import.checking"), expanded=True) as status:
        bar, update = _progress_bar(t("import.checking"))
        preview = wizard.preview(actor=actor, source=data, progress=update, **options)
        bar.empty()
        status.update(label=t("import.checked"), state="complete", expanded=False)
    st.session_state[f"{wizard.key}:preview"] = (made_from, preview)
    return preview


def _show_counts(wizard: ImportWizard, preview: Any) -> None:
    rows = metric_rows(wizard, preview.counts)
    width = max(len(row) for row in rows)
    for row in rows:
        for col, (label, value) in zip(st.columns(width), row, strict=False):
            col.metric(label, value)
    for note in wizard.notes(preview):
        st.caption(note)
    for warning in wizard.warnings(preview):
        st.warning(warning)


def render(wizard: ImportWizard, actor: Actor) -> None:
    """Draw `wizard` for `actor` where the page puts it."""
    key = wizard.key
    st.subheader(t(wizard.word("title")))
    if not can(actor, wizard.permission):
        st.info(t(wizard.word("no_permission")))
        return
    done = st.session_state.pop(f"{key}:done", None)
    if done:
        st.success(t("import.done", summary=done))
    st.caption(t(wizard.word("intro")))
    st.download_button(t("import.template"), data=wizard.template, file_name=wizard.template_file, mime=XLSX_MIME,
                       key=f"{key}:template")
    options = wizard.options(key)
    nonce = st.session_state.get(f"{key}:nonce", 0)
    upload = st.file_uploader(t("import.file"), type=["xlsx"], key=f"{key}:file:{nonce}")
    if upload is None:
        st.session_state.pop(f"{key}:preview", None)
        return
    try:
        preview = _preview(wizard, actor, upload.getvalue(), options)
    except DomainError as exc:
        st.error(exc.message)
        return

    caption = wizard.caption(preview)
    if caption:
        st.caption(caption)
    if preview.problems:
        st.error(t("import.problems", n=len(preview.problems)))
        problems = problems_frame(preview.problems)
        st.dataframe(capped(problems), hide_index=True, width="stretch", key=f"{key}:problems")
        if len(problems) > MAX_SHOWN_ROWS:
            st.download_button(t("import.problems_download"), file_name="导入问题.xlsx",
                               data=lambda: excel_workbook({t("import.problems_sheet"): problems}),
                               mime=XLSX_MIME, icon=":material/download:", key=f"{key}:problems_download")
    else:
        _show_counts(wizard, preview)
    if len(preview.rows):
        st.markdown(f"**{t('import.preview')}**")
        st.dataframe(capped(preview.rows), hide_index=True, width="stretch", height=320, key=f"{key}:rows")
    nothing_to_do = wizard.changes(preview.counts) == 0
    if preview.ok and nothing_to_do:
        st.info(t(wizard.word("nothing")))
    if st.button(t("import.confirm"), type="primary", disabled=not preview.ok or nothing_to_do, key=f"{key}:confirm"):
        _commit(wizard, actor, preview)


def _commit(wizard: ImportWizard, actor: Actor, preview: Any) -> None:
    key = wizard.key
    bar, update = _progress_bar(t("import.importing"))
    try:
        counts = wizard.commit(actor=actor, preview=preview, progress=update)
    except ValidationError as exc:
        bar.empty()
        st.session_state.pop(f"{key}:preview", None)  # check the file again on the next run
        st.error(t("import.refused"))
        st.dataframe(capped(problems_frame(refusal_problems(exc))), hide_index=True, width="stretch",
                     key=f"{key}:refusal")
        return
    except DomainError as exc:
        bar.empty()
        st.session_state.pop(f"{key}:preview", None)
        st.error(exc.message)
        return
    st.session_state.pop(f"{key}:preview", None)
    st.session_state[f"{key}:nonce"] = st.session_state.get(f"{key}:nonce", 0) + 1  # a fresh, empty uploader
    st.session_state[f"{key}:done"] = counts.summary()
    flash(t("import.done", summary=counts.summary()))  # the toast, shown by app.py after the rerun
    st.rerun()
