"""值班与交接班 (services/relations/handover): a shift's log, handed over with its open items, confirmed by the receiver
signed in as themselves; the writer confirming their own handover is refused; an unconfirmed handover stays waiting
(on the next shift's home) until someone confirms it."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from db.models import DutyEntry, DutyShift
from db.types import utcnow
from services.platform.auth import Actor, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.listing import ListQuery
from services.relations import handover as duty
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    count_rows,
    db_state,
    get_row,
    make_estate,
    make_login,
    roles_with,
    roles_without,
    sqlite_only,
)


def _login(username: str, name: str, role: Role = Role.SERVICE) -> Actor:
    return Actor(user_id=make_login(username, name, role=role), username=username, display_name=name, role=role)


@pytest.fixture
def people(db) -> dict[str, Actor]:
    return {"day": _login("day", "林晓燕"), "night": _login("night", "赵建国", Role.ENGINEER),
            "clerk": _login("clerk", "吴佳琪", Role.CLERK)}


def _entry(actor: Actor, shift_id: int, content: str, *, kind: str = "事件", open_item: bool = False,
           minutes_ago: int = 5) -> int:
    return duty.add_entry(actor=actor, shift_id=shift_id, at=utcnow() - timedelta(minutes=minutes_ago), kind=kind,
                          content=content, open_item=open_item)


def _handed(people) -> tuple[int, list[int]]:
    """林晓燕's log with three lines (two still open), handed over; returns (log id, line ids)."""
    day = people["day"]
    log = duty.open_shift(actor=day)
    lines = [_entry(day, log, "3-2-1201 业主来电：卫生间漏水到楼下", kind="来电", open_item=True),
             _entry(day, log, "借出 5-1-0302 钥匙给装修工李师傅，约定 18:00 前归还", kind="钥匙", open_item=True),
             _entry(day, log, "东门道闸抬杆故障，已通知工程部修复", kind="事件")]
    duty.hand_over(actor=day, shift_id=log, version=get_row(DutyShift, log).version,
                   summary="白班正常，漏水和钥匙两件事需跟进")
    return log, lines


def test_shifts_follow_the_seed_working_hours():
    at = lambda d, h, m: datetime(2026, 3, d, h, m, tzinfo=SHANGHAI)  # noqa: E731
    assert duty.shift_of(at(5, 8, 30)) == (date(2026, 3, 5), "白班")
    assert duty.shift_of(at(5, 17, 29)) == (date(2026, 3, 5), "白班")
    assert duty.shift_of(at(5, 17, 30)) == (date(2026, 3, 5), "夜班")
    assert duty.shift_of(at(6, 2, 0)) == (date(2026, 3, 5), "夜班")  # the night belongs to the evening it began
    assert duty.shift_window(date(2026, 3, 5), "夜班") == (at(5, 17, 30), at(6, 8, 30))


def test_every_desk_and_the_engineers_keep_the_duty_log():
    assert set(roles_with("handover.write")) == {Role.ADMIN, Role.MANAGER, Role.SERVICE, Role.ENGINEER, Role.CLERK}


@sqlite_only
@pytest.mark.parametrize("role", roles_without("handover.write"))
def test_a_cashier_keeps_no_duty_log(db, role):
    with pytest.raises(PermissionDenied):
        duty.open_shift(actor=actor_for(role))
    with pytest.raises(PermissionDenied):
        duty.open_handovers(actor=actor_for(role))


