"""Parsing user input into typed values, with Chinese messages that name the rule.

Invariants: money and areas are parsed to Decimal without passing through float;
a date must exist in the calendar; text is stripped and length-checked; every
field's problem is reported, not just the first.

Hostile input is refused here, once, for every service (a FieldError the caller turns into a message naming the
field), never left to fail in the database: an empty grid cell (None, pandas' NaN/NA/NaT) is blank; text must be
text (a bytes, list, dict, float... is refused) with no control character and no lone surrogate (UTF-8 cannot
store one); integers stay within ±INT_LIMIT (a 32-bit database column), fixed-point numbers below FIXED_LIMIT
(integer cents in a 64-bit column, and within Decimal's 28 digits), dates within DATE_RANGE (date arithmetic on
9999-12-31 overflows; a year outside it is a typo).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any, TypeVar

import pandas as pd

from services.platform.errors import ValidationError

_DATE_RE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
# control characters, and the two noncharacters XML cannot carry (an Excel export of them is a broken file)
_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
INT_LIMIT = 999_999_999
FIXED_LIMIT = Decimal(10) ** 12
DATE_RANGE = (date(1900, 1, 1), date(2100, 12, 31))


T = TypeVar("T")


class FieldError(ValueError):
    pass


def is_blank(raw: Any) -> bool:
    """An empty field: None, pandas' NaN/NA/NaT (an emptied grid cell) or text of only spaces."""
    if raw is None or raw is pd.NA or raw is pd.NaT:
        return True
    if isinstance(raw, float) and raw != raw:  # NaN from pandas
        return True
    return isinstance(raw, str) and raw.strip() == ""


def given_or(raw: Any, default: T) -> Any:
    """The value as given, or `default` when the field is blank. Never `raw or default`: that turns 0, False or an
    empty list into the default instead of leaving them for the parser to refuse, and raises on pandas' NA."""
    return default if is_blank(raw) else raw


def echo(raw: Any, limit: int = 20) -> str:
    """A value quoted back in a message: short, and only characters a page can show."""
    text = raw if isinstance(raw, str) else repr(raw)
    text = text.encode("utf-8", "replace").decode("utf-8")
    text = _CONTROL_RE.sub("?", text)
    return text if len(text) <= limit else text[:limit] + "…"


_PLACES_TEXT = {2: ("两", "1234.50"), 4: ("四", "0.5680")}


def parse_fixed(raw: Any, *, places: int = 2, min_value: Decimal | None = None,
                max_value: Decimal | None = None) -> Decimal:
    """'1,234.50', '¥1234.5', Decimal('3') -> Decimal with `places` places; refuses floats' rounding noise."""
    words, example = _PLACES_TEXT[places]
    if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
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
    if abs(value) >= FIXED_LIMIT:
        raise FieldError(f"数值过大（应小于 {FIXED_LIMIT:,}）")
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
    """A date object or 'YYYY-MM-DD' text within DATE_RANGE; a datetime only at midnight (a time is not a date)."""
    if isinstance(raw, datetime):
        if raw is pd.NaT or raw.time() != time():
            raise FieldError("应为日期（不含时刻），例如 2026-03-01")
        raw = raw.date()
    if isinstance(raw, date):
        day = raw
    elif isinstance(raw, str):
        text = raw.strip()
        m = _DATE_RE.match(text)
        if not m:
            raise FieldError("应为日期，格式 YYYY-MM-DD，例如 2026-03-01")
        try:
            day = date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise FieldError(f"日期不存在：{text}") from exc
    else:
        raise FieldError("应为日期，格式 YYYY-MM-DD，例如 2026-03-01")
    if not DATE_RANGE[0] <= day <= DATE_RANGE[1]:
        raise FieldError(f"日期超出范围（{DATE_RANGE[0]} 至 {DATE_RANGE[1]}）")
    return day


def parse_int(raw: Any, *, min_value: int | None = None, max_value: int | None = None) -> int:
    if not isinstance(raw, str | int | float | Decimal) or isinstance(raw, bool):
        raise FieldError("应为整数")
    if isinstance(raw, int):
        value = raw
        if abs(value) > INT_LIMIT:
            raise FieldError(f"数值过大（绝对值不能超过 {INT_LIMIT}）")
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
    if not isinstance(raw, str | int):
        raise FieldError("应为 是 或 否")
    text = str(raw).strip().lower()
    if text in {"true", "1", "是", "yes", "y"}:
        return True
    if text in {"false", "0", "否", "no", "n"}:
        return False
    raise FieldError("应为 是 或 否")


def parse_text(raw: Any, *, max_len: int) -> str:
    """Text stripped of surrounding spaces; blank is ''. A whole number is taken as its digits (a numeric Excel
    cell); anything else that is not text is refused, as is text a database cannot store."""
    if is_blank(raw):
        return ""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    if not isinstance(raw, str):
        raise FieldError("应为文字")
    text = raw.strip()
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise FieldError("含有无法保存的字符（不成对的代理码位），请重新输入") from None
    if _CONTROL_RE.search(text):
        raise FieldError("含有不可见的控制字符")
    if len(text) > max_len:
        raise FieldError(f"不能超过 {max_len} 个字符（现有 {len(text)} 个）")
    return text


def parse_choice(raw: Any, choices: Sequence[str], message: str = "") -> str:
    """One of `choices`, as text (stripped); `message` words the refusal when the list would read badly."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    text = raw.strip() if isinstance(raw, str) else None
    if text is None or text not in choices:
        raise FieldError(message or "应为以下之一：" + "、".join(c for c in choices if c))
    return text


def choice_of(choices: Sequence[str], message: str = "") -> Callable[[Any], str]:
    """parse_choice with its options given: a parser for `collect`."""
    return lambda raw: parse_choice(raw, choices, message)


def collect(errors: dict[str, str], label: str, raw: Any, parse: Callable[[Any], T], *, required: bool = True,
            default: T | None = None) -> T | None:
    """The parsed value of one form field, or `default` when blank (必填 when required); its problem goes into
    `errors` under `label`, so a form reports every field at once. `parse` is one of the parsers here (a lambda
    giving its options)."""
    if is_blank(raw):
        if required:
            errors[label] = "必填"
        return default
    try:
        return parse(raw)
    except FieldError as exc:
        errors[label] = str(exc)
        return default


def collect_text(errors: dict[str, str], label: str, raw: Any, max_len: int, *, required: bool = False) -> str:
    """The parsed text of one form field; its problem (or 必填) goes into `errors` under `label`, so a form reports
    every field at once."""
    try:
        value = parse_text(raw, max_len=max_len)
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
    # False when the database column cannot hold NULL: a blank number, date or yes/no is then 必填, not a
    # database error
    nullable: bool = True

    def parse(self, raw: Any) -> Any:
        if is_blank(raw):
            if self.required or (not self.nullable and self.kind not in ("text", "choice")):
                raise FieldError("必填")
            if self.kind == "bool":  # a yes/no cell is never unknown
                raise FieldError("应为 是 或 否")
            return "" if self.kind in ("text", "choice") else None
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
            text = parse_choice(raw, self.choices)
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
