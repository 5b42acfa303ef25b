"""The deliberate mess: which file is written in which (still contract-valid) way.

Real landing folders are untidy in known ways and the platform must read all of them (contract,
"Conventions for every landing file"). The demo plants each one in a named file so a test or a demo
can point at it:

- one ledger month exported from the finance system in Windows-1252 with `£` signs and CRLF endings;
- one ledger month with thousands separators and accounting negatives `(1,234.56)`; the same in
  `dsg_funding.csv` (separators) and `deficit_plan.csv` (accounting negatives);
- UK dates `DD/MM/YYYY` in one ledger month, one placements snapshot and `interventions.csv` (which
  exists once the first programme has started, autumn 2022);
- `hn_budget.xlsx` instead of a CSV, with a title row above the header;
- upper-case, padded header names in `schools.csv`;
- an extra column nobody asked for in one placements snapshot;
- a UTF-8 byte-order mark on `dsg_balance.csv`;
- a corrected re-delivery of one ledger month in `corrections/` (outside the folder's top level).

Preferred months are spread over the years; when the extract is short (tests) each mess falls back to
another month so every kind of mess is still present.
"""

from __future__ import annotations

from dataclasses import dataclass

from orchestration.demo.formats import DateStyle, MoneyStyle
from orchestration.demo.timeline import month_index, month_label


@dataclass(frozen=True)
class FileStyle:
    """How one CSV file is written."""

    encoding: str = "utf-8"
    money: MoneyStyle = "plain"
    dates: DateStyle = "iso"
    line_ending: str = "\n"
    bom: bool = False


PLAIN = FileStyle()
FINANCE_EXPORT = FileStyle(encoding="cp1252", money="pound", line_ending="\r\n")
ACCOUNTING = FileStyle(money="accounting")
THOUSANDS = FileStyle(money="thousands")
UK_DATES = FileStyle(dates="uk")
WITH_BOM = FileStyle(bom=True)

SCHOOLS_HEADER = (
    " SCHOOL_URN ",
    "School_Name",
    " PHASE",
    "Governance ",
    "LOCALITY",
    " Opened_On",
    "CLOSED_ON ",
    "Predecessor_URN",
)
EXTRA_PLACEMENT_COLUMN = "caseworker_team"
BUDGET_TITLE = "Wyvernshire County Council – High Needs budget by s251 line (net of academy/FE recoupment)"


def _pick(preferred: str, candidates: list[int], taken: set[int]) -> int | None:
    """The preferred month if it is there and free, else the latest free month that is not the newest."""
    if not candidates:
        return None
    want = month_index(preferred)
    if want in candidates and want not in taken:
        return want
    free = [m for m in candidates[:-1] if m not in taken] or [m for m in candidates if m not in taken]
    return free[len(free) // 2] if free else candidates[0]


@dataclass(frozen=True)
class MessPlan:
    """Months chosen for each kind of mess (month indexes)."""

    ledger_cp1252: int
    ledger_accounting: int | None
    ledger_uk_dates: int | None
    ledger_correction: int
    placements_uk_dates: int | None
    placements_extra_column: int | None

    @classmethod
    def choose(cls, ledger_months: list[int], snapshot_months: list[int]) -> MessPlan:
        taken: set[int] = set()
        picks = {}
        for key, preferred in (
            ("ledger_cp1252", "2021-11"),
            ("ledger_accounting", "2022-05"),
            ("ledger_uk_dates", "2023-01"),
            ("ledger_correction", "2024-02"),
        ):
            month = _pick(preferred, ledger_months, taken)
            if month in taken and key not in ("ledger_cp1252", "ledger_correction"):
                month = None  # too few months for this kind of mess
            if month is not None:
                taken.add(month)
            picks[key] = month
        snap_taken: set[int] = set()
        for key, preferred in (("placements_uk_dates", "2022-12"), ("placements_extra_column", "2023-06")):
            month = _pick(preferred, snapshot_months, snap_taken)
            if month is not None and month in snap_taken:
                month = None
            if month is not None:
                snap_taken.add(month)
            picks[key] = month
        return cls(**picks)

    def ledger_style(self, month: int) -> FileStyle:
        if month == self.ledger_cp1252:
            return FINANCE_EXPORT
        if month == self.ledger_accounting:
            return ACCOUNTING
        if month == self.ledger_uk_dates:
            return UK_DATES
        return PLAIN

    def describe(self) -> dict[str, str]:
        """Kind of mess → file name (relative to the landing folder); filter on the files written."""
        out = {
            "windows_1252_pound_signs_crlf": f"hn_ledger_{month_label(self.ledger_cp1252)}.csv",
            "thousands_separators": "dsg_funding.csv",
            "accounting_negatives": "deficit_plan.csv",
            "uk_dates": "interventions.csv",
            "xlsx_title_row": "hn_budget.xlsx",
            "upper_case_padded_headers": "schools.csv",
            "utf8_bom": "dsg_balance.csv",
            "corrected_redelivery": f"corrections/hn_ledger_{month_label(self.ledger_correction)}.csv",
        }
        if self.ledger_accounting is not None:
            out["ledger_accounting_negatives_thousands"] = (
                f"hn_ledger_{month_label(self.ledger_accounting)}.csv"
            )
        if self.ledger_uk_dates is not None:
            out["ledger_uk_dates"] = f"hn_ledger_{month_label(self.ledger_uk_dates)}.csv"
        if self.placements_uk_dates is not None:
            out["placements_uk_dates"] = f"placements_{month_label(self.placements_uk_dates)}.csv"
        if self.placements_extra_column is not None:
            out["extra_unknown_column"] = f"placements_{month_label(self.placements_extra_column)}.csv"
        return out
