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


def _event_log_storage(settings: Settings) -> dict:
    """Dagster's SQLite run logs in Dagster's own folder, kept open between events
    (`orchestration/event_log_storage.py`): six times cheaper an event than the stock storage."""
    return {
        "module": "orchestration.event_log_storage",
        "class": "KeptOpenSqliteEventLogStorage",
        "config": {"base_dir": str(settings.dagster_home / "history" / "runs")},
    }


def prepare_dagster_home(settings: Settings) -> None:
    """Write `dagster.yaml` once and point `DAGSTER_HOME` at it.

    A home made before a setting was added gains it; what is already there (perhaps changed by hand) stays,
    except the run logs' folder of a home that was moved or copied, which follows the home.
    """
    settings.ensure_dirs()
    config_file = settings.dagster_home / "dagster.yaml"
    config = (yaml.safe_load(config_file.read_text()) or {}) if config_file.exists() else {}
    storage = _event_log_storage(settings)
    wanted = {**_INSTANCE_CONFIG, "event_log_storage": storage}
    changes = {key: value for key, value in wanted.items() if key not in config}
    ours = (config.get("event_log_storage") or {}).get("class") == storage["class"]
    if ours and config["event_log_storage"] != storage:  # the home was moved or copied
        changes["event_log_storage"] = storage
    if changes:
        config_file.write_text(yaml.safe_dump({**config, **changes}, sort_keys=False))
    os.environ["DAGSTER_HOME"] = str(settings.dagster_home)
