"""Import last year's ticket register 报事登记 from Excel, so history and the KPIs start on day one.

A declaration over the import pipeline (services/platform/importing.py): `preview_ticket_import` reads the
workbook once, checks every cell and plans the tickets against the database without writing;
`commit_ticket_import` re-plans the same parsed rows inside ONE `unit_of_work` and writes everything, or raises
and writes nothing. This module gives the register's columns, its row parser, its plan and its writer.
`import_tickets` does both (for scripts and `propdesk import tickets FILE`).

Invariants and decisions:
- All-or-nothing: every problem is listed at once, in Chinese, with the Excel row as Excel shows it
  (title and header rows count) and the column's header; a file with any problem writes nothing.
  Refused: an unknown 小区 or 房屋 (the import never creates estates or units: use the asset import),
  an unknown 类型/渠道/处理部门/回访方式/回访结果, a 受理/完成/回访 time in the future, a completion
  before receipt, a revisit before completion or without one, a revisit on a type whose SLA policy
  needs none, 有效投诉 on anything but a complaint, a staff name nobody has, a type with no SLA policy.
- Times are Asia/Shanghai wall-clock times and must carry the time of day (text with a date alone is
  refused; a date-formatted cell without a time reads as 00:00, Excel cannot tell us more).
- Staff columns (首问责任人, 处理人) may be empty. A name is looked up among users by username,
  display name, or the name or 工号 of the staff member linked to the account (active or not: history
  names people who have left). One user -> that user becomes first_responder_id / assignee_id. Several
  -> refused (write the username instead). None, but a staff member of that name or 工号 without a login
  -> accepted, the ids stay empty and the name is kept in the timeline (the event's actor and note).
  Nobody -> refused.
- Natural key: 小区 + 房屋 (or none) + 类型 + 受理时间 (to the second) + 内容 (as stored, trimmed). A row
  whose key is already in the database (imported before, or taken live) is skipped, never updated, so
  re-importing the same file creates nothing; the same key twice in one file is refused on the later
  row. Imports are serialised by a locked counter row ("import:tickets") taken first in the writing
  transaction, so two imports of one file at once cannot both create the tickets.
- Each new ticket gets a real number (type prefix + local receiving date + sequence) from
  `tickets.next_numbers`, the same counter rows as live intake, numbered in order of receipt: imported
  and live numbers never collide and stay gapless. The deadline comes from the type's general SLA
  policy in force at import (the register has no category), computed at the receiving time exactly as
  intake computes it (hours, or the close of the n-th working day from the holiday table); needs_revisit
  comes from the same policy (seed: 报修 and 投诉 yes; 咨询, 建议, 求助, 表扬 no).
- Status: not completed -> 处理中; completed and (revisited, or no revisit needed) -> 已关闭 (closed at the
  revisit, or at completion); completed, revisit needed, none done -> 待回访 with the revisit due. For a
  complaint the 完成时间 is the handling time (handled_at = completed_at). Revisits are due as live
  tickets compute them: repairs 24 hours after completion, complaints 3 working days after handling.
  A revisit done keeps method and result; who did it is unknown (done_by empty).
- 有效投诉 是/否 rules the complaint 有效/无效. The register says neither when nor who is responsible:
  ruled_at is the handling time (else the receiving time), so the month-end figures of the imported
  months include it; ruling_staff_id stays empty (a manager may rule again in the console).
- Every ticket gets its timeline as live tickets would: 受理 (-> 处理中; 派单 and 接单 were not recorded),
  完成, 待回访, 回访 or 关闭, 投诉定性, each at its real time, each note starting with IMPORT_MARK. The actor of
  受理 is the first responder and of 完成 the assignee when the file names them; otherwise the importing
  user. entered_at/entered_by say who imported it and when.
- Audit: one audit row per import that creates tickets (action "import", entity "tickets") with the
  counts; an import that creates nothing writes nothing, not even an audit row (as the asset import).
- Working days: deadlines and complaint revisits need the holiday table for the years the file spans. A
  year with no row in the table is first copied from chinese-calendar in the same transaction (as
  `propdesk init` does for the current years); a year the package does not know either counts weekends
  only, and the summary says so.
- Column 处理部门 left blank: 工程 for a repair, 客服 otherwise (the console's defaults).
"""

from __future__ import annotations

import re
from collections import Counter as Tally
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO, cast

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Building, Estate, Holiday, Revisit, Staff, Ticket, TicketEvent, Unit, User
from db.types import utcnow
from services.platform import importing
from services.platform.auth import Actor
from services.platform.clock import SHANGHAI
from services.platform.counters import advance
from services.platform.validate import FieldError, parse_text
from services.platform.workbook import (
    Problem,
    Progress,
    blank,
    code,
    nfkc,
    parse_contact_phone,
    parse_datetime,
    plain,
    split_unit_code,
)
from services.platform.workbook import template_bytes as workbook_template
from services.tickets import workdays
from services.tickets import workflow as tickets
from services.tickets.statuses import TicketStatus
from services.tickets.workdays import WorkCalendar

