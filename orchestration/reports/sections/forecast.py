"""The expected forecast beside the commitment-based one, and how good past forecasts were.

The commitment-based forecast (the budget section's) is the prudent view: nobody leaves, other spend runs
at its flat average. The expected view adds expected leavers, the school-year pattern of other spend and
officers' adjustments. Both stand on the newest placements snapshot, so when there is none (or an old one)
the section opens with a warning in words. Adjustments appear here as one figure per line: who entered
each and why are in the officers' workbook only, since a reason can name a case or an officer.
"""

from __future__ import annotations

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.labels import s251_name
from orchestration.reports.money import money_short
from orchestration.reports.public_tables import TOTAL, public_table
from orchestration.reports.sections.budget import current_budget_lines, forecast_quality_warning
from orchestration.reports.sections.common import SectionSpec, line_sort_key, require, total_of
from orchestration.reports.spend_disclosure import line_totals_to_hide

EXPECTED_COLUMNS = [
    "expected_leavers_gbp",
    "seasonality_gbp",
    "adjustments_gbp",
    "forecast_expected_gbp",
    "forecast_quality",
]
EXPECTED_MONEY = [
    "budget_gbp",
    "actual_ytd_gbp",
    "forecast_with_growth_gbp",
    "expected_leavers_gbp",
    "seasonality_gbp",
    "adjustments_gbp",
    "forecast_expected_gbp",
]
VIEWS = (("commitment", "commitment-based forecast"), ("expected", "expected forecast"))
SUMMARY_COLUMNS = ["view", "months_elapsed", "as_at_month_name", "forecasts_scored", "mape_pct"]


