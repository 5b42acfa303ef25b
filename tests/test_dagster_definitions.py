"""The Dagster code location: one Definitions object, dbt tests as checks, one warehouse writer at a time."""

from __future__ import annotations

import subprocess
import sys

import dagster as dg

from orchestration.definitions import defs
from orchestration.jobs import MONTHLY_RUN_JOB_NAME


def _asset_graph() -> dg.AssetGraph:  # type: ignore[name-defined]
    return defs.resolve_asset_graph()


def test_every_asset_that_touches_the_warehouse_is_in_the_warehouse_pool() -> None:
    graph = _asset_graph()
    pools = {
        key.to_user_string(): graph.get(key).pools
        for key in graph.get_all_asset_keys()
        if graph.get(key).is_materializable
    }
    assert pools, "no materialisable assets"
    assert {name for name, pool in pools.items() if pool != {"warehouse"}} == set()


def test_each_landing_dataset_has_one_raw_asset_feeding_its_staging_model() -> None:
    graph = _asset_graph()
    for dataset in ("hn_ledger", "placements", "school_outcomes", "hn_budget", "schools"):
        staging = dg.AssetKey(["staging", f"stg_landing__{dataset}"])
        assert graph.get(staging).parent_keys == {dg.AssetKey(["raw", dataset])}


def test_dbt_staging_tests_are_dagster_asset_checks() -> None:
    check_names = {
        key.name
        for key in _asset_graph().asset_check_keys
        if key.asset_key == dg.AssetKey(["staging", "stg_landing__hn_ledger"])
    }
    assert {
        # one test per model for the columns that must have a value (`tests/generic/not_null_columns.sql`)
        "not_null_columns_stg_landing__hn_ledger_transaction_id__cost_centre__s251_line__ledger_month__posting_date__amount_gbp",
        # one per model for its other rules on single columns (`tests/generic/column_rules.sql`)
        "column_rules_stg_landing__hn_ledger",
        # and one per model it looks values up in that is not upstream of it
        "column_rules_stg_landing__hn_ledger__to_s251_lines",
    } <= check_names


def test_the_monthly_job_selects_every_asset() -> None:
    job = defs.resolve_job_def(MONTHLY_RUN_JOB_NAME)
    assert dg.AssetKey(["marts", "spend_by_provision_type"]) in job.asset_layer.selected_asset_keys


def test_loading_the_definitions_imports_no_great_expectations_statsmodels_or_matplotlib() -> None:
    heavy = ("great_expectations", "statsmodels", "matplotlib", "openpyxl")
    probe = (
        "import sys; from orchestration.definitions import defs;"
        f"print(sorted(m for m in {heavy!r} if m in sys.modules))"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"


def test_every_dbt_asset_carries_the_fingerprint_of_the_dbt_project_as_its_code_version() -> None:
    from orchestration.dbt_manifest import project_fingerprint

    graph = _asset_graph()
    versions = {
        graph.get(key).code_version for key in graph.materializable_asset_keys if key.path[0] == "marts"
    }
    assert project_fingerprint() in versions
    assert graph.get(dg.AssetKey(["marts", "spend_by_provision_type"])).code_version == project_fingerprint()


def test_the_cli_help_speaks_to_a_finance_officer_without_loading_the_pipeline() -> None:
    probe = (
        "import sys; from click.testing import CliRunner; from orchestration.cli import main;"
        "r = CliRunner().invoke(main, ['--help']); print(r.output);"
        "print('dagster' in sys.modules, 'great_expectations' in sys.modules)"
    )
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert "highneeds run" in completed.stdout and "demo" in completed.stdout
    assert completed.stdout.strip().endswith("False False")
