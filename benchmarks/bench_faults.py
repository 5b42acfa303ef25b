"""Fault benchmark: `highneeds run` killed with SIGKILL at random points, then run again.

On a small demo county (seeded), one clean run gives the reference marts and its timeline of progress
lines. Then for each of --runs rounds, in a fresh home: start `highneeds run`, SIGKILL it at a random point
(seeded: a moment drawn uniformly over the clean run's length, placed in the same stage of the killed run —
after the same progress line, by the same delay, unless the next line comes first — because this shared
machine's speed varies too much for a wall-clock moment to land in the same stage twice), run it again to the
end, and check that
- the marts are identical to the clean run's (every table, column and sorted row);
- no staging copy of a landing file (`<home>/.staging-*`) and no `_ingest_staging` table is left;
- no process the killed run started is still running (1 s after the kill, and after the next start);
- every archived file still has the sha256 its load logged.
Prints one line per round and the totals, and how many files the runs added to the source tree (dbt's
`target/` and `logs/` belong under home). Usage:
    python benchmarks/bench_faults.py [--runs 10] [--seed 16] [--latest-month 2021-09] [--keep DIR]
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb

from orchestration.leftovers import marked_processes
from orchestration.load_log import read_load_log
from orchestration.marts_compare import compare_marts
from orchestration.settings import DBT_PROJECT_DIR

HIGHNEEDS = Path(sys.executable).parent / "highneeds"
ENVIRONMENT = {**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": "fault-benchmark-key"}
_PROGRESS_LINE = re.compile(r"^\[\s*(?P<seconds>[\d.]+)s\] (?P<what>.*)$")


@dataclass(frozen=True)
class KillPoint:
    """Once the run has printed `after_line` progress lines, wait `delay` s (or until the next line)."""

    after_line: int
    delay: float


@dataclass
class Round:
    number: int
    kill_after_seconds: float
    doing_at_kill: str
    orphans_after_kill: int
    staging_left_by_kill: int
    rerun_seconds: float
    rerun_exit: int
    orphans_after_rerun: int
    staging_left_after_rerun: int
    marts_identical: bool
    archive_intact: bool
    differences: list[str]

    @property
    def passed(self) -> bool:
        return (
            self.rerun_exit == 0
            and self.orphans_after_rerun == 0
            and self.staging_left_after_rerun == 0
            and self.marts_identical
            and self.archive_intact
        )


def _run(landing: Path, home: Path, log: Path) -> subprocess.Popen[str]:
    with log.open("w") as output:
        return subprocess.Popen(
            [str(HIGHNEEDS), "run", "--landing", str(landing), "--home", str(home)],
            stdout=output,
            stderr=subprocess.STDOUT,
            text=True,
            env=ENVIRONMENT,
        )


def _progress(log: Path) -> list[tuple[float, str]]:
    """The run's progress lines so far: (seconds since it started, what it was doing)."""
    return [
        (float(match["seconds"]), match["what"])
        for line in log.read_text().splitlines()
        if (match := _PROGRESS_LINE.match(line))
    ]


def _kill_point(clean_timeline: list[tuple[float, str]], moment: float) -> KillPoint:
    passed = [seconds for seconds, _ in clean_timeline if seconds <= moment]
    return KillPoint(after_line=len(passed), delay=moment - (passed[-1] if passed else 0.0))


def _last_progress(log: Path) -> str:
    lines = _progress(log)
    return lines[-1][1][:60] if lines else "starting (imports)"


def _staging_left(home: Path) -> int:
    """Staging folders under home, plus scratch tables in the warehouse."""
    folders = len(list(home.glob(".staging-*")))
    warehouse = home / "warehouse.duckdb"
    if not warehouse.exists():
        return folders
    try:
        with duckdb.connect(str(warehouse), read_only=True) as connection:
            tables = connection.execute(
                "select count(*) from duckdb_tables() where schema_name = '_ingest_staging'"
            ).fetchone()[0]
    except duckdb.Error:  # a killed writer's lock or log: counted by the rerun instead
        return folders
    return folders + tables


def _archive_intact(home: Path) -> bool:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        loads = read_load_log(connection)
    for load in loads:
        archived = load.archived_file(home / "archive")
        with archived.open("rb") as handle:
            if hashlib.file_digest(handle, "sha256").hexdigest() != load.source_sha256:
                return False
    return bool(loads)


def _files_in_source_tree() -> int:
    return sum(
        1 for folder in ("target", "logs") for path in (DBT_PROJECT_DIR / folder).rglob("*") if path.is_file()
    )


def _orphans_of(home: Path, pid: int) -> int:
    return sum(owner == pid for owner in marked_processes(home).values())


def _wait_for_the_kill_point(run: subprocess.Popen[str], log: Path, point: KillPoint) -> None:
    while len(_progress(log)) < point.after_line and run.poll() is None:
        time.sleep(0.05)
    deadline = time.monotonic() + point.delay
    while time.monotonic() < deadline and len(_progress(log)) <= point.after_line and run.poll() is None:
        time.sleep(0.05)


