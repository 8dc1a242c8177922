"""The grid adapter: the only place streamlit-aggrid is used.

A declarative column spec drives it; a page gives it a read service (one page of
rows, filtered and sorted in SQL) and a write service (typed edits), and gets an
Excel-like editable table with search, sort, paging, export and per-row errors.

Measured traps this module hides (see DESIGN.md):
- streamlit-aggrid 1.2 with pandas 3 mangles Decimal and date columns, so money
  and areas travel as exact strings ("1234.50") and dates as ISO strings; the
  services parse them back with validation;
- the grid mutates its input frame, so it is handed a copy;
- after a save the grid keeps its own client copy unless its key changes, so
  the key carries a generation counter that a save or a discard advances;
- JsCode here is constant text, never built from data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

import pandas as pd
import streamlit as st
from st_aggrid import AgGrid, DataReturnMode, JsCode

from services.platform.auth import can
from services.platform.editing import RowEdit
from services.platform.errors import DomainError, ValidationError
from services.platform.excel import frame_to_bytes
from services.platform.listing import MAX_PAGE_SIZE, ListQuery, PageResult
from services.platform.validate import is_blank
from ui.kit import fmt
from ui.kit.i18n import lang, t
from ui.kit.session import DATA_GENERATION, current_actor, flash

KINDS = ("text", "int", "money", "area", "rate", "date", "choice", "bool", "datetime")
PAGE_SIZES = (50, 100, 200, MAX_PAGE_SIZE)


@dataclass(frozen=True)
class Column:
    """One grid column: `field` in the read service's frame, `label` a catalog key."""

    field: str
    label: str
    kind: str = "text"
    editable: bool = False
    required: bool = False
    options: tuple[str, ...] = ()
    width: int | None = None
    sortable: bool = True
    pinned: bool = False

    def __post_init__(self):
        if self.kind not in KINDS:
            raise ValueError(f"unknown column kind {self.kind!r}")


@dataclass(frozen=True)
class GridSpec:
    name: str
    columns: tuple[Column, ...]
    id_field: str = "id"
    version_field: str = "version"
    default_page_size: int = 100
    searchable: bool = True
    search_hint: str = "grid.search_help"
    default_sort: str | None = None  # a column field; the first sortable column when None
    default_descending: bool = False
    export_sheet: str = ""
    height: int = 520
    # a field whose text names a row (e.g. the ticket number): shows a picker under the grid, and
    # picked_row() tells the page which row the user opened
    pick_field: str | None = None

    @property
    def editable_fields(self) -> list[str]:
        return [c.field for c in self.columns if c.editable]


# --- pure functions (unit-tested without a browser) -------------------------------------------


def _cell_text(value: Any, kind: str) -> Any:
    if value is None or (isinstance(value, float) and value != value):
        return ""
    if kind in ("money", "area"):
        return fmt.plain_hundredths(value) if isinstance(value, Decimal) else str(value)
    if kind == "rate":
        return format(value, "f") if isinstance(value, Decimal) else str(value)
    if kind == "date":
        return value.isoformat() if isinstance(value, date) else str(value)
    if kind == "datetime":
        return fmt.moment(value) if isinstance(value, datetime) else str(value)
    if kind == "bool":
        return t("grid.yes") if bool(value) else t("grid.no")
    if kind == "int":
        return str(int(value))
    return str(value)


def to_grid_frame(rows: pd.DataFrame, spec: GridSpec) -> pd.DataFrame:
    """The frame the browser receives: every shown value as exact text, plus id and version."""
    out = pd.DataFrame(index=range(len(rows)))
    out[spec.id_field] = [int(v) for v in rows[spec.id_field]] if len(rows) else []
    if spec.version_field in rows:
        out[spec.version_field] = [int(v) for v in rows[spec.version_field]] if len(rows) else []
    for col in spec.columns:
        if col.field in (spec.id_field, spec.version_field):
            continue
        out[col.field] = [_cell_text(v, col.kind) for v in rows[col.field]] if len(rows) else []
    return out.astype({c.field: object for c in spec.columns if c.field in out})


def to_export_frame(rows: pd.DataFrame, spec: GridSpec) -> pd.DataFrame:
    """The frame written to Excel: translated headers; money, areas and numbers stay numbers."""
    out = pd.DataFrame(index=range(len(rows)))
    for col in spec.columns:
        values = list(rows[col.field]) if len(rows) else []
        if col.kind in ("money", "area", "rate", "int", "date"):
            out[t(col.label)] = pd.Series(values, dtype=object)
        else:
            out[t(col.label)] = pd.Series([_cell_text(v, col.kind) for v in values], dtype=object)
    return out


