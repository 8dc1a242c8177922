"""Exports neutralise formula-looking text (OWASP CSV injection): every CSV and XLSX PropDesk writes goes through
services/platform/excel.py, which puts an apostrophe before a text cell starting with = + - @, a tab or a carriage
return, in both formats; numbers, negative ones too, stay numbers; a workbook never gets a formula cell."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pandas as pd
import pytest

from services.admin import system
from services.estate.units import list_units, update_units
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.excel import FORMULA_STARTS, frame_to_bytes
from services.platform.listing import ListQuery
from tests.factories import actor_for, make_units, sqlite_only
from tests.services.platform.hostile_corpus import CORPUS
from ui.kit import specs
from ui.kit.grid import to_export_frame

TEXTS = [(n, v) for n, v in CORPUS if isinstance(v, str) and v.encode("utf-8", "surrogatepass") and
         not any("\ud800" <= c <= "\udfff" for c in v)]
FORMULAS = [(n, v) for n, v in TEXTS if v.startswith(FORMULA_STARTS)]
NUMBERS = [-5, -1.5, Decimal("-100.00"), Decimal("-0.01"), 0, 1234.5, Decimal("1234.50")]


def _csv_cells(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def _xlsx_cells(data: bytes) -> list[list[openpyxl.cell.cell.Cell]]:
    return [list(r) for r in openpyxl.load_workbook(io.BytesIO(data)).active.iter_rows()]


def test_the_corpus_holds_every_formula_start_owasp_names():
    assert {v[0] for _, v in FORMULAS} == set(FORMULA_STARTS)
    assert len(FORMULAS) >= 10


def test_formula_looking_text_gets_an_apostrophe_in_csv_and_other_text_is_kept_as_it_is():
    frame = pd.DataFrame({"text": [v for _, v in TEXTS]}, dtype=object)
    cells = [row[0] for row in _csv_cells(frame_to_bytes(frame, "csv"))[1:]]
    for (name, value), cell in zip(TEXTS, cells, strict=True):
        expected = "'" + value if value.startswith(FORMULA_STARTS) else value
        assert cell == expected, name


def test_formula_looking_text_gets_an_apostrophe_in_xlsx_and_no_cell_is_a_formula():
    frame = pd.DataFrame({"text": [v for _, v in FORMULAS]}, dtype=object)
    rows = _xlsx_cells(frame_to_bytes(frame, "xlsx"))[1:]
    assert all(row[0].data_type != "f" for row in rows)
    for (name, value), row in zip(FORMULAS, rows, strict=True):
        # XML keeps a line break as LF
        assert row[0].value == "'" + value.replace("\r\n", "\n").replace("\r", "\n"), name


def test_negative_numbers_stay_numbers_in_both_formats():
    frame = pd.DataFrame({"amount": NUMBERS}, dtype=object)
    csv_cells = [row[0] for row in _csv_cells(frame_to_bytes(frame, "csv"))[1:]]
    assert csv_cells == [str(v) for v in NUMBERS]
    xlsx_rows = _xlsx_cells(frame_to_bytes(frame, "xlsx"))[1:]
    assert [(r[0].data_type, Decimal(str(r[0].value))) for r in xlsx_rows] == [("n", Decimal(str(v))) for v in NUMBERS]


def test_a_header_that_looks_like_a_formula_is_neutralised_too():
    frame = pd.DataFrame({"=cmd|' /C calc'!A0": ["x"]}, dtype=object)
    assert _csv_cells(frame_to_bytes(frame, "csv"))[0] == ["'=cmd|' /C calc'!A0"]


def test_text_a_workbook_cannot_hold_is_shown_as_a_replacement_character_not_a_broken_file():
    frame = pd.DataFrame({"text": ["a\ufffeb", "c\x0bd"]}, dtype=object)
    assert [r[0].value for r in _xlsx_cells(frame_to_bytes(frame, "xlsx"))[1:]] == ["a\ufffdb", "c\ufffdd"]


@sqlite_only
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_hostile_notes_stored_through_the_grid_come_out_neutralised_from_every_export(db, fmt):
    """The command line's export (services.admin.system) and the grid's (ui.kit.grid.to_export_frame)."""
    notes = [v for _, v in FORMULAS if v[0] not in "\t\r"]  # the grid strips a leading tab or CR
    unit_ids = make_units(len(notes))
    actor = actor_for(Role.SERVICE)
    update_units(actor=actor, edits=[RowEdit(u, 1, {"note": n, "delivered_on": date(2024, 1, 15)})
                                     for u, n in zip(unit_ids, notes, strict=True)])
    rows = list_units(actor=actor, query=ListQuery(page_size=None)).rows
    for data in (system.export_table("units", fmt), frame_to_bytes(to_export_frame(rows, specs.UNITS), fmt)):
        if fmt == "csv":
            table = _csv_cells(data)
            cells = {c for row in table[1:] for c in row}
        else:
            table_x = _xlsx_cells(data)
            assert all(c.data_type != "f" for row in table_x for c in row)
            cells = {c.value for row in table_x[1:] for c in row}
        assert {"'" + n for n in notes} <= cells
        assert not set(notes) & cells
