"""Each role's home 工作台: today's work of the signed-in person, and the manager's month against its targets.

Invariants:
- a block is one query or one call of the function the reports use (services/kpi, the ticket boards, the arrears
  and settlement services), so a number on the home page is the number its report shows for the same month;
- lists are short (LIST_LIMIT rows, the most urgent first) with their full count beside them: the page opens the
  board or register for the rest, it never loads a whole table;
- the month is the current calendar month in Asia/Shanghai, taken now; a trend's past months are taken at their
  last instant (fees.reports.default_as_of), as the 收缴率 report takes them.

Decisions where the issue is silent:
- which home a role gets: 收费员 the cashier's day, 维修工程 their work orders, 客服主管 and the administrator the
  manager's figures and decisions, everyone else (客服前台, 物业管理员, 内勤) the front desk's day;
- 即将超时 is the ticket boards' own window (4 hours); revisits "due today" are those due before midnight that are not
  overdue yet; a renovation is "to inspect" when its planned end is past or within three days;
- complaints "to rule" are those of the last three months already handled (a ruling needs the facts);
- dunning due "this week" is arrears.dunning_due's own rule (next action by Sunday, or a broken promise).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pandas as pd
from sqlalchemy import select

from db.engine import read_session
from db.models import Unit
from db.types import utcnow
from services import kpi
from services.appraisal.scorecards import awaiting_approval
from services.estate import keys, renovation
from services.fees import approvals, arrears, cashier
from services.fees.reports import default_as_of
from services.platform.auth import Actor, Role, can, require
from services.platform.clock import local_today, to_local
from services.platform.listing import ListQuery
from services.platform.period import Period
from services.tickets import lists as ticket_lists

LIST_LIMIT = 10
TREND_MONTHS = 12
# the month's figures on the manager's home, in the order the issue lists them: (source, key)
MANAGER_FIGURES = (("fees", "collection_rate"), ("tickets", "repair_timeliness"), ("tickets", "satisfaction"),
                   ("tickets", "revisit_rate"), ("tickets", "complaint_handled_rate"), ("tickets", "effective_complaints"))
HOME_KINDS = ("desk", "cashier", "engineer", "manager")


def home_kind(actor: Actor) -> str:
    """Which home the actor's role opens on."""
    role = Role(actor.role)
    if role in (Role.MANAGER, Role.ADMIN):
        return "manager"
    if role == Role.CASHIER:
        return "cashier"
    if role == Role.ENGINEER:
        return "engineer"
    return "desk"


def has_units() -> bool:
    """Whether any unit is on record (a fresh install's home says where to start instead of showing dashes)."""
    with read_session() as s:
        return s.scalar(select(Unit.id).limit(1)) is not None


def this_month(today: date | None = None) -> Period:
    today = today or local_today()
    return Period.parse(f"{today.year:04d}-{today.month:02d}")


def _first_rows(result_rows: pd.DataFrame) -> pd.DataFrame:
    return result_rows.head(LIST_LIMIT).reset_index(drop=True)


# --- 客服前台 / 物业管理员 ------------------------------------------------------------------------------


@dataclass(frozen=True)
class DeskDay:
    """The front desk's day: the ticket boards' counts, what is due, keys, renovations."""

    boards: dict[str, int]  # ticket_lists.board_counts
    today_tickets: pd.DataFrame  # today's tickets, newest first (LIST_LIMIT)
    deadline_tickets: pd.DataFrame  # open tickets past or near their deadline, most urgent first (LIST_LIMIT)
    keys: dict[str, int]  # out, overdue
    overdue_keys: pd.DataFrame
    renovations: dict[str, int]  # to_inspect, to_approve
    renovations_to_inspect: pd.DataFrame


