"""失物招领 (services/relations/lost_found): register, edit, claim with the 证件 checked, the quarterly notice, the
disposal after it has run out; the list with masked phones, the quarter's count and the PDFs — on SQLite, PostgreSQL
and MariaDB.

Every refusal names the field and the rule and writes nothing; every change writes one audit row.
"""

from __future__ import annotations

import io
from datetime import date, datetime, timedelta

import pytest
from pypdf import PdfReader

from db.models import LostItem, LostNotice
from services.platform.auth import Role
from services.platform.clock import SHANGHAI, local_today, utcnow
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import lost_found
from services.relations.lost_found import CLAIM_DAYS, HOLD_DAYS, Quarter, disposable_from, ended_quarters
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    count_rows,
    db_state,
    force_columns,
    get_row,
    make_estate,
    roles_with,
    roles_without,
)

DESK = actor_for(Role.SERVICE)
CLERK = actor_for(Role.CLERK)
MANAGER = actor_for(Role.MANAGER)


@pytest.fixture
def estates(db) -> tuple[int, int]:
    ch, _ = make_estate("CH", "翠湖花园", buildings=("1",))
    jx, _ = make_estate("JX", "锦绣华庭", buildings=("1",))
    return ch, jx


def _found(days_ago: float = 0, hours: float = 2) -> datetime:
    return datetime.now(SHANGHAI) - timedelta(days=days_ago, hours=hours)


def _register(estate_id: int, *, what="黑色钱包", found_at=None, actor=DESK, **extra) -> int:
    values = {"found_place": "3栋电梯厅", "kept_at": "客服中心失物柜A格", "description": "内有银行卡两张",
              "finder_name": "保洁员王阿姨", "finder_phone": "13812345678", **extra}
    item_id, _ = lost_found.register_item(actor=actor, estate_id=estate_id, what=what,
                                          found_at=found_at or _found(), **values)
    return item_id


def _v(item_id: int) -> int:
    return get_row(LostItem, item_id).version


def _claim(item_id: int, **overrides) -> None:
    values = {"claimant_name": "张伟", "claimant_phone": "13900001111", "id_kind": "居民身份证", "id_checked": True,
              **overrides}
    lost_found.claim_item(actor=DESK, item_id=item_id, version=_v(item_id), **values)


def _age(item_id: int, days: int) -> None:
    """Move an item's finding `days` into the past (the register's own clock cannot wait 90 days)."""
    found = get_row(LostItem, item_id).found_at - timedelta(days=days)
    force_columns(LostItem, item_id, found_at=found)


def _last_quarter() -> Quarter:
    return Quarter.of(local_today()).previous()


# ---------------------------------------------------------------- quarters and the disposal rule (pure)


def test_quarters_have_their_days_labels_and_neighbours():
    q = Quarter.parse("2026q3")
    assert (q.label, q.title, q.first, q.last) == ("2026Q3", "2026年第三季度", date(2026, 7, 1), date(2026, 9, 30))
    assert (q.next().label, q.previous().label, Quarter(2026, 1).previous().label) == ("2026Q4", "2026Q2", "2025Q4")
    assert Quarter.of(date(2026, 12, 31)).last == date(2026, 12, 31)
    assert [x.label for x in ended_quarters(date(2026, 12, 8), 3)] == ["2026Q3", "2026Q2", "2026Q1"]
    with pytest.raises(ValidationError) as caught:
        Quarter.parse("2026-13")
    assert "季度" in caught.value.errors


def test_an_item_is_disposable_after_its_notice_ran_out_and_it_was_held_long_enough():
    assert disposable_from(date(2026, 8, 1), None) is None
    # posted 2026-10-05, claimable until 11-04: found long before -> the day after the deadline
    assert disposable_from(date(2026, 7, 1), date(2026, 11, 4)) == date(2026, 11, 5)
    # found late in the quarter: held HOLD_DAYS first
    assert disposable_from(date(2026, 9, 28), date(2026, 11, 4)) == date(2026, 9, 28) + timedelta(days=HOLD_DAYS)


# ---------------------------------------------------------------- registering


