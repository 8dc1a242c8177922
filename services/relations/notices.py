"""公告 notices the service centre posts on its estates' boards: draft, publish, withdraw, archive; the A4 PDF.

Invariants:
- status moves 草稿 -> 已发布 -> 已撤回 (with a reason) | 已归档; a draft may also be archived (不再发布) by whoever
  may publish; nothing leaves 已撤回 or 已归档. Only a draft is edited, on the version its writer saw;
- drafting and editing need notices.write (front desk, clerk, manager); publishing, withdrawing and archiving
  need notices.publish (manager); reading needs relations.view;
- a notice's dates: publish_on is today or later when it is drafted, edited or published (a notice is never
  posted back-dated: a draft whose day has passed gets a new day before it goes up), and until_on, when given,
  is not before publish_on;
- its targets: no target means every estate; an estate chosen alone means the whole estate; buildings narrow
  their estate to those buildings, and a building must belong to a chosen estate;
- the number 公告编号 GG<year>-<nnn> is given at publishing from a counter of the publish year (gap-free);
- every change writes one audit row in the same transaction, or nothing is written.

Open first: draft_notice / publish_notice for the workflow, list_notices for the grid, notices_to_post for the
front desk's home.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import and_, exists, or_, select, true
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Building, Estate, Notice, NoticeTarget
from db.types import utcnow
from services.platform import audit, counters
from services.platform.auth import Actor, require
from services.platform.clock import local_today
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery, PageResult, authorize_list, run_list
from services.platform.scope import estate_clause
from services.platform.settings import get_setting
from services.platform.tablespec import Field, TableSpec
from services.platform.validate import collect_text
from services.relations import notice_print

DRAFT, PUBLISHED, WITHDRAWN, ARCHIVED = "草稿", "已发布", "已撤回", "已归档"
NOTICE_STATUSES = (DRAFT, PUBLISHED, WITHDRAWN, ARCHIVED)
NOTICE_KINDS = ("停水停电", "维修施工", "收费", "安全提示", "社区活动", "温馨提示", "其他")
TITLE_MAX = 60
BODY_MAX = 3000
REASON_MAX = 200
ALL_ESTATES = "全部小区"


def _dates(values: Mapping[str, Any]) -> Mapping[str, str]:
    publish_on, until_on = values.get("publish_on"), values.get("until_on")
    if isinstance(publish_on, date) and isinstance(until_on, date) and until_on < publish_on:
        return {"截止日期": f"不能早于发布日期（{publish_on.isoformat()}）"}
    return {}


NOTICE_TABLE = TableSpec("notices", (
    Field("title", "标题", "notices.title", creatable=True, required=True, max_len=TITLE_MAX),
    Field("kind", "类别", "notices.kind", "choice", creatable=True, required=True, options=NOTICE_KINDS),
    Field("publish_on", "发布日期", "notices.publish_on", "date", creatable=True, required=True),
    Field("until_on", "截止日期", "notices.until_on", "date", creatable=True),
    Field("body", "正文", "notices.body", creatable=True, required=True, max_len=BODY_MAX),
), check=_dates)


@dataclass(frozen=True)
class NoticeView:
    """One notice as the detail panel and the PDF read it."""

    id: int
    version: int
    number: str
    title: str
    body: str
    kind: str
    publish_on: date
    until_on: date | None
    status: str
    estate_ids: tuple[int, ...]
    building_ids: tuple[int, ...]
    targets: str  # "翠湖花园（1栋、2栋）；锦绣华庭", or 全部小区
    written_by: str
    written_at: datetime
    published_by: str
    published_at: datetime | None
    withdrawn_reason: str
    closed_by: str
    closed_at: datetime | None


# ---------------------------------------------------------------- helpers


def _notice(session: Session, actor: Actor, notice_id: int, version: int | None = None) -> Notice:
    """The notice (NotFound when it is not on a board of the actor's estates); with `version`, one the actor changes:
    a notice that reaches another estate too (or every estate) is changed only by a user of all its estates."""
    notice = session.get(Notice, notice_id)
    if notice is None or session.scalar(select(Notice.id).where(Notice.id == notice_id, _visible(actor))) is None:
        raise NotFound("公告不存在")
    if version is not None and actor.estate_ids is not None:
        reached = set(session.scalars(select(NoticeTarget.estate_id).where(NoticeTarget.notice_id == notice_id)))
        if not reached or not reached <= actor.estate_ids:
            raise PermissionDenied("办理涉及其他小区的公告（只限负责这些小区的用户）")
    if version is not None and notice.version != version:
        raise StaleEdit()
    return notice


def _visible(actor: Actor) -> Any:
    """Notices on a board of the actor's estates: with a target there, or without targets (every estate)."""
    if actor.estate_ids is None:
        return true()
    return or_(
        exists().where(and_(NoticeTarget.notice_id == Notice.id, NoticeTarget.estate_id.in_(sorted(actor.estate_ids)))),
        ~exists().where(NoticeTarget.notice_id == Notice.id),
    )


def _fields(*, title: str, body: str, kind: str, publish_on: date | None, until_on: date | None,
            today: date) -> tuple[dict[str, Any], dict[str, str]]:
    """The notice's own fields parsed by NOTICE_TABLE, and every problem with them (label -> rule)."""
    values, errors = NOTICE_TABLE.create_rules.parse(
        {"title": title, "kind": kind, "publish_on": publish_on, "until_on": until_on, "body": body})
    for label, rule in _dates(values).items():
        errors.setdefault(label, rule)
    if isinstance(values.get("publish_on"), date) and values["publish_on"] < today:
        errors.setdefault("发布日期", f"不能早于今天（{today.isoformat()}）：公告不补发过去的日期")
    return values, errors


def _targets(session: Session, actor: Actor, estate_ids: Sequence[int], building_ids: Sequence[int],
             errors: dict[str, str]) -> list[tuple[int, int | None]]:
    """(estate, building or None) rows for the chosen estates and buildings (of the actor's estates: another's is
    refused as one that does not exist); problems go into `errors`."""
    estates: dict[int, bool] = dict(session.execute(select(Estate.id, Estate.active).where(
        Estate.id.in_(set(estate_ids) or {-1}), estate_clause(actor, Estate.id))).all())
    if not estate_ids and actor.estate_ids is not None:
        errors["小区"] = "请选择小区（发给全部小区的公告只限负责全部小区的用户）"
    if any(estates.get(e) is not True for e in estate_ids):
        errors["小区"] = "不存在或已停用"
    buildings = {b.id: b for b in session.scalars(select(Building).where(Building.id.in_(set(building_ids) or {-1})))}
    wrong = []
    for b_id in building_ids:
        b = buildings.get(b_id)
        if b is None:
            errors["楼栋"] = "不存在"
        elif b.estate_id not in estates:
            wrong.append(b.name)
    if wrong:
        errors["楼栋"] = f"{'、'.join(wrong)} 不属于所选小区：楼栋须属于勾选的小区"
    rows: list[tuple[int, int | None]] = []
    for e_id in dict.fromkeys(estate_ids):
        chosen = [b_id for b_id in dict.fromkeys(building_ids) if b_id in buildings
                  and buildings[b_id].estate_id == e_id]
        rows.extend([(e_id, b_id) for b_id in chosen] or [(e_id, None)])
    return rows


def _write_targets(session: Session, notice_id: int, rows: Sequence[tuple[int, int | None]]) -> None:
    for old in session.scalars(select(NoticeTarget).where(NoticeTarget.notice_id == notice_id)):
        session.delete(old)
    session.add_all(NoticeTarget(notice_id=notice_id, estate_id=e, building_id=b) for e, b in rows)


def _target_texts(session: Session, notice_ids: Sequence[int]) -> dict[int, str]:
    """notice id -> "翠湖花园（1栋、2栋）；锦绣华庭" (全部小区 when it has no target)."""
    parts: dict[int, dict[str, list[str]]] = {}
    stmt = (select(NoticeTarget.notice_id, Estate.name, Building.name)
            .join(Estate, Estate.id == NoticeTarget.estate_id)
            .outerjoin(Building, Building.id == NoticeTarget.building_id)
            .where(NoticeTarget.notice_id.in_(set(notice_ids) or {-1}))
            .order_by(NoticeTarget.notice_id, Estate.code, Building.id))
    for notice_id, estate, building in session.execute(stmt):
        names = parts.setdefault(notice_id, {}).setdefault(estate, [])
        if building:
            names.append(building)
    return {n: "；".join(f"{e}（{'、'.join(b)}）" if b else e for e, b in parts[n].items()) if n in parts
            else ALL_ESTATES for n in notice_ids}


def _snapshot(notice: Notice, targets: Sequence[tuple[int, int | None]] | None = None) -> dict[str, Any]:
    out = {"title": notice.title, "kind": notice.kind, "publish_on": notice.publish_on, "until_on": notice.until_on,
           "status": notice.status, "body": notice.body}
    if targets is not None:
        out["targets"] = _target_list(targets)
    return out


def _target_list(rows: Sequence[tuple[int, int | None]]) -> list[list[int | None]]:
    return sorted(([e, b] for e, b in rows), key=lambda t: (t[0] or 0, t[1] or 0))


# ---------------------------------------------------------------- writes


def draft_notice(*, actor: Actor, title: str, body: str, kind: str, publish_on: date | None,
                 until_on: date | None = None, estate_ids: Sequence[int] = (),
                 building_ids: Sequence[int] = ()) -> int:
    """起草 a notice (草稿); returns its id."""
    require(actor, "notices.write")
    values, errors = _fields(title=title, body=body, kind=kind, publish_on=publish_on, until_on=until_on,
                             today=local_today())
    with unit_of_work() as uow:
        s = uow.session
        rows = _targets(s, actor, estate_ids, building_ids, errors)
        if errors:
            raise ValidationError(errors)
        notice = Notice(**values, status=DRAFT, written_by=actor.display_name[:32], written_at=utcnow())
        s.add(notice)
        s.flush()
        _write_targets(s, notice.id, rows)
        audit.record(s, actor, "notice_draft", "notices", notice.id, None, _snapshot(notice, rows))
        uow.commit()
        return notice.id


def update_draft(*, actor: Actor, notice_id: int, version: int, title: str, body: str, kind: str,
                 publish_on: date | None, until_on: date | None = None, estate_ids: Sequence[int] = (),
                 building_ids: Sequence[int] = ()) -> None:
    """修改 a draft (only a draft, on the version the writer saw)."""
    require(actor, "notices.write")
    values, errors = _fields(title=title, body=body, kind=kind, publish_on=publish_on, until_on=until_on,
                             today=local_today())
    with unit_of_work() as uow:
        s = uow.session
        notice = _notice(s, actor, notice_id, version)
        if notice.status != DRAFT:
            raise Conflict(f"公告“{notice.title}”当前{notice.status}，只有草稿可以修改")
        rows = _targets(s, actor, estate_ids, building_ids, errors)
        if errors:
            raise ValidationError(errors)
        old_targets = [(t.estate_id, t.building_id) for t in s.scalars(
            select(NoticeTarget).where(NoticeTarget.notice_id == notice.id).order_by(NoticeTarget.id))]
        before = _snapshot(notice, old_targets)
        after = {**before, **values, "targets": _target_list(rows)}
        if after == before:
            return  # nothing changed: no audit row, no new version
        for name, value in values.items():
            setattr(notice, name, value)
        notice.written_at = utcnow()  # the row changes even when only its targets did, so its version moves on
        s.flush()  # one versioned UPDATE, before the targets' queries would autoflush it piecemeal
        _write_targets(s, notice.id, rows)
        audit.record(s, actor, "notice_edit", "notices", notice.id, before, after)
        uow.commit()


def publish_notice(*, actor: Actor, notice_id: int, version: int) -> str:
    """发布 a draft: its fields are checked again, it gets its number; returns the number."""
    require(actor, "notices.publish")
    today = local_today()
    with unit_of_work() as uow:
        s = uow.session
        notice = _notice(s, actor, notice_id, version)
        if notice.status != DRAFT:
            raise Conflict(f"公告“{notice.title}”当前{notice.status}，只有草稿可以发布")
        _, errors = _fields(title=notice.title, body=notice.body, kind=notice.kind, publish_on=notice.publish_on,
                            until_on=notice.until_on, today=today)
        if "发布日期" in errors:
            errors["发布日期"] += "，请先修改草稿的发布日期"
        if errors:
            raise ValidationError(errors)
        year = notice.publish_on.year
        notice.number = f"GG{year}-{counters.advance(s, f'notices:{year}'):03d}"
        notice.status = PUBLISHED
        notice.published_by = actor.display_name[:32]
        notice.published_at = utcnow()
        audit.record(s, actor, "notice_publish", "notices", notice.id, {"status": DRAFT},
                     {"status": PUBLISHED, "number": notice.number, "publish_on": notice.publish_on})
        number = notice.number
        uow.commit()
        return number


def withdraw_notice(*, actor: Actor, notice_id: int, version: int, reason: str) -> None:
    """撤回 a published notice, with the reason the board will be told."""
    require(actor, "notices.publish")
    errors: dict[str, str] = {}
    reason = collect_text(errors, "撤回原因", reason, REASON_MAX)
    if not reason and not errors:
        errors["撤回原因"] = "必填：撤回公告须说明原因"
    if errors:
        raise ValidationError(errors)
    with unit_of_work() as uow:
        s = uow.session
        notice = _notice(s, actor, notice_id, version)
        if notice.status != PUBLISHED:
            raise Conflict(f"公告“{notice.title}”当前{notice.status}，只有已发布的公告可以撤回")
        notice.status = WITHDRAWN
        notice.withdrawn_reason = reason
        notice.closed_by = actor.display_name[:32]
        notice.closed_at = utcnow()
        audit.record(s, actor, "notice_withdraw", "notices", notice.id, {"status": PUBLISHED},
                     {"status": WITHDRAWN, "reason": reason})
        uow.commit()


def archive_notice(*, actor: Actor, notice_id: int, version: int) -> None:
    """归档 a published notice taken off the board (or a draft that will not be published)."""
    require(actor, "notices.publish")
    with unit_of_work() as uow:
        s = uow.session
        notice = _notice(s, actor, notice_id, version)
        if notice.status not in (DRAFT, PUBLISHED):
            raise Conflict(f"公告“{notice.title}”当前{notice.status}，不能归档")
        before = notice.status
        notice.status = ARCHIVED
        notice.closed_by = actor.display_name[:32]
        notice.closed_at = utcnow()
        audit.record(s, actor, "notice_archive", "notices", notice.id, {"status": before}, {"status": ARCHIVED})
        uow.commit()


# ---------------------------------------------------------------- reads

NOTICE_COLUMNS = {
    "id": Notice.id,
    "version": Notice.version,
    "number": Notice.number,
    "title": Notice.title,
    "kind": Notice.kind,
    "publish_on": Notice.publish_on,
    "until_on": Notice.until_on,
    "status": Notice.status,
    "written_by": Notice.written_by,
    "published_by": Notice.published_by,
    "withdrawn_reason": Notice.withdrawn_reason,
}


def _for_estate(estate_id: int) -> Any:
    """A notice shown on `estate_id`'s board: one with a target there, or one without targets (every estate)."""
    return or_(
        exists().where(and_(NoticeTarget.notice_id == Notice.id, NoticeTarget.estate_id == estate_id)),
        ~exists().where(NoticeTarget.notice_id == Notice.id),
    )


def list_notices(*, actor: Actor, query: ListQuery) -> PageResult:
    """One page of notices (filters: status, kind, estate_id), newest publish day first by default; each row
    with its targets as text and a label (number and title, or 草稿 and its day) to pick it by."""
    authorize_list(actor, "relations.view", query)
    stmt = select(*[c.label(n) for n, c in NOTICE_COLUMNS.items()]).where(_visible(actor))
    estate_id = query.filters.get("estate_id")
    if isinstance(estate_id, int | str) and str(estate_id).strip():
        stmt = stmt.where(_for_estate(int(estate_id)))
    with read_session() as s:
        result = run_list(s, stmt, NOTICE_COLUMNS, query,
                          search_columns=[Notice.title, Notice.number, Notice.written_by],
                          equal_filters={"status": Notice.status, "kind": Notice.kind},
                          default_sort=("publish_on", True))
        ids = [int(i) for i in result.rows["id"]]
        texts = _target_texts(s, ids)
    rows = result.rows
    rows["targets"] = pd.Series([texts[i] for i in ids], dtype=object)
    rows["number"] = rows["number"].map(lambda v: v or "")
    # what names a row where one is picked: its number, or for a draft its day (two drafts may share a title)
    rows["label"] = pd.Series([f"{n} {title}" if n else f"草稿（{on:%m-%d}）{title}"
                               for n, title, on in zip(rows["number"], rows["title"], rows["publish_on"],
                                                       strict=True)], dtype=object)
    return result


def notice(*, actor: Actor, notice_id: int) -> NoticeView:
    """One notice with its body and targets."""
    require(actor, "relations.view")
    with read_session() as s:
        n = _notice(s, actor, notice_id)
        targets = [(e, b) for e, b in s.execute(select(NoticeTarget.estate_id, NoticeTarget.building_id)
                                                .where(NoticeTarget.notice_id == n.id).order_by(NoticeTarget.id))]
        text = _target_texts(s, [n.id])[n.id]
        return NoticeView(
            id=n.id, version=n.version, number=n.number or "", title=n.title, body=n.body, kind=n.kind,
            publish_on=n.publish_on, until_on=n.until_on, status=n.status,
            estate_ids=tuple(dict.fromkeys(e for e, _ in targets)),
            building_ids=tuple(b for _, b in targets if b is not None), targets=text, written_by=n.written_by,
            written_at=n.written_at, published_by=n.published_by, published_at=n.published_at,
            withdrawn_reason=n.withdrawn_reason, closed_by=n.closed_by, closed_at=n.closed_at,
        )


def _notice_doc(view: NoticeView, *, company: str) -> notice_print.NoticeDoc:
    """The printed form of a notice: addressed to its targets, signed by its estate's service centre (or the
    company's 物业服务中心 when it is for several estates or all)."""
    with read_session() as s:
        estates = [name for (name,) in s.execute(select(Estate.name).where(Estate.id.in_(view.estate_ids or (-1,)))
                                                 .order_by(Estate.code))]
    centre = f"{estates[0]}物业服务中心" if len(estates) == 1 else "物业服务中心"
    audience = "" if view.targets == ALL_ESTATES else view.targets.replace("；", "、").replace("（", " ") \
        .replace("）", "")
    return notice_print.NoticeDoc(company=company, number=view.number, title=view.title, kind=view.kind,
                                  body=view.body, audience=audience, centre=centre, publish_on=view.publish_on,
                                  until_on=view.until_on, status=view.status)


def notice_pdf(*, actor: Actor, notice_id: int) -> bytes:
    """The notice as the A4 PDF to post, under the company name on the receipts."""
    return notice_print.notice_pdf(_notice_doc(notice(actor=actor, notice_id=notice_id),
                                              company=get_setting("company_name")))


POST_ACTIONS = ("今日张贴", "明日张贴", "待发布", "到期撤下")


def notices_to_post(*, actor: Actor, today: date) -> pd.DataFrame:
    """The front desk's board work for `today`, in this order:
    今日张贴 — 已发布 with publish_on == today; 明日张贴 — 已发布 with publish_on == today + 1;
    待发布 — 草稿 with publish_on <= today + 1 (due today or tomorrow, or overdue and needing a new day);
    到期撤下 — 已发布 with until_on < today (past its period, still on the board: take it down and archive it).
    Columns: id, version, action, number, title, kind, publish_on, until_on, status, targets."""
    require(actor, "relations.view")
    tomorrow = today + timedelta(days=1)
    columns = ["id", "version", "action", "number", "title", "kind", "publish_on", "until_on", "status", "targets"]
    stmt = select(Notice).where(or_(
        and_(Notice.status == PUBLISHED, Notice.publish_on.in_((today, tomorrow))),
        and_(Notice.status == DRAFT, Notice.publish_on <= tomorrow),
        and_(Notice.status == PUBLISHED, Notice.until_on < today),
    ), _visible(actor)).order_by(Notice.publish_on, Notice.id)
    rows = []
    with read_session() as s:
        found = list(s.scalars(stmt))
        texts = _target_texts(s, [n.id for n in found])
        for n in found:
            if n.status == DRAFT:
                action = "待发布"
            elif n.until_on is not None and n.until_on < today:
                action = "到期撤下"
            else:
                action = "今日张贴" if n.publish_on == today else "明日张贴"
            rows.append({"id": n.id, "version": n.version, "action": action, "number": n.number or "",
                         "title": n.title, "kind": n.kind, "publish_on": n.publish_on, "until_on": n.until_on,
                         "status": n.status, "targets": texts[n.id]})
    frame = pd.DataFrame(rows, columns=columns, dtype=object)
    if rows:
        order = {a: i for i, a in enumerate(POST_ACTIONS)}
        frame = frame.sort_values(by="action", key=lambda col: col.map(order), kind="stable").reset_index(drop=True)
    return frame
