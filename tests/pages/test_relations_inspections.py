"""/relations 巡查与违章 and 值班交接 under AppTest on the demo: the desk walks a round and a finding becomes a ticket in
the same step; a finding without what was found is refused with the rule; the engineer walks rounds but turns nothing
into tickets; the manager keeps routes and sees overdue violations; the next shift confirms the handover the last one
left waiting, and the writer of a handover has no way to confirm it."""

from __future__ import annotations

from sqlalchemy import select

from db.engine import read_session
from db.models import DutyShift, InspectionResult, InspectionRound, Ticket, User
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today
from services.platform.listing import ListQuery
from services.relations import handover as duty
from services.relations import inspections as insp
from tests.pages.conftest import open_tab, signed_in


def _relations(username: str, tab: str, sub: str | None = None):
    at = signed_in(username).run()
    at.switch_page("screens/relations.py").run()
    open_tab(at, tab)
    if sub is not None:
        open_tab(at, sub)
    assert not at.exception, at.exception
    return at


def _main_route() -> int:
    return next(rid for rid, name in insp.route_options(actor=SYSTEM_ACTOR).items() if name == "翠湖花园 · 每日园区巡查")


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def test_the_desk_walks_a_round_and_a_finding_becomes_a_ticket_at_once(demo_db):
    at = _relations("service", "巡查与违章")
    route_id = _main_route()
    at.selectbox(key="insp:route").set_value(route_id).run()
    items = insp.checklist(actor=SYSTEM_ACTOR, route_id=route_id)
    fire_lane = int(items[items["text"] == "消防通道畅通、无杂物堆放"].iloc[0]["id"])
    lamp = int(items[items["text"].str.startswith("公共区域照明")].iloc[0]["id"])
    # a finding without what was found is refused with the field and the rule, and nothing is written
    at.radio(key=f"insp:r:{lamp}").set_value("异常")
    _button(at, "提交巡查").click().run()
    assert [e.value for e in at.error] == ["公共区域照明（大堂、楼道、电梯厅）：异常时须写明发现的问题"]
    with read_session() as s:
        assert s.scalar(select(InspectionRound.id).where(InspectionRound.route_id == route_id,
                                                         InspectionRound.round_on == local_today())) is None
    at.radio(key=f"insp:r:{lamp}").set_value("正常")
    at.radio(key=f"insp:r:{fire_lane}").set_value("异常")
    at.text_input(key=f"insp:n:{fire_lane}").input("3栋地库消防通道停放电动车两辆")
    _button(at, "提交巡查").click().run()
    assert not at.exception and not at.error
    with read_session() as s:
        rnd = s.scalar(select(InspectionRound).where(InspectionRound.route_id == route_id,
                                                     InspectionRound.round_on == local_today()))
        assert (rnd.inspector_name, rnd.failed) == ("林晓燕", 1)
        ticket = s.scalar(select(Ticket).join(InspectionResult, InspectionResult.ticket_id == Ticket.id)
                          .where(InspectionResult.round_id == rnd.id))
        assert (ticket.channel, ticket.department, ticket.ticket_type) == ("巡查发现", "安保", "求助")
        number = ticket.number
    assert any(number in toast.value for toast in at.toast)


def test_the_engineer_walks_rounds_but_leaves_tickets_to_the_desk(demo_db):
    at = _relations("engineer", "巡查与违章")
    assert [tab.label for tab in at.tabs if tab.label in ("巡查登记", "巡查记录", "异常项", "违章", "路线与检查项")] == \
        ["巡查登记", "巡查记录", "异常项"]
    assert "提交后由前台在“异常项”中转为工单" in " ".join(c.value for c in at.caption)
    assert not [c for c in at.checkbox if c.key and c.key.startswith("insp:t:")]


def test_the_manager_sees_the_overdue_violations_and_keeps_the_routes(demo_db):
    at = _relations("manager", "巡查与违章", "违章")
    overdue = insp.violations_overdue_count(actor=SYSTEM_ACTOR, today=local_today())
    assert overdue >= 3
    assert f"{overdue} 起违章已过整改期限仍未结案：" in [w.value for w in at.warning]
    assert {"处理中", "已逾期", "本年已结案"} <= {m.label for m in at.metric}
    open_tab(at, "路线与检查项")
    assert not at.exception
    assert {"添加路线", "添加检查项"} <= {b.label for b in at.button}


