"""Shared fixtures: one demo county, generated and run once per test session through the real CLI."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from filelock import FileLock

from tests.support.pipeline import TEST_PSEUDONYM_KEY

DEMO_LATEST_MONTH = "2022-09"
"""Short enough to keep the session quick, long enough for a closed year and a year in progress."""


@dataclass(frozen=True)
class DemoRun:
    landing: Path
    home: Path
    output: str
    returncode: int
    landing_before_run: dict[str, str]
    """Every landing file's sha256 as the demo wrote it, before the run read the folder."""

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    def warehouse_copy(self, folder: Path) -> Path:
        """A copy of the demo's warehouse under `folder`, for a test to spoil; the run must have succeeded."""
        assert self.returncode == 0, self.output[-3000:]
        copy = folder / "warehouse.duckdb"
        shutil.copy2(self.warehouse, copy)
        return copy


def highneeds_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The installed `highneeds` console script, run as a user would, from an unrelated folder."""
    executable = Path(sys.executable).parent / "highneeds"
    return subprocess.run(
        [str(executable), *args],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        env={**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY, **(env or {})},
    )


@pytest.fixture(scope="session")
def demo_run(tmp_path_factory: pytest.TempPathFactory, worker_id: str) -> DemoRun:
    """The demo county, generated and run once for the whole session, even across pytest-xdist workers.

    The first worker to ask builds it under a lock; the others wait and read the same folders. No test
    changes them (tests that need to, copy them first).
    """
    base = tmp_path_factory.getbasetemp()
    shared = base if worker_id == "master" else base.parent  # the folder every worker of this session shares
    root = shared / "demo"
    landing, home, record = root / "landing", root / "home", root / "run.json"
    with FileLock(str(shared / "demo.lock")):
        if not record.exists():
            generated = highneeds_cli(
                "demo", "--landing", str(landing), "--home", str(home), "--latest-month", DEMO_LATEST_MONTH
            )
            assert generated.returncode == 0, generated.stderr
            before = folder_digests(landing)
            ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home))
            record.write_text(
                json.dumps(
                    {
                        "output": ran.stdout + ran.stderr,
                        "returncode": ran.returncode,
                        "landing_before_run": before,
                    }
                )
            )
        recorded = json.loads(record.read_text())
    return DemoRun(
        landing=landing,
        home=home,
        output=recorded["output"],
        returncode=recorded["returncode"],
        landing_before_run=recorded["landing_before_run"],
    )


def folder_digests(folder: Path) -> dict[str, str]:
    """Every file under `folder` (relative path) with its sha256: equal before and after = untouched."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


LONGEST_FILES = (
    "test_incremental_runs.py",
    "test_run_faults.py",
    "test_automation.py",
    "test_quality_end_to_end.py",
    "test_local_layout.py",
    "test_no_value_leaks.py",
    "test_rebuild.py",
    "test_impact_on_demo.py",
    "test_single_writer.py",
)
"""The test files that take longest (whole-pipeline runs, 1-5 minutes each on two cores), longest first."""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The longest files first, then the other files with whole-pipeline tests (marked slow), then the rest;
    each file's own order kept.

    pytest-xdist hands out whole files in this order (`--dist loadfile`), so the longest start first and the
    quick ones fill in at the end, instead of one worker finishing a long file alone while the other waits.
    """
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.path.name in LONGEST_FILES:
            return 0, LONGEST_FILES.index(item.path.name)
        return (1, 0) if item.path in slow_files else (2, 0)

    items.sort(key=rank)
