"""The Schools Forum pack built from a small warehouse of hand-made marts (contract column names).

`make_pack_home` is shared with the browser test: it writes marts whose numbers are plausible for a shire
county, with a few small counts planted where the pack must show `c`, a formula planted in a text cell,
and a raw placements table holding canary values that must never reach any file of the pack.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from datetime import date
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from PIL import Image

from orchestration.reports.data import load_pack_data
from orchestration.reports.pack import PackResult, build_pack
from orchestration.reports.sections import build_content
from orchestration.reports.workbook import MONEY_FORMAT
from orchestration.settings import Settings
from orchestration.warehouse import connect
from tests.conftest import DEMO_LATEST_MONTH, DemoRun
from tests.support import outcome_marts, pack_marts_v2

MONTH = "2025-10"
FINANCIAL_YEAR = "2025-26"
CANARY_PSEUDONYM = "CANARY-PSEUDONYM-7f3a"
CANARY_PLACEMENT = "CANARY-PLACEMENT-991"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","click")'

# provision type → (s251 line, headcount per year 2023-24/2024-25/2025-26, annual cost £)
PROVISION = {
    "mainstream_maintained": ("1.2.1", (410, 445, 470), 7_200),
    "mainstream_academy": ("1.2.2", (380, 420, 455), 7_400),
    "special_maintained": ("1.2.1", (260, 270, 282), 21_500),
    "special_academy": ("1.2.2", (300, 318, 335), 23_000),
    "special_independent": ("1.2.3", (120, 138, 151), 62_000),
    "post16_fe": ("1.2.2", (150, 162, 170), 9_500),
    "post16_specialist": ("1.2.3", (40, 44, 47), 45_000),
    "eotas": ("1.2.3", (6, 7, 3), 38_000),
    "hospital_education": ("1.2.6", (2, 0, 2), 30_000),
}
SERVICES = {"1.2.5": 2_400_000, "1.0.2": 6_100_000, "1.2.7": 900_000}
PLACEMENT_LINES = {line for line, _heads, _cost in PROVISION.values()}
YEARS = ("2023-24", "2024-25", "2025-26")


def _months_of(year: str, last: str | None = None) -> list[str]:
    start = int(year[:4])
    months = pd.period_range(f"{start}-04", f"{start + 1}-03", freq="M").strftime("%Y-%m").tolist()
    return [m for m in months if last is None or m <= last]


def _spend() -> pd.DataFrame:
    rows = []
    for year_index, year in enumerate(YEARS):
        for provision_type, (line, heads, cost) in PROVISION.items():
            annual = heads[year_index] * cost * (1.04**year_index)
            ytd = 0.0
            for month_index, month in enumerate(_months_of(year, MONTH)):
                actual = round(annual / 12 * (1 + 0.01 * ((month_index % 3) - 1)), 2)
                ytd += actual
                rows.append((year, month, line, provision_type, actual, round(ytd, 2)))
        for line, annual in SERVICES.items():
            ytd = 0.0
            for month in _months_of(year, MONTH):
                actual = round(annual * (1.03**year_index) / 12, 2)
                ytd += actual
                rows.append((year, month, line, None, actual, round(ytd, 2)))
    return pd.DataFrame(
        rows,
        columns=["financial_year", "month", "s251_line", "provision_type", "actual_gbp", "ytd_actual_gbp"],
    )


def _cost_per_placement() -> pd.DataFrame:
    rows = []
    for year_index, year in enumerate(YEARS):
        for provision_type, (_line, heads, cost) in PROVISION.items():
            headcount = heads[year_index]
            fte = headcount * 0.82
            spend = headcount * cost * (1.04**year_index) * (7 / 12 if year == FINANCIAL_YEAR else 1)
            per_fte = spend / fte * (12 / 7 if year == FINANCIAL_YEAR else 1) if fte else np.nan
            median = cost * (1.04**year_index) if headcount else np.nan
            rows.append((year, provision_type, headcount, fte, spend, per_fte, median))
    return pd.DataFrame(
        rows,
        columns=[
            "financial_year",
            "provision_type",
            "placements_headcount",
            "placements_fte",
            "spend_gbp",
            "cost_per_fte_gbp",
            "median_annual_cost_gbp",
        ],
    )


def _budget_vs_outturn() -> pd.DataFrame:
    budgets = {
        "1.0.2": 6_300_000,
        "1.2.1": 9_500_000,
        "1.2.2": 12_500_000,
        "1.2.3": 11_500_000,
        "1.2.5": 2_500_000,
        "1.2.6": 50_000,
        "1.2.7": 950_000,
        "1.2.13": None,
    }
    spend = _spend()
    prior_year = spend[spend["financial_year"] == "2024-25"].groupby("s251_line")["actual_gbp"].sum()
    rows = []
    for month_index, month in enumerate(_months_of(FINANCIAL_YEAR, MONTH), start=1):
        actual = spend[(spend["financial_year"] == FINANCIAL_YEAR) & (spend["month"] <= month)]
        by_line = actual.groupby("s251_line")["actual_gbp"].sum()
        for line, budget in budgets.items():
            actual_ytd = float(by_line.get(line, 0.0))
            committed = actual_ytd / month_index * (12 - month_index)
            placements_share = 1.0 if line in PLACEMENT_LINES else 0.0
            growth = 0.02 * (actual_ytd + committed) if line in ("1.2.1", "1.2.2", "1.2.3") else 0.0
            forecast = actual_ytd + committed
            with_growth = forecast + growth
            variance = with_growth - budget if budget is not None else None
            rows.append(
                (
                    FINANCIAL_YEAR,
                    month,
                    line,
                    budget,
                    float(prior_year.get(line, 0.0)),
                    actual_ytd,
                    committed * placements_share,
                    committed * (1 - placements_share),
                    committed,
                    forecast,
                    growth,
                    with_growth,
                    variance,
                    variance / budget * 100 if budget else None,
                )
            )
    frame = pd.DataFrame(
        rows,
        columns=[
            "financial_year",
            "as_at_month",
            "s251_line",
            "budget_gbp",
            "prior_year_outturn_gbp",
            "actual_ytd_gbp",
            "committed_placements_gbp",
            "run_rate_gbp",
            "committed_gbp",
            "forecast_outturn_gbp",
            "growth_gbp",
            "forecast_with_growth_gbp",
            "variance_gbp",
            "variance_pct",
        ],
    )
    # the expected view: 5 % of placements leave, other spend runs 10 % above its flat rate, and the
    # adjustment of tests.support.pack_marts_v2 adds £185,000 to 1.2.3 from July
    frame["expected_leavers_gbp"] = -(0.05 * frame["committed_placements_gbp"]).round(2)
    frame["seasonality_gbp"] = (0.1 * frame["run_rate_gbp"]).round(2)
    frame["adjustments_gbp"] = np.where(
        (frame["s251_line"] == "1.2.3") & (frame["as_at_month"] >= "2025-07"), 185_000.0, 0.0
    )
    frame["forecast_expected_gbp"] = (
        frame["forecast_with_growth_gbp"]
        + frame["expected_leavers_gbp"]
        + frame["seasonality_gbp"]
        + frame["adjustments_gbp"]
    )
    frame["variance_expected_gbp"] = frame["forecast_expected_gbp"] - frame["budget_gbp"]
    frame["placements_snapshot_month"] = "2025-09"
    frame["forecast_quality"] = "ok"
    return frame


def _deficit_position() -> pd.DataFrame:
    rows = [
        ("2022-23", -8_200_000.0, -3_900_000.0, -12_100_000.0, -11_500_000.0, 410_000_000.0, 38e6, -3.3e6),
        ("2023-24", -12_100_000.0, -4_800_000.0, -16_900_000.0, -15_800_000.0, 425_000_000.0, 39e6, -3.7e6),
        ("2024-25", -16_900_000.0, -5_600_000.0, -22_500_000.0, -19_900_000.0, 441_000_000.0, 40e6, -3.0e6),
        (
            FINANCIAL_YEAR,
            -22_500_000.0,
            -6_900_000.0,
            -29_400_000.0,
            -23_600_000.0,
            456_000_000.0,
            41.1e6,
            -2.5e6,
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "financial_year",
            "opening_balance_gbp",
            "hn_in_year_gbp",
            "closing_balance_gbp",
            "planned_closing_balance_gbp",
            "_total_dsg",
            "hn_income_gbp",
            "planned_hn_in_year_gbp",
        ],
    )
    frame["gap_to_plan_gbp"] = frame["closing_balance_gbp"] - frame["planned_closing_balance_gbp"]
    frame["closing_balance_pct_of_dsg"] = frame["closing_balance_gbp"] / frame["_total_dsg"] * 100
    # the whole DSG: the other blocks' in-year (_dsg_blocks) added to High Needs', chained from the opening
    other_in_year = (
        _dsg_blocks().query("dsg_block != 'high_needs'").groupby("financial_year")["in_year_gbp"].sum()
    )
    frame["total_dsg_income_gbp"] = frame["_total_dsg"]
    frame["in_year_all_blocks_gbp"] = frame["hn_in_year_gbp"] + frame["financial_year"].map(other_in_year)
    frame["spend_all_blocks_gbp"] = frame["total_dsg_income_gbp"] - frame["in_year_all_blocks_gbp"]
    frame["closing_balance_all_blocks_gbp"] = -8_200_000.0 + frame["in_year_all_blocks_gbp"].cumsum()
    return frame.drop(columns="_total_dsg")


# DSG blocks: (income £, spend £) of the blocks other than High Needs, whose figures are the position's.
OTHER_BLOCKS = {
    "schools": (0.74, -150_000.0),
    "central_school_services": (0.008, 60_000.0),
}
"""Share of total DSG income and spend above income; early years takes the rest and underspends £0.4m."""


def _dsg_blocks() -> pd.DataFrame:
    rows = []
    names = {
        "schools": ("Schools block", 1),
        "central_school_services": ("Central school services block", 2),
        "early_years": ("Early years block", 3),
        "high_needs": ("High needs block", 4),
    }
    totals = {"2022-23": 410e6, "2023-24": 425e6, "2024-25": 441e6, FINANCIAL_YEAR: 456e6}
    high_needs = {"2022-23": (38e6, -3.9e6), "2023-24": (39e6, -4.8e6), "2024-25": (40e6, -5.6e6)}
    high_needs[FINANCIAL_YEAR] = (41.1e6, -6.9e6)
    for year, total in totals.items():
        transfer = 2_000_000.0 if year == "2024-25" else 0.0  # schools → high needs
        income = {block: round(total * share, -3) for block, (share, _over) in OTHER_BLOCKS.items()}
        income["schools"] -= transfer
        income["high_needs"] = high_needs[year][0]
        income["early_years"] = total - sum(income.values())
        spend = {block: income[block] + over for block, (_share, over) in OTHER_BLOCKS.items()}
        spend["early_years"] = income["early_years"] - 400_000.0
        spend["high_needs"] = income["high_needs"] - high_needs[year][1]
        for block, (name, order) in names.items():
            moved = {"schools": -transfer, "high_needs": transfer}.get(block, 0.0)
            rows.append(
                {
                    "financial_year": year,
                    "dsg_block": block,
                    "block_name": name,
                    "block_order": order,
                    "transfer_in_gbp": moved,
                    "income_gbp": income[block],
                    "spend_gbp": spend[block],
                    "spend_status": "forecast" if year == FINANCIAL_YEAR else "outturn",
                    "in_year_gbp": income[block] - spend[block],
                }
            )
    return pd.DataFrame(rows)


def _ehcp_population_trend() -> pd.DataFrame:
    groups = {
        "mainstream": ("mainstream schools", (820, 860, 925)),
        "resourced": ("resourced provision and SEN units", (40, 46, 52)),
        "special": ("maintained and academy special schools", (560, 588, 617)),
        "independent_non_maintained": ("independent and non-maintained special schools", (120, 138, 151)),
        "ap_hospital": ("alternative provision and hospital education", (4, 2, 3)),  # small: c in public
        "post16": ("post-16 colleges and specialist institutions", (190, 206, 217)),
        "other": ("other arrangements", (6, 7, 3)),
    }
    censuses = (("2024-01", True, False), ("2025-01", True, False), (MONTH, False, True))
    rows = []
    for index, (month, is_january, is_latest) in enumerate(censuses):
        everyone = sum(counts[index] for _name, counts in groups.values())
        for order, (group, (name, counts)) in enumerate(groups.items(), start=1):
            rows.append(
                {
                    "snapshot_month": month,
                    "breakdown": "placement_type",
                    "category": group,
                    "category_name": name,
                    "category_order": order,
                    "is_january": is_january,
                    "is_latest": is_latest,
                    "ehcps": counts[index],
                    "all_ehcps": everyone,
                    "share_pct": counts[index] / everyone * 100,
                }
            )
    return pd.DataFrame(rows)


def _mitigation_tracker() -> pd.DataFrame:
    rows = [
        (
            "Inclusive mainstream",
            "Head of Inclusion",
            "2024-25",
            900_000.0,
            850_000.0,
            "green",
            "delivered_share",
        ),
        (
            "Local special places",
            "Head of SEND Sufficiency",
            "2024-25",
            1_500_000.0,
            900_000.0,
            "amber",
            "delivered_share",
        ),
        (
            "Independent fees",
            "Head of SEND Commissioning",
            "2024-25",
            1_000_000.0,
            300_000.0,
            "red",
            "delivered_share",
        ),
        (
            "Inclusive mainstream",
            "Head of Inclusion",
            FINANCIAL_YEAR,
            1_100_000.0,
            None,
            "grey",
            "year_not_ended",
        ),
        (
            "Local special places",
            "Head of SEND Sufficiency",
            FINANCIAL_YEAR,
            2_500_000.0,
            None,
            "grey",
            "year_not_ended",
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "workstream",
            "owner",
            "financial_year",
            "target_saving_gbp",
            "delivered_saving_gbp",
            "rag",
            "rag_basis",
        ],
    )
    frame["delivered_pct"] = frame["delivered_saving_gbp"] / frame["target_saving_gbp"] * 100
    frame["is_due"] = frame["financial_year"] == "2024-25"
    frame["as_at_month"] = MONTH
    return frame


NEEDS = ("ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD")


def _placement_flows() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for month in pd.period_range("2024-11", MONTH, freq="M").strftime("%Y-%m"):
        for provision_type, (_line, heads, _cost) in PROVISION.items():
            for need_index, need in enumerate(NEEDS):
                share = (0.34, 0.24, 0.16, 0.12, 0.09, 0.05)[need_index]
                active = round(heads[2] * share)
                if provision_type == "special_academy" and need == "PMLD":
                    active = 3  # a small count planted in the two-way table
                starters = int(rng.poisson(max(active, 1) * 0.02))
                leavers = int(rng.poisson(max(active, 1) * 0.015))
                rows.append((month, provision_type, need, starters, leavers, active))
    return pd.DataFrame(
        rows,
        columns=["month", "provision_type", "primary_need", "starters", "leavers", "active_end_of_month"],
    )


def _exclusion_rates() -> pd.DataFrame:
    def rows_for(group: str, parts: dict[str, tuple[float, int, int]]) -> list[tuple]:
        total_head = sum(head for head, _s, _p in parts.values())
        total_s = sum(s for _h, s, _p in parts.values())
        total_p = sum(p for _h, _s, p in parts.values())
        out = []
        for name, (head, suspensions, exclusions) in parts.items():
            others_s, others_h, others_p = total_s - suspensions, total_head - head, total_p - exclusions
            s_rate, p_rate = suspensions / head * 100, exclusions / head * 100
            s_rr = s_rate / (others_s / others_h * 100) if others_s else None
            p_rr = p_rate / (others_p / others_h * 100) if others_p else None
            out.append(("2024/25", group, name, head, suspensions, exclusions, s_rate, p_rate, s_rr, p_rr))
        return out

    sen = {"ehcp": (2_100.0, 620, 9), "sen_support": (10_400.0, 2_050, 14), "no_sen": (70_500.0, 3_930, 21)}
    ethnicity = {
        "white": (64_000.0, 5_100, 35),
        "mixed": (6_100.0, 790, 6),
        "asian": (6_800.0, 340, 1),
        "black": (3_300.0, 330, 2),
        "chinese": (400.0, 3, 0),
        "other": (1_300.0, 25, 0),
        "unclassified": (1_100.0, 12, 0),
    }
    total_head = sum(head for head, _s, _p in sen.values())
    total_s = sum(s for _h, s, _p in sen.values())
    total_p = sum(p for _h, _s, p in sen.values())
    rows = [
        (
            "2024/25",
            "total",
            "total",
            total_head,
            total_s,
            total_p,
            total_s / total_head * 100,
            total_p / total_head * 100,
            None,
            None,
        )
    ]
    rows += rows_for("sen_status", sen) + rows_for("ethnicity_major", ethnicity)
    frame = pd.DataFrame(
        rows,
        columns=[
            "academic_year",
            "characteristic_group",
            "characteristic",
            "headcount",
            "suspensions",
            "permanent_exclusions",
            "suspension_rate",
            "permanent_exclusion_rate",
            "suspension_risk_ratio",
            "permanent_exclusion_risk_ratio",
        ],
    )
    # Intervals as the mart writes them: RR × exp(± 1.96 × sqrt(1/a + 1/b)), b = the others' events.
    for event, count in (("suspension", "suspensions"), ("permanent_exclusion", "permanent_exclusions")):
        in_group = frame.groupby("characteristic_group")[count].transform("sum")
        others = (in_group - frame[count]).where(frame["characteristic_group"] != "total")
        error = np.sqrt(1 / frame[count].where(frame[count] > 0) + 1 / others.where(others > 0))
        ratio = frame[f"{event}_risk_ratio"].astype(float)
        frame[f"{event}_risk_ratio_ci_low"] = ratio * np.exp(-1.96 * error)
        frame[f"{event}_risk_ratio_ci_high"] = ratio * np.exp(1.96 * error)
        heads = frame.groupby("characteristic_group")["headcount"].transform("sum") - frame["headcount"]
        frame[f"others_{event}_rate"] = (others / heads * 100).where(frame["characteristic_group"] != "total")
    return frame


def _impact_estimates() -> pd.DataFrame:
    rows = [
        (
            "restorative_practice",
            "suspension_rate",
            "callaway_santanna",
            "simple",
            -0.62,
            0.21,
            12,
            48,
            0.71,
            "Schools using restorative practice suspended about 0.6 fewer pupils per 100 each term "
            "than similar schools that did not.",
        ),
        (
            "restorative_practice",
            "suspension_rate",
            "twfe",
            "none",
            -0.55,
            0.20,
            12,
            48,
            None,
            "The two-way fixed effects estimate agrees: about 0.55 fewer suspensions per 100 pupils "
            "per term.",
        ),
        (
            "trauma_informed",
            "suspension_rate",
            "callaway_santanna",
            "simple",
            -0.10,
            0.25,
            9,
            48,
            0.44,
            FORMULA_TEXT,
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "programme",
            "outcome",
            "estimator",
            "aggregation",
            "estimate",
            "std_error",
            "n_treated_units",
            "n_control_units",
            "pretrend_p_value",
            "interpretation",
        ],
    )
    frame["ci_low"] = frame["estimate"] - 1.96 * frame["std_error"]
    frame["ci_high"] = frame["estimate"] + 1.96 * frame["std_error"]
    frame["p_value"] = [0.003, 0.006, 0.69]
    frame["estimate_scale"] = "difference"
    rate_ratio = {
        "programme": "restorative_practice",
        "outcome": "permanent_exclusion_rate",
        "estimator": "poisson_twfe",
        "aggregation": "none",
        "estimate": 0.81,
        "std_error": 0.09,
        "n_treated_units": 12,
        "n_control_units": 48,
        "pretrend_p_value": None,
        "interpretation": "Permanent exclusions were about a fifth lower in schools using restorative "
        "practice.",
        "ci_low": 0.66,
        "ci_high": 0.99,
        "p_value": 0.04,
        "estimate_scale": "rate_ratio",
    }
    return pack_marts_v2.impact_v2_columns(pd.concat([frame, pd.DataFrame([rate_ratio])], ignore_index=True))


def _event_study() -> pd.DataFrame:
    rows = []
    for programme, effect in (("restorative_practice", -0.7), ("trauma_informed", -0.1)):
        for period in range(-4, 5):
            estimate = effect * min(1, (period + 1) / 3) if period >= 0 else 0.05 * ((period % 2) - 0.5)
            rows.append(
                (programme, "suspension_rate", period, estimate, 0.22, estimate - 0.43, estimate + 0.43)
            )
    return pd.DataFrame(
        rows,
        columns=["programme", "outcome", "relative_period", "estimate", "std_error", "ci_low", "ci_high"],
    )


def _hn_projection() -> pd.DataFrame:
    """Shaped like analyses.projection's mart: rows per provision type (no balance), a NULL-type row for
    spend that is not placements, and an `all` row holding totals, balances, their interval and the plan."""
    rows = []
    closing = {  # current year (anchored to the forecast) then three projected years
        "unmitigated": (-29.4e6, -38e6, -48e6, -59e6),
        "deficit_plan_actions": (-29.4e6, -33e6, -36e6, -38e6),
        "high_growth": (-29.4e6, -41e6, -55e6, -71e6),
    }
    plan = (-23.6e6, -25.0e6, -24.0e6, -21.0e6)
    for scenario, balances in closing.items():
        for index, year in enumerate((FINANCIAL_YEAR, "2026-27", "2027-28", "2028-29")):
            spread = 2.5e6 * index
            base = {"financial_year": year, "scenario": scenario, "is_current_year": index == 0}
            for provision_type, (_line, heads, cost) in PROVISION.items():
                placements = heads[2] * 1.06**index
                rows.append(
                    base
                    | {
                        "provision_type": provision_type,
                        "placements": placements,
                        "cost_per_placement_gbp": cost * 1.05**index,
                        "spend_gbp": placements * cost * 1.05**index,
                    }
                )
            rows.append(base | {"provision_type": None, "spend_gbp": 10.2e6 * 1.03**index})
            previous = balances[index - 1] if index else -22.5e6
            rows.append(
                base
                | {
                    "provision_type": "all",
                    "spend_gbp": 59e6 - (balances[index] - previous),
                    "income_gbp": 59e6,
                    "in_year_balance_gbp": balances[index] - previous,
                    "cumulative_balance_gbp": balances[index],
                    "cumulative_balance_p10_gbp": balances[index] - spread,
                    "cumulative_balance_p90_gbp": balances[index] + spread,
                    "planned_closing_balance_gbp": plan[index],
                }
            )
    return pd.DataFrame(rows)


def _benchmarks() -> pd.DataFrame:
    rows = []
    figures = {
        ("dsg_cumulative_balance_pct_of_dsg", "2021-22", None): (-4.9, -2.1, -1.8, -3.0),
        ("ehc_requests", "2022", None): (1_450, 14_200, 114_500, 1_180),
        ("ehc_new_plans", "2022", None): (890, 8_700, 66_200, 760),
        ("hn_budget_per_head_gbp", "2021-22", "1.2.3"): (132.4, 118.0, 121.7, 109.9),
        ("hn_budget_per_head_gbp", "2021-22", "1.0.2"): (61.0, 66.3, 70.8, 64.1),
    }
    for (measure, period, line), (la, region, england, neighbours) in figures.items():
        for comparator, area, value, n_areas, rank in (
            ("la", FORMULA_TEXT if measure == "ehc_requests" else "Shire County", la, 1, 3),
            ("region", "South East", region, 1, None),
            ("england", "England", england, 1, None),
            ("statistical_neighbours", "Statistical neighbours", neighbours, 10, None),
        ):
            rows.append((measure, period, line, comparator, area, value, None, n_areas, rank))
        for offset, (name, _region, _distance) in zip((-1, 1), pack_marts_v2.NEIGHBOURS, strict=True):
            rows.append((measure, period, line, "neighbour", name, neighbours + offset, None, 1, None))
    return pd.DataFrame(
        rows,
        columns=[
            "measure",
            "period",
            "s251_line",
            "comparator",
            "area_name",
            "value",
            "value_note",
            "n_areas",
            "la_rank_among_neighbours",
        ],
    )


def _file_loads() -> pd.DataFrame:
    loaded = pd.Timestamp("2025-11-03 07:15:00")
    rows = [
        (
            "hn_ledger",
            month,
            f"hn_ledger_{month}.csv",
            "ab" * 32,
            4_800 + i * 37,
            loaded,
            f"archive/x{i}.csv",
            False,
        )
        for i, month in enumerate(_months_of(FINANCIAL_YEAR, MONTH))
    ]
    rows += [
        ("placements", "2025-09", "placements_2025-09.csv", "cd" * 32, 1_912, loaded, "archive/p.csv", False),
        ("hn_budget", None, "hn_budget.csv", "ef" * 32, 24, loaded, "archive/b.csv", False),
        (
            "school_outcomes",
            "2025-12",
            "school_outcomes_2025-12.csv",
            "12" * 32,
            99,
            loaded,
            "archive/s.csv",
            False,
        ),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "dataset",
            "extract_month",
            "source_file",
            "source_sha256",
            "row_count",
            "loaded_at",
            "archived_as",
            "replaced",
        ],
    )


MART_BUILDERS = {
    "spend_by_provision_type": _spend,
    "cost_per_placement": _cost_per_placement,
    "budget_vs_outturn": _budget_vs_outturn,
    "dsg_deficit_position": _deficit_position,
    "placement_flows": _placement_flows,
    "exclusion_rates": _exclusion_rates,
    "impact_estimates": _impact_estimates,
    "event_study": _event_study,
    "hn_projection": _hn_projection,
    "benchmarks": _benchmarks,
    "dsg_blocks": _dsg_blocks,
    "ehcp_population_trend": _ehcp_population_trend,
    "mitigation_tracker": _mitigation_tracker,
    "forecast_accuracy_summary": pack_marts_v2.forecast_accuracy_summary,
    "forecast_adjustments_applied": pack_marts_v2.forecast_adjustments_applied,
    "ledger_reconciliation": pack_marts_v2.ledger_reconciliation,
    "statistical_neighbours": pack_marts_v2.statistical_neighbours,
    "impact_balance": pack_marts_v2.impact_balance,
    "outcomes_tracker": outcome_marts.outcomes_tracker,
    "ap_outcomes": outcome_marts.ap_outcomes,
}


COUNT_COLUMNS = (
    "placements_headcount",
    "starters",
    "leavers",
    "active_end_of_month",
    "headcount",
    "suspensions",
    "permanent_exclusions",
    "ehcps",
    "all_ehcps",
)
UNSCALED_MARTS = (
    "benchmarks",
    "impact_estimates",
    "event_study",
    "statistical_neighbours",
    "impact_balance",
    "forecast_accuracy_summary",
)
"""Published or per-school figures: the same for a county of any size."""


def _scaled(frame: pd.DataFrame, scale: float) -> pd.DataFrame:
    """The mart of a county `scale` times the size: money and counts scaled (counts whole), rates kept."""
    scaled = frame.copy()
    for column in scaled.columns:
        if column.endswith("_gbp") and not column.startswith("cost_per") and not column.startswith("median"):
            scaled[column] = (pd.to_numeric(scaled[column]) * scale).round(2)
        elif column in COUNT_COLUMNS:
            scaled[column] = (pd.to_numeric(scaled[column]) * scale).round()
        elif column in ("placements_fte", "placements"):
            scaled[column] = pd.to_numeric(scaled[column]) * scale
    return scaled


def make_pack_home(home: Path, marts: tuple[str, ...] | None = None, scale: float = 1.0) -> Settings:
    """A home whose warehouse holds the given marts (all by default), the load log and a quarantine report.

    `scale` below 1 makes a small county: spend in thousands to a few million, many counts of 1 to 4.
    """
    settings = Settings.from_env(home=home)
    settings.ensure_dirs()
    with connect(settings.warehouse) as connection:
        connection.execute("create schema marts")
        connection.execute("create schema raw")
        for name in marts if marts is not None else tuple(MART_BUILDERS):
            built = MART_BUILDERS[name]()
            frame = built if name in UNSCALED_MARTS else _scaled(built, scale)  # noqa: F841 - DuckDB reads it
            connection.execute(f"create table marts.{name} as select * from frame")
        loads = _file_loads()  # noqa: F841
        connection.execute("create table raw._file_loads as select * from loads")
        outcomes = pack_marts_v2.landing_files()  # noqa: F841
        connection.execute("create schema quality")
        connection.execute("create table quality.landing_files as select * from outcomes")
        connection.execute("alter table quality.landing_files add column warnings varchar[]")
        connection.execute(
            "create table raw.placements as select ? as placement_id, ? as pupil_pseudonym, "
            "61000.0 as annual_cost_gbp",
            [CANARY_PLACEMENT, CANARY_PSEUDONYM],
        )
    report = {
        "file": "placements_2025-10.csv",
        "dataset": "placements",
        "problems": [
            {
                "file": "placements_2025-10.csv",
                "rows": [4, 9],
                "column": "upn",
                "rule": "upn_check_letter",
                "severity": "error",
                "message": "UPN check letter wrong, e.g. 'A91…'",
            },
        ],
    }
    (settings.quarantine_dir / "placements_2025-10.csv.report.json").write_text(json.dumps(report))
    return settings


class _Tables(HTMLParser):
    """Tables of an HTML page by caption, as lists of cell texts; and every <img> src."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str | None]] = []
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "table":
            self._rows, self._caption = [], None
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th", "caption"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._text is not None:
            self._rows[-1].append("".join(self._text).strip())
            self._text = None
        elif tag == "caption" and self._text is not None:
            self._caption = "".join(self._text).strip()
            self._text = None
        elif tag == "table" and self._caption:
            self.tables[self._caption] = self._rows


