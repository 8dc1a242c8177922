"""The sign-in form and the change-password form (app.py and the account page use them)."""

from __future__ import annotations

import streamlit as st

from services.platform.auth import authenticate, change_own_password
from services.platform.errors import DomainError
from ui.kit.i18n import t
from ui.kit.session import current_actor, flash, sign_in


def login_form() -> None:
    _, mid, _ = st.columns([1, 2, 1])
    with mid:
        st.title(t("app.title"))
        st.subheader(t("login.title"))
        with st.form("login", enter_to_submit=True):
            username = st.text_input(t("login.username"), key="login_username")
            password = st.text_input(t("login.password"), type="password", key="login_password")
            submitted = st.form_submit_button(t("login.submit"), type="primary", width="stretch")
        st.caption(t("login.hint"))
        if submitted:
            try:
                actor = authenticate(username=username, password=password)
            except DomainError as exc:
                st.error(exc.message)
            else:
                sign_in(actor)
                st.rerun()


def password_form() -> None:
    actor = current_actor()
    with st.form("change_password"):
        old = st.text_input(t("account.old"), type="password", max_chars=128)
        new = st.text_input(t("account.new"), type="password", max_chars=128)
        confirm = st.text_input(t("account.confirm"), type="password", max_chars=128)
        submitted = st.form_submit_button(t("account.submit"), type="primary")
    if submitted:
        try:
            updated = change_own_password(actor=actor, old_password=old, new_password=new, confirm=confirm)
        except DomainError as exc:
            st.error(exc.message)
        else:
            sign_in(updated)
            flash(t("account.changed"))
            st.rerun()
