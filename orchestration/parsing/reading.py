"""Read one landing file (CSV or XLSX) into a table of text, by the contract's file conventions.

Everything comes back as text, exactly as delivered: typing and checking values is `values.py`'s job and
the quality suites'. What this module guarantees is the *shape* of the table, and that every row carries
the row number a person sees when they open the file (`source_row`), so a problem found anywhere later
can be reported as "row 1,204 of hn_ledger_2025-10.csv".

Reading rules (contract: "Conventions for every landing file"):

- header names are matched case-insensitively with surrounding spaces ignored, through the installation's
  header map (`headers.py`); contract columns come back under their contract names. Extra columns are
  dropped when the caller asks (the quality gate always does: they are never stored), else kept under their
  lower-cased names; an unnamed column holding data is called `unnamed_<n>` (CSV, 1-based position) or
  `unnamed_<letter>` (XLSX);
- blank cells are the empty string (never NA) and values are not stripped; rows that are entirely blank
  are skipped (they are not data), but `source_row` keeps counting them;
- CSV: UTF-8 with or without BOM, else Windows-1252 (how finance exports write `£`); the first non-blank
  line is the header; quoted values may hold commas, quotes and line breaks;
- XLSX: the sheet named like the dataset if there is one, else the first sheet; title and blank rows above
  the header are skipped; numbers come back as typed (`12`, not `12.0`), dates as ISO. A workbook that would
  expand beyond `MAX_XLSX_BYTES` or whose sheet declares more than `MAX_XLSX_ROWS` rows is refused from its
  zip directory and the sheet's declared size, before anything is parsed.

A file that cannot be read as the dataset's table raises `LandingFileError` with a `rule` id. A header
with no data rows is *not* an error here (`n_rows == 0`): whether that is acceptable depends on the
dataset (a periodic extract with no rows is refused by the caller; a reference file might not be).
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter, range_boundaries

from orchestration.contract import Dataset
from orchestration.parsing.errors import LandingFileError, format_rows
from orchestration.parsing.headers import SOURCE_ROW, HeaderMap, HeaderPlan
from orchestration.parsing.values import number_text

TEXT = "str"
DEFAULT_CHUNK_ROWS = 200_000
HEADER_SEARCH_ROWS = 50
"""XLSX title blocks are a few rows; a header further down than this is not where anyone would look."""

ENCODING_UTF8 = "utf-8"
ENCODING_UTF8_BOM = "utf-8-sig"
ENCODING_WINDOWS_1252 = "windows-1252"
ENCODING_XLSX = "xlsx"

_PYTHON_CODECS = {ENCODING_UTF8: "utf-8", ENCODING_UTF8_BOM: "utf-8-sig", ENCODING_WINDOWS_1252: "cp1252"}
_ARROW_CODECS = {ENCODING_UTF8: "utf8", ENCODING_UTF8_BOM: "utf8", ENCODING_WINDOWS_1252: "cp1252"}
_SNIFF_BLOCK = 1 << 20
_BINARY_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1f]")
"""Control characters no text export writes (tab, line breaks, VT and FF are allowed)."""
_CP1252_UNDEFINED = re.compile(rb"[\x81\x8d\x8f\x90\x9d]")


def _all_bytes_but(pattern: re.Pattern[bytes]) -> bytes:
    """Every byte value the one-byte class `pattern` does not match (a `bytes.translate` delete table)."""
    return bytes(value for value in range(256) if not pattern.match(bytes([value])))


_NOT_BINARY = _all_bytes_but(_BINARY_BYTES)
_NOT_CP1252_UNDEFINED = _all_bytes_but(_CP1252_UNDEFINED)


def _search_bytes(pattern: re.Pattern[bytes], others: bytes, block: bytes) -> re.Match[bytes] | None:
    """`pattern.search(block)`, asked only when deleting every other byte leaves something.

    A megabyte is cleared by `bytes.translate` in under a millisecond where the regular expression takes
    13: on a county's 114 MB of landing files, 1.5 seconds of every run.
    """
    return pattern.search(block) if block.translate(None, others) else None


MAX_XLSX_BYTES = 200 * 1024 * 1024
"""A workbook whose parts add up to more than this uncompressed is refused unparsed (a zip bomb, or an
extract far beyond any LA's size: the national demo's largest month is a few tens of MB)."""
MAX_XLSX_ROWS = 2_000_000
"""A sheet declaring more rows than this is refused unparsed (Excel itself stops at 1,048,576)."""
_DIMENSION = re.compile(rb"<(?:\w+:)?dimension\b[^>]*?\bref=\"[A-Za-z]*\d*:?[A-Za-z]*(\d+)\"")


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
    plan: HeaderPlan | None = None
    """Which file column became which contract column, and which were dropped."""

    @property
    def n_rows(self) -> int:
        return len(self.frame)

    @property
    def columns(self) -> tuple[str, ...]:
        """The file's columns, in file order (without `source_row`)."""
        return tuple(c for c in self.frame.columns if c != SOURCE_ROW)

    @property
    def extra_columns(self) -> tuple[str, ...]:
        """Columns the contract does not define that the reader was asked to keep (lower-cased names)."""
        known = set(self.dataset.column_names)
        return tuple(c for c in self.columns if c not in known)

    @property
    def absent_optional_columns(self) -> tuple[str, ...]:
        """Columns the contract allows a file to leave out (e.g. `placements.end_reason`) that it did."""
        present = set(self.columns)
        return tuple(c.name for c in self.dataset.columns if c.optional_column and c.name not in present)


