"""The home page 工作台 in a real browser: each role opens on its own day (the front desk, the cashier, the manager
with the 12-month trends, the engineer on a phone), and a number's link opens the board behind it.

Screenshots: test-artifacts/home_<user>.png (looked at: Chinese labels, money right-aligned, the trend charts
readable, nothing cut off on the phone)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, IDLE, rerun, sign_in, watch_runs

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}


def _shot(page, name: str) -> None:
    page.wait_for_selector(IDLE)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"home_{name}.png"), full_page=True)


def test_the_front_desk_opens_on_its_day_and_a_number_opens_its_board(pages, server):
    page = pages.new()
    sign_in(page, server.base_url, "service", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="工作台")).to_be_visible()
    for block in ("今日报事", "回访", "钥匙", "装修"):
        expect(page.get_by_text(block, exact=True).first).to_be_visible()
    _shot(page, "service")
    with rerun(page):
        page.get_by_role("link", name="打开即将超时/已超时").click()
    expect(page).to_have_url(re.compile(r"/tickets"))
    expect(page.get_by_role("tab", name="即将超时/已超时", selected=True)).to_be_visible()


def test_the_cashier_sees_the_days_takings_and_own_collection_rate(pages, server):
    page = pages.new()
    sign_in(page, server.base_url, "cashier", DEMO_PASSWORD)
    for block in ("今日收款", "本周待催缴", "未日结的日期", "我负责房屋的收缴率"):
        expect(page.get_by_text(block, exact=True).first).to_be_visible()
    _shot(page, "cashier")


def test_the_manager_reads_the_month_against_target_and_the_trends(pages, server):
    page = pages.new()
    sign_in(page, server.base_url, "manager", DEMO_PASSWORD)
    expect(page.get_by_text(re.compile(r"\d{4}-\d{2} 指标（与目标比较）"))).to_be_visible()
    expect(page.get_by_text("待我决定", exact=True)).to_be_visible()
    with rerun(page):
        page.get_by_text("显示近12个月趋势").click()
    expect(page.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    _shot(page, "manager")


def test_the_engineer_reads_their_work_orders_on_a_phone(browser, server):
    ctx = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN",
                              timezone_id="Asia/Shanghai")
    try:
        page = watch_runs(ctx.new_page())
        sign_in(page, server.base_url, "engineer", DEMO_PASSWORD)
        expect(page.get_by_text(re.compile(r"我的工单（\d+）"))).to_be_visible()
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"] + 1, f"the page is {width}px wide on a {PHONE['width']}px phone"
        _shot(page, "engineer_phone")
    finally:
        ctx.close()
