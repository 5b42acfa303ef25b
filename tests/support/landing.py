"""Build small landing folders in tests, file by file, exactly as the contract describes them."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path

from orchestration.contract import DATASETS
from orchestration.parsing.upn import upn_check_letter


def make_upn(la: int, establishment: int, year: int, serial: int) -> str:
    """A valid permanent UPN from its parts (check letter computed by the DfE algorithm)."""
    body = f"{la:03d}{establishment:04d}{year:02d}{serial:03d}"
    return upn_check_letter(body) + body


def write_landing_csv(
    folder: Path,
    dataset: str,
    rows: Iterable[Mapping[str, object]],
    month: str | None = None,
    encoding: str = "utf-8",
    columns: list[str] | None = None,
) -> Path:
    """Write `<dataset>[_<month>].csv` with the contract's columns (or `columns`) as the header."""
    folder.mkdir(parents=True, exist_ok=True)
    name = f"{dataset}_{month}.csv" if month else f"{dataset}.csv"
    header = columns or list(DATASETS[dataset].column_names)
    path = folder / name
    with path.open("w", encoding=encoding, newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, extrasaction="ignore")
        writer.writeheader()
        for row in rows:
            writer.writerow({name: ("" if row.get(name) is None else row.get(name)) for name in header})
    return path


def placement(
    placement_id: str,
    upn: str,
    provision_type: str,
    start: str,
    end: str | None,
    annual_cost: str,
    provider_urn: str = "",
    **overrides: object,
) -> dict[str, object]:
    """One placements row with plausible defaults for the columns a test does not care about."""
    row: dict[str, object] = {
        "placement_id": placement_id,
        "upn": upn,
        "forename": "Alex",
        "surname": "Example",
        "date_of_birth": "2012-05-17",
        "sex": "F",
        "ethnicity": "WBRI",
        "primary_need": "ASD",
        "ehcp_start_date": "2019-09-01",
        "provision_type": provision_type,
        "provider_urn": provider_urn,
        "provider_name": "Test Provider",
        "placement_start": start,
        "placement_end": end or "",
        "annual_cost_gbp": annual_cost,
        "end_reason": "",
        "locality": "Northvale",
    }
    row.update(overrides)
    return row


def ledger_line(
    transaction_id: str,
    period: str,
    s251_line: str,
    amount: str,
    provision_type: str = "",
    placement_id: str = "",
    **overrides: object,
) -> dict[str, object]:
    """One hn_ledger row with plausible defaults."""
    row: dict[str, object] = {
        "transaction_id": transaction_id,
        "period": period,
        "posting_date": f"{period}-15",
        "cost_centre": "HN001",
        "s251_line": s251_line,
        "provision_type": provision_type,
        "provider_urn": "",
        "provider_name": "",
        "placement_id": placement_id,
        "amount_gbp": amount,
        "description": "test line",
    }
    row.update(overrides)
    return row


def write_minimal_reference_files(folder: Path) -> None:
    """The reference files every run needs, small and self-consistent."""
    write_landing_csv(
        folder,
        "schools",
        [
            {
                "school_urn": "100001",
                "school_name": "Northvale Primary",
                "phase": "primary",
                "governance": "maintained",
                "locality": "Northvale",
                "opened_on": "1990-09-01",
            },
            {
                "school_urn": "100002",
                "school_name": "Northvale Academy",
                "phase": "secondary",
                "governance": "academy",
                "locality": "Northvale",
                "opened_on": "2012-09-01",
            },
            {
                "school_urn": "100003",
                "school_name": "Oak Independent Special",
                "phase": "special",
                "governance": "independent",
                "locality": "Southmere",
            },
        ],
    )
    write_landing_csv(
        folder,
        "hn_budget",
        [
            {
                "financial_year": "2023-24",
                "s251_line": "1.2.1",
                "budget_type": "original",
                "amount_gbp": "120000.00",
                "approved_on": "2023-03-01",
            },
            {
                "financial_year": "2023-24",
                "s251_line": "1.2.3",
                "budget_type": "original",
                "amount_gbp": "60000.00",
                "approved_on": "2023-03-01",
            },
        ],
    )
    write_landing_csv(
        folder,
        "dsg_funding",
        [
            {
                "financial_year": "2023-24",
                "block": block,
                "allocation_gbp": alloc,
                "deductions_gbp": ded,
                "transfer_in_gbp": tr,
            }
            for block, alloc, ded, tr in [
                ("schools", "1000000.00", "0", "-10000.00"),
                ("central_school_services", "50000.00", "0", "0"),
                ("early_years", "200000.00", "0", "0"),
                ("high_needs", "190000.00", "20000.00", "10000.00"),
            ]
        ],
    )
    write_landing_csv(
        folder, "dsg_balance", [{"financial_year": "2023-24", "opening_balance_gbp": "-50000.00"}]
    )
    write_landing_csv(
        folder,
        "deficit_plan",
        [
            {
                "financial_year": "2023-24",
                "planned_hn_in_year_gbp": "-5000.00",
                "planned_closing_balance_gbp": "-55000.00",
                "plan_version": "v1",
            },
        ],
    )
    write_landing_csv(
        folder,
        "interventions",
        [
            {
                "school_urn": "100001",
                "programme": "restorative_practice",
                "start_date": "2023-09-01",
                "end_date": "",
                "cost_gbp": "5000.00",
            },
        ],
    )
