"""How long `highneeds run` takes on the county demo, from an empty home, beside a plain `dbt build`.

Prints the whole-process wall time of each run (median of --runs), then the time of `dbt build` alone
over the warehouse the last run left. Usage: python benchmarks/bench_run.py [--runs 3] [--scale county]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent


def timed(args: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    completed = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        sys.exit(f"{' '.join(args[:2])} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--scale", default="county", choices=["county", "national"])
    parser.add_argument("--latest-month", default="2026-10")
    options = parser.parse_args()
    env = {**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": "benchmark-key"}
    with tempfile.TemporaryDirectory() as scratch:
        landing = Path(scratch) / "landing"
        generate = timed(
            [
                str(BIN / "highneeds"),
                "demo",
                "--landing",
                str(landing),
                "--scale",
                options.scale,
                "--latest-month",
                options.latest_month,
            ],
            env,
        )
        print(f"demo generation ({options.scale}): {generate:.1f} s")
        run_seconds = []
        for index in range(options.runs):
            home = Path(scratch) / f"home{index}"
            seconds = timed(
                [str(BIN / "highneeds"), "run", "--landing", str(landing), "--home", str(home)], env
            )
            run_seconds.append(seconds)
            print(f"highneeds run #{index + 1} (empty home): {seconds:.1f} s")
        rerun = timed([str(BIN / "highneeds"), "run", "--landing", str(landing), "--home", str(home)], env)
        print(f"highneeds run again with nothing new: {rerun:.1f} s")
        dbt_env = {**env, "HIGHNEEDS_WAREHOUSE": str(home / "warehouse.duckdb")}
        dbt_seconds = timed(
            [
                str(BIN / "dbt"),
                "build",
                "--quiet",
                "--project-dir",
                str(ROOT / "dbt_project"),
                "--profiles-dir",
                str(ROOT / "dbt_project"),
                "--target-path",
                str(Path(scratch) / "dbt_target"),
            ],
            dbt_env,
        )
        print(f"plain dbt build (same warehouse): {dbt_seconds:.1f} s")
        print(f"median highneeds run: {statistics.median(run_seconds):.1f} s over {len(run_seconds)} runs")


if __name__ == "__main__":
    main()