def _round(number: int, landing: Path, scratch: Path, clean: Path, point: KillPoint) -> Round:
    home = scratch / f"home{number}"
    log = scratch / f"round{number}-killed.log"
    started = time.monotonic()
    run = _run(landing, home, log)
    _wait_for_the_kill_point(run, log, point)
    kill_after = time.monotonic() - started
    doing = _last_progress(log) if run.poll() is None else "finished before the kill"
    run.send_signal(signal.SIGKILL)
    run.wait()
    time.sleep(1.0)
    orphans_after_kill = _orphans_of(home, run.pid)
    staging_left_by_kill = _staging_left(home)

    started = time.monotonic()
    rerun = _run(landing, home, scratch / f"round{number}-rerun.log")
    rerun.wait()
    rerun_seconds = time.monotonic() - started
    comparison = compare_marts(clean, home / "warehouse.duckdb") if rerun.returncode == 0 else None
    return Round(
        number=number,
        kill_after_seconds=kill_after,
        doing_at_kill=doing,
        orphans_after_kill=orphans_after_kill,
        staging_left_by_kill=staging_left_by_kill,
        rerun_seconds=rerun_seconds,
        rerun_exit=rerun.returncode,
        orphans_after_rerun=_orphans_of(home, run.pid),
        staging_left_after_rerun=_staging_left(home),
        marts_identical=bool(comparison and comparison.identical),
        archive_intact=rerun.returncode == 0 and _archive_intact(home),
        differences=comparison.differences if comparison else ["the rerun failed"],
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--seed", type=int, default=16, help="Seed of the kill moments.")
    parser.add_argument("--demo-seed", type=int, default=42)
    parser.add_argument("--latest-month", default="2021-09", help="Last month of the small demo.")
    parser.add_argument("--keep", type=Path, default=None, help="Work in this folder and keep it.")
    options = parser.parse_args()
    scratch = options.keep or Path(tempfile.mkdtemp(prefix="bench-faults-"))
    scratch.mkdir(parents=True, exist_ok=True)
    landing = scratch / "landing"
    subprocess.run(
        [
            str(HIGHNEEDS),
            "demo",
            "--landing",
            str(landing),
            "--seed",
            str(options.demo_seed),
            "--latest-month",
            options.latest_month,
        ],
        check=True,
        capture_output=True,
        env=ENVIRONMENT,
    )
    source_tree_files = _files_in_source_tree()
    started = time.monotonic()
    clean_run = _run(landing, scratch / "clean", scratch / "clean.log")
    if clean_run.wait() != 0:
        sys.exit(f"the clean run failed: see {scratch / 'clean.log'}")
    clean_seconds = time.monotonic() - started
    clean = scratch / "clean" / "warehouse.duckdb"
    clean_timeline = _progress(scratch / "clean.log")
    print(f"small demo to {options.latest_month} (seed {options.demo_seed}); clean run {clean_seconds:.0f} s")
    print(
        f"{'round':>5} {'kill at':>8}  {'doing when killed':<60} {'orphans':>7} {'staging':>7} "
        f"{'rerun':>6} {'exit':>4} {'orphans':>7} {'staging':>7} {'marts':>9} {'archive':>7}"
    )
    moments = random.Random(options.seed)
    rounds = []
    for number in range(1, options.runs + 1):
        point = _kill_point(clean_timeline, moments.uniform(0.0, clean_timeline[-1][0]))
        result = _round(number, landing, scratch, clean, point)
        rounds.append(result)
        print(
            f"{result.number:>5} {result.kill_after_seconds:>7.1f}s  {result.doing_at_kill:<60} "
            f"{result.orphans_after_kill:>7} {result.staging_left_by_kill:>7} {result.rerun_seconds:>5.0f}s "
            f"{result.rerun_exit:>4} {result.orphans_after_rerun:>7} {result.staging_left_after_rerun:>7} "
            f"{'identical' if result.marts_identical else 'DIFFER':>9} "
            f"{'ok' if result.archive_intact else 'BAD':>7}",
            flush=True,
        )
        for difference in result.differences[:5]:
            print(f"        {difference}")
    print("(orphans/staging: first after the kill, then after the rerun)")
    print(
        f"rounds passed: {sum(r.passed for r in rounds)}/{len(rounds)}; marts identical in "
        f"{sum(r.marts_identical for r in rounds)}; "
        f"reruns succeeded {sum(r.rerun_exit == 0 for r in rounds)}; "
        f"processes left running 1 s after the kill: {sum(r.orphans_after_kill for r in rounds)}, "
        f"after the next start: {sum(r.orphans_after_rerun for r in rounds)}; "
        f"staging left by kills: {sum(r.staging_left_by_kill for r in rounds)}, "
        f"after the reruns: {sum(r.staging_left_after_rerun for r in rounds)}"
    )
    print(
        f"files the runs added to the source tree (dbt_project/target, logs): "
        f"{_files_in_source_tree() - source_tree_files}"
    )
    print(f"work folder: {scratch}")


if __name__ == "__main__":
    main()
