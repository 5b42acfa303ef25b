"""How the pack writes a table's cells, months and year ends for a reader: `£12,346`, `2.35`, `October 2025`.

Every text value is passed through `neutralise_formula`, so a label copied from the pack into a
spreadsheet cannot run as a formula. Disclosure markers (`c`, `x`, `z`) pass through unchanged.
"""

from __future__ import annotations

import math
from numbers import Number

import pandas as pd

from orchestration.parsing.safe_text import neutralise_formula
from orchestration.reports.disclosure import MARKERS, NOT_AVAILABLE
from orchestration.reports.money import money_pounds

KINDS = ("text", "count", "money", "rate", "pct", "ratio", "fte", "number", "estimate", "p_value")
"""How a column's values are written: `money` to the pound, `rate` and `ratio` to 2 places, and so on."""


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def format_value(value: object, kind: str) -> str:
    """One cell as the reader sees it; markers as they are, blanks as `x`."""
    if isinstance(value, str) and value in MARKERS:
        return value
    if _is_blank(value):
        return NOT_AVAILABLE
    if kind == "text" or not isinstance(value, Number):
        return neutralise_formula(str(value))
    number = float(value)  # type: ignore[arg-type]
    if math.isinf(number):
        return NOT_AVAILABLE
    if abs(number) < 0.005:
        number = 0.0  # a tiny negative would print as -0.00
    if kind == "money":
        return money_pounds(number)
    if kind == "count":
        return f"{number:,.0f}" if number == round(number) else f"{number:,.1f}"
    if kind == "pct":
        return f"{number:,.1f}%"
    if kind == "p_value":
        return "<0.001" if number < 0.001 else f"{number:.3f}"
    if kind in ("rate", "ratio", "estimate"):
        return f"{number:,.2f}"
    if kind == "fte":
        return f"{number:,.1f}"
    return f"{number:,.3g}" if abs(number) < 1 else f"{number:,.2f}"


def month_label(month: str) -> str:
    """`2025-10` → `October 2025`."""
    return pd.Period(month, freq="M").strftime("%B %Y")


def year_end_label(financial_year: str) -> str:
    """`2025-26` → `31 March 2026`."""
    return f"31 March {int(financial_year[:4]) + 1}"
