"""The seed reward/penalty rules (services/appraisal/rules.DEFAULT_RULES, seeded as `propdesk init` does) on
hand-built months: for each rule one person for whom it fires and one for whom it just does not.

The month P = 2026-03: 22 working days (Mon–Fri; the holiday table is empty, and March 2026 has no statutory
holiday anyway). Everyone has the month's sheet (a row per working day, no exceptions) unless said, and a
base salary of 4,000.00 unless said. The facts are entered through the real services with their clock pinned
at 2026-03-31 20:00; the cards are built on 2026-04-02, so every figure is taken at March's last instant.
The people are 客服前台 unless said: their seed KPIs (回访率, 满意率, 投诉处理及时率 without tickets: no data;
有效投诉 0 件 against a target of 0) give a weighted score of 100.00 without tickets.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

import pytest

from db.models import Ticket
from services.appraisal import rules as appraisal_rules
from services.appraisal import scorecards as appraisal
from services.appraisal import staff
from services.appraisal.rules import DEFAULT_RULES
from services.appraisal.staff import NewIncident
from services.fees import arrears, cashier
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.tickets import workflow as tickets
from tests.factories import (
    FeeClock,
    actor_for,
    bulk_units,
    card_of,
    fee_login,
    get_row,
    make_bill,
    make_department,
    make_estate,
    make_member,
    make_ticket,
    mark_attendance,
    month_sheet,
    pin_appraisal_clock,
    rule_result,
    seed_appraisal,
    seed_fee_items,
    seed_ticket_policies,
)

D = Decimal
P = "2026-03"
ADMIN = actor_for(Role.ADMIN)
BUILT = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)


def at(m: int, d: int, hh: int = 10, y: int = 2026) -> datetime:
    return datetime(y, m, d, hh, tzinfo=SHANGHAI)


@dataclass(frozen=True)
class Centre:
    clock: FeeClock
    types: dict[str, int]  # incident type name -> id
    department_id: int


@pytest.fixture
def centre(db, monkeypatch) -> Centre:
    clock = pin_appraisal_clock(monkeypatch, at(3, 31, 20))
    return Centre(clock, seed_appraisal(), make_department("KF", "客服部"))


def _person(c: Centre, staff_no: str, name: str, post: str = "客服前台", base: str = "4000.00") -> int:
    return make_member(staff_no, name, post, department_id=c.department_id, base_salary=base)


def _incidents(c: Centre, staff_id: int, kind: str, n: int, *, first_day: int = 2) -> list[int]:
    return [staff.record_incident(actor=ADMIN, incident=NewIncident(staff_id, c.types[kind], date(2026, 3, first_day + k)))
            for k in range(n)]


def _build() -> appraisal.BuildResult:
    return appraisal.build_drafts(actor=ADMIN, period=P, now=BUILT)


def _late(staff_id: int, n: int, minutes: int = 5) -> None:
    """`n` late arrivals on the first `n` working days (2, 3, 4, 5, 6 March)."""
    if n:
        mark_attendance(staff_id, {date(2026, 3, 2 + k): {"late_minutes": minutes} for k in range(n)})


# --- the seeds as written -----------------------------------------------------------------------------------


def test_the_seed_rules_read_as_the_service_centre_wrote_them(centre):
    """Thresholds are stored in the units people read (counts as whole numbers, money in yuan, % of salary):
    the conditions and consequences read back exactly as the seed documents say them."""
    rules = {r.name: (r.post, r.condition, r.consequence) for r in appraisal_rules.list_rules(actor=ADMIN)}
    assert rules == {
        "迟到扣款（每月不足 3 次）": ("", "迟到次数 ≥ 1 次 且 ≤ 2 次", "每次扣基本工资的 1%"),
        "迟到扣款（每月 3 次及以上）": ("", "迟到次数 ≥ 3 次", "每次扣基本工资的 5%"),
        "旷工扣款": ("", "旷工天数 ≥ 1 天", "每次扣基本工资的 5%"),
        "仪容不整处罚": ("", "仪容不整次数 > 2 次", "扣 50.00 元"),
        "日常记录不全处罚": ("", "日常记录不全次数 > 2 次", "扣 50.00 元"),
        "报修未记录处罚": ("", "报修未记录次数 > 2 次", "扣 50.00 元"),
        "工作未及时汇报处罚": ("", "工作未及时汇报次数 ≥ 2 次", "扣 50.00 元"),
        "消极怠工处罚": ("", "消极怠工致不良后果次数 ≥ 1 次", "每次扣 200.00 元"),
        "有效投诉罚款": ("", "有效投诉 ≥ 1 件", "每次扣 10.00 元"),
        "突发事件表现优异奖励": ("", "重大突发事件处理表现优异次数 ≥ 1 次", "每次奖励 300.00 元"),
        "收缴率达标奖励": ("收费员", "收缴率 ≥ 目标", "奖励 500.00 元"),
        "收缴率未达标处罚": ("收费员", "收缴率 < 目标", "扣 5 分"),
        "以往年度欠费收回奖励": ("收费员", "以往年度收缴金额 ≥ ¥10,000.00", "奖励 300.00 元"),
        "收缴突出奖励": ("", "收缴突出次数 ≥ 1 次", "每次加 2 分"),
    }
    assert len(rules) == len(DEFAULT_RULES)


# --- lateness (KPI.md "Attendance and appraisal") --------------------------------------------------------


def test_lateness_costs_one_percent_a_time_below_three_lates_and_five_percent_each_from_three(centre):
    """Base 4,000.00 (KPI.md's example): 0 lates -> 0.00; 1 -> 4,000.00 x 1% x 1 = 40.00; 2 -> x 2 = 80.00;
    3 -> the 5% rule instead: 4,000.00 x 5% x 3 = 600.00; 4 -> 4,000.00 x 5% x 4 = 800.00.
    A base of 3,332.50 late once: 33.325 rounds half-up to 33.33 (half-even would give 33.32)."""
    lates = {0: "S000", 1: "S001", 2: "S002", 3: "S003", 4: "S004"}
    ids = {n: _person(centre, no, f"员工{n}") for n, no in lates.items()}
    odd = _person(centre, "S005", "钱零头", base="3332.50")
    month_sheet(P)
    for n, staff_id in ids.items():
        _late(staff_id, n)
    _late(odd, 1)
    _build()

    expected = {0: D("0.00"), 1: D("40.00"), 2: D("80.00"), 3: D("600.00"), 4: D("800.00")}
    for n, staff_id in ids.items():
        card = card_of(staff_id, P)
        assert (card.late_count, card.lateness_deduction, card.attendance_deduction) == (n, expected[n],
                                                                                          expected[n]), n
        assert card.net == -expected[n]
    three = card_of(ids[3], P)
    assert rule_result(three, "迟到扣款（每月 3 次及以上）").explanation == (
        "迟到次数 3 次，满足“迟到次数 ≥ 3 次”：每次扣基本工资的 5%，4,000.00 × 5% × 3 = 600.00 元")
    assert rule_result(three, "迟到扣款（每月不足 3 次）").explanation == (
        "迟到次数 3 次，不满足“迟到次数 ≥ 1 次 且 ≤ 2 次”，不适用")
    two = card_of(ids[2], P)
    assert rule_result(two, "迟到扣款（每月不足 3 次）").explanation == (
        "迟到次数 2 次，满足“迟到次数 ≥ 1 次 且 ≤ 2 次”：每次扣基本工资的 1%，4,000.00 × 1% × 2 = 80.00 元")
    assert not rule_result(two, "迟到扣款（每月 3 次及以上）").triggered
    zero = card_of(ids[0], P)
    assert [r.triggered for r in zero.rules if r.lateness] == [False, False]
    assert rule_result(zero, "迟到扣款（每月不足 3 次）").explanation == (
        "迟到次数 0 次，不满足“迟到次数 ≥ 1 次 且 ≤ 2 次”，不适用")
    assert card_of(odd, P).lateness_deduction == D("33.33")
    # the money goes to the attendance column only; the score is untouched by money
    assert {card_of(i, P).score for i in ids.values()} == {D("100.00")}
    assert {(card_of(i, P).incident_deduction, card_of(i, P).kpi_deduction) for i in ids.values()} == {
        (D("0.00"), D("0.00"))}


def test_absence_without_leave_costs_five_percent_a_day_and_sick_leave_nothing(centre):
    """旷工 (缺勤 with no 假别): 2 days -> 4,000.00 x 5% x 2 = 400.00. 缺勤 with 病假 and with 事假: leave days,
    not 旷工 -> nothing."""
    truant = _person(centre, "S001", "孙旷")
    sick = _person(centre, "S002", "周病")
    month_sheet(P)
    mark_attendance(truant, {date(2026, 3, 9): {"absent": True}, date(2026, 3, 10): {"absent": True}})
    mark_attendance(sick, {date(2026, 3, 9): {"absent": True, "leave_type": "病假"},
                           date(2026, 3, 10): {"absent": True, "leave_type": "事假"}})
    _build()

    t = card_of(truant, P)
    assert (t.attendance["absent_days"], t.attendance["leave_days"]) == (2, 0)
    assert (t.attendance_deduction, t.lateness_deduction) == (D("400.00"), D("0.00"))
    assert rule_result(t, "旷工扣款").explanation == (
        "旷工天数 2 天，满足“旷工天数 ≥ 1 天”：每次扣基本工资的 5%，4,000.00 × 5% × 2 = 400.00 元")
    s = card_of(sick, P)
    assert (s.attendance["absent_days"], s.attendance["leave_days"], s.attendance["recorded_days"]) == (0, 2, 22)
    assert s.attendance_deduction == D("0.00")
    assert rule_result(s, "旷工扣款").explanation == "旷工天数 0 天，不满足“旷工天数 ≥ 1 天”，不适用"


# --- incidents --------------------------------------------------------------------------------------------


def test_incident_penalties_fire_only_past_their_thresholds(centre):
    """仪容不整, 日常记录不全, 报修未记录: "more than 2 a month" -> 2 nothing, 3 -> 50.00 once (not per time).
    工作未及时汇报: "2 a month" -> 1 nothing, 2 -> 50.00.
    Below: 2, 2, 2 and 1 (plus a third 仪容不整 that was withdrawn, which does not count) -> 0.00.
    Over: 3, 3, 3 and 2 -> 4 x 50.00 = 200.00, all in the 奖惩 column."""
    below = _person(centre, "S001", "吴守规")
    over = _person(centre, "S002", "郑随意")
    month_sheet(P)
    for kind in ("仪容不整", "日常记录不全", "报修未记录"):
        _incidents(centre, below, kind, 2)
        _incidents(centre, over, kind, 3)
    _incidents(centre, below, "工作未及时汇报", 1)
    _incidents(centre, over, "工作未及时汇报", 2)
    [mistake] = _incidents(centre, below, "仪容不整", 1, first_day=20)
    staff.withdraw_incident(actor=ADMIN, incident_id=mistake, version=1, reason="记错了人")
    _build()

    b = card_of(below, P)
    o = card_of(over, P)
    for name in ("仪容不整处罚", "日常记录不全处罚", "报修未记录处罚", "工作未及时汇报处罚"):
        assert not rule_result(b, name).triggered, name
        assert rule_result(o, name).triggered and rule_result(o, name).money == D("-50.00"), name
    assert rule_result(b, "仪容不整处罚").explanation == "仪容不整次数 2 次，不满足“仪容不整次数 > 2 次”，不适用"
    assert rule_result(o, "仪容不整处罚").explanation == (
        "仪容不整次数 3 次，满足“仪容不整次数 > 2 次”：扣 50.00 元，50.00 = 50.00 元")
    assert rule_result(b, "工作未及时汇报处罚").explanation == (
        "工作未及时汇报次数 1 次，不满足“工作未及时汇报次数 ≥ 2 次”，不适用")
    assert (b.incident_deduction, o.incident_deduction) == (D("0.00"), D("200.00"))
    assert (o.attendance_deduction, o.kpi_deduction, o.reward, o.net) == (D("0.00"), D("0.00"), D("0.00"),
                                                                          D("-200.00"))
    # the card's snapshot lists the incidents it counted: the withdrawn one is not among them
    assert len(b.incidents) == 7 and len(o.incidents) == 11
    assert {i["type"] for i in b.incidents if i["day"] == "2026-03-20"} == set()


def test_per_occurrence_penalties_and_rewards_multiply_by_the_count(centre):
    """消极怠工致不良后果 (>= 1, 200.00 each): 1 -> 200.00; 2 -> 200.00 x 2 = 400.00.
    重大突发事件处理表现优异 (>= 1, 300.00 each): 0 -> nothing; 1 -> 300.00 reward.
    收缴突出 (>= 1, +2 points each): 2 -> +4.00 points, so the score is 100.00 + 4.00 = 104.00.
    业主表扬 has no rule: recorded, listed on the card, worth nothing.
    Net of the second person: 300.00 - 400.00 = -100.00."""
    once = _person(centre, "S001", "冯一次")
    twice = _person(centre, "S002", "陈两次")
    month_sheet(P)
    _incidents(centre, once, "消极怠工致不良后果", 1)
    _incidents(centre, twice, "消极怠工致不良后果", 2)
    _incidents(centre, twice, "重大突发事件处理表现优异", 1, first_day=10)
    _incidents(centre, twice, "收缴突出", 2, first_day=16)
    _incidents(centre, once, "业主表扬", 1, first_day=16)
    _build()

    a = card_of(once, P)
    b = card_of(twice, P)
    assert rule_result(a, "消极怠工处罚").explanation == (
        "消极怠工致不良后果次数 1 次，满足“消极怠工致不良后果次数 ≥ 1 次”：每次扣 200.00 元，200.00 × 1 = 200.00 元")
    assert rule_result(b, "消极怠工处罚").explanation == (
        "消极怠工致不良后果次数 2 次，满足“消极怠工致不良后果次数 ≥ 1 次”：每次扣 200.00 元，200.00 × 2 = 400.00 元")
    assert (a.incident_deduction, b.incident_deduction) == (D("200.00"), D("400.00"))
    assert not rule_result(a, "突发事件表现优异奖励").triggered
    assert rule_result(b, "突发事件表现优异奖励").money == D("300.00")
    assert (a.reward, b.reward) == (D("0.00"), D("300.00"))
    assert rule_result(b, "收缴突出奖励").explanation == (
        "收缴突出次数 2 次，满足“收缴突出次数 ≥ 1 次”：每次加 2 分，2 × 2 = 4.00 分")
    assert (b.weighted_score, b.points, b.score) == (D("100.00"), D("4.00"), D("104.00"))
    assert (a.points, a.score) == (D("0.00"), D("100.00"))
    assert [i["type"] for i in a.incidents] == ["消极怠工致不良后果", "业主表扬"]
    assert b.net == D("-100.00")


# --- effective complaints ---------------------------------------------------------------------------------


def test_effective_complaints_are_fined_ten_yuan_each_for_the_staff_member_named_responsible(centre):
    """Complaints taken by the desk (account 前台甲, linked to nobody appraised) and ruled by a manager:
    two ruled 有效 naming 王芳 -> 10.00 x 2 = 20.00; one ruled 有效 naming 李娜 -> 10.00; one ruled 无效 ->
    nobody. 赵敏, named in none -> nothing. The 客服主管 邓主管 is named in none: his post's 有效投诉 KPI is the
    whole centre's (3 件, achievement 0), but the fine is per staff member named responsible (KPI.md), so
    he is not fined for the others' complaints."""
    seed_ticket_policies()
    estate_id, [building] = make_estate("T1", "投诉小区")
    [unit] = bulk_units(estate_id, building, 1)
    wang = _person(centre, "S001", "王芳")
    li = _person(centre, "S002", "李娜")
    zhao = _person(centre, "S003", "赵敏")
    boss = _person(centre, "S004", "邓主管", post="客服主管")
    desk = fee_login(Role.SERVICE, "desk", "前台甲")
    ruler = actor_for(Role.MANAGER, "ruler")
    month_sheet(P)
    for day, responsible in ((3, wang), (4, wang), (5, li), (6, None)):
        ticket_id, _ = make_ticket(desk, estate_id, unit, ticket_type="投诉", received_at=at(3, day, 9),
                                   content="服务态度差")
        tickets.rule_complaint(actor=ruler, ticket_id=ticket_id, version=get_row(Ticket, ticket_id).version,
                               effective=responsible is not None, responsible_staff_id=responsible)
    _build()

    fines = {who: card_of(who, P) for who in (wang, li, zhao, boss)}
    assert rule_result(fines[wang], "有效投诉罚款").explanation == (
        "有效投诉 2 件，满足“有效投诉 ≥ 1 件”：每次扣 10.00 元，10.00 × 2 = 20.00 元")
    assert {who: c.kpi_deduction for who, c in fines.items()} == {wang: D("20.00"), li: D("10.00"),
                                                                  zhao: D("0.00"), boss: D("0.00")}
    boss_line = next(line for line in fines[boss].kpis if line.key == "effective_complaints")
    assert (boss_line.scope, boss_line.value, boss_line.achievement) == ("全中心", 3, D("0.0000"))
    assert not rule_result(fines[boss], "有效投诉罚款").triggered


# --- a collector's rules (收费员 only) ---------------------------------------------------------------------


def test_a_collector_at_target_is_rewarded_and_below_it_loses_five_points(centre):
    """Bills written by hand, payments through the cashier with the clock at the moment of payment.

    胡收 collects for U1 and U2, 林收 for U3 (Unit.collector_staff_id); base 4,000.00 both.
      U1 2025-11 10,000.00  paid 03-10 10,000.00 (picked)    -> 胡收's 以往年度收缴金额 10,000.00
      U1 2026-03  1,000.00  paid 03-05  1,000.00 (picked)
      U2 2026-03  1,000.00  paid 03-06    900.00
      U3 2025-12  9,999.99  paid 03-11  9,999.99 (picked)    -> 林收's 以往年度收缴金额 9,999.99
      U3 2026-03  1,000.00  paid 03-12    940.00 (picked)
    胡收: 收缴率 1,900.00 / 2,000.00 = 95.00% >= target 95% -> 奖励 500.00; 10,000.00 >= 10,000 -> 奖励 300.00.
      Weighted: 收缴率 1 x 50 + 以往年度 (10,000 >= 2,000) 1 x 20 + 清缴率 (10,000 / 10,000 = 100% >= 10%)
      1 x 15 + 户收费率 (2 households, U2 owing: 1/2 = 50%; 0.5 / 0.9 = 0.5556) x 15 = 93.334 -> 93.33.
    林收: 收缴率 940 / 1,000 = 94.00% < 95% -> 扣 5 分; 9,999.99 < 10,000 -> nothing.
      Weighted: (0.94 / 0.95 = 0.98947 -> 0.9895) x 50 = 49.475 + 20 + 15 + 户收费率 0% x 15 = 84.475
      -> 84.48 (half-up); score 84.48 - 5 = 79.48.
    A 客服前台 is not a 收费员: the three rules do not apply to her at all."""
    items = seed_fee_items()
    wy = items["WY-ZZ"]
    estate_id, [building] = make_estate("F1", "收费小区")
    u1, u2, u3 = bulk_units(estate_id, building, 3)
    hu = _person(centre, "S001", "胡收", post="收费员")
    lin = _person(centre, "S002", "林收", post="收费员")
    desk = _person(centre, "S003", "前台丙")
    arrears.assign_collector(actor=ADMIN, unit_ids=[u1, u2], staff_id=hu)
    arrears.assign_collector(actor=ADMIN, unit_ids=[u3], staff_id=lin)
    bills = {"u1_old": make_bill(u1, wy, "2025-11", "10000.00"), "u1": make_bill(u1, wy, "2026-03", "1000.00"),
             "u2": make_bill(u2, wy, "2026-03", "1000.00"), "u3_old": make_bill(u3, wy, "2025-12", "9999.99"),
             "u3": make_bill(u3, wy, "2026-03", "1000.00")}
    cash = fee_login(Role.CASHIER, "cash", "收银员")
    for when, unit, amount, picked in ((at(3, 5), u1, "1000.00", "u1"), (at(3, 6), u2, "900.00", None),
                                       (at(3, 10), u1, "10000.00", "u1_old"), (at(3, 11), u3, "9999.99", "u3_old"),
                                       (at(3, 12), u3, "940.00", "u3")):
        centre.clock.now = when
        cashier.take_payment(actor=cash, unit_id=unit, amount=amount, method="现金",
                             bill_ids=[bills[picked]] if picked else None)
    centre.clock.now = at(3, 31, 20)
    month_sheet(P)
    _build()

    h = card_of(hu, P)
    assert {line.key: line.value for line in h.kpis} == {
        "collection_rate": D("0.9500"), "household_rate": D("0.5000"), "arrears_recovery_rate": D("1.0000"),
        "prior_years_collected": D("10000.00")}
    assert rule_result(h, "收缴率达标奖励").explanation == (
        "收缴率 95.00%，满足“收缴率 ≥ 目标（95.00%）”：奖励 500.00 元，500.00 = 500.00 元")
    assert rule_result(h, "以往年度欠费收回奖励").explanation == (
        "以往年度收缴金额 ¥10,000.00，满足“以往年度收缴金额 ≥ ¥10,000.00”：奖励 300.00 元，300.00 = 300.00 元")
    assert not rule_result(h, "收缴率未达标处罚").triggered
    assert (h.reward, h.points, h.weighted_score, h.score) == (D("800.00"), D("0.00"), D("93.33"), D("93.33"))

    n = card_of(lin, P)
    assert {line.key: line.value for line in n.kpis} == {
        "collection_rate": D("0.9400"), "household_rate": D("0.0000"), "arrears_recovery_rate": D("1.0000"),
        "prior_years_collected": D("9999.99")}
    assert rule_result(n, "收缴率未达标处罚").explanation == (
        "收缴率 94.00%，满足“收缴率 < 目标（95.00%）”：扣 5 分")
    assert not rule_result(n, "收缴率达标奖励").triggered
    assert rule_result(n, "以往年度欠费收回奖励").explanation == (
        "以往年度收缴金额 ¥9,999.99，不满足“以往年度收缴金额 ≥ ¥10,000.00”，不适用")
    assert (n.reward, n.kpi_deduction, n.points, n.weighted_score, n.score) == (
        D("0.00"), D("0.00"), D("-5.00"), D("84.48"), D("79.48"))

    other = card_of(desk, P)
    assert {rule_result(other, r) for r in ("收缴率达标奖励", "收缴率未达标处罚", "以往年度欠费收回奖励")} == {None}
