"""Behaviour of analyses.twfe: equals dummy OLS, right under homogeneity, biased under heterogeneity."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from analyses.did import att_gt
from analyses.simulate import StaggeredDesign
from analyses.twfe import absorb_two_way, twfe, twfe_event_study


def test_absorbing_fixed_effects_gives_the_same_coefficient_and_sandwich_as_dummy_variable_ols():
    panel = StaggeredDesign(n_units=60, n_periods=6, cohorts=(0, 3, 5)).simulate(seed=2)
    # drop a few rows so the panel is unbalanced and the alternating projections must iterate
    panel = panel.drop(index=panel.index[::17])
    panel["treated"] = ((panel.first_treated > 0) & (panel.period >= panel.first_treated)).astype(float)

    result = twfe(panel, "y", "id", "period", "first_treated")
    dummies = smf.ols("y ~ treated + C(id) + C(period)", data=panel).fit(
        cov_type="cluster", cov_kwds={"groups": panel["id"].to_numpy(), "use_correction": False}
    )

    n_obs, n_clusters, n_periods = len(panel), panel.id.nunique(), panel.period.nunique()
    fixest_factor = n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - 1 - (n_periods - 1))
    assert result.estimate == pytest.approx(dummies.params["treated"], abs=1e-10)
    assert result.std_error == pytest.approx(dummies.bse["treated"] * np.sqrt(fixest_factor), rel=1e-8)
    assert result.n_obs == n_obs
    assert result.n_units == n_clusters


def test_absorb_two_way_leaves_residuals_with_zero_unit_and_period_means():
    rng = np.random.default_rng(0)
    units, times = rng.integers(0, 30, 400), rng.integers(0, 8, 400)
    residual = absorb_two_way(rng.normal(size=400), units, times)

    unit_sums = np.bincount(units, weights=residual, minlength=30)
    time_sums = np.bincount(times, weights=residual, minlength=8)
    assert np.abs(unit_sums).max() < 1e-9
    assert np.abs(time_sums).max() < 1e-9


def test_twfe_recovers_a_homogeneous_planted_effect():
    design = StaggeredDesign(n_units=500, n_periods=10, cohorts=(0, 4, 6, 8), base_effect=2.0)

    result = twfe(design.simulate(seed=8), "y", "id", "period", "first_treated")

    assert result.ci_low < 2.0 < result.ci_high
    assert result.n_treated_units > 0


def test_twfe_is_biased_under_heterogeneous_dynamic_effects_while_att_gt_is_not():
    # early cohorts gain more and effects grow with exposure: already-treated units act as controls in TWFE
    design = StaggeredDesign(
        n_units=1500, n_periods=12, cohorts=(0, 3, 6, 9), cohort_gradient=2.0, growth_per_period=0.4
    )
    panel = design.simulate(seed=4)
    truth = design.true_simple_att()

    naive = twfe(panel, "y", "id", "period", "first_treated")
    callaway = att_gt(panel, "y", "id", "period", "first_treated").aggregate("simple")

    assert naive.estimate < truth - 5 * naive.std_error
    assert callaway.ci_low < truth < callaway.ci_high


def test_event_study_recovers_flat_pre_periods_and_a_constant_homogeneous_effect():
    design = StaggeredDesign(n_units=800, n_periods=10, cohorts=(0, 4, 6, 8), base_effect=1.0)

    result = twfe_event_study(design.simulate(seed=1), "y", "id", "period", "first_treated", window=(-4, 4))
    table = result.table.set_index("relative_period")

    assert -1 not in table.index
    assert list(table.index) == [-4, -3, -2, 0, 1, 2, 3, 4]
    pre, post = table.loc[[-4, -3, -2]], table.loc[[0, 1, 2, 3, 4]]
    assert ((pre.ci_low < 0) & (pre.ci_high > 0)).all()
    assert ((post.ci_low < 1.0) & (post.ci_high > 1.0)).all()
    assert "reference: relative period -1" in result.summary()


def test_treatment_column_gives_the_same_answer_as_a_cohort_column():
    panel = StaggeredDesign(n_units=100, n_periods=6).simulate(seed=0)
    panel["treated"] = ((panel.first_treated > 0) & (panel.period >= panel.first_treated)).astype(int)

    by_cohort = twfe(panel, "y", "id", "period", "first_treated")
    by_dummy = twfe(panel, "y", "id", "period", treatment="treated")

    pd.testing.assert_frame_equal(by_cohort.table, by_dummy.table)
    assert "clustered by unit" in by_cohort.summary()
