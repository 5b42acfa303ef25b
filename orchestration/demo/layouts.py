"""The demo county in an LA's own file layout: local headers, extra columns, and the map that reads them.

No finance or case-management system exports the contract's header names, so the `local` layout writes the
same county as a real LA would receive it: finance-system headers ("Trans Ref", "Amount (£)", "Posting
Date"), case-system headers ("Child UPN", "Placement Start Date"), and placements extracts carrying columns
the platform must never keep — a child's name, a home postcode, a parent's e-mail and a second (former) UPN.
`columns_map` is the `columns:` section of `highneeds.yaml` that maps those headers back to the contract;
the files and the configuration are both made from `LOCAL_HEADERS`, so they cannot drift apart.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.csv as pa_csv
from openpyxl import load_workbook

from orchestration.contract import identify_landing_file
from orchestration.demo.formats import csv_bytes, join, text
from orchestration.parsing.headers import normalise_header
from orchestration.parsing.upn import upn_check_letter

Layout = Literal["contract", "local"]
LAYOUTS: tuple[Layout, ...] = ("contract", "local")

LOCAL_HEADERS: dict[str, dict[str, str]] = {
    "hn_ledger": {
        "transaction_id": "Trans Ref",
        "period": "Accounting Period",
        "posting_date": "Posting Date",
        "cost_centre": "Cost Centre",
        "s251_line": "S251 Line",
        "provision_type": "Provision Type",
        "provider_urn": "Supplier URN",
        "provider_name": "Supplier Name",
        "placement_id": "Placement Ref",
        "amount_gbp": "Amount (£)",
        "description": "Narrative",
    },
    "placements": {
        "placement_id": "Placement ID",
        "upn": "Child UPN",
        "forename": "Legal Forename",
        "surname": "Legal Surname",
        "date_of_birth": "Date of Birth",
        "sex": "Gender",
        "ethnicity": "Ethnicity Code",
        "primary_need": "Primary SEN Need",
        "ehcp_start_date": "EHCP Start Date",
        "provision_type": "Provision Type",
        "provider_urn": "Setting URN",
        "provider_name": "Setting Name",
        "placement_start": "Placement Start Date",
        "placement_end": "Placement End Date",
        "annual_cost_gbp": "Annual Cost (£)",
        "end_reason": "End Reason",
        "locality": "Area Team",
    },
    "school_outcomes": {
        "school_urn": "URN",
        "academic_year": "Academic Year",
        "term": "Term",
        "characteristic_group": "Breakdown",
        "characteristic": "Group",
        "headcount": "Pupils",
        "suspensions": "Suspensions",
        "permanent_exclusions": "Permanent Exclusions",
        "sessions_possible": "Possible Sessions",
        "sessions_missed": "Sessions Missed",
        "persistent_absentees": "Persistent Absentees",
    },
    "schools": {
        "school_urn": "URN",
        "school_name": "Establishment Name",
        "phase": "Phase",
        "governance": "Type of Establishment",
        "locality": "Area Team",
        "opened_on": "Open Date",
        "closed_on": "Close Date",
    },
    "interventions": {
        "school_urn": "School URN",
        "programme": "Programme",
        "start_date": "Start Date",
        "end_date": "End Date",
        "cost_gbp": "Cost (£)",
    },
    "hn_budget": {
        "financial_year": "Financial Year",
        "s251_line": "S251 Line",
        "budget_type": "Budget Type",
        "amount_gbp": "Budget (£)",
        "approved_on": "Approved On",
    },
    "dsg_funding": {
        "financial_year": "Financial Year",
        "block": "DSG Block",
        "allocation_gbp": "Allocation (£)",
        "deductions_gbp": "Deductions (£)",
        "transfer_in_gbp": "Transfer In (£)",
    },
    "dsg_balance": {"financial_year": "Financial Year", "opening_balance_gbp": "Opening Balance (£)"},
    "deficit_plan": {
        "financial_year": "Financial Year",
        "planned_hn_in_year_gbp": "Planned HN In-Year (£)",
        "planned_closing_balance_gbp": "Planned Closing Balance (£)",
        "plan_version": "Plan Version",
    },
}
"""Contract column → the header a local extract gives it, per dataset."""

PERSONAL_EXTRA_COLUMNS = ("Child Name", "Home Postcode", "Parent Email", "Former UPN")
"""Columns a case-management extract carries that the platform must drop unread (placements files)."""


def columns_map(layout: Layout) -> dict[str, dict[str, str]]:
    """The `columns:` section of `highneeds.yaml` for a layout: header → contract column, per dataset.

    Only headers that do not already match their contract name (case and surrounding spaces aside).
    """
    if layout == "contract":
        return {}
    return {
        dataset: {header: column for column, header in renames.items() if normalise_header(header) != column}
        for dataset, renames in LOCAL_HEADERS.items()
    }


# --------------------------------------------------------------------------------------- rewriting files


def apply_layout(landing: Path, layout: Layout) -> list[Path]:
    """Rewrite the demo's landing files (and `corrections/`) in `layout`; the files rewritten."""
    if layout == "contract":
        return []
    rewritten = []
    for path in sorted([*landing.iterdir(), *(landing / "corrections").glob("*")]):
        try:
            dataset = identify_landing_file(path).dataset.name
        except ValueError:
            continue
        renames = LOCAL_HEADERS.get(dataset)
        if renames is None:
            continue
        if path.suffix.lower() == ".xlsx":
            _rename_xlsx_header(path, renames)
        else:
            _rewrite_csv(path, renames, with_personal_columns=dataset == "placements")
        rewritten.append(path)
    return rewritten


