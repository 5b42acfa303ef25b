"""One table of names for the pack's codes, and impact sentences in the unit of their own outcome."""

from __future__ import annotations

import csv
import re

import pandas as pd
import pytest

from orchestration.reports.labels import (
    measure_name,
    outcome_unit,
    programme_name,
    provision_name,
    s251_name,
)
from orchestration.reports.sections.impact import effect_sentence
from orchestration.settings import DBT_PROJECT_DIR

OUTCOMES = [
    f"{base}{suffix}"
    for suffix in ("", "_ehcp")
    for base in ("suspension_rate", "permanent_exclusion_rate", "absence_rate", "persistent_absence_rate")
]
UNITS = {
    "suspension_rate": "suspensions per 100 pupils per term",
    "permanent_exclusion_rate": "permanent exclusions per 100 pupils per term",
    "absence_rate": "sessions missed per 100 possible sessions",
    "persistent_absence_rate": "persistently absent pupils per 100 pupils",
    "suspension_rate_ehcp": "suspensions per 100 pupils with an EHC plan per term",
    "permanent_exclusion_rate_ehcp": "permanent exclusions per 100 pupils with an EHC plan per term",
    "absence_rate_ehcp": "sessions missed per 100 possible sessions of pupils with an EHC plan",
    "persistent_absence_rate_ehcp": "persistently absent pupils per 100 pupils with an EHC plan",
}


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
def test_each_outcome_has_its_own_unit(outcome: str):
    assert outcome_unit(outcome) == UNITS[outcome]


def _estimate(outcome: str, estimate: float, low: float, high: float, scale: str = "difference") -> pd.Series:
    return pd.Series(
        {
            "programme": "restorative_practice",
            "outcome": outcome,
            "estimate": estimate,
            "ci_low": low,
            "ci_high": high,
            "n_treated_units": 12,
            "n_control_units": 48,
            "pretrend_p_value": 0.4,
            "estimate_scale": scale,
        }
    )


@pytest.mark.parametrize("outcome", OUTCOMES)
@pytest.mark.parametrize(
    ("estimate", "low", "high"), [(-0.62, -1.03, -0.21), (0.05, -0.35, 0.45), (0.3, 0.1, 0.5)]
)
def test_every_impact_sentence_states_one_interval_in_its_outcomes_unit(outcome, estimate, low, high):
    sentence = effect_sentence(_estimate(outcome, estimate, low, high))

    assert UNITS[outcome] in sentence
    other_units = [unit for name, unit in UNITS.items() if name != outcome and unit not in UNITS[outcome]]
    assert not [unit for unit in other_units if unit in sentence]
    assert sentence.count("confidence interval") == 1
    assert "per 100 pupils per term" not in sentence.replace(UNITS[outcome], "")


def test_an_impact_sentence_reads_the_interval_in_the_direction_of_the_effect():
    fewer = effect_sentence(_estimate("suspension_rate", -0.62, -1.03, -0.21))
    unclear = effect_sentence(_estimate("absence_rate", 0.05, -0.35, 0.45))
    ratio = effect_sentence(_estimate("permanent_exclusion_rate", 0.81, 0.66, 0.99, scale="rate_ratio"))

    assert fewer == (
        "Schools that adopted restorative practice saw 0.62 fewer suspensions per 100 pupils per term "
        "(95% confidence interval 0.21 to 1.03 fewer); 12 schools took part, compared with 48."
    )
    assert unclear.startswith(
        "Schools that adopted restorative practice saw no clear change in sessions missed per 100 possible "
        "sessions: 0.05 more (95% confidence interval 0.35 fewer to 0.45 more)"
    )
    assert re.search(
        r"had 19% fewer permanent exclusions per pupil \(rate ratio 0\.81, 95% confidence interval "
        r"0\.66 to 0\.99\)",
        ratio,
    )
