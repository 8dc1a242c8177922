"""/relations, tab 特约服务, in a real browser: the front desk finds a unit and registers a paid service, the
engineer completes it with the owner's rating, the cashier collects the bill at the counter and the day's 日结
counts it; the manager sees the price list grid and the month.

Figures are read through the services and then looked for on screen (DOM text: headings, metrics, markdown,
toasts; grids and tables draw on a canvas or in an iframe). Screenshots at 1400x900 are kept in test-artifacts/.
"""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import (
    ARTIFACTS,
    DEMO_PASSWORD,
    GRID_IFRAME,
    open_tab,
    rerun,
    sidebar_nav,
    sign_in,
    wait_for_toast,
)

pytestmark = pytest.mark.e2e

SCREENSHOT_VIEWPORT = {"width": 1400, "height": 900}
PHONE = "13987654321"


def _unit_without_arrears():
    """A lived-in demo unit with an owner, owing nothing and holding no prepaid credit (so the service's bill is
    all the counter asks for), read through the services."""
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import Unit
    from services.estate.statuses import UnitStatus
    from services.fees import cashier
    from services.platform.auth import SYSTEM_ACTOR
    from services.relations import paid_services as ps

    with read_session() as s:
        units = list(s.scalars(select(Unit.id).where(Unit.status == UnitStatus.OCCUPIED).order_by(Unit.id)))
    for unit_id in units:
        acct = cashier.account(actor=SYSTEM_ACTOR, unit_id=unit_id)
        if acct.owed == 0 and acct.credit == 0 and ps.unit_contact(actor=SYSTEM_ACTOR, unit_id=unit_id).name:
            return acct
    raise AssertionError("the demo estate has no occupied unit owing nothing")


def _open_services(page: Page) -> Locator:
    with rerun(page):
        sidebar_nav(page).get_by_role("link", name="客户关系").click()
    expect(page).to_have_url(re.compile(r"/relations$"))
    expect(page.get_by_role("heading", name="客户关系", exact=True)).to_be_visible()
    return open_tab(page, "特约服务")


def _pick(page: Page, scope: Locator, label: str, option: str, *, type_in: bool = False) -> None:
    """Open the selectbox `label` and click `option` (a widget outside a form reruns the script); `type_in` first
    types the option to filter a long list (its dropdown draws only the options in view)."""
    scope.get_by_label(label, exact=True).click()
    if type_in:
        page.keyboard.type(option)
    with rerun(page):
        page.get_by_role("option", name=option, exact=True).click()
    expect(page.get_by_role("option")).to_have_count(0)


def _metric(scope: Page | Locator, label: str) -> Locator:
    return scope.get_by_test_id("stMetric").filter(has_text=label).first.get_by_test_id("stMetricValue")


