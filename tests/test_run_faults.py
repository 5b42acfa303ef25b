"""Whole runs of a tiny county through the real CLI: modes under umask 022, a run killed while dbt builds,
a new pseudonym key chosen explicitly, and a damaged warehouse rebuilt from the archive alone.
"""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from orchestration.leftovers import marked_processes
from orchestration.marts_compare import compare_marts
from orchestration.pseudonym_key import FINGERPRINT_TABLE, KEY_LOG_NAME
from orchestration.settings import PSEUDONYM_KEY_ENV
from tests.support.landing import ledger_line, write_landing_csv
from tests.support.small_county import write_small_county

pytestmark = pytest.mark.slow

DBT_START_TIMEOUT_SECONDS = 900


@dataclass(frozen=True)
class FirstRun:
    landing: Path
    home: Path
    returncode: int
    output: str


def _highneeds(*args: str, umask: int = 0o022) -> subprocess.Popen[str]:
    """`highneeds` as an operator starts it: key file under home (no key in the environment), umask 022."""
    environment = {name: value for name, value in os.environ.items() if name != PSEUDONYM_KEY_ENV}
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "highneeds"), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd="/",
        env=environment,
        preexec_fn=lambda: os.umask(umask),
    )


def _finished(*args: str) -> tuple[int, str]:
    process = _highneeds(*args)
    output, _ = process.communicate()
    return process.returncode, output


@pytest.fixture(scope="module")
def first_run(tmp_path_factory: pytest.TempPathFactory) -> FirstRun:
    root = tmp_path_factory.mktemp("small_county")
    landing, home = root / "landing", root / "home"
    write_small_county(landing)
    returncode, output = _finished("run", "--landing", str(landing), "--home", str(home))
    return FirstRun(landing=landing, home=home, returncode=returncode, output=output)


@pytest.fixture
def copied(first_run: FirstRun, tmp_path: Path) -> FirstRun:
    """A copy of the first run's home and landing folder, for a test that changes them."""
    assert first_run.returncode == 0, first_run.output[-3000:]
    landing, home = tmp_path / "landing", tmp_path / "home"
    shutil.copytree(first_run.landing, landing)
    shutil.copytree(first_run.home, home)
    return FirstRun(landing=landing, home=home, returncode=0, output="")


def test_every_folder_and_file_under_home_is_owner_only_after_a_run_under_umask_022(
    first_run: FirstRun,
) -> None:
    assert first_run.returncode == 0, first_run.output[-3000:]
    loose = {
        str(path.relative_to(first_run.home)): oct(stat.S_IMODE(path.lstat().st_mode))
        for path in [first_run.home, *first_run.home.rglob("*")]
        if stat.S_IMODE(path.lstat().st_mode) != (0o700 if path.is_dir() else 0o600)
    }
    assert loose == {}
    assert any(first_run.home.glob("reports/*/*OFFICIAL-SENSITIVE.xlsx"))
    assert any(first_run.home.glob("archive/placements/*.csv"))
    assert (first_run.home / "pseudonym.key").is_file()


def _dbt_build_of(home: Path, run_pid: int) -> int | None:
    for pid, owner in marked_processes(home).items():
        command = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        if owner == run_pid and any(part.endswith(b"dbt") for part in command) and b"build" in command:
            return pid
    return None


def _spend_months(home: Path) -> list[str]:
    with duckdb.connect(str(home / "warehouse.duckdb"), read_only=True) as connection:
        rows = connection.execute("select distinct month from marts.spend_by_provision_type order by 1")
        return [month for (month,) in rows.fetchall()]


