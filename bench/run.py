"""`make bench`: server-side page times on the demo estate, and unit lists at 20,000 units.

The machine is shared and noisy, so every figure is the median of several runs and is
reported next to a floor measured in the same run (a trivial Streamlit script for pages,
a one-row primary-key query for lists), as a ratio to that floor.
"""

from __future__ import annotations

import logging
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUNS = 5


def median_ms(fn, runs: int = RUNS) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def _use_db(url: str) -> None:
    os.environ["DATABASE_URL"] = url


def bench_pages(tmp: Path) -> list[tuple[str, float, float]]:
    from streamlit.testing.v1 import AppTest

    # AppTest runs the page outside a server; Streamlit warns about that on every cached call, drowning the figures
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").addFilter(
        lambda record: "missing ScriptRunContext" not in record.getMessage())

    from db import migrate
    from services.admin import system
    from services.demo import builder as demo
    from services.platform.auth import authenticate

    _use_db(f"sqlite:///{tmp / 'small.db'}")
    migrate.upgrade()
    system.init(admin_password="bench-admin-1")
    demo.build_demo(scale="small", demo_password="bench-pass-1")
    actor = authenticate(username="sysadmin", password="bench-pass-1")

    trivial = tmp / "trivial.py"
    trivial.write_text("import streamlit as st\nst.title('x')\nst.write('floor')\n", encoding="utf-8")
    floor = median_ms(lambda: AppTest.from_file(str(trivial), default_timeout=60).run())

    rows = [("floor: trivial script", floor, 1.0)]
    for script in ("home", "owners", "tickets", "fees", "appraisal", "audit", "admin", "account"):
        def run_page(script=script):
            at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
            at.session_state["actor"] = actor
            at.run()
            at.switch_page(f"screens/{script}.py").run()
            assert not at.exception, at.exception

        run_page()  # warm imports
        ms = median_ms(run_page)
        rows.append((f"/{'' if script == 'home' else script}", ms, ms / floor))
    return rows


def bench_appraisal(tmp: Path) -> list[tuple[str, float, float]]:
    """Building a month's scorecards on the demo estate (bench_pages built it): every KPI of every person
    through services/kpi, then the month table. Floor: a one-row primary-key query on the same database."""
    from db.engine import read_session
    from db.models import Staff
    from services.appraisal import scorecards as appraisal
    from services.fees.reports import month_labels
    from services.platform.auth import SYSTEM_ACTOR

    _use_db(f"sqlite:///{tmp / 'small.db'}")

    def floor_query():
        with read_session() as s:
            s.get(Staff, 1)

    floor = median_ms(floor_query, runs=9)
    current, last = month_labels(count=2)
    appraisal.build_drafts(actor=SYSTEM_ACTOR, period=current)  # creates; the runs below recompute drafts
    with read_session() as s:
        people = s.query(Staff).filter(Staff.appraised.is_(True)).count()
    rows = [("floor: one-row query", floor, 1.0)]
    ms = median_ms(lambda: appraisal.build_drafts(actor=SYSTEM_ACTOR, period=current), runs=3)
    rows.append((f"recompute the running month's drafts ({people} staff)", ms, ms / floor))
    ms = median_ms(lambda: appraisal.month_view(actor=SYSTEM_ACTOR, period=last))
    rows.append(("month table of an approved month", ms, ms / floor))
    return rows


def bench_lists(tmp: Path) -> list[tuple[str, float, float]]:
    from sqlalchemy import select

    from db import migrate
    from db.engine import read_session
    from db.models import Unit
    from services.demo import builder as demo
    from services.estate.people import search
    from services.estate.units import list_units
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery

    _use_db(f"sqlite:///{tmp / 'large.db'}")
    migrate.upgrade()
    t0 = time.perf_counter()
    demo.build_demo(scale="large", demo_password="bench-pass-1")
    build_s = time.perf_counter() - t0
    with read_session() as s:
        n_units = s.scalar(select(Unit.id).order_by(Unit.id.desc()).limit(1))

    def floor_query():
        with read_session() as s:
            s.get(Unit, 1)

    floor = median_ms(floor_query, runs=9)
    cases = {
        "first page (100 rows, by code)": ListQuery(),
        "search '1-1-101'": ListQuery(search="1-1-101"),
        "filter status=空置": ListQuery(filters={"status": "空置"}),
        "page 40 of 500-row pages": ListQuery(page=40, page_size=500),
        "owner name search '张'": ListQuery(search="张"),
    }
    rows = [(f"floor: one-row query ({n_units:,} units, demo built in {build_s:.0f} s)", floor, 1.0)]
    for label, q in cases.items():
        ms = median_ms(lambda q=q: list_units(actor=SYSTEM_ACTOR, query=q), runs=7)
        rows.append((label, ms, ms / floor))
    # The one search box of /owners (target: under 100 ms server-side at this scale).
    for text in ("1-1-101", "11101", "zw", "张", "8000", "13812345678"):
        ms = median_ms(lambda text=text: search(actor=SYSTEM_ACTOR, text=text), runs=9)
        rows.append((f"search box '{text}'", ms, ms / floor))
    return rows


def main() -> int:
    sys.path.insert(0, str(ROOT))
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        print("Pages, server-side (AppTest, median of 5, demo estate ~800 units)")
        for label, ms, ratio in bench_pages(tmp):
            print(f"  {label:<48} {ms:8.1f} ms  x{ratio:5.1f}")
        print("Appraisal on the demo estate (SQLite)")
        for label, ms, ratio in bench_appraisal(tmp):
            print(f"  {label:<60} {ms:8.1f} ms  x{ratio:7.1f}")
        print("Unit lists at scale (median of 7, SQLite)")
        for label, ms, ratio in bench_lists(tmp):
            print(f"  {label:<60} {ms:8.1f} ms  x{ratio:7.1f}")
        from bench.imports import RUNS as IMPORT_RUNS
        from bench.imports import bench_import

        print(f"Excel import (median of {IMPORT_RUNS}, SQLite; target < 15,000 ms)")
        for label, ms in bench_import(tmp):
            print(f"  {label:<60} {ms:8.0f} ms")
        from bench.billing import RUNS as BILLING_RUNS
        from bench.billing import bench_billing

        print(f"Billing run at 20,000 units (median of {BILLING_RUNS}, SQLite)")
        for label, ms in bench_billing(tmp):
            print(f"  {label:<72} {ms:8.0f} ms" if ms else f"  {label}")
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"Peak memory of the benchmark process: {peak_mb:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
