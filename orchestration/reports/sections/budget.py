"""Budget and forecast outturn by s251 line: why the year has a gap, the table, the chart, the change."""

from __future__ import annotations

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, NotAvailable, Section
from orchestration.reports.data import PackData, previous_financial_year
from orchestration.reports.disclosure import unsuppressed_numbers
from orchestration.reports.formatting import month_label
from orchestration.reports.labels import s251_name
from orchestration.reports.money import money_short
from orchestration.reports.public_tables import TOTAL, public_table
from orchestration.reports.sections.common import SectionSpec, line_sort_key, require, total_of
from orchestration.reports.spend_disclosure import line_totals_to_hide

BUDGET_COLUMNS = ["financial_year", "as_at_month", "s251_line", "budget_gbp", "forecast_with_growth_gbp"]
MONEY_COLUMNS = [
    "prior_year_outturn_gbp",
    "budget_gbp",
    "actual_ytd_gbp",
    "committed_placements_gbp",
    "run_rate_gbp",
    "growth_gbp",
    "forecast_with_growth_gbp",
    "variance_gbp",
]
FROM_THIS_YEARS_SPEND = [
    "committed_placements_gbp",
    "run_rate_gbp",
    "growth_gbp",
    "forecast_with_growth_gbp",
    "variance_gbp",
    "variance_pct",
]
"""Figures of a line that give back its spend to date, so they are `c` wherever its actual is."""


SNAPSHOT_STALE_AFTER_MONTHS = 3
"""The marts call a snapshot stale when it is more than this many months older than the forecast's month."""


def forecast_quality_warning(data: PackData) -> str | None:
    """A warning in words when the forecast as at the pack's month has no recent placements snapshot."""
    forecasts = data.table("budget_vs_outturn")
    if forecasts is None or "forecast_quality" not in forecasts:
        return None
    current = forecasts[forecasts["as_at_month"] == data.month]
    qualities = set(current["forecast_quality"].dropna().astype(str))
    when = month_label(data.month)
    if "no_snapshot" in qualities:
        return (
            f"Warning: no placements snapshot was taken in or before {when}, so the forecast counts no "
            "placement commitments and no growth: it is far too low and should not be relied on."
        )
    if "stale_snapshot" in qualities:
        snapshots = current.get("placements_snapshot_month", pd.Series(dtype=object)).dropna()
        taken = f" ({month_label(str(snapshots.max()))})" if not snapshots.empty else ""
        return (
            f"Warning: the newest placements snapshot{taken} is more than {SNAPSHOT_STALE_AFTER_MONTHS} "
            f"months older than {when}, so placements that started or ended since are not in the forecast."
        )
    return None


def current_budget_lines(data: PackData) -> pd.DataFrame:
    """The budget_vs_outturn rows of the pack's year as at its month: one per s251 line."""
    frame = require(data, "budget_vs_outturn", BUDGET_COLUMNS, "Forecast outturn")
    lines = frame[frame["as_at_month"] == data.month]
    if lines.empty:
        raise NotAvailable(f"Forecast outturn is not available yet: no forecast as at {data.month}.")
    return lines


def _in_year_words(shortfall: float) -> str:
    """`an in-year deficit of £3.2m` for spend above income, else a surplus or a balanced year."""
    if abs(shortfall) < 0.5:
        return "a balanced year"
    kind = "deficit" if shortfall > 0 else "surplus"
    return f"an in-year {kind} of {money_short(abs(shortfall))}"


def why_the_gap(data: PackData, budget: float, forecast: float) -> str | None:
    """Budget against High Needs income against the plan for the year, in one paragraph of figures."""
    position = data.table("dsg_deficit_position")
    needed = {"financial_year", "hn_income_gbp", "planned_hn_in_year_gbp"}
    if position is None or not needed <= set(position.columns):
        return None
    year = position[position["financial_year"] == data.financial_year]
    if year.empty or pd.isna(year["hn_income_gbp"].iloc[0]) or pd.isna(budget):
        return None
    income = float(year["hn_income_gbp"].iloc[0])
    planned_in_year = year["planned_hn_in_year_gbp"].iloc[0]
    plan_words = (
        f"; the deficit management plan allowed {_in_year_words(-float(planned_in_year))} for the year"
        if pd.notna(planned_in_year)
        else "; no deficit management plan figure is held for the year"
    )
    sentence = (
        f"Why the gap: in {data.financial_year} the High Needs budget is {money_short(budget)} against High "
        f"Needs income of {money_short(income)}, so the budget itself sets {_in_year_words(budget - income)}"
        f"{plan_words}."
    )
    if pd.notna(forecast):
        over = forecast - budget
        beside = "over" if over >= 0 else "under"
        sentence += (
            f" The forecast outturn of {money_short(forecast)} is {money_short(abs(over))} {beside} budget, "
            f"so the year is forecast to end with {_in_year_words(forecast - income)}"
        )
        if pd.notna(planned_in_year):
            beyond = (forecast - income) - (-float(planned_in_year))
            sentence += (
                f", {money_short(abs(beyond))} {'worse' if beyond > 0 else 'better'} than the plan allowed"
            )
        sentence += "."
    return sentence


