"""Driving the console in a real browser: sign-in, the units grid, and reading the database back.

Streamlit reruns the whole script after each widget change. `rerun(page)` wraps an
action that must cause a rerun and returns only after the server reported that run
finished and the page is idle, so a test never reads a screen that is about to change
(or a stale element on its way out).
"""

from __future__ import annotations

import re
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from playwright.sync_api import FrameLocator, Locator, Page, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

# the run's demo database (tests/demo_template.py) has these passwords; the e2e tests import them from here
from tests.demo_template import ADMIN_PASSWORD as ADMIN_PASSWORD
from tests.demo_template import DEMO_PASSWORD as DEMO_PASSWORD

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = PROJECT_ROOT / "test-artifacts"  # git-ignored: screenshots kept as evidence

IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
GRID_IFRAME = "iframe[title='st_aggrid.AgGrid.agGrid']"
SIDEBAR_NAV = "[data-testid='stSidebarNav']"


class ScriptRuns:
    """Counts the script runs the server reports as finished to one page, read off its websocket.

    The DOM attribute data-test-script-state is not enough on its own: a fast rerun can flip it
    to running and back within one React render, so nothing ever changes in the DOM.
    Runs cut short by st.rerun() (FINISHED_EARLY_FOR_RERUN) are not counted: the run that
    follows them is.
    """

    def __init__(self, page: Page):
        self.finished = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = ForwardMsg.FromString(payload)
        except Exception:  # not a ForwardMsg: ignore
            return
        if msg.WhichOneof("type") == "script_finished" and \
                msg.script_finished != ForwardMsg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1


def watch_runs(page: Page) -> Page:
    """Start counting the page's script runs (call before the first goto)."""
    page._propdesk_runs = ScriptRuns(page)
    return page


@contextmanager
def rerun(page: Page, timeout_s: float = 60) -> Iterator[None]:
    """Run the body (an action that reruns the script); return once that run has finished.
    The deadline is generous: a big page rerun on a loaded 2-core CI machine next to two other workers has taken
    over 30 s; a run that never comes still fails."""
    runs: ScriptRuns = page._propdesk_runs
    page.wait_for_selector(IDLE)
    before = runs.finished
    yield
    deadline = time.monotonic() + timeout_s
    while runs.finished == before:
        if time.monotonic() > deadline:
            raise AssertionError(f"the action did not finish a script run within {timeout_s}s")
        page.wait_for_timeout(50)  # lets Playwright deliver the websocket frames
    page.wait_for_selector(IDLE)


NAV_LABELS = {"": "首页", "owners": "房屋档案", "tickets": "报事", "fees": "收费", "relations": "客户关系",
              "appraisal": "员工考核", "audit": "操作日志", "admin": "系统管理", "account": "我的账户"}
# a page's heading where it is not its sidebar label: the home page is each person's 工作台
HEADINGS = {"": "工作台"}


def sign_in(page: Page, base_url: str, username: str, password: str, path: str = "") -> None:
    """Open the console at / (a fresh Streamlit session), sign in, then open `path` from the sidebar,
    as a user does. (Deep links are covered by test_navigation.)"""
    page.goto(f"{base_url}/")
    submit_login(page, username, password)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()
    if path:
        open_page(page, path)


def sign_in_again(page: Page, username: str, password: str) -> None:
    """After a reload (which loses the Streamlit session): sign in on the page the browser shows."""
    submit_login(page, username, password)
    expect(page.get_by_role("button", name="退出登录")).to_be_visible()


def open_page(page: Page, path: str) -> None:
    label = NAV_LABELS[path]
    with rerun(page):
        sidebar_nav(page).get_by_role("link", name=label).click()
    expect(page).to_have_url(re.compile(rf"/{path}$"))
    expect(page.get_by_role("heading", name=HEADINGS.get(path, label))).to_be_visible()


def submit_login(page: Page, username: str, password: str) -> None:
    page.wait_for_selector(IDLE)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    with rerun(page):
        page.get_by_role("button", name="登录", exact=True).click()


def sidebar_nav(page: Page) -> Locator:
    return page.locator(SIDEBAR_NAV)


def open_tab(page: Page, name: str, *, within: Locator | None = None) -> Locator:
    """Open the tab `name` (of the strip `within`, or the page's) and return its panel once drawn.

    The console's tabs are lazy (ui/kit/tabs.py): only the open tab's body is drawn, so a click on another
    tab reruns the script, and this returns after that run has finished. A tab already open is not clicked.
    """
    scope = within if within is not None else page
    tab = scope.get_by_role("tab", name=name, exact=True)
    expect(tab).to_be_visible()
    if tab.get_attribute("aria-selected") != "true":
        with rerun(page):
            tab.click()
    expect(tab).to_have_attribute("aria-selected", "true")
    panel = scope.get_by_role("tabpanel", name=name, exact=True)
    expect(panel).to_be_visible()
    return panel


def units_area(page: Page) -> Locator:
    """The part of /owners that holds the units grid: the 房屋 tab when the screen has tabs.

    Other tabs hold grids of their own (people, parking, ...), so every grid lookup is scoped.
    Opening the tab reruns the script (lazy tabs); once open, it is not clicked again.
    """
    expect(page.get_by_role("heading", name="房屋档案")).to_be_visible()
    if page.get_by_role("tab", name="房屋", exact=True).count() == 0:
        return page.locator("[data-testid='stMain']")
    return open_tab(page, "房屋")


