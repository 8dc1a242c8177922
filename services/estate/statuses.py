"""The statuses of a unit, defined once: the words stored in `units.status` and shown in the 房屋 grid.

未售 (unsold: the developer pays), then, once handed over, 已交房未入住 / 已入住 / 出租 / 装修中, and 空置 when nobody
lives there (before anyone moved in, or after the last move-out).
"""

from __future__ import annotations

from typing import Final


class UnitStatus:
    UNSOLD: Final = "未售"
    VACANT: Final = "空置"
    HANDED_OVER: Final = "已交房未入住"
    RENOVATING: Final = "装修中"
    OCCUPIED: Final = "已入住"
    RENTED: Final = "出租"


UNIT_STATUSES = (UnitStatus.UNSOLD, UnitStatus.VACANT, UnitStatus.HANDED_OVER, UnitStatus.RENOVATING,
                 UnitStatus.OCCUPIED, UnitStatus.RENTED)
# lived in: the move-in workflow puts a unit here, the move-out workflow takes it out
LIVED_IN = (UnitStatus.OCCUPIED, UnitStatus.RENTED, UnitStatus.RENOVATING)
# given to its buyer, whoever lives there: the owner pays the fees from the 交房日期 (services/fees/billing.py)
DELIVERED = (UnitStatus.HANDED_OVER, UnitStatus.RENOVATING, UnitStatus.OCCUPIED, UnitStatus.RENTED)


def is_handed_over(status: str, *, ever_owned: bool) -> bool:
    """Whether a unit in this status has been handed over; 空置 is ambiguous, so it counts only once the unit has
    had an 业主 (after a move-out), as the billing run decides."""
    return status in DELIVERED or (status == UnitStatus.VACANT and ever_owned)


class LeaseStatus:
    """A parking lease 车位租赁: 有效 while it runs; a renewal makes the old one 已续租, an early end 已终止."""

    ACTIVE: Final = "有效"
    RENEWED: Final = "已续租"
    ENDED: Final = "已终止"
