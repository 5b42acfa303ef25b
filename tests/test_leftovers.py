"""What a killed run leaves behind is found and removed when the next writer starts.

Findings reproduced (issue 16, item 6): after a `kill -9` the orphaned `dbt build` kept writing while a new
run started, and a staging copy of a landing file (names, date of birth, UPN) stayed under home.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import DATASETS
from orchestration.ingest import STAGING_SCHEMA, load_landing_dataset
from orchestration.leftovers import RUN_OWNER_ENV, stop_orphans_of_killed_runs
from orchestration.run_start import start_writing
from orchestration.settings import Settings
from tests.support.landing import make_upn, placement, write_landing_csv
from tests.support.pipeline import query, settings_for

_STAND_IN_FOR_A_RUN = """
import os, subprocess, sys
env = {**os.environ, "HIGHNEEDS_RUN_OWNER": f"{os.getpid()}:{sys.argv[1]}"}
child = subprocess.Popen([sys.executable, "-c", sys.argv[2]], env=env, stdout=subprocess.PIPE, text=True)
child.stdout.readline()
print(child.pid, flush=True)
sys.stdin.read()
"""
"""A parent that marks its children as `highneeds run` does, starts one and waits until it is ready."""
_SLEEPER = "import time; print('ready', flush=True); time.sleep(300)"


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _start_run_with_a_child(home: Path, child_code: str = _SLEEPER) -> tuple[subprocess.Popen[str], int]:
    """A stand-in for `highneeds run` and the pid of its child (a stand-in for `dbt build`)."""
    parent = subprocess.Popen(
        [sys.executable, "-c", _STAND_IN_FOR_A_RUN, str(home), child_code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert parent.stdout is not None
    return parent, int(parent.stdout.readline())


def test_a_process_left_running_by_a_killed_run_is_stopped_at_the_next_start(tmp_path: Path) -> None:
    home = tmp_path / "home"
    parent, child = _start_run_with_a_child(home)
    try:
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        assert _running(child)  # what the red team saw: the child outlives the run

        stopped = stop_orphans_of_killed_runs(home)

        assert stopped == [child]
        assert not _running(child)
    finally:
        if _running(child):
            os.kill(child, signal.SIGKILL)


def test_the_children_of_a_live_run_and_of_other_homes_are_left_alone(tmp_path: Path) -> None:
    live_parent, live_child = _start_run_with_a_child(tmp_path / "home")
    other_parent, other_child = _start_run_with_a_child(tmp_path / "another-home")
    try:
        other_parent.send_signal(signal.SIGKILL)
        other_parent.wait()

        assert stop_orphans_of_killed_runs(tmp_path / "home") == []

        assert _running(live_child) and _running(other_child)
    finally:
        for pid in (live_child, other_child):
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
        live_parent.kill()
        live_parent.wait()


def test_a_run_marks_its_children_with_its_pid_and_home(tmp_path: Path) -> None:
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    previous = os.environ.pop(RUN_OWNER_ENV, None)
    try:
        start_writing(settings)
        assert os.environ[RUN_OWNER_ENV] == f"{os.getpid()}:{settings.home}"
    finally:
        os.environ.pop(RUN_OWNER_ENV, None)
        if previous is not None:
            os.environ[RUN_OWNER_ENV] = previous


@pytest.fixture
def loaded(tmp_path: Path) -> Settings:
    """A home with one placements file loaded, as a run leaves it."""
    landing = tmp_path / "landing"
    write_landing_csv(
        landing,
        "placements",
        [placement("P1", make_upn(916, 2001, 12, 1), "special_maintained", "2023-09-01", None, "21000.00")],
        month="2024-01",
    )
    settings = settings_for(landing, tmp_path / "home")
    load_landing_dataset(settings, DATASETS["placements"])
    return settings


def test_staging_copies_and_tables_a_killed_run_left_are_removed_when_the_next_run_starts(
    loaded: Settings,
) -> None:
    staging = loaded.home / ".staging-k1ll3d"
    staging.mkdir()
    (staging / "placements_2024-02.csv").write_text(
        "upn,forename,surname,date_of_birth\nA,Alex,Example,2012-05-17\n"
    )
    with duckdb.connect(str(loaded.warehouse)) as connection:
        connection.execute(f"create schema if not exists {STAGING_SCHEMA}")
        connection.execute(
            f"create table {STAGING_SCHEMA}.placements__0 as select 'half-loaded' as placement_id"
        )

    start = start_writing(loaded)

    assert start.scratch_removed == [staging] and not staging.exists()
    schemas = query(
        loaded, "select schema_name from duckdb_schemas() where schema_name = ?", [STAGING_SCHEMA]
    )
    assert schemas.empty
    assert start.backup is not None  # taken before the first write, which dropped the scratch tables
    with duckdb.connect(str(start.backup), read_only=True) as connection:
        in_backup = connection.execute(f"select placement_id from {STAGING_SCHEMA}.placements__0").fetchall()
    assert in_backup == [("half-loaded",)]


def test_an_archive_copy_cut_short_by_a_kill_is_removed_and_the_loaded_versions_are_kept(
    loaded: Settings,
) -> None:
    archived = sorted((loaded.archive_dir / "placements").iterdir())
    content = b"placement_id,upn\nP9,"
    cut_short = (
        loaded.archive_dir / "placements" / f"{hashlib.sha256(content + b'rest').hexdigest()[:12]}_p.csv"
    )
    cut_short.write_bytes(content)  # the first bytes only: the copy was killed half-way
    whole = loaded.archive_dir / "placements" / f"{hashlib.sha256(content).hexdigest()[:12]}_q.csv"
    whole.write_bytes(content)  # whole but never loaded (its load was refused or rolled back): kept

    start = start_writing(loaded)

    assert start.archive_copies_removed == [cut_short]
    assert sorted((loaded.archive_dir / "placements").iterdir()) == sorted([*archived, whole])


def test_the_archive_keeps_a_copy_of_the_load_log_at_each_start(loaded: Settings) -> None:
    start_writing(loaded)

    copy = (loaded.archive_dir / "_file_loads.csv").read_text().splitlines()
    assert copy[0] == "dataset,extract_month,source_file,source_sha256,row_count,loaded_at,archived_as"
    assert [[*line.split(",")[:3], line.split(",")[4]] for line in copy[1:]] == [
        ["placements", "2024-01", "placements_2024-01.csv", "1"]
    ]


def test_a_stopped_process_is_waited_for_so_its_warehouse_lock_is_free(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse.duckdb"
    writer = (
        f"import duckdb, time; c = duckdb.connect({str(warehouse)!r}); "
        "c.execute('create table t as select 1 as a'); print('ready', flush=True); time.sleep(300)"
    )
    parent, child = _start_run_with_a_child(tmp_path / "home", writer)
    parent.send_signal(signal.SIGKILL)
    parent.wait()

    assert stop_orphans_of_killed_runs(tmp_path / "home") == [child]

    with duckdb.connect(str(warehouse)) as connection:  # "Could not set lock on file" if still held
        assert connection.execute("select a from t").fetchall() == [(1,)]
