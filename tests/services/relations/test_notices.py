"""公告 (services/relations/notices): draft, edit drafts, publish with a number, withdraw with a reason, archive;
targets; the list, the front desk's notices_to_post and the A4 PDF — on SQLite, PostgreSQL and MariaDB.

Every refusal names the field and the rule and writes nothing; every change writes one audit row.
"""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from pypdf import PdfReader

from db.models import Notice, NoticeTarget
from services.platform.auth import Role
from services.platform.clock import local_today
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import notices
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
BODY = "因市政管网维修，明日 8:00至18:00停水。\n请各位住户提前储水，停水期间关闭水龙头。"


@pytest.fixture
def place(db) -> dict[str, int]:
    """Two estates: 翠湖花园 with buildings 1 and 2, 锦绣华庭 with building 1."""
    ch, (b1, b2) = make_estate("CH", "翠湖花园", buildings=("1", "2"))
    jx, (j1,) = make_estate("JX", "锦绣华庭", buildings=("1",))
    return {"ch": ch, "b1": b1, "b2": b2, "jx": jx, "j1": j1}


def _today() -> date:
    return local_today()


def _draft(*, actor=DESK, title="停水通知", body=BODY, kind="停水停电", publish_on=None, until_on=None,
           estate_ids=(), building_ids=()) -> int:
    return notices.draft_notice(actor=actor, title=title, body=body, kind=kind,
                                publish_on=publish_on or _today(), until_on=until_on, estate_ids=list(estate_ids),
                                building_ids=list(building_ids))


def _v(notice_id: int) -> int:
    return get_row(Notice, notice_id).version


# ---------------------------------------------------------------- drafting


def test_a_draft_keeps_its_fields_targets_and_writer(place):
    today = _today()
    notice_id = _draft(title="  停水通知 ", until_on=today + timedelta(days=1), estate_ids=[place["ch"]],
                       building_ids=[place["b1"], place["b2"]])
    view = notices.notice(actor=DESK, notice_id=notice_id)
    assert (view.title, view.kind, view.status, view.number, view.publish_on, view.until_on) == \
        ("停水通知", "停水停电", "草稿", "", today, today + timedelta(days=1))
    assert view.body == BODY
    assert (view.estate_ids, view.building_ids, view.targets) == ((place["ch"],), (place["b1"], place["b2"]),
                                                                  "翠湖花园（1栋、2栋）")
    assert view.written_by == DESK.display_name
    [row] = audit_rows(action="notice_draft")
    assert (row.entity, row.entity_id) == ("notices", str(notice_id))
    assert audit_json(row)[1]["targets"] == [[place["ch"], place["b1"]], [place["ch"], place["b2"]]]


def test_no_target_means_every_estate_and_an_estate_alone_means_all_its_buildings(place):
    everywhere = _draft()
    whole = _draft(estate_ids=[place["jx"]])
    assert notices.notice(actor=DESK, notice_id=everywhere).targets == "全部小区"
    assert notices.notice(actor=DESK, notice_id=whole).targets == "锦绣华庭"
    assert count_rows(NoticeTarget) == 1


def test_every_bad_field_is_refused_at_once_and_nothing_is_written(place):
    before = db_state()
    today = _today()
    with pytest.raises(ValidationError) as caught:
        _draft(title=" ", body="", kind="通知", publish_on=today - timedelta(days=1),
               until_on=today - timedelta(days=3), estate_ids=[place["jx"]], building_ids=[place["b1"]])
    errors = caught.value.errors
    assert errors["标题"] == "必填"
    assert errors["正文"] == "必填"
    assert errors["类别"].startswith("应为以下之一：停水停电")
    assert errors["发布日期"].startswith(f"不能早于今天（{today.isoformat()}）")
    assert errors["截止日期"] == f"不能早于发布日期（{(today - timedelta(days=1)).isoformat()}）"
    assert errors["楼栋"] == "1栋 不属于所选小区：楼栋须属于勾选的小区"
    assert db_state() == before


def test_a_building_needs_its_estate_chosen_and_a_missing_estate_is_refused(place):
    with pytest.raises(ValidationError) as caught:
        _draft(building_ids=[place["b1"]])
    assert "楼栋" in caught.value.errors
    with pytest.raises(ValidationError) as caught:
        _draft(estate_ids=[999999])
    assert caught.value.errors == {"小区": "不存在或已停用"}
    assert count_rows(Notice) == 0


