"""Demo 满意度调查: the standard questionnaire, and per estate an ended round of the last half-year and a running one.

With today in 2026-12: 2026年上半年 (11 May – 30 June, ended 2 July, about 55% of the occupied households answered)
and 2026年下半年 (started 1 November, running, about a third answered so far). Answers follow a household's mood
(mostly 满意/基本满意, some 一般, a few 不满意), with the usual weak spots of a 物业 survey (停车管理, 收费透明) a notch
lower and the second half-year a little better than the first; a few households skip a question, one in five
writes a comment that fits their mood.

Rounds are opened and the first one closed through the services (their scope, question copies and audit rows are
the real ones; the creation and closing times are then set back to the days they happened); the responses and
answers are bulk-inserted with one audit row each (record_many), fast enough for the test suite's demo build.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from db.engine import read_session, unit_of_work
from db.models import (
    Estate,
    Person,
    SurveyAnswer,
    SurveyResponse,
    SurveyRound,
    SurveyRoundQuestion,
    SurveyRoundUnit,
    UnitPerson,
    User,
)
from services.platform import audit
from services.platform.auth import Actor, Role
from services.platform.clock import SHANGHAI, local_today, utcnow
from services.relations import surveys

WAY_WEIGHTS = (("纸质问卷", 45), ("电话", 30), ("上门", 20), ("来访", 5))
MOOD_WEIGHTS = (0.52, 0.32, 0.11, 0.04, 0.01)  # 满意 .. 很不满意, a household's usual answer
# how much worse (+) or better (-) a question is answered than the household's mood, on average
QUESTION_BIAS = {"客服接待": -0.25, "维修服务": 0.1, "保洁服务": -0.15, "绿化养护": -0.1, "秩序维护与安全": 0.05,
                 "停车管理": 0.45, "收费透明": 0.35, "总体评价": 0.0}
GOOD_COMMENTS = ("保洁阿姨很负责，楼道一直很干净", "维修师傅上门及时，态度很好", "绿化修剪及时，小区环境越来越好",
                 "客服小林解答耐心，办事效率高", "夜间巡逻很认真，住着安心", "节日活动办得不错，希望多组织")
FAIR_COMMENTS = ("希望增加儿童游乐设施", "快递柜不够用，建议增加", "建议地库增加照明", "希望公示停车收费标准",
                 "垃圾分类投放点夏天气味较大", "希望延长客服中心周末值班时间")
BAD_COMMENTS = ("外来车辆乱停乱放，希望加强管理", "电梯经常故障，维修太慢", "物业费收支希望每季度公示",
                "楼上装修噪音没人管", "报修后等了三天才有人来", "地库积水问题反映多次未解决")


def _actor(session: Any, username: str) -> Actor:
    row = session.execute(select(User.id, User.username, User.display_name, User.role, User.staff_id)
                          .where(User.username == username)).one()
    return Actor(user_id=row[0], username=row[1], display_name=row[2], role=Role(row[3]), staff_id=row[4])


def _halves(today: date) -> tuple[tuple[str, date, date], tuple[str, date, date]]:
    """(name, start, end) of the last half-year's round and of the running one (started a month before today's
    month, and not before its half-year began)."""
    first_half = today.month <= 6
    month_start = date(today.year, today.month, 1)
    previous_month = (month_start - timedelta(days=1)).replace(day=1)
    half_start = date(today.year, 1 if first_half else 7, 1)
    running_start = max(half_start, previous_month)
    running = (f"{today.year}年{'上' if first_half else '下'}半年业主满意度调查", running_start,
               surveys.default_round_end(running_start))
    if first_half:
        ended = (f"{today.year - 1}年下半年业主满意度调查", date(today.year - 1, 11, 1), date(today.year - 1, 12, 31))
    else:
        ended = (f"{today.year}年上半年业主满意度调查", date(today.year, 5, 11), date(today.year, 6, 30))
    return ended, running


def _moment(day: date, rng: random.Random) -> datetime:
    return datetime.combine(day, time(rng.randrange(9, 18), rng.randrange(60)), SHANGHAI)


def _answers(rng: random.Random, questions: list[tuple[int, str, tuple[str, ...], bool]], mood: float,
             lift: float) -> dict[int, tuple[int, str]]:
    out = {}
    for qid, text, options, overall in questions:
        if not overall and rng.random() < 0.03:
            continue  # skipped on the paper form
        if overall and rng.random() < 0.015:
            continue
        score = mood + QUESTION_BIAS.get(text, 0.0) - lift + rng.gauss(0, 0.45)
        point = min(len(options), max(1, round(score) + 1))
        out[qid] = (point, options[point - 1])
    return out


def _comment(rng: random.Random, overall_point: int | None) -> str:
    if rng.random() > 0.22:
        return ""
    if overall_point is None or overall_point <= 1:
        return rng.choice(GOOD_COMMENTS)
    return rng.choice(FAIR_COMMENTS if overall_point <= 3 else BAD_COMMENTS)


def _fill_round(rng: random.Random, round_id: int, start: date, last_day: date, share: float, lift: float,
                clerks: list[Actor]) -> int:
    """Responses of `share` of the round's households, answered between `start` and `last_day`."""
    with read_session() as s:
        scope = list(s.scalars(select(SurveyRoundUnit.unit_id).where(SurveyRoundUnit.round_id == round_id)
                               .order_by(SurveyRoundUnit.unit_id)))
        people: dict[int, list[str]] = {}
        for uid, name, role in s.execute(
                select(UnitPerson.unit_id, Person.name, UnitPerson.role).join(Person, Person.id == UnitPerson.person_id)
                .join(SurveyRoundUnit, SurveyRoundUnit.unit_id == UnitPerson.unit_id)
                .where(SurveyRoundUnit.round_id == round_id, UnitPerson.end_on.is_(None))
                .order_by(UnitPerson.unit_id, UnitPerson.id)):
            people.setdefault(uid, [])
            if role == "业主":
                people[uid].insert(0, name)
            else:
                people[uid].append(name)
        questions = [(qid, text, tuple(scale.split(surveys.SCALE_SEPARATOR)), bool(overall))
                     for qid, text, scale, overall in s.execute(
                         select(SurveyRoundQuestion.id, SurveyRoundQuestion.text, SurveyRoundQuestion.scale,
                                SurveyRoundQuestion.is_overall).where(SurveyRoundQuestion.round_id == round_id)
                         .order_by(SurveyRoundQuestion.position))]
        round_name = s.scalar(select(SurveyRound.name).where(SurveyRound.id == round_id))
    overall_id = next(qid for qid, _t, _o, overall in questions if overall)
    span = max(0, (last_day - start).days)
    now = utcnow()
    rows: list[dict[str, Any]] = []
    sheets: dict[int, dict[int, tuple[int, str]]] = {}
    for uid in scope:
        if rng.random() >= share:
            continue
        mood = rng.choices(range(5), weights=MOOD_WEIGHTS)[0]
        answers = _answers(rng, questions, mood, lift)
        names = people.get(uid) or ["业主"]
        respondent = names[0] if rng.random() < 0.8 or len(names) == 1 else rng.choice(names[1:])
        answered_on = start + timedelta(days=min(span, int(span * rng.random() ** 1.3)))  # most in the first weeks
        entered = min(_moment(answered_on + timedelta(days=rng.choice((0, 0, 1, 2))), rng), now)
        overall = answers.get(overall_id)
        rows.append({"round_id": round_id, "unit_id": uid, "respondent": respondent[:32],
                     "way": rng.choices([w for w, _ in WAY_WEIGHTS], weights=[n for _, n in WAY_WEIGHTS])[0],
                     "answered_on": answered_on, "comment": _comment(rng, overall[0] if overall else None),
                     "entered_by": rng.choice(clerks).display_name, "entered_at": entered, "updated_at": entered,
                     "version": 1})
        sheets[uid] = answers
    if not rows:
        return 0
    texts = {qid: (n, text) for n, (qid, text, _o, _v) in enumerate(questions, start=1)}
    with unit_of_work() as uow:
        s = uow.session
        s.execute(insert(SurveyResponse), rows)
        ids = dict(s.execute(select(SurveyResponse.unit_id, SurveyResponse.id)
                             .where(SurveyResponse.round_id == round_id)).all())
        s.execute(insert(SurveyAnswer), [
            {"response_id": ids[uid], "round_question_id": qid, "point_no": point, "choice": choice}
            for uid, answers in sheets.items() for qid, (point, choice) in answers.items()])
        for clerk in {a.display_name: a for a in clerks}.values():  # one audit row per response, by its clerk
            audit.record_many(s, clerk, "create", [(
                "survey_responses", ids[row["unit_id"]], None,
                {"round": round_name, "unit_id": row["unit_id"], "respondent": row["respondent"], "way": row["way"],
                 "answered_on": row["answered_on"], "comment": row["comment"],
                 "answers": {f"第{texts[q][0]}题 {texts[q][1]}": c
                             for q, (_p, c) in sorted(sheets[row["unit_id"]].items())}})
                for row in rows if row["entered_by"] == clerk.display_name])
        uow.commit()
    return len(rows)


