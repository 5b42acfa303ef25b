"""`highneeds`: the command line a finance officer or analyst uses.

Heavy imports (Dagster definitions, dbt, Great Expectations) happen inside the commands, so
`highneeds --help` answers at once.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import click

from orchestration.permissions import create_owner_only
from orchestration.refusal import RefusedToStart
from orchestration.settings import Settings

if TYPE_CHECKING:
    from expectations.folder import FolderCheck

_HOME_HELP = (
    "Folder for the warehouse, archive, quarantine and reports. Default: $HIGHNEEDS_HOME, else ./.highneeds"
)
CONFIG_EXIT_CODE = 2
"""Exit code of a command refused because of its configuration file (nothing was read or written)."""

config_option = click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="The installation's highneeds.yaml. Default: $HIGHNEEDS_CONFIG, else <home>/highneeds.yaml, "
    "else the demo county's defaults.",
)


def _settings(home: Path | None, landing: Path | None = None, config_file: Path | None = None) -> Settings:
    """The settings of one command, its configuration validated first: a bad file stops the command with one
    message naming the file, key and fix, before anything is read or written."""
    from orchestration.config import ConfigError

    settings = Settings.from_env(home=home, landing=landing, config=config_file)
    try:
        settings.config  # noqa: B018 - validates (and caches) the configuration
    except ConfigError as problem:
        click.echo(f"Configuration refused, nothing done:\n{problem}", err=True)
        sys.exit(CONFIG_EXIT_CODE)
    return settings


class _ElapsedFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__()
        self.started = time.monotonic()

    def format(self, record: logging.LogRecord) -> str:
        return f"[{time.monotonic() - self.started:6.1f}s] {record.getMessage()}"


def _refuse(refusal: RefusedToStart) -> NoReturn:
    """A command that did not start says why, on stderr, with exit code 2 (1 is a run that failed)."""
    click.echo(str(refusal), err=True)
    sys.exit(2)


@contextmanager
def _reading_the_warehouse(settings: Settings) -> Iterator[None]:
    """A reader's place in home, and a warehouse that reads whole; else one clear message and exit 2."""
    from orchestration.run_lock import reading_warehouse
    from orchestration.run_start import check_warehouse_reads

    try:
        with reading_warehouse(settings.home):
            check_warehouse_reads(settings)
            yield
    except RefusedToStart as refusal:
        _refuse(refusal)


def _show_progress() -> None:
    from orchestration.progress import PROGRESS_LOGGER

    logger = logging.getLogger(PROGRESS_LOGGER)
    if not any(getattr(h, "_highneeds", False) for h in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(_ElapsedFormatter())
        handler._highneeds = True  # type: ignore[attr-defined]
        logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """High Needs platform: turns monthly finance and case-management extracts into budget monitoring,
    deficit tracking, impact evaluation and the Schools Forum pack.

    \b
    Typical month:
      highneeds check --landing /shared/highneeds/incoming     # are the files fit to load?
      highneeds run   --landing /shared/highneeds/incoming     # load, model, report
      highneeds ui                                            # look at it in the browser
    """


@main.command()
@click.option(
    "--landing",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder to write the demo landing files into (created if missing).",
)
@click.option(
    "--seed", default=42, show_default=True, help="Random seed: the same seed gives the same files."
)
@click.option(
    "--scale",
    type=click.Choice(["county", "national"]),
    default="county",
    show_default=True,
    help="county ≈ one shire county; national ≈ 30× the rows, for benchmarks.",
)
@click.option(
    "--latest-month",
    default=None,
    metavar="YYYY-MM",
    help="Last month of data. Default: the last complete calendar month.",
)
@click.option(
    "--layout",
    type=click.Choice(["contract", "local"]),
    default="contract",
    show_default=True,
    help="contract: the contract's header names; local: an LA's own headers plus personal columns the "
    "platform must drop, and a highneeds.yaml whose `columns:` map reads them.",
)
@click.option(
    "--home",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Home folder to write the demo's highneeds.yaml into, for `highneeds run --home` to find. "
    "Default: $HIGHNEEDS_HOME, else ./.highneeds",
)
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the demo's configuration here instead of <home>/highneeds.yaml.",
)
def demo(
    landing: Path,
    seed: int,
    scale: str,
    latest_month: str | None,
    layout: str,
    home: Path | None,
    config_file: Path | None,
) -> None:
    """Write realistic demo landing files for a fictional county (no real child is in them), and the
    county's configuration (LA 916 and its documented statistical neighbours)."""
    from orchestration.config import CONFIG_FILE_NAME
    from orchestration.demo.generate import default_latest_month, generate_demo
    from orchestration.demo.installation import write_demo_config
    from orchestration.demo.layouts import apply_layout, columns_map

    _show_progress()
    started = time.monotonic()
    summary = generate_demo(
        landing, seed=seed, scale=scale, latest_month=latest_month or default_latest_month()
    )
    apply_layout(landing, layout)  # type: ignore[arg-type]
    click.echo(
        f"Wrote {len(summary.files)} landing files to {landing.resolve()} "
        f"in {time.monotonic() - started:.1f}s"
    )
    for dataset, rows in sorted(summary.rows_by_dataset.items()):
        click.echo(f"  {dataset:<18} {rows:>10,} rows")
    click.echo(f"Planted effects (ground truth): {summary.ground_truth_path}")
    config_path = config_file or Settings.from_env(home=home).home / CONFIG_FILE_NAME
    columns = columns_map(layout) or None  # type: ignore[arg-type]
    if write_demo_config(config_path, columns=columns):
        mapping = ", the local headers' map" if columns else ""
        click.echo(f"Configuration (LA 916, listed neighbours{mapping}): {config_path.resolve()}")
    else:
        click.echo(
            f"Kept {config_path.resolve()}: it was not written by `highneeds demo`. The demo county expects "
            "LA 916 and no header mapping."
        )


