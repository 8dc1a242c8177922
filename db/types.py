"""Column types that keep exact values on every backend.

Invariant: a fixed-point value (money, area) is stored as an integer count of
hundredths, so SQLite never sees a float and SQL sums are integer sums.
Timestamps are stored as naive UTC and always come back timezone-aware (UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.types import TypeDecorator

CENT = Decimal("0.01")


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to 0.01: the only rounding rule for money in PropDesk."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Hundredths(TypeDecorator):
    """Decimal with two places, stored as integer hundredths (money in cents, area in 0.01 m²)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("fixed-point columns refuse float; pass Decimal")
        d = value if isinstance(value, Decimal) else Decimal(value)
        q = d.quantize(CENT)
        if q != d:
            raise ValueError(f"{value} has more than two decimal places")
        return int(q * 100)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return (Decimal(int(value)) / 100).quantize(CENT)


class Money(Hundredths):
    """Money: Decimal in Python, integer cents in the database."""

    cache_ok = True


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetime stored as naive UTC (portable across SQLite, PostgreSQL, MariaDB)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect):
        # MariaDB's DATETIME drops fractions of a second unless asked for them.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
