"""Statistical disclosure control on small tables whose suppressed output is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.reports.disclosure import (
    ChildLevelDataError,
    add_totals,
    protect_long,
    protect_two_way,
    refuse_child_level,
    unsuppressed_numbers,
)


def as_rows(frame: pd.DataFrame) -> list[list[object]]:
    return [list(row) for row in frame.itertuples(index=False)]


def test_single_small_cell_in_a_row_with_a_total_takes_the_next_smallest_cell_with_it():
    table = pd.DataFrame({"A": [10], "B": [3], "C": [20], "Total": [33]}, index=["special"])

    protected = protect_two_way(table, total_row=None, total_column="Total")

    # 3 alone could be read back as 33 − 10 − 20, so the next smallest interior cell (10) goes too.
    assert as_rows(protected) == [["c", "c", 20, 33]]


def test_two_way_table_suppresses_across_rows_and_down_columns_until_stable():
    table = pd.DataFrame({"ASD": [12, 30], "SEMH": [3, 25], "SLCN": [20, 8]}, index=["special", "mainstream"])

    protected = protect_two_way(add_totals(table))

    # special/SEMH = 3 (primary); its row then takes ASD 12, its column takes mainstream SEMH 25;
    # column ASD now holds one c, so mainstream ASD 30 goes too. Totals and 8 stay.
    assert list(protected.index) == ["special", "mainstream", "Total"]
    assert as_rows(protected) == [
        ["c", "c", 20, 35],
        ["c", "c", 8, 63],
        [42, 28, 28, 98],
    ]


def test_secondary_suppression_passes_over_zeros_for_a_non_zero_cell():
    table = pd.DataFrame({"A": [3], "B": [0], "C": [12], "Total": [15]}, index=["r"])

    protected = protect_two_way(table, total_row=None)

    assert as_rows(protected) == [["c", 0, "c", 15]]


def test_a_rate_built_on_a_count_of_three_is_suppressed_with_its_count():
    rates = pd.DataFrame(
        {
            "characteristic": ["ehcp", "sen_support", "no_sen", "total"],
            "headcount": [120, 400, 2000, 2520],
            "suspensions": [3, 20, 50, 73],
            "suspension_rate": [2.5, 5.0, 2.5, 2.897],
        }
    )

    protected = protect_long(
        rates,
        counts=["headcount", "suspensions"],
        derived={"suspension_rate": ["headcount", "suspensions"]},
        total_rows=rates["characteristic"].eq("total"),
    )

    # 3 → c and its rate → c; the suspensions column would give it back from the total (73 − 20 − 50),
    # so the next smallest, sen_support's 20, is suppressed with its rate.
    assert as_rows(protected) == [
        ["ehcp", 120, "c", "c"],
        ["sen_support", 400, "c", "c"],
        ["no_sen", 2000, 50, 2.5],
        ["total", 2520, 73, 2.897],
    ]


def test_zero_stays_zero_and_a_count_of_five_is_shown():
    spend = pd.DataFrame(
        {
            "provision_type": ["hospital_education", "eotas", "special_independent"],
            "placements_headcount": [0, 5, 40],
            "spend_gbp": [0.0, 150_000.0, 2_400_000.0],
        }
    )

    protected = protect_long(
        spend, counts=["placements_headcount"], derived={"spend_gbp": ["placements_headcount"]}
    )

    assert as_rows(protected) == [
        ["hospital_education", 0, 0.0],
        ["eotas", 5, 150_000.0],
        ["special_independent", 40, 2_400_000.0],
    ]


def test_money_built_on_a_small_count_is_suppressed_within_its_own_year_only():
    cost = pd.DataFrame(
        {
            "financial_year": ["2024-25", "2024-25", "2024-25", "2025-26", "2025-26"],
            "provision_type": ["eotas", "special_academy", "post16_fe", "eotas", "special_academy"],
            "placements_headcount": [4, 60, 30, 9, 70],
            "cost_per_fte_gbp": [45_000.0, 22_000.0, 9_000.0, 47_000.0, 23_000.0],
        }
    )

    protected = protect_long(
        cost,
        counts=["placements_headcount"],
        derived={"cost_per_fte_gbp": ["placements_headcount"]},
        within=["financial_year"],
    )

    assert as_rows(protected) == [
        ["2024-25", "eotas", "c", "c"],
        ["2024-25", "special_academy", 60, 22_000.0],
        ["2024-25", "post16_fe", "c", "c"],
        ["2025-26", "eotas", 9, 47_000.0],
        ["2025-26", "special_academy", 70, 23_000.0],
    ]


def test_blank_is_x_and_not_applicable_is_z():
    ratios = pd.DataFrame(
        {
            "characteristic": ["total", "ehcp", "no_sen"],
            "suspensions": [300, 40, 260],
            "suspension_risk_ratio": [np.nan, 3.1, np.nan],
        }
    )
    not_applicable = pd.DataFrame({"suspension_risk_ratio": ratios["characteristic"].eq("total")})

    protected = protect_long(
        ratios,
        counts=["suspensions"],
        derived={"suspension_risk_ratio": ["suspensions"]},
        not_applicable=not_applicable,
    )

    assert protected["suspension_risk_ratio"].tolist() == ["z", 3.1, "x"]


def test_a_line_with_two_suppressed_cells_needs_nothing_more():
    table = pd.DataFrame({"A": [2, 40], "B": [1, 50]}, index=["r1", "r2"])

    protected = protect_two_way(add_totals(table))

    # Row r1 (3) is small: its total is c too. Columns A and B each hold one c, so 40 and 50 go,
    # and then row r2 has two c; the grand total column holds c (r1) and takes 90.
    assert as_rows(protected) == [["c", "c", "c"], ["c", "c", "c"], [42, 51, 93]]


def test_chart_values_drop_markers():
    drawn = unsuppressed_numbers(pd.Series([1.5, "c", "x", 0], dtype=object))

    assert drawn.isna().tolist() == [False, True, True, False]
    assert drawn.dropna().tolist() == [1.5, 0.0]


def test_child_level_columns_are_refused():
    with pytest.raises(ChildLevelDataError, match="pupil_pseudonym"):
        refuse_child_level(pd.DataFrame({"pupil_pseudonym": ["p1"], "cost": [1.0]}), "placements")


def test_rows_whose_sum_is_published_elsewhere_are_a_line_too():
    by_type = pd.DataFrame(
        {
            "provision_type": ["eotas", "post16_specialist", "special_independent", "special_academy"],
            "placements_headcount": [3, 47, 151, 40],
            "spend_gbp": [110_000.0, 2_100_000.0, 9_400_000.0, 900_000.0],
        }
    )

    protected = protect_long(
        by_type,
        counts=["placements_headcount"],
        derived={"spend_gbp": ["placements_headcount"]},
        published_sums=[[0, 1, 2]],  # s251 line 1.2.3 = eotas + post16_specialist + special_independent
    )

    # Down the column, special_academy (40) is the next smallest; but the line 1.2.3 total would still give
    # eotas back (1.2.3 − 47's spend − 151's spend), so post16_specialist (47) goes too.
    assert as_rows(protected) == [
        ["eotas", "c", "c"],
        ["post16_specialist", "c", "c"],
        ["special_independent", 151, 9_400_000.0],
        ["special_academy", "c", "c"],
    ]


@pytest.mark.parametrize("seed", range(25))
def test_no_row_or_column_of_a_random_table_is_left_with_a_single_c(seed: int):
    rng = np.random.default_rng(seed)
    shape = (int(rng.integers(2, 7)), int(rng.integers(2, 8)))
    counts = pd.DataFrame(
        rng.choice([0, 1, 2, 3, 4, 5, 8, 13, 40, 120], size=shape),
        index=[f"r{i}" for i in range(shape[0])],
        columns=[f"k{j}" for j in range(shape[1])],
    )
    table = add_totals(counts)

    protected = protect_two_way(table)

    hidden = protected.eq("c")
    assert (hidden | ~table.apply(lambda column: column.between(1, 4))).all().all()  # every 1–4 is hidden
    assert ((protected == table) | hidden).all().all()  # nothing else is changed
    for line in [*(hidden.loc[row] for row in hidden.index), *(hidden[column] for column in hidden.columns)]:
        assert line.sum() != 1, f"a line with one c can be recovered:\n{protected}"