@main.command()
@click.option(
    "--landing",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder the extracts are dropped into. It is read, never changed.",
)
@click.option("--home", default=None, type=click.Path(file_okay=False, path_type=Path), help=_HOME_HELP)
@config_option
@click.option(
    "--new-pseudonym-key",
    is_flag=True,
    help="Start a new pseudonym key although the warehouse holds children pseudonymised with another "
    "(lost for good): children loaded before will not link to those loaded after. Logged.",
)
def run(landing: Path, home: Path | None, config_file: Path | None, new_pseudonym_key: bool) -> None:
    """Load new or changed landing files and rebuild the models, marts and reports they change — through
    Dagster. With nothing new it says so in about a second.

    Exit code 0 when the run succeeded, 1 when it failed, 2 when it did not start (another run, a
    damaged warehouse, a missing or wrong pseudonym key, a refused configuration): then nothing was changed.
    """
    settings = _settings(home, landing, config_file)
    from orchestration.run import run_pipeline

    create_owner_only()
    _show_progress()
    try:
        outcome = run_pipeline(settings, new_pseudonym_key=new_pseudonym_key)
    except RefusedToStart as refusal:
        _refuse(refusal)
    click.echo(outcome.summary_text())
    if not outcome.success:
        sys.exit(1)


@main.command()
@click.option(
    "--landing",
    required=True,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Folder the extracts are dropped into. It is read, never changed.",
)
@click.option(
    "--home",
    default=None,
    type=click.Path(file_okay=False, path_type=Path),
    help="Warehouse to compare with (ids already loaded, the newest placements). "
    "Default: $HIGHNEEDS_HOME, else ./.highneeds; none yet is fine.",
)
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print one JSON array of problems instead of text.")
def check(landing: Path, home: Path | None, config_file: Path | None, as_json: bool) -> None:
    """Check the landing files against the data contract without loading anything.

    Exit code 0 when every file could be loaded (warnings allowed), 1 when any file would be refused,
    2 when the configuration file is refused.
    """
    settings = _settings(home, landing, config_file)
    from expectations.folder import check_landing_folder
    from expectations.report import problems_json

    with _reading_the_warehouse(settings):
        outcome = check_landing_folder(settings)
    if as_json:
        click.echo(problems_json(outcome.problems))
    else:
        _echo_check(outcome)
    sys.exit(0 if outcome.passed else 1)


