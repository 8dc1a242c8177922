"""满意度调查 (surveys): the questionnaire as data, survey rounds per estate, responses per household entered by staff
from paper or phone, and the results — 业主综合满意率 and 调查覆盖率 of KPI.md, by building and by question.

Invariants:
- A question's scale is its options best first ("满意/基本满意/一般/不满意/很不满意"), 3 to 7 points; the top two
  points count as satisfied (KPI.md). At most one active question is the overall one (总体评价); a round can only be
  opened while exactly one is.
- Opening a round copies the active questions into survey_round_questions and the estate's households occupied at
  that moment into survey_round_units (调查范围). Editing the questionnaire later, or a household moving in or out,
  never changes an old round's questions, scope or results.
- A household (unit) answers at most once per round: a second response is refused; the first is edited instead.
  Only households in the round's scope answer, so 调查覆盖率 never exceeds 100%.
- A response's date is within the round's dates and not in the future; every answer is a point of its question's
  scale (refused with the question and its options otherwise); a response answers at least one question. The
  overall question may be left blank: such a response counts for coverage, not for the overall 满意率.
- Responses are entered, edited and withdrawn only while the round is 进行中; 已结束 is final.
- Every change is one transaction with one audit row (and a line on the unit's timeline for a response).

Decisions (where the issue is silent):
- "Occupied" is the unit's status at the round's opening: 已入住, 出租 or 装修中 (services.estate.statuses.LIVED_IN),
  garages (车库) excluded. Unit statuses keep no history, so a round opens on or after its start day (开始日期 not in
  the future) and its scope is taken when it is opened; a round entered afterwards for a survey already done takes
  today's occupied households.
- One running round per estate at a time, names unique per estate.
- The KPI functions (survey_satisfaction, survey_coverage) take no actor, like the other figures of services/kpi;
  everything a page calls takes the actor and checks relations.view (reading), surveys.record (responses) or
  surveys.manage (questionnaire and rounds).

Open first: record_response (the path of one answer sheet) and _round_figures (how the rates are counted).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any, cast

import pandas as pd
from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    case,
    func,
    insert,
    literal,
    or_,
    select,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from db.engine import read_session, unit_of_work
from db.models import (
    Building,
    Estate,
    Person,
    SurveyAnswer,
    SurveyQuestion,
    SurveyResponse,
    SurveyRound,
    SurveyRoundQuestion,
    SurveyRoundUnit,
    Unit,
    UnitPerson,
)
from db.types import utcnow
from services.estate.households import _note
from services.estate.people import search_terms
from services.estate.statuses import LIVED_IN
from services.estate.units import UNIT_CODE_ORDER, join_unit_location, unit_code
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import local_today
from services.platform.editing import RowEdit, apply_edits
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.excel import excel_workbook
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.privacy import mask_mobile
from services.platform.rates import rate
from services.platform.scope import estate_clause, in_scope
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import FieldError, collect, parse_choice, parse_text

RUNNING = "进行中"
ENDED = "已结束"
ROUND_STATUSES = (RUNNING, ENDED)
WAYS = ("纸质问卷", "电话", "上门", "来访")
SCALE_SEPARATOR = "/"
STANDARD_SCALE = ("满意", "基本满意", "一般", "不满意", "很不满意")
STANDARD_SCALE_TEXT = "/".join(STANDARD_SCALE)
MIN_POINTS, MAX_POINTS, OPTION_MAX = 3, 7, 8
SATISFIED_POINTS = 2  # the top two points of a scale (KPI.md 业主综合满意率)
NOT_SURVEYED_KINDS = ("车库",)  # a garage is not a household
MAX_ROUND_DAYS = 366
ANSWERED, NOT_ANSWERED = "已答", "未答"
GROUPS = (None, "building", "question")
# the seed manual names the duty (客户满意度调查作业规程) but not its items: the usual items of a 物业 survey
STANDARD_QUESTIONS = ("客服接待", "维修服务", "保洁服务", "绿化养护", "秩序维护与安全", "停车管理", "收费透明",
                      "总体评价")


# --- the questionnaire ----------------------------------------------------------------------------


def parse_scale(text: str) -> tuple[str, ...]:
    """'满意/基本满意/一般' (or separated by 、，, or spaces) -> its options, best first; FieldError names the rule."""
    raw = str(text or "")
    for sep in ("、", "，", ",", "；", ";", "|", "／", " "):
        raw = raw.replace(sep, SCALE_SEPARATOR)
    options = tuple(o.strip() for o in raw.split(SCALE_SEPARATOR) if o.strip())
    if not MIN_POINTS <= len(options) <= MAX_POINTS:
        raise FieldError(f"应有 {MIN_POINTS}–{MAX_POINTS} 个选项，从好到差用“/”分隔，例如 {'/'.join(STANDARD_SCALE)}")
    too_long = [o for o in options if len(o) > OPTION_MAX]
    if too_long:
        raise FieldError(f"每个选项不超过 {OPTION_MAX} 个字：{too_long[0]}")
    if len(set(options)) != len(options):
        raise FieldError("选项不能重复")
    return options


def _scale_check(text: str) -> str:
    return SCALE_SEPARATOR.join(parse_scale(text))


QUESTION_TABLE = TableSpec("survey_questions", (
    Field("position", "序号", "surveys.position", "int", editable=True, creatable=True, required=True,
          min_value=1, max_value=99),
    Field("text", "题目", "surveys.question", editable=True, creatable=True, required=True, max_len=60),
    Field("scale", "选项", "surveys.scale", editable=True, creatable=True, required=True, max_len=80,
          check=_scale_check),
    Field("is_overall", "总体评价题", "surveys.is_overall", "bool", editable=True, creatable=True, default=False),
    Field("active", "启用", "surveys.active", "bool", editable=True, default=True),
))

QUESTION_COLUMNS = {
    "id": SurveyQuestion.id,
    "version": SurveyQuestion.version,
    "position": SurveyQuestion.position,
    "text": SurveyQuestion.text,
    "scale": SurveyQuestion.scale,
    "is_overall": SurveyQuestion.is_overall,
    "active": SurveyQuestion.active,
}


def list_questions(*, actor: Actor, query: ListQuery) -> PageResult:
    """The questionnaire, in its order; filter: active."""
    authorize_list(actor, "relations.view", query)
    with read_session() as s:
        return run_list(s, select(*[c.label(n) for n, c in QUESTION_COLUMNS.items()]), QUESTION_COLUMNS, query,
                        search_columns=[SurveyQuestion.text, SurveyQuestion.scale],
                        equal_filters={"active": SurveyQuestion.active}, default_sort=("position", False))


def _overall_check(session: Session) -> None:
    """At most one active overall question (rounds need exactly one; this keeps the questionnaire from two)."""
    session.flush()
    overall = list(session.scalars(select(SurveyQuestion.text).where(
        SurveyQuestion.is_overall.is_(True), SurveyQuestion.active.is_(True)).order_by(SurveyQuestion.position)))
    if len(overall) > 1:
        raise ValidationError({"总体评价题": f"只能有一道启用的总体评价题，现有 {len(overall)} 道："
                                            + "、".join(overall)})


def add_question(*, actor: Actor, position: Any, text: Any, scale: Any = STANDARD_SCALE_TEXT,
                 is_overall: Any = False) -> int:
    """A new question at the end of (or anywhere in) the questionnaire; the next round asks it."""
    require(actor, "surveys.manage")
    values = QUESTION_TABLE.create_rules.parse_or_raise(
        {"position": position, "text": text, "scale": scale, "is_overall": is_overall})
    with unit_of_work() as uow:
        s = uow.session
        q = SurveyQuestion(position=values["position"], text=values["text"], scale=values["scale"],
                           is_overall=bool(values["is_overall"]), active=True)
        s.add(q)
        _overall_check(s)
        audit.record(s, actor, "create", "survey_questions", q.id, None, dict(values, active=True))
        uow.commit()
        return q.id


def update_questions(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Grid edits of the questionnaire (text, scale, order, overall, active): all rows or none."""
    require(actor, "surveys.manage")
    with unit_of_work() as uow:
        n = apply_edits(uow.session, actor=actor, model=SurveyQuestion, entity="survey_questions", edits=edits,
                        rules=QUESTION_TABLE.edit_rules, row_label=lambda q: f"第{q.position}题 {q.text}")
        _overall_check(uow.session)
        uow.commit()
    return n


