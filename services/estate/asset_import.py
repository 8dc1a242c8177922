"""Import units 房屋 and people 人员 from Excel: our template and HC小区管理系统's asset sheet.

A declaration over the import pipeline (services/platform/importing.py): `preview_import` reads the workbook
once, checks every cell and plans the changes against the database without writing; `commit_import` re-plans
the same parsed rows inside ONE `unit_of_work` and writes everything, or raises and writes nothing. This module
gives the two layouts, the row parser, the plan (in named steps: merge the rows, load what the database knows,
plan units, people, links) and the writer.

Invariants and decisions:
- Every problem is listed at once, each with the Excel row number as Excel shows it
  (1-based, counting title and header rows) and the column's name in the layout (小区, 手机号,
  房屋状态...). A file with any problem writes nothing (all-or-nothing).
- Matching: estate by name (created if new, with a code from its pinyin initials);
  building by its bare code (1栋 -> 1, A座 -> A, 10号楼 -> 10), by the text as written, or
  by name (商业街); a new building gets the bare code, so units read 1-1-101, and the name
  as written, or code + "栋"; codes match case-insensitively (as MariaDB compares them);
  unit by estate + building + 单元 + 房号; person by name + mobile, or with no mobile by
  name + ID number, or with neither by name among the people linked to the same unit;
  a link by unit + person.
- Re-importing the same file changes nothing and writes no audit rows.
- A non-blank cell overwrites the stored value; a blank cell never clears one.
  Existing buildings and estates are never changed. The import never deletes anything
  and never ends a link, except when the file gives a person a different 身份 in the same
  unit: the old link ends (end_on = the new link's start, or today) and a new one starts,
  so history is kept. The import does not touch a unit's 空置 ledger dates (vacant_since,
  last inspection): the file does not say since when a unit stands empty.
- Audit: one audit row (action "import", written by services/platform/audit.record) per created
  or changed estate, building, unit, person and link, in the same transaction as the change;
  unchanged records get none.
  ID numbers are left out of audit rows (a changed one appears masked).
- 交房日期 for the rows without one: the caller may give one date (`delivered_on`; `--delivered-on`, the wizard's
  field), not after today. It goes to the units of the file whose status after the import says they were handed
  over (statuses.is_handed_over, as billing decides) and that have no 交房日期 in the file nor stored: a date
  already there is never replaced. The counts say how many units take it and how many handed-over units stay
  without a date (HC's sheet has none), because the first billing run bills those for whole months.
- Status and people: a 未售 unit carries no 业主/共有人; a unit that is 已入住 or 出租
  must have at least one person, in the file or already linked in the database.
- Our template: sheet 房屋人员 (or the first sheet), one row per person; a unit with no
  person is a row with empty person columns. 类型 and 状态 must be given on at least one
  row of each unit; 身份 on every row that has a person.
- HC mappings (java110/MicroCommunity 资产信息): 房屋类型 110 住宅, 119 办公, 120 别墅 -> 住宅;
  房屋状态 2001 已入住, 2002 未销售 -> 未售, 2003 已交房 / 2004 未入住 / 2007 已售 -> 已交房未入住,
  2005 已装修 -> 已入住 when the unit has a person (in the file or already linked),
  otherwise 已交房未入住, 2006 已出租 -> 出租, 2008 空闲 -> 空置, 2009 装修中;
  人员角色 1 业主 (with 业主类型 1002 户员 -> 共有人), 2 租客, 3 家庭成员 -> 家属,
  4 员工 and 99 其他 -> 家属 with "HC人员角色：员工/其他" added to the person's note;
  a blank 人员角色 falls back on 业主类型 (1001 -> 业主, 1002 -> 家属), and both blank -> 业主;
  人员类型 P 个人, C 公司 (a company's 身份证 may be an 18-character 统一社会信用代码);
  房屋户型 codes like 2020 -> 两室两厅; 联系人 goes into the person's note, 联系电话 into
  固定电话 (a mobile there is kept as given); 总楼层 sets a new building's floors;
  是否有电梯 and 租金 are not stored (PropDesk has no such fields). HC has no estate column:
  the caller passes the estate name.
- Speed: the sheet XML is read with expat (openpyxl's reader is four times slower), existing
  records are loaded once per estate into dicts, and rows are written with executemany;
  20,000 rows preview and commit in about 5 s on SQLite (`make bench`).
- Messy cells accepted: a title row above the header, spaces, full-width digits,
  numbers stored as numeric cells (phones, rooms), areas with ㎡/m2/平方米, dates as
  2025-03-01, 2025/3/1, 2025.3.1, 2025年3月1日, 20250301, Excel serial numbers and real date
  cells. An ID number stored as a number is refused (Excel keeps only 15 digits).
- The workbook reader and the cell readers (text, codes, dates, phones, Problem) live in
  services/platform/workbook.py, shared with the ticket import (services/tickets/ticket_import.py).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import pandas as pd
from sqlalchemy import CursorResult, Row, Table, and_, bindparam, func, insert, select, update
from sqlalchemy.orm import Session

from db import search_keys
from db.engine import in_chunks
from db.models import Building, Estate, Person, Unit, UnitPerson
from db.types import utcnow
from services.estate.statuses import UnitStatus, is_handed_over
from services.estate.units import PERSON_ROLES, UNIT_KINDS, UNIT_STATUSES
from services.platform import audit, importing
from services.platform.auth import Actor
from services.platform.clock import local_today
from services.platform.errors import StaleEdit
from services.platform.identity import check_id_number
from services.platform.privacy import mask_id_number
from services.platform.validate import FieldError, parse_hundredths, parse_text
from services.platform.workbook import Problem, Progress
from services.platform.workbook import blank as _blank
from services.platform.workbook import code as _code
from services.platform.workbook import fast_sheet_rows as _fast_sheet_rows  # noqa: F401 (tests compare it with openpyxl)
from services.platform.workbook import nfkc as _nfkc
from services.platform.workbook import parse_contact_phone as _parse_contact_phone
from services.platform.workbook import parse_date as _parse_date
from services.platform.workbook import parse_landline as _parse_landline
from services.platform.workbook import parse_mobile as _parse_mobile
from services.platform.workbook import plain as _plain
from services.platform.workbook import template_bytes as workbook_template

TEMPLATE_SHEET = "房屋人员"
HC_SHEET = "资产信息"
GUIDE_SHEET = "说明"
OWNER_ROLES = ("业主", "共有人")
OCCUPIED_STATUSES = (UnitStatus.OCCUPIED, UnitStatus.RENTED)
_RENOVATED = "#2005"  # HC 已装修: 已入住 or 已交房未入住, decided once the unit's people are known
_CHUNK = 500

# --- layouts -----------------------------------------------------------------------------------

# (header, field, what the 说明 sheet says)
TEMPLATE_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("小区", "estate", "必填（导入时可统一指定则可留空）。小区名称，不存在的小区会自动新建"),
    ("楼栋", "building", "必填。楼栋编号，如 1、A、10号楼、3座；不存在的楼栋会自动新建"),
    ("单元", "unit_no", "必填。单元号，如 1；没有单元的楼栋填 1"),
    ("房号", "room_no", "必填。房号，如 101、S01；房屋编号显示为 楼栋-单元-房号（1-1-101）"),
    ("楼层", "floor", "整数，地下层用负数（-1）或 B1"),
    ("类型", "kind", "必填。" + "/".join(UNIT_KINDS)),
    ("户型", "layout", "文字，如 三室两厅，最多 32 字"),
    ("建筑面积", "built_area", "平方米，大于 0，最多两位小数；可带 ㎡"),
    ("套内面积", "inner_area", "平方米，大于 0，不能大于建筑面积"),
    ("状态", "status", "必填。" + "/".join(UNIT_STATUSES) + "；未售的房屋不能有业主，已入住和出租的房屋至少要有一位人员"),
    ("交房日期", "delivered_on", "日期，如 2025-03-01、2025/3/1、2025年3月1日"),
    ("姓名", "name", "有人员时必填；同一房屋有多位人员时，每人一行，房屋各列重复或留空"),
    ("性别", "gender", "男/女"),
    ("手机号", "mobile", "11 位手机号（1 开头，第二位 3–9）；人员按 姓名+手机号 识别"),
    ("固定电话", "phone", "带区号的固定电话，如 020-12345678"),
    ("身份证号", "id_number", "18 位身份证号（校验位须正确，末位可为 X）；公司可填统一社会信用代码；请设为文本格式"),
    ("人员类型", "person_kind", "个人/公司，留空为个人"),
    ("身份", "role", "有人员时必填。" + "/".join(PERSON_ROLES)),
    ("入住日期", "start_on", "日期，该人员与房屋关系的开始日期"),
)
HC_COLUMNS: tuple[tuple[str, str | None], ...] = (
    ("楼号", "building"), ("单元", "unit_no"), ("房屋", "room_no"), ("楼层", "floor"),
    ("总楼层", "building_floors"), ("是否有电梯", None), ("房屋类型", "kind"), ("房屋户型", "layout"),
    ("建筑面积", "built_area"), ("室内面积", "inner_area"), ("租金", None), ("房屋状态", "status"),
    ("业主名称", "name"), ("性别", "gender"), ("手机号", "mobile"), ("身份证", "id_number"),
    ("业主类型", "owner_type"), ("人员类型", "person_kind"), ("人员角色", "role"), ("联系人", "contact"),
    ("联系电话", "phone"),
)
_TEMPLATE_ALIASES = {"手机号码": "手机号", "身份证号码": "身份证号", "证件号码": "身份证号", "房间号": "房号"}
_HC_ALIASES = {"手机号码": "手机号", "身份证号": "身份证", "身份证号码": "身份证", "房屋编号": "房屋",
               "房号": "房屋", "楼栋编号": "楼号", "单元编号": "单元"}


@dataclass(frozen=True)
class _Layout(importing.Layout):
    person_fields: tuple[str, ...] = ()  # a row has a person when one of these is filled


TEMPLATE = _Layout(
    key="template", label="PropDesk 导入模板",
    columns={h: f for h, f, _ in TEMPLATE_COLUMNS}, aliases=_TEMPLATE_ALIASES,
    signature=("楼栋", "房号"), required=("楼栋", "单元", "房号", "类型", "状态"),
    person_fields=("name", "gender", "mobile", "phone", "id_number", "person_kind", "role", "start_on"),
)
HC = _Layout(
    key="hc", label="HC小区管理系统 资产信息",
    columns=dict(HC_COLUMNS), aliases=_HC_ALIASES,
    signature=("楼号", "房屋"), required=("楼号", "单元", "房屋", "房屋类型", "房屋状态", "业主名称"),
    person_fields=("name", "mobile", "id_number", "contact", "phone"),
)
LAYOUTS = (HC, TEMPLATE)

_HC_KINDS = {"110": "住宅", "119": "办公", "120": "住宅", "住宅": "住宅", "办公": "办公", "别墅": "住宅",
             "商铺": "商铺", "车库": "车库"}
_HC_STATUSES = {
    "2001": "已入住", "已入住": "已入住",
    "2002": "未售", "未销售": "未售",
    "2003": "已交房未入住", "已交房": "已交房未入住",
    "2004": "已交房未入住", "未入住": "已交房未入住",
    "2005": _RENOVATED, "已装修": _RENOVATED,
    "2006": "出租", "已出租": "出租",
    "2007": "已交房未入住", "已售": "已交房未入住",
    "2008": "空置", "空闲": "空置",
    "2009": "装修中", "装修中": "装修中",
}
# 人员角色 -> (role, note added to the person)
_HC_ROLES = {"1": ("业主", ""), "业主": ("业主", ""), "2": ("租客", ""), "租客": ("租客", ""),
             "3": ("家属", ""), "家庭成员": ("家属", ""), "4": ("家属", "HC人员角色：员工"),
             "员工": ("家属", "HC人员角色：员工"), "99": ("家属", "HC人员角色：其他"),
             "其他": ("家属", "HC人员角色：其他")}
_HC_OWNER_TYPES = {"1001": "户主", "户主": "户主", "1002": "户员", "户员": "户员"}
_CN_DIGITS = dict(zip("123456789", "一两三四五六七八九", strict=True))
_BUILDING_SUFFIXES = ("号楼", "栋", "幢", "座", "楼", "号")

# --- results -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ImportCounts:
    rows: int = 0
    estates_new: int = 0
    buildings_new: int = 0
    units_new: int = 0
    units_changed: int = 0
    units_unchanged: int = 0
    people_new: int = 0
    people_changed: int = 0
    people_unchanged: int = 0
    links_new: int = 0
    links_changed: int = 0
    links_unchanged: int = 0
    # handed over (statuses.is_handed_over) and still without a 交房日期 once imported: HC's sheet has no such column,
    # and the first billing run bills these for whole months
    units_undated: int = 0
    units_dated: int = 0  # handed-over units given the caller's 交房日期 for want of their own
    delivered_on: date | None = None  # the 交房日期 the caller gave for rows without one
    rows_out_of_scope: int = 0  # rows of an estate outside the importing user's, refused

    @property
    def changes(self) -> int:
        return (self.estates_new + self.buildings_new + self.units_new + self.units_changed + self.people_new
                + self.people_changed + self.links_new + self.links_changed)

    def summary(self) -> str:
        text = (f"共 {self.rows} 行：房屋 新增 {self.units_new}、修改 {self.units_changed}、不变 {self.units_unchanged}；"
                f"人员 新增 {self.people_new}、修改 {self.people_changed}、不变 {self.people_unchanged}；"
                f"房屋人员关系 新增 {self.links_new}、修改 {self.links_changed}、不变 {self.links_unchanged}；"
                f"新建小区 {self.estates_new}、楼栋 {self.buildings_new}")
        notes = [note for note in (self.dated_note(), self.undated_note()) if note]
        if self.rows_out_of_scope:
            notes.insert(0, f"{self.rows_out_of_scope} 行不在您负责的小区内，已拒绝")
        return "。".join([text, *notes])

    def dated_note(self) -> str:
        """The units that take the caller's 交房日期, or '' when none do."""
        if not self.units_dated or self.delivered_on is None:
            return ""
        return f"{self.units_dated} 套已交房的房屋没有交房日期，填为统一的交房日期 {self.delivered_on.isoformat()}"

    def undated_note(self) -> str:
        """The handed-over units left without a 交房日期 (billed for whole months), or '' when none are."""
        if not self.units_undated:
            return ""
        return (f"{self.units_undated} 套已交房的房屋没有交房日期，首次计费将按整月计费；"
                "可在导入时填写统一的交房日期，或导入后在房屋资料中补填")