# ------------------------------------------------------------------------------------------ entry points


def read_landing_table(
    path: Path, dataset: Dataset, header_map: HeaderMap | None = None, keep_extra_columns: bool = True
) -> RawTable:
    """The whole landing file as one `RawTable` (CSV files are read in chunks and joined)."""
    path = Path(path)
    chunks = list(
        iter_landing_chunks(path, dataset, header_map=header_map, keep_extra_columns=keep_extra_columns)
    )
    if len(chunks) == 1:
        return chunks[0]
    frame = pd.concat([c.frame for c in chunks], ignore_index=True)
    first = chunks[0]
    return RawTable(path, dataset, frame, first.encoding, first.header_row, first.sheet, first.plan)


def iter_landing_chunks(
    path: Path,
    dataset: Dataset,
    chunk_rows: int = DEFAULT_CHUNK_ROWS,
    header_map: HeaderMap | None = None,
    keep_extra_columns: bool = True,
) -> Iterator[RawTable]:
    """The landing file as `RawTable` chunks of at most `chunk_rows` rows, for bounded memory.

    Headers are matched through `header_map` (default: the contract's names only); columns outside the
    contract are kept under their lower-cased names, or dropped unread when `keep_extra_columns` is False.
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
    headers = header_map or HeaderMap(dataset)
    if path.suffix.lower() == ".xlsx":
        yield _read_xlsx(path, dataset, headers, keep_extra_columns)
    else:
        yield from _iter_csv(path, dataset, chunk_rows, headers, keep_extra_columns)


def _kept_positions(plan: HeaderPlan, keep_extra_columns: bool) -> list[int]:
    return [i for i, column in enumerate(plan.contract) if column is not None or keep_extra_columns]


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
            binary = _search_bytes(_BINARY_BYTES, _NOT_BINARY, block)
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
                undefined = _search_bytes(_CP1252_UNDEFINED, _NOT_CP1252_UNDEFINED, block)
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


def _iter_csv(
    path: Path, dataset: Dataset, chunk_rows: int, headers: HeaderMap, keep_extra_columns: bool
) -> Iterator[RawTable]:
    encoding = _sniff_encoding(path)
    with path.open(encoding=_PYTHON_CODECS[encoding], newline="") as handle:
        reader = csv.reader(handle, strict=True)
        header_row, header = _csv_header(path, _records(path, reader))
        header_lines = reader.line_num
    fields_in_header = len(header)
    while header and not header[-1].strip():
        header = header[:-1]  # a trailing comma on the header line names no column
    labels = [str(i) for i in range(1, len(header) + 1)]
    plan = headers.plan(path, header, labels, header_row, unnamed="unnamed_")
    layout = _CsvLayout(path, dataset, encoding, header_row, plan, _kept_positions(plan, keep_extra_columns))
    if header_lines == 1 and fields_in_header == len(header) and _plainly_quoted(path):
        yield from _arrow_chunks(layout, chunk_rows)
    else:
        yield from _python_chunks(layout, chunk_rows)


@dataclass(frozen=True)
class _CsvLayout:
    """What the header told about a CSV file: enough for either reader to read its rows."""

    path: Path
    dataset: Dataset
    encoding: str
    header_row: int
    plan: HeaderPlan
    kept: list[int]
    """Positions of the columns returned (all of them, or the contract's only)."""

    @property
    def width(self) -> int:
        return len(self.plan.names)

    def table(self, frame: pd.DataFrame) -> RawTable:
        return RawTable(self.path, self.dataset, frame, self.encoding, self.header_row, plan=self.plan)


def _python_chunks(layout: _CsvLayout, chunk_rows: int, after_row: int = 0) -> Iterator[RawTable]:
    """Rows read by Python's csv module: exact row numbers and messages whatever the file holds.

    Rows up to `after_row` are skipped (another reader yielded them already).
    """
    path, width = layout.path, layout.width
    names = [layout.plan.names[i] for i in layout.kept]

    def table(rows: list[list[str]], row_numbers: list[int]) -> RawTable:
        return layout.table(_frame(names, [[row[i] for i in layout.kept] for row in rows], row_numbers))

    with path.open(encoding=_PYTHON_CODECS[layout.encoding], newline="") as handle:
        records = _records(path, csv.reader(handle, strict=True))
        _csv_header(path, records)
        rows: list[list[str]] = []
        row_numbers: list[int] = []
        bad: list[tuple[int, int]] = []  # (row, number of fields)
        last_row = layout.header_row
        yielded = after_row > 0
        for start, fields in records:
            if not "".join(fields).strip():
                continue  # a blank line, or a row of empty cells: not data
            last_row = start
            if len(fields) > width and not any(f.strip() for f in fields[width:]):
                fields = fields[:width]  # trailing empty cells some exports add to every data line
            if len(fields) != width:
                bad.append((start, len(fields)))
            if bad or start <= after_row:
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


_ARROW_BLOCK_BYTES = 4 << 20
_QUOTE, _COMMA, _LF, _CR = 34, 44, 10, 13


def _plainly_quoted(path: Path) -> bool:
    """True when every line is one row and every quote opens, closes or doubles inside a quoted value.

    Then Arrow's CSV reader and Python's strict one read the same cells, and a row's number is its line:
    no value spans lines, no carriage return stands alone, no quote sits inside an unquoted value or after
    a closing quote. Anything else is left to the Python reader. One pass over the bytes, block by block.
    """
    quotes_before = 0  # quotes in the blocks already scanned
    previous = _LF  # the start of the file counts as the start of a line
    with path.open("rb") as handle:
        block = handle.read(_ARROW_BLOCK_BYTES).removeprefix(codecs.BOM_UTF8)
        while block:
            following = handle.read(_ARROW_BLOCK_BYTES)
            data = np.frombuffer(block, np.uint8)
            padded = np.concatenate(([previous], data, [following[0] if following else _LF]))
            quotes = np.flatnonzero(data == _QUOTE)
            opening = (quotes_before + np.arange(quotes.size)) % 2 == 0
            if not np.isin(padded[quotes[opening]], (_COMMA, _LF, _QUOTE)).all():  # the byte before
                return False
            if not np.isin(padded[quotes[~opening] + 2], (_COMMA, _CR, _LF, _QUOTE)).all():  # the byte after
                return False
            line_ends = np.flatnonzero(data == _LF)
            if ((quotes_before + np.searchsorted(quotes, line_ends)) % 2).any():
                return False  # a line break inside a quoted value
            if not (padded[np.flatnonzero(data == _CR) + 2] == _LF).all():
                return False
            quotes_before += quotes.size
            previous = int(data[-1])
            block = following
    return quotes_before % 2 == 0


def _without_blank_rows(rows: pa.Table, columns: list[str]) -> pa.Table:
    """Drop rows whose every cell is blank (a row of empty cells is not data), as the Python reader does.

    Only rows whose first cell is blank can be, so the others are not looked at.
    """
    candidates = pc.equal(pc.utf8_trim_whitespace(rows.column(columns[0])), "")
    if not pc.any(candidates).as_py():
        return rows
    blank = candidates
    for name in columns[1:]:
        blank = pc.and_(blank, pc.equal(pc.utf8_trim_whitespace(rows.column(name)), ""))
    return rows.filter(pc.invert(blank))


def _arrow_blocks(layout: _CsvLayout) -> Iterator[bytes]:
    """The file after its header, as UTF-8 blocks of whole lines (a file `_plainly_quoted` vouches for has
    no line break inside a value, so any line break ends a row)."""
    with layout.path.open("rb") as handle:
        handle.readline()  # the header: one line, checked already
        carry = b""
        while block := handle.read(_ARROW_BLOCK_BYTES):
            data = carry + block
            cut = data.rfind(b"\n") + 1
            carry, data = data[cut:], data[:cut]
            if data:
                yield data if layout.encoding != ENCODING_WINDOWS_1252 else data.decode("cp1252").encode()
        if carry:
            yield carry if layout.encoding != ENCODING_WINDOWS_1252 else carry.decode("cp1252").encode()


def _arrow_chunks(layout: _CsvLayout, chunk_rows: int) -> Iterator[RawTable]:
    """Rows read by Arrow's CSV reader (for a file `_plainly_quoted` vouches for): line n is row n.

    The file is handed to Arrow a few megabytes of whole lines at a time, so memory follows the block, not
    the file. Should Arrow stop (a row with more or fewer values than the header), the Python reader takes
    over from the first row not yet yielded, and reports the problem in its own words.
    """
    columns = [f"c{i}" for i in range(layout.width)]
    read_options = pa_csv.ReadOptions(column_names=columns, use_threads=False)
    parse_options = pa_csv.ParseOptions(newlines_in_values=False, ignore_empty_lines=False)
    convert_options = pa_csv.ConvertOptions(
        column_types=dict.fromkeys(columns, pa.large_string()), strings_can_be_null=False
    )
    names = [layout.plan.names[i] for i in layout.kept]

    def table(rows: pa.Table) -> RawTable:
        text = {
            name: pd.array(rows.column(columns[i]), dtype=TEXT)
            for name, i in zip(names, layout.kept, strict=True)
        }
        return layout.table(pd.DataFrame({SOURCE_ROW: rows.column(SOURCE_ROW).to_numpy(), **text}))

    pending: list[pa.Table] = []
    pending_rows = 0
    next_row = layout.header_row + 1
    last_yielded = 0
    yielded = False
    try:
        for block in _arrow_blocks(layout):
            rows = pa_csv.read_csv(pa.py_buffer(block), read_options, parse_options, convert_options)
            numbers = pa.array(np.arange(next_row, next_row + rows.num_rows, dtype=np.int64))
            next_row += rows.num_rows
            rows = _without_blank_rows(rows.append_column(SOURCE_ROW, numbers), columns)
            pending.append(rows)
            pending_rows += rows.num_rows
            while pending_rows >= chunk_rows:
                combined = pa.concat_tables(pending).combine_chunks()
                chunk, rest = combined.slice(0, chunk_rows), combined.slice(chunk_rows)
                yield table(chunk)
                yielded = True
                last_yielded = chunk.column(SOURCE_ROW)[-1].as_py()
                pending, pending_rows = [rest], rest.num_rows
    except pa.ArrowInvalid:
        yield from _python_chunks(layout, chunk_rows, after_row=last_yielded)
        return
    if pending_rows or not yielded:
        if pending:
            yield table(pa.concat_tables(pending))
        else:
            yield layout.table(_frame(names, [], []))


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


def _find_header(rows: list[list[str]], dataset: Dataset, headers: HeaderMap) -> int:
    """Index of the header: the first row holding every required column (by name or through the map).

    Title and blank rows above it are skipped. When no row has them all, the row with the most contract
    columns is taken, so that the error that follows lists what is missing from the real header.
    """
    required = {c.name for c in dataset.columns if not c.optional_column}
    best, best_hits = None, 0
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = {headers.column_for(v) for v in row if v.strip()} - {None}
        if required <= names:
            return index
        hits = len(names)
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


def _refuse_oversized_xlsx(path: Path) -> None:
    """Refuse a workbook that would expand too far, from its zip directory and sheets' declared size.

    Nothing is decompressed but the first block of each sheet (where `<dimension ref="A1:K2001">` is), so a
    zip bomb costs nothing to refuse. A file that is not a zip at all is left to the workbook reader.
    """
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError):
        return
    with archive:
        expanded = sum(member.file_size for member in archive.infolist())
        if expanded > MAX_XLSX_BYTES:
            raise LandingFileError(
                path,
                f"the workbook would expand to {expanded / 1024**2:,.0f} MB, more than the "
                f"{MAX_XLSX_BYTES // 1024**2} MB a landing file may hold: it was not opened; export the data "
                "as CSV, or remove what is not the extract (images, other sheets)",
                rule="xlsx_too_large",
            )
        for member in archive.infolist():
            if not (member.filename.startswith("xl/worksheets/") and member.filename.endswith(".xml")):
                continue
            with archive.open(member) as part:
                found = _DIMENSION.search(part.read(4096))
            if found and int(found.group(1)) > MAX_XLSX_ROWS:
                raise LandingFileError(
                    path,
                    f"a worksheet declares {int(found.group(1)):,} rows, more than the {MAX_XLSX_ROWS:,} a "
                    "landing file may hold: it was not opened; export the data as CSV in monthly files",
                    rule="xlsx_too_large",
                )


