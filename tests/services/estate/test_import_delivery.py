"""The asset import's 交房日期 for rows without one (issue 13): HC's 资产信息 sheet has no such column, so the first
billing would bill every handed-over unit for whole months without the clerk knowing why.

The caller may give one date (`delivered_on`); it goes only to handed-over units with no date in the file nor in
the database, and the preview counts the handed-over units left without a date. Workbooks and helpers come from
test_imports.py.
"""

from __future__ import annotations

from datetime import date, timedelta

from services.estate import asset_import as imports
from services.platform.clock import local_today
from tests.factories import audit_json, audit_rows, db_state
from tests.services.estate.test_imports import (
    CLERK,
    HC,
    TEMPLATE,
    empty_unit_row,
    hc_row,
    person_row,
    units_by_code,
    xlsx,
)

GIVEN = date(2024, 6, 1)


def hc_estate() -> bytes:
    """Seven HC units, one per kind of case: handed over (已入住, 出租, 装修中, 已交房), 未售, 空闲 with and without
    an owner."""
    nobody = dict(业主名称=None, 性别=None, 手机号=None, 身份证=None, 业主类型=None, 人员类型=None, 人员角色=None)
    return xlsx(HC, [
        hc_row(),  # 101 已入住, 王芳
        hc_row(房屋="102", 房屋状态="2006", 业主名称="孙丽", 手机号="13900139012", 身份证=None, 人员角色="2"),
        hc_row(房屋="103", 房屋状态="2009", 业主名称="吴杰", 手机号="13900139013", 身份证=None),
        hc_row(房屋="104", 房屋状态="2003", **nobody),
        hc_row(房屋="105", 房屋状态="2002", **nobody),
        hc_row(房屋="106", 房屋状态="2008", **nobody),  # never had an owner: not handed over
        hc_row(房屋="107", 房屋状态="2008", 业主名称="郑一", 手机号="13900139014", 身份证=None),  # moved out
    ], sheet="资产信息")


HANDED_OVER = {"1-1-101", "1-1-102", "1-1-103", "1-1-104", "1-1-107"}


def preview(data: bytes, **options) -> imports.ImportPreview:
    return imports.preview_import(actor=CLERK, source=data, **options)


def commit(data: bytes, **options) -> imports.ImportCounts:
    p = preview(data, **options)
    assert p.ok, [str(x) for x in p.problems]
    return imports.commit_import(actor=CLERK, preview=p)


def delivered() -> dict[str, date | None]:
    return {code: u.delivered_on for code, u in units_by_code().items()}


def test_without_a_date_the_preview_counts_the_handed_over_units_that_have_none(sqlite_db):
    p = preview(hc_estate(), estate="锦绣华庭")
    assert p.ok, [str(x) for x in p.problems]
    assert (p.counts.units_undated, p.counts.units_dated) == (5, 0)
    assert "5 套已交房的房屋没有交房日期，首次计费将按整月计费；可在导入时填写统一的交房日期，或导入后在房屋资料中补填" \
        in p.counts.summary()
    shown = dict(zip(p.rows["房屋"], p.rows["交房日期"], strict=True))
    assert shown == {"1-1-101": "未填", "1-1-102": "未填", "1-1-103": "未填", "1-1-104": "未填", "1-1-105": "",
                     "1-1-106": "", "1-1-107": "未填"}


def test_the_date_given_goes_to_the_handed_over_units_only_and_none_is_left_undated(db):
    p = preview(hc_estate(), estate="锦绣华庭", delivered_on=GIVEN)
    assert (p.counts.units_undated, p.counts.units_dated, p.counts.delivered_on) == (0, 5, GIVEN)
    assert "5 套已交房的房屋没有交房日期，填为统一的交房日期 2024-06-01" in p.counts.summary()
    assert "首次计费将按整月计费" not in p.counts.summary()
    assert set(p.rows["交房日期"]) == {"2024-06-01（统一填写）", ""}
    counts = imports.commit_import(actor=CLERK, preview=p)
    assert (counts.units_new, counts.units_dated, counts.units_undated) == (7, 5, 0)
    assert delivered() == {code: (GIVEN if code in HANDED_OVER else None)
                           for code in ("1-1-101", "1-1-102", "1-1-103", "1-1-104", "1-1-105", "1-1-106", "1-1-107")}
    assert "2024-06-01" in counts.summary()


