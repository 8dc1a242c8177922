"""The one Excel/CSV writer: every export and report workbook is made here.

Invariant: what it writes is safe to open in Excel: a text cell starting with = + - @, a tab or a carriage return
gets an apostrophe in front (OWASP's advice against CSV/formula injection), in CSV and XLSX alike: a workbook is
often saved again as CSV, and a user who edits the cell would turn the text into a formula; numbers are never text
cells, so a negative amount stays a number; timestamps keep their UTC offset as text (Excel has no time zones),
Decimals stay numbers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, cast

import pandas as pd

from services.platform.errors import DomainError

# what Excel (or a program it hands the cell to) may run as a formula, at the start of a text cell
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


# what an XLSX file (XML) cannot hold; text stored before the rules refused it is shown as � rather than breaking
# the workbook
_NOT_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


def _export_cell(value: Any, xlsx: bool = False) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.isoformat(sep=" ")
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        value = "'" + value  # shown as text, never run as a formula
    if xlsx and isinstance(value, str):
        value = _NOT_XML.sub("\ufffd", value)
    return value


def frame_to_bytes(df: pd.DataFrame, fmt: str, *, sheet: str = "Sheet1") -> bytes:
    """CSV or XLSX bytes of a frame, safe to open in Excel.

    Timestamps keep their UTC offset as text (Excel has no time zones); text that Excel
    would read as a formula (= + - @, tab, carriage return) is prefixed with an apostrophe.
    """
    if fmt == "csv":
        # CRLF rows, as Excel writes them: a field holding a carriage return is then quoted, not a broken row
        text = _safe(df).to_csv(index=False, lineterminator="\r\n")
        return cast(bytes, text.encode("utf-8-sig", "replace"))  # pandas is untyped (Any); ? for a lone surrogate
    if fmt == "xlsx":
        return excel_workbook({sheet: df})
    raise DomainError(f"不支持的格式：{fmt}（可选 csv 或 xlsx）")


def excel_workbook(sheets: Mapping[str, pd.DataFrame]) -> bytes:
    """XLSX bytes of several frames, one sheet each (names cut to Excel's 31 characters), safe as frame_to_bytes."""
    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            _safe(frame, xlsx=True).to_excel(writer, index=False, sheet_name=name[:31])
    return buf.getvalue()


def _safe(df: pd.DataFrame, xlsx: bool = False) -> pd.DataFrame:
    out = pd.DataFrame({i: pd.Series([_export_cell(v, xlsx) for v in df.iloc[:, i]], dtype=object, index=df.index)
                        for i in range(df.shape[1])}, index=df.index)
    out.columns = [_export_cell(c, xlsx) for c in df.columns]  # a header is a text cell too
    return out
