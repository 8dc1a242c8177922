"""Estate scope on the pages: the demo's 郑海涛 (service2) works in one estate only; /owners and /fees show him no unit
of the other, and the administrator sets a user's estates on /admin (the grid component replaced: AppTest cannot
drive AG Grid, so the rows the page hands it are read instead)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import ui.kit.grid
from db.engine import read_session
from db.models import Estate
from services.platform.auth import SYSTEM_ACTOR, authenticate
from services.platform.users import estate_assignment
from tests.demo_template import DEMO_PASSWORD
from tests.pages.conftest import open_tab, signed_in

ONE_ESTATE_USER = "service2"


@pytest.fixture
def grid_rows(monkeypatch):
    """The rows each grid was handed, by grid name (the fake grid shows them unchanged)."""
    seen: dict[str, list] = {}

    def fake_aggrid(data, **kwargs):
        seen.setdefault(kwargs.get("key", "").split(":")[1], []).append(data.copy())
        return SimpleNamespace(data=data)

    monkeypatch.setattr(ui.kit.grid, "AgGrid", fake_aggrid)
    return seen


def _estates() -> tuple[str, str]:
    """(his estate's name, the other one's)."""
    theirs = authenticate(username=ONE_ESTATE_USER, password=DEMO_PASSWORD).estate_ids
    assert theirs is not None and len(theirs) == 1
    with read_session() as s:
        names = dict(s.query(Estate.id, Estate.name).all())
    (mine,) = theirs
    (other,) = [name for estate_id, name in names.items() if estate_id != mine]
    return names[mine], other


def test_a_user_of_one_estate_sees_only_its_units_on_owners_and_its_arrears_on_fees(module_demo_db, grid_rows):
    mine, other = _estates()
    at = signed_in(ONE_ESTATE_USER).run()
    at.switch_page("screens/owners.py").run()
    open_tab(at, "房屋")
    assert not at.exception and not at.error
    shown = grid_rows["units"][-1]
    assert len(shown) and set(shown["estate"]) == {mine}
    assert [o for o in at.selectbox(key="units:estate").options if other in o] == []

    at.switch_page("screens/fees.py").run()
    at.session_state["fees:arrears:group"] = "estate"
    open_tab(at, "欠费催缴")
    assert not at.exception and not at.error
    by_estate = at.dataframe[0].value
    assert list(by_estate.iloc[:, 0]) == [mine]
    assert [o for o in at.selectbox(key="fees:arrears:estate").options if other in o] == []


def test_the_administrator_gives_a_user_one_estate_on_admin_and_the_user_list_says_so(module_demo_db, grid_rows):
    mine, _other = _estates()
    at = signed_in("sysadmin").run()
    at.switch_page("screens/admin.py").run()
    assert not at.exception
    listed = grid_rows["users"][-1].set_index("username")["estates"]
    assert listed["service2"] == mine and listed["service"] == "全部小区"

    at.selectbox(key="admin:estates_user").select("service").run()
    user = estate_assignment(actor=SYSTEM_ACTOR, username="service")
    assert user.all_estates
    with read_session() as s:
        estate_id = s.query(Estate.id).filter(Estate.name == mine).scalar()
    at.radio(key=f"estates_{user.user_id}:estates_scope").set_value(False)
    at.multiselect(key=f"estates_{user.user_id}:estates_pick").set_value([estate_id])
    next(b for b in at.button if b.label == "保存").click()
    at.run()
    assert not at.exception and not at.error
    after = estate_assignment(actor=SYSTEM_ACTOR, username="service")
    assert (after.all_estates, after.estate_ids) == (False, (estate_id,))
    assert authenticate(username="service", password=DEMO_PASSWORD).estate_ids == frozenset({estate_id})
    assert any("下次登录" in c.value for c in at.caption)