def _norm(value: Any) -> Any:
    """A returned cell as the text it shows; a cell the grid garbled (a dict where a Decimal was, a list...) is
    passed on as it is, for the service to refuse, never stored as its Python repr."""
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, str | int | float | Decimal | date):
        return str(value)
    return value


def diff_edits(sent: pd.DataFrame, returned: pd.DataFrame | None, spec: GridSpec) -> list[RowEdit]:
    """What the user changed: for each row whose editable cells differ from what was sent."""
    if returned is None or len(returned) == 0 or spec.id_field not in returned:
        return []
    sent_by_id = {int(r[spec.id_field]): r for r in sent.to_dict("records")}
    edits = []
    for row in returned.to_dict("records"):
        try:
            row_id = int(row[spec.id_field])
        except (TypeError, ValueError):
            continue
        before = sent_by_id.get(row_id)
        if before is None:
            continue
        changes = {}
        for f in spec.editable_fields:
            new = _norm(row.get(f))
            if new != _norm(before.get(f)):
                changes[f] = new
        if changes:
            edits.append(RowEdit(id=row_id, version=int(before[spec.version_field]), changes=changes))
    return edits


def _bool_labels() -> tuple[str, str]:
    return (t("grid.yes"), t("grid.no"))


_MONEY_FORMATTER = JsCode(
    """
function(params) {
  const v = params.value;
  if (v === null || v === undefined || v === '') { return ''; }
  const m = String(v).match(/^(-?)(\\d+)(\\.\\d+)?$/);
  if (!m) { return String(v); }
  return m[1] + '¥' + m[2].replace(/\\B(?=(\\d{3})+(?!\\d))/g, ',') + (m[3] || '');
}
"""
)
_ROW_ID = JsCode("function(params) { return String(params.data.id); }")

LOCALE_ZH = {
    "noRowsToShow": "没有符合条件的记录", "loadingOoo": "加载中…", "page": "页", "of": "/",
    "to": "至", "more": "更多", "next": "下一页", "previous": "上一页", "first": "首页", "last": "末页",
    "filterOoo": "筛选…", "equals": "等于", "notEqual": "不等于", "contains": "包含",
    "notContains": "不包含", "startsWith": "开头是", "endsWith": "结尾是", "blank": "为空",
    "notBlank": "不为空", "andCondition": "并且", "orCondition": "或者", "applyFilter": "应用",
    "resetFilter": "重置", "clearFilter": "清除", "cancelFilter": "取消", "selectAll": "全选",
    "searchOoo": "搜索…", "pinColumn": "固定列", "autosizeThisColumn": "自动调整此列宽",
    "autosizeAllColumns": "自动调整所有列宽", "resetColumns": "重置列", "copy": "复制",
    "copyWithHeaders": "连同表头复制", "paste": "粘贴", "export": "导出", "sortAscending": "升序",
    "sortDescending": "降序", "sortUnSort": "取消排序", "columns": "列", "noPin": "不固定",
    "pinLeft": "固定在左侧", "pinRight": "固定在右侧", "ariaChecked": "已选", "ariaUnchecked": "未选",
}