def test_a_log_is_kept_handed_over_and_confirmed_by_the_receiver_with_the_open_items_carried(people):
    log, lines = _handed(people)
    waiting = duty.open_handovers(actor=people["night"])
    assert list(waiting["id"]) == [log]
    assert (waiting.iloc[0]["writer"], waiting.iloc[0]["open_items"], waiting.iloc[0]["summary"]) == \
        ("林晓燕", 2, "白班正常，漏水和钥匙两件事需跟进")
    assert duty.shift_detail(actor=people["night"], shift_id=log).status == "待接班"

    mine = duty.confirm(actor=people["night"], shift_id=log, version=get_row(DutyShift, log).version,
                        note="已阅，夜班继续跟进漏水")
    handed = get_row(DutyShift, log)
    assert (handed.receiver_name, handed.receiver_id, handed.confirm_note) == \
        ("赵建国", people["night"].user_id, "已阅，夜班继续跟进漏水")
    assert duty.open_handovers(actor=people["night"]).empty
    current = duty.current_shift(actor=people["night"])
    assert current is not None and current.id == mine and current.status == "值班中"
    assert (current.writer, current.open_items, get_row(DutyShift, mine).carried_from_id) == ("赵建国", 2, log)
    assert list(current.entries["content"]) == ["3-2-1201 业主来电：卫生间漏水到楼下",
                                                "借出 5-1-0302 钥匙给装修工李师傅，约定 18:00 前归还"]
    assert list(current.entries["carried"]) == [True, True] and list(current.entries["open_item"]) == [True, True]
    assert [get_row(DutyEntry, int(i)).carried_from_id for i in current.entries["id"]] == lines[:2]
    [confirmed] = audit_rows(action="confirm")
    assert audit_json(confirmed) == ({"status": "待接班"}, {"status": "已接班", "receiver": "赵建国",
                                                          "note": "已阅，夜班继续跟进漏水", "carried": 2,
                                                          "into_shift": mine, "opened": True})
    assert duty.current_shift(actor=people["day"]) is None


def test_the_writer_confirming_their_own_handover_is_refused_and_nothing_is_written(people):
    log, _ = _handed(people)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        duty.confirm(actor=people["day"], shift_id=log, version=get_row(DutyShift, log).version, note="自己确认")
    assert exc.value.errors == {"接班人": "交班人不能确认自己的交班：须由接班人用本人账号登录后确认"}
    assert db_state() == before
    with pytest.raises(ValidationError) as exc:  # an actor without an account cannot sign for anybody either
        duty.confirm(actor=actor_for(Role.MANAGER), shift_id=log, version=get_row(DutyShift, log).version)
    assert set(exc.value.errors) == {"接班人"}
    assert db_state() == before


def test_an_unconfirmed_handover_waits_and_the_next_shift_confirms_it_instead_of_opening_a_log(people):
    log, _ = _handed(people)
    with pytest.raises(Conflict) as exc:
        duty.open_shift(actor=people["clerk"])
    assert "林晓燕于" in exc.value.message and "尚未确认接班" in exc.value.message
    # the handover stays waiting, however long
    assert list(duty.open_handovers(actor=people["clerk"])["id"]) == [log]
    assert duty.open_handover_count(actor=people["clerk"]) == 1
    # another estate's desk is not held up by it
    estate_id, _ = make_estate()
    other = duty.open_shift(actor=people["clerk"], estate_id=estate_id)
    assert get_row(DutyShift, other).estate_id == estate_id
    # the clerk, already on duty, confirms: the open items go into the clerk's running log
    mine = duty.confirm(actor=people["clerk"], shift_id=log, version=get_row(DutyShift, log).version)
    assert mine == other
    assert duty.current_shift(actor=people["clerk"]).open_items == 2
    assert duty.open_handover_count(actor=people["clerk"]) == 0


def test_a_handover_is_confirmed_once(people):
    log, _ = _handed(people)
    version = get_row(DutyShift, log).version
    duty.confirm(actor=people["night"], shift_id=log, version=version)
    with pytest.raises(StaleEdit):
        duty.confirm(actor=people["clerk"], shift_id=log, version=version)
    with pytest.raises(Conflict) as exc:
        duty.confirm(actor=people["clerk"], shift_id=log, version=get_row(DutyShift, log).version)
    assert exc.value.message.startswith("该交班已由赵建国于")
    assert count_rows(DutyShift) == 2