@dataclass(frozen=True)
class ParsedRow:
    """One data row after cell checks: only the cells that were filled and valid."""

    row: int
    estate: str
    building: str  # canonical building code
    building_text: str  # as written (normalised)
    unit_no: str
    room_no: str
    unit: dict[str, Any]
    building_floors: int | None
    person: dict[str, Any] | None
    role: str | None
    start_on: date | None
    bad_fields: frozenset[str] = frozenset()

    @property
    def unit_key(self) -> tuple[str, str, str, str]:
        """Case-insensitive, as MariaDB's unique keys are."""
        return (self.estate.casefold(), self.building.casefold(), self.unit_no.casefold(), self.room_no.casefold())


ImportPreview = importing.ImportPreview  # of ParsedRow; `estate` is the estate given for rows without one


# --- reading the workbook ----------------------------------------------------------------------




# --- cell parsers (each raises FieldError with a Chinese message) ------------------------------


def _parse_name(value: Any, max_len: int) -> str:
    text = parse_text(re.sub(r"\s+", " ", _plain(value)), max_len=max_len)
    if not text:
        raise FieldError("必填")
    return text


_LOOKS_LIKE_DATE = "被 Excel 当成了日期，请把该列设为文本后重新填写"


def _split_building(value: Any) -> tuple[str, str]:
    """'1栋' -> ('1', '1栋'); 'A座' -> ('A', 'A座'); '商业街' -> ('商业街', '商业街')."""
    if isinstance(value, date):
        raise FieldError(_LOOKS_LIKE_DATE)
    text = _code(value)
    if not text:
        raise FieldError("必填")
    code = text
    for suffix in _BUILDING_SUFFIXES:
        rest = text[: -len(suffix)]
        if text.endswith(suffix) and rest and re.fullmatch(r"[A-Za-z0-9\-]+", rest):
            code = rest
            break
    if len(code) > 16:
        raise FieldError("不能超过 16 个字符")
    return code, text


def _parse_unit_no(value: Any) -> str:
    if isinstance(value, date):
        raise FieldError(_LOOKS_LIKE_DATE)
    text = _code(value)
    if text.endswith("单元") and len(text) > 2:
        text = text[:-2]
    if not text:
        raise FieldError("必填（没有单元的楼栋请填 1）")
    if len(text) > 8:
        raise FieldError("不能超过 8 个字符")
    return text


