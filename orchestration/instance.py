"""The Dagster instance under `<home>/dagster`, shared by the CLI, the UI and schedules."""

from __future__ import annotations

import os

import yaml

from orchestration.settings import Settings

_INSTANCE_CONFIG = {
    "concurrency": {
        # One warehouse writer at a time: every asset that touches DuckDB is in the `warehouse` pool.
        "pools": {"default_limit": 1, "granularity": "op"},
        # Queued runs start one at a time, so a second run waits instead of fighting over the file.
        "runs": {"max_concurrent_runs": 1},
    },
    # The daemon notices runs whose process died and fails them, which frees their pool slots.
    "run_monitoring": {"enabled": True, "poll_interval_seconds": 60},
    "telemetry": {"enabled": False},
}


def prepare_dagster_home(settings: Settings) -> None:
    """Write `dagster.yaml` once and point `DAGSTER_HOME` at it."""
    settings.ensure_dirs()
    config_file = settings.dagster_home / "dagster.yaml"
    if not config_file.exists():
        config_file.write_text(yaml.safe_dump(_INSTANCE_CONFIG, sort_keys=False))
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
