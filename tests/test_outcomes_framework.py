"""The shipped outcomes catalogue covers the strategy, and editing it rebuilds what is built from it."""

from __future__ import annotations

from pathlib import Path

import pytest

from analyses.outcomes import OUTCOMES
from orchestration import dbt_manifest
from orchestration.outcomes_framework import UNIT_RANGES, period_start, shipped_catalogue
from orchestration.settings import DBT_PROJECT_DIR


def test_the_shipped_catalogue_tracks_all_nine_priorities_with_at_least_eight_derived_indicators() -> None:
    catalogue = shipped_catalogue()
    indicators = catalogue.indicators.values()
    assert len(catalogue.indicators) >= 12
    assert sum(item.source == "derived" for item in indicators) >= 8
    assert {item.priority for item in indicators} == set(range(1, 10))


def test_an_outcome_the_impact_evaluation_also_estimates_keeps_its_one_name_and_unit() -> None:
    absence = shipped_catalogue().indicators["ehcp_absence_rate"]
    assert (
        absence.unit_words
        == OUTCOMES["absence_rate_ehcp"].unit
        == "% of sessions missed by pupils with an EHCP"
    )
    assert absence.label == "Absence rate among pupils with an EHCP"


@pytest.mark.parametrize(
    ("period", "kind", "years"),
    [
        ("2024/25", "academic_year", 2024.0),
        ("2024-25", "financial_year", 2024.0),
        ("2025-04", "month", 2025.25),
    ],
)
def test_periods_become_years_for_the_straight_line_to_the_target(
    period: str, kind: str, years: float
) -> None:
    assert period_start(period, kind) == years


def test_a_percentage_lies_between_0_and_100_and_other_units_are_never_negative() -> None:
    assert UNIT_RANGES["percent"] == (0.0, 100.0)
    assert all(
        low == 0.0 and (high is None or unit == "percent") for unit, (low, high) in UNIT_RANGES.items()
    )


def test_an_edited_catalogue_changes_the_dbt_projects_fingerprint(tmp_path: Path, monkeypatch) -> None:
    catalogue = tmp_path / "outcomes_framework.yaml"
    catalogue.write_text("target: 1\n", encoding="utf-8")
    monkeypatch.setattr(dbt_manifest, "_FILES_MODELS_READ", (catalogue,))
    before = dbt_manifest.project_fingerprint.__wrapped__(DBT_PROJECT_DIR)
    catalogue.write_text("target: 2\n", encoding="utf-8")
    assert dbt_manifest.project_fingerprint.__wrapped__(DBT_PROJECT_DIR) != before