TEMPLATE_SHEET = "历史工单"
GUIDE_SHEET = "说明"
IMPORT_MARK = "【历史导入】"
LOCK_COUNTER = "import:tickets"
EFFECTIVE = {"是": True, "有效": True, "Y": True, "YES": True, "否": False, "无效": False, "N": False, "NO": False}
_LOOKS_LIKE_DATE = "被 Excel 当成了日期，请把该列设为文本后重新填写"

# (header, field, what the 说明 sheet says)
TICKET_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("小区", "estate", "必填。系统中已有的小区名称（或小区编码）；导入不会新建小区"),
    ("房屋", "unit", "房屋编号 楼栋-单元-房号，如 1-1-101（也可写 1栋1单元101）；须是该小区已有的房屋。"
                   "报修和投诉必填，其他类型可留空"),
    ("类型", "ticket_type", "必填。" + "/".join(tickets.TYPES)),
    ("渠道", "channel", "必填。" + "/".join(tickets.CHANNELS)),
    ("报事人", "caller_name", "报事人姓名，最多 64 字"),
    ("联系电话", "caller_phone", "11 位手机号，或带区号的固定电话（如 020-12345678）"),
    ("内容", "content", "必填。报事内容，最多 1000 字"),
    ("受理时间", "received_at", "必填。写到分钟，如 2025-03-01 09:30、2025/3/1 9:30、2025年3月1日 9时30分；不能晚于现在"),
    ("首问责任人", "first_responder", "可留空。用户名、用户姓名，或员工姓名/工号；同名的用户请写用户名"),
    ("处理部门", "department", "/".join(tickets.DEPARTMENTS) + "；留空时报修为工程，其他为客服"),
    ("处理人", "assignee", "可留空。写法同首问责任人"),
    ("完成时间", "completed_at", "处理完成的时间（投诉填处理回复的时间）；未完成的留空；不能早于受理时间"),
    ("回访时间", "revisit_at", "只有需要回访的类型（报修、投诉）填写；须已完成，不能早于完成时间"),
    ("回访方式", "revisit_method", "/".join(tickets.REVISIT_METHODS) + "；有回访时间时必填"),
    ("回访结果", "revisit_result", "/".join(tickets.REVISIT_RESULTS) + "；有回访时间时必填"),
    ("有效投诉", "effective", "只用于投诉：是/否；留空为未定性"),
)
COLUMNS = {h: f for h, f, _ in TICKET_COLUMNS}
HEADER_OF = {f: h for h, f, _ in TICKET_COLUMNS}
REQUIRED_COLUMNS = ("小区", "房屋", "类型", "渠道", "内容", "受理时间")
SIGNATURE = ("类型", "内容", "受理时间")
ALIASES = {
    "工单类型": "类型", "报事类型": "类型", "房号": "房屋", "房屋编号": "房屋", "报事渠道": "渠道", "来源": "渠道",
    "联系人": "报事人", "报事人电话": "联系电话", "电话": "联系电话", "手机号": "联系电话", "报事内容": "内容",
    "报事时间": "受理时间", "首问人": "首问责任人", "部门": "处理部门", "处理时间": "完成时间",
    "是否有效投诉": "有效投诉",
}

# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketImportCounts:
    rows: int = 0
    new: int = 0
    existing: int = 0
    closed: int = 0
    awaiting_revisit: int = 0
    in_progress: int = 0
    holiday_years: tuple[int, ...] = ()  # years whose holidays are copied from chinese-calendar first
    weekend_only_years: tuple[int, ...] = ()  # years neither the table nor the package knows

    def summary(self) -> str:
        text = (f"共 {self.rows} 行：新增工单 {self.new}（已关闭 {self.closed}、待回访 {self.awaiting_revisit}、"
                f"处理中 {self.in_progress}），已存在而跳过 {self.existing}")
        if self.new and self.holiday_years:
            text += f"；节假日表补入 {'、'.join(map(str, self.holiday_years))} 年（取自 chinese-calendar）"
        if self.new and self.weekend_only_years:
            text += (f"；注意：{'、'.join(map(str, self.weekend_only_years))} 年没有节假日资料，"
                     "工作日按周一至周五计算")
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "new": self.new, "existing": self.existing, "closed": self.closed,
                "awaiting_revisit": self.awaiting_revisit, "in_progress": self.in_progress,
                "holiday_years": list(self.holiday_years), "weekend_only_years": list(self.weekend_only_years)}


@dataclass(frozen=True)
class TicketRow:
    """One data row after cell checks (times aware, Asia/Shanghai); staff names still unresolved."""

    row: int
    estate: str
    unit: str  # '' when blank
    ticket_type: str
    channel: str
    caller_name: str
    caller_phone: str
    content: str
    received_at: datetime
    first_responder: str
    department: str
    assignee: str
    completed_at: datetime | None
    revisit_at: datetime | None
    revisit_method: str
    revisit_result: str
    effective: bool | None


TicketImportPreview = importing.ImportPreview  # of TicketRow


