"""Reading messy Excel workbooks: cells as people fill them in, problems by Excel row and column.

Used by the one import pipeline (services/platform/importing.py: `read_table` and `RowCells` for imports whose
columns are named exactly, the header and cell readers for the others) and by the imports' row parsers (assets,
tickets, arrears, staff and attendance).

Invariants:
- a Problem names the Excel row as Excel shows it (1-based, counting title and header rows; None for
  the whole file) and the column by its header; messages are Chinese;
- cell readers accept what Excel and people make of a value (full-width digits, spaces, numbers stored
  as numeric cells, dates as 2025-03-01 / 2025/3/1 / 2025.3.1 / 2025年3月1日 / 20250301 / Excel serials /
  real date cells) and raise FieldError for anything ambiguous, never guess;
- no database access here.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO, cast

import openpyxl
from openpyxl.utils.datetime import from_excel
from openpyxl.utils.exceptions import InvalidFileException

from services.platform.errors import ValidationError
from services.platform.identity import check_landline, check_mobile
from services.platform.validate import FieldError, echo, parse_hundredths

Progress = Callable[[float, str], None]


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the file: Excel row (None for the whole file), column, message."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        where = f"第 {self.row} 行" if self.row is not None else "文件"
        return f"{where} · {self.column}：{self.message}"


def sorted_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    """Whole-file problems first, then by row (stable within a row)."""
    return tuple(sorted(problems, key=lambda p: (p.row is not None, p.row or 0)))


def refusal(problems: Sequence[Problem]) -> ValidationError:
    """The ValidationError a commit raises for a file with problems: row -> column -> message(s)."""
    errors: dict[str, str] = {}
    row_errors: dict[str, dict[str, str]] = {}
    for p in problems:
        target = errors if p.row is None else row_errors.setdefault(f"第 {p.row} 行", {})
        target[p.column] = f"{target[p.column]}；{p.message}" if p.column in target else p.message
    return ValidationError(errors, row_errors=row_errors)


def split_unit_code(text: str) -> tuple[str, str, str] | None:
    """'1-1-101', '1栋1单元101室', 'A座-2单元-1502' -> ('1', '1', '101')..., casefolded: a unit cell of a register."""
    m = re.fullmatch(r"(.+?)(?:号楼|栋|幢|座)-?(.+?)单元-?(.+?)", text)
    parts = [m[1], m[2], m[3]] if m else text.split("-")
    if len(parts) != 3 or not all(parts):
        return None
    b, u, r = parts
    b = re.sub(r"(?<=[A-Za-z0-9])(号楼|栋|幢|座)$", "", b)
    u = re.sub(r"(?<=.)单元$", "", u)
    r = re.sub(r"(?<=.)[室号房]$", "", r)
    return b.casefold(), u.casefold(), r.casefold()


def nfkc(text: str) -> str:
    """Full-width letters, digits and punctuation to half-width; stripped."""
    return unicodedata.normalize("NFKC", text).strip()


def header_text(value: Any) -> str:
    """A header cell as a column name: no spaces or required-marks, nothing after a bracket (单位（元） -> 单位)."""
    text = nfkc(str(value)) if value is not None else ""
    text = re.sub(r"[\s*＊]", "", text)
    return re.split(r"[(\[（【]", text)[0]


def blank(value: Any) -> bool:
    """An empty cell, or one holding only spaces."""
    return value is None or (isinstance(value, str) and value.strip() == "")


def plain(value: Any) -> str:
    """A cell as text: 101.0 -> '101', dates as ISO, text stripped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def code(value: Any) -> str:
    """Codes and numbers: full-width to half-width, no spaces."""
    return re.sub(r"\s+", "", nfkc(plain(value)))


def load(source: bytes | str | Path | BinaryIO) -> openpyxl.Workbook:
    """Open a workbook read-only (values, not formulas); ValidationError {文件: ...} when it is not one."""
    if isinstance(source, str | Path):
        try:
            source = Path(source).read_bytes()  # judged by content, whatever the file is called
        except OSError as exc:
            # `source` is still the str or Path given here (read_bytes raised), never bytes
            raise ValidationError({"文件": f"无法读取文件：{source!s}"}) from exc
    if isinstance(source, bytes | bytearray):
        source = io.BytesIO(source)
    try:
        return openpyxl.load_workbook(source, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, InvalidFileException) as exc:
        raise ValidationError({"文件": "不是有效的 Excel 文件（.xlsx）；旧版 .xls 请在 Excel 中另存为 .xlsx"}) from exc


