"""Benchmarks for an LA other than the demo's: Kent (886), with its neighbours computed.

The DfE asset is materialised with `la_code: 886` in the home's `highneeds.yaml`, then the real dbt build.
Kent's figures below were looked up by hand in the vendored files; the neighbours are recomputed here with
scipy from the parsed files, independently of the SQL.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from scipy.spatial.distance import cdist
from scipy.stats import zscore

from orchestration.public_data import current_las, load_public_benchmarks, read_la_profile_figures

KENT = 886


@pytest.fixture(scope="module")
def kent_home(tmp_path_factory: pytest.TempPathFactory):
    import dagster as dg

    from orchestration.assets.public_data import dfe_benchmarks
    from orchestration.resources import HighNeedsHome
    from tests.support.pipeline import dbt_build, settings_for

    root = tmp_path_factory.mktemp("kent")
    (root / "landing").mkdir()
    settings = settings_for(root / "landing", root / "home")
    config = settings.home / "highneeds.yaml"
    config.write_text(f"la_code: {KENT}\n", encoding="utf-8")
    resource = HighNeedsHome(home=str(settings.home), config=str(config))
    assert dg.materialize([dfe_benchmarks], resources={"highneeds": resource}).success
    dbt_build(settings, "+benchmarks +statistical_neighbours")
    return settings


@pytest.fixture(scope="module")
def benchmarks(kent_home) -> pd.DataFrame:
    from tests.support.pipeline import query

    return query(kent_home, "select * from marts.benchmarks")


@pytest.fixture(scope="module")
def neighbours(kent_home) -> pd.DataFrame:
    from tests.support.pipeline import query

    return query(kent_home, "select * from marts.statistical_neighbours")


def figure(
    benchmarks: pd.DataFrame, measure: str, period: str, comparator: str, line: str | None = None
) -> float:
    rows = benchmarks[
        (benchmarks["measure"] == measure)
        & (benchmarks["period"] == period)
        & (benchmarks["comparator"] == comparator)
        & (benchmarks["s251_line"].isna() if line is None else benchmarks["s251_line"] == line)
    ]
    assert len(rows) == 1, rows
    return float(rows["value"].iloc[0])


def test_every_la_row_is_kents_published_figure_and_names_kent(benchmarks: pd.DataFrame) -> None:
    tidy = load_public_benchmarks()
    published = tidy[(tidy["geography_level"] == "la") & (tidy["old_la_code"] == KENT)]
    la_rows = benchmarks[benchmarks["comparator"] == "la"]
    keys = ["measure", "period", "s251_line"]
    joined = la_rows.merge(published, on=keys, how="outer", suffixes=("_mart", "_dfe"), indicator=True)
    assert (joined["_merge"] == "both").all(), joined.loc[joined["_merge"] != "both", keys]
    # 3 DSG years + 9 years of requests + 9 of new plans + 7 budget lines + 6 years of CIN with a plan
    assert len(joined) == len(published) == 3 + 9 + 9 + 7 + 6
    assert np.allclose(joined["value_mart"], joined["value_dfe"], equal_nan=True, rtol=0, atol=1e-9)
    assert set(la_rows["area_name"]) == {"Kent"}
    assert set(la_rows["old_la_code"]) == {KENT} and set(la_rows["area_code"]) == {"E10000016"}


def test_kent_region_and_england_figures_looked_up_by_hand(benchmarks: pd.DataFrame) -> None:
    # dsg_deficit_derived.xlsx: Kent 2021-22 -6.83, 2019-20 -1.76; South East 2021-22 -4.28; England -2.26
    assert figure(benchmarks, "dsg_cumulative_balance_pct_of_dsg", "2021-22", "la") == pytest.approx(-6.83)
    assert figure(benchmarks, "dsg_cumulative_balance_pct_of_dsg", "2019-20", "la") == pytest.approx(-1.76)
    assert figure(benchmarks, "dsg_cumulative_balance_pct_of_dsg", "2021-22", "region") == pytest.approx(
        -4.28
    )
    assert figure(benchmarks, "dsg_cumulative_balance_pct_of_dsg", "2021-22", "england") == pytest.approx(
        -2.26
    )
    # sen2_mi.csv, Kent 2022: inreq_ehc 3,669, new_all_ehc 2,314 (2021: 2,910)
    assert figure(benchmarks, "ehc_requests", "2022", "la") == 3669
    assert figure(benchmarks, "ehc_new_plans", "2022", "la") == 2314
    assert figure(benchmarks, "ehc_new_plans", "2021", "la") == 2910
    # sen_la.csv, CINO at 31 March 2021/22: Kent 34.1 %, South East 28.8 %
    assert figure(benchmarks, "cin_with_ehc_plan_pct", "2021/22", "la") == pytest.approx(34.1)
    assert figure(benchmarks, "cin_with_ehc_plan_pct", "2021/22", "region") == pytest.approx(28.8)
    # Outturn data 202122.xlsx, Kent: 1.2.3 budget £42,032,791.88 over 334,809.436 aged 2-18
    per_head = figure(benchmarks, "hn_budget_per_head_gbp", "2021-22", "la", "1.2.3")
    assert per_head == pytest.approx(42_032_791.88 / 334_809.436)
    regions = benchmarks.loc[benchmarks["comparator"] == "region", "area_name"]
    assert set(regions) == {"South East"}


def _expected_nearest(la_code: int, n: int = 10) -> pd.Series:
    """docs/configuration.md's method redone with pandas and scipy: distance by LA code, nearest first."""
    figures = read_la_profile_figures().pivot(index="old_la_code", columns="figure", values="value")
    tidy = load_public_benchmarks()
    las = tidy[tidy["geography_level"] == "la"]
    budget_lines = las[las["measure"] == "hn_budget_per_head_gbp"].groupby("old_la_code")["value"]
    budget = budget_lines.sum().where(budget_lines.count() == budget_lines.size())
    plans = las[las["measure"] == "ehc_new_plans"]
    new_plans = plans[plans["period"] == plans["period"].max()].set_index("old_la_code")["value"]
    population = figures["population_2_18"]
    indicators = pd.DataFrame(
        {
            "log_population": np.log(population),
            "plans_per_1000": figures["ehc_plans"] / population * 1000,
            "independent_pct": figures["ehc_plans_independent_special"] / figures["ehc_plans"] * 100,
            "budget_per_head": budget.reindex(figures.index),
            "new_plans_per_10000": new_plans.reindex(figures.index) / population * 10000,
        }
    )
    standardised = indicators.apply(lambda column: zscore(column, nan_policy="omit"))
    candidates = standardised.drop(index=la_code).dropna()
    euclidean = cdist(candidates.to_numpy(), standardised.loc[[la_code]].to_numpy())[:, 0]
    distances = pd.Series(euclidean / math.sqrt(indicators.shape[1]), index=candidates.index)
    return distances.sort_index().sort_values(kind="stable").head(n)


