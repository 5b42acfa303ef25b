"""Children with EHC plans: who they are (UPN, name, sex, ethnicity, need), vectorised.

The placement simulation decides *when* children exist and where they are placed; this module gives each
child the personal details a case-management extract carries. UPNs follow the DfE check-letter algorithm
(`orchestration.parsing.upn`) with the fictional LA number 938; a few are temporary UPNs ending in a
letter, most often for children first known in early years, as happens in real systems.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.contract import SEN_NEEDS_ON_EHCP, seed_codes
from orchestration.demo import names
from orchestration.demo.timeline import WORLD_FIRST_START
from orchestration.parsing.upn import CHECK_ALPHABET

NEEDS = ("ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD", "SPLD", "HI", "VI", "MSI", "PD", "OTH")
assert set(NEEDS) == set(SEN_NEEDS_ON_EHCP), "need codes drifted from the dbt seed"

ETHNICITIES = tuple(names.ETHNICITY_MIX)
assert set(ETHNICITIES) == set(seed_codes("ethnicity_codes", "ethnicity")), (
    "ethnicity codes drifted from the seed"
)


@dataclass(frozen=True)
class Children:
    """One entry per child (index = child id). Text columns are numpy object arrays."""

    upn: np.ndarray
    forename: np.ndarray
    surname: np.ndarray
    dob: np.ndarray
    sex: np.ndarray
    ethnicity: np.ndarray
    primary_need: np.ndarray
    ehcp_start: np.ndarray
    """Days; -1 where the case system has no date."""
    locality: np.ndarray


def _weights(row: list[float]) -> np.ndarray:
    arr = np.asarray(row, dtype=float)
    return arr / arr.sum()


# primary need mix by the provision group of a child's first placement (order as NEEDS)
NEED_MIX: dict[str, np.ndarray] = {
    "mainstream": _weights([30, 20, 22, 9, 1, 0, 6, 2.5, 1, 0.2, 4, 3.3]),
    "resourced": _weights([45, 5, 30, 10, 2, 0, 3, 3, 0, 0, 2, 0]),
    "special": _weights([38, 12, 8, 14, 17, 5, 0.5, 1, 1, 0.5, 3, 1]),
    "independent": _weights([50, 30, 4, 4, 5, 1, 1, 2, 1, 0.5, 1, 0.5]),
    "ap": _weights([15, 70, 5, 4, 0, 0, 3, 0, 0, 0, 1, 2]),
    "post16": _weights([30, 15, 12, 18, 8, 2, 5, 2, 1, 0.5, 4, 2.5]),
    "hospital": _weights([10, 40, 5, 5, 0, 0, 0, 0, 0, 0, 20, 20]),
    "eotas": _weights([40, 40, 5, 3, 2, 0, 2, 1, 1, 0, 3, 3]),
    "early_years": _weights([30, 2, 35, 3, 8, 5, 0, 4, 2, 1, 8, 2]),
}


def _vector_check_letters(digits: np.ndarray) -> np.ndarray:
    """Check letter for each row of 12 character values (digits, or A=0… for a final letter)."""
    weights = np.arange(2, 14, dtype=np.int64)
    remainder = (digits * weights).sum(axis=1) % 23
    return np.array(list(CHECK_ALPHABET), dtype=object)[remainder]


def _build_upns(
    estab: np.ndarray, year2: np.ndarray, serial: np.ndarray, last_letter: np.ndarray, temporary: np.ndarray
) -> np.ndarray:
    """UPN strings from their parts (LA 938), with the DfE check letter."""
    la = names.LA_NUMBER
    n = len(estab)
    digits = np.empty((n, 12), dtype=np.int64)
    for i, place in enumerate((100, 10, 1)):
        digits[:, i] = (la // place) % 10
    for i, place in enumerate((1000, 100, 10, 1)):
        digits[:, 3 + i] = (estab // place) % 10
    digits[:, 7] = year2 // 10
    digits[:, 8] = year2 % 10
    digits[:, 9] = serial // 100
    digits[:, 10] = (serial // 10) % 10
    digits[:, 11] = np.where(temporary, last_letter, serial % 10)
    alphabet = np.array(list(CHECK_ALPHABET), dtype=object)
    serial3 = pd.Series(serial).astype("str").str.zfill(3)
    last = pd.Series(np.where(temporary, alphabet[last_letter], (serial % 10).astype(str)), dtype="str")
    upn = (
        pd.Series(_vector_check_letters(digits), dtype="str")
        + f"{la:03d}"
        + pd.Series(estab).astype("str").str.zfill(4)
        + pd.Series(year2).astype("str").str.zfill(2)
        + serial3.str.slice(0, 2)
        + last
    )
    return upn.to_numpy(dtype=object)


def make_upns(
    rng: np.random.Generator, entry_year: np.ndarray, estab: np.ndarray, temporary: np.ndarray
) -> np.ndarray:
    """Unique valid UPNs: check letter + LA 938 + establishment + 2-digit year + 3-character serial.

    `temporary` rows end in a letter (a temporary UPN), still with a correct check letter.
    """
    n = len(entry_year)
    year2 = np.asarray(entry_year, dtype=np.int64) % 100
    estab = np.asarray(estab, dtype=np.int64).copy() % 10_000
    serial = rng.integers(0, 1000, size=n)
    last_letter = rng.integers(0, len(CHECK_ALPHABET), size=n)
    temporary = np.asarray(temporary, dtype=bool)
    upn = _build_upns(estab, year2, serial, last_letter, temporary)
    for _ in range(50):  # redraw clashing serials until every UPN is distinct (a round or two)
        duplicate = pd.Series(upn).duplicated(keep="first").to_numpy()
        if not duplicate.any():
            return upn
        k = int(duplicate.sum())
        serial[duplicate] = rng.integers(0, 1000, size=k)
        estab[duplicate] = rng.integers(1000, 10_000, size=k)
        last_letter[duplicate] = rng.integers(0, len(CHECK_ALPHABET), size=k)
        upn[duplicate] = _build_upns(
            estab[duplicate],
            year2[duplicate],
            serial[duplicate],
            last_letter[duplicate],
            temporary[duplicate],
        )
    raise RuntimeError("could not make unique UPNs")  # pragma: no cover - never at the sizes generated


def _pick(rng: np.random.Generator, pool: tuple[str, ...], n: int) -> np.ndarray:
    return np.array(pool, dtype=object)[rng.integers(0, len(pool), size=n)]


def make_children(
    rng: np.random.Generator,
    dob: np.ndarray,
    locality: np.ndarray,
    first_group: np.ndarray,
    first_start: np.ndarray,
    first_is_early_years: np.ndarray,
    known_before: np.ndarray,
) -> Children:
    """Personal details for every child, given when and where their first known placement began.

    `known_before` (days) is how long before the first placement the plan was issued, at most.
    """
    n = len(dob)
    sex = np.where(rng.random(n) < 0.725, "M", "F").astype(object)
    sex[rng.random(n) < 0.005] = ""
    mix = np.array(list(names.ETHNICITY_MIX.values()))
    ethnicity = np.array(ETHNICITIES, dtype=object)[rng.choice(len(ETHNICITIES), size=n, p=mix / mix.sum())]
    ethnicity[rng.random(n) < 0.01] = ""
    need = np.empty(n, dtype=object)
    for group, weights in NEED_MIX.items():
        rows = np.flatnonzero(first_group == group)
        need[rows] = np.array(NEEDS, dtype=object)[rng.choice(len(NEEDS), size=len(rows), p=weights)]
    # names follow sex and (loosely) ethnic background
    forename = np.where(sex == "F", _pick(rng, names.FORENAMES_F, n), _pick(rng, names.FORENAMES_M, n))
    blank_sex = sex == ""
    forename[blank_sex] = _pick(rng, names.FORENAMES_F + names.FORENAMES_M, int(blank_sex.sum()))
    surname = _pick(rng, names.SURNAMES, n)
    group = np.full(n, "", dtype=object)
    group[np.isin(ethnicity, ["AIND", "APKN", "ABAN", "AOTH"])] = "asian"
    group[np.isin(ethnicity, ["BCRB", "BAFR", "BOTH"])] = "black"
    group[np.isin(ethnicity, ["WOTH", "WROM"])] = "white_other"
    group[ethnicity == "CHNE"] = "chinese"
    for key, (female, male) in names.FORENAMES_BY_GROUP.items():
        rows = np.flatnonzero(group == key)
        if not len(rows):
            continue
        forename[rows] = np.where(
            sex[rows] == "F", _pick(rng, female, len(rows)), _pick(rng, male, len(rows))
        )
        # about half of children of a group carry a name from the group's list (families are mixed)
        keep = rows[rng.random(len(rows)) < 0.6]
        surname[keep] = _pick(rng, names.SURNAMES_BY_GROUP[key], len(keep))
    # EHC plan issued before (or when) the first known placement began; a few dates missing
    ehcp_start = first_start - rng.integers(0, np.maximum(known_before, 1) + 1)
    ehcp_start = np.maximum(ehcp_start, np.maximum(dob + 365, WORLD_FIRST_START))
    ehcp_start[rng.random(n) < 0.01] = -1
    # UPN: allocated at school entry (year the child reached reception); temporary for many early years
    birth_school_year = np.asarray(dob).astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    birth_school_year = (birth_school_year - 8) // 12 + 1970
    entry_year = birth_school_year + 5
    temporary = (first_is_early_years & (rng.random(n) < 0.1)) | (rng.random(n) < 0.003)
    estab = rng.integers(2000, 4000, size=n)
    upn = make_upns(rng, entry_year, estab, temporary)
    return Children(
        upn=upn,
        forename=forename,
        surname=surname,
        dob=np.asarray(dob, dtype=np.int64),
        sex=sex,
        ethnicity=ethnicity,
        primary_need=need,
        ehcp_start=ehcp_start.astype(np.int64),
        locality=locality,
    )
