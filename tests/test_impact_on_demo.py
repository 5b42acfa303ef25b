"""End to end on the demo county: demo landing files → ingest → dbt `+impact_panel` → the impact asset,
checked against the effects the generator planted (`demo_ground_truth.json`).

`latest_month = 2024-10` delivers nine terms (autumn 2021/22 to summer 2023/24), so the first cohorts
(autumn 2022) have six terms after adoption and the last in-panel cohorts at least three.

The truth file lists every programme × outcome, most with a true effect of 0. 32 separate 95 % intervals
miss about 1.6 of their targets by chance alone, so the test asks two things: every non-zero planted
effect lies in its 95 % CI, and every effect, zeros included, lies in its Bonferroni-adjusted interval
(family-wise 95 % over all the programme × outcome estimates).
"""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import pytest
from scipy import stats

from orchestration.assets.impact import impact_estimates
from orchestration.demo import generate_demo
from orchestration.resources import HighNeedsHome
from tests.support.pipeline import load_and_build

pytestmark = pytest.mark.slow

LATEST_MONTH = "2024-10"
FAMILY_ALPHA = 0.05


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
    z_family = stats.norm.ppf(1 - FAMILY_ALPHA / (2 * len(table)))
    table["family_low"] = table["estimate"] - z_family * table["std_error"]
    table["family_high"] = table["estimate"] + z_family * table["std_error"]
    table["covered_95"] = table["truth"].between(table["ci_low"], table["ci_high"])
    table["covered_family"] = table["truth"].between(table["family_low"], table["family_high"])
    return table


def _show(table: pd.DataFrame) -> str:
    columns = [
        "programme",
        "outcome",
        "truth",
        "estimate",
        "ci_low",
        "ci_high",
        "covered_95",
        "covered_family",
    ]
    return "\n" + table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")


def test_every_programme_and_outcome_is_estimated_on_the_truths_schools(recovery: pd.DataFrame) -> None:
    assert recovery["estimate"].notna().all(), _show(recovery)
    # the dbt panel and the asset's balanced sample count the same adopters as the generator
    assert (recovery["n_treated_units"] == recovery["truth_n_treated"]).all(), recovery[
        ["programme", "outcome", "n_treated_units", "truth_n_treated"]
    ].to_string()


def test_every_planted_effect_is_inside_its_95_percent_ci(recovery: pd.DataFrame) -> None:
    planted = recovery[recovery["truth"] != 0]
    assert len(planted) >= 6, _show(recovery)
    assert planted["covered_95"].all(), _show(recovery)


def test_every_effect_including_the_zeros_is_inside_its_family_wise_interval(recovery: pd.DataFrame) -> None:
    assert recovery["covered_family"].all(), _show(recovery)
    print(_show(recovery))
