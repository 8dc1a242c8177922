from tests.pages.conftest import DEMO_PASSWORD, app


def _login(at, username, password):
    at.text_input(key="login_username").input(username)
    at.text_input(key="login_password").input(password)
    at.button[0].click()  # the form's 登录 button
    return at.run()


def test_login_form_shows_chinese_labels(demo_db):
    at = app().run()
    assert not at.exception
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    assert any(b.label == "登录" for b in at.button)


def test_wrong_password_is_refused_with_a_chinese_message(demo_db):
    at = _login(app().run(), "service", "not-the-password")
    assert not at.exception
    assert "用户名或密码错误" in at.error[0].value
    assert "actor" not in at.session_state


def test_five_wrong_passwords_lock_the_account_even_for_the_right_one(demo_db):
    at = app().run()
    for _ in range(5):  # engineer2: no other page test signs in as it, and it stays locked in the shared demo
        at = _login(at, "engineer2", "wrong-password")
    assert "锁定" in at.error[0].value
    at = _login(at, "engineer2", DEMO_PASSWORD)
    assert "锁定" in at.error[0].value
    assert "actor" not in at.session_state


def test_right_password_signs_in_and_shows_the_home_page(demo_db):
    at = _login(app().run(), "clerk", DEMO_PASSWORD)
    assert not at.exception
    assert at.session_state["actor"].username == "clerk"
    assert at.title[0].value == "工作台"


def test_empty_and_huge_usernames_get_field_messages(demo_db):
    at = _login(app().run(), "", "whatever")
    assert "用户名：不能为空" in at.error[0].value
    at = _login(at, "x" * 10_000, "whatever")
    assert "用户名：不能超过 32 个字符" in at.error[0].value


def test_sql_fragment_username_is_just_a_wrong_login(demo_db):
    at = _login(app().run(), "admin' OR '1'='1", "' OR 1=1 --")
    assert not at.exception
    assert "用户名或密码错误" in at.error[0].value


def test_logout_ends_the_session_and_every_page_asks_for_sign_in_again(demo_db):
    at = _login(app().run(), "service", DEMO_PASSWORD)
    assert at.session_state["actor"].username == "service"
    [logout] = [b for b in at.sidebar.button if b.label == "退出登录"]
    logout.click().run()
    assert not at.exception
    assert "actor" not in at.session_state
    assert [b.label for b in at.button] == ["登录"]
    for script in ("screens/owners.py", "screens/fees.py", "screens/home.py"):  # an address opened afterwards
        at.switch_page(script).run()
        assert not at.exception
        assert "actor" not in at.session_state
        assert [b.label for b in at.button] == ["登录"], script
        assert [t.value for t in at.title] == ["物业服务中心控制台"], script
