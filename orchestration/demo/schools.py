"""The county's establishments (`schools.csv`) plus the other providers placements and payments name.

One table of schools serves three jobs: the reference file, the providers placements are made with
(whose governance decides the s251 line of resourced and AP placements), and the school × term panel of
the outcome files. FE colleges, specialist post-16 institutions and nurseries are not establishments in
the contract's sense (no phase fits), so they live in a separate provider list with UKPRNs or no number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.demo import names
from orchestration.demo.timeline import day

# kind, phase, governance, county-scale count, size range (pupils)
_SCHOOL_PLAN: tuple[tuple[str, str, str, int, tuple[int, int]], ...] = (
    ("mainstream", "primary", "maintained", 110, (45, 430)),
    ("mainstream", "primary", "academy", 75, (90, 520)),
    ("mainstream", "secondary", "maintained", 6, (550, 1250)),
    ("mainstream", "secondary", "academy", 28, (650, 1650)),
    ("mainstream", "all_through", "maintained", 1, (1100, 1700)),
    ("mainstream", "all_through", "academy", 2, (1200, 1900)),
    ("special", "special", "maintained", 8, (70, 220)),
    ("special", "special", "academy", 6, (80, 240)),
    ("pru", "ap", "maintained", 3, (60, 150)),
    ("ap_academy", "ap", "academy", 1, (60, 140)),
    ("hospital", "ap", "maintained", 1, (20, 40)),
    ("closed", "primary", "maintained", 2, (40, 80)),
    ("indep_special", "special", "independent", 14, (30, 120)),
    ("nm_special", "special", "non_maintained", 4, (40, 150)),
    ("indep_ap", "ap", "independent", 2, (15, 40)),
)
RP_HOSTS = {"primary": 8, "secondary": 4}
"""Mainstream schools hosting a resourced provision / SEN unit (county scale)."""

PANEL_KINDS = ("mainstream", "special", "pru", "ap_academy")
"""State-funded schools with exclusions and attendance returns: the outcome panel."""


@dataclass(frozen=True)
class Providers:
    """Providers that are not establishments: FE colleges, specialist post-16, nurseries, EOTAS."""

    fe_ukprn: np.ndarray
    fe_name: np.ndarray
    specialist_ukprn: np.ndarray
    specialist_name: np.ndarray
    nursery_name: np.ndarray
    eotas_name: np.ndarray


def _names_for(rng: np.random.Generator, phase: str, kind: str, locality: np.ndarray) -> np.ndarray:
    """School names from the locality's towns, unique within the county while combinations last."""
    out = np.empty(len(locality), dtype=object)
    if kind == "special":
        pool = np.array(names.SPECIAL_NAMES, dtype=object)
        picks = rng.choice(len(pool), size=len(locality), replace=len(locality) > len(pool))
        return pool[picks]
    if kind in ("indep_special", "nm_special", "indep_ap"):
        pool = np.array(
            {
                "indep_special": names.INDEPENDENT_SPECIAL_NAMES,
                "nm_special": names.NON_MAINTAINED_NAMES,
                "indep_ap": names.INDEPENDENT_AP_NAMES,
            }[kind],
            dtype=object,
        )
        picks = rng.choice(len(pool), size=len(locality), replace=len(locality) > len(pool))
        return pool[picks]
    if kind == "hospital":
        out[:] = names.HOSPITAL_NAME
        return out
    if kind == "ap_academy":
        pool = np.array(names.AP_ACADEMY_NAMES, dtype=object)
        return pool[rng.integers(0, len(pool), size=len(locality))]
    if kind == "pru":
        templates = np.array(names.PRU_NAMES, dtype=object)
        for i, loc in enumerate(locality):  # a handful of PRUs
            out[i] = templates[rng.integers(0, len(templates))].format(locality=loc)
        return out
    suffixes = {
        "primary": names.PRIMARY_KINDS,
        "secondary": names.SECONDARY_KINDS,
        "all_through": names.ALL_THROUGH_KINDS,
    }[phase]
    for loc in np.unique(locality):
        rows = np.flatnonzero(locality == loc)
        towns = names.TOWNS[loc]
        combos = np.array([f"{t} {s}" for t in towns for s in suffixes], dtype=object)
        replace = len(rows) > len(combos)
        out[rows] = combos[rng.choice(len(combos), size=len(rows), replace=replace)]
    return out


