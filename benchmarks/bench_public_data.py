"""Time to read the vendored DfE files and to validate an installation's configuration.

Each figure comes from a fresh process (imports included), as a command pays it: parsing every DfE file into
the tidy benchmarks table (the `dfe_benchmarks` asset), reading the LA profiles, and loading a
`highneeds.yaml` with listed neighbours and one whose neighbours are computed (which also reads the
benchmarking table to check the LA has a population). Target: each well under 3 s on one free core.
Run from the repository root: ``.venv/bin/python benchmarks/bench_public_data.py [repeats]``.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

REPEATS = 3

_TIMED = {
    "parse every DfE file (load_public_benchmarks)": """
        from orchestration.public_data import load_public_benchmarks
        load_public_benchmarks()
    """,
    "read the LA profiles (read_la_profile_figures)": """
        from orchestration.public_data import read_la_profile_figures
        read_la_profile_figures()
    """,
    "load highneeds.yaml, neighbours listed": """
        from orchestration.config import load_config
        load_config(Path(CONFIG_DIR) / "listed.yaml")
    """,
    "load highneeds.yaml, neighbours computed": """
        from orchestration.config import load_config
        load_config(Path(CONFIG_DIR) / "computed.yaml")
    """,
}


def _seconds(body: str, config_dir: Path) -> float:
    code = (
        "import time\nfrom pathlib import Path\nCONFIG_DIR = {!r}\nstart = time.perf_counter()\n"
        "{}\nprint(time.perf_counter() - start)"
    )
    script = code.format(str(config_dir), textwrap.dedent(body))
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return float(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    repeats = int(sys.argv[1]) if len(sys.argv) > 1 else REPEATS
    with tempfile.TemporaryDirectory() as scratch:
        config_dir = Path(scratch)
        (config_dir / "listed.yaml").write_text("la_code: 916\nstatistical_neighbours: [885, 937]\n")
        (config_dir / "computed.yaml").write_text("la_code: 886\n")
        for label, body in _TIMED.items():
            runs = [_seconds(body, config_dir) for _ in range(repeats)]
            print(
                f"{label:<50} median {statistics.median(runs):5.2f} s  (min {min(runs):.2f}, {repeats} runs)"
            )


if __name__ == "__main__":
    main()
