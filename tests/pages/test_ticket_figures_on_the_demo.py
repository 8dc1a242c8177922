"""The ticket figures /tickets → 分析, the trend and the scorecards read, on the demo's year of tickets: the SQL
figures equal the Python implementation they replaced (tests/services/kpi/ticket_kpi_oracle.py); one grouped
computation (ticket_kpis_by) gives for every 处理人, 首问责任人 and ruled 责任人 what one ticket_kpis call per
person gives; one trend computation (ticket_kpis_months) what one call per month gives.

On SQLite this reads the demo database itself; on PostgreSQL and MariaDB the demo's tickets and revisits (and the
estates, staff and user accounts they name) are copied into the test database first, every column the figures
read unchanged (units, categories and who entered a ticket are left out: no figure reads them).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db.engine import get_engine, read_session, unit_of_work
from db.models import Estate, Revisit, Staff, Ticket, User
from db.types import utcnow
from services import kpi
from services.appraisal import scorecards
from services.appraisal.rules import KPI_CATALOG, PERSON
from services.platform.clock import local_today
from tests.services.kpi.ticket_kpi_oracle import oracle_ticket_kpi_evidence, oracle_ticket_kpis


@dataclass(frozen=True)
class Demo:
    users: tuple[int, ...]
    staff: tuple[int, ...]
    users_of: dict[int, tuple[int, ...]]


def _copy_demo_tickets(source_url: str) -> None:
    """Copy the demo's tickets and revisits into the database of DATABASE_URL (new ids, references mapped)."""
    with Session(get_engine(source_url)) as src, unit_of_work() as uow:
        s = uow.session
        estates, staff, users = {}, {}, {}
        for e in src.scalars(select(Estate)):
            s.add(copy := Estate(code=e.code, name=e.name, address=e.address))
            s.flush()
            estates[e.id] = copy.id
        for m in src.scalars(select(Staff)):
            s.add(copy_staff := Staff(staff_no=m.staff_no, name=m.name))
            s.flush()
            staff[m.id] = copy_staff.id
        for u in src.scalars(select(User)):
            s.add(copy_user := User(username=u.username, display_name=u.display_name, password_hash="-", role=u.role,
                                    staff_id=staff.get(u.staff_id) if u.staff_id else None))
            s.flush()
            users[u.id] = copy_user.id
        left_out = {"id", "unit_id", "category_id", "entered_by"}
        tickets: list[dict[str, Any]] = []
        for row in src.execute(select(Ticket.__table__).order_by(Ticket.id)).mappings():
            t = {k: v for k, v in row.items() if k not in left_out}
            t["estate_id"] = estates[t["estate_id"]]
            for key, ids in (("first_responder_id", users), ("assignee_id", users), ("ruling_staff_id", staff)):
                t[key] = ids[t[key]] if t[key] is not None else None
            tickets.append(t)
        s.execute(insert(Ticket), tickets)
        new_id = dict(s.execute(select(Ticket.number, Ticket.id)).all())
        number_of = dict(src.execute(select(Ticket.id, Ticket.number)).all())
        revisits = [{**{k: v for k, v in row.items() if k not in ("id", "done_by")},
                     "ticket_id": new_id[number_of[row["ticket_id"]]]}
                    for row in src.execute(select(Revisit.__table__).order_by(Revisit.id)).mappings()]
        s.execute(insert(Revisit), revisits)
        uow.commit()


@pytest.fixture
def demo_tickets(db, demo_db_url, monkeypatch) -> Demo:
    if db.startswith("sqlite"):
        monkeypatch.setenv("DATABASE_URL", demo_db_url)
    else:
        _copy_demo_tickets(demo_db_url)
    with read_session() as s:
        users = tuple(s.scalars(select(User.id)))
        staff = tuple(s.scalars(select(Staff.id)))
        users_of: dict[int, list[int]] = {}
        for user_id, staff_id in s.execute(select(User.id, User.staff_id).where(User.staff_id.is_not(None))):
            users_of.setdefault(staff_id, []).append(user_id)
        assert s.scalar(select(func.count()).select_from(Ticket)) > 1000
    return Demo(users, staff, {k: tuple(v) for k, v in users_of.items()})


