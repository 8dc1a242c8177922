"""The demo's customer-relations registers: a year of each, ending today, so every tab of /relations and the
home page's blocks look like a real company's (each register's builder beside its name)."""

from __future__ import annotations

import random

from services.demo import (
    relations_inspections,
    relations_notices,
    relations_paid_services,
    relations_surveys,
    relations_visits,
)


def build_relations_demo(rng: random.Random, *, live: bool = True) -> None:
    """Every register's demo, each from its own random stream so one register's change leaves the others be.

    `live`: also what the story does through the services at this very moment — the last days' owner visits with
    their follow-up tickets, and the paid services, whose orders are timed from now and paid at the counter. The
    large demo leaves them out (it has no paid services then): its tickets and payments must be the same in two
    builds with the same seed, whenever they run."""
    seeds = {register: random.Random(rng.randrange(1 << 30) + n) for n, register in enumerate(
        (relations_surveys, relations_visits, relations_notices, relations_paid_services, relations_inspections))}
    relations_surveys.build(seeds[relations_surveys])
    relations_visits.build(seeds[relations_visits], live=live)
    relations_notices.build(seeds[relations_notices])
    if live:
        relations_paid_services.build(seeds[relations_paid_services])
    relations_inspections.build(seeds[relations_inspections])
