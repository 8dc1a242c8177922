"""Import historical arrears 历史欠费 from Excel: unpaid bills from before PropDesk, so the cashier, the arrears
lists and the KPIs (历史欠费, 清缴率) are right from day one.

Two layouts, found by their header row (a title row above it is allowed; columns in any order):
- our template (sheet 历史欠费; `arrears_template_bytes`, its 说明 sheet says the same as this docstring):
  小区, 房屋 (1-1-101), 收费项目 (a fee item's name or code), 期间 (YYYY-MM) and/or 开始日期 + 结束日期, 金额, 备注;
- HC小区管理系统's sheet 房屋费用信息 (java110/MicroCommunity): a title row, then 房屋, 费用名称, 开始时间, 结束时间, 费用
  with 房屋 written 楼栋-单元-房屋 (1-1-101); HC's own export splits the unit into 楼栋编号, 单元编号, 房屋编号 — both
  are read. HC has no estate column: the caller names the estate (`estate`, `--estate`); when the database has
  exactly one estate, that one is used.

A declaration over the import pipeline (services/platform/importing.py): `preview_arrears_import` reads the
workbook once, checks every cell and plans the bills against the database without writing; `commit_arrears_import`
re-plans the same parsed rows inside ONE `unit_of_work` and writes every bill, or raises and writes nothing (a run
killed halfway leaves nothing). This module gives the two layouts, the row parser, the plan and the writer.

Invariants and decisions:
- All-or-nothing: every problem is listed at once, in Chinese, by Excel row (as Excel shows it, title and header
  rows count) and column header; a file with any problem writes nothing. Refused: an unknown estate or unit (the
  import never creates them: use the asset import), an unknown fee item, a date that is not a date, an end date
  before the start date, 开始日期 without 结束日期 (or the reverse), a 期间 that is not the month of 开始日期, a
  period after the current month, an amount that is negative, zero, non-numeric, has 3 decimals or exceeds
  10,000,000.00, the same unit + item + period twice in the file, a bill already in the database for that unit +
  item + period that is not this very row, and a span overlapping another bill of the same unit and item.
- Period and dates: 期间 alone means the whole month (1st to last day); 开始日期 and 结束日期 give the span, and the
  period is the month of 开始日期 (a span may run over several months: HC often bills a year in one row).
- Fee items 收费项目 / 费用名称, matched in order: an item's exact name (active or not); an item's code
  (case-insensitive); a category — the category's own name (物业服务费, 停车费, 水费, 电费, 垃圾清运费, 其他) or one of
  HC's names in ITEM_ALIASES (物业费 / 物业管理费 / 物管费 -> 物业服务费; 停车费 / 车位费 / 停车管理费 -> 停车费; 水费 /
  自来水费 -> 水费; 电费 -> 电费; 垃圾费 / 垃圾处理费 -> 垃圾清运费) — resolved among the category's active items to
  the one whose default unit kind is the unit's kind (物业费 for a 商铺 -> 物业服务费（商铺）), else the only one;
  several candidates and none for the unit's kind is refused (write the full name).
- Each bill: source 导入, payer_key and household "U<unit id>", payer = the unit's current 业主 (the first name, as
  the billing run writes it) or 开发商 when the unit is 未售, period as above, start_on/end_on from the row,
  due_on = end date, status 未缴, note = 备注. Amounts are exact to the cent: "1,234.50", "¥1234.50", 1234.5 as a
  number cell and 1234.50元 all read 1234.50; nothing passes through float rounding.
- Re-import is idempotent: a row whose bill is already there — same unit, item and period, source 导入, same
  start, end and amount — is skipped (whatever happened to the bill since: paid, waived, cancelled), so importing
  the same file again writes nothing, not even an audit row. A different bill under the same unit + item + period
  is refused: correct an imported bill with a waiver or cancellation at the counter, not by importing again.
- Prepaid credit 预存 a household already holds pays its new bills at once, oldest first, as after a billing run.
- Imports are serialised by a locked counter row ("import:arrears") taken first in the writing transaction, so two
  imports of one file at once cannot both create the bills; the (item, payer, period) unique key backs this up.
- Audit: one audit row per import that creates bills (action "import", entity "bills") with the counts, the total,
  the periods and the credit used.
"""

from __future__ import annotations

import calendar
import re
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import pandas as pd
from sqlalchemy import Row, func, insert, select
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Bill, Building, Estate, FeeItem, Person, Unit, UnitPerson
from db.types import utcnow
from services.estate.statuses import UnitStatus
from services.fees import ledger
from services.fees.accounts import AccountKey, unit_household
from services.fees.billing import DEVELOPER
from services.fees.statuses import BillStatus
from services.platform import (
    audit,  # noqa: F401 (importing writes the audit row; tests reach audit.record through this name)
    importing,
)
from services.platform.auth import Actor
from services.platform.clock import local_today
from services.platform.counters import advance
from services.platform.errors import NotFound
from services.platform.validate import FieldError, parse_text
from services.platform.workbook import (
    Problem,
    Progress,
    blank,
    code,
    nfkc,
    parse_date,
    parse_money,
    plain,
    split_unit_code,
)
from services.platform.workbook import template_bytes as workbook_template