def _parse_room(value: Any) -> str:
    if isinstance(value, date):  # '1-101' typed into a General cell becomes a date
        raise FieldError(_LOOKS_LIKE_DATE)
    text = _code(value)
    if len(text) > 1 and text[-1] in "室号房":
        text = text[:-1]
    if not text:
        raise FieldError("必填")
    if len(text) > 16:
        raise FieldError("不能超过 16 个字符")
    if "-" in text and not re.fullmatch(r"[A-Za-z0-9]+(-[A-Za-z0-9]+)*", text):
        raise FieldError("格式不正确")
    return text


def _parse_floor(value: Any) -> int:
    if isinstance(value, float) and not value.is_integer():
        raise FieldError("应为整数")
    text = _code(value)
    m = re.fullmatch(r"(-?\d{1,3})(层|楼|F|f)?", text)
    if m:
        floor = int(m[1])
    else:
        m = re.fullmatch(r"(?:B|b|负|地下)(\d{1,2})(层|楼)?", text)
        if not m:
            raise FieldError("应为整数，地下层用负数，例如 -1")
        floor = -int(m[1])
    if not -5 <= floor <= 200:
        raise FieldError("应在 -5 到 200 之间")
    return floor


def _parse_count(value: Any) -> int:
    text = _code(value)
    m = re.fullmatch(r"(\d{1,3})(层)?", text)
    if not m or not 1 <= int(m[1]) <= 200:
        raise FieldError("应为 1 到 200 的整数")
    return int(m[1])


def _parse_area(value: Any) -> Decimal:
    if isinstance(value, bool):
        raise FieldError("应为数字")
    if isinstance(value, int):
        number: Any = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(format(value, ".15g"))  # what Excel shows, without binary noise
    else:
        text = _code(value)
        text = re.sub(r"(平方米|平米|㎡|m2|M2|m²|平)$", "", text)
        number = text
    try:
        area = parse_hundredths(number)
    except FieldError as exc:
        if str(exc) == "最多两位小数":
            raise
        raise FieldError("应为面积数字（平方米），最多两位小数，例如 89.50") from exc
    if area <= 0:
        raise FieldError("应大于 0")
    if area > Decimal("99999.99"):
        raise FieldError("不能大于 99999.99")
    return area




_USCC_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def _is_uscc(text: str) -> bool:
    """统一社会信用代码 (GB 32100): 18 characters with a check character."""
    if not re.fullmatch(rf"[{_USCC_CHARS}]{{18}}", text):
        return False
    total = sum(_USCC_CHARS.index(c) * w for c, w in zip(text[:17], _USCC_WEIGHTS, strict=True))
    return _USCC_CHARS[(31 - total % 31) % 31] == text[17]


def _parse_id_number(value: Any, *, company: bool) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise FieldError("身份证号被存成了数字，Excel 只保留 15 位，末几位已丢失；请把该列设为文本后重新填写")
    text = re.sub(r"\s", "", _code(value)).upper()
    if company and _is_uscc(text):
        return text
    if re.fullmatch(r"\d{15}", text):
        raise FieldError("这是 15 位旧身份证号，请填写 18 位身份证号")
    try:
        return check_id_number(text)
    except FieldError:
        if company:
            raise FieldError("应为 18 位身份证号或统一社会信用代码（校验位须正确）") from None
        raise


def _parse_gender(value: Any) -> str:
    text = _code(value).upper()
    genders = {"男": "男", "男性": "男", "M": "男", "MALE": "男", "女": "女", "女性": "女", "F": "女", "FEMALE": "女"}
    if text not in genders:
        raise FieldError("应为 男 或 女")
    return genders[text]


def _choice(value: Any, choices: Sequence[str]) -> str:
    text = _code(value)
    if text not in choices:
        raise FieldError("应为以下之一：" + "、".join(choices))
    return text


def _mapped(value: Any, mapping: dict[str, Any], hint: str) -> Any:
    text = _code(value)
    if text not in mapping:
        raise FieldError(hint)
    return mapping[text]


def _parse_person_kind(value: Any, layout: _Layout) -> bool:
    text = _code(value).upper()
    kinds = {"个人": False, "公司": True, "企业": True, "单位": True}
    if layout is HC:
        kinds |= {"P": False, "C": True}
    if text not in kinds:
        raise FieldError("应为 P（个人）或 C（公司）" if layout is HC else "应为 个人 或 公司")
    return kinds[text]


def _parse_hc_layout(value: Any) -> str:
    text = _plain(value)
    code = _code(value)
    m = re.fullmatch(r"([1-9])0([0-9])0", code)
    if m:  # HC 户型 codes: 2020 两室两厅, 3010 三室一厅
        halls = "" if m[2] == "0" else f"{_CN_DIGITS[m[2]]}厅"
        return f"{_CN_DIGITS[m[1]]}室{halls}"
    return parse_text(text, max_len=32)


# --- parsing rows --------------------------------------------------------------------------------


DELIVERED_ON = "交房日期"  # the caller's option, named as the column of our template


def _given_delivery(options: Mapping[str, str]) -> date:
    """The 交房日期 the caller gave for rows without one (an ISO date, checked by delivery_problem)."""
    return date.fromisoformat(options["delivered_on"])


def delivery_problem(text: str) -> str | None:
    """Why the caller's 交房日期 is refused, or None."""
    try:
        given = date.fromisoformat(text)
    except ValueError:
        return f"统一的交房日期应为 YYYY-MM-DD 格式的日期，例如 2025-03-01（收到“{text}”）"
    today = local_today()
    if given > today:  # a handover that has not happened would bill the unit from a day still to come
        return f"统一的交房日期不能晚于今天（{today.isoformat()}）：交房日期是房屋已经交给业主的日期"
    return None


def _prepare(header: importing.Header, estate: str,
             options: Mapping[str, str]) -> tuple[importing.Header, list[Problem]]:
    """The columns a layout must have, the estate given by the caller (HC files have no estate column) and the
    caller's 交房日期."""
    problems = importing.missing_columns(header)
    wrong_date = delivery_problem(options["delivered_on"]) if options.get("delivered_on") else None
    if wrong_date:
        problems.append(Problem(None, DELIVERED_ON, wrong_date))
    if len(estate) > 64:
        problems.append(Problem(None, "小区", "小区名称不能超过 64 个字符"))
    elif header.layout is HC and not estate:
        problems.append(Problem(None, "小区", "HC 的资产信息表没有小区列，请指定导入到哪个小区（命令行用 --estate 名称）"))
    return replace(header, columns={f: h for h, f in header.layout.columns.items() if f}), problems


def _read(source: importing.Source, options: Mapping[str, str], progress: Progress) -> importing.Sheet[ParsedRow]:
    """Find the header of either layout and check every cell of the workbook (no database)."""
    estate = _nfkc(options.get("estate", ""))
    return importing.read_layout(
        source, layouts=LAYOUTS, sheets=(HC_SHEET, TEMPLATE_SHEET), guide_sheet=GUIDE_SHEET,
        no_header=("没有找到表头。请使用本系统的导入模板（工作表“房屋人员”，含 楼栋、单元、房号 等列），"
                   "或 HC小区管理系统 导出的“资产信息”表（含 楼号、单元、房屋 等列）"),
        prepare=lambda header: _prepare(header, estate, options),
        parse_row=lambda header, row, cells, epoch, problems: _parse_row(
            cast(_Layout, header.layout), row, cells, estate, epoch, problems),
        progress=progress, parse_from=0.3)


