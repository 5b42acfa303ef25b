"""Turn landing-file text into typed values, and say in plain English why a value was refused.

Files reach a million rows, so every parser is vectorised: it works on the *distinct* values of a column
(dates, months, years and codes repeat a lot) with pandas string methods, and maps the answers back to
the rows. Patterns spell digits and spaces out (`[0-9]`; a space, a tab or a no-break space) rather than
use the shorthand classes, so that pandas runs them in Arrow's RE2 engine, not value by value in Python.
Each parser returns a `ParseResult`:

- `values`: the parsed values, missing (NA/NaT) where the cell was blank or invalid;
- `invalid`: True where a value is present but cannot be read, so the caller can name the exact rows;
- `reasons`: for invalid rows, why, in words a finance officer understands (NA elsewhere);
- `blank`: True where the cell was empty or spaces only. Blank means unknown, never zero.

Types of `values`, chosen so nothing is lost on the way to the warehouse:

- money: text normalised as `-1234.56` (always two decimals, no `£`, no separators, `-` for credits),
  so the loader casts it straight to `DECIMAL(18,2)` and pennies stay exact when DuckDB sums them; a float
  would not. `money_to_pence` gives int64 pence for range checks in pandas (non-zero, ≥ 0);
- date: `datetime64` at midnight (NaT when blank or invalid);
- month `2025-10`, financial year `2025-26`, academic year `2025/26`, UPN, URN: normalised text;
- int: nullable `Int64`. `-1` parses (it is a whole number); whether it is allowed is the caller's rule.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from orchestration.parsing.upn import upn_problem

TEXT = "str"
"""pandas' text dtype (pyarrow-backed in pandas 3): fast string methods, NA for missing."""


@dataclass(frozen=True)
class ParseResult:
    """Parsed values of one column, and which rows could not be read and why."""

    values: pd.Series
    invalid: pd.Series
    reasons: pd.Series
    blank: pd.Series

    @property
    def n_invalid(self) -> int:
        return int(self.invalid.sum())

    def problems(self) -> pd.Series:
        """The reason for each invalid row, indexed like the input (empty when everything parsed)."""
        return self.reasons[self.invalid]


# --------------------------------------------------------------------------------------------- text input


def number_text(value: float | int) -> str:
    """A number as a person would type it: `12` not `12.0`, `1234.56` not `1234.5600000000002`.

    Excel keeps 15 significant digits, so anything beyond that is binary noise from a calculation and is
    dropped; the result never uses exponent notation (`0.0000001`, not `1e-07`).
    """
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | np.integer):
        return str(int(value))
    value = float(value)
    if not np.isfinite(value):
        return str(value)
    if value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    text = format(Decimal(format(value, ".15g")), "f")
    return text.rstrip("0").rstrip(".") if "." in text else text


