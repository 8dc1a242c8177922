"""The hostile-input corpus fed into every field of the customer-relations write services (the other services'
fields, the grid adapter and the servers' slice are in test_hostile_input.py; see its docstring)."""

from __future__ import annotations

import pytest

from tests.services.platform import hostile_harness as harness
from tests.services.platform.hostile_corpus import CORPUS
from tests.services.platform.hostile_fixtures import hostile_template, hostile_world  # noqa: F401 (fixtures)
from tests.services.platform.hostile_targets import TARGETS

RELATIONS_TARGETS = [t for t in TARGETS if t.service.startswith("relations.")]


@pytest.mark.parametrize("target", RELATIONS_TARGETS, ids=lambda t: t.name)
def test_each_relations_field_stores_a_hostile_value_exactly_or_refuses_it_naming_the_field(
        target, hostile_world):  # noqa: F811
    tally = harness.run(target, hostile_world, CORPUS)
    assert not tally.problems, tally.report()
