"""Running the whole pipeline through Dagster from the CLI, and summarising what it did."""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from orchestration.alerts import root_cause_message, send_failure_alert
from orchestration.instance import prepare_dagster_home
from orchestration.jobs import MONTHLY_RUN_JOB_NAME
from orchestration.partitions import all_months_tags
from orchestration.run_lock import exclusive_run
from orchestration.run_start import finish_writing, start_writing
from orchestration.settings import Settings
from orchestration.warehouse import connect

QUIET_DAGSTER_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}


@dataclass
class RunOutcome:
    """What a run did: success, failures in plain words, table sizes and where outputs are."""

    settings: Settings
    success: bool
    run_id: str
    seconds: float
    failures: list[str] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    log_file: Path | None = None

    def summary_text(self) -> str:
        lines = [
            f"Run {self.run_id[:8]} {'succeeded' if self.success else 'FAILED'} in {self.seconds:.1f}s",
        ]
        for failure in self.failures:
            lines.append(f"  ✗ {failure}")
        raw = {name: rows for name, rows in self.table_rows.items() if name.startswith("raw.")}
        marts = {name: rows for name, rows in self.table_rows.items() if name.startswith("marts.")}
        if raw:
            lines.append("Rows loaded (raw):")
            lines += [f"  {name:<34} {rows:>10,}" for name, rows in raw.items()]
        if marts:
            lines.append("Marts built:")
            lines += [f"  {name:<34} {rows:>10,}" for name, rows in marts.items()]
        lines.append(f"Warehouse: {self.settings.warehouse}")
        lines.append(f"Reports:   {self.settings.reports_dir}")
        lines.append(f"Archive:   {self.settings.archive_dir}")
        lines.append(f"Quarantine: {self.settings.quarantine_dir}")
        if self.log_file:
            lines.append(f"Run log:   {self.log_file}")
        lines.append("Look at it: highneeds ui" + (f" --home {self.settings.home}"))
        return "\n".join(lines)


def warehouse_table_rows(settings: Settings) -> dict[str, int]:
    """Row counts of the raw tables and marts, for the summary."""
    if not settings.warehouse.exists():
        return {}
    with connect(settings.warehouse, read_only=True) as connection:
        tables = connection.execute(
            """select table_schema, table_name from information_schema.tables
               where table_schema in ('raw', 'marts') and not starts_with(table_name, '_')
               order by table_schema desc, table_name"""
        ).fetchall()
        return {
            f"{schema}.{name}": connection.execute(f'select count(*) from "{schema}"."{name}"').fetchone()[0]
            for schema, name in tables
        }


def failure_messages(result) -> list[str]:
    return [
        f"{event.step_key}: {root_cause_message(event.step_failure_data.error)}"
        for event in result.all_events
        if event.is_step_failure
    ]


CLI_PID_TAG = "highneeds/cli_pid"


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def release_runs_of_dead_cli_processes(instance) -> list[str]:
    """Mark runs whose CLI process was killed as failed and free the pool slots they held.

    A run killed half-way (power cut, Ctrl-C twice, OOM) never releases its `warehouse` pool slot, so the
    next run would wait for it forever. Only runs started by this CLI whose process is gone are touched:
    a run the UI started is left to Dagster's run monitoring.
    """
    import dagster as dg

    released = []
    unfinished = instance.get_runs(
        filters=dg.RunsFilter(statuses=[dg.DagsterRunStatus.STARTED, dg.DagsterRunStatus.STARTING])
    )
    for run in unfinished:
        pid = run.tags.get(CLI_PID_TAG)
        if pid is None or _pid_alive(int(pid)):
            continue
        instance.report_run_failed(run, message="the process running it was stopped before it finished")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def run_pipeline(settings: Settings, new_pseudonym_key: bool = False) -> RunOutcome:
    """Materialise every asset in one Dagster run (in this process) over the settings' home and landing.

    The run lock covers all of it, from the checks before the first write (`orchestration/run_start.py`:
    leftovers of a killed run, a damaged warehouse, the pseudonym key, the backup) to the summary.
    """
    started = time.monotonic()
    with exclusive_run(settings.home):
        start_writing(settings, new_pseudonym_key=new_pseudonym_key)
        try:
            outcome = _execute_monthly_job(settings, started)
        finally:
            finish_writing(settings)
    if not outcome.success:
        send_failure_alert(MONTHLY_RUN_JOB_NAME, outcome.run_id, outcome.failures)
    return outcome


def _execute_monthly_job(settings: Settings, started: float) -> RunOutcome:
    settings.export_env()
    prepare_dagster_home(settings)

    import dagster as dg

    from orchestration.definitions import defs

    job = defs.resolve_job_def(MONTHLY_RUN_JOB_NAME)
    log_dir = settings.home / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    log_file = log_dir / f"run-{datetime.now():%Y%m%d-%H%M%S}.log"
    # dbt's own log lines go to the run's log file, so the terminal shows our progress lines only.
    with (
        log_file.open("w") as log,
        contextlib.redirect_stdout(log),
        dg.DagsterInstance.get() as instance,
    ):
        release_runs_of_dead_cli_processes(instance)
        result = job.execute_in_process(
            instance=instance,
            raise_on_error=False,
            run_config=QUIET_DAGSTER_CONSOLE,
            tags={**all_months_tags(), CLI_PID_TAG: str(os.getpid())},
        )
    return RunOutcome(
        settings=settings,
        success=result.success,
        run_id=result.run_id,
        seconds=time.monotonic() - started,
        failures=failure_messages(result),
        table_rows=warehouse_table_rows(settings),
        log_file=log_file,
    )
