"""上线检查 (go-live checklist): what a company moving to PropDesk still has to set up, read from the database.

Invariants:
- every line is computed from the data (a few COUNT / GROUP BY queries; nothing is ticked by hand), so it
  flips to 已完成 as soon as the data is there and back to 待处理 if it goes away;
- the rules are the domains' own: "handed over" is billing's `handed_over_condition`, imported arrears are the
  bills whose source is the arrears import's `SOURCE`, the current month comes from `local_today`;
- a fresh install (`propdesk init`) shows every line 待处理: the seeded fee catalog and holiday calendar do not
  count until there are units to bill and both this and next year are in the calendar (chinese-calendar
  never knows next year's 调休 before they are published, so its year needs the admin);
- undated handed-over units are a warning on the 房屋 line, not a reason for 待处理: they are billed for whole
  months (see services/fees/billing.py) and the date can be filled in after go-live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import BigInteger, case, func, or_, select, type_coerce
from sqlalchemy.orm import Session

from db.engine import read_session
from db.models import Bill, Building, Department, Estate, FeeItem, Holiday, Staff, Unit, UnitPerson, User
from services.estate.statuses import UnitStatus
from services.fees import billing
from services.fees.arrears_import import SOURCE as IMPORTED
from services.fees.statuses import OPEN_BILL_STATUSES, BillStatus
from services.platform.actors import ROLE_LABELS, Actor, Role
from services.platform.auth import can, require
from services.platform.clock import local_today
from services.platform.period import Period
from services.platform.settings import DEFAULTS, get_setting

DONE = "已完成"
TODO = "待处理"
# the roles the service centre needs every day; the others (engineer, clerk) are optional for a small company
DAILY_ROLES = (Role.MANAGER, Role.SERVICE, Role.CASHIER)
# the bases billing raises from a unit's kind alone (billing._plan); 抄表 / 车位 / 一次性 need readings or leases
DEFAULT_BASES = ("面积", "固定")


@dataclass(frozen=True)
class CheckLine:
    """One line of the checklist: `page` is the console's url path and `tab` the tab there where it is done."""

    key: str
    label: str
    done: bool
    detail: str
    page: str
    tab: str
    warning: str = ""  # something to fix that does not hold go-live up

    @property
    def status(self) -> str:
        return DONE if self.done else TODO


def setup_checklist(*, actor: Actor) -> tuple[CheckLine, ...]:
    """The go-live checklist, in the order a company usually works through it."""
    require(actor, "setup.view")
    today = local_today()
    with read_session() as s:
        lines = [
            _company(),
            _estates(s),
            _fee_items(s),
            _units(s),
            _owners(s),
            _collectors(s),
            _arrears(s, today),
            _staff(s),
            _users(s),
            _holidays(s, today),
        ]
    lines.append(_first_billing(actor, today))
    return tuple(lines)


def pending(lines: tuple[CheckLine, ...]) -> int:
    return sum(not line.done for line in lines)


def _count(s: Session, *where: Any) -> int:
    return int(s.scalar(select(func.count()).select_from(Unit).where(*where)) or 0)


def _yuan(cents: int) -> str:
    return f"¥{Decimal(cents) / 100:,.2f}"


def _rate(value: Decimal) -> str:
    """A rate as people write it: at least two places, the other two only when used (0.568, 2.20)."""
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize()}"


def _company() -> CheckLine:
    name = get_setting("company_name").strip()
    done = name != DEFAULTS["company_name"]
    detail = f"收据抬头：{name}" if done else f"仍为默认的“{DEFAULTS['company_name']}”，请填写公司全称"
    return CheckLine("company", "收据上的公司名称", done, detail, "admin", "公司信息")


def _estates(s: Session) -> CheckLine:
    estates = int(s.scalar(select(func.count()).select_from(Estate).where(Estate.active.is_(True))) or 0)
    buildings = int(s.scalar(select(func.count()).select_from(Building).join(Estate, Estate.id == Building.estate_id)
                             .where(Building.active.is_(True), Estate.active.is_(True))) or 0)
    bare = int(s.scalar(select(func.count()).select_from(Estate).where(
        Estate.active.is_(True),
        ~select(Building.id).where(Building.estate_id == Estate.id, Building.active.is_(True)).exists())) or 0)
    detail = f"{estates} 个小区，{buildings} 栋楼" + (f"；{bare} 个小区还没有楼栋" if bare else "")
    return CheckLine("estates", "小区和楼栋", estates > 0 and bare == 0, detail, "admin", "小区")