TEMPLATE_SHEET = "历史欠费"
HC_SHEET = "房屋费用信息"
GUIDE_SHEET = "说明"
SOURCE = "导入"
OWNER = "业主"
CANCELLED = BillStatus.CANCELLED
LOCK_COUNTER = "import:arrears"
MAX_AMOUNT = Decimal("10000000.00")
_CHUNK = 500
_LOOKS_LIKE_DATE = "被 Excel 当成了日期，请把该列设为文本后重新填写"

# (header, field, what the 说明 sheet says)
ARREARS_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("小区", "estate", "系统中已有的小区名称（或编码）。导入时指定了小区、或系统中只有一个小区时可留空；导入不会新建小区"),
    ("房屋", "unit", "必填。房屋编号 楼栋-单元-房号，如 1-1-101（也可写 1栋1单元101）；须是该小区已有的房屋"),
    ("收费项目", "item", "必填。收费项目名称或编码，如 物业服务费（住宅）、WY-ZZ；也可写 物业费、停车费、水费 等类别，"
                       "按房屋类型对应到收费项目（物业费 → 住宅为 物业服务费（住宅），商铺为 物业服务费（商铺））"),
    ("期间", "period", "欠费所属月份 YYYY-MM，如 2024-03。只填期间表示整月（1 日到月末）；"
                     "同时填写开始日期时，期间须是开始日期所在月份"),
    ("开始日期", "start_on", "计费开始日期，如 2024-03-01；与结束日期同时填写，账单期间为开始日期所在月份"),
    ("结束日期", "end_on", "计费结束日期（含当天），不能早于开始日期；也是账单的应缴日期"),
    ("金额", "amount", "必填。欠费金额（元），大于 0，最多两位小数；可写 1,234.50 或 ¥1234.50"),
    ("备注", "note", "可留空，最多 200 字"),
)
HC_COLUMNS: tuple[tuple[str, str], ...] = (
    ("房屋", "unit"), ("楼栋编号", "building"), ("单元编号", "unit_no"), ("房屋编号", "room_no"),
    ("费用名称", "item"), ("开始时间", "start_on"), ("结束时间", "end_on"), ("费用", "amount"),
)
# HC's (and people's) names of fee categories
ITEM_ALIASES = {
    "物业费": "物业服务费", "物业管理费": "物业服务费", "物管费": "物业服务费", "物业服务费": "物业服务费",
    "停车费": "停车费", "车位费": "停车费", "停车管理费": "停车费", "车位管理费": "停车费",
    "水费": "水费", "自来水费": "水费", "电费": "电费",
    "垃圾费": "垃圾清运费", "垃圾清运费": "垃圾清运费", "垃圾处理费": "垃圾清运费",
}


HC = importing.Layout(
    key="hc", label="HC小区管理系统 房屋费用信息", columns=dict(HC_COLUMNS),
    aliases={"房屋编码": "房屋编号", "楼栋": "楼栋编号", "楼号": "楼栋编号", "单元": "单元编号", "房号": "房屋编号",
             "收费金额": "费用", "金额": "费用", "应收金额": "费用", "费用金额": "费用", "开始日期": "开始时间",
             "结束日期": "结束时间"},
    signature=("费用名称", "开始时间"), required=("费用名称", "开始时间", "结束时间", "费用"),
)
TEMPLATE = importing.Layout(
    key="template", label="PropDesk 欠费导入模板", columns={h: f for h, f, _ in ARREARS_COLUMNS},
    aliases={"房号": "房屋", "房屋编号": "房屋", "项目": "收费项目", "收费项目名称": "收费项目", "欠费金额": "金额",
             "应收金额": "金额", "所属期间": "期间", "月份": "期间", "计费期间": "期间", "开始时间": "开始日期",
             "结束时间": "结束日期"},
    signature=("房屋", "收费项目"), required=("房屋", "收费项目", "金额"),
)
LAYOUTS = (TEMPLATE, HC)  # the template first: HC's aliases also cover 开始日期/结束日期

