"""The ticket detail panel with its timeline and the moves the role may make, as dialogs.

Photos show as thumbnails made here from the stored bytes (Pillow) and kept in the session by photo id:
photos are never edited, so a thumbnail never goes stale, and a rerun does not read every photo again.
The originals are read from the database only when a 原图 button is clicked.
"""

from __future__ import annotations

import io
from datetime import datetime
from decimal import Decimal

import pandas as pd
import streamlit as st
from PIL import Image, ImageOps

from services.platform.auth import Actor, Role, can
from services.platform.clock import SHANGHAI, local_today
from services.platform.users import staff_choices
from services.tickets import photos as ticket_photos
from services.tickets import workflow as tickets
from services.tickets.lists import TicketDetail, ticket_detail
from services.tickets.statuses import TicketStatus
from ui.kit import fmt
from ui.kit.i18n import t
from ui.kit.session import attempt

PHOTO_TYPES = ("jpg", "jpeg", "png", "webp")  # what the picker offers; the service decides by the bytes
THUMB_PX = 480  # the thumbnail made (sharp on a phone's dense screen) ...
_THUMB_SHOWN_PX = 150  # ... and the width it is shown at
_THUMBS = "tk:thumbs"
_THUMBS_KEPT = 60
_BUTTON_PX = 112  # two or three to a row on a phone, all in one row on a desk
_PREVIEW_MAX_PIXELS = 60_000_000  # larger pictures are not decoded for a preview (memory)



def _when(key: str) -> datetime:
    c1, c2 = st.columns(2)
    day = c1.date_input(t("tickets.when_day"), value=local_today(), format="YYYY-MM-DD", key=f"{key}:d")
    moment = c2.time_input(t("tickets.when_time"), value=datetime.now(SHANGHAI).time().replace(second=0,
                                                                                                 microsecond=0),
                           key=f"{key}:t", step=300)
    return datetime.combine(day, moment, SHANGHAI)


def ticket_panel(actor: Actor, ticket_id: int, key: str = "") -> None:
    """`key` tells apart panels of one ticket opened under several boards in the same run."""
    d = ticket_detail(actor=actor, ticket_id=ticket_id)
    if d is None:
        return
    st.subheader(f"{d.number} · {d.ticket_type} · {d.status}")
    overdue = d.status in tickets.OPEN and d.deadline_at < datetime.now(SHANGHAI)
    with st.container(horizontal=True, gap="small"):  # one line on a desk, wrapped on a phone
        st.markdown(f"**{t('tickets.unit')}** {d.estate} {d.code or '—'}", width="content")
        st.markdown(f"**{t('tickets.caller')}** {d.caller_name or '—'} {d.caller_phone}", width="content")
        st.markdown(f"**{t('tickets.received_at')}** {fmt.moment(d.received_at)}", width="content")
        st.markdown(f"**{t('tickets.deadline_at')}** {fmt.moment(d.deadline_at)}"
                    + (f" :red-badge[{t('tickets.overdue')}]" if overdue else ""), width="content")
    st.text(d.content)
    st.caption(t("tickets.people_line", department=d.department, assignee=d.assignee or "—",
                 responder=d.first_responder or "—", reopen=d.reopen_count))
    if d.paid or d.completed_at is not None:
        st.markdown(f"**{t('tickets.charge')}** {t('tickets.paid') if d.paid else t('tickets.free')}"
                    f" · **{t('tickets.cost')}** {fmt.money(d.cost)}")
    _actions(actor, d, key)  # before the photos: on a phone the moves stay near the top
    _photos(actor, ticket_id, key)
    rows = tickets.timeline(actor=actor, ticket_id=ticket_id)
    # the note third: on a phone only the first columns are in view without scrolling the table
    timeline = pd.DataFrame([{t("tickets.tl_at"): fmt.moment(r.at), t("tickets.tl_step"): r.kind,
                              t("tickets.tl_note"): r.note, t("tickets.tl_actor"): r.actor,
                              t("tickets.status"): r.status_to or ""} for r in rows])
    st.markdown(f"**{t('tickets.timeline')}**")
    st.dataframe(timeline, hide_index=True, width="stretch")


def _shrink(data: bytes) -> bytes | None:
    """A JPEG/PNG thumbnail at most THUMB_PX on its longer side, upright; None when it cannot be shown."""
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.width * im.height > _PREVIEW_MAX_PIXELS:
                return None
            im.draft("RGB", (THUMB_PX, THUMB_PX))  # JPEG: decode at a reduced scale
            small = ImageOps.exif_transpose(im)
            small.thumbnail((THUMB_PX, THUMB_PX))
            out = io.BytesIO()
            if small.mode in ("RGBA", "LA", "P"):
                small.convert("RGBA").save(out, format="PNG", optimize=True)
            else:
                small.convert("RGB").save(out, format="JPEG", quality=80)
            return out.getvalue()
    except (OSError, ValueError, Image.DecompressionBombError):
        return None


def _thumbnail(actor: Actor, photo_id: int) -> bytes | None:
    kept: dict[int, bytes | None] = st.session_state.setdefault(_THUMBS, {})
    if photo_id not in kept:
        if len(kept) >= _THUMBS_KEPT:
            kept.pop(next(iter(kept)))
        kept[photo_id] = _shrink(ticket_photos.photo_file(actor=actor, photo_id=photo_id).data)
    return kept[photo_id]