def _echo_check(outcome: FolderCheck) -> None:
    from expectations.report import safe_json

    refused = [report for report in outcome.reports if report.refused]
    for problem in outcome.folder_problems:
        click.echo(f"! {safe_json(str(problem))}")
    for entry in outcome.ignored:
        click.echo(f"- {safe_json(entry.name)}: ignored: {safe_json(entry.reason)}")
    for report in outcome.reports:
        mark = "✗" if report.refused else ("!" if report.warnings else "✓")
        verdict = "would be REFUSED" if report.refused else f"{report.rows_checked:,} rows, ok"
        if report.already_loaded:
            mark, verdict = "=", "loaded already, unchanged"
        click.echo(f"{mark} {report.name}: {verdict}")
        for problem in report.problems:
            where = problem.where()
            label = "error" if problem.severity == "error" else "warning"
            click.echo(f"    {label} [{problem.rule}]{' ' + where if where else ''}: {problem.message}")
    ignored = (
        f", {len(outcome.ignored)} other entr{'y' if len(outcome.ignored) == 1 else 'ies'} ignored"
        if outcome.ignored
        else ""
    )
    click.echo(
        f"Checked {len(outcome.reports)} file(s): {len(refused)} would be refused, "
        f"{sum(len(r.warnings) for r in outcome.reports)} warning(s){ignored}."
    )


@main.command()
@click.option("--home", default=None, type=click.Path(file_okay=False, path_type=Path), help=_HOME_HELP)
@click.option(
    "--landing",
    default=None,
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="Landing folder runs started from the UI read. Default: $HIGHNEEDS_LANDING.",
)
@config_option
@click.option("--port", default=3000, show_default=True, help="Port on 127.0.0.1.")
def ui(home: Path | None, landing: Path | None, config_file: Path | None, port: int) -> None:
    """Start the Dagster UI on http://127.0.0.1:PORT over the same home as `highneeds run`."""
    import os
    import subprocess

    from orchestration.instance import prepare_dagster_home
    from orchestration.run_lock import refuse_during_a_run
    from orchestration.settings import PROJECT_ROOT

    create_owner_only()
    settings = _settings(home, landing, config_file)
    try:
        refuse_during_a_run(settings.home)
    except RefusedToStart as refusal:
        _refuse(refusal)
    prepare_dagster_home(settings)
    settings.export_env()
    dagster = Path(sys.executable).parent / "dagster"
    click.echo(f"Dagster UI on http://127.0.0.1:{port} (home {settings.home}); Ctrl-C to stop.")
    completed = subprocess.run(
        [str(dagster), "dev", "-w", str(PROJECT_ROOT / "workspace.yaml"), "-h", "127.0.0.1", "-p", str(port)],
        cwd=PROJECT_ROOT,
        env=os.environ.copy(),
        check=False,
    )
    sys.exit(completed.returncode)


@main.command()
@click.option("--month", required=True, metavar="YYYY-MM", help="Month to report on, e.g. 2025-10.")
@click.option("--home", default=None, type=click.Path(file_okay=False, path_type=Path), help=_HOME_HELP)
@config_option
def report(month: str, home: Path | None, config_file: Path | None) -> None:
    """Draw the Schools Forum pack for MONTH: public HTML and PDF, the officers' finance workbook and the
    DSG management plan workbook."""
    settings = _settings(home, config_file=config_file)
    from orchestration.reports.pack import build_pack

    create_owner_only()
    try:
        with _reading_the_warehouse(settings):
            result = build_pack(settings, month)
    except (ValueError, FileNotFoundError) as problem:
        raise click.ClickException(str(problem)) from problem
    click.echo(f"Schools Forum pack for {month} written to {result.folder} in {result.seconds:.1f}s")
    for name in ("html", "pdf", "workbook", "management_plan"):
        click.echo(f"  {name:<15} {result.paths[name].name}")
    if result.unavailable_sections:
        click.echo(f"  not available yet: {', '.join(result.unavailable_sections)}")


@main.command()
@click.option("--home", default=None, type=click.Path(file_okay=False, path_type=Path), help=_HOME_HELP)
@click.option(
    "--la-code",
    default=None,
    type=int,
    metavar="NNN",
    help="Your DfE 3-digit LA code (e.g. 916). Default: the demo county's, 916.",
)
@click.option(
    "--config",
    "config_file",
    default=None,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write the file here instead of <home>/highneeds.yaml.",
)
@click.option("--force", is_flag=True, help="Replace an existing configuration file.")
def init(home: Path | None, la_code: int | None, config_file: Path | None, force: bool) -> None:
    """Write a commented starter configuration, <home>/highneeds.yaml, for your LA."""
    from orchestration.config import (
        CONFIG_FILE_NAME,
        DEMO_LA_CODE,
        known_la_codes,
        las_with_population,
        starter_config,
    )

    path = (config_file or Settings.from_env(home=home).home / CONFIG_FILE_NAME).resolve()
    if path.exists() and not force:
        click.echo(
            f"{path} already exists; nothing written. Edit it, or add --force to replace it.", err=True
        )
        sys.exit(1)
    try:
        text = starter_config(la_code if la_code is not None else DEMO_LA_CODE)
    except ValueError as problem:
        click.echo(f"Nothing written. --la-code: {problem}", err=True)
        sys.exit(CONFIG_EXIT_CODE)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    code = la_code if la_code is not None else DEMO_LA_CODE
    click.echo(f"Wrote {path} for {known_la_codes()[code]} ({code}).")
    if code not in las_with_population():
        click.echo("List its statistical_neighbours before the first run: they cannot be computed for it.")
    click.echo(
        "Edit it if your extracts' headers differ from the contract's, then: highneeds check --landing DIR"
    )


