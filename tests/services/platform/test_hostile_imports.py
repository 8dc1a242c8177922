"""The hostile corpus in every column of every Excel import, through the one pipeline (services/platform/importing).

For each import and each of its template's columns, a workbook holds one otherwise valid row per corpus value a cell
can hold (a file cannot carry a list, a NUL or a lone surrogate; a Decimal becomes a number cell). Importing it must:

- raise nothing but a DomainError, and name the column under test for every row it refuses;
- write nothing at all when it refuses (nothing committed: SQLite's data_version);
- take the rows it did not refuse when they come alone: the database stores every value the rules accepted;
- for the columns whose parsed value is plain (text as written, money, a phone), parse exactly what Excel shows.
"""

# ruff: noqa: ARG005  (the harness calls every lambda with (world, context, value) or (world, context, result))

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

import openpyxl
import pytest
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

from services.appraisal import staff_import
from services.estate import asset_import
from services.fees import arrears_import
from services.platform.errors import DomainError, ValidationError
from services.tickets import ticket_import
from tests.factories import sheet_workbook
from tests.services.platform import hostile_oracle as o
from tests.services.platform.hostile_corpus import CORPUS
from tests.services.platform.hostile_fixtures import hostile_template, hostile_world  # noqa: F401 (fixtures)
from tests.services.platform.hostile_harness import _Commits
from tests.services.platform.hostile_targets import World

_CELL_TYPES = (str, int, float, Decimal, bool, date, datetime, time)


def _in_a_cell(value: Any) -> bool:
    """Whether a workbook can hold the value at all."""
    if value is None or not isinstance(value, _CELL_TYPES):
        return False
    if isinstance(value, float) and (value != value or value in (float("inf"), float("-inf"))):
        return False
    if isinstance(value, Decimal) and not value.is_finite():
        return False
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return False
        return not ILLEGAL_CHARACTERS_RE.search(value) and not re.search("[\ufffe\uffff]", value)  # not XML
    return not (isinstance(value, datetime) and value.tzinfo is not None)  # openpyxl refuses aware moments


def _as_read(values: list[Any]) -> list[Any]:
    """What the import's reader gets back for each value written in a cell (a Decimal comes back a number...)."""
    wb = openpyxl.Workbook()
    for v in values:
        wb.active.append([v])
    buf = io.BytesIO()
    wb.save(buf)
    read = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True, data_only=True)
    return [row[0] for row in read.active.iter_rows(values_only=True)]


CELLS: list[tuple[str, Any]] = []
_writable = [(n, v) for n, v in CORPUS if _in_a_cell(v)]
CELLS = list(zip([n for n, _ in _writable], _as_read([v for _, v in _writable]), strict=True))
CELLS.append(("empty cell", None))


def shown(value: Any) -> Any:
    """A cell as Excel shows it: numbers without a trailing .0, 15 significant digits; dates in ISO."""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else format(value, ".15g")
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == time() else value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


def money_cell(value: Any) -> Any:
    text = shown(value)
    return o.money(re.sub(r"元$", "", text.strip()) if isinstance(text, str) else text)


@dataclass(frozen=True)
class ImportCase:
    """One import: its template's headers, an otherwise valid row number i, how to preview and commit."""

    name: str
    headers: tuple[str, ...]
    base: Callable[[World, int], dict[str, Any]]
    preview: Callable[[World, bytes], Any]
    commit: Callable[[World, Any], Any]
    exact: dict[str, tuple[str, o.Oracle]]  # header -> (parsed row attribute, oracle of the cell as read)
    skip: tuple[str, ...] = ()


def _actor(w: World) -> Any:
    return w.actor()