def test_computed_neighbours_are_the_ten_nearest_by_an_independent_computation(
    neighbours: pd.DataFrame,
) -> None:
    expected = _expected_nearest(KENT)
    computed = neighbours[neighbours["neighbour_role"] == "neighbour"].sort_values("neighbour_rank")
    assert list(computed["old_la_code"]) == list(expected.index)
    assert computed["profile_distance"].to_numpy() == pytest.approx(expected.to_numpy())
    assert list(computed["neighbour_rank"]) == list(range(1, 11))
    assert set(computed["n_indicators"]) == {5}


def test_neighbours_are_named_in_both_marts_with_the_method(
    neighbours: pd.DataFrame, benchmarks: pd.DataFrame
) -> None:
    names = current_las().set_index("old_la_code")["la_name"]
    the_la = neighbours[neighbours["neighbour_role"] == "la"].iloc[0]
    assert (the_la["old_la_code"], the_la["area_name"], the_la["region_name"]) == (KENT, "Kent", "South East")
    computed = neighbours[neighbours["neighbour_role"] == "neighbour"]
    assert len(computed) == 10
    assert list(computed["area_name"]) == [names[code] for code in computed["old_la_code"]]
    assert set(neighbours["selection"]) == {"computed"}
    method = set(neighbours["selection_method"])
    assert len(method) == 1 and next(iter(method)).startswith(
        "The 10 LAs nearest to Kent on published indicators"
    )
    # Kent's profile in the mart, from its row of the benchmarking table: 15,281 plans, 1,396 independent
    assert the_la["ehc_plans_per_1000_aged_2_18"] == pytest.approx(15281 / 334_809.436 * 1000)
    assert the_la["independent_special_pct_of_ehc_plans"] == pytest.approx(1396 / 15281 * 100)

    requests = benchmarks[(benchmarks["measure"] == "ehc_requests") & (benchmarks["period"] == "2022")]
    each = requests[requests["comparator"] == "neighbour"]
    assert sorted(each["area_name"]) == sorted(computed["area_name"])
    mean = requests.loc[requests["comparator"] == "statistical_neighbours", "value"].item()
    assert mean == pytest.approx(each["value"].mean())


def test_a_bad_configuration_fails_the_dfe_asset_before_it_writes(tmp_path) -> None:
    # A run started from the UI or the schedule skips the CLI's check: the asset refuses the same way.
    import dagster as dg

    from orchestration.alerts import root_cause_message
    from orchestration.assets.public_data import dfe_benchmarks
    from orchestration.resources import HighNeedsHome

    config = tmp_path / "highneeds.yaml"
    config.write_text("la_code: 928\n", encoding="utf-8")
    resource = HighNeedsHome(home=str(tmp_path / "home"), config=str(config))
    result = dg.materialize([dfe_benchmarks], resources={"highneeds": resource}, raise_on_error=False)
    assert not result.success
    failure = next(event for event in result.all_events if event.is_step_failure)
    # what `highneeds run` and the failure e-mail print for it
    assert "la_code: 928 (Northamptonshire) was abolished" in root_cause_message(
        failure.step_failure_data.error
    )
    assert not (tmp_path / "home" / "warehouse.duckdb").exists()
