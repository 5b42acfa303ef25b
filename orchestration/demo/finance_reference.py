"""Finance reference files: DSG funding by block, the opening DSG balance, the High Needs budget by s251
line, and the deficit management plan.

Calibrated on the county's 2022-23 DSG cabinet report: total DSG £562.506m in 2022-23 of which
£84.310m High Needs; High Needs overspent £6.9m in 2021-22, taking the cumulative DSG deficit to £17m.
So the 2021-22 opening balance is −£10.1m, High Needs income for 2021-22 is ≈ £77m (the budget) and the
ledger is calibrated to spend income + £6.9m. Later years follow from the simulated placements (spend
grows faster than income, as it has in most counties), and each deficit plan promises a recovery.
Amounts are held in pence (int64) so the files are exact.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.demo.placements import LINE
from orchestration.demo.timeline import MONTH_NAMES, day, first_weekday_on_or_after

FIRST_FY = 2021
LAST_FY = 2030
"""Financial years of the simulated world (2021-22 … 2030-31)."""

HN_INCOME_2021 = 77_000_000
HN_INCOME_2022 = 84_310_000
HN_INCOME_GROWTH = {
    2023: 1.095,
    2024: 1.082,
    2025: 1.088,
    2026: 1.091,
    2027: 1.085,
    2028: 1.08,
    2029: 1.08,
    2030: 1.08,
}
TOTAL_DSG_2022 = 562_506_000
TOTAL_DSG_GROWTH = {
    2021: 1 / 1.058,
    2023: 1.062,
    2024: 1.071,
    2025: 1.052,
    2026: 1.047,
    2027: 1.04,
    2028: 1.04,
    2029: 1.04,
    2030: 1.04,
}
SCHOOLS_FORUM_TRANSFER = {2022: 2_200_000, 2023: 2_300_000, 2025: 2_600_000}
"""Schools Forum-approved transfers from the schools block to High Needs (0.5 % of the schools block)."""
HN_DEDUCTION_RATE = 0.105
"""Academy and FE place recoupment, as a share of the High Needs allocation."""
CSSB_2021, CSSB_GROWTH = 4_150_000, 1.01
EARLY_YEARS_2021, EARLY_YEARS_GROWTH = 35_800_000, 1.045
EARLY_YEARS_EXPANSION = {2024: 1.18, 2025: 1.12}
"""Extra growth from the early years entitlement expansion (April 2024, September 2025)."""
OVERSPEND_2021 = 6_900_000
OPENING_BALANCE_2021 = -10_100_000

BUDGET_LINES = (
    "1.0.2",
    "1.2.1",
    "1.2.2",
    "1.2.3",
    "1.2.4",
    "1.2.5",
    "1.2.6",
    "1.2.7",
    "1.2.8",
    "1.2.11",
    "1.2.13",
)
UNDER_BUDGET = {
    "1.0.2": 0.0,
    "1.2.1": 0.06,
    "1.2.2": 0.08,
    "1.2.3": 0.16,
    "1.2.4": -0.02,
    "1.2.5": -0.03,
    "1.2.6": 0.0,
    "1.2.7": 0.05,
    "1.2.8": 0.0,
    "1.2.11": 0.05,
    "1.2.13": 0.05,
}
"""How far each line's budget falls short of its spend, before scaling to the income: independent
placements (1.2.3) are the classic under-budgeted line."""


@dataclass(frozen=True)
class Funding:
    """DSG income by block and year (pence) and the derived High Needs income."""

    table: pd.DataFrame
    """financial_year_start, block, allocation, deductions, transfer_in (pence)."""

    def hn_income(self, year: int) -> int:
        row = self.table[(self.table["year"] == year) & (self.table["block"] == "high_needs")].iloc[0]
        return int(row["allocation"] - row["deductions"] + row["transfer_in"])

    def total_income(self, year: int) -> int:
        rows = self.table[self.table["year"] == year]
        return int((rows["allocation"] - rows["deductions"] + rows["transfer_in"]).sum())


def make_funding(scale: int) -> Funding:
    """DSG blocks for every year of the world; High Needs income hits the calibration targets."""
    hn_income = {2021: HN_INCOME_2021, 2022: HN_INCOME_2022}
    total = {2022: TOTAL_DSG_2022, 2021: round(TOTAL_DSG_2022 * TOTAL_DSG_GROWTH[2021])}
    for year in range(2023, LAST_FY + 1):
        hn_income[year] = round(hn_income[year - 1] * HN_INCOME_GROWTH[year], -3)
        total[year] = round(total[year - 1] * TOTAL_DSG_GROWTH[year], -3)
    rows = []
    early_years = EARLY_YEARS_2021
    for year in range(FIRST_FY, LAST_FY + 1):
        if year > FIRST_FY:
            early_years = round(early_years * EARLY_YEARS_GROWTH * EARLY_YEARS_EXPANSION.get(year, 1.0), -3)
        cssb = round(CSSB_2021 * CSSB_GROWTH ** (year - FIRST_FY), -3)
        transfer = SCHOOLS_FORUM_TRANSFER.get(year, 0)
        hn_allocation = round((hn_income[year] - transfer) / (1 - HN_DEDUCTION_RATE))
        hn_deductions = hn_allocation + transfer - hn_income[year]
        schools_block = total[year] - (hn_allocation - hn_deductions) - cssb - early_years
        for block, allocation, deductions, transfer_in in (
            ("schools", schools_block, 0, -transfer),
            ("central_school_services", cssb, 0, 0),
            ("early_years", early_years, 0, 0),
            ("high_needs", hn_allocation, hn_deductions, transfer),
        ):
            rows.append(
                (year, block, allocation * scale * 100, deductions * scale * 100, transfer_in * scale * 100)
            )
    table = pd.DataFrame(rows, columns=["year", "block", "allocation", "deductions", "transfer_in"])
    return Funding(table=table)


def _thursday(iso: str) -> int:
    return first_weekday_on_or_after(day(iso), 3)


@dataclass(frozen=True)
class BudgetRow:
    year: int
    line: str
    budget_type: str
    amount_pence: int
    approved_on: int


def make_budget(
    funding: Funding, spend_fy_line: dict[int, np.ndarray], rng: np.random.Generator
) -> list[BudgetRow]:
    """Original budgets (March before the year) and mid-year virements between lines.

    The original total equals the year's High Needs income; each line gets a share of it in proportion
    to its eventual spend, less the line's habitual under-budgeting. Virements move money between lines
    and keep the total: every November 1.2.3 is topped up from 1.2.5 and 1.2.8; in alternate years a
    February revision tops up 1.2.3 again from 1.2.4 (so 1.2.3 has two revisions; the later one counts).
    """
    rows: list[BudgetRow] = []
    index = [LINE[line] for line in BUDGET_LINES]
    for year in range(FIRST_FY, LAST_FY + 1):
        total = funding.hn_income(year)
        spend = np.clip(spend_fy_line[year][index].astype(float), 1.0, None)
        shortfall = np.array([1 - UNDER_BUDGET[line] for line in BUDGET_LINES]) * rng.uniform(
            0.98, 1.02, len(index)
        )
        weight = spend * shortfall
        amounts = np.round(total * weight / weight.sum() / 10_000) * 10_000  # whole £100s
        amounts[BUDGET_LINES.index("1.2.2")] += total - amounts.sum()
        original = dict(zip(BUDGET_LINES, amounts.astype(np.int64).tolist(), strict=True))
        approved = _thursday(f"{year}-03-08")
        rows += [BudgetRow(year, line, "original", original[line], approved) for line in BUDGET_LINES]
        # November virement: 1.2.3 topped up from 1.2.5 and 1.2.8 (in proportion to their size)
        donors = original["1.2.5"] + original["1.2.8"]
        move = int(round(min(original["1.2.3"] * rng.uniform(0.015, 0.025), 0.2 * donors), -5))
        from_125 = int(round(move * original["1.2.5"] / donors, -2))
        november = _thursday(f"{year}-11-10")
        rows += [
            BudgetRow(year, "1.2.3", "revised", original["1.2.3"] + move, november),
            BudgetRow(year, "1.2.5", "revised", original["1.2.5"] - from_125, november),
            BudgetRow(year, "1.2.8", "revised", original["1.2.8"] - (move - from_125), november),
        ]
        if year % 2 == 0:  # February: 1.2.3 again (its second revision supersedes the first), from 1.2.4
            more = int(round(min(original["1.2.3"] * 0.01, 0.15 * original["1.2.4"]), -5))
            february = _thursday(f"{year + 1}-02-08")
            rows += [
                BudgetRow(year, "1.2.3", "revised", original["1.2.3"] + move + more, february),
                BudgetRow(year, "1.2.4", "revised", original["1.2.4"] - more, february),
            ]
    return rows


@dataclass(frozen=True)
class DeficitPlan:
    version: str
    approved_on: int
    years: list[int]
    planned_in_year: list[int]
    """Pence; negative = planned overspend."""
    planned_closing: list[int]


def make_deficit_plans(funding: Funding, spend_total: dict[int, int], scale: int) -> list[DeficitPlan]:
    """One plan per year: v1 with the 2021-22 budget, then each July once the outturn is known.

    Closed years carry the actual outturn; the plan then promises the overspend shrinks to a small
    surplus over four years (the usual shape of a DSG management plan).
    """
    opening = OPENING_BALANCE_2021 * scale * 100
    actual_in_year = {y: funding.hn_income(y) - spend_total[y] for y in spend_total}
    plans = []
    for version in range(1, LAST_FY - FIRST_FY + 2):
        if version == 1:
            approved, first_planned = _thursday("2021-03-15"), FIRST_FY
            base_overspend = 5_500_000 * scale * 100
        else:
            first_planned = FIRST_FY + version - 1
            approved = _thursday(f"{first_planned}-07-08")
            base_overspend = max(-actual_in_year[first_planned - 1], 1_000_000 * scale * 100)
        years, in_year, closing = [], [], []
        balance = opening
        for year in range(FIRST_FY, min(first_planned + 5, LAST_FY + 1)):
            if year < first_planned:
                change = actual_in_year[year]
            else:
                factor = (0.8, 0.55, 0.3, 0.1, -0.05)[year - first_planned]
                change = -int(round(base_overspend * factor, -6))  # whole £10,000s
            balance += change
            years.append(year)
            in_year.append(int(change))
            closing.append(int(balance))
        when = np.datetime64(approved, "D").astype(object)
        meeting = f"{when.day} {MONTH_NAMES[when.month - 1]} {when.year}"
        label = f"DSG management plan v{version} (Schools Forum, {meeting})"
        plans.append(DeficitPlan(label, approved, years, in_year, closing))
    return plans


def plan_in_force(plans: list[DeficitPlan], as_at_day: int) -> DeficitPlan:
    """The newest plan approved on or before a day (the file holds the one plan in force)."""
    return [p for p in plans if p.approved_on <= as_at_day][-1]
