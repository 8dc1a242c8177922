"""`propdesk` in-process: cli.main([...]) against a temporary SQLite file, output captured."""

from __future__ import annotations

import contextlib
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

import cli
from db.engine import get_engine, read_session
from db.models import AuditEntry, Person, Unit, User
from services.admin import system
from services.platform.auth import authenticate
from services.platform.errors import AuthError
from tests.cli_support import run
from tests.demo_template import demo_copy
from tests.factories import fast_password_hashing, user_row

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> str:
    url = f"sqlite:///{tmp_path / 'data' / 'propdesk.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PROPDESK_ADMIN_PASSWORD", raising=False)
    monkeypatch.delenv("PROPDESK_DEMO_PASSWORD", raising=False)
    fast_password_hashing(monkeypatch)
    yield url
    get_engine(url).dispose()


def refused(capsys, *argv: str) -> str:
    code, out, err = run(capsys, *argv)
    assert code == 1, (argv, out, err)
    lines = err.strip().splitlines()
    assert len(lines) == 1 and CJK.search(lines[0]), err
    assert "Traceback" not in err
    return lines[0]


def _count(model) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model))


@pytest.fixture
def inited(cli_db, capsys) -> str:
    code, out, _ = run(capsys, "init")
    assert code == 0
    return re.search(r"初始密码（只显示这一次，首次登录后须修改）：(\S+)", out).group(1)


def test_init_migrates_and_prints_a_generated_admin_password_once(cli_db, capsys):
    code, out, err = run(capsys, "init")
    assert code == 0 and err == ""
    assert "数据库已迁移到最新版本。" in out
    password = re.search(r"初始密码（只显示这一次，首次登录后须修改）：(\S+)", out).group(1)
    assert len(password) >= 8
    actor = authenticate(username="admin", password=password)
    assert actor.must_change_password is True

    code, out, err = run(capsys, "init")
    assert code == 0
    assert out.strip() == "数据库已迁移到最新版本。"
    assert password not in out
    assert _count(User) == 1
    assert system.schema_status().ok


def test_init_takes_the_admin_password_from_the_environment(cli_db, capsys, monkeypatch):
    monkeypatch.setenv("PROPDESK_ADMIN_PASSWORD", "from-the-env-1")
    code, out, _ = run(capsys, "init")
    assert code == 0
    assert "from-the-env-1" not in out and "初始密码" not in out
    assert authenticate(username="admin", password="from-the-env-1").must_change_password is False


@pytest.mark.parametrize("argv", [["demo"], ["user", "add", "someone"], ["export", "units", "-o", "x.csv"]])
def test_commands_before_init_say_to_run_init(cli_db, capsys, argv):
    line = refused(capsys, *argv)
    assert "propdesk init" in line


def test_demo_builds_about_800_units_and_skips_on_a_second_run(demo_template, demo_db, capsys):
    out = demo_template.output
    assert "已生成演示小区（small）" in out
    passwords = dict(re.findall(r"^\s+(\S+)\s+密码 (\S+)$", out, flags=re.M))
    assert set(passwords) == {"sysadmin", "manager", "service", "cashier", "engineer", "clerk",
                              "service2", "cashier2", "engineer2", "gcmanager"}
    units = _count(Unit)
    assert 700 <= units <= 900
    assert _count(Person) > units
    for username, password in passwords.items():
        assert authenticate(username=username, password=password).username == username

    code, out, _ = run(capsys, "demo")
    assert code == 0
    assert "跳过" in out
    assert _count(Unit) == units
    assert _count(User) == 11  # admin, one per role, and the four of the appraisal year


def test_check_setup_on_the_demo_is_all_done_and_exits_0(demo_db, capsys):
    code, out, err = run(capsys, "check-setup")
    assert (code, err) == (0, "")
    lines = out.splitlines()
    assert lines[0] == "上线检查：全部完成"
    assert all(line.startswith("已完成") for line in lines[2:]) and len(lines) == 13
    assert any("翠湖物业服务有限公司" in line for line in lines)


def _demo_contents(url: str) -> tuple[list, list]:
    engine = get_engine(url)
    with engine.connect() as conn:
        units = conn.execute(select(Unit.room_no, Unit.built_area, Unit.status).order_by(Unit.id)).all()
        people = conn.execute(select(Person.name, Person.mobile).order_by(Person.id)).all()
    engine.dispose()
    return units, people


