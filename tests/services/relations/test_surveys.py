"""满意度调查 (services/relations/surveys): the questionnaire, rounds, responses and the two KPI.md figures.

The figures are checked on a hand-built estate with exact values: two buildings of four households each (a 车库 and
a 空置 unit outside the scope), five responses, one of them without an overall answer, one household trying twice.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import delete, event, select

from db.engine import get_engine, read_session, unit_of_work
from db.models import (
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyRound,
    SurveyRoundUnit,
    Unit,
    UnitNote,
)
from services.platform.auth import Role
from services.platform.clock import local_today
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import surveys
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    bulk_units,
    count_rows,
    db_state,
    force_columns,
    get_row,
    make_estate,
    make_resident,
    roles_with,
    roles_without,
    sqlite_only,
)

MANAGER = actor_for(Role.MANAGER)
SERVICE = actor_for(Role.SERVICE)
CLERK = actor_for(Role.CLERK)
ENGINEER = actor_for(Role.ENGINEER)
TODAY = local_today()
START = TODAY - timedelta(days=20)
END = TODAY + timedelta(days=40)
OVERALL, CLEANING = "总体评价", "保洁服务"


class Estate:
    """The hand-built estate: ids of its units by name, and its round."""

    def __init__(self):
        self.estate_id, (b1, b2) = make_estate("SV", "满意小区", buildings=("1", "2"))
        a = bulk_units(self.estate_id, b1, 5)
        b = bulk_units(self.estate_id, b2, 4, start=10)
        garage = bulk_units(self.estate_id, b2, 1, start=90, kind="车库")[-1:]  # returns the building's units
        self.units = dict(zip(["a1", "a2", "a3", "a4", "a5", "b1", "b2", "b3", "b4", "g1"], a + b + garage,
                              strict=True))
        force_columns(Unit, self.units["a5"], status="空置")
        force_columns(Unit, self.units["b3"], status="出租")
        force_columns(Unit, self.units["b4"], status="装修中")
        make_resident(self.units["a1"], "王业主", "13800001111")
        surveys.add_standard_questionnaire(actor=MANAGER)
        self.round_id = surveys.open_round(actor=MANAGER, estate_id=self.estate_id, name="2026年下半年业主满意度调查",
                                           start_on=START, end_on=END)
        self.questions = {q.text: q for q in surveys.round_detail(actor=MANAGER, round_id=self.round_id).questions}

    def answers(self, overall: str | None = None, cleaning: str | None = None) -> dict[int, str | None]:
        return {self.questions[OVERALL].id: overall, self.questions[CLEANING].id: cleaning}

    def respond(self, unit: str, overall: str | None = None, cleaning: str | None = None, *,
                actor=SERVICE, on=None, respondent: str = "王业主", way: str = "电话") -> int:
        return surveys.record_response(actor=actor, round_id=self.round_id, unit_id=self.units[unit],
                                       respondent=respondent, way=way, answered_on=on or TODAY - timedelta(days=3),
                                       answers=self.answers(overall, cleaning))


@pytest.fixture
def estate(db) -> Estate:
    return Estate()


@pytest.fixture
def answered(estate) -> Estate:
    """Five responses: 1栋 满意/基本满意/一般 overall, 2栋 不满意 and one without an overall answer."""
    estate.respond("a1", "满意", "一般")
    estate.respond("a2", "基本满意", "不满意")
    estate.respond("a3", "一般", "满意")
    estate.respond("b1", "不满意", "满意")
    estate.respond("b2", None, "满意")
    return estate


def _response_of(estate: Estate, unit: str) -> SurveyResponse:
    with read_session() as s:
        rid = s.scalar(select(SurveyResponse.id).where(SurveyResponse.round_id == estate.round_id,
                                                       SurveyResponse.unit_id == estate.units[unit]))
    return get_row(SurveyResponse, rid)


# --- the figures of KPI.md, exactly ------------------------------------------------------------------------------


def test_satisfaction_counts_overall_answers_in_the_top_two_points(answered):
    [row] = surveys.survey_satisfaction(round_id=answered.round_id).to_dict("records")
    assert row == {"answered": 4, "satisfied": 2, "satisfaction": Decimal("0.5000")}


def test_coverage_counts_households_that_answered_against_those_occupied_at_the_start(answered):
    # scope: a1-a4 and b1-b4 (出租 and 装修中 live there); a5 空置 and the 车库 are outside it
    assert surveys.survey_coverage(round_id=answered.round_id) == surveys.SurveyCoverage(8, 5, Decimal("0.6250"))


def test_by_building_each_building_has_its_own_ratio_rounded_half_up(answered):
    frame = surveys.survey_satisfaction(round_id=answered.round_id, by="building")
    rows = frame.drop(columns="building_id").to_dict("records")
    assert rows == [
        {"building": "1栋", "households": 4, "responded": 3, "coverage": Decimal("0.7500"), "answered": 3,
         "satisfied": 2, "satisfaction": Decimal("0.6667")},
        {"building": "2栋", "households": 4, "responded": 2, "coverage": Decimal("0.5000"), "answered": 1,
         "satisfied": 0, "satisfaction": Decimal("0.0000")},
    ]


def test_by_question_each_question_is_the_ratio_over_its_own_answers(answered):
    frame = surveys.survey_satisfaction(round_id=answered.round_id, by="question")
    by_text = {r["question"]: r for r in frame.to_dict("records")}
    assert [r["question"] for r in frame.to_dict("records")] == list(surveys.STANDARD_QUESTIONS)
    assert by_text[CLEANING] == {"position": 3, "question": CLEANING, "is_overall": False, "answered": 5,
                                 "satisfied": 3, "satisfaction": Decimal("0.6000")}
    assert by_text[OVERALL] == {"position": 8, "question": OVERALL, "is_overall": True, "answered": 4,
                                "satisfied": 2, "satisfaction": Decimal("0.5000")}
    assert by_text["客服接待"]["answered"] == 0 and by_text["客服接待"]["satisfaction"] is None


def test_a_round_without_answers_has_no_satisfaction_and_zero_coverage(estate):
    [row] = surveys.survey_satisfaction(round_id=estate.round_id).to_dict("records")
    assert row == {"answered": 0, "satisfied": 0, "satisfaction": None}
    assert surveys.survey_coverage(round_id=estate.round_id) == surveys.SurveyCoverage(8, 0, Decimal("0.0000"))


def test_responses_without_an_overall_answer_leave_the_satisfaction_undefined(estate):
    estate.respond("a1", None, "满意")
    [row] = surveys.survey_satisfaction(round_id=estate.round_id).to_dict("records")
    assert row["satisfaction"] is None
    assert surveys.survey_coverage(round_id=estate.round_id).coverage == Decimal("0.1250")


def test_coverage_is_none_when_the_scope_holds_no_household(estate):
    with unit_of_work() as uow:  # a state the services never produce (opening refuses an empty scope)
        uow.session.execute(delete(SurveyRoundUnit).where(SurveyRoundUnit.round_id == estate.round_id))
        uow.commit()
    assert surveys.survey_coverage(round_id=estate.round_id) == surveys.SurveyCoverage(0, 0, None)


def test_a_household_answering_twice_is_refused_and_counted_once(answered):
    before = db_state()
    with pytest.raises(Conflict) as exc:
        answered.respond("a1", "很不满意", actor=CLERK, respondent="王家属")
    assert exc.value.message.startswith("1-1-R00001 本轮已有答卷（受访人 王业主，")
    assert exc.value.message.endswith("每户只录一份，请修改原答卷")
    assert db_state() == before
    assert surveys.survey_coverage(round_id=answered.round_id).responded == 5


def test_the_figures_of_an_unknown_round_are_not_found(db):
    with pytest.raises(NotFound):
        surveys.survey_satisfaction(round_id=999)
    with pytest.raises(NotFound):
        surveys.survey_coverage(round_id=999)


@sqlite_only
def test_the_grouping_is_one_of_none_building_or_question(answered):
    with pytest.raises(ValueError):
        surveys.survey_satisfaction(round_id=answered.round_id, by="estate")


@sqlite_only
def test_each_grouped_figure_is_one_statement_whatever_the_number_of_buildings(answered):
    statements: list[str] = []
    engine = get_engine()

    def count(_conn, _cursor, statement, *_args):
        if statement.startswith("SELECT"):  # not the BEGIN SQLite's driver sends
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        surveys.survey_satisfaction(round_id=answered.round_id, by="building")
        by_building = len(statements)
        statements.clear()
        surveys.survey_satisfaction(round_id=answered.round_id, by="question")
        by_question = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert (by_building, by_question) == (2, 2), statements  # the round's existence, then one grouped query


def test_latest_rounds_lists_recent_rounds_with_their_figures(answered):
    other_id, (b,) = make_estate("SW", "第二小区", buildings=("A",))
    bulk_units(other_id, b, 3)
    second = surveys.open_round(actor=MANAGER, estate_id=other_id, name="第二小区上半年", start_on=START - timedelta(days=30),
                                end_on=START)
    frame = surveys.latest_rounds(actor=ENGINEER, limit=5)
    assert list(frame["id"]) == [answered.round_id, second]
    first = frame.iloc[0].to_dict()
    assert {k: first[k] for k in ("estate", "status", "households", "responded", "coverage", "answered",
                                  "satisfied", "satisfaction")} == {
        "estate": "满意小区", "status": "进行中", "households": 8, "responded": 5, "coverage": Decimal("0.6250"),
        "answered": 4, "satisfied": 2, "satisfaction": Decimal("0.5000")}
    assert frame.iloc[1]["satisfaction"] is None and frame.iloc[1]["coverage"] == Decimal("0.0000")
    assert list(surveys.latest_rounds(actor=MANAGER, limit=1)["id"]) == [answered.round_id]
    with pytest.raises(PermissionDenied):
        surveys.latest_rounds(actor=actor_for(Role.CASHIER))


# --- responses ---------------------------------------------------------------------------------------------------


def test_a_response_keeps_its_answers_as_points_of_the_scale_with_one_audit_row_and_a_timeline_line(estate):
    rid = estate.respond("a1", "基本满意", "很不满意", way="上门")
    response = get_row(SurveyResponse, rid)
    assert (response.respondent, response.way, response.entered_by, response.version) == (
        "王业主", "上门", SERVICE.display_name, 1)
    detail = surveys.response_detail(actor=ENGINEER, response_id=rid)
    assert detail.answers == {estate.questions[OVERALL].id: "基本满意", estate.questions[CLEANING].id: "很不满意"}
    assert detail.code == "1-1-R00001"
    with read_session() as s:
        points = sorted(s.scalars(select(SurveyAnswer.point_no)))
    assert points == [2, 5]
    [row] = audit_rows(entity="survey_responses")
    assert row.action == "create"
    assert audit_json(row)[1]["answers"] == {"第3题 保洁服务": "很不满意", "第8题 总体评价": "基本满意"}
    with read_session() as s:
        note = s.scalars(select(UnitNote).where(UnitNote.unit_id == estate.units["a1"])).one()
        assert (note.kind, note.text) == ("满意度调查", "2026年下半年业主满意度调查：王业主（上门）总体评价 基本满意")


@sqlite_only
def test_an_answer_out_of_scale_is_refused_with_the_question_and_its_options(estate):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        estate.respond("a1", "非常满意", "满意")
    assert exc.value.errors == {"第8题“总体评价”": "应为以下之一：满意、基本满意、一般、不满意、很不满意"}
    assert exc.value.message == "第8题“总体评价”：应为以下之一：满意、基本满意、一般、不满意、很不满意"
    assert db_state() == before


@sqlite_only
def test_every_bad_field_of_a_sheet_is_reported_at_once_and_nothing_is_written(estate):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        surveys.record_response(actor=SERVICE, round_id=estate.round_id, unit_id=estate.units["a5"],
                                respondent=" ", way="短信", answered_on=TODAY + timedelta(days=1),
                                answers={estate.questions[OVERALL].id: "", 99999: "满意"}, comment="长" * 501)
    assert exc.value.errors == {
        "房屋": "1-1-R00005 不在本轮调查范围内（建立本轮时未入住）", "受访人": "必填",
        "调查方式": "应为以下之一：纸质问卷、电话、上门、来访", "答卷日期": "不能晚于今天",
        "意见建议": "不能超过 500 个字符（现有 501 个）", "题目": "不是本轮调查的题目：99999"}
    with pytest.raises(ValidationError) as exc:
        estate.respond("a1", None, None, on=START - timedelta(days=1))
    assert exc.value.errors == {"答卷日期": f"应在本轮调查期间 {START} 至 {END} 内", "答卷": "至少回答一道题"}
    assert db_state() == before


def test_a_garage_and_a_vacant_unit_are_outside_the_scope(estate):
    for unit in ("a5", "g1"):
        with pytest.raises(ValidationError) as exc:
            estate.respond(unit, "满意")
        assert list(exc.value.errors) == ["房屋"]
    assert count_rows(SurveyResponse) == 0


def test_editing_a_response_replaces_its_answers_and_is_audited(answered):
    response = _response_of(answered, "b2")
    surveys.update_response(actor=CLERK, response_id=response.id, version=response.version, respondent="王业主",
                            way="电话", answered_on=response.answered_on,
                            answers=answered.answers("满意", None), comment="电梯等候时间长")
    after = get_row(SurveyResponse, response.id)
    assert (after.version, after.comment) == (response.version + 1, "电梯等候时间长")
    assert surveys.response_detail(actor=CLERK, response_id=response.id).answers == {
        answered.questions[OVERALL].id: "满意"}
    [row] = audit_rows(entity="survey_responses", action="update")
    assert audit_json(row) == ({"comment": "", "answers": {"第3题 保洁服务": "满意"}},
                               {"comment": "电梯等候时间长", "answers": {"第8题 总体评价": "满意"}})
    [figure] = surveys.survey_satisfaction(round_id=answered.round_id).to_dict("records")
    assert figure == {"answered": 5, "satisfied": 3, "satisfaction": Decimal("0.6000")}


def test_editing_only_an_answer_still_moves_the_version_and_an_old_version_is_stale(answered):
    response = _response_of(answered, "a1")
    args = dict(respondent="王业主", way="电话", answered_on=response.answered_on)
    surveys.update_response(actor=SERVICE, response_id=response.id, version=response.version,
                            answers=answered.answers("满意", "满意"), **args)
    assert get_row(SurveyResponse, response.id).version == response.version + 1
    before = db_state()
    with pytest.raises(StaleEdit):
        surveys.update_response(actor=SERVICE, response_id=response.id, version=response.version,
                                answers=answered.answers("一般", "满意"), **args)
    assert db_state() == before


def test_withdrawing_a_response_removes_it_and_keeps_its_content_in_the_audit(answered):
    response = _response_of(answered, "a2")
    with pytest.raises(ValidationError) as exc:
        surveys.withdraw_response(actor=SERVICE, response_id=response.id, version=response.version, reason=" ")
    assert exc.value.errors == {"撤销原因": "必填"}
    surveys.withdraw_response(actor=SERVICE, response_id=response.id, version=response.version,
                              reason="录错房号")
    assert surveys.survey_coverage(round_id=answered.round_id).responded == 4
    [row] = audit_rows(action="withdraw")
    before, after = audit_json(row)
    assert (before["unit"], before["answers"], after) == (
        "1-1-R00002", {"第3题 保洁服务": "不满意", "第8题 总体评价": "基本满意"}, {"reason": "录错房号"})
    with pytest.raises(NotFound):
        surveys.response_detail(actor=SERVICE, response_id=response.id)


def test_an_ended_round_takes_no_response_and_keeps_its_figures_in_the_audit(answered):
    rnd = get_row(SurveyRound, answered.round_id)
    surveys.close_round(actor=MANAGER, round_id=rnd.id, version=rnd.version)
    closed = get_row(SurveyRound, rnd.id)
    assert (closed.status, closed.closed_by) == ("已结束", MANAGER.display_name)
    [row] = audit_rows(action="close")
    assert audit_json(row)[1] == {"status": "已结束", "households": 8, "responded": 5, "coverage": "0.6250",
                                  "answered": 4, "satisfied": 2, "satisfaction": "0.5000"}
    response = _response_of(answered, "a1")
    before = db_state()
    with pytest.raises(Conflict, match="已结束"):
        answered.respond("a4", "满意")
    with pytest.raises(Conflict, match="已结束"):
        surveys.update_response(actor=SERVICE, response_id=response.id, version=response.version,
                                respondent="王业主", way="电话", answered_on=response.answered_on,
                                answers=answered.answers("很不满意"))
    with pytest.raises(Conflict, match="已结束"):
        surveys.withdraw_response(actor=SERVICE, response_id=response.id, version=response.version, reason="改")
    with pytest.raises(Conflict, match="已结束"):
        surveys.close_round(actor=MANAGER, round_id=rnd.id, version=closed.version)
    assert db_state() == before


def test_editing_the_questionnaire_later_leaves_an_old_rounds_questions_and_results(answered):
    frame = surveys.list_questions(actor=MANAGER, query=ListQuery(page_size=100)).rows
    cleaning = frame[frame.text == CLEANING].iloc[0]
    surveys.update_questions(actor=MANAGER, edits=[RowEdit(int(cleaning.id), int(cleaning.version), {
        "text": "环境卫生", "scale": "好/较好/一般/差"})])
    assert get_row(SurveyQuestion, int(cleaning.id)).scale == "好/较好/一般/差"
    by_question = surveys.survey_satisfaction(round_id=answered.round_id, by="question")
    assert CLEANING in set(by_question["question"]) and "环境卫生" not in set(by_question["question"])
    answered.respond("a4", "满意", "不满意")  # the running round still asks its own copy, on its own scale
    assert surveys.survey_satisfaction(round_id=answered.round_id, by="question").iloc[2]["answered"] == 6


# --- finding households, lists and exports ---------------------------------------------------------------------


def test_a_household_is_found_by_room_or_by_its_owner_and_shows_its_response(answered):
    [hit] = surveys.find_households(actor=SERVICE, round_id=answered.round_id, text="王业主")
    assert (hit.unit_id, hit.code, hit.owner, hit.matched_person) == (answered.units["a1"], "1-1-R00001", "王业主",
                                                                      "王业主")
    assert hit.people == "王业主（业主） 13800001111"  # the front desk sees the number it phones
    assert hit.response_id == _response_of(answered, "a1").id
    [hit] = surveys.find_households(actor=CLERK, round_id=answered.round_id, text="1-1-R00004")
    assert (hit.code, hit.response_id, hit.owner) == ("1-1-R00004", None, "")
    assert surveys.find_households(actor=SERVICE, round_id=answered.round_id, text="1-1-R00005") == []  # 空置
    assert surveys.find_households(actor=SERVICE, round_id=answered.round_id, text=" ") == []
    with pytest.raises(PermissionDenied):
        surveys.find_households(actor=ENGINEER, round_id=answered.round_id, text="王")


def test_the_name_list_shows_who_answered_and_masks_mobiles_without_reveal(answered):
    query = ListQuery(filters={"round_id": answered.round_id}, page_size=100)
    rows = surveys.list_households(actor=CLERK, query=query).rows
    assert len(rows) == 8
    first = rows.iloc[0]
    assert (first.code, first.owner, first.owner_mobile, first.state) == ("1-1-R00001", "王业主", "138****1111", "已答")
    assert surveys.list_households(actor=SERVICE, query=query).rows.iloc[0].owner_mobile == "13800001111"
    waiting = surveys.list_households(actor=CLERK, query=ListQuery(
        filters={"round_id": answered.round_id, "state": "未答"}, page_size=100))
    assert (waiting.total, list(waiting.rows.code)) == (3, ["1-1-R00004", "2-1-R00012", "2-1-R00013"])
    assert surveys.list_households(actor=CLERK, query=ListQuery(page_size=100)).total == 0


def test_the_response_list_shows_the_overall_answer_and_exporting_needs_data_export(answered):
    result = surveys.list_responses(actor=ENGINEER, query=ListQuery(
        filters={"round_id": answered.round_id}, sort="code", page_size=100))
    assert list(result.rows.code) == ["1-1-R00001", "1-1-R00002", "1-1-R00003", "2-1-R00010", "2-1-R00011"]
    assert list(result.rows.overall) == ["满意", "基本满意", "一般", "不满意", "未答"]
    assert list(result.rows.answered) == [2, 2, 2, 2, 1]
    with pytest.raises(PermissionDenied):
        surveys.list_responses(actor=ENGINEER, query=ListQuery(filters={"round_id": answered.round_id},
                                                               page_size=None))
    with pytest.raises(PermissionDenied):
        surveys.responses_workbook(actor=ENGINEER, round_id=answered.round_id)


def test_the_workbooks_hold_every_answer_and_the_results(answered):
    sheet = openpyxl.load_workbook(io.BytesIO(surveys.responses_workbook(actor=CLERK, round_id=answered.round_id)))
    rows = list(sheet["答卷明细"].values)
    assert rows[0][:6] == ("房号", "楼栋", "受访人", "调查方式", "答卷日期", "1. 客服接待")
    assert rows[0][-3:] == ("8. 总体评价", "意见建议", "录入人")
    assert len(rows) == 6 and rows[1][0] == "1-1-R00001" and rows[1][-3] == "满意" and rows[5][-3] in (None, "")
    book = openpyxl.load_workbook(io.BytesIO(surveys.results_workbook(actor=CLERK, round_id=answered.round_id)))
    assert book.sheetnames == ["总体", "按楼栋", "按题目", "选项分布"]
    summary = dict(list(book["总体"].values)[1:])
    assert (summary["调查覆盖率（%）"], summary["业主综合满意率（%）"]) == (62.5, 50)
    assert list(book["按楼栋"].values)[1][:2] == ("1栋", 4)


# --- rounds and the questionnaire -------------------------------------------------------------------------------


def test_opening_a_round_copies_the_questions_and_the_occupied_households(estate):
    info = surveys.round_detail(actor=ENGINEER, round_id=estate.round_id)
    assert (info.households, info.responses, info.status, info.start_on, info.end_on) == (8, 0, "进行中", START, END)
    assert [q.text for q in info.questions] == list(surveys.STANDARD_QUESTIONS)
    assert [q.is_overall for q in info.questions].count(True) == 1
    assert info.questions[0].options == surveys.STANDARD_SCALE
    [row] = audit_rows(entity="survey_rounds")
    assert audit_json(row)[1]["households"] == 8


@sqlite_only
def test_a_round_needs_a_name_sensible_dates_and_an_estate_with_households(estate):
    empty_id, _ = make_estate("SX", "空小区")
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        surveys.open_round(actor=MANAGER, estate_id=empty_id, name=" ", start_on=TODAY + timedelta(days=1),
                           end_on=TODAY)
    assert exc.value.errors == {
        "开始日期": "不能晚于今天（调查开始时再建立轮次，调查范围按建立时的入住户确定）", "调查名称": "必填",
        "结束日期": f"不能早于开始日期 {TODAY + timedelta(days=1)}", "小区": "没有已入住的房屋，无法确定调查范围"}
    with pytest.raises(ValidationError) as exc:
        surveys.open_round(actor=MANAGER, estate_id=empty_id, name="x", start_on=None, end_on=None)
    assert exc.value.errors["开始日期"] == "必填" and exc.value.errors["结束日期"] == "必填"
    assert db_state() == before


def test_one_running_round_per_estate_and_names_are_unique(estate):
    with pytest.raises(Conflict) as exc:
        surveys.open_round(actor=MANAGER, estate_id=estate.estate_id, name="另一轮", start_on=START, end_on=END)
    assert exc.value.message == "满意小区已有进行中的调查“2026年下半年业主满意度调查”，请先结束它"
    rnd = get_row(SurveyRound, estate.round_id)
    surveys.close_round(actor=MANAGER, round_id=rnd.id, version=rnd.version)
    with pytest.raises(Conflict, match="已有名为“2026年下半年业主满意度调查”的调查"):
        surveys.open_round(actor=MANAGER, estate_id=estate.estate_id, name="2026年下半年业主满意度调查",
                           start_on=START, end_on=END)


@sqlite_only
def test_a_round_needs_exactly_one_active_overall_question(db):
    estate_id, (b,) = make_estate("SY", "问卷小区")
    bulk_units(estate_id, b, 2)
    with pytest.raises(ValidationError) as exc:
        surveys.open_round(actor=MANAGER, estate_id=estate_id, name="一", start_on=START, end_on=END)
    assert exc.value.errors == {"问卷": "没有启用的题目，请先维护问卷"}
    surveys.add_question(actor=MANAGER, position=1, text="客服接待")
    with pytest.raises(ValidationError) as exc:
        surveys.open_round(actor=MANAGER, estate_id=estate_id, name="一", start_on=START, end_on=END)
    assert exc.value.errors == {"问卷": "应恰好有一道启用的总体评价题（现有 0 道）"}
    surveys.add_question(actor=MANAGER, position=2, text="总体评价", is_overall=True)
    with pytest.raises(ValidationError) as exc:
        surveys.add_question(actor=MANAGER, position=3, text="总体印象", is_overall=True)
    assert exc.value.errors == {"总体评价题": "只能有一道启用的总体评价题，现有 2 道：总体评价、总体印象"}
    assert surveys.open_round(actor=MANAGER, estate_id=estate_id, name="一", start_on=START, end_on=END)


@sqlite_only
def test_a_scale_has_three_to_seven_distinct_short_options(db):
    before = db_state()
    cases = {"好/差": "应有 3–7 个选项", "满意/满意/一般": "选项不能重复", "满意/一般/非常非常非常不满意": "每个选项不超过 8 个字"}
    for scale, rule in cases.items():
        with pytest.raises(ValidationError) as exc:
            surveys.add_question(actor=MANAGER, position=1, text="保洁", scale=scale)
        assert exc.value.errors["选项"].startswith(rule), scale
    with pytest.raises(ValidationError) as exc:
        surveys.add_question(actor=MANAGER, position=0, text="", scale="好/中/差")
    assert exc.value.errors == {"序号": "不能小于 1", "题目": "必填"}
    assert db_state() == before
    qid = surveys.add_question(actor=MANAGER, position=1, text="保洁", scale="很好、好、一般、差")
    assert get_row(SurveyQuestion, qid).scale == "很好/好/一般/差"


def test_the_standard_questionnaire_is_loaded_once(db):
    assert surveys.add_standard_questionnaire(actor=MANAGER) == 8
    with pytest.raises(Conflict):
        surveys.add_standard_questionnaire(actor=MANAGER)
    assert count_rows(SurveyQuestion) == 8
    assert len(audit_rows(entity="survey_questions")) == 8


def test_a_running_rounds_end_date_moves_but_not_before_an_answer(answered):
    rnd = get_row(SurveyRound, answered.round_id)
    last = TODAY - timedelta(days=3)
    with pytest.raises(ValidationError) as exc:
        surveys.update_round(actor=MANAGER, round_id=rnd.id, version=rnd.version, name=rnd.name,
                             end_on=last - timedelta(days=1))
    assert exc.value.errors == {"结束日期": f"不能早于已录入答卷的最晚答卷日期 {last}"}
    surveys.update_round(actor=MANAGER, round_id=rnd.id, version=rnd.version, name="下半年调查", end_on=last,
                         note="提前收卷")
    after = get_row(SurveyRound, rnd.id)
    assert (after.name, after.end_on, after.note) == ("下半年调查", last, "提前收卷")
    [row] = audit_rows(entity="survey_rounds", action="update")
    assert audit_json(row)[0] == {"name": "2026年下半年业主满意度调查", "end_on": END.isoformat(), "note": ""}
    with pytest.raises(StaleEdit):
        surveys.update_round(actor=MANAGER, round_id=rnd.id, version=rnd.version, name="x", end_on=END)


# --- permissions -------------------------------------------------------------------------------------------------


@sqlite_only
@pytest.mark.parametrize("role", roles_without("surveys.record"))
def test_only_staff_who_record_surveys_enter_responses(estate, role):
    with pytest.raises(PermissionDenied):
        estate.respond("a1", "满意", actor=actor_for(role))


@sqlite_only
@pytest.mark.parametrize("role", roles_without("surveys.manage"))
def test_only_managers_keep_the_questionnaire_and_the_rounds(estate, role):
    actor = actor_for(role)
    with pytest.raises(PermissionDenied):
        surveys.add_question(actor=actor, position=9, text="新题")
    with pytest.raises(PermissionDenied):
        surveys.open_round(actor=actor, estate_id=estate.estate_id, name="x", start_on=START, end_on=END)
    with pytest.raises(PermissionDenied):
        surveys.close_round(actor=actor, round_id=estate.round_id, version=1)


@sqlite_only
def test_the_roles_match_the_permission_table(db):
    assert set(roles_with("surveys.manage")) == {Role.ADMIN, Role.MANAGER}
    assert set(roles_with("surveys.record")) == {Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.CLERK}
    with pytest.raises(PermissionDenied):
        surveys.round_choices(actor=actor_for(Role.CASHIER))
