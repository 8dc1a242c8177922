"""Excel import of units and people: our template and HC小区管理系统's 资产信息 sheet.

Workbooks are built here with openpyxl (no binary fixtures). Problems are checked by the
Excel row number a user sees (title and header rows count) and the column name.
"""

from __future__ import annotations

import io
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select

from db.engine import read_session, unit_of_work
from db.models import Building, Estate, Person, Unit, UnitPerson
from services.estate import asset_import as imports
from services.platform.auth import Role
from services.platform.errors import PermissionDenied, ValidationError
from services.platform.identity import id_check_char
from tests.factories import actor_for, audit_json, audit_rows, count_rows, db_state, make_estate

CLERK = actor_for(Role.CLERK, "clerk1")
TEMPLATE = [h for h, _f, _help in imports.TEMPLATE_COLUMNS]
HC = [h for h, _f in imports.HC_COLUMNS]


def id_number(body17: str) -> str:
    return body17 + id_check_char(body17)


ID1 = id_number("11010519491231002")  # 11010519491231002X
ID2 = id_number("44010619800101123")
ID3 = id_number("31011519900315004")
WRONG_ID = ID2[:17] + ("0" if ID2[17] != "0" else "1")
USCC = "91350100M000100Y43"  # a valid 统一社会信用代码


def xlsx(headers: list[str], rows: list[dict], *, sheet: str = "房屋人员", title: str | None = None,
         before: list[str] = ()) -> bytes:
    wb = openpyxl.Workbook()
    first = wb.active
    for name in before:  # sheets in front of ours
        wb.create_sheet(name, 0).append(["无关的表"])
    ws = first
    ws.title = sheet
    if title:
        ws.append([title])
    ws.append(headers)
    for r in rows:
        ws.append([r.get(h) for h in headers])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def person_row(**over) -> dict:
    row = {"小区": "翠湖花园", "楼栋": "1", "单元": "1", "房号": "101", "楼层": 1, "类型": "住宅", "户型": "三室两厅",
           "建筑面积": "89.50", "套内面积": "70.00", "状态": "已入住", "交房日期": "2024-01-15", "姓名": "张伟",
           "性别": "男", "手机号": "13800138000", "身份证号": ID1, "人员类型": "个人", "身份": "业主",
           "入住日期": "2024-02-01"}
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def empty_unit_row(**over) -> dict:
    row = person_row(**over)
    for h in ("姓名", "性别", "手机号", "固定电话", "身份证号", "人员类型", "身份", "入住日期"):
        if h not in over:
            row.pop(h, None)
    return row


def hc_row(**over) -> dict:
    row = {"楼号": "1", "单元": "1", "房屋": "101", "楼层": 1, "总楼层": 18, "是否有电梯": "是", "房屋类型": "110",
           "房屋户型": "3020", "建筑面积": 105.5, "室内面积": 88, "租金": 0, "房屋状态": "2001", "业主名称": "王芳",
           "性别": "女", "手机号": "13900139000", "身份证": ID2, "业主类型": "1001", "人员类型": "P", "人员角色": "1"}
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def preview(data: bytes, *, estate: str = "", actor=CLERK) -> imports.ImportPreview:
    return imports.preview_import(actor=actor, source=data, estate=estate)


def commit(data: bytes, *, estate: str = "", actor=CLERK) -> imports.ImportCounts:
    p = preview(data, estate=estate, actor=actor)
    assert p.ok, [str(x) for x in p.problems]
    return imports.commit_import(actor=actor, preview=p)


def problems_of(p: imports.ImportPreview) -> set[tuple[int | None, str]]:
    return {(x.row, x.column) for x in p.problems}


def units_by_code() -> dict[str, Unit]:
    with read_session() as s:
        rows = s.execute(select(Unit, Building.code).join(Building, Building.id == Unit.building_id)).all()
        s.expunge_all()
    return {f"{code}-{u.unit_no}-{u.room_no}": u for u, code in rows}


def people_by_name() -> dict[str, Person]:
    with read_session() as s:
        rows = list(s.scalars(select(Person)))
        s.expunge_all()
    return {p.name: p for p in rows}


