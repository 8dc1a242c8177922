"""The signed-in actor in st.session_state, and the small page helpers every page uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from services.platform.auth import ROLE_LABELS, Actor, Role, can
from services.platform.errors import DomainError

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


def attempt(fn: Callable[[], object], success: str | Callable[[Any], str], *,
            then: Callable[[], None] | None = None) -> None:
    """Run one write of a form or dialog: its DomainError is shown where the form is (and the form keeps what was
    typed); on success `then` runs (closing a dialog), the success message is flashed and the page reruns.
    `success` may be made from what the write returned (a number it gave)."""
    try:
        result = fn()
    except DomainError as exc:
        st.error(exc.message)
        return
    if then is not None:
        then()
    flash(success(result) if callable(success) else success)
    st.rerun()


def show_flashes() -> None:
    for message in st.session_state.pop(FLASH_KEY, []):
        st.toast(message, icon=":material/check_circle:")  # the emoji needs a font servers often lack
