"""/owners 查找 in a real browser: find a unit by pinyin, open its card, run a move-in, see the result."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import DEMO_PASSWORD, open_tab, rerun, sign_in, wait_for_toast

pytestmark = pytest.mark.e2e


def _vacant_unit_with_owner():
    """A 空置 unit of the demo estate and its owner's name (read through the services)."""
    from db.search_keys import pinyin_initials
    from services.estate.households import unit_card, vacancy_ledger
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery

    rows = vacancy_ledger(actor=SYSTEM_ACTOR, query=ListQuery(filters={}, page_size=200)).rows
    for r in rows[rows.status == "空置"].itertuples():
        card = unit_card(actor=SYSTEM_ACTOR, unit_id=int(r.id))
        owners = card.residents[card.residents.role == "业主"]
        if len(owners) == 1 and len(card.residents) == 1:
            name = owners.iloc[0]["name"]
            return card, name, pinyin_initials(name)
    raise AssertionError("the demo estate has no vacant unit with an owner")


def test_find_by_pinyin_open_the_card_move_in_and_see_status_and_audit(pages, db):
    from services.admin.audit_log import list_audit
    from services.estate.households import unit_card
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery

    card, owner, initials = _vacant_unit_with_owner()
    page = pages.new()
    sign_in(page, db.base_url, "service", DEMO_PASSWORD, path="owners")

    box = page.get_by_label("查找房屋或人员")
    with rerun(page):
        box.fill(initials)
        box.press("Enter")
    hit = page.get_by_role("button", name=f"{card.estate} · {card.code}")
    expect(hit.first).to_be_visible()
    expect(page.get_by_text("按拼音首字母")).to_be_visible()
    with rerun(page):
        hit.first.click()
    expect(page.get_by_role("heading", name=f"{card.estate} {card.code}")).to_be_visible()
    expect(page.get_by_text("空置", exact=True).first).to_be_visible()  # the status badge

    with rerun(page):
        page.get_by_role("button", name="入伙", exact=True).click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("heading", name="入伙")).to_be_visible()
    dialog.get_by_label("姓名 *").fill("林小雨")
    dialog.get_by_label("手机号").fill("13912345678")
    dialog.get_by_label("身份 *").click()
    page.get_by_role("option", name="租客").click()
    with rerun(page):
        dialog.get_by_role("button", name="确认入伙").click()

    assert wait_for_toast(page, "林小雨 已办理入伙", timeout=15_000)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(page.get_by_text("出租", exact=True).first).to_be_visible()  # the badge follows the move-in
    open_tab(page, "动态")
    expect(page.get_by_text("林小雨（租客）入伙").first).to_be_visible()
    after = unit_card(actor=SYSTEM_ACTOR, unit_id=card.id)
    assert after.status == "出租"
    assert set(after.residents["name"]) == {owner, "林小雨"}
    assert after.timeline.iloc[0]["kind"] == "入伙"

    audit = list_audit(actor=SYSTEM_ACTOR, query=ListQuery(filters={"entity": "units"})).rows
    moved = audit[(audit.action == "入伙") & (audit.entity_id == str(card.id))]
    assert len(moved) == 1 and moved.iloc[0]["actor"] == "service"

    # the audit trail shows it to a manager too
    manager = pages.new()
    sign_in(manager, db.base_url, "manager", DEMO_PASSWORD, path="audit")
    expect(manager.locator("iframe[title='st_aggrid.AgGrid.agGrid']").first.content_frame
           .get_by_text("入伙").first).to_be_visible()