# --- reading the workbook ------------------------------------------------------------------------


def _choice(value: Any, choices: Sequence[str]) -> str:
    text = code(value)
    match = next((c for c in choices if c.casefold() == text.casefold()), None)  # app -> APP
    if match is None:
        raise FieldError("应为以下之一：" + "、".join(choices))
    return match


def _name(value: Any, max_len: int) -> str:
    return parse_text(re.sub(r"\s+", " ", nfkc(plain(value))), max_len=max_len)


def _unit_text(value: Any) -> str:
    if isinstance(value, datetime):  # 1-1-10 typed into a General cell becomes 2010-01-01
        raise FieldError(_LOOKS_LIKE_DATE)
    text = code(value)
    if len(text) > 40:
        raise FieldError("不能超过 40 个字符")
    return text


def _effective(value: Any) -> bool:
    text = code(value).upper()
    if text not in EFFECTIVE:
        raise FieldError("应为 是 或 否")
    return EFFECTIVE[text]


LAYOUT = importing.Layout(key="template", label="历史工单登记表", columns=COLUMNS, aliases=ALIASES,
                          signature=SIGNATURE, required=REQUIRED_COLUMNS)


def _read(source: importing.Source, progress: Progress) -> importing.Sheet[TicketRow]:
    """Find the register's header and check every cell (no database)."""
    now = utcnow()
    return importing.read_layout(
        source, layouts=(LAYOUT,), sheets=(TEMPLATE_SHEET,), guide_sheet=GUIDE_SHEET,
        no_header="没有找到表头。请使用历史工单导入模板（含 小区、房屋、类型、渠道、内容、受理时间 等列）",
        prepare=lambda header: (header, importing.missing_columns(header)),
        parse_row=lambda _header, row, cells, epoch, problems: _parse_row(row, cells, epoch, now, problems),
        progress=progress)


def _parse_row(row: int, cells: dict[str, Any], epoch: datetime, now: datetime,
               problems: list[Problem]) -> TicketRow | None:
    n_problems = len(problems)

    def take(fld: str, parse: Callable[[Any], object], *, required: bool = False, default: Any = None) -> Any:
        value = cells.get(fld)
        if blank(value):
            if required:
                problems.append(Problem(row, HEADER_OF[fld], "必填"))
            return default
        try:
            return parse(value)
        except FieldError as exc:
            problems.append(Problem(row, HEADER_OF[fld], str(exc)))
            return default

    def moment(fld: str, *, required: bool = False) -> datetime | None:
        local: datetime | None = take(fld, lambda v: parse_datetime(v, epoch), required=required)
        if local is None:
            return None
        at = local.replace(tzinfo=SHANGHAI)
        if at.year < 2000:
            problems.append(Problem(row, HEADER_OF[fld], f"年份有误（{_show(at)}），应为 2000 年以后"))
            return None
        if at > now + timedelta(minutes=1):
            problems.append(Problem(row, HEADER_OF[fld], f"不能晚于现在（{_show(at)}）"))
            return None
        return at

    estate = take("estate", lambda v: _name(v, 64), required=True, default="")
    unit = take("unit", _unit_text, default="")
    ticket_type = take("ticket_type", lambda v: _choice(v, tickets.TYPES), required=True)
    if unit == "" and ticket_type in ("报修", "投诉") and blank(cells.get("unit")):
        problems.append(Problem(row, HEADER_OF["unit"], "报修和投诉必须填写房屋"))
    channel = take("channel", lambda v: _choice(v, tickets.CHANNELS), required=True)
    caller_name = take("caller_name", lambda v: _name(v, 64), default="")
    caller_phone = take("caller_phone", parse_contact_phone, default="")
    content = take("content", lambda v: parse_text(plain(v), max_len=1000), required=True, default="")  # as written
    received_at = moment("received_at", required=True)
    first_responder = take("first_responder", lambda v: _name(v, 32), default="")
    department = take("department", lambda v: _choice(v, tickets.DEPARTMENTS), default="")
    if not department:
        department = "工程" if ticket_type == "报修" else "客服"
    assignee = take("assignee", lambda v: _name(v, 32), default="")
    completed_at = moment("completed_at")
    revisit_at = moment("revisit_at")
    method = take("revisit_method", lambda v: _choice(v, tickets.REVISIT_METHODS), default="")
    result = take("revisit_result", lambda v: _choice(v, tickets.REVISIT_RESULTS), default="")
    effective = take("effective", _effective)

    # rules between cells (only between cells that were read without a problem)
    if received_at is not None and completed_at is not None and completed_at < received_at:
        problems.append(Problem(row, HEADER_OF["completed_at"], f"不能早于受理时间（{_show(received_at)}）"))
    has_revisit = not blank(cells.get("revisit_at"))
    if has_revisit:
        if blank(cells.get("completed_at")):
            problems.append(Problem(row, HEADER_OF["revisit_at"], "工单没有完成时间，不能有回访（请填写完成时间，"
                                                                  "或清空回访各列）"))
        elif revisit_at is not None and completed_at is not None and revisit_at < completed_at:
            problems.append(Problem(row, HEADER_OF["revisit_at"], f"不能早于完成时间（{_show(completed_at)}）"))
        for fld in ("revisit_method", "revisit_result"):
            if blank(cells.get(fld)):
                problems.append(Problem(row, HEADER_OF[fld], "有回访时间时必填"))
    else:
        for fld in ("revisit_method", "revisit_result"):
            if not blank(cells.get(fld)):
                problems.append(Problem(row, HEADER_OF["revisit_at"], f"填写了{HEADER_OF[fld]}，请同时填写回访时间"))
                break
    if not blank(cells.get("effective")) and ticket_type is not None and ticket_type != "投诉":
        problems.append(Problem(row, HEADER_OF["effective"], f"只有投诉可以填写（本行是{ticket_type}）"))
    if len(problems) > n_problems or ticket_type is None or received_at is None:
        return None
    return TicketRow(row=row, estate=estate, unit=unit, ticket_type=ticket_type, channel=channel,
                     caller_name=caller_name, caller_phone=caller_phone, content=content, received_at=received_at,
                     first_responder=first_responder, department=department, assignee=assignee,
                     completed_at=completed_at, revisit_at=revisit_at, revisit_method=method,
                     revisit_result=result, effective=effective)


