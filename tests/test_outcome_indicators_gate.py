"""Supplied outcomes-framework indicators are held to the catalogue at the quality gate.

A file of `outcome_indicators` naming an indicator the catalogue does not have, a value outside its unit's
range, a numerator above its denominator or a period of the wrong kind is refused, naming the file, the
row, the column and the rule, and the warehouse keeps what it had. Monthly and whole deliveries both load.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from expectations.report import LandingFilesRefused
from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.settings import Settings
from tests.support.landing import write_landing_csv
from tests.support.pipeline import query, settings_for

DATASET = DATASETS["outcome_indicators"]
GOOD_ROWS = [
    # a percentage with its counts, a count, a monthly percentage
    {
        "indicator_id": "workforce_trained_pct",
        "period": "2024/25",
        "value": "62.5",
        "numerator": "125",
        "denominator": "200",
        "note": "training register",
    },
    {"indicator_id": "graduated_pathway_reviews", "period": "2024-25", "value": "940"},
    {
        "indicator_id": "ehc_plans_within_20_weeks_pct",
        "period": "2025-03",
        "value": "48.0",
        "numerator": "24",
        "denominator": "50",
    },
]


@pytest.fixture
def workspace(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "landing", tmp_path / "home")


def refused_problem(settings: Settings, rows: list[dict[str, object]], rule: str):
    """Deliver `rows` after the good whole file; the monthly file must be refused for `rule`."""
    write_landing_csv(settings.landing, "outcome_indicators", GOOD_ROWS)
    load_landing_dataset(settings, DATASET)
    bad = write_landing_csv(settings.landing, "outcome_indicators", GOOD_ROWS[:1] + rows, month="2025-04")
    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(settings, DATASET)
    (report,) = refused.value.reports
    assert report.name == bad.name
    (problem,) = [p for p in report.errors if p.rule == rule]
    assert problem.file == bad.name and problem.severity == "error"
    assert query(settings, "select count(*) as n from raw.outcome_indicators")["n"][0] == len(GOOD_ROWS)
    return problem


def test_good_monthly_and_whole_deliveries_both_load(workspace: Settings) -> None:
    write_landing_csv(workspace.landing, "outcome_indicators", GOOD_ROWS)
    write_landing_csv(workspace.landing, "outcome_indicators", GOOD_ROWS[2:], month="2025-04")
    load_landing_dataset(workspace, DATASET)
    loaded = query(workspace, "select _extract_month, count(*) as n from raw.outcome_indicators group by 1")
    assert dict(zip(loaded["_extract_month"].fillna(""), loaded["n"], strict=True)) == {"": 3, "2025-04": 1}


def test_an_indicator_the_catalogue_does_not_have_is_refused_naming_its_row(workspace: Settings) -> None:
    problem = refused_problem(
        workspace,
        [{"indicator_id": "school_dinners_pct", "period": "2024/25", "value": "50"}],
        "unknown_indicator",
    )
    assert problem.column == "indicator_id" and problem.rows == (3,)  # header is line 1, then two rows
    assert "school_dinners_pct" in problem.message and "config/outcomes_framework.yaml" in problem.message


@pytest.mark.parametrize(
    ("row", "line"),
    [
        ({"indicator_id": "workforce_trained_pct", "period": "2023/24", "value": "100.5"}, 3),  # a % over 100
        ({"indicator_id": "graduated_pathway_reviews", "period": "2023-24", "value": "-3"}, 3),  # a count < 0
    ],
    ids=["percentage above 100", "negative count"],
)
def test_a_value_outside_its_units_range_is_refused(workspace: Settings, row: dict, line: int) -> None:
    problem = refused_problem(workspace, [row], "value_outside_unit_range")
    assert problem.column == "value" and problem.rows == (line,)
    assert "a percentage lies between 0 and 100" in problem.message
    assert f"{row['indicator_id']} {row['period']}: {row['value']}" in problem.message


def test_a_numerator_larger_than_its_denominator_is_refused(workspace: Settings) -> None:
    row = {
        "indicator_id": "family_survey_kept_informed_pct",
        "period": "2024-25",
        "value": "50",
        "numerator": "61",
        "denominator": "60",
    }
    problem = refused_problem(workspace, [row], "numerator_exceeds_denominator")
    assert problem.column == "numerator" and problem.rows == (3,)
    assert "61 of 60" in problem.message


def test_a_period_of_another_kind_than_the_indicators_is_refused(workspace: Settings) -> None:
    row = {
        "indicator_id": "workforce_trained_pct",
        "period": "2024-25",
        "value": "60",
    }  # academic, not financial
    problem = refused_problem(workspace, [row], "period_not_of_indicator_kind")
    assert problem.column == "period" and "needs an academic year like 2025/26" in problem.message
