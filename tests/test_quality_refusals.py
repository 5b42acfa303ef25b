"""Bad landing files are refused at ingest, quarantined with a plain-English report, and change nothing.

Each case drops one kind of bad file into a copy of a landing folder whose good files are already loaded,
runs the real ingest (Great Expectations suites, one DuckDB transaction), and checks: the file is refused;
the problem names the file, rows, column and rule in words a finance officer understands, with identifiers
masked; a copy, a JSON report and a letter are in `<home>/quarantine/`; the landing folder is untouched;
and every raw table is byte-for-byte what it was (row counts, sums and a hash of every row).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from openpyxl import Workbook

from expectations.report import LandingFilesRefused
from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.settings import Settings
from tests.support.landing import (
    ledger_line,
    make_upn,
    placement,
    write_landing_csv,
    write_minimal_reference_files,
)
from tests.support.pipeline import settings_for

# ------------------------------------------------------------------------------------- a good folder

UPNS = [make_upn(936, 2001, 12, serial) for serial in (1, 2, 3)]
LEDGER_MONTHS = tuple(
    f"{year}-{month:02d}"
    for year, month in [(2022, m) for m in range(7, 13)] + [(2023, m) for m in range(1, 7)]
)
"""A year of ledger months up to the snapshot month: the placements forecast needs a year of history."""
ETHNICITY_SPLIT = {
    "white": 0.6,
    "mixed": 0.1,
    "asian": 0.1,
    "black": 0.1,
    "chinese": 0.04,
    "other": 0.03,
    "unclassified": 0.03,
}
SEN_SPLIT = {"ehcp": 0.04, "sen_support": 0.14, "no_sen": 0.82}


def ledger_month(month: str) -> list[dict[str, object]]:
    """Seven lines: five for an independent special placement, two top-ups for a mainstream one (each its
    own description: identical lines would be warned as posted twice)."""
    lines = [
        ledger_line(
            f"T{month}-{n}",
            month,
            "1.2.3",
            "5000.00",
            "special_independent",
            "P1",
            provider_urn="100003",
            description=f"fees, week {n}",
        )
        for n in range(1, 6)
    ]
    lines += [
        ledger_line(
            f"T{month}-{n}",
            month,
            "1.2.1",
            "583.33",
            "mainstream_maintained",
            "P2",
            provider_urn="100001",
            description=f"top-up {n}",
        )
        for n in (6, 7)
    ]
    return lines


def school_outcome_rows(
    school_urn: str, academic_year: str, term: str, headcount: int
) -> list[dict[str, object]]:
    """A total row and its sen_status and ethnicity_major rows, adding up exactly."""
    total = {
        "headcount": headcount,
        "suspensions": headcount // 20,
        "permanent_exclusions": 1,
        "sessions_possible": headcount * 120,
        "sessions_missed": headcount * 7,
        "persistent_absentees": headcount // 10,
    }
    rows = [
        {
            "school_urn": school_urn,
            "academic_year": academic_year,
            "term": term,
            "characteristic_group": "total",
            "characteristic": "total",
            **total,
        }
    ]
    for group, split in (("sen_status", SEN_SPLIT), ("ethnicity_major", ETHNICITY_SPLIT)):
        names = list(split)
        for measure, value in total.items():
            parts = [int(value * split[name]) for name in names]
            parts[0] += value - sum(parts)  # the remainder goes to the largest group so the sum is exact
            for name, part in zip(names, parts, strict=True):
                row = next((r for r in rows if r["characteristic"] == name), None)
                if row is None:
                    row = {
                        "school_urn": school_urn,
                        "academic_year": academic_year,
                        "term": term,
                        "characteristic_group": group,
                        "characteristic": name,
                    }
                    rows.append(row)
                row[measure] = part
    return rows


def write_good_landing(landing: Path) -> None:
    write_minimal_reference_files(landing)
    write_landing_csv(
        landing,
        "placements",
        [
            placement(
                "P1", UPNS[0], "special_independent", "2023-04-01", None, "60000.00", provider_urn="100003"
            ),
            placement(
                "P2",
                UPNS[1],
                "mainstream_maintained",
                "2022-09-01",
                "2024-02-01",
                "7000.00",
                provider_urn="100001",
                end_reason="returned_to_mainstream",
            ),
            placement(
                "P3", UPNS[2], "special_academy", "2023-01-09", None, "22000.00", provider_urn="100002"
            ),
        ],
        month="2023-06",
    )
    for month in LEDGER_MONTHS:
        write_landing_csv(landing, "hn_ledger", ledger_month(month), month=month)
    outcomes = []
    for urn, headcount in (("100001", 300), ("100002", 950)):
        for term in ("autumn", "spring"):
            outcomes += school_outcome_rows(urn, "2022/23", term, headcount)
    write_landing_csv(landing, "school_outcomes", outcomes, month="2023-05")


LOAD_ORDER = ["placements", *(name for name in DATASETS if name != "placements")]
"""The order Dagster loads them in: a ledger's placement ids are checked against the newest snapshot."""