def _parse_row(layout: _Layout, row: int, cells: dict[str, Any], estate_default: str, epoch: datetime,
               problems: list[Problem]) -> ParsedRow | None:
    bad: set[str] = set()

    def take(fld: str, parse: Callable[[Any], Any], *, required: bool = False) -> Any:
        value = cells.get(fld)
        if _blank(value):
            if required:
                problems.append(Problem(row, layout.header_of(fld), "必填"))
                bad.add(fld)
            return None
        try:
            return parse(value)
        except FieldError as exc:
            problems.append(Problem(row, layout.header_of(fld), str(exc)))
            bad.add(fld)
            return None

    # where the unit is
    if layout is TEMPLATE:
        estate = take("estate", lambda v: _parse_name(v, 64))
        if estate is None and _blank(cells.get("estate")):
            estate = estate_default or None
        if estate is None and "estate" not in bad:
            problems.append(Problem(row, "小区", "必填（或在导入时指定小区）"))
            bad.add("estate")
    else:
        estate = estate_default
    building = take("building", _split_building, required=True)
    unit_no = take("unit_no", _parse_unit_no, required=True)
    room_no = take("room_no", _parse_room, required=True)

    # the unit's own fields
    unit: dict[str, Any] = {}
    unit["floor"] = take("floor", _parse_floor)
    if layout is TEMPLATE:
        unit["kind"] = take("kind", lambda v: _choice(v, UNIT_KINDS))
        unit["layout"] = take("layout", lambda v: parse_text(_plain(v), max_len=32))
        unit["status"] = take("status", lambda v: _choice(v, UNIT_STATUSES))
        unit["delivered_on"] = take("delivered_on", lambda v: _parse_date(v, epoch))
        building_floors = None
    else:
        unit["kind"] = take("kind", lambda v: _mapped(v, _HC_KINDS, "应为 110（住宅）、119（办公）或 120（别墅）"))
        unit["layout"] = take("layout", _parse_hc_layout)
        unit["status"] = take("status", lambda v: _mapped(
            v, _HC_STATUSES, "应为 2001–2009 之一（2001 已入住、2002 未销售、2003 已交房、2004 未入住、"
                             "2005 已装修、2006 已出租、2007 已售、2008 空闲、2009 装修中）"))
        building_floors = take("building_floors", _parse_count)
    unit["built_area"] = take("built_area", _parse_area)
    unit["inner_area"] = take("inner_area", _parse_area)
    unit = {k: v for k, v in unit.items() if v is not None}
    if "built_area" in unit and "inner_area" in unit and unit["inner_area"] > unit["built_area"]:
        problems.append(Problem(row, layout.header_of("inner_area"),
                                f"不能大于建筑面积（{unit['built_area']}）"))
        bad.add("inner_area")
        del unit["inner_area"]

    # the person on this row, if any
    person = None
    role = None
    start_on = None
    if any(not _blank(cells.get(f)) for f in layout.person_fields):
        n_problems = len(problems)
        is_company = take("person_kind", lambda v: _parse_person_kind(v, layout))
        name = take("name", lambda v: _parse_name(v, 64), required=True)
        values: dict[str, Any] = {
            "name": name,
            "gender": take("gender", _parse_gender),
            "mobile": take("mobile", _parse_mobile),
            "phone": take("phone", _parse_landline if layout is TEMPLATE else _parse_contact_phone),
            "id_number": take("id_number", lambda v: _parse_id_number(v, company=bool(is_company))),
            "is_company": is_company,
        }
        notes: list[str] = []
        if layout is TEMPLATE:
            role = take("role", lambda v: _choice(v, PERSON_ROLES), required=True)
            start_on = take("start_on", lambda v: _parse_date(v, epoch))
        else:
            owner_type = take("owner_type", lambda v: _mapped(v, _HC_OWNER_TYPES, "应为 1001（户主）或 1002（户员）"))
            hc_role = take("role", lambda v: _mapped(
                v, _HC_ROLES, "应为 1（业主）、2（租客）、3（家庭成员）、4（员工）或 99（其他）"))
            if hc_role is not None:
                role, note = hc_role
                if role == "业主" and owner_type == "户员":
                    role = "共有人"
                if note:
                    notes.append(note)
            elif "role" not in bad:
                role = "家属" if owner_type == "户员" else "业主"
            contact = take("contact", lambda v: _parse_name(v, 64))
            if contact and contact != name:
                notes.append(f"联系人：{contact}")
        if notes:
            values["note"] = "；".join(notes)
        if len(problems) == n_problems:
            person = {k: v for k, v in values.items() if v is not None}
        else:
            bad.add("person")

    if building is None or unit_no is None or room_no is None or estate is None:
        return None
    return ParsedRow(row=row, estate=estate, building=building[0], building_text=building[1], unit_no=unit_no,
                     room_no=room_no, unit=unit, building_floors=building_floors, person=person, role=role,
                     start_on=start_on, bad_fields=frozenset(bad))


# --- planning against the database ---------------------------------------------------------------

_UNIT_FIELDS = ("floor", "kind", "layout", "built_area", "inner_area", "status", "delivered_on")
_PERSON_FIELDS = ("gender", "phone", "id_number", "is_company")


class _New:
    """A record to be created; `id` is filled in when it is written."""

    def __init__(self, **values: Any):
        self.values = values
        self.id: int | None = None


def _ref_id(ref: int | _New) -> int:
    if isinstance(ref, int):
        return ref
    assert ref.id is not None, "a new record is written before a row that refers to it"
    return ref.id


@dataclass
class _UnitDraft:
    key: tuple[str, str, str, str]
    first: ParsedRow
    fields: dict[str, Any] = field(default_factory=dict)
    field_rows: dict[str, int] = field(default_factory=dict)
    bad_fields: set[str] = field(default_factory=set)
    # row, person key, role, start
    members: list[tuple[int, tuple[str, str, Any], str, date | None]] = field(default_factory=list)


@dataclass
class _PersonDraft:
    key: tuple[str, str, Any]  # (kind, name, mobile | ID number | unit key): see _person_key
    first_row: int
    name: str
    mobile: str
    fields: dict[str, Any] = field(default_factory=dict)
    field_rows: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