def _show(at: datetime) -> str:
    return at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")


# --- planning against the database ---------------------------------------------------------------


@dataclass(frozen=True)
class _Person:
    user_id: int | None
    name: str


@dataclass
class _Draft:
    """A row resolved against the database, ready to be written."""

    row: TicketRow
    estate_id: int
    unit_id: int | None
    first_responder: _Person | None
    assignee: _Person | None
    policy_unit: str
    policy_amount: int
    needs_revisit: bool
    status: str = ""


@dataclass
class _Plan:
    problems: list[Problem] = field(default_factory=list)
    new: list[_Draft] = field(default_factory=list)
    existing_rows: set[int] = field(default_factory=set)
    statuses: dict[int, str] = field(default_factory=dict)  # row -> derived status of a new ticket
    # type -> (unit, amount, needs revisit)
    policies: dict[str, tuple[str, int, bool] | None] = field(default_factory=dict)
    counts: TicketImportCounts = field(default_factory=TicketImportCounts)


def _status(r: TicketRow, needs_revisit: bool) -> str:
    if r.completed_at is None:
        return TicketStatus.IN_HAND
    if not needs_revisit or r.revisit_at is not None:
        return TicketStatus.CLOSED
    return TicketStatus.AWAITING_REVISIT


class _People:
    """Users and staff, looked up by username, display name, staff name or 工号 (case-insensitive)."""

    def __init__(self, session: Session):
        self.users: dict[str, dict[int, tuple[str, str]]] = {}  # key -> user id -> (username, display name)
        self.staff: dict[str, str] = {}  # key -> staff name (staff without a login)
        staff_rows = session.execute(select(Staff.id, Staff.name, Staff.staff_no)).all()
        staff_by_id = {s.id: s for s in staff_rows}
        with_login = set()
        for u in session.execute(select(User.id, User.username, User.display_name, User.staff_id)).all():
            keys = {u.username, u.display_name}
            if u.staff_id in staff_by_id:
                with_login.add(u.staff_id)
                keys |= {staff_by_id[u.staff_id].name, staff_by_id[u.staff_id].staff_no}
            for k in keys:
                if k:
                    self.users.setdefault(k.casefold(), {})[u.id] = (u.username, u.display_name)
        for s in staff_rows:
            if s.id not in with_login:
                for k in (s.name, s.staff_no):
                    if k:
                        self.staff.setdefault(k.casefold(), s.name)

    def find(self, name: str) -> _Person | str:
        """The person, or a Chinese message saying why not."""
        users = self.users.get(name.casefold(), {})
        if len(users) == 1:
            [(user_id, (_username, display))] = users.items()
            return _Person(user_id, display)
        if users:
            logins = "、".join(sorted(u for u, _d in users.values()))
            return f"有 {len(users)} 位用户都叫“{name}”（用户名 {logins}），请改写为用户名"
        if name.casefold() in self.staff:
            return _Person(None, self.staff[name.casefold()][:32])
        return f"系统中没有“{name}”这位用户或员工（按用户名、姓名或工号查找）"


def _key(estate_id: int, unit_id: int | None, ticket_type: str, received_at: datetime,
         content: str) -> tuple[int, int, str, datetime, str]:
    return estate_id, unit_id or 0, ticket_type, received_at.astimezone(UTC), content


def _unknown_estate(r: TicketRow) -> Problem:
    return Problem(r.row, "小区", f"系统中没有“{r.estate}”这个小区（请先在基础资料或资产导入中建立）")


