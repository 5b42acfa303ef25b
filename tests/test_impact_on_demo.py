"""End to end on the demo county: demo landing files → ingest → dbt `+impact_panel` → the impact asset,
checked against the effects the generator planted (`demo_ground_truth.json`).

`latest_month = 2024-10` delivers nine terms (autumn 2021/22 to summer 2023/24), so the first cohorts
(autumn 2022) have six terms after adoption and the last in-panel cohorts at least three.

Why the checks are not "all 32 intervals cover": the truth file lists every programme × outcome (8 planted
effects, 24 true zeros). Over 80 demo worlds (seeds 0–19 and 100–159, estimator run on the generator's
own panel), each 95 % CI covered its truth 92.7 % of the time, yet all 32 covered together in only 14 % of
worlds and all 8 planted ones in 49 %; a test demanding that would pass or fail with the seed. Seed 42
has one such draw: trauma-informed × persistent_absence_rate_ehcp (rates of a handful of EHCP pupils per
school) lies 3.9 SEs from its truth. So the test asks for what a correct pipeline delivers and a broken one
(terms shifted, outcomes swapped, wrong units or sign) does not: every planted effect on all pupils inside
its 95 % CI, and at most 3 of the 32 intervals missing (1.6 expected at 95 %).
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest

from orchestration.assets.impact import impact_estimates
from orchestration.demo import generate_demo
from orchestration.resources import HighNeedsHome
from tests.support.pipeline import load_and_build

pytestmark = pytest.mark.slow

LATEST_MONTH = "2024-10"
MAX_MISSES_95 = 3


@pytest.fixture(scope="module")
def recovery(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Truth beside the Callaway & Sant'Anna simple estimate for every programme × outcome of the demo."""
    root = tmp_path_factory.mktemp("impact_demo")
    landing, home = root / "landing", root / "home"
    summary = generate_demo(landing, seed=42, latest_month=LATEST_MONTH)
    load_and_build(landing, home, select="+impact_panel")
    result = dg.materialize([impact_estimates], resources={"highneeds": HighNeedsHome(home=str(home))})
    assert result.success
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        estimates = connection.execute(
            "select * from marts.impact_estimates "
            "where estimator = 'callaway_santanna' and aggregation = 'simple'"
        ).df()
    truth = json.loads(Path(summary.ground_truth).read_text(encoding="utf-8"))
    rows = []
    for programme, entry in truth["programmes"].items():
        for outcome, effect in entry["effects"].items():
            rows.append(
                {
                    "programme": programme,
                    "outcome": outcome,
                    "truth": effect["simple"],
                    "truth_n_treated": entry["n_treated_schools"],
                }
            )
    table = pd.DataFrame(rows).merge(estimates, on=["programme", "outcome"], how="left")
    table["z"] = (table["estimate"] - table["truth"]) / table["std_error"]
    table["covered_95"] = table["truth"].between(table["ci_low"], table["ci_high"])
    return table


def _show(table: pd.DataFrame) -> str:
    columns = ["programme", "outcome", "truth", "estimate", "ci_low", "ci_high", "z", "covered_95"]
    return "\n" + table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")


def test_every_programme_and_outcome_is_estimated_on_the_truths_schools(recovery: pd.DataFrame) -> None:
    assert recovery["estimate"].notna().all(), _show(recovery)
    # the dbt panel and the asset's balanced sample count the same adopters as the generator
    assert (recovery["n_treated_units"] == recovery["truth_n_treated"]).all(), recovery[
        ["programme", "outcome", "n_treated_units", "truth_n_treated"]
    ].to_string()


def test_every_planted_effect_on_all_pupils_is_inside_its_95_percent_ci(recovery: pd.DataFrame) -> None:
    planted = recovery[(recovery["truth"] != 0) & ~recovery["outcome"].str.endswith("_ehcp")]
    assert len(planted) >= 4, _show(recovery)
    assert planted["covered_95"].all(), _show(recovery)


def test_no_more_misses_than_chance_allows_across_all_effects(recovery: pd.DataFrame) -> None:
    print(_show(recovery))
    assert (~recovery["covered_95"]).sum() <= MAX_MISSES_95, _show(recovery)
