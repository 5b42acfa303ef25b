"""Behaviour of analyses.mde: the documented formula, shrinking with more units, and real 80 % power."""

import numpy as np
import pytest
from scipy import stats

from analyses.mde import mde_did, mde_from_panel
from analyses.simulate import StaggeredDesign


def test_mde_matches_the_formula_worked_by_hand():
    # σ² = 4, ρ = 0.5, J = K = 20, 4 periods before and 4 after
    se = np.sqrt(4 * (1 - 0.5) * (1 / 20 + 1 / 20) * (1 / 4 + 1 / 4))
    by_hand = (stats.norm.ppf(0.975) + stats.norm.ppf(0.8)) * se

    result = mde_did(20, 20, 4, 4, outcome_variance=4.0, icc=0.5)

    assert result.se_effect == pytest.approx(se)
    assert result.mde == pytest.approx(by_hand)
    assert result.mde == pytest.approx(2.8016 * 0.3162278, rel=1e-4)  # √(4 · 0.5 · 0.1 · 0.5) = √0.1


def test_mde_shrinks_with_more_units_periods_and_higher_intra_unit_correlation():
    base = mde_did(20, 20, 4, 4, outcome_variance=4.0, icc=0.5).mde

    assert mde_did(80, 80, 4, 4, outcome_variance=4.0, icc=0.5).mde == pytest.approx(base / 2)
    assert mde_did(20, 20, 8, 8, outcome_variance=4.0, icc=0.5).mde < base
    assert mde_did(20, 20, 4, 4, outcome_variance=4.0, icc=0.8).mde < base


def test_mde_from_a_panel_shrinks_as_the_panel_gets_more_units():
    design = StaggeredDesign(n_units=100, n_periods=8, cohorts=(0, 5))
    panel = design.simulate(seed=0)

    small = mde_from_panel(panel, "y", "id", "period", "first_treated")
    large = mde_from_panel(
        panel,
        "y",
        "id",
        "period",
        "first_treated",
        n_treated=4 * small.n_treated,
        n_control=4 * small.n_control,
    )
    larger_panel = mde_from_panel(
        design.__class__(n_units=400, n_periods=8, cohorts=(0, 5)).simulate(seed=0),
        "y",
        "id",
        "period",
        "first_treated",
    )

    assert large.mde == pytest.approx(small.mde / 2)
    assert larger_panel.mde < small.mde
    assert (small.n_pre, small.n_post) == (4, 4)


def test_variance_inputs_estimated_from_a_panel_are_close_to_the_simulated_ones():
    # simulated unit effects have variance 1 (+ a treated shift), idiosyncratic noise variance 1
    panel = StaggeredDesign(n_units=2000, n_periods=8, cohorts=(0,), noise_sd=1.0).simulate(seed=1)

    result = mde_from_panel(panel, "y", "id", "period", n_treated=50, n_control=50, n_pre=4, n_post=4)

    assert result.residual_variance == pytest.approx(1.0, abs=0.03)
    assert result.icc == pytest.approx(0.5, abs=0.05)


def test_a_true_effect_equal_to_the_mde_is_detected_about_80_percent_of_the_time():
    rng = np.random.default_rng(3)
    n_treated = n_control = 30
    n_pre = n_post = 4
    outcome_variance, icc = 2.0, 0.6
    effect = mde_did(n_treated, n_control, n_pre, n_post, outcome_variance, icc).mde
    reps, units, periods = 2000, n_treated + n_control, n_pre + n_post
    # y_it = a_i + e_it with Var(a) = ρσ², Var(e) = (1 − ρ)σ²; effect added to treated units after period 4
    unit_effect = rng.normal(scale=np.sqrt(icc * outcome_variance), size=(reps, units, 1))
    noise = rng.normal(scale=np.sqrt((1 - icc) * outcome_variance), size=(reps, units, periods))
    y = unit_effect + noise
    y[:, :n_treated, n_pre:] += effect
    change = y[:, :, n_pre:].mean(axis=2) - y[:, :, :n_pre].mean(axis=2)
    treated, control = change[:, :n_treated], change[:, n_treated:]
    estimate = treated.mean(axis=1) - control.mean(axis=1)
    se = np.sqrt(treated.var(axis=1, ddof=1) / n_treated + control.var(axis=1, ddof=1) / n_control)

    power = np.mean(np.abs(estimate / se) > stats.norm.ppf(0.975))

    assert power == pytest.approx(0.8, abs=0.03)


def test_invalid_design_is_rejected_and_summary_names_the_design():
    with pytest.raises(ValueError):
        mde_did(0, 20, 4, 4, outcome_variance=1.0, icc=0.2)
    text = mde_did(20, 30, 4, 6, outcome_variance=1.0, icc=0.2).summary()
    assert "20 treated and 30 comparison units" in text
    assert "80% power" in text