def load_everything(settings: Settings) -> None:
    for name in LOAD_ORDER:
        load_landing_dataset(settings, DATASETS[name])


# ------------------------------------------------------------------------------------ what must hold


def warehouse_fingerprint(warehouse: Path) -> dict[str, object]:
    """Row count and a hash of every row of every raw table, plus the money and count totals."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
        ]
        found: dict[str, object] = {}
        for table in tables:
            found[table] = connection.execute(
                f"select count(*), md5(coalesce(string_agg(x::varchar, chr(10) order by x::varchar), '')) "
                f"from raw.{table} x"
            ).fetchall()[0]
        found["sum hn_ledger.amount_gbp"] = connection.execute(
            "select sum(amount_gbp) from raw.hn_ledger"
        ).fetchall()[0][0]
        found["sum placements.annual_cost_gbp"] = connection.execute(
            "select sum(annual_cost_gbp) from raw.placements"
        ).fetchall()[0][0]
        found["sum school_outcomes.headcount"] = connection.execute(
            "select sum(headcount) from raw.school_outcomes"
        ).fetchall()[0][0]
    return found


def folder_fingerprint(folder: Path) -> dict[str, str]:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()
    }


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A landing folder of good files, loaded once; tests work on copies."""
    root = tmp_path_factory.mktemp("quality-golden")
    write_good_landing(root / "landing")
    settings = settings_for(root / "landing", root / "home")
    load_everything(settings)
    return settings


@pytest.fixture
def workspace(loaded: Settings, tmp_path: Path) -> Settings:
    """A copy of the loaded warehouse and of its landing folder, for one test to spoil."""
    shutil.copytree(loaded.landing, tmp_path / "landing")
    (tmp_path / "home").mkdir()
    shutil.copy2(loaded.warehouse, tmp_path / "home" / loaded.warehouse.name)
    return settings_for(tmp_path / "landing", tmp_path / "home")


# ---------------------------------------------------------------------------------- the bad inputs

REDELIVERED = "hn_ledger_2023-05.csv"
"""Most ledger cases re-deliver a month that is already loaded: its old rows must survive the refusal."""


def write_text(folder: Path, name: str, text: str, encoding: str = "utf-8") -> Path:
    path = folder / name
    path.write_text(text, encoding=encoding, newline="")
    return path


def ledger_csv(
    folder: Path, rows: list[dict[str, object]], month: str = "2023-05", columns: list[str] | None = None
) -> Path:
    return write_landing_csv(folder, "hn_ledger", rows, month=month, columns=columns)


def ledger_with(**changes: object) -> Callable[[Path], Path]:
    """The 2023-05 ledger again, with one line (line 3 of the file) changed."""

    def write(folder: Path) -> Path:
        rows = ledger_month("2023-05")
        rows[1] = {**rows[1], **changes}
        return ledger_csv(folder, rows)

    return write


def placements_with(**changes: object) -> Callable[[Path], Path]:
    """A new placements snapshot (2023-07) with its second placement (line 3) changed."""

    def write(folder: Path) -> Path:
        rows = [
            placement(
                "P1", UPNS[0], "special_independent", "2023-04-01", None, "60000.00", provider_urn="100003"
            ),
            {
                **placement(
                    "P2",
                    UPNS[1],
                    "mainstream_maintained",
                    "2022-09-01",
                    "2024-02-01",
                    "7000.00",
                    provider_urn="100001",
                ),
                **changes,
            },
        ]
        return write_landing_csv(folder, "placements", rows, month="2023-07")

    return write


