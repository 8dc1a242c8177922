"""The demo estate: two 小区 with about 800 units, owners, departments, staff and one user per role.

Deterministic (fixed seed), so screenshots and tests see the same estate every time.
`large` builds 20,000 units and 60,000 people for the scale benchmark.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import insert, select

from db import search_keys
from db.engine import read_session, unit_of_work
from db.models import (
    Building,
    Department,
    Estate,
    Key,
    KeyLoan,
    ParkingLease,
    ParkingSpace,
    Person,
    Renovation,
    Staff,
    Unit,
    UnitNote,
    UnitPerson,
    User,
    Vehicle,
    VipHousehold,
)
from services import audit
from services.auth import SYSTEM_ACTOR, Role
from services.errors import Conflict
from services.identity import id_check_char
from services.users import add_user

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
    ("cashier", "黄丽娟", Role.CASHIER, "CW", "收费员"),
    ("engineer", "赵建国", Role.ENGINEER, "GC", "维修工"),
    ("clerk", "吴佳琪", Role.CLERK, "KF", "内勤"),
]

STATUS_WEIGHTS = [("已入住", 66), ("空置", 10), ("已交房未入住", 9), ("装修中", 5), ("出租", 8), ("未售", 2)]
LAYOUTS = {Decimal(68): "两室一厅", Decimal(89): "两室两厅", Decimal(105): "三室两厅", Decimal(128): "三室两厅",
           Decimal(143): "四室两厅"}


def _id_number(rng: random.Random, birth: date, male: bool) -> str:
    seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
    body = f"{rng.choice(AREA_CODES)}{birth:%Y%m%d}{seq:03d}"
    return body + id_check_char(body)


def _person(rng: random.Random, mobiles: set[str]) -> dict:
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


def _estate_plan(scale: str) -> list[tuple[str, str, str, list[tuple[str, str, int, int, int]]]]:
    """(code, name, address, [(building code, name, units per floor-unit, floors, 单元 count)])."""
    if scale == "large":
        names = ["翠湖花园", "锦绣华庭", "滨江壹号", "云山府", "紫荆苑", "金域蓝湾", "万科城", "保利香槟"]
        return [
            (f"E{i + 1:02d}", name, f"示范路 {100 + i} 号",
             [(str(b), f"{b}栋", 4, 21, 3) for b in range(1, 11)] + [("S", "商业街", 0, 0, 0)])
            for i, name in enumerate(names)
        ]
    return [
        ("CH", "翠湖花园", "广州市天河区翠湖路 88 号",
         [("1", "1栋", 2, 18, 2), ("2", "2栋", 2, 18, 2), ("3", "3栋", 3, 16, 2), ("5", "5栋", 3, 16, 2),
          ("6", "6栋", 2, 11, 2), ("S", "商业街", 0, 0, 0)]),
        ("JX", "锦绣华庭", "广州市海珠区锦绣街 16 号",
         [("1", "1栋", 3, 18, 2), ("2", "2栋", 3, 18, 2), ("3", "3栋", 4, 18, 2), ("G", "地下车库", 0, 0, 0)]),
    ]


def build_demo(*, scale: str = "small", demo_password: str | None = None) -> dict[str, str]:
    """Create the demo estate on an empty database; returns {username: password} of the demo users."""
    if scale not in ("small", "large"):
        raise ValueError(scale)
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
        for i, (username, name, _role, dept, post) in enumerate(DEMO_USERS, start=1):
            st = Staff(staff_no=f"S{i:03d}", name=name, department_id=depts[dept].id, post=post)
            s.add(st)
            s.flush()
            staff_ids[username] = st.id
        unit_rows: list[dict] = []
        for e_code, e_name, address, buildings in _estate_plan(scale):
            estate = Estate(code=e_code, name=e_name, address=address)
            s.add(estate)
            s.flush()
            for b_code, b_name, per_floor, floors, unit_count in buildings:
                building = Building(estate_id=estate.id, code=b_code, name=b_name, floors=floors or 1)
                s.add(building)
                s.flush()
                delivered = date(2018 + rng.randrange(5), rng.randrange(1, 13), 1)
                if b_code == "S":
                    for n in range(1, 13 if scale == "small" else 21):
                        area = Decimal(rng.randrange(4000, 16000)) / 100
                        unit_rows.append(_unit(estate.id, building, "1", f"S{n:02d}", 1, "商铺", "",
                                               area, rng, delivered))
                elif b_code == "G":
                    for n in range(1, 61):
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
            if statuses[uid] == "未售":
                continue
            people_rows.append(_person(rng, mobiles))
            links.append((uid, len(people_rows), "业主"))
        lived_in = [uid for uid in unit_ids if statuses[uid] in ("已入住", "出租", "装修中")]
        while len(people_rows) < target_people:
            uid = rng.choice(lived_in)
            people_rows.append(_person(rng, mobiles))
            role = "租客" if statuses[uid] == "出租" else rng.choice(("家属", "家属", "共有人"))
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
    return passwords


PLATE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
CONTRACTORS = ("广州美居装饰工程有限公司", "金牌匠心装饰", "业之峰装饰", "东易日盛家居", "个人施工队（李师傅）")
VIP_SAMPLES = [("独居老人", "独居，子女在外地", "每周电话问候一次；停水停电提前上门告知"),
               ("残障人士", "家中有轮椅出行人员", "电梯检修时提前告知，协助出行"),
               ("频繁投诉", "近半年投诉 6 次（噪音、漏水）", "来电由主管亲自回复"),
               ("欠费历史", "物业费曾欠缴 14 个月", "催缴时语气委婉，先核对账单")]


def _plate(rng: random.Random) -> str:
    tail = "".join(rng.choice("0123456789" + PLATE_LETTERS[:8]) for _ in range(4))
    return f"粤{rng.choice('ABE')}{rng.choice(PLATE_LETTERS)}{tail}"


def _owners_extras(s, rng: random.Random, statuses: dict[int, str], owners: dict[int, int]) -> None:
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
                               monthly_fee=Decimal(rng.choice(("300.00", "350.00", "400.00"))), status="有效"))
            s.add(Vehicle(plate=plate, person_id=owners[uid], unit_id=uid))
            s.get(ParkingSpace, space_id).status = "已租"
    vacant = [uid for uid, st in statuses.items() if st in ("空置", "已交房未入住")]
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
    renovating = [uid for uid, st in statuses.items() if st == "装修中"]
    for uid in renovating:
        start = today - timedelta(days=rng.randrange(5, 50))
        s.add(Renovation(unit_id=uid, status="施工中", applicant="业主", contractor=rng.choice(CONTRACTORS),
                         contractor_phone="13" + f"{rng.randrange(10**9):09d}", scope="厨卫改造、墙面翻新",
                         planned_start_on=start, planned_end_on=start + timedelta(days=60),
                         applied_on=start - timedelta(days=7), decided_by="陈静怡", started_on=start,
                         deposit=Decimal("2000.00"), deposit_received_on=start, unit_status_before="已入住"))
    occupied = [uid for uid, st in statuses.items() if st == "已交房未入住" and uid in owners]
    for uid in occupied[:3]:
        s.add(Renovation(unit_id=uid, status="申请中", applicant="业主", contractor=rng.choice(CONTRACTORS),
                         contractor_phone="13" + f"{rng.randrange(10**9):09d}", scope="全屋精装",
                         planned_start_on=today + timedelta(days=7), planned_end_on=today + timedelta(days=97),
                         applied_on=today - timedelta(days=1), deposit=Decimal("3000.00")))
    lived = [uid for uid, st in statuses.items() if st == "已入住"]
    for uid, (category, reason, care) in zip(rng.sample(lived, k=min(8, len(lived))), VIP_SAMPLES * 2,
                                             strict=False):
        s.add(VipHousehold(unit_id=uid, category=category, reason=reason, care_notes=care))
        s.add(UnitNote(unit_id=uid, at=now - timedelta(days=30), author="陈静怡", kind="重点户",
                       text=f"登记为重点户（{category}）：{reason}"))


def _unit(estate_id, building, unit_no, room_no, floor, kind, layout, area, rng, delivered) -> dict:
    status = rng.choices([s for s, _ in STATUS_WEIGHTS], weights=[w for _, w in STATUS_WEIGHTS])[0]
    inner = (area * Decimal("0.80")).quantize(Decimal("0.01"))
    vacant = status in ("空置", "已交房未入住")
    return {
        "estate_id": estate_id, "building_id": building.id, "unit_no": unit_no, "room_no": room_no,
        "floor": floor, "kind": kind, "layout": layout, "built_area": area, "inner_area": inner,
        "status": status, "delivered_on": None if status == "未售" else delivered, "note": "",
        "compact_code": search_keys.compact_code(building.code, unit_no, room_no),
        "vacant_since": delivered + timedelta(days=rng.randrange(0, 600)) if vacant else None,
        "last_inspected_on": date(2026, 10, 1) + timedelta(days=rng.randrange(0, 40)) if vacant else None,
    }
