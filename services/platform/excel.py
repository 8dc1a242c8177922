"""The one Excel/CSV writer: every export and report workbook is made here.

Invariant: what it writes is safe to open in Excel: text Excel would run as a formula gets an apostrophe,
timestamps keep their UTC offset as text (Excel has no time zones), Decimals stay numbers.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import pandas as pd

from services.platform.errors import DomainError

# Excel runs a CSV cell starting with any of these as a formula; in XLSX only "=" makes a formula.
_FORMULA_STARTS = {"csv": ("=", "+", "-", "@", "\t", "\r"), "xlsx": ("=",)}


def _export_cell(value: Any, fmt: str) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat(sep=" ")
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS.get(fmt, ("=",))):
        return "'" + value  # shown as text, never run as a formula
    return value


def frame_to_bytes(df: pd.DataFrame, fmt: str, *, sheet: str = "Sheet1") -> bytes:
    """CSV or XLSX bytes of a frame, safe to open in Excel.

    Timestamps keep their UTC offset as text (Excel has no time zones); text that Excel
    would read as a formula (= + - @) is prefixed with an apostrophe.
    """
    if fmt == "csv":
        return cast(bytes, _safe(df, fmt).to_csv(index=False).encode("utf-8-sig"))  # pandas is untyped (Any)
    if fmt == "xlsx":
        return excel_workbook({sheet: df})
    raise DomainError(f"不支持的格式：{fmt}（可选 csv 或 xlsx）")


def excel_workbook(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """XLSX bytes of several frames, one sheet each (names cut to Excel's 31 characters), safe as frame_to_bytes."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _safe(frame, "xlsx").to_excel(writer, index=False, sheet_name=name[:31])
    return buf.getvalue()


def _safe(df: pd.DataFrame, fmt: str) -> pd.DataFrame:
    out = df.copy()
    for col in out.columns:
        out[col] = pd.Series([_export_cell(v, fmt) for v in out[col]], dtype=object, index=out.index)
    return out