def _expected_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per s251 line in published order, and an all-lines total row."""
    lines = lines.sort_values("s251_line", key=lambda s: s.map(line_sort_key)).reset_index(drop=True)
    lines = lines.assign(
        line_label=lines["s251_line"].map(s251_name) + " (" + lines["s251_line"].astype(str) + ")"
    )
    total = {column: total_of(lines[column]) for column in EXPECTED_MONEY}
    frame = pd.concat(
        [lines, pd.DataFrame([{"s251_line": TOTAL, "line_label": "All High Needs lines", **total}])],
        ignore_index=True,
    )
    budget = frame["budget_gbp"].astype("float64")
    frame["variance_expected_gbp"] = (frame["forecast_expected_gbp"].astype("float64") - budget).where(
        budget.notna()
    )
    return frame


def _comparison_sentence(total: pd.Series) -> str:
    commitment, expected = float(total["forecast_with_growth_gbp"]), float(total["forecast_expected_gbp"])
    difference = expected - commitment
    beside = "below" if difference < 0 else "above"
    sentence = (
        f"The expected forecast outturn is {money_short(expected)}, {money_short(abs(difference))} {beside} "
        f"the commitment-based forecast of {money_short(commitment)}: expected leavers "
        f"{money_short(float(total['expected_leavers_gbp']))}, the school-year pattern of other spend "
        f"{money_short(float(total['seasonality_gbp']))} and officers' adjustments "
        f"{money_short(float(total['adjustments_gbp']))}."
    )
    if pd.notna(total["budget_gbp"]):
        over = expected - float(total["budget_gbp"])
        sentence += (
            f" Against the budget of {money_short(float(total['budget_gbp']))} that is "
            f"{money_short(abs(over))} {'over' if over >= 0 else 'under'} budget."
        )
    return sentence


def _expected_table(data: PackData, section: Section) -> None:
    lines = current_budget_lines(data)
    require(data, "budget_vs_outturn", EXPECTED_COLUMNS, "The expected forecast")
    frame = _expected_frame(lines)
    is_total = frame["s251_line"].eq(TOTAL)
    section.paragraphs.append(_comparison_sentence(frame[is_total].iloc[0]))
    derived = [column for column in EXPECTED_MONEY if column not in ("budget_gbp", "actual_ytd_gbp")]
    section.tables.append(
        public_table(
            "Commitment-based and expected forecast outturn by s251 line",
            frame,
            [
                Column("line_label", "s251 line"),
                Column("budget_gbp", "Budget", "money"),
                Column("forecast_with_growth_gbp", "Commitment-based forecast", "money"),
                Column("expected_leavers_gbp", "Expected leavers", "money"),
                Column("seasonality_gbp", "School-year pattern", "money"),
                Column("adjustments_gbp", "Officers' adjustments", "money"),
                Column("forecast_expected_gbp", "Expected forecast", "money"),
                Column("variance_expected_gbp", "Expected variance (+ = over)", "money"),
            ],
            rules=data.rules,
            total_rows=is_total,
            additive=["actual_ytd_gbp"],
            derived={column: ["actual_ytd_gbp"] for column in [*derived, "variance_expected_gbp"]},
            hidden=pd.DataFrame(
                {"actual_ytd_gbp": frame["s251_line"].isin(line_totals_to_hide(data, data.financial_year))}
            ),
            note="Expected forecast = commitment-based forecast + expected leavers (open placements leave "
            "at the rate seen for their provision type over the last 12 months) + the school-year pattern "
            "(other spend follows last closed year's month-by-month profile instead of a flat average) + "
            "officers' adjustments (who made each and why is recorded in the officers' workbook). "
            "c = suppressed (see the last page).",
        )
    )


def _accuracy_sentence(summary: pd.DataFrame) -> str:
    overall = summary[summary["months_elapsed"].isna()].set_index("view")
    if not {"commitment", "expected"} <= set(overall.index):
        return ""
    expected, commitment = overall.loc["expected"], overall.loc["commitment"]
    years = (
        str(expected["first_financial_year"])
        if expected["first_financial_year"] == expected["last_financial_year"]
        else f"{expected['first_financial_year']} to {expected['last_financial_year']}"
    )
    bias = float(expected["mean_signed_error_pct"])
    return (
        f"How good were our forecasts? Scored against the outturn of each closed year ({years}), the "
        f"expected forecast made in April to February was on average {float(expected['mape_pct']):.1f}% "
        f"off the outturn, and {abs(bias):.1f}% too {'high' if bias >= 0 else 'low'} on balance; the "
        f"commitment-based forecast was {float(commitment['mape_pct']):.1f}% off on average."
    )


def _accuracy(data: PackData, section: Section) -> None:
    summary = data.table("forecast_accuracy_summary")
    if summary is None or summary.empty or not set(SUMMARY_COLUMNS) <= set(summary.columns):
        section.paragraphs.append(
            "How good were our forecasts? Not known yet: no financial year has closed with a forecast to "
            "score."
        )
        return
    sentence = _accuracy_sentence(summary)
    if sentence:
        section.paragraphs.append(sentence)
    by_month = summary.dropna(subset=["months_elapsed"])
    wide = by_month.pivot_table(
        index=["months_elapsed", "as_at_month_name"],
        columns="view",
        values=["mape_pct", "mean_signed_error_pct", "forecasts_scored"],
        aggfunc="first",
    )
    wide.columns = [f"{value}_{view}" for value, view in wide.columns]
    wide = wide.reset_index().sort_values("months_elapsed")
    for column in ("mape_pct_expected", "mape_pct_commitment", "mean_signed_error_pct_expected"):
        if column not in wide:
            wide[column] = float("nan")
    wide["years_scored"] = wide.get("forecasts_scored_expected", wide.get("forecasts_scored_commitment"))
    drawn = charts.forecast_accuracy(by_month, VIEWS)
    best = wide.dropna(subset=["mape_pct_expected"])
    finding = (
        f"the expected forecast's average error falls from {best['mape_pct_expected'].iloc[0]:.1f}% of "
        f"outturn when made in {best['as_at_month_name'].iloc[0]} to "
        f"{best['mape_pct_expected'].iloc[-1]:.1f}% when made in {best['as_at_month_name'].iloc[-1]}"
        if len(best) > 1
        else "too few forecasts have been scored to show a pattern"
    )
    section.charts.append(
        Chart(
            "forecast_accuracy",
            "How good were our forecasts? Average error by the month the forecast was made",
            "Line chart of the average error of past forecasts, as a percentage of the year's outturn, by "
            f"the month they were made, for the commitment-based and the expected forecast: {finding}.",
            drawn.png,
            drawn.axis_labels,
        )
    )
    section.tables.append(
        public_table(
            "Forecast accuracy by the month the forecast was made (closed years)",
            wide,
            [
                Column("as_at_month_name", "Forecast made in"),
                Column("years_scored", "Years scored", "count"),
                Column("mape_pct_commitment", "Commitment-based: average error", "pct"),
                Column("mape_pct_expected", "Expected: average error", "pct"),
                Column("mean_signed_error_pct_expected", "Expected: bias (+ = too high)", "pct"),
            ],
            rules=data.rules,
            note="Average error = mean of |forecast − outturn| ÷ outturn over the closed years; bias = the "
            "mean of (forecast − outturn) ÷ outturn. Forecasts made with no placements snapshot are not "
            "scored.",
        )
    )


def build(data: PackData, section: Section) -> Section:
    """The quality warning, the two forecasts by line, then the forecasts' track record."""
    warning = forecast_quality_warning(data)
    if warning:
        section.paragraphs.append(warning)
    _expected_table(data, section)
    _accuracy(data, section)
    return section


SECTION = SectionSpec("forecast", "Expected forecast and how good past forecasts were", build)
