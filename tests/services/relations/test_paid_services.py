"""特约服务/家政 (services/relations/paid_services): the price list, orders, completion with the owner's rating,
and the charge as a normal bill of the unit that the cashier counter collects and the day's 日结 counts.

Every test runs on SQLite, PostgreSQL and MariaDB (`db` fixture) unless marked sqlite_only (a rule refused before
any SQL, a permission check). Times are real (now), chosen relative to now.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from db.engine import read_session
from db.models import Allocation, Bill, FeeItem, PaidServiceItem, PaidServiceOrder, Staff, UnitNote
from db.types import utcnow
from services.fees import cashier
from services.fees.figures import fee_kpis
from services.platform.auth import Role
from services.platform.clock import to_local
from services.platform.editing import RowEdit
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.platform.period import period_of
from services.relations import paid_services as ps
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    count_rows,
    db_state,
    fee_login,
    force_columns,
    get_row,
    make_resident,
    make_staff,
    make_units,
    roles_with,
    roles_without,
    sqlite_only,
)

D = Decimal
MANAGER = actor_for(Role.MANAGER)
DESK = actor_for(Role.SERVICE)
ENGINEER = actor_for(Role.ENGINEER)


@pytest.fixture
def shop(db):
    """Two units, one staff member and a price list of three services."""
    units = make_units(2)
    staff = make_staff("赵建国", "S005")
    items = {
        "管道疏通": ps.add_item(actor=MANAGER, name="管道疏通", category="管道疏通", charge_unit="次", price="80.00"),
        "日常保洁": ps.add_item(actor=MANAGER, name="日常保洁", category="家政保洁", charge_unit="小时", price="40"),
        "玻璃清洗": ps.add_item(actor=MANAGER, name="玻璃清洗", category="家政保洁", charge_unit="平方米",
                            price="33.33"),
    }
    return {"units": units, "staff": staff, "items": items}


def _order(shop, item: str = "管道疏通", *, quantity: object = "1", unit: int | None = None, actor=DESK,
           **overrides) -> ps.ServiceOrder:
    fields = dict(unit_id=unit or shop["units"][0], requester_name="张伟", requester_phone="13812348000",
                  item_id=shop["items"][item], quantity=quantity, scheduled_at=utcnow() + timedelta(hours=2),
                  staff_id=shop["staff"])
    fields.update(overrides)
    return ps.create_order(actor=actor, **fields)


def _complete(order: ps.ServiceOrder, *, actor=ENGINEER, at=None, **fields) -> ps.Completion:
    fields.setdefault("rating", 5)
    return ps.complete_order(actor=actor, order_id=order.id, version=get_row(PaidServiceOrder, order.id).version,
                             completed_at=at or utcnow(), **fields)


def _bills() -> list[Bill]:
    with read_session() as s:
        rows = list(s.scalars(select(Bill).order_by(Bill.id)))
        s.expunge_all()
        return rows


# --- price list --------------------------------------------------------------------------------------


def test_a_price_list_item_is_listed_with_its_unit_of_charge_and_price(shop):
    rows = ps.list_items(actor=DESK, query=ListQuery(sort="name")).rows
    assert list(rows["name"]) == ["日常保洁", "玻璃清洗", "管道疏通"]
    by_category = ps.list_items(actor=DESK, query=ListQuery(sort="category", descending=True)).rows
    assert list(by_category["category"]) == ["管道疏通", "家政保洁", "家政保洁"]  # the declared order, reversed
    got = rows.set_index("name").loc["玻璃清洗"]
    assert (got["category"], got["charge_unit"], got["price"], bool(got["active"]), got["orders"]) == \
        ("家政保洁", "平方米", D("33.33"), True, 0)
    [row] = audit_rows(entity="paid_service_items", entity_id=str(shop["items"]["管道疏通"]))
    assert audit_json(row)[1] == {"name": "管道疏通", "category": "管道疏通", "charge_unit": "次", "price": "80.00",
                                  "active": True, "note": ""}


@pytest.mark.parametrize("price", ["0", "-5", "abc", "12.345", "100000.01"])
def test_a_price_must_be_money_above_zero(db, price):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        ps.add_item(actor=MANAGER, name="开锁", category="开锁换锁", charge_unit="次", price=price)
    assert set(e.value.errors) == {"单价"}
    assert db_state() == before


def test_every_bad_field_of_a_new_service_is_named_at_once(db):
    with pytest.raises(ValidationError) as e:
        ps.add_item(actor=MANAGER, name=" ", category="洗车", charge_unit="斤", price="")
    assert e.value.errors == {"服务名称": "必填", "类别": "应为以下之一：" + "、".join(ps.CATEGORIES),
                              "计价单位": "应为以下之一：" + "、".join(ps.CHARGE_UNITS), "单价": "必填"}
    assert count_rows(PaidServiceItem) == 0


def test_a_service_name_is_unique(shop):
    with pytest.raises(ValidationError) as e:
        ps.add_item(actor=MANAGER, name="管道疏通", category="其他", charge_unit="次", price="50")
    assert e.value.errors == {"服务名称": "价目表中已有“管道疏通”"}


@sqlite_only
@pytest.mark.parametrize("role", roles_without("services.manage"))
def test_only_a_manager_keeps_the_price_list(db, role):
    with pytest.raises(PermissionDenied):
        ps.add_item(actor=actor_for(role), name="开锁", category="开锁换锁", charge_unit="次", price="100")
    with pytest.raises(PermissionDenied):
        ps.update_items(actor=actor_for(role), edits=[])
    assert roles_with("services.manage") == [Role.ADMIN, Role.MANAGER]


def test_a_grid_edit_of_the_price_list_is_validated_and_audited(shop):
    pid = shop["items"]["管道疏通"]
    with pytest.raises(ValidationError) as e:
        ps.update_items(actor=MANAGER, edits=[RowEdit(pid, 1, {"price": "0", "charge_unit": "桶"})])
    assert e.value.row_errors == {"管道疏通": {"单价": "不能小于 0.01",
                                           "计价单位": "应为以下之一：" + "、".join(ps.CHARGE_UNITS)}}
    assert ps.update_items(actor=MANAGER, edits=[RowEdit(pid, 1, {"price": "90.00", "active": "否"})]) == 1
    item = get_row(PaidServiceItem, pid)
    assert (item.price, item.active, item.version) == (D("90.00"), False, 2)
    assert audit_json(audit_rows(action="update", entity="paid_service_items")[-1]) == \
        ({"active": True, "price": "80.00"}, {"active": False, "price": "90.00"})
    with pytest.raises(StaleEdit):
        ps.update_items(actor=MANAGER, edits=[RowEdit(pid, 1, {"price": "95.00"})])
    assert [i.name for i in ps.active_items(actor=DESK)] == ["日常保洁", "玻璃清洗"]  # retired: no new orders


def test_a_later_price_change_does_not_move_an_order_already_taken(shop):
    order = _order(shop, "日常保洁", quantity="2.5")
    assert (order.price, order.quantity, order.amount) == (D("40.00"), D("2.50"), D("100.00"))
    pid = shop["items"]["日常保洁"]
    ps.update_items(actor=MANAGER, edits=[RowEdit(pid, get_row(PaidServiceItem, pid).version, {"price": "60"})])
    done = _complete(order)
    assert done.amount == D("100.00")
    assert _bills()[0].amount == D("100.00")
    assert _order(shop, "日常保洁", quantity="2.5").amount == D("150.00")  # a new order takes the new price


# --- orders ------------------------------------------------------------------------------------------


def test_an_order_is_numbered_and_copies_the_item_and_audited(shop):
    order = _order(shop, request="主卫地漏堵塞，下午在家")
    year = to_local(utcnow()).year
    assert order.order_no == f"TS{year}-000001"
    assert (order.status, order.item_name, order.category, order.charge_unit, order.price, order.amount) == \
        ("已预约", "管道疏通", "管道疏通", "次", D("80.00"), D("80.00"))
    assert (order.unit, order.staff_id, order.staff_name, order.ordered_by) == \
        ("测试小区 1-1-101", shop["staff"], "赵建国", DESK.display_name)
    assert (order.bill_id, order.bill_status, order.bill_outstanding) == (None, "", None)
    assert _order(shop).order_no == f"TS{year}-000002"
    [row] = audit_rows(action="create", entity="paid_service_orders", entity_id=str(order.id))
    assert audit_json(row)[1]["request"] == "主卫地漏堵塞，下午在家"
    with read_session() as s:
        notes = list(s.scalars(select(UnitNote.text).where(UnitNote.unit_id == order.unit_id)))
    assert notes[0].startswith(f"登记特约服务 TS{year}-000001：管道疏通 1次")


def test_the_amount_is_quantity_times_price_rounded_half_up_to_the_cent(shop):
    assert _order(shop, "玻璃清洗", quantity="1.5").amount == D("50.00")  # 33.33 x 1.5 = 49.995
    assert _order(shop, "玻璃清洗", quantity="86.55").amount == D("2884.71")  # 2884.7115


def test_every_bad_field_of_an_order_is_named_at_once_and_nothing_is_written(shop):
    before = db_state()
    with pytest.raises(ValidationError) as e:
        _order(shop, quantity="0", requester_name=" ", requester_phone="12345", staff_id=None,
               scheduled_at=utcnow() - timedelta(days=4), request="x" * 501)
    assert e.value.errors == {
        "联系人": "必填", "联系电话": "应为11位手机号或带区号的固定电话，例如 020-12345678", "数量": "应大于 0",
        "预约时间": "不能早于 3 天前（补录只限最近 3 天的服务）", "服务要求": "不能超过 500 个字符（现有 501 个）",
        "服务人员": "必填：请选择员工，或填写外协人员姓名"}
    with pytest.raises(ValidationError) as e:
        _order(shop, quantity="abc", scheduled_at=utcnow() + timedelta(days=200), staff_name="王阿姨",
               item_id=999999, unit_id=999999)
    assert e.value.errors == {"数量": "应为数字，最多两位小数，例如 1234.50", "预约时间": "不能晚于 180 天后",
                              "服务人员": "请选择员工或填写外协人员，二者选一", "房屋": "不存在",
                              "服务项目": "不存在或已停用"}
    assert db_state() == before


def test_an_outside_worker_can_be_named_instead_of_a_staff_member(shop):
    order = _order(shop, "日常保洁", staff_id=None, staff_name=" 王阿姨（合作家政） ")
    assert (order.staff_id, order.staff_name) == (None, "王阿姨（合作家政）")


def test_a_staff_member_who_left_cannot_be_sent(shop):
    force_columns(Staff, shop["staff"], active=False)
    with pytest.raises(ValidationError) as e:
        _order(shop)
    assert e.value.errors == {"服务人员": "员工不存在或已离职"}


@sqlite_only
@pytest.mark.parametrize("role", roles_without("services.order"))
def test_taking_an_order_is_for_the_front_desk_clerk_and_manager(db, role):
    with pytest.raises(PermissionDenied):
        ps.create_order(actor=actor_for(role), unit_id=1, requester_name="张伟", requester_phone="13812348000",
                        item_id=1, quantity="1", scheduled_at=utcnow())
    assert set(roles_with("services.order")) == {Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.CLERK}
    assert set(roles_with("services.complete")) == {Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.CLERK,
                                                    Role.ENGINEER}


def test_an_order_is_moved_to_another_time_and_worker_until_it_is_done(shop):
    order = _order(shop)
    later = utcnow().replace(microsecond=0) + timedelta(days=1)
    moved = ps.reschedule_order(actor=DESK, order_id=order.id, version=order.version, scheduled_at=later,
                                staff_name="李师傅（外协）")
    assert (moved.scheduled_at, moved.staff_id, moved.staff_name, moved.version) == \
        (later, None, "李师傅（外协）", order.version + 1)
    assert audit_json(audit_rows(action="update", entity="paid_service_orders")[-1]) == (
        {"scheduled_at": order.scheduled_at.isoformat(), "staff_id": shop["staff"], "staff_name": "赵建国"},
        {"scheduled_at": later.isoformat(), "staff_id": None, "staff_name": "李师傅（外协）"})
    with pytest.raises(StaleEdit):
        ps.reschedule_order(actor=DESK, order_id=order.id, version=order.version, scheduled_at=later,
                            staff_id=shop["staff"])
    _complete(moved)
    with pytest.raises(Conflict, match="已完成，不能改约"):
        ps.reschedule_order(actor=DESK, order_id=order.id, version=moved.version + 1, scheduled_at=later,
                            staff_id=shop["staff"])


# --- completion and the bill -------------------------------------------------------------------------


def test_completing_raises_exactly_one_bill_of_the_unit_under_the_special_service_item(shop):
    order = _order(shop, "日常保洁", quantity="2")
    at = utcnow()
    done = _complete(order, at=at, quantity="3", rating=4, comment="师傅很仔细")
    [bill] = _bills()
    item = get_row(FeeItem, bill.fee_item_id)
    day = to_local(at).date()
    assert (item.code, item.name, item.basis, item.default_unit_kind) == ("TS", "特约服务", "一次性", "")
    assert (bill.household, bill.unit_id, bill.payer_key, bill.payer_name, bill.period) == \
        (f"U{order.unit_id}", order.unit_id, order.order_no, "张伟", period_of(at))
    assert (bill.amount, bill.quantity, bill.rate, bill.start_on, bill.end_on, bill.due_on) == \
        (D("120.00"), D("3.00"), D("40.0000"), day, day, day)
    assert (bill.status, bill.paid, bill.source, bill.run_id) == ("未缴", D("0.00"), "特约服务", None)
    assert done == ps.Completion(order.id, order.order_no, bill.id, period_of(at), D("120.00"), D("0.00"),
                                 D("120.00"))
    got = ps.get_order(actor=ENGINEER, order_id=order.id)
    assert (got.status, got.quantity, got.amount, got.rating, got.comment, got.completed_by) == \
        ("已完成", D("3.00"), D("120.00"), 4, "师傅很仔细", ENGINEER.display_name)
    assert (got.bill_id, got.bill_status, got.bill_outstanding) == (bill.id, "未缴", D("120.00"))
    [completed] = audit_rows(action="complete", entity="paid_service_orders")
    assert audit_json(completed) == ({"status": "已预约", "quantity": "2.00", "amount": "80.00"},
                                     {"status": "已完成", "completed_at": at.isoformat(), "quantity": "3.00",
                                      "amount": "120.00", "rating": 4, "comment": "师傅很仔细", "bill_id": bill.id})
    [billed] = audit_rows(action="create", entity="bills")
    assert audit_json(billed)[1]["order_no"] == order.order_no
    assert len(audit_rows(action="create", entity="fee_items")) == 1
    # the counter shows it among the unit's open bills, by the item's name
    acct = cashier.account(actor=actor_for(Role.CASHIER), unit_id=order.unit_id)
    assert [(b.item, b.amount) for b in acct.bills] == [("特约服务", D("120.00"))]
    # a second order reuses the fee item; its bill is its own even in the same month
    _complete(_order(shop))
    assert [b.amount for b in _bills()] == [D("120.00"), D("80.00")]
    assert count_rows(FeeItem) == 1


def test_a_second_completion_is_refused_and_a_stale_version_too(shop):
    order = _order(shop)
    _complete(order)
    before = db_state()
    with pytest.raises(StaleEdit):
        ps.complete_order(actor=ENGINEER, order_id=order.id, version=order.version, completed_at=utcnow())
    with pytest.raises(Conflict, match="已完成，不能再次完成"):
        _complete(order)
    with pytest.raises(NotFound):
        ps.complete_order(actor=ENGINEER, order_id=999999, version=1, completed_at=utcnow())
    assert db_state() == before
    assert len(_bills()) == 1


def test_completion_refuses_a_future_time_a_time_before_the_order_and_a_rating_out_of_scale(shop):
    order = _order(shop)
    before = db_state()
    with pytest.raises(ValidationError) as e:
        _complete(order, at=utcnow() + timedelta(minutes=10), rating=6, quantity="0", comment="好" * 501)
    assert e.value.errors == {"完成时间": "不能晚于现在", "业主评价": "应为 1–5 星，或不评价", "实际数量": "应大于 0",
                              "评价内容": "不能超过 500 个字符（现有 501 个）"}
    with pytest.raises(ValidationError) as e:
        _complete(order, at=order.ordered_at - timedelta(hours=1))
    assert set(e.value.errors) == {"完成时间"}
    assert e.value.errors["完成时间"].startswith("不能早于下单时间")
    for bad in (0, "五", True, 3.5):
        with pytest.raises(ValidationError):
            _complete(order, rating=bad)
    assert db_state() == before


def test_an_order_written_up_after_the_job_is_completed_at_the_time_it_was_done(shop):
    """补录: a lock opened at night is entered next morning; the bill falls in the month the job was done."""
    night = utcnow().replace(microsecond=0) - timedelta(days=2)
    order = _order(shop, scheduled_at=night)
    with pytest.raises(ValidationError) as e:
        _complete(order, at=night - timedelta(minutes=1))
    assert e.value.errors["完成时间"].startswith("不能早于预约时间")
    done = _complete(order, at=night + timedelta(minutes=40))
    assert done.period == period_of(night + timedelta(minutes=40))
    assert _bills()[0].due_on == to_local(night + timedelta(minutes=40)).date()


def test_a_job_done_in_the_minute_the_order_was_taken_is_accepted(shop):
    """The desk enters times to the minute: an urgent job done at once reads as done in the order's minute."""
    order = _order(shop, scheduled_at=utcnow())
    _complete(order, at=order.ordered_at.replace(second=0, microsecond=0))
    assert ps.get_order(actor=DESK, order_id=order.id).status == "已完成"


