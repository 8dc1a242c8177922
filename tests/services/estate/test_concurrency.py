"""Two requests at once on PostgreSQL and MariaDB (several Streamlit processes share one database).

SQLite serialises writers (BEGIN IMMEDIATE), so these interleavings cannot happen there.
A barrier holds both transactions at the dangerous point; with a fix that serialises them
(row locks), the barrier times out and each proceeds in turn, which the tests also accept.
"""

from __future__ import annotations

import pytest

from services.platform import auth, users
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.errors import DomainError, ValidationError
from tests.factories import PASSWORD, make_user, meet_after, run_both, user_row


@pytest.fixture
def server_db(db):
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; no interleaving")
    return db


def test_two_admins_disabling_each_other_at_once_leave_an_active_admin(server_db, monkeypatch):
    a = make_user(Role.ADMIN, "admin_a")
    b = make_user(Role.ADMIN, "admin_b")
    meet_after(monkeypatch, users, "_active_admins")

    results = run_both(lambda: users.set_active(actor=a, username="admin_b", active=False),
                       lambda: users.set_active(actor=b, username="admin_a", active=False))

    assert not any(isinstance(r, BaseException) and not isinstance(r, DomainError) for r in results), results
    assert user_row("admin_a").active or user_row("admin_b").active
    assert sum(isinstance(r, ValidationError) for r in results) == 1


def test_two_sign_ins_of_one_account_at_once_both_succeed(server_db, monkeypatch):
    make_user(Role.CASHIER, "cashier1")
    meet_after(monkeypatch, auth, "_verify")

    results = run_both(lambda: auth.authenticate(username="cashier1", password=PASSWORD),
                       lambda: auth.authenticate(username="cashier1", password=PASSWORD))

    assert all(isinstance(r, auth.Actor) for r in results), results


def test_concurrent_wrong_passwords_are_all_counted_or_refused_cleanly(server_db, monkeypatch):
    """Whatever the interleaving, nobody gets past the lockout and no raw database error escapes."""
    make_user(Role.CASHIER, "cashier1")
    for _ in range(4):
        with pytest.raises(auth.AuthError):
            auth.authenticate(username="cashier1", password="wrong-password")
    meet_after(monkeypatch, auth, "_verify")
    results = run_both(lambda: auth.authenticate(username="cashier1", password="wrong-password"),
                       lambda: auth.authenticate(username="cashier1", password="wrong-password"))
    assert all(isinstance(r, auth.AuthError) for r in results), results
    assert user_row("cashier1").locked_until is not None


def test_two_admins_adding_the_same_username_at_once_get_one_account(server_db):
    results = run_both(
        lambda: users.add_user(actor=SYSTEM_ACTOR, username="twin", display_name="甲", role=Role.CLERK,
                               password="a-good-pass"),
        lambda: users.add_user(actor=SYSTEM_ACTOR, username="twin", display_name="乙", role=Role.CLERK,
                               password="a-good-pass"),
    )
    assert sum(isinstance(r, tuple) for r in results) == 1
    assert sum(isinstance(r, users.Conflict) for r in results) == 1
