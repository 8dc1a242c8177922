"""The permission matrix: every public service function x every role, both ways, derived from auth.PERMISSIONS.

How the matrix is built (nothing here lists what a function requires; the code and the table say it):
- every public function of a `services.*` module with a keyword-only `actor` is a service entry point;
- each is called as the administrator (who holds every action) with `require` recorded in every services module:
  the actions it asked for are what it requires;
- then it is called as a user of every role on the same arguments: a role lacking the first of those actions (the
  gate) must get PermissionDenied naming an action it lacks, before any INSERT/UPDATE/DELETE reaches the database;
  a role holding them all must not get PermissionDenied (a NotFound or ValidationError for the arguments is fine:
  the check was passed); nothing but a DomainError may come out of any call;
- a function that requires nothing must be listed in OPEN with the reason every signed-in role may call it, one
  gated by `can` on several actions in ANY_OF, and one whose holders may still be refused for a particular record
  in ROW_RULES with that rule: so a new function cannot slip through unclassified;
- what a role without people.reveal gets back (frames, workbooks, dataclasses) holds no full 手机号 or 身份证号
  of the database (tests/services/platform/personal_data.py).

Arguments: the main write services (REAL) get real records of the demo estate (a private copy of the run's demo
database) and a holder's call must then succeed outright; the rest get values synthesised from their signatures
(ints -> 1, text -> "x", dataclasses field by field). SQLite only: a permission check is backend-neutral.
"""

from __future__ import annotations

import dataclasses
import enum
import importlib
import inspect
import pkgutil
import sys
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import fpdf
import pandas as pd
import pytest
from sqlalchemy import Engine, event, select

import services
from db.engine import read_session
from db.models import Approval, Key, Payment, Person, Unit, User
from services.appraisal.staff import NewIncident
from services.platform import auth
from services.platform.auth import ACTIONS, PERMISSIONS, Actor, Role
from services.platform.clock import local_today
from services.platform.editing import RowEdit
from services.platform.errors import DomainError, PermissionDenied
from services.platform.importing import ImportPreview
from services.platform.listing import ListQuery
from services.platform.period import Period
from services.tickets.workflow import Intake
from tests.services.platform.personal_data import leaked


def _entry_points() -> dict[str, Callable[..., Any]]:
    found: dict[str, Callable[..., Any]] = {}
    for info in pkgutil.walk_packages(services.__path__, "services."):
        module = importlib.import_module(info.name)
        for name, fn in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or fn.__module__ != module.__name__:
                continue
            actor = inspect.signature(fn).parameters.get("actor")
            if actor is not None and actor.kind is inspect.Parameter.KEYWORD_ONLY:
                found[f"{info.name.removeprefix('services.')}.{name}"] = fn
    return found


ENTRY_POINTS = _entry_points()

# Functions that take an actor but are not entry points: they run inside a caller that has checked.
BUILDING_BLOCKS = {
    "platform.editing.apply_edits": "takes the caller's session: runs inside a service that has checked",
    "platform.importing.preview": "generic import machinery: requires its Import's permission; called (and "
                                  "matrix-checked) through each domain's preview_* function",
    "platform.importing.commit": "generic import machinery, as preview: checked through each commit_* function",
    "platform.importing.run": "generic import machinery, as preview: checked through each import_* function",
    "estate.units.join_unit_location": "builds a SQL statement (the actor narrows it to their estates)",
}

# Entry points every signed-in role may call, and why.
OPEN: dict[str, str] = {
    "platform.auth.change_own_password": "everyone changes their own password (the old one is checked)",
}

# Entry points admitting a role that holds any one of several actions (checked with `can`, then `require`).
ANY_OF: dict[str, frozenset[str]] = {
    "fees.approvals.request_void": frozenset({"fees.collect", "fees.request"}),  # the cashier voids own receipts
    "fees.refunds.request_refund": frozenset({"fees.collect", "fees.request"}),
    "relations.inspections.route_options": frozenset({"inspections.record", "inspections.manage"}),
}