def test_an_owner_may_give_no_rating(shop):
    order = _order(shop)
    _complete(order, rating=None)
    assert ps.get_order(actor=DESK, order_id=order.id).rating is None


@sqlite_only
@pytest.mark.parametrize("role", roles_without("services.complete"))
def test_completing_is_for_the_desk_the_engineers_and_the_manager(db, role):
    with pytest.raises(PermissionDenied):
        ps.complete_order(actor=actor_for(role), order_id=1, version=1, completed_at=utcnow())


def test_an_order_is_cancelled_with_a_reason_only_before_it_is_done(shop):
    order = _order(shop)
    with pytest.raises(ValidationError) as e:
        ps.cancel_order(actor=DESK, order_id=order.id, version=order.version, reason=" ")
    assert e.value.errors == {"取消原因": "必填"}
    ps.cancel_order(actor=DESK, order_id=order.id, version=order.version, reason="业主自行处理")
    got = ps.get_order(actor=DESK, order_id=order.id)
    assert (got.status, got.cancel_reason, got.cancelled_at is not None) == ("已取消", "业主自行处理", True)
    with pytest.raises(Conflict):
        _complete(got)
    done = _order(shop)
    _complete(done)
    with pytest.raises(Conflict, match="已完成并已生成账单，不能取消"):
        ps.cancel_order(actor=DESK, order_id=done.id, version=done.version + 1, reason="弄错了")
    assert [b.status for b in _bills()] == ["未缴"]