def links() -> list[tuple[str, str, str, date | None, date | None]]:
    """(unit code, person, role, start, end) of every link."""
    with read_session() as s:
        rows = s.execute(
            select(Building.code, Unit.unit_no, Unit.room_no, Person.name, UnitPerson.role, UnitPerson.start_on,
                   UnitPerson.end_on)
            .join(Unit, Unit.id == UnitPerson.unit_id).join(Building, Building.id == Unit.building_id)
            .join(Person, Person.id == UnitPerson.person_id).order_by(UnitPerson.id)
        ).all()
    return [(f"{b}-{u}-{r}", n, role, s_, e) for b, u, r, n, role, s_, e in rows]


# --- our template ----------------------------------------------------------------------------------


def test_template_has_the_data_sheet_and_a_chinese_guide_for_every_column():
    wb = openpyxl.load_workbook(io.BytesIO(imports.template_bytes()))
    assert wb.sheetnames == ["房屋人员", "说明"]
    assert [c.value for c in wb["房屋人员"][1]] == TEMPLATE
    guide = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for header in TEMPLATE:
        assert header in guide
    for rule in ("什么都不会写入", "未售", "姓名 + 手机号", "校验位", "再导入一次不会产生任何变化", "HC小区管理系统"):
        assert rule in guide, rule


def test_the_empty_template_imports_nothing_and_says_so(sqlite_db):
    p = preview(imports.template_bytes())
    assert p.layout == "template"
    assert [str(x) for x in p.problems] == ["文件 · 文件：表头下面没有数据行"]


def test_template_rows_create_estate_building_units_people_and_links(db):
    data = xlsx(TEMPLATE, [
        person_row(),
        person_row(姓名="李娜", 性别="女", 手机号="13900139001", 身份证号=ID3, 身份="家属", 入住日期=None),
        empty_unit_row(房号="102", 状态="未售", 交房日期=None),
        person_row(楼栋="2栋", 房号="201", 楼层=2, 类型="商铺", 状态="出租", 姓名="广州某某贸易有限公司", 性别=None,
                   手机号=None, 固定电话="020-12345678", 身份证号=USCC, 人员类型="公司", 身份="租客"),
    ])
    counts = commit(data)
    assert (counts.estates_new, counts.buildings_new, counts.units_new, counts.people_new, counts.links_new) == (
        1, 2, 3, 3, 3)
    with read_session() as s:
        estate = s.execute(select(Estate.name, Estate.code)).one()
        buildings = {b.code: b.name for b in s.scalars(select(Building))}
    assert tuple(estate) == ("翠湖花园", "CHHY")
    assert buildings == {"1": "1栋", "2": "2栋"}
    units = units_by_code()
    assert set(units) == {"1-1-101", "1-1-102", "2-1-201"}
    u = units["1-1-101"]
    assert (u.kind, u.layout, u.built_area, u.inner_area, u.status, u.delivered_on, u.floor) == (
        "住宅", "三室两厅", Decimal("89.50"), Decimal("70.00"), "已入住", date(2024, 1, 15), 1)
    assert u.compact_code == "11101" and u.version == 1
    assert units["1-1-102"].status == "未售" and units["2-1-201"].kind == "商铺"
    people = people_by_name()
    zw = people["张伟"]
    assert (zw.mobile, zw.mobile_last4, zw.pinyin_initials, zw.id_number, zw.gender) == (
        "13800138000", "8000", "zw", ID1, "男")
    company = people["广州某某贸易有限公司"]
    assert company.is_company and company.phone == "020-12345678" and company.id_number == USCC
    assert links() == [("1-1-101", "张伟", "业主", date(2024, 2, 1), None),
                       ("1-1-101", "李娜", "家属", None, None),
                       ("2-1-201", "广州某某贸易有限公司", "租客", date(2024, 2, 1), None)]


def test_import_writes_one_audit_row_per_created_record_and_never_a_full_id_number(db):
    commit(xlsx(TEMPLATE, [person_row(), empty_unit_row(房号="102", 状态="空置")]))
    rows = audit_rows(action="import")
    assert sorted(r.entity for r in rows) == ["buildings", "estates", "people", "unit_people", "units", "units"]
    assert {r.actor_username for r in rows} == {"clerk1"}
    for r in rows:
        assert ID1 not in (r.after_json or "") and ID1 not in (r.before_json or "")
    _, after = audit_json(next(r for r in rows if r.entity == "units"))
    assert after["code"] == "1-1-101" and after["built_area"] == "89.50"


