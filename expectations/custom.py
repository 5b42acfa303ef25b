"""Expectations Great Expectations does not ship: the DfE check letter of a Unique Pupil Number.

Importing this module registers the metric and the expectation with Great Expectations.
"""

from __future__ import annotations

from typing import ClassVar

import pandas as pd
from great_expectations.execution_engine import PandasExecutionEngine
from great_expectations.expectations.expectation import ColumnMapExpectation
from great_expectations.expectations.metrics.map_metric_provider import (
    ColumnMapMetricProvider,
    column_condition_partial,
)

from orchestration.parsing.upn import upn_problem


class ColumnValuesAreValidUpns(ColumnMapMetricProvider):
    """True where a value is a 13-character UPN whose check letter matches its digits (DfE algorithm)."""

    condition_metric_name = "column_values.highneeds_valid_upn"

    @column_condition_partial(engine=PandasExecutionEngine)
    def _pandas(cls, column: pd.Series, **kwargs) -> pd.Series:
        # UPNs repeat across a child's placements: decide each distinct value once.
        codes, distinct = pd.factorize(column.astype("str").str.strip().str.upper())
        valid = pd.array([upn_problem(value) is None for value in distinct], dtype="bool")
        return (
            pd.Series(valid.take(codes), index=column.index)
            if len(codes)
            else pd.Series([], index=column.index, dtype="bool")
        )


class ExpectColumnValuesToBeValidUpns(ColumnMapExpectation):
    """Expect column values to be Unique Pupil Numbers with a correct check letter.

    A UPN is a check letter, a 3-digit LA number, a 4-digit establishment number, a 2-digit year and a
    3-digit serial (a temporary UPN ends in a letter). The check letter is the weighted sum of characters
    2–13 (weights 2…13) modulo 23, mapped to `ABCDEFGHJKLMNPQRTUVWXYZ`.
    """

    map_metric: ClassVar[str] = "column_values.highneeds_valid_upn"
    success_keys: ClassVar[tuple[str, ...]] = ("mostly",)
