"""What every bench case shares: timing as a median beside a floor measured in the same run, the result rows
that `make bench` prints and writes to bench/results.json, and the database each case points at.

The machine is shared and noisy, so a figure alone means little: each case reports the median of several runs
and a ratio to a floor taken in the same run on the same database. Targets (issue 14) are recorded beside each
row with whether they were met; the smoke run in `make test` checks that the cases run and their values agree,
never the timings.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Settings:
    """How hard to measure: `runs` per median (issue: at least 5), `units` of the large database."""

    runs: int = 5
    units: int = 20_000
    smoke: bool = False  # a tiny run for `make test`: the cases run and their values agree, nothing is timed


@dataclass
class Row:
    """One measured line: `ms` (median) beside `floor_ms` (the floor of the same run), and the target it meets."""

    case: str
    name: str
    ms: float | None
    floor_ms: float | None = None
    target: str = ""
    met: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    unit: str = "ms"

    @property
    def ratio(self) -> float | None:
        return self.ms / self.floor_ms if self.ms is not None and self.floor_ms else None

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "ratio": None if self.ratio is None else round(self.ratio, 2)}


def median_ms(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(max(1, runs)):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, Any]:
    """The median time of `fn` over `runs` and the value of its last run (so a case can check what it timed)."""
    result: list[Any] = []
    ms = median_ms(lambda: result.append(fn()), runs)
    return ms, result[-1]


def within(ms: float, floor: float | None, *, ratio: float | None = None, limit_ms: float | None = None
           ) -> bool:
    """A target of the issue: within `ratio` times the floor and under `limit_ms` (either may be absent)."""
    ok = True
    if ratio is not None and floor:
        ok = ok and ms <= ratio * floor
    if limit_ms is not None:
        ok = ok and ms <= limit_ms
    return ok


def use_database(url: str) -> None:
    """Point the application (db.engine) at `url`; engines are per URL, so switching back and forth is cheap."""
    os.environ["DATABASE_URL"] = url


def print_table(title: str, rows: list[Row]) -> None:
    print(title)
    for r in rows:
        ms = "" if r.ms is None else f"{r.ms:10.1f} {r.unit}"
        floor = "" if r.floor_ms is None else f"floor {r.floor_ms:8.1f} {r.unit}"
        ratio = "" if r.ratio is None else f"x{r.ratio:6.2f}"
        met = {True: "ok", False: "MISSED", None: ""}[r.met]
        print(f"  {r.name:<62} {ms:>13} {floor:>19} {ratio:>8}  {met:<6} {r.target}")