def add_standard_questionnaire(*, actor: Actor) -> int:
    """The usual eight questions on the standard five-point scale, for a company that has no questionnaire yet."""
    require(actor, "surveys.manage")
    with unit_of_work() as uow:
        s = uow.session
        if s.scalar(select(SurveyQuestion.id).limit(1)) is not None:
            raise Conflict("问卷中已有题目，不再载入标准问卷")
        scale = SCALE_SEPARATOR.join(STANDARD_SCALE)
        for n, text in enumerate(STANDARD_QUESTIONS, start=1):
            q = SurveyQuestion(position=n, text=text, scale=scale, is_overall=text == "总体评价", active=True)
            s.add(q)
            s.flush()
            audit.record(s, actor, "create", "survey_questions", q.id, None,
                         {"position": n, "text": text, "scale": scale, "is_overall": q.is_overall, "active": True})
        uow.commit()
    return len(STANDARD_QUESTIONS)


# --- rounds ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RoundQuestion:
    """A question as the round asks it."""

    id: int
    position: int
    text: str
    options: tuple[str, ...]
    is_overall: bool

    @property
    def label(self) -> str:
        return f"第{self.position}题“{self.text}”"


@dataclass(frozen=True)
class RoundInfo:
    id: int
    version: int
    estate_id: int
    estate: str
    name: str
    start_on: date
    end_on: date
    status: str
    note: str
    households: int
    responses: int
    questions: tuple[RoundQuestion, ...] = ()

    @property
    def label(self) -> str:
        return f"{self.estate} · {self.name}（{self.status}）"


_households = (select(func.count(SurveyRoundUnit.id)).where(SurveyRoundUnit.round_id == SurveyRound.id)
               .correlate(SurveyRound).scalar_subquery())
_responses = (select(func.count(SurveyResponse.id)).where(SurveyResponse.round_id == SurveyRound.id)
              .correlate(SurveyRound).scalar_subquery())


def _round_rows(session: Session, actor: Actor, *where: ColumnElement[bool], limit: int | None = None
                ) -> list[RoundInfo]:
    stmt = (select(SurveyRound.id, SurveyRound.version, SurveyRound.estate_id, Estate.name, SurveyRound.name,
                   SurveyRound.start_on, SurveyRound.end_on, SurveyRound.status, SurveyRound.note, _households,
                   _responses)
            .join(Estate, Estate.id == SurveyRound.estate_id).where(estate_clause(actor, SurveyRound.estate_id), *where)
            .order_by(SurveyRound.start_on.desc(), SurveyRound.id.desc()).limit(limit))
    return [RoundInfo(*cast(tuple[Any, ...], row)) for row in session.execute(stmt)]


def _round_questions(session: Session, round_id: int) -> tuple[RoundQuestion, ...]:
    rows = session.execute(select(SurveyRoundQuestion.id, SurveyRoundQuestion.position, SurveyRoundQuestion.text,
                                  SurveyRoundQuestion.scale, SurveyRoundQuestion.is_overall)
                           .where(SurveyRoundQuestion.round_id == round_id).order_by(SurveyRoundQuestion.position))
    return tuple(RoundQuestion(i, p, text, tuple(scale.split(SCALE_SEPARATOR)), bool(o)) for i, p, text, scale, o
                 in rows)


def round_choices(*, actor: Actor, limit: int = 200) -> list[RoundInfo]:
    """Every round (latest first), for the round picker; no questions."""
    require(actor, "relations.view")
    with read_session() as s:
        return _round_rows(s, actor, limit=limit)


def round_detail(*, actor: Actor, round_id: int) -> RoundInfo:
    """One round with the questions it asks."""
    require(actor, "relations.view")
    with read_session() as s:
        rows = _round_rows(s, actor, SurveyRound.id == round_id)
        if not rows:
            raise NotFound("调查轮次不存在")
        return replace(rows[0], questions=_round_questions(s, round_id))


def _parse_round_fields(name: Any, start_on: date | None, end_on: date | None, note: Any,
                        errors: dict[str, str]) -> tuple[str, str]:
    try:
        name_text = parse_text(name, max_len=64)
        if not name_text:
            errors["调查名称"] = "必填"
    except FieldError as exc:
        errors["调查名称"] = str(exc)
        name_text = ""
    try:
        note_text = parse_text(note, max_len=500)
    except FieldError as exc:
        errors["备注"] = str(exc)
        note_text = ""
    if end_on is None:
        errors["结束日期"] = "必填"
    elif start_on is not None:
        if end_on < start_on:
            errors["结束日期"] = f"不能早于开始日期 {start_on}"
        elif (end_on - start_on).days > MAX_ROUND_DAYS:
            errors["结束日期"] = "一轮调查不超过一年"
    return name_text, note_text


