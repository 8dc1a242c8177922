"""Running `propdesk` in tests: a fresh SQLite database for the command line, and one call's exit code and output."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import cli
from db.engine import get_engine
from tests.factories import fast_password_hashing


@contextmanager
def cli_database(tmp_path, monkeypatch, *, init: bool = True) -> Iterator[str]:
    """DATABASE_URL set to data/propdesk.db under `tmp_path` (no admin password in the environment, cheap hashing),
    after `propdesk init` unless `init` is False; yields the URL and disposes of the engine afterwards."""
    url = f"sqlite:///{tmp_path / 'data' / 'propdesk.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("PROPDESK_ADMIN_PASSWORD", raising=False)
    fast_password_hashing(monkeypatch)
    if init:
        assert cli.main(["init"]) == 0
    yield url
    get_engine(url).dispose()


def run(capsys, *argv: str) -> tuple[int, str, str]:
    """`propdesk ARGV...`: (exit code, stdout, stderr); a usage mistake's SystemExit counts as its exit code."""
    capsys.readouterr()
    try:
        code = cli.main(list(argv))
    except SystemExit as exc:  # argparse exits after printing its one line
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err
