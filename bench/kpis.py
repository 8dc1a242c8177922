"""Case 2: every figure of KPI.md for one month, and the 12-month trends, against hand-written SQL.

The floor of each case is a hand-written query over the same database giving the same figures (plain SQL
text, written from KPI.md, not from services/*/figures.py): the bench checks both give equal values, then
reports the service's median time beside the query's. The service computes all the fee (or ticket) figures
of a month at once, so its floor is the sum of the queries that give those same figures.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from decimal import Decimal
from typing import Any

from bench.common import Row, Settings, timed, within

FEE_TARGET = "≤1.5× raw SQL and <500 ms"


def _params(period: Any, as_of: datetime) -> dict[str, Any]:
    return {"p": period.label, "start": period.start, "end": period.end, "as_of": as_of,
            "year_start": f"{period.label[:4]}-01"}


def _run(sql: str, params: dict[str, Any]) -> list[Any]:
    from sqlalchemy import bindparam, text

    from db.engine import read_session
    from db.types import UTCDateTime

    stmt = text(sql)
    used = {k: v for k, v in params.items() if f":{k}" in sql}
    typed = [bindparam(k, type_=UTCDateTime()) for k, v in used.items() if isinstance(v, datetime)]
    if typed:
        stmt = stmt.bindparams(*typed)
    with read_session() as s:
        return list(s.execute(stmt, used).all())


# --- fees --------------------------------------------------------------------------------------------------
# Groups: "" (the whole company), or a unit column (building_id, collector_staff_id): by building or collector
# the figures are of units' bills only (a parking lease without a unit belongs to no building).

def _fee_sql(group: str) -> dict[str, str]:
    g = f"u.{group}" if group else "0"
    join = "JOIN units u ON u.id = b.unit_id" if group else ""
    by = f"GROUP BY {g}" if group else ""
    live = "b.status <> '已取消'"
    paid = ("JOIN allocations a ON a.bill_id = b.id JOIN payments pm ON pm.id = a.payment_id "
            "WHERE pm.status <> '已作废' AND a.voided = false AND " + live)
    return {
        "billed": f"SELECT g, SUM(net), SUM(CASE WHEN net > 0 THEN 1 ELSE 0 END) FROM ("
                  f"SELECT {g} AS g, b.household, SUM(b.amount - b.waived) AS net FROM bills b {join} "
                  f"WHERE {live} AND b.period = :p GROUP BY {g + ', ' if group else ''}b.household) x GROUP BY g",
        "collected": f"SELECT {g}, SUM(a.amount) FROM bills b {join} {paid} AND b.period = :p "
                     f"AND a.at <= :as_of {by}",
        "owing": f"SELECT g, COUNT(DISTINCT household) FROM (SELECT {g} AS g, b.household, "
                 f"b.amount - b.waived - COALESCE((SELECT SUM(a.amount) FROM allocations a "
                 f"JOIN payments pm ON pm.id = a.payment_id WHERE a.bill_id = b.id AND pm.status <> '已作废' "
                 f"AND a.voided = false AND a.at <= :as_of), 0) AS owes FROM bills b {join} "
                 f"WHERE {live} AND b.period = :p) x WHERE owes > 0 GROUP BY g",
        "billed_before": f"SELECT {g}, SUM(b.amount - b.waived) FROM bills b {join} WHERE {live} "
                         f"AND b.period < :p {by}",
        "paid_before": f"SELECT {g}, SUM(a.amount) FROM bills b {join} {paid} AND b.period < :p "
                       f"AND a.at < :start {by}",
        "recovered": f"SELECT {g}, SUM(a.amount) FROM bills b {join} {paid} AND b.period < :p "
                     f"AND a.at >= :start AND a.at < :end AND a.at <= :as_of {by}",
        "prior_years": f"SELECT {g}, SUM(a.amount) FROM bills b {join} {paid} AND b.period < :year_start "
                       f"AND a.at >= :start AND a.at < :end AND a.at <= :as_of {by}",
    }


def raw_fee_figures(period: Any, as_of: datetime, group: str = "") -> dict[Any, dict[str, Decimal | None]]:
    """The fee figures of KPI.md by hand-written SQL: {group value (0 for the whole company): figures}."""
    from services.platform.rates import rate

    params = _params(period, as_of)
    sums: dict[Any, dict[str, int]] = {}

    def of(g: Any) -> dict[str, int]:
        return sums.setdefault(0 if not group else g, dict.fromkeys(
            ("billed", "households", "collected", "owing", "billed_before", "paid_before", "recovered",
             "prior_years"), 0))

    for name, sql in _fee_sql(group).items():
        for row in _run(sql, params):
            got = of(row[0])
            if name == "billed":
                got["billed"], got["households"] = int(row[1] or 0), int(row[2] or 0)
            else:
                got[name] = int(row[1] or 0)

    def yuan(cents: int) -> Decimal:
        return (Decimal(cents) / 100).quantize(Decimal("0.01"))

    out = {}
    for g, v in sums.items():
        prior = v["billed_before"] - v["paid_before"]
        out[g] = {"billed": yuan(v["billed"]), "collected": yuan(v["collected"]),
                  "collection_rate": rate(v["collected"], v["billed"]),
                  "household_rate": rate(v["households"] - v["owing"], v["households"]),
                  "prior_arrears": yuan(prior), "arrears_recovered": yuan(v["recovered"]),
                  "arrears_recovery_rate": rate(v["recovered"], prior), "prior_years_collected": yuan(v["prior_years"])}
    return out


# --- tickets -----------------------------------------------------------------------------------------------

def _within_24h(dialect: str) -> str:
    if dialect == "sqlite":
        return "(julianday(t.handled_at) - julianday(t.received_at)) <= 1.0"
    if dialect == "postgresql":
        return "t.handled_at - t.received_at <= interval '24 hours'"
    return "TIMESTAMPDIFF(MICROSECOND, t.received_at, t.handled_at) <= 86400000000"


def _ticket_sql(dialect: str) -> dict[str, str]:
    live = "t.status <> '已撤销'"
    received = "t.received_at >= :start AND t.received_at < :end"
    completed = "t.completed_at >= :start AND t.completed_at < :end AND t.completed_at <= :as_of"
    return {
        "repair_timeliness": "SELECT SUM(CASE WHEN t.completed_at <= t.deadline_at THEN 1 ELSE 0 END), COUNT(*) "
                             f"FROM tickets t WHERE {live} AND t.ticket_type = '报修' AND {completed}",
        "repair_completion": "SELECT SUM(CASE WHEN t.completed_at <= :as_of THEN 1 ELSE 0 END), COUNT(*) "
                             f"FROM tickets t WHERE {live} AND t.ticket_type = '报修' AND {received}",
        "complaint_timely_rate": f"SELECT SUM(CASE WHEN t.handled_at <= :as_of AND {_within_24h(dialect)} "
                                 f"THEN 1 ELSE 0 END), COUNT(*) FROM tickets t WHERE {live} "
                                 f"AND t.ticket_type = '投诉' AND {received}",
        "complaint_handled_rate": "SELECT SUM(CASE WHEN t.handled_at <= :as_of THEN 1 ELSE 0 END), COUNT(*) "
                                  f"FROM tickets t WHERE {live} AND t.ticket_type = '投诉' AND {received}",
        "revisit_rate": "SELECT SUM(CASE WHEN EXISTS (SELECT 1 FROM revisits r WHERE r.ticket_id = t.id "
                        "AND r.done_at <= :as_of) THEN 1 ELSE 0 END), COUNT(*) FROM tickets t "
                        f"WHERE {live} AND t.needs_revisit = true AND {completed}",
        "revisit_timely_rate": "SELECT SUM(CASE WHEN r.done_at <= r.due_at AND r.done_at <= :as_of THEN 1 ELSE 0 END),"
                               " COUNT(*) FROM revisits r JOIN tickets t ON t.id = r.ticket_id "
                               f"WHERE {live} AND r.due_at >= :start AND r.due_at < :end",
        "satisfaction": "SELECT SUM(CASE WHEN r.result IN ('满意', '基本满意') THEN 1 ELSE 0 END), COUNT(*) "
                        f"FROM revisits r JOIN tickets t ON t.id = r.ticket_id WHERE {live} "
                        "AND r.done_at >= :start AND r.done_at < :end AND r.done_at <= :as_of AND r.result <> ''",
        "effective_complaint_rate": "SELECT SUM(CASE WHEN t.ruling = '有效' AND t.ruled_at <= :as_of THEN 1 ELSE 0 "
                                    f"END), COUNT(*) FROM tickets t WHERE {live} AND t.ticket_type = '投诉' "
                                    f"AND {received}",
    }


def raw_ticket_figures(period: Any, as_of: datetime) -> dict[str, Decimal | int | None]:
    from db.engine import get_engine
    from services.platform.rates import rate

    dialect = get_engine().dialect.name
    params = _params(period, as_of)
    out: dict[str, Decimal | int | None] = {}
    for key, sql in _ticket_sql(dialect).items():
        ((num, den),) = _run(sql, params)
        out[key] = rate(int(num or 0), int(den or 0))
        if key == "effective_complaint_rate":
            out["effective_complaints"] = int(num or 0)
    return out


# --- the case ----------------------------------------------------------------------------------------------

def reference_month() -> tuple[Any, datetime, list[Any]]:
    """The last complete month with bills (taken at its last instant) and the 12 months ending with it."""
    from sqlalchemy import func, select

    from db.engine import read_session
    from db.models import Bill
    from services.platform.period import Period

    with read_session() as s:
        last = s.scalar(select(func.max(Bill.period)))
    p = Period.parse(last).previous() if last else Period.parse("2026-10")
    months = [p]
    while len(months) < 12:
        months.append(months[-1].previous())
    return p, p.last_instant, list(reversed(months))


def _check(what: str, ours: Any, theirs: Any) -> None:
    if ours != theirs:
        raise AssertionError(f"{what}: the service gives {ours}, the hand-written SQL {theirs}")


def bench_kpis(settings: Settings, scale: str) -> list[Row]:
    from services import kpi
    from services.fees.figures import empty_fee_kpis

    runs = 1 if settings.smoke else settings.runs
    period, as_of, trend = reference_month()
    rows: list[Row] = []

    def case(name: str, ours: Callable[[], Any], raw: Callable[[], Any], compare: Callable[[Any, Any], None],
             target: str = FEE_TARGET, ratio: float = 1.5, limit_ms: float = 500) -> None:
        ms, value = timed(ours, runs)
        floor_ms, expected = timed(raw, runs)
        compare(value, expected)
        rows.append(Row("kpi", f"[{scale}] {name}", ms, floor_ms, target,
                        within(ms, floor_ms, ratio=ratio, limit_ms=limit_ms), {"values_agree": True}))

    def same(what: str) -> Callable[[Any, Any], None]:
        return lambda ours, theirs: _check(what, ours, theirs)

    def same_groups(what: str) -> Callable[[Any, Any], None]:
        def compare(ours: dict[Any, Any], theirs: dict[Any, Any]) -> None:
            for g in set(ours) | set(theirs):
                _check(f"{what} {g}", ours.get(g, empty_fee_kpis()), theirs.get(g, empty_fee_kpis()))
        return compare

    case(f"fee figures, one month ({period.label}, all 8)", lambda: kpi.fee_kpis(period, as_of=as_of),
         lambda: raw_fee_figures(period, as_of).get(0, empty_fee_kpis()), same("fee figures"))
    case("fee figures by building (collection report)", lambda: kpi.fee_kpis_by(period, by="building", as_of=as_of),
         lambda: raw_fee_figures(period, as_of, "building_id"), same_groups("building"))
    case("fee figures by collector (scorecards)", lambda: kpi.fee_kpis_by(period, by="collector", as_of=as_of),
         lambda: {g: v for g, v in raw_fee_figures(period, as_of, "collector_staff_id").items() if g is not None},
         lambda ours, theirs: same_groups("collector")({g: v for g, v in ours.items() if g is not None}, theirs))
    moments = {q.label: q.last_instant for q in trend}
    case("fee figures, 12-month trend", lambda: kpi.fee_kpis_months(trend, as_of=moments),
         lambda: {q.label: raw_fee_figures(q, moments[q.label]).get(0, empty_fee_kpis()) for q in trend},
         same("12-month fee trend"))
    case(f"ticket figures, one month ({period.label}, all 9)", lambda: kpi.ticket_kpis(period, as_of=as_of),
         lambda: raw_ticket_figures(period, as_of), same("ticket figures"))
    months_fn = getattr(kpi, "ticket_kpis_months", None)
    trend_fn: Callable[[], Any] = (
        (lambda: months_fn(trend, as_of=moments)) if months_fn is not None
        else (lambda: {q.label: kpi.ticket_kpis(q, as_of=moments[q.label]) for q in trend}))
    case("ticket figures, 12-month trend", trend_fn,
         lambda: {q.label: raw_ticket_figures(q, moments[q.label]) for q in trend}, same("12-month ticket trend"))
    return rows

