"""The impact assets on a simulated `marts.impact_panel` with a planted effect: real DuckDB, real Dagster.

120 schools × 12 terms (autumn 2019/20 to summer 2022/23). Restorative practice is adopted in three
staggered cohorts and cuts the expected suspension rate by exactly 1.0 per 100 pupils a term from the
adoption term on; TALC is a placebo adopted in two cohorts with no effect on anything; a two-school pilot
is too small to estimate; a near-universal roll-out (10 % never adopt) has too few never-treated schools
to be their only comparison, so not-yet-treated schools join them. The adopters of a fifth programme
had permanent exclusions rising 0.15 per 100 a term faster than the others all along (a parallel-trends
violation, not an effect), which the pre-trend test must catch, and which must never be headlined. A
small trial (12 schools in two cohorts, the same planted cut in suspensions as restorative practice) is
below the plan's 30-school threshold, so its intervals come from the wild cluster bootstrap. One school
misses a term and must be dropped from the balanced panel. The trial's schools are kept out of restorative
practice's comparison group and vice versa (the other programmes ignore each other); phases are 70 %
primary, 30 % secondary.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest

from analyses.event_study import pretrend_test
from orchestration.assets.impact import impact_estimates
from orchestration.resources import HighNeedsHome

PLANTED_EFFECT_PER_100 = -1.0
FIRST_TERM = 2019 * 3  # autumn 2019/20 as dbt's term_index
N_TERMS = 12
N_SCHOOLS = 120
PROGRAMME_COHORTS = {
    # programme → (cohort offsets from the first term, 0 = never; probabilities)
    "restorative_practice": ((0, 4, 6, 8), (0.4, 0.2, 0.2, 0.2)),
    "talc": ((0, 5, 7), (0.5, 0.25, 0.25)),
}
PILOT_SCHOOLS = 2
# drawn from its own stream so the programmes above keep the same data
ROLLOUT_COHORTS = ((0, 3, 6, 9), (0.1, 0.3, 0.3, 0.3))
DIVERGING_COHORTS = ((0, 6, 8), (0.5, 0.25, 0.25))
DIVERGING_SLOPE_PER_100 = 0.15
TRIAL_COHORTS = (4, 7)  # offsets from the first term, six schools each
COST_PER_SCHOOL_GBP = 5_000.0
PLAN = """
programmes:
  restorative_practice: {label: restorative practice, primary_outcome: suspension_rate}
  talc: {label: TALC, primary_outcome: absence_rate}
  diverging_adopters: {label: diverging adopters, primary_outcome: permanent_exclusion_rate}
  small_trial: {label: small trial, primary_outcome: suspension_rate}
