"""Small hand-built data sets for tests (through the services, so audit rows exist as in real use)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from db.engine import unit_of_work
from db.models import Building, Estate, Unit
from services.platform.auth import SYSTEM_ACTOR, Actor, Role
from services.platform.users import add_user

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


from services.platform import auth as _auth  # noqa: E402

_PRODUCTION_HASHER = _auth._hasher  # captured before any test swaps it


def fast_password_hashing(monkeypatch) -> None:
    """Swap the service's argon2 hasher for one with minimal cost (tests only)."""
    from argon2 import PasswordHasher

    from services.platform import auth

    monkeypatch.setattr(auth, "_hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


def production_password_hashing(monkeypatch) -> None:
    """Put the production hasher back (for tests about its parameters)."""
    from services.platform import auth

    monkeypatch.setattr(auth, "_hasher", _PRODUCTION_HASHER)


# --- owners/units helpers for the households, keys, parking and renovation suites (append only) -----

from datetime import datetime  # noqa: E402

from sqlalchemy import update  # noqa: E402

from db.models import Key, ParkingSpace, Person, UnitPerson  # noqa: E402
from services.platform.identity import id_check_char  # noqa: E402


def valid_id_number(first17: str = "11010519491231002") -> str:
    """An 18-character ID number with a correct GB 11643 check digit."""
    return first17 + id_check_char(first17)


def make_resident(unit_id: int, name: str = "张伟", mobile: str = "13812348000", *, role: str = "业主",
                  start_on: date = date(2024, 2, 1), end_on: date | None = None, id_number: str = "",
                  phone: str = "", person_id: int | None = None) -> tuple[int, int]:
    """A person linked to a unit, written directly (no audit row, no timeline note).

    The ORM hooks fill the search keys (mobile tail, pinyin initials) as in real use.
    Pass `person_id` to link an existing person instead. Returns (person id, link id).
    """
    with unit_of_work() as uow:
        s = uow.session
        if person_id is None:
            person = Person(name=name, mobile=mobile, id_number=id_number, phone=phone)
            s.add(person)
            s.flush()
            person_id = person.id
        link = UnitPerson(unit_id=unit_id, person_id=person_id, role=role, start_on=start_on, end_on=end_on)
        s.add(link)
        s.flush()
        ids = (person_id, link.id)
        uow.commit()
    return ids


def make_key(unit_id: int, label: str = "大门钥匙", *, location: str = "A柜1号", status: str = "在库") -> int:
    """A key kept for a unit, written directly (no audit row)."""
    with unit_of_work() as uow:
        key = Key(unit_id=unit_id, label=label, location=location, status=status)
        uow.session.add(key)
        uow.session.flush()
        key_id = key.id
        uow.commit()
    return key_id


def make_space(estate_id: int, number: str = "B1-001", *, kind: str = "租赁", status: str = "空闲") -> int:
    """A parking space, written directly (no audit row)."""
    with unit_of_work() as uow:
        space = ParkingSpace(estate_id=estate_id, number=number, kind=kind, status=status)
        uow.session.add(space)
        uow.session.flush()
        space_id = space.id
        uow.commit()
    return space_id


def force_columns(model: type, row_id: int, **values) -> None:
    """Overwrite columns of one row behind the services' back (no version bump, no ORM hooks).

    For states a test cannot reach through the services in real time, e.g. a loan's due time in the past.
    """
    with unit_of_work() as uow:
        uow.session.execute(update(model).where(model.id == row_id).values(**values))
        uow.commit()


def ago(**delta) -> datetime:
    """A timezone-aware UTC moment in the past, e.g. ago(days=2)."""
    from datetime import timedelta

    from db.types import utcnow

    return utcnow() - timedelta(**delta)


import pytest  # noqa: E402

from services.platform.auth import PERMISSIONS  # noqa: E402

# For backend-neutral tests (a permission check, a form rule refused before any SQL): run them on
# SQLite only. Overrides the `backend_url` parameters behind the `db` fixture for the marked test.
sqlite_only = pytest.mark.parametrize("backend_url", ["sqlite"], indirect=True)


def roles_with(action: str) -> list[Role]:
    """The roles PERMISSIONS grants `action` to."""
    return [r for r in Role if action in PERMISSIONS[r]]


def roles_without(action: str) -> list[Role]:
    """The roles PERMISSIONS refuses `action` to."""
    return [r for r in Role if action not in PERMISSIONS[r]]


# --- tickets helpers for the tickets suite (append only) ------------------------------------------


def seed_ticket_policies() -> None:
    """The seed SLA table (报修/投诉 24 h with revisit, 建议 3 working days...), as `propdesk init` writes it."""
    from services.tickets import workflow as tickets

    with unit_of_work() as uow:
        tickets.seed_policies(uow.session)
        uow.commit()


def make_ticket(actor: Actor, estate_id: int, unit_id: int | None, *, ticket_type: str = "报修",
                received_at: datetime | None = None, channel: str = "电话", content: str = "厨房水管漏水",
                caller_name: str = "张伟", caller_phone: str = "13812348000", **fields) -> tuple[int, str]:
    """A ticket taken through `tickets.take` (number, deadline, event and audit row as in real use).

    `received_at` defaults to the tickets module's now (a test may have set that clock).
    Returns (ticket id, ticket number).
    """
    from services.tickets import workflow as tickets

    return tickets.take(actor=actor, intake=tickets.Intake(
        ticket_type=ticket_type, channel=channel, estate_id=estate_id, unit_id=unit_id, caller_name=caller_name,
        caller_phone=caller_phone, content=content, received_at=received_at or tickets.utcnow(), **fields))


def post_id_of(session, name: str) -> int:
    """The id of the post named `name`, created when it is not a seed post (tests name posts freely)."""
    from db.models import Post
    from services.appraisal.posts import add_named, post_ids

    ids = post_ids(session)
    return ids[name] if name in ids else add_named(session, Post, "P", [name])[name]


def make_staff(name: str = "李工", staff_no: str = "S001") -> int:
    """A staff member (no department), written directly (no audit row)."""
    from db.models import Staff

    with unit_of_work() as uow:
        staff = Staff(staff_no=staff_no, name=name, post_id=post_id_of(uow.session, "维修工"))
        uow.session.add(staff)
        uow.session.flush()
        staff_id = staff.id
        uow.commit()
    return staff_id


# --- ticket import helpers for the ticket import suites (append only) ------------------------------


def make_login(username: str, display_name: str, *, role: Role = Role.SERVICE, staff_id: int | None = None,
               active: bool = True) -> int:
    """A user account written directly (no password hashing, no audit row); returns its id."""
    with unit_of_work() as uow:
        user = User(username=username, display_name=display_name, password_hash="-", role=role.value,
                    staff_id=staff_id, active=active)
        uow.session.add(user)
        uow.session.flush()
        user_id = user.id
        uow.commit()
    return user_id


def ticket_register(rows: Iterable[dict], *, headers: Iterable[str] | None = None,
                    title: str | None = "2025年报事登记表", sheet: str = "历史工单", path=None) -> bytes:
    """A ticket register workbook: optional title row, then the header row (the template's columns unless given),
    then one row per dict (missing keys are empty cells). Written to `path` too when given."""
    from services.tickets.ticket_import import TICKET_COLUMNS

    headers = list(headers) if headers is not None else [h for h, *_ in TICKET_COLUMNS]
    return sheet_workbook(rows, headers=headers, title=title, sheet=sheet, path=path)


# --- fees helpers for the fee service suites (append only) ----------------------------------------


class FeeClock:
    """"Now" for the fee services; a test moves it with `clock.now = ...` (any timezone-aware moment)."""

    def __init__(self, now: datetime):
        self.now = now

    def __call__(self) -> datetime:
        from datetime import UTC

        return self.now.astimezone(UTC)


def pin_fee_clock(monkeypatch, now: datetime) -> FeeClock:
    """Pin `utcnow` in the fee services (cashier, approvals, refunds, billing, arrears, the figures) and in
    services.platform.clock (local_today).

    Payments, allocations, voids, billing runs and dunning rows then carry the moments the test chooses,
    through the real services (no rows written behind their back).
    """
    from services.fees import approvals, arrears, cashier, figures, refunds
    from services.fees import billing as fees
    from services.platform import clock
    from services.tickets import figures as ticket_figures

    c = FeeClock(now)
    for module in (approvals, arrears, cashier, clock, fees, figures, ticket_figures, refunds):
        monkeypatch.setattr(module, "utcnow", c)
    return c


def fee_login(role: Role, username: str, display_name: str | None = None, *, staff_id: int | None = None) -> Actor:
    """An actor backed by a real user row (so requester/approver and cashier checks see distinct ids)."""
    name = display_name or f"{role.label}{username}"
    user_id = make_login(username, name, role=role, staff_id=staff_id)
    return Actor(user_id=user_id, username=username, display_name=name, role=role, staff_id=staff_id)


def seed_fee_items() -> dict[str, int]:
    """The seed fee catalog (services.fees.billing.DEFAULT_ITEMS); returns item code -> id."""
    from db.models import FeeItem
    from services.fees import billing as fees

    with unit_of_work() as uow:
        fees.seed_items(uow.session)
        uow.commit()
    with read_session() as s:
        return dict(s.execute(select(FeeItem.code, FeeItem.id)).all())


def make_unit_fee(unit_id: int, fee_item_id: int, action: str, start_on: date, end_on: date | None = None) -> int:
    """A per-unit exception (收取 / 免收), written directly (no audit row)."""
    from db.models import UnitFee

    with unit_of_work() as uow:
        row = UnitFee(unit_id=unit_id, fee_item_id=fee_item_id, action=action, start_on=start_on, end_on=end_on)
        uow.session.add(row)
        uow.session.flush()
        row_id = row.id
        uow.commit()
    return row_id


def make_lease(estate_id: int, unit_id: int | None, start_on: date, end_on: date, monthly_fee: str, *,
               number: str = "B1-001", person: str = "王车主", status: str = "有效", plate: str = "粤B12345") -> int:
    """A parking space (已租) with one lease to a new person, written directly; returns the lease id."""
    from db.models import ParkingLease

    space_id = make_space(estate_id, number, status="已租")
    with unit_of_work() as uow:
        s = uow.session
        p = Person(name=person, mobile="13900001111")
        s.add(p)
        s.flush()
        lease = ParkingLease(space_id=space_id, person_id=p.id, unit_id=unit_id, plate=plate, start_on=start_on,
                             end_on=end_on, monthly_fee=Decimal(monthly_fee), status=status)
        s.add(lease)
        s.flush()
        lease_id = lease.id
        uow.commit()
    return lease_id


def make_bill(unit_id: int, fee_item_id: int, period: str, amount: str, *, due_on: date | None = None,
              status: str = "未缴", payer_name: str = "业主甲", source: str = "手工") -> int:
    """One bill of a unit written directly through the ORM (no audit row): for payment, KPI and arrears tests
    that need bills of chosen periods and due dates. `due_on` defaults to the period's last day."""
    import calendar

    from db.models import Bill

    year, month = int(period[:4]), int(period[5:])
    first = date(year, month, 1)
    last = first.replace(day=calendar.monthrange(year, month)[1])
    with unit_of_work() as uow:
        bill = Bill(fee_item_id=fee_item_id, payer_key=f"U{unit_id}", household=f"U{unit_id}", unit_id=unit_id,
                    payer_name=payer_name, period=period, start_on=first, end_on=last, amount=Decimal(amount),
                    paid=Decimal("0.00"), waived=Decimal("0.00"), due_on=due_on or last, status=status,
                    source=source)
        uow.session.add(bill)
        uow.session.flush()
        bill_id = bill.id
        uow.commit()
    return bill_id


def bills_of(unit_id: int | None = None) -> list:
    """Bills (detached), of one unit's household or all, ordered by period, item, id."""
    from db.models import Bill

    with read_session() as s:
        stmt = select(Bill).order_by(Bill.period, Bill.fee_item_id, Bill.id)
        if unit_id is not None:
            stmt = stmt.where(Bill.household == f"U{unit_id}")
        rows = list(s.scalars(stmt))
        s.expunge_all()
        return rows


# --- fee import helpers for the arrears import suites (append only) -------------------------------


def arrears_workbook(rows: Iterable[dict | list], *, headers: Iterable[str] | None = None,
                     title: str | None = "历史欠费", sheet: str = "历史欠费", path=None) -> bytes:
    """An arrears workbook: optional title row, then the header row (our template's columns unless given), then
    one row per dict (missing keys are empty cells) or list (cells as given). Written to `path` too when given."""
    from services.fees.arrears_import import ARREARS_COLUMNS

    headers = list(headers) if headers is not None else [h for h, *_ in ARREARS_COLUMNS]
    return sheet_workbook(rows, headers=headers, title=title, sheet=sheet, path=path)


# --- workbooks and departments for the import suites (append only) ---------------------------------


def sheet_workbook(rows: Iterable[dict | list], *, headers: Iterable[str], title: str | None = None,
                   sheet: str = "Sheet", path=None) -> bytes:
    """A one-sheet workbook: optional title row, the header row, then one row per dict (missing keys are empty
    cells) or list (cells as given). Written to `path` too when given."""
    import io

    import openpyxl

    headers = list(headers)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers] if isinstance(r, dict) else list(r))
    buf = io.BytesIO()
    wb.save(buf)
    data = buf.getvalue()
    if path is not None:
        from pathlib import Path

        Path(path).write_bytes(data)
    return data


