"""Loading landing files into the warehouse's `raw` schema, through the quality gate.

Each new or changed file of a dataset is copied out of the landing folder (so what is checked is exactly
what is loaded, even if the shared drive changes under us), checked by the quality gate (`expectations/`,
which hands back the rows of files that pass, staged here in scratch tables), and only contract columns
are kept: names and dates of birth are turned into ages, UPNs into pseudonyms, and columns outside the
contract never get this far. A file with an error is copied to quarantine with its report and left out.
Only when every file has been checked does one transaction replace the months of the files that passed
(or the whole reference table), log each load, and record what became of every file of the landing folder
(`quality.landing_files`). So a bad file never changes what the warehouse holds for its month, and the good
files of the same dataset still load. The landing folder is only ever read; copies go to the archive and to
quarantine, and links or files reaching outside it are never opened.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from expectations.conform import ConformedTable
from expectations.context import ValidationContext
from expectations.folder import IgnoredEntry, file_sha256, scan_landing_folder
from expectations.gate import FileToCheck, check_dataset_files, duplicate_deliveries, make_runner
from expectations.problems import Problem
from expectations.quarantine import quarantine_file
from expectations.report import FileReport, LandingFilesRefused, message_path
from orchestration.contract import Dataset, LandingFile
from orchestration.parsing.headers import header_map_for
from orchestration.pseudonymise import age_in_years, national_curriculum_year, pseudonymise_upns
from orchestration.settings import Settings
from orchestration.warehouse import connect

RAW_SCHEMA = "raw"
LOAD_LOG = f"{RAW_SCHEMA}._file_loads"
OUTCOME_SCHEMA = "quality"
LANDING_FILES = f"{OUTCOME_SCHEMA}.landing_files"
"""What became of every file of the landing folder, per dataset and check: see `landing_file_outcomes`.
Kept out of `raw`, which holds what was loaded: a refused file leaves `raw` exactly as it was."""
STAGING_SCHEMA = "_ingest_staging"
"""Scratch tables holding a file's checked rows until the load's transaction moves them into `raw`."""

_SQL_TYPES = {
    "text": "varchar",
    "code": "varchar",
    "month": "varchar",
    "date": "date",
    "money": "decimal(18, 2)",
    "int": "bigint",
    "number": "double",
    "period": "varchar",
    "urn": "varchar",
    "financial_year": "varchar",
    "academic_year": "varchar",
}
_LINEAGE_COLUMNS = {
    "_extract_month": "varchar",
    "_source_file": "varchar",
    "_source_sha256": "varchar",
    "_source_row": "bigint",
    "_loaded_at": "timestamp",
}
_DERIVED_PLACEMENT_COLUMNS = {
    "pupil_pseudonym": "varchar",
    "age_at_extract": "integer",
    "nc_year_at_extract": "integer",
}
_RETIRED_COLUMNS = ("_extra_columns",)
"""Columns raw tables once had and must lose (contract v2: nothing outside the contract is stored)."""


def raw_table_columns(dataset: Dataset) -> dict[str, str]:
    """The raw table's columns and SQL types: contract columns (personal ones replaced) plus lineage."""
    columns: dict[str, str] = {}
    for column in dataset.columns:
        if column.personal:
            continue
        if column.type == "upn":
            columns.update(_DERIVED_PLACEMENT_COLUMNS)
        else:
            columns[column.name] = _SQL_TYPES[column.type]
    return {**columns, **_LINEAGE_COLUMNS}