def test_reimporting_the_same_file_changes_nothing_and_writes_no_audit_rows(db):
    data = xlsx(TEMPLATE, [person_row(), person_row(姓名="李娜", 手机号="13900139001", 身份证号=ID3, 身份="家属"),
                           empty_unit_row(房号="102", 状态="空置")], title="翠湖花园业主名册")
    commit(data)
    before = db_state()
    p = preview(data)
    c = p.counts
    assert (c.units_new, c.units_changed, c.units_unchanged) == (0, 0, 2)
    assert (c.people_new, c.people_changed, c.people_unchanged) == (0, 0, 2)
    assert (c.links_new, c.links_changed, c.links_unchanged, c.changes) == (0, 0, 2, 0)
    assert set(p.rows["房屋处理"]) == {"不变"}
    again = imports.commit_import(actor=CLERK, preview=p)
    assert again.changes == 0
    assert db_state() == before


def test_a_changed_row_updates_only_that_unit_and_audits_before_and_after(db):
    commit(xlsx(TEMPLATE, [person_row(), empty_unit_row(房号="102", 状态="空置")]))
    counts = commit(xlsx(TEMPLATE, [person_row(建筑面积="90.10", 交房日期=None),
                                    empty_unit_row(房号="102", 状态="空置")]))
    assert (counts.units_changed, counts.units_unchanged, counts.people_unchanged) == (1, 1, 1)
    u = units_by_code()["1-1-101"]
    assert u.built_area == Decimal("90.10") and u.delivered_on == date(2024, 1, 15)  # blank never clears
    assert u.version == 2
    update = [r for r in audit_rows(action="import", entity="units") if r.before_json]
    assert len(update) == 1
    assert audit_json(update[0]) == ({"code": "1-1-101", "built_area": "89.50"},
                                     {"code": "1-1-101", "built_area": "90.10"})


def test_a_new_role_for_the_same_person_ends_the_old_link_and_keeps_its_history(db):
    commit(xlsx(TEMPLATE, [person_row(身份="租客", 状态="出租")]))
    counts = commit(xlsx(TEMPLATE, [person_row(身份="业主", 状态="已入住", 入住日期="2025-01-01")]))
    assert (counts.links_changed, counts.links_new) == (1, 0)
    assert links() == [("1-1-101", "张伟", "租客", date(2024, 2, 1), date(2025, 1, 1)),
                       ("1-1-101", "张伟", "业主", date(2025, 1, 1), None)]


def test_people_match_on_name_and_mobile_across_units(db):
    commit(xlsx(TEMPLATE, [person_row(), person_row(房号="102")]))
    assert count_rows(Person) == 1 and len(links()) == 2
    commit(xlsx(TEMPLATE, [person_row(房号="103", 姓名="张伟", 手机号="13800138999", 身份证号=None)]))
    assert count_rows(Person) == 2  # same name, another mobile: another person


def test_person_without_mobile_or_id_matches_by_name_in_the_same_unit(db):
    data = xlsx(TEMPLATE, [person_row(手机号=None, 身份证号=None, 姓名="赵老太", 身份="家属")])
    commit(data)
    assert preview(data).counts.changes == 0
    assert count_rows(Person) == 1


# --- messy workbooks ----------------------------------------------------------------------------


def test_messy_cells_are_read_as_their_unambiguous_values(sqlite_db):
    rows = [
        person_row(楼栋=" 1栋 ", 单元="１单元", 房号="１０１ ", 建筑面积="89.5㎡", 套内面积="70 m2", 手机号=13800138000.0,
                   交房日期="2024/1/15", 入住日期=45323, 姓名="张伟  ", 身份证号=ID1.lower()),
        person_row(房号="102", 建筑面积=89.5, 套内面积="70平方米", 手机号=13900139001, 姓名="李娜", 身份证号=ID3,
                   交房日期="2024年1月15日", 入住日期=datetime(2024, 2, 1), 楼层="2层"),
        person_row(房号="103", 建筑面积="８９.５０", 套内面积=None, 手机号="+86 139-0013-9002", 姓名="陈强",
                   身份证号=None, 交房日期=45306, 入住日期="2024-02-01", 楼层="B1"),
        person_row(房号="104", 手机号="13900139003.0", 姓名="周敏", 身份证号=None, 交房日期="2024.1.15",
                   入住日期="20240201", 固定电话="(020)12345678"),
    ]
    p = preview(xlsx(TEMPLATE, rows, title="2024年 翠湖花园 业主资料"))
    assert p.ok, [str(x) for x in p.problems]
    parsed = {r.room_no: r for r in p.parsed}
    assert set(parsed) == {"101", "102", "103", "104"}
    r101 = parsed["101"]
    assert (r101.row, r101.building, r101.building_text, r101.unit_no) == (3, "1", "1栋", "1")
    assert r101.unit["built_area"] == Decimal("89.50") and r101.unit["inner_area"] == Decimal("70.00")
    assert r101.person == {"name": "张伟", "gender": "男", "mobile": "13800138000", "id_number": ID1,
                           "is_company": False}
    for room in parsed.values():
        assert room.unit["delivered_on"] == date(2024, 1, 15)
        assert room.start_on == date(2024, 2, 1)
        assert room.unit["built_area"] == Decimal("89.50")
    assert parsed["102"].person["mobile"] == "13900139001" and parsed["102"].unit["floor"] == 2
    assert parsed["103"].person["mobile"] == "13900139002" and parsed["103"].unit["floor"] == -1
    assert parsed["104"].person["mobile"] == "13900139003" and parsed["104"].person["phone"] == "020-12345678"
    assert p.counts.units_new == 4