def grid_options(spec: GridSpec, *, editable: bool) -> dict:
    """AG Grid options for `spec`: every column text, money right-aligned with ¥, headers translated."""
    defs: list[dict] = [
        {"field": spec.id_field, "hide": True},
        {"field": spec.version_field, "hide": True},
    ]
    for col in spec.columns:
        if col.field in (spec.id_field, spec.version_field):
            continue
        d: dict[str, Any] = {
            "field": col.field,
            "headerName": t(col.label) + (" *" if col.required and editable and col.editable else ""),
            "editable": bool(editable and col.editable),
            "sortable": False,
            "filter": False,
            "resizable": True,
            "cellDataType": False,
        }
        if col.width:
            d["width"] = col.width
        if col.pinned:
            d["pinned"] = "left"
        if col.kind in ("money", "area", "rate", "int"):
            d["type"] = "rightAligned"
        if col.kind == "money":
            d["valueFormatter"] = _MONEY_FORMATTER
        if d["editable"] and col.kind == "choice":
            d["cellEditor"] = "agSelectCellEditor"
            d["cellEditorParams"] = {"values": list(col.options)}
        if d["editable"] and col.kind == "bool":
            d["cellEditor"] = "agSelectCellEditor"
            d["cellEditorParams"] = {"values": list(_bool_labels())}
        if d["editable"]:  # a colDef's cellClass replaces the one its type gives: keep numbers right-aligned
            d["cellClass"] = ["propdesk-editable", "ag-right-aligned-cell"] if d.get("type") == "rightAligned" \
                else "propdesk-editable"
        defs.append(d)
    options: dict[str, Any] = {
        "columnDefs": defs,
        "getRowId": _ROW_ID,
        "singleClickEdit": False,
        "stopEditingWhenCellsLoseFocus": True,
        "enterNavigatesVerticallyAfterEdit": True,
        "undoRedoCellEditing": True,
        "suppressMovableColumns": True,
        "defaultColDef": {"minWidth": 70},
    }
    if lang() == "zh":
        options["localeText"] = LOCALE_ZH
    return options


# --- the Streamlit piece -----------------------------------------------------------------------


def _state(spec: GridSpec, name: str, default: Any) -> Any:
    key = f"grid:{spec.name}:{name}"
    if key not in st.session_state:
        st.session_state[key] = default
    return st.session_state[key]


def _set(spec: GridSpec, name: str, value: Any) -> None:
    st.session_state[f"grid:{spec.name}:{name}"] = value


def _bump(spec: GridSpec) -> None:
    _set(spec, "gen", _state(spec, "gen", 0) + 1)


def _query_controls(spec: GridSpec, filters: Mapping[str, Any]) -> ListQuery:
    sortable = [c for c in spec.columns if c.sortable]
    c1, c2, c3, c4 = st.columns([4, 2, 1, 1], vertical_alignment="bottom")
    search = ""
    if spec.searchable:
        search = c1.text_input(t("grid.search"), key=f"grid:{spec.name}:search",
                               placeholder=t(spec.search_hint), max_chars=100)
    sort_labels = {c.field: t(c.label) for c in sortable}
    sort_options = list(sort_labels)
    sort = c2.selectbox(t("grid.sort"), options=sort_options, format_func=sort_labels.get,
                        index=sort_options.index(spec.default_sort) if spec.default_sort in sort_options else 0,
                        key=f"grid:{spec.name}:sort")
    descending = c3.toggle(t("grid.desc"), value=spec.default_descending, key=f"grid:{spec.name}:desc")
    page_size = c4.selectbox(t("grid.page_size"), PAGE_SIZES,
                             index=PAGE_SIZES.index(spec.default_page_size)
                             if spec.default_page_size in PAGE_SIZES else 1,
                             key=f"grid:{spec.name}:page_size")
    signature = (search, tuple(sorted((k, str(v)) for k, v in filters.items())), sort, descending, page_size)
    if _state(spec, "signature", signature) != signature:
        _set(spec, "signature", signature)
        _set(spec, "page", 1)
    return ListQuery(search=search, filters=dict(filters), sort=sort, descending=descending,
                     page=_state(spec, "page", 1), page_size=page_size)


def _pager(spec: GridSpec, result: PageResult) -> None:
    c1, c0, c2, c3 = st.columns([5, 1, 1, 1], vertical_alignment="center")
    c1.caption(t("grid.total", total=f"{result.total:,}", page=result.page, pages=result.pages))
    if c0.button(t("grid.refresh"), key=f"grid:{spec.name}:refresh", width="stretch",
                 icon=":material/refresh:"):
        _bump(spec)
        st.rerun()
    if c2.button(t("grid.prev"), key=f"grid:{spec.name}:prev", disabled=result.page <= 1,
                 width="stretch"):
        _set(spec, "page", result.page - 1)
        st.rerun()
    if c3.button(t("grid.next"), key=f"grid:{spec.name}:next", disabled=result.page >= result.pages,
                 width="stretch"):
        _set(spec, "page", result.page + 1)
        st.rerun()


def _remember_pick(spec: GridSpec, grid_key: str) -> None:
    st.session_state[f"grid:{spec.name}:picked"] = st.session_state.get(f"grid:{spec.name}:picked:{grid_key}")


def picked_row(spec: GridSpec) -> int | None:
    """The id of the row the user opened with the picker under the grid, if any."""
    value = st.session_state.get(f"grid:{spec.name}:picked")
    return int(value) if value is not None else None


