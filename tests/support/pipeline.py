"""Run the real pipeline pieces in tests: real ingest into a real DuckDB file, the real dbt CLI.

`materialise_all` goes through Dagster exactly as `highneeds run` does; `load_and_build` is the faster
path for tests of one mart (ingest every dataset, then `dbt build --select +<model>`).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import duckdb
import pandas as pd

from expectations.folder import dataset_order
from orchestration.contract import DATASETS
from orchestration.dbt_launcher import parent_env
from orchestration.dbt_manifest import dbt_env, dbt_executable, ensure_manifest
from orchestration.ingest import load_landing_dataset
from orchestration.marts_compare import LOAD_TIME_SUFFIX
from orchestration.settings import DBT_PROJECT_DIR, Settings

TEST_PSEUDONYM_KEY = "test-key-not-secret"


def settings_for(landing: Path, home: Path) -> Settings:
    os.environ.setdefault("HIGHNEEDS_PSEUDONYM_KEY", TEST_PSEUDONYM_KEY)
    settings = Settings(home=home.resolve(), landing=landing.resolve())
    settings.ensure_dirs()
    return settings


def load_all(settings: Settings) -> None:
    """Ingest every landing dataset (empty tables for datasets with no files)."""
    # as a run does: each dataset after those it is checked against (placements, control totals, ledger)
    for name in dataset_order():
        load_landing_dataset(settings, DATASETS[name])


def dbt_build(settings: Settings, select: str | None = None) -> subprocess.CompletedProcess[str]:
    """`dbt build` with the real CLI against the settings' warehouse; raises with dbt's output on failure."""
    ensure_manifest()
    args = ["build", "--quiet"]
    if select:
        args += ["--select", select, "resource_type:seed", "--indirect-selection", "cautious"]
    completed = dbt_against(settings.warehouse, settings.home / "dbt_target", *args)
    if completed.returncode != 0:
        raise AssertionError(f"dbt build failed:\n{completed.stdout[-6000:]}\n{completed.stderr[-2000:]}")
    return completed


def dbt_against(warehouse: Path, target: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The real dbt CLI (`args`, e.g. `test --select …`) on the warehouse file, writing under `target`."""
    return subprocess.run(
        [
            dbt_executable(),
            *args,
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
        ],
        env=dbt_env(HIGHNEEDS_WAREHOUSE=str(warehouse), **parent_env()),
        capture_output=True,
        text=True,
        check=False,
    )


def load_and_build(landing: Path, home: Path, select: str | None = None) -> Settings:
    settings = settings_for(landing, home)
    load_all(settings)
    dbt_build(settings, select)
    return settings


def query(settings: Settings, sql: str, params: list[object] | None = None) -> pd.DataFrame:
    """Read from the warehouse (read-only, closed straight away)."""
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(sql, params or []).df()


def mart_rows(warehouse: Path) -> dict[str, list[tuple]]:
    """Every mart's rows, sorted, without the columns that say when a file was loaded (`*_loaded_at`):
    two runs of the same data differ only there, so equal rows mean equal figures."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns = connection.execute(
            "select table_name, list(column_name order by ordinal_position) from information_schema.columns "
            "where table_schema = 'marts' group by table_name order by table_name"
        ).fetchall()
        return {
            name: connection.execute(
                "select "
                + ", ".join(f'"{column}"' for column in names if not column.endswith(LOAD_TIME_SUFFIX))
                + f" from marts.{name} order by all"
            ).fetchall()
            for name, names in columns
        }