def test_a_header_further_down_and_sheets_in_front_are_found(sqlite_db):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "导出"
    ws.append(["某某物业 业主名册"])
    ws.append(["导出时间：2025-03-01"])
    ws.append([])
    ws.append([f"{h}*" if h in ("楼栋", "房号") else h for h in TEMPLATE])  # required marks are ignored
    ws.append([person_row().get(h) for h in TEMPLATE])
    wb.create_sheet("统计", 0).append(["合计", 1])
    buf = io.BytesIO()
    wb.save(buf)
    p = preview(buf.getvalue())
    assert p.ok and p.sheet == "导出" and [r.row for r in p.parsed] == [5]


def test_a_file_that_is_not_a_workbook_or_has_no_header_is_refused_in_words(sqlite_db):
    p = preview(b"not an excel file")
    assert [(x.row, x.column) for x in p.problems] == [(None, "文件")] and ".xlsx" in p.problems[0].message
    p = preview(xlsx(["甲", "乙"], [{"甲": 1}]))
    assert [(x.row, x.column) for x in p.problems] == [(None, "表头")]


def test_missing_required_columns_are_named(sqlite_db):
    headers = [h for h in TEMPLATE if h not in ("单元", "状态")]
    p = preview(xlsx(headers, [person_row()]))
    assert problems_of(p) == {(1, "单元"), (1, "状态")}


# --- every malformed value, by row and column ---------------------------------------------------

