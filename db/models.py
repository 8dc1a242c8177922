"""Typed models of PropDesk.

Invariants:
- every table a user edits has a `version` column; SQLAlchemy checks it on every
  UPDATE (version_id_col), and services compare it with the version the user saw;
- names follow one naming convention, so migrations are the same on every backend;
- history is kept: links between units and people end (end_on), they are not deleted;
- audit rows are append-only.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    Connection,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    event,
    select,
    true,
)
from sqlalchemy.dialects import mysql
from sqlalchemy.orm import DeclarativeBase, Mapped, Mapper, declared_attr, mapped_column

from db import search_keys
from db.types import Hundredths, Money, Rate, UTCDateTime, utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Versioned:
    """Optimistic locking: an UPDATE only succeeds on the version it read."""

    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class Estate(Versioned, Base):
    __tablename__ = "estates"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    address: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Building(Versioned, Base):
    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("estate_id", "code"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(64))
    floors: Mapped[int | None] = mapped_column(Integer)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Department(Versioned, Base):
    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Post(Versioned, Base):
    """岗位: a reference row the admin keeps; staff, KPI sets and rules point at its id, so renaming a post keeps
    its KPI set."""

    __tablename__ = "posts"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Staff(Versioned, Base):
    """员工. `active` is 在职 / 离职 (left_on says since when); `appraised` says whether the monthly appraisal
    includes them (the system administrator of a small company usually is not)."""

    __tablename__ = "staff"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_no: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32))
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), index=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    hired_on: Mapped[date | None]
    left_on: Mapped[date | None]
    base_salary: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    appraised: Mapped[bool] = mapped_column(Boolean, default=True)


class User(Versioned, Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    # Binary collation on MariaDB: 'Admin' and 'admin' are different users there too, as elsewhere.
    username: Mapped[str] = mapped_column(
        String(32).with_variant(mysql.VARCHAR(32, collation="utf8mb4_bin"), "mysql", "mariadb"), unique=True
    )
    display_name: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(16))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # False: the user works in the estates listed in user_estates only (an administrator always sees all).
    all_estates: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class UserEstate(Base):
    """An estate a user works in (read when `users.all_estates` is false)."""

    __tablename__ = "user_estates"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), primary_key=True, index=True)


class Unit(Versioned, Base):
    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("building_id", "unit_no", "room_no"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit_no: Mapped[str] = mapped_column(String(8))
    room_no: Mapped[str] = mapped_column(String(16), index=True)
    floor: Mapped[int | None] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(8))
    layout: Mapped[str] = mapped_column(String(32), default="")
    built_area: Mapped[Decimal | None] = mapped_column(Hundredths)
    inner_area: Mapped[Decimal | None] = mapped_column(Hundredths)
    status: Mapped[str] = mapped_column(String(8), index=True)
    delivered_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(500), default="")
    # 空置房台账: since when the unit stands empty, and when staff last looked inside
    vacant_since: Mapped[date | None]
    last_inspected_on: Mapped[date | None]
    # 楼栋+单元+房号 without separators ("11101"), so "1101" and "1-1-101" both find a unit
    compact_code: Mapped[str] = mapped_column(String(40), default="", index=True)
    # 收费员 responsible for this unit's fees (per-collector figures); one at a time
    collector_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class Person(Versioned, Base):
    __tablename__ = "people"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    gender: Mapped[str] = mapped_column(String(4), default="")
    mobile: Mapped[str] = mapped_column(String(20), default="", index=True)
    mobile_last4: Mapped[str] = mapped_column(String(4), default="", index=True)
    phone: Mapped[str] = mapped_column(String(20), default="")  # landline with area code
    id_number: Mapped[str] = mapped_column(String(32), default="", index=True)
    is_company: Mapped[bool] = mapped_column(Boolean, default=False)
    pinyin_initials: Mapped[str] = mapped_column(String(64), default="", index=True)
    note: Mapped[str] = mapped_column(String(500), default="")


class UnitPerson(Versioned, Base):
    __tablename__ = "unit_people"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    role: Mapped[str] = mapped_column(String(8))
    start_on: Mapped[date | None]
    end_on: Mapped[date | None]


class Vehicle(Versioned, Base):
    __tablename__ = "vehicles"
    id: Mapped[int] = mapped_column(primary_key=True)
    plate: Mapped[str] = mapped_column(String(16), unique=True)
    person_id: Mapped[int | None] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class ParkingSpace(Versioned, Base):
    __tablename__ = "parking_spaces"
    __table_args__ = (UniqueConstraint("estate_id", "number"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    number: Mapped[str] = mapped_column(String(16))
    kind: Mapped[str] = mapped_column(String(8))  # 产权 / 租赁
    status: Mapped[str] = mapped_column(String(8))  # 空闲 / 已租 / 已售 / 自用
    owner_unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class ParkingLease(Versioned, Base):
    __tablename__ = "parking_leases"
    id: Mapped[int] = mapped_column(primary_key=True)
    space_id: Mapped[int] = mapped_column(ForeignKey("parking_spaces.id"), index=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("people.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    plate: Mapped[str] = mapped_column(String(16), default="")
    start_on: Mapped[date]
    end_on: Mapped[date] = mapped_column(index=True)
    monthly_fee: Mapped[Decimal] = mapped_column(Hundredths)
    status: Mapped[str] = mapped_column(String(8), default="有效")  # 有效 / 已续租 / 已终止
    renewed_from_id: Mapped[int | None] = mapped_column(ForeignKey("parking_leases.id"))


class Key(Versioned, Base):
    __tablename__ = "keys"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    label: Mapped[str] = mapped_column(String(32))
    location: Mapped[str] = mapped_column(String(32), default="")
    status: Mapped[str] = mapped_column(String(8), default="在库")  # 在库 / 借出 / 遗失 / 已交付


class KeyLoan(Base):
    __tablename__ = "key_loans"
    id: Mapped[int] = mapped_column(primary_key=True)
    key_id: Mapped[int] = mapped_column(ForeignKey("keys.id"), index=True)
    borrower: Mapped[str] = mapped_column(String(64))
    borrower_phone: Mapped[str] = mapped_column(String(20), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    out_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    returned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lent_by: Mapped[str] = mapped_column(String(32))
    received_by: Mapped[str] = mapped_column(String(32), default="")


class Renovation(Versioned, Base):
    __tablename__ = "renovations"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), index=True)  # 申请中 已批准 已拒绝 施工中 已验收 已关闭
    applicant: Mapped[str] = mapped_column(String(64))
    contractor: Mapped[str] = mapped_column(String(100), default="")
    contractor_phone: Mapped[str] = mapped_column(String(20), default="")
    scope: Mapped[str] = mapped_column(String(500), default="")
    planned_start_on: Mapped[date | None]
    planned_end_on: Mapped[date | None]
    applied_on: Mapped[date]
    decided_by: Mapped[str] = mapped_column(String(32), default="")
    refused_reason: Mapped[str] = mapped_column(String(200), default="")
    started_on: Mapped[date | None]
    inspected_on: Mapped[date | None]
    violations: Mapped[str] = mapped_column(String(500), default="")
    deposit: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal("0.00"))
    deposit_received_on: Mapped[date | None]
    deposit_refunded: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal("0.00"))
    deposit_refunded_on: Mapped[date | None]
    closed_on: Mapped[date | None]
    unit_status_before: Mapped[str] = mapped_column(String(8), default="")  # restored when closed


class VipHousehold(Versioned, Base):
    __tablename__ = "vip_households"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    category: Mapped[str] = mapped_column(String(16))  # 独居老人 / 残障 / 频繁投诉 / 欠费历史 / 其他
    reason: Mapped[str] = mapped_column(String(200))
    care_notes: Mapped[str] = mapped_column(String(500), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class UnitNote(Base):
    __tablename__ = "unit_notes"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    author: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(16), default="备注")  # 备注 / 入伙 / 迁出 / 装修 / 钥匙 / 车位
    text: Mapped[str] = mapped_column(String(1000))


class Counter(Base):
    """Numbers people cite (工单号, 收据号): locked and advanced in the transaction that uses them."""

    __tablename__ = "counters"
    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class Holiday(Versioned, Base):
    """One calendar day that is not an ordinary weekday/weekend (statutory holiday, or 调休 working day)."""

    __tablename__ = "holidays"
    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(unique=True)
    is_workday: Mapped[bool] = mapped_column(Boolean)
    name: Mapped[str] = mapped_column(String(32), default="")
    source: Mapped[str] = mapped_column(String(16), default="chinese-calendar")  # or 手工


class TicketCategory(Versioned, Base):
    """The two-level classifier of tickets: place 部位 x problem 问题."""

    __tablename__ = "ticket_categories"
    __table_args__ = (UniqueConstraint("place", "problem"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    place: Mapped[str] = mapped_column(String(32))
    problem: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SlaPolicy(Versioned, Base):
    """How long a ticket of a type (and optionally a category) may take: hours or working days."""

    __tablename__ = "sla_policies"
    __table_args__ = (UniqueConstraint("ticket_type", "category_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_type: Mapped[str] = mapped_column(String(8))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"))
    unit: Mapped[str] = mapped_column(String(12))  # hours / working_days
    amount: Mapped[int] = mapped_column(Integer)
    needs_revisit: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Ticket(Versioned, Base):
    __tablename__ = "tickets"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    ticket_type: Mapped[str] = mapped_column(String(8), index=True)
    channel: Mapped[str] = mapped_column(String(8))
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    caller_name: Mapped[str] = mapped_column(String(64), default="")
    caller_phone: Mapped[str] = mapped_column(String(20), default="")
    content: Mapped[str] = mapped_column(String(1000))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("ticket_categories.id"))
    urgency: Mapped[str] = mapped_column(String(4), default="普通")
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    entered_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_responder_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    department: Mapped[str] = mapped_column(String(8), default="客服")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(8), index=True)
    deadline_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    handled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # complaints: first documented reply
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)
    needs_revisit: Mapped[bool] = mapped_column(Boolean, default=True)
    paid: Mapped[bool] = mapped_column(Boolean, default=False)
    cost: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal("0.00"))
    ruling: Mapped[str] = mapped_column(String(4), default="")  # 有效 / 无效 (complaints)
    ruling_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    ruled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class TicketEvent(Base):
    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor_name: Mapped[str] = mapped_column(String(32))
    kind: Mapped[str] = mapped_column(String(12))
    status_from: Mapped[str] = mapped_column(String(8), default="")
    status_to: Mapped[str] = mapped_column(String(8), default="")
    note: Mapped[str] = mapped_column(String(1000), default="")


class Revisit(Versioned, Base):
    __tablename__ = "revisits"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    method: Mapped[str] = mapped_column(String(4), default="")  # 电话 / 上门
    result: Mapped[str] = mapped_column(String(4), default="")  # 满意 / 基本满意 / 不满意
    comment: Mapped[str] = mapped_column(String(500), default="")
    done_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class TicketPhoto(Base):
    """A photo of the problem or of the finished work, kept in the database (backups and several
    processes see the same files; no shared disk needed). Never edited; size-capped by the service."""

    __tablename__ = "ticket_photos"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column(Integer)
    # MariaDB's plain BLOB stops at 64 KiB
    data: Mapped[bytes] = mapped_column(LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploader_name: Mapped[str] = mapped_column(String(32), default="")


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity_entity_id", "entity", "entity_id"),
        Index("ix_audit_log_actor_username_at", "actor_username", "at"),  # /audit filtered by person, newest first
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    actor_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor_username: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(32))
    before_json: Mapped[str | None] = mapped_column(Text)
    after_json: Mapped[str | None] = mapped_column(Text)


@event.listens_for(Person, "before_insert")
@event.listens_for(Person, "before_update")
def _person_search_keys(_mapper: Mapper[Person], _connection: Connection, person: Person) -> None:
    person.mobile_last4 = search_keys.mobile_last4(person.mobile)
    person.pinyin_initials = search_keys.pinyin_initials(person.name)


@event.listens_for(Unit, "before_insert")
@event.listens_for(Unit, "before_update")
def _unit_search_keys(_mapper: Mapper[Unit], connection: Connection, unit: Unit) -> None:
    code = connection.scalar(select(Building.code).where(Building.id == unit.building_id))
    unit.compact_code = search_keys.compact_code(code or "", unit.unit_no, unit.room_no)


# --- fees 收费 ---------------------------------------------------------------------------------------


class Setting(Versioned, Base):
    """Company-wide texts the admin edits (company name on receipts, contact on notices)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(40), primary_key=True)
    value: Mapped[str] = mapped_column(String(500), default="")