def _fee_items(s: Session) -> CheckLine:
    kinds = dict(s.execute(select(Unit.kind, func.count()).group_by(Unit.kind)).all())
    items: dict[str, list[str]] = {}
    for kind, name, rate, unit_label in s.execute(
            select(FeeItem.default_unit_kind, FeeItem.name, FeeItem.rate, FeeItem.unit_label)
            .where(FeeItem.active.is_(True), FeeItem.default_unit_kind != "", FeeItem.basis.in_(DEFAULT_BASES),
                   FeeItem.rate > 0)
            .order_by(FeeItem.category != "物业服务费", FeeItem.code)):  # the management fee first
        items.setdefault(kind, []).append(f"{name}{_rate(rate)} {unit_label}".strip())
    if not kinds:
        active = int(s.scalar(select(func.count()).select_from(FeeItem).where(FeeItem.active.is_(True))) or 0)
        return CheckLine("fee_items", "收费项目和单价", False,
                         f"已有 {active} 个收费项目；还没有房屋，导入房屋后核对各类房屋的默认收费项目和单价",
                         "admin", "收费项目")
    missing = [k for k in sorted(kinds) if k not in items]
    parts = [f"{k}：{'、'.join(items[k])}" for k in sorted(kinds) if k in items]
    parts += [f"{k}（{kinds[k]} 套）：没有默认收费项目" for k in missing]
    return CheckLine("fee_items", "收费项目和单价", not missing, "；".join(parts), "admin", "收费项目")


def _units(s: Session) -> CheckLine:
    total = _count(s)
    undated = _count(s, billing.handed_over_condition(), Unit.delivered_on.is_(None))
    warning = f"其中 {undated} 套已交房的房屋未填交房日期，按整月计费，请补填" if undated else ""
    detail = f"共 {total} 套房屋" if total else "还没有房屋"
    return CheckLine("units", "房屋资料", total > 0, detail, "owners", "导入", warning)


def _owners(s: Session) -> CheckLine:
    handed_over = billing.handed_over_condition()
    expected = _count(s, handed_over)
    owned = select(UnitPerson.id).where(UnitPerson.unit_id == Unit.id, UnitPerson.role == "业主",
                                        UnitPerson.end_on.is_(None)).exists()
    linked = _count(s, handed_over, owned)
    if not expected:
        return CheckLine("owners", "业主与房屋关联", False, "还没有已交房的房屋", "owners", "导入")
    detail = f"{expected} 套已交房的房屋中 {linked} 套已关联业主" + \
        (f"，{expected - linked} 套没有业主" if linked < expected else "")
    return CheckLine("owners", "业主与房屋关联", linked == expected, detail, "owners", "导入")


def _collectors(s: Session) -> CheckLine:
    # every unit someone is billed for: the developer's unsold ones and the handed-over ones
    billed = or_(Unit.status == UnitStatus.UNSOLD, billing.handed_over_condition())
    expected = _count(s, billed)
    active_staff = select(Staff.id).where(Staff.active.is_(True))
    assigned = _count(s, billed, Unit.collector_staff_id.in_(active_staff))
    if not expected:
        return CheckLine("collectors", "收费员分配", False, "还没有需要收费的房屋", "fees", "欠费催缴")
    detail = f"{expected} 套收费房屋中 {assigned} 套已指定收费员" + \
        (f"，{expected - assigned} 套未指定（或收费员已离职）" if assigned < expected else "")
    return CheckLine("collectors", "收费员分配", assigned == expected, detail, "fees", "欠费催缴")


