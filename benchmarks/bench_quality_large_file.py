"""Time and memory of the quality gate on a million-row `hn_ledger` file.

For each chunk size, a fresh process (so the peak resident memory is its own) checks the file with
`highneeds check`'s code path (read → type → Great Expectations suite per chunk → file summary), and then
loads it with the real ingest (the same checks, plus staging and the DuckDB transaction). Prints seconds,
rows per second and the rise of the peak resident memory above the process once everything is imported.
Run from the repository root: ``.venv/bin/python benchmarks/bench_quality_large_file.py [rows]``.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

ROWS = 1_000_000
CHUNK_SIZES = (50_000, 100_000, 200_000)

_MEASURE = textwrap.dedent(
    """
    import json, os, resource, sys, time
    from pathlib import Path

    os.environ.setdefault("HIGHNEEDS_PSEUDONYM_KEY", "benchmark-key")
    from expectations.validate import SuiteRunner
    from orchestration.contract import DATASETS, identify_landing_file
    from orchestration.ingest import load_landing_dataset
    from orchestration.quality.check import check_landing_file
    from orchestration.quality.context import ValidationContext
    from orchestration.settings import Settings

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    landing, home, mode, chunk_rows = Path(sys.argv[1]), Path(sys.argv[2]), sys.argv[3], int(sys.argv[4])
    runner = SuiteRunner()
    baseline = peak_mb()
    started = time.perf_counter()
    if mode == "check":
        landing_file = identify_landing_file(landing / "hn_ledger_2025-10.csv")
        report = check_landing_file(landing_file, ValidationContext(landing_file.dataset, None), runner,
                                    chunk_rows=chunk_rows)
        rows, problems = report.rows_checked, len(report.problems)
    else:
        result = load_landing_dataset(Settings(home=home, landing=landing), DATASETS["hn_ledger"],
                                      chunk_rows=chunk_rows)
        rows, problems = result.rows_loaded, len(result.warnings)
    print(json.dumps({"seconds": time.perf_counter() - started, "rows": rows, "problems": problems,
                      "baseline_mb": baseline, "peak_mb": peak_mb()}))
    """
)


def write_ledger(path: Path, rows: int) -> None:
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


def measure(landing: Path, home: Path, mode: str, chunk_rows: int) -> dict[str, float]:
    root = Path(__file__).resolve().parents[1]
    completed = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(landing), str(home), mode, str(chunk_rows)],
        capture_output=True,
        text=True,
        check=True,
        cwd=root,
    )
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else ROWS
    with tempfile.TemporaryDirectory() as folder:
        landing = Path(folder) / "landing"
        landing.mkdir()
        path = landing / "hn_ledger_2025-10.csv"
        write_ledger(path, rows)
        print(f"hn_ledger_2025-10.csv: {rows:,} rows, {path.stat().st_size / 1e6:,.0f} MB")
        print(f"{'mode':<6} {'chunk rows':>10} {'seconds':>8} {'rows/s':>9} {'peak MB above imports':>22}")
        for chunk_rows in CHUNK_SIZES:
            for mode in ("check", "load"):
                home = Path(folder) / f"home-{mode}-{chunk_rows}"
                figures = measure(landing, home, mode, chunk_rows)
                print(
                    f"{mode:<6} {chunk_rows:>10,} {figures['seconds']:>8.1f} "
                    f"{figures['rows'] / figures['seconds']:>9,.0f} "
                    f"{figures['peak_mb'] - figures['baseline_mb']:>22,.0f}"
                )


if __name__ == "__main__":
    main()