def sheet_rows(wb: openpyxl.Workbook, ws: Any) -> list[tuple[Any, ...]]:
    """Every row of the sheet from row 1 (missing rows as empty tuples), values only."""
    rows = fast_sheet_rows(wb, ws)
    if rows is not None:
        return rows
    ws.reset_dimensions()  # some writers store a wrong sheet size; read what is really there
    return [tuple(r) for r in ws.iter_rows(min_row=1, min_col=1, values_only=True)]


_COLUMN_INDEX: dict[str, int] = {}
_CELL, _VALUE, _TEXT, _INLINE, _PHONETIC, _ROW = range(1, 7)
_XML_TAGS = {"c": _CELL, "v": _VALUE, "t": _TEXT, "is": _INLINE, "rPh": _PHONETIC, "row": _ROW}


def _column_index(ref: str) -> int:
    letters = ref.rstrip("0123456789")
    index = _COLUMN_INDEX.get(letters)
    if index is None:
        index = 0
        for ch in letters:
            index = index * 26 + ord(ch) - 64
        index = _COLUMN_INDEX[letters] = index - 1
    return index


def fast_sheet_rows(wb: openpyxl.Workbook, ws: Any) -> list[tuple[Any, ...]] | None:
    """The sheet's cell values read straight from its XML with expat, about four times faster than
    openpyxl's own read-only parser (which builds a dict per cell). Values are converted exactly as
    openpyxl converts them (shared and inline strings, numbers to int or float, date-styled numbers to
    datetime, booleans, cached formula results). Needs openpyxl's (pinned) read-only internals; returns
    None when they are not there, and the caller falls back to openpyxl's iterator."""
    import xml.parsers.expat

    try:
        archive, path = wb._archive, ws._worksheet_path
        shared, date_styles, epoch = wb.shared_strings, wb._date_formats, wb.epoch
    except AttributeError:
        return None
    date_keys = {str(i) for i in date_styles}  # style ids as the XML spells them
    rows: dict[int, list[Any]] = {}
    current: list[Any] = []
    row_no = 0
    col = -1
    cell_type = "n"
    style = ""
    parts: list[str] = []
    collecting = False
    inline = False
    in_phonetic = 0
    kinds: dict[str, int] = {}  # tag as written ('c' or 'x:c') -> what it is

    def kind_of(tag: str) -> int:
        kind = kinds[tag] = _XML_TAGS.get(tag.rpartition(":")[2], 0)
        return kind

    def start(tag: str, attrs: dict[str, str]) -> None:
        nonlocal current, row_no, col, cell_type, style, collecting, inline, in_phonetic
        kind = kinds.get(tag)
        if kind is None:
            kind = kind_of(tag)
        if kind == _CELL:
            ref = attrs.get("r")
            col = _column_index(ref) if ref else col + 1
            cell_type = attrs.get("t", "n")
            style = attrs.get("s", "")
            inline = False
            parts.clear()
        elif kind == _VALUE or (kind == _TEXT and cell_type == "inlineStr" and not in_phonetic):
            collecting = True
        elif kind == _INLINE:
            inline = True
        elif kind == _PHONETIC:
            in_phonetic += 1
        elif kind == _ROW:
            r = attrs.get("r")
            row_no = int(r) if r else row_no + 1
            current = rows.setdefault(row_no, [])
            col = -1

    def end(tag: str) -> None:
        nonlocal collecting, in_phonetic
        kind = kinds.get(tag)
        if kind is None:
            kind = kind_of(tag)
        if kind in (_VALUE, _TEXT):
            collecting = False
        elif kind == _PHONETIC:
            in_phonetic -= 1
        elif kind == _CELL:
            text = "".join(parts)
            value: Any = None
            if cell_type == "inlineStr":
                value = text if inline else None
            elif text:
                if cell_type == "n":
                    value = float(text) if ("." in text or "E" in text or "e" in text) else int(text)
                    if style in date_keys:
                        try:
                            value = from_excel(value, epoch)
                        except (OverflowError, ValueError):
                            value = "#VALUE!"
                elif cell_type == "s":
                    value = shared[int(text)]
                elif cell_type == "b":
                    value = bool(int(text))
                elif cell_type == "d":
                    value = datetime.fromisoformat(text.rstrip("Z"))
                else:  # str (formula result), e (error)
                    value = text
            if value is not None:
                if len(current) <= col:
                    current.extend([None] * (col + 1 - len(current)))
                current[col] = value

    def chars(data: str) -> None:
        if collecting:
            parts.append(data)

    parser = xml.parsers.expat.ParserCreate()
    parser.buffer_text = True
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = chars
    try:
        with archive.open(path) as src:
            parser.ParseFile(src)
    except (xml.parsers.expat.ExpatError, KeyError, ValueError, IndexError) as exc:
        raise ValidationError({"文件": "工作表内容无法读取，文件可能已损坏；请在 Excel 中打开后另存为 .xlsx 再试"}) from exc
    last = max(rows, default=0)
    return [tuple(rows.get(n, ())) for n in range(1, last + 1)]


