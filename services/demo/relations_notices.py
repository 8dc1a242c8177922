"""Demo 公告 and 失物招领: a year of each on the demo's two estates, ending today.

公告: sixteen notices through the seasons (春节安全提示, 停水通知, 电梯维保, 物业费缴费提醒, 台风预警, 中秋游园, 消防演练…)
in every status: archived after their period, one withdrawn with its reason, a few on the board now (one of them
past its period and still up, so the front desk's home has one to take down), one posted today and one tomorrow, and
drafts scheduled for the coming days (one whose day has already come). Dates are fixed by month and day in the last
year, so the notices stay seasonal whenever the demo is built.

失物招领: forty items found over the year; most are claimed within days (证件 checked, handed over by the desk),
each ended quarter's notice is posted per estate a few days after the quarter ends, the items nobody claimed are
disposed of once that notice's deadline and the holding period have passed, a few old ones are due for disposal
now, and the recent ones wait.

Written with the ORM in one transaction (no per-row audit: the demo build writes its own audit row); the numbers
people cite (公告编号, 失物登记号) come from the same counters the services advance, so new ones follow on.
"""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select

from db.engine import unit_of_work
from db.models import Building, LostItem, LostNotice, Notice, NoticeTarget, User
from services.demo.story import story_estates
from services.platform import counters
from services.platform.clock import SHANGHAI, local_today, utcnow
from services.relations.lost_found import CLAIM_DAYS, Quarter, disposable_from

