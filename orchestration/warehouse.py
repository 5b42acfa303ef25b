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
