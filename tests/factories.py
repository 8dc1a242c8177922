"""Small hand-built data sets for tests (through the services, so audit rows exist as in real use)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from db.engine import unit_of_work
from db.models import Building, Estate, Unit
from services.auth import SYSTEM_ACTOR, Actor, Role
from services.users import add_user

PASSWORD = "secret-pass-1"


def make_user(role: Role, username: str | None = None) -> Actor:
    username = username or f"u_{role.value}"
    user_id, _ = add_user(actor=SYSTEM_ACTOR, username=username, display_name=f"测试{role.label}",
                          role=role, password=PASSWORD, must_change_password=False)
    return Actor(user_id=user_id, username=username, display_name=f"测试{role.label}", role=role)


def make_units(n: int = 3) -> list[int]:
    """One estate, one building, `n` units 1-1-101.. with area 89.50 and delivery 2024-01-15."""
    with unit_of_work() as uow:
        s = uow.session
        e = Estate(code="T1", name="测试小区", address="测试路1号")
        s.add(e)
        s.flush()
        b = Building(estate_id=e.id, code="1", name="1栋", floors=18)
        s.add(b)
        s.flush()
        units = [
            Unit(estate_id=e.id, building_id=b.id, unit_no="1", room_no=f"{100 + i + 1}", floor=1, kind="住宅",
                 layout="两室两厅", built_area=Decimal("89.50"), inner_area=Decimal("70.00"), status="已入住",
                 delivered_on=date(2024, 1, 15))
            for i in range(n)
        ]
        s.add_all(units)
        s.flush()
        ids = [u.id for u in units]
        uow.commit()
    return ids


# --- helpers added for the service-level suite (append only) -------------------------------------

import json  # noqa: E402
from collections.abc import Iterable  # noqa: E402

from sqlalchemy import func, insert, select  # noqa: E402

from db.engine import read_session  # noqa: E402
from db.models import AuditEntry, Base, User  # noqa: E402


def actor_for(role: Role, username: str | None = None) -> Actor:
    """An actor with no account behind it (no password hashing): enough for permission checks."""
    return Actor(user_id=None, username=username or f"actor_{role.value}", display_name=f"测试{role.label}",
                 role=role)


def make_estate(code: str = "E1", name: str = "测试小区二", *, buildings: Iterable[str] = ("1",)) -> tuple[int, list[int]]:
    """One estate with buildings named by `buildings` codes; returns (estate id, building ids)."""
    with unit_of_work() as uow:
        s = uow.session
        e = Estate(code=code, name=name, address="")
        s.add(e)
        s.flush()
        bs = [Building(estate_id=e.id, code=c, name=f"{c}栋", floors=30) for c in buildings]
        s.add_all(bs)
        s.flush()
        ids = (e.id, [b.id for b in bs])
        uow.commit()
    return ids


def bulk_units(estate_id: int, building_id: int, n: int, *, start: int = 1, **overrides) -> list[int]:
    """`n` units in one building inserted in one statement (fast); rooms numbered from `start`."""
    rows = [
        {"estate_id": estate_id, "building_id": building_id, "unit_no": "1", "room_no": f"R{start + i:05d}",
         "floor": 1, "kind": "住宅", "layout": "", "built_area": Decimal("89.50"), "inner_area": Decimal("70.00"),
         "status": "已入住", "delivered_on": date(2024, 1, 15), "note": "", **overrides}
        for i in range(n)
    ]
    with unit_of_work() as uow:
        if hasattr(Unit, "compact_code"):  # bulk inserts skip the ORM hook that fills the search key
            from db import search_keys

            code = uow.session.get(Building, building_id).code
            for r in rows:
                r.setdefault("compact_code", search_keys.compact_code(code, r["unit_no"], r["room_no"]))
        uow.session.execute(insert(Unit), rows)
        ids = list(uow.session.scalars(
            select(Unit.id).where(Unit.building_id == building_id).order_by(Unit.id)))
        uow.commit()
    return ids


def get_row(model: type, row_id: int):
    """A detached copy of one row as it is now in the database."""
    with read_session() as s:
        row = s.get(model, row_id)
        s.expunge_all()  # read_session rolls back, which would expire a still-attached row
        return row


def user_row(username: str) -> User:
    with read_session() as s:
        row = s.scalar(select(User).where(User.username == username))
        s.expunge_all()
        return row


def count_rows(model: type) -> int:
    with read_session() as s:
        return s.scalar(select(func.count()).select_from(model))


def audit_rows(**where) -> list[AuditEntry]:
    """Audit rows (oldest first), optionally filtered by column equality, e.g. action='update'."""
    with read_session() as s:
        stmt = select(AuditEntry).order_by(AuditEntry.id)
        for k, v in where.items():
            stmt = stmt.where(getattr(AuditEntry, k) == v)
        rows = list(s.scalars(stmt))
        s.expunge_all()
        return rows


def audit_json(entry: AuditEntry) -> tuple[dict | None, dict | None]:
    return (json.loads(entry.before_json) if entry.before_json else None,
            json.loads(entry.after_json) if entry.after_json else None)


def db_state() -> dict[str, list[tuple]]:
    """Every row of every table, for 'nothing was written' checks."""
    with read_session() as s:
        return {
            t.name: sorted((tuple(r) for r in s.execute(select(t)).all()), key=repr)
            for t in Base.metadata.sorted_tables
        }


from services import auth as _auth  # noqa: E402

_PRODUCTION_HASHER = _auth._hasher  # captured before any test swaps it


def fast_password_hashing(monkeypatch) -> None:
    """Swap the service's argon2 hasher for one with minimal cost (tests only)."""
    from argon2 import PasswordHasher

    from services import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def production_password_hashing(monkeypatch) -> None:
    """Put the production hasher back (for tests about its parameters)."""
    from services import auth

    monkeypatch.setattr(auth, "_hasher", _PRODUCTION_HASHER)