# --- results -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArrearsImportCounts:
    rows: int = 0
    new: int = 0
    existing: int = 0
    units: int = 0  # units the new bills are for
    total: Decimal = Decimal("0.00")  # of the new bills
    first_period: str = ""
    last_period: str = ""
    credit_used: Decimal = Decimal("0.00")  # known after the commit

    @property
    def total_text(self) -> str:
        return f"¥{self.total:,.2f}"

    def summary(self) -> str:
        text = (f"共 {self.rows} 行：新增欠费账单 {self.new} 张，合计 {self.total_text}，涉及 {self.units} 户"
                f"；已导入而跳过 {self.existing}")
        if self.new and self.first_period:
            span = self.first_period if self.first_period == self.last_period else \
                f"{self.first_period} 至 {self.last_period}"
            text += f"；期间 {span}"
        if self.credit_used:
            text += f"；已用预存抵扣 ¥{self.credit_used:,.2f}"
        return text

    def as_dict(self) -> dict[str, Any]:
        return {"rows": self.rows, "new": self.new, "existing": self.existing, "units": self.units,
                "total": self.total, "first_period": self.first_period, "last_period": self.last_period,
                "credit_used": self.credit_used}


@dataclass(frozen=True)
class ArrearsRow:
    """One data row after cell checks; estate, unit and item still unresolved."""

    row: int
    estate: str  # '' when blank (the default estate applies)
    unit: str  # as written, normalised: '1-1-101'
    item: str
    period: str
    start_on: date
    end_on: date
    amount: Decimal
    note: str


ArrearsImportPreview = importing.ImportPreview  # of ArrearsRow; `estate` is the default estate typed (HC files)


# --- reading the workbook ------------------------------------------------------------------------


def parse_amount(value: Any) -> Decimal:
    """An amount owed: > 0, at most 2 decimals, ≤ 10,000,000.00; '1,234.50', '¥1234.50', '1234.5元', 1234.5."""
    amount = parse_money(value)
    if amount <= 0:
        raise FieldError(f"应大于 0（收到 {plain(value)}）")
    if amount > MAX_AMOUNT:
        raise FieldError(f"不能超过 {MAX_AMOUNT:,.2f}")
    return amount


def parse_period(value: Any) -> str:
    """A month: '2024-03', '2024/3', '2024.03', '2024年3月', '202403', or a date cell (Excel makes 2024-03 a date)."""
    if isinstance(value, datetime | date):
        return f"{value.year:04d}-{value.month:02d}"
    text = re.sub(r"\s+", "", nfkc(plain(value)))
    m = (re.fullmatch(r"(\d{4})[-/.年](\d{1,2})月?", text) or re.fullmatch(r"(\d{4})(\d{2})", text)
         or re.fullmatch(r"(\d{4})-(\d{1,2})-0?1", text))
    if not m or not 1 <= int(m[2]) <= 12:
        raise FieldError("应为年月 YYYY-MM，例如 2024-03")
    if not 2000 <= int(m[1]) <= 2100:
        raise FieldError(f"年份有误（{text}），应为 2000 年以后")
    return f"{int(m[1]):04d}-{int(m[2]):02d}"


def _month_span(period: str) -> tuple[date, date]:
    year, month = int(period[:4]), int(period[5:])
    return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])


def _unit_text(value: Any) -> str:
    if isinstance(value, datetime | date):  # 1-1-10 typed into a General cell becomes 2010-01-01
        raise FieldError(_LOOKS_LIKE_DATE)
    text = code(value)
    if len(text) > 40:
        raise FieldError("不能超过 40 个字符")
    return text


def _part(value: Any) -> str:
    if isinstance(value, datetime | date):
        raise FieldError(_LOOKS_LIKE_DATE)
    text = code(value)
    if not text or len(text) > 16:
        raise FieldError("应为 1 到 16 个字符")
    return text


def _prepare(header: importing.Header) -> tuple[importing.Header, list[Problem]]:
    """The columns a layout must have; the unit is read from 房屋 (or HC's 房屋编号) unless HC's three unit columns
    are all there, and the columns' names as the file gives them."""
    layout, positions, header_row = header.layout, dict(header.positions), header.row
    problems = importing.missing_columns(header)
    split_unit = layout is HC and "楼栋编号" in positions and "单元编号" in positions
    if layout is HC and not split_unit and "房屋" not in positions and "房屋编号" not in positions:
        problems.append(Problem(header_row, "房屋", "缺少此列（或 楼栋编号、单元编号、房屋编号 三列）"))
    if layout is HC and split_unit and "房屋编号" not in positions:
        problems.append(Problem(header_row, "房屋编号", "缺少此列"))
    if layout is TEMPLATE and "期间" not in positions and not {"开始日期", "结束日期"} <= set(positions):
        problems.append(Problem(header_row, "期间", "缺少此列（或 开始日期、结束日期 两列）"))
    if problems:
        return header, problems
    columns = {f: h for h, f in layout.columns.items() if f and h in positions}
    if layout is HC and not split_unit:
        columns["unit"] = "房屋" if "房屋" in positions else "房屋编号"
        # one of the two is there: a file without either was refused above
        positions["房屋"] = positions.get("房屋", positions.get("房屋编号", 0))
        for part in ("楼栋编号", "单元编号", "房屋编号"):  # the unit is one cell: the parts are not read
            positions.pop(part, None)
    return replace(header, positions=positions, columns=columns), []


