"""The go-live checklist 上线检查 (services/admin/golive.py) on every backend: every line 待处理 on a fresh install,
every line 已完成 on the demo, and each line flipping at its step of a small migration."""

from __future__ import annotations

from datetime import date

import pytest

from db.models import FeeItem, Staff
from services.admin import golive, reference, system
from services.fees import arrears, billing
from services.fees.arrears_import import import_arrears
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import local_today
from services.platform.errors import PermissionDenied
from services.platform.settings import update_settings
from services.platform.users import add_user, set_active
from services.tickets.workdays import package_covers
from tests.factories import (
    actor_for,
    arrears_workbook,
    bulk_units,
    force_columns,
    make_department,
    make_resident,
    make_staff,
    roles_with,
    roles_without,
)

KEYS = ("company", "estates", "fee_items", "units", "owners", "collectors", "arrears", "staff", "users", "holidays",
        "billing")


def checklist() -> dict[str, golive.CheckLine]:
    return {line.key: line for line in golive.setup_checklist(actor=SYSTEM_ACTOR)}


def done() -> set[str]:
    return {key for key, line in checklist().items() if line.done}


def _calendar_known() -> bool:
    """Whether `init`'s seed (chinese-calendar) already covers this year and next: the holidays line is then done."""
    year = local_today().year
    return package_covers(year) and package_covers(year + 1)


def test_the_lines_come_in_the_order_of_the_issue_with_a_place_to_go(db):
    lines = golive.setup_checklist(actor=SYSTEM_ACTOR)
    assert tuple(line.key for line in lines) == KEYS
    assert all(line.label and line.detail and line.page and line.tab for line in lines)
    assert {line.status for line in lines} <= {"已完成", "待处理"}


def test_only_the_admin_and_managers_may_see_the_checklist(db):
    assert set(roles_with("setup.view")) == {Role.ADMIN, Role.MANAGER}
    for role in roles_without("setup.view"):
        with pytest.raises(PermissionDenied):
            golive.setup_checklist(actor=actor_for(role))
    assert len(golive.setup_checklist(actor=actor_for(Role.MANAGER))) == len(KEYS)


def test_a_fresh_install_has_everything_to_do(db):
    system.init(admin_password="fresh-admin-pass-1")
    lines = checklist()
    assert done() == ({"holidays"} if _calendar_known() else set())
    assert lines["company"].detail == "仍为默认的“物业服务中心”，请填写公司全称"
    assert lines["estates"].detail == "0 个小区，0 栋楼"
    assert lines["units"].detail == "还没有房屋"
    assert lines["users"].detail.endswith("；缺少客服主管、客服专员、收费员账户")
    assert lines["billing"].detail == f"{local_today():%Y-%m} 尚未计费：预览将新增应收 0 张，合计 ¥0.00"
    assert golive.pending(tuple(lines.values())) == len(KEYS) - len(done())


