"""Adjusted p-values for many outcomes: Holm within a programme, Benjamini–Hochberg across the table.

A programme is judged on its one pre-specified primary outcome, tested at the nominal level. Its other
outcomes are secondary: with seven of them, one in three programmes with no effect at all would show a
"significant" secondary outcome by chance, so their p-values are Holm-adjusted within the programme
(family-wise error, no independence assumption; Holm 1979). The q-values (Benjamini & Hochberg 1995)
control the false discovery rate over whatever family they are given, for readers scanning a table.

Missing p-values (estimates that could not be made) stay missing and are not counted in the family.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from statsmodels.stats.multitest import multipletests


def _adjust(p_values: pd.Series, method: str) -> pd.Series:
    known = p_values.notna()
    adjusted = pd.Series(np.nan, index=p_values.index, dtype="float64")
    if known.any():
        adjusted[known] = multipletests(p_values[known].to_numpy(dtype=float), method=method)[1]
    return adjusted


def holm(p_values: pd.Series) -> pd.Series:
    """Holm step-down adjusted p-values (each capped at 1), aligned with the input."""
    return _adjust(p_values, "holm")


def benjamini_hochberg(p_values: pd.Series) -> pd.Series:
    """Benjamini–Hochberg q-values, aligned with the input."""
    return _adjust(p_values, "fdr_bh")


def primary_and_secondary(p_values: pd.Series, is_primary: pd.Series) -> pd.Series:
    """The primary outcome's p-value as it is; secondary outcomes' Holm-adjusted among themselves."""
    adjusted = p_values.astype("float64").copy()
    secondary = ~is_primary.astype(bool)
    adjusted[secondary] = holm(p_values[secondary])
    return adjusted
