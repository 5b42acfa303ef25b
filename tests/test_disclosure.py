"""Statistical disclosure control on small tables whose suppressed output is worked out by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from orchestration.config import Disclosure
from orchestration.reports.disclosure import (
    ChildLevelDataError,
    HiddenMargins,
    add_totals,
    protect_long,
    protect_margins,
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


def test_a_median_over_nine_placements_is_suppressed_and_over_ten_published():
    cost = pd.DataFrame(
        {
            "provision_type": ["special_independent", "special_maintained", "eotas", "hospital_education"],
            "placements_headcount": [9, 10, 3, 4],
            "median_annual_cost_gbp": [78_116.66, 21_500.00, 38_000.00, 30_000.00],
        }
    )

    protected = protect_long(
        cost,
        counts=["placements_headcount"],
        derived={"median_annual_cost_gbp": ["placements_headcount"]},
        order_statistics={"median_annual_cost_gbp": "placements_headcount"},
    )

    # 9 placements are published as a count (≥ 5) but their median is close to one child's fee; 3 and 4
    # are hidden as counts (two of them, so neither can be worked out from the column's total).
    assert as_rows(protected) == [
        ["special_independent", 9, "c"],
        ["special_maintained", 10, 21_500.00],
        ["eotas", "c", "c"],
        ["hospital_education", "c", "c"],
    ]


def test_the_installation_thresholds_decide_what_is_suppressed():
    frame = pd.DataFrame({"group": ["a", "b", "c"], "count": [6, 8, 30], "median": [1.0, 2.0, 3.0]})
    strict = Disclosure(min_count=7, min_values_for_median=30)

    protected = protect_long(frame, counts=["count"], order_statistics={"median": "count"}, rules=strict)

    # 6 < 7 is hidden, and 8 with it (the column adds up to a total published elsewhere); only 30 ≥ 30
    # values carry a median.
    assert as_rows(protected) == [["a", "c", "c"], ["b", "c", "c"], ["c", 30, 3.0]]


def test_a_line_total_that_is_a_suppressed_types_only_spend_is_suppressed():
    # s251 line × provision type of spend: hospital (2 placements) is the only spend on line 1.2.6.
    cells = pd.DataFrame(
        {
            "special_independent": [9_400_000.0, None, None],
            "hospital_education": [None, 60_000.0, None],
            "(not a placement)": [None, None, 900_000.0],
        },
        index=["1.2.3", "1.2.6", "1.2.7"],
    )

    hidden = protect_margins(
        cells, hidden_columns={"hospital_education"}, sensitive_columns={"hospital_education"}
    )

    # Worked by hand: each line holds one type, so each line total repeats a type total. Hospital is line
    # 1.2.6's total; with that hidden it is still grand total − 1.2.3 − 1.2.7. The next smallest total,
    # not-a-placement's £0.9m, is line 1.2.7's too, so both its forms must go before the grand total stops
    # giving hospital back: what is left published (1.2.3 and independent special) says nothing of it.
    assert hidden == HiddenMargins(
        rows=frozenset({"1.2.6", "1.2.7"}), columns=frozenset({"hospital_education", "(not a placement)"})
    )
    published_rows = [row for row in cells.index if row not in hidden.rows]
    published_columns = [column for column in cells.columns if column not in hidden.columns]
    assert not _recoverable(cells, published_rows, published_columns, "hospital_education")
    assert _recoverable(cells, [*published_rows, "1.2.7"], published_columns, "hospital_education")


def test_a_suppressed_type_sharing_its_line_is_not_given_back_by_subtraction():
    # Line 1.2.3 = eotas (3 placements) + specialist post-16 + independent special; each type on one line.
    cells = pd.DataFrame(
        {
            "eotas": [110_000.0, None],
            "post16_specialist": [2_100_000.0, None],
            "special_independent": [9_400_000.0, None],
            "special_academy": [None, 900_000.0],
        },
        index=["1.2.3", "1.2.2"],
    )

    hidden = protect_margins(cells, hidden_columns={"eotas"}, sensitive_columns={"eotas"})

    # Worked by hand: hiding only eotas leaves it as 1.2.3 − post-16 − independent. Hiding the smallest
    # total, special academy's £0.9m (or line 1.2.2, the same money), changes nothing: eotas is still
    # 1.2.3 − post-16 − independent. Hiding post-16's £2.1m leaves only eotas + post-16 = 1.2.3 −
    # independent. So post-16 goes, and no line total needs to.
    assert hidden == HiddenMargins(rows=frozenset(), columns=frozenset({"eotas", "post16_specialist"}))


def _recoverable(cells: pd.DataFrame, rows: list[str], columns: list[str], target: str) -> bool:
    """Brute force: is the target column's sum a linear combination of the published sums?"""
    filled = cells.fillna(0)
    cell_ids = [(r, c) for r in filled.index for c in filled.columns if filled.at[r, c]]
    sums = [[1.0 if cell[0] == r else 0.0 for cell in cell_ids] for r in rows]
    sums += [[1.0 if cell[1] == c else 0.0 for cell in cell_ids] for c in columns]
    sums.append([1.0] * len(cell_ids))
    goal = [1.0 if cell[1] == target else 0.0 for cell in cell_ids]
    solution, *_ = np.linalg.lstsq(np.array(sums).T, np.array(goal), rcond=None)
    return bool(np.allclose(np.array(sums).T @ solution, goal))


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
