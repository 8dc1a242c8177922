"""Accounts 户: who bills are billed to and payments are taken from.

An account is a unit's ("U<unit id>") or, for a parking lease rented without a unit, the lease's own
("L<lease id>"). The key is parsed once, into an `AccountKey`, where a call enters the fee services; the
string form is what the database stores in `household` columns.

Invariants: a key names exactly one unit or lease with a positive id; anything else is refused naming the
field 户号; a service asked about an account is given a unit or a key, never both.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Building, Estate, ParkingLease, ParkingSpace, Person, Unit
from services.platform.actors import Actor
from services.platform.errors import NotFound, ValidationError
from services.platform.scope import require_estate

UNIT, LEASE = "U", "L"


@dataclass(frozen=True)
class AccountKey:
    """A unit's account (kind "U") or a parking lease's without a unit (kind "L"), with the unit's or lease's id."""

    kind: str
    id: int

    def __str__(self) -> str:
        return f"{self.kind}{self.id}"

    @property
    def is_lease(self) -> bool:
        return self.kind == LEASE

    @classmethod
    def parse(cls, key: object) -> AccountKey:
        """"U12" -> unit 12, "L7" -> lease 7; anything else is refused naming the field."""
        text = str(key or "").strip().upper()
        if len(text) < 2 or text[0] not in (UNIT, LEASE) or not text[1:].isdigit() or int(text[1:]) <= 0:
            raise ValidationError({"户号": f"应为 U<房屋编号> 或 L<车位租约编号>（收到 {key!r}）"})
        return cls(text[0], int(text[1:]))

    @classmethod
    def of(cls, unit_id: int | None, household: str | None) -> AccountKey:
        """The account a call is about: `household` ("U<unit id>" / "L<lease id>"), or the unit's account."""
        if household is not None and unit_id is None:
            return cls.parse(household)
        if unit_id is not None and household is None:
            return cls(UNIT, unit_id)
        raise ValidationError({"户号": "请指定房屋或车位租约（二者选一）"})


def unit_household(unit_id: int) -> str:
    return str(AccountKey(UNIT, unit_id))


def lease_household(lease_id: int) -> str:
    return str(AccountKey(LEASE, lease_id))


def account_key(unit_id: int | None, household: str | None) -> str:
    """The stored form of the account a call is about (see AccountKey.of)."""
    return str(AccountKey.of(unit_id, household))


@dataclass(frozen=True)
class Holder:
    """Who an account belongs to: a unit, or a parking lease without a unit."""

    household: str
    label: str  # "翠湖花园 1-1-101", or "翠湖花园 B1-021（粤B12345）" for a lease
    place: str  # 房屋 / 车位 (how documents name the label)
    unit_id: int | None
    lease_id: int | None
    payer_name: str = ""  # a lease's lessee
    estate_id: int | None = None  # the unit's, or the lease's space's


def account_holder(session: Session, key: AccountKey | str) -> Holder:
    """The unit or lease behind an account (NotFound when it does not exist)."""
    key = key if isinstance(key, AccountKey) else AccountKey.parse(key)
    if key.kind == UNIT:
        label, estate_id = _unit_label(session, key.id)
        return Holder(str(key), label, "房屋", key.id, None, estate_id=estate_id)
    row = session.execute(select(Estate.name, ParkingSpace.number, ParkingLease.plate, Person.name,
                                 ParkingLease.unit_id, ParkingSpace.estate_id)
                          .join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
                          .join(Estate, Estate.id == ParkingSpace.estate_id)
                          .join(Person, Person.id == ParkingLease.person_id)
                          .where(ParkingLease.id == key.id)).first()
    if row is None:
        raise NotFound("没有这份车位租约")
    estate, space, plate, person, unit_id, estate_id = row
    return Holder(str(key), f"{estate} {space}" + (f"（{plate}）" if plate else ""), "车位", unit_id, key.id,
                  person, estate_id)


def scoped_holder(session: Session, actor: Actor, key: AccountKey | str, missing: str | None = None) -> Holder:
    """account_holder, for an account of the actor's estates only: another estate's is NotFound in the words of a
    missing one (no existence leak); `missing`: those words when the call is about a record of the account (a
    receipt, a bill, a request) rather than the account itself."""
    key = key if isinstance(key, AccountKey) else AccountKey.parse(key)
    holder = account_holder(session, key)
    require_estate(actor, holder.estate_id, missing or ("没有这套房屋" if key.kind == UNIT else "没有这份车位租约"))
    return holder


def holder_labels(session: Session, households: set[str]) -> dict[str, str]:
    """The label of each account ("小区 楼栋-单元-房号", or "小区 车位号（车牌）"), in two queries."""
    units = {int(h[1:]) for h in households if h and h[0] == UNIT and h[1:].isdigit()}
    leases = {int(h[1:]) for h in households if h and h[0] == LEASE and h[1:].isdigit()}
    labels = {unit_household(uid): label for uid, label in unit_labels(session, units).items()}
    if leases:
        for lease_id, estate, space, plate in session.execute(
                select(ParkingLease.id, Estate.name, ParkingSpace.number, ParkingLease.plate)
                .join(ParkingSpace, ParkingSpace.id == ParkingLease.space_id)
                .join(Estate, Estate.id == ParkingSpace.estate_id).where(ParkingLease.id.in_(sorted(leases)))):
            labels[lease_household(lease_id)] = f"{estate} {space}" + (f"（{plate}）" if plate else "")
    return labels


def _unit_label(session: Session, unit_id: int) -> tuple[str, int]:
    row = session.execute(select(Estate.name, Building.code, Unit.unit_no, Unit.room_no, Unit.estate_id)
                          .join(Building, Building.id == Unit.building_id).join(Estate, Estate.id == Unit.estate_id)
                          .where(Unit.id == unit_id)).first()
    if row is None:
        raise NotFound("没有这套房屋")
    return f"{row[0]} {row[1]}-{row[2]}-{row[3]}", row[4]


_LABEL_CHUNK = 500  # ids per query: a billing run may list thousands of units


def unit_labels(session: Session, unit_ids: set[int]) -> dict[int, str]:
    """"小区 楼栋-单元-房号" for each unit id, a query per 500 ids."""
    ids = sorted(unit_ids)
    labels: dict[int, str] = {}
    for n in range(0, len(ids), _LABEL_CHUNK):
        rows = session.execute(select(Unit.id, Estate.name, Building.code, Unit.unit_no, Unit.room_no)
                               .join(Building, Building.id == Unit.building_id)
                               .join(Estate, Estate.id == Unit.estate_id)
                               .where(Unit.id.in_(ids[n:n + _LABEL_CHUNK]))).all()
        labels.update((uid, f"{estate} {b}-{u}-{r}") for uid, estate, b, u, r in rows)
    return labels
