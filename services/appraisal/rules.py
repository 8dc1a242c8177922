"""What the monthly appraisal measures and how it rewards and penalises: the KPI catalog per post, the
incident types 奖惩项目 and the reward/penalty rules 奖惩规则, all edited by the manager without code.

Invariants and decisions:
- KPI_CATALOG names every figure a post can be appraised on; each is computed by services/kpi (the
  same functions as the reports), for the person (本人: the tickets their accounts took or handled, the
  complaints ruled against them, the units they collect for) or for the whole centre (全中心);
- a post's active KPIs have weights in whole percent that total exactly 100; the set is saved as a whole;
- targets and thresholds are typed as people read them (rates in percent: 95 or 95%; money in yuan;
  counts as whole numbers) and stored as 4-place decimals (rates as fractions: 0.9500);
- a rule is one condition on one metric (a KPI, an attendance figure, or the month's count of an
  incident type), optionally bounded by a second condition on the same metric (1 <= 迟到次数 <= 2), and
  one effect: 扣款/奖励 in yuan or in % of base salary, or 扣分/加分 in points; once, or per occurrence
  (times the count). A rule without a condition is refused. A KPI rule may compare with the post's target;
- every rule explains its result in Chinese (`RuleResult.explanation`), with the figures used;
- money is rounded once, half-up to the cent, per rule result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import AppraisalRule, IncidentType, PostKpi
from services.appraisal.posts import active_post_ids, post_ids, seed_posts
from services.appraisal.staff import INCIDENT_KINDS, one_of
from services.platform import audit
from services.platform.auth import Actor, require
from services.platform.errors import Conflict, NotFound, StaleEdit, ValidationError
from services.platform.validate import FieldError, collect, collect_text, is_blank, parse_choice, parse_fixed

HIGHER, LOWER = "越高越好", "越低越好"
DIRECTIONS = (HIGHER, LOWER)
PERSON, CENTRE = "本人", "全中心"
SCOPES = (PERSON, CENTRE)
OPS = (">", ">=", "<", "<=", "=")
OP_TEXT = {">": ">", ">=": "≥", "<": "<", "<=": "≤", "=": "="}
EFFECTS = ("扣款", "奖励", "扣分", "加分")
MONEY_BASES = ("元", "基本工资%")
POINTS = "分"
CENT = Decimal("0.01")
PLACES4 = Decimal("0.0001")


@dataclass(frozen=True)
class KpiDef:
    """One appraisable figure: `source` says which services/kpi function and whose scope computes it."""

    key: str
    label: str
    kind: str  # rate / money / count
    direction: str
    source: str  # fee / handled / taken / ruled / visits
    figure: str  # the key in the kpi function's result
    help: str


KPI_CATALOG: dict[str, KpiDef] = {k.key: k for k in (
    KpiDef("collection_rate", "收缴率", "rate", HIGHER, "fee", "collection_rate",
           "本人：所负责房屋当月账单的实收/应收"),
    KpiDef("household_rate", "户收费率", "rate", HIGHER, "fee", "household_rate",
           "本人：所负责房屋中当月已缴清的户数比例"),
    KpiDef("arrears_recovery_rate", "清缴率", "rate", HIGHER, "fee", "arrears_recovery_rate",
           "本人：所负责房屋的欠费追回/历史欠费"),
    KpiDef("prior_years_collected", "以往年度收缴金额", "money", HIGHER, "fee", "prior_years_collected",
           "本人：当月收回的以往年度欠费（元）"),
    KpiDef("repair_timeliness", "报修及时率", "rate", HIGHER, "handled", "repair_timeliness",
           "本人：本人处理、当月完成的报修中按时完成的比例"),
    KpiDef("repair_completion", "报修完成率", "rate", HIGHER, "handled", "repair_completion",
           "本人：本人处理、当月受理的报修中已完成的比例"),
    KpiDef("handled_satisfaction", "满意率（处理）", "rate", HIGHER, "handled", "satisfaction",
           "本人：本人处理的工单，当月回访中满意和基本满意的比例"),
    KpiDef("revisit_rate", "回访率", "rate", HIGHER, "taken", "revisit_rate",
           "本人：本人受理、当月完成且需回访的工单中已回访的比例"),
    KpiDef("revisit_timely_rate", "回访及时率", "rate", HIGHER, "taken", "revisit_timely_rate",
           "本人：本人受理工单的回访中按时回访的比例"),
    KpiDef("satisfaction", "满意率（受理）", "rate", HIGHER, "taken", "satisfaction",
           "本人：本人受理的工单，当月回访中满意和基本满意的比例"),
    KpiDef("complaint_timely_rate", "投诉处理及时率", "rate", HIGHER, "taken", "complaint_timely_rate",
           "本人：本人受理的投诉中 24 小时内处理的比例"),
    KpiDef("complaint_handled_rate", "投诉处理率", "rate", HIGHER, "taken", "complaint_handled_rate",
           "本人：本人受理的投诉中已处理的比例"),
    KpiDef("effective_complaints", "有效投诉", "count", LOWER, "ruled", "effective_complaints",
           "本人：当月被定性为有效、责任人为本人的投诉（件）"),
    KpiDef("visit_completion", "访谈完成率", "rate", HIGHER, "visits", "visit_completion",
           "本人：分派给本人、计划在当月的业主访谈中已完成的比例"),
    KpiDef("face_to_face_share", "面访比例", "rate", HIGHER, "visits", "face_to_face_share",
           "本人：本人当月登记的业主访谈中上门或来访的比例（标准不低于20%）"),
)}

# attendance figures a rule may read (services.appraisal.staff.AttendanceFigures)
ATTENDANCE_METRICS = {
    "late_count": ("迟到次数", "次"), "late_minutes": ("迟到分钟", "分钟"), "early_count": ("早退次数", "次"),
    "early_minutes": ("早退分钟", "分钟"), "absent_days": ("旷工天数", "天"), "leave_days": ("请假天数", "天"),
}
LATENESS_METRICS = ("att:late_count", "att:late_minutes")


# --- the metrics a rule can read ------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    code: str  # kpi:<key> / att:<key> / inc:<incident type id>
    label: str
    kind: str  # rate / money / count
    unit: str
    category: str  # 考勤 / 奖惩 / 指标: where a money result is added up

    @property
    def countable(self) -> bool:
        """Whether 'per occurrence' makes sense (a whole number of things)."""
        return self.kind == "count" and self.unit != "分钟"


def metrics(session: Session) -> dict[str, Metric]:
    """Every metric a rule may name, including the incident types (active or not: old rules name them)."""
    out = {f"kpi:{k.key}": Metric(f"kpi:{k.key}", k.label, k.kind, _unit(k.kind), "指标") for k in KPI_CATALOG.values()}
    out.update({f"att:{key}": Metric(f"att:{key}", label, "count", unit, "考勤")
                for key, (label, unit) in ATTENDANCE_METRICS.items()})
    for type_id, name in session.execute(select(IncidentType.id, IncidentType.name).order_by(IncidentType.id)):
        out[f"inc:{type_id}"] = Metric(f"inc:{type_id}", f"{name}次数", "count", "次", "奖惩")
    return out


def metric_options(*, actor: Actor) -> dict[str, str]:
    """{code: label} of every metric, for the rule form (KPIs, attendance, active incident types)."""
    require(actor, "appraisal.view")
    with read_session() as s:
        active = set(s.scalars(select(IncidentType.id).where(IncidentType.active.is_(True))))
        found = metrics(s)
    return {code: m.label for code, m in found.items() if not code.startswith("inc:") or int(code[4:]) in active}


def _unit(kind: str) -> str:
    return {"rate": "%", "money": "元", "count": "件"}[kind]


def show_value(kind: str, value: Decimal | int | None, unit: str = "") -> str:
    """A metric's value as people read it: 96.20%, ¥12,000.00, 3 次; '—' when there is none."""
    if value is None:
        return "—"
    if kind == "rate":
        return f"{Decimal(value) * 100:.2f}%"
    if kind == "money":
        return f"¥{Decimal(value):,.2f}"
    number = Decimal(value)
    text = f"{number:f}" if number != number.to_integral() else f"{int(number)}"
    return f"{text} {unit}".strip()


