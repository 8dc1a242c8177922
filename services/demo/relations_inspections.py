"""Demo 巡查, 违章 and the duty log: a year of each, ending today, so /relations and the home look like a company's.

- Routes: three on 翠湖花园 (每日园区巡查 with the seed's checklist — public areas, equipment, the building, signage,
  renovation sites, the pool and the clubhouse, the front posts — plus 设备房巡查 and 夜间安全巡查), two on 锦绣华庭
  (no pool there). The daily route of 翠湖花园 is walked on most days of the year, 锦绣华庭's for the last quarter,
  the plant rooms weekly, the night route a few times a week lately: about six thousand lines. Today's rounds are
  not walked yet (the desk records them). A few lines are 异常; most became 求助 tickets (channel 巡查发现) that
  were closed in time, the last days' still open or 待转工单.
- About 25 violations over the year with notices and follow-ups: most closed (已整改, two 移交执法部门, one 其他),
  three open past their deadline (the manager's home shows them), a few open within it.
- A duty log for each 白班 and 夜班 of the last 60 days, each handed over and confirmed by the next shift with its
  open items carried — except the last one, handed over and not yet confirmed, so the home shows it waiting.

Rows are written in bulk (Core inserts for the lines) and the whole build stays well under a second.
"""

from __future__ import annotations

import json
import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import insert, select

from db.engine import unit_of_work
from db.models import (
    AuditEntry,
    Building,
    DutyEntry,
    DutyShift,
    InspectionItem,
    InspectionResult,
    InspectionRound,
    InspectionRoute,
    SlaPolicy,
    Ticket,
    TicketEvent,
    Unit,
    UnitNote,
    User,
    Violation,
    ViolationFollowUp,
)
from db.types import utcnow
from services.demo.story import story_estates
from services.platform import audit
from services.platform.auth import SYSTEM_ACTOR
from services.platform.clock import SHANGHAI
from services.platform.counters import advance
from services.relations.handover import shift_window
from services.relations.inspections import PUBLIC_TICKET_TYPE, TICKET_CHANNEL
from services.tickets.statuses import TicketStatus
from services.tickets.workflow import next_numbers

