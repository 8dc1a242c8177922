"""/fees, the managers' side under AppTest: 计费, 抄表, 欠费催缴, 报表, and the unit card's 收费 section.

Each test works on its own copy of the demo database (two years of bills, payments, dunning and
settlements), so what it writes never reaches the other page tests.
"""

from __future__ import annotations

import json
import sqlite3
from decimal import Decimal

import pytest
from sqlalchemy.engine import make_url

from db.engine import get_engine
from services.fees import arrears
from services.fees import reports as fee_reports
from services.fees.reports import month_labels
from services.platform.auth import SYSTEM_ACTOR, Role
from tests.pages.conftest import DEMO_USER_OF_ROLE, open_tab, signed_in


@pytest.fixture
def fees_db(demo_db_url, tmp_path, monkeypatch) -> str:
    """A private copy of the demo database."""
    source = make_url(demo_db_url).database
    target = tmp_path / "fees.db"
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    url = f"sqlite:///{target}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    get_engine(url).dispose()


def _fees_page(username: str, *tabs: str):
    """/fees as `username`, with these tabs opened one after the other (an outer tab, then one inside it)."""
    at = signed_in(username).run()
    at.switch_page("screens/fees.py").run()
    assert not at.exception, at.exception
    for tab in tabs:
        open_tab(at, tab)
        assert not at.exception, at.exception
    return at


def _ok(at) -> None:
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]


def _button(at, key: str):
    return at.button(key=key)


def _markdown(at) -> str:
    return "\n".join(m.value for m in at.markdown)


# --- 计费 ---------------------------------------------------------------------------------------------


def test_billing_preview_shows_bills_by_item_then_runs_once(fees_db):
    at = _fees_page("manager", "计费")
    next_month = month_labels(count=1, ahead=1)[0]
    at.selectbox(key="fees:bill:period").set_value(next_month).run()
    _button(at, "fees:bill:preview").click().run()
    _ok(at)
    metrics = {m.label: m.value for m in at.metric}
    planned = int(metrics["将生成账单"].replace(",", ""))
    assert planned > 0
    assert metrics["已有账单（跳过）"] == "0"
    by_item = next(d.value for d in at.dataframe if list(d.value.columns) == ["item", "count", "total"])
    assert "物业服务费（住宅）" in set(by_item["item"])
    assert by_item.iloc[-1]["item"] == "合计"
    assert by_item.iloc[-1]["count"] == f"{planned}"
    assert by_item.iloc[-1]["total"].startswith("¥")

    _button(at, "fees:bill:run").click().run()
    _ok(at)
    assert any(f"新生成 {planned} 笔应收" in s.value for s in at.success), [s.value for s in at.success]
    runs = fee_reports.billing_runs(actor=SYSTEM_ACTOR)
    assert (runs.iloc[0]["期间"], runs.iloc[0]["生成账单"]) == (next_month, planned)

    # the same period again: the preview finds nothing new, and a run creates nothing
    _button(at, "fees:bill:preview").click().run()
    assert {m.label: m.value for m in at.metric}["将生成账单"] == "0"
    assert any("没有新的账单" in i.value for i in at.info)
    _button(at, "fees:bill:run").click().run()
    _ok(at)
    assert any("新生成 0 笔应收" in s.value for s in at.success), [s.value for s in at.success]


