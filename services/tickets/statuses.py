"""The statuses of a ticket, defined once: the words stored in `tickets.status` and shown on the boards.

A ticket normally goes 待派单 -> 已派单 -> 处理中 -> 已完成 -> (待回访 ->) 已关闭; 已撤销 ends it early.
The moves between them are the MOVES table of workflow.py.
"""

from __future__ import annotations

from typing import Final


class TicketStatus:
    """The status words (plain strings, as stored)."""

    PENDING: Final = "待派单"
    DISPATCHED: Final = "已派单"
    IN_HAND: Final = "处理中"
    COMPLETED: Final = "已完成"
    AWAITING_REVISIT: Final = "待回访"
    CLOSED: Final = "已关闭"
    CANCELLED: Final = "已撤销"


STATUSES = (TicketStatus.PENDING, TicketStatus.DISPATCHED, TicketStatus.IN_HAND, TicketStatus.COMPLETED,
            TicketStatus.AWAITING_REVISIT, TicketStatus.CLOSED, TicketStatus.CANCELLED)
OPEN = (TicketStatus.PENDING, TicketStatus.DISPATCHED, TicketStatus.IN_HAND)
