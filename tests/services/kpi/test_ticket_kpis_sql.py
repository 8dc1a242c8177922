"""The ticket figures counted in SQL (services/tickets/figures.py) equal the Python implementation they replaced
(tests/services/kpi/ticket_kpi_oracle.py) on a month full of edge cases, on SQLite, PostgreSQL and MariaDB.

The month is built from a fixed seed: 90 tickets of every type and state whose times sit on the edges the figures
decide at: a month's first and last microsecond, the moment a figure is taken and one microsecond either side,
handling exactly 24 hours after receipt and one microsecond more, completion exactly at the deadline, revisits
done exactly when due, several revisits of one ticket, cancelled tickets with revisits, tickets of nobody.
People: 张 has two user accounts (u1, u2), 李 one (u3); complaints are ruled naming 张, 李 or nobody.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest

from db.engine import unit_of_work
from db.models import Revisit, Ticket
from services import kpi
from services.appraisal import scorecards
from services.appraisal.rules import KPI_CATALOG, PERSON
from services.platform.clock import SHANGHAI
from tests.factories import make_estate, make_login, make_staff
from tests.services.kpi.ticket_kpi_oracle import oracle_ticket_kpi_evidence, oracle_ticket_kpis

FEB, MAR, APR = (kpi.Period.parse(m) for m in ("2026-02", "2026-03", "2026-04"))
DEC = kpi.Period.parse("2025-12")
US = timedelta(microseconds=1)
DAY = timedelta(hours=24)
MID_MARCH = datetime(2026, 3, 16, 12, tzinfo=SHANGHAI)
# the moments figures are taken at, and the instants tickets happen at (each moment ± 1 µs, months' edges)
MOMENTS = (MID_MARCH, MAR.last_instant, MAR.end, datetime(2026, 4, 10, 9, tzinfo=SHANGHAI))
INSTANTS = tuple(sorted({m + d for m in (*MOMENTS, FEB.start, FEB.start + DAY * 14, MAR.start, APR.end, DEC.start,
                                         datetime(2026, 3, 3, 8, 30, tzinfo=SHANGHAI)) for d in (-US, 0 * US, US)}))
GAPS = (DAY, DAY + US, DAY - US, -US, timedelta(hours=2), timedelta(days=3))


@dataclass(frozen=True)
class People:
    zhang: int
    li: int
    nobody: int  # a member of staff without any user account
    u1: int
    u2: int
    u3: int
    estates: tuple[int, int]


def _build(seed: int = 14) -> People:
    rng = random.Random(seed)
    e1, _ = make_estate("E1", "甲小区")
    e2, _ = make_estate("E2", "乙小区")
    zhang, li, nobody = make_staff("张", "S1"), make_staff("李", "S2"), make_staff("王", "S3")
    u1, u2, u3 = make_login("u1", "张一", staff_id=zhang), make_login("u2", "张二", staff_id=zhang), \
        make_login("u3", "李", staff_id=li)

    def instant() -> datetime:
        return rng.choice(INSTANTS)

    with unit_of_work() as uow:
        s = uow.session
        for n in range(90):
            received = instant()
            completed = rng.choice([None, received + rng.choice(GAPS), instant(), instant()])
            deadline = completed if completed is not None and rng.random() < 0.2 else rng.choice(
                [received + DAY, instant()])
            handled = rng.choice([None, received + rng.choice(GAPS), received + rng.choice(GAPS), instant()])
            ruling = rng.choice(["", "有效", "有效", "无效"])
            t = Ticket(number=f"T{n:04d}", ticket_type=rng.choice(["报修", "报修", "投诉", "投诉", "咨询"]),
                       channel="电话", estate_id=rng.choice([e1, e2]), content="测试", received_at=received,
                       entered_at=received, status=rng.choice(["已完成", "已完成", "已完成", "处理中", "已撤销"]),
                       deadline_at=deadline, completed_at=completed, handled_at=handled,
                       needs_revisit=rng.random() < 0.8, ruling=ruling,
                       ruled_at=rng.choice([None, instant(), instant()]) if ruling else None,
                       assignee_id=rng.choice([u1, u2, u3, None]), first_responder_id=rng.choice([u1, u2, u3, None]),
                       ruling_staff_id=rng.choice([zhang, li, None]) if ruling else None)
            s.add(t)
            s.flush()
            for _ in range(rng.choice([0, 1, 1, 2])):
                due = rng.choice([instant(), (completed or received) + DAY])
                done = rng.choice([None, instant(), due, due + US, due - US])
                s.add(Revisit(ticket_id=t.id, due_at=due, done_at=done, method="电话" if done else "",
                              result=rng.choice(["", "满意", "基本满意", "不满意"]) if done else ""))
        # the edges by hand, so no seed can miss them: a repair completed exactly at its deadline and revisited
        # exactly when due, at the moment a figure is taken; complaints handled 24 h and 24 h + 1 µs after receipt
        at = MID_MARCH - DAY
        edges = [Ticket(number="E001", ticket_type="报修", received_at=at, deadline_at=MID_MARCH, completed_at=MID_MARCH,
                        handled_at=None, assignee_id=u1, first_responder_id=u3),
                 Ticket(number="E002", ticket_type="投诉", received_at=at, deadline_at=MID_MARCH, completed_at=None,
                        handled_at=at + DAY, assignee_id=u2, first_responder_id=u1),
                 Ticket(number="E003", ticket_type="投诉", received_at=at, deadline_at=MID_MARCH, completed_at=None,
                        handled_at=at + DAY + US, assignee_id=u3, first_responder_id=u2)]
        for t in edges:
            t.channel, t.estate_id, t.content, t.entered_at, t.status = "电话", e1, "测试", t.received_at, "已完成"
            s.add(t)
        s.flush()
        s.add(Revisit(ticket_id=edges[0].id, due_at=MID_MARCH, done_at=MID_MARCH, method="电话", result="满意"))
        uow.commit()
    return People(zhang, li, nobody, u1, u2, u3, (e1, e2))


@pytest.fixture
def people(db) -> People:
    return _build()


def _scopes(p: People) -> list[kpi.TicketScope | None]:
    return [None, kpi.TicketScope(assignee_ids=(p.u1, p.u2)), kpi.TicketScope(first_responder_ids=(p.u3,)),
            kpi.TicketScope(ruling_staff_id=p.zhang), kpi.TicketScope(assignee_ids=()),
            kpi.TicketScope(assignee_ids=(p.u1,), first_responder_ids=(p.u1, p.u3))]


def test_every_figure_equals_the_python_oracle_at_every_moment(people):
    seen = set()
    for period in (FEB, MAR, APR):
        for as_of in MOMENTS:
            for scope in _scopes(people):
                figures = kpi.ticket_kpis(period, as_of=as_of, scope=scope)
                assert figures == oracle_ticket_kpis(period, as_of=as_of, scope=scope), (period.label, as_of, scope)
                assert list(figures) == list(kpi.TICKET_KPI_KEYS)
                seen |= {k for k, v in figures.items() if v not in (None, 0)}
    assert seen == set(kpi.TICKET_KPI_KEYS)  # the month exercises every figure, not only its empty case


def test_the_figures_of_every_group_equal_those_of_its_scope(people):
    p = people
    for period, as_of in ((MAR, MAR.last_instant), (MAR, MID_MARCH), (APR, MOMENTS[-1])):
        for by, keys, scope_of in (("assignee", (p.u1, p.u2, p.u3), lambda k: kpi.TicketScope(assignee_ids=(k,))),
                                   ("first_responder", (p.u1, p.u2, p.u3),
                                    lambda k: kpi.TicketScope(first_responder_ids=(k,))),
                                   ("ruling_staff", (p.zhang, p.li, p.nobody),
                                    lambda k: kpi.TicketScope(ruling_staff_id=k))):
            grouped = kpi.ticket_kpis_by(period, by=by, as_of=as_of)
            assert set(grouped) <= {*keys, None}
            for key in keys:
                expected = oracle_ticket_kpis(period, as_of=as_of, scope=scope_of(key))
                assert grouped.get(key, kpi.empty_ticket_kpis()) == expected, (period.label, by, key)
                assert kpi.ticket_kpis(period, as_of=as_of, scope=scope_of(key)) == expected
        # every ticket is in one estate: the estates' counts add up to the whole
        estates = kpi.ticket_counts_by(period, by="estate", as_of=as_of)
        assert set(estates) <= set(p.estates)
        total = sum(estates.values(), kpi.TicketCounts())
        assert total == kpi.ticket_counts_by(period, by=None, as_of=as_of)[None]
        assert total.figures() == oracle_ticket_kpis(period, as_of=as_of)
    with pytest.raises(ValueError):
        kpi.ticket_kpis_by(MAR, by="building", as_of=MID_MARCH)


def test_a_trend_of_months_equals_one_computation_per_month(people):
    periods = [DEC, FEB, MAR, APR]  # not adjacent: December stands alone
    moments = {DEC.label: DEC.last_instant, FEB.label: MAR.end, MAR.label: MID_MARCH, APR.label: MOMENTS[-1]}
    for scope in (None, kpi.TicketScope(assignee_ids=(people.u1, people.u2)),
                  kpi.TicketScope(ruling_staff_id=people.li)):
        trend = kpi.ticket_kpis_months(periods, as_of=moments, scope=scope)
        assert list(trend) == [q.label for q in periods]
        for q in periods:
            assert trend[q.label] == oracle_ticket_kpis(q, as_of=moments[q.label], scope=scope), (q.label, scope)
    assert kpi.ticket_kpis_months(["2026-03"], as_of={"2026-03": MID_MARCH}) == {
        "2026-03": kpi.ticket_kpis(MAR, as_of=MID_MARCH)}
    assert kpi.ticket_kpis_months([], as_of={}) == {}


def _records(frame) -> list[str]:
    return sorted(repr(sorted(r.items())) for r in frame.to_dict("records"))


def test_the_evidence_of_every_figure_equals_the_oracle_row_for_row(people):
    for as_of in (MID_MARCH, MAR.last_instant):
        for scope in (None, kpi.TicketScope(first_responder_ids=(people.u1, people.u2))):
            for key in kpi.TICKET_KPI_KEYS:
                got = kpi.ticket_kpi_evidence(MAR, key, as_of=as_of, scope=scope)
                expected = oracle_ticket_kpi_evidence(MAR, key, as_of=as_of, scope=scope)
                assert list(got.columns) == list(expected.columns)
                assert all(str(t) == "object" for t in got.dtypes)
                assert _records(got) == _records(expected), (key, as_of)
                counted = sum(got["counts"])
                figure = kpi.ticket_kpis(MAR, as_of=as_of, scope=scope)[key]
                assert figure == (counted if key == "effective_complaints" else kpi.rate(counted, len(got)))
    with pytest.raises(KeyError):
        kpi.ticket_kpi_evidence(MAR, "no_such_figure", as_of=MID_MARCH)


def test_a_person_with_two_accounts_is_scored_on_the_rates_of_their_added_counts(people):
    p = people
    users_of = {p.zhang: (p.u1, p.u2), p.li: (p.u3,)}
    for as_of in (MID_MARCH, MAR.last_instant):
        figures = scorecards._Figures(MAR, as_of, users_of)
        ticket_kpis = [d for d in KPI_CATALOG.values() if d.source not in ("fee", "visits")]
        assert {d.source for d in ticket_kpis} == {"handled", "taken", "ruled"}
        for staff_id in (p.zhang, p.li, p.nobody):
            for kpi_def in ticket_kpis:
                scope = figures.ticket_scope(kpi_def.source, staff_id)
                expected = oracle_ticket_kpis(MAR, as_of=as_of, scope=scope)[kpi_def.figure]
                assert figures.value(kpi_def, PERSON, staff_id) == expected, (staff_id, kpi_def.key)
        # one grouped computation per source, whatever the number of people
        assert set(figures.by_ticket_group) == {"assignee", "first_responder", "ruling_staff"}
