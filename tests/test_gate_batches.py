"""Many files validated together are still judged one by one: their own keys, counts and cross-file ids.

The gate validates every new file of a dataset in batches (one Great Expectations validation for many
files); these tests pin what must not leak between the files of a batch. Real files, real DuckDB.
"""

from __future__ import annotations

from pathlib import Path

from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from tests.support.landing import ledger_line, make_upn, placement, write_landing_csv
from tests.support.pipeline import query, settings_for


def _ledger(landing: Path, month: str, amounts: list[str], ids: list[str] | None = None) -> Path:
    ids = ids or [f"T{month}-{i}" for i in range(len(amounts))]
    rows = [ledger_line(tid, month, "1.2.5", amount) for tid, amount in zip(ids, amounts, strict=True)]
    return write_landing_csv(landing, "hn_ledger", rows, month=month)


def test_the_same_placement_in_two_snapshots_of_one_batch_is_not_a_duplicate(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    upn = make_upn(938, 2001, 19, 1)
    for month in ("2024-01", "2024-04"):
        rows = [placement("P1", upn, "special_maintained", "2023-09-01", None, "21000.00")]
        write_landing_csv(settings.landing, "placements", rows, month=month)

    result = load_landing_dataset(settings, DATASETS["placements"])

    assert result.files_loaded == ["placements_2024-01.csv", "placements_2024-04.csv"]


def test_each_file_of_a_batch_gets_its_own_count_and_rows(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    _ledger(settings.landing, "2024-04", ["10.00", "ten", "eleven"])
    _ledger(settings.landing, "2024-05", ["twelve", "13.00"])

    result = load_landing_dataset(settings, DATASETS["hn_ledger"], raise_on_refusal=False)

    found = {r.name: next(p for p in r.errors if p.rule == "invalid_money") for r in result.refused}
    assert found["hn_ledger_2024-04.csv"].rows == (3, 4)
    assert found["hn_ledger_2024-04.csv"].message.startswith("2 values could not be read")
    assert found["hn_ledger_2024-05.csv"].rows == (2,)
    assert found["hn_ledger_2024-05.csv"].message.startswith("1 value could not be read")


def test_an_id_shared_with_a_refused_file_of_the_same_batch_does_not_refuse_the_later_file(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    _ledger(settings.landing, "2024-04", ["10.00", "not money"], ids=["A1", "A2"])  # refused
    _ledger(settings.landing, "2024-05", ["5.00"], ids=["A1"])  # repeats an id of the refused April
    _ledger(settings.landing, "2024-06", ["6.00"], ids=["A9"])

    result = load_landing_dataset(settings, DATASETS["hn_ledger"], raise_on_refusal=False)

    assert [r.name for r in result.refused] == ["hn_ledger_2024-04.csv"]
    assert result.files_loaded == ["hn_ledger_2024-05.csv", "hn_ledger_2024-06.csv"]
    assert query(settings, "select transaction_id from raw.hn_ledger order by 1").transaction_id.tolist() == [
        "A1",
        "A9",
    ]


def test_an_id_repeated_from_an_accepted_file_of_the_same_batch_refuses_the_later_file(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    _ledger(settings.landing, "2024-04", ["10.00"], ids=["A1"])
    _ledger(settings.landing, "2024-05", ["5.00", "7.00"], ids=["A2", "A1"])

    result = load_landing_dataset(settings, DATASETS["hn_ledger"], raise_on_refusal=False)

    (refused,) = result.refused
    problem = next(p for p in refused.errors if p.rule == "duplicate_transaction_id_across_deliveries")
    assert refused.name == "hn_ledger_2024-05.csv" and problem.rows == (3,)
    assert "already loaded from hn_ledger_2024-04.csv" in problem.message
