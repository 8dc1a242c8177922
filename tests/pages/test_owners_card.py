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


def test_english_switch_translates_the_find_tab_the_card_and_its_dialogs(demo_db):
    at = signed_in("service")
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page("screens/owners.py").run()
    assert [tab.label for tab in at.tabs][:7] == ["Find", "Units", "People", "Parking", "Keys", "Renovation",
                                                  "Vacant units"]
    box = at.text_input(key="owners:search")
    assert box.label == "Find a unit or person"
    box.input("1-1-101").run()
    assert "Found 2 unit(s) (by unit code)" in [c.value for c in at.caption]
    next(b for b in at.button if b.key and b.key.startswith("owners:hit:") and "翠湖花园" in b.label).click()
    at.run()
    assert not at.exception
    labels = {b.label for b in at.button}
    assert {"Move in", "Move out", "Keys", "Renovation", "Vehicles & parking", "Flagged household"} <= labels
    assert not {"入伙", "迁出", "钥匙", "装修", "车辆车位", "重点户"} & labels
    assert {"Residents", "Vehicles and parking", "Activity"} <= {tab.label for tab in at.tabs}
    assert "Mobile" in at.dataframe[0].value.columns  # the residents table's headers

    next(b for b in at.button if b.label == "Move in").click()
    at.run()
    assert not at.exception
    assert _dialog_titles(at) == ["Move in"]
    assert any(b.label == "Confirm move-in" for b in at.button)
    assert any(ti.label == "Name *" for ti in at.text_input)


def test_dialog_title_follows_the_language_chosen_when_it_opens(demo_db):
    at = _search("service", "1-1-101")
    next(b for b in at.button if b.key and b.key.startswith("owners:hit:") and "翠湖花园" in b.label).click()
    at.run()
    next(b for b in at.button if b.label == "钥匙").click()
    at.run()
    assert _dialog_titles(at) == ["钥匙"]
    at.session_state["lang"] = "en"
    at.run()
    next(b for b in at.button if b.label == "Keys").click()
    at.run()
    assert not at.exception
    assert _dialog_titles(at) == ["Keys"]
