"""Plainly quoted CSV files are read by Arrow, and give exactly the table Python's csv module gives.

The Arrow reader is only trusted with files where every line is one row and every quote opens, closes or
doubles inside a quoted value; every other file (a value over two lines, a stray quote, a short row, a lone
carriage return) is read by Python's strict reader, so messages and row numbers stay exact.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from orchestration.contract import DATASETS
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.headers import HeaderMap
from orchestration.parsing.reading import (
    _CsvLayout,
    _plainly_quoted,
    _python_chunks,
    _sniff_encoding,
    iter_landing_chunks,
)

LEDGER = DATASETS["hn_ledger"]
HEADER = ",".join(LEDGER.column_names)
LINE = 'T{n},2025-10,2025-10-01,CC1,1.2.1,,100001,"Provider, Ltd",P1,"1,234.5{d}","said ""yes"" {n}"'

PLAIN_FILES = {
    "quoted commas and doubled quotes": HEADER
    + "\n"
    + "\n".join(LINE.format(n=n, d=n % 10) for n in range(9)),
    "CRLF endings and a row of empty cells": HEADER
    + "\r\n"
    + LINE.format(n=1, d=1)
    + "\r\n,,,,,,,,,,\r\n"
    + LINE.format(n=2, d=2)
    + "\r\n",
    "no final line break, spaces kept": HEADER + "\nT1,2025-10, 2025-10-01 ,CC1,1.2.1,,,,,5,",
    "empty quoted values": HEADER + '\nT1,"",2025-10-01,CC1,1.2.1,"",,,,"5",""\n',
}
OTHER_FILES = {
    "a value over two lines": HEADER + '\nT1,2025-10,2025-10-01,CC1,1.2.1,,,,,5,"two\nlines"\n',
    "a quote inside an unquoted value": HEADER + '\nT1,2025-10,2025-10-01,CC1,1.2.1,,,,,5,6" screen\n',
    "text after a closing quote": HEADER + '\nT1,2025-10,2025-10-01,CC1,1.2.1,,,,,"5"0,x\n',
    "a lone carriage return": HEADER + "\nT1,2025-10,2025-10-01,CC1,1.2.1,,,,,5,a\rb\n",
}


def python_read(path: Path, chunk_rows: int) -> list[pd.DataFrame]:
    encoding = _sniff_encoding(path)
    plan = HeaderMap(LEDGER).plan(path, LEDGER.column_names, [str(i) for i in range(1, 12)], 1, "unnamed_")
    layout = _CsvLayout(path, LEDGER, encoding, 1, plan, list(range(11)))
    return [chunk.frame for chunk in _python_chunks(layout, chunk_rows)]


@pytest.mark.parametrize("name", list(PLAIN_FILES))
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252"])
def test_arrow_reads_a_plainly_quoted_file_as_python_does(tmp_path: Path, name: str, encoding: str):
    path = tmp_path / "hn_ledger_2025-10.csv"
    path.write_bytes(PLAIN_FILES[name].replace("yes", "£yes").encode(encoding))

    assert _plainly_quoted(path)
    arrow = [chunk.frame for chunk in iter_landing_chunks(path, LEDGER, chunk_rows=4)]
    python = python_read(path, chunk_rows=4)

    assert len(arrow) == len(python)
    for ours, theirs in zip(arrow, python, strict=True):
        pd.testing.assert_frame_equal(ours, theirs)


@pytest.mark.parametrize("name", list(OTHER_FILES))
def test_a_file_arrow_could_misread_is_left_to_python(tmp_path: Path, name: str):
    path = tmp_path / "hn_ledger_2025-10.csv"
    path.write_text(OTHER_FILES[name], encoding="utf-8", newline="")

    assert not _plainly_quoted(path)


def test_a_blank_line_stops_arrow_and_python_reads_the_file_with_its_own_row_numbers(tmp_path: Path):
    path = tmp_path / "hn_ledger_2025-10.csv"
    path.write_text(HEADER + "\n\n" + LINE.format(n=1, d=1) + "\n", encoding="utf-8")

    (chunk,) = iter_landing_chunks(path, LEDGER)

    assert chunk.frame["source_row"].tolist() == [3]
    pd.testing.assert_frame_equal(chunk.frame, python_read(path, chunk_rows=10)[0])


def test_when_arrow_stops_at_a_short_row_python_reports_it_in_its_own_words(tmp_path: Path):
    lines = [LINE.format(n=n, d=n % 10) for n in range(30)]
    lines[25] = "T25,2025-10"  # quoting is plain, but this row is short
    path = tmp_path / "hn_ledger_2025-10.csv"
    path.write_text(HEADER + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
    assert _plainly_quoted(path)

    with pytest.raises(LandingFileError) as stopped:
        list(iter_landing_chunks(path, LEDGER, chunk_rows=4))

    assert (stopped.value.rule, stopped.value.rows) == ("wrong_field_count", (27,))
