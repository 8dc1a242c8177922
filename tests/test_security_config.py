"""The server's security settings and the repository's secrets: XSRF protection on, no secrets committed."""

from __future__ import annotations

import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Where made-up passwords belong: the tests, the demo builder and the benchmark's throwaway databases.
PASSWORDS_ALLOWED_UNDER = ("tests/", "services/demo/", "bench/")
# `password = "..."`, `SECRET_KEY: '...'`, `api_token="..."`: a literal of six or more characters, no spaces
_ASSIGNED = re.compile(r"""(?i)(pass(word|wd)?|secret|token|api_?key)\w*["']?\s*[:=]\s*[rbuf]?["'][^"'\s{}]{6,}["']""")
_URL_CREDENTIALS = re.compile(r"[a-z+]+://[^/\s:@'\"]+:[^/\s@'\"]+@")  # scheme://user:password@host
_PRIVATE_KEY = re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----")


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)


def test_streamlit_runs_with_xsrf_protection_and_without_error_details():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["server"]["enableXsrfProtection"] is True
    assert config["client"]["showErrorDetails"] == "none"


def test_streamlit_secrets_file_is_ignored_and_not_committed():
    assert _git("check-ignore", "-q", ".streamlit/secrets.toml").returncode == 0
    assert _git("ls-files", "--", ".streamlit/secrets.toml", "*.env", ".env*").stdout == ""


def test_no_committed_file_outside_tests_and_demo_holds_a_password_or_key():
    files = [f for f in _git("ls-files").stdout.splitlines() if not f.startswith(PASSWORDS_ALLOWED_UNDER)]
    assert len(files) > 50
    found = []
    for name in files:
        path = ROOT / name
        if not path.is_file() or path.suffix in {".png", ".jpg", ".ttf", ".ttc", ".xlsx", ".pdf", ".db"}:
            continue
        text = path.read_text(encoding="utf-8", errors="ignore")
        found += [f"{name}: {m.group(0)}" for pattern in (_ASSIGNED, _URL_CREDENTIALS, _PRIVATE_KEY)
                  for m in pattern.finditer(text)]
    assert found == []
