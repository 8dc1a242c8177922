"""What the crash tests share: the worker process (tests/crash/driver.py), a small database built once per test
module, and the kill loop that checks the database after every kill.

The kill loop: the operation is first run to its end on a copy of the database, to measure how long it takes, and
when it reaches its step `writes` (from there on its transaction has written: an import's lock counter, a run's
first bills, the first payment). Then it is started again and again, each time on a fresh copy, and killed with
SIGKILL after a delay drawn at random with a fixed seed: one in each of SLICES equal slices of its duration (the
kills spread over the whole operation: reading the workbook, planning, writing, committing), then one in each of
WRITE_SLICES slices of the time from `writes` to its end, timed from the moment the child reaches `writes` (the
machine is shared: its speed changes between runs); more are drawn until at least KILLS kills found the operation
still running and WRITING of them inside its writing transaction. A run that ends before its kill corrects the
estimates (the median of such runs). After each kill the copy must hold all of the operation or none of it (the rows
it counts are exactly those before or those after the operation), pass SQLite's own integrity check and `propdesk
check` (services/admin/integrity.check, every invariant); after the last kill the operation must still run to its
end on that copy.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
from collections import Counter
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from db import migrate
from db.engine import get_engine, unit_of_work
from db.models import Bill
from services.admin import integrity, system
from services.fees import cashier
from services.platform.auth import Role
from tests.factories import bulk_units, fast_password_hashing, fee_login, make_estate, seed_fee_items

ROOT = Path(__file__).resolve().parents[2]
KILLS = 20  # kills that found the operation running, at least, per operation
SLICES = 12  # delays drawn first: one in each of this many equal slices of the measured duration ...
WRITE_SLICES = 10  # ... then one in each of these slices of the time from its step `writes` to its end
WRITING = 5  # kills inside the writing transaction, at least


def build_ledger_db(path: Path, *, billed: int, others: int, credit: int, paying: int) -> tuple[int, tuple[int, ...]]:
    """A SQLite database through the services: estate 测试小区 with `billed` units in building 1 and `others` in
    building 2 (已入住, delivered 2024-01-15), the seed fee catalog, cashier 收费员甲, 300.00 of prepaid credit on
    each of the first `credit` units and twelve open bills of 2025 on each of the next `paying` units. Returns the
    cashier's user id and the paying units; the WAL is folded in, so the one file is the database."""
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        fast_password_hashing(mp)
        mp.setenv("DATABASE_URL", url)
        migrate.upgrade(url)
        system.init(admin_password="crash-admin-1")
        items = seed_fee_items()
        estate, [b1, b2] = make_estate("C1", "测试小区", buildings=("1", "2"))
        units = bulk_units(estate, b1, billed)
        if others:
            bulk_units(estate, b2, others)
        cash = fee_login(Role.CASHIER, "cash1", "收费员甲")
        for unit in units[:credit]:
            cashier.take_payment(actor=cash, unit_id=unit, amount="300.00", method="微信")
        owing = tuple(units[credit:credit + paying])
        with unit_of_work() as uow:  # hand-made open bills (no audit row: bills are not audited one by one)
            uow.session.execute(insert(Bill), [
                {"fee_item_id": items["WY-ZZ"], "payer_key": f"U{unit}", "household": f"U{unit}", "unit_id": unit,
                 "payer_name": "业主", "period": f"2025-{month:02d}", "start_on": date(2025, month, 1),
                 "end_on": date(2025, month, 28), "amount": Decimal("196.90"), "paid": Decimal("0.00"),
                 "waived": Decimal("0.00"), "due_on": date(2025, month, 28), "status": "未缴", "source": "手工"}
                for unit in owing for month in range(1, 13)])
            uow.commit()
    get_engine(url).dispose()
    checkpoint(path)
    return cash.user_id or 0, owing


