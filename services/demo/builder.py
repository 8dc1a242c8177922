"""The demo estate: two 小区 with about 800 units, owners, departments, staff and one user per role.

Deterministic (fixed seed), so screenshots and tests see the same estate every time.
`large` builds about 20,000 units and 60,000 people with five years of history (services/demo/large.py) for the
scale benchmark; `units=N` builds the same shape at another size (eight 小区 at most, each of about 2,500 units with
shops and a garage; fewer and smaller 小区 for a smaller N, at least one).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from db import search_keys
from db.engine import read_session, unit_of_work
from db.models import (
    Building,
    Counter,
    Department,
    Estate,
    Key,
    KeyLoan,
    ParkingLease,
    ParkingSpace,
    Person,
    Renovation,
    Revisit,
    Staff,
    Ticket,
    TicketCategory,
    TicketEvent,
    Unit,
    UnitNote,
    UnitPerson,
    User,
    Vehicle,
    VipHousehold,
    VisitPlan,
)
from services.appraisal import posts
from services.demo import large
from services.demo.appraisal import build_appraisal_demo
from services.demo.fees import build_fee_demo
from services.demo.golive import finish_setup
from services.demo.relations import build_relations_demo
from services.estate.statuses import LIVED_IN, LeaseStatus, UnitStatus
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR, Role
from services.platform.clock import SHANGHAI
from services.platform.errors import Conflict
from services.platform.identity import id_check_char
from services.platform.users import add_user, set_estates
from services.tickets.statuses import TicketStatus

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华飞玉兰萍红建国建华文志强晓明海燕俊杰欣怡子涵浩然雨轩梓萱思远嘉怡宇航佳琪一鸣天宇"
MOBILE_PREFIXES = ("130", "131", "132", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                   "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "185", "186",
                   "187", "188", "189", "199")
AREA_CODES = ("440106", "440104", "440305", "110105", "310115", "330106", "320102", "510107")

DEPARTMENTS = [("KF", "客服部"), ("GC", "工程部"), ("BJ", "保洁部"), ("AB", "安保部"), ("LH", "绿化部"),
               ("CW", "财务部")]

DEMO_USERS = [
    # username, name, role, department code, post
    ("sysadmin", "周立新", Role.ADMIN, "KF", "系统管理员"),
    ("manager", "陈静怡", Role.MANAGER, "KF", "客服主管"),
    ("service", "林晓燕", Role.SERVICE, "KF", "客服前台"),
    ("cashier", "黄丽娟", Role.CASHIER, "KF", "收费员"),  # seeds: 收费员 belong to 客服部
    ("engineer", "赵建国", Role.ENGINEER, "GC", "维修工"),
    ("clerk", "吴佳琪", Role.CLERK, "KF", "内勤"),
]

STATUS_WEIGHTS = [(UnitStatus.OCCUPIED, 66), (UnitStatus.VACANT, 10), (UnitStatus.HANDED_OVER, 9),
                  (UnitStatus.RENOVATING, 5), (UnitStatus.RENTED, 8), (UnitStatus.UNSOLD, 2)]
LAYOUTS = {Decimal(68): "两室一厅", Decimal(89): "两室两厅", Decimal(105): "三室两厅", Decimal(128): "三室两厅",
           Decimal(143): "四室两厅"}


def _id_number(rng: random.Random, birth: date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{rng.choice(AREA_CODES)}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def _person(rng: random.Random, mobiles: set[str]) -> dict[str, Any]:
    male = rng.random() < 0.5
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
    while True:
        mobile = rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
        if mobile not in mobiles:
            mobiles.add(mobile)
            break
    birth = date(1950, 1, 1) + timedelta(days=rng.randrange(365 * 50))
    return {
        "name": name, "gender": "男" if male else "女", "mobile": mobile,
        "id_number": _id_number(rng, birth, male), "is_company": False,
        "pinyin_initials": search_keys.pinyin_initials(name), "mobile_last4": search_keys.mobile_last4(mobile),
        "note": "",
    }


LARGE_UNITS = 20_000
MIN_LARGE_UNITS = 100
LARGE_ESTATES = ["翠湖花园", "锦绣华庭", "滨江壹号", "云山府", "紫荆苑", "金域蓝湾", "万科城", "保利香槟"]
UNITS_PER_ESTATE = 2_600
HOMES_PER_FLOOR = 12  # 3 单元 x 4 rooms


def _estate_plan(scale: str, units: int = LARGE_UNITS) -> list[tuple[str, str, str, list[tuple[str, str, int, int, int]]]]:
    """(code, name, address, [(building code, name, units per floor-unit, floors, 单元 count)]); for the shops 'S'
    and the garage 'G' the third figure is how many (0: the small demo's 12 shops and 60 garage spaces)."""
    if scale == "large":
        estates = max(1, min(len(LARGE_ESTATES), math.ceil(units / UNITS_PER_ESTATE)))
        share = units / estates
        shops = max(4, min(20, round(share / 125)))
        garage = max(10, min(60, round(share / 40)))
        homes = max(2 * HOMES_PER_FLOOR, share - shops - garage)
        buildings = max(1, math.ceil(homes / 252))
        floors = max(2, round(homes / buildings / HOMES_PER_FLOOR))
        return [
            (f"E{i + 1:02d}", name, f"示范路 {100 + i} 号",
             [(str(b), f"{b}栋", 4, floors, 3) for b in range(1, buildings + 1)]
             + [("S", "商业街", shops, 0, 0), ("G", "地下车库", garage, 0, 0)])
            for i, name in enumerate(LARGE_ESTATES[:estates])
        ]
    return [
        ("CH", "翠湖花园", "广州市天河区翠湖路 88 号",
         [("1", "1栋", 2, 18, 2), ("2", "2栋", 2, 18, 2), ("3", "3栋", 3, 16, 2), ("5", "5栋", 3, 16, 2),
          ("6", "6栋", 2, 11, 2), ("S", "商业街", 0, 0, 0)]),
        ("JX", "锦绣华庭", "广州市海珠区锦绣街 16 号",
         [("1", "1栋", 3, 18, 2), ("2", "2栋", 3, 18, 2), ("3", "3栋", 4, 18, 2), ("G", "地下车库", 0, 0, 0)]),
    ]


def row_counts() -> dict[str, int]:
    """Rows per table of the database (what `propdesk demo --scale large` reports)."""
    return large.row_counts()


def build_demo(*, scale: str = "small", demo_password: str | None = None, units: int | None = None,
               report: Callable[[str], None] | None = None) -> dict[str, str]:
    """Create the demo estate on an empty database; returns {username: password} of the demo users. `units` (large
    only) sizes the large demo; `report` hears what the large build is doing."""
    if scale not in ("small", "large"):
        raise ValueError(scale)
    if units is not None and (scale != "large" or units < MIN_LARGE_UNITS):
        raise ValueError(f"units={units}: only for scale='large', at least {MIN_LARGE_UNITS}")
    rng = random.Random(2026)
    with read_session() as s:
        if s.scalar(select(Estate.id).limit(1)) is not None:
            raise Conflict("数据库中已有小区数据，不再生成演示数据")
    mobiles: set[str] = set()
    today = date(2026, 11, 1)
    with unit_of_work() as uow:
        s = uow.session
        depts = {}
        for code, name in DEPARTMENTS:
            d = Department(code=code, name=name)
            s.add(d)
            depts[code] = d
        s.flush()
        staff_ids = {}
        posts.seed_posts(s)
        post_ids = posts.post_ids(s)
        for i, (username, name, _role, dept, post) in enumerate(DEMO_USERS, start=1):
            st = Staff(staff_no=f"S{i:03d}", name=name, department_id=depts[dept].id, post_id=post_ids[post])
            s.add(st)
            s.flush()
            staff_ids[username] = st.id
        unit_rows: list[dict[str, Any]] = []
        for e_code, e_name, address, buildings in _estate_plan(scale, units or LARGE_UNITS):
            estate = Estate(code=e_code, name=e_name, address=address)
            s.add(estate)
            s.flush()
            for b_code, b_name, per_floor, floors, unit_count in buildings:
                building = Building(estate_id=estate.id, code=b_code, name=b_name, floors=floors or 1)
                s.add(building)
                s.flush()
                # the large demo's five years of bills start after every building was delivered
                delivered = date((2018 if scale == "small" else 2016) + rng.randrange(5), rng.randrange(1, 13), 1)
                if b_code == "S":
                    for n in range(1, (per_floor or 12) + 1):
                        area = Decimal(rng.randrange(4000, 16000)) / 100
                        unit_rows.append(_unit(estate.id, building, "1", f"S{n:02d}", 1, "商铺", "",
                                               area, rng, delivered))
                elif b_code == "G":
                    for n in range(1, (per_floor or 60) + 1):
                        unit_rows.append(_unit(estate.id, building, "1", f"B{n:03d}", -1, "车库", "",
                                               Decimal("13.20"), rng, delivered))
                else:
                    sizes = rng.sample(sorted(LAYOUTS), k=min(per_floor, len(LAYOUTS)))
                    for u in range(1, unit_count + 1):
                        for floor in range(1, floors + 1):
                            for r in range(1, per_floor + 1):
                                base = sizes[r - 1]
                                area = base + Decimal(rng.randrange(0, 100)) / 100
                                unit_rows.append(_unit(estate.id, building, str(u), f"{floor}{r:02d}",
                                                       floor, "住宅", LAYOUTS[base], area, rng, delivered))
        s.execute(insert(Unit), unit_rows)
        unit_ids = list(s.scalars(select(Unit.id).order_by(Unit.id)))
        statuses = dict(s.execute(select(Unit.id, Unit.status)).all())
        people_rows = []
        links = []
        target_people = 3 * len(unit_ids) if scale == "large" else int(len(unit_ids) * 1.6)
        for uid in unit_ids:
            if statuses[uid] == UnitStatus.UNSOLD:
                continue
            people_rows.append(_person(rng, mobiles))
            links.append((uid, len(people_rows), "业主"))
        lived_in = [uid for uid in unit_ids if statuses[uid] in LIVED_IN]
        while len(people_rows) < target_people:
            uid = rng.choice(lived_in)
            people_rows.append(_person(rng, mobiles))
            role = "租客" if statuses[uid] == UnitStatus.RENTED else rng.choice(("家属", "家属", "共有人"))
            links.append((uid, len(people_rows), role))
        s.execute(insert(Person), people_rows)
        person_ids = list(s.scalars(select(Person.id).order_by(Person.id)))
        s.execute(insert(UnitPerson), [
            {"unit_id": uid, "person_id": person_ids[n - 1], "role": role,
             "start_on": today - timedelta(days=rng.randrange(30, 2000)), "end_on": None}
            for uid, n, role in links
        ])
        owners = {uid: person_ids[n - 1] for uid, n, role in links if role == "业主"}
        _owners_extras(s, rng, statuses, owners)
        audit.record(s, SYSTEM_ACTOR, "demo", "database", "-", None,
                     {"scale": scale, "units": len(unit_rows), "people": len(people_rows)})
        uow.commit()
    passwords = {}
    for username, name, role, _dept, _post in DEMO_USERS:
        with read_session() as s:
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                continue
        _, pw = add_user(actor=SYSTEM_ACTOR, username=username, display_name=name, role=role,
                         password=demo_password, staff_id=staff_ids[username], must_change_password=False)
        passwords[username] = pw
    if scale == "large":
        passwords.update(large.build_history(demo_password=demo_password, templates=TICKET_TEMPLATES,
                                             categories_of=TICKET_CATEGORY_OF, type_weights=TICKET_WEIGHTS,
                                             channel_weights=CHANNEL_WEIGHTS, report=report))
        if report:
            report("客户关系登记")
        build_relations_demo(rng, live=False)
        _one_estate_user()
        finish_setup()
        return passwords
    _demo_tickets(rng)
    build_fee_demo(rng, months=24)
    passwords.update(build_appraisal_demo(demo_password=demo_password))
    build_relations_demo(rng)
    _one_estate_user()
    finish_setup()
    return passwords


ONE_ESTATE_USER = "service2"  # 郑海涛, 物业管理员: works in one estate, so the demo shows estate scope


def _one_estate_user() -> None:
    """Give ONE_ESTATE_USER the estate where most of his owner visits are planned (the first estate without any),
    once the demo's history is made: he made part of it in every estate before. The other demo users keep all."""
    with read_session() as s:
        user_id = s.scalar(select(User.id).where(User.username == ONE_ESTATE_USER))
        if user_id is None:
            return
        estate_id = s.scalar(select(VisitPlan.estate_id).where(VisitPlan.assignee_id == user_id)
                             .group_by(VisitPlan.estate_id).order_by(func.count().desc(), VisitPlan.estate_id)
                             .limit(1)) or s.scalar(select(Estate.id).order_by(Estate.code).limit(1))
        version = s.scalar(select(User.version).where(User.id == user_id))
    if estate_id is not None and version is not None:
        set_estates(actor=SYSTEM_ACTOR, username=ONE_ESTATE_USER, version=version, estate_ids=[estate_id])


TICKET_TEMPLATES = {
    "报修": ["厨房水龙头漏水", "卫生间下水道堵塞", "客厅灯不亮，开关无反应", "入户门锁芯卡住打不开", "阳台推拉门滑轨脱落",
           "空调冷凝水管滴水到楼下", "热水器打不着火", "墙面渗水发霉", "窗户玻璃胶开裂漏风", "电梯按钮失灵"],
    "投诉": ["楼上装修噪音超时施工", "楼道堆放杂物无人清理", "地库车位被外来车辆占用", "保安态度不好",
           "垃圾桶满溢未及时清运", "维修师傅上门迟到两小时", "小区内宠物未拴绳"],
    "咨询": ["物业费缴费方式", "装修申请需要哪些材料", "停车月卡如何办理", "快递柜位置", "停水通知时间"],
    "建议": ["建议增加儿童游乐设施", "建议地库增加照明", "建议延长游泳池开放时间"],
    "求助": ["老人摔倒需要协助", "钥匙锁在家中", "家中跳闸需要帮忙查看"],
    "表扬": ["感谢维修师傅及时上门", "感谢保洁阿姨拾金不昧", "感谢客服耐心解答"],
}
# content -> (部位, 问题) of the seed classifier
TICKET_CATEGORY_OF = {
    "厨房水龙头漏水": ("户内", "给排水"), "卫生间下水道堵塞": ("户内", "给排水"), "客厅灯不亮，开关无反应": ("户内", "电路"),
    "入户门锁芯卡住打不开": ("户内", "门窗"), "阳台推拉门滑轨脱落": ("户内", "门窗"),
    "空调冷凝水管滴水到楼下": ("户内", "给排水"), "热水器打不着火": ("户内", "燃气"), "墙面渗水发霉": ("户内", "墙面地面"),
    "窗户玻璃胶开裂漏风": ("户内", "门窗"), "电梯按钮失灵": ("电梯", "故障"),
    "楼上装修噪音超时施工": ("公共区域", "噪音"), "楼道堆放杂物无人清理": ("公共区域", "杂物堆放"),
    "地库车位被外来车辆占用": ("停车场", "车位占用"), "垃圾桶满溢未及时清运": ("公共区域", "卫生"),
    "小区内宠物未拴绳": ("安全", "可疑人员"),
}
TICKET_WEIGHTS = (("报修", 55), ("投诉", 10), ("咨询", 20), ("建议", 4), ("求助", 8), ("表扬", 3))
CHANNEL_WEIGHTS = (("电话", 55), ("来访", 15), ("微信", 15), ("APP", 8), ("网络平台", 2), ("巡查发现", 5))


def _demo_tickets(rng: random.Random, days: int = 365) -> None:
    """A year of tickets with their timelines and revisits, so the boards and the monthly charts mean something."""
    from services.tickets.workdays import WorkCalendar
    from services.tickets.workflow import DEFAULT_POLICIES, PREFIX, seed_categories, seed_policies

    now = datetime.now(UTC)
    today = now.astimezone(SHANGHAI).date()
    cal = WorkCalendar.load(today - timedelta(days=days + 5), today + timedelta(days=30))
    policy = {t: (unit, amount, revisit) for t, unit, amount, revisit in DEFAULT_POLICIES}
    with unit_of_work() as uow:
        s = uow.session
        seed_policies(s)
        seed_categories(s)
        s.flush()
        # looked up with None too: contents the seed classifier does not know (the ticket gets no category)
        category_ids: dict[tuple[str, str] | None, int] = {(p, q): i for i, p, q in s.execute(
            select(TicketCategory.id, TicketCategory.place, TicketCategory.problem))}
        users = dict(s.execute(select(User.username, User.id)).all())
        names = dict(s.execute(select(User.id, User.display_name)).all())
        staff = list(s.scalars(select(Staff.id)))
        units = s.execute(select(Unit.id, Unit.estate_id).where(Unit.status.in_(LIVED_IN))).all()
        counters: dict[str, int] = {}
        tickets, plans = [], []
        for back in range(days, -1, -1):
            day = today - timedelta(days=back)
            for _ in range(rng.choice((2, 3, 4, 4, 5, 6))):
                kind = rng.choices([k for k, _ in TICKET_WEIGHTS], weights=[w for _, w in TICKET_WEIGHTS])[0]
                night = rng.random() < 0.06
                hour = rng.randrange(0, 7) if night else rng.randrange(7, 22)
                received = datetime.combine(day, time(hour, rng.randrange(60)), SHANGHAI)
                if received > now:
                    continue
                unit_id, estate_id = rng.choice(units)
                prefix = f"{PREFIX[kind]}{day:%Y%m%d}"
                counters[prefix] = counters.get(prefix, 0) + 1
                unit_kind, amount, needs_revisit = policy[kind]
                deadline = (received + timedelta(hours=amount) if unit_kind == "hours"
                            else cal.deadline_after(received, amount))
                department = "工程" if kind == "报修" else rng.choice(("客服", "保洁", "安保", "客服"))
                assignee = users["engineer"] if department == "工程" else users["service"]
                responder = users[rng.choice(("service", "service", "clerk", "manager"))]
                t = Ticket(number=f"{prefix}-{counters[prefix]:03d}", ticket_type=kind,
                           channel="夜间值班" if night else rng.choices(
                               [c for c, _ in CHANNEL_WEIGHTS], weights=[w for _, w in CHANNEL_WEIGHTS])[0],
                           estate_id=estate_id, unit_id=unit_id, content=(content := rng.choice(TICKET_TEMPLATES[kind])),
                           category_id=category_ids.get(TICKET_CATEGORY_OF.get(content)),
                           received_at=received, entered_at=received + timedelta(hours=8 if night else 0, minutes=2),
                           entered_by=responder, first_responder_id=responder, department=department,
                           assignee_id=assignee, status=TicketStatus.PENDING, deadline_at=deadline, needs_revisit=needs_revisit)
                tickets.append(t)
                plans.append((t, needs_revisit, responder, assignee))
        s.add_all(tickets)
        s.flush()
        events, revisits = [], []
        for t, needs_revisit, responder, assignee in plans:
            age = now - t.received_at
            ev = [("create", "", TicketStatus.PENDING, t.received_at, responder)]
            if age > timedelta(hours=1):
                ev.append(("dispatch", TicketStatus.PENDING, TicketStatus.DISPATCHED, t.received_at + timedelta(minutes=20), responder))
                t.status = TicketStatus.DISPATCHED
            if age > timedelta(hours=3):
                ev.append(("accept", TicketStatus.DISPATCHED, TicketStatus.IN_HAND, t.received_at + timedelta(minutes=50), assignee))
                t.status = TicketStatus.IN_HAND
            limit = t.deadline_at - t.received_at
            took = limit * (rng.uniform(0.1, 0.9) if rng.random() < 0.92 else rng.uniform(1.05, 1.8))
            done_at = t.received_at + took
            if done_at < now - timedelta(hours=2) and age > timedelta(days=1):
                t.completed_at = done_at
                if t.ticket_type == "投诉":
                    t.handled_at = t.received_at + timedelta(hours=rng.uniform(1, 20) if rng.random() < 0.9
                                                             else rng.uniform(26, 40))
                    t.completed_at = max(done_at, t.handled_at)
                ev.append(("complete", TicketStatus.IN_HAND, TicketStatus.COMPLETED, t.completed_at, assignee))
                t.status = TicketStatus.COMPLETED
                if needs_revisit:
                    # a complaint's handled_at was set above
                    due = (cal.deadline_after(cast(datetime, t.handled_at), 3) if t.ticket_type == "投诉"
                           else t.completed_at + timedelta(hours=24))
                    t.status = TicketStatus.AWAITING_REVISIT
                    ev.append(("revisit_due", TicketStatus.COMPLETED, TicketStatus.AWAITING_REVISIT, t.completed_at, assignee))
                    r = Revisit(ticket_id=t.id, due_at=due)
                    done = due - (due - t.completed_at) * rng.uniform(0.1, 0.9) if rng.random() < 0.9 else \
                        due + timedelta(hours=rng.uniform(2, 30))
                    # older revisits were all done; the last few days' may still be waiting
                    if done < now and (now - t.completed_at > timedelta(days=4) or rng.random() < 0.5):
                        r.done_at, r.method, r.done_by = done, rng.choice(("电话", "电话", "上门")), users["service"]
                        r.result = rng.choices(("满意", "基本满意", "不满意"), weights=(80, 15, 5))[0]
                        t.status, t.closed_at = TicketStatus.CLOSED, done
                        ev.append(("revisit", TicketStatus.AWAITING_REVISIT, TicketStatus.CLOSED, done, users["service"]))
                    revisits.append(r)
                else:
                    t.status, t.closed_at = TicketStatus.CLOSED, t.completed_at
                    ev.append(("close", TicketStatus.COMPLETED, TicketStatus.CLOSED, t.completed_at, responder))
            if t.ticket_type == "投诉" and t.handled_at is not None and rng.random() < 0.35:
                t.ruling, t.ruled_at = "有效", t.handled_at + timedelta(days=1)
                t.ruling_staff_id = rng.choice(staff)
            elif t.ticket_type == "投诉" and t.handled_at is not None:
                t.ruling, t.ruled_at = "无效", t.handled_at + timedelta(days=1)
            events += [{"ticket_id": t.id, "at": at, "actor_user_id": who, "actor_name": names[who], "kind": kind,
                        "status_from": a, "status_to": b, "note": ""} for kind, a, b, at, who in ev]
        s.add_all(revisits)
        s.execute(insert(TicketEvent), events)
        for name, value in counters.items():
            s.add(Counter(name=f"ticket:{name}", value=value))
        audit.record(s, SYSTEM_ACTOR, "demo", "tickets", "-", None, {"tickets": len(tickets)})
        uow.commit()


PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CONTRACTORS = ("广州美居装饰工程有限公司", "金牌匠心装饰", "业之峰装饰", "东易日盛家居", "个人施工队（李师傅）")
VIP_SAMPLES = [("独居老人", "独居，子女在外地", "每周电话问候一次；停水停电提前上门告知"),
               ("残障人士", "家中有轮椅出行人员", "电梯检修时提前告知，协助出行"),
               ("频繁投诉", "近半年投诉 6 次（噪音、漏水）", "来电由主管亲自回复"),
               ("欠费历史", "物业费曾欠缴 14 个月", "催缴时语气委婉，先核对账单")]


def _plate(rng: random.Random) -> str:
    tail = "".join(rng.choice("0123456789" + PLATE_LETTERS[:8]) for _ in range(4))
    return f"粤{rng.choice('ABE')}{rng.choice(PLATE_LETTERS)}{tail}"


def _owners_extras(s: Session, rng: random.Random, statuses: dict[int, str], owners: dict[int, int]) -> None:
    """Parking, vehicles, keys, renovations, VIP households and notes, so /owners looks like a real day."""
    now = datetime.now(UTC)
    today = date(2026, 11, 20)
    estates = list(s.scalars(select(Estate.id).order_by(Estate.id)))
    unit_estate = dict(s.execute(select(Unit.id, Unit.estate_id)).all())
    owned_by_estate: dict[int, list[int]] = {}
    for uid in owners:
        owned_by_estate.setdefault(unit_estate[uid], []).append(uid)
    plates: set[str] = set()
    for estate_id in estates:
        spaces = []
        for n in range(1, 41):
            kind = "产权" if n <= 12 else "租赁"
            spaces.append({"estate_id": estate_id, "number": f"B1-{n:03d}", "kind": kind,
                           "status": "已售" if kind == "产权" else "空闲", "note": ""})
        s.execute(insert(ParkingSpace), spaces)
        space_ids = list(s.scalars(select(ParkingSpace.id).where(ParkingSpace.estate_id == estate_id,
                                                                 ParkingSpace.kind == "租赁")
                                   .order_by(ParkingSpace.id)))
        candidates = rng.sample(owned_by_estate.get(estate_id, []), k=min(20, len(owned_by_estate.get(estate_id, []))))
        for space_id, uid in zip(space_ids, candidates, strict=False):
            plate = _plate(rng)
            while plate in plates:
                plate = _plate(rng)
            plates.add(plate)
            end = today + timedelta(days=rng.choice((5, 12, 25, 60, 120, 200, 300)))
            s.add(ParkingLease(space_id=space_id, person_id=owners[uid], unit_id=uid, plate=plate,
                               start_on=end - timedelta(days=364), end_on=end,
                               monthly_fee=Decimal(rng.choice(("300.00", "350.00", "400.00"))), status=LeaseStatus.ACTIVE))
            s.add(Vehicle(plate=plate, person_id=owners[uid], unit_id=uid))
            cast(ParkingSpace, s.get(ParkingSpace, space_id)).status = "已租"  # inserted above
    vacant = [uid for uid, st in statuses.items() if st in (UnitStatus.VACANT, UnitStatus.HANDED_OVER)]
    for i, uid in enumerate(vacant):
        s.add(Key(unit_id=uid, label="入户门", location=f"钥匙柜 A-{i + 1:03d}", status="在库"))
    s.flush()
    lent = list(s.scalars(select(Key).order_by(Key.id).limit(3)))
    for key, (who, reason, due_hours) in zip(lent, [("王师傅（工程部）", "空置房巡查维修", 2),
                                                   ("中介 刘先生", "带客看房", -20),
                                                   ("业主家属 陈女士", "开窗通风", 30)], strict=False):
        key.status = "借出"
        out_at = now - timedelta(hours=26 if due_hours < 0 else 1)
        s.add(KeyLoan(key_id=key.id, borrower=who, reason=reason, out_at=out_at,
                      due_at=now + timedelta(hours=due_hours), lent_by="林晓燕"))
    renovating = [uid for uid, st in statuses.items() if st == UnitStatus.RENOVATING]
    for uid in renovating:
        start = today - timedelta(days=rng.randrange(5, 50))
        s.add(Renovation(unit_id=uid, status="施工中", applicant="业主", contractor=rng.choice(CONTRACTORS),
                         contractor_phone="13" + f"{rng.randrange(10**9):09d}", scope="厨卫改造、墙面翻新",
                         planned_start_on=start, planned_end_on=start + timedelta(days=60),
                         applied_on=start - timedelta(days=7), decided_by="陈静怡", started_on=start,
                         deposit=Decimal("2000.00"), deposit_received_on=start, unit_status_before=UnitStatus.OCCUPIED))
    occupied = [uid for uid, st in statuses.items() if st == UnitStatus.HANDED_OVER and uid in owners]
    for uid in occupied[:3]:
        s.add(Renovation(unit_id=uid, status="申请中", applicant="业主", contractor=rng.choice(CONTRACTORS),
                         contractor_phone="13" + f"{rng.randrange(10**9):09d}", scope="全屋精装",
                         planned_start_on=today + timedelta(days=7), planned_end_on=today + timedelta(days=97),
                         applied_on=today - timedelta(days=1), deposit=Decimal("3000.00")))
    lived = [uid for uid, st in statuses.items() if st == UnitStatus.OCCUPIED]
    for uid, (category, reason, care) in zip(rng.sample(lived, k=min(8, len(lived))), VIP_SAMPLES * 2,
                                             strict=False):
        s.add(VipHousehold(unit_id=uid, category=category, reason=reason, care_notes=care))
        s.add(UnitNote(unit_id=uid, at=now - timedelta(days=30), author="陈静怡", kind="重点户",
                       text=f"登记为重点户（{category}）：{reason}"))


def _unit(estate_id: int, building: Building, unit_no: str, room_no: str, floor: int, kind: str, layout: str,
          area: Decimal, rng: random.Random, delivered: date) -> dict[str, Any]:
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], weights=[w for _, w in STATUS_WEIGHTS])[0]
    inner = (area * Decimal("0.80")).quantize(Decimal("0.01"))
    vacant = status in (UnitStatus.VACANT, UnitStatus.HANDED_OVER)
    return {
        "estate_id": estate_id, "building_id": building.id, "unit_no": unit_no, "room_no": room_no,
        "floor": floor, "kind": kind, "layout": layout, "built_area": area, "inner_area": inner,
        "status": status, "delivered_on": None if status == UnitStatus.UNSOLD else delivered, "note": "",
        "compact_code": search_keys.compact_code(building.code, unit_no, room_no),
        "vacant_since": delivered + timedelta(days=rng.randrange(0, 600)) if vacant else None,
        "last_inspected_on": date(2026, 10, 1) + timedelta(days=rng.randrange(0, 40)) if vacant else None,
    }