def _read(source: importing.Source, progress: Progress) -> importing.Sheet[ArrearsRow]:
    """Find the header of either layout and check every cell (no database)."""
    today = local_today()

    def parse_row(header: importing.Header, row: int, cells: dict[str, Any], epoch: datetime,
                  problems: list[Problem]) -> ArrearsRow | None:
        split_unit = "楼栋编号" in header.positions and "单元编号" in header.positions
        return _parse_row(header.layout, row, cells, dict(header.columns), split_unit, epoch, today, problems)

    return importing.read_layout(
        source, layouts=LAYOUTS, sheets=(HC_SHEET, TEMPLATE_SHEET), guide_sheet=GUIDE_SHEET,
        no_header=("没有找到表头。请使用本系统的欠费导入模板（工作表“历史欠费”，含 房屋、收费项目、金额 等列），"
                   "或 HC小区管理系统 的“房屋费用信息”表（含 房屋、费用名称、开始时间、结束时间、费用 等列）"),
        prepare=_prepare, parse_row=parse_row, progress=progress)


def _parse_row(layout: importing.Layout, row: int, cells: dict[str, Any], columns: dict[str, str], split_unit: bool,
               epoch: datetime, today: date, problems: list[Problem]) -> ArrearsRow | None:
    n_problems = len(problems)

    def header(fld: str) -> str:
        return columns.get(fld) or layout.header_of(fld)

    def take(fld: str, parse: Callable[[Any], Any], *, required: bool = False, default: Any = None) -> Any:
        value = cells.get(fld)
        if blank(value):
            if required:
                problems.append(Problem(row, header(fld), "必填"))
            return default
        try:
            return parse(value)
        except FieldError as exc:
            problems.append(Problem(row, header(fld), str(exc)))
            return default

    estate = take("estate", lambda v: parse_text(re.sub(r"\s+", " ", nfkc(plain(v))), max_len=64), default="")
    if split_unit:
        parts = [take(f, _part, required=True) for f in ("building", "unit_no", "room_no")]
        unit = "-".join(parts) if all(parts) else None
    else:
        unit = take("unit", _unit_text, required=True)
    item = take("item", lambda v: parse_text(re.sub(r"\s+", "", nfkc(plain(v))), max_len=32), required=True)
    period = take("period", parse_period)
    start_on = take("start_on", lambda v: parse_date(v, epoch))
    end_on = take("end_on", lambda v: parse_date(v, epoch))
    amount = take("amount", parse_amount, required=True)
    note = take("note", lambda v: parse_text(plain(v), max_len=200), default="")

    has_start, has_end = not blank(cells.get("start_on")), not blank(cells.get("end_on"))
    if layout is HC:
        for fld, has in (("start_on", has_start), ("end_on", has_end)):
            if not has:
                problems.append(Problem(row, header(fld), "必填"))
    elif has_start != has_end:
        missing = "end_on" if has_start else "start_on"
        problems.append(Problem(row, header(missing), "开始日期和结束日期须同时填写（或都留空，只填期间）"))
    elif not has_start and blank(cells.get("period")):
        problems.append(Problem(row, header("period"), "必填（或填写开始日期和结束日期）"))
    for fld, day in (("start_on", start_on), ("end_on", end_on)):
        if day is not None and day.year < 2000:
            problems.append(Problem(row, header(fld), f"年份有误（{day.isoformat()}），应为 2000 年以后"))
    if start_on is not None and end_on is not None:
        if end_on < start_on:
            problems.append(Problem(row, header("end_on"), f"不能早于{header('start_on')}（{start_on.isoformat()}）"))
        month = f"{start_on.year:04d}-{start_on.month:02d}"
        if period is not None and period != month:
            problems.append(Problem(row, header("period"), f"应为开始日期所在月份 {month}（或留空）"))
        period = month
    elif period is not None and not has_start and not has_end:
        start_on, end_on = _month_span(period)
    this_month = f"{today.year:04d}-{today.month:02d}"
    if period is not None and period > this_month and len(problems) == n_problems:
        problems.append(Problem(row, header("start_on") if has_start else header("period"),
                                f"欠费所属期间 {period} 晚于本月（{this_month}），不能导入"))
    if len(problems) > n_problems or period is None or start_on is None or end_on is None:
        return None
    # unit is None only when a part of it is missing or wrong, which added a problem above
    return ArrearsRow(row=row, estate=estate, unit=cast(str, unit), item=item, period=period,
                      start_on=start_on, end_on=end_on, amount=amount, note=note)


# --- planning against the database ---------------------------------------------------------------


@dataclass(frozen=True)
class _UnitInfo:
    id: int
    code: str
    kind: str
    status: str


@dataclass(frozen=True)
class _Item:
    id: int
    code: str
    name: str
    category: str
    default_unit_kind: str
    active: bool


@dataclass(frozen=True)
class _Draft:
    row: ArrearsRow
    unit: _UnitInfo
    item: _Item
    payer_name: str


