"""What a field may store of a hostile value: written here independently of services/platform/validate.py.

Each kind is a function value -> the value the database must hold if the service accepts it, or raises Refuse when
accepting it at all is a bug (text that is not text, a NaN amount, a date that does not exist...). A service may
always refuse more (a length, a range, a rule of its own): the oracle says only what an acceptance must look like.

The normalisations a service may apply, and nothing else: text is stripped of surrounding spaces (a whole number
is taken as its digits); numbers are read in any script's digits, with thousands commas and a ¥ sign, and kept to
their places; phone and ID numbers are read after NFKC (full-width digits) without spaces or dashes.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Mapping
from datetime import date, datetime, time
from decimal import Decimal, InvalidOperation
from typing import Any

import pandas as pd

Oracle = Callable[[Any], Any]
DATE_MIN, DATE_MAX = date(1900, 1, 1), date(2100, 12, 31)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class Refuse(Exception):
    """Accepting this value is a bug."""


def blank(value: Any) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    return isinstance(value, str) and not value.strip()


def _as_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise Refuse("not text")
    out = str(value).strip()
    if _CONTROL.search(out):
        raise Refuse("control character")
    try:
        out.encode("utf-8")
    except UnicodeEncodeError:
        raise Refuse("lone surrogate") from None
    return out


def text(value: Any) -> str:
    """Free text: stripped; blank is ''."""
    return "" if blank(value) else _as_text(value)


def _decimal(value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
        raise Refuse("not a number")
    if isinstance(value, float):
        if not math.isfinite(value):
            raise Refuse("not finite")
        return Decimal(repr(value))
    if isinstance(value, Decimal | int):
        return Decimal(value)
    cleaned = unicodedata.normalize("NFKC", value).strip()
    cleaned = re.sub(r"元$", "", cleaned).replace(",", "").replace("¥", "").strip()
    try:
        return Decimal(cleaned)
    except InvalidOperation:
        raise Refuse("not a number") from None


def fixed(places: int) -> Oracle:
    """A number kept to `places` decimals (money and areas: 2, rates: 4); blank is None."""

    def oracle(value: Any) -> Decimal | None:
        if blank(value):
            return None
        number = _decimal(value)
        if not number.is_finite() or abs(number) >= Decimal(10) ** 12:
            raise Refuse("not finite, or beyond 10**12")
        if number != number.quantize(Decimal(1).scaleb(-places)):
            raise Refuse("too many decimals")
        return number.quantize(Decimal(1).scaleb(-places)) + 0  # -0 is 0

    return oracle


money = fixed(2)
rate = fixed(4)


def integer(value: Any) -> int | None:
    """A whole number within a 32-bit column; blank is None."""
    if blank(value):
        return None
    if isinstance(value, bool):
        raise Refuse("bool")
    if isinstance(value, int):
        number = value
    elif isinstance(value, float) and value.is_integer() or isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        number = int(value)
    elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
        number = int(value.strip())
    else:
        raise Refuse("not a whole number")
    if abs(number) >= 2**31:
        raise Refuse("beyond a 32-bit column")
    return number


_DATE_TEXT = re.compile(r"(\d{4})(?:[-/.]|年)(\d{1,2})(?:[-/.]|月)(\d{1,2})日?|(\d{4})(\d{2})(\d{2})")


def day(value: Any) -> date | None:
    """A calendar date between 1900 and 2100; a datetime only at midnight; blank is None."""
    if blank(value):
        return None
    if isinstance(value, datetime):
        if value.time() != time():
            raise Refuse("a moment, not a date")
        value = value.date()
    if isinstance(value, date):
        found = value
    elif isinstance(value, str):
        text_ = unicodedata.normalize("NFKC", value).strip()
        text_ = re.sub(r"\s+0{1,2}:00(:00)?$", "", text_)
        m = _DATE_TEXT.fullmatch(text_)
        if not m:
            raise Refuse("not a date")
        parts = [int(g) for g in m.groups() if g is not None]
        try:
            found = date(*parts)
        except ValueError:
            raise Refuse("no such day") from None
    else:
        raise Refuse("not a date")
    if not DATE_MIN <= found <= DATE_MAX:
        raise Refuse("outside 1900..2100")
    return found


_TRUE = {"true", "1", "是", "yes", "y", "t"}
_FALSE = {"false", "0", "否", "no", "n", "f"}


def boolean(value: Any) -> bool | None:
    if blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        word = value.strip().lower()
        if word in _TRUE:
            return True
        if word in _FALSE:
            return False
    raise Refuse("not yes or no")


def choice(options: tuple[str, ...] | list[str], stored_as: Mapping[str, str] | None = None) -> Oracle:
    """One of `options` (stored through `stored_as` when given); blank is ''."""

    def oracle(value: Any) -> str:
        if blank(value):
            return ""
        picked = _as_text(value)
        if picked not in options:
            raise Refuse("not an option")
        return stored_as.get(picked, picked) if stored_as else picked

    oracle.options = tuple(options)  # type: ignore[attr-defined]  # the harness feeds some of them too
    return oracle


def _digits(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    raw = _as_text(value)
    return re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw))


def mobile(value: Any) -> str:
    if blank(value):
        return ""
    digits = _digits(value)
    digits = digits[3:] if digits.startswith("+86") else digits
    if not re.fullmatch(r"1[3-9][0-9]{9}", digits):
        raise Refuse("not a mobile")
    return digits


class OneOf(tuple[Any, ...]):
    """Either of these is what the value stores as (two spellings the rules allow)."""


class _Any:
    """Whatever the service chose (a blank it fills in itself, e.g. the next position)."""

    def __repr__(self) -> str:
        return "ANY"


ANY = _Any()


def or_any_when_blank(oracle: Oracle) -> Oracle:
    """`oracle`, except that a blank value may become whatever the service fills in."""
    return lambda value: ANY if blank(value) else oracle(value)


def blank_as(stored: Any, oracle: Oracle) -> Oracle:
    """`oracle`, except that a blank value is stored as `stored` (a documented default, e.g. no cost is 0.00)."""
    return lambda value: stored if blank(value) else oracle(value)


def landline(value: Any) -> str | OneOf:
    """A landline with area code, kept as typed or with the dash after the area code put in."""
    if blank(value):
        return ""
    raw = unicodedata.normalize("NFKC", _as_text(value)).replace(" ", "")
    bracketed = re.fullmatch(r"\((0[0-9]{2,3})\)(.*)", raw)
    raw = f"{bracketed[1]}-{bracketed[2]}" if bracketed else raw
    m = re.fullmatch(r"(0[0-9]{2,3})(-?)([0-9]{7,8}(?:-[0-9]{1,6})?)", raw)
    if not m:
        raise Refuse("not a landline")
    if m[2]:
        return raw
    area = 3 if raw.startswith(("010", "02")) else 4
    return OneOf((raw, f"{raw[:area]}-{raw[area:]}"))


def phone(value: Any) -> str | OneOf:
    """A mobile or a landline."""
    try:
        return mobile(value)
    except Refuse:
        return landline(value)


def id_number(value: Any) -> str:
    from services.platform.identity import id_check_char  # the check-digit table, not the rule under test

    if blank(value):
        return ""
    raw = unicodedata.normalize("NFKC", _as_text(value)).upper()
    if not re.fullmatch(r"[0-9]{17}[0-9X]", raw) or id_check_char(raw[:17]) != raw[17]:
        raise Refuse("not an ID number")
    return raw


def same(stored: Any, expected: Any) -> bool:
    """The stored value is the expected one (blank text may be kept as '' or NULL)."""
    if expected is ANY:
        return True
    if isinstance(expected, OneOf):
        return any(same(stored, e) for e in expected)
    if expected in ("", None) and stored in ("", None):
        return True
    if isinstance(expected, Decimal) and isinstance(stored, Decimal):
        return stored == expected
    return type(stored) is type(expected) and stored == expected
