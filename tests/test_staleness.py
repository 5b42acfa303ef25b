"""What a run rebuilds: the plan over the real asset graph, from hand-set build times, loads and files."""

from __future__ import annotations

from datetime import datetime

import dagster as dg
import pytest

from orchestration.definitions import defs
from orchestration.staleness import (
    Built,
    WarehouseState,
    landing_dataset,
    plan_run,
    with_configuration_changed,
)

BUILT_AT = datetime(2026, 11, 6, 7, 0).timestamp()
LOADED_AT = datetime(2026, 11, 6, 6, 30)
"""Every dataset was loaded at 06:30 and everything built from it at 07:00: all up to date."""

FINANCE = {
    "staging/stg_landing__hn_ledger",
    "intermediate/int_ledger_lines__by_financial_year",
    "marts/spend_by_provision_type",
    "marts/budget_vs_outturn",
    "marts/cost_per_placement",
    "marts/dsg_deficit_position",
    "marts/placement_flows",
    "marts/hn_projection",
    "reports/schools_forum_pack",
}
IMPACT = {
    "staging/stg_landing__school_outcomes",
    "intermediate/int_school_outcomes__latest",
    "marts/exclusion_rates",
    "marts/impact_panel",
    "marts/impact_estimates",
    "marts/event_study",
}


@pytest.fixture(scope="module")
def graph() -> dg.AssetGraph:
    return defs.resolve_asset_graph()


def _everything_built(graph: dg.AssetGraph, **changes: Built) -> dict[dg.AssetKey, Built]:
    builds = {
        key: Built(timestamp=BUILT_AT, code_version=graph.get(key).code_version)
        for key in graph.materializable_asset_keys
        if landing_dataset(key) is None
    }
    builds.update({dg.AssetKey(name.split("/")): built for name, built in changes.items()})
    return builds


def _warehouse_holding_everything(graph: dg.AssetGraph) -> WarehouseState:
    return WarehouseState(
        tables=frozenset(tuple(key.path) for key in graph.materializable_asset_keys if len(key.path) == 2),
        last_loaded={
            key.path[1]: LOADED_AT for key in graph.materializable_asset_keys if landing_dataset(key)
        },
    )


def _stale(plan) -> set[str]:
    return {key.to_user_string() for key in plan.stale}


def test_nothing_new_means_nothing_is_stale(graph: dg.AssetGraph) -> None:
    plan = plan_run(graph, _everything_built(graph), _warehouse_holding_everything(graph), {})
    assert plan.nothing_new
    assert plan.up_to_date_since == datetime(2026, 11, 6, 7, 0)


def test_a_new_ledger_month_rebuilds_the_finance_marts_and_leaves_the_impact_marts(
    graph: dg.AssetGraph,
) -> None:
    plan = plan_run(
        graph,
        _everything_built(graph),
        _warehouse_holding_everything(graph),
        {"hn_ledger": ["hn_ledger_2026-11.csv"]},
    )
    stale = _stale(plan)
    assert {"raw/hn_ledger", *FINANCE} <= stale
    assert stale.isdisjoint(
        IMPACT | {"raw/placements", "staging/stg_landing__placements", "marts/benchmarks"}
    )
    assert plan.stale[dg.AssetKey(["raw", "hn_ledger"])] == "new or changed file(s): hn_ledger_2026-11.csv"


def test_a_dataset_loaded_after_a_model_was_built_makes_it_and_its_descendants_stale(
    graph: dg.AssetGraph,
) -> None:
    state = _warehouse_holding_everything(graph)
    loaded = dict(state.last_loaded, school_outcomes=datetime(2026, 11, 6, 7, 30))  # after the 07:00 build
    plan = plan_run(graph, _everything_built(graph), WarehouseState(state.tables, {}, loaded), {})
    assert _stale(plan) >= IMPACT | {"reports/schools_forum_pack"}
    assert _stale(plan).isdisjoint(FINANCE - {"reports/schools_forum_pack"})


