"""Import staff records 员工档案 and attendance 考勤 from Excel, for the monthly appraisal.

Two imports, each a declaration over the import pipeline (services/platform/importing.py: `preview_*_import`
reads the workbook once and plans without writing; `commit_*_import` re-plans the same parsed rows inside ONE
`unit_of_work` and writes everything, or raises and writes nothing). This module gives their columns, row parsers,
plans and writers. `import_staff` and `import_attendance` do both (for scripts and `propdesk import
staff|attendance FILE`).

Invariants and decisions:
- Exact headers (the appraisal issue): staff 工号, 姓名, 部门, 岗位, 入职日期, 基本工资; attendance 工号, 姓名,
  日期, 迟到分钟, 早退分钟, 缺勤, 假别. Spaces and a required-mark * around a header are tolerated, other
  spellings are not; columns may stand in any order, other columns (序号, 备注...) are ignored; a title row
  above the header is allowed (services/platform/workbook.read_table). No header row: one whole-file problem naming
  the headers.
- All-or-nothing: every problem is listed at once, in Chinese, by Excel row (as Excel shows it) and column;
  a file with any problem writes nothing.
- The field rules and messages are services/appraisal/staff.py's (工号, 姓名, 岗位, 基本工资, the attendance rules,
  `check_attendance`, `employment_problem`); cells are read as workbook.py reads them (dates in every
  accepted spelling, money exact to the cent, full-width digits). Spaces padding a Chinese name (张　三, a
  habit for aligning names in Excel) are dropped.
- 工号 is matched without regard to case (MariaDB compares it so; one rule on every database).
- Staff: 部门 and 岗位 are names of an active department and post. A name that does not exist is listed in the
  preview as 将新建; without the caller's confirmation (`create_missing`: the wizard's checkbox, `propdesk import
  staff --create-missing`) every row naming one is a problem that names the missing value and the known ones;
  with it, the departments and posts are created (codes D01…/P01…, the next free) in the import's own
  transaction, each with its audit row, and need reference.edit as /admin does. A 工号 in the database updates that
  person's 姓名, 部门, 岗位, 入职日期 and 基本工资 (nothing else: 在职/离职 and 参与考核 stay as they are);
  a new 工号 creates the person 在职 and 参与考核. A new 入职日期 must not fall after the person's 离职日期 or
  after a day they already have attendance for. The same 工号 twice in a file is refused on the later row.
- Attendance: the 工号 must exist and 姓名 must be that person's name; the day must lie within their
  employment and not in the future; minutes are whole numbers 0–1440 (blank 0); 缺勤 是/否 (blank 否); 假别
  blank or a leave type; an absent day has no late or early minutes. An existing (工号, 日期) row is updated
  (its 备注 is kept), a new one is created; the same (工号, 日期) twice in a file is refused on the later row.
- Importing the same file again changes nothing and writes no audit row. An import that changes something
  writes one audit row (action "import") with the counts and, for changed records, before and after (the
  first 50: a TEXT column on MariaDB holds 64 KB).
- Permissions: staff need staff.manage within `staff.staff_scope` (a manager imports only their own
  department: a row naming another department, or a 工号 of another department's person, is a problem);
  attendance needs attendance.edit within `staff.attendance_scope` (the clerk everybody's, a manager their
  department's).
- Imports of one kind are serialised by a locked counter row (LOCK_STAFF, LOCK_ATTENDANCE) taken first in
  the writing transaction, so two imports of one file at once cannot both create the records.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import pandas as pd
from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Attendance, Department, Post, Staff
from services.appraisal import posts, staff
from services.platform import audit, importing
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.counters import advance
from services.platform.validate import FieldRule, parse_text
from services.platform.workbook import (
    Problem,
    Progress,
    RowCells,
    code,
    nfkc,
    parse_date,
    parse_money,
    plain,
)
from services.platform.workbook import template_bytes as workbook_template

GUIDE_SHEET = "说明"
STAFF_SHEET = "员工档案"
ATTENDANCE_SHEET = "考勤"
LOCK_STAFF = "import:staff"
LOCK_ATTENDANCE = "import:attendance"
YES, NO = "是", "否"
_AUDIT_DETAILS = 50
_CHUNK = 500

# (header, field, what the 说明 sheet says)
STAFF_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("工号", "staff_no", "必填。字母、数字和短横线，最多 16 位；系统中已有的工号更新该员工，新工号新增员工。"
                       "请把该列设为文本（模板已设好），否则 0012 会变成 12"),
    ("姓名", "name", "必填。最多 32 字"),
    ("部门", "department", "必填。系统中已有的部门名称；没有的部门可在导入时勾选“新建缺少的部门和岗位”一并新建"),
    ("岗位", "post", "必填。系统中已有的岗位名称（如 客服前台、物业管理员、收费员、维修工）；没有的岗位同上"),
    ("入职日期", "hired_on", "必填。如 2024-03-01、2024/3/1 或 2024年3月1日"),
    ("基本工资", "base_salary", "必填。元，不小于 0，最多两位小数，如 4000.00"),
)
ATTENDANCE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("工号", "staff_no", "必填。系统中已有员工的工号"),
    ("姓名", "name", "必填。须与该工号员工的姓名一致（防止填错工号）"),
    ("日期", "day", "必填。考勤日期，如 2025-03-03；须在该员工的任职期间内，不能是将来的日期"),
    ("迟到分钟", "late_minutes", "0 到 1440 的整数；留空为 0"),
    ("早退分钟", "early_minutes", "0 到 1440 的整数；留空为 0"),
    ("缺勤", "absent", "是/否；留空为否。缺勤且没有假别的按旷工计；缺勤的日期不能有迟到或早退分钟"),
    ("假别", "leave_type", "留空，或 " + "/".join(staff.LEAVE_TYPES)),
)
STAFF_HEADERS = tuple(h for h, _f, _help in STAFF_COLUMNS)
ATTENDANCE_HEADERS = tuple(h for h, _f, _help in ATTENDANCE_COLUMNS)
_STAFF_LABELS = {f: h for h, f, _help in STAFF_COLUMNS}
_ATTENDANCE_LABELS = {f: h for h, f, _help in ATTENDANCE_COLUMNS}


# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportCounts:
    rows: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0

    @property
    def changes(self) -> int:
        """How many records the import writes."""
        return self.new + self.changed

    def summary(self) -> str:
        return f"共 {self.rows} 行：新增 {self.new}、修改 {self.changed}、不变 {self.unchanged}"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class StaffImportCounts(ImportCounts):
    new_departments: tuple[str, ...] = ()  # named in the file, not in the database: 将新建
    new_posts: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"共 {self.rows} 行：新增员工 {self.new}、修改 {self.changed}、不变 {self.unchanged}"
        return text + "".join(f"；新建{label} {len(names)} 个（{'、'.join(names)}）"
                              for label, names in (("部门", self.new_departments), ("岗位", self.new_posts)) if names)

    @property
    def changes(self) -> int:
        return self.new + self.changed + len(self.new_departments) + len(self.new_posts)


@dataclass(frozen=True)
class AttendanceImportCounts(ImportCounts):
    people: int = 0  # staff the file's rows are for
    first_day: date | None = None
    last_day: date | None = None

    def summary(self) -> str:
        text = f"共 {self.rows} 行：新增考勤 {self.new} 天、修改 {self.changed} 天、不变 {self.unchanged} 天"
        if self.first_day is not None:
            span = (self.first_day.isoformat() if self.first_day == self.last_day
                    else f"{self.first_day.isoformat()} 至 {cast(date, self.last_day).isoformat()}")
            text += f"；涉及 {self.people} 人，{span}"
        return text


@dataclass(frozen=True)
class StaffRow:
    """One data row of a staff file after cell checks; the department still a name."""

    row: int
    staff_no: str
    name: str
    department: str
    post: str
    hired_on: date
    base_salary: Decimal


@dataclass(frozen=True)
class AttendanceRow:
    """One data row of an attendance file after cell checks; the person still a 工号 and a name."""

    row: int
    staff_no: str
    name: str
    day: date
    late_minutes: int
    early_minutes: int
    absent: bool
    leave_type: str  # '' for none


ImportPreview = importing.ImportPreview  # of StaffRow or AttendanceRow; `kind` says which


@dataclass(frozen=True)
class _New:
    """A department or post the import creates: its id is known once written."""

    name: str


@dataclass
class _Plan:
    problems: list[Problem] = field(default_factory=list)
    new: list[dict[str, Any]] = field(default_factory=list)  # column values of the records to create
    changed: list[tuple[int, dict[str, Any]]] = field(default_factory=list)  # (id, the new values)
    # record -> (before, after) as shown
    details: dict[str, tuple[dict[str, str], dict[str, str]]] = field(default_factory=dict)
    actions: dict[int, str] = field(default_factory=dict)  # Excel row -> 新增 / 修改：… / 不变
    counts: ImportCounts = field(default_factory=ImportCounts)
    new_departments: list[str] = field(default_factory=list)
    new_posts: list[str] = field(default_factory=list)


# --- reading cells -------------------------------------------------------------------------------


def _person_name(value: Any) -> str:
    """A name as written: spaces folded, none between Chinese characters (张　三 -> 张三)."""
    text = re.sub(r"\s+", " ", nfkc(plain(value)))
    return re.sub(r"(?<=[\u3400-\u9fff])\s+(?=[\u3400-\u9fff])", "", text)


def _same_name(a: str, b: str) -> bool:
    return re.sub(r"\s+", "", nfkc(a)).casefold() == re.sub(r"\s+", "", nfkc(b)).casefold()


def _rule(rule: FieldRule) -> Callable[[Any], Any]:
    """A staff.py field rule applied to a cell as text (full-width to half-width, 12.0 -> '12')."""
    return lambda value: rule.parse(code(value))


def _parse_staff_row(cells: RowCells, epoch: datetime) -> StaffRow | None:
    rules = staff._STAFF_CREATE_RULES.fields
    staff_no = cells.take("工号", _rule(rules["staff_no"]), required=True)
    name = cells.take("姓名", lambda v: rules["name"].parse(_person_name(v)), required=True)
    department = cells.take("部门", lambda v: parse_text(nfkc(plain(v)), max_len=64), required=True)
    post = cells.take("岗位", lambda v: parse_text(nfkc(plain(v)), max_len=32), required=True)
    hired_on = cells.take("入职日期", lambda v: parse_date(v, epoch), required=True)
    salary_rule = rules["base_salary"]
    salary = cells.take("基本工资", lambda v: parse_money(v, min_value=salary_rule.min_value,
                                                          max_value=salary_rule.max_value), required=True)
    if hired_on is not None:
        for label, message in staff._check_dates(hired_on, None).items():
            cells.problem(label, message)
    if not cells.ok:
        return None
    return StaffRow(cells.row, staff_no, name, department, post, hired_on, salary)


def _parse_attendance_row(cells: RowCells, epoch: datetime) -> AttendanceRow | None:
    rules = staff.ATTENDANCE_RULES.fields
    staff_no = cells.take("工号", _rule(staff._STAFF_CREATE_RULES.fields["staff_no"]), required=True)
    name = cells.take("姓名", _person_name, required=True)
    day = cells.take("日期", lambda v: parse_date(v, epoch), required=True)
    values = {
        "late_minutes": cells.take("迟到分钟", _rule(rules["late_minutes"]), default=0),
        "early_minutes": cells.take("早退分钟", _rule(rules["early_minutes"]), default=0),
        "absent": cells.take("缺勤", _rule(rules["absent"]), default=False),
        "leave_type": cells.take("假别", _rule(rules["leave_type"]), default=""),
    }
    for label, message in staff.check_attendance(values).items():  # a cell that could not be read counts as 0/否
        cells.problem(label, message)
    if not cells.ok:
        return None
    return AttendanceRow(cells.row, staff_no, name, day, **values)


# --- planning against the database ---------------------------------------------------------------


def _by_staff_no(session: Session) -> dict[str, staff.StaffInfo]:
    return {i.staff_no.casefold(): i for i in staff.staff_infos(session)}


def _compare(plan: _Plan, row: int, record_id: int, label: str, current: dict[str, Any], wanted: dict[str, Any],
             labels: dict[str, str], shown: Callable[[str, Any], str]) -> None:
    """Plan the change of an existing record to `wanted` (only the fields that differ), or note it unchanged."""
    diff = [k for k, v in wanted.items() if current[k] != v]
    if not diff:
        plan.actions[row] = "不变"
        return
    plan.changed.append((record_id, {k: wanted[k] for k in diff}))
    before = {labels[k]: shown(k, current[k]) for k in diff}
    after = {labels[k]: shown(k, wanted[k]) for k in diff}
    plan.details[label] = (before, after)
    plan.actions[row] = "修改：" + "、".join(f"{k} {before[k]} → {after[k]}" for k in before)


CREATE_MISSING = "create_missing"  # the import option that confirms creating missing departments and posts
CREATE_HINT = "勾选“新建缺少的部门和岗位”（命令行加 --create-missing）可在导入时一并新建"


def _missing(rows: Sequence[StaffRow], attr: str, known: Mapping[str, int]) -> list[str]:
    """Names in the file's rows that are not among `known`, in file order."""
    return list(dict.fromkeys(getattr(r, attr) for r in rows if getattr(r, attr) not in known))


