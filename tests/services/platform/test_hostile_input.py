"""The hostile-input corpus fed into every write service field: stored exactly, or refused naming the field.

The whole corpus runs on SQLite, each target (tests/services/platform/hostile_targets.py) on its own copy of one
prepared database, and through the grid adapter's diff_edits into the units grid; a stored text must also fit its
column, which SQLite does not enforce. The corpus' SLICE runs on PostgreSQL and MariaDB for the first field of each
service, where lengths, 4-byte characters and ranges are the database's to enforce (there the partial-write check is
left to SQLite: a service's transaction is the same code on every backend).
"""

from __future__ import annotations

import pytest

from tests.factories import fast_password_hashing
from tests.services.platform import hostile_harness as harness
from tests.services.platform.hostile_corpus import CORPUS, SLICE
from tests.services.platform.hostile_fixtures import hostile_template, hostile_world  # noqa: F401 (fixtures)
from tests.services.platform.hostile_targets import GRID_ADAPTER, TARGETS, build_world

# the customer-relations services' fields run in test_hostile_input_relations.py: two files, so that two workers
# share the corpus (pytest-xdist hands out whole files)
OWN_TARGETS = [t for t in TARGETS if not t.service.startswith("relations.")]


@pytest.mark.parametrize("target", OWN_TARGETS, ids=lambda t: t.name)
def test_each_field_stores_a_hostile_value_exactly_or_refuses_it_naming_the_field(target, hostile_world):  # noqa: F811
    tally = harness.run(target, hostile_world, CORPUS)
    assert not tally.problems, tally.report()


@pytest.mark.parametrize("target", GRID_ADAPTER, ids=lambda t: t.param)
def test_a_hostile_grid_cell_comes_back_as_an_edit_the_service_stores_exactly_or_refuses(target, hostile_world):  # noqa: F811
    tally = harness.run(target, hostile_world, CORPUS)
    assert not tally.problems, tally.report()


# the first field of each service: the slice on the servers checks what the database itself does with a value
# (lengths, 4-byte characters, ranges); the rules in front of it are the same code on every backend
SERVER_TARGETS = list({t.service: t for t in reversed(TARGETS)}.values())


@pytest.mark.parametrize("backend_url", ["postgresql", "mariadb"], indirect=True)
def test_the_slice_is_stored_exactly_or_refused_on_the_servers_too(db, monkeypatch):
    fast_password_hashing(monkeypatch)
    world = build_world()
    tallies = [harness.run(t, world, SLICE, counted=False) for t in SERVER_TARGETS]
    reports = [t.report() for t in tallies if t.problems]
    assert not reports, "\n".join(reports)