"""
CONTRACT_ESTIMATE_COLUMNS = [
    "programme",
    "outcome",
    "estimator",
    "aggregation",
    "estimate",
    "std_error",
    "ci_low",
    "ci_high",
    "p_value",
    "n_treated_units",
    "n_control_units",
    "pretrend_p_value",
    "interpretation",
    "is_primary",
    "p_value_adjusted",
    "q_value",
    "mde",
    "baseline_rate",
    "effect_pct_of_baseline",
    "breakdown_mbar",
    "inference",
    "security_rating",
]
CONTRACT_OUTCOMES = {
    f"{name}{suffix}"
    for name in ("suspension_rate", "permanent_exclusion_rate", "absence_rate", "persistent_absence_rate")
    for suffix in ("", "_ehcp")
}
AGGREGATIONS = {
    "callaway_santanna": {"simple", "dynamic", "group", "calendar"},
    "twfe": {"none"},
    "poisson_twfe": {"none"},
}


def _term_dates(term_index: int) -> tuple[str, str, dt.date, dt.date]:
    year, kind = divmod(term_index, 3)
    academic_year = f"{year}/{str(year + 1)[-2:]}"
    name = ("autumn", "spring", "summer")[kind]
    start = (dt.date(year, 9, 1), dt.date(year + 1, 1, 1), dt.date(year + 1, 4, 1))[kind]
    end = (dt.date(year, 12, 31), dt.date(year + 1, 3, 31), dt.date(year + 1, 8, 31))[kind]
    return academic_year, name, start, end


def simulate_impact_panel(seed: int = 7) -> pd.DataFrame:
    """`marts.impact_panel` rows (the dbt model's columns) with the planted effects described above."""
    rng = np.random.default_rng(seed)
    urns = np.array([f"{100001 + i}" for i in range(N_SCHOOLS)], dtype=object)
    terms = FIRST_TERM + np.arange(N_TERMS)
    cohorts = {}
    for programme, (offsets, probs) in PROGRAMME_COHORTS.items():
        offset = rng.choice(np.asarray(offsets), size=N_SCHOOLS, p=probs)
        cohorts[programme] = np.where(offset > 0, FIRST_TERM + offset, 0)
    pilot = np.zeros(N_SCHOOLS, dtype=int)
    pilot[rng.choice(N_SCHOOLS, size=PILOT_SCHOOLS, replace=False)] = FIRST_TERM + 6
    cohorts["zz_small_pilot"] = pilot
    offset = np.random.default_rng(seed + 1).choice(
        np.asarray(ROLLOUT_COHORTS[0]), N_SCHOOLS, p=ROLLOUT_COHORTS[1]
    )
    cohorts["universal_rollout"] = np.where(offset > 0, FIRST_TERM + offset, 0)
    extra_rng = np.random.default_rng(seed + 2)
    offset = extra_rng.choice(np.asarray(DIVERGING_COHORTS[0]), N_SCHOOLS, p=DIVERGING_COHORTS[1])
    cohorts["diverging_adopters"] = np.where(offset > 0, FIRST_TERM + offset, 0)
    trial = np.zeros(N_SCHOOLS, dtype=int)
    trial_schools = np.random.default_rng(seed + 3).choice(N_SCHOOLS, size=12, replace=False)
    trial[trial_schools] = FIRST_TERM + np.repeat(TRIAL_COHORTS, 6)
    cohorts["small_trial"] = trial
    # the trial's schools did not also run restorative practice, so the two cuts do not add up
    cohorts["restorative_practice"][trial_schools] = 0

    t = np.arange(N_TERMS)[None, :]
    rp = cohorts["restorative_practice"][:, None]
    treated_rp = (rp > 0) & (terms[None, :] >= rp) | (trial[:, None] > 0) & (terms[None, :] >= trial[:, None])
    headcount = np.repeat(rng.integers(200, 1200, size=(N_SCHOOLS, 1)), N_TERMS, axis=1)
    headcount_ehcp = rng.binomial(headcount, 0.02)  # a few schools have none in some term: NULL rates
    common_s = np.array([0.0, 0.4, -0.3])[t % 3] + 0.05 * t
    level_s = rng.uniform(3, 9, size=(N_SCHOOLS, 1))
    rate_s = level_s + common_s + PLANTED_EFFECT_PER_100 * treated_rp
    rate_s_ehcp = level_s + 5 + common_s + 2 * PLANTED_EFFECT_PER_100 * treated_rp
    level_p = rng.uniform(0.05, 0.3, size=(N_SCHOOLS, 1))
    rate_a = (
        rng.uniform(4, 9, size=(N_SCHOOLS, 1))
        + np.array([0.0, 0.8, 0.5])[t % 3]
        + rng.uniform(-1, 1, size=(N_SCHOOLS, N_TERMS))
    )
    sessions_possible = headcount * 130
    diverging = (cohorts["diverging_adopters"][:, None] > 0) * DIVERGING_SLOPE_PER_100 * t
    sessions_possible_ehcp = headcount_ehcp * 130
    counts = {
        "headcount": headcount,
        "suspensions": rng.poisson(headcount * rate_s / 100),
        "permanent_exclusions": rng.poisson(headcount * (level_p + 0.01 * t) / 100),
        "sessions_possible": sessions_possible,
        "sessions_missed": rng.binomial(sessions_possible, rate_a / 100),
        "persistent_absentees": rng.binomial(headcount, 2.5 * rate_a / 100),
        "headcount_ehcp": headcount_ehcp,
        "suspensions_ehcp": rng.poisson(headcount_ehcp * rate_s_ehcp / 100),
        "permanent_exclusions_ehcp": rng.poisson(headcount_ehcp * 2.5 * level_p / 100),
        "sessions_possible_ehcp": sessions_possible_ehcp,
        "sessions_missed_ehcp": rng.binomial(sessions_possible_ehcp, (rate_a + 3) / 100),
        "persistent_absentees_ehcp": rng.binomial(headcount_ehcp, 2.5 * (rate_a + 3) / 100),
    }
    # drawn after the others from its own stream, so the other programmes' data stay as they were
    counts["permanent_exclusions"] = counts["permanent_exclusions"] + extra_rng.poisson(
        headcount * diverging / 100
    )
    school_terms = pd.DataFrame(
        {
            "school_urn": np.repeat(urns, N_TERMS),
            "term_index": np.tile(terms, N_SCHOOLS),
            **{name: values.ravel() for name, values in counts.items()},
        }
    )
    # one school's spring 2021 file never arrived: it must leave the balanced panel, not break it
    school_terms = school_terms[
        ~((school_terms["school_urn"] == urns[0]) & (school_terms["term_index"] == FIRST_TERM + 4))
    ]
    for suffix in ("", "_ehcp"):
        pupils = school_terms[f"headcount{suffix}"].where(school_terms[f"headcount{suffix}"] > 0)
        sessions = school_terms[f"sessions_possible{suffix}"].where(
            school_terms[f"sessions_possible{suffix}"] > 0
        )
        school_terms[f"suspension_rate{suffix}"] = school_terms[f"suspensions{suffix}"] * 100.0 / pupils
        school_terms[f"permanent_exclusion_rate{suffix}"] = (
            school_terms[f"permanent_exclusions{suffix}"] * 100.0 / pupils
        )
        school_terms[f"absence_rate{suffix}"] = school_terms[f"sessions_missed{suffix}"] * 100.0 / sessions
        school_terms[f"persistent_absence_rate{suffix}"] = (
            school_terms[f"persistent_absentees{suffix}"] * 100.0 / pupils
        )

    phase = np.where(np.random.default_rng(seed + 4).random(N_SCHOOLS) < 0.7, "primary", "secondary")
    # the trial and restorative practice cut suspensions alike: each keeps the other's schools out of its
    # comparison group (the other programmes are independent placebos and trends, and ignore each other)
    other_programme = {"restorative_practice": trial, "small_trial": cohorts["restorative_practice"]}
    frames = []
    for programme, cohort in cohorts.items():
        schools = pd.DataFrame(
            {
                "school_urn": urns,
                "first_treated_term_index": cohort,
                "phase": phase,
                "first_other_programme_term_index": other_programme.get(programme, 0),
                "programme_cost_gbp": np.where(cohort > 0, COST_PER_SCHOOL_GBP, 0.0),
            }
        )
        frame = school_terms.merge(schools, on="school_urn")
        frame.insert(1, "programme", programme)
        frames.append(frame)
    panel = pd.concat(frames, ignore_index=True)
    labels = {term: _term_dates(term) for term in terms}
    panel["academic_year"] = panel["term_index"].map(lambda term: labels[term][0])
    panel["term"] = panel["term_index"].map(lambda term: labels[term][1])
    panel["term_start_date"] = panel["term_index"].map(lambda term: labels[term][2])
    panel["term_end_date"] = panel["term_index"].map(lambda term: labels[term][3])
    cohort = panel["first_treated_term_index"]
    panel["is_treated"] = (cohort > 0) & (panel["term_index"] >= cohort)
    panel["relative_term"] = (panel["term_index"] - cohort).where(cohort > 0).astype("Int64")
    panel["reported_urn"] = panel["school_urn"]
    return panel


PANEL_COLUMNS = {
    "school_urn": "varchar",
    "programme": "varchar",
    "term_index": "integer",
    "academic_year": "varchar",
    "term": "varchar",
    "term_start_date": "date",
    "term_end_date": "date",
    "reported_urn": "varchar",
    "phase": "varchar",
    "first_treated_term_index": "integer",
    "is_treated": "boolean",
    "relative_term": "integer",
    "first_other_programme_term_index": "integer",
    "programme_cost_gbp": "decimal(18, 2)",
    **{
        f"{name}{suffix}": "bigint"
        for suffix in ("", "_ehcp")
        for name in (
            "headcount",
            "suspensions",
            "permanent_exclusions",
            "sessions_possible",
            "sessions_missed",
            "persistent_absentees",
        )
    },
    **{
        f"{name}{suffix}": "double"
        for suffix in ("", "_ehcp")
        for name in ("suspension_rate", "permanent_exclusion_rate", "absence_rate", "persistent_absence_rate")
    },
}


def write_panel(home: Path, panel: pd.DataFrame) -> None:
    """Create `marts.impact_panel` with the dbt model's columns, as dbt would have left it."""
    home.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute("create schema if not exists marts")
        connection.register("panel_rows", panel)
        select = ", ".join(f"cast({name} as {kind}) as {name}" for name, kind in PANEL_COLUMNS.items())
        connection.execute(f"create or replace table marts.impact_panel as select {select} from panel_rows")


def materialise(home: Path) -> dg.ExecuteInMemoryResult:
    plan = home / "evaluation.yaml"
    plan.write_text(PLAN, encoding="utf-8")
    return dg.materialize(
        [impact_estimates],
        resources={"highneeds": HighNeedsHome(home=str(home))},
        run_config=dg.RunConfig({"impact_estimates": {"config": {"plan_file": str(plan)}}}),
    )


def read_tables(home: Path, table: str = "") -> tuple[pd.DataFrame, pd.DataFrame]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        if table:
            return connection.execute(f"select * from marts.{table}").df()
        return (
            connection.execute("select * from marts.impact_estimates").df(),
            connection.execute("select * from marts.event_study").df(),
        )


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("impact_home")


@pytest.fixture(scope="module")
def run(home: Path) -> tuple[dg.ExecuteInMemoryResult, pd.DataFrame, pd.DataFrame]:
    write_panel(home, simulate_impact_panel())
    result = materialise(home)
    estimates, event_study = read_tables(home)
    return result, estimates, event_study


def _row(
    estimates: pd.DataFrame, programme: str, outcome: str, estimator: str, aggregation: str
) -> pd.Series:
    rows = estimates[
        (estimates["programme"] == programme)
        & (estimates["outcome"] == outcome)
        & (estimates["estimator"] == estimator)
        & (estimates["aggregation"] == aggregation)
    ]
    assert len(rows) == 1, f"expected one {programme} × {outcome} × {estimator} × {aggregation} row:\n{rows}"
    return rows.iloc[0]


def test_callaway_santanna_recovers_the_planted_effect(run) -> None:
    _, estimates, _ = run
    row = _row(estimates, "restorative_practice", "suspension_rate", "callaway_santanna", "simple")
    assert row.ci_low <= PLANTED_EFFECT_PER_100 <= row.ci_high, row.to_dict()
    assert row.ci_high < 0 and row.p_value < 0.05
    assert row.n_treated_units > 50 and row.n_control_units > 30
    assert 0 < row.mde < 1.0
    assert row.control_group == "never_treated"
    assert row.inference == "analytic"
    assert row.n_schools_dropped == 1  # the school with a missing term


def test_twfe_and_poisson_benchmarks_are_reported_beside_it(run) -> None:
    _, estimates, _ = run
    twfe = _row(estimates, "restorative_practice", "suspension_rate", "twfe", "none")
    assert twfe.ci_low < twfe.estimate < twfe.ci_high < 0
    poisson = _row(estimates, "restorative_practice", "suspension_rate", "poisson_twfe", "none")
    # rate ratio and its CI on the ratio scale; std_error on the log scale
    assert poisson.estimate_scale == "rate_ratio"
    assert 0 < poisson.ci_low < poisson.estimate < poisson.ci_high < 1
    assert np.log(poisson.ci_high) - np.log(poisson.ci_low) == pytest.approx(2 * 1.959964 * poisson.std_error)
    assert pd.isna(poisson.pretrend_p_value)
    assert 0 < poisson.mde < 1
    assert poisson.effect_pct_of_baseline == pytest.approx(100 * (poisson.estimate - 1))
    # counts only for suspensions and permanent exclusions
    poisson_outcomes = set(estimates.loc[estimates["estimator"] == "poisson_twfe", "outcome"])
    assert poisson_outcomes <= {
        "suspension_rate",
        "permanent_exclusion_rate",
        "suspension_rate_ehcp",
        "permanent_exclusion_rate_ehcp",
    }
    assert {"suspension_rate", "permanent_exclusion_rate"} <= poisson_outcomes


def test_the_placebo_programme_shows_no_effect(run) -> None:
    _, estimates, _ = run
    for outcome in ("suspension_rate", "absence_rate", "persistent_absence_rate"):
        row = _row(estimates, "talc", outcome, "callaway_santanna", "simple")
        assert row.ci_low <= 0 <= row.ci_high, row.to_dict()
        assert "no clear change" in row.interpretation


def test_columns_and_values_are_exactly_the_contracts(run) -> None:
    _, estimates, event_study = run
    assert list(estimates.columns[: len(CONTRACT_ESTIMATE_COLUMNS)]) == CONTRACT_ESTIMATE_COLUMNS
    assert list(event_study.columns[:7]) == [
        "programme",
        "outcome",
        "relative_period",
        "estimate",
        "std_error",
        "ci_low",
        "ci_high",
    ]
    assert set(estimates["estimator"]) == set(AGGREGATIONS)
    for estimator, rows in estimates.groupby("estimator"):
        assert set(rows["aggregation"]) == AGGREGATIONS[estimator]
    assert set(estimates["outcome"]) == CONTRACT_OUTCOMES
    assert set(event_study["outcome"]) <= CONTRACT_OUTCOMES
    key = ["programme", "outcome", "estimator", "aggregation"]
    assert not estimates.duplicated(key).any()
    assert not event_study.duplicated(["programme", "outcome", "relative_period"]).any()
    # every estimated programme × outcome has all four aggregations and the TWFE benchmark
    per_pair = estimates.groupby(["programme", "outcome"]).size()
    assert per_pair.min() >= 5
    assert set(estimates["programme"]) == {
        "restorative_practice",
        "talc",
        "universal_rollout",
        "diverging_adopters",
        "small_trial",
    }
    assert set(estimates["inference"]) == {"analytic", "wild_bootstrap"}


def test_interpretation_names_the_programme_and_the_interval(run) -> None:
    _, estimates, _ = run
    row = _row(estimates, "restorative_practice", "suspension_rate", "callaway_santanna", "simple")
    sentence = row.interpretation
    assert sentence.startswith("Schools that adopted restorative practice saw ")
    assert "fewer suspensions per 100 pupils per term after adoption" in sentence
    assert "95 % CI" in sentence
    assert f"{-row.ci_high:.2f}" in sentence and f"{-row.ci_low:.2f}" in sentence
    assert "pre-adoption trends" in sentence
    assert sentence.endswith(".") and sentence.count(". ") == 0
    assert all(
        isinstance(text, str) and "restorative practice" in text
        for text in estimates.loc[estimates["programme"] == "restorative_practice", "interpretation"]
    )
    poisson = _row(estimates, "restorative_practice", "suspension_rate", "poisson_twfe", "none")
    assert (
        "rate ratio" in poisson.interpretation and "% fewer suspensions per pupil" in poisson.interpretation
    )


def test_event_study_periods_are_contiguous_and_match_the_dynamic_row(run) -> None:
    _, estimates, event_study = run
    for (programme, outcome), rows in event_study.groupby(["programme", "outcome"]):
        periods = np.sort(rows["relative_period"].to_numpy())
        assert (np.diff(periods) == 1).all(), (programme, outcome, periods)
        assert periods.min() < 0 <= periods.max()
    rows = event_study[
        (event_study["programme"] == "restorative_practice") & (event_study["outcome"] == "suspension_rate")
    ]
    post = rows[rows["relative_period"] >= 0]
    dynamic = _row(estimates, "restorative_practice", "suspension_rate", "callaway_santanna", "dynamic")
    assert post["estimate"].mean() == pytest.approx(dynamic.estimate)
    pre = rows[rows["relative_period"] < 0]
    assert ((pre["ci_low"] <= 0.5) & (pre["ci_high"] >= -0.5)).all()


def test_few_never_treated_schools_bring_in_the_not_yet_treated(run) -> None:
    _, estimates, _ = run
    rollout = estimates[
        (estimates["programme"] == "universal_rollout") & (estimates["outcome"] == "absence_rate")
    ]
    cs = rollout[rollout["estimator"] == "callaway_santanna"]
    assert set(cs["control_group"]) == {"not_yet_treated"}
    assert rollout["control_group"].isna().sum() == 1  # the TWFE row has no comparison-group choice
    # comparisons: the ~12 never-treated schools plus every school adopting after the first cohort
    assert (cs["n_control_units"] > 40).all() and (cs["n_control_units"] < N_SCHOOLS).all()
    # adopters serve as comparisons until they adopt, so more comparisons than never-treated schools
    assert (cs["n_control_units"] > N_SCHOOLS - cs["n_treated_units"]).all()
    assert cs["std_error"].gt(0).all()


def test_the_pretrend_test_catches_diverging_adopters(run) -> None:
    _, estimates, _ = run
    row = _row(estimates, "diverging_adopters", "permanent_exclusion_rate", "callaway_santanna", "simple")
    assert row.pretrend_p_value < 0.05, row.to_dict()
    assert "pre-adoption trends differed" in row.interpretation and "caution" in row.interpretation
    twfe = _row(estimates, "diverging_adopters", "permanent_exclusion_rate", "twfe", "none")
    assert twfe.pretrend_p_value == row.pretrend_p_value
    parallel = _row(estimates, "diverging_adopters", "absence_rate", "callaway_santanna", "simple")
    assert parallel.pretrend_p_value > 0.05


def test_a_planted_pre_trend_breaks_down_below_one_and_is_never_headlined(run) -> None:
    _, estimates, _ = run
    row = _row(estimates, "diverging_adopters", "permanent_exclusion_rate", "callaway_santanna", "simple")
    assert row.is_primary and row.ci_low > 0  # a "significant rise" that is only the trend continuing
    assert row.breakdown_mbar < 1
    assert not row.may_headline and row.security_rating <= 1
    assert row.evidence_statement.startswith("Diverging adopters (")
    assert "no finding — adopting and comparison schools were already diverging" in row.evidence_statement


def test_only_the_primary_outcome_with_parallel_trends_and_a_clear_effect_is_headlined(run) -> None:
    _, estimates, _ = run
    headlined = estimates[estimates["may_headline"]]
    assert set(zip(headlined["programme"], headlined["outcome"], strict=True)) <= {
        ("restorative_practice", "suspension_rate"),
        ("small_trial", "suspension_rate"),
    }
    assert ("restorative_practice", "suspension_rate") in set(
        zip(headlined["programme"], headlined["outcome"], strict=True)
    )
    assert (headlined["estimator"] == "callaway_santanna").all()
    assert (headlined["aggregation"] == "simple").all()
    row = _row(estimates, "restorative_practice", "suspension_rate", "callaway_santanna", "simple")
    statement = row.evidence_statement
    assert statement.startswith("Restorative practice (") and "primary outcome" in statement
    assert "the suspension rate fell by" in statement
    assert "suspensions per 100 pupils per term" in statement and "baseline of" in statement
    assert statement.count("95 % CI") == 1
    assert "padlocks" in statement and "per suspension avoided" in statement
    assert row.effect_pct_of_baseline == pytest.approx(100 * row.estimate / row.baseline_rate)
    # the placebo is a null result: worded with the smallest change the study could have detected
    placebo = _row(estimates, "talc", "absence_rate", "callaway_santanna", "simple")
    assert not placebo.may_headline
    assert "no clear change in the absence rate" in placebo.evidence_statement
    assert (
        f"could detect changes of at least {placebo.mde:.2f} percentage points" in placebo.evidence_statement
    )


def test_cost_per_suspension_avoided_is_cost_over_suspensions_avoided(run) -> None:
    _, estimates, _ = run
    row = _row(estimates, "restorative_practice", "suspension_rate", "callaway_santanna", "simple")
    panel = simulate_impact_panel()
    rows = panel[(panel["programme"] == "restorative_practice") & (panel["school_urn"] != "100001")]
    adopters = rows[rows["first_treated_term_index"] > rows["term_index"].min()]
    after = adopters[adopters["term_index"] >= adopters["first_treated_term_index"]]
    avoided = -row.estimate * after["headcount"].sum() / 100
    cost = COST_PER_SCHOOL_GBP * adopters["school_urn"].nunique()
    assert float(row.cost_per_event_avoided_gbp) == pytest.approx(cost / avoided, abs=0.01)


def test_secondary_outcomes_are_holm_adjusted_within_the_programme(run) -> None:
    _, estimates, _ = run
    simple = estimates[
        (estimates["estimator"] == "callaway_santanna") & (estimates["aggregation"] == "simple")
    ]
    rp = simple[simple["programme"] == "restorative_practice"].set_index("outcome")
    primary = rp.loc["suspension_rate"]
    assert primary.is_primary and primary.p_value_adjusted == primary.p_value
    secondary = rp.drop(index="suspension_rate")
    ranked = secondary["p_value"].sort_values()
    smallest = ranked.index[0]
    assert secondary.loc[smallest, "p_value_adjusted"] == pytest.approx(
        min(1.0, len(ranked) * ranked.iloc[0])
    )
    assert (secondary["p_value_adjusted"] >= secondary["p_value"]).all()
    assert simple["q_value"].notna().all() and (simple["q_value"] >= simple["p_value"] - 1e-15).all()
    others = estimates[~estimates.index.isin(simple.index)]
    assert others["p_value_adjusted"].isna().all() and others["q_value"].isna().all()


def test_a_small_trial_gets_wild_bootstrap_intervals_and_a_uniform_band(run) -> None:
    _, estimates, event_study = run
    row = _row(estimates, "small_trial", "suspension_rate", "callaway_santanna", "simple")
    assert row.inference == "wild_bootstrap" and row.n_treated_units == 12
    assert row.ci_low <= PLANTED_EFFECT_PER_100 <= row.ci_high
    # a symmetric bootstrap-t interval around the estimate, its critical value simulated, not 1.96
    half_width = (row.ci_high - row.ci_low) / 2
    assert row.estimate == pytest.approx((row.ci_high + row.ci_low) / 2)
    assert abs(half_width / row.std_error - 1.959964) > 0.01
    assert row.pretrend_test == "sup_t_wild_bootstrap"
    twfe = _row(estimates, "small_trial", "suspension_rate", "twfe", "none")
    assert twfe.inference == "analytic" and twfe.estimator_note.startswith("for comparison")
    study = event_study[
        (event_study["programme"] == "small_trial") & (event_study["outcome"] == "suspension_rate")
    ]
    assert (study["inference"] == "wild_bootstrap").all()
    assert (study["uniform_ci_low"] <= study["ci_low"] + 1e-12).all()
    assert (study["uniform_ci_high"] >= study["ci_high"] - 1e-12).all()


def test_the_balance_table_compares_adopters_with_comparison_schools(run, home: Path) -> None:
    balance = read_tables(home, "impact_balance")
    rp = balance[balance["programme"] == "restorative_practice"].set_index("variable")
    assert {"baseline_suspension_rate", "phase_primary", "phase_secondary", "attrition"} <= set(rp.index)
    assert rp.loc["baseline_suspension_rate", "unit"] == "suspensions per 100 pupils per term"
    shares = rp.loc["phase_primary", ["treated_mean", "comparison_mean"]]
    assert (shares > 0.4).all() and (shares < 1).all()
    assert rp.loc["phase_primary", "treated_mean"] + rp.loc[
        "phase_secondary", "treated_mean"
    ] == pytest.approx(1)
    # one comparison school missed a term
    assert rp.loc["attrition", "treated_mean"] + rp.loc["attrition", "comparison_mean"] > 0


def test_a_cohort_too_small_to_have_a_variance_is_left_out_of_the_pretrend_test() -> None:
    from analyses.did import att_gt

    panel = simulate_impact_panel()
    rows = panel[panel["programme"] == "restorative_practice"].copy()
    first_adopters = rows.loc[rows["first_treated_term_index"] == FIRST_TERM + 4, "school_urn"].unique()
    # all but three of the first cohort never adopt: a cohort of three schools
    rows.loc[rows["school_urn"].isin(first_adopters[3:]), "first_treated_term_index"] = 0
    rows = rows[rows["school_urn"] != rows["school_urn"].iloc[0]]  # drop the school with a missing term
    columns = ("absence_rate", "school_urn", "term_index", "first_treated_term_index")
    test = pretrend_test(att_gt(rows, *columns, method="reg"))
    assert test.left_out == (3,) and 0 < test.p_value < 1
    # with never-treated comparisons, leaving the cohort out is testing the panel without its schools
    without = rows[~rows["school_urn"].isin(first_adopters[:3])]
    assert test.p_value == pytest.approx(
        pretrend_test(att_gt(without, *columns, method="reg")).p_value, rel=1e-8
    )
    small_only = rows[rows["first_treated_term_index"].isin([0, FIRST_TERM + 4])]
    untestable = pretrend_test(att_gt(small_only, *columns, method="reg"))
    assert np.isnan(untestable.p_value) and not untestable.passed
    assert "no adoption cohort of at least 5 schools" in untestable.reason


def test_a_programme_too_small_to_estimate_is_skipped_with_its_reason(run) -> None:
    result, estimates, _ = run
    assert result.success
    assert "zz_small_pilot" not in set(estimates["programme"])
    materialisations = {event.asset_key: event for event in result.get_asset_materialization_events()}
    metadata = materialisations[dg.AssetKey(["marts", "impact_estimates"])].materialization.metadata
    skipped = metadata["skipped"].value
    assert "zz_small_pilot" in skipped and "adopting school(s)" in skipped
    assert "restorative_practice" in metadata["headline"].value
    assert "**headline** Restorative practice" in metadata["statements"].value
    charts = materialisations[dg.AssetKey(["marts", "event_study"])].materialization.metadata
    assert "data:image/png;base64," in charts["event_study_restorative_practice"].value


def test_too_few_terms_or_no_programmes_still_write_all_three_tables(tmp_path: Path) -> None:
    panel = simulate_impact_panel()
    short = panel[panel["term_index"] < FIRST_TERM + 2]
    write_panel(tmp_path, short)
    assert materialise(tmp_path).success
    estimates, event_study = read_tables(tmp_path)
    assert estimates.empty and event_study.empty
    assert list(estimates.columns[: len(CONTRACT_ESTIMATE_COLUMNS)]) == CONTRACT_ESTIMATE_COLUMNS
    balance = read_tables(tmp_path, "impact_balance")
    assert list(balance.columns[:5]) == [
        "programme",
        "variable",
        "treated_mean",
        "comparison_mean",
        "standardised_difference",
    ]

    write_panel(tmp_path, panel.iloc[:0])
    assert materialise(tmp_path).success
    estimates, _ = read_tables(tmp_path)
    assert estimates.empty


def test_importing_the_asset_module_loads_neither_statsmodels_nor_matplotlib() -> None:
    probe = (
        "import sys, orchestration.assets.impact;"
        "print(sorted(m for m in ('statsmodels', 'matplotlib', 'scipy', 'analyses.did') if m in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_the_asset_declares_its_keys_pool_group_and_upstream() -> None:
    specs = {spec.key: spec for spec in impact_estimates.specs}
    assert set(specs) == {
        dg.AssetKey(["marts", "impact_estimates"]),
        dg.AssetKey(["marts", "event_study"]),
        dg.AssetKey(["marts", "impact_balance"]),
    }
    for spec in specs.values():
        assert spec.group_name == "impact"
        assert {dep.asset_key for dep in spec.deps} == {dg.AssetKey(["marts", "impact_panel"])}
    assert impact_estimates.op.pool == "warehouse"
