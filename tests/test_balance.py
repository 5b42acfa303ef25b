"""The balance table and the design sample, on a hand-made programme panel.

Terms 6066–6069; the programme's first cohort adopts in 6068, so the baseline is 6066–6067.

    school  cohort  other  phase      suspension_rate 6066, 6067 → baseline   headcount   terms
    A       6068    –      primary    4, 6 → 5                               100         all
    B       6069    –      secondary  8, 10 → 9                              300         all
    C       0       –      primary    2, 2 → 2                               100         all
    D       0       –      primary    3, 5 → 4                               200         all
    E       0       6067   primary    (ran another programme: not a comparison school)
    F       0       –      primary    1, 1 → 1                               100         6066–6068 (closed)
    G       6068    6069   primary    (adopted, then ran another programme too: left out as well)

Baseline suspension rate: treated (5 + 9) / 2 = 7, SD² = 8; comparison (2 + 4 + 1) / 3 = 7/3,
SD² = ((−1/3)² + (5/3)² + (−4/3)²) / 2 = 7/3; d = (7 − 7/3) / √((8 + 7/3) / 2) = 2.05306.
Primary share: treated 1/2, comparison 1; d = −0.5 / √((0.25 + 0) / 2) = −1.41421.
Attrition: treated 0, comparison 1/3; d = −(1/3) / √((0 + 2/9) / 2) = −1.
"""

import numpy as np
import pandas as pd
import pytest

from analyses.balance import balance_table, is_balanced, standardised_difference
from analyses.outcomes import OUTCOMES
from analyses.study_sample import design_schools, study_sample

SCHOOLS = {
    # school: (cohort, other programme, phase, rates by term, headcount)
    "A": (6068, 0, "primary", [4, 6, 7, 7], 100),
    "B": (6069, 0, "secondary", [8, 10, 9, 8], 300),
    "C": (0, 0, "primary", [2, 2, 2, 2], 100),
    "D": (0, 0, "primary", [3, 5, 4, 4], 200),
    "E": (0, 6067, "primary", [6, 6, 6, 6], 100),
    "F": (0, 0, "primary", [1, 1, 1], 100),
    "G": (6068, 6069, "primary", [9, 9, 2, 2], 100),
}


@pytest.fixture(scope="module")
def rows() -> pd.DataFrame:
    records = []
    for school, (cohort, other, phase, rates, headcount) in SCHOOLS.items():
        for offset, rate in enumerate(rates):
            records.append(
                {
                    "school_urn": school,
                    "term_index": 6066 + offset,
                    "first_treated_term_index": cohort,
                    "first_other_programme_term_index": other,
                    "phase": phase,
                    "programme_cost_gbp": 1000.0 if cohort else 0.0,
                    "headcount": float(headcount),
                    "suspensions": rate * headcount / 100,
                    "suspension_rate": float(rate),
                }
            )
    return pd.DataFrame(records)


def test_balance_table_matches_the_hand_worked_means_and_differences(rows: pd.DataFrame) -> None:
    design = design_schools(rows, ["suspension_rate", "headcount"])
    balance = balance_table(design).set_index("variable")
    baseline = balance.loc["baseline_suspension_rate"]
    assert baseline.treated_mean == pytest.approx(7.0)
    assert baseline.comparison_mean == pytest.approx(7 / 3)
    assert baseline.standardised_difference == pytest.approx((7 - 7 / 3) / np.sqrt((8 + 7 / 3) / 2))
    assert baseline.standardised_difference == pytest.approx(2.05306, abs=1e-5)
    assert baseline.unit == "suspensions per 100 pupils per term"
    primary = balance.loc["phase_primary"]
    assert (primary.treated_mean, primary.comparison_mean) == (0.5, 1.0)
    assert primary.standardised_difference == pytest.approx(-1.41421, abs=1e-5)
    assert balance.loc["phase_special", "standardised_difference"] == 0.0  # no special school anywhere
    assert balance.loc["attrition", "comparison_mean"] == pytest.approx(1 / 3)
    assert balance.loc["attrition", "standardised_difference"] == pytest.approx(-1.0)
    assert balance.loc["baseline_headcount", "treated_mean"] == pytest.approx(200.0)
    assert not is_balanced(balance.reset_index(), "suspension_rate", 0.25)


def test_schools_that_ran_another_programme_are_left_out_of_both_groups(rows: pd.DataFrame) -> None:
    design = design_schools(rows, ["suspension_rate"])
    assert (design.n_other_programme_treated, design.n_other_programme_comparison) == (1, 1)
    assert "E" not in design.schools.index and "G" not in design.schools.index
    assert design.first_cohort == 6068 and design.baseline_terms.tolist() == [6066, 6067]


def test_a_school_missing_a_term_is_counted_as_attrition_by_group_and_reason(rows: pd.DataFrame) -> None:
    design = design_schools(rows, ["suspension_rate"])
    sample = study_sample(rows, design, OUTCOMES["suspension_rate"])
    attrition = sample.attrition
    assert (attrition.n_treated, attrition.n_comparison) == (2, 3)
    assert (attrition.n_treated_dropped, attrition.n_comparison_dropped) == (0, 1)
    assert attrition.n_left_early == 1 and attrition.n_entered_late == 0
    assert attrition.overall_rate == pytest.approx(1 / 5)
    assert attrition.differential == pytest.approx(1 / 3)
    assert sorted(sample.schools.index) == ["A", "B", "C", "D"]
    assert sample.schools.loc["B", "phase_secondary"] == 1.0
    assert sample.covariates == ["phase_secondary", "baseline"]


def test_standardised_difference_of_two_constant_groups() -> None:
    same, other = pd.Series([1.0, 1.0]), pd.Series([2.0, 2.0])
    assert standardised_difference(same, same) == 0.0
    assert np.isnan(standardised_difference(same, other))
