"""Loading landing files into the warehouse's `raw` schema.

Every file of a dataset is read and checked before anything is written; then all of them are written in
one transaction. So a bad file leaves the warehouse exactly as it was, and a re-delivered month
replaces that month as a whole. The landing folder is only ever read; copies go to the archive.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.conform import ConformedTable, conform_table
from orchestration.contract import Dataset, LandingFile, landing_files
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.reading import read_landing_table
from orchestration.pseudonymise import age_in_years, national_curriculum_year, pseudonymise_upns
from orchestration.settings import Settings
from orchestration.warehouse import connect, transaction

RAW_SCHEMA = "raw"
LOAD_LOG = f"{RAW_SCHEMA}._file_loads"

_SQL_TYPES = {
    "text": "varchar",
    "code": "varchar",
    "month": "varchar",
    "date": "date",
    "money": "decimal(18, 2)",
    "int": "bigint",
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
_DERIVED_PLACEMENT_COLUMNS = {"pupil_pseudonym": "varchar", "age_at_extract": "integer", "nc_year_at_extract": "integer"}


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


@dataclass
class PreparedFile:
    """A landing file read, checked and shaped for its raw table, not yet written."""

    landing_file: LandingFile
    sha256: str
    frame: pd.DataFrame
    warnings: list[str] = field(default_factory=list)

    @property
    def month_key(self) -> str:
        return self.landing_file.extract_month or ""


@dataclass
class LoadResult:
    """What one ingest did, for the run summary and the asset's metadata."""

    dataset: str
    files_loaded: list[str] = field(default_factory=list)
    files_unchanged: list[str] = field(default_factory=list)
    rows_loaded: int = 0
    rows_in_table: int = 0
    months_replaced: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


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
            out[column.name] = typed[column.name] if column.name in typed else None
    out["_extract_month"] = landing_file.extract_month
    out["_source_file"] = landing_file.name
    out["_source_sha256"] = sha256
    out["_source_row"] = typed["source_row"].astype("int64")
    out["_loaded_at"] = loaded_at
    if conformed.extra_columns:
        extras = conformed.extras[conformed.extra_columns]
        out["_extra_columns"] = [json.dumps(record, ensure_ascii=False) for record in extras.to_dict("records")]
    else:
        out["_extra_columns"] = None
    return out


def prepare_file(
    landing_file: LandingFile, loaded_at: datetime, key: bytes, sha256: str | None = None
) -> PreparedFile:
    """Read and check one file; raises `LandingFileError` naming the file, rows, column and rule."""
    sha256 = sha256 or file_sha256(landing_file.path)
    raw_table = read_landing_table(landing_file.path, landing_file.dataset)
    conformed = conform_table(raw_table, landing_file)
    frame = shape_for_raw_table(conformed, landing_file, sha256, loaded_at, key)
    return PreparedFile(landing_file=landing_file, sha256=sha256, frame=frame, warnings=conformed.warnings)


def _check_one_file_per_month(files: list[LandingFile]) -> None:
    seen: dict[str, LandingFile] = {}
    for landing_file in files:
        month = landing_file.extract_month or ""
        if month in seen:
            raise LandingFileError(
                landing_file.name,
                f"{landing_file.name} and {seen[month].name} are two deliveries of the same "
                f"{'month' if month else 'reference file'}; keep only one in the landing folder",
                rule="duplicate_delivery",
            )
        seen[month] = landing_file


def loaded_versions(connection: duckdb.DuckDBPyConnection, dataset: Dataset) -> dict[str, str]:
    """The sha256 of the file currently loaded for each extract month ('' for reference files)."""
    rows = connection.execute(
        f"""select extract_month, arg_max(source_sha256, loaded_at)
            from {LOAD_LOG} where dataset = ? group by extract_month""",
        [dataset.name],
    ).fetchall()
    return {month: sha for month, sha in rows}


def archive_copy(settings: Settings, prepared: PreparedFile) -> Path:
    """Keep every delivered version: `<home>/archive/<dataset>/<sha256 prefix>_<file name>`."""
    folder = settings.archive_dir / prepared.landing_file.dataset.name
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{prepared.sha256[:12]}_{prepared.landing_file.name}"
    if not target.exists():
        shutil.copy2(prepared.landing_file.path, target)
    return target


def write_prepared_files(
    connection: duckdb.DuckDBPyConnection,
    dataset: Dataset,
    prepared_files: list[PreparedFile],
    archived: dict[str, Path],
    previously_loaded: dict[str, str],
) -> None:
    """Replace each prepared file's month (or the whole reference table) inside the caller's transaction."""
    table = f"{RAW_SCHEMA}.{dataset.name}"
    columns = raw_table_columns(dataset)
    select_list = ", ".join(f"cast({name} as {sql_type}) as {name}" for name, sql_type in columns.items())
    for prepared in prepared_files:
        if dataset.periodic:
            connection.execute(f"delete from {table} where _extract_month = ?", [prepared.month_key])
        else:
            connection.execute(f"delete from {table}")
        connection.register("prepared_frame", prepared.frame)
        connection.execute(f"insert into {table} by name select {select_list} from prepared_frame")
        connection.unregister("prepared_frame")
        connection.execute(
            f"insert into {LOAD_LOG} values (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                dataset.name,
                prepared.month_key,
                prepared.landing_file.name,
                prepared.sha256,
                len(prepared.frame),
                prepared.frame["_loaded_at"].iloc[0] if len(prepared.frame) else None,
                str(archived[prepared.landing_file.name]),
                prepared.month_key in previously_loaded,
            ],
        )


def load_landing_dataset(
    settings: Settings,
    dataset: Dataset,
    loaded_at: datetime | None = None,
    progress: Callable[[str], None] | None = None,
) -> LoadResult:
    """Load the dataset's new or changed landing files; unchanged files are skipped (loading twice is a no-op)."""
    if settings.landing is None:
        raise ValueError("no landing folder given: pass --landing DIR or set HIGHNEEDS_LANDING")
    loaded_at = loaded_at or datetime.now().replace(microsecond=0)
    report = progress or (lambda _message: None)
    files = landing_files(settings.landing, dataset.name)
    _check_one_file_per_month(files)
    with connect(settings.warehouse) as connection:
        ensure_raw_tables(connection, dataset)
        previously_loaded = loaded_versions(connection, dataset)

    result = LoadResult(dataset=dataset.name)
    key = settings.pseudonym_key()
    prepared_files: list[PreparedFile] = []
    for landing_file in files:
        sha256 = file_sha256(landing_file.path)
        if previously_loaded.get(landing_file.extract_month or "") == sha256:
            result.files_unchanged.append(landing_file.name)
            continue
        report(f"{dataset.name}: reading {landing_file.name}")
        prepared = prepare_file(landing_file, loaded_at, key, sha256)
        prepared_files.append(prepared)
        result.warnings.extend(prepared.warnings)

    archived = {prepared.landing_file.name: archive_copy(settings, prepared) for prepared in prepared_files}
    with transaction(settings.warehouse) as connection:
        write_prepared_files(connection, dataset, prepared_files, archived, previously_loaded)
        result.rows_in_table = connection.execute(f"select count(*) from {RAW_SCHEMA}.{dataset.name}").fetchone()[0]
    result.files_loaded = [prepared.landing_file.name for prepared in prepared_files]
    result.rows_loaded = sum(len(prepared.frame) for prepared in prepared_files)
    result.months_replaced = [p.month_key for p in prepared_files if p.month_key in previously_loaded and p.month_key]
    return result
