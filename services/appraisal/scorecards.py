"""Monthly scorecards 月度考核表: built from the month's figures, submitted, approved, then frozen.

Invariants and decisions:
- a scorecard holds a snapshot of everything it used: each KPI's value, target, weight and achievement,
  the attendance figures, the incidents, every rule's result in words; the totals are columns (sortable);
- `build_drafts` (the console's 生成考核表 and `propdesk appraise`) creates the missing cards of a month and
  recomputes cards still 草稿; a card 已提交 or 已审批 is never recomputed, so an approved card does not change
  when tickets, payments, attendance, incidents or rules change later. Reopening an approved card (重新打开)
  needs a reason, is audited, and returns it to 草稿 so the next build recomputes it;
- figures are taken at the month's last instant (KPI.md: month-end reports), or now while the month runs;
- who is appraised: members of staff marked 参与考核 who were employed during the month (入职日期 on or
  before its last day, no 离职日期 or one on or after its first day);
- scoring: a KPI with a value scores its weight x achievement, where achievement is value/target capped at
  1 for 越高越好 (a zero target is always met) and target/value for 越低越好 (1 when value <= target; 0 when the
  target is 0 and the value is not). KPIs without data this month (None, e.g. no repairs handled) are left
  out and the other weights count in proportion. 加权得分 = sum(weight x achievement) / sum(weights scored) x
  100; 总分 = 加权得分 + the points of 加分/扣分 rules. Money results are added up by source: 考勤 (of which
  迟到), 奖惩, 指标; 奖励 separately;
- a card is complete when it has 考核评语, a weighted score, and, if the person had working days in the
  month, attendance recorded; submitting and approving refuse an incomplete card and say what is missing.
  Nobody approves their own scorecard;
- a member of staff sees their own card once it is submitted; a manager sees their department's cards; the
  admin sees all (services.appraisal.staff.staff_scope). Ranks are among the cards the reader sees.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal, cast

import pandas as pd
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from db.engine import read_session, unit_of_work
from db.models import Scorecard, Staff, User
from db.types import utcnow
from services import kpi
from services.appraisal.rules import (
    CENTRE,
    KPI_CATALOG,
    LOWER,
    KpiDef,
    PostKpiRow,
    RuleResult,
    active_rules_in,
    evaluate,
    metrics,
    post_kpis_in,
    show_value,
)
from services.appraisal.staff import (
    AttendanceFigures,
    StaffInfo,
    attendance_days,
    attendance_figures,
    incident_counts,
    incidents_of,
    staff_infos,
    staff_scope,
)
from services.platform import audit
from services.platform.auth import Actor, can, require
from services.platform.clock import to_local
from services.platform.counters import advance
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleEdit, ValidationError
from services.platform.excel import excel_workbook
from services.platform.listing import MAX_PAGE_SIZE, ListQuery
from services.platform.validate import FieldError, parse_text
from services.relations import visits
from services.tickets.workdays import WorkCalendar

DRAFT, SUBMITTED, APPROVED = "草稿", "已提交", "已审批"
NOT_BUILT = "未生成"
STATUSES = (DRAFT, SUBMITTED, APPROVED)
CENT = Decimal("0.01")
PLACES4 = Decimal("0.0001")
ZERO = Decimal("0.00")


def _period(text: str | kpi.Period) -> kpi.Period:
    if isinstance(text, kpi.Period):
        return text
    try:
        return kpi.Period.parse(text)
    except ValueError as exc:
        raise ValidationError({"月份": str(exc)}) from exc


# --- one card's figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class KpiLine:
    """One KPI on a scorecard, as it was when the card was built."""

    key: str
    label: str
    kind: str
    scope: str
    value: Decimal | int | None
    target: Decimal
    weight: int
    direction: str
    achievement: Decimal | None  # 0..1, None when there was no data

    @property
    def shown_value(self) -> str:
        return show_value(self.kind, self.value, "件")

    @property
    def shown_target(self) -> str:
        return show_value(self.kind, self.target, "件")

    @property
    def score(self) -> Decimal | None:
        """Weight x achievement (points out of the weight), or None without data."""
        if self.achievement is None:
            return None
        return (self.achievement * self.weight).quantize(CENT, rounding=ROUND_HALF_UP)

    def as_dict(self) -> dict[str, Any]:
        return {"key": self.key, "label": self.label, "kind": self.kind, "scope": self.scope,
                "value": None if self.value is None else str(self.value), "target": str(self.target),
                "weight": self.weight, "direction": self.direction,
                "achievement": None if self.achievement is None else str(self.achievement)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> KpiLine:
        value = None if d["value"] is None else (int(d["value"]) if d["kind"] == "count" else Decimal(d["value"]))
        return cls(d["key"], d["label"], d["kind"], d["scope"], value, Decimal(d["target"]), int(d["weight"]),
                   d["direction"], None if d["achievement"] is None else Decimal(d["achievement"]))


def achievement(value: Decimal | int | None, target: Decimal, direction: str) -> Decimal | None:
    """How far a KPI met its target, 0..1 (see the module docstring); None without a value."""
    if value is None:
        return None
    v = Decimal(value)
    if direction == LOWER:
        if v <= target:
            return Decimal("1.0000")
        return (target / v).quantize(PLACES4, rounding=ROUND_HALF_UP) if target > 0 else Decimal("0.0000")
    if target <= 0 or v >= target:
        return Decimal("1.0000")
    return max(Decimal(0), v / target).quantize(PLACES4, rounding=ROUND_HALF_UP)


def weighted_score(lines: Sequence[KpiLine]) -> Decimal | None:
    """Sum(weight x achievement) / sum(weights with data) x 100, to 2 places; None when no KPI has data."""
    scored = [line for line in lines if line.achievement is not None]
    weights = sum(line.weight for line in scored)
    if not weights:
        return None
    # `scored` keeps only the lines with an achievement
    total = sum((cast(Decimal, line.achievement) * line.weight for line in scored), Decimal(0))
    return (total / weights * 100).quantize(CENT, rounding=ROUND_HALF_UP)


# whose tickets a person's ticket figures count, by KpiDef.source: the tickets their user accounts handled (处理人)
# or took (首问责任人); otherwise ("ruled") the complaints ruled naming the person (staff id)
_TICKET_GROUP_OF_SOURCE = {"handled": "assignee", "taken": "first_responder"}


@dataclass
class _Figures:
    """The figures of one build, computed once per (source, whose) and shared by every card of the build.

    Per-person figures come from one grouped computation per source (every collector's fee figures; every user
    account's or ruled staff member's ticket counts), not one computation per person. A person with several user
    accounts gets the sum of their accounts' numerators and denominators, then the rate: exactly what one
    TicketScope over all their accounts counts (a ticket has one assignee and one first responder)."""

    period: kpi.Period
    as_of: datetime
    users_of: dict[int, tuple[int, ...]]
    cache: dict[tuple[str, int | str], Mapping[str, Decimal | int | None]] = field(default_factory=dict)
    by_collector: Mapping[int | None, Mapping[str, Decimal | None]] | None = None
    by_ticket_group: dict[str, Mapping[int | None, kpi.TicketCounts]] = field(default_factory=dict)

    def value(self, kpi_def: KpiDef, scope: str, staff_id: int) -> Decimal | int | None:
        whose: int | Literal["all"] = "all" if scope == CENTRE else staff_id
        if kpi_def.source == "fee":
            key = ("fee", whose)
        else:  # the centre's ticket figures are one computation whichever way a person's would be scoped
            key = ("ticket", "all") if whose == "all" else (kpi_def.source, whose)
        if key not in self.cache:
            self.cache[key] = self._compute(kpi_def.source, whose)
        figures = self.cache[key]
        if kpi_def.figure == "prior_years_collected" and not figures.get("prior_arrears"):
            return None  # nothing was owed from before the month: no data, not a zero (it would cost the weight)
        return figures.get(kpi_def.figure)

    def _compute(self, source: str, whose: int | Literal["all"]) -> Mapping[str, Decimal | int | None]:
        if source == "visits":  # a person's visits are those of their (first) account: plans are assigned to users
            user = None if whose == "all" else next(iter(self.users_of.get(whose, ())), None)
            if whose != "all" and user is None:
                return {"visit_completion": None, "face_to_face_share": None}
            return {"visit_completion": kpi.visit_completion(period=self.period, staff_user_id=user),
                    "face_to_face_share": kpi.face_to_face_share(period=self.period, staff_user_id=user)}
        if source == "fee":
            if whose == "all":
                return kpi.fee_kpis(self.period, as_of=self.as_of)
            if self.by_collector is None:  # every collector's figures at once, the first time one is asked for
                self.by_collector = kpi.fee_kpis_by(self.period, by="collector", as_of=self.as_of)
            return self.by_collector.get(whose) or kpi.empty_fee_kpis()
        if whose == "all":
            return kpi.ticket_kpis(self.period, as_of=self.as_of)
        by = _TICKET_GROUP_OF_SOURCE.get(source, "ruling_staff")
        if by not in self.by_ticket_group:  # every account's (staff member's) counts at once, the first time
            self.by_ticket_group[by] = kpi.ticket_counts_by(self.period, by=by, as_of=self.as_of)
        counts = self.by_ticket_group[by]
        ids = (whose,) if by == "ruling_staff" else self.users_of.get(whose, ())
        return sum((counts.get(i, kpi.TicketCounts()) for i in ids), kpi.TicketCounts()).figures()

    def ticket_scope(self, source: str, whose: int | Literal["all"]) -> kpi.TicketScope | None:
        if whose == "all":
            return None
        users = self.users_of.get(whose, ())
        if source == "handled":
            return kpi.TicketScope(assignee_ids=users)
        if source == "taken":
            return kpi.TicketScope(first_responder_ids=users)
        return kpi.TicketScope(ruling_staff_id=whose)


@dataclass(frozen=True)
class CardData:
    """A computed scorecard, before it is written."""

    info: StaffInfo
    kpis: tuple[KpiLine, ...]
    attendance: dict[str, Any]  # the figures (int) and "days" (the day rows)
    incidents: tuple[dict[str, Any], ...]
    rules: tuple[RuleResult, ...]
    weighted_score: Decimal | None
    points: Decimal
    score: Decimal | None
    lateness_deduction: Decimal
    attendance_deduction: Decimal
    incident_deduction: Decimal
    kpi_deduction: Decimal
    reward: Decimal


def _users_of(session: Session, staff_ids: Sequence[int]) -> dict[int, tuple[int, ...]]:
    out: dict[int, list[int]] = {}
    for user_id, staff_id in session.execute(select(User.id, User.staff_id).where(User.staff_id.in_(list(staff_ids)))):
        out.setdefault(cast(int, staff_id), []).append(user_id)  # not None: selected by staff_id IN (...)
    return {k: tuple(v) for k, v in out.items()}


def _working_days(calendar: WorkCalendar, info: StaffInfo, first: date, last: date) -> int:
    days = 0
    day = first
    while day <= last:
        if calendar.is_workday(day) and info.employed_on(day):
            days += 1
        day = date.fromordinal(day.toordinal() + 1)
    return days


def compute_cards(infos: Sequence[StaffInfo], period: kpi.Period, as_of: datetime) -> dict[int, CardData]:
    """Every figure, incident and rule result of the month for each person (reads only)."""
    first, last = period.start.date(), min(period.last_instant, as_of).astimezone(period.start.tzinfo).date()
    calendar = WorkCalendar.load(first, period.last_instant.date())
    with read_session() as s:
        ids = [i.id for i in infos]
        figures = _Figures(period, as_of, _users_of(s, ids))
        known = metrics(s)
        rules = active_rules_in(s)
        post_kpis = {post_id: post_kpis_in(s, post_id) for post_id in {i.post_id for i in infos}}
        attendance = attendance_figures(s, ids, period)
        days = {i.id: attendance_days(s, i.id, period) for i in infos}
        counts = incident_counts(s, ids, period)
        incident_rows = {i.id: [d for d in incidents_of(s, i.id, period) if not d["withdrawn"]] for i in infos}
    cards = {}
    for info in infos:
        lines = tuple(_kpi_line(row, figures.value(KPI_CATALOG[row.kpi], row.scope, info.id)) for row in post_kpis[
            info.post_id])
        att = attendance.get(info.id, AttendanceFigures())
        att_dict = {**att.as_dict(), "working_days": _working_days(calendar, info, first, last) if first <= last else 0,
                    "days": [_day_snapshot(d) for d in days[info.id].to_dict("records")]}
        results = []
        for rule in rules:
            if not rule.applies_to(info.post_id):
                continue
            metric = known.get(rule.metric)
            if metric is None:
                continue
            value, target = _metric_value(rule.metric, info, lines, att, counts.get(info.id, {}), figures)
            result = evaluate(rule, metric, value, target=target, base_salary=info.base_salary)
            if result is not None:
                results.append(result)
        cards[info.id] = _totals(info, lines, att_dict, tuple(_incident_snapshot(r) for r in incident_rows[info.id]),
                                 tuple(results))
    return cards


def _kpi_line(row: PostKpiRow, value: Decimal | int | None) -> KpiLine:
    return KpiLine(row.kpi, row.label, row.kind, row.scope, value, row.target, row.weight, row.direction,
                   achievement(value, row.target, row.direction))


def _metric_value(code: str, info: StaffInfo, lines: Sequence[KpiLine], att: AttendanceFigures,
                  counts: dict[int, int], figures: _Figures) -> tuple[Decimal | int | None, Decimal | None]:
    """The value a rule reads, and the post's target when the metric is one of the post's KPIs.

    A rule reads the person's own figure (the catalog's 本人), also when the post is scored on the whole
    centre's (全中心): a 客服主管 is fined for the effective complaints naming him, not for everybody's."""
    kind, key = code.split(":", 1)
    if kind == "att":
        return getattr(att, key), None
    if kind == "inc":
        return counts.get(int(key), 0), None
    line = next((x for x in lines if x.key == key), None)
    if line is not None and line.scope != CENTRE:
        return line.value, line.target
    return figures.value(KPI_CATALOG[key], "本人", info.id), None if line is None else line.target


def _day_snapshot(d: dict[str, Any]) -> dict[str, Any]:
    return {**d, "day": d["day"].isoformat(), "absent": bool(d["absent"]), "late_minutes": int(d["late_minutes"]),
            "early_minutes": int(d["early_minutes"])}


def _incident_snapshot(d: dict[str, Any]) -> dict[str, Any]:
    return {"day": d["day"].isoformat(), "type": d["type"], "kind": d["kind"], "note": d["note"],
            "recorded_by": d["recorded_by"]}


def _totals(info: StaffInfo, lines: tuple[KpiLine, ...], att: dict[str, Any],
            incidents: tuple[dict[str, Any], ...], results: tuple[RuleResult, ...]) -> CardData:
    fired = [r for r in results if r.triggered]
    deduction: Callable[[Callable[[RuleResult], bool]], Decimal] = (  # noqa: E731
        lambda pick: -sum((r.money for r in fired if r.money < 0 and pick(r)), ZERO))
    weighted = weighted_score(lines)
    points = sum((r.points for r in fired), ZERO)
    return CardData(
        info=info, kpis=lines, attendance=att, incidents=incidents, rules=results, weighted_score=weighted,
        points=points, score=None if weighted is None else weighted + points,
        lateness_deduction=deduction(lambda r: r.lateness),
        attendance_deduction=deduction(lambda r: r.category == "考勤"),
        incident_deduction=deduction(lambda r: r.category == "奖惩"),
        kpi_deduction=deduction(lambda r: r.category == "指标"),
        reward=sum((r.money for r in fired if r.money > 0), ZERO),
    )


# --- building drafts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class BuildResult:
    period: str
    created: int
    refreshed: int
    kept: int  # submitted or approved: left as they are
    skipped: tuple[str, ...] = ()  # who was not appraised, and why


def eligible_staff(session: Session, period: kpi.Period, scope: frozenset[int] | None) -> list[StaffInfo]:
    """The staff appraised for the month within a scope: 参与考核 and employed during the month."""
    first, last = period.start.date(), period.last_instant.date()
    infos = [i for i in staff_infos(session) if i.appraised and i.employed_within(first, last)
             and (i.active or i.left_on is not None)]
    return [i for i in infos if scope is None or i.id in scope]


def build_drafts(*, actor: Actor, period: str, staff_ids: Sequence[int] | None = None,
                 now: datetime | None = None) -> BuildResult:
    """Create the month's missing scorecards and recompute the drafts (草稿) in scope; others stay as they are."""
    require(actor, "appraisal.manage")
    p = _period(period)
    now = now or utcnow()
    if p.start > now:
        raise ValidationError({"月份": f"{p.label} 还没有开始，不能考核"})
    as_of = min(p.last_instant, now)
    scope = staff_scope(actor)
    with read_session() as s:
        infos = eligible_staff(s, p, scope)
        if staff_ids is not None:
            wanted = set(staff_ids)
            infos = [i for i in infos if i.id in wanted]
        states = dict(s.execute(select(Scorecard.staff_id, Scorecard.status).where(Scorecard.period == p.label)).all())
    todo = [i for i in infos if states.get(i.id, DRAFT) == DRAFT]
    cards = compute_cards(todo, p, as_of)
    created = refreshed = 0
    kept = len(infos) - len(todo)
    with unit_of_work() as uow:
        s = uow.session
        # Serialises builds of one month: a second build waits here until the first commits, then finds its
        # cards (and refreshes the drafts) instead of inserting them again.
        advance(s, f"appraisal:{p.label}")
        try:
            for info in todo:
                row = s.scalar(select(Scorecard).where(Scorecard.staff_id == info.id, Scorecard.period == p.label)
                               .with_for_update())
                if row is not None and row.status != DRAFT:  # submitted meanwhile
                    kept += 1
                    continue
                if row is None:
                    row = Scorecard(staff_id=info.id, period=p.label, status=DRAFT, comments="")
                    s.add(row)
                    created += 1
                else:
                    refreshed += 1
                _write(row, cards[info.id], as_of, actor, now)
            s.flush()
        except IntegrityError as exc:  # the autoflush of the next card's query raises it too
            raise Conflict("另一位同事正在生成同月的考核表，请稍后重试") from exc
        if created or refreshed:
            audit.record(s, actor, "build", "scorecards", p.label, None,
                         {"月份": p.label, "新建": created, "重算草稿": refreshed, "未变（已提交或已审批）": kept})
        uow.commit()
    return BuildResult(p.label, created, refreshed, kept)


