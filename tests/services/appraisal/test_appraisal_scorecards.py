"""Scorecards from 草稿 to 已审批 and back (services/appraisal/scorecards): an approved card is a frozen snapshot.

The month P = 2026-03 (22 working days, weekends only); the seed incident types, KPIs and rules apply. 王芳
(base 4,000.00) and 李娜 (base 5,000.00) are 客服前台 of the 客服部: without tickets their only KPI with data is
有效投诉 (0 件, target 0), so their weighted score is 100.00. The facts go through the real services with the
clock pinned; "byte for byte" compares every column of the scorecard row, the JSON snapshots included.
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime
from decimal import Decimal

import pytest

from db.models import Scorecard
from services.appraisal import rules as appraisal_rules
from services.appraisal import scorecards as appraisal
from services.appraisal import staff
from services.appraisal.scorecards import APPROVED, DRAFT, SUBMITTED, BuildResult
from services.appraisal.staff import NewIncident
from services.fees import arrears, cashier
from services.platform.auth import Actor, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, StaleEdit, ValidationError
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    bulk_units,
    card_of,
    db_state,
    fee_login,
    get_row,
    make_bill,
    make_department,
    make_estate,
    make_member,
    mark_attendance,
    month_sheet,
    pin_appraisal_clock,
    rule_result,
    seed_appraisal,
    seed_fee_items,
    sqlite_only,
)

D = Decimal
P = "2026-03"
ADMIN = actor_for(Role.ADMIN, "boss")
BUILT = datetime(2026, 4, 2, 9, tzinfo=SHANGHAI)


def at(m: int, d: int, hh: int = 10) -> datetime:
    return datetime(2026, m, d, hh, tzinfo=SHANGHAI)


def _row(card_id: int) -> dict:
    """Every column of a scorecard row as stored."""
    row = get_row(Scorecard, card_id)
    return {c.key: getattr(row, c.key) for c in Scorecard.__table__.columns}


def _version(card_id: int) -> int:
    return get_row(Scorecard, card_id).version


def _approve(card_id: int, *, by: Actor = ADMIN, comments: str = "本月表现良好") -> None:
    appraisal.set_comments(actor=ADMIN, card_id=card_id, version=_version(card_id), comments=comments)
    appraisal.submit(actor=ADMIN, card_id=card_id, version=_version(card_id))
    appraisal.approve(actor=by, card_id=card_id, version=_version(card_id))


def _build(now: datetime = BUILT) -> BuildResult:
    return appraisal.build_drafts(actor=ADMIN, period=P, now=now)


@pytest.fixture
def office(db, monkeypatch):
    clock = pin_appraisal_clock(monkeypatch, at(3, 31, 20))
    types = seed_appraisal()
    kf = make_department("KF", "客服部")
    wang = make_member("K001", "王芳", "客服前台", department_id=kf)
    li = make_member("K002", "李娜", "客服前台", department_id=kf, base_salary="5000.00")
    return clock, types, kf, wang, li


def _incidents(types: dict[str, int], staff_id: int, kind: str, days: list[int]) -> None:
    for day in days:
        staff.record_incident(actor=ADMIN, incident=NewIncident(staff_id, types[kind], date(2026, 3, day)))


def test_an_edited_rule_changes_the_next_draft_but_not_an_approved_card_until_it_is_reopened(office):
    """Both have 3 仪容不整 -> 扣 50.00 元 each. 王芳's card is approved; the rule is edited to 扣 80.00 元.
    The next build keeps 王芳's card (kept 1) byte for byte and recomputes 李娜's draft (refreshed 1): 80.00.
    Reopening needs a reason (none -> refused, nothing written); with one it is audited, the card is 草稿
    again with its 评语, and the next build gives 王芳 80.00 too."""
    _, types, _, wang, li = office
    month_sheet(P)
    for who in (wang, li):
        _incidents(types, who, "仪容不整", [2, 3, 4])
    assert _build() == BuildResult(P, 2, 0, 0)
    w = card_of(wang, P)
    assert w.incident_deduction == card_of(li, P).incident_deduction == D("50.00")
    _approve(w.id)
    frozen = _row(w.id)

    [view] = [r for r in appraisal_rules.list_rules(actor=ADMIN) if r.name == "仪容不整处罚"]
    appraisal_rules.update_rule(actor=ADMIN, rule_id=view.id, version=view.version,
                                spec=dataclasses.replace(view.spec("count"), amount="80"))
    [changed] = audit_rows(entity="appraisal_rules", action="update")
    before, after = audit_json(changed)
    assert (before["结果"], after["结果"]) == ("扣 50.00 元", "扣 80.00 元")

    assert _build() == BuildResult(P, 0, 1, 1)
    assert _row(w.id) == frozen
    lina = card_of(li, P)
    assert lina.incident_deduction == D("80.00")
    assert rule_result(lina, "仪容不整处罚").explanation == (
        "仪容不整次数 3 次，满足“仪容不整次数 > 2 次”：扣 80.00 元，80.00 = 80.00 元")

    state = db_state()
    with pytest.raises(ValidationError) as refused:
        appraisal.reopen(actor=ADMIN, card_id=w.id, version=_version(w.id), reason="  ")
    assert refused.value.errors == {"重新打开原因": "必须填写"}
    assert db_state() == state

    appraisal.reopen(actor=ADMIN, card_id=w.id, version=_version(w.id), reason="仪容规则调整，重新核算")
    reopened = card_of(wang, P)
    assert (reopened.status, reopened.reopen_count, reopened.approved_by, reopened.approved_at) == (DRAFT, 1, "",
                                                                                                    None)
    [entry] = audit_rows(entity="scorecards", action="reopen_scorecard")
    assert (entry.entity_id, entry.actor_username) == (str(w.id), "boss")
    before, after = audit_json(entry)
    assert before == {"状态": APPROVED, "审批人": "测试系统管理员", "总分": "100.00"}
    assert after == {"状态": DRAFT, "原因": "仪容规则调整，重新核算", "第几次重新打开": 1}
    assert reopened.incident_deduction == D("50.00")  # reopening alone recomputes nothing

    assert _build() == BuildResult(P, 0, 2, 0)
    rebuilt = card_of(wang, P)
    assert (rebuilt.incident_deduction, rebuilt.comments, rebuilt.status) == (D("80.00"), "本月表现良好", DRAFT)


def test_an_approved_card_does_not_change_when_attendance_incidents_or_payments_come_later(office):
    """Two 收费员 (胡收 base 4,000.00 for U1, 林收 base 5,000.00 for U2), a March bill of 1,000.00 each. Cards
    built on 03-20 10:00 (as_of = then): nothing paid, 收缴率 0 -> weighted 0.00, 扣 5 分 -> -5.00 each. 胡收's is
    approved. Then, later in March: both units pay 1,000.00 (03-25), both are late on 03-23 and get 3 仪容不整.
    The build on 04-02 keeps 胡收's card byte for byte. 林收's draft follows: 收缴率 100% -> 奖励 500.00;
    weighted (1 x 50 + 户收费率 1 x 15) / 65 x 100 = 100.00 (清缴率 and 以往年度 no data: nothing owed from before
    March); 1 late ->
    5,000.00 x 1% = 50.00; 仪容不整 50.00; net 500.00 - 100.00 = 400.00."""
    clock, types, kf, _, _ = office
    wy = seed_fee_items()["WY-ZZ"]
    hu = make_member("C001", "胡收", "收费员", department_id=kf)
    lin = make_member("C002", "林收", "收费员", department_id=kf, base_salary="5000.00")
    estate_id, [building] = make_estate("F1", "收费小区")
    u1, u2 = bulk_units(estate_id, building, 2)
    arrears.assign_collector(actor=ADMIN, unit_ids=[u1], staff_id=hu)
    arrears.assign_collector(actor=ADMIN, unit_ids=[u2], staff_id=lin)
    make_bill(u1, wy, P, "1000.00")
    make_bill(u2, wy, P, "1000.00")
    clock.now = at(3, 20)
    month_sheet(P)
    _build(now=at(3, 20))
    h = card_of(hu, P)
    assert (h.weighted_score, h.points, h.score, h.attendance["working_days"]) == (D("0.00"), D("-5.00"),
                                                                                  D("-5.00"), 15)
    _approve(h.id)
    frozen = _row(h.id)

    cash = fee_login(Role.CASHIER, "cash", "收银员")
    clock.now = at(3, 25)
    for unit in (u1, u2):
        cashier.take_payment(actor=cash, unit_id=unit, amount="1000.00", method="现金")
    clock.now = at(3, 31, 20)
    month_sheet(P)
    for who in (hu, lin):
        mark_attendance(who, {date(2026, 3, 23): {"late_minutes": 12}})
        _incidents(types, who, "仪容不整", [23, 24, 25])

    assert _build() == BuildResult(P, 0, 3, 1)  # kept: 胡收; refreshed: 林收 and the two 客服前台
    assert _row(h.id) == frozen
    n = card_of(lin, P)
    assert (n.reward, n.lateness_deduction, n.incident_deduction, n.net) == (D("500.00"), D("50.00"), D("50.00"),
                                                                             D("400.00"))
    assert (n.weighted_score, n.points, n.score) == (D("100.00"), D("0.00"), D("100.00"))
    assert (n.attendance["working_days"], n.attendance["recorded_days"]) == (22, 22)


def test_a_card_submitted_while_a_build_was_computing_is_kept_as_submitted(office, monkeypatch):
    """The build reads the card as 草稿 and computes it; before it writes, the manager submits the card. The
    build locks the row, sees 已提交 and leaves it (kept), instead of overwriting the submitted card."""
    _, types, _, wang, li = office
    month_sheet(P)
    _build()
    w = card_of(wang, P)
    _incidents(types, wang, "仪容不整", [2, 3, 4])  # would change the card if it were recomputed
    real = appraisal.compute_cards
    after_submit = {}

    def submit_meanwhile(*args, **kwargs):
        cards = real(*args, **kwargs)
        appraisal.set_comments(actor=ADMIN, card_id=w.id, version=_version(w.id), comments="已核")
        appraisal.submit(actor=ADMIN, card_id=w.id, version=_version(w.id))
        after_submit.update(_row(w.id))
        return cards

    monkeypatch.setattr(appraisal, "compute_cards", submit_meanwhile)
    assert _build() == BuildResult(P, 0, 1, 1)
    assert after_submit["status"] == SUBMITTED
    assert _row(w.id) == after_submit
    assert after_submit["incident_deduction"] == D("0.00")
    assert card_of(li, P).status == DRAFT


def test_a_card_goes_from_draft_to_submitted_to_approved_with_each_step_audited(office):
    """评语 on a draft; submit (refused while 评语 is empty, see test_appraisal_input); a submitted card keeps its
    评语 and cannot be submitted again; 退回 needs a reason and makes it 草稿; submitted again, approved by the
    manager of another account (approved_by is his name); then it is frozen: no 评语, no second approval; an
    old version is StaleEdit. Audit: build, update (评语), submit, return, submit, approve, in that order."""
    _, _, kf, wang, _ = office
    manager = fee_login(Role.MANAGER, "kf_boss", "邓主管", staff_id=make_member("K009", "邓主管", "客服主管",
                                                                               department_id=kf))
    month_sheet(P)
    _build()
    card_id = card_of(wang, P).id
    appraisal.set_comments(actor=ADMIN, card_id=card_id, version=_version(card_id), comments="  服务热情  ")
    assert card_of(wang, P).comments == "服务热情"
    appraisal.submit(actor=ADMIN, card_id=card_id, version=_version(card_id))
    c = card_of(wang, P)
    assert (c.status, c.submitted_by) == (SUBMITTED, "测试系统管理员")
    with pytest.raises(Conflict, match="考核表已提交，不能修改评语；如需修改请先退回"):
        appraisal.set_comments(actor=ADMIN, card_id=card_id, version=_version(card_id), comments="改")
    with pytest.raises(Conflict, match="考核表已提交，不能再提交"):
        appraisal.submit(actor=ADMIN, card_id=card_id, version=_version(card_id))
    with pytest.raises(ValidationError) as no_reason:
        appraisal.return_to_draft(actor=manager, card_id=card_id, version=_version(card_id), reason="")
    assert no_reason.value.errors == {"退回原因": "必须填写"}
    appraisal.return_to_draft(actor=manager, card_id=card_id, version=_version(card_id), reason="评语太简单")
    assert card_of(wang, P).status == DRAFT
    appraisal.submit(actor=ADMIN, card_id=card_id, version=_version(card_id))
    stale = _version(card_id)
    appraisal.approve(actor=manager, card_id=card_id, version=stale)
    c = card_of(wang, P)
    assert (c.status, c.approved_by) == (APPROVED, "邓主管")
    assert c.approved_at is not None and c.approved_at.tzinfo is not None
    with pytest.raises(StaleEdit):
        appraisal.approve(actor=manager, card_id=card_id, version=stale)
    with pytest.raises(Conflict, match="考核表已审批"):
        appraisal.approve(actor=manager, card_id=card_id, version=_version(card_id))
    with pytest.raises(Conflict):
        appraisal.set_comments(actor=ADMIN, card_id=card_id, version=_version(card_id), comments="改")
    with pytest.raises(Conflict, match="只有已提交的考核表可以退回"):
        appraisal.return_to_draft(actor=ADMIN, card_id=card_id, version=_version(card_id), reason="再改")
    assert [e.action for e in audit_rows(entity="scorecards")] == ["build", "update", "submit", "return",
                                                                   "submit", "approve"]
    _, approved = audit_json(audit_rows(entity="scorecards", action="approve")[0])
    assert approved == {"状态": APPROVED, "总分": "100.00", "奖励": "0.00", "扣款": "0.00"}


def test_the_month_appraises_those_employed_in_it_and_marked_for_appraisal(office):
    """Besides 王芳 and 李娜 (in service since 2020): 新人 hired 03-16 (12 working days in March) and 老张 who
    left 03-10 (7) are appraised; 早走 who left 02-27, 未来 hired 04-01 and 不考核 (参与考核 off) are not."""
    _, _, kf, wang, li = office
    new = make_member("K003", "新人", "客服前台", department_id=kf, hired_on=date(2026, 3, 16))
    gone = make_member("K004", "老张", "客服前台", department_id=kf, left_on=date(2026, 3, 10))
    make_member("K005", "早走", "客服前台", department_id=kf, left_on=date(2026, 2, 27))
    make_member("K006", "未来", "客服前台", department_id=kf, hired_on=date(2026, 4, 1))
    make_member("K007", "不考核", "客服前台", department_id=kf, appraised=False)
    assert _build() == BuildResult(P, 4, 0, 0)
    assert sorted(appraisal.month_view(actor=ADMIN, period=P)["name"]) == sorted(["王芳", "李娜", "新人", "老张"])
    assert [card_of(who, P).attendance["working_days"] for who in (wang, li, new, gone)] == [22, 22, 12, 7]


def test_the_evidence_behind_a_draft_is_the_days_and_incidents_it_counts(office):
    """王芳 late on 03-02 (5 min) and 03-03 (9 min), 2 仪容不整: the attendance evidence lists those two days
    (only the exceptions), the incident evidence the two incidents."""
    _, types, _, wang, _ = office
    month_sheet(P)
    mark_attendance(wang, {date(2026, 3, 2): {"late_minutes": 5}, date(2026, 3, 3): {"late_minutes": 9}})
    _incidents(types, wang, "仪容不整", [5, 6])
    _build()
    card = card_of(wang, P)
    days = appraisal.evidence(actor=ADMIN, card_id=card.id, key="attendance")
    assert days[["day", "late_minutes"]].values.tolist() == [[date(2026, 3, 2), 5], [date(2026, 3, 3), 9]]
    incidents = appraisal.evidence(actor=ADMIN, card_id=card.id, key="incidents")
    assert incidents[["day", "type"]].values.tolist() == [[date(2026, 3, 5), "仪容不整"], [date(2026, 3, 6), "仪容不整"]]


@sqlite_only
def test_the_evidence_behind_an_approved_card_is_what_the_card_counted(office):
    """The card (approved) counted 2 late days and 2 仪容不整; a late day and a third 仪容不整 entered later for
    March do not change it (see above), so its evidence should still show 2 and 2 (services/appraisal/scorecards.evidence:
    "taken at the card's moment")."""
    _, types, _, wang, _ = office
    month_sheet(P)
    mark_attendance(wang, {date(2026, 3, 2): {"late_minutes": 5}, date(2026, 3, 3): {"late_minutes": 9}})
    _incidents(types, wang, "仪容不整", [5, 6])
    _build()
    card = card_of(wang, P)
    _approve(card.id)
    mark_attendance(wang, {date(2026, 3, 4): {"late_minutes": 20}})
    _incidents(types, wang, "仪容不整", [9])
    _build()
    assert (card_of(wang, P).late_count, len(card_of(wang, P).incidents)) == (2, 2)
    assert len(appraisal.evidence(actor=ADMIN, card_id=card.id, key="incidents")) == 2
    assert len(appraisal.evidence(actor=ADMIN, card_id=card.id, key="attendance")) == 2