def outcomes_with(change: Callable[[list[dict[str, object]]], None]) -> Callable[[Path], Path]:
    def write(folder: Path) -> Path:
        rows = school_outcome_rows("100001", "2023/24", "autumn", 400)
        change(rows)
        return write_landing_csv(folder, "school_outcomes", rows, month="2023-12")

    return write


def _set(rows: list[dict[str, object]], characteristic: str, **values: object) -> None:
    next(r for r in rows if r["characteristic"] == characteristic).update(values)


def truncated_ledger(folder: Path) -> Path:
    path = ledger_csv(folder, ledger_month("2023-05"))
    text = path.read_text(encoding="utf-8")
    path.write_text(text[: text.rfind("\n", 0, len(text) - 1) + 40], encoding="utf-8", newline="")
    return path


def binary_garbage(folder: Path) -> Path:
    path = folder / REDELIVERED
    path.write_bytes(bytes(range(256)) * 40)
    return path


def xlsx_with_title_and_merged_cells(folder: Path) -> Path:
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "HN Ledger"
    sheet["A1"] = "High Needs ledger — May 2023"
    columns = list(DATASETS["hn_ledger"].column_names)
    sheet.append([])
    sheet.append(columns)
    for row in ledger_month("2023-05"):
        sheet.append([row[c] for c in columns])
    sheet.merge_cells("F4:F5")  # provision_type merged over two lines
    path = folder / "hn_ledger_2023-05.xlsx"
    workbook.save(path)
    (folder / REDELIVERED).unlink()  # a re-delivery as a workbook replaces the CSV in the folder
    return path


def xlsx_that_is_a_csv(folder: Path) -> Path:
    source = ledger_with(amount_gbp="5100.00")(folder)
    target = folder / "hn_ledger_2023-05.xlsx"
    source.rename(target)
    return target


def two_deliveries_of_one_month(folder: Path) -> Path:
    write_text(folder, "hn_ledger_2023-05.CSV", (folder / REDELIVERED).read_text(encoding="utf-8"))
    return folder / REDELIVERED


def ledger_text(header: str, *lines: str) -> Callable[[Path], Path]:
    return lambda folder: write_text(folder, REDELIVERED, "\r\n".join([header, *lines]) + "\r\n")


HEADER = ",".join(DATASETS["hn_ledger"].column_names)
GOOD_LINE = "T2023-05-1,2023-05,2023-05-15,HN001,1.2.3,special_independent,100003,,P1,5000.00,test line"


@dataclass(frozen=True)
class BadInput:
    kind: str
    dataset: str
    write: Callable[[Path], Path]
    rule: str
    column: str | None
    says: str
    """A phrase of the message a finance officer reads."""