def _plan_staff(session: Session, rows: Sequence[StaffRow], actor: Actor,
                scope: frozenset[int] | None, create_missing: bool) -> _Plan:
    """Match 工号s, resolve departments and posts, check scope and dates; what to create and what to change."""
    plan = _Plan()
    choices = staff.Choices.read(session)
    plan.new_departments = _missing(rows, "department", choices.departments)
    plan.new_posts = _missing(rows, "post", choices.posts)
    every_post = posts.post_ids(session)
    inactive = {name for name in plan.new_posts if name in every_post}
    every_department = set(session.scalars(select(Department.name)))
    inactive |= {name for name in plan.new_departments if name in every_department}
    plan.new_departments = [n for n in plan.new_departments if n not in every_department]
    plan.new_posts = [n for n in plan.new_posts if n not in every_post]
    creating = create_missing and can(actor, "reference.edit")
    departments: dict[str, int | _New] = {**choices.departments}
    post_ids: dict[str, int | _New] = {**choices.posts}
    if creating:
        departments.update((n, _New(n)) for n in plan.new_departments)
        post_ids.update((n, _New(n)) for n in plan.new_posts)
    names = {v: k for k, v in choices.departments.items()}
    post_names = {v: k for k, v in every_post.items()}
    known = _by_staff_no(session)
    own, own_name = None, ""
    if scope is not None and actor.staff_id is not None:
        own, own_name = session.execute(select(Staff.department_id, Department.name)
                                        .outerjoin(Department, Department.id == Staff.department_id)
                                        .where(Staff.id == actor.staff_id)).one_or_none() or (None, "")
    first_attendance = dict(session.execute(
        select(Attendance.staff_id, func.min(Attendance.day)).group_by(Attendance.staff_id)).all())
    seen: dict[str, int] = {}
    for r in rows:
        n_problems = len(plan.problems)
        info = known.get(r.staff_no.casefold())
        for label, name, known_ids in (("部门", r.department, departments), ("岗位", r.post, post_ids)):
            if name not in known_ids:
                plan.problems.append(Problem(r.row, label, _not_found(label, name, known_ids, inactive,
                                                                      create_missing)))
        department_id = departments.get(r.department)
        if scope is not None:
            if own is None:
                plan.problems.append(Problem(r.row, "部门", "您的账户没有关联员工档案或所属部门，不能导入员工"
                                                          "（请系统管理员在“用户”中关联）"))
            elif department_id is not None and department_id != own:
                plan.problems.append(Problem(r.row, "部门", f"只能导入本部门（{own_name}）的员工"))
            if info is not None and info.id not in scope:
                plan.problems.append(Problem(r.row, "工号", f"{r.staff_no} {info.name} 是其他部门（{info.department}）"
                                                          "的员工，不能修改"))
        if info is not None and info.left_on is not None and r.hired_on > info.left_on:
            plan.problems.append(Problem(r.row, "入职日期", f"不能晚于 {info.name} 的离职日期 {info.left_on}"))
        earliest = first_attendance.get(info.id) if info is not None else None
        if earliest is not None and r.hired_on > earliest:
            assert info is not None  # `earliest` is only looked up for a known person
            plan.problems.append(Problem(r.row, "入职日期", f"{info.name} 在 {earliest} 已有考勤，入职日期不能晚于该日"))
        key = r.staff_no.casefold()
        if key in seen:
            plan.problems.append(Problem(r.row, "工号", f"与第 {seen[key]} 行的工号相同"))
        seen.setdefault(key, r.row)
        if len(plan.problems) > n_problems:
            continue
        wanted = {"name": r.name, "department_id": department_id, "post_id": post_ids[r.post], "hired_on": r.hired_on,
                  "base_salary": r.base_salary}
        if info is None:
            plan.new.append({"staff_no": r.staff_no, **wanted})
            plan.actions[r.row] = "新增"
            continue
        current = {"name": info.name, "department_id": info.department_id, "post_id": info.post_id,
                   "hired_on": info.hired_on, "base_salary": info.base_salary}
        _compare(plan, r.row, info.id, info.staff_no, current, wanted,
                 _STAFF_LABELS | {"department_id": "部门", "post_id": "岗位"},
                 lambda k, v: _shown_ref(v, names if k == "department_id" else post_names)
                 if k in ("department_id", "post_id") else _shown(v))
    plan.counts = StaffImportCounts(rows=len(rows), new=len(plan.new), changed=len(plan.changed),
                                    unchanged=sum(1 for a in plan.actions.values() if a == "不变"),
                                    new_departments=tuple(plan.new_departments), new_posts=tuple(plan.new_posts))
    return plan


