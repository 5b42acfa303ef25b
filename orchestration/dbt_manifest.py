"""The dbt project as Dagster sees it, with its manifest prepared by our own code.

`@dbt_assets` needs `target/manifest.json` when the definitions load; dagster-dbt only prepares it
under `dagster dev`. We parse whenever the manifest is missing or older than any file of the dbt
project, so a newcomer never runs a dbt step by hand and an edited model is never served stale.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from dagster_dbt import DbtProject

from orchestration.settings import DBT_PROJECT_DIR

DBT_PROJECT = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
_PROJECT_FILE_SUFFIXES = {".sql", ".yml", ".yaml", ".csv"}


def _newest_project_file_mtime(project_dir: Path) -> float:
    newest = 0.0
    for folder in ("models", "macros", "seeds", "tests"):
        for path in (project_dir / folder).rglob("*"):
            if path.suffix in _PROJECT_FILE_SUFFIXES:
                newest = max(newest, path.stat().st_mtime)
    for name in ("dbt_project.yml", "profiles.yml"):
        newest = max(newest, (project_dir / name).stat().st_mtime)
    return newest


def dbt_executable() -> str:
    """dbt installed beside this Python, so the CLI works without an activated virtualenv."""
    beside_python = Path(sys.executable).parent / "dbt"
    return str(beside_python) if beside_python.exists() else "dbt"


def ensure_manifest(project: DbtProject = DBT_PROJECT) -> Path:
    """Run `dbt parse` if the manifest is missing or stale; return the manifest path."""
    manifest = Path(project.manifest_path)
    if manifest.exists() and manifest.stat().st_mtime >= _newest_project_file_mtime(
        Path(project.project_dir)
    ):
        return manifest
    completed = subprocess.run(
        [dbt_executable(), "parse", "--quiet", "--no-partial-parse"],
        cwd=project.project_dir,
        env={
            **os.environ,
            "DBT_PROFILES_DIR": str(project.profiles_dir),
            "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        },
        capture_output=True,
        text=True,
        check=False,
    )
    if completed.returncode != 0 or not manifest.exists():
        raise RuntimeError(
            "dbt could not parse the project in dbt_project/ — fix the model or YAML it names:\n"
            + (completed.stdout + completed.stderr)[-4000:]
        )
    return manifest