def test_a_title_too_long_and_a_body_too_long_are_refused_with_their_limits(place):
    with pytest.raises(ValidationError) as caught:
        _draft(title="停" * 61, body="水" * 3001)
    assert caught.value.errors["标题"] == "不能超过 60 个字符（现有 61 个）"
    assert caught.value.errors["正文"] == "不能超过 3000 个字符（现有 3001 个）"


@pytest.mark.parametrize("role", roles_without("notices.write"))
def test_roles_without_notices_write_cannot_draft(place, role):
    with pytest.raises(PermissionDenied):
        _draft(actor=actor_for(role))


def test_front_desk_clerk_and_manager_may_draft_and_only_the_manager_publishes(place):
    assert set(roles_with("notices.write")) >= {Role.SERVICE, Role.CLERK, Role.MANAGER}
    assert set(roles_with("notices.publish")) == {Role.ADMIN, Role.MANAGER}
    notice_id = _draft(actor=CLERK)
    for actor in (DESK, CLERK):
        with pytest.raises(PermissionDenied):
            notices.publish_notice(actor=actor, notice_id=notice_id, version=_v(notice_id))


# ---------------------------------------------------------------- editing a draft


def test_a_draft_is_edited_on_its_version_and_the_change_is_audited(place):
    notice_id = _draft(estate_ids=[place["ch"]])
    version = _v(notice_id)
    notices.update_draft(actor=CLERK, notice_id=notice_id, version=version, title="停水通知（更正）", body=BODY,
                         kind="停水停电", publish_on=_today() + timedelta(days=1), estate_ids=[place["jx"]])
    view = notices.notice(actor=DESK, notice_id=notice_id)
    assert (view.title, view.publish_on, view.targets, view.version) == \
        ("停水通知（更正）", _today() + timedelta(days=1), "锦绣华庭", version + 1)
    [row] = audit_rows(action="notice_edit")
    before, after = audit_json(row)
    assert (before["title"], after["title"]) == ("停水通知", "停水通知（更正）")
    assert (before["targets"], after["targets"]) == ([[place["ch"], None]], [[place["jx"], None]])


def test_changing_only_the_targets_moves_the_version_on(place):
    notice_id = _draft(estate_ids=[place["ch"]])
    version = _v(notice_id)
    notices.update_draft(actor=DESK, notice_id=notice_id, version=version, title="停水通知", body=BODY,
                         kind="停水停电", publish_on=_today(), estate_ids=[place["ch"]], building_ids=[place["b2"]])
    assert _v(notice_id) == version + 1
    with pytest.raises(StaleEdit):
        notices.update_draft(actor=DESK, notice_id=notice_id, version=version, title="再改", body=BODY,
                             kind="停水停电", publish_on=_today())


def test_an_edit_that_changes_nothing_writes_nothing(place):
    notice_id = _draft(estate_ids=[place["ch"]])
    before = db_state()
    notices.update_draft(actor=DESK, notice_id=notice_id, version=_v(notice_id), title="停水通知", body=BODY,
                         kind="停水停电", publish_on=_today(), estate_ids=[place["ch"]])
    assert db_state() == before


def test_the_second_editor_of_a_draft_gets_stale_edit(place):
    notice_id = _draft()
    version = _v(notice_id)
    notices.update_draft(actor=DESK, notice_id=notice_id, version=version, title="第一人", body=BODY, kind="其他",
                         publish_on=_today())
    before = db_state()
    with pytest.raises(StaleEdit):
        notices.update_draft(actor=CLERK, notice_id=notice_id, version=version, title="第二人", body=BODY,
                             kind="其他", publish_on=_today())
    assert db_state() == before


def test_a_published_notice_is_not_edited(place):
    notice_id = _draft()
    notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id))
    with pytest.raises(Conflict, match="只有草稿可以修改"):
        notices.update_draft(actor=DESK, notice_id=notice_id, version=_v(notice_id), title="改", body=BODY,
                             kind="其他", publish_on=_today())


def test_a_bad_edit_is_refused_whole(place):
    notice_id = _draft()
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        notices.update_draft(actor=DESK, notice_id=notice_id, version=_v(notice_id), title="", body=BODY,
                             kind="其他", publish_on=_today(), until_on=_today() - timedelta(days=1))
    assert set(caught.value.errors) == {"标题", "截止日期"}
    assert db_state() == before


# ---------------------------------------------------------------- publishing, withdrawing, archiving