def _shown_ref(value: int | _New | None, names: Mapping[int, str]) -> str:
    if isinstance(value, _New):
        return f"{value.name}（新建）"
    return names.get(value, "") if value is not None else "（空）"


def _not_found(label: str, name: str, known: Mapping[str, int | _New], inactive: set[str],
               create_missing: bool) -> str:
    if name in inactive:
        return f"“{name}”已停用；请在“系统管理”中启用，或改用其他{label}"
    if create_missing:  # asked for, but the actor may not add reference rows
        return f"系统中没有{label}“{name}”；新建{label}需要维护基础资料的权限（系统管理员）"
    listed = [n for n, v in known.items() if not isinstance(v, _New)]
    if not listed:
        where = "系统管理 → 部门" if label == "部门" else "系统管理 → 岗位"
        return f"系统中还没有任何{label}（文件中为“{name}”）：请先在“{where}”中添加，或{CREATE_HINT}"
    return f"系统中没有{label}“{name}”（将新建，需确认）；已有：{'、'.join(listed)}。{CREATE_HINT}"


def _plan_attendance(session: Session, rows: Sequence[AttendanceRow], _actor: Actor,
                     scope: frozenset[int] | None) -> _Plan:
    """Match people and days; check names, employment and scope; what to create and what to change."""
    plan = _Plan()
    known = _by_staff_no(session)
    today = local_today()
    people = {known[r.staff_no.casefold()].id for r in rows if r.staff_no.casefold() in known}
    existing: dict[tuple[int, date], Row[int, int, date, int, int, bool, str]] = {}
    if people and rows:
        first, last = min(r.day for r in rows), max(r.day for r in rows)
        ids = sorted(people)
        for n in range(0, len(ids), _CHUNK):
            for a in session.execute(
                    select(Attendance.id, Attendance.staff_id, Attendance.day, Attendance.late_minutes,
                           Attendance.early_minutes, Attendance.absent, Attendance.leave_type)
                    .where(Attendance.staff_id.in_(ids[n:n + _CHUNK]), Attendance.day >= first,
                           Attendance.day <= last)):
                existing[(a.staff_id, a.day)] = a
    seen: dict[tuple[int, date], int] = {}
    for r in rows:
        info = known.get(r.staff_no.casefold())
        if info is None:
            plan.problems.append(Problem(r.row, "工号", f"系统中没有工号为 {r.staff_no} 的员工"))
            continue
        n_problems = len(plan.problems)
        if not _same_name(r.name, info.name):
            plan.problems.append(Problem(r.row, "姓名", f"工号 {info.staff_no} 的员工是“{info.name}”，"
                                                      f"文件中写的是“{r.name}”"))
        if scope is not None and info.id not in scope:
            plan.problems.append(Problem(r.row, "工号", f"{info.staff_no} {info.name} 是其他部门（{info.department}）"
                                                      "的员工，不能录入其考勤"))
        problem = staff.employment_problem(info, r.day, today=today)
        if problem:
            plan.problems.append(Problem(r.row, "日期", problem))
        key = (info.id, r.day)
        if key in seen:
            plan.problems.append(Problem(r.row, "日期", f"与第 {seen[key]} 行重复（同一工号、同一日期）"))
        seen.setdefault(key, r.row)
        if len(plan.problems) > n_problems:
            continue
        wanted = {"late_minutes": r.late_minutes, "early_minutes": r.early_minutes, "absent": r.absent,
                  "leave_type": r.leave_type}
        current = existing.get(key)
        if current is None:
            plan.new.append({"staff_id": info.id, "day": r.day, **wanted})
            plan.actions[r.row] = "新增"
            continue
        _compare(plan, r.row, current.id, f"{info.staff_no} {r.day}", {k: getattr(current, k) for k in wanted}, wanted,
                 _ATTENDANCE_LABELS, lambda _k, v: _shown(v))
    days = [r.day for r in rows]
    plan.counts = AttendanceImportCounts(
        rows=len(rows), new=len(plan.new), changed=len(plan.changed),
        unchanged=sum(1 for a in plan.actions.values() if a == "不变"),
        people=len({r.staff_no.casefold() for r in rows}), first_day=min(days, default=None),
        last_day=max(days, default=None))
    return plan