def test_prepaid_credit_pays_the_service_bill_as_a_billing_run_would(shop):
    unit = shop["units"][1]
    cash = fee_login(Role.CASHIER, "cash1", "收费员甲")
    cashier.take_payment(actor=cash, unit_id=unit, amount="50.00", method="现金")  # nothing owed: 预存 50.00
    done = _complete(_order(shop, unit=unit))
    assert (done.amount, done.credit_used, done.outstanding) == (D("80.00"), D("50.00"), D("30.00"))
    [bill] = _bills()
    assert (bill.paid, bill.status) == (D("50.00"), "部分缴")
    with read_session() as s:
        [(via, bill_period, paid_period, at)] = s.execute(select(
            Allocation.via, Allocation.bill_period, Allocation.paid_period, Allocation.at)
            .where(Allocation.bill_id == bill.id)).all()
    assert (via, bill_period, paid_period) == ("预存", bill.period, period_of(at))


def test_a_service_collected_at_the_counter_is_on_the_receipt_and_on_that_days_settlement(shop):
    """The issue's test: complete an order, take the payment at the counter as a cashier, see it on the 日结."""
    unit = shop["units"][0]
    done = _complete(_order(shop, "日常保洁", quantity="2", unit=unit))
    cash = fee_login(Role.CASHIER, "cash1", "收费员甲")
    receipt = cashier.take_payment(actor=cash, unit_id=unit, amount=str(done.outstanding), method="微信",
                                   bill_ids=[done.bill_id])
    assert [(line.item, line.amount) for line in receipt.lines] == [("特约服务", D("80.00"))]
    assert ps.get_order(actor=DESK, order_id=done.order_id).bill_status == "已缴"
    sheet = cashier.settlement_sheet(actor=cash, day=to_local(receipt.received_at).date())
    assert sheet.receipts == (receipt.receipt_no,)
    assert (sheet.totals["微信"], sheet.total) == (D("80.00"), D("80.00"))
    with read_session() as s:
        [(via, bill_period, paid_period)] = s.execute(select(
            Allocation.via, Allocation.bill_period, Allocation.paid_period)
            .where(Allocation.bill_id == done.bill_id)).all()
    assert (via, bill_period, paid_period) == ("收款", done.period, period_of(receipt.received_at))


