"""Hand-made marts of the forecast's track record, the ledger's reconciliation, the neighbours, the impact
evaluation's v2 columns and balance, and the landing files' outcomes, with figures worked by hand.

Shared by the pack tests (`tests/test_report_pack.py` puts them in every pack home) and the tests of the
sections that draw them (`tests/test_pack_v2_sections.py`).
"""

from __future__ import annotations

import math

import pandas as pd

OFFICER = "Priya Shah, Finance Business Partner (SEND)"
ADJUSTMENT_REASON = "Tribunal decision: residential placement from July"
REFUSED_MESSAGE_VALUE = "A91Q"
"""An example value a refusal message quotes (masked): it must never reach the public pack."""


def forecast_accuracy_summary() -> pd.DataFrame:
    """Two closed years scored at June and September; the all-months row is the mean of the four.

    Expected view: June |+1.2| and |−0.4| → MAPE 0.8, bias +0.4; September 0.2 and 0.2 → 0.2, +0.2;
    all months (1.2 + 0.4 + 0.2 + 0.2) ÷ 4 = 0.5, bias (1.2 − 0.4 + 0.2 + 0.2) ÷ 4 = 0.3.
    Commitment view: June 5.0 and 4.0 → 4.5; September 2.0 and 3.0 → 2.5; all months 3.5, bias +3.5.
    """
    rows = [
        ("commitment", 3, "June", 2, 4.5, 4.5, 3_600_000.0),
        ("commitment", 6, "September", 2, 2.5, 2.5, 2_000_000.0),
        ("commitment", None, "all months", 4, 3.5, 3.5, 2_800_000.0),
        ("expected", 3, "June", 2, 0.8, 0.4, 320_000.0),
        ("expected", 6, "September", 2, 0.2, 0.2, 160_000.0),
        ("expected", None, "all months", 4, 0.5, 0.3, 240_000.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "view",
            "months_elapsed",
            "as_at_month_name",
            "forecasts_scored",
            "mape_pct",
            "mean_signed_error_pct",
            "mean_error_gbp",
        ],
    )
    frame["months_elapsed"] = frame["months_elapsed"].astype("Int32")
    frame["first_financial_year"] = "2023-24"
    frame["last_financial_year"] = "2024-25"
    return frame


def forecast_adjustments_applied() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "financial_year": "2025-26",
                "as_from_month": "2025-07",
                "s251_line": "1.2.3",
                "s251_name": "Top-up and other funding – non-maintained and independent providers",
                "adjustment_gbp": 185_000.0,
                "reason": ADJUSTMENT_REASON,
                "entered_by": OFFICER,
                "entered_on": pd.Timestamp("2025-07-10").date(),
                "is_in_latest_forecast": True,
            }
        ]
    )


def ledger_reconciliation() -> pd.DataFrame:
    """April–August reconcile; September has no control total; October's ledger is £12.75 over its total."""
    rows = []
    for month, total in (
        ("2025-04", 4_100_000.0),
        ("2025-05", 4_150_000.0),
        ("2025-06", 4_120_000.0),
        ("2025-07", 4_180_000.0),
        ("2025-08", 4_090_000.0),
    ):
        rows.append((month, None, "block", total, total, 0.0, "trial balance", "reconciled"))
    rows.append(("2025-09", None, "block", 4_200_000.0, None, None, None, "not_reconciled"))
    rows.append(("2025-10", None, "block", 4_210_012.75, 4_210_000.0, 12.75, "trial balance", "mismatch"))
    frame = pd.DataFrame(
        rows,
        columns=[
            "ledger_month",
            "s251_line",
            "scope",
            "ledger_total_gbp",
            "control_total_gbp",
            "difference_gbp",
            "control_total_source",
            "status",
        ],
    )
    frame.insert(1, "financial_year", "2025-26")
    return frame


NEIGHBOURS = (("Worcestershire", "West Midlands", 0.64), ("Somerset", "South West", 0.26))
SELECTION_NOTE = "The 2 nearest LAs by published profile (population, EHC plans, budget per head)."


