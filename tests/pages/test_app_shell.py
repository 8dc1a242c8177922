"""The shell around every page: schema check, error guard, forced password change, language switch."""

from __future__ import annotations

from db import migrate
from services.admin import system
from services.platform.auth import authenticate
from tests.pages.conftest import app, signed_in


def test_unmigrated_database_refuses_to_start_and_names_the_command(tmp_path, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    at = app().run()
    assert not at.exception
    assert "propdesk init" in at.error[0].value
    assert not at.text_input  # no login form on a database that is not ready


def test_unexpected_error_shows_an_apology_with_an_error_id_and_no_traceback(demo_db, monkeypatch):
    import services.workbench.home

    def broken(**kwargs):
        raise RuntimeError("database exploded: secret detail")

    monkeypatch.setattr(services.workbench.home, "manager_month", broken)
    at = signed_in("manager").run()
    assert not at.exception
    [message] = [e.value for e in at.error]
    assert "错误编号" in message
    assert "secret detail" not in message and "Traceback" not in message


def test_generated_admin_password_must_be_changed_before_any_page(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    migrate.upgrade(url)
    password = system.init(admin_password=None)
    actor = authenticate(username="admin", password=password)
    at = app()
    at.session_state["actor"] = actor
    at.run()
    assert "请先修改密码" in at.warning[0].value
    at.text_input[0].input(password)
    at.text_input[1].input("brand-new-pass-1")
    at.text_input[2].input("brand-new-pass-1")
    next(b for b in at.button if b.label == "修改密码").click()
    at.run()
    assert not at.exception
    assert not at.session_state["actor"].must_change_password
    assert at.title[0].value == "工作台"
    assert authenticate(username="admin", password="brand-new-pass-1").username == "admin"


def test_english_switch_translates_the_console(demo_db):
    at = signed_in("manager")
    at.session_state["lang"] = "en"
    at.session_state["owners:tab"] = "Units"  # the tab a click opens (ui/kit/tabs.py)
    at.run()
    assert at.title[0].value == "Workbench"
    at.switch_page("screens/owners.py").run()
    assert at.title[0].value == "Units"
    assert any(s.label == "Estate" for s in at.selectbox)


def test_admin_adds_a_user_and_sees_the_initial_password_once(demo_db):
    at = signed_in("sysadmin").run()
    at.switch_page("screens/admin.py").run()
    form_inputs = [ti for ti in at.text_input if ti.label in ("用户名", "姓名")]
    form_inputs[0].input("newcashier")
    form_inputs[1].input("新收费员")
    at.radio(key="add_user:estates_scope").set_value(True)  # the demo has several estates: the admin must say which
    next(b for b in at.button if b.label == "新增" and "add_user" in (b.key or b.id)).click()
    at.run()
    assert not at.exception
    assert "已创建用户 newcashier" in at.success[0].value
    at.run()
    assert not [s.value for s in at.success if "已创建用户" in s.value]  # shown once (上线检查 has its own)


def test_admin_sees_a_field_message_for_a_bad_username(demo_db):
    at = signed_in("sysadmin").run()
    at.switch_page("screens/admin.py").run()
    form_inputs = [ti for ti in at.text_input if ti.label in ("用户名", "姓名")]
    form_inputs[0].input("<script>")
    form_inputs[1].input("某人")
    at.radio(key="add_user:estates_scope").set_value(True)
    next(b for b in at.button if b.label == "新增" and "add_user" in (b.key or b.id)).click()
    at.run()
    assert "用户名：3–32 位字母、数字、点、下划线或短横线" in at.error[0].value
