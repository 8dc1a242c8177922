"""An asset import and an arrears import, each killed with SIGKILL at least 20 times at random moments (see
tests/crash/support.py): each kill leaves the whole import or none of it, and `propdesk check` passing."""

from __future__ import annotations

from sqlalchemy import func, select

from db.engine import get_engine
from db.models import Allocation, AuditEntry, Bill, Building, CreditEntry, Estate, Person, Unit, UnitPerson
from tests.crash.support import kill_loop

# the first step of an import's writing transaction (services/platform/importing.commit): waiting for the import's
# lock (a counter row it advances) or, for an import without one, re-planning against the database
COMMIT = ("正在等待其他导入完成", "正在比对数据库")


def _count(url: str, model) -> int:
    with get_engine(url).connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def assets_state(url: str) -> tuple[int, ...]:
    return tuple(_count(url, m) for m in (Estate, Building, Unit, Person, UnitPerson, AuditEntry))


def test_an_asset_import_killed_at_random_moments_leaves_the_whole_file_or_nothing(crash_db, worker, tmp_path):
    out = kill_loop(worker, crash_db.path, tmp_path, "asset import",
                    lambda _path: {"op": "assets", "file": str(crash_db.assets_file)}, assets_state,
                    writes=COMMIT)
    print(out.summary())
    assert out.landed >= 20 and out.nothing + out.everything == out.landed
    assert out.writing >= 5, out.summary()


def arrears_state(url: str) -> tuple[int, ...]:
    return tuple(_count(url, m) for m in (Bill, Allocation, CreditEntry, AuditEntry))


def test_an_arrears_import_killed_at_random_moments_leaves_every_bill_or_none(crash_db, worker, tmp_path):
    out = kill_loop(worker, crash_db.path, tmp_path, "arrears import",
                    lambda _path: {"op": "arrears", "file": str(crash_db.arrears_file), "estate": "测试小区"},
                    arrears_state, writes=COMMIT)
    print(out.summary())
    assert out.landed >= 20 and out.nothing + out.everything == out.landed
    assert out.writing >= 5, out.summary()
