"""Two requests at once on PostgreSQL and MariaDB (several Streamlit processes share one database).

SQLite serialises writers (BEGIN IMMEDIATE), so these interleavings cannot happen there.
A barrier holds both transactions at the dangerous point; with a fix that serialises them
(row locks), the barrier times out and each proceeds in turn, which the tests also accept.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable

import pytest

from services import auth, users
from services.auth import SYSTEM_ACTOR, Role
from services.errors import DomainError, ValidationError
from tests.factories import PASSWORD, make_user, user_row


def _both(fn_a: Callable[[], object], fn_b: Callable[[], object]) -> list[object]:
    """Run two calls in threads; return each result or the exception it raised."""
    results: list[object] = [None, None]

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def _hold_at(monkeypatch, module, name: str) -> None:
    """Make `module.name` wait (up to 2 s) until both threads have reached it."""
    barrier = threading.Barrier(2, timeout=2)
    real = getattr(module, name)

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)


@pytest.fixture
def server_db(db):
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; no interleaving")
    return db


def test_two_admins_disabling_each_other_at_once_leave_an_active_admin(server_db, monkeypatch):
    a = make_user(Role.ADMIN, "admin_a")
    b = make_user(Role.ADMIN, "admin_b")
    _hold_at(monkeypatch, users, "_active_admins")

    results = _both(lambda: users.set_active(actor=a, username="admin_b", active=False),
                    lambda: users.set_active(actor=b, username="admin_a", active=False))

    assert not any(isinstance(r, BaseException) and not isinstance(r, DomainError) for r in results), results
    assert user_row("admin_a").active or user_row("admin_b").active
    assert sum(isinstance(r, ValidationError) for r in results) == 1


def test_two_sign_ins_of_one_account_at_once_both_succeed(server_db, monkeypatch):
    make_user(Role.CASHIER, "cashier1")
    _hold_at(monkeypatch, auth, "_verify")

    results = _both(lambda: auth.authenticate(username="cashier1", password=PASSWORD),
                    lambda: auth.authenticate(username="cashier1", password=PASSWORD))

    assert all(isinstance(r, auth.Actor) for r in results), results


def test_concurrent_wrong_passwords_are_all_counted_or_refused_cleanly(server_db, monkeypatch):
    """Whatever the interleaving, nobody gets past the lockout and no raw database error escapes."""
    make_user(Role.CASHIER, "cashier1")
    for _ in range(4):
        with pytest.raises(auth.AuthError):
            auth.authenticate(username="cashier1", password="wrong-password")
    _hold_at(monkeypatch, auth, "_verify")
    results = _both(lambda: auth.authenticate(username="cashier1", password="wrong-password"),
                    lambda: auth.authenticate(username="cashier1", password="wrong-password"))
    assert all(isinstance(r, auth.AuthError) for r in results), results
    assert user_row("cashier1").locked_until is not None


def test_two_admins_adding_the_same_username_at_once_get_one_account(server_db):
    results = _both(
        lambda: users.add_user(actor=SYSTEM_ACTOR, username="twin", display_name="甲", role=Role.CLERK,
                               password="a-good-pass"),
        lambda: users.add_user(actor=SYSTEM_ACTOR, username="twin", display_name="乙", role=Role.CLERK,
                               password="a-good-pass"),
    )
    assert sum(isinstance(r, tuple) for r in results) == 1
    assert sum(isinstance(r, users.Conflict) for r in results) == 1
