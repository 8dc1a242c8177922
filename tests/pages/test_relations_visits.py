"""/relations 业主访谈 and 社区活动 tabs on the demo estate: the figures, recording a visit (and refusing a bad one),
the plan preview for a manager, registering an activity and a board."""

from __future__ import annotations

import json

from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import local_today
from services.platform.listing import ListQuery
from services.relations import activities, visits
from tests.pages.conftest import open_tab, signed_in


def _tab(username: str, label: str, **state):
    at = signed_in(username)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page("screens/relations.py").run()
    return open_tab(at, label)


def _metrics(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def _flashed(at) -> list[str]:
    return [t.value for t in at.toast]


def test_the_desk_sees_its_own_due_visits_and_figures(demo_db):
    at = _tab("service", "业主访谈")
    assert not at.exception and not at.error
    mine = visits.visit_progress(actor=_actor("service"), year=local_today().year)
    figures = _metrics(at)
    assert figures["计划访谈"] == f"{mine.planned:,}" and figures["逾期未访"] == f"{mine.overdue:,}"
    assert any("我的" in c.value for c in at.caption)
    assert at.radio(key="visits:source").value == "due"


def test_a_visit_is_recorded_from_the_due_list(demo_db):
    at = _tab("service", "业主访谈")
    unit_id = at.selectbox(key="visits:due_unit").value
    before = visits.list_visits(actor=SYSTEM_ACTOR, query=ListQuery(filters={"state": "有效"})).total
    at.text_input(key="visits:f:person").input("业主本人 王先生")
    at.text_area(key="visits:f:content").input("业主反映快递柜不够用，建议增设")
    at.button(key="visits:f:submit").click()
    at.run()
    assert not at.exception and not at.error
    assert "访谈已登记" in _flashed(at)
    assert visits.list_visits(actor=SYSTEM_ACTOR, query=ListQuery(filters={"state": "有效"})).total == before + 1
    newest = visits.unit_visits(actor=SYSTEM_ACTOR, unit_id=unit_id).iloc[0]
    assert (newest["content"], newest["visitor"], newest["way"], newest["person_met"]) == (
        "业主反映快递柜不够用，建议增设", "林晓燕", "上门", "业主本人 王先生")


def test_a_visit_without_person_or_content_is_refused_in_words(demo_db):
    at = _tab("service", "业主访谈")
    before = visits.list_visits(actor=SYSTEM_ACTOR, query=ListQuery()).total
    at.button(key="visits:f:submit").click()
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == ["访谈对象：必填；访谈内容：必填"]
    assert visits.list_visits(actor=SYSTEM_ACTOR, query=ListQuery()).total == before


def test_a_manager_sees_everyones_progress_and_previews_the_plan(demo_db):
    at = _tab("manager", "业主访谈", **{"visits:section": "progress"})
    assert not at.exception and not at.error
    assert any("全中心" in c.value for c in at.caption)
    people = at.dataframe[0].value
    assert set(people["name"]) == {"林晓燕", "郑海涛"}
    charts = at.get("vega_lite_chart")  # completion by month; face-to-face share with its 20% floor
    assert len(charts) == 2
    assert '"type": "rule"' in json.dumps(json.loads(charts[1].proto.spec))

    at.session_state["visits:section"] = "plan"
    at.run()
    assert not at.exception and not at.error
    next(b for b in at.button if b.key == "visits:preview").click()
    at.run()
    assert not at.exception
    assert any("已在计划中（不变）户数" in m.value for m in at.markdown)


def test_an_activity_and_a_board_are_registered_on_the_activities_tab(demo_db):
    at = _tab("service", "社区活动")
    assert not at.exception and not at.error
    held = activities.activity_progress(actor=SYSTEM_ACTOR, year=local_today().year, today=local_today()).held
    assert _metrics(at)["已举办活动"] == f"{held} / 6"
    at.text_input(key="activities:f:title").input("冬至包饺子")
    at.text_input(key="activities:f:place").input("会所多功能厅")
    at.text_input(key="activities:f:participants").input("48")
    at.text_input(key="activities:f:cost").input("860.00")
    at.button(key="activities:f:submit").click()
    at.run()
    assert not at.exception and not at.error
    assert "已登记活动：冬至包饺子" in _flashed(at)
    assert _metrics(at)["已举办活动"] == f"{held + 1} / 6"

    at.session_state["activities:section"] = "boards"
    at.run()
    assert not at.exception and not at.error
    calendar = at.dataframe[0].value
    assert list(calendar["estate"]) == ["翠湖花园", "锦绣华庭"]
    month = at.selectbox(key="activities:b:month").options[0]  # next month: never registered by the demo
    at.selectbox(key="activities:b:month").select(month)
    at.text_input(key="activities:b:title").input("冬季防火与用电安全")
    at.button(key="activities:b:submit").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert f"已登记 翠湖花园 {month} 宣传栏" in _flashed(at)


def test_a_future_held_activity_is_refused_in_words(demo_db):
    at = _tab("service", "社区活动")
    at.text_input(key="activities:f:title").input("元宵灯会")
    at.button(key="activities:f:submit").click()
    at.run()
    assert not at.exception
    assert at.error[0].value == "活动地点：必填；参与人数：必填：已举办的活动应登记参与人数"


def _actor(username: str):
    from services.platform.auth import authenticate
    from tests.demo_template import DEMO_PASSWORD

    return authenticate(username=username, password=DEMO_PASSWORD)


def test_a_refused_visit_keeps_what_was_typed_and_a_recorded_one_empties_the_form(demo_db):
    at = _tab("service", "业主访谈")
    at.text_area(key="visits:f:content").input("业主反映地库照明不足")
    at.button(key="visits:f:submit").click()
    at.run()
    assert [e.value for e in at.error] == ["访谈对象：必填"]
    assert at.text_area(key="visits:f:content").value == "业主反映地库照明不足"
    at.text_input(key="visits:f:person").input("业主本人")
    at.button(key="visits:f:submit").click()
    at.run()
    assert not at.error and "访谈已登记" in _flashed(at)
    assert at.text_area(key="visits:f:content").value == ""