def test_a_change_to_the_dbt_project_rebuilds_every_dbt_asset_once(graph: dg.AssetGraph) -> None:
    builds = {
        key: Built(built.timestamp, "an older project" if built.code_version else None)
        for key, built in _everything_built(graph).items()
    }
    stale = _stale(plan_run(graph, builds, _warehouse_holding_everything(graph), {}))
    dbt_assets = {
        key.to_user_string() for key in graph.materializable_asset_keys if graph.get(key).code_version
    }
    assert dbt_assets and dbt_assets <= stale
    assert not any(name.startswith("raw/") for name in stale)


def test_a_failed_test_rebuilds_the_model_and_what_is_built_from_it(graph: dg.AssetGraph) -> None:
    version = graph.get(dg.AssetKey(["marts", "budget_vs_outturn"])).code_version
    builds = _everything_built(
        graph, **{"marts/budget_vs_outturn": Built(BUILT_AT, version, test_failed=True)}
    )
    stale = _stale(plan_run(graph, builds, _warehouse_holding_everything(graph), {}))
    assert {"marts/budget_vs_outturn", "marts/dsg_deficit_position", "marts/hn_projection"} <= stale
    assert "reports/schools_forum_pack" in stale
    assert stale.isdisjoint({"marts/spend_by_provision_type", "marts/cost_per_placement", *IMPACT})


def test_a_pack_skipped_last_time_is_drawn_now_though_no_file_is_new(graph: dg.AssetGraph) -> None:
    earlier = BUILT_AT - 3600  # the pack was drawn before the marts were last rebuilt
    builds = _everything_built(graph, **{"reports/schools_forum_pack": Built(earlier)})
    plan = plan_run(graph, builds, _warehouse_holding_everything(graph), {})
    assert _stale(plan) == {"reports/schools_forum_pack"}
    assert plan.stale[dg.AssetKey(["reports", "schools_forum_pack"])].startswith("built from marts/")


def test_a_dbt_model_missing_from_the_warehouse_is_rebuilt(graph: dg.AssetGraph) -> None:
    state = _warehouse_holding_everything(graph)
    without = WarehouseState(state.tables - {("marts", "exclusion_rates")}, {}, state.last_loaded)
    plan = plan_run(graph, _everything_built(graph), without, {})
    assert plan.stale[dg.AssetKey(["marts", "exclusion_rates"])] == "not in the warehouse"
    # and what is built from it: the outcomes framework's derived indicators, their tracker, the pack
    assert _stale(plan) == {
        "marts/exclusion_rates",
        "intermediate/int_outcome_indicators__derived",
        "marts/outcomes_tracker",
        "reports/schools_forum_pack",
    }


def test_an_empty_home_builds_everything(graph: dg.AssetGraph) -> None:
    plan = plan_run(graph, {}, WarehouseState(), {"hn_ledger": ["hn_ledger_2026-10.csv"]})
    assert _stale(plan) == {key.to_user_string() for key in graph.materializable_asset_keys}
    assert plan.stale[dg.AssetKey(["raw", "schools"])] == "its raw table is not in the warehouse yet"
    assert plan.up_to_date_since is None


def test_assets_made_in_one_step_are_rebuilt_together_with_what_is_built_from_them(
    graph: dg.AssetGraph,
) -> None:
    builds = _everything_built(graph)
    del builds[dg.AssetKey(["raw", "installation_benchmark_areas"])]  # as if it had never been built
    plan = plan_run(graph, builds, _warehouse_holding_everything(graph), {})
    assert (
        plan.stale[dg.AssetKey(["raw", "dfe_benchmarks"])]
        == "made in one step with raw/installation_benchmark_areas"
    )
    assert {"staging/stg_dfe__benchmarks", "marts/benchmarks", "reports/schools_forum_pack"} <= _stale(plan)
    assert _stale(plan).isdisjoint(FINANCE - {"reports/schools_forum_pack"})


def test_a_changed_configuration_makes_everything_built_from_landing_data_stale_but_no_load(
    graph: dg.AssetGraph,
) -> None:
    plan = plan_run(graph, _everything_built(graph), _warehouse_holding_everything(graph), {})

    changed = with_configuration_changed(plan, graph)

    assert FINANCE | IMPACT | {"raw/installation_benchmark_areas", "marts/benchmarks"} <= _stale(changed)
    assert not any(landing_dataset(key) for key in changed.stale)
    assert set(changed.stale.values()) == {"highneeds.yaml changed since the last complete run"}
