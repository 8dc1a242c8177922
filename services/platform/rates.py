"""Rates as managers read them (KPI.md): a Decimal fraction rounded half-up to 4 places, or None.

Invariant: a rate whose denominator is zero is None (shown as "—"), never 0 or 100%.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

RATE_PLACES = Decimal("0.0001")


def rate(numerator: int, denominator: int) -> Decimal | None:
    """numerator / denominator as a 4-place fraction, or None when there is nothing to divide by."""
    if denominator == 0:
        return None
    return (Decimal(numerator) / Decimal(denominator)).quantize(RATE_PLACES, rounding=ROUND_HALF_UP)