# --- two transactions at once (concurrency suites; append only) ------------------------------------

import contextlib  # noqa: E402
import threading  # noqa: E402
from collections.abc import Callable  # noqa: E402


def run_both(fn_a: Callable[[], object], fn_b: Callable[[], object], *, timeout: float = 60) -> list[object]:
    """Run two calls in threads at once; return each result or the exception it raised."""
    results: list[object] = [None, None]

    def run(i, fn):
        try:
            results[i] = fn()
        except BaseException as exc:  # returned to the test, which says what it expected
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate((fn_a, fn_b))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return results


def meet_after(monkeypatch, module, name: str, *, wait: float = 2) -> None:
    """Make `module.name` wait (up to `wait` s) for the other thread after it returns: both transactions are then
    past that point at once. Where a lock already serialises them the barrier times out and each goes in turn."""
    barrier = threading.Barrier(2, timeout=wait)
    real = getattr(module, name)

    def held(*args, **kwargs):
        result = real(*args, **kwargs)
        with contextlib.suppress(threading.BrokenBarrierError):
            barrier.wait()
        return result

    monkeypatch.setattr(module, name, held)


# --- appraisal helpers for the appraisal suites (append only) ------------------------------------


def seed_appraisal() -> dict[str, int]:
    """The seed incident types, KPI catalog per post and reward/penalty rules, in one transaction as
    `propdesk init` writes them; returns incident type name -> id."""
    from db.models import IncidentType
    from services.appraisal import rules as appraisal_rules

    with unit_of_work() as uow:
        s = uow.session
        appraisal_rules.seed_incident_types(s)
        appraisal_rules.seed_post_kpis(s)
        appraisal_rules.seed_rules(s)
        uow.commit()
    with read_session() as s:
        return dict(s.execute(select(IncidentType.name, IncidentType.id)).all())


