"""One import wizard alone under AppTest (shared by the asset and the ticket wizard tests)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from services.platform.auth import Role
from tests.factories import actor_for

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def wizard_app(render: str, role: Role) -> AppTest:
    """Run the wizard function `render` ('module:function', called with the actor) for a user of `role`."""
    module, function = render.split(":")
    script = (f"import streamlit as st\nfrom ui.kit.session import show_flashes\nfrom {module} import {function}\n"
              f"show_flashes()\n{function}(st.session_state['actor'])\n")
    at = AppTest.from_string(script, default_timeout=60)
    at.session_state["actor"] = actor_for(role, f"wizard_{role.value}")
    return at.run()


def confirm_button(at: AppTest):
    return next(b for b in at.button if b.label == "确认导入")
