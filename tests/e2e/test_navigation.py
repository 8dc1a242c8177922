"""Navigation by role in a real browser: a role sees only the pages it may use."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, IDLE, PROJECT_ROOT, open_page, sidebar_nav, sign_in

pytestmark = pytest.mark.e2e

ALL_PAGES = ("首页", "房屋档案", "报事", "收费", "客户关系", "员工考核", "操作日志", "系统管理", "我的账户")


@pytest.mark.parametrize(
    ("username", "visible"),
    [
        ("cashier", {"首页", "房屋档案", "报事", "收费", "员工考核", "我的账户"}),
        ("manager", {"首页", "房屋档案", "报事", "收费", "客户关系", "员工考核", "操作日志", "系统管理", "我的账户"}),
        ("sysadmin", set(ALL_PAGES)),
    ],
)
def test_sidebar_shows_only_the_pages_of_the_role(pages, server, username, visible):
    page = pages.new()
    sign_in(page, server.base_url, username, DEMO_PASSWORD)
    nav = sidebar_nav(page)
    for label in ALL_PAGES:
        expect(nav.get_by_role("link", name=label, exact=True)).to_have_count(1 if label in visible else 0)
    expect(nav.get_by_role("link")).to_have_count(len(visible))

    if username == "sysadmin":
        open_page(page, "admin")
        expect(page.get_by_role("tab", name="用户")).to_be_visible()
        # every tab holds a grid; the users' is the one shown
        users = page.get_by_role("tabpanel", name="用户", exact=True)
        expect(users.locator("iframe[title='st_aggrid.AgGrid.agGrid']")).to_be_visible()
        page.wait_for_selector(IDLE)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "admin.png"), full_page=True)


def test_cashier_opening_the_admin_address_does_not_get_the_admin_page(pages, server):
    page = pages.new()
    sign_in(page, server.base_url, "cashier", DEMO_PASSWORD)
    page.goto(f"{server.base_url}/admin")  # a new session: signs in again on that address
    page.get_by_label("用户名").fill("cashier")
    page.get_by_label("密码").fill(DEMO_PASSWORD)
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    page.wait_for_selector(IDLE)
    expect(page.get_by_role("heading", name="系统管理")).to_have_count(0)
    expect(page.get_by_role("tab", name="用户")).to_have_count(0)


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_deep_link_on_a_fresh_server_shows_the_sign_in_form(pages, server):
    """Regression: with the screens in a folder named pages/, Streamlit ran pages/owners.py directly
    (no sign-in gate, sidebar listing app/admin/...) until some session had opened / first."""
    port = _free_port()
    bindir = Path(sys.executable).parent
    env = {**os.environ, "DATABASE_URL": server.db_url}
    proc = subprocess.Popen(
        [str(bindir / "streamlit"), "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        page = pages.new()
        deadline = time.monotonic() + 60
        while True:
            try:
                page.goto(f"http://127.0.0.1:{port}/owners")
                break
            except Exception:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.5)
        page.wait_for_selector(IDLE)
        expect(page.get_by_role("link", name="admin")).to_have_count(0)
        expect(page.get_by_label("用户名")).to_be_visible()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
