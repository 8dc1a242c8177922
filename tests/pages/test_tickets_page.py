"""/tickets under AppTest: a call taken from the unit code, moved along the boards, and the analysis."""

from __future__ import annotations

from services.auth import SYSTEM_ACTOR
from services.listing import ListQuery
from services.ticket_lists import list_tickets
from tests.pages.conftest import signed_in


def _tickets_page(username: str):
    at = signed_in(username).run()
    at.switch_page("screens/tickets.py").run()
    assert not at.exception
    return at


def test_a_call_is_taken_from_the_unit_code_and_gets_a_number(demo_db):
    at = _tickets_page("service")
    at.text_input(key="tk:search").input("1-1-101").run()
    at.selectbox(key="tk:unit").set_value(_unit_id("翠湖花园")).run()
    at.text_area[0].input("客厅吊灯不亮，业主下午在家")
    next(b for b in at.button if b.label == "受理").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = list_tickets(actor=SYSTEM_ACTOR, query=ListQuery(search="客厅吊灯不亮"), board="all").rows
    assert len(rows) == 1 and rows.iloc[0]["number"].startswith("BX")
    assert rows.iloc[0]["first_responder"] == "林晓燕"


def _unit_id(estate: str) -> int:
    from services.people import search

    return next(h.unit_id for h in search(actor=SYSTEM_ACTOR, text="1-1-101") if h.estate == estate)


def test_a_repair_without_a_unit_is_refused_with_a_field_message(demo_db):
    at = _tickets_page("service")
    at.text_area[0].input("没有房屋的报修")
    next(b for b in at.button if b.label == "受理").click()
    at.run()
    assert "房屋" in at.error[0].value


def test_the_analysis_shows_every_ticket_kpi_for_the_month(demo_db):
    at = _tickets_page("manager")
    labels = {m.label for m in at.metric}
    assert {"报修及时率", "报修完成率", "投诉处理及时率", "投诉处理率", "回访率", "回访及时率", "满意率",
            "有效投诉", "有效投诉率"} <= labels


def test_a_cashier_sees_the_boards_but_cannot_take_calls(demo_db):
    at = _tickets_page("cashier")
    assert not [b for b in at.button if b.label == "受理"]
