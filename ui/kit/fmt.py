"""How values look on screen: money ¥1,234.50, rates 95.12%, times in Asia/Shanghai."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from services.platform.clock import to_local


def money(value: Decimal | None) -> str:
    if value is None:
        return "—"
    sign = "-" if value < 0 else ""
    return f"{sign}¥{abs(value):,.2f}"


def plain_hundredths(value: Decimal | None) -> str:
    """The exact text the grid edits: '1234.50' (no float, no separators)."""
    return "" if value is None else format(value.quantize(Decimal("0.01")), "f")


def rate(value: Decimal | None) -> str:
    if value is None:
        return "—"
    return f"{(value * 100).quantize(Decimal('0.01'))}%"


def day(value: date | None) -> str:
    return "" if value is None else value.isoformat()


def moment(value: datetime | None) -> str:
    return "" if value is None else to_local(value).strftime("%Y-%m-%d %H:%M")
