"""The cumulative DSG balance year by year against the deficit management plan, with the projection."""

from __future__ import annotations

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, Section
from orchestration.reports.data import PackData, financial_year_of
from orchestration.reports.formatting import year_end_label
from orchestration.reports.labels import scenario_name, sentence_start
from orchestration.reports.money import money_short
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec, require

POSITION_COLUMNS = [
    "financial_year",
    "opening_balance_gbp",
    "hn_in_year_gbp",
    "closing_balance_gbp",
    "planned_closing_balance_gbp",
    "gap_to_plan_gbp",
    "closing_balance_pct_of_dsg",
]
BALANCE_COLUMNS = ("cumulative_balance_gbp", "cumulative_balance_p10_gbp", "cumulative_balance_p90_gbp")


def scenario_balances(projection: pd.DataFrame) -> pd.DataFrame:
    """One cumulative balance (with its 80 % interval where given) per financial year × scenario.

    The projection mart holds one row per provision type, a NULL-type row for spend that is not placements,
    and an `all` row with the totals and balances; that row is used. Without one, a balance repeated on
    every row is taken once, else the rows are summed.
    """
    kinds = projection["provision_type"].astype("string").str.lower()
    whole = kinds.isin(["all", "total"]).fillna(False).astype(bool)
    frame = projection[whole] if whole.any() else projection
    values = [column for column in BALANCE_COLUMNS if column in frame.columns]
    grouped = frame.groupby(["financial_year", "scenario"])[values]
    spread = (grouped.max() - grouped.min()).abs()
    balances = grouped.first().where(spread < 0.005, grouped.sum(min_count=1))
    if "planned_closing_balance_gbp" in frame.columns:
        balances["planned_closing_balance_gbp"] = frame.groupby(["financial_year", "scenario"])[
            "planned_closing_balance_gbp"
        ].first()
    balances = balances.reset_index()
    balances["scenario_label"] = balances["scenario"].map(scenario_name)
    return balances


def _plan_beyond(position: pd.DataFrame, scenarios: pd.DataFrame | None) -> pd.DataFrame:
    """The deficit position with the plan's later years (from the projection) appended, closing blank."""
    if scenarios is None or "planned_closing_balance_gbp" not in scenarios.columns:
        return position
    later = (
        scenarios[~scenarios["financial_year"].isin(position["financial_year"])]
        .groupby("financial_year", as_index=False)["planned_closing_balance_gbp"]
        .first()
        .dropna()
    )
    return pd.concat([position, later], ignore_index=True) if not later.empty else position


def _projection_words(scenarios: pd.DataFrame) -> str:
    last = scenarios[scenarios["financial_year"] == scenarios["financial_year"].max()]
    ordered = last.sort_values("scenario").sort_values(
        "scenario", key=lambda names: names.ne("unmitigated"), kind="stable"
    )
    return (
        f"By {year_end_label(str(last['financial_year'].iloc[0]))} the projection puts the cumulative "
        "balance at "
        + "; ".join(
            f"{money_short(row.cumulative_balance_gbp)} ({row.scenario_label})"
            for row in ordered.itertuples(index=False)
            if pd.notna(row.cumulative_balance_gbp)
        )
        + "."
    )


def _chart_alt(position: pd.DataFrame, financial_year: str, projection_words: str) -> str:
    year = position[position["financial_year"] == financial_year]
    finding = ""
    if not year.empty and pd.notna(year["closing_balance_gbp"].iloc[0]):
        closing = float(year["closing_balance_gbp"].iloc[0])
        finding = f" The balance is forecast at {money_short(closing)} at {year_end_label(financial_year)}"
        gap = year["gap_to_plan_gbp"].iloc[0]
        if pd.notna(gap):
            finding += f", {money_short(abs(float(gap)))} {'better' if gap >= 0 else 'worse'} than the plan"
        finding += "."
    return (
        "Line chart of the cumulative DSG balance by financial year (negative is a deficit) against the "
        f"deficit management plan and the projection scenarios.{finding} {projection_words}"
    ).strip()


def _override_words(data: PackData, drawn: charts.DrawnChart) -> str:
    """The statutory override's end, where the chart marks it (its year is on the axis), in the alt text."""
    end = data.statutory_override_end
    if end is None or not any(financial_year_of(f"{end:%Y-%m}") in axis for axis in drawn.axis_labels):
        return ""
    return (
        f" A dashed vertical line marks {end.day} {end:%B %Y}, when the DSG statutory override ends and the "
        "deficit can no longer be kept off the council's accounts."
    )


def build(data: PackData, section: Section) -> Section:
    """The trajectory chart, the balance table and the projected balance by scenario."""
    position = require(data, "dsg_deficit_position", POSITION_COLUMNS, "The deficit trajectory")
    position = position.sort_values("financial_year").reset_index(drop=True)
    section.paragraphs.append(
        "A deficit is a negative balance. In-year = High Needs income less High Needs spend (forecast "
        f"for the current year, {data.financial_year}); gap to plan = closing balance less planned closing "
        "balance, so a positive gap is better than plan."
    )
    scenarios = None
    projection = data.table("hn_projection")
    needed = {"financial_year", "scenario", "provision_type", "cumulative_balance_gbp"}
    if projection is not None and needed <= set(projection.columns) and not projection.empty:
        scenarios = scenario_balances(projection)
        projection_words = _projection_words(scenarios)
    else:
        projection_words = "Scenarios are not available yet: the High Needs projection has not been built."
    section.paragraphs.append(projection_words)
    drawn = charts.deficit_trajectory(
        _plan_beyond(position, scenarios), scenarios, data.financial_year, data.statutory_override_end
    )
    section.charts.append(
        Chart(
            "deficit_trajectory",
            "Cumulative DSG balance: actual and forecast, plan and scenarios (shaded: 80% interval)",
            _chart_alt(position, data.financial_year, projection_words) + _override_words(data, drawn),
            drawn.png,
            drawn.axis_labels,
        )
    )
    if "is_forecast" in position.columns:
        forecast = position["is_forecast"].fillna(False).astype(bool)
        position["financial_year"] = position["financial_year"].where(
            ~forecast, position["financial_year"] + " (forecast)"
        )
    section.tables.append(
        public_table(
            "DSG balance by financial year",
            position,
            [
                Column("financial_year", "Year"),
                Column("opening_balance_gbp", "Opening balance", "money"),
                Column("hn_in_year_gbp", "High Needs in-year", "money"),
                Column("closing_balance_gbp", "Closing balance", "money"),
                Column("planned_closing_balance_gbp", "Plan closing balance", "money"),
                Column("gap_to_plan_gbp", "Gap to plan (+ = better)", "money"),
                Column("closing_balance_pct_of_dsg", "Closing % of DSG", "pct"),
            ],
            rules=data.rules,
        )
    )
    if scenarios is not None:
        wide = scenarios.pivot(index="financial_year", columns="scenario", values="cumulative_balance_gbp")
        wide = wide.reset_index()
        wide.columns.name = None
        section.tables.append(
            public_table(
                "Projected cumulative balance by scenario",
                wide,
                [
                    Column("financial_year", "Year"),
                    *(
                        Column(name, sentence_start(scenario_name(name)), "money")
                        for name in wide.columns[1:]
                    ),
                ],
                rules=data.rules,
            )
        )
    return section


SECTION = SectionSpec("deficit", "Deficit trajectory", build)
