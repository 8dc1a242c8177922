"""ui/kit/tabs.lazy_tabs under AppTest: only the open tab's body runs; a tab is opened by its label in session state
(as tests/pages/conftest.open_tab does); the widget values a tab declares in `keep` come back when the user returns
to it, the others start again from their defaults."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.pages.conftest import open_tab, tab_strips


def _script() -> None:
    import streamlit as st

    from ui.kit.tabs import LazyTab, lazy_tabs

    runs = st.session_state.setdefault("runs", [])

    def body(name: str):
        def draw() -> None:
            runs.append(name)
            st.write(f"body {name}")
            st.text_input("kept", key=f"{name}:kept")
            st.text_input("lost", key=f"{name}:lost")
            if name == "B":
                lazy_tabs("inner", [("B1", lambda: st.write("body B1")), ("B2", lambda: st.write("body B2"))])
        return draw

    opened = lazy_tabs("outer", [LazyTab("A", body("A"), keep=("A:kept",)), LazyTab("B", body("B"), keep=("B:kept",)),
                                 LazyTab("C", body("C"))])
    st.caption(f"open: {opened}")


def _bodies(at: AppTest) -> list[str]:
    return [m.value for m in at.markdown if m.value.startswith("body ")]


def test_only_the_open_tab_runs_and_a_label_in_session_state_opens_another():
    at = AppTest.from_function(_script).run()
    assert _bodies(at) == ["body A"] and at.session_state["runs"] == ["A"]
    assert [tab.label for tab in at.tabs] == ["A", "B", "C"]
    assert tab_strips(at) == {"outer": ["A", "B", "C"]}
    open_tab(at, "B")
    assert _bodies(at) == ["body B", "body B1"] and at.session_state["runs"] == ["A", "B"]
    assert at.caption[0].value == "open: B"
    assert tab_strips(at, open_only=True) == {"outer": ["B"], "inner": ["B1"]}
    open_tab(at, "B2")
    assert _bodies(at) == ["body B", "body B2"]


def test_declared_values_come_back_after_another_tab_and_the_others_start_afresh():
    at = AppTest.from_function(_script).run()
    at.text_input(key="A:kept").input("半填的住户名").run()
    at.text_input(key="A:lost").input("不保留").run()
    open_tab(at, "C")
    assert "A:kept" not in [w.key for w in at.text_input]
    open_tab(at, "A")
    assert at.text_input(key="A:kept").value == "半填的住户名"
    assert at.text_input(key="A:lost").value == ""
    at.run()  # and it stays on later runs
    assert at.text_input(key="A:kept").value == "半填的住户名"
    assert not at.exception
