"""Each run keeps the previous warehouse as a backup (the newest three), and `restore` puts one back."""

from __future__ import annotations

import os
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from orchestration.backups import (
    BACKUPS_KEPT,
    NoReadableBackup,
    back_up_warehouse,
    restore_backup,
    run_backups,
)
from orchestration.settings import Settings
from orchestration.warehouse import wal_file

FIRST_BACKUP_AT = datetime(2026, 11, 6, 6, 0, 0)


def _write_state(warehouse: Path, month: str) -> None:
    """One row naming the month: each run's warehouse is told apart by it."""
    with duckdb.connect(str(warehouse)) as connection:
        connection.execute("create or replace table months_loaded as select ? as month", [month])


def _state_of(database: Path) -> str:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute("select month from months_loaded").fetchone()[0]


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    settings = Settings(home=tmp_path / "home")
    settings.ensure_dirs()
    return settings


def test_a_run_backs_up_the_warehouse_it_found_and_only_the_newest_three_are_kept(settings: Settings) -> None:
    taken = []
    for number, month in enumerate(["2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]):
        _write_state(settings.warehouse, month)
        taken.append(back_up_warehouse(settings, now=FIRST_BACKUP_AT + timedelta(days=30 * number)))

    kept = run_backups(settings)
    assert len(kept) == BACKUPS_KEPT
    assert kept == taken[:1:-1]  # newest first: the backups of the last three runs
    assert [_state_of(backup) for backup in kept] == ["2026-10", "2026-09", "2026-08"]
    assert kept[0].name == "warehouse-20270306-060000.duckdb"  # 6 Nov 2026 + 120 days


def test_no_backup_is_taken_of_a_warehouse_unchanged_since_the_last_one(settings: Settings) -> None:
    _write_state(settings.warehouse, "2026-10")
    first = back_up_warehouse(settings, now=FIRST_BACKUP_AT)

    again = back_up_warehouse(settings, now=FIRST_BACKUP_AT + timedelta(days=1))

    assert first is not None and again is None
    assert run_backups(settings) == [first]


def test_there_is_nothing_to_back_up_before_the_first_run(settings: Settings) -> None:
    assert back_up_warehouse(settings) is None
    assert run_backups(settings) == []


def test_a_backup_carries_the_write_ahead_log_a_killed_writer_left(settings: Settings) -> None:
    _write_state(settings.warehouse, "2026-09")
    connection = duckdb.connect(str(settings.warehouse))
    connection.execute("pragma disable_checkpoint_on_shutdown")
    connection.execute("update months_loaded set month = '2026-10'")
    connection.close()  # as a kill would: the last change is only in the log
    assert wal_file(settings.warehouse).exists()

    backup = back_up_warehouse(settings, now=FIRST_BACKUP_AT)

    assert backup is not None and wal_file(backup).exists()
    assert _state_of(backup) == "2026-10"


def _damage(warehouse: Path) -> None:
    with warehouse.open("r+b") as handle:
        handle.seek(4096)
        handle.write(os.urandom(8192))


def test_restore_puts_back_the_newest_backup_that_reads_and_keeps_the_damaged_warehouse(
    settings: Settings,
) -> None:
    for number, month in enumerate(["2026-08", "2026-09"]):
        _write_state(settings.warehouse, month)
        back_up_warehouse(settings, now=FIRST_BACKUP_AT + timedelta(days=number))
    newest = run_backups(settings)[0]
    _damage(newest)
    _write_state(settings.warehouse, "2026-10")
    _damage(settings.warehouse)

    restored = restore_backup(settings)

    assert restored.backup.name == "warehouse-20261106-060000.duckdb"
    assert [note.split(":")[0] for note in restored.skipped] == [newest.name]
    assert _state_of(settings.warehouse) == "2026-08"
    assert restored.replaced is not None and restored.replaced.name.startswith("replaced-")
    with pytest.raises(duckdb.Error):
        _state_of(restored.replaced)


def test_restore_with_no_readable_backup_changes_nothing(settings: Settings) -> None:
    _write_state(settings.warehouse, "2026-10")
    before = settings.warehouse.read_bytes()

    with pytest.raises(NoReadableBackup):
        restore_backup(settings)

    assert settings.warehouse.read_bytes() == before
