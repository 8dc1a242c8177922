"""The crash tests' worker: `python -m tests.crash.driver`, one process per test module.

It imports the services once, then reads one JSON job a line on stdin. For each job it forks a child that runs one
operation (a billing run, an asset import, an arrears import, a series of payments) against the SQLite file the job
names, lets it run `delay` seconds (from its start, or from the progress step `after`) and kills it with SIGKILL (or
waits for its end, up to `timeout`, when `delay` is null), and answers one JSON line: whether the kill found the
child still running, its exit status, and how long it ran. Forking a warm process keeps a kill cheap (no 2 s of
imports each time); the child is killed, never the worker, and the worker forks only while it runs no thread and
holds no database connection.

The child writes each progress step of its operation, one line each (seconds since it started, fraction, message),
to the job's `progress` file (the kernel keeps what was written when the child is killed); a failure's traceback
goes to the same file. It ends with os._exit, so nothing of the worker's buffers is written twice.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import time
import traceback
from decimal import Decimal
from typing import Any

from services.estate import asset_import
from services.fees import arrears_import, cashier
from services.fees import billing as fees
from services.platform.auth import SYSTEM_ACTOR, Actor, Role

POLL = 0.002  # seconds between looks at the child while the kill waits
TIMEOUT = 120  # seconds a run left to its end may take


def _operation(job: dict[str, Any], log: Any) -> None:
    started = time.monotonic()

    def progress(fraction: float, message: str) -> None:
        log.write(f"{time.monotonic() - started:.4f} {fraction:.2f} {message}\n")

    op = job["op"]
    if op == "billing":
        fees.run_billing(actor=SYSTEM_ACTOR, period=job["period"], progress=progress)
    elif op == "assets":
        asset_import.import_assets(actor=SYSTEM_ACTOR, source=job["file"], estate=job.get("estate", ""),
                                   progress=progress)
    elif op == "arrears":
        arrears_import.import_arrears(actor=SYSTEM_ACTOR, source=job["file"], estate=job.get("estate", ""),
                                      progress=progress)
    elif op == "payments":  # the list once, or round and round until the file `until` exists
        actor = Actor(user_id=job["cashier_id"], username=job["cashier"], display_name=job["cashier"],
                      role=Role.CASHIER)
        todo, until = job["payments"], job.get("until")
        n = 0
        while n < len(todo) or (until is not None and not os.path.exists(until)):
            household, amount = todo[n % len(todo)]
            r = cashier.take_payment(actor=actor, household=household, amount=Decimal(amount), method="现金")
            n += 1
            progress(min(1.0, n / len(todo)), f"已收 {r.receipt_no}")
    else:
        raise ValueError(f"unknown operation {op!r}")
    log.write("done\n")


def _child(job: dict[str, Any]) -> None:
    """Run the job's operation and leave the process without running any of the worker's exit handlers."""
    code = 0
    with open(job["progress"], "a", buffering=1, encoding="utf-8") as log:
        try:
            os.environ["DATABASE_URL"] = job["url"]
            _operation(job, log)
        except BaseException:  # reported through the progress file, which the test reads
            log.write("error " + traceback.format_exc().replace("\n", " | ") + "\n")
            code = 3
    os._exit(code)


def _wrote(progress: str, prefix: str | list[str]) -> bool:
    """Whether the child wrote a progress step beginning with `prefix` (or one of them: JSON made a tuple a list)."""
    starts = tuple(prefix) if isinstance(prefix, list) else prefix
    try:
        with open(progress, encoding="utf-8") as f:
            return any(line.split(" ", 2)[-1].startswith(starts) for line in f)
    except FileNotFoundError:
        return False


def _run(job: dict[str, Any]) -> dict[str, Any]:
    """Fork the job's child; kill it `delay` seconds after it started or, with `after`, after it wrote a progress step
    beginning with `after` (so the kill lands in that part of the operation however fast the machine runs now)."""
    sys.stdout.flush()
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:
        _child(job)
    delay, after = job.get("delay"), job.get("after")
    # a run left to its end is still killed after `timeout` seconds, so a hung child fails the test instead of
    # hanging it
    limit = started + job.get("timeout", TIMEOUT)
    deadline = started + delay if delay is not None and after is None else None
    anchored = None
    killed = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        now = time.monotonic()
        if delay is not None and after is not None and anchored is None and _wrote(job["progress"], after):
            anchored = now - started
            deadline = now + delay
        if now >= limit or (deadline is not None and now >= deadline):
            os.kill(pid, signal.SIGKILL)  # our own child, not yet reaped: its pid is still its own
            killed = True
            _, status = os.waitpid(pid, 0)
            break
        time.sleep(POLL if deadline is None else min(POLL, max(deadline - now, 0)))
    return {"killed": killed, "exit": os.waitstatus_to_exitcode(status), "seconds": time.monotonic() - started,
            "anchored": anchored, "timed_out": killed and delay is None}


def main() -> None:
    print(json.dumps({"ready": os.getpid()}), flush=True)
    for line in sys.stdin:
        if not line.strip():
            continue
        print(json.dumps(_run(json.loads(line))), flush=True)


if __name__ == "__main__":
    main()