def _shown(value: Any) -> str:
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if value in ("", None):
        return "（空）"
    return str(value)


# --- the preview tables ----------------------------------------------------------------------------


def _staff_frame(rows: Sequence[StaffRow], plan: _Plan | None) -> pd.DataFrame:
    return pd.DataFrame([{"行号": r.row, "工号": r.staff_no, "姓名": r.name, "部门": r.department, "岗位": r.post,
                          "入职日期": r.hired_on.isoformat(), "基本工资": f"{r.base_salary:.2f}",
                          "处理": plan.actions.get(r.row, "") if plan else ""} for r in rows],
                        columns=["行号", *STAFF_HEADERS, "处理"])


def _attendance_frame(rows: Sequence[AttendanceRow], plan: _Plan | None) -> pd.DataFrame:
    return pd.DataFrame([{"行号": r.row, "工号": r.staff_no, "姓名": r.name, "日期": r.day.isoformat(),
                          "迟到分钟": r.late_minutes, "早退分钟": r.early_minutes, "缺勤": _shown(r.absent),
                          "假别": r.leave_type, "处理": plan.actions.get(r.row, "") if plan else ""} for r in rows],
                        columns=["行号", *ATTENDANCE_HEADERS, "处理"])


# --- the two imports -------------------------------------------------------------------------------