def test_the_fee_figures_count_a_service_bill_like_any_other_fee_item(shop):
    """The 收缴率 decision (module docstring): a paid-service bill is billed and collected in the fee figures."""
    done = _complete(_order(shop))
    figures = fee_kpis(done.period)
    assert (figures["billed"], figures["collected"]) == (D("80.00"), D("0.00"))
    cashier.take_payment(actor=fee_login(Role.CASHIER, "cash1"), unit_id=shop["units"][0], amount="80.00",
                         method="现金")
    assert fee_kpis(done.period)["collection_rate"] == D("1.0000")


# --- lists and the month -----------------------------------------------------------------------------


def test_an_order_form_starts_from_the_units_owner(shop):
    unit = shop["units"][1]
    make_resident(unit, "李娜", "13900001111", role="租客")
    assert ps.unit_contact(actor=DESK, unit_id=unit) == ps.UnitContact(unit, "测试小区 1-1-102", "李娜")
    make_resident(unit, "王建国", "13900002222")
    assert ps.unit_contact(actor=DESK, unit_id=unit).name == "王建国"  # the owner before a tenant
    assert ps.unit_contact(actor=DESK, unit_id=shop["units"][0]).name == ""
    with pytest.raises(NotFound):
        ps.unit_contact(actor=DESK, unit_id=999999)


