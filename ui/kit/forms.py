"""Add-form inputs built from a table's TableSpec: the label, the choices and the length come from the services."""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.platform.tablespec import Field, TableSpec
from ui.kit.i18n import t

_YES, _NO = "是", "否"


def text_field(table: TableSpec, name: str, *, max_chars: int | None = None) -> str:
    """A text input for one field; at most the field's length unless the form says otherwise."""
    f = table.field(name)
    return st.text_input(t(f.label_key), max_chars=max_chars or f.max_len)


def _choices(f: Field) -> tuple[str, ...]:
    if f.kind == "bool":
        # the field's default comes first, so a form left alone adds the usual row
        return (_NO, _YES) if f.default is False else (_YES, _NO)
    return f.options


def choice_field(table: TableSpec, name: str) -> str:
    """A select box over a choice (or yes/no) field's options, as the user reads them."""
    f = table.field(name)
    return st.selectbox(t(f.label_key), _choices(f))


def form_field(table: TableSpec, name: str, *, max_chars: int | None = None) -> Any:
    """The input a field's kind calls for: a select box for choices and yes/no, else a text input."""
    f = table.field(name)
    if f.kind in ("choice", "bool"):
        return choice_field(table, name)
    return text_field(table, name, max_chars=max_chars)