def _create_references(session: Session, actor: Actor, plan: _Plan) -> dict[str, Any]:
    """Create the departments and posts the staff rows name (confirmed by the caller), then point the rows at
    them; what the import's audit row says of them."""
    made: dict[str, dict[str, int]] = {}
    for key, entity, model, prefix, names in (
            ("department_id", "departments", Department, "D", plan.new_departments),
            ("post_id", "posts", Post, "P", plan.new_posts)):
        if not names:
            continue
        ids = posts.add_named(session, model, prefix, names)
        made[key] = ids
        for name, row_id in ids.items():
            row = session.get(model, row_id)
            audit.record(session, actor, "create", entity, row_id, None,
                         {"code": getattr(row, "code", ""), "name": name, "active": True})
    for values in [*plan.new, *(v for _id, v in plan.changed)]:
        for key, ids in made.items():
            if isinstance(values.get(key), _New):
                values[key] = ids[values[key].name]
    return {label: names for label, names in (("新建部门", plan.new_departments), ("新建岗位", plan.new_posts))
            if names}


def _writer(model: type[Staff] | type[Attendance], defaults: dict[str, Any],
            created: Callable[[_Plan], dict[str, Any]],
            prepare: Callable[[Session, Actor, _Plan], dict[str, Any]] | None = None,
            ) -> Callable[[Session, Actor, _Plan, Progress], importing.AuditEntry]:
    """The writer of one kind: `defaults` are the columns of a new record the file does not give; `prepare`
    writes what the records point at first and returns what the audit row says of it."""

    def write(session: Session, actor: Actor, plan: _Plan, progress: Progress) -> importing.AuditEntry:
        """Create the new records (executemany), change the others through the ORM (version-checked); the audit
        row has the counts and the changes (the first _AUDIT_DETAILS records: a TEXT column on MariaDB holds
        64 KB)."""
        progress(0.3, "正在写入…")
        prepared = prepare(session, actor, plan) if prepare is not None else {}
        rows = [{**values, **defaults, "version": 1} for values in plan.new]
        for n in range(0, len(rows), _CHUNK):
            session.execute(insert(model), rows[n:n + _CHUNK])
        ids = [record_id for record_id, _values in plan.changed]
        for n in range(0, len(ids), _CHUNK):  # into the session in chunks, so that get() below does not query
            session.scalars(select(model).where(model.id.in_(ids[n:n + _CHUNK]))).all()
        for record_id, values in plan.changed:
            record = session.get(model, record_id)
            for name, value in values.items():
                setattr(record, name, value)
        session.flush()
        shown = list(plan.details.items())[:_AUDIT_DETAILS]
        before = {label: b for label, (b, _a) in shown}
        after: dict[str, object] = {label: a for label, (_b, a) in shown}
        if len(plan.details) > len(shown):
            after["…"] = f"另有 {len(plan.details) - len(shown)} 条修改"
        return importing.AuditEntry(before={"修改": before} if before else None,
                                    after={**plan.counts.as_dict(), **prepared, **created(plan),
                                           **({"修改": after} if after else {})})

    return write


