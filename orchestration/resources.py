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


def build_resources() -> dict[str, object]:
    return {
        "highneeds": HighNeedsHome(),
        "dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable()),
    }