@main.command()
@click.option("--home", default=None, type=click.Path(file_okay=False, path_type=Path), help=_HOME_HELP)
@click.option(
    "--new-pseudonym-key",
    is_flag=True,
    help="The pseudonym key is lost for good: pseudonymise every archived file again under a new key "
    "(each child keeps one pseudonym, a new one). Logged.",
)
def rebuild(home: Path | None, new_pseudonym_key: bool) -> None:
    """Make the warehouse again from the archive alone: every file version ever loaded, in its original
    order and with its original load time, then every model and mart. The landing folder is not needed.

    The rebuilt warehouse replaces the old one only when complete; the old one is kept under
    backups/replaced-*. Its marts are compared with the old ones. Exit code 0 when identical (or there was
    no readable old warehouse), 1 when they differ, 2 when the rebuild could not be done (nothing changed).
    """
    from orchestration.rebuild import rebuild_warehouse
    from orchestration.run_lock import exclusive_run

    create_owner_only()
    _show_progress()
    settings = Settings.from_env(home=home)
    try:
        with exclusive_run(settings.home, command="highneeds rebuild"):
            result = rebuild_warehouse(settings, new_pseudonym_key=new_pseudonym_key)
    except RefusedToStart as refusal:
        _refuse(refusal)
    click.echo(
        f"Rebuilt {settings.warehouse} from {result.files_replayed} archived file(s) "
        f"({result.rows_replayed:,} rows, from {result.load_log_source}) in {result.seconds:.1f}s"
    )
    if result.replaced:
        click.echo(f"The old warehouse is kept as {result.replaced}")
    for note in result.notes:
        click.echo(f"Note: {note}")
    if result.comparison is None:
        return
    if result.comparison.identical:
        click.echo(
            f"Marts identical to the old warehouse's: {len(result.comparison.tables)} tables, "
            f"{result.comparison.rows:,} rows compared row by row"
        )
        return
    click.echo(
        "Marts DIFFER from the old warehouse's (the code or the checks changed since, or it was damaged):"
    )
    for difference in result.comparison.differences:
        click.echo(f"  ✗ {difference}")
    sys.exit(1)


@main.command()
@click.option("--home", default=None, type=click.Path(file_okay=False, path_type=Path), help=_HOME_HELP)
@click.option(
    "--backup",
    default=None,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The backup file to put back. Default: the newest backup that reads whole.",
)
def restore(home: Path | None, backup: Path | None) -> None:
    """Put back a warehouse backup (each run takes one before it writes; the newest three are kept).

    The current warehouse is kept under backups/replaced-*. Run again afterwards: the files delivered
    since the backup are loaded again from the landing folder.
    """
    from orchestration.backups import NoReadableBackup, restore_backup
    from orchestration.run_lock import exclusive_run

    create_owner_only()
    settings = Settings.from_env(home=home)
    try:
        with exclusive_run(settings.home, command="highneeds restore"):
            restored = restore_backup(settings, backup)
    except RefusedToStart as refusal:
        _refuse(refusal)
    except NoReadableBackup as none:
        click.echo(
            f"Nothing was restored: no backup could be read ({none}). Rebuild the warehouse from the "
            f"archive instead: highneeds rebuild --home {settings.home}",
            err=True,
        )
        sys.exit(2)
    for skipped in restored.skipped:
        click.echo(f"Skipped a backup that could not be read: {skipped}")
    click.echo(f"Restored {restored.backup.name} as {settings.warehouse}")
    if restored.replaced:
        click.echo(f"The warehouse it replaced is kept as {restored.replaced}")
    click.echo(f"Next: highneeds run --landing DIR --home {settings.home}")


if __name__ == "__main__":
    main()
