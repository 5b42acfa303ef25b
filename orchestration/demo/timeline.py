"""Calendar arithmetic for the demo world: days, months, financial years and school terms.

Dates are held as int64 days since 1970-01-01 (numpy `datetime64[D]` underneath) and months as
`year * 12 + month - 1`, so every step of the generator stays vectorised over whole arrays.

The world is simulated once over a fixed horizon (to March 2031) whatever `latest_month` is asked for:
the extract month only decides which files are written. So a small test run (`latest_month="2022-06"`)
sees exactly the same 2021-22 as the full demo.
"""

from __future__ import annotations

import numpy as np

TERMS = ("autumn", "spring", "summer")
"""Contract terms: autumn = September–December, spring = January–March, summer = April–August."""

FIRST_TERM_YEAR = 2021
"""Outcome panel starts with academic year 2021/22 (term index 0 = autumn 2021/22)."""

FIRST_LEDGER_MONTH = "2021-04"
LAST_SUPPORTED_MONTH = "2031-03"

MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def day(iso: str) -> int:
    """Days since 1970-01-01 of an ISO date."""
    return int(np.datetime64(iso, "D").astype(np.int64))


WORLD_FIRST_START = day("2014-09-01")
"""No placement or plan in the demo starts before this: EHC plans replaced statements in September 2014."""

CENSUS_2021 = day("2021-01-21")
"""January 2021 school census day: the EHCP stock is calibrated to the contract's mix on this day."""

HORIZON_END = day("2031-03-31")
"""Last day simulated. A placement still open after it is open in every snapshot."""

OPEN_END = day("2099-12-31")
"""Sentinel end date for placements still open at the horizon."""


def month_index(month: str) -> int:
    """`"2021-04"` → 2021 * 12 + 3."""
    year, mon = month.split("-")
    return int(year) * 12 + int(mon) - 1


def month_label(index: int) -> str:
    """Inverse of `month_index`."""
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def month_first_day(index: np.ndarray | int) -> np.ndarray | int:
    """First day (days since epoch) of month index(es)."""
    months = np.asarray(index, dtype=np.int64) - 1970 * 12
    days = months.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    return int(days) if np.ndim(days) == 0 else days


def month_last_day(index: np.ndarray | int) -> np.ndarray | int:
    """Last day of month index(es)."""
    return month_first_day(np.asarray(index) + 1) - 1


def month_of_day(days: np.ndarray) -> np.ndarray:
    """Month index of each day."""
    return (
        np.asarray(days, dtype=np.int64).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
        + 1970 * 12
    )


def sep1(year: np.ndarray | int) -> np.ndarray | int:
    """1 September of `year`: the first day of academic year `year/year+1`."""
    return month_first_day(np.asarray(year, dtype=np.int64) * 12 + 8)


def aug31(year: np.ndarray | int) -> np.ndarray | int:
    """31 August of `year`: the last day of academic year `year-1/year`."""
    return sep1(year) - 1


def academic_year_start(days: np.ndarray) -> np.ndarray:
    """Calendar year in which the academic year of each day began (Sep–Dec → that year)."""
    months = month_of_day(days)
    return (months - 8) // 12


def financial_year_label(start_year: int) -> str:
    """2021 → `2021-22`."""
    return f"{start_year}-{(start_year + 1) % 100:02d}"


def academic_year_label(start_year: int) -> str:
    """2021 → `2021/22`."""
    return f"{start_year}/{(start_year + 1) % 100:02d}"


def fy_start_year_of_month(index: np.ndarray | int) -> np.ndarray | int:
    """Financial year (April–March) start year of month index(es)."""
    return (np.asarray(index) - 3) // 12 if np.ndim(index) else (int(index) - 3) // 12


def months_between(first: str, last: str) -> list[int]:
    """Month indexes from `first` to `last` inclusive."""
    return list(range(month_index(first), month_index(last) + 1))


def human_month(index: int) -> str:
    """`Apr 2021`, as finance descriptions write it."""
    return f"{MONTH_NAMES[index % 12]} {index // 12}"


# ------------------------------------------------------------------------------------------------ terms
def term_year(term: int) -> int:
    """Academic year start of a term index."""
    return FIRST_TERM_YEAR + term // 3


def term_name(term: int) -> str:
    return TERMS[term % 3]


def term_bounds(term: int) -> tuple[int, int]:
    """First and last day of a term as the contract defines it (Sep–Dec, Jan–Mar, Apr–Aug)."""
    year = term_year(term)
    kind = term % 3
    if kind == 0:
        return day(f"{year}-09-01"), day(f"{year}-12-31")
    if kind == 1:
        return day(f"{year + 1}-01-01"), day(f"{year + 1}-03-31")
    return day(f"{year + 1}-04-01"), day(f"{year + 1}-08-31")


def term_delivery_month(term: int) -> int:
    """Month index a term's file is delivered: autumn → January, spring → May, summer → September."""
    year = term_year(term) + 1
    return year * 12 + (0, 4, 8)[term % 3]


def term_of_day(days: np.ndarray) -> np.ndarray:
    """Term index of each day (negative before autumn 2021/22)."""
    months = month_of_day(days)
    year = (months - 8) // 12
    mon = months % 12 + 1  # 1..12
    kind = np.where(mon >= 9, 0, np.where(mon <= 3, 1, 2))
    return (year - FIRST_TERM_YEAR) * 3 + kind


N_WORLD_TERMS = next(t for t in range(200) if term_delivery_month(t) > month_index(LAST_SUPPORTED_MONTH))
"""Terms whose file is delivered within the simulated horizon."""


def terms_delivered_by(latest_month: int) -> list[int]:
    """Term indexes whose outcomes file has been delivered by the end of `latest_month`."""
    return [t for t in range(N_WORLD_TERMS) if term_delivery_month(t) <= latest_month]


def first_weekday_on_or_after(days: int, weekday: int) -> int:
    """First given weekday (Mon = 0) on or after a day; committees meet on fixed weekdays."""
    current = (days + 3) % 7  # 1970-01-01 was a Thursday (3)
    return days + (weekday - current) % 7