def open_round(*, actor: Actor, estate_id: int, name: Any, start_on: date | None, end_on: date | None,
               note: Any = "") -> int:
    """开始一轮调查: copy the active questions and the estate's occupied households into the round."""
    require(actor, "surveys.manage")
    errors: dict[str, str] = {}
    if start_on is None:
        errors["开始日期"] = "必填"
    elif start_on > local_today():
        errors["开始日期"] = "不能晚于今天（调查开始时再建立轮次，调查范围按建立时的入住户确定）"
    name_text, note_text = _parse_round_fields(name, start_on, end_on, note, errors)
    with unit_of_work() as uow:
        s = uow.session
        estate = s.get(Estate, estate_id)
        if estate is None or not estate.active or not in_scope(actor, estate_id):
            errors["小区"] = "不存在或已停用"
        questions = list(s.scalars(select(SurveyQuestion).where(SurveyQuestion.active.is_(True))
                                   .order_by(SurveyQuestion.position, SurveyQuestion.id)))
        overall = [q for q in questions if q.is_overall]
        if not questions:
            errors["问卷"] = "没有启用的题目，请先维护问卷"
        elif len(overall) != 1:
            errors["问卷"] = f"应恰好有一道启用的总体评价题（现有 {len(overall)} 道）"
        scope = [] if estate is None else list(s.scalars(
            select(Unit.id).where(Unit.estate_id == estate_id, Unit.status.in_(LIVED_IN),
                                  Unit.kind.not_in(NOT_SURVEYED_KINDS)).order_by(Unit.id)))
        if estate is not None and not scope and "小区" not in errors:
            errors["小区"] = "没有已入住的房屋，无法确定调查范围"
        if errors:
            raise ValidationError(errors)
        assert estate is not None and start_on is not None and end_on is not None  # checked above
        running = s.scalar(select(SurveyRound.name).where(SurveyRound.estate_id == estate_id,
                                                          SurveyRound.status == RUNNING))
        if running is not None:
            raise Conflict(f"{estate.name}已有进行中的调查“{running}”，请先结束它")
        if s.scalar(select(SurveyRound.id).where(SurveyRound.estate_id == estate_id,
                                                 SurveyRound.name == name_text)) is not None:
            raise Conflict(f"调查名称：{estate.name}已有名为“{name_text}”的调查")
        rnd = SurveyRound(estate_id=estate_id, name=name_text, start_on=start_on, end_on=end_on, status=RUNNING,
                          note=note_text, created_by=actor.display_name, created_at=utcnow(), closed_by="")
        s.add(rnd)
        s.flush()
        s.add_all(SurveyRoundQuestion(round_id=rnd.id, question_id=q.id, position=n, text=q.text, scale=q.scale,
                                      is_overall=q.is_overall) for n, q in enumerate(questions, start=1))
        s.execute(insert(SurveyRoundUnit), [{"round_id": rnd.id, "unit_id": uid} for uid in scope])
        audit.record(s, actor, "create", "survey_rounds", rnd.id, None,
                     {"estate": estate.name, "name": name_text, "start_on": start_on, "end_on": end_on,
                      "households": len(scope), "questions": [q.text for q in questions], "note": note_text})
        try:
            s.flush()
        except IntegrityError as exc:  # the same name opened at the same moment by someone else
            raise Conflict(f"调查名称：{estate.name}已有名为“{name_text}”的调查") from exc
        uow.commit()
        return rnd.id


def _locked_round(session: Session, actor: Actor, round_id: int, version: int | None = None) -> SurveyRound:
    rnd = session.get(SurveyRound, round_id)
    if rnd is None or not in_scope(actor, rnd.estate_id):
        raise NotFound("调查轮次不存在")
    if version is not None and rnd.version != version:
        raise StaleEdit()
    return rnd


def update_round(*, actor: Actor, round_id: int, version: int, name: Any, end_on: date | None,
                 note: Any = "") -> None:
    """Rename a running round, move its end date (not before an answer already entered), change its note."""
    require(actor, "surveys.manage")
    with unit_of_work() as uow:
        s = uow.session
        rnd = _locked_round(s, actor, round_id, version)
        if rnd.status != RUNNING:
            raise Conflict(f"调查“{rnd.name}”已结束，不能修改")
        errors: dict[str, str] = {}
        name_text, note_text = _parse_round_fields(name, rnd.start_on, end_on, note, errors)
        last = s.scalar(select(func.max(SurveyResponse.answered_on)).where(SurveyResponse.round_id == rnd.id))
        if end_on is not None and last is not None and end_on < last and "结束日期" not in errors:
            errors["结束日期"] = f"不能早于已录入答卷的最晚答卷日期 {last}"
        if errors:
            raise ValidationError(errors)
        if name_text != rnd.name and s.scalar(select(SurveyRound.id).where(
                SurveyRound.estate_id == rnd.estate_id, SurveyRound.name == name_text)) is not None:
            raise Conflict(f"调查名称：该小区已有名为“{name_text}”的调查")
        after = {"name": name_text, "end_on": end_on, "note": note_text}
        before = audit.snapshot(rnd, list(after))
        changed = {k: v for k, v in after.items() if before[k] != v}
        if not changed:
            return
        for k, v in changed.items():
            setattr(rnd, k, v)
        audit.record(s, actor, "update", "survey_rounds", rnd.id, {k: before[k] for k in changed}, changed)
        uow.commit()


def close_round(*, actor: Actor, round_id: int, version: int) -> None:
    """结束调查: no response is entered, edited or withdrawn afterwards; the audit row keeps the final figures."""
    require(actor, "surveys.manage")
    with unit_of_work() as uow:
        s = uow.session
        rnd = _locked_round(s, actor, round_id, version)
        if rnd.status != RUNNING:
            raise Conflict(f"调查“{rnd.name}”已结束")
        figures = _round_figures(s, [rnd.id])[rnd.id]
        rnd.status = ENDED
        rnd.closed_by = actor.display_name
        rnd.closed_at = utcnow()
        audit.record(s, actor, "close", "survey_rounds", rnd.id, {"status": RUNNING},
                     {"status": ENDED, **figures})
        uow.commit()


ROUND_COLUMNS = {
    "id": SurveyRound.id,
    "version": SurveyRound.version,
    "estate": Estate.name,
    "name": SurveyRound.name,
    "start_on": SurveyRound.start_on,
    "end_on": SurveyRound.end_on,
    "status": SurveyRound.status,
    "households": _households,
    "responses": _responses,
    "created_by": SurveyRound.created_by,
    "closed_by": SurveyRound.closed_by,
    "note": SurveyRound.note,
}


def list_rounds(*, actor: Actor, query: ListQuery) -> PageResult:
    """Survey rounds, latest first; filters: estate_id, status."""
    authorize_list(actor, "relations.view", query)
    stmt: Select[*tuple[Any, ...]] = select(*[c.label(n) for n, c in ROUND_COLUMNS.items()]).join(
        Estate, Estate.id == SurveyRound.estate_id).where(estate_clause(actor, SurveyRound.estate_id))
    with read_session() as s:
        return run_list(s, stmt, ROUND_COLUMNS, query, search_columns=[SurveyRound.name, Estate.name],
                        equal_filters={"estate_id": SurveyRound.estate_id, "status": SurveyRound.status},
                        default_sort=("start_on", True))