def test_demo_is_deterministic(tmp_path, tmp_path_factory, demo_template):
    """Two demos built apart (this module's through the CLI, and the run's shared one) hold the same units and
    people."""
    shared = demo_copy(tmp_path_factory, tmp_path / "shared.db")
    assert _demo_contents(f"sqlite:///{demo_template.path}") == _demo_contents(f"sqlite:///{shared}")


def test_user_add_reset_disable_and_enable(inited, capsys):
    code, out, _ = run(capsys, "user", "add", "cashier1", "--role", "cashier", "--name", "黄丽娟")
    assert code == 0
    assert "已创建用户 cashier1（收费员）" in out
    first = re.search(r"初始密码：(\S+)（", out).group(1)
    assert authenticate(username="cashier1", password=first).must_change_password is True
    assert user_row("cashier1").display_name == "黄丽娟"

    code, out, _ = run(capsys, "user", "reset", "cashier1")
    assert code == 0
    second = re.search(r"的密码：(\S+)（下次登录须修改）", out).group(1)
    assert second != first
    assert authenticate(username="cashier1", password=second).must_change_password is True

    code, out, _ = run(capsys, "user", "reset", "cashier1", "--password", "chosen-pass-1")
    assert code == 0 and "chosen-pass-1" not in out

    code, out, _ = run(capsys, "user", "disable", "cashier1")
    assert (code, out.strip()) == (0, "已停用用户 cashier1")
    with pytest.raises(AuthError, match="已停用"):
        authenticate(username="cashier1", password="chosen-pass-1")

    code, out, _ = run(capsys, "user", "enable", "cashier1")
    assert (code, out.strip()) == (0, "已启用用户 cashier1")
    assert authenticate(username="cashier1", password="chosen-pass-1").username == "cashier1"

    with read_session() as s:
        actions = s.scalars(select(AuditEntry.action).where(AuditEntry.actor_username == "system",
                                                            AuditEntry.entity == "users")
                            .order_by(AuditEntry.id)).all()
    assert actions == ["create", "create", "reset_password", "reset_password", "disable", "enable"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["user", "add", "ab"], "错误：用户名：3–32 位字母、数字、点、下划线或短横线"),
        (["user", "add", "x" * 10_000, "--name", "某人"], "错误：用户名：不能超过 32 个字符（现有 10000 个）"),
        (["user", "add", "admin"], "错误：用户名已存在：admin"),
        (["user", "add", "newbie", "--password", "short"], "错误：初始密码：至少 8 个字符"),
        (["user", "reset", "ghost"], "错误：用户不存在：ghost"),
        (["user", "disable", "ghost"], "错误：用户不存在：ghost"),
        (["user", "disable", "admin"], "错误：启用：至少要保留一个启用的系统管理员"),
    ],
)
def test_refusals_print_one_chinese_line_and_return_1(inited, capsys, argv, expected):
    users_before = _count(User)
    assert refused(capsys, *argv) == expected
    assert _count(User) == users_before


@pytest.mark.parametrize("argv", [["export", "no_such_table", "-o", "x.csv"], ["user", "add", "x", "--role", "boss"],
                                  ["no-such-command"]])
def test_a_usage_error_prints_one_chinese_line_and_returns_1(inited, capsys, argv):
    capsys.readouterr()
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse exits instead of returning
        code = exc.code
    err = capsys.readouterr().err
    assert code == 1
    assert len(err.strip().splitlines()) == 1 and CJK.search(err), err


def test_backup_then_restore_round_trips(inited, capsys, tmp_path):
    backup = tmp_path / "backups" / "before.db"
    code, out, _ = run(capsys, "backup", str(backup))
    assert code == 0 and backup.exists()

    assert run(capsys, "user", "add", "after_backup", "--password", "after-pass-1")[0] == 0
    assert user_row("after_backup") is not None

    code, out, _ = run(capsys, "restore", str(backup))
    assert code == 0, out
    assert user_row("after_backup") is None
    assert user_row("admin") is not None
    assert system.schema_status().ok
    with read_session() as s:
        last = s.execute(select(AuditEntry.action, AuditEntry.actor_username)
                         .order_by(AuditEntry.id.desc()).limit(1)).one()
    assert tuple(last) == ("restore", "system")
    # the restored database is usable for writes again
    assert run(capsys, "user", "add", "after_restore", "--password", "after-pass-1")[0] == 0