def _photos(actor: Actor, ticket_id: int, key: str) -> None:
    photos = ticket_photos.list_photos(actor=actor, ticket_id=ticket_id)
    if not photos:
        return
    st.markdown(f"**{t('tickets.photos')}** ({len(photos)})")
    with st.container(horizontal=True, gap="small"):  # wraps: two to a row on a phone
        for i, p in enumerate(photos, start=1):
            with st.container(width=_THUMB_SHOWN_PX, gap=None):
                thumb = _thumbnail(actor, p.id)
                if thumb is None:
                    st.caption(t("tickets.photo_no_preview", name=p.filename))
                else:
                    st.image(thumb, caption=p.filename, alt=p.filename, width=_THUMB_SHOWN_PX)
                st.download_button(
                    t("tickets.photo_original", n=i), key=f"tk:{key}:photo:{p.id}", file_name=p.filename,
                    data=lambda pid=p.id: ticket_photos.photo_file(actor=actor, photo_id=pid).data,
                    mime=p.content_type, icon=":material/download:", on_click="ignore", type="tertiary")


def _allowed(actor: Actor, status: str) -> list[str]:
    role = Role(actor.role)
    return [m for m, (starts, _, roles) in tickets.MOVES.items() if status in starts and role in roles]


def _actions(actor: Actor, d: TicketDetail, key: str) -> None:
    if not can(actor, "tickets.handle"):
        return
    moves = _allowed(actor, d.status)
    buttons = [(m, tickets.MOVE_LABELS[m]) for m in moves]
    if d.ticket_type == "投诉" and can(actor, "tickets.rule") and d.status != TicketStatus.CANCELLED:
        buttons.append(("rule", tickets.MOVE_LABELS["rule"]))
    if d.status in tickets.MOVES["note"][0]:  # photos go where a progress note may go
        buttons.append(("photo", t("tickets.add_photos")))
    if not buttons:
        return
    # A wrapping row, not st.columns: on a phone columns stack into a tall pile of full-width buttons.
    opened = None
    with st.container(horizontal=True, gap="small"):
        for move, label in buttons:
            if st.button(label, key=f"tk:{key}:{move}:{d.id}", width=_BUTTON_PX):
                opened = (move, label)
    if opened is not None:
        st.dialog(opened[1])(_dialog)(actor, d, opened[0])


def _dialog(actor: Actor, d: TicketDetail, move: str) -> None:
    st.caption(f"{d.number} · {d.status}")
    ticket_id, version = int(d.id), int(d.version)
    if move == "revisit":
        with st.form("revisit"):
            method = st.radio(t("tickets.revisit_method"), tickets.REVISIT_METHODS, horizontal=True)
            result = st.radio(t("tickets.revisit_result"), tickets.REVISIT_RESULTS, horizontal=True)
            comment = st.text_area(t("tickets.revisit_comment"), max_chars=500)
            if st.form_submit_button(t("tickets.confirm"), type="primary"):
                attempt(lambda: tickets.record_revisit(actor=actor, ticket_id=ticket_id, version=version,
                                                        method=method, result=result, comment=comment),
                         t("tickets.revisited"))
        return
    if move == "photo":
        with st.form("photo"):
            uploads = st.file_uploader(t("tickets.photos"), accept_multiple_files=True, type=PHOTO_TYPES,
                                       help=t("tickets.photos_help"))
            if st.form_submit_button(t("tickets.confirm"), type="primary"):
                photos = [(f.name, f.getvalue()) for f in uploads or []]
                attempt(lambda: tickets.add_photos(actor=actor, ticket_id=ticket_id, photos=photos),
                         t("tickets.photos_added", n=len(photos)))
        return
    if move == "rule":
        staff = staff_choices(actor=actor)
        with st.form("rule"):
            effective = st.radio(t("tickets.ruling"), ["有效", "无效"], horizontal=True) == "有效"
            who = st.selectbox(t("tickets.responsible"), [None, *staff], format_func=lambda v: "—" if v is None
                               else staff[v])
            note = st.text_input(t("tickets.note"), max_chars=200)
            if st.form_submit_button(t("tickets.confirm"), type="primary"):
                attempt(lambda: tickets.rule_complaint(actor=actor, ticket_id=ticket_id, version=version,
                                                        effective=effective, responsible_staff_id=who, note=note),
                         t("tickets.ruled"))
        return
    with st.form(move):
        department = assignee = None
        if move == "dispatch":
            department = st.selectbox(t("tickets.department"), tickets.DEPARTMENTS,
                                      index=tickets.DEPARTMENTS.index(d.department))
            people = tickets.assignee_options(actor=actor, ticket_id=ticket_id)
            assignee = st.selectbox(t("tickets.assignee"), [None, *people],
                                    format_func=lambda v: "—" if v is None else people[v])
        when = _when(f"when:{move}") if move in ("complete", "note") else None
        paid = cost = None
        if move == "complete":
            paid = st.radio(t("tickets.charge"), [False, True], index=int(bool(d.paid)), horizontal=True,
                            format_func=lambda v: t("tickets.paid") if v else t("tickets.free"))
            cost = st.text_input(t("tickets.cost"), value=fmt.money(d.cost or Decimal("0")), max_chars=14,
                                 help=t("tickets.cost_help"))
        note = st.text_area(t("tickets.note") + (" *" if move in ("cancel", "reopen", "note") else ""),
                            max_chars=1000)
        if st.form_submit_button(t("tickets.confirm"), type="primary"):
            attempt(lambda: tickets.move(actor=actor, ticket_id=ticket_id, version=version, action=move, note=note,
                                          assignee_id=assignee, department=department, at=when,
                                          paid=paid, cost=cost),
                     t("tickets.moved", step=tickets.MOVE_LABELS[move], number=d.number))