@dataclass
class _Plan:
    problems: list[Problem] = field(default_factory=list)
    new: list[_Draft] = field(default_factory=list)
    existing_rows: set[int] = field(default_factory=set)
    resolved: dict[int, tuple[str, str, str, str]] = field(default_factory=dict)  # row -> estate, unit, item, payer
    counts: ArrearsImportCounts = field(default_factory=ArrearsImportCounts)
    layout: str = ""  # the key of the file's layout, for the audit row


class _Items:
    """Fee items by name, code and category (see the module docstring for the order)."""

    def __init__(self, session: Session):
        self.items = [_Item(*r) for r in session.execute(
            select(FeeItem.id, FeeItem.code, FeeItem.name, FeeItem.category, FeeItem.default_unit_kind,
                   FeeItem.active).order_by(FeeItem.id))]
        self.by_name = {nfkc(i.name).replace(" ", "").casefold(): i for i in self.items}
        self.by_code = {i.code.casefold(): i for i in self.items}
        self.categories = {i.category for i in self.items}

    def find(self, text: str, kind: str) -> _Item | str:
        """The item for `text` on a unit of `kind`, or a Chinese message saying why not."""
        key = text.casefold()
        if key in self.by_name:
            return self.by_name[key]
        if key in self.by_code:
            return self.by_code[key]
        bare = re.split(r"[(（]", text)[0]
        category = ITEM_ALIASES.get(text) or ITEM_ALIASES.get(bare) or (text if text in self.categories else None)
        if category is None:
            examples = "、".join(i.name for i in self.items[:3] if i.active)
            return f"系统中没有“{text}”这个收费项目（写收费项目的名称或编码{'，如 ' + examples if examples else ''}）"
        candidates = [i for i in self.items if i.category == category and i.active]
        own_kind = [i for i in candidates if i.default_unit_kind == kind]
        if len(own_kind) == 1:
            return own_kind[0]
        if len(candidates) == 1:
            return candidates[0]
        if not candidates:
            return f"系统中没有“{category}”类的收费项目（“{text}”），请先在收费项目中建立"
        names = "、".join(i.name for i in candidates)
        return f"“{text}”对应多个收费项目（{names}），没有一个是{kind}的，请写收费项目全称"


def _load_estates(session: Session, estate_ids: frozenset[int] | None = None
                  ) -> tuple[dict[str, int], dict[int, str]]:
    """Estates by casefolded name and code, and their names: every estate, or those of `estate_ids` (the importing
    user's: another estate's rows are then refused as an unknown estate's, with no word of its existence)."""
    keys: dict[str, int] = {}
    names: dict[int, str] = {}
    stmt = select(Estate.id, Estate.code, Estate.name).order_by(Estate.id)
    if estate_ids is not None:
        stmt = stmt.where(Estate.id.in_(sorted(estate_ids)))
    for e in session.execute(stmt).all():
        keys.setdefault(e.name.casefold(), e.id)
        keys.setdefault(e.code.casefold(), e.id)
        names[e.id] = e.name
    return keys, names


def _default_estate(session: Session, estate: str, estate_ids: frozenset[int] | None = None
                    ) -> tuple[int | None, str | None]:
    """(estate id, problem) for the estate typed for the whole file; with nothing typed, the only estate (of the
    importing user's) if there is exactly one."""
    keys, names = _load_estates(session, estate_ids)
    if estate:
        found = keys.get(estate.casefold())
        return (found, None) if found else (None, f"系统中没有“{estate}”这个小区")
    return (next(iter(names)), None) if len(names) == 1 else (None, None)


