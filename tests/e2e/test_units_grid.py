"""房屋档案 in a real browser: edits in the AG Grid reach the database exactly, or not at all.

Each test works on its own units of the demo estate, so the tests do not depend on each
other's order. Every test checks the screen and reads the database back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import (
    ARTIFACTS,
    DEMO_PASSWORD,
    GRID_IFRAME,
    cell,
    click_save,
    edit_cell,
    find_unit,
    open_page,
    pending,
    raw_unit,
    row,
    search_units,
    sign_in,
    sign_in_again,
    toasts,
    units_area,
    wait_for_toast,
)

pytestmark = pytest.mark.e2e

STALE = "该记录已被他人修改，请刷新后重试"
ERROR = "[data-testid='stAlertContentError']"
SAVED_ONE = "已保存 1 行"


def expect_saved(page) -> None:
    """The save went through: no error, no pending edits left, one fresh grid, the toast."""
    area = units_area(page)
    expect(area.locator(ERROR)).to_have_count(0)
    expect(area.get_by_text("行有未保存的修改")).to_have_count(0)
    expect(area.locator(GRID_IFRAME)).to_have_count(1)
    assert wait_for_toast(page, SAVED_ONE), f"no toast {SAVED_ONE!r}; toasts seen: {toasts(page)}"


def expect_refused(page) -> None:
    assert not any("已保存" in x for x in toasts(page)), f"a save toast appeared: {toasts(page)}"


def test_edited_area_and_delivery_date_are_saved_exactly_and_survive_a_reload(pages, db):
    unit = find_unit("1-1-101")
    assert unit.built_area != Decimal("120.37") and unit.delivered_on != date(2025, 3, 8)
    page = pages.new()
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD, path="owners")
    search_units(page, "1-1-101")
    expect(cell(page, unit.id, "built_area")).to_have_text(str(unit.built_area))

    edit_cell(page, unit.id, "built_area", "120.37")
    pending(page, 1)
    edit_cell(page, unit.id, "delivered_on", "2025-03-08")
    pending(page, 1)
    click_save(page)
    expect_saved(page)

    page.reload()  # a new Streamlit session: sign in again on the same address
    expect(page).to_have_url(f"{db.base_url}/owners")
    sign_in_again(page, "manager", DEMO_PASSWORD)
    search_units(page, "1-1-101")
    expect(cell(page, unit.id, "built_area")).to_have_text("120.37")
    expect(cell(page, unit.id, "delivered_on")).to_have_text("2025-03-08")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "owners.png"), full_page=True)

    after = find_unit("1-1-101")
    assert after.built_area == Decimal("120.37")
    assert str(after.built_area) == "120.37"
    assert type(after.delivered_on) is date and after.delivered_on == date(2025, 3, 8)
    assert after.version == unit.version + 1
    stored = raw_unit(db.db_path, unit.id)
    assert stored["built_area"] == 12037  # integer hundredths, never a float
    assert stored["delivered_on"] == "2025-03-08"


def test_second_editor_of_the_same_cell_gets_stale_edit_and_keeps_their_value(pages, db):
    unit = find_unit("1-1-102")
    first = pages.new()
    second = pages.new()
    sign_in(first, db.base_url, "manager", DEMO_PASSWORD, path="owners")
    sign_in(second, db.base_url, "service", DEMO_PASSWORD, path="owners")
    search_units(first, "1-1-102")
    search_units(second, "1-1-102")
    expect(cell(second, unit.id, "built_area")).to_have_text(str(unit.built_area))

    edit_cell(first, unit.id, "built_area", "111.11")
    click_save(first)
    expect_saved(first)
    assert find_unit("1-1-102").built_area == Decimal("111.11")

    edit_cell(second, unit.id, "built_area", "122.22")
    pending(second, 1)
    click_save(second)
    expect(units_area(second).locator(ERROR)).to_contain_text(STALE)
    expect_refused(second)

    after = find_unit("1-1-102")
    assert after.built_area == Decimal("111.11")
    assert after.version == unit.version + 1
    # nothing the second user typed is lost: it is still in their grid, still pending
    expect(cell(second, unit.id, "built_area")).to_have_text("122.22")
    pending(second, 1)


def test_a_change_made_elsewhere_is_not_reverted_by_saving_another_row(pages, db):
    from services.estate.units import update_units
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.editing import RowEdit

    mine = find_unit("1-1-302")
    theirs = find_unit("1-1-303", estate="锦绣华庭")
    page = pages.new()
    sign_in(page, db.base_url, "clerk", DEMO_PASSWORD, path="owners")
    search_units(page, "1-1-30")
    expect(cell(page, theirs.id, "note")).to_have_text(theirs.note)

    # meanwhile someone else (here: the command line) changes a unit this user has on screen
    update_units(actor=SYSTEM_ACTOR, edits=[RowEdit(id=theirs.id, version=theirs.version,
                                                    changes={"note": "钥匙已交物业"})])
    edit_cell(page, mine.id, "built_area", "88.88")
    pending(page, 1)
    click_save(page)
    expect_saved(page)

    assert find_unit("1-1-302").built_area == Decimal("88.88")
    # the save did not carry the old note of the row the user never touched
    assert find_unit("1-1-303", estate="锦绣华庭").note == "钥匙已交物业"


def test_bad_area_and_impossible_date_are_refused_with_field_messages_and_nothing_is_written(pages, db):
    area_unit = find_unit("1-1-201")
    date_unit = find_unit("1-1-202")
    raw_before = {u.id: raw_unit(db.db_path, u.id) for u in (area_unit, date_unit)}
    page = pages.new()
    sign_in(page, db.base_url, "clerk", DEMO_PASSWORD, path="owners")
    search_units(page, "1-1-20")

    edit_cell(page, area_unit.id, "built_area", "abc")
    edit_cell(page, date_unit.id, "delivered_on", "2026-02-30")
    pending(page, 2)
    click_save(page)

    error = units_area(page).locator(ERROR)
    expect(error).to_contain_text("以下修改未保存")
    expect(error).to_contain_text("建筑面积：应为数字")
    expect(error).to_contain_text("交房日期：日期不存在：2026-02-30")
    expect(error).to_contain_text("1-1-201")
    expect(error).to_contain_text("1-1-202")
    expect_refused(page)

    assert find_unit("1-1-201") == area_unit
    assert find_unit("1-1-202") == date_unit
    assert {u: raw_unit(db.db_path, u) for u in raw_before} == raw_before
    # the refused input stays in the grid for the user to correct
    expect(cell(page, area_unit.id, "built_area")).to_have_text("abc")
    expect(cell(page, date_unit.id, "delivered_on")).to_have_text("2026-02-30")
    pending(page, 2)


def test_errors_of_two_units_with_the_same_code_in_different_estates_are_both_shown(pages, db):
    a = find_unit("1-2-101", estate="翠湖花园")
    b = find_unit("1-2-101", estate="锦绣华庭")
    page = pages.new()
    sign_in(page, db.base_url, "clerk", DEMO_PASSWORD, path="owners")
    search_units(page, "1-2-101")

    edit_cell(page, a.id, "built_area", "abc")
    edit_cell(page, b.id, "delivered_on", "2026-02-30")
    pending(page, 2)
    click_save(page)

    error = units_area(page).locator(ERROR)
    expect(error).to_contain_text("以下修改未保存")
    expect(error).to_contain_text("建筑面积：应为数字")
    expect(error).to_contain_text("交房日期：日期不存在：2026-02-30")
    expect(error).to_contain_text("翠湖花园")
    expect(error).to_contain_text("锦绣华庭")
    expect_refused(page)
    assert find_unit("1-2-101", estate="翠湖花园") == a
    assert find_unit("1-2-101", estate="锦绣华庭") == b


def test_script_typed_into_a_note_is_saved_and_shown_as_literal_text(pages, db):
    payload = "<script>alert(1)</script>"
    unit = find_unit("1-1-301")
    page = pages.new()
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD, path="owners")
    search_units(page, "1-1-301")

    edit_cell(page, unit.id, "note", payload)
    click_save(page)
    expect_saved(page)
    assert find_unit("1-1-301").note == payload
    assert raw_unit(db.db_path, unit.id)["note"] == payload

    page.reload()
    expect(page).to_have_url(f"{db.base_url}/owners")
    sign_in_again(page, "manager", DEMO_PASSWORD)
    search_units(page, "1-1-301")
    note = cell(page, unit.id, "note")
    expect(note).to_have_text(payload)
    expect(row(page, unit.id).locator("script")).to_have_count(0)

    # the audit trail shows the same text, and does not run it either
    open_page(page, "audit")
    audit = page.frame_locator(GRID_IFRAME).first
    expect(audit.get_by_text(payload, exact=False).first).to_be_visible()
    expect(audit.locator(".ag-root script")).to_have_count(0)
    page.wait_for_timeout(1_000)  # give a script, were one injected, the time to run
    assert pages.dialogs == []
