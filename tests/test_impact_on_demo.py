"""End to end on the demo county: demo landing files → ingest → dbt `+impact_panel` → the impact asset,
checked against the effects the generator planted (`demo_ground_truth.json`).

`latest_month = 2024-10` delivers nine terms (autumn 2021/22 to summer 2023/24), so the first cohorts
(autumn 2022) have six terms after adoption and the last in-panel cohorts at least three.

Each programme is estimated on its own: schools that ran another programme in the window are left out of
both groups. The schools expected in each estimate, and the truth for them (the truth file's ATT(g,t)
averaged with those schools' cohort sizes), are worked out here from the landing files themselves —
`interventions.csv`, with academies mapped back to the school they converted from through `schools.csv`.
A programme with fewer than five such adopters must be skipped, not estimated.

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


def read_csv(path: Path) -> pd.DataFrame:
    """A demo landing CSV as text, headers trimmed and lower-cased as the contract reads them."""
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.columns = [column.strip().lower() for column in frame.columns]
    return frame


def programme_only_cohorts(landing: Path, terms: list[int]) -> dict[str, dict[int, int]]:
    """Per programme: adoption term → schools that adopted it and no other programme in the panel's terms."""
    schools = read_csv(landing / "schools.csv")
    academies = schools[schools["predecessor_urn"] != ""]
    interventions = read_csv(landing / "interventions.csv")
    school = interventions["school_urn"].replace(
        dict(zip(academies["school_urn"], academies["predecessor_urn"], strict=True))
    )
    start = pd.to_datetime(interventions["start_date"], format="%d/%m/%Y")
    start_year = start.dt.year - (start.dt.month < 9)
    term_of_year = (start.dt.month < 9).astype(int) + (start.dt.month >= 4).astype(int) * (start.dt.month < 9)
    world_term = (start_year - 2021) * 3 + term_of_year  # 0 = autumn 2021/22
    first = pd.DataFrame({"school": school, "programme": interventions["programme"], "term": world_term})
    first = first.groupby(["school", "programme"])["term"].min().unstack()
    in_window = first.le(max(terms))
    cohorts = {}
    for programme in first.columns:
        alone = in_window[programme] & ~in_window.drop(columns=programme).any(axis=1)
        adopted = first.loc[alone, programme]
        cohorts[programme] = adopted[adopted > min(terms)].value_counts().to_dict()
    return cohorts


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
    terms = [term["term_index"] for term in truth["panel"]["terms"]]
    cohorts = programme_only_cohorts(landing, terms)
    rows = []
    for programme, entry in truth["programmes"].items():
        n_g = cohorts[programme]
        for outcome, effect in entry["effects"].items():
            post = [cell for cell in effect["att_gt"] if cell["event_time"] >= 0 and cell["cohort"] in n_g]
            weight = sum(n_g[cell["cohort"]] for cell in post)
            rows.append(
                {
                    "programme": programme,
                    "outcome": outcome,
                    "truth": sum(n_g[cell["cohort"]] * cell["att"] for cell in post) / weight
                    if weight
                    else None,
                    "expected_n_treated": sum(n_g.values()),
                }
            )
    table = pd.DataFrame(rows).merge(estimates, on=["programme", "outcome"], how="left")
    table["z"] = (table["estimate"] - table["truth"]) / table["std_error"]
    table["covered_95"] = table["truth"].between(table["ci_low"], table["ci_high"])
    return table


def _show(table: pd.DataFrame) -> str:
    columns = ["programme", "outcome", "truth", "estimate", "ci_low", "ci_high", "z", "covered_95"]
    return "\n" + table[columns].to_string(index=False, float_format=lambda v: f"{v:.3f}")


def test_every_programme_with_enough_schools_of_its_own_is_estimated_on_exactly_those(
    recovery: pd.DataFrame,
) -> None:
    enough = recovery["expected_n_treated"] >= 5
    assert recovery.loc[enough, "estimate"].notna().all(), _show(recovery)
    assert recovery.loc[~enough, "estimate"].isna().all(), _show(recovery)
    estimated = recovery[enough]
    # the dbt panel (academies linked to their predecessors) and the sample rules count the same adopters
    assert (estimated["n_treated_units"] == estimated["expected_n_treated"]).all(), estimated[
        ["programme", "outcome", "n_treated_units", "expected_n_treated"]
    ].to_string()


def test_every_planted_effect_on_all_pupils_is_inside_its_95_percent_ci(recovery: pd.DataFrame) -> None:
    estimated = recovery[recovery["estimate"].notna()]
    planted = estimated[(estimated["truth"] != 0) & ~estimated["outcome"].str.endswith("_ehcp")]
    assert len(planted) >= 3, _show(recovery)
    assert planted["covered_95"].all(), _show(recovery)


def test_no_more_misses_than_chance_allows_across_all_effects(recovery: pd.DataFrame) -> None:
    print(_show(recovery))
    estimated = recovery[recovery["estimate"].notna()]
    assert (~estimated["covered_95"]).sum() <= MAX_MISSES_95, _show(recovery)
