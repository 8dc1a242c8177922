"""The last touches of the demo's go-live (上线检查): what its administrator set up by hand.

The demo company prints its own name on receipts, and has entered next year's fixed-date statutory holidays
(元旦, 劳动节, 国庆节) where chinese-calendar does not know the year yet, as an admin does on /admin 节假日.
"""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from db.engine import unit_of_work
from db.models import Holiday
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today
from services.platform.settings import update_settings
from services.tickets import workdays

COMPANY_NAME = "翠湖物业服务有限公司"
# the holidays whose dates do not move with the lunar calendar: (month, day, name)
FIXED_HOLIDAYS = ((1, 1, "元旦"), (5, 1, "劳动节"), (10, 1, "国庆节"), (10, 2, "国庆节"), (10, 3, "国庆节"))


def finish_setup() -> None:
    """Set the company name and fill the holiday calendar's years the package does not cover."""
    update_settings(actor=SYSTEM_ACTOR, values={"company_name": COMPANY_NAME})
    year = local_today().year
    with unit_of_work() as uow:
        s = uow.session
        have = set(s.scalars(select(Holiday.day).where(Holiday.day >= date(year, 1, 1))))
        added = []
        for y in (year, year + 1):
            if workdays.package_covers(y):
                continue
            for month, day, name in FIXED_HOLIDAYS:
                d = date(y, month, day)
                # the table lists deviations only: a holiday on a weekend is a day off anyway
                if d.weekday() < 5 and d not in have:
                    s.add(Holiday(day=d, is_workday=False, name=name, source="手工"))
                    added.append(d)
        if added:
            audit.record(s, SYSTEM_ACTOR, "create", "holidays", "-", None, {"days": added})
        uow.commit()