def make_schools(rng: np.random.Generator, scale: int) -> pd.DataFrame:
    """The establishments table: contract columns plus internal ones (`kind`, `size`, `has_rp`, ...).

    Internal columns: `kind` (mainstream, special, pru, ap_academy, hospital, closed, indep_special,
    nm_special, indep_ap), `size` (pupils on roll), `has_rp` (hosts a resourced provision), `in_panel`
    (has outcome returns), `dfe_number` (4-digit establishment number used in UPNs), and dates as days.
    """
    parts = []
    loc_names = np.array(names.LOCALITIES, dtype=object)
    loc_weights = np.array(names.LOCALITY_WEIGHTS) / sum(names.LOCALITY_WEIGHTS)
    for kind, phase, governance, count, (lo, hi) in _SCHOOL_PLAN:
        n = count * scale
        if kind in ("indep_special", "nm_special"):
            # over half of independent specialist places are outside the county
            local = rng.random(n) < 0.45
            locality = np.where(local, loc_names[rng.choice(6, size=n, p=loc_weights)], names.OUT_OF_COUNTY)
        else:
            locality = loc_names[rng.choice(6, size=n, p=loc_weights)]
        size = rng.integers(lo, hi + 1, size=n)
        if phase == "primary":
            # many small rural primaries, a few large town schools
            size = (lo + (hi - lo) * rng.beta(1.6, 2.4, size=n)).astype(np.int64)
        parts.append(
            pd.DataFrame(
                {
                    "kind": kind,
                    "phase": phase,
                    "governance": governance,
                    "locality": locality.astype(object),
                    "size": size.astype(np.int64),
                    "school_name": _names_for(rng, phase, kind, locality),
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    n = len(table)
    urn_space = (100_000, 150_000) if scale == 1 else (100_000, 1_000_000)
    table["school_urn"] = (
        rng.choice(urn_space[1] - urn_space[0], size=n, replace=False) + urn_space[0]
    ).astype(str)
    dfe_base = np.select(
        [
            table["phase"] == "primary",
            table["phase"].isin(["secondary", "all_through"]),
            table["phase"] == "special",
        ],
        [2000, 4000, 7000],
        1100,
    )
    table["dfe_number"] = dfe_base + rng.integers(0, 900, size=n)
    # opening dates: academies carry their conversion date; old maintained schools often have none
    academy = table["governance"].to_numpy() == "academy"
    conversion = np.array([day(f"{y}-{m:02d}-01") for y in range(2011, 2021) for m in (1, 4, 9)])
    old = np.array([day(f"{y}-09-01") for y in range(1950, 2005, 3)])
    opened = np.where(academy, rng.choice(conversion, size=n), rng.choice(old, size=n))
    unknown = (~academy) & (rng.random(n) < 0.5)
    table["opened_on"] = np.where(unknown, -1, opened)
    table["closed_on"] = np.where(table["kind"].to_numpy() == "closed", day("2019-08-31"), -1)
    table["in_panel"] = table["kind"].isin(PANEL_KINDS).to_numpy()
    has_rp = np.zeros(n, dtype=bool)
    for phase, hosts in RP_HOSTS.items():
        candidates = np.flatnonzero(
            (table["kind"].to_numpy() == "mainstream") & (table["phase"].to_numpy() == phase)
        )
        has_rp[rng.choice(candidates, size=hosts * scale, replace=False)] = True
    table["has_rp"] = has_rp
    return table


def make_providers(rng: np.random.Generator, scale: int) -> Providers:
    """FE colleges and specialist post-16 institutions (8-digit UKPRNs), nurseries and EOTAS providers."""

    def repeat(pool: tuple[str, ...]) -> np.ndarray:
        if scale == 1:
            return np.array(pool, dtype=object)
        return np.array(
            [f"{name} ({area:02d})" for area in range(1, scale + 1) for name in pool], dtype=object
        )

    fe = repeat(names.FE_COLLEGE_NAMES)
    specialist = repeat(names.SPECIALIST_POST16_NAMES)
    ukprn = rng.choice(100_000, size=len(fe) + len(specialist), replace=False) + 10_000_000
    ukprn = ukprn.astype(str)
    return Providers(
        fe_ukprn=ukprn[: len(fe)],
        fe_name=fe,
        specialist_ukprn=ukprn[len(fe) :],
        specialist_name=specialist,
        nursery_name=repeat(names.NURSERY_NAMES),
        eotas_name=repeat(names.EOTAS_PROVIDERS),
    )


SCHOOL_COLUMNS = ("school_urn", "school_name", "phase", "governance", "locality", "opened_on", "closed_on")