def parse_html(path: Path) -> _Tables:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _row(table: list[list[str]], first_cell: str) -> list[str]:
    return next(row for row in table if row and row[0] == first_cell)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> PackResult:
    settings = make_pack_home(tmp_path_factory.mktemp("pack_home"))
    return build_pack(settings, MONTH)


def test_pack_files_are_written_to_the_month_folder(pack: PackResult):
    assert pack.folder.name == MONTH and pack.folder.parent.name == "reports"
    for name in (
        "html",
        "pdf",
        "workbook",
        "chart:deficit_trajectory",
        "chart:cost_per_placement_trend",
        "chart:event_study",
        "chart:spend_by_line",
    ):
        assert pack.paths[name].is_file() and pack.paths[name].stat().st_size > 1000, name
    assert not list(pack.folder.rglob("*.partial"))
    assert pack.unavailable_sections == []


def test_html_has_every_section_and_a_plain_english_headline(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    for section in (
        "headline",
        "budget",
        "spend",
        "cost",
        "placements",
        "deficit",
        "benchmarks",
        "exclusions",
        "impact",
        "dsg_plan",
        "quality",
    ):
        assert f'id="{section}"' in html, section
    assert "not available yet" not in html
    assert "<h1>Gloucestershire: High Needs block Schools Forum pack</h1>" in html  # LA 916, the default
    assert re.search(r"forecast at £47\.2m against a budget of £43\.3m: an overspend of £3\.89m", html)
    assert "cumulative DSG deficit of £29.4m" in html
    assert "£5.80m worse than plan" in html
    assert "the projection puts the cumulative balance at -£59.0m (unmitigated)" in html


def test_deficit_chart_marks_the_end_of_the_statutory_override(pack: PackResult, tmp_path: Path):
    html = pack.paths["html"].read_text(encoding="utf-8")
    # the default, 31 March 2028, falls at the end of 2027-28, a projected year of the chart
    assert "A dashed vertical line marks 31 March 2028, when the DSG statutory override ends" in html
    settings = make_pack_home(tmp_path / "home")
    data = load_pack_data(settings, MONTH)
    data.statutory_override_end = date(2035, 3, 31)  # beyond the projection: no line, so no words
    deficit = next(s for s in build_content(data).sections if s.key == "deficit")
    assert "statutory override" not in deficit.charts[0].alt


def test_why_the_gap_sets_budget_against_income_and_the_plan(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")

    # Budget 6.3 + 9.5 + 12.5 + 11.5 + 2.5 + 0.05 + 0.95 = £43.3m; income £41.1m: £2.2m short before any
    # overspend; the plan allowed -£2.5m in year. Forecast £47.19m − income £41.1m = £6.09m, £3.59m beyond.
    assert (
        "Why the gap: in 2025-26 the High Needs budget is £43.3m against High Needs income of £41.1m, so the "
        "budget itself sets an in-year deficit of £2.20m; the deficit management plan allowed an in-year "
        "deficit of £2.50m for the year."
    ) in html
    assert "forecast to end with an in-year deficit of £6.09m, £3.59m worse than the plan allowed" in html


def test_budget_table_names_lines_splits_committed_and_shows_last_years_outturn(pack: PackResult):
    table = parse_html(pack.paths["html"]).tables["2025-26 as at October 2025"]
    header = table[0]
    maintained = _row(table, "Top-up funding – maintained schools (1.2.1)")
    support = _row(table, "SEN support services (1.2.5)")

    assert header[:4] == ["s251 line", "Outturn 2024-25", "Budget", "Actual to date"]
    # 1.2.1 in 2024-25: maintained mainstream 445 × £7,200 × 1.04 + maintained special 270 × £21,500 × 1.04
    assert maintained[1] == f"£{445 * 7_200 * 1.04 + 270 * 21_500 * 1.04:,.0f}" == "£9,369,360"
    # A placement line's commitments are placements; a services line's are its run-rate.
    assert maintained[header.index("Committed: run-rate of other spend")] == "£0"
    assert support[header.index("Committed: placements")] == "£0"
    assert support[header.index("Committed: run-rate of other spend")] != "£0"
    assert all(cell.startswith(("£", "-£", "c", "x")) or cell.endswith("%") for cell in maintained[1:])
    assert not any(re.search(r"\.\d\d$", cell) for cell in maintained[1:-1])  # pounds, no pence


def test_exclusions_lead_with_the_largest_clear_risk_ratio_and_its_denominator(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")

    # EHC plan, permanent exclusions: 9 of 2,100 = 0.43 per 100 against 35 of 80,900 = 0.043; RR 9.91,
    # SE(ln RR) = sqrt(1/9 + 1/35) = 0.3737, interval 9.91 × exp(∓0.7325) = 4.76 to 20.61. It beats the
    # suspension ratio of 3.99, and the Mixed group's 1.99 whose interval (0.84 to 4.71) includes 1.
    assert (
        "The clearest disproportion: pupils in the group &#39;EHC plan&#39; were permanently excluded 9.9 "
        "times as often as all other pupils (95% confidence interval 4.8 to 20.6): 9 permanent exclusions "
        "among 2,100 pupils, 0.43 per 100, against 0.043 for all other pupils."
    ) in html
    sen = parse_html(pack.paths["html"]).tables["By SEN status, 2024/25"]
    assert _row(sen, "EHC plan")[-1] == "9.91 (4.76 to 20.61)"


def test_impact_words_only_a_headline_result_as_a_finding_and_gives_the_others_reasons(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    impact = parse_html(pack.paths["html"]).tables

    assert f"Finding: {pack_marts_v2.RESTORATIVE_STATEMENT}" in html
    # trauma-informed: −0.10 ± 1.96 × 0.25 = −0.59 to +0.39, spans zero; no M̄ was computed
    assert (
        "Trauma-informed practice, suspension rate: not enough evidence of an effect, because its 95% "
        "interval includes no change; no sensitivity analysis to a break in trends was possible. For the "
        "record, the estimate was −0.10 suspensions per 100 pupils per term (95% confidence interval −0.59 "
        "to +0.39); the study could detect changes of at least 0.35. Security: 4 of 5 padlocks."
    ) in html
    primary = impact["Primary outcomes: what the evidence allows us to say"]
    assert _row(primary, "restorative practice")[-3:] == ["∞", "4 of 5", "finding"]
    assert _row(primary, "trauma-informed practice")[-3:] == ["x", "4 of 5", "not enough evidence"]
    every = impact["Every estimate (overall effect after adoption)"]
    twfe = next(row for row in every if row[3].startswith("Two-way fixed effects"))
    assert twfe[3] == "Two-way fixed effects (for comparison; biased under staggered adoption)"
    assert twfe[4] == "suspensions per 100 pupils per term"


def test_html_is_self_contained_and_every_chart_is_an_embedded_png(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    parsed = parse_html(pack.paths["html"])
    assert len(parsed.images) >= 5
    for image in parsed.images:
        source = image.get("src") or ""
        assert source.startswith("data:image/png;base64,"), source[:40]
        png = base64.b64decode(source.split(",", 1)[1])
        assert Image.open(io.BytesIO(png)).size[0] >= 400
        assert image.get("alt")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html


def test_small_counts_show_c_with_secondary_suppression(pack: PackResult):
    tables = parse_html(pack.paths["html"]).tables
    placements = tables["Open placements at the end of October 2025, by provision type and primary need"]
    header = placements[0]
    maintained_special = _row(placements, "LA-maintained special school")
    special_academy = _row(placements, "special academy or free school")
    assert special_academy[header.index("PMLD")] == "c"  # 3 planted
    assert special_academy.count("c") >= 2  # and the next smallest in its row
    assert maintained_special[header.index("Total")] != "c"
    cost = tables["Cost per placement by financial year and provision type"]
    eotas_now = next(
        row for row in cost if row[0] == FINANCIAL_YEAR and row[1].startswith("education otherwise")
    )
    assert eotas_now[2:] == ["c", "c", "c", "c", "c"]  # 3 placements: count and every figure built on it
    hospital_last_year = next(
        row for row in cost if row[0] == "2024-25" and row[1] == "hospital education service"
    )
    assert hospital_last_year[2] == "0"  # zero is shown
    eotas_2024 = next(row for row in cost if row[0] == "2024-25" and row[1].startswith("education otherwise"))
    assert eotas_2024[2] == "7"
    by_type = tables[f"Spend to date in {FINANCIAL_YEAR} by provision type"]
    assert _row(by_type, "education otherwise than at school (bespoke package)")[1:] == ["c", "c"]
    assert _row(by_type, "hospital education service")[1:] == ["c", "c"]
    # eotas is paid from line 1.2.3 with independent special and specialist post-16: with the line total
    # hidden too, post-16's spend must go or 1.2.3 − post-16 − independent would give eotas back.
    assert _row(by_type, "specialist post-16 institution")[1:] == ["47", "c"]
    assert _row(by_type, "independent special school")[1] == "151"
    assert _row(by_type, "not a placement (services, targeted funding)")[1] == "z"
    ethnic = tables["By ethnic group, 2024/25"]
    chinese = _row(ethnic, "Chinese")
    assert chinese[2:5] == ["c", "c", "c"]  # 3 suspensions: count, rate and risk ratio
    assert _row(ethnic, "All pupils")[4] == "z"  # no risk ratio for the whole population


def test_no_child_level_row_reaches_any_file(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    pdf_text = (
        subprocess.run(
            ["pdftotext", str(pack.paths["pdf"]), "-"], capture_output=True, text=True, check=True
        ).stdout
        if shutil.which("pdftotext")
        else ""
    )
    book = load_workbook(pack.paths["workbook"], read_only=True)
    cells = " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    for text in (html, pdf_text, cells):
        for canary in (CANARY_PSEUDONYM, CANARY_PLACEMENT, "pupil_pseudonym", "placement_id"):
            assert canary not in text


def test_workbook_is_formatted_for_officers_and_neutralises_formulas(pack: PackResult):
    book = load_workbook(pack.paths["workbook"])
    assert book.sheetnames[0] == "Cover"
    assert "OFFICIAL-SENSITIVE, not for publication" in str(book["Cover"]["A1"].value)
    for name in (
        "Budget vs outturn",
        "Spend by provision type",
        "Cost per placement",
        "DSG deficit position",
        "High Needs projection",
        "Placement flows",
        "Exclusion rates",
        "Benchmarks",
        "Impact estimates",
        "Event study",
        "File loads",
        "Quarantine",
    ):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{name}!{cell.coordinate} is a formula"
    budget = book["Budget vs outturn"]
    header = [cell.value for cell in budget[1]]
    for column in ("budget_gbp", "forecast_with_growth_gbp", "variance_gbp"):
        cell = budget.cell(row=2, column=header.index(column) + 1)
        assert cell.number_format == MONEY_FORMAT
        assert isinstance(cell.value, int | float)
    cost = book["Cost per placement"]
    cost_header = [cell.value for cell in cost[1]]
    eotas_small = [
        row
        for row in cost.iter_rows(min_row=2, values_only=True)
        if row[cost_header.index("provision_type")] == "eotas" and row[0] == FINANCIAL_YEAR
    ]
    assert eotas_small[0][cost_header.index("placements_headcount")] == 3  # unsuppressed for officers
    texts = [
        cell.value
        for sheet in (book["Benchmarks"], book["Impact estimates"])
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert texts and all(text == "'" + FORMULA_TEXT for text in texts)


SMALL_COUNTY = 0.04
"""A county a twenty-fifth the size of the shire county: spend from £k to a few £m."""


@pytest.fixture(scope="module")
def small_county(tmp_path_factory: pytest.TempPathFactory) -> PackResult:
    return build_pack(make_pack_home(tmp_path_factory.mktemp("small_county"), scale=SMALL_COUNTY), MONTH)


def _pdf_pages(pdf: Path, folder: Path) -> list[np.ndarray]:
    for tool in ("pdfinfo", "pdftoppm"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install -y poppler-utils"
    subprocess.run(["pdftoppm", "-r", "60", "-png", str(pdf), str(folder / "page")], check=True)
    return [np.asarray(Image.open(page).convert("L")) for page in sorted(folder.glob("page-*.png"))]


@pytest.mark.parametrize("county", ["pack", "small_county"])
def test_every_pdf_page_has_content_above_its_footer(county: str, request, tmp_path: Path):
    result: PackResult = request.getfixturevalue(county)
    info = subprocess.run(["pdfinfo", str(result.paths["pdf"])], capture_output=True, text=True, check=True)
    pages = _pdf_pages(result.paths["pdf"], tmp_path)

    assert len(pages) == result.pdf_pages == int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.M).group(1))
    assert re.search(r"^Title:\s+Gloucestershire: High Needs block Schools Forum pack", info.stdout, re.M)
    for number, pixels in enumerate(pages, start=1):
        # The footer (page number) sits in the bottom 14 mm; a page is blank if nothing else is inked.
        body = pixels[: int(pixels.shape[0] * (1 - 16 / 297))]
        assert (body < 200).mean() > 0.01, f"page {number} of {len(pages)} is blank but for its footer"
    first = np.asarray(Image.open(sorted(tmp_path.glob("page-*.png"))[0]).convert("RGB")).astype(int)
    navy_band = (np.abs(first - [0x1D, 0x3A, 0x5F]).max(axis=2) < 12).mean()
    assert navy_band > 0.01  # the masthead printed


@pytest.mark.slow
def test_the_demo_countys_pdf_has_no_blank_page(demo_run: DemoRun, tmp_path: Path):
    pdf = demo_run.home / "reports" / DEMO_LATEST_MONTH / f"schools_forum_pack_{DEMO_LATEST_MONTH}.pdf"
    assert pdf.is_file(), demo_run.output[-3000:]

    pages = _pdf_pages(pdf, tmp_path)

    assert len(pages) >= 8
    for number, pixels in enumerate(pages, start=1):
        body = pixels[: int(pixels.shape[0] * (1 - 16 / 297))]
        assert (body < 200).mean() > 0.01, f"page {number} of {len(pages)} is blank but for its footer"


def test_the_pdf_says_the_html_is_the_accessible_version_and_declares_its_language(pack: PackResult):
    text = subprocess.run(
        ["pdftotext", "-l", "1", str(pack.paths["pdf"]), "-"], capture_output=True, text=True, check=True
    ).stdout
    raw = pack.paths["pdf"].read_bytes()

    assert "the HTML version of this pack" in " ".join(text.split())
    assert b"/Lang (en-GB)" in raw and b"/DisplayDocTitle true" in raw


@pytest.mark.parametrize("county", ["pack", "small_county"])
def test_no_chart_axis_repeats_a_label(county: str, request):
    result: PackResult = request.getfixturevalue(county)
    settings = Settings.from_env(home=result.folder.parent.parent)

    content = build_content(load_pack_data(settings, MONTH))

    assert len(content.charts) >= 5
    for chart in content.charts:
        assert chart.axis_labels, chart.name
        for labels in chart.axis_labels:
            assert len(labels) == len(set(labels)), f"{chart.name} repeats an axis label: {labels}"


def test_a_small_countys_spend_chart_counts_in_thousands_and_names_its_lines(small_county: PackResult):
    settings = Settings.from_env(home=small_county.folder.parent.parent)

    chart = next(
        c for c in build_content(load_pack_data(settings, MONTH)).charts if c.name == "spend_by_line"
    )

    # Its largest line is 1.2.2's forecast, £13.98m × 0.04 = £559k: an axis of whole millions would read
    # £0m £0m £0m £1m; this one counts in thousands.
    money_axis = next(labels for labels in chart.axis_labels if labels[0].startswith("£"))
    assert money_axis[:3] == ("£0k", "£100k", "£200k")
    names = " ".join(" ".join(labels) for labels in chart.axis_labels).replace("\n", " ")
    assert "Top-up funding – maintained schools" in names and "1.2.1" not in names


def test_a_line_total_is_suppressed_where_it_would_give_back_a_suppressed_type(pack: PackResult):
    tables = parse_html(pack.paths["html"]).tables
    by_line = tables[f"Spend to date in {FINANCIAL_YEAR} by s251 line"]
    budget = tables[f"{FINANCIAL_YEAR} as at October 2025"]
    html = pack.paths["html"].read_text(encoding="utf-8")

    # Hospital education (2 placements) is the only spend on line 1.2.6: its year to date is
    # 2 × £30,000 × 1.04² ÷ 12 per month, ± 1 % by month: £5,408 × (7 − 0.01) = £37,801.92.
    assert _row(by_line, "Hospital education services (1.2.6)")[1] == "c"
    hospital = _row(budget, "Hospital education services (1.2.6)")
    assert hospital[2] == "£50,000"  # the budget is the council's decision, not a child's cost
    assert hospital[3:] == ["c"] * 7
    assert "£37,802" not in html and "£37.8k" not in html
    # and one more line goes with it, or the all-lines total less the others would give it back
    assert sum(row[1] == "c" for row in by_line[1:-1]) >= 2
    assert _row(by_line, "All High Needs lines")[1] != "c"


def test_a_mart_not_built_yet_is_reported_in_its_section(tmp_path: Path):
    settings = make_pack_home(tmp_path, marts=("spend_by_provision_type", "budget_vs_outturn"))

    result = build_pack(settings, MONTH)

    html = result.paths["html"].read_text(encoding="utf-8")
    assert "Cost per placement is not available yet" in html
    assert "The deficit trajectory is not available yet" in html
    assert {"cost", "placements", "deficit", "benchmarks", "exclusions", "impact"} <= set(
        result.unavailable_sections
    )
    assert "budget" not in result.unavailable_sections
    assert "Spend by provision type is shown once placement numbers" in html
    assert result.pdf_pages >= 1 and result.paths["workbook"].is_file()


def test_cli_report_builds_the_pack_and_refuses_a_bad_month(tmp_path: Path):
    from orchestration.cli import main

    make_pack_home(tmp_path)
    runner = CliRunner()

    built = runner.invoke(main, ["report", "--month", MONTH, "--home", str(tmp_path)])
    refused = runner.invoke(main, ["report", "--month", "2025-13", "--home", str(tmp_path)])
    future = runner.invoke(main, ["report", "--month", "2099-01", "--home", str(tmp_path)])
    no_warehouse = runner.invoke(main, ["report", "--month", MONTH, "--home", str(tmp_path / "empty")])

    assert built.exit_code == 0, built.output
    assert (tmp_path / "reports" / MONTH / f"schools_forum_pack_{MONTH}.pdf").is_file()
    assert refused.exit_code != 0 and "YYYY-MM" in refused.output
    # The fixture's ledger runs from April 2023 to October 2025.
    assert future.exit_code != 0
    assert "2099-01 is after the newest month of ledger actuals" in future.output
    assert "from 2023-04 to 2025-10" in future.output
    assert not (tmp_path / "reports" / "2099-01").exists()
    assert no_warehouse.exit_code != 0 and "highneeds run" in no_warehouse.output


def test_dagster_asset_draws_the_pack_for_the_latest_ledger_month(tmp_path: Path):
    import dagster as dg

    from orchestration.assets.reports import schools_forum_pack
    from orchestration.reports.data import MART_NAMES
    from orchestration.resources import HighNeedsHome

    assert set(schools_forum_pack.dependency_keys) == {dg.AssetKey(["marts", name]) for name in MART_NAMES}
    make_pack_home(tmp_path)

    result = dg.materialize([schools_forum_pack], resources={"highneeds": HighNeedsHome(home=str(tmp_path))})

    assert result.success
    metadata = result.asset_materializations_for_node("reports__schools_forum_pack")[0].metadata
    assert metadata["month"].value == MONTH
    assert "data:image/png;base64," in metadata["chart_deficit_trajectory"].value  # the chart is in the UI
    assert (tmp_path / "reports" / MONTH / f"schools_forum_pack_{MONTH}.html").is_file()
