"""A million-row ledger is checked in batches, in memory that does not grow with the file.

The check runs in a subprocess so that its peak resident memory (`ru_maxrss`) is its own: first on a
250,000-row file, then on a 1,000,000-row one. The high-water mark may rise with the chunk size, not with
the number of rows, and a duplicate id far apart in the file and a bad last line are still found.
Timings are printed by `benchmarks/bench_quality_large_file.py`, not asserted here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

CHUNK_ROWS = 100_000
MAX_GROWTH_MB = 60
"""Allowed rise of the high-water mark between a 250k- and a 1M-row file (4× the rows)."""
MAX_CHUNK_MEMORY_MB = 600
"""Allowed rise above the process's size once everything is imported, for 100k-row chunks."""

_SCRIPT = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path

    from expectations.context import ValidationContext
    from expectations.gate import FileToCheck, check_dataset_files, make_runner
    from orchestration.contract import identify_landing_file

    HEADER = ("transaction_id,period,posting_date,cost_centre,s251_line,provision_type,provider_urn,"
              "provider_name,placement_id,amount_gbp,description\\n")

    def write_ledger(path, rows):
        with path.open("w", encoding="utf-8", newline="") as handle:
            handle.write(HEADER)
            for n in range(rows):
                tid = "TX00000007" if n == rows - 100_000 else f"TX{n:08d}"  # repeats line 9 far below it
                amount = '"12,34"' if n == rows - 1 else f"{n % 9000 + 1}.{n % 100:02d}"
                handle.write(f"{tid},2025-10,2025-10-{n % 28 + 1:02d},HN{n % 40:03d},1.2.{n % 3 + 1},,"
                             f"{100000 + n % 500},Provider {n % 500},,{amount},\\"line {n}, note\\"\\n")

    def peak_mb():
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

    folder = Path(sys.argv[1])
    runner = make_runner()
    result = {"baseline_mb": peak_mb()}
    for label, rows in (("small", 250_000), ("large", 1_000_000)):
        path = folder / "hn_ledger_2025-10.csv"
        write_ledger(path, rows)
        landing_file = identify_landing_file(path)
        context = ValidationContext(landing_file.dataset, None)
        (report,) = check_dataset_files(
            [FileToCheck(landing_file)], context, runner, batch_rows=int(sys.argv[2])
        )
        result[label] = {
            "rows": report.rows_checked,
            "peak_mb": peak_mb(),
            "problems": [p.to_json() for p in report.problems],
        }
        path.unlink()
    print(json.dumps(result))
    """
)


def test_a_million_row_file_is_checked_in_bounded_memory(tmp_path: Path):
    completed = subprocess.run(
        [sys.executable, "-c", _SCRIPT, str(tmp_path), str(CHUNK_ROWS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    result = json.loads(completed.stdout.strip().splitlines()[-1])
    small, large = result["small"], result["large"]
    assert large["rows"] == 1_000_000

    rules = {(p["rule"], p["column"]): p for p in large["problems"]}
    duplicate = rules[("duplicate_transaction_id", "transaction_id")]
    assert duplicate["rows"] == [900_002]  # found across chunks: line 9 is in the first chunk
    money = rules[("invalid_money", "amount_gbp")]
    assert money["rows"] == [1_000_001] and "commas may only separate thousands" in money["message"]

    assert large["peak_mb"] - small["peak_mb"] < MAX_GROWTH_MB, result
    assert large["peak_mb"] - result["baseline_mb"] < MAX_CHUNK_MEMORY_MB, result