def make_department(code: str, name: str) -> int:
    """A department, written directly (no audit row)."""
    from db.models import Department

    with unit_of_work() as uow:
        row = Department(code=code, name=name)
        uow.session.add(row)
        uow.session.flush()
        row_id = row.id
        uow.commit()
    return row_id


def make_member(staff_no: str, name: str, post: str, *, department_id: int | None = None,
                hired_on: date = date(2020, 1, 1), left_on: date | None = None, base_salary: str = "4000.00",
                appraised: bool = True) -> int:
    """A member of staff with a post, department, employment and base salary, written directly (no audit row);
    in service unless `left_on` is given."""
    from db.models import Staff

    with unit_of_work() as uow:
        row = Staff(staff_no=staff_no, name=name, post_id=post_id_of(uow.session, post), department_id=department_id,
                    hired_on=hired_on,
                    left_on=left_on, base_salary=Decimal(base_salary), appraised=appraised, active=left_on is None)
        uow.session.add(row)
        uow.session.flush()
        row_id = row.id
        uow.commit()
    return row_id


def pin_appraisal_clock(monkeypatch, now: datetime) -> FeeClock:
    """Pin `utcnow` wherever the appraisal's facts are stamped: the fee services (`pin_fee_clock`), tickets
    (intake window, rulings), staff (incident days must not be in the future) and appraisal (build, approve)."""
    from services.appraisal import scorecards as appraisal
    from services.appraisal import staff
    from services.tickets import workflow as tickets

    c = pin_fee_clock(monkeypatch, now)
    for module in (appraisal, staff, tickets):
        monkeypatch.setattr(module, "utcnow", c)
    return c