def _write(row: Scorecard, card: CardData, as_of: datetime, actor: Actor, now: datetime) -> None:
    info = card.info
    row.department = info.department
    row.post = info.post
    row.base_salary = info.base_salary
    row.as_of = as_of
    row.kpis_json = json.dumps([line.as_dict() for line in card.kpis], ensure_ascii=False)
    row.attendance_json = json.dumps(card.attendance, ensure_ascii=False)
    row.incidents_json = json.dumps(list(card.incidents), ensure_ascii=False)
    row.rules_json = json.dumps([r.as_dict() for r in card.rules], ensure_ascii=False)
    row.weighted_score = card.weighted_score
    row.points = card.points
    row.score = card.score
    row.late_count = card.attendance.get("late_count", 0)
    row.lateness_deduction = card.lateness_deduction
    row.attendance_deduction = card.attendance_deduction
    row.incident_deduction = card.incident_deduction
    row.kpi_deduction = card.kpi_deduction
    row.reward = card.reward
    row.built_at = now
    row.built_by = actor.display_name


# --- reading cards -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ScorecardView:
    id: int
    version: int
    staff_id: int
    staff_no: str
    name: str
    department: str
    post: str
    period: str
    status: str
    base_salary: Decimal
    as_of: datetime
    kpis: tuple[KpiLine, ...]
    attendance: dict[str, Any]  # the figures (int) and "days" (the day rows)
    incidents: tuple[dict[str, Any], ...]
    rules: tuple[RuleResult, ...]
    weighted_score: Decimal | None
    points: Decimal
    score: Decimal | None
    late_count: int
    lateness_deduction: Decimal
    attendance_deduction: Decimal
    incident_deduction: Decimal
    kpi_deduction: Decimal
    reward: Decimal
    comments: str
    built_at: datetime
    built_by: str
    submitted_at: datetime | None
    submitted_by: str
    approved_at: datetime | None
    approved_by: str
    reopen_count: int

    @property
    def deductions(self) -> Decimal:
        return self.attendance_deduction + self.incident_deduction + self.kpi_deduction

    @property
    def net(self) -> Decimal:
        """Rewards less deductions: what the month adds to (or takes from) the pay."""
        return self.reward - self.deductions

    @property
    def missing(self) -> tuple[str, ...]:
        """What keeps the card from being submitted or approved."""
        problems = []
        if not self.comments.strip():
            problems.append("未填写考核评语")
        if self.weighted_score is None:
            problems.append(f"没有可计分的考核指标（岗位“{self.post}”未设置指标，或各指标本月均无数据）")
        if self.attendance.get("working_days", 0) > 0 and self.attendance.get("recorded_days", 0) == 0:
            problems.append("本月考勤未录入")
        return tuple(problems)