BAD_TEMPLATE_CELLS = [
    ("手机号", "1380013800", "11 位手机号"),
    ("手机号", "12800138000", "11 位手机号"),
    ("手机号", "020-12345678", "固定电话"),
    ("手机号", 13800138000.5, "11 位手机号"),
    ("固定电话", "12345678", "区号"),
    ("固定电话", 2012345678, "区号"),
    ("身份证号", WRONG_ID, "校验位"),
    ("身份证号", ID1[:17], "18 位"),
    ("身份证号", 110105194912310020, "存成了数字"),
    ("身份证号", "110105491231002", "15 位"),
    ("建筑面积", "0", "应大于 0"),
    ("建筑面积", "-5", "应大于 0"),
    ("建筑面积", "八十九", "面积数字"),
    ("建筑面积", "89.505", "两位小数"),
    ("套内面积", "95", "不能大于建筑面积"),
    ("交房日期", "2025-02-30", "日期不存在"),
    ("交房日期", "2025/13/1", "日期不存在"),
    ("交房日期", "3/1/2025", "应为日期"),
    ("交房日期", "下个月", "应为日期"),
    ("交房日期", 5, "应为日期"),
    ("入住日期", "2025年2月29日", "日期不存在"),
    ("类型", "别墅", "应为以下之一"),
    ("状态", "入住", "应为以下之一"),
    ("身份", "房东", "应为以下之一"),
    ("楼层", "三楼", "整数"),
    ("楼层", 300, "-5 到 200"),
    ("性别", "未知", "男 或 女"),
    ("人员类型", "团体", "个人 或 公司"),
    ("房号", "", "必填"),
    ("房号", datetime(2025, 1, 1), "当成了日期"),
    ("单元", None, "必填"),
    ("姓名", None, "必填"),
    ("身份", None, "必填"),
    ("小区", None, "必填"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_TEMPLATE_CELLS,
                         ids=[f"{c}={v!r}" for c, v, _ in BAD_TEMPLATE_CELLS])
def test_each_malformed_template_value_is_refused_naming_row_and_column(sqlite_db, column, value, message):
    good = person_row(房号="102", 姓名="李娜", 手机号="13900139001", 身份证号=ID3)
    bad = person_row()
    bad[column] = value
    p = preview(xlsx(TEMPLATE, [good, bad], title="业主资料"))
    assert [(x.row, x.column) for x in p.problems] == [(4, column)], [str(x) for x in p.problems]
    assert message in p.problems[0].message
    with pytest.raises(ValidationError) as exc:
        imports.commit_import(actor=CLERK, preview=p)
    assert exc.value.row_errors == {"第 4 行": {column: p.problems[0].message}}


BAD_HC_CELLS = [
    ("房屋类型", "111", "110"),
    ("房屋状态", "2010", "2001"),
    ("人员角色", "5", "1（业主）"),
    ("业主类型", "1003", "1001"),
    ("人员类型", "X", "P（个人）"),
    ("联系电话", "12345", "固定电话"),
    ("手机号", "1390013900", "11 位手机号"),
    ("身份证", WRONG_ID, "校验位"),
    ("室内面积", "200", "不能大于建筑面积"),
    ("建筑面积", "0㎡", "应大于 0"),
    ("总楼层", "很多", "1 到 200"),
]


@pytest.mark.parametrize(("column", "value", "message"), BAD_HC_CELLS, ids=[f"{c}={v!r}" for c, v, _ in BAD_HC_CELLS])
def test_each_malformed_hc_value_is_refused_naming_row_and_column(sqlite_db, column, value, message):
    bad = hc_row()
    bad[column] = value
    p = preview(xlsx(HC, [hc_row(房屋="102", 业主名称="刘洋", 手机号="13900139009", 身份证=ID3), bad], sheet="资产信息"),
                estate="锦绣华庭")
    assert [(x.row, x.column) for x in p.problems] == [(3, column)], [str(x) for x in p.problems]
    assert message in p.problems[0].message


def test_every_problem_in_the_file_is_listed_not_just_the_first(sqlite_db):
    rows = [person_row(手机号="123"), person_row(房号="102", 建筑面积="abc", 身份证号=WRONG_ID, 手机号="13900139001")]
    p = preview(xlsx(TEMPLATE, rows))
    assert problems_of(p) == {(2, "手机号"), (3, "建筑面积"), (3, "身份证号")}
    assert [x.row for x in p.problems] == sorted(x.row for x in p.problems)


# --- rules across rows and against the database ----------------------------------------------------


def test_a_unit_repeated_with_different_unit_fields_is_refused_on_the_later_row(sqlite_db):
    rows = [person_row(), person_row(姓名="李娜", 手机号="13900139001", 身份证号=ID3, 身份="家属", 建筑面积="90.00"),
            person_row(姓名="陈强", 手机号="13900139002", 身份证号=None, 身份="家属", 类型=None, 状态=None)]
    p = preview(xlsx(TEMPLATE, rows))
    assert [(x.row, x.column) for x in p.problems] == [(3, "建筑面积")]
    assert "第 2 行" in p.problems[0].message and "89.50 ≠ 90.00" in p.problems[0].message


def test_a_unit_needs_type_and_status_on_at_least_one_of_its_rows(sqlite_db):
    p = preview(xlsx(TEMPLATE, [person_row(类型=None), person_row(姓名="李娜", 手机号="13900139001", 身份证号=ID3,
                                                                    身份="家属", 类型=None)]))
    assert problems_of(p) == {(2, "类型")}


def test_the_same_id_number_on_two_different_people_is_refused(db):
    p = preview(xlsx(TEMPLATE, [person_row(), person_row(房号="102", 姓名="李娜", 手机号="13900139001")]))
    assert problems_of(p) == {(3, "身份证号")}
    commit(xlsx(TEMPLATE, [person_row()]))
    p = preview(xlsx(TEMPLATE, [person_row(房号="103", 姓名="李四", 手机号="13900139005")]))
    assert [(x.row, x.column) for x in p.problems] == [(2, "身份证号")] and "张伟" in p.problems[0].message


def test_an_unsold_unit_with_an_owner_is_refused(sqlite_db):
    p = preview(xlsx(TEMPLATE, [person_row(状态="未售")]))
    assert [(x.row, x.column) for x in p.problems] == [(2, "姓名")] and "未售" in p.problems[0].message


def test_an_occupied_or_rented_unit_without_a_person_is_refused(sqlite_db):
    p = preview(xlsx(TEMPLATE, [empty_unit_row(状态="已入住"), empty_unit_row(房号="102", 状态="出租")]))
    assert problems_of(p) == {(2, "状态"), (3, "状态")}


def test_an_occupied_unit_row_without_people_is_fine_when_the_unit_already_has_them(db):
    commit(xlsx(TEMPLATE, [person_row()]))
    p = preview(xlsx(TEMPLATE, [empty_unit_row(状态="已入住")]))
    assert p.ok and p.counts.changes == 0


def test_a_unit_with_an_owner_cannot_be_turned_back_to_unsold(db):
    commit(xlsx(TEMPLATE, [person_row()]))
    p = preview(xlsx(TEMPLATE, [empty_unit_row(状态="未售")]))
    assert [(x.row, x.column) for x in p.problems] == [(2, "状态")] and "张伟" in p.problems[0].message


def test_existing_buildings_are_matched_by_code_or_name(db):
    _estate_id, (_b1, shops) = make_estate("CH", "翠湖花园", buildings=("1", "S"))
    with unit_of_work() as uow:
        uow.session.get(Building, shops).name = "商业街"
        uow.commit()
    counts = commit(xlsx(TEMPLATE, [person_row(楼栋="1号楼"), empty_unit_row(楼栋="商业街", 房号="S01", 类型="商铺",
                                                                          状态="空置")]))
    assert counts.buildings_new == 0 and counts.estates_new == 0
    assert set(units_by_code()) == {"1-1-101", "S-1-S01"}


# --- all or nothing ------------------------------------------------------------------------------


def test_one_bad_row_means_nothing_is_written(db):
    commit(xlsx(TEMPLATE, [person_row()]))
    before = db_state()
    rows = [person_row(建筑面积="95.00"), person_row(房号="102", 姓名="李娜", 手机号="13900139001", 身份证号=ID3)]
    rows += [person_row(房号=str(200 + n), 姓名=f"住户{n}", 手机号=f"1370000{n:04d}", 身份证号=None) for n in range(20)]
    rows.append(person_row(房号="999", 姓名="坏行", 手机号="110", 身份证号=None))
    p = preview(xlsx(TEMPLATE, rows))
    assert problems_of(p) == {(len(rows) + 1, "手机号")}
    with pytest.raises(ValidationError):
        imports.commit_import(actor=CLERK, preview=p)
    assert db_state() == before


def test_a_problem_that_appears_between_preview_and_commit_still_writes_nothing(db):
    data = xlsx(TEMPLATE, [person_row(房号="102", 姓名="李四", 手机号="13900139005")])
    p = preview(data)
    assert p.ok
    commit(xlsx(TEMPLATE, [person_row()]))  # someone else registers ID1 under 张伟 meanwhile
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        imports.commit_import(actor=CLERK, preview=p)
    assert "身份证号" in exc.value.row_errors["第 2 行"]
    assert db_state() == before


# --- HC小区管理系统 -----------------------------------------------------------------------------------


def test_hc_asset_sheet_is_detected_and_mapped(db):
    rows = [
        hc_row(),
        hc_row(业主名称="王小明", 性别="男", 手机号="13900139010", 身份证=None, 业主类型="1002", 人员角色="3"),
        hc_row(业主名称="李强", 性别="男", 手机号="13900139011", 身份证=None, 业主类型="1002", 人员角色="1"),
        hc_row(房屋="102", 房屋状态="2002", 业主名称=None, 性别=None, 手机号=None, 身份证=None, 业主类型=None,
               人员类型=None, 人员角色=None),
        hc_row(楼号="2栋", 房屋="201", 房屋类型="120", 房屋状态="2006", 业主名称="孙丽", 性别="女", 手机号="13900139012",
               身份证=None, 人员角色="2"),
        hc_row(楼号="2栋", 房屋="202", 房屋类型="119", 房屋状态="2008", 业主名称="某某科技有限公司", 性别=None,
               手机号=None, 身份证=USCC, 人员类型="C", 联系人="周经理", 联系电话="0591-87654321"),
        hc_row(楼号="2栋", 房屋="203", 房屋状态="2005", 业主名称="吴杰", 手机号="13900139013", 身份证=None,
               人员角色="4"),
        hc_row(楼号="2栋", 房屋="204", 房屋状态="2005", 业主名称=None, 性别=None, 手机号=None, 身份证=None,
               业主类型=None, 人员类型=None, 人员角色=None),
        hc_row(楼号="2栋", 房屋="205", 房屋状态="2007", 业主名称="郑一", 手机号="13900139014", 身份证=None, 人员角色=None,
               业主类型=None),
    ]
    data = xlsx(HC, rows, sheet="资产信息", title="资产信息导出")
    p = preview(data, estate="锦绣华庭")
    assert p.layout == "hc" and p.ok, [str(x) for x in p.problems]
    imports.commit_import(actor=CLERK, preview=p)
    with read_session() as s:
        assert s.scalar(select(Estate.name)) == "锦绣华庭"
        buildings = {b.code: (b.name, b.floors) for b in s.scalars(select(Building))}
    assert buildings == {"1": ("1栋", 18), "2": ("2栋", 18)}
    units = units_by_code()
    assert {c: (u.kind, u.status) for c, u in units.items()} == {
        "1-1-101": ("住宅", "已入住"), "1-1-102": ("住宅", "未售"), "2-1-201": ("住宅", "出租"),
        "2-1-202": ("办公", "空置"), "2-1-203": ("住宅", "已入住"), "2-1-204": ("住宅", "已交房未入住"),
        "2-1-205": ("住宅", "已交房未入住"),
    }
    assert units["1-1-101"].layout == "三室两厅" and units["1-1-101"].built_area == Decimal("105.50")
    roles = {(code, name): role for code, name, role, _s, _e in links()}
    assert roles == {("1-1-101", "王芳"): "业主", ("1-1-101", "王小明"): "家属", ("1-1-101", "李强"): "共有人",
                     ("2-1-201", "孙丽"): "租客", ("2-1-202", "某某科技有限公司"): "业主",
                     ("2-1-203", "吴杰"): "家属", ("2-1-205", "郑一"): "业主"}
    people = people_by_name()
    company = people["某某科技有限公司"]
    assert company.is_company and company.phone == "0591-87654321" and company.note == "联系人：周经理"
    assert people["吴杰"].note == "HC人员角色：员工"
    assert preview(data, estate="锦绣华庭").counts.changes == 0


def test_hc_unsold_unit_with_an_owner_is_refused(sqlite_db):
    p = preview(xlsx(HC, [hc_row(), hc_row(房屋="102", 房屋状态="2002", 业主名称="赵六", 手机号="13900139020",
                                           身份证=None)], sheet="资产信息"), estate="锦绣华庭")
    assert [(x.row, x.column) for x in p.problems] == [(3, "业主名称")]
    assert "未售" in p.problems[0].message


def test_hc_sheet_needs_the_estate_from_the_caller(sqlite_db):
    p = preview(xlsx(HC, [hc_row()], sheet="资产信息"))
    assert [(x.row, x.column) for x in p.problems] == [(None, "小区")]


def test_hc_reimport_into_an_existing_estate_matches_units_and_people(db):
    data = xlsx(HC, [hc_row(), hc_row(房屋="102", 房屋状态="2008", 业主名称="赵六", 手机号="13900139020", 身份证=None)],
                sheet="资产信息")
    first = commit(data, estate="锦绣华庭")
    assert (first.estates_new, first.units_new, first.people_new) == (1, 2, 2)
    n_audit = len(audit_rows())
    assert commit(data, estate="锦绣华庭").changes == 0
    assert len(audit_rows()) == n_audit


# --- permission, progress ------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.SERVICE, Role.CASHIER, Role.ENGINEER])
def test_roles_without_assets_import_cannot_preview_or_commit(sqlite_db, role):
    data = xlsx(TEMPLATE, [person_row()])
    with pytest.raises(PermissionDenied):
        preview(data, actor=actor_for(role))
    p = preview(data)
    with pytest.raises(PermissionDenied):
        imports.commit_import(actor=actor_for(role), preview=p)
    assert count_rows(Unit) == 0


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER, Role.CLERK])
def test_admin_manager_and_clerk_may_import(sqlite_db, role):
    assert commit(xlsx(TEMPLATE, [person_row()]), actor=actor_for(role)).units_new == 1