# --- a sheet with an exact header row ------------------------------------------------------------

_HEADER_SCAN_ROWS = 20


def exact_header(value: Any) -> str:
    """A header cell as written, for an exact comparison: full-width to half-width, no spaces, no required-mark *."""
    return re.sub(r"[\s*]", "", nfkc(str(value))) if value is not None else ""


@dataclass(frozen=True)
class Table:
    """The data under a sheet's header row: (Excel row, {header: cell}) for each row with anything in it."""

    sheet: str
    header_row: int  # as Excel shows it
    epoch: datetime  # for Excel day numbers
    rows: tuple[tuple[int, dict[str, Any]], ...]


def read_table(source: bytes | str | Path | BinaryIO, *, headers: Sequence[str], sheet: str, template: str,
               guide_sheet: str = "说明") -> tuple[Table | None, list[Problem]]:
    """Find the header row and read the rows under it, for an import whose columns are named exactly.

    The header row is the first of a sheet's first 20 rows holding headers[0] and at least two more of `headers`
    (spaces and a * mark tolerated, no other spellings); `sheet` is looked at first, `guide_sheet` never. Columns
    may stand in any order; other columns are ignored. No such row anywhere: one whole-file problem naming the
    headers. A header missing or written twice: a problem on the header row. Problems mean no Table.
    """
    try:
        wb = load(source)
    except ValidationError as exc:
        return None, [Problem(None, "文件", exc.errors["文件"])]
    wanted = set(headers)
    found = None
    try:
        epoch = wb.epoch
        names = [n for n in (sheet,) if n in wb.sheetnames] + [n for n in wb.sheetnames if n not in (sheet, guide_sheet)]
        for name in names:
            rows = sheet_rows(wb, wb[name])
            for index, raw in enumerate(rows[:_HEADER_SCAN_ROWS]):
                cells = [exact_header(v) for v in raw]
                if headers[0] in cells and len(wanted.intersection(cells)) >= min(3, len(headers)):
                    found = (name, rows, index, cells)
                    break
            if found:
                break
    except ValidationError as exc:  # a damaged sheet
        return None, [Problem(None, "文件", exc.errors["文件"])]
    finally:
        wb.close()
    listed = "、".join(headers)
    if found is None:
        return None, [Problem(None, "表头", f"没有找到表头。表头应为：{listed}（请使用{template}）")]
    name, rows, index, cells = found
    header_row = index + 1
    problems = [Problem(header_row, h, f"缺少此列（表头应为：{listed}）") for h in headers if h not in cells]
    problems += [Problem(header_row, h, "表头中有两列同名") for h in headers if cells.count(h) > 1]
    if problems:
        return None, problems
    positions = {h: cells.index(h) for h in headers}
    data = []
    for offset, raw in enumerate(rows[index + 1:]):
        values = {h: raw[col] if col < len(raw) else None for h, col in positions.items()}
        if not all(blank(v) for v in values.values()):
            data.append((header_row + offset + 1, values))
    return Table(name, header_row, epoch, tuple(data)), []