@dataclass
class _Plan:
    problems: list[Problem] = field(default_factory=list)
    counts: ImportCounts = field(default_factory=ImportCounts)
    new_estates: list[_New] = field(default_factory=list)
    new_buildings: list[_New] = field(default_factory=list)
    new_units: list[_New] = field(default_factory=list)
    # id, version, all, before, code
    unit_updates: list[tuple[int, int, dict[str, Any], dict[str, Any], str]] = field(default_factory=list)
    new_people: list[_New] = field(default_factory=list)
    person_updates: list[tuple[int, int, dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    new_links: list[_New] = field(default_factory=list)
    link_ends: list[tuple[int, int, date]] = field(default_factory=list)
    link_starts: list[tuple[int, int, date | None, date | None]] = field(default_factory=list)
    row_actions: dict[int, tuple[str, str, str]] = field(default_factory=dict)  # row -> unit, person, link action
    deliveries: dict[int, str] = field(default_factory=dict)  # row -> the unit's 交房日期 as the preview shows it


def _show(value: Any) -> str:
    if isinstance(value, bool):
        return "公司" if value else "个人"
    if value == _RENOVATED:
        return "已装修"
    return str(value)


def _person_key(name: str, person: dict[str, Any],
                unit_key: tuple[str, str, str, str]) -> tuple[str, str, Any]:
    if person.get("mobile"):
        return ("m", name, person["mobile"])
    if person.get("id_number"):
        return ("i", name, person["id_number"])
    return ("u", name, unit_key)


def _merge(batch: importing.Batch[ParsedRow]) -> tuple[dict[tuple[str, str, str, str], _UnitDraft],
                                                      dict[tuple[str, str, Any], _PersonDraft], list[Problem]]:
    """Group rows into units and people; rows of one unit (or person) must agree."""
    cols = batch.columns
    problems: list[Problem] = []
    units: dict[tuple[str, str, str, str], _UnitDraft] = {}
    people: dict[tuple[str, str, Any], _PersonDraft] = {}
    for r in batch.rows:
        draft = units.get(r.unit_key)
        if draft is None:
            draft = units[r.unit_key] = _UnitDraft(key=r.unit_key, first=r)
        draft.bad_fields |= r.bad_fields
        for fld, value in r.unit.items():
            if fld not in draft.fields:
                draft.fields[fld] = value
                draft.field_rows[fld] = r.row
            elif draft.fields[fld] != value:
                problems.append(Problem(r.row, cols[fld], f"与第 {draft.field_rows[fld]} 行的同一房屋不一致"
                                        f"（{_show(draft.fields[fld])} ≠ {_show(value)}）"))
        if r.building_floors is not None:
            draft.fields.setdefault("_floors", r.building_floors)
        if r.person is None:
            continue
        p = r.person
        key = _person_key(p["name"], p, r.unit_key)
        pd_ = people.get(key)
        if pd_ is None:
            pd_ = people[key] = _PersonDraft(key=key, first_row=r.row, name=p["name"], mobile=p.get("mobile", ""))
        for fld in _PERSON_FIELDS:
            if fld not in p:
                continue
            if fld not in pd_.fields:
                pd_.fields[fld] = p[fld]
                pd_.field_rows[fld] = r.row
            elif pd_.fields[fld] != p[fld]:
                problems.append(Problem(r.row, cols["person_kind" if fld == "is_company" else fld],
                                        f"与第 {pd_.field_rows[fld]} 行的同一人员（{pd_.name}）不一致"
                                        f"（{_show(pd_.fields[fld])} ≠ {_show(p[fld])}）"))
        for note in p.get("note", "").split("；"):
            if note and note not in pd_.notes:
                pd_.notes.append(note)
        same = [m for m in draft.members if m[1] == key]
        if same:
            if same[0][2] != r.role:
                problems.append(Problem(r.row, cols["role"], f"同一人员（{pd_.name}）在第 {same[0][0]} 行已登记为"
                                        f"{same[0][2]}，同一房屋只能有一种身份"))
            elif r.start_on is not None and same[0][3] is not None and same[0][3] != r.start_on:
                problems.append(Problem(r.row, cols.get("start_on", ""), f"与第 {same[0][0]} 行不一致"))
            continue
        draft.members.append((r.row, key, r.role or "业主", r.start_on))
    # what each unit must have once its rows are merged
    for draft in units.values():
        for fld in ("kind", "status"):
            if fld not in draft.fields and fld not in draft.bad_fields:
                problems.append(Problem(draft.first.row, cols[fld], "必填（同一房屋至少有一行要填写）"))
    # one ID number, one person
    by_id: dict[str, _PersonDraft] = {}
    for pd_ in people.values():
        idn = pd_.fields.get("id_number")
        if not idn:
            continue
        other = by_id.setdefault(idn, pd_)
        if other is not pd_:
            problems.append(Problem(pd_.field_rows["id_number"], cols["id_number"],
                                    f"与第 {other.field_rows['id_number']} 行的“{other.name}”身份证号相同，请核对"))
    return units, people, problems


_PERSON_COLS = (Person.id, Person.version, Person.name, Person.mobile, Person.gender, Person.phone,
                Person.id_number, Person.is_company, Person.note)


def _estate_code(name: str, taken: set[str]) -> str:
    base = re.sub(r"[^A-Z0-9]", "", search_keys.pinyin_initials(name).upper())[:12] or "E"
    code, n = base, 1
    while code in taken:
        n += 1
        code = f"{base}{n}"
    taken.add(code)
    return code


_UnitKey = tuple[str, str, str, str]
_PersonKey = tuple[str, str, Any]


@dataclass(frozen=True)
class _Known:
    """What the database holds of the estates, units and people the file names, read once."""

    estates: dict[str, int | _New]  # casefolded name -> estate id, or the estate to create
    buildings_by_estate: dict[int, list[Row[int, int, str, str]]]
    units: dict[tuple[int, str, str], Any]  # (building id, 单元, 房号 casefolded) -> unit
    links_by_unit: dict[int, list[Any]]  # unit id -> active links with their person's columns
    by_mobile: dict[tuple[str, str], Any]  # (name, mobile) -> person
    by_id_number: dict[str, list[Any]]
    ever_owned: frozenset[int] = frozenset()  # units that have had an 业主, moved out or not


def _plan(session: Session, batch: importing.Batch[ParsedRow], notify: Progress) -> _Plan:
    """Compare the parsed rows with the database: what would be created, changed, refused."""
    plan = _Plan()
    cols = batch.columns
    units, people, problems = _merge(batch)
    plan.problems.extend(problems)
    refused = _refuse_other_estates(session, batch, plan)
    notify(0.1, "正在比对已有的房屋…")
    known = _load_known(session, plan, units, people, notify)
    counts: defaultdict[str, int] = defaultdict(int)
    delivered_on = _given_delivery(batch.options) if batch.options.get("delivered_on") else None
    unit_refs = _plan_units(plan, units, known, cols, counts, delivered_on)
    notify(0.5, "正在比对人员…")
    person_refs, person_actions = _plan_people(plan, people, known, unit_refs, cols, counts,
                                               name_holders=batch.actor.estate_ids is None)
    notify(0.6, "正在比对房屋人员关系…")
    _plan_links(plan, units, known, unit_refs, person_refs, person_actions, cols, counts)
    plan.counts = ImportCounts(rows=batch.total, estates_new=len(plan.new_estates),
                               buildings_new=len(plan.new_buildings), delivered_on=delivered_on,
                               rows_out_of_scope=refused, **counts)
    notify(0.7, "比对完毕")
    return plan


def _refuse_other_estates(session: Session, batch: importing.Batch[ParsedRow], plan: _Plan) -> int:
    """Refuse, one problem a row, the rows of an estate outside the importing user's (a new estate is outside too: a
    user of some estates adds none); returns how many were refused."""
    estate_ids = batch.actor.estate_ids
    if estate_ids is None:
        return 0
    names = sorted(session.scalars(select(Estate.name).where(Estate.id.in_(sorted(estate_ids)))))
    theirs = {n.casefold() for n in names}
    column = batch.columns.get("estate", "小区")
    refused = 0
    for r in batch.rows:
        if r.estate.casefold() not in theirs:
            plan.problems.append(Problem(r.row, column, f"“{r.estate}”不在您负责的小区（{'、'.join(names) or '无'}）内"))
            refused += 1
    return refused


def _load_known(session: Session, plan: _Plan, units: dict[_UnitKey, _UnitDraft],
                people: dict[_PersonKey, _PersonDraft], notify: Progress) -> _Known:
    """Estates by name (planning the new ones), their buildings, units and active links, and the people the file
    names by mobile and by ID number."""
    # estates and buildings
    estate_names = {d.first.estate.casefold(): d.first.estate for d in units.values()}
    estates: dict[str, int | _New] = {}  # casefolded name -> estate
    for chunk in in_chunks(sorted(estate_names.values()), _CHUNK):
        for name, estate_id in session.execute(select(Estate.name, Estate.id).where(Estate.name.in_(chunk))):
            estates.setdefault(name.casefold(), estate_id)
    existing_estate_ids = [e for e in estates.values() if isinstance(e, int)]
    taken_codes = {c.upper() for c in session.scalars(select(Estate.code))}
    for folded, name in sorted(estate_names.items()):
        if folded not in estates:
            new = _New(name=name, code=_estate_code(name, taken_codes))
            estates[folded] = new
            plan.new_estates.append(new)
    buildings_by_estate: dict[int, list[Row[int, int, str, str]]] = defaultdict(list)
    for b in session.execute(select(Building.id, Building.estate_id, Building.code, Building.name)
                             .where(Building.estate_id.in_(existing_estate_ids or [-1]))).all():
        buildings_by_estate[b.estate_id].append(b)

    # existing units, their active links and linked people
    db_units: dict[tuple[int, str, str], Any] = {}
    unit_cols = (Unit.id, Unit.version, Unit.building_id, Unit.unit_no, Unit.room_no,
                 *[getattr(Unit, f) for f in _UNIT_FIELDS])
    for u in session.execute(select(*unit_cols).where(Unit.estate_id.in_(existing_estate_ids or [-1]))):
        db_units[(u.building_id, u.unit_no.casefold(), u.room_no.casefold())] = u
    links_by_unit: dict[int, list[Any]] = defaultdict(list)
    link_rows = session.execute(
        select(UnitPerson.id.label("link_id"), UnitPerson.version.label("link_version"), UnitPerson.unit_id,
               UnitPerson.role, UnitPerson.start_on, *_PERSON_COLS)
        .join(Unit, Unit.id == UnitPerson.unit_id)
        .join(Person, Person.id == UnitPerson.person_id)
        .where(Unit.estate_id.in_(existing_estate_ids or [-1]), UnitPerson.end_on.is_(None))
        .order_by(UnitPerson.id)
    ).all()
    for lk in link_rows:
        links_by_unit[lk.unit_id].append(lk)
    ever_owned = frozenset(session.scalars(
        select(UnitPerson.unit_id).distinct().join(Unit, Unit.id == UnitPerson.unit_id)
        .where(Unit.estate_id.in_(existing_estate_ids or [-1]), UnitPerson.role == "业主")))
    notify(0.3, "正在比对已有的人员…")

    # people the file names, by mobile and by ID number
    mobiles = sorted({p.mobile for p in people.values() if p.mobile})
    ids = sorted({p.fields["id_number"] for p in people.values() if p.fields.get("id_number")})
    by_mobile: dict[tuple[str, str], Any] = {}
    by_id_number: dict[str, list[Any]] = defaultdict(list)
    for chunk in in_chunks(mobiles, _CHUNK):
        for p in session.execute(select(*_PERSON_COLS).where(Person.mobile.in_(chunk)).order_by(Person.id)):
            by_mobile.setdefault((p.name, p.mobile), p)
    for chunk in in_chunks(ids, _CHUNK):
        for p in session.execute(select(*_PERSON_COLS).where(Person.id_number.in_(chunk)).order_by(Person.id)):
            by_id_number[p.id_number].append(p)

    return _Known(estates, buildings_by_estate, db_units, links_by_unit, by_mobile, by_id_number, ever_owned)


def _plan_units(plan: _Plan, units: dict[_UnitKey, _UnitDraft], known: _Known, cols: Mapping[str, str],
                counts: defaultdict[str, int], delivered_on: date | None) -> dict[_UnitKey, int | _New]:
    """Match each unit to its building (planning new buildings) and to the unit there; check status against the
    people; the caller's 交房日期 for handed-over units without one; what to create and what to change. The unit of
    each unit key, id or to be created."""
    estates, buildings_by_estate, db_units, links_by_unit = (known.estates, known.buildings_by_estate, known.units,
                                                              known.links_by_unit)
    # units
    new_buildings: dict[tuple[str, str], _New] = {}
    unit_refs: dict[tuple[str, str, str, str], int | _New] = {}
    # (estate ref, building ref, unit, room) -> first row: one unit per key
    resolved_keys: dict[tuple[int, str, str], int] = {}
    for key, draft in units.items():
        first = draft.first
        b_code, b_text, unit_no, room_no = first.building, first.building_text, first.unit_no, first.room_no
        estate_ref = estates[key[0]]
        building_ref: int | _New | None = None
        building_code = b_code
        if isinstance(estate_ref, int):
            candidates = buildings_by_estate.get(estate_ref, [])
            for wanted, attr in ((b_code, "code"), (b_text, "code"), (b_text, "name"), (f"{b_code}栋", "name")):
                match = next((b for b in candidates if getattr(b, attr).casefold() == wanted.casefold()), None)
                if match is not None:
                    building_ref, building_code = match.id, match.code
                    break
        if building_ref is None:
            nb = new_buildings.get((key[0], key[1]))
            if nb is None:
                if b_text != b_code:
                    name = b_text
                elif re.fullmatch(r"[A-Za-z0-9\-]+", b_code):
                    name = f"{b_code}栋"
                else:
                    name = b_code
                nb = new_buildings[(key[0], key[1])] = _New(estate=estate_ref, code=b_code, name=name[:64],
                                                                 floors=draft.fields.get("_floors"))
                plan.new_buildings.append(nb)
            elif draft.fields.get("_floors"):
                nb.values["floors"] = max(nb.values["floors"] or 0, draft.fields["_floors"])
            building_ref = nb
        ident = (id(building_ref) if isinstance(building_ref, _New) else building_ref, key[2], key[3])
        if ident in resolved_keys:
            plan.problems.append(Problem(draft.first.row, cols["building"],
                                         f"与第 {resolved_keys[ident]} 行是同一房屋（楼栋写法不同），请统一写法"))
            continue
        resolved_keys[ident] = draft.first.row
        code = f"{building_code}-{unit_no}-{room_no}"
        existing = db_units.get((building_ref, key[2], key[3])) if isinstance(building_ref, int) else None
        db_links = links_by_unit.get(existing.id, []) if existing is not None else []
        fields = dict(draft.fields)
        fields.pop("_floors", None)
        if fields.get("status") == _RENOVATED:
            fields["status"] = UnitStatus.OCCUPIED if (draft.members or db_links) else UnitStatus.HANDED_OVER
        status = fields.get("status", existing.status if existing is not None else "")
        built = fields.get("built_area", existing.built_area if existing is not None else None)
        inner = fields.get("inner_area", existing.inner_area if existing is not None else None)
        if built is not None and inner is not None and inner > built:
            which = "inner_area" if "inner_area" in fields else "built_area"
            plan.problems.append(Problem(draft.field_rows.get(which, draft.first.row), cols[which],
                                         f"套内面积（{inner}）不能大于建筑面积（{built}）"))
        status_row = draft.field_rows.get("status", draft.first.row)
        if status == UnitStatus.UNSOLD:
            for row, _pkey, role, _start in draft.members:
                if role in OWNER_ROLES:
                    plan.problems.append(Problem(row, cols["name"], f"房屋状态为未售，不能登记{role}"
                                                 "（请清空人员或改房屋状态）"))
            owners = [lk.name for lk in db_links if lk.role in OWNER_ROLES]
            if owners and existing is not None and existing.status != UnitStatus.UNSOLD:
                plan.problems.append(Problem(status_row, cols["status"],
                                             f"系统中该房屋已有业主（{'、'.join(owners)}），不能改为未售"))
        if status in OCCUPIED_STATUSES and not draft.members and not db_links and "person" not in draft.bad_fields:
            plan.problems.append(Problem(status_row, cols["status"], f"{status}的房屋至少要登记一位人员"))
        delivery = _plan_delivery(fields, existing, status, counts, delivered_on, ever_owned=(
            any(role == "业主" for _row, _pkey, role, _start in draft.members)
            or (existing is not None and existing.id in known.ever_owned)))
        if existing is None:
            if not {"kind", "status"} <= fields.keys():
                continue  # already reported as missing
            new = _New(estate=estate_ref, building=building_ref, building_code=building_code, unit_no=unit_no,
                       room_no=room_no, code=code, **{f: fields.get(f) for f in _UNIT_FIELDS})
            plan.new_units.append(new)
            unit_refs[key] = new
            counts["units_new"] += 1
            action = "新增"
        else:
            before = {f: getattr(existing, f) for f in _UNIT_FIELDS if f in fields and fields[f] != getattr(existing, f)}
            unit_refs[key] = existing.id
            if before:
                full = {f: fields.get(f, getattr(existing, f)) for f in _UNIT_FIELDS}
                plan.unit_updates.append((existing.id, existing.version, full, before, code))
                counts["units_changed"] += 1
                action = "修改"
            else:
                counts["units_unchanged"] += 1
                action = "不变"
        for row in [draft.first.row, *[m[0] for m in draft.members]]:
            plan.row_actions[row] = (action, "", "")
            plan.deliveries[row] = delivery
    return unit_refs


def _plan_delivery(fields: dict[str, Any], existing: Any, status: str, counts: defaultdict[str, int],
                   delivered_on: date | None, *, ever_owned: bool) -> str:
    """Give a handed-over unit with no 交房日期 (in the file or stored) the caller's date, if any; count the ones
    left without. A date in the file or already stored is never replaced. The date as the preview shows it."""
    own: date | None = fields.get("delivered_on") or (existing.delivered_on if existing is not None else None)
    if own is not None:
        return own.isoformat()
    if not is_handed_over(status, ever_owned=ever_owned):
        return ""
    if delivered_on is None:
        counts["units_undated"] += 1
        return "未填"
    fields["delivered_on"] = delivered_on
    counts["units_dated"] += 1
    return f"{delivered_on.isoformat()}（统一填写）"


def _plan_people(plan: _Plan, people: dict[_PersonKey, _PersonDraft], known: _Known,
                 unit_refs: dict[_UnitKey, int | _New], cols: Mapping[str, str],
                 counts: defaultdict[str, int], *, name_holders: bool
                 ) -> tuple[dict[_PersonKey, int | _New], dict[_PersonKey, str]]:
    """Match each person (by name + mobile, name + ID number, or name within the unit); what to create and what
    to change. Each person key's person, and its action as the preview shows it. The holder of a clashing ID number
    is named only to a user of all estates (to others they may live in an estate they cannot see)."""
    by_mobile, by_id_number, links_by_unit = known.by_mobile, known.by_id_number, known.links_by_unit
    # people
    person_refs: dict[tuple[str, str, Any], int | _New] = {}
    person_actions: dict[tuple[str, str, Any], str] = {}
    # one entry per database person, even when two ways of naming them in the file lead to the same one
    # id -> version, after, before, rows
    updates: dict[int, tuple[int, dict[str, Any], dict[str, Any], dict[str, int]]] = {}
    matched: set[int] = set()
    for pkey, pd_ in people.items():
        kind = pkey[0]
        match = None
        if kind == "m":
            match = by_mobile.get((pd_.name, pd_.mobile))
        elif kind == "i":
            match = next((p for p in by_id_number.get(pkey[2], []) if p.name == pd_.name), None)
        else:
            unit_ref = unit_refs.get(pkey[2])
            if isinstance(unit_ref, int):
                match = next((lk for lk in links_by_unit.get(unit_ref, []) if lk.name == pd_.name), None)
        idn = pd_.fields.get("id_number")
        if idn:
            holders = [p for p in by_id_number.get(idn, []) if match is None or p.id != match.id]
            if holders:
                plan.problems.append(Problem(pd_.field_rows["id_number"], cols["id_number"],
                                             f"身份证号已登记在“{holders[0].name}”名下，请核对" if name_holders
                                             else "身份证号已登记在其他人员名下，请核对姓名和手机号"))
        if match is None:
            values = {"name": pd_.name, "mobile": pd_.mobile, "gender": pd_.fields.get("gender", ""),
                      "phone": pd_.fields.get("phone", ""), "id_number": idn or "",
                      "is_company": pd_.fields.get("is_company", False), "note": "；".join(pd_.notes)[:500]}
            new = _New(**values)
            plan.new_people.append(new)
            person_refs[pkey] = new
            counts["people_new"] += 1
            person_actions[pkey] = "新增"
            continue
        person_refs[pkey] = match.id
        matched.add(match.id)
        _version, after, before, rows = updates.get(match.id, (match.version, {}, {}, {}))
        for fld, value in pd_.fields.items():
            if fld in after and after[fld] != value:
                plan.problems.append(Problem(pd_.field_rows[fld], cols["person_kind" if fld == "is_company" else fld],
                                             f"与第 {rows[fld]} 行的同一人员（{pd_.name}）不一致"))
            elif value != getattr(match, fld):
                before[fld], after[fld], rows[fld] = getattr(match, fld), value, pd_.field_rows[fld]
        note = after.get("note", match.note or "")
        missing = [n for n in pd_.notes if n not in note]
        if missing:
            before.setdefault("note", match.note)
            after["note"] = "；".join([x for x in [note, *missing] if x])[:500]
        if after:
            updates[match.id] = (match.version, after, before, rows)
        person_actions[pkey] = "修改" if after else "不变"
    plan.person_updates = [(pid, version, after, before) for pid, (version, after, before, _r) in updates.items()]
    counts["people_changed"] = len(updates)
    counts["people_unchanged"] = len(matched - updates.keys())
    return person_refs, person_actions


def _plan_links(plan: _Plan, units: dict[_UnitKey, _UnitDraft], known: _Known,
                unit_refs: dict[_UnitKey, int | _New], person_refs: dict[_PersonKey, int | _New],
                person_actions: dict[_PersonKey, str], cols: Mapping[str, str], counts: defaultdict[str, int]) -> None:
    """Each unit's people: links to create, to end (another role: history is kept) or to start on another day."""
    links_by_unit = known.links_by_unit
    # links
    today = date.today()
    for key, draft in units.items():
        unit_ref = unit_refs.get(key)
        if unit_ref is None:
            continue
        db_links = links_by_unit.get(unit_ref, []) if isinstance(unit_ref, int) else []
        seen: dict[int, tuple[int, str]] = {}  # database person -> (row, role): two names for one person
        for row, pkey, role, start_on in draft.members:
            person_ref = person_refs[pkey]
            if isinstance(person_ref, int):
                if person_ref in seen:
                    first_row, first_role = seen[person_ref]
                    if first_role != role:
                        plan.problems.append(Problem(row, cols["role"], f"与第 {first_row} 行是同一人员，"
                                                     f"同一房屋只能有一种身份（{first_role} ≠ {role}）"))
                    plan.row_actions[row] = (plan.row_actions.get(row, ("",))[0], person_actions.get(pkey, ""), "不变")
                    continue
                seen[person_ref] = (row, role)
            current = [lk for lk in db_links if isinstance(person_ref, int) and lk.id == person_ref]
            link_action = "新增"
            if any(lk.role == role for lk in current):
                lk = next(lk for lk in current if lk.role == role)
                if start_on is not None and lk.start_on != start_on:
                    plan.link_starts.append((lk.link_id, lk.link_version, lk.start_on, start_on))
                    counts["links_changed"] += 1
                    link_action = "修改"
                else:
                    counts["links_unchanged"] += 1
                    link_action = "不变"
            else:
                for lk in current:  # same person, another role: end the old link, keep its history
                    plan.link_ends.append((lk.link_id, lk.link_version, start_on or today))
                plan.new_links.append(_New(unit=unit_ref, person=person_ref, role=role, start_on=start_on))
                if current:
                    counts["links_changed"] += 1
                    link_action = "修改"
                else:
                    counts["links_new"] += 1
            unit_action = plan.row_actions.get(row, ("", "", ""))[0]
            plan.row_actions[row] = (unit_action, person_actions.get(pkey, ""), link_action)


def _preview_frame(rows: Sequence[ParsedRow], plan: _Plan | None) -> pd.DataFrame:
    actions = plan.row_actions if plan is not None else {}
    records = []
    for r in rows:
        unit_action, person_action, link_action = actions.get(r.row, ("", "", ""))
        p = r.person or {}
        status = r.unit.get("status", "")
        records.append({
            "行号": r.row, "小区": r.estate, "房屋": f"{r.building}-{r.unit_no}-{r.room_no}",
            "类型": r.unit.get("kind", ""), "状态": "已装修" if status == _RENOVATED else status,
            "建筑面积": format(r.unit["built_area"], "f") if "built_area" in r.unit else "",
            "交房日期": plan.deliveries.get(r.row, "") if plan is not None else "",
            "姓名": p.get("name", ""), "身份": r.role or "" if p else "",
            "房屋处理": unit_action, "人员处理": person_action, "关系处理": link_action,
        })
    columns = ["行号", "小区", "房屋", "类型", "状态", "建筑面积", "交房日期", "姓名", "身份", "房屋处理", "人员处理",
               "关系处理"]
    return pd.DataFrame(records, columns=columns)




def _options(estate: str, delivered_on: date | str | None) -> dict[str, str]:
    """What the caller chose, as the pipeline keeps it (text): the estate, and the 交房日期 for rows without one."""
    options = {"estate": _nfkc(estate or "")}
    given = delivered_on.isoformat() if isinstance(delivered_on, date) else _nfkc(delivered_on or "")
    if given:
        options["delivered_on"] = given
    return options


def preview_import(*, actor: Actor, source: bytes | str | Path | BinaryIO, estate: str = "",
                   delivered_on: date | str | None = None, progress: Progress | None = None) -> ImportPreview[ParsedRow]:
    """Read a workbook and show what importing it would do; writes nothing."""
    return importing.preview(ASSETS, actor=actor, source=source, options=_options(estate, delivered_on),
                             progress=progress)


# --- writing -------------------------------------------------------------------------------------


def _private(values: dict[str, Any]) -> dict[str, Any]:
    """Audit rows never carry a full ID number."""
    return {k: (mask_id_number(v) if k == "id_number" and v else v) for k, v in values.items()}


def _insert_returning_ids(session: Session, table: Table, rows: list[dict[str, Any]]) -> list[int]:
    """Insert many rows in a few statements; their new ids, in the order of `rows`."""
    if not rows:
        return []
    if session.get_bind().dialect.name != "sqlite":
        result = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), rows)
        return [r[0] for r in result]
    # SQLAlchemy cannot batch SQLite's INSERT..RETURNING in parameter order (it falls back to one
    # statement per row, 50,000 statements for a large file). The unit of work holds SQLite's only
    # write lock (BEGIN IMMEDIATE) and an INTEGER PRIMARY KEY takes the largest id + 1, so the new
    # rows are exactly the ids above the maximum read here, in insertion order.
    before = session.execute(select(func.max(table.c.id))).scalar() or 0
    session.execute(insert(table), rows)
    ids: list[int] = list(session.execute(select(table.c.id).where(table.c.id > before)
                                          .order_by(table.c.id)).scalars())
    if len(ids) != len(rows):  # never expected: someone wrote without the lock
        raise StaleEdit("导入期间数据库被其他程序写入，导入未完成，请重试")
    return ids


