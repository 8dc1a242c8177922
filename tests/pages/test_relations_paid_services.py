"""/relations, tab 特约服务, under AppTest on a private copy of the demo database (the tests write to it).

The front desk finds a unit with the shared search box and registers an order in the dialog (a bad phone is refused
naming the field); the engineer completes an open order with the owner's rating, which raises the unit's bill the
counter shows; the manager adds a service to the price list; the month view shows the service's figures.
The grid itself is a component AppTest cannot drive: an order is opened the way the picker under the grid does.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from streamlit.testing.v1 import AppTest

from services.fees import cashier
from services.platform.auth import SYSTEM_ACTOR
from services.platform.listing import ListQuery
from services.relations import paid_services as ps
from tests.pages.conftest import signed_in

TAB = "特约服务"
PICKED = "grid:paid_service_orders:picked"


@pytest.fixture
def db(module_demo_db) -> str:
    return module_demo_db


def _tab(username: str, **state) -> AppTest:
    """/relations with the 特约服务 tab open (selected by its label before the run, as a click does)."""
    at = signed_in(username).run()
    at.session_state["relations:tab"] = TAB
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page("screens/relations.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception


def _dialog_titles(at: AppTest) -> list[str]:
    titles, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if type(proto).__name__ == "Block" and proto.WhichOneof("type") == "dialog":
            titles.append(proto.dialog.title)
        stack.extend(getattr(node, "children", {}).values())
    return titles


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                     + [i.value for i in at.info] + [s.value for s in at.subheader] + [w.value for w in at.warning])


def _open_orders() -> list:
    return list(ps.list_orders(actor=SYSTEM_ACTOR, query=ListQuery(filters={"status": "已预约"}, page_size=50))
                .rows.itertuples())


def test_the_front_desk_sees_the_orders_with_the_search_box_and_no_error(db):
    at = _tab("service")
    assert not [e.value for e in at.error]
    assert at.text_input(key="owners:search").label == "查找房屋或人员"
    assert at.selectbox(key="services:filter:status").options == ["全部", "已预约", "已完成", "已取消"]
    texts = _texts(at)
    assert "用左边的查找框找到房屋" in texts and "在表格下方选择订单号" in texts
    assert "PLACEHOLDER" not in texts


def test_the_front_desk_registers_an_order_for_the_unit_found_and_a_bad_phone_is_refused(db):
    at = _tab("service")
    at.text_input(key="owners:search").input("1-1-101").run()
    hits = [b for b in at.button if b.key and b.key.startswith("owners:hit:")]
    assert hits
    hits[0].click().run()
    _ok(at)
    unit_id = int(hits[0].key.rsplit(":", 1)[1])
    contact = ps.unit_contact(actor=SYSTEM_ACTOR, unit_id=unit_id)
    assert f"当前房屋：**{contact.unit}**" in _texts(at)
    at.button(key="services:new").click().run()
    _ok(at)
    assert _dialog_titles(at) == ["登记特约服务"]
    prefix = f"services:new:{unit_id}"
    assert at.text_input(key=f"{prefix}:name").value == contact.name  # the owner, to start from
    items = {i.name: i for i in ps.active_items(actor=SYSTEM_ACTOR)}
    at.selectbox(key=f"{prefix}:item").set_value(items["日常保洁"].id)
    at.text_input(key=f"{prefix}:qty").input("3")
    at.text_input(key=f"{prefix}:phone").input("12345")
    at.text_area(key=f"{prefix}:request").input("厨房和两个卫生间")
    at.run()
    assert "预计金额 **¥120.00**" in _texts(at)
    before = ps.list_orders(actor=SYSTEM_ACTOR, query=ListQuery()).total
    at.button(key="services:new:submit").click().run()
    _ok(at)
    assert [e.value for e in at.error] == ["联系电话：应为11位手机号或带区号的固定电话，例如 020-12345678；"
                                           "服务人员：必填：请选择员工，或填写外协人员姓名"]
    assert _dialog_titles(at) == ["登记特约服务"]  # still open, what was typed kept
    assert at.text_area(key=f"{prefix}:request").value == "厨房和两个卫生间"
    assert ps.list_orders(actor=SYSTEM_ACTOR, query=ListQuery()).total == before

    at.text_input(key=f"{prefix}:phone").input("13812345678")
    at.text_input(key=f"{prefix}:outside").input("王阿姨（合作家政）")
    at.button(key="services:new:submit").click().run()
    _ok(at)
    assert _dialog_titles(at) == []
    rows = ps.list_orders(actor=SYSTEM_ACTOR, query=ListQuery(search="13812345678")).rows
    assert len(rows) == 1 and rows.iloc[0]["amount"] == Decimal("120.00") and rows.iloc[0]["status"] == "已预约"
    no = rows.iloc[0]["order_no"]
    assert f"已登记特约服务 {no}（日常保洁，预计 ¥120.00）" in [t.value for t in at.toast]
    assert f"订单 {no} · 已预约" in _texts(at)  # the new order opened under the grid


def test_the_engineer_completes_an_order_with_the_rating_and_the_bill_goes_to_the_counter(db):
    order = _open_orders()[0]
    at = _tab("engineer", **{PICKED: int(order.id)})
    assert f"订单 {order.order_no} · 已预约" in _texts(at)
    assert not any(b.key == f"services:cancel:{order.id}" for b in at.button)  # cancelling is the desk's
    at.button(key=f"services:complete:{order.id}").click().run()
    _ok(at)
    assert _dialog_titles(at) == ["完成特约服务"]
    prefix = f"services:complete:{order.id}"
    at.selectbox(key=f"{prefix}:rating").set_value(4)
    at.text_area(key=f"{prefix}:comment").input("准时，干净")
    at.button(key="services:complete:submit").click().run()
    _ok(at)
    assert _dialog_titles(at) == [], [e.value for e in at.error]
    got = ps.get_order(actor=SYSTEM_ACTOR, order_id=int(order.id))
    assert (got.status, got.rating, got.comment, got.bill_status) == ("已完成", 4, "准时，干净", "未缴")
    assert any(t.value.startswith(f"{order.order_no} 已完成") for t in at.toast)
    assert "请业主到收银台缴纳" in _texts(at)
    acct = cashier.account(actor=SYSTEM_ACTOR, unit_id=got.unit_id)
    assert any(b.item == "特约服务" and b.id == got.bill_id for b in acct.bills)


def test_the_manager_adds_a_service_to_the_price_list(db):
    at = _tab("manager", **{"services:view": "prices"})
    assert "改价只影响之后登记的订单" in _texts(at)
    form_inputs = {w.label: w for w in at.text_input}
    form_inputs["服务名称"].input("沙发清洗")
    at.selectbox[[s.label for s in at.selectbox].index("类别")].set_value("家政保洁")
    at.selectbox[[s.label for s in at.selectbox].index("计价单位")].set_value("个")
    form_inputs["单价"].input("0")
    at.button[[b.label for b in at.button].index("添加")].click().run()
    _ok(at)
    assert [e.value for e in at.error] == ["单价：不能小于 0.01"]
    form_inputs = {w.label: w for w in at.text_input}
    assert form_inputs["服务名称"].value == "沙发清洗"  # what was typed stays after a refusal
    form_inputs["单价"].input("150")
    at.button[[b.label for b in at.button].index("添加")].click().run()
    _ok(at)
    assert "已添加服务项目“沙发清洗”" in [t.value for t in at.toast]
    assert "沙发清洗" in [i.name for i in ps.active_items(actor=SYSTEM_ACTOR)]
    assert {w.label: w.value for w in at.text_input}["服务名称"] == ""  # a fresh form for the next one


def test_the_month_view_shows_the_months_figures(db):
    at = _tab("manager", **{"services:view": "month"})
    month = at.selectbox(key="services:month").value
    summary = ps.month_summary(actor=SYSTEM_ACTOR, period=month)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["完成单数"] == str(summary.completed)
    assert metrics["应收金额"] == f"¥{summary.billed:,.2f}"
    assert metrics["已收金额"] == f"¥{summary.collected:,.2f}"
    assert metrics["平均评分"] == ("—" if summary.average_rating is None else f"{summary.average_rating} 星")
    last_month = at.selectbox(key="services:month").options[1]
    at.selectbox(key="services:month").set_value(last_month).run()
    _ok(at)
    summary = ps.month_summary(actor=SYSTEM_ACTOR, period=last_month)
    assert summary.completed > 0 and summary.billed > 0  # a whole month of the demo's year
    assert {m.label: m.value for m in at.metric}["完成单数"] == str(summary.completed)
    assert [c.value for c in at.caption if "按完成月份" in c.value]
