"""/admin 上线检查 under AppTest: the administrator sees the checklist beside the other tabs, a manager sees only the
checklist, a cashier does not reach /admin; a fresh install shows every line 待处理, the demo every line 已完成."""

from __future__ import annotations

import pytest

from db import migrate
from db.engine import get_engine
from services.admin import system
from services.platform.auth import authenticate
from services.platform.clock import local_today
from services.tickets.workdays import package_covers
from tests.pages.conftest import app, open_tab, signed_in

LINES = 11


def _markdown(at) -> list[str]:
    return [m.value for m in at.markdown]


def _page_links(at) -> list[str]:
    return [el.proto.label for el in at.get("page_link")]


def test_admin_sees_the_checklist_tab_all_done_on_the_demo(demo_db):
    at = signed_in("sysadmin").run()
    at.switch_page("screens/admin.py").run()
    labels = [tab.label for tab in at.tabs]
    assert "上线检查" in labels and "用户" in labels and "公司信息" in labels
    open_tab(at, "上线检查")
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert [s.value for s in at.success] == ["上线检查：全部完成"]
    statuses = [m for m in _markdown(at) if "已完成" in m or "待处理" in m]
    assert len(statuses) == LINES and all("已完成" in m for m in statuses)
    assert "收费 › 计费" in _page_links(at) and "房屋档案 › 导入" in _page_links(at)
    assert ":small[:material/arrow_upward: 本页上方“收费项目”]" in _markdown(at)  # no link to the page already open


def test_a_manager_sees_only_the_checklist(demo_db):
    at = signed_in("manager").run()
    at.switch_page("screens/admin.py").run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert at.title[0].value == "系统管理"
    assert [tab.label for tab in at.tabs] == ["上线检查"]
    assert [s.value for s in at.success] == ["上线检查：全部完成"]
    assert not at.get("form")  # no user or reference forms
    # what is done on /admin's other tabs is the administrator's; the other pages are linked
    assert ":small[:material/admin_panel_settings: 管理员 › 公司信息]" in _markdown(at)
    assert "收费 › 计费" in _page_links(at)


def test_a_cashier_cannot_open_admin(demo_db):
    at = signed_in("cashier").run()
    registered = {info.get("url_pathname") for info in at._registered_pages.values()}
    assert "admin" not in registered
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("screens/admin.py")


def test_a_fresh_install_shows_every_line_to_do(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    system.init(admin_password="fresh-admin-pass-1")
    try:
        at = app()
        at.session_state["actor"] = authenticate(username="admin", password="fresh-admin-pass-1")
        at.run()
        at.switch_page("screens/admin.py").run()
        open_tab(at, "上线检查")
        assert not at.exception and not at.error, [e.value for e in at.error]
        # init seeds the holidays chinese-calendar knows: that line is done only once it knows next year too
        year = local_today().year
        seeded = package_covers(year) and package_covers(year + 1)
        assert f"上线检查：{LINES - seeded} 项待处理" in [w.value for w in at.warning]
        statuses = [m for m in _markdown(at) if "已完成" in m or "待处理" in m]
        assert len(statuses) == LINES and sum("待处理" in m for m in statuses) == LINES - seeded
    finally:
        get_engine(url).dispose()


@pytest.mark.parametrize("lang", ["en"])
def test_the_checklist_labels_follow_the_language_switch(demo_db, lang):
    at = signed_in("manager")
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("screens/admin.py").run()
    assert [tab.label for tab in at.tabs] == ["Go-live checklist"]
    assert [s.value for s in at.success] == ["Go-live checklist: all done"]
    assert "Fees › Billing run" in _page_links(at)
    assert ":small[:material/admin_panel_settings: Administrator › Fee items]" in _markdown(at)
