"""Build every finance mart at national scale (≈30× the county) and print rows, wall time and peak memory.

Steps, each timed: generate the national demo; ingest every landing dataset (the real ingest, checks
included); `dbt build` of the finance marts and everything upstream. Peak memory is the resident set of
this process (ingest) and of the dbt child process, from `resource.getrusage`.
Usage: python benchmarks/bench_finance_national.py [--latest-month 2026-10] [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb

from expectations.folder import dataset_order
from orchestration.contract import DATASETS
from orchestration.dbt_manifest import dbt_executable
from orchestration.demo import generate_demo
from orchestration.ingest import load_landing_dataset
from orchestration.settings import DBT_PROJECT_DIR, Settings

FINANCE_MARTS = [
    "spend_by_provision_type",
    "cost_per_placement",
    "budget_vs_outturn",
    "dsg_deficit_position",
    "placement_flows",
]


def peak_mib(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--latest-month", default="2026-10")
    parser.add_argument("--keep", type=Path, default=None, help="keep the landing folder and home here")
    parser.add_argument(
        "--reuse-landing", action="store_true", help="use the landing folder already in --keep"
    )
    options = parser.parse_args()
    os.environ.setdefault("HIGHNEEDS_PSEUDONYM_KEY", "benchmark-key")
    scratch = options.keep or Path(tempfile.mkdtemp(prefix="hn-national-"))
    landing, home = scratch / "landing", scratch / "home"

    if not (options.reuse_landing and landing.is_dir()):
        started = time.perf_counter()
        summary = generate_demo(landing, scale="national", latest_month=options.latest_month)
        print(
            f"generate national demo: {time.perf_counter() - started:.1f} s, "
            f"{sum(summary.rows.values()):,} landing rows in {len(summary.files)} files"
        )
    if home.exists():
        shutil.rmtree(home)

    settings = Settings(home=home, landing=landing)
    settings.ensure_dirs()
    started = time.perf_counter()
    for dataset in (DATASETS[name] for name in dataset_order()):  # referenced datasets first, as a run
        step = time.perf_counter()
        result = load_landing_dataset(settings, dataset)
        print(
            f"  ingest {dataset.name:<16} {result.rows_loaded:>12,} rows {time.perf_counter() - step:7.1f} s"
        )
    print(
        f"ingest total: {time.perf_counter() - started:.1f} s, "
        f"peak memory {peak_mib(resource.RUSAGE_SELF):,.0f} MiB"
    )

    env = {**os.environ, "HIGHNEEDS_WAREHOUSE": str(settings.warehouse)}
    select = " ".join(f"+{mart}" for mart in FINANCE_MARTS)
    started = time.perf_counter()
    completed = subprocess.run(
        [
            dbt_executable(),
            "build",
            "--quiet",
            "--select",
            select,
            "resource_type:seed",
            "--indirect-selection",
            "cautious",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(scratch / "dbt_target"),
            "--log-path",
            str(scratch / "dbt_target"),
        ],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0:
        sys.exit(completed.stdout[-4000:])
    print(
        f"dbt build of the finance marts: {time.perf_counter() - started:.1f} s, "
        f"peak memory {peak_mib(resource.RUSAGE_CHILDREN):,.0f} MiB"
    )
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        for mart in FINANCE_MARTS:
            rows = connection.execute(f"select count(*) from marts.{mart}").fetchone()[0]
            print(f"  marts.{mart:<26} {rows:>10,} rows")
    print(f"warehouse size: {settings.warehouse.stat().st_size / 2**20:,.0f} MiB ({scratch})")


if __name__ == "__main__":
    main()
