"""The README's performance tables from bench/results*.json: `python -m bench.report [FILE ...]` prints Markdown.

One table per results file: the machine and when it ran, then every row with its median, floor, ratio and
whether it met the issue's target; the pages of both sizes side by side.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MET = {True: "ok", False: "**missed**", None: ""}


def _number(value: float | None, unit: str = "ms") -> str:
    if value is None:
        return ""
    return f"{value:,.0f} {unit}" if value >= 100 else f"{value:,.1f} {unit}"


def _ratio(row: dict[str, Any]) -> str:
    return "" if row.get("ratio") is None else f"×{row['ratio']:.2f}"


def markdown(document: dict[str, Any]) -> str:
    machine = document["machine"]
    settings = document["settings"]
    lines = [f"**{document['backend']}**, {settings['units']:,} units, median of {settings['runs']} runs; "
             f"{machine['cpu']}, {machine['cores']} cores, {machine['memory_gib']} GiB, Python {machine['python']}; "
             f"{document['at']}. Targets missed: {len(document['missed'])} of "
             f"{sum(1 for r in document['rows'] if r['met'] is not None)}.", ""]
    rows = document["rows"]
    pages = {r["name"].split("] ", 1)[1]: r for r in rows if r["case"] == "pages" and r["name"].startswith("[small]")}
    large = {r["name"].split("] ", 1)[1]: r for r in rows if r["case"] == "pages" and r["name"].startswith("[large]")}
    growth = {r["name"].removeprefix("large/small "): r for r in rows if r["case"] == "pages-growth"}
    if pages or large:
        lines += ["| page › tab (AppTest, manager) | demo | ×floor | large | ×floor | large/small | target |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for name in dict.fromkeys([*pages, *large]):
            s, g, k = pages.get(name, {}), large.get(name, {}), growth.get(name, {})
            met = [x["met"] for x in (s, g, k) if x.get("met") is not None]
            verdict = "" if not met else ("ok" if all(met) else "**missed**")
            lines.append(f"| {name} | {_number(s.get('ms'))} | {_ratio(s)} | {_number(g.get('ms'))} | {_ratio(g)} | "
                         f"{'' if not k else _ratio(k)} | {verdict} |")
        lines.append("")
    lines += ["| case | figure | median | floor | ratio | target | |", "|---|---|---:|---:|---:|---|---|"]
    for r in rows:
        if r["case"] in ("pages", "pages-growth"):
            continue
        lines.append(f"| {r['case']} | {r['name']} | {_number(r['ms'], r['unit'])} | "
                     f"{_number(r['floor_ms'], r['unit'])} | {_ratio(r)} | {r['target']} | {MET[r['met']]} |")
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    files = [Path(a) for a in argv] or sorted((ROOT / "bench").glob("results*.json"))
    for f in files:
        print(f"#### {f.name}\n")
        print(markdown(json.loads(f.read_text(encoding="utf-8"))))
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
