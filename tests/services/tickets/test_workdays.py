"""Working-day deadlines across statutory holidays and 调休 make-up working days."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import PermissionDenied
from services.tickets import workdays
from tests.factories import actor_for


def at(y, m, d, hh=10, mm=0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def calendar_2026(db):
    workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[2026])
    return db


def test_seeding_copies_holidays_and_make_up_days_once(calendar_2026):
    assert workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[2026]) == 0
    cal = workdays.WorkCalendar.load(date(2026, 1, 1), date(2026, 12, 31))
    assert not cal.is_workday(date(2026, 10, 1))  # 国庆节, a Thursday
    assert cal.is_workday(date(2026, 10, 10))  # 调休上班, a Saturday
    assert not cal.is_workday(date(2026, 10, 11))  # an ordinary Sunday
    assert cal.is_workday(date(2026, 10, 12))  # an ordinary Monday


def test_three_working_days_skip_the_national_day_week_and_count_the_make_up_saturday(calendar_2026):
    handled = at(2026, 9, 30, 10)
    # 10-01..10-07 off; 10-08 Thu = 1, 10-09 Fri = 2, 10-10 Sat (调休上班) = 3
    assert workdays.deadline(handled, working_days=3) == datetime(2026, 10, 10, 23, 59, 59, tzinfo=SHANGHAI)


def test_a_ticket_taken_on_a_holiday_starts_counting_on_the_next_working_day(calendar_2026):
    assert workdays.deadline(at(2026, 10, 3, 9), working_days=1) == datetime(2026, 10, 8, 23, 59, 59,
                                                                             tzinfo=SHANGHAI)


def test_one_working_day_after_a_friday_before_a_make_up_saturday_is_that_saturday(calendar_2026):
    assert workdays.deadline(at(2026, 2, 13, 17), working_days=1).date() == date(2026, 2, 14)


def test_hour_deadlines_ignore_the_calendar(calendar_2026):
    assert workdays.deadline(at(2026, 10, 1, 8), hours=24) == at(2026, 10, 2, 8)


def test_a_year_the_package_does_not_cover_counts_weekends_only_and_is_reported(calendar_2026):
    # 2027 is not in chinese-calendar 1.11: 2027-01-01 (Fri) counts as a working day
    assert workdays.deadline(at(2026, 12, 31, 10), working_days=2).date() == date(2027, 1, 4)
    assert workdays.uncovered_years([2026, 2027]) == [2027]
    assert not workdays.package_covers(2027)


def test_only_an_admin_seeds_the_holiday_table(db):
    for role in (Role.MANAGER, Role.SERVICE, Role.CLERK):
        with pytest.raises(PermissionDenied):
            workdays.seed_holidays(actor=actor_for(role), years=[2026])


def test_a_deadline_needs_hours_or_working_days_but_not_both():
    with pytest.raises(ValueError):
        workdays.deadline(at(2026, 1, 5), hours=1, working_days=1)
    with pytest.raises(ValueError):
        workdays.deadline(at(2026, 1, 5))