def test_billing_preview_lists_units_left_out_by_reason_and_units_billed_without_a_delivery_date(fees_db):
    from datetime import date

    from db.models import Unit
    from services.fees import billing
    from tests.factories import force_columns

    owing = arrears.owing_units(actor=SYSTEM_ACTOR)
    unit_id, later_id = (int(u) for u in owing["unit_id"].iloc[:2])
    force_columns(Unit, unit_id, delivered_on=None)  # handed over, no 交房日期: billed for the month, flagged
    force_columns(Unit, later_id, delivered_on=date(2099, 1, 1))  # handed over later: not billed yet
    next_month = month_labels(count=1, ahead=1)[0]
    plan = billing.preview_billing(actor=SYSTEM_ACTOR, period=next_month)
    assert [(n.unit_id, n.reason) for n in plan.undated] == [(unit_id, "交房日期未填")]
    assert [(n.unit_id, n.reason) for n in plan.not_billed] == [(later_id, "交房日期在本期之后")]
    at = _fees_page("manager", "计费")
    at.selectbox(key="fees:bill:period").set_value(next_month).run()
    _button(at, "fees:bill:preview").click().run()
    _ok(at)
    assert any("1 套已交房的房屋交房日期未填" in w.value for w in at.warning), [w.value for w in at.warning]
    assert "本期未计费的房屋：1 套" in _markdown(at)
    assert any("交房日期在本期之后 1 套" in c.value for c in at.caption), [c.value for c in at.caption]
    frames = {tuple(d.value.columns): d.value for d in at.dataframe}
    assert list(frames[("unit", "reason")]["reason"]) == ["交房日期在本期之后"]
    assert len(frames[("unit",)]) == 1


@pytest.mark.parametrize("role", [Role.CASHIER, Role.SERVICE])
def test_a_role_without_fees_bill_does_not_see_billing(demo_db, role):
    at = _fees_page(DEMO_USER_OF_ROLE[role])
    labels = [tab.label for tab in at.tabs]
    assert "计费" not in labels and "抄表" not in labels
    assert "欠费催缴" in labels and "报表" in labels
    assert not [b for b in at.button if b.key == "fees:bill:preview"]


def test_a_manager_and_the_clerk_see_billing(demo_db):
    for username in ("manager", "clerk"):
        labels = [tab.label for tab in _fees_page(username).tabs]
        assert {"计费", "抄表"} <= set(labels), labels


# --- 抄表 ---------------------------------------------------------------------------------------------


def _meter_sheet():
    period = month_labels(count=1)[0]
    return period, fee_reports.meter_sheet(actor=SYSTEM_ACTOR, period=period)


def test_meter_entry_refuses_a_lower_reading_and_writes_nothing(fees_db):
    period, sheet = _meter_sheet()
    todo = sheet[~sheet["已录入"].astype(bool)].reset_index(drop=True)
    assert len(todo) > 2 and todo.iloc[0]["上期读数"] > 1
    first, second = todo.iloc[0], todo.iloc[1]
    at = _fees_page("manager", "抄表")
    editor = f"fees:meter:editor:{period}:None:None:0"
    at.session_state[editor] = {"edited_rows": {0: {"current": "1.00"},
                                                1: {"current": str(second["上期读数"] + Decimal("12.50"))}},
                                "added_rows": [], "deleted_rows": []}
    at.run()
    next(b for b in at.button if b.label == "保存读数").click().run()
    assert not at.exception
    errors = "\n".join(e.value for e in at.error)
    assert "整张表都未保存" in errors
    assert f"{first['房屋']} {first['收费项目']} · 本期读数：不能小于上期读数 {first['上期读数']}" in errors
    assert not fee_reports.meter_sheet(actor=SYSTEM_ACTOR, period=period)["已录入"].any()

    # the reader corrects the first row: both readings are saved together
    at.session_state[editor] = {"edited_rows": {0: {"current": str(first["上期读数"] + Decimal("3"))},
                                                1: {"current": str(second["上期读数"] + Decimal("12.50"))}},
                                "added_rows": [], "deleted_rows": []}
    at.run()
    next(b for b in at.button if b.label == "保存读数").click().run()
    _ok(at)
    after = fee_reports.meter_sheet(actor=SYSTEM_ACTOR, period=period).set_index(["unit_id", "fee_item_id"])
    assert after.loc[(first["unit_id"], first["fee_item_id"]), "用量"] == Decimal("3.00")
    assert after.loc[(second["unit_id"], second["fee_item_id"]), "用量"] == Decimal("12.50")
    assert int(after["已录入"].sum()) == 2


