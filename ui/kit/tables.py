"""The one read-only table of the console (the fees screens, the appraisal page).

The data keeps its column names; each column is headed in the reader's language (column config); money shows as ¥1,234.50, rates as 95.12%, and money, rates and
other numbers are right-aligned. Values are sent as text, so no float ever touches money. With `total_row` the
last row (合计) stands out.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from ui.kit import fmt
from ui.kit.i18n import t

TOTAL_ROW_STYLE = "font-weight: 600; background-color: #f3f6fb"
# At most this many rows go to the browser from one table (issue 14): beyond that a table is not read but
# searched, and sending it costs every user seconds at a large company's size. Exports carry every row.
MAX_SHOWN_ROWS = 500


def capped(df: pd.DataFrame, *, keep_last: bool = False) -> pd.DataFrame:
    """The first MAX_SHOWN_ROWS rows of `df` (with its last row kept, for a 合计 row), and a caption saying how many
    were left out; `df` itself when it is short enough."""
    if len(df) <= MAX_SHOWN_ROWS:
        return df
    st.caption(t("table.capped", shown=MAX_SHOWN_ROWS, total=len(df)))
    if keep_last:
        return pd.concat([df.iloc[:MAX_SHOWN_ROWS - 1], df.iloc[-1:]])
    return df.iloc[:MAX_SHOWN_ROWS]


def fit_height(rows: int, cap: int = 320) -> int:
    """Pixels for a table of `rows` rows (at least one, so "empty" shows) without blank rows, at most `cap`."""
    return min(38 + 35 * max(rows, 1), cap)


def money_table(df: pd.DataFrame, labels: Mapping[str, str], *, money: tuple[str, ...] = (),
                rates: tuple[str, ...] = (), numbers: tuple[str, ...] = (), total_row: bool = False,
                height: int | str = "auto", key: str | None = None) -> None:
    """Show `df`'s columns named in `labels` (in that order, under those headings); "（无）" when it is empty."""
    if df.empty:
        st.caption(t("table.none"))
        return
    shown = capped(df[list(labels)], keep_last=total_row).copy()
    for col in shown.columns:
        if col in money:
            shown[col] = [fmt.money(v) if v is not None and v == v else "" for v in shown[col]]
        elif col in rates:
            shown[col] = [fmt.rate(v) if v is not None and v == v else "—" for v in shown[col]]
        else:
            shown[col] = [plain(v) for v in shown[col]]
    right = set(money) | set(rates) | set(numbers)
    config = {col: st.column_config.TextColumn(label, alignment="right" if col in right else None)
              for col, label in labels.items()}
    data = shown
    if total_row:
        last = shown.index[-1]
        data = shown.style.apply(lambda row: [TOTAL_ROW_STYLE if row.name == last else ""] * len(row), axis=1)
    st.dataframe(data, hide_index=True, width="stretch", column_config=config, height=height, key=key)


def plain(value) -> str:
    """A cell as text: times local, dates ISO, booleans 是/否, nothing as blank."""
    if value is None or value is pd.NaT or (isinstance(value, float) and value != value):
        return ""
    if isinstance(value, bool):
        return t("grid.yes") if value else t("grid.no")
    if hasattr(value, "tzinfo") and hasattr(value, "hour"):
        return fmt.moment(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
