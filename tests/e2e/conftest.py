"""Fixtures of the real-browser suite: one console server and one Chromium for the whole session.

The server runs `propdesk init` and `propdesk demo` on a fresh SQLite file in a temp dir,
then `streamlit run app.py` on a free port with that DATABASE_URL. Each test opens its
own browser context(s) (a fresh Streamlit session each), so tests do not share sign-ins.

`PROPDESK_REQUIRE_BROWSER=1` (set by CI) turns a missing /usr/bin/chromium or a console
that does not start into a failure; otherwise those tests are skipped with the reason.
Never download a browser here: Chromium is the Debian package.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.demo_template import demo_copy
from tests.e2e.helpers import (
    ADMIN_PASSWORD,
    ARTIFACTS,
    DEMO_PASSWORD,
    PROJECT_ROOT,
    TOAST_RECORDER,
    watch_runs,
)

CHROMIUM = os.environ.get("PROPDESK_CHROMIUM", "/usr/bin/chromium")  # the Debian package; never a download
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]
REQUIRE_BROWSER = os.environ.get("PROPDESK_REQUIRE_BROWSER") == "1"
VIEWPORT = {"width": 2200, "height": 1100}  # wide enough that AG Grid renders every column
STARTUP_TIMEOUT_S = 90
EXPECT_TIMEOUT_MS = 15_000  # a loaded 2-core CI machine reruns a big page in seconds, not milliseconds

expect.set_options(timeout=EXPECT_TIMEOUT_MS)


def unavailable(reason: str) -> None:
    """Skip, or fail when CI requires the browser suite to run."""
    if REQUIRE_BROWSER:
        pytest.fail(f"PROPDESK_REQUIRE_BROWSER=1 but {reason}", pytrace=False)
    pytest.skip(reason)


@dataclass(frozen=True)
class Server:
    base_url: str
    db_url: str
    db_path: Path
    log_path: Path


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError:
        return ""


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except OSError:
        return False


@contextlib.contextmanager
def console(db_url: str, log_path: Path) -> Iterator[str]:
    """`streamlit run app.py` on a free port over `db_url`, logging to `log_path`; yields its base URL.
    Several at once over one server database are the scale-out of README (one process each, like behind nginx)."""
    bindir = Path(sys.executable).parent
    env = {**os.environ, "DATABASE_URL": db_url, "PROPDESK_ADMIN_PASSWORD": ADMIN_PASSWORD,
           "PROPDESK_DEMO_PASSWORD": DEMO_PASSWORD, "PYTHONUNBUFFERED": "1"}
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    log = log_path.open("w")
    proc = subprocess.Popen(
        [str(bindir / "streamlit"), "run", "app.py", "--server.port", str(port),
         "--server.address", "127.0.0.1", "--server.headless", "true",
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _healthy(f"{base_url}/_stcore/health"):
            if proc.poll() is not None:
                unavailable(f"the console exited with {proc.returncode} on start:\n{_tail(log_path)}")
            if time.monotonic() > deadline:
                unavailable(f"the console did not answer /_stcore/health within {STARTUP_TIMEOUT_S}s:\n"
                            f"{_tail(log_path)}")
            time.sleep(0.3)
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def server(tmp_path_factory) -> Iterator[Server]:
    """A console on a fresh demo database; yields its base URL and database URL."""
    tmp = tmp_path_factory.mktemp("e2e")
    db_path = tmp / "propdesk.db"
    db_url = f"sqlite:///{db_path}"
    # what `propdesk init` and `propdesk demo` write, built once for the run (tests/demo_template.py)
    demo_copy(tmp_path_factory, db_path)
    log_path = tmp / "streamlit.log"
    try:
        with console(db_url, log_path) as base_url:
            yield Server(base_url=base_url, db_url=db_url, db_path=db_path, log_path=log_path)
    finally:
        from db.engine import dispose_all

        dispose_all()


@pytest.fixture(scope="session")
def browser():
    """One Chromium (the Debian package) for the session."""
    if not os.path.exists(CHROMIUM):
        unavailable(f"{CHROMIUM} is missing (install the Debian package `chromium`; never `playwright install`)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:  # pragma: no cover - the test extra installs it
        unavailable(f"playwright is not installed: {exc}")
    pw = sync_playwright().start()
    try:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    except Exception as exc:
        pw.stop()
        unavailable(f"{CHROMIUM} did not start: {exc}")
    yield b
    b.close()
    pw.stop()


@pytest.fixture
def db(server, monkeypatch) -> Server:
    """Point the services in this test process at the server's database (to read and verify)."""
    monkeypatch.setenv("DATABASE_URL", server.db_url)
    return server


class Pages:
    """Opens pages, each in its own browser context (its own Streamlit session); records dialogs."""

    def __init__(self, browser):
        self._browser = browser
        self.contexts = []
        self.dialogs: list[str] = []

    def new(self):
        ctx = self._browser.new_context(viewport=VIEWPORT, locale="zh-CN", timezone_id="Asia/Shanghai")
        ctx.set_default_timeout(30_000)
        ctx.add_init_script(TOAST_RECORDER)
        self.contexts.append(ctx)
        page = watch_runs(ctx.new_page())

        def on_dialog(dialog):
            self.dialogs.append(f"{dialog.type}: {dialog.message}")
            dialog.dismiss()

        page.on("dialog", on_dialog)
        return page

    def close(self):
        for ctx in self.contexts:
            ctx.close()


@pytest.fixture
def pages(browser, server, request) -> Iterator[Pages]:
    p = Pages(browser)
    yield p
    failed = getattr(request.node, "rep_call", None)
    if failed is not None and failed.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        for i, ctx in enumerate(p.contexts):
            for j, page in enumerate(ctx.pages):
                with contextlib.suppress(Exception):
                    page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}-{i}-{j}.png"), full_page=True)
    p.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    rep = outcome.get_result()
    if rep.when == "call":
        item.rep_call = rep