def _exact(headers: tuple[str, ...], sheet: str, template: str,
           parse_row: Callable[[RowCells, datetime], Any]) -> Callable[[importing.Source, Mapping[str, str], Progress],
                                                                       importing.Sheet[Any]]:
    return lambda source, _options, progress: importing.read_exact(
        source, headers=headers, sheet=sheet, template=template, parse_row=parse_row, progress=progress)


# the lock and the plans are looked up when called (tests replace `advance` and `local_today` here)
STAFF: importing.Import[StaffRow, _Plan] = importing.Import(
    key="staff", permission="staff.manage", entity="staff", scope=staff.staff_scope,
    lock=lambda s: advance(s, LOCK_STAFF),
    read=_exact(STAFF_HEADERS, STAFF_SHEET, "员工档案导入模板", _parse_staff_row),
    plan=lambda s, batch, _progress: _plan_staff(s, batch.rows, batch.actor, batch.scope,
                                                 batch.options.get(CREATE_MISSING) == "1"),
    frame=lambda rows, plan: _staff_frame(rows, plan), empty=lambda rows: StaffImportCounts(rows=rows),
    changes=lambda plan: plan.counts.changes,
    write=_writer(Staff, {"active": True, "appraised": True},
                  lambda plan: {"新增工号": [v["staff_no"] for v in plan.new][:_AUDIT_DETAILS]} if plan.new else {},
                  _create_references),
)
ATTENDANCE: importing.Import[AttendanceRow, _Plan] = importing.Import(
    key="attendance", permission="attendance.edit", entity="attendance", scope=staff.attendance_scope,
    lock=lambda s: advance(s, LOCK_ATTENDANCE),
    read=_exact(ATTENDANCE_HEADERS, ATTENDANCE_SHEET, "考勤导入模板", _parse_attendance_row),
    plan=lambda s, batch, _progress: _plan_attendance(s, batch.rows, batch.actor, batch.scope),
    frame=lambda rows, plan: _attendance_frame(rows, plan), empty=lambda rows: AttendanceImportCounts(rows=rows),
    changes=lambda plan: plan.counts.changes,
    write=_writer(Attendance, {"note": ""}, lambda _plan: {}),
)


