"""Read one landing file (CSV or XLSX) into a table of text, by the contract's file conventions.

Everything comes back as text, exactly as delivered: typing and checking values is `values.py`'s job and
the quality suites'. What this module guarantees is the *shape* of the table, and that every row carries
the row number a person sees when they open the file (`source_row`), so a problem found anywhere later
can be reported as "row 1,204 of hn_ledger_2025-10.csv".

Reading rules (contract: "Conventions for every landing file"):

- header names are matched case-insensitively with surrounding spaces ignored; they come back lower-case.
  Extra columns are kept; an unnamed column holding data is called `unnamed_<n>` (CSV, 1-based position)
  or `unnamed_<letter>` (XLSX);
- blank cells are the empty string (never NA) and values are not stripped; rows that are entirely blank
  are skipped (they are not data), but `source_row` keeps counting them;
- CSV: UTF-8 with or without BOM, else Windows-1252 (how finance exports write `£`); the first non-blank
  line is the header; quoted values may hold commas, quotes and line breaks;
- XLSX: the sheet named like the dataset if there is one, else the first sheet; title and blank rows above
  the header are skipped; numbers come back as typed (`12`, not `12.0`), dates as ISO.

A file that cannot be read as the dataset's table raises `LandingFileError` with a `rule` id. A header
with no data rows is *not* an error here (`n_rows == 0`): whether that is acceptable depends on the
dataset (a periodic extract with no rows is refused by the caller; a reference file might not be).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import difflib
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from orchestration.contract import Dataset
from orchestration.parsing.errors import LandingFileError, format_rows
from orchestration.parsing.values import number_text

SOURCE_ROW = "source_row"
"""Column added to every table: the row number a person sees (CSV line, spreadsheet row)."""

TEXT = "str"
DEFAULT_CHUNK_ROWS = 200_000
HEADER_SEARCH_ROWS = 50
"""XLSX title blocks are a few rows; a header further down than this is not where anyone would look."""

ENCODING_UTF8 = "utf-8"
ENCODING_UTF8_BOM = "utf-8-sig"
ENCODING_WINDOWS_1252 = "windows-1252"
ENCODING_XLSX = "xlsx"

_PYTHON_CODECS = {ENCODING_UTF8: "utf-8", ENCODING_UTF8_BOM: "utf-8-sig", ENCODING_WINDOWS_1252: "cp1252"}
_SNIFF_BLOCK = 1 << 20
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")
"""Control characters no text export writes (tab, line breaks, VT and FF are allowed)."""
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")
_BOM_REMNANT = ("\ufeff", "ï»¿")
"""A BOM read as text: by a UTF-8 reader that does not expect it, or by a Windows-1252 one."""


@dataclass(frozen=True)
class RawTable:
    """One landing file (or one chunk of it) as text, with where each row came from."""

    file: Path
    dataset: Dataset
    frame: pd.DataFrame
    """`source_row` (int64) then every column of the file, lower-cased names, text dtype, blanks as ""."""
    encoding: str
    """`utf-8`, `utf-8-sig` (UTF-8 with BOM), `windows-1252`, or `xlsx`."""
    header_row: int
    """Row number of the header line or spreadsheet row."""
    sheet: str | None = None
    """The worksheet read (XLSX only)."""

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> tuple[str, ...]:
        """The file's columns, in file order (without `source_row`)."""
        return tuple(c for c in self.frame.columns if c != SOURCE_ROW)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns the contract does not define: kept in raw, ignored downstream."""
        known = set(self.dataset.column_names)
        return tuple(c for c in self.columns if c not in known)

    @property
    def absent_optional_columns(self) -> tuple[str, ...]:
        """Columns the contract allows a file to leave out (e.g. `placements.end_reason`) that it did."""
        present = set(self.columns)
        return tuple(c.name for c in self.dataset.columns if c.optional_column and c.name not in present)


# ------------------------------------------------------------------------------------------ entry points


def read_landing_table(path: Path, dataset: Dataset) -> RawTable:
    """The whole landing file as one `RawTable` (CSV files are read in chunks and joined)."""
    path = Path(path)
    chunks = list(iter_landing_chunks(path, dataset))
    if len(chunks) == 1:
        return chunks[0]
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    first = chunks[0]
    return RawTable(path, dataset, frame, first.encoding, first.header_row, first.sheet)


def iter_landing_chunks(
    path: Path, dataset: Dataset, chunk_rows: int = DEFAULT_CHUNK_ROWS
) -> Iterator[RawTable]:
    """The landing file as `RawTable` chunks of at most `chunk_rows` rows, for bounded memory.

    Always yields at least one chunk (an empty one for a header-only file). Problems in the file's shape
    (a short row, a broken quote) are raised when the reading reaches them, so a caller that streams
    chunks must be ready for a `LandingFileError` after it has seen earlier chunks. XLSX files are read
    whole and come as one chunk: a worksheet holds at most about a million rows anyway.
    """
    path = Path(path)
    if chunk_rows < 1:
        raise ValueError("chunk_rows must be at least 1")
    if not path.is_file():
        raise LandingFileError(path, "the file does not exist or is not a file", rule="file_missing")
    if path.stat().st_size == 0:
        raise LandingFileError(
            path, "the file is empty (0 bytes): the export probably failed", rule="file_empty"
        )
    if path.suffix.lower() == ".xlsx":
        yield _read_xlsx(path, dataset)
    else:
        yield from _iter_csv(path, dataset, chunk_rows)


# ------------------------------------------------------------------------------------------------ header


def _normalise_name(name: str) -> str:
    name = name.strip()
    for remnant in _BOM_REMNANT:
        name = name.removeprefix(remnant)
    return name.strip().lower()


def _check_header(
    path: Path, dataset: Dataset, names: Sequence[str], labels: Sequence[str], header_row: int
) -> None:
    """Refuse duplicated names and missing contract columns, suggesting what a renamed column became.

    `labels` say where each name is, as a person finds it (`3` in a CSV, `C` in a spreadsheet).
    """
    positions: dict[str, list[str]] = {}
    for name, label in zip(names, labels, strict=True):
        positions.setdefault(name, []).append(label)
    if SOURCE_ROW in positions:
        raise LandingFileError(
            path,
            f"a column is named '{SOURCE_ROW}', which the platform reserves for row numbers: rename it",
            rows=[header_row],
            column=SOURCE_ROW,
            rule="duplicate_column",
        )
    duplicated = {name: where for name, where in positions.items() if len(where) > 1}
    if duplicated:
        details = "; ".join(f"'{n}' is in columns {', '.join(w)}" for n, w in duplicated.items())
        raise LandingFileError(
            path,
            f"the header names a column more than once ({details}): keep one of each, or rename the others",
            rows=[header_row],
            column=next(iter(duplicated)) if len(duplicated) == 1 else None,
            rule="duplicate_column",
        )
    required = [c.name for c in dataset.columns if not c.optional_column]
    missing = [name for name in required if name not in positions]
    if missing:
        raise LandingFileError(
            path,
            _missing_columns_message(dataset, missing, names),
            rows=[header_row],
            column=missing[0] if len(missing) == 1 else None,
            rule="missing_column",
        )


def _missing_columns_message(dataset: Dataset, missing: list[str], names: Sequence[str]) -> str:
    known = set(dataset.column_names)
    candidates = [n for n in names if n and n not in known and not n.startswith("unnamed_")]
    hints = []
    for name in missing:
        close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
        if close:
            hints.append(f"'{close[0]}' looks like '{name}' renamed")
            candidates.remove(close[0])
    listed = ", ".join(f"'{m}'" for m in missing)
    message = f"the header row is missing the {dataset.name} column{'s' if len(missing) > 1 else ''} {listed}"
    if hints:
        message += f" ({'; '.join(hints)}: rename it to the contract name)"
    if len(names) == 1 and any(sep in names[0] for sep in (";", "\t", "|")):
        message += "; the header is one single column: is the file separated by something other than commas?"
    found = ", ".join(f"'{n}'" for n in names if n) or "nothing"
    return f"{message}. Columns found: {found}"


# --------------------------------------------------------------------------------------------------- CSV


def _sniff_encoding(path: Path) -> str:
    """Decide how to decode a CSV in one pass over its bytes, and refuse files that are not text at all.

    UTF-8 is tried first because a valid UTF-8 file almost never is Windows-1252 by accident; a finance
    export writing `£` as the single byte 0xA3 is not valid UTF-8 and falls back to Windows-1252.
    """
    decoder = codecs.getincrementaldecoder("utf-8")()
    utf8_ok = True
    cp1252_error: tuple[int, int] | None = None  # (line, byte)
    lines_before = 0
    with path.open("rb") as handle:
        first = handle.read(_SNIFF_BLOCK)
        _refuse_known_binary(path, first)
        bom = first.startswith(codecs.BOM_UTF8)
        block = first
        while block:
            binary = _BINARY_BYTES.search(block)
            if binary:
                line = lines_before + block.count(b"\n", 0, binary.start()) + 1
                raise LandingFileError(
                    path,
                    f"this is not a text CSV file: it holds control byte 0x{block[binary.start()]:02X} "
                    "that no spreadsheet or finance export writes (is it a binary file renamed to .csv?)",
                    rows=[line],
                    rule="not_a_csv",
                )
            if utf8_ok:
                try:
                    decoder.decode(block)
                except UnicodeDecodeError:
                    utf8_ok = False
            if cp1252_error is None:
                undefined = _CP1252_UNDEFINED.search(block)
                if undefined:
                    line = lines_before + block.count(b"\n", 0, undefined.start()) + 1
                    cp1252_error = (line, block[undefined.start()])
            lines_before += block.count(b"\n")
            block = handle.read(_SNIFF_BLOCK)
    if utf8_ok:
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            utf8_ok = False
    if utf8_ok:
        return ENCODING_UTF8_BOM if bom else ENCODING_UTF8
    if cp1252_error is None:
        return ENCODING_WINDOWS_1252
    line, byte = cp1252_error
    raise LandingFileError(
        path,
        f"the file is neither UTF-8 nor Windows-1252 text (byte 0x{byte:02X} means nothing in either): "
        "export it again as CSV UTF-8",
        rows=[line],
        rule="not_a_csv",
    )


def _refuse_known_binary(path: Path, head: bytes) -> None:
    """Name the usual mistakes: a workbook saved with a .csv name."""
    if head.startswith(b"PK\x03\x04"):
        raise LandingFileError(
            path,
            "this is an Excel workbook (or another zip file) with a .csv name: save it as CSV, "
            "or deliver it with the .xlsx extension",
            rule="not_a_csv",
        )
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LandingFileError(
            path,
            "the file is saved as UTF-16 (Excel's 'Unicode Text'): save it as 'CSV UTF-8' instead",
            rule="not_a_csv",
        )
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise LandingFileError(
            path,
            "this is an old-style .xls or a password-protected workbook with a .csv name: save it as CSV",
            rule="not_a_csv",
        )


def _records(path: Path, reader: Iterator[list[str]]) -> Iterator[tuple[int, list[str]]]:
    """(first physical line, fields) for every record, blank lines included, with csv errors explained."""
    line_num = 0
    while True:
        start = line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise _csv_error(path, error, start) from error
        line_num = reader.line_num  # type: ignore[attr-defined]
        yield start, fields


def _csv_error(path: Path, error: csv.Error, start: int) -> LandingFileError:
    text = str(error)
    if "unexpected end of data" in text:
        return LandingFileError(
            path,
            f"the file ends inside a quoted value that opens on row {start}: the file was cut off while "
            'being written or copied, or a quote (") in that value is never closed',
            rows=[start],
            rule="truncated",
        )
    if "field larger than field limit" in text:
        return LandingFileError(
            path,
            'a value starting on this row runs on for more than 131,072 characters: a quote (") is '
            "probably never closed",
            rows=[start],
            rule="bad_quoting",
        )
    return LandingFileError(
        path,
        f"the quoting is broken ({text}): a value containing a quote must be wrapped in quotes, with "
        'each inner quote doubled ("")',
        rows=[start],
        rule="bad_quoting",
    )


def _iter_csv(path: Path, dataset: Dataset, chunk_rows: int) -> Iterator[RawTable]:
    encoding = _sniff_encoding(path)
    with path.open(encoding=_PYTHON_CODECS[encoding], newline="") as handle:
        records = _records(path, csv.reader(handle, strict=True))
        header_row, header = _csv_header(path, records)
        while header and not header[-1].strip():
            header = header[:-1]  # a trailing comma on the header line names no column
        names = [_normalise_name(n) or f"unnamed_{i}" for i, n in enumerate(header, start=1)]
        _check_header(path, dataset, names, [str(i) for i in range(1, len(names) + 1)], header_row)
        width = len(names)

        def table(rows: list[list[str]], row_numbers: list[int]) -> RawTable:
            return RawTable(path, dataset, _frame(names, rows, row_numbers), encoding, header_row)

        rows: list[list[str]] = []
        row_numbers: list[int] = []
        bad: list[tuple[int, int]] = []  # (row, number of fields)
        last_row = header_row
        yielded = False
        for start, fields in records:
            if not "".join(fields).strip():
                continue  # a blank line, or a row of empty cells: not data
            last_row = start
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                fields = fields[:width]  # trailing empty cells some exports add to every data line
            if len(fields) != width:
                bad.append((start, len(fields)))
            if bad:
                continue  # keep reading only to list every malformed row in one message
            rows.append(fields)
            row_numbers.append(start)
            if len(rows) >= chunk_rows:
                yield table(rows, row_numbers)
                yielded = True
                rows, row_numbers = [], []
        if bad:
            raise _field_count_error(path, bad, width, last_row)
        if rows or not yielded:
            yield table(rows, row_numbers)


def _csv_header(path: Path, records: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]]:
    for start, fields in records:
        if "".join(fields).strip():
            return start, fields
    raise LandingFileError(path, "the file has no header row, only blank lines", rule="file_empty")


def _field_count_error(path: Path, bad: list[tuple[int, int]], width: int, last_row: int) -> LandingFileError:
    if len(bad) == 1 and bad[0][0] == last_row and bad[0][1] < width:
        row, count = bad[0]
        return LandingFileError(
            path,
            f"the last row stops after {count} of the {width} columns: the file was cut off while being "
            "written or copied; deliver it again",
            rows=[row],
            rule="truncated",
        )
    counts = sorted({count for _, count in bad})
    return LandingFileError(
        path,
        f"{len(bad)} row{'s' if len(bad) > 1 else ''} {'have' if len(bad) > 1 else 'has'} "
        f"{' or '.join(str(c) for c in counts)} values where the header has {width} columns: a value "
        "with a comma in it must be wrapped in quotes",
        rows=[row for row, _ in bad],
        rule="wrong_field_count",
    )


def _frame(names: Sequence[str], rows: list[list[str]], row_numbers: list[int]) -> pd.DataFrame:
    """Build the text table in one go (pandas converts a list of equal-length rows in C)."""
    frame = pd.DataFrame(rows, columns=list(names), dtype=object).astype(TEXT)
    frame.insert(0, SOURCE_ROW, pd.Series(row_numbers, dtype="int64"))
    return frame


# -------------------------------------------------------------------------------------------------- XLSX

_ZERO_PADDED = re.compile(r"^0+$")
_MERGE_REF = re.compile(rb"<(?:\w+:)?mergeCell\b[^>]*?\bref=\"([A-Za-z]+\d+(?::[A-Za-z]+\d+)?)\"")


def _cell_text(value: object, number_format: str | None) -> str:
    """An Excel cell as the text a person typed: `12` not `12.0`, ISO dates, zero-padded codes kept."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        text = number_text(value)
        # a URN typed as 010203 in a cell formatted `000000` is stored as 10203 and shown as 010203
        if number_format and _ZERO_PADDED.match(number_format) and text.isdigit():
            return text.zfill(len(number_format))
        return text
    return str(value)


