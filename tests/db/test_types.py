"""Column types: money/areas exact to the cent as integer hundredths; timestamps aware and in UTC.

A scratch table (own MetaData, created and dropped per test) holds a Money and a
UTCDateTime column on each backend; the migrated `units`/`users` columns are checked too.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, func, insert, select, text
from sqlalchemy.exc import StatementError

from db.engine import get_engine, unit_of_work
from db.models import Unit, User
from db.types import Hundredths, Money, UTCDateTime, round_cents
from tests.factories import bulk_units, make_estate

scratch = MetaData()
LEDGER = Table(
    "zz_test_ledger", scratch,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("amount", Money()),
    Column("at", UTCDateTime()),
)

AMOUNTS = [Decimal("0.01"), Decimal("89.50"), Decimal("120.37"), Decimal("99999999.99"), Decimal("-0.01"),
           Decimal("-120.37"), Decimal("-99999999.99"), Decimal("0.00"), Decimal("3")]


@pytest.fixture
def ledger(db):
    engine = get_engine(db)
    scratch.create_all(engine)
    yield engine
    scratch.drop_all(engine)


def test_money_round_trips_to_the_cent(ledger):
    with ledger.begin() as conn:
        conn.execute(insert(LEDGER), [{"amount": a} for a in AMOUNTS])
    with ledger.connect() as conn:
        back = list(conn.scalars(select(LEDGER.c.amount).order_by(LEDGER.c.id)))
        raw = list(conn.execute(text("SELECT amount FROM zz_test_ledger ORDER BY id")).scalars())
    assert back == AMOUNTS
    assert [str(v) for v in back] == ["0.01", "89.50", "120.37", "99999999.99", "-0.01", "-120.37",
                                      "-99999999.99", "0.00", "3.00"]
    assert all(isinstance(v, Decimal) for v in back)
    assert raw == [1, 8950, 12037, 9999999999, -1, -12037, -9999999999, 0, 300]
    assert all(isinstance(v, int) for v in raw)


def test_sql_sum_over_money_is_an_integer_sum_of_cents(ledger):
    amounts = [Decimal("0.10")] * 10 + [Decimal("0.20"), Decimal("99999999.99"), Decimal("-0.01")]
    with ledger.begin() as conn:
        conn.execute(insert(LEDGER), [{"amount": a} for a in amounts])
    with ledger.connect() as conn:
        raw = conn.execute(text("SELECT SUM(amount) FROM zz_test_ledger")).scalar_one()
        typed = conn.execute(select(func.sum(LEDGER.c.amount))).scalar_one()
    assert raw == 10000000118 and int(raw) == raw  # 0.1 * 10 + 0.2 would not be exact in floats
    assert typed == Decimal("100000001.18") == sum(amounts)


def test_money_refuses_float(ledger):
    with pytest.raises((TypeError, StatementError)) as exc, ledger.begin() as conn:
        conn.execute(insert(LEDGER), [{"amount": 0.1}])
    assert "float" in str(exc.value)
    with ledger.connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM zz_test_ledger")).scalar_one() == 0


@pytest.mark.parametrize("value", [Decimal("0.001"), Decimal("1.005"), "12.345"])
def test_money_refuses_more_than_two_decimals(ledger, value):
    with pytest.raises((ValueError, StatementError)) as exc, ledger.begin() as conn:
        conn.execute(insert(LEDGER), [{"amount": value}])
    assert "more than two decimal places" in str(exc.value)


def test_area_columns_of_units_round_trip_and_sum_exactly(db):
    estate_id, [b] = make_estate()
    areas = [Decimal("0.01"), Decimal("89.50"), Decimal("120.37"), Decimal("99999.99")]
    ids = bulk_units(estate_id, b, len(areas), inner_area=None)
    with unit_of_work() as uow:
        for unit_id, area in zip(ids, areas, strict=True):
            uow.session.get(Unit, unit_id).built_area = area
        uow.commit()
    with unit_of_work() as uow:
        back = [uow.session.get(Unit, i).built_area for i in ids]
        total = uow.session.scalar(select(func.sum(Unit.built_area)))
        raw = uow.session.execute(text("SELECT SUM(built_area) FROM units")).scalar_one()
    assert back == areas
    assert total == sum(areas)
    assert raw == 10020987


def test_the_rounding_helper_rounds_half_up_to_the_cent():
    assert round_cents(Decimal("0.005")) == Decimal("0.01")
    assert round_cents(Decimal("0.004")) == Decimal("0.00")
    assert round_cents(Decimal("-0.005")) == Decimal("-0.01")
    assert round_cents(Decimal("2.675")) == Decimal("2.68")  # float(2.675) would round down
    assert str(round_cents(Decimal("7"))) == "7.00"


def test_hundredths_binding_is_direct_for_none_int_and_str():
    h = Hundredths()
    assert h.process_bind_param(None, None) is None
    assert h.process_bind_param(5, None) == 500
    assert h.process_bind_param("1.20", None) == 120
    assert h.process_result_value(-1, None) == Decimal("-0.01")


# --- timestamps --------------------------------------------------------------------------------

MOMENTS = [
    datetime(2026, 3, 1, 12, 34, 56, 123456, tzinfo=UTC),
    datetime(2026, 3, 2, 0, 0, 0, 1, tzinfo=ZoneInfo("Asia/Shanghai")),
    datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=timezone(timedelta(hours=-5))),
]


def test_aware_datetimes_round_trip_with_microseconds_as_utc(ledger):
    with ledger.begin() as conn:
        conn.execute(insert(LEDGER), [{"at": m} for m in MOMENTS])
    with ledger.connect() as conn:
        back = list(conn.scalars(select(LEDGER.c.at).order_by(LEDGER.c.id)))
    assert back == MOMENTS  # same instants
    assert all(b.utcoffset() == timedelta(0) for b in back)
    assert [b.microsecond for b in back] == [123456, 1, 999999]
    assert back[1] == datetime(2026, 3, 1, 16, 0, 0, 1, tzinfo=UTC)


def test_naive_datetimes_are_refused(ledger):
    with pytest.raises((ValueError, StatementError)) as exc, ledger.begin() as conn:
        conn.execute(insert(LEDGER), [{"at": datetime(2026, 3, 1, 12, 0)}])
    assert "naive datetime refused" in str(exc.value)


def test_migrated_timestamp_columns_keep_microseconds(db):
    moment = datetime(2026, 3, 1, 12, 34, 56, 654321, tzinfo=UTC)
    with unit_of_work() as uow:
        uow.session.add(User(username="u1", display_name="u", password_hash="x", role="clerk",
                             locked_until=moment, last_login_at=moment))
        uow.commit()
    with unit_of_work() as uow:
        user = uow.session.scalar(select(User).where(User.username == "u1"))
        assert (user.locked_until, user.last_login_at) == (moment, moment)
        assert user.created_at.tzinfo is not None
        assert abs(user.created_at - datetime.now(UTC)) < timedelta(minutes=5)


def test_business_dates_stay_plain_dates(db):
    estate_id, [b] = make_estate()
    [unit_id] = bulk_units(estate_id, b, 1, delivered_on=date(2024, 2, 29))
    with unit_of_work() as uow:
        assert uow.session.get(Unit, unit_id).delivered_on == date(2024, 2, 29)
