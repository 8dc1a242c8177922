"""/relations, tabs 业主访谈 and 社区活动, in a real browser: the front desk records a due visit with a follow-up
ticket and reads the progress; registers a held activity and reads the year's boards. Screenshots of each step are
kept under test-artifacts/ (relations-visits-*.png, relations-activities-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, GRID_IFRAME, open_tab, rerun, sign_in, wait_for_toast

pytestmark = pytest.mark.e2e

HIDE_TOASTS = "[data-testid='stToastContainer'] { visibility: hidden; }"  # toasts are checked, not pictured


def _shot(page: Page, name: str) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.mouse.move(5, 5)  # no hover tooltip over the page
    page.wait_for_timeout(500)  # charts and grids settle after drawing
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), style=HIDE_TOASTS, full_page=True)


def _section(page: Page, panel, name: str) -> None:
    with rerun(page):
        panel.get_by_role("radio", name=name, exact=True).click()  # a segmented control


def test_the_front_desk_records_a_due_visit_with_a_ticket_and_reads_the_progress(pages, db):
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery
    from services.relations import visits

    before = visits.list_visits(actor=SYSTEM_ACTOR, query=ListQuery()).total
    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1700})
    sign_in(page, db.base_url, "service", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "业主访谈")
    expect(panel.get_by_text("访谈完成率", exact=True)).to_be_visible()
    expect(panel.get_by_text("面访比例", exact=True)).to_be_visible()
    expect(panel.get_by_text("本月待访及逾期")).to_be_visible()

    panel.get_by_label("访谈对象 *").fill("业主本人 何女士")
    panel.get_by_label("访谈内容 *").fill("业主反映厨房烟道有异味，其他服务满意")
    panel.get_by_text("需要跟进：同时生成工单").click()
    panel.get_by_label("工单内容").fill("厨房烟道返味，请工程部上门检查止回阀")
    _shot(page, "relations-visits-record.png")
    with rerun(page):
        panel.get_by_role("button", name="登记访谈", exact=True).click()
    assert wait_for_toast(page, "访谈已登记，跟进工单 BX", timeout=15_000)

    listed = visits.list_visits(actor=SYSTEM_ACTOR, query=ListQuery())
    assert listed.total == before + 1
    newest = listed.rows.iloc[0]
    assert (newest["content"], newest["visitor"], newest["way"]) == ("业主反映厨房烟道有异味，其他服务满意", "林晓燕",
                                                                     "上门")
    assert str(newest["ticket"]).startswith("BX")

    _section(page, panel, "访谈记录")
    grid = panel.frame_locator(GRID_IFRAME).first
    expect(grid.get_by_text(str(newest["ticket"]))).to_be_visible()
    _shot(page, "relations-visits-records.png")

    _section(page, panel, "完成进度")
    expect(panel.get_by_text(f"{newest['visited_on'].year} 年按人员")).to_be_visible()
    expect(panel.locator("[data-testid='stVegaLiteChart']")).to_have_count(2)
    _shot(page, "relations-visits-progress.png")


def test_the_manager_sees_the_plan_and_its_preview(pages, db):
    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1700})
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "业主访谈")
    expect(panel.get_by_text("全中心访谈")).to_be_visible()
    _section(page, panel, "访谈计划")
    grid = panel.frame_locator(GRID_IFRAME).first
    expect(grid.get_by_text("逾期未访").first).to_be_visible()
    with rerun(page):
        panel.get_by_role("button", name="预览计划").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("已在计划中（不变）户数")).to_be_visible()
    _shot(page, "relations-visits-plan.png")


def test_the_front_desk_registers_an_activity_and_reads_the_boards(pages, db):
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery
    from services.relations import activities

    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1700})
    sign_in(page, db.base_url, "service", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "社区活动")
    expect(panel.get_by_text("已举办活动", exact=True)).to_be_visible()
    expect(panel.get_by_text("宣传栏按时率", exact=True)).to_be_visible()

    form = panel.get_by_test_id("stForm").filter(has=page.get_by_role("button", name="登记活动", exact=True))
    form.get_by_label("活动名称 *").fill("冬至包饺子")
    form.get_by_label("活动地点 *").fill("会所多功能厅")
    form.get_by_label("参与人数 *").fill("48")
    form.get_by_label("实际费用（元）").fill("860.00")
    form.get_by_label("备注").fill("邀请独居长者一起包饺子")
    _shot(page, "relations-activities-form.png")
    with rerun(page):
        form.get_by_role("button", name="登记活动", exact=True).click()
    assert wait_for_toast(page, "已登记活动：冬至包饺子", timeout=15_000)
    rows = activities.list_activities(actor=SYSTEM_ACTOR, year=None, query=ListQuery(search="冬至包饺子")).rows
    assert list(zip(rows["participants"], rows["cost"].map(str), rows["status"], strict=True)) == [
        (48, "860.00", "已举办")]
    grid = panel.frame_locator(GRID_IFRAME).first
    expect(grid.get_by_text("冬至包饺子")).to_be_visible()
    expect(grid.get_by_text("¥860.00")).to_be_visible()
    _shot(page, "relations-activities.png")

    _section(page, panel, "宣传栏")
    expect(panel.get_by_text(f"{rows.iloc[0]['held_on'].year} 年宣传栏")).to_be_visible()
    latest = activities.list_bulletins(actor=SYSTEM_ACTOR, year=rows.iloc[0]["held_on"].year,
                                       query=ListQuery(page_size=1)).rows
    if len(latest):  # (the first days of January have no board of the year yet)
        boards = panel.frame_locator(GRID_IFRAME).first  # the register under the twelve months' table
        expect(boards.get_by_text(latest.iloc[0]["title"]).first).to_be_visible()
    _shot(page, "relations-activities-boards.png")