def _plan(session: Session, rows: Sequence[ArrearsRow], layout_key: str, estate: str, columns: dict[str, str],
          progress: Progress, estate_ids: frozenset[int] | None = None) -> _Plan:
    """Resolve estates, units and items; find bills already in the database; check duplicates and overlaps."""
    plan = _Plan(layout=layout_key)
    unit_header = columns.get("unit", columns.get("room_no", "房屋"))
    item_header = columns.get("item", "收费项目")
    span_header = columns.get("period") or columns.get("start_on") or "期间"
    progress(0.0, "正在比对小区和房屋…")
    keys, names = _load_estates(session, estate_ids)
    default_id, default_problem = _default_estate(session, estate, estate_ids)
    if default_problem:
        plan.problems.append(Problem(None, "小区", default_problem))
        return plan
    if layout_key == "hc" and default_id is None:
        plan.problems.append(Problem(None, "小区", "HC 的房屋费用信息表没有小区列，请指定导入到哪个小区"
                                                 "（命令行用 --estate 名称）"))
        return plan
    row_estate: dict[int, int | None] = {}
    for r in rows:
        row_estate[r.row] = keys.get(r.estate.casefold()) if r.estate else default_id
    wanted = sorted({e for e in row_estate.values() if e is not None})
    units: dict[tuple[int, tuple[str, str, str]], _UnitInfo] = {}
    parts: tuple[str, str, str] | None  # None below for a unit written in no known form
    for chunk in range(0, len(wanted), _CHUNK):
        for u in session.execute(
                select(Unit.id, Unit.estate_id, Building.code, Unit.unit_no, Unit.room_no, Unit.kind, Unit.status)
                .join(Building, Building.id == Unit.building_id)
                .where(Unit.estate_id.in_(wanted[chunk:chunk + _CHUNK]))).all():
            parts = (u.code.casefold(), u.unit_no.casefold(), u.room_no.casefold())
            units[(u.estate_id, parts)] = _UnitInfo(u.id, f"{u.code}-{u.unit_no}-{u.room_no}", u.kind, u.status)
    progress(0.3, "正在比对收费项目…")
    items = _Items(session)
    resolved: list[tuple[ArrearsRow, int, _UnitInfo, _Item]] = []
    for r in rows:
        n_problems = len(plan.problems)
        estate_id = row_estate[r.row]
        if estate_id is None:
            if r.estate:
                plan.problems.append(Problem(r.row, "小区", f"系统中没有“{r.estate}”这个小区（请先在基础资料或资产导入中建立）"))
            else:
                plan.problems.append(Problem(r.row, "小区", "必填（系统中有多个小区；也可在导入时统一指定小区）"))
        unit = None
        if estate_id is not None:
            parts = split_unit_code(r.unit)
            unit = units.get((estate_id, parts)) if parts else None
            if unit is None:
                hint = "" if parts is not None else "（房屋编号应为 楼栋-单元-房号，如 1-1-101）"
                plan.problems.append(Problem(r.row, unit_header, f"“{names[estate_id]}”没有房屋 {r.unit}{hint}"))
        if unit is not None:
            assert estate_id is not None  # a unit is only looked up in a known estate
            item = items.find(r.item, unit.kind)
            if isinstance(item, str):
                plan.problems.append(Problem(r.row, item_header, item))
            elif len(plan.problems) == n_problems:
                resolved.append((r, estate_id, unit, item))
    progress(0.5, "正在查找已有账单…")
    unit_ids = sorted({u.id for _r, _e, u, _i in resolved})
    # (unit, item) -> bills: id, fee_item_id, payer_key, period, start_on, end_on, amount, source, status
    existing: dict[tuple[int, int], list[Row[int, int, str, str, date, date, Decimal, str, str]]] = \
        defaultdict(list)
    for chunk in range(0, len(unit_ids), _CHUNK):
        payer_keys = [unit_household(u) for u in unit_ids[chunk:chunk + _CHUNK]]
        for b in session.execute(
                select(Bill.id, Bill.fee_item_id, Bill.payer_key, Bill.period, Bill.start_on, Bill.end_on,
                       Bill.amount, Bill.source, Bill.status)
                .where(Bill.payer_key.in_(payer_keys))).all():
            existing[(AccountKey.parse(b.payer_key).id, b.fee_item_id)].append(b)
    owners = _owners(session, unit_ids)
    progress(0.7, "正在核对每一行…")
    seen: dict[tuple[int, int, str], int] = {}
    spans: dict[tuple[int, int], list[tuple[date, date, int]]] = defaultdict(list)
    for r, estate_id, unit, item in resolved:
        key = (unit.id, item.id, r.period)
        where = span_header
        if key in seen:
            plan.problems.append(Problem(r.row, where, f"与第 {seen[key]} 行重复（同一房屋、收费项目、期间 {r.period}）"))
            continue
        seen[key] = r.row
        same_period = [b for b in existing[(unit.id, item.id)] if b.period == r.period]
        if same_period:
            b = same_period[0]
            if b.source == SOURCE and (b.start_on, b.end_on, b.amount) == (r.start_on, r.end_on, r.amount):
                plan.existing_rows.add(r.row)
                plan.resolved[r.row] = (names[estate_id], unit.code, item.name, "")
                continue
            plan.problems.append(Problem(r.row, where, (
                f"房屋 {unit.code} 已有 {r.period} 期的“{item.name}”账单（{b.start_on.isoformat()} 至 "
                f"{b.end_on.isoformat()}，¥{b.amount:,.2f}，来源 {b.source}，{b.status}）；同一房屋、收费项目、期间只能有"
                "一张账单。如原账单有误，请在收银台申请减免或取消")))
            continue
        overlap = next((b for b in existing[(unit.id, item.id)] if b.status != CANCELLED
                        and b.start_on <= r.end_on and r.start_on <= b.end_on), None)
        if overlap is not None:
            plan.problems.append(Problem(r.row, where, (
                f"与房屋 {unit.code} 已有的“{item.name}”账单时间重叠（{overlap.period} 期，{overlap.start_on.isoformat()} 至 "
                f"{overlap.end_on.isoformat()}，来源 {overlap.source}），不能重复计收")))
            continue
        other = next((s for s in spans[(unit.id, item.id)] if s[0] <= r.end_on and r.start_on <= s[1]), None)
        if other is not None:
            plan.problems.append(Problem(r.row, where, f"与第 {other[2]} 行时间重叠（同一房屋、收费项目），不能重复计收"))
            continue
        spans[(unit.id, item.id)].append((r.start_on, r.end_on, r.row))
        payer = DEVELOPER if unit.status == UnitStatus.UNSOLD else owners.get(unit.id, "")
        plan.new.append(_Draft(row=r, unit=unit, item=item, payer_name=payer))
        plan.resolved[r.row] = (names[estate_id], unit.code, item.name, payer)
    periods = sorted(d.row.period for d in plan.new)
    plan.counts = ArrearsImportCounts(
        rows=len(rows), new=len(plan.new), existing=len(plan.existing_rows), units=len({d.unit.id for d in plan.new}),
        total=sum((d.row.amount for d in plan.new), Decimal("0.00")),
        first_period=periods[0] if periods else "", last_period=periods[-1] if periods else "")
    progress(1.0, "比对完毕")
    return plan


