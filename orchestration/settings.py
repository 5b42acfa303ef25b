"""Where the platform keeps its state, read from the environment in one place.

Every path the platform writes is under one *home* folder so that a run, the UI and the tests can each
point at their own: `$HIGHNEEDS_HOME`, else `./.highneeds` in the current directory.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from orchestration.config import InstallationConfig

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
OUTCOMES_CATALOGUE_FILE = PROJECT_ROOT / "config" / "outcomes_framework.yaml"
"""The outcomes framework's indicators (`orchestration/outcomes_framework.py` reads it)."""
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
    def backups_dir(self) -> Path:
        return self.home / "backups"

    @property
    def key_file(self) -> Path:
        return self.home / "pseudonym.key"

    def ensure_dirs(self) -> None:
        """Make home and its folders, owner-only whatever the umask: they hold children's records."""
        for folder in (self.home, self.archive_dir, self.quarantine_dir, self.reports_dir, self.dagster_home):
            folder.mkdir(parents=True, exist_ok=True)
            folder.chmod(0o700)

    def pseudonym_key(self) -> bytes:
        """The key for pseudonymising UPNs: from the environment, else a key file made once, owner-only.

        It must match the fingerprint the warehouse keeps of the key its pseudonyms were made with: a
        missing or different key is refused (`PseudonymKeyRefused`), never silently replaced, because a new
        key would split every child into two pseudonyms (`orchestration/pseudonym_key.py`).
        """
        from orchestration.pseudonym_key import checked_pseudonym_key

        return checked_pseudonym_key(self)

    def export_env(self) -> None:
        """Make the paths visible to child processes (dbt reads the warehouse path from here)."""
        os.environ["HIGHNEEDS_HOME"] = str(self.home)
        os.environ["HIGHNEEDS_WAREHOUSE"] = str(self.warehouse)
        if self.landing is not None:
            os.environ["HIGHNEEDS_LANDING"] = str(self.landing)
        if self.config_file is not None:
            os.environ["HIGHNEEDS_CONFIG"] = str(self.config_file)
