"""Ingest: landing files → the warehouse's raw schema (real files, real DuckDB, no mocks)."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import duckdb
import pytest

from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.settings import PSEUDONYM_KEY_ENV, Settings
from tests.support.landing import ledger_line, make_upn, placement, write_landing_csv
from tests.support.pipeline import query, settings_for

UPN_A = make_upn(938, 2001, 19, 1)
UPN_B = make_upn(938, 2001, 19, 2)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return settings_for(tmp_path / "landing", tmp_path / "home")


def _ledger_month(landing: Path, month: str, amounts: list[str]) -> Path:
    rows = [ledger_line(f"T{month}-{i}", month, "1.2.5", amount) for i, amount in enumerate(amounts)]
    return write_landing_csv(landing, "hn_ledger", rows, month=month)


def test_ledger_amounts_land_as_exact_pounds_and_pence(settings: Settings) -> None:
    _ledger_month(settings.landing, "2024-04", ["£1,234.56", "(200.10)", "0.01"])
    load_landing_dataset(settings, DATASETS["hn_ledger"])
    loaded = query(settings, "select sum(amount_gbp) as total, count(*) as n from raw.hn_ledger")
    assert float(loaded.total[0]) == pytest.approx(1234.56 - 200.10 + 0.01, abs=1e-9)
    assert loaded.n[0] == 3


def test_loading_the_same_file_twice_changes_nothing(settings: Settings) -> None:
    _ledger_month(settings.landing, "2024-04", ["10.00", "20.00"])
    first = load_landing_dataset(settings, DATASETS["hn_ledger"])
    before = query(settings, "select * from raw.hn_ledger order by transaction_id")
    second = load_landing_dataset(settings, DATASETS["hn_ledger"])
    after = query(settings, "select * from raw.hn_ledger order by transaction_id")
    assert first.files_loaded == ["hn_ledger_2024-04.csv"]
    assert second.files_loaded == [] and second.files_unchanged == ["hn_ledger_2024-04.csv"]
    assert before.equals(after)  # same rows, same loaded_at: the second load wrote nothing


def test_a_redelivered_month_replaces_that_month_only_and_both_versions_are_archived(
    settings: Settings,
) -> None:
    _ledger_month(settings.landing, "2024-04", ["10.00", "20.00"])
    _ledger_month(settings.landing, "2024-05", ["5.00"])
    load_landing_dataset(settings, DATASETS["hn_ledger"])
    _ledger_month(settings.landing, "2024-04", ["11.00"])  # corrected April: one line, a new amount
    result = load_landing_dataset(settings, DATASETS["hn_ledger"])
    totals = query(
        settings,
        "select period, sum(amount_gbp) as total, count(*) as n from raw.hn_ledger group by 1 order by 1",
    )
    assert result.months_replaced == ["2024-04"]
    assert totals.to_dict("list") == {"period": ["2024-04", "2024-05"], "total": [11.0, 5.0], "n": [1, 1]}
    archived = sorted(p.name.split("_", 1)[1] for p in (settings.archive_dir / "hn_ledger").iterdir())
    assert archived == ["hn_ledger_2024-04.csv", "hn_ledger_2024-04.csv", "hn_ledger_2024-05.csv"]


def test_the_landing_folder_is_read_but_never_changed(settings: Settings) -> None:
    path = _ledger_month(settings.landing, "2024-04", ["10.00"])
    before = (path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(settings.landing)))
    load_landing_dataset(settings, DATASETS["hn_ledger"])
    assert (path.read_bytes(), path.stat().st_mtime_ns, sorted(os.listdir(settings.landing))) == before


def test_placements_keep_no_name_upn_or_date_of_birth_and_derive_age_and_nc_year(settings: Settings) -> None:
    write_landing_csv(
        settings.landing,
        "placements",
        [
            placement(
                "P1", UPN_A, "special_maintained", "2023-09-01", None, "21000.00", date_of_birth="2012-05-17"
            ),
            placement(
                "P2", UPN_B, "special_maintained", "2023-09-01", None, "21000.00", date_of_birth="31/08/2013"
            ),
        ],
        month="2024-01",
    )
    load_landing_dataset(settings, DATASETS["placements"])
    columns = set(query(settings, "select * from raw.placements limit 0").columns)
    assert not columns & {"upn", "forename", "surname", "date_of_birth"}
    loaded = query(
        settings,
        "select placement_id, age_at_extract, nc_year_at_extract, pupil_pseudonym "
        "from raw.placements order by placement_id",
    )
    # At 31 January 2024: born 17 May 2012 → 11, cohort Sept 2011–Aug 2012 → Year 7 in 2023/24;
    # born 31 Aug 2013 → 10, the youngest of the Sept 2012–Aug 2013 cohort → Year 6.
    assert loaded.age_at_extract.tolist() == [11, 10]
    assert loaded.nc_year_at_extract.tolist() == [7, 6]
    everything = query(settings, "select * from raw.placements").astype(str).to_string()
    for secret in (UPN_A, UPN_B, "Alex", "Example", "2012-05-17", "31/08/2013", "2013-08-31"):
        assert secret not in everything


def test_the_same_child_gets_the_same_pseudonym_in_every_snapshot_with_the_same_key(
    settings: Settings,
) -> None:
    for month in ("2024-01", "2024-04"):
        write_landing_csv(
            settings.landing,
            "placements",
            [placement("P1", UPN_A, "special_maintained", "2023-09-01", None, "21000.00")],
            month=month,
        )
    load_landing_dataset(settings, DATASETS["placements"])
    pseudonyms = query(settings, "select distinct pupil_pseudonym from raw.placements")
    assert len(pseudonyms) == 1 and UPN_A not in pseudonyms.pupil_pseudonym[0]


def test_without_a_key_in_the_environment_a_key_file_is_made_once_readable_by_the_owner_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(PSEUDONYM_KEY_ENV, raising=False)
    settings = Settings(home=tmp_path / "home")
    first = settings.pseudonym_key()
    assert stat.S_IMODE(settings.key_file.stat().st_mode) == 0o600
    assert settings.pseudonym_key() == first and len(first) == 64


def test_extra_columns_are_dropped_and_only_their_names_reach_the_load_log(settings: Settings) -> None:
    header = [*DATASETS["hn_ledger"].column_names, "Approver", "Approver e-mail"]
    write_landing_csv(
        settings.landing,
        "hn_ledger",
        [
            ledger_line(
                "T1", "2024-04", "1.2.5", "10.00", **{"Approver": "J Smith", "Approver e-mail": "js@x.org"}
            )
        ],
        month="2024-04",
        columns=header,
    )
    result = load_landing_dataset(settings, DATASETS["hn_ledger"])

    columns = set(query(settings, "select * from raw.hn_ledger limit 0").columns)
    assert columns == set(DATASETS["hn_ledger"].column_names) | {
        "_extract_month",
        "_source_file",
        "_source_sha256",
        "_source_row",
        "_loaded_at",
    }
    logged = query(settings, "select dropped_columns from raw._file_loads").dropped_columns[0]
    assert list(logged) == ["Approver", "Approver e-mail"]
    warnings = {p.rule: p.message for p in result.warnings}
    assert warnings["columns_dropped"].startswith("column 'Approver' is not in the contract and was dropped")
    assert warnings["personal_data_dropped"].startswith(
        "personal data dropped, not stored: column 'Approver e-mail'"
    )
    everything = query(settings, "select * from raw.hn_ledger").astype(str).to_string()
    assert "J Smith" not in everything and "js@x.org" not in everything


def test_a_warehouse_of_the_first_contract_loses_its_extra_columns_on_the_next_load(
    settings: Settings,
) -> None:
    _ledger_month(settings.landing, "2024-04", ["10.00"])
    load_landing_dataset(settings, DATASETS["hn_ledger"])
    with duckdb.connect(str(settings.warehouse)) as connection:  # as v1 left it: extra columns as JSON
        connection.execute("alter table raw.hn_ledger add column _extra_columns varchar")
        connection.execute("""update raw.hn_ledger set _extra_columns = '{"child name": "Alex Example"}'""")
    _ledger_month(settings.landing, "2024-05", ["20.00"])

    load_landing_dataset(settings, DATASETS["hn_ledger"])

    columns = set(query(settings, "select * from raw.hn_ledger limit 0").columns)
    assert "_extra_columns" not in columns
    assert query(settings, "select count(*) as n from raw.hn_ledger").n[0] == 2


def test_a_warehouse_of_the_first_contract_gains_the_columns_v2_added_on_the_next_load(
    settings: Settings,
) -> None:
    school = {
        "school_urn": "100001",
        "school_name": "Alpha Primary",
        "phase": "primary",
        "governance": "maintained",
        "locality": "North",
        "opened_on": "2001-09-01",
        "closed_on": "",
    }
    write_landing_csv(settings.landing, "schools", [school])
    load_landing_dataset(settings, DATASETS["schools"])
    with duckdb.connect(str(settings.warehouse)) as connection:  # as v1 made it: no predecessor_urn
        connection.execute("alter table raw.schools drop column predecessor_urn")
    write_landing_csv(settings.landing, "schools", [{**school, "predecessor_urn": "100000"}])

    load_landing_dataset(settings, DATASETS["schools"])

    loaded = query(settings, "select school_urn, predecessor_urn from raw.schools")
    assert loaded.to_dict("records") == [{"school_urn": "100001", "predecessor_urn": "100000"}]


def test_lineage_columns_name_the_file_its_hash_and_row(settings: Settings) -> None:
    import hashlib

    path = _ledger_month(settings.landing, "2024-04", ["10.00", "20.00"])
    load_landing_dataset(settings, DATASETS["hn_ledger"])
    lineage = query(
        settings, "select _source_file, _source_sha256, _source_row from raw.hn_ledger order by 3"
    )
    assert lineage._source_file.unique().tolist() == ["hn_ledger_2024-04.csv"]
    assert lineage._source_sha256[0] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert lineage._source_row.tolist() == [2, 3]  # line 1 is the header
