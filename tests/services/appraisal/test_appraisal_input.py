"""Bad input to the appraisal's rules, KPI sets and scorecards: refused with Chinese messages that name the
field and the rule, every problem at once, and nothing written (services/appraisal/rules, services/appraisal/scorecards).

The seed incident types, KPIs and rules are in place (14 rules). Rule and KPI-set checks run before any SQL
write, so those tables run on SQLite only; the incomplete-card checks run on every backend.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

import pytest

from db.models import AppraisalRule, PostKpi, Scorecard
from services.appraisal import rules as appraisal_rules
from services.appraisal import scorecards as appraisal
from services.appraisal import staff
from services.appraisal.rules import KpiEntry, RuleSpec
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, StaleEdit, ValidationError
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    card_of,
    count_rows,
    db_state,
    force_columns,
    get_row,
    make_department,
    make_member,
    pin_appraisal_clock,
    seed_appraisal,
    sqlite_only,
)

P = "2026-03"
ADMIN = actor_for(Role.ADMIN)
NOW = datetime(2026, 3, 31, 20, tzinfo=SHANGHAI)
GOOD = RuleSpec(name="测试规则", metric="att:late_count", op=">=", threshold="1", effect="扣款", basis="元",
                amount="10")


@pytest.fixture
def seeded(db, monkeypatch) -> dict[str, int]:
    pin_appraisal_clock(monkeypatch, NOW)
    return seed_appraisal()


# --- rules ------------------------------------------------------------------------------------------------


@sqlite_only
def test_a_rule_without_a_condition_is_refused_with_every_problem_named(seeded):
    spec = RuleSpec(name=" ", metric="", op=">=", threshold=None, effect="扣款", basis="元", amount="")
    with pytest.raises(ValidationError) as refused:
        appraisal_rules.create_rule(actor=ADMIN, spec=spec)
    assert refused.value.errors == {
        "规则名称": "必填",
        "条件": "规则必须有条件：请选择考核指标、考勤项目或奖惩项目",
        "阈值": "必填（或选择与岗位目标比较）",
        "金额": "应为金额（元），例如 5000",
    }
    assert count_rows(AppraisalRule) == 14


@sqlite_only
@pytest.mark.parametrize(("changes", "errors"), [
    ({"metric": "kpi:collection_rate", "threshold": "95", "per_occurrence": True},
     {"按次计算": "“收缴率”不是次数，不能按次计算"}),
    ({"metric": "att:late_minutes", "threshold": "30", "per_occurrence": True},
     {"按次计算": "“迟到分钟”不是次数，不能按次计算"}),
    ({"metric": "kpi:prior_years_collected", "threshold": "95.5%"}, {"阈值": "金额不能写成百分数"}),
    ({"metric": "kpi:prior_years_collected", "threshold": "100.005"}, {"阈值": "金额最多两位小数"}),
    ({"threshold": "2.5"}, {"阈值": "应为整数"}),
    ({"threshold": "2次"}, {"阈值": "应为整数，例如 2"}),
    ({"threshold": "-1"}, {"阈值": "应为整数，例如 2"}),
    ({"metric": "kpi:collection_rate", "threshold": "150"}, {"阈值": "百分数不能大于 100"}),
    ({"metric": "kpi:collection_rate", "threshold": "95.555"}, {"阈值": "百分数最多两位小数"}),
    ({"op2": "<=", "threshold2": ""}, {"第二个阈值": "有第二个条件时必填"}),
    ({"threshold2": "3"}, {"第二个比较": "填写了第二个阈值，请选择比较方式"}),
    ({"op": "=>"}, {"比较": "应为以下之一：> >= < <= ="}),
    ({"use_target": True}, {"与目标比较": "只有考核指标有目标"}),
    ({"metric": "kpi:nope"}, {"条件": "没有这个指标：kpi:nope"}),
    ({"basis": "基本工资%", "amount": "120"}, {"比例": "不能大于 100%"}),
    ({"amount": "0"}, {"金额": "应大于 0"}),
    ({"amount": "10.005"}, {"金额": "金额最多两位小数"}),
    ({"effect": "扣分", "amount": "两分"}, {"分值": "应为数字，最多两位小数"}),
    ({"effect": "罚站"}, {"结果": "应为以下之一：扣款、奖励、扣分、加分"}),
    ({"basis": "美元"}, {"计算方式": "应为 元 或 基本工资%"}),
    ({"post": "经理"}, {"适用岗位": "应为以下之一：客服主管、客服前台、物业管理员、收费员、内勤、维修工、工程主管、秩序维护员、"
                                "保洁员、系统管理员"}),
], ids=["per-time-on-a-rate", "per-time-on-minutes", "percent-for-money", "fraction-of-a-cent",
        "fraction-of-a-count", "count-with-a-word", "negative-count", "rate-over-100", "rate-three-decimals",
        "second-op-without-threshold", "second-threshold-without-op", "unknown-op", "target-on-attendance",
        "unknown-metric", "salary-over-100", "zero-amount", "amount-three-decimals", "points-in-words",
        "unknown-effect", "unknown-basis", "unknown-post"])
def test_a_rule_in_the_wrong_units_or_shape_is_refused(seeded, changes, errors):
    with pytest.raises(ValidationError) as refused:
        appraisal_rules.create_rule(actor=ADMIN, spec=dataclasses.replace(GOOD, **changes))
    assert refused.value.errors == errors
    assert count_rows(AppraisalRule) == 14


@sqlite_only
def test_thresholds_are_stored_in_the_units_people_typed(seeded):
    """"95.5%" and "95.5" on a rate are both 0.9550; "¥12,000" on money is 12000.0000; the rule reads back as
    typed. A second rule of the same name is a Conflict; a bad edit leaves the rule as it was."""
    first = appraisal_rules.create_rule(actor=ADMIN, spec=dataclasses.replace(
        GOOD, name="收缴率高奖励", metric="kpi:collection_rate", threshold="95.5%", effect="奖励"))
    second = appraisal_rules.create_rule(actor=ADMIN, spec=dataclasses.replace(
        GOOD, name="收缴率高奖励二", metric="kpi:collection_rate", threshold="95.5", effect="奖励"))
    money = appraisal_rules.create_rule(actor=ADMIN, spec=dataclasses.replace(
        GOOD, name="欠费收回", metric="kpi:prior_years_collected", threshold="¥12,000", effect="奖励"))
    assert str(get_row(AppraisalRule, first).threshold) == "0.9550"
    assert str(get_row(AppraisalRule, second).threshold) == "0.9550"
    assert str(get_row(AppraisalRule, money).threshold) == "12000.0000"
    views = {r.name: r for r in appraisal_rules.list_rules(actor=ADMIN)}
    assert views["收缴率高奖励"].condition == "收缴率 ≥ 95.50%"
    assert views["欠费收回"].condition == "以往年度收缴金额 ≥ ¥12,000.00"
    assert views["收缴率高奖励"].spec("rate").threshold == "95.5"

    with pytest.raises(Conflict, match="规则名称已存在：收缴率高奖励"):
        appraisal_rules.create_rule(actor=ADMIN, spec=dataclasses.replace(GOOD, name="收缴率高奖励"))
    before = get_row(AppraisalRule, first)
    with pytest.raises(ValidationError):
        appraisal_rules.update_rule(actor=ADMIN, rule_id=first, version=before.version,
                                    spec=dataclasses.replace(views["收缴率高奖励"].spec("rate"), per_occurrence=True))
    after = get_row(AppraisalRule, first)
    assert (after.version, after.per_occurrence, after.threshold) == (before.version, False, before.threshold)


# --- KPI sets ---------------------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize(("entries", "errors"), [
    ([KpiEntry("effective_complaints", "0", 60), KpiEntry("satisfaction", "90", 30)],
     {"权重合计": "应为 100%（现为 90%）"}),
    ([KpiEntry("effective_complaints", "0", 60), KpiEntry("satisfaction", "90", 41)],
     {"权重合计": "应为 100%（现为 101%）"}),
    ([KpiEntry("effective_complaints", "0", 0), KpiEntry("satisfaction", "90", 100)],
     {"有效投诉·权重": "应为 1–100 的整数（百分比）"}),
    ([KpiEntry("effective_complaints", "0", "50.5"), KpiEntry("satisfaction", "90", "49.5")],
     {"有效投诉·权重": "应为 1–100 的整数（百分比）", "满意率（受理）·权重": "应为 1–100 的整数（百分比）"}),
    ([KpiEntry("effective_complaints", "0.5", 50), KpiEntry("prior_years_collected", "95%", 50)],
     {"有效投诉·目标": "应为整数", "以往年度收缴金额·目标": "金额不能写成百分数"}),
    ([KpiEntry("satisfaction", "0.95", 50), KpiEntry("collection_rate", "0.5%", 50)],
     {"满意率（受理）·目标": "0.95 是百分数：若指 95% 请填 95，确指 0.95% 请写 0.95%"}),
    ([KpiEntry("satisfaction", "90", 50), KpiEntry("satisfaction", "90", 50)], {"满意率（受理）": "重复"}),
    ([KpiEntry("nope", "1", 50), KpiEntry("satisfaction", "90", 50, scope="部门")],
     {"指标 nope": "不在指标目录中", "满意率（受理）·范围": "应为 本人 或 全中心"}),
    ([], {"权重合计": "应为 100%（现为 0%）"}),
], ids=["total-90", "total-101", "zero-weight", "fractional-weights", "targets-in-wrong-units",
        "fraction-for-percent", "twice",
        "unknown-kpi-and-scope", "empty"])
def test_a_kpi_set_whose_weights_do_not_total_100_or_whose_lines_are_wrong_is_refused(seeded, entries, errors):
    state = db_state()
    with pytest.raises(ValidationError) as refused:
        appraisal_rules.save_post_kpis(actor=ADMIN, post="保洁员", entries=entries, versions={})
    assert refused.value.errors == errors
    assert db_state() == state


def test_a_kpi_set_of_exactly_100_is_saved_whole_and_a_stale_one_refused(seeded):
    """保洁员 (no seed KPIs): 有效投诉 60 + 满意率 "40%" = 100 -> saved, audited. The 收费员's set replaced with
    收缴率 70 + 户收费率 30 given the versions read: 以往年度收缴金额 and 清缴率 are switched off (kept, inactive);
    the same edit again with those old versions is StaleEdit."""
    assert appraisal_rules.save_post_kpis(actor=ADMIN, post="保洁员", versions={}, entries=[
        KpiEntry("effective_complaints", "0", 60), KpiEntry("satisfaction", "90", "40%")]) == 2
    rows = appraisal_rules.post_kpis(actor=ADMIN, post="保洁员")
    assert [(r.kpi, r.weight, str(r.target), r.direction) for r in rows] == [
        ("satisfaction", 40, "0.9000", "越高越好"), ("effective_complaints", 60, "0.0000", "越低越好")]
    _, after = audit_json(audit_rows(entity="post_kpis", action="update")[-1])
    assert after == {"effective_complaints": "本人 目标 0.0000 权重 60% 越低越好",
                     "satisfaction": "本人 目标 0.9000 权重 40% 越高越好"}

    versions = {r.kpi: r.version for r in appraisal_rules.post_kpis(actor=ADMIN, post="收费员")}
    entries = [KpiEntry("collection_rate", "96", 70), KpiEntry("household_rate", "90", 30)]
    assert appraisal_rules.save_post_kpis(actor=ADMIN, post="收费员", entries=entries, versions=versions) == 2
    assert [(r.kpi, r.weight) for r in appraisal_rules.post_kpis(actor=ADMIN, post="收费员")] == [
        ("collection_rate", 70), ("household_rate", 30)]
    assert count_rows(PostKpi) == len(appraisal_rules.DEFAULT_POST_KPIS) + 2
    with pytest.raises(StaleEdit, match="该岗位的考核指标已被他人修改"):
        appraisal_rules.save_post_kpis(actor=ADMIN, post="收费员", entries=entries, versions=versions)


# --- incomplete cards -------------------------------------------------------------------------------------


def test_an_incomplete_card_can_be_neither_submitted_nor_approved(seeded):
    """王芳 (客服前台, sheet, no 评语); 李娜 (客服前台, no sheet); 刘洁 (保洁员: no KPIs); 老周 (客服前台, left on
    Sunday 03-01: no working day in March, so no attendance is needed). Each refusal says what is missing; a
    draft never submitted cannot be approved; a card forced to 已提交 while incomplete cannot be approved."""
    kf = make_department("KF", "客服部")
    wang = make_member("K001", "王芳", "客服前台", department_id=kf)
    li = make_member("K002", "李娜", "客服前台", department_id=kf)
    liu = make_member("K003", "刘洁", "保洁员", department_id=kf)
    zhou = make_member("K004", "老周", "客服前台", department_id=kf, left_on=date(2026, 3, 1))
    staff.generate_month_sheet(actor=ADMIN, period=P, staff_ids=[wang, liu])
    appraisal.build_drafts(actor=ADMIN, period=P, now=NOW)
    cards = {who: card_of(who, P).id for who in (wang, li, liu, zhou)}

    def version(card_id):
        return get_row(Scorecard, card_id).version

    def refusal(action, card_id):
        state = db_state()
        with pytest.raises(ValidationError) as refused:
            action(actor=ADMIN, card_id=card_id, version=version(card_id))
        assert db_state() == state
        return refused.value.errors

    assert refusal(appraisal.submit, cards[wang]) == {"考核表": "不完整，不能提交：未填写考核评语"}
    assert refusal(appraisal.submit, cards[li]) == {"考核表": "不完整，不能提交：未填写考核评语；本月考勤未录入"}
    for who in (wang, li, liu, zhou):
        appraisal.set_comments(actor=ADMIN, card_id=cards[who], version=version(cards[who]), comments="已阅")
    assert refusal(appraisal.submit, cards[li]) == {"考核表": "不完整，不能提交：本月考勤未录入"}
    assert refusal(appraisal.submit, cards[liu]) == {
        "考核表": "不完整，不能提交：没有可计分的考核指标（岗位“保洁员”未设置指标，或各指标本月均无数据）"}
    assert refusal(appraisal.approve, cards[wang]) == {"考核表": "尚未提交，不完整的考核表不能审批"}

    old = card_of(zhou, P)
    assert (old.attendance["working_days"], old.attendance["recorded_days"], old.missing) == (0, 0, ())
    appraisal.submit(actor=ADMIN, card_id=cards[zhou], version=version(cards[zhou]))

    # a card that reached 已提交 incomplete (e.g. written by an older version) is still refused at approval
    force_columns(Scorecard, cards[liu], status="已提交")
    assert refusal(appraisal.approve, cards[liu]) == {
        "考核表": "不完整，不能审批：没有可计分的考核指标（岗位“保洁员”未设置指标，或各指标本月均无数据）"}
    force_columns(Scorecard, cards[li], status="已提交", comments="")
    assert refusal(appraisal.approve, cards[li]) == {"考核表": "不完整，不能审批：未填写考核评语；本月考勤未录入"}


@sqlite_only
def test_a_month_that_is_malformed_or_has_not_started_cannot_be_appraised(seeded):
    with pytest.raises(ValidationError) as bad:
        appraisal.build_drafts(actor=ADMIN, period="2026-13", now=NOW)
    assert bad.value.errors == {"月份": "期间应为 YYYY-MM，例如 2026-11（收到 '2026-13'）"}
    with pytest.raises(ValidationError) as early:
        appraisal.build_drafts(actor=ADMIN, period="2026-04", now=NOW)
    assert early.value.errors == {"月份": "2026-04 还没有开始，不能考核"}
    assert count_rows(Scorecard) == 0


def test_comments_longer_than_1000_characters_are_refused(seeded):
    kf = make_department("KF", "客服部")
    wang = make_member("K001", "王芳", "客服前台", department_id=kf)
    appraisal.build_drafts(actor=ADMIN, period=P, now=NOW)
    card = card_of(wang, P)
    with pytest.raises(ValidationError) as refused:
        appraisal.set_comments(actor=ADMIN, card_id=card.id, version=card.version, comments="好" * 1001)
    assert refused.value.errors == {"考核评语": "不能超过 1000 个字符（现有 1001 个）"}
    appraisal.set_comments(actor=ADMIN, card_id=card.id, version=card.version, comments="好" * 1000)
    assert len(card_of(wang, P).comments) == 1000
