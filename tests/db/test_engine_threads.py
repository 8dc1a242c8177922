"""The engine registry under Streamlit's threads (one thread per browser session)."""

from __future__ import annotations

import threading

from db import engine as db_engine


def test_sessions_arriving_together_share_one_engine(tmp_path):
    url = f"sqlite:///{tmp_path / 'race.db'}"
    start = threading.Barrier(20)
    got: list[int] = []

    def session() -> None:
        start.wait(timeout=10)
        got.append(id(db_engine.get_engine(url)))

    threads = [threading.Thread(target=session) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    try:
        assert len(got) == 20
        assert len(set(got)) == 1  # one pool per database per process; a second one would leak its connections
    finally:
        db_engine.get_engine(url).dispose()
        db_engine._engines.pop(url, None)