# (area, what to check, department a finding goes to, what is found when it is not right)
MAIN_CH = (
    ("公共区域环境", "公共区域照明（大堂、楼道、电梯厅）", "工程", ("3栋2单元电梯厅筒灯两盏不亮", "5栋大堂吊灯闪烁")),
    ("公共区域环境", "消防通道畅通、无杂物堆放", "安保", ("2栋地库消防通道停放电动车三辆", "6栋1单元楼梯间堆放纸箱")),
    ("公共区域环境", "园区卫生及垃圾分类点", "保洁", ("北门垃圾分类点满溢未清运", "中心花园草坪有宠物粪便")),
    ("设施设备", "灭火器压力及有效期", "工程", ("1栋3楼灭火器压力指针在红区", "5栋B1灭火器已过有效期")),
    ("设施设备", "电梯运行及五方对讲", "工程", ("3栋2号梯五方对讲无应答", "1栋1号梯运行有异响")),
    ("设施设备", "监控设备及门禁运行", "安保", ("东门人行闸机刷卡无反应", "地库B区监控画面黑屏")),
    ("设施设备", "道闸及岗亭设施", "安保", ("南门车辆道闸抬杆迟缓",)),
    ("房屋本体", "外墙、天台及雨棚无破损渗漏", "工程", ("2栋天台防水层起鼓", "6栋雨棚玻璃有裂纹")),
    ("标识标牌", "标识标牌完好清晰", "客服", ("地库导向牌被撞歪", "泳池“禁止跳水”标识褪色")),
    ("装修管理", "装修现场（许可证张贴、垃圾清运、施工时间）", "客服", ("5-2-1502 未张贴装修许可证", "3-1-0801 装修垃圾堆放楼道")),
    ("园区配套", "泳池水质（余氯、pH）及救生设施", "客服", ("泳池余氯偏低（0.2mg/L）", "救生圈缺少一个")),
    ("园区配套", "会所设施及卫生", "保洁", ("会所健身房跑步机故障", "会所卫生间洗手液缺补")),
    ("客户触点岗位", "门岗及前台人员仪容、接待用语", "客服", ("东门岗保安未按规定着装",)),
)
MAIN_JX = tuple(item for item in MAIN_CH if item[0] != "园区配套") + (
    ("设施设备", "地下车库照明及排水", "工程", ("车库B1-061旁照明不亮", "车库坡道排水沟堵塞")),
)
PLANT = (
    ("设施设备", "配电房运行记录及室温", "工程", ("配电房室温偏高（36℃），排风扇停转",)),
    ("设施设备", "水泵房（生活水泵、二次供水水箱）", "工程", ("2号生活水泵漏水", "水箱人孔盖未上锁")),
    ("设施设备", "消防泵房及喷淋系统压力", "工程", ("喷淋稳压泵频繁启动",)),
    ("设施设备", "发电机房（油位、试机记录）", "工程", ("柴油发电机油位偏低",)),
    ("设施设备", "电梯机房温度及卫生", "工程", ("3栋电梯机房有积水",)),
    ("设施设备", "监控中心录像保存", "安保", ("12号摄像头录像缺失两天",)),
    ("房屋本体", "屋面排水及天沟", "工程", ("1栋天沟落叶堵塞",)),
    ("房屋本体", "地库排水沟及集水井", "工程", ("集水井浮球失灵",)),
)
NIGHT = (
    ("客户触点岗位", "各出入口门岗值守", "安保", ("西门岗22:40无人值守",)),
    ("公共区域环境", "公共区域照明", "工程", ("中心花园庭院灯三盏不亮",)),
    ("公共区域环境", "消防通道畅通", "安保", ("5栋消防通道夜间停放私家车",)),
    ("设施设备", "单元门禁及单元门闭合", "安保", ("2栋1单元门闭门器损坏，门无法关闭",)),
    ("设施设备", "地库照明及车辆停放", "安保", ("地库B2有车辆占用两个车位",)),
    ("设施设备", "周界围墙及红外报警", "安保", ("北侧围墙红外对射误报",)),
    ("客户触点岗位", "监控中心值班记录", "安保", ("监控中心交接记录未签名",)),
    ("公共区域环境", "可疑人员及车辆", "安保", ("发现陌生人员在地库徘徊，已盘问劝离",)),
)
ROUTES = {  # estate code -> (route, note, checklist, who walks it, how often)
    "CH": (("每日园区巡查", "客服每日一次：园区环境、设施设备、房屋本体、标识、装修、泳池会所、客户触点岗位", MAIN_CH,
            "desk", "daily"),
           ("设备房巡查", "工程部每周一次", PLANT, "engineer", "weekly"),
           ("夜间安全巡查", "夜班每周三次", NIGHT, "engineer", "nights")),
    "JX": (("每日园区巡查", "客服每日一次（本季度起启用）", MAIN_JX, "desk", "quarter"),
           ("设备房巡查", "工程部每周一次", PLANT, "engineer", "weekly")),
}
FAIL_RATE = 0.015

VIOLATIONS = {  # kind -> ((description, location for a public place or "" for a unit), ...)
    "违章搭建": (("露台加建阳光房", ""), ("顶楼私自搭建彩钢棚", ""), ("一楼花园私自砌筑围墙", ""),
             ("阳台外扩封闭超出外立面", ""), ("天台私设不锈钢水箱", "")),
    "占用公共部位": (("楼道堆放旧家具和纸箱", "2栋1单元6楼楼道"), ("消防通道停放电动车", "5栋地库消防通道"),
               ("地库车位旁私设储物柜", "地库B1-033旁"), ("单元大堂摆放盆栽占道", "3栋2单元大堂"),
               ("楼梯间安装铁门占用公共楼梯", "6栋顶层楼梯间")),
    "违反装修规定": (("拆改承重墙", ""), ("午休时间（12:00–14:00）电钻作业", ""), ("装修垃圾未袋装堆放楼道", ""),
               ("未办理装修许可擅自开工", ""), ("空调外机位置不符合统一规划", ""), ("更换入户门颜色与外立面不一致", "")),
    "其他": (("私拉电线给电动车充电", ""), ("高空晾晒被褥遮挡外立面", "")),
}
FOLLOW_UPS = ("上门送达整改通知书，业主签收", "电话联系业主，业主承诺一周内整改", "复查：已部分整改，继续跟进",
              "业主未在家，通知书张贴于门上并拍照留存", "与施工负责人沟通，责令停工整改", "业主表示需与家人商量，约定周末答复")

