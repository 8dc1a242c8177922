"""The units page's edit path with the grid component replaced (AppTest cannot drive AG Grid;
the real grid is covered in tests/e2e)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest

import ui.kit.grid
from services.estate.units import list_units
from services.platform.auth import SYSTEM_ACTOR
from services.platform.listing import ListQuery
from tests.pages.conftest import open_tab, signed_in

ESTATE_ID = 1  # 翠湖花园; 锦绣华庭 has units with the same codes


def _unit(code: str):
    query = ListQuery(search=code, filters={"estate_id": ESTATE_ID}, page_size=500)
    rows = list_units(actor=SYSTEM_ACTOR, query=query).rows
    return rows[rows.code == code].iloc[0]


@pytest.fixture
def typed_into_grid(monkeypatch):
    """Make the grid report that the user typed `changes[field]` into the row with `code`."""
    typed: dict = {}

    def fake_aggrid(data, **kwargs):
        out = data.copy()
        if kwargs.get("key", "").startswith("aggrid:units:"):
            for (code, field), value in typed.items():
                out.loc[out.code == code, field] = value
        return SimpleNamespace(data=out)

    monkeypatch.setattr(ui.kit.grid, "AgGrid", fake_aggrid)
    return typed


def _owners_page(username: str, code: str):
    at = signed_in(username).run()
    at.switch_page("screens/owners.py").run()
    open_tab(at, "房屋")
    at.selectbox(key="units:estate").select(ESTATE_ID).run()
    at.text_input(key="grid:units:search").input(code)
    return at.run()


def test_typed_area_and_date_are_saved_exactly(demo_db, typed_into_grid):
    code = "1-1-101"
    typed_into_grid[(code, "built_area")] = "120.37"
    typed_into_grid[(code, "delivered_on")] = "2025-03-08"
    at = _owners_page("service", code)
    assert "1 行有未保存的修改" in at.warning[0].value
    next(b for b in at.button if b.label == "保存修改").click()
    at.run()
    assert not at.exception and not at.error
    unit = _unit(code)
    assert unit.built_area == Decimal("120.37")
    assert unit.delivered_on.isoformat() == "2025-03-08"


def test_bad_cells_are_listed_by_row_and_field_and_nothing_is_written(demo_db, typed_into_grid):
    code = "1-1-102"
    before = _unit(code)
    typed_into_grid[(code, "built_area")] = "abc"
    typed_into_grid[(code, "delivered_on")] = "2026-02-30"
    at = _owners_page("clerk", code)
    next(b for b in at.button if b.label == "保存修改").click()
    at.run()
    [message] = [e.value for e in at.error]
    assert "建筑面积：应为数字" in message
    assert "交房日期：日期不存在：2026-02-30" in message
    after = _unit(code)
    assert (after.built_area, after.delivered_on, after.version) == (
        before.built_area, before.delivered_on, before.version)


def test_read_only_role_gets_no_save_button(demo_db, typed_into_grid):
    typed_into_grid[("1-1-103", "note")] = "试图修改"
    at = _owners_page("cashier", "1-1-103")
    assert not [b for b in at.button if b.label == "保存修改"]
    assert "当前角色只能查看" in at.caption[0].value