def _cell_text(value: object) -> str | None:
    """One non-text cell value (from a DataFrame built in code, or Excel) as text; None when empty."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):  # includes pd.Timestamp
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and np.isnan(value):
        return None
    if isinstance(value, int | float | np.integer | np.floating | bool):
        return number_text(value)
    return str(value)


def as_text(series: pd.Series) -> pd.Series:
    """Any column as stripped text with NA for blanks: what every parser starts from.

    Landing tables arrive as text already; Timestamps, numbers and None come from Excel cells or from
    DataFrames built in code, and are turned into the text a person would have typed.
    """
    if isinstance(series.dtype, pd.StringDtype):
        text = series.astype(TEXT)
    elif pd.api.types.is_datetime64_any_dtype(series.dtype):
        text = series.dt.strftime("%Y-%m-%d %H:%M:%S").astype(TEXT)
    else:
        codes, uniques = pd.factorize(series, use_na_sentinel=True)
        converted = pd.array([_cell_text(v) for v in uniques], dtype=TEXT)
        text = pd.Series(converted.take(codes, allow_fill=True), index=series.index, dtype=TEXT)
    text = text.str.strip()
    return text.where(text != "")


# ------------------------------------------------------------------------------------- shared machinery

_Parsed = tuple[pd.Series, pd.Series]
"""(values, reasons) for a Series of distinct, stripped, non-blank texts; reasons NA where valid."""


def _parse_distinct(series: pd.Series, parse: Callable[[pd.Series], _Parsed]) -> ParseResult:
    """Parse each distinct value once and map the answers back to every row."""
    text = as_text(series)
    codes, uniques = pd.factorize(text, use_na_sentinel=True)
    distinct = pd.Series(uniques, dtype=TEXT)
    values, reasons = parse(distinct)
    values = values.where(reasons.isna())
    name, index = series.name, series.index
    row_values = pd.Series(values.array.take(codes, allow_fill=True), index=index, name=name)
    row_reasons = pd.Series(reasons.array.take(codes, allow_fill=True), index=index, dtype=TEXT, name=name)
    invalid = row_reasons.notna()
    blank = pd.Series(codes == -1, index=index, name=name)
    return ParseResult(values=row_values, invalid=invalid, reasons=row_reasons, blank=blank)


def _first_reason(distinct: pd.Series, checks: list[tuple[pd.Series, pd.Series | str | None]]) -> pd.Series:
    """The reason of the first check that is True for each value; checks go from most specific to least.

    A check whose reason is None marks values as valid, so later checks no longer apply to them.
    """
    reasons = pd.Series(pd.NA, index=distinct.index, dtype=TEXT)
    decided = pd.Series(False, index=distinct.index)
    for mask, reason in checks:
        applies = mask.fillna(False).astype(bool) & ~decided
        if isinstance(reason, str):
            reasons = reasons.mask(applies, reason)
        elif reason is not None:  # a reason built from the value's parts; never let a gap read as valid
            reasons = reasons.mask(applies, reason.astype(TEXT).fillna("not a valid value"))
        decided |= applies
    return reasons


# ------------------------------------------------------------------------------------------------ money

_POUND = r"(?:Â?£[ \t\xa0]*)"  # `Â£` is a pound sign mangled by a double encoding somewhere upstream
_NUM = r"(?:(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]{1,2})?|\.[0-9]{1,2})"
_MONEY = (
    rf"-?[ \t\xa0]*{_POUND}?{_NUM}"  # 1234.56  -1,234.56  £1,234.56  -£5
    rf"|{_POUND}-[ \t\xa0]*{_NUM}"  # £-5
    rf"|\([ \t\xa0]*{_POUND}?{_NUM}[ \t\xa0]*\)"  # (1,234.56)  (£5)
    rf"|{_POUND}\([ \t\xa0]*{_NUM}[ \t\xa0]*\)"  # £(5)
)
MAX_MONEY_INTEGER_DIGITS = 16
"""DECIMAL(18,2) holds 16 digits before the point; nothing in a High Needs block comes near it."""

MONEY_FORMS = "write it like 1234.56, £1,234.56, -1234.56 or (1,234.56)"
REASON_MONEY = f"not an amount of money in pounds ({MONEY_FORMS})"
REASON_MONEY_DECIMALS = "money with more than 2 decimal places (pounds and pence only)"
REASON_MONEY_SEPARATORS = (
    "money with a comma in the wrong place: commas may only separate thousands (1,234.56); "
    "decimal commas like 12,50 are not accepted"
)
REASON_MONEY_TOO_LARGE = "an amount of money too large to be real (more than 16 digits before the point)"


def _parse_money_distinct(distinct: pd.Series) -> _Parsed:
    valid_shape = distinct.str.fullmatch(_MONEY)
    negative = distinct.str.contains(r"[-(]", regex=True)
    parts = distinct.str.replace(r"[^0-9.]", "", regex=True).str.extract(
        r"^(?P<int>[0-9]*)(?:\.(?P<dec>[0-9]*))?$"
    )
    integer = parts["int"].fillna("").str.lstrip("0")
    integer = integer.where(integer != "", "0")
    decimals = parts["dec"].fillna("").str.pad(2, side="right", fillchar="0")
    is_zero = (integer == "0") & (decimals == "00")
    sign = pd.Series("", index=distinct.index, dtype=TEXT).mask(negative & ~is_zero, "-")
    values = (sign + integer + "." + decimals).astype(TEXT)

    too_many_decimals = distinct.str.replace(r"(\.[0-9]{2})[0-9]+", r"\1", regex=True).str.fullmatch(_MONEY)
    misplaced_commas = distinct.str.contains(",", regex=False) & distinct.str.replace(
        ",", "", regex=False
    ).str.fullmatch(_MONEY)
    reasons = _first_reason(
        distinct,
        [
            (valid_shape & (integer.str.len() > MAX_MONEY_INTEGER_DIGITS), REASON_MONEY_TOO_LARGE),
            (valid_shape, None),
            (too_many_decimals, REASON_MONEY_DECIMALS),
            (misplaced_commas, REASON_MONEY_SEPARATORS),
            (~valid_shape, REASON_MONEY),
        ],
    )
    return values, reasons


def parse_money(series: pd.Series) -> ParseResult:
    """Pounds with up to 2 decimals → text like `-1234.56` (see the module docstring for why text).

    Accepts `£`, thousands separators, accounting negatives `(1,234.56)`, a leading minus (`-£5` or
    `£-5`) and surrounding spaces. Refuses more than 2 decimals (`1.234` may be a thousand and something
    written the continental way, or a unit price: either way not pounds and pence), commas not grouping
    thousands (`12,34`), letters, empty brackets and a trailing minus.
    """
    return _parse_distinct(series, _parse_money_distinct)


def money_to_pence(values: pd.Series) -> pd.Series:
    """Normalised money text (from `parse_money`) → nullable int64 pence, exact, for checks in pandas."""
    return values.astype(TEXT).str.replace(".", "", regex=False).astype("Int64")


# ------------------------------------------------------------------------------------------------ dates

# Excel datetimes arrive as `2025-10-03 00:00:00`
_TIME = r"(?:[ T][0-9]{2}:[0-9]{2}(?::[0-9]{2}(?:\.[0-9]+)?)?)?"
_ISO_DATE = rf"^(?P<y>[1-9][0-9]{{3}})-(?P<m>[0-9]{{2}})-(?P<d>[0-9]{{2}}){_TIME}$"
_UK_DATE = rf"^(?P<d>[0-9]{{1,2}})/(?P<m>[0-9]{{1,2}})/(?P<y>[1-9][0-9]{{3}}){_TIME}$"
_TWO_DIGIT_YEAR = rf"[0-9]{{1,2}}/[0-9]{{1,2}}/[0-9]{{2}}{_TIME}"

REASON_DATE = "not a date in YYYY-MM-DD or DD/MM/YYYY form"
REASON_DATE_TWO_DIGIT_YEAR = "a two-digit year is ambiguous: write the year in full (DD/MM/YYYY)"
_MONTH_NAMES = pd.Series(
    [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    index=[f"{m:02d}" for m in range(1, 13)],
)


def _date_parts(distinct: pd.Series) -> pd.DataFrame:
    iso = distinct.str.extract(_ISO_DATE)
    uk = distinct.str.extract(_UK_DATE)
    parts = iso.fillna(uk[["y", "m", "d"]])
    parts["uk"] = uk["y"].notna()
    parts["m"] = parts["m"].str.pad(2, fillchar="0")
    parts["d"] = parts["d"].str.pad(2, fillchar="0")
    return parts


def _parse_date_distinct(distinct: pd.Series) -> _Parsed:
    parts = _date_parts(distinct)
    shaped = parts["y"].notna()
    values = pd.to_datetime(
        parts["y"] + "-" + parts["m"] + "-" + parts["d"], format="%Y-%m-%d", errors="coerce"
    )
    month_number = pd.to_numeric(parts["m"], errors="coerce")
    bad_month = shaped & ~month_number.between(1, 12)
    month_name = parts["m"].map(_MONTH_NAMES).astype(TEXT)
    day_missing = "there is no day " + parts["d"].str.lstrip("0") + " in " + month_name + " " + parts["y"]
    month_missing = "there is no month " + parts["m"].str.lstrip("0") + " in a year"
    us_order = "; dates are read day first (DD/MM/YYYY), never US month-first"
    reasons = _first_reason(
        distinct,
        [
            (distinct.str.fullmatch(_TWO_DIGIT_YEAR), REASON_DATE_TWO_DIGIT_YEAR),
            (bad_month & parts["uk"], month_missing + us_order),
            (bad_month, month_missing),
            (shaped & values.isna(), day_missing),
            (~shaped, REASON_DATE),
        ],
    )
    return values, reasons


def parse_date(series: pd.Series) -> ParseResult:
    """ISO `YYYY-MM-DD` or UK `DD/MM/YYYY` (also `D/M/YYYY`) → datetime64 at midnight.

    Never US order: `12/31/2023` is refused (there is no month 31) rather than guessed, and `03/04/21` is
    refused because a two-digit year could be 1921 or 2021. A time after the date (Excel datetimes come as
    `2025-10-03 00:00:00`) is accepted and dropped. Impossible dates such as 29/02/2023 are invalid.
    """
    return _parse_distinct(series, _parse_date_distinct)


# ------------------------------------------------------------------------------------------------ months

_MONTH = r"^(?P<y>[1-9][0-9]{3})-(?P<m>[0-9]{2})(?:-01(?:[ T]00:00(?::00)?)?)?$"
REASON_MONTH = "not a month in YYYY-MM form (e.g. 2025-10)"


def _parse_month_distinct(distinct: pd.Series) -> _Parsed:
    parts = distinct.str.extract(_MONTH)
    shaped = parts["y"].notna()
    month_ok = pd.to_numeric(parts["m"], errors="coerce").between(1, 12)
    values = (parts["y"] + "-" + parts["m"]).astype(TEXT)
    reasons = _first_reason(
        distinct,
        [
            (shaped & ~month_ok, "there is no month " + parts["m"].str.lstrip("0") + " in a year"),
            (~shaped, REASON_MONTH),
        ],
    )
    return values, reasons


def parse_month(series: pd.Series) -> ParseResult:
    """`YYYY-MM` → normalised `YYYY-MM` text.

    The first day of a month (`2025-10-01`, optionally `00:00:00`) is read as that month too, because
    Excel turns a typed `2025-10` into the date 1 October 2025; any other day is refused.
    """
    return _parse_distinct(series, _parse_month_distinct)


# ------------------------------------------------------------------------------------------ whole numbers

_INT = r"^(?P<sign>-?)(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.0+)?$"
MAX_INT_DIGITS = 18
REASON_INT = "not a whole number (e.g. 12)"
REASON_INT_FRACTION = "not a whole number: it has a fraction"
REASON_INT_TOO_LARGE = "a whole number too large to be a count (more than 18 digits)"


def _parse_int_distinct(distinct: pd.Series) -> _Parsed:
    parts = distinct.str.extract(_INT)
    shaped = parts["digits"].notna()
    digits = parts["digits"].str.replace(",", "", regex=False).str.lstrip("0")
    digits = digits.where((digits != "") | ~shaped, "0")
    too_large = shaped & (digits.str.len() > MAX_INT_DIGITS)
    text = (parts["sign"] + digits).where(shaped & ~too_large & (digits != "0"), "0")
    values = text.where(shaped & ~too_large).astype("Int64")
    fraction = distinct.str.fullmatch(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?\.[0-9]*[1-9][0-9]*")
    reasons = _first_reason(
        distinct,
        [(too_large, REASON_INT_TOO_LARGE), (fraction, REASON_INT_FRACTION), (~shaped, REASON_INT)],
    )
    return values, reasons


def parse_int(series: pd.Series) -> ParseResult:
    """Whole numbers → nullable Int64. `12`, `12.0` (how Excel writes a count), `1,234` and `-1` parse.

    Negative numbers are read, not refused: "counts are ≥ 0" is a rule of the dataset, checked by the
    caller so that it can say which rule was broken. `1.5` is refused.
    """
    return _parse_distinct(series, _parse_int_distinct)


# ------------------------------------------------------------------------------------------------- years

REASON_FINANCIAL_YEAR = "not a financial year written like 2025-26"
REASON_ACADEMIC_YEAR = "not an academic year written like 2025/26"


def _year_pair(distinct: pd.Series, separator: str, reason: str, other_separator: str, other: str) -> _Parsed:
    parts = distinct.str.extract(rf"^(?P<a>[1-9][0-9]{{3}}){separator}(?P<b>[0-9]{{2}})$")
    shaped = parts["a"].notna()
    first = pd.to_numeric(parts["a"], errors="coerce")
    second = pd.to_numeric(parts["b"], errors="coerce")
    consecutive = shaped & ((first + 1) % 100 == second)
    values = (parts["a"] + separator + parts["b"]).astype(TEXT)
    expected = (first + 1).astype("Int64").astype(TEXT).str[-2:]
    looks_like_other = distinct.str.fullmatch(rf"[1-9][0-9]{{3}}{other_separator}[0-9]{{2}}")
    reasons = _first_reason(
        distinct,
        [
            (
                shaped & ~consecutive,
                "the second year must follow the first (" + parts["a"] + separator + expected + ")",
            ),
            (looks_like_other, f"{reason}: {other}"),
            (~shaped, reason),
        ],
    )
    return values, reasons


def parse_financial_year(series: pd.Series) -> ParseResult:
    """April–March years written `2025-26` (second part = first + 1) → normalised text."""
    return _parse_distinct(
        series,
        lambda d: _year_pair(
            d, "-", REASON_FINANCIAL_YEAR, "/", "2025/26 is how an academic year is written"
        ),
    )


def parse_academic_year(series: pd.Series) -> ParseResult:
    """September–August years written `2025/26` (second part = first + 1) → normalised text."""
    return _parse_distinct(
        series,
        lambda d: _year_pair(d, "/", REASON_ACADEMIC_YEAR, "-", "2025-26 is how a financial year is written"),
    )


# ------------------------------------------------------------------------------------- numbers and periods

_NUMBER = (
    r"^(?P<sign>[-+]?)(?P<digits>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)?(?P<fraction>\.[0-9]+)?(?P<percent>%?)$"
)
REASON_NUMBER = "not a number (e.g. 12.5)"


def _parse_number_distinct(distinct: pd.Series) -> _Parsed:
    parts = distinct.str.extract(_NUMBER)
    shaped = parts["digits"].notna() | parts["fraction"].notna()
    text = (
        parts["sign"].fillna("")
        + parts["digits"].fillna("0").str.replace(",", "")
        + parts["fraction"].fillna("")
    )
    values = pd.to_numeric(text.where(shaped), errors="coerce").astype("Float64")
    reasons = _first_reason(distinct, [(~shaped, REASON_NUMBER)])
    return values, reasons


def parse_number(series: pd.Series) -> ParseResult:
    """Any decimal number (`12`, `-0.5`, `1,234.5`; a trailing `%` is ignored) → Float64.

    For indicator values, rates and percentages, where money's 2-decimal rule would be wrong.
    """
    return _parse_distinct(series, _parse_number_distinct)


REASON_PERIOD = (
    "not a period: write an academic year (2025/26), a financial year (2025-26) or a month (2025-10)"
)


def _parse_period_distinct(distinct: pd.Series) -> _Parsed:
    parsed = [
        _year_pair(distinct, "/", REASON_ACADEMIC_YEAR, "-", ""),
        _year_pair(distinct, "-", REASON_FINANCIAL_YEAR, "/", ""),
        _parse_month_distinct(distinct),
    ]
    values = pd.Series(pd.NA, index=distinct.index, dtype=TEXT)
    for candidate, reasons in parsed:
        values = values.where(values.notna() | reasons.notna(), candidate)
    reasons = _first_reason(distinct, [(values.isna(), REASON_PERIOD)])
    return values, reasons


def parse_period(series: pd.Series) -> ParseResult:
    """An indicator's period: academic year `2025/26`, financial year `2025-26` or month `2025-10`."""
    return _parse_distinct(series, _parse_period_distinct)


