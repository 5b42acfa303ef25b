"""A warehouse that fails to open or read is reported at once, in one paragraph naming the restore and the
rebuild commands, with exit code 2 and nothing changed; `highneeds restore` then puts a backup back.

Finding reproduced (issue 16, item 6): a corrupted `warehouse.duckdb` was only noticed later, by dbt.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from orchestration.backups import back_up_warehouse, run_backups
from orchestration.contract import DATASETS
from orchestration.ingest import load_landing_dataset
from orchestration.settings import Settings
from tests.conftest import highneeds_cli
from tests.support.landing import ledger_line, write_landing_csv
from tests.support.pipeline import query, settings_for


def _damage_block(warehouse: Path, offset: int) -> None:
    with warehouse.open("r+b") as handle:
        handle.seek(offset)
        handle.write(os.urandom(8192))


@pytest.fixture
def damaged(tmp_path: Path) -> Settings:
    """A home with a ledger month loaded and backed up, whose warehouse was then damaged mid-file."""
    landing = tmp_path / "landing"
    write_landing_csv(landing, "hn_ledger", [ledger_line("T1", "2024-04", "1.2.5", "10.00")], month="2024-04")
    settings = settings_for(landing, tmp_path / "home")
    load_landing_dataset(settings, DATASETS["hn_ledger"])
    back_up_warehouse(settings)
    _damage_block(settings.warehouse, settings.warehouse.stat().st_size - 3 * 262144)
    return settings


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "command",
    [
        ["run", "--landing", "{landing}"],
        ["report", "--month", "2024-04"],
        ["check", "--landing", "{landing}"],
    ],
    ids=["run", "report", "check"],
)
def test_a_damaged_warehouse_is_reported_with_the_restore_and_rebuild_commands_and_exit_2(
    damaged: Settings, command: list[str]
) -> None:
    before = _digest(damaged.warehouse)
    backups_before = run_backups(damaged)

    answered = highneeds_cli(
        *(part.format(landing=damaged.landing) for part in command), "--home", str(damaged.home)
    )

    assert answered.returncode == 2
    paragraph = answered.stderr.strip()
    assert "\n" not in paragraph and "Traceback" not in paragraph
    assert paragraph.startswith(f"The warehouse {damaged.warehouse} could not be read (")
    assert "nothing was changed" in paragraph
    assert f"`highneeds restore --home {damaged.home}`" in paragraph
    assert f"`highneeds rebuild --home {damaged.home}`" in paragraph
    assert _digest(damaged.warehouse) == before
    assert run_backups(damaged) == backups_before


def test_a_damaged_header_is_reported_the_same_way(damaged: Settings) -> None:
    _damage_block(damaged.warehouse, 0)

    answered = highneeds_cli("report", "--month", "2024-04", "--home", str(damaged.home))

    assert answered.returncode == 2
    assert "not a valid DuckDB database file" in answered.stderr
    assert f"`highneeds rebuild --home {damaged.home}`" in answered.stderr


def test_restore_puts_the_backup_back_and_keeps_the_damaged_file(damaged: Settings) -> None:
    damaged_digest = _digest(damaged.warehouse)

    restored = highneeds_cli("restore", "--home", str(damaged.home))

    assert restored.returncode == 0, restored.stderr
    assert query(damaged, "select transaction_id, amount_gbp from raw.hn_ledger").values.tolist() == [
        ["T1", 10]
    ]
    kept = sorted(damaged.backups_dir.glob("replaced-*.duckdb"))
    assert len(kept) == 1 and _digest(kept[0]) == damaged_digest
    assert f"The warehouse it replaced is kept as {kept[0]}" in restored.stdout