def _encoding(data: bytes) -> str:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "cp1252"  # the finance export the demo writes in Windows-1252
    return "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"


def _local(header: str, renames: Mapping[str, str]) -> str:
    return renames.get(normalise_header(header), header)


def _rewrite_csv(path: Path, renames: Mapping[str, str], with_personal_columns: bool) -> None:
    data = path.read_bytes()
    encoding = _encoding(data)
    content = data.decode(encoding)
    if not with_personal_columns:
        first, newline, rest = content.partition("\n")
        ending = "\r" if first.endswith("\r") else ""
        header = ",".join(_local(name, renames) for name in first.removesuffix("\r").split(","))
        path.write_bytes((header + ending + newline + rest).encode(encoding))
        return
    table = pa_csv.read_csv(
        pa.py_buffer(content.encode("utf-8")),
        convert_options=pa_csv.ConvertOptions(
            column_types=dict.fromkeys(content.partition("\n")[0].split(","), pa.large_string()),
            strings_can_be_null=False,
        ),
    )
    columns = [table.column(i).combine_chunks() for i in range(table.num_columns)]
    header = [_local(name, renames) for name in table.column_names]
    forename, surname, upn = (table.column(name).to_numpy() for name in ("forename", "surname", "upn"))
    extras = [
        join(text(forename), text(surname), sep=" "),
        text(_per_upn(upn, _postcode)),
        text(_per_row(forename, surname, lambda first, last: f"{first}.{last}@example.org".lower())),
        text(_per_upn(upn, _former_upn)),
    ]
    path.write_bytes(csv_bytes([*header, *PERSONAL_EXTRA_COLUMNS], [*columns, *extras]))


def _per_row(forename: np.ndarray, surname: np.ndarray, make) -> np.ndarray:
    return np.array([make(first, last) for first, last in zip(forename, surname, strict=True)], dtype=object)


def _per_upn(upns: np.ndarray, make) -> np.ndarray:
    distinct, inverse = np.unique(upns.astype(str), return_inverse=True)
    return np.array([make(upn) for upn in distinct], dtype=object)[inverse]


def _postcode(upn: str) -> str:
    """A postcode-shaped value, the same for a child in every snapshot (fictional: `GL` + digits)."""
    digest = hashlib.sha256(f"postcode {upn}".encode()).digest()
    letters = "ABDEFGHJLNPQRSTUWXYZ"
    return f"GL{digest[0] % 20 + 1} {digest[1] % 10}{letters[digest[2] % 20]}{letters[digest[3] % 20]}"


def _former_upn(upn: str) -> str:
    """A second, valid-looking UPN for the child (another school's number, correct check letter)."""
    digest = hashlib.sha256(f"former {upn}".encode()).hexdigest()
    establishment = str(int(digest[:8], 16) % 10_000).zfill(4)
    serial = str(int(digest[8:12], 16) % 1000).zfill(3)
    body = upn[1:4] + establishment + upn[8:10] + serial
    return upn_check_letter(body) + body


def _rename_xlsx_header(path: Path, renames: Mapping[str, str]) -> None:
    workbook = load_workbook(path)
    sheet = workbook.worksheets[0]
    for row in sheet.iter_rows(max_row=10):
        names = {normalise_header(str(cell.value)) for cell in row if cell.value is not None}
        if set(renames) <= names:
            for cell in row:
                if cell.value is not None:
                    cell.value = _local(str(cell.value), renames)
            break
    workbook.save(path)
