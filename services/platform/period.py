"""A calendar month in Asia/Shanghai (`YYYY-MM`): the period of bills, figures, scorecards and attendance sheets.

Invariant: a period is [start, end) of aware datetimes in Asia/Shanghai; it is parsed from text in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.platform.clock import SHANGHAI, to_local
from services.platform.validate import echo


@dataclass(frozen=True)
class Period:
    """A calendar month in Asia/Shanghai: [start, end) as aware datetimes."""

    label: str
    start: datetime
    end: datetime

    @classmethod
    def parse(cls, text: str) -> Period:
        m = re.fullmatch(r"(\d{4})-(\d{2})", text.strip()) if isinstance(text, str) else None
        if not m or not 1 <= int(m[2]) <= 12 or not 1900 <= int(m[1]) <= 2100:
            raise ValueError(f"期间应为 YYYY-MM，例如 2026-11（收到 {echo(text)!r}）")
        year, month = int(m[1]), int(m[2])
        start = datetime(year, month, 1, tzinfo=SHANGHAI)
        end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=SHANGHAI)
        return cls(f"{year:04d}-{month:02d}", start, end)

    @property
    def last_instant(self) -> datetime:
        return self.end - timedelta(microseconds=1)

    def previous(self) -> Period:
        return Period.parse((self.start - timedelta(days=1)).strftime("%Y-%m"))


def period_of(moment: datetime) -> str:
    """The label of the month (Asia/Shanghai) an aware moment falls in."""
    return to_local(moment).strftime("%Y-%m")