def test_a_registered_item_waits_with_its_number_and_audit_row(estates):
    ch, _ = estates
    found = _found(days_ago=1)
    item_id, number = lost_found.register_item(
        actor=DESK, estate_id=ch, what=" 黑色钱包 ", found_at=found, found_place=" 3栋电梯厅 ", kept_at="保险柜",
        description="内有银行卡两张", finder_name="保洁员王阿姨", finder_phone="138 1234 5678", valuable=True)
    row = get_row(LostItem, item_id)
    assert number == f"SW{local_today().year}-0001"
    assert (row.number, row.what, row.found_place, row.kept_at, row.finder_phone, row.valuable, row.status) == \
        (number, "黑色钱包", "3栋电梯厅", "保险柜", "13812345678", True, "待认领")
    assert row.found_at == found and row.recorded_by == DESK.display_name
    [audit] = audit_rows(action="lost_register")
    assert (audit.entity, audit.entity_id) == ("lost_items", str(item_id))
    assert audit_json(audit)[1]["number"] == number
    assert lost_found.register_item(actor=CLERK, estate_id=ch, what="雨伞", found_at=found, found_place="南门",
                                    kept_at="B格")[1] == f"SW{local_today().year}-0002"


def test_a_registration_refuses_every_bad_field_at_once_and_writes_nothing(estates):
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        lost_found.register_item(actor=DESK, estate_id=None, what=" ", found_at=utcnow() + timedelta(hours=1),
                                 found_place="", kept_at="", finder_phone="12345")
    assert caught.value.errors == {
        "物品": "必填", "拾获地点": "必填", "存放位置": "必填", "小区": "必填", "拾获时间": "不能晚于现在",
        "拾获人电话": "应为 11 位手机号或带区号的固定电话，例如 13812345678 或 020-12345678"}
    with pytest.raises(ValidationError) as caught:
        lost_found.register_item(actor=DESK, estate_id=999999, what="伞", found_at=None, found_place="南门",
                                 kept_at="A格")
    assert caught.value.errors == {"拾获时间": "必填", "小区": "不存在"}
    assert db_state() == before


def test_a_landline_is_a_phone_too(estates):
    item_id = _register(estates[0], finder_phone="020-88886666")
    assert get_row(LostItem, item_id).finder_phone == "020-88886666"


@pytest.mark.parametrize("role", roles_without("lost.manage"))
def test_roles_without_lost_manage_cannot_register(estates, role):
    with pytest.raises(PermissionDenied):
        _register(estates[0], actor=actor_for(role))


def test_the_desk_the_clerk_and_the_manager_manage_lost_and_found():
    assert {Role.SERVICE, Role.CLERK, Role.MANAGER} <= set(roles_with("lost.manage"))


def test_a_waiting_item_is_edited_on_its_version_and_a_masked_phone_is_kept(estates):
    ch, jx = estates
    item_id = _register(ch)
    version = _v(item_id)
    lost_found.update_item(actor=CLERK, item_id=item_id, version=version, estate_id=jx, what="黑色钱包",
                           found_at=get_row(LostItem, item_id).found_at, found_place="3栋电梯厅", kept_at="保险柜",
                           description="内有银行卡两张", finder_name="保洁员王阿姨", finder_phone=None)
    row = get_row(LostItem, item_id)
    assert (row.estate_id, row.kept_at, row.finder_phone, row.version) == (jx, "保险柜", "13812345678", version + 1)
    [audit] = audit_rows(action="lost_edit")
    assert audit_json(audit) == ({"estate_id": ch, "kept_at": "客服中心失物柜A格"}, {"estate_id": jx, "kept_at": "保险柜"})
    with pytest.raises(StaleEdit):
        lost_found.update_item(actor=CLERK, item_id=item_id, version=version, estate_id=jx, what="钱包",
                               found_at=row.found_at, found_place="大堂", kept_at="A格")


# ---------------------------------------------------------------- claiming


def test_a_claim_records_the_claimant_the_id_checked_and_who_handed_it_over(estates):
    item_id = _register(estates[0])
    claimed_at = datetime.now(SHANGHAI) - timedelta(minutes=5)
    _claim(item_id, claimed_at=claimed_at, claimant_name=" 张伟 ", claimant_phone="13900001111")
    row = get_row(LostItem, item_id)
    assert (row.status, row.claimant_name, row.claimant_phone, row.id_kind, row.id_checked, row.handed_over_by) == \
        ("已认领", "张伟", "13900001111", "居民身份证", True, DESK.display_name)
    assert row.claimed_at == claimed_at
    [audit] = audit_rows(action="lost_claim")
    assert audit_json(audit)[1]["id_checked"] is True
    with pytest.raises(Conflict, match="不能再认领"):
        _claim(item_id)