def month_sheet(period: str, *, today: date | None = None) -> None:
    """The month's attendance sheet for everybody in service, as the clerk generates it (a row per working day)."""
    from services.appraisal import staff

    staff.generate_month_sheet(actor=actor_for(Role.CLERK, "sheet_clerk"), period=period, today=today)


def attendance_row(staff_id: int, day: date):
    """One attendance day of a person (detached), or None."""
    from db.models import Attendance

    with read_session() as s:
        row = s.scalar(select(Attendance).where(Attendance.staff_id == staff_id, Attendance.day == day))
        s.expunge_all()
        return row


def mark_attendance(staff_id: int, changes: dict, *, actor: Actor | None = None) -> int:
    """Grid edits of a person's sheet through `staff.update_attendance` (the clerk's by default):
    {day: {"late_minutes": 5}, day2: {"absent": True, "leave_type": "病假"}}; returns rows changed."""
    from services.appraisal import staff
    from services.platform.editing import RowEdit

    edits = []
    for day, fields in changes.items():
        row = attendance_row(staff_id, day)
        edits.append(RowEdit(row.id, row.version, fields))
    return staff.update_attendance(actor=actor or actor_for(Role.CLERK, "sheet_clerk"), edits=edits)


def card_of(staff_id: int, period: str, *, actor: Actor | None = None):
    """The person's scorecard of the month as `actor` (the command line's admin by default) reads it."""
    from db.models import Scorecard
    from services.appraisal import scorecards as appraisal

    with read_session() as s:
        card_id = s.scalar(select(Scorecard.id).where(Scorecard.staff_id == staff_id, Scorecard.period == period))
    assert card_id is not None, f"no scorecard of staff {staff_id} for {period}"
    return appraisal.scorecard(actor=actor or actor_for(Role.ADMIN, "card_reader"), card_id=card_id)


