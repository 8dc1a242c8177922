"""Parsing user input (services/platform/validate) and masking personal data (services/platform/privacy): pure functions."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from services.platform.errors import ValidationError
from services.platform.privacy import mask_id_number, mask_mobile
from services.platform.validate import (
    FieldError,
    FieldRule,
    RecordRules,
    parse_bool,
    parse_date,
    parse_hundredths,
    parse_int,
    parse_text,
)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("0.01", "0.01"), ("89.5", "89.50"), ("120.37", "120.37"), ("-12.5", "-12.50"), ("1,234.50", "1234.50"),
     ("¥99,999,999.99", "99999999.99"), ("￥3", "3.00"), (".5", "0.50"), ("+7", "7.00"), ("1，000", "1000.00"),
     (Decimal("2.10"), "2.10"), (Decimal("5"), "5.00")],
)
def test_hundredths_parse_to_exact_decimals(raw, value):
    parsed = parse_hundredths(raw)
    assert parsed == Decimal(value) and str(parsed) == value


@pytest.mark.parametrize("raw", ["abc", "", "1.2.3", "1e3", "Infinity", "NaN", "--1", "1 000", True,
                                 Decimal("NaN"), Decimal("Infinity")])
def test_non_numbers_are_refused(raw):
    with pytest.raises(FieldError):
        parse_hundredths(raw)


@pytest.mark.parametrize("raw", ["0.001", "1.005", Decimal("0.125")])
def test_more_than_two_decimals_are_refused_not_rounded(raw):
    with pytest.raises(FieldError, match="最多两位小数"):
        parse_hundredths(raw)


def test_hundredths_bounds_are_inclusive():
    assert parse_hundredths("0.01", min_value=Decimal("0.01")) == Decimal("0.01")
    with pytest.raises(FieldError, match="不能小于 0.01"):
        parse_hundredths("0.00", min_value=Decimal("0.01"))
    with pytest.raises(FieldError, match="不能大于 10"):
        parse_hundredths("10.01", max_value=Decimal("10"))


@pytest.mark.parametrize(("raw", "value"), [("2026-02-28", date(2026, 2, 28)), ("2024-2-29", date(2024, 2, 29)),
                                            (" 2026-03-01 ", date(2026, 3, 1)), (date(2026, 1, 1), date(2026, 1, 1))])
def test_dates_parse(raw, value):
    assert parse_date(raw) == value


@pytest.mark.parametrize(("raw", "message"), [("2026-02-30", "日期不存在：2026-02-30"),
                                              ("2025-02-29", "日期不存在：2025-02-29"),
                                              ("2026-13-01", "日期不存在：2026-13-01"),
                                              ("20260301", "应为日期，格式 YYYY-MM-DD，例如 2026-03-01"),
                                              ("2026年3月1日", "应为日期，格式 YYYY-MM-DD，例如 2026-03-01")])
def test_impossible_or_misformatted_dates_are_refused(raw, message):
    with pytest.raises(FieldError) as exc:
        parse_date(raw)
    assert str(exc.value) == message


def test_ints_bools_and_text():
    assert parse_int("-5") == -5 and parse_int(12.0) == 12 and parse_int(7) == 7
    for bad in ("3.5", "1e2", "", "1234567890", True):
        with pytest.raises(FieldError):
            parse_int(bad)
    assert [parse_bool(v) for v in ("是", "否", "true", "0", True)] == [True, False, True, False, True]
    with pytest.raises(FieldError, match="应为 是 或 否"):
        parse_bool("也许")
    assert parse_text("  <b>x</b>  ", max_len=10) == "<b>x</b>"
    with pytest.raises(FieldError, match="控制字符"):
        parse_text("a\x00b", max_len=10)
    assert parse_text("换行\n可以", max_len=10) == "换行\n可以"


def test_record_rules_report_every_field_at_once_by_label():
    rules = RecordRules({
        "area": FieldRule("area", "面积", "hundredths", required=True),
        "on": FieldRule("on", "日期", "date"),
        "status": FieldRule("status", "状态", "choice", choices=("甲", "乙")),
    })
    values, errors = rules.parse({"area": "x", "on": "2026-02-30", "status": "丙", "secret": 1})
    assert values == {}
    assert errors == {"面积": "应为数字，最多两位小数，例如 1234.50", "日期": "日期不存在：2026-02-30",
                      "状态": "应为以下之一：甲、乙", "字段 secret": "不可修改"}
    with pytest.raises(ValidationError) as exc:
        rules.parse_or_raise({"area": None})
    assert exc.value.errors == {"面积": "必填"}
    assert exc.value.message == "面积：必填"


def test_validation_error_message_lists_row_errors_with_their_row():
    exc = ValidationError({"小区": "不存在"}, row_errors={"1-1-101": {"状态": "必填"}})
    assert exc.message == "小区：不存在；1-1-101 · 状态：必填"
    assert ValidationError().message == "输入有误"


@pytest.mark.parametrize(("mobile", "masked"), [("13812348000", "138****8000"), ("020-87654321", "********4321"),
                                                ("1234", "1234"), (" 13812348000 ", "138****8000")])
def test_mobiles_are_masked(mobile, masked):
    assert mask_mobile(mobile) == masked


@pytest.mark.parametrize(("id_number", "masked"), [("110101199003071234", "110***********1234"),
                                                   ("44010619900307123X", "440***********123X"),
                                                   ("1234567", "*******")])
def test_id_numbers_are_masked(id_number, masked):
    assert mask_id_number(id_number) == masked
