"""我的工单 on a phone (390 x 844, touch): an engineer signs in, finds the ticket dispatched to them, sees its
photo, accepts it, adds a photo of the finished work and completes it as paid work with its cost.

Every button the engineer needs must be inside the screen's width (nothing squashed or pushed off to the
right); the screenshot /tmp/phone_mine.png (and test-artifacts/phone_mine.png) shows the panel as they see it.
"""

from __future__ import annotations

import io
import sqlite3
from datetime import datetime

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    ARTIFACTS,
    DEMO_PASSWORD,
    GRID_IFRAME,
    IDLE,
    TOAST_RECORDER,
    rerun,
    submit_login,
    toasts,
    wait_for_toast,
    watch_runs,
)

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
APP_ERROR = "抱歉，系统出了点问题"
CONTENT = "卫生间吊顶渗水，已滴到洗手台"
DONE_NOTE = "更换卫生间上水软管一根"
SCREENSHOT = "/tmp/phone_mine.png"


def _png(color: tuple[int, int, int], size=(800, 600)) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", size, color)
    ImageDraw.Draw(image).rectangle((size[0] // 4, size[1] // 4, size[0] * 3 // 4, size[1] * 3 // 4),
                                    fill=(255, 255, 255))
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _dispatched_to_the_engineer() -> tuple[int, str]:
    """A repair taken at the desk with a photo, dispatched to the demo engineer (through the services)."""
    from services.estate.households import unit_card
    from services.estate.people import search
    from services.platform.auth import SYSTEM_ACTOR, authenticate
    from services.platform.clock import SHANGHAI
    from services.tickets import workflow as tickets

    desk = authenticate(username="service", password=DEMO_PASSWORD)
    engineer = authenticate(username="engineer", password=DEMO_PASSWORD)
    hit = next(h for h in search(actor=SYSTEM_ACTOR, text="2-1-301"))
    card = unit_card(actor=SYSTEM_ACTOR, unit_id=hit.unit_id)
    ticket_id, number = tickets.take(actor=desk, photos=[("吊顶渗水.png", _png((70, 110, 160)))],
                                     intake=tickets.Intake(
        ticket_type="报修", channel="电话", estate_id=card.estate_id, unit_id=hit.unit_id, caller_name="业主",
        caller_phone="", content=CONTENT, department="工程",
        received_at=datetime.now(SHANGHAI).replace(second=0, microsecond=0)))  # minutes, as the intake form
    tickets.move(actor=desk, ticket_id=ticket_id, version=_raw(ticket_id)["version"], action="dispatch",
                 assignee_id=engineer.user_id)
    return ticket_id, number


def _raw(ticket_id: int) -> dict:
    """The stored ticket row, straight from the server's SQLite file (cost in cents)."""
    from db.engine import database_url

    with sqlite3.connect(database_url().removeprefix("sqlite:///")) as conn:
        conn.row_factory = sqlite3.Row
        return dict(conn.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone())


def _phone(browser, pages) -> Page:
    ctx = browser.new_context(viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
                              locale="zh-CN", timezone_id="Asia/Shanghai")
    ctx.set_default_timeout(30_000)
    ctx.add_init_script(TOAST_RECORDER)
    pages.contexts.append(ctx)  # closed, and screenshotted on failure, with the others
    return watch_runs(ctx.new_page())


def within_the_screen(page: Page, loc: Locator) -> None:
    """`loc` is visible, not squashed, and neither its left nor its right edge is off the phone's screen."""
    expect(loc).to_be_visible()
    loc.scroll_into_view_if_needed()
    box = loc.bounding_box()
    assert box is not None
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"] + 0.5, (box, loc)
    assert box["width"] >= 44 and box["height"] >= 30, ("too small to tap", box, loc)


def no_sideways_scrolling(page: Page) -> None:
    """The page itself is no wider than the phone (the grid scrolls inside its own frame)."""
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page is {width}px wide on a {PHONE['width']}px screen"


def move(page: Page, panel: Locator, label: str) -> Locator:
    button = panel.get_by_role("button", name=label, exact=True)
    within_the_screen(page, button)
    with rerun(page):
        button.tap()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_be_visible()
    return dialog


def confirm(page: Page, dialog: Locator, toast: str) -> None:
    button = dialog.get_by_role("button", name="确认")
    within_the_screen(page, button)
    with rerun(page):
        button.tap()
    assert wait_for_toast(page, toast, timeout=15_000), f"no toast {toast!r}; toasts: {toasts(page)}"
    expect(page.get_by_role("dialog")).to_have_count(0)


def test_an_engineer_accepts_and_completes_their_ticket_on_a_phone(browser, pages, db):
    from services.platform.auth import SYSTEM_ACTOR
    from services.tickets.photos import list_photos

    ticket_id, number = _dispatched_to_the_engineer()
    page = _phone(browser, pages)

    # a bookmark to /tickets on the phone; the sidebar stays folded away
    page.goto(f"{db.base_url}/tickets")
    submit_login(page, "engineer", DEMO_PASSWORD)
    expect(page.get_by_role("heading", name="报事", exact=True)).to_be_visible()
    no_sideways_scrolling(page)

    tab = page.get_by_role("tab", name="我的工单", exact=True)
    within_the_screen(page, tab)
    with rerun(page):  # the tabs are lazy: opening one reruns the script to draw it
        tab.tap()
    mine = page.get_by_role("tabpanel", name="我的工单", exact=True)
    expect(mine).to_be_visible()
    expect(mine.frame_locator(GRID_IFRAME).get_by_text(number, exact=True)).to_be_visible()

    picker = mine.get_by_label("打开", exact=True)
    within_the_screen(page, picker)
    picker.tap()
    with rerun(page):
        page.get_by_role("option", name=number, exact=True).tap()
    heading = mine.get_by_role("heading", name=f"{number} · 报修 · 已派单", exact=True)
    expect(heading).to_be_visible()
    expect(mine.get_by_text(CONTENT)).to_be_visible()
    expect(mine.get_by_role("img", name="吊顶渗水.png")).to_have_count(1)
    no_sideways_scrolling(page)

    # 接单
    confirm(page, move(page, mine, "接单"), f"工单 {number} 已接单")
    expect(mine.get_by_role("heading", name=f"{number} · 报修 · 处理中", exact=True)).to_be_visible()
    assert _raw(ticket_id)["status"] == "处理中"

    # a photo of the finished work
    dialog = move(page, mine, "添加照片")
    dialog.locator("input[type='file']").set_input_files(files=[
        {"name": "修好了.png", "mimeType": "image/png", "buffer": _png((60, 160, 90))}])
    expect(dialog.get_by_text("修好了.png")).to_be_visible()
    confirm(page, dialog, "已添加 1 张照片")
    assert [p.filename for p in list_photos(actor=SYSTEM_ACTOR, ticket_id=ticket_id)] == ["吊顶渗水.png", "修好了.png"]
    expect(mine.get_by_role("img", name="修好了.png")).to_have_count(1)

    # 完成, as paid work with its cost
    dialog = move(page, mine, "完成")
    charge = dialog.get_by_role("radiogroup", name="有偿/无偿")
    within_the_screen(page, charge)
    charge.get_by_text("有偿", exact=True).tap()
    expect(charge.get_by_role("radio", name="有偿")).to_be_checked()
    cost = dialog.get_by_label("费用", exact=True)
    expect(cost).to_have_value("¥0.00")
    cost.fill("85.5")
    dialog.get_by_label("说明", exact=True).fill(DONE_NOTE)
    confirm(page, dialog, f"工单 {number} 已完成")
    expect(mine.get_by_role("heading", name=f"{number} · 报修 · 待回访", exact=True)).to_be_visible()
    expect(mine.get_by_text("有偿/无偿 有偿 · 费用 ¥85.50", exact=True)).to_be_visible()
    raw = _raw(ticket_id)
    assert (raw["status"], raw["paid"], raw["cost"]) == ("待回访", 1, 8550)  # cost in cents
    assert raw["completed_at"]

    no_sideways_scrolling(page)
    assert page.get_by_text(APP_ERROR).count() == 0

    # what the engineer sees after completing: the ticket at the top of the phone's screen ...
    page.wait_for_selector(IDLE)
    done = mine.get_by_role("heading", name=f"{number} · 报修 · 待回访", exact=True)
    done.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(500)  # images and the timeline table settle
    page.screenshot(path=SCREENSHOT)
    # ... and the whole page at the phone's width, for the record
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": PHONE["width"], "height": 5000})
    page.wait_for_timeout(800)
    page.screenshot(path=str(ARTIFACTS / "phone_mine.png"))
