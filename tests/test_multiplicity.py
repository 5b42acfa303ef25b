"""Holm and Benjamini–Hochberg adjustments, against p-values adjusted by hand.

Five p-values, sorted: 0.005, 0.010, 0.030, 0.040, 0.200 (m = 5).

Holm: multiply the i-th smallest by (m − i + 1), then carry the running maximum forward, cap at 1:
    0.005 × 5 = 0.025;  0.010 × 4 = 0.040;  0.030 × 3 = 0.090;  0.040 × 2 = 0.080 → max(0.090) = 0.090;
    0.200 × 1 = 0.200.
BH: multiply the i-th smallest by m / i, then carry the running minimum backward from the largest:
    0.200 × 5/5 = 0.200;  0.040 × 5/4 = 0.050;  0.030 × 5/3 = 0.050;  0.010 × 5/2 = 0.025;
    0.005 × 5/1 = 0.025 → min(0.025, 0.025) = 0.025.
"""

import numpy as np
import pandas as pd
import pytest

from analyses.multiplicity import benjamini_hochberg, holm, primary_and_secondary

P_VALUES = pd.Series([0.030, 0.200, 0.005, 0.040, 0.010], index=list("abcde"))


def test_holm_matches_the_hand_worked_step_down() -> None:
    expected = pd.Series([0.090, 0.200, 0.025, 0.090, 0.040], index=list("abcde"))
    pd.testing.assert_series_equal(holm(P_VALUES), expected, check_exact=False, atol=1e-12)


def test_benjamini_hochberg_matches_the_hand_worked_step_up() -> None:
    expected = pd.Series([0.050, 0.200, 0.025, 0.050, 0.025], index=list("abcde"))
    pd.testing.assert_series_equal(benjamini_hochberg(P_VALUES), expected, check_exact=False, atol=1e-12)


def test_missing_p_values_stay_missing_and_are_not_counted_in_the_family() -> None:
    with_gap = pd.Series([0.01, np.nan, 0.04])
    adjusted = holm(with_gap)
    assert np.isnan(adjusted.iloc[1])
    # m = 2, not 3: 0.01 × 2 = 0.02 and 0.04 × 1 = 0.04
    assert adjusted.iloc[0] == pytest.approx(0.02) and adjusted.iloc[2] == pytest.approx(0.04)


def test_the_primary_outcome_keeps_its_p_value_and_secondaries_are_adjusted_among_themselves() -> None:
    is_primary = pd.Series([False, False, True, False, False], index=list("abcde"))
    adjusted = primary_and_secondary(P_VALUES, is_primary)
    assert adjusted["c"] == 0.005
    # secondaries 0.010, 0.030, 0.040, 0.200 (m = 4): 0.040, 0.090, 0.090 (0.080 carried up), 0.200
    assert adjusted[["e", "a", "d", "b"]].tolist() == pytest.approx([0.040, 0.090, 0.090, 0.200])
