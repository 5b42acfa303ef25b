"""A month in seconds: `highneeds run` rebuilds only what new files change, says when nothing is new, lets a
refused file stop only what is built from it, never writes into `dbt_project/`, and leaves no dbt behind
when it is killed. Real CLI runs on a small landing folder, read back from the warehouse and Dagster's log."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import pytest

from orchestration.config import starter_config
from orchestration.settings import DBT_PROJECT_DIR
from tests.conftest import highneeds_cli
from tests.support.landing import write_landing_csv
from tests.support.pipeline import TEST_PSEUDONYM_KEY, query, settings_for
from tests.test_quality_refusals import ledger_month, outcomes_with, write_good_landing

MONTH_TOTAL_GBP = 26166.66
"""One `ledger_month`: five lines of £5,000.00 and two of £583.33."""


@pytest.fixture(scope="module")
def built_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A landing folder (ledger, placements, school outcomes, reference files) and the home one run built."""
    root = tmp_path_factory.mktemp("built")
    landing, home = root / "landing", root / "home"
    write_good_landing(landing)
    ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home))
    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    return landing, home


@pytest.fixture
def copy_of_built_home(built_home: tuple[Path, Path], tmp_path: Path) -> tuple[Path, Path]:
    landing, home = tmp_path / "landing", tmp_path / "home"
    shutil.copytree(built_home[0], landing)
    shutil.copytree(built_home[1], home)
    return landing, home


def _materialised_by_last_run(home: Path) -> set[str]:
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        run = instance.get_runs(limit=1)[0]
        records = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.ASSET_MATERIALIZATION)
        return {record.event_log_entry.dagster_event.asset_key.to_user_string() for record in records.records}


def _dagster_runs(home: Path) -> int:
    with dg.DagsterInstance.from_config(str(home / "dagster")) as instance:
        return len(instance.get_runs())


def _tree(folder: Path) -> list[tuple[str, int]]:
    return sorted((str(path.relative_to(folder)), path.stat().st_mtime_ns) for path in folder.rglob("*"))


@pytest.mark.slow
def test_a_run_with_nothing_new_starts_no_dagster_run_loads_no_dagster_and_says_so(
    copy_of_built_home: tuple[Path, Path],
) -> None:
    landing, home = copy_of_built_home
    runs_before = _dagster_runs(home)
    probe = (
        "import sys\n"
        "from orchestration.run import run_pipeline\n"
        "from orchestration.settings import Settings\n"
        f"outcome = run_pipeline(Settings(home=Path({str(home)!r}), landing=Path({str(landing)!r})))\n"
        "print(outcome.summary_text().splitlines()[0])\n"
        "print(sorted(m for m in ('dagster', 'dbt', 'pandas', 'great_expectations') if m in sys.modules))\n"
    )
    ran = subprocess.run(
        [sys.executable, "-c", "from pathlib import Path\n" + probe],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY},
    )
    headline, heavy_modules = ran.stdout.strip().splitlines()[-2:]
    assert headline.startswith("Nothing new since ") and "; outputs unchanged" in headline, ran.stderr[-2000:]
    assert heavy_modules == "[]"
    assert _dagster_runs(home) == runs_before
    logs = sorted((home / "logs").glob("run-*.log"))
    assert "Nothing new since" in logs[-1].read_text()  # the run is recorded in its log all the same


@pytest.mark.slow
def test_a_new_ledger_month_rebuilds_what_is_built_from_the_ledger_and_nothing_else(
    copy_of_built_home: tuple[Path, Path],
) -> None:
    landing, home = copy_of_built_home
    project_before = _tree(DBT_PROJECT_DIR)
    write_landing_csv(landing, "hn_ledger", ledger_month("2023-07"), month="2023-07")

    ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home))

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "Landing files: 1 loaded, 20 unchanged" in ran.stdout
    assert "loaded    hn_ledger_2023-07.csv" in ran.stdout
    built = _materialised_by_last_run(home)
    assert {"raw/hn_ledger", "marts/spend_by_provision_type", "marts/budget_vs_outturn"} <= built
    assert "reports/schools_forum_pack" in built  # its inputs changed: drawn again
    assert built.isdisjoint(
        {
            "raw/placements",
            "raw/school_outcomes",
            "marts/exclusion_rates",
            "marts/impact_panel",
            "marts/benchmarks",
        }
    )
    july = query(
        settings_for(landing, home),
        "select sum(actual_gbp) as total from marts.spend_by_provision_type where month = '2023-07'",
    )
    assert float(july.total[0]) == MONTH_TOTAL_GBP
    assert _tree(DBT_PROJECT_DIR) == project_before  # dbt's target, logs and manifest live elsewhere
    run_folders = sorted((home / "dbt" / "runs").iterdir())
    assert len(run_folders) == 2
    ran_in_dbt = {
        r["unique_id"] for r in json.loads((run_folders[-1] / "run_results.json").read_text())["results"]
    }
    assert any(node.startswith("test.") for node in ran_in_dbt)  # data tests run with the month
    assert not any(node.startswith("unit_test.") for node in ran_in_dbt)  # unit tests: the test suite's


