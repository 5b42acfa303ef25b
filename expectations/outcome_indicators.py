"""What the suite needs to hold a supplied `outcome_indicators` row to the outcomes framework catalogue.

The catalogue (`config/outcomes_framework.yaml`, `orchestration/outcomes_framework.py`) says, per
indicator, the unit (so the range a value may take) and the kind of period. These become columns of the
validation frame, so each rule is one column-level expectation that names the failing rows: a value
below `indicator_value_min` or above `indicator_value_max`, a `period_expected` that is not blank.
"""

from __future__ import annotations

import pandas as pd

from orchestration.outcomes_framework import PERIOD_EXAMPLES, PERIOD_PATTERNS, UNIT_RANGES, shipped_catalogue

VALUE_MIN = "indicator_value_min"
VALUE_MAX = "indicator_value_max"
PERIOD_EXPECTED = "period_expected"
"""Blank when the period is of the indicator's kind (or cannot be judged); else the kind it should be."""
_PERIOD_WORDS = {
    "academic_year": "an academic year",
    "financial_year": "a financial year",
    "month": "a month",
}


def indicator_ids() -> list[str]:
    """Every indicator of the catalogue: a supplied row must name one of them."""
    return sorted(shipped_catalogue().indicators)


def add_indicator_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """The rows with their indicator's value range and, where the period is of another kind, the right one.

    An unknown indicator gets no range and no expected period: it is refused for its id alone.
    """
    indicators = shipped_catalogue().indicators
    units = [
        indicators[i].unit if isinstance(i, str) and i in indicators else None for i in frame["indicator_id"]
    ]
    frame[VALUE_MIN] = pd.array([UNIT_RANGES[u][0] if u else None for u in units], dtype="Float64")
    frame[VALUE_MAX] = pd.array([UNIT_RANGES[u][1] if u else None for u in units], dtype="Float64")
    expected = []
    for indicator_id, period in zip(frame["indicator_id"], frame["period"], strict=True):
        item = indicators.get(indicator_id) if isinstance(indicator_id, str) else None
        if item is None or not isinstance(period, str) or PERIOD_PATTERNS[item.period_type].match(period):
            expected.append(None)
        else:
            expected.append(f"{_PERIOD_WORDS[item.period_type]} like {PERIOD_EXAMPLES[item.period_type]}")
    frame[PERIOD_EXPECTED] = pd.array(expected, dtype="string")
    return frame
