"""Type a landing table (all text) to the contract's column types.

Conforming only types values: every column is parsed with `orchestration/parsing/values.py` (each distinct
value once), and a value that cannot be read becomes missing. Whether the file may be loaded is decided by
the Great Expectations suites (`suites.py`), which see both the values as delivered and the typed values, so
every rule (types, codes, required values, ranges, totals, cross-file rules) is checked and reported in one
place.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from orchestration.contract import Dataset
from orchestration.parsing.reading import SOURCE_ROW
from orchestration.parsing.values import PARSERS, as_text


@dataclass
class ConformedTable:
    """Each contract column typed, and as delivered, with `source_row`."""

    frame: pd.DataFrame
    """`source_row` then each contract column typed: money as exact text (`-1234.56`), dates as datetime64,
    whole numbers as Int64, everything else as stripped text; missing where blank or unreadable."""
    as_delivered: pd.DataFrame
    """Each contract column as stripped text, NA where blank (absent optional columns are all NA)."""


def conform_table(raw: pd.DataFrame, dataset: Dataset) -> ConformedTable:
    """Type every contract column of landing rows (a batch of chunks of files); never refuses anything.

    Typing many files at once parses each distinct value once for all of them, and pays pandas' fixed cost
    per column once per batch instead of once per file.
    """
    typed = pd.DataFrame({SOURCE_ROW: raw[SOURCE_ROW].astype("int64")}, index=raw.index)
    as_delivered = pd.DataFrame(index=raw.index)
    for column in dataset.columns:
        if column.name in raw:
            text = as_text(raw[column.name])
        else:  # an optional column the file leaves out (the reader refuses missing required ones)
            text = pd.Series(pd.NA, index=raw.index, dtype="str")
        as_delivered[column.name] = text
        typed[column.name] = PARSERS[column.type](text).values if column.type in PARSERS else text
    return ConformedTable(frame=typed, as_delivered=as_delivered)
