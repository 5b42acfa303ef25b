"""Backups of the warehouse: one before each run's first write, the newest three kept; and restoring one.

A backup is a plain copy of the closed DuckDB file (and of its write-ahead log, when a killed writer left
one: the two together are the database). Copies are written under a temporary name and renamed, so a
backup that exists is whole. `restore` and `rebuild` keep the warehouse they replace as
`backups/replaced-*` and never delete it: those are rare, deliberate steps a person may want to undo.
"""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from orchestration.settings import Settings
from orchestration.warehouse import WarehouseInUse, WarehouseUnreadable, connect, read_every_table, wal_file

BACKUPS_KEPT = 3
BACKUP_PREFIX = "warehouse-"
REPLACED_PREFIX = "replaced-"
PARTIAL_SUFFIX = ".partial"


def _copy_whole(source: Path, target: Path) -> None:
    """Copy under a temporary name, then rename: a kill half-way never leaves a half file under `target`."""
    partial = target.with_name(target.name + PARTIAL_SUFFIX)
    shutil.copy2(source, partial)
    os.replace(partial, target)


def _copy_database(source: Path, target: Path) -> None:
    """Copy a DuckDB file and its write-ahead log (if any); a stale log at the target is removed."""
    wal_file(target).unlink(missing_ok=True)
    if wal_file(source).exists():
        _copy_whole(wal_file(source), wal_file(target))
    _copy_whole(source, target)


def _free_name(folder: Path, prefix: str, when: datetime) -> Path:
    stem = f"{prefix}{when:%Y%m%d-%H%M%S}"
    candidate, number = folder / f"{stem}.duckdb", 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{stem}-{number}.duckdb"
    return candidate


def run_backups(settings: Settings) -> list[Path]:
    """The backups runs took, newest first (their names sort by the time they were taken)."""
    if not settings.backups_dir.is_dir():
        return []
    return sorted(settings.backups_dir.glob(f"{BACKUP_PREFIX}*.duckdb"), reverse=True)


def _same_file(first: Path, second: Path) -> bool:
    """Unchanged since copied: `copy2` keeps the modification time, and the size is the same."""
    a, b = first.stat(), second.stat()
    return (a.st_size, a.st_mtime_ns) == (b.st_size, b.st_mtime_ns)


def back_up_warehouse(settings: Settings, now: datetime | None = None) -> Path | None:
    """Copy the warehouse (closed: no connection may be open) into `backups/`; keep the newest three.

    Nothing is copied when there is no warehouse yet, or when it has not changed since the newest backup
    (a run that wrote nothing), so three backups are always three different states.
    """
    warehouse = settings.warehouse
    if not warehouse.exists():
        return None
    existing = run_backups(settings)
    if existing and _same_file(warehouse, existing[0]) and not wal_file(warehouse).exists():
        return None
    settings.backups_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(settings.backups_dir, BACKUP_PREFIX, now or datetime.now())
    _copy_database(warehouse, target)
    for old in run_backups(settings)[BACKUPS_KEPT:]:
        wal_file(old).unlink(missing_ok=True)
        old.unlink()
    return target


def _set_aside(settings: Settings, now: datetime | None = None) -> Path:
    """Keep the warehouse (and its log) as `backups/replaced-<time>.duckdb`, linked: nothing moves yet."""
    settings.backups_dir.mkdir(parents=True, exist_ok=True)
    target = _free_name(settings.backups_dir, REPLACED_PREFIX, now or datetime.now())
    if wal_file(settings.warehouse).exists():
        os.link(wal_file(settings.warehouse), wal_file(target))
    os.link(settings.warehouse, target)
    return target


def put_in_place(settings: Settings, arriving: Path) -> Path | None:
    """Make `arriving` (a whole database, closed) the warehouse; the one it replaces is set aside.

    The swap is one rename, so the warehouse path always holds a whole database; the replaced one stays
    reachable through its set-aside name. A write-ahead log is merged first, because a log beside the
    wrong file would be replayed into it.
    """
    with connect(arriving) as connection:
        connection.execute("checkpoint")
    replaced = _set_aside(settings) if settings.warehouse.exists() else None
    wal_file(settings.warehouse).unlink(missing_ok=True)
    os.replace(arriving, settings.warehouse)
    return replaced


@dataclass(frozen=True)
class Restored:
    backup: Path
    replaced: Path | None
    skipped: list[str]
    """Newer backups that could not be read, with why."""


class NoReadableBackup(RuntimeError):
    """No backup could be read."""


def restore_backup(settings: Settings, backup: Path | None = None) -> Restored:
    """Put back `backup`, else the newest backup that reads whole; the current warehouse is set aside."""
    candidates = [backup] if backup is not None else run_backups(settings)
    skipped: list[str] = []
    for candidate in candidates:
        try:
            read_every_table(candidate)
        except (WarehouseUnreadable, WarehouseInUse) as problem:
            skipped.append(f"{candidate.name}: {problem}")
            continue
        arriving = settings.home / ".restoring.duckdb"
        _copy_database(candidate, arriving)
        return Restored(backup=candidate, replaced=put_in_place(settings, arriving), skipped=skipped)
    raise NoReadableBackup("; ".join(skipped) or f"there is no backup in {settings.backups_dir}")
