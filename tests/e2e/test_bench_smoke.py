"""`make bench` in miniature: every case runs end to end on the test run's demo database and a 120-unit large
estate, once each (pages: /home and every tab of /fees). Checked: the KPI figures equal the hand-written SQL, no
page or tab measured sends more than 500 rows to the browser, the results file is written. Never timings: those
are `make bench`'s, on a quiet machine."""

from __future__ import annotations

import json

import pytest

from bench.run import CASES, run
from tests.demo_template import DEMO_PASSWORD, demo_copy

pytestmark = pytest.mark.e2e  # starts a console and drives Chromium (case 6)


def test_every_bench_case_runs_and_its_checks_hold(browser, tmp_path, tmp_path_factory, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///" + str(tmp_path / "unused.db"))  # restored after the test
    monkeypatch.setenv("PROPDESK_BENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("BENCH_DATABASE_URL", raising=False)
    small = demo_copy(tmp_path_factory, tmp_path / "demo.db")
    out = tmp_path / "results.json"

    document = run(units=120, runs=1, cases=CASES, out=out, smoke=True, small_db=(small, DEMO_PASSWORD),
                   page_scales=("small",), browser=browser)

    assert json.loads(out.read_text(encoding="utf-8"))["rows"] == document["rows"]
    rows = document["rows"]
    assert {r["case"] for r in rows} >= {"pages", "kpi", "search", "grids", "billing", "imports", "browser",
                                         "memory"}
    kpis = [r for r in rows if r["case"] == "kpi"]
    assert len(kpis) == 12 and all(r["extra"]["values_agree"] for r in kpis)  # 6 cases x small and large
    pages = [r for r in rows if r["case"] == "pages" and "floor" not in r["name"]]
    assert len(pages) >= 8, [r["name"] for r in pages]  # /home, and every tab of /fees
    over = {r["name"]: r["extra"].get("over_cap") for r in pages if r["extra"]["max_rows_sent"] > 500}
    assert not over, over  # (every page and tab of every role: tests/pages/test_every_page.py)
    assert all(r["ms"] is not None and r["ms"] > 0 for r in rows if r["case"] != "memory")
