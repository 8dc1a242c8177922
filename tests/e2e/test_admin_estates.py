"""/admin 用户 › 设置负责小区 in a real browser: the administrator gives a user of every estate one estate only, and
the user's estates are read back from the database. The screenshot is kept as test-artifacts/admin-estates.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ARTIFACTS,
    DEMO_PASSWORD,
    GRID_IFRAME,
    IDLE,
    open_tab,
    rerun,
    sign_in,
    wait_for_toast,
)

pytestmark = pytest.mark.e2e

HIDE_TOASTS = "[data-testid='stToastContainer'] { visibility: hidden; }"  # the toast is checked, not pictured
USERNAME = "sunjh"  # an account of this test's own: the demo users keep the estates other tests expect


def test_the_admin_gives_a_user_one_estate_and_it_is_saved(pages, db):
    from services.admin.reference import estate_options
    from services.platform.auth import SYSTEM_ACTOR, Role
    from services.platform.users import add_user, estate_assignment

    add_user(actor=SYSTEM_ACTOR, username=USERNAME, display_name="孙建华", role=Role.ENGINEER,
             password=DEMO_PASSWORD, must_change_password=False)
    estates = {name: estate_id for estate_id, name in estate_options(actor=SYSTEM_ACTOR)}
    assert len(estates) > 1 and estate_assignment(actor=SYSTEM_ACTOR, username=USERNAME).all_estates

    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1500})  # the whole tab: Streamlit scrolls inside
    sign_in(page, db.base_url, "sysadmin", DEMO_PASSWORD, "admin")
    panel = open_tab(page, "用户")
    panel.get_by_text("设置负责小区", exact=True).click()
    box = panel.get_by_test_id("stExpander").filter(has_text="设置负责小区")
    who = box.get_by_label("用户", exact=True)
    expect(who).to_be_visible()
    who.click()
    page.keyboard.type(USERNAME)  # the list draws only the options in view: typing narrows it
    with rerun(page):  # outside the form: the choice reruns the script and draws the user's form
        page.get_by_role("option", name=f"{USERNAME}（孙建华）", exact=True).click()

    form = box.get_by_test_id("stForm")
    scope = form.get_by_role("radiogroup")
    expect(scope.get_by_role("radio", name="全部小区", exact=True)).to_be_checked()  # as the account was made
    scope.get_by_text("指定小区", exact=True).click()  # inside the form: no rerun until 保存
    form.get_by_label("小区（可多选）", exact=True).click()
    page.get_by_role("option", name="锦绣华庭", exact=True).click()
    page.keyboard.press("Escape")  # a multiselect stays open for more choices
    expect(page.get_by_role("option")).to_have_count(0)
    with rerun(page):
        form.get_by_role("button", name="保存", exact=True).click()
    assert wait_for_toast(page, f"已保存 {USERNAME} 的负责小区（下次登录时生效）")

    saved = estate_assignment(actor=SYSTEM_ACTOR, username=USERNAME)
    assert (saved.all_estates, saved.estate_ids) == (False, (estates["锦绣华庭"],))
    # the form is drawn again from the database: one estate chosen
    form = box.get_by_test_id("stForm")
    expect(form.get_by_role("radio", name="指定小区", exact=True)).to_be_checked()
    expect(form.get_by_text("锦绣华庭", exact=True)).to_be_visible()
    # the users grid, drawn afresh after the save, lists the account with its one estate
    user_row = panel.frame_locator(GRID_IFRAME).locator(".ag-center-cols-container .ag-row", has_text="孙建华")
    expect(user_row).to_contain_text("锦绣华庭")
    page.wait_for_selector(IDLE)
    page.mouse.move(5, 5)  # no hover tooltip in the picture
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-estates.png"), style=HIDE_TOASTS, full_page=True)
