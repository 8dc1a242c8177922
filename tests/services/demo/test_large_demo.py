"""The large demo at a small size (`build_demo(scale="large", units=300)`): the shape of five years of fees and
tickets, the ledger invariants, the billing arithmetic, and that two builds write the same rows. SQLite only (the
builder is the same code everywhere; its bulk path is checked here once)."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from db import migrate
from db.engine import get_engine, read_session
from db.models import (
    Allocation,
    AuditEntry,
    Bill,
    Counter,
    CreditEntry,
    Estate,
    FeeItem,
    Payment,
    Revisit,
    Ticket,
    Unit,
)
from services.admin import integrity, system
from services.demo import builder, large, large_fees
from services.fees import billing
from services.fees.statuses import PaymentStatus
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today, to_local
from services.platform.period import period_of
from services.tickets.statuses import STATUSES
from services.tickets.workflow import TYPES
from tests.factories import fast_password_hashing

UNITS = 300
# nothing in the demo story makes refunds or photos; paid services are timed from the moment of the build, which the
# large demo must not depend on (services/demo/relations.py)
ALLOWED_EMPTY = {"refunds", "ticket_photos", "paid_service_items", "paid_service_orders"}


def _build(path: Path) -> str:
    url = f"sqlite:///{path}"
    with pytest.MonkeyPatch.context() as mp:
        fast_password_hashing(mp)
        mp.setenv("DATABASE_URL", url)
        migrate.upgrade(url)
        system.init(admin_password="large-admin-1")
        builder.build_demo(scale="large", units=UNITS, demo_password="large-demo-1")
    return url


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Iterator[tuple[str, str]]:
    """Two builds with the same arguments, in two databases."""
    base = tmp_path_factory.mktemp("large-demo")
    urls = (_build(base / "a.db"), _build(base / "b.db"))
    yield urls
    for url in urls:
        get_engine(url).dispose()


@pytest.fixture
def demo(built, monkeypatch) -> str:
    monkeypatch.setenv("DATABASE_URL", built[0])
    return built[0]


def test_every_table_has_rows_and_the_units_are_the_size_asked_for(demo):
    counts = large.row_counts()
    assert {t for t, n in counts.items() if n == 0} <= ALLOWED_EMPTY
    assert abs(counts["units"] - UNITS) <= UNITS * 0.05
    with read_session() as s:
        kinds = dict(s.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
        assert s.scalar(select(func.count()).select_from(Estate)) >= 1
    assert kinds["商铺"] > 0 and kinds["车库"] > 0 and kinds["住宅"] > 0


def test_five_years_of_monthly_bills_for_every_unit_with_a_payer_on_each(demo):
    today = local_today()
    periods = large_fees.periods_back(today, 60)
    with read_session() as s:
        units = s.scalar(select(func.count()).select_from(Unit))
        property_fee = select(FeeItem.id).where(FeeItem.category == "物业服务费")
        assert s.scalar(select(func.count()).select_from(Bill).where(Bill.fee_item_id.in_(property_fee))) == units * 60
        assert set(s.scalars(select(Bill.period).distinct())) == set(periods)
        assert s.scalar(select(func.count()).select_from(Bill).where(Bill.payer_name == "")) == 0
        billed, paid, waived = s.execute(select(func.sum(Bill.amount), func.sum(Bill.paid), func.sum(Bill.waived))).one()
        assert s.scalar(select(func.count()).select_from(Bill)) >= units * 60
    assert Decimal("0.92") <= paid / billed <= Decimal("0.98"), paid / billed
    assert 0 < waived < billed / 1000


def test_the_ledger_invariants_hold(demo):
    with read_session() as s:
        bills = {i: (a, p, w) for i, a, p, w in s.execute(select(Bill.id, Bill.amount, Bill.paid, Bill.waived))}
        periods = dict(s.execute(select(Bill.id, Bill.period)).all())
        for i, bill_id, at, bill_period, paid_period in s.execute(
                select(Allocation.id, Allocation.bill_id, Allocation.at, Allocation.bill_period, Allocation.paid_period)):
            assert (bill_period, paid_period) == (periods[bill_id], period_of(at)), i
        live: dict[int, Decimal] = defaultdict(Decimal)
        for bill_id, amount in s.execute(select(Allocation.bill_id, Allocation.amount)
                                         .where(Allocation.voided.is_(False))):
            assert 0 < amount <= bills[bill_id][0]
            live[bill_id] += amount
        for bill_id, (amount, paid, waived) in bills.items():
            assert live.get(bill_id, Decimal(0)) == paid, bill_id
            assert 0 <= paid + waived <= amount, bill_id
        # a payment is what met its bills plus what became credit
        met = dict(s.execute(select(Allocation.payment_id, func.sum(Allocation.amount))
                             .where(Allocation.via == "收款").group_by(Allocation.payment_id)).all())
        for pid, amount, credit in s.execute(select(Payment.id, Payment.amount, Payment.credit_added)):
            assert met.get(pid, Decimal(0)) + credit == amount, pid
        # credit never below zero, and some households hold some
        balances = dict(s.execute(select(CreditEntry.household, func.sum(CreditEntry.amount))
                                  .where(CreditEntry.voided.is_(False)).group_by(CreditEntry.household)).all())
        assert min(balances.values()) >= 0 and max(balances.values()) > 0
        assert s.scalar(select(func.count()).select_from(Allocation).where(Allocation.via == "预存")) > 0
        voided = s.scalar(select(func.count()).select_from(Payment).where(Payment.status == PaymentStatus.VOIDED))
        live_on_voided = s.scalar(select(func.count()).select_from(Allocation).join(Payment).where(
            Payment.status == PaymentStatus.VOIDED, Allocation.voided.is_(False)))
    assert voided > 0 and live_on_voided == 0


def test_the_large_demo_passes_propdesk_check(demo):
    report = integrity.check()
    assert report.ok, [f.message for f in report.broken]


def test_receipt_numbers_run_without_gaps_per_year_in_time_order(demo):
    with read_session() as s:
        rows = s.execute(select(Payment.receipt_no, Payment.received_at).order_by(Payment.received_at, Payment.id)).all()
        counters = {name: value for name, value in s.execute(select(Counter.name, Counter.value))
                    if name.startswith("receipt:")}
    by_year: dict[int, list[int]] = defaultdict(list)
    for number, at in rows:
        year, seq = number[2:].split("-")
        assert int(year) == to_local(at).year
        by_year[int(year)].append(int(seq))
    for year, seqs in by_year.items():
        assert seqs == list(range(1, len(seqs) + 1)), year
        assert counters[f"receipt:SJ{year}"] == len(seqs)


def test_tickets_of_every_type_and_state_with_revisits_and_rulings(demo):
    with read_session() as s:
        states = set(s.scalars(select(Ticket.status).distinct()))
        types = set(s.scalars(select(Ticket.ticket_type).distinct()))
        numbers = list(s.scalars(select(Ticket.number)))
        reopened = s.scalar(select(func.count()).select_from(Ticket).where(Ticket.reopen_count > 0))
        rulings = set(s.scalars(select(Ticket.ruling).where(Ticket.ticket_type == "投诉").distinct()))
        results = set(s.execute(text("SELECT DISTINCT result FROM revisits WHERE done_at IS NOT NULL")).scalars())
        last = s.scalar(select(func.max(Ticket.received_at)))
        overdue = s.scalar(select(func.count()).select_from(Revisit).where(
            Revisit.done_at.is_(None), Revisit.due_at < last - timedelta(days=3)))
        moves = dict(s.execute(select(AuditEntry.action, func.count()).where(AuditEntry.entity == "tickets")
                               .group_by(AuditEntry.action)).all())
    assert states == set(STATUSES)
    assert types == set(TYPES)
    assert len(numbers) == len(set(numbers)) >= UNITS * 8
    assert reopened > 0 and {"有效", "无效"} <= rulings and results == {"满意", "基本满意", "不满意"}
    assert overdue > 0
    assert moves["create"] == len(numbers)
    assert {"dispatch", "accept", "complete", "revisit", "close", "cancel", "reopen", "rule"} <= set(moves)


def test_the_demo_bills_what_the_billing_run_would(demo):
    """Next month's plan by services.fees.billing equals what the demo computes for it."""
    today = local_today()
    y, m = divmod(today.year * 12 + today.month, 12)
    period = f"{y:04d}-{m + 1:02d}"
    plan = billing.preview_billing(actor=SYSTEM_ACTOR, period=period)
    theirs = sorted((b.fee_item_id, b.payer_key, b.household, b.amount, b.payer_name, b.start_on, b.end_on)
                    for b in plan.bills)
    assert theirs and sorted(large_fees.planned_bills(period)) == theirs


