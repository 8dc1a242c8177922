"""/appraisal in a real browser (issue 6): the 客服主管 builds the month's drafts, records an incident for one
of her staff, recomputes the card and sees the rule result and the money change, writes comments and submits;
the administrator approves; the card is then locked: no comment form, no 提交, the 已审批 line, and neither a
later incident nor rebuilding the month changes it. The scorecard PDF carries the name and the rule result.

Figures are read through the services (appraisal.month_view / scorecard) and then looked for on screen.
Tables (st.dataframe) are a canvas, so what is checked on screen is DOM text: metrics, headings, captions,
the rule lines (markdown) and toasts.

Screenshots of the month view, an open scorecard, the charts and the rules (1400 wide) are kept in
test-artifacts/.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    ARTIFACTS,
    DEMO_PASSWORD,
    open_tab,
    rerun,
    sidebar_nav,
    sign_in,
    toasts,
    wait_for_toast,
)

pytestmark = pytest.mark.e2e

APP_ERROR = "抱歉，系统出了点问题"
REWARD_TYPE = "重大突发事件处理表现优异"
REWARD_RULE = "突发事件表现优异奖励"
NOTE = "暴雨夜协助业主转移地库车辆"
COMMENTS = "本月收缴工作积极，暴雨夜处置得当，予以奖励"
SCREEN = {"width": 1400, "height": 900}
CARD = {"width": 1400, "height": 1150}  # the whole scorecard, heading to PDF button
TALL = {"width": 1400, "height": 1400}
HIDE_TOASTS = "[data-testid='stToastContainer'] { visibility: hidden; }"  # (toasts are checked, not pictured)


# --- driving the page ------------------------------------------------------------------------------------


def _open_appraisal(page: Page) -> None:
    with rerun(page):
        sidebar_nav(page).get_by_role("link", name="员工考核").click()
    expect(page).to_have_url(re.compile(r"/appraisal$"))
    expect(page.get_by_role("heading", name="员工考核", exact=True)).to_be_visible()


def _tab(page: Page, name: str) -> Locator:
    """Open a tab (a rerun: the tabs are lazy) and return its panel."""
    return open_tab(page, name)


def _choose(page: Page, select: Locator, option: str | re.Pattern, *, reruns: bool) -> None:
    """Open a selectbox and click one of its options (outside a form, a choice reruns the script)."""
    select.click()
    target = page.get_by_role("option", name=option, exact=isinstance(option, str))
    if reruns:
        with rerun(page):
            target.click()
    else:
        target.click()
    expect(page.get_by_role("option")).to_have_count(0)


def _click(page: Page, button: Locator, toast: str) -> None:
    with rerun(page):
        button.click()
    assert wait_for_toast(page, toast, timeout=15_000), f"no toast {toast!r}; toasts: {toasts(page)}"


def _metric(scope: Locator, label: str) -> Locator:
    name = scope.page.get_by_test_id("stMetricLabel").filter(has_text=re.compile(rf"^\s*{re.escape(label)}\s*$"))
    return scope.get_by_test_id("stMetric").filter(has=name).first.get_by_test_id("stMetricValue")


def _month_panel(page: Page, period: str) -> Locator:
    panel = _tab(page, "月度考核")
    month = panel.get_by_role("combobox", name="考核月份", exact=True)
    if month.input_value() != period:
        _choose(page, month, period, reruns=True)
    expect(month).to_have_value(period)
    expect(panel.get_by_text("排名按总分", exact=False)).to_be_visible()
    return panel


def _open_card(page: Page, panel: Locator, staff_no: str, name: str, period: str) -> None:
    picker = panel.get_by_role("combobox", name="打开考核表", exact=True)
    label = re.compile(rf"^{staff_no} {name} · ")
    if not label.match(picker.input_value()):  # (the picker may show that card already)
        _choose(page, picker, label, reruns=True)
    expect(panel.get_by_role("heading", name=f"{name}（{staff_no}）· {period} 月度考核")).to_be_visible()


def _record_incident(page: Page, who: str, kind: str, note: str) -> None:
    panel = _tab(page, "奖惩记录")
    _choose(page, panel.get_by_label("员工", exact=True), who, reruns=False)  # inside the form: no rerun
    _choose(page, panel.get_by_label("奖惩项目", exact=True), kind, reruns=False)
    panel.get_by_label("说明", exact=True).fill(note)
    _click(page, panel.get_by_role("button", name="登记", exact=True), f"已为 {who} 登记：{kind}")


def _shot(page: Page, name: str, size: dict, target: Locator | None = None) -> None:
    page.set_viewport_size(size)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.mouse.move(5, 5)  # no hover tooltip over the page
    if target is not None:
        target.evaluate("(el) => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(300)  # charts and tables settle after a resize
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), style=HIDE_TOASTS)


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)


def _compact(text: str) -> str:
    return "".join(text.split())


# --- reading through the services ------------------------------------------------------------------------


def _actor(username: str):
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import User
    from services.platform.auth import actor_of

    with read_session() as s:
        return actor_of(s.scalars(select(User).where(User.username == username)).one())


def _card(card_id: int):
    from services.appraisal import scorecards as appraisal
    from services.platform.auth import SYSTEM_ACTOR

    return appraisal.scorecard(actor=SYSTEM_ACTOR, card_id=card_id)


def _reward_rule(card):
    return next((r for r in card.rules if r.rule == REWARD_RULE), None)


# --- the flow ---------------------------------------------------------------------------------------------


def test_drafts_built_incident_recomputed_submitted_approved_and_then_locked(pages, db):
    from services.appraisal import scorecards as appraisal
    from services.appraisal import staff
    from services.fees.reports import month_labels
    from services.platform.auth import SYSTEM_ACTOR
    from ui.kit import fmt

    period = month_labels(count=1)[0]
    manager = _actor("manager")
    staff.generate_month_sheet(actor=SYSTEM_ACTOR, period=period)  # on the 1st, today's row is not there yet
    due = appraisal.month_view(actor=manager, period=period)
    assert len(due) > 1 and set(due["card_id"]) == {None} and set(due["department"]) == {"客服部"}

    # --- the 客服主管 builds the month's drafts -------------------------------------------------------
    page = pages.new()
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD)
    _open_appraisal(page)
    panel = _month_panel(page, period)
    expect(_metric(panel, "未生成")).to_have_text(str(len(due)))
    _click(page, panel.get_by_role("button", name="生成/更新考核表"),
           f"已生成 {len(due)} 张、重算 0 张草稿；0 张已提交或已审批，未改动")
    built = appraisal.month_view(actor=manager, period=period)
    expect(_metric(panel, "草稿")).to_have_text(str(len(built)))
    expect(_metric(panel, "未生成")).to_have_text("0")
    scores = [v for v in built["score"] if v is not None]
    expect(_metric(panel, "平均分")).to_have_text(f"{sum(scores) / len(scores):.2f}")
    # someone else's card that only lacks the comments
    row = next(r for r in built.itertuples() if r.staff_id != manager.staff_id and r.missing == "未填写考核评语")
    card_id, who = int(row.card_id), f"{row.staff_no} {row.name}"
    _open_card(page, panel, row.staff_no, row.name, period)
    before = _card(card_id)
    assert _reward_rule(before) is not None and not _reward_rule(before).triggered
    expect(_metric(panel, "奖励")).to_have_text(fmt.money(before.reward))
    expect(panel.get_by_role("button", name="提交", exact=True)).to_be_disabled()  # no comments yet
    _shot(page, "appraisal-month.png", SCREEN)

    # --- ... records a reward for that person, and recomputes the card -------------------------------------
    _record_incident(page, who, f"{REWARD_TYPE}（奖励）", NOTE)
    panel = _tab(page, "月度考核")
    _click(page, panel.get_by_role("button", name="按最新数据重算"), f"已重算 {row.name} 的考核表")
    after = _card(card_id)
    fired = _reward_rule(after)
    assert fired.triggered and fired.money == Decimal("300.00")
    assert after.reward == before.reward + Decimal("300.00")
    assert after.net == before.net + Decimal("300.00")
    assert [d["type"] for d in after.incidents] == [REWARD_TYPE]
    expect(_metric(panel, "奖励")).to_have_text(fmt.money(after.reward))
    expect(_metric(panel, "奖扣合计")).to_have_text(fmt.money(after.net))
    expect(panel.get_by_text(f"：{fired.explanation}", exact=False)).to_be_visible()
    assert "每次奖励 300.00 元" in fired.explanation
    expect(panel.get_by_text(f"· {REWARD_TYPE}（奖励）：{NOTE}", exact=False)).to_be_visible()

    # --- ... writes the comments and submits -----------------------------------------------------------
    panel.get_by_label("考核评语", exact=True).fill(COMMENTS)
    _click(page, panel.get_by_role("button", name="保存评语"), "已保存评语")
    submit = panel.get_by_role("button", name="提交", exact=True)
    expect(submit).to_be_enabled()
    _shot(page, "appraisal-scorecard.png", CARD, panel.get_by_role("heading", name=re.compile("月度考核$")))
    page.set_viewport_size(SCREEN)
    _click(page, submit, f"已提交 {row.name} 的考核表")
    assert _card(card_id).status == "已提交"
    expect(panel.get_by_role("button", name="审批通过")).to_be_visible()

    # --- the administrator approves ------------------------------------------------------------------------
    admin = pages.new()
    sign_in(admin, db.base_url, "sysadmin", DEMO_PASSWORD)
    _open_appraisal(admin)
    board = _month_panel(admin, period)
    _open_card(admin, board, row.staff_no, row.name, period)
    expect(board.get_by_text(COMMENTS)).to_be_visible()
    _click(admin, board.get_by_role("button", name="审批通过"), f"已审批 {row.name} 的考核表")
    approved = _card(card_id)
    assert (approved.status, approved.approved_by, approved.comments) == (
        "已审批", _actor("sysadmin").display_name, COMMENTS)
    assert approved.reward == after.reward and approved.score == after.score

    # the card is locked: the 已审批 line, no comment form, no 提交 / 审批通过 / 重算
    approved_line = f"{approved.approved_by} 于 {fmt.moment(approved.approved_at)} 审批；已审批的考核表不随之后的数据和规则变化"
    expect(board.get_by_text(approved_line)).to_be_visible()
    for label in ("保存评语", "提交", "审批通过", "按最新数据重算"):
        expect(board.get_by_role("button", name=label, exact=True)).to_have_count(0)
    expect(board.get_by_label("考核评语", exact=True)).to_have_count(0)
    expect(_metric(board, "已审批")).to_have_text("1")

    # the PDF of the approved card
    with admin.expect_download() as download:
        board.get_by_role("button", name="下载考核表 PDF").click()
    assert download.value.suggested_filename == f"考核表-{period}-{row.staff_no}.pdf"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert "员工月度考核表" in text and row.name in text and row.staff_no in text
    assert REWARD_RULE in text and _compact(fired.explanation) in text
    assert "未审批" not in text

    # --- later: another reward for the same person, and the month rebuilt: the approved card stays -----
    _record_incident(page, who, f"{REWARD_TYPE}（奖励）", "再次协助业主")
    panel = _tab(page, "月度考核")
    _click(page, panel.get_by_role("button", name="生成/更新考核表"),
           f"已生成 0 张、重算 {len(built) - 1} 张草稿；1 张已提交或已审批，未改动")
    locked = _card(card_id)
    assert (locked.status, locked.reward, locked.net, locked.score, locked.version) == (
        "已审批", approved.reward, approved.net, approved.score, approved.version)
    assert [d["type"] for d in locked.incidents] == [REWARD_TYPE]  # the second one is not on it
    _open_card(page, panel, row.staff_no, row.name, period)
    expect(panel.get_by_text(approved_line)).to_be_visible()
    expect(_metric(panel, "奖励")).to_have_text(fmt.money(approved.reward))
    expect(_metric(panel, "奖扣合计")).to_have_text(fmt.money(approved.net))
    expect(panel.get_by_role("button", name="提交", exact=True)).to_have_count(0)
    expect(panel.get_by_label("考核评语", exact=True)).to_have_count(0)

    # --- the charts and the rules, for the record -------------------------------------------------------------
    charts = _tab(page, "趋势图表")
    expect(charts.get_by_text("各项指标近 12 个月趋势")).to_be_visible()
    expect(charts.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    _shot(page, "appraisal-charts.png", TALL)
    setup = _tab(page, "考核规则")
    open_tab(page, "奖惩规则", within=setup)
    expect(setup.get_by_role("button", name="保存规则")).to_be_visible()
    _shot(page, "appraisal-rules.png", SCREEN)

    for p in (page, admin):
        expect(p.get_by_text(APP_ERROR)).to_have_count(0)
