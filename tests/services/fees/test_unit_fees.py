"""Per-unit exceptions 房屋收费设置: a unit also pays an item, or is exempt from a default one, for a span of days."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session, unit_of_work
from db.models import Bill, FeeItem
from services.fees import billing as fees
from services.platform.auth import Role
from services.platform.errors import PermissionDenied, StaleEdit, ValidationError
from tests.factories import actor_for, audit_rows, db_state, make_units

MANAGER = actor_for(Role.MANAGER, "mgr")


def _items() -> dict[str, int]:
    with unit_of_work() as uow:
        fees.seed_items(uow.session)
        uow.commit()
    with read_session() as s:
        return dict(s.execute(select(FeeItem.code, FeeItem.id)).all())


def _bills(period: str) -> dict[tuple[int, str], Decimal]:
    with read_session() as s:
        rows = s.execute(select(Bill.unit_id, FeeItem.code, Bill.amount).join(FeeItem, FeeItem.id == Bill.fee_item_id)
                         .where(Bill.period == period)).all()
    return {(u, code): amount for u, code, amount in rows}


def test_an_extra_item_and_a_partial_exemption_change_the_next_run(db):
    items = _items()
    unit, other, _ = make_units(3)  # 住宅 89.50 m², delivered 2024-01-15
    fees.add_unit_fee(actor=MANAGER, unit_id=unit, fee_item_id=items["LJ-SP"], action="收取",
                      start_on="2024-03-01", note="临街改商用")
    # exempt from the property fee 1–10 March: 21 of 31 days billed
    fees.add_unit_fee(actor=MANAGER, unit_id=other, fee_item_id=items["WY-ZZ"], action="免收",
                      start_on=date(2024, 3, 1), end_on=date(2024, 3, 10), note="停水补偿")
    fees.run_billing(actor=MANAGER, period="2024-03")
    bills = _bills("2024-03")
    assert bills[(unit, "LJ-SP")] == Decimal("50.00")
    assert bills[(unit, "WY-ZZ")] == Decimal("196.90")  # 89.50 x 2.20
    # 89.50 x 2.20 x 21 / 31 = 133.3839 -> 133.38
    assert bills[(other, "WY-ZZ")] == Decimal("133.38")
    assert len(audit_rows(entity="unit_fees")) == 2


def test_ending_an_exception_stops_it_from_that_day(db):
    items = _items()
    unit, *_ = make_units(1)
    fee_id = fees.add_unit_fee(actor=MANAGER, unit_id=unit, fee_item_id=items["LJ-SP"], action="收取",
                               start_on="2024-03-01")
    (row,) = fees.unit_fees(actor=MANAGER, unit_id=unit)
    fees.end_unit_fee(actor=MANAGER, unit_fee_id=fee_id, version=row.version, end_on="2024-04-15")
    with pytest.raises(StaleEdit):
        fees.end_unit_fee(actor=MANAGER, unit_fee_id=fee_id, version=row.version, end_on="2024-04-20")
    fees.run_billing(actor=MANAGER, period="2024-04")
    fees.run_billing(actor=MANAGER, period="2024-05")
    # 50.00 x 15 / 30 = 25.00 in April, nothing in May
    assert _bills("2024-04")[(unit, "LJ-SP")] == Decimal("25.00")
    assert (unit, "LJ-SP") not in _bills("2024-05")


@pytest.mark.parametrize(("code", "action", "start", "end", "field"), [
    ("LJ-SP", "减半", "2024-03-01", None, "方式"),
    ("LJ-SP", "收取", "", None, "开始日期"),
    ("LJ-SP", "收取", "2024-03-10", "2024-03-01", "结束日期"),
    ("SF", "收取", "2024-03-01", None, "收费项目"),
    ("ZX-LJ", "免收", "2024-03-01", None, "收费项目"),
])
def test_bad_exceptions_are_refused_and_nothing_is_written(db, code, action, start, end, field):
    items = _items()
    unit, *_ = make_units(1)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        fees.add_unit_fee(actor=MANAGER, unit_id=unit, fee_item_id=items[code], action=action, start_on=start,
                          end_on=end)
    assert field in exc.value.errors
    assert db_state() == before


def test_a_cashier_cannot_change_what_a_unit_pays(db):
    items = _items()
    unit, *_ = make_units(1)
    with pytest.raises(PermissionDenied):
        fees.add_unit_fee(actor=actor_for(Role.CASHIER), unit_id=unit, fee_item_id=items["LJ-SP"], action="收取",
                          start_on="2024-03-01")