# (month, day or offset from today, days up, kind, title, body, targets, final status, withdrawal reason)
# targets: () every estate; ("CH",) a whole estate; ("CH", "1", "2") those buildings of it
_SEASONAL: list[tuple[int, int, int, str, str, str, tuple[str, ...], str, str]] = [
    (2, 10, 14, "安全提示", "春节期间安全温馨提示",
     "春节将至，为保障各位业主、住户度过一个平安祥和的节日，物业服务中心温馨提示：\n"
     "一、小区内禁止燃放烟花爆竹，请勿在楼道、电梯厅堆放易燃杂物；\n"
     "二、外出探亲前请关闭水、电、燃气总阀，锁好门窗，贵重物品妥善保管；\n"
     "三、春节期间物业服务中心照常值班，报修电话24小时畅通。\n"
     "祝大家新春快乐，阖家幸福！", (), "已归档", ""),
    (3, 18, 1, "停水停电", "二次供水水箱清洗停水通知",
     "为保障生活用水卫生，物业服务中心将对1栋、2栋二次供水水箱进行年度清洗消毒。\n"
     "停水时间：3月19日 9:00至17:00。\n请各位住户提前做好储水准备，停水期间请关闭家中水龙头，"
     "恢复供水初期水质如有浑浊，请放水片刻后再使用。给您带来不便，敬请谅解。", ("CH", "1", "2"), "已归档", ""),
    (4, 15, 3, "维修施工", "电梯年度维保通知",
     "根据特种设备安全管理要求，电梯维保单位将于4月16日至4月18日对3栋电梯进行年度检验和保养。\n"
     "维保期间每次停运一部电梯，另一部正常运行，请大家错峰出行，照顾好家中老人和儿童。", ("JX", "3"), "已归档", ""),
    (6, 1, 30, "收费", "下半年物业服务费缴费提醒",
     "下半年物业服务费已开始收取，请各位业主于6月30日前到物业服务中心或通过微信、支付宝缴纳。\n"
     "缴费时间：每日 8:30至20:00。如对费用有疑问，欢迎来电或到物业服务中心咨询。感谢您的支持与配合！",
     (), "已归档", ""),
    (7, 28, 3, "安全提示", "台风预警：请做好防风防汛准备",
     "据气象部门预报，今年第8号台风将于未来48小时内影响我市，并伴有强降雨。\n"
     "请各位业主、住户：收回阳台花盆、晾晒衣物等易坠物品，关好门窗；车辆请勿停放在低洼处和大树下；"
     "台风期间尽量减少外出。物业服务中心已安排人员24小时值守，如遇紧急情况请拨打服务中心电话。", (), "已归档", ""),
    (8, 12, 1, "停水停电", "计划停电通知",
     "接供电部门通知，因线路检修，8月13日 8:00至12:00锦绣华庭将计划停电，电梯、地下车库照明暂停使用。"
     "请提前做好准备。", ("JX",), "已撤回", "供电部门通知检修延期，本次停电取消，新的停电时间另行通知"),
    (9, 20, 6, "社区活动", "中秋游园活动通知",
     "花好月圆，情满中秋。物业服务中心将于9月25日晚 19:00在中心花园举办中秋游园活动，"
     "设有猜灯谜、手工月饼、亲子游戏等环节，欢迎业主、住户携家人参加。", ("CH",), "已归档", ""),
    (10, 12, 5, "维修施工", "外墙清洗施工通知",
     "物业服务中心将于10月13日至10月17日对5栋、6栋外墙进行清洗，施工时间为每日 8:30至17:30。\n"
     "施工期间请关好窗户，勿在窗外晾晒衣物，高空作业区域下方请勿停留。", ("CH", "5", "6"), "已归档", ""),
    (11, 7, 3, "安全提示", "消防演练通知",
     "11月9日是全国消防日。物业服务中心将于11月9日 15:00在锦绣华庭、翠湖花园组织消防疏散演练，"
     "演练期间将鸣响警报，请大家听从工作人员指挥，有序疏散到中心广场。", (), "已发布", ""),
]
# (days from today, days up, kind, title, body, targets, status)
_RECENT: list[tuple[int, int | None, str, str, str, tuple[str, ...], str]] = [
    (-10, 30, "温馨提示", "冬季防火防冻温馨提示",
     "冬季天气干燥寒冷，请大家注意：使用电暖器、电热毯等取暖设备后及时断电；电动自行车请勿进楼入户充电；"
     "室外水管和水表请做好防冻包裹。祝您温暖过冬！", (), "已发布"),
    (-3, 27, "收费", "物业服务费缴费提醒",
     "下一年度物业服务费已开始预收，提前缴纳全年物业费的业主可参加年终感恩抽奖。"
     "缴费地点：物业服务中心收费窗口。", (), "已发布"),
    (0, 1, "维修施工", "电梯维保通知",
     "电梯维保单位将于今明两天对1栋电梯进行月度保养，每次停运一部电梯约2小时，请大家错峰出行。", ("JX", "1"),
     "已发布"),
    (1, 0, "停水停电", "停水通知",
     "因3栋给水主管阀门更换，明日 9:00至14:00 3栋将暂停供水，请提前储水。", ("CH", "3"), "已发布"),
    (-1, 7, "温馨提示", "楼道杂物清理通知",
     "为消除消防安全隐患，请各位住户于一周内清理个人堆放在楼道、消防通道内的杂物，逾期未清理的将由物业统一清运。",
     ("CH", "1", "2", "3"), "草稿"),
    (1, 0, "社区活动", "垃圾分类宣传活动通知",
     "物业服务中心将于本周六上午在小区南门广场开展垃圾分类宣传活动，参与互动即可领取环保购物袋一个。", ("JX",),
     "草稿"),
    (3, 0, "停水停电", "二次供水水箱清洗停水通知",
     "物业服务中心将对锦绣华庭二次供水水箱进行清洗消毒，届时将暂停供水约8小时，具体时间另见通知。", ("JX",), "草稿"),
    (6, 3, "社区活动", "元旦游园活动通知",
     "辞旧迎新，欢聚一堂。元旦期间物业服务中心将举办游园活动，设有套圈、投壶、写春联等项目，欢迎大家参加。", (),
     "草稿"),
]