def test_each_step_of_a_migration_flips_its_line(db, monkeypatch):
    system.init(admin_password="fresh-admin-pass-1")
    # a day in a year whose next year chinese-calendar does not know, so the holidays line starts 待处理
    monkeypatch.setattr(golive, "local_today", lambda: date(2026, 12, 7))
    if package_covers(2027):
        pytest.skip("chinese-calendar knows 2027: the holiday step cannot be shown on this date")
    expected: set[str] = set()
    assert done() == expected

    update_settings(actor=SYSTEM_ACTOR, values={"company_name": "翠湖物业服务有限公司"})
    assert done() == (expected := expected | {"company"})

    reference.create_reference(actor=SYSTEM_ACTOR, table="estates", values={"code": "CH", "name": "翠湖花园"})
    assert checklist()["estates"].detail == "1 个小区，0 栋楼；1 个小区还没有楼栋"
    assert done() == expected
    estate_id = reference.estate_options(actor=SYSTEM_ACTOR)[0][0]
    reference.create_reference(actor=SYSTEM_ACTOR, table="buildings",
                               values={"estate_id": estate_id, "code": "1", "name": "1栋"})
    assert done() == (expected := expected | {"estates"})
    building_id = reference.building_options(actor=SYSTEM_ACTOR, estate_id=estate_id)[0][0]

    # HC's sheet has no 交房日期: 3 of the 5 handed-over units come without one (a warning, not 待处理)
    occupied = bulk_units(estate_id, building_id, 3, delivered_on=None)
    occupied += bulk_units(estate_id, building_id, 2, start=4)
    unsold = bulk_units(estate_id, building_id, 1, start=6, status="未售", delivered_on=None)
    lines = checklist()
    assert lines["units"].done and lines["units"].detail == "共 6 套房屋"
    assert lines["units"].warning == "其中 3 套已交房的房屋未填交房日期，按整月计费，请补填"
    # the seeded catalog bills 住宅: the fee line is done as soon as there are units of a kind it covers
    assert done() == (expected := expected | {"units", "fee_items"})
    assert lines["fee_items"].detail == "住宅：物业服务费（住宅）2.20 元/㎡·月"

    wy_zz = next(i for i, name, _ in billing.fee_item_options(actor=SYSTEM_ACTOR) if name == "物业服务费（住宅）")
    force_columns(FeeItem, wy_zz, active=False)
    assert checklist()["fee_items"].detail == "住宅（6 套）：没有默认收费项目"
    assert done() == expected - {"fee_items"}
    reference.create_reference(actor=SYSTEM_ACTOR, table="fee_items", values={
        "code": "WY-ZZ2", "name": "物业费（住宅）", "category": "物业服务费", "basis": "面积", "rate": "2.5",
        "unit_label": "元/㎡·月", "default_unit_kind": "住宅"})
    assert done() == expected
    assert checklist()["fee_items"].detail == "住宅：物业费（住宅）2.50 元/㎡·月"

    for n, unit_id in enumerate(occupied):
        assert "owners" not in done()
        make_resident(unit_id, f"业主{n}", f"1381234800{n}")
    assert done() == (expected := expected | {"owners"})
    assert checklist()["owners"].detail == "5 套已交房的房屋中 5 套已关联业主"

    department = make_department("KF", "客服部")
    assert "staff" not in done()
    collector = make_staff("黄丽娟", "S001")
    force_columns(Staff, collector, department_id=department)
    assert done() == (expected := expected | {"staff"})
    arrears.assign_collector(actor=SYSTEM_ACTOR, unit_ids=occupied, staff_id=collector)
    assert checklist()["collectors"].detail == "6 套收费房屋中 5 套已指定收费员，1 套未指定（或收费员已离职）"
    arrears.assign_collector(actor=SYSTEM_ACTOR, unit_ids=unsold, staff_id=collector)
    assert done() == (expected := expected | {"collectors"})

    import_arrears(actor=SYSTEM_ACTOR, source=arrears_workbook([
        {"房屋": "1-1-R00001", "收费项目": "WY-ZZ2", "期间": "2026-10", "金额": "223.75"},
        {"房屋": "1-1-R00002", "收费项目": "WY-ZZ2", "期间": "2026-11", "金额": "1,000.01"}]))
    assert done() == (expected := expected | {"arrears"})
    assert checklist()["arrears"].detail == "已导入欠费 2 张，其中未缴 2 张，合计 ¥1,223.76"

    for role, name in ((Role.MANAGER, "manager"), (Role.SERVICE, "service")):
        add_user(actor=SYSTEM_ACTOR, username=name, display_name=name, role=role, password="user-pass-123")
    assert "users" not in done()
    add_user(actor=SYSTEM_ACTOR, username="cashier", display_name="收费员", role=Role.CASHIER,
             password="user-pass-123")
    assert done() == (expected := expected | {"users"})
    set_active(actor=SYSTEM_ACTOR, username="cashier", active=False)
    assert done() == expected - {"users"}
    set_active(actor=SYSTEM_ACTOR, username="cashier", active=True)

    assert checklist()["holidays"].detail.endswith("2027 年未录入")
    reference.create_reference(actor=SYSTEM_ACTOR, table="holidays",
                               values={"day": "2027-01-01", "is_workday": False, "name": "元旦"})
    assert done() == (expected := expected | {"holidays"})

    preview = checklist()["billing"]
    assert preview.detail.startswith("2026-12 尚未计费：预览将新增应收 ")
    assert preview.warning == "3 套交房日期未填，将按整月计费"
    billing.run_billing(actor=SYSTEM_ACTOR, period="2026-12")
    assert done() == set(KEYS)
    assert golive.pending(golive.setup_checklist(actor=SYSTEM_ACTOR)) == 0