# --- responses ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class HouseholdHit:
    """A household of a round's scope found by the search box, and its response if it has one."""

    unit_id: int
    code: str
    people: str  # "张伟（业主） 138****8000；..."
    owner: str  # the first current 业主 (the usual respondent), or ""
    matched_person: str  # the person the search matched (name, phone), or ""
    response_id: int | None


def _people_of(session: Session, unit_ids: Sequence[int], reveal: bool) -> dict[int, list[tuple[str, str, str]]]:
    """Current people (name, role, mobile) of each unit, 业主 first, in one query."""
    order = case((UnitPerson.role == "业主", 0), else_=1)
    rows = session.execute(select(UnitPerson.unit_id, Person.name, UnitPerson.role, Person.mobile)
                           .join(Person, Person.id == UnitPerson.person_id)
                           .where(UnitPerson.unit_id.in_(list(unit_ids)), UnitPerson.end_on.is_(None))
                           .order_by(UnitPerson.unit_id, order, UnitPerson.id))
    out: dict[int, list[tuple[str, str, str]]] = {}
    for uid, name, role, mobile in rows:
        out.setdefault(uid, []).append((name, role, mobile if reveal else mask_mobile(mobile or "")))
    return out


def find_households(*, actor: Actor, round_id: int, text: str, limit: int = 20) -> list[HouseholdHit]:
    """Households of the round's scope by 房号 (1-1-101, 11101, 101), person name, initials or phone (or its tail)."""
    require(actor, "surveys.record")
    terms = search_terms(text)
    if terms is None:
        return []
    in_scope = and_(SurveyRoundUnit.unit_id == Unit.id, SurveyRoundUnit.round_id == round_id)
    base = (select(Unit.id, unit_code).select_from(Unit).join(Building, Building.id == Unit.building_id)
            .join(SurveyRoundUnit, in_scope))
    found: dict[int, tuple[str, str]] = {}
    row: Any
    with read_session() as s:
        _locked_round(s, actor, round_id)  # a round of another estate is not found
        if terms.unit_conds:
            for row in s.execute(base.where(or_(*terms.unit_conds)).order_by(*UNIT_CODE_ORDER[1:]).limit(limit)):
                found[row[0]] = (row[1], "")
        if terms.person_conds and len(found) < limit:
            stmt = (base.add_columns(Person.name).join(UnitPerson, UnitPerson.unit_id == Unit.id)
                    .join(Person, Person.id == UnitPerson.person_id)
                    .where(or_(*terms.person_conds), UnitPerson.end_on.is_(None))
                    .order_by(Person.name, Unit.id).limit(limit))
            for row in s.execute(stmt):
                if row[0] not in found and len(found) < limit:
                    found[row[0]] = (row[1], row[2])
        if not found:
            return []
        people = _people_of(s, list(found), can(actor, "people.reveal"))
        answered = dict(s.execute(select(SurveyResponse.unit_id, SurveyResponse.id).where(
            SurveyResponse.round_id == round_id, SurveyResponse.unit_id.in_(list(found)))).all())
    hits = []
    for uid, (code, matched) in found.items():
        mine = people.get(uid, [])
        hits.append(HouseholdHit(
            unit_id=uid, code=code, people="；".join(f"{n}（{r}） {m}".strip() for n, r, m in mine[:3]),
            owner=next((n for n, r, _m in mine if r == "业主"), ""), matched_person=matched,
            response_id=answered.get(uid)))
    return hits


@dataclass(frozen=True)
class ResponseView:
    id: int
    version: int
    round_id: int
    unit_id: int
    code: str
    respondent: str
    way: str
    answered_on: date
    comment: str
    entered_by: str
    answers: Mapping[int, str]  # round question id -> the option ticked


def response_detail(*, actor: Actor, response_id: int) -> ResponseView:
    require(actor, "relations.view")
    row: Any
    with read_session() as s:
        row = s.execute(join_unit_location(
            select(SurveyResponse.id, SurveyResponse.version, SurveyResponse.round_id, SurveyResponse.unit_id,
                   unit_code, SurveyResponse.respondent, SurveyResponse.way, SurveyResponse.answered_on,
                   SurveyResponse.comment, SurveyResponse.entered_by), SurveyResponse.unit_id, actor=actor)
            .where(SurveyResponse.id == response_id)).first()
        if row is None:
            raise NotFound("答卷不存在（可能已被撤销）")
        answers = dict(s.execute(select(SurveyAnswer.round_question_id, SurveyAnswer.choice)
                                 .where(SurveyAnswer.response_id == response_id)).all())
    rid, version, round_id, unit_id, code, respondent, way, answered_on, comment, entered_by = row
    return ResponseView(rid, version, round_id, unit_id, code, respondent, way, answered_on, comment, entered_by,
                        answers)


@dataclass(frozen=True)
class _Sheet:
    respondent: str
    way: str
    answered_on: date
    comment: str
    answers: dict[int, tuple[int, str]]  # round question id -> (point_no, choice)


def _check_sheet(session: Session, rnd: SurveyRound, *, respondent: Any, way: Any, answered_on: date | None,
                 answers: Mapping[int, Any], comment: Any, errors: dict[str, str] | None = None) -> _Sheet:
    """Every field of an answer sheet checked against the round; all problems (and `errors` found before) raised
    at once."""
    errors = dict(errors or {})
    try:
        who = parse_text(respondent, max_len=32)
        if not who:
            errors["受访人"] = "必填"
    except FieldError as exc:
        errors["受访人"] = str(exc)
        who = ""
    way = collect(errors, "调查方式", way, lambda v: parse_choice(v, WAYS)) or ""
    if answered_on is None:
        errors["答卷日期"] = "必填"
    elif answered_on > local_today():
        errors["答卷日期"] = "不能晚于今天"
    elif not rnd.start_on <= answered_on <= rnd.end_on:
        errors["答卷日期"] = f"应在本轮调查期间 {rnd.start_on} 至 {rnd.end_on} 内"
    try:
        remark = parse_text(comment, max_len=500)
    except FieldError as exc:
        errors["意见建议"] = str(exc)
        remark = ""
    questions = {q.id: q for q in _round_questions(session, rnd.id)}
    parsed: dict[int, tuple[int, str]] = {}
    unknown = [str(k) for k in answers if k not in questions]
    if unknown:
        errors["题目"] = "不是本轮调查的题目：" + "、".join(unknown)
    for qid, value in answers.items():
        q = questions.get(qid)
        if q is None or value is None or str(value).strip() == "":
            continue  # a question left blank is allowed (the respondent skipped it)
        choice = str(value).strip()
        if choice not in q.options:
            errors[q.label] = "应为以下之一：" + "、".join(q.options)
            continue
        parsed[qid] = (q.options.index(choice) + 1, choice)
    if not parsed and not unknown and not any(q.label in errors for q in questions.values()):
        errors["答卷"] = "至少回答一道题"
    if errors:
        raise ValidationError(errors)
    assert answered_on is not None  # checked above
    return _Sheet(who, str(way), answered_on, remark, parsed)


