"""Running the pipeline through Dagster from the CLI, and summarising what it did.

A run first works out what is stale (`orchestration/staleness.py`) and materialises only that, in one
Dagster run in this process. With nothing stale it starts no Dagster run at all: it says "nothing new
since <time>; outputs unchanged", and its log file under `<home>/logs/` records what was compared. When
the landing files and the dbt project are exactly those the outputs were last brought up to date from,
it knows that before loading Dagster, in about a second.
"""

from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.alerts import root_cause_message, send_failure_alert
from orchestration.dbt_launcher import process_alive
from orchestration.instance import prepare_dagster_home
from orchestration.run_lock import exclusive_run
from orchestration.settings import Settings
from orchestration.warehouse import connect

if TYPE_CHECKING:
    import dagster as dg

    from orchestration.staleness import RunPlan

QUIET_DAGSTER_CONSOLE = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
CLI_PID_TAG = "highneeds/cli_pid"
_SHOWN_SCHEMAS = ("marts", "reports")
"""Skipped assets the summary names one by one; staging and intermediate models are only counted."""


FILE_OUTCOMES = ("loaded", "unchanged", "refused", "not loaded", "ignored")


@dataclass(frozen=True)
class FileOutcome:
    """What happened to one landing file in a run: loaded, unchanged, refused or ignored, and why."""

    name: str
    outcome: str
    detail: str = ""
    warnings: tuple[str, ...] = ()
    """What the quality gate warned about the file in this run (it loaded: the warnings do not block)."""


@dataclass
class RunOutcome:
    """What a run did: success, failures in plain words, files, skipped assets, table sizes, outputs."""

    settings: Settings
    success: bool
    run_id: str | None
    seconds: float
    failures: list[str] = field(default_factory=list)
    table_rows: dict[str, int] = field(default_factory=dict)
    log_file: Path | None = None
    nothing_new_since: datetime | None = None
    """Set when the run found nothing stale and so built nothing."""
    files: list[FileOutcome] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    """Asset → why it was stale but not built in this run (a refused file upstream, a failure)."""

    @property
    def nothing_new(self) -> bool:
        return self.run_id is None

    def summary_text(self) -> str:
        if self.nothing_new:
            since = f"{self.nothing_new_since:%Y-%m-%d %H:%M}" if self.nothing_new_since else "the last run"
            lines = [f"Nothing new since {since}; outputs unchanged (checked in {self.seconds:.1f}s)"]
        else:
            verdict = "succeeded" if self.success else "FAILED"
            lines = [f"Run {self.run_id[:8]} {verdict} in {self.seconds:.1f}s"]
        lines += [f"  ✗ {failure}" for failure in self.failures]
        lines += _files_text(self.files)
        lines += _skipped_text(self.skipped)
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


def _files_text(files: list[FileOutcome]) -> list[str]:
    if not files:
        return []
    counts = {outcome: sum(file.outcome == outcome for file in files) for outcome in FILE_OUTCOMES}
    lines = [
        "Landing files: " + ", ".join(f"{count} {outcome}" for outcome, count in counts.items() if count)
    ]
    for file in files:
        if file.outcome != "unchanged":
            lines.append(f"  {file.outcome:<9} {file.name}{' — ' + file.detail if file.detail else ''}")
        lines += [f"    ! {warning}" for warning in file.warnings[:_WARNINGS_SHOWN]]
        if len(file.warnings) > _WARNINGS_SHOWN:
            lines.append(
                f"    ! … and {len(file.warnings) - _WARNINGS_SHOWN} more (highneeds check lists them)"
            )
    return lines


_WARNINGS_SHOWN = 3
"""Warnings the summary prints per file; all of them are in `highneeds check` and the pack."""


def with_warnings(settings: Settings, files: list[FileOutcome]) -> list[FileOutcome]:
    """The run's loaded files with what the gate warned about them, from the warehouse's outcome table."""
    from orchestration.ingest import landing_file_outcomes as recorded_outcomes

    loaded = {file.name for file in files if file.outcome == "loaded"}
    if not loaded or not settings.warehouse.exists():
        return files
    with connect(settings.warehouse, read_only=True) as connection:
        warned = {
            row.file: row.warnings
            for row in recorded_outcomes(connection)
            if row.outcome == "loaded" and row.file in loaded and row.warnings
        }
    return [replace(file, warnings=warned.get(file.name, ())) for file in files]


