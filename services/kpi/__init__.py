"""KPI: every figure a manager reads, defined once (see ../shared/KPI.md), and read from here.

The ticket figures are computed in services/tickets/figures.py, the fee figures in services/fees/figures.py
(each beside the records it counts, so the fee and ticket reports need not reach up to this package); this
package is the one place the scorecards, the CLI and the pages read them from.

Invariants:
- a rate is a Decimal fraction rounded half-up to 4 places, or None when its denominator
  is zero (shown as "—"), never 0 or 100% (services/platform/rates.py);
- a period is a calendar month YYYY-MM in Asia/Shanghai (services/platform/period.py); `as_of` is the
  moment the figure is taken (default: now; a month-end report passes the last instant of the month);
- cancelled tickets, voided payments and cancelled bills never count.

Grouped and multi-month forms (one report, a few statements whatever the number of groups or months):
fee_kpis_by / fee_kpis_months, ticket_kpis_by / ticket_counts_by / ticket_kpis_months; the single-scope
functions are their one-group case, so the values agree.

The customer-relations figures of KPI.md (客户关系) are computed beside their registers and read from here too:
业主综合满意率 and 调查覆盖率 in services/relations/surveys.py, 访谈完成率 and 面访比例 in services/relations/visits.py
(社区活动 and 宣传栏 progress, which need the reader's scope, in services/relations/activities.activity_progress).

Open first: services/fees/figures.py (fee_kpis) and services/tickets/figures.py (ticket_kpis).
"""

from __future__ import annotations

from decimal import Decimal

from services.fees.figures import (
    AGING_BUCKETS,
    FEE_GROUPS,
    FEE_KPI_KEYS,
    FEE_KPI_LABELS,
    FEE_TARGETS,
    FeeScope,
    empty_fee_kpis,
    fee_kpi_evidence,
    fee_kpis,
    fee_kpis_by,
    fee_kpis_months,
    in_estate,
    lease_households,
)
from services.platform.period import Period
from services.platform.rates import RATE_PLACES, rate
from services.relations.surveys import survey_coverage, survey_satisfaction
from services.relations.visits import face_to_face_share, visit_completion
from services.tickets.figures import (
    TICKET_GROUPS,
    TICKET_KPI_KEYS,
    TICKET_KPI_LABELS,
    TICKET_TARGETS,
    TicketCounts,
    TicketScope,
    empty_ticket_kpis,
    ticket_counts_by,
    ticket_kpi_evidence,
    ticket_kpis,
    ticket_kpis_by,
    ticket_kpis_months,
)

__all__ = [
    "AGING_BUCKETS", "FEE_GROUPS", "face_to_face_share", "survey_coverage", "survey_satisfaction", "visit_completion", "FEE_KPI_KEYS", "FEE_KPI_LABELS", "FEE_TARGETS", "RATE_PLACES", "TICKET_GROUPS",
    "TICKET_KPI_KEYS", "TICKET_KPI_LABELS", "TICKET_TARGETS", "FeeScope", "Period", "TicketCounts", "TicketScope",
    "as_json_values", "empty_fee_kpis", "empty_ticket_kpis", "fee_kpi_evidence", "fee_kpis", "fee_kpis_by",
    "fee_kpis_months", "in_estate", "lease_households", "rate", "ticket_counts_by", "ticket_kpi_evidence",
    "ticket_kpis", "ticket_kpis_by", "ticket_kpis_months",
]


def as_json_values(figures: dict[str, Decimal | int | None]) -> dict[str, str | int | None]:
    """Rates as strings with 4 decimals (or null), counts as integers: the `propdesk kpi --json` form."""
    return {k: (format(v, "f") if isinstance(v, Decimal) else v) for k, v in figures.items()}

