"""Staff records 员工档案, attendance 考勤 and incidents 奖惩记录: the facts a monthly appraisal reads.

Invariants and decisions:
- who sees whom (`staff_scope`): the admin sees every member of staff; a manager (appraisal.manage) the
  members of their own department (the department of the staff record their account is linked to; an
  unlinked manager account sees nobody and is told why); the clerk, who keeps the centre's attendance
  sheet, enters attendance for everybody; anyone else only themselves;
- 工号 is unique and never changes; staff leave (离职 with a date), they are never deleted;
- an attendance row is one working day of one person: late and early minutes 0–1440 (a day), 缺勤 with no
  leave type is 旷工 (unexcused), with one (事假, 病假...) a day of leave; an absent day has no late or early
  minutes; no row for a day outside the person's employment (before 入职日期 or after 离职日期) or in the
  future. The month's sheet is generated with one row per working day (holiday table, 调休 included) so
  the clerk fills in exceptions only;
- an incident is a fact with a day and who recorded it; it is withdrawn (撤销) with a reason, never deleted
  or edited; an incident type must be active to be recorded;
- every change writes its audit row in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVarTuple, cast

import pandas as pd
from sqlalchemy import ColumnElement, Select, SQLColumnExpression, and_, case, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Attendance, Department, Incident, IncidentType, Post, Staff, User
from db.types import utcnow
from services.appraisal.posts import active_post_ids
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import local_today, to_local
from services.platform.editing import RowEdit, apply_edits
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.period import Period
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import FieldError, FieldRule, is_blank, parse_text
from services.tickets.workdays import WorkCalendar

LEAVE_TYPES = ("事假", "病假", "年假", "调休", "婚假", "产假", "丧假", "工伤")
NO_LEAVE = "无"
MAX_MINUTES = 24 * 60
MAX_SALARY = Decimal("1000000.00")
IN_SERVICE, LEFT = "在职", "离职"
INCIDENT_KINDS = ("惩罚", "奖励")

STAFF_TABLE = TableSpec("staff", (
    Field("staff_no", "工号", "appraisal.staff_no", creatable=True, required=True, max_len=16,
          pattern=r"[A-Za-z0-9\-]+", pattern_hint="只能包含字母、数字和短横线"),
    Field("name", "姓名", "appraisal.name", editable=True, creatable=True, required=True, max_len=32),
    # the grid and the form name the department and the post; update_staff and create_staff turn names into ids
    Field("department_id", "部门", "appraisal.department", "int", editable=True, creatable=True, required=True,
          min_value=1, listed_as="department"),
    Field("post_id", "岗位", "appraisal.post", "int", editable=True, creatable=True, required=True, min_value=1,
          listed_as="post"),
    Field("hired_on", "入职日期", "appraisal.hired_on", "date", editable=True, creatable=True, required=True),
    Field("left_on", "离职日期", "appraisal.left_on", "date", editable=True, creatable=True),
    Field("base_salary", "基本工资", "appraisal.base_salary", "hundredths", editable=True, creatable=True,
          required=True, min_value=Decimal(0), max_value=MAX_SALARY),
    Field("active", "在职", "appraisal.active", "bool", editable=True, creatable=True),
    Field("appraised", "参与考核", "appraisal.appraised", "bool", editable=True, creatable=True, default=True),
))

_Ts = TypeVarTuple("_Ts")


# --- who sees whom -------------------------------------------------------------------------------------


def staff_scope(actor: Actor) -> frozenset[int] | None:
    """The staff ids `actor` may appraise and look at (None: everybody)."""
    if actor.user_id is None or can(actor, "users.manage"):  # the admin and the command line
        return None
    with read_session() as s:
        if can(actor, "appraisal.manage"):
            if actor.staff_id is None:
                return frozenset()
            department = s.scalar(select(Staff.department_id).where(Staff.id == actor.staff_id))
            if department is None:
                return frozenset({actor.staff_id})
            return frozenset(s.scalars(select(Staff.id).where(Staff.department_id == department)))
    return frozenset({actor.staff_id}) if actor.staff_id is not None else frozenset()


def attendance_scope(actor: Actor) -> frozenset[int] | None:
    """The staff whose attendance `actor` may enter: the clerk keeps everybody's, a manager their department's."""
    require(actor, "attendance.edit")
    if not can(actor, "appraisal.manage"):
        return None
    return staff_scope(actor)


def scope_hint(actor: Actor) -> str:
    """Why a manager sees nobody, or '' (for the screen)."""
    if can(actor, "appraisal.manage") and not can(actor, "users.manage") and actor.staff_id is None:
        return "您的账户没有关联员工档案，无法确定所属部门；请系统管理员在“用户”中关联"
    return ""


def _require_in(scope: frozenset[int] | None, staff_id: int, what: str) -> None:
    if scope is not None and staff_id not in scope:
        raise PermissionDenied(what)


def _scoped(stmt: Select[*_Ts], scope: frozenset[int] | None,
            column: SQLColumnExpression[int] = Staff.id) -> Select[*_Ts]:
    return stmt if scope is None else stmt.where(column.in_(sorted(scope)))


# --- staff records ---------------------------------------------------------------------------------------


def _department_choices(session: Session) -> dict[str, int]:
    return dict(session.execute(select(Department.name, Department.id).where(Department.active.is_(True))
                                .order_by(Department.code)).all())


STAFF_COLUMNS = {
    "id": Staff.id,
    "version": Staff.version,
    "staff_no": Staff.staff_no,
    "name": Staff.name,
    "department": Department.name,
    "post": func.coalesce(Post.name, ""),
    "hired_on": Staff.hired_on,
    "left_on": Staff.left_on,
    "base_salary": Staff.base_salary,
    "active": Staff.active,
    "appraised": Staff.appraised,
    "account": func.coalesce(select(func.min(User.username)).where(User.staff_id == Staff.id)
                             .correlate(Staff).scalar_subquery(), ""),
}


def list_staff(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of staff records within the actor's scope (filters: department_id, post, active)."""
    authorize_list(actor, "staff.manage", query)
    stmt: Select[*tuple[Any, ...]] = select(*[c.label(n) for n, c in STAFF_COLUMNS.items()]).outerjoin(
        Department, Department.id == Staff.department_id).outerjoin(Post, Post.id == Staff.post_id)
    stmt = _scoped(stmt, staff_scope(actor))
    with read_session() as s:
        return run_list(s, stmt, STAFF_COLUMNS, query, search_columns=[Staff.staff_no, Staff.name, Post.name],
                        equal_filters={"department_id": Staff.department_id, "post_id": Staff.post_id,
                                       "active": Staff.active},
                        default_sort=("staff_no", False))


