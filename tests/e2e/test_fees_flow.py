"""/fees in a real browser: the cashier takes a payment at the counter, downloads the receipt PDF and asks
for a void; a manager approves it; the unit owes again and the collection rate 收缴率 moves back.

Figures are computed through the services (account, fee_kpis) and then looked for on screen. Tables
(st.dataframe) are drawn on a canvas, so what is checked on screen is DOM text: metrics, the success
line with the receipt number, dialog texts, button labels and toasts.

Screenshots of the counter and of the daily settlement at 1400x900 are kept in test-artifacts/; the refund test
adds the counter with its refund, the approvals tab with the refund request and the settlement sheet with it.
"""

from __future__ import annotations

import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, open_tab, rerun, sidebar_nav, sign_in, wait_for_toast

pytestmark = pytest.mark.e2e

VOID_REASON = "收款方式选错，业主实际用支付宝支付"
SCREENSHOT_VIEWPORT = {"width": 1400, "height": 900}


def _unit_owing_this_month():
    """The unit owing most among those whose only open bill is the current month's (so one payment moves
    this month's collection rate by a visible 0.01% or more), read through the services."""
    from services.fees import arrears, cashier
    from services.fees.reports import month_labels
    from services.platform.auth import SYSTEM_ACTOR

    period = month_labels(count=1)[0]
    owing = arrears.owing_units(actor=SYSTEM_ACTOR, limit=5000)
    for unit_id in owing["unit_id"]:  # most owed first
        acct = cashier.account(actor=SYSTEM_ACTOR, unit_id=int(unit_id))
        if len(acct.bills) == 1 and acct.bills[0].period == period and acct.credit == 0 \
                and not acct.bills[0].pending:
            return acct, period
    raise AssertionError("the demo estate has no unit owing only this month's bill")


def _figures(period: str) -> tuple:
    """(收缴率, 当期实收) of the month, from services.kpi."""
    from services.kpi import fee_kpis

    k = fee_kpis(period)
    return k["collection_rate"], k["collected"]


def _open_fees(page: Page) -> None:
    with rerun(page):
        sidebar_nav(page).get_by_role("link", name="收费").click()
    expect(page).to_have_url(re.compile(r"/fees$"))
    expect(page.get_by_role("heading", name="收费", exact=True)).to_be_visible()


def _metric(scope: Page | Locator, label: str) -> Locator:
    return scope.get_by_test_id("stMetric").filter(has_text=label).first.get_by_test_id("stMetricValue")


def _find_unit(page: Page, estate: str, code: str) -> None:
    box = page.get_by_label("查找房屋或人员")
    with rerun(page):
        box.fill(code)
        box.press("Enter")
    hit = page.get_by_role("button", name=f"{estate} · {code}")
    expect(hit.first).to_be_visible()
    with rerun(page):
        hit.first.click()
    expect(page.get_by_role("heading", name=f"{estate} {code}")).to_be_visible()


def _pdf_text(data: bytes) -> str:
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    return "".join("".join(p.extract_text().replace("\x00", "").split()) for p in reader.pages)