def test_publishing_gives_consecutive_numbers_of_the_publish_year(place):
    first, second = _draft(title="甲"), _draft(title="乙")
    n1 = notices.publish_notice(actor=MANAGER, notice_id=first, version=_v(first))
    n2 = notices.publish_notice(actor=MANAGER, notice_id=second, version=_v(second))
    year = _today().year
    assert (n1, n2) == (f"GG{year}-001", f"GG{year}-002")
    row = get_row(Notice, first)
    assert (row.status, row.number, row.published_by) == ("已发布", n1, MANAGER.display_name)
    assert row.published_at is not None
    [audit, _] = audit_rows(action="notice_publish")
    assert audit_json(audit) == ({"status": "草稿"}, {"status": "已发布", "number": n1,
                                                      "publish_on": _today().isoformat()})


def test_a_draft_whose_day_has_passed_needs_a_new_day_before_it_is_published(place):
    notice_id = _draft()
    force_columns(Notice, notice_id, publish_on=_today() - timedelta(days=1))
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id))
    assert caught.value.errors["发布日期"].endswith("请先修改草稿的发布日期")
    assert db_state() == before


def test_only_a_draft_is_published_and_the_version_is_checked(place):
    notice_id = _draft()
    version = _v(notice_id)
    notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=version)
    with pytest.raises(StaleEdit):
        notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=version)
    with pytest.raises(Conflict, match="只有草稿可以发布"):
        notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id))
    with pytest.raises(NotFound):
        notices.publish_notice(actor=MANAGER, notice_id=999999, version=1)


def test_withdrawing_needs_a_reason_and_a_published_notice(place):
    notice_id = _draft()
    with pytest.raises(Conflict, match="只有已发布的公告可以撤回"):
        notices.withdraw_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id), reason="取消")
    notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id))
    before = db_state()
    with pytest.raises(ValidationError) as caught:
        notices.withdraw_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id), reason="  ")
    assert caught.value.errors == {"撤回原因": "必填：撤回公告须说明原因"}
    assert db_state() == before
    with pytest.raises(PermissionDenied):
        notices.withdraw_notice(actor=DESK, notice_id=notice_id, version=_v(notice_id), reason="停水取消")
    notices.withdraw_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id), reason="自来水公司通知停水取消")
    row = get_row(Notice, notice_id)
    assert (row.status, row.withdrawn_reason, row.closed_by) == ("已撤回", "自来水公司通知停水取消",
                                                                 MANAGER.display_name)
    [audit] = audit_rows(action="notice_withdraw")
    assert audit_json(audit)[1] == {"status": "已撤回", "reason": "自来水公司通知停水取消"}
    with pytest.raises(Conflict, match="不能归档"):
        notices.archive_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id))


def test_a_published_notice_and_a_draft_may_be_archived_by_the_manager_only(place):
    published, draft = _draft(title="甲"), _draft(title="乙")
    notices.publish_notice(actor=MANAGER, notice_id=published, version=_v(published))
    with pytest.raises(PermissionDenied):
        notices.archive_notice(actor=DESK, notice_id=draft, version=_v(draft))
    notices.archive_notice(actor=MANAGER, notice_id=published, version=_v(published))
    notices.archive_notice(actor=MANAGER, notice_id=draft, version=_v(draft))
    assert [get_row(Notice, i).status for i in (published, draft)] == ["已归档", "已归档"]
    assert [audit_json(r)[0]["status"] for r in audit_rows(action="notice_archive")] == ["已发布", "草稿"]
    with pytest.raises(Conflict):
        notices.archive_notice(actor=MANAGER, notice_id=draft, version=_v(draft))


# ---------------------------------------------------------------- reads


def test_the_list_filters_by_status_kind_and_estate_in_sql(place):
    everywhere = _draft(title="全体")
    ch_only = _draft(title="翠湖", kind="维修施工", estate_ids=[place["ch"]])
    _draft(title="锦绣", estate_ids=[place["jx"]], building_ids=[place["j1"]])
    notices.publish_notice(actor=MANAGER, notice_id=ch_only, version=_v(ch_only))

    def titles(**filters) -> list[str]:
        return sorted(notices.list_notices(actor=DESK, query=ListQuery(filters=filters)).rows["title"])

    assert titles() == ["全体", "翠湖", "锦绣"]
    assert titles(status="已发布") == ["翠湖"]
    assert titles(kind="停水停电") == ["全体", "锦绣"]
    assert titles(estate_id=place["jx"]) == ["全体", "锦绣"]
    assert titles(estate_id=place["ch"]) == ["全体", "翠湖"]
    rows = notices.list_notices(actor=DESK, query=ListQuery(search="锦绣")).rows
    assert list(rows["targets"]) == ["锦绣华庭（1栋）"]
    assert list(rows["number"]) == [""]
    assert everywhere


