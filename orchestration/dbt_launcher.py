"""`highneeds-dbt`: starts dbt so that it dies with the process that started it.

A `highneeds run` killed with `kill -9` cannot stop its children itself, and an orphaned `dbt build`
would go on writing the warehouse while the next run starts. So dbt is never started directly: this
launcher asks the kernel to send it SIGKILL when its parent dies (`PR_SET_PDEATHSIG`, kept across
`exec`), checks the parent is still the one that started it, and then becomes dbt. The parent records its
pid in `HIGHNEEDS_DBT_PARENT_PID` just before it starts us (see `parent_env`), closing the gap between
our start and the `prctl` call; a value inherited from a grandparent that is still alive is ignored.
Only the standard library is imported: it starts in milliseconds.

It also starts dbt inside the warehouse's folder, with the warehouse named relative to it
(`HIGHNEEDS_WAREHOUSE=warehouse.duckdb`), so the profile dbt sees is the same for every home. dbt keeps a
fingerprint of the profile in its partial-parse state and parses the whole project again (about 5 seconds)
when it differs: with one profile for all homes, a new home's first run reuses the parse `dbt parse` made
when the manifest was cached (`orchestration/dbt_runs.py`). The project and profiles folders it would
have found from the old working directory are passed on in `DBT_PROJECT_DIR` and `DBT_PROFILES_DIR`.

`--version` is answered here, from the installed dbt-core's metadata: dagster-dbt asks it before every
dbt invocation, and dbt itself takes seconds to answer (it imports everything, then asks PyPI whether a
newer release exists, which hangs on a machine without internet access).
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
from collections.abc import MutableMapping
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


WAREHOUSE_ENV = "HIGHNEEDS_WAREHOUSE"


_PATH_FLAGS = ("--project-dir", "--profiles-dir", "--target-path", "--log-path", "--state", "--defer-state")
_PATH_ENV = ("DBT_PROJECT_DIR", "DBT_PROFILES_DIR", "DBT_TARGET_PATH", "DBT_LOG_PATH", "DBT_STATE")


def enter_warehouse_folder(args: list[str], env: MutableMapping[str, str]) -> list[str]:
    """Move into the warehouse's folder and name the warehouse relative to it, keeping dbt's other paths.

    Returns dbt's arguments with relative paths made absolute. Nothing changes when the warehouse is not
    given as an absolute path.
    """
    warehouse = env.get(WAREHOUSE_ENV)
    if not warehouse or not os.path.isabs(warehouse):
        return args
    here = os.getcwd()
    absolute: list[str] = []
    for index, arg in enumerate(args):
        flag, equals, value = arg.partition("=")
        if equals and flag in _PATH_FLAGS:
            arg = f"{flag}={os.path.abspath(value)}"
        elif index > 0 and args[index - 1] in _PATH_FLAGS:
            arg = os.path.abspath(arg)
        absolute.append(arg)
    for name in _PATH_ENV:
        if env.get(name):
            env[name] = os.path.abspath(env[name])
    if "--project-dir" not in args and "DBT_PROJECT_DIR" not in env:
        env["DBT_PROJECT_DIR"] = here
    if "--profiles-dir" not in args and "DBT_PROFILES_DIR" not in env and os.path.exists("profiles.yml"):
        env["DBT_PROFILES_DIR"] = here
    folder, name = os.path.split(warehouse)
    os.makedirs(folder, exist_ok=True)
    os.chdir(folder)
    env[WAREHOUSE_ENV] = name
    return absolute


def main() -> None:
    if sys.argv[1:] == ["--version"]:
        print(f"Core:\n  - installed: {version('dbt-core')}")
        return
    expected = os.environ.get(PARENT_PID_ENV)
    die_with_parent(int(expected) if expected else os.getppid())
    args = enter_warehouse_folder(sys.argv[1:], os.environ)
    dbt = Path(sys.executable).parent / "dbt"
    os.execv(dbt, [str(dbt), *args])


if __name__ == "__main__":
    main()
