"""The demo county in an LA's own layout, read through its highneeds.yaml, gives the very same marts.

`highneeds demo --layout local` writes the county with local headers and columns the platform must never
keep (a child's name, a postcode, an e-mail, a second UPN); `highneeds run --config` loads it. The marts
equal those of the same county with contract headers (the session's `demo_run`), and none of the extra
columns' values is in the warehouse, the logs, the Dagster event log, the quarantine or the reports.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.csv as pa_csv
import pytest

from orchestration.demo.layouts import PERSONAL_EXTRA_COLUMNS
from tests.conftest import DEMO_LATEST_MONTH, DemoRun, highneeds_cli
from tests.support.leaks import found_in, home_text, warehouse_text
from tests.support.pipeline import mart_rows

pytestmark = pytest.mark.slow


def extra_values(landing: Path, per_column: int = 150) -> list[str]:
    """A sample of each personal extra column's values, from every placements file."""
    values: set[str] = set()
    for path in sorted(landing.glob("placements_*.csv")):
        table = pa_csv.read_csv(
            path, convert_options=pa_csv.ConvertOptions(include_columns=PERSONAL_EXTRA_COLUMNS)
        )
        for column in PERSONAL_EXTRA_COLUMNS:
            values.update(table.column(column).unique().to_pylist()[:per_column])
    return sorted(values)


def test_the_local_layout_loads_to_the_same_marts_and_keeps_none_of_its_extra_columns(
    demo_run: DemoRun, tmp_path: Path
):
    landing, home, config = tmp_path / "landing", tmp_path / "home", tmp_path / "highneeds.yaml"
    written = highneeds_cli(
        "demo",
        "--landing",
        str(landing),
        "--latest-month",
        DEMO_LATEST_MONTH,
        "--layout",
        "local",
        "--config",
        str(config),
    )
    assert written.returncode == 0, written.stderr[-2000:]
    assert "Amount (£)" in (landing / "hn_ledger_2021-04.csv").read_text(encoding="utf-8").splitlines()[0]
    secrets = extra_values(landing)
    assert len(secrets) > 400

    ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home), "--config", str(config))

    assert ran.returncode == demo_run.returncode, ran.stdout[-3000:]
    assert "personal data dropped, not stored" in ran.stdout  # a warning under its file: column names only
    assert mart_rows(home / "warehouse.duckdb") == mart_rows(demo_run.warehouse)
    leaked = {
        "warehouse": found_in(warehouse_text(home / "warehouse.duckdb"), secrets),
        "home (logs, Dagster event log, quarantine, reports, Data Docs)": found_in(home_text(home), secrets),
        "run output": found_in(ran.stdout + ran.stderr, secrets),
    }
    assert not any(leaked.values()), leaked
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        dropped = connection.execute(
            "select distinct unnest(dropped_columns) from raw._file_loads where dataset = 'placements'"
        ).fetchall()
    assert {row[0] for row in dropped} >= set(PERSONAL_EXTRA_COLUMNS), "their names are in the load log"