def test_a_run_killed_while_dbt_builds_leaves_no_process_behind_and_the_next_run_succeeds(
    copied: FirstRun,
) -> None:
    write_landing_csv(
        copied.landing, "hn_ledger", [ledger_line("T2023-07-0", "2023-07", "1.2.5", "99.00")], month="2023-07"
    )
    run = _highneeds("run", "--landing", str(copied.landing), "--home", str(copied.home))
    deadline = time.monotonic() + DBT_START_TIMEOUT_SECONDS
    while (dbt := _dbt_build_of(copied.home, run.pid)) is None:
        assert run.poll() is None and time.monotonic() < deadline, "dbt build never started"
        time.sleep(0.2)
    run.send_signal(signal.SIGKILL)
    run.communicate()

    returncode, output = _finished("run", "--landing", str(copied.landing), "--home", str(copied.home))

    assert returncode == 0, output[-3000:]
    assert dbt not in marked_processes(copied.home)
    assert not [pid for pid, owner in marked_processes(copied.home).items() if owner == run.pid]
    assert not list(copied.home.glob(".staging-*"))
    assert _spend_months(copied.home) == ["2023-04", "2023-05", "2023-06", "2023-07"]


def test_a_new_pseudonym_key_chosen_explicitly_runs_and_is_logged(copied: FirstRun) -> None:
    (copied.home / "pseudonym.key").unlink()

    returncode, output = _finished(
        "run", "--landing", str(copied.landing), "--home", str(copied.home), "--new-pseudonym-key"
    )

    assert returncode == 0, output[-3000:]
    assert "NEW PSEUDONYM KEY: new key made with --new-pseudonym-key" in output
    assert "NEW PSEUDONYM KEY" in (copied.home / "logs" / KEY_LOG_NAME).read_text()
    assert (copied.home / "pseudonym.key").is_file()
    with duckdb.connect(str(copied.home / "warehouse.duckdb"), read_only=True) as connection:
        reasons = connection.execute(f"select reason from {FINGERPRINT_TABLE} order by recorded_at, rowid")
        assert [reason for (reason,) in reasons.fetchall()] == [
            "first key, made for this warehouse",
            "new key made with --new-pseudonym-key",
        ]


def test_a_damaged_warehouse_is_rebuilt_from_the_archive_alone_with_the_same_marts(
    copied: FirstRun, tmp_path: Path
) -> None:
    healthy = tmp_path / "healthy.duckdb"
    shutil.copy2(copied.home / "warehouse.duckdb", healthy)
    with (copied.home / "warehouse.duckdb").open("r+b") as handle:
        handle.write(os.urandom(8192))
    shutil.rmtree(copied.landing)

    returncode, output = _finished("rebuild", "--home", str(copied.home))

    assert returncode == 0, output[-3000:]
    assert "from the archive's copy of the load log" in output
    assert "the old warehouse could not be read, so its marts were not compared" in output
    comparison = compare_marts(healthy, copied.home / "warehouse.duckdb")
    assert comparison.identical, comparison.differences
    assert comparison.rows > 0
    assert len(list((copied.home / "backups").glob("replaced-*.duckdb"))) == 1


def test_a_lost_key_is_recovered_by_rebuilding_every_child_under_a_new_key(copied: FirstRun) -> None:
    (copied.home / "pseudonym.key").unlink()
    before = copied.home.parent / "before.duckdb"
    shutil.copy2(copied.home / "warehouse.duckdb", before)

    returncode, output = _finished("rebuild", "--home", str(copied.home), "--new-pseudonym-key")

    assert returncode == 0, output[-3000:]
    assert "Marts identical to the old warehouse's" in output
    assert "NEW PSEUDONYM KEY" in (copied.home / "logs" / KEY_LOG_NAME).read_text()
    children = "select count(distinct pupil_pseudonym) from raw.placements"
    with (
        duckdb.connect(str(before), read_only=True) as old,
        duckdb.connect(str(copied.home / "warehouse.duckdb"), read_only=True) as new,
    ):
        assert new.execute(children).fetchone() == old.execute(children).fetchone() == (4,)
        old_pseudonyms = {
            row[0] for row in old.execute("select pupil_pseudonym from raw.placements").fetchall()
        }
        new_pseudonyms = {
            row[0] for row in new.execute("select pupil_pseudonym from raw.placements").fetchall()
        }
        reasons = new.execute(f"select reason from {FINGERPRINT_TABLE}").fetchall()
    assert old_pseudonyms.isdisjoint(new_pseudonyms)
    assert reasons == [("warehouse rebuilt from the archive under a new key",)]
    assert (copied.home / "pseudonym.key").is_file()