def desk_day(*, actor: Actor, today: date | None = None) -> DeskDay:
    """What the front desk works through today (the relations registers' blocks are read beside it)."""
    today = today or local_today()
    first = ListQuery(page_size=LIST_LIMIT)
    today_page = ticket_lists.list_tickets(actor=actor, query=first, board="today")
    deadline_page = ticket_lists.list_tickets(actor=actor, query=first, board="deadline")
    counts = keys.key_counts(actor=actor)
    overdue = keys.overdue_loans(actor=actor, query=first)
    reno_counts, reno_rows = renovation.renovations_waiting(actor=actor, today=today, limit=LIST_LIMIT)
    return DeskDay(boards=ticket_lists.board_counts(actor=actor), today_tickets=_first_rows(today_page.rows),
                   deadline_tickets=_first_rows(deadline_page.rows), keys=counts,
                   overdue_keys=_first_rows(overdue.rows), renovations=reno_counts,
                   renovations_to_inspect=reno_rows)


# --- 收费员 ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CashierDay:
    """The cashier's day: takings by method, days left unsettled, dunning due, own collection rate."""

    sheet: cashier.SettlementSheet  # today's, live until settled
    unsettled: list[date]
    dunning_due: pd.DataFrame
    dunning_total: int
    period: Period
    collection: dict[str, Decimal | None]  # fee_kpis of the cashier's units this month (empty without units)
    has_units: bool
    target: Decimal = kpi.FEE_TARGETS["collection_rate"][0]


def cashier_day(*, actor: Actor, today: date | None = None) -> CashierDay:
    today = today or local_today()
    period = this_month(today)
    due = arrears.dunning_due(actor=actor, today=today)
    has_units = actor.staff_id is not None
    # every collector's figures in one grouped computation, as the appraisal reads them: at a large company this
    # is a fifth of the time of the same figures scoped to one collector (1.1 s), and the values are the same
    figures = ((kpi.fee_kpis_by(period, by="collector", as_of=default_as_of(period),
                                scope=kpi.FeeScope(estate_ids=actor.estate_ids)).get(actor.staff_id)
                or kpi.empty_fee_kpis()) if has_units else kpi.empty_fee_kpis())
    return CashierDay(sheet=cashier.settlement_sheet(actor=actor, day=today),
                      unsettled=cashier.unsettled_days(actor=actor, today=today),
                      dunning_due=_first_rows(due), dunning_total=len(due), period=period, collection=figures,
                      has_units=has_units and figures["billed"] is not None and figures["billed"] > 0)


# --- 维修工程 ----------------------------------------------------------------------------------------


def my_work_orders(*, actor: Actor, limit: int = 50) -> tuple[int, pd.DataFrame]:
    """The engineer's open work orders, nearest deadline first: how many, and the first `limit` (with `overdue`)."""
    page = ticket_lists.list_tickets(actor=actor, query=ListQuery(page_size=limit, sort="deadline_at"),
                                     board="mine")
    now = utcnow()
    rows = page.rows.assign(overdue=[d is not None and d < now for d in page.rows["deadline_at"]])
    return page.total, rows


# --- 客服主管 / 管理员 --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """One of the month's figures against its target."""

    key: str
    label: str
    value: Decimal | int | None
    target: Decimal | None
    direction: str  # "min": at least the target is good; "max": at most
    previous: Decimal | int | None  # last month's, for the change

    @property
    def met(self) -> bool | None:
        if self.target is None or self.value is None:
            return None
        return self.value >= self.target if self.direction == "min" else self.value <= self.target


@dataclass(frozen=True)
class ManagerMonth:
    period: Period
    figures: tuple[Figure, ...]
    arrears_total: Decimal
    aging: pd.DataFrame  # 账龄, 户数, 笔数, 欠费金额 (arrears.arrears_summary by age)


def _label_and_target(source: str, key: str) -> tuple[str, Decimal | None, str]:
    """A figure's label, target and direction, from the fee or ticket figures' own tables."""
    labels, targets = ((kpi.FEE_KPI_LABELS, kpi.FEE_TARGETS) if source == "fees"
                       else (kpi.TICKET_KPI_LABELS, kpi.TICKET_TARGETS))
    target, direction = targets.get(key, (None, "min"))
    return labels[key], target, direction