def parse_measure(raw: Any, kind: str, label: str) -> Decimal:
    """A target or threshold typed as people read it -> its stored 4-place value (rates as fractions)."""
    text = str(raw if raw is not None else "").strip().replace(",", "").replace("，", "").replace("¥", "")
    percent = text.endswith("%")
    text = text.rstrip("%").strip()
    if not re.fullmatch(r"\d+(\.\d+)?", text):
        hint = {"rate": "百分数，例如 95 或 95%", "money": "金额（元），例如 5000", "count": "整数，例如 2"}[kind]
        raise ValidationError({label: f"应为{hint}"})
    try:
        value = parse_fixed(text, places=4)  # the shared bounds: a 30-digit target is refused, not overflowed
    except FieldError as exc:
        raise ValidationError({label: str(exc)}) from None
    if kind == "rate":
        if value > 100:
            raise ValidationError({label: "百分数不能大于 100"})
        if 0 < value < 1 and not percent:  # "0.95" is more often a fraction meant as 95% than 0.95%
            meant = f"{(value * 100).normalize():f}"
            raise ValidationError({label: f"{text} 是百分数：若指 {meant}% 请填 {meant}，确指 {text}% 请写 {text}%"})
        value = value / 100
        if value != value.quantize(PLACES4):
            raise ValidationError({label: "百分数最多两位小数"})
    elif kind == "money":
        if percent:
            raise ValidationError({label: "金额不能写成百分数"})
        if value != value.quantize(CENT):
            raise ValidationError({label: "金额最多两位小数"})
        if value > Decimal("100000000"):
            raise ValidationError({label: "不能大于 100000000"})
    else:
        if percent or value != value.to_integral():
            raise ValidationError({label: "应为整数"})
        if value > 100000:
            raise ValidationError({label: "不能大于 100000"})
    return value.quantize(PLACES4)


