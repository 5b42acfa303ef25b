"""What every command that writes the warehouse does first and last, under the run lock.

First, before anything is written: stop processes a killed run left behind and remove its staging copies,
then check that the warehouse reads whole and that the pseudonym key matches it — a refusal (exit 2)
changes nothing — then back the warehouse up (closed: no connection is open while it is copied), and only
then clear the killed run's scratch tables and record the key's fingerprint. Last, whatever happened:
refresh the archive's copy of the load log and make everything under home owner-only.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.backups import back_up_warehouse, run_backups
from orchestration.ingest import STAGING_SCHEMA
from orchestration.leftovers import (
    drop_ingest_staging,
    mark_children_of_this_run,
    remove_cut_short_archive_copies,
    remove_scratch_files,
    stop_orphans_of_killed_runs,
)
from orchestration.load_log import export_load_log
from orchestration.permissions import restrict_to_owner
from orchestration.progress import say
from orchestration.pseudonym_key import apply_key_decision, decide_pseudonym_key, read_key_state
from orchestration.refusal import RefusedToStart
from orchestration.settings import Settings
from orchestration.warehouse import WarehouseInUse, WarehouseUnreadable, connect, read_every_table


def unreadable_warehouse_message(settings: Settings, reason: str) -> str:
    """One paragraph: what is wrong, that nothing changed, and the two commands that recover."""
    home = settings.home
    backups = run_backups(settings)
    if backups:
        restore = (
            f"put back the newest backup ({backups[0].name}, taken before an earlier run) with "
            f"`highneeds restore --home {home}` and run again to reload the files delivered since, or "
        )
    else:
        restore = "there is no backup to put back, so "
    return (
        f"The warehouse {settings.warehouse} could not be read ({reason}), so nothing was started and "
        f"nothing was changed. To recover, {restore}rebuild it from the archive of every file ever "
        f"loaded with `highneeds rebuild --home {home}`."
    )


def check_warehouse_reads(settings: Settings) -> None:
    """Refuse (`RefusedToStart`) a warehouse that is damaged or open in another writing process."""
    if not settings.warehouse.exists():
        return
    try:
        read_every_table(settings.warehouse)
    except WarehouseUnreadable as damaged:
        raise RefusedToStart(unreadable_warehouse_message(settings, str(damaged))) from damaged
    except WarehouseInUse as busy:
        raise RefusedToStart(
            f"The warehouse {settings.warehouse} is open in another process ({busy}): close it (a DuckDB "
            "shell, a notebook, a run started from the UI) and try again; nothing was changed."
        ) from busy


@dataclass
class WriteStart:
    """What the start found and did, for the run's log."""

    backup: Path | None = None
    orphans_stopped: list[int] = field(default_factory=list)
    scratch_removed: list[Path] = field(default_factory=list)
    archive_copies_removed: list[Path] = field(default_factory=list)


def tidy_after_killed_runs(settings: Settings, start: WriteStart, progress: Callable[[str], None]) -> None:
    """Stop a killed run's processes and remove its staging copies; mark this one's children."""
    settings.ensure_dirs()
    start.orphans_stopped = stop_orphans_of_killed_runs(settings.home)
    if start.orphans_stopped:
        progress(f"stopped {len(start.orphans_stopped)} process(es) left running by a run that was killed")
    start.scratch_removed = remove_scratch_files(settings.home)
    if start.scratch_removed:
        progress(f"removed {len(start.scratch_removed)} staging folder(s) left by a run that was killed")
    restrict_to_owner(settings.home)
    mark_children_of_this_run(settings.home)


def start_writing(
    settings: Settings, new_pseudonym_key: bool = False, progress: Callable[[str], None] = say
) -> WriteStart:
    """Tidy what a killed run left, refuse a damaged warehouse or a wrong key, then back up; in that order."""
    start = WriteStart()
    tidy_after_killed_runs(settings, start, progress)
    check_warehouse_reads(settings)
    key_state = read_key_state(settings.warehouse)
    decision = decide_pseudonym_key(settings, key_state, allow_new_key=new_pseudonym_key)
    if new_pseudonym_key and not decision.new_key:
        progress("--new-pseudonym-key: the key in use already matches this warehouse, so it is kept")
    started = time.monotonic()
    start.backup = back_up_warehouse(settings)
    if start.backup:
        progress(f"backup: {start.backup.name} in {time.monotonic() - started:.1f}s")
    if settings.warehouse.exists():
        with connect(settings.warehouse) as connection:
            drop_ingest_staging(connection, STAGING_SCHEMA)
            start.archive_copies_removed = remove_cut_short_archive_copies(connection, settings.archive_dir)
            export_load_log(connection, settings.archive_dir)
    apply_key_decision(settings, decision, previous=key_state.fingerprint)
    return start


def finish_writing(settings: Settings) -> None:
    """Refresh the archive's copy of the load log, and make everything under home owner-only."""
    try:
        if settings.warehouse.exists():
            with connect(settings.warehouse, read_only=True) as connection:
                export_load_log(connection, settings.archive_dir)
    finally:
        restrict_to_owner(settings.home)