def _view(row: Scorecard, staff: Staff) -> ScorecardView:
    return ScorecardView(
        row.id, row.version, row.staff_id, staff.staff_no, staff.name, row.department, row.post, row.period,
        row.status, row.base_salary, to_local(row.as_of),
        tuple(KpiLine.from_dict(d) for d in json.loads(row.kpis_json)), json.loads(row.attendance_json),
        tuple(json.loads(row.incidents_json)), tuple(RuleResult.from_dict(d) for d in json.loads(row.rules_json)),
        row.weighted_score, row.points, row.score, row.late_count, row.lateness_deduction, row.attendance_deduction,
        row.incident_deduction, row.kpi_deduction, row.reward, row.comments, to_local(row.built_at), row.built_by,
        to_local(row.submitted_at) if row.submitted_at else None, row.submitted_by,
        to_local(row.approved_at) if row.approved_at else None, row.approved_by, row.reopen_count)


def _may_read(actor: Actor, row: Scorecard, scope: frozenset[int] | None) -> bool:
    if can(actor, "appraisal.manage") and (scope is None or row.staff_id in scope):
        return True
    return actor.staff_id == row.staff_id and row.status != DRAFT


def scorecard(*, actor: Actor, card_id: int) -> ScorecardView:
    """One scorecard with its snapshot, if the actor may read it."""
    require(actor, "appraisal.view")
    with read_session() as s:
        row = s.get(Scorecard, card_id)
        if row is None or not _may_read(actor, row, staff_scope(actor)):
            raise NotFound("没有这张考核表，或无权查看")
        return _view(row, cast(Staff, s.get(Staff, row.staff_id)))  # scorecards.staff_id is a foreign key