BAD_INPUTS = [
    BadInput(
        "missing column",
        "hn_ledger",
        lambda f: ledger_csv(
            f,
            ledger_month("2023-05"),
            columns=[c for c in DATASETS["hn_ledger"].column_names if c != "amount_gbp"],
        ),
        "missing_column",
        "amount_gbp",
        "missing the hn_ledger column 'amount_gbp'",
    ),
    BadInput(
        "renamed column",
        "hn_ledger",
        ledger_text(HEADER.replace("amount_gbp", "Amount"), GOOD_LINE),
        "missing_column",
        "amount_gbp",
        "'amount' looks like 'amount_gbp' renamed",
    ),
    BadInput(
        "wrong type",
        "hn_ledger",
        ledger_with(amount_gbp="five thousand"),
        "invalid_money",
        "amount_gbp",
        "could not be read as an amount of money",
    ),
    BadInput(
        "money with three decimals",
        "hn_ledger",
        ledger_with(amount_gbp="5000.125"),
        "invalid_money",
        "amount_gbp",
        "more than 2 decimal places",
    ),
    BadInput(
        "empty file (0 bytes)",
        "hn_ledger",
        lambda f: write_text(f, REDELIVERED, ""),
        "file_empty",
        None,
        "the file is empty",
    ),
    BadInput(
        "header only",
        "hn_ledger",
        ledger_text(HEADER),
        "no_data_rows",
        None,
        "an empty month is a broken extract",
    ),
    BadInput(
        "empty reference file",
        "schools",
        lambda f: write_landing_csv(f, "schools", []),
        "no_data_rows",
        None,
        "would wipe the table",
    ),
    BadInput(
        "duplicate transaction ids within a file",
        "hn_ledger",
        ledger_with(transaction_id="T2023-05-1"),
        "duplicate_transaction_id",
        "transaction_id",
        "share their transaction_id",
    ),
    BadInput(
        "transaction id already loaded for another month",
        "hn_ledger",
        ledger_with(transaction_id="T2023-04-3"),
        "duplicate_transaction_id_across_deliveries",
        "transaction_id",
        "already loaded from hn_ledger_2023-04.csv",
    ),
    BadInput(
        "zero amount", "hn_ledger", ledger_with(amount_gbp="0.00"), "zero_amount", "amount_gbp", "for £0"
    ),
    BadInput(
        "unknown s251 line",
        "hn_ledger",
        ledger_with(s251_line="1.2.99"),
        "unknown_code",
        "s251_line",
        "not an accepted s251_line",
    ),
    BadInput(
        "unknown provision type",
        "hn_ledger",
        ledger_with(provision_type="special_private"),
        "unknown_code",
        "provision_type",
        "not an accepted provision_type",
    ),
    BadInput(
        "formula in a code column",
        "hn_ledger",
        ledger_with(s251_line='=HYPERLINK("http://x","1.2.3")'),
        "unknown_code",
        "s251_line",
        "not an accepted s251_line",
    ),
    BadInput(
        "placement not in the newest snapshot",
        "hn_ledger",
        ledger_with(placement_id="P404"),
        "placement_not_in_snapshot",
        "placement_id",
        "not in placements_2023-06.csv",
    ),
    BadInput(
        "posted before its accounting month",
        "hn_ledger",
        ledger_with(posting_date="2023-04-28"),
        "posting_date_before_period",
        "posting_date",
        "posted before its accounting month",
    ),
    BadInput(
        "impossible date",
        "hn_ledger",
        ledger_with(posting_date="31/02/2023"),
        "invalid_date",
        "posting_date",
        "there is no day 31 in February 2023",
    ),
    BadInput(
        "ambiguous date (two-digit year)",
        "hn_ledger",
        ledger_with(posting_date="03/05/23"),
        "invalid_date",
        "posting_date",
        "two-digit year is ambiguous",
    ),
    BadInput(
        "US month-first date",
        "hn_ledger",
        ledger_with(posting_date="05/31/2023"),
        "invalid_date",
        "posting_date",
        "never US month-first",
    ),
    BadInput(
        "blank required value",
        "hn_ledger",
        ledger_with(cost_centre=""),
        "required_value_missing",
        "cost_centre",
        "blank, but cost_centre is required",
    ),
    BadInput(
        "invalid provider URN",
        "hn_ledger",
        ledger_with(provider_urn="12345"),
        "invalid_urn",
        "provider_urn",
        "not a 6-digit URN or an 8-digit UKPRN",
    ),
    BadInput(
        "trailing Total row",
        "hn_ledger",
        ledger_text(HEADER, GOOD_LINE, "Total,,,,,,,,,5000.00,"),
        "total_row",
        "transaction_id",
        "looks like a totals row",
    ),
    BadInput("truncated file", "hn_ledger", truncated_ledger, "truncated", None, "cut off"),
    BadInput(
        "unquoted comma",
        "hn_ledger",
        ledger_text(HEADER, GOOD_LINE.replace("test line", "fees, May")),
        "wrong_field_count",
        None,
        "must be wrapped in quotes",
    ),
    BadInput(
        "duplicated header column",
        "hn_ledger",
        ledger_text(HEADER + ",period", GOOD_LINE + ",2023-05"),
        "duplicate_column",
        "period",
        "names a column more than once",
    ),
    BadInput(
        "binary garbage with a .csv name",
        "hn_ledger",
        binary_garbage,
        "not_a_csv",
        None,
        "not a text CSV file",
    ),
    BadInput(
        "CSV saved with an .xlsx name",
        "hn_ledger",
        xlsx_that_is_a_csv,
        "not_an_xlsx",
        None,
        "not a readable .xlsx workbook",
    ),
    BadInput(
        "XLSX with a title row and merged cells",
        "hn_ledger",
        xlsx_with_title_and_merged_cells,
        "merged_cells",
        None,
        "merged cells inside the table (F4:F5)",
    ),
    BadInput(
        "two deliveries of one month",
        "hn_ledger",
        two_deliveries_of_one_month,
        "duplicate_delivery",
        None,
        "two deliveries of the same month 2023-05",
    ),
    BadInput(
        "negative cost",
        "placements",
        placements_with(annual_cost_gbp="-7000.00"),
        "negative_amount",
        "annual_cost_gbp",
        "below zero",
    ),
    BadInput(
        "invalid UPN check letter",
        "placements",
        placements_with(upn="Z" + UPNS[1][1:]),
        "invalid_upn",
        "upn",
        "check letter does not match",
    ),
    BadInput(
        "placement ends before it starts",
        "placements",
        placements_with(placement_end="2022-08-31"),
        "end_before_start",
        "placement_end",
        "ends before it starts",
    ),
    BadInput(
        "NSA as the primary need on an EHCP",
        "placements",
        placements_with(primary_need="NSA"),
        "unknown_code",
        "primary_need",
        "NSA is for SEN support only",
    ),
    BadInput(
        "duplicate placement ids",
        "placements",
        placements_with(placement_id="P1"),
        "duplicate_placement_id",
        "placement_id",
        "share their placement_id",
    ),
    BadInput(
        "group totals that don't add up",
        "school_outcomes",
        outcomes_with(lambda rows: _set(rows, "white", headcount=999)),
        "total_not_sum_of_group",
        "headcount",
        "does not equal the sum of its group's rows",
    ),
    BadInput(
        "sessions missed more than possible",
        "school_outcomes",
        outcomes_with(lambda rows: _set(rows, "total", sessions_missed=48_001)),
        "sessions_missed_exceed_possible",
        "sessions_missed",
        "more sessions missed than possible",
    ),
    BadInput(
        "characteristic in the wrong group",
        "school_outcomes",
        outcomes_with(lambda rows: _set(rows, "chinese", characteristic_group="sen_status")),
        "characteristic_not_in_group",
        "characteristic",
        "does not belong to its characteristic_group",
    ),
    BadInput(
        "negative count",
        "school_outcomes",
        outcomes_with(lambda rows: _set(rows, "ehcp", suspensions=-1)),
        "negative_count",
        "suspensions",
        "below zero",
    ),
    BadInput(
        "financial year written the academic way",
        "hn_budget",
        lambda f: write_landing_csv(
            f,
            "hn_budget",
            [
                {
                    "financial_year": "2023/24",
                    "s251_line": "1.2.1",
                    "budget_type": "original",
                    "amount_gbp": "120000.00",
                    "approved_on": "2023-03-01",
                }
            ],
        ),
        "invalid_financial_year",
        "financial_year",
        "2025/26 is how an academic year is written",
    ),
]