_ITEMS: list[tuple[str, str, bool, int]] = [  # what, description, valuable, weight
    ("钥匙", "一串三把，挂小熊挂件", False, 8), ("雨伞", "蓝色折叠伞", False, 6), ("钱包", "黑色皮质钱包，内有少量现金",
                                                                          True, 4),
    ("手机", "白色手机，屏幕有裂痕", True, 3), ("儿童滑板车", "粉色三轮滑板车", False, 3),
    ("快递包裹", "纸箱包裹，收件人信息模糊", False, 4), ("身份证", "居民身份证一张", True, 3),
    ("银行卡", "银行卡一张", True, 2), ("眼镜", "黑框近视眼镜，装在灰色眼镜盒内", False, 3),
    ("保温杯", "不锈钢保温杯，贴有卡通贴纸", False, 3), ("蓝牙耳机", "白色蓝牙耳机充电盒", True, 2),
    ("外套", "深灰色儿童外套，约130码", False, 2), ("门禁卡", "门禁卡一张，挂绳为红色", False, 3),
    ("手表", "银色男士手表", True, 1), ("书包", "蓝色小学生书包，内有课本", False, 2), ("玩具", "遥控汽车一辆", False, 2),
]
_PLACES = ("大堂", "电梯轿厢内", "儿童游乐场", "地下车库", "中心花园长椅", "快递柜旁", "南门岗亭", "会所健身房",
           "楼道消防通道", "篮球场")
_KEPT = ("客服中心失物柜A格", "客服中心失物柜B格", "客服中心储物间", "南门岗亭值班室")
_KEPT_VALUABLE = "客服中心保险柜"
_FINDERS = ("保洁员", "秩序维护员", "业主", "住户", "绿化工")
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
_GIVEN = ("伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "霞",
          "晓明", "海燕", "俊杰", "欣怡", "子涵", "浩然", "雨轩", "建国", "秀英", "桂兰")
_MOBILE = ("138", "139", "135", "136", "137", "150", "158", "186", "188", "189", "177", "199")


def _name(rng: random.Random) -> str:
    return rng.choice(_SURNAMES) + rng.choice(_GIVEN)


def _mobile(rng: random.Random) -> str:
    return rng.choice(_MOBILE) + f"{rng.randrange(10 ** 8):08d}"


def _at(day: date, rng: random.Random, first_hour: int = 8, last_hour: int = 20) -> datetime:
    return datetime.combine(day, time(rng.randrange(first_hour, last_hour), rng.randrange(60)), SHANGHAI)


def _in_last_year(today: date, month: int, day: int) -> date:
    """The last date with this month and day at least three weeks before today (so its notice has run its course
    unless it is meant to be on the board)."""
    candidate = date(today.year, month, day)
    return candidate if candidate <= today - timedelta(days=21) else date(today.year - 1, month, day)


