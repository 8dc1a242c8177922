"""/admin 上线检查 in a real browser on the demo: every line 已完成 with a link that opens its page in the same
session; a manager reaches the checklist and nothing else of /admin. The screenshot is kept in /tmp/shots."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, GRID_IFRAME, IDLE, open_page, open_tab, rerun, sign_in

pytestmark = pytest.mark.e2e

SHOTS = Path("/tmp/shots")
VIEWPORT = {"width": 1400, "height": 1250}  # the whole checklist: Streamlit scrolls inside the page
LINES = 11


def test_admin_reads_the_checklist_all_done_sees_the_posts_and_follows_a_link(pages, server):
    page = pages.new()
    page.set_viewport_size(VIEWPORT)
    sign_in(page, server.base_url, "sysadmin", DEMO_PASSWORD, "admin")
    panel = open_tab(page, "上线检查")
    expect(panel.get_by_text("上线检查：全部完成")).to_be_visible()
    expect(panel.get_by_text("已完成", exact=True)).to_have_count(LINES)
    expect(panel.get_by_text("待处理", exact=True)).to_have_count(0)
    expect(panel.get_by_text("2 个小区，10 栋楼")).to_be_visible()
    page.wait_for_selector(IDLE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "golive.png"), full_page=True)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "golive.png"), full_page=True)

    # 岗位 sits beside 部门 (opening a tab reruns the script: only the open tab is drawn)
    posts = open_tab(page, "岗位")
    expect(posts.get_by_text("改名后员工和考核指标随之保留", exact=False)).to_be_visible()
    expect(posts.get_by_text("共 10 条")).to_be_visible()
    expect(posts.frame_locator(GRID_IFRAME).get_by_text("物业管理员", exact=True)).to_be_visible()
    page.screenshot(path=str(SHOTS / "posts.png"), full_page=True)

    open_tab(page, "上线检查")
    with rerun(page):
        panel.get_by_role("link", name="收费 › 计费").click()
    expect(page).to_have_url(re.compile(r"/fees$"))
    expect(page.get_by_role("heading", name="收费", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()  # same session: still signed in


def test_a_manager_sees_only_the_checklist_on_admin(pages, server):
    page = pages.new()
    page.set_viewport_size(VIEWPORT)
    sign_in(page, server.base_url, "manager", DEMO_PASSWORD)
    open_page(page, "admin")
    expect(page.get_by_role("tab")).to_have_count(1)
    expect(page.get_by_role("tab", name="上线检查")).to_be_visible()
    expect(page.get_by_text("上线检查：全部完成")).to_be_visible()
    expect(page.get_by_role("tab", name="用户")).to_have_count(0)
    expect(page.get_by_text("管理员 › 公司信息")).to_be_visible()
    page.wait_for_selector(IDLE)
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / "golive_manager.png"), full_page=True)