@pytest.mark.slow
def test_a_changed_configuration_rebuilds_the_benchmarks_though_no_file_is_new(
    copy_of_built_home: tuple[Path, Path],
) -> None:
    landing, home = copy_of_built_home
    (home / "highneeds.yaml").write_text(starter_config(886), encoding="utf-8")  # Kent, not the demo county

    ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home))

    assert ran.returncode == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    assert "Nothing new" not in ran.stdout
    built = _materialised_by_last_run(home)
    assert {"raw/installation_benchmark_areas", "marts/benchmarks", "reports/schools_forum_pack"} <= built
    assert "raw/hn_ledger" not in built  # its files were loaded already
    areas = query(
        settings_for(landing, home),
        "select old_la_code from raw.installation_benchmark_areas where role = 'la'",
    )
    assert areas.old_la_code.tolist() == [886]
    again = highneeds_cli("run", "--landing", str(landing), "--home", str(home))
    assert "Nothing new since" in again.stdout


@pytest.mark.slow
def test_a_refused_school_outcomes_file_stops_the_impact_marts_but_not_the_finance_marts(
    copy_of_built_home: tuple[Path, Path],
) -> None:
    landing, home = copy_of_built_home
    write_landing_csv(landing, "hn_ledger", ledger_month("2023-07"), month="2023-07")
    bad_outcomes = outcomes_with(
        lambda rows: next(r for r in rows if r["characteristic"] == "ehcp").update(suspensions=-1)
    )(landing)

    ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home))

    assert ran.returncode == 1
    assert f"refused   {bad_outcomes.name}" in ran.stdout and "loaded    hn_ledger_2023-07.csv" in ran.stdout
    assert f"landing_refusals: {bad_outcomes.name} was refused" in ran.stdout
    assert "marts/exclusion_rates — built from school_outcomes, whose new file was refused" in ran.stdout
    built = _materialised_by_last_run(home)
    assert {"marts/spend_by_provision_type", "marts/budget_vs_outturn", "marts/hn_projection"} <= built
    assert built.isdisjoint({"marts/exclusion_rates", "marts/impact_panel", "reports/schools_forum_pack"})
    july = query(
        settings_for(landing, home),
        "select sum(actual_gbp) as total from marts.spend_by_provision_type where month = '2023-07'",
    )
    assert float(july.total[0]) == MONTH_TOTAL_GBP

    bad_outcomes.unlink()  # taken away to be mended: what it held back is built on the next run
    again = highneeds_cli("run", "--landing", str(landing), "--home", str(home))
    assert again.returncode == 0, again.stdout[-3000:]
    assert "reports/schools_forum_pack" in _materialised_by_last_run(home)
    third = highneeds_cli("run", "--landing", str(landing), "--home", str(home))
    assert third.stdout.startswith("Nothing new since ")


def _processes_using(warehouse: Path) -> list[int]:
    """Pids of live processes started with this warehouse in their environment (dbt, for one)."""
    marker = f"HIGHNEEDS_WAREHOUSE={warehouse}".encode()
    found = []
    for environ in Path("/proc").glob("[0-9]*/environ"):
        try:
            if marker in environ.read_bytes().split(b"\0"):
                found.append(int(environ.parent.name))
        except OSError:
            continue
    return found


@pytest.mark.slow
def test_a_run_killed_while_dbt_builds_leaves_no_dbt_behind_and_the_next_run_succeeds(tmp_path: Path) -> None:
    landing, home = tmp_path / "landing", tmp_path / "home"
    write_good_landing(landing)
    args = [
        str(Path(sys.executable).parent / "highneeds"),
        "run",
        "--landing",
        str(landing),
        "--home",
        str(home),
    ]
    env = {**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY}
    killed = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 600
    for line in killed.stderr:
        if line.rstrip().endswith("and testing them") or time.monotonic() > deadline:
            break
    warehouse = home / "warehouse.duckdb"
    while not _processes_using(warehouse) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _processes_using(warehouse), "dbt never started"
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    settle = time.monotonic() + 10
    while _processes_using(warehouse) and time.monotonic() < settle:
        time.sleep(0.1)
    assert _processes_using(warehouse) == []

    again = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    total = query(
        settings_for(landing, home), "select sum(actual_gbp) as total from marts.spend_by_provision_type"
    )
    assert float(total.total[0]) == pytest.approx(12 * MONTH_TOTAL_GBP)