class RowCells:
    """One data row's cells by header; each reader notes its problem under the row and the column."""

    def __init__(self, row: int, cells: dict[str, Any], problems: list[Problem]):
        self.row, self.cells, self.problems = row, cells, problems
        self._before = len(problems)

    @property
    def ok(self) -> bool:
        """No problem noted for this row so far."""
        return len(self.problems) == self._before

    def problem(self, column: str, message: str) -> None:
        self.problems.append(Problem(self.row, column, message))

    def take(self, column: str, parse: Callable[[Any], Any], *, required: bool = False, default: Any = None) -> Any:
        """The cell read by `parse`; `default` when blank (a problem when required) or unreadable."""
        value = self.cells.get(column)
        if blank(value):
            if required:
                self.problem(column, "必填")
            return default
        try:
            return parse(value)
        except FieldError as exc:
            self.problem(column, str(exc))
            return default


DATE_PATTERNS = (
    re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})"),
    re.compile(r"(\d{4})/(\d{1,2})/(\d{1,2})"),
    re.compile(r"(\d{4})\.(\d{1,2})\.(\d{1,2})"),
    re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日?"),
    re.compile(r"(\d{4})(\d{2})(\d{2})"),
)
DATE_HINT = "应为日期，例如 2025-03-01、2025/3/1 或 2025年3月1日"


def serial_date(serial: float, epoch: datetime) -> date:
    """An Excel day number (1900-03-01 .. 2099-12-31) as a date."""
    if not 61 <= serial < 73051:  # 1900-03-01 .. 2099-12-31 in Excel's count
        raise FieldError(DATE_HINT)
    return cast(date, from_excel(int(serial), epoch=epoch).date())  # openpyxl is untyped (Any)


def parse_date(value: Any, epoch: datetime) -> date:
    """A date cell, an Excel serial, or text in one of DATE_PATTERNS (a '00:00' time is ignored)."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, bool):
        raise FieldError(DATE_HINT)
    if isinstance(value, int | float):
        return serial_date(value, epoch)
    text = nfkc(str(value))
    text = re.sub(r"\s+0{1,2}:00(:00)?$", "", text)  # '2025-03-01 00:00:00' from a text export
    text = text.replace(" ", "")
    if re.fullmatch(r"\d{5}", text):
        return serial_date(int(text), epoch)
    for pattern in DATE_PATTERNS:
        m = pattern.fullmatch(text)
        if m:
            try:
                day = date(int(m[1]), int(m[2]), int(m[3]))
            except ValueError as exc:
                raise FieldError(f"日期不存在：{text}") from exc
            if not 1900 <= day.year <= 2100:
                raise FieldError(f"日期超出范围：{text}")
            return day
    raise FieldError(DATE_HINT)


def parse_money(value: Any, *, min_value: Decimal | None = None, max_value: Decimal | None = None) -> Decimal:
    """Money as people write it: '1,234.50', '¥1234.50', '1234.5元', or 1234.5 in a number cell; at most two
    decimals, exact to the cent (a number cell is read as Excel shows it, never through float arithmetic)."""
    if isinstance(value, bool | datetime | date) or (isinstance(value, float) and value != value):
        raise FieldError("应为金额数字，例如 1234.50")
    # spaces around the sign or the unit go; a space between digits stays and is refused (12 34 is not 1234)
    text = re.sub(r"\s*元$", "", re.sub(r"(?<=[¥￥])\s+", "", nfkc(plain(value))))
    try:
        return parse_hundredths(text, min_value=min_value, max_value=max_value)
    except FieldError as exc:
        raise FieldError(f"{exc}（收到 {echo(plain(value))}）") from None


def parse_mobile(value: Any) -> str:
    """An 11-digit mobile, also from a numeric cell or with +86."""
    if isinstance(value, bool):
        raise FieldError("应为 11 位手机号")
    if isinstance(value, float) and not value.is_integer():
        raise FieldError("应为 11 位手机号（1 开头，第二位 3–9）")
    text = re.sub(r"[\s\-()]", "", code(value))
    if re.fullmatch(r"\d{11}\.0+", text):  # a numeric cell turned into text: 13800138000.0
        text = text.split(".")[0]
    if text.startswith("+86"):
        text = text[3:]
    elif len(text) == 13 and text.startswith("86"):
        text = text[2:]
    return check_mobile(text)


def parse_landline(value: Any) -> str:
    """A landline with area code (020-12345678); a numeric cell is refused (it lost the leading 0)."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise FieldError("应为带区号的固定电话，例如 020-12345678（存成数字的电话会丢掉区号前的 0，请把该列设为文本）")
    text = re.sub(r"\s", "", code(value))
    m = re.fullmatch(r"\((0\d{2,3})\)(.*)", text)
    if m:
        text = f"{m[1]}-{m[2]}"
    text = check_landline(text)
    if "-" not in text:  # 02012345678 -> 020-12345678
        area = 3 if text.startswith(("010", "02")) else 4
        text = f"{text[:area]}-{text[area:]}"
    return text


