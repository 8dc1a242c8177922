"""The one search box, people records and revealing private numbers (services/estate/people).

Search finds a unit by code, compact code or room number, and a current resident by name
prefix, pinyin initials, phone (or its last four digits) or ID number; mobiles come back masked.
People are edited in a grid that cannot touch the private columns; the full mobile or ID number
is only returned by `reveal`, which needs people.reveal and leaves an audit row.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest

from db.models import Person, Unit
from services.estate import people
from services.platform.auth import ACTIONS, Role
from services.platform.editing import RowEdit
from services.platform.errors import DomainError, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    bulk_units,
    db_state,
    get_row,
    make_estate,
    make_resident,
    make_units,
    roles_with,
    roles_without,
    sqlite_only,
    valid_id_number,
)

SERVICE = actor_for(Role.SERVICE)
ID_X = valid_id_number()  # 11010519491231002X: ends with the check character X
ID_DIGIT = valid_id_number("44030419900101123")  # ...1233


def _codes(hits) -> list[str]:
    return [h.code for h in hits]


@pytest.fixture
def town(db) -> dict[str, int]:
    """1-1-101 张伟 (owner, ID ending X) · 1-1-102 张三丰 and his tenant 李娜 · 1-1-103 empty, its former owner 王芳."""
    u101, u102, u103 = make_units(3)
    zhang_wei, _ = make_resident(u101, "张伟", "13812348000", id_number=ID_X)
    make_resident(u102, "张三丰", "13900001111", id_number=ID_DIGIT)
    make_resident(u102, "李娜", "13711112222", role="租客", start_on=date(2025, 3, 1))
    wang_fang, _ = make_resident(u103, "王芳", "13655556666", start_on=date(2020, 1, 1), end_on=date(2024, 6, 30),
                                 id_number=valid_id_number("32010219780515234"))
    return {"u101": u101, "u102": u102, "u103": u103, "zhang_wei": zhang_wei, "wang_fang": wang_fang}


# --- finding a unit by its code -----------------------------------------------------------------


def test_a_unit_is_found_by_its_code_compact_code_or_room_number(town):
    for text in ["1-1-101", "11101", "101", " 1-1-101 ", "1/1/101", "1 1 101", "１－１－１０１", "１１１０１"]:
        hits = people.search(actor=SERVICE, text=text)
        assert _codes(hits) == ["1-1-101"], text
        assert (hits[0].unit_id, hits[0].estate, hits[0].status) == (town["u101"], "测试小区", "已入住"), text


def test_a_unit_hit_names_its_current_residents_with_masked_mobiles(town):
    [hit] = people.search(actor=SERVICE, text="1-1-102")
    assert hit.person == "张三丰（业主） 139****1111；李娜（租客） 137****2222"
    assert "13900001111" not in hit.person


def test_a_unit_hit_does_not_name_people_who_moved_out(town):
    [hit] = people.search(actor=SERVICE, text="1-1-103")
    assert hit.person == ""


def test_an_unknown_unit_code_finds_nothing(town):
    assert people.search(actor=SERVICE, text="9-9-909") == []
    assert people.search(actor=SERVICE, text="99909") == []


# --- finding a resident -------------------------------------------------------------------------


def test_the_last_four_digits_of_a_mobile_find_the_residents_unit(town):
    [hit] = people.search(actor=SERVICE, text="8000")
    assert (hit.code, hit.person, hit.matched) == ("1-1-101", "张伟（业主） 138****8000", "手机尾号或房号")


def test_a_full_mobile_finds_the_residents_unit_even_in_full_width_digits(town):
    for text in ["13812348000", "１３８１２３４８０００", " 13812348000"]:
        [hit] = people.search(actor=SERVICE, text=text)
        assert (hit.code, hit.matched, hit.person) == ("1-1-101", "手机号", "张伟（业主） 138****8000"), text


def test_an_id_number_ending_in_x_is_found_however_the_x_is_typed(town):
    for text in [ID_X, ID_X.lower(), ID_X[:17] + "ｘ"]:
        [hit] = people.search(actor=SERVICE, text=text)
        assert (hit.code, hit.matched) == ("1-1-101", "身份证号"), text


def test_an_all_digit_id_number_is_found(town):
    [hit] = people.search(actor=SERVICE, text=ID_DIGIT)
    assert (hit.code, hit.matched) == ("1-1-102", "身份证号")
    assert ID_DIGIT not in hit.person


def test_a_chinese_name_prefix_finds_every_current_resident_it_begins(town):
    assert sorted(h.person.split("（")[0] for h in people.search(actor=SERVICE, text="张")) == ["张三丰", "张伟"]
    [hit] = people.search(actor=SERVICE, text="张伟")
    assert (hit.code, hit.matched) == ("1-1-101", "姓名")
    assert people.search(actor=SERVICE, text="伟") == []  # a prefix, not a substring


def test_pinyin_initials_find_the_resident(town):
    for text, code in [("zw", "1-1-101"), ("ZW", "1-1-101"), ("ｚｗ", "1-1-101"), ("zsf", "1-1-102"),
                       ("ln", "1-1-102")]:
        hits = people.search(actor=SERVICE, text=text)
        assert _codes(hits) == [code], text
        assert hits[0].matched == "拼音首字母"


def test_pinyin_initials_match_as_a_prefix(town):
    assert sorted(_codes(people.search(actor=SERVICE, text="z"))) == ["1-1-101", "1-1-102"]


def test_people_who_moved_out_are_not_found(town):
    for text in ["王芳", "王", "wf", "5666", "13655556666", valid_id_number("32010219780515234")]:
        assert people.search(actor=SERVICE, text=text) == [], text


def test_a_person_living_in_two_units_finds_both(town):
    make_resident(town["u103"], person_id=town["zhang_wei"], role="共有人")
    assert sorted(_codes(people.search(actor=SERVICE, text="zw"))) == ["1-1-101", "1-1-103"]


def test_an_empty_search_returns_nothing(town):
    for text in ["", "   ", "\u3000", None]:
        assert people.search(actor=SERVICE, text=text) == [], repr(text)


def test_the_limit_caps_resident_hits(db):
    estate_id, [building_id] = make_estate()
    unit_ids = bulk_units(estate_id, building_id, 25)
    for i, unit_id in enumerate(unit_ids):
        make_resident(unit_id, f"张{'一二三四五六七八九十'[i % 10]}{i}", f"138{i:08d}")
    assert len(people.search(actor=SERVICE, text="张")) == people.SEARCH_LIMIT == 20
    assert len(people.search(actor=SERVICE, text="张", limit=5)) == 5
    assert len(people.search(actor=SERVICE, text="zy", limit=2)) == 2


def test_the_limit_caps_unit_hits(db):
    estate_id, building_ids = make_estate(buildings=[str(b) for b in range(1, 9)])
    for building_id in building_ids:
        bulk_units(estate_id, building_id, 1)  # room R00001 in each of the eight buildings
    assert len(people.search(actor=SERVICE, text="R00001")) == 8
    assert len(people.search(actor=SERVICE, text="R00001", limit=3)) == 3


def test_search_hits_are_frozen(town):
    [hit] = people.search(actor=SERVICE, text="1-1-101")
    with pytest.raises(dataclasses.FrozenInstanceError):
        hit.code = "1-1-102"


def test_every_role_that_may_view_units_may_search(town):
    assert roles_with("units.view") == list(Role)
    for role in roles_with("units.view"):
        assert _codes(people.search(actor=actor_for(role), text="zw")) == ["1-1-101"], role
        assert _codes(people.search(actor=actor_for(role), text="1-1-101")) == ["1-1-101"], role


def test_search_writes_nothing(town):
    before = db_state()
    people.search(actor=SERVICE, text="zw")
    assert db_state() == before


# --- the people grid ----------------------------------------------------------------------------


def test_the_people_list_masks_mobiles_and_id_numbers(town):
    rows = people.list_people(actor=SERVICE, query=ListQuery(search="zw")).rows
    assert list(rows["name"]) == ["张伟"]
    assert (rows.iloc[0]["mobile"], rows.iloc[0]["id_number"]) == ("138****8000", "110***********002X")


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"phone": "12345678"}, "固定电话", "应为带区号的固定电话，例如 020-12345678"),
        ({"phone": "020-1234"}, "固定电话", "应为带区号的固定电话，例如 020-12345678"),
        ({"gender": "未知"}, "性别", "应为以下之一：男、女"),
        ({"name": ""}, "姓名", "必填"),
        ({"name": "   "}, "姓名", "必填"),
        ({"name": "长" * 65}, "姓名", "不能超过 64 个字符（现有 65 个）"),
        ({"is_company": "也许"}, "单位", "应为 是 或 否"),
        ({"mobile": "13900000000"}, "字段 mobile", "不可修改"),
        ({"id_number": ID_DIGIT}, "字段 id_number", "不可修改"),
        ({"mobile_last4": "0000"}, "字段 mobile_last4", "不可修改"),
    ],
)
@sqlite_only
def test_a_bad_people_cell_is_refused_and_nothing_is_written(town, changes, field, message):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        people.update_people(actor=SERVICE, edits=[RowEdit(town["zhang_wei"], 1, changes)])
    assert exc.value.row_errors == {"张伟": {field: message}}
    assert db_state() == before


def test_every_bad_people_cell_is_reported_at_once(town):
    with pytest.raises(ValidationError) as exc:
        people.update_people(actor=SERVICE, edits=[RowEdit(town["zhang_wei"], 1, {
            "name": "", "gender": "X", "phone": "abc", "mobile": "13900000000"})])
    assert set(exc.value.row_errors["张伟"]) == {"姓名", "性别", "固定电话", "字段 mobile"}


def test_a_good_people_edit_is_saved_with_one_audit_row(town):
    pid = town["zhang_wei"]
    n = people.update_people(actor=SERVICE, edits=[RowEdit(pid, 1, {
        "gender": "男", "phone": "020-12345678", "is_company": "否", "note": "夜班，白天勿扰"})])
    assert n == 1
    person = get_row(Person, pid)
    assert (person.gender, person.phone, person.is_company, person.note, person.version) == (
        "男", "020-12345678", False, "夜班，白天勿扰", 2)
    assert (person.mobile, person.id_number) == ("13812348000", ID_X)  # untouched
    [row] = audit_rows(action="update", entity="people")
    assert row.entity_id == str(pid)
    assert audit_json(row)[1] == {"gender": "男", "phone": "020-12345678", "note": "夜班，白天勿扰"}


def test_renaming_a_person_in_the_grid_moves_their_pinyin_search_key(town):
    people.update_people(actor=SERVICE, edits=[RowEdit(town["zhang_wei"], 1, {"name": "李明"})])
    assert people.search(actor=SERVICE, text="zw") == []
    assert _codes(people.search(actor=SERVICE, text="lm")) == ["1-1-101"]
    assert get_row(Person, town["zhang_wei"]).pinyin_initials == "lm"


def test_a_people_edit_on_an_old_version_is_refused_as_stale(town):
    pid = town["zhang_wei"]
    people.update_people(actor=SERVICE, edits=[RowEdit(pid, 1, {"note": "第一次"})])
    before = db_state()
    with pytest.raises(StaleEdit):
        people.update_people(actor=SERVICE, edits=[RowEdit(pid, 1, {"note": "第二次"})])
    assert db_state() == before


@sqlite_only
def test_roles_without_people_edit_cannot_change_people_and_nothing_is_written(town):
    assert roles_without("people.edit")
    before = db_state()
    for role in roles_without("people.edit"):
        with pytest.raises(PermissionDenied) as exc:
            people.update_people(actor=actor_for(role), edits=[RowEdit(town["zhang_wei"], 1, {"note": "x"})])
        assert ACTIONS["people.edit"] in exc.value.message
        assert db_state() == before, role


@sqlite_only
def test_roles_with_people_edit_may_change_people(town):
    for role in roles_with("people.edit"):
        version = get_row(Person, town["zhang_wei"]).version
        assert people.update_people(actor=actor_for(role), edits=[RowEdit(town["zhang_wei"], version,
                                                                          {"note": role.value})]) == 1, role


# --- the person form (parse_person): pure rules -------------------------------------------------


@pytest.mark.parametrize(("raw", "stored"), [("13812348000", "13812348000"), ("138 1234 8000", "13812348000"),
                                             ("138-1234-8000", "13812348000"), ("19912345678", "19912345678"),
                                             (" 13012345678 ", "13012345678")])
def test_a_mobile_is_eleven_digits_beginning_1_then_3_to_9(raw, stored):
    assert people.parse_person({"name": "张伟", "mobile": raw})["mobile"] == stored


@pytest.mark.parametrize("raw", ["12812345678", "10012345678", "1381234800", "138123480001", "23812345678",
                                 "1381234800O", "+8613812348000", "020-12345678"])
def test_a_malformed_mobile_is_refused(raw):
    with pytest.raises(ValidationError) as exc:
        people.parse_person({"name": "张伟", "mobile": raw})
    assert exc.value.errors == {"手机号": "应为 11 位手机号（1 开头，第二位 3–9）；固定电话请填在“固定电话”"}


@pytest.mark.parametrize(("raw", "stored"), [(ID_X, ID_X), (ID_X.lower(), ID_X), (ID_DIGIT, ID_DIGIT),
                                             (f" {ID_DIGIT} ", ID_DIGIT)])
def test_an_id_number_with_a_valid_check_digit_is_accepted_with_x_upper_cased(raw, stored):
    assert people.parse_person({"name": "张伟", "mobile": "13812348000", "id_number": raw})["id_number"] == stored


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (ID_X[:17] + "1", "校验位不正确，请核对身份证号"),
        (ID_DIGIT[:17] + "X", "校验位不正确，请核对身份证号"),
        ("11010519491231002", "应为 18 位身份证号（最后一位可为 X）"),
        ("11010519491231002X1", "不能超过 18 个字符（现有 19 个）"),
        ("1101051949123100AX", "应为 18 位身份证号（最后一位可为 X）"),
        ("110105491231002", "应为 18 位身份证号（最后一位可为 X）"),  # the old 15-digit form
    ],
)
def test_an_id_number_is_eighteen_characters_with_a_gb11643_check_digit(raw, message):
    with pytest.raises(ValidationError) as exc:
        people.parse_person({"name": "张伟", "mobile": "13812348000", "id_number": raw})
    assert exc.value.errors == {"身份证号": message}


def test_a_person_needs_at_least_one_phone():
    with pytest.raises(ValidationError) as exc:
        people.parse_person({"name": "张伟", "mobile": "", "phone": ""})
    assert exc.value.errors == {"手机号": "手机号和固定电话至少填一个"}
    assert people.parse_person({"name": "张伟", "phone": "0755-88881234"})["phone"] == "0755-88881234"


def test_a_person_needs_a_name_even_when_the_field_is_missing():
    with pytest.raises(ValidationError) as exc:
        people.parse_person({"mobile": "13812348000"})
    assert exc.value.errors == {"姓名": "必填"}


def test_every_problem_of_a_person_form_is_reported_at_once():
    with pytest.raises(ValidationError) as exc:
        people.parse_person({"name": " ", "gender": "未知", "mobile": "12345", "phone": "8888",
                             "id_number": "123", "note": "长" * 501})
    assert set(exc.value.errors) == {"姓名", "性别", "手机号", "固定电话", "身份证号", "备注"}


def test_a_person_form_with_an_unknown_field_is_refused():
    with pytest.raises(ValidationError) as exc:
        people.parse_person({"name": "张伟", "mobile": "13812348000", "pinyin_initials": "xx"})
    assert exc.value.errors == {"字段 pinyin_initials": "不可修改"}


# --- revealing a private number -----------------------------------------------------------------


@pytest.mark.parametrize(("field", "value"), [("mobile", "13812348000"), ("id_number", ID_X)])
def test_reveal_returns_the_full_value_and_is_audited(town, field, value):
    before = len(audit_rows())
    assert people.reveal(actor=SERVICE, person_id=town["zhang_wei"], field=field) == value
    rows = audit_rows()
    assert len(rows) == before + 1
    row = rows[-1]
    assert (row.action, row.entity, row.entity_id, row.actor_username) == (
        "reveal", "people", str(town["zhang_wei"]), SERVICE.username)
    assert audit_json(row) == (None, {"field": field})
    assert value not in (row.after_json or "")  # the trail says who looked, not what they saw


@sqlite_only
def test_every_role_with_people_reveal_may_reveal(town):
    for role in roles_with("people.reveal"):
        assert people.reveal(actor=actor_for(role), person_id=town["zhang_wei"], field="mobile") == "13812348000"
        assert audit_rows(action="reveal")[-1].actor_username == actor_for(role).username


@sqlite_only
def test_roles_without_people_reveal_are_refused_and_nothing_is_written(town):
    assert {Role.CASHIER, Role.ENGINEER, Role.CLERK} <= set(roles_without("people.reveal"))
    before = db_state()
    for role in roles_without("people.reveal"):
        for field in ("mobile", "id_number"):
            with pytest.raises(PermissionDenied) as exc:
                people.reveal(actor=actor_for(role), person_id=town["zhang_wei"], field=field)
            assert ACTIONS["people.reveal"] in exc.value.message
        assert db_state() == before, role


def test_reveal_refuses_other_fields_and_unknown_people_and_writes_nothing(town):
    before = db_state()
    with pytest.raises(ValidationError):
        people.reveal(actor=SERVICE, person_id=town["zhang_wei"], field="name")
    with pytest.raises(NotFound):
        people.reveal(actor=SERVICE, person_id=town["zhang_wei"] + 1000, field="mobile")
    assert db_state() == before


def test_the_clerk_sees_masked_numbers_but_cannot_reveal_them(town):
    clerk = actor_for(Role.CLERK)
    rows = people.list_people(actor=clerk, query=ListQuery(search="张伟")).rows
    assert rows.iloc[0]["mobile"] == "138****8000"
    with pytest.raises(DomainError):
        people.reveal(actor=clerk, person_id=town["zhang_wei"], field="mobile")


def test_unit_search_keys_are_filled_on_insert(town):
    assert get_row(Unit, town["u101"]).compact_code == "11101"
    person = get_row(Person, town["zhang_wei"])
    assert (person.mobile_last4, person.pinyin_initials) == ("8000", "zw")
