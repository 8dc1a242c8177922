"""A test module's own copy of the run's demo database, with contact mobiles on its tickets, lost items and key
loans (tests/services/platform/personal_data.py), and one signed-in actor of each role on it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from db.engine import get_engine, read_session
from db.models import User
from services.platform.auth import Actor, Role, actor_of
from tests.demo_template import demo_copy
from tests.pages.conftest import DEMO_USER_OF_ROLE
from tests.services.platform.personal_data import full_numbers, seed_contact_numbers


@pytest.fixture(scope="module")
def seeded_demo_url(tmp_path_factory, request) -> Iterator[str]:
    name = request.module.__name__.rsplit(".", 1)[-1]
    path = demo_copy(tmp_path_factory, tmp_path_factory.mktemp(name) / "propdesk.db")
    seed_contact_numbers(path)
    url = f"sqlite:///{path}"
    yield url
    get_engine(url).dispose()


@pytest.fixture
def demo_actors(seeded_demo_url, monkeypatch) -> dict[Role, Actor]:
    """The demo user of each role (tests.pages.conftest.DEMO_USER_OF_ROLE), as signing in makes them."""
    monkeypatch.setenv("DATABASE_URL", seeded_demo_url)
    with read_session() as s:
        return {role: actor_of(s.scalars(select(User).where(User.username == username)).one())
                for role, username in DEMO_USER_OF_ROLE.items()}


_NUMBERS: dict[str, frozenset[str]] = {}


@pytest.fixture
def numbers(demo_actors, seeded_demo_url) -> frozenset[str]:
    """The full mobiles and ID numbers of the seeded demo database (read once per module)."""
    if seeded_demo_url not in _NUMBERS:
        _NUMBERS[seeded_demo_url] = full_numbers()
    return _NUMBERS[seeded_demo_url]