def _budget_table_frame(lines: pd.DataFrame) -> pd.DataFrame:
    """One row per s251 line (named and coded, in published order) and an all-lines total row."""
    lines = lines.copy()
    for column in [*MONEY_COLUMNS, "variance_pct"]:
        if column not in lines:
            lines[column] = float("nan")
    lines = lines.sort_values("s251_line", key=lambda s: s.map(line_sort_key)).reset_index(drop=True)
    lines["line_name"] = lines["s251_line"].map(s251_name)
    lines["line_label"] = lines["line_name"] + " (" + lines["s251_line"].astype(str) + ")"
    total = {column: total_of(lines[column]) for column in MONEY_COLUMNS}
    budget_total = total_of(lines["budget_gbp"])
    total["variance_gbp"] = total["forecast_with_growth_gbp"] - (0 if pd.isna(budget_total) else budget_total)
    total_row = {
        "s251_line": TOTAL,
        "line_name": "All High Needs lines",
        "line_label": "All High Needs lines",
        **total,
        "variance_pct": total["variance_gbp"] / budget_total * 100 if budget_total else float("nan"),
    }
    return pd.concat([lines, pd.DataFrame([total_row])], ignore_index=True)


def _chart_alt(shown: pd.DataFrame, financial_year: str) -> str:
    rows = shown.assign(_over=shown["forecast_with_growth_gbp"] - shown["budget_gbp"]).dropna(
        subset=["_over"]
    )
    over = rows[rows["_over"] > 0]
    finding = f"forecast outturn is above budget on {len(over)} of {len(shown)} lines"
    if not over.empty:
        worst = over.loc[over["_over"].idxmax()]
        finding += (
            f"; the largest overspend is on {worst['line_name']}, {money_short(worst['_over'])} over "
            f"a budget of {money_short(worst['budget_gbp'])}"
        )
    return f"Bar chart of budget against forecast outturn for each s251 line in {financial_year}: {finding}."


def build(data: PackData, section: Section) -> Section:
    """Why the gap, then budget, prior-year outturn, actuals, commitments and forecast by s251 line."""
    lines = current_budget_lines(data)
    table = _budget_table_frame(lines)
    is_total = table["s251_line"].eq(TOTAL)
    budget, forecast = (
        float(table.loc[is_total, c].iloc[0]) for c in ("budget_gbp", "forecast_with_growth_gbp")
    )
    warning = forecast_quality_warning(data)
    if warning:
        section.paragraphs.append(warning)
    gap = why_the_gap(data, budget, forecast)
    if gap:
        section.paragraphs.append(gap)
    hidden = pd.DataFrame(
        {
            "actual_ytd_gbp": table["s251_line"].isin(line_totals_to_hide(data, data.financial_year)),
            "prior_year_outturn_gbp": table["s251_line"].isin(
                line_totals_to_hide(data, previous_financial_year(data.financial_year))
            ),
        }
    )
    columns = [
        Column("line_label", "s251 line"),
        Column("prior_year_outturn_gbp", f"Outturn {previous_financial_year(data.financial_year)}", "money"),
        Column("budget_gbp", "Budget", "money"),
        Column("actual_ytd_gbp", "Actual to date", "money"),
        Column("committed_placements_gbp", "Committed: placements", "money"),
        Column("run_rate_gbp", "Committed: run-rate of other spend", "money"),
        Column("growth_gbp", "Expected growth", "money"),
        Column("forecast_with_growth_gbp", "Forecast outturn", "money"),
        Column("variance_gbp", "Variance (+ = over)", "money"),
        Column("variance_pct", "Variance %", "pct"),
    ]
    published = public_table(
        f"{data.financial_year} as at {month_label(data.month)}",
        table,
        columns,
        rules=data.rules,
        total_rows=is_total,
        additive=["actual_ytd_gbp", "prior_year_outturn_gbp"],
        derived={column: ["actual_ytd_gbp"] for column in FROM_THIS_YEARS_SPEND},
        hidden=hidden,
        note="Forecast = actual to date + placements committed to the year end + the run-rate of other spend "
        "(spend not tied to a placement, continued at its average so far) + expected growth (placements "
        "expected to start later in the year). x = no budget set for the line; c = suppressed (see the "
        "last page).",
    )
    section.tables.append(published)
    shown = table[~is_total].assign(
        forecast_with_growth_gbp=unsuppressed_numbers(published.protected["forecast_with_growth_gbp"])[
            ~is_total
        ]
    )
    drawn = charts.spend_by_line(shown)
    section.charts.append(
        Chart(
            "spend_by_line",
            "Budget and forecast outturn by s251 line",
            _chart_alt(shown, data.financial_year),
            drawn.png,
            drawn.axis_labels,
        )
    )
    section.paragraphs += _forecast_change(data)
    return section


def _forecast_change(data: PackData) -> list[str]:
    history = data.table("budget_vs_outturn")
    months = history.groupby("as_at_month")["forecast_with_growth_gbp"].sum().sort_index()
    if len(months) < 2:
        return []
    change = float(months.iloc[-1] - months.iloc[-2])
    before = month_label(months.index[-2])
    if abs(change) < 0.5:
        return [f"The forecast is unchanged since {before}."]
    return [
        f"The forecast has {'risen' if change > 0 else 'fallen'} by {money_short(abs(change))} since "
        f"{before}, when it stood at {money_short(months.iloc[-2])}."
    ]


SECTION = SectionSpec("budget", "Budget and forecast outturn by s251 line", build)
