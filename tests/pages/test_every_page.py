"""Every page renders for every role that sees it, every tab of it too (each opened once, inner tab strips
included), none sends more than 500 rows to the browser, and a role never sees a page it may not use."""

from __future__ import annotations

import pytest

from bench.pages import MAX_ROWS, rows_sent
from services.platform.auth import Role, authenticate, role_can
from tests.demo_template import DEMO_PASSWORD
from tests.pages.conftest import DEMO_USER_OF_ROLE, app, signed_in, tab_strips

# (script, action needed or None) — kept in step with app.PAGES by test_page_table_matches_app
PAGES = [
    ("screens/home.py", None, "工作台"),
    ("screens/owners.py", "units.view", "房屋档案"),
    ("screens/tickets.py", "tickets.view", "报事"),
    ("screens/fees.py", "fees.view", "收费"),
    ("screens/relations.py", "relations.view", "客户关系"),
    ("screens/appraisal.py", "appraisal.view", "员工考核"),
    ("screens/audit.py", "audit.view", "操作日志"),
    ("screens/admin.py", "setup.view", "系统管理"),
    ("screens/account.py", None, "我的账户"),
]


def test_page_table_matches_app():
    import ast
    from pathlib import Path

    source = Path(__file__).resolve().parents[2] / "app.py"
    tree = ast.parse(source.read_text(encoding="utf-8"))
    pages = next(
        node.value for node in ast.walk(tree)
        if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", None) == "PAGES"
    )
    in_app = {(elt.elts[1].value, getattr(elt.elts[4], "value", None)) for elt in pages.elts}
    assert in_app == {(script, action) for script, action, _ in PAGES}


CASES = [
    (role, script, title)
    for role in Role
    for script, action, title in PAGES
    if action is None or role_can(role, action)
]


@pytest.mark.parametrize(
    ("role", "script", "title"), CASES, ids=[f"{r.value}-{s.split('/')[-1]}" for r, s, _ in CASES]
)
def test_page_renders_for_role(demo_db, role, script, title):
    at = signed_in(DEMO_USER_OF_ROLE[role]).run()
    at.switch_page(script).run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert at.title[0].value == title
    _rows_capped(at, script)
    opened = _open_every_tab(at, script)
    assert all(opened.values()), opened


def _open_every_tab(at, script: str) -> dict[tuple[str, str], bool]:
    """Open each tab of every tab strip the page draws, one run per tab (an inner strip is reached by opening
    its outer tab first; the strips already open stay as they are); check each run drew without error."""
    opened = {(key, labels[0]): True for key, labels in tab_strips(at, open_only=True).items()}
    pending = [(key, label) for key, labels in tab_strips(at).items() for label in labels]
    while pending:
        key, label = pending.pop(0)
        if (key, label) in opened:
            continue
        at.session_state[key] = label
        at.run()
        where = f"{script} {key}={label}"
        assert not at.exception, (where, at.exception)
        assert not [e.value for e in at.error], (where, [e.value for e in at.error])
        _rows_capped(at, where)
        strips = tab_strips(at)
        assert strips.get(key) and label in strips[key], where
        opened[(key, label)] = True
        opened.update({(k, labels[0]): True for k, labels in tab_strips(at, open_only=True).items()})
        # an inner strip's tabs next, while its outer tab is still the open one
        pending[:0] = [(k, lab) for k, labels in strips.items() for lab in labels
                       if (k, lab) not in opened and (k, lab) not in pending]
    return opened


@pytest.mark.parametrize("role", list(Role))
def test_navigation_shows_only_allowed_pages(demo_db, role):
    at = signed_in(DEMO_USER_OF_ROLE[role]).run()
    registered = {info.get("url_pathname") for info in at._registered_pages.values()}
    for script, action, _ in PAGES:
        path = script.split("/")[-1].removesuffix(".py")
        path = "" if path == "home" else path
        if action is None or role_can(role, action):
            assert path in registered or (path == "" and registered), (role, script)
        else:
            assert path not in registered, (role, script)


def _rows_capped(at, where: str) -> None:
    """No grid, table or dataframe of the run sends more than MAX_ROWS rows to the browser (issue 14)."""
    sent = rows_sent(at)
    assert max(sent.values(), default=0) <= MAX_ROWS, (where, sent)


REFUSED = [
    (role, script, title)
    for role in Role
    for script, action, title in PAGES
    if action is not None and not role_can(role, action)
]


@pytest.mark.parametrize(
    ("role", "script", "title"), REFUSED, ids=[f"{r.value}-{s.split('/')[-1]}" for r, s, _ in REFUSED]
)
def test_a_page_the_role_may_not_use_opened_by_its_address_shows_the_home_page_instead(demo_db, role, script,
                                                                                        title):
    """A bookmark (or a typed address) to a page outside the role survives the sign-in form, which registers every
    page; once signed in, the page is not in the role's navigation and the home page runs, without error."""
    at = app().run()
    at.switch_page(script).run()
    assert [b.label for b in at.button] == ["登录"]  # the address alone shows nothing but the sign-in form
    at.session_state["actor"] = authenticate(username=DEMO_USER_OF_ROLE[role], password=DEMO_PASSWORD)
    at.run()
    assert not at.exception, at.exception
    assert not [e.value for e in at.error], [e.value for e in at.error]
    assert [t.value for t in at.title][:1] == ["工作台"], (role, script)
    assert title not in [t.value for t in at.title]
