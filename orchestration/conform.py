"""Conform a landing table (all text) to the contract's column types.

Conforming only types values: every column is parsed with `parsing/values.py`, and a value that cannot be
read becomes missing, with its column's `invalid` mask saying so. Whether the file may be loaded is decided
by the Great Expectations suites (`expectations/`, run by `orchestration/quality/`), which see both the
values as delivered and the typed values, so every rule (types, codes, required values, ranges, totals,
cross-file rules) is checked and reported in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from orchestration.contract import Dataset, LandingFile
from orchestration.parsing.reading import SOURCE_ROW, RawTable
from orchestration.parsing.values import PARSERS, as_text


@dataclass
class ConformedTable:
    """Typed columns (contract names) plus `source_row`, the same columns as delivered, and the extras."""

    frame: pd.DataFrame
    """`source_row` then each contract column typed: money as exact text (`-1234.56`), dates as datetime64,
    whole numbers as Int64, everything else as stripped text; missing where blank or unreadable."""
    extras: pd.DataFrame
    extra_columns: list[str]
    as_delivered: pd.DataFrame = field(default_factory=pd.DataFrame)
    """Each contract column as stripped text, NA where blank (absent optional columns are all NA)."""
    invalid: dict[str, pd.Series] = field(default_factory=dict)
    """For parsed columns: True where a value was given but could not be read as the column's type."""
    warnings: list[str] = field(default_factory=list)


def conform_table(raw_table: RawTable, landing_file: LandingFile) -> ConformedTable:
    """Type every contract column of a landing table (or one chunk of it); never refuses anything."""
    dataset: Dataset = landing_file.dataset
    raw = raw_table.frame
    typed = pd.DataFrame({SOURCE_ROW: raw[SOURCE_ROW].astype("int64")}, index=raw.index)
    as_delivered = pd.DataFrame(index=raw.index)
    invalid: dict[str, pd.Series] = {}
    for column in dataset.columns:
        if column.name in raw:
            text = as_text(raw[column.name])
        else:  # an optional column the file leaves out (the reader refuses missing required ones)
            text = pd.Series(pd.NA, index=raw.index, dtype="str")
        as_delivered[column.name] = text
        if column.type in PARSERS:
            parsed = PARSERS[column.type](text)
            typed[column.name] = parsed.values
            invalid[column.name] = parsed.invalid
        else:
            typed[column.name] = text
    known = set(dataset.column_names) | {SOURCE_ROW}
    extra_columns = [name for name in raw.columns if name not in known]
    return ConformedTable(
        frame=typed,
        extras=raw[extra_columns],
        extra_columns=extra_columns,
        as_delivered=as_delivered,
        invalid=invalid,
    )