def ensure_raw_tables(connection: duckdb.DuckDBPyConnection, dataset: Dataset) -> None:
    """Create the dataset's raw table and the logs, and bring a warehouse of an older version up to date."""
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    column_sql = ", ".join(f"{name} {sql_type}" for name, sql_type in raw_table_columns(dataset).items())
    connection.execute(f"create table if not exists {RAW_SCHEMA}.{dataset.name} ({column_sql})")
    table = f"{RAW_SCHEMA}.{dataset.name}"
    for name, sql_type in raw_table_columns(dataset).items():  # columns a later contract version added
        connection.execute(f"alter table {table} add column if not exists {name} {sql_type}")
    for retired in _RETIRED_COLUMNS:
        connection.execute(f"alter table {RAW_SCHEMA}.{dataset.name} drop column if exists {retired}")
    connection.execute(
        f"""create table if not exists {LOAD_LOG} (
            dataset varchar, extract_month varchar, source_file varchar, source_sha256 varchar,
            row_count bigint, loaded_at timestamp, archived_as varchar, replaced boolean
        )"""
    )
    connection.execute(f"alter table {LOAD_LOG} add column if not exists dropped_columns varchar[]")
    connection.execute(f"create schema if not exists {OUTCOME_SCHEMA}")
    connection.execute(
        f"""create table if not exists {LANDING_FILES} (
            file varchar, dataset varchar, month varchar, outcome varchar, reason varchar,
            checked_at timestamp
        )"""
    )
    connection.execute(f"alter table {LANDING_FILES} add column if not exists warnings varchar[]")


def extract_date(landing_file: LandingFile, loaded_at: datetime) -> date:
    """The date ages are taken at: the last day of the extract month, else the load date."""
    if landing_file.extract_month:
        return (pd.Period(landing_file.extract_month, freq="M").end_time).date()
    return loaded_at.date()


def shape_for_raw_table(
    conformed: ConformedTable,
    landing_file: LandingFile,
    sha256: str,
    loaded_at: datetime,
    key: bytes,
    known_pseudonyms: dict[str, str] | None = None,
) -> pd.DataFrame:
    """Drop names and dates of birth, pseudonymise UPNs, derive ages, and add lineage columns."""
    dataset = landing_file.dataset
    typed = conformed.frame
    out = pd.DataFrame(index=typed.index)
    for column in dataset.columns:
        if column.personal:
            continue
        if column.type == "upn":
            out["pupil_pseudonym"] = pseudonymise_upns(typed[column.name], key, known_pseudonyms)
            on = extract_date(landing_file, loaded_at)
            out["age_at_extract"] = age_in_years(typed["date_of_birth"], on)
            out["nc_year_at_extract"] = national_curriculum_year(typed["date_of_birth"], on)
        else:
            out[column.name] = typed.get(column.name)
    out["_extract_month"] = landing_file.extract_month
    out["_source_file"] = landing_file.name
    out["_source_sha256"] = sha256
    out["_source_row"] = typed["source_row"].astype("int64")
    out["_loaded_at"] = loaded_at
    return out


def loaded_versions(connection: duckdb.DuckDBPyConnection, dataset: Dataset) -> dict[str, str]:
    """The sha256 of the file currently loaded for each extract month ('' for reference files)."""
    rows = connection.execute(
        f"""select extract_month, arg_max(source_sha256, loaded_at)
            from {LOAD_LOG} where dataset = ? group by extract_month""",
        [dataset.name],
    ).fetchall()
    return {month: sha for month, sha in rows}


@dataclass
class LoadResult:
    """What one ingest did, for the run summary, the asset's metadata and its checks."""

    dataset: str
    files_loaded: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_in_table: int = 0
    months_replaced: list[str] = field(default_factory=list)
    reports: list[FileReport] = field(default_factory=list)
    """One per file checked in this run (unchanged files are not checked again)."""
    ignored: list[IgnoredEntry] = field(default_factory=list)
    """Entries of the landing folder that are not landing files: named like this dataset, or like none."""
    data_docs: Path | None = None

    @property
    def refused(self) -> list[FileReport]:
        return [report for report in self.reports if report.refused]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for report in self.reports for problem in report.warnings]


def stage_copy(source: Path, staging_dir: Path) -> tuple[Path, str]:
    """Copy a landing file out of the landing folder, hashing it on the way; (copy, sha256).

    Opened without following links, so a file swapped for a link since the folder was scanned is not read.
    """
    target = staging_dir / source.name
    digest = hashlib.sha256()
    descriptor = os.open(source, os.O_RDONLY | os.O_NOFOLLOW)
    with os.fdopen(descriptor, "rb") as reader, target.open("wb") as writer:
        for block in iter(lambda: reader.read(1 << 20), b""):
            digest.update(block)
            writer.write(block)
    shutil.copystat(source, target)
    return target, digest.hexdigest()