def statistical_neighbours() -> pd.DataFrame:
    rows = [
        {
            "neighbour_role": "la",
            "neighbour_rank": None,
            "old_la_code": 916,
            "area_name": "Shire County",
            "region_name": "South East",
            "profile_distance": None,
        }
    ]
    rows += [
        {
            "neighbour_role": "neighbour",
            "neighbour_rank": rank,
            "old_la_code": 900 + rank,
            "area_name": name,
            "region_name": region,
            "profile_distance": distance,
        }
        for rank, (name, region, distance) in enumerate(NEIGHBOURS, start=1)
    ]
    frame = pd.DataFrame(rows)
    frame["neighbour_rank"] = frame["neighbour_rank"].astype("Int64")
    frame["selection"] = "computed"
    frame["selection_method"] = SELECTION_NOTE
    return frame


def impact_balance() -> pd.DataFrame:
    """Restorative practice: its primary outcome's baseline off balance (d = 0.31), the rest within 0.25."""
    rows = [
        (
            "restorative_practice",
            "baseline_suspension_rate",
            2.41,
            1.95,
            0.31,
            "suspensions per 100 pupils per term",
        ),
        ("restorative_practice", "baseline_absence_rate", 6.1, 6.0, 0.05, "% of sessions missed"),
        ("restorative_practice", "phase_secondary", 0.5, 0.45, 0.1, "share of schools"),
        ("restorative_practice", "baseline_headcount", 612.0, 598.0, -0.04, "pupils on roll"),
        (
            "trauma_informed",
            "baseline_suspension_rate",
            2.0,
            2.1,
            -0.08,
            "suspensions per 100 pupils per term",
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "programme",
            "variable",
            "treated_mean",
            "comparison_mean",
            "standardised_difference",
            "unit",
        ],
    )
    frame["n_treated"] = 12
    frame["n_comparison"] = 48
    return frame


RESTORATIVE_STATEMENT = (
    "Restorative practice (12 adopting vs 48 comparison schools; primary outcome): the suspension rate fell "
    "by 0.62 suspensions per 100 pupils per term (95 % CI −1.03 to −0.21)."
)
TRAUMA_STATEMENT = "Trauma-informed practice: the absence rate fell by 0.40 percentage points"
"""Worded as a finding by the evaluation, but its M̄ is below 1: the pack must not print it."""


def impact_v2_columns(estimates: pd.DataFrame) -> pd.DataFrame:
    """The contract v2 and evidence columns for `test_report_pack._impact_estimates`' rows.

    Restorative practice × suspensions is primary and may be headlined (M̄ = ∞); trauma-informed practice
    × suspensions is primary, its interval spans zero (no M̄ computed); the others are comparisons.
    """
    frame = estimates.copy()
    headline = (frame["estimator"] == "callaway_santanna") & (frame["aggregation"] == "simple")
    frame["is_primary"] = headline
    frame["may_headline"] = headline & (frame["programme"] == "restorative_practice")
    frame["evidence_statement"] = [
        RESTORATIVE_STATEMENT if headline and programme == "restorative_practice" else None
        for headline, programme in zip(frame["may_headline"], frame["programme"], strict=True)
    ]
    frame["security_rating"] = [4 if h else None for h in headline]
    frame["breakdown_mbar"] = [
        (math.inf if programme == "restorative_practice" else math.nan) if h else math.nan
        for h, programme in zip(headline, frame["programme"], strict=True)
    ]
    frame["mde"] = [0.35 if h else math.nan for h in headline]
    frame["p_value_adjusted"] = frame["p_value"].where(headline)
    frame["estimator_note"] = [
        None if estimator == "callaway_santanna" else "for comparison; biased under staggered adoption"
        for estimator in frame["estimator"]
    ]
    return frame


def landing_files() -> pd.DataFrame:
    checked = pd.Timestamp("2025-11-03 07:15:00")
    rows = [
        ("hn_ledger_2025-10.csv", "hn_ledger", "2025-10", "loaded", None),
        ("hn_ledger_2025-09.csv", "hn_ledger", "2025-09", "unchanged", None),
        (
            "placements_2025-10.csv",
            "placements",
            "2025-10",
            "refused",
            f"UPN check letter wrong, e.g. '{REFUSED_MESSAGE_VALUE}…'",
        ),
        ("notes.txt", None, None, "ignored", "not a landing file name"),
    ]
    frame = pd.DataFrame(rows, columns=["file", "dataset", "month", "outcome", "reason"])
    frame["checked_at"] = checked
    return frame
