"""失物招领 lost and found: the 《失物登记表》 of items in the service centre's keeping, their claims, the quarterly
招领启事 and the disposal of what nobody claimed.

Invariants:
- an item is 待认领 until it is 已认领 (claimant's name and phone, the 证件 type, the fact the 证件 was checked in
  person, when, and the signed-in user who handed it over) or 已处置 (how, by whom, on which day); nothing leaves
  已认领 or 已处置, and only a 待认领 item's registration is edited, on the version its editor saw;
- found_at, claimed_at and disposed_on are never in the future; an item is not claimed or disposed of before it
  was found; a claim without the 证件 checked is refused;
- the seeds' rule (003: 失物清理并公示 1次/季): after a quarter ends, the items of an estate still unclaimed are
  posted on its board as one 《失物招领》启事 (post_quarter_notice: one per estate and quarter, claimable until
  CLAIM_DAYS days after it was posted). An item may be disposed of only when a posted notice listed it, that
  notice's claim_by has passed and it was held at least HOLD_DAYS days: from `disposable_from` on — refused before
  that, and refused for an item no notice listed, each with the rule and, where there is one, the day;
- 贵重物品、重要资料 (`valuable`) get a notice of their own at once (item_notice_pdf), as the seeds ask;
- the claimant's and the finder's phones are shown in full only to roles with people.reveal;
- writes need lost.manage (front desk, clerk, manager); reading needs relations.view; every change writes one
  audit row in the same transaction, or nothing is written.

Open first: register_item / claim_item / dispose_item for the workflow, list_items for the grid, the quarter
functions (unclaimed_in_quarter, count_unclaimed, post_quarter_notice, quarter_notice_pdf) for the quarterly round.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Estate, LostItem, LostNotice
from db.types import utcnow
from services.platform import audit, counters
from services.platform.auth import Actor, can, require
from services.platform.clock import SHANGHAI, local_today, to_local
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.identity import LANDLINE_RE, MOBILE_RE
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.privacy import mask_mobile
from services.platform.scope import estate_clause, in_scope
from services.platform.settings import get_setting
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import FieldError, echo
from services.relations import notice_print

WAITING, CLAIMED, DISPOSED = "待认领", "已认领", "已处置"
LOST_STATUSES = (WAITING, CLAIMED, DISPOSED)
ID_KINDS = ("居民身份证", "护照", "港澳通行证", "台胞证", "驾驶证", "其他有效证件")
DISPOSAL_WAYS = ("上交派出所", "捐赠", "销毁", "其他")
HOLD_DAYS = 90  # an item is kept at least this long before it may be disposed of
CLAIM_DAYS = 30  # a quarterly notice's claim period, from the day it is posted
_QUARTER_WORDS = "一二三四"


def _phone(text: str) -> str:
    value = text.replace(" ", "")
    if MOBILE_RE.fullmatch(value.replace("-", "")):
        return value.replace("-", "")
    if LANDLINE_RE.fullmatch(value):
        return value
    raise FieldError("应为 11 位手机号或带区号的固定电话，例如 13812345678 或 020-12345678")


LOST_TABLE = TableSpec("lost_items", (
    Field("what", "物品", "lost.what", creatable=True, required=True, max_len=32),
    Field("description", "特征描述", "lost.description", creatable=True, max_len=200),
    Field("found_place", "拾获地点", "lost.found_place", creatable=True, required=True, max_len=60),
    Field("finder_name", "拾获人", "lost.finder_name", creatable=True, max_len=32),
    Field("finder_phone", "拾获人电话", "lost.finder_phone", creatable=True, max_len=20, check=_phone),
    Field("kept_at", "存放位置", "lost.kept_at", creatable=True, required=True, max_len=60),
))
CLAIM_TABLE = TableSpec("lost_claims", (
    Field("claimant_name", "认领人", "lost.claimant_name", creatable=True, required=True, max_len=32),
    Field("claimant_phone", "认领人电话", "lost.claimant_phone", creatable=True, required=True, max_len=20,
          check=_phone),
    Field("id_kind", "证件类型", "lost.id_kind", "choice", creatable=True, required=True, options=ID_KINDS),
))
DISPOSAL_TABLE = TableSpec("lost_disposals", (
    Field("way", "处置方式", "lost.way", "choice", creatable=True, required=True, options=DISPOSAL_WAYS),
    Field("disposed_on", "处置日期", "lost.disposed_on", "date", creatable=True, required=True),
    Field("note", "说明", "lost.note", creatable=True, max_len=200),
))


# ---------------------------------------------------------------- quarters


@dataclass(frozen=True)
class Quarter:
    """A calendar quarter: label 2026Q3, title 2026年第三季度, first and last day."""

    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        m = re.fullmatch(r"(\d{4})\s*-?\s*Q([1-4])", text.strip().upper()) if isinstance(text, str) else None
        if not m or not 1900 <= int(m[1]) <= 2100:  # year 0 or 9999 has no first or next day: date() raises
            raise ValidationError({"季度": f"应为 年份Q季度，例如 2026Q3（收到 {echo(text)!r}）"})
        return cls(int(m[1]), int(m[2]))

    @classmethod
    def of(cls, day: date) -> Quarter:
        return cls(day.year, (day.month - 1) // 3 + 1)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def title(self) -> str:
        return f"{self.year}年第{_QUARTER_WORDS[self.number - 1]}季度"

    @property
    def first(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def last(self) -> date:
        return self.next().first - timedelta(days=1)

    def next(self) -> Quarter:
        return Quarter(self.year + (self.number == 4), self.number % 4 + 1)

    def previous(self) -> Quarter:
        return Quarter(self.year - (self.number == 1), (self.number - 2) % 4 + 1)


def ended_quarters(today: date, count: int = 8) -> list[Quarter]:
    """The last `count` quarters that have ended by `today`, the latest first (the quarterly notice's choices)."""
    q = Quarter.of(today).previous()
    out = []
    for _ in range(count):
        out.append(q)
        q = q.previous()
    return out


def disposable_from(found_on: date, claim_by: date | None) -> date | None:
    """The first day an unclaimed item found on `found_on` may be disposed of: held HOLD_DAYS days, and past the
    claim_by of the first quarterly notice that listed it; None while no notice has listed it."""
    if claim_by is None:
        return None
    return max(found_on + timedelta(days=HOLD_DAYS), claim_by + timedelta(days=1))


def _start_of(day: date) -> datetime:
    return datetime.combine(day, datetime.min.time(), SHANGHAI)


# ---------------------------------------------------------------- views


@dataclass(frozen=True)
class LostItemView:
    """One item as its detail panel reads it (phones masked for roles without people.reveal)."""

    id: int
    version: int
    number: str
    estate_id: int
    estate: str
    what: str
    description: str
    valuable: bool
    found_at: datetime
    found_place: str
    finder_name: str
    finder_phone: str
    kept_at: str
    recorded_by: str
    recorded_at: datetime
    status: str
    claimant_name: str
    claimant_phone: str
    id_kind: str
    id_checked: bool
    claimed_at: datetime | None
    handed_over_by: str
    disposal_way: str
    disposed_by: str
    disposed_on: date | None
    disposal_note: str
    notice_quarter: str  # the first quarterly notice that listed it ("" while none has)
    claim_by: date | None
    disposable_from: date | None


def _shown_phone(actor: Actor, phone: str) -> str:
    return phone if not phone or can(actor, "people.reveal") else mask_mobile(phone)


def _item(session: Session, actor: Actor, item_id: int, version: int | None = None) -> LostItem:
    item = session.get(LostItem, item_id)
    if item is None or not in_scope(actor, item.estate_id):
        raise NotFound("失物登记不存在")
    if version is not None and item.version != version:
        raise StaleEdit()
    return item


def _found_at_errors(found_at: datetime | None, now: datetime, errors: dict[str, str]) -> None:
    if found_at is None:
        errors["拾获时间"] = "必填"
    elif found_at.tzinfo is None:
        errors["拾获时间"] = "应带时区"
    elif found_at > now:
        errors["拾获时间"] = "不能晚于现在"


def _registration(*, estate_id: int | None, what: str, found_at: datetime | None, found_place: str, kept_at: str,
                  description: str, finder_name: str, finder_phone: str) -> tuple[dict[str, Any], dict[str, str]]:
    values, errors = LOST_TABLE.create_rules.parse(
        {"what": what, "description": description, "found_place": found_place, "finder_name": finder_name,
         "finder_phone": finder_phone, "kept_at": kept_at})
    if estate_id is None:
        errors["小区"] = "必填"
    _found_at_errors(found_at, utcnow(), errors)
    return values, errors


# ---------------------------------------------------------------- writes


def register_item(*, actor: Actor, estate_id: int | None, what: str, found_at: datetime | None, found_place: str,
                  kept_at: str, description: str = "", finder_name: str = "", finder_phone: str = "",
                  valuable: bool = False) -> tuple[int, str]:
    """登记 a found item into the centre's keeping; returns (id, 登记号)."""
    require(actor, "lost.manage")
    values, errors = _registration(estate_id=estate_id, what=what, found_at=found_at, found_place=found_place,
                                   kept_at=kept_at, description=description, finder_name=finder_name,
                                   finder_phone=finder_phone)
    with unit_of_work() as uow:
        s = uow.session
        if estate_id is not None and (s.get(Estate, estate_id) is None or not in_scope(actor, estate_id)):
            errors["小区"] = "不存在"
        if errors:
            raise ValidationError(errors)
        assert found_at is not None
        year = local_today().year
        number = f"SW{year}-{counters.advance(s, f'lost:{year}'):04d}"
        item = LostItem(number=number, estate_id=estate_id, found_at=found_at, valuable=bool(valuable),
                        recorded_by=actor.display_name[:32], recorded_at=utcnow(), status=WAITING, **values)
        s.add(item)
        s.flush()
        audit.record(s, actor, "lost_register", "lost_items", item.id, None,
                     {"number": number, "estate_id": estate_id, "found_at": found_at, "valuable": bool(valuable),
                      **values})
        uow.commit()
        return item.id, number


_EDITED = ("estate_id", "what", "description", "valuable", "found_at", "found_place", "finder_name", "finder_phone",
           "kept_at")


def update_item(*, actor: Actor, item_id: int, version: int, estate_id: int | None, what: str,
                found_at: datetime | None, found_place: str, kept_at: str, description: str = "",
                finder_name: str = "", finder_phone: str | None = "", valuable: bool = False) -> None:
    """修改 a 待认领 item's registration (moved to another shelf, a better description). finder_phone None keeps
    the stored phone (a role that sees it masked cannot retype it)."""
    require(actor, "lost.manage")
    values, errors = _registration(estate_id=estate_id, what=what, found_at=found_at, found_place=found_place,
                                   kept_at=kept_at, description=description, finder_name=finder_name,
                                   finder_phone="" if finder_phone is None else finder_phone)
    with unit_of_work() as uow:
        s = uow.session
        item = _item(s, actor, item_id, version)
        if item.status != WAITING:
            raise Conflict(f"失物 {item.number} 当前{item.status}，只有待认领的登记可以修改")
        if estate_id is not None and (s.get(Estate, estate_id) is None or not in_scope(actor, estate_id)):
            errors["小区"] = "不存在"
        if errors:
            raise ValidationError(errors)
        if finder_phone is None:
            values["finder_phone"] = item.finder_phone
        before = {f: getattr(item, f) for f in _EDITED}
        after = {**values, "estate_id": estate_id, "found_at": found_at, "valuable": bool(valuable)}
        if all(before[f] == after[f] for f in _EDITED):
            return
        for f in _EDITED:
            setattr(item, f, after[f])
        audit.record(s, actor, "lost_edit", "lost_items", item.id,
                     {f: v for f, v in before.items() if v != after[f]},
                     {f: v for f, v in after.items() if v != before[f]})
        uow.commit()


def claim_item(*, actor: Actor, item_id: int, version: int, claimant_name: str, claimant_phone: str, id_kind: str,
               id_checked: bool, claimed_at: datetime | None = None) -> None:
    """认领: the item goes back to its owner, whose 证件 the signed-in user checked and who hands it over."""
    require(actor, "lost.manage")
    values, errors = CLAIM_TABLE.create_rules.parse(
        {"claimant_name": claimant_name, "claimant_phone": claimant_phone, "id_kind": id_kind})
    if id_checked is not True:
        errors["证件核验"] = "认领须当面核验认领人的有效证件，未核验不得领取"
    now = utcnow()
    claimed_at = claimed_at or now
    if claimed_at.tzinfo is None:
        errors["认领时间"] = "应带时区"
    elif claimed_at > now:
        errors["认领时间"] = "不能晚于现在"
    with unit_of_work() as uow:
        s = uow.session
        item = _item(s, actor, item_id, version)
        if item.status != WAITING:
            raise Conflict(f"失物 {item.number} 当前{item.status}，不能再认领")
        if "认领时间" not in errors and claimed_at < item.found_at:
            errors["认领时间"] = f"不能早于拾获时间（{to_local(item.found_at):%Y-%m-%d %H:%M}）"
        if errors:
            raise ValidationError(errors)
        item.status = CLAIMED
        item.claimant_name = values["claimant_name"]
        item.claimant_phone = values["claimant_phone"]
        item.id_kind = values["id_kind"]
        item.id_checked = True
        item.claimed_at = claimed_at
        item.handed_over_by = actor.display_name[:32]
        audit.record(s, actor, "lost_claim", "lost_items", item.id, {"status": WAITING},
                     {"status": CLAIMED, "claimant_name": item.claimant_name, "claimant_phone": item.claimant_phone,
                      "id_kind": item.id_kind, "id_checked": True, "claimed_at": claimed_at,
                      "handed_over_by": item.handed_over_by})
        uow.commit()


def dispose_item(*, actor: Actor, item_id: int, version: int, way: str, disposed_on: date | None,
                 note: str = "") -> None:
    """处置 an item nobody claimed, once a quarterly notice listed it, its claim_by has passed and it was held
    HOLD_DAYS days."""
    require(actor, "lost.manage")
    values, errors = DISPOSAL_TABLE.create_rules.parse({"way": way, "disposed_on": disposed_on, "note": note})
    today = local_today()
    if isinstance(values.get("disposed_on"), date) and values["disposed_on"] > today:
        errors["处置日期"] = "不能晚于今天"
    if values.get("way") == "其他" and not values.get("note"):
        errors["说明"] = "处置方式为“其他”时必填"
    with unit_of_work() as uow:
        s = uow.session
        item = _item(s, actor, item_id, version)
        if item.status != WAITING:
            raise Conflict(f"失物 {item.number} 当前{item.status}，不能处置")
        posted = s.get(LostNotice, item.notice_id) if item.notice_id is not None else None
        if posted is None:
            errors["招领公示"] = (f"失物 {item.number} 尚未列入季度《失物招领》启事：须先公示，认领期限届满且保管满 "
                              f"{HOLD_DAYS} 天后方可处置")
        elif "处置日期" not in errors and isinstance(values.get("disposed_on"), date):
            earliest = disposable_from(to_local(item.found_at).date(), posted.claim_by)
            if earliest is not None and values["disposed_on"] < earliest:
                errors["处置日期"] = (
                    f"不能早于 {earliest.isoformat()}：失物须保管满 {HOLD_DAYS} 天，且所列《失物招领》启事"
                    f"（{Quarter.parse(posted.quarter).title}）的认领期限 {posted.claim_by.isoformat()} 届满后方可处置")
        if errors:
            raise ValidationError(errors)
        item.status = DISPOSED
        item.disposal_way = values["way"]
        item.disposed_on = values["disposed_on"]
        item.disposal_note = values["note"]
        item.disposed_by = actor.display_name[:32]
        audit.record(s, actor, "lost_dispose", "lost_items", item.id, {"status": WAITING},
                     {"status": DISPOSED, "way": item.disposal_way, "disposed_on": item.disposed_on,
                      "note": item.disposal_note})
        uow.commit()


def _unclaimed_at_end(quarter: Quarter, estate_id: int | None) -> ColumnElement[bool]:
    """Found on or before the quarter's last day and neither claimed nor disposed of by then."""
    end = _start_of(quarter.last + timedelta(days=1))
    cond = and_(
        LostItem.found_at < end,
        or_(LostItem.claimed_at.is_(None), LostItem.claimed_at >= end),
        or_(LostItem.disposed_on.is_(None), LostItem.disposed_on > quarter.last),
    )
    return cond if estate_id is None else and_(cond, LostItem.estate_id == estate_id)


def post_quarter_notice(*, actor: Actor, quarter: str, estate_id: int) -> int:
    """发布 the quarter's 《失物招领》启事 on one estate's board: its items unclaimed at the quarter's end and still
    waiting are listed, claimable for CLAIM_DAYS days from today; returns the notice's id (print quarter_notice_pdf)."""
    require(actor, "lost.manage")
    q = Quarter.parse(quarter)
    today = local_today()
    if q.last >= today:
        raise ValidationError({"季度": f"{q.title}尚未结束（{q.last.isoformat()}），季度招领启事在季度结束后发布"})
    with unit_of_work() as uow:
        s = uow.session
        estate = s.get(Estate, estate_id)
        if estate is None or not in_scope(actor, estate_id):
            raise NotFound("小区不存在")
        if s.scalar(select(LostNotice.id).where(LostNotice.estate_id == estate_id, LostNotice.quarter == q.label)):
            raise Conflict(f"{estate.name}{q.title}的招领启事已经发布过，可直接重新打印")
        items = list(s.scalars(select(LostItem).where(_unclaimed_at_end(q, estate_id), LostItem.status == WAITING)
                               .order_by(LostItem.found_at, LostItem.id)))
        if not items:
            raise Conflict(f"{estate.name}{q.title}末没有仍待认领的失物，无需发布招领启事")
        posted = LostNotice(estate_id=estate_id, quarter=q.label, posted_on=today,
                            claim_by=today + timedelta(days=CLAIM_DAYS), posted_by=actor.display_name[:32],
                            item_count=len(items))
        s.add(posted)
        s.flush()
        for i in items:
            if i.notice_id is None:  # an item listed again keeps the first notice: its claim period began there
                i.notice_id = posted.id
        audit.record(s, actor, "lost_notice_post", "lost_notices", posted.id, None,
                     {"estate_id": estate_id, "quarter": q.label, "posted_on": today, "claim_by": posted.claim_by,
                      "items": [i.number for i in items]})
        uow.commit()
        return posted.id


# ---------------------------------------------------------------- reads

LOST_COLUMNS = {
    "id": LostItem.id,
    "version": LostItem.version,
    "number": LostItem.number,
    "estate": Estate.name,
    "what": LostItem.what,
    "description": LostItem.description,
    "valuable": LostItem.valuable,
    "found_at": LostItem.found_at,
    "found_place": LostItem.found_place,
    "kept_at": LostItem.kept_at,
    "finder_name": LostItem.finder_name,
    "finder_phone": LostItem.finder_phone,
    "status": LostItem.status,
    "claim_by": LostNotice.claim_by,
    "claimant_name": LostItem.claimant_name,
    "claimant_phone": LostItem.claimant_phone,
    "id_kind": LostItem.id_kind,
    "claimed_at": LostItem.claimed_at,
    "handed_over_by": LostItem.handed_over_by,
    "disposal_way": LostItem.disposal_way,
    "disposed_on": LostItem.disposed_on,
    "recorded_by": LostItem.recorded_by,
}


def list_items(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of the 失物登记表 (filters: status, estate_id, and due=True for the items that may be disposed of
    today), newest first by default; phones masked for roles without people.reveal; with claim_by (the first
    notice's deadline) and disposable_from for the items still waiting."""
    authorize_list(actor, "relations.view", query)
    stmt = (select(*[c.label(n) for n, c in LOST_COLUMNS.items()])
            .join(Estate, Estate.id == LostItem.estate_id).where(estate_clause(actor, LostItem.estate_id))
            .outerjoin(LostNotice, LostNotice.id == LostItem.notice_id))
    if query.filters.get("due"):
        today = local_today()
        held_since = _start_of(today - timedelta(days=HOLD_DAYS - 1))  # found on or before today - HOLD_DAYS
        stmt = stmt.where(LostItem.status == WAITING, LostNotice.claim_by < today, LostItem.found_at < held_since)
    with read_session() as s:
        result = run_list(s, stmt, LOST_COLUMNS, query,
                          search_columns=[LostItem.number, LostItem.what, LostItem.description,
                                          LostItem.found_place, LostItem.claimant_name, LostItem.kept_at],
                          equal_filters={"status": LostItem.status, "estate_id": LostItem.estate_id},
                          default_sort=("found_at", True))
    rows = result.rows
    for column in ("finder_phone", "claimant_phone"):
        rows[column] = pd.Series([_shown_phone(actor, p or "") for p in rows[column]], dtype=object)
    rows["disposable_from"] = pd.Series(
        [disposable_from(to_local(at).date(), claim_by) if status == WAITING else None
         for at, status, claim_by in zip(rows["found_at"], rows["status"], rows["claim_by"], strict=True)],
        dtype=object)
    return result


def item(*, actor: Actor, item_id: int) -> LostItemView:
    """One item with its claim or disposal."""
    require(actor, "relations.view")
    with read_session() as s:
        i = _item(s, actor, item_id)
        estate = s.get(Estate, i.estate_id)
        posted = s.get(LostNotice, i.notice_id) if i.notice_id is not None else None
        claim_by = posted.claim_by if posted else None
        return LostItemView(
            id=i.id, version=i.version, number=i.number, estate_id=i.estate_id, estate=estate.name if estate else "",
            what=i.what, description=i.description, valuable=i.valuable, found_at=i.found_at,
            found_place=i.found_place, finder_name=i.finder_name, finder_phone=_shown_phone(actor, i.finder_phone),
            kept_at=i.kept_at, recorded_by=i.recorded_by, recorded_at=i.recorded_at, status=i.status,
            claimant_name=i.claimant_name, claimant_phone=_shown_phone(actor, i.claimant_phone), id_kind=i.id_kind,
            id_checked=i.id_checked, claimed_at=i.claimed_at, handed_over_by=i.handed_over_by,
            disposal_way=i.disposal_way, disposed_by=i.disposed_by, disposed_on=i.disposed_on,
            disposal_note=i.disposal_note, notice_quarter=Quarter.parse(posted.quarter).title if posted else "",
            claim_by=claim_by, disposable_from=disposable_from(to_local(i.found_at).date(), claim_by),
        )


def count_unclaimed(*, actor: Actor, quarter: str, estate_id: int | None = None) -> int:
    """How many items were unclaimed at the end of `quarter` (2026Q3): found in or before it, neither claimed nor
    disposed of by its last day — whatever happened to them since."""
    require(actor, "relations.view")
    q = Quarter.parse(quarter)
    with read_session() as s:
        return int(s.scalar(select(func.count()).select_from(LostItem).where(
            _unclaimed_at_end(q, estate_id), estate_clause(actor, LostItem.estate_id))) or 0)


def unclaimed_in_quarter(*, actor: Actor, quarter: str, estate_id: int | None = None) -> pd.DataFrame:
    """The items unclaimed at the end of `quarter` (as count_unclaimed counts them), oldest first, each with its
    status now (a later claim or disposal shows) and the first notice's claim_by. Columns: id, version, number,
    estate, what, description, found_on, found_place, kept_at, status, claim_by, disposable_from."""
    require(actor, "relations.view")
    q = Quarter.parse(quarter)
    columns = ["id", "version", "number", "estate", "what", "description", "found_on", "found_place", "kept_at",
               "status", "claim_by", "disposable_from"]
    stmt = (select(LostItem, Estate.name, LostNotice.claim_by).join(Estate, Estate.id == LostItem.estate_id)
            .outerjoin(LostNotice, LostNotice.id == LostItem.notice_id)
            .where(_unclaimed_at_end(q, estate_id), estate_clause(actor, LostItem.estate_id))
            .order_by(LostItem.found_at, LostItem.id))
    with read_session() as s:
        rows = []
        for i, estate, claim_by in s.execute(stmt):
            found_on = to_local(i.found_at).date()
            rows.append({"id": i.id, "version": i.version, "number": i.number, "estate": estate, "what": i.what,
                         "description": i.description, "found_on": found_on, "found_place": i.found_place,
                         "kept_at": i.kept_at, "status": i.status, "claim_by": claim_by,
                         "disposable_from": disposable_from(found_on, claim_by) if i.status == WAITING else None})
    return pd.DataFrame(rows, columns=columns, dtype=object)


def quarter_notices(*, actor: Actor) -> pd.DataFrame:
    """The quarterly notices posted, newest quarter first. Columns: id, estate_id, estate, quarter, title,
    posted_on, claim_by, posted_by, item_count."""
    require(actor, "relations.view")
    columns = ["id", "estate_id", "estate", "quarter", "title", "posted_on", "claim_by", "posted_by", "item_count"]
    stmt = (select(LostNotice, Estate.name).join(Estate, Estate.id == LostNotice.estate_id)
            .where(estate_clause(actor, LostNotice.estate_id)).order_by(LostNotice.quarter.desc(), Estate.code))
    with read_session() as s:
        rows = [{"id": n.id, "estate_id": n.estate_id, "estate": estate, "quarter": n.quarter,
                 "title": Quarter.parse(n.quarter).title, "posted_on": n.posted_on, "claim_by": n.claim_by,
                 "posted_by": n.posted_by, "item_count": n.item_count}
                for n, estate in s.execute(stmt)]
    return pd.DataFrame(rows, columns=columns, dtype=object)


def _contact() -> str:
    return get_setting("notice_contact")


def quarter_notice_pdf(*, actor: Actor, quarter: str, estate_id: int) -> bytes:
    """The posted quarterly 《失物招领》启事 of one estate as the A4 PDF for its board: the items it listed that are
    still waiting, its date and claim_by (a reprint gives the same date and deadline)."""
    require(actor, "relations.view")
    q = Quarter.parse(quarter)
    with read_session() as s:
        estate = s.get(Estate, estate_id)
        if estate is None or not in_scope(actor, estate_id):
            raise NotFound("小区不存在")
        posted = s.scalar(select(LostNotice).where(LostNotice.estate_id == estate_id, LostNotice.quarter == q.label))
        if posted is None:
            raise ValidationError({"季度": f"{estate.name}{q.title}的招领启事尚未发布：请先发布，再打印"})
        estate_name, claim_by, posted_on = estate.name, posted.claim_by, posted.posted_on
    frame = unclaimed_in_quarter(actor=actor, quarter=q.label, estate_id=estate_id)
    frame = frame[frame["status"] == WAITING]
    if frame.empty:
        raise Conflict(f"{estate_name}{q.title}启事所列的失物都已认领或处置，无需再张贴")
    lines = tuple(notice_print.FoundItemLine(number=r.number, what=r.what, description=r.description,
                                             found_on=r.found_on, found_place=r.found_place)
                  for r in frame.itertuples())
    return notice_print.lost_notice_pdf(notice_print.LostNoticeDoc(
        company=get_setting("company_name"), estate=estate_name, quarter=q.title, items=lines,
        deadline=claim_by, contact=_contact(), issued_on=posted_on))


def item_notice_pdf(*, actor: Actor, item_id: int) -> bytes:
    """The 《失物招领》 of one waiting item, posted at once (the seeds: 贵重物品、重要资料), claimable until the end of
    its holding period (at least a week from today); the quarterly notice that lists it later decides disposal."""
    view = item(actor=actor, item_id=item_id)
    if view.status != WAITING:
        raise Conflict(f"失物 {view.number} 当前{view.status}，无需张贴招领")
    today = local_today()
    found_on = to_local(view.found_at).date()
    line = notice_print.FoundItemLine(number=view.number, what=view.what, description=view.description,
                                      found_on=found_on, found_place=view.found_place)
    deadline = max(found_on + timedelta(days=HOLD_DAYS - 1), today + timedelta(days=7))
    return notice_print.lost_notice_pdf(notice_print.LostNoticeDoc(
        company=get_setting("company_name"), estate=view.estate, quarter="", items=(line,), deadline=deadline,
        contact=_contact(), issued_on=today))


def waiting_count(*, actor: Actor) -> int:
    """Items in the centre's keeping now (待认领), for a home page's figure."""
    require(actor, "relations.view")
    with read_session() as s:
        return int(s.scalar(select(func.count()).select_from(LostItem).where(
            LostItem.status == WAITING, estate_clause(actor, LostItem.estate_id))) or 0)