def test_the_order_list_filters_searches_and_masks_phones_for_roles_that_do_not_see_them(shop):
    a = _order(shop)
    b = _order(shop, "日常保洁", unit=shop["units"][1], requester_name="李娜", requester_phone="13900001111",
               scheduled_at=utcnow() + timedelta(days=2))
    _complete(a)
    rows = ps.list_orders(actor=DESK, query=ListQuery()).rows
    assert list(rows["order_no"]) == [b.order_no, a.order_no]  # newest appointment first
    assert list(rows["phone"]) == ["13900001111", "13812348000"]  # the front desk sees them in full
    assert list(rows["bill_status"]) == ["", "未缴"]
    masked = ps.list_orders(actor=ENGINEER, query=ListQuery()).rows
    assert list(masked["phone"]) == ["139****1111", "138****8000"]
    assert list(ps.list_orders(actor=DESK, query=ListQuery(filters={"status": "已完成"})).rows["order_no"]) == \
        [a.order_no]
    assert list(ps.list_orders(actor=DESK, query=ListQuery(search="李娜")).rows["order_no"]) == [b.order_no]
    assert list(ps.list_orders(actor=DESK, query=ListQuery(filters={"unit_id": shop["units"][1]})).rows["code"]) \
        == ["1-1-102"]
    b_day = to_local(b.scheduled_at).date()
    assert list(ps.list_orders(actor=DESK, query=ListQuery(filters={"day": b_day, "status": "已预约"}))
                .rows["order_no"]) == [b.order_no]
    assert list(ps.list_orders(actor=DESK, query=ListQuery(filters={"day": b_day.isoformat()})).rows["order_no"]) \
        == [b.order_no]
    with pytest.raises(ValidationError):
        ps.list_orders(actor=DESK, query=ListQuery(filters={"day": "2026-02-30"}))
    month = period_of(a.scheduled_at)
    assert len(ps.list_orders(actor=DESK, query=ListQuery(filters={"month": month})).rows) >= 1
    with pytest.raises(ValidationError):
        ps.list_orders(actor=DESK, query=ListQuery(filters={"month": "2026-13"}))
    with pytest.raises(PermissionDenied):  # the cashier collects the bill; the register is not theirs
        ps.list_orders(actor=actor_for(Role.CASHIER), query=ListQuery())
    with pytest.raises(PermissionDenied):  # export needs data.export
        ps.list_orders(actor=ENGINEER, query=ListQuery(page_size=None))


