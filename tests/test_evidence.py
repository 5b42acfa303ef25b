"""What an estimate may claim: the padlock rule, the headline rule and the EEF-style line, by hand.

The reference case is AP outreach on permanent exclusions as the issue describes it: adopters started at
0.33 per 100 pupils per term against 0.10 in comparison schools, and fell by 0.23.
"""

import dataclasses
import math
import subprocess
import sys

import pytest

from analyses.evidence import Evidence, checks_passed, evidence_statement, may_headline, security_rating
from analyses.outcomes import OUTCOMES
from analyses.plan import SecurityPlan, read_plan

PLAN = SecurityPlan()


def ap_outreach(**changes: object) -> Evidence:
    evidence = Evidence(
        programme_label="AP outreach",
        outcome=OUTCOMES["permanent_exclusion_rate"],
        is_primary=True,
        estimate=-0.23,
        ci_low=-0.34,
        ci_high=-0.12,
        inference="wild_bootstrap",
        n_treated=22,
        n_comparison=60,
        baseline_rate=0.33,
        comparison_baseline_rate=0.10,
        baseline_standardised_difference=1.3,
        balanced=False,
        attrition_rate=0.02,
        differential_attrition=0.01,
        mde=0.15,
        pretrend_p_value=0.40,
        pretrend_reason=None,
        breakdown_mbar=1.4,
        adjusted_estimate=-0.18,
        adjusted_ci_low=-0.31,
        adjusted_ci_high=-0.05,
        adjusted_reason=None,
        cost_gbp=600_000.0,
        events_avoided=150.0,
    )
    return dataclasses.replace(evidence, **changes)


def test_one_padlock_per_design_check_passed() -> None:
    evidence = ap_outreach()
    assert checks_passed(evidence, PLAN) == {
        "parallel pre-trends": True,
        "balance": False,
        "attrition": True,
        "treated schools": False,  # 22 < 30
        "power": True,  # MDE 0.15 ≤ |−0.23|
    }
    assert security_rating(evidence, PLAN) == 3
    assert security_rating(dataclasses.replace(evidence, balanced=True, n_treated=40), PLAN) == 5


def test_a_failed_pre_trend_test_caps_the_rating_at_one_padlock() -> None:
    failed = ap_outreach(pretrend_p_value=0.002, balanced=True, n_treated=40)
    assert sum(checks_passed(failed, PLAN).values()) == 4
    assert security_rating(failed, PLAN) == 1


def test_attrition_fails_above_ten_percent_or_five_points_between_groups() -> None:
    assert not checks_passed(ap_outreach(attrition_rate=0.11), PLAN)["attrition"]
    assert not checks_passed(ap_outreach(differential_attrition=0.06), PLAN)["attrition"]


@pytest.mark.parametrize(
    "changes, headline",
    [
        ({}, True),
        ({"is_primary": False}, False),
        ({"pretrend_p_value": 0.002}, False),  # pre-trends fail
        ({"pretrend_p_value": math.nan, "pretrend_reason": "a cohort of 3 schools"}, False),  # untested
        ({"ci_high": 0.02}, False),  # the interval spans zero
        ({"breakdown_mbar": 0.6}, False),  # a break as large as the pre-adoption steps explains it
    ],
)
def test_headline_only_a_robust_clear_primary_effect_with_parallel_pre_trends(changes, headline) -> None:
    assert may_headline(ap_outreach(**changes), PLAN) is headline


def test_the_line_states_effect_baseline_interval_mde_pre_trends_sensitivity_padlocks_and_cost() -> None:
    line = evidence_statement(ap_outreach(), PLAN)
    assert line.startswith("AP outreach (22 adopting vs 60 comparison schools; primary outcome): ")
    assert "the permanent exclusion rate fell by 0.23 permanent exclusions per 100 pupils per term" in line
    assert "(95 % CI −0.34 to −0.12, wild cluster bootstrap)" in line and line.count("CI") == 1
    assert "70 % below the adopting schools' baseline of 0.33" in line  # −0.23 / 0.33
    assert "could detect changes of 0.15 permanent exclusions per 100 pupils per term" in line
    assert "no sign of diverging pre-adoption trends (p = 0.40)" in line
    assert "breakdown M̄ = 1.40" in line
    assert "security 3/5 padlocks (not met: balance, treated schools)" in line
    assert "£4,000 per permanent exclusion avoided" in line  # 600,000 / 150


