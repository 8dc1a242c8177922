"""Twenty writers × fifty grid edits at once through `units.update_units`, on SQLite and PostgreSQL.

Each attempt is what a user at the 房屋 grid does: read the row (the version they see), then save one
edit carrying that version. Whatever the interleaving:
- no lost update: every attempt either lands (the version goes up by exactly one) or its writer gets
  StaleEdit; each version was won by exactly one writer, and the audit trail of a unit is one unbroken
  chain of before -> after values from the first note to the final one;
- no deadlock: every writer is done within the timeout, also when batches touch the same two units in
  opposite orders;
- nothing but a DomainError reaches a writer ("database is locked", a serialization or deadlock error
  would be a bug here).
SQLite queues writers (BEGIN IMMEDIATE + busy timeout); PostgreSQL re-checks `version` in the UPDATE's WHERE
after the row lock. MariaDB behaves as PostgreSQL here and is left out to keep the suite's time down.
"""

from __future__ import annotations

import json
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import AuditEntry, Unit
from services.estate import units
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.errors import StaleEdit
from tests.factories import actor_for, bulk_units, get_row, make_estate

WRITERS = 20
EDITS = 50
TIMEOUT_S = 120

pytestmark = pytest.mark.parametrize("backend_url", ["sqlite", "postgresql"], indirect=True)


@dataclass
class Tally:
    """What the writers saw: each landed edit as (unit id, version it carried, note written), refusals, errors."""

    landed: list[tuple[int, int, str]] = field(default_factory=list)
    stale: int = 0
    errors: list[BaseException] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _hammer(plan: Callable[[int, int], list[int]]) -> tuple[Tally, float]:
    """WRITERS threads, started together, each making EDITS attempts; attempt k of writer i edits the units
    `plan(i, k)` (in that order, one batch), setting each one's note to a value no other attempt writes."""
    tally = Tally()
    start = threading.Barrier(WRITERS)

    def work(i: int) -> None:
        actor = actor_for(Role.SERVICE, f"writer{i:02d}")
        try:
            start.wait(timeout=30)
        except threading.BrokenBarrierError as exc:
            tally.errors.append(exc)
            return
        for k in range(EDITS):
            ids = plan(i, k)
            seen = {uid: get_row(Unit, uid).version for uid in ids}
            note = f"w{i:02d}-{k:02d}"
            try:
                units.update_units(actor=actor, edits=[RowEdit(uid, seen[uid], {"note": note}) for uid in ids])
            except StaleEdit:
                with tally.lock:
                    tally.stale += 1
            except BaseException as exc:  # anything else reaching the page is what this suite looks for
                with tally.lock:
                    tally.errors.append(exc)
            else:
                with tally.lock:
                    tally.landed.extend((uid, seen[uid], note) for uid in ids)

    began = time.monotonic()
    threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(WRITERS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(max(0.0, TIMEOUT_S - (time.monotonic() - began)))
    assert not any(t.is_alive() for t in threads), f"writers still busy after {TIMEOUT_S} s: a deadlock or a hang"
    return tally, time.monotonic() - began


def _note_chains(unit_ids: list[int]) -> dict[int, list[tuple[str, str]]]:
    """Each unit's audit trail of its note as (before, after) pairs."""
    with read_session() as s:
        rows = s.execute(select(AuditEntry.entity_id, AuditEntry.before_json, AuditEntry.after_json)
                         .where(AuditEntry.entity == "units", AuditEntry.action == "update")
                         .order_by(AuditEntry.id)).all()
    chains: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for entity_id, before, after in rows:
        chains[int(entity_id)].append((json.loads(before)["note"], json.loads(after)["note"]))
    return {uid: chains[uid] for uid in unit_ids}


def _assert_no_lost_update(tally: Tally, unit_ids: list[int], initial: dict[int, int]) -> None:
    """Per unit: the versions carried by landed edits are exactly initial..final-1 (each won once), the stored
    note is the one written by the edit that carried final-1, and the audit chain runs unbroken from '' to it."""
    assert tally.errors == [], tally.errors[:3]
    by_unit: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for uid, version, note in tally.landed:
        by_unit[uid].append((version, note))
    chains = _note_chains(unit_ids)
    for uid in unit_ids:
        final = get_row(Unit, uid)
        landed = sorted(by_unit[uid])
        assert final.version - initial[uid] == len(landed), uid
        assert [v for v, _ in landed] == list(range(initial[uid], final.version)), uid
        assert final.note == (landed[-1][1] if landed else ""), uid
        chain = chains[uid]
        assert len(chain) == len(landed), uid
        after_of = dict(chain)
        assert len(after_of) == len(chain), f"unit {uid}: two saves started from the same value"
        note, steps = "", 0
        while note in after_of:
            note, steps = after_of[note], steps + 1
        assert (note, steps) == (final.note, len(chain)), f"unit {uid}: the audit chain breaks"


def _units(n: int) -> tuple[list[int], dict[int, int]]:
    estate_id, [building] = make_estate()
    ids = bulk_units(estate_id, building, n, note="")
    return ids, {uid: get_row(Unit, uid).version for uid in ids}


def test_twenty_writers_on_one_unit_lose_no_update_and_every_loser_gets_stale_edit(db):
    [unit_id], initial = _units(1)

    tally, elapsed = _hammer(lambda _i, _k: [unit_id])

    assert len(tally.landed) + tally.stale == WRITERS * EDITS
    assert tally.landed, "no edit landed at all"
    _assert_no_lost_update(tally, [unit_id], initial)
    print(f"\n{db.split(':')[0]}: one unit, {WRITERS * EDITS} attempts, {len(tally.landed)} landed, "
          f"{tally.stale} StaleEdit, {elapsed:.1f} s")


def test_twenty_writers_on_their_own_units_all_land(db):
    ids, initial = _units(WRITERS)

    tally, elapsed = _hammer(lambda i, _k: [ids[i]])

    assert tally.stale == 0, "a StaleEdit without anybody else editing the unit"
    assert len(tally.landed) == WRITERS * EDITS
    _assert_no_lost_update(tally, ids, initial)
    assert all(get_row(Unit, uid).version == initial[uid] + EDITS for uid in ids)
    print(f"\n{db.split(':')[0]}: own units, {WRITERS * EDITS} edits landed in {elapsed:.1f} s")


def test_batches_over_shared_units_in_opposite_orders_neither_deadlock_nor_lose_an_update(db):
    """Writer i saves units i and i+1 (of a ring of WRITERS units) in one batch; even writers list them
    in one order, odd writers in the other, the classic recipe for a deadlock between row locks."""
    ids, initial = _units(WRITERS)

    def pair(i: int, k: int) -> list[int]:
        a, b = ids[i], ids[(i + 1) % WRITERS]
        return [a, b] if (i + k) % 2 == 0 else [b, a]

    tally, elapsed = _hammer(pair)

    assert len(tally.landed) // 2 + tally.stale == WRITERS * EDITS
    _assert_no_lost_update(tally, ids, initial)
    print(f"\n{db.split(':')[0]}: pairs, {WRITERS * EDITS} batches, {len(tally.landed) // 2} landed, "
          f"{tally.stale} StaleEdit, {elapsed:.1f} s")
