"""What a killed run leaves behind, found and removed when the next writer starts (under the run lock).

- processes the killed run started (a `dbt build` that would keep writing the warehouse): each child of a
  writing command carries `HIGHNEEDS_RUN_OWNER=<pid>:<home>` in its environment, so a process whose owner
  is dead is an orphan of that home;
- staging copies of landing files (`<home>/.staging-*`: names, dates of birth, UPNs), a rebuild's scratch
  folder, half-written backups and restores;
- the `_ingest_staging` schema's scratch tables;
- an archive copy cut short by the kill (its content no longer matches the sha256 in its name) that no
  load refers to: the next load would otherwise take the damaged copy for the archived version.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import signal
import time
from pathlib import Path

import duckdb

RUN_OWNER_ENV = "HIGHNEEDS_RUN_OWNER"
SCRATCH_PREFIXES = (".staging-", ".rebuild-", ".restoring.duckdb")
_ARCHIVED_NAME = re.compile(r"^(?P<sha>[0-9a-f]{12})_")
_PROC = Path("/proc")
_EXIT_WAIT_SECONDS = 10.0


def mark_children_of_this_run(home: Path) -> None:
    """Every process started from now on carries this run's pid and home (read back by the next start)."""
    os.environ[RUN_OWNER_ENV] = f"{os.getpid()}:{home}"


def _alive(pid: int) -> bool:
    """Running (a zombie is not: it holds no file and writes nothing)."""
    try:
        state = (_PROC / str(pid) / "stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"


def _owner(pid: int) -> tuple[int, str] | None:
    """(owner pid, home) from a process's environment, if it is one we can read and carries the mark."""
    try:
        environment = (_PROC / str(pid) / "environ").read_bytes()
    except OSError:  # another user's process, or gone
        return None
    for entry in environment.split(b"\0"):
        name, _, value = entry.partition(b"=")
        if name == RUN_OWNER_ENV.encode():
            owner, _, home = value.decode("utf-8", "replace").partition(":")
            return (int(owner), home) if owner.isdigit() else None
    return None


def marked_processes(home: Path) -> dict[int, int]:
    """Running processes started by a writer of `home`: pid → the pid of the writer that started them."""
    if not _PROC.is_dir():
        return {}
    marked = {}
    for entry in _PROC.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        owner = _owner(int(entry.name))
        if owner and owner[1] == str(home) and _alive(int(entry.name)):
            marked[int(entry.name)] = owner[0]
    return marked


def stop_orphans_of_killed_runs(home: Path) -> list[int]:
    """Kill (SIGKILL) processes started by a writer of `home` that has died; returns their pids.

    Only processes carrying the mark are touched, and only when the process that marked them is gone,
    so the UI, a live run elsewhere and this process's own children are never stopped.
    """
    orphans = []
    for pid, owner in marked_processes(home).items():
        if owner != os.getpid() and not _alive(owner):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
                orphans.append(pid)
    deadline = time.monotonic() + _EXIT_WAIT_SECONDS
    while any(_alive(pid) for pid in orphans) and time.monotonic() < deadline:
        time.sleep(0.05)
    return orphans


def remove_scratch_files(home: Path) -> list[Path]:
    """Remove staging folders and half-written copies a killed process left under home."""
    removed = [path for path in home.iterdir() if path.name.startswith(SCRATCH_PREFIXES)]
    backups = home / "backups"
    if backups.is_dir():
        removed += list(backups.glob("*.partial"))
    for path in removed:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    return removed


def drop_ingest_staging(connection: duckdb.DuckDBPyConnection, schema: str) -> None:
    connection.execute(f"drop schema if exists {schema} cascade")


def remove_cut_short_archive_copies(connection: duckdb.DuckDBPyConnection, archive_dir: Path) -> list[Path]:
    """Archive files no load refers to whose content does not match the sha256 prefix in their name."""
    if not archive_dir.is_dir():
        return []
    logged: set[str] = set()
    has_log = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw' and table_name = '_file_loads'"
    ).fetchone()[0]
    if has_log:
        logged = {
            Path(archived).name
            for (archived,) in connection.execute("select archived_as from raw._file_loads").fetchall()
        }
    removed = []
    for path in archive_dir.glob("*/*"):
        named = _ARCHIVED_NAME.match(path.name)
        if not named or not path.is_file() or path.is_symlink() or path.name in logged:
            continue
        with path.open("rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
        if not digest.startswith(named["sha"]):
            path.unlink()
            removed.append(path)
    return removed
