"""Setting up and looking after a database (services/admin/system, services/demo/builder) on every backend."""

from __future__ import annotations

import io
from collections import Counter
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest
from sqlalchemy import func, select

from db.engine import read_session
from db.models import Building, Estate, Person, Unit, UnitPerson, User
from services.admin import golive, system
from services.demo import builder as demo
from services.estate import units
from services.platform.auth import SYSTEM_ACTOR, Role, authenticate
from services.platform.clock import local_today
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, DomainError
from services.tickets import workdays
from tests.factories import actor_for, audit_rows, make_units


def test_init_creates_admin_once_and_is_idempotent(db):
    password = system.init(admin_password=None)
    assert password and len(password) >= 8
    assert authenticate(username="admin", password=password).must_change_password is True
    assert system.init(admin_password=None) is None
    assert system.init(admin_password="another-pass") is None
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(User)) == 1
    assert system.schema_status().ok


def test_init_with_a_given_password_returns_nothing_to_show(db):
    assert system.init(admin_password="given-pass-1") is None
    assert authenticate(username="admin", password="given-pass-1").must_change_password is False


def test_backup_and_restore_are_refused_on_server_databases(db):
    if db.startswith("sqlite"):
        pytest.skip("server backends only")
    for call in (lambda: system.backup("/tmp/never.db"), lambda: system.restore("/tmp/never.db")):
        with pytest.raises(DomainError) as exc:
            call()
        assert "pg_dump" in exc.value.message and "mariadb-dump" in exc.value.message


def test_demo_builds_two_estates_of_about_800_units_with_owners(db):
    """Also: the people's mobiles are unique and their ID numbers carry valid check digits (GB 11643)."""
    passwords = demo.build_demo(scale="small", demo_password="demo-pass-1")
    # one account per role, and the appraisal year's second property manager, cashier, engineer and 工程主管
    extra = {"service2", "cashier2", "engineer2", "gcmanager"}
    assert set(passwords) == {u[0] for u in demo.DEMO_USERS} | extra
    with read_session() as s:
        estates = s.scalars(select(Estate.name).order_by(Estate.code)).all()
        unit_count = s.scalar(select(func.count()).select_from(Unit))
        people = s.scalar(select(func.count()).select_from(Person))
        owners = s.scalar(select(func.count()).select_from(UnitPerson).where(UnitPerson.role == "业主"))
        unsold = s.scalar(select(func.count()).select_from(Unit).where(Unit.status == "未售"))
        too_big = s.scalar(select(func.count()).select_from(Unit).where(Unit.inner_area > Unit.built_area))
        roles = Counter(s.scalars(select(User.role)))
    assert estates == ["翠湖花园", "锦绣华庭"]
    assert 700 <= unit_count <= 900
    assert owners == unit_count - unsold  # every sold unit has an owner
    assert people >= owners
    assert too_big == 0
    assert roles == Counter({r.value: 1 for r in Role} | {Role.ADMIN.value: 1}) + Counter(
        {Role.SERVICE.value: 1, Role.CASHIER.value: 1, Role.ENGINEER.value: 1, Role.MANAGER.value: 1})
    for username, _, role, *_ in demo.DEMO_USERS:
        assert authenticate(username=username, password="demo-pass-1").role == role
    entries = audit_rows(action="demo")  # the estate, a year of tickets, the staff, then the relations registers
    assert [(e.entity, e.actor_username) for e in entries] == [
        ("database", "system"), ("tickets", "system"), ("staff", "system"), ("owner_visits", "system"),
        ("community_activities", "system"), ("bulletins", "system"), ("inspection_rounds", "system")]
    _mobiles_are_unique_and_id_numbers_have_valid_check_digits()
    # the go-live checklist has nothing left on the demo (after what `propdesk init` seeds: the holidays)
    workdays.seed_holidays(actor=SYSTEM_ACTOR, years=[local_today().year, local_today().year + 1])
    lines = {line.key: line for line in golive.setup_checklist(actor=SYSTEM_ACTOR)}
    assert {k: line.detail for k, line in lines.items() if not line.done} == {}
    assert lines["estates"].detail == "2 个小区，10 栋楼"
    assert lines["company"].detail == "收据抬头：翠湖物业服务有限公司"


def _mobiles_are_unique_and_id_numbers_have_valid_check_digits() -> None:
    with read_session() as s:
        rows = s.execute(select(Person.mobile, Person.id_number)).all()
    mobiles = [m for m, _ in rows]
    assert len(mobiles) == len(set(mobiles))
    weights = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)  # GB 11643-1999
    for _, id_number in rows:
        body = id_number[:17]
        check = "10X98765432"[sum(int(d) * w for d, w in zip(body, weights, strict=True)) % 11]
        assert len(id_number) == 18 and id_number[17] == check, id_number


def test_demo_refuses_a_database_that_already_has_estates(db):
    make_units(1)
    with pytest.raises(Conflict):
        demo.build_demo(scale="small", demo_password="demo-pass-1")
    with read_session() as s:
        assert s.scalar(select(func.count()).select_from(Building)) == 1


@pytest.mark.parametrize("table", list(system.EXPORT_TABLES))
def test_every_table_exports_on_every_backend(db, table):
    make_units(2)
    model, hidden = system.EXPORT_TABLES[table]
    expected = [c.name for c in model.__table__.columns if c.name not in hidden]
    for fmt in ("csv", "xlsx"):
        data = system.export_table(table, fmt)
        frame = (pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str) if fmt == "csv"
                 else pd.read_excel(io.BytesIO(data), dtype=str))
        assert list(frame.columns) == expected


def test_exported_timestamps_keep_their_utc_offset_and_areas_are_exact(db):
    make_units(1)
    data = system.export_table("units", "csv")
    frame = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig", dtype=str)
    assert frame["updated_at"].iloc[0].endswith("+00:00")
    assert frame["built_area"].iloc[0] == "89.50"


@pytest.mark.parametrize("note", ["=1+1", '=HYPERLINK("http://example.com","点我")', "@SUM(A1)", "+1+2"])
def test_exported_text_never_becomes_an_excel_formula(db, note):
    [unit_id] = make_units(1)
    units.update_units(actor=actor_for(Role.SERVICE), edits=[RowEdit(unit_id, 1, {"note": note})])
    sheet = openpyxl.load_workbook(io.BytesIO(system.export_table("units", "xlsx"))).active
    header = [c.value for c in sheet[1]]
    cell = sheet.cell(row=2, column=header.index("note") + 1)
    assert cell.data_type != "f"
    assert str(cell.value).endswith(note)


def test_frame_to_bytes_keeps_decimals_as_numbers_in_xlsx():
    data = system.frame_to_bytes(pd.DataFrame({"amount": [Decimal("1234.50")]}, dtype=object), "xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet.cell(row=2, column=1).value == pytest.approx(1234.5)
