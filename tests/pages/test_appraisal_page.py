"""/appraisal under AppTest: the tabs of each role, the month's drafts, a scorecard with its rule results,
comments -> 提交 -> 审批通过, the refusals (approving one's own card, reopening without a reason), 我的考核,
incidents, the attendance grid, the rule form and the KPI editor.

Tests that only read use the shared demo database (twelve approved months before the current one). Tests
that write work on a private copy of it, so nothing they do reaches the other tests. Expected figures are
read through the services and then looked for on the page.
"""

from __future__ import annotations

import sqlite3
from decimal import Decimal
from types import SimpleNamespace

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

import ui.kit.grid
from db.engine import get_engine, read_session
from db.models import User
from services.appraisal import rules, staff
from services.appraisal import scorecards as appraisal
from services.appraisal.scorecards import APPROVED, DRAFT, NOT_BUILT, SUBMITTED
from services.fees.reports import month_labels
from services.platform.auth import SYSTEM_ACTOR, Actor, actor_of
from services.platform.listing import ListQuery
from tests.pages.conftest import app, open_tab
from ui.appraisal.setup import catalog_frame, entries_from_frame
from ui.kit import fmt

APP_ERROR = "系统出了点问题"
CENT = Decimal("0.01")


@pytest.fixture
def own_db(demo_db_url, tmp_path, monkeypatch) -> str:
    """A private copy of the demo database, for a test that writes."""
    target = tmp_path / "appraisal.db"
    with sqlite3.connect(make_url(demo_db_url).database) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    get_engine(url).dispose()


def _current() -> str:
    return month_labels(count=1)[0]


def _last_complete() -> str:
    return month_labels(count=2)[1]


def _actor(username: str) -> Actor:
    """The user's actor, read from the database (test_login may have locked `engineer` by then, and a locked
    account cannot authenticate; what is tested here is what a signed-in user sees)."""
    with read_session() as s:
        return actor_of(s.scalars(select(User).where(User.username == username)).one())


def _page(username: str, *tabs: str):
    """/appraisal as `username`, with these tabs opened one after the other (only the open tab is drawn)."""
    at = app()
    at.session_state["actor"] = _actor(username)
    at.run()
    at.switch_page("screens/appraisal.py").run()
    _ok(at)
    for tab in tabs:
        open_tab(at, tab)
        _ok(at)
    return at


def _ok(at) -> None:
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert not errors, errors
    assert not any(APP_ERROR in m.value for m in at.markdown)


def _errors(at) -> list[str]:
    assert not at.exception, at.exception
    errors = [e.value for e in at.error]
    assert not any(APP_ERROR in e for e in errors), errors
    return errors


def _toasts(at) -> list[str]:
    return [x.value for x in at.toast]


def _metrics(at) -> dict[str, str]:
    """The first value shown under each label (the month's figures come before a card's)."""
    out: dict[str, str] = {}
    for m in at.metric:
        out.setdefault(m.label, m.value)
    return out


def _card_metrics(at) -> dict[str, str]:
    """The figures of the open scorecard: the labels after the month's six."""
    return {m.label: m.value for m in list(at.metric)[6:12]}


def _in_form(elements, form_id: str, label: str):
    found = [e for e in elements if e.form_id == form_id and e.label == label]
    assert len(found) == 1, (form_id, label, [(e.form_id, e.label) for e in elements])
    return found[0]


