"""`highneeds-dbt`: starts dbt so that it dies with the process that started it.

A `highneeds run` killed with `kill -9` cannot stop its children itself, and an orphaned `dbt build`
would go on writing the warehouse while the next run starts. So dbt is never started directly: this
launcher asks the kernel to send it SIGKILL when its parent dies (`PR_SET_PDEATHSIG`, kept across
`exec`), checks the parent is still the one that started it, and then becomes dbt. The parent records its
pid in `HIGHNEEDS_DBT_PARENT_PID` just before it starts us (see `parent_env`), closing the gap between
our start and the `prctl` call; a value inherited from a grandparent that is still alive is ignored.
Only the standard library is imported: it starts in milliseconds.

`--version` is answered here, from the installed dbt-core's metadata: dagster-dbt asks it before every
dbt invocation, and dbt itself takes seconds to answer (it imports everything, then asks PyPI whether a
newer release exists, which hangs on a machine without internet access).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from importlib.metadata import version
from pathlib import Path

PARENT_PID_ENV = "HIGHNEEDS_DBT_PARENT_PID"
_PR_SET_PDEATHSIG = 1


def parent_env() -> dict[str, str]:
    """What the starting process adds to the launcher's environment: its own pid."""
    return {PARENT_PID_ENV: str(os.getpid())}


def process_alive(pid: int) -> bool:
    """Whether a process with this pid exists (one we may not signal counts as alive)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def die_with_parent(expected_parent: int) -> None:
    """Ask for SIGKILL when the parent dies; exit at once if it died before we asked."""
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) != 0:
        raise OSError(ctypes.get_errno(), "prctl(PR_SET_PDEATHSIG) failed")
    if os.getppid() != expected_parent and not process_alive(expected_parent):
        sys.exit(f"{Path(sys.argv[0]).name}: the process that started dbt has gone; dbt not started")


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(f"Core:\n  - installed: {version('dbt-core')}")
        return
    expected = os.environ.get(PARENT_PID_ENV)
    die_with_parent(int(expected) if expected else os.getppid())
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *sys.argv[1:]])


if __name__ == "__main__":
    main()
