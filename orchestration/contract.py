"""The landing-file contract (described in `docs/contract.md`) as data.

Everything that reads, checks or generates landing files works from these specs, so the contract is
written down once: the ingest assets, the quality suites, the demo generator and the tests.
Reference codes come from the dbt seeds, which are the single list of valid codes for SQL and Python.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Literal

SEEDS_DIR = Path(__file__).resolve().parent.parent / "dbt_project" / "seeds"

ColumnType = Literal[
    "text",
    "code",
    "month",
    "date",
    "money",
    "int",
    "number",
    "upn",
    "urn",
    "financial_year",
    "academic_year",
    "period",
]


@cache
def seed_codes(seed: str, column: str) -> frozenset[str]:
    """The codes listed in one column of a dbt seed (e.g. `provision_types.provision_type`)."""
    with (SEEDS_DIR / f"{seed}.csv").open(encoding="utf-8", newline="") as handle:
        return frozenset(row[column] for row in csv.DictReader(handle))


@dataclass(frozen=True)
class Column:
    """One landing column: how to parse it and what it must hold."""

    name: str
    type: ColumnType
    required: bool = True
    codes: tuple[str, ...] | None = None
    """Accepted values for `code` columns (blank allowed when not required)."""
    personal: bool = False
    """Names and dates of birth: read at ingest, never stored."""
    optional_column: bool = False
    """The column itself may be absent from the file (e.g. `placements.end_reason`)."""


@dataclass(frozen=True)
class Dataset:
    """One landing dataset: its file naming, columns and how a delivery replaces earlier ones."""

    name: str
    periodic: bool
    columns: tuple[Column, ...]
    unique_key: tuple[str, ...] = ()
    description: str = ""
    numeric_columns_sum: tuple[str, ...] = field(default=())
    reference_name_allowed: bool = False
    """A periodic dataset that may also be delivered whole as `<dataset>.<ext>` (`outcome_indicators`)."""
    keeps_versions: bool = False
    """A reference file whose deliveries are all kept, each a version (`deficit_plan`), not replaced."""

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    @property
    def stored_column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if not c.personal)

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)


def _codes(seed: str, column: str) -> tuple[str, ...]:
    return tuple(sorted(seed_codes(seed, column)))


SEN_NEEDS_ON_EHCP = tuple(sorted(c for c in seed_codes("sen_need_codes", "primary_need") if c != "NSA"))

DATASETS: dict[str, Dataset] = {
    d.name: d
    for d in (
        Dataset(
            name="hn_ledger",
            periodic=True,
            description="High Needs actuals from the finance system (monthly)",
            unique_key=("transaction_id",),
            columns=(
                Column("transaction_id", "text"),
                Column("period", "month"),
                Column("posting_date", "date"),
                Column("cost_centre", "text"),
                Column("s251_line", "code", codes=_codes("s251_lines", "s251_line")),
                Column(
                    "provision_type",
                    "code",
                    required=False,
                    codes=_codes("provision_types", "provision_type"),
                ),
                Column("provider_urn", "urn", required=False),
                Column("provider_name", "text", required=False),
                Column("placement_id", "text", required=False),
                Column("amount_gbp", "money"),
                Column("description", "text", required=False),
            ),
        ),
        Dataset(
            name="hn_budget",
            periodic=False,
            description="High Needs budget by s251 line (all years)",
            unique_key=("financial_year", "s251_line", "budget_type", "approved_on"),
            columns=(
                Column("financial_year", "financial_year"),
                Column("s251_line", "code", codes=_codes("s251_lines", "s251_line")),
                Column("budget_type", "code", codes=("original", "revised")),
                Column("amount_gbp", "money"),
                Column("approved_on", "date"),
            ),
        ),
        Dataset(
            name="dsg_funding",
            periodic=False,
            description="DSG income by block",
            unique_key=("financial_year", "block"),
            columns=(
                Column("financial_year", "financial_year"),
                Column(
                    "block",
                    "code",
                    codes=("central_school_services", "early_years", "high_needs", "schools"),
                ),
                Column("allocation_gbp", "money"),
                Column("deductions_gbp", "money"),
                Column("transfer_in_gbp", "money"),
            ),
        ),
        Dataset(
            name="dsg_balance",
            periodic=False,
            description="DSG reserve position (opening balances)",
            unique_key=("financial_year",),
            columns=(
                Column("financial_year", "financial_year"),
                Column("opening_balance_gbp", "money"),
            ),
        ),
        Dataset(
            name="deficit_plan",
            periodic=False,
            description="The DSG deficit management plan in force",
            unique_key=("financial_year",),
            columns=(
                Column("financial_year", "financial_year"),
                Column("planned_hn_in_year_gbp", "money"),
                Column("planned_closing_balance_gbp", "money"),
                Column("plan_version", "text"),
            ),
            keeps_versions=True,
        ),
        Dataset(
            name="placements",
            periodic=True,
            description="EHCP placements from the case-management system (monthly snapshot)",
            unique_key=("placement_id",),
            columns=(
                Column("placement_id", "text"),
                Column("upn", "upn"),
                Column("forename", "text", required=False, personal=True, optional_column=True),
                Column("surname", "text", required=False, personal=True, optional_column=True),
                Column("date_of_birth", "date", personal=True),
                Column("sex", "code", required=False, codes=("F", "M")),
                Column("ethnicity", "code", required=False, codes=_codes("ethnicity_codes", "ethnicity")),
                Column("primary_need", "code", codes=SEN_NEEDS_ON_EHCP),
                Column("ehcp_start_date", "date", required=False),
                Column("provision_type", "code", codes=_codes("provision_types", "provision_type")),
                Column("provider_urn", "urn", required=False),
                Column("provider_name", "text", required=False),
                Column("placement_start", "date"),
                Column("placement_end", "date", required=False),
                Column("annual_cost_gbp", "money"),
                Column(
                    "end_reason",
                    "code",
                    required=False,
                    optional_column=True,
                    codes=_codes("end_reasons", "end_reason"),
                ),
                Column("locality", "text", required=False),
            ),
        ),
        Dataset(
            name="school_outcomes",
            periodic=True,
            description="Exclusions, suspensions and attendance per school, term and characteristic",
            unique_key=("school_urn", "academic_year", "term", "characteristic_group", "characteristic"),
            columns=(
                Column("school_urn", "urn"),
                Column("academic_year", "academic_year"),
                Column("term", "code", codes=("autumn", "spring", "summer")),
                Column("characteristic_group", "code", codes=("ethnicity_major", "sen_status", "total")),
                Column(
                    "characteristic",
                    "code",
                    codes=(
                        "asian",
                        "black",
                        "chinese",
                        "ehcp",
                        "mixed",
                        "no_sen",
                        "other",
                        "sen_support",
                        "total",
                        "unclassified",
                        "white",
                    ),
                ),
                Column("headcount", "int"),
                Column("suspensions", "int"),
                Column("permanent_exclusions", "int"),
                Column("sessions_possible", "int"),
                Column("sessions_missed", "int"),
                Column("persistent_absentees", "int"),
            ),
        ),
        Dataset(
            name="schools",
            periodic=False,
            description="Establishments",
            unique_key=("school_urn",),
            columns=(
                Column("school_urn", "urn"),
                Column("school_name", "text"),
                Column("phase", "code", codes=("all_through", "ap", "primary", "secondary", "special")),
                Column(
                    "governance",
                    "code",
                    codes=("academy", "independent", "maintained", "non_maintained"),
                ),
                Column("locality", "text", required=False),
                Column("opened_on", "date", required=False),
                Column("closed_on", "date", required=False),
                # v2: the URN a converted academy replaced, so one school keeps one series
                Column("predecessor_urn", "urn", required=False, optional_column=True),
            ),
        ),
        Dataset(
            name="interventions",
            periodic=False,
            description="Which school received which inclusion programme, and when",
            unique_key=("school_urn", "programme", "start_date"),
            columns=(
                Column("school_urn", "urn"),
                Column("programme", "text"),
                Column("start_date", "date"),
                Column("end_date", "date", required=False),
                Column("cost_gbp", "money", required=False),
            ),
        ),
        Dataset(
            name="forecast_adjustments",
            periodic=False,
            description="Manual forecast adjustments by s251 line, with who entered them and why",
            unique_key=("financial_year", "as_from_month", "s251_line", "reason"),
            columns=(
                Column("financial_year", "financial_year"),
                Column("as_from_month", "month"),
                Column("s251_line", "code", codes=_codes("s251_lines", "s251_line")),
                Column("amount_gbp", "money"),
                Column("reason", "text"),
                Column("entered_by", "text"),
                Column("entered_on", "date", required=False),
            ),
        ),
        Dataset(
            name="ledger_control_totals",
            periodic=False,
            description="Control totals of ledger months from the finance system (optional)",
            unique_key=("period", "s251_line"),
            columns=(
                Column("period", "month"),
                Column("s251_line", "code", required=False, codes=_codes("s251_lines", "s251_line")),
                Column("amount_gbp", "money"),
                Column("source", "text", required=False),
            ),
        ),
        Dataset(
            name="dsg_block_outturn",
            periodic=False,
            description="Spend of each DSG block by financial year (outturn or forecast)",
            unique_key=("financial_year", "block", "status", "as_at_month"),
            columns=(
                Column("financial_year", "financial_year"),
                Column(
                    "block",
                    "code",
                    codes=("central_school_services", "early_years", "high_needs", "schools"),
                ),
                Column("spend_gbp", "money"),
                Column("status", "code", codes=("forecast", "outturn")),
                Column("as_at_month", "month", required=False),
            ),
        ),
        Dataset(
            name="mitigations",
            periodic=False,
            description="Deficit mitigation workstreams: owner, target and delivered saving by year",
            unique_key=("workstream", "financial_year"),
            columns=(
                Column("workstream", "text"),
                Column("owner", "text"),
                Column("financial_year", "financial_year"),
                Column("target_saving_gbp", "money"),
                Column("delivered_saving_gbp", "money", required=False),
                Column("status", "text", required=False),
            ),
        ),
        Dataset(
            name="outcome_indicators",
            periodic=True,
            reference_name_allowed=True,
            description="Values of the outcomes framework's supplied indicators",
            unique_key=("indicator_id", "period"),
            columns=(
                Column("indicator_id", "text"),
                Column("period", "period"),
                Column("value", "number"),
                Column("numerator", "number", required=False),
                Column("denominator", "number", required=False),
                Column("note", "text", required=False),
            ),
        ),
    )
}

CHARACTERISTICS_BY_GROUP: dict[str, tuple[str, ...]] = {
    "total": ("total",),
    "sen_status": ("ehcp", "sen_support", "no_sen"),
    "ethnicity_major": ("white", "mixed", "asian", "black", "chinese", "other", "unclassified"),
}

_FILE_NAME = re.compile(r"^(?P<dataset>[a-z0-9_]+?)(?:_(?P<month>\d{4}-\d{2}))?\.(?P<ext>csv|xlsx)$", re.I)


@dataclass(frozen=True)
class LandingFile:
    """A landing file recognised by its name: which dataset, which month (periodic only)."""

    path: Path
    dataset: Dataset
    extract_month: str | None

    @property
    def name(self) -> str:
        return self.path.name


class UnrecognisedFileName(ValueError):
    """A landing file whose name does not follow `<dataset>[_YYYY-MM].<csv|xlsx>`."""


def identify_landing_file(path: Path) -> LandingFile:
    """Match a file name to its dataset, or raise `UnrecognisedFileName` saying what was expected."""
    match = _FILE_NAME.match(path.name)
    if not match or match["dataset"].lower() not in DATASETS:
        raise UnrecognisedFileName(
            f"{path.name}: not a landing file name; expected <dataset>_<YYYY-MM>.csv|xlsx for "
            f"{', '.join(n for n, d in DATASETS.items() if d.periodic)} or <dataset>.csv|xlsx for "
            f"{', '.join(n for n, d in DATASETS.items() if not d.periodic)}"
        )
    dataset = DATASETS[match["dataset"].lower()]
    month = match["month"]
    if dataset.periodic and not month and not dataset.reference_name_allowed:
        raise UnrecognisedFileName(f"{path.name}: {dataset.name} is monthly; name it {dataset.name}_YYYY-MM")
    if not dataset.periodic and month:
        raise UnrecognisedFileName(
            f"{path.name}: {dataset.name} is a reference file; name it {dataset.name}.csv"
        )
    if month and not (1 <= int(month[5:]) <= 12):
        raise UnrecognisedFileName(f"{path.name}: month {month} is not a calendar month")
    return LandingFile(path=path, dataset=dataset, extract_month=month)


def extract_months(landing: Path, names: list[str]) -> list[str]:
    """The extract months (`YYYY-MM`) of the named landing files, sorted, each once."""
    return sorted({m for m in (identify_landing_file(landing / name).extract_month for name in names) if m})


def landing_files(landing_dir: Path, dataset: str | None = None) -> list[LandingFile]:
    """The recognised landing files in a folder, oldest month first; other files are ignored."""
    found: list[LandingFile] = []
    for path in sorted(
        p for p in landing_dir.iterdir() if p.is_file() and not p.name.startswith((".", "~$"))
    ):
        try:
            landing_file = identify_landing_file(path)
        except UnrecognisedFileName:
            continue
        if dataset is None or landing_file.dataset.name == dataset:
            found.append(landing_file)
    return sorted(found, key=lambda f: (f.dataset.name, f.extract_month or "", f.name))
