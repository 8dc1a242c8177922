"""Estate scope: what a user may see and touch is the estates they work in (Actor.estate_ids; None: all).

Invariants:
- a record of an estate outside the actor's is NotFound to them, with the same words as a record that does not
  exist (no existence leak), never PermissionDenied;
- every read narrows by `estate_clause` / `unit_clause` in SQL (never filtering pages in Python), and every write
  that names a record checks its estate with `require_estate` before changing anything;
- an actor with an empty set sees nothing (a user whose estates were all taken away), not everything.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, SQLColumnExpression, false, or_, select, true
from sqlalchemy.orm import Session

from db.models import ParkingLease, ParkingSpace, Unit, UnitPerson
from services.platform.actors import Actor
from services.platform.errors import NotFound, PermissionDenied


def sees_all(actor: Actor) -> bool:
    return actor.estate_ids is None


def estate_clause(actor: Actor, estate_id: SQLColumnExpression[int] | SQLColumnExpression[int | None]
                  ) -> ColumnElement[bool]:
    """A condition on a row's estate column: true for every row when the actor sees all estates."""
    if actor.estate_ids is None:
        return true()
    if not actor.estate_ids:
        return false()
    return estate_id.in_(sorted(actor.estate_ids))


def shared_clause(actor: Actor, estate_id: SQLColumnExpression[int | None]) -> ColumnElement[bool]:
    """A condition on a nullable estate column whose NULL means "every estate" (a centre-wide activity, duty shift,
    notice): the rows of the actor's estates and the centre-wide ones, which concern everybody."""
    if actor.estate_ids is None:
        return true()
    if not actor.estate_ids:
        return estate_id.is_(None)
    return or_(estate_id.is_(None), estate_id.in_(sorted(actor.estate_ids)))


def require_shared(actor: Actor, estate_id: int | None, message: str) -> None:
    """A change to a record of one estate (another estate's is NotFound(`message`)) or of every estate (estate
    None: visible to all, changed only by a user who works in every estate: PermissionDenied to the others)."""
    if estate_id is None:
        if actor.estate_ids is not None:
            raise PermissionDenied("办理全部小区的登记（只限负责全部小区的用户）")
        return
    require_estate(actor, estate_id, message)


def unit_clause(actor: Actor, unit_id: SQLColumnExpression[int] | SQLColumnExpression[int | None]
                ) -> ColumnElement[bool]:
    """A condition on a row's unit column: the unit is in one of the actor's estates."""
    if actor.estate_ids is None:
        return true()
    if not actor.estate_ids:
        return false()
    return unit_id.in_(select(Unit.id).where(Unit.estate_id.in_(sorted(actor.estate_ids))))


def person_clause(actor: Actor, person_id: SQLColumnExpression[int] | SQLColumnExpression[int | None]
                  ) -> ColumnElement[bool]:
    """A condition on a row's person column: the person lives or lived in a unit of the actor's estates, or rents a
    parking space there (a person belongs to no estate; one who owns units in two estates is seen from both)."""
    if actor.estate_ids is None:
        return true()
    if not actor.estate_ids:
        return false()
    estates = sorted(actor.estate_ids)
    return or_(
        person_id.in_(select(UnitPerson.person_id).join(Unit, Unit.id == UnitPerson.unit_id)
                      .where(Unit.estate_id.in_(estates))),
        person_id.in_(select(ParkingLease.person_id).join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
                      .where(ParkingSpace.estate_id.in_(estates))),
    )


def scoped_unit(session: Session, actor: Actor, unit_id: int, message: str = "房屋不存在") -> Unit:
    """The unit, or NotFound(`message`) when it does not exist or is of an estate outside the actor's."""
    unit = session.get(Unit, unit_id)
    if unit is None or not in_scope(actor, unit.estate_id):
        raise NotFound(message)
    return unit


def in_scope(actor: Actor, estate_id: int | None) -> bool:
    """Whether a record of this estate is visible to the actor (a record of no estate: only to those who see all)."""
    if actor.estate_ids is None:
        return True
    return estate_id is not None and estate_id in actor.estate_ids


def require_estate(actor: Actor, estate_id: int | None, message: str) -> None:
    """Refuse a record of another estate exactly as a missing one is refused (`message`: the NotFound words the
    caller uses for a missing record, e.g. 「没有这套房屋」)."""
    if not in_scope(actor, estate_id):
        raise NotFound(message)


def narrow(actor: Actor, estate_ids: set[int] | frozenset[int] | None) -> frozenset[int] | None:
    """The estates a request asks for, cut to the actor's (None asks for all the actor sees)."""
    if estate_ids is None:
        return actor.estate_ids
    return frozenset(estate_ids) if actor.estate_ids is None else frozenset(estate_ids) & actor.estate_ids
