"""Relative-magnitudes sensitivity (after HonestDiD): identified set, robust interval and breakdown M̄.

Worked example: one pre-adoption coefficient β_{−2} = 0.1 (SE 0.1), one post-adoption β_0 = 1.0 (SE 0.2),
independent; l = (1). The reference term e = −1 is 0, so the only pre-adoption step is 0 − 0.1 = −0.1
(D = 0.1) and L = 1. Identified set at M̄: 1.0 ± 0.1·M̄.
Robust interval: on the low side the binding inequality is 1.0 − θ0 − M̄·(0.1) > z·√(0.04 + 0.01·M̄²)
(sign of the step chosen against the effect), so the lower end is 1 − 0.1·M̄ − z·√(0.04 + 0.01·M̄²).
It reaches 0 where (1 − 0.1·M̄)² = z²(0.04 + 0.01·M̄²), z = 1.959964:
    0.028414·M̄² + 0.2·M̄ − 0.846342 = 0  →  M̄* = (−0.2 + √(0.04 + 4·0.028414·0.846342)) / (2·0.028414)
                                          = 2.9746.
"""

import numpy as np
import pytest
from scipy import optimize, stats

from analyses.sensitivity import RelativeMagnitudes

Z = stats.norm.ppf(0.975)


def worked_example() -> RelativeMagnitudes:
    return RelativeMagnitudes(
        betahat=np.array([0.1, 1.0]), sigma=np.diag([0.01, 0.04]), n_pre=1, l_vec=np.array([1.0])
    )


def test_breakdown_matches_the_hand_worked_quadratic() -> None:
    a = 0.01 * Z**2 - 0.01
    b = 0.2
    c = 0.04 * Z**2 - 1
    by_hand = (-b + np.sqrt(b**2 - 4 * a * c)) / (2 * a)
    assert by_hand == pytest.approx(2.9746, abs=1e-4)
    assert worked_example().breakdown() == pytest.approx(by_hand, abs=1e-5)


def test_with_no_violation_allowed_the_robust_interval_is_the_usual_one() -> None:
    low, high = worked_example().interval(0.0)
    assert low == pytest.approx(1.0 - Z * 0.2) and high == pytest.approx(1.0 + Z * 0.2)


def test_the_robust_interval_widens_with_mbar_around_the_identified_set() -> None:
    example = worked_example()
    assert example.identified_set(1.0) == pytest.approx((0.9, 1.1))
    low, high = example.interval(1.0)
    assert low == pytest.approx(1 - 0.1 - Z * np.sqrt(0.04 + 0.01))
    assert low < 0.9 and high > 1.1


def test_identified_set_equals_the_linear_programme_over_the_restriction() -> None:
    """Three pre- and three post-adoption terms, l = averages, against a linear programme as HonestDiD
    solves it: max/min l'δ_post subject to |Δδ_t| ≤ M̄ × the largest pre-adoption step, δ_pre = β_pre."""
    beta_pre = np.array([0.05, -0.10, 0.02])  # e = −4, −3, −2; e = −1 is the reference 0
    beta_post = np.array([0.8, 1.0, 1.1])
    l_vec = np.full(3, 1 / 3)
    mbar = 1.5
    example = RelativeMagnitudes(
        betahat=np.concatenate([beta_pre, beta_post]), sigma=np.eye(6) * 0.01, n_pre=3, l_vec=l_vec
    )
    path = np.concatenate([beta_pre, [0.0]])
    largest = np.max(np.abs(np.diff(path)))
    # variables δ_1..δ_3 after adoption; steps δ_1 − 0, δ_2 − δ_1, δ_3 − δ_2 each within ±M̄·largest
    steps = np.array([[1, 0, 0], [-1, 1, 0], [0, -1, 1]], dtype=float)
    bound = mbar * largest
    constraints = {
        "A_ub": np.vstack([steps, -steps]),
        "b_ub": np.full(6, bound),
        "bounds": [(None, None)] * 3,
    }
    highest = -optimize.linprog(-l_vec, **constraints).fun
    lowest = optimize.linprog(l_vec, **constraints).fun
    estimate = l_vec @ beta_post
    assert example.identified_set(mbar) == pytest.approx((estimate - highest, estimate - lowest))


def test_a_linear_pre_trend_continued_after_adoption_breaks_down_below_one() -> None:
    """β_e = 0.1·(e + 1): a trend, no effect. Precisely estimated, the breakdown is just under 1."""
    events_pre, events_post = np.array([-4, -3, -2]), np.array([0, 1, 2])
    example = RelativeMagnitudes(
        betahat=0.1 * (np.concatenate([events_pre, events_post]) + 1),
        sigma=np.eye(6) * 1e-6,
        n_pre=3,
        l_vec=np.full(3, 1 / 3),
    )
    assert 0.9 < example.breakdown() < 1.0


def test_no_pre_adoption_term_means_no_sensitivity_analysis() -> None:
    example = RelativeMagnitudes(betahat=np.array([1.0]), sigma=np.eye(1), n_pre=0, l_vec=np.array([1.0]))
    assert np.isnan(example.breakdown())


def test_an_interval_already_spanning_zero_has_breakdown_zero() -> None:
    example = RelativeMagnitudes(
        betahat=np.array([0.1, 0.2]), sigma=np.diag([0.01, 0.04]), n_pre=1, l_vec=np.array([1.0])
    )
    assert example.breakdown() == 0.0