def test_at_least_25_kinds_of_bad_input_are_covered():
    assert len({case.kind for case in BAD_INPUTS}) >= 25


@pytest.mark.parametrize("case", BAD_INPUTS, ids=[case.kind for case in BAD_INPUTS])
def test_a_bad_file_is_refused_quarantined_and_changes_nothing(workspace: Settings, case: BadInput):
    landing, dataset = workspace.landing, DATASETS[case.dataset]
    bad_file = case.write(landing)
    before_landing = folder_fingerprint(landing)
    before_warehouse = warehouse_fingerprint(workspace.warehouse)

    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(workspace, dataset)

    # the refusal names the file, and the problem names the column, rule and what is wrong
    assert bad_file.name in str(refused.value)
    (report,) = [r for r in refused.value.reports if r.name == bad_file.name]
    matching = [p for p in report.errors if p.rule == case.rule and p.column == case.column]
    assert matching, (
        f"expected {case.rule} on {case.column}, got {[(p.rule, p.column) for p in report.errors]}"
    )
    problem = matching[0]
    assert case.says in problem.message, problem.message
    assert problem.file == bad_file.name and problem.severity == "error"
    if case.column is not None:
        assert problem.rows, "a problem in a column names the rows"

    # nothing changed: not the landing folder, not a byte of any raw table
    assert folder_fingerprint(landing) == before_landing
    assert warehouse_fingerprint(workspace.warehouse) == before_warehouse

    # quarantine: the bytes that were checked, a JSON report and a letter
    copy = report.quarantined_as
    assert copy is not None and copy.parent == workspace.quarantine_dir
    assert copy.read_bytes() == bad_file.read_bytes()
    record = json.loads(copy.with_name(copy.name + ".report.json").read_text(encoding="utf-8"))
    assert record["file"] == bad_file.name and record["refused"] is True
    assert any(p["rule"] == case.rule and p["column"] == case.column for p in record["problems"])
    letter = copy.with_name(copy.name + ".txt").read_text(encoding="utf-8")
    assert bad_file.name in letter and case.rule in letter and case.says in letter
    if case.column:
        assert f"column '{case.column}'" in letter


