"""`propdesk check-setup`: the go-live checklist on the command line, exit 1 while a line is 待处理, 0 when all done."""

from __future__ import annotations

from db.engine import get_engine
from services.platform.clock import local_today
from services.tickets.workdays import package_covers
from tests.cli_support import cli_database, run


def test_a_fresh_install_lists_what_is_left_and_exits_1(tmp_path, monkeypatch, capsys):
    with cli_database(tmp_path, monkeypatch):
        code, out, err = run(capsys, "check-setup")
    assert (code, err) == (1, "")
    lines = out.splitlines()
    year = local_today().year
    left = 11 - (package_covers(year) and package_covers(year + 1))  # init seeds what chinese-calendar knows
    assert lines[0] == f"上线检查：{left} 项待处理"
    assert lines[1].split() == ["状态", "检查项", "在哪里处理", "情况"]
    assert len(lines) == 2 + 11
    company = next(line for line in lines if "收据上的公司名称" in line)
    assert company.split()[:3] == ["待处理", "收据上的公司名称", "/admin"]
    assert "仍为默认的“物业服务中心”" in company
    assert any(line.startswith("待处理") and "/fees → 计费" in line and "将新增应收 0 张" in line for line in lines)


def test_a_database_not_initialised_is_refused_before_the_checklist(tmp_path, monkeypatch, capsys):
    with cli_database(tmp_path, monkeypatch, init=False) as url:
        code, out, err = run(capsys, "check-setup")
        get_engine(url).dispose()
    assert code == 1 and out == "" and "propdesk init" in err
