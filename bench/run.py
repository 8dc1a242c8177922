"""`make bench`: every case of issue 14 on the demo estate and on the large one, written to bench/results.json.

    python -m bench.run [--units N] [--runs K] [--cases pages,kpi,lists,billing,imports,browser] [--out FILE]

1. pages: server-side time of every page and tab as a manager (AppTest), small and large, and large/small.
2. kpi: every KPI.md figure for a month and the 12-month trends, against hand-written SQL (values checked).
3. lists: the /owners search box and the register grids (first page, filter, sort).
4. billing: a month's billing run at the large size, against a naive one-row-at-a-time loop (SQLite).
5. imports: a 20,000-row asset workbook and a 10,000-row ticket register (SQLite).
6./7. browser: time until /owners, /tickets, /fees are usable in Chromium, and memory per session.

Every figure is the median of at least `--runs` runs (default 5) next to a floor measured in the same run.
With BENCH_DATABASE_URL (e.g. postgresql://postgres@127.0.0.1/propdesk_bench) cases 1–3 and 6–7 run on that
server instead of SQLite, and the results go to bench/results-<backend>.json. A run of some cases (`--cases pages`)
replaces just their rows in a results file of the same backend and size.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CASES = ("pages", "kpi", "lists", "billing", "imports", "browser")
# the `case` of the rows each case writes (a re-run of some cases replaces just their rows in the results file)
ROW_CASES = {"pages": ("pages", "pages-growth"), "kpi": ("kpi",), "lists": ("search", "grids"),
             "billing": ("billing",), "imports": ("imports",), "browser": ("browser", "memory")}


def _machine() -> dict[str, object]:
    mem = next((line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines()
                if line.startswith("MemTotal:")), "0")
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    return {"cpu": cpu, "cores": os.cpu_count(), "memory_gib": round(int(mem) / 1024 / 1024, 1),
            "python": platform.python_version(), "system": platform.platform()}


def run(*, units: int, runs: int, cases: tuple[str, ...], out: Path | None, smoke: bool = False,
        small_db: tuple[Path, str] | None = None, page_scales: tuple[str, ...] = ("small", "large"),
        browser: object = None) -> dict[str, object]:
    """Run the chosen cases; returns (and writes to `out`) the results document. `small_db`: an existing demo
    database to use as the small one, and its demo users' password (the test run's, for the smoke run);
    `browser`: a running Playwright Chromium to drive (the test session's), else the bench starts one."""
    sys.path.insert(0, str(ROOT))
    from bench import databases
    from bench.common import Row, Settings, print_table

    settings = Settings(runs=runs, units=units, smoke=smoke)
    server = os.environ.get("BENCH_DATABASE_URL")
    backend = server.split(":", 1)[0].split("+", 1)[0] if server else "sqlite"
    rows: list[Row] = []
    started = time.perf_counter()

    def password_of(scale: str) -> str:
        return small_db[1] if small_db is not None and scale == "small" else databases.DEMO_PASSWORD

    def show(title: str, new: list[Row]) -> None:
        rows.extend(new)
        print_table(title, new)

    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        built: dict[str, databases.Database] = {}

        def on(scale: str) -> databases.Database:
            if scale == "small" and small_db is not None and not server:
                import shutil

                copy = tmp / "small-given.db"
                shutil.copy(small_db[0], copy)
                built[scale] = databases.Database("small", f"sqlite:///{copy}", copy, 0)
            else:
                built[scale] = databases.database(scale, units if scale == "large" else None, tmp)
            databases.use_database(built[scale].url)
            return built[scale]

        page_rows: dict[str, list] = {}
        for scale in ("small", "large"):
            if not {"pages", "kpi", "lists"} & set(cases):
                break
            db = on(scale)
            password = password_of(scale)
            if "pages" in cases and scale in page_scales:
                from bench.pages import bench_pages

                # the smoke run opens two pages (tests/pages/test_every_page opens every tab of every page)
                page_rows[scale] = bench_pages(settings, scale, password=password,
                                               **({"pages": ("home", "fees")} if smoke else {}))
                show(f"1. Pages and tabs, server-side (AppTest, manager, {scale}: {db.url.rsplit('/', 1)[-1]})",
                     page_rows[scale])
            if "kpi" in cases:
                from bench.kpis import bench_kpis

                show(f"2. KPIs against hand-written SQL ({scale})", bench_kpis(settings, scale))
            if "lists" in cases:
                from bench.lists import bench_lists

                show(f"3. Search box and register grids ({scale})", bench_lists(settings, scale))
        if len(page_rows) == 2:
            from bench.pages import scale_ratios

            show("1. How page cost grows with the data (large / small)",
                 scale_ratios(page_rows["small"], page_rows["large"]))
        if not server and "billing" in cases:
            from bench.billing import bench_billing

            db = built.get("large") or on("large")
            got = bench_billing(db.path, tmp, runs=1 if smoke else max(runs, 5))
            (label, fast), (naive_label, naive) = got
            show("4. Billing run at the large size (SQLite)", [
                Row("billing", label, fast, naive, "<2 s and ≥10× faster than the naive loop",
                    fast < 2000 and naive >= 10 * fast, {"naive": naive_label, "speedup": round(naive / fast, 1)})])
        if not server and "imports" in cases:
            from bench.imports import ROWS, TICKET_ROWS, bench_import, bench_ticket_import

            small = built.get("small") or on("small")
            import_runs = 1 if smoke else max(runs, 5)
            got = bench_import(tmp, import_runs, rows=200 if smoke else ROWS)
            got += bench_ticket_import(small.path, tmp, import_runs,
                                       rows=100 if smoke else TICKET_ROWS)
            show("5. Excel imports (SQLite)", [Row("imports", label, ms, None, "<15 s", ms < 15_000)
                                               for label, ms in got])
        if "browser" in cases:
            from bench.browser import bench_browser

            db = built.get("large") or on("large")
            show("6./7. Browser and memory (headless Chromium, manager)",
                 bench_browser(settings, "large", db.url, tmp, username="manager",
                               password=password_of("large"), browser=browser))
    document = {
        "at": time.strftime("%Y-%m-%d %H:%M:%S"), "backend": backend, "machine": _machine(),
        "settings": {"runs": runs, "units": units, "smoke": smoke},
        "seconds": round(time.perf_counter() - started, 1),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "rows": [r.as_json() for r in rows],
        "missed": [r.name for r in rows if r.met is False],
    }
    if out is not None:
        document = _merged(document, out, cases)
        out.write_text(json.dumps(document, ensure_ascii=False, indent=1, default=str), encoding="utf-8")
        print(f"Results written to {out} ({len(rows)} rows, {len(document['missed'])} targets missed, "
              f"{document['seconds']} s)")
    return document


def _merged(document: dict[str, Any], out: Path, cases: tuple[str, ...]) -> dict[str, Any]:
    """`document` with the rows of the cases not run now kept from `out`, when `out` holds a run of the same
    backend and size: `--cases pages` after a full run updates the pages and keeps the rest. Each case keeps the
    time it was measured at (`cases_at`)."""
    try:
        before = json.loads(out.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return document
    same = (before.get("backend"), before.get("settings")) == (document["backend"], document["settings"])
    if not same or set(cases) == set(CASES):
        return {**document, "cases_at": dict.fromkeys(cases, document["at"])}
    replaced = {row_case for c in cases for row_case in ROW_CASES[c]}
    rows = [r for r in before["rows"] if r["case"] not in replaced] + document["rows"]
    order = {row_case: n for n, c in enumerate(CASES) for row_case in ROW_CASES[c]}
    rows.sort(key=lambda r: order.get(r["case"], len(order)))
    cases_at = {**before.get("cases_at", {}), **dict.fromkeys(cases, document["at"])}
    return {**document, "rows": rows, "missed": [r["name"] for r in rows if r["met"] is False],
            "cases_at": cases_at}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="make bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--units", type=int, default=20_000, help="units of the large estate (default 20,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per median (at least 5 for the record)")
    parser.add_argument("--cases", default=",".join(CASES), help=f"comma-separated, of {', '.join(CASES)}")
    parser.add_argument("--out", type=Path, default=None, help="the results file (default bench/results.json)")
    args = parser.parse_args(argv)
    cases = tuple(c.strip() for c in args.cases.split(",") if c.strip())
    unknown = set(cases) - set(CASES)
    if unknown:
        parser.error(f"unknown case(s): {', '.join(sorted(unknown))}")
    server = os.environ.get("BENCH_DATABASE_URL")
    backend = server.split(":", 1)[0].split("+", 1)[0] if server else ""
    out = args.out or ROOT / "bench" / (f"results-{backend}.json" if backend else "results.json")
    run(units=args.units, runs=args.runs, cases=cases, out=out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
