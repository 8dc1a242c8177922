"""The history of the large demo (`propdesk demo --scale large [--units N]`): after builder.build_demo has made the
estates, units, people and the demo users, this adds the appraisal staff and their accounts, five years of tickets
(large_tickets), five years of fees (large_fees), a year of attendance and incidents, and twelve months of approved
scorecards built by the real appraisal services (services/demo/appraisal.py).

Decisions (the issue is silent on them):
- one random generator per part, each with its own fixed seed, so a change in one part leaves the others as they
  were; with the same arguments on the same day two builds write the same rows (timestamps are relative to today's
  local midnight; only password hashes and the users' creation times differ);
- the staff are the small demo's twelve (services/demo/appraisal.py): the appraisal, the scorecards and the
  per-person figures stay readable, and the tickets and payments of the large company are shared among them;
- the scorecards go through the real services (build, comment, submit, approve), as in the small demo, so they are
  what the service computes: twelve months up to FULL_APPRAISAL_UNITS units, the last three above (see below).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable

from sqlalchemy import func, select

from db.engine import read_session, unit_of_work
from db.models import Base, Staff, Unit
from services.demo import appraisal as demo_appraisal
from services.demo import bulk, large_fees, large_tickets
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today

TICKET_SEED, FEE_SEED = 1402, 1403
# Building a month's scorecards reads the month's fee and ticket figures of the whole company (services.kpi): at
# 20,000 units that is about half a minute a month today. Up to this size the twelve months are built; above it, the
# last three (the attendance and incidents still cover the year).
FULL_APPRAISAL_UNITS = 5_000
LARGE_APPRAISAL_MONTHS = 3


def build_history(*, demo_password: str | None, templates: dict[str, list[str]],
                  categories_of: dict[str, tuple[str, str]], type_weights: tuple[tuple[str, int], ...],
                  channel_weights: tuple[tuple[str, int], ...],
                  report: Callable[[str], None] | None = None) -> dict[str, str]:
    """Staff, tickets, fees, attendance, incidents and scorecards of the large demo; returns {username: password}
    of the accounts it created."""
    say = report or (lambda _text: None)
    today = local_today()
    started = time.perf_counter()

    def step(text: str) -> None:
        say(f"{time.perf_counter() - started:7.1f} s  {text}")

    extra = demo_appraisal._extra_staff(today)
    passwords = demo_appraisal._staff_and_accounts(extra, demo_password)
    step("员工和账户")
    large_tickets.build_ticket_history(random.Random(TICKET_SEED), today=today, templates=templates,
                                       categories_of=categories_of, type_weights=type_weights,
                                       channel_weights=channel_weights)
    step("五年工单")
    large_fees.build_fee_history(random.Random(FEE_SEED), today=today)
    step("五年收费")
    rng = random.Random(62026)  # the small demo's appraisal seed
    with read_session() as s:
        ids = dict(s.execute(select(Staff.staff_no, Staff.id)).all())
    months = demo_appraisal._months(today)
    demo_appraisal._attendance(rng, today, months[0])
    demo_appraisal._incidents(rng, today, months[0], ids)
    step("一年考勤和奖惩")
    with read_session() as s:
        units = s.scalar(select(func.count()).select_from(Unit)) or 0
    built = months if units <= FULL_APPRAISAL_UNITS else months[-LARGE_APPRAISAL_MONTHS:]
    demo_appraisal._scorecards(rng, built, ids, extra)
    step(f"{len(built)} 个月考核表")
    with unit_of_work() as uow:
        audit.record(uow.session, SYSTEM_ACTOR, "demo", "database", "-", None, {"history": row_counts()})
        uow.commit()
    bulk.refresh_statistics()
    step("统计信息")
    return passwords


def row_counts() -> dict[str, int]:
    """Rows per table (every table of the model), for the CLI's report and the tests."""
    with read_session() as s:
        return {name: s.scalar(select(func.count()).select_from(table)) or 0
                for name, table in sorted(Base.metadata.tables.items())}


__all__ = ["build_history", "row_counts"]
