"""The load log, `raw._file_loads`, as the rebuild replays it, and the copy of it the archive keeps.

The load log says which archived file version was loaded, when, and in which order: with the archive it
is everything needed to make the warehouse again. The archive keeps its own copy
(`archive/_file_loads.csv`, refreshed by every writing command), so a warehouse file that is damaged
beyond reading can still be rebuilt from the archive alone.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import duckdb

LOAD_LOG_TABLE = "raw._file_loads"
ARCHIVED_LOAD_LOG = "_file_loads.csv"
_COLUMNS = (
    "dataset",
    "extract_month",
    "source_file",
    "source_sha256",
    "row_count",
    "loaded_at",
    "archived_as",
)
_IN_LOAD_ORDER = "order by loaded_at, rowid"
"""Files loaded in the same second keep the order they were logged in (DuckDB's rowid: insertion order)."""


@dataclass(frozen=True)
class LoggedLoad:
    """One file version as it was loaded: what, from which archived copy, and when."""

    dataset: str
    extract_month: str
    source_file: str
    source_sha256: str
    row_count: int
    loaded_at: datetime
    archived_as: str

    def archived_file(self, archive_dir: Path) -> Path:
        """The copy in this home's archive (by name: the logged path may be from before home moved)."""
        return archive_dir / self.dataset / Path(self.archived_as).name


def has_load_log(connection: duckdb.DuckDBPyConnection) -> bool:
    schema, table = LOAD_LOG_TABLE.split(".")
    return bool(
        connection.execute(
            "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
            [schema, table],
        ).fetchone()[0]
    )


def read_load_log(connection: duckdb.DuckDBPyConnection) -> list[LoggedLoad]:
    """Every logged load, in the order it happened."""
    if not has_load_log(connection):
        return []
    rows = connection.execute(
        f"select {', '.join(_COLUMNS)} from {LOAD_LOG_TABLE} {_IN_LOAD_ORDER}"
    ).fetchall()
    return [LoggedLoad(*row) for row in rows]


def export_load_log(connection: duckdb.DuckDBPyConnection, archive_dir: Path) -> Path | None:
    """Write the archive's copy of the load log (whole or not at all: written aside, then renamed)."""
    if not has_load_log(connection):
        return None
    target = archive_dir / ARCHIVED_LOAD_LOG
    partial = target.with_name(f".{target.name}.partial")
    archive_dir.mkdir(parents=True, exist_ok=True)
    quoted = str(partial).replace("'", "''")
    connection.execute(
        f"copy (select {', '.join(_COLUMNS)} from {LOAD_LOG_TABLE} {_IN_LOAD_ORDER}) to '{quoted}' (header)"
    )
    os.replace(partial, target)
    return target


def read_archived_load_log(archive_dir: Path) -> list[LoggedLoad]:
    """The archive's copy of the load log, in load order; empty if there is none."""
    path = archive_dir / ARCHIVED_LOAD_LOG
    if not path.is_file():
        return []
    with path.open(encoding="utf-8", newline="") as handle:
        return [
            LoggedLoad(
                dataset=row["dataset"],
                extract_month=row["extract_month"],
                source_file=row["source_file"],
                source_sha256=row["source_sha256"],
                row_count=int(row["row_count"]),
                loaded_at=datetime.fromisoformat(row["loaded_at"]),
                archived_as=row["archived_as"],
            )
            for row in csv.DictReader(handle)
        ]
