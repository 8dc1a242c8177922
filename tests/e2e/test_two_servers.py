"""Scale-out: two console processes on different ports over ONE PostgreSQL database, two browsers.

This is what nginx in front of N Streamlit processes gives users (deploy/nginx.conf): each browser session
sticks to one process, and the processes share nothing but the database. An edit made through one process is
seen through the other after a rerun, and two people who opened the same unit on different processes cannot
overwrite each other: the second save is refused with StaleEdit, because the version travels with the edit
and is checked by the database, not by anything a process holds in memory.

The database is a fresh PostgreSQL one with a few units and two users (the demo takes ~45 s to build there).
Unreachable PostgreSQL skips, or fails under PROPDESK_REQUIRE_DBS=1 (CI); so does a missing Chromium under
PROPDESK_REQUIRE_BROWSER=1.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import expect

from tests.conftest import PG_ADMIN_URL, _server_database
from tests.e2e.conftest import console
from tests.e2e.helpers import (
    ADMIN_PASSWORD,
    DEMO_PASSWORD,
    cell,
    click_save,
    edit_cell,
    find_unit,
    pending,
    rerun,
    search_units,
    sign_in,
    units_area,
)
from tests.e2e.test_units_grid import ERROR, STALE, expect_saved

pytestmark = pytest.mark.e2e

ESTATE = "测试小区"  # tests.factories.make_units


@pytest.fixture
def shared_pg(monkeypatch) -> Iterator[str]:
    """A fresh PostgreSQL database after `propdesk init`, with three units and a manager and a clerk
    (password DEMO_PASSWORD); the test process reads it too."""
    from db.engine import dispose_all
    from services.admin import system
    from services.platform.auth import SYSTEM_ACTOR, Role
    from services.platform.users import add_user
    from tests.factories import make_units

    with _server_database(PG_ADMIN_URL, "postgresql") as url:
        monkeypatch.setenv("DATABASE_URL", url)
        system.init(admin_password=ADMIN_PASSWORD)
        make_units(3)
        for username, role in (("pg_manager", Role.MANAGER), ("pg_clerk", Role.CLERK)):
            add_user(actor=SYSTEM_ACTOR, username=username, display_name=f"{role.label}{username[-1]}", role=role,
                     password=DEMO_PASSWORD, must_change_password=False)
        try:
            yield url
        finally:
            dispose_all()


def refresh(page) -> None:
    """刷新 under the units grid: a rerun that reloads the rows from the database."""
    with rerun(page):
        units_area(page).get_by_role("button", name="刷新", exact=True).click()


def test_two_servers_on_one_postgresql_share_edits_and_refuse_a_stale_save(pages, shared_pg, tmp_path):
    unit = find_unit("1-1-101", estate=ESTATE)
    with console(shared_pg, tmp_path / "a.log") as server_a, console(shared_pg, tmp_path / "b.log") as server_b:
        assert server_a != server_b
        first, second = pages.new(), pages.new()
        sign_in(first, server_a, "pg_manager", DEMO_PASSWORD, path="owners")
        sign_in(second, server_b, "pg_clerk", DEMO_PASSWORD, path="owners")
        # both open the same unit, each through its own process
        for page in (first, second):
            search_units(page, "1-1-101")
            expect(cell(page, unit.id, "note")).to_have_text(unit.note)

        # the first saves through server A
        edit_cell(first, unit.id, "note", "甲经A进程保存")
        click_save(first)
        expect_saved(first)
        assert find_unit("1-1-101", estate=ESTATE).version == unit.version + 1

        # the second, who opened the unit before that save, saves through server B: refused, nothing written
        edit_cell(second, unit.id, "note", "乙经B进程保存")
        pending(second, 1)
        click_save(second)
        expect(units_area(second).locator(ERROR)).to_contain_text(STALE)
        after_refusal = find_unit("1-1-101", estate=ESTATE)
        assert (after_refusal.note, after_refusal.version) == ("甲经A进程保存", unit.version + 1)

        # after a rerun that reloads the rows, server B shows what was saved through server A
        with rerun(second):
            units_area(second).get_by_role("button", name="放弃修改", exact=True).click()
        expect(cell(second, unit.id, "note")).to_have_text("甲经A进程保存")

        # now on the fresh version, the second's save lands, and server A shows it after its own rerun
        edit_cell(second, unit.id, "note", "乙经B进程保存")
        click_save(second)
        expect_saved(second)
        expect(cell(first, unit.id, "note")).to_have_text("甲经A进程保存")  # no rerun yet: the old rows
        refresh(first)
        expect(cell(first, unit.id, "note")).to_have_text("乙经B进程保存")

    final = find_unit("1-1-101", estate=ESTATE)
    assert (final.note, final.version) == ("乙经B进程保存", unit.version + 2)