def rule_result(card, rule_name: str):
    """The result of one rule on a card (triggered or not), or None when the rule did not apply to it."""
    found = [r for r in card.rules if r.rule == rule_name]
    assert len(found) <= 1, found
    return found[0] if found else None


def second_waits_on_lock(monkeypatch, module, name: str, calls) -> tuple[list[object], bool]:
    """Run calls[0] in a thread until it has called `module.name` (a lock taken in its transaction) and hold it
    there; start calls[1] and check that it reaches `module.name` too and cannot get through it while the first
    holds the lock; then let the first go on. Returns (each call's result or exception, whether the second was
    held at the lock). For the 'two at once' tests on the servers that interleave transactions."""
    import threading

    locked, release = threading.Event(), threading.Event()
    second_at_lock, second_through = threading.Event(), threading.Event()
    real = getattr(module, name)
    holders: list[int] = []
    guard = threading.Lock()

    def held(*args, **kwargs):
        with guard:
            first = not holders
            holders.append(1)
        if not first:
            second_at_lock.set()
        value = real(*args, **kwargs)
        if first:
            locked.set()
            release.wait(5)
        elif not release.is_set():
            second_through.set()  # got the lock although the first transaction still holds it
        return value

    monkeypatch.setattr(module, name, held)
    results: list[object] = [None, None]

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # reported by the caller's asserts
            results[i] = exc

    first, second = threading.Thread(target=run, args=(0,)), threading.Thread(target=run, args=(1,))
    first.start()
    assert locked.wait(10), results
    second.start()
    reached = second_at_lock.wait(10)
    # A lock that works keeps the second inside `module.name` until the first commits; a missing one lets it
    # through at once, which this wait sees as soon as it happens.
    got_through = second_through.wait(1.0)
    release.set()
    first.join(30)
    second.join(30)
    second_was_waiting = reached and not got_through
    return results, second_was_waiting


# --- estate scope (append only) --------------------------------------------------------------------


def estate_user(role: Role, username: str, estate_ids: Iterable[int] | None) -> Actor:
    """A user working in `estate_ids` (None: every estate), signed in through `auth.authenticate` so the Actor
    carries its estates as the console's sign-in reads them."""
    from services.platform import auth

    add_user(actor=SYSTEM_ACTOR, username=username, display_name=f"{role.label}{username}", role=role,
             password=PASSWORD, must_change_password=False,
             estate_ids=None if estate_ids is None else list(estate_ids))
    return auth.authenticate(username=username, password=PASSWORD)
