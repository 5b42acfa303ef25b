"""How fast the quality gate and the loader are on the county demo, and how much memory they take.

Prints, each as whole-process wall time, CPU time (user + system: what the work costs whatever else the
machine is doing) and peak resident memory (median of 3 runs where a run is under a minute, else one run):
- `highneeds check` of the demo landing folder, against an empty home (every file is checked);
- ingest of the whole demo from an empty home (every dataset through `load_landing_dataset`, as the
  landing assets call it);
- ingest of one new ledger month into a warehouse that holds all the others;
- `highneeds check` of one 1,000,000-row ledger file (the memory bound: batches, not files).
Usage: python benchmarks/bench_ingest.py [--landing DIR] (default: a fresh demo, latest month 2026-10)
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parent.parent
_INGEST = """
import sys
from pathlib import Path
from expectations.folder import dataset_order
from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.settings import Settings

settings = Settings(home=Path(sys.argv[1]), landing=Path(sys.argv[2]))
for name in dataset_order():
    load_landing_dataset(settings, DATASETS[name], raise_on_refusal=False)
"""


def measured(args: list[str], env: dict[str, str]) -> tuple[float, float, float]:
    """(wall seconds, peak resident MB, CPU seconds) of one process."""
    started = time.perf_counter()
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    output = process.stdout.read().decode() + process.stderr.read().decode()  # type: ignore[union-attr]
    if os.waitstatus_to_exitcode(status) not in (0, 1):  # check exits 1 when a file would be refused
        sys.exit(f"{' '.join(args[:3])} failed:\n{output[-3000:]}")
    return seconds, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def median_of_three(run, label: str) -> None:
    """Run once; again twice more if it took under a minute; print the median."""
    figures = [run()]
    if figures[0][0] < 60:
        figures += [run(), run()]
    seconds, peak, cpu = (statistics.median(f[i] for f in figures) for i in range(3))
    runs = f"median of {len(figures)}" if len(figures) > 1 else "1 run"
    print(
        f"{label:<52} {seconds:6.1f} s wall  {cpu:6.1f} s CPU  peak RSS {peak:6,.0f} MB  ({runs})", flush=True
    )


def write_large_ledger(path: Path, rows: int) -> None:
    header = (
        "transaction_id,period,posting_date,cost_centre,s251_line,provision_type,provider_urn,"
        "provider_name,placement_id,amount_gbp,description\n"
    )
    with path.open("w", encoding="utf-8", newline="") as handle:
        handle.write(header)
        for n in range(rows):
            handle.write(
                f"TX{n:08d},2025-10,2025-10-{n % 28 + 1:02d},HN{n % 40:03d},1.2.{n % 3 + 1},,"
                f'{100000 + n % 500},Provider {n % 500},,{n % 9000 + 1}.{n % 100:02d},"line {n}, note"\n'
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--landing", type=Path, default=None, help="a demo landing folder to use")
    options = parser.parse_args()
    env = {**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": "benchmark-key", "PYTHONPATH": str(ROOT)}
    with tempfile.TemporaryDirectory() as scratch_name:
        scratch = Path(scratch_name)
        landing = options.landing
        if landing is None:
            landing = scratch / "landing"
            subprocess.run(
                [str(BIN / "highneeds"), "demo", "--landing", str(landing), "--latest-month", "2026-10"],
                env=env,
                check=True,
                capture_output=True,
            )
        files = [p for p in landing.iterdir() if p.is_file()]
        print(
            f"landing folder: {len(files)} files, {sum(p.stat().st_size for p in files) / 1e6:,.0f} MB "
            f"({landing})"
        )

        def check(folder: Path) -> tuple[float, float, float]:
            home = Path(tempfile.mkdtemp(dir=scratch))
            return measured(
                [str(BIN / "highneeds"), "check", "--landing", str(folder), "--home", str(home)], env
            )

        def ingest_from_empty() -> tuple[float, float, float]:
            home = Path(tempfile.mkdtemp(dir=scratch))
            return measured([sys.executable, "-c", _INGEST, str(home), str(landing)], env)

        median_of_three(lambda: check(landing), "highneeds check of the demo folder")
        median_of_three(ingest_from_empty, "ingest of the demo from an empty home")

        newest = max(landing.glob("hn_ledger_*.csv"))
        all_but_newest = scratch / "all-but-newest"
        all_but_newest.mkdir()
        for path in files:
            if path != newest:
                shutil.copy2(path, all_but_newest)
        loaded = scratch / "loaded-home"
        subprocess.run([sys.executable, "-c", _INGEST, str(loaded), str(all_but_newest)], env=env, check=True)

        def one_new_month() -> tuple[float, float, float]:
            home = Path(tempfile.mkdtemp(dir=scratch))
            shutil.copytree(loaded, home, dirs_exist_ok=True)
            with_newest = Path(tempfile.mkdtemp(dir=scratch))
            shutil.copytree(all_but_newest, with_newest, dirs_exist_ok=True)
            shutil.copy2(newest, with_newest)
            return measured([sys.executable, "-c", _INGEST, str(home), str(with_newest)], env)

        median_of_three(one_new_month, f"ingest of one new ledger month ({newest.name})")

        large = scratch / "large"
        large.mkdir()
        write_large_ledger(large / "hn_ledger_2025-10.csv", 1_000_000)

        median_of_three(lambda: check(large), "highneeds check of a 1,000,000-row ledger file")


if __name__ == "__main__":
    main()
