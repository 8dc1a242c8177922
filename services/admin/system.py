"""Setting up and looking after a PropDesk database: migrate, first admin, backup, export.

Invariants: `init` is idempotent (migrating an up-to-date database and finding the
admin already there changes nothing); a restore replaces the whole SQLite database
through the online backup API, never by copying a file under a running app; a restore
`to` a new file never overwrites one and leaves the configured database alone.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

import pandas as pd
from sqlalchemy import Select, select, type_coerce
from sqlalchemy.engine import make_url

from db import migrate
from db.engine import database_url, dispose_all, get_engine, read_session, unit_of_work
from db.models import (
    Allocation,
    Approval,
    AuditEntry,
    Base,
    Bill,
    BillingRun,
    Building,
    CreditEntry,
    Department,
    DunningAction,
    Estate,
    FeeItem,
    Holiday,
    Key,
    KeyLoan,
    MeterReading,
    ParkingLease,
    ParkingSpace,
    Payment,
    Person,
    Refund,
    Renovation,
    Revisit,
    Settlement,
    SlaPolicy,
    Staff,
    Ticket,
    TicketCategory,
    TicketEvent,
    TicketPhoto,
    Unit,
    UnitFee,
    UnitNote,
    UnitPerson,
    User,
    Vehicle,
    VipHousehold,
)
from db.types import Money
from services.appraisal import rules as appraisal_rules
from services.estate.units import unit_code
from services.fees import billing as fees
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.platform.excel import frame_to_bytes
from services.platform.users import add_user
from services.tickets import workdays
from services.tickets import workflow as tickets

# Every table this issue creates, as `propdesk export` names it; secrets are never exported.
EXPORT_TABLES: dict[str, tuple[type[Base], tuple[str, ...]]] = {
    "estates": (Estate, ()),
    "buildings": (Building, ()),
    "departments": (Department, ()),
    "staff": (Staff, ()),
    "users": (User, ("password_hash",)),
    "units": (Unit, ()),
    "people": (Person, ()),
    "unit_people": (UnitPerson, ()),
    "audit_log": (AuditEntry, ()),
    "parking": (ParkingSpace, ()),
    "parking_leases": (ParkingLease, ()),
    "vehicles": (Vehicle, ()),
    "keys": (Key, ()),
    "key_loans": (KeyLoan, ()),
    "renovations": (Renovation, ()),
    "vip_households": (VipHousehold, ()),
    "unit_notes": (UnitNote, ()),
    "tickets": (Ticket, ()),
    "ticket_events": (TicketEvent, ()),
    "ticket_photos": (TicketPhoto, ("data",)),  # which photos a ticket has; the pictures stay in the database
    "revisits": (Revisit, ()),
    "ticket_categories": (TicketCategory, ()),
    "sla_policies": (SlaPolicy, ()),
    "holidays": (Holiday, ()),
    # fees 收费 (bills, receipts and dunning are views below: with unit code and item name)
    "fee_items": (FeeItem, ()),
    "unit_fees": (UnitFee, ()),
    "meter_readings": (MeterReading, ()),
    "billing_runs": (BillingRun, ()),
    "payments": (Payment, ()),
    "allocations": (Allocation, ()),
    "credit_entries": (CreditEntry, ()),
    "approvals": (Approval, ()),
    "refunds": (Refund, ()),  # 退款单: number, account, payee, amount, method, reason, approver, payout
    "settlements": (Settlement, ()),
}


def _residents() -> Select[*tuple[Any, ...]]:
    """住户: every unit-person link (current and ended) with the unit code and the person's name."""
    code = unit_code
    return (
        select(UnitPerson.id, Estate.name.label("estate"), code.label("unit_code"), UnitPerson.unit_id,
               UnitPerson.person_id, Person.name.label("person_name"), UnitPerson.role, UnitPerson.start_on,
               UnitPerson.end_on)
        .join(Unit, Unit.id == UnitPerson.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Estate, Estate.id == Unit.estate_id)
        .join(Person, Person.id == UnitPerson.person_id)
        .order_by(UnitPerson.id)
    )