def typed_measure(kind: str, value: Decimal | None) -> str:
    """The stored value of a target or threshold as it is typed back into a form (95 for 0.9500)."""
    if value is None:
        return ""
    if kind == "rate":  # under 1% it keeps its sign, which parse_measure asks for there
        percent = (value * 100).normalize()
        return f"{percent:f}%" if 0 < percent < 1 else f"{percent:f}"
    if kind == "money":
        return f"{value.quantize(CENT):f}"
    return f"{int(value)}"


# --- incident types 奖惩项目 ---------------------------------------------------------------------------

DEFAULT_INCIDENT_TYPES = (
    ("仪容不整", "惩罚", "没按要求着装、仪容不整（发现 2 次/月以上者处罚）"),
    ("日常记录不全", "惩罚", "没有按照要求进行日常记录（超过 2 次/月者处罚）"),
    ("报修未记录", "惩罚", "业主报修时没有记录（超过 2 次/月者处罚）"),
    ("工作未及时汇报", "惩罚", "上级安排的工作没有及时汇报（发现 2 次/月者处罚）"),
    ("消极怠工致不良后果", "惩罚", "消极怠工，对业主的报修未能及时处理，任其发展造成不良后果"),
    ("重大突发事件处理表现优异", "奖励", "业主求助属重大突发事件，处理及时、方法得当、表现特别优异"),
    ("收缴突出", "奖励", "物业费催缴、收缴成绩突出"),
    ("业主表扬", "奖励", "业主书面或锦旗表扬"),
)


def seed_incident_types(session: Session) -> bool:
    """The seed catalog of incident types, on an empty table (propdesk init); True when added."""
    if session.scalar(select(IncidentType.id).limit(1)) is not None:
        return False
    session.add_all(IncidentType(name=n, kind=k, description=d) for n, k, d in DEFAULT_INCIDENT_TYPES)
    session.flush()
    return True


def list_incident_types(*, actor: Actor) -> pd.DataFrame:
    """Every incident type (active or not): id, version, name, kind, description, active."""
    require(actor, "appraisal.view")
    with read_session() as s:
        rows = s.execute(select(IncidentType.id, IncidentType.version, IncidentType.name, IncidentType.kind,
                                IncidentType.description, IncidentType.active)
                         .order_by(IncidentType.kind, IncidentType.id)).all()
    return pd.DataFrame([tuple(r) for r in rows],
                        columns=["id", "version", "name", "kind", "description", "active"])


def _incident_type_values(name: Any, kind: Any, description: Any) -> dict[str, Any]:
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    values["name"] = collect_text(errors, "名称", name, 32, required=True)
    values["description"] = collect_text(errors, "说明", description, 200)
    values["kind"] = collect(errors, "类别", kind, lambda v: parse_choice(v, INCIDENT_KINDS))
    if errors:
        raise ValidationError(errors)
    return values


def save_incident_type(*, actor: Actor, name: str, kind: str, description: str = "", active: bool = True,
                       type_id: int | None = None, version: int | None = None) -> int:
    """Add an incident type, or change one (name, kind, description, active); returns its id."""
    require(actor, "appraisal.rules")
    values = {**_incident_type_values(name, kind, description), "active": bool(active)}
    with unit_of_work() as uow:
        s = uow.session
        row: IncidentType | None
        if type_id is None:
            row = IncidentType(**values)
            s.add(row)
            before = None
        else:
            row = s.get(IncidentType, type_id)
            if row is None:
                raise NotFound("没有这个奖惩项目")
            if row.version != version:
                raise StaleEdit()
            before = audit.snapshot(row, list(values))
            for k, v in values.items():
                setattr(row, k, v)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"奖惩项目名称已存在：{values['name']}") from exc
        audit.record(s, actor, "create" if before is None else "update", "incident_types", row.id, before, values)
        uow.commit()
        return row.id


# --- the KPI catalog per post ----------------------------------------------------------------------------

# (post, kpi, scope, target as typed, weight): the seed catalog a new company starts from (seeds 002–004)
DEFAULT_POST_KPIS = (
    ("收费员", "collection_rate", PERSON, "95", 50),
    ("收费员", "prior_years_collected", PERSON, "2000", 20),
    ("收费员", "arrears_recovery_rate", PERSON, "10", 15),
    ("收费员", "household_rate", PERSON, "90", 15),
    ("客服前台", "revisit_rate", PERSON, "100", 30),
    ("客服前台", "satisfaction", PERSON, "90", 30),
    ("客服前台", "complaint_timely_rate", PERSON, "100", 20),
    ("客服前台", "effective_complaints", PERSON, "0", 20),
    ("物业管理员", "revisit_rate", PERSON, "100", 25),
    ("物业管理员", "satisfaction", PERSON, "90", 25),
    ("物业管理员", "complaint_handled_rate", PERSON, "100", 25),
    ("物业管理员", "effective_complaints", PERSON, "0", 25),
    ("维修工", "repair_timeliness", PERSON, "95", 40),
    ("维修工", "repair_completion", PERSON, "98", 30),
    ("维修工", "handled_satisfaction", PERSON, "90", 30),
    ("工程主管", "repair_timeliness", CENTRE, "95", 50),
    ("工程主管", "repair_completion", CENTRE, "98", 50),
    ("内勤", "collection_rate", PERSON, "95", 50),
    ("内勤", "household_rate", PERSON, "90", 50),
    ("客服主管", "collection_rate", CENTRE, "95", 30),
    ("客服主管", "complaint_handled_rate", CENTRE, "100", 20),
    ("客服主管", "revisit_rate", CENTRE, "100", 20),
    ("客服主管", "satisfaction", CENTRE, "90", 15),
    ("客服主管", "effective_complaints", CENTRE, "0", 15),
)


