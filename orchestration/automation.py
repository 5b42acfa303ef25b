"""What runs without anyone at a terminal: the monthly schedule, the new-file sensor, the failure e-mail."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import dagster as dg

from orchestration.alerts import root_cause_message, send_failure_alert
from orchestration.contract import landing_files
from orchestration.jobs import monthly_run_job

MONTHLY_CRON = "0 6 6 * *"
"""06:00 on the 6th: finance systems close the month in the first working days."""
LONDON = "Europe/London"

monthly_schedule = dg.ScheduleDefinition(
    name="monthly_run_schedule",
    job=monthly_run_job,
    cron_schedule=MONTHLY_CRON,
    execution_timezone=LONDON,
    description="Runs the monthly job at 06:00 (UK time) on the 6th of every month.",
    default_status=dg.DefaultScheduleStatus.STOPPED,
)


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
    run_key = hashlib.sha256(json.dumps({name: current[name] for name in changed}).encode()).hexdigest()[:16]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, tags={"highneeds/changed_files": ", ".join(changed)[:500]})],
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