def _answers_by_position(session: Session, answers: Mapping[int, tuple[int, str]]) -> dict[str, str]:
    """Answers keyed "第N题 题目" for the audit trail (readable without the round's question ids)."""
    if not answers:
        return {}
    names = {i: f"第{p}题 {text}" for i, p, text in session.execute(
        select(SurveyRoundQuestion.id, SurveyRoundQuestion.position, SurveyRoundQuestion.text)
        .where(SurveyRoundQuestion.id.in_(list(answers))))}
    return {names[qid]: choice for qid, (_n, choice) in sorted(answers.items(), key=lambda kv: names[kv[0]])}


def _overall_choice(session: Session, round_id: int, answers: Mapping[int, tuple[int, str]]) -> str:
    overall = session.scalar(select(SurveyRoundQuestion.id).where(SurveyRoundQuestion.round_id == round_id,
                                                                  SurveyRoundQuestion.is_overall.is_(True)))
    return answers[overall][1] if overall is not None and overall in answers else "未答"


def _running(rnd: SurveyRound) -> None:
    if rnd.status != RUNNING:
        raise Conflict(f"调查“{rnd.name}”已结束，答卷不能再录入、修改或撤销")


def record_response(*, actor: Actor, round_id: int, unit_id: int, respondent: Any, way: Any,
                    answered_on: date | None, answers: Mapping[int, Any], comment: Any = "") -> int:
    """录入答卷 of one household for a running round; `answers` maps the round's question ids to the option ticked
    (None or "" for a question left blank)."""
    require(actor, "surveys.record")
    with unit_of_work() as uow:
        s = uow.session
        rnd = _locked_round(s, actor, round_id)
        _running(rnd)
        unit = s.get(Unit, unit_id)
        if unit is None:
            raise NotFound("房屋不存在")
        code = s.scalar(select(unit_code).select_from(Unit).join(Building, Building.id == Unit.building_id).where(Unit.id == unit_id))
        in_scope = s.scalar(select(SurveyRoundUnit.id).where(SurveyRoundUnit.round_id == rnd.id,
                                                             SurveyRoundUnit.unit_id == unit_id))
        sheet = _check_sheet(s, rnd, respondent=respondent, way=way, answered_on=answered_on, answers=answers,
                             comment=comment,
                             errors=None if in_scope else {"房屋": f"{code} 不在本轮调查范围内（建立本轮时未入住）"})
        earlier = s.execute(select(SurveyResponse.respondent, SurveyResponse.answered_on).where(
            SurveyResponse.round_id == rnd.id, SurveyResponse.unit_id == unit_id)).first()
        if earlier is not None:
            raise Conflict(f"{code} 本轮已有答卷（受访人 {earlier[0]}，{earlier[1]}），每户只录一份，请修改原答卷")
        now = utcnow()
        response = SurveyResponse(round_id=rnd.id, unit_id=unit_id, respondent=sheet.respondent, way=sheet.way,
                                  answered_on=sheet.answered_on, comment=sheet.comment,
                                  entered_by=actor.display_name, entered_at=now, updated_at=now)
        s.add(response)
        try:
            s.flush()
        except IntegrityError as exc:  # entered at the same moment at another desk
            raise Conflict(f"{code} 本轮已有答卷，每户只录一份，请刷新后修改原答卷") from exc
        s.add_all(SurveyAnswer(response_id=response.id, round_question_id=qid, point_no=n, choice=choice)
                  for qid, (n, choice) in sheet.answers.items())
        audit.record(s, actor, "create", "survey_responses", response.id, None,
                     {"round": rnd.name, "unit": code, "respondent": sheet.respondent, "way": sheet.way,
                      "answered_on": sheet.answered_on, "answers": _answers_by_position(s, sheet.answers),
                      "comment": sheet.comment})
        _note(s, actor, unit_id, "满意度调查",
              f"{rnd.name}：{sheet.respondent}（{sheet.way}）总体评价 {_overall_choice(s, rnd.id, sheet.answers)}")
        uow.commit()
        return response.id


def _locked_response(session: Session, actor: Actor, response_id: int, version: int
                     ) -> tuple[SurveyResponse, SurveyRound]:
    response = session.get(SurveyResponse, response_id)
    if response is None or not in_scope(actor, cast(SurveyRound, session.get(SurveyRound, response.round_id)).estate_id):
        raise NotFound("答卷不存在（可能已被撤销）")
    if response.version != version:
        raise StaleEdit()
    rnd = _locked_round(session, actor, response.round_id)
    _running(rnd)
    return response, rnd


def update_response(*, actor: Actor, response_id: int, version: int, respondent: Any, way: Any,
                    answered_on: date | None, answers: Mapping[int, Any], comment: Any = "") -> None:
    """修改答卷: the whole sheet as it should read now (a question left blank removes its answer)."""
    require(actor, "surveys.record")
    with unit_of_work() as uow:
        s = uow.session
        response, rnd = _locked_response(s, actor, response_id, version)
        sheet = _check_sheet(s, rnd, respondent=respondent, way=way, answered_on=answered_on, answers=answers,
                             comment=comment)
        old_answers = {qid: (n, choice) for qid, n, choice in s.execute(
            select(SurveyAnswer.round_question_id, SurveyAnswer.point_no, SurveyAnswer.choice)
            .where(SurveyAnswer.response_id == response.id))}
        fields = {"respondent": sheet.respondent, "way": sheet.way, "answered_on": sheet.answered_on,
                  "comment": sheet.comment}
        before = {k: v for k, v in audit.snapshot(response, list(fields)).items() if fields[k] != v}
        after = {k: fields[k] for k in before}
        if old_answers != sheet.answers:
            before["answers"] = _answers_by_position(s, old_answers)
            after["answers"] = _answers_by_position(s, sheet.answers)
        if not after:
            return
        for k, v in fields.items():
            setattr(response, k, v)
        response.updated_at = utcnow()  # also bumps the version when only the answers changed
        for answer in s.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)):
            wanted = sheet.answers.get(answer.round_question_id)
            if wanted is None:
                s.delete(answer)
            else:
                answer.point_no, answer.choice = wanted
        s.add_all(SurveyAnswer(response_id=response.id, round_question_id=qid, point_no=n, choice=choice)
                  for qid, (n, choice) in sheet.answers.items() if qid not in old_answers)
        audit.record(s, actor, "update", "survey_responses", response.id, before, after)
        uow.commit()