def test_the_month_summary_counts_orders_money_and_the_average_rating(shop):
    now = utcnow()
    period = period_of(now)
    orders = [_order(shop, "日常保洁", quantity="2"), _order(shop), _order(shop), _order(shop)]
    _complete(orders[0], rating=5)
    _complete(orders[1], rating=4)
    _complete(orders[2], rating=None)
    cash = fee_login(Role.CASHIER, "cash1")
    cashier.take_payment(actor=cash, unit_id=shop["units"][0], amount="80.00", method="现金",
                         bill_ids=[ps.get_order(actor=DESK, order_id=orders[0].id).bill_id])
    summary = ps.month_summary(actor=DESK, period=period)
    if period_of(orders[0].scheduled_at) == period:  # appointments 2 hours ahead: same month unless at month end
        assert (summary.orders, summary.booked, summary.cancelled) == (4, 1, 0)
    assert (summary.completed, summary.billed, summary.collected, summary.rated, summary.average_rating) == \
        (3, D("240.00"), D("80.00"), 2, D("4.5"))
    by_category = summary.by_category.set_index("category")
    assert by_category.loc["家政保洁", "billed"] == D("80.00")
    assert by_category.loc["管道疏通", "completed"] == 2
    trend = ps.monthly_trend(actor=DESK, end=period, months=3)
    assert list(trend["completed"]) == [0, 0, 3]
    assert trend["billed"].iloc[-1] == D("240.00")
    assert ps.month_summary(actor=DESK, period="2020-01").average_rating is None
