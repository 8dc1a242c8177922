"""/relations, tabs 巡查与违章 and 值班交接, in a real browser: the front desk walks today's round and a finding becomes
a ticket on submit; the rounds, findings and violations registers show it; the writer of the waiting handover cannot
confirm it, the next shift does and keeps its own log. Screenshots of each step are kept under test-artifacts/
(relations-inspections-*.png, relations-handover-*.png)."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.helpers import ARTIFACTS, DEMO_PASSWORD, GRID_IFRAME, open_tab, rerun, sign_in, wait_for_toast

pytestmark = pytest.mark.e2e

HIDE_TOASTS = "[data-testid='stToastContainer'] { visibility: hidden; }"  # toasts are checked, not pictured


def _shot(page: Page, name: str) -> None:
    page.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']")
    page.mouse.move(5, 5)  # no hover tooltip over the page
    page.wait_for_timeout(500)  # grids settle after drawing
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name), style=HIDE_TOASTS, full_page=True)


def test_the_desk_walks_todays_round_and_a_finding_becomes_a_ticket(pages, db):
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import InspectionResult, InspectionRound, Ticket
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.clock import local_today
    from services.relations import inspections as insp

    route_id = next(iter(insp.route_options(actor=SYSTEM_ACTOR)))
    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, db.base_url, "service", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "巡查与违章")
    walk = open_tab(page, "巡查登记", within=panel)
    expect(walk.get_by_text("1. 公共区域照明（大堂、楼道、电梯厅）")).to_be_visible()
    walk.get_by_role("radiogroup", name="消防通道畅通、无杂物堆放").get_by_text("异常").click()
    walk.get_by_role("textbox", name="消防通道畅通、无杂物堆放").fill("3栋地库消防通道停放电动车两辆")
    walk.get_by_role("radiogroup", name="泳池水质（余氯、pH）及救生设施").get_by_text("异常").click()
    walk.get_by_role("textbox", name="泳池水质（余氯、pH）及救生设施").fill("余氯偏低 0.2mg/L，已通知会所加药")
    _shot(page, "relations-inspections-walk.png")
    with rerun(page):
        walk.get_by_role("button", name="提交巡查").click()
    assert wait_for_toast(page, "巡查已登记：13 项，异常 2 项；已生成工单 QZ", timeout=15_000)

    with read_session() as s:
        rnd = s.scalar(select(InspectionRound).where(InspectionRound.route_id == route_id,
                                                     InspectionRound.round_on == local_today()))
        assert (rnd.inspector_name, rnd.failed) == ("林晓燕", 2)
        numbers = list(s.scalars(select(Ticket.number).join(InspectionResult, InspectionResult.ticket_id == Ticket.id)
                                 .where(InspectionResult.round_id == rnd.id)))
    assert len(numbers) == 2

    rounds = open_tab(page, "巡查记录", within=panel)
    grid = rounds.frame_locator(GRID_IFRAME).first
    expect(grid.get_by_text(f"{local_today().isoformat()} 翠湖花园·每日园区巡查")).to_be_visible()
    _shot(page, "relations-inspections-rounds.png")

    findings = open_tab(page, "异常项", within=panel)
    with rerun(page):
        findings.get_by_text("只看待转工单").click()
    grid = findings.frame_locator(GRID_IFRAME).first
    expect(grid.get_by_text(numbers[0])).to_be_visible()
    _shot(page, "relations-inspections-findings.png")

    violations = open_tab(page, "违章", within=panel)
    expect(violations.get_by_text("起违章已过整改期限仍未结案")).to_be_visible()
    expect(violations.frame_locator(GRID_IFRAME).first.get_by_text("已逾期").first).to_be_visible()
    _shot(page, "relations-inspections-violations.png")

    # the most overdue one: its card, a follow-up in its dialog, and its 整改通知书 printed
    from services.platform.listing import ListQuery

    late = insp.violations_overdue(actor=SYSTEM_ACTOR, today=local_today()).iloc[0]
    listed = insp.list_violations(actor=SYSTEM_ACTOR, query=ListQuery(filters={"status": "已逾期"})).rows
    title = listed[listed["id"] == late["id"]].iloc[0]["title"]
    violations.get_by_label("打开", exact=True).click()
    page.keyboard.type(title)  # the option list shows a few rows at a time: typing narrows it to this one
    option = page.get_by_role("option", name=title, exact=True)
    expect(option).to_be_visible()
    with rerun(page):
        option.click()
    card = insp.violation(actor=SYSTEM_ACTOR, violation_id=int(late["id"]))
    expect(violations.get_by_role("heading", name=f"{card.place} · {card.kind}")).to_be_visible()
    with rerun(page):
        violations.get_by_role("button", name="跟进", exact=True).click()
    dialog = page.get_by_role("dialog")
    dialog.get_by_label("跟进情况").fill("再次上门，业主承诺本周内清理完毕")
    with rerun(page):
        dialog.get_by_role("button", name="跟进", exact=True).click()
    assert wait_for_toast(page, "跟进已登记", timeout=15_000)
    assert insp.violation(actor=SYSTEM_ACTOR, violation_id=int(late["id"])).follow_ups.iloc[-1]["note"] == \
        "再次上门，业主承诺本周内清理完毕"
    with rerun(page):
        violations.get_by_role("button", name=f"打印整改通知书 {late['notice_no']}").click()
    expect(violations.get_by_role("button", name=f"下载整改通知书 {late['notice_no']}（PDF）")).to_be_visible()
    _shot(page, "relations-inspections-violation-card.png")


def test_the_next_shift_confirms_the_waiting_handover_the_writer_cannot(pages, db):
    from sqlalchemy import select

    from db.engine import read_session
    from db.models import DutyShift, User
    from services.platform.auth import SYSTEM_ACTOR
    from services.relations import handover as duty

    waiting = duty.open_handovers(actor=SYSTEM_ACTOR)
    assert len(waiting) == 1
    shift_id, writer_id = int(waiting.iloc[0]["id"]), int(waiting.iloc[0]["writer_id"])
    with read_session() as s:
        writer = s.scalar(select(User.username).where(User.id == writer_id))
    receiver = next(u for u in ("clerk", "service", "manager") if u != writer)

    own = pages.new()
    own.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(own, db.base_url, writer, DEMO_PASSWORD, path="relations")
    panel = open_tab(own, "值班交接")
    expect(panel.get_by_text("这是你的交班，须由接班人用本人账号登录确认。")).to_be_visible()
    expect(panel.get_by_role("button", name="确认接班")).to_have_count(0)
    _shot(own, "relations-handover-writer.png")

    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, db.base_url, receiver, DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "值班交接")
    expect(panel.get_by_role("heading", name="待接班（1）")).to_be_visible()
    expect(panel.get_by_text("上一班的交班尚未确认")).to_be_visible()
    _shot(page, "relations-handover-waiting.png")
    with rerun(page):
        panel.get_by_role("button", name="确认接班").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_text("带入的遗留事项（1）")).to_be_visible()
    dialog.get_by_label("接班备注（可选）").fill("已阅，渗水明早跟进")
    _shot(page, "relations-handover-confirm.png")
    with rerun(page):
        dialog.get_by_role("button", name="确认接班").click()
    assert wait_for_toast(page, "已确认接班，带入 1 项遗留事项", timeout=15_000)
    expect(page.get_by_role("dialog")).to_have_count(0)
    expect(panel.get_by_role("heading", name="我的值班")).to_be_visible()
    expect(panel.get_by_text("上一班带入").first).to_be_attached()  # a cell of the log's table

    panel.get_by_label("内容").fill("5栋快递柜旁堆放纸箱，已通知保洁清理")
    with rerun(page):
        panel.get_by_role("button", name="登记", exact=True).click()
    assert wait_for_toast(page, "已登记", timeout=15_000)
    expect(panel.get_by_text("5栋快递柜旁堆放纸箱，已通知保洁清理").first).to_be_attached()
    _shot(page, "relations-handover-my-shift.png")

    with read_session() as s:
        log = s.get(DutyShift, shift_id)
        assert (log.confirm_note, log.receiver_id is not None) == ("已阅，渗水明早跟进", True)
    assert duty.open_handovers(actor=SYSTEM_ACTOR).empty


def test_the_manager_adds_a_checklist_item_to_a_route(pages, db):
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.listing import ListQuery
    from services.relations import inspections as insp

    route_id = next(iter(insp.route_options(actor=SYSTEM_ACTOR)))
    before = insp.list_items(actor=SYSTEM_ACTOR, query=ListQuery(filters={"route_id": route_id})).total
    page = pages.new()
    page.set_viewport_size({"width": 1500, "height": 1000})
    sign_in(page, db.base_url, "manager", DEMO_PASSWORD, path="relations")
    panel = open_tab(page, "巡查与违章")
    routes = open_tab(page, "路线与检查项", within=panel)
    expect(routes.frame_locator(GRID_IFRAME).first.get_by_text("夜间安全巡查")).to_be_visible()
    routes.get_by_text("添加检查项").first.click()  # the expander (its form's button has the same words)
    routes.get_by_label("检查内容").fill("电动车充电桩及周边消防器材")
    with rerun(page):
        routes.get_by_role("button", name="添加检查项", exact=True).click()
    assert wait_for_toast(page, "已添加检查项", timeout=15_000)
    items = insp.list_items(actor=SYSTEM_ACTOR, query=ListQuery(filters={"route_id": route_id})).rows
    assert len(items) == before + 1 and items.iloc[-1]["text"] == "电动车充电桩及周边消防器材"
    expect(routes.frame_locator(GRID_IFRAME).nth(1).get_by_text("电动车充电桩及周边消防器材")).to_be_visible()
    _shot(page, "relations-inspections-routes.png")
