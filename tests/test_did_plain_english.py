"""Behaviour of analyses.plain_english: one readable sentence per estimate, honest about uncertainty."""

import pytest

from analyses.did import att_gt
from analyses.its import interrupted_time_series
from analyses.plain_english import describe, describe_change, describe_rate_ratio
from analyses.poisson import poisson_fe
from analyses.simulate import StaggeredDesign, simulate_count_panel, simulate_monthly_spend
from analyses.twfe import twfe

SUBJECT = "Schools that adopted restorative practice"


def test_a_significant_fall_with_parallel_pretrends_reads_as_the_house_example():
    sentence = describe_change(-1.2, -1.8, -0.6, subject=SUBJECT, pretrend_p=0.41)

    assert sentence == (
        "Schools that adopted restorative practice saw 1.2 fewer suspensions per 100 pupils a term after "
        "adoption (95 % CI 0.6 to 1.8); pre-adoption trends were parallel (p = 0.41)."
    )


def test_a_significant_rise_is_reported_as_more():
    sentence = describe_change(0.9, 0.2, 1.6, subject=SUBJECT, outcome="exclusions per 100 pupils a term")

    assert sentence == (
        "Schools that adopted restorative practice saw 0.9 more exclusions per 100 pupils a term after "
        "adoption (95 % CI 0.2 to 1.6)."
    )


def test_an_interval_including_zero_is_no_clear_change():
    sentence = describe_change(-0.3, -0.9, 0.3, subject=SUBJECT)

    assert "saw no clear change in suspensions per 100 pupils a term after adoption" in sentence
    assert "(estimate 0.3 fewer, 95 % CI 0.9 fewer to 0.3 more)" in sentence


def test_a_failed_pretrend_test_warns_the_reader():
    sentence = describe_change(-1.2, -1.8, -0.6, subject=SUBJECT, pretrend_p=0.01)

    assert sentence.endswith("; pre-adoption trends differed (p = 0.01), so treat this with caution.")


def test_rate_ratios_are_read_as_percentage_changes():
    fall = describe_rate_ratio(0.82, 0.70, 0.96, subject=SUBJECT, outcome="suspensions")
    unclear = describe_rate_ratio(0.95, 0.80, 1.12, subject=SUBJECT, outcome="exclusions")

    assert "had 18 % fewer suspensions per pupil after adoption" in fall
    assert "(rate ratio 0.82, 95 % CI 0.70 to 0.96)" in fall
    assert "saw no clear change in exclusions per pupil after adoption" in unclear


def test_describe_dispatches_on_every_result_type():
    panel = StaggeredDesign(n_units=300, n_periods=8, cohorts=(0, 4, 6), base_effect=-1.5).simulate(seed=1)
    callaway = att_gt(panel, "y", "id", "period", "first_treated")
    counts = simulate_count_panel(n_units=150, rate_ratio=0.75, seed=2)
    spend = simulate_monthly_spend(seed=4)

    assert "fewer suspensions per 100 pupils a term" in describe(callaway, subject=SUBJECT)
    assert "pre-adoption trends were parallel" in describe(callaway, subject=SUBJECT)
    assert "fewer" in describe(callaway.aggregate("dynamic"), subject=SUBJECT)
    assert "fewer" in describe(twfe(panel, "y", "id", "period", "first_treated"), subject=SUBJECT)
    poisson = poisson_fe(counts, "suspensions", "headcount", "school", "term", "first_treated")
    assert "% fewer suspensions per pupil" in describe(poisson, subject=SUBJECT, outcome="suspensions")
    its = interrupted_time_series(spend, "spend_gbp", "month", "2022-04")
    assert describe(its).startswith("Monthly High Needs spend fell by £")
    with pytest.raises(TypeError):
        describe(object())