# ------------------------------------------------------------------------- identifiers, formulas


def test_identifiers_are_never_shown_in_clear(workspace: Settings):
    bad_upn = "Z" + UPNS[1][1:]
    placements_with(upn=bad_upn, placement_id="P1")(workspace.landing)
    ledger_with(transaction_id="T2023-04-3", placement_id="P404")(workspace.landing)
    texts = []
    for name in ("placements", "hn_ledger"):
        with pytest.raises(LandingFilesRefused) as refused:
            load_landing_dataset(workspace, DATASETS[name])
        texts.append(str(refused.value))
    for path in workspace.quarantine_dir.iterdir():
        if path.suffix in {".json", ".txt"}:
            texts.append(path.read_text(encoding="utf-8"))
    everything = "\n".join(texts)
    assert "Z93…" in everything and "P40…" in everything and "T20…" in everything
    for identifier in (bad_upn, "P404", "T2023-04-3"):
        assert identifier not in everything
    # nor in the Data Docs built from the kept results
    docs = "\n".join(
        p.read_text(encoding="utf-8", errors="ignore")
        for p in (workspace.home / "gx").rglob("*")
        if p.is_file() and p.suffix in {".html", ".json"}
    )
    assert bad_upn not in docs and "T2023-04-3" not in docs


def test_formula_text_is_neutralised_in_quarantine_reports(workspace: Settings):
    formula = '=HYPERLINK("http://evil.example","click")'
    ledger_with(s251_line=formula, description="@SUM(A1:A9)")(workspace.landing)
    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(workspace, DATASETS["hn_ledger"])
    (report,) = refused.value.reports
    record_path = report.quarantined_as.with_name(report.quarantined_as.name + ".report.json")
    record = json.loads(record_path.read_text(encoding="utf-8"))

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    assert not [s for s in strings(record) if s.startswith(("=", "+", "-", "@"))]
    unknown = next(p for p in report.problems if p.rule == "unknown_code")
    assert "'=HYPERLINK" in unknown.message  # shown with the quote that stops a spreadsheet running it
    formula_warning = next(p for p in report.warnings if p.rule == "formula_text")
    assert formula_warning.column == "description" and "'@SUM(A1:A9)" in formula_warning.message


# ---------------------------------------------------------------------- warnings, runs, re-drops


def test_warnings_are_reported_but_do_not_block(workspace: Settings):
    write_landing_csv(
        workspace.landing,
        "placements",
        [
            placement(
                "P1", UPNS[0], "special_independent", "2023-04-01", None, "260000.00", provider_urn="100003"
            ),
            placement(
                "P2",
                UPNS[1],
                "mainstream_maintained",
                "2022-09-01",
                None,
                "7000.00",
                provider_urn="100001",
                end_reason="other",
            ),
        ],
        month="2023-07",
    )
    july = ledger_month("2023-07")
    july[0] = {**july[0], "amount_gbp": "95000.00", "description": "=1+1"}
    ledger_csv(workspace.landing, july, month="2023-07")

    placements = load_landing_dataset(workspace, DATASETS["placements"])
    ledger = load_landing_dataset(workspace, DATASETS["hn_ledger"])

    assert placements.files_loaded == ["placements_2023-07.csv"]
    assert ledger.files_loaded == ["hn_ledger_2023-07.csv"]
    assert {p.rule for p in placements.warnings} == {"implausible_annual_cost", "end_reason_while_open"}
    assert {p.rule for p in ledger.warnings} == {
        "unusual_monthly_spend",
        "unusual_month_total",
        "formula_text",
    }
    unusual = next(p for p in ledger.warnings if p.rule == "unusual_monthly_spend")
    assert "s251 line 1.2.3 in 2023-07: £115,000 against a usual £25,000" in unusual.message
    assert not list(workspace.quarantine_dir.iterdir())