def build(rng: random.Random) -> None:
    """The questionnaire and two rounds per estate (an ended one and a running one), ending today."""
    today = local_today()
    with read_session() as s:
        manager = _actor(s, "manager")
        clerks = [_actor(s, name) for name in ("service", "service", "clerk", "manager")]
        estates = list(s.execute(select(Estate.id, Estate.name).where(Estate.active.is_(True))
                                 .order_by(Estate.code)))
    surveys.add_standard_questionnaire(actor=manager)
    (ended_name, ended_start, ended_end), (running_name, running_start, running_end) = _halves(today)
    for estate_id, _estate in estates:
        ended_id = surveys.open_round(actor=manager, estate_id=estate_id, name=ended_name, start_on=ended_start,
                                      end_on=ended_end, note="纸质问卷入户发放，电话补充回访")
        _fill_round(rng, ended_id, ended_start, ended_end, rng.uniform(0.48, 0.57), 0.0, clerks)
        with read_session() as s:
            version = s.scalar(select(SurveyRound.version).where(SurveyRound.id == ended_id))
        surveys.close_round(actor=manager, round_id=ended_id, version=version or 1)
        running_id = surveys.open_round(actor=manager, estate_id=estate_id, name=running_name,
                                        start_on=running_start, end_on=running_end)
        _fill_round(rng, running_id, running_start, min(today, running_end), rng.uniform(0.3, 0.4), 0.15, clerks)
        with unit_of_work() as uow:  # the rounds were opened and closed on their own days, not at the demo build
            uow.session.execute(update(SurveyRound).where(SurveyRound.id == ended_id).values(
                created_at=_moment(ended_start - timedelta(days=3), rng),
                closed_at=_moment(ended_end + timedelta(days=2), rng)))
            uow.session.execute(update(SurveyRound).where(SurveyRound.id == running_id).values(
                created_at=_moment(running_start - timedelta(days=2), rng)))
            uow.commit()