def _owners(session: Session, unit_ids: Sequence[int]) -> dict[int, str]:
    """The name the billing run writes as payer: the first (by name) current 业主 of each unit."""
    found: dict[int, str] = {}
    for chunk in range(0, len(unit_ids), _CHUNK):
        found.update(session.execute(
            select(UnitPerson.unit_id, func.min(Person.name))
            .join(Person, Person.id == UnitPerson.person_id)
            .where(UnitPerson.unit_id.in_(list(unit_ids[chunk:chunk + _CHUNK])), UnitPerson.role == OWNER,
                   UnitPerson.end_on.is_(None))
            .group_by(UnitPerson.unit_id)).all())
    return found


def _preview_frame(rows: Sequence[ArrearsRow], plan: _Plan | None) -> pd.DataFrame:
    records = []
    for r in rows:
        estate, unit_code, item, payer = (plan.resolved.get(r.row) if plan else None) or (r.estate, r.unit, r.item, "")
        if plan is None or r.row not in plan.resolved:
            action = ""
        elif r.row in plan.existing_rows:
            action = "已导入，跳过"
        else:
            action = "新增"
        records.append({"行号": r.row, "小区": estate, "房屋": unit_code, "收费项目": item, "期间": r.period,
                        "开始日期": r.start_on.isoformat(), "结束日期": r.end_on.isoformat(),
                        "金额": format(r.amount, "f"), "缴费人": payer, "处理": action})
    return pd.DataFrame(records, columns=["行号", "小区", "房屋", "收费项目", "期间", "开始日期", "结束日期", "金额",
                                          "缴费人", "处理"])


def preview_arrears_import(*, actor: Actor, source: bytes | str | Path | BinaryIO, estate: str = "",
                           progress: Progress | None = None) -> ArrearsImportPreview[ArrearsRow]:
    """Read an arrears workbook and show what importing it would do; writes nothing."""
    return importing.preview(ARREARS, actor=actor, source=source, options={"estate": nfkc(estate or "")},
                             progress=progress)


# --- writing -------------------------------------------------------------------------------------


def _write(session: Session, _actor: Actor, plan: _Plan, progress: Progress) -> importing.AuditEntry:
    """Insert the new bills, let prepaid credit pay them (the counts learn the credit used); the audit row."""
    now = utcnow()
    rows: list[dict[str, Any]]  # Bill columns -> values of every type
    rows = [dict(fee_item_id=d.item.id, payer_key=unit_household(d.unit.id), household=unit_household(d.unit.id), unit_id=d.unit.id,
                 parking_lease_id=None, payer_name=d.payer_name[:64], period=d.row.period, start_on=d.row.start_on,
                 end_on=d.row.end_on, quantity=None, rate=None, amount=d.row.amount, paid=Decimal("0.00"),
                 waived=Decimal("0.00"), due_on=d.row.end_on, status=BillStatus.UNPAID, source=SOURCE, run_id=None,
                 created_at=now, note=d.row.note, version=1)
            for d in sorted(plan.new, key=lambda d: (d.unit.id, d.row.period, d.item.id))]
    for n in range(0, len(rows), _CHUNK):
        session.execute(insert(Bill), rows[n:n + _CHUNK])
        done = min(n + _CHUNK, len(rows))
        progress(0.2 + 0.6 * done / max(len(rows), 1), f"正在写入欠费账单（{done}/{len(rows)}）…")
    progress(0.85, "正在使用预存抵扣…")
    credit_used = ledger.apply_credit(session, households={r["household"] for r in rows}, at=now)
    plan.counts = replace(plan.counts, credit_used=credit_used)
    progress(0.95, "正在写入操作日志…")
    return importing.AuditEntry({**plan.counts.as_dict(), "layout": plan.layout})


