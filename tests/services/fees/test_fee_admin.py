"""The admin's fee catalog 收费项目 and the company texts printed on receipts."""

from __future__ import annotations

from decimal import Decimal

import pytest

from db.models import FeeItem
from services.admin import reference
from services.platform import settings
from services.platform.auth import Role
from services.platform.editing import RowEdit
from services.platform.errors import PermissionDenied, ValidationError
from services.platform.listing import ListQuery
from tests.factories import actor_for, audit_rows, db_state, get_row

ADMIN = actor_for(Role.ADMIN, "admin1")


def _electricity(**over) -> int:
    values = {"code": "DF2", "name": "电费（峰谷）", "category": "电费", "basis": "抄表", "rate": "0.5680",
              "unit_label": "元/度", "default_unit_kind": "（不默认）", **over}
    return reference.create_reference(actor=ADMIN, table="fee_items", values=values)


def test_a_fee_item_keeps_a_four_place_rate_and_lists_its_default_kind_in_words(db):
    item_id = _electricity()
    row = get_row(FeeItem, item_id)
    assert (row.rate, row.default_unit_kind, row.basis) == (Decimal("0.5680"), "", "抄表")
    listed = reference.list_reference(actor=ADMIN, table="fee_items", query=ListQuery(search="DF2")).rows
    assert listed[["code", "rate", "default_unit_kind"]].values.tolist() == [["DF2", Decimal("0.5680"), "（不默认）"]]


def test_a_property_fee_can_be_made_the_default_of_a_unit_kind_in_the_grid(db):
    item_id = _electricity(code="WY-X", name="物业服务费（洋房）", category="物业服务费", basis="面积",
                           rate="2.8", unit_label="元/㎡·月")
    version = get_row(FeeItem, item_id).version
    reference.update_reference(actor=ADMIN, table="fee_items",
                               edits=[RowEdit(item_id, version, {"default_unit_kind": "住宅", "rate": "2.85"})])
    row = get_row(FeeItem, item_id)
    assert (row.default_unit_kind, row.rate) == ("住宅", Decimal("2.8500"))


@pytest.mark.parametrize(("field", "value", "label"), [
    ("rate", "0.56801", "单价"), ("rate", "-1", "单价"), ("rate", "一块", "单价"),
    ("basis", "按人头", "计费方式"), ("category", "赞助费", "类别"), ("default_unit_kind", "别墅", "默认收取的房屋类型"),
])
def test_bad_fee_items_are_refused_naming_the_field_and_nothing_is_written(db, field, value, label):
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        _electricity(**{field: value})
    assert label in exc.value.errors
    assert db_state() == before


def test_company_name_defaults_then_changes_with_an_audit_row(db):
    assert settings.get_setting("company_name") == "物业服务中心"
    settings.update_settings(actor=ADMIN, values={"company_name": "翠湖物业管理有限公司"})
    assert settings.get_setting("company_name") == "翠湖物业管理有限公司"
    (entry,) = audit_rows(entity="settings")
    assert entry.entity_id == "company_name"


def test_only_the_admin_changes_company_texts(db):
    with pytest.raises(PermissionDenied):
        settings.update_settings(actor=actor_for(Role.MANAGER), values={"company_name": "x"})
    with pytest.raises(ValidationError):
        settings.update_settings(actor=ADMIN, values={"company_name": "名" * 101})
