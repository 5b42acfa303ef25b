"""Every entry of the landing folder is accounted for, and nothing in it is followed or over-read.

A misnamed copy, a folder and a stray file are listed as ignored with the reason; a link (even to a file
outside the folder holding secrets), a file named for a future month and an XLSX that would expand too far
are refused without being read; and what became of each file is recorded in the same transaction as the
load, for the run summary and the pack to list.
"""

from __future__ import annotations

import os
import zipfile
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner
from openpyxl import Workbook

from expectations.folder import scan_landing_folder
from orchestration.cli import main
from orchestration.contract import DATASETS
from orchestration.ingest import landing_file_outcomes, load_landing_dataset
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.reading import MAX_XLSX_BYTES, read_landing_table
from orchestration.warehouse import connect
from tests.support.landing import ledger_line, write_landing_csv
from tests.support.pipeline import settings_for

SECRET = "root:x:0:0:Arthur Tucker,PL0000122:/root:/bin/bash"


def _month(offset: int) -> str:
    """The month `offset` months from this one, as `YYYY-MM`."""
    today = date.today()
    index = today.year * 12 + today.month - 1 + offset
    return f"{index // 12}-{index % 12 + 1:02d}"


EARLIER, LAST, CURRENT, NEXT = _month(-2), _month(-1), _month(0), _month(1)


def _ledger(landing: Path, month: str) -> Path:
    return write_landing_csv(
        landing, "hn_ledger", [ledger_line(f"T{month}", month, "1.2.5", "10.00")], month=month
    )


@pytest.fixture
def untidy_landing(tmp_path: Path) -> Path:
    """Two good ledger months, and one of each kind of entry that is not a landing file to read."""
    landing = tmp_path / "landing"
    _ledger(landing, EARLIER)
    _ledger(landing, LAST)
    (landing / f"hn_ledger_{LAST} (copy).csv").write_bytes((landing / f"hn_ledger_{LAST}.csv").read_bytes())
    (landing / "corrections").mkdir()
    (landing / "notes.txt").write_text("call Sam about October", encoding="utf-8")
    outside = tmp_path / "passwd"
    outside.write_text(SECRET + "\n", encoding="utf-8")
    (landing / f"hn_ledger_{CURRENT}.csv").symlink_to(outside)
    _ledger(landing, NEXT)  # named for a month that has not happened
    return landing


def test_each_entry_is_a_file_to_read_refused_unread_or_ignored_with_the_reason(untidy_landing: Path):
    scan = scan_landing_folder(untidy_landing)

    assert [f.name for f in scan.files] == [f"hn_ledger_{EARLIER}.csv", f"hn_ledger_{LAST}.csv"]
    refused = {item.landing_file.name: item.refused_because for item in scan.refused}
    assert refused[f"hn_ledger_{CURRENT}.csv"].rule == "symlink"
    assert refused[f"hn_ledger_{NEXT}.csv"].rule == "future_month"
    assert f"after the current month ({CURRENT})" in refused[f"hn_ledger_{NEXT}.csv"].message
    ignored = {entry.name: entry for entry in scan.ignored}
    assert set(ignored) == {"corrections", "notes.txt", f"hn_ledger_{LAST} (copy).csv"}
    assert ignored[f"hn_ledger_{LAST} (copy).csv"].dataset == "hn_ledger"
    assert ignored[f"hn_ledger_{LAST} (copy).csv"].reason.startswith("not a landing file name")
    assert ignored["corrections"].reason.startswith("a folder")


def test_a_link_is_refused_unread_and_nothing_of_its_target_reaches_any_output(
    untidy_landing: Path, tmp_path: Path
):
    settings = settings_for(untidy_landing, tmp_path / "home")
    atime = os.stat(tmp_path / "passwd").st_atime_ns

    result = load_landing_dataset(settings, DATASETS["hn_ledger"], raise_on_refusal=False)
    checked = CliRunner().invoke(
        main, ["check", "--landing", str(untidy_landing), "--home", str(settings.home)]
    )

    assert result.files_loaded == [f"hn_ledger_{EARLIER}.csv", f"hn_ledger_{LAST}.csv"]
    assert {r.name for r in result.refused} == {f"hn_ledger_{CURRENT}.csv", f"hn_ledger_{NEXT}.csv"}
    assert not list(settings.quarantine_dir.iterdir()), "nothing refused unread is copied"
    assert os.stat(tmp_path / "passwd").st_atime_ns == atime
    outputs = [checked.output, str(result.refused), *(str(p) for r in result.refused for p in r.problems)]
    outputs += [
        p.read_text(errors="ignore")
        for p in settings.home.rglob("*")
        if p.is_file() and p.suffix != ".duckdb"
    ]
    for fragment in ("root:x", "Arthur", "PL0000122", "/bin/bash"):
        assert not [text for text in outputs if fragment in text]
    assert "- notes.txt: ignored: not a landing file name" in checked.output
    assert f"hn_ledger_{CURRENT}.csv: would be REFUSED" in checked.output


def test_what_became_of_every_file_is_recorded_with_the_load(untidy_landing: Path, tmp_path: Path):
    settings = settings_for(untidy_landing, tmp_path / "home")
    load_landing_dataset(settings, DATASETS["hn_ledger"], raise_on_refusal=False)
    load_landing_dataset(settings, DATASETS["hn_ledger"], raise_on_refusal=False)  # the same folder again

    with connect(settings.warehouse, read_only=True) as connection:
        outcomes = {(o.file, o.outcome) for o in landing_file_outcomes(connection)}

    assert outcomes == {
        (f"hn_ledger_{EARLIER}.csv", "unchanged"),
        (f"hn_ledger_{LAST}.csv", "unchanged"),
        (f"hn_ledger_{CURRENT}.csv", "refused"),
        (f"hn_ledger_{NEXT}.csv", "refused"),
        (f"hn_ledger_{LAST} (copy).csv", "ignored"),
        ("corrections", "ignored"),
        ("notes.txt", "ignored"),
    }


def _workbook(path: Path) -> Path:
    workbook = Workbook()
    workbook.active.append(list(DATASETS["hn_budget"].column_names))
    workbook.active.append(["2025-26", "1.2.1", "original", 10, "2025-03-01"])
    workbook.save(path)
    return path


def test_an_xlsx_that_would_expand_beyond_the_limit_is_refused_before_parsing(tmp_path: Path):
    path = _workbook(tmp_path / "hn_budget.xlsx")
    with (
        zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as padding,
    ):
        for _ in range(MAX_XLSX_BYTES // (1 << 24) + 1):  # zeros compress to almost nothing
            padding.write(bytes(1 << 24))

    with pytest.raises(LandingFileError) as refused:
        read_landing_table(path, DATASETS["hn_budget"])

    assert refused.value.rule == "xlsx_too_large" and "it was not opened" in refused.value.message
    assert path.stat().st_size < 1_000_000


def test_an_xlsx_whose_sheet_declares_too_many_rows_is_refused_before_parsing(tmp_path: Path):
    path = _workbook(tmp_path / "hn_budget.xlsx")
    patched = tmp_path / "patched.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data.replace(b'<dimension ref="A1:E2"', b'<dimension ref="A1:E3000000"')
            target.writestr(item, data)
    patched.replace(path)

    with pytest.raises(LandingFileError) as refused:
        read_landing_table(path, DATASETS["hn_budget"])

    assert refused.value.rule == "xlsx_too_large" and "declares 3,000,000 rows" in refused.value.message