def _months() -> list[kpi.Period]:
    """The running month and the eleven before it (the demo's tickets reach a year back from its build)."""
    months = [kpi.Period.parse(local_today().strftime("%Y-%m"))]
    while len(months) < 12:
        months.append(months[-1].previous())
    return months


def test_the_sql_ticket_figures_equal_the_python_oracle_on_the_demo(demo_tickets):
    now = utcnow()
    months = _months()
    for p in (months[0], months[1], months[6], months[11]):
        for as_of in (min(p.start + timedelta(days=15), now), min(p.last_instant, now), now):
            assert kpi.ticket_kpis(p, as_of=as_of) == oracle_ticket_kpis(p, as_of=as_of), (p.label, as_of)
    last = months[1]
    for key in kpi.TICKET_KPI_KEYS:
        got = kpi.ticket_kpi_evidence(last, key, as_of=last.last_instant)
        expected = oracle_ticket_kpi_evidence(last, key, as_of=last.last_instant)
        assert list(got.columns) == list(expected.columns)
        assert sorted(map(repr, got.to_dict("records"))) == sorted(map(repr, expected.to_dict("records"))), key


def test_every_group_of_the_grouped_figures_equals_its_scope_on_the_demo(demo_tickets):
    d = demo_tickets
    months = _months()
    seen: set[str] = set()
    for p, as_of in ((months[1], months[1].last_instant), (months[0], utcnow()),
                     (months[3], months[3].start + timedelta(days=10))):
        for by, keys, scope_of in (("assignee", d.users, lambda k: kpi.TicketScope(assignee_ids=(k,))),
                                   ("first_responder", d.users, lambda k: kpi.TicketScope(first_responder_ids=(k,))),
                                   ("ruling_staff", d.staff, lambda k: kpi.TicketScope(ruling_staff_id=k))):
            grouped = kpi.ticket_kpis_by(p, by=by, as_of=as_of)
            assert set(grouped) - {None} <= set(keys)
            seen |= {by} if set(grouped) - {None} else set()
            for key in keys:
                assert grouped.get(key, kpi.empty_ticket_kpis()) == kpi.ticket_kpis(p, as_of=as_of,
                                                                                    scope=scope_of(key)), (by, key)
        if p is months[1]:  # and the per-person figures against the oracle once
            for key in d.users:
                assert kpi.ticket_kpis_by(p, by="assignee", as_of=as_of).get(key, kpi.empty_ticket_kpis()) == \
                    oracle_ticket_kpis(p, as_of=as_of, scope=kpi.TicketScope(assignee_ids=(key,)))
        estates = kpi.ticket_counts_by(p, by="estate", as_of=as_of)
        assert sum(estates.values(), kpi.TicketCounts()).figures() == kpi.ticket_kpis(p, as_of=as_of)
    assert seen == {"assignee", "first_responder", "ruling_staff"}  # the demo has people in every role


def test_the_12_month_ticket_trend_equals_one_computation_per_month_on_the_demo(demo_tickets):
    now = utcnow()
    months = _months()
    moments = {q.label: min(q.last_instant, now) for q in months}
    trend = kpi.ticket_kpis_months(months, as_of=moments)
    mine = kpi.TicketScope(first_responder_ids=demo_tickets.users[:3])
    trend_of_some = kpi.ticket_kpis_months(months, as_of=moments, scope=mine)
    for q in months:
        assert trend[q.label] == kpi.ticket_kpis(q, as_of=moments[q.label]), q.label
        assert trend_of_some[q.label] == kpi.ticket_kpis(q, as_of=moments[q.label], scope=mine), q.label
    for q in (months[0], months[5]):
        assert trend[q.label] == oracle_ticket_kpis(q, as_of=moments[q.label])


def test_the_scorecards_ticket_figures_equal_one_scope_per_person_on_the_demo(demo_tickets):
    p = _months()[1]
    figures = scorecards._Figures(p, p.last_instant, demo_tickets.users_of)
    for staff_id in demo_tickets.staff:
        for kpi_def in (d for d in KPI_CATALOG.values() if d.source not in ("fee", "visits")):
            scope = figures.ticket_scope(kpi_def.source, staff_id)
            expected = oracle_ticket_kpis(p, as_of=p.last_instant, scope=scope)[kpi_def.figure]
            assert figures.value(kpi_def, PERSON, staff_id) == expected, (staff_id, kpi_def.key)