def test_appraisal_has_a_year_of_approved_scorecards_and_the_audit_trail_its_runs(demo):
    with read_session() as s:
        periods = set(s.execute(text("SELECT DISTINCT period FROM scorecards WHERE status = '已审批'")).scalars())
        actions = dict(s.execute(select(AuditEntry.action, func.count()).group_by(AuditEntry.action)).all())
        payments = s.scalar(select(func.count()).select_from(Payment))
    assert len(periods) == 12
    assert actions["bill"] == 60 and actions["collect"] == payments and actions["settle"] > 0


def _fingerprint(url: str, monkeypatch) -> dict[str, object]:
    monkeypatch.setenv("DATABASE_URL", url)
    counts = large.row_counts()
    with read_session() as s:
        digest = hashlib.sha256()
        for query in (select(Ticket.number, Ticket.status, Ticket.received_at, Ticket.closed_at).order_by(Ticket.id),
                      select(Payment.receipt_no, Payment.amount, Payment.received_at, Payment.household)
                      .order_by(Payment.id),
                      select(Bill.id, Bill.amount, Bill.paid, Bill.waived, Bill.status).order_by(Bill.id),
                      select(Allocation.bill_id, Allocation.payment_id, Allocation.amount).order_by(Allocation.id)):
            for row in s.execute(query):
                digest.update(repr(tuple(row)).encode())
        sums = (s.scalar(select(func.sum(Bill.amount))), s.scalar(select(func.sum(Bill.paid))),
                s.scalar(select(func.sum(Payment.amount))), s.scalar(select(func.sum(CreditEntry.amount))))
    return {"counts": counts, "sums": sums, "digest": digest.hexdigest()}


def test_two_builds_with_the_same_arguments_write_the_same_rows(built, monkeypatch):
    first, second = (_fingerprint(url, monkeypatch) for url in built)
    assert first == second