ENTRIES = {
    "来电": ("{unit} 业主来电反映楼上漏水，已转工程部", "{unit} 业主咨询物业费发票开具，已告知办理流程",
           "{unit} 业主来电投诉夜间装修噪音，已联系施工方停止施工", "{unit} 业主反映门禁卡失效，约明早到前台补办",
           "{unit} 业主来电预约维修热水器，已派单"),
    "钥匙": ("借出 {unit} 钥匙给装修工人李师傅，约定 18:00 前归还", "{unit} 钥匙已归还入柜，核对无误",
           "借出 {unit} 钥匙给开荒保洁，已登记", "{unit} 业主领取交房钥匙一套，已签收"),
    "事件": ("东门道闸抬杆故障，已通知工程部修复", "快递柜旁堆放纸箱，已通知保洁清理", "地库B1照明两盏不亮，已报修",
           "中心花园喷灌管破裂，已关闭阀门并报修", "外来车辆滞留地库超过24小时，已联系车主", "{unit} 门口发现漏水，已通知工程部"),
    "突发事件": ("2栋1单元电梯困人，5分钟内解救，已通知维保单位", "暴雨预警，已检查地库挡水板和集水井",
             "3栋地下室进水，启动排水泵并通知工程部", "{unit} 烟感报警，到场确认为做饭油烟，已复位"),
    "其他": ("交接对讲机4台、应急手电2把", "代收快递3件，已登记在册", "会所预约登记2条，已通知会所管理员",
           "收到社区通知：下周三停水，需张贴公告"),
}
ENTRY_WEIGHTS = (("事件", 35), ("来电", 30), ("钥匙", 15), ("突发事件", 5), ("其他", 15))
RESOLUTIONS = ("已处理完毕", "工程部已修复", "业主已确认", "钥匙已归还", "已回复业主")


def build(rng: random.Random) -> None:
    """A year of 巡查, 违章 and the duty log on the demo estate."""
    now = utcnow()
    today = now.astimezone(SHANGHAI).date()
    with unit_of_work() as uow:
        s = uow.session
        users = {name: (uid, shown) for name, uid, shown in s.execute(select(User.username, User.id,
                                                                             User.display_name))}
        estates: dict[str, int] = {}
        for code, (estate_id, _name) in story_estates(s).items():
            if estate_id not in estates.values():  # a one-estate demo walks the first story's routes only
                estates[code] = estate_id
        if not estates or not {"service", "clerk", "manager", "engineer"} <= set(users):
            return  # not the demo estate
        rounds, lines, tickets = _rounds(s, rng, today, now, users, estates)
        violations = _violations(s, rng, today, users, estates)
        shifts = _duty_log(s, rng, today, now, users)
        audit.record(s, SYSTEM_ACTOR, "demo", "inspection_rounds", "-", None,
                     {"rounds": rounds, "lines": lines, "tickets": tickets, "violations": violations,
                      "duty_shifts": shifts})
        uow.commit()


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime.combine(day, time(hour, minute), SHANGHAI)