# Entry points whose holders may still be refused PermissionDenied for a particular record (the row rule).
ROW_RULES: dict[str, str] = {
    "tickets.workflow.move": "each move of the status machine has its roles (workflow.MOVES)",
    "tickets.workflow.add_photos": "photos go where a progress note may go (workflow.MOVES['note'])",
    "fees.approvals.decide": "nobody approves their own request",
    "fees.cashier.confirm_settlement": "a cashier settles only their own day",
    "appraisal.scorecards.approve": "nobody approves their own scorecard",
    "appraisal.scorecards.reopen": "nobody reopens their own scorecard",
    "appraisal.staff.create_staff": "a manager adds staff to their own department only",
    "appraisal.staff.update_attendance": "a manager enters their own department's attendance only",
    "appraisal.staff.update_staff": "a manager edits their own department's staff only",
    "appraisal.staff.record_incident": "a manager records incidents of their own department only",
    "appraisal.staff.withdraw_incident": "a manager withdraws incidents of their own department only",
    "relations.visits.record_visit": "only a planner records a visit for someone else",
    "relations.visits.withdraw_visit": "only a planner withdraws someone else's visit",
}


# --- recording what a call asks for and what it writes ----------------------------------------------------------

_REAL_REQUIRE, _REAL_CAN = auth.require, auth.can


class Rendering(Exception):
    """Raised where a PDF would start loading its font (1.4 s a document): every check has run by then."""


