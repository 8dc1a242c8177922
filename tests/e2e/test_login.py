"""Sign-in in a real browser: bad input gets a Chinese message and no session; five wrong passwords lock."""

from __future__ import annotations

import sqlite3

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import DEMO_PASSWORD, submit_login

pytestmark = pytest.mark.e2e

ERROR = "[data-testid='stAlertContentError']"
WRONG = "用户名或密码错误"
# The account this test locks: no other browser test signs in as it, since it stays locked for the session's server.
LOCKED_USER = "engineer2"
LOCKED = "账户已锁定"  # not just 锁定: the wrong-password message itself warns 连续输错 5 次将锁定


def _user(db_path, username: str) -> dict | None:
    with sqlite3.connect(db_path) as conn:
        conn.row_factory = sqlite3.Row
        r = conn.execute("SELECT username, failed_attempts, locked_until, last_login_at FROM users "
                         "WHERE username = ?", (username,)).fetchone()
    return dict(r) if r else None


def _user_count(db_path) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute("SELECT COUNT(*) FROM users").fetchone()[0]


def _refused(page: Page, message: str) -> None:
    expect(page.locator(ERROR)).to_contain_text(message)
    expect(page.get_by_role("button", name="退出登录")).to_have_count(0)
    expect(page.get_by_role("button", name="登录", exact=True)).to_be_visible()
    expect(page.locator("[data-testid='stSidebarNav']")).to_have_count(0)


BAD_USERNAMES = [
    # (case, username, what the error must say)
    ("empty", "", "用户名：不能为空"),
    ("blank", "   ", "用户名：不能为空"),
    ("10000 characters", "m" * 10_000, "用户名：不能超过 32 个字符"),
    ("SQL OR", "admin' OR '1'='1", WRONG),
    ("SQL DROP", "manager'; DROP TABLE users; --", WRONG),
    ("SQL comment", "manager' --", WRONG),
    ("double quote", 'manager" --', WRONG),
]


def test_bad_usernames_are_refused_with_a_chinese_message_and_no_session(pages, server):
    users_before = _user_count(server.db_path)
    manager_before = _user(server.db_path, "manager")
    page = pages.new()
    page.goto(f"{server.base_url}/")
    for case, username, message in BAD_USERNAMES:
        submit_login(page, username, DEMO_PASSWORD)
        try:
            _refused(page, message)
        except AssertionError as exc:
            raise AssertionError(f"username case {case!r}: {exc}") from exc
    # nothing was injected: same users, and `manager` was not touched by the look-alike names
    assert _user_count(server.db_path) == users_before
    assert _user(server.db_path, "manager") == manager_before


def test_five_wrong_passwords_lock_the_account_even_for_the_right_password(pages, server):
    before = _user(server.db_path, LOCKED_USER)
    assert before["locked_until"] is None and before["failed_attempts"] == 0
    page = pages.new()
    page.goto(f"{server.base_url}/")
    for attempt in range(1, 5):
        submit_login(page, LOCKED_USER, f"wrong-password-{attempt}")
        _refused(page, WRONG)
        expect(page.locator(ERROR)).not_to_contain_text(LOCKED)
        assert _user(server.db_path, LOCKED_USER)["failed_attempts"] == attempt
        assert _user(server.db_path, LOCKED_USER)["locked_until"] is None
    submit_login(page, LOCKED_USER, "wrong-password-5")
    _refused(page, LOCKED)
    assert _user(server.db_path, LOCKED_USER)["locked_until"] is not None

    submit_login(page, LOCKED_USER, DEMO_PASSWORD)  # the right password no longer opens the account
    _refused(page, LOCKED)
    assert _user(server.db_path, LOCKED_USER)["last_login_at"] == before["last_login_at"]