def _rounds(s: Any, rng: random.Random, today: date, now: datetime, users: dict[str, tuple[int, str]],
            estates: dict[str, int]) -> tuple[int, int, int]:
    policy = s.execute(select(SlaPolicy.unit, SlaPolicy.amount).where(SlaPolicy.ticket_type == PUBLIC_TICKET_TYPE,
                                                                    SlaPolicy.category_id.is_(None))).first()
    limit = timedelta(hours=policy[1] if policy is not None and policy[0] == "hours" else 2)
    plans = []
    for code, routes in ROUTES.items():
        if code not in estates:
            continue
        for name, note, checklist, walker, often in routes:
            route = InspectionRoute(estate_id=estates[code], name=name, note=note, active=True)
            s.add(route)
            s.flush()
            items = [InspectionItem(route_id=route.id, area=a, text=t, department=d, position=10 * (i + 1),
                                    active=True) for i, (a, t, d, _) in enumerate(checklist)]
            s.add_all(items)
            s.flush()
            plans.append((route, items, [c[3] for c in checklist], walker, often, code))
    round_rows, findings = [], []
    for route, items, found, walker, often, code in plans:
        for back in range(365, 0, -1):  # today's rounds are still to be walked
            day = today - timedelta(days=back)
            if often == "daily" and rng.random() < 0.1:  # public holidays, the odd busy day
                continue
            if often == "quarter" and (back > 90 or rng.random() < 0.1):
                continue
            if often == "weekly" and day.weekday() != (1 if code == "CH" else 3):
                continue
            if often == "nights" and (back > 60 or day.weekday() not in (0, 2, 4)):
                continue
            if walker == "engineer":
                who = "engineer"
            else:
                who = ("service", "clerk")[day.toordinal() % 2] if rng.random() < 0.9 else "manager"
            hour = 21 if often == "nights" else rng.choice((9, 10, 10, 14))
            walked = _at(day, hour, rng.randrange(60))
            failed = [i for i in range(len(items)) if rng.random() < FAIL_RATE]
            round_rows.append((route, items, found, day, who, walked, failed))
    # the engineers' latest walk found something the desk has not turned into a ticket yet (待转工单)
    last = max((i for i, r in enumerate(round_rows) if r[4] == "engineer"), key=lambda i: round_rows[i][3],
               default=None)
    if last is not None and not round_rows[last][6]:
        round_rows[last][6].append(1)
    objects = [InspectionRound(route_id=route.id, round_on=day, inspector_id=users[who][0],
                               inspector_name=users[who][1], recorded_at=walked + timedelta(minutes=40), note="",
                               items=len(items), failed=len(failed))
               for route, items, found, day, who, walked, failed in round_rows]
    s.add_all(objects)
    s.flush()
    results: list[dict[str, Any]] = []
    for rnd, (route, items, found, _day, who, _walked, failed) in zip(objects, round_rows, strict=True):
        for i, item in enumerate(items):
            bad = i in failed
            note = rng.choice(found[i]) if bad else ""
            results.append({"round_id": rnd.id, "item_id": item.id, "position": item.position, "area": item.area,
                            "item_text": item.text, "department": item.department,
                            "result": "异常" if bad else "正常", "note": note, "ticket_id": None,
                            "ticket_claimed_at": None, "version": 1})
            if bad:
                findings.append((len(results) - 1, route, rnd, item, note, who))
    tickets = _finding_tickets(s, rng, now, users, findings, results, limit)
    if results:  # an empty list would be one INSERT of defaults, not none
        s.execute(insert(InspectionResult), results)
    return len(objects), len(results), tickets