def _pick_sheet(names: Sequence[str], dataset: Dataset) -> str:
    """The sheet named like the dataset (`HN Ledger`, `hn_ledger`) when there are several, else the first."""

    def simple(name: str) -> str:
        return re.sub(r"[\s\-]+", "_", name.strip().lower())

    if len(names) > 1:
        for name in names:
            if simple(name) == dataset.name:
                return name
    return names[0]


def _find_header(rows: list[list[str]], dataset: Dataset) -> int:
    """Index of the header: the first row holding every required column name.

    Title and blank rows above it are skipped. When no row has them all, the row with the most contract
    names is taken, so that the error that follows lists what is missing from the real header.
    """
    required = {c.name for c in dataset.columns if not c.optional_column}
    known = set(dataset.column_names)
    best, best_hits = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {_normalise_name(v) for v in row if v.strip()}
        if required <= names:
            return index
        hits = len(names & known)
        if hits > best_hits:
            best, best_hits = index, hits
    if best is not None:
        return best
    return next(i for i, row in enumerate(rows) if any(v.strip() for v in row))


def _merged_ranges(path: Path, sheet: str, worksheet_part: str | None) -> list[str]:
    """Merged ranges of one worksheet, read from its XML (openpyxl's fast read mode does not report them).

    Scanning the XML for `<mergeCell>` keeps memory flat on big sheets; should openpyxl stop telling where
    the sheet's XML is, the workbook is loaded in full instead (slower, same answer).
    """
    if worksheet_part is None:
        workbook = load_workbook(path)
        try:
            return sorted(str(r) for r in workbook[sheet].merged_cells.ranges)
        finally:
            workbook.close()
    found: list[str] = []
    tail = b""
    with zipfile.ZipFile(path) as archive, archive.open(worksheet_part) as part:
        while block := part.read(_SNIFF_BLOCK):
            text = tail + block
            found.extend(m.group(1).decode() for m in _MERGE_REF.finditer(text))
            cut = text.rfind(b"<")  # carry a possibly split tag over to the next block
            tail = text[cut:] if cut >= 0 and b">" not in text[cut:] else b""
    return sorted(set(found))


