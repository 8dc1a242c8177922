"""The figures of the hostile-input corpus for the issue note: values tried, refused and stored per service field.

Run: `.venv/bin/python -m tests.services.platform.hostile_counts` (SQLite in a temporary directory; a few minutes).
Prints a Markdown table and the totals; the tests assert what this only counts.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections import defaultdict
from pathlib import Path


def main() -> None:
    from argon2 import PasswordHasher

    from db import migrate
    from db.engine import dispose_all, unit_of_work
    from services.appraisal.posts import seed_posts
    from services.platform import auth
    from tests.services.platform import hostile_harness as harness
    from tests.services.platform.hostile_corpus import CORPUS
    from tests.services.platform.hostile_targets import GRID_ADAPTER, TARGETS, World, build_world

    folder = Path(tempfile.mkdtemp())
    template = folder / "template.db"
    migrate.upgrade(f"sqlite:///{template}")
    os.environ["DATABASE_URL"] = f"sqlite:///{template}"
    auth._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    with unit_of_work() as uow:
        seed_posts(uow.session)
        uow.commit()
    world = build_world()
    dispose_all()
    rows = []
    for n, target in enumerate([*TARGETS, *GRID_ADAPTER]):
        copy = folder / f"{n}.db"
        shutil.copyfile(template, copy)
        os.environ["DATABASE_URL"] = f"sqlite:///{copy}"
        tally = harness.run(target, World(**{**world.__dict__, "counter": 1000}), CORPUS)
        rows.append((target.service, target.param, tally))
        dispose_all()
        copy.unlink()
    per_service: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    print("| service | field | tried | refused | stored | problems |")
    print("|---|---|---:|---:|---:|---:|")
    for service, param, t in rows:
        print(f"| {service} | {param} | {t.tried} | {t.refused} | {t.stored} | {len(t.problems)} |")
        s = per_service[service]
        s[0] += 1
        s[1] += t.tried
        s[2] += t.refused
        s[3] += t.stored
        s[4] += len(t.problems)
    print()
    print("| service | fields | tried | refused | stored | problems |")
    print("|---|---:|---:|---:|---:|---:|")
    for service, (fields, tried, refused, stored, problems) in per_service.items():
        print(f"| {service} | {fields} | {tried} | {refused} | {stored} | {problems} |")
    total = [sum(s[i] for s in per_service.values()) for i in range(5)]
    print(f"\n{len(per_service)} services, {total[0]} fields, {len(CORPUS)} corpus values: {total[1]} tried, "
          f"{total[2]} refused, {total[3]} stored, {total[4]} problems")
    shutil.rmtree(folder)


if __name__ == "__main__":
    main()
