"""我的账户: who you are signed in as; change your own password."""

import streamlit as st

from ui.kit.i18n import t
from ui.kit.session import current_actor, role_label
from ui.platform.auth_forms import password_form

actor = current_actor()
st.title(t("account.title"))
st.caption(t("account.info", username=actor.username, role=role_label(actor)))
password_form()
