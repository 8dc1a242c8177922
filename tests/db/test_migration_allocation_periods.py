"""Revision 0011 gives every allocation of an existing database its bill's period and the month (Asia/Shanghai)
it met the bill, which the fee figures then read instead of joining bills: a payment taken at 01:00 on 1 April in
Shanghai is 17:00 on 31 March in UTC, and counts in April."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text

from db import migrate
from db.engine import get_engine
from tests.db.conftest import at_revision, rows


@pytest.fixture(params=["sqlite", "postgresql", "mariadb"])
def at_0010(request, tmp_path) -> Iterator[str]:
    """A database migrated to 0010 (allocations without their periods)."""
    yield from at_revision(request.param, tmp_path, "0010")


def test_existing_allocations_get_their_bill_period_and_local_month(at_0010):
    url = at_0010
    with get_engine(url).begin() as conn:
        conn.execute(text("INSERT INTO fee_items (id, code, name, category, basis, rate, unit_label, "
                          "default_unit_kind, active, note, version) "
                          "VALUES (1, 'F1', '物业服务费', '物业服务费', '固定', 1000000, '', '', :t, '', 1)"), {"t": True})
        conn.execute(text("INSERT INTO bills (id, fee_item_id, payer_key, household, payer_name, period, start_on, "
                          "end_on, amount, paid, waived, due_on, status, source, created_at, note, version) VALUES "
                          "(1, 1, 'U1', 'U1', '甲', '2026-02', '2026-02-01', '2026-02-28', 10000, 10000, 0, "
                          "'2026-02-28', '已缴', '导入', '2026-02-01 00:00:00', '', 1), "
                          "(2, 1, 'U2', 'U2', '乙', '2026-03', '2026-03-01', '2026-03-31', 10000, 10000, 0, "
                          "'2026-03-31', '已缴', '导入', '2026-03-01 00:00:00', '', 1)"))
        conn.execute(text("INSERT INTO payments (id, receipt_no, household, payer_name, method, amount, credit_added, "
                          "received_at, cashier_name, note, status, void_reason, void_approved_by, version) VALUES "
                          "(1, 'R1', 'U1', '甲', '现金', 10000, 0, '2026-03-31 17:00:00', '丙', '', '有效', '', '', 1), "
                          "(2, 'R2', 'U2', '乙', '现金', 10000, 0, '2026-03-31 15:59:59', '丙', '', '有效', '', '', 1)"))
        conn.execute(text("INSERT INTO allocations (id, bill_id, payment_id, amount, at, via, voided) VALUES "
                          "(1, 1, 1, 10000, '2026-03-31 17:00:00', '收款', :f), "
                          "(2, 2, 2, 10000, '2026-03-31 15:59:59', '收款', :f)"), {"f": False})
    migrate.upgrade(url)
    # 17:00 UTC on 31 March is 01:00 on 1 April in Shanghai; 15:59:59 is still 23:59:59 on 31 March
    assert rows(url, "SELECT id, bill_period, paid_period FROM allocations ORDER BY id") == [
        (1, "2026-02", "2026-04"), (2, "2026-03", "2026-03")]

    command.downgrade(migrate.alembic_config(url), "0010")
    assert rows(url, "SELECT id, bill_id, amount FROM allocations ORDER BY id") == [(1, 1, 10000), (2, 2, 10000)]