def parse_contact_phone(value: Any) -> str:
    """A contact phone (HC 联系电话, ticket 联系电话): a landline with area code, or a mobile."""
    try:
        return parse_landline(value)
    except FieldError:
        pass
    try:
        return parse_mobile(value)
    except FieldError:
        raise FieldError("应为11位手机号或带区号的固定电话，例如 020-12345678") from None


DATETIME_HINT = "应为日期和时刻，例如 2025-03-01 09:30、2025/3/1 9:30 或 2025年3月1日 9时30分"
_DAY_PART = re.compile(r"(\d{4})([-/.])(\d{1,2})\2(\d{1,2})|(\d{4})年(\d{1,2})月(\d{1,2})[日号]?")
_CLOCK = re.compile(
    r"(?P<half>上午|早上|凌晨|中午|下午|晚上|AM|PM)?"
    r"(?:(?P<h>\d{1,2}):(?P<m>\d{2})(?::(?P<s>\d{2})(?:\.\d+)?)?"
    r"|(?P<ch>\d{1,2})[时点](?:(?P<half_hour>半)|(?P<cm>\d{1,2})分?(?:(?P<cs>\d{1,2})秒)?)?)"
    r"(?P<suffix>AM|PM)?"
)
_AFTERNOON = ("下午", "晚上", "PM")
_MORNING = ("上午", "早上", "凌晨", "AM")


def _whole_second(moment: datetime) -> datetime:
    """Excel keeps times as fractions of a day; 09:30 comes back as 09:29:59.999999 or 09:30:00.000001."""
    return (moment + timedelta(microseconds=500_000)).replace(microsecond=0)


def _serial_moment(serial: float, epoch: datetime) -> datetime:
    if not 61 <= serial < 73051:
        raise FieldError(DATETIME_HINT)
    return _whole_second(from_excel(serial, epoch=epoch))


def parse_datetime(value: Any, epoch: datetime) -> datetime:
    """A moment as people write it, naive local wall-clock time, to the second.

    Date-time cells and Excel serial numbers are taken as they are (a cell formatted as a date without a
    time reads as 00:00: Excel cannot tell us more). Text must carry the time of day: 2025-03-01 09:30,
    2025/3/1 9:30:15, 2025-03-01T09:30, 2025年3月1日 9时30分, 2025年3月1日下午3点, 3点半; text with a date alone
    is refused rather than read as midnight.
    """
    if isinstance(value, datetime):
        moment = _whole_second(value.replace(tzinfo=None))
    elif isinstance(value, date):
        moment = datetime.combine(value, time())
    elif isinstance(value, bool):
        raise FieldError(DATETIME_HINT)
    elif isinstance(value, int | float):
        moment = _serial_moment(value, epoch)
    else:
        moment = _parse_datetime_text(nfkc(str(value)), epoch)
    if not 1900 <= moment.year <= 2100:
        raise FieldError(f"日期超出范围：{plain(value)}")
    return moment


