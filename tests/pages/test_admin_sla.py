"""/admin 时限规定 under AppTest: a rule for a ticket type and category added from the form, a duplicate refused."""

from __future__ import annotations

from services.admin import reference
from services.platform.auth import SYSTEM_ACTOR
from services.platform.listing import ListQuery
from tests.pages.conftest import open_tab, signed_in


def _add_rule(at, ticket_type: str, category: str, amount: str):
    form = [s for s in at.selectbox if s.label in ("类型", "分类（部位 · 问题）")]
    form[0].set_value(ticket_type)
    category_id = next(k for k, v in reference.ticket_category_options(actor=SYSTEM_ACTOR).items() if v == category)
    form[1].set_value(category_id)
    next(ti for ti in at.text_input if ti.label == "时限").input(amount)
    next(b for b in at.button if b.label == "新增" and "add_sla_policies" in (b.key or b.id)).click()
    return at.run()


def test_admin_adds_a_time_limit_for_a_type_and_category_and_a_second_one_is_refused(demo_db):
    at = signed_in("sysadmin").run()
    at.switch_page("screens/admin.py").run()
    open_tab(at, "时限规定")
    category_box = next(s for s in at.selectbox if s.label == "分类（部位 · 问题）")
    assert category_box.value is None and category_box.format_func(None) == "全部分类（通用规定）"
    at = _add_rule(at, "建议", "绿化 · 病虫害", "2")
    assert not at.exception and not at.error, [e.value for e in at.error]
    rows = reference.list_reference(actor=SYSTEM_ACTOR, table="sla_policies", query=ListQuery(search="病虫害")).rows
    assert rows[["ticket_type", "category", "unit", "amount"]].values.tolist() == [["建议", "绿化 · 病虫害", "小时", 2]]
    at = _add_rule(at, "建议", "绿化 · 病虫害", "5")
    assert at.error[0].value == "时限规定已存在：建议 · 绿化 · 病虫害（请修改现有规定）"
