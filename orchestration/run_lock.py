"""One run at a time per home folder: a second `highneeds run` is refused, clearly, while one is going.

The Dagster daemon queues runs itself (`max_concurrent_runs: 1`); this lock covers runs started from the
CLI, which execute in-process and so bypass that queue. The lock is an OS file lock: it is released when
the process ends, even if the run was killed half-way, so there is never a stale lock to clean up.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path


class RunInProgress(RuntimeError):
    """Another run holds the home folder."""


@contextmanager
def exclusive_run(home: Path) -> Iterator[None]:
    lock_path = home / "run.lock"
    home.mkdir(parents=True, exist_ok=True)
    handle = lock_path.open("a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise RunInProgress(
                f"another run is already using {home} ({holder}); wait for it to finish and run again"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}, started {datetime.now():%Y-%m-%d %H:%M:%S}")
        handle.flush()
        yield
    finally:
        handle.close()