def own_scorecards(*, actor: Actor) -> list[tuple[int, str, str]]:
    """(card id, period, status) of the actor's own submitted or approved cards, newest first."""
    require(actor, "appraisal.view")
    if actor.staff_id is None:
        return []
    with read_session() as s:
        return [cast(tuple[int, str, str], tuple(r))
                for r in s.execute(select(Scorecard.id, Scorecard.period, Scorecard.status)
                                   .where(Scorecard.staff_id == actor.staff_id, Scorecard.status != DRAFT)
                                   .order_by(Scorecard.period.desc()))]


MONTH_COLUMNS = ("card_id", "version", "staff_id", "staff_no", "name", "department", "post", "status", "score",
                 "rank", "weighted_score", "points", "late_count", "lateness_deduction", "attendance_deduction",
                 "incident_deduction", "kpi_deduction", "reward", "net", "missing")


def awaiting_approval(*, actor: Actor) -> int:
    """Scorecards submitted and waiting for the actor's approval (in the actor's department scope)."""
    require(actor, "appraisal.view")
    if not can(actor, "appraisal.approve"):
        return 0
    scope = staff_scope(actor)
    with read_session() as s:
        stmt = select(func.count()).select_from(Scorecard).where(Scorecard.status == SUBMITTED)
        if scope is not None:
            stmt = stmt.where(Scorecard.staff_id.in_(sorted(scope) or [0]))
        return int(s.scalar(stmt) or 0)


