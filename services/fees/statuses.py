"""The statuses of bills, payments and requests, defined once: the words stored in their `status` columns.

A bill is 未缴, 部分缴, 已缴 (paid) or 已减免 (waived to nothing), or 已取消 (cancelled; it never counts);
a payment is 有效 until a granted void makes it 已作废; a request waits (待审批) until a manager other than
the requester grants (已批准) or refuses (已驳回) it.
"""

from __future__ import annotations

from typing import Final


class BillStatus:
    UNPAID: Final = "未缴"
    PART_PAID: Final = "部分缴"
    PAID: Final = "已缴"
    WAIVED: Final = "已减免"
    CANCELLED: Final = "已取消"


class PaymentStatus:
    VALID: Final = "有效"
    VOIDED: Final = "已作废"


class ApprovalStatus:
    PENDING: Final = "待审批"
    APPROVED: Final = "已批准"
    REFUSED: Final = "已驳回"


OPEN_BILL_STATUSES = (BillStatus.UNPAID, BillStatus.PART_PAID)