def _plan(session: Session, rows: Sequence[TicketRow], progress: Progress) -> _Plan:
    """Resolve estates, units, staff and policies; find tickets already in the database."""
    plan = _Plan()
    progress(0.0, "正在比对小区和房屋…")
    estates: dict[str, int] = {}
    for e in session.execute(select(Estate.id, Estate.code, Estate.name)).all():
        estates.setdefault(e.name.casefold(), e.id)
        estates.setdefault(e.code.casefold(), e.id)
    wanted = {estates[r.estate.casefold()] for r in rows if r.estate.casefold() in estates}
    units_by_code: dict[tuple[int, str], int] = {}
    units_by_parts: dict[tuple[int, tuple[str, str, str]], int] = {}
    unit_rows = session.execute(
        select(Unit.id, Unit.estate_id, Building.code, Unit.unit_no, Unit.room_no)
        .join(Building, Building.id == Unit.building_id).where(Unit.estate_id.in_(sorted(wanted) or [-1]))).all()
    for u in unit_rows:
        units_by_code[(u.estate_id, f"{u.code}-{u.unit_no}-{u.room_no}".casefold())] = u.id
        units_by_parts[(u.estate_id, (u.code.casefold(), u.unit_no.casefold(), u.room_no.casefold()))] = u.id
    progress(0.3, "正在比对员工…")
    people = _People(session)
    policies: dict[str, tuple[str, int, bool] | None] = {}
    for ticket_type in sorted({r.ticket_type for r in rows}):
        p = tickets._sla(session, ticket_type, None)
        policies[ticket_type] = None if p is None else (p.unit, p.amount, p.needs_revisit)
    plan.policies = policies
    progress(0.5, "正在查找已导入的工单…")
    existing: set[tuple[int, int, str, datetime, str]] = set()
    if rows and wanted:
        first = min(r.received_at for r in rows)
        last = max(r.received_at for r in rows)
        for t in session.execute(
                select(Ticket.estate_id, Ticket.unit_id, Ticket.ticket_type, Ticket.received_at, Ticket.content)
                .where(Ticket.estate_id.in_(sorted(wanted)), Ticket.received_at >= first,
                       Ticket.received_at <= last)).all():
            existing.add(_key(t.estate_id, t.unit_id, t.ticket_type, t.received_at, t.content))
    progress(0.7, "正在核对每一行…")
    seen: dict[tuple[int, int, str, datetime, str], int] = {}
    statuses: Tally[str] = Tally()
    for r in rows:
        n_problems = len(plan.problems)
        estate_id = estates.get(r.estate.casefold())
        if estate_id is None:
            plan.problems.append(_unknown_estate(r))
        unit_id = None
        if r.unit and estate_id is not None:
            unit_id = units_by_code.get((estate_id, r.unit.casefold()))
            parts = split_unit_code(r.unit)
            if unit_id is None and parts is not None:
                unit_id = units_by_parts.get((estate_id, parts))
            if unit_id is None:
                hint = "" if parts is not None else "（房屋编号应为 楼栋-单元-房号，如 1-1-101）"
                plan.problems.append(Problem(r.row, "房屋", f"“{r.estate}”没有房屋 {r.unit}{hint}"))
        found: dict[str, _Person | None] = {}
        for fld in ("first_responder", "assignee"):
            name = getattr(r, fld)
            person = people.find(name) if name else None
            if isinstance(person, str):
                plan.problems.append(Problem(r.row, HEADER_OF[fld], person))
                person = None
            found[fld] = person
        policy = policies.get(r.ticket_type)
        if policy is None:
            plan.problems.append(Problem(r.row, "类型", f"没有“{r.ticket_type}”的时限规定，请系统管理员先设置"))
        elif r.revisit_at is not None and not policy[2]:
            plan.problems.append(Problem(r.row, "回访时间", f"{r.ticket_type}不需要回访（按时限规定），请清空回访各列"))
        if len(plan.problems) > n_problems:
            continue
        assert estate_id is not None and policy is not None  # either missing added a problem just above
        key = _key(estate_id, unit_id, r.ticket_type, r.received_at, r.content)
        if key in seen:
            plan.problems.append(Problem(r.row, "受理时间", f"与第 {seen[key]} 行是同一张工单（小区、房屋、类型、受理时间、"
                                                        "内容都相同）"))
            continue
        seen[key] = r.row
        if key in existing:
            plan.existing_rows.add(r.row)
            continue
        draft = _Draft(row=r, estate_id=estate_id, unit_id=unit_id, first_responder=found["first_responder"],
                       assignee=found["assignee"], policy_unit=policy[0], policy_amount=policy[1],
                       needs_revisit=policy[2], status=_status(r, policy[2]))
        plan.new.append(draft)
        plan.statuses[r.row] = draft.status
        statuses[draft.status] += 1
    holiday_years, weekend_only = _holiday_years(session, [d.row for d in plan.new], policies)
    plan.counts = TicketImportCounts(rows=len(rows), new=len(plan.new), existing=len(plan.existing_rows),
                                     closed=statuses[TicketStatus.CLOSED], awaiting_revisit=statuses[TicketStatus.AWAITING_REVISIT],
                                     in_progress=statuses[TicketStatus.IN_HAND], holiday_years=holiday_years,
                                     weekend_only_years=weekend_only)
    progress(1.0, "比对完毕")
    return plan


