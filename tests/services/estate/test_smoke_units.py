from decimal import Decimal

import pytest

from services.estate.units import list_units, update_units
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.errors import StaleEdit
from services.platform.listing import ListQuery
from tests.factories import make_units, make_user


def test_second_editor_gets_stale_edit_and_first_edit_survives(db):
    [unit_id, *_] = make_units(2)
    first = make_user(Role.SERVICE, "first")
    second = make_user(Role.CLERK, "second")
    seen = list_units(actor=first, query=ListQuery()).rows
    version = int(seen.loc[seen.id == unit_id, "version"].iloc[0])
    update_units(actor=first, edits=[RowEdit(unit_id, version, {"built_area": "120.37"})])
    with pytest.raises(StaleEdit):
        update_units(actor=second, edits=[RowEdit(unit_id, version, {"built_area": "99.00"})])
    after = list_units(actor=first, query=ListQuery()).rows
    assert after.loc[after.id == unit_id, "built_area"].iloc[0] == Decimal("120.37")
