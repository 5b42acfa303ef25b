"""Statistical disclosure control for the public Schools Forum pack (reference.md, DfE/GSS practice).

Schools Forum papers are public, so every table in the public pack goes through these functions:

- **primary suppression**: a count of 1 to 4 is shown as `c`; zeros are shown;
- **derived figures**: a rate, percentage, ratio or money figure built on a suppressed count is `c` too,
  since it would give the count back (rate × headcount);
- **secondary suppression**: a table's rows and columns add up to totals that are published (in the table
  or elsewhere in the pack), so a line holding exactly one `c` would give it back by subtraction. The next
  smallest cell of that line (a non-zero interior cell before a zero, a total only as a last resort) is
  suppressed too, and the lines are checked again until none holds a single `c`;
- markers: `x` not available (NULL), `z` not applicable (e.g. a risk ratio of the whole population).

All functions are pure: they take DataFrames and return new ones whose suppressed cells hold the marker
strings and whose other cells keep their numbers, so formatting stays the writer's job.
"""

from __future__ import annotations

from collections.abc import Collection, Hashable, Mapping, Sequence

import numpy as np
import pandas as pd

SUPPRESSED = "c"
NOT_AVAILABLE = "x"
NOT_APPLICABLE = "z"
MARKERS = (SUPPRESSED, NOT_AVAILABLE, NOT_APPLICABLE)
SMALLEST_COUNT_SHOWN = 5
"""Counts above 0 and below this are suppressed (1–4; a fractional mean headcount below 5 too)."""

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


def is_small_count(values: pd.Series) -> pd.Series:
    """True where a count is above zero and below 5: the counts that are never published."""
    numeric = pd.to_numeric(values, errors="coerce").astype("float64")
    return ((numeric > 0) & (numeric < SMALLEST_COUNT_SHOWN)).fillna(False).astype(bool)


def primary_mask(frame: pd.DataFrame, counts: Sequence[Hashable]) -> pd.DataFrame:
    """A boolean frame shaped like `frame`: True on each count cell of 1–4."""
    mask = pd.DataFrame(False, index=frame.index, columns=frame.columns)
    for column in counts:
        mask[column] = is_small_count(frame[column]).to_numpy()
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
    published_sums: Sequence[Sequence[int]] = (),
) -> pd.DataFrame:
    """Disclosure control for a long table: one row per group, count columns plus figures built on them.

    Each count column, within each group of rows sharing the `within` columns, is a line adding up to a
    total (the group's `total_rows` row where the table shows one, else a total published elsewhere), so
    secondary suppression runs down each count column of each group. Count columns of one row are not
    added across (starters, leavers and headcounts are not parts of a whole). `published_sums` lists
    further sets of rows (by position) whose sum is published in another table, e.g. the provision types
    paid from one s251 line, whose line total the pack shows: each is a line too.
    """
    derived = dict(derived or {})
    table = frame.reset_index(drop=True)
    is_total = (
        pd.Series(total_rows).reset_index(drop=True).fillna(False).astype(bool)
        if total_rows is not None
        else pd.Series(False, index=table.index)
    )
    mask = primary_mask(table, counts)
    groups = table.groupby(list(within), sort=False, dropna=False).groups if within else {None: table.index}
    lines: list[list[Cell]] = []
    totals: set[Cell] = set()
    for rows in groups.values():
        for column in counts:
            line = [(row, column) for row in rows]
            lines.append(line)
            totals.update((row, column) for row in rows if is_total.iat[row])
    for column in counts:
        lines += [[(table.index[row], column) for row in rows] for rows in published_sums if len(rows) > 1]
    mask = secondary_mask(table, mask, lines, totals)
    mask = spread_to_derived(mask, derived)
    marked = apply_markers(
        table, mask, None if not_applicable is None else not_applicable.reset_index(drop=True)
    )
    marked.index = frame.index
    return marked


def protect_two_way(
    table: pd.DataFrame,
    total_row: Hashable | None = "Total",
    total_column: Hashable | None = "Total",
) -> pd.DataFrame:
    """Disclosure control for a two-way table of counts (e.g. provision type × primary need).

    Every row and every column is a line adding up to its margin, whether the margins are shown (`Total`
    row/column) or published elsewhere, so secondary suppression runs across rows and down columns.
    """
    if not table.index.is_unique or not table.columns.is_unique:
        raise ValueError("a two-way table needs unique row and column labels")
    counts = list(table.columns)
    mask = primary_mask(table, counts)
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
