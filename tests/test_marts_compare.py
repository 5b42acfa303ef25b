"""Two warehouses' marts are equal only when every table, column, type and sorted row is."""

from __future__ import annotations

from pathlib import Path

import duckdb

from orchestration.marts_compare import compare_marts

_MARTS = """
create schema marts;
create table marts.cost_per_placement (financial_year varchar, provision_type varchar, spend_gbp double);
create table marts.placement_flows (month varchar, starters integer);
"""


def _warehouse(path: Path, cost_rows: list[tuple[str, str, float]], flows: list[tuple[str, int]]) -> Path:
    with duckdb.connect(str(path)) as connection:
        connection.execute(_MARTS)
        connection.executemany("insert into marts.cost_per_placement values (?, ?, ?)", cost_rows)
        connection.executemany("insert into marts.placement_flows values (?, ?)", flows)
    return path


COSTS = [("2024-25", "special_maintained", 21000.0), ("2024-25", "independent_special", 61250.5)]
FLOWS = [("2024-04", 3), ("2024-05", 0)]


def test_the_same_rows_in_another_order_are_identical(tmp_path: Path) -> None:
    first = _warehouse(tmp_path / "a.duckdb", COSTS, FLOWS)
    second = _warehouse(tmp_path / "b.duckdb", COSTS[::-1], FLOWS[::-1])

    comparison = compare_marts(first, second)

    assert comparison.identical
    assert comparison.tables == ["cost_per_placement", "placement_flows"]
    assert comparison.rows == 4


def test_one_penny_in_one_row_is_a_difference_named_by_table_and_rows(tmp_path: Path) -> None:
    first = _warehouse(tmp_path / "a.duckdb", COSTS, FLOWS)
    second = _warehouse(
        tmp_path / "b.duckdb", [COSTS[0], ("2024-25", "independent_special", 61250.51)], FLOWS
    )

    comparison = compare_marts(first, second)

    assert comparison.differences == [
        "marts.cost_per_placement: 2 rows against 2; 1 only in the first, 1 only in the second"
    ]


def test_a_duplicated_row_is_a_difference(tmp_path: Path) -> None:
    first = _warehouse(tmp_path / "a.duckdb", COSTS, FLOWS)
    second = _warehouse(tmp_path / "b.duckdb", COSTS, [*FLOWS, FLOWS[0]])

    assert compare_marts(first, second).differences == [
        "marts.placement_flows: 2 rows against 3; 0 only in the first, 1 only in the second"
    ]


def test_a_missing_table_or_a_changed_column_type_is_a_difference(tmp_path: Path) -> None:
    first = _warehouse(tmp_path / "a.duckdb", COSTS, FLOWS)
    second = _warehouse(tmp_path / "b.duckdb", COSTS, FLOWS)
    with duckdb.connect(str(second)) as connection:
        connection.execute("drop table marts.placement_flows")
        connection.execute("alter table marts.cost_per_placement alter spend_gbp type decimal(18, 2)")

    assert compare_marts(first, second).differences == [
        "marts.cost_per_placement: the columns or their types differ",
        "marts.placement_flows is only in a.duckdb",
    ]


def test_when_a_file_was_loaded_is_not_compared_but_every_other_column_of_that_mart_is(
    tmp_path: Path,
) -> None:
    def with_plan(path: Path, loaded_at: str, balance: float) -> Path:
        _warehouse(path, COSTS, FLOWS)
        with duckdb.connect(str(path)) as connection:
            connection.execute(
                "create table marts.dsg_deficit_position (plan_first_loaded_at timestamp, gbp double)"
            )
            connection.execute("insert into marts.dsg_deficit_position values (?, ?)", [loaded_at, balance])
        return path

    first = with_plan(tmp_path / "a.duckdb", "2026-11-01 09:00:00", -17_000_000.0)
    later_load = with_plan(tmp_path / "b.duckdb", "2026-11-28 00:30:00", -17_000_000.0)
    other_figure = with_plan(tmp_path / "c.duckdb", "2026-11-01 09:00:00", -17_000_000.01)

    assert compare_marts(first, later_load).identical
    assert compare_marts(first, other_figure).differences == [
        "marts.dsg_deficit_position: 1 rows against 1; 1 only in the first, 1 only in the second"
    ]
