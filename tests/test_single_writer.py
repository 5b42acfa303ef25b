"""DuckDB allows one writer: a run with parallel processes must never die on "Could not set lock on file"."""

from __future__ import annotations

import os
from pathlib import Path

import dagster as dg
import pytest

from orchestration.contract import DATASETS
from orchestration.ingest import ensure_raw_tables
from orchestration.instance import prepare_dagster_home
from orchestration.partitions import months_tags
from orchestration.warehouse import connect
from tests.support.landing import ledger_line, write_landing_csv, write_minimal_reference_files
from tests.support.pipeline import query, settings_for


def monthly_job() -> dg.JobDefinition:
    """Module-level so the multiprocess executor can rebuild the job in each child process."""
    from orchestration.definitions import defs
    from orchestration.jobs import MONTHLY_RUN_JOB_NAME

    return defs.resolve_job_def(MONTHLY_RUN_JOB_NAME)


@pytest.mark.slow
def test_a_multiprocess_run_serialises_warehouse_writers_through_the_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    write_minimal_reference_files(landing)
    for month in ("2023-04", "2023-05"):
        write_landing_csv(
            landing, "hn_ledger", [ledger_line(f"T{month}", month, "1.2.5", "100.00")], month=month
        )
    settings = settings_for(landing, tmp_path / "home")
    prepare_dagster_home(settings)
    settings.export_env()
    monkeypatch.setenv("DAGSTER_HOME", str(settings.dagster_home))
    # dbt's tests of the selected models only: its default (eager) would also pick the seeds' relationship
    # tests on models outside the selection, never built in this fresh warehouse.
    monkeypatch.setenv("DBT_INDIRECT_SELECTION", "cautious")
    # The spend mart and everything it is built from: several landing loads and dbt, all writers, each step
    # its own process (the impact, projection and pack steps would only add start-up time). The raw tables
    # of the datasets left out are made empty first, as a first run would.
    spend_and_its_inputs = (
        dg.AssetSelection.assets(dg.AssetKey(["marts", "spend_by_provision_type"])).upstream()
        | dg.AssetSelection.groups("reference")  # the seeds its relationship tests look up
    ).resolve(monthly_job().asset_layer.asset_graph)
    assert sum(key.path[0] == "raw" for key in spend_and_its_inputs) >= 3
    with connect(settings.warehouse) as connection:
        for dataset in DATASETS.values():
            ensure_raw_tables(connection, dataset)
    with dg.DagsterInstance.get() as instance:
        result = dg.execute_job(
            dg.reconstructable(monthly_job),
            instance=instance,
            asset_selection=list(spend_and_its_inputs),
            run_config={"execution": {"config": {"multiprocess": {"max_concurrent": 4}}}},
            tags=months_tags(["2023-04", "2023-05"]),
        )
        assert result.success, [e.message for e in result.all_events if e.is_failure]
        failures = [e for e in result.all_events if "Could not set lock" in (e.message or "")]
    assert failures == []
    totals = query(
        settings, "select count(*) as n, sum(actual_gbp) as total from marts.spend_by_provision_type"
    )
    assert (totals.n[0], float(totals.total[0])) == (2, 200.0)
    assert os.environ["HIGHNEEDS_WAREHOUSE"] == str(settings.warehouse)