def grid(page: Page) -> FrameLocator:
    return units_area(page).frame_locator(GRID_IFRAME)


def search_units(page: Page, text: str, expected_total: int | None = None) -> None:
    """Type `text` into 搜索 of the units grid and wait for that result set in a single, fresh grid.

    The total shown must be the number of matching units in the database (counted through the
    services unless given).
    """
    if expected_total is None:
        expected_total = unit_total(text)
    area = units_area(page)
    box = area.get_by_label("搜索", exact=True)
    with rerun(page):  # armed before typing: whichever of typing or Enter commits the text reruns
        box.fill(text)
        box.press("Enter")
    expect(area.get_by_text(f"共 {expected_total} 条")).to_be_visible()
    expect(area.locator(GRID_IFRAME)).to_have_count(1)


def row(page: Page, unit_id: int) -> Locator:
    """The scrolling part of a grid row (the pinned 房号 column lives in another container)."""
    loc = grid(page).locator(f".ag-center-cols-container [row-id='{unit_id}']")
    loc.wait_for()
    return loc


def cell(page: Page, unit_id: int, field: str) -> Locator:
    return row(page, unit_id).locator(f"[col-id='{field}']")


def edit_cell(page: Page, unit_id: int, field: str, text: str) -> None:
    """Double-click a cell, replace its text, press Enter; returns after the rerun the edit causes."""
    target = cell(page, unit_id, field)
    editor = target.locator("input, textarea")
    target.dblclick()
    expect(editor).to_be_focused()
    editor.press("Control+a")
    editor.press_sequentially(text)
    with rerun(page):
        editor.press("Enter")
    expect(editor).to_have_count(0)
    expect(target).to_have_text(text)


def pending(page: Page, n: int) -> Locator:
    loc = units_area(page).get_by_text(f"{n} 行有未保存的修改")
    expect(loc).to_be_visible()
    return loc


_SAVE_SETTLED = """() => {
  const app = document.querySelector("[data-testid='stApp']");
  if (!app || app.getAttribute('data-test-script-state') !== 'notRunning') { return false; }
  const error = document.querySelector("[data-testid='stAlertContentError']");
  const pendingLeft = document.body.innerText.includes('行有未保存的修改');
  return Boolean(error) || !pendingLeft;
}"""


def click_save(page: Page) -> None:
    """Click 保存修改; return once the outcome is on screen: an error, or no pending edits left.

    A successful save reruns twice (the save, then st.rerun with a fresh grid key), so the
    first finished run is not enough to wait for.
    """
    button = units_area(page).get_by_role("button", name="保存修改")
    with rerun(page):
        button.click()
    page.wait_for_function(_SAVE_SETTLED)


# Installed in every page before any script runs: remembers every toast text rendered since the
# page loaded, so a test can check a toast even after it has faded (st.toast lasts 4 s).
TOAST_RECORDER = """
(() => {
  window.__pdToasts = [];
  const shown = new WeakMap();
  new MutationObserver(() => {
    document.querySelectorAll("[data-testid='stToast']").forEach((el) => {
      const text = el.innerText;
      if (text && shown.get(el) !== text) { shown.set(el, text); window.__pdToasts.push(text); }
    });
  }).observe(document, {subtree: true, childList: true, characterData: true});
})();
"""


def toasts(page: Page) -> list[str]:
    return page.evaluate("window.__pdToasts || []")


def wait_for_toast(page: Page, text: str, timeout: float = 5_000) -> bool:
    """True when a toast containing `text` has been shown since the page loaded (or within `timeout`)."""
    try:
        page.wait_for_function("(t) => (window.__pdToasts || []).some((x) => x.includes(t))", arg=text,
                               timeout=timeout)
    except PlaywrightTimeoutError:
        return False
    return True


# --- the database, read back in the test process --------------------------------------------------


@dataclass(frozen=True)
class UnitRow:
    id: int
    version: int
    code: str
    estate: str
    built_area: Decimal | None
    delivered_on: date | None
    note: str


def find_unit(code: str, estate: str = "翠湖花园") -> UnitRow:
    """A unit read through the services (as the console reads it), by 房号 and 小区."""
    from services.estate.units import list_units
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery

    rows = list_units(actor=SYSTEM_ACTOR, query=ListQuery(search=code, page_size=50)).rows
    rows = rows[(rows["code"] == code) & (rows["estate"] == estate)]
    assert len(rows) == 1, f"expected one unit {code} in {estate}, got {len(rows)}"
    r = rows.iloc[0]
    delivered = r["delivered_on"]
    return UnitRow(
        id=int(r["id"]), version=int(r["version"]), code=r["code"], estate=r["estate"],
        built_area=r["built_area"], delivered_on=delivered if isinstance(delivered, date) else None,
        note=r["note"] or "",
    )


def unit_total(search: str) -> int:
    """How many units the console's search `search` matches, counted by the read service."""
    from services.estate.units import list_units
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery

    return list_units(actor=SYSTEM_ACTOR, query=ListQuery(search=search, page_size=1)).total


def raw_unit(db_path: Path, unit_id: int) -> dict:
    """The stored columns of one unit, straight from SQLite (areas are integer hundredths)."""
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        r = conn.execute("SELECT built_area, delivered_on, note, version FROM units WHERE id = ?",
                         (unit_id,)).fetchone()
    return dict(r)
