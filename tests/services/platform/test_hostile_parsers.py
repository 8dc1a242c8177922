"""The parsing layer every service shares, against the whole hostile corpus: each parser either returns what the
oracle (tests/services/platform/hostile_oracle.py) says the value stands for, or raises FieldError. Nothing else:
the five causes of the measured crashes (a float NaN where text goes, a 30-digit amount, a lone surrogate, a 21-digit
integer, and a container or bytes where a scalar goes) are each refused here, once, for every service.

Also here: the harness itself, shown to catch what it is meant to catch (a foreign exception, a partial write, a
message that does not name its field, a value stored other than it was given).
"""

# ruff: noqa: ARG005  (the harness calls every lambda with (world, context, value) or (world, context, result))

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

import pytest

from db.engine import unit_of_work
from db.models import Estate
from services.platform.errors import ValidationError
from services.platform.identity import check_id_number, check_landline, check_mobile, parse_phone
from services.platform.period import Period
from services.platform.validate import (
    FieldError,
    FieldRule,
    collect,
    collect_text,
    parse_choice,
    parse_date,
    parse_fixed,
    parse_int,
    parse_text,
)
from services.platform.workbook import parse_contact_phone, parse_mobile, parse_money
from tests.factories import sqlite_only
from tests.services.platform import hostile_harness as harness
from tests.services.platform import hostile_oracle as o
from tests.services.platform.hostile_corpus import CORPUS

EPOCH = datetime(1899, 12, 30)


def _checked(fn: Callable[[str], str]) -> Callable[[Any], str]:
    """An identifier check behind the text rule, as a TableSpec field runs it."""
    rule = FieldRule("x", "x", "text", max_len=20, check=fn)
    return rule.parse


PARSERS: list[tuple[str, Callable[[Any], Any], o.Oracle]] = [
    ("FieldRule text", FieldRule("x", "x", "text", max_len=20_000).parse, o.text),
    ("parse_text", lambda v: parse_text(v, max_len=20_000), o.text),
    ("collect_text", lambda v: _collected(lambda e: collect_text(e, "x", v, 20_000)), o.text),
    ("FieldRule int", FieldRule("x", "x", "int").parse, o.integer),
    ("parse_int", lambda v: parse_int(v) if not o.blank(v) else None, o.integer),
    ("FieldRule hundredths", FieldRule("x", "x", "hundredths").parse, o.money),
    ("FieldRule rate", FieldRule("x", "x", "rate").parse, o.rate),
    ("parse_fixed(2)", lambda v: parse_fixed(v) if not o.blank(v) else None, o.money),
    ("FieldRule date", FieldRule("x", "x", "date").parse, o.day),
    ("parse_date", lambda v: parse_date(v) if not o.blank(v) else None, o.day),
    ("collect date", lambda v: _collected(lambda e: collect(e, "x", v, parse_date, required=False)), o.day),
    ("FieldRule bool", FieldRule("x", "x", "bool").parse, o.boolean),
    ("FieldRule choice", FieldRule("x", "x", "choice", choices=("是", "否", "12")).parse, o.choice(("是", "否", "12"))),
    ("parse_choice", lambda v: parse_choice(v, ("是", "否")) if not o.blank(v) else "", o.choice(("是", "否"))),
    ("check_mobile", _checked(check_mobile), o.mobile),
    ("check_landline", _checked(check_landline), o.landline),
    ("check_id_number", _checked(check_id_number), o.id_number),
    ("parse_phone", parse_phone, o.phone),
    ("workbook.parse_money", lambda v: parse_money(v) if not o.blank(v) else None,
     lambda v: o.money(format(v, ".15g") if isinstance(v, float) and not o.blank(v) else v)),  # as Excel shows it
    ("workbook.parse_mobile", lambda v: parse_mobile(v) if not o.blank(v) else "", o.mobile),
    ("workbook.parse_contact_phone", lambda v: parse_contact_phone(v) if not o.blank(v) else "", o.phone),
]


