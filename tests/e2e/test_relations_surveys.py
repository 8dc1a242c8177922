"""/relations, tab 满意度调查, in a real browser: the front desk enters a household's paper sheet for the running
round, then reads the round's results (Altair charts, tables); screenshots of both kept under test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, GRID_IFRAME, open_tab, rerun, sign_in, wait_for_toast

pytestmark = pytest.mark.e2e

HIDE_TOASTS = "[data-testid='stToastContainer'] { visibility: hidden; }"  # toasts are checked, not pictured


def _shot(page: Page, name: str) -> None:
    page.set_viewport_size({"width": 1500, "height": 2000})  # the whole tab (the page scrolls inside the app)
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.mouse.move(5, 5)  # no hover tooltip over the page
    page.wait_for_timeout(500)  # charts settle after drawing
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), style=HIDE_TOASTS)
    page.set_viewport_size({"width": 1500, "height": 1000})


def test_the_front_desk_enters_a_sheet_and_reads_the_results(pages, db):
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery
    from services.relations import surveys

    rnd = surveys.round_choices(actor=SYSTEM_ACTOR)[0]  # the tab opens on the latest round
    assert rnd.status == "进行中"
    code = str(surveys.list_households(actor=SYSTEM_ACTOR, query=ListQuery(
        filters={"round_id": rnd.id, "state": "未答"}, page_size=1)).rows.iloc[0]["code"])
    before = surveys.survey_coverage(round_id=rnd.id).responded
    questions = surveys.round_detail(actor=SYSTEM_ACTOR, round_id=rnd.id).questions

    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, db.base_url, "service", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "满意度调查")
    expect(panel.get_by_text("综合满意率", exact=True)).to_be_visible()
    expect(panel.get_by_role("combobox", name="调查轮次")).to_have_value(rnd.label)

    box = panel.get_by_label("查找住户")
    with rerun(page):
        box.fill(code)
        box.press("Enter")
    expect(panel.get_by_text(f"{code} 的答卷")).to_be_visible()
    panel.get_by_label("受访人").fill("王女士")
    for q in questions:  # inside the form: ticking does not rerun
        group = panel.get_by_role("radiogroup", name=f"{q.position}. {q.text}")
        group.get_by_text("基本满意" if q.text in ("停车管理", "收费透明") else "满意", exact=True).click()
    panel.get_by_label("意见建议").fill("地库照明不足，晚上停车不方便")
    _shot(page, "relations-surveys-entry.png")
    with rerun(page):
        panel.get_by_role("button", name="保存答卷").click()
    assert wait_for_toast(page, f"已录入 {code} 的答卷", timeout=15_000)
    assert surveys.survey_coverage(round_id=rnd.id).responded == before + 1
    [row] = surveys.list_responses(actor=SYSTEM_ACTOR, query=ListQuery(
        filters={"round_id": rnd.id}, search=code, page_size=5)).rows.to_dict("records")
    assert (row["respondent"], row["overall"], row["answered"]) == ("王女士", "满意", len(questions))

    with rerun(page):
        panel.locator("[data-testid='stButtonGroup']").get_by_text("调查结果", exact=True).click()
    expect(panel.get_by_text("各楼栋综合满意率")).to_be_visible()
    expect(panel.get_by_text("各题答案分布")).to_be_visible()
    expect(panel.locator("[data-testid='stVegaLiteChart']")).to_have_count(3)
    expect(panel.get_by_role("button", name="导出调查结果")).to_be_visible()
    _shot(page, "relations-surveys-results.png")


def test_the_manager_sees_the_questionnaire_the_rounds_and_the_responses(pages, db):
    from services.platform.auth import SYSTEM_ACTOR
    from services.relations import surveys

    rnd = surveys.round_choices(actor=SYSTEM_ACTOR)[0]
    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "满意度调查")
    views = panel.locator("[data-testid='stButtonGroup']")
    with rerun(page):
        views.get_by_text("问卷与轮次", exact=True).click()
    expect(panel.get_by_role("heading", name="问卷")).to_be_visible()
    expect(panel.get_by_role("heading", name="调查轮次")).to_be_visible()
    grids = panel.locator(GRID_IFRAME)
    expect(grids).to_have_count(2)
    expect(grids.first.content_frame.get_by_text("秩序维护与安全")).to_be_visible()
    expect(grids.nth(1).content_frame.get_by_text(rnd.name).first).to_be_visible()
    expect(panel.get_by_role("button", name="结束本轮调查")).to_be_visible()
    _shot(page, "relations-surveys-manage.png")

    with rerun(page):
        views.get_by_text("答卷", exact=True).click()
    expect(panel.locator(GRID_IFRAME)).to_have_count(1)
    expect(panel.locator(GRID_IFRAME).content_frame.get_by_text("总体评价")).to_be_visible()
    _shot(page, "relations-surveys-responses.png")
