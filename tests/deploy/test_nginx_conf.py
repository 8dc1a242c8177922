"""deploy/nginx.conf: what several Streamlit processes behind one nginx need, checked in the file and by nginx.

The browser test through a running nginx is tests/e2e/test_behind_nginx.py.
"""

from __future__ import annotations

import tomllib

from tests.deploy.nginx_support import (
    NGINX_CONF,
    PROJECT_ROOT,
    Directive,
    check,
    for_test,
    main_config,
    nginx_binary,
    parse,
)


def _conf() -> Directive:
    return parse(NGINX_CONF.read_text())


def _seconds(value: str) -> int:
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    return int(value[:-1]) * units[value[-1]] if value[-1] in units else int(value)


def _location(conf: Directive, path: str) -> Directive:
    [server] = conf.find("server")
    [loc] = [d for d in server.find("location") if d.args == [path]]
    return loc


def _effective(conf: Directive, path: str, name: str) -> list[list[str]]:
    """The arguments of directive `name` that apply in `location path`: its own, else the server's (nginx
    inherits array directives such as proxy_set_header only when the location sets none)."""
    [server] = conf.find("server")
    own = _location(conf, path).find(name)
    return [d.args for d in (own or server.find(name))]


def test_the_upstream_lists_several_processes_and_sticks_each_browser_to_one():
    conf = _conf()
    [upstream] = conf.find("upstream")
    servers = upstream.find("server")
    assert len(servers) >= 2
    assert len({s.args[0] for s in servers}) == len(servers)
    balance = [d for d in upstream.block if d.name in ("ip_hash", "hash", "sticky")]
    assert len(balance) == 1, "one stickiness rule: ip_hash, hash on a cookie, or sticky"
    if balance[0].name == "hash":
        key = balance[0].args[0]
        assert "consistent" in balance[0].args  # a stopped process moves only its own browsers
        # the key is the route cookie, or a fresh id on a browser's first request; that id is also set as the cookie
        [route_map] = [m for m in conf.find("map") if m.args[1] == key]
        assert route_map.args[0] == "$cookie_propdesk_route"
        [cookie_map] = [m for m in conf.find("map") if m.args[0] == "$cookie_propdesk_route" and m is not route_map]
        [server] = conf.find("server")
        assert [d.args for d in server.find("add_header")] == [["Set-Cookie", cookie_map.args[1]]]
        first_visit = {d.name: d.args for d in route_map.block}[""]
        cookie = {d.name: d.args for d in cookie_map.block}[""][0]
        assert cookie.startswith(f"propdesk_route={first_visit[0]};") and "HttpOnly" in cookie


def test_every_location_proxies_to_the_upstream_over_http_1_1_with_the_websocket_upgrade():
    conf = _conf()
    [upstream] = conf.find("upstream")
    [server] = conf.find("server")
    upgrade_map = {m.args[1]: m for m in conf.find("map") if m.args[0] == "$http_upgrade"}
    for loc in server.find("location"):
        path = loc.args[0]
        assert [d.args for d in loc.find("proxy_pass")] == [[f"http://{upstream.args[0]}"]], path
        assert _effective(conf, path, "proxy_http_version") == [["1.1"]], path
        headers = {args[0].lower(): args[1] for args in _effective(conf, path, "proxy_set_header")}
        assert headers["upgrade"] == "$http_upgrade", path
        assert headers["connection"] in upgrade_map or headers["connection"] == "upgrade", path
        # Streamlit accepts the websocket only when the Origin matches the Host it sees, port included
        assert headers["host"] == "$http_host", path
        assert headers["x-forwarded-for"] == "$proxy_add_x_forwarded_for", path
        assert headers["x-forwarded-proto"] == "$scheme", path
    for m in upgrade_map.values():
        assert {d.name: d.args for d in m.block}["default"] == ["upgrade"]


def test_the_websocket_outlives_an_idle_desk_and_uploads_fit_streamlits_limit():
    conf = _conf()
    [stream_timeout] = _effective(conf, "/_stcore/stream", "proxy_read_timeout")
    assert _seconds(stream_timeout[0]) >= 3600
    [page_timeout] = _effective(conf, "/", "proxy_read_timeout")
    assert _seconds(page_timeout[0]) >= 60
    [server] = conf.find("server")
    [[body]] = [d.args for d in server.find("client_max_body_size")]
    assert body.lower().endswith("m") and int(body[:-1]) >= 200  # Streamlit's server.maxUploadSize default


def test_streamlit_keeps_xsrf_and_cors_protection_behind_the_proxy():
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    server = config["server"]
    assert server.get("enableXsrfProtection", True) is True
    assert server.get("enableCORS", True) is True
    # served at the site's root, as deploy/nginx.conf proxies it; a sub-path would need baseUrlPath in both
    assert server.get("baseUrlPath", "") == ""
    assert "cookieSecret" not in server  # a secret: set per deployment (STREAMLIT_SERVER_COOKIE_SECRET), not here


def test_nginx_accepts_the_configuration(tmp_path):
    nginx = nginx_binary()
    main = main_config(tmp_path, for_test(["127.0.0.1:18501", "127.0.0.1:18502"], "127.0.0.1:18080"))
    result = check(nginx, main)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_test_copy_changes_only_the_ports():
    original = parse(NGINX_CONF.read_text())
    copy = parse(for_test(["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"], "127.0.0.1:9"))

    def shape(d: Directive) -> list:
        """The tree without the upstream's server lines and listen's address."""
        return [(x.name, [] if x.name == "listen" else x.args, shape(x) if x.block is not None else None)
                for x in d.block or [] if not (x.name == "server" and x.block is None)]

    assert shape(copy) == shape(original)
    [upstream] = copy.find("upstream")
    assert [s.args[0] for s in upstream.find("server")] == ["127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3"]
