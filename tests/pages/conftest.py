"""Page tests: the real app.py under Streamlit's AppTest, on a demo-estate SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from bench.pages import tab_strips
from db.engine import get_engine
from services.platform.auth import Actor, Role
from tests.demo_template import DEMO_PASSWORD, demo_copy

APP_PATH = str(Path(__file__).resolve().parents[2] / "app.py")
APP_TIMEOUT = 60


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory) -> str:
    path = demo_copy(tmp_path_factory, tmp_path_factory.mktemp("pages") / "propdesk.db")
    url = f"sqlite:///{path}"
    yield url
    get_engine(url).dispose()


@pytest.fixture
def demo_db(demo_db_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    return demo_db_url


@pytest.fixture(scope="module")
def module_demo_db_url(tmp_path_factory, request) -> str:
    """A demo database of the test module's own: what its tests write (orders, answer sheets) stays out of the
    other modules' shared copy."""
    name = request.module.__name__.rsplit(".", 1)[-1]
    path = demo_copy(tmp_path_factory, tmp_path_factory.mktemp(name) / "propdesk.db")
    url = f"sqlite:///{path}"
    yield url
    get_engine(url).dispose()


@pytest.fixture
def module_demo_db(module_demo_db_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", module_demo_db_url)
    return module_demo_db_url


def app() -> AppTest:
    return AppTest.from_file(APP_PATH, default_timeout=APP_TIMEOUT)


def signed_in(username: str) -> AppTest:
    """The app with `username` already signed in (through the real authenticate service)."""
    from services.platform.auth import authenticate

    actor = authenticate(username=username, password=DEMO_PASSWORD)
    at = app()
    at.session_state["actor"] = actor
    return at


def open_tab(at: AppTest, label: str) -> AppTest:
    """Open the tab labelled `label` of a keyed tab strip the last run drew (as a click does) and rerun."""
    keys = [key for key, labels in tab_strips(at).items() if label in labels]
    assert len(keys) == 1, f"tab {label!r} is in {len(keys)} drawn tab strips: {tab_strips(at)}"
    at.session_state[keys[0]] = label
    return at.run()


DEMO_USER_OF_ROLE = {
    Role.ADMIN: "sysadmin",
    Role.MANAGER: "manager",
    Role.SERVICE: "service",
    Role.CASHIER: "cashier",
    Role.ENGINEER: "engineer",
    Role.CLERK: "clerk",
}

__all__ = ["Actor", "DEMO_USER_OF_ROLE", "app", "open_tab", "signed_in", "tab_strips"]
