"""The expected forecast, its quality, adjustments, ledger reconciliation and plan history, end to end.

One small landing set goes through the real ingest (two deliveries of the deficit plan) and the real
`dbt build`; the figures are worked out here by hand. 2024-25 (365 days) is in progress, ledger April to
October 2024 (m = 7); the only placements snapshot was taken in June 2024.
"""

from __future__ import annotations

import math
from datetime import date, datetime, timedelta

import pandas as pd
import pytest

from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from tests.support.landing import (
    ledger_line,
    make_upn,
    placement,
    write_landing_csv,
    write_minimal_reference_files,
)
from tests.support.pipeline import dbt_build, load_all, query, settings_for

LEDGER_MONTHS = [f"2024-{m:02d}" for m in range(4, 11)]
MARTS = ("budget_vs_outturn", "ledger_reconciliation", "dsg_deficit_position")
A_COST, A_MONTHLY, OTHER_MONTHLY = 24_000.0, 2_000.0, 1_000.0


def plan_rows(version: str, closings: dict[str, str]) -> list[dict[str, str]]:
    return [
        {
            "financial_year": year,
            "planned_hn_in_year_gbp": "-10000.00",
            "planned_closing_balance_gbp": closing,
            "plan_version": version,
        }
        for year, closing in closings.items()
    ]


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("forecast_v2")
    landing = root / "landing"
    write_minimal_reference_files(landing)
    write_landing_csv(
        landing,
        "dsg_funding",
        [
            {
                "financial_year": "2024-25",
                "block": "high_needs",
                "allocation_gbp": "40000.00",
                "deductions_gbp": "0",
                "transfer_in_gbp": "0",
            }
        ],
    )
    write_landing_csv(
        landing, "dsg_balance", [{"financial_year": "2024-25", "opening_balance_gbp": "-50000.00"}]
    )
    write_landing_csv(landing, "deficit_plan", plan_rows("v1", {"2024-25": "-100000.00"}))
    # A stays open; B left on 29 February 2024, inside the hazard's window.
    write_landing_csv(
        landing,
        "placements",
        [
            placement(
                "A",
                make_upn(938, 2001, 15, 1),
                "special_maintained",
                "2022-09-01",
                None,
                "24000.00",
                "100001",
            ),
            placement(
                "B",
                make_upn(938, 2001, 15, 2),
                "special_maintained",
                "2022-09-01",
                "2024-02-29",
                "20000.00",
                "100001",
                end_reason="moved_to_independent",
            ),
        ],
        month="2024-06",
    )
    for number, month in enumerate(LEDGER_MONTHS):
        write_landing_csv(
            landing,
            "hn_ledger",
            [
                ledger_line(f"A{number}", month, "1.2.1", "2000.00", "special_maintained", "A"),
                ledger_line(f"S{number}", month, "1.2.5", "1000.00"),
            ],
            month=month,
        )
    write_landing_csv(
        landing,
        "forecast_adjustments",
        [
            {
                "financial_year": "2024-25",
                "as_from_month": "2024-08",
                "s251_line": "1.2.3",
                "amount_gbp": "50000.00",
                "reason": "Tribunal decision: independent placement ordered",
                "entered_by": "Finance Business Partner",
                "entered_on": "2024-08-05",
            }
        ],
    )
    write_landing_csv(
        landing,
        "ledger_control_totals",
        [
            {"period": "2024-04", "s251_line": "", "amount_gbp": "3000.00", "source": "trial balance"},
            {"period": "2024-05", "s251_line": "", "amount_gbp": "3000.40", "source": "trial balance"},
            {"period": "2024-06", "s251_line": "1.2.5", "amount_gbp": "1000.00", "source": "trial balance"},
        ],
    )
    settings = settings_for(landing, root / "home")
    load_all(settings)
    # the plan is re-delivered in September: both versions are kept
    write_landing_csv(
        landing, "deficit_plan", plan_rows("v2", {"2024-25": "-120000.00", "2025-26": "-150000.00"})
    )
    load_landing_dataset(settings, DATASETS["deficit_plan"], loaded_at=datetime.now() + timedelta(hours=1))
    dbt_build(settings, " ".join(f"+{mart}" for mart in MARTS))
    return {mart: query(settings, f"select * from marts.{mart}") for mart in MARTS}


def line(marts: dict[str, pd.DataFrame], as_at_month: str, s251_line: str) -> pd.Series:
    frame = marts["budget_vs_outturn"]
    matched = frame[(frame["as_at_month"] == as_at_month) & (frame["s251_line"] == s251_line)]
    assert len(matched) == 1
    return matched.iloc[0]


def test_forecast_quality_follows_the_age_of_the_snapshot(marts: dict[str, pd.DataFrame]) -> None:
    quality = marts["budget_vs_outturn"].groupby("as_at_month")["forecast_quality"].agg(set)
    # nothing was known before June; June's snapshot is up to 3 months old to September, 4 in October
    assert quality.to_dict() == {
        "2024-04": {"no_snapshot"},
        "2024-05": {"no_snapshot"},
        "2024-06": {"ok"},
        "2024-07": {"ok"},
        "2024-08": {"ok"},
        "2024-09": {"ok"},
        "2024-10": {"stale_snapshot"},
    }


