"""deploy/nginx.conf read as nginx reads it, and run by a real nginx on loopback ports for the tests.

The deployed file is http-level (it goes in /etc/nginx/conf.d/); the tests wrap it in a main configuration of
their own (pid, logs and temp files in a temp dir, an access log that names the upstream of each request) and
point its upstream and listen lines at the test's ports, changing nothing else.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
NGINX_CONF = PROJECT_ROOT / "deploy" / "nginx.conf"
# .ci/run installs the Debian package and sets this: there a missing nginx is a failure, not a skip
REQUIRE_NGINX = os.environ.get("PROPDESK_REQUIRE_NGINX") == "1"
# one line per proxied request: which upstream process served it, for which sticky cookie
ACCESS_FORMAT = "'$request_method $uri $status up=$upstream_addr route=$cookie_propdesk_route'"


def nginx_binary() -> str:
    """The nginx executable, or skip (fail under PROPDESK_REQUIRE_NGINX=1)."""
    found = shutil.which("nginx") or next((p for p in ("/usr/sbin/nginx",) if os.path.exists(p)), None)
    if found is None:
        reason = "nginx is not installed (Debian package `nginx`)"
        if REQUIRE_NGINX:
            pytest.fail(f"PROPDESK_REQUIRE_NGINX=1 but {reason}", pytrace=False)
        pytest.skip(reason)
    return found


@dataclass
class Directive:
    name: str
    args: list[str]
    block: list[Directive] | None = None

    def find(self, name: str) -> list[Directive]:
        return [d for d in self.block or [] if d.name == name]

    def walk(self) -> Iterator[Directive]:
        for d in self.block or []:
            yield d
            yield from d.walk()


@dataclass
class Config(Directive):
    name: str = "main"
    args: list[str] = field(default_factory=list)


_TOKEN = re.compile(r"""\s*(?:#[^\n]*|"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)'|([{};])|([^\s{};"'#]+))""")


def parse(text: str) -> Config:
    """nginx's configuration syntax: directives `name args;` and blocks `name args { ... }`, # comments."""
    root = Config(block=[])
    stack: list[Directive] = [root]
    words: list[str] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            if text[pos:].strip():
                raise ValueError(f"cannot read nginx config at {text[pos:pos + 40]!r}")
            break
        pos = m.end()
        dq, sq, punct, word = m.groups()
        if dq is not None or sq is not None:
            words.append(dq if dq is not None else sq)
        elif word is not None:
            words.append(word)
        elif punct == ";":
            stack[-1].block.append(Directive(words[0], words[1:]))
            words = []
        elif punct == "{":
            d = Directive(words[0], words[1:], [])
            stack[-1].block.append(d)
            stack.append(d)
            words = []
        elif punct == "}":
            stack.pop()
    if len(stack) != 1 or words:
        raise ValueError("unbalanced braces or a directive without ';'")
    return root


def for_test(backends: list[str], listen: str) -> str:
    """deploy/nginx.conf with its upstream servers replaced by `backends` (host:port) and `listen 80` by
    `listen`; nothing else changed."""
    text = NGINX_CONF.read_text()
    servers = re.findall(r"^\s*server 127\.0\.0\.1:\d+ [^;]*;\n", text, flags=re.M)
    assert servers, "no upstream server lines in deploy/nginx.conf"
    options = servers[0].strip().split(None, 2)[2]  # "max_fails=3 fail_timeout=10s;"
    lines = "".join(f"    server {b} {options}\n" for b in backends)
    text = text.replace("".join(servers), lines, 1)
    assert text.count("listen 80;") == 1
    return text.replace("listen 80;", f"listen {listen};")


def main_config(tmp: Path, site: str) -> Path:
    """A main nginx configuration in `tmp` that includes `site` (http-level) as Debian's nginx.conf does."""
    (tmp / "site.conf").write_text(site)
    main = tmp / "nginx.conf"
    main.write_text(f"""
pid {tmp}/nginx.pid;
error_log {tmp}/error.log info;
worker_processes 1;
daemon off;
events {{ worker_connections 256; }}
http {{
    log_format upstreams {ACCESS_FORMAT};
    access_log {tmp}/access.log upstreams;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {tmp}/site.conf;
}}
""")
    return main


def check(nginx: str, main: Path) -> subprocess.CompletedProcess[str]:
    """`nginx -t` on a main configuration."""
    return subprocess.run([nginx, "-t", "-c", str(main), "-p", str(main.parent)], capture_output=True, text=True,
                          timeout=30)


@contextmanager
def running(nginx: str, main: Path, url: str) -> Iterator[Path]:
    """nginx in the foreground on `main` until the block ends; yields its access log once `url` answers."""
    proc = subprocess.Popen([nginx, "-c", str(main), "-p", str(main.parent)], stdout=subprocess.DEVNULL,
                            stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(url, timeout=2) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"nginx did not serve {url}: {(main.parent / 'error.log').read_text()[-2000:]}")
            time.sleep(0.2)
        yield main.parent / "access.log"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


def access_lines(log: Path) -> list[dict[str, str]]:
    """The access log as dicts: method, uri, status, up (upstream address), route (the sticky cookie)."""
    rows = []
    for line in log.read_text().splitlines():
        method, uri, status, up, route = line.split(" ", 4)
        rows.append({"method": method, "uri": uri, "status": status, "up": up.removeprefix("up="),
                     "route": route.removeprefix("route=")})
    return rows