class Worker:
    """The driver process: forks, kills and reaps the children that run the operations."""

    def __init__(self) -> None:
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}
        env.pop("DATABASE_URL", None)
        self.proc = subprocess.Popen([sys.executable, "-m", "tests.crash.driver"], cwd=ROOT, env=env, text=True,
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE)
        ready = self._answer()
        assert "ready" in ready, ready

    def _answer(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        assert line, f"the crash worker ended (exit {self.proc.poll()})"
        return json.loads(line)

    def start(self, job: dict[str, Any]) -> None:
        """Hand the worker a job; `answer` waits for its outcome."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()

    def answer(self) -> dict[str, Any]:
        return self._answer()

    def run(self, job: dict[str, Any]) -> dict[str, Any]:
        self.start(job)
        return self._answer()

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()  # the worker this test started, by its Popen handle
            self.proc.wait()


def checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so copying the one file copies the database."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def sqlite_ok(path: Path) -> bool:
    conn = sqlite3.connect(path)
    try:
        return conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        conn.close()


def steps(progress: Path) -> list[tuple[float, str]]:
    """The progress steps a child wrote: (seconds since it started, message)."""
    out = []
    for line in progress.read_text(encoding="utf-8").splitlines() if progress.exists() else []:
        parts = line.split(" ", 2)
        if len(parts) == 3 and parts[0].replace(".", "").isdigit():
            out.append((float(parts[0]), parts[2]))
    return out


def last_step(progress: Path) -> str:
    """The last progress step the child wrote before it died ('' when it wrote none)."""
    found = steps(progress)
    return found[-1][1] if found else ""


@dataclass
class Outcome:
    """What the kills of one operation did, for the assertion messages and the issue's figures."""

    name: str
    seconds: float = 0.0  # the operation's measured duration
    tried: int = 0
    landed: int = 0  # kills that found the operation still running
    nothing: int = 0  # of those, how many left none of it
    everything: int = 0  # ... and how many all of it (killed after its commit, before the process ended)
    between: int = 0  # ... and how many stopped a series between two of its transactions (payments)
    steps: Counter[str] = field(default_factory=Counter)  # the last progress step written before each kill
    writing: int = 0  # kills inside its writing transaction (after the child had written its step `writes`)

    def summary(self) -> str:
        steps = "; ".join(f"{step or '（开始前）'} ×{n}" for step, n in self.steps.most_common())
        return (f"{self.name}: {self.landed} kills landed of {self.tried} tried (operation {self.seconds:.2f} s), "
                f"{self.writing} of them inside its writing transaction: {self.nothing} left nothing, {self.everything} left all"
                + (f", {self.between} stopped part-way through the series" if self.between else "")
                + f"; last step before the kill: {steps}")


def kill_loop(worker: Worker, template: Path, work: Path, name: str, job: Callable[[Path], dict[str, Any]],
              state: Callable[[str], Hashable], *, writes: str | tuple[str, ...], kills: int = KILLS,
              series: bool = False,
              extra: Callable[[str, Path, Hashable], None] | None = None) -> Outcome:
    """Run `job` to its end, then kill it at spread random moments; after each kill the database holds the state
    before or the state after (`state` of the database URL) and passes every check. A `series` of transactions
    (payments taken one after another) may also stop between two of them: each one is then whole or absent, which
    `extra` and the checks see. `extra(url, progress, state)` adds the operation's own checks. `writes` begins the
    message of the progress step from which the operation has written in its still open transaction (an import's
    lock counter, a run's first bills): the second set of delays falls between that step and the end, so the kills
    also land among the writes and the commit."""
    rng = random.Random(f"issue-16-crash-{name}")
    out = Outcome(name)
    before = state(_fresh(template, work / "before.db"))
    after: Hashable = None
    path = work / "measure.db"
    url = _fresh(template, path)
    result = worker.run({**job(path), "url": url, "progress": str(work / "measure.log"), "delay": None})
    assert result["exit"] == 0, (result, (work / "measure.log").read_text(encoding="utf-8"))
    after = state(url)
    assert after != before, f"{name}: the operation changed nothing"
    _verify(url, path, name)
    _drop(url, path)
    out.seconds = result["seconds"]
    measured = steps(work / "measure.log")
    wrote = next(t for t, message in measured if message.startswith(writes))
    tail = out.seconds - wrote  # from the step `writes` to the end
    # the durations of runs that ended before their kill (whole runs, and tails after `writes`): the estimates are
    # their medians, so a machine that runs faster than when the operation was measured still sees its kills land
    finished, tails = [out.seconds], [tail]
    plan = ([("start", (i + rng.random()) / SLICES) for i in range(SLICES)]
            + [("writes", (i + rng.random()) / WRITE_SLICES) for i in range(WRITE_SLICES)])
    last: tuple[str, Path] | None = None
    # more kills while too few landed, or too few inside the writing transaction
    while out.landed < kills or out.writing < WRITING or out.tried < len(plan):
        assert out.tried < 4 * len(plan), out.summary()
        if out.tried < len(plan):
            anchor, fraction = plan[out.tried]
        elif out.writing < WRITING:
            anchor, fraction = "writes", rng.random()
        else:
            anchor, fraction = "start", rng.random() * 0.9
        out.tried += 1
        path, progress = work / f"kill{out.tried}.db", work / f"kill{out.tried}.log"
        url = _fresh(template, path)
        # a kill in the writing transaction is timed from the step `writes`, as the child reaches it now
        timing = ({"delay": fraction * out.seconds} if anchor == "start"
                  else {"delay": fraction * statistics.median(tails), "after": writes})
        result = worker.run({**job(path), "url": url, "progress": str(progress), **timing})
        if not result["killed"]:
            finished.append(result["seconds"])
            out.seconds = statistics.median(finished)
            if result["anchored"] is not None:
                tails.append(result["seconds"] - result["anchored"])
        now = state(url)
        assert series or now in (before, after), (f"{name}: kill {out.tried} ({anchor} + {fraction:.2f}) left a "
                                                  f"partial write: {now} (before {before}, after {after}); {result}")
        _verify(url, path, f"{name} kill {out.tried}")
        if extra is not None:
            extra(url, progress, now)
        if result["killed"]:
            out.landed += 1
            out.nothing += now == before
            out.everything += now == after
            out.between += now not in (before, after)
            out.steps[last_step(progress)] += 1
            out.writing += any(message.startswith(writes) for _, message in steps(progress))
        else:
            assert result["exit"] == 0 and now == after, (result, progress.read_text(encoding="utf-8"))
        if last is not None:
            _drop(*last)
        last = (url, path)
    # the database a kill left behind takes the operation again, to its end
    assert last is not None
    url, path = last
    if state(url) == before:
        result = worker.run({**job(path), "url": url, "progress": str(work / "again.log"), "delay": None})
        assert result["exit"] == 0, (work / "again.log").read_text(encoding="utf-8")
        assert state(url) == after
        _verify(url, path, f"{name} after the last kill")
    _drop(url, path)
    return out


def _fresh(template: Path, path: Path) -> str:
    shutil.copyfile(template, path)
    return f"sqlite:///{path}"


def _verify(url: str, path: Path, what: str) -> None:
    assert sqlite_ok(path), f"{what}: SQLite integrity check failed"
    report = integrity.check(url)
    assert report.ok, f"{what}: " + "; ".join(f.message for f in report.broken)


def _drop(url: str, path: Path) -> None:
    get_engine(url).dispose()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
