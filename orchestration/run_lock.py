"""One writer at a time per home folder, and readers that never meet a writer half-way.

Two OS file locks under home:
- `run.lock`, held exclusively by whatever writes the warehouse from the CLI (`run`, `rebuild`,
  `restore`) for its whole length: a second writer is refused at once, clearly;
- `readers.lock`, held *shared* by each reader (`report`, `check`) while it reads and *exclusively* by the
  writer: a reader that arrives during a run is told so in one sentence, and a run that arrives while a
  report is being drawn waits for it instead of failing on DuckDB's file lock half-way through.

The Dagster daemon queues the runs it starts itself (`max_concurrent_runs: 1`). OS locks are released when
the process ends, even if it was killed half-way, so there is never a stale lock to clean up.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import IO

from orchestration.refusal import RefusedToStart

RUN_LOCK = "run.lock"
READERS_LOCK = "readers.lock"
READERS_WAIT_SECONDS = 600.0
"""How long a run waits for readers (a pack being drawn, a check) before it gives up."""
_POLL_SECONDS = 0.2


class RunInProgress(RefusedToStart):
    """Another run holds the home folder (or readers held it for too long)."""


def _open_lock(home: Path, name: str) -> IO[str]:
    home.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(home / name, os.O_RDWR | os.O_CREAT, 0o600)
    return os.fdopen(descriptor, "r+")


def _holder(home: Path) -> str:
    """Who holds the run lock, as its holder wrote it ("pid 123, highneeds run, started …")."""
    try:
        return (home / RUN_LOCK).read_text().strip() or "another process"
    except OSError:
        return "another process"


def _try_lock(handle: IO[str], operation: int) -> bool:
    try:
        fcntl.flock(handle, operation | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


@contextmanager
def exclusive_run(
    home: Path, command: str = "highneeds run", wait_for_readers_seconds: float = READERS_WAIT_SECONDS
) -> Iterator[None]:
    """Hold the home for one writer: refused at once if another writer has it, waits for readers."""
    run_handle = _open_lock(home, RUN_LOCK)
    readers_handle = _open_lock(home, READERS_LOCK)
    try:
        if not _try_lock(run_handle, fcntl.LOCK_EX):
            raise RunInProgress(
                f"Not started: another run is already using {home} ({_holder(home)}); "
                "wait for it to finish and run again."
            )
        run_handle.truncate()
        run_handle.write(f"pid {os.getpid()}, {command}, started {datetime.now():%Y-%m-%d %H:%M:%S}")
        run_handle.flush()
        deadline = time.monotonic() + wait_for_readers_seconds
        while not _try_lock(readers_handle, fcntl.LOCK_EX):
            if time.monotonic() > deadline:
                raise RunInProgress(
                    f"Not started: a report or check was still reading {home} after "
                    f"{wait_for_readers_seconds:.0f}s; let it finish and run again."
                )
            time.sleep(_POLL_SECONDS)
        yield
    finally:
        readers_handle.close()
        run_handle.close()


def _run_in_progress_sentence(home: Path) -> str:
    return (
        f"A run is in progress in {home} ({_holder(home)}), so the warehouse cannot be read until it "
        "finishes: try again when it has."
    )


@contextmanager
def reading_warehouse(home: Path) -> Iterator[None]:
    """Hold a reader's place for the duration of a read; `RunInProgress` (one sentence) during a run."""
    if not home.is_dir():
        yield
        return
    handle = _open_lock(home, READERS_LOCK)
    try:
        if not _try_lock(handle, fcntl.LOCK_SH):
            raise RunInProgress(_run_in_progress_sentence(home))
        yield
    finally:
        handle.close()


def refuse_during_a_run(home: Path) -> None:
    """For a command that only starts something (the UI): one sentence during a run, nothing held after."""
    with reading_warehouse(home):
        pass
