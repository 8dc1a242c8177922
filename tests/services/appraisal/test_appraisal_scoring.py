"""Scoring maths (services/appraisal/scorecards.achievement, weighted_score, KpiLine; services/appraisal/rules.evaluate),
then the month's view with its ranks and the `propdesk appraise` output on a hand-built month.

Achievement: 越高越好 value/target capped at 1 (a zero target is always met); 越低越好 1 when value <= target,
else target/value (0 when the target is 0). Both 4 places, half-up. Weighted score: sum(weight x achievement)
/ sum(weights with data) x 100, 2 places, half-up; None when no KPI has data.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date, datetime
from decimal import Decimal

import pytest

from services.appraisal import scorecards as appraisal
from services.appraisal import staff
from services.appraisal.rules import HIGHER, LOWER, ActiveRule, Metric, evaluate, show_value
from services.appraisal.scorecards import NOT_BUILT, KpiLine, achievement, weighted_score
from services.appraisal.staff import NewIncident
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from tests.factories import (
    actor_for,
    make_department,
    make_member,
    mark_attendance,
    month_sheet,
    pin_appraisal_clock,
    seed_appraisal,
)

D = Decimal
P = "2026-03"
ADMIN = actor_for(Role.ADMIN)


# --- achievement and weighted score (no database) ------------------------------------------------------------


@pytest.mark.parametrize(("value", "target", "expected"), [
    (D("0.5000"), D("0.9500"), D("0.5263")),  # 0.526315... half-up
    (D("0.9500"), D("0.9500"), D("1.0000")),  # at target
    (D("0.9900"), D("0.9500"), D("1.0000")),  # above target: capped, not 1.0421
    (D("0.0000"), D("0.9500"), D("0.0000")),
    (D("0.12345"), D("1"), D("0.1235")),  # half-up (half-even would give 0.1234)
    (D("1500.00"), D("2000"), D("0.7500")),  # money
    (3, D("4"), D("0.7500")),  # a count
    (D("0.0000"), D("0"), D("1.0000")),  # a zero target is always met
    (D("0.3000"), D("0"), D("1.0000")),
    (None, D("0.9500"), None),  # no data
])
def test_achievement_of_a_figure_where_higher_is_better(value, target, expected):
    assert achievement(value, target, HIGHER) == expected


@pytest.mark.parametrize(("value", "target", "expected"), [
    (0, D("0"), D("1.0000")),  # no effective complaint against a target of 0
    (1, D("0"), D("0.0000")),  # one against a target of 0: nothing
    (2, D("3"), D("1.0000")),  # under the ceiling
    (3, D("3"), D("1.0000")),
    (4, D("2"), D("0.5000")),  # target/value
    (3, D("2"), D("0.6667")),
    (D("0.0800"), D("0.0500"), D("0.6250")),  # a rate that should stay low
    (None, D("0"), None),
])
def test_achievement_of_a_figure_where_lower_is_better(value, target, expected):
    assert achievement(value, target, LOWER) == expected


def _line(weight: int, ach: str | None, key: str = "k") -> KpiLine:
    return KpiLine(key, key, "rate", "本人", None if ach is None else D(ach), D("1"), weight, HIGHER,
                   None if ach is None else D(ach))


def test_the_weighted_score_leaves_out_kpis_without_data_and_counts_the_other_weights_in_proportion():
    """1 x 50 + 0.5 x 30 + (no data) x 20 -> (50 + 15) / 80 x 100 = 81.25; with the 20 scored at 0 it would be
    65.00. All without data -> None; (0.1235 + 0.1234) / 2 x 100 = 12.345 -> 12.35 (half-up)."""
    assert weighted_score([_line(50, "1.0000"), _line(30, "0.5000"), _line(20, None)]) == D("81.25")
    assert weighted_score([_line(50, "1.0000"), _line(30, "0.5000"), _line(20, "0.0000")]) == D("65.00")
    assert weighted_score([_line(50, None), _line(50, None)]) is None
    assert weighted_score([]) is None
    assert weighted_score([_line(1, "0.1235"), _line(1, "0.1234")]) == D("12.35")
    assert weighted_score([_line(1, "1.0000"), _line(2, "0.0000")]) == D("33.33")


def test_a_kpi_line_scores_its_weight_times_its_achievement_and_survives_its_snapshot():
    line = KpiLine("effective_complaints", "有效投诉", "count", "本人", 2, D("0"), 20, LOWER, D("0.0000"))
    assert line.score == D("0.00") and (line.shown_value, line.shown_target) == ("2 件", "0 件")
    rate = KpiLine("repair_timeliness", "报修及时率", "rate", "本人", D("0.5000"), D("0.9500"), 40, HIGHER,
                   D("0.5263"))
    assert rate.score == D("21.05")  # 21.052
    assert (rate.shown_value, rate.shown_target) == ("50.00%", "95.00%")
    for original in (line, rate, _line(30, None)):
        assert KpiLine.from_dict(original.as_dict()) == original
    assert _line(30, None).score is None


def test_values_are_shown_as_people_read_them():
    assert [show_value("rate", D("0.9620")), show_value("money", D("12000")), show_value("count", 3, "次"),
            show_value("count", D("2.5"), "天"), show_value("rate", None)] == ["96.20%", "¥12,000.00", "3 次",
                                                                              "2.5 天", "—"]


# --- evaluate (no database) ---------------------------------------------------------------------------------

LATE = Metric("att:late_count", "迟到次数", "count", "次", "考勤")
RATE = Metric("kpi:collection_rate", "收缴率", "rate", "%", "指标")


def _rule(**kw) -> ActiveRule:
    base = dict(name="规则", post_id=None, metric="att:late_count", op=">=", threshold=D("1"), use_target=False, op2="",
                threshold2=None, effect="扣款", basis="元", amount=D("10"), per_occurrence=False)
    return ActiveRule(**{**base, **kw})


def test_a_percentage_of_salary_per_occurrence_is_rounded_once_for_the_rule():
    """3,332.50 x 1% x 3 = 99.975 -> 99.98 (rounding each time first would give 33.33 x 3 = 99.99)."""
    got = evaluate(_rule(basis="基本工资%", amount=D("1"), per_occurrence=True), LATE, 3, target=None,
                   base_salary=D("3332.50"))
    assert (got.money, got.points, got.lateness) == (D("-99.98"), D("0.00"), True)
    assert got.explanation == ("迟到次数 3 次，满足“迟到次数 ≥ 1 次”：每次扣基本工资的 1%，3,332.50 × 1% × 3 = 99.98 元")


def test_a_rule_without_a_value_or_without_a_target_does_not_apply():
    """No value (a rate over nothing) or a target rule for a post without that KPI: None, not "not met"."""
    assert evaluate(_rule(metric="kpi:collection_rate", threshold=D("0.95")), RATE, None, target=None,
                    base_salary=D("4000")) is None
    assert evaluate(_rule(metric="kpi:collection_rate", threshold=None, use_target=True), RATE, D("0.5"),
                    target=None, base_salary=D("4000")) is None


@pytest.mark.parametrize(("op", "value", "fires"), [
    (">", 2, False), (">", 3, True), (">=", 2, True), ("<", 2, False), ("<", 1, True), ("<=", 2, True),
    ("=", 2, True), ("=", 3, False),
])
def test_each_comparison_holds_exactly_at_its_edge(op, value, fires):
    got = evaluate(_rule(op=op, threshold=D("2")), LATE, value, target=None, base_salary=D("4000"))
    assert got.triggered is fires
    assert got.money == (D("-10.00") if fires else D("0.00"))


def test_a_once_only_salary_rule_and_a_points_rule_explain_their_formula():
    pct = evaluate(_rule(basis="基本工资%", amount=D("10"), effect="扣款"), LATE, 4, target=None,
                   base_salary=D("4000"))
    assert pct.explanation == "迟到次数 4 次，满足“迟到次数 ≥ 1 次”：扣基本工资的 10%，4,000.00 × 10% = 400.00 元"
    bonus = evaluate(_rule(metric="kpi:collection_rate", threshold=None, use_target=True, effect="加分",
                           basis="分", amount=D("1.5")), RATE, D("0.9800"), target=D("0.9500"), base_salary=D("4000"))
    assert (bonus.money, bonus.points) == (D("0.00"), D("1.50"))
    assert bonus.explanation == "收缴率 98.00%，满足“收缴率 ≥ 目标（95.00%）”：加 1.5 分"


# --- the month's view and `propdesk appraise` ---------------------------------------------------------------


@pytest.fixture
def ranked(db, monkeypatch):
    """客服前台 of the 客服部 (weighted 100.00 each: only 有效投诉 0 件 has data), 收缴突出 +2 points each time:
    甲 2 -> 104.00; 乙 1 and 丙 1 -> 102.00; 丁 0 -> 100.00. 戊 (客服前台) is left out of the build: 未生成.
    己 (维修工, no tickets): no KPI with data, no score. 甲 is late twice: 4,000.00 x 1% x 2 = 80.00."""
    clock = pin_appraisal_clock(monkeypatch, datetime(2026, 3, 31, 20, tzinfo=SHANGHAI))
    types = seed_appraisal()
    kf = make_department("KF", "客服部")
    ids = {name: make_member(f"K00{n}", name, "维修工" if name == "己" else "客服前台", department_id=kf)
           for n, name in enumerate("甲乙丙丁戊己", start=1)}
    month_sheet(P)
    for name, times in (("甲", 2), ("乙", 1), ("丙", 1)):
        for k in range(times):
            staff.record_incident(actor=ADMIN, incident=NewIncident(ids[name], types["收缴突出"], date(2026, 3, 2 + k)))
    mark_attendance(ids["甲"], {date(2026, 3, 2): {"late_minutes": 5}, date(2026, 3, 3): {"late_minutes": 9}})
    appraisal.build_drafts(actor=ADMIN, period=P, now=datetime(2026, 4, 2, 9, tzinfo=SHANGHAI),
                           staff_ids=[i for name, i in ids.items() if name != "戊"])
    clock.now = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)
    return ids


def test_the_month_view_ranks_equal_scores_equally_and_lists_cards_not_yet_built(ranked):
    """Ranks by 总分: 104 -> 1, 102 and 102 -> 2, 100 -> 4 (competition ranking); 己 has no score and 戊 no card
    (未生成): no rank, listed after the ranked, by 工号."""
    view = appraisal.month_view(actor=ADMIN, period=P)
    assert view[["name", "status", "score", "rank"]].values.tolist() == [
        ["甲", "草稿", D("104.00"), 1], ["乙", "草稿", D("102.00"), 2], ["丙", "草稿", D("102.00"), 2],
        ["丁", "草稿", D("100.00"), 4], ["戊", NOT_BUILT, None, None], ["己", "草稿", None, None]]
    first = view.iloc[0]
    assert (first["late_count"], first["lateness_deduction"], first["net"]) == (2, D("80.00"), D("-80.00"))
    assert view.iloc[4]["card_id"] is None
    assert "没有可计分的考核指标" in view.iloc[5]["missing"]
    dist = appraisal.score_distribution(actor=ADMIN, period=P)
    assert dist[["name", "score"]].values.tolist() == [["甲", 104.0], ["乙", 102.0], ["丙", 102.0], ["丁", 100.0]]


def test_appraise_builds_the_month_and_prints_money_as_two_decimal_strings(ranked):
    """`propdesk appraise` builds what is missing (戊) and refreshes the drafts, then lists every card by 工号:
    money as "80.00", scores as "104.00", and None for 己's scores (no KPI had data)."""
    out = appraisal.appraise(actor=ADMIN, period=P)
    assert [row.name for row in out] == list("甲乙丙丁戊己")
    assert asdict(out[0]) == {"staff_no": "K001", "name": "甲", "department": "客服部", "post": "客服前台",
                              "status": "草稿", "late_count": 2, "lateness_deduction": "80.00",
                              "attendance_deduction": "80.00", "incident_deduction": "0.00", "kpi_deduction": "0.00",
                              "reward": "0.00", "weighted_score": "100.00", "points": "4.00", "score": "104.00"}
    assert (out[4].status, out[4].score) == ("草稿", "100.00")
    assert (out[5].weighted_score, out[5].points, out[5].score) == (None, "0.00", None)
    trend = appraisal.kpi_trend(actor=ADMIN, staff_id=ranked["甲"], months=[P, "2026-02"])
    assert trend.to_dict("records") == [{"month": P, "kpi": "有效投诉", "value": 0.0, "target": 0.0, "unit": "件"}]