def test_a_claim_without_the_id_checked_is_refused_with_the_rule_and_nothing_is_written(estates):
    item_id = _register(estates[0])
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        _claim(item_id, id_checked=False)
    assert caught.value.errors == {"证件核验": "认领须当面核验认领人的有效证件，未核验不得领取"}
    assert db_state() == before


def test_a_claim_refuses_every_bad_field_at_once(estates):
    item_id = _register(estates[0], found_at=_found(hours=3))
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        _claim(item_id, claimant_name="", claimant_phone="", id_kind="工作证", id_checked=False,
               claimed_at=utcnow() + timedelta(minutes=10))
    assert set(caught.value.errors) == {"认领人", "认领人电话", "证件类型", "证件核验", "认领时间"}
    assert caught.value.errors["认领时间"] == "不能晚于现在"
    with pytest.raises(ValidationError) as caught:
        _claim(item_id, claimed_at=utcnow() - timedelta(days=1))
    assert caught.value.errors["认领时间"].startswith("不能早于拾获时间")
    assert db_state() == before


def test_the_second_desk_to_hand_over_an_item_gets_stale_edit(estates):
    item_id = _register(estates[0])
    version = _v(item_id)
    lost_found.claim_item(actor=DESK, item_id=item_id, version=version, claimant_name="张伟",
                          claimant_phone="13900001111", id_kind="护照", id_checked=True)
    with pytest.raises(StaleEdit):
        lost_found.claim_item(actor=CLERK, item_id=item_id, version=version, claimant_name="李娜",
                              claimant_phone="13900002222", id_kind="居民身份证", id_checked=True)


# ---------------------------------------------------------------- the quarterly notice and disposal


def test_the_quarter_counts_items_unclaimed_at_its_end_whatever_happened_since(estates):
    ch, jx = estates
    q = _last_quarter()
    days_before_end = (local_today() - q.last).days + 5
    waiting = _register(ch, what="雨伞", found_at=_found(days_ago=days_before_end))
    claimed_later = _register(ch, what="钥匙", found_at=_found(days_ago=days_before_end))
    claimed_in_time = _register(ch, what="水杯", found_at=_found(days_ago=days_before_end + 1))
    other_estate = _register(jx, what="眼镜", found_at=_found(days_ago=days_before_end))
    _register(ch, what="新近拾获", found_at=_found(days_ago=1))  # after the quarter: not on its list
    _claim(claimed_later)
    end = datetime.combine(q.last, datetime.min.time(), SHANGHAI)
    force_columns(LostItem, claimed_in_time, status="已认领", claimed_at=end)  # claimed on the quarter's last day

    assert lost_found.count_unclaimed(actor=DESK, quarter=q.label) == 3
    assert lost_found.count_unclaimed(actor=DESK, quarter=q.label, estate_id=ch) == 2
    frame = lost_found.unclaimed_in_quarter(actor=CLERK, quarter=q.label, estate_id=ch)
    assert sorted(zip(frame["what"], frame["status"], strict=True)) == [("钥匙", "已认领"), ("雨伞", "待认领")]
    assert list(frame["claim_by"]) == [None, None]
    assert waiting and other_estate
    assert lost_found.count_unclaimed(actor=DESK, quarter=q.previous().label) == 0