def test_a_date_in_the_file_is_kept_and_only_the_rows_without_one_take_the_date_given(db):
    data = xlsx(TEMPLATE, [
        person_row(交房日期="2023-05-20"),
        person_row(房号="102", 交房日期=None, 姓名="李娜", 手机号="13900139001", 身份证号=None),
    ])
    counts = commit(data, delivered_on=GIVEN)
    assert (counts.units_dated, counts.units_undated) == (1, 0)
    assert delivered() == {"1-1-101": date(2023, 5, 20), "1-1-102": GIVEN}


def test_a_stored_date_is_never_replaced_and_reimporting_changes_nothing(db):
    commit(xlsx(TEMPLATE, [person_row(交房日期="2023-05-20")]))
    n_audit = len(audit_rows())
    again = commit(xlsx(TEMPLATE, [person_row(交房日期=None)]), delivered_on=GIVEN)
    assert (again.changes, again.units_dated, again.units_undated) == (0, 0, 0)
    assert delivered() == {"1-1-101": date(2023, 5, 20)}
    assert len(audit_rows()) == n_audit


def test_an_existing_unit_without_a_date_takes_the_date_given_once_with_an_audit_row(db):
    data = hc_estate()
    first = commit(data, estate="锦绣华庭")
    assert (first.units_undated, first.units_dated) == (5, 0)
    assert set(delivered().values()) == {None}
    n_audit = len(audit_rows(entity="units"))
    second = commit(data, estate="锦绣华庭", delivered_on=GIVEN.isoformat())
    assert (second.units_changed, second.units_unchanged, second.units_dated, second.units_undated) == (5, 2, 5, 0)
    assert {c for c, d in delivered().items() if d == GIVEN} == HANDED_OVER
    changed = [audit_json(e) for e in audit_rows(entity="units")[n_audit:]]
    assert len(changed) == 5
    assert all(before["delivered_on"] is None and after["delivered_on"] == "2024-06-01" for before, after in changed)
    third = preview(data, estate="锦绣华庭", delivered_on=GIVEN)
    assert (third.counts.changes, third.counts.units_dated, third.counts.units_undated) == (0, 0, 0)


def test_a_vacant_unit_that_had_an_owner_in_the_database_counts_as_handed_over(db):
    commit(xlsx(TEMPLATE, [person_row(状态="空置", 交房日期=None)]))
    counts = commit(xlsx(TEMPLATE, [empty_unit_row(状态="空置", 交房日期=None)]), delivered_on=GIVEN)
    assert counts.units_dated == 1
    assert delivered() == {"1-1-101": GIVEN}


def test_the_one_call_import_takes_the_date_too(db):
    counts = imports.import_assets(actor=CLERK, source=hc_estate(), estate="锦绣华庭", delivered_on=GIVEN)
    assert counts.units_dated == 5 and delivered()["1-1-101"] == GIVEN


def test_a_date_that_is_not_a_date_or_is_after_today_is_refused_naming_the_rule(db):
    before = db_state()
    tomorrow = local_today() + timedelta(days=1)
    for given, rule in (("2025-13-01", "应为 YYYY-MM-DD 格式的日期"), ("2025/3/1", "应为 YYYY-MM-DD 格式的日期"),
                        (tomorrow, f"不能晚于今天（{local_today().isoformat()}）")):
        p = preview(hc_estate(), estate="锦绣华庭", delivered_on=given)
        assert [(x.row, x.column) for x in p.problems] == [(None, "交房日期")], given
        assert rule in p.problems[0].message
    assert preview(hc_estate(), estate="锦绣华庭", delivered_on=local_today()).ok
    assert db_state() == before