def test_progress_is_reported_from_zero_to_one_with_chinese_messages(sqlite_db):
    seen: list[tuple[float, str]] = []
    data = xlsx(TEMPLATE, [person_row(房号=str(100 + n), 手机号=f"1390000{n:04d}", 身份证号=None) for n in range(50)])
    counts = imports.import_assets(actor=CLERK, source=data, progress=lambda f, m: seen.append((f, m)))
    assert counts.units_new == 50
    fractions = [f for f, _ in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert all(m for _, m in seen)


def test_a_path_on_disk_is_accepted_as_well_as_bytes(sqlite_db, tmp_path):
    path = tmp_path / "资产.xlsx"
    path.write_bytes(xlsx(TEMPLATE, [person_row()]))
    assert preview(str(path)).ok and preview(path).counts.units_new == 1


def test_the_fast_sheet_reader_reads_exactly_what_openpyxl_reads():
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["B3"] = "楼栋"
    ws["C3"] = 13800138000.0
    ws["D3"] = datetime(2025, 3, 1)
    ws["E3"] = True
    ws["F3"] = "=1+2"
    ws["G3"] = 1.5
    ws["H3"] = "１０１ "
    ws["A7"] = 45717
    ws["C9"] = ""
    buf = io.BytesIO()
    wb.save(buf)
    book = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True, data_only=True)
    sheet = book.active
    fast = imports._fast_sheet_rows(book, sheet)
    sheet.reset_dimensions()
    slow = [tuple(r) for r in sheet.iter_rows(min_row=1, min_col=1, values_only=True)]

    def trimmed(rows):
        out = []
        for r in rows:
            r = list(r)
            while r and r[-1] is None:
                r.pop()
            out.append(tuple(r))
        while out and not out[-1]:
            out.pop()
        return out

    assert trimmed(fast) == trimmed(slow)
    assert fast[2][1:4] == ("楼栋", 13800138000, datetime(2025, 3, 1))