def _plan_in_scope(session: Session, batch: importing.Batch[TicketRow], progress: Progress) -> _Plan:
    """_plan of the rows of the importing user's estates; a row of another estate is refused with the words of an
    unknown estate (no existence leak) and counted in the preview's rows."""
    estate_ids = batch.actor.estate_ids
    if estate_ids is None:
        return _plan(session, batch.rows, progress)
    theirs = set()
    for estate_code, name in session.execute(select(Estate.code, Estate.name).where(Estate.id.in_(sorted(estate_ids)))):
        theirs |= {estate_code.casefold(), name.casefold()}
    inside = [r for r in batch.rows if r.estate.casefold() in theirs]
    plan = _plan(session, inside, progress)
    for r in batch.rows:
        if r.estate.casefold() not in theirs:
            plan.problems.append(_unknown_estate(r))
    plan.counts = replace(plan.counts, rows=len(batch.rows))
    return plan


def _preview_frame(rows: Sequence[TicketRow], plan: _Plan | None) -> pd.DataFrame:
    records = []
    for r in rows:
        if plan is None or (r.row not in plan.statuses and r.row not in plan.existing_rows):
            action, status = "", ""
        elif r.row in plan.existing_rows:
            action, status = "已存在，跳过", ""
        else:
            action, status = "新增", plan.statuses[r.row]
        records.append({"行号": r.row, "小区": r.estate, "房屋": r.unit, "类型": r.ticket_type,
                        "受理时间": _show(r.received_at), "内容": r.content[:40], "状态": status, "处理": action})
    return pd.DataFrame(records, columns=["行号", "小区", "房屋", "类型", "受理时间", "内容", "状态", "处理"])


def preview_ticket_import(*, actor: Actor, source: bytes | str | Path | BinaryIO,
                          progress: Progress | None = None) -> TicketImportPreview[TicketRow]:
    """Read a ticket register and show what importing it would do; writes nothing."""
    return importing.preview(TICKETS, actor=actor, source=source, progress=progress)


# --- writing -------------------------------------------------------------------------------------


def _lock_imports(session: Session) -> None:
    """Take (create or advance) the import counter row: a second import waits here until this one ends."""
    advance(session, LOCK_COUNTER)


def _span(rows: Sequence[TicketRow], policies: dict[str, tuple[str, int, bool] | None]) -> tuple[date, date]:
    """The local days a working-day calendar must cover for every deadline and revisit due time of the rows
    (as wide as workdays.calendar_for makes it for one deadline)."""
    moments = [r.received_at for r in rows] + [r.completed_at for r in rows if r.completed_at]
    longest = max([p[1] for p in policies.values() if p is not None and p[0] != "hours"]
                  + [tickets.COMPLAINT_REVISIT_WORKING_DAYS])
    first = min(moments).astimezone(SHANGHAI).date()
    last = max(moments).astimezone(SHANGHAI).date()
    return first, last + timedelta(days=longest * 3 + 40)


def _holiday_years(session: Session, rows: Sequence[TicketRow],
                   policies: dict[str, tuple[str, int, bool] | None]
                   ) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """(years to copy from chinese-calendar, years nobody knows) among the years the file's deadlines touch
    that have no row in the holiday table."""
    if not rows:
        return (), ()
    first, last = _span(rows, policies)
    covered = {d.year for d in session.scalars(
        select(Holiday.day).where(Holiday.day >= date(first.year, 1, 1), Holiday.day <= date(last.year, 12, 31)))}
    missing = [y for y in range(first.year, last.year + 1) if y not in covered]
    return (tuple(y for y in missing if workdays.package_covers(y)),
            tuple(y for y in missing if not workdays.package_covers(y)))


def _calendar(session: Session, plan: _Plan,
              policies: dict[str, tuple[str, int, bool] | None]) -> WorkCalendar:
    """Copy missing years' holidays into the table (as `propdesk init` does for the current years), then one
    calendar over the whole span, read in this transaction."""
    for year in plan.counts.holiday_years:
        session.add_all(Holiday(source="chinese-calendar", **row) for row in workdays.calendar_deviations(year))
    session.flush()
    first, last = _span([d.row for d in plan.new], policies)
    rows = session.execute(select(Holiday.day, Holiday.is_workday)
                           .where(Holiday.day >= first, Holiday.day <= last)).all()
    return WorkCalendar(dict(rows))


