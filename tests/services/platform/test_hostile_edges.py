"""Hostile values the corpus does not hold, on paths it does not reach: a quarter's year outside the calendar range
(the quarterly lost-and-found notice) and a sign-in password that is no text a hasher can take.

The corpus (hostile_corpus.py) has no quarter-shaped value, and it is fed into change_own_password, not into
authenticate; both share their parser or their password check with what it does reach.
"""

from __future__ import annotations

import pytest

from services.platform.auth import Role, authenticate
from services.platform.errors import AuthError, ValidationError
from services.relations.lost_found import Quarter
from tests.factories import make_user, user_row


@pytest.mark.parametrize("text", ["0000Q1", "9999Q4", "1899Q4", "2101Q1"])
def test_a_quarter_outside_1900_to_2100_is_refused_naming_the_quarter(text):
    # year 0 has no first day and 9999Q4 no next quarter: date() raised instead of a refusal
    with pytest.raises(ValidationError) as exc:
        Quarter.parse(text)
    assert exc.value.errors.keys() == {"季度"}


def test_the_quarters_at_the_ends_of_the_range_have_their_days():
    assert (Quarter.parse("1900Q1").first.isoformat(), Quarter.parse("2100Q4").last.isoformat()) == (
        "1900-01-01", "2100-12-31")


def test_a_sign_in_password_that_is_no_text_is_a_wrong_password(sqlite_db):
    # the hasher raised UnicodeEncodeError or AttributeError: the page showed an error id instead of the refusal
    make_user(Role.CASHIER, "cashier1")
    for failures, password in enumerate(["\ud800", "a\udfffb", 12, ["x"]], start=1):
        with pytest.raises(AuthError) as exc:
            authenticate(username="cashier1", password=password)
        assert exc.value.message.startswith("用户名或密码错误"), password
        assert user_row("cashier1").failed_attempts == failures