@dataclass(frozen=True)
class PostKpiRow:
    """One KPI of a post, as the catalog editor shows it and the appraisal uses it."""

    kpi: str
    label: str
    kind: str
    scope: str
    target: Decimal
    weight: int
    direction: str
    id: int | None = None
    version: int | None = None


def seed_post_kpis(session: Session) -> bool:
    """The seed KPI catalog, on an empty table (propdesk init); True when added."""
    if session.scalar(select(PostKpi.id).limit(1)) is not None:
        return False
    seed_posts(session)
    ids = post_ids(session)
    for post, key, scope, target, weight in DEFAULT_POST_KPIS:
        kpi = KPI_CATALOG[key]
        if post in ids:  # a seed post the company renamed before the catalog was seeded gets none
            session.add(PostKpi(post_id=ids[post], kpi=key, scope=scope, weight=weight, direction=kpi.direction,
                                target=parse_measure(target, kpi.kind, "目标")))
    session.flush()
    return True


def post_kpis_in(session: Session, post_id: int | None) -> list[PostKpiRow]:
    """The active KPIs of a post (inside the caller's session), in catalog order."""
    if post_id is None:
        return []
    rows = session.scalars(select(PostKpi).where(PostKpi.post_id == post_id, PostKpi.active.is_(True))).all()
    order = list(KPI_CATALOG)
    return [PostKpiRow(r.kpi, KPI_CATALOG[r.kpi].label, KPI_CATALOG[r.kpi].kind, r.scope, r.target, r.weight,
                       r.direction, r.id, r.version)
            for r in sorted(rows, key=lambda r: order.index(r.kpi) if r.kpi in order else 99)
            if r.kpi in KPI_CATALOG]


def _post_id(session: Session, post: str, label: str = "岗位") -> int:
    """The id of the active post named `post`, or a ValidationError naming the active ones."""
    ids = active_post_ids(session)
    if post not in ids:
        raise ValidationError({label: one_of("岗位", list(ids), "尚未建立任何岗位（系统管理 → 岗位）")})
    return ids[post]


def post_kpis(*, actor: Actor, post: str) -> list[PostKpiRow]:
    """The active KPIs of a post, by its name."""
    require(actor, "appraisal.view")
    with read_session() as s:
        return post_kpis_in(s, post_ids(s).get(post))


def catalog_posts(*, actor: Actor) -> dict[str, int]:
    """{post: number of active KPIs} for every active post, in code order."""
    require(actor, "appraisal.view")
    with read_session() as s:
        counts = dict(s.execute(select(PostKpi.post_id, func.count()).where(PostKpi.active.is_(True))
                                .group_by(PostKpi.post_id)).all())
        return {name: counts.get(post_id, 0) for name, post_id in active_post_ids(s).items()}


@dataclass(frozen=True)
class KpiEntry:
    """One line of the catalog editor: a KPI in use for the post, with target and weight as typed."""

    kpi: str
    target: Any
    weight: Any
    scope: str = PERSON
    direction: str | None = None  # None: the KPI's natural direction