def test_posting_the_quarter_notice_lists_the_waiting_items_once_per_estate_and_quarter(estates):
    ch, jx = estates
    q = _last_quarter()
    old = (local_today() - q.last).days + 5
    umbrella = _register(ch, what="雨伞", found_at=_found(days_ago=old))
    keys = _register(ch, what="钥匙", found_at=_found(days_ago=old))
    _claim(keys)
    recent = _register(ch, what="新近拾获", found_at=_found(days_ago=1))
    with pytest.raises(PermissionDenied):
        lost_found.post_quarter_notice(actor=actor_for(Role.ENGINEER), quarter=q.label, estate_id=ch)
    notice_id = lost_found.post_quarter_notice(actor=DESK, quarter=q.label, estate_id=ch)
    posted = get_row(LostNotice, notice_id)
    assert (posted.quarter, posted.posted_on, posted.claim_by, posted.item_count) == \
        (q.label, local_today(), local_today() + timedelta(days=CLAIM_DAYS), 1)
    assert get_row(LostItem, umbrella).notice_id == notice_id
    assert get_row(LostItem, recent).notice_id is None
    [audit] = audit_rows(action="lost_notice_post")
    assert audit_json(audit)[1]["items"] == [get_row(LostItem, umbrella).number]
    with pytest.raises(Conflict, match="已经发布过"):
        lost_found.post_quarter_notice(actor=DESK, quarter=q.label, estate_id=ch)
    with pytest.raises(Conflict, match="没有仍待认领的失物"):
        lost_found.post_quarter_notice(actor=DESK, quarter=q.label, estate_id=jx)
    with pytest.raises(ValidationError) as caught:
        lost_found.post_quarter_notice(actor=DESK, quarter=Quarter.of(local_today()).label, estate_id=ch)
    assert caught.value.errors["季度"].endswith("季度招领启事在季度结束后发布")
    assert lost_found.quarter_notices(actor=CLERK)[["quarter", "estate", "item_count"]].values.tolist() == \
        [[q.label, "翠湖花园", 1]]


def test_an_item_no_notice_listed_is_not_disposed_of(estates):
    item_id = _register(estates[0], found_at=_found(days_ago=200))
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        lost_found.dispose_item(actor=DESK, item_id=item_id, version=_v(item_id), way="捐赠",
                                disposed_on=local_today())
    assert list(caught.value.errors) == ["招领公示"]
    assert "尚未列入季度《失物招领》启事" in caught.value.errors["招领公示"]
    assert db_state() == before


def test_disposal_waits_for_the_notice_deadline_and_then_is_recorded(estates):
    ch, _ = estates
    q = _last_quarter()
    item_id = _register(ch, found_at=_found(days_ago=(local_today() - q.last).days + 100))
    notice_id = lost_found.post_quarter_notice(actor=DESK, quarter=q.label, estate_id=ch)
    claim_by = get_row(LostNotice, notice_id).claim_by
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        lost_found.dispose_item(actor=DESK, item_id=item_id, version=_v(item_id), way="上交派出所",
                                disposed_on=local_today())
    assert caught.value.errors["处置日期"].startswith(f"不能早于 {(claim_by + timedelta(days=1)).isoformat()}：")
    assert db_state() == before
    assert lost_found.list_items(actor=DESK, query=ListQuery(filters={"due": True})).total == 0

    # the notice's claim period has run out
    force_columns(LostNotice, notice_id, posted_on=local_today() - timedelta(days=40),
                  claim_by=local_today() - timedelta(days=10))
    assert lost_found.list_items(actor=DESK, query=ListQuery(filters={"due": True})).total == 1
    with pytest.raises(ValidationError) as caught:
        lost_found.dispose_item(actor=DESK, item_id=item_id, version=_v(item_id), way="其他",
                                disposed_on=local_today() + timedelta(days=1))
    assert caught.value.errors == {"处置日期": "不能晚于今天", "说明": "处置方式为“其他”时必填"}
    lost_found.dispose_item(actor=CLERK, item_id=item_id, version=_v(item_id), way="上交派出所",
                            disposed_on=local_today(), note="交辖区派出所，取得回执")
    row = get_row(LostItem, item_id)
    assert (row.status, row.disposal_way, row.disposed_on, row.disposed_by, row.disposal_note) == \
        ("已处置", "上交派出所", local_today(), CLERK.display_name, "交辖区派出所，取得回执")
    [audit] = audit_rows(action="lost_dispose")
    assert audit_json(audit)[1]["way"] == "上交派出所"
    with pytest.raises(Conflict):
        _claim(item_id)


def test_an_item_found_late_is_held_its_full_period_even_after_the_deadline(estates):
    ch, _ = estates
    q = _last_quarter()
    item_id = _register(ch, found_at=_found(days_ago=(local_today() - q.last).days + 1))
    notice_id = lost_found.post_quarter_notice(actor=DESK, quarter=q.label, estate_id=ch)
    force_columns(LostNotice, notice_id, claim_by=local_today() - timedelta(days=1))
    view = lost_found.item(actor=DESK, item_id=item_id)
    found_on = view.found_at.astimezone(SHANGHAI).date()
    assert view.disposable_from == found_on + timedelta(days=HOLD_DAYS) > local_today()
    assert view.notice_quarter == q.title
    with pytest.raises(ValidationError, match="失物须保管满 90 天"):
        lost_found.dispose_item(actor=DESK, item_id=item_id, version=_v(item_id), way="捐赠",
                                disposed_on=local_today())


