"""`highneeds rebuild`: the warehouse made again from the archive, the platform's system of record.

Every archived file version is replayed through the same ingest a run uses — in the order it was first
loaded, with its original load time, so replacements, versions and cross-file checks come out as they did —
into a fresh warehouse in a private scratch folder under home; then every model and mart is built by the
same Dagster job. The landing folder is never read. Only when all of that has succeeded does the rebuilt
warehouse replace the old one, which is kept under `backups/replaced-*`; the two warehouses' marts are
compared table by table, row by row, and any difference is named.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from expectations.report import LandingFilesRefused
from orchestration.backups import put_in_place, run_backups
from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.load_log import LoggedLoad, read_archived_load_log, read_load_log
from orchestration.marts_compare import MartsComparison, compare_marts
from orchestration.progress import say
from orchestration.pseudonym_key import (
    KeyState,
    decide_pseudonym_key,
    log_new_key,
    make_key_file,
    read_key_state,
    record_fingerprint,
)
from orchestration.refusal import RefusedToStart
from orchestration.run_start import WriteStart, finish_writing, tidy_after_killed_runs
from orchestration.settings import Settings
from orchestration.warehouse import WarehouseInUse, WarehouseUnreadable, connect, read_every_table

SCRATCH_PREFIX = ".rebuild-"


class RebuildFailed(RefusedToStart):
    """The archive cannot be replayed as it was loaded; the old warehouse is left exactly as it was."""


@dataclass
class RebuildResult:
    """What the rebuild replayed, from which load log, and how its marts compare with the old ones."""

    files_replayed: int = 0
    rows_replayed: int = 0
    load_log_source: str = ""
    comparison: MartsComparison | None = None
    """None when there was no readable old warehouse to compare with."""
    replaced: Path | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def _readable(warehouse: Path) -> bool:
    if not warehouse.exists():
        return False
    try:
        read_every_table(warehouse)
    except WarehouseUnreadable:
        return False
    except WarehouseInUse as busy:
        raise RefusedToStart(
            f"The warehouse {warehouse} is open in another process ({busy}): close it and try again."
        ) from busy
    return True


def _logged_loads(settings: Settings, old_readable: bool) -> tuple[list[LoggedLoad], str]:
    """The load log: the warehouse's own when it reads, else the copy the archive keeps."""
    if old_readable:
        with connect(settings.warehouse, read_only=True) as connection:
            loads = read_load_log(connection)
        if loads:
            return loads, f"the load log of {settings.warehouse.name}"
    loads = read_archived_load_log(settings.archive_dir)
    if not loads:
        raise RebuildFailed(
            f"There is nothing to rebuild from: neither the warehouse nor {settings.archive_dir} holds a "
            "load log (no file has been loaded into this home yet). Nothing was changed."
        )
    return loads, "the archive's copy of the load log"


def _check_archive(settings: Settings, loads: list[LoggedLoad]) -> None:
    """Every logged version is in the archive, whole: its sha256 is the one logged when it was loaded."""
    problems = []
    for load in loads:
        archived = load.archived_file(settings.archive_dir)
        if not archived.is_file() or archived.is_symlink():
            problems.append(f"{load.source_file} (loaded {load.loaded_at}): {archived} is missing")
            continue
        with archived.open("rb") as handle:
            if hashlib.file_digest(handle, "sha256").hexdigest() != load.source_sha256:
                problems.append(f"{load.source_file} (loaded {load.loaded_at}): {archived} has changed")
    if problems:
        raise RebuildFailed(
            "The archive cannot be replayed as it was loaded, so nothing was changed: "
            + "; ".join(problems[:10])
            + (f"; and {len(problems) - 10} more" if len(problems) > 10 else "")
            + ". Put the archived files back from your backup of the home folder and try again."
        )


def _reference_key_state(settings: Settings, old_readable: bool) -> KeyState:
    """The key the old pseudonyms were made with: the old warehouse's, else the newest readable backup's."""
    if old_readable:
        return read_key_state(settings.warehouse)
    for backup in run_backups(settings):
        if _readable(backup):
            return read_key_state(backup)
    return KeyState(fingerprint=None, holds_pseudonyms=False)


def _load_batches(loads: list[LoggedLoad]) -> list[tuple[datetime, str, list[LoggedLoad]]]:
    """Consecutive loads of one dataset at one load time: one `load_landing_dataset` call each, as then."""
    return [
        (loaded_at, dataset, list(batch))
        for (loaded_at, dataset), batch in itertools.groupby(
            loads, key=lambda load: (load.loaded_at, load.dataset)
        )
    ]


def _fresh_folder(folder: Path) -> Path:
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    return folder


