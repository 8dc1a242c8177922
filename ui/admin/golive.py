"""上线检查 tab of /admin: the go-live checklist of services/admin/golive.py, one row per line, each with a link
to the page where it is done (the tab is named in the link: Streamlit cannot open a tab from a link)."""

from __future__ import annotations

import re

import streamlit as st

from services.admin.golive import CheckLine, pending, setup_checklist
from services.platform.auth import Actor, can
from ui.kit.i18n import CATALOG, t

# the tabs the checklist sends people to, found by the Chinese label the service names them by
_TAB_KEYS = ("admin.company", "admin.estates", "admin.fee_items", "admin.departments", "admin.users",
             "admin.holidays", "owners.tab_import", "fees.tab_arrears", "fees.tab_import", "fees.tab_billing",
             "appraisal.tab_staff")
_TAB_OF = {CATALOG[key][0]: key for key in _TAB_KEYS}
_WIDTHS = (1.1, 2.5, 5.8, 2.3)
_MARKDOWN = re.compile(r"([\\`*_\[\]<>#|~$:])")


def _plain(text: str) -> str:
    """Names typed by users (company, fee items) shown as typed, never as Markdown."""
    return _MARKDOWN.sub(r"\\\1", text)


def golive_tab(actor: Actor) -> None:
    lines = setup_checklist(actor=actor)
    # a manager's /admin holds only this tab: the tabs of /admin are the administrator's to use
    admin = can(actor, "users.manage")
    left = pending(lines)
    if left:
        st.warning(t("golive.summary_pending", n=left), icon=":material/pending_actions:")
    else:
        st.success(t("golive.summary_done"), icon=":material/task_alt:")
    st.caption(t("golive.hint"))
    with st.container(border=True):
        head = st.columns(_WIDTHS)
        for col, key in zip(head, ("golive.col_status", "golive.col_item", "golive.col_detail", "golive.col_where"),
                            strict=True):
            col.markdown(f"**{t(key)}**")
        for line in lines:
            _row(line, admin=admin)


def _row(line: CheckLine, *, admin: bool) -> None:
    status, item, detail, where = st.columns(_WIDTHS, vertical_alignment="center")
    if line.done:
        status.markdown(f":green[:material/check_circle: **{t('golive.done')}**]")
    else:
        status.markdown(f":orange[:material/pending: **{t('golive.todo')}**]")
    item.markdown(t(f"golive.item_{line.key}"))
    detail.markdown(_plain(line.detail) +
                    (f"  \n:orange[:material/warning: {_plain(line.warning)}]" if line.warning else ""))
    tab = t(_TAB_OF[line.tab]) if line.tab in _TAB_OF else line.tab
    if line.page == "admin" and not admin:
        where.markdown(f":small[:material/admin_panel_settings: {t('golive.by_admin', tab=tab)}]")
    elif line.page == "admin":
        # a link to the page already open would only be drawn as "current page"; its tab is just above
        where.markdown(f":small[:material/arrow_upward: {t('golive.this_page', tab=tab)}]")
    else:
        where.page_link(f"screens/{line.page}.py", label=f"{t(f'nav.{line.page}')} › {tab}",
                        icon=":material/arrow_forward:")
