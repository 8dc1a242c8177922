"""The signed-in actor in st.session_state, and the small page helpers every page uses."""

from __future__ import annotations

import streamlit as st

from services.platform.auth import ROLE_LABELS, Actor, Role, can

ACTOR_KEY = "actor"


def current_actor() -> Actor:
    """The signed-in actor; app.py only runs pages after sign-in, so a missing actor stops the page."""
    actor = st.session_state.get(ACTOR_KEY)
    if not isinstance(actor, Actor):
        st.stop()
    return actor


def sign_in(actor: Actor) -> None:
    st.session_state[ACTOR_KEY] = actor


def sign_out() -> None:
    lang = st.session_state.get("lang", "zh")
    st.session_state.clear()
    st.session_state["lang"] = lang


def role_label(actor: Actor) -> str:
    return ROLE_LABELS[Role(actor.role)]


def allowed(actor: Actor, action: str) -> bool:
    return can(actor, action)


FLASH_KEY = "flash"
DATA_GENERATION = "data_generation"


def flash(message: str) -> None:
    """Confirm a completed write: a toast on the next run (one shown right before st.rerun() is
    often lost), and every grid reloads its rows, so no register keeps showing the old values."""
    st.session_state.setdefault(FLASH_KEY, []).append(message)
    st.session_state[DATA_GENERATION] = st.session_state.get(DATA_GENERATION, 0) + 1


def show_flashes() -> None:
    for message in st.session_state.pop(FLASH_KEY, []):
        st.toast(message, icon=":material/check_circle:")  # the emoji needs a font servers often lack