def _write(session: Session, actor: Actor, plan: _Plan, progress: Progress) -> importing.AuditEntry:
    """Number and add the new tickets (in order of receipt), their timelines and revisits; the import's audit row."""
    now = utcnow()
    drafts = sorted(plan.new, key=lambda d: (d.row.received_at, d.row.row))
    cal = _calendar(session, plan, plan.policies)
    made: list[tuple[_Draft, Ticket]] = []
    # each day's numbers of a type in one counter step, handed out in order of receipt (as one by one would)
    per_day = Tally(tickets.number_day(d.row.ticket_type, d.row.received_at) for d in drafts)
    numbers: dict[str, Iterator[str]] = {}
    for d in drafts:
        day = tickets.number_day(d.row.ticket_type, d.row.received_at)
        if day not in numbers:
            numbers[day] = iter(tickets.next_numbers(session, d.row.ticket_type, d.row.received_at, per_day[day]))
    step = max(1, len(drafts) // 20)
    for i, d in enumerate(drafts):
        if i % step == 0:
            progress(0.3 + 0.4 * i / len(drafts), f"正在编号并写入工单（{i}/{len(drafts)}）…")
        r = d.row
        if d.policy_unit == "hours":
            deadline_at = r.received_at + timedelta(hours=d.policy_amount)
        else:
            deadline_at = cal.deadline_after(r.received_at, d.policy_amount)
        closed_at = None
        if d.status == TicketStatus.CLOSED:
            closed_at = r.revisit_at if r.revisit_at is not None else r.completed_at
        ruling, ruled_at = "", None
        if r.effective is not None:
            ruling = "有效" if r.effective else "无效"
            ruled_at = r.completed_at or r.received_at
        ticket = Ticket(
            number=next(numbers[tickets.number_day(r.ticket_type, r.received_at)]), ticket_type=r.ticket_type,
            channel=r.channel, estate_id=d.estate_id, unit_id=d.unit_id, caller_name=r.caller_name,
            caller_phone=r.caller_phone, content=r.content, category_id=None, urgency="普通",
            received_at=r.received_at, entered_at=now, entered_by=actor.user_id,
            first_responder_id=d.first_responder.user_id if d.first_responder else None,
            department=r.department, assignee_id=d.assignee.user_id if d.assignee else None, status=d.status,
            deadline_at=deadline_at, handled_at=r.completed_at if r.ticket_type == "投诉" else None,
            completed_at=r.completed_at, closed_at=closed_at, needs_revisit=d.needs_revisit,
            ruling=ruling, ruled_at=ruled_at,
        )
        made.append((d, ticket))
    session.add_all([t for _d, t in made])
    progress(0.7, "正在写入处理过程和回访…")
    session.flush()
    events: list[TicketEvent] = []
    revisits: list[Revisit] = []
    for d, t in made:
        r = d.row

        def event(kind: str, at: datetime, before: str, after: str, note: str, who: _Person | None = None,
                  ticket_id: int = t.id) -> None:
            user_id, name = (who.user_id, who.name) if who else (actor.user_id, actor.display_name)
            events.append(TicketEvent(ticket_id=ticket_id, at=at, actor_user_id=user_id, actor_name=name[:32],
                                      kind=kind, status_from=before, status_to=after,
                                      note=(IMPORT_MARK + note)[:1000]))

        responder = f"；首问责任人 {_who(d.first_responder)}" if d.first_responder else ""
        event("create", r.received_at, "", TicketStatus.IN_HAND,
              f"{r.channel}受理{responder}；派单、接单过程未记录；{actor.display_name} 于 {_show(now)} 导入",
              d.first_responder)
        status = TicketStatus.IN_HAND
        if r.completed_at is not None:
            handler = f"；处理人 {_who(d.assignee)}" if d.assignee else ""
            event("complete", r.completed_at, TicketStatus.IN_HAND, TicketStatus.COMPLETED, f"处理部门 {r.department}{handler}", d.assignee)
            if d.needs_revisit:
                event("revisit_due", r.completed_at, TicketStatus.COMPLETED, TicketStatus.AWAITING_REVISIT, "")
                status = TicketStatus.AWAITING_REVISIT
                due_at = _revisit_due(cal, r)
                revisit = Revisit(ticket_id=t.id, due_at=due_at)
                if r.revisit_at is not None:
                    revisit.done_at, revisit.method, revisit.result = r.revisit_at, r.revisit_method, r.revisit_result
                revisits.append(revisit)
            else:
                event("close", r.completed_at, TicketStatus.COMPLETED, TicketStatus.CLOSED, "无需回访，完成即关闭")
                status = TicketStatus.CLOSED
        if t.ruled_at is not None:
            event("rule", t.ruled_at, status, status, f"定性为{t.ruling}（登记表未写明责任人）")
        if r.revisit_at is not None:
            event("revisit", r.revisit_at, TicketStatus.AWAITING_REVISIT, TicketStatus.CLOSED, f"{r.revisit_method}回访：{r.revisit_result}")
    session.add_all(events)
    session.add_all(revisits)
    progress(0.9, "正在写入操作日志…")
    received = [d.row.received_at for d in drafts]
    return importing.AuditEntry({
        **plan.counts.as_dict(), "received_from": min(received), "received_to": max(received),
        "numbers": [t.number for _d, t in made][:3] + (["…"] if len(made) > 3 else []),
    })


def _who(person: _Person) -> str:
    return person.name if person.user_id is not None else f"{person.name}（无登录账号）"


def _revisit_due(cal: WorkCalendar, r: TicketRow) -> datetime:
    """As tickets._revisit_due: complaints 3 working days after handling, others 24 hours after completion."""
    # called for completed rows only (_write checks completed_at first)
    if r.ticket_type == "投诉":
        return cal.deadline_after(cast(datetime, r.completed_at), tickets.COMPLAINT_REVISIT_WORKING_DAYS)
    return cast(datetime, r.completed_at) + tickets.REPAIR_REVISIT_AFTER


# the lock and the plan are looked up when called (tests replace `_lock_imports` and `_plan` here)
TICKETS: importing.Import[TicketRow, _Plan] = importing.Import(
    key="tickets", permission="tickets.import", entity="tickets", lock=lambda s: _lock_imports(s),
    read=lambda source, _options, progress: _read(source, progress),
    plan=lambda s, batch, progress: _plan_in_scope(s, batch, progress),
    frame=lambda rows, plan: _preview_frame(rows, plan), empty=lambda _rows: TicketImportCounts(),
    changes=lambda plan: len(plan.new), write=lambda s, actor, plan, progress: _write(s, actor, plan, progress),
    nothing="没有需要导入的新工单",
    conflict="导入期间有人同时修改了相关资料，本次导入没有写入任何工单；请重新导入",  # e.g. a holiday year copied meanwhile
)


def commit_ticket_import(*, actor: Actor, preview: TicketImportPreview[TicketRow],
                         progress: Progress | None = None) -> TicketImportCounts:
    """Write a previewed ticket import in one transaction: every new ticket, or nothing and a ValidationError."""
    return cast(TicketImportCounts, importing.commit(TICKETS, actor=actor, preview=preview, progress=progress))


def import_tickets(*, actor: Actor, source: bytes | str | Path | BinaryIO,
                   progress: Progress | None = None) -> TicketImportCounts:
    """Preview and commit in one call (for scripts); raises ValidationError listing every problem."""
    return cast(TicketImportCounts, importing.run(TICKETS, actor=actor, source=source, progress=progress))


# --- the template ----------------------------------------------------------------------------------

_GUIDE_RULES = (
    "每张工单一行。表头上方可以有标题行；列的顺序不限。",
    "小区和房屋必须是系统中已有的（请先导入房屋和人员）；导入不会新建小区或房屋。",
    "时间要写到分钟，如 2025-03-01 09:30；只写日期的文字会被拒绝。设成日期格式却没有时刻的单元格按 0 点读取，请检查。",
    "完成时间不能早于受理时间，回访时间不能早于完成时间；没有完成时间的工单不能有回访。",
    "报修和投诉需要回访；咨询、建议、求助、表扬不需要回访，回访各列请留空（以系统的时限规定为准）。",
    "状态自动判断：未完成为处理中；已完成且已回访（或无需回访）为已关闭；已完成、需要回访但未回访为待回访。",
    "工单号按受理日期自动编号（如 BX20250301-001），与系统中当天的工单号连续，不会重复。",
    "处理时限按受理时的时限规定计算；报修完成后 24 小时内、投诉处理后 3 个工作日内应回访。",
    "首问责任人、处理人可留空；填写时须是系统中的用户（用户名或姓名）或员工（姓名或工号）。",
    "有效投诉只用于投诉：是 记为有效投诉，否 记为无效；责任人请导入后在工单中指定。",
    "导入前会先检查：列出每个问题所在的行号和列名。只要有一个问题，就什么都不会写入；改好后重新导入即可。",
    "同一张工单（小区、房屋、类型、受理时间、内容都相同）不会重复导入：同一文件再导入一次不会新增任何工单。",
    "已导入的工单不会被再次导入修改；需要更正的请在工单中处理。",
    "联系电话请设为文本格式（模板已设好），固定电话要带区号。",
)


def ticket_template_bytes() -> bytes:
    """The ticket register template (.xlsx): sheet 历史工单 with the header row, and sheet 说明 for each column."""
    return workbook_template(
        sheet=TEMPLATE_SHEET, guide_sheet=GUIDE_SHEET, title="历史工单导入模板 说明", columns=TICKET_COLUMNS,
        required=REQUIRED_COLUMNS, text_columns={"房屋", "联系电话"}, time_columns={"受理时间", "完成时间", "回访时间"},
        lists={"类型": tickets.TYPES, "渠道": tickets.CHANNELS, "处理部门": tickets.DEPARTMENTS,
               "回访方式": tickets.REVISIT_METHODS, "回访结果": tickets.REVISIT_RESULTS, "有效投诉": ("是", "否")},
        widths={"内容": 40, "受理时间": 18, "完成时间": 18, "回访时间": 18, "小区": 16, "联系电话": 15},
        default_width=11, rules=_GUIDE_RULES, guide_width=100, guide_heading="填写要求（红色列名为必填列）",
        example=("翠湖花园", "1-1-101", "报修", "电话", "张伟", "13800138000", "厨房水管漏水", "2025-03-01 09:30",
                 "王芳", "工程", "李工", "2025-03-01 15:00", "2025-03-02 10:00", "电话", "满意", ""),
    )