class Recorder:
    """The actions `require` and `can` were asked about, and the SQL statements that write, since `start`."""

    WRITES = ("insert", "update", "delete", "replace", "create", "drop", "alter")

    def __init__(self) -> None:
        self.required: list[str] = []
        self.checked: list[str] = []
        self.writes: list[str] = []

    def start(self) -> None:
        self.required, self.checked, self.writes = [], [], []

    def require(self, actor: Actor, action: str) -> None:
        self.required.append(action)
        _REAL_REQUIRE(actor, action)

    def can(self, actor: Actor, action: str) -> bool:
        self.checked.append(action)
        return _REAL_CAN(actor, action)

    def statement(self, _conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip().lower().startswith(self.WRITES):
            self.writes.append(statement.split("\n", 1)[0][:80])


@pytest.fixture
def recorder(monkeypatch: pytest.MonkeyPatch) -> Iterator[Recorder]:
    """Every services module's `require` and `can` (imported by name) recorded; PDFs stopped at their font."""
    rec = Recorder()
    for name, module in list(sys.modules.items()):
        if name.startswith("services.") and module is not None:
            for attr, value in list(vars(module).items()):
                if value is _REAL_REQUIRE:
                    monkeypatch.setattr(module, attr, rec.require)
                elif value is _REAL_CAN:
                    monkeypatch.setattr(module, attr, rec.can)

    def rendering(*_args: Any, **_kwargs: Any) -> None:
        raise Rendering

    monkeypatch.setattr(fpdf.FPDF, "add_font", rendering)
    event.listen(Engine, "before_cursor_execute", rec.statement)
    try:
        yield rec
    finally:
        event.remove(Engine, "before_cursor_execute", rec.statement)


# --- arguments --------------------------------------------------------------------------------------------------

# three weeks ago, last month, the quarter before this one: the demo's history is relative to today as well
TODAY = local_today() - timedelta(days=21)
NOW = datetime.now(UTC).replace(microsecond=0) - timedelta(days=21)
LAST_MONTH = Period.parse(f"{local_today():%Y-%m}").previous()
_Q = (local_today().month - 1) // 3  # this quarter's index 0..3; the one before is the last posted
LAST_QUARTER = f"{local_today().year - (_Q == 0)}Q{(_Q - 1) % 4 + 1}"
BY_NAME: dict[str, Any] = {
    "period": LAST_MONTH.label, "quarter": LAST_QUARTER, "months": [LAST_MONTH.previous().label, LAST_MONTH.label],
    "year": TODAY.year, "years": [TODAY.year],
    "amount": "1.00", "price": "1.00", "monthly_fee": "1.00", "cash_handed": "1.00", "refund": "1.00",
    "cost": "1.00", "quantity": 1, "table": "buildings", "role": Role.CLERK, "username": "nobody-here",
    "password": "some-long-pass-1", "photos": [("a.jpg", b"x")], "source": b"", "model": User,
    "row_label": str, "by": "ticket_type",
}


def _hints(fn: Callable[..., Any]) -> dict[str, Any]:
    try:
        return typing.get_type_hints(fn)
    except Exception:  # an annotation only importable under TYPE_CHECKING: the name rules cover it
        return {}


def synthesise(tp: Any, name: str = "") -> Any:
    """A plausible value of type `tp` (a parameter or field called `name`)."""
    if tp is Period:
        return LAST_MONTH
    if name in BY_NAME:
        return BY_NAME[name]
    origin = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        options = [a for a in typing.get_args(tp) if a is not type(None)]
        return synthesise(options[0], name) if options else None
    if origin is typing.Literal:
        return typing.get_args(tp)[0]
    if origin in (list, tuple, set, frozenset, Sequence, typing.Sequence) or (
            origin is not None and inspect.isclass(origin) and issubclass(origin, Sequence)
            and not issubclass(origin, str)):
        args = typing.get_args(tp)
        return [synthesise(args[0], name)] if args else []
    if origin is not None and inspect.isclass(origin) and issubclass(origin, Mapping) or tp is dict:
        return {}
    if tp is bool:
        return False
    if tp is int:
        return 1
    if tp is str:
        return "x"
    if tp is Decimal:
        return Decimal("1.00")
    if tp is datetime:
        return NOW
    if tp is date:
        return TODAY
    if tp is bytes:
        return b""
    if tp is RowEdit:
        return RowEdit(1, 1, {"note": "x"})
    if tp is ListQuery:
        return ListQuery()
    if typing.get_origin(tp) is ImportPreview or tp is ImportPreview or name == "preview":
        return ImportPreview(kind="x", sheet="", problems=(), counts=None, rows=pd.DataFrame())
    if inspect.isclass(tp) and issubclass(tp, enum.Enum):
        return next(iter(tp))
    if dataclasses.is_dataclass(tp) and inspect.isclass(tp):
        hints = _hints(tp)
        return tp(**{f.name: synthesise(hints.get(f.name, f.type), f.name) for f in dataclasses.fields(tp)
                     if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING})
    if tp is Path:
        return Path("/nonexistent")
    return "x"


def synthesised_args(fn: Callable[..., Any]) -> dict[str, Any]:
    hints = _hints(fn)
    return {p.name: synthesise(hints.get(p.name, p.annotation), p.name)
            for p in inspect.signature(fn).parameters.values()
            if p.name != "actor" and p.default is inspect.Parameter.empty}


# --- real arguments for the main write services: a holder's call must then succeed outright ---------------------


def _one(stmt: Any) -> Any:
    with read_session() as s:
        return s.execute(stmt.limit(1)).scalar_one()


def _version(model: Any, row_id: int) -> int:
    return int(_one(select(model.version).where(model.id == row_id)))


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _note(actor: Actor) -> str:
    return f"权限矩阵：{actor.username}"


def _free_payment() -> int:
    """A posted payment with no request waiting on it (each call asks for another)."""
    waiting = select(Approval.payment_id).where(Approval.payment_id.is_not(None), Approval.status == "待审批")
    return int(_one(select(Payment.id).where(Payment.status == "有效", Payment.id.not_in(waiting))
                    .order_by(Payment.id.desc())))


REAL: dict[str, Callable[[Actor], dict[str, Any]]] = {
    "estate.units.update_units": lambda a: {"edits": [RowEdit(1, _version(Unit, 1), {"note": _note(a)})]},
    "estate.people.update_people": lambda a: {"edits": [RowEdit(1, _version(Person, 1), {"note": _note(a)})]},
    "estate.households.add_note": lambda a: {"unit_id": 1, "text": _note(a)},
    "estate.keys.lend_key": lambda a: {
        "key_id": (key := int(_one(select(Key.id).where(Key.status == "在库").order_by(Key.id)))),
        "version": _version(Key, key), "borrower": "李师傅", "borrower_phone": "13800138000", "reason": _note(a),
        "due_at": _now() + timedelta(hours=4)},
    "fees.cashier.take_payment": lambda a: {"unit_id": 1, "amount": "1.00", "method": "现金", "note": _note(a)},
    "fees.approvals.request_void": lambda a: {"payment_id": _free_payment(), "reason": _note(a)},
    "tickets.workflow.take": lambda a: {"intake": Intake(
        ticket_type="报修", channel="电话", estate_id=int(_one(select(Unit.estate_id).where(Unit.id == 1))),
        unit_id=1, caller_name="张三", caller_phone="13800138000", content=_note(a),
        received_at=_now() - timedelta(minutes=5))},
    "relations.lost_found.register_item": lambda a: {"estate_id": 1, "what": "钥匙", "found_at": _now(),
                                                     "found_place": "大堂", "kept_at": "前台", "description": _note(a)},
    "relations.notices.draft_notice": lambda a: {"title": "停水通知", "body": _note(a), "kind": "停水停电",
                                                  "publish_on": local_today()},
    "appraisal.staff.record_incident": lambda a: {"incident": NewIncident(
        staff_id=a.staff_id or 1, incident_type_id=1, day=local_today(), note=_note(a))},
}


# --- the matrix -------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class Outcome:
    required: list[str]  # in the order asked, first time each
    checked: list[str]
    writes: list[str]
    error: BaseException | None
    value: Any = None

    def refused_by_table(self, role: Role) -> bool:
        """Refused by `require` for an action the role lacks (not by a rule about the record)."""
        return isinstance(self.error, PermissionDenied) and bool(self.required) and (
            self.required[-1] not in PERMISSIONS[role])


def call(rec: Recorder, fn: Callable[..., Any], actor: Actor, args: dict[str, Any]) -> Outcome:
    rec.start()
    error: BaseException | None = None
    value = None
    try:
        value = fn(actor=actor, **args)
    except Rendering:
        pass
    except Exception as exc:
        error = exc
    return Outcome(list(dict.fromkeys(rec.required)), list(dict.fromkeys(rec.checked)), list(rec.writes), error,
                   value)


def test_every_listed_function_exists_and_is_listed_once():
    lists: list[Mapping[str, object]] = [BUILDING_BLOCKS, OPEN, ANY_OF]
    named = [name for listed in [*lists, ROW_RULES] for name in listed]
    assert set(named) <= set(ENTRY_POINTS), sorted(set(named) - set(ENTRY_POINTS))
    assert len({n for listed in lists for n in listed}) == sum(len(x) for x in lists)


MATRIX = sorted(set(ENTRY_POINTS) - set(BUILDING_BLOCKS))


def admitted(name: str, admin: Outcome, role: Role) -> bool:
    """Whether the table lets `role` past the function's gate: the first action it requires (or one of ANY_OF)."""
    if name in OPEN:
        return True
    if name in ANY_OF:
        return bool(ANY_OF[name] & PERMISSIONS[role])
    return admin.required[0] in PERMISSIONS[role]


@pytest.mark.parametrize("name", MATRIX)
def test_entry_point_follows_the_permission_table_for_every_role(demo_actors, recorder, numbers, name):
    actors = demo_actors
    fn = ENTRY_POINTS[name]
    real = REAL.get(name)
    args = synthesised_args(fn)
    admin = call(recorder, fn, actors[Role.ADMIN], real(actors[Role.ADMIN]) if real else args)
    assert admin.error is None or isinstance(admin.error, DomainError) and not real, (name, repr(admin.error))
    assert not isinstance(admin.error, PermissionDenied) or name in ROW_RULES, (name, admin.error)
    if name in OPEN:
        assert not admin.required and not admin.checked, f"{name} is listed as open but asks {admin.checked}"
    elif name in ANY_OF:
        assert admin.checked and admin.checked[0] in ANY_OF[name], (name, admin.checked)
    else:
        assert admin.required, f"{name} requires no action: require one, or list it in OPEN with the reason"
    for role in Role:
        if role is Role.ADMIN:
            continue
        got = call(recorder, fn, actors[role], real(actors[role]) if real else args)
        where = (name, role.value, got.required, repr(got.error))
        assert got.error is None or isinstance(got.error, DomainError), where
        if "people.reveal" not in PERMISSIONS[role]:
            assert not leaked(got.value, numbers), (*where, "full 手机号/身份证号", leaked(got.value, numbers))
        if isinstance(got.error, PermissionDenied):
            assert got.writes == [], (*where, got.writes)
        if not admitted(name, admin, role):
            assert got.refused_by_table(role) and isinstance(got.error, PermissionDenied), where
            assert ACTIONS[got.required[-1]] in got.error.message, where
        elif all(a in PERMISSIONS[role] for a in admin.required):
            assert not isinstance(got.error, PermissionDenied) or name in ROW_RULES and not got.refused_by_table(
                role), where
            assert got.error is None or not real, where  # real arguments: the holder's call went through
        else:  # past the gate; an action further on the administrator's path may or may not be on this role's
            assert not isinstance(got.error, PermissionDenied) or got.refused_by_table(role) or name in ROW_RULES, \
                where