# ---------------------------------------------------------------- reads


def test_phones_are_masked_for_roles_without_people_reveal(estates):
    item_id = _register(estates[0])
    _claim(item_id)
    clerk_row = lost_found.list_items(actor=CLERK, query=ListQuery()).rows.iloc[0]
    desk_row = lost_found.list_items(actor=DESK, query=ListQuery()).rows.iloc[0]
    assert (clerk_row["claimant_phone"], clerk_row["finder_phone"]) == ("139****1111", "138****5678")
    assert (desk_row["claimant_phone"], desk_row["finder_phone"]) == ("13900001111", "13812345678")
    assert lost_found.item(actor=CLERK, item_id=item_id).claimant_phone == "139****1111"
    assert lost_found.item(actor=MANAGER, item_id=item_id).claimant_phone == "13900001111"


def test_the_list_filters_searches_and_pages_in_sql(estates):
    ch, jx = estates
    for n in range(5):
        _register(ch, what=f"雨伞{n}", found_at=_found(days_ago=n))
    _claim(_register(jx, what="钥匙"))
    result = lost_found.list_items(actor=CLERK, query=ListQuery(page_size=2))
    assert (result.total, result.pages, len(result.rows)) == (6, 3, 2)
    assert list(result.rows["what"]) == ["钥匙", "雨伞0"]  # newest found first
    assert lost_found.list_items(actor=CLERK, query=ListQuery(filters={"status": "已认领"})).total == 1
    assert lost_found.list_items(actor=CLERK, query=ListQuery(filters={"estate_id": ch})).total == 5
    assert lost_found.list_items(actor=CLERK, query=ListQuery(search="雨伞3")).total == 1
    with pytest.raises(PermissionDenied):
        lost_found.list_items(actor=actor_for(Role.CASHIER), query=ListQuery())
    with pytest.raises(NotFound):
        lost_found.item(actor=DESK, item_id=999999)
    assert lost_found.waiting_count(actor=DESK) == 5


def test_the_quarter_notice_pdf_lists_the_waiting_items_with_deadline_and_no_shelf(estates):
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.settings import update_settings

    update_settings(actor=SYSTEM_ACTOR, values={"company_name": "广州翠湖物业服务有限公司",
                                                "notice_contact": "物业服务中心 020-88886666（3栋一楼）"})
    ch, _ = estates
    q = _last_quarter()
    _register(ch, what="儿童滑板车", description="粉色三轮", found_at=_found(days_ago=(local_today() - q.last).days + 3),
              kept_at="储物间")
    with pytest.raises(ValidationError, match="尚未发布"):
        lost_found.quarter_notice_pdf(actor=DESK, quarter=q.label, estate_id=ch)
    notice_id = lost_found.post_quarter_notice(actor=DESK, quarter=q.label, estate_id=ch)
    claim_by = get_row(LostNotice, notice_id).claim_by
    text = _pdf_text(lost_found.quarter_notice_pdf(actor=DESK, quarter=q.label, estate_id=ch))
    for expected in ("广州翠湖物业服务有限公司", "失物招领启事", "小区：翠湖花园", q.title, "儿童滑板车", "粉色三轮",
                     f"{claim_by.year}年{claim_by.month}月{claim_by.day}日前", "认领地点：物业服务中心020-88886666",
                     "翠湖花园物业服务中心"):
        assert expected in text, expected
    assert "储物间" not in text  # where it is kept is nobody's business on a public board
    assert count_rows(LostNotice) == 1


def test_a_valuable_item_gets_its_own_notice_and_a_claimed_one_none(estates):
    item_id = _register(estates[0], what="身份证", description="居民身份证一张", valuable=True)
    text = _pdf_text(lost_found.item_notice_pdf(actor=DESK, item_id=item_id))
    assert "失物招领" in text and "身份证" in text and "3栋电梯厅拾获身份证" in text
    _claim(item_id)
    with pytest.raises(Conflict, match="无需张贴"):
        lost_found.item_notice_pdf(actor=DESK, item_id=item_id)


def _pdf_text(data: bytes) -> str:
    return "".join("".join(page.extract_text().replace("\x00", "").split())
                   for page in PdfReader(io.BytesIO(data)).pages)