def _bills() -> Select[*tuple[Any, ...]]:
    """应收: every bill with its estate, unit code, item and what is still owed (parking bills of a lease without a
    unit have no unit code)."""
    return (
        select(Bill.id, Estate.name.label("estate"), unit_code.label("unit_code"), Bill.household, Bill.payer_name,
               FeeItem.code.label("item_code"), FeeItem.name.label("item"), Bill.period, Bill.start_on, Bill.end_on,
               Bill.quantity, Bill.rate, Bill.amount, Bill.paid, Bill.waived,
               type_coerce(Bill.amount - Bill.paid - Bill.waived, Money()).label("outstanding"), Bill.due_on, Bill.status, Bill.source,
               Bill.run_id, Bill.created_at, Bill.note)
        .join(FeeItem, FeeItem.id == Bill.fee_item_id)
        .outerjoin(Unit, Unit.id == Bill.unit_id)
        .outerjoin(Building, Building.id == Unit.building_id)
        .outerjoin(Estate, Estate.id == Unit.estate_id)
        .order_by(Bill.id)
    )


def _receipts() -> Select[*tuple[Any, ...]]:
    """收据: every payment as its receipt — number, time, payer, unit, method, amount, status (作废 with reason and
    approver), cashier."""
    return (
        select(Payment.receipt_no, Payment.received_at, Payment.payer_name, Estate.name.label("estate"),
               unit_code.label("unit_code"), Payment.method, Payment.amount, Payment.credit_added, Payment.status,
               Payment.void_reason, Payment.voided_at, Payment.void_approved_by, Payment.cashier_name, Payment.note)
        .outerjoin(Unit, Unit.id == Payment.unit_id)
        .outerjoin(Building, Building.id == Unit.building_id)
        .outerjoin(Estate, Estate.id == Unit.estate_id)
        .order_by(Payment.id)
    )


def _dunning() -> Select[*tuple[Any, ...]]:
    """催缴: every dunning action with the unit it was about."""
    return (
        select(DunningAction.id, Estate.name.label("estate"), unit_code.label("unit_code"), DunningAction.at,
               DunningAction.method, DunningAction.outcome, DunningAction.promised_on, DunningAction.next_on,
               DunningAction.owed, DunningAction.by_name, DunningAction.note)
        .join(Unit, Unit.id == DunningAction.unit_id)
        .join(Building, Building.id == Unit.building_id)
        .join(Estate, Estate.id == Unit.estate_id)
        .order_by(DunningAction.id)
    )


# Exports that join several tables, by name -> the query that makes them.
EXPORT_VIEWS: dict[str, Callable[[], Select[*tuple[Any, ...]]]] = {
    "residents": _residents, "bills": _bills, "receipts": _receipts, "dunning": _dunning,
}
EXPORT_NAMES: tuple[str, ...] = (*EXPORT_TABLES, *EXPORT_VIEWS)


@dataclass(frozen=True)
class SchemaStatus:
    ok: bool
    message: str


def schema_status() -> SchemaStatus:
    """Whether the database is reachable and migrated to the code's head revision."""
    try:
        current = migrate.current_revision()
    except Exception as exc:  # unreachable server, bad URL: say so in words
        return SchemaStatus(False, f"无法连接数据库（{type(exc).__name__}）。请检查 DATABASE_URL。")
    head = migrate.head_revision()
    if current is None:
        return SchemaStatus(False, "数据库尚未初始化。请先运行：make init（或 .venv/bin/propdesk init）")
    if current != head:
        return SchemaStatus(
            False, f"数据库版本（{current}）落后于程序（{head}）。请先运行：make init（或 .venv/bin/propdesk init）"
        )
    return SchemaStatus(True, "")


def init(*, admin_password: str | None) -> str | None:
    """Migrate to head and create `admin` if missing; returns the admin password when one was generated."""
    migrate.upgrade()
    _seed_reference_rules()
    with read_session() as s:
        exists = s.scalar(select(User.id).where(User.username == "admin")) is not None
    if exists:
        return None
    _, password = add_user(
        actor=SYSTEM_ACTOR, username="admin", display_name="系统管理员", role=Role.ADMIN,
        password=admin_password, must_change_password=admin_password is None,
    )
    return None if admin_password else password


