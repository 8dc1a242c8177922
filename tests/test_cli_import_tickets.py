"""`propdesk import tickets FILE [--dry-run]`: a ticket register from Excel, in the output style of `import assets`."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

import cli
from db.engine import read_session
from db.models import AuditEntry, Ticket
from tests.cli_support import cli_database, run
from tests.factories import make_units, ticket_register

CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture
def cli_db(tmp_path, monkeypatch) -> str:
    """`propdesk init` (SLA policies, this and next year's holidays) and estate 测试小区 with 1-1-101..103."""
    with cli_database(tmp_path, monkeypatch) as url:
        make_units(3)
        yield url


def tickets() -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(Ticket))


def row(**over) -> dict:
    base = {"小区": "测试小区", "房屋": "1-1-101", "类型": "报修", "渠道": "电话", "内容": "厨房水管漏水",
            "受理时间": "2025-03-01 09:30", "完成时间": "2025-03-01 15:00", "回访时间": "2025-03-02 10:00",
            "回访方式": "电话", "回访结果": "满意"}
    base.update(over)
    return {k: v for k, v in base.items() if v is not None}


def test_import_tickets_writes_the_register_prints_the_counts_and_skips_it_the_second_time(cli_db, capsys, tmp_path):
    path = tmp_path / "2025报事登记.xlsx"
    ticket_register([row(), row(房屋="1-1-102", 回访时间=None, 回访方式=None, 回访结果=None),
                     row(类型="咨询", 房屋=None, 内容="缴费方式", 完成时间=None, 回访时间=None, 回访方式=None,
                         回访结果=None)], path=path)
    code, out, err = run(capsys, "import", "tickets", str(path))
    assert code == 0, err
    assert "工作表“历史工单”" in out
    assert "已导入。共 3 行：新增工单 3（已关闭 1、待回访 1、处理中 1），已存在而跳过 0" in out
    assert "节假日表补入 2025 年" in out
    assert tickets() == 3
    with read_session() as s:
        assert list(s.scalars(select(AuditEntry.actor_username).where(
            AuditEntry.action == "import", AuditEntry.entity == "tickets"))) == ["system"]
        assert sorted(s.scalars(select(Ticket.number))) == ["BX20250301-001", "BX20250301-002", "ZX20250301-001"]
    code, out, _err = run(capsys, "import", "tickets", str(path))
    assert code == 0 and "新增工单 0" in out and "已存在而跳过 3" in out
    assert tickets() == 3


def test_dry_run_checks_and_counts_but_writes_nothing(cli_db, capsys, tmp_path):
    path = tmp_path / "登记.xlsx"
    ticket_register([row()], path=path)
    code, out, _err = run(capsys, "import", "tickets", str(path), "--dry-run")
    assert code == 0 and "未写入" in out and "新增工单 1（已关闭 1" in out
    assert tickets() == 0


def test_problems_are_printed_by_row_and_column_and_nothing_is_written(cli_db, capsys, tmp_path):
    path = tmp_path / "登记.xlsx"
    ticket_register([row(), row(房屋="9-9-909"), row(房屋="1-1-102", 回访时间="2025-03-01 10:00"),
                     row(房屋="1-1-103", 完成时间="2025-02-28 10:00", 回访时间=None, 回访方式=None, 回访结果=None),
                     row(类型="维修")], path=path)
    code, out, err = run(capsys, "import", "tickets", str(path))
    assert code == 1
    assert "发现 4 个问题（行号按 Excel 显示）" in out
    assert "第 4 行 · 房屋：“测试小区”没有房屋 9-9-909" in out
    assert "第 5 行 · 回访时间：不能早于完成时间（2025-03-01 15:00）" in out
    assert "第 6 行 · 完成时间：不能早于受理时间（2025-03-01 09:30）" in out
    assert "第 7 行 · 类型：应为以下之一" in out
    lines = err.strip().splitlines()
    assert len(lines) == 1 and CJK.search(lines[0]) and "4 个问题" in lines[0] and "Traceback" not in err
    assert tickets() == 0


def test_a_missing_or_broken_file_is_refused_in_one_chinese_line(cli_db, capsys, tmp_path):
    code, _out, err = run(capsys, "import", "tickets", str(tmp_path / "nope.xlsx"))
    assert code == 1 and "文件不存在" in err
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(b"plain text")
    code, out, err = run(capsys, "import", "tickets", str(bad))
    assert code == 1 and ".xlsx" in out and len(err.strip().splitlines()) == 1


def test_the_import_command_lists_tickets_next_to_assets(capsys):
    with pytest.raises(SystemExit):
        cli.main(["import", "-h"])
    out = capsys.readouterr().out
    assert "assets" in out and "tickets" in out
