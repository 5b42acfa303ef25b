"""Cost per full-time placement by provision type over the years, under disclosure control."""

from __future__ import annotations

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import unsuppressed_numbers
from orchestration.reports.labels import provision_name
from orchestration.reports.money import money_short
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec, require
from orchestration.reports.spend_disclosure import spend_by_type

COLUMNS = [
    "financial_year",
    "provision_type",
    "placements_headcount",
    "placements_fte",
    "spend_gbp",
    "cost_per_fte_gbp",
    "median_annual_cost_gbp",
]
BUILT_ON_PLACEMENTS = ("placements_fte", "spend_gbp", "cost_per_fte_gbp", "median_annual_cost_gbp")


def _hidden_by_spend_tables(data: PackData, cost: pd.DataFrame) -> pd.DataFrame:
    """The cells the spend-by-type table of the same year suppresses: both tables publish those figures."""
    hidden = pd.DataFrame(False, index=cost.index, columns=["placements_headcount", "spend_gbp"])
    for year in cost["financial_year"].unique():
        by_type = spend_by_type(data, str(year))
        if by_type is None:
            continue
        in_year = cost["financial_year"].eq(year)
        for column, spend_column in (
            ("placements_headcount", "placements_headcount"),
            ("spend_gbp", "actual_gbp"),
        ):
            hidden.loc[in_year, column] = cost.loc[in_year, "provision_type"].isin(
                by_type.hidden_types(spend_column)
            )
    return hidden


def _trend_alt(trend: pd.DataFrame) -> str:
    latest_year = trend["financial_year"].max()
    latest = trend[trend["financial_year"] == latest_year].dropna(subset=["cost_per_fte_gbp"])
    finding = ""
    if not latest.empty:
        top = latest.loc[latest["cost_per_fte_gbp"].idxmax()]
        finding = (
            f" In {latest_year} the most expensive type is {top['provision_label']} at "
            f"{money_short(top['cost_per_fte_gbp'])} a year per full-time placement."
        )
    return (
        "Line chart of the annual cost per full-time placement of each provision type by financial year; "
        f"gaps are figures suppressed for small numbers.{finding}"
    )


def build(data: PackData, section: Section) -> Section:
    """A chart of the trend and a table by year and type; medians only over enough placements."""
    cost = require(data, "cost_per_placement", COLUMNS, "Cost per placement").copy()
    cost = cost[cost["provision_type"].notna()]
    cost["provision_label"] = cost["provision_type"].map(provision_name)
    cost = cost.sort_values(["financial_year", "provision_label"]).reset_index(drop=True)
    published = public_table(
        "Cost per placement by financial year and provision type",
        cost,
        [
            Column("financial_year", "Year"),
            Column("provision_label", "Provision type"),
            Column("placements_headcount", "Placements", "count"),
            Column("placements_fte", "FTE", "fte"),
            Column("spend_gbp", "Spend", "money"),
            Column("cost_per_fte_gbp", "Cost per FTE", "money"),
            Column("median_annual_cost_gbp", "Median annual cost", "money"),
        ],
        rules=data.rules,
        counts=["placements_headcount"],
        derived={
            **{column: ["placements_headcount"] for column in BUILT_ON_PLACEMENTS},
            "cost_per_fte_gbp": ["placements_headcount", "spend_gbp"],
        },
        within=["financial_year"],
        order_statistics={"median_annual_cost_gbp": "placements_headcount"},
        hidden=_hidden_by_spend_tables(data, cost),
        note=f"A median is shown only over at least {data.rules.min_values_for_median} placements: over "
        "fewer it is close to one child's fee.",
    )
    trend = cost.assign(cost_per_fte_gbp=unsuppressed_numbers(published.protected["cost_per_fte_gbp"]))
    drawn = charts.cost_per_placement_trend(trend)
    section.charts.append(
        Chart(
            "cost_per_placement_trend",
            "Annual cost per full-time placement, by provision type",
            _trend_alt(trend),
            drawn.png,
            drawn.axis_labels,
        )
    )
    latest_year = cost["financial_year"].max()
    section.paragraphs.append(
        "Cost per placement is the spend on a provision type divided by the full-time-equivalent number of "
        f"placements open in the year, scaled to a full year. {latest_year} covers the year to date."
    )
    section.tables.append(published)
    return section


SECTION = SectionSpec("cost", "Cost per placement", build)