def archive_copy(settings: Settings, dataset: Dataset, staged: Path, sha256: str) -> Path:
    """Keep every delivered version: `<home>/archive/<dataset>/<sha256 prefix>_<file name>`."""
    folder = settings.archive_dir / dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{sha256[:12]}_{staged.name}"
    if not target.exists():
        shutil.copy2(staged, target)
    return target


@dataclass
class StagedFile:
    """A file being checked, its clean rows waiting in a scratch table for the load's transaction."""

    landing_file: LandingFile
    """The copy being checked (its path is in the staging folder, its name the landing file's)."""
    sha256: str
    table: str
    rows: int = 0

    @property
    def month_key(self) -> str:
        return self.landing_file.extract_month or ""


def _drop_staging_tables(connection: duckdb.DuckDBPyConnection, dataset: Dataset) -> None:
    names = connection.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and starts_with(table_name, ?)",
        [STAGING_SCHEMA, f"{dataset.name}__"],
    ).fetchall()
    for (name,) in names:
        connection.execute(f"drop table if exists {STAGING_SCHEMA}.{name}")


class _StagingSink:
    """Where the gate hands the rows of files that pass: shaped for the raw table and staged.

    Staged rows are committed as they come, outside the load's transaction, so a million-row file does
    not sit in memory as one uncommitted insert; they reach `raw` only in that transaction.
    """

    def __init__(
        self,
        connection: duckdb.DuckDBPyConnection,
        staged: dict[str, StagedFile],
        loaded_at: datetime,
        key: bytes,
    ) -> None:
        self.connection = connection
        self.staged = staged
        self.loaded_at = loaded_at
        self.key = key
        self._created: set[str] = set()
        self._pseudonyms: dict[str, str] = {}  # made with `key`, for this load only

    def add(self, landing_file: LandingFile, conformed: ConformedTable) -> None:
        staged = self.staged[landing_file.name]
        columns = raw_table_columns(landing_file.dataset)
        if staged.table not in self._created:
            column_sql = ", ".join(f"{name} {sql_type}" for name, sql_type in columns.items())
            self.connection.execute(f"create or replace table {staged.table} ({column_sql})")
            self._created.add(staged.table)
        frame = shape_for_raw_table(
            conformed, landing_file, staged.sha256, self.loaded_at, self.key, self._pseudonyms
        )
        select_list = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type in columns.items())
        self.connection.register("staged_chunk", frame)
        try:
            self.connection.execute(
                f"insert into {staged.table} by name select {select_list} from staged_chunk"
            )
        finally:
            self.connection.unregister("staged_chunk")
        staged.rows += len(frame)

    def discard(self, landing_file: LandingFile) -> None:
        staged = self.staged.get(landing_file.name)
        if staged is not None and staged.table in self._created:
            self.connection.execute(f"drop table if exists {staged.table}")
            self._created.discard(staged.table)
            staged.rows = 0


def write_staged_files(
    connection: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    accepted: list[tuple[StagedFile, FileReport]],
    archived: dict[str, Path],
    previously_loaded: dict[str, str],
    loaded_at: datetime,
) -> None:
    """Replace each staged file's month (or the whole reference table) inside the caller's transaction."""
    table = f"{RAW_SCHEMA}.{dataset.name}"
    for staged, report in accepted:
        if dataset.periodic:
            connection.execute(
                f"delete from {table} where coalesce(_extract_month, '') = ?", [staged.month_key]
            )
        elif not dataset.keeps_versions:  # a versioned file (deficit_plan) keeps every delivery
            connection.execute(f"delete from {table}")
        connection.execute(f"insert into {table} by name select * from {staged.table}")
        connection.execute(
            f"""insert into {LOAD_LOG} (dataset, extract_month, source_file, source_sha256, row_count,
                    loaded_at, archived_as, replaced, dropped_columns)
                values (?, ?, ?, ?, ?, ?, ?, ?, ?)""",
            [
                dataset.name,
                staged.month_key,
                staged.landing_file.name,
                staged.sha256,
                staged.rows,
                loaded_at,
                str(archived[staged.landing_file.name]),
                staged.month_key in previously_loaded,
                list(report.dropped_columns),
            ],
        )


