"""The home page's figures (services/workbench/home): each role's blocks, built by hand, and the manager's month
equal to the reports' figures for the same month. Every test runs on SQLite, PostgreSQL and MariaDB (`db`).

Time: Monday 2026-11-23 10:00 in Shanghai, pinned in the fee and ticket services (tests.factories.pin_fee_clock)
and in the report and home modules that take "now" for a month's figures.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest

from db.engine import unit_of_work
from db.models import Key, KeyLoan, Renovation, Ticket
from services import kpi
from services.estate import keys
from services.fees import approvals, arrears, cashier
from services.fees import reports as fee_reports
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.tickets import workflow as tickets
from services.workbench import home
from tests.factories import (
    actor_for,
    bulk_units,
    fee_login,
    force_columns,
    get_row,
    make_bill,
    make_estate,
    make_key,
    make_staff,
    make_ticket,
    pin_fee_clock,
    seed_fee_items,
    seed_ticket_policies,
)

D = Decimal
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
TODAY = date(2026, 11, 23)


@pytest.fixture
def clock(db, monkeypatch):
    c = pin_fee_clock(monkeypatch, NOW)
    for module in (fee_reports, home, tickets, keys):
        monkeypatch.setattr(module, "utcnow", c)
    return c


def _pay(actor, unit: int, amount: str, method: str = "现金") -> cashier.Receipt:
    return cashier.take_payment(actor=actor, unit_id=unit, amount=amount, method=method)


@pytest.mark.parametrize(("role", "kind"), [
    (Role.MANAGER, "manager"), (Role.ADMIN, "manager"), (Role.CASHIER, "cashier"), (Role.ENGINEER, "engineer"),
    (Role.SERVICE, "desk"), (Role.CLERK, "desk"),
])
def test_each_role_opens_on_its_own_home(role, kind):
    assert home.home_kind(actor_for(role)) == kind


def test_the_managers_month_is_the_collection_reports_month(clock):
    items = seed_fee_items()
    estate_id, [b1] = make_estate()
    u1, u2, u3 = bulk_units(estate_id, b1, 3)
    for unit in (u1, u2, u3):
        make_bill(unit, items["WY-ZZ"], "2026-10", "100.00")
        make_bill(unit, items["WY-ZZ"], "2026-11", "200.00")
    cash = fee_login(Role.CASHIER, "cash1", "收费员甲")
    boss = fee_login(Role.MANAGER, "boss1", "主管甲")
    clock.now = datetime(2026, 10, 20, 10, 0, tzinfo=SHANGHAI)
    _pay(cash, u1, "100.00")
    clock.now = NOW
    _pay(cash, u1, "200.00")
    _pay(cash, u2, "350.00", "微信")  # October's 100, November's 200, and 50 kept as credit

    month = home.manager_month(actor=boss, today=TODAY)

    figures = {f.key: f for f in month.figures}
    report = fee_reports.collection_report(actor=boss, period="2026-11", by="month", months=2)
    this, last = report.iloc[-1], report.iloc[0]
    assert figures["collection_rate"].value == this["收缴率"] == D("0.6667")  # (200 + 200) / 600
    assert figures["collection_rate"].previous == last["收缴率"] == D("0.3333")  # 100 / 300 at October's end
    assert figures["collection_rate"].target == D("0.95") and figures["collection_rate"].met is False
    assert figures["collection_rate"].value == kpi.fee_kpis("2026-11", as_of=clock())["collection_rate"]
    assert month.arrears_total == D("300.00")  # u3's two bills; a credit is not subtracted from another's debt
    assert month.arrears_total == sum(arrears.arrears_summary(actor=boss, group="age")["欠费金额"], D("0"))


def test_the_managers_trend_is_the_reports_trend_month_by_month(clock):
    items = seed_fee_items()
    estate_id, [b1] = make_estate()
    (unit,) = bulk_units(estate_id, b1, 1)
    cash = fee_login(Role.CASHIER, "cash1", "收费员甲")
    boss = fee_login(Role.MANAGER, "boss1", "主管甲")
    for month in ("2026-06", "2026-08", "2026-11"):
        make_bill(unit, items["WY-ZZ"], month, "100.00")
    clock.now = datetime(2026, 8, 10, tzinfo=SHANGHAI)
    _pay(cash, unit, "150.00")
    clock.now = NOW

    trend = home.trends(actor=boss, today=TODAY)

    rates = trend[trend["key"] == "collection_rate"].set_index("month")["value"].to_dict()
    report = fee_reports.collection_report(actor=boss, period="2026-11", by="month", months=12)
    assert list(rates) == list(report.iloc[:, 0])
    assert list(rates.values()) == list(report["收缴率"])
    # June's bill was paid in August: June taken at its last instant had collected nothing of it
    assert rates["2026-06"] == D("0.0000") and rates["2026-08"] == D("0.5000") and rates["2026-07"] is None
    assert set(trend["label"]) == {"收缴率", "报修及时率", "满意率", "回访率", "投诉处理率"}
    assert set(trend[trend["key"] == "satisfaction"]["target"]) == {D("0.90")}


def test_the_managers_ticket_figures_are_the_analysis_figures(clock):
    seed_ticket_policies()
    estate_id, [b1] = make_estate()
    (unit,) = bulk_units(estate_id, b1, 1)
    desk = fee_login(Role.SERVICE, "desk1", "客服甲")
    boss = fee_login(Role.MANAGER, "boss1", "主管甲")
    done, _ = make_ticket(desk, estate_id, unit, received_at=NOW - timedelta(hours=5))
    tickets.move(actor=desk, ticket_id=done, version=get_row(Ticket, done).version, action="complete", note="已修好")
    make_ticket(desk, estate_id, unit, ticket_type="投诉", content="楼道堆放杂物",
                received_at=NOW - timedelta(hours=2))

    month = home.manager_month(actor=boss, today=TODAY)

    figures = {f.key: f.value for f in month.figures}
    expected = kpi.ticket_kpis("2026-11", as_of=clock())
    for key in ("repair_timeliness", "satisfaction", "revisit_rate", "complaint_handled_rate",
                "effective_complaints"):
        assert figures[key] == expected[key], key
    assert figures["repair_timeliness"] == D("1.0000")
    assert figures["complaint_handled_rate"] == D("0.0000")  # one complaint, not yet handled
    assert figures["satisfaction"] is None  # no revisit answered: a dash, never 0% or 100%


def test_the_cashiers_day_is_the_settlement_sheet_and_lists_the_days_left_unsettled(clock):
    items = seed_fee_items()
    estate_id, [b1] = make_estate()
    u1, u2 = bulk_units(estate_id, b1, 2)
    for unit in (u1, u2):
        make_bill(unit, items["WY-ZZ"], "2026-11", "300.00")
    staff_id = make_staff("黄丽娟", "S009")
    cash = fee_login(Role.CASHIER, "cash1", "黄丽娟", staff_id=staff_id)
    boss = fee_login(Role.MANAGER, "boss1", "主管甲")
    arrears.assign_collector(actor=boss, unit_ids=[u1], staff_id=staff_id)
    for day in (19, 20):  # Thursday settled, Friday left open
        clock.now = datetime(2026, 11, day, 15, 0, tzinfo=SHANGHAI)
        _pay(cash, u1, "50.00")
    cashier.confirm_settlement(actor=cash, day=date(2026, 11, 19), cash_handed="50.00")
    clock.now = NOW
    _pay(cash, u1, "30.00", "微信")
    _pay(cash, u2, "20.00", "现金")

    day = home.cashier_day(actor=cash, today=TODAY)

    assert day.unsettled == [date(2026, 11, 20)]
    assert day.sheet == cashier.settlement_sheet(actor=cash, day=TODAY)
    assert day.sheet.totals["微信"] == D("30.00") and day.sheet.totals["现金"] == D("20.00")
    assert day.has_units and day.collection["billed"] == D("300.00")  # u1 only: the cashier's unit
    assert day.collection["collection_rate"] == D("0.4333")  # (50 + 50 + 30) / 300
    assert day.collection == kpi.fee_kpis("2026-11", as_of=clock(),
                                          scope=kpi.FeeScope(collector_staff_id=staff_id))
    other = fee_login(Role.CASHIER, "cash2", "收费员乙")
    assert home.cashier_day(actor=other, today=TODAY).unsettled == []
    assert not home.cashier_day(actor=other, today=TODAY).has_units


def test_the_front_desk_sees_keys_renovations_and_revisits_due(clock):
    seed_ticket_policies()
    estate_id, [b1] = make_estate()
    u1, u2 = bulk_units(estate_id, b1, 2)
    desk = fee_login(Role.SERVICE, "desk1", "客服甲")
    loans = [keys.lend_key(actor=desk, key_id=key_id, version=get_row(Key, key_id).version, borrower="维修工老陈",
                           borrower_phone="", reason="修水管", due_at=clock() + timedelta(hours=3))
             for key_id in (make_key(u1, "大门钥匙"), make_key(u2, "信箱钥匙"))]
    force_columns(KeyLoan, loans[1], due_at=clock() - timedelta(hours=1))
    with unit_of_work() as uow:  # renovations at the steps the desk acts on, written directly
        for unit, status, end in ((u1, "施工中", TODAY + timedelta(days=2)), (u2, "施工中", TODAY + timedelta(days=30)),
                                  (u2, "申请中", None)):
            uow.session.add(Renovation(unit_id=unit, status=status, applicant="业主", applied_on=TODAY,
                                       planned_end_on=end))
        uow.commit()

    day = home.desk_day(actor=desk, today=TODAY)

    assert day.keys == {"out": 2, "overdue": 1}
    assert list(day.overdue_keys["label"]) == ["信箱钥匙"]
    assert day.renovations == {"to_inspect": 1, "to_approve": 1}
    assert list(day.renovations_to_inspect["planned_end_on"]) == [TODAY + timedelta(days=2)]
    assert day.boards == home.ticket_lists.board_counts(actor=desk)


def test_the_manager_is_asked_to_rule_handled_complaints_and_approve_requests(clock):
    seed_ticket_policies()
    items = seed_fee_items()
    estate_id, [b1] = make_estate()
    (unit,) = bulk_units(estate_id, b1, 1)
    desk = fee_login(Role.SERVICE, "desk1", "客服甲")
    boss = fee_login(Role.MANAGER, "boss1", "主管甲")
    handled, _ = make_ticket(desk, estate_id, unit, ticket_type="投诉", content="保安态度不好",
                             received_at=NOW - timedelta(days=2))
    tickets.move(actor=desk, ticket_id=handled, version=get_row(Ticket, handled).version, action="complete",
                 note="已向业主致歉")
    make_ticket(desk, estate_id, unit, ticket_type="投诉", content="噪音", received_at=NOW - timedelta(hours=1))
    old, _ = make_ticket(desk, estate_id, unit, ticket_type="投诉", content="半年前的投诉",
                         received_at=NOW - timedelta(days=20))
    tickets.move(actor=desk, ticket_id=old, version=get_row(Ticket, old).version, action="complete", note="处理")
    force_columns(Ticket, old, received_at=NOW - timedelta(days=200))  # older than the ruling window
    bill = make_bill(unit, items["WY-ZZ"], "2026-11", "100.00")
    approvals.request_waiver(actor=desk, bill_id=bill, amount="20.00", reason="业主困难")

    waiting = home.decisions(actor=boss, today=TODAY)

    assert waiting.complaints == 1  # handled and unruled, of the last three months
    assert list(waiting.complaints_rows["content"]) == ["保安态度不好"]
    assert waiting.approvals == 1
    assert home.decisions(actor=desk, today=TODAY).approvals == 0  # the desk approves nothing