def test_only_the_writer_adds_to_resolves_and_hands_over_their_log(people):
    day, night = people["day"], people["night"]
    log = duty.open_shift(actor=day)
    line = _entry(day, log, "2栋电梯困人，已解救", kind="突发事件", open_item=True)
    with pytest.raises(Conflict) as exc:
        _entry(night, log, "代记一笔")
    assert exc.value.message == "这是林晓燕的值班记录：只有值班人本人可以登记和交班"
    with pytest.raises(Conflict):
        duty.hand_over(actor=night, shift_id=log, version=get_row(DutyShift, log).version, summary="代交班")
    duty.resolve_entry(actor=day, entry_id=line, version=1, note="维保单位已检查，电梯恢复运行")
    row = get_row(DutyEntry, line)
    assert (row.open_item, row.resolved_note) == (False, "维保单位已检查，电梯恢复运行")
    with pytest.raises(Conflict) as exc:
        duty.resolve_entry(actor=day, entry_id=line, version=row.version)
    assert exc.value.message == "该事项已办结"
    result = duty.hand_over(actor=day, shift_id=log, version=get_row(DutyShift, log).version, summary="无遗留事项")
    assert result.open_items == 0
    with pytest.raises(Conflict) as exc:
        _entry(day, log, "交班后补记")
    assert "已于" in exc.value.message and "交班，不能再修改" in exc.value.message


def test_bad_lines_and_a_handover_without_summary_are_refused_and_write_nothing(people):
    day = people["day"]
    log = duty.open_shift(actor=day)
    before = db_state()
    with pytest.raises(ValidationError) as exc:
        duty.add_entry(actor=day, shift_id=log, at=utcnow() + timedelta(hours=1), kind="闲聊", content=" ")
    assert exc.value.errors == {"类别": "应为以下之一：事件、来电、钥匙、突发事件、其他", "内容": "必填",
                                "时间": "不能晚于现在"}
    with pytest.raises(ValidationError) as exc:
        duty.add_entry(actor=day, shift_id=log, at=utcnow() - timedelta(days=2), kind="事件", content="前天的事")
    assert set(exc.value.errors) == {"时间"} and exc.value.errors["时间"].startswith("应在本班次内")
    with pytest.raises(ValidationError) as exc:
        duty.hand_over(actor=day, shift_id=log, version=get_row(DutyShift, log).version, summary="")
    assert exc.value.errors == {"交班小结": "必填"}
    assert db_state() == before


def test_one_log_at_a_time_and_a_shift_day_of_today_or_last_night(people):
    day = people["day"]
    with pytest.raises(ValidationError) as exc:
        duty.open_shift(actor=day, shift="中班", duty_on=date.today() + timedelta(days=3))
    assert exc.value.errors == {"班次": "应为 白班 或 夜班", "值班日期": "不能晚于今天"}
    duty.open_shift(actor=day, shift="夜班")
    with pytest.raises(Conflict) as exc:
        duty.open_shift(actor=day)
    assert exc.value.message.startswith("你已有未交班的值班记录")
    with pytest.raises(NotFound):
        duty.confirm(actor=day, shift_id=99_999, version=1)


def test_past_shifts_are_listed_newest_first_and_filtered(people):
    log, _ = _handed(people)
    mine = duty.confirm(actor=people["night"], shift_id=log, version=get_row(DutyShift, log).version)
    rows = duty.list_shifts(actor=people["clerk"], query=ListQuery()).rows
    assert list(rows["id"]) == [mine, log]
    assert list(rows["status"]) == ["值班中", "已接班"]
    assert list(rows["open_items"]) == [2, 2] and list(rows["entries"]) == [2, 3]
    assert list(rows["receiver"]) == ["", "赵建国"]
    taken = duty.list_shifts(actor=people["clerk"], query=ListQuery(filters={"status": "已接班"})).rows
    assert list(taken["id"]) == [log]
    assert duty.list_shifts(actor=people["clerk"], query=ListQuery(search="漏水")).total == 1
    with pytest.raises(PermissionDenied):  # exporting every row needs data.export, which engineers do not have
        duty.list_shifts(actor=people["night"], query=ListQuery(page_size=None))
