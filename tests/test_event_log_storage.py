"""Dagster's run logs in a home: our SQLite storage keeps connections open, and writes Dagster's own files."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import dagster as dg
import yaml

from orchestration import event_log_storage
from orchestration.event_log_storage import OPEN_DATABASES, KeptOpenSqliteEventLogStorage
from orchestration.instance import prepare_dagster_home
from orchestration.settings import Settings


@dg.asset
def counted() -> int:
    return 3


def _settings(tmp_path: Path) -> Settings:
    return Settings(home=tmp_path / "home", landing=tmp_path / "landing")


def test_a_run_in_a_new_home_is_logged_in_dagster_s_own_files_and_read_back_by_a_fresh_instance(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = _settings(tmp_path)
    prepare_dagster_home(settings)

    with dg.DagsterInstance.get() as instance:
        assert isinstance(instance.event_log_storage, KeptOpenSqliteEventLogStorage)
        result = dg.materialize([counted], instance=instance)
    assert result.success

    runs = settings.dagster_home / "history" / "runs"
    with sqlite3.connect(runs / f"{result.run_id}.db") as run_db, sqlite3.connect(runs / "index.db") as index:
        run_events = run_db.execute("select count(*) from event_logs").fetchone()[0]
        indexed = index.execute(
            "select count(*) from event_logs where dagster_event_type = 'ASSET_MATERIALIZATION'"
        ).fetchone()[0]
    assert run_events > 5 and indexed == 1  # every event in the run's file; the materialisation indexed
    with dg.DagsterInstance.get() as again:  # what the UI or the next run opens
        latest = again.get_latest_materialization_event(dg.AssetKey("counted"))
    assert latest is not None and latest.run_id == result.run_id


def test_a_home_made_before_the_storage_setting_gains_it_and_keeps_what_was_changed_by_hand(
    tmp_path: Path, monkeypatch
):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    settings = _settings(tmp_path)
    settings.ensure_dirs()
    config_file = settings.dagster_home / "dagster.yaml"
    config_file.write_text(yaml.safe_dump({"telemetry": {"enabled": True}, "run_retries": {"enabled": True}}))

    prepare_dagster_home(settings)

    config = yaml.safe_load(config_file.read_text())
    assert config["telemetry"] == {"enabled": True}  # changed by hand: kept
    assert config["run_retries"] == {"enabled": True}
    assert config["event_log_storage"]["class"] == "KeptOpenSqliteEventLogStorage"
    assert config["event_log_storage"]["config"]["base_dir"] == str(
        settings.dagster_home / "history" / "runs"
    )


def test_a_copied_home_logs_its_runs_in_its_own_folder_not_the_original_s(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    original = _settings(tmp_path / "original")
    prepare_dagster_home(original)
    copy = _settings(tmp_path / "copy")
    shutil.copytree(original.home, copy.home)

    prepare_dagster_home(copy)
    with dg.DagsterInstance.get() as instance:
        result = dg.materialize([counted], instance=instance)

    assert (copy.dagster_home / "history" / "runs" / f"{result.run_id}.db").exists()
    assert not (original.dagster_home / "history" / "runs" / f"{result.run_id}.db").exists()


def test_no_more_than_the_limit_of_run_databases_stay_open_and_each_is_still_readable(tmp_path: Path):
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    run_ids = [f"run{i}" for i in range(OPEN_DATABASES + 4)]
    for run_id in run_ids:
        with storage.run_connection(run_id) as connection:
            connection.exec_driver_sql("select 1")

    assert len(storage._engines) == OPEN_DATABASES
    assert list(storage._engines)[-1] == run_ids[-1]
    assert run_ids[0] not in storage._engines  # the least recently used was closed
    assert storage.get_records_for_run(run_ids[0]).records == []  # and opens again when asked for
    storage.dispose()
    assert storage._engines == {}


def test_each_database_commits_with_synchronous_normal(tmp_path: Path):
    storage = KeptOpenSqliteEventLogStorage(str(tmp_path))
    with storage.index_connection() as connection:
        synchronous = connection.exec_driver_sql("pragma synchronous").scalar()
        journal = connection.exec_driver_sql("pragma journal_mode").scalar()
    assert synchronous == 1  # NORMAL (FULL is 2)
    assert journal == "wal"
    assert event_log_storage.SQLITE_BUSY_TIMEOUT_SECONDS >= 5


@dg.asset_check(asset=counted)
def counted_is_three(counted: int) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(passed=counted == 3, metadata={"value": counted})


def test_asset_check_results_are_stored_while_the_index_table_is_asked_for_once(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("DAGSTER_HOME", raising=False)
    prepare_dagster_home(_settings(tmp_path))
    asked: list[str] = []
    original = event_log_storage.SqliteEventLogStorage.has_table

    def counting_has_table(self, table_name: str) -> bool:
        asked.append(table_name)
        return original(self, table_name)

    monkeypatch.setattr(event_log_storage.SqliteEventLogStorage, "has_table", counting_has_table)
    with dg.DagsterInstance.get() as instance:
        for _ in range(3):
            assert dg.materialize([counted, counted_is_three], instance=instance).success
        history = instance.event_log_storage.get_asset_check_execution_history(
            counted_is_three.check_key, limit=10
        )

    assert len(history) == 3
    assert all(record.status.value == "SUCCEEDED" for record in history)
    assert asked.count("asset_check_executions") == 1