def preview_staff_import(*, actor: Actor, source: bytes | str | Path | BinaryIO, progress: Progress | None = None,
                         create_missing: bool = False) -> ImportPreview[StaffRow]:
    """Read a staff workbook and show what importing it would do; writes nothing. `create_missing` confirms
    creating the departments and posts the file names that do not exist yet."""
    return importing.preview(STAFF, actor=actor, source=source, progress=progress,
                             options={CREATE_MISSING: "1"} if create_missing else {})


def commit_staff_import(*, actor: Actor, preview: ImportPreview[StaffRow],
                        progress: Progress | None = None) -> StaffImportCounts:
    """Write a previewed staff import in one transaction: every change, or nothing and a ValidationError."""
    # _plan_staff counts with StaffImportCounts
    return cast(StaffImportCounts, importing.commit(STAFF, actor=actor, preview=preview, progress=progress))


def import_staff(*, actor: Actor, source: bytes | str | Path | BinaryIO,
                 create_missing: bool = False) -> StaffImportCounts:
    """Preview and commit in one call (for scripts); raises ValidationError listing every problem."""
    return commit_staff_import(actor=actor, preview=preview_staff_import(actor=actor, source=source,
                                                                         create_missing=create_missing))


def preview_attendance_import(*, actor: Actor, source: bytes | str | Path | BinaryIO,
                              progress: Progress | None = None) -> ImportPreview[AttendanceRow]:
    """Read an attendance workbook and show what importing it would do; writes nothing."""
    return importing.preview(ATTENDANCE, actor=actor, source=source, progress=progress)


