"""Where dbt writes during a run: `<home>/dbt/runs/<time>-<run id>/` (target and logs), the last few kept.

Nothing is written into `dbt_project/`. The home's partial-parse state (`<home>/dbt/partial_parse.msgpack`)
is carried from one run to the next, so a run re-parses only what changed since the last; dbt checks the
state itself and parses everything when the project, its profile or dbt changed. A home's first run starts
from the state `dbt parse` left beside the cached manifest (`orchestration/dbt_manifest.py`): the launcher
gives dbt the same profile in every home, so that state is valid there too, and the run skips a full parse.
"""

from __future__ import annotations

import os
import shutil
from datetime import datetime
from pathlib import Path

from orchestration.settings import Settings

RUNS_KEPT = 5
"""dbt target folders kept under home: enough to read the last runs' logs and results, no more."""
_PARTIAL_PARSE = "partial_parse.msgpack"


def dbt_dir(settings: Settings) -> Path:
    return settings.home / "dbt"


def runs_dir(settings: Settings) -> Path:
    return dbt_dir(settings) / "runs"


def new_run_target(settings: Settings, run_id: str) -> Path:
    """A fresh target folder for this run's dbt, primed with the home's partial-parse state.

    Older folders beyond the last `RUNS_KEPT` (this one included) are removed first.
    """
    folder = runs_dir(settings)
    folder.mkdir(parents=True, exist_ok=True)
    earlier = sorted(path for path in folder.iterdir() if path.is_dir())
    for old in earlier[: max(len(earlier) - (RUNS_KEPT - 1), 0)]:
        shutil.rmtree(old, ignore_errors=True)
    target = folder / f"{datetime.now():%Y%m%d-%H%M%S}-{run_id[:8]}"
    target.mkdir()
    saved = dbt_dir(settings) / _PARTIAL_PARSE
    if not saved.exists():
        saved = cached_manifest_dir() / _PARTIAL_PARSE
    if saved.exists():
        shutil.copy2(saved, target / _PARTIAL_PARSE)
    return target


def cached_manifest_dir() -> Path:
    """The folder of the cached manifest of the project as it is now (made by `dbt parse` if missing)."""
    from orchestration.dbt_manifest import ensure_manifest

    return ensure_manifest().parent


def keep_partial_parse(settings: Settings, target: Path) -> None:
    """Save the parse state dbt left in `target` for the home's next run (replaced atomically)."""
    produced = target / _PARTIAL_PARSE
    if not produced.exists():
        return
    saved = dbt_dir(settings) / _PARTIAL_PARSE
    scratch = saved.with_suffix(".tmp")
    shutil.copy2(produced, scratch)
    os.replace(scratch, saved)
