"""What every section of the pack needs: its registry entry, and reading a mart it cannot do without."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pandas as pd

from orchestration.reports.content import NotAvailable, Section
from orchestration.reports.data import PackData


@dataclass(frozen=True)
class SectionSpec:
    """A section of the pack: its anchor, its heading, and the function that fills it from the marts.

    `build` gets an empty `Section` with the key and title set and returns it filled; it raises
    `NotAvailable` when its data is not there yet, and the pack prints the reason in its place.
    """

    key: str
    title: str
    build: Callable[[PackData, Section], Section]


def require(data: PackData, name: str, columns: Sequence[str], what: str) -> pd.DataFrame:
    """The mart `name` as at the pack's month, or `NotAvailable` saying in plain words what is missing."""
    frame = data.table(name)
    if frame is None:
        raise NotAvailable(f"{what} is not available yet: {data.missing.get(name, f'no {name} table')}.")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise NotAvailable(
            f"{what} is not available yet: the {name} table has no {', '.join(missing)} column."
        )
    if frame.empty:
        raise NotAvailable(f"{what} is not available yet: the {name} table has no rows up to {data.month}.")
    return frame


def numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def total_of(values: pd.Series) -> float:
    """The sum, NaN when every value is blank (so a missing figure reads `x`, not £0)."""
    return float(numbers(values).sum(min_count=1)) if len(values) else float("nan")


def line_sort_key(line: object) -> tuple[int, ...]:
    """s251 lines in their published order: 1.0.2 before 1.2.1 before 1.2.13."""
    try:
        return tuple(int(part) for part in str(line).split("."))
    except ValueError:
        return (999,)
