"""Behaviour of analyses.poisson: recovers a planted rate ratio and equals dummy-variable Poisson GLM."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from analyses.poisson import poisson_fe
from analyses.simulate import simulate_count_panel


def test_poisson_recovers_a_planted_rate_ratio_inside_its_confidence_interval():
    panel = simulate_count_panel(n_units=300, n_periods=12, rate_ratio=0.8, seed=1)

    result = poisson_fe(panel, "suspensions", "headcount", "school", "term", "first_treated")

    assert result.ci_low < 0.8 < result.ci_high
    assert result.rate_ratio == pytest.approx(0.8, abs=0.03)
    assert result.percent_change == pytest.approx(100 * (result.rate_ratio - 1))
    assert result.n_units == 300


def test_no_planted_effect_gives_a_rate_ratio_interval_around_one():
    panel = simulate_count_panel(n_units=200, n_periods=10, rate_ratio=1.0, seed=6)

    result = poisson_fe(panel, "suspensions", "headcount", "school", "term", "first_treated")

    assert result.ci_low < 1.0 < result.ci_high


def test_concentrated_fit_equals_statsmodels_glm_with_unit_and_period_dummies():
    panel = simulate_count_panel(n_units=40, n_periods=6, rate_ratio=0.7, base_rate_per_100=1.0, seed=5)
    panel["treated"] = ((panel.first_treated > 0) & (panel.term >= panel.first_treated)).astype(float)

    result = poisson_fe(panel, "suspensions", "headcount", "school", "term", treatment="treated")
    dummies = pd.get_dummies(panel[["school", "term"]].astype(str), dtype=float).drop(columns="term_1")
    glm = sm.GLM(
        panel["suspensions"],
        pd.concat([panel[["treated"]], dummies], axis=1),
        family=sm.families.Poisson(),
        offset=np.log(panel["headcount"]),
    ).fit(cov_type="cluster", cov_kwds={"groups": panel["school"].to_numpy(), "use_correction": False})

    assert result.log_rate_ratio == pytest.approx(glm.params["treated"], abs=1e-8)
    # Stata's ML cluster factor G/(G - 1) on top of the uncorrected sandwich
    assert result.std_error == pytest.approx(glm.bse["treated"] * np.sqrt(40 / 39), rel=1e-6)


def test_schools_with_only_zero_counts_are_dropped_and_counted():
    panel = simulate_count_panel(n_units=80, n_periods=6, seed=2)
    panel.loc[panel.school <= 3, "suspensions"] = 0

    result = poisson_fe(panel, "suspensions", "headcount", "school", "term", "first_treated")

    assert result.n_units_all_zero == 3
    assert result.n_units == 77
    assert "3 with only zero counts dropped" in result.summary()


def test_non_positive_exposure_is_rejected():
    panel = simulate_count_panel(n_units=20, n_periods=4, seed=0)
    panel.loc[0, "headcount"] = 0

    with pytest.raises(ValueError, match="positive"):
        poisson_fe(panel, "suspensions", "headcount", "school", "term", "first_treated")
