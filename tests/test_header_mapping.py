"""An LA's own headers, mapped in highneeds.yaml, are read as contract columns before any check.

Real files, the real gate and a real DuckDB warehouse: the map is applied case-insensitively with spaces
ignored, messages name a mapped column as the file spells it, two headers for one column and a missing
column are refused, and a file without a header row is described by its shape, never by its first line.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from expectations.report import LandingFilesRefused
from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.parsing.errors import LandingFileError
from orchestration.parsing.headers import HeaderMap
from orchestration.parsing.reading import read_landing_table
from orchestration.settings import Settings
from tests.support.landing import ledger_line, make_upn, placement, write_landing_csv
from tests.support.pipeline import query, settings_for

LEDGER_MAP = {"Trans Ref": "transaction_id", "Amount (£)": "amount_gbp", "Posting Date": "posting_date"}
LOCAL_HEADER = [
    "  trans REF ",  # case and surrounding spaces ignored for mapped headers too
    "period",
    "POSTING DATE",
    "cost_centre",
    "s251_line",
    "provision_type",
    "provider_urn",
    "provider_name",
    "placement_id",
    "Amount (£)",
    "description",
]


def settings_with_map(tmp_path: Path, mapping: dict[str, dict[str, str]]) -> Settings:
    config = tmp_path / "highneeds.yaml"
    config.write_text(json.dumps({"columns": mapping}), encoding="utf-8")  # JSON is YAML
    plain = settings_for(tmp_path / "landing", tmp_path / "home")
    return Settings(home=plain.home, landing=plain.landing, config_file=config)


def write_local_ledger(landing: Path, amounts: list[str], header: list[str] = LOCAL_HEADER) -> Path:
    contract = list(DATASETS["hn_ledger"].column_names)
    rows = [
        {spelled: line[column] for spelled, column in zip(header, contract, strict=False)}
        for line in (ledger_line(f"T{i}", "2024-04", "1.2.5", amount) for i, amount in enumerate(amounts))
    ]
    return write_landing_csv(landing, "hn_ledger", rows, month="2024-04", columns=header)


def test_mapped_headers_load_as_their_contract_columns_whatever_their_case_and_spaces(tmp_path: Path):
    settings = settings_with_map(tmp_path, {"hn_ledger": LEDGER_MAP})
    write_local_ledger(settings.landing, ["£1,234.56", "(200.10)"])

    result = load_landing_dataset(settings, DATASETS["hn_ledger"])

    assert result.files_loaded == ["hn_ledger_2024-04.csv"] and not result.warnings
    loaded = query(settings, "select transaction_id, amount_gbp from raw.hn_ledger order by 1")
    assert loaded.transaction_id.tolist() == ["T0", "T1"]
    assert [float(v) for v in loaded.amount_gbp] == [1234.56, -200.10]


def test_a_problem_in_a_mapped_column_names_it_as_the_file_spells_it(tmp_path: Path):
    settings = settings_with_map(tmp_path, {"hn_ledger": LEDGER_MAP})
    write_local_ledger(settings.landing, ["10.00", "ten pounds"])

    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(settings, DATASETS["hn_ledger"])

    (report,) = refused.value.reports
    problem = next(p for p in report.errors if p.rule == "invalid_money")
    assert problem.column == "amount_gbp" and problem.rows == (3,)
    assert problem.where() == "row 3, column 'Amount (£)' (amount_gbp)"
    assert "row 3, column 'Amount (£)' (amount_gbp): 1 value could not be read" in report.message()
    assert problem.to_json()["column"] == "amount_gbp"  # machines get the contract column


def test_a_file_with_a_mapped_header_and_the_contract_name_for_one_column_is_refused(tmp_path: Path):
    settings = settings_with_map(tmp_path, {"hn_ledger": LEDGER_MAP})
    write_local_ledger(settings.landing, ["10.00"], header=[*LOCAL_HEADER, "AMOUNT_GBP"])

    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(settings, DATASETS["hn_ledger"])

    problem = refused.value.reports[0].errors[0]
    assert (problem.rule, problem.column, problem.rows) == ("duplicate_column", "amount_gbp", (1,))
    assert (
        "'Amount (£)' (column 10) and 'AMOUNT_GBP' (column 12) are both read as amount_gbp" in problem.message
    )


def test_a_required_column_neither_present_nor_mapped_is_refused_as_missing(tmp_path: Path):
    settings = settings_with_map(tmp_path, {"hn_ledger": {"Trans Ref": "transaction_id"}})
    write_local_ledger(settings.landing, ["10.00"])  # "Amount (£)" and "POSTING DATE" are not mapped here

    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(settings, DATASETS["hn_ledger"])

    problem = refused.value.reports[0].errors[0]
    assert problem.rule == "missing_column"
    assert "missing the hn_ledger columns 'posting_date', 'amount_gbp'" in problem.message


def test_a_file_without_its_header_row_is_described_by_shape_and_its_first_line_never_quoted(tmp_path: Path):
    record = ["PL0000122", make_upn(938, 2932, 12, 310), "Arthur", "Tucker", "2008-06-13", "M", "WBRI", "ASD"]
    path = tmp_path / "placements_2024-01.csv"
    path.write_text(",".join(record) + "\n" + ",".join(record) + "\n", encoding="utf-8")

    with pytest.raises(LandingFileError) as refused:
        read_landing_table(path, DATASETS["placements"], HeaderMap(DATASETS["placements"]))

    error = refused.value
    assert error.rule == "no_header_row" and error.rows == (1,)
    assert error.message.startswith("the first line holds 8 values and none is a placements column name")
    for value in record:
        assert value not in str(error)


def test_extra_columns_are_dropped_unread_and_personal_looking_ones_called_out(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    contract = list(DATASETS["placements"].column_names)
    extras = {"Child Name": "Arthur Tucker", "Home Postcode": "GL1 2AB", "Caseworker Team": "Kestrel-7 team"}
    row = {
        **placement("P1", make_upn(938, 2001, 19, 1), "special_maintained", "2023-09-01", None, "21000.00"),
        **extras,
    }
    write_landing_csv(settings.landing, "placements", [row], month="2024-01", columns=[*contract, *extras])

    result = load_landing_dataset(settings, DATASETS["placements"])

    (report,) = result.reports
    assert report.dropped_columns == ("Child Name", "Home Postcode", "Caseworker Team")
    warnings = {p.rule: p.message for p in result.warnings}
    assert warnings["personal_data_dropped"].startswith(
        "personal data dropped, not stored: columns 'Child Name', 'Home Postcode' look personal"
    )
    assert warnings["columns_dropped"].startswith("column 'Caseworker Team' is not in the contract")
    stored = query(settings, "select * from raw.placements").astype(str).to_string()
    assert not [value for value in extras.values() if value in stored]
    for message in warnings.values():
        assert not [value for value in extras.values() if value in message]
