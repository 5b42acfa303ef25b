"""`not_null_columns`, the one test per model that replaces a `not_null` test per column."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DemoRun
from tests.support.pipeline import dbt_against


def _test_schools(warehouse: Path, target: Path) -> dict:
    """`dbt test` of the staging schools model's not_null_columns test alone; its run result."""
    completed = dbt_against(
        warehouse,
        target,
        "test",
        "--quiet",
        "--select",
        "stg_landing__schools,test_name:not_null_columns",
        "--store-failures",
    )
    (result,) = json.loads((target / "run_results.json").read_text())["results"]
    return {"returncode": completed.returncode, **result}


@pytest.mark.slow
def test_a_null_in_a_required_column_fails_the_test_naming_the_column_and_counting_its_rows(
    demo_run: DemoRun, tmp_path: Path
):
    warehouse = demo_run.warehouse_copy(tmp_path)

    clean = _test_schools(warehouse, tmp_path / "clean")
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute(
            "update raw.schools set school_name = null where rowid in (select rowid from raw.schools limit 2)"
        )
    spoiled = _test_schools(warehouse, tmp_path / "spoiled")

    assert (clean["returncode"], clean["status"], clean["failures"]) == (0, "pass", 0)
    assert (spoiled["returncode"], spoiled["status"], spoiled["failures"]) == (1, "fail", 1)  # one column
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        stored = connection.execute(
            f"select column_name, null_rows from {spoiled['relation_name']}"
        ).fetchall()
    assert stored == [("school_name", 2)]
