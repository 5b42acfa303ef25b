"""Behaviour of the High Needs projection: planted growth, intervals, hand-worked scenarios, config, asset."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb
import numpy as np
import pandas as pd
import pytest
import yaml

from analyses.projection import PlacementForecast, forecast_placements, project_finances
from analyses.projection_assumptions import (
    ALL_TYPES,
    MITIGATED,
    UNMITIGATED,
    AssumptionsError,
    mitigated_scenario,
    parse_assumptions,
)
from orchestration.assets.projection import DEFAULT_ASSUMPTIONS_FILE, hn_projection
from orchestration.resources import HighNeedsHome
from orchestration.settings import DBT_PROJECT_DIR

PROVISION_TYPES = pd.read_csv(DBT_PROJECT_DIR / "seeds" / "provision_types.csv")["provision_type"].tolist()
GROWTH = 1.10  # planted: 10 % a year


def assumptions(scenarios=(), unit_cost_pct=0.0, income_pct=0.0, other_pct=0.0, years=5):
    return parse_assumptions(
        {
            "years": years,
            "unit_cost_growth_pct": {"all": unit_cost_pct},
            "income_growth_pct": income_pct,
            "non_placement_spend_growth_pct": other_pct,
            "scenarios": list(scenarios),
        },
        PROVISION_TYPES,
    )


# ------------------------------------------------------------------ planted exponential growth


@pytest.fixture(scope="module")
def planted():
    """60 months of special_independent growing 10 %/year from 300, multiplicative noise sd 2 %."""
    rng = np.random.default_rng(11)
    months = pd.period_range("2020-11", periods=60, freq="M")
    log_truth = np.log(300) + np.log(GROWTH) / 12 * np.arange(60 + 60)
    counts = np.round(np.exp(log_truth[:60] + rng.normal(0, 0.02, 60)))
    history = pd.DataFrame(
        {"month": months.astype(str), "provision_type": "special_independent", "active": counts}
    )
    forecast = forecast_placements(history, 60, max_repetitions=2000, seed=3)
    return forecast, np.exp(log_truth[60:])


def test_planted_growth_is_recovered_within_the_intervals(planted):
    forecast, truth = planted
    table = forecast.table
    assert forecast.models["model"].iloc[0] in {"ETS(A,A,N)", "ETS(A,Ad,N)", "ETS(A,A,A)", "ETS(A,Ad,A)"}
    for horizon in (12, 36, 60):
        row = table.iloc[horizon - 1]
        assert row["p10"] <= truth[horizon - 1] <= row["p90"]
        assert row["mean"] == pytest.approx(truth[horizon - 1], rel=0.05)
    implied = forecast.models["implied_growth_pct_per_year"].iloc[0]
    assert implied == pytest.approx(10.0, abs=2.0)


def test_mean_is_on_the_original_scale_and_above_the_median(planted):
    # exp(μ + σ²/2) − 1 > exp(μ) − 1: the lognormal mean sits above the median, and the gap grows with horizon
    table = planted[0].table
    gap = (table["mean"] - table["median"]).to_numpy()
    assert gap[-1] > 0 and gap[-1] > gap[0]


def test_prediction_intervals_nest(planted):
    table = planted[0].table
    assert (table["p025"] <= table["p10"]).all() and (table["p10"] <= table["median"]).all()
    assert (table["median"] <= table["p90"]).all() and (table["p90"] <= table["p975"]).all()
    assert ((table["p975"] - table["p025"]) > (table["p90"] - table["p10"])).all()
    # and they widen with the horizon
    assert (table["p90"] - table["p10"]).iloc[-1] > (table["p90"] - table["p10"]).iloc[0]


def test_small_types_are_forecast_as_their_share_of_the_group_total():
    rng = np.random.default_rng(5)
    months = pd.period_range("2022-04", periods=36, freq="M")
    levels = {
        "eotas": 6,
        "early_years": 3,
        "special_maintained": 200,
        "alternative_provision": 75,
        "hospital_education": 2,
    }
    rows = []
    for name, level in levels.items():
        counts = np.round(level * 1.005 ** np.arange(36) * np.exp(rng.normal(0, 0.03, 36)))
        rows += [
            {"month": str(m), "provision_type": name, "active": c}
            for m, c in zip(months, counts, strict=True)
        ]
    groups = {
        "eotas": "other",
        "early_years": "other",
        "special_maintained": "special",
        "alternative_provision": "ap_hospital",
        "hospital_education": "ap_hospital",
    }
    forecast = forecast_placements(
        pd.DataFrame(rows), 24, provision_groups=groups, pool_below=20, max_repetitions=200
    )
    models = forecast.models.set_index("series")
    assert set(models.index) == {
        "group:other",
        "group:ap_hospital",
        "special_maintained",
        "alternative_provision",
    }
    # the small hospital type follows its share of AP + hospital, AP keeps its own model
    assert models.loc["group:ap_hospital", "provision_types"] == "hospital_education"
    assert models.loc["group:ap_hospital", "modelled_on"] == "alternative_provision + hospital_education"
    # two small types of the same group keep their current ratio
    eotas, early = forecast.mean_paths["eotas"], forecast.mean_paths["early_years"]
    assert np.allclose(eotas / (eotas + early), eotas[0] / (eotas[0] + early[0]))
    assert set(forecast.table["provision_type"]) == set(levels)


# ------------------------------------------------------------------ deterministic toy (hand-worked)


def toy_forecast() -> PlacementForecast:
    """History to 2025-03; from April 2025 independent grows 2 a month from 200, maintained stays at 300."""
    history_months = pd.period_range("2024-04", "2025-03", freq="M")
    history = pd.DataFrame(
        [{"month": str(m), "provision_type": "special_independent", "active": 200.0} for m in history_months]
        + [{"month": str(m), "provision_type": "special_maintained", "active": 300.0} for m in history_months]
    )
    future_months = pd.period_range("2025-04", "2030-03", freq="M")
    future = pd.DataFrame(
        [
            {"month": str(m), "provision_type": "special_independent", "active": 200.0 + 2 * (k + 1)}
            for k, m in enumerate(future_months)
        ]
        + [{"month": str(m), "provision_type": "special_maintained", "active": 300.0} for m in future_months]
    )
    return PlacementForecast.known(history, future, leaver_rate_per_month={"special_independent": 0.0})


TOY_COSTS = {"special_independent": 60_000.0, "special_maintained": 25_000.0}
# 2025-26 placements: independent mean(202..224) = 213, maintained 300 → 213 × 60k + 300 × 25k
TOY_PLACEMENT_SPEND = 213 * 60_000.0 + 300 * 25_000.0


def project_toy(scenarios, unit_cost_pct=3.0, **overrides):
    arguments = {
        "current_year": "2025-26",
        "unit_cost_gbp": TOY_COSTS,
        "in_year_placement_spend_gbp": TOY_PLACEMENT_SPEND,  # anchor factor exactly 1
        "in_year_other_spend_gbp": 2_000_000.0,
        "income_gbp": {"2025-26": 21_000_000.0},
        "opening_balance_gbp": -5_000_000.0,
    } | overrides
    return project_finances(toy_forecast(), assumptions(scenarios, unit_cost_pct=unit_cost_pct), **arguments)


def rows(projection, scenario, provision_type):
    table = projection.table
    selected = table[(table["scenario"] == scenario)]
    selected = (
        selected[selected["provision_type"].isna()]
        if provision_type is None
        else (selected[selected["provision_type"] == provision_type])
    )
    return selected.set_index("financial_year")


SHIFT = {
    "name": "fewer_independent",
    "description": "20 % of new independent placements go to maintained special from 2026-27",
    "shift": {
        "from": "special_independent",
        "to": "special_maintained",
        "share_of_new": 0.2,
        "from_year": "2026-27",
    },
}


def test_shift_of_new_independent_placements_saves_the_hand_computed_amount():
    projection = project_toy([SHIFT])
    assert projection.anchor_factor == pytest.approx(1.0)
    # starters 2 a month, 20 % redirected from April 2026: moved = 0.4, 0.8, ..., 4.8 → 2026-27 mean 2.6;
    # 2027-28 months 13..24 → mean 0.4 × 18.5 = 7.4
    cost_gap = {"2026-27": (60_000 - 25_000) * 1.03, "2027-28": (60_000 - 25_000) * 1.03**2}
    total = rows(projection, "fewer_independent", ALL_TYPES)["costs_avoided_gbp"]
    assert total["2025-26"] == pytest.approx(0.0, abs=1e-6)
    assert total["2026-27"] == pytest.approx(2.6 * cost_gap["2026-27"], rel=1e-12)
    assert total["2027-28"] == pytest.approx(7.4 * cost_gap["2027-28"], rel=1e-12)
    independent = rows(projection, "fewer_independent", "special_independent")
    maintained = rows(projection, "fewer_independent", "special_maintained")
    assert independent.loc["2026-27", "costs_avoided_gbp"] == pytest.approx(2.6 * 60_000 * 1.03)
    assert maintained.loc["2026-27", "costs_avoided_gbp"] == pytest.approx(-2.6 * 25_000 * 1.03)
    # children move; none appear or vanish
    assert rows(projection, "fewer_independent", ALL_TYPES)["placements"].to_numpy() == pytest.approx(
        rows(projection, UNMITIGATED, ALL_TYPES)["placements"].to_numpy()
    )


def test_a_shift_to_a_type_with_no_placements_yet_keeps_every_child():
    to_new = {
        "name": "new_academy",
        "shift": {
            "from": "special_independent",
            "to": "special_academy",
            "share_of_new": 0.5,
            "from_year": "2026-27",
        },
    }
    with pytest.raises(ValueError, match="special_academy"):
        project_toy([to_new])  # no unit cost for the new type
    projection = project_toy([to_new], unit_cost_gbp=TOY_COSTS | {"special_academy": 30_000.0})
    academy = rows(projection, "new_academy", "special_academy")["placements"]
    assert academy["2026-27"] == pytest.approx(0.5 * 2 * 6.5)  # moved 1, 2, ..., 12 → mean 6.5
    assert rows(projection, "new_academy", ALL_TYPES)["placements"].to_numpy() == pytest.approx(
        rows(projection, UNMITIGATED, ALL_TYPES)["placements"].to_numpy()
    )


def test_halving_growth_reduces_placements_by_the_hand_computed_amount():
    halves = {
        "name": "growth_halves",
        "growth_multiplier": {"provision_types": "all", "factor": 0.5, "from_year": "2026-27"},
    }
    projection = project_toy([halves])
    unmitigated = rows(projection, UNMITIGATED, "special_independent")["placements"]
    halved = rows(projection, "growth_halves", "special_independent")["placements"]
    # unmitigated 2026-27: 224 + 2 × 6.5 = 237; halved: 224 + 1 × 6.5 = 230.5
    assert unmitigated["2026-27"] == pytest.approx(237.0)
    assert halved["2026-27"] == pytest.approx(230.5)
    assert (halved.iloc[1:] < unmitigated.iloc[1:]).all()
    assert halved["2025-26"] == pytest.approx(unmitigated["2025-26"])
    flat = rows(projection, "growth_halves", "special_maintained")["placements"]
    assert flat.to_numpy() == pytest.approx(300.0)


def test_costs_avoided_is_unmitigated_minus_scenario_on_every_row():
    investment = {
        "name": "inclusion_team",
        "investment": {"amount_gbp": 400_000, "from_year": "2026-27", "until_year": "2027-28"},
        "unit_cost_multiplier": {
            "provision_types": ["special_independent"],
            "factor": 0.9,
            "from_year": "2027-28",
        },
    }
    projection = project_toy([SHIFT, investment])
    table = projection.table
    key = ["financial_year", "provision_type"]
    unmitigated = table[table["scenario"] == UNMITIGATED].set_index(key)["spend_gbp"]
    for scenario in ("fewer_independent", "inclusion_team"):
        scenario_rows = table[table["scenario"] == scenario].set_index(key)
        expected = unmitigated.loc[scenario_rows.index] - scenario_rows["spend_gbp"]
        assert scenario_rows["costs_avoided_gbp"].to_numpy() == pytest.approx(expected.to_numpy())
    assert (table.loc[table["scenario"] == UNMITIGATED, "costs_avoided_gbp"] == 0).all()
    other = rows(projection, "inclusion_team", None)["costs_avoided_gbp"]
    assert other.to_dict() == pytest.approx(
        {"2025-26": 0.0, "2026-27": -400_000.0, "2027-28": -400_000.0, "2028-29": 0.0, "2029-30": 0.0}
    )
    independent = rows(projection, "inclusion_team", "special_independent")
    assert independent.loc["2027-28", "costs_avoided_gbp"] == pytest.approx(
        0.1 * independent.loc["2027-28", "placements"] * 60_000 * 1.03**2, rel=1e-9
    )


def test_first_year_equals_the_in_year_forecast_with_growth(planted):
    forecast, _ = planted
    projection = project_finances(
        forecast,
        assumptions([SHIFT], unit_cost_pct=4.0),
        current_year="2025-26",
        unit_cost_gbp={"special_independent": 58_000.0, "special_maintained": 25_000.0},
        in_year_placement_spend_gbp=21_345_678.91,
        in_year_other_spend_gbp=3_210_987.65,
        income_gbp={"2025-26": 23_000_000.0},
        opening_balance_gbp=-4_000_000.0,
    )
    first = rows(projection, UNMITIGATED, ALL_TYPES).loc["2025-26"]
    assert first["spend_gbp"] == pytest.approx(21_345_678.91 + 3_210_987.65, abs=0.01)
    assert first["in_year_balance_gbp"] == pytest.approx(
        23_000_000.0 - 21_345_678.91 - 3_210_987.65, abs=0.01
    )
    assert bool(first["is_current_year"])
    # the annual intervals nest too, and surround the mean
    table = projection.table[projection.table["provision_type"] == "special_independent"]
    assert (table["placements_p025"] <= table["placements_p10"]).all()
    assert (table["placements_p10"] <= table["placements"]).all()
    assert (table["placements"] <= table["placements_p90"]).all()
    assert (table["placements_p90"] <= table["placements_p975"]).all()


def test_income_growth_known_income_and_cumulative_balance():
    projection = project_toy([], income_gbp={"2025-26": 21_000_000.0, "2026-27": 22_000_000.0})
    # income 5 % a year after the known 2026-27
    projection_grown = project_finances(
        toy_forecast(),
        assumptions(income_pct=5.0, other_pct=2.0),
        current_year="2025-26",
        unit_cost_gbp=TOY_COSTS,
        in_year_placement_spend_gbp=TOY_PLACEMENT_SPEND,
        in_year_other_spend_gbp=2_000_000.0,
        income_gbp={"2025-26": 21_000_000.0, "2026-27": 22_000_000.0},
        opening_balance_gbp=-5_000_000.0,
        planned_closing_balance_gbp={"2026-27": -9_000_000.0},
    )
    total = rows(projection_grown, UNMITIGATED, ALL_TYPES)
    assert total["income_gbp"].to_dict() == pytest.approx(
        {
            "2025-26": 21e6,
            "2026-27": 22e6,
            "2027-28": 22e6 * 1.05,
            "2028-29": 22e6 * 1.05**2,
            "2029-30": 22e6 * 1.05**3,
        }
    )
    assert rows(projection_grown, UNMITIGATED, None)["spend_gbp"]["2027-28"] == pytest.approx(2e6 * 1.02**2)
    expected = -5_000_000.0 + np.cumsum(total["income_gbp"] - total["spend_gbp"])
    assert total["cumulative_balance_gbp"].to_numpy() == pytest.approx(expected.to_numpy())
    assert total.loc["2026-27", "planned_closing_balance_gbp"] == -9_000_000.0
    assert pd.isna(total.loc["2027-28", "planned_closing_balance_gbp"])
    assert "unmitigated" in projection.summary()


def test_mitigated_scenario_is_unmitigated_minus_the_workstream_targets_each_year():
    # targets still to come: 2025-26 £150k, 2026-27 £400k, 2027-28 £650k; nothing later; 2024-25 is past
    savings = {"2024-25": 90_000.0, "2025-26": 150_000.0, "2026-27": 400_000.0, "2027-28": 650_000.0}
    scenario = mitigated_scenario(savings, workstreams=4)
    projection = project_finances(
        toy_forecast(),
        assumptions().model_copy(update={"scenarios": [scenario]}),
        current_year="2025-26",
        unit_cost_gbp=TOY_COSTS,
        in_year_placement_spend_gbp=TOY_PLACEMENT_SPEND,
        in_year_other_spend_gbp=2_000_000.0,
        income_gbp={"2025-26": 21_000_000.0},
        opening_balance_gbp=-5_000_000.0,
    )
    assert projection.scenarios == (UNMITIGATED, MITIGATED)
    unmitigated = rows(projection, UNMITIGATED, ALL_TYPES)
    mitigated = rows(projection, MITIGATED, ALL_TYPES)
    targets = {
        "2025-26": 150_000.0,
        "2026-27": 400_000.0,
        "2027-28": 650_000.0,
        "2028-29": 0.0,
        "2029-30": 0.0,
    }
    for year, target in targets.items():
        assert mitigated.loc[year, "spend_gbp"] == pytest.approx(unmitigated.loc[year, "spend_gbp"] - target)
        assert mitigated.loc[year, "costs_avoided_gbp"] == pytest.approx(target)
    # the same children, placed the same way: only the spend moves, and the balance by the running total
    assert mitigated["placements"].to_numpy() == pytest.approx(unmitigated["placements"].to_numpy())
    assert (mitigated["cumulative_balance_gbp"] - unmitigated["cumulative_balance_gbp"]).to_numpy() == (
        pytest.approx([150_000.0, 550_000.0, 1_200_000.0, 1_200_000.0, 1_200_000.0])
    )
    assert "4 workstreams" in scenario.description


# ------------------------------------------------------------------ assumptions file


VALID = {
    "unit_cost_growth_pct": {"all": 3.0},
    "income_growth_pct": 2.0,
    "non_placement_spend_growth_pct": 2.0,
    "scenarios": [SHIFT],
}


@pytest.mark.parametrize(
    ("change", "key"),
    [
        (lambda spec: spec["scenarios"][0].update({"shfit": {}}), "scenarios[0].shfit"),
        (
            lambda spec: spec["scenarios"][0]["shift"].update({"share_of_new": 1.5}),
            "scenarios[0].shift.share_of_new",
        ),
        (
            lambda spec: spec["scenarios"][0]["shift"].update({"from_year": "2026/27"}),
            "scenarios[0].shift.from_year",
        ),
        (
            lambda spec: spec["scenarios"][0]["shift"].update({"to": "special_independent"}),
            "scenarios[0].shift.to",
        ),
        (lambda spec: spec["scenarios"][0]["shift"].pop("from"), "scenarios[0].shift.from"),
        (lambda spec: spec["scenarios"][0].update({"name": "unmitigated"}), "scenarios[0].name"),
        (lambda spec: spec["scenarios"].append(dict(SHIFT)), "scenarios[1].name"),
        (
            lambda spec: spec["unit_cost_growth_pct"].update({"special_indie": 4.0}),
            "unit_cost_growth_pct.special_indie",
        ),
        (lambda spec: spec["unit_cost_growth_pct"].pop("all"), "unit_cost_growth_pct.all"),
        (lambda spec: spec.update({"income_growth_pct": {"2026-27": 3.0}}), "income_growth_pct"),
        (lambda spec: spec.update({"income_growth_pct": "3%"}), "income_growth_pct"),
        (lambda spec: spec.pop("non_placement_spend_growth_pct"), "non_placement_spend_growth_pct"),
        (lambda spec: spec.update({"years": 0}), "years"),
        (lambda spec: spec.update({"forecast": {"history_months": 6}}), "forecast.history_months"),
        (
            lambda spec: spec["scenarios"].append(
                {"name": "growth", "growth_multiplier": {"factor": -1, "from_year": "2027-28"}}
            ),
            "scenarios[1].growth_multiplier.factor",
        ),
        (lambda spec: spec["scenarios"].append({"name": "nothing"}), "scenarios[1]"),
    ],
)
def test_config_errors_name_the_key(change, key):
    spec = yaml.safe_load(yaml.safe_dump(VALID))  # a deep copy
    change(spec)
    with pytest.raises(AssumptionsError) as raised:
        parse_assumptions(spec, PROVISION_TYPES)
    assert str(raised.value).startswith(f"{key}:")


def test_shipped_assumptions_file_is_valid():
    parsed = parse_assumptions(yaml.safe_load(DEFAULT_ASSUMPTIONS_FILE.read_text()), PROVISION_TYPES)
    assert parsed.years == 5 and parsed.scenarios
    assert parsed.unit_cost_growth_rate("post16_specialist", "2026-27") == pytest.approx(0.06)
    assert parsed.unit_cost_growth_rate("post16_specialist", "2027-28") == pytest.approx(0.04)
    assert parsed.unit_cost_growth_rate("mainstream_academy", "2027-28") == pytest.approx(0.03)


def test_asset_module_does_not_import_statsmodels_when_definitions_load():
    code = "import sys, orchestration.assets.projection; print('statsmodels' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert output.stdout.strip() == "False"


# ------------------------------------------------------------------ the asset


def build_warehouse(home: Path) -> dict[str, float]:
    """Input marts with the contract's columns, plus the unit costs mart and the plan's staging view."""
    home.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(2)
    months = pd.period_range("2021-04", "2025-10", freq="M")
    levels = {
        "special_independent": (120, 1.10),
        "special_maintained": (300, 1.05),
        "mainstream_academy": (500, 1.03),
        "eotas": (8, 1.0),
        "early_years": (4, 1.0),
    }
    flows = []
    for name, (level, growth) in levels.items():
        for k, month in enumerate(months):
            active = round(level * growth ** (k / 12) * np.exp(rng.normal(0, 0.02)))
            for need, share in (("ASD", 0.6), ("SEMH", 0.4)):  # summed over need by the asset
                flows.append(
                    {
                        "month": str(month),
                        "provision_type": name,
                        "primary_need": need,
                        "starters": 2,
                        "leavers": 1,
                        "active_end_of_month": round(active * share),
                    }
                )
    lines = {"1.2.1": 9e6, "1.2.2": 12e6, "1.2.3": 10e6, "1.2.5": 1.5e6, "1.2.8": 0.5e6}
    budget = []
    for as_at, scale in (("2025-09", 0.9), ("2025-10", 1.0)):
        for line, amount in lines.items():
            budget.append(
                {
                    "financial_year": "2025-26",
                    "as_at_month": as_at,
                    "s251_line": line,
                    "budget_gbp": amount * 0.95,
                    "actual_ytd_gbp": amount * 0.5,
                    "committed_gbp": amount * 0.4,
                    "forecast_outturn_gbp": amount * 0.9 * scale,
                    "growth_gbp": amount * 0.1 * scale,
                    # the commitment view is higher: the projection must start from the expected one
                    "forecast_with_growth_gbp": amount * scale * 1.1,
                    "forecast_expected_gbp": amount * scale,
                    "variance_gbp": amount * 0.05,
                    "variance_pct": 5.0,
                }
            )
    in_year_total = sum(lines.values())
    income = 31e6
    position = [
        {
            "financial_year": "2024-25",
            "opening_balance_gbp": -2e6,
            "hn_in_year_gbp": -3e6,
            "hn_in_year_expected_gbp": -3e6,
            "closing_balance_gbp": -5e6,
            "planned_closing_balance_gbp": -5.5e6,
            "gap_to_plan_gbp": 0.5e6,
            "closing_balance_pct_of_dsg": -1.0,
        },
        {
            "financial_year": "2025-26",
            "opening_balance_gbp": -5e6,
            "hn_in_year_gbp": income - in_year_total * 1.1,
            "hn_in_year_expected_gbp": income - in_year_total,
            "closing_balance_gbp": -5e6 + income - in_year_total * 1.1,
            "planned_closing_balance_gbp": -7e6,
            "gap_to_plan_gbp": 0.0,
            "closing_balance_pct_of_dsg": -2.0,
        },
    ]
    unit_costs = pd.DataFrame(
        {
            "provision_type": list(levels),
            "unit_cost_gbp": [60_000.0, 25_000.0, 10_000.0, 40_000.0, 8_000.0],
            "unit_cost_basis": "open_at_date",
        }
    )
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute("create schema marts")
        connection.execute("create schema staging")
        # the plan's later years come from its staging view (the position only covers years with funding)
        connection.execute(
            """
            create table staging.stg_landing__deficit_plan as
            select * from (values ('2025-26', -6.0e6, -9.9e6, 'v1'), ('2026-27', -5.0e6, -12e6, 'v1'))
                as plan(financial_year, planned_hn_in_year_gbp, planned_closing_balance_gbp, plan_version)
            """
        )
        for table, frame in (
            ("marts.placement_flows", pd.DataFrame(flows)),
            ("marts.budget_vs_outturn", pd.DataFrame(budget)),
            ("marts.dsg_deficit_position", pd.DataFrame(position)),
            ("marts.projection_unit_costs", unit_costs),
        ):
            connection.register("frame", frame)
            connection.execute(f"create table {table} as select * from frame")
            connection.unregister("frame")
    return {"in_year_total": in_year_total, "income": income, "placement_lines": 31e6, "other_lines": 2e6}


def test_asset_writes_the_projection_anchored_to_the_in_year_forecast(tmp_path):
    expected = build_warehouse(tmp_path / "home")
    assumptions_file = tmp_path / "projection.yaml"
    assumptions_file.write_text(
        yaml.safe_dump(
            {
                "years": 5,
                "unit_cost_growth_pct": {"all": 3.0, "special_independent": 6.0},
                "income_growth_pct": 2.0,
                "non_placement_spend_growth_pct": 1.0,
                "scenarios": [
                    SHIFT,
                    {
                        "name": "growth_halves",
                        "growth_multiplier": {
                            "provision_types": "all",
                            "factor": 0.5,
                            "from_year": "2027-28",
                        },
                    },
                ],
            }
        )
    )
    result = dg.materialize(
        [hn_projection],
        resources={"highneeds": HighNeedsHome(home=str(tmp_path / "home"))},
        run_config={"ops": {"marts__hn_projection": {"config": {"assumptions_file": str(assumptions_file)}}}},
    )
    assert result.success
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as connection:
        table = connection.execute("select * from marts.hn_projection").df()

    types = 5
    assert len(table) == 5 * 3 * (types + 2)
    assert set(table["scenario"]) == {UNMITIGATED, "fewer_independent", "growth_halves"}
    assert sorted(table["financial_year"].unique()) == ["2025-26", "2026-27", "2027-28", "2028-29", "2029-30"]
    total = table[(table["scenario"] == UNMITIGATED) & (table["provision_type"] == ALL_TYPES)].set_index(
        "financial_year"
    )
    assert total.loc["2025-26", "spend_gbp"] == pytest.approx(expected["in_year_total"], abs=0.01)
    assert total.loc["2025-26", "income_gbp"] == pytest.approx(expected["income"])
    assert total.loc["2025-26", "cumulative_balance_gbp"] == pytest.approx(-5e6 + 31e6 - 33e6)
    assert total.loc["2025-26", "planned_closing_balance_gbp"] == -7e6  # the position's, as published
    assert total.loc["2026-27", "planned_closing_balance_gbp"] == -12e6
    assert pd.isna(total.loc["2027-28", "planned_closing_balance_gbp"])
    assert total.loc["2026-27", "income_gbp"] == pytest.approx(31e6 * 1.02)
    other = table[(table["scenario"] == UNMITIGATED) & table["provision_type"].isna()].set_index(
        "financial_year"
    )
    assert other.loc["2025-26", "spend_gbp"] == pytest.approx(expected["other_lines"])
    assert other.loc["2026-27", "spend_gbp"] == pytest.approx(expected["other_lines"] * 1.01)
    placements = table[~table["provision_type"].isin([ALL_TYPES]) & table["provision_type"].notna()]
    assert (placements["placements_p025"] <= placements["placements_p10"]).all()
    assert (placements["placements_p90"] <= placements["placements_p975"]).all()
    assert (placements["placements_p10"] < placements["placements_p90"]).any()
    # independent cost per placement grows 6 %: ratio of consecutive years
    independent = placements[
        (placements["scenario"] == UNMITIGATED) & (placements["provision_type"] == "special_independent")
    ].set_index("financial_year")
    assert independent.loc["2026-27", "cost_per_placement_gbp"] / independent.loc[
        "2025-26", "cost_per_placement_gbp"
    ] == pytest.approx(1.06)
    shifted = table[(table["scenario"] == "fewer_independent") & (table["provision_type"] == ALL_TYPES)]
    assert (shifted.set_index("financial_year")["costs_avoided_gbp"].loc["2026-27":] > 0).all()
    assert (table.loc[table["scenario"] == UNMITIGATED, "costs_avoided_gbp"] == 0).all()

    materialization = result.asset_materializations_for_node("marts__hn_projection")[0]
    metadata = materialization.metadata
    assert metadata["current_year"].value == "2025-26"
    assert metadata["as_at_month"].value == "2025-10"
    assert "data:image/png;base64," in metadata["headline"].value
    assert "| fewer_independent | 2026-27 |" in metadata["headline"].value
    assert "| unmitigated | 2025-26 | £33.0m | £31.0m | −£2.0m | −£7.0m" in metadata["headline"].value
    assert "group:other" in metadata["placement_models"].value
    calibration = metadata["interval_calibration"].value
    assert set(calibration) >= {"comparisons", "widening_factor", "coverage_80_before", "coverage_80_after"}
    assert calibration["widening_factor"] >= 1.0


def test_asset_projects_the_mitigations_file_instead_of_the_configured_scenarios(tmp_path):
    build_warehouse(tmp_path / "home")
    tracker = pd.DataFrame(
        {
            "workstream": ["Inclusion", "Inclusion", "Inclusion", "Commissioning"],
            "financial_year": ["2024-25", "2025-26", "2026-27", "2026-27"],
            "saving_still_to_come_gbp": [0.0, 300_000.0, 500_000.0, 250_000.0],
        }
    )
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb")) as connection:
        connection.register("frame", tracker)
        connection.execute("create table marts.mitigation_tracker as select * from frame")
    assumptions_file = tmp_path / "projection.yaml"
    assumptions_file.write_text(
        yaml.safe_dump(
            {
                "unit_cost_growth_pct": {"all": 3.0},
                "income_growth_pct": 2.0,
                "non_placement_spend_growth_pct": 1.0,
                "scenarios": [SHIFT],
            }
        )
    )
    result = dg.materialize(
        [hn_projection],
        resources={"highneeds": HighNeedsHome(home=str(tmp_path / "home"))},
        run_config={"ops": {"marts__hn_projection": {"config": {"assumptions_file": str(assumptions_file)}}}},
    )
    assert result.success
    with duckdb.connect(str(tmp_path / "home" / "warehouse.duckdb"), read_only=True) as connection:
        table = connection.execute("select * from marts.hn_projection where provision_type = 'all'").df()
    assert set(table["scenario"]) == {UNMITIGATED, MITIGATED}  # the configured shift is not projected
    spend = table.pivot(index="financial_year", columns="scenario", values="spend_gbp")
    saved = (spend[UNMITIGATED] - spend[MITIGATED]).to_dict()
    assert saved == pytest.approx(
        {"2025-26": 300_000.0, "2026-27": 750_000.0, "2027-28": 0.0, "2028-29": 0.0, "2029-30": 0.0}
    )
    metadata = result.asset_materializations_for_node("marts__hn_projection")[0].metadata
    assert metadata["scenarios_from"].value == "the mitigations file (2 workstreams)"


# ------------------------------------------------------------------ parameter uncertainty and calibration


def test_growth_uncertainty_comes_from_the_spread_of_year_on_year_changes():
    # 36 months: year 2 is 0.08 above year 1 (log scale), year 3 is 0.12 above year 2, month by month.
    # Year-on-year changes: twelve of 0.08 and twelve of 0.12, sd = √(24 × 0.02² / 23) = 0.020430 over
    # 2 whole years → standard error of the annual growth 0.020430 / √2 = 0.014446 = 1.4446 % a year.
    season = np.log(400) + 0.03 * np.sin(np.arange(12) / 12 * 2 * np.pi)
    log_counts = np.concatenate([season, season + 0.08, season + 0.20])
    history = pd.DataFrame(
        {
            "month": pd.period_range("2022-04", periods=36, freq="M").astype(str),
            "provision_type": "special_maintained",
            "active": np.expm1(log_counts),
        }
    )
    forecast = forecast_placements(history, 12, max_repetitions=250, calibrate=False)
    assert forecast.models["growth_se_pct_per_year"].iloc[0] == pytest.approx(1.4446, abs=1e-3)


def accelerating_history(months: int = 60) -> pd.DataFrame:
    """Growth of 2 % a year that jumps to 25 % a year after three years: what no model fitted before knew."""
    rng = np.random.default_rng(8)
    growth = np.where(np.arange(months) < 36, np.log(1.02) / 12, np.log(1.25) / 12)
    log_counts = np.log(500) + np.cumsum(growth) + rng.normal(0, 0.005, months)
    return pd.DataFrame(
        {
            "month": pd.period_range("2020-04", periods=months, freq="M").astype(str),
            "provision_type": "special_independent",
            "active": np.round(np.exp(log_counts)),
        }
    )


def test_backtest_widens_intervals_that_missed_what_happened():
    forecast = forecast_placements(accelerating_history(), 24, max_repetitions=500)
    calibration = forecast.calibration
    # forecasts made at the end of March 2022, 2023 and 2024 (two or more years in) of each later whole
    # year: 3 + 2 + 1 = 6; those made before the jump expected ~2 % and the years after grew 25 %
    assert calibration.origins == ("2022-03", "2023-03", "2024-03")
    assert calibration.comparisons == 6
    assert calibration.coverage_80_before <= 0.5
    assert calibration.factor > 2
    assert calibration.coverage_80_after >= 0.8
    widened = forecast_placements(accelerating_history(), 24, max_repetitions=500, calibrate=False)
    width = forecast.table["p90"] - forecast.table["p10"]
    assert (width > (widened.table["p90"] - widened.table["p10"])).all()


def test_steady_history_is_widened_far_less_than_a_surprising_one(planted):
    steady = planted[0].calibration
    surprising = forecast_placements(accelerating_history(), 24, max_repetitions=250).calibration
    assert steady.comparisons >= 3
    assert 1.0 <= steady.factor < 2.0 < surprising.factor