def open_row(spec: GridSpec, row_id: int) -> None:
    """Open `row_id` under the grid as if the user had picked it (a record just created in a form)."""
    st.session_state[f"grid:{spec.name}:picked"] = row_id


def _show_row_errors(error: ValidationError) -> None:
    lines = [f"- **{row}** · {field}：{msg}" for row, fields in error.row_errors.items()
             for field, msg in fields.items()]
    lines += [f"- {field}：{msg}" for field, msg in error.errors.items()]
    st.error(t("grid.row_errors") + "\n" + "\n".join(lines))


def data_grid(
    spec: GridSpec,
    *,
    load: Callable[[ListQuery], PageResult],
    save: Callable[[Sequence[RowEdit]], int] | None = None,
    filters: Mapping[str, Any] | None = None,
) -> list[RowEdit]:
    """Show one page of `load`'s rows; when `save` is given, cells marked editable can be changed and saved.

    Returns the pending (unsaved) edits, which pages rarely need.
    """
    filters = dict(filters or {})
    query = _query_controls(spec, filters)
    gen = _state(spec, "gen", 0)
    data_gen = st.session_state.get(DATA_GENERATION, 0)
    grid_key = f"aggrid:{spec.name}:{gen}.{data_gen}:{hash(_state(spec, 'signature', None))}:{query.page}"
    # The browser keeps its own copy of the rows for as long as the grid key stays the same, so
    # edits are diffed against - and carry the versions of - exactly that copy, not a fresh load:
    # a row someone else saved meanwhile then fails with StaleEdit instead of being overwritten.
    snapshot = st.session_state.get(f"grid:{spec.name}:snapshot")
    if snapshot is None or snapshot[0] != grid_key:
        result = load(query)
        snapshot = (grid_key, result, to_grid_frame(result.rows, spec))
        st.session_state[f"grid:{spec.name}:snapshot"] = snapshot
    _, result, sent = snapshot
    _set(spec, "page", result.page)
    editable = save is not None
    if result.total == 0:
        st.info(t("grid.empty"))
        response_data = None
    else:
        height = min(spec.height, 48 + 34 * len(sent))
        response = AgGrid(
            sent.copy(),
            gridOptions=grid_options(spec, editable=editable),
            height=height,
            key=grid_key,
            update_on=["cellValueChanged"],
            data_return_mode=DataReturnMode.AS_INPUT,
            allow_unsafe_jscode=True,  # constant JsCode only (formatter, row id)
            theme="streamlit",
        )
        response_data = response.data
    _pager(spec, result)
    if spec.pick_field and len(sent):
        labels = dict(zip(sent[spec.id_field], sent[spec.pick_field], strict=True))
        st.selectbox(t("grid.pick"), [None, *labels], format_func=lambda v: "—" if v is None else labels[v],
                     key=f"grid:{spec.name}:picked:{grid_key}", on_change=_remember_pick, args=(spec, grid_key))
    edits = diff_edits(sent, response_data, spec) if editable else []

    if edits:
        c1, c2, c3 = st.columns([4, 1, 1], vertical_alignment="center")
        c1.warning(t("grid.pending", n=len(edits)))
        if c2.button(t("grid.save"), type="primary", key=f"grid:{spec.name}:save", width="stretch"):
            try:
                n = save(edits)
            except ValidationError as exc:
                _show_row_errors(exc)
            except DomainError as exc:  # StaleEdit, Conflict, PermissionDenied: the user's edits stay visible
                st.error(exc.message)
            else:
                flash(t("grid.saved", n=n))
                _bump(spec)
                st.rerun()
        if c3.button(t("grid.discard"), key=f"grid:{spec.name}:discard", width="stretch"):
            _bump(spec)
            st.rerun()

    if spec.export_sheet and can(current_actor(), "data.export"):
        export_query = ListQuery(search=query.search, filters=query.filters, sort=query.sort,
                                 descending=query.descending, page=1, page_size=None)

        def export_bytes() -> bytes:
            return frame_to_bytes(to_export_frame(load(export_query).rows, spec), "xlsx",
                                  sheet=spec.export_sheet)

        st.download_button(
            t("grid.export"), data=export_bytes, file_name=f"{spec.export_sheet}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            help=t("grid.export_help"), key=f"grid:{spec.name}:export", icon=":material/download:",
        )
    return edits