def withdraw_response(*, actor: Actor, response_id: int, version: int, reason: Any) -> None:
    """撤销答卷 entered by mistake (wrong household, duplicate paper form): removed, its content kept in the audit."""
    require(actor, "surveys.record")
    try:
        why = parse_text(reason, max_len=200)
    except FieldError as exc:
        raise ValidationError({"撤销原因": str(exc)}) from None
    if not why:
        raise ValidationError({"撤销原因": "必填"})
    with unit_of_work() as uow:
        s = uow.session
        response, rnd = _locked_response(s, actor, response_id, version)
        answers = {qid: (n, choice) for qid, n, choice in s.execute(
            select(SurveyAnswer.round_question_id, SurveyAnswer.point_no, SurveyAnswer.choice)
            .where(SurveyAnswer.response_id == response.id))}
        code = s.scalar(select(unit_code).select_from(Unit).join(Building, Building.id == Unit.building_id)
                        .where(Unit.id == response.unit_id))
        before = {"round": rnd.name, "unit": code, "respondent": response.respondent, "way": response.way,
                  "answered_on": response.answered_on, "answers": _answers_by_position(s, answers),
                  "comment": response.comment, "entered_by": response.entered_by}
        for answer in s.scalars(select(SurveyAnswer).where(SurveyAnswer.response_id == response.id)):
            s.delete(answer)
        s.flush()  # the answers go before their response (foreign keys)
        s.delete(response)
        audit.record(s, actor, "withdraw", "survey_responses", response_id, before, {"reason": why})
        _note(s, actor, response.unit_id, "满意度调查", f"{rnd.name}：答卷已撤销（{why}）")
        uow.commit()


_overall_rq = aliased(SurveyRoundQuestion)
_overall_answer = (select(SurveyAnswer.choice)
                   .join(_overall_rq, _overall_rq.id == SurveyAnswer.round_question_id)
                   .where(SurveyAnswer.response_id == SurveyResponse.id, _overall_rq.is_overall.is_(True))
                   .correlate(SurveyResponse).scalar_subquery())
_answered_count = (select(func.count(SurveyAnswer.id)).where(SurveyAnswer.response_id == SurveyResponse.id)
                   .correlate(SurveyResponse).scalar_subquery())
RESPONSE_COLUMNS = {
    "id": SurveyResponse.id,
    "version": SurveyResponse.version,
    "code": unit_code,
    "building": Building.name,
    "respondent": SurveyResponse.respondent,
    "way": SurveyResponse.way,
    "answered_on": SurveyResponse.answered_on,
    "overall": _overall_answer,
    "answered": _answered_count,
    "comment": SurveyResponse.comment,
    "entered_by": SurveyResponse.entered_by,
    "entered_at": SurveyResponse.entered_at,
}


def list_responses(*, actor: Actor, query: ListQuery) -> PageResult:
    """答卷 of a round (filter round_id), latest first; filters: way, building_id; search 房号, 受访人, 意见."""
    authorize_list(actor, "relations.view", query)
    stmt = join_unit_location(select(*[c.label(n) for n, c in RESPONSE_COLUMNS.items()]), SurveyResponse.unit_id,
                              actor=actor)
    with read_session() as s:
        result = run_list(s, stmt, RESPONSE_COLUMNS, query,
                          search_columns=[unit_code, SurveyResponse.respondent, SurveyResponse.comment],
                          equal_filters={"round_id": SurveyResponse.round_id, "way": SurveyResponse.way,
                                         "building_id": Unit.building_id},
                          default_sort=("answered_on", True), sort_keys={"code": UNIT_CODE_ORDER})
    result.rows["overall"] = result.rows["overall"].fillna("未答")
    return result


_answered_state = case((SurveyResponse.id.is_not(None), literal(ANSWERED)), else_=literal(NOT_ANSWERED))
_first_owner = (select(UnitPerson.person_id).where(UnitPerson.unit_id == Unit.id, UnitPerson.role == "业主",
                                                   UnitPerson.end_on.is_(None))
                .order_by(UnitPerson.id).limit(1).correlate(Unit).scalar_subquery())
HOUSEHOLD_COLUMNS = {
    "id": SurveyRoundUnit.id,
    "unit_id": Unit.id,
    "code": unit_code,
    "building": Building.name,
    "unit_status": Unit.status,
    "owner": select(Person.name).where(Person.id == _first_owner).scalar_subquery(),
    "owner_mobile": select(Person.mobile).where(Person.id == _first_owner).scalar_subquery(),
    "state": _answered_state,
    "respondent": SurveyResponse.respondent,
    "answered_on": SurveyResponse.answered_on,
}


def list_households(*, actor: Actor, query: ListQuery) -> PageResult:
    """调查名单: the households of a round's scope (filter round_id) with whether they answered (filter state:
    已答/未答), in 房号 order — the list staff phone or visit from. Mobiles are masked without people.reveal."""
    authorize_list(actor, "relations.view", query)
    round_id = query.filters.get("round_id")
    stmt = join_unit_location(select(*[c.label(n) for n, c in HOUSEHOLD_COLUMNS.items()]), SurveyRoundUnit.unit_id,
                              actor=actor)
    stmt = stmt.outerjoin(SurveyResponse, and_(SurveyResponse.round_id == SurveyRoundUnit.round_id,
                                               SurveyResponse.unit_id == SurveyRoundUnit.unit_id))
    if round_id in (None, ""):
        stmt = stmt.where(literal(False))  # a name list means one round's list
    owner_name = cast(ColumnElement[Any], HOUSEHOLD_COLUMNS["owner"])
    with read_session() as s:
        result = run_list(s, stmt, HOUSEHOLD_COLUMNS, query, search_columns=[unit_code, owner_name],
                          equal_filters={"round_id": SurveyRoundUnit.round_id, "state": _answered_state,
                                         "building_id": Unit.building_id},
                          default_sort=("code", False), sort_keys={"code": UNIT_CODE_ORDER})
    reveal = can(actor, "people.reveal")
    df = result.rows
    df["owner"] = df["owner"].fillna("")
    df["respondent"] = df["respondent"].fillna("")
    df["owner_mobile"] = [(m if reveal else mask_mobile(m)) if m else "" for m in df["owner_mobile"]]
    return result


# --- figures (KPI.md 业主综合满意率, 调查覆盖率) ---------------------------------------------------------


def _satisfied(answer_point: SQLColumnExpression[int]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((answer_point <= SATISFIED_POINTS, 1), else_=0)), 0)