def _finding_tickets(s: Any, rng: random.Random, now: datetime, users: dict[str, tuple[int, str]],
                     findings: list[Any], results: list[dict[str, Any]], limit: timedelta) -> int:
    """Most 异常 lines became tickets; the last two days' may still wait at the desk (待转工单)."""
    planned = []
    for index, route, rnd, item, note, who in findings:
        if who == "engineer" and now - rnd.recorded_at < timedelta(days=7):
            continue  # an engineer cannot take tickets: the desk has not turned this week's findings yet
        desk = who if who in ("service", "clerk", "manager") else "service"  # an engineer's finding: the desk
        received = rnd.recorded_at + timedelta(minutes=rng.randrange(2, 10) if desk == who else rng.randrange(30, 90))
        if received > now:
            continue
        planned.append((index, route, rnd, item, note, desk, received))
    tickets, plans = [], []
    for index, route, rnd, item, note, desk, received in planned:
        [number] = next_numbers(s, PUBLIC_TICKET_TYPE, received, 1)
        assignee = users["engineer"][0] if item.department == "工程" else users["service"][0]
        t = Ticket(number=number, ticket_type=PUBLIC_TICKET_TYPE, channel=TICKET_CHANNEL, estate_id=route.estate_id,
                   unit_id=None, caller_name=users[desk][1], caller_phone="",
                   content=f"【巡查发现】{route.name} {rnd.round_on.isoformat()} · {item.area}·{item.text}：{note}",
                   urgency="普通", received_at=received, entered_at=received, entered_by=users[desk][0],
                   first_responder_id=users[desk][0], department=item.department, assignee_id=assignee,
                   status=TicketStatus.PENDING, deadline_at=received + limit, needs_revisit=False)
        tickets.append(t)
        plans.append((index, t, desk, assignee))
    s.add_all(tickets)
    s.flush()
    events = []
    names = dict(users.values())
    for index, t, desk, assignee in plans:
        results[index]["ticket_id"] = t.id
        ev = [("create", "", TicketStatus.PENDING, t.received_at, users[desk][0], f"{TICKET_CHANNEL}受理")]
        age = now - t.received_at
        if age > timedelta(hours=1):
            ev.append(("dispatch", TicketStatus.PENDING, TicketStatus.DISPATCHED,
                       t.received_at + timedelta(minutes=10), users[desk][0], ""))
            t.status = TicketStatus.DISPATCHED
        if age > timedelta(hours=6):
            done = t.received_at + limit * (rng.uniform(0.3, 0.95) if rng.random() < 0.9 else rng.uniform(1.1, 3))
            ev.append(("accept", TicketStatus.DISPATCHED, TicketStatus.IN_HAND,
                       t.received_at + timedelta(minutes=20), assignee, ""))
            ev.append(("complete", TicketStatus.IN_HAND, TicketStatus.COMPLETED, done, assignee, "已处理"))
            ev.append(("close", TicketStatus.COMPLETED, TicketStatus.CLOSED, done, users[desk][0], ""))
            t.status, t.completed_at, t.closed_at = TicketStatus.CLOSED, done, done
        events += [{"ticket_id": t.id, "at": at, "actor_user_id": who, "actor_name": names[who], "kind": kind,
                    "status_from": a, "status_to": b, "note": note} for kind, a, b, at, who, note in ev]
    if events:
        s.execute(insert(TicketEvent), events)
        # each step leaves the audit row the tickets service would have written
        login: dict[Any, str] = {uid: username for username, (uid, _shown) in users.items()}
        s.execute(insert(AuditEntry), [
            {"at": e["at"], "actor_user_id": e["actor_user_id"], "actor_username": login[e["actor_user_id"]],
             "action": e["kind"], "entity": "tickets", "entity_id": str(e["ticket_id"]),
             "before_json": json.dumps({"status": e["status_from"]}, ensure_ascii=False) if e["status_from"] else None,
             "after_json": json.dumps({"status": e["status_to"]}, ensure_ascii=False)} for e in events])
    return len(tickets)


