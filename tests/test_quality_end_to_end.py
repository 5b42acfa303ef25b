"""A bad file through the real `highneeds run`: refused with a reason, nothing changed, fixed next run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from orchestration.contract import DATASETS
from tests.support.landing import write_landing_csv
from tests.support.pipeline import TEST_PSEUDONYM_KEY, mart_rows, settings_for
from tests.test_quality_refusals import (
    comparable_contents,
    ledger_month,
    load_everything,
    warehouse_fingerprint,
    write_good_landing,
)

pytestmark = pytest.mark.slow


def highneeds(*args: str) -> subprocess.CompletedProcess[str]:
    """The installed console script, from an unrelated folder, as a finance officer would run it."""
    return subprocess.run(
        [str(Path(sys.executable).parent / "highneeds"), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        env={**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY},
    )


def landing_tables(warehouse: Path) -> dict[str, object]:
    """The fingerprint of the tables landing files load (other assets add tables of their own)."""
    found = warehouse_fingerprint(warehouse)
    return {
        name: value
        for name, value in found.items()
        if name in DATASETS or name == "_file_loads" or name.startswith("sum ")
    }


def test_highneeds_run_refuses_a_bad_file_and_the_fixed_file_loads_next_run(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    write_good_landing(settings.landing)
    load_everything(settings)  # last month's good data
    before = landing_tables(settings.warehouse)

    fixed = ledger_month("2023-07")
    bad = [dict(row) for row in fixed]
    bad[4]["placement_id"] = "P404"
    bad[5]["amount_gbp"] = "1.234,56"
    write_landing_csv(settings.landing, "hn_ledger", bad, month="2023-07")

    refused = highneeds("run", "--landing", str(settings.landing), "--home", str(settings.home))
    output = refused.stdout + refused.stderr
    assert refused.returncode != 0, output
    assert "FAILED" in output and "hn_ledger_2023-07.csv was refused" in output
    assert "row 6, column 'placement_id'" in output and "[placement_not_in_snapshot]" in output
    assert "row 7, column 'amount_gbp'" in output and "[invalid_money]" in output
    assert "P404" not in output and "P40…" in output
    quarantined = sorted(p.name for p in settings.quarantine_dir.iterdir())
    assert len(quarantined) == 3 and quarantined[0].endswith("_hn_ledger_2023-07.csv")
    assert {name.removeprefix(quarantined[0]) for name in quarantined} == {"", ".report.json", ".txt"}
    assert landing_tables(settings.warehouse) == before
    built = mart_rows(settings.warehouse)
    assert not {"spend_by_provision_type", "budget_vs_outturn", "cost_per_placement"} & set(built), (
        "no mart built from the ledger was built on top of its refused file"
    )

    write_landing_csv(settings.landing, "hn_ledger", fixed, month="2023-07")  # fixed and saved again
    rerun = highneeds("run", "--landing", str(settings.landing), "--home", str(settings.home))
    assert "✗ raw__" not in rerun.stdout and "was refused" not in rerun.stdout + rerun.stderr, rerun.stdout[
        -3000:
    ]

    clean = settings_for(tmp_path / "clean-landing", tmp_path / "clean-home")
    write_good_landing(clean.landing)
    load_everything(clean)
    write_landing_csv(clean.landing, "hn_ledger", fixed, month="2023-07")
    never_refused = highneeds("run", "--landing", str(clean.landing), "--home", str(clean.home))
    # Later assets (the forecast, the pack) may want more history than this small county has: whatever
    # they make of it, the run after the fix must end exactly as a run that never saw the bad file.
    assert rerun.returncode == never_refused.returncode
    assert [line for line in rerun.stdout.splitlines() if "✗" in line] == [
        line for line in never_refused.stdout.splitlines() if "✗" in line
    ]
    assert comparable_contents(settings.warehouse) == comparable_contents(clean.warehouse)
    assert mart_rows(settings.warehouse) == mart_rows(clean.warehouse)
