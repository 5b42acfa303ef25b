"""Stop text from landing files running as a formula when a published CSV or workbook is opened.

A description such as `=HYPERLINK("http://…")` or `@SUM(…)` typed into a finance system would be executed
by Excel when a report is opened (CSV/formula injection). Every output writer passes free text through
`neutralise_formula(s)`, which prefixes a `'` so the spreadsheet shows the text as typed. Plain numbers such
as `-12.50` (a credit) or `+5` start with the same characters but are values, not formulas, so they are
left alone: prefixing them would turn money into text in the published file.
"""

from __future__ import annotations

import re

import pandas as pd

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
"""What Excel, LibreOffice and Google Sheets treat as the start of a formula (or hide before one)."""

_PLAIN_NUMBER = r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)?(?:\.\d+)?"
_PLAIN_NUMBER_RE = re.compile(rf"^{_PLAIN_NUMBER}$")
_FORMULA_START = r"^[=+\-@\t\r]"


def _is_plain_number(text: str) -> bool:
    return bool(_PLAIN_NUMBER_RE.match(text)) and any(c.isdigit() for c in text)


def neutralise_formula(text: str) -> str:
    """`text` with a leading `'` when a spreadsheet would read it as a formula; unchanged otherwise."""
    if text.startswith(FORMULA_STARTS) and not _is_plain_number(text):
        return "'" + text
    return text


def neutralise_formulas(series: pd.Series) -> pd.Series:
    """`neutralise_formula` over a column, vectorised; numbers and NA pass through unchanged."""
    if not (isinstance(series.dtype, pd.StringDtype) or series.dtype == object):
        return series
    is_text = series.map(lambda v: isinstance(v, str)) if series.dtype == object else series.notna()
    text = series.where(is_text).astype("str")
    risky = (
        text.str.contains(_FORMULA_START, regex=True)
        & ~(text.str.fullmatch(_PLAIN_NUMBER) & text.str.contains(r"\d", regex=True))
    ).fillna(False).astype(bool) & is_text
    if not risky.any():
        return series
    result = series.copy()
    result[risky] = "'" + text[risky]
    return result
