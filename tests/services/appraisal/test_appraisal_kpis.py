"""Per-person KPI values on scorecards (services/appraisal/scorecards + services/kpi scopes) against hand-built months.

The month P = 2026-03; cards are built on 2026-04-02, so figures are taken at March's last instant. The seed
KPI catalog per post applies (tests/factories.seed_appraisal). Tickets go through the real ticket services
(take, dispatch, accept, note, complete, revisit, rule) with the clock pinned at 2026-03-31 20:00 and each
step's own time given with `at=`; rulings are stamped 03-31 20:00. Deadlines: repairs 24 h (seed SLA).

Accounts: 李工 (维修工) eng_a, 刘工 (维修工) eng_b, 王芳 (客服前台) svc_c, 李娜 (客服前台) svc_d. 何主管 (工程主管) and
邓主管 (客服主管) are appraised on the whole centre (全中心); 赵工 (维修工) has no account.

    T1 报修 taken by 王芳 03-02 10:00, dispatched to 李工, accepted, completed 03-03 09:00 (deadline 03-03 10:00:
       in time), revisited by 王芳 03-03 15:00 满意
    T2 报修 taken by 王芳 03-05 10:00, dispatched to 李工, completed 03-07 10:00 (deadline 03-06 10:00: late),
       revisited 03-08 10:00 不满意
    T3 报修 taken by 李娜 03-20 10:00, dispatched to 李工, still open
    T4 报修 taken by 李娜 03-10 10:00, dispatched to 刘工, completed 03-11 12:00 (deadline 03-11 10:00: late),
       not revisited
    K1 投诉 taken by 王芳 03-03 08:00, first reply (note) 03-03 20:00 (12 h), completed 03-04 10:00, revisited
       03-05 10:00 基本满意
    K2 投诉 taken by 王芳 03-12 08:00, first reply 03-14 09:00 (49 h), ruled 有效 naming 李工
    K3 投诉 taken by 李娜 03-15 09:00, never answered, ruled 有效 naming 王芳
    K4 投诉 taken by 王芳 03-16 09:00, first reply 03-16 10:00 (1 h), completed 03-16 11:00, not revisited,
       ruled 无效
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

import pytest

from db.models import Ticket
from services import kpi
from services.appraisal import scorecards as appraisal
from services.fees import arrears, cashier
from services.platform.auth import Actor, Role
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
RULER = actor_for(Role.MANAGER, "ruler")
BUILT = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)


def at(m: int, d: int, hh: int = 10, mm: int = 0) -> datetime:
    return datetime(2026, m, d, hh, mm, tzinfo=SHANGHAI)


def _move(actor: Actor, ticket_id: int, action: str, when: datetime, **kwargs) -> None:
    tickets.move(actor=actor, ticket_id=ticket_id, version=get_row(Ticket, ticket_id).version, action=action,
                 at=when, **kwargs)


def _revisit(actor: Actor, ticket_id: int, result: str, when: datetime) -> None:
    tickets.record_revisit(actor=actor, ticket_id=ticket_id, version=get_row(Ticket, ticket_id).version,
                           method="电话", result=result, comment="仍有渗水" if result == "不满意" else "", at=when)


def _rule(ticket_id: int, responsible: int | None) -> None:
    tickets.rule_complaint(actor=RULER, ticket_id=ticket_id, version=get_row(Ticket, ticket_id).version,
                           effective=responsible is not None, responsible_staff_id=responsible)


def _lines(card) -> dict[str, tuple]:
    """KPI key -> (value, achievement)."""
    return {line.key: (line.value, line.achievement) for line in card.kpis}


@dataclass(frozen=True)
class Month:
    li: int  # 维修工 李工
    liu: int  # 维修工 刘工
    zhao: int  # 维修工 赵工, no account
    he: int  # 工程主管 何主管
    wang: int  # 客服前台 王芳
    lina: int  # 客服前台 李娜
    deng: int  # 客服主管 邓主管


@pytest.fixture
def tickets_month(db, monkeypatch) -> Month:
    pin_appraisal_clock(monkeypatch, at(3, 31, 20))
    seed_appraisal()
    seed_ticket_policies()
    kf, gc = make_department("KF", "客服部"), make_department("GC", "工程部")
    m = Month(li=make_member("G001", "李工", "维修工", department_id=gc),
              liu=make_member("G002", "刘工", "维修工", department_id=gc),
              zhao=make_member("G003", "赵工", "维修工", department_id=gc),
              he=make_member("G004", "何主管", "工程主管", department_id=gc),
              wang=make_member("K001", "王芳", "客服前台", department_id=kf),
              lina=make_member("K002", "李娜", "客服前台", department_id=kf),
              deng=make_member("K003", "邓主管", "客服主管", department_id=kf))
    eng_a = fee_login(Role.ENGINEER, "eng_a", "李工", staff_id=m.li)
    eng_b = fee_login(Role.ENGINEER, "eng_b", "刘工", staff_id=m.liu)
    svc_c = fee_login(Role.SERVICE, "svc_c", "王芳", staff_id=m.wang)
    svc_d = fee_login(Role.SERVICE, "svc_d", "李娜", staff_id=m.lina)
    estate_id, [building] = make_estate("T1", "工单小区")
    [unit] = bulk_units(estate_id, building, 1)

    def take(actor, kind, when):
        return make_ticket(actor, estate_id, unit, ticket_type=kind, received_at=when)[0]

    t1 = take(svc_c, "报修", at(3, 2, 10))
    _move(svc_c, t1, "dispatch", at(3, 2, 10, 30), assignee_id=eng_a.user_id, department="工程")
    _move(eng_a, t1, "accept", at(3, 2, 11))
    _move(eng_a, t1, "complete", at(3, 3, 9))
    _revisit(svc_c, t1, "满意", at(3, 3, 15))
    t2 = take(svc_c, "报修", at(3, 5, 10))
    _move(svc_c, t2, "dispatch", at(3, 5, 10, 30), assignee_id=eng_a.user_id, department="工程")
    _move(eng_a, t2, "complete", at(3, 7, 10))
    _revisit(svc_c, t2, "不满意", at(3, 8, 10))
    t3 = take(svc_d, "报修", at(3, 20, 10))
    _move(svc_d, t3, "dispatch", at(3, 20, 10, 30), assignee_id=eng_a.user_id, department="工程")
    t4 = take(svc_d, "报修", at(3, 10, 10))
    _move(svc_d, t4, "dispatch", at(3, 10, 10, 30), assignee_id=eng_b.user_id, department="工程")
    _move(eng_b, t4, "complete", at(3, 11, 12))
    k1 = take(svc_c, "投诉", at(3, 3, 8))
    _move(svc_c, k1, "note", at(3, 3, 20), note="已联系业主，约定次日处理")
    _move(svc_c, k1, "complete", at(3, 4, 10))
    _revisit(svc_c, k1, "基本满意", at(3, 5, 10))
    k2 = take(svc_c, "投诉", at(3, 12, 8))
    _move(svc_c, k2, "note", at(3, 14, 9), note="已转工程部")
    _rule(k2, m.li)
    k3 = take(svc_d, "投诉", at(3, 15, 9))
    _rule(k3, m.wang)
    k4 = take(svc_c, "投诉", at(3, 16, 9))
    _move(svc_c, k4, "note", at(3, 16, 10), note="已解释")
    _move(svc_c, k4, "complete", at(3, 16, 11))
    _rule(k4, None)
    month_sheet(P)
    appraisal.build_drafts(actor=ADMIN, period=P, now=BUILT)
    return m


def test_a_repairman_is_measured_on_the_repairs_assigned_to_him_and_the_engineering_head_on_everybodys(
        tickets_month):
    """李工 (assignee of T1, T2, T3; 刘工's T4 must not count):
      报修及时率: completed in March T1 in time, T2 late -> 1/2 = 0.5000; achievement 0.5 / 0.95 = 0.5263
      报修完成率: received in March T1, T2, T3; completed T1, T2 -> 2/3 = 0.6667; 0.6667 / 0.98 = 0.6803
      满意率（处理）: revisits in March of his tickets 满意 (T1), 不满意 (T2) -> 1/2 = 0.5000; 0.5 / 0.9 = 0.5556
      weighted 0.5263 x 40 + 0.6803 x 30 + 0.5556 x 30 = 21.052 + 20.409 + 16.668 = 58.129 -> 58.13.
      K2 was ruled 有效 naming him: 有效投诉罚款 10.00 although his post has no such KPI.
    刘工 (T4 only): 及时率 0/1 = 0 (achievement 0), 完成率 1/1 = 1, 满意率 no revisit: no data, left out;
      weighted (0 x 40 + 1 x 30) / (40 + 30) x 100 = 42.857 -> 42.86.
    何主管 (工程主管, 全中心, 50/50): 及时率 completed in March T1 in time, T2 and T4 late -> 1/3 = 0.3333,
      achievement 0.3333 / 0.95 = 0.3508; 完成率 received T1–T4, completed T1, T2, T4 -> 3/4 = 0.7500,
      0.75 / 0.98 = 0.7653; weighted 17.54 + 38.265 = 55.805 -> 55.81 (half-up).
    赵工 has no account, so no ticket is his: every KPI without data, no weighted score, no score."""
    m = tickets_month
    li = card_of(m.li, P)
    assert _lines(li) == {"repair_timeliness": (D("0.5000"), D("0.5263")),
                          "repair_completion": (D("0.6667"), D("0.6803")),
                          "handled_satisfaction": (D("0.5000"), D("0.5556"))}
    assert [line.score for line in li.kpis] == [D("21.05"), D("20.41"), D("16.67")]
    assert (li.weighted_score, li.score, li.kpi_deduction) == (D("58.13"), D("58.13"), D("10.00"))
    assert rule_result(li, "有效投诉罚款").explanation == (
        "有效投诉 1 件，满足“有效投诉 ≥ 1 件”：每次扣 10.00 元，10.00 × 1 = 10.00 元")

    liu = card_of(m.liu, P)
    assert _lines(liu) == {"repair_timeliness": (D("0.0000"), D("0.0000")),
                           "repair_completion": (D("1.0000"), D("1.0000")),
                           "handled_satisfaction": (None, None)}
    assert (liu.weighted_score, liu.score, liu.kpi_deduction) == (D("42.86"), D("42.86"), D("0.00"))

    he = card_of(m.he, P)
    assert _lines(he) == {"repair_timeliness": (D("0.3333"), D("0.3508")),
                          "repair_completion": (D("0.7500"), D("0.7653"))}
    assert {line.scope for line in he.kpis} == {"全中心"}
    centre = kpi.ticket_kpis(P, as_of=kpi.Period.parse(P).last_instant)
    assert (centre["repair_timeliness"], centre["repair_completion"]) == (D("0.3333"), D("0.7500"))
    assert he.weighted_score == D("55.81")

    zhao = card_of(m.zhao, P)
    assert _lines(zhao) == dict.fromkeys(("repair_timeliness", "repair_completion", "handled_satisfaction"),
                                         (None, None))
    assert (zhao.weighted_score, zhao.score) == (None, None)
    assert "没有可计分的考核指标（岗位“维修工”未设置指标，或各指标本月均无数据）" in zhao.missing

    # the evidence: 李工's 报修及时率 stands on T1 (counts) and T2 (late), not on 刘工's T4; his 满意率（处理）
    # on the two revisits; 何主管's (全中心) 报修及时率 on T1, T2 and T4
    rows = appraisal.evidence(actor=ADMIN, card_id=li.id, key="repair_timeliness")
    assert sorted(zip(rows["received_at"].map(lambda t: t.astimezone(SHANGHAI).day), rows["counts"],
                      strict=True)) == [(2, True), (5, False)]
    revisits = appraisal.evidence(actor=ADMIN, card_id=li.id, key="handled_satisfaction")
    assert sorted(revisits["result"]) == ["不满意", "满意"]
    centre_rows = appraisal.evidence(actor=ADMIN, card_id=he.id, key="repair_timeliness")
    assert sorted(centre_rows["counts"].tolist()) == [False, False, True]


def test_a_front_desk_clerk_is_measured_on_the_tickets_she_took_and_the_complaints_naming_her(tickets_month):
    """王芳 (first responder of T1, T2, K1, K2, K4):
      回访率: completed in March needing a revisit T1, T2, K1 (revisited), K4 (not) -> 3/4 = 0.7500
      满意率（受理）: revisits in March 满意, 不满意, 基本满意 -> 2/3 = 0.6667; 0.6667 / 0.9 = 0.7408
      投诉处理及时率: K1 in 12 h, K4 in 1 h, K2 in 49 h -> 2/3 = 0.6667 (target 100%)
      有效投诉: K3 names her (she did not take it; K2, which she took, names 李工) -> 1; target 0 -> 0
      weighted 0.75 x 30 + 0.7408 x 30 + 0.6667 x 20 + 0 x 20 = 22.5 + 22.224 + 13.334 = 58.058 -> 58.06;
      有效投诉罚款 10.00.
    李娜 (T3, T4, K3): 回访率 T4 completed, not revisited -> 0/1 = 0; 满意率 no revisit: left out; 投诉处理及时率
      K3 never answered -> 0/1 = 0; 有效投诉 0 -> achievement 1; weighted (0 + 0 + 1 x 20) / 70 x 100 = 28.571
      -> 28.57.
    邓主管 (客服主管, all 全中心): 收缴率 no bills: left out; 投诉处理率 K1, K2, K4 of K1–K4 answered -> 0.7500
      (x 20); 回访率 T1, T2, K1 of T1, T2, T4, K1, K4 -> 3/5 = 0.6000 (x 20); 满意率 2/3 = 0.6667 -> 0.7408
      (x 15); 有效投诉 K2, K3 -> 2, achievement 0 (x 15); weighted (15 + 12 + 11.112 + 0) / 70 x 100 = 54.4457
      -> 54.45. Nobody named him: no fine."""
    m = tickets_month
    wang = card_of(m.wang, P)
    assert _lines(wang) == {"revisit_rate": (D("0.7500"), D("0.7500")),
                            "satisfaction": (D("0.6667"), D("0.7408")),
                            "complaint_timely_rate": (D("0.6667"), D("0.6667")),
                            "effective_complaints": (1, D("0.0000"))}
    assert (wang.weighted_score, wang.kpi_deduction) == (D("58.06"), D("10.00"))

    lina = card_of(m.lina, P)
    assert _lines(lina) == {"revisit_rate": (D("0.0000"), D("0.0000")), "satisfaction": (None, None),
                            "complaint_timely_rate": (D("0.0000"), D("0.0000")),
                            "effective_complaints": (0, D("1.0000"))}
    assert (lina.weighted_score, lina.kpi_deduction) == (D("28.57"), D("0.00"))

    deng = card_of(m.deng, P)
    assert _lines(deng) == {"collection_rate": (None, None),
                            "complaint_handled_rate": (D("0.7500"), D("0.7500")),
                            "revisit_rate": (D("0.6000"), D("0.6000")),
                            "satisfaction": (D("0.6667"), D("0.7408")),
                            "effective_complaints": (2, D("0.0000"))}
    assert (deng.weighted_score, deng.kpi_deduction) == (D("54.45"), D("0.00"))
    assert not rule_result(deng, "有效投诉罚款").triggered


# --- collectors ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fees:
    clock: FeeClock
    xu: int  # 收费员 for U1
    ye: int  # 收费员 for U2
    qian: int  # 内勤 (collection KPIs 本人, but no units)
    deng: int  # 客服主管 (收缴率 全中心)
    units: tuple[int, int, int]


@pytest.fixture
def fees_month(db, monkeypatch) -> Fees:
    """U1 (徐收), U2 (叶收), U3 (nobody's); one 物业服务费 bill of 1,000.00 each for 2026-03.
    Payments: U1 1,000.00 on 03-05, U2 500.00 on 03-06, U3 1,000.00 on 03-07."""
    clock = pin_appraisal_clock(monkeypatch, at(3, 1, 9))
    seed_appraisal()
    wy = seed_fee_items()["WY-ZZ"]
    kf = make_department("KF", "客服部")
    f_ids = dict(xu=make_member("C001", "徐收", "收费员", department_id=kf),
                 ye=make_member("C002", "叶收", "收费员", department_id=kf),
                 qian=make_member("C003", "钱内勤", "内勤", department_id=kf),
                 deng=make_member("C004", "邓主管", "客服主管", department_id=kf))
    estate_id, [building] = make_estate("F1", "收费小区")
    units = tuple(bulk_units(estate_id, building, 3))
    arrears.assign_collector(actor=ADMIN, unit_ids=[units[0]], staff_id=f_ids["xu"])
    arrears.assign_collector(actor=ADMIN, unit_ids=[units[1]], staff_id=f_ids["ye"])
    for u in units:
        make_bill(u, wy, P, "1000.00")
    cash = fee_login(Role.CASHIER, "cash", "收银员")
    for day, unit, amount in ((5, units[0], "1000.00"), (6, units[1], "500.00"), (7, units[2], "1000.00")):
        clock.now = at(3, day)
        cashier.take_payment(actor=cash, unit_id=unit, amount=amount, method="现金")
    clock.now = at(3, 31, 20)
    month_sheet(P)
    appraisal.build_drafts(actor=ADMIN, period=P, now=BUILT)
    return Fees(clock, units=units, **f_ids)


def test_a_collector_is_measured_on_his_own_units_and_the_supervisor_on_the_whole_centre(fees_month):
    """徐收 (U1): 收缴率 1,000 / 1,000 = 100% (x 50); 户收费率 1/1 (x 15); 清缴率 and 以往年度收缴金额: nothing was
      owed from before the month, no data, left out; weighted (50 + 15) / 65 x 100 = 100.00; 收缴率达标奖励 500.00.
    叶收 (U2): 收缴率 500 / 1,000 = 50%, 0.5 / 0.95 = 0.5263 (x 50); 户收费率 0/1 = 0; 以往年度 no data;
      weighted 26.315 / 65 x 100 = 40.485 -> 40.48; 收缴率未达标 -5 -> 35.48.
    钱内勤 (内勤: 收缴率 and 户收费率 本人, no units): no data at all -> no weighted score.
    邓主管 (收缴率 全中心, every unit including U3 which nobody collects for): 2,500 / 3,000 = 0.8333,
      0.8333 / 0.95 = 0.8772 (x 30); 有效投诉 0 -> 1 (x 15); the ticket KPIs have no data; weighted
      (26.316 + 15) / 45 x 100 = 91.813 -> 91.81. The collectors' rules are for 收费员 only."""
    f = fees_month
    xu = card_of(f.xu, P)
    assert _lines(xu) == {"collection_rate": (D("1.0000"), D("1.0000")),
                          "household_rate": (D("1.0000"), D("1.0000")),
                          "arrears_recovery_rate": (None, None),
                          "prior_years_collected": (None, None)}
    assert (xu.weighted_score, xu.reward, xu.score) == (D("100.00"), D("500.00"), D("100.00"))
    ye = card_of(f.ye, P)
    assert _lines(ye)["collection_rate"] == (D("0.5000"), D("0.5263"))
    assert (ye.weighted_score, ye.points, ye.score, ye.reward) == (D("40.48"), D("-5.00"), D("35.48"), D("0.00"))
    qian = card_of(f.qian, P)
    assert _lines(qian) == {"collection_rate": (None, None), "household_rate": (None, None)}
    assert (qian.weighted_score, qian.score) == (None, None)
    deng = card_of(f.deng, P)
    assert _lines(deng)["collection_rate"] == (D("0.8333"), D("0.8772"))
    assert deng.weighted_score == D("91.81")
    assert rule_result(deng, "收缴率达标奖励") is None

    # the evidence behind 徐收's 收缴率 is his unit's bill only
    rows = appraisal.evidence(actor=ADMIN, card_id=xu.id, key="collection_rate")
    assert rows[["household", "billed", "paid", "counts"]].values.tolist() == [
        [f"U{f.units[0]}", D("1000.00"), D("1000.00"), True]]
