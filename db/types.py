"""Column types that keep exact values on every backend.

Invariant: a fixed-point value (money, area) is stored as an integer count of
hundredths, so SQLite never sees a float and SQL sums are integer sums.
Timestamps are stored as naive UTC and always come back timezone-aware (UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import BigInteger, DateTime
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

CENT = Decimal("0.01")


def round_cents(value: Decimal) -> Decimal:
    """Round half-up to 0.01: the only rounding rule for money in PropDesk."""
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


_PLACES_WORDS = {2: "two", 4: "four"}


class _FixedPoint(TypeDecorator[Decimal]):
    """Decimal with `places` fixed decimals, stored as an integer count of 10**-places."""

    impl = BigInteger
    cache_ok = True
    places = 2

    def process_bind_param(
        self, value: Decimal | None, dialect: Dialect,  # noqa: ARG002 (TypeDecorator's signature)
    ) -> int | None:
        if value is None:
            return None
        if isinstance(value, float):
            raise TypeError("fixed-point columns refuse float; pass Decimal")
        d = value if isinstance(value, Decimal) else Decimal(value)
        units = d.scaleb(self.places)  # whole units of 10**-places, if d has no more places (cheaper than quantize)
        if not units.is_finite() or units != units.to_integral_value():
            raise ValueError(f"{value} has more than {_PLACES_WORDS[self.places]} decimal places")
        return int(units)

    def process_result_value(
        self, value: int | None, dialect: Dialect,  # noqa: ARG002 (TypeDecorator's signature)
    ) -> Decimal | None:
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places)  # an integer scaled: exactly `places` places, 0 -> 0.00


class Hundredths(_FixedPoint):
    """Decimal with two places, stored as integer hundredths (money in cents, area in 0.01 m²)."""

    cache_ok = True
    places = 2


class Money(Hundredths):
    """Money: Decimal in Python, integer cents in the database."""

    cache_ok = True


class Rate(_FixedPoint):
    """A unit price with four places (电费 0.5680 元/度), stored as integer ten-thousandths."""

    cache_ok = True
    places = 4


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware datetime stored as naive UTC (portable across SQLite, PostgreSQL, MariaDB)."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        # MariaDB's DATETIME drops fractions of a second unless asked for them.
        if dialect.name in ("mysql", "mariadb"):
            return dialect.type_descriptor(mysql.DATETIME(fsp=6))
        return dialect.type_descriptor(DateTime())

    def process_bind_param(
        self, value: datetime | None, dialect: Dialect,  # noqa: ARG002 (TypeDecorator's signature)
    ) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: timestamps must be timezone-aware")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(
        self, value: datetime | None, dialect: Dialect,  # noqa: ARG002 (TypeDecorator's signature)
    ) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def utcnow() -> datetime:
    return datetime.now(UTC)
