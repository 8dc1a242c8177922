"""The console through deploy/nginx.conf: a real nginx on a loopback port in front of two console processes.

The processes are this run's demo server and a second one over the same database file (for the proxy the
database does not matter; production puts PostgreSQL under them, see test_two_servers.py). What is checked:
- the sticky cookie: set on a browser's first request only; one cookie always reaches one process, and
  different browsers are spread over both;
- browsers sign in, open /owners and save a grid edit through nginx: the websocket upgrade works (101), the
  Origin check passes, and every request of one browser, websocket included, went to one process.
"""

from __future__ import annotations

import socket
import time
import urllib.request
import uuid
from collections import defaultdict

import pytest
from playwright.sync_api import expect

from tests.deploy.nginx_support import access_lines, for_test, main_config, nginx_binary, running
from tests.e2e.conftest import console
from tests.e2e.helpers import (
    DEMO_PASSWORD,
    cell,
    click_save,
    edit_cell,
    find_unit,
    search_units,
    sign_in,
)
from tests.e2e.test_units_grid import expect_saved

pytestmark = pytest.mark.e2e


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _get(url: str, route: str | None = None):
    request = urllib.request.Request(url, headers={"Cookie": f"propdesk_route={route}"} if route else {})
    with urllib.request.urlopen(request, timeout=10) as r:
        return r.status, [c for c in r.headers.get_all("Set-Cookie") or [] if c.startswith("propdesk_route=")]


@pytest.fixture
def proxied(server, db, tmp_path):
    """nginx on a free loopback port in front of two console processes; yields (base url, access log)."""
    nginx = nginx_binary()
    with console(server.db_url, tmp_path / "second.log") as second:
        backends = [u.removeprefix("http://") for u in (server.base_url, second)]
        port = _free_port()
        main = main_config(tmp_path, for_test(backends, f"127.0.0.1:{port}"))
        base = f"http://127.0.0.1:{port}"
        with running(nginx, main, f"{base}/_stcore/health") as log:
            yield base, log, backends


def test_browsers_work_through_nginx_each_sticking_to_one_process(pages, proxied):
    base, log, backends = proxied

    # the cookie: set on the first request only
    status, cookies = _get(f"{base}/_stcore/health")
    assert status == 200 and len(cookies) == 1
    assert "HttpOnly" in cookies[0]
    assert _get(f"{base}/_stcore/health", route="abc")[1] == []
    # one cookie, one process; forty cookies, both processes
    for route in ("desk-1", "desk-2"):
        for _ in range(10):
            _get(f"{base}/_stcore/health", route=route)
    for _ in range(40):
        _get(f"{base}/_stcore/health", route=uuid.uuid4().hex)
    by_route = defaultdict(set)
    for row in access_lines(log):
        by_route[row["route"]].add(row["up"])
    assert len(by_route["desk-1"]) == len(by_route["desk-2"]) == 1
    assert {up for ups in by_route.values() for up in ups} == set(backends)

    # two browsers sign in and work through nginx
    unit = find_unit("2-1-101")
    browsers = [pages.new(), pages.new()]
    for page, user in zip(browsers, ("manager", "clerk"), strict=True):
        sign_in(page, base, user, DEMO_PASSWORD, path="owners")
        search_units(page, "2-1-101")
    first = browsers[0]
    edit_cell(first, unit.id, "note", "经nginx保存")
    click_save(first)
    expect_saved(first)
    expect(cell(first, unit.id, "note")).to_have_text("经nginx保存")
    after = find_unit("2-1-101")
    assert (after.note, after.version) == ("经nginx保存", unit.version + 1)

    # nginx logs a websocket when it closes: close the browsers, then read the log
    routes = [next(c["value"] for c in page.context.cookies() if c["name"] == "propdesk_route") for page in browsers]
    for page in browsers:
        page.context.close()
    for route in routes:
        mine = _wait_for_stream(log, route)
        assert len({r["up"] for r in mine}) == 1, {r["up"] for r in mine}
    assert not [r for r in access_lines(log) if r["status"].startswith("5")]


def _wait_for_stream(log, route: str, timeout_s: float = 10) -> list[dict[str, str]]:
    """The logged requests of one browser, once its websocket (101 on /_stcore/stream) is among them."""
    deadline = time.monotonic() + timeout_s
    while True:
        mine = [r for r in access_lines(log) if r["route"] == route]
        if any(r["uri"] == "/_stcore/stream" and r["status"] == "101" for r in mine):
            return mine
        assert time.monotonic() < deadline, f"no websocket logged for route {route}: {mine[-5:]}"
        time.sleep(0.2)
