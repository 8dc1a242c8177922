"""Cases 6 and 7: the console in headless Chromium, served by `streamlit run app.py` as users get it.

6. Time until /owners, /tickets and /fees are usable: from the click on the page's link in the sidebar until the
   server has finished the page's run, the page is idle and its first grid shows rows. Floor: the bench page
   (bench/floor_page.py: one 500-row grid), served by the same server in the same run and reached the same way.
7. Memory: resident size of the server process with 1 and with 10 signed-in sessions on the home page, and the
   MB each extra session costs.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Row, Settings, within

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PROPDESK_CHROMIUM", "/usr/bin/chromium")  # the Debian package; never a download
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-dev-shm-usage"]
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
GRID_ROW = "div.ag-row"
NAV = {"owners": "房屋档案", "tickets": "报事", "fees": "收费", "bench-floor": "基准页"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


@contextmanager
def serve(db_url: str, log_path: Path) -> Iterator[tuple[str, int]]:
    """`streamlit run app.py` on a free port over `db_url` (with the bench page); yields (base url, pid)."""
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": db_url, "PROPDESK_BENCH_FLOOR_PAGE": "1", "PYTHONUNBUFFERED": "1"}
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [str(Path(sys.executable).parent / "streamlit"), "run", "app.py", "--server.port", str(port),
             "--server.address", "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as r:
                        if r.status == 200:
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the console did not start: {log_path.read_text()[-2000:]}")
                time.sleep(0.3)
            yield base, proc.pid
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)


def _sign_in(page, base: str, username: str, password: str) -> None:
    page.goto(f"{base}/")
    page.wait_for_selector(IDLE, timeout=60_000)
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录", exact=True).click()
    page.get_by_role("button", name="退出登录").wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)


def _open(page, path: str) -> float:
    """ms from the click on the sidebar link until the page is usable (run finished, idle, first grid rows)."""
    page.wait_for_selector(IDLE, timeout=60_000)
    t0 = time.perf_counter()
    page.locator("[data-testid='stSidebarNav']").get_by_role("link", name=NAV[path]).click()
    page.wait_for_url(f"**/{path}", timeout=60_000)
    # the page's own heading: the old page may still be idle on screen right after the click
    page.get_by_role("heading", name="500" if path == "bench-floor" else NAV[path]).first.wait_for(timeout=60_000)
    page.wait_for_selector(IDLE, timeout=60_000)
    frames = page.locator("iframe[title='st_aggrid.AgGrid.agGrid']:visible")
    if frames.count():
        frames.first.content_frame.locator(GRID_ROW).first.wait_for(timeout=60_000)
    return (time.perf_counter() - t0) * 1000


@contextmanager
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


def bench_browser(settings: Settings, scale: str, db_url: str, tmp: Path, *, username: str, password: str,
                  browser: Any = None) -> list[Row]:
    """Cases 6 and 7 on a console serving `db_url`; `browser`: a running Chromium (the tests'), or one started
    here."""
    if browser is None:
        with chromium() as own:
            return bench_browser(settings, scale, db_url, tmp, username=username, password=password, browser=own)
    runs = 1 if settings.smoke else settings.runs
    sessions = 2 if settings.smoke else 10
    rows: list[Row] = []
    with serve(db_url, tmp / f"streamlit-{scale}.log") as (base, pid):
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        page = context.new_page()
        _sign_in(page, base, username, password)
        times: dict[str, list[float]] = {p: [] for p in ("bench-floor", "owners", "tickets", "fees")}
        for _ in range(runs):
            for path in times:
                times[path].append(_open(page, path))
        floor = statistics.median(times.pop("bench-floor"))
        rows.append(Row("browser", f"[{scale}] floor: the bench page (one 500-row grid)", floor, floor))
        for path, ms in times.items():
            median = statistics.median(ms)
            rows.append(Row("browser", f"[{scale}] /{path} usable", median, floor, "≤1.3× floor",
                            within(median, floor, ratio=1.3)))
        context.close()

        # case 7: the server's memory with 1 and with `sessions` signed-in sessions on the home page
        contexts = []
        for n in range(sessions):
            ctx = browser.new_context()
            _sign_in(ctx.new_page(), base, username, password)
            contexts.append(ctx)
            if n == 0:
                time.sleep(1)
                one = rss_mb(pid)
        time.sleep(1)
        many = rss_mb(pid)
        per = (many - one) / (sessions - 1)
        rows.append(Row("memory", f"[{scale}] server RSS, 1 session", one, unit="MB"))
        rows.append(Row("memory", f"[{scale}] server RSS, {sessions} sessions", many, unit="MB"))
        rows.append(Row("memory", f"[{scale}] per extra session", per, None, "<15 MB", per < 15, unit="MB"))
        for ctx in contexts:
            ctx.close()
    return rows