def test_an_order_is_taken_completed_with_a_rating_and_collected_at_the_counter_on_the_days_settlement(pages, db):
    from services.fees import cashier
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.clock import local_today
    from services.platform.listing import ListQuery
    from services.relations import paid_services as ps

    acct = _unit_without_arrears()
    estate, code = acct.unit_code.split(" ", 1)
    ARTIFACTS.mkdir(exist_ok=True)

    # --- the front desk registers the order -------------------------------------------------------------
    page = pages.new()
    sign_in(page, db.base_url, "service", DEMO_PASSWORD)
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    panel = _open_services(page)
    expect(panel.locator(GRID_IFRAME)).to_have_count(1)
    box = panel.get_by_label("查找房屋或人员")
    with rerun(page):
        box.fill(code)
        box.press("Enter")
    hit = panel.get_by_role("button", name=f"{estate} · {code}")
    with rerun(page):
        hit.first.click()
    expect(panel.get_by_text(f"当前房屋：{acct.unit_code}")).to_be_visible()
    with rerun(page):
        panel.get_by_role("button", name="登记特约服务").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="登记特约服务")).to_be_visible()
    _pick(page, dialog, "服务项目 *", "管道疏通 · ¥80.00/次")
    dialog.get_by_label("联系电话 *").fill(PHONE)
    _pick(page, dialog, "服务人员", "S005 赵建国")
    dialog.get_by_label("服务要求").fill("厨房下水慢，下午在家")
    with rerun(page):
        dialog.get_by_label("数量（次）*").fill("1")
        dialog.get_by_label("数量（次）*").press("Enter")
    expect(dialog.get_by_text("预计金额 ¥80.00", exact=False)).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "relations-paid-services-order.png"))
    with rerun(page):
        dialog.get_by_role("button", name="确认登记").click()
    expect(page.get_by_role("dialog")).to_have_count(0)
    [order] = ps.list_orders(actor=SYSTEM_ACTOR, query=ListQuery(search=PHONE)).rows.itertuples()
    assert (order.status, order.item, order.amount, order.staff, order.code) == \
        ("已预约", "管道疏通", Decimal("80.00"), "赵建国", code)
    assert wait_for_toast(page, f"已登记特约服务 {order.order_no}", timeout=15_000)
    card = page.get_by_role("heading", name=f"订单 {order.order_no} · 已预约")
    expect(card).to_be_visible()
    expect(panel.frame_locator(GRID_IFRAME).get_by_text(order.order_no, exact=True)).to_be_visible()
    panel.get_by_text("状态", exact=True).first.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "relations-paid-services.png"))
    card.evaluate("el => el.scrollIntoView({block: 'center'})")
    page.screenshot(path=str(ARTIFACTS / "relations-paid-services-card.png"))

    # --- the engineer completes it with the owner's rating ------------------------------------------------
    engineer = pages.new()
    sign_in(engineer, db.base_url, "engineer", DEMO_PASSWORD)
    engineer.set_viewport_size(SCREENSHOT_VIEWPORT)
    panel = _open_services(engineer)
    expect(panel.frame_locator(GRID_IFRAME).get_by_text(order.order_no, exact=True)).to_be_visible()
    _pick(engineer, panel, "打开", order.order_no, type_in=True)  # the picker under the grid
    expect(engineer.get_by_role("heading", name=f"订单 {order.order_no} · 已预约")).to_be_visible()
    with rerun(engineer):
        engineer.get_by_role("button", name="完成并计费").click()
    dialog = engineer.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="完成特约服务")).to_be_visible()
    _pick(engineer, dialog, "业主评价", "4 星 · 满意")
    dialog.get_by_label("评价内容").fill("师傅准时，疏通干净")
    expect(dialog.get_by_text("生成该房屋的“特约服务”账单 ¥80.00")).to_be_visible()
    engineer.screenshot(path=str(ARTIFACTS / "relations-paid-services-complete.png"))
    with rerun(engineer):
        dialog.get_by_role("button", name="确认完成并生成账单").click()
    expect(engineer.get_by_role("dialog")).to_have_count(0)
    assert wait_for_toast(engineer, f"{order.order_no} 已完成，已生成账单 ¥80.00", timeout=15_000)
    expect(engineer.get_by_text("账单“特约服务” ¥80.00 · 未缴 · 待收 ¥80.00")).to_be_visible()
    done = ps.get_order(actor=SYSTEM_ACTOR, order_id=int(order.id))
    assert (done.status, done.rating, done.comment, done.bill_status) == ("已完成", 4, "师傅准时，疏通干净", "未缴")

    # --- the cashier collects it at the counter; the day's 日结 counts it -------------------------------
    cash = pages.new()
    sign_in(cash, db.base_url, "cashier", DEMO_PASSWORD)
    cash.set_viewport_size(SCREENSHOT_VIEWPORT)
    with rerun(cash):
        sidebar_nav(cash).get_by_role("link", name="收费").click()
    box = cash.get_by_label("查找房屋或人员")
    with rerun(cash):
        box.fill(code)
        box.press("Enter")
    with rerun(cash):
        cash.get_by_role("button", name=f"{estate} · {code}").first.click()
    expect(_metric(cash, "欠费合计")).to_have_text("¥80.00")
    expect(cash.locator("input[aria-label='收款金额（元）']")).to_have_value("80.00")  # 现金, the first method
    with rerun(cash):
        cash.get_by_role("button", name="收款并开收据…").click()
    with rerun(cash):
        cash.get_by_role("dialog").get_by_role("button", name="确认收款").click()
    expect(cash.get_by_role("dialog")).to_have_count(0)
    paid = cashier.unit_receipts(actor=SYSTEM_ACTOR, unit_id=acct.unit_id)[0]
    receipt = cashier.receipt(actor=SYSTEM_ACTOR, payment_id=paid.payment_id)
    assert [(line.item, line.amount) for line in receipt.lines] == [("特约服务", Decimal("80.00"))]
    assert ps.get_order(actor=SYSTEM_ACTOR, order_id=int(order.id)).bill_status == "已缴"
    open_tab(cash, "日结")
    sheet = cashier.settlement_sheet(actor=SYSTEM_ACTOR, day=local_today(), cashier_user_id=_user_id("cashier"))
    assert paid.receipt_no in sheet.receipts
    expect(_metric(cash, "收款合计")).to_have_text(f"¥{sheet.total:,.2f}")
    expect(_metric(cash, "收据张数")).to_have_text(str(len(sheet.receipts)))
    cash.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    cash.screenshot(path=str(ARTIFACTS / "relations-paid-services-settlement.png"))


def test_the_manager_sees_the_price_list_and_the_month(pages, db):
    from db.types import utcnow
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.period import period_of
    from services.relations import paid_services as ps
    from ui.kit import fmt

    page = pages.new()
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD)
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    panel = _open_services(page)
    with rerun(page):
        panel.get_by_text("价目表", exact=True).click()
    frame = panel.frame_locator(GRID_IFRAME)
    expect(frame.get_by_text("管道疏通", exact=True).first).to_be_visible()
    expect(frame.get_by_text("¥80.00").first).to_be_visible()
    expect(panel.get_by_role("button", name="添加")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "relations-paid-services-prices.png"))

    with rerun(page):
        panel.get_by_text("月度汇总", exact=True).click()
    summary = ps.month_summary(actor=SYSTEM_ACTOR, period=period_of(utcnow()))
    expect(_metric(panel, "应收金额")).to_have_text(fmt.money(summary.billed))
    expect(_metric(panel, "完成单数")).to_have_text(str(summary.completed))
    expect(panel.locator("[data-testid='stVegaLiteChart']").first).to_be_visible()
    expect(_metric(panel, "平均评分")).to_have_text(
        "—" if summary.average_rating is None else f"{summary.average_rating} 星")
    page.screenshot(path=str(ARTIFACTS / "relations-paid-services-month.png"), full_page=True)


def _user_id(username: str) -> int:
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import User

    with read_session() as s:
        return int(s.scalar(select(User.id).where(User.username == username)))
