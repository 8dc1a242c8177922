"""/owners 查找: the one search box and the unit card, as the front desk uses them."""

from __future__ import annotations

from tests.pages.conftest import signed_in


def _search(username: str, text: str):
    at = signed_in(username).run()
    at.switch_page("screens/owners.py").run()
    at.text_input(key="owners:search").input(text).run()
    return at


def test_search_by_unit_code_lists_both_estates_and_opens_the_card(demo_db):
    at = _search("service", "1-1-101")
    hits = [b for b in at.button if b.key and b.key.startswith("owners:hit:")]
    assert len(hits) == 2
    assert any("翠湖花园" in b.label for b in hits) and any("锦绣华庭" in b.label for b in hits)
    next(b for b in hits if "翠湖花园" in b.label).click()
    at.run()
    assert not at.exception
    assert any(h.value == "翠湖花园 1-1-101" for h in at.subheader)
    labels = {b.label for b in at.button}
    assert {"入伙", "钥匙", "装修"} <= labels


def test_pinyin_initials_find_people(demo_db):
    at = _search("service", "zw")
    assert not at.exception
    assert any("拼音首字母" in c.value for c in at.caption)


def test_cashier_sees_the_card_but_no_workflows(demo_db):
    at = _search("cashier", "1-1-102")
    next(b for b in at.button if b.key and b.key.startswith("owners:hit:")).click()
    at.run()
    assert not at.exception
    assert not {"入伙", "迁出", "钥匙", "装修", "重点户"} & {b.label for b in at.button}


def test_mobiles_are_masked_on_the_card(demo_db):
    at = _search("manager", "1-1-103")
    next(b for b in at.button if b.key and b.key.startswith("owners:hit:")).click()
    at.run()
    residents = at.dataframe[0].value
    assert all("****" in m for m in residents["手机号"])
