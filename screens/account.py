"""我的账户: who you are signed in as; change your own password."""

import streamlit as st

from ui.auth_forms import password_form
from ui.i18n import t
from ui.session import current_actor, role_label

actor = current_actor()
st.title(t("account.title"))
st.caption(t("account.info", username=actor.username, role=role_label(actor)))
password_form()