def month_view(*, actor: Actor, period: str) -> pd.DataFrame:
    """Every appraised person's card of the month in the actor's view: score, rank, deductions, rewards.
    People due a card that has not been built yet are listed as 未生成. Ranks: 1, 2, 2, 4 by 总分."""
    require(actor, "appraisal.view")
    p = _period(period)
    managing = can(actor, "appraisal.manage")
    scope = staff_scope(actor) if managing else frozenset({actor.staff_id} if actor.staff_id else ())
    with read_session() as s:
        stmt = select(Scorecard, Staff).join(Staff, Staff.id == Scorecard.staff_id).where(Scorecard.period == p.label)
        if scope is not None:
            stmt = stmt.where(Scorecard.staff_id.in_(sorted(scope)))
        if not managing:
            stmt = stmt.where(Scorecard.status != DRAFT)
        cards = [_view(row, staff) for row, staff in s.execute(stmt)]
        due = eligible_staff(s, p, scope) if managing else []
    rows: list[dict[str, Any]] = [
        {"card_id": c.id, "version": c.version, "staff_id": c.staff_id, "staff_no": c.staff_no,
         "name": c.name, "department": c.department, "post": c.post, "status": c.status, "score": c.score,
         "weighted_score": c.weighted_score, "points": c.points, "late_count": c.late_count,
         "lateness_deduction": c.lateness_deduction, "attendance_deduction": c.attendance_deduction,
         "incident_deduction": c.incident_deduction, "kpi_deduction": c.kpi_deduction, "reward": c.reward,
         "net": c.net, "missing": "；".join(c.missing)} for c in cards]
    built = {c.staff_id for c in cards}
    rows += [{"card_id": None, "version": None, "staff_id": i.id, "staff_no": i.staff_no, "name": i.name,
              "department": i.department, "post": i.post, "status": NOT_BUILT, "score": None,
              "weighted_score": None, "points": None, "late_count": None, "lateness_deduction": None,
              "attendance_deduction": None, "incident_deduction": None, "kpi_deduction": None, "reward": None,
              "net": None, "missing": ""} for i in due if i.id not in built]
    scores = [r["score"] for r in rows if r["score"] is not None]
    for r in rows:
        r["rank"] = None if r["score"] is None else 1 + sum(1 for x in scores if x > r["score"])
    rows.sort(key=lambda r: (r["rank"] is None, r["rank"] or 0, r["staff_no"]))
    return pd.DataFrame(rows, columns=list(MONTH_COLUMNS), dtype=object)