def _collected(run: Callable[[dict[str, str]], Any]) -> Any:
    errors: dict[str, str] = {}
    value = run(errors)
    if errors:
        raise FieldError(errors["x"])
    return value


@pytest.mark.parametrize(("name", "parse", "oracle"), PARSERS, ids=[p[0] for p in PARSERS])
def test_every_shared_parser_returns_the_oracles_value_or_a_field_error(name, parse, oracle):
    problems = []
    for label, value in CORPUS:
        try:
            got = parse(value)
        except FieldError as exc:
            try:
                str(exc).encode("utf-8")
            except UnicodeEncodeError:
                problems.append(f"{label}: a message that cannot be shown: {str(exc)!r:.60}")
            if not str(exc) or len(str(exc)) > 200:
                problems.append(f"{label}: a message of {len(str(exc))} characters")
            continue
        except Exception as exc:
            problems.append(f"{label}: {type(exc).__name__}: {exc}")
            continue
        try:
            expected = oracle(value)
        except o.Refuse as why:
            problems.append(f"{label}: accepted ({why}) as {got!r:.60}")
            continue
        if not o.same(got, expected):
            problems.append(f"{label}: gave {got!r:.60}, expected {expected!r:.60}")
    assert not problems, f"{name}:\n  " + "\n  ".join(problems)


def test_a_month_is_parsed_or_refused_with_a_short_message_whatever_it_is_given():
    for label, value in CORPUS:
        try:
            period = Period.parse(value)
        except ValueError as exc:
            assert len(str(exc)) < 80, label  # the value is quoted short, never 10,000 characters
            continue
        assert 1900 <= int(period.label[:4]) <= 2100, label


@pytest.mark.parametrize(("kind", "value"), [
    ("text", float("nan")), ("hundredths", Decimal("123456789012345678901234567890")),
    ("hundredths", "123456789012345678901234567890"), ("text", "\ud800"), ("int", 10**21), ("rate", 10**21),
    ("text", ["a"]), ("text", b"abc"), ("hundredths", {"0": 12050, "1": 0}), ("date", "9999-12-31"),
])
def test_each_measured_cause_of_a_crash_is_now_a_field_message(kind, value):
    """A NaN where text is required, a 30-digit amount, a lone surrogate, a 21-digit integer (the causes the issue
    measured), a container or bytes where a scalar goes, a date arithmetic would overflow on: a field message."""
    with pytest.raises(FieldError):
        FieldRule("x", "字段", kind, required=True).parse(value)


# --- the harness catches what it is meant to catch ----------------------------------------------------------


def _target(call: Callable[..., Any], read: Callable[..., Any] = lambda w, c, r: r, label: str = "备注",
            kind: o.Oracle = o.text) -> harness.Target:
    return harness.Target("self-test", "note", label, kind, call, read)


def _estate_then_refuse(*_args: Any) -> None:
    with unit_of_work() as uow:
        uow.session.add(Estate(code=f"X{id(_args)}"[:16], name="半途", address=""))
        uow.commit()
    raise ValidationError({"备注": "不对"})


@sqlite_only
@pytest.mark.parametrize(("call", "read", "label", "found"), [
    (lambda w, c, v: 1 / 0, lambda w, c, r: r, "备注", "ZeroDivisionError"),
    (_estate_then_refuse, lambda w, c, r: r, "备注", "partial write"),
    (lambda w, c, v: (_ for _ in ()).throw(ValidationError({"别的": "不对"})), lambda w, c, r: r, "备注",
     "without naming 备注"),
    (lambda w, c, v: "x", lambda w, c, r: "stored", "备注", "expected"),
], ids=["a foreign exception", "a refusal after a commit", "a message naming another field", "a value changed"])
def test_the_harness_reports_each_kind_of_failure(db, call, read, label, found):
    tally = harness.run(_target(call, read, label), None, [("plain", "甲")])
    assert any(found in p for p in tally.problems), tally.problems