def _record_outcomes(
    connection: duckdb.DuckDBPyConnection, dataset: Dataset, result: LoadResult, loaded_at: datetime
) -> None:
    """What became of each file of the landing folder in this check, inside the load's transaction.

    A file checked now keeps its warnings (`rows 3 and 5, column 'amount_gbp': message`), so the run
    summary and the pack's data-quality table can show what was loaded with a doubt.
    """
    rows: list[tuple[str, str | None, str | None, str, str | None, list[str]]] = []
    months = {report.name: report.landing_file.extract_month for report in result.reports}
    loaded = set(result.files_loaded)
    for report in result.reports:
        warnings = [problem.located_message() for problem in report.warnings]
        if report.name in loaded:
            rows.append((report.name, dataset.name, months[report.name], "loaded", None, warnings))
        elif report.refused:
            why = report.errors[0].message
            rows.append((report.name, dataset.name, months[report.name], "refused", why, warnings))
    for name in result.files_unchanged:
        rows.append((name, dataset.name, None, "unchanged", None, []))
    for entry in result.ignored:
        rows.append((entry.name, entry.dataset, None, "ignored", entry.reason, []))
    if not rows:
        return
    connection.executemany(
        f"""insert into {LANDING_FILES} (file, dataset, month, outcome, reason, warnings, checked_at)
            values (?, ?, ?, ?, ?, ?, ?)""",
        [(*row, loaded_at) for row in rows],
    )


@dataclass(frozen=True)
class LandingFileOutcome:
    """One file of the landing folder at the latest check of its dataset."""

    file: str
    dataset: str | None
    month: str | None
    outcome: str
    """`loaded`, `unchanged`, `refused` or `ignored`."""
    reason: str | None
    checked_at: datetime
    warnings: tuple[str, ...] = ()
    """What the gate warned about the file when it was checked (shown, never blocking)."""


def landing_file_outcomes(connection: duckdb.DuckDBPyConnection) -> list[LandingFileOutcome]:
    """What became of every file of the landing folder, as of the latest check of each dataset.

    For the run summary and the pack's data-quality table. Entries that belong to no dataset (a stray
    `notes.txt`, a `corrections/` folder) are as of the latest check of any dataset. Empty for a warehouse
    that has never loaded anything.
    """
    exists = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [OUTCOME_SCHEMA, LANDING_FILES.split(".")[1]],
    ).fetchall()[0][0]
    if not exists:
        return []
    rows = connection.execute(
        f"""with latest as (
                select dataset, max(checked_at) as checked_at from {LANDING_FILES} group by dataset
            )
            select distinct f.file, f.dataset, f.month, f.outcome, f.reason, f.checked_at,
                coalesce(f.warnings, []) as warnings
            from {LANDING_FILES} f
            join latest l on f.dataset is not distinct from l.dataset and f.checked_at = l.checked_at
            order by f.dataset nulls last, f.file"""
    ).fetchall()
    return [LandingFileOutcome(*row[:-1], warnings=tuple(row[-1])) for row in rows]