def _replay(
    settings: Settings,
    scratch: Settings,
    scratch_landing: Path,
    loads: list[LoggedLoad],
    progress: Callable[[str], None],
) -> int:
    """Load each batch of archived files into `scratch`, staged in its landing folder (regular files,
    under their original names)."""
    rows = 0
    batches = _load_batches(loads)
    for number, (loaded_at, dataset, batch) in enumerate(batches, start=1):
        landing = _fresh_folder(scratch_landing)
        for load in batch:
            shutil.copyfile(load.archived_file(settings.archive_dir), landing / load.source_file)
        progress(f"rebuild: {number}/{len(batches)} {dataset}, {len(batch)} file(s) loaded {loaded_at}")
        try:
            result = load_landing_dataset(scratch, DATASETS[dataset], loaded_at=loaded_at)
        except LandingFilesRefused as refused:
            raise RebuildFailed(
                f"The archived {dataset} files loaded {loaded_at} are refused by today's checks, so the "
                f"warehouse cannot be rebuilt as it was and nothing was changed: {refused}"
            ) from refused
        expected = {load.source_file: load.row_count for load in batch}
        if sorted(result.files_loaded) != sorted(expected) or result.rows_loaded != sum(expected.values()):
            raise RebuildFailed(
                f"Replaying the {dataset} files loaded {loaded_at} loaded {result.rows_loaded:,} rows from "
                f"{sorted(result.files_loaded)}, where the original load took {sum(expected.values()):,} "
                f"rows from {sorted(expected)}; nothing was changed."
            )
        rows += result.rows_loaded
    _fresh_folder(scratch_landing)
    for dataset in DATASETS.values():  # a run makes every raw table, empty when no file ever came
        load_landing_dataset(scratch, dataset)
    return rows


def _point_load_log_at_the_real_archive(scratch: Settings, settings: Settings) -> None:
    with connect(scratch.warehouse) as connection:
        connection.execute(
            "update raw._file_loads set archived_as = replace(archived_as, ?, ?)",
            [str(scratch.archive_dir), str(settings.archive_dir)],
        )


def _build_models(scratch: Settings, log_file: Path) -> None:
    """Every model and mart, through the monthly job without its landing and report steps."""
    import dagster as dg

    from orchestration.assets.landing import landing_assets
    from orchestration.assets.reports import schools_forum_pack
    from orchestration.definitions import defs
    from orchestration.jobs import MONTHLY_RUN_JOB_NAME
    from orchestration.run import QUIET_DAGSTER_CONSOLE, failure_messages

    scratch.export_env()
    job = defs.resolve_job_def(MONTHLY_RUN_JOB_NAME)
    selection = (
        dg.AssetSelection.all() - dg.AssetSelection.assets(*landing_assets, schools_forum_pack)
    ).resolve(defs.resolve_asset_graph())
    with (
        log_file.open("w") as log,
        contextlib.redirect_stdout(log),
        dg.DagsterInstance.ephemeral() as instance,
    ):
        result = job.execute_in_process(
            instance=instance,
            asset_selection=list(selection),
            raise_on_error=False,
            run_config=QUIET_DAGSTER_CONSOLE,
        )
    if not result.success:
        raise RebuildFailed(
            "The rebuilt warehouse's models could not be built, so nothing was changed: "
            + "; ".join(failure_messages(result))
            + f" (log: {log_file})"
        )


def rebuild_warehouse(
    settings: Settings, new_pseudonym_key: bool = False, progress: Callable[[str], None] = say
) -> RebuildResult:
    """Rebuild `settings.warehouse` from the archive (call under the run lock; see the module docstring)."""
    started = time.monotonic()
    result = RebuildResult()
    tidy_after_killed_runs(settings, WriteStart(), progress)
    old_readable = _readable(settings.warehouse)
    if settings.warehouse.exists() and not old_readable:
        result.notes.append("the old warehouse could not be read, so its marts were not compared")
    loads, result.load_log_source = _logged_loads(settings, old_readable)
    _check_archive(settings, loads)
    key_state = _reference_key_state(settings, old_readable)
    decision = decide_pseudonym_key(settings, key_state, allow_new_key=new_pseudonym_key)
    if new_pseudonym_key and not decision.new_key:
        progress("--new-pseudonym-key: the key in use already matches this warehouse, so it is kept")
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=settings.home, prefix=SCRATCH_PREFIX) as scratch_dir:
        scratch_landing = Path(scratch_dir) / "landing"
        scratch = Settings(
            home=Path(scratch_dir) / "home", landing=scratch_landing, config_file=settings.config_file
        )
        scratch.ensure_dirs()
        if decision.key is None:  # made here, and kept only if the rebuild completes
            key = make_key_file(scratch)
        else:
            key = decision.key
            if settings.key_file.is_file():
                shutil.copy2(settings.key_file, scratch.key_file)
        record_fingerprint(
            scratch.warehouse,
            key,
            "warehouse rebuilt from the archive" + (" under a new key" if decision.new_key else ""),
        )
        progress(f"rebuild: replaying {len(loads)} archived file(s) from {result.load_log_source}")
        result.rows_replayed = _replay(settings, scratch, scratch_landing, loads, progress)
        result.files_replayed = len(loads)
        _point_load_log_at_the_real_archive(scratch, settings)
        progress("rebuild: building every model and mart")
        _build_models(scratch, log_dir / f"rebuild-{datetime.now():%Y%m%d-%H%M%S}.log")
        if old_readable:
            result.comparison = compare_marts(settings.warehouse, scratch.warehouse)
        if decision.key is None:  # the key before the warehouse: never a warehouse without its key
            shutil.copy2(scratch.key_file, settings.key_file)
        result.replaced = put_in_place(settings, scratch.warehouse)
    if decision.new_key:
        log_new_key(
            settings, key_state.fingerprint, key, "warehouse rebuilt from the archive under a new key"
        )
    finish_writing(settings)
    result.seconds = time.monotonic() - started
    return result
