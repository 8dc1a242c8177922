"""The demo's people and their year: staff records, a few more accounts, a year of attendance and incidents,
and twelve months of approved scorecards built by the real appraisal services.

Runs after the tickets and fees of the demo (services/demo/builder.py). It uses a random generator of its own so the
rest of the demo stays as it was. Who collects for which building changes over the year (a collector left in
July, a new one started in August), so the months are built in order with the assignment of their time.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import insert, select, update

from db.engine import read_session, unit_of_work
from db.models import (
    Attendance,
    Building,
    Department,
    Estate,
    Incident,
    IncidentType,
    Scorecard,
    Staff,
    Ticket,
    TicketEvent,
    Unit,
    User,
)
from services.appraisal import posts
from services.appraisal import rules as appraisal_rules
from services.appraisal import scorecards as appraisal
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR, Role, actor_of
from services.platform.clock import SHANGHAI, local_today
from services.platform.period import Period
from services.platform.users import add_user
from services.tickets.workdays import WorkCalendar

MONTHS = 12

# staff_no of the demo users (services/demo/builder.DEMO_USERS, in order) -> (hired on, base salary, appraised)
DEMO_STAFF = {
    "S001": (date(2019, 3, 1), "6000.00", False),  # 系统管理员: not appraised by the service centre
    "S002": (date(2018, 7, 1), "6500.00", True),
    "S003": (date(2021, 4, 12), "4000.00", True),
    "S004": (date(2020, 9, 1), "3800.00", True),
    "S005": (date(2019, 5, 20), "4500.00", True),
    "S006": (date(2022, 2, 14), "3600.00", True),
}


@dataclass(frozen=True)
class ExtraStaff:
    staff_no: str
    name: str
    department: str  # code
    post: str
    hired_on: date
    base_salary: str
    username: str = ""  # '' = no account
    role: Role | None = None
    left_on: date | None = None


def _extra_staff(today: date) -> tuple[ExtraStaff, ...]:
    left = date(today.year, today.month, 1) - timedelta(days=1)
    for _ in range(3):  # the last day of the month four months ago
        left = left.replace(day=1) - timedelta(days=1)
    return (
        ExtraStaff("S007", "郑海涛", "KF", "物业管理员", date(2020, 11, 2), "4200.00", "service2", Role.SERVICE),
        ExtraStaff("S008", "马志强", "KF", "收费员", date(2021, 6, 7), "3800.00", "cashier2", Role.CASHIER),
        ExtraStaff("S009", "刘洋", "GC", "维修工", date(2022, 8, 15), "4300.00", "engineer2", Role.ENGINEER),
        ExtraStaff("S010", "何建军", "GC", "工程主管", date(2017, 4, 1), "6800.00", "gcmanager", Role.MANAGER),
        ExtraStaff("S011", "罗斌", "KF", "收费员", date(2019, 10, 8), "3700.00", left_on=left),
        ExtraStaff("S012", "高雅", "KF", "收费员", left + timedelta(days=1), "3600.00"),
    )


def _months(today: date) -> list[str]:
    first = date(today.year, today.month, 1)
    out = []
    for n in range(MONTHS, 0, -1):
        y, m = divmod(first.year * 12 + first.month - 1 - n, 12)
        out.append(f"{y:04d}-{m + 1:02d}")
    return out


def build_appraisal_demo(*, demo_password: str | None) -> dict[str, str]:
    """Staff, accounts, attendance, incidents and approved scorecards; returns {username: password} it created."""
    rng = random.Random(62026)
    today = local_today()
    extra = _extra_staff(today)
    passwords = _staff_and_accounts(extra, demo_password)
    with read_session() as s:
        ids = dict(s.execute(select(Staff.staff_no, Staff.id)).all())
        users = dict(s.execute(select(User.username, User.id)).all())
    _spread_tickets(rng, users)
    months = _months(today)
    _attendance(rng, today, months[0])
    _incidents(rng, today, months[0], ids)
    _scorecards(rng, months, ids, extra)
    return passwords


def _staff_and_accounts(extra: tuple[ExtraStaff, ...], demo_password: str | None) -> dict[str, str]:
    with unit_of_work() as uow:
        s = uow.session
        for staff_no, (hired, salary, appraised) in DEMO_STAFF.items():
            s.execute(update(Staff).where(Staff.staff_no == staff_no).values(
                hired_on=hired, base_salary=Decimal(salary), appraised=appraised))
        departments = dict(s.execute(select(Department.code, Department.id)).all())
        post_ids = posts.post_ids(s)
        for e in extra:
            s.add(Staff(staff_no=e.staff_no, name=e.name, department_id=departments[e.department],
                        post_id=post_ids[e.post],
                        hired_on=e.hired_on, left_on=e.left_on, base_salary=Decimal(e.base_salary),
                        active=e.left_on is None))
        s.flush()
        appraisal_rules.seed_incident_types(s)
        appraisal_rules.seed_post_kpis(s)
        appraisal_rules.seed_rules(s)
        audit.record(s, SYSTEM_ACTOR, "demo", "staff", "-", None, {"staff": len(DEMO_STAFF) + len(extra)})
        uow.commit()
    with read_session() as s:
        ids = dict(s.execute(select(Staff.staff_no, Staff.id)).all())
    passwords = {}
    for e in extra:
        if e.username:
            role = cast(Role, e.role)  # every ExtraStaff with an account has a role (_extra_staff)
            _, pw = add_user(actor=SYSTEM_ACTOR, username=e.username, display_name=e.name, role=role,
                             password=demo_password, staff_id=ids[e.staff_no], must_change_password=False)
            passwords[e.username] = pw
    return passwords


def _spread_tickets(rng: random.Random, users: dict[str, int]) -> None:
    """Hand part of the demo's tickets to the second engineer and the property manager (assignee, first
    responder and the steps they made), so their scorecards have tickets behind them."""
    with unit_of_work() as uow:
        s = uow.session
        names = dict(s.execute(select(User.id, User.display_name)).all())
        moves = (("engineer", "engineer2", Ticket.assignee_id, ("accept", "complete", "revisit_due"), 0.4),
                 ("service", "service2", Ticket.first_responder_id, ("create", "dispatch", "close"), 0.35))
        for old, new, column, kinds, share in moves:
            ids = sorted(s.scalars(select(Ticket.id).where(column == users[old])))
            chosen = [i for i in ids if rng.random() < share]
            for chunk in range(0, len(chosen), 500):
                part = chosen[chunk:chunk + 500]
                values = {column.key: users[new]}
                if column.key == "first_responder_id":
                    values["entered_by"] = users[new]
                s.execute(update(Ticket).where(Ticket.id.in_(part)).values(**values))
                s.execute(update(TicketEvent).where(TicketEvent.ticket_id.in_(part), TicketEvent.kind.in_(kinds),
                                                    TicketEvent.actor_user_id == users[old])
                          .values(actor_user_id=users[new], actor_name=names[users[new]]))
        uow.commit()


def _attendance(rng: random.Random, today: date, first_month: str) -> None:
    """Every working day from the first appraised month to yesterday: mostly on time, a few late arrivals
    (one person now and then three or more in a month), the odd early leave, leave days and one 旷工."""
    start = Period.parse(first_month).start.date()
    end = today - timedelta(days=1)
    calendar = WorkCalendar.load(start, end)
    with read_session() as s:
        people = s.execute(select(Staff.id, Staff.staff_no, Staff.hired_on, Staff.left_on)).all()
    habitual = {"S003", "S009"}  # late more often than the others
    rows = []
    day = start
    while day <= end:
        if calendar.is_workday(day):
            for staff_id, staff_no, hired, left in people:
                if (hired and day < hired) or (left and day > left):
                    continue
                row = {"staff_id": staff_id, "day": day, "late_minutes": 0, "early_minutes": 0, "absent": False,
                       "leave_type": "", "note": "", "version": 1}
                roll = rng.random()
                late_odds = 0.09 if staff_no in habitual else 0.035
                if roll < 0.012:
                    row.update(absent=True, leave_type=rng.choice(("病假", "事假", "年假", "年假", "调休")))
                elif roll < 0.0135 and staff_no == "S009":
                    row.update(absent=True, note="未请假")
                elif roll < 0.0135 + late_odds:
                    row["late_minutes"] = rng.choice((3, 5, 8, 10, 12, 15, 20, 35))
                elif roll > 0.992:
                    row["early_minutes"] = rng.choice((15, 30, 45))
                rows.append(row)
        day += timedelta(days=1)
    with unit_of_work() as uow:
        for chunk in range(0, len(rows), 2000):
            uow.session.execute(insert(Attendance), rows[chunk:chunk + 2000])
        uow.commit()


INCIDENT_PLAN = (
    # staff_no, type, how many in the year, note
    ("S003", "仪容不整", 7, "未按规定佩戴工牌"),
    ("S007", "报修未记录", 5, "业主电话报修未登记"),
    ("S009", "工作未及时汇报", 5, "维修进度未及时向主管汇报"),
    ("S008", "日常记录不全", 4, "催缴记录未当日登记"),
    ("S005", "重大突发事件处理表现优异", 2, "暴雨夜地库排水泵故障，及时处置"),
    ("S004", "收缴突出", 3, "催回多年欠费"),
    ("S003", "业主表扬", 3, "业主送锦旗表扬服务热情"),
    ("S009", "消极怠工致不良后果", 1, "漏水报修拖延两天，楼下天花受损"),
)


def _incidents(rng: random.Random, today: date, first_month: str, ids: dict[str, int]) -> None:
    start = Period.parse(first_month).start.date()
    span = (today - timedelta(days=1) - start).days
    with read_session() as s:
        types = dict(s.execute(select(IncidentType.name, IncidentType.id)).all())
        recorder = s.execute(select(User.id, User.display_name).where(User.username == "manager")).first()
    assert recorder is not None  # builder.DEMO_USERS made the manager's account
    rows = []
    for staff_no, kind, count, note in INCIDENT_PLAN:
        days = sorted(start + timedelta(days=rng.randrange(span)) for _ in range(count))
        if kind == "仪容不整":  # three in one month: the rule's threshold (more than twice) is crossed once
            month = days[len(days) // 2].replace(day=3)
            days = days[:4] + [month, month + timedelta(days=6), month + timedelta(days=15)]
        for day in days:
            at = datetime.combine(day, datetime.min.time().replace(hour=17), SHANGHAI)
            rows.append({"staff_id": ids[staff_no], "incident_type_id": types[kind], "day": day, "note": note,
                         "recorded_by": recorder[0], "recorder_name": recorder[1], "recorded_at": at,
                         "withdrawn": False, "withdrawn_reason": "", "version": 1})
    with unit_of_work() as uow:
        uow.session.execute(insert(Incident), rows)
        uow.commit()


def _collectors(month: str, ids: dict[str, int], extra: tuple[ExtraStaff, ...]) -> None:
    """Who collects for which building in `month`: 翠湖花园 1、2栋 and the shops 黄丽娟, 3、5栋 马志强, 6栋 罗斌
    until he left and 高雅 after; 锦绣华庭 吴佳琪 (as the fees demo set it)."""
    leaver = next(e for e in extra if e.left_on is not None)
    assert leaver.left_on is not None  # chosen for it
    last_day = Period.parse(month).last_instant.date()
    sixth = ids["S011"] if last_day <= leaver.left_on else ids["S012"]
    plan = {"1": ids["S004"], "2": ids["S004"], "S": ids["S004"], "3": ids["S008"], "5": ids["S008"], "6": sixth}
    with unit_of_work() as uow:
        s = uow.session
        estate = s.scalar(select(Estate.id).order_by(Estate.id).limit(1))
        for code, staff_id in plan.items():
            building = s.scalar(select(Building.id).where(Building.estate_id == estate, Building.code == code))
            if building is not None:
                s.execute(update(Unit).where(Unit.building_id == building).values(collector_staff_id=staff_id))
        uow.commit()


def _scorecards(rng: random.Random, months: list[str], ids: dict[str, int], extra: tuple[ExtraStaff, ...]) -> None:
    """Each month in order: build, comment, submit, approve (the 客服主管 approves her department; the
    administrator approves her own card and the engineering department's)."""
    with read_session() as s:
        accounts = {u.username: actor_of(u) for u in s.scalars(select(User).where(
            User.username.in_(("sysadmin", "manager"))))}
    admin, manager = accounts["sysadmin"], accounts["manager"]
    for month in months:
        _collectors(month, ids, extra)
        period = Period.parse(month)
        appraisal.build_drafts(actor=admin, period=month, now=period.last_instant + timedelta(days=3))
        with read_session() as s:
            cards = s.execute(select(Scorecard.id, Scorecard.version, Scorecard.staff_id, Scorecard.department)
                              .where(Scorecard.period == month)).all()
        for card_id, version, staff_id, department in cards:
            view = appraisal.scorecard(actor=admin, card_id=card_id)
            appraisal.set_comments(actor=admin, card_id=card_id, version=version, comments=_comment(rng, view))
            if view.weighted_score is None:
                continue
            appraisal.submit(actor=admin, card_id=card_id, version=version + 1)
            approver = manager if department == "客服部" and staff_id != manager.staff_id else admin
            appraisal.approve(actor=approver, card_id=card_id, version=version + 2)
        with unit_of_work() as uow:  # as it happened: built on the 3rd, submitted that afternoon, approved next day
            uow.session.execute(update(Scorecard).where(Scorecard.period == month, Scorecard.status == "已审批")
                                .values(submitted_at=period.last_instant + timedelta(days=3, hours=6),
                                        approved_at=period.last_instant + timedelta(days=4, hours=10)))
            uow.commit()


def _comment(rng: random.Random, card: appraisal.ScorecardView) -> str:
    fired = [r.rule for r in card.rules if r.triggered]
    if card.score is None:
        return "本月无可计分指标"
    level = "表现优秀" if card.score >= 95 else "完成较好" if card.score >= 85 else "有待提高"
    parts = [f"本月{level}"]
    if fired:
        parts.append("奖惩：" + "、".join(fired))
    parts.append(rng.choice(("继续保持。", "下月注意改进薄弱指标。", "服务态度业主认可。", "请加强日常记录。")))
    return "；".join(parts)


__all__ = ["build_appraisal_demo"]