def load_landing_dataset(
    settings: Settings,
    dataset: Dataset,
    loaded_at: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    raise_on_refusal: bool = True,
    months: Collection[str] | None = None,
) -> LoadResult:
    """Check and load the dataset's new or changed landing files; unchanged files are skipped.

    Files with errors are quarantined and not loaded; the others are. Then, unless `raise_on_refusal` is
    False, `LandingFilesRefused` names the refused files (the Dagster asset reports them as failed checks
    first). Loading the same folder twice loads nothing again.
    """
    if settings.landing is None:
        raise ValueError("no landing folder given: pass --landing DIR or set HIGHNEEDS_LANDING")
    loaded_at = loaded_at or datetime.now().replace(microsecond=0)
    report = progress or (lambda _message: None)
    scan = scan_landing_folder(settings.landing).for_dataset(dataset.name)
    files, unread = scan.files, scan.refused
    if months is not None and dataset.periodic:
        wanted = set(months)
        files = [f for f in files if f.extract_month in wanted]
        unread = [f for f in unread if f.landing_file.extract_month in wanted]
    duplicates = duplicate_deliveries(files)
    result = LoadResult(dataset=dataset.name, ignored=scan.ignored)
    for entry in scan.ignored:
        if entry.dataset == dataset.name:  # the others are named once, by `highneeds check` and the summary
            report(f"{dataset.name}: ignored {entry.name}: {entry.reason}")
    key = settings.pseudonym_key()
    header_map = header_map_for(dataset, settings.config.columns)
    settings.home.mkdir(parents=True, exist_ok=True)

    with (
        connect(settings.warehouse) as connection,
        tempfile.TemporaryDirectory(dir=settings.home, prefix=".staging-") as staging_dir,
    ):
        ensure_raw_tables(connection, dataset)
        connection.execute(f"create schema if not exists {STAGING_SCHEMA}")
        _drop_staging_tables(connection, dataset)  # left behind by a run that was killed
        previously_loaded = loaded_versions(connection, dataset)
        to_check: list[FileToCheck] = list(unread)
        staged: dict[str, StagedFile] = {}
        for landing_file in files:
            month = landing_file.extract_month or ""
            if landing_file.name not in duplicates and previously_loaded.get(month) == file_sha256(
                landing_file.path
            ):
                result.files_unchanged.append(landing_file.name)
                continue
            staged_path, sha256 = stage_copy(landing_file.path, Path(staging_dir))
            copy = LandingFile(path=staged_path, dataset=dataset, extract_month=landing_file.extract_month)
            table = f"{STAGING_SCHEMA}.{dataset.name}__{len(staged)}"
            staged[landing_file.name] = StagedFile(copy, sha256, table)
            to_check.append(FileToCheck(copy, sha256, duplicates.get(landing_file.name)))
        if to_check:
            report(f"{dataset.name}: checking {len(to_check)} file(s)")
        runner = make_runner(settings.home) if any(f.refused_because is None for f in to_check) else None
        try:
            result.reports = check_dataset_files(
                to_check,
                ValidationContext(dataset, connection),
                runner,
                header_map=header_map,
                sink=_StagingSink(connection, staged, loaded_at, key),
            )
            accepted = [(staged[r.name], r) for r in result.reports if not r.refused]
            for file_report in result.reports:
                if file_report.dropped_columns:
                    report(
                        f"{dataset.name}: {file_report.name}: columns dropped, not stored: "
                        + ", ".join(f"'{name}'" for name in file_report.dropped_columns)
                    )
                if not file_report.refused:
                    continue
                if file_report.name in staged:  # read (or a duplicate): keep a copy for the officer
                    quarantine_file(
                        settings.quarantine_dir,
                        file_report,
                        staged[file_report.name].landing_file.path,
                        loaded_at,
                    )
                where = (
                    f" (report: {message_path(file_report.quarantined_as)})"
                    if file_report.quarantined_as
                    else ""
                )
                report(f"{dataset.name}: REFUSED {file_report.name} — {file_report.errors[0]}{where}")
            archived = {
                name: archive_copy(settings, dataset, s.landing_file.path, s.sha256)
                for name, s in ((s.landing_file.name, s) for s, _ in accepted)
            }
            result.files_loaded = [s.landing_file.name for s, _ in accepted]
            # Everything was checked: only now does the warehouse change, all at once or not at all.
            connection.execute("begin transaction")
            try:
                write_staged_files(connection, dataset, accepted, archived, previously_loaded, loaded_at)
                _record_outcomes(connection, dataset, result, loaded_at)
                connection.execute("commit")
            except BaseException:
                connection.execute("rollback")
                raise
            table = f"{RAW_SCHEMA}.{dataset.name}"
            result.rows_in_table = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
        finally:
            _drop_staging_tables(connection, dataset)

    # The Data Docs pages are drawn (half a second a dataset) when there is something to read in them: a
    # refused file or a warning. Every result is kept either way, and the next drawing lists them all.
    if runner is not None and runner.results_kept and (result.refused or result.warnings):
        result.data_docs = runner.build_data_docs()
    result.rows_loaded = sum(s.rows for s, _ in accepted)
    result.months_replaced = [
        s.month_key for s, _ in accepted if s.month_key in previously_loaded and s.month_key
    ]
    if result.refused and raise_on_refusal:
        raise LandingFilesRefused(result.refused)
    return result