def _update_versioned(session: Session, table: Table, params: list[dict[str, Any]],
                      values: dict[str, Any]) -> None:
    """Executemany UPDATE ... WHERE id = :b_id AND version = :b_version; any miss is a stale edit."""
    if not params:
        return
    stmt = (update(table)
            .where(and_(table.c.id == bindparam("b_id"), table.c.version == bindparam("b_version")))
            .values(version=table.c.version + 1, **values))
    # an UPDATE's result is a CursorResult, though Session.execute is typed to return a Result
    result = cast("CursorResult[Any]", session.execute(stmt, params))
    if session.get_bind().dialect.supports_sane_multi_rowcount and result.rowcount != len(params):
        raise StaleEdit("导入期间有记录被他人修改，导入未完成，请重新预览后再导入")


def _write(session: Session, actor: Actor, plan: _Plan, notify: Progress) -> None:
    """Create and change everything planned in a few statements; one audit row per record created or changed."""
    at = utcnow()
    audits: list[tuple[str, int, dict[str, Any] | None, dict[str, Any]]] = []  # entity, id, before, after
    for e in plan.new_estates:
        estate = Estate(code=e.values["code"], name=e.values["name"], address="")
        session.add(estate)
        session.flush()
        e.id = estate.id
        audits.append(("estates", e.id, None, dict(e.values)))
    for b in plan.new_buildings:
        building = Building(estate_id=_ref_id(b.values["estate"]), code=b.values["code"], name=b.values["name"],
                            floors=b.values["floors"])
        session.add(building)
        session.flush()
        b.id = building.id
        audits.append(("buildings", b.id, None,
                       {"estate_id": building.estate_id, "code": building.code, "name": building.name,
                        "floors": building.floors}))
    notify(0.75, f"正在写入房屋（新增 {len(plan.new_units)}）…")
    units = cast(Table, Unit.__table__)  # declared a FromClause; a mapped class's table is a Table
    unit_rows = []
    for u in plan.new_units:
        v = u.values
        unit_rows.append({
            "estate_id": _ref_id(v["estate"]), "building_id": _ref_id(v["building"]), "unit_no": v["unit_no"],
            "room_no": v["room_no"], "floor": v["floor"], "kind": v["kind"], "layout": v["layout"] or "",
            "built_area": v["built_area"], "inner_area": v["inner_area"], "status": v["status"],
            "delivered_on": v["delivered_on"], "note": "", "version": 1, "updated_at": at,
            "compact_code": search_keys.compact_code(v["building_code"], v["unit_no"], v["room_no"]),
        })
    for u, new_id in zip(plan.new_units, _insert_returning_ids(session, units, unit_rows), strict=True):
        u.id = new_id
        audits.append(("units", new_id, None,
                       {"code": u.values["code"], **{f: u.values[f] for f in _UNIT_FIELDS}}))
    _update_versioned(session, units, [
        {"b_id": uid, "b_version": version, **{f"b_{f}": full[f] for f in _UNIT_FIELDS}}
        for uid, version, full, _before, _code in plan.unit_updates
    ], {f: bindparam(f"b_{f}") for f in _UNIT_FIELDS} | {"updated_at": at})
    for uid, _version, full, before, code in plan.unit_updates:
        audits.append(("units", uid, {"code": code, **before},
                       {"code": code, **{f: full[f] for f in before}}))
    notify(0.85, f"正在写入人员（新增 {len(plan.new_people)}）…")
    people = cast(Table, Person.__table__)
    person_rows = [{**p.values, "version": 1, "mobile_last4": search_keys.mobile_last4(p.values["mobile"]),
                    "pinyin_initials": search_keys.pinyin_initials(p.values["name"])} for p in plan.new_people]
    for p, new_id in zip(plan.new_people, _insert_returning_ids(session, people, person_rows), strict=True):
        p.id = new_id
        audits.append(("people", new_id, None,
                       {k: v for k, v in p.values.items() if k != "id_number"}))
    by_fields: dict[tuple[str, ...], list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    for pid, version, after, before in plan.person_updates:
        by_fields[tuple(sorted(after))].append((pid, version, after))
        audits.append(("people", pid, _private(before), _private(after)))
    for flds, items in by_fields.items():
        _update_versioned(session, people, [{"b_id": pid, "b_version": version, **{f"b_{f}": after[f] for f in flds}}
                                            for pid, version, after in items],
                          {f: bindparam(f"b_{f}") for f in flds})
    notify(0.92, "正在写入房屋人员关系…")
    links = cast(Table, UnitPerson.__table__)
    _update_versioned(session, links, [{"b_id": lid, "b_version": version, "b_end_on": end}
                                       for lid, version, end in plan.link_ends], {"end_on": bindparam("b_end_on")})
    for lid, _version, end in plan.link_ends:
        audits.append(("unit_people", lid, {"end_on": None}, {"end_on": end}))
    _update_versioned(session, links, [{"b_id": lid, "b_version": version, "b_start_on": new}
                                       for lid, version, _old, new in plan.link_starts],
                      {"start_on": bindparam("b_start_on")})
    for lid, _version, old, new in plan.link_starts:
        audits.append(("unit_people", lid, {"start_on": old}, {"start_on": new}))
    link_rows = [{"unit_id": _ref_id(lk.values["unit"]), "person_id": _ref_id(lk.values["person"]),
                  "role": lk.values["role"], "start_on": lk.values["start_on"], "end_on": None, "version": 1}
                 for lk in plan.new_links]
    for row, new_id in zip(link_rows, _insert_returning_ids(session, links, link_rows), strict=True):
        audits.append(("unit_people", new_id, None,
                       {k: row[k] for k in ("unit_id", "person_id", "role", "start_on")}))
    notify(0.97, "正在写入操作日志…")
    audit.record_many(session, actor, "import", audits)


ASSETS: importing.Import[ParsedRow, _Plan] = importing.Import(
    key="assets", permission="assets.import", read=_read,
    # the plan reports 0..0.7 of its own; the writer goes on from 0.75
    plan=lambda s, batch, progress: _plan(s, batch, lambda f, m: progress(min(1.0, f / 0.7), m)),
    frame=_preview_frame, empty=lambda rows: ImportCounts(rows=rows), changes=lambda plan: plan.counts.changes,
    write=lambda s, actor, plan, progress: _write(s, actor, plan, progress), commit_plan=0.7,
    # another import added the same estate, building or unit meanwhile
    conflict="导入期间有人同时新增了相同的小区、楼栋或房屋，本次导入没有写入任何数据；请重新预览后再导入",
    stale="导入期间有记录被他人修改，导入未完成，请重新预览后再导入",
)


def commit_import(*, actor: Actor, preview: ImportPreview[ParsedRow],
                  progress: Progress | None = None) -> ImportCounts:
    """Write a previewed import in one transaction: everything, or nothing and a ValidationError."""
    return cast(ImportCounts, importing.commit(ASSETS, actor=actor, preview=preview, progress=progress))


def import_assets(*, actor: Actor, source: bytes | str | Path | BinaryIO, estate: str = "",
                  delivered_on: date | str | None = None, progress: Progress | None = None) -> ImportCounts:
    """Preview and commit in one call (for scripts); raises ValidationError listing every problem."""
    return cast(ImportCounts, importing.run(ASSETS, actor=actor, source=source,
                                            options=_options(estate, delivered_on), progress=progress))


# --- the template ----------------------------------------------------------------------------------

_GUIDE_RULES = (
    "每个人员一行；同一房屋有多位人员时写多行，房屋各列在这些行里要一致（也可以只在第一行填写）。",
    "没有人员的房屋（如未售、空置）写一行，人员各列留空。",
    "房屋按 小区 + 楼栋 + 单元 + 房号 识别，已存在的房屋会用表中非空的内容更新；空白单元格不会清除已有资料。",
    "人员按 姓名 + 手机号 识别（没有手机号时按 姓名 + 身份证号，再没有时按同一房屋中的姓名）。",
    "同一人员在同一房屋换了身份时，旧的关系会结束（保留历史），并新建一条关系。",
    "导入前会先预览：列出每个问题所在的行号和列名。只要有一个问题，就什么都不会写入；改好后重新上传即可。",
    "同一文件再导入一次不会产生任何变化。",
    "未售的房屋不能登记业主或共有人；已入住、出租的房屋至少要有一位人员。",
    "表头上方可以有标题行；数字可以是全角；面积可以带 ㎡；日期可以是 2025-03-01、2025/3/1、2025年3月1日 或 Excel 日期。",
    "手机号、身份证号请设为文本格式（模板已设好），否则 Excel 可能改掉末几位数字。",
    "也可以直接导入 HC小区管理系统 导出的“资产信息”表，导入时需指定小区。",
)


def template_bytes() -> bytes:
    """Our import template (.xlsx): sheet 房屋人员 with the header row, and sheet 说明 explaining each column."""
    return workbook_template(
        sheet=TEMPLATE_SHEET, guide_sheet=GUIDE_SHEET, title="房屋和人员导入模板 说明", columns=TEMPLATE_COLUMNS,
        required={"小区", "楼栋", "单元", "房号", "类型", "状态"},
        text_columns={"楼栋", "单元", "房号", "手机号", "固定电话", "身份证号"},
        lists={"类型": UNIT_KINDS, "状态": UNIT_STATUSES, "性别": ("男", "女"), "人员类型": ("个人", "公司"),
               "身份": PERSON_ROLES},
        widths={"身份证号": 20, "小区": 20}, rules=_GUIDE_RULES,
        example=("翠湖花园", "1", "1", "101", 1, "住宅", "三室两厅", "89.50", "71.60", "已入住", "2025-03-01",
                 "张伟", "男", "13800138000", "020-12345678", "11010519491231002X", "个人", "业主", "2025-03-15"),
    )
