"""Loading landing files into the warehouse's `raw` schema, through the quality gate.

Each new or changed file of a dataset is copied out of the landing folder (so what is checked is exactly
what is loaded, even if the shared drive changes under us), checked chunk by chunk against its suite
(`orchestration/quality/`), and its clean chunks are staged in scratch tables. A file with an error is
copied to quarantine with its report and left out. Only when every file has been checked does one
transaction replace the months of the files that passed (or the whole reference table). So a bad file
never changes what the warehouse holds for its month, and the good files of the same dataset still load.
The landing folder is only ever read; copies go to the archive and to quarantine.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.conform import ConformedTable
from orchestration.contract import Dataset, LandingFile, landing_files
from orchestration.parsing.reading import RawTable
from orchestration.problems import Problem
from orchestration.pseudonymise import age_in_years, national_curriculum_year, pseudonymise_upns
from orchestration.quality.check import check_landing_file, duplicate_deliveries
from orchestration.quality.context import ValidationContext
from orchestration.quality.quarantine import quarantine_file
from orchestration.quality.report import FileReport, LandingFilesRefused, message_path
from orchestration.quality.rules import CHUNK_ROWS
from orchestration.settings import Settings
from orchestration.warehouse import connect

RAW_SCHEMA = "raw"
LOAD_LOG = f"{RAW_SCHEMA}._file_loads"
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
    "_extra_columns": "varchar",
}
_DERIVED_PLACEMENT_COLUMNS = {
    "pupil_pseudonym": "varchar",
    "age_at_extract": "integer",
    "nc_year_at_extract": "integer",
}


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
    connection.execute(f"create schema if not exists {RAW_SCHEMA}")
    column_sql = ", ".join(f"{name} {sql_type}" for name, sql_type in raw_table_columns(dataset).items())
    connection.execute(f"create table if not exists {RAW_SCHEMA}.{dataset.name} ({column_sql})")
    connection.execute(
        f"""create table if not exists {LOAD_LOG} (
            dataset varchar, extract_month varchar, source_file varchar, source_sha256 varchar,
            row_count bigint, loaded_at timestamp, archived_as varchar, replaced boolean
        )"""
    )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def extract_date(landing_file: LandingFile, loaded_at: datetime) -> date:
    """The date ages are taken at: the last day of the extract month, else the load date."""
    if landing_file.extract_month:
        return (pd.Period(landing_file.extract_month, freq="M").end_time).date()
    return loaded_at.date()


def shape_for_raw_table(
    conformed: ConformedTable, landing_file: LandingFile, sha256: str, loaded_at: datetime, key: bytes
) -> pd.DataFrame:
    """Drop names and dates of birth, pseudonymise UPNs, derive ages, and add lineage columns."""
    dataset = landing_file.dataset
    typed = conformed.frame
    out = pd.DataFrame(index=typed.index)
    for column in dataset.columns:
        if column.personal:
            continue
        if column.type == "upn":
            out["pupil_pseudonym"] = pseudonymise_upns(typed[column.name], key)
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
    if conformed.extra_columns:
        extras = conformed.extras[conformed.extra_columns]
        out["_extra_columns"] = [
            json.dumps(record, ensure_ascii=False) for record in extras.to_dict("records")
        ]
    else:
        out["_extra_columns"] = None
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
    data_docs: Path | None = None

    @property
    def refused(self) -> list[FileReport]:
        return [report for report in self.reports if report.refused]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for report in self.reports for problem in report.warnings]


def stage_copy(source: Path, staging_dir: Path) -> tuple[Path, str]:
    """Copy a landing file out of the landing folder, hashing it on the way; (copy, sha256)."""
    target = staging_dir / source.name
    digest = hashlib.sha256()
    with source.open("rb") as reader, target.open("wb") as writer:
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
    staged_path: Path
    sha256: str
    table: str
    rows: int = 0

    @property
    def month_key(self) -> str:
        return self.landing_file.extract_month or ""


def _staging_table(dataset: Dataset, number: int) -> str:
    return f"{STAGING_SCHEMA}.{dataset.name}__{number}"


def _drop_staging_tables(connection: duckdb.DuckDBPyConnection, dataset: Dataset) -> None:
    names = connection.execute(
        "select table_name from information_schema.tables"
        " where table_schema = ? and starts_with(table_name, ?)",
        [STAGING_SCHEMA, f"{dataset.name}__"],
    ).fetchall()
    for (name,) in names:
        connection.execute(f"drop table if exists {STAGING_SCHEMA}.{name}")


class _ChunkStager:
    """The sink `check_landing_file` hands each clean chunk to: shaped for the raw table and staged.

    Staged rows are committed as they come, outside the load's transaction, so a million-row file does
    not sit in memory as one uncommitted insert; they reach `raw` only in that transaction.
    """

    def __init__(
        self, connection: duckdb.DuckDBPyConnection, staged: StagedFile, loaded_at: datetime, key: bytes
    ) -> None:
        self.connection = connection
        self.staged = staged
        self.loaded_at = loaded_at
        self.key = key
        dataset = staged.landing_file.dataset
        self.columns = raw_table_columns(dataset)
        column_sql = ", ".join(f"{name} {sql_type}" for name, sql_type in self.columns.items())
        connection.execute(f"create or replace table {staged.table} ({column_sql})")

    def __call__(self, raw_chunk: RawTable, conformed: ConformedTable) -> None:
        frame = shape_for_raw_table(
            conformed, self.staged.landing_file, self.staged.sha256, self.loaded_at, self.key
        )
        select_list = ", ".join(
            f"cast({name} as {sql_type}) as {name}" for name, sql_type in self.columns.items()
        )
        self.connection.register("staged_chunk", frame)
        try:
            self.connection.execute(
                f"insert into {self.staged.table} by name select {select_list} from staged_chunk"
            )
        finally:
            self.connection.unregister("staged_chunk")
        self.staged.rows += len(frame)


def write_staged_files(
    connection: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    staged_files: list[StagedFile],
    archived: dict[str, Path],
    previously_loaded: dict[str, str],
    loaded_at: datetime,
) -> None:
    """Replace each staged file's month (or the whole reference table) inside the caller's transaction."""
    table = f"{RAW_SCHEMA}.{dataset.name}"
    for staged in staged_files:
        if dataset.periodic:
            connection.execute(
                f"delete from {table} where coalesce(_extract_month, '') = ?", [staged.month_key]
            )
        elif not dataset.keeps_versions:  # a versioned file (deficit_plan) keeps every delivery
            connection.execute(f"delete from {table}")
        connection.execute(f"insert into {table} by name select * from {staged.table}")
        connection.execute(
            f"insert into {LOAD_LOG} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                dataset.name,
                staged.month_key,
                staged.landing_file.name,
                staged.sha256,
                staged.rows,
                loaded_at,
                str(archived[staged.landing_file.name]),
                staged.month_key in previously_loaded,
            ],
        )


def load_landing_dataset(
    settings: Settings,
    dataset: Dataset,
    loaded_at: datetime | None = None,
    progress: Callable[[str], None] | None = None,
    raise_on_refusal: bool = True,
    chunk_rows: int = CHUNK_ROWS,
    months: Collection[str] | None = None,
) -> LoadResult:
    """Check and load the dataset's new or changed landing files; unchanged files are skipped.

    Files with errors are quarantined and not loaded; the others are. Then, unless `raise_on_refusal` is
    False, `LandingFilesRefused` names the refused files (the Dagster asset reports them as failed checks
    first). Loading the same folder twice is a no-op.
    """
    if settings.landing is None:
        raise ValueError("no landing folder given: pass --landing DIR or set HIGHNEEDS_LANDING")
    from expectations.validate import SuiteRunner  # Great Expectations takes seconds to import

    loaded_at = loaded_at or datetime.now().replace(microsecond=0)
    report = progress or (lambda _message: None)
    files = landing_files(settings.landing, dataset.name)
    if months is not None and dataset.periodic:
        wanted = set(months)
        files = [landing_file for landing_file in files if landing_file.extract_month in wanted]
    duplicates = duplicate_deliveries(files)
    result = LoadResult(dataset=dataset.name)
    key = settings.pseudonym_key()
    runner: SuiteRunner | None = None
    settings.home.mkdir(parents=True, exist_ok=True)

    with (
        connect(settings.warehouse) as connection,
        tempfile.TemporaryDirectory(dir=settings.home, prefix=".staging-") as staging_dir,
    ):
        ensure_raw_tables(connection, dataset)
        connection.execute(f"create schema if not exists {STAGING_SCHEMA}")
        _drop_staging_tables(connection, dataset)  # left behind by a run that was killed
        previously_loaded = loaded_versions(connection, dataset)
        context = ValidationContext(dataset, connection)
        accepted: list[StagedFile] = []
        try:
            for number, landing_file in enumerate(files):
                month = landing_file.extract_month or ""
                if landing_file.name not in duplicates and previously_loaded.get(month) == file_sha256(
                    landing_file.path
                ):
                    result.files_unchanged.append(landing_file.name)
                    continue
                report(f"{dataset.name}: checking {landing_file.name}")
                staged_path, sha256 = stage_copy(landing_file.path, Path(staging_dir))
                staged_file = LandingFile(
                    path=staged_path, dataset=dataset, extract_month=landing_file.extract_month
                )
                staged = StagedFile(staged_file, staged_path, sha256, table=_staging_table(dataset, number))
                if landing_file.name in duplicates:
                    file_report = FileReport(landing_file=staged_file, sha256=sha256)
                    file_report.add_problem(duplicates[landing_file.name])
                else:
                    runner = runner or SuiteRunner(settings.home)
                    stager = _ChunkStager(connection, staged, loaded_at, key)
                    file_report = check_landing_file(
                        staged_file, context, runner, sha256=sha256, sink=stager, chunk_rows=chunk_rows
                    )
                result.reports.append(file_report)
                if file_report.refused:
                    connection.execute(f"drop table if exists {staged.table}")
                    quarantine_file(settings.quarantine_dir, file_report, staged_path, loaded_at)
                    report(
                        f"{dataset.name}: REFUSED {landing_file.name} — {file_report.errors[0]} "
                        f"(report: {message_path(file_report.quarantined_as)})"
                    )
                    continue
                accepted.append(staged)
            archived = {
                staged.landing_file.name: archive_copy(settings, dataset, staged.staged_path, staged.sha256)
                for staged in accepted
            }
            # Everything was checked: only now does the warehouse change, all at once or not at all.
            connection.execute("begin transaction")
            try:
                write_staged_files(connection, dataset, accepted, archived, previously_loaded, loaded_at)
                connection.execute("commit")
            except BaseException:
                connection.execute("rollback")
                raise
            table = f"{RAW_SCHEMA}.{dataset.name}"
            result.rows_in_table = connection.execute(f"select count(*) from {table}").fetchall()[0][0]
        finally:
            _drop_staging_tables(connection, dataset)

    if runner is not None and runner.results_kept:
        result.data_docs = runner.build_data_docs()
    result.files_loaded = [staged.landing_file.name for staged in accepted]
    result.rows_loaded = sum(staged.rows for staged in accepted)
    result.months_replaced = [
        s.month_key for s in accepted if s.month_key in previously_loaded and s.month_key
    ]
    if result.refused and raise_on_refusal:
        raise LandingFilesRefused(result.refused)
    return result
