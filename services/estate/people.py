"""People 人员 and the one search box.

Invariants:
- lists and cards show mobiles and ID numbers masked; the full value is only
  returned by `reveal`, which requires people.reveal and writes an audit row;
- a person is never deleted: links to units end (end_on), the person stays;
- the search answers from indexed columns only (unit code parts, compact code,
  mobile, its last four digits, ID number, name prefix, pinyin initials prefix),
  so it stays fast at tens of thousands of people.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, SQLColumnExpression, and_, or_, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Building, Estate, Person, Unit, UnitPerson
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.editing import RowEdit, apply_edits
from services.platform.errors import Conflict, NotFound, ValidationError
from services.platform.identity import check_id_number, check_landline, check_mobile
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.privacy import mask_id_number, mask_mobile
from services.platform.scope import estate_clause, person_clause
from services.platform.tablespec import Field, TableSpec

SEARCH_LIMIT = 20
GENDERS = ("男", "女", "")

# The private columns (mobile, ID number) arrive masked in the grid, so they are asked for on the form only.
PERSON_TABLE = TableSpec("people", (
    Field("name", "姓名", "people.name", editable=True, creatable=True, required=True, max_len=64),
    Field("gender", "性别", "people.gender", "choice", editable=True, creatable=True, options=("男", "女")),
    Field("mobile", "手机号", "people.mobile", creatable=True, max_len=20, check=check_mobile),
    Field("phone", "固定电话", "people.phone", editable=True, creatable=True, max_len=20, check=check_landline),
    Field("id_number", "身份证号", "people.id_number", creatable=True, max_len=18, check=check_id_number),
    Field("is_company", "单位", "people.is_company", "bool", editable=True, creatable=True),
    Field("note", "备注", "people.note", editable=True, creatable=True, max_len=500),
))
PERSON_RULES = PERSON_TABLE.create_rules
PERSON_GRID_RULES = PERSON_TABLE.edit_rules


@dataclass(frozen=True)
class SearchHit:
    unit_id: int
    estate: str
    code: str
    status: str
    person: str  # "张伟（业主） 138****8000" or ""
    matched: str  # what matched, in words: 房号 / 手机尾号 / 拼音 ...
    person_name: str = ""  # the person the search matched (phone, name, ID...); "" when it matched a unit


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _prefix(col: SQLColumnExpression[str], text: str) -> ColumnElement[bool]:
    """Index-friendly prefix match (LIKE 'x%' cannot use an index on every backend)."""
    return and_(col >= text, col < text + "\uffff")


def _unit_code(b_code: str, unit_no: str, room_no: str) -> str:
    return f"{b_code}-{unit_no}-{room_no}"


@dataclass(frozen=True)
class SearchTerms:
    """What one search text asks for: conditions on units and on people, and the word for what matched."""

    text: str
    unit_conds: tuple[ColumnElement[bool], ...]
    person_conds: tuple[ColumnElement[bool], ...]
    matched: str


def search_terms(text: str) -> SearchTerms | None:
    """Read a search text the way the one search box does (None for an empty text); the parking-lease search
    (services.estate.parking.search_leases) reuses the person conditions, so a lessee is found the same way."""
    q = _normalise(text)
    if not q:
        return None
    q = q[:40]
    unit_conds = []
    person_conds = []
    matched = ""
    parts = re.split(r"[-－—/ ]", q)
    if len(parts) == 3 and all(parts):
        unit_conds.append(and_(Building.code == parts[0], Unit.unit_no == parts[1], Unit.room_no == parts[2]))
        matched = "房号"
    elif q.isdigit():
        if len(q) == 11:
            person_conds.append(Person.mobile == q)
            matched = "手机号"
        elif len(q) == 4:
            person_conds.append(Person.mobile_last4 == q)
            unit_conds.append(or_(Unit.compact_code == q, Unit.room_no == q))
            matched = "手机尾号或房号"
        elif len(q) == 18:
            person_conds.append(Person.id_number == q)
            matched = "身份证号"
        else:
            unit_conds.append(or_(Unit.compact_code == q, Unit.room_no == q))
            matched = "房号"
    elif re.fullmatch(r"\d{17}[xX]", q):
        person_conds.append(Person.id_number == q.upper())
        matched = "身份证号"
    elif re.fullmatch(r"[A-Za-z]+", q):
        person_conds.append(_prefix(Person.pinyin_initials, q.lower()))
        unit_conds.append(Unit.room_no == q.upper())
        matched = "拼音首字母"
    else:
        person_conds.append(_prefix(Person.name, q))
        unit_conds.append(Unit.room_no == q)
        matched = "姓名"
    return SearchTerms(q, tuple(unit_conds), tuple(person_conds), matched)


def search(*, actor: Actor, text: str, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
    """Find units by code (1-1-101, 11101, 101), person name, pinyin initials, phone (or last 4), ID number."""
    require(actor, "units.view")
    terms = search_terms(text)
    if terms is None:
        return []
    unit_conds, person_conds, matched = terms.unit_conds, terms.person_conds, terms.matched

    hits: dict[int, SearchHit] = {}
    with read_session() as s:
        if unit_conds:
            stmt = (
                select(Unit.id, Estate.name, Building.code, Unit.unit_no, Unit.room_no, Unit.status)
                .join(Building, Building.id == Unit.building_id)
                .join(Estate, Estate.id == Unit.estate_id)
                .where(or_(*unit_conds), estate_clause(actor, Unit.estate_id))
                .order_by(Estate.code, Unit.id)
                .limit(limit)
            )
            for uid, estate, b_code, unit_no, room_no, status in s.execute(stmt):
                hits[uid] = SearchHit(uid, estate, _unit_code(b_code, unit_no, room_no), status,
                                      _current_people_line(s, uid), "房号")
        if person_conds and len(hits) < limit:
            person_stmt = (
                select(Unit.id, Estate.name, Building.code, Unit.unit_no, Unit.room_no, Unit.status,
                       Person.name, Person.mobile, UnitPerson.role)
                .join(UnitPerson, UnitPerson.person_id == Person.id)
                .join(Unit, Unit.id == UnitPerson.unit_id)
                .join(Building, Building.id == Unit.building_id)
                .join(Estate, Estate.id == Unit.estate_id)
                .where(or_(*person_conds), UnitPerson.end_on.is_(None), estate_clause(actor, Unit.estate_id))
                .order_by(Person.name, Unit.id)
                .limit(limit)
            )
            for (uid, estate, b_code, unit_no, room_no, status, name, mobile,
                 role) in s.execute(person_stmt):
                if uid in hits or len(hits) >= limit:
                    continue
                line = f"{name}（{role}） {mask_mobile(mobile)}".strip()
                hits[uid] = SearchHit(uid, estate, _unit_code(b_code, unit_no, room_no), status, line, matched,
                                      person_name=name)
    return list(hits.values())


def _current_people_line(session: Session, unit_id: int) -> str:
    rows = session.execute(
        select(Person.name, Person.mobile, UnitPerson.role)
        .join(UnitPerson, UnitPerson.person_id == Person.id)
        .where(UnitPerson.unit_id == unit_id, UnitPerson.end_on.is_(None))
        .order_by(UnitPerson.id)
        .limit(2)
    ).all()
    return "；".join(f"{n}（{r}） {mask_mobile(m)}".strip() for n, m, r in rows)


PEOPLE_COLUMNS = {
    "id": Person.id,
    "version": Person.version,
    "name": Person.name,
    "gender": Person.gender,
    "mobile": Person.mobile,
    "phone": Person.phone,
    "id_number": Person.id_number,
    "is_company": Person.is_company,
    "pinyin_initials": Person.pinyin_initials,
    "note": Person.note,
}


def list_people(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of people, private numbers masked; search by name, initials, phone tail or ID."""
    authorize_list(actor, "units.view", query)
    with read_session() as s:
        result = run_list(
            s, select(*[c.label(n) for n, c in PEOPLE_COLUMNS.items()]).where(person_clause(actor, Person.id)),
            PEOPLE_COLUMNS, query,
            search_columns=[Person.name, Person.pinyin_initials, Person.mobile_last4, Person.note],
            default_sort=("name", False),
        )
    df = result.rows
    df["mobile"] = [mask_mobile(m or "") for m in df["mobile"]]
    df["id_number"] = [mask_id_number(i or "") for i in df["id_number"]]
    return result