def _violations(s: Any, rng: random.Random, today: date, users: dict[str, tuple[int, str]],
                estates: dict[str, int]) -> int:
    units: dict[int, list[tuple[int, str, str]]] = {}
    for uid, estate_id, b, u, r, status in s.execute(
            select(Unit.id, Unit.estate_id, Building.code, Unit.unit_no, Unit.room_no, Unit.status)
            .join(Building, Building.id == Unit.building_id).where(Unit.kind == "住宅")):
        units.setdefault(estate_id, []).append((uid, f"{b}-{u}-{r}", status))
    if not units:
        return 0
    kinds = ("违反装修规定",) * 9 + ("占用公共部位",) * 8 + ("违章搭建",) * 6 + ("其他",) * 2
    # (days ago found, open past deadline / open within it / closed)
    plan = [(rng.randrange(40, 360), "closed") for _ in range(19)]
    plan += [(rng.randrange(25, 50), "overdue") for _ in range(3)] + [(rng.randrange(2, 12), "open") for _ in range(3)]
    plan.sort(reverse=True)
    staff = ("service", "clerk", "manager")
    rows = []
    for n, (ago, fate) in enumerate(plan):
        kind = kinds[(n * 7 + rng.randrange(len(kinds))) % len(kinds)]
        description, location = rng.choice(VIOLATIONS[kind])
        estate_id = rng.choice(sorted(set(estates.values()) & set(units)))
        unit = None
        if not location:
            pool = [u for u in units[estate_id] if kind != "违反装修规定" or u[2] == "装修中"] or units[estate_id]
            unit = rng.choice(pool)
        found = today - timedelta(days=ago)
        finder = rng.choice(staff)
        notice = found + timedelta(days=rng.choice((0, 1, 1, 2)))
        deadline = notice + timedelta(days=rng.choice((3, 7, 7, 15)))
        if fate == "overdue":
            deadline = today - timedelta(days=rng.randrange(3, 20))
            notice = min(notice, deadline)
        elif fate == "open":
            deadline = today + timedelta(days=rng.randrange(3, 12))
            notice = min(notice, today)
        v = Violation(estate_id=estate_id, unit_id=unit[0] if unit else None, kind=kind, location=location,
                      description=description, found_on=found, found_by=users[finder][1],
                      recorded_at=_at(found, 11, rng.randrange(60)), notice_on=notice, deadline_on=deadline)
        rows.append((v, fate, finder, unit))
    for v, *_ in sorted(rows, key=lambda r: (r[0].notice_on, r[0].found_on)):
        assert v.notice_on is not None
        v.notice_no = f"ZG{v.notice_on.year}-{advance(s, f'violation_notice:{v.notice_on.year}'):03d}"
    s.add_all(v for v, *_ in rows)
    s.flush()
    follow_ups, notes = [], []
    # two of the closed ones went to the city's enforcement team, one ended otherwise
    closed = [n for n, (_, fate, *_) in enumerate(rows) if fate == "closed"]
    unusual = dict(zip(closed[3::6][:3], ("移交执法部门", "其他", "移交执法部门"), strict=False))
    for n, (v, fate, _finder, unit) in enumerate(rows):
        assert v.notice_on is not None
        end = today if fate != "closed" else min(today, v.deadline_on + timedelta(days=rng.randrange(-2, 6)))
        end = max(end, v.notice_on)
        days = sorted({v.notice_on + timedelta(days=rng.randrange(0, (end - v.notice_on).days + 1))
                       for _ in range(rng.choice((1, 2, 2, 3)))})
        for i, day in enumerate(days):
            who = users[rng.choice(("service", "clerk", "manager"))]
            follow_ups.append({"violation_id": v.id, "followed_on": day,
                               "note": FOLLOW_UPS[0] if i == 0 else rng.choice(FOLLOW_UPS[1:]),
                               "by_user_id": who[0], "by_name": who[1], "at": _at(day, 15, rng.randrange(60))})
        if fate == "closed":
            outcome = unusual.get(n, "已整改")
            v.outcome = outcome
            v.outcome_note = {"已整改": "复查已整改完毕，拍照存档", "移交执法部门": "业主拒不整改，已报城管执法中队",
                              "其他": "业主已补办相关手续"}[outcome]
            v.closed_on, v.closed_by = end, users[rng.choice(("service", "manager"))][1]
            follow_ups.append({"violation_id": v.id, "followed_on": end,
                               "note": "复查：已整改完毕" if outcome == "已整改" else v.outcome_note,
                               "by_user_id": users["service"][0], "by_name": users["service"][1],
                               "at": _at(end, 16, rng.randrange(60))})
        if unit is not None:
            notes.append({"unit_id": unit[0], "at": v.recorded_at, "author": v.found_by, "kind": "违章",
                          "text": f"{v.kind}：{v.description}（整改期限 {v.deadline_on.isoformat()}）"})
            if v.closed_on is not None:
                notes.append({"unit_id": unit[0], "at": _at(v.closed_on, 17, 0), "author": v.closed_by,
                              "kind": "违章", "text": f"{v.kind}结案：{v.outcome}（{v.outcome_note}）"})
    s.execute(insert(ViolationFollowUp), follow_ups)
    if notes:
        s.execute(insert(UnitNote), notes)
    return len(rows)