def _skipped_text(skipped: dict[str, str]) -> list[str]:
    if not skipped:
        return []
    shown = {key: why for key, why in skipped.items() if key.split("/")[0] in _SHOWN_SCHEMAS}
    lines = [f"Not rebuilt this run ({len(skipped)} assets, kept as they were):"]
    lines += [f"  {key} — {why}" for key, why in sorted(shown.items())]
    if len(skipped) > len(shown):
        lines.append(f"  … and {len(skipped) - len(shown)} staging and intermediate models")
    return lines


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


def release_runs_of_dead_cli_processes(instance: dg.DagsterInstance) -> list[str]:
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
        if pid is None or process_alive(int(pid)):
            continue
        instance.report_run_failed(run, message="the process running it was stopped before it finished")
        instance.event_log_storage.free_concurrency_slots_for_run(run.run_id)
        released.append(run.run_id)
    return released


def landing_file_outcomes(
    plan: RunPlan, loaded: set[str], refusals: dict[str, dict[str, str]], landing: Path
) -> list[FileOutcome]:
    """HOOK for ingest's reader of per-file outcomes (loaded, unchanged, refused or ignored, with why).

    Until that reader is merged, outcomes come from what this run saw: the files its landing assets loaded
    or refused; a file the plan found new but that was neither was not loaded (its dataset's load failed,
    see the failures); every other recognised file was unchanged. Unrecognised files are not listed yet.
    """
    from orchestration.contract import landing_files

    why_refused = {name: headline for files in refusals.values() for name, headline in files.items()}
    changed = {name for names in plan.changed_files.values() for name in names}
    outcomes = []
    for landing_file in landing_files(landing):
        name = landing_file.name
        if name in why_refused:
            first_problem = [*why_refused[name].splitlines(), ""][1].strip(" -")
            outcomes.append(FileOutcome(name, "refused", first_problem))
        elif name in loaded:
            outcomes.append(FileOutcome(name, "loaded"))
        elif name in changed:
            outcomes.append(
                FileOutcome(name, "not loaded", f"the load of {landing_file.dataset.name} failed")
            )
        else:
            outcomes.append(FileOutcome(name, "unchanged"))
    return outcomes


def changed_months(plan: RunPlan, landing: Path) -> list[str]:
    """The extract months of the plan's new or changed monthly files."""
    from orchestration.contract import extract_months

    return extract_months(landing, [name for files in plan.changed_files.values() for name in files])


def files_loaded(result) -> set[str]:
    """Names of the landing files this Dagster run loaded, from its landing assets' materializations."""
    return {
        name
        for event in result.get_asset_materialization_events()
        if event.asset_key.path[0] == "raw" and "files_loaded" in event.materialization.metadata
        for name in event.materialization.metadata["files_loaded"].value
    }


def skipped_assets(
    plan: RunPlan, result, graph: dg.AssetGraph, refusals: dict[str, dict[str, str]]
) -> dict[str, str]:
    """Assets the plan found stale that this run did not build, each with the reason."""
    from orchestration.assets.landing import landing_asset_key
    from orchestration.staleness import landing_dataset

    built = {event.asset_key for event in result.get_asset_materialization_events()}
    blocked_by: dict[dg.AssetKey, str] = {}
    for dataset in sorted(refusals):
        for key in _descendants(graph, landing_asset_key(dataset)):
            blocked_by.setdefault(key, dataset)
    failed_steps = {event.step_key for event in result.all_events if event.is_step_failure}
    skipped = {}
    for key in plan.stale:
        if key in built or landing_dataset(key) is not None:
            continue
        if key in blocked_by:
            why = f"built from {blocked_by[key]}, whose new file was refused"
        elif failed_steps:
            why = "not built: " + ", ".join(sorted(failed_steps)) + " failed"
        else:
            why = "not built"
        skipped[key.to_user_string()] = why
    return skipped


def _descendants(graph: dg.AssetGraph, key: dg.AssetKey) -> set[dg.AssetKey]:
    found: set[dg.AssetKey] = set()
    frontier = [key]
    while frontier:
        for child in graph.get(frontier.pop()).child_keys:
            if child not in found:
                found.add(child)
                frontier.append(child)
    return found


