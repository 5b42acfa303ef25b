"""Statistical disclosure control for the public Schools Forum pack (DfE/GSS practice).

Schools Forum papers are public, so every table in the public pack goes through these functions, with the
thresholds of the installation's configuration (`disclosure.min_count`, default 5, and
`disclosure.min_values_for_median`, default 10):

- **primary suppression**: a count above 0 and below min_count is shown as `c`; zeros are shown;
- **derived figures**: a rate, percentage, ratio or money figure built on a suppressed count is `c` too,
  since it would give the count back (rate × headcount);
- **order statistics**: a median, minimum or maximum is one child's figure (or the mean of two) unless
  many values lie behind it, so it is shown only over at least min_values_for_median values, else `c`;
- **secondary suppression**: a table's rows and columns add up to totals that are published (in the table
  or elsewhere in the pack), so a line holding exactly one `c` would give it back by subtraction. The next
  smallest cell of that line (a non-zero interior cell before a zero, a total only as a last resort) is
  suppressed too, and the lines are checked again until none holds a single `c`. Cells that another table
  forces to `c` (an s251 line total that is a suppressed provision type's only spend) enter as `hidden`;
- markers: `x` not available (NULL), `z` not applicable (e.g. a risk ratio of the whole population).

All functions are pure: they take DataFrames and return new ones whose suppressed cells hold the marker
strings and whose other cells keep their numbers, so formatting stays the writer's job.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.config import Disclosure

SUPPRESSED = "c"
NOT_AVAILABLE = "x"
NOT_APPLICABLE = "z"
MARKERS = (SUPPRESSED, NOT_AVAILABLE, NOT_APPLICABLE)
DEFAULT_RULES = Disclosure()
"""The thresholds when an installation sets none: counts 1–4 suppressed, medians over fewer than 10 too."""

CHILD_LEVEL_COLUMNS = frozenset(
    {
        "upn",
        "pupil_pseudonym",
        "placement_id",
        "transaction_id",
        "forename",
        "surname",
        "date_of_birth",
        "age_at_extract",
        "nc_year_at_extract",
    }
)
"""Columns that only a row about one child (or one payment for one child) carries."""

Cell = tuple[Hashable, Hashable]
"""(row label, column label) of one cell."""


class ChildLevelDataError(ValueError):
    """A table about to be published holds a column that identifies one child's record."""


def refuse_child_level(frame: pd.DataFrame, table_name: str) -> None:
    """Raise if `frame` has a child-level column: the pack publishes aggregates only, never records."""
    found = sorted(CHILD_LEVEL_COLUMNS.intersection(str(column).lower() for column in frame.columns))
    if found:
        raise ChildLevelDataError(f"{table_name}: child-level column(s) {found} must never reach the pack")


