"""The finance contract marts against hand-worked examples.

One small landing set (two financial years, two placements snapshots) goes through the real ingest and the
real `dbt build`; every expected figure below is worked out here by hand from the contract's Definitions,
independently of the SQL. 2023-24 is closed (ledger to March 2024) and a leap year (29 Feb 2024: 366 days);
2024-25 is in progress, ledger to 2024-09 (m = 6), 365 days.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pandas as pd
import pytest

from tests.support.landing import (
    ledger_line,
    make_upn,
    placement,
    write_landing_csv,
    write_minimal_reference_files,
)
from tests.support.pipeline import load_and_build, query

MARTS = ("cost_per_placement", "budget_vs_outturn", "dsg_deficit_position", "placement_flows")


def days(first: date, last: date) -> int:
    """Days from first to last, both inclusive."""
    return (last - first).days + 1


# Placements of the newest snapshot (2024-09). Schools: 100001 maintained, 100002 academy, 100003 independent.
P1 = dict(
    provision_type="special_maintained",
    provider_urn="100001",
    start="2022-09-01",
    end=None,
    annual_cost="20000.00",
    primary_need="ASD",
)
P2 = dict(
    provision_type="special_maintained",
    provider_urn="100001",
    start="2023-06-01",
    end="2023-12-31",
    annual_cost="18000.00",
    primary_need="SEMH",
    end_reason="returned_to_mainstream",
)
P3 = dict(
    provision_type="resourced_provision",
    provider_urn="100002",
    start="2024-01-15",
    end=None,
    annual_cost="12000.00",
    primary_need="SLCN",
)
P4 = dict(
    provision_type="special_independent",
    provider_urn="100003",
    start="2024-05-01",
    end=None,
    annual_cost="60000.00",
    primary_need="ASD",
)
P5 = dict(
    provision_type="special_independent",
    provider_urn="100003",
    start="2023-11-01",
    end="2024-08-31",
    annual_cost="54000.00",
    primary_need="SEMH",
    end_reason="moved_to_special",
)
# Resourced provision at a provider missing from `schools`: counts as maintained (1.2.1).
P6 = dict(
    provision_type="resourced_provision",
    provider_urn="999999",
    start="2024-07-01",
    end=None,
    annual_cost="9000.00",
    primary_need="MLD",
)


def placement_rows(spec: dict[str, dict[str, object]]) -> list[dict[str, object]]:
    rows = []
    for serial, (placement_id, fields) in enumerate(spec.items(), start=1):
        fields = dict(fields)
        rows.append(
            placement(
                placement_id,
                make_upn(823, 4001, 12, serial),
                str(fields.pop("provision_type")),
                str(fields.pop("start")),
                fields.pop("end"),
                str(fields.pop("annual_cost")),
                provider_urn=str(fields.pop("provider_urn")),
                **fields,
            )
        )
    return rows


def write_landing(folder: Path) -> None:
    write_minimal_reference_files(folder)
    write_landing_csv(
        folder,
        "hn_budget",
        [
            {
                "financial_year": fy,
                "s251_line": line,
                "budget_type": kind,
                "amount_gbp": amount,
                "approved_on": on,
            }
            for fy, line, kind, amount, on in [
                ("2023-24", "1.2.1", "original", "30000.00", "2023-03-01"),
                ("2023-24", "1.2.3", "original", "20000.00", "2023-03-01"),
                ("2023-24", "1.2.5", "original", "3000.00", "2023-03-01"),
                ("2024-25", "1.2.1", "original", "40000.00", "2024-03-01"),
                ("2024-25", "1.2.3", "original", "60000.00", "2024-03-01"),
                ("2024-25", "1.2.3", "revised", "70000.00", "2024-07-15"),
                ("2024-25", "1.2.5", "original", "10000.00", "2024-03-01"),
                ("2024-25", "1.2.8", "original", "5000.00", "2024-03-01"),
                ("2025-26", "1.2.1", "original", "45000.00", "2025-03-01"),
            ]
        ],
    )
    write_landing_csv(
        folder,
        "dsg_funding",
        [
            {
                "financial_year": fy,
                "block": block,
                "allocation_gbp": alloc,
                "deductions_gbp": ded,
                "transfer_in_gbp": tr,
            }
            for fy, block, alloc, ded, tr in [
                ("2022-23", "high_needs", "90000.00", "20000.00", "0"),
                ("2022-23", "schools", "900000.00", "0", "0"),
                ("2023-24", "schools", "1000000.00", "0", "-10000.00"),
                ("2023-24", "central_school_services", "50000.00", "0", "0"),
                ("2023-24", "early_years", "200000.00", "0", "0"),
                ("2023-24", "high_needs", "60000.00", "20000.00", "10000.00"),
                ("2024-25", "schools", "1100000.00", "0", "0"),
                ("2024-25", "central_school_services", "50000.00", "0", "0"),
                ("2024-25", "early_years", "210000.00", "0", "0"),
                ("2024-25", "high_needs", "130000.00", "25000.00", "0"),
                ("2025-26", "schools", "1150000.00", "0", "0"),
                ("2025-26", "central_school_services", "50000.00", "0", "0"),
                ("2025-26", "early_years", "220000.00", "0", "0"),
                ("2025-26", "high_needs", "140000.00", "25000.00", "0"),
            ]
        ],
    )
    write_landing_csv(
        folder,
        "dsg_balance",
        [
            {"financial_year": "2023-24", "opening_balance_gbp": "-50000.00"},
            # disagrees with 2023-24's closing (-50,500): reported, not used
            {"financial_year": "2024-25", "opening_balance_gbp": "-48000.00"},
        ],
    )
    write_landing_csv(
        folder,
        "deficit_plan",
        [
            {
                "financial_year": fy,
                "planned_hn_in_year_gbp": in_year,
                "planned_closing_balance_gbp": closing,
                "plan_version": "v2",
            }
            for fy, in_year, closing in [
                ("2023-24", "-5000.00", "-55000.00"),
                ("2024-25", "-15000.00", "-70000.00"),
                ("2025-26", "-10000.00", "-80000.00"),
            ]
        ],
    )
    # The older snapshot: P1 at last year's cost, P5 not yet ended, P6 not yet known.
    older = {
        "P1": {**P1, "annual_cost": "19000.00"},
        "P2": P2,
        "P3": P3,
        "P4": P4,
        "P5": {**P5, "end": None, "end_reason": ""},
    }
    write_landing_csv(folder, "placements", placement_rows(older), month="2024-06")
    write_landing_csv(
        folder,
        "placements",
        placement_rows({"P1": P1, "P2": P2, "P3": P3, "P4": P4, "P5": P5, "P6": P6}),
        month="2024-09",
    )
    lines = [
        ledger_line("T23-01", "2023-04", "1.2.1", "5000.00", "special_maintained", "P1"),
        ledger_line("T23-02", "2023-09", "1.2.1", "6000.00", "special_maintained", "P2"),
        ledger_line("T23-03", "2023-12", "1.2.1", "5000.00", "special_maintained", "P1"),
        ledger_line("T23-04", "2024-03", "1.2.1", "10000.00", "special_maintained", "P1"),
        ledger_line("T23-05", "2024-02", "1.2.3", "20000.00", "special_independent", "P5"),
        ledger_line("T23-06", "2024-03", "1.2.3", "(1,000.00)", "special_independent", "P5"),
        ledger_line("T23-07", "2023-06", "1.2.5", "3000.00"),
        ledger_line("T23-08", "2024-03", "1.2.2", "2500.00", "resourced_provision", "P3"),
        ledger_line("T24-01", "2024-04", "1.2.1", "5100.00", "special_maintained", "P1"),
        ledger_line("T24-02", "2024-07", "1.2.1", "5100.00", "special_maintained", "P1"),
        ledger_line("T24-03", "2024-08", "1.2.1", "1500.00", "resourced_provision", "P6"),
        ledger_line("T24-04", "2024-05", "1.2.1", "2400.00"),
        ledger_line("T24-05", "2024-09", "1.2.1", "1200.00"),
        ledger_line("T24-06", "2024-06", "1.2.3", "10000.00", "special_independent", "P4"),
        ledger_line("T24-07", "2024-09", "1.2.3", "9000.00", "special_independent", "P5"),
        ledger_line("T24-08", "2024-05", "1.2.5", "4000.00"),
        ledger_line("T24-09", "2024-09", "1.2.2", "3000.00", "resourced_provision", "P3"),
    ]
    for month in sorted({line["period"] for line in lines}):  # one file per month, as the contract has it
        write_landing_csv(
            folder, "hn_ledger", [line for line in lines if line["period"] == month], month=month
        )


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pd.DataFrame]:
    root = tmp_path_factory.mktemp("finance_marts")
    write_landing(root / "landing")
    settings = load_and_build(root / "landing", root / "home", select=" ".join(f"+{mart}" for mart in MARTS))
    return {mart: query(settings, f"select * from marts.{mart}") for mart in MARTS}


def pence(amount: float) -> float:
    """Round to pence, halves away from zero, as the marts do."""
    return float(Decimal(repr(amount)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def row(frame: pd.DataFrame, **keys: object) -> pd.Series:
    """The one row of a mart with these key values."""
    mask = pd.Series(True, index=frame.index)
    for column, value in keys.items():
        mask &= frame[column] == value
    matched = frame[mask]
    assert len(matched) == 1, f"expected one row for {keys}, found {len(matched)}"
    return matched.iloc[0]


def money(value: object) -> float:
    return float(value)  # DECIMAL(18,2) comes back as Decimal or float


# Hand-worked calendar.
FY2324_DAYS = days(date(2023, 4, 1), date(2024, 3, 31))
FY2425_DAYS = days(date(2024, 4, 1), date(2025, 3, 31))
FY2425_COVERED_DAYS = days(date(2024, 4, 1), date(2024, 9, 30))  # ledger to 2024-09


def test_hand_worked_calendar() -> None:
    assert FY2324_DAYS == 366  # 2023-24 holds 29 February 2024
    assert FY2425_DAYS == 365
    assert FY2425_COVERED_DAYS == 30 + 31 + 30 + 31 + 31 + 30 == 183
    assert days(date(2023, 6, 1), date(2023, 12, 31)) == 30 + 31 + 31 + 30 + 31 + 30 + 31 == 214


def test_cost_per_placement_closed_leap_year(marts: dict[str, pd.DataFrame]) -> None:
    cost = marts["cost_per_placement"]
    special = row(cost, financial_year="2023-24", provision_type="special_maintained")
    # P1 open all year (366 days); P2 starts and ends inside the year: 1 Jun–31 Dec 2023 = 214 days.
    placement_days = FY2324_DAYS + days(date(2023, 6, 1), date(2023, 12, 31))
    assert placement_days == 580
    assert special["placement_days"] == placement_days
    assert special["days_in_period"] == 366
    assert special["placements_fte"] == pytest.approx(580 / 366)
    assert special["placements_headcount"] == 2
    assert money(special["median_annual_cost_gbp"]) == (20000 + 18000) / 2
    spend = 5000 + 6000 + 5000 + 10000  # T23-01..04
    assert money(special["spend_gbp"]) == spend
    assert money(special["cost_per_fte_gbp"]) == pytest.approx(pence(spend / 580 * 366))  # 16406.90
    assert bool(special["is_closed"])

    independent = row(cost, financial_year="2023-24", provision_type="special_independent")
    # P5 from 1 Nov 2023: Nov 30 + Dec 31 + Jan 31 + Feb 29 + Mar 31 = 152 days; P4 starts next year.
    assert independent["placement_days"] == days(date(2023, 11, 1), date(2024, 3, 31)) == 152
    assert independent["placements_headcount"] == 1
    assert money(independent["spend_gbp"]) == 20000 - 1000  # a credit nets off
    assert money(independent["cost_per_fte_gbp"]) == pytest.approx(19000 / 152 * 366)  # 45750.00 exactly

    resourced = row(cost, financial_year="2023-24", provision_type="resourced_provision")
    # P3 from 15 Jan 2024: Jan 17 + Feb 29 + Mar 31 = 77 days.
    assert resourced["placement_days"] == 17 + 29 + 31
    assert money(resourced["cost_per_fte_gbp"]) == pytest.approx(pence(2500 / 77 * 366))  # 11883.12


def test_cost_per_placement_year_in_progress(marts: dict[str, pd.DataFrame]) -> None:
    cost = marts["cost_per_placement"]
    assert set(cost["financial_year"]) == {"2023-24", "2024-25"}
    assert len(cost) == 6
    special = row(cost, financial_year="2024-25", provision_type="special_maintained")
    assert str(special["period_end_date"])[:10] == "2024-09-30"
    assert special["placement_days"] == 183
    assert special["placements_fte"] == pytest.approx(1.0)
    assert special["placements_headcount"] == 1  # P2 ended in 2023
    assert money(special["median_annual_cost_gbp"]) == 20000  # the newest snapshot's cost, not 19000
    assert money(special["cost_per_fte_gbp"]) == pytest.approx(pence(10200 / 183 * 365))  # 20344.26

    independent = row(cost, financial_year="2024-25", provision_type="special_independent")
    # P4 1 May–30 Sep = 153; P5 1 Apr–31 Aug = 153.
    p4, p5 = days(date(2024, 5, 1), date(2024, 9, 30)), days(date(2024, 4, 1), date(2024, 8, 31))
    assert (p4, p5) == (153, 153)
    assert independent["placement_days"] == p4 + p5
    assert independent["placements_fte"] == pytest.approx(306 / 183)
    assert independent["placements_headcount"] == 2
    assert money(independent["median_annual_cost_gbp"]) == (60000 + 54000) / 2
    assert money(independent["cost_per_fte_gbp"]) == pytest.approx(pence(19000 / 306 * 365))  # 22663.40

    resourced = row(cost, financial_year="2024-25", provision_type="resourced_provision")
    # P3 all 183 days + P6 1 Jul–30 Sep = 92; spend is by provision type, whatever the line (1.2.1 and 1.2.2).
    assert resourced["placement_days"] == 183 + 92
    assert money(resourced["median_annual_cost_gbp"]) == (12000 + 9000) / 2
    assert money(resourced["spend_gbp"]) == 1500 + 3000
    assert money(resourced["cost_per_fte_gbp"]) == pytest.approx(pence(4500 / 275 * 365))  # 5972.73


DAYS_AFTER_SEP_2024 = (date(2025, 3, 31) - date(2024, 9, 30)).days  # open days after the end of 2024-09
DAYS_AFTER_JUN_2024 = (date(2025, 3, 31) - date(2024, 6, 30)).days


def remaining_year_fraction(after_month: int, after_year: int) -> float:
    """Σ over the months left after M of (days from the month's first day to 31 March 2025) ÷ 365."""
    total, year, month = 0, after_year, after_month
    while (year, month) != (2025, 3):
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
        total += days(date(year, month, 1), date(2025, 3, 31))
    return total / FY2425_DAYS


def test_budget_vs_outturn_grid(marts: dict[str, pd.DataFrame]) -> None:
    bvo = marts["budget_vs_outturn"]
    # 2023-24: 12 months × lines 1.2.1, 1.2.2, 1.2.3, 1.2.5; 2024-25: 6 months × those and budget-only 1.2.8.
    assert len(bvo) == 12 * 4 + 6 * 5
    assert bvo["as_at_month"].max() == "2024-09"
    assert "2025-26" not in set(bvo["financial_year"])  # no month of it is in yet
    money_columns = [
        "actual_ytd_gbp",
        "committed_gbp",
        "forecast_outturn_gbp",
        "growth_gbp",
        "forecast_with_growth_gbp",
    ]
    assert not bvo[money_columns].isna().any().any()  # zeros are 0, not NULL


def test_revised_budget_applies_from_the_month_it_is_approved(marts: dict[str, pd.DataFrame]) -> None:
    bvo = marts["budget_vs_outturn"]
    # 1.2.3 2024-25: original 60000, revised to 70000 on 15 July 2024.
    assert money(row(bvo, as_at_month="2024-06", s251_line="1.2.3")["budget_gbp"]) == 60000
    july = row(bvo, as_at_month="2024-07", s251_line="1.2.3")
    assert money(july["budget_gbp"]) == 70000
    assert july["budget_type"] == "revised"
    assert money(row(bvo, as_at_month="2024-09", s251_line="1.2.3")["budget_gbp"]) == 70000
    # A line with spend but no budget has NULL budget and variance.
    no_budget = row(bvo, as_at_month="2024-09", s251_line="1.2.2")
    assert pd.isna(no_budget["budget_gbp"]) and pd.isna(no_budget["variance_gbp"])


def test_line_with_placement_commitments_and_run_rate(marts: dict[str, pd.DataFrame]) -> None:
    bvo = marts["budget_vs_outturn"]
    line = row(bvo, financial_year="2024-25", as_at_month="2024-09", s251_line="1.2.1")
    m = 6
    actual_ytd = 5100 + 5100 + 1500 + 2400 + 1200
    assert DAYS_AFTER_SEP_2024 == 31 + 30 + 31 + 31 + 28 + 31 == 182
    # P1 (special_maintained, 20000) and P6 (resourced at an unknown provider → maintained → 1.2.1, 9000).
    placements = pence((20000 + 9000) * DAYS_AFTER_SEP_2024 / FY2425_DAYS)  # 14460.27
    run_rate = pence((2400 + 1200) / m * (12 - m))  # lines without a placement: 3600
    assert money(line["actual_ytd_gbp"]) == actual_ytd
    assert money(line["committed_placements_gbp"]) == pytest.approx(placements)
    assert money(line["run_rate_gbp"]) == pytest.approx(run_rate)
    assert money(line["committed_gbp"]) == pytest.approx(placements + run_rate)
    forecast_outturn = actual_ytd + placements + run_rate  # 33360.27
    assert money(line["forecast_outturn_gbp"]) == pytest.approx(forecast_outturn)
    # Growth: P6 started 1 Jul 2024, the only 1.2.1 start in Oct 2023–Sep 2024.
    fraction = remaining_year_fraction(9, 2024)
    assert fraction == pytest.approx((182 + 151 + 121 + 90 + 59 + 31) / 365)
    growth = pence(1 / 12 * 9000 * fraction)  # 1302.74
    assert money(line["growth_gbp"]) == pytest.approx(growth)
    forecast_with_growth = actual_ytd + placements + run_rate + growth
    assert money(line["forecast_with_growth_gbp"]) == pytest.approx(forecast_with_growth)  # 34663.01
    assert money(line["variance_gbp"]) == pytest.approx(forecast_with_growth - 40000)  # underspend: negative
    assert line["variance_pct"] == pytest.approx((forecast_with_growth - 40000) / 40000 * 100)

    # As at 2024-06 the newest snapshot ≤ M is 2024-06: P1 at 19000, P6 not yet known; m = 3.
    june = row(bvo, financial_year="2024-25", as_at_month="2024-06", s251_line="1.2.1")
    assert june["placements_snapshot_month"] == "2024-06"
    assert DAYS_AFTER_JUN_2024 == 274
    assert money(june["committed_placements_gbp"]) == pytest.approx(pence(19000 * 274 / 365))  # 14263.01
    assert money(june["run_rate_gbp"]) == pytest.approx(2400 / 3 * 9)
    # P2 started 1 Jun 2023, one month before the 12 months ending 2024-06: no starters, no growth.
    assert money(june["growth_gbp"]) == 0


def test_resourced_provision_takes_its_line_from_governance(marts: dict[str, pd.DataFrame]) -> None:
    bvo = marts["budget_vs_outturn"]
    # P3 is resourced provision at an academy (100002): 1.2.2, not its usual 1.2.1.
    academy = row(bvo, financial_year="2024-25", as_at_month="2024-09", s251_line="1.2.2")
    committed = pence(12000 * DAYS_AFTER_SEP_2024 / FY2425_DAYS)  # 5983.56
    assert money(academy["committed_placements_gbp"]) == pytest.approx(committed)
    assert money(academy["run_rate_gbp"]) == 0  # its only ledger line pays a placement
    growth = pence(1 / 12 * 12000 * remaining_year_fraction(9, 2024))  # P3 started 15 Jan 2024
    assert money(academy["forecast_with_growth_gbp"]) == pytest.approx(3000 + committed + growth)  # 10720.55


def test_growth_with_starters(marts: dict[str, pd.DataFrame]) -> None:
    bvo = marts["budget_vs_outturn"]
    line = row(bvo, financial_year="2024-25", as_at_month="2024-09", s251_line="1.2.3")
    # Starters in Oct 2023–Sep 2024 on 1.2.3: P4 (1 May 2024, 60000) and P5 (1 Nov 2023, 54000).
    assert line["growth_starters"] == 2
    growth = pence(2 / 12 * ((60000 + 54000) / 2) * remaining_year_fraction(9, 2024))  # 16501.37
    assert money(line["growth_gbp"]) == pytest.approx(growth)
    committed = pence(60000 * 182 / 365)  # P5 ended 31 Aug: nothing left to commit
    assert money(line["committed_gbp"]) == pytest.approx(committed)
    assert money(line["forecast_with_growth_gbp"]) == pytest.approx(19000 + committed + growth)  # 65419.18

    june = row(bvo, financial_year="2024-25", as_at_month="2024-06", s251_line="1.2.3")
    fraction = remaining_year_fraction(6, 2024)
    assert fraction * 365 == pytest.approx(274 + 243 + 212 + 182 + 151 + 121 + 90 + 59 + 31)
    assert money(june["growth_gbp"]) == pytest.approx(pence(2 / 12 * 57000 * fraction))  # 35475.34
    # P5 is still open in the 2024-06 snapshot, so both are committed for the rest of the year.
    assert money(june["committed_gbp"]) == pytest.approx(pence((60000 + 54000) * 274 / 365))  # 85578.08

    # A line without placements has no growth; its forecast is actual + run-rate.
    support = row(bvo, financial_year="2024-25", as_at_month="2024-09", s251_line="1.2.5")
    assert money(support["growth_gbp"]) == 0
    assert money(support["forecast_with_growth_gbp"]) == 4000 + 4000 / 6 * 6


def test_closed_year(marts: dict[str, pd.DataFrame]) -> None:
    bvo = marts["budget_vs_outturn"]
    march = bvo[(bvo["financial_year"] == "2023-24") & (bvo["as_at_month"] == "2024-03")]
    assert len(march) == 4
    assert march["is_closed"].all()
    for column in ("committed_gbp", "committed_placements_gbp", "run_rate_gbp", "growth_gbp"):
        assert (march[column].astype(float) == 0).all(), column
    assert (march["forecast_outturn_gbp"].astype(float) == march["actual_ytd_gbp"].astype(float)).all()
    assert (march["forecast_with_growth_gbp"].astype(float) == march["actual_ytd_gbp"].astype(float)).all()
    line = row(march, s251_line="1.2.1")
    assert money(line["actual_ytd_gbp"]) == 26000
    assert money(line["variance_gbp"]) == 26000 - 30000
    assert line["variance_pct"] == pytest.approx(-4000 / 30000 * 100)
    # Earlier months of the closed year kept the run-rate forecast of their time (no snapshot ≤ M yet).
    june = row(bvo, financial_year="2023-24", as_at_month="2023-06", s251_line="1.2.5")
    assert money(june["forecast_outturn_gbp"]) == 3000 + 3000 / 3 * 9


def test_dsg_deficit_position(marts: dict[str, pd.DataFrame]) -> None:
    dsg = marts["dsg_deficit_position"]
    # 2022-23 has funding but neither spend nor a plan.
    assert list(dsg["financial_year"]) == ["2023-24", "2024-25", "2025-26"]

    closed = row(dsg, financial_year="2023-24")
    hn_income = 60000 - 20000 + 10000
    total_income = (1000000 - 10000) + 50000 + 200000 + hn_income
    outturn = 26000 + 2500 + 19000 + 3000  # every ledger line of the year
    assert not closed["is_forecast"]
    assert money(closed["hn_income_gbp"]) == hn_income
    assert money(closed["total_dsg_income_gbp"]) == total_income
    assert money(closed["hn_spend_gbp"]) == outturn
    assert money(closed["hn_in_year_gbp"]) == hn_income - outturn == -500  # overspend: negative
    assert money(closed["opening_balance_gbp"]) == -50000
    closing_2324 = -50000 + (hn_income - outturn)
    assert money(closed["closing_balance_gbp"]) == closing_2324 == -50500  # deficit: negative
    assert money(closed["gap_to_plan_gbp"]) == closing_2324 - (-55000) == 4500  # better than plan: positive
    assert closed["closing_balance_pct_of_dsg"] == pytest.approx(closing_2324 / total_income * 100)
    assert money(closed["opening_balance_mismatch_gbp"]) == 0

    current = row(dsg, financial_year="2024-25")
    # Spend = Σ forecast_with_growth as at 2024-09, worked above line by line.
    days_left, fraction = DAYS_AFTER_SEP_2024, remaining_year_fraction(9, 2024)
    line_121 = 15300 + pence(29000 * days_left / 365) + 3600 + pence(9000 / 12 * fraction)
    line_122 = 3000 + pence(12000 * days_left / 365) + pence(12000 / 12 * fraction)
    line_123 = 19000 + pence(60000 * days_left / 365) + pence(2 / 12 * 57000 * fraction)
    line_125 = 4000 + 4000
    forecast = line_121 + line_122 + line_123 + line_125  # 1.2.8 (budget only) adds 0
    assert forecast == pytest.approx(118802.74)
    hn_income = 130000 - 25000
    assert current["is_forecast"]
    assert money(current["hn_spend_gbp"]) == pytest.approx(forecast)
    assert money(current["hn_in_year_gbp"]) == pytest.approx(hn_income - forecast)
    # Opening = last year's closing; the supplied -48000 disagrees and is reported, not used.
    assert money(current["opening_balance_gbp"]) == closing_2324
    assert current["opening_balance_source"] == "previous_closing"
    assert money(current["supplied_opening_balance_gbp"]) == -48000
    assert money(current["opening_balance_mismatch_gbp"]) == -48000 - closing_2324 == 2500
    closing_2425 = closing_2324 + hn_income - forecast
    assert money(current["closing_balance_gbp"]) == pytest.approx(closing_2425)  # -64302.74
    assert money(current["gap_to_plan_gbp"]) == pytest.approx(closing_2425 - (-70000))  # +5697.26
    total_income = 1100000 + 50000 + 210000 + hn_income
    assert current["closing_balance_pct_of_dsg"] == pytest.approx(closing_2425 / total_income * 100)

    future = row(dsg, financial_year="2025-26")  # funding and a plan, no spend yet
    assert future["is_forecast"]
    assert money(future["opening_balance_gbp"]) == pytest.approx(closing_2425)
    assert pd.isna(future["hn_spend_gbp"]) and pd.isna(future["closing_balance_gbp"])
    assert money(future["planned_closing_balance_gbp"]) == -80000


def test_placement_flows(marts: dict[str, pd.DataFrame]) -> None:
    flows = marts["placement_flows"]
    # Earliest ledger month 2023-04 to the newest snapshot 2024-09: 18 months × 6 type × need groups.
    assert flows["month"].min() == "2023-04" and flows["month"].max() == "2024-09"
    assert len(flows) == 18 * 6

    def at(month: str, provision_type: str, need: str) -> tuple[int, int, int]:
        r = row(flows, month=month, provision_type=provision_type, primary_need=need)
        return int(r["starters"]), int(r["leavers"]), int(r["active_end_of_month"])

    # P2 special_maintained SEMH: starts 1 Jun 2023, ends 31 Dec 2023 (gone by the end of December).
    assert at("2023-06", "special_maintained", "SEMH") == (1, 0, 1)
    assert at("2023-11", "special_maintained", "SEMH") == (0, 0, 1)
    assert at("2023-12", "special_maintained", "SEMH") == (0, 1, 0)
    # P5 special_independent SEMH: starts 1 Nov 2023, ends 31 Aug 2024 (the newest snapshot knows).
    assert at("2023-11", "special_independent", "SEMH") == (1, 0, 1)
    assert at("2024-08", "special_independent", "SEMH") == (0, 1, 0)
    # P1 started before the window and is still open.
    assert at("2023-04", "special_maintained", "ASD") == (0, 0, 1)
    assert at("2024-07", "resourced_provision", "MLD") == (1, 0, 1)
    totals = flows.groupby("month")[["starters", "leavers"]].sum()
    assert int(totals["starters"].sum()) == 5  # P2, P3, P4, P5, P6 start inside the window
    assert int(totals["leavers"].sum()) == 2  # P2, P5
    # Stock and flows agree: active(M) = active(M-1) + starters(M) - leavers(M).
    by_month = flows.groupby("month")[["starters", "leavers", "active_end_of_month"]].sum().sort_index()
    opening = 1  # P1, open before the window
    expected = opening + (by_month["starters"] - by_month["leavers"]).cumsum()
    assert list(by_month["active_end_of_month"]) == list(expected)
