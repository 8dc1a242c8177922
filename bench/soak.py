"""`make soak`: 20 desks working at once against one console server for 10 minutes; errors, page times, memory.

    SOAK_SECONDS=600 SOAK_SESSIONS=20 python -m bench.soak [--out bench/soak-results.json]

One `streamlit run app.py` serves the ~800-unit demo (a fresh copy of the bench's cached SQLite build; with
BENCH_DATABASE_URL, the bench's database on that server). One headless Chromium (the Debian package) holds
SOAK_SESSIONS browser contexts, each its own Streamlit session signed in as a demo user of some role, and each
works like a person at a desk: open a page from the sidebar, open a tab, search the 查找 box and open a unit
card, take a payment at the 收银台 (cashiers), take a ticket at 受理 (front desk, clerk, managers), with a
few seconds of thinking between actions (SOAK_THINK="2,6", seconds).

Why real browsers and not AppTest: AppTest runs the scripts in the test process, so it measures neither the
server (its websocket, its sessions, its memory) nor what a desk waits for. On 2 cores, 20 Chromium contexts
and the server share the CPU, where in use each desk has a PC of its own: Chromium runs at the lowest CPU
priority (nice 19) so the server gets the CPU first, and the think time keeps the load at what 20 people make,
not 20 robots. What the browsers still take is reported beside the figures.

Reported: the actions tried by kind, errors (target 0: an apology of app.py, a Python traceback in the server
log, an action that did not finish within 60 s, a lost connection), refusals a desk may legitimately get
(a DomainError on screen), the p50/p95/max of every wait for the server (each script run a desk waits for:
page opens, tab, search, form steps), the server's resident memory after the sessions signed in, after a
warm-up (2 minutes or a quarter of the run: every page opened by some desk) and at the end, sampled every 15 s
(target flat after the warm-up), and how much CPU the server and Chromium used. Results go to bench/soak-results.json and stdout; exit 1 on errors.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
IDLE = "[data-testid='stApp'][data-test-script-state='notRunning']"
SIDEBAR = "[data-testid='stSidebarNav']"
APP_ERROR = "抱歉，系统出了点问题"  # ui/kit/i18n.py app.error: what app.py shows for an unhandled exception
DOMAIN_ERROR = "[data-testid='stAlertContentError']"
ACTION_TIMEOUT_S = 60
PAGES = {"首页": "工作台", "房屋档案": "房屋档案", "报事": "报事", "收费": "收费", "客户关系": "客户关系",
         "员工考核": "员工考核", "操作日志": "操作日志", "系统管理": "系统管理"}
# who sits at the 20 desks: usernames of the demo (services/demo), several sessions per person where the
# company has several desks of that role
DESKS = ["cashier", "cashier2", "service", "service2", "manager", "clerk", "engineer", "sysadmin", "gcmanager",
         "engineer2"]
CASHIERS = {"cashier", "cashier2"}
INTAKE = {"service", "service2", "manager", "clerk", "sysadmin", "gcmanager"}
SEARCHES = ["1-1-101", "2-1-5", "张", "王", "zw", "8000", "3-2-1103", "李", "1101", "锦绣"]
UNITS = ["1-1-101", "1-1-502", "2-1-301", "2-2-803", "3-1-1002", "3-2-1103", "1-2-201", "2-1-1201"]


@dataclass
class Tally:
    waits: list[float] = field(default_factory=list)  # ms of each script run a desk waited for
    waits_by_action: dict[str, list[float]] = field(default_factory=dict)
    nav: list[float] = field(default_factory=list)  # ms of each page opened from the sidebar
    actions: dict[str, int] = field(default_factory=dict)
    done: dict[str, int] = field(default_factory=dict)
    errors: list[dict[str, Any]] = field(default_factory=list)
    refusals: list[str] = field(default_factory=list)
    memory: list[tuple[float, float]] = field(default_factory=list)  # (seconds since start, MB)


class Runs:
    """Counts script runs the server reports finished to one page (its websocket frames), as tests/e2e does."""

    def __init__(self, page: Any):
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        self._msg = ForwardMsg
        self.finished = 0
        page.on("websocket", lambda ws: ws.on("framereceived", self._frame))

    def _frame(self, payload: Any) -> None:
        if isinstance(payload, str):
            return
        try:
            msg = self._msg.FromString(payload)
        except Exception:  # not a ForwardMsg
            return
        if msg.WhichOneof("type") == "script_finished" and msg.script_finished != self._msg.FINISHED_EARLY_FOR_RERUN:
            self.finished += 1


class Desk:
    def __init__(self, n: int, page: Any, username: str, password: str, base: str, tally: Tally, seed: int):
        self.n, self.page, self.username, self.password, self.base, self.tally = n, page, username, password, base, tally
        self.runs = Runs(page)
        self.rng = random.Random(seed * 1000 + n)
        self.links: list[str] = []
        self.doing = "sign in"

    async def wait_run(self, before: int, timeout_s: float = ACTION_TIMEOUT_S) -> None:
        deadline = time.monotonic() + timeout_s
        while self.runs.finished == before:
            if time.monotonic() > deadline:
                raise TimeoutError(f"no script run finished within {timeout_s:.0f} s")
            await asyncio.sleep(0.05)
        await self.page.wait_for_selector(IDLE, timeout=timeout_s * 1000)

    async def step(self, action: Any) -> float:
        """Do `action` (a coroutine function) that makes the script run; return ms until that run finished."""
        await self.page.wait_for_selector(IDLE, timeout=ACTION_TIMEOUT_S * 1000)
        before = self.runs.finished
        t0 = time.perf_counter()
        await action()
        await self.wait_run(before)
        ms = (time.perf_counter() - t0) * 1000
        self.tally.waits.append(ms)
        self.tally.waits_by_action.setdefault(self.doing, []).append(ms)
        return ms

    async def sign_in(self) -> None:
        page = self.page
        await page.goto(f"{self.base}/", timeout=ACTION_TIMEOUT_S * 1000)
        await page.wait_for_selector(IDLE, timeout=ACTION_TIMEOUT_S * 1000)
        await page.get_by_label("用户名").fill(self.username)
        await page.get_by_label("密码").fill(self.password)
        await self.step(lambda: page.get_by_role("button", name="登录", exact=True).click())
        await page.get_by_role("button", name="退出登录").wait_for(timeout=ACTION_TIMEOUT_S * 1000)
        names = await page.locator(SIDEBAR).get_by_role("link").all_inner_texts()
        labels = [x.strip().split("\n")[-1].strip() for x in names]  # after the icon's ligature name
        self.links = [x for x in labels if x in PAGES]

    async def open(self, label: str) -> None:
        page = self.page
        ms = await self.step(lambda: page.locator(SIDEBAR).get_by_role("link", name=label, exact=True).click())
        await page.get_by_role("heading", name=PAGES[label], exact=True).first.wait_for(
            timeout=ACTION_TIMEOUT_S * 1000)
        self.tally.nav.append(ms)

    async def type_into(self, box: Any, text: str) -> None:
        """Type `text` into a text box and commit it (Enter): a rerun, unless the box already holds that text
        (Streamlit reruns only for a changed value)."""
        if await box.input_value() == text:
            return

        async def typed() -> None:
            await box.fill(text)
            await box.press("Enter")

        await self.step(typed)

    async def on_page(self, label: str) -> None:
        """Be on the page `label`: open it from the sidebar unless it is already on screen."""
        if await self.page.get_by_role("heading", name=PAGES[label], exact=True).count() == 0:
            await self.open(label)

    # --- the actions ------------------------------------------------------------------------------

    async def navigate(self) -> None:
        await self.open(self.rng.choice(self.links))

    async def tab(self) -> None:
        tabs = self.page.locator("[data-testid='stMain'] [role='tab'][aria-selected='false']")
        count = await tabs.count()
        if count == 0:
            await self.navigate()
            return
        target = tabs.nth(self.rng.randrange(count))
        if not await target.is_visible():
            return
        await self.step(target.click)

    async def search(self) -> None:
        page = self.page
        await self.on_page("房屋档案")
        find = page.get_by_role("tab", name="查找", exact=True)
        if await find.count() and await find.get_attribute("aria-selected") != "true":
            await self.step(find.click)
        await self.type_into(page.get_by_label("查找房屋或人员"), self.rng.choice(SEARCHES))
        hits = page.locator("[data-testid='stMain'] button").filter(has_text=re.compile(r" · "))
        if await hits.count() and self.rng.random() < 0.6:
            await self.step(hits.first.click)

    async def pay(self) -> None:
        page = self.page
        await self.on_page("收费")
        counter = page.get_by_role("tab", name="收银台", exact=True)
        if await counter.count() and await counter.get_attribute("aria-selected") != "true":
            await self.step(counter.click)
        code = self.rng.choice(UNITS)
        await self.type_into(page.get_by_label("查找房屋或人员"), code)
        hit = page.get_by_role("button", name=re.compile(rf"^\S+ · {re.escape(code)} · "))
        if await hit.count() == 0:
            return
        await self.step(hit.first.click)
        amount = f"{self.rng.randint(1, 99)}.{self.rng.randint(0, 99):02d}"
        field_ = page.locator("input[aria-label='收款金额（元）']")
        await field_.wait_for(timeout=ACTION_TIMEOUT_S * 1000)
        await self.type_into(field_, amount)
        cash = page.get_by_test_id("stRadio").filter(has_text="收款方式").get_by_text("现金", exact=True)
        if await cash.count():
            radio = page.get_by_role("radio", name="现金")
            if await radio.count() and not await radio.first.is_checked():
                await self.step(cash.first.click)
        await self.step(page.get_by_role("button", name="收款并开收据…").click)
        dialog = page.get_by_role("dialog")
        await dialog.get_by_role("button", name="确认收款").wait_for(timeout=ACTION_TIMEOUT_S * 1000)
        await self.step(dialog.get_by_role("button", name="确认收款").click)
        await page.get_by_text(re.compile(r"^已收款 ")).first.wait_for(timeout=ACTION_TIMEOUT_S * 1000)
        self.tally.done["payments"] = self.tally.done.get("payments", 0) + 1

    async def ticket(self) -> None:
        page = self.page
        await self.on_page("报事")
        intake = page.get_by_role("tab", name="受理", exact=True)
        if await intake.count() and await intake.get_attribute("aria-selected") != "true":
            await self.step(intake.click)
        code = self.rng.choice(UNITS)
        await self.type_into(page.get_by_label("来电号码或房号", exact=True), code)
        unit = page.get_by_label("房屋", exact=True)
        await unit.click()
        option = page.get_by_role("option", name=re.compile(rf" {re.escape(code)} · "))
        if await option.count() == 0:
            await page.keyboard.press("Escape")
            return
        await self.step(option.first.click)
        kind = page.get_by_label("类型", exact=True)
        await kind.click()
        await page.get_by_role("option", name="咨询", exact=True).click()
        await page.get_by_label("内容 *", exact=True).fill(f"压力测试咨询 {self.n}-{self.rng.randrange(10**6)}")
        await self.step(page.get_by_role("button", name="受理", exact=True).click)
        await page.wait_for_function("() => (window.__pdToasts || []).some((x) => x.includes('已受理'))",
                                     timeout=ACTION_TIMEOUT_S * 1000)
        await page.evaluate("window.__pdToasts = []")
        self.tally.done["tickets"] = self.tally.done.get("tickets", 0) + 1

    def pick(self) -> str:
        mix = [("navigate", 4), ("tab", 3), ("search", 2)]
        if self.username in CASHIERS:
            mix.append(("pay", 3))
        if self.username in INTAKE:
            mix.append(("ticket", 1))
        names, weights = zip(*mix, strict=True)
        return self.rng.choices(names, weights)[0]


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


async def desk_loop(desk: Desk, began: float, stop_at: float, think: tuple[float, float], shots: Path) -> None:
    tally = desk.tally
    while time.monotonic() < stop_at:
        kind = desk.doing = desk.pick()
        tally.actions[kind] = tally.actions.get(kind, 0) + 1
        try:
            # each wait inside has its own 60 s limit; this one only stops an action that never ends
            await asyncio.wait_for(getattr(desk, kind)(), timeout=ACTION_TIMEOUT_S * 10)
            if await desk.page.get_by_text(APP_ERROR).count():
                raise RuntimeError(APP_ERROR)
            refused = desk.page.locator(DOMAIN_ERROR)
            if await refused.count():
                tally.refusals.append((await refused.first.inner_text())[:120])
        except Exception as exc:  # an error of the soak: recorded with a screenshot, then a fresh start
            error = {"desk": desk.n, "user": desk.username, "action": kind,
                     "error": f"{type(exc).__name__}: {exc}"[:300], "at_s": round(time.monotonic() - began, 1)}
            tally.errors.append(error)
            if len(tally.errors) <= 10:
                path = shots / f"soak-error-{len(tally.errors) - 1}.png"
                try:
                    await desk.page.screenshot(path=str(path))
                    error["screenshot"] = str(path)
                except Exception:  # the page may be gone: the error is kept without its picture
                    pass
            try:
                desk.doing = "sign in"
                await desk.sign_in()
            except Exception as again:  # the next action tries again
                tally.errors.append({"desk": desk.n, "user": desk.username, "action": "sign in again",
                                     "error": f"{type(again).__name__}: {again}"[:300]})
        await asyncio.sleep(desk.rng.uniform(*think))


def yield_to_server() -> None:
    """Lower this soak's Chromium processes to the lowest CPU priority: the browsers stand in for 20 PCs of
    their own, so they take only what the server leaves (Chromium spawns renderers as it goes: called again)."""
    for pid in chromium_pids():
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, pid, 19)


async def sample_memory(pid: int, tally: Tally, began: float, stop: asyncio.Event) -> None:
    from bench.browser import rss_mb

    while not stop.is_set():
        yield_to_server()
        tally.memory.append((round(time.monotonic() - began, 1), round(rss_mb(pid), 1)))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=15)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time used so far by these processes (those that have exited count nothing)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / tick  # utime, stime
    return total


def chromium_pids() -> list[int]:
    """The processes of this soak's Chromium (browser, renderers, GPU/utility): descendants of this process
    (through Playwright's driver) whose program is Chromium; another run's browsers on the machine are not ours."""
    parent: dict[int, int] = {}
    program: dict[int, bytes] = {}
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            parent[int(proc.name)] = int((proc / "stat").read_text().rsplit(")", 1)[1].split()[1])
            program[int(proc.name)] = (proc / "cmdline").read_bytes().split(b"\0")[0]
        except (OSError, IndexError, ValueError):
            continue

    def ours(pid: int) -> bool:
        while pid > 1:
            pid = parent.get(pid, 0)
            if pid == os.getpid():
                return True
        return False

    return [pid for pid, cmd in program.items() if b"chrom" in cmd.rsplit(b"/", 1)[-1] and ours(pid)]


def pct(values: list[float], q: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


async def soak(seconds: float, sessions: int, think: tuple[float, float], tmp: Path) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    from bench import databases
    from bench.browser import CHROMIUM, CHROMIUM_ARGS, rss_mb, serve

    db = databases.database("small", None, tmp)
    tally = Tally()
    log_path = tmp / "streamlit.log"
    shots = ROOT / "test-artifacts"
    shots.mkdir(exist_ok=True)
    with serve(db.url, log_path) as (base, pid):
        rss_started = rss_mb(pid)
        async with async_playwright() as pw:
            browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            desks = []
            began = time.monotonic()
            for n in range(sessions):
                ctx = await browser.new_context(viewport={"width": 1400, "height": 900}, locale="zh-CN",
                                                timezone_id="Asia/Shanghai")
                await ctx.add_init_script(TOAST_RECORDER)
                page = await ctx.new_page()
                page.set_default_timeout(ACTION_TIMEOUT_S * 1000)
                yield_to_server()
                desk = Desk(n, page, DESKS[n % len(DESKS)], databases.DEMO_PASSWORD, base, tally, seed=16)
                await desk.sign_in()
                desks.append(desk)
            signed_in_s = time.monotonic() - began
            rss_signed_in = rss_mb(pid)
            print(f"  {sessions} sessions signed in after {signed_in_s:.0f} s; server RSS {rss_signed_in:.0f} MB",
                  flush=True)
            stop = asyncio.Event()
            began = time.monotonic()
            sampler = asyncio.create_task(sample_memory(pid, tally, began, stop))
            server_cpu0, browser_cpu0 = cpu_seconds([pid]), cpu_seconds(chromium_pids())
            stop_at = began + seconds
            await asyncio.gather(*(desk_loop(d, began, stop_at, think, shots) for d in desks))
            stop.set()
            await sampler
            elapsed = time.monotonic() - began
            rss_end = rss_mb(pid)
            server_cpu = cpu_seconds([pid]) - server_cpu0
            browser_cpu = cpu_seconds(chromium_pids()) - browser_cpu0
            await browser.close()
    log = log_path.read_text(errors="replace")
    (shots / "soak-streamlit.log").write_text(log)  # kept beside the error screenshots (test-artifacts/)
    tracebacks = log.count("Traceback (most recent call last)")
    if tracebacks:
        tally.errors.append({"action": "server log", "error": f"{tracebacks} tracebacks in the server log"})
    mem = [m for _, m in tally.memory]
    # every page has been opened by some desk by then: what grows after it is what a leak would be
    warm = next((m for t, m in tally.memory if t >= min(120.0, elapsed / 4)), None)
    return {
        "when": time.strftime("%Y-%m-%d %H:%M:%S"),
        "database": db.url.split(":", 1)[0],
        "sessions": sessions, "seconds": round(elapsed), "think_s": list(think),
        "actions": dict(sorted(tally.actions.items())), "completed": tally.done,
        "errors": len(tally.errors), "error_samples": tally.errors[:10],
        "refusals": len(tally.refusals), "refusal_samples": sorted(set(tally.refusals))[:10],
        "waits": len(tally.waits),
        "wait_ms": {"p50": _r(pct(tally.waits, 0.5)), "p95": _r(pct(tally.waits, 0.95)),
                    "max": _r(max(tally.waits, default=None))},
        "page_open_ms": {"n": len(tally.nav), "p50": _r(pct(tally.nav, 0.5)), "p95": _r(pct(tally.nav, 0.95))},
        "wait_ms_by_action": {k: {"n": len(v), "p50": _r(pct(v, 0.5)), "p95": _r(pct(v, 0.95))}
                              for k, v in sorted(tally.waits_by_action.items())},
        "rss_mb": {"server_started": round(rss_started), "sessions_signed_in": round(rss_signed_in),
                   "after_warmup": warm, "end": round(rss_end), "max": max(mem, default=None),
                   "drift_warmup_to_end": None if warm is None else round(rss_end - warm, 1),
                   "slope_after_warmup_mb_per_min": _slope(tally.memory, min(120.0, elapsed / 4))},
        # where the 2 cores went: a share of 1.0 is one core busy for the whole run
        "cpu_share": {"server": round(server_cpu / elapsed, 2), "chromium": round(browser_cpu / elapsed, 2),
                      "machine_load_avg_1m": round(os.getloadavg()[0], 1)},
        "memory_samples": tally.memory,
    }


def _r(v: float | None) -> float | None:
    return None if v is None else round(v)


def _slope(samples: list[tuple[float, float]], after_s: float) -> float | None:
    """MB a minute the RSS grew after the warm-up, by least squares over the samples: what a leak would show
    (single samples swing by ~100 MB as the allocator and the garbage collector come and go)."""
    points = [(t / 60, m) for t, m in samples if t >= after_s]
    if len(points) < 3:
        return None
    return round(statistics.linear_regression([x for x, _ in points], [y for _, y in points]).slope, 2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "soak-results.json")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(ROOT))
    seconds = float(os.environ.get("SOAK_SECONDS", "600"))
    sessions = int(os.environ.get("SOAK_SESSIONS", "20"))
    lo, hi = (float(x) for x in os.environ.get("SOAK_THINK", "2,6").split(","))
    print(f"soak: {sessions} sessions for {seconds:.0f} s against one console server", flush=True)
    with tempfile.TemporaryDirectory(prefix="propdesk-soak-") as tmp:
        result = asyncio.run(soak(seconds, sessions, (lo, hi), Path(tmp)))
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n")
    summary = {k: v for k, v in result.items() if k != "memory_samples"}
    print(json.dumps(summary, ensure_ascii=False, indent=1))
    print(f"errors {result['errors']} · waits p95 {result['wait_ms']['p95']} ms · page opens p95 "
          f"{result['page_open_ms']['p95']} ms · RSS after warm-up {result['rss_mb']['after_warmup']} -> end "
          f"{result['rss_mb']['end']} MB"
          f" · written to {args.out}")
    return 1 if result["errors"] else 0


if __name__ == "__main__":
    raise SystemExit(main())