def _numeric(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def is_small_count(values: pd.Series, rules: Disclosure = DEFAULT_RULES) -> pd.Series:
    """True where a count is above zero and below min_count (a fractional mean headcount too)."""
    numeric = _numeric(values)
    return ((numeric > 0) & (numeric < rules.min_count)).fillna(False).astype(bool)


def too_few_for_order_statistic(values_behind: pd.Series, rules: Disclosure = DEFAULT_RULES) -> pd.Series:
    """True where a median, minimum or maximum lies over fewer than min_values_for_median values."""
    numeric = _numeric(values_behind)
    return (numeric.isna() | (numeric < rules.min_values_for_median)).astype(bool)


def primary_mask(
    frame: pd.DataFrame, counts: Sequence[Hashable], rules: Disclosure = DEFAULT_RULES
) -> pd.DataFrame:
    """A boolean frame shaped like `frame`: True on each count cell above 0 and below min_count."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in counts:
        mask[column] = is_small_count(frame[column], rules).to_numpy()
    return mask


def _next_smallest(
    values: pd.DataFrame, mask: pd.DataFrame, line: Sequence[Cell], totals: Collection[Cell]
) -> Cell | None:
    """The cell of `line` to suppress next: smallest non-zero interior cell, then a zero, then a total."""
    candidates = []
    for position, cell in enumerate(line):
        if mask.at[cell]:
            continue
        value = pd.to_numeric(pd.Series([values.at[cell]]), errors="coerce").iloc[0]
        if pd.isna(value):
            continue
        candidates.append(((cell in totals, value == 0, float(value), position), cell))
    return min(candidates, key=lambda candidate: candidate[0])[1] if candidates else None


def secondary_mask(
    values: pd.DataFrame,
    suppressed: pd.DataFrame,
    lines: Sequence[Sequence[Cell]],
    totals: Collection[Cell] = (),
) -> pd.DataFrame:
    """`suppressed` grown until no line that sums to a known total holds exactly one suppressed cell.

    Each line is the cells of one row or column that add up to a total (the total's own cell, listed in
    `totals`, belongs to the line). Suppressing a cell can leave another line with a single `c`, so the
    lines are swept again until a sweep changes nothing; cells are only ever added, so this ends.
    """
    mask = suppressed.copy()
    changed = True
    while changed:
        changed = False
        for line in lines:
            hidden = sum(bool(mask.at[cell]) for cell in line)
            if hidden != 1:
                continue
            cell = _next_smallest(values, mask, line, totals)
            if cell is not None:
                mask.at[cell] = True
                changed = True
    return mask


def spread_to_derived(mask: pd.DataFrame, derived: Mapping[Hashable, Sequence[Hashable]]) -> pd.DataFrame:
    """Suppress each derived cell whose row has any of its base counts suppressed."""
    spread = mask.copy()
    for column, bases in derived.items():
        hidden = pd.Series(False, index=mask.index)
        for base in bases:
            hidden |= mask[base]
        spread[column] = spread[column] | hidden
    return spread


def apply_markers(
    frame: pd.DataFrame,
    suppressed: pd.DataFrame,
    not_applicable: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`frame` with `c` on suppressed cells, `z` on not-applicable blanks and `x` on other numeric blanks.

    Text columns keep their values (a blank label is the caller's to name); numeric columns become
    object columns holding numbers and marker strings.
    """
    marked = frame.copy()
    for column in frame.columns:
        hidden = suppressed[column].to_numpy(dtype=bool) if column in suppressed else None
        is_numeric = pd.api.types.is_numeric_dtype(frame[column]) or (hidden is not None and hidden.any())
        if not is_numeric:
            continue
        values = frame[column].astype(object)
        blank = frame[column].isna().to_numpy()
        inapplicable = (
            not_applicable[column].fillna(False).to_numpy(dtype=bool)
            if not_applicable is not None and column in not_applicable
            else np.zeros(len(frame), dtype=bool)
        )
        values = values.where(~blank, NOT_AVAILABLE)
        values = values.where(~(blank & inapplicable), NOT_APPLICABLE)
        if hidden is not None:
            values = values.where(~hidden, SUPPRESSED)
        marked[column] = values.to_numpy(dtype=object)
    return marked


def protect_long(
    frame: pd.DataFrame,
    counts: Sequence[Hashable],
    derived: Mapping[Hashable, Sequence[Hashable]] | None = None,
    within: Sequence[Hashable] = (),
    total_rows: pd.Series | None = None,
    not_applicable: pd.DataFrame | None = None,
    *,
    rules: Disclosure = DEFAULT_RULES,
    order_statistics: Mapping[Hashable, Hashable] | None = None,
    additive: Sequence[Hashable] = (),
    hidden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Disclosure control for a long table: one row per group, count columns plus figures built on them.

    Each count column (and each `additive` column, e.g. money that adds up to a total row), within each
    group of rows sharing the `within` columns, is a line adding up to a total (the group's `total_rows`
    row where the table shows one, else a total published elsewhere), so secondary suppression runs down
    each such column of each group. Count columns of one row are not added across (starters, leavers and
    headcounts are not parts of a whole). `order_statistics` maps a median/minimum/maximum column to the
    column counting the values behind it. `hidden` (same shape, True = suppress) adds cells that another
    table forces to `c`; derived figures follow their bases, and the lines are swept again until stable.
    """
    derived = dict(derived or {})
    table = frame.reset_index(drop=True)
    is_total = (
        pd.Series(total_rows).reset_index(drop=True).fillna(False).astype(bool)
        if total_rows is not None
        else pd.Series(False, index=table.index)
    )
    mask = primary_mask(table, counts, rules)
    if hidden is not None:
        forced = hidden.reset_index(drop=True).reindex(index=table.index, columns=table.columns)
        mask |= forced.fillna(False).astype(bool)
    groups = table.groupby(list(within), sort=False, dropna=False).groups if within else {None: table.index}
    summed = [*counts, *additive]
    lines: list[list[Cell]] = []
    totals: set[Cell] = set()
    for rows in groups.values():
        for column in summed:
            line = [(row, column) for row in rows]
            lines.append(line)
            totals.update((row, column) for row in rows if is_total.iat[row])
    while True:
        grown = spread_to_derived(secondary_mask(table, mask, lines, totals), derived)
        if grown.equals(mask):
            break
        mask = grown
    for column, behind in (order_statistics or {}).items():
        mask[column] |= too_few_for_order_statistic(table[behind], rules).to_numpy()
    marked = apply_markers(
        table, mask, None if not_applicable is None else not_applicable.reset_index(drop=True)
    )
    marked.index = frame.index
    return marked


@dataclass(frozen=True)
class HiddenMargins:
    """The row and column sums of a grid that must be `c` (see `protect_margins`)."""

    rows: frozenset[Hashable]
    columns: frozenset[Hashable]


def _determinable(equations: np.ndarray, target: np.ndarray) -> bool:
    """Whether `target` · cells can be worked out from the published sums `equations` · cells."""
    if not equations.size:
        return False
    rank = np.linalg.matrix_rank(equations)
    return bool(np.linalg.matrix_rank(np.vstack([equations, target])) == rank)


def protect_margins(
    cells: pd.DataFrame, hidden_columns: Collection[Hashable], sensitive_columns: Collection[Hashable]
) -> HiddenMargins:
    """Which row and column sums of `cells` to suppress so no sensitive column can be worked out.

    `cells` is a grid (e.g. s251 line × provision type of spend) whose cells are never published but
    whose row sums, column sums and grand total are (in different tables). A sensitive column (a provision
    type with few placements) must not be recoverable, neither its sum nor any of its cells, from the
    published sums by any arithmetic: each candidate is tested exactly, as a linear combination of the
    published sums (a rank test). While one is recoverable, the smallest published row or column sum
    whose suppression helps is suppressed; the grand total stays published.
    """
    filled = cells.fillna(0)
    positions = [(row, column) for row in filled.index for column in filled.columns if filled.at[row, column]]

    def vector(selected: Collection[tuple[Hashable, Hashable]]) -> np.ndarray:
        return np.array([1.0 if cell in selected else 0.0 for cell in positions])

    row_sums = {row: vector([cell for cell in positions if cell[0] == row]) for row in filled.index}
    column_sums = {
        column: vector([cell for cell in positions if cell[1] == column]) for column in filled.columns
    }
    targets = [
        vector(selected)
        for column in sensitive_columns
        if column in filled.columns
        for selected in (
            [cell for cell in positions if cell[1] == column],
            *([cell] for cell in positions if cell[1] == column),
        )
        if selected
    ]
    hidden_rows: set[Hashable] = set()
    hidden_cols: set[Hashable] = {column for column in hidden_columns if column in filled.columns}

    def recoverable(rows: set[Hashable], columns: set[Hashable]) -> int:
        published = [row_sums[row] for row in row_sums if row not in rows]
        published += [column_sums[column] for column in column_sums if column not in columns]
        published.append(np.ones(len(positions)))
        equations = np.vstack(published)
        return sum(_determinable(equations, target) for target in targets)

    left = recoverable(hidden_rows, hidden_cols)
    while left:
        candidates = sorted(
            [(float(filled.loc[row].sum()), "row", row) for row in filled.index if row not in hidden_rows]
            + [
                (float(filled[column].sum()), "column", column)
                for column in filled.columns
                if column not in hidden_cols
            ],
            key=lambda candidate: (candidate[0], candidate[1], str(candidate[2])),
        )
        if not candidates:
            break
        best = None
        for _value, kind, key in candidates:
            rows = hidden_rows | {key} if kind == "row" else hidden_rows
            columns = hidden_cols | {key} if kind == "column" else hidden_cols
            after = recoverable(rows, columns)
            if after < left:
                best = (rows, columns, after)
                break
        if best is None:  # no single sum helps on its own: take the smallest and look again
            _value, kind, key = candidates[0]
            rows = hidden_rows | {key} if kind == "row" else hidden_rows
            columns = hidden_cols | {key} if kind == "column" else hidden_cols
            best = (rows, columns, recoverable(rows, columns))
        hidden_rows, hidden_cols, left = best
    return HiddenMargins(frozenset(hidden_rows), frozenset(hidden_cols))


def protect_two_way(
    table: pd.DataFrame,
    total_row: Hashable | None = "Total",
    total_column: Hashable | None = "Total",
    rules: Disclosure = DEFAULT_RULES,
) -> pd.DataFrame:
    """Disclosure control for a two-way table of counts (e.g. provision type × primary need).

    Every row and every column is a line adding up to its margin, whether the margins are shown (`Total`
    row/column) or published elsewhere, so secondary suppression runs across rows and down columns.
    """
    if not table.index.is_unique or not table.columns.is_unique:
        raise ValueError("a two-way table needs unique row and column labels")
    counts = list(table.columns)
    mask = primary_mask(table, counts, rules)
    row_lines = [[(row, column) for column in table.columns] for row in table.index]
    column_lines = [[(row, column) for row in table.index] for column in table.columns]
    totals = {
        (row, column)
        for row in table.index
        for column in table.columns
        if row == total_row or column == total_column
    }
    mask = secondary_mask(table, mask, [*row_lines, *column_lines], totals)
    return apply_markers(table, mask)


def add_totals(table: pd.DataFrame, label: str = "Total") -> pd.DataFrame:
    """A two-way table of counts with a `label` row and column of sums appended."""
    with_column = table.assign(**{label: table.sum(axis=1, min_count=1)})
    total_row = with_column.sum(axis=0, min_count=1).to_frame(label).T
    return pd.concat([with_column, total_row])


def unsuppressed_numbers(values: pd.Series) -> pd.Series:
    """A protected column as floats, markers as NaN: what a public chart may draw."""
    return pd.to_numeric(values.where(~values.isin(MARKERS)), errors="coerce").astype("float64")


def describe_rules(rules: Disclosure = DEFAULT_RULES) -> list[str]:
    """The rules above in plain words, with this installation's thresholds: the pack's last page."""
    smallest_hidden = rules.min_count - 1
    counts = f"1 to {smallest_hidden}" if smallest_hidden > 1 else "1"
    return [
        f"This pack is public, so small numbers are protected. A count of {counts} is shown as c; so is "
        "any rate, percentage, ratio or money figure built on it, since it would give the count back.",
        f"A median, minimum or maximum is shown only when at least {rules.min_values_for_median} values lie "
        "behind it; otherwise it is shown as c, because over a few placements it is close to one child's "
        "fee.",
        "Where a hidden figure could be worked out by subtraction from a row or column total, the next "
        "smallest figure in that row or column is hidden too. The same applies across tables: a year's "
        "spend is published both by s251 line and by provision type, so line and type totals are hidden, "
        "smallest first, until no hidden provision type's spend can be worked out from the published totals "
        "by any sum or difference (a type that is the only spend on its line hides its line's total).",
        "Zeros are shown. x = not available; z = not applicable. No record about an individual child "
        "appears in this pack.",
        "Money is in pounds: to the nearest pound in tables, rounded to £0.1k or three significant figures "
        "(£1.00m) in the text. A deficit is a negative balance; a positive variance is an overspend; a "
        "positive gap to plan is better than plan. Financial years run April to March.",
    ]