def test_a_replaced_meter_may_read_lower(fees_db):
    period, sheet = _meter_sheet()
    row = sheet[~sheet["已录入"].astype(bool)].reset_index(drop=True).iloc[0]
    at = _fees_page("clerk", "抄表")
    at.session_state[f"fees:meter:editor:{period}:None:None:0"] = {
        "edited_rows": {0: {"current": "8.00", "replaced": True, "start": "0.50"}}, "added_rows": [],
        "deleted_rows": []}
    at.run()
    next(b for b in at.button if b.label == "保存读数").click().run()
    _ok(at)
    after = fee_reports.meter_sheet(actor=SYSTEM_ACTOR, period=period).set_index(["unit_id", "fee_item_id"])
    saved = after.loc[(row["unit_id"], row["fee_item_id"])]
    assert (saved["用量"], bool(saved["换表"])) == (Decimal("7.50"), True)


# --- 欠费催缴 -------------------------------------------------------------------------------------------


def test_arrears_tab_lists_summaries_the_due_list_and_owing_units(demo_db):
    at = _fees_page("manager", "欠费催缴")
    _ok(at)
    tables = [d.value for d in at.dataframe]
    summary = next(t for t in tables if "欠费金额" in t.columns and "楼栋" in t.columns)
    assert len(summary) > 0 and all(v.startswith("¥") for v in summary["欠费金额"])
    assert any(t.columns[0] == "房屋" and "现欠费" in t.columns for t in tables)  # 本周待催缴
    open_tab(at, "欠费房屋与催缴")
    _ok(at)
    owing = next(d.value for d in at.dataframe if "最近催缴" in d.value.columns)
    n, total = arrears.owing_totals(actor=SYSTEM_ACTOR)
    assert 0 < len(owing) == min(n, 500)
    assert f"共 {n} 户欠费，合计 ¥{total:,.2f}" in _markdown(at)
    open_tab(at, "欠费概况")
    at.radio(key="fees:arrears:group").set_value("age").run()
    _ok(at)
    ages = next(d.value for d in at.dataframe if "账龄" in d.value.columns)
    assert list(ages["账龄"]) == ["0–3个月", "3–6个月", "6–12个月", "12个月以上"]
    at.radio(key="fees:arrears:group").set_value("collector").run()
    assert any("收费员" in d.value.columns and "户数" in d.value.columns for d in at.dataframe)
    assert at.get("vega_lite_chart")


def test_a_dunning_contact_is_recorded_for_an_owing_unit(fees_db):
    at = _fees_page("service", "欠费催缴", "欠费房屋与催缴")
    at.selectbox(key="fees:arrears:dun:unit").select_index(1).run()
    _ok(at)
    unit_id = at.selectbox(key="fees:arrears:dun:unit").value
    before = len(arrears.dunning_log(actor=SYSTEM_ACTOR, unit_id=unit_id))
    form_key = f"fees:arrears:dun:{unit_id}"
    at.selectbox(key=f"{form_key}:method").set_value("上门")
    at.selectbox(key=f"{form_key}:outcome").set_value("拒缴")
    at.text_input(key=f"{form_key}:note").input("业主称对保洁不满意")
    next(b for b in at.button if b.label == "登记").click().run()
    _ok(at)
    log = arrears.dunning_log(actor=SYSTEM_ACTOR, unit_id=unit_id)
    assert len(log) == before + 1
    assert (log.iloc[0]["方式"], log.iloc[0]["结果"], log.iloc[0]["备注"]) == ("上门", "拒缴", "业主称对保洁不满意")
    assert log.iloc[0]["当时欠费"] > 0


def test_a_promise_without_its_date_is_refused(fees_db):
    at = _fees_page("manager", "欠费催缴", "欠费房屋与催缴")
    at.selectbox(key="fees:arrears:dun:unit").select_index(2).run()
    unit_id = at.selectbox(key="fees:arrears:dun:unit").value
    before = len(arrears.dunning_log(actor=SYSTEM_ACTOR, unit_id=unit_id))
    at.selectbox(key=f"fees:arrears:dun:{unit_id}:outcome").set_value("承诺缴费")
    next(b for b in at.button if b.label == "登记").click().run()
    assert any("承诺缴费日期" in e.value for e in at.error)
    assert len(arrears.dunning_log(actor=SYSTEM_ACTOR, unit_id=unit_id)) == before