def test_good_files_of_the_same_dataset_still_load_and_ids_are_unique_across_new_months(workspace: Settings):
    july = ledger_month("2023-07")
    ledger_csv(workspace.landing, july, month="2023-07")
    august = ledger_month("2023-08")
    august[2] = {**august[2], "transaction_id": "T2023-07-5"}  # used by July, delivered in the same run
    ledger_csv(workspace.landing, august, month="2023-08")
    before = warehouse_fingerprint(workspace.warehouse)

    result = load_landing_dataset(workspace, DATASETS["hn_ledger"], raise_on_refusal=False)

    assert result.files_loaded == ["hn_ledger_2023-07.csv"]
    (refused,) = result.refused
    assert refused.name == "hn_ledger_2023-08.csv"
    problem = next(p for p in refused.errors if p.rule == "duplicate_transaction_id_across_deliveries")
    assert problem.rows == (4,) and "hn_ledger_2023-07.csv" in problem.message
    after = warehouse_fingerprint(workspace.warehouse)
    assert after["hn_ledger"][0] == before["hn_ledger"][0] + len(july)
    assert {k: v for k, v in after.items() if k in ("placements", "schools", "school_outcomes")} == {
        k: v for k, v in before.items() if k in ("placements", "schools", "school_outcomes")
    }


def test_a_redelivered_month_may_repeat_the_ids_of_the_file_it_replaces(workspace: Settings):
    may = ledger_month("2023-05")
    may[0] = {**may[0], "amount_gbp": "4900.00"}
    ledger_csv(workspace.landing, may)
    result = load_landing_dataset(workspace, DATASETS["hn_ledger"])
    assert result.files_loaded == [REDELIVERED] and result.months_replaced == ["2023-05"]


def comparable_contents(warehouse: Path) -> dict[str, list[tuple]]:
    """Every landing table's rows, less the load's timestamps and archive paths (they differ between runs)."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "select table_name from information_schema.tables where table_schema = 'raw' order by 1"
            ).fetchall()
            if row[0] in DATASETS or row[0] == "_file_loads"
        ]
        return {
            table: connection.execute(
                f"select * exclude (loaded_at, archived_as, replaced) from raw.{table} order by all"
                if table == "_file_loads"
                else f"select * exclude (_loaded_at) from raw.{table} order by all"
            ).fetchall()
            for table in tables
        }


def test_fixing_and_redropping_a_file_loads_it_as_if_the_bad_one_never_came(
    workspace: Settings, tmp_path: Path
):
    fixed = ledger_month("2023-07")
    bad = [dict(row) for row in fixed]
    bad[3]["amount_gbp"] = "£5,00O.00"
    ledger_csv(workspace.landing, bad, month="2023-07")
    with pytest.raises(LandingFilesRefused):
        load_landing_dataset(workspace, DATASETS["hn_ledger"])
    with pytest.raises(LandingFilesRefused):  # still there next run: refused again, quarantined once
        load_landing_dataset(workspace, DATASETS["hn_ledger"])
    assert len([p for p in workspace.quarantine_dir.iterdir() if p.suffix == ".csv"]) == 1

    ledger_csv(workspace.landing, fixed, month="2023-07")  # the officer fixes it and saves it again
    result = load_landing_dataset(workspace, DATASETS["hn_ledger"])
    assert result.files_loaded == ["hn_ledger_2023-07.csv"]

    never_saw_it = settings_for(tmp_path / "clean-landing", tmp_path / "clean-home")
    write_good_landing(never_saw_it.landing)
    ledger_csv(never_saw_it.landing, fixed, month="2023-07")
    load_everything(never_saw_it)
    assert comparable_contents(workspace.warehouse) == comparable_contents(never_saw_it.warehouse)


def test_delivered_text_cannot_run_in_the_data_docs_or_the_dagster_ui(workspace: Settings):
    from orchestration.assets.checks import problems_markdown

    payload = "<img src=x onerror=alert(1)>"
    ledger_with(s251_line=payload)(workspace.landing)
    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(workspace, DATASETS["hn_ledger"])
    pages = [p.read_text(encoding="utf-8", errors="ignore") for p in (workspace.home / "gx").rglob("*.html")]
    assert pages and not [page for page in pages if payload in page]
    assert any("&lt;img src=x onerror=alert(1)&gt;" in page for page in pages)
    table = problems_markdown(refused.value.reports[0].errors)
    assert payload not in table and "&lt;img src=x onerror=alert(1)&gt;" in table
