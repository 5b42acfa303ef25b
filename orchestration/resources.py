"""Dagster resources: the platform's settings and the dbt CLI, configured from the environment once."""

from __future__ import annotations

import dagster as dg
from dagster_dbt import DbtCliResource

from orchestration.dbt_manifest import dbt_executable, dbt_project
from orchestration.settings import Settings


class HighNeedsHome(dg.ConfigurableResource):
    """Where this run reads landing files and keeps its warehouse, archive, quarantine and reports.

    Left empty, each path comes from the environment when the run starts (`HIGHNEEDS_HOME`,
    `HIGHNEEDS_LANDING`, `HIGHNEEDS_CONFIG`), so the UI, the CLI and the schedule all see the same home.
    """

    home: str | None = None
    landing: str | None = None
    config: str | None = None

    @property
    def settings(self) -> Settings:
        settings = Settings.from_env(home=self.home, landing=self.landing, config=self.config)
        settings.ensure_dirs()
        return settings


class HighNeedsDbtCli(DbtCliResource):
    """dagster-dbt's dbt CLI resource, without the in-process dbt adapter it makes before every build.

    dagster-dbt loads the profile, the project and all of dbt's macros into the Dagster process (about 2 s)
    only to fetch row counts and column metadata after the build, which the platform does not ask for
    (`fetch_row_counts`, `fetch_column_metadata`). dagster-dbt runs unchanged without an adapter.
    """

    def _initialize_dbt_core_adapter(self, args: list[str]) -> None:
        return None


def build_resources() -> dict[str, object]:
    return {
        "highneeds": HighNeedsHome(),
        "dbt": HighNeedsDbtCli(project_dir=dbt_project(), dbt_executable=dbt_executable()),
    }
