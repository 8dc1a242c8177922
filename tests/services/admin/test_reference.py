"""Reference tables (estates, buildings, departments): add, edit, deactivate; never delete."""

from __future__ import annotations

import pytest

from db.models import Building, Department, Estate
from services.admin import reference
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, NotFound, ValidationError
from services.platform.listing import ListQuery
from tests.factories import actor_for, audit_rows, count_rows, db_state, get_row

ADMIN = actor_for(Role.ADMIN, "admin1")


def _estate(code="CH", name="翠湖花园") -> int:
    return reference.create_reference(actor=ADMIN, table="estates", values={"code": code, "name": name})


def test_create_then_list_an_estate_building_and_department(db):
    estate_id = _estate()
    building_id = reference.create_reference(actor=ADMIN, table="buildings",
                                             values={"estate_id": estate_id, "code": "1", "name": "1栋",
                                                     "floors": "18"})
    dept_id = reference.create_reference(actor=ADMIN, table="departments", values={"code": "KF", "name": "客服部"})
    assert get_row(Building, building_id).floors == 18
    buildings = reference.list_reference(actor=ADMIN, table="buildings", query=ListQuery()).rows
    assert buildings[["id", "estate", "code", "name", "floors", "active"]].values.tolist() == [
        [building_id, "翠湖花园", "1", "1栋", 18, True]]
    assert reference.estate_options(actor=ADMIN) == [(estate_id, "翠湖花园")]
    assert reference.building_options(actor=ADMIN, estate_id=estate_id) == [(building_id, "1栋")]
    assert reference.building_options(actor=ADMIN, estate_id=None) == []
    assert reference.department_options(actor=ADMIN) == [(dept_id, "客服部")]


@pytest.mark.parametrize(
    ("values", "errors"),
    [
        ({"code": "", "name": "甲"}, {"编号": "必填"}),
        ({"code": "A B", "name": "甲"}, {"编号": "只能包含字母、数字和短横线"}),
        ({"code": "A'; DROP TABLE estates;--", "name": "甲"},
         {"编号": "不能超过 16 个字符（现有 25 个）"}),
        ({"code": "A%", "name": "甲"}, {"编号": "只能包含字母、数字和短横线"}),
        ({"code": "A1", "name": "名" * 65}, {"名称": "不能超过 64 个字符（现有 65 个）"}),
        ({"code": "A1"}, {"名称": "必填"}),
        ({"name": "甲"}, {"编号": "必填"}),
        ({}, {"编号": "必填", "名称": "必填"}),
    ],
)
def test_bad_new_estate_is_refused_and_nothing_is_written(db, values, errors):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        reference.create_reference(actor=ADMIN, table="estates", values=values)
    assert exc.value.errors == errors
    assert db_state() == before


def test_building_in_a_missing_estate_is_refused(db):
    with pytest.raises(ValidationError) as exc:
        reference.create_reference(actor=ADMIN, table="buildings",
                                   values={"estate_id": 999_999, "code": "1", "name": "1栋"})
    assert exc.value.errors == {"小区": "不存在"}
    assert count_rows(Building) == 0


@pytest.mark.parametrize("floors", ["0", "201", "十八", "2.5"])
def test_building_floors_must_be_a_whole_number_from_1_to_200(db, floors):
    estate_id = _estate()
    with pytest.raises(ValidationError) as exc:
        reference.create_reference(actor=ADMIN, table="buildings",
                                   values={"estate_id": estate_id, "code": "1", "name": "1栋", "floors": floors})
    assert list(exc.value.errors) == ["层数"]
    assert count_rows(Building) == 0


def test_duplicate_code_or_name_is_a_conflict_without_audit(db):
    _estate("CH", "翠湖花园")
    before = db_state()
    for values in ({"code": "CH", "name": "另一个"}, {"code": "XX", "name": "翠湖花园"}):
        with pytest.raises(Conflict) as exc:
            reference.create_reference(actor=ADMIN, table="estates", values=values)
        assert exc.value.message.startswith("小区编号或名称已存在")
        assert db_state() == before


def test_same_building_code_in_two_estates_is_fine(db):
    a, b = _estate("A", "甲"), _estate("B", "乙")
    for estate_id in (a, b):
        reference.create_reference(actor=ADMIN, table="buildings",
                                   values={"estate_id": estate_id, "code": "1", "name": "1栋"})
    assert count_rows(Building) == 2
    with pytest.raises(Conflict):
        reference.create_reference(actor=ADMIN, table="buildings",
                                   values={"estate_id": a, "code": "1", "name": "又一个1栋"})


def test_unknown_reference_table_is_not_found(db):
    for call in (
        lambda: reference.list_reference(actor=ADMIN, table="users", query=ListQuery()),
        lambda: reference.update_reference(actor=ADMIN, table="users", edits=[]),
        lambda: reference.create_reference(actor=ADMIN, table="units", values={}),
    ):
        with pytest.raises(NotFound):
            call()


def test_deactivating_an_estate_hides_it_from_options_but_keeps_the_row(db):
    estate_id = _estate()
    n = reference.update_reference(actor=ADMIN, table="estates", edits=[RowEdit(estate_id, 1, {"active": "否"})])
    assert n == 1
    assert get_row(Estate, estate_id).active is False
    assert reference.estate_options(actor=ADMIN) == []
    listed = reference.list_reference(actor=ADMIN, table="estates", query=ListQuery()).rows
    assert list(listed["active"]) == [False]
    [entry] = audit_rows(action="update", entity="estates")
    assert (entry.before_json, entry.after_json) == ('{"active": true}', '{"active": false}')


def test_reference_code_is_not_editable_after_creation(db):
    dept_id = reference.create_reference(actor=ADMIN, table="departments", values={"code": "KF", "name": "客服部"})
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        reference.update_reference(actor=ADMIN, table="departments", edits=[RowEdit(dept_id, 1, {"code": "ZZ"})])
    assert list(exc.value.row_errors) == ["部门 KF"]
    assert db_state() == before


def test_reference_grid_errors_name_the_row_and_field(db):
    dept_id = reference.create_reference(actor=ADMIN, table="departments", values={"code": "KF", "name": "客服部"})
    with pytest.raises(ValidationError) as exc:
        reference.update_reference(actor=ADMIN, table="departments",
                                   edits=[RowEdit(dept_id, 1, {"name": "", "active": "maybe"})])
    assert exc.value.row_errors == {"部门 KF": {"名称": "必填", "启用": "应为 是 或 否"}}
    assert get_row(Department, dept_id).name == "客服部"


def test_reference_search_and_estate_filter(db):
    a, b = _estate("A", "甲小区"), _estate("B", "乙小区")
    for estate_id, code in ((a, "1"), (a, "2"), (b, "1")):
        reference.create_reference(actor=ADMIN, table="buildings",
                                   values={"estate_id": estate_id, "code": code, "name": f"{code}栋"})
    in_a = reference.list_reference(actor=ADMIN, table="buildings", query=ListQuery(filters={"estate_id": a}))
    assert (in_a.total, list(in_a.rows["code"])) == (2, ["1", "2"])
    by_estate_name = reference.list_reference(actor=ADMIN, table="buildings", query=ListQuery(search="乙"))
    assert by_estate_name.total == 1