def test_payment_receipt_void_and_approval_put_the_arrears_and_collection_rate_back(pages, db):
    from services.fees import cashier
    from services.platform.auth import SYSTEM_ACTOR
    from ui.kit import fmt

    acct, period = _unit_owing_this_month()
    estate, code = acct.unit_code.split(" ", 1)
    owed = fmt.money(acct.owed)
    rate_before, collected_before = _figures(period)

    # --- the cashier takes the payment -----------------------------------------------------------------
    page = pages.new()
    sign_in(page, db.base_url, "cashier", DEMO_PASSWORD)
    _open_fees(page)
    expect(page.get_by_role("tab", name="收银台")).to_have_attribute("aria-selected", "true")
    page.set_viewport_size(SCREENSHOT_VIEWPORT)  # before the tables are drawn: they keep the widths they got
    _find_unit(page, estate, code)
    expect(_metric(page, "欠费合计")).to_have_text(owed)
    expect(page.locator("input[aria-label='收款金额（元）']")).to_have_value(fmt.plain_hundredths(acct.owed))
    with rerun(page):
        page.get_by_test_id("stRadio").filter(has_text="收款方式").get_by_text("微信", exact=True).click()

    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "fees-counter.png"))

    with rerun(page):
        page.get_by_role("button", name="收款并开收据…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="确认收款")).to_be_visible()
    expect(_metric(dialog, "收款金额（元）")).to_have_text(owed)
    expect(dialog.get_by_text("大写：")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "fees-counter-confirm.png"))
    with rerun(page):
        dialog.get_by_role("button", name="确认收款").click()
    expect(page.get_by_role("dialog")).to_have_count(0)

    paid = cashier.unit_receipts(actor=SYSTEM_ACTOR, unit_id=acct.unit_id)[0]  # newest first
    assert (paid.amount, paid.method, paid.status, paid.cashier) == (acct.owed, "微信", "有效", "黄丽娟")
    expect(page.get_by_text(f"已收款 {owed}（微信），收据号 {paid.receipt_no}")).to_be_visible()
    assert wait_for_toast(page, paid.receipt_no)
    expect(_metric(page, "欠费合计")).to_have_text("¥0.00")
    rate_paid, collected_paid = _figures(period)
    assert collected_paid == collected_before + acct.owed  # this month's bill is collected now
    assert rate_paid > rate_before

    # --- the receipt, as a PDF ---------------------------------------------------------------------------
    with page.expect_download() as download:
        page.get_by_role("button", name="下载收据 PDF").first.click()
    assert download.value.suggested_filename == f"{paid.receipt_no}.pdf"
    data = Path(download.value.path()).read_bytes()
    assert data.startswith(b"%PDF")
    text = _pdf_text(data)
    assert paid.receipt_no in text and "收款收据" in text and "黄丽娟" in text

    # --- ... and the request to void it --------------------------------------------------------------------
    with rerun(page):
        page.get_by_role("button", name="申请作废").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="申请作废收据")).to_be_visible()
    expect(dialog.get_by_text(paid.receipt_no)).to_be_visible()
    dialog.get_by_label("原因（必填）").fill(VOID_REASON)
    with rerun(page):
        dialog.get_by_role("button", name="提交申请").click()
    assert wait_for_toast(page, "申请已提交，等待主管审批", timeout=15_000)
    expect(page.get_by_role("button", name="申请作废")).to_be_disabled()

    # --- the manager sees the collection rate with the payment, and approves the void ---------------
    manager = pages.new()
    sign_in(manager, db.base_url, "manager", DEMO_PASSWORD)
    _open_fees(manager)
    open_tab(manager, "报表")
    with rerun(manager):
        manager.get_by_test_id("stRadio").filter(has_text="收缴率").get_by_text("收缴率", exact=True).click()
    expect(_metric(manager, "收缴率")).to_have_text(fmt.rate(rate_paid))
    expect(_metric(manager, "当期实收")).to_have_text(fmt.money(collected_paid))

    open_tab(manager, "审批")
    card = manager.get_by_test_id("stVerticalBlock").filter(has_text=paid.receipt_no).filter(
        has=manager.get_by_role("button", name="批准")).last
    expect(card.get_by_text(f"原因：{VOID_REASON} · 申请人 黄丽娟", exact=False)).to_be_visible()
    card.get_by_label("审批意见").fill("已核对支付宝流水，同意作废")
    with rerun(manager):
        card.get_by_role("button", name="批准").click()
    assert wait_for_toast(manager, "已批准", timeout=15_000)
    expect(manager.get_by_text(paid.receipt_no)).to_have_count(0)

    assert cashier.receipt(actor=SYSTEM_ACTOR, payment_id=paid.payment_id).status == "已作废"
    assert cashier.account(actor=SYSTEM_ACTOR, unit_id=acct.unit_id).owed == acct.owed
    assert _figures(period) == (rate_before, collected_before)

    open_tab(manager, "报表")
    with rerun(manager):  # any rerun reads the figures again; pick the month again to cause one
        manager.get_by_test_id("stRadio").filter(has_text="收缴率").get_by_text("月度对账单", exact=True).click()
    with rerun(manager):
        manager.get_by_test_id("stRadio").filter(has_text="收缴率").get_by_text("收缴率", exact=True).click()
    expect(_metric(manager, "收缴率")).to_have_text(fmt.rate(rate_before))
    expect(_metric(manager, "当期实收")).to_have_text(fmt.money(collected_before))

    # --- the cashier's counter shows the arrears back, and the receipt reprints as void ------------
    with rerun(page):  # the cashier opens the unit again from the search hits: the page reads it afresh
        page.get_by_role("button", name=f"{estate} · {code}").first.click()
    expect(_metric(page, "欠费合计")).to_have_text(owed)
    expect(page.get_by_role("button", name="重打收据（作废）")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("button", name="重打收据（作废）").click()
    text = _pdf_text(Path(download.value.path()).read_bytes())
    assert paid.receipt_no in text and "作废" in text and VOID_REASON in text

    # --- the day's settlement sheet lists the receipt as voided ---------------------------------------
    open_tab(page, "日结")
    expect(page.get_by_text(re.compile(f"作废收据：.*{paid.receipt_no}"))).to_be_visible()
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "fees-settlement.png"))


