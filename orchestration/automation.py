"""What runs without anyone at a terminal: the monthly schedule, the new-file sensor, the failure e-mail.

The schedule and the sensor ask for what is stale only (`orchestration/staleness.py`), like `highneeds
run`; when the warehouse cannot be read (a run is writing it) the schedule asks for everything and the
sensor looks again at its next tick.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import datetime, timedelta
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.alerts import root_cause_message, send_failure_alert
from orchestration.contract import extract_months, landing_files
from orchestration.jobs import monthly_run_job
from orchestration.partitions import months_tags
from orchestration.settings import Settings

MONTHLY_CRON = "0 6 6 * *"
"""06:00 on the 6th: finance systems close the month in the first working days."""
LONDON = "Europe/London"


def latest_complete_month(scheduled_for: datetime) -> str:
    """The month before the run date: on 6 November the October extracts are in."""
    first_of_month = scheduled_for.replace(day=1)
    return (first_of_month - timedelta(days=1)).strftime("%Y-%m")


@dg.schedule(
    name="monthly_run_schedule",
    job=monthly_run_job,
    cron_schedule=MONTHLY_CRON,
    execution_timezone=LONDON,
    description="At 06:00 (UK time) on the 6th: loads last month's extracts and rebuilds what they change.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)
def monthly_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest | dg.SkipReason:
    month = latest_complete_month(context.scheduled_execution_time)
    settings = Settings.from_env()
    stale = None  # everything, unless the landing folder and warehouse say what is stale
    if settings.landing is not None and settings.landing.is_dir():
        try:
            stale = stale_assets(settings, context.instance)
        except duckdb.Error:  # a run holds the warehouse: ask for everything rather than guess
            stale = None
    if stale is not None and not stale:
        return dg.SkipReason(f"nothing new for {month}: every output is up to date")
    return dg.RunRequest(run_key=f"monthly-{month}", partition_key=month, asset_selection=stale)


def stale_assets(settings: Settings, instance: dg.DagsterInstance) -> list[dg.AssetKey]:
    """What a run started now over the settings' landing folder and home should build."""
    from orchestration.definitions import defs
    from orchestration.staleness import landing_digests, plan_for

    plan = plan_for(settings, landing_digests(settings.landing), defs.resolve_asset_graph(), instance)
    return list(plan.stale)


def landing_fingerprint(landing: Path) -> dict[str, str]:
    """Name → size and modification time of each recognised landing file: cheap to take every minute."""
    fingerprint = {}
    for landing_file in landing_files(landing):
        stat = landing_file.path.stat()
        fingerprint[landing_file.name] = f"{stat.st_size}:{stat.st_mtime_ns}"
    return fingerprint


def changed_files(previous: dict[str, str], current: dict[str, str]) -> list[str]:
    return sorted(name for name, stamp in current.items() if previous.get(name) != stamp)


@dg.sensor(
    name="new_landing_files_sensor",
    job=monthly_run_job,
    minimum_interval_seconds=300,
    description="Starts a run when files in the landing folder ($HIGHNEEDS_LANDING) are new or changed.",
    default_status=dg.DefaultSensorStatus.STOPPED,
)
def new_landing_files_sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
    landing_value = os.environ.get("HIGHNEEDS_LANDING")
    if not landing_value or not Path(landing_value).is_dir():
        return dg.SkipReason("HIGHNEEDS_LANDING is not set to a folder; start the UI with --landing DIR")
    current = landing_fingerprint(Path(landing_value))
    previous = json.loads(context.cursor) if context.cursor else {}
    changed = changed_files(previous, current)
    if not changed:
        return dg.SkipReason("no new or changed landing files")
    try:
        stale = stale_assets(Settings.from_env(landing=landing_value), context.instance)
    except duckdb.Error:
        return dg.SkipReason("a run is using the warehouse; looking again at the next tick")
    if not stale:
        return dg.SensorResult(
            skip_reason=dg.SkipReason("the changed files hold nothing new"), cursor=json.dumps(current)
        )
    run_key = hashlib.sha256(json.dumps({name: current[name] for name in changed}).encode()).hexdigest()[:16]
    # One run over the changed months (reference files alone: the newest month), never one run per month.
    months = extract_months(Path(landing_value), changed)
    tags = {"highneeds/changed_files": ", ".join(changed)[:500], **months_tags(months)}
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags=tags, asset_selection=stale)],
        cursor=json.dumps(current),
    )


def _step_failures(context: dg.RunFailureSensorContext) -> list[str]:
    failures = []
    for event in context.get_step_failure_events():
        error = event.event_specific_data.error if event.event_specific_data else None
        failures.append(f"{event.step_key}: {root_cause_message(error)}")
    return failures


@dg.run_failure_sensor(
    name="email_on_run_failure",
    description="E-mails the configured recipients (HIGHNEEDS_SMTP_*) when any run fails.",
    default_status=dg.DefaultSensorStatus.RUNNING,
)
def email_on_run_failure(context: dg.RunFailureSensorContext) -> None:
    send_failure_alert(context.dagster_run.job_name, context.dagster_run.run_id, _step_failures(context))