def _duty_log(s: Any, rng: random.Random, today: date, now: datetime, users: dict[str, tuple[int, str]]) -> int:
    """Every 白班 and 夜班 of the last 60 days that has ended, each confirmed by the next — but the last."""
    codes = [f"{b}-{u}-{r}" for b, u, r in s.execute(
        select(Building.code, Unit.unit_no, Unit.room_no).join(Building, Building.id == Unit.building_id)
        .where(Unit.kind == "住宅").order_by(Unit.id).limit(400))] or ["1-1-101"]
    shifts: list[tuple[date, str]] = []
    for back in range(60, -1, -1):
        day = today - timedelta(days=back)
        for name in ("白班", "夜班"):
            if shift_window(day, name)[1] <= now:
                shifts.append((day, name))
    carried: list[DutyEntry] = []
    previous: DutyShift | None = None
    for day, name in shifts:
        start, end = shift_window(day, name)
        if name == "夜班":
            writer = "manager" if day.weekday() == 5 else "engineer"  # a manager's night a week (值班经理)
        else:
            writer = ("service", "clerk")[day.toordinal() % 2]
        uid, shown = users[writer]
        log = DutyShift(estate_id=None, duty_on=day, shift=name, writer_id=uid, writer_name=shown,
                        opened_at=start + timedelta(minutes=rng.randrange(0, 10)),
                        carried_from_id=previous.id if previous is not None else None)
        s.add(log)
        s.flush()
        if previous is not None:  # the previous shift's writer handed over; this writer confirmed it
            previous.receiver_id, previous.receiver_name = uid, shown
            assert previous.handed_at is not None
            previous.confirmed_at = min(previous.handed_at + timedelta(minutes=rng.randrange(3, 25)), log.opened_at)
            previous.confirmed_at = max(previous.confirmed_at, previous.handed_at)
            previous.confirm_note = rng.choice(("", "", "已阅", "收到，遗留事项继续跟进"))
        entries: list[DutyEntry] = []
        for old in carried:  # the open items come with the handover; most are done within the shift
            copy = DutyEntry(shift_id=log.id, at=old.at, kind=old.kind, content=old.content, open_item=True,
                             recorded_by=old.recorded_by, carried_from_id=old.id, version=1)
            if rng.random() < 0.7:
                copy.open_item = False
                copy.resolved_at = start + (end - start) * rng.uniform(0.1, 0.8)
                copy.resolved_note = rng.choice(RESOLUTIONS)
            entries.append(copy)
        span = (end - start).total_seconds()
        for _ in range(rng.randrange(2, 7) if name == "白班" else rng.randrange(1, 5)):
            kind = rng.choices([k for k, _ in ENTRY_WEIGHTS], weights=[w for _, w in ENTRY_WEIGHTS])[0]
            text = rng.choice(ENTRIES[kind]).format(unit=rng.choice(codes))
            at = start + timedelta(seconds=rng.uniform(0.05, 0.95) * span)
            entries.append(DutyEntry(shift_id=log.id, at=at, kind=kind, content=text, recorded_by=shown,
                                     open_item=kind in ("来电", "钥匙", "突发事件") and rng.random() < 0.3,
                                     version=1))
        if (day, name) == shifts[-1] and not any(e.open_item for e in entries):
            # the handover still waiting carries something to take over
            entries.append(DutyEntry(shift_id=log.id, at=end - timedelta(minutes=40), kind="来电", version=1,
                                     content=f"{rng.choice(codes)} 业主来电反映卫生间顶棚渗水，已约工程部明早上门",
                                     recorded_by=shown, open_item=True))
        s.add_all(entries)
        s.flush()
        still_open = [e for e in entries if e.open_item]
        counts: dict[str, int] = {}
        for e in entries:
            counts[e.kind] = counts.get(e.kind, 0) + 1
        log.summary = ("本班登记" + "、".join(f"{k}{v}条" for k, v in counts.items()) + "；"
                       + (f"遗留{len(still_open)}项待跟进，详见记录" if still_open else "无遗留事项"))
        log.open_items = len(still_open)
        log.handed_at = min(end - timedelta(minutes=rng.randrange(3, 15)), now)
        carried, previous = still_open, log
    # the last shift stays handed over and unconfirmed: it waits on the next shift's home
    return len(shifts)
