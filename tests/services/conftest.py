"""Service tests hash with cheap argon2 parameters (same code path, ~1 ms instead of ~100 ms a hash).

Tests that care about the production parameters ask for the `production_hasher` fixture.
"""

from __future__ import annotations

import pytest

from tests.factories import fast_password_hashing, production_password_hashing


@pytest.fixture(autouse=True)
def _fast_hasher(monkeypatch):
    fast_password_hashing(monkeypatch)


@pytest.fixture
def production_hasher(monkeypatch, _fast_hasher):
    production_password_hashing(monkeypatch)