REFUND_REASON = "房屋已出售，业主申请退还剩余预存款"


def _unit_with_credit():
    """A demo unit holding prepaid credit (paid ahead in the last weeks) with no refund asked for yet."""
    from db.engine import read_session
    from services.fees import cashier, ledger, refunds
    from services.platform.auth import SYSTEM_ACTOR

    with read_session() as s:
        balances = ledger.credit_balances(s)
    for household, balance in sorted(balances.items(), key=lambda kv: (-kv[1], kv[0])):
        if not household.startswith("U") or balance < 100:
            continue
        unit_id = int(household[1:])
        if not refunds.account_refunds(actor=SYSTEM_ACTOR, unit_id=unit_id):
            return cashier.account(actor=SYSTEM_ACTOR, unit_id=unit_id)
    raise AssertionError("the demo estate has no unit with prepaid credit")


def test_a_refund_asked_at_the_counter_is_approved_printed_paid_out_and_settled(pages, db):
    from services.fees import cashier, refunds
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.clock import local_today
    from ui.kit import fmt

    acct = _unit_with_credit()
    estate, code = acct.unit_code.split(" ", 1)
    amount = Decimal("88.80") if acct.credit > Decimal("88.80") else acct.credit
    ARTIFACTS.mkdir(exist_ok=True)

    # --- the cashier asks for the refund -----------------------------------------------------------------
    page = pages.new()
    sign_in(page, db.base_url, "cashier", DEMO_PASSWORD)
    _open_fees(page)
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    _find_unit(page, estate, code)
    expect(_metric(page, "预存余额")).to_have_text(fmt.money(acct.credit))
    with rerun(page):
        page.get_by_role("button", name="申请退款…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="申请退款")).to_be_visible()
    expect(dialog.get_by_label("退款金额（元）")).to_have_value(fmt.plain_hundredths(acct.credit))
    dialog.get_by_label("退款金额（元）").fill(fmt.plain_hundredths(amount))
    dialog.get_by_label("领款人").fill("业主本人")
    dialog.get_by_label("原因（必填）").fill(REFUND_REASON)
    with rerun(page):
        dialog.get_by_role("button", name="提交申请").click()
    assert wait_for_toast(page, "申请已提交，等待主管审批", timeout=15_000)
    expect(page.get_by_role("button", name="申请退款…")).to_be_disabled()
    [asked] = refunds.account_refunds(actor=SYSTEM_ACTOR, unit_id=acct.unit_id)
    assert (asked.status, asked.amount, asked.payee, asked.requester) == ("待审批", amount, "业主本人", "黄丽娟")

    # --- a manager approves it in 审批 ------------------------------------------------------------------------
    manager = pages.new()
    sign_in(manager, db.base_url, "manager", DEMO_PASSWORD)
    manager.set_viewport_size(SCREENSHOT_VIEWPORT)
    _open_fees(manager)
    open_tab(manager, "审批")
    card = manager.get_by_test_id("stVerticalBlock").filter(has_text=f"退款 · {acct.unit_code}").filter(
        has=manager.get_by_role("button", name="批准")).last
    expect(card.get_by_text(f"原因：{REFUND_REASON} · 申请人 黄丽娟", exact=False)).to_be_visible()
    expect(card.get_by_text(f"{fmt.money(amount)} · 现金 · 领款人 业主本人", exact=False)).to_be_visible()
    manager.set_viewport_size(SCREENSHOT_VIEWPORT)
    card.scroll_into_view_if_needed()
    manager.screenshot(path=str(ARTIFACTS / "fees-refund-approvals.png"))
    card.get_by_label("审批意见").fill("已核对预存余额，同意退款")
    with rerun(manager):
        card.get_by_role("button", name="批准").click()
    assert wait_for_toast(manager, "已批准", timeout=15_000)
    [granted] = refunds.account_refunds(actor=SYSTEM_ACTOR, unit_id=acct.unit_id)
    assert (granted.status, granted.approver) == ("待付款", "陈静怡") and granted.refund_no.startswith("TK")
    assert cashier.account(actor=SYSTEM_ACTOR, unit_id=acct.unit_id).credit == acct.credit - amount

    # --- the cashier prints the 退款单, pays it out, and finds it on the day's sheet ---------------------------
    with rerun(page):  # opening the unit again reads it afresh
        page.get_by_role("button", name=f"{estate} · {code}").first.click()
    expect(_metric(page, "预存余额")).to_have_text(fmt.money(acct.credit - amount))
    with page.expect_download() as download:
        page.get_by_role("button", name="下载退款单 PDF").click()
    assert download.value.suggested_filename == f"{granted.refund_no}.pdf"
    text = _pdf_text(Path(download.value.path()).read_bytes())
    from services.fees.documents import amount_in_words

    for expected in ("退款单", granted.refund_no, "领款人：业主本人", f"房屋：{acct.unit_code.replace(' ', '')}",
                     fmt.money(amount), amount_in_words(amount), "退款方式：现金", "申请人：黄丽娟", "审批人：陈静怡",
                     REFUND_REASON, "领款人签字"):
        assert expected in text, expected

    with rerun(page):
        page.get_by_role("button", name="确认付款…").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="确认退款付款")).to_be_visible()
    expect(dialog.get_by_text(f"大写：{amount_in_words(amount)}")).to_be_visible()
    with rerun(page):
        dialog.get_by_role("button", name="确认已付款").click()
    assert wait_for_toast(page, f"退款单 {granted.refund_no} 已付款", timeout=15_000)
    paid = refunds.refund(actor=SYSTEM_ACTOR, refund_id=granted.refund_id)
    assert (paid.status, paid.paid_by) == ("已付款", "黄丽娟")
    page.set_viewport_size(SCREENSHOT_VIEWPORT)
    page.get_by_role("heading", name=f"{estate} {code}").scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "fees-refund-counter-top.png"))
    page.get_by_text("退款记录", exact=True).evaluate("el => el.scrollIntoView({block: 'start'})")
    page.screenshot(path=str(ARTIFACTS / "fees-refund-counter.png"))

    open_tab(page, "日结")
    sheet = cashier.settlement_sheet(actor=SYSTEM_ACTOR, day=local_today(),
                                     cashier_user_id=_user_id("cashier"))
    assert granted.refund_no in sheet.refunds
    expect(page.get_by_text(re.compile(f"退款单：.*{granted.refund_no}"))).to_be_visible()
    expect(_metric(page, "退款合计")).to_have_text(fmt.money(sheet.refund_total))
    expect(_metric(page, "应交现金")).to_have_text(fmt.money(sheet.cash_expected))
    page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollTo(0, 0)")
    page.screenshot(path=str(ARTIFACTS / "fees-refund-settlement.png"))


def _user_id(username: str) -> int:
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import User

    with read_session() as s:
        return s.scalar(select(User.id).where(User.username == username))