def test_adopters_far_above_comparison_schools_are_warned_of_regression_to_the_mean() -> None:
    line = evidence_statement(ap_outreach(), PLAN)
    assert "adopting schools started well above comparison schools (0.33 vs 0.10" in line
    assert "regression to the mean" in line
    assert "adjusted for phase and baseline rate the estimate is −0.18 (still clear of zero)" in line
    vanishing = ap_outreach(adjusted_estimate=-0.05, adjusted_ci_low=-0.15, adjusted_ci_high=0.05)
    assert "the estimate is −0.05 (no longer clear of zero)" in evidence_statement(vanishing, PLAN)
    unadjustable = ap_outreach(adjusted_estimate=math.nan, adjusted_reason="overlap fails")
    assert "could not be adjusted for phase and baseline rate (overlap fails)" in evidence_statement(
        unadjustable, PLAN
    )
    balanced = ap_outreach(baseline_standardised_difference=0.1, comparison_baseline_rate=0.31)
    assert "regression to the mean" not in evidence_statement(balanced, PLAN)


def test_an_interval_spanning_zero_is_no_clear_change_with_the_smallest_detectable_change() -> None:
    line = evidence_statement(ap_outreach(estimate=-0.05, ci_low=-0.16, ci_high=0.06), PLAN)
    assert "no clear change in the permanent exclusion rate (estimate −0.05" in line
    assert "95 % CI −0.16 to +0.06" in line
    assert (
        "the study could detect changes of at least 0.15 permanent exclusions per 100 pupils per term" in line
    )
    assert "fell" not in line and "avoided" not in line


def test_failed_pre_trends_are_never_worded_as_a_finding() -> None:
    line = evidence_statement(ap_outreach(pretrend_p_value=0.002), PLAN)
    assert "no finding — adopting and comparison schools were already diverging" in line
    assert "(pre-trend p = 0.002)" in line and "cannot be attributed to the programme" in line
    assert "fell" not in line and "avoided" not in line


def test_percentages_change_in_percentage_points() -> None:
    absence = ap_outreach(
        outcome=OUTCOMES["absence_rate"], estimate=-1.02, ci_low=-1.22, ci_high=-0.82, baseline_rate=8.25
    )
    line = evidence_statement(absence, PLAN)
    assert "the absence rate fell by 1.02 percentage points" in line
    assert "baseline of 8.25 % of sessions missed" in line


def test_the_plan_refuses_an_unknown_outcome_naming_the_file(tmp_path) -> None:
    plan = tmp_path / "evaluation.yaml"
    plan.write_text("programmes:\n  talc: {label: TALC, primary_outcome: suspensions}\n", encoding="utf-8")
    with pytest.raises(
        ValueError, match=r"evaluation.yaml: programmes.talc.primary_outcome: .*'suspensions'"
    ):
        read_plan(plan)


def test_the_shipped_plan_names_a_catalogued_primary_outcome_for_every_demo_programme() -> None:
    from orchestration.assets.impact import DEFAULT_PLAN_FILE

    plan = read_plan(DEFAULT_PLAN_FILE)
    for programme in ("restorative_practice", "trauma_informed", "talc", "ap_outreach"):
        assert plan.primary_outcome(programme) in OUTCOMES
    assert plan.primary_outcome("any_programme") is None
    assert plan.label("unknown_programme") == "unknown programme"


def test_the_outcome_catalogue_gives_units_and_imports_nothing_heavy() -> None:
    assert OUTCOMES["suspension_rate"].unit == "suspensions per 100 pupils per term"
    assert OUTCOMES["absence_rate"].unit == "% of sessions missed"
    assert OUTCOMES["absence_rate"].change_unit == "percentage points"
    assert (
        OUTCOMES["permanent_exclusion_rate_ehcp"].unit
        == "permanent exclusions per 100 pupils with an EHCP per term"
    )
    assert all(outcome.direction == "lower_is_better" for outcome in OUTCOMES.values())
    probe = "import sys, analyses.outcomes; print(sorted(m for m in ('numpy', 'pandas') if m in sys.modules))"
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_the_plan_sets_how_robust_a_headline_must_be() -> None:
    lenient = SecurityPlan(min_breakdown_mbar_to_headline=0.5)
    assert may_headline(ap_outreach(breakdown_mbar=0.6), lenient)
    assert not may_headline(ap_outreach(breakdown_mbar=0.6), PLAN)
