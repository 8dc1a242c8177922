"""Each ticket KPI of KPI.md against a small hand-built month with the exact expected value."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest

from db.engine import unit_of_work
from db.models import Revisit, Ticket
from services import kpi
from services.platform.clock import SHANGHAI
from tests.factories import make_estate

MARCH = kpi.Period.parse("2026-03")


def at(m, d, hh=10) -> datetime:
    return datetime(2026, m, d, hh, tzinfo=SHANGHAI)


def _ticket(s, estate_id, n, kind, received, *, deadline=None, completed=None, handled=None, status="已完成",
            ruling="", revisit=None, needs_revisit=True):
    t = Ticket(number=f"T{n:04d}", ticket_type=kind, channel="电话", estate_id=estate_id, content="测试",
               received_at=received, entered_at=received, status=status,
               deadline_at=deadline or received + timedelta(hours=24), completed_at=completed, handled_at=handled,
               ruling=ruling, ruled_at=handled if ruling else None, needs_revisit=needs_revisit)
    s.add(t)
    s.flush()
    if revisit is not None:
        due, done, result = revisit
        s.add(Revisit(ticket_id=t.id, due_at=due, done_at=done, result=result, method="电话" if done else ""))
    return t


@pytest.fixture
def march(db):
    estate_id, _ = make_estate()
    with unit_of_work() as uow:
        s = uow.session
        # repairs
        _ticket(s, estate_id, 1, "报修", at(3, 2), deadline=at(3, 3), completed=at(3, 3, 9),
                revisit=(at(3, 4, 9), at(3, 3, 15), "满意"))
        _ticket(s, estate_id, 2, "报修", at(3, 5), deadline=at(3, 6), completed=at(3, 7),
                revisit=(at(3, 8), at(3, 10), "不满意"))
        _ticket(s, estate_id, 3, "报修", at(3, 20), status="处理中")
        _ticket(s, estate_id, 4, "报修", at(2, 27), deadline=at(3, 1, 12), completed=at(3, 1, 9),
                revisit=(at(3, 2, 9), None, ""))
        _ticket(s, estate_id, 5, "报修", at(3, 10), status="已撤销")
        # complaints (handled = first documented reply)
        _ticket(s, estate_id, 6, "投诉", at(3, 3, 8), handled=at(3, 3, 20), status="待回访", ruling="有效")
        _ticket(s, estate_id, 7, "投诉", at(3, 12, 8), handled=at(3, 14, 9), status="待回访", ruling="无效")
        _ticket(s, estate_id, 8, "投诉", at(3, 28), status="处理中")
        # an inquiry that needs no revisit
        _ticket(s, estate_id, 9, "咨询", at(3, 9), completed=at(3, 9, 11), needs_revisit=False)
        uow.commit()
    return db


EXPECTED_AT_MONTH_END = {
    "repair_timeliness": Decimal("0.6667"),  # completed in March: #1 and #4 in time, #2 late
    "repair_completion": Decimal("0.6667"),  # received in March: #1, #2 done, #3 open (#5 cancelled)
    "complaint_timely_rate": Decimal("0.3333"),  # #6 in 12 h; #7 in 49 h; #8 not yet
    "complaint_handled_rate": Decimal("0.6667"),
    "revisit_rate": Decimal("0.6667"),  # #1, #2 revisited; #4 not (#9 needs none)
    "revisit_timely_rate": Decimal("0.3333"),  # due in March: #1 early, #2 late, #4 never
    "satisfaction": Decimal("0.5000"),  # answered in March: 满意, 不满意
    "effective_complaints": 1,
    "effective_complaint_rate": Decimal("0.3333"),
}


def test_every_ticket_kpi_of_a_hand_built_month(march):
    assert kpi.ticket_kpis(MARCH, as_of=MARCH.last_instant) == EXPECTED_AT_MONTH_END


def test_figures_taken_mid_month_see_only_what_had_happened(march):
    figures = kpi.ticket_kpis(MARCH, as_of=at(3, 6, 0))
    assert figures["repair_timeliness"] == Decimal("1.0000")  # only #4 and #1 completed by then
    assert figures["complaint_handled_rate"] == Decimal("0.3333")  # only #6 handled by then
    assert figures["satisfaction"] == Decimal("1.0000")  # only #1's 满意 answered by then


def test_a_month_without_tickets_has_no_rates_rather_than_zero_or_full(march):
    figures = kpi.ticket_kpis("2026-05", as_of=kpi.Period.parse("2026-05").last_instant)
    assert figures == {k: (0 if k == "effective_complaints" else None) for k in kpi.TICKET_KPI_KEYS}


def test_rates_round_half_up_to_four_places():
    assert kpi.rate(2, 3) == Decimal("0.6667")
    assert kpi.rate(1, 8) == Decimal("0.1250")
    assert kpi.rate(1, 20000) == Decimal("0.0001")  # 0.00005 rounds up, not to even
    assert kpi.rate(0, 5) == Decimal("0.0000")
    assert kpi.rate(3, 0) is None


def test_json_form_prints_rates_as_four_decimal_strings_and_counts_as_integers():
    assert kpi.as_json_values({"a": Decimal("0.5000"), "b": None, "c": 3}) == {"a": "0.5000", "b": None, "c": 3}


def test_periods_are_calendar_months_in_shanghai():
    p = kpi.Period.parse("2026-12")
    assert p.start == datetime(2026, 12, 1, tzinfo=SHANGHAI)
    assert p.end == datetime(2027, 1, 1, tzinfo=SHANGHAI)
    assert p.previous().label == "2026-11"
    for bad in ("2026-13", "2026-1", "26-01", ""):
        with pytest.raises(ValueError):
            kpi.Period.parse(bad)


def test_the_kpi_command_prints_the_ticket_keys_as_json(march, capsys):
    import json

    import cli

    assert cli.main(["kpi", "--period", "2026-03", "--as-of", "2026-03-31T23:59:59", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    expected = {"period": "2026-03", **kpi.as_json_values(EXPECTED_AT_MONTH_END)}
    assert {k: printed[k] for k in expected} == expected  # the fee keys join the same object
    assert printed["repair_timeliness"] == "0.6667" and printed["effective_complaints"] == 1


def test_the_kpi_command_refuses_a_bad_period_in_chinese(march, capsys):
    import cli

    assert cli.main(["kpi", "--period", "2026-13"]) == 1
    assert "期间应为 YYYY-MM" in capsys.readouterr().err


def test_the_evidence_behind_a_figure_is_its_denominator_with_the_counted_rows_marked(march):
    rows = kpi.ticket_kpi_evidence(MARCH, "repair_timeliness", as_of=MARCH.last_instant).to_dict("records")
    assert sorted((r["number"], r["counts"]) for r in rows) == [("T0001", True), ("T0002", False), ("T0004", True)]
    revisits = kpi.ticket_kpi_evidence(MARCH, "revisit_timely_rate", as_of=MARCH.last_instant).to_dict("records")
    assert sorted((r["number"], r["counts"]) for r in revisits) == [("T0001", True), ("T0002", False),
                                                                    ("T0004", False)]
    for key, value in EXPECTED_AT_MONTH_END.items():
        evidence = kpi.ticket_kpi_evidence(MARCH, key, as_of=MARCH.last_instant).to_dict("records")
        counted = sum(r["counts"] for r in evidence)
        assert value == (counted if key == "effective_complaints" else kpi.rate(counted, len(evidence))), key
