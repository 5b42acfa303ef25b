"""How long a month of `highneeds run` takes on the county demo, each figure beside a plain `dbt build`.

Prints the whole-process wall time (median of --runs; a single run when the first takes over a minute) of:
  1. `highneeds run` from an empty home;
  2. the same home after one new ledger month is dropped in (the home is prepared without it, untimed);
  3. `highneeds run` again with nothing new;
  4. `highneeds check` of the landing folder;
  5. plain `dbt build` over a copy of the warehouse run 1 left,
then each as a ratio to (5), and where the time of the first empty-home run went (its progress lines).
Usage: python benchmarks/bench_run.py [--runs 3] [--scale county] [--latest-month 2026-10]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
_PROGRESS_LINE = re.compile(r"^\[\s*(?P<seconds>[\d.]+)s\] (?P<message>.*)$")
_MILESTONES = {
    "first file checked": re.compile(r": checking "),
    "dbt started": re.compile(r"^dbt: (building|nothing|selected)"),
    "dbt finished": re.compile(r"^dbt: build finished|^dbt: .*finished"),
    "pack drawn": re.compile(r"^Schools Forum pack for .* written"),
}


@dataclass(frozen=True)
class Timed:
    seconds: float
    stdout: str
    stderr: str


def timed(args: list[str], env: dict[str, str], allowed_codes: tuple[int, ...] = (0,)) -> Timed:
    """Run one whole process and return its wall time; stop the benchmark if it failed."""
    started = time.perf_counter()
    completed = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode not in allowed_codes:
        sys.exit(f"{' '.join(args[:2])} failed:\n{completed.stdout[-3000:]}\n{completed.stderr[-3000:]}")
    return Timed(seconds, completed.stdout, completed.stderr)


def highneeds(*args: str | Path) -> list[str]:
    return [str(BIN / "highneeds"), *(str(arg) for arg in args)]


def plain_dbt_build(warehouse: Path, target: Path) -> list[str]:
    return [
        str(BIN / "dbt"),
        "build",
        "--quiet",
        "--project-dir",
        str(ROOT / "dbt_project"),
        "--profiles-dir",
        str(ROOT / "dbt_project"),
        "--target-path",
        str(target),
        "--log-path",
        str(target),
    ]


def milestones(stderr: str) -> dict[str, float]:
    """Seconds into the run at which each milestone's first progress line was printed."""
    found: dict[str, float] = {}
    for line in stderr.splitlines():
        match = _PROGRESS_LINE.match(line)
        if not match:
            continue
        for name, pattern in _MILESTONES.items():
            if name not in found and pattern.search(match["message"]):
                found[name] = float(match["seconds"])
    return found


LONG_RUN_SECONDS = 60.0
"""A measurement whose first run takes longer than this is not repeated (one such run is precise enough)."""


def median_of(label: str, runs: int, one_run) -> float:
    """Median wall time of `runs` calls of `one_run(index)` (one call only when the first is long)."""
    seconds: list[float] = []
    for index in range(runs):
        seconds.append(one_run(index).seconds)
        print(f"  {label} #{index + 1}: {seconds[-1]:.1f} s", flush=True)
        if seconds[0] > LONG_RUN_SECONDS:
            break
    return statistics.median(seconds)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="repeats of each measurement (median shown)")
    parser.add_argument("--scale", default="county", choices=["county", "national"])
    parser.add_argument("--latest-month", default="2026-10")
    options = parser.parse_args()
    env = {**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": "benchmark-key"}
    print(f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores", flush=True)
    with tempfile.TemporaryDirectory(prefix="bench-run-") as scratch_name:
        scratch = Path(scratch_name)
        landing = scratch / "landing"
        generated = timed(
            highneeds(
                "demo", "--landing", landing, "--scale", options.scale, "--latest-month", options.latest_month
            ),
            env,
        )
        print(f"demo generation ({options.scale}): {generated.seconds:.1f} s", flush=True)
        new_ledger = landing / f"hn_ledger_{options.latest_month}.csv"
        landing_before = scratch / "landing_before"
        shutil.copytree(landing, landing_before)
        (landing_before / new_ledger.name).unlink()

        empty_runs: list[Timed] = []

        def empty_home_run(index: int) -> Timed:
            empty_runs.append(
                timed(highneeds("run", "--landing", landing, "--home", scratch / f"home{index}"), env)
            )
            return empty_runs[-1]

        figures = {
            "run from an empty home": median_of("run from an empty home", options.runs, empty_home_run)
        }
        home = scratch / "home0"

        prepared = scratch / "prepared"
        timed(highneeds("run", "--landing", landing_before, "--home", prepared), env)

        def new_month_run(index: int) -> Timed:
            copy = scratch / f"new_month{index}"
            shutil.copytree(prepared, copy, symlinks=True)
            return timed(highneeds("run", "--landing", landing, "--home", copy), env)

        figures["one new ledger month"] = median_of("one new ledger month", options.runs, new_month_run)
        figures["re-run with nothing new"] = median_of(
            "re-run with nothing new",
            options.runs,
            lambda _index: timed(highneeds("run", "--landing", landing, "--home", home), env),
        )
        figures["highneeds check"] = median_of(
            "highneeds check",
            options.runs,
            lambda _index: timed(highneeds("check", "--landing", landing, "--home", home), env, (0, 1)),
        )
        dbt_home = scratch / "dbt_only"
        dbt_home.mkdir()
        shutil.copy2(home / "warehouse.duckdb", dbt_home / "warehouse.duckdb")
        dbt_env = {**env, "HIGHNEEDS_WAREHOUSE": str(dbt_home / "warehouse.duckdb")}
        figures["plain dbt build"] = median_of(
            "plain dbt build",
            options.runs,
            lambda index: timed(
                plain_dbt_build(dbt_home / "warehouse.duckdb", dbt_home / f"target{index}"), dbt_env
            ),
        )

        floor = figures["plain dbt build"]
        print(
            f"\nwhole-process wall time, median of {options.runs} "
            f"({options.scale}, to {options.latest_month}):"
        )
        for name, seconds in figures.items():
            print(f"  {name:<26} {seconds:7.1f} s   {seconds / floor:5.2f} × plain dbt build")
        print("first empty-home run, seconds into the run at which:")
        for name, seconds in milestones(empty_runs[0].stderr).items():
            print(f"  {name:<26} {seconds:7.1f} s")
        print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