def test_notices_of_a_building_download_as_one_pdf(demo_db):
    at = _fees_page("manager", "欠费催缴", "催缴通知单")
    at.button(key="fees:arrears:notice:make").click().run()
    _ok(at)
    assert any("户的催缴通知单" in s.value for s in at.success)
    assert any(b.label.startswith("下载催缴通知单") for b in at.get("download_button"))


def test_only_fees_edit_assigns_collectors(fees_db):
    labels = [tab.label for tab in _fees_page("service", "欠费催缴").tabs]
    assert "欠费房屋与催缴" in labels and "收费员分配" not in labels
    at = _fees_page("manager", "欠费催缴", "收费员分配")
    building = at.selectbox(key="fees:arrears:collector:building").value
    next(b for b in at.button if b.label == "指定收费员").click().run()  # default: all units, no collector
    _ok(at)
    units = fee_reports.building_units(actor=SYSTEM_ACTOR, building_id=building)
    assert len(units) > 0 and set(units["收费员"]) == {""}


# --- 报表 ---------------------------------------------------------------------------------------------


def test_reports_show_the_reconciliation_with_its_totals(demo_db):
    at = _fees_page("manager", "报表")
    rec = next(d.value for d in at.dataframe if "本月收款" in d.value.columns)
    assert list(rec.columns) == ["收费项目", "应收", "减免", "实收", "预存抵扣", "欠费", "本月收款"]
    assert rec.iloc[-1]["收费项目"] == "合计"
    period = at.selectbox(key="fees:report:rec:period").value
    expected = fee_reports.reconciliation(actor=SYSTEM_ACTOR, period=period)
    assert rec.iloc[-1]["应收"] == f"¥{expected.lines.iloc[-1]['应收']:,.2f}"


def test_reports_show_the_collection_rate_chart_with_its_target(demo_db):
    at = _fees_page("manager", "报表")
    at.radio(key="fees:report:kind").set_value("collection").run()
    _ok(at)
    labels = {m.label for m in at.metric}
    assert {"收缴率", "户收费率", "清缴率", "以往年度收缴金额"} <= labels
    charts = at.get("vega_lite_chart")
    assert charts
    spec = json.dumps(json.loads(charts[-1].proto.spec), ensure_ascii=False)
    assert "目标 95.00%" in spec and "收缴率（%）" in spec
    table = next(d.value for d in at.dataframe if "月份" in d.value.columns)
    assert len(table) == 12 and table.iloc[-1]["收缴率"].endswith("%")
    for group, first in (("building", "楼栋"), ("collector", "收费员"), ("estate", "小区")):
        at.radio(key="fees:report:kpi:group").set_value(group).run()
        _ok(at)
        assert any(d.value.columns[0] == first for d in at.dataframe), group


def test_reports_list_daily_settlements_for_the_clerk(demo_db):
    at = _fees_page("clerk", "报表")
    at.radio(key="fees:report:kind").set_value("settlements").run()
    _ok(at)
    table = next(d.value for d in at.dataframe if "实交现金" in d.value.columns)
    assert len(table) > 0 and table.iloc[0]["收款合计"].startswith("¥")
    assert any(b.label == "导出 Excel" or "导出" in b.label for b in at.get("download_button"))


# --- the unit card ------------------------------------------------------------------------------------


def test_the_unit_card_shows_the_fees_section(demo_db):
    owing = arrears.owing_units(actor=SYSTEM_ACTOR)
    unit_id = int(owing.iloc[0]["unit_id"])
    at = signed_in("service").run()
    at.switch_page("screens/owners.py")
    at.session_state["owners:unit_id"] = unit_id
    at.run()
    _ok(at)
    open_tab(at, "收费")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["欠费"] == f"¥{owing.iloc[0]['欠费金额']:,.2f}"
    assert "预存余额" in metrics
    bills = next(d.value for d in at.dataframe if "outstanding" in d.value.columns)
    assert len(bills) > 0 and bills.iloc[0]["outstanding"].startswith("¥")