def _read_xlsx(path: Path, dataset: Dataset) -> RawTable:
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises several types for a file that is not a workbook
        raise LandingFileError(
            path,
            f"this is not a readable .xlsx workbook ({type(error).__name__}): it may be a CSV or an old .xls "
            "renamed, password-protected, or damaged; save it again as an Excel Workbook (.xlsx)",
            rule="not_an_xlsx",
        ) from error
    try:
        sheet_names = [ws.title for ws in workbook.worksheets]
        if not sheet_names:
            raise LandingFileError(path, "the workbook has no worksheet", rule="file_empty")
        sheet = _pick_sheet(sheet_names, dataset)
        worksheet = workbook[sheet]
        worksheet.reset_dimensions()  # some writers record a wrong sheet size; read what is there
        rows = [
            [_cell_text(cell.value, getattr(cell, "number_format", None)) for cell in row]
            for row in worksheet.iter_rows()
        ]
        worksheet_part = getattr(worksheet, "_worksheet_path", None)  # private, see _merged_ranges
    finally:
        workbook.close()
    if not any(any(v.strip() for v in row) for row in rows):
        raise LandingFileError(path, f"the worksheet '{sheet}' is empty", rule="file_empty")

    header_index = _find_header(rows, dataset)
    header_row = header_index + 1
    data = [(i + 1, row) for i, row in enumerate(rows[header_index + 1 :], start=header_index + 1)]
    data = [(number, row) for number, row in data if any(v.strip() for v in row)]
    width = max([len(rows[header_index])] + [len(row) for _, row in data])
    header = rows[header_index] + [""] * (width - len(rows[header_index]))
    keep = [
        col
        for col in range(width)
        if header[col].strip() or any(col < len(row) and row[col].strip() for _, row in data)
    ]
    letters = [get_column_letter(col + 1) for col in keep]
    names = [
        _normalise_name(header[col]) or f"unnamed_{letter}" for col, letter in zip(keep, letters, strict=True)
    ]
    _check_header(path, dataset, names, letters, header_row)

    last_row = data[-1][0] if data else header_row
    _refuse_merged_cells(path, _merged_ranges(path, sheet, worksheet_part), header_row, last_row, sheet)
    table_rows = [[row[col] if col < len(row) else "" for col in keep] for _, row in data]
    frame = _frame(names, table_rows, [number for number, _ in data])
    return RawTable(path, dataset, frame, ENCODING_XLSX, header_row, sheet)


def _refuse_merged_cells(path: Path, ranges: list[str], first_row: int, last_row: int, sheet: str) -> None:
    inside: list[str] = []
    rows: set[int] = set()
    for ref in ranges:
        _, top, _, bottom = range_boundaries(ref)
        if bottom >= first_row and top <= last_row:
            inside.append(ref)
            rows.update(range(max(top, first_row), min(bottom, last_row) + 1))
    if inside:
        raise LandingFileError(
            path,
            f"worksheet '{sheet}' has merged cells inside the table ({', '.join(inside)}): a merged cell "
            "holds its value only in its first cell, so the other rows would read as blank; unmerge them and "
            "fill every cell",
            rows=sorted(rows),
            rule="merged_cells",
        )


__all__ = [
    "ENCODING_UTF8",
    "ENCODING_UTF8_BOM",
    "ENCODING_WINDOWS_1252",
    "ENCODING_XLSX",
    "SOURCE_ROW",
    "LandingFileError",
    "RawTable",
    "format_rows",
    "iter_landing_chunks",
    "read_landing_table",
]
