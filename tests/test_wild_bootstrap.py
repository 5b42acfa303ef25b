"""The wild cluster bootstrap-t and what it is built on: replicate estimation and batched aggregation.

The bootstrap re-estimates the same design on B perturbed outcome matrices and aggregates the draws with
the same arithmetic as the estimate. Each piece is checked against the path that R parity covers
(``att_gt`` + ``aggregate_att_gt``), then the bootstrap's own promises: deterministic for a seed, weights
with mean 0 and variance 1, a uniform band that contains the pointwise intervals. Coverage over many
simulated worlds is measured by ``benchmarks/sim_wild_bootstrap.py``, not here.
"""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from analyses.did import aggregate_att_gt, aggregate_replicates, att_gt, replicate_att_gt
from analyses.simulate import StaggeredDesign, simulate_few_treated
from analyses.wild_bootstrap import draw_weights, fitted_and_residual, multiplier_band, wild_bootstrap

KINDS = ("simple", "dynamic", "group", "calendar")


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return StaggeredDesign(n_units=120, n_periods=8, cohorts=(0, 4, 6), growth_per_period=0.2).simulate(
        seed=3
    )


@pytest.mark.parametrize("method, covariates", [("reg", None), ("dr", ["x"])])
def test_replicating_the_observed_outcome_reproduces_every_att_and_influence_function(
    panel: pd.DataFrame, method: str, covariates: list[str] | None
) -> None:
    result = att_gt(panel, "y", "id", "period", "first_treated", covariates=covariates, method=method)
    twice = np.stack([result.outcome, result.outcome], axis=2)
    att, influence = replicate_att_gt(result, twice)
    np.testing.assert_allclose(att[:, 1], result.group_time["att"].to_numpy(), rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(influence[:, :, 0], result.influence, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("kind", KINDS)
def test_batched_aggregation_equals_the_reported_aggregate(panel: pd.DataFrame, kind: str) -> None:
    result = att_gt(panel, "y", "id", "period", "first_treated", method="reg")
    reported = aggregate_att_gt(result, kind, na_rm=True)
    att = np.stack([result.group_time["att"].to_numpy()] * 3, axis=1)
    influence = np.stack([result.influence] * 3, axis=2)
    estimate, psi, rows, rows_psi = aggregate_replicates(result, kind, att, influence)
    assert estimate == pytest.approx([reported.estimate] * 3, abs=1e-13)
    np.testing.assert_allclose(psi[:, 2], reported.influence, atol=1e-13)
    np.testing.assert_allclose(rows[:, 0], reported.table["estimate"].to_numpy(), atol=1e-13)
    np.testing.assert_allclose(rows_psi[:, :, 1], reported.table_influence, atol=1e-13)


def test_fitted_outcomes_carry_exactly_the_estimated_effects(panel: pd.DataFrame) -> None:
    """The bootstrap world's truth is θ(Ŷ): for outcome regression it is the estimate itself."""
    result = att_gt(panel, "y", "id", "period", "first_treated", method="reg")
    fitted, residual = fitted_and_residual(result.outcome, result.panel.cohort)
    att, _ = replicate_att_gt(result, fitted[:, :, None])
    np.testing.assert_allclose(att[:, 0], result.group_time["att"].to_numpy(), atol=1e-12)
    # residuals have no cohort × period pattern left: their own ATTs are all zero
    att_residual, _ = replicate_att_gt(result, residual[:, :, None])
    np.testing.assert_allclose(att_residual[:, 0], 0, atol=1e-12)


@pytest.mark.parametrize("kind", ["rademacher", "webb"])
def test_weights_have_mean_zero_and_variance_one(kind: str) -> None:
    weights = draw_weights(kind, 2_000, 50, np.random.default_rng(0))
    assert weights.shape == (2_000, 50)
    assert abs(weights.mean()) < 0.01 and abs(weights.var() - 1) < 0.01
    expected = {"rademacher": 2, "webb": 6}[kind]
    assert np.unique(np.round(weights, 12)).size == expected


def test_the_bootstrap_is_deterministic_for_a_seed_and_keeps_the_estimate() -> None:
    result = att_gt(simulate_few_treated(seed=1), "y", "id", "period", "first_treated", method="reg")
    analytic = result.aggregate("simple")
    first = wild_bootstrap(result, ("simple", "dynamic"), n_draws=199, seed=7)
    again = wild_bootstrap(result, ("simple", "dynamic"), n_draws=199, seed=7)
    assert (
        first["simple"].ci_low == again["simple"].ci_low
        and first["simple"].p_value == again["simple"].p_value
    )
    simple = first["simple"]
    assert simple.estimate == analytic.estimate and simple.std_error == analytic.std_error
    assert simple.estimate == pytest.approx((simple.ci_low + simple.ci_high) / 2)
    assert 0 <= simple.p_value <= 1


def test_the_uniform_band_contains_every_pointwise_interval() -> None:
    result = att_gt(simulate_few_treated(seed=2), "y", "id", "period", "first_treated", method="reg")
    dynamic = wild_bootstrap(result, ("dynamic",), n_draws=299, seed=1)["dynamic"]
    table = dynamic.table.dropna(subset=["std_error"])
    assert (table["uniform_ci_low"] <= table["ci_low"] + 1e-12).all()
    assert (table["uniform_ci_high"] >= table["ci_high"] - 1e-12).all()
    assert dynamic.uniform_critical_value > dynamic.critical_value or len(table) == 1
    assert dynamic.table_t_draws.shape == (len(dynamic.table), 299)


def test_the_multiplier_band_lies_between_the_pointwise_and_bonferroni_critical_values(
    panel: pd.DataFrame,
) -> None:
    result = att_gt(panel, "y", "id", "period", "first_treated", method="reg")
    dynamic = result.aggregate("dynamic")
    rows = int(dynamic.table["std_error"].notna().sum())
    critical = multiplier_band(dynamic, n_draws=1999, seed=0)
    bonferroni = stats.norm.ppf(1 - 0.025 / rows)
    # simultaneous coverage needs more than 1.96, and correlated rows need less than Bonferroni's bound
    assert 1.96 < critical < bonferroni + 0.05


def test_the_interval_excludes_zero_exactly_when_the_p_value_is_at_most_five_percent() -> None:
    verdicts = []
    for seed in range(12):
        panel = simulate_few_treated(seed, effect=0.9)
        result = att_gt(panel, "y", "id", "period", "first_treated", method="reg")
        boot = wild_bootstrap(result, ("simple",), n_draws=199, seed=seed)["simple"]
        verdicts.append((boot.ci_low > 0 or boot.ci_high < 0, boot.p_value <= 0.05))
    assert all(excludes == significant for excludes, significant in verdicts)
    assert {excludes for excludes, _ in verdicts} == {True, False}  # both kinds of world occur
