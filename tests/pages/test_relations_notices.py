"""/relations, tabs 公告 and 失物招领, under AppTest on the demo database: the registers draw for the roles that keep
them, the draft and register forms save or refuse with the field and the rule, the opened row shows the moves the
role may make, phones are masked for the clerk, and the quarterly round shows the quarter's list.

(AppTest cannot submit a form inside a dialog — a fragment rerun — so publishing and claiming are driven in
tests/e2e/test_relations_notices.py.)
"""

from __future__ import annotations

import pytest

from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today
from services.platform.listing import ListQuery
from services.relations import lost_found, notices
from tests.pages.conftest import open_tab, signed_in


def _tab(username: str, tab: str):
    at = signed_in(username).run()
    at.switch_page("screens/relations.py").run()
    open_tab(at, tab)
    assert not at.exception, at.exception
    assert not [e.value for e in at.error]
    return at


def _pick(at, grid: str, row_id: int):
    picker = next(s for s in at.selectbox if str(s.key).startswith(f"grid:{grid}:picked:"))
    picker.set_value(row_id).run()
    assert not at.exception, at.exception
    return at


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


def _notice_id(title: str, status: str) -> int:
    rows = notices.list_notices(actor=SYSTEM_ACTOR, query=ListQuery(search=title, filters={"status": status})).rows
    return int(rows.iloc[0]["id"])


# ---------------------------------------------------------------- 公告


@pytest.mark.parametrize("username", ["service", "clerk", "manager"])
def test_the_notices_register_draws_for_those_who_keep_it(demo_db, username):
    at = _tab(username, "公告")
    total = notices.list_notices(actor=SYSTEM_ACTOR, query=ListQuery()).total
    assert total >= 15
    assert f"共 {total} 条 · 第 1/1 页" in [c.value for c in at.caption]
    assert _button(at, "保存草稿")  # the draft form in its expander
    assert [s.label for s in at.selectbox][:3] == ["状态", "类别", "小区"]


def _place(estate: str, building: str | None = None) -> int:
    from services.admin.reference import building_options, estate_options

    estate_id = next(i for i, name in estate_options(actor=SYSTEM_ACTOR) if name == estate)
    if building is None:
        return estate_id
    return next(i for i, name in building_options(actor=SYSTEM_ACTOR, estate_id=estate_id) if name == building)


def test_a_draft_from_the_form_is_refused_with_the_rules_then_saved(demo_db):
    at = _tab("service", "公告")
    at.text_input(key="notices:new:title").input("页面测试：二次供水停水通知")
    at.multiselect(key="notices:new:estates").select(_place("锦绣华庭"))
    ch_1 = _place("翠湖花园", "1栋")
    at.multiselect(key="notices:new:buildings").select(ch_1)  # not of the chosen estate
    _button(at, "保存草稿").click()
    at.run()
    [error] = [e.value for e in at.error]
    assert "正文：必填" in error and "类别：必填" in error and "楼栋：1栋 不属于所选小区" in error
    assert notices.list_notices(actor=SYSTEM_ACTOR, query=ListQuery(search="页面测试")).total == 0

    at.multiselect(key="notices:new:buildings").unselect(ch_1)
    at.selectbox(key="notices:new:kind").select("停水停电")
    at.text_area(key="notices:new:body").input("明日 9:00至14:00 停水，请提前储水。")
    _button(at, "保存草稿").click()
    at.run()
    assert not at.exception and not at.error
    rows = notices.list_notices(actor=SYSTEM_ACTOR, query=ListQuery(search="页面测试")).rows
    assert list(zip(rows["status"], rows["targets"], rows["written_by"], strict=True)) == \
        [("草稿", "锦绣华庭", "林晓燕")]


def test_an_opened_draft_offers_the_manager_publish_and_archive_and_the_desk_only_edit(demo_db):
    draft = _notice_id("元旦游园活动通知", "草稿")
    at = _pick(_tab("manager", "公告"), "notices", draft)
    assert [h.value for h in at.subheader] == ["草稿 · 元旦游园活动通知"]
    labels = [b.label for b in at.button]
    assert {"修改草稿", "发布", "归档"} <= set(labels) and "撤回" not in labels
    desk = _pick(_tab("service", "公告"), "notices", draft)
    labels = [b.label for b in desk.button]
    assert "修改草稿" in labels and not {"发布", "归档", "撤回"} & set(labels)


def test_a_refused_draft_survives_a_look_at_another_tab(demo_db):
    at = _tab("clerk", "公告")
    at.text_input(key="notices:new:title").input("写了一半的公告")
    at.text_area(key="notices:new:body").input("第一段")
    _button(at, "保存草稿").click()  # refused: no kind chosen yet
    at.run()
    assert "类别：必填" in at.error[0].value
    open_tab(at, "失物招领")
    open_tab(at, "公告")
    assert not at.exception
    assert at.text_input(key="notices:new:title").value == "写了一半的公告"
    assert at.text_area(key="notices:new:body").value == "第一段"


