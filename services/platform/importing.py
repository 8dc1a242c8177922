"""The one Excel import pipeline: find the header -> parse the rows -> plan -> preview -> commit.

Every import (assets, tickets, arrears, staff, attendance) is an `Import` declaration over this module: how its
sheet is read (its columns and header finding, via `read_layout` or `read_exact`, and its row parser), how the
parsed rows are planned against the database, the preview table of a plan, and its writer. What is the same for
every import lives here once:

- `preview` checks the permission, reads the workbook once (no database), plans the parsed rows in a read-only
  session and returns an `ImportPreview`; it writes nothing. Every problem is listed at once, in Chinese, by Excel
  row (as Excel shows it, title and header rows count; None for the whole file) and column, whole-file problems
  first (workbook.sorted_problems). A header with no data row under it is one whole-file problem.
- `commit` checks the permission again and refuses a preview of another import or one with problems; then, inside
  ONE `unit_of_work`, it takes the import's lock first (a locked counter row: two imports of one kind at once are
  serialised, so they cannot both create the same records), re-plans the same parsed rows, refuses the whole
  import on any problem (workbook.refusal), writes nothing at all when the plan changes nothing (not even an audit
  row: the lock's counter bump rolls back with the rest), else writes and commits once. All-or-nothing: a problem,
  an exception or a concurrent change (IntegrityError -> Conflict, a version-checked update that missed ->
  StaleEdit, each saying nothing was written) leaves the database as it was.
- An import's audit row is written by `audit.record` (the one audit JSON format) in the writing transaction: one
  row (action "import", entity id "-") with what the writer reports, or none when the writer audits each record
  itself (the asset import).
- Importing the same file again plans no change, so it changes nothing.

Nothing here imports another service domain: an import supplies its rules as functions.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO, Generic, Protocol, TypeVar

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from db.engine import read_session, unit_of_work
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.errors import Conflict, StaleEdit, ValidationError
from services.platform.workbook import (
    Problem,
    Progress,
    RowCells,
    blank,
    header_text,
    load,
    read_table,
    refusal,
    sheet_rows,
    sorted_problems,
)

Source = bytes | str | Path | BinaryIO
HEADER_SCAN_ROWS = 20

R = TypeVar("R")  # one parsed row of an import


class Planned(Protocol):
    """What the pipeline reads of an import's plan: its problems and its counts (a frozen dataclass with
    `summary()`); the rest of a plan belongs to the import's writer."""

    @property
    def problems(self) -> list[Problem]: ...

    @property
    def counts(self) -> Any: ...


P = TypeVar("P", bound=Planned)


def _quiet(_fraction: float, _message: str) -> None:
    return None


def scaled(progress: Progress, start: float, share: float) -> Progress:
    """`progress` for a part of the work that reports 0..1 itself and covers start..start+share of the whole."""
    return lambda f, m: progress(start + share * f, m)


# --- reading ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Layout:
    """One layout a sheet may come in: its headers (and other spellings of them) and the fields they give."""

    key: str
    label: str
    columns: Mapping[str, str | None]  # header -> field (None: read and ignored)
    aliases: Mapping[str, str]
    signature: tuple[str, ...]  # headers that identify the layout
    required: tuple[str, ...]  # headers that must be present

    def header_of(self, fld: str) -> str:
        return next(h for h, f in self.columns.items() if f == fld)


@dataclass(frozen=True)
class Header:
    """A header row found: its sheet and layout, its Excel row, header -> column index of the columns read, and
    field -> header as the file names it (for problems found after reading)."""

    sheet: str
    layout: Layout
    row: int
    positions: Mapping[str, int]
    columns: Mapping[str, str]


@dataclass(frozen=True)
class Sheet(Generic[R]):
    """What reading a workbook gave: the rows that passed their cell checks and every problem found so far."""

    name: str = ""
    rows: Sequence[R] = ()
    problems: Sequence[Problem] = ()
    # the rows the counts report when nothing could be planned: read_exact counts every data row, read_layout
    # the rows that passed (as the imports always reported them)
    total: int = 0
    layout: Layout | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # field -> header in the file


def find_header(rows: Sequence[tuple[Any, ...]],
                layouts: Sequence[Layout]) -> tuple[Layout, int, dict[str, int]] | None:
    """(layout, header row index, header -> column index) of the first of the first rows that holds a layout's
    signature; headers are compared as workbook.header_text spells them, aliases first (the first column wins)."""
    for i, row in enumerate(rows[:HEADER_SCAN_ROWS]):
        headers = [header_text(v) for v in row]
        for layout in layouts:
            names = [layout.aliases.get(h, h) for h in headers]
            if all(s in names for s in layout.signature):
                positions: dict[str, int] = {}
                for col, name in enumerate(names):
                    if name in layout.columns and name not in positions:
                        positions[name] = col
                return layout, i, positions
    return None


def missing_columns(header: Header) -> list[Problem]:
    """A problem on the header row for each required header the file lacks."""
    return [Problem(header.row, col, "缺少此列") for col in header.layout.required if col not in header.positions]