_STAFF_EDIT_RULES = STAFF_TABLE.edit_rules


@dataclass(frozen=True)
class Choices:
    """The active departments and posts, name -> id: what a grid, a form or an import may name."""

    departments: Mapping[str, int]
    posts: Mapping[str, int]

    @classmethod
    def read(cls, session: Session) -> Choices:
        return cls(_department_choices(session), active_post_ids(session))


NO_DEPARTMENT_HINT = "尚未建立任何部门，请先在“系统管理 → 部门”中添加，或导入时勾选“新建缺少的部门和岗位”"


def one_of(label: str, known: Sequence[str], empty_hint: str = "") -> str:
    """The message for a name that is not among `known` (saying so when there is nothing to choose from)."""
    if not known:
        return empty_hint or f"尚未建立任何{label}"
    return "应为以下之一：" + "、".join(known)


def _named_ids(changes: Mapping[str, Any], choices: Choices) -> tuple[dict[str, Any], dict[str, str]]:
    """A department or post named in a grid or form (its name) -> its id; (changes, errors)."""
    out, errors = dict(changes), {}
    for key, label, known, hint in (("department", "部门", choices.departments, NO_DEPARTMENT_HINT),
                                    ("post", "岗位", choices.posts, "")):
        if key not in out:
            continue
        raw = out.pop(key)
        name = raw.strip() if isinstance(raw, str) else ""
        if name in known:
            out[f"{key}_id"] = known[name]
        else:
            errors[label] = one_of(label, list(known), hint)
    return out, errors


def _check_dates(hired_on: date | None, left_on: date | None) -> dict[str, str]:
    if hired_on and left_on and left_on < hired_on:
        return {"离职日期": f"不能早于入职日期 {hired_on}"}
    if hired_on and hired_on > local_today() + timedelta(days=366):
        return {"入职日期": "不能晚于一年以后"}
    return {}


