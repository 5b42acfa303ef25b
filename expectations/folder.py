"""What is in the landing folder, and `highneeds check`: every entry accounted for, nothing followed.

`scan_landing_folder` sorts every entry of the folder, without opening any of them:
- a landing file (named `<dataset>[_YYYY-MM].csv|xlsx`, a regular file inside the folder): to be checked;
- refused unread: a symbolic link or anything resolving outside the folder (never followed, never copied),
  something that is not a regular file under a landing name, or a file named for a month after the
  current one;
- ignored, with the reason: a name that is not a landing file name (`hn_ledger_2026-10 (copy).csv`), a
  folder (`corrections/`), a hidden or Excel lock file, a file of another kind.
So a run and `check` can say what became of every file, and nothing silently disappears.
"""

from __future__ import annotations

import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from graphlib import TopologicalSorter
from pathlib import Path

import duckdb

from expectations.context import ValidationContext
from expectations.gate import FileToCheck, check_dataset_files, duplicate_deliveries, make_runner
from expectations.problems import Problem
from expectations.report import FileReport
from expectations.rules import REFERENCED_DATASETS
from orchestration.contract import DATASETS, LandingFile, UnrecognisedFileName, identify_landing_file
from orchestration.parsing.headers import header_map_for
from orchestration.settings import Settings
from orchestration.warehouse import connect


@dataclass(frozen=True)
class IgnoredEntry:
    """An entry of the landing folder that is not a landing file, and why (never opened)."""

    name: str
    reason: str
    dataset: str | None = None
    """The dataset its name starts with, if any (`hn_ledger_2026-10 (copy).csv` → hn_ledger)."""


@dataclass
class LandingScan:
    """The landing folder, sorted: files to check, files refused unread, entries ignored."""

    files: list[LandingFile] = field(default_factory=list)
    refused: list[FileToCheck] = field(default_factory=list)
    """Refused without being read: each carries the problem that says why."""
    ignored: list[IgnoredEntry] = field(default_factory=list)

    def for_dataset(self, dataset: str) -> LandingScan:
        """The dataset's share of the folder; entries named like no dataset belong to every dataset."""
        return LandingScan(
            files=[f for f in self.files if f.dataset.name == dataset],
            refused=[f for f in self.refused if f.landing_file.dataset.name == dataset],
            ignored=[entry for entry in self.ignored if entry.dataset in (dataset, None)],
        )


def _dataset_named_like(name: str) -> str | None:
    lowered = name.lower()
    matches = [dataset for dataset in DATASETS if lowered.startswith(dataset)]
    return max(matches, key=len) if matches else None


def _refusal(landing_file: LandingFile, rule: str, message: str) -> FileToCheck:
    problem = Problem(
        file=landing_file.name, rows=(), column=None, rule=rule, severity="error", message=message
    )
    return FileToCheck(landing_file=landing_file, refused_because=problem)


def scan_landing_folder(landing: Path, today: date | None = None) -> LandingScan:
    """Sort every entry of the landing folder (see the module docstring); nothing is opened or followed."""
    today = today or date.today()
    current_month = f"{today:%Y-%m}"
    folder = landing.resolve()
    scan = LandingScan()
    for path in sorted(landing.iterdir(), key=lambda p: p.name):
        name = path.name
        info = path.lstat()
        if name.startswith("~$"):
            scan.ignored.append(IgnoredEntry(name, "an Excel lock file (the workbook is open somewhere)"))
            continue
        if name.startswith("."):
            scan.ignored.append(IgnoredEntry(name, "a hidden file"))
            continue
        if stat.S_ISDIR(info.st_mode):
            scan.ignored.append(
                IgnoredEntry(name, "a folder: only files directly in the landing folder are read")
            )
            continue
        try:
            landing_file = identify_landing_file(path)
        except UnrecognisedFileName as error:
            scan.ignored.append(
                IgnoredEntry(name, str(error).removeprefix(f"{name}: "), dataset=_dataset_named_like(name))
            )
            continue
        if stat.S_ISLNK(info.st_mode):
            scan.refused.append(
                _refusal(
                    landing_file,
                    "symlink",
                    "this is a symbolic link: links are never followed, so it was not read; copy the file "
                    "itself into the landing folder",
                )
            )
        elif path.resolve().parent != folder:
            scan.refused.append(
                _refusal(
                    landing_file,
                    "outside_landing_folder",
                    "this name leads outside the landing folder, so it was not read; copy the file itself "
                    "into the landing folder",
                )
            )
        elif not stat.S_ISREG(info.st_mode):
            scan.refused.append(
                _refusal(landing_file, "not_a_regular_file", "this is not a regular file, so it was not read")
            )
        elif landing_file.extract_month and landing_file.extract_month > current_month:
            scan.refused.append(
                _refusal(
                    landing_file,
                    "future_month",
                    f"the file is named for {landing_file.extract_month}, after the current month "
                    f"({current_month}), so it was not read: an extract is named for the month it was taken; "
                    "correct the name",
                )
            )
        else:
            scan.files.append(landing_file)
    scan.files.sort(key=lambda f: (f.dataset.name, f.extract_month or "", f.name))
    return scan


# ----------------------------------------------------------------------------------- highneeds check


@dataclass
class FolderCheck:
    """The outcome of `highneeds check`: one report per landing file, and notes about the folder."""

    reports: list[FileReport] = field(default_factory=list)
    folder_problems: list[Problem] = field(default_factory=list)
    ignored: list[IgnoredEntry] = field(default_factory=list)

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


def dataset_order() -> list[str]:
    """Every dataset after the ones it refers to, so that their new files count as delivered (as in a run)."""
    graph = {name: REFERENCED_DATASETS.get(name, ()) for name in DATASETS}
    return list(TopologicalSorter(graph).static_order())


def file_sha256(path: Path) -> str:
    import hashlib

    with path.open("rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def check_landing_folder(settings: Settings) -> FolderCheck:
    """Check every landing file in `settings.landing` without loading anything."""
    if settings.landing is None:
        raise ValueError("no landing folder given")
    scan = scan_landing_folder(settings.landing)
    outcome = FolderCheck(ignored=scan.ignored)
    duplicates = duplicate_deliveries(scan.files)
    columns = settings.config.columns
    runner = None
    with _read_only_warehouse(settings, outcome.folder_problems) as connection:
        loaded = _loaded_versions(connection)
        contexts: dict[str, ValidationContext] = {}
        for name in dataset_order():
            dataset = DATASETS[name]
            context = contexts[name] = ValidationContext(dataset, connection)
            for referenced in REFERENCED_DATASETS.get(name, ()):
                context.share_accepted(contexts[referenced])
            to_check: list[FileToCheck] = [f for f in scan.refused if f.landing_file.dataset.name == name]
            for landing_file in (f for f in scan.files if f.dataset.name == name):
                sha256 = file_sha256(landing_file.path) if loaded else None  # only to compare with loads
                if landing_file.name in duplicates:
                    to_check.append(FileToCheck(landing_file, sha256, duplicates[landing_file.name]))
                elif sha256 is not None and loaded.get((name, landing_file.extract_month or "")) == sha256:
                    # as `highneeds run` does: a file loaded already is not checked again
                    outcome.reports.append(
                        FileReport(landing_file=landing_file, sha256=sha256, already_loaded=True)
                    )
                else:
                    to_check.append(FileToCheck(landing_file, sha256))
            if any(item.refused_because is None for item in to_check):
                runner = runner or make_runner()
            outcome.reports += check_dataset_files(
                to_check, context, runner, header_map=header_map_for(dataset, columns)
            )
    return outcome