def _submit(at, form_id: str):
    """The submit button of a form."""
    found = [b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:{form_id}-")]
    assert len(found) == 1, [b.key for b in at.button]
    return found[0]


def _month_table(at):
    return next(d.value for d in at.dataframe if "rank" in d.value.columns and "department" in d.value.columns)


def _open_month(at, period: str):
    at.selectbox(key="ap:month").set_value(period).run()
    _ok(at)
    return at


def _open_card(at, period: str, card_id: int):
    at.selectbox(key=f"ap:open:{period}").set_value(card_id).run()
    _ok(at)
    return at


def _view(username: str, period: str):
    return appraisal.month_view(actor=_actor(username), period=period)


# --- which tabs each role sees ------------------------------------------------------------------------

SETUP_TABS = ["岗位考核指标", "奖惩规则", "奖惩项目"]
EVERY_TAB = ["月度考核", "我的考核", "趋势图表", "奖惩记录", "考勤", "员工档案", "考核规则"]


@pytest.mark.parametrize(("username", "tabs"), [
    ("manager", EVERY_TAB),
    ("sysadmin", EVERY_TAB),
    ("service", ["我的考核", "趋势图表", "考核规则"]),
    ("engineer", ["我的考核", "趋势图表", "考核规则"]),
    ("clerk", ["我的考核", "趋势图表", "考勤", "考核规则"]),
])
def test_each_role_sees_the_tabs_its_permissions_allow(demo_db, username, tabs):
    at = _page(username)
    assert at.title[0].value == "员工考核"
    assert [tab.label for tab in at.tabs] == tabs
    if "月度考核" not in tabs:
        assert not [b for b in at.button if b.key == "ap:build"]
    open_tab(at, "考核规则")
    assert [tab.label for tab in at.tabs] == tabs + SETUP_TABS
    if username not in ("manager", "sysadmin"):  # reads the rules, edits nothing
        assert not [b for b in at.button if b.key == "ap:catalog_save"]
        open_tab(at, "奖惩规则")
        _ok(at)
        assert not [b for b in at.button if b.label == "保存规则"]


# --- the month's drafts -------------------------------------------------------------------------------


def test_a_manager_builds_the_current_months_drafts_of_her_department_only(own_db):
    period = _current()
    due = _view("manager", period)
    assert set(due["status"]) == {NOT_BUILT} and set(due["department"]) == {"客服部"}

    at = _open_month(_page("manager"), period)
    figures = _metrics(at)
    assert (figures["应考核"], figures["未生成"], figures["草稿"]) == (str(len(due)), str(len(due)), "0")
    assert any("本月还没有考核表" in c.value for c in at.caption)

    at.button(key="ap:build").click().run()
    _ok(at)
    assert f"已生成 {len(due)} 张、重算 0 张草稿；0 张已提交或已审批，未改动" in _toasts(at)
    built = _view("manager", period)
    assert set(built["status"]) == {DRAFT}
    figures = _metrics(at)
    assert (figures["草稿"], figures["未生成"]) == (str(len(due)), "0")
    table = _month_table(at)
    assert set(table["department"]) == {"客服部"}
    assert list(table["name"]) == list(built["name"])  # ranked by 总分 as the service ranks them
    assert list(table["rank"]) == [str(r) for r in built["rank"]]
    assert list(table["score"]) == [f"{v:.2f}" for v in built["score"]]

    # the engineering manager sees his department only, still to be built, and builds it
    engineering = _view("gcmanager", period)
    assert set(engineering["department"]) == {"工程部"} and set(engineering["status"]) == {NOT_BUILT}
    at = _open_month(_page("gcmanager"), period)
    assert set(_month_table(at)["department"]) == {"工程部"}
    at.button(key="ap:build").click().run()
    _ok(at)
    assert f"已生成 {len(engineering)} 张、重算 0 张草稿；0 张已提交或已审批，未改动" in _toasts(at)
    assert set(_month_table(at)["department"]) == {"工程部"}
    assert set(_view("gcmanager", period)["status"]) == {DRAFT}
    assert list(_view("manager", period)["card_id"]) == list(built["card_id"])  # hers untouched


def _approved_card_with_lateness(username: str):
    """An approved card in the user's view with a lateness rule that fired, newest month first."""
    actor = _actor(username)
    for period in month_labels(count=13)[1:]:
        for row in appraisal.month_view(actor=actor, period=period).itertuples():
            if row.card_id is None or row.staff_id == actor.staff_id:
                continue
            card = appraisal.scorecard(actor=actor, card_id=int(row.card_id))
            fired = [r for r in card.rules if r.triggered and r.lateness]
            if card.status == APPROVED and fired:
                return card, fired[0]
    raise AssertionError("the demo has no approved card with a lateness deduction")


def test_an_open_scorecard_shows_its_kpi_lines_money_and_rule_explanations(demo_db):
    card, late = _approved_card_with_lateness("manager")
    at = _open_card(_open_month(_page("manager"), card.period), card.period, card.id)
    assert at.subheader[0].value == f"{card.name}（{card.staff_no}）· {card.period} 月度考核"
    kpis = next(d.value for d in at.dataframe if list(d.value.columns)[:3] == ["label", "scope", "value"])
    assert list(kpis["label"]) == [x.label for x in card.kpis]
    assert list(kpis["value"]) == [x.shown_value for x in card.kpis]
    assert list(kpis["weight"]) == [f"{x.weight}%" for x in card.kpis]
    figures = _card_metrics(at)
    assert figures["总分"] == f"{card.score:.2f}"
    assert figures["扣款合计"] == fmt.money(card.deductions)
    assert figures["奖扣合计"] == fmt.money(card.net)
    lines = [m.value for m in at.markdown]
    line = f"- **{late.rule}**（{fmt.money(late.money)}）：{late.explanation}"
    assert line in lines
    assert "每次扣基本工资" in line and f"{card.base_salary:,.2f}" in line and "满足" in line
    # the rules that did not apply are listed too, each with why
    rest = [f"- {r.rule}：{r.explanation}" for r in card.rules if not r.triggered]
    assert rest and all(x in lines for x in rest) and all(x.endswith("，不适用") for x in rest)
    # an approved card: no comment form, no 提交; who approved it
    assert not [b for b in at.button if b.key == f"ap:submit:{card.id}"]
    assert not [b for b in at.button if b.label == "保存评语"]
    assert f"{card.approved_by} 于 {fmt.moment(card.approved_at)} 审批；已审批的考核表不随之后的数据和规则变化" in [
        c.value for c in at.caption]
    # the evidence is fetched only when asked for (a closed expander would still run its queries on every rerun)
    assert not [s for s in at.selectbox if s.label == "依据"]
    next(x for x in at.toggle if x.label.startswith("查看指标依据")).set_value(True).run()
    assert not at.exception, at.exception
    assert [s for s in at.selectbox if s.label == "依据"]


def test_comments_then_submit_then_another_manager_approves(own_db):
    period = _current()
    manager = _actor("manager")
    staff.generate_month_sheet(actor=SYSTEM_ACTOR, period=period)  # on the 1st, today's row is not there yet
    at = _open_month(_page("manager"), period)
    at.button(key="ap:build").click().run()
    _ok(at)
    frame = _view("manager", period)
    row = next(r for r in frame.itertuples() if r.staff_id != manager.staff_id and r.missing == "未填写考核评语")
    card_id = int(row.card_id)
    at = _open_card(at, period, card_id)
    assert at.button(key=f"ap:submit:{card_id}").disabled  # incomplete: no comments yet
    assert any("未填写考核评语" in w.value for w in at.warning)

    form = f"ap:comments:{card_id}:{row.version}"
    _in_form(at.text_area, form, "考核评语").input("本月回访及时，业主反映良好")
    _submit(at, form).click().run()
    _ok(at)
    assert "已保存评语" in _toasts(at)
    assert appraisal.scorecard(actor=manager, card_id=card_id).comments == "本月回访及时，业主反映良好"
    assert not at.button(key=f"ap:submit:{card_id}").disabled
    at.button(key=f"ap:submit:{card_id}").click().run()
    _ok(at)
    assert f"已提交 {row.name} 的考核表" in _toasts(at)
    assert appraisal.scorecard(actor=manager, card_id=card_id).status == SUBMITTED
    assert not [b for b in at.button if b.label == "保存评语"]  # a submitted card's comments are read-only
    assert "本月回访及时，业主反映良好" in [m.value for m in at.markdown]

    admin = _open_card(_open_month(_page("sysadmin"), period), period, card_id)
    admin.button(key=f"ap:approve:{card_id}").click().run()
    _ok(admin)
    assert f"已审批 {row.name} 的考核表" in _toasts(admin)
    card = appraisal.scorecard(actor=manager, card_id=card_id)
    assert (card.status, card.approved_by) == (APPROVED, _actor("sysadmin").display_name)
    assert not [b for b in admin.button if b.key in (f"ap:approve:{card_id}", f"ap:submit:{card_id}")]
    assert any(c.value.startswith(f"{card.approved_by} 于 ") for c in admin.caption)
    assert _metrics(admin)["已审批"] == "1"


def test_a_manager_opens_her_own_card_while_my_scorecards_shows_it_too(demo_db):
    period = _last_complete()
    manager = _actor("manager")
    own = next(r for r in _view("manager", period).itertuples() if r.staff_id == manager.staff_id)
    at = _page("manager", "我的考核")
    assert at.selectbox(key="ap:mine").value == int(own.card_id)  # 我的考核 opens her newest card
    title = f"{own.name}（{own.staff_no}）· {period} 月度考核"
    reopen = f"FormSubmitter:ap:reopen:{int(own.card_id)}:"
    assert [h.value for h in at.subheader].count(title) == 1
    assert not [b for b in at.button if (b.key or "").startswith(reopen)]  # 我的考核 only reads
    open_tab(at, "月度考核")
    at = _open_card(_open_month(at, period), period, int(own.card_id))  # the same card in 月度考核
    assert [h.value for h in at.subheader].count(title) == 1
    assert len([b for b in at.button if (b.key or "").startswith(reopen)]) == 1


def test_a_manager_cannot_approve_her_own_scorecard(own_db):
    period = _last_complete()
    manager = _actor("manager")
    own = next(r for r in _view("manager", period).itertuples() if r.staff_id == manager.staff_id)
    appraisal.reopen(actor=_actor("sysadmin"), card_id=int(own.card_id), version=int(own.version),
                     reason="补充评语")
    appraisal.submit(actor=manager, card_id=int(own.card_id), version=int(own.version) + 1)

    at = _open_card(_open_month(_page("manager"), period), period, int(own.card_id))
    at.button(key=f"ap:approve:{int(own.card_id)}").click().run()
    assert _errors(at) == ["无权限：当前角色不能审批自己的考核表（须由上级或另一位主管审批）"]
    assert appraisal.scorecard(actor=manager, card_id=int(own.card_id)).status == SUBMITTED


def test_reopening_an_approved_card_without_a_reason_is_refused(demo_db):
    period = _last_complete()
    manager = _actor("manager")
    row = next(r for r in _view("manager", period).itertuples() if r.staff_id != manager.staff_id)
    card_id, version = int(row.card_id), int(row.version)
    at = _open_card(_open_month(_page("manager"), period), period, card_id)
    form = f"ap:reopen:{card_id}:{version}"
    _in_form(at.text_input, form, "原因").input("   ")
    _submit(at, form).click().run()
    assert _errors(at) == ["重新打开原因：必须填写"]
    card = appraisal.scorecard(actor=manager, card_id=card_id)
    assert (card.status, card.version) == (APPROVED, version)


# --- 我的考核 -------------------------------------------------------------------------------------------


def test_a_service_clerk_sees_only_her_own_submitted_and_approved_cards(own_db):
    service = _actor("service")
    appraisal.build_drafts(actor=_actor("manager"), period=_current())  # her draft of this month: not hers to see
    previous = next(r for r in _view("manager", _last_complete()).itertuples() if r.staff_id == service.staff_id)
    appraisal.reopen(actor=_actor("sysadmin"), card_id=int(previous.card_id), version=int(previous.version),
                     reason="考勤更正")  # back to a draft: hidden from her again
    own = appraisal.own_scorecards(actor=service)
    assert own and {status for _, _, status in own} == {APPROVED}
    assert _last_complete() not in {period for _, period, _ in own}
    assert _current() not in {period for _, period, _ in own}

    at = _page("service")
    mine = at.selectbox(key="ap:mine")
    assert mine.options == [f"{period} · {status}" for _, period, status in own]
    newest = appraisal.scorecard(actor=service, card_id=own[0][0])
    assert at.subheader[0].value == f"{newest.name}（{newest.staff_no}）· {newest.period} 月度考核"
    assert newest.staff_id == service.staff_id
    assert not [b for b in at.button if b.key in (f"ap:approve:{own[0][0]}", f"ap:submit:{own[0][0]}")]
    assert newest.comments in [m.value for m in at.markdown]  # read, not a form


# --- 奖惩记录 -------------------------------------------------------------------------------------------


def test_an_incident_is_recorded_and_withdrawn_only_with_a_reason(own_db):
    period = _current()
    manager = _actor("manager")
    people = staff.staff_choices(actor=manager)
    who = next(i for i, label in people.items() if label.endswith("郑海涛"))
    kinds = staff.incident_type_options(actor=manager)
    praise = next(i for i, label in kinds.items() if label.startswith("业主表扬"))

    at = _page("manager", "奖惩记录")
    _in_form(at.selectbox, "ap:incident", "员工").set_value(who)
    _in_form(at.selectbox, "ap:incident", "奖惩项目").set_value(praise)
    _in_form(at.text_input, "ap:incident", "说明").input("页面测试：业主来电表扬维修及时")
    _submit(at, "ap:incident").click().run()
    _ok(at)
    assert f"已为 {people[who]} 登记：{kinds[praise]}" in _toasts(at)
    recorded = staff.list_incidents(actor=manager, period=period)
    recorded = recorded[recorded["note"] == "页面测试：业主来电表扬维修及时"]
    assert len(recorded) == 1 and recorded.iloc[0]["status"] == "有效" and recorded.iloc[0]["name"] == "郑海涛"
    incident_id = int(recorded.iloc[0]["id"])

    at.selectbox(key="ap:inc_month").set_value(period).run()
    _ok(at)
    listed = next(d.value for d in at.dataframe if "withdrawn_reason" in d.value.columns)
    assert "页面测试：业主来电表扬维修及时" in set(listed["note"])
    _in_form(at.selectbox, "ap:withdraw", "奖惩记录").set_value(incident_id)
    _submit(at, "ap:withdraw").click().run()
    assert _errors(at) == ["撤销原因：必须写明原因"]
    assert staff.list_incidents(actor=manager, period=period).set_index("id").loc[incident_id, "status"] == "有效"

    _in_form(at.selectbox, "ap:withdraw", "奖惩记录").set_value(incident_id)
    _in_form(at.text_input, "ap:withdraw", "原因").input("登记错人")
    _submit(at, "ap:withdraw").click().run()
    _ok(at)
    assert "已撤销该奖惩记录" in _toasts(at)
    after = staff.list_incidents(actor=manager, period=period).set_index("id").loc[incident_id]
    assert (after["status"], after["withdrawn_reason"]) == ("已撤销", "登记错人")


# --- 考勤 ------------------------------------------------------------------------------------------------


@pytest.fixture
def attendance_grid(monkeypatch):
    """Stand in for AG Grid (AppTest cannot drive it): remember the attendance rows sent to it and report
    `typed` (row id -> {field: text}) as the user's edits."""
    seen: dict = {"typed": {}, "sent": None}

    def fake_aggrid(data, **kwargs):
        out = data.copy()
        if kwargs.get("key", "").startswith("aggrid:attendance:"):
            seen["sent"] = data.copy()
            for row_id, changes in seen["typed"].items():
                for field, value in changes.items():
                    out.loc[out["id"] == row_id, field] = value
        return SimpleNamespace(data=out)

    monkeypatch.setattr(ui.kit.grid, "AgGrid", fake_aggrid)
    return seen


def test_the_clerk_sees_the_months_attendance_grid_and_saves_a_late_arrival(own_db, attendance_grid):
    period = _last_complete()
    clerk = _actor("clerk")
    expected = staff.list_attendance(actor=clerk, period=period, query=ListQuery(page_size=100))
    at = _page("clerk", "考勤")
    sent = attendance_grid["sent"]
    assert sent is not None and list(sent["id"]) == list(expected.rows["id"])
    assert f"共 {expected.total} 条" in " ".join(c.value for c in at.caption)

    row = expected.rows[(expected.rows["late_minutes"] == 0) & (~expected.rows["absent"].astype(bool))].iloc[0]
    attendance_grid["typed"][row["id"]] = {"late_minutes": "12"}
    at.run()
    assert any("1 行有未保存的修改" in w.value for w in at.warning)
    next(b for b in at.button if b.key == "grid:attendance:save").click().run()
    _ok(at)
    assert "已保存 1 行" in _toasts(at)
    saved = staff.list_attendance(actor=clerk, period=period, query=ListQuery(search=row["staff_no"],
                                                                              page_size=100)).rows
    saved = saved[saved["id"] == row["id"]].iloc[0]
    assert (saved["late_minutes"], saved["version"]) == (12, row["version"] + 1)


# --- 考核规则 ----------------------------------------------------------------------------------------------


def test_the_rule_form_refuses_a_rule_without_a_condition_and_saves_a_valid_one(own_db):
    manager = _actor("manager")
    before = len(rules.list_rules(actor=manager))
    at = _page("manager", "考核规则", "奖惩规则")
    form = "ap:rule:None:0"
    _in_form(at.text_input, form, "规则名称").input("早退扣款（页面测试）")
    _in_form(at.text_input, form, "阈值").input("1")
    _in_form(at.text_input, form, "金额 / 比例 / 分值").input("20")
    _in_form(at.checkbox, form, "按次计算").check()
    _submit(at, form).click().run()
    errors = _errors(at)
    assert len(errors) == 1 and "条件：规则必须有条件" in errors[0]
    assert len(rules.list_rules(actor=manager)) == before

    _in_form(at.selectbox, form, "指标 / 考勤 / 奖惩项目").set_value("att:early_count")
    _submit(at, form).click().run()
    _ok(at)
    assert "已保存规则：早退扣款（页面测试）" in _toasts(at)
    saved = next(r for r in rules.list_rules(actor=manager) if r.name == "早退扣款（页面测试）")
    assert (saved.condition, saved.consequence, saved.active) == ("早退次数 ≥ 1 次", "每次扣 20.00 元", True)
    listed = next(d.value for d in at.dataframe if "condition" in d.value.columns and "consequence" in d.value.columns)
    assert "早退次数 ≥ 1 次" in set(listed["condition"])


def test_the_kpi_editor_rows_round_trip_to_the_entries_the_service_takes(demo_db):
    for post in ("客服主管", "收费员", "维修工"):
        rows = rules.post_kpis(actor=SYSTEM_ACTOR, post=post)
        frame = catalog_frame(rows)
        assert len(frame) == len(rules.KPI_CATALOG) and int(frame["use"].sum()) == len(rows)
        entries = entries_from_frame(frame)  # in catalog order, as post_kpis lists them
        assert [(e.kpi, e.target, e.weight, e.scope, e.direction) for e in entries] == [
            (r.kpi, rules.typed_measure(r.kind, r.target), r.weight, r.scope, r.direction) for r in rows]
        # a cleared weight cell comes back empty (the service then names the field), not NaN or 0
        cleared = frame.copy()
        cleared.loc[cleared["use"], "weight"] = None
        assert {e.weight for e in entries_from_frame(cleared)} == {""}


def test_the_kpi_editor_refuses_weights_not_totalling_100_and_saves_a_set_that_does(own_db):
    post = "客服主管"
    current = rules.post_kpis(actor=SYSTEM_ACTOR, post=post)
    versions = {r.kpi: r.version for r in current}
    frame = catalog_frame(current)
    used = [int(i) for i in frame.index[frame["use"]]]
    first, second = used[0], used[1]
    w1, w2 = int(frame.loc[first, "weight"]), int(frame.loc[second, "weight"])
    key = f"ap:catalog:{post}:{sorted(versions.items())}"

    at = _page("manager", "考核规则")
    assert at.selectbox(key="ap:catalog_post").value == post
    at.session_state[key] = {"edited_rows": {first: {"weight": w1 + 5}}, "added_rows": [], "deleted_rows": []}
    at.run()
    assert any(w.value == "权重合计 105%（须为 100%）" for w in at.warning)
    at.button(key="ap:catalog_save").click().run()
    assert _errors(at) == ["权重合计：应为 100%（现为 105%）"]
    assert [(r.kpi, r.weight) for r in rules.post_kpis(actor=SYSTEM_ACTOR, post=post)] == [
        (r.kpi, r.weight) for r in current]

    at.session_state[key] = {"edited_rows": {first: {"weight": w1 + 5}, second: {"weight": w2 - 5}},
                             "added_rows": [], "deleted_rows": []}
    at.run()
    assert any(s.value == "权重合计 100%（须为 100%）" for s in at.success)
    at.button(key="ap:catalog_save").click().run()
    _ok(at)
    assert f"已保存 {post} 的 {len(current)} 项考核指标" in _toasts(at)
    after = {r.kpi: r.weight for r in rules.post_kpis(actor=SYSTEM_ACTOR, post=post)}
    assert (after[frame.loc[first, "kpi"]], after[frame.loc[second, "kpi"]]) == (w1 + 5, w2 - 5)
    assert sum(after.values()) == 100


def test_a_rule_edited_on_the_page_changes_the_next_draft_but_not_an_approved_card(own_db):
    """Last month is approved. One card with 1–2 late arrivals is reopened (a draft again); another with 1–2
    stays approved. On 考核规则 the manager raises 迟到扣款（每月不足 3 次） from 1% to 2% of base salary and
    rebuilds the month: the draft now deducts base x 2% x lates, the approved card still 1%, byte for byte."""
    period = _last_complete()
    manager, admin = _actor("manager"), _actor("sysadmin")
    late = [r for r in _view("sysadmin", period).itertuples() if r.late_count in (1, 2)]
    assert len(late) >= 2, "the demo month has two people late once or twice"
    reopened, kept = late[0], late[1]
    appraisal.reopen(actor=admin, card_id=int(reopened.card_id), version=int(reopened.version), reason="规则调整后重算")
    frozen = appraisal.scorecard(actor=admin, card_id=int(kept.card_id))

    rule = next(r for r in rules.list_rules(actor=manager) if r.name == "迟到扣款（每月不足 3 次）")
    at = _page("manager", "考核规则", "奖惩规则")
    at.selectbox(key="ap:rule_pick").set_value(rule.id).run()
    form = f"ap:rule:{rule.id}:{rule.version}"
    _in_form(at.text_input, form, "金额 / 比例 / 分值").input("2")
    _submit(at, form).click().run()
    _ok(at)
    assert "已保存规则：迟到扣款（每月不足 3 次）" in _toasts(at)
    assert next(r for r in rules.list_rules(actor=manager) if r.id == rule.id).consequence == "每次扣基本工资的 2%"

    at = _open_month(_page("sysadmin"), period)
    at.button(key="ap:build").click().run()
    _ok(at)
    assert "已生成 0 张、重算 1 张草稿；" in " ".join(_toasts(at))
    redone = appraisal.scorecard(actor=admin, card_id=int(reopened.card_id))
    assert redone.status == DRAFT
    assert redone.lateness_deduction == (redone.base_salary * 2 / 100 * redone.late_count).quantize(CENT)
    assert any("每次扣基本工资的 2%" in r.explanation for r in redone.rules if r.triggered)
    assert appraisal.scorecard(actor=admin, card_id=int(kept.card_id)) == frozen
    assert frozen.lateness_deduction == (frozen.base_salary / 100 * frozen.late_count).quantize(CENT)