def build(rng: random.Random) -> None:
    """A year of 公告 and 失物招领 on the demo estate."""
    today = local_today()
    now = utcnow()
    with unit_of_work() as uow:
        s = uow.session
        estates = story_estates(s)
        buildings = {(e, code): i for i, e, code in s.execute(select(Building.id, Building.estate_id, Building.code))}
        names: dict[str, str] = dict(s.execute(select(User.username, User.display_name)).all())
        if not estates:
            return
        desk = [names.get(u, u) for u in ("service", "clerk", "service")]
        manager = names.get("manager", "manager")

        def targets(spec: tuple[str, ...]) -> list[tuple[int, int | None]]:
            if not spec:
                return []
            estate_id = estates[spec[0]][0]
            # a smaller large demo may lack a building the story names: the notice goes to those it has
            return [(estate_id, buildings[(estate_id, b)]) for b in spec[1:] if (estate_id, b) in buildings] \
                or [(estate_id, None)]

        plans: list[dict[str, Any]] = []
        for month, day, up, kind, title, body, spec, status, reason in _SEASONAL:
            on = _in_last_year(today, month, day)
            plans.append({"on": on, "until": on + timedelta(days=up), "kind": kind, "title": title, "body": body,
                          "spec": spec, "status": status, "reason": reason})
        for offset, up_days, kind, title, body, spec, status in _RECENT:
            on = today + timedelta(days=offset)
            plans.append({"on": on, "until": on + timedelta(days=up_days) if up_days is not None else None,
                          "kind": kind, "title": title, "body": body, "spec": spec, "status": status, "reason": ""})
        plans.sort(key=lambda p: p["on"])
        for p in plans:
            written = min(_at(p["on"] - timedelta(days=rng.randrange(2, 6)), rng, 9, 17), now)
            notice = Notice(title=p["title"], body=p["body"], kind=p["kind"], publish_on=p["on"],
                            until_on=p["until"], status=p["status"], written_by=rng.choice(desk), written_at=written)
            if p["status"] != "草稿":
                year = p["on"].year
                notice.number = f"GG{year}-{counters.advance(s, f'notices:{year}'):03d}"
                notice.published_by = manager
                notice.published_at = min(written + timedelta(hours=rng.randrange(2, 30)), now)
            if p["status"] in ("已撤回", "已归档"):
                notice.closed_by = manager
                end = p["on"] if p["status"] == "已撤回" else (p["until"] or p["on"]) + timedelta(days=1)
                notice.closed_at = min(_at(end, rng, 9, 18), now)
                notice.withdrawn_reason = p["reason"]
            s.add(notice)
            s.flush()
            s.add_all(NoticeTarget(notice_id=notice.id, estate_id=e, building_id=b) for e, b in targets(p["spec"]))

        _lost_and_found(s, rng, today, now, estates, desk, manager)
        uow.commit()


