"""Where the platform keeps its state, read from the environment in one place.

Every path the platform writes is under one *home* folder so that a run, the UI and the tests can each
point at their own: `$HIGHNEEDS_HOME`, else `./.highneeds` in the current directory.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.config import InstallationConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
PSEUDONYM_KEY_ENV = "HIGHNEEDS_PSEUDONYM_KEY"


@dataclass(frozen=True)
class Settings:
    """Paths under one home folder, the landing folder the run reads (never writes), and the config file."""

    home: Path
    landing: Path | None = None
    config_file: Path | None = None
    """`highneeds.yaml` (see `orchestration/config.py`); None = the built-in defaults."""

    @classmethod
    def from_env(
        cls,
        home: Path | str | None = None,
        landing: Path | str | None = None,
        config: Path | str | None = None,
    ) -> Settings:
        from orchestration.config import find_config_file

        home_path = Path(home or os.environ.get("HIGHNEEDS_HOME") or ".highneeds").expanduser().resolve()
        landing_value = landing or os.environ.get("HIGHNEEDS_LANDING")
        landing_path = Path(landing_value).expanduser().resolve() if landing_value else None
        return cls(home=home_path, landing=landing_path, config_file=find_config_file(config, home_path))

    @cached_property
    def config(self) -> InstallationConfig:
        """The installation's validated configuration (raises `ConfigError` with the file and key)."""
        from orchestration.config import load_config

        return load_config(self.config_file)

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def archive_dir(self) -> Path:
        return self.home / "archive"

    @property
    def quarantine_dir(self) -> Path:
        return self.home / "quarantine"

    @property
    def reports_dir(self) -> Path:
        return self.home / "reports"

    @property
    def dagster_home(self) -> Path:
        return self.home / "dagster"

    @property
    def key_file(self) -> Path:
        return self.home / "pseudonym.key"

    def ensure_dirs(self) -> None:
        for folder in (self.home, self.archive_dir, self.quarantine_dir, self.reports_dir, self.dagster_home):
            folder.mkdir(parents=True, exist_ok=True)

    def pseudonym_key(self) -> bytes:
        """The key for pseudonymising UPNs: from the environment, else a key file made once, owner-only.

        A key that changes between runs would split one child into two pseudonyms, so the generated
        key is kept under home and never regenerated while the file exists.
        """
        from_env = os.environ.get(PSEUDONYM_KEY_ENV)
        if from_env:
            return from_env.encode("utf-8")
        if not self.key_file.exists():
            self.home.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(self.key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as handle:
                handle.write(secrets.token_hex(32))
        return self.key_file.read_text().strip().encode("utf-8")

    def export_env(self) -> None:
        """Make the paths visible to child processes (dbt reads the warehouse path from here)."""
        os.environ["HIGHNEEDS_HOME"] = str(self.home)
        os.environ["HIGHNEEDS_WAREHOUSE"] = str(self.warehouse)
        if self.landing is not None:
            os.environ["HIGHNEEDS_LANDING"] = str(self.landing)
        if self.config_file is not None:
            os.environ["HIGHNEEDS_CONFIG"] = str(self.config_file)
