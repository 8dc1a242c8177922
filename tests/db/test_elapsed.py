"""db.elapsed.microseconds_between: the time between two stored timestamps, exact to the microsecond, on SQLite,
PostgreSQL and MariaDB (the 24-hour rule of 投诉处理及时率 reads it)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import literal_column, select

from db.elapsed import microseconds_between
from db.engine import get_engine, read_session, unit_of_work
from db.models import Ticket
from services.platform.clock import SHANGHAI
from tests.factories import make_estate

BASE = datetime(2026, 3, 31, 20, 0, 0, 999_999, tzinfo=SHANGHAI)
DAY = timedelta(hours=24)
US = timedelta(microseconds=1)
GAPS = [DAY, DAY + US, DAY - US, -US, timedelta(0), timedelta(seconds=1, microseconds=2),
        timedelta(hours=5, microseconds=1), timedelta(days=400, hours=3), -timedelta(days=2, microseconds=999_999)]


def test_the_microseconds_between_two_stored_timestamps_are_exact_on_every_backend(db):
    estate_id, _ = make_estate()
    with unit_of_work() as uow:
        for n, gap in enumerate([*GAPS, None]):
            received = BASE + timedelta(days=n, microseconds=n * 7)  # across a month and a year's end
            uow.session.add(Ticket(number=f"T{n:04d}", ticket_type="投诉", channel="电话", estate_id=estate_id,
                                   content="测试", received_at=received, entered_at=received, status="处理中",
                                   deadline_at=received + DAY, handled_at=None if gap is None else received + gap))
        uow.commit()
    with read_session() as s:
        got = s.execute(select(Ticket.received_at, Ticket.handled_at,
                               microseconds_between(Ticket.received_at, Ticket.handled_at)).order_by(Ticket.id)).all()
        within_a_day = s.scalar(select(Ticket.number).where(
            microseconds_between(Ticket.received_at, Ticket.handled_at) <= DAY // US).order_by(Ticket.id.desc()).limit(1))
    assert [micros for _, _, micros in got] == [gap // US for gap in GAPS] + [None]
    assert all(isinstance(micros, int) for _, _, micros in got[:-1])
    assert within_a_day == "T0008"  # the last one at most a day later (negative gaps too)


@pytest.mark.parametrize(("start", "end", "micros"), [
    ("2026-03-01 10:00:00", "2026-03-02 10:00:00", 86_400_000_000),  # no fraction
    ("2026-03-01 10:00:00.5", "2026-03-01 10:00:01", 500_000),  # a short fraction
    ("2026-03-01 10:00:00.999999", "2026-03-01 10:00:01.000001", 2),  # strftime alone would round these
    ("2026-12-31 23:59:59.999999", "2027-01-01 00:00:00", 1),
])
def test_sqlite_reads_the_text_form_of_a_timestamp_whatever_its_fraction(sqlite_db, start, end, micros):
    with get_engine(sqlite_db).connect() as conn:
        assert conn.scalar(select(microseconds_between(literal_column(f"'{start}'"), literal_column(f"'{end}'")))) \
            == micros