def _seed_reference_rules() -> None:
    """Rules a new company starts from and then edits: ticket time limits, fee items, this and next year's holidays."""
    with unit_of_work() as uow:
        if tickets.seed_categories(uow.session):
            audit.record(uow.session, SYSTEM_ACTOR, "create", "ticket_categories", "-", None,
                         {"categories": len(tickets.DEFAULT_CATEGORIES)})
        if tickets.seed_policies(uow.session):
            audit.record(uow.session, SYSTEM_ACTOR, "create", "sla_policies", "-", None,
                         {"policies": [p[0] for p in tickets.DEFAULT_POLICIES]})
        if fees.seed_items(uow.session):
            audit.record(uow.session, SYSTEM_ACTOR, "create", "fee_items", "-", None,
                         {"items": [i[1] for i in fees.DEFAULT_ITEMS]})
        if appraisal_rules.seed_incident_types(uow.session):
            audit.record(uow.session, SYSTEM_ACTOR, "create", "incident_types", "-", None,
                         {"items": [i[0] for i in appraisal_rules.DEFAULT_INCIDENT_TYPES]})
        if appraisal_rules.seed_post_kpis(uow.session):
            audit.record(uow.session, SYSTEM_ACTOR, "create", "post_kpis", "-", None,
                         {"posts": sorted({k[0] for k in appraisal_rules.DEFAULT_POST_KPIS})})
        if appraisal_rules.seed_rules(uow.session):
            audit.record(uow.session, SYSTEM_ACTOR, "create", "appraisal_rules", "-", None,
                         {"rules": [r[0] for r in appraisal_rules.DEFAULT_RULES]})
        uow.commit()
    year = local_today().year
    workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[year, year + 1])


def is_empty() -> bool:
    with read_session() as s:
        return s.scalar(select(Estate.id).limit(1)) is None


def _sqlite_path() -> Path:
    url = make_url(database_url())
    if url.get_backend_name() != "sqlite":
        raise DomainError(
            "备份和恢复命令只适用于内置 SQLite 数据库；PostgreSQL 请用 pg_dump / pg_restore，"
            "MariaDB 请用 mariadb-dump / mariadb。"
        )
    return Path(cast(str, url.database))  # None only for in-memory sqlite:// (Path(None) raises TypeError)


def backup(target: Path) -> None:
    """Copy the live SQLite database to `target` with the online backup API (safe while in use)."""
    source = _sqlite_path()
    target = Path(target)
    if target.exists():
        raise DomainError(f"备份文件已存在：{target}（不会覆盖）")
    target.parent.mkdir(parents=True, exist_ok=True)
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)


def restore(source: Path, *, to: Path | None = None) -> None:
    """Replace the SQLite database with a backup made by `backup` (checked before anything is replaced); with
    `to`, write the backup into that new file instead and leave the configured database alone."""
    source = Path(source)
    target = _sqlite_path() if to is None else Path(to)
    if not source.exists():
        raise DomainError(f"备份文件不存在：{source}")
    if to is not None and target.exists():
        raise DomainError(f"目标文件已存在：{target}（不会覆盖）")
    with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as probe:
        try:
            ok = probe.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            probe.execute("SELECT version_num FROM alembic_version").fetchone()
        except sqlite3.DatabaseError as exc:
            raise DomainError(f"不是 PropDesk 的备份文件：{source}") from exc
        if not ok:
            raise DomainError(f"备份文件已损坏：{source}")
    if to is not None:
        # A copy to check or to switch DATABASE_URL to later: the backup's rows exactly, no audit row added (the
        # configured database is not touched; a drill compares the copy with the backup file).
        target.parent.mkdir(parents=True, exist_ok=True)
        with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
            src.backup(dst)
        return
    dispose_all()
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    with unit_of_work() as uow:
        audit.record(uow.session, SYSTEM_ACTOR, "restore", "database", "-", None, {"from": str(source)})
        uow.commit()


def export_table(table: str, fmt: str) -> bytes:
    """A whole table as CSV (UTF-8 with BOM, opens in Excel) or XLSX bytes."""
    if table in EXPORT_VIEWS:
        stmt = EXPORT_VIEWS[table]()
        names = [c.name for c in stmt.selected_columns]
    elif table in EXPORT_TABLES:
        model, hidden = EXPORT_TABLES[table]
        cols = [c for c in model.__table__.columns if c.name not in hidden]
        stmt = select(*cols).order_by(model.__table__.c.id)
        names = [c.name for c in cols]
    else:
        raise DomainError(f"没有这个表：{table}。可导出：{', '.join(EXPORT_NAMES)}")
    with get_engine().connect() as conn:
        rows = conn.execute(stmt).all()
    df = pd.DataFrame([tuple(r) for r in rows], columns=names, dtype=object)
    return frame_to_bytes(df, fmt, sheet=table)
