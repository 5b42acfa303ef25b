"""`highneeds rebuild` makes the demo county's warehouse again from its archive and reproduces every mart.

Finding reproduced (issue 16, item 6): there was no way to rebuild from `archive/`.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import DemoRun, highneeds_cli

pytestmark = pytest.mark.slow


def _sorted_rows(warehouse: Path, table: str) -> list[tuple[object, ...]]:
    """Every row of a mart as Python values, sorted by their text: read apart from the rebuild's own check."""
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        rows = connection.execute(f"select * from marts.{table}").fetchall()
    return sorted(rows, key=repr)


def _mart_names(warehouse: Path) -> list[str]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        names = connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        )
        return [name for (name,) in names.fetchall()]


def _load_log(warehouse: Path) -> list[tuple[object, ...]]:
    with duckdb.connect(str(warehouse), read_only=True) as connection:
        return connection.execute(
            "select dataset, extract_month, source_file, source_sha256, row_count, loaded_at"
            " from raw._file_loads order by loaded_at, rowid"
        ).fetchall()


def test_rebuild_reproduces_every_mart_of_the_demo_from_the_archive_alone(
    demo_run: DemoRun, tmp_path: Path
) -> None:
    assert demo_run.returncode == 0, demo_run.output[-3000:]
    home = tmp_path / "home"  # a copy: the session's demo stays as it is for the other tests
    shutil.copytree(demo_run.home, home)
    original = tmp_path / "original.duckdb"
    shutil.copy2(home / "warehouse.duckdb", original)

    rebuilt = highneeds_cli("rebuild", "--home", str(home), env={"HIGHNEEDS_LANDING": str(tmp_path / "gone")})

    assert rebuilt.returncode == 0, rebuilt.stdout[-3000:] + rebuilt.stderr[-3000:]
    marts = _mart_names(original)
    assert _mart_names(home / "warehouse.duckdb") == marts
    assert {"spend_by_provision_type", "budget_vs_outturn", "placement_flows", "impact_panel"} <= set(marts)
    for table in marts:
        assert _sorted_rows(home / "warehouse.duckdb", table) == _sorted_rows(original, table), table
    assert _load_log(home / "warehouse.duckdb") == _load_log(original)
    assert f"Marts identical to the old warehouse's: {len(marts)} tables" in rebuilt.stdout
    kept = list((home / "backups").glob("replaced-*.duckdb"))
    assert len(kept) == 1 and kept[0].read_bytes() == original.read_bytes()