def _round_figures(session: Session, round_ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """Households, responses, overall answers and satisfied overall answers of each round, in one statement."""
    overall = aliased(SurveyRoundQuestion)
    answered = (select(func.count(SurveyAnswer.id)).join(overall, overall.id == SurveyAnswer.round_question_id)
                .where(overall.round_id == SurveyRound.id, overall.is_overall.is_(True))
                .correlate(SurveyRound).scalar_subquery())
    satisfied = (select(func.count(SurveyAnswer.id)).join(overall, overall.id == SurveyAnswer.round_question_id)
                 .where(overall.round_id == SurveyRound.id, overall.is_overall.is_(True),
                        SurveyAnswer.point_no <= SATISFIED_POINTS)
                 .correlate(SurveyRound).scalar_subquery())
    out: dict[int, dict[str, Any]] = {}
    for row in session.execute(select(SurveyRound.id, _households, _responses, answered, satisfied)
                               .where(SurveyRound.id.in_(list(round_ids)))):
        h, r, a, sat = (int(v or 0) for v in row[1:])
        out[row[0]] = {"households": h, "responded": r, "coverage": rate(r, h), "answered": a, "satisfied": sat,
                       "satisfaction": rate(sat, a)}
    return out


def _require_round(session: Session, round_id: int) -> None:
    if session.get(SurveyRound, round_id) is None:
        raise NotFound("调查轮次不存在")


def _by_building(session: Session, round_id: int) -> pd.DataFrame:
    """Per building of the round's scope: households, responses, overall answers, satisfied — one grouped query."""
    overall = aliased(SurveyRoundQuestion)
    stmt = (select(Building.id, Building.name, func.count(SurveyRoundUnit.id), func.count(SurveyResponse.id),
                   func.count(SurveyAnswer.id), _satisfied(SurveyAnswer.point_no))
            .select_from(SurveyRoundUnit)
            .join(Unit, Unit.id == SurveyRoundUnit.unit_id)
            .join(Building, Building.id == Unit.building_id)
            .join(overall, and_(overall.round_id == SurveyRoundUnit.round_id, overall.is_overall.is_(True)))
            .outerjoin(SurveyResponse, and_(SurveyResponse.round_id == SurveyRoundUnit.round_id,
                                            SurveyResponse.unit_id == SurveyRoundUnit.unit_id))
            .outerjoin(SurveyAnswer, and_(SurveyAnswer.response_id == SurveyResponse.id,
                                          SurveyAnswer.round_question_id == overall.id))
            .where(SurveyRoundUnit.round_id == round_id)
            .group_by(Building.id, Building.name, Building.code)
            .order_by(func.length(Building.code), Building.code))
    rows = [(bid, name, int(h), int(r), int(a), int(sat)) for bid, name, h, r, a, sat in session.execute(stmt)]
    return pd.DataFrame(
        [{"building_id": bid, "building": name, "households": h, "responded": r, "coverage": rate(r, h),
          "answered": a, "satisfied": sat, "satisfaction": rate(sat, a)} for bid, name, h, r, a, sat in rows],
        columns=["building_id", "building", "households", "responded", "coverage", "answered", "satisfied",
                 "satisfaction"], dtype=object)


def _by_question(session: Session, round_id: int) -> pd.DataFrame:
    """Per question of the round: its answers and the satisfied ones — one grouped query."""
    stmt = (select(SurveyRoundQuestion.position, SurveyRoundQuestion.text, SurveyRoundQuestion.is_overall,
                   func.count(SurveyAnswer.id), _satisfied(SurveyAnswer.point_no))
            .select_from(SurveyRoundQuestion)
            .outerjoin(SurveyAnswer, SurveyAnswer.round_question_id == SurveyRoundQuestion.id)
            .where(SurveyRoundQuestion.round_id == round_id)
            .group_by(SurveyRoundQuestion.id, SurveyRoundQuestion.position, SurveyRoundQuestion.text,
                      SurveyRoundQuestion.is_overall)
            .order_by(SurveyRoundQuestion.position))
    rows = [(p, text, bool(o), int(a), int(sat)) for p, text, o, a, sat in session.execute(stmt)]
    return pd.DataFrame(
        [{"position": p, "question": text, "is_overall": o, "answered": a, "satisfied": sat,
          "satisfaction": rate(sat, a)} for p, text, o, a, sat in rows],
        columns=["position", "question", "is_overall", "answered", "satisfied", "satisfaction"], dtype=object)


def survey_satisfaction(*, round_id: int, by: str | None = None) -> pd.DataFrame:
    """业主综合满意率 of a round (KPI.md): overall answers in the top two points of the scale / overall answers.

    by=None: one row (answered, satisfied, satisfaction). by="building": a row per building of the round's scope
    (building_id, building, households, responded, coverage, answered, satisfied, satisfaction), from the overall
    question. by="question": a row per question (position, question, is_overall, answered, satisfied,
    satisfaction), from that question's answers. A rate is a 4-place Decimal, None when nothing was answered.
    """
    if by not in GROUPS:
        raise ValueError(f"by={by!r}: one of {GROUPS}")
    with read_session() as s:
        _require_round(s, round_id)
        if by == "building":
            return _by_building(s, round_id)
        if by == "question":
            return _by_question(s, round_id)
        f = _round_figures(s, [round_id])[round_id]
    return pd.DataFrame([{k: f[k] for k in ("answered", "satisfied", "satisfaction")}], dtype=object)


@dataclass(frozen=True)
class SurveyCoverage:
    """调查覆盖率 of a round: households that responded / households of its scope (occupied at its opening)."""

    households: int
    responded: int
    coverage: Decimal | None


def survey_coverage(*, round_id: int) -> SurveyCoverage:
    """调查覆盖率 of a round (KPI.md); None when its scope holds no household."""
    with read_session() as s:
        _require_round(s, round_id)
        f = _round_figures(s, [round_id])[round_id]
    return SurveyCoverage(f["households"], f["responded"], f["coverage"])


LATEST_COLUMNS = ["id", "estate", "name", "start_on", "end_on", "status", "households", "responded", "coverage",
                  "answered", "satisfied", "satisfaction"]


def latest_rounds(*, actor: Actor, limit: int = 5) -> pd.DataFrame:
    """The latest rounds (by start date) with their 综合满意率 and 覆盖率, for the manager's home: two statements."""
    require(actor, "relations.view")
    limit = max(1, min(int(limit), 50))
    with read_session() as s:
        rounds = _round_rows(s, actor, limit=limit)
        figures = _round_figures(s, [r.id for r in rounds]) if rounds else {}
    return pd.DataFrame([{"id": r.id, "estate": r.estate, "name": r.name, "start_on": r.start_on,
                          "end_on": r.end_on, "status": r.status, **figures[r.id]} for r in rounds],
                        columns=LATEST_COLUMNS, dtype=object)


@dataclass(frozen=True)
class RoundResults:
    """What the results view of one round shows."""

    round: RoundInfo
    households: int
    responded: int
    coverage: Decimal | None
    answered: int
    satisfied: int
    satisfaction: Decimal | None
    by_building: pd.DataFrame
    by_question: pd.DataFrame
    distribution: pd.DataFrame  # position, question, point_no, choice, answers


def _distribution(session: Session, round_id: int) -> pd.DataFrame:
    stmt = (select(SurveyRoundQuestion.position, SurveyRoundQuestion.text, SurveyAnswer.point_no,
                   SurveyAnswer.choice, func.count(SurveyAnswer.id))
            .join(SurveyRoundQuestion, SurveyRoundQuestion.id == SurveyAnswer.round_question_id)
            .where(SurveyRoundQuestion.round_id == round_id)
            .group_by(SurveyRoundQuestion.position, SurveyRoundQuestion.text, SurveyAnswer.point_no,
                      SurveyAnswer.choice)
            .order_by(SurveyRoundQuestion.position, SurveyAnswer.point_no))
    return pd.DataFrame([(p, text, int(n), choice, int(c)) for p, text, n, choice, c in session.execute(stmt)],
                        columns=["position", "question", "point_no", "choice", "answers"])


def round_results(*, actor: Actor, round_id: int) -> RoundResults:
    """A round's figures overall, by building and by question, and how each question was answered."""
    require(actor, "relations.view")
    info = round_detail(actor=actor, round_id=round_id)
    with read_session() as s:
        f = _round_figures(s, [round_id])[round_id]
        return RoundResults(info, f["households"], f["responded"], f["coverage"], f["answered"], f["satisfied"],
                            f["satisfaction"], _by_building(s, round_id), _by_question(s, round_id),
                            _distribution(s, round_id))


# --- Excel ----------------------------------------------------------------------------------------


def _pct(value: Decimal | None) -> Decimal | None:
    """A rate as the percentage Excel users read (95.12), None stays empty."""
    return None if value is None else (value * 100).quantize(Decimal("0.01"))


def responses_frame(*, actor: Actor, round_id: int) -> pd.DataFrame:
    """Every response of a round, one row per household with a column per question (the answer sheet as typed)."""
    authorize_list(actor, "relations.view", ListQuery(page_size=None))
    info = round_detail(actor=actor, round_id=round_id)
    with read_session() as s:
        rows = s.execute(join_unit_location(
            select(SurveyResponse.id, unit_code, Building.name, SurveyResponse.respondent, SurveyResponse.way,
                   SurveyResponse.answered_on, SurveyResponse.comment, SurveyResponse.entered_by),
            SurveyResponse.unit_id).where(SurveyResponse.round_id == round_id).order_by(*UNIT_CODE_ORDER)).all()
        answers = s.execute(select(SurveyAnswer.response_id, SurveyAnswer.round_question_id, SurveyAnswer.choice)
                            .join(SurveyResponse, SurveyResponse.id == SurveyAnswer.response_id)
                            .where(SurveyResponse.round_id == round_id)).all()
    sheet: dict[int, dict[int, str]] = {}
    for rid, qid, choice in answers:
        sheet.setdefault(rid, {})[qid] = choice
    records = []
    row: Any
    for row in rows:
        rid, code, building, respondent, way, answered_on, comment, entered_by = row
        record: dict[str, Any] = {"房号": code, "楼栋": building, "受访人": respondent, "调查方式": way,
                                  "答卷日期": answered_on}
        for q in info.questions:
            record[f"{q.position}. {q.text}"] = sheet.get(rid, {}).get(q.id, "")
        record.update({"意见建议": comment, "录入人": entered_by})
        records.append(record)
    columns = ["房号", "楼栋", "受访人", "调查方式", "答卷日期", *[f"{q.position}. {q.text}" for q in info.questions],
               "意见建议", "录入人"]
    return pd.DataFrame(records, columns=columns, dtype=object)


def responses_workbook(*, actor: Actor, round_id: int) -> bytes:
    """答卷明细 of a round as an Excel workbook (needs data.export)."""
    frame = responses_frame(actor=actor, round_id=round_id)
    return excel_workbook({"答卷明细": frame})


def results_workbook(*, actor: Actor, round_id: int) -> bytes:
    """调查结果 of a round as an Excel workbook: 总体, 按楼栋, 按题目, 选项分布 (needs data.export)."""
    authorize_list(actor, "relations.view", ListQuery(page_size=None))
    r = round_results(actor=actor, round_id=round_id)
    summary = pd.DataFrame([
        ("小区", r.round.estate), ("调查名称", r.round.name), ("调查期间", f"{r.round.start_on} 至 {r.round.end_on}"),
        ("状态", r.round.status), ("调查范围（户）", r.households), ("已答户数", r.responded),
        ("调查覆盖率（%）", _pct(r.coverage)), ("总体评价有效答卷", r.answered), ("满意及基本满意", r.satisfied),
        ("业主综合满意率（%）", _pct(r.satisfaction)),
    ], columns=["项目", "数值"], dtype=object)
    buildings = pd.DataFrame({
        "楼栋": r.by_building["building"], "调查范围（户）": r.by_building["households"],
        "已答户数": r.by_building["responded"], "覆盖率（%）": [_pct(v) for v in r.by_building["coverage"]],
        "总体评价有效答卷": r.by_building["answered"], "满意及基本满意": r.by_building["satisfied"],
        "综合满意率（%）": [_pct(v) for v in r.by_building["satisfaction"]]})
    questions = pd.DataFrame({
        "序号": r.by_question["position"], "题目": r.by_question["question"], "有效答卷": r.by_question["answered"],
        "满意及基本满意": r.by_question["satisfied"],
        "满意率（%）": [_pct(v) for v in r.by_question["satisfaction"]]})
    spread = pd.DataFrame({"序号": r.distribution["position"], "题目": r.distribution["question"],
                           "选项": r.distribution["choice"], "答卷数": r.distribution["answers"]})
    return excel_workbook({"总体": summary, "按楼栋": buildings, "按题目": questions, "选项分布": spread})


def default_round_name(today: date | None = None) -> str:
    """"2026年下半年业主满意度调查": the name a round usually has (上半年 January–June)."""
    day = today or local_today()
    return f"{day.year}年{'上' if day.month <= 6 else '下'}半年业主满意度调查"


def default_round_end(start_on: date) -> date:
    """The end of the half-year the round starts in."""
    return date(start_on.year, 6, 30) if start_on.month <= 6 else date(start_on.year, 12, 31)
