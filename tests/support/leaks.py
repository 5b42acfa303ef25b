"""Everything a run leaves behind, as text, so tests can search it for values that must never be there."""

from __future__ import annotations

import re
import zipfile
import zlib
from pathlib import Path

import duckdb

_PDF_STREAM = re.compile(rb"stream\r?\n(.*?)\r?\nendstream", re.S)


def _file_text(path: Path) -> str:
    """A file's text: XLSX parts unzipped, PDF streams inflated, anything else (SQLite too) as raw bytes."""
    data = path.read_bytes()
    if path.suffix == ".xlsx":
        with zipfile.ZipFile(path) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    if path.suffix == ".pdf":
        parts = [data]
        for stream in _PDF_STREAM.findall(data):
            try:
                parts.append(zlib.decompress(stream))
            except zlib.error:
                continue
        data = b"\n".join(parts)
    return data.decode("utf-8", "replace")


def warehouse_text(warehouse: Path) -> str:
    """Every distinct text value of every table in every schema of the warehouse."""
    values: list[str] = []
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        columns = connection.execute(
            """select table_schema, table_name, column_name from information_schema.columns
               where data_type in ('VARCHAR', 'VARCHAR[]') and table_catalog = current_database()"""
        ).fetchall()
        for schema, table, column in columns:
            rows = connection.execute(
                f'select distinct "{column}"::varchar from "{schema}"."{table}"'
            ).fetchall()
            values += [row[0] for row in rows if row[0] is not None]
    return "\n".join(values)


def home_text(home: Path) -> str:
    """Every file under home except the warehouse (read through `warehouse_text`) and the archive, whose
    copies of the landing files hold the data by design."""
    skip = {home / "archive"}
    return "\n".join(
        _file_text(path)
        for path in sorted(home.rglob("*"))
        if path.is_file() and path.suffix != ".duckdb" and not any(folder in path.parents for folder in skip)
    )


def found_in(text: str, values: list[str]) -> list[str]:
    """The values that occur in `text`."""
    return [value for value in values if value and value in text]
