"""The pure pieces of the managers' fee tabs: meter sheet -> readings, row errors, the rate chart."""

from __future__ import annotations

import json
from decimal import Decimal

import pandas as pd

from services.fees.billing import Reading
from services.platform.errors import ValidationError
from ui.fees.billing import editor_frame, readings_from_editor, row_error_lines
from ui.fees.reports import percent, rate_chart


def _todo() -> pd.DataFrame:
    return pd.DataFrame({"unit_id": [7, 7, 9], "fee_item_id": [1, 2, 1], "房屋": ["甲 S-1", "甲 S-1", "甲 S-2"],
                         "收费项目": ["水费", "电费", "水费"], "上期期间": ["2026-10", "", "2026-10"],
                         "上期读数": [Decimal("120.50"), None, Decimal("8.00")]})


def test_the_editor_gets_readings_as_text_and_blank_rows_are_skipped():
    sheet = editor_frame(_todo())
    assert list(sheet["previous"]) == ["120.50", "", "8.00"]
    edited = sheet.assign(current=["130", None, " 2.5 "], replaced=[False, False, True], start=["", "", "0.5"])
    readings, labels = readings_from_editor(_todo(), edited)
    assert readings == [Reading(7, 1, "130", False, None), Reading(9, 1, "2.5", True, "0.5")]
    assert labels == ["甲 S-1 水费", "甲 S-2 水费"]


def test_row_errors_name_the_unit_and_item_of_each_row():
    error = ValidationError({"期间": "应为 YYYY-MM"}, row_errors={2: {"本期读数": "不能小于上期读数 8.00"}})
    assert row_error_lines(error, ["甲 S-1 水费", "甲 S-2 水费"]) == [
        "甲 S-2 水费 · 本期读数：不能小于上期读数 8.00", "期间：应为 YYYY-MM"]


def test_the_rate_chart_has_the_target_rule_and_no_bar_without_a_rate():
    frame = pd.DataFrame({"月份": ["2026-09", "2026-10", "2026-11"],
                          "收缴率": [Decimal("0.9612"), None, Decimal("0.5000")]})
    chart = rate_chart(frame, x="月份", x_title="月份", rate_column="收缴率", target_label="目标 95.00%")
    spec = chart.to_dict()
    rows = next(iter(spec["datasets"].values()))
    assert [(r["x"], r["rate"], r["target"]) for r in rows] == [("2026-09", 96.12, 95.0), ("2026-11", 50.0, 95.0)]
    text = json.dumps(spec, ensure_ascii=False)
    assert "目标 95.00%" in text and '"rule"' in text and "收缴率（%）" in text
    assert percent(None) is None
