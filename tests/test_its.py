"""Behaviour of analyses.its: recovers planted level and slope changes at a YYYY-MM policy month."""

import pandas as pd
import pytest

from analyses.its import interrupted_time_series
from analyses.simulate import simulate_monthly_spend


def test_its_recovers_a_planted_level_and_slope_change():
    spend = simulate_monthly_spend(policy_month="2022-04", level_change=-40_000, slope_change=-3_000, seed=3)

    result = interrupted_time_series(spend, "spend_gbp", "month", "2022-04")

    assert result.level_change_ci[0] < -40_000 < result.level_change_ci[1]
    assert result.slope_change_ci[0] < -3_000 < result.slope_change_ci[1]
    assert result.level_change_p < 0.05
    assert result.slope_change_p < 0.05
    assert (result.n_pre, result.n_post, result.n_months) == (36, 36, 72)


def test_its_finds_no_change_when_none_was_planted():
    spend = simulate_monthly_spend(level_change=0.0, slope_change=0.0, seed=8)

    result = interrupted_time_series(spend, "spend_gbp", "month", "2022-04")

    assert result.level_change_ci[0] < 0 < result.level_change_ci[1]
    assert result.slope_change_ci[0] < 0 < result.slope_change_ci[1]


def test_month_column_may_be_strings_dates_or_periods_in_any_order():
    spend = simulate_monthly_spend(seed=1)
    as_strings = interrupted_time_series(spend, "spend_gbp", "month", "2022-04")
    as_dates = spend.assign(month=pd.to_datetime(spend.month)).sample(frac=1, random_state=0)
    as_periods = spend.assign(month=pd.PeriodIndex(spend.month, freq="M"))

    for other in (as_dates, as_periods):
        result = interrupted_time_series(other, "spend_gbp", "month", "2022-04")
        assert result.level_change == pytest.approx(as_strings.level_change)
        assert result.slope_change == pytest.approx(as_strings.slope_change)


def test_default_newey_west_lags_follow_the_rule_of_thumb_and_can_be_set():
    spend = simulate_monthly_spend(seed=1)

    assert interrupted_time_series(spend, "spend_gbp", "month", "2022-04").maxlags == 3  # ⌊4 (72/100)^(2/9)⌋
    assert interrupted_time_series(spend, "spend_gbp", "month", "2022-04", maxlags=6).maxlags == 6


def test_policy_month_outside_the_series_is_rejected():
    spend = simulate_monthly_spend(start="2019-04", n_months=24)

    with pytest.raises(ValueError, match="3 months before"):
        interrupted_time_series(spend, "spend_gbp", "month", "2025-01")


def test_summary_reports_both_changes_and_the_months_behind_them():
    spend = simulate_monthly_spend(seed=1)
    text = interrupted_time_series(spend, "spend_gbp", "month", "2022-04").summary()

    assert "level change" in text
    assert "slope change per month" in text
    assert "36 months before" in text
