"""Names the demo's story is written around, shared by the registers' builders.

The small demo's two estates have the codes CH (翠湖花园) and JX (锦绣华庭); the large demo numbers its estates
E01, E02… but gives its first two the same names. A register whose story names an estate (a notice for 锦绣华庭 3栋,
a route through 翠湖花园's pool) finds it here by the small demo's code, at either size; a large demo of one estate
tells both stories there.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Estate

STORY_ESTATES = {"CH": "翠湖花园", "JX": "锦绣华庭"}


def story_estates(session: Session) -> dict[str, tuple[int, str]]:
    """The story's estates: small-demo code -> (estate id, name), by name, else the first estates by code (an empty
    mapping on a database without estates)."""
    rows = list(session.execute(select(Estate.id, Estate.name).order_by(Estate.code)))
    if not rows:
        return {}
    by_name = {name: (i, name) for i, name in rows}
    return {code: by_name.get(name) or tuple(rows[min(n, len(rows) - 1)])  # type: ignore[misc]
            for n, (code, name) in enumerate(STORY_ESTATES.items())}
