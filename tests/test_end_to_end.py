"""`highneeds demo` then `highneeds run`, as a newcomer would: real CLI, Dagster, dbt and DuckDB."""

from __future__ import annotations

import csv
import re
import sqlite3
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DemoRun, folder_digests

pytestmark = pytest.mark.slow


def _pounds(text: str) -> Decimal:
    """Money as the contract writes it, parsed here independently of the platform's parser."""
    cleaned = text.strip().replace("£", "").replace(",", "")
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    value = Decimal(cleaned.strip("()"))
    return -value if negative else value


def _read_csv_rows(path: Path) -> list[dict[str, str]]:
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("cp1252")
    reader = csv.DictReader(text.splitlines(keepends=True))
    return [{(k or "").strip().lower(): (v or "") for k, v in row.items()} for row in reader]


def _ledger_totals_from_landing(landing: Path) -> dict[tuple[str, str, str], Decimal]:
    totals: dict[tuple[str, str, str], Decimal] = {}
    for path in sorted(landing.glob("hn_ledger_*.csv")):
        for row in _read_csv_rows(path):
            key = (row["period"].strip(), row["s251_line"].strip(), row["provision_type"].strip())
            totals[key] = totals.get(key, Decimal(0)) + _pounds(row["amount_gbp"])
    return totals


def test_the_run_succeeds_and_says_what_it_loaded_and_built(demo_run: DemoRun) -> None:
    assert demo_run.returncode == 0, demo_run.output[-3000:]
    assert "succeeded" in demo_run.output
    assert re.search(r"raw\.hn_ledger\s+[\d,]+", demo_run.output)
    assert re.search(r"marts\.spend_by_provision_type\s+[\d,]+", demo_run.output)
    assert str(demo_run.warehouse) in demo_run.output


def test_spend_by_provision_type_equals_the_ledger_files_to_the_penny(demo_run: DemoRun) -> None:
    expected = _ledger_totals_from_landing(demo_run.landing)
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as connection:
        rows = connection.execute(
            "select month, s251_line, coalesce(provision_type, ''), actual_gbp "
            "from marts.spend_by_provision_type"
        ).fetchall()
    actual = {
        (m, line, ptype): Decimal(str(v)).quantize(Decimal("0.01")) for m, line, ptype, v in rows if v != 0
    }
    assert actual == {k: v for k, v in expected.items() if v != 0}
    assert sum(actual.values()) == sum(expected.values())


def test_ytd_is_the_running_total_within_each_financial_year(demo_run: DemoRun) -> None:
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as connection:
        mismatches = connection.execute(
            """select count(*) from (
                 select ytd_actual_gbp, sum(actual_gbp) over (
                     partition by financial_year, s251_line, provision_type order by month) as running
                 from marts.spend_by_provision_type) where running <> ytd_actual_gbp"""
        ).fetchone()[0]
    assert mismatches == 0


def _child_identifiers(landing: Path) -> set[str]:
    identifiers: set[str] = set()
    for path in landing.glob("placements_*.csv"):
        for row in _read_csv_rows(path):
            identifiers.update({row["upn"].strip(), row["date_of_birth"].strip()})
            identifiers.update(
                name for name in (row.get("forename", ""), row.get("surname", "")) if len(name) > 3
            )
    identifiers.discard("")
    return identifiers


def test_no_child_name_upn_or_date_of_birth_reaches_the_warehouse_logs_or_output(demo_run: DemoRun) -> None:
    identifiers = _child_identifiers(demo_run.landing)
    upns = {value for value in identifiers if re.fullmatch(r"[A-Z]\d{11}[0-9A-Z]", value)}
    assert len(upns) > 100  # the demo really has children in it
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as connection:
        columns = connection.execute(
            "select table_schema, table_name, column_name, data_type from information_schema.columns"
        ).fetchall()
        forbidden = {
            c for _, _, c, _ in columns if re.search(r"(^|_)(upn|forename|surname|date_of_birth|dob)$", c)
        }
        assert forbidden == set()
        text_values: set[str] = set()
        for schema, table, column, data_type in columns:
            if data_type in ("VARCHAR", "DATE"):
                text_values.update(
                    str(value)
                    for (value,) in connection.execute(
                        f'select distinct cast("{column}" as varchar) from "{schema}"."{table}"'
                    ).fetchall()
                )
    assert not (upns & text_values)
    # Dates of birth cannot be told from other dates by value; no column may hold them (checked above).
    logs = "\n".join(p.read_text(errors="replace") for p in (demo_run.home / "logs").glob("*"))
    event_log = "\n".join(
        str(row)
        for db in (demo_run.home / "dagster").rglob("*.db")
        for row in sqlite3.connect(db).execute("select * from sqlite_master").fetchall()
    )
    for text in (demo_run.output, logs, event_log):
        assert not any(upn in text for upn in upns)


def test_the_landing_folder_is_unchanged_by_a_run(demo_run: DemoRun) -> None:
    assert demo_run.returncode == 0, demo_run.output[-2000:]
    assert folder_digests(demo_run.landing) == demo_run.landing_before_run


def test_the_demo_county_overspent_about_6_9m_in_2021_22_leaving_a_17m_deficit(demo_run: DemoRun) -> None:
    """The seed documents: a £6.9m overspend in 2021-22 and a £17m cumulative DSG deficit at 31 March 2022."""
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as connection:
        in_year, closing = connection.execute(
            "select hn_in_year_gbp, closing_balance_gbp from marts.dsg_deficit_position "
            "where financial_year = '2021-22'"
        ).fetchone()
    assert float(in_year) == pytest.approx(-6_900_000, abs=250_000)
    assert float(closing) == pytest.approx(-17_000_000, abs=250_000)


def test_every_run_leaves_a_schools_forum_pack_for_its_latest_month(demo_run: DemoRun) -> None:
    folder = demo_run.home / "reports" / "2022-09"
    names = {path.suffix for path in folder.iterdir()}
    assert {".html", ".pdf", ".xlsx"} <= names