class FeeItem(Versioned, Base):
    """收费项目. `basis` says how a month's amount is computed; `default_unit_kind` makes every
    delivered unit of that kind pay it without an exception row (the property fee of its type)."""

    __tablename__ = "fee_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(16))  # 物业服务费 / 停车费 / 水费 / 电费 / 垃圾清运费 / 其他
    basis: Mapped[str] = mapped_column(String(8))  # 面积 / 固定 / 抄表 / 车位 / 一次性
    rate: Mapped[Decimal] = mapped_column(Rate)
    unit_label: Mapped[str] = mapped_column(String(16), default="")
    default_unit_kind: Mapped[str] = mapped_column(String(8), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class UnitFee(Versioned, Base):
    """An exception for one unit: it also pays an item (收取) or is exempt from a default one (免收)."""

    __tablename__ = "unit_fees"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"), index=True)
    action: Mapped[str] = mapped_column(String(4))  # 收取 / 免收
    start_on: Mapped[date]
    end_on: Mapped[date | None]
    note: Mapped[str] = mapped_column(String(200), default="")


class MeterReading(Versioned, Base):
    """抄表: usage = current - previous; a replaced meter starts again from its new reading."""

    __tablename__ = "meter_readings"
    __table_args__ = (UniqueConstraint("unit_id", "fee_item_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    previous: Mapped[Decimal] = mapped_column(Hundredths)
    current: Mapped[Decimal] = mapped_column(Hundredths)
    usage: Mapped[Decimal] = mapped_column(Hundredths)
    replaced: Mapped[bool] = mapped_column(Boolean, default=False)
    read_on: Mapped[date]
    read_by: Mapped[str] = mapped_column(String(32), default="")


class BillingRun(Base):
    __tablename__ = "billing_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    by_name: Mapped[str] = mapped_column(String(32))
    bills_created: Mapped[int] = mapped_column(Integer)
    total: Mapped[Decimal] = mapped_column(Money)


class Bill(Versioned, Base):
    """应收. `paid` and `waived` are kept equal to the sums of live allocations and approved
    waivers in the same transaction that changes them (fast arrears lists); KPIs as of a moment
    read the allocations themselves."""

    __tablename__ = "bills"
    __table_args__ = (
        UniqueConstraint("fee_item_id", "payer_key", "period"),
        # the open bills (a few percent of years of them) with all that the arrears lists and summaries sum and
        # group, read from the index alone (20,000 units: owing units 278 -> 144 ms, the four summaries
        # 476 -> 241 ms); status first, so it also serves every lookup by status
        Index("ix_bills_open", "status", "unit_id", "parking_lease_id", "household", "period", "due_on", "amount",
              "waived", "paid"),
        Index("ix_bills_source", "source", "status"),  # the imported bills (go-live check): few among millions
        # a month's bills with what the fee figures sum and count by household, read from the index alone (a
        # 12-month trend reads 240,000 bills at 20,000 units)
        Index("ix_bills_period", "period", "household", "status", "amount", "waived", "paid"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    fee_item_id: Mapped[int] = mapped_column(ForeignKey("fee_items.id"), index=True)
    # "U<unit id>" or "L<parking lease id>": what the bill is for (unique with item and period)
    payer_key: Mapped[str] = mapped_column(String(16))
    # whose account pays it: "U<unit id>", or "L<lease id>" for a lease without a unit
    household: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    parking_lease_id: Mapped[int | None] = mapped_column(ForeignKey("parking_leases.id"), index=True)
    payer_name: Mapped[str] = mapped_column(String(64), default="")
    period: Mapped[str] = mapped_column(String(7))  # ix_bills_period
    start_on: Mapped[date]
    end_on: Mapped[date]
    quantity: Mapped[Decimal | None] = mapped_column(Hundredths)
    rate: Mapped[Decimal | None] = mapped_column(Rate)
    amount: Mapped[Decimal] = mapped_column(Money)
    paid: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    waived: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    due_on: Mapped[date] = mapped_column(index=True)
    status: Mapped[str] = mapped_column(String(8))  # 未缴 / 部分缴 / 已缴 / 已减免 / 已取消 (ix_bills_open)
    source: Mapped[str] = mapped_column(String(8), default="计费")  # 计费 / 导入 / 手工
    run_id: Mapped[int | None] = mapped_column(ForeignKey("billing_runs.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    note: Mapped[str] = mapped_column(String(200), default="")


class Payment(Versioned, Base):
    """收款 with its receipt 收据. Posted once, never edited: only the void fields change, once."""

    __tablename__ = "payments"
    # a cashier's day (日结, the cashier's home): one cashier took half of a large company's million payments
    __table_args__ = (Index("ix_payments_cashier_user_id_received_at", "cashier_user_id", "received_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    receipt_no: Mapped[str] = mapped_column(String(20), unique=True)
    household: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    payer_name: Mapped[str] = mapped_column(String(64), default="")
    method: Mapped[str] = mapped_column(String(8))
    amount: Mapped[Decimal] = mapped_column(Money)
    credit_added: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    cashier_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    cashier_name: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(String(200), default="")
    status: Mapped[str] = mapped_column(String(8), default="有效", index=True)  # 有效 / 已作废
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    void_reason: Mapped[str] = mapped_column(String(200), default="")
    void_approved_by: Mapped[str] = mapped_column(String(32), default="")


class Allocation(Base):
    """Money meeting a bill: straight from a payment (收款) or from the payer's prepaid credit (预存).
    `at` is when it met the bill. A void marks it voided; rows are never deleted."""

    __tablename__ = "allocations"
    __table_args__ = (
        # The fee figures of a month or a 12-month trend sum live allocations by the bill's month and their own
        # month; with both kept on the row these read one index range and no bill or payment (a 12-month trend at
        # 20,000 units: 250,000 allocations joined to bills and payments, 4.1 s; from these, tens of ms).
        # `voided` leads: a void flags the allocations of its payment, and only live ones count.
        Index("ix_allocations_paid_period", "paid_period", "bill_period", "voided", "amount", "at"),
        Index("ix_allocations_bill_period", "bill_period", "paid_period", "voided", "amount", "at", "bill_id"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    bill_id: Mapped[int] = mapped_column(ForeignKey("bills.id"), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    amount: Mapped[Decimal] = mapped_column(Money)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    via: Mapped[str] = mapped_column(String(4), default="收款")  # 收款 / 预存
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    bill_period: Mapped[str] = mapped_column(String(7))  # the bill's period (never changes)
    paid_period: Mapped[str] = mapped_column(String(7))  # the month (Asia/Shanghai) of `at`


class CreditEntry(Base):
    """预存 ledger of a household: + money paid beyond what was owed, - credit used by a bill or
    refunded. The balance is the sum of live entries; each entry names the payment it came from."""

    __tablename__ = "credit_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    household: Mapped[str] = mapped_column(String(16), index=True)
    payment_id: Mapped[int] = mapped_column(ForeignKey("payments.id"), index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"))
    amount: Mapped[Decimal] = mapped_column(Money)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(4))  # 存入 / 抵扣 / 退款
    voided: Mapped[bool] = mapped_column(Boolean, default=False)
    # 退款: the refund document that paid this part of the payment's credit back (never voided)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id"), index=True)


class Approval(Versioned, Base):
    """A request only a manager may grant: 作废收据 (void a payment), 减免 (waive part of a bill),
    取消账单 (cancel a bill raised in error), 退款 (pay prepaid credit back). The requester can never approve
    their own request."""

    __tablename__ = "approvals"
    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), index=True)
    payment_id: Mapped[int | None] = mapped_column(ForeignKey("payments.id"), index=True)
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), index=True)
    amount: Mapped[Decimal | None] = mapped_column(Money)
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requester_name: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), default="待审批", index=True)  # 待审批 / 已批准 / 已驳回
    decided_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decider_name: Mapped[str] = mapped_column(String(32), default="")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decision_note: Mapped[str] = mapped_column(String(200), default="")
    # 退款 only: the account whose credit is paid back, how, and to whom
    household: Mapped[str | None] = mapped_column(String(16), index=True)
    method: Mapped[str | None] = mapped_column(String(8))
    payee_name: Mapped[str | None] = mapped_column(String(64))


class Refund(Versioned, Base):
    """退款单: prepaid credit 预存 paid back, posted when a manager grants the request (number, amount and the credit
    it takes are fixed then), and paid out 付款 by a cashier, whose 日结 of that day counts it. Never edited or
    deleted; only the payout fields are filled, once."""

    __tablename__ = "refunds"
    id: Mapped[int] = mapped_column(primary_key=True)
    refund_no: Mapped[str] = mapped_column(String(20), unique=True)  # TK2026-000001, one series per year
    approval_id: Mapped[int] = mapped_column(ForeignKey("approvals.id"), unique=True)
    household: Mapped[str] = mapped_column(String(16), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)
    payee_name: Mapped[str] = mapped_column(String(64))
    amount: Mapped[Decimal] = mapped_column(Money)
    method: Mapped[str] = mapped_column(String(8))
    reason: Mapped[str] = mapped_column(String(200))
    requested_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    requester_name: Mapped[str] = mapped_column(String(32))
    approved_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    approver_name: Mapped[str] = mapped_column(String(32))
    approved_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(8), default="待付款", index=True)  # 待付款 / 已付款
    paid_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    paid_by_name: Mapped[str] = mapped_column(String(32), default="")
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)


class DunningAction(Base):
    """催缴: one contact with the payer, with the amount owed at that moment."""

    __tablename__ = "dunning_actions"
    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    method: Mapped[str] = mapped_column(String(8))  # 电话 / 上门 / 张贴通知 / 短信 / 微信
    outcome: Mapped[str] = mapped_column(String(8))  # 承诺缴费 / 拒缴 / 无人接听 / 已缴
    promised_on: Mapped[date | None]
    next_on: Mapped[date | None] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    owed: Mapped[Decimal] = mapped_column(Money)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(32))


class Settlement(Base):
    """日结 of one cashier's day, written once when confirmed; the day is then locked."""

    __tablename__ = "settlements"
    __table_args__ = (UniqueConstraint("cashier_user_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    cashier_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    cashier_name: Mapped[str] = mapped_column(String(32))
    day: Mapped[date]
    totals_json: Mapped[str] = mapped_column(Text)  # method -> amount, as strings
    total: Mapped[Decimal] = mapped_column(Money)
    receipt_count: Mapped[int] = mapped_column(Integer)
    receipts: Mapped[str] = mapped_column(Text, default="")  # numbers used, in order
    voided_receipts: Mapped[str] = mapped_column(Text, default="")
    cash_expected: Mapped[Decimal] = mapped_column(Money)
    cash_handed: Mapped[Decimal] = mapped_column(Money)
    discrepancy: Mapped[Decimal] = mapped_column(Money)
    note: Mapped[str] = mapped_column(String(500), default="")
    received_by: Mapped[str] = mapped_column(String(32), default="")
    confirmed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # refunds paid out that day: {"numbers": [...], "totals": {method: amount}, "total": amount} as strings;
    # NULL for days settled before refunds existed. cash_expected is net of the cash refunds.
    refunds_json: Mapped[str | None] = mapped_column(Text)


# --- staff and appraisal 员工考核 ------------------------------------------------------------------------


class Attendance(Versioned, Base):
    """考勤: one working day of one staff member. `absent` without a leave type is 旷工 (unexcused);
    with one (事假, 病假...) it is a day of leave."""

    __tablename__ = "attendance"
    __table_args__ = (UniqueConstraint("staff_id", "day"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    late_minutes: Mapped[int] = mapped_column(Integer, default=0)
    early_minutes: Mapped[int] = mapped_column(Integer, default=0)
    absent: Mapped[bool] = mapped_column(Boolean, default=False)
    leave_type: Mapped[str] = mapped_column(String(8), default="")
    note: Mapped[str] = mapped_column(String(200), default="")


class IncidentType(Versioned, Base):
    """奖惩项目 the manager edits: what can be recorded against (惩罚) or for (奖励) a staff member."""

    __tablename__ = "incident_types"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(4))  # 惩罚 / 奖励
    description: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Incident(Versioned, Base):
    """奖惩记录: one occurrence, on a day, with who recorded it. Withdrawn (撤销) with a reason, never deleted."""

    __tablename__ = "incidents"
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    incident_type_id: Mapped[int] = mapped_column(ForeignKey("incident_types.id"), index=True)
    day: Mapped[date] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    recorded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorder_name: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")


class PostKpi(Versioned, Base):
    """One KPI of a post's appraisal: which figure (services.appraisal.rules.KPI_CATALOG), whose (本人 or 全中心),
    its target, weight (whole percent; a post's active weights total 100) and direction."""

    __tablename__ = "post_kpis"
    __table_args__ = (UniqueConstraint("post_id", "kpi"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("posts.id"), index=True)
    kpi: Mapped[str] = mapped_column(String(32))
    scope: Mapped[str] = mapped_column(String(8), default="本人")  # 本人 / 全中心
    target: Mapped[Decimal] = mapped_column(Rate)
    weight: Mapped[int] = mapped_column(Integer)
    direction: Mapped[str] = mapped_column(String(4))  # 越高越好 / 越低越好
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class AppraisalRule(Versioned, Base):
    """A reward or penalty rule the manager writes without code: when `metric` `op` `threshold` (and, if
    given, `op2` `threshold2`) holds in the month, the effect applies: money (元 or % of base salary) or
    points, once or per occurrence (times the metric's count)."""

    __tablename__ = "appraisal_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(64), unique=True)
    post_id: Mapped[int | None] = mapped_column(ForeignKey("posts.id"), index=True)  # None = every post
    metric: Mapped[str] = mapped_column(String(40))  # kpi:<key> / att:<key> / inc:<incident type id>
    op: Mapped[str] = mapped_column(String(2))
    threshold: Mapped[Decimal | None] = mapped_column(Rate)
    use_target: Mapped[bool] = mapped_column(Boolean, default=False)  # compare with the post's KPI target
    op2: Mapped[str] = mapped_column(String(2), default="")
    threshold2: Mapped[Decimal | None] = mapped_column(Rate)
    effect: Mapped[str] = mapped_column(String(4))  # 扣款 / 奖励 / 扣分 / 加分
    basis: Mapped[str] = mapped_column(String(8), default="元")  # 元 / 基本工资% / 分
    amount: Mapped[Decimal] = mapped_column(Rate)
    per_occurrence: Mapped[bool] = mapped_column(Boolean, default=False)
    note: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Scorecard(Versioned, Base):
    """月度考核表 of one staff member: a snapshot (JSON) of every KPI value, incident, attendance figure and
    rule result used, and the totals. 草稿 -> 已提交 -> 已审批; an approved card is never recomputed."""

    __tablename__ = "scorecards"
    __table_args__ = (UniqueConstraint("staff_id", "period"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id"), index=True)
    period: Mapped[str] = mapped_column(String(7), index=True)
    status: Mapped[str] = mapped_column(String(4), default="草稿", index=True)  # 草稿 / 已提交 / 已审批
    department: Mapped[str] = mapped_column(String(64), default="")
    post: Mapped[str] = mapped_column(String(32), default="")
    base_salary: Mapped[Decimal] = mapped_column(Money)
    as_of: Mapped[datetime] = mapped_column(UTCDateTime)
    kpis_json: Mapped[str] = mapped_column(Text)
    attendance_json: Mapped[str] = mapped_column(Text)
    incidents_json: Mapped[str] = mapped_column(Text)
    rules_json: Mapped[str] = mapped_column(Text)
    weighted_score: Mapped[Decimal | None] = mapped_column(Hundredths)
    points: Mapped[Decimal] = mapped_column(Hundredths, default=Decimal("0.00"))
    score: Mapped[Decimal | None] = mapped_column(Hundredths)
    late_count: Mapped[int] = mapped_column(Integer, default=0)
    lateness_deduction: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    attendance_deduction: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    incident_deduction: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    kpi_deduction: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    reward: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    comments: Mapped[str] = mapped_column(String(1000), default="")
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
    built_by: Mapped[str] = mapped_column(String(32))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    submitted_by: Mapped[str] = mapped_column(String(32), default="")
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    approved_by: Mapped[str] = mapped_column(String(32), default="")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)


# ---- customer relations 客户关系 (services/relations); one section per register, in migration order ----

# -- relations: surveys 满意度调查 (migration 0012) --


class SurveyQuestion(Versioned, Base):
    """满意度问卷的一道题: its text and its scale (options best first, "/"-separated), one active question marked as
    the overall one (总体评价). Retired, never deleted: a round keeps its own copy (survey_round_questions)."""

    __tablename__ = "survey_questions"
    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(60))
    scale: Mapped[str] = mapped_column(String(80))
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class SurveyRound(Versioned, Base):
    """调查轮次: one estate, one period; 进行中 takes responses, 已结束 is final."""

    __tablename__ = "survey_rounds"
    __table_args__ = (UniqueConstraint("estate_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    start_on: Mapped[date]
    end_on: Mapped[date]
    status: Mapped[str] = mapped_column(String(8), index=True)
    note: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by: Mapped[str] = mapped_column(String(32), default="")
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class SurveyRoundQuestion(Base):
    """A question as a round asked it (copied from the questionnaire when the round was opened)."""

    __tablename__ = "survey_round_questions"
    __table_args__ = (UniqueConstraint("round_id", "position"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"))
    question_id: Mapped[int] = mapped_column(ForeignKey("survey_questions.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(60))
    scale: Mapped[str] = mapped_column(String(80))
    is_overall: Mapped[bool] = mapped_column(Boolean, default=False)


class SurveyRoundUnit(Base):
    """调查范围: a household (unit) occupied when the round was opened — the denominator of 调查覆盖率."""

    __tablename__ = "survey_round_units"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)


class SurveyResponse(Versioned, Base):
    """答卷: one household's answers in one round, entered by staff from paper or phone."""

    __tablename__ = "survey_responses"
    __table_args__ = (UniqueConstraint("round_id", "unit_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("survey_rounds.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    respondent: Mapped[str] = mapped_column(String(32))
    way: Mapped[str] = mapped_column(String(8))
    answered_on: Mapped[date]
    comment: Mapped[str] = mapped_column(String(500), default="")
    entered_by: Mapped[str] = mapped_column(String(32))
    entered_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SurveyAnswer(Base):
    """One answer: the scale point ticked (point_no 1 = the best point) and its words as the round's scale says."""

    __tablename__ = "survey_answers"
    __table_args__ = (UniqueConstraint("response_id", "round_question_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    response_id: Mapped[int] = mapped_column(ForeignKey("survey_responses.id"))
    round_question_id: Mapped[int] = mapped_column(ForeignKey("survey_round_questions.id"), index=True)
    point_no: Mapped[int] = mapped_column(Integer)
    choice: Mapped[str] = mapped_column(String(16))

# -- relations: owner visits 业主访谈, activities 社区活动, bulletins 宣传栏 (migration 0013) --


class OwnerVisit(Versioned, Base):
    """业主访谈: one visit or call to a household, as it happened (way, who was met, what was said), with the
    follow-up ticket it opened. Withdrawn (撤销) with a reason when recorded in error, never deleted."""

    __tablename__ = "owner_visits"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    visited_on: Mapped[date] = mapped_column(index=True)
    # YYYY-MM of visited_on: the figures group by month in SQL the same way on every backend
    month: Mapped[str] = mapped_column(String(7), index=True)
    way: Mapped[str] = mapped_column(String(4))  # 上门 / 来访 / 电话 / 微信
    face_to_face: Mapped[bool] = mapped_column(Boolean)  # 上门 or 来访
    person_met: Mapped[str] = mapped_column(String(32), default="")
    content: Mapped[str] = mapped_column(String(1000))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    visitor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    visitor_name: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False)
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")


class VisitPlan(Versioned, Base):
    """访谈计划: one planned visit of one household in a year (sequence 1, and 2 for a household visited twice), its
    month and the 物业管理员 it is assigned to; `basis` keeps the unit status the count was made from. Done once a
    visit is linked (visit_id)."""

    __tablename__ = "visit_plans"
    __table_args__ = (UniqueConstraint("year", "unit_id", "sequence"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(Integer, index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    sequence: Mapped[int] = mapped_column(Integer)
    planned_month: Mapped[str] = mapped_column(String(7), index=True)
    basis: Mapped[str] = mapped_column(String(8))
    assignee_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    visit_id: Mapped[int | None] = mapped_column(ForeignKey("owner_visits.id"), unique=True)
    planned_at: Mapped[datetime] = mapped_column(UTCDateTime)
    planned_by: Mapped[str] = mapped_column(String(32))


class CommunityActivity(Versioned, Base):
    """社区文化活动: 计划 (announced, held_on today or later), 已举办 (held_on not in the future, with participants
    and cost) or 已取消 (with a reason). No estate: held for every estate of the centre."""

    __tablename__ = "community_activities"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)
    title: Mapped[str] = mapped_column(String(64))
    held_on: Mapped[date] = mapped_column(index=True)
    place: Mapped[str] = mapped_column(String(64))
    organiser: Mapped[str] = mapped_column(String(32))
    participants: Mapped[int | None] = mapped_column(Integer)
    cost: Mapped[Decimal] = mapped_column(Money, default=Decimal("0.00"))
    status: Mapped[str] = mapped_column(String(4), index=True)  # 计划 / 已举办 / 已取消
    note: Mapped[str] = mapped_column(String(500), default="")
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Bulletin(Versioned, Base):
    """宣传栏: one month's board of one estate (one issue a month), on time when posted by the 28th of its month."""

    __tablename__ = "bulletins"
    __table_args__ = (UniqueConstraint("estate_id", "month"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    month: Mapped[str] = mapped_column(String(7), index=True)
    title: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(String(500), default="")
    due_on: Mapped[date]  # the 28th of its month (seed: 每月28日前)
    posted_on: Mapped[date] = mapped_column(index=True)
    posted_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)

# -- relations: notices 公告, lost and found 失物招领 (migration 0014) --


class Notice(Versioned, Base):
    """公告: a notice the service centre posts on its estates' boards; its targets are notice_targets (none: every
    estate). Only a draft is edited; the number is given when it is published."""

    __tablename__ = "notices"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str | None] = mapped_column(String(24), unique=True)  # GG2026-012, from a counter at publishing
    title: Mapped[str] = mapped_column(String(100))
    body: Mapped[str] = mapped_column(Text)
    kind: Mapped[str] = mapped_column(String(8))  # 停水停电 / 维修施工 / 收费 / 安全提示 / 活动 / 温馨提示 / 其他
    publish_on: Mapped[date] = mapped_column(index=True)
    until_on: Mapped[date | None]
    status: Mapped[str] = mapped_column(String(8), index=True)  # 草稿 / 已发布 / 已撤回 / 已归档
    written_by: Mapped[str] = mapped_column(String(32))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)
    published_by: Mapped[str] = mapped_column(String(32), default="")
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_reason: Mapped[str] = mapped_column(String(200), default="")
    closed_by: Mapped[str] = mapped_column(String(32), default="")  # who withdrew or archived it
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class NoticeTarget(Base):
    """One estate a notice is for: the whole estate (building_id NULL) or one of its buildings."""

    __tablename__ = "notice_targets"
    id: Mapped[int] = mapped_column(primary_key=True)
    notice_id: Mapped[int] = mapped_column(ForeignKey("notices.id"), index=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))


class LostNotice(Base):
    """One quarterly 《失物招领》启事 posted on an estate's board (seeds: 每季度一次): its items may be claimed until
    claim_by; once that has passed, the items it listed may be disposed of. Append-only."""

    __tablename__ = "lost_notices"
    __table_args__ = (UniqueConstraint("estate_id", "quarter"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"))
    quarter: Mapped[str] = mapped_column(String(8))  # 2026Q3
    posted_on: Mapped[date]
    claim_by: Mapped[date]
    posted_by: Mapped[str] = mapped_column(String(32))
    item_count: Mapped[int] = mapped_column(Integer)


class LostItem(Versioned, Base):
    """失物招领: one found item in the service centre's keeping (the seeds' 《失物登记表》 row), until it is
    claimed (name, phone, the 证件 checked, who handed it over) or disposed of after the quarterly notice."""

    __tablename__ = "lost_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)  # SW2026-0042, from a counter at registration
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    what: Mapped[str] = mapped_column(String(64))
    description: Mapped[str] = mapped_column(String(500), default="")
    valuable: Mapped[bool] = mapped_column(Boolean, default=False)  # 贵重物品/重要证件: posted at once (seeds)
    found_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    found_place: Mapped[str] = mapped_column(String(100))
    finder_name: Mapped[str] = mapped_column(String(64), default="")
    finder_phone: Mapped[str] = mapped_column(String(20), default="")
    kept_at: Mapped[str] = mapped_column(String(100))
    recorded_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(8), index=True)  # 待认领 / 已认领 / 已处置
    # the first quarterly notice that listed it: disposal waits for that notice's claim_by
    notice_id: Mapped[int | None] = mapped_column(ForeignKey("lost_notices.id"), index=True)
    claimant_name: Mapped[str] = mapped_column(String(64), default="")
    claimant_phone: Mapped[str] = mapped_column(String(20), default="")
    id_kind: Mapped[str] = mapped_column(String(16), default="")  # the 证件 shown and checked at the claim
    id_checked: Mapped[bool] = mapped_column(Boolean, default=False)
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    handed_over_by: Mapped[str] = mapped_column(String(32), default="")
    disposal_way: Mapped[str] = mapped_column(String(8), default="")  # 上交派出所 / 捐赠 / 销毁 / 其他
    disposed_by: Mapped[str] = mapped_column(String(32), default="")
    disposed_on: Mapped[date | None]
    disposal_note: Mapped[str] = mapped_column(String(200), default="")


# -- relations: paid services 特约服务 (migration 0015) --


class PaidServiceItem(Versioned, Base):
    """特约服务价目: one service the centre offers for a price per unit of charge (次 / 小时 / 平方米 ...). Retired
    (active off), never deleted: orders keep their own copy of the name, unit and price they were taken at."""

    __tablename__ = "paid_service_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(32), unique=True)
    category: Mapped[str] = mapped_column(String(8))  # 家政保洁 / 家电清洗 / 水电维修 / 管道疏通 / 开锁换锁 / 搬家 / 其他
    charge_unit: Mapped[str] = mapped_column(String(8))  # 次 / 小时 / 平方米 / 个 / 台 / 米
    price: Mapped[Decimal] = mapped_column(Money)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    note: Mapped[str] = mapped_column(String(200), default="")


class PaidServiceOrder(Versioned, Base):
    """特约服务订单 of one unit: 已预约 -> 已完成 (with the owner's rating, and its bill) or 已取消. The item's name, unit
    and price are copied when the order is taken; completing it raises one Bill of the unit (bill_id)."""

    __tablename__ = "paid_service_orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    order_no: Mapped[str] = mapped_column(String(20), unique=True)  # TS2026-000123, one series per year
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"), index=True)
    requester_name: Mapped[str] = mapped_column(String(64))
    requester_phone: Mapped[str] = mapped_column(String(20))
    item_id: Mapped[int] = mapped_column(ForeignKey("paid_service_items.id"), index=True)
    item_name: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(8))
    charge_unit: Mapped[str] = mapped_column(String(8))
    price: Mapped[Decimal] = mapped_column(Money)
    quantity: Mapped[Decimal] = mapped_column(Hundredths)
    amount: Mapped[Decimal] = mapped_column(Money)
    scheduled_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), index=True)
    staff_name: Mapped[str] = mapped_column(String(32))  # the staff member's name then, or an outside worker's
    request: Mapped[str] = mapped_column(String(500), default="")  # 服务要求
    status: Mapped[str] = mapped_column(String(8), index=True)  # 已预约 / 已完成 / 已取消
    ordered_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ordered_by: Mapped[str] = mapped_column(String(32))
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    completed_by: Mapped[str] = mapped_column(String(32), default="")
    rating: Mapped[int | None] = mapped_column(Integer)  # 1–5 stars; None: the owner gave none
    comment: Mapped[str] = mapped_column(String(500), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(String(200), default="")
    bill_id: Mapped[int | None] = mapped_column(ForeignKey("bills.id"), unique=True)


# -- relations: inspections 巡查, violations 违章, duty handover 值班与交接班 (migration 0016) --


class InspectionRoute(Versioned, Base):
    """巡查路线: a named daily walk of one estate; its checklist is InspectionItem rows the manager keeps."""

    __tablename__ = "inspection_routes"
    __table_args__ = (UniqueConstraint("estate_id", "name"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(String(200), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InspectionItem(Versioned, Base):
    """One line of a route's checklist: its area 检查类别 (seed: 公共区域环境, 设施设备, 房屋本体, 标识标牌, 装修管理,
    园区配套, 客户触点岗位), what to check, and the department a finding is sent to."""

    __tablename__ = "inspection_items"
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("inspection_routes.id"), index=True)
    area: Mapped[str] = mapped_column(String(16))
    text: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(8), default="工程")
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class InspectionRound(Versioned, Base):
    """One walk of a route on one day (at most one a day: the unique key), with its counts for the lists."""

    __tablename__ = "inspection_rounds"
    __table_args__ = (UniqueConstraint("route_id", "round_on"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    route_id: Mapped[int] = mapped_column(ForeignKey("inspection_routes.id"))
    round_on: Mapped[date] = mapped_column(index=True)
    inspector_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    inspector_name: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(String(500), default="")
    items: Mapped[int] = mapped_column(Integer, default=0)
    failed: Mapped[int] = mapped_column(Integer, default=0)


class InspectionResult(Versioned, Base):
    """One checklist line of a round: 正常 or 异常 with a note; the item's words are copied, so renaming an item
    later leaves past rounds as they were walked. An 异常 line links the ticket it became."""

    __tablename__ = "inspection_results"
    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("inspection_rounds.id"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("inspection_items.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    area: Mapped[str] = mapped_column(String(16))
    item_text: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(8), default="工程")
    result: Mapped[str] = mapped_column(String(4), index=True)  # 正常 / 异常
    note: Mapped[str] = mapped_column(String(200), default="")
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), index=True)
    # set while a desk turns the line into a ticket, so a second desk cannot make a second ticket of it
    ticket_claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Violation(Versioned, Base):
    """违章: found, noticed (整改通知书 with its number), followed up, and closed with an outcome."""

    __tablename__ = "violations"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int] = mapped_column(ForeignKey("estates.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)  # none: a public space
    kind: Mapped[str] = mapped_column(String(16))  # 违章搭建 / 占用公共部位 / 违反装修规定 / 其他
    location: Mapped[str] = mapped_column(String(100), default="")
    description: Mapped[str] = mapped_column(String(500))
    found_on: Mapped[date] = mapped_column(index=True)
    found_by: Mapped[str] = mapped_column(String(32))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notice_no: Mapped[str] = mapped_column(String(24), default="")
    notice_on: Mapped[date | None]
    deadline_on: Mapped[date] = mapped_column(index=True)
    outcome: Mapped[str] = mapped_column(String(16), default="")  # 已整改 / 移交执法部门 / 其他
    outcome_note: Mapped[str] = mapped_column(String(200), default="")
    closed_on: Mapped[date | None] = mapped_column(index=True)
    closed_by: Mapped[str] = mapped_column(String(32), default="")


class ViolationFollowUp(Base):
    """跟进: one visit or call about a violation; never edited."""

    __tablename__ = "violation_follow_ups"
    id: Mapped[int] = mapped_column(primary_key=True)
    violation_id: Mapped[int] = mapped_column(ForeignKey("violations.id"), index=True)
    followed_on: Mapped[date]
    note: Mapped[str] = mapped_column(String(500))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    by_name: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(UTCDateTime)


class DutyShift(Versioned, Base):
    """值班记录: one person's shift log. 值班中 until handed over (handed_at, with a summary and the count of open
    items), then 待接班 until the receiver — another user, signed in — confirms (confirmed_at)."""

    __tablename__ = "duty_shifts"
    id: Mapped[int] = mapped_column(primary_key=True)
    estate_id: Mapped[int | None] = mapped_column(ForeignKey("estates.id"), index=True)  # none: the whole centre
    duty_on: Mapped[date] = mapped_column(index=True)
    shift: Mapped[str] = mapped_column(String(4))  # 白班 / 夜班
    writer_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    writer_name: Mapped[str] = mapped_column(String(32))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    handed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    summary: Mapped[str] = mapped_column(String(1000), default="")
    open_items: Mapped[int] = mapped_column(Integer, default=0)
    receiver_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    receiver_name: Mapped[str] = mapped_column(String(32), default="")
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    confirm_note: Mapped[str] = mapped_column(String(500), default="")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("duty_shifts.id"))


class DutyEntry(Versioned, Base):
    """One line of a shift log (事件/来电/钥匙/突发事件/其他); `open_item` while it still needs action. A line carried
    into the next log points at the line it continues."""

    __tablename__ = "duty_entries"
    id: Mapped[int] = mapped_column(primary_key=True)
    shift_id: Mapped[int] = mapped_column(ForeignKey("duty_shifts.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    kind: Mapped[str] = mapped_column(String(8))
    content: Mapped[str] = mapped_column(String(500))
    open_item: Mapped[bool] = mapped_column(Boolean, default=False)
    recorded_by: Mapped[str] = mapped_column(String(32))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_note: Mapped[str] = mapped_column(String(200), default="")
    carried_from_id: Mapped[int | None] = mapped_column(ForeignKey("duty_entries.id"))