def test_expected_leavers_follow_the_leaving_hazard(marts: dict[str, pd.DataFrame]) -> None:
    # Window as at 2024-07: 1 Aug 2023 – 31 Jul 2024, 366 days. A is at risk 366 days, B 213 days
    # (Aug 31 + Sep 30 + Oct 31 + Nov 30 + Dec 31 + Jan 31 + Feb 29) and leaves: 1 leaver in 579/366
    # placement-years. One type only, so shrinking to the all-types rate changes nothing: h = 366/579.
    assert (date(2024, 2, 29) - date(2023, 8, 1)).days + 1 == 213
    hazard = 366 / 579
    # A is committed for 1 Aug 2024 – 31 Mar 2025, 243 days of a 365-day year; expected (1 − e^(−h t)) ÷ h.
    years_left = 243 / 365
    committed = A_COST * years_left
    expected = A_COST * (1 - math.exp(-hazard * years_left)) / hazard
    row = line(marts, "2024-07", "1.2.1")
    assert float(row["committed_placements_gbp"]) == pytest.approx(round(committed, 2))
    assert float(row["expected_leavers_gbp"]) == pytest.approx(round(expected - committed, 2), abs=0.011)
    assert float(row["expected_leavers_gbp"]) < -2000  # about a third of A's remaining cost
    assert float(row["forecast_expected_gbp"]) == pytest.approx(
        float(row["forecast_with_growth_gbp"]) + float(row["expected_leavers_gbp"]), abs=0.005
    )
    # before the snapshot nothing is committed, so nothing is expected to leave
    assert float(line(marts, "2024-05", "1.2.1")["expected_leavers_gbp"]) == 0


def test_run_rate_stays_flat_without_a_closed_year(marts: dict[str, pd.DataFrame]) -> None:
    row = line(marts, "2024-10", "1.2.5")
    assert float(row["run_rate_gbp"]) == 7 * OTHER_MONTHLY / 7 * 5
    assert float(row["seasonality_gbp"]) == 0 and pd.isna(row["seasonality_profile_year"])


def test_adjustment_counts_from_its_month_not_before(marts: dict[str, pd.DataFrame]) -> None:
    adjustments = {month: float(line(marts, month, "1.2.3")["adjustments_gbp"]) for month in LEDGER_MONTHS}
    assert adjustments == {
        "2024-04": 0,
        "2024-05": 0,
        "2024-06": 0,
        "2024-07": 0,
        "2024-08": 50000,
        "2024-09": 50000,
        "2024-10": 50000,
    }
    # 1.2.3 has no budget and no spend: the adjustment alone gives it a forecast
    assert float(line(marts, "2024-08", "1.2.3")["forecast_expected_gbp"]) == 50000


def test_ledger_months_reconcile_to_their_control_totals(marts: dict[str, pd.DataFrame]) -> None:
    reconciliation = marts["ledger_reconciliation"]
    blocks = reconciliation[reconciliation["scope"] == "block"].set_index("ledger_month")
    assert blocks.loc["2024-04", "status"] == "reconciled"
    assert blocks.loc["2024-05", "status"] == "reconciled"  # 40p out: within £1
    assert float(blocks.loc["2024-05", "difference_gbp"]) == pytest.approx(-0.40)
    unreconciled = sorted(blocks.index[blocks["status"] == "not_reconciled"])
    assert unreconciled == ["2024-06", "2024-07", "2024-08", "2024-09", "2024-10"]
    line_row = reconciliation[reconciliation["scope"] == "line"].iloc[0]
    assert (line_row["ledger_month"], line_row["s251_line"], line_row["status"]) == (
        "2024-06",
        "1.2.5",
        "reconciled",
    )


def test_two_plan_versions_give_the_gap_and_the_slippage(marts: dict[str, pd.DataFrame]) -> None:
    position = marts["dsg_deficit_position"].set_index("financial_year").loc["2024-25"]
    latest = marts["budget_vs_outturn"][marts["budget_vs_outturn"]["as_at_month"] == "2024-10"]
    closing = -50000 + 40000 - float(latest["forecast_with_growth_gbp"].sum())
    closing_expected = -50000 + 40000 - float(latest["forecast_expected_gbp"].sum())
    assert float(position["closing_balance_gbp"]) == pytest.approx(closing)
    assert float(position["closing_balance_expected_gbp"]) == pytest.approx(closing_expected)
    assert (position["plan_version"], position["plan_version_first"]) == ("v2", "v1")
    assert float(position["gap_to_plan_gbp"]) == pytest.approx(closing - -120000)
    assert float(position["slippage_gbp"]) == pytest.approx(closing - -100000)
