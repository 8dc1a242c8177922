"""One demo database for the whole test run, shared by the page tests and the browser tests.

Building the demo takes ~15 s; each xdist worker used to build it for its page tests and again (through
`propdesk init` and `propdesk demo`) for its browser server. The first worker to ask builds it under a file lock
in a directory of this run (pytest-xdist's run id), the others wait and copy it with SQLite's backup API.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
from pathlib import Path

import pytest

ADMIN_PASSWORD = "e2e-admin-pass-1"  # of `admin`, created by `propdesk init`
DEMO_PASSWORD = "e2e-demo-pass-1"  # of every demo user (sysadmin, manager, service, cashier, engineer, clerk)


def _run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.getbasetemp()
    run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
    if not run:  # a run without workers: its own temp dir is already private to it
        return base
    shared = base.parent / f"demo-{run}"
    shared.mkdir(exist_ok=True)
    return shared


def _build(path: Path) -> None:
    from db import migrate
    from db.engine import get_engine
    from services.admin import system
    from services.demo import builder as demo

    url = f"sqlite:///{path}"
    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        migrate.upgrade(url)
        system.init(admin_password=ADMIN_PASSWORD)
        demo.build_demo(scale="small", demo_password=DEMO_PASSWORD)
    finally:
        get_engine(url).dispose()
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old


def demo_copy(tmp_path_factory: pytest.TempPathFactory, target: Path) -> Path:
    """A private copy of the run's demo database at `target` (built first if nobody has yet)."""
    shared = _run_dir(tmp_path_factory)
    template = shared / "demo-template.db"
    with (shared / "demo-template.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not template.exists():
            partial = shared / "demo-template.partial.db"
            partial.unlink(missing_ok=True)
            _build(partial)
            partial.rename(template)
    source, copy = sqlite3.connect(template), sqlite3.connect(target)
    try:
        source.backup(copy)
    finally:
        source.close()
        copy.close()
    return target