# --------------------------------------------------------------------------------------------- identifiers


def _parse_upn_distinct(distinct: pd.Series) -> _Parsed:
    values = distinct.str.upper()
    reasons = pd.Series([upn_problem(v) for v in values], index=distinct.index, dtype=TEXT)
    return values, reasons


def parse_upn(series: pd.Series) -> ParseResult:
    """Unique Pupil Numbers (upper-cased) with the DfE check letter verified; reasons never show the UPN."""
    return _parse_distinct(series, _parse_upn_distinct)


REASON_URN = "not a 6-digit URN or an 8-digit UKPRN"


def _parse_urn_distinct(distinct: pd.Series) -> _Parsed:
    reasons = _first_reason(distinct, [(~distinct.str.fullmatch(r"[0-9]{6}|[0-9]{8}"), REASON_URN)])
    return distinct, reasons


def parse_urn(series: pd.Series) -> ParseResult:
    """School URNs (6 digits) or provider UKPRNs (8 digits), kept as text so leading zeros survive."""
    return _parse_distinct(series, _parse_urn_distinct)


PARSERS: dict[str, Callable[[pd.Series], ParseResult]] = {
    "money": parse_money,
    "date": parse_date,
    "month": parse_month,
    "int": parse_int,
    "financial_year": parse_financial_year,
    "academic_year": parse_academic_year,
    "upn": parse_upn,
    "urn": parse_urn,
    "number": parse_number,
    "period": parse_period,
}
"""Parser for each contract column type; `text` and `code` columns are checked by the caller."""