def update_staff(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits to staff records, all or nothing."""
    require(actor, "staff.manage")
    scope = staff_scope(actor)
    for edit in edits:
        _require_in(scope, edit.id, "修改其他部门的员工档案")
    with unit_of_work() as uow:
        s = uow.session
        choices = Choices.read(s)
        translated, row_errors = [], {}
        for edit in edits:
            changes, errors = _named_ids(edit.changes, choices)
            if errors:
                row = s.get(Staff, edit.id)
                row_errors[f"员工 {row.staff_no if row else edit.id}"] = errors
            translated.append(RowEdit(edit.id, edit.version, changes))
        if row_errors:
            raise ValidationError(row_errors=row_errors)

        def check(row: Staff, values: Mapping[str, Any]) -> dict[str, str]:
            hired = values.get("hired_on", row.hired_on)
            left = values.get("left_on", row.left_on)
            errors = _check_dates(hired, left)
            active = values.get("active", row.active)
            if active and left is not None and left < local_today() and ("active" in values or "left_on" in values):
                errors["在职"] = f"已于 {left} 离职，不能为在职；请清空离职日期或取消在职"
            return errors

        count = apply_edits(s, actor=actor, model=Staff, entity="staff", edits=translated, rules=_STAFF_EDIT_RULES,
                            row_label=lambda r: f"员工 {r.staff_no}", check_row=check)
        uow.commit()
    return count


@dataclass(frozen=True)
class NewStaff:
    staff_no: str
    name: str
    department: str  # the department's name
    post: str  # the post's name
    hired_on: object
    base_salary: object
    appraised: bool = True


_STAFF_CREATE_RULES = STAFF_TABLE.create_rules


def create_staff(*, actor: Actor, staff: NewStaff) -> int:
    """Add a member of staff (in service); returns the id."""
    require(actor, "staff.manage")
    with unit_of_work() as uow:
        s = uow.session
        raw, errors = _named_ids({"staff_no": staff.staff_no, "name": staff.name, "department": staff.department,
                                  "post": staff.post, "hired_on": staff.hired_on,
                                  "base_salary": staff.base_salary, "appraised": staff.appraised},
                                 Choices.read(s))
        values, more = _STAFF_CREATE_RULES.parse(raw)
        errors.update(more)
        errors.update(_check_dates(values.get("hired_on"), None))
        if errors:
            raise ValidationError(errors)
        scope = staff_scope(actor)
        if scope is not None:
            own = s.scalar(select(Staff.department_id).where(Staff.id == actor.staff_id)) if actor.staff_id else None
            if own != values["department_id"]:
                raise PermissionDenied("为其他部门新增员工")
        if s.scalar(select(Staff.id).where(Staff.staff_no == values["staff_no"])) is not None:
            raise Conflict(f"工号已存在：{values['staff_no']}")
        row = Staff(**values, active=True)
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"工号已存在：{values['staff_no']}") from exc
        audit.record(s, actor, "create", "staff", row.id, None, values)
        uow.commit()
        return row.id


@dataclass(frozen=True)
class StaffInfo:
    id: int
    staff_no: str
    name: str
    department_id: int | None
    department: str
    post_id: int | None
    post: str
    hired_on: date | None
    left_on: date | None
    base_salary: Decimal
    active: bool
    appraised: bool

    @property
    def label(self) -> str:
        return f"{self.staff_no} {self.name}"

    def employed_on(self, day: date) -> bool:
        return (self.hired_on is None or self.hired_on <= day) and (self.left_on is None or day <= self.left_on)

    def employed_within(self, first: date, last: date) -> bool:
        return (self.hired_on is None or self.hired_on <= last) and (self.left_on is None or self.left_on >= first)


def _info_select() -> Select[*tuple[Any, ...]]:
    return (select(Staff.id, Staff.staff_no, Staff.name, Staff.department_id,
                   func.coalesce(Department.name, ""), Staff.post_id, func.coalesce(Post.name, ""), Staff.hired_on,
                   Staff.left_on, Staff.base_salary, Staff.active, Staff.appraised)
            .outerjoin(Department, Department.id == Staff.department_id).outerjoin(Post, Post.id == Staff.post_id))


def staff_infos(session: Session, ids: Sequence[int] | None = None) -> list[StaffInfo]:
    """Staff records as values (inside a caller's session), by 工号."""
    stmt = _info_select().order_by(Staff.staff_no)
    if ids is not None:
        stmt = stmt.where(Staff.id.in_(list(ids)))
    # a Row of 12 columns is typed Row[*tuple[Any, ...]], which mypy does not spread as Any
    return [StaffInfo(*cast(tuple[Any, ...], r)) for r in session.execute(stmt)]


def staff_choices(*, actor: Actor, purpose: str = "appraisal") -> dict[int, str]:
    """{id: '工号 姓名'} of the staff the actor may work with, in-service first (for pickers)."""
    require(actor, "appraisal.view")
    scope = attendance_scope(actor) if purpose == "attendance" else staff_scope(actor)
    with read_session() as s:
        rows = s.execute(_scoped(select(Staff.id, Staff.staff_no, Staff.name, Staff.active), scope)
                         .order_by(Staff.active.desc(), Staff.staff_no)).all()
    return {i: f"{no} {name}" + ("" if active else "（离职）") for i, no, name, active in rows}


# --- attendance 考勤 ----------------------------------------------------------------------------------


ATTENDANCE_TABLE = TableSpec("attendance", (
    Field("late_minutes", "迟到分钟", "appraisal.late_minutes", "int", editable=True, min_value=0,
          max_value=MAX_MINUTES),
    Field("early_minutes", "早退分钟", "appraisal.early_minutes", "int", editable=True, min_value=0,
          max_value=MAX_MINUTES),
    Field("absent", "缺勤", "appraisal.absent", "bool", editable=True),
    Field("leave_type", "假别", "appraisal.leave_type", "choice", editable=True, options=(NO_LEAVE, *LEAVE_TYPES),
          stored_as={NO_LEAVE: "", **{k: k for k in LEAVE_TYPES}}),
    Field("note", "备注", "appraisal.note", editable=True, max_len=200),
))
ATTENDANCE_RULES = ATTENDANCE_TABLE.edit_rules


def check_attendance(values: Mapping[str, Any]) -> dict[str, str]:
    """The rules across fields of one day (late/early vs absent); field label -> message."""
    errors = {}
    if values.get("absent"):
        if values.get("late_minutes"):
            errors["迟到分钟"] = "缺勤的日期不能有迟到分钟"
        if values.get("early_minutes"):
            errors["早退分钟"] = "缺勤的日期不能有早退分钟"
    return errors


def employment_problem(info: StaffInfo, day: date, *, today: date | None = None) -> str:
    """Why `info` cannot have attendance on `day` ('' when it can)."""
    if info.hired_on is not None and day < info.hired_on:
        return f"{info.name} 于 {info.hired_on} 入职，{day} 不在任职期间"
    if info.left_on is not None and day > info.left_on:
        return f"{info.name} 已于 {info.left_on} 离职，{day} 不在任职期间"
    if day > (today or local_today()):
        return f"{day} 是将来的日期"
    return ""


ATTENDANCE_COLUMNS = {
    "id": Attendance.id,
    "version": Attendance.version,
    "staff_no": Staff.staff_no,
    "name": Staff.name,
    "department": Department.name,
    "day": Attendance.day,
    "late_minutes": Attendance.late_minutes,
    "early_minutes": Attendance.early_minutes,
    "absent": Attendance.absent,
    "leave_type": Attendance.leave_type,
    "note": Attendance.note,
}


def _period(text: str | Period) -> Period:
    if isinstance(text, Period):
        return text
    try:
        return Period.parse(text)
    except ValueError as exc:
        raise ValidationError({"月份": str(exc)}) from exc


def _month_days(p: Period) -> tuple[date, date]:
    return p.start.date(), p.last_instant.date()


def list_attendance(*, actor: Actor, period: str, query: ListQuery, exceptions_only: bool = False) -> PageResult:
    """The month's attendance sheet (filters: staff_id, department_id); `exceptions_only`: late, early or absent."""
    scope = attendance_scope(actor)
    authorize_list(actor, "attendance.edit", query)
    first, last = _month_days(_period(period))
    stmt = (select(*[c.label(n) for n, c in ATTENDANCE_COLUMNS.items()])
            .join(Staff, Staff.id == Attendance.staff_id).outerjoin(Department, Department.id == Staff.department_id)
            .where(Attendance.day >= first, Attendance.day <= last))
    stmt = _scoped(stmt, scope)
    if exceptions_only:
        stmt = stmt.where(or_(Attendance.late_minutes > 0, Attendance.early_minutes > 0,
                              Attendance.absent.is_(True), Attendance.leave_type != ""))
    with read_session() as s:
        return run_list(s, stmt, ATTENDANCE_COLUMNS, query, search_columns=[Staff.staff_no, Staff.name],
                        equal_filters={"staff_id": Staff.id, "department_id": Staff.department_id},
                        default_sort=("day", False), sort_keys={"day": [Attendance.day, Staff.staff_no]})


def update_attendance(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Apply grid edits to attendance days, all or nothing."""
    scope = attendance_scope(actor)
    with unit_of_work() as uow:
        s = uow.session
        if scope is not None:
            owners = dict(s.execute(select(Attendance.id, Attendance.staff_id)
                                    .where(Attendance.id.in_([e.id for e in edits]))).all())
            if any(owners.get(e.id) not in scope for e in edits if e.id in owners):
                raise PermissionDenied("录入其他部门员工的考勤")

        def check(row: Attendance, values: Mapping[str, Any]) -> dict[str, str]:
            merged = {f: values.get(f, getattr(row, f)) for f in ("late_minutes", "early_minutes", "absent")}
            return check_attendance(merged)

        def label(row: Attendance) -> str:
            no = s.scalar(select(Staff.staff_no).where(Staff.id == row.staff_id))
            return f"{no} {row.day}"

        count = apply_edits(s, actor=actor, model=Attendance, entity="attendance", edits=_blank_leave(edits),
                            rules=ATTENDANCE_RULES, row_label=label, check_row=check)
        uow.commit()
    return count


def _blank_leave(edits: Sequence[RowEdit]) -> list[RowEdit]:
    """An emptied 假别 cell means no leave (stored ''), not a missing value."""
    return [RowEdit(e.id, e.version, {**e.changes, "leave_type": NO_LEAVE})
            if "leave_type" in e.changes and is_blank(e.changes["leave_type"]) else e
            for e in edits]


@dataclass(frozen=True)
class SheetResult:
    created: int
    staff: int
    working_days: int


def generate_month_sheet(*, actor: Actor, period: str, staff_ids: Sequence[int] | None = None,
                         today: date | None = None) -> SheetResult:
    """Create the month's sheet: a row per working day up to today for every in-service member of staff in
    scope, within their employment; days already on the sheet are left as they are."""
    scope = attendance_scope(actor)
    p = _period(period)
    first, last = _month_days(p)
    last = min(last, today or local_today())
    if last < first:
        raise ValidationError({"月份": f"{p.label} 还没有开始，不能生成考勤表"})
    calendar = WorkCalendar.load(first, last)
    days = [first + timedelta(days=n) for n in range((last - first).days + 1)]
    working = [d for d in days if calendar.is_workday(d)]
    with unit_of_work() as uow:
        s = uow.session
        people = [i for i in staff_infos(s, staff_ids) if i.active or (i.left_on and i.left_on >= first)]
        if scope is not None:
            people = [i for i in people if i.id in scope]
        existing = set(s.execute(select(Attendance.staff_id, Attendance.day).where(
            Attendance.staff_id.in_([i.id for i in people]), Attendance.day >= first,
            Attendance.day <= last)).all()) if people else set()
        rows = [Attendance(staff_id=i.id, day=d, late_minutes=0, early_minutes=0, absent=False, leave_type="",
                           note="") for i in people for d in working
                if i.employed_on(d) and (i.id, d) not in existing]
        s.add_all(rows)
        if rows:
            s.flush()
            audit.record(s, actor, "create", "attendance", p.label, None,
                         {"月份": p.label, "新增": len(rows), "人数": len({r.staff_id for r in rows})})
        uow.commit()
    return SheetResult(len(rows), len({r.staff_id for r in rows}), len(working))


@dataclass(frozen=True)
class AttendanceFigures:
    """One person's month: what the appraisal rules may read (att:<name>)."""

    recorded_days: int = 0
    late_count: int = 0
    late_minutes: int = 0
    early_count: int = 0
    early_minutes: int = 0
    absent_days: int = 0  # 旷工: absent without a leave type
    leave_days: int = 0

    def as_dict(self) -> dict[str, int]:
        return {k: getattr(self, k) for k in self.__dataclass_fields__}


def _within_employment() -> list[ColumnElement[bool]]:
    """Attendance days inside the person's employment: a 离职日期 entered after the month's sheet was generated
    leaves rows after it, and those days are not the person's working days any more."""
    return [or_(Staff.hired_on.is_(None), Attendance.day >= Staff.hired_on),
            or_(Staff.left_on.is_(None), Attendance.day <= Staff.left_on)]


def attendance_figures(session: Session, staff_ids: Sequence[int],
                       period: Period) -> dict[int, AttendanceFigures]:
    """Each person's attendance figures of the month within their employment, in one query (inside the
    caller's session)."""
    first, last = _month_days(period)
    if not staff_ids:
        return {}
    late = Attendance.late_minutes > 0
    early = Attendance.early_minutes > 0
    rows = session.execute(select(
        Attendance.staff_id, func.count(),
        func.sum(case((late, 1), else_=0)), func.sum(Attendance.late_minutes),
        func.sum(case((early, 1), else_=0)), func.sum(Attendance.early_minutes),
        func.sum(case((and_(Attendance.absent.is_(True), Attendance.leave_type == ""), 1), else_=0)),
        func.sum(case((Attendance.leave_type != "", 1), else_=0)),
    ).join(Staff, Staff.id == Attendance.staff_id)
        .where(Attendance.staff_id.in_(list(staff_ids)), Attendance.day >= first, Attendance.day <= last,
               *_within_employment()).group_by(Attendance.staff_id)).all()
    return {r[0]: AttendanceFigures(*(int(v or 0) for v in r[1:])) for r in rows}


def attendance_days(session: Session, staff_id: int, period: Period, *,
                    exceptions_only: bool = True) -> pd.DataFrame:
    """The days behind a person's attendance figures (late, early, absent or on leave)."""
    first, last = _month_days(period)
    stmt = select(Attendance.day, Attendance.late_minutes, Attendance.early_minutes, Attendance.absent,
                  Attendance.leave_type, Attendance.note).join(Staff, Staff.id == Attendance.staff_id).where(
        Attendance.staff_id == staff_id, Attendance.day >= first, Attendance.day <= last,
        *_within_employment()).order_by(Attendance.day)
    if exceptions_only:
        stmt = stmt.where(or_(Attendance.late_minutes > 0, Attendance.early_minutes > 0,
                              Attendance.absent.is_(True), Attendance.leave_type != ""))
    return pd.DataFrame(session.execute(stmt).all(),
                        columns=["day", "late_minutes", "early_minutes", "absent", "leave_type", "note"])


# --- incidents 奖惩记录 ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewIncident:
    staff_id: int
    incident_type_id: int
    day: object
    note: str = ""


def record_incident(*, actor: Actor, incident: NewIncident) -> int:
    """Record one incident against (or for) a member of staff; returns its id."""
    require(actor, "incidents.record")
    _require_in(staff_scope(actor), incident.staff_id, "为其他部门的员工登记奖惩")
    errors: dict[str, str] = {}
    day = None
    try:
        day = FieldRule("day", "日期", "date", required=True).parse(incident.day)
    except FieldError as exc:
        errors["日期"] = str(exc)
    try:
        note = parse_text(incident.note, max_len=500)
    except FieldError as exc:
        errors["说明"] = str(exc)
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        kind = s.get(IncidentType, incident.incident_type_id)
        if kind is None:
            raise ValidationError({"奖惩项目": "不存在，请从列表中选择"})
        if not kind.active:
            raise ValidationError({"奖惩项目": f"“{kind.name}”已停用"})
        infos = staff_infos(s, [incident.staff_id])
        if not infos:
            raise NotFound("没有这位员工")
        problem = employment_problem(infos[0], cast(date, day))  # required: a failed parse raised above
        if problem:
            raise ValidationError({"日期": problem})
        row = Incident(staff_id=incident.staff_id, incident_type_id=kind.id, day=day, note=note,
                       recorded_by=actor.user_id, recorder_name=actor.display_name, recorded_at=utcnow())
        s.add(row)
        s.flush()
        audit.record(s, actor, "create", "incidents", row.id, None,
                     {"员工": infos[0].label, "奖惩项目": kind.name, "日期": day, "说明": note})
        uow.commit()
        return row.id


def withdraw_incident(*, actor: Actor, incident_id: int, version: int, reason: str) -> None:
    """Withdraw (撤销) an incident recorded in error; the record stays, marked, with the reason."""
    require(actor, "incidents.record")
    try:
        text = parse_text(reason, max_len=200)
    except FieldError as exc:
        raise ValidationError({"撤销原因": str(exc)}) from exc
    if not text:
        raise ValidationError({"撤销原因": "必须写明原因"})
    with unit_of_work() as uow:
        s = uow.session
        row = s.get(Incident, incident_id, with_for_update=True)
        if row is None:
            raise NotFound("没有这条奖惩记录")
        _require_in(staff_scope(actor), row.staff_id, "撤销其他部门员工的奖惩记录")
        if row.withdrawn:
            raise Conflict("这条奖惩记录已撤销")
        if row.version != version:
            raise StaleEdit()
        row.withdrawn = True
        row.withdrawn_reason = text
        s.flush()
        audit.record(s, actor, "withdraw", "incidents", row.id, {"withdrawn": False},
                     {"withdrawn": True, "撤销原因": text})
        uow.commit()


def incident_counts(session: Session, staff_ids: Sequence[int], period: Period) -> dict[int, dict[int, int]]:
    """staff id -> incident type id -> how many (not withdrawn) in the month."""
    first, last = _month_days(period)
    if not staff_ids:
        return {}
    out: dict[int, dict[int, int]] = {}
    for staff_id, type_id, n in session.execute(
            select(Incident.staff_id, Incident.incident_type_id, func.count())
            .where(Incident.staff_id.in_(list(staff_ids)), Incident.day >= first, Incident.day <= last,
                   Incident.withdrawn.is_(False)).group_by(Incident.staff_id, Incident.incident_type_id)):
        out.setdefault(staff_id, {})[type_id] = int(n)
    return out


def incidents_of(session: Session, staff_id: int, period: Period) -> list[dict[str, Any]]:
    """A person's incidents of the month (withdrawn ones too, marked), by day."""
    first, last = _month_days(period)
    rows = session.execute(select(Incident.id, Incident.version, Incident.day, IncidentType.name, IncidentType.kind,
                                  Incident.note, Incident.recorder_name, Incident.withdrawn,
                                  Incident.withdrawn_reason)
                           .join(IncidentType, IncidentType.id == Incident.incident_type_id)
                           .where(Incident.staff_id == staff_id, Incident.day >= first, Incident.day <= last)
                           .order_by(Incident.day, Incident.id)).all()
    return [{"id": i, "version": v, "day": d, "type": name, "kind": kind, "note": note, "recorded_by": by,
             "withdrawn": w, "withdrawn_reason": why} for i, v, d, name, kind, note, by, w, why in rows]


def list_incidents(*, actor: Actor, period: str, staff_id: int | None = None) -> pd.DataFrame:
    """The month's incidents of the staff in scope (withdrawn ones too, marked), newest first."""
    require(actor, "incidents.record")
    p = _period(period)
    first, last = _month_days(p)
    stmt: Select[*tuple[Any, ...]] = (
        select(Incident.id, Incident.version, Incident.day, Staff.staff_no, Staff.name, IncidentType.name,
               IncidentType.kind, Incident.note, Incident.recorder_name, Incident.recorded_at,
               Incident.withdrawn, Incident.withdrawn_reason)
        .join(Staff, Staff.id == Incident.staff_id)
        .join(IncidentType, IncidentType.id == Incident.incident_type_id)
        .where(Incident.day >= first, Incident.day <= last).order_by(Incident.day.desc(), Incident.id.desc()))
    stmt = _scoped(stmt, staff_scope(actor))
    if staff_id is not None:
        stmt = stmt.where(Incident.staff_id == staff_id)
    with read_session() as s:
        rows = s.execute(stmt).all()
    return pd.DataFrame([{"id": r[0], "version": r[1], "day": r[2], "staff_no": r[3], "name": r[4], "type": r[5],
                          "kind": r[6], "note": r[7], "recorded_by": r[8], "recorded_at": to_local(r[9]),
                          "status": "已撤销" if r[10] else "有效", "withdrawn_reason": r[11]} for r in rows],
                        columns=["id", "version", "day", "staff_no", "name", "type", "kind", "note", "recorded_by",
                                 "recorded_at", "status", "withdrawn_reason"])


def incident_type_options(*, actor: Actor, active_only: bool = True) -> dict[int, str]:
    """{id: '名称（惩罚/奖励）'} of incident types, for pickers."""
    require(actor, "appraisal.view")
    with read_session() as s:
        stmt = select(IncidentType.id, IncidentType.name, IncidentType.kind).order_by(IncidentType.kind,
                                                                                       IncidentType.id)
        if active_only:
            stmt = stmt.where(IncidentType.active.is_(True))
        return {i: f"{name}（{kind}）" for i, name, kind in s.execute(stmt)}