def update_people(*, actor: Actor, edits: Sequence[RowEdit]) -> int:
    """Grid edits to people (name, gender, landline, company flag, note), all or nothing."""
    require(actor, "people.edit")
    with unit_of_work() as uow:
        s = uow.session
        n = apply_edits(uow.session, actor=actor, model=Person, entity="people", edits=edits,
                        rules=PERSON_GRID_RULES, row_label=lambda p: p.name, visible=lambda p: _visible(s, actor, p))
        uow.commit()
    return n


def _visible(session: Session, actor: Actor, person: Person) -> bool:
    """Whether the person lives or lived in (or rents a space of) one of the actor's estates."""
    return session.scalar(select(Person.id).where(Person.id == person.id, person_clause(actor, Person.id))) is not None


def parse_person(values: dict[str, Any]) -> dict[str, Any]:
    """Validate a person form (name, gender, mobile, landline, ID number...) — all problems at once."""
    parsed, errors = PERSON_RULES.parse(values)
    if not parsed.get("name"):
        errors.setdefault("姓名", "必填")
    if not parsed.get("mobile") and not parsed.get("phone") and "手机号" not in errors:
        errors.setdefault("手机号", "手机号和固定电话至少填一个")
    if errors:
        raise ValidationError(errors)
    return parsed


def find_or_create_person(session: Session, actor: Actor, values: dict[str, Any], *,
                          audited: bool = True) -> Person:
    """The person with the same name and mobile, or a new one (people match on name + mobile).

    A workflow that records the person in its own audit row passes audited=False."""
    person = None
    if values.get("mobile"):
        person = session.scalar(select(Person).where(Person.name == values["name"],
                                                     Person.mobile == values["mobile"]))
    if person is None:
        if values.get("id_number"):
            clash = session.scalar(select(Person).where(Person.id_number == values["id_number"]))
            if clash is not None:
                # the holder is named only to a user who may see them: someone of another estate stays unnamed
                if _visible(session, actor, clash):
                    raise Conflict(f"身份证号已登记在“{clash.name}”名下，请核对")
                raise Conflict("身份证号已登记在其他人员名下，请核对姓名和手机号")
        person = Person(**{k: v for k, v in values.items() if v is not None})
        session.add(person)
        session.flush()
        if audited:
            audit.record(session, actor, "create", "people", person.id, None,
                         {k: v for k, v in values.items() if k not in ("id_number",)})
    return person


def reveal(*, actor: Actor, person_id: int, field: str) -> str:
    """The full mobile or ID number of one person; the look is recorded in the audit trail."""
    require(actor, "people.reveal")
    if field not in ("mobile", "id_number"):
        raise ValidationError({"字段": "只能查看手机号或身份证号"})
    with unit_of_work() as uow:
        person = uow.session.get(Person, person_id)
        if person is None or not _visible(uow.session, actor, person):
            raise NotFound("人员不存在")
        value: str = getattr(person, field)  # mobile or id_number, both str columns
        audit.record(uow.session, actor, "reveal", "people", person_id, None, {"field": field})
        uow.commit()
    return value
