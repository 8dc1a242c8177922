"""Units 房屋: grid edits parse and check every cell; a bad cell refuses the batch and writes nothing."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from db.engine import unit_of_work
from db.models import Person, Unit, UnitPerson
from services.estate import units
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.errors import ValidationError
from services.platform.listing import ListQuery
from tests.factories import actor_for, db_state, get_row, make_units

SERVICE = actor_for(Role.SERVICE)
ROW = "测试小区 1-1-101"  # the label make_units' first unit carries in messages (estate + code)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"built_area": "abc"}, "建筑面积", "应为数字，最多两位小数，例如 1234.50"),
        ({"built_area": "12.345"}, "建筑面积", "最多两位小数"),
        ({"built_area": "1e3"}, "建筑面积", "应为数字，最多两位小数，例如 1234.50"),
        ({"built_area": "NaN"}, "建筑面积", "应为数字，最多两位小数，例如 1234.50"),
        ({"built_area": "-5"}, "建筑面积", "不能小于 0.01"),
        ({"built_area": "0"}, "建筑面积", "不能小于 0.01"),
        ({"built_area": "100000.00"}, "建筑面积", "不能大于 99999.99"),
        ({"inner_area": "七十"}, "套内面积", "应为数字，最多两位小数，例如 1234.50"),
        ({"inner_area": "90.00"}, "套内面积", "不能大于建筑面积（89.50）"),
        ({"delivered_on": "2026-02-30"}, "交房日期", "日期不存在：2026-02-30"),
        ({"delivered_on": "2026/03/01"}, "交房日期", "应为日期，格式 YYYY-MM-DD，例如 2026-03-01"),
        ({"delivered_on": "明天"}, "交房日期", "应为日期，格式 YYYY-MM-DD，例如 2026-03-01"),
        ({"status": "拆迁"}, "状态", "应为以下之一：" + "、".join(units.UNIT_STATUSES)),
        ({"status": ""}, "状态", "必填"),
        ({"kind": "别墅"}, "类型", "应为以下之一：" + "、".join(units.UNIT_KINDS)),
        ({"floor": "3.5"}, "楼层", "应为整数"),
        ({"floor": "201"}, "楼层", "不能大于 200"),
        ({"note": "长" * 501}, "备注", "不能超过 500 个字符（现有 501 个）"),
        ({"note": "bell\x07"}, "备注", "含有不可见的控制字符"),
    ],
)
def test_a_bad_cell_is_refused_with_a_chinese_message_naming_field_and_rule(db, changes, field, message):
    [unit_id] = make_units(1)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, changes)])
    assert exc.value.row_errors == {ROW: {field: message}}
    assert exc.value.message == f"{ROW} · {field}：{message}"
    assert db_state() == before


def test_every_bad_cell_of_every_row_is_reported_at_once(db):
    a, b = make_units(2)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        units.update_units(actor=SERVICE, edits=[
            RowEdit(a, 1, {"built_area": "abc", "delivered_on": "2026-02-30", "status": "拆迁"}),
            RowEdit(b, 1, {"inner_area": "100.00"}),
        ])
    assert exc.value.row_errors == {
        "测试小区 1-1-101": {"建筑面积": "应为数字，最多两位小数，例如 1234.50", "交房日期": "日期不存在：2026-02-30",
                    "状态": "应为以下之一：" + "、".join(units.UNIT_STATUSES)},
        "测试小区 1-1-102": {"套内面积": "不能大于建筑面积（89.50）"},
    }
    assert db_state() == before


def test_inner_area_is_checked_against_a_built_area_changed_in_the_same_edit(db):
    [unit_id] = make_units(1)
    with pytest.raises(ValidationError) as exc:
        units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"built_area": "60.00"})])
    assert exc.value.row_errors == {ROW: {"套内面积": "不能大于建筑面积（60.00）"}}
    units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"built_area": "60.00", "inner_area": "55.5"})])
    unit = get_row(Unit, unit_id)
    assert (unit.built_area, unit.inner_area) == (Decimal("60.00"), Decimal("55.50"))


def test_identity_fields_are_not_editable_in_the_grid(db):
    [unit_id] = make_units(1)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"room_no": "999", "estate_id": 2})])
    assert set(exc.value.row_errors[ROW].values()) == {"不可修改"}
    assert db_state() == before


@pytest.mark.parametrize(
    ("raw", "stored"),
    [("1,234.50", Decimal("1234.50")), ("¥1234.5", Decimal("1234.50")), (" 88 ", Decimal("88.00")),
     ("￥0.01", Decimal("0.01")), (Decimal("120.37"), Decimal("120.37"))],
)
def test_area_cells_accept_the_ways_people_type_numbers(db, raw, stored):
    [unit_id] = make_units(1)
    units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"built_area": raw, "inner_area": ""})])
    unit = get_row(Unit, unit_id)
    assert (unit.built_area, unit.inner_area) == (stored, None)


def test_blank_cells_clear_optional_fields(db):
    [unit_id] = make_units(1)
    units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"delivered_on": "", "floor": None,
                                                                  "layout": "  "})])
    unit = get_row(Unit, unit_id)
    assert (unit.delivered_on, unit.floor, unit.layout) == (None, None, "")


def test_text_with_markup_and_sql_is_stored_verbatim(db):
    [unit_id] = make_units(1)
    note = "<script>alert('x')</script>'; DELETE FROM units; --"
    units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"note": note, "layout": "O'Neil \"A\""})])
    unit = get_row(Unit, unit_id)
    assert (unit.note, unit.layout) == (note, "O'Neil \"A\"")
    rows = units.list_units(actor=SERVICE, query=ListQuery(search="<script>")).rows
    assert list(rows["note"]) == [note]


def test_a_good_edit_saves_typed_values_and_shows_them_in_the_list(db):
    [unit_id] = make_units(1)
    n = units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {
        "floor": "-2", "kind": "车库", "built_area": "13.20", "inner_area": "12.00", "status": "空置",
        "delivered_on": "2026-2-28", "note": "地下车位"})])
    assert n == 1
    row = units.list_units(actor=SERVICE, query=ListQuery()).rows.iloc[0]
    assert (row["floor"], row["kind"], row["built_area"], row["inner_area"], row["status"], row["delivered_on"]) == (
        -2, "车库", Decimal("13.20"), Decimal("12.00"), "空置", date(2026, 2, 28))
    assert row["code"] == "1-1-101" and row["version"] == 2


def test_unit_list_shows_the_current_owner_with_a_masked_mobile(db):
    a, b = make_units(2)
    with unit_of_work() as uow:
        s = uow.session
        old = Person(name="旧业主", mobile="13900000000")
        new = Person(name="王芳", mobile="13812348000")
        tenant = Person(name="租客甲", mobile="13700000000")
        s.add_all([old, new, tenant])
        s.flush()
        s.add_all([
            UnitPerson(unit_id=a, person_id=old.id, role="业主", start_on=date(2020, 1, 1), end_on=date(2023, 1, 1)),
            UnitPerson(unit_id=a, person_id=new.id, role="业主", start_on=date(2023, 1, 1)),
            UnitPerson(unit_id=a, person_id=tenant.id, role="租客", start_on=date(2024, 1, 1)),
        ])
        uow.commit()
    rows = units.list_units(actor=SERVICE, query=ListQuery()).rows.set_index("id")
    assert (rows.loc[a, "owner"], rows.loc[a, "owner_mobile"]) == ("王芳", "138****8000")
    assert (rows.loc[b, "owner"], rows.loc[b, "owner_mobile"]) == ("", "")
    found = units.list_units(actor=SERVICE, query=ListQuery(search="王芳"))
    assert list(found.rows["id"]) == [a]


def test_unit_summary_counts_by_estate_and_status(db):
    a, b, c = make_units(3)
    units.update_units(actor=SERVICE, edits=[RowEdit(c, 1, {"status": "空置"})])
    summary = units.unit_summary(actor=SERVICE)
    assert sorted(map(tuple, summary.values.tolist())) == [("测试小区", "已入住", 2), ("测试小区", "空置", 1)]


def test_four_byte_characters_round_trip_on_every_backend(db):
    [unit_id] = make_units(1)
    note = "🏠 漏水 𠮷野家 ①"
    units.update_units(actor=SERVICE, edits=[RowEdit(unit_id, 1, {"note": note})])
    assert get_row(Unit, unit_id).note == note
    assert list(units.list_units(actor=SERVICE, query=ListQuery(search="🏠")).rows["id"]) == [unit_id]