def test_backup_never_overwrites_and_restore_checks_its_source(inited, capsys, tmp_path):
    existing = tmp_path / "existing.db"
    existing.write_bytes(b"keep me")
    assert refused(capsys, "backup", str(existing)).startswith("错误：备份文件已存在")
    assert existing.read_bytes() == b"keep me"

    assert refused(capsys, "restore", str(tmp_path / "missing.db")).startswith("错误：备份文件不存在")

    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not a database at all" * 100)
    assert refused(capsys, "restore", str(junk)).startswith("错误：")
    assert user_row("admin") is not None

    import sqlite3

    other = tmp_path / "other.db"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    assert refused(capsys, "restore", str(other)).startswith("错误：不是 PropDesk 的备份文件")
    assert user_row("admin") is not None


@dataclass(frozen=True)
class DemoTemplate:
    path: Path
    output: str  # what `propdesk demo` printed (generated passwords: no PROPDESK_DEMO_PASSWORD)


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory) -> DemoTemplate:
    """`propdesk init` and `propdesk demo` once for the module (a demo takes seconds); tests get copies."""
    path = tmp_path_factory.mktemp("demo") / "propdesk.db"
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", f"sqlite:///{path}")
        mp.delenv("PROPDESK_ADMIN_PASSWORD", raising=False)
        mp.delenv("PROPDESK_DEMO_PASSWORD", raising=False)
        fast_password_hashing(mp)
        assert cli.main(["init"]) == 0
        with contextlib.redirect_stdout(out):
            assert cli.main(["demo"]) == 0
        get_engine(f"sqlite:///{path}").dispose()
    return DemoTemplate(path, out.getvalue())


@pytest.fixture
def demo_db(cli_db, demo_template) -> str:
    """A private copy of the demo database at the CLI's DATABASE_URL."""
    target = Path(make_url(cli_db).database)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(demo_template.path, target)
    return cli_db


@pytest.mark.parametrize("table", list(system.EXPORT_TABLES))
def test_every_table_exports_to_csv_and_xlsx(demo_db, capsys, tmp_path, table):
    model, hidden = system.EXPORT_TABLES[table]
    expected_cols = [c.name for c in model.__table__.columns if c.name not in hidden]
    rows = _count(model)
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"{table}.{fmt}"
        code, out, _ = run(capsys, "export", table, "--format", fmt, "-o", str(target))
        assert code == 0 and f"已导出 {table}" in out
        data = target.read_bytes()
        if fmt == "csv":
            assert data.startswith(b"\xef\xbb\xbf")  # BOM: Excel opens it as UTF-8
            frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str, keep_default_na=False)
        else:
            frame = pd.read_excel(io.BytesIO(data), dtype=str, keep_default_na=False)
        assert list(frame.columns) == expected_cols, (table, fmt)
        assert len(frame) == rows, (table, fmt)


def test_users_export_never_contains_password_hashes(demo_db, capsys, tmp_path):
    for fmt in ("csv", "xlsx"):
        target = tmp_path / f"users.{fmt}"
        assert run(capsys, "export", "users", "--format", fmt, "-o", str(target))[0] == 0
        data = target.read_bytes()
        assert b"password_hash" not in data and b"$argon2" not in data
        if fmt == "xlsx":
            text = pd.read_excel(io.BytesIO(data), dtype=str).to_csv()
            assert "argon2" not in text and "password_hash" not in text


def test_export_keeps_money_and_areas_exact(demo_db, capsys, tmp_path):
    target = tmp_path / "units.csv"
    assert run(capsys, "export", "units", "--format", "csv", "-o", str(target))[0] == 0
    frame = pd.read_csv(target, encoding="utf-8-sig", dtype=str, keep_default_na=False)
    with read_session() as s:
        first_area = s.scalars(select(Unit.built_area).order_by(Unit.id).limit(1)).one()
    assert frame["built_area"].iloc[0] == str(first_area)
    assert re.fullmatch(r"\d+\.\d\d", frame["built_area"].iloc[0])


def test_export_of_an_unknown_table_or_format_is_refused_in_chinese(inited):
    from services.platform.errors import DomainError

    with pytest.raises(DomainError, match="没有这个表"):
        system.export_table("secrets", "csv")
    with pytest.raises(DomainError, match="不支持的格式"):
        system.export_table("units", "pdf")