def test_reading_needs_relations_view_and_an_export_needs_data_export(place):
    with pytest.raises(PermissionDenied):
        notices.list_notices(actor=actor_for(Role.CASHIER), query=ListQuery())
    with pytest.raises(PermissionDenied):
        notices.list_notices(actor=actor_for(Role.ENGINEER), query=ListQuery(page_size=None))
    assert notices.list_notices(actor=CLERK, query=ListQuery(page_size=None)).total == 0


def test_notices_to_post_lists_todays_and_tomorrows_posts_due_drafts_and_expired_notices(place):
    today = _today()
    posted_today = _draft(title="今日公告")
    posted_tomorrow = _draft(title="明日公告", publish_on=today + timedelta(days=1))
    later = _draft(title="后天公告", publish_on=today + timedelta(days=2))
    for n in (posted_today, posted_tomorrow, later):
        notices.publish_notice(actor=MANAGER, notice_id=n, version=_v(n))
    due_draft = _draft(title="到期草稿")
    overdue_draft = _draft(title="过期草稿")
    force_columns(Notice, overdue_draft, publish_on=today - timedelta(days=3))
    _draft(title="下周草稿", publish_on=today + timedelta(days=7))
    expired = _draft(title="已过期公告")
    notices.publish_notice(actor=MANAGER, notice_id=expired, version=_v(expired))
    force_columns(Notice, expired, publish_on=today - timedelta(days=5), until_on=today - timedelta(days=1))
    withdrawn = _draft(title="撤回的")
    notices.publish_notice(actor=MANAGER, notice_id=withdrawn, version=_v(withdrawn))
    notices.withdraw_notice(actor=MANAGER, notice_id=withdrawn, version=_v(withdrawn), reason="取消")

    frame = notices.notices_to_post(actor=DESK, today=today)
    assert list(frame.columns) == ["id", "version", "action", "number", "title", "kind", "publish_on", "until_on",
                                   "status", "targets"]
    assert list(zip(frame["action"], frame["title"], strict=True)) == [
        ("今日张贴", "今日公告"), ("明日张贴", "明日公告"), ("待发布", "过期草稿"), ("待发布", "到期草稿"),
        ("到期撤下", "已过期公告")]
    assert due_draft and set(frame["targets"]) == {"全部小区"}
    with pytest.raises(PermissionDenied):
        notices.notices_to_post(actor=actor_for(Role.CASHIER), today=today)


def test_the_pdf_carries_company_title_number_targets_body_and_signature(place):
    from services.platform.auth import SYSTEM_ACTOR
    from services.platform.settings import update_settings

    update_settings(actor=SYSTEM_ACTOR, values={"company_name": "广州翠湖物业服务有限公司"})
    notice_id = _draft(estate_ids=[place["ch"]], building_ids=[place["b1"]], until_on=_today() + timedelta(days=1))
    draft_text = _pdf_text(notices.notice_pdf(actor=DESK, notice_id=notice_id))
    assert "草稿·未发布" in draft_text and "（发布时生成）" in draft_text
    number = notices.publish_notice(actor=MANAGER, notice_id=notice_id, version=_v(notice_id))
    text = _pdf_text(notices.notice_pdf(actor=DESK, notice_id=notice_id))
    for expected in ("广州翠湖物业服务有限公司", "停水通知", f"编号：{number}", "类别：停水停电", "尊敬的翠湖花园1栋业主、住户：",
                     "因市政管网维修", "请各位住户提前储水", "翠湖花园物业服务中心", "公告期限："):
        assert expected in text, expected
    assert "草稿" not in text


def test_a_long_body_continues_on_a_second_page_with_the_signature_at_the_end(place):
    body = "\n".join(f"第{n}条：请各位业主、住户注意用水用电安全，发现隐患及时联系物业服务中心。" * 2 for n in range(1, 40))
    notice_id = _draft(body=body)
    pages = _page_texts(notices.notice_pdf(actor=DESK, notice_id=notice_id))
    assert len(pages) >= 2
    assert "第39条" in pages[-1] and "物业服务中心" in pages[-1] and f"{_today().year}年" in pages[-1]
    assert f"第1页/共{len(pages)}页" in pages[0]


def _pdf_text(data: bytes) -> str:
    """The PDF's text without the NULs pypdf puts between CJK glyphs and without white space."""
    return "".join(_page_texts(data))


def _page_texts(data: bytes) -> list[str]:
    return ["".join(page.extract_text().replace("\x00", "").split()) for page in PdfReader(io.BytesIO(data)).pages]