def save_post_kpis(*, actor: Actor, post: str, entries: Sequence[KpiEntry], versions: Mapping[str, int]) -> int:
    """Replace a post's KPI set as a whole: the weights must total 100%. `versions` are those the editor
    read (kpi -> version) so a set changed by someone else meanwhile is refused. Returns active KPIs."""
    require(actor, "appraisal.rules")
    with read_session() as s:
        _post_id(s, post)
    errors: dict[str, str] = {}
    parsed: dict[str, tuple[str, Decimal, int, str]] = {}
    for e in entries:
        kpi = KPI_CATALOG.get(e.kpi)
        if kpi is None:
            errors[f"指标 {e.kpi}"] = "不在指标目录中"
            continue
        label = kpi.label
        if e.kpi in parsed:
            errors[label] = "重复"
            continue
        try:
            target = parse_measure(e.target, kpi.kind, f"{label}·目标")
        except ValidationError as exc:
            errors.update(exc.errors)
            target = Decimal(0)
        try:
            weight = int(str(e.weight).strip().rstrip("%"))
            if not 1 <= weight <= 100:
                raise ValueError
        except ValueError:
            errors[f"{label}·权重"] = "应为 1–100 的整数（百分比）"
            weight = 0
        if e.scope not in SCOPES:
            errors[f"{label}·范围"] = "应为 本人 或 全中心"
        direction = e.direction or kpi.direction
        if direction not in DIRECTIONS:
            errors[f"{label}·方向"] = "应为 越高越好 或 越低越好"
        parsed[e.kpi] = (e.scope, target, weight, direction)
    if errors:
        raise ValidationError(errors)
    total = sum(w for _, _, w, _ in parsed.values())
    if total != 100:
        raise ValidationError({"权重合计": f"应为 100%（现为 {total}%）"})
    with unit_of_work() as uow:
        s = uow.session
        post_id = _post_id(s, post)
        existing = {r.kpi: r for r in s.scalars(select(PostKpi).where(PostKpi.post_id == post_id).with_for_update())}
        current = {k: r.version for k, r in existing.items() if r.active}
        if {k: v for k, v in versions.items() if k in current or k in existing} != current:
            raise StaleEdit("该岗位的考核指标已被他人修改，请刷新后重试")
        before = {k: _kpi_text(r.scope, r.target, r.weight, r.direction) for k, r in existing.items() if r.active}
        row: PostKpi | None
        for key, row in existing.items():
            if key not in parsed and row.active:
                row.active = False
        for key, (scope, target, weight, direction) in parsed.items():
            row = existing.get(key)
            if row is None:
                s.add(PostKpi(post_id=post_id, kpi=key, scope=scope, target=target, weight=weight,
                              direction=direction))
                continue
            changed = (row.scope, row.target, row.weight, row.direction, row.active) != (
                scope, target, weight, direction, True)
            if changed:
                row.scope, row.target, row.weight, row.direction, row.active = scope, target, weight, direction, True
        s.flush()
        after = {k: _kpi_text(*v) for k, v in parsed.items()}
        if before != after:
            audit.record(s, actor, "update", "post_kpis", post, before, after)
        uow.commit()
    return len(parsed)


def _kpi_text(scope: str, target: Decimal, weight: int, direction: str) -> str:
    return f"{scope} 目标 {target} 权重 {weight}% {direction}"


# --- rules 奖惩规则 ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleSpec:
    """A rule as typed into the form (thresholds and amounts as people read them)."""

    name: str
    metric: str
    op: str
    threshold: Any = None
    use_target: bool = False
    op2: str = ""
    threshold2: Any = None
    effect: str = "扣款"
    basis: str = "元"
    amount: Any = None
    per_occurrence: bool = False
    post: str = ""
    note: str = ""
    active: bool = True


@dataclass(frozen=True)
class RuleView:
    id: int
    version: int
    name: str
    post: str
    metric: str
    metric_label: str
    op: str
    threshold: Decimal | None
    use_target: bool
    op2: str
    threshold2: Decimal | None
    effect: str
    basis: str
    amount: Decimal
    per_occurrence: bool
    note: str
    active: bool
    condition: str  # 迟到次数 ≥ 3
    consequence: str  # 每次扣基本工资的 5%

    def spec(self, kind: str) -> RuleSpec:
        """The rule as the form types it back."""
        return RuleSpec(self.name, self.metric, self.op, typed_measure(kind, self.threshold), self.use_target,
                        self.op2, typed_measure(kind, self.threshold2), self.effect, self.basis,
                        _typed_amount(self.basis, self.amount), self.per_occurrence, self.post, self.note,
                        self.active)


def _typed_amount(basis: str, amount: Decimal) -> str:
    return f"{amount.normalize():f}" if basis != "元" else f"{amount.quantize(CENT):f}"