def _lost_and_found(s: Any, rng: random.Random, today: date, now: datetime, estates: dict[str, tuple[int, str]],
                    desk: list[str], manager: str) -> None:
    buildings = {"CH": ("1栋", "2栋", "3栋", "5栋", "6栋", "商业街"), "JX": ("1栋", "2栋", "3栋", "地下车库")}
    weights = [w for *_, w in _ITEMS]
    items: list[dict[str, Any]] = []
    last_quarter = Quarter.of(today).previous()
    for n in range(40):
        what, description, valuable, _w = rng.choices(_ITEMS, weights=weights)[0]
        code = rng.choice(("CH", "CH", "JX"))
        # spread over the year, a handful in the last three weeks still in the cabinet, and two of the quarter
        # before nobody came for: on its notice, and left for the desk to dispose of
        kept = n >= 38
        if kept:
            code = "CH"
            found_on = last_quarter.first + timedelta(days=rng.randrange(5, 45))
            what, description, valuable = ("雨伞", "黑色长柄伞", False) if n == 38 else ("保温杯", "蓝色保温杯", False)
        else:
            found_on = today - timedelta(days=rng.randrange(21, 360) if n < 33 else rng.randrange(0, 21))
        found_at = min(_at(found_on, rng, 7, 22), now - timedelta(hours=1))
        place = rng.choice(_PLACES)
        if place in ("大堂", "电梯轿厢内", "楼道消防通道"):
            place = rng.choice(buildings[code][:-1]) + place
        roll = rng.random()
        # most owners come within days; some after the notice; about a fifth never
        delay = (timedelta(hours=rng.randrange(1, 24 * 12)) if roll < 0.66 and not kept
                 else timedelta(days=rng.randrange(25, 120)) if roll < 0.8 and not kept else None)
        finder = rng.choice(_FINDERS)
        items.append({
            "code": code, "what": what, "description": description, "valuable": valuable, "found_at": found_at,
            "found_place": place, "kept_at": _KEPT_VALUABLE if valuable else rng.choice(_KEPT),
            "finder_name": f"{finder}{_name(rng)}" if finder in ("业主", "住户") else f"{_name(rng)}（{finder}）",
            "finder_phone": _mobile(rng) if finder in ("业主", "住户") and rng.random() < 0.7 else "",
            "claim_at": found_at + delay if delay is not None and found_at + delay < now else None,
            "notice": None, "dispose_on": None, "kept": kept,
        })
    items.sort(key=lambda i: i["found_at"])

    def waiting_on(i: dict[str, Any], day: date) -> bool:
        end = datetime.combine(day + timedelta(days=1), time(), SHANGHAI)
        return (i["found_at"] < end and (i["claim_at"] is None or i["claim_at"] >= end)
                and (i["dispose_on"] is None or i["dispose_on"] > day))

    # each ended quarter's notice, a few days after its end, per estate with items still waiting; then disposal
    posted: list[LostNotice] = []
    quarter = Quarter.of(today - timedelta(days=365))
    while quarter.last < today:
        posted_on = quarter.last + timedelta(days=rng.randrange(3, 8))
        if posted_on >= today:
            break
        for estate_id in sorted({e for e, _ in estates.values()}):  # one notice an estate (a one-estate demo: both)
            codes = {code for code, (e, _) in estates.items() if e == estate_id}
            listed = [i for i in items if i["code"] in codes and waiting_on(i, quarter.last)
                      and waiting_on(i, posted_on)]
            if not listed:
                continue
            notice = LostNotice(estate_id=estate_id, quarter=quarter.label, posted_on=posted_on,
                                claim_by=posted_on + timedelta(days=CLAIM_DAYS), posted_by=rng.choice(desk),
                                item_count=len(listed))
            posted.append(notice)
            for i in listed:
                if i["notice"] is None:
                    i["notice"] = notice
                    earliest = disposable_from(i["found_at"].astimezone(SHANGHAI).date(), notice.claim_by)
                    assert earliest is not None
                    dispose_on = earliest + timedelta(days=rng.randrange(0, 25))
                    # most are cleared out soon after; one or two old ones are left for the desk to dispose of
                    if i["claim_at"] is None and dispose_on < today and not i["kept"] and rng.random() < 0.8:
                        i["dispose_on"] = dispose_on
        quarter = quarter.next()
    s.add_all(posted)
    s.flush()

    for i in items:
        recorded_at = min(i["found_at"] + timedelta(minutes=rng.randrange(5, 90)), now)
        year = recorded_at.astimezone(SHANGHAI).year
        row = LostItem(
            number=f"SW{year}-{counters.advance(s, f'lost:{year}'):04d}", estate_id=estates[i["code"]][0],
            what=i["what"], description=i["description"], valuable=i["valuable"], found_at=i["found_at"],
            found_place=i["found_place"], finder_name=i["finder_name"], finder_phone=i["finder_phone"],
            kept_at=i["kept_at"], recorded_by=rng.choice(desk), recorded_at=recorded_at, status="待认领",
            notice_id=i["notice"].id if i["notice"] is not None else None,
        )
        if i["claim_at"] is not None and i["dispose_on"] is None:
            row.status = "已认领"
            row.claimant_name = _name(rng)
            row.claimant_phone = _mobile(rng)
            row.id_kind = "居民身份证" if rng.random() < 0.9 else rng.choice(("驾驶证", "护照"))
            row.id_checked = True
            row.claimed_at = i["claim_at"]
            row.handed_over_by = rng.choice(desk)
        elif i["dispose_on"] is not None:
            row.status = "已处置"
            way = ("上交派出所" if i["valuable"] else "其他" if i["what"] == "快递包裹"
                   else rng.choice(("捐赠", "销毁", "捐赠")))
            row.disposal_way = way
            row.disposed_on = i["dispose_on"]
            row.disposed_by = rng.choice((manager, *desk))
            row.disposal_note = {"上交派出所": "交辖区派出所，民警出具接收回执", "捐赠": "捐赠社区爱心驿站",
                                 "销毁": "已损坏无使用价值，拍照留档后销毁",
                                 "其他": "交还快递网点退回寄件人"}[way]
        s.add(row)
    s.flush()
