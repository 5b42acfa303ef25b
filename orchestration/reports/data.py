"""Reading what the Schools Forum pack needs from the warehouse, read-only, as at one month.

The marts are built by different parts of the platform and some may not exist yet: a missing mart is
recorded in `PackData.missing` and its section of the pack says "not available yet" instead of failing the
whole pack. Only marts (aggregates), the file-load log and quarantine reports are read: never a raw table of
placements or ledger lines, so no child-level row can reach the pack.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field, fields
from datetime import date, datetime
from pathlib import Path

import duckdb
import pandas as pd

from orchestration.config import Disclosure
from orchestration.settings import Settings
from orchestration.warehouse import connect

MARTS_SCHEMA = "marts"
MART_NAMES = (
    "spend_by_provision_type",
    "cost_per_placement",
    "budget_vs_outturn",
    "dsg_deficit_position",
    "placement_flows",
    "exclusion_rates",
    "impact_estimates",
    "event_study",
    "hn_projection",
    "benchmarks",
    "dsg_blocks",
    "ehcp_population",
    "ehcp_population_trend",
    "mitigation_tracker",
    "forecast_accuracy",
    "forecast_accuracy_summary",
    "forecast_adjustments_applied",
    "ledger_reconciliation",
    "statistical_neighbours",
    "impact_balance",
    "outcomes_tracker",
    "ap_outcomes",
)
FILE_LOADS_TABLE = "raw._file_loads"
MONTH_PATTERN = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def check_month(month: str) -> str:
    """`month` if it is `YYYY-MM`; a clear error otherwise (the CLI shows it as typed)."""
    if not MONTH_PATTERN.match(str(month)):
        raise ValueError(f"month must be YYYY-MM (e.g. 2025-10), not {month!r}")
    return str(month)


def financial_year_of(month: str) -> str:
    """The April–March financial year a `YYYY-MM` month falls in, written `2025-26`."""
    year, month_number = (int(part) for part in check_month(month).split("-"))
    start = year if month_number >= 4 else year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def previous_financial_year(financial_year: str) -> str:
    """`2025-26` → `2024-25`."""
    start = int(financial_year[:4]) - 1
    return f"{start}-{(start + 1) % 100:02d}"


def academic_year_of(month: str) -> str:
    """The September–August academic year a `YYYY-MM` month falls in, written `2025/26`."""
    year, month_number = (int(part) for part in check_month(month).split("-"))
    start = year if month_number >= 9 else year - 1
    return f"{start}/{(start + 1) % 100:02d}"


@dataclass
class PackData:
    """The marts as at one month, plus the data-quality tables; a mart that is absent is in `missing`.

    `la_name`, `rules` (the disclosure thresholds) and `statutory_override_end` (the last day the DSG
    statutory override keeps a deficit off the council's accounts) come from the installation's
    configuration.
    """

    month: str
    financial_year: str
    academic_year: str
    la_name: str = ""
    rules: Disclosure = field(default_factory=Disclosure)
    statutory_override_end: date | None = None
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    missing: dict[str, str] = field(default_factory=dict)
    file_loads: pd.DataFrame | None = None
    landing_files: pd.DataFrame = field(default_factory=pd.DataFrame)
    quarantine: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self, name: str) -> pd.DataFrame | None:
        return self.tables.get(name)


def _table_exists(connection: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, name],
    ).fetchone()
    return bool(found and found[0])


def _as_at_filter(name: str, month: str) -> tuple[str, list[str]]:
    """The where clause that leaves out later months and years, so a pack drawn for a past month shows
    what the marts say about that month. Marts not listed are read whole."""
    financial_year, academic_year = financial_year_of(month), academic_year_of(month)
    filters = {
        "spend_by_provision_type": ("month <= ?", [month]),
        "budget_vs_outturn": ("as_at_month <= ? and financial_year = ?", [month, financial_year]),
        "placement_flows": ("month <= ?", [month]),
        "cost_per_placement": ("financial_year <= ?", [financial_year]),
        "exclusion_rates": ("academic_year <= ?", [academic_year]),
        "dsg_blocks": ("financial_year <= ?", [financial_year]),
        "ehcp_population": ("snapshot_month <= ?", [month]),
        "ehcp_population_trend": ("snapshot_month <= ?", [month]),
        "forecast_accuracy": ("financial_year < ?", [financial_year]),
        "forecast_adjustments_applied": ("as_from_month <= ?", [month]),
        "ledger_reconciliation": ("ledger_month <= ?", [month]),
        "ap_outcomes": ("academic_year <= ?", [academic_year]),
    }
    return filters.get(name, ("true", []))


def _read_mart(connection: duckdb.DuckDBPyConnection, name: str, month: str) -> pd.DataFrame:
    where, parameters = _as_at_filter(name, month)
    return connection.execute(f'select * from {MARTS_SCHEMA}."{name}" where {where}', parameters).df()


def _read_file_loads(connection: duckdb.DuckDBPyConnection, month: str) -> pd.DataFrame | None:
    if not _table_exists(connection, "raw", "_file_loads"):
        return None
    return connection.execute(
        f"""select * from {FILE_LOADS_TABLE}
            where extract_month is null or extract_month = '' or extract_month <= ?""",
        [month],
    ).df()


def read_landing_files(connection: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """What became of every landing file at the latest check of its dataset, one row per file.

    Read through the gate's own query (`landing_file_outcomes`), so the pack and the run summary agree;
    any field the gate adds to an outcome (such as soft warnings) arrives here as a column of its own.
    """
    # imported here: the ingest module reads spreadsheets, and this module is on the definitions' load path
    from orchestration.ingest import LandingFileOutcome, landing_file_outcomes

    columns = [outcome_field.name for outcome_field in fields(LandingFileOutcome)]
    return pd.DataFrame([asdict(outcome) for outcome in landing_file_outcomes(connection)], columns=columns)


def read_quarantine_reports(quarantine_dir: Path) -> pd.DataFrame:
    """One row per quarantined file: its dataset, when, how many problems and which rules they broke.

    Problem messages are not carried over: they quote example values, and the pack is public.
    """
    rows = []
    for report_path in sorted(quarantine_dir.rglob("*.report.json")) if quarantine_dir.exists() else []:
        source_file = report_path.name.removesuffix(".report.json")
        try:
            report = json.loads(report_path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            report = {}
        if not isinstance(report, dict):
            report = {}
        problems = report.get("problems") if isinstance(report.get("problems"), list) else []
        problems = [problem for problem in problems if isinstance(problem, dict)]
        rules = sorted({str(problem.get("rule")) for problem in problems if problem.get("rule")})
        rows_affected = sum(len(problem.get("rows") or []) for problem in problems)
        dataset = report.get("dataset") or re.sub(r"_\d{4}-\d{2}$", "", Path(source_file).stem)
        quarantined_at = report.get("quarantined_at") or datetime.fromtimestamp(
            report_path.stat().st_mtime
        ).isoformat(timespec="seconds")
        rows.append(
            {
                "dataset": str(dataset),
                "source_file": str(report.get("file") or report.get("source_file") or source_file),
                "quarantined_at": str(quarantined_at),
                "problems": len(problems),
                "errors": sum(problem.get("severity", "error") == "error" for problem in problems),
                "rows_affected": rows_affected,
                "rules": ", ".join(rules) if rules else ("unreadable report" if not report else ""),
            }
        )
    columns = ["dataset", "source_file", "quarantined_at", "problems", "errors", "rows_affected", "rules"]
    return pd.DataFrame(rows, columns=columns)


def load_pack_data(settings: Settings, month: str) -> PackData:
    """Every mart the pack draws on, as at `month`, read from the warehouse without taking a write lock."""
    check_month(month)
    if not settings.warehouse.exists():
        raise FileNotFoundError(
            f"no warehouse at {settings.warehouse}: load the landing files first (highneeds run)"
        )
    config = settings.config
    data = PackData(
        month=month,
        financial_year=financial_year_of(month),
        academic_year=academic_year_of(month),
        la_name=config.la_name,
        rules=config.disclosure,
        statutory_override_end=config.statutory_override_end,
    )
    with connect(settings.warehouse, read_only=True) as connection:
        for name in MART_NAMES:
            if not _table_exists(connection, MARTS_SCHEMA, name):
                data.missing[name] = f"the {name} table has not been built yet"
                continue
            try:
                data.tables[name] = _read_mart(connection, name, month)
            except duckdb.Error as problem:  # a mart whose columns differ from the contract's
                data.missing[name] = f"the {name} table could not be read ({problem.__class__.__name__})"
        data.file_loads = _read_file_loads(connection, month)
        data.landing_files = read_landing_files(connection)
    data.quarantine = read_quarantine_reports(settings.quarantine_dir)
    return data


class MonthOutOfRange(ValueError):
    """The pack was asked for a month the warehouse holds no ledger actuals for."""


def ledger_month_range(settings: Settings) -> tuple[str, str] | None:
    """The first and the newest month of ledger actuals in the warehouse; None before any is loaded."""
    if not settings.warehouse.exists():
        return None
    with connect(settings.warehouse, read_only=True) as connection:
        for schema, table, column in (
            (MARTS_SCHEMA, "spend_by_provision_type", "month"),
            ("raw", "hn_ledger", "period"),
        ):
            if _table_exists(connection, schema, table):
                found = connection.execute(f'select min("{column}"), max("{column}") from {schema}."{table}"')
                first, last = found.fetchone() or (None, None)
                if first and last and MONTH_PATTERN.match(str(first)) and MONTH_PATTERN.match(str(last)):
                    return str(first), str(last)
    return None


def latest_ledger_month(settings: Settings) -> str | None:
    """The newest month of ledger actuals in the warehouse: the month every run's pack is drawn for."""
    months = ledger_month_range(settings)
    return months[1] if months else None


def check_month_in_range(settings: Settings, month: str) -> None:
    """Refuse a month outside the ledger's months, naming the months a pack can be drawn for.

    A pack for a month after the newest data would print next year's heading over this year's figures.
    """
    months = ledger_month_range(settings)
    if months is None:
        return
    first, last = months
    if not first <= month <= last:
        side = "after the newest" if month > last else "before the first"
        raise MonthOutOfRange(
            f"{month} is {side} month of ledger actuals in the warehouse: the data runs from {first} to "
            f"{last}, so the pack can be drawn for any month from {first} to {last}"
        )