DEFAULT_RULES = (
    # name, post, metric, op, threshold, op2, threshold2, effect, basis, amount, per occurrence, use target, note
    ("迟到扣款（每月不足 3 次）", "", "att:late_count", ">=", "1", "<=", "2", "扣款", "基本工资%", "1", True, False,
     "迟到每次扣基本工资的 1%（考勤制度）"),
    ("迟到扣款（每月 3 次及以上）", "", "att:late_count", ">=", "3", "", None, "扣款", "基本工资%", "5", True, False,
     "每月迟到 3 次（含）以上，每次扣基本工资的 5%（考勤制度）"),
    ("旷工扣款", "", "att:absent_days", ">=", "1", "", None, "扣款", "基本工资%", "5", True, False,
     "无假别的缺勤按旷工计"),
    ("仪容不整处罚", "", "inc:仪容不整", ">", "2", "", None, "扣款", "元", "50", False, False,
     "没按要求着装、仪容不整，发现 2 次/月以上"),
    ("日常记录不全处罚", "", "inc:日常记录不全", ">", "2", "", None, "扣款", "元", "50", False, False,
     "没有按照要求进行日常记录，超过 2 次/月"),
    ("报修未记录处罚", "", "inc:报修未记录", ">", "2", "", None, "扣款", "元", "50", False, False,
     "业主报修时没有记录，超过 2 次/月"),
    ("工作未及时汇报处罚", "", "inc:工作未及时汇报", ">=", "2", "", None, "扣款", "元", "50", False, False,
     "上司安排的工作没有及时汇报，发现 2 次/月"),
    ("消极怠工处罚", "", "inc:消极怠工致不良后果", ">=", "1", "", None, "扣款", "元", "200", True, False,
     "消极怠工，对业主的报修未能及时处理，造成不良后果"),
    ("有效投诉罚款", "", "kpi:effective_complaints", ">=", "1", "", None, "扣款", "元", "10", True, False,
     "被业主有效投诉，每次最低罚款 10 元"),
    ("突发事件表现优异奖励", "", "inc:重大突发事件处理表现优异", ">=", "1", "", None, "奖励", "元", "300", True, False,
     "业主求助属重大突发事件，处理及时、方法得当、表现特别优异"),
    ("收缴率达标奖励", "收费员", "kpi:collection_rate", ">=", None, "", None, "奖励", "元", "500", False, True,
     "所负责区域物业费收缴率达到目标"),
    ("收缴率未达标处罚", "收费员", "kpi:collection_rate", "<", None, "", None, "扣分", "分", "5", False, True,
     "所管理区域管理费收缴率未达到目标"),
    ("以往年度欠费收回奖励", "收费员", "kpi:prior_years_collected", ">=", "10000", "", None, "奖励", "元", "300",
     False, False, "当月收回以往年度欠费超过 1 万元"),
    ("收缴突出奖励", "", "inc:收缴突出", ">=", "1", "", None, "加分", "分", "2", True, False, "主管认定收缴成绩突出"),
)


def seed_rules(session: Session) -> bool:
    """The seed rules (lateness per KPI.md, the seed documents' penalties and rewards); True when added."""
    if session.scalar(select(AppraisalRule.id).limit(1)) is not None:
        return False
    types = dict(session.execute(select(IncidentType.name, IncidentType.id)).all())
    for name, post, metric, op, t1, op2, t2, effect, basis, amount, per, use_target, note in DEFAULT_RULES:
        if metric.startswith("inc:"):
            if metric[4:] not in types:
                continue
            metric = f"inc:{types[metric[4:]]}"
        values = _rule_values(session, RuleSpec(name, metric, op, t1, use_target, op2, t2, effect, basis, amount,
                                                per, post, note))
        session.add(AppraisalRule(**values))
    session.flush()
    return True


