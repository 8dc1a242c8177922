"""Working days 工作日: weekends off, statutory holidays off, 调休 make-up working days on.

The holiday table is seeded from the chinese-calendar package and then belongs to the
admin, who may correct it. A year the package does not cover falls back to weekends only,
and `uncovered_years` tells the admin page to warn about it.

Deadlines in working days end at the close (23:59:59 Asia/Shanghai) of the n-th working day
after the day the clock starts, so "3 working days" means the same for a ticket taken at
09:00 or at 17:00, and a ticket taken on a holiday starts counting on the next working day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

import chinese_calendar
from sqlalchemy import select

from db.engine import read_session, unit_of_work
from db.models import Holiday
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.clock import SHANGHAI

HOLIDAY_NAMES = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}
MAX_SCAN_DAYS = 3660


def package_covers(year: int) -> bool:
    try:
        chinese_calendar.is_holiday(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def calendar_deviations(year: int) -> list[dict[str, Any]]:
    """The days of `year` that differ from Monday–Friday work: holidays on weekdays, 调休 on weekends."""
    out: list[dict[str, Any]] = []
    day = date(year, 1, 1)
    while day.year == year:
        on_holiday, name = chinese_calendar.get_holiday_detail(day)
        weekend = day.weekday() >= 5
        if on_holiday and not weekend:
            out.append({"day": day, "is_workday": False, "name": HOLIDAY_NAMES.get(name, name or "假日")})
        elif not on_holiday and weekend:
            out.append({"day": day, "is_workday": True, "name": "调休上班"})
        day += timedelta(days=1)
    return out


def seed_holidays(*, actor: Actor, years: Iterable[int]) -> int:
    """Copy the package's holidays for `years` into the table (days already there are kept); returns rows added."""
    require(actor, "reference.edit")
    added = 0
    with unit_of_work() as uow:
        s = uow.session
        existing = set(s.scalars(select(Holiday.day)))
        for year in sorted(set(years)):
            if not package_covers(year):
                continue
            for row in calendar_deviations(year):
                if row["day"] not in existing:
                    s.add(Holiday(source="chinese-calendar", **row))
                    added += 1
        if added:
            audit.record(s, actor, "create", "holidays", "-", None, {"years": sorted(set(years)), "days": added})
        uow.commit()
    return added


def uncovered_years(years: Iterable[int]) -> list[int]:
    """Years with no holiday rows at all: working days there are weekends-only (warn the admin)."""
    with read_session() as s:
        covered = {d.year for d in s.scalars(select(Holiday.day))}
    return sorted(y for y in set(years) if y not in covered)


class WorkCalendar:
    """Working-day arithmetic over one loaded range of the holiday table (no query per day)."""

    def __init__(self, deviations: dict[date, bool]):
        self._deviations = deviations

    @classmethod
    def load(cls, start: date, end: date) -> WorkCalendar:
        with read_session() as s:
            rows = s.execute(select(Holiday.day, Holiday.is_workday)
                             .where(Holiday.day >= start, Holiday.day <= end)).all()
        return cls(dict(rows))

    def is_workday(self, day: date) -> bool:
        if day in self._deviations:
            return self._deviations[day]
        return day.weekday() < 5

    def nth_workday_after(self, day: date, n: int) -> date:
        """The n-th working day after `day` (n >= 1); `day` itself never counts."""
        if n < 1:
            raise ValueError("n must be at least 1")
        found = 0
        for offset in range(1, MAX_SCAN_DAYS):
            candidate = day + timedelta(days=offset)
            if self.is_workday(candidate):
                found += 1
                if found == n:
                    return candidate
        raise ValueError("no working day found within ten years")

    def deadline_after(self, start: datetime, working_days: int) -> datetime:
        """The close of the n-th working day after `start`'s local day (see the module docstring)."""
        local_day = start.astimezone(SHANGHAI).date()
        end_day = self.nth_workday_after(local_day, working_days)
        return datetime.combine(end_day, time(23, 59, 59), SHANGHAI)


def calendar_for(start: datetime, working_days: int) -> WorkCalendar:
    """A calendar loaded wide enough for a deadline `working_days` after `start`."""
    day = start.astimezone(SHANGHAI).date()
    return WorkCalendar.load(day, day + timedelta(days=working_days * 3 + 40))


def deadline(start: datetime, *, hours: int | None = None, working_days: int | None = None) -> datetime:
    """A deadline `hours` after `start`, or at the close of the n-th working day after it."""
    if (hours is None) == (working_days is None):
        raise ValueError("give hours or working_days")
    if hours is not None:
        return start + timedelta(hours=hours)
    assert working_days is not None  # the check above: exactly one of the two is given
    return calendar_for(start, working_days).deadline_after(start, working_days)
