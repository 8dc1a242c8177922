"""Import of a ticket register 报事登记 (services/tickets/ticket_import): numbers, deadlines, status, timeline, revisits,
rulings, all-or-nothing problems by Excel row and column, idempotent re-import, and the KPIs of an imported month.

"Now" is pinned to Monday 2026-11-23 10:00 in Shanghai for the import (and for live intake where a test takes
a ticket), so the "not in the future" rule and the expected numbers never depend on the day the suite runs.
Registers are built with openpyxl (tests.factories.ticket_register): a title row, then the header, so the first
data row is Excel row 3. The 2025 holidays are not seeded: the first import copies them from chinese-calendar.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import openpyxl
import pytest
from sqlalchemy import select, update

from db.engine import read_session, unit_of_work
from db.models import AuditEntry, Counter, Holiday, Revisit, SlaPolicy, Ticket, TicketEvent, Unit
from services import kpi
from services.platform.auth import Role
from services.platform.clock import SHANGHAI
from services.platform.errors import PermissionDenied, ValidationError
from services.platform.workbook import parse_datetime
from services.tickets import ticket_import, workdays
from services.tickets import workflow as tickets
from tests.factories import (
    actor_for,
    audit_json,
    audit_rows,
    bulk_units,
    count_rows,
    db_state,
    get_row,
    make_estate,
    make_login,
    make_staff,
    make_ticket,
    make_units,
    roles_with,
    roles_without,
    second_waits_on_lock,
    seed_ticket_policies,
    ticket_register,
)

MANAGER = actor_for(Role.MANAGER, "manager1")
HEADERS = [h for h, *_ in ticket_import.TICKET_COLUMNS]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=SHANGHAI)
EXCEL_EPOCH = datetime(1899, 12, 30)


def at(y: int, m: int, d: int, hh: int = 10, mm: int = 0, ss: int = 0) -> datetime:
    """A moment in Asia/Shanghai."""
    return datetime(y, m, d, hh, mm, ss, tzinfo=SHANGHAI)


@pytest.fixture
def clock(monkeypatch):
    """Now is 2026-11-23 10:00 Shanghai for the import and for live intake."""
    def now() -> datetime:
        return NOW.astimezone(UTC)

    monkeypatch.setattr(ticket_import, "utcnow", now)
    monkeypatch.setattr(tickets, "utcnow", now)


@pytest.fixture
def desk(clock) -> dict:
    """SLA seed policies, estate 测试小区 (T1) with 1-1-101..103, a second estate, staff and users.

    Users: 王芳 (wangf, service), 李工 (ligong, engineer, linked to staff 李工 S001), two users both named 张三;
    staff 赵师傅 (S002) has no login.
    """
    seed_ticket_policies()
    units = make_units(3)
    estate_id = get_row(Unit, units[0]).estate_id
    other_estate, [other_building] = make_estate("E2", "别的小区")
    [foreign] = bulk_units(other_estate, other_building, 1)
    li = make_staff("李工", "S001")
    make_staff("赵师傅", "S002")
    users = {
        "wangf": make_login("wangf", "王芳"),
        "ligong": make_login("ligong", "李师傅", role=Role.ENGINEER, staff_id=li),
        "zhangsan1": make_login("zhangsan1", "张三"),
        "zhangsan2": make_login("zhangsan2", "张三", active=False),
    }
    return {"estate_id": estate_id, "units": units, "foreign": foreign, "users": users}


def repair(**over) -> dict:
    """A completed and revisited repair of 1-1-101, received 2025-03-01 09:30."""
    row = {"小区": "测试小区", "房屋": "1-1-101", "类型": "报修", "渠道": "电话", "报事人": "张伟",
           "联系电话": "13800138000", "内容": "厨房水管漏水", "受理时间": "2025-03-01 09:30", "首问责任人": "王芳",
           "处理部门": "工程", "处理人": "李工", "完成时间": "2025-03-01 15:00", "回访时间": "2025-03-02 10:00",
           "回访方式": "电话", "回访结果": "满意"}
    row.update(over)
    return {k: v for k, v in row.items() if v is not None}


def preview(data: bytes, actor=MANAGER) -> ticket_import.TicketImportPreview:
    return ticket_import.preview_ticket_import(actor=actor, source=data)


def commit(data: bytes, actor=MANAGER) -> ticket_import.TicketImportCounts:
    p = preview(data, actor)
    assert p.ok, [str(x) for x in p.problems]
    return ticket_import.commit_ticket_import(actor=actor, preview=p)


def by_number() -> dict[str, Ticket]:
    with read_session() as s:
        rows = list(s.scalars(select(Ticket)))
        s.expunge_all()
    return {t.number: t for t in rows}


def events(ticket_id: int) -> list[tuple[str, str, str, datetime, str]]:
    with read_session() as s:
        rows = s.execute(select(TicketEvent.kind, TicketEvent.status_from, TicketEvent.status_to, TicketEvent.at,
                                TicketEvent.actor_name, TicketEvent.note)
                         .where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.at, TicketEvent.id)).all()
    assert all(r.note.startswith(ticket_import.IMPORT_MARK) for r in rows)
    return [(r.kind, r.status_from, r.status_to, r.at, r.actor_name) for r in rows]


def revisits_of(ticket_id: int) -> list[Revisit]:
    with read_session() as s:
        rows = list(s.scalars(select(Revisit).where(Revisit.ticket_id == ticket_id)))
        s.expunge_all()
    return rows


# --- the template --------------------------------------------------------------------------------


def test_template_has_the_register_sheet_and_a_chinese_guide_for_every_column():
    wb = openpyxl.load_workbook(io.BytesIO(ticket_import.ticket_template_bytes()))
    assert wb.sheetnames == ["历史工单", "说明"]
    assert [c.value for c in wb["历史工单"][1]] == HEADERS
    assert HEADERS == ["小区", "房屋", "类型", "渠道", "报事人", "联系电话", "内容", "受理时间", "首问责任人", "处理部门",
                       "处理人", "完成时间", "回访时间", "回访方式", "回访结果", "有效投诉"]
    guide = "\n".join(str(c.value) for row in wb["说明"].iter_rows() for c in row if c.value)
    for header in HEADERS:
        assert header in guide
    for rule in ("什么都不会写入", "不会重复导入", "写到分钟", "不需要回访", "待回访", "不会新建小区或房屋"):
        assert rule in guide, rule


def test_the_empty_template_imports_nothing_and_says_so(sqlite_db, clock):
    p = preview(ticket_import.ticket_template_bytes())
    assert [str(x) for x in p.problems] == ["文件 · 文件：表头下面没有数据行"]


# --- a register becomes tickets --------------------------------------------------------------------


def test_a_register_becomes_numbered_tickets_with_deadlines_status_timeline_and_revisits(db, desk):
    users = desk["users"]
    rows = [
        repair(),  # row 3: closed after its revisit
        repair(房屋="1-1-102", 内容="卫生间堵塞", 受理时间="2025-03-01 08:00", 完成时间="2025-03-01 12:00",
               回访时间=None, 回访方式=None, 回访结果=None, 处理人="赵师傅"),  # row 4: awaiting revisit
        repair(房屋="1-1-103", 内容="灯不亮", 受理时间="2025-03-05 20:00", 完成时间=None, 回访时间=None, 回访方式=None,
               回访结果=None, 首问责任人=None, 处理人=None, 处理部门=None),  # row 5: in progress
        # row 6: a complaint handled on 国庆 2025, revisited after the holiday, ruled effective
        {"小区": "测试小区", "房屋": "1-1-101", "类型": "投诉", "渠道": "来访", "内容": "楼上装修噪音",
         "受理时间": "2025-09-30 18:00", "完成时间": "2025-10-01 10:00", "回访时间": "2025-10-09 11:00",
         "回访方式": "上门", "回访结果": "基本满意", "有效投诉": "是", "首问责任人": "zhangsan1"},
        # row 7: an inquiry without unit, done: closed without revisit
        {"小区": "测试小区", "类型": "咨询", "渠道": "微信", "内容": "物业费缴费方式", "受理时间": "2025-03-01 11:00",
         "完成时间": "2025-03-01 11:10"},
        # row 8: a suggestion received before 国庆: 3 working days count 10-09, 10-10 and the 调休 Saturday 10-11
        {"小区": "测试小区", "类型": "建议", "渠道": "APP", "内容": "建议增加儿童游乐设施", "受理时间": "2025-09-30 09:00"},
    ]
    counts = commit(ticket_register(rows))
    assert counts == ticket_import.TicketImportCounts(rows=6, new=6, existing=0, closed=3, awaiting_revisit=1,
                                                      in_progress=2, holiday_years=(2025,))
    assert "新增工单 6（已关闭 3、待回访 1、处理中 2）" in counts.summary()
    t = by_number()
    # numbers: type prefix + local receiving date + sequence in order of receipt
    assert sorted(t) == ["BX20250301-001", "BX20250301-002", "BX20250305-001", "JY20250930-001", "TS20250930-001",
                         "ZX20250301-001"]
    with read_session() as s:
        assert dict(s.execute(select(Counter.name, Counter.value).where(Counter.name.like("ticket:%"))).all()) == {
            "ticket:BX20250301": 2, "ticket:BX20250305": 1, "ticket:JY20250930": 1, "ticket:TS20250930": 1,
            "ticket:ZX20250301": 1}

    closed = t["BX20250301-002"]  # 09:30, after the 08:00 one
    assert (closed.content, closed.status, closed.unit_id) == ("厨房水管漏水", "已关闭", desk["units"][0])
    assert (closed.caller_name, closed.caller_phone, closed.channel, closed.department) == (
        "张伟", "13800138000", "电话", "工程")
    assert closed.received_at == at(2025, 3, 1, 9, 30)
    assert closed.deadline_at == at(2025, 3, 2, 9, 30)  # 报修: 24 hours
    assert closed.completed_at == at(2025, 3, 1, 15) and closed.closed_at == at(2025, 3, 2, 10)
    assert closed.handled_at is None and closed.needs_revisit and closed.ruling == ""
    assert (closed.first_responder_id, closed.assignee_id) == (users["wangf"], users["ligong"])  # 李工: staff name
    assert (closed.entered_by, closed.entered_at) == (None, NOW)
    [r] = revisits_of(closed.id)
    assert (r.due_at, r.done_at, r.method, r.result, r.done_by) == (
        at(2025, 3, 2, 15), at(2025, 3, 2, 10), "电话", "满意", None)
    assert events(closed.id) == [
        ("create", "", "处理中", at(2025, 3, 1, 9, 30), "王芳"),
        ("complete", "处理中", "已完成", at(2025, 3, 1, 15), "李师傅"),
        ("revisit_due", "已完成", "待回访", at(2025, 3, 1, 15), "测试客服主管"),
        ("revisit", "待回访", "已关闭", at(2025, 3, 2, 10), "测试客服主管"),
    ]

    waiting = t["BX20250301-001"]
    assert (waiting.status, waiting.closed_at, waiting.assignee_id) == ("待回访", None, None)  # 赵师傅: no login
    [r] = revisits_of(waiting.id)
    assert (r.due_at, r.done_at) == (at(2025, 3, 2, 12), None)
    assert events(waiting.id)[1] == ("complete", "处理中", "已完成", at(2025, 3, 1, 12), "赵师傅")

    open_one = t["BX20250305-001"]
    assert (open_one.status, open_one.completed_at, open_one.department) == ("处理中", None, "工程")
    assert revisits_of(open_one.id) == []
    assert [e[0] for e in events(open_one.id)] == ["create"]

    complaint = t["TS20250930-001"]
    assert complaint.status == "已关闭" and complaint.deadline_at == at(2025, 10, 1, 18)
    assert complaint.handled_at == complaint.completed_at == at(2025, 10, 1, 10)
    assert (complaint.ruling, complaint.ruled_at, complaint.ruling_staff_id) == ("有效", at(2025, 10, 1, 10), None)
    assert complaint.first_responder_id == users["zhangsan1"]  # written as a username: unambiguous
    [r] = revisits_of(complaint.id)
    # 3 working days after handling on 10-01: 10-09, 10-10, and the 调休 Saturday 10-11
    assert r.due_at == at(2025, 10, 11, 23, 59, 59)
    assert r.due_at == tickets._revisit_due(complaint)  # exactly as a live ticket computes it
    assert [e[0] for e in events(complaint.id)] == ["create", "complete", "revisit_due", "rule", "revisit"]

    inquiry = t["ZX20250301-001"]
    assert (inquiry.status, inquiry.unit_id, inquiry.needs_revisit, inquiry.department) == ("已关闭", None, False, "客服")
    assert inquiry.deadline_at == at(2025, 3, 1, 15) and inquiry.closed_at == at(2025, 3, 1, 11, 10)
    assert [e[:3] for e in events(inquiry.id)] == [("create", "", "处理中"), ("complete", "处理中", "已完成"),
                                                   ("close", "已完成", "已关闭")]
    assert revisits_of(inquiry.id) == []

    suggestion = t["JY20250930-001"]
    assert suggestion.deadline_at == at(2025, 10, 11, 23, 59, 59)
    assert suggestion.deadline_at == workdays.deadline(suggestion.received_at, working_days=3)

    # the 2025 holidays were copied from chinese-calendar so that the arithmetic above is right
    with read_session() as s:
        assert s.scalar(select(Holiday.is_workday).where(Holiday.day == datetime(2025, 10, 11).date())) is True
    [entry] = audit_rows(action="import", entity="tickets")
    _before, after = audit_json(entry)
    assert after["new"] == 6 and after["existing"] == 0 and after["rows"] == 6 and after["holiday_years"] == [2025]
    assert entry.actor_username == "manager1"
    assert count_rows(Ticket) == 6


def test_reimporting_the_same_file_creates_nothing_and_writes_nothing(db, desk):
    data = ticket_register([repair(), repair(房屋="1-1-102", 受理时间="2025-03-01 08:00")])
    assert commit(data).new == 2
    before = db_state()
    again = commit(data)
    assert (again.new, again.existing) == (0, 2)
    assert "已存在而跳过 2" in again.summary()
    assert db_state() == before  # no ticket, counter, audit row or holiday written
    # a row added to the register later imports alone; the known rows are skipped
    counts = commit(ticket_register([repair(), repair(房屋="1-1-102", 受理时间="2025-03-01 08:00"),
                                     repair(房屋="1-1-103", 受理时间="2025-03-03 08:00", 完成时间="2025-03-03 09:00",
                                            回访时间="2025-03-03 10:00")]))
    assert (counts.new, counts.existing) == (1, 2)
    assert sorted(by_number()) == ["BX20250301-001", "BX20250301-002", "BX20250303-001"]
    assert len(audit_rows(action="import", entity="tickets")) == 2


def test_a_preview_committed_after_the_same_file_was_imported_creates_nothing(db, desk):
    data = ticket_register([repair()])
    stale = preview(data)
    commit(data)
    counts = ticket_import.commit_ticket_import(actor=MANAGER, preview=stale)
    assert (counts.new, counts.existing) == (0, 1)
    assert count_rows(Ticket) == 1


def test_imported_numbers_continue_the_live_days_counter_and_live_intake_continues_after_them(db, desk):
    service = actor_for(Role.SERVICE, "service1")
    _live_id, live_number = make_ticket(service, desk["estate_id"], desk["units"][0], received_at=at(2026, 11, 20, 10),
                                        content="入户门锁坏了")
    assert live_number == "BX20261120-001"
    rows = [repair(受理时间="2026-11-20 12:00", 完成时间=None, 回访时间=None, 回访方式=None, 回访结果=None),
            repair(受理时间="2026-11-20 08:00", 完成时间=None, 回访时间=None, 回访方式=None, 回访结果=None),
            # the live ticket is in the register too: same estate, unit, type, time and content -> skipped
            repair(受理时间="2026-11-20 10:00", 内容="入户门锁坏了", 完成时间=None, 回访时间=None, 回访方式=None,
                   回访结果=None)]
    counts = commit(ticket_register(rows))
    assert (counts.new, counts.existing) == (2, 1)
    t = by_number()
    assert t["BX20261120-002"].received_at == at(2026, 11, 20, 8)
    assert t["BX20261120-003"].received_at == at(2026, 11, 20, 12)
    _id, after = make_ticket(service, desk["estate_id"], desk["units"][1], received_at=at(2026, 11, 20, 14))
    assert after == "BX20261120-004"
    with read_session() as s:
        assert s.scalar(select(Counter.value).where(Counter.name == "ticket:BX20261120")) == 4


# --- problems, all-or-nothing ----------------------------------------------------------------------

BAD_ROWS: list[tuple[dict, str, str]] = [
    # (row overrides, column named, words in the message)
    ({"小区": "不存在的小区"}, "小区", "系统中没有“不存在的小区”这个小区"),
    ({"房屋": "9-9-909"}, "房屋", "“测试小区”没有房屋 9-9-909"),
    ({"房屋": "R00001"}, "房屋", "应为 楼栋-单元-房号"),
    ({"小区": "别的小区"}, "房屋", "“别的小区”没有房屋 1-1-101"),
    ({"房屋": None}, "房屋", "报修和投诉必须填写房屋"),
    ({"房屋": datetime(2010, 1, 1)}, "房屋", "被 Excel 当成了日期"),
    ({"类型": "维修"}, "类型", "应为以下之一：报修、投诉、咨询、建议、求助、表扬"),
    ({"渠道": "传真"}, "渠道", "应为以下之一"),
    ({"内容": None}, "内容", "必填"),
    ({"受理时间": None}, "受理时间", "必填"),
    ({"受理时间": "2025-03-01"}, "受理时间", "只有日期，缺少时刻"),
    ({"受理时间": "昨天上午"}, "受理时间", "应为日期和时刻"),
    ({"受理时间": "1999-12-31 10:00"}, "受理时间", "年份有误（1999-12-31 10:00），应为 2000 年以后"),
    ({"受理时间": "2027-01-01 10:00", "完成时间": None, "回访时间": None, "回访方式": None, "回访结果": None},
     "受理时间", "不能晚于现在"),
    ({"完成时间": "2025-03-01 08:00", "回访时间": None, "回访方式": None, "回访结果": None}, "完成时间",
     "不能早于受理时间（2025-03-01 09:30）"),
    ({"回访时间": "2025-03-01 14:00"}, "回访时间", "不能早于完成时间（2025-03-01 15:00）"),
    ({"完成时间": None}, "回访时间", "没有完成时间，不能有回访"),
    ({"回访方式": None}, "回访方式", "有回访时间时必填"),
    ({"回访时间": None, "回访方式": None}, "回访时间", "填写了回访结果，请同时填写回访时间"),
    ({"回访结果": "还行"}, "回访结果", "应为以下之一：满意、基本满意、不满意"),
    ({"类型": "咨询"}, "回访时间", "咨询不需要回访"),
    ({"有效投诉": "是"}, "有效投诉", "只有投诉可以填写（本行是报修）"),
    ({"类型": "投诉", "有效投诉": "也许"}, "有效投诉", "应为 是 或 否"),
    ({"处理人": "路人甲"}, "处理人", "系统中没有“路人甲”这位用户或员工"),
    ({"首问责任人": "张三"}, "首问责任人", "有 2 位用户都叫“张三”（用户名 zhangsan1、zhangsan2），请改写为用户名"),
    ({"联系电话": "12345"}, "联系电话", "应为11位手机号或带区号的固定电话"),
    ({"处理部门": "财务"}, "处理部门", "应为以下之一：工程、保洁、安保、绿化、客服"),
]


def test_every_kind_of_problem_is_listed_at_once_by_excel_row_and_column_and_nothing_is_written(db, desk):
    good = repair(房屋="1-1-103", 受理时间="2025-02-01 09:00", 完成时间="2025-02-01 10:00",
                  回访时间="2025-02-01 11:00")
    rows = [good] + [repair(**over) for over, _col, _words in BAD_ROWS]
    rows.append(repair(受理时间="2025-02-01 09:00", 房屋="1-1-103"))  # same ticket as the good row
    before = db_state()
    p = preview(ticket_register(rows))
    assert not p.ok
    found = {(x.row, x.column): str(x) for x in p.problems}
    for n, (_over, column, words) in enumerate(BAD_ROWS, start=4):  # title row 1, header row 2, good row 3
        shown = found.get((n, column))
        assert shown is not None, (n, column, [str(x) for x in p.problems if x.row == n])
        assert shown.startswith(f"第 {n} 行 · {column}：") and words in shown, shown
    last = 4 + len(BAD_ROWS)
    assert found[(last, "受理时间")] == (f"第 {last} 行 · 受理时间：与第 3 行是同一张工单"
                                      "（小区、房屋、类型、受理时间、内容都相同）")
    assert not any(x.row == 3 for x in p.problems)
    assert {x.row for x in p.problems} == set(range(4, last + 1))  # one row, one kind of problem
    with pytest.raises(ValidationError) as exc:
        ticket_import.commit_ticket_import(actor=MANAGER, preview=p)
    assert "第 4 行" in exc.value.row_errors and "小区" in exc.value.row_errors["第 4 行"]
    with pytest.raises(ValidationError):
        ticket_import.import_tickets(actor=MANAGER, source=ticket_register(rows))
    assert db_state() == before


def test_a_type_without_an_sla_policy_is_refused_on_its_rows(sqlite_db, desk):
    with unit_of_work() as uow:
        uow.session.execute(update(SlaPolicy).where(SlaPolicy.ticket_type == "表扬").values(active=False))
        uow.commit()
    p = preview(ticket_register([{"小区": "测试小区", "类型": "表扬", "渠道": "电话", "内容": "感谢保洁阿姨",
                                   "受理时间": "2025-05-01 10:00"}]))
    assert [str(x) for x in p.problems] == ["第 3 行 · 类型：没有“表扬”的时限规定，请系统管理员先设置"]


def test_a_missing_column_or_header_or_a_non_workbook_is_refused_in_words(sqlite_db, desk):
    without_channel = [h for h in HEADERS if h != "渠道"]
    p = preview(ticket_register([repair()], headers=without_channel))
    assert [str(x) for x in p.problems] == ["第 2 行 · 渠道：缺少此列"]
    p = preview(ticket_register([repair()], headers=[h for h in HEADERS if h != "受理时间"]))
    assert p.problems[0].column == "表头" and "没有找到表头" in p.problems[0].message
    p = preview(b"not a workbook")
    assert p.problems[0].row is None and ".xlsx" in p.problems[0].message


def test_messy_cells_are_read_as_their_unambiguous_values(sqlite_db, desk):
    headers = ["* 小区", "房屋编号", "类型", "渠道", "报事人", "联系电话", "报事内容", "受理时间（必填）", "处理部门",
               "完成时间", "回访时间", "回访方式", "回访结果", "有效投诉"]
    base = {"* 小区": "T1", "类型": " 报修 ", "渠道": "app", "报事内容": "漏水", "处理部门": "工程"}
    rows = [
        {**base, "房屋编号": "１栋１单元１０１室", "联系电话": 13800138000, "受理时间（必填）": "2025/3/1 9:30"},
        {**base, "房屋编号": " 1 - 1 - 102 ", "联系电话": 13800138001.0, "受理时间（必填）": "2025年3月2日 9时30分"},
        {**base, "房屋编号": "1-1-103", "联系电话": "(020)12345678", "受理时间（必填）": 45719.395833333336},
        {**base, "房屋编号": "1-1-101", "联系电话": "+86 138 0013 8002", "受理时间（必填）": datetime(2025, 3, 4, 9, 30),
         "完成时间": datetime(2025, 3, 4, 11, 0), "回访时间": "2025-03-05 下午3点", "回访方式": "上门", "回访结果": "满意"},
        {**base, "房屋编号": "1-1-102", "类型": "投诉", "受理时间（必填）": "２０２５－０３－０５　０９：３０",
         "完成时间": "2025-03-05T10:00:00", "有效投诉": "否"},
        {"* 小区": None},  # an empty row in between is skipped
    ]
    counts = commit(ticket_register(rows, headers=headers, title="二〇二五年 报事登记"))
    assert counts.new == 5
    t = sorted(by_number().values(), key=lambda x: x.received_at)
    assert [x.received_at for x in t] == [at(2025, 3, 1, 9, 30), at(2025, 3, 2, 9, 30), at(2025, 3, 3, 9, 30),
                                          at(2025, 3, 4, 9, 30), at(2025, 3, 5, 9, 30)]
    assert [x.caller_phone for x in t[:4]] == ["13800138000", "13800138001", "020-12345678", "13800138002"]
    assert [x.unit_id for x in t] == [desk["units"][0], desk["units"][1], desk["units"][2], desk["units"][0],
                                      desk["units"][1]]
    assert {x.channel for x in t} == {"APP"} and t[0].ticket_type == "报修"
    assert (t[3].completed_at, t[3].status) == (at(2025, 3, 4, 11), "已关闭")
    assert revisits_of(t[3].id)[0].done_at == at(2025, 3, 5, 15)
    assert (t[4].ticket_type, t[4].ruling, t[4].handled_at) == ("投诉", "无效", at(2025, 3, 5, 10))


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-03-01 09:30", datetime(2025, 3, 1, 9, 30)),
    ("2025/3/1 9:30:15", datetime(2025, 3, 1, 9, 30, 15)),
    ("2025.3.1 21:05", datetime(2025, 3, 1, 21, 5)),
    ("2025年3月1日 9时30分", datetime(2025, 3, 1, 9, 30)),
    ("2025年3月1日下午3点半", datetime(2025, 3, 1, 15, 30)),
    ("2025-03-01 9:30 PM", datetime(2025, 3, 1, 21, 30)),
    ("2025-03-01 00:00", datetime(2025, 3, 1, 0, 0)),
    (45717.395833333336, datetime(2025, 3, 1, 9, 30)),
    (datetime(2025, 3, 1, 9, 29, 59, 999_999), datetime(2025, 3, 1, 9, 30)),
])
def test_times_are_read_as_people_write_them(text, expected):
    assert parse_datetime(text, EXCEL_EPOCH) == expected


@pytest.mark.parametrize(("text", "words"), [
    ("2025-03-01", "只有日期，缺少时刻"), ("2025-02-30 10:00", "日期不存在"), ("2025-03-01 24:10", "时刻不存在"),
    ("上周五", "应为日期和时刻"), (True, "应为日期和时刻"), (12, "应为日期和时刻"),
])
def test_ambiguous_or_impossible_times_are_refused(text, words):
    from services.platform.validate import FieldError

    with pytest.raises(FieldError) as exc:
        parse_datetime(text, EXCEL_EPOCH)
    assert words in str(exc.value)


# --- the KPIs of an imported month ------------------------------------------------------------------

APRIL_2025 = [
    # repairs (24 h deadline; revisit due 24 h after completion)
    {"房屋": "1-1-101", "类型": "报修", "内容": "R1", "受理时间": "2025-04-01 09:00", "完成时间": "2025-04-01 15:00",
     "回访时间": "2025-04-02 10:00", "回访方式": "电话", "回访结果": "满意"},
    {"房屋": "1-1-102", "类型": "报修", "内容": "R2 late", "受理时间": "2025-04-02 09:00",
     "完成时间": "2025-04-03 12:00", "回访时间": "2025-04-05 10:00", "回访方式": "电话", "回访结果": "不满意"},
    {"房屋": "1-1-103", "类型": "报修", "内容": "R3 open", "受理时间": "2025-04-10 09:00"},
    {"房屋": "1-1-101", "类型": "报修", "内容": "R4 from March", "受理时间": "2025-03-31 20:00",
     "完成时间": "2025-04-01 10:00"},
    {"房屋": "1-1-102", "类型": "报修", "内容": "R5 revisited in May", "受理时间": "2025-04-29 09:00",
     "完成时间": "2025-04-30 08:00", "回访时间": "2025-05-01 09:00", "回访方式": "上门", "回访结果": "基本满意"},
    # complaints (handled = 完成时间; revisit due 3 working days after handling)
    {"房屋": "1-1-103", "类型": "投诉", "内容": "C1", "受理时间": "2025-04-03 08:00", "完成时间": "2025-04-03 20:00",
     "回访时间": "2025-04-08 10:00", "回访方式": "电话", "回访结果": "满意", "有效投诉": "是"},
    {"房屋": "1-1-101", "类型": "投诉", "内容": "C2", "受理时间": "2025-04-23 09:00", "完成时间": "2025-04-24 10:00",
     "回访时间": "2025-04-29 09:00", "回访方式": "电话", "回访结果": "满意", "有效投诉": "否"},
    {"房屋": "1-1-102", "类型": "投诉", "内容": "C3 open", "受理时间": "2025-04-28 09:00"},
    # an inquiry needs no revisit
    {"类型": "咨询", "内容": "Q1", "受理时间": "2025-04-09 10:00", "完成时间": "2025-04-09 11:00"},
]

APRIL_EXPECTED = {
    "repair_timeliness": Decimal("0.7500"),  # completed in April: R1, R4, R5 in time; R2 after 27 h
    "repair_completion": Decimal("0.7500"),  # received in April: R1, R2, R5 done; R3 open (R4 is March's)
    "complaint_timely_rate": Decimal("0.3333"),  # C1 in 12 h; C2 in 25 h; C3 not handled
    "complaint_handled_rate": Decimal("0.6667"),  # C1, C2 of C1..C3
    "revisit_rate": Decimal("0.6667"),  # completed in April needing one: R1 R2 R4 R5 C1 C2; done by month end: R1 R2 C1 C2
    # due in April: R1 (04-02 15:00, early), R2 (04-04 12:00, late), R4 (04-02 10:00, never),
    # C1 (清明 04-04..06 off: 04-09 23:59:59, early), C2 (调休 Sunday 04-27 works: 04-28 23:59:59, done 04-29: late);
    # R5's falls on 05-01
    "revisit_timely_rate": Decimal("0.4000"),
    "satisfaction": Decimal("0.7500"),  # answered in April: 满意 R1 C1 C2, 不满意 R2 (R5 answered in May)
    "effective_complaints": 1,  # C1 (ruled at its handling time)
    "effective_complaint_rate": Decimal("0.3333"),
}


def test_the_kpis_of_an_imported_month_equal_the_hand_computed_values(db, desk):
    rows = [{"小区": "测试小区", "渠道": "电话", **r} for r in APRIL_2025]
    assert commit(ticket_register(rows)).new == len(APRIL_2025)
    april = kpi.Period.parse("2025-04")
    assert kpi.ticket_kpis(april, as_of=april.last_instant) == APRIL_EXPECTED
    with read_session() as s:
        dues = dict(s.execute(select(Ticket.content, Revisit.due_at).join(Revisit, Revisit.ticket_id == Ticket.id)
                              .where(Ticket.ticket_type == "投诉")).all())
    assert dues == {"C1": at(2025, 4, 9, 23, 59, 59), "C2": at(2025, 4, 28, 23, 59, 59)}


# --- permissions and progress -----------------------------------------------------------------------


def test_only_admin_and_manager_may_import_tickets(sqlite_db, desk):
    assert set(roles_with("tickets.import")) == {Role.ADMIN, Role.MANAGER}
    data = ticket_register([repair()])
    ok = preview(data)
    for role in roles_without("tickets.import"):
        with pytest.raises(PermissionDenied) as exc:
            preview(data, actor_for(role))
        assert "导入历史工单" in exc.value.message
        with pytest.raises(PermissionDenied):
            ticket_import.commit_ticket_import(actor=actor_for(role), preview=ok)
    assert count_rows(Ticket) == 0
    assert ticket_import.import_tickets(actor=actor_for(Role.ADMIN), source=data).new == 1


def test_progress_is_reported_from_zero_to_one_with_chinese_messages(sqlite_db, desk, tmp_path):
    path = tmp_path / "登记表.xlsx"
    ticket_register([repair(), repair(房屋="1-1-102")], path=path)
    seen: list[tuple[float, str]] = []
    counts = ticket_import.import_tickets(actor=MANAGER, source=path, progress=lambda f, m: seen.append((f, m)))
    assert counts.new == 2
    fractions = [f for f, _m in seen]
    assert fractions[0] == 0.0 and fractions[-1] == 1.0 and fractions == sorted(fractions)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in m) for _f, m in seen)


def test_events_times_are_ordered_and_every_imported_ticket_has_exactly_its_steps(sqlite_db, desk):
    commit(ticket_register([repair()]))
    [t] = by_number().values()
    steps = events(t.id)
    assert [s[3] for s in steps] == sorted(s[3] for s in steps)
    assert steps[0][3] == t.received_at and steps[-1][3] == t.closed_at
    assert t.deadline_at - t.received_at == timedelta(hours=24)
    with read_session() as s:
        assert s.scalar(select(AuditEntry.entity_id).where(AuditEntry.action == "import")) == "-"


def test_two_imports_of_one_file_at_once_create_its_tickets_once(db, desk, monkeypatch):
    """The second import waits on the locked import counter, then finds the first one's tickets and skips them."""
    if db.startswith("sqlite"):
        pytest.skip("SQLite serialises writers; no interleaving")
    data = ticket_register([repair(), repair(房屋="1-1-102", 受理时间="2025-03-01 08:00")])
    previews = [preview(data), preview(data)]
    results, second_was_waiting = second_waits_on_lock(
        monkeypatch, ticket_import, "_lock_imports",
        [lambda: ticket_import.commit_ticket_import(actor=MANAGER, preview=previews[0]),
         lambda: ticket_import.commit_ticket_import(actor=MANAGER, preview=previews[1])])
    assert second_was_waiting, results
    assert [(r.new, r.existing) for r in results] == [(2, 0), (0, 2)], results
    assert count_rows(Ticket) == 2
