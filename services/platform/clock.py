"""Time: stored in UTC, shown in Asia/Shanghai; business dates are plain dates."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from db.types import utcnow

SHANGHAI = ZoneInfo("Asia/Shanghai")

__all__ = ["SHANGHAI", "local_today", "to_local", "utcnow"]


def to_local(moment: datetime) -> datetime:
    return moment.astimezone(SHANGHAI)


def local_today() -> date:
    return to_local(utcnow()).date()
