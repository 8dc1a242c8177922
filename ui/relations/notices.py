"""公告 (/relations, tab 公告): the notices register — filter, grid (SQL paging, Excel export), a form to draft a
notice, and for the notice opened under the grid its text, its PDF to print, and the moves the role may make
(修改草稿, 发布, 撤回 with a reason, 归档) as dialogs.

Decisions: the building picker lists every estate's buildings ("翠湖花园 1栋") inside the form, so the form needs no
rerun per pick; the service refuses a building outside the chosen estates with the rule. The PDF is made only when
its button is clicked.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from services.admin.reference import building_options, estate_options
from services.platform.auth import Actor, can
from services.platform.clock import local_today
from services.platform.errors import DomainError
from services.relations import notices
from services.relations.notices import BODY_MAX, NOTICE_KINDS, NOTICE_STATUSES, TITLE_MAX, NoticeView
from ui.kit import fmt, specs
from ui.kit.grid import data_grid, picked_row
from ui.kit.i18n import t
from ui.kit.session import attempt, flash
from ui.kit.tabs import grid_query_keys

# the filters, the grid's search and sort, and a draft the service refused survive a look at another tab
KEEP: tuple[str, ...] = ("notices:f:", "notices:new:", *grid_query_keys("notices"))
_ALL = None



def _places(actor: Actor) -> tuple[dict[int, str], dict[int, str]]:
    """(estate id -> name, building id -> "小区 楼栋") of every active estate."""
    estates = dict(estate_options(actor=actor))
    buildings = {b_id: f"{name} {b_name}" for e_id, name in estates.items()
                 for b_id, b_name in building_options(actor=actor, estate_id=e_id)}
    return estates, buildings


def _fields(actor: Actor, key: str, view: NoticeView | None = None) -> dict[str, Any]:
    """The notice's inputs (inside the caller's form), prefilled from `view` when editing a draft."""
    estates, buildings = _places(actor)
    today = local_today()
    title = st.text_input(t("notices.title"), value=view.title if view else "", max_chars=TITLE_MAX,
                          key=f"{key}:title", placeholder=t("notices.title_hint"))
    c1, c2, c3 = st.columns(3)
    # no kind is preselected for a new notice: the writer picks one (the service refuses none with the rule)
    kind = c1.selectbox(t("notices.kind"), NOTICE_KINDS,
                        index=NOTICE_KINDS.index(view.kind) if view and view.kind in NOTICE_KINDS else None,
                        key=f"{key}:kind", placeholder=t("notices.kind_hint"))
    publish_on = c2.date_input(t("notices.publish_on"), value=max(view.publish_on, today) if view else today,
                               min_value=today, format="YYYY-MM-DD", key=f"{key}:on")
    until_on = c3.date_input(t("notices.until_on"), min_value=today,
                             value=view.until_on if view and view.until_on and view.until_on >= today else None,
                             format="YYYY-MM-DD", key=f"{key}:until", help=t("notices.until_help"))
    c1, c2 = st.columns(2)
    estate_ids = c1.multiselect(t("notices.estates"), list(estates), format_func=lambda v: estates[v],
                                default=[e for e in (view.estate_ids if view else ()) if e in estates],
                                key=f"{key}:estates", placeholder=t("notices.all_estates"),
                                help=t("notices.estates_help"))
    building_ids = c2.multiselect(t("notices.buildings"), list(buildings), format_func=lambda v: buildings[v],
                                  default=[b for b in (view.building_ids if view else ()) if b in buildings],
                                  key=f"{key}:buildings", placeholder=t("notices.whole_estate"),
                                  help=t("notices.buildings_help"))
    body = st.text_area(t("notices.body"), value=view.body if view else "", max_chars=BODY_MAX, height=220,
                        key=f"{key}:body", placeholder=t("notices.body_hint"))
    return {"title": title, "kind": kind or "", "publish_on": publish_on, "until_on": until_on, "body": body,
            "estate_ids": list(estate_ids), "building_ids": list(building_ids)}


def _draft_form(actor: Actor) -> None:
    with st.form("notices:new", clear_on_submit=False):
        values = _fields(actor, "notices:new")
        if st.form_submit_button(t("notices.save_draft"), type="primary", icon=":material/edit_note:"):
            attempt(lambda: notices.draft_notice(actor=actor, **values),
                     t("notices.drafted", title=values["title"].strip()))


def _edit_dialog(actor: Actor, view: NoticeView) -> None:
    st.caption(t("notices.edit_caption"))
    with st.form(f"notices:edit:{view.id}"):
        values = _fields(actor, f"notices:edit:{view.id}:{view.version}", view)
        if st.form_submit_button(t("notices.save"), type="primary"):
            attempt(lambda: notices.update_draft(actor=actor, notice_id=view.id, version=view.version, **values),
                     t("notices.edited", title=view.title))


def _publish_dialog(actor: Actor, view: NoticeView) -> None:
    st.write(t("notices.publish_confirm", title=view.title, day=fmt.day(view.publish_on), targets=view.targets))
    if st.button(t("notices.publish"), type="primary", key=f"notices:do_publish:{view.id}"):
        try:
            number = notices.publish_notice(actor=actor, notice_id=view.id, version=view.version)
        except DomainError as exc:
            st.error(exc.message)
        else:
            flash(t("notices.published", number=number, title=view.title))
            st.rerun()


def _withdraw_dialog(actor: Actor, view: NoticeView) -> None:
    with st.form(f"notices:withdraw:{view.id}"):
        reason = st.text_area(t("notices.withdraw_reason"), max_chars=notices.REASON_MAX, height=90,
                              placeholder=t("notices.withdraw_hint"))
        if st.form_submit_button(t("notices.withdraw"), type="primary"):
            attempt(lambda: notices.withdraw_notice(actor=actor, notice_id=view.id, version=view.version,
                                                     reason=reason),
                     t("notices.withdrawn", title=view.title))


def _archive_dialog(actor: Actor, view: NoticeView) -> None:
    st.write(t("notices.archive_confirm_draft" if view.status == notices.DRAFT else "notices.archive_confirm",
               title=view.title))
    if st.button(t("notices.archive"), type="primary", key=f"notices:do_archive:{view.id}"):
        attempt(lambda: notices.archive_notice(actor=actor, notice_id=view.id, version=view.version),
                 t("notices.archived", title=view.title))


_MOVES = {
    "edit": ("notices.edit", _edit_dialog),
    "publish": ("notices.publish", _publish_dialog),
    "withdraw": ("notices.withdraw", _withdraw_dialog),
    "archive": ("notices.archive", _archive_dialog),
}


def _moves(actor: Actor, view: NoticeView) -> list[str]:
    moves = []
    if view.status == notices.DRAFT and can(actor, "notices.write"):
        moves.append("edit")
    if can(actor, "notices.publish"):
        if view.status == notices.DRAFT:
            moves.append("publish")
        if view.status == notices.PUBLISHED:
            moves.append("withdraw")
        if view.status in (notices.DRAFT, notices.PUBLISHED):
            moves.append("archive")
    return moves


def _panel(actor: Actor, notice_id: int) -> None:
    try:
        view = notices.notice(actor=actor, notice_id=notice_id)
    except DomainError as exc:
        st.error(exc.message)
        return
    st.subheader(f"{view.number or t('notices.no_number')} · {view.title}")
    until = fmt.day(view.until_on) if view.until_on else t("notices.open_ended")
    st.caption(t("notices.facts", status=view.status, kind=view.kind, on=fmt.day(view.publish_on), until=until,
                 targets=view.targets, writer=view.written_by, written=fmt.moment(view.written_at)))
    if view.published_at:
        st.caption(t("notices.published_facts", who=view.published_by, at=fmt.moment(view.published_at)))
    if view.status == notices.WITHDRAWN:
        st.warning(t("notices.withdrawn_facts", who=view.closed_by, at=fmt.moment(view.closed_at),
                     reason=view.withdrawn_reason))
    elif view.status == notices.ARCHIVED:
        st.caption(t("notices.archived_facts", who=view.closed_by, at=fmt.moment(view.closed_at)))
    st.text_area(t("notices.body"), value=view.body, height=200, disabled=True,
                 key=f"notices:body:{view.id}:{view.version}")
    opened = None
    with st.container(horizontal=True, gap="small"):
        for move in _moves(actor, view):
            label = t(_MOVES[move][0])
            if st.button(label, key=f"notices:{move}:{view.id}",
                         type="primary" if move == "publish" else "secondary"):
                opened = move
        st.download_button(
            t("notices.pdf"), data=lambda: notices.notice_pdf(actor=actor, notice_id=view.id),
            file_name=f"公告-{view.number or '草稿'}-{view.title}.pdf", mime="application/pdf",
            key=f"notices:pdf:{view.id}:{view.version}", on_click="ignore", icon=":material/print:",
            help=t("notices.pdf_help") if view.status != notices.PUBLISHED else None)
    if opened is not None:
        label_key, body = _MOVES[opened]
        st.dialog(t(label_key), width="large" if opened == "edit" else "medium")(body)(actor, view)


def notices_tab(actor: Actor) -> None:
    """The 公告 register: filters, the grid, the draft form, and the opened notice."""
    estates = dict(estate_options(actor=actor))
    c1, c2, c3 = st.columns(3)
    status = c1.selectbox(t("notices.status"), [_ALL, *NOTICE_STATUSES], key="notices:f:status",
                          format_func=lambda v: t("grid.all") if v is None else v)
    kind = c2.selectbox(t("notices.kind"), [_ALL, *NOTICE_KINDS], key="notices:f:kind",
                        format_func=lambda v: t("grid.all") if v is None else v)
    estate_id = c3.selectbox(t("notices.estate"), [_ALL, *estates], key="notices:f:estate",
                             format_func=lambda v: t("grid.all") if v is None else estates[v],
                             help=t("notices.estate_help"))
    if can(actor, "notices.write"):
        with st.expander(t("notices.new"), icon=":material/add:"):
            _draft_form(actor)
    data_grid(specs.NOTICES, load=lambda q: notices.list_notices(actor=actor, query=q),
              filters={"status": status, "kind": kind, "estate_id": estate_id})
    notice_id = picked_row(specs.NOTICES)
    if notice_id is not None:
        st.divider()
        _panel(actor, notice_id)

