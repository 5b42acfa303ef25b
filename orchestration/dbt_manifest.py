"""The dbt project as Dagster sees it: its manifest, made once per project version, outside the sources.

`@dbt_assets` needs a manifest when the definitions load. `dbt parse` writes it into a cache folder named
after a fingerprint of the project (every model, macro, seed, test and config file, the outcomes catalogue
a Python model reads, the project's path and the dbt version):
`$XDG_CACHE_HOME/highneeds/dbt-manifest/<fingerprint>/`, else under `~/.cache`. So an
edited model is never served stale, nothing is ever written into `dbt_project/`, and every home, test and
process shares one parse. `scripts/setup` makes it ahead of the first run.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
from functools import cache
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.settings import DBT_PROJECT_DIR, OUTCOMES_CATALOGUE_FILE

if TYPE_CHECKING:
    from dagster_dbt import DbtProject

_PROJECT_FOLDERS = ("models", "macros", "seeds", "tests")
_PROJECT_FILE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv", ".md", ".py"}
_PROJECT_FILES = ("dbt_project.yml", "profiles.yml")
_FILES_MODELS_READ = (OUTCOMES_CATALOGUE_FILE,)
"""Files outside the project that a Python model reads: an edit to them rebuilds what is built from them."""
LAUNCHER_NAME = "highneeds-dbt"
"""The console script (`orchestration/dbt_launcher.py`) that starts dbt so that it dies with its parent."""


@cache
def project_fingerprint(project_dir: Path = DBT_PROJECT_DIR) -> str:
    """A digest of everything a dbt parse depends on: file names and contents, location, dbt version.

    It names the manifest's cache folder and tells a run whether the dbt code changed since the marts were
    last built (see `orchestration/staleness.py`).
    """
    digest = hashlib.sha256(f"{project_dir.resolve()}\0dbt-core {version('dbt-core')}\0".encode())
    files = [project_dir / name for name in _PROJECT_FILES]
    for folder in _PROJECT_FOLDERS:
        files += (path for path in (project_dir / folder).rglob("*") if path.suffix in _PROJECT_FILE_SUFFIXES)
    for path in sorted(files):
        digest.update(f"{path.relative_to(project_dir)}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    for path in _FILES_MODELS_READ:
        digest.update(f"{path.name}\0".encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "highneeds" / "dbt-manifest"


@cache
def dbt_project() -> DbtProject:
    """The project, its target path pointing at the manifest cache of the project as it is now."""
    from dagster_dbt import DbtProject

    return DbtProject(
        project_dir=DBT_PROJECT_DIR,
        profiles_dir=DBT_PROJECT_DIR,
        target_path=cache_root() / project_fingerprint(DBT_PROJECT_DIR),
    )


def dbt_executable() -> str:
    """The launcher installed beside this Python, which starts dbt tied to the process that asked for it."""
    launcher = Path(sys.executable).parent / LAUNCHER_NAME
    if not launcher.exists():
        raise RuntimeError(f"{launcher} is missing: run ./scripts/setup to install the platform's commands")
    return str(launcher)


def dbt_env(**overrides: str) -> dict[str, str]:
    """The environment every dbt process of ours gets: no usage statistics, paths from our settings."""
    return {**os.environ, "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **overrides}


def ensure_manifest(project: DbtProject | None = None) -> Path:
    """The manifest of the project as it is now; `dbt parse` makes it when this version has none yet.

    dbt writes into a scratch folder beside the cache entry, renamed into place when complete, so two
    processes parsing at once never read half a manifest.
    """
    project = project or dbt_project()
    manifest = Path(project.manifest_path)
    if manifest.exists():
        return manifest
    folder = manifest.parent
    folder.parent.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    completed = subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--quiet",
            "--project-dir",
            str(project.project_dir),
            "--profiles-dir",
            str(project.profiles_dir),
            "--target-path",
            str(scratch),
            "--log-path",
            str(scratch),
        ],
        # parsed for a warehouse named as every run's dbt names it (see `dbt_launcher`), so that the
        # partial-parse state left beside the manifest serves a new home's first run
        env=dbt_env(HIGHNEEDS_WAREHOUSE=str(scratch / "warehouse.duckdb")),
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not (scratch / "manifest.json").exists():
        shutil.rmtree(scratch, ignore_errors=True)
        raise RuntimeError(
            "dbt could not parse the project in dbt_project/ — fix the model or YAML it names:\n"
            + (completed.stdout + completed.stderr)[-4000:]
        )
    try:
        scratch.rename(folder)
    except OSError:  # another process finished the same parse first: theirs is as good as ours
        shutil.rmtree(scratch, ignore_errors=True)
    return manifest


@cache
def manifest_json() -> dict:
    """The manifest of the project as it is now, read once per process."""
    return json.loads(ensure_manifest().read_text(encoding="utf-8"))
