"""Behaviour of analyses.did: hand-worked 2×2, planted effects, pre-trend test, sample rules, speed."""

import time
import warnings

import numpy as np
import pandas as pd
import pytest

from analyses.did import DidDataWarning, att_gt
from analyses.simulate import StaggeredDesign

AGGREGATIONS = ("simple", "dynamic", "group", "calendar")


def two_by_two_panel() -> pd.DataFrame:
    """3 treated schools (first treated in period 2) and 4 never-treated schools, periods 1 and 2."""
    outcomes = {  # unit: (first_treated, y in period 1, y in period 2)
        1: (2, 10.0, 14.0),
        2: (2, 12.0, 15.0),
        3: (2, 9.0, 14.0),
        4: (0, 10.0, 11.0),
        5: (0, 8.0, 10.0),
        6: (0, 11.0, 11.0),
        7: (0, 7.0, 10.0),
    }
    rows = [
        {"id": unit, "period": period, "first_treated": g, "y": y}
        for unit, (g, y1, y2) in outcomes.items()
        for period, y in ((1, y1), (2, y2))
    ]
    return pd.DataFrame(rows)


@pytest.mark.parametrize("method", ["reg", "ipw", "dr"])
def test_two_by_two_att_is_the_difference_in_mean_changes_with_influence_function_se(method):
    # by hand: treated changes 4, 3, 5 (mean 4); comparison changes 1, 2, 0, 3 (mean 1.5)
    att_by_hand = (4 + 3 + 5) / 3 - (1 + 2 + 0 + 3) / 4
    # ψ_i = n [D_i (ΔY_i − 4)/3 − C_i (ΔY_i − 1.5)/4], SE = √(Σ ψ_i²) / n
    n = 7
    psi = [n * (d - 4) / 3 for d in (4, 3, 5)] + [-n * (d - 1.5) / 4 for d in (1, 2, 0, 3)]
    se_by_hand = np.sqrt(sum(v**2 for v in psi)) / n
    assert att_by_hand == pytest.approx(2.5)
    assert se_by_hand == pytest.approx(np.sqrt(2 / 9 + 5 / 16))

    result = att_gt(two_by_two_panel(), "y", "id", "period", "first_treated", method=method)

    cell = result.group_time.iloc[0]
    assert len(result.group_time) == 1
    assert (cell.cohort, cell.time) == (2, 2)
    assert cell.att == pytest.approx(att_by_hand, abs=1e-12)
    assert cell.std_error == pytest.approx(se_by_hand, abs=1e-12)
    np.testing.assert_allclose(result.influence[:, 0], psi, atol=1e-12)
    for kind in AGGREGATIONS:
        aggregate = result.aggregate(kind)
        assert aggregate.estimate == pytest.approx(att_by_hand, abs=1e-12)
        assert aggregate.std_error == pytest.approx(se_by_hand, abs=1e-12)


@pytest.fixture(scope="module")
def constant_effect_panel() -> tuple[StaggeredDesign, pd.DataFrame]:
    design = StaggeredDesign(n_units=600, n_periods=10, cohorts=(0, 4, 6, 8), base_effect=1.5)
    return design, design.simulate(seed=11)


@pytest.mark.parametrize("control_group", ["never_treated", "not_yet_treated"])
@pytest.mark.parametrize("kind", AGGREGATIONS)
def test_planted_constant_effect_lies_inside_every_aggregate_confidence_interval(
    constant_effect_panel, control_group, kind
):
    _, panel = constant_effect_panel
    result = att_gt(panel, "y", "id", "period", "first_treated", control_group=control_group)

    aggregate = result.aggregate(kind)

    assert aggregate.ci_low < 1.5 < aggregate.ci_high
    assert aggregate.n_units == 600


def test_pre_treatment_cells_of_a_constant_effect_panel_are_near_zero_and_the_wald_test_passes(
    constant_effect_panel,
):
    _, panel = constant_effect_panel
    result = att_gt(panel, "y", "id", "period", "first_treated")

    pre = result.group_time.query("not post")
    test = result.pretrend_test()

    assert (pre.att.abs() < 4 * pre.std_error).all()
    assert test.df == len(pre)
    assert test.p_value > 0.05


def test_wald_pretrend_test_rejects_when_treated_units_trend_apart_before_adoption(constant_effect_panel):
    _, panel = constant_effect_panel
    # treated schools drift up 0.3 a period more than the others before they adopt
    treated = panel["first_treated"] > 0
    drift = np.where(treated, 0.3 * np.minimum(panel["period"], panel["first_treated"]), 0.0)
    diverging = panel.assign(y=panel["y"] + drift)

    test = att_gt(diverging, "y", "id", "period", "first_treated").pretrend_test()

    assert test.p_value < 0.001


def test_dynamic_aggregation_recovers_effects_that_grow_with_exposure_and_differ_by_cohort():
    design = StaggeredDesign(
        n_units=900, n_periods=10, cohorts=(0, 4, 6, 8), cohort_gradient=1.0, growth_per_period=0.3
    )
    result = att_gt(design.simulate(seed=5), "y", "id", "period", "first_treated")

    table = result.aggregate("dynamic").table.set_index("relative_period")
    truth = pd.Series(design.true_event_study())

    z = (table.loc[truth.index, "estimate"] - truth) / table.loc[truth.index, "std_error"]
    assert (z.abs() < 3.5).all()
    overall = result.aggregate("dynamic")
    assert overall.ci_low < design.true_dynamic_att() < overall.ci_high


