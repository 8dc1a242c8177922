"""Parsing user input into typed values, with Chinese messages that name the rule.

Invariants: money and areas are parsed to Decimal without passing through float;
a date must exist in the calendar; text is stripped and length-checked; every
field's problem is reported, not just the first.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from services.platform.errors import ValidationError

_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class FieldError(ValueError):
    pass


def _is_blank(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, float) and raw != raw:  # NaN from pandas
        return True
    return isinstance(raw, str) and raw.strip() == ""


_PLACES_TEXT = {2: ("两", "1234.50"), 4: ("四", "0.5680")}


def parse_fixed(raw: Any, *, places: int = 2, min_value: Decimal | None = None,
                max_value: Decimal | None = None) -> Decimal:
    """'1,234.50', '¥1234.5', Decimal('3') -> Decimal with `places` places; refuses floats' rounding noise."""
    words, example = _PLACES_TEXT[places]
    if isinstance(raw, bool):
        raise FieldError("应为数字")
    if isinstance(raw, Decimal):
        value = raw
    else:
        text = str(raw).strip().replace(",", "").replace("，", "").replace("¥", "").replace("￥", "")
        if not re.fullmatch(r"[+-]?(\d+(\.\d*)?|\.\d+)", text):
            raise FieldError(f"应为数字，最多{words}位小数，例如 {example}")
        try:
            value = Decimal(text)
        except InvalidOperation as exc:
            raise FieldError(f"应为数字，最多{words}位小数，例如 {example}") from exc
    if not value.is_finite():
        raise FieldError("应为数字")
    quantum = Decimal(1).scaleb(-places)
    if value != value.quantize(quantum):
        raise FieldError(f"最多{words}位小数")
    if min_value is not None and value < min_value:
        raise FieldError(f"不能小于 {min_value}")
    if max_value is not None and value > max_value:
        raise FieldError(f"不能大于 {max_value}")
    return value.quantize(quantum)


def parse_hundredths(raw: Any, *, min_value: Decimal | None = None, max_value: Decimal | None = None) -> Decimal:
    """Money and areas: a number with at most two decimals."""
    return parse_fixed(raw, places=2, min_value=min_value, max_value=max_value)


def parse_date(raw: Any) -> date:
    if isinstance(raw, date):
        return raw
    text = str(raw).strip()
    m = _DATE_RE.match(text)
    if not m:
        raise FieldError("应为日期，格式 YYYY-MM-DD，例如 2026-03-01")
    try:
        return date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError as exc:
        raise FieldError(f"日期不存在：{text}") from exc


def parse_int(raw: Any, *, min_value: int | None = None, max_value: int | None = None) -> int:
    if isinstance(raw, bool):
        raise FieldError("应为整数")
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        if isinstance(raw, float) and raw.is_integer():
            text = str(int(raw))
        if not re.fullmatch(r"[+-]?\d{1,9}", text):
            raise FieldError("应为整数")
        value = int(text)
    if min_value is not None and value < min_value:
        raise FieldError(f"不能小于 {min_value}")
    if max_value is not None and value > max_value:
        raise FieldError(f"不能大于 {max_value}")
    return value


def parse_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"true", "1", "是", "yes", "y"}:
        return True
    if text in {"false", "0", "否", "no", "n"}:
        return False
    raise FieldError("应为 是 或 否")


def parse_text(raw: Any, *, max_len: int) -> str:
    text = str(raw).strip()
    if _CONTROL_RE.search(text):
        raise FieldError("含有不可见的控制字符")
    if len(text) > max_len:
        raise FieldError(f"不能超过 {max_len} 个字符（现有 {len(text)} 个）")
    return text


def collect_text(errors: dict[str, str], label: str, raw: Any, max_len: int, *, required: bool = False) -> str:
    """The parsed text of one form field; its problem (or 必填) goes into `errors` under `label`, so a form reports
    every field at once."""
    try:
        value = parse_text("" if raw is None else raw, max_len=max_len)
    except FieldError as exc:
        errors[label] = str(exc)
        return ""
    if required and not value:
        errors[label] = "必填"
    return value


@dataclass(frozen=True)
class FieldRule:
    """How one editable field is parsed and checked."""

    name: str
    label: str
    kind: str = "text"  # text | int | hundredths | rate | date | choice | bool
    required: bool = False
    max_len: int = 200
    choices: tuple[str, ...] = ()
    min_value: Any = None
    max_value: Any = None
    pattern: str | None = None
    pattern_hint: str = ""
    # for a choice shown by label but stored by code: label -> code
    stored_as: Mapping[str, str] | None = None
    # a further check of the parsed text (mobile, ID number...); raises FieldError
    check: Callable[[str], str] | None = None

    def parse(self, raw: Any) -> Any:
        if _is_blank(raw):
            if self.required:
                raise FieldError("必填")
            return "" if self.kind in ("text",) else None
        if self.kind == "text":
            value = parse_text(raw, max_len=self.max_len)
            if self.pattern and not re.fullmatch(self.pattern, value):
                raise FieldError(self.pattern_hint or "格式不正确")
            return self.check(value) if self.check else value
        if self.kind == "int":
            return parse_int(raw, min_value=self.min_value, max_value=self.max_value)
        if self.kind == "hundredths":
            return parse_hundredths(raw, min_value=self.min_value, max_value=self.max_value)
        if self.kind == "rate":
            return parse_fixed(raw, places=4, min_value=self.min_value, max_value=self.max_value)
        if self.kind == "date":
            return parse_date(raw)
        if self.kind == "bool":
            return parse_bool(raw)
        if self.kind == "choice":
            text = str(raw).strip()
            if text not in self.choices:
                raise FieldError("应为以下之一：" + "、".join(self.choices))
            return self.stored_as[text] if self.stored_as else text
        raise AssertionError(self.kind)


@dataclass(frozen=True)
class RecordRules:
    fields: Mapping[str, FieldRule]
    check: Callable[[Mapping[str, Any]], Mapping[str, str]] | None = field(default=None)

    def parse(self, raw: Mapping[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        """Parse `raw` field by field; return (values, errors keyed by field label)."""
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, value in raw.items():
            rule = self.fields.get(name)
            if rule is None:
                errors[f"字段 {name}"] = "不可修改"
                continue
            try:
                values[name] = rule.parse(value)
            except FieldError as exc:
                errors[rule.label] = str(exc)
        return values, errors

    def parse_or_raise(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        values, errors = self.parse(raw)
        if errors:
            raise ValidationError(errors)
        return values
