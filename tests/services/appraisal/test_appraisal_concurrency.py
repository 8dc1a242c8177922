"""Two builds of one month at once, on PostgreSQL and MariaDB (several console processes share a database).

SQLite serialises writers, so the interleaving cannot happen there. A barrier holds both builds after they
have computed the month's cards and before they write them (`appraisal.compute_cards` returns, then both
wait): both have seen no card yet, and both try to create every card of the month.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from datetime import datetime

import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import Scorecard
from services.appraisal import scorecards as appraisal
from services.appraisal.scorecards import BuildResult
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict
from tests.factories import actor_for, make_department, make_member, seed_appraisal

PERIOD = "2026-03"
APRIL = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)


def _both(fn_a: Callable[[], object], fn_b: Callable[[], object]) -> list[object]:
    """Run two calls in threads; return each result or the exception it raised."""
    results: list[object] = [None, None]

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _hold_at(monkeypatch, module, name: str) -> None:
    """Make `module.name` wait (up to 2 s) after it returns, until both threads have reached it."""
    barrier = threading.Barrier(2, timeout=2)
    real = getattr(module, name)

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)


@pytest.fixture
def server_db(db):
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; no interleaving")
    return db


def test_two_builds_of_one_month_at_once_create_each_card_once(server_db, monkeypatch):
    """Three people of the 客服部 (seed KPIs: 客服前台 has 有效投诉, 0 件 without tickets, so every card scores).
    Whatever the interleaving: one build creates the three cards, the other either refreshes them after it
    (created 0) or is refused with the documented Conflict; no raw database error escapes, and there is
    exactly one card per person."""
    seed_appraisal()
    kf = make_department("KF", "客服部")
    people = [make_member(f"S00{i}", name, "客服前台", department_id=kf)
              for i, name in enumerate(("王芳", "李娜", "赵敏"), start=1)]
    a, b = actor_for(Role.ADMIN, "admin_a"), actor_for(Role.ADMIN, "admin_b")
    _hold_at(monkeypatch, appraisal, "compute_cards")

    results = _both(lambda: appraisal.build_drafts(actor=a, period=PERIOD, now=APRIL),
                    lambda: appraisal.build_drafts(actor=b, period=PERIOD, now=APRIL))

    assert all(isinstance(r, BuildResult | Conflict) for r in results), results
    builds = [r for r in results if isinstance(r, BuildResult)]
    assert builds, results
    assert sum(r.created for r in builds) == 3, results
    with read_session() as s:
        per_person = dict(s.execute(select(Scorecard.staff_id, func.count()).where(Scorecard.period == PERIOD)
                                    .group_by(Scorecard.staff_id)).all())
    assert per_person == dict.fromkeys(people, 1)