def test_the_unit_cards_fees_section_lists_receipts_and_refunds_newest_first(fees_db):
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import User
    from services.fees import approvals, cashier, ledger, refunds
    from services.platform.auth import actor_of

    with read_session() as s:
        people = {u.username: actor_of(u) for u in s.scalars(select(User))}
        household, credit = next((h, v) for h, v in sorted(ledger.credit_balances(s).items())
                                 if h.startswith("U") and v >= 10)
    unit_id = int(household[1:])
    req = refunds.request_refund(actor=people["cashier"], unit_id=unit_id, amount="10.00", method="微信",
                                 payee="业主", reason="多缴退还")
    approvals.decide(actor=people["manager"], approval_id=req, approve=True)
    [granted] = refunds.account_refunds(actor=SYSTEM_ACTOR, unit_id=unit_id)
    latest = cashier.unit_receipts(actor=SYSTEM_ACTOR, unit_id=unit_id)[0]
    at = signed_in("service").run()
    at.switch_page("screens/owners.py")
    at.session_state["owners:unit_id"] = unit_id
    at.run()
    open_tab(at, "收费")
    _ok(at)
    assert {m.label: m.value for m in at.metric}["预存余额"] == f"¥{credit - 10:,.2f}"
    history = next(d.value for d in at.dataframe if "doc" in d.value.columns)
    # the refund, granted just now, comes first; then the receipts, newest first
    assert (history.iloc[0]["doc"], history.iloc[0]["kind"], history.iloc[0]["amount"], history.iloc[0]["status"]) == (
        granted.refund_no, "退款", "-¥10.00", "待付款")
    assert history.iloc[1]["doc"] == latest.receipt_no and history.iloc[1]["kind"] == "收款"


def test_a_manager_adds_a_fee_setting_on_the_unit_card_and_a_service_clerk_only_reads_it(fees_db):
    from services.fees import billing as fees

    owing = arrears.owing_units(actor=SYSTEM_ACTOR)
    unit_id = int(owing.iloc[0]["unit_id"])
    before = len(fees.unit_fees(actor=SYSTEM_ACTOR, unit_id=unit_id))
    at = signed_in("manager").run()
    at.switch_page("screens/owners.py")
    at.session_state["owners:unit_id"] = unit_id
    at.run()
    open_tab(at, "收费")
    _ok(at)
    form_button = next(b for b in at.button if b.label == "添加设置")
    form_button.click().run()
    _ok(at)
    rows = fees.unit_fees(actor=SYSTEM_ACTOR, unit_id=unit_id)
    assert len(rows) == before + 1 and rows[0].action == "收取"
    reader = signed_in("service").run()
    reader.switch_page("screens/owners.py")
    reader.session_state["owners:unit_id"] = unit_id
    reader.run()
    open_tab(reader, "收费")
    _ok(reader)
    assert not [b for b in reader.button if b.label == "添加设置"]


def _english_fees_page(**state):
    """/fees in English, drawn once with the given widget state (AppTest formats widget values in the test
    process, where the catalog speaks Chinese, so an English page is never rerun here)."""
    at = signed_in("manager")
    at.session_state["lang"] = "en"
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("screens/fees.py").run()
    _ok(at)
    return at


@pytest.mark.parametrize(("group", "kind"), [("building", "reconciliation"), ("collector", "collection"),
                                             ("age", "settlements")])
def test_every_managers_tab_renders_in_english(demo_db, group, kind):
    labels = [tab.label for tab in _english_fees_page().tabs]
    assert {"Billing run", "Meter readings", "Arrears", "Reports"} <= set(labels), labels
    for label in labels:  # one fresh page per tab: only the open tab is drawn
        at = _english_fees_page(**{"fees:tab": label, "fees:arrears:group": group, "fees:report:kind": kind})
        if label == "Reports" and kind == "collection":
            assert "Collection rate, last 12 months" in _markdown(at)
            assert {"收缴率", "户收费率"} <= {m.label for m in at.metric}  # KPI names are the services' own words
