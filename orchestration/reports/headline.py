"""The headline at the top of the pack: a few plain-English sentences and the key figures boxed beneath.

The headline is a list of parts (`HEADLINE_PARTS`), each saying one thing from one mart: a new part (the
forecast's accuracy, the DSG management plan) is one function and one line. A part whose data is not there
yet says so in its place.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from orchestration.reports.content import HeadlinePart, KeyFigure, NotAvailable
from orchestration.reports.data import PackData
from orchestration.reports.formatting import month_label, year_end_label
from orchestration.reports.money import money_short
from orchestration.reports.sections.budget import current_budget_lines
from orchestration.reports.sections.common import numbers, require, total_of

HeadlinePartBuilder = Callable[[PackData], HeadlinePart]


def forecast_against_budget(data: PackData) -> HeadlinePart:
    """The year's forecast outturn against its budget, and the variance."""
    lines = current_budget_lines(data)
    budget = total_of(lines["budget_gbp"].fillna(0))
    forecast = total_of(lines["forecast_with_growth_gbp"])
    variance = forecast - budget
    if abs(variance) < 0.5:
        verdict = "exactly on budget"
    else:
        direction = "overspend" if variance > 0 else "underspend"
        share = f" ({abs(variance) / budget * 100:.1f}% of the budget)" if budget else ""
        verdict = f"an {direction} of {money_short(abs(variance))}{share}"
    return HeadlinePart(
        [
            f"As at the end of {month_label(data.month)}, High Needs spending in {data.financial_year} is "
            f"forecast at {money_short(forecast)} against a budget of {money_short(budget)}: {verdict}."
        ],
        [
            KeyFigure(
                "Forecast outturn", money_short(forecast), f"{data.financial_year}, incl. expected growth"
            ),
            KeyFigure("Budget", money_short(budget), f"{data.financial_year}, latest approved"),
            KeyFigure(
                "Variance",
                money_short(variance),
                "overspend (+ = over budget)" if variance > 0 else "underspend or on budget (− = under)",
                "bad" if variance > 0 else "good",
            ),
        ],
    )


def deficit_against_plan(data: PackData) -> HeadlinePart:
    """The cumulative DSG balance forecast at the year end, against the deficit management plan."""
    position = require(
        data,
        "dsg_deficit_position",
        ["financial_year", "closing_balance_gbp", "planned_closing_balance_gbp", "gap_to_plan_gbp"],
        "The DSG deficit position",
    )
    year = position[position["financial_year"] == data.financial_year]
    if year.empty:
        raise NotAvailable(f"The DSG deficit position for {data.financial_year} is not available yet.")
    row = year.iloc[0]
    closing, planned, gap = numbers(
        row[["closing_balance_gbp", "planned_closing_balance_gbp", "gap_to_plan_gbp"]]
    )
    if pd.isna(closing):
        raise NotAvailable(f"The closing DSG balance for {data.financial_year} is not available yet.")
    year_end = year_end_label(data.financial_year)
    balance_words = (
        f"a cumulative DSG deficit of {money_short(abs(closing))}"
        if closing < 0
        else f"a cumulative DSG surplus of {money_short(closing)}"
    )
    sentence = f"That leaves {balance_words} forecast at {year_end}"
    if "closing_balance_pct_of_dsg" in row and pd.notna(row["closing_balance_pct_of_dsg"]):
        sentence += f" ({abs(float(row['closing_balance_pct_of_dsg'])):.1f}% of total DSG income)"
    if pd.notna(planned) and pd.notna(gap):
        plan_words = (
            f"a deficit of {money_short(abs(planned))}"
            if planned < 0
            else f"a balance of {money_short(planned)}"
        )
        better = "better" if gap >= 0 else "worse"
        sentence += (
            f"; the deficit management plan expected {plan_words}, so the position is "
            f"{money_short(abs(gap))} {better} than plan"
        )
    on_plan = pd.notna(gap) and gap >= 0
    return HeadlinePart(
        [sentence + "."],
        [
            KeyFigure(
                "Cumulative DSG balance",
                money_short(closing),
                f"forecast at {year_end}" + (" (a deficit)" if closing < 0 else ""),
                "bad" if closing < 0 else "good",
            ),
            KeyFigure(
                "Deficit plan", money_short(planned) if pd.notna(planned) else "x", "planned closing balance"
            ),
            KeyFigure(
                "Gap to plan",
                money_short(gap) if pd.notna(gap) else "x",
                ("better than plan" if on_plan else "worse than plan") + " (+ = better)",
                "good" if on_plan else "bad",
            ),
        ],
    )


HEADLINE_PARTS: tuple[HeadlinePartBuilder, ...] = (forecast_against_budget, deficit_against_plan)


def build_headline(data: PackData) -> tuple[list[str], list[KeyFigure]]:
    """Every part's sentences in order, and their key figures; a part without data says why."""
    sentences: list[str] = []
    figures: list[KeyFigure] = []
    for part in HEADLINE_PARTS:
        try:
            said = part(data)
        except NotAvailable as reason:
            sentences.append(str(reason))
            continue
        sentences += said.sentences
        figures += said.figures
    return sentences, figures