def test_covariate_adjusted_estimators_recover_the_effect_when_trends_depend_on_a_covariate():
    # x raises the trend and treated schools have higher x, so unconditional parallel trends fail
    design = StaggeredDesign(
        n_units=1500, n_periods=8, cohorts=(0, 4, 6), base_effect=1.0, trend_x=3.0, x_shift_treated=1.0
    )
    panel = design.simulate(seed=2)

    unadjusted = att_gt(panel, "y", "id", "period", "first_treated").aggregate("simple")
    adjusted = [
        att_gt(panel, "y", "id", "period", "first_treated", covariates=["x"], method=method)
        for method in ("reg", "ipw", "dr")
    ]

    assert (unadjusted.estimate - 1.0) / unadjusted.std_error > 5
    for result in adjusted:
        aggregate = result.aggregate("simple")
        assert abs(aggregate.estimate - 1.0) < 3 * aggregate.std_error


def test_r_style_formula_and_list_of_covariates_give_the_same_estimates(constant_effect_panel):
    _, panel = constant_effect_panel
    by_list = att_gt(panel, "y", "id", "period", "first_treated", covariates=["x"])
    by_formula = att_gt(panel, "y", "id", "period", "first_treated", covariates="~ x")

    pd.testing.assert_frame_equal(by_list.group_time, by_formula.group_time)


def test_units_treated_in_the_first_period_are_dropped_with_a_warning():
    panel = StaggeredDesign(n_units=200, n_periods=6, cohorts=(0, 1, 3, 5)).simulate(seed=1)
    first_period_units = panel.loc[panel.first_treated == 1, "id"].nunique()

    with pytest.warns(DidDataWarning, match=f"Dropped {first_period_units} units already treated"):
        result = att_gt(panel, "y", "id", "period", "first_treated")

    assert result.n_units == 200 - first_period_units
    assert set(result.group_time.cohort) == {3, 5}


def test_without_never_treated_units_the_last_cohort_becomes_the_comparison_and_later_periods_go():
    panel = StaggeredDesign(n_units=300, n_periods=8, cohorts=(3, 5, 7)).simulate(seed=1)

    with pytest.warns(DidDataWarning, match="No never-treated units"):
        result = att_gt(panel, "y", "id", "period", "first_treated", control_group="not_yet_treated")

    assert set(result.group_time.cohort) == {3, 5}
    assert result.group_time.time.max() == 6
    assert result.n_units == 300


def test_units_missing_a_period_are_dropped_to_balance_the_panel():
    panel = StaggeredDesign(n_units=100, n_periods=6).simulate(seed=3)
    holed = panel.drop(index=panel.index[(panel.id <= 5) & (panel.period == 4)])

    with pytest.warns(DidDataWarning, match="Dropped 5 units not observed in every period"):
        result = att_gt(holed, "y", "id", "period", "first_treated")

    assert result.n_units == 95


def test_cohort_that_changes_within_a_unit_is_rejected():
    panel = two_by_two_panel()
    panel.loc[0, "first_treated"] = 0

    with pytest.raises(ValueError, match="same in every period"):
        att_gt(panel, "y", "id", "period", "first_treated")


def test_cell_without_overlap_is_na_and_aggregation_then_needs_na_rm():
    panel = StaggeredDesign(n_units=300, n_periods=6, cohorts=(0, 3, 5)).simulate(seed=4)
    # x separates cohort 3 from the never treated perfectly: the propensity score is 1
    panel["x"] = np.where(panel.first_treated == 3, 5.0, 0.0) + 0.01 * panel["x"]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = att_gt(panel, "y", "id", "period", "first_treated", covariates=["x"], method="ipw")

    assert result.group_time.query("cohort == 3").att.isna().all()
    assert result.group_time.query("cohort == 5").att.notna().all()
    with pytest.raises(ValueError, match="na_rm"):
        result.aggregate("simple")
    assert np.isfinite(result.aggregate("simple", na_rm=True).estimate)


def test_250_units_by_15_periods_with_every_aggregation_runs_in_well_under_a_second():
    panel = StaggeredDesign(n_units=250, n_periods=15, cohorts=(0, 5, 8, 11)).simulate(seed=0)
    att_gt(panel, "y", "id", "period", "first_treated")  # warm up imports and caches

    start = time.perf_counter()
    result = att_gt(panel, "y", "id", "period", "first_treated", covariates=["x"])
    for kind in AGGREGATIONS:
        result.aggregate(kind)
        elapsed = time.perf_counter() - start

    assert elapsed < 0.5


def test_summaries_are_readable_text_with_the_sample_size(constant_effect_panel):
    _, panel = constant_effect_panel
    result = att_gt(panel, "y", "id", "period", "first_treated")

    assert "600 units" in result.summary()
    assert "Pre-trend Wald test" in result.summary()
    assert "relative_period" in result.aggregate("dynamic").summary()
    assert result.table is result.group_time


def test_never_treated_coded_as_infinity_or_a_date_after_the_panel_equals_coding_as_zero():
    panel = StaggeredDesign(n_units=150, n_periods=6, cohorts=(0, 3, 5)).simulate(seed=9)
    as_zero = att_gt(panel, "y", "id", "period", "first_treated")

    for code in (np.inf, 99):
        recoded = panel.assign(first_treated=panel.first_treated.replace(0, code))
        result = att_gt(recoded, "y", "id", "period", "first_treated")
        pd.testing.assert_frame_equal(result.group_time, as_zero.group_time)