# --- moving a card along 草稿 -> 已提交 -> 已审批 ---------------------------------------------------------


def _locked(session: Session, actor: Actor, card_id: int, version: int) -> Scorecard:
    row = session.get(Scorecard, card_id, with_for_update=True)
    scope = staff_scope(actor)
    if row is None or (scope is not None and row.staff_id not in scope):
        raise NotFound("没有这张考核表，或无权处理")
    if row.version != version:
        raise StaleEdit("该考核表已被他人修改，请刷新后重试")
    return row


def _text(raw: str, label: str, max_len: int, *, required: bool = False) -> str:
    try:
        text = parse_text(raw, max_len=max_len)
    except FieldError as exc:
        raise ValidationError({label: str(exc)}) from exc
    if required and not text:
        raise ValidationError({label: "必须填写"})
    return text


def set_comments(*, actor: Actor, card_id: int, version: int, comments: str) -> None:
    """Write the manager's 考核评语 on a draft."""
    require(actor, "appraisal.manage")
    text = _text(comments, "考核评语", 1000)
    with unit_of_work() as uow:
        row = _locked(uow.session, actor, card_id, version)
        if row.status != DRAFT:
            raise Conflict(f"考核表{row.status}，不能修改评语；如需修改请先退回")
        before = row.comments
        row.comments = text
        uow.session.flush()
        if before != text:
            audit.record(uow.session, actor, "update", "scorecards", row.id, {"考核评语": before}, {"考核评语": text})
        uow.commit()


def submit(*, actor: Actor, card_id: int, version: int) -> None:
    """草稿 -> 已提交, when the card is complete."""
    require(actor, "appraisal.manage")
    with unit_of_work() as uow:
        s = uow.session
        row = _locked(s, actor, card_id, version)
        if row.status != DRAFT:
            raise Conflict(f"考核表{row.status}，不能再提交")
        missing = _view(row, cast(Staff, s.get(Staff, row.staff_id))).missing  # a foreign key: never None
        if missing:
            raise ValidationError({"考核表": "不完整，不能提交：" + "；".join(missing)})
        row.status = SUBMITTED
        row.submitted_at = utcnow()
        row.submitted_by = actor.display_name
        s.flush()
        audit.record(s, actor, "submit", "scorecards", row.id, {"状态": DRAFT}, {"状态": SUBMITTED})
        uow.commit()


def return_to_draft(*, actor: Actor, card_id: int, version: int, reason: str) -> None:
    """已提交 -> 草稿 (退回), with a reason."""
    require(actor, "appraisal.manage")
    text = _text(reason, "退回原因", 200, required=True)
    with unit_of_work() as uow:
        s = uow.session
        row = _locked(s, actor, card_id, version)
        if row.status != SUBMITTED:
            raise Conflict(f"考核表{row.status}，只有已提交的考核表可以退回")
        row.status = DRAFT
        s.flush()
        audit.record(s, actor, "return", "scorecards", row.id, {"状态": SUBMITTED}, {"状态": DRAFT, "原因": text})
        uow.commit()


