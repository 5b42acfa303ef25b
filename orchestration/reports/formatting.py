"""How the pack writes numbers, months and codes for a reader: `£12,345.67`, `2.35`, `October 2025`.

Every text value is passed through `neutralise_formula`, so a label copied from the pack into a
spreadsheet cannot run as a formula. Disclosure markers (`c`, `x`, `z`) pass through unchanged.
"""

from __future__ import annotations

import csv
import math
from functools import cache
from numbers import Number

import pandas as pd

from orchestration.parsing.safe_text import neutralise_formula
from orchestration.reports.disclosure import MARKERS, NOT_AVAILABLE
from orchestration.settings import DBT_PROJECT_DIR

KINDS = ("text", "count", "money", "rate", "pct", "ratio", "fte", "number", "estimate", "p_value")
"""How a column's values are written: `money` as £12,345.67, `rate` and `ratio` to 2 places, and so on."""


def _is_blank(value: object) -> bool:
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value: float) -> str:
    """`£12,345.67`, `-£1,234.50`: pounds with two decimals, the sign before the pound sign."""
    return f"-£{abs(value):,.2f}" if value < 0 else f"£{value:,.2f}"


def money_millions(value: float) -> str:
    """`£12.3m`: for sentences and chart labels, where pence would only get in the way."""
    return f"-£{abs(value) / 1e6:,.1f}m" if value < 0 else f"£{value / 1e6:,.1f}m"


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
    if kind == "money":
        return money(number)
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


@cache
def _seed(name: str, key: str, label: str) -> dict[str, str]:
    path = DBT_PROJECT_DIR / "seeds" / f"{name}.csv"
    if not path.exists():
        return {}
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[key]: row[label] for row in csv.DictReader(handle) if row.get(key)}


def s251_name(line: object) -> str:
    """The s251 line's name from the dbt seed (the one list of reference codes), else the line itself."""
    return _seed("s251_lines", "s251_line", "s251_name").get(str(line), str(line))


def provision_name(code: object) -> str:
    """`special_independent` → `independent special school`; blank → `not a placement`."""
    if _is_blank(code):
        return "not a placement (services, targeted funding)"
    return _seed("provision_types", "provision_type", "provision_name").get(
        str(code), str(code).replace("_", " ")
    )


def need_name(code: object) -> str:
    """`SEMH` → `SEMH (social, emotional and mental health)`."""
    name = _seed("sen_need_codes", "primary_need", "need_name").get(str(code))
    return f"{code} ({name})" if name else str(code)


def humanise(code: object) -> str:
    """`suspension_rate_ehcp` → `suspension rate ehcp`: codes a reader can read without a glossary."""
    return str(code).replace("_", " ")