def test_blank_estate_cells_take_the_estate_given_by_the_caller(sqlite_db):
    headers = [h for h in TEMPLATE if h != "小区"]
    p = preview(xlsx(headers, [person_row()]), estate="滨江壹号")
    assert p.ok and {r.estate for r in p.parsed} == {"滨江壹号"}
    p = preview(xlsx(TEMPLATE, [person_row(小区=None), person_row(房号="102", 小区="翠湖花园", 姓名="李娜",
                                                                  手机号="13900139001", 身份证号=ID3)]),
                estate="滨江壹号")
    assert p.ok and [r.estate for r in p.parsed] == ["滨江壹号", "翠湖花园"]


def test_a_known_person_gets_new_details_with_a_masked_audit_and_the_link_a_new_start(db):
    commit(xlsx(TEMPLATE, [person_row(身份证号=None, 性别=None)]))
    counts = commit(xlsx(TEMPLATE, [person_row(入住日期="2024-03-01")]))
    assert (counts.people_changed, counts.links_changed, counts.units_unchanged) == (1, 1, 1)
    zw = people_by_name()["张伟"]
    assert (zw.id_number, zw.gender, zw.version) == (ID1, "男", 2)
    assert links() == [("1-1-101", "张伟", "业主", date(2024, 3, 1), None)]
    change = [r for r in audit_rows(action="import", entity="people") if r.before_json][0]
    before, after = audit_json(change)
    assert before == {"gender": "", "id_number": ""} and after["gender"] == "男"
    assert after["id_number"] != ID1 and after["id_number"].endswith(ID1[-4:])


def test_an_overlong_estate_name_from_the_caller_is_refused(sqlite_db):
    p = preview(xlsx(HC, [hc_row()], sheet="资产信息"), estate="小" * 65)
    assert [(x.row, x.column) for x in p.problems] == [(None, "小区")]


def test_one_person_named_two_ways_in_one_unit_is_linked_once(db):
    commit(xlsx(TEMPLATE, [person_row(身份证号=None)]))
    # the same 张伟, once with his mobile and once by name only: one person, one link, nothing new
    data = xlsx(TEMPLATE, [person_row(身份证号=None, 性别="男"),
                           person_row(手机号=None, 身份证号=None, 性别="男", 入住日期=None)])
    p = preview(data)
    assert p.ok, [str(x) for x in p.problems]
    assert (p.counts.people_new, p.counts.links_new, p.counts.changes) == (0, 0, 0)
    p = preview(xlsx(TEMPLATE, [person_row(身份证号=None), person_row(手机号=None, 身份证号=None, 身份="家属")]))
    assert [(x.row, x.column) for x in p.problems] == [(3, "身份")]
