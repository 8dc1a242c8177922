"""Case 1: server-side time of every page and every tab as a manager (AppTest), and the rows each sends.

A page is opened once (not timed), then each of its tabs is selected and the page rerun: the median of those
reruns is the tab's time. Tabs are found in the page itself (every keyed st.tabs, nested ones included), so a
tab added later is measured without touching the bench. Floor: the same AppTest rerun of a page showing one
500-row grid (streamlit-aggrid, as the registers use) and nothing else. Every run also counts the rows sent to
the browser by each grid, table and dataframe (issue 14: never more than 500).
"""

from __future__ import annotations

import io
import json
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Row, Settings, median_ms, within

ROOT = Path(__file__).resolve().parent.parent
MAX_ROWS = 500
PAGE_TARGET = "≤1.5× floor and <500 ms"
PAGES = ("home", "owners", "tickets", "fees", "relations", "appraisal", "audit", "admin", "account")
# the home page is each role's own: measured as the manager with and without the trends, and as these roles too
HOME_USERS = {"service": "客服前台", "cashier": "收费员", "engineer": "维修工程"}
HOME_TRENDS = "home:trends"  # the switch that draws the manager's 12-month trends (screens/home.py)
FLOOR_FLAG = "PROPDESK_BENCH_FLOOR_PAGE"


def quiet_streamlit() -> None:
    """AppTest runs scripts outside a server; Streamlit warns about that on every cached call."""
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())
    logging.getLogger("streamlit").setLevel(logging.ERROR)


def _nodes(node: Any) -> Iterator[Any]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def rows_sent(at: Any) -> dict[str, int]:
    """Rows each grid, dataframe and table of the last run sends to the browser, by element."""
    import pyarrow as pa

    counts: dict[str, int] = {}
    for n, node in enumerate(_nodes(at._tree)):
        kind = getattr(node, "type", None)
        if kind == "component_instance":
            for arg in node.proto.special_args:
                if arg.WhichOneof("value") == "arrow_dataframe":
                    table = pa.ipc.open_stream(io.BytesIO(arg.arrow_dataframe.data.data)).read_all()
                    counts[f"grid {json.loads(node.proto.json_args or '{}').get('key', n)}"] = table.num_rows
        elif kind in ("arrow_data_frame", "arrow_table", "dataframe", "table"):
            value = getattr(node, "value", None)
            if value is not None:
                counts[f"{kind} {n}"] = len(value)
    return counts


def tab_strips(at: Any, *, open_only: bool = False) -> dict[str, list[str]]:
    """The keyed tab strips (ui/kit/tabs.lazy_tabs) the last run drew, outermost first: {session-state key:
    [labels]} (with `open_only`, just the label of the open tab). The page tests open tabs with it too."""
    strips: dict[str, list[str]] = {}
    for node in _nodes(at._tree):
        children = list(getattr(node, "children", {}).values())
        if children and all(getattr(c, "type", None) == "tab" for c in children):
            block_id = getattr(node, "_block_id", "") or ""
            if block_id.count("-") >= 2:  # "$$ID-<hash>-<key>": only a keyed strip can be opened by key
                labels = [c.label for c in children]
                if open_only:
                    labels = [labels[node.proto.tab_container.default_tab_index]]
                strips[block_id.split("-", 2)[2]] = labels
    return strips