CASES = [
    ImportCase(
        "tickets", tuple(h for h, *_ in ticket_import.TICKET_COLUMNS),
        lambda w, i: {"小区": "测试小区", "房屋": "1-1-101", "类型": "咨询", "渠道": "电话", "报事人": "张伟",
                      "联系电话": "13812348000", "内容": f"咨询{i}", "受理时间": datetime(2025, 6, 1, 9, 0)
                      + timedelta(minutes=i)},
        lambda w, data: ticket_import.preview_ticket_import(actor=_actor(w), source=data),
        lambda w, p: ticket_import.commit_ticket_import(actor=_actor(w), preview=p),
        {"内容": ("content", lambda v: o.text(shown(v))),
         "联系电话": ("caller_phone", lambda v: o.phone(shown(v)))},
    ),
    ImportCase(
        "arrears", tuple(h for h, *_ in arrears_import.ARREARS_COLUMNS),
        lambda w, i: {"小区": "测试小区", "房屋": "1-1-101", "收费项目": "WY-ZZ",
                      "期间": f"{2000 + i // 12}-{i % 12 + 1:02d}", "金额": "100.00", "备注": ""},
        lambda w, data: arrears_import.preview_arrears_import(actor=_actor(w), source=data),
        lambda w, p: arrears_import.commit_arrears_import(actor=_actor(w), preview=p),
        {"金额": ("amount", money_cell), "备注": ("note", lambda v: o.text(shown(v)))},
    ),
    ImportCase(
        "staff", tuple(h for h, *_ in staff_import.STAFF_COLUMNS),
        lambda w, i: {"工号": f"H{i}", "姓名": "王五", "部门": "客服部", "岗位": "维修工", "入职日期": "2024-01-01",
                      "基本工资": "4000.00"},
        lambda w, data: staff_import.preview_staff_import(actor=_actor(w), source=data),
        lambda w, p: staff_import.commit_staff_import(actor=_actor(w), preview=p),
        {"基本工资": ("base_salary", money_cell)},
    ),
    ImportCase(
        "attendance", tuple(h for h, *_ in staff_import.ATTENDANCE_COLUMNS),
        lambda w, i: {"工号": "S001", "姓名": "李工", "日期": date(2024, 1, 1) + timedelta(days=i)},
        lambda w, data: staff_import.preview_attendance_import(actor=_actor(w), source=data),
        lambda w, p: staff_import.commit_attendance_import(actor=_actor(w), preview=p),
        {},
    ),
    ImportCase(
        "assets", tuple(h for h, *_ in asset_import.TEMPLATE_COLUMNS),
        lambda w, i: {"小区": "测试小区", "楼栋": "9", "单元": "1", "房号": f"H{i}", "类型": "住宅", "状态": "已入住",
                      "姓名": f"人{i}", "手机号": f"139{i:08d}", "身份": "业主"},
        lambda w, data: asset_import.preview_import(actor=_actor(w), source=data),
        lambda w, p: asset_import.commit_import(actor=_actor(w), preview=p),
        {},
    ),
]
COLUMNS = [(case, header) for case in CASES for header in case.headers if header not in case.skip]


def _workbook(case: ImportCase, w: World, header: str, cells: list[tuple[str, Any]]) -> bytes:
    return sheet_workbook([{**case.base(w, i), header: value} for i, (_, value) in enumerate(cells)],
                          headers=case.headers, sheet="Sheet")


def _row_problems(exc: DomainError) -> dict[int, dict[str, str]]:
    if not isinstance(exc, ValidationError):
        return {}
    return {int(re.search(r"\d+", k)[0]): v for k, v in exc.row_errors.items()}  # "第 N 行"


@pytest.mark.parametrize(("case", "header"), COLUMNS, ids=lambda x: x.name if isinstance(x, ImportCase) else x)
def test_each_import_column_stores_a_hostile_cell_or_refuses_its_row_naming_the_column(case, header,
                                                                                       hostile_world):  # noqa: F811
    w = hostile_world
    problems: list[str] = []
    commits = _Commits()
    before = commits.mark()
    refused: dict[int, dict[str, str]] = {}
    try:
        case.commit(w, case.preview(w, _workbook(case, w, header, CELLS)))
    except DomainError as exc:
        refused = _row_problems(exc)
        if isinstance(exc, ValidationError) and exc.errors:
            problems.append(f"whole file refused: {exc.errors}")
        if commits.mark() != before:
            problems.append(f"refused after a partial write: {exc.message[:120]}")
    except Exception as exc:
        problems.append(f"{type(exc).__name__}: {str(exc)[:200]}")
    for row, columns in refused.items():
        if header not in columns and not any(header in m for m in columns.values()):
            # a rule that ties two columns (开始日期 and 结束日期) may name the other, its message naming this one
            name = CELLS[row - 2][0] if 0 <= row - 2 < len(CELLS) else f"row {row}"
            problems.append(f"{name}: refused without naming {header}: {columns}")
    accepted = [cell for i, cell in enumerate(CELLS) if i + 2 not in refused]
    if accepted and not problems:
        try:
            preview = case.preview(w, _workbook(case, w, header, accepted))
            exact = case.exact.get(header)
            if preview.problems or len(preview.parsed) != len(accepted):
                problems.append(f"the accepted rows alone: {len(preview.parsed)} of {len(accepted)} parsed, "
                                f"problems {[str(p) for p in preview.problems[:3]]}")
            for (name, value), parsed in zip(accepted, preview.parsed, strict=False):
                if exact is None:
                    break
                try:
                    expected = exact[1](value)
                except o.Refuse as why:
                    problems.append(f"{name}: accepted ({why}) as {getattr(parsed, exact[0])!r:.60}")
                    continue
                if not o.same(getattr(parsed, exact[0]), expected):
                    problems.append(f"{name}: parsed {getattr(parsed, exact[0])!r:.60}, expected {expected!r:.60}")
            case.commit(w, preview)
        except Exception as exc:
            problems.append(f"the accepted rows alone: {type(exc).__name__}: {str(exc)[:300]}")
    assert not problems, f"{case.name} · {header}: {len(CELLS)} cells, {len(refused)} refused:\n  " + "\n  ".join(
        problems[:40])
    commits.close()
