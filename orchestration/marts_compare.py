"""Are two warehouses' marts the same? Every `marts.*` table, its columns and types, and its sorted rows.

Used by `highneeds rebuild` (the rebuilt marts against the old ones) and by the fault benchmark (a run
that was killed and run again against a clean run). Rows are compared as DuckDB writes them out as text,
sorted, so two tables are equal only when every value is, to the last digit and in every column but those
that say when a file was loaded (`*_loaded_at`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb

MARTS_SCHEMA = "marts"
LOAD_TIME_SUFFIX = "_loaded_at"


@dataclass
class MartsComparison:
    """The tables compared, their rows (in the first warehouse), and each difference in words."""

    tables: list[str] = field(default_factory=list)
    rows: int = 0
    differences: list[str] = field(default_factory=list)

    @property
    def identical(self) -> bool:
        return not self.differences


def _columns(connection: duckdb.DuckDBPyConnection, catalog: str) -> dict[str, list[tuple[str, str]]]:
    rows = connection.execute(
        "select table_name, column_name, data_type from duckdb_columns()"
        " where database_name = ? and schema_name = ? order by table_name, column_index",
        [catalog, MARTS_SCHEMA],
    ).fetchall()
    tables: dict[str, list[tuple[str, str]]] = {}
    for table, column, data_type in rows:
        tables.setdefault(table, []).append((column, data_type))
    return tables


def _sorted_rows_digest(connection: duckdb.DuckDBPyConnection, table: str) -> tuple[int, str | None]:
    return connection.execute(
        f"select count(*), md5(string_agg(cast(t as varchar), chr(10) order by cast(t as varchar)))"
        f" from {table} as t"
    ).fetchone()


def _rows_only_in(connection: duckdb.DuckDBPyConnection, first: str, second: str) -> int:
    return connection.execute(
        f"select count(*) from (select * from {first} except all select * from {second})"
    ).fetchone()[0]


def _without_load_times(table: str, columns: list[tuple[str, str]]) -> str:
    """The table without its `*_loaded_at` columns: when a file was loaded is not a figure, and two runs of
    the same files load them at different times."""
    load_times = [column for column, _ in columns if column.endswith(LOAD_TIME_SUFFIX)]
    if not load_times:
        return table
    excluded = ", ".join(f'"{column}"' for column in load_times)
    return f"(select * exclude ({excluded}) from {table})"


def _quoted(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def compare_marts(first: Path, second: Path) -> MartsComparison:
    """Compare every mart of two closed warehouse files (opened read-only, side by side)."""
    comparison = MartsComparison()
    with duckdb.connect() as connection:
        connection.execute(f"attach {_quoted(first)} as first_warehouse (read_only)")
        connection.execute(f"attach {_quoted(second)} as second_warehouse (read_only)")
        first_tables = _columns(connection, "first_warehouse")
        second_tables = _columns(connection, "second_warehouse")
        comparison.tables = sorted(first_tables.keys() | second_tables.keys())
        for name in comparison.tables:
            if name not in second_tables or name not in first_tables:
                where = first.name if name in first_tables else second.name
                comparison.differences.append(f"marts.{name} is only in {where}")
                continue
            if first_tables[name] != second_tables[name]:
                comparison.differences.append(f"marts.{name}: the columns or their types differ")
                continue
            a, b = (
                _without_load_times(f'{catalog}.{MARTS_SCHEMA}."{name}"', first_tables[name])
                for catalog in ("first_warehouse", "second_warehouse")
            )
            (rows_a, digest_a), (rows_b, digest_b) = (
                _sorted_rows_digest(connection, a),
                _sorted_rows_digest(connection, b),
            )
            comparison.rows += rows_a
            if (rows_a, digest_a) != (rows_b, digest_b):
                comparison.differences.append(
                    f"marts.{name}: {rows_a:,} rows against {rows_b:,}; "
                    f"{_rows_only_in(connection, a, b):,} only in the first, "
                    f"{_rows_only_in(connection, b, a):,} only in the second"
                )
    return comparison
