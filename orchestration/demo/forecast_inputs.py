"""The finance officer's own inputs to the forecast: manual adjustments and ledger control totals.

- `forecast_adjustments.csv`: three adjustments to the current year's forecast, each with a reason, who
  entered it and when, applied from the month it was entered (a tribunal decision, a new contract, a
  board decision) — the things no system knows yet.
- `ledger_control_totals.csv`: the finance system's total of every delivered ledger month, equal to the
  month's file to the penny, except the latest two months (not yet reported) and the month with a
  corrected re-delivery (whose total depends on which version is loaded): those show "not reconciled".
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.demo.timeline import financial_year_label, fy_start_year_of_month, month_first_day

MONTHS_WITHOUT_CONTROL_TOTAL = 2
CONTROL_TOTAL_SOURCE = "Finance system trial balance, High Needs cost centres"


@dataclass(frozen=True)
class Adjustment:
    financial_year: str
    as_from_month: int
    s251_line: str
    amount_pence: int
    reason: str
    entered_by: str
    entered_on: int
    """Day number (as in `timeline`)."""


# months before the latest the adjustment was entered, line, £ at county scale, reason, who
_ADJUSTMENTS = (
    (
        2,
        "1.2.3",
        185_000,
        "Tribunal decision: residential independent special school placement ordered for one child",
        "Priya Shah, Finance Business Partner (SEND)",
    ),
    (
        1,
        "1.2.2",
        -60_000,
        'New banded top-up contract with the FE colleges, "Element 3" rates fixed for the year',
        "Tom Hughes, Head of SEND Commissioning",
    ),
    (
        0,
        "1.2.5",
        42_500,
        "Extra educational psychology sessions agreed by the SEND Partnership Board to clear assessments",
        "Priya Shah, Finance Business Partner (SEND)",
    ),
)


def forecast_adjustments(latest: int, scale: int) -> list[Adjustment]:
    """The current year's adjustments, entered on the 10th of their month; none before the year began."""
    year_start = fy_start_year_of_month(latest)
    first_month = latest - (latest % 12 - 3) % 12  # April of the current financial year
    adjustments = []
    for months_before, line, pounds, reason, who in _ADJUSTMENTS:
        month = max(latest - months_before, first_month)
        adjustments.append(
            Adjustment(
                financial_year=financial_year_label(year_start),
                as_from_month=month,
                s251_line=line,
                amount_pence=pounds * scale * 100,
                reason=reason,
                entered_by=who,
                entered_on=month_first_day(month) + 9,
            )
        )
    return adjustments


def control_totals(spend_pence_by_month: dict[int, int], corrected_month: int) -> dict[int, int]:
    """Month → control total (pence) for every ledger month but the latest few and the corrected one."""
    months = sorted(spend_pence_by_month)
    reported = months[:-MONTHS_WITHOUT_CONTROL_TOTAL] if len(months) > MONTHS_WITHOUT_CONTROL_TOTAL else []
    return {month: spend_pence_by_month[month] for month in reported if month != corrected_month}