def test_an_opened_withdrawn_notice_shows_its_reason_and_no_moves(demo_db):
    withdrawn = _notice_id("计划停电通知", "已撤回")
    at = _pick(_tab("manager", "公告"), "notices", withdrawn)
    assert any("供电部门通知检修延期" in w.value for w in at.warning)
    assert not {"修改草稿", "发布", "归档", "撤回"} & {b.label for b in at.button}


def test_the_edit_dialog_opens_prefilled(demo_db):
    draft = _notice_id("二次供水水箱清洗停水通知", "草稿")
    at = _pick(_tab("clerk", "公告"), "notices", draft)
    _button(at, "修改草稿").click()
    at.run()
    assert not at.exception
    assert any(i.value == "二次供水水箱清洗停水通知" for i in at.text_input)
    assert [h.value for h in at.subheader] == ["草稿 · 二次供水水箱清洗停水通知"]


# ---------------------------------------------------------------- 失物招领


@pytest.mark.parametrize("username", ["service", "clerk", "manager"])
def test_the_lost_and_found_register_draws_for_those_who_keep_it(demo_db, username):
    at = _tab(username, "失物招领")
    total = lost_found.list_items(actor=SYSTEM_ACTOR, query=ListQuery()).total
    assert total >= 40
    assert f"共 {total} 条 · 第 1/1 页" in [c.value for c in at.caption]
    assert any(h.value == "季度失物招领启事" for h in at.subheader)


def test_the_register_form_refuses_missing_fields_then_registers(demo_db):
    at = _tab("clerk", "失物招领")
    at.text_input(key="lost:new:what").input("页面测试蓝色雨伞")
    at.text_input(key="lost:new:finder_phone").input("12345")
    _button(at, "登记").click()
    at.run()
    [error] = [e.value for e in at.error]
    assert "拾获地点：必填" in error and "存放位置：必填" in error and "拾获人电话：应为 11 位手机号" in error
    at.text_input(key="lost:new:place").input("南门岗亭")
    at.text_input(key="lost:new:kept").input("客服中心失物柜B格")
    at.text_input(key="lost:new:finder_phone").input("")
    _button(at, "登记").click()
    at.run()
    assert not at.exception and not at.error
    rows = lost_found.list_items(actor=SYSTEM_ACTOR, query=ListQuery(search="页面测试蓝色雨伞")).rows
    assert list(zip(rows["status"], rows["recorded_by"], rows["kept_at"], strict=True)) == \
        [("待认领", "吴佳琪", "客服中心失物柜B格")]
    assert rows.iloc[0]["number"].startswith(f"SW{local_today().year}-")


def _claimed_item() -> tuple[int, str]:
    rows = lost_found.list_items(actor=SYSTEM_ACTOR, query=ListQuery(filters={"status": "已认领"})).rows
    return int(rows.iloc[0]["id"]), str(rows.iloc[0]["claimant_phone"])


def test_the_claimant_phone_is_masked_for_the_clerk_and_shown_to_the_desk(demo_db):
    item_id, phone = _claimed_item()
    clerk = _pick(_tab("clerk", "失物招领"), "lost_items", item_id)
    [claimed] = [s.value for s in clerk.success]
    assert f"{phone[:3]}****{phone[-4:]}" in claimed and phone not in claimed
    desk = _pick(_tab("service", "失物招领"), "lost_items", item_id)
    assert phone in desk.success[0].value
    assert not {"认领", "处置", "修改登记"} & {b.label for b in desk.button}  # a claimed item is done


def test_a_waiting_item_offers_claim_dispose_and_edit(demo_db):
    rows = lost_found.list_items(actor=SYSTEM_ACTOR, query=ListQuery(filters={"status": "待认领"})).rows
    at = _pick(_tab("service", "失物招领"), "lost_items", int(rows.iloc[0]["id"]))
    assert {"认领", "处置", "修改登记"} <= {b.label for b in at.button}
    _button(at, "认领").click()
    at.run()
    assert not at.exception
    checkbox = next(c for c in at.checkbox if c.label == "已当面核验证件")
    assert checkbox.value is False


def test_the_quarterly_round_shows_the_quarter_list_and_its_counts(demo_db):
    at = _tab("service", "失物招领")
    quarter = lost_found.ended_quarters(local_today())[0]
    assert at.selectbox(key="lost:q:quarter").value == quarter
    estate_id = at.selectbox(key="lost:q:estate").value
    expected = lost_found.count_unclaimed(actor=SYSTEM_ACTOR, quarter=quarter.label, estate_id=estate_id)
    metric = next(m for m in at.metric if m.label == f"{quarter.title}末未认领")
    assert metric.value == str(expected)
