"""Checking landing files against their suites, one chunk at a time.

`check_landing_file` is the gate every file passes, whether it is being loaded (`ingest.py` hands it a
`sink` that stages each clean chunk inside the load's transaction) or only checked (`highneeds check`,
through `check_landing_folder`). Memory is bounded by the chunk size: chunks are read, typed, validated,
handed to the sink and dropped; what outlives a chunk is its keys' hashes and small file summaries.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import duckdb
import pandas as pd

from orchestration.conform import ConformedTable, conform_table
from orchestration.contract import DATASETS, LandingFile, UnrecognisedFileName, identify_landing_file
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.reading import SOURCE_ROW, RawTable, iter_landing_chunks
from orchestration.problems import Problem
from orchestration.quality.context import ValidationContext
from orchestration.quality.frames import file_summary_builder, validation_frame
from orchestration.quality.report import FileReport
from orchestration.quality.rules import CHUNK_ROWS, REFERENCED_DATASETS
from orchestration.settings import Settings
from orchestration.warehouse import connect

if TYPE_CHECKING:
    from expectations.validate import SuiteRunner

ChunkSink = Callable[[RawTable, ConformedTable], None]


def check_landing_file(
    landing_file: LandingFile,
    context: ValidationContext,
    runner: SuiteRunner,
    sha256: str | None = None,
    sink: ChunkSink | None = None,
    chunk_rows: int = CHUNK_ROWS,
) -> FileReport:
    """Every problem of one file; clean chunks go to `sink` while no error has been found.

    A file without errors is remembered by `context`, so later files of the run are checked against it
    (a transaction id used in two new months is caught even though neither is loaded yet).
    """
    from expectations.validate import FILE, ROWS, add_findings

    dataset = landing_file.dataset
    report = FileReport(landing_file=landing_file, sha256=sha256)
    state = context.start_file(landing_file)
    summary = file_summary_builder(dataset)
    try:
        for raw_chunk in iter_landing_chunks(landing_file.path, dataset, chunk_rows):
            conformed = conform_table(raw_chunk, landing_file)
            frame = validation_frame(dataset, conformed)
            parameters = context.chunk_parameters(state, frame)
            result = runner.validate(
                dataset, frame, ROWS, parameters.values, label=_chunk_label(landing_file, frame)
            )
            add_findings(report, result, frame, parameters.notes)
            for rule, column, message in parameters.warnings:
                finding = report.finding(rule, column, "warning", message)
                if not finding.count:
                    finding.merge(count=1, rows=(), examples=())
            report.rows_checked += len(frame)
            if summary is not None:
                summary.add(frame)
            if sink is not None and not report.has_errors:
                sink(raw_chunk, conformed)
    except LandingFileError as error:
        report.add_error(error)
    else:
        if summary is not None:
            file_frame = context.file_summary_parameters(state, summary.finish())
            result = runner.validate(dataset, file_frame, FILE, {}, label=f"{landing_file.name} (whole file)")
            add_findings(report, result, file_frame, {})
    if not report.has_errors:
        context.accept(state)
    return report


def _chunk_label(landing_file: LandingFile, frame: pd.DataFrame) -> str:
    if frame.empty:
        return f"{landing_file.name} (no rows)"
    return f"{landing_file.name} rows {int(frame[SOURCE_ROW].iloc[0]):,}–{int(frame[SOURCE_ROW].iloc[-1]):,}"


def duplicate_deliveries(files: list[LandingFile]) -> dict[str, Problem]:
    """Two files for the same month (or two versions of a reference file): both are refused."""
    by_month: dict[tuple[str, str], list[LandingFile]] = {}
    for landing_file in files:
        by_month.setdefault((landing_file.dataset.name, landing_file.extract_month or ""), []).append(
            landing_file
        )
    problems: dict[str, Problem] = {}
    for (_, month), same in by_month.items():
        if len(same) < 2:
            continue
        names = " and ".join(f.name for f in same)
        what = f"month {month}" if month else "reference file"
        for landing_file in same:
            problems[landing_file.name] = Problem(
                file=landing_file.name,
                rows=(),
                column=None,
                rule="duplicate_delivery",
                severity="error",
                message=f"{names} are two deliveries of the same {what}; keep only the right one in the "
                "landing folder",
            )
    return problems


# ----------------------------------------------------------------------------- highneeds check


@dataclass
class FolderCheck:
    """The outcome of `highneeds check`: one report per landing file, and notes about the folder."""

    reports: list[FileReport] = field(default_factory=list)
    folder_problems: list[Problem] = field(default_factory=list)

    @property
    def problems(self) -> list[Problem]:
        return [*self.folder_problems, *(p for report in self.reports for p in report.problems)]

    @property
    def passed(self) -> bool:
        return not any(problem.severity == "error" for problem in self.problems)


@contextmanager
def _read_only_warehouse(
    settings: Settings, notes: list[Problem]
) -> Iterator[duckdb.DuckDBPyConnection | None]:
    if not settings.warehouse.exists():
        yield None
        return
    try:
        with connect(settings.warehouse, read_only=True) as connection:
            yield connection
    except duckdb.IOException as error:
        notes.append(
            Problem(
                file=settings.warehouse.name,
                rows=(),
                column=None,
                rule="warehouse_unavailable",
                severity="warning",
                message=f"the warehouse could not be read ({error.__class__.__name__}: is a run in "
                "progress?), so files were not compared with what is already loaded",
            )
        )
        yield None


def _loaded_versions(connection: duckdb.DuckDBPyConnection | None) -> dict[tuple[str, str], str]:
    """(dataset, extract month) → sha256 of the file loaded for it, from the load log."""
    if connection is None:
        return {}
    exists = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'raw' and table_name = '_file_loads'"
    ).fetchall()[0][0]
    if not exists:
        return {}
    rows = connection.execute(
        "select dataset, extract_month, arg_max(source_sha256, loaded_at) from raw._file_loads group by all"
    ).fetchall()
    return {(dataset, month): sha for dataset, month, sha in rows}


def _dataset_order() -> list[str]:
    """Datasets others refer to first, so that their new files count as the newest delivery."""
    referenced = [name for names in REFERENCED_DATASETS.values() for name in names]
    return [*referenced, *(name for name in DATASETS if name not in referenced)]


def check_landing_folder(settings: Settings, chunk_rows: int = CHUNK_ROWS) -> FolderCheck:
    """Check every landing file in `settings.landing` without loading anything."""
    from expectations.validate import SuiteRunner
    from orchestration.ingest import file_sha256

    if settings.landing is None:
        raise ValueError("no landing folder given")
    outcome = FolderCheck()
    files: list[LandingFile] = []
    for path in sorted(
        p for p in settings.landing.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
    ):
        try:
            files.append(identify_landing_file(path))
        except UnrecognisedFileName as error:
            outcome.folder_problems.append(
                Problem(
                    file=path.name,
                    rows=(),
                    column=None,
                    rule="unrecognised_file_name",
                    severity="warning",
                    message=str(error).removeprefix(f"{path.name}: ") + "; the file is ignored",
                )
            )
    duplicates = duplicate_deliveries(files)
    runner = SuiteRunner()
    with _read_only_warehouse(settings, outcome.folder_problems) as connection:
        loaded = _loaded_versions(connection)
        contexts: dict[str, ValidationContext] = {}
        for name in _dataset_order():
            dataset = DATASETS[name]
            context = contexts[name] = ValidationContext(dataset, connection)
            for referenced in REFERENCED_DATASETS.get(name, ()):
                context.share_snapshot(contexts[referenced])
            for landing_file in sorted(
                (f for f in files if f.dataset.name == name), key=lambda f: (f.extract_month or "", f.name)
            ):
                sha256 = file_sha256(landing_file.path)
                if landing_file.name in duplicates:
                    report = FileReport(landing_file=landing_file, sha256=sha256)
                    report.add_problem(duplicates[landing_file.name])
                elif loaded.get((name, landing_file.extract_month or "")) == sha256:
                    # as `highneeds run` does: a file loaded already is not checked again
                    report = FileReport(landing_file=landing_file, sha256=sha256, already_loaded=True)
                else:
                    report = check_landing_file(landing_file, context, runner, chunk_rows=chunk_rows)
                outcome.reports.append(report)
    return outcome
