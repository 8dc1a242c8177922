"""Demo 业主访谈, 社区活动 and 宣传栏: this year's visit plan of both estates with the visits made so far, a year of
community activities and monthly boards, ending today.

What it looks like: the plan spread over the twelve months (as if made on 1 January) between the 客服/物业管理员
accounts; visits up to today with about 30% face to face; one person keeps up (about 93% a month), the other is
behind (about 80%), a few visits are late and this month's are under way; the last days' visits went through the
real service, some with a follow-up ticket, and one was withdrawn. Seven activities held this year (one planned
summer evening cancelled for a typhoon), the next one planned; a board every month, two of them late.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update

from db.engine import read_session, unit_of_work
from db.models import Bulletin, CommunityActivity, Estate, OwnerVisit, Person, UnitPerson, User, VisitPlan
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR, actor_of
from services.platform.clock import SHANGHAI, local_today
from services.platform.errors import Conflict
from services.relations import activities, visits

# the person behind, and by how much: (share of a month's visits made in that month, share made a month late)
PACE = {"service": (0.93, 0.04), "service2": (0.78, 0.10)}
DEFAULT_PACE = (0.88, 0.06)
WAY_WEIGHTS = {"once": (("上门", 20), ("来访", 12), ("电话", 52), ("微信", 16)),
               "twice": (("上门", 12), ("来访", 8), ("电话", 60), ("微信", 20))}  # empty homes: mostly calls
CONTENT = (
    "了解家庭成员及居住情况，更新紧急联系人，业主无其他诉求。",
    "业主对近期小区环境卫生表示满意，建议增加垃圾分类指引牌。",
    "征询业主对秩序维护服务的意见，业主表示夜间巡逻到位。",
    "业主询问物业费缴纳方式，已介绍微信和银行代扣渠道。",
    "业主反映楼上装修噪音较大，已提醒装修户遵守作业时间。",
    "业主建议中心花园增设儿童游乐设施，已记录并反馈主管。",
    "业主反映电梯高峰期等候时间较长，已记录并反馈工程部。",
    "宣传垃圾分类及消防安全知识，发放宣传资料。",
    "业主咨询临时停车收费标准，已说明并告知车位租赁办理方式。",
    "业主对绿化养护提出建议，希望修剪楼前灌木，已转绿化部。",
    "回访上次报修处理结果，业主表示已修好，满意。",
    "告知本月停水检修安排，提醒业主提前储水。",
)
EMPTY_HOME = (
    "告知业主空置房巡查情况，屋内无渗漏，提醒定期开窗通风。",
    "业主计划明年入住，咨询入伙手续及装修申报流程。",
    "提醒业主空置期间关闭总水阀和燃气阀，业主表示已关闭。",
    "业主委托代为查看房屋，已约定下次巡查后电话告知。",
    "业主咨询空置房物业费政策，已解释收费标准。",
)
WALK_IN = (
    "业主来访咨询装修申报流程，已发放装修须知。",
    "业主来电询问本月停水检修时间，已告知。",
    "业主来访反映邻居空调外机滴水，已登记并约时协调。",
    "业主来访办理门禁卡补办，顺便了解近期服务意见。",
    "业主来电表扬秩序维护员帮忙搬运重物。",
)
# the last days' visits, through the service: (content, follow-up ticket type, department, ticket content)
RECENT = (
    ("业主反映卫生间天花有水渍，怀疑楼上渗漏。", "报修", "工程", "卫生间天花渗水，请工程部上门查看楼上防水"),
    ("业主反映楼道感应灯不亮已有两天。", "报修", "工程", "本单元楼道感应灯不亮，请安排更换"),
    ("业主建议地下车库增加充电桩。", "建议", "客服", "业主建议地下车库增设新能源汽车充电桩"),
    ("了解家庭成员及居住情况，业主无其他诉求。", None, "", ""),
    ("业主对秩序维护员夜间巡逻表示满意。", None, "", ""),
    ("业主反映门口绿化带有积水蚊虫多。", "报修", "绿化", "单元门口绿化带积水，请疏通并消杀"),
)


def _month(d: date) -> str:
    return d.strftime("%Y-%m")


def _month_start(month: str) -> date:
    return date(int(month[:4]), int(month[5:]), 1)


def _month_end(month: str) -> date:
    first = _month_start(month)
    return (first.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(days=1)


def _pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([w for w, _ in weighted], [n for _, n in weighted])[0]


def build(rng: random.Random, *, live: bool = True) -> None:
    """A year of 业主访谈, 社区活动 and 宣传栏 on the demo estate; `live`: the last days' visits too, recorded now through
    the service (with their follow-up tickets)."""
    today = local_today()
    _visits(rng, today, live=live)
    _activities(rng, today)
    _bulletins(rng, today)


# --- visits -------------------------------------------------------------------------------------------------


def _visits(rng: random.Random, today: date, *, live: bool) -> None:
    year = today.year
    months = [f"{year:04d}-{m:02d}" for m in range(1, 13)]
    planned_at = datetime.combine(date(year, 1, 4), time(9, 30), SHANGHAI)
    with unit_of_work() as uow:
        s = uow.session
        people = visits.assignees_in(s)
        usernames = dict(s.execute(select(User.id, User.username).where(User.id.in_(people))).all())
        manager = s.scalar(select(User.display_name).where(User.username == "manager")) or "客服主管"
        homes, _left_out, _already = visits.households_to_plan(s, year, None)
        rows = visits.spread(homes, months, list(people))
        if not rows:
            return
        s.execute(insert(VisitPlan), [
            {"year": year, "estate_id": r.estate_id, "building_id": r.building_id, "unit_id": r.unit_id,
             "sequence": r.sequence, "planned_month": r.month, "basis": r.basis, "assignee_id": r.assignee_id,
             "planned_at": planned_at, "planned_by": manager, "version": 1} for r in rows])
        owners = dict(s.execute(
            select(UnitPerson.unit_id, Person.name).join(Person, Person.id == UnitPerson.person_id)
            .where(and_(UnitPerson.role == "业主", UnitPerson.end_on.is_(None)))).all())
        plan = s.execute(select(VisitPlan.id, VisitPlan.unit_id, VisitPlan.estate_id, VisitPlan.planned_month,
                                VisitPlan.basis, VisitPlan.assignee_id)
                         .where(VisitPlan.year == year).order_by(VisitPlan.id)).all()
        this_month = _month(today)
        recent_from = today - timedelta(days=3)  # left to the service (below)
        made: list[tuple[int | None, dict[str, Any]]] = []  # (plan id, visit row)
        for pid, uid, eid, month, basis, who in plan:
            if month > this_month:
                continue
            on_time, late = PACE.get(usernames.get(who, ""), DEFAULT_PACE)
            draw = rng.random()
            start = _month_start(month)
            if month == this_month:
                # this month's visits are under way: about as many done as days gone
                if draw > on_time * (today.day - 1) / _month_end(month).day:
                    continue
                day = start + timedelta(days=rng.randrange(max(1, today.day - 3)))
            elif draw < on_time:
                day = start + timedelta(days=rng.randrange(_month_end(month).day))
            elif draw < on_time + late:  # made the next month
                nxt = _month_end(month) + timedelta(days=1)
                day = nxt + timedelta(days=rng.randrange(20))
            else:
                continue
            if day >= recent_from or day > today:
                continue
            twice = basis not in visits.OCCUPIED  # an empty home: its owner is mostly called
            way = _pick(rng, WAY_WEIGHTS["twice" if twice else "once"])
            owner = owners.get(uid)
            person = f"{owner}（业主）" if owner and rng.random() < 0.8 else rng.choice(("业主家属", "租户", "业主本人"))
            text = rng.choice(EMPTY_HOME if twice else CONTENT)
            made.append((pid, {
                "estate_id": eid, "unit_id": uid, "visited_on": day, "month": _month(day), "way": way,
                "face_to_face": way in visits.FACE_TO_FACE, "person_met": person[:32], "content": text,
                "ticket_id": None, "visitor_id": who, "visitor_name": people[who],
                "recorded_by": people[who],
                "recorded_at": datetime.combine(day, time(rng.randrange(9, 18), rng.randrange(60)), SHANGHAI),
                "withdrawn": False, "withdrawn_reason": "", "version": 1}))
        # owners who came by or called again after their visit: recorded, not in the plan
        for base in rng.sample([row for _pid, row in made], len(made) // 30):
            day = base["visited_on"] + timedelta(days=rng.randrange(5, 40))
            if day >= recent_from:
                continue
            way = rng.choice(("来访", "来访", "电话"))
            made.append((None, base | {
                "visited_on": day, "month": _month(day), "way": way, "face_to_face": way in visits.FACE_TO_FACE,
                "content": rng.choice(WALK_IN),
                "recorded_at": datetime.combine(day, time(rng.randrange(9, 18), rng.randrange(60)), SHANGHAI)}))
        made.sort(key=lambda pv: (pv[1]["visited_on"], pv[0] or 0))
        for n in range(0, len(made), 1000):
            s.execute(insert(OwnerVisit), [row for _pid, row in made[n:n + 1000]])
        # read the new ids back by (unit, day, moment) - no explicit ids, so every backend's sequence stays right
        waiting: dict[tuple[int, date, datetime], list[int]] = {}
        for plan_id, row in made:
            if plan_id is not None:
                key = (row["unit_id"], row["visited_on"], row["recorded_at"].astimezone(UTC))
                waiting.setdefault(key, []).append(plan_id)
        links = []
        for vid, uid, day, at in s.execute(select(OwnerVisit.id, OwnerVisit.unit_id, OwnerVisit.visited_on,
                                                  OwnerVisit.recorded_at).order_by(OwnerVisit.id)):
            pids = waiting.get((uid, day, at))
            if pids:
                links.append({"pid": pids.pop(0), "vid": vid})
        table = cast(Table, VisitPlan.__table__)
        s.execute(update(table).where(table.c.id == bindparam("pid")).values(visit_id=bindparam("vid")), links)
        audit.record(s, SYSTEM_ACTOR, "demo", "owner_visits", "-", None, {"plan": len(rows), "visits": len(made)})
        uow.commit()
    if live:
        _recent_visits(rng, today, usernames)


def _recent_visits(rng: random.Random, today: date, usernames: dict[int, str]) -> None:
    """The last three days' visits through the real service: linked, audited, some with a follow-up ticket."""
    with read_session() as s:
        accounts = {u.username: actor_of(u) for u in s.scalars(select(User).where(User.username.in_(
            [*usernames.values(), "manager"])))}
        open_rows = s.execute(select(VisitPlan.unit_id, VisitPlan.assignee_id).where(
            VisitPlan.year == today.year, VisitPlan.visit_id.is_(None), VisitPlan.planned_month == _month(today))
            .order_by(VisitPlan.id)).all()
    if not open_rows:
        return
    picks = rng.sample(open_rows, min(len(RECENT) + 4, len(open_rows)))
    first_recorded = None
    for n, (unit_id, who) in enumerate(picks):
        actor = accounts.get(usernames.get(who, ""))
        if actor is None:
            continue
        content, kind, department, ticket = RECENT[n] if n < len(RECENT) else (rng.choice(CONTENT), None, "", "")
        day = today - timedelta(days=min(n // 3, 2))
        follow = visits.FollowUp(kind, ticket, department=department) if kind else None
        way = "上门" if follow is not None and kind == "报修" else _pick(rng, WAY_WEIGHTS["once"])
        visit = visits.NewVisit(unit_id, day, way, "业主本人", content)
        try:
            done = visits.record_visit(actor=actor, visit=visit, follow_up=follow)
        except Conflict:  # a database without the tickets' time limits (no `propdesk init`): no follow-up then
            done = visits.record_visit(actor=actor, visit=visit)
        first_recorded = first_recorded or (done.visit_id, actor)
    manager = accounts.get("manager")
    if first_recorded is not None and manager is not None:
        extra = visits.record_visit(actor=first_recorded[1], visit=visits.NewVisit(
            picks[0][0], today, "电话", "业主本人", "重复登记：同一次访谈录入了两次"))
        visits.withdraw_visit(actor=manager, visit_id=extra.visit_id, version=1, reason="重复登记，撤销")


# --- activities and boards ------------------------------------------------------------------------------------


# (month, day, title, place, organiser, participants, cost, note)
ACTIVITIES = (
    (1, 18, "迎新春写春联送福字", "会所多功能厅", "林晓燕", (120, 180), (1500, 2500),
     "邀请书法志愿者现场书写春联，发放福字三百余张"),
    (3, 5, "学雷锋便民服务日", "中心广场", "郑海涛", (40, 70), (300, 600), "义务理发、家电维修、免费量血压"),
    (4, 22, "垃圾分类宣传进社区", "各楼栋大堂", "郑海涛", (80, 150), (800, 1500),
     "讲解分类知识，有奖问答，发放分类垃圾袋"),
    (5, 31, "六一儿童绘画比赛", "会所儿童活动室", "林晓燕", (40, 70), (1000, 2000),
     "以“我爱我家”为题，评出一二三等奖并在宣传栏展出"),
    (7, 18, "消夏纳凉晚会", "中心广场", "陈静怡", (250, 400), (4000, 6500), "业主才艺表演、露天电影，发放绿豆汤"),
    (9, 25, "中秋游园会", "中心花园", "陈静怡", (300, 500), (5000, 8000), "猜灯谜、DIY月饼、亲子游戏"),
    (10, 18, "重阳敬老茶话会", "会所多功能厅", "林晓燕", (50, 80), (1200, 2000), "为七十岁以上长者送上慰问品，组织义诊"),
    (11, 9, "119消防安全演练", "3栋楼下消防通道", "郑海涛", (80, 150), (600, 1200),
     "联合辖区消防站演示灭火器使用和疏散逃生"),
    (12, 30, "元旦迎新游园", "中心广场", "陈静怡", (200, 350), (3000, 5000), "套圈、投壶、写新年愿望卡"),
)
CANCELLED_TITLE = "消夏纳凉晚会"
BOARDS = {
    1: ("新春安全温馨提示", "春节期间防火防盗、烟花爆竹燃放须知"),
    2: ("平安过节·邻里守望", "节后返程提示、出租屋登记"),
    3: ("学雷锋·文明社区", "文明养犬、高空抛物危害"),
    4: ("垃圾分类知识", "四分类图解及投放时间"),
    5: ("防汛防台风须知", "汛期注意事项及应急电话"),
    6: ("夏季用电安全", "空调用电、电动车充电安全"),
    7: ("防暑降温小常识", "中暑急救、老人儿童防暑"),
    8: ("文明养犬倡议", "牵绳出行、及时清理"),
    9: ("中秋国庆活动预告", "游园会报名及假期服务安排"),
    10: ("重阳敬老·关爱长者", "长者服务热线及独居老人关怀"),
    11: ("冬季消防安全", "119消防日宣传、消防通道禁止占用"),
    12: ("年终服务报告与缴费提示", "全年服务工作汇报、物业费缴纳渠道"),
}


def _activities(rng: random.Random, today: date) -> None:
    with read_session() as s:
        estates = list(s.scalars(select(Estate.id).where(Estate.active.is_(True)).order_by(Estate.code)))
    scopes = [*estates, None]
    since = today - timedelta(days=365)
    rows = []
    for year in (today.year - 1, today.year):
        for n, (month, day, title, place, organiser, people, cost, note) in enumerate(ACTIVITIES):
            held_on = date(year, month, day)
            if held_on <= since or held_on.year > today.year:
                continue
            status = activities.HELD if held_on <= today else activities.PLANNED
            if status == activities.PLANNED and held_on > today + timedelta(days=60):
                continue
            spent = Decimal(rng.randrange(cost[0], cost[1], 10)).quantize(Decimal("0.01"))
            reason = ""
            if title == CANCELLED_TITLE and year == today.year and status == activities.HELD:
                status, reason = activities.CANCELLED, "台风预警，按防汛要求取消户外聚集活动"
                spent = Decimal("0.00")  # called off the day before: nothing bought yet
            rows.append({
                "estate_id": scopes[n % len(scopes)], "title": title, "held_on": held_on, "place": place,
                "organiser": organiser,
                "participants": rng.randrange(*people) if status == activities.HELD else None,
                "cost": spent, "status": status, "note": note, "cancel_reason": reason, "recorded_by": organiser,
                "recorded_at": datetime.combine(held_on if status != activities.PLANNED else today, time(17, 20),
                                                SHANGHAI),
                "version": 1})
    with unit_of_work() as uow:
        if rows:
            uow.session.execute(insert(CommunityActivity), rows)
        audit.record(uow.session, SYSTEM_ACTOR, "demo", "community_activities", "-", None, {"rows": len(rows)})
        uow.commit()


def _bulletins(rng: random.Random, today: date) -> None:
    with read_session() as s:
        estates = list(s.scalars(select(Estate.id).where(Estate.active.is_(True)).order_by(Estate.code)))
    months = []
    first = date(today.year - 1, today.month, 1)
    for k in range(13):
        y, m = divmod(first.year * 12 + first.month - 1 + k, 12)
        months.append(f"{y:04d}-{m + 1:02d}")
    past = [m for m in months if m < _month(today)]
    late = set(rng.sample([(e, m) for e in estates for m in past[-10:]], min(2, len(past) * len(estates))))
    rows = []
    for estate_id in estates:
        for month in months:
            due = activities.due_day(month)
            if month == _month(today):
                if today.day < 20:  # this month's board is still being prepared
                    continue
                posted = min(today, due - timedelta(days=rng.randrange(0, 6)))
            elif (estate_id, month) in late:
                posted = due + timedelta(days=rng.randrange(2, 7))
            else:
                posted = due - timedelta(days=rng.randrange(1, 12))
            title, content = BOARDS[int(month[5:])]
            rows.append({"estate_id": estate_id, "month": month, "title": title, "content": content,
                         "due_on": due, "posted_on": posted, "posted_by": rng.choice(("林晓燕", "郑海涛")),
                         "recorded_at": datetime.combine(posted, time(16, 0), SHANGHAI), "version": 1})
    with unit_of_work() as uow:
        uow.session.execute(insert(Bulletin), rows)
        audit.record(uow.session, SYSTEM_ACTOR, "demo", "bulletins", "-", None, {"rows": len(rows)})
        uow.commit()
