"""Which spend figures of one financial year must be `c`, decided once for every table that shows them.

A year's spend is published three ways: by provision type (spend section, cost per placement), by s251 line
(spend section, budget table: actual to date, forecast, prior-year outturn) and in total. A provision type
with few placements is suppressed in the by-type table, but if it is the only spend on its s251 line, that
line's total gives it straight back; if it shares the line with published types, subtraction does, and
spend that is not a placement spreads over several lines. So the year's spend is seen as one grid, s251
line × provision type, whose cells are never published but whose line totals, type totals and grand total
are (`disclosure.protect_margins`):

1. the by-type table is protected for its placement counts (a small count hides its spend too);
2. line and type totals are then suppressed, smallest first, until no small type's spend can be worked
   out from what is still published, by any sum or difference of published totals.

Every table showing the year's line totals or type spend takes these cells as `hidden`, so the tables agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import pandas as pd

from orchestration.reports.data import PackData
from orchestration.reports.disclosure import SUPPRESSED, is_small_count, protect_margins
from orchestration.reports.labels import provision_name
from orchestration.reports.public_tables import TOTAL, protect_for_publication

SPEND_COLUMNS = {"financial_year", "month", "s251_line", "provision_type", "actual_gbp"}
COST_COLUMNS = {"financial_year", "provision_type", "placements_headcount"}
NOT_A_PLACEMENT_KEY = "(not a placement)"
"""Spend with no provision type, as a column of the line × type grid (a pivot drops NULL keys)."""


@dataclass(frozen=True)
class SpendByType:
    """One year's spend by provision type beside its placements, with a total row, and its protection.

    `frame` is what the spend section publishes, `protection` the keywords of its disclosure control,
    `protected` the frame with `c` in place; `hidden_lines` the s251 lines whose year total must be `c`.
    """

    title: str
    frame: pd.DataFrame
    protection: dict[str, Any]
    hidden_lines: frozenset[str]

    @cached_property
    def protected(self) -> pd.DataFrame:
        return protect_for_publication(self.title, self.frame, **self.protection)

    def hidden_types(self, column: str) -> set[str | None]:
        """Provision types (None = not a placement) whose `column` (spend or placements) is `c`."""
        is_hidden = self.protected[column].isin([SUPPRESSED]).to_numpy()
        return {None if pd.isna(code) else code for code in self.frame["provision_type"][is_hidden]}


def spend_of_year(data: PackData, financial_year: str) -> pd.DataFrame | None:
    """The ledger actuals of one financial year up to the pack's month (one row per month × line × type)."""
    spend = data.table("spend_by_provision_type")
    if spend is None or not set(spend.columns) >= SPEND_COLUMNS:
        return None
    year = spend[(spend["financial_year"] == financial_year) & (spend["month"] <= data.month)]
    return year if not year.empty else None


def headcount_of_year(data: PackData, financial_year: str) -> pd.Series | None:
    """Placements open in the year by provision type (cost_per_placement), the counts behind its spend."""
    cost = data.table("cost_per_placement")
    if cost is None or not set(cost.columns) >= COST_COLUMNS:
        return None
    year = cost[cost["financial_year"] == financial_year]
    return year.groupby("provision_type")["placements_headcount"].sum() if not year.empty else None


def spend_by_type(data: PackData, financial_year: str) -> SpendByType | None:
    """The year's spend by provision type, protected; None when spend or placement numbers are missing."""
    year = spend_of_year(data, financial_year)
    headcount = headcount_of_year(data, financial_year)
    if year is None or headcount is None:
        return None
    by_type = year.groupby("provision_type", dropna=False, as_index=False)["actual_gbp"].sum()
    by_type["placements_headcount"] = by_type["provision_type"].map(headcount)
    by_type["provision_label"] = by_type["provision_type"].map(provision_name)
    # Alphabetical, never by amount: the place of a suppressed row in a sorted list would bound its value.
    by_type = (
        by_type.assign(_services=by_type["provision_type"].isna())
        .sort_values(["_services", "provision_label"])
        .drop(columns="_services")
        .reset_index(drop=True)
    )
    # Spend on a placement type with no placement open in the year can't be checked for small numbers:
    # it is counted as 1 so that it is suppressed (shown as c) rather than published unchecked.
    unknown = by_type["provision_type"].notna() & by_type["placements_headcount"].isna()
    by_type.loc[unknown, "placements_headcount"] = 1
    total = {
        "provision_type": TOTAL,
        "provision_label": "All provision",
        "actual_gbp": pd.to_numeric(by_type["actual_gbp"]).sum(),
        "placements_headcount": pd.to_numeric(by_type.loc[~unknown, "placements_headcount"]).sum(),
    }
    frame = pd.concat([by_type, pd.DataFrame([total])], ignore_index=True)
    title = f"Spend to date in {financial_year} by provision type"
    protection: dict[str, Any] = {
        "rules": data.rules,
        "counts": ["placements_headcount"],
        "derived": {"actual_gbp": ["placements_headcount"]},
        "total_rows": frame["provision_type"].eq(TOTAL),
        "not_applicable": pd.DataFrame({"placements_headcount": frame["provision_type"].isna()}),
    }
    by_counts = protect_for_publication(title, frame, **protection)
    type_key = frame["provision_type"].fillna(NOT_A_PLACEMENT_KEY)
    margins = protect_margins(
        year.assign(_type=year["provision_type"].fillna(NOT_A_PLACEMENT_KEY)).pivot_table(
            index="s251_line", columns="_type", values="actual_gbp", aggfunc="sum"
        ),
        hidden_columns=set(type_key[by_counts["actual_gbp"].isin([SUPPRESSED]).to_numpy()]),
        sensitive_columns=set(type_key[is_small_count(frame["placements_headcount"], data.rules).to_numpy()]),
    )
    protection["hidden"] = pd.DataFrame({"actual_gbp": type_key.isin(margins.columns)})
    return SpendByType(title, frame, protection, frozenset(str(line) for line in margins.rows))


def spend_by_line(data: PackData, financial_year: str) -> pd.DataFrame | None:
    """The year's spend to date by s251 line (`s251_line`, `actual_gbp`); None when there is none."""
    year = spend_of_year(data, financial_year)
    if year is None:
        return None
    return year.groupby("s251_line", as_index=False)["actual_gbp"].sum()


def line_totals_to_hide(data: PackData, financial_year: str) -> frozenset[str]:
    """The s251 lines whose total for the year must be `c` wherever it is published (none without types)."""
    by_type = spend_by_type(data, financial_year)
    return by_type.hidden_lines if by_type is not None else frozenset()
