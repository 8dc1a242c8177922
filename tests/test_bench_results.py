"""The bench's results file: a run of some cases replaces only their rows (bench/run._merged), and the README's
tables are rendered from it (bench/report.py)."""

from __future__ import annotations

import json

from bench.report import markdown
from bench.run import _merged


def _doc(at: str, rows: list[dict], units: int = 20_000) -> dict:
    return {"at": at, "backend": "sqlite", "settings": {"runs": 5, "units": units, "smoke": False},
            "rows": rows, "missed": [r["name"] for r in rows if r["met"] is False]}


def _row(case: str, name: str, met: bool | None = True, ms: float = 1.0, floor: float | None = None) -> dict:
    return {"case": case, "name": name, "ms": ms, "floor_ms": floor, "met": met, "unit": "ms", "target": "t",
            "ratio": None if floor is None else round(ms / floor, 2)}


def test_a_partial_run_replaces_its_own_rows_and_keeps_the_others_in_case_order(tmp_path):
    out = tmp_path / "results.json"
    full = _doc("t1", [_row("pages", "old page", False), _row("pages-growth", "old growth"),
                       _row("kpi", "kpi a"), _row("search", "search a", False), _row("memory", "mem")])
    out.write_text(json.dumps(full), encoding="utf-8")

    merged = _merged(_doc("t2", [_row("pages", "new page"), _row("pages-growth", "new growth")]), out, ("pages",))

    assert [r["name"] for r in merged["rows"]] == ["new page", "new growth", "kpi a", "search a", "mem"]
    assert merged["missed"] == ["search a"]
    assert merged["cases_at"]["pages"] == "t2"


def test_a_run_of_another_size_or_a_full_run_replaces_the_file(tmp_path):
    out = tmp_path / "results.json"
    out.write_text(json.dumps(_doc("t1", [_row("kpi", "kpi a")], units=300)), encoding="utf-8")
    fresh = _doc("t2", [_row("pages", "p")])
    assert [r["name"] for r in _merged(fresh, out, ("pages",))["rows"]] == ["p"]
    assert _merged(fresh, tmp_path / "missing.json", ("pages",)) == fresh


def test_the_readme_table_puts_each_page_of_both_sizes_on_one_line_and_says_what_missed():
    document = _doc("t1", [_row("pages", "[small] /fees › 报表", True, 90.0, 60.0),
                           _row("pages", "[large] /fees › 报表", False, 3850.0, 60.0),
                           _row("pages-growth", "large/small /fees › 报表", False, 3850.0, 90.0),
                           _row("kpi", "[large] fee figures, one month", True, 220.0, 400.0)])
    document["machine"] = {"cpu": "cpu", "cores": 2, "memory_gib": 24.0, "python": "3.11.7"}
    text = markdown(document)
    assert "| /fees › 报表 | 90.0 ms | ×1.50 | 3,850 ms | ×64.17 | ×42.78 | **missed** |" in text
    assert "| kpi | [large] fee figures, one month | 220 ms | 400 ms | ×0.55 | t | ok |" in text
    assert "Targets missed: 2 of 4." in text