def _parse_datetime_text(text: str, epoch: datetime) -> datetime:
    if re.fullmatch(r"\d{5}(\.\d+)?", text):
        return _serial_moment(float(text), epoch)
    day_match = _DAY_PART.match(text)
    if day_match is None:
        raise FieldError(DATETIME_HINT)
    parts = [g for g in day_match.groups() if g is not None and g not in "-/."]
    try:
        day = date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError as exc:
        raise FieldError(f"日期不存在：{text}") from exc
    rest = re.sub(r"\s+", "", text[day_match.end():]).upper().removeprefix("T")
    if not rest:
        raise FieldError(f"只有日期，缺少时刻（应写到分钟，例如 {day.isoformat()} 09:30）")
    m = _CLOCK.fullmatch(rest)
    if m is None:
        raise FieldError(DATETIME_HINT)
    if m["h"] is not None:
        hour, minute, second = int(m["h"]), int(m["m"]), int(m["s"] or 0)
    else:
        hour, minute, second = int(m["ch"]), 30 if m["half_hour"] else int(m["cm"] or 0), int(m["cs"] or 0)
    half = m["half"] or m["suffix"]
    if half in _AFTERNOON and 1 <= hour < 12:
        hour += 12
    elif half in _MORNING and hour == 12:
        hour = 0
    elif half == "中午" and hour < 3:
        hour += 12
    if hour > 23 or minute > 59 or second > 59:
        raise FieldError(f"时刻不存在：{text}")
    return datetime.combine(day, time(hour, minute, second))


def template_bytes(
    *,
    sheet: str,
    guide_sheet: str,
    title: str,
    columns: Sequence[tuple[str, Any, str]],
    required: Iterable[str],
    text_columns: Iterable[str] = (),
    time_columns: Iterable[str] = (),
    lists: dict[str, Sequence[str]] | None = None,
    widths: dict[str, int] | None = None,
    default_width: int = 12,
    rules: Sequence[str] = (),
    example: Sequence[Any] = (),
    guide_width: int = 90,
    guide_heading: str = "填写要求",
) -> bytes:
    """An import template: the header row (required columns in red, drop-down lists, text/time formats)
    and a 说明 sheet with each column's help, the rules and one example row."""
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    required, text_columns, time_columns = set(required), set(text_columns), set(time_columns)
    lists, widths = lists or {}, widths or {}
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = sheet
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    for col, (header, _field, _help) in enumerate(columns, start=1):
        cell = ws.cell(row=1, column=col, value=header)
        cell.font = Font(bold=True, color="C00000") if header in required else bold
        cell.fill = fill
        letter = get_column_letter(col)
        ws.column_dimensions[letter].width = widths.get(header, default_width)
        if header in text_columns or header in time_columns:
            number_format = "@" if header in text_columns else "yyyy-mm-dd hh:mm"
            for row in range(2, 2002):
                ws.cell(row=row, column=col).number_format = number_format
        if header in lists:
            dv = DataValidation(type="list", formula1='"' + ",".join(lists[header]) + '"', allow_blank=True,
                                showErrorMessage=True, errorTitle="请从列表中选择",
                                error="可选：" + "、".join(lists[header]))
            dv.add(f"{letter}2:{letter}20000")
            ws.add_data_validation(dv)
    ws.freeze_panes = "A2"

    guide = wb.create_sheet(guide_sheet)
    guide.column_dimensions["A"].width = 14
    guide.column_dimensions["B"].width = guide_width
    guide.cell(row=1, column=1, value=title).font = Font(bold=True, size=14)
    guide.cell(row=3, column=1, value="列名").font = bold
    guide.cell(row=3, column=2, value=guide_heading).font = bold
    row = 4
    for header, _field, help_text in columns:
        guide.cell(row=row, column=1, value=header)
        guide.cell(row=row, column=2, value=help_text).alignment = Alignment(wrap_text=True)
        row += 1
    row += 1
    guide.cell(row=row, column=1, value="规则").font = bold
    for n, rule in enumerate(rules, start=1):
        row += 1
        guide.cell(row=row, column=1, value=n)
        guide.cell(row=row, column=2, value=rule).alignment = Alignment(wrap_text=True)
    row += 2
    guide.cell(row=row, column=1, value="示例").font = bold
    guide.cell(row=row + 1, column=1, value="表头")
    guide.cell(row=row + 1, column=2, value="，".join(h for h, *_ in columns))
    guide.cell(row=row + 2, column=1, value="一行")
    guide.cell(row=row + 2, column=2, value="，".join(str(v) for v in example))

    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()