def _whole_file(problem: str) -> Sheet[Any]:
    return Sheet(problems=[Problem(None, "文件", problem)])


def read_layout(source: Source, *, layouts: Sequence[Layout], sheets: Sequence[str], guide_sheet: str,
                no_header: str, prepare: Callable[[Header], tuple[Header, list[Problem]]],
                parse_row: Callable[[Header, int, dict[str, Any], datetime, list[Problem]], R | None],
                progress: Progress, parse_from: float = 0.2) -> Sheet[R]:
    """Find the header (the `sheets` first, in that order, then the others but the guide) and parse every data row.

    `prepare` checks the header found (the columns it must have; problems mean no row is read) and may choose the
    columns read and their names; each non-blank row's cells {field: value} then go to `parse_row`, which notes its
    problems and returns the row, or None when it has any."""
    progress(0.0, "正在读取文件…")
    try:
        wb = load(source)
    except ValidationError as exc:
        return _whole_file(exc.errors["文件"])
    found = None
    try:
        epoch = wb.epoch
        names = wb.sheetnames
        ordered = [n for n in sheets if n in names]
        ordered += [n for n in names if n not in ordered and n != guide_sheet]
        for name in ordered:
            rows = sheet_rows(wb, wb[name])
            match = find_header(rows, layouts)
            if match is not None:
                found = (name, rows, *match)
                break
    except ValidationError as exc:  # a damaged sheet
        return _whole_file(exc.errors["文件"])
    finally:
        wb.close()
    if found is None:
        return Sheet(problems=[Problem(None, "表头", no_header)])
    name, rows, layout, index, positions = found
    header, problems = prepare(Header(name, layout, index + 1, positions, {}))
    if problems:
        return Sheet(name=name, problems=problems, layout=layout)
    progress(parse_from, "正在检查每一行…")
    fields = [(f, header.positions[h]) for h, f in layout.columns.items() if f and h in header.positions]
    data = rows[index + 1:]
    parsed: list[R] = []
    step = max(1, len(data) // 20)
    for offset, raw in enumerate(data):
        row = header.row + offset + 1
        if offset % step == 0:
            progress(parse_from + (1 - parse_from) * offset / max(1, len(data)), f"正在检查第 {row} 行…")
        cells = {f: (raw[col] if col < len(raw) else None) for f, col in fields}
        if all(blank(v) for v in cells.values()):
            continue
        parsed_row = parse_row(header, row, cells, epoch, problems)
        if parsed_row is not None:
            parsed.append(parsed_row)
    progress(1.0, "文件检查完毕")
    return Sheet(name=name, rows=parsed, problems=problems, total=len(parsed), layout=layout,
                 columns=header.columns)


def read_exact(source: Source, *, headers: Sequence[str], sheet: str, template: str,
               parse_row: Callable[[RowCells, datetime], R | None], progress: Progress) -> Sheet[R]:
    """Read a sheet whose columns are named exactly (workbook.read_table) and parse every data row."""
    progress(0.0, "正在读取文件…")
    table, problems = read_table(source, headers=headers, sheet=sheet, template=template)
    if table is None:
        return Sheet(problems=problems)
    progress(0.5, "正在检查每一行…")
    parsed = []
    for row, cells in table.rows:
        parsed_row = parse_row(RowCells(row, cells, problems), table.epoch)
        if parsed_row is not None:
            parsed.append(parsed_row)
    return Sheet(name=table.sheet, rows=parsed, problems=problems, total=len(table.rows))


# --- the pipeline ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch(Generic[R]):
    """Parsed rows to plan, and what planning them needs to know of the file and the caller."""

    actor: Actor
    rows: tuple[R, ...]
    total: int = 0  # data rows of the file
    layout: str = ""
    columns: Mapping[str, str] = field(default_factory=dict)  # field -> header in the file
    options: Mapping[str, str] = field(default_factory=dict)  # what the caller chose (e.g. the estate)
    scope: frozenset[int] | None = None  # the records the actor may change (None: every one)


@dataclass(frozen=True)
class AuditEntry:
    """The audit row of one import: before and after as services/platform/audit.py stores them."""

    after: dict[str, Any]
    before: dict[str, Any] | None = None


@dataclass(frozen=True)
class ImportPreview(Generic[R]):
    """What an import would do; `rows` is a table for the screen, `parsed` (and the file's layout, columns and the
    caller's options) feed the commit of the same import."""

    kind: str
    sheet: str
    problems: tuple[Problem, ...]
    counts: Any  # the import's counts (a frozen dataclass with summary())
    rows: pd.DataFrame
    parsed: tuple[R, ...] = field(repr=False, default=())
    layout: str = ""  # the key of the layout found ("" when none)
    layout_label: str = ""
    columns: Mapping[str, str] = field(repr=False, default_factory=dict)
    options: Mapping[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def estate(self) -> str:
        """The estate the caller named for rows without one (the asset and arrears imports)."""
        return self.options.get("estate", "")


@dataclass(frozen=True)
class Import(Generic[R, P]):
    """One import: its permission, lock and audit entity, and the functions only it knows."""

    key: str
    permission: str
    read: Callable[[Source, Mapping[str, str], Progress], Sheet[R]]  # the workbook -> parsed rows (no database)
    plan: Callable[[Session, Batch[R], Progress], P]  # what to write; problems found against the database
    frame: Callable[[Sequence[R], P | None], pd.DataFrame]  # the preview table
    empty: Callable[[int], Any]  # the counts of a file with no row to plan, given its data rows
    changes: Callable[[P], int]  # how many records the plan writes (0: nothing is written)
    write: Callable[[Session, Actor, P, Progress], AuditEntry | None]  # None: the writer audited each record
    lock: Callable[[Session], object] | None = None  # taken first in the writing transaction
    entity: str = ""  # of the import's audit row
    scope: Callable[[Actor], frozenset[int] | None] = lambda _actor: None
    commit_plan: float = 0.3  # share of the commit's progress spent re-planning
    nothing: str = "没有需要导入的变更"
    conflict: str = "导入期间有人同时录入了相同的资料，本次导入没有写入任何数据；请重新导入"
    stale: str = "导入期间有人修改了相关记录，本次导入没有写入任何数据；请重新导入"


def _batch(actor: Actor, scope: frozenset[int] | None, preview: ImportPreview[R]) -> Batch[R]:
    return Batch(actor=actor, rows=preview.parsed, total=len(preview.parsed), layout=preview.layout,
                 columns=preview.columns, options=preview.options, scope=scope)


def preview(imp: Import[R, P], *, actor: Actor, source: Source, options: Mapping[str, str] | None = None,
            progress: Progress | None = None) -> ImportPreview[R]:
    """Read the workbook and plan it against the database; writes nothing."""
    require(actor, imp.permission)
    scope = imp.scope(actor)
    notify = progress or _quiet
    chosen = dict(options or {})
    sheet = imp.read(source, chosen, scaled(notify, 0.0, 0.6))
    plan = None
    if sheet.rows:
        batch = Batch(actor=actor, rows=tuple(sheet.rows), total=sheet.total,
                      layout=sheet.layout.key if sheet.layout else "", columns=sheet.columns, options=chosen,
                      scope=scope)
        with read_session() as s:
            plan = imp.plan(s, batch, scaled(notify, 0.6, 0.4))
    problems = sorted_problems([*sheet.problems, *(plan.problems if plan is not None else [])])
    if not sheet.rows and not problems:
        problems = (Problem(None, "文件", "表头下面没有数据行"),)
    counts = plan.counts if plan is not None else imp.empty(sheet.total)
    notify(1.0, "预览完成")
    return ImportPreview(
        kind=imp.key, sheet=sheet.name, problems=problems, counts=counts, rows=imp.frame(sheet.rows, plan),
        parsed=tuple(sheet.rows), layout=sheet.layout.key if sheet.layout else "",
        layout_label=sheet.layout.label if sheet.layout else "", columns=sheet.columns, options=chosen)


def commit(imp: Import[R, P], *, actor: Actor, preview: ImportPreview[R], progress: Progress | None = None) -> Any:
    """Write a previewed import in one transaction: every change, or nothing and a DomainError; its counts."""
    require(actor, imp.permission)
    scope = imp.scope(actor)
    notify = progress or _quiet
    if preview.kind != imp.key:
        raise ValidationError({"文件": "这份预览不是本导入的（请重新上传文件）"})
    if preview.problems:
        raise refusal(preview.problems)
    try:
        with unit_of_work() as uow:
            s = uow.session
            if imp.lock is not None:
                notify(0.0, "正在等待其他导入完成…")
                imp.lock(s)  # a second import of this kind waits here until this one ends
            else:
                notify(0.0, "正在比对数据库…")
            plan = imp.plan(s, _batch(actor, scope, preview), scaled(notify, 0.0, imp.commit_plan))
            if plan.problems:
                raise refusal(sorted_problems(plan.problems))
            if not imp.changes(plan):
                notify(1.0, imp.nothing)
                return plan.counts  # nothing written: the lock's counter bump rolls back with the rest
            entry = imp.write(s, actor, plan, notify)
            if entry is not None:
                audit.record(s, actor, "import", imp.entity, "-", entry.before, entry.after)
            s.flush()
            uow.commit()
    except IntegrityError as exc:
        raise Conflict(imp.conflict) from exc
    except StaleDataError as exc:
        raise StaleEdit(imp.stale) from exc
    notify(1.0, "导入完成")
    return plan.counts


def run(imp: Import[R, P], *, actor: Actor, source: Source, options: Mapping[str, str] | None = None,
        progress: Progress | None = None) -> Any:
    """Preview and commit in one call (scripts, the command line); raises ValidationError listing every problem."""
    notify = progress or _quiet
    previewed = preview(imp, actor=actor, source=source, options=options, progress=scaled(notify, 0.0, 0.5))
    return commit(imp, actor=actor, preview=previewed, progress=scaled(notify, 0.5, 0.5))
