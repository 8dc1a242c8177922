"""The home page 工作台 (screens/home.py) on the demo estate: each role opens on its own day, every block's number
is the number of the board or report it links to, and the links open those pages on the right tab."""

from __future__ import annotations

from decimal import Decimal

import pytest

from services.platform.auth import authenticate
from services.tickets.lists import board_counts
from services.workbench import home
from tests.demo_template import DEMO_PASSWORD
from tests.pages.conftest import signed_in
from ui.kit import fmt


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _links(at) -> list[tuple[str, str]]:
    return [(link.proto.page, link.proto.label) for link in at.get("page_link")]


@pytest.mark.parametrize(("user", "first_block"), [
    ("service", "今日报事"), ("clerk", "今日报事"), ("cashier", "今日收款"), ("manager", "待我决定"),
    ("sysadmin", "待我决定"),
])
def test_each_role_opens_on_its_days_work(demo_db, user, first_block):
    at = signed_in(user).run()
    assert not at.exception and not at.error
    assert at.title[0].value == "工作台"
    assert any(first_block in m.value for m in at.markdown)


def test_the_engineer_sees_their_open_work_orders_nearest_deadline_first(demo_db):
    at = signed_in("engineer").run()
    assert not at.exception
    actor = authenticate(username="engineer", password=DEMO_PASSWORD)
    total, orders = home.my_work_orders(actor=actor)
    assert at.subheader[0].value == f"我的工单（{total}）"
    shown = [m.value.split("**")[1] for m in at.markdown if m.value.startswith("**") and " · " in m.value]
    assert shown == list(orders["number"])
    deadlines = [d for d in orders["deadline_at"] if d is not None]
    assert deadlines == sorted(deadlines)


def test_the_front_desks_numbers_are_the_boards_numbers(demo_db):
    at = signed_in("service").run()
    actor = authenticate(username="service", password=DEMO_PASSWORD)
    counts = board_counts(actor=actor)
    shown = _metrics(at)
    assert shown["今日新增"] == str(counts["today"])
    assert shown["未完成"] == str(counts["open"])
    assert shown["回访逾期"] == str(counts["revisits_overdue"])
    assert "打开即将超时/已超时" in [label for _, label in _links(at)]


def test_the_managers_figures_are_the_months_figures_and_the_arrears(demo_db):
    at = signed_in("manager").run()
    assert not at.exception
    actor = authenticate(username="manager", password=DEMO_PASSWORD)
    month = home.manager_month(actor=actor)
    shown = _metrics(at)
    for figure in month.figures:
        label = figure.label if figure.met is not False else f"{figure.label} ⚠"
        value = fmt.rate(figure.value) if isinstance(figure.value, Decimal) else str(figure.value)
        assert shown[label] == value
    assert shown["欠费总额"] == fmt.money(month.arrears_total)
    assert month.arrears_total > 0


def test_the_managers_trends_draw_when_asked(demo_db):
    at = signed_in("manager").run()
    assert not at.get("vega_lite_chart")
    at.toggle(key="home:trends").set_value(True).run()
    assert not at.exception
    assert len(at.get("vega_lite_chart")) == 1


def test_a_link_opens_the_page_on_its_tab(demo_db):
    at = signed_in("service").run()
    at.query_params["tab"] = "deadline"
    at.switch_page("screens/tickets.py").run()
    assert not at.exception
    assert at.session_state["tickets:tab"] == "即将超时/已超时"
    assert "tab" not in at.query_params
