"""Backup and restore: `propdesk backup` of SQLite while another process takes payments, `propdesk restore --to` a
new file, and the documented pg_dump / pg_restore path of PostgreSQL, each copy then passing `propdesk check` with
the row counts and money totals of the moment it was taken.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from db.engine import get_engine
from db.models import Base
from services.admin import integrity, system
from tests.cli_support import run
from tests.conftest import PG_ADMIN_URL, REQUIRE_DBS
from tests.crash.support import Worker, build_ledger_db, steps
from tests.factories import fast_password_hashing
from tests.services.admin.test_integrity import build_ledger

# money totals in cents, as the database holds them
TOTALS = {
    "payments": "SELECT COALESCE(SUM(amount), 0) FROM payments",
    "credit_added": "SELECT COALESCE(SUM(credit_added), 0) FROM payments",
    "billed": "SELECT COALESCE(SUM(amount), 0) FROM bills",
    "bills_paid": "SELECT COALESCE(SUM(paid), 0) FROM bills",
    "allocated": "SELECT COALESCE(SUM(amount), 0) FROM allocations WHERE voided = false",
    "credit": "SELECT COALESCE(SUM(amount), 0) FROM credit_entries WHERE voided = false",
}


def figures(conn) -> dict[str, int]:
    """Rows of every table and the money totals, read with plain SQL (sqlite3 or a SQLAlchemy connection)."""
    def one(sql: str) -> int:
        result = conn.execute(sql if isinstance(conn, sqlite3.Connection) else text(sql))
        return int(result.fetchone()[0])

    out = {f"rows:{t.name}": one(f'SELECT COUNT(*) FROM "{t.name}"') for t in Base.metadata.sorted_tables}
    out.update({name: one(sql) for name, sql in TOTALS.items()})
    return out


def sqlite_figures(path: Path) -> dict[str, int]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return figures(conn)
    finally:
        conn.close()


def _paid(progress: Path) -> int:
    return sum(1 for _, message in steps(progress) if message.startswith("已收"))


def _wait_for(progress: Path, count: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while _paid(progress) < count:
        assert time.monotonic() < deadline, f"the writer took {_paid(progress)} payments, waiting for {count}"
        time.sleep(0.02)


def test_a_sqlite_backup_taken_while_payments_go_on_restores_to_a_new_file_at_one_consistent_moment(
        tmp_path, monkeypatch, capsys):
    live = tmp_path / "live.db"
    cashier_id, owing = build_ledger_db(live, billed=20, others=0, credit=5, paying=15)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{live}")
    fast_password_hashing(monkeypatch)
    progress, stop = tmp_path / "writer.log", tmp_path / "stop"
    writer = Worker()
    try:
        # another process takes 1.00 payments round the owing units until told to stop
        writer.start({"op": "payments", "url": f"sqlite:///{live}", "progress": str(progress), "delay": None,
                      "cashier_id": cashier_id, "cashier": "收费员甲", "until": str(stop),
                      "payments": [(f"U{unit}", "1.00") for unit in owing]})
        _wait_for(progress, 20)
        code, out, _ = run(capsys, "backup", str(tmp_path / "backup.db"))
        during = _paid(progress)
        _wait_for(progress, during + 20)  # the writer was never held up by the backup
        stop.touch()
        assert writer.answer()["exit"] == 0, progress.read_text(encoding="utf-8")
    finally:
        stop.touch()
        writer.close()
    assert code == 0, out

    code, out, _ = run(capsys, "restore", str(tmp_path / "backup.db"), "--to", str(tmp_path / "restored.db"))
    assert code == 0 and "当前数据库未改动" in out, out
    assert run(capsys, "restore", str(tmp_path / "backup.db"), "--to", str(tmp_path / "restored.db"))[0] == 1
    backup, restored, now = (sqlite_figures(tmp_path / n) for n in ("backup.db", "restored.db", "live.db"))
    assert restored == backup  # the copy holds the backup's rows, nothing added (not even an audit row)
    credit_payments = 5  # taken by build_ledger_db before the writer started
    assert 20 <= backup["rows:payments"] - credit_payments < now["rows:payments"] - credit_payments - 20
    # one moment: the backup's payments are the live database's first ones, receipt for receipt
    with sqlite3.connect(tmp_path / "backup.db") as b, sqlite3.connect(live) as lv:
        taken = b.execute("SELECT receipt_no, amount, household FROM payments ORDER BY id").fetchall()
        assert lv.execute("SELECT receipt_no, amount, household FROM payments ORDER BY id LIMIT ?",
                          (len(taken),)).fetchall() == taken
    for path in ("backup.db", "restored.db", "live.db"):
        report = integrity.check(f"sqlite:///{tmp_path / path}")
        assert report.ok, (path, [f.message for f in report.broken])
        get_engine(f"sqlite:///{tmp_path / path}").dispose()
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'restored.db'}")
    code, out, _ = run(capsys, "check")
    assert code == 0 and "全部通过" in out, out
    get_engine(f"sqlite:///{tmp_path / 'restored.db'}").dispose()


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        if REQUIRE_DBS:
            pytest.fail(f"{name} is required (PROPDESK_REQUIRE_DBS=1) but not on PATH (apt-get install postgresql-client)")
        pytest.skip(f"{name} not on PATH")
    return path


def _libpq_env(url: str) -> dict[str, str]:
    u = make_url(url)
    env = {**os.environ, "PGHOST": u.host or "127.0.0.1", "PGPORT": str(u.port or 5432), "PGUSER": u.username or ""}
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    return env


@pytest.mark.parametrize("backend_url", ["postgresql"], indirect=True)
def test_a_postgresql_database_dumped_with_pg_dump_and_restored_with_pg_restore_passes_propdesk_check(
        db, monkeypatch, tmp_path, capsys):
    pg_dump, pg_restore = _tool("pg_dump"), _tool("pg_restore")
    build_ledger(monkeypatch)
    source = make_url(db)
    dump = tmp_path / "propdesk.dump"
    env = _libpq_env(db)
    subprocess.run([pg_dump, "-Fc", "--no-owner", "-f", str(dump), source.database], env=env, check=True,
                   capture_output=True, timeout=120)
    name = f"propdesk_restored_{uuid.uuid4().hex[:8]}"
    admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" ENCODING \'UTF8\''))
    restored = source.set(database=name).render_as_string(hide_password=False)
    try:
        subprocess.run([pg_restore, "--no-owner", "--exit-on-error", "-d", name, str(dump)], env=env, check=True,
                       capture_output=True, timeout=120)
        with get_engine(db).connect() as a, get_engine(restored).connect() as b:
            assert figures(b) == figures(a)
        monkeypatch.setenv("DATABASE_URL", restored)
        code, out, _ = run(capsys, "check")  # DATABASE_URL=<the restored database> propdesk check
        assert code == 0 and out.startswith("数据检查：全部通过（18 项；收款 5 张"), out
        assert system.schema_status().ok
    finally:
        get_engine(restored).dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