def _open(actor: Any, script: str) -> Any:
    """An AppTest of the console signed in as `actor`, on `script`: what every measured page and the floor pay
    alike (the app shell: session, navigation by role, sidebar) is in both."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["actor"] = actor
    at.run()
    at.switch_page(script).run()
    assert not at.exception, f"{script}: {at.exception}"
    return at


@contextmanager
def compiled_once() -> Iterator[None]:
    """AppTest gives each run a fresh ScriptCache, so every rerun compiles app.py and the page again (with Streamlit's
    magic pass over the syntax tree: 30-60 ms for the larger pages, a few ms for the floor's); a server keeps one
    cache and compiles a script once. Inside this, the floor and the pages alike share one cache, as on a server."""
    import streamlit.testing.v1.app_test as app_test
    import streamlit.testing.v1.local_script_runner as local_runner
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache

    shared = ScriptCache()
    saved = app_test.ScriptCache, local_runner.ScriptCache
    app_test.ScriptCache = local_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        app_test.ScriptCache, local_runner.ScriptCache = saved


@contextmanager
def _floor_page_served() -> Iterator[None]:
    """app.py lists the floor page only while PROPDESK_BENCH_FLOOR_PAGE=1 (never in the page tests after us)."""
    before = os.environ.get(FLOOR_FLAG)
    os.environ[FLOOR_FLAG] = "1"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(FLOOR_FLAG, None)
        else:
            os.environ[FLOOR_FLAG] = before


def _floor(runs: int, actor: Any) -> float:
    """The same AppTest rerun, through the same app shell, of a page with one 500-row grid and nothing else."""
    at = _open(actor, "bench/floor_page.py")
    assert rows_sent(at) == {"grid floor": 500}, rows_sent(at)
    return median_ms(at.run, runs)


def bench_pages(settings: Settings, scale: str, *, username: str = "manager", password: str = "",
                pages: tuple[str, ...] = PAGES) -> list[Row]:
    with compiled_once():
        return _bench_pages(settings, scale, username=username, password=password, pages=pages)


def _bench_pages(settings: Settings, scale: str, *, username: str, password: str, pages: tuple[str, ...]) -> list[Row]:
    from services.platform.auth import authenticate

    quiet_streamlit()
    runs = 1 if settings.smoke else settings.runs
    actor = authenticate(username=username, password=password)
    with _floor_page_served():
        floor = _floor(runs, actor)
    rows = [Row("pages", f"[{scale}] floor: one 500-row grid", floor, floor, "", None)]

    def measure(at: Any, name: str) -> None:
        ms = median_ms(at.run, runs)
        assert not at.exception, f"{name}: {at.exception}"
        sent = rows_sent(at)
        biggest = max(sent.values(), default=0)
        rows.append(Row("pages", f"[{scale}] {name}", ms, floor, PAGE_TARGET,
                        within(ms, floor, ratio=1.5, limit_ms=500) and biggest <= MAX_ROWS,
                        {"max_rows_sent": biggest, **({"over_cap": sent} if biggest > MAX_ROWS else {})}))

    for page in pages:
        at = _open(actor, f"screens/{page}.py")
        strips = list(tab_strips(at).items())
        if page == "home":
            measure(at, "/home")
            at.session_state[HOME_TRENDS] = True
            measure(at, "/home › 12个月趋势")
            for username, role in HOME_USERS.items():
                measure(_open(authenticate(username=username, password=password), "screens/home.py"),
                        f"/home（{role}）")
            continue
        if not strips:
            measure(at, f"/{page}")
            continue
        key, labels = strips[0]
        for label in labels:
            at.session_state[key] = label
            at.run()
            inner = [(k, ls) for k, ls in tab_strips(at).items() if k != key]
            if not inner:
                measure(at, f"/{page} › {label}")
                continue
            inner_key, inner_labels = inner[0]
            for inner_label in inner_labels:
                at.session_state[inner_key] = inner_label
                measure(at, f"/{page} › {label} › {inner_label}")
    return rows


def scale_ratios(small: list[Row], large: list[Row]) -> list[Row]:
    """How each page's cost grows with the data: large time / small time (target: flat, under 1.5)."""
    by_name = {r.name.split("] ", 1)[1]: r for r in small if r.ms}
    out = []
    for r in large:
        name = r.name.split("] ", 1)[1]
        if name.startswith("floor") or name not in by_name or r.ms is None:
            continue
        ratio = r.ms / by_name[name].ms
        out.append(Row("pages-growth", f"large/small {name}", r.ms, by_name[name].ms, "large/small <1.5",
                       ratio < 1.5))
    return out
