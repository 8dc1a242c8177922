"""Lazy tabs: a tab strip whose hidden tabs cost nothing.

`st.tabs` runs and sends every tab's body on every rerun, so a page pays for all its tabs (a reconciliation,
the arrears of every open bill) to show one. `lazy_tabs` draws the strip with `on_change="rerun"` (Streamlit
tracks which tab is open in `st.session_state[key]`, as the tab's label) and runs only the open tab's body;
clicking another tab reruns the script and draws that one.

Decisions:
- Switching tabs is one rerun of the page's top and the new tab only (the price of not computing the others).
- Streamlit forgets the state of a widget that was not drawn in a run. So when the user leaves a tab, its
  widgets' values go: filters return to their defaults and a half-filled form is cleared. What a user would
  mind losing is declared per tab as `keep` (key prefixes of value widgets: selectboxes, radios, inputs —
  never buttons, forms' submit buttons, file uploaders or grids, whose state Streamlit does not let a script
  set): their values are copied aside when the tab is left and put back the first time it is opened again.
  Values a page stores itself in `st.session_state` (the unit picked on /owners, a PDF just made) are not
  widget state and stay anyway.
- The open tab is remembered by its label: after the language switch the labels change and the first tab
  (or `default`) opens.
- Tests select a tab by setting `st.session_state[key]` to its label before a run (AppTest:
  `tests/pages/conftest.open_tab`); in a browser a click on the tab reruns the script.
- A link can open a tab: `?tab=<name>` (a tab's stable `name`, never its label, which follows the language),
  and a tab strip drawn inside that tab reads the next dot-separated name (`?tab=arrears.dunning`). Each strip
  takes its own name out of the parameter, so the address does not reopen the tab after the user clicks
  another (the home page's figures open the records behind them this way).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

_LAST = "_lazy_tabs:last:"  # + key: the label opened in the previous run
_KEPT = "_lazy_tabs:kept:"  # + key: {label: {widget key: value}} of the tabs left
TAB_PARAM = "tab"


@dataclass(frozen=True)
class LazyTab:
    """One tab: its label, what draws its body, and the widget key prefixes to keep while it is hidden."""

    label: str
    render: Callable[[], Any]
    keep: tuple[str, ...] = ()
    name: str = ""  # what `?tab=` calls it


def grid_query_keys(*grids: str) -> tuple[str, ...]:
    """The keys of the search, sort and page-size widgets of these grids (ui/kit/grid.py names them
    `grid:<spec name>:<widget>`), for `keep`: the page a grid was on is kept by the grid itself."""
    return tuple(f"grid:{name}:{widget}" for name in grids for widget in ("search", "sort", "desc", "page_size"))


def lazy_tabs(key: str, tabs: Sequence[LazyTab | tuple[str, Callable[[], Any]]], *,
              default: str | None = None) -> str:
    """Draw the tab strip and run only the open tab's body; return the open tab's label."""
    entries = [tab if isinstance(tab, LazyTab) else LazyTab(*tab) for tab in tabs]
    _open_linked(key, entries)
    containers = st.tabs([e.label for e in entries], key=key, on_change="rerun", default=default)
    index = next((i for i, c in enumerate(containers) if c.open), 0)
    _carry_kept_state(key, entries, entries[index])
    with containers[index]:
        entries[index].render()
    return entries[index].label


def _open_linked(key: str, entries: Sequence[LazyTab]) -> None:
    asked = st.query_params.get(TAB_PARAM)
    if not asked:
        return
    names = asked.split(".")
    linked = next((e for e in entries if e.name and e.name == names[0]), None)
    if linked is None:
        return
    st.session_state[key] = linked.label
    if len(names) > 1:
        st.query_params[TAB_PARAM] = ".".join(names[1:])
    else:
        del st.query_params[TAB_PARAM]


def _carry_kept_state(key: str, entries: Sequence[LazyTab], shown: LazyTab) -> None:
    last = st.session_state.get(_LAST + key)
    if last == shown.label:
        return
    kept: dict[str, dict[str, Any]] = st.session_state.setdefault(_KEPT + key, {})
    left = next((e for e in entries if e.label == last), None)
    if left is not None and left.keep:
        # the widgets of the tab just left were drawn in the previous run: their values are still here
        kept[left.label] = {k: st.session_state[k] for k in list(st.session_state.keys())
                            if isinstance(k, str) and k.startswith(left.keep)}
    for k, value in kept.pop(shown.label, {}).items():
        if k not in st.session_state:
            st.session_state[k] = value
    st.session_state[_LAST + key] = shown.label


def on_demand(label: str, key: str) -> bool:
    """A switch for a section that costs queries to draw (the records behind a figure): the caller draws it only
    while this is on. Not an st.expander: a closed expander still runs its body on every rerun, and the records
    behind a company-wide figure are a month's bills or tickets (20,000 at a large company)."""
    return st.toggle(label, key=key)