def test_a_violation_is_recorded_from_the_form(demo_db):
    at = _relations("clerk", "巡查与违章", "违章")
    before = insp.list_violations(actor=SYSTEM_ACTOR, query=ListQuery()).total
    at.text_area[0].input("楼道堆放装修材料")
    at.text_input(key=next(t.key for t in at.text_input if t.label == "位置")).input("1栋2单元8楼楼道")
    _button(at, "登记违章").click().run()
    assert not at.exception and not at.error
    assert insp.list_violations(actor=SYSTEM_ACTOR, query=ListQuery()).total == before + 1


def _dialog_titles(at) -> list[str]:
    """Titles of the open st.dialog blocks (AppTest has no dialog accessor, so walk the tree)."""
    titles, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if type(proto).__name__ == "Block" and proto.WhichOneof("type") == "dialog":
            titles.append(proto.dialog.title)
        stack.extend(getattr(node, "children", {}).values())
    return titles


def _writer_of_waiting() -> tuple[int, str]:
    waiting = duty.open_handovers(actor=SYSTEM_ACTOR)
    assert len(waiting) == 1, waiting
    with read_session() as s:
        username = s.scalar(select(User.username).where(User.id == int(waiting.iloc[0]["writer_id"])))
    return int(waiting.iloc[0]["id"]), username


def test_the_writer_of_a_handover_sees_it_waiting_with_no_way_to_confirm_it(demo_db):
    shift_id, writer = _writer_of_waiting()
    at = _relations(writer, "值班交接")
    assert [s.value for s in at.subheader][:2] == ["待接班（1）", "我的值班"]
    assert "这是你的交班，须由接班人用本人账号登录确认。" in [c.value for c in at.caption]
    assert "确认接班" not in {b.label for b in at.button}
    assert any("上一班的交班尚未确认" in i.value for i in at.info)


def test_the_next_shift_confirms_the_waiting_handover_and_keeps_its_log(demo_db):
    shift_id, writer = _writer_of_waiting()
    receiver = next(u for u in ("clerk", "service", "manager") if u != writer)
    at = _relations(receiver, "值班交接")
    at.button(key=f"duty:confirm:{shift_id}").click().run()
    assert not at.exception
    assert _dialog_titles(at) == ["确认接班"]
    at.text_area[0].input("已阅，继续跟进渗水")
    next(b for b in at.button if b.key and b.key.startswith(f"FormSubmitter:duty:confirm_form:{shift_id}-")) \
        .click().run()
    assert not at.exception and not at.error
    assert _dialog_titles(at) == []
    with read_session() as s:
        log = s.get(DutyShift, shift_id)
        assert log.confirmed_at is not None and log.confirm_note == "已阅，继续跟进渗水"
    assert duty.open_handovers(actor=SYSTEM_ACTOR).empty
    at.run()
    assert "我的值班" in [s.value for s in at.subheader] and "待接班（1）" not in [s.value for s in at.subheader]
    mine = next(m for m in at.metric if m.label == "待跟进")
    assert int(mine.value) >= 1
    # a line of the receiver's own shift
    at.text_area[0].input("东门道闸抬杆故障，已通知工程部")
    _button(at, "登记").click().run()
    assert not at.exception and not at.error
    assert any(toast.value == "已登记" for toast in at.toast)
    # and hands over in turn: the handover now waits for someone else
    at.button(key="duty:hand_over").click().run()
    assert _dialog_titles(at) == ["交班"]
    next(a for a in at.text_area if a.label == "交班小结").input("夜间平稳，渗水待工程部上门")
    next(b for b in at.button if b.key and b.key.startswith("FormSubmitter:duty:hand_over_form-")).click().run()
    assert not at.exception and not at.error
    waiting = duty.open_handovers(actor=SYSTEM_ACTOR)
    assert list(waiting["summary"]) == ["夜间平稳，渗水待工程部上门"]
    assert "这是你的交班，须由接班人用本人账号登录确认。" in [c.value for c in at.caption]
