"""The prepared world of the hostile-input tests: one migrated SQLite database built once per test module (per
worker), copied for each test so that targets never see each other's writes."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from db import migrate
from db.engine import dispose_all, unit_of_work
from services.appraisal.posts import seed_posts
from tests.factories import fast_password_hashing
from tests.services.platform.hostile_targets import World, build_world


@pytest.fixture(scope="module")
def hostile_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, World]]:
    """A migrated SQLite database holding the world, built once; each test works on a copy."""
    path = tmp_path_factory.mktemp("hostile") / "template.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DATABASE_URL", url)
        fast_password_hashing(mp)
        with unit_of_work() as uow:
            seed_posts(uow.session)
            uow.commit()
        world = build_world()
    dispose_all()
    yield path, world


@pytest.fixture
def hostile_world(hostile_template: tuple[Path, World], tmp_path: Path,
                  monkeypatch: pytest.MonkeyPatch) -> Iterator[World]:
    """This test's own copy of the prepared database, and the world in it."""
    template, built = hostile_template
    copy = tmp_path / "hostile.db"
    shutil.copyfile(template, copy)
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{copy}")
    fast_password_hashing(monkeypatch)
    yield World(**{**built.__dict__, "counter": 1000})
    dispose_all()
