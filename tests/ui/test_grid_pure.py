"""The grid adapter's pure functions: what the browser receives and what comes back as edits.

No Streamlit script runs here; ui.kit.i18n.t reads st.session_state, which works in bare mode
(language defaults to Chinese).
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import Decimal

import pandas as pd
import pytest

import ui.kit.i18n
from db.models import Unit
from services.estate.units import list_units, update_units
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.listing import ListQuery
from tests.factories import actor_for, audit_json, audit_rows, get_row, make_units
from ui.kit import specs
from ui.kit.grid import Column, GridSpec, diff_edits, grid_options, to_export_frame, to_grid_frame
from ui.kit.i18n import CATALOG, t

SPEC = GridSpec(
    name="test",
    columns=(
        Column("code", "units.code"),
        Column("floor", "units.floor", "int", editable=True),
        Column("built_area", "units.built_area", "area", editable=True),
        Column("status", "units.status", "choice", editable=True, options=("空置", "已入住")),
        Column("delivered_on", "units.delivered_on", "date", editable=True),
        Column("active", "admin.active", "bool", editable=True),
        Column("locked_until", "admin.locked_until", "datetime"),
        Column("note", "units.note", editable=True),
    ),
)


def _rows(**overrides) -> pd.DataFrame:
    base = {
        "id": [11, 12],
        "version": [3, 7],
        "code": ["1-1-101", "1-1-102"],
        "floor": [1, None],
        "built_area": [Decimal("1234.50"), None],
        "status": ["空置", "已入住"],
        "delivered_on": [date(2024, 1, 15), None],
        "active": [True, False],
        "locked_until": [datetime(2026, 3, 1, 16, 30, tzinfo=UTC), None],
        "note": ["", None],
    }
    base.update(overrides)
    return pd.DataFrame(base, dtype=object)


def test_i18n_works_outside_a_streamlit_run_and_defaults_to_chinese():
    assert ui.kit.i18n.lang() == "zh"
    assert t("grid.yes") == "是"


def test_money_and_areas_travel_as_exact_text_and_dates_as_iso():
    sent = to_grid_frame(_rows(), SPEC)
    first, second = sent.to_dict("records")
    assert first["built_area"] == "1234.50"
    assert first["delivered_on"] == "2024-01-15"
    assert first["floor"] == "1"
    assert first["active"] == "是" and second["active"] == "否"
    assert first["locked_until"] == "2026-03-02 00:30"  # Shanghai time
    assert (second["built_area"], second["delivered_on"], second["floor"], second["note"]) == ("", "", "", "")
    assert (first["id"], first["version"], second["id"], second["version"]) == (11, 3, 12, 7)


@pytest.mark.parametrize(("value", "text"), [(Decimal("3"), "3.00"), (Decimal("0.1"), "0.10"),
                                             (Decimal("-99999999.99"), "-99999999.99"), (Decimal("1E+2"), "100.00")])
def test_hundredths_are_never_in_scientific_or_float_form(value, text):
    assert to_grid_frame(_rows(built_area=[value, None]), SPEC)["built_area"].iloc[0] == text


def test_the_grid_frame_holds_only_text_cells_and_integer_keys():
    sent = to_grid_frame(_rows(), SPEC)
    for col in SPEC.columns:
        assert all(isinstance(v, str) for v in sent[col.field]), col.field
    assert list(sent.columns) == ["id", "version", *[c.field for c in SPEC.columns]]


def test_an_empty_page_gives_an_empty_frame_with_every_column():
    sent = to_grid_frame(_rows().iloc[0:0], SPEC)
    assert len(sent) == 0
    assert {"id", "version", "built_area", "note"} <= set(sent.columns)


def test_nan_from_pandas_is_shown_as_blank():
    sent = to_grid_frame(_rows(floor=[math.nan, 2.0], built_area=[math.nan, None]), SPEC)
    assert list(sent["floor"]) == ["", "2"]
    assert list(sent["built_area"]) == ["", ""]


# --- diff_edits -------------------------------------------------------------------------------


def test_only_changed_editable_fields_come_back_with_the_version_sent():
    sent = to_grid_frame(_rows(), SPEC)
    returned = sent.copy()
    returned.loc[0, "built_area"] = "1300.00"
    returned.loc[0, "version"] = 99  # the grid cannot move the version the user saw
    returned.loc[0, "code"] = "9-9-999"  # not editable: ignored
    returned.loc[1, "delivered_on"] = "2026-02-30"  # passed on; the service refuses it
    edits = diff_edits(sent, returned, SPEC)
    assert edits == [
        RowEdit(id=11, version=3, changes={"built_area": "1300.00"}),
        RowEdit(id=12, version=7, changes={"delivered_on": "2026-02-30"}),
    ]


def test_an_unchanged_grid_gives_no_edits():
    sent = to_grid_frame(_rows(), SPEC)
    assert diff_edits(sent, sent.copy(), SPEC) == []
    assert diff_edits(sent, None, SPEC) == []
    assert diff_edits(sent, sent.iloc[0:0], SPEC) == []


@pytest.mark.parametrize("blank", [None, math.nan, ""])
def test_none_nan_and_empty_text_are_the_same_blank(blank):
    sent = to_grid_frame(_rows(), SPEC)
    returned = sent.copy().astype(object)
    for field in ("built_area", "delivered_on", "floor", "note"):
        returned.at[1, field] = blank
    assert diff_edits(sent, returned, SPEC) == []


def test_clearing_a_cell_is_an_edit_to_blank():
    sent = to_grid_frame(_rows(), SPEC)
    returned = sent.copy().astype(object)
    returned.at[0, "built_area"] = None
    returned.at[0, "delivered_on"] = math.nan
    assert diff_edits(sent, returned, SPEC) == [RowEdit(11, 3, {"built_area": "", "delivered_on": ""})]


def test_numbers_the_grid_turns_into_floats_are_not_edits():
    sent = to_grid_frame(_rows(), SPEC)
    returned = sent.copy().astype(object)
    returned.at[0, "floor"] = 1.0
    returned.at[0, "id"] = 11.0
    assert diff_edits(sent, returned, SPEC) == []


def test_rows_the_grid_invents_or_garbles_are_ignored():
    sent = to_grid_frame(_rows(), SPEC)
    returned = pd.concat([sent, pd.DataFrame([{"id": 999, "version": 1, "note": "新行"},
                                              {"id": None, "version": 1, "note": "无主"},
                                              {"id": "abc", "version": 1, "note": "乱码"}])],
                         ignore_index=True)
    assert diff_edits(sent, returned, SPEC) == []
    assert diff_edits(sent, sent.drop(columns=["id"]), SPEC) == []


def test_rows_come_back_in_any_order():
    sent = to_grid_frame(_rows(), SPEC)
    returned = sent.iloc[::-1].reset_index(drop=True).copy()
    returned.loc[returned.id == 11, "note"] = "改"
    assert diff_edits(sent, returned, SPEC) == [RowEdit(11, 3, {"note": "改"})]


# --- export -----------------------------------------------------------------------------------


def test_export_frame_has_translated_headers_and_keeps_numbers_as_numbers():
    out = to_export_frame(_rows(), SPEC)
    assert list(out.columns) == [t(c.label) for c in SPEC.columns]
    assert out[t("units.built_area")].iloc[0] == Decimal("1234.50")
    assert out[t("units.delivered_on")].iloc[0] == date(2024, 1, 15)
    assert out[t("units.floor")].iloc[0] == 1
    assert out[t("admin.active")].tolist() == ["是", "否"]


def test_export_headers_follow_the_language(monkeypatch):
    monkeypatch.setattr(ui.kit.i18n, "lang", lambda: "en")
    out = to_export_frame(_rows(), SPEC)
    assert "Built area (m²)" in out.columns
    assert out["Active"].tolist() == ["Yes", "No"]


# --- the specs the pages use ------------------------------------------------------------------


@pytest.mark.parametrize("spec", [v for v in vars(specs).values() if isinstance(v, GridSpec)],
                         ids=lambda s: s.name)
def test_every_grid_label_is_in_the_catalog(spec):
    for col in spec.columns:
        assert col.label in CATALOG, (spec.name, col.field, col.label)


def test_an_edit_travels_from_list_to_grid_and_back_exactly(sqlite_db):
    """list_units -> to_grid_frame -> (user types) -> diff_edits -> update_units, without a browser."""
    [unit_id, other] = make_units(2)
    actor = actor_for(Role.SERVICE)
    rows = list_units(actor=actor, query=ListQuery()).rows
    sent = to_grid_frame(rows, specs.UNITS)
    assert sent.loc[sent.id == unit_id, "built_area"].iloc[0] == "89.50"
    returned = sent.copy()
    returned.loc[returned.id == unit_id, "built_area"] = "120.37"
    returned.loc[returned.id == unit_id, "delivered_on"] = "2025-03-01"
    edits = diff_edits(sent, returned, specs.UNITS)
    assert edits == [RowEdit(unit_id, 1, {"built_area": "120.37", "delivered_on": "2025-03-01"})]
    assert update_units(actor=actor, edits=edits) == 1
    unit = get_row(Unit, unit_id)
    assert (unit.built_area, unit.delivered_on) == (Decimal("120.37"), date(2025, 3, 1))
    [entry] = audit_rows(entity="units")
    assert audit_json(entry)[1] == {"built_area": "120.37", "delivered_on": "2025-03-01"}


def test_editable_numbers_stay_right_aligned_like_their_headers():
    cols = {d["field"]: d for d in grid_options(SPEC, editable=True)["columnDefs"]}
    assert cols["floor"]["type"] == "rightAligned"
    assert cols["floor"]["cellClass"] == ["propdesk-editable", "ag-right-aligned-cell"]
    assert cols["built_area"]["cellClass"] == ["propdesk-editable", "ag-right-aligned-cell"]
    assert cols["note"]["cellClass"] == "propdesk-editable"
    read_only = {d["field"]: d for d in grid_options(SPEC, editable=False)["columnDefs"]}
    assert "cellClass" not in read_only["floor"]  # the type's own class applies