def approve(*, actor: Actor, card_id: int, version: int) -> None:
    """已提交 -> 已审批: the card is frozen from now on."""
    require(actor, "appraisal.approve")
    with unit_of_work() as uow:
        s = uow.session
        row = _locked(s, actor, card_id, version)
        if actor.staff_id is not None and row.staff_id == actor.staff_id:
            raise PermissionDenied("审批自己的考核表（须由上级或另一位主管审批）")
        if row.status == APPROVED:
            raise Conflict("考核表已审批")
        if row.status != SUBMITTED:
            raise ValidationError({"考核表": "尚未提交，不完整的考核表不能审批"})
        missing = _view(row, cast(Staff, s.get(Staff, row.staff_id))).missing  # a foreign key: never None
        if missing:
            raise ValidationError({"考核表": "不完整，不能审批：" + "；".join(missing)})
        row.status = APPROVED
        row.approved_at = utcnow()
        row.approved_by = actor.display_name
        s.flush()
        audit.record(s, actor, "approve", "scorecards", row.id, {"状态": SUBMITTED},
                     {"状态": APPROVED, "总分": row.score, "奖励": row.reward,
                      "扣款": row.attendance_deduction + row.incident_deduction + row.kpi_deduction})
        uow.commit()


def reopen(*, actor: Actor, card_id: int, version: int, reason: str) -> None:
    """已审批 -> 草稿 (重新打开), audited with the reason; the next build recomputes it."""
    require(actor, "appraisal.approve")
    text = _text(reason, "重新打开原因", 200, required=True)
    with unit_of_work() as uow:
        s = uow.session
        row = _locked(s, actor, card_id, version)
        if row.status != APPROVED:
            raise Conflict(f"考核表{row.status}，只有已审批的考核表需要重新打开")
        if actor.staff_id is not None and row.staff_id == actor.staff_id:
            raise PermissionDenied("重新打开自己的考核表")
        before = {"状态": APPROVED, "审批人": row.approved_by, "总分": row.score}
        row.status = DRAFT
        row.reopen_count += 1
        row.approved_at = None
        row.approved_by = ""
        row.submitted_at = None
        row.submitted_by = ""
        s.flush()
        audit.record(s, actor, "reopen_scorecard", "scorecards", row.id, before,
                     {"状态": DRAFT, "原因": text, "第几次重新打开": row.reopen_count})
        uow.commit()


# --- evidence, trends, distribution ----------------------------------------------------------------------


def evidence(*, actor: Actor, card_id: int, key: str) -> pd.DataFrame:
    """What stands behind one line of a card: the attendance days and incidents as the card recorded them; the
    tickets or revisits behind a ticket KPI and the bills or payments behind a fee KPI, listed as of the card's
    moment (a record back-dated after approval would show here, never in the card's frozen figures)."""
    card = scorecard(actor=actor, card_id=card_id)
    p = kpi.Period.parse(card.period)
    if key in ("attendance", "incidents"):  # as the card was built: later edits do not move an approved card
        rows = card.attendance.get("days", []) if key == "attendance" else card.incidents
        columns = (["day", "late_minutes", "early_minutes", "absent", "leave_type", "note"] if key == "attendance"
                   else ["day", "type", "kind", "note", "recorded_by"])
        return pd.DataFrame([{**d, "day": date.fromisoformat(d["day"])} for d in rows], columns=columns, dtype=object)
    line = next((x for x in card.kpis if x.key == key), None)
    kpi_def = KPI_CATALOG.get(key)
    if kpi_def is None:
        raise NotFound("没有这个指标")
    scope = line.scope if line else "本人"
    with read_session() as s:
        figures = _Figures(p, card.as_of, _users_of(s, [card.staff_id]))
    whose: int | Literal["all"] = "all" if scope == CENTRE else card.staff_id
    if kpi_def.source == "fee":
        fee_scope = kpi.FeeScope() if whose == "all" else kpi.FeeScope(collector_staff_id=card.staff_id)
        return kpi.fee_kpi_evidence(p, kpi_def.figure, as_of=card.as_of, scope=fee_scope)
    if kpi_def.source == "visits":
        return _visit_evidence(actor, p, kpi_def.figure, figures, whose)
    figure = "effective_complaints" if kpi_def.source == "ruled" else kpi_def.figure
    return kpi.ticket_kpi_evidence(p, figure, as_of=card.as_of, scope=figures.ticket_scope(kpi_def.source, whose))


def _visit_evidence(actor: Actor, p: kpi.Period, figure: str, figures: _Figures,
                    whose: int | Literal["all"]) -> pd.DataFrame:
    """The plan rows of the month (访谈完成率) or the visits recorded in it (面访比例), of the person or everyone."""
    user = None if whose == "all" else next(iter(figures.users_of.get(whose, ())), None)
    if whose != "all" and user is None:
        return pd.DataFrame()
    query = ListQuery(page_size=MAX_PAGE_SIZE)
    if figure == "visit_completion":
        filters = {"planned_month": p.label, **({"assignee_id": user} if user is not None else {})}
        rows = visits.list_plan(actor=actor, year=int(p.label[:4]), query=replace(query, filters=filters)).rows
        return rows.drop(columns=["id", "version", "unit_id"])
    filters = {"month": p.label, "state": "有效", **({"visitor_id": user} if user is not None else {})}
    rows = visits.list_visits(actor=actor, query=replace(query, filters=filters)).rows
    return rows.drop(columns=["id", "version", "visitor_id", "withdrawn_reason", "state"])


