"""失物招领 (/relations, tab 失物招领): the 《失物登记表》 — filter, grid (SQL paging, Excel export), a form to register
a found item, and for the item opened under the grid its record and the moves the role may make (认领 with the 证件
checked, 处置 once its notice has run out, 修改登记, the single-item 招领 to print for a valuable item); below,
the quarterly round: the items unclaimed at a quarter's end per estate, posting that quarter's 招领启事, its PDF.

Decisions: times are entered as a day and a time in Asia/Shanghai; phones come masked from the service for roles
without people.reveal; PDFs are made only when their button is clicked.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from services.admin.reference import estate_options
from services.platform.auth import Actor, can
from services.platform.clock import SHANGHAI, local_today, to_local
from services.platform.errors import DomainError
from services.relations import lost_found
from services.relations.lost_found import DISPOSAL_WAYS, ID_KINDS, LOST_STATUSES, LostItemView
from ui.kit import fmt, specs
from ui.kit.grid import data_grid, picked_row
from ui.kit.i18n import t
from ui.kit.session import attempt, flash
from ui.kit.tables import fit_height
from ui.kit.tabs import grid_query_keys

# the filters, the quarter, the grid's search and sort, and a registration the service refused survive a tab change
KEEP: tuple[str, ...] = ("lost:f:", "lost:q:", "lost:new:", *grid_query_keys("lost_items"))
_ALL = None



def _moment(key: str, label_day: str, label_time: str, value: datetime | None = None) -> datetime:
    """A day and a time in Asia/Shanghai (now, to the minute, unless `value`)."""
    shown = to_local(value) if value else datetime.now(SHANGHAI)
    c1, c2 = st.columns(2)
    day = c1.date_input(t(label_day), value=shown.date(), max_value=local_today(), format="YYYY-MM-DD",
                        key=f"{key}:d")
    moment = c2.time_input(t(label_time), value=shown.time().replace(second=0, microsecond=0), step=300,
                           key=f"{key}:t")
    return datetime.combine(day, moment, SHANGHAI)


def _item_fields(actor: Actor, key: str, view: LostItemView | None = None) -> dict[str, Any]:
    estates = dict(estate_options(actor=actor))
    c1, c2, c3 = st.columns([2, 3, 1], vertical_alignment="bottom")
    estate_id = c1.selectbox(t("lost.estate"), list(estates), format_func=lambda v: estates[v], key=f"{key}:estate",
                             index=list(estates).index(view.estate_id) if view and view.estate_id in estates else 0)
    what = c2.text_input(t("lost.what"), value=view.what if view else "", max_chars=32, key=f"{key}:what",
                         placeholder=t("lost.what_hint"))
    valuable = c3.checkbox(t("lost.valuable"), value=view.valuable if view else False, key=f"{key}:valuable",
                           help=t("lost.valuable_help"))
    description = st.text_input(t("lost.description"), value=view.description if view else "", max_chars=200,
                                key=f"{key}:description", placeholder=t("lost.description_hint"))
    found_at = _moment(f"{key}:found", "lost.found_day", "lost.found_time", view.found_at if view else None)
    c1, c2 = st.columns(2)
    found_place = c1.text_input(t("lost.found_place"), value=view.found_place if view else "", max_chars=60,
                                key=f"{key}:place", placeholder=t("lost.found_place_hint"))
    kept_at = c2.text_input(t("lost.kept_at"), value=view.kept_at if view else "", max_chars=60,
                            key=f"{key}:kept", placeholder=t("lost.kept_at_hint"))
    c1, c2 = st.columns(2)
    finder_name = c1.text_input(t("lost.finder_name"), value=view.finder_name if view else "", max_chars=32,
                                key=f"{key}:finder")
    finder_phone = c2.text_input(t("lost.finder_phone"), max_chars=20, key=f"{key}:finder_phone",
                                 value=view.finder_phone if view and "*" not in view.finder_phone else "",
                                 help=t("lost.finder_phone_help") if view and "*" in view.finder_phone else None)
    phone: str | None = finder_phone
    if view is not None and "*" in view.finder_phone and not finder_phone:
        phone = None  # a masked phone this role cannot see stays as it is
    return {"estate_id": estate_id, "what": what, "valuable": valuable, "description": description,
            "found_at": found_at, "found_place": found_place, "kept_at": kept_at, "finder_name": finder_name,
            "finder_phone": phone}


def _register_form(actor: Actor) -> None:
    with st.form("lost:new"):
        values = _item_fields(actor, "lost:new")
        values["finder_phone"] = values["finder_phone"] or ""
        if st.form_submit_button(t("lost.register"), type="primary", icon=":material/inventory_2:"):
            try:
                _, number = lost_found.register_item(actor=actor, **values)
            except DomainError as exc:
                st.error(exc.message)
            else:
                flash(t("lost.registered", number=number, what=values["what"].strip()))
                st.rerun()


def _edit_dialog(actor: Actor, view: LostItemView) -> None:
    with st.form(f"lost:edit:{view.id}"):
        values = _item_fields(actor, f"lost:edit:{view.id}:{view.version}", view)
        if st.form_submit_button(t("lost.save"), type="primary"):
            attempt(lambda: lost_found.update_item(actor=actor, item_id=view.id, version=view.version, **values),
                     t("lost.edited", number=view.number))


def _claim_dialog(actor: Actor, view: LostItemView) -> None:
    st.caption(t("lost.claim_caption", number=view.number, what=view.what))
    with st.form(f"lost:claim:{view.id}"):
        c1, c2 = st.columns(2)
        name = c1.text_input(t("lost.claimant_name"), max_chars=32)
        phone = c2.text_input(t("lost.claimant_phone"), max_chars=20)
        c1, c2 = st.columns([1, 1], vertical_alignment="bottom")
        id_kind = c1.selectbox(t("lost.id_kind"), ID_KINDS)
        checked = c2.checkbox(t("lost.id_checked"), help=t("lost.id_checked_help"))
        claimed_at = _moment(f"lost:claim:{view.id}:at", "lost.claim_day", "lost.claim_time")
        st.caption(t("lost.handed_over_by_you", name=actor.display_name))
        if st.form_submit_button(t("lost.claim"), type="primary"):
            attempt(lambda: lost_found.claim_item(actor=actor, item_id=view.id, version=view.version,
                                                   claimant_name=name, claimant_phone=phone, id_kind=id_kind,
                                                   id_checked=checked, claimed_at=claimed_at),
                     t("lost.claimed", number=view.number, name=name.strip()))


def _dispose_dialog(actor: Actor, view: LostItemView) -> None:
    if view.disposable_from is None:
        st.warning(t("lost.not_noticed"))
    else:
        st.caption(t("lost.dispose_caption", number=view.number, quarter=view.notice_quarter,
                     claim_by=fmt.day(view.claim_by), day=fmt.day(view.disposable_from)))
    with st.form(f"lost:dispose:{view.id}"):
        c1, c2 = st.columns(2)
        way = c1.selectbox(t("lost.way"), DISPOSAL_WAYS)
        day = c2.date_input(t("lost.disposed_on"), value=local_today(), max_value=local_today(), format="YYYY-MM-DD")
        note = st.text_input(t("lost.note"), max_chars=200, placeholder=t("lost.note_hint"))
        if st.form_submit_button(t("lost.dispose"), type="primary"):
            attempt(lambda: lost_found.dispose_item(actor=actor, item_id=view.id, version=view.version, way=way,
                                                     disposed_on=day, note=note),
                     t("lost.disposed", number=view.number, way=way))


_MOVES = {
    "claim": ("lost.claim", _claim_dialog),
    "dispose": ("lost.dispose", _dispose_dialog),
    "edit": ("lost.edit", _edit_dialog),
}


def _facts(view: LostItemView) -> None:
    finder = " ".join(part for part in (view.finder_name, view.finder_phone) if part) or "—"
    st.caption(t("lost.facts", estate=view.estate, at=fmt.moment(view.found_at), place=view.found_place,
                 kept=view.kept_at, recorder=view.recorded_by, finder=finder))
    if view.description:
        st.write(view.description)
    if view.status == lost_found.CLAIMED:
        st.success(t("lost.claimed_facts", name=view.claimant_name, phone=view.claimant_phone, kind=view.id_kind,
                     at=fmt.moment(view.claimed_at), by=view.handed_over_by))
    elif view.status == lost_found.DISPOSED:
        st.info(t("lost.disposed_facts", way=view.disposal_way, on=fmt.day(view.disposed_on), by=view.disposed_by,
                  note=view.disposal_note or "—"))
    elif view.disposable_from is None:
        st.caption(t("lost.waiting_unnoticed"))
    else:
        st.caption(t("lost.waiting_noticed", quarter=view.notice_quarter, claim_by=fmt.day(view.claim_by),
                     day=fmt.day(view.disposable_from)))


def _panel(actor: Actor, item_id: int) -> None:
    try:
        view = lost_found.item(actor=actor, item_id=item_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    badge = f" · {t('lost.valuable')}" if view.valuable else ""
    st.subheader(f"{view.number} · {view.what}{badge} · {view.status}")
    _facts(view)
    if view.status != lost_found.WAITING:
        return
    opened = None
    with st.container(horizontal=True, gap="small"):
        if can(actor, "lost.manage"):
            for move, (label, _body) in _MOVES.items():
                if st.button(t(label), key=f"lost:{move}:{view.id}", type="primary" if move == "claim" else "secondary"):
                    opened = move
        st.download_button(t("lost.item_pdf"), data=lambda: lost_found.item_notice_pdf(actor=actor, item_id=view.id),
                           file_name=f"失物招领-{view.number}.pdf", mime="application/pdf", on_click="ignore",
                           key=f"lost:pdf:{view.id}:{view.version}", icon=":material/print:",
                           help=t("lost.item_pdf_help"))
    if opened is not None:
        label, body = _MOVES[opened]
        st.dialog(t(label), width="large" if opened == "edit" else "medium")(body)(actor, view)


def _quarterly(actor: Actor) -> None:
    """The quarterly round: pick an ended quarter and an estate, see its list, post and print its notice."""
    st.subheader(t("lost.quarterly"))
    st.caption(t("lost.quarterly_caption", days=lost_found.CLAIM_DAYS, hold=lost_found.HOLD_DAYS))
    estates = dict(estate_options(actor=actor))
    quarters = lost_found.ended_quarters(local_today())
    c1, c2 = st.columns(2)
    quarter = c1.selectbox(t("lost.quarter"), quarters, format_func=lambda q: q.title, key="lost:q:quarter")
    estate_id = c2.selectbox(t("lost.estate"), list(estates), format_func=lambda v: estates[v], key="lost:q:estate")
    if quarter is None or estate_id is None:
        return
    frame = lost_found.unclaimed_in_quarter(actor=actor, quarter=quarter.label, estate_id=estate_id)
    waiting = int((frame["status"] == lost_found.WAITING).sum()) if len(frame) else 0
    posted = lost_found.quarter_notices(actor=actor)
    posted = posted[(posted["quarter"] == quarter.label) & (posted["estate_id"] == estate_id)]
    m1, m2, m3 = st.columns(3)
    m1.metric(t("lost.unclaimed_at_end", quarter=quarter.title), len(frame))
    m2.metric(t("lost.still_waiting"), waiting)
    if len(posted):
        row = posted.iloc[0]
        m3.metric(t("lost.claim_by"), fmt.day(row["claim_by"]),
                  help=t("lost.posted_facts", on=fmt.day(row["posted_on"]), by=row["posted_by"], n=row["item_count"]))
    else:
        m3.metric(t("lost.claim_by"), t("lost.not_posted"))
    if len(frame):
        shown = frame.assign(
            found_on=[fmt.day(v) for v in frame["found_on"]],
            claim_by=[fmt.day(v) if isinstance(v, date) else "" for v in frame["claim_by"]],
            disposable_from=[fmt.day(v) if isinstance(v, date) else "" for v in frame["disposable_from"]],
        )
        labels = {"number": t("lost.number"), "what": t("lost.what"), "description": t("lost.description"),
                  "found_on": t("lost.found_day"), "found_place": t("lost.found_place"), "kept_at": t("lost.kept_at"),
                  "status": t("lost.status"), "claim_by": t("lost.claim_by"),
                  "disposable_from": t("lost.disposable_from")}
        st.dataframe(pd.DataFrame({v: shown[k] for k, v in labels.items()}), hide_index=True, width="stretch",
                     height=fit_height(len(shown)))
    else:
        st.caption(t("lost.none_in_quarter"))
    with st.container(horizontal=True, gap="small"):
        if not len(posted) and waiting and can(actor, "lost.manage") and st.button(
                t("lost.post_notice"), type="primary", key="lost:q:post", icon=":material/campaign:"):
            attempt(lambda: lost_found.post_quarter_notice(actor=actor, quarter=quarter.label, estate_id=estate_id),
                     t("lost.posted", quarter=quarter.title, estate=estates[estate_id], n=waiting))
        if len(posted) and waiting:
            st.download_button(
                t("lost.notice_pdf"), icon=":material/print:", on_click="ignore", mime="application/pdf",
                data=lambda: lost_found.quarter_notice_pdf(actor=actor, quarter=quarter.label, estate_id=estate_id),
                file_name=f"失物招领启事-{estates[estate_id]}-{quarter.label}.pdf", key="lost:q:pdf")


def lost_found_tab(actor: Actor) -> None:
    """The 失物招领 register: filters, the grid, the register form, the opened item, the quarterly round."""
    estates = dict(estate_options(actor=actor))
    c1, c2, c3 = st.columns([2, 2, 1], vertical_alignment="bottom")
    status = c1.selectbox(t("lost.status"), [_ALL, *LOST_STATUSES], key="lost:f:status",
                          format_func=lambda v: t("grid.all") if v is None else v)
    estate_id = c2.selectbox(t("lost.estate"), [_ALL, *estates], key="lost:f:estate",
                             format_func=lambda v: t("grid.all") if v is None else estates[v])
    due = c3.toggle(t("lost.due_only"), key="lost:f:due", help=t("lost.due_help"))
    if can(actor, "lost.manage"):
        with st.expander(t("lost.new"), icon=":material/add:"):
            _register_form(actor)
    data_grid(specs.LOST_ITEMS, load=lambda q: lost_found.list_items(actor=actor, query=q),
              filters={"status": status, "estate_id": estate_id, "due": due or None})
    item_id = picked_row(specs.LOST_ITEMS)
    if item_id is not None:
        st.divider()
        _panel(actor, item_id)
    st.divider()
    _quarterly(actor)
