"""PropDesk entrypoint: configuration, the schema check, the sign-in gate, the error guard,
and navigation by role (a role sees only the pages it may use).
"""

from __future__ import annotations

import logging
import os
import uuid

import streamlit as st

from services.admin.system import schema_status
from services.platform.auth import can
from ui.kit.i18n import LANGS, t
from ui.kit.session import ACTOR_KEY, role_label, show_flashes, sign_out
from ui.platform.auth_forms import login_form, password_form

log = logging.getLogger("propdesk")

# url path -> (script, catalog key, icon, action that grants the page or None for everyone)
PAGES = [
    ("", "screens/home.py", "nav.home", ":material/home:", None),
    ("owners", "screens/owners.py", "nav.owners", ":material/apartment:", "units.view"),
    ("tickets", "screens/tickets.py", "nav.tickets", ":material/support_agent:", "tickets.view"),
    ("fees", "screens/fees.py", "nav.fees", ":material/payments:", "fees.view"),
    ("relations", "screens/relations.py", "nav.relations", ":material/diversity_3:", "relations.view"),
    ("appraisal", "screens/appraisal.py", "nav.appraisal", ":material/workspace_premium:", "appraisal.view"),
    ("audit", "screens/audit.py", "nav.audit", ":material/history:", "audit.view"),
    # the administrator's page; a manager opens it for the go-live checklist only (screens/admin.py)
    ("admin", "screens/admin.py", "nav.admin", ":material/admin_panel_settings:", "setup.view"),
    ("account", "screens/account.py", "nav.account", ":material/person:", None),
]
if os.environ.get("PROPDESK_BENCH_FLOOR_PAGE") == "1":
    # `make bench` only: the browser floor (one 500-row grid) served by the same server as the pages it measures
    PAGES.append(("bench-floor", "bench/floor_page.py", "nav.bench_floor", ":material/speed:", None))


def _sidebar(actor) -> None:
    with st.sidebar:
        st.markdown(f"**{t('app.title')}**")
        st.caption(t("app.signed_in_as", name=actor.display_name, role=role_label(actor)))
        if st.button(t("app.logout"), icon=":material/logout:", width="stretch"):
            sign_out()
            st.rerun()
        _language_switch()


def _language_switch() -> None:
    st.selectbox(t("app.language"), LANGS, key="lang",
                 format_func=lambda code: {"zh": "中文", "en": "English"}[code])


def _guarded(run) -> None:
    """Run a page; a DomainError is the page's to show, anything else is logged with an id and apologised for."""
    try:
        run()
    except Exception:
        error_id = uuid.uuid4().hex[:8]
        log.exception("unhandled error %s", error_id)
        st.error(t("app.error", error_id=error_id), icon=":material/error:")


def main() -> None:
    st.set_page_config(page_title=t("app.title"), page_icon=":material/apartment:", layout="wide")
    st.session_state.setdefault("lang", "zh")
    status = schema_status()
    if not status.ok:
        st.error(f"{t('app.schema')}：{status.message}")
        st.stop()

    actor = st.session_state.get(ACTOR_KEY)
    if actor is None or actor.must_change_password:
        # Register every page, hidden, so a bookmarked address such as /owners survives sign-in.
        st.navigation(_pages(lambda _action: True), position="hidden")
        if actor is None:
            with st.sidebar:
                _language_switch()
            _guarded(login_form)
        else:
            _sidebar(actor)
            st.title(t("account.title"))
            st.warning(t("account.must_change"))
            _guarded(password_form)
        return

    nav = st.navigation(_pages(lambda action: can(actor, action)))
    _sidebar(actor)
    show_flashes()
    _guarded(nav.run)


def _pages(allowed) -> list:
    return [
        st.Page(script, title=t(label), icon=icon, url_path=path or None, default=path == "")
        for path, script, label, icon, action in PAGES
        if action is None or allowed(action)
    ]


main()