def commit_attendance_import(*, actor: Actor, preview: ImportPreview[AttendanceRow],
                             progress: Progress | None = None) -> AttendanceImportCounts:
    """Write a previewed attendance import in one transaction: every change, or nothing and a ValidationError."""
    # _plan_attendance counts with AttendanceImportCounts
    return cast(AttendanceImportCounts, importing.commit(ATTENDANCE, actor=actor, preview=preview, progress=progress))


def import_attendance(*, actor: Actor, source: bytes | str | Path | BinaryIO) -> AttendanceImportCounts:
    """Preview and commit in one call (for scripts); raises ValidationError listing every problem."""
    return commit_attendance_import(actor=actor, preview=preview_attendance_import(actor=actor, source=source))


# --- the templates ---------------------------------------------------------------------------------

_COMMON_RULES = (
    "表头须与模板一致（列的顺序不限，表头上方可以有标题行，其他列会被忽略）。",
    "导入前会先检查：列出每个问题所在的行号和列名。只要有一个问题，就什么都不会写入；改好后重新导入即可。",
    "同一文件再导入一次不会产生任何变化。",
)
_STAFF_RULES = (
    "每位员工一行。工号是员工的唯一标识：系统中已有的工号更新该员工的姓名、部门、岗位、入职日期和基本工资；"
    "新工号新增员工（在职、参与考核）。离职和是否参与考核请在员工档案中修改。",
    "同一个工号在文件中只能出现一次。部门和岗位须是系统中已有的；文件中有系统中没有的部门或岗位时，预览会列出“将新建”的名称，"
    "确认（勾选“新建缺少的部门和岗位”）后与员工档案一并新建。",
    "客服主管只能导入本部门的员工。",
    *_COMMON_RULES,
)
_ATTENDANCE_RULES = (
    "每人每天一行，只需填写有迟到、早退、缺勤或请假的日期（也可以整月填写）。工号和姓名须与员工档案一致。",
    "已有的考勤（同一工号、同一日期）按文件更新，备注保留；没有的新增。同一工号、同一日期在文件中只能出现一次。",
    "日期须在员工的入职日期和离职日期之间，不能是将来的日期。",
    "缺勤且没有假别的按旷工计；缺勤的日期不能有迟到或早退分钟。",
    "客服主管只能导入本部门员工的考勤；内勤可以导入所有员工的考勤。",
    *_COMMON_RULES,
)


def staff_template_bytes() -> bytes:
    """The staff template (.xlsx): sheet 员工档案 with the header row (部门 and 岗位 as drop-down lists), and 说明."""
    with read_session() as s:
        departments = tuple(staff._department_choices(s))
        post_names = tuple(posts.active_post_ids(s))
    lists: dict[str, Sequence[str]] = {"岗位": post_names} if post_names else {}
    if departments:
        lists["部门"] = departments
    return workbook_template(
        sheet=STAFF_SHEET, guide_sheet=GUIDE_SHEET, title="员工档案导入模板 说明", columns=STAFF_COLUMNS,
        required=STAFF_HEADERS, text_columns={"工号", "基本工资"}, lists=lists, widths={"部门": 16, "岗位": 14},
        rules=_STAFF_RULES, guide_heading="填写要求（每一列都必填）",
        example=("S001", "张伟", departments[0] if departments else "客服部", "客服前台", "2024-03-01", "4000.00"),
    )


def attendance_template_bytes() -> bytes:
    """The attendance template (.xlsx): sheet 考勤 with the header row (缺勤 and 假别 as drop-down lists), and 说明."""
    return workbook_template(
        sheet=ATTENDANCE_SHEET, guide_sheet=GUIDE_SHEET, title="考勤导入模板 说明", columns=ATTENDANCE_COLUMNS,
        required=("工号", "姓名", "日期"), text_columns={"工号"}, lists={"缺勤": (YES, NO), "假别": staff.LEAVE_TYPES},
        rules=_ATTENDANCE_RULES, guide_heading="填写要求（红色列名为必填列）",
        example=("S001", "张伟", "2025-03-03", 15, 0, NO, ""),
    )

