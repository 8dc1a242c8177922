"""The hostile-input corpus: values people, pandas, Excel, a garbled grid and attackers put where PropDesk expects a
field's value.

Each entry is (name, value). The name says what the value is, for failure reports (the value itself may be 10,000
characters or unprintable). `SLICE` is the part run on PostgreSQL and MariaDB too: the values whose fate depends on
the database (lengths, 4-byte characters, NUL, range limits, signed zero, far dates).

Add a value by adding a line; every corpus test picks it up.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

import pandas as pd

from services.platform.identity import id_check_char

_ID17 = "11010519491231002"
VALID_ID = _ID17 + id_check_char(_ID17)
BAD_CHECK_ID = _ID17 + ("0" if id_check_char(_ID17) != "0" else "1")
_X_ID17 = next(f"{n:017d}" for n in range(11010519491231000, 11010519491232000) if id_check_char(f"{n:017d}") == "X")
X_ID = _X_ID17 + "X"

BLANK: list[tuple[str, Any]] = [
    ("None", None),
    ("empty", ""),
    ("space", " "),
    ("spaces", "     "),
    ("tab", "\t"),
    ("newline", "\n"),
    ("crlf", "\r\n"),
    ("ideographic space", "\u3000"),
    ("mixed blanks", " \u3000\t "),
    ("float NaN", float("nan")),
    ("math.nan", math.nan),
    ("Decimal NaN", Decimal("NaN")),
    ("Decimal sNaN", Decimal("sNaN")),
    ("pandas NA", pd.NA),
    ("pandas NaT", pd.NaT),
    ("text nan", "nan"),
    ("text None", "None"),
    ("text null", "null"),
    ("text NULL", "NULL"),
    ("text undefined", "undefined"),
]

LENGTHS: list[tuple[str, Any]] = [
    ("1 char", "a"),
    ("20 chars", "a" * 20),
    ("50 chars", "中" * 50),
    ("51 chars", "中" * 51),
    ("64 chars", "b" * 64),
    ("100 chars", "c" * 100),
    ("101 chars", "c" * 101),
    ("200 chars", "d" * 200),
    ("201 chars", "d" * 201),
    ("255 chars", "e" * 255),
    ("256 chars", "e" * 256),
    ("500 chars", "f" * 500),
    ("501 chars", "f" * 501),
    ("1000 chars", "g" * 1000),
    ("1001 chars", "g" * 1001),
    ("2000 chars", "h" * 2000),
    ("10,000 chars", "x" * 10_000),
    ("10,000 CJK chars", "长" * 10_000),
    ("300 emoji", "😀" * 300),
    ("padded text", "  张伟  "),
    ("inner spaces", "张  伟"),
]

CONTROL: list[tuple[str, Any]] = [
    ("NUL", "\x00"),
    ("NUL inside", "a\x00b"),
    ("NUL at end", "张伟\x00"),
    ("SOH", "\x01"),
    ("BEL", "a\x07"),
    ("backspace", "ab\x08c"),
    ("vertical tab", "a\x0bb"),
    ("form feed", "a\x0cb"),
    ("escape sequence", "\x1b[31mred\x1b[0m"),
    ("DEL", "a\x7f"),
    ("inner newline", "第一行\n第二行"),
    ("inner CRLF", "第一行\r\n第二行"),
    ("inner tab", "a\tb"),
    ("C1 NEL", "a\x85b"),
    ("zero-width space", "张\u200b伟"),
    ("RTL override", "\u202eabc"),
    ("BOM", "\ufeff张伟"),
    ("line separator", "a\u2028b"),
]

UNICODE: list[tuple[str, Any]] = [
    ("emoji", "😀"),
    ("emoji in text", "漏水了😭请尽快"),
    ("family emoji", "👨\u200d👩\u200d👧"),
    ("flag emoji", "🇨🇳"),
    ("CJK extension B", "𠀀𠮷"),
    ("traditional", "張偉"),
    ("combining accent", "e\u0301"),
    ("latin accents", "Zoë Ñúñez"),
    ("arabic", "مرحبا"),
    ("max code point", "\U0010ffff"),
    ("noncharacter FFFE", "a\ufffe"),
    ("noncharacter FFFF", "\uffff"),
    ("lone high surrogate", "\ud800"),
    ("lone low surrogate", "\udc80"),
    ("surrogate inside", "a\udfffb"),
    ("surrogate in digits", "123\ud800"),
    ("reversed surrogate pair", "\udc00\ud800"),
    ("full-width letters", "ＡＢＣ"),
    ("full-width digits", "１２３"),
    ("full-width mobile", "１３８１２３４８０００"),
    ("full-width amount", "１２３．５０"),
    ("full-width date", "２０２６－０３－０１"),
    ("full-width digits, ASCII dashes", "２０２６-０３-０１"),
    ("arabic-indic digits", "١٢٣"),
    ("devanagari digits", "१२३"),
    ("vulgar fraction", "½"),
    ("roman numeral", "Ⅻ"),
    ("chinese numeral", "五"),
    ("superscript two", "²"),
]

INJECTION: list[tuple[str, Any]] = [
    ("SQL drop", "'; DROP TABLE units;--"),
    ("SQL or", "' OR '1'='1"),
    ("SQL delete", "1; DELETE FROM users"),
    ("bobby tables", "Robert'); DROP TABLE students;--"),
    ("SQL comment", "admin'--"),
    ("script tag", "<script>alert(1)</script>"),
    ("img onerror", "<img src=x onerror=alert(1)>"),
    ("javascript url", "javascript:alert(1)"),
    ("markdown link", "[点我](javascript:alert(1))"),
    ("template braces", "{{7*7}}"),
    ("shell substitution", "${7*7}"),
    ("printf", "%s%s%s%n"),
    ("python format", "{0.__class__}"),
    ("path traversal", "../../etc/passwd"),
    ("windows path", "C:\\Windows\\system32"),
    ("UNC path", "\\\\server\\share"),
    ("HYPERLINK formula", '=HYPERLINK("http://x","y")'),
    ("sum formula", "=1+1"),
    ("DDE plus", "+cmd|' /C calc'!A0"),
    ("minus formula", "-2+3"),
    ("at formula", "@SUM(1)"),
    ("tab formula", "\t=1+1"),
    ("CR formula", "\r=1+1"),
    ("DDE", '=cmd|\' /C notepad\'!\'A1\''),
    ("full-width equals", "＝1+1"),
    ("single quote", "'"),
    ("double quote", '"'),
    ("backslash", "\\"),
    ("backtick", "`"),
    ("percent", "%"),
    ("underscore", "_"),
    ("LIKE wildcard", "%_%"),
]

NUMBER_TEXT: list[tuple[str, Any]] = [
    ("text 0", "0"),
    ("text -0", "-0"),
    ("text +0", "+0"),
    ("text 00", "00"),
    ("text 007", "007"),
    ("text 1", "1"),
    ("text -1", "-1"),
    ("text 12", "12"),
    ("text 1.5", "1.5"),
    ("text 1.50", "1.50"),
    ("3 decimals", "1.505"),
    ("3 decimals, zero last", "12.340"),
    ("4 decimals", "0.5680"),
    ("5 decimals", "0.56801"),
    ("tiny", "0.001"),
    ("minus one cent", "-0.01"),
    ("negative money", "-100.00"),
    ("thousands comma", "1,234.50"),
    ("full-width comma", "1，234.50"),
    ("yuan sign", "¥1234.50"),
    ("full-width yuan sign", "￥12"),
    ("yuan suffix", "1234.5元"),
    ("exponent", "1e3"),
    ("exponent plus", "1E+2"),
    ("text 1e309", "1e309"),
    ("text -1e309", "-1e309"),
    ("text inf", "inf"),
    ("text Infinity", "Infinity"),
    ("text -Infinity", "-Infinity"),
    ("text NaN", "NaN"),
    ("hex", "0x1F"),
    ("underscore digits", "1_000"),
    ("padded number", " 12 "),
    ("spaced digits", "12 34"),
    ("leading dot", ".5"),
    ("trailing dot", "5."),
    ("minus leading dot", "-.5"),
    ("plus sign", "+5"),
    ("double minus", "--5"),
    ("two dots", "1.2.3"),
    ("nine nines", "999999999"),
    ("ten digits", "1000000000"),
    ("int32 max", "2147483647"),
    ("int32 max + 1", "2147483648"),
    ("int64 max", "9223372036854775807"),
    ("int64 max + 1", "9223372036854775808"),
    ("21 digits", "1" + "0" * 20),
    ("30 digits", "123456789012345678901234567890"),
    ("30 digits and cents", "123456789012345678901234567890.12"),
    ("12 digits and cents", "999999999999.99"),
    ("13 digits", "1000000000000"),
    ("many zeros after point", "0.000000000000000000000000000001"),
    ("big money", "99999999.99"),
]

NUMBERS: list[tuple[str, Any]] = [
    ("int 0", 0),
    ("int 1", 1),
    ("int -1", -1),
    ("int 12", 12),
    ("int int32 max", 2**31 - 1),
    ("int int32 max + 1", 2**31),
    ("int int64 max + 1", 2**63),
    ("10**21", 10**21),
    ("-10**21", -(10**21)),
    ("10**30", 10**30),
    ("float 1.5", 1.5),
    ("float 12.0", 12.0),
    ("float 0.1+0.2", 0.1 + 0.2),
    ("float -0.0", -0.0),
    ("float 0.0", 0.0),
    ("float 1e20", 1e20),
    ("float 1e309", 1e309),
    ("float -inf", float("-inf")),
    ("float 13812348000", 13812348000.0),
    ("Decimal 0", Decimal("0")),
    ("Decimal -0", Decimal("-0")),
    ("Decimal -0.00", Decimal("-0.00")),
    ("Decimal 1.5", Decimal("1.5")),
    ("Decimal 3 decimals", Decimal("1.505")),
    ("Decimal negative money", Decimal("-100.00")),
    ("Decimal Infinity", Decimal("Infinity")),
    ("Decimal -Infinity", Decimal("-Infinity")),
    ("Decimal 1E+30", Decimal("1E+30")),
    ("Decimal 30 digits", Decimal("123456789012345678901234567890")),
    ("Decimal 1E-30", Decimal("1E-30")),
    ("Decimal 1E+2", Decimal("1E+2")),
    ("Decimal 1E+999999", Decimal("1E+999999")),
    ("bool True", True),
    ("bool False", False),
    ("complex", 1 + 2j),
]

DATES: list[tuple[str, Any]] = [
    ("date text", "2026-03-01"),
    ("2026-02-30", "2026-02-30"),
    ("2026-02-29", "2026-02-29"),
    ("leap day", "2024-02-29"),
    ("0000-00-00", "0000-00-00"),
    ("year 1", "0001-01-01"),
    ("1899-12-31", "1899-12-31"),
    ("1900-01-01", "1900-01-01"),
    ("2100-12-31", "2100-12-31"),
    ("2101-01-01", "2101-01-01"),
    ("9999-12-31", "9999-12-31"),
    ("year 10000", "10000-01-01"),
    ("month 13", "2026-13-01"),
    ("month 0", "2026-00-10"),
    ("short date", "2026-3-1"),
    ("slashes", "2026/03/01"),
    ("dots", "2026.03.01"),
    ("chinese date", "2026年3月1日"),
    ("compact date", "20260301"),
    ("US date", "03/01/2026"),
    ("date and time text", "2026-03-01 10:00"),
    ("ISO T", "2026-03-01T10:00"),
    ("midnight text", "2026-03-01 00:00:00"),
    ("date with NUL", "2026-03-01\x00"),
    ("date object", date(2026, 2, 28)),
    ("date 1-1-1", date(1, 1, 1)),
    ("date 9999-12-31", date(9999, 12, 31)),
    ("date 1899-12-31", date(1899, 12, 31)),
    ("naive datetime", datetime(2026, 3, 1, 10, 30)),
    ("naive midnight", datetime(2026, 3, 1)),
    ("aware datetime", datetime(2026, 3, 1, 10, 30, tzinfo=UTC)),
    ("aware +08:00", datetime(2026, 3, 1, 10, 30, tzinfo=timezone(timedelta(hours=8)))),
    ("datetime 9999", datetime(9999, 12, 31, 23, 59)),
    ("pandas Timestamp", pd.Timestamp("2026-03-01")),
    ("timedelta", timedelta(days=1)),
]

IDENTIFIERS: list[tuple[str, Any]] = [
    ("mobile", "13812348000"),
    ("mobile 10 digits", "1381234800"),
    ("mobile 12 digits", "138123480001"),
    ("mobile bad prefix", "12812348000"),
    ("mobile starts 2", "23812348000"),
    ("mobile dashes", "138-1234-8000"),
    ("mobile spaces", "138 1234 8000"),
    ("mobile +86", "+8613812348000"),
    ("mobile letter O", "1381234800O"),
    ("mobile int", 13812348000),
    ("mobile 10-digit int", 1381234800),
    ("landline", "020-12345678"),
    ("landline short", "020-1234567"),
    ("landline one short", "020-123456"),
    ("landline no dash", "02012345678"),
    ("landline bracket", "(020)12345678"),
    ("ID number", VALID_ID),
    ("ID bad check digit", BAD_CHECK_ID),
    ("ID 17 chars", _ID17),
    ("ID 19 chars", VALID_ID + "1"),
    ("ID with X", X_ID),
    ("ID lower x", X_ID.lower()),
    ("ID full-width", "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in VALID_ID)),
    ("plate", "粤B12345"),
    ("plate lower", "粤b12345"),
]

BOOLS_AND_CHOICES: list[tuple[str, Any]] = [
    ("yes", "是"),
    ("no", "否"),
    ("text true", "true"),
    ("text TRUE", "TRUE"),
    ("text false", "false"),
    ("text yes", "yes"),
    ("text 2", "2"),
]

STRUCTURES: list[tuple[str, Any]] = [
    ("bytes", b"abc"),
    ("bytes not UTF-8", b"\xff\xfe"),
    ("bytearray", bytearray(b"x")),
    ("empty list", []),
    ("list", ["a"]),
    ("list of ints", [1, 2]),
    ("empty dict", {}),
    ("garbled decimal from the grid", {"0": 12050, "1": 0}),
    ("dict", {"a": 1}),
    ("tuple", ("a",)),
    ("set", {"a"}),
    ("object", object()),
]

CORPUS: list[tuple[str, Any]] = [
    *BLANK, *LENGTHS, *CONTROL, *UNICODE, *INJECTION, *NUMBER_TEXT, *NUMBERS, *DATES, *IDENTIFIERS,
    *BOOLS_AND_CHOICES, *STRUCTURES,
]

_SLICE_NAMES = (
    "None", "float NaN", "spaces", "padded text", "51 chars", "101 chars", "201 chars", "256 chars", "501 chars",
    "1001 chars", "10,000 chars", "300 emoji", "NUL inside", "emoji in text", "CJK extension B", "lone high surrogate",
    "SQL drop", "HYPERLINK formula", "text -0", "3 decimals", "negative money", "int int32 max + 1", "10**21",
    "30 digits", "Decimal 1E+30", "2026-02-30", "0000-00-00", "9999-12-31", "date 9999-12-31", "mobile 12 digits",
    "ID bad check digit", "full-width digits", "garbled decimal from the grid",
)
SLICE: list[tuple[str, Any]] = [(n, v) for n, v in CORPUS if n in _SLICE_NAMES]


def _check() -> None:
    names = [n for n, _ in CORPUS]
    duplicated = {n for n in names if names.count(n) > 1}
    assert not duplicated, duplicated
    assert len(SLICE) == len(_SLICE_NAMES), set(_SLICE_NAMES) - {n for n, _ in SLICE}


_check()