def _arrears(s: Session, today: date) -> CheckLine:
    outstanding = type_coerce(Bill.amount, BigInteger) - type_coerce(Bill.paid, BigInteger) - \
        type_coerce(Bill.waived, BigInteger)
    is_open = Bill.status.in_(OPEN_BILL_STATUSES)
    # CASE rather than FILTER (...): MariaDB has no aggregate FILTER clause
    imported, open_bills, open_cents = s.execute(
        select(func.count(), type_coerce(func.coalesce(func.sum(case((is_open, 1), else_=0)), 0), BigInteger),
               type_coerce(func.coalesce(func.sum(case((is_open, outstanding), else_=0)), 0), BigInteger))
        .where(Bill.source == IMPORTED, Bill.status != BillStatus.CANCELLED)).one()
    if imported:
        return CheckLine("arrears", "历史欠费导入", True,
                         f"已导入欠费 {imported} 张，其中未缴 {int(open_bills)} 张，合计 {_yuan(int(open_cents))}",
                         "fees", "导入欠费")
    # A company already billing here for months keeps its arrears in its own bills: nothing is left to import.
    first_billed = s.scalar(select(func.min(Bill.period)).where(Bill.period < f"{today:%Y-%m}"))
    if first_billed:
        return CheckLine("arrears", "历史欠费导入", True,
                         f"未导入历史欠费；系统中已有 {first_billed} 起的账单", "fees", "导入欠费")
    return CheckLine("arrears", "历史欠费导入", False, "还没有导入上线前的欠费", "fees", "导入欠费")


def _staff(s: Session) -> CheckLine:
    departments = int(s.scalar(select(func.count()).select_from(Department).where(Department.active.is_(True))) or 0)
    staff = int(s.scalar(select(func.count()).select_from(Staff).where(Staff.active.is_(True))) or 0)
    detail = f"{departments} 个部门，{staff} 名在职员工"
    # staff need a department to be imported into, so an empty department list sends the user there first
    page, tab = ("admin", "部门") if not departments else ("appraisal", "员工档案")
    return CheckLine("staff", "部门和员工", departments > 0 and staff > 0, detail, page, tab)


def _users(s: Session) -> CheckLine:
    counts = dict(s.execute(select(User.role, func.count()).where(User.active.is_(True)).group_by(User.role)).all())
    detail = " · ".join(f"{ROLE_LABELS[r]} {counts.get(r.value, 0)}" for r in Role)
    missing = [ROLE_LABELS[r] for r in DAILY_ROLES if not counts.get(r.value)]
    if missing:
        detail += f"；缺少{'、'.join(missing)}账户"
    return CheckLine("users", "各角色的用户", not missing, detail, "admin", "用户")


def _holidays(s: Session, today: date) -> CheckLine:
    years = (today.year, today.year + 1)
    days = {y: int(s.scalar(select(func.count()).select_from(Holiday).where(
        Holiday.day >= date(y, 1, 1), Holiday.day <= date(y, 12, 31))) or 0) for y in years}
    detail = "；".join(f"{y} 年 {n} 天" if n else f"{y} 年未录入" for y, n in days.items())
    return CheckLine("holidays", "节假日（今明两年）", all(days.values()), detail, "admin", "节假日")


def _first_billing(actor: Actor, today: date) -> CheckLine:
    period = Period.parse(f"{today:%Y-%m}")
    with read_session() as s:
        bills = int(s.scalar(select(func.count()).select_from(Bill).where(
            Bill.period == period.label, Bill.source != IMPORTED, Bill.status != BillStatus.CANCELLED)) or 0)
    if bills:
        return CheckLine("billing", "本月计费", True, f"{period.label} 已有应收 {bills} 张", "fees", "计费")
    if not can(actor, "fees.bill"):
        return CheckLine("billing", "本月计费", False, f"{period.label} 尚未计费", "fees", "计费")
    plan = billing.preview_billing(actor=actor, period=period.label)
    detail = f"{period.label} 尚未计费：预览将新增应收 {len(plan.bills)} 张，合计 ¥{plan.total:,.2f}"
    skipped = sum(n for _, n in plan.not_billed_by_reason)
    if skipped:
        detail += f"；未计费房屋 {skipped} 套（" + \
            "，".join(f"{reason} {n} 套" for reason, n in plan.not_billed_by_reason) + "）"
    warning = f"{len(plan.undated)} 套交房日期未填，将按整月计费" if plan.undated else ""
    return CheckLine("billing", "本月计费", False, detail, "fees", "计费", warning)