def run_pipeline(settings: Settings, new_pseudonym_key: bool = False) -> RunOutcome:
    """Materialise what is stale in one Dagster run (in this process) over the settings' home and landing.

    The run lock covers all of it. With nothing new (the same landing files, dbt project and configuration
    as the last complete run) it returns before anything is written. Otherwise the checks before the first
    write (`orchestration/run_start.py`: leftovers of a killed run, a damaged warehouse, the pseudonym key,
    the backup) come first, and the archive's load log and owner-only permissions are settled last.
    """
    from orchestration.dbt_manifest import project_fingerprint
    from orchestration.staleness import config_fingerprint, landing_digests, record_up_to_date

    started = time.monotonic()
    settings.export_env()
    with exclusive_run(settings.home):
        log_dir = settings.home / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        log_file = log_dir / f"run-{datetime.now():%Y%m%d-%H%M%S}.log"
        digests = landing_digests(settings.landing)
        dbt_project = project_fingerprint()
        config = config_fingerprint(settings)
        # dbt's own log lines go to the run's log file, so the terminal shows our progress lines only.
        with log_file.open("w") as log, contextlib.redirect_stdout(log):
            print(f"{len(digests)} landing files in {settings.landing}; dbt {dbt_project}; config {config}")
            since = None if new_pseudonym_key else _up_to_date_since(settings, digests, dbt_project, config)
            if since is not None:
                print(f"Nothing new since {since}: outputs built from these files, dbt project and config.")
                return RunOutcome(
                    settings=settings,
                    success=True,
                    run_id=None,
                    seconds=time.monotonic() - started,
                    log_file=log_file,
                    nothing_new_since=since,
                    files=[FileOutcome(name, "unchanged") for name in digests],
                )
        from orchestration.run_start import finish_writing, start_writing  # pandas: not for "nothing new"

        start_writing(settings, new_pseudonym_key=new_pseudonym_key)
        try:
            with log_file.open("a") as log, contextlib.redirect_stdout(log):
                outcome, complete = _run_dagster(settings, digests, log_file, started)
                if complete:
                    now = datetime.now().replace(microsecond=0)
                    record_up_to_date(settings.warehouse, now, digests, dbt_project, config)
            outcome.table_rows = warehouse_table_rows(settings)
            outcome.files = with_warnings(settings, outcome.files)
        finally:
            finish_writing(settings)
    if not outcome.success:
        from orchestration.jobs import MONTHLY_RUN_JOB_NAME

        send_failure_alert(MONTHLY_RUN_JOB_NAME, outcome.run_id or "", outcome.failures)
    return outcome


def _up_to_date_since(settings: Settings, digests: dict[str, str], dbt_project: str, config: str):
    """`staleness.up_to_date_since`, or None when the warehouse cannot be read: the checks before the
    first write then say what is wrong with it."""
    from orchestration.staleness import up_to_date_since

    try:
        return up_to_date_since(settings.warehouse, digests, dbt_project, config)
    except Exception:  # a damaged warehouse is reported by start_writing, in plain words
        return None


def _run_dagster(
    settings: Settings, digests: dict[str, str], log_file: Path, started: float
) -> tuple[RunOutcome, bool]:
    """Plan, then run what is stale; (outcome, whether everything planned was built)."""
    prepare_dagster_home(settings)

    import dagster as dg

    from orchestration.assets.refusals import refusals_in_run
    from orchestration.definitions import defs
    from orchestration.jobs import MONTHLY_RUN_JOB_NAME
    from orchestration.partitions import months_tags
    from orchestration.staleness import plan_for

    graph = defs.resolve_asset_graph()
    with dg.DagsterInstance.get() as instance:
        release_runs_of_dead_cli_processes(instance)
        plan = plan_for(settings, digests, graph, instance)
        print(f"Stale assets ({len(plan.stale)}):", *plan.reasons_text(limit=len(plan.stale)), sep="\n  ")
        if plan.nothing_new:
            print(
                f"Nothing new since {plan.up_to_date_since}; outputs unchanged. No Dagster run was started."
            )
            outcome = RunOutcome(
                settings=settings,
                success=True,
                run_id=None,
                seconds=time.monotonic() - started,
                log_file=log_file,
                nothing_new_since=plan.up_to_date_since,
                files=landing_file_outcomes(plan, set(), {}, settings.landing),
            )
            return outcome, True
        result = defs.resolve_job_def(MONTHLY_RUN_JOB_NAME).execute_in_process(
            instance=instance,
            asset_selection=list(plan.stale),
            raise_on_error=False,
            run_config=QUIET_DAGSTER_CONSOLE,
            tags={**months_tags(changed_months(plan, settings.landing)), CLI_PID_TAG: str(os.getpid())},
        )
        refusals = refusals_in_run(instance, result.run_id)
    outcome = RunOutcome(
        settings=settings,
        success=result.success,
        run_id=result.run_id,
        seconds=time.monotonic() - started,
        failures=failure_messages(result),
        log_file=log_file,
        files=landing_file_outcomes(plan, files_loaded(result), refusals, settings.landing),
        skipped=skipped_assets(plan, result, graph, refusals),
    )
    return outcome, outcome.success and not outcome.skipped
