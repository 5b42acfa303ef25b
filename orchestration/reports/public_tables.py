"""The one door a figure goes through to reach the public pack: disclosure control, then formatting.

Every table of the public pack is made by `public_table` (long tables) or `public_two_way` (a grid of
counts with totals). Both refuse a child-level column, run disclosure control with the installation's
thresholds before anything is formatted, and return a `Table` of strings.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any

import pandas as pd

from orchestration.config import Disclosure
from orchestration.reports.content import Column, Table
from orchestration.reports.disclosure import add_totals, protect_long, protect_two_way, refuse_child_level
from orchestration.reports.formatting import format_value

TOTAL = "Total"


def format_rows(frame: pd.DataFrame, columns: Sequence[Column]) -> list[list[str]]:
    return [[format_value(row[column.key], column.kind) for column in columns] for _, row in frame.iterrows()]


def protect_for_publication(
    title: str,
    frame: pd.DataFrame,
    *,
    rules: Disclosure,
    counts: Sequence[Hashable] = (),
    derived: Mapping[Hashable, Sequence[Hashable]] | None = None,
    within: Sequence[Hashable] = (),
    total_rows: pd.Series | None = None,
    not_applicable: pd.DataFrame | None = None,
    order_statistics: Mapping[Hashable, Hashable] | None = None,
    additive: Sequence[Hashable] = (),
    hidden: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """`frame` under disclosure control (`disclosure.protect_long`), refused if it holds a child's record."""
    refuse_child_level(frame, title)
    return protect_long(
        frame,
        counts,
        derived,
        within,
        total_rows,
        not_applicable,
        rules=rules,
        order_statistics=order_statistics,
        additive=additive,
        hidden=hidden,
    )


def public_table(
    title: str, frame: pd.DataFrame, columns: Sequence[Column], *, note: str = "", **protection: Any
) -> Table:
    """A long table under disclosure control, formatted for the reader.

    `protection` is `protect_for_publication`'s keywords: the rules, which columns are counts, which
    figures are built on them, which rows are totals, and cells another table forces to `c`.
    """
    protected = protect_for_publication(title, frame, **protection)
    total_rows = protection.get("total_rows")
    is_total = (
        list(pd.Series(total_rows).fillna(False).astype(bool))
        if total_rows is not None
        else [False] * len(frame)
    )
    return Table(title, list(columns), format_rows(protected, columns), is_total, note, protected)


def public_two_way(
    title: str, counts: pd.DataFrame, row_heading: str, *, rules: Disclosure, note: str = ""
) -> Table:
    """A two-way table of counts with totals, under primary and secondary suppression."""
    refuse_child_level(counts, title)
    protected = protect_two_way(add_totals(counts, TOTAL), rules=rules).reset_index(names="_row")
    columns = [
        Column("_row", row_heading),
        *(Column(key, str(key), "count") for key in protected.columns[1:]),
    ]
    is_total = [row == TOTAL for row in protected["_row"]]
    return Table(title, columns, format_rows(protected, columns), is_total, note, protected)
