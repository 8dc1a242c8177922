"""/relations, tab 满意度调查, under AppTest on a private copy of the demo database (the tests write to it).

The front desk opens the running round, finds a household that has not answered, ticks its sheet and saves it; a
sheet with nothing ticked is refused naming the rule and writes nothing; a household already answered opens its
own sheet to edit. The manager reads the results (charts and tables), ends a round in its dialog and opens the
next one. The clerk records but does not see the questionnaire; the engineer does not see the tab.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from services.platform.auth import SYSTEM_ACTOR
from services.platform.errors import DomainError
from services.platform.listing import ListQuery
from services.relations import surveys
from tests.pages.conftest import signed_in, tab_strips
from ui.kit import fmt

TAB = "满意度调查"


@pytest.fixture
def db(module_demo_db) -> str:
    return module_demo_db


def _tab(username: str, **state) -> AppTest:
    at = signed_in(username).run()
    at.session_state["relations:tab"] = TAB
    for key, value in state.items():
        at.session_state[key] = value
    at.switch_page("screens/relations.py").run()
    _ok(at)
    return at


def _ok(at: AppTest) -> None:
    assert not at.exception, at.exception


def _texts(at: AppTest) -> str:
    return "\n".join([m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
                     + [i.value for i in at.info] + [s.value for s in at.subheader] + [w.value for w in at.warning])


def _dialog_titles(at: AppTest) -> list[str]:
    titles, stack = [], [at._tree]
    while stack:
        node = stack.pop()
        proto = getattr(node, "proto", None)
        if type(proto).__name__ == "Block" and proto.WhichOneof("type") == "dialog":
            titles.append(proto.dialog.title)
        stack.extend(getattr(node, "children", {}).values())
    return titles


def _running(estate: str) -> surveys.RoundInfo:
    return next(r for r in surveys.round_choices(actor=SYSTEM_ACTOR) if r.estate == estate and r.status == "进行中")


def _not_answered(round_id: int) -> str:
    rows = surveys.list_households(actor=SYSTEM_ACTOR, query=ListQuery(
        filters={"round_id": round_id, "state": "未答"}, page_size=5)).rows
    return str(rows.iloc[0]["code"])


def _sheet_key(at: AppTest) -> str:
    [form] = [k for k in (w.key or "" for w in at.text_input) if k.startswith("sv:sheet:") and k.endswith(":who")]
    return form.removesuffix(":who")


def test_the_front_desk_sees_the_latest_round_with_its_figures_and_no_error(db):
    at = _tab("service")
    assert not [e.value for e in at.error]
    latest = surveys.round_choices(actor=SYSTEM_ACTOR)[0]
    assert at.selectbox(key="sv:round").value == latest.id
    metrics = {m.label: m.value for m in at.metric}
    [overall] = surveys.survey_satisfaction(round_id=latest.id).to_dict("records")
    coverage = surveys.survey_coverage(round_id=latest.id)
    assert metrics["综合满意率"] == fmt.rate(overall["satisfaction"])
    assert metrics["调查覆盖率"] == fmt.rate(coverage.coverage)
    assert metrics["已答 / 调查范围（户）"] == f"{coverage.responded} / {coverage.households}"
    assert f"调查期间 {latest.start_on} 至 {latest.end_on} · 进行中" in _texts(at)
    assert at.segmented_control(key="sv:view").options == ["录入答卷", "答卷", "调查名单", "调查结果"]
    assert "PLACEHOLDER" not in _texts(at)


def test_the_front_desk_enters_a_sheet_for_a_household_that_has_not_answered(db):
    rnd = _running("翠湖花园")
    code = _not_answered(rnd.id)
    before = surveys.survey_coverage(round_id=rnd.id).responded
    at = _tab("service", **{"sv:round": rnd.id})
    at.text_input(key="sv:find").input(code).run()
    _ok(at)
    assert at.selectbox(key="sv:unit").value is not None
    key = _sheet_key(at)
    assert at.text_input(key=f"{key}:who").value  # the owner, to start from
    questions = surveys.round_detail(actor=SYSTEM_ACTOR, round_id=rnd.id).questions
    assert [r.label for r in at.radio if r.key and r.key.startswith(key)][-1] == "8. 总体评价（计入综合满意率）"

    at.button(key=f"FormSubmitter:{key}-保存答卷").click().run()  # nothing ticked
    _ok(at)
    assert [e.value for e in at.error] == ["答卷：至少回答一道题"]
    assert surveys.survey_coverage(round_id=rnd.id).responded == before

    at.selectbox(key=f"{key}:way").set_value("电话")
    for q in questions:
        at.radio(key=f"{key}:q{q.id}").set_value("基本满意" if q.is_overall else "满意")
    at.text_area(key=f"{key}:comment").input("希望增加儿童游乐设施")
    at.button(key=f"FormSubmitter:{key}-保存答卷").click().run()
    _ok(at)
    assert not at.error
    assert surveys.survey_coverage(round_id=rnd.id).responded == before + 1
    assert at.text_input(key="sv:find").value == ""  # ready for the next sheet
    assert f"已录入 {code} 的答卷" in [t.value for t in at.toast]
    [row] = surveys.list_responses(actor=SYSTEM_ACTOR, query=ListQuery(
        filters={"round_id": rnd.id}, search=code, page_size=5)).rows.to_dict("records")
    assert (row["way"], row["overall"], row["comment"]) == ("电话", "基本满意", "希望增加儿童游乐设施")


def test_a_household_that_answered_opens_its_own_sheet_to_edit(db):
    rnd = _running("锦绣华庭")
    [row] = surveys.list_responses(actor=SYSTEM_ACTOR, query=ListQuery(
        filters={"round_id": rnd.id}, sort="code", page_size=1)).rows.to_dict("records")
    at = _tab("clerk", **{"sv:round": rnd.id})
    assert "问卷与轮次" not in at.segmented_control(key="sv:view").options
    at.text_input(key="sv:find").input(row["code"]).run()
    _ok(at)
    assert any("本轮已有答卷" in i.value for i in at.info)
    key = _sheet_key(at)
    detail = surveys.response_detail(actor=SYSTEM_ACTOR, response_id=int(row["id"]))
    assert at.text_input(key=f"{key}:who").value == detail.respondent
    overall = next(q for q in rnd.questions or surveys.round_detail(actor=SYSTEM_ACTOR, round_id=rnd.id).questions
                   if q.is_overall)
    assert at.radio(key=f"{key}:q{overall.id}").value == detail.answers.get(overall.id)
    at.radio(key=f"{key}:q{overall.id}").set_value("一般")
    at.button(key=f"FormSubmitter:{key}-保存修改").click().run()
    _ok(at)
    assert not at.error
    assert surveys.response_detail(actor=SYSTEM_ACTOR, response_id=int(row["id"])).answers[overall.id] == "一般"


def test_a_sheet_opened_under_the_grid_is_withdrawn_with_a_reason_in_its_dialog(db):
    rnd = _running("翠湖花园")
    [row] = surveys.list_responses(actor=SYSTEM_ACTOR, query=ListQuery(
        filters={"round_id": rnd.id}, sort="code", descending=True, page_size=1)).rows.to_dict("records")
    response_id = int(row["id"])
    at = _tab("service", **{"sv:round": rnd.id, "sv:view": "responses", "grid:survey_responses:picked": response_id})
    assert f"{row['code']} 的答卷" in _texts(at)
    at.button(key=f"sv:withdraw_picked:{response_id}").click().run()
    _ok(at)
    assert _dialog_titles(at) == ["撤销答卷"]
    submit = f"FormSubmitter:sv:withdraw_form:{response_id}-撤销答卷"
    at.button(key=submit).click().run()
    _ok(at)
    assert [e.value for e in at.error] == ["撤销原因：必填"]
    assert _dialog_titles(at) == ["撤销答卷"]  # still open
    at.text_input(key=f"sv:withdraw_reason:{response_id}").input("录错房号")
    at.button(key=submit).click().run()
    _ok(at)
    assert _dialog_titles(at) == []
    assert f"已撤销 {row['code']} 的答卷" in [t.value for t in at.toast]
    with pytest.raises(DomainError):
        surveys.response_detail(actor=SYSTEM_ACTOR, response_id=response_id)


def test_the_name_list_shows_the_rounds_households_and_filters_those_not_answered(db, monkeypatch):
    import ui.kit.grid

    seen = []
    real = surveys.list_households

    def spy(*, actor, query):
        result = real(actor=actor, query=query)
        seen.append((dict(query.filters), result.total))
        return result

    monkeypatch.setattr(surveys, "list_households", spy)
    monkeypatch.setattr(ui.kit.grid, "AgGrid", lambda data, **_kw: type("R", (), {"data": data})())
    rnd = _running("翠湖花园")
    at = _tab("clerk", **{"sv:round": rnd.id, "sv:view": "households"})
    info = surveys.round_detail(actor=SYSTEM_ACTOR, round_id=rnd.id)
    assert f"本轮调查范围 {info.households} 户" in _texts(at)
    assert seen[-1] == ({"round_id": rnd.id, "state": None}, info.households)
    at.segmented_control(key="sv:filter:state").set_value("未答").run()
    _ok(at)
    assert seen[-1] == ({"round_id": rnd.id, "state": "未答"}, info.households - info.responses)


def test_the_manager_reads_the_results_with_charts_and_tables(db):
    rnd = next(r for r in surveys.round_choices(actor=SYSTEM_ACTOR) if r.status == "已结束")
    at = _tab("manager", **{"sv:round": rnd.id, "sv:view": "results"})
    assert not at.error
    texts = _texts(at)
    assert "各楼栋综合满意率" in texts and "各题满意率" in texts and "各题答案分布" in texts
    assert len(at.get("vega_lite_chart")) == 3
    assert at.metric[2].value == f"{rnd.responses} / {rnd.households}"
    assert [b.label for b in at.get("download_button")] == ["导出调查结果", "导出答卷明细（每题答案）"]


def test_the_manager_ends_a_round_in_its_dialog_and_opens_the_next(db):
    rnd = _running("锦绣华庭")
    at = _tab("manager", **{"sv:round": rnd.id, "sv:view": "manage"})
    assert "问卷" in _texts(at) and "调查轮次" in _texts(at)
    at.button(key=f"sv:close:{rnd.id}").click().run()
    _ok(at)
    assert _dialog_titles(at) == ["结束调查"]
    at.button(key=f"sv:do_close:{rnd.id}").click().run()
    _ok(at)
    assert next(r for r in surveys.round_choices(actor=SYSTEM_ACTOR) if r.id == rnd.id).status == "已结束"

    estates = {r.estate_id: r.estate for r in surveys.round_choices(actor=SYSTEM_ACTOR)}
    estate_id = next(i for i, name in estates.items() if name == "锦绣华庭")
    at.selectbox(key="sv:open_round:estate").set_value(estate_id)
    at.text_input(key="sv:open_round:name").input("2026年冬季专项满意度调查")
    at.button(key="FormSubmitter:sv:open_round-开始调查").click().run()
    _ok(at)
    assert not at.error
    latest = surveys.round_choices(actor=SYSTEM_ACTOR)[0]
    assert (latest.name, latest.status, latest.estate) == ("2026年冬季专项满意度调查", "进行中", "锦绣华庭")
    assert at.selectbox(key="sv:round").value == latest.id


def test_opening_a_second_running_round_is_refused_with_the_reason(db):
    rnd = _running("翠湖花园")
    at = _tab("manager", **{"sv:round": rnd.id, "sv:view": "manage"})
    at.selectbox(key="sv:open_round:estate").set_value(rnd.estate_id)
    at.button(key="FormSubmitter:sv:open_round-开始调查").click().run()
    _ok(at)
    assert [e.value for e in at.error] == [f"翠湖花园已有进行中的调查“{rnd.name}”，请先结束它"]


def test_the_engineer_reads_relations_but_has_no_survey_tab(db):
    at = signed_in("engineer").run()
    at.switch_page("screens/relations.py").run()
    _ok(at)
    assert TAB not in [label for labels in tab_strips(at).values() for label in labels]