def _rule_values(session: Session, spec: RuleSpec) -> dict[str, Any]:
    """A rule as typed -> its stored values, every problem reported at once."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    values["name"] = collect_text(errors, "规则名称", spec.name, 64, required=True)
    values["note"] = collect_text(errors, "说明", spec.note, 200)
    known = metrics(session)
    metric = known.get(spec.metric or "")
    if not spec.metric:
        errors["条件"] = "规则必须有条件：请选择考核指标、考勤项目或奖惩项目"
    elif metric is None:
        errors["条件"] = f"没有这个指标：{spec.metric}"
    if spec.op not in OPS:
        errors["比较"] = "应为以下之一：" + " ".join(OPS)
    kind = metric.kind if metric else "count"
    use_target = bool(spec.use_target)
    if use_target and metric is not None and metric.category != "指标":
        errors["与目标比较"] = "只有考核指标有目标"
        use_target = False
    threshold = None
    if not use_target:
        if is_blank(spec.threshold):
            errors["阈值"] = "必填（或选择与岗位目标比较）"
        else:
            try:
                threshold = parse_measure(spec.threshold, kind, "阈值")
            except ValidationError as exc:
                errors.update(exc.errors)
    op2, threshold2 = (spec.op2 or "").strip(), None
    if op2:
        if op2 not in OPS:
            errors["第二个比较"] = "应为以下之一：" + " ".join(OPS)
        if is_blank(spec.threshold2):
            errors["第二个阈值"] = "有第二个条件时必填"
        else:
            try:
                threshold2 = parse_measure(spec.threshold2, kind, "第二个阈值")
            except ValidationError as exc:
                errors.update(exc.errors)
    elif not is_blank(spec.threshold2):
        errors["第二个比较"] = "填写了第二个阈值，请选择比较方式"
    if spec.effect not in EFFECTS:
        errors["结果"] = "应为以下之一：" + "、".join(EFFECTS)
    points = spec.effect in ("扣分", "加分")
    basis = POINTS if points else spec.basis
    if not points and basis not in MONEY_BASES:
        errors["计算方式"] = "应为 元 或 基本工资%"
    amount = None
    amount_label = {"元": "金额", "基本工资%": "比例"}.get(basis, "分值")
    try:
        if basis == "元":
            amount = parse_measure(spec.amount, "money", amount_label)
        else:
            amount = _parse_plain(spec.amount, amount_label)
        if amount <= 0:
            errors[amount_label] = "应大于 0"
        elif basis == "基本工资%" and amount > 100:
            errors[amount_label] = "不能大于 100%"
    except ValidationError as exc:
        errors.update(exc.errors)
    per = bool(spec.per_occurrence)
    if per and metric is not None and not metric.countable:
        errors["按次计算"] = f"“{metric.label}”不是次数，不能按次计算"
    post_id = None
    if spec.post:
        try:
            post_id = _post_id(session, spec.post, "适用岗位")
        except ValidationError as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationError(errors)
    return {**values, "metric": spec.metric, "op": spec.op, "threshold": threshold, "use_target": use_target,
            "op2": op2, "threshold2": threshold2, "effect": spec.effect, "basis": basis, "amount": amount,
            "per_occurrence": per, "post_id": post_id, "active": bool(spec.active)}


def _parse_plain(raw: Any, label: str) -> Decimal:
    """A percentage of salary or a number of points: up to 2 decimals."""
    text = str(raw if raw is not None else "").strip().rstrip("%").strip()
    if not re.fullmatch(r"\d+(\.\d{1,2})?", text):
        raise ValidationError({label: "应为数字，最多两位小数"})
    try:
        return parse_fixed(text, places=2).quantize(PLACES4)  # the shared bounds: 10**21 is refused, not overflowed
    except FieldError as exc:
        raise ValidationError({label: str(exc)}) from None


def create_rule(*, actor: Actor, spec: RuleSpec) -> int:
    """Add a reward or penalty rule; returns its id."""
    require(actor, "appraisal.rules")
    with unit_of_work() as uow:
        s = uow.session
        values = _rule_values(s, spec)
        row = AppraisalRule(**values)
        s.add(row)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"规则名称已存在：{values['name']}") from exc
        audit.record(s, actor, "create", "appraisal_rules", row.id, None, _rule_audit(s, row))
        uow.commit()
        return row.id


def update_rule(*, actor: Actor, rule_id: int, version: int, spec: RuleSpec) -> None:
    """Change a rule (the next drafts use it; approved scorecards keep what they were built with)."""
    require(actor, "appraisal.rules")
    with unit_of_work() as uow:
        s = uow.session
        row = s.get(AppraisalRule, rule_id)
        if row is None:
            raise NotFound("没有这条规则")
        if row.version != version:
            raise StaleEdit()
        values = _rule_values(s, spec)
        before = _rule_audit(s, row)
        for k, v in values.items():
            setattr(row, k, v)
        try:
            s.flush()
        except IntegrityError as exc:
            raise Conflict(f"规则名称已存在：{values['name']}") from exc
        after = _rule_audit(s, row)
        if before != after:
            audit.record(s, actor, "update", "appraisal_rules", row.id, before, after)
        uow.commit()


def _rule_audit(session: Session, row: AppraisalRule) -> dict[str, str]:
    view = _view(row, metrics(session), _post_names(session))
    return {"名称": view.name, "岗位": view.post or "全部", "条件": view.condition, "结果": view.consequence,
            "启用": "是" if view.active else "否"}


def _post_names(session: Session) -> dict[int, str]:
    return {post_id: name for name, post_id in post_ids(session).items()}


def _view(row: AppraisalRule, known: Mapping[str, Metric], post_names: Mapping[int, str]) -> RuleView:
    metric = known.get(row.metric) or Metric(row.metric, row.metric, "count", "", "指标")
    post = post_names.get(row.post_id, "") if row.post_id is not None else ""
    return RuleView(row.id, row.version, row.name, post, row.metric, metric.label, row.op, row.threshold,
                    row.use_target, row.op2, row.threshold2, row.effect, row.basis, row.amount, row.per_occurrence,
                    row.note, row.active, condition_text(row, metric), consequence_text(row))


def condition_text(rule: Any, metric: Metric, target: Decimal | None = None) -> str:
    """'迟到次数 ≥ 1 且 ≤ 2', '收缴率 ≥ 目标（95.00%）'."""
    if rule.use_target:
        first = f"{metric.label} {OP_TEXT[rule.op]} 目标" + (
            f"（{show_value(metric.kind, target, metric.unit)}）" if target is not None else "")
    else:
        first = f"{metric.label} {OP_TEXT[rule.op]} {show_value(metric.kind, rule.threshold, metric.unit)}"
    if rule.op2:
        first += f" 且 {OP_TEXT[rule.op2]} {show_value(metric.kind, rule.threshold2, metric.unit)}"
    return first


def consequence_text(rule: Any) -> str:
    """'每次扣基本工资的 5%', '奖励 500.00 元', '扣 5 分'."""
    each = "每次" if rule.per_occurrence else ""
    if rule.basis == POINTS:
        verb = "扣" if rule.effect == "扣分" else "加"
        return f"{each}{verb} {rule.amount.normalize():f} 分"
    verb = "扣" if rule.effect == "扣款" else "奖励"
    if rule.basis == "基本工资%":
        return f"{each}{verb}基本工资的 {rule.amount.normalize():f}%"
    return f"{each}{verb} {rule.amount.quantize(CENT):,} 元"


def list_rules(*, actor: Actor, include_inactive: bool = True) -> list[RuleView]:
    """Every rule with its condition and effect in words, active first, then by post and name."""
    require(actor, "appraisal.view")
    with read_session() as s:
        known, names = metrics(s), _post_names(s)
        stmt = select(AppraisalRule).order_by(AppraisalRule.active.desc(), AppraisalRule.post_id.is_not(None),
                                              AppraisalRule.post_id, AppraisalRule.id)
        if not include_inactive:
            stmt = stmt.where(AppraisalRule.active.is_(True))
        return [_view(r, known, names) for r in s.scalars(stmt)]


@dataclass(frozen=True)
class ActiveRule:
    """A rule as the appraisal applies it (a value, not a live row)."""

    name: str
    post_id: int | None  # None: every post
    metric: str
    op: str
    threshold: Decimal | None
    use_target: bool
    op2: str
    threshold2: Decimal | None
    effect: str
    basis: str
    amount: Decimal
    per_occurrence: bool

    def applies_to(self, post_id: int | None) -> bool:
        return self.post_id is None or self.post_id == post_id


def active_rules_in(session: Session) -> list[ActiveRule]:
    """The active rules, oldest first (inside the caller's session)."""
    return [ActiveRule(r.name, r.post_id, r.metric, r.op, r.threshold, r.use_target, r.op2, r.threshold2, r.effect,
                       r.basis, r.amount, r.per_occurrence)
            for r in session.scalars(select(AppraisalRule).where(AppraisalRule.active.is_(True))
                                     .order_by(AppraisalRule.id))]


# --- evaluation ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RuleResult:
    """What one rule did on one scorecard (or why it did nothing), in words and figures."""

    rule: str
    metric: str
    category: str  # 考勤 / 奖惩 / 指标
    triggered: bool
    effect: str
    money: Decimal  # + reward, - deduction (0 for points or not triggered)
    points: Decimal  # + or - points
    explanation: str
    lateness: bool = False

    def as_dict(self) -> dict[str, str | bool]:
        return {"rule": self.rule, "metric": self.metric, "category": self.category, "triggered": self.triggered,
                "effect": self.effect, "money": str(self.money), "points": str(self.points),
                "explanation": self.explanation, "lateness": self.lateness}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> RuleResult:
        return cls(d["rule"], d["metric"], d["category"], bool(d["triggered"]), d["effect"], Decimal(d["money"]),
                   Decimal(d["points"]), d["explanation"], bool(d.get("lateness")))


def _compare(value: Decimal, op: str, threshold: Decimal) -> bool:
    return {">": value > threshold, ">=": value >= threshold, "<": value < threshold, "<=": value <= threshold,
            "=": value == threshold}[op]


def evaluate(rule: Any, metric: Metric, value: Decimal | int | None, *, target: Decimal | None,
             base_salary: Decimal) -> RuleResult | None:
    """Apply one rule to a metric's value; None when the rule does not apply (no value, or no target)."""
    if value is None:
        return None
    threshold = target if rule.use_target else rule.threshold
    if threshold is None:
        return None
    number = Decimal(value)
    shown = show_value(metric.kind, number, metric.unit)
    condition = condition_text(rule, metric, target)
    holds = _compare(number, rule.op, threshold) and (not rule.op2 or _compare(number, rule.op2, rule.threshold2))
    lateness = rule.metric in LATENESS_METRICS
    if not holds:
        return RuleResult(rule.name, metric.label, metric.category, False, rule.effect, Decimal("0.00"),
                          Decimal("0.00"), f"{metric.label} {shown}，不满足“{condition}”，不适用", lateness)
    times = int(number) if rule.per_occurrence else 1
    sign = -1 if rule.effect in ("扣款", "扣分") else 1
    if rule.basis == POINTS:
        points = (rule.amount * times).quantize(CENT, rounding=ROUND_HALF_UP)
        how = f"{consequence_text(rule)}" + (f"，{rule.amount.normalize():f} × {times} = {points:f} 分"
                                             if rule.per_occurrence else "")
        return RuleResult(rule.name, metric.label, metric.category, True, rule.effect, Decimal("0.00"),
                          sign * points, f"{metric.label} {shown}，满足“{condition}”：{how}", lateness)
    if rule.basis == "基本工资%":
        money = (base_salary * rule.amount / 100 * times).quantize(CENT, rounding=ROUND_HALF_UP)
        formula = f"{base_salary:,.2f} × {rule.amount.normalize():f}%" + (f" × {times}" if rule.per_occurrence else "")
    else:
        money = (rule.amount * times).quantize(CENT, rounding=ROUND_HALF_UP)
        formula = f"{rule.amount:,.2f}" + (f" × {times}" if rule.per_occurrence else "")
    how = f"{consequence_text(rule)}，{formula} = {money:,.2f} 元"
    return RuleResult(rule.name, metric.label, metric.category, True, rule.effect, sign * money, Decimal("0.00"),
                      f"{metric.label} {shown}，满足“{condition}”：{how}", lateness)