# the lock and the plan are looked up when called (tests replace `local_today`, `_CHUNK` and `audit.record`)
ARREARS: importing.Import[ArrearsRow, _Plan] = importing.Import(
    key="arrears", permission="fees.import", entity="bills", lock=lambda s: advance(s, LOCK_COUNTER),
    read=lambda source, _options, progress: _read(source, progress),
    plan=lambda s, batch, progress: _plan(s, batch.rows, batch.layout, batch.options.get("estate", ""),
                                          dict(batch.columns), progress, batch.actor.estate_ids),
    frame=lambda rows, plan: _preview_frame(rows, plan), empty=lambda _rows: ArrearsImportCounts(),
    changes=lambda plan: len(plan.new), write=lambda s, actor, plan, progress: _write(s, actor, plan, progress),
    commit_plan=0.2, nothing="没有需要导入的新账单",
    # the same bill raised by a billing run or another desk meanwhile
    conflict="导入期间有人同时生成了相同的账单，本次导入没有写入任何数据；请重新导入",
)


def commit_arrears_import(*, actor: Actor, preview: ArrearsImportPreview[ArrearsRow],
                          progress: Progress | None = None) -> ArrearsImportCounts:
    """Write a previewed arrears import in one transaction: every new bill, or nothing and a ValidationError."""
    return cast(ArrearsImportCounts, importing.commit(ARREARS, actor=actor, preview=preview, progress=progress))


def import_arrears(*, actor: Actor, source: bytes | str | Path | BinaryIO, estate: str = "",
                   progress: Progress | None = None) -> ArrearsImportCounts:
    """Preview and commit in one call (for scripts); raises ValidationError listing every problem."""
    return cast(ArrearsImportCounts, importing.run(ARREARS, actor=actor, source=source,
                                                   options={"estate": nfkc(estate or "")}, progress=progress))


def estate_id_by_name(name: str) -> int:
    """The id of the estate named (or coded) `name`; NotFound with the names there are."""
    with read_session() as s:
        keys, names = _load_estates(s)
    found = keys.get(nfkc(name).casefold())
    if found is None:
        raise NotFound(f"小区：系统中没有“{name}”这个小区（现有：{'、'.join(names.values()) or '无'}）")
    return found


# --- the template ----------------------------------------------------------------------------------

_GUIDE_RULES = (
    "每张欠费账单一行。表头上方可以有标题行；列的顺序不限。",
    "小区和房屋必须是系统中已有的（请先导入房屋和人员）；导入不会新建小区或房屋。",
    "期间和日期：只填期间（如 2024-03）表示整月；填写开始日期和结束日期时，账单期间为开始日期所在月份，"
    "可以跨月（如一行写一整年）；结束日期不能早于开始日期，也是应缴日期。不能导入本月以后的期间。",
    "收费项目写名称或编码；写 物业费、停车费、水费、电费、垃圾费 等类别时，按房屋类型对应到收费项目"
    "（物业费：住宅 → 物业服务费（住宅），商铺 → 物业服务费（商铺））。",
    "金额以元为单位，大于 0，最多两位小数，可写 1,234.50 或 ¥1234.50；导入后分毫不差。",
    "缴费人为房屋当前的业主；未售房屋为开发商。账单来源记为“导入”。",
    "同一房屋、同一收费项目、同一期间只能有一张账单；与已有账单时间重叠的行也会被拒绝，避免重复计收。",
    "导入前会先检查：列出每个问题所在的行号和列名。只要有一个问题，就什么都不会写入；改好后重新导入即可。",
    "同一文件再导入一次不会新增任何账单：已导入过的相同账单（房屋、收费项目、期间、起止日期、金额都相同）会跳过。",
    "已导入的账单不会被再次导入修改；金额有误请在收银台申请减免或取消账单。",
    "房屋有预存款时，导入的欠费会自动用预存抵扣（与计费相同）。",
    "也可以直接导入 HC小区管理系统 的“房屋费用信息”表（房屋、费用名称、开始时间、结束时间、费用），导入时需指定小区。",
)


def arrears_template_bytes() -> bytes:
    """The arrears template (.xlsx): sheet 历史欠费 with the header row, and sheet 说明 for each column."""
    return workbook_template(
        sheet=TEMPLATE_SHEET, guide_sheet=GUIDE_SHEET, title="历史欠费导入模板 说明", columns=ARREARS_COLUMNS,
        required=("房屋", "收费项目", "金额"), text_columns={"房屋", "期间", "开始日期", "结束日期", "金额"},
        widths={"小区": 16, "收费项目": 20, "备注": 30}, default_width=12, rules=_GUIDE_RULES, guide_width=100,
        guide_heading="填写要求（红色列名为必填列）",
        example=("翠湖花园", "1-1-101", "物业服务费（住宅）", "2024-03", "", "", "196.90", "2024年3月物业费"),
    )
