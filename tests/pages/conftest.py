"""Page tests: the real app.py under Streamlit's AppTest, on a demo-estate SQLite database."""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from db import migrate
from db.engine import get_engine
from services.admin import system
from services.demo import builder as demo
from services.platform.auth import Actor, Role

DEMO_PASSWORD = "page-test-pass"
APP_PATH = str(Path(__file__).resolve().parents[2] / "app.py")
APP_TIMEOUT = 60


@pytest.fixture(scope="session")
def demo_db_url(tmp_path_factory) -> str:
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'propdesk.db'}"
    import os

    old = os.environ.get("DATABASE_URL")
    os.environ["DATABASE_URL"] = url
    try:
        migrate.upgrade(url)
        system.init(admin_password="admin-pass-123")
        demo.build_demo(scale="small", demo_password=DEMO_PASSWORD)
    finally:
        if old is None:
            os.environ.pop("DATABASE_URL", None)
        else:
            os.environ["DATABASE_URL"] = old
    yield url
    get_engine(url).dispose()


@pytest.fixture
def demo_db(demo_db_url, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", demo_db_url)
    return demo_db_url


def app() -> AppTest:
    return AppTest.from_file(APP_PATH, default_timeout=APP_TIMEOUT)


def signed_in(username: str) -> AppTest:
    """The app with `username` already signed in (through the real authenticate service)."""
    from services.platform.auth import authenticate

    actor = authenticate(username=username, password=DEMO_PASSWORD)
    at = app()
    at.session_state["actor"] = actor
    return at


DEMO_USER_OF_ROLE = {
    Role.ADMIN: "sysadmin",
    Role.MANAGER: "manager",
    Role.SERVICE: "service",
    Role.CASHIER: "cashier",
    Role.ENGINEER: "engineer",
    Role.CLERK: "clerk",
}

__all__ = ["Actor", "DEMO_USER_OF_ROLE", "app", "signed_in"]
