"""dbt's unit tests (the hand-worked given/expect rows in the models' `.yml`) run here, in the test suite:
a monthly run leaves them out (`--exclude-resource-type unit_test`), so this is where they must pass."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from orchestration.dbt_manifest import manifest_json
from tests.conftest import DemoRun
from tests.support.pipeline import dbt_against


@pytest.mark.slow
def test_every_dbt_unit_test_runs_in_the_test_suite_and_passes(demo_run: DemoRun, tmp_path: Path) -> None:
    warehouse = demo_run.warehouse_copy(tmp_path)  # unit tests read their models' column types from it
    target = tmp_path / "target"
    completed = dbt_against(warehouse, target, "test", "--select", "test_type:unit")
    assert completed.returncode == 0, completed.stdout[-4000:]
    results = json.loads((target / "run_results.json").read_text())["results"]
    declared = set(manifest_json()["unit_tests"])
    assert declared, "the dbt project declares no unit tests"
    assert {result["unique_id"] for result in results} == declared
    assert {result["status"] for result in results} == {"pass"}