def _read_xlsx(path: Path, dataset: Dataset, headers: HeaderMap, keep_extra_columns: bool) -> RawTable:
    _refuse_oversized_xlsx(path)
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

    header_index = _find_header(rows, dataset, headers)
    header_row = header_index + 1
    data = [(i + 1, row) for i, row in enumerate(rows[header_index + 1 :], start=header_index + 1)]
    data = [(number, row) for number, row in data if any(v.strip() for v in row)]
    width = max([len(rows[header_index])] + [len(row) for _, row in data])
    header = rows[header_index] + [""] * (width - len(rows[header_index]))
    used = [
        col
        for col in range(width)
        if header[col].strip() or any(col < len(row) and row[col].strip() for _, row in data)
    ]
    letters = [get_column_letter(col + 1) for col in used]
    plan = headers.plan(path, [header[col] for col in used], letters, header_row, unnamed="unnamed_")

    last_row = data[-1][0] if data else header_row
    _refuse_merged_cells(path, _merged_ranges(path, sheet, worksheet_part), header_row, last_row, sheet)
    kept = _kept_positions(plan, keep_extra_columns)
    keep = [used[i] for i in kept]
    table_rows = [[row[col] if col < len(row) else "" for col in keep] for _, row in data]
    frame = _frame([plan.names[i] for i in kept], table_rows, [number for number, _ in data])
    return RawTable(path, dataset, frame, ENCODING_XLSX, header_row, sheet, plan)


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
