"""One table of names for the pack's codes, and impact sentences in the unit of their own outcome."""

from __future__ import annotations

import csv

import pandas as pd
import pytest

from orchestration.reports.labels import (
    measure_name,
    outcome_change_words,
    outcome_name,
    outcome_unit,
    programme_name,
    provision_name,
    s251_name,
)
from orchestration.reports.sections.impact import evidence_line
from orchestration.settings import DBT_PROJECT_DIR

OUTCOMES = [
    f"{base}{suffix}"
    for suffix in ("", "_ehcp")
    for base in ("suspension_rate", "permanent_exclusion_rate", "absence_rate", "persistent_absence_rate")
]
UNITS = {
    "suspension_rate": "suspensions per 100 pupils per term",
    "permanent_exclusion_rate": "permanent exclusions per 100 pupils per term",
    "absence_rate": "percentage points of sessions missed",
    "persistent_absence_rate": "percentage points of pupils persistently absent",
    "suspension_rate_ehcp": "suspensions per 100 pupils with an EHCP per term",
    "permanent_exclusion_rate_ehcp": "permanent exclusions per 100 pupils with an EHCP per term",
    "absence_rate_ehcp": "percentage points of sessions missed by pupils with an EHCP",
    "persistent_absence_rate_ehcp": "percentage points of pupils with an EHCP persistently absent",
}
"""What a change in each outcome counts, as the outcome catalogue words it."""


def _seed(name: str) -> list[dict[str, str]]:
    with (DBT_PROJECT_DIR / "seeds" / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_s251_lines_and_provision_types_are_named_by_the_dbt_seeds():
    for row in _seed("s251_lines"):
        assert s251_name(row["s251_line"]) == row["s251_name"]
    for row in _seed("provision_types"):
        assert provision_name(row["provision_type"]) == row["provision_name"]
    assert s251_name("1.2.1+1.2.2") == (
        "Top-up funding – maintained schools and Top-up funding – academies, free schools and colleges"
    )


def test_programmes_and_measures_have_proper_names_not_codes():
    assert programme_name("ap_outreach") == "AP outreach"
    assert programme_name("talc") == "TALC"
    assert programme_name("trauma_informed") == "trauma-informed practice"
    assert measure_name("hn_budget_per_head_gbp") == "High Needs budget per head aged 2 to 18"
    assert programme_name("new_programme") == "new programme"  # a new code reads plainly until named


@pytest.mark.parametrize("outcome", OUTCOMES)
def test_each_outcome_has_its_own_unit_of_change(outcome: str):
    assert outcome_change_words(outcome) == UNITS[outcome]


def test_an_outcomes_level_and_name_come_from_the_outcome_catalogue():
    assert outcome_unit("suspension_rate") == "suspensions per 100 pupils per term"
    assert outcome_unit("absence_rate") == "% of sessions missed"
    assert (
        outcome_name("permanent_exclusion_rate_ehcp") == "permanent exclusion rate among pupils with an EHCP"
    )
    assert outcome_name("new_outcome") == "new outcome"


def _estimate(outcome: str, estimate: float, low: float, high: float, pretrend: float = 0.4) -> pd.Series:
    """A primary headline row the evaluation did not allow to be headlined (M̄ 0.42 below 1)."""
    return pd.Series(
        {
            "programme": "restorative_practice",
            "outcome": outcome,
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "n_treated_units": 12,
            "n_control_units": 48,
            "pretrend_p_value": pretrend,
            "is_primary": True,
            "may_headline": False,
            "evidence_statement": "Restorative practice: the rate fell.",
            "security_rating": 2,
            "breakdown_mbar": 0.42,
            "mde": 0.35,
        }
    )


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize(
    ("estimate", "low", "high"), [(-0.62, -1.03, -0.21), (0.05, -0.35, 0.45), (0.3, 0.1, 0.5)]
)
def test_every_impact_line_states_one_interval_in_its_outcomes_unit(outcome, estimate, low, high):
    sentence = evidence_line(_estimate(outcome, estimate, low, high))

    assert UNITS[outcome] in sentence
    other_units = [unit for name, unit in UNITS.items() if name != outcome and unit not in UNITS[outcome]]
    assert not [unit for unit in other_units if unit in sentence]
    assert sentence.count("confidence interval") == 1
    assert "per 100 pupils per term" not in sentence.replace(UNITS[outcome], "")


def test_an_effect_the_evaluation_may_not_headline_is_not_enough_evidence_with_its_reasons():
    fell = evidence_line(_estimate("suspension_rate", -0.62, -1.03, -0.21))
    unclear = evidence_line(_estimate("absence_rate", 0.05, -0.35, 0.45, pretrend=0.002))

    assert fell == (
        "Restorative practice, suspension rate: not enough evidence of an effect, because a break in "
        "trends at adoption of 0.42 times the largest seen before it could explain the effect (breakdown "
        "M̄). For the record, the estimate was −0.62 suspensions per 100 pupils per term (95% confidence "
        "interval −1.03 to −0.21); the study could detect changes of at least 0.35. Security: 2 of 5 "
        "padlocks."
    )
    assert "fell" not in fell
    assert unclear.startswith(
        "Restorative practice, absence rate: not enough evidence of an effect, because its 95% interval "
        "includes no change; adopting and comparison schools were already diverging before "
        "adoption; a break in trends"
    )
    assert "+0.05 percentage points of sessions missed (95% confidence interval −0.35 to +0.45)" in unclear


def test_an_effect_the_evaluation_may_headline_is_printed_as_its_evidence_statement():
    row = _estimate("suspension_rate", -0.62, -1.03, -0.21)
    row["may_headline"] = True

    assert evidence_line(row) == "Finding: Restorative practice: the rate fell."
