"""Opening the DuckDB warehouse.

DuckDB allows one writing process per file. Connections are therefore opened per operation, inside a
`with` block, and closed before anything else (dbt above all) opens the file; there are no
module-level connections anywhere in the code base.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

_LOCK_CONFLICT = "Could not set lock"


class WarehouseUnreadable(RuntimeError):
    """The warehouse file exists but DuckDB cannot open it or read every table: a damaged file."""


class WarehouseInUse(RuntimeError):
    """Another process has the warehouse open for writing (DuckDB's own file lock)."""


def wal_file(warehouse: Path) -> Path:
    """DuckDB's write-ahead log beside the file: left behind when a writer was killed, part of its state."""
    return warehouse.with_name(warehouse.name + ".wal")


@contextmanager
def connect(warehouse: Path, read_only: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """A connection that is always closed on exit, so the file lock is released for the next writer."""
    if not read_only:
        warehouse.parent.mkdir(parents=True, exist_ok=True)
    connection = duckdb.connect(str(warehouse), read_only=read_only)
    try:
        yield connection
    finally:
        connection.close()


@contextmanager
def transaction(warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One all-or-nothing transaction: committed on success, rolled back on any exception."""
    with connect(warehouse) as connection:
        connection.execute("begin transaction")
        try:
            yield connection
        except BaseException:
            connection.execute("rollback")
            raise
        connection.execute("commit")


def read_every_table(warehouse: Path) -> int:
    """Open read-only and read every stored table once; returns how many tables were read.

    DuckDB checks each block's checksum as it reads it, and hashing whole rows makes it read every
    column, so a damaged file is found here, with a clear message, instead of by dbt half-way through.
    Raises `WarehouseUnreadable` (a damaged or foreign file) or `WarehouseInUse` (another writer has it).
    """
    try:
        with connect(warehouse, read_only=True) as connection:
            tables = connection.execute(
                "select schema_name, table_name from duckdb_tables()"
                " where database_name = current_database() and not temporary"
            ).fetchall()
            for schema, table in tables:
                connection.execute(f'select bit_xor(hash(t)) from "{schema}"."{table}" as t').fetchall()
    except duckdb.Error as error:
        first_line = str(error).splitlines()[0] if str(error) else error.__class__.__name__
        if _LOCK_CONFLICT in first_line:
            raise WarehouseInUse(first_line) from error
        raise WarehouseUnreadable(first_line[:300]) from error
    return len(tables)