def kpi_trend(*, actor: Actor, staff_id: int, months: Sequence[str]) -> pd.DataFrame:
    """A person's KPI values against target over the given months, from their scorecards (rates in percent,
    money in yuan, as floats for charts only): month, kpi, value, target, unit."""
    require(actor, "appraisal.view")
    managing = can(actor, "appraisal.manage")
    scope = staff_scope(actor)
    if not ((managing and (scope is None or staff_id in scope)) or actor.staff_id == staff_id):
        raise NotFound("无权查看这位员工的考核")
    with read_session() as s:
        stmt = select(Scorecard.period, Scorecard.kpis_json).where(Scorecard.staff_id == staff_id,
                                                                    Scorecard.period.in_(list(months)))
        if not (managing and (scope is None or staff_id in scope)):
            stmt = stmt.where(Scorecard.status != DRAFT)  # a person sees their own cards once submitted
        rows = s.execute(stmt.order_by(Scorecard.period)).all()
    out = []
    for period, text in rows:
        for d in json.loads(text):
            line = KpiLine.from_dict(d)
            if line.value is None:
                continue
            factor = 100 if line.kind == "rate" else 1
            out.append({"month": period, "kpi": line.label, "value": float(Decimal(line.value) * factor),
                        "target": float(line.target * factor), "unit": {"rate": "%", "money": "元"}.get(
                            line.kind, "件")})
    return pd.DataFrame(out, columns=["month", "kpi", "value", "target", "unit"])


def score_distribution(*, actor: Actor, period: str) -> pd.DataFrame:
    """The month's scores by department (for the distribution chart): department, name, score, status."""
    frame = month_view(actor=actor, period=period)
    frame = frame[[v is not None for v in frame["score"]]]
    return pd.DataFrame({"department": frame["department"], "name": frame["name"],
                         "score": [float(v) for v in frame["score"]], "status": frame["status"]})


# --- the command line ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CardSummary:
    """One card of `propdesk appraise`: money as 2-decimal strings, scores as 2-decimal strings or None (the form
    its --json prints)."""

    staff_no: str
    name: str
    department: str
    post: str
    status: str
    late_count: int
    lateness_deduction: str
    attendance_deduction: str
    incident_deduction: str
    kpi_deduction: str
    reward: str
    weighted_score: str | None
    points: str
    score: str | None


def appraise(*, actor: Actor, period: str) -> list[CardSummary]:
    """`propdesk appraise`: build the month's drafts, then every card of the month as plain values."""
    build_drafts(actor=actor, period=period)
    p = _period(period)
    with read_session() as s:
        rows = s.execute(select(Scorecard, Staff).join(Staff, Staff.id == Scorecard.staff_id)
                         .where(Scorecard.period == p.label).order_by(Staff.staff_no)).all()
        cards = [_view(row, staff) for row, staff in rows]

    def money(v: Decimal) -> str:
        return f"{v.quantize(CENT):f}"

    return [CardSummary(
        staff_no=c.staff_no, name=c.name, department=c.department, post=c.post, status=c.status,
        late_count=c.late_count, lateness_deduction=money(c.lateness_deduction),
        attendance_deduction=money(c.attendance_deduction), incident_deduction=money(c.incident_deduction),
        kpi_deduction=money(c.kpi_deduction), reward=money(c.reward),
        weighted_score=None if c.weighted_score is None else money(c.weighted_score), points=money(c.points),
        score=None if c.score is None else money(c.score)) for c in cards]


# --- export ------------------------------------------------------------------------------------------

EXPORT_HEADERS = {"rank": "排名", "staff_no": "工号", "name": "姓名", "department": "部门", "post": "岗位",
                  "status": "状态", "score": "总分", "weighted_score": "加权得分", "points": "加减分",
                  "late_count": "迟到次数", "lateness_deduction": "迟到扣款", "attendance_deduction": "考勤扣款",
                  "incident_deduction": "奖惩扣款", "kpi_deduction": "指标扣款", "reward": "奖励", "net": "合计",
                  "missing": "待补"}


def month_workbook(*, actor: Actor, period: str) -> bytes:
    """The month as an Excel workbook: 月度考核 (one row per person, as month_view) and 规则明细 (every rule
    result with its explanation, and every KPI line). Money and scores stay numbers."""
    require(actor, "data.export")
    frame = month_view(actor=actor, period=period)
    summary = frame[list(EXPORT_HEADERS)].rename(columns=EXPORT_HEADERS)
    details, lines = [], []
    for card_id in [i for i in frame["card_id"] if i is not None]:
        card = scorecard(actor=actor, card_id=int(card_id))
        details += [{"工号": card.staff_no, "姓名": card.name, "规则": r.rule, "指标": r.metric,
                     "结果": "适用" if r.triggered else "不适用", "金额": r.money, "分": r.points,
                     "说明": r.explanation} for r in card.rules]
        lines += [{"工号": card.staff_no, "姓名": card.name, "考核指标": x.label, "范围": x.scope,
                   "实际": x.shown_value, "目标": x.shown_target, "权重": x.weight,
                   "达成": None if x.achievement is None else f"{x.achievement * 100:.2f}%",
                   "得分": x.score} for x in card.kpis]
    return excel_workbook({"月度考核": summary, "考核指标": pd.DataFrame(lines), "规则明细": pd.DataFrame(details)})