def _figure(source: str, key: str, month: Mapping[str, Decimal | int | None],
            previous: Mapping[str, Decimal | int | None]) -> Figure:
    label, target, direction = _label_and_target(source, key)
    return Figure(key=key, label=label, value=month[key], target=target, direction=direction,
                  previous=previous[key])


def manager_month(*, actor: Actor, today: date | None = None) -> ManagerMonth:
    """This month's figures of KPI.md against their targets (with last month's for the change), and the arrears
    now: total and aging. The fee and ticket figures are the reports' own functions."""
    period = this_month(today)
    months = [period.previous(), period]
    as_of = {p.label: default_as_of(p) for p in months}
    fees = kpi.fee_kpis_months(months, as_of=as_of, scope=kpi.FeeScope(estate_ids=actor.estate_ids))
    tickets = kpi.ticket_kpis_months(months, as_of=as_of, scope=kpi.TicketScope(estate_ids=actor.estate_ids))
    source: dict[str, Mapping[str, Mapping[str, Decimal | int | None]]] = {"fees": fees, "tickets": tickets}
    figures = tuple(_figure(src, key, source[src][period.label], source[src][period.previous().label])
                    for src, key in MANAGER_FIGURES)
    aging = arrears.arrears_summary(actor=actor, group="age")
    total = sum(aging["欠费金额"], Decimal("0.00")) if len(aging) else Decimal("0.00")
    return ManagerMonth(period=period, figures=figures, arrears_total=total, aging=aging)


def trends(*, actor: Actor, today: date | None = None, months: int = TREND_MONTHS) -> pd.DataFrame:
    """The manager's 12-month trends with their targets: one row per (month, figure): month, key, label, value
    (a Decimal rate or None), target. Two computations for all the months (fees, tickets)."""
    require(actor, "fees.view")  # the company's collection and ticket figures, as manager_month shows them
    require(actor, "tickets.view")
    periods = [this_month(today)]
    while len(periods) < months:
        periods.append(periods[-1].previous())
    periods.reverse()
    as_of = {p.label: default_as_of(p) for p in periods}
    fees = kpi.fee_kpis_months(periods, as_of=as_of, only=[k for s, k in MANAGER_FIGURES if s == "fees"],
                               scope=kpi.FeeScope(estate_ids=actor.estate_ids))
    tickets = kpi.ticket_kpis_months(periods, as_of=as_of, scope=kpi.TicketScope(estate_ids=actor.estate_ids))
    rows = []
    for source, key in MANAGER_FIGURES:
        if key == "effective_complaints":  # a count, drawn as a number in the month's figures, not a rate line
            continue
        values = fees if source == "fees" else tickets
        label, target, _direction = _label_and_target(source, key)
        for p in periods:
            rows.append({"month": p.label, "key": key, "label": label, "value": values[p.label][key],
                         "target": target})
    return pd.DataFrame(rows, columns=["month", "key", "label", "value", "target"])


@dataclass(frozen=True)
class Decisions:
    """What waits for the manager: how many of each, and the complaints themselves."""

    approvals: int  # voids, waivers, cancellations and refunds to approve
    complaints: int  # complaints handled and not yet ruled
    complaints_rows: pd.DataFrame
    scorecards: int  # submitted scorecards to approve
    renovations: int  # applications to approve


def decisions(*, actor: Actor, today: date | None = None) -> Decisions:
    today = today or local_today()
    complaints, rows = ticket_lists.complaints_to_rule(actor=actor, limit=LIST_LIMIT)
    reno_counts, _ = renovation.renovations_waiting(actor=actor, today=today, limit=0)
    return Decisions(approvals=approvals.pending_count(actor=actor) if can(actor, "fees.approve") else 0,
                     complaints=complaints if can(actor, "tickets.rule") else 0, complaints_rows=rows,
                     scorecards=awaiting_approval(actor=actor),
                     renovations=reno_counts["to_approve"] if can(actor, "renovation.approve") else 0)


def now_label() -> str:
    """The moment the figures were taken, as the page says it (Asia/Shanghai)."""
    return to_local(utcnow()).strftime("%Y-%m-%d %H:%M")
