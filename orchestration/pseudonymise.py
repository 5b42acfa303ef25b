"""Pseudonymising children at ingest.

A keyed hash (HMAC-SHA256) rather than a plain hash: UPNs follow a public pattern, so an unkeyed hash
could be reversed by hashing every possible UPN. The same key always gives the same pseudonym, so a
child's placements link across snapshots without the UPN ever reaching the warehouse.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import date

import pandas as pd

PSEUDONYM_HEX_CHARS = 24


def pseudonymise_upns(upns: pd.Series, key: bytes, known: dict[str, str] | None = None) -> pd.Series:
    """One pseudonym per distinct UPN (upper-cased first), hashed once per distinct value for speed.

    `known` carries the pseudonyms already made with this key from one file to the next: a county's
    monthly placement snapshots list mostly the same children, and each is then hashed once per load.
    """
    normalised = upns.astype("string").str.strip().str.upper()
    lookup = {} if known is None else known
    for upn in normalised.dropna().unique():
        if upn not in lookup:
            lookup[upn] = hmac.new(key, upn.encode("utf-8"), hashlib.sha256).hexdigest()[:PSEUDONYM_HEX_CHARS]
    return normalised.map(lookup).astype("string")


def age_in_years(dates_of_birth: pd.Series, on: date) -> pd.Series:
    """Whole years of age on a date (birthday counted on the day itself)."""
    born = pd.to_datetime(dates_of_birth)
    had_birthday = (born.dt.month < on.month) | ((born.dt.month == on.month) & (born.dt.day <= on.day))
    return (on.year - born.dt.year - (~had_birthday).astype(int)).astype("Int64")


def national_curriculum_year(dates_of_birth: pd.Series, on: date) -> pd.Series:
    """NC year in the academic year containing `on` (Reception = 0, Year 1 = 1, …).

    A child born between 1 September of year Y and 31 August of Y+1 starts Reception in September Y+5.
    """
    born = pd.to_datetime(dates_of_birth)
    cohort_year = born.dt.year - (born.dt.month < 9).astype(int)
    academic_year_start = on.year if on.month >= 9 else on.year - 1
    return (academic_year_start - cohort_year - 5).astype("Int64")
