"""EHCP placements: a month-by-month simulation of the county's children with EHC plans.

How the world works (all vectorised per month; the loop is over ~120 months, never over children):

- **Stock.** On the January 2021 census day the county has the contract's placement mix (≈4,300 plans).
  Each stock placement started some time before (history back to 2014) and some had an earlier placement
  (a child who moved from mainstream to special, say), so the history goes back before April 2021.
- **Ends.** A placement ends at random (an exponential time with a mean that depends on the provision
  type), or at the end of its phase: early years end when the child reaches reception, school placements
  at the end of Year 11 (special schools often Year 13), post-16 placements by age 25. The end reason
  comes from the contract's list; for moves (to special, independent, AP, back to mainstream, post-16)
  the same child starts a new placement the next day, so a UPN can carry several consecutive placements.
- **Growth.** New plans arrive each month, just enough (with Poisson noise) to keep the number of
  children with a plan on a path growing 10 % a year — the national trend.

The world is simulated to March 2031 whatever extract month is asked for; snapshots only reveal the part
of it known at their date.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import pyarrow as pa

from orchestration.contract import seed_codes
from orchestration.demo import names
from orchestration.demo.children import Children, make_children
from orchestration.demo.schools import Providers
from orchestration.demo.timeline import (
    CENSUS_2021,
    HORIZON_END,
    OPEN_END,
    WORLD_FIRST_START,
    academic_year_start,
    aug31,
    day,
    month_first_day,
    month_last_day,
    month_of_day,
    sep1,
)

PROVISION_TYPES = (
    "mainstream_maintained",
    "mainstream_academy",
    "resourced_provision",
    "special_maintained",
    "special_academy",
    "special_independent",
    "special_non_maintained",
    "alternative_provision",
    "post16_fe",
    "post16_specialist",
    "hospital_education",
    "eotas",
    "early_years",
)
MM, MA, RP, SM, SA, SI, SN, AP, FE, SP16, HOSP, EOTAS, EY = range(13)
assert set(PROVISION_TYPES) == set(seed_codes("provision_types", "provision_type")), "provision types drifted"

END_REASONS = (
    "returned_to_mainstream",
    "moved_to_special",
    "moved_to_independent",
    "moved_to_ap",
    "post16_transition",
    "ehcp_ceased",
    "left_area",
    "other",
)
R_MAIN, R_SPECIAL, R_INDEP, R_AP, R_P16, R_CEASED, R_LEFT, R_OTHER = range(8)
assert set(END_REASONS) == set(seed_codes("end_reasons", "end_reason")), "end reasons drifted"

LINES = (
    "1.0.2",
    "1.2.1",
    "1.2.2",
    "1.2.3",
    "1.2.4",
    "1.2.5",
    "1.2.6",
    "1.2.7",
    "1.2.8",
    "1.2.9",
    "1.2.10",
    "1.2.11",
    "1.2.12",
    "1.2.13",
)
assert set(LINES) == set(seed_codes("s251_lines", "s251_line")), "s251 lines drifted"
LINE = {code: i for i, code in enumerate(LINES)}

GROUP = {  # provision group used for need mix and descriptions
    MM: "mainstream",
    MA: "mainstream",
    RP: "resourced",
    SM: "special",
    SA: "special",
    SI: "independent",
    SN: "independent",
    AP: "ap",
    FE: "post16",
    SP16: "post16",
    HOSP: "hospital",
    EOTAS: "eotas",
    EY: "early_years",
}

# January 2021 stock (county scale): the contract's mix, split within groups
STOCK_2021 = {
    MM: 1000,
    MA: 820,
    RP: 41,
    SM: 700,
    SA: 531,
    SI: 236,
    SN: 60,
    AP: 17,
    HOSP: 6,
    FE: 440,
    SP16: 103,
    EOTAS: 130,
    EY: 248,
}
ANNUAL_GROWTH = 1.10
"""Children with a plan grow ≈10 % a year, as nationally since 2015."""

MEAN_YEARS = np.array([4.0, 4.0, 3.0, 6.0, 6.0, 4.0, 4.5, 1.1, 3.0, 3.0, 0.35, 1.8, 1.5])

# probability of each end reason when a placement ends before its phase does (order as END_REASONS)
_RANDOM_REASONS = {
    MM: [0, 35, 5, 7, 0, 25, 18, 10],
    MA: [0, 35, 5, 7, 0, 25, 18, 10],
    RP: [25, 35, 10, 0, 0, 5, 15, 10],
    SM: [12, 10, 20, 5, 0, 3, 30, 20],
    SA: [12, 10, 20, 5, 0, 3, 30, 20],
    SI: [5, 30, 15, 0, 0, 10, 25, 15],
    SN: [5, 30, 15, 0, 0, 10, 25, 15],
    AP: [40, 25, 10, 0, 0, 5, 10, 10],
    FE: [0, 0, 10, 0, 0, 50, 20, 20],
    SP16: [0, 0, 10, 0, 0, 50, 20, 20],
    HOSP: [55, 15, 0, 15, 0, 0, 0, 15],
    EOTAS: [20, 25, 15, 0, 0, 0, 15, 25],
    EY: [0, 30, 0, 0, 0, 25, 25, 20],
}
RANDOM_REASON_CUM = np.cumsum(
    np.array([np.array(_RANDOM_REASONS[t], dtype=float) / sum(_RANDOM_REASONS[t]) for t in range(13)]), axis=1
)


def _nc(values: range, weights: list[float]) -> tuple[np.ndarray, np.ndarray]:
    w = np.asarray(weights, dtype=float)
    assert len(w) == len(values)
    return np.array(list(values)), w / w.sum()


# national curriculum year (−2 = age 2 nursery, 12 = Year 12, 19 = age 23–24) of the stock on census day
STOCK_NC = {
    MM: _nc(range(0, 12), [3, 4, 5, 6, 7, 8, 9, 10, 10, 9, 8, 7]),
    RP: _nc(range(0, 12), [3, 4, 5, 6, 7, 8, 9, 10, 10, 9, 8, 7]),
    SM: _nc(range(-1, 14), [1, 3, 4, 5, 6, 7, 8, 9, 10, 10, 10, 9, 8, 6, 5]),
    SI: _nc(range(2, 14), [2, 3, 4, 5, 7, 9, 11, 12, 12, 11, 8, 6]),
    AP: _nc(range(4, 12), [1, 2, 3, 5, 8, 10, 12, 12]),
    HOSP: _nc(range(1, 12), [1] * 11),
    FE: _nc(range(12, 20), [30, 25, 15, 10, 8, 6, 4, 2]),
    SP16: _nc(range(12, 20), [10, 15, 20, 18, 14, 10, 8, 5]),
    EOTAS: _nc(range(2, 12), [2, 3, 4, 5, 6, 8, 10, 12, 12, 10]),
    EY: _nc(range(-2, 0), [4, 6]),
}
STOCK_NC[MA] = STOCK_NC[MM]
STOCK_NC[SA] = STOCK_NC[SM]
STOCK_NC[SN] = STOCK_NC[SI]

# new plans: provision type mix and school year at the first placement
ARRIVAL_MIX = np.array([0.26, 0.21, 0.02, 0.10, 0.08, 0.025, 0.01, 0.015, 0.04, 0.01, 0.005, 0.03, 0.19])
ARRIVAL_NC = {
    MM: _nc(range(0, 12), [16, 14, 12, 11, 10, 9, 8, 7, 5, 4, 3, 2]),
    RP: _nc(range(0, 12), [16, 14, 12, 11, 10, 9, 8, 7, 5, 4, 3, 2]),
    SM: _nc(range(-1, 14), [6, 10, 9, 8, 7, 6, 6, 6, 7, 6, 5, 4, 3, 2, 1]),
    SI: _nc(range(2, 14), [3, 4, 5, 6, 8, 10, 11, 12, 12, 10, 8, 6]),
    AP: _nc(range(4, 12), [1, 2, 3, 5, 8, 10, 12, 12]),
    HOSP: _nc(range(1, 12), [1] * 11),
    FE: _nc(range(12, 17), [40, 25, 15, 12, 8]),
    SP16: _nc(range(12, 17), [40, 25, 15, 12, 8]),
    EOTAS: _nc(range(2, 12), [2, 3, 4, 5, 6, 8, 10, 12, 12, 10]),
    EY: _nc(range(-2, 0), [45, 55]),
}
ARRIVAL_NC[MA] = ARRIVAL_NC[MM]
ARRIVAL_NC[SA] = ARRIVAL_NC[SM]
ARRIVAL_NC[SN] = ARRIVAL_NC[SI]

# annual cost (£, 2021-22 prices): triangular (low, mode, high); rises 4 % a year with the start date
COST_TRIANGLE = {
    MM: (6000, 6800, 8800),
    MA: (6000, 6800, 8800),
    RP: (9000, 12000, 16000),
    SM: (17000, 19500, 24000),
    SA: (17000, 19500, 24000),
    SI: (45000, 55000, 72000),
    SN: (42000, 50000, 65000),
    AP: (12000, 16000, 24000),
    FE: (6000, 8000, 12500),
    SP16: (28000, 38000, 55000),
    HOSP: (6000, 9000, 14000),
    EOTAS: (10000, 22000, 45000),
    EY: (3000, 5000, 9000),
}
COST_GROWTH = 1.04
COST_BASE_DAY = day("2021-04-01")

_SCHOOL_AGE = np.array([MM, MA, RP, AP, HOSP, EOTAS])
_SPECIAL = np.array([SM, SA, SI, SN])
_POST16 = np.array([FE, SP16])


@dataclass(frozen=True)
class PlacementWorld:
    """Every placement in the simulated world, sorted by start date (then child).

    Snapshots are prefixes of this table (placements started by the snapshot's month end), with ends
    after the snapshot hidden.
    """

    placement_id: np.ndarray
    child: np.ndarray
    ptype: np.ndarray
    start: np.ndarray
    end: np.ndarray
    """Days; OPEN_END when still open at the horizon."""
    reason: np.ndarray
    """Index into END_REASONS; -1 when still open at the horizon."""
    cost_pence: np.ndarray
    provider_urn: np.ndarray
    provider_name: np.ndarray
    line: np.ndarray
    """Index into LINES: the placement's s251 line (provider governance for resourced and AP)."""
    children: Children

    def __len__(self) -> int:
        return len(self.start)

    @cached_property
    def text(self) -> dict[str, pa.Array]:
        """Text columns per placement as Arrow arrays, converted once for every file that needs them."""
        kids, c = self.children, pa.array(self.child)

        def arrow(values: np.ndarray) -> pa.Array:
            return pa.array(values, pa.large_string())

        return {
            "placement_id": arrow(self.placement_id),
            "provider_urn": arrow(self.provider_urn),
            "provider_name": arrow(self.provider_name),
            "provision_type": arrow(np.array(PROVISION_TYPES, dtype=object)).take(pa.array(self.ptype)),
            **{
                name: arrow(getattr(kids, name)).take(c)
                for name in ("upn", "forename", "surname", "sex", "ethnicity", "primary_need", "locality")
            },
        }


# ------------------------------------------------------------------------------------------ simulation
class _Pool:
    """Placements generated so far, as chunks, with a day-level count of open placements."""

    def __init__(self) -> None:
        self.chunks: list[dict[str, np.ndarray]] = []
        self.day0 = WORLD_FIRST_START
        size = HORIZON_END - self.day0 + 2
        self.starts = np.zeros(size, dtype=np.int64)
        self.ends = np.zeros(size, dtype=np.int64)
        self.pending: dict[int, list[dict[str, np.ndarray]]] = {}
        self.child_sy: list[np.ndarray] = []
        self.child_dob: list[np.ndarray] = []
        self.child_locality: list[np.ndarray] = []
        self.n_children = 0

    def new_children(self, sy: np.ndarray, dob: np.ndarray, locality: np.ndarray) -> np.ndarray:
        ids = np.arange(self.n_children, self.n_children + len(sy))
        self.n_children += len(sy)
        self.child_sy.append(sy)
        self.child_dob.append(dob)
        self.child_locality.append(locality)
        return ids

    def add(self, chunk: dict[str, np.ndarray]) -> None:
        self.chunks.append(chunk)
        self.starts += np.bincount(chunk["start"] - self.day0, minlength=len(self.starts))[: len(self.starts)]
        closed = chunk["end"] <= HORIZON_END
        self.ends += np.bincount(chunk["end"][closed] - self.day0, minlength=len(self.ends))[: len(self.ends)]
        follow = chunk["next_type"] >= 0
        if follow.any():
            months = month_of_day(chunk["end"][follow])
            rows = np.flatnonzero(follow)
            for month in np.unique(months):
                pick = rows[months == month]
                self.pending.setdefault(int(month), []).append(
                    {
                        "child": chunk["child"][pick],
                        "sy": chunk["sy"][pick],
                        "ptype": chunk["next_type"][pick],
                        "start": chunk["end"][pick] + 1,
                    }
                )

    def open_on(self, on_day: int) -> int:
        """Placements open on a day (started on or before it, ending on or after it)."""
        i = on_day - self.day0
        return int(self.starts[: i + 1].sum() - self.ends[:i].sum())


def _caps(rng: np.random.Generator, ptype: np.ndarray, sy: np.ndarray, alive_from: np.ndarray):
    """The last day each placement can run in its phase, and what happens when it gets there."""
    n = len(ptype)
    cap = np.full(n, OPEN_END, dtype=np.int64)
    reason = np.full(n, R_CEASED, dtype=np.int64)
    nxt = np.full(n, -1, dtype=np.int64)
    u, u2 = rng.random(n), rng.random(n)
    y11_end = aug31(sy + 17)

    ey = ptype == EY
    cap[ey] = aug31(sy[ey] + 5)
    to_school = np.array([MM, MA, RP, SM, SA, SI])[
        np.searchsorted(np.cumsum([0.38, 0.27, 0.04, 0.17, 0.12, 0.02]), u[ey] * 0.99999, side="right")
    ]
    nxt[ey] = to_school
    reason[ey] = np.select([np.isin(to_school, [SM, SA]), to_school == SI], [R_SPECIAL, R_INDEP], R_OTHER)

    school = np.isin(ptype, _SCHOOL_AGE)
    cap[school] = y11_end[school]
    go = school & (u2 < 0.9)
    reason[go] = R_P16
    nxt[go] = np.where(rng.random(int(go.sum())) < 0.8, FE, SP16)

    special = np.isin(ptype, _SPECIAL)
    sixth = special & ((rng.random(n) < 0.6) | (alive_from > y11_end - 45))
    cap[special] = np.where(sixth[special], aug31(sy[special] + 19), y11_end[special])
    go = special & (u2 < np.where(sixth, 0.75, 0.9))
    fe_share = np.where(sixth, 0.4, np.where(np.isin(ptype, [SI, SN]), 0.3, 0.45))
    reason[go] = R_P16
    nxt[go] = np.where(rng.random(n)[go] < fe_share[go], FE, SP16)

    post16 = np.isin(ptype, _POST16)
    k = rng.choice(7, size=n, p=[0.45, 0.2, 0.12, 0.08, 0.06, 0.05, 0.04])
    needed = academic_year_start(alive_from + 31) + 1 - (sy + 19)
    k = np.clip(np.maximum(k, needed), 0, 6)
    cap[post16] = aug31(sy[post16] + 19 + k[post16])
    return np.maximum(cap, alive_from), reason, nxt


def _successor_type(
    rng: np.random.Generator, reason: np.ndarray, sy: np.ndarray, start: np.ndarray
) -> np.ndarray:
    """The provision a child moves to after an end with this reason (-1: no further placement)."""
    n = len(reason)
    nc = academic_year_start(start) - sy - 5
    u, u2 = rng.random(n), rng.random(n)
    mainstream = np.where(u2 < np.where(nc <= 6, 0.55, 0.25), MM, MA)
    out = np.full(n, -1, dtype=np.int64)
    out = np.where(reason == R_MAIN, np.where(nc >= 12, FE, np.where(u < 0.06, RP, mainstream)), out)
    out = np.where(reason == R_SPECIAL, np.where(nc >= 14, SP16, np.where(u < 0.55, SM, SA)), out)
    out = np.where(reason == R_INDEP, np.where(nc >= 14, SP16, np.where(u < 0.8, SI, SN)), out)
    out = np.where(reason == R_AP, np.where(nc >= 12, FE, np.where(nc < 2, SM, AP)), out)
    out = np.where((reason == R_OTHER) & (nc >= 1) & (nc <= 11) & (u < 0.4), EOTAS, out)
    return np.where(nc > 19, -1, out)


def _finish(
    rng: np.random.Generator,
    child: np.ndarray,
    sy: np.ndarray,
    ptype: np.ndarray,
    start: np.ndarray,
    alive_from: np.ndarray,
) -> dict[str, np.ndarray]:
    """Decide when and why each placement ends (it is known to run at least to `alive_from`)."""
    n = len(ptype)
    cap, cap_reason, cap_next = _caps(rng, ptype, sy, alive_from)
    minimum = np.where(alive_from == start, 31, 1)
    random_end = alive_from + np.ceil(rng.exponential(MEAN_YEARS[ptype] * 365.25)).astype(np.int64) + minimum
    hit_cap = random_end >= cap
    end = np.where(hit_cap, cap, random_end)
    u = rng.random(n)
    random_reason = (u[:, None] > RANDOM_REASON_CUM[ptype]).sum(axis=1)
    random_reason = np.minimum(random_reason, len(END_REASONS) - 1)
    reason = np.where(hit_cap, cap_reason, random_reason)
    nxt = np.where(hit_cap, cap_next, _successor_type(rng, random_reason, sy, end + 1))
    still_open = end > HORIZON_END
    end = np.where(still_open, OPEN_END, end)
    reason = np.where(still_open, -1, reason)
    nxt = np.where(still_open, -1, nxt)
    return {
        "child": child,
        "sy": sy,
        "ptype": ptype.astype(np.int64),
        "start": start,
        "end": end,
        "reason": reason.astype(np.int64),
        "next_type": nxt.astype(np.int64),
    }


def _draw_nc(rng: np.random.Generator, table: dict, ptype: np.ndarray) -> np.ndarray:
    nc = np.empty(len(ptype), dtype=np.int64)
    for t in np.unique(ptype):
        rows = np.flatnonzero(ptype == t)
        values, weights = table[int(t)]
        nc[rows] = values[rng.choice(len(values), size=len(rows), p=weights)]
    return nc


def _new_children(rng: np.random.Generator, pool: _Pool, sy: np.ndarray) -> np.ndarray:
    dob = sep1(sy) + rng.integers(0, 365, size=len(sy))
    loc_weights = np.array(names.LOCALITY_WEIGHTS) / sum(names.LOCALITY_WEIGHTS)
    locality = rng.choice(len(names.LOCALITIES), size=len(sy), p=loc_weights)
    return pool.new_children(sy, dob, locality)


def _stock(rng: np.random.Generator, pool: _Pool, scale: int) -> None:
    """The census-day stock with its history (start dates before 2021, some earlier placements)."""
    ptype = np.repeat(np.array(list(STOCK_2021)), np.array(list(STOCK_2021.values())) * scale)
    n = len(ptype)
    nc = _draw_nc(rng, STOCK_NC, ptype)
    sy = 2020 - nc - 5
    child = _new_children(rng, pool, sy)
    dob = np.concatenate(pool.child_dob)[child]
    earliest = np.select(
        [ptype == EY, np.isin(ptype, [SM, SA]), np.isin(ptype, _POST16)],
        [dob + 730, sep1(sy + 4), sep1(sy + 17)],
        sep1(sy + 5),
    )
    elapsed = np.ceil(rng.exponential(MEAN_YEARS[ptype] * 0.7 * 365.25)).astype(np.int64) + 1
    start = np.maximum.reduce([CENSUS_2021 - elapsed, earliest, np.full(n, WORLD_FIRST_START)])
    start = np.minimum(start, CENSUS_2021)
    pool.add(_finish(rng, child, sy, ptype, start, np.full(n, CENSUS_2021)))

    # an earlier placement for many children now in special, independent, AP or EOTAS provision
    p_before = np.select([np.isin(ptype, [SI, SN]), np.isin(ptype, [SM, SA, AP, EOTAS])], [0.6, 0.4], 0.0)
    has = rng.random(n) < p_before
    rows = np.flatnonzero(has)
    before_end = start[rows] - 1
    length = np.ceil(rng.exponential(2.5 * 365.25, size=len(rows))).astype(np.int64) + 60
    before_start = np.maximum.reduce(
        [before_end - length, sep1(sy[rows] + 5), np.full(len(rows), WORLD_FIRST_START)]
    )
    keep = before_start <= before_end - 30
    rows, before_start, before_end = rows[keep], before_start[keep], before_end[keep]
    u = rng.random(len(rows))
    mainstream = np.where(rng.random(len(rows)) < 0.5, MM, MA)
    t = ptype[rows]
    before_type = np.where(np.isin(t, [SI, SN]) & (u < 0.5), np.where(u < 0.25, SM, SA), mainstream)
    before_reason = np.select(
        [np.isin(t, [SM, SA]), np.isin(t, [SI, SN]), t == AP], [R_SPECIAL, R_INDEP, R_AP], R_OTHER
    )
    # a mainstream school placement cannot run past Year 11 (sixth-formers in special schools came later)
    ok = ~(np.isin(before_type, [MM, MA]) & (before_end > aug31(sy[rows] + 17)))
    rows, before_start, before_end = rows[ok], before_start[ok], before_end[ok]
    before_type, before_reason = before_type[ok], before_reason[ok]
    pool.add(
        {
            "child": child[rows],
            "sy": sy[rows],
            "ptype": before_type.astype(np.int64),
            "start": before_start,
            "end": before_end,
            "reason": before_reason.astype(np.int64),
            "next_type": np.full(len(rows), -1, dtype=np.int64),
        }
    )


def _follow_ons(rng: np.random.Generator, pool: _Pool, month: int) -> None:
    """Start the next placement of every child whose placement ended this month with a move."""
    while pool.pending.get(month):
        batch = pool.pending.pop(month)
        part = {k: np.concatenate([b[k] for b in batch]) for k in batch[0]}
        pool.add(_finish(rng, part["child"], part["sy"], part["ptype"], part["start"], part["start"]))


def simulate(rng: np.random.Generator, scale: int) -> dict[str, np.ndarray]:
    """Run the world from the 2021 census to the horizon; returns flat placement and child arrays."""
    pool = _Pool()
    _stock(rng, pool, scale)
    n0 = sum(STOCK_2021.values()) * scale
    first_month = int(month_of_day(np.array([CENSUS_2021]))[0])
    last_month = int(month_of_day(np.array([HORIZON_END]))[0])
    for month in range(first_month, last_month + 1):
        _follow_ons(rng, pool, month)
        next_day = month_first_day(month + 1)
        target = n0 * ANNUAL_GROWTH ** ((next_day - CENSUS_2021) / 365.25)
        k = int(rng.poisson(max(target - pool.open_on(next_day), 0.0)))
        if k:
            ptype = rng.choice(13, size=k, p=ARRIVAL_MIX / ARRIVAL_MIX.sum())
            first = max(month_first_day(month), CENSUS_2021 + 1)
            start = rng.integers(first, month_last_day(month) + 1, size=k)
            nc = _draw_nc(rng, ARRIVAL_NC, ptype)
            sy = academic_year_start(start) - nc - 5
            child = _new_children(rng, pool, sy)
            pool.add(_finish(rng, child, sy, ptype, start, start))
        _follow_ons(rng, pool, month)
    flat = {
        k: np.concatenate([c[k] for c in pool.chunks]) for k in ("child", "ptype", "start", "end", "reason")
    }
    flat["child_sy"] = np.concatenate(pool.child_sy)
    flat["child_dob"] = np.concatenate(pool.child_dob)
    flat["child_locality"] = np.concatenate(pool.child_locality)
    return flat


# ----------------------------------------------------------------------------------- providers & cost
def _choose_local(
    rng: np.random.Generator,
    rows: np.ndarray,
    child_loc: np.ndarray,
    cand: np.ndarray,
    cand_loc: np.ndarray,
    p_local: float,
) -> np.ndarray:
    """A provider for each row from `cand`, in the child's locality with probability `p_local`."""
    out = cand[rng.integers(0, len(cand), size=len(rows))]
    local = rng.random(len(rows)) < p_local
    for loc in np.unique(child_loc):
        here = cand[cand_loc == loc]
        if not len(here):
            continue
        pick = np.flatnonzero(local & (child_loc == loc))
        out[pick] = here[rng.integers(0, len(here), size=len(pick))]
    return out


def assign_providers_and_costs(
    rng: np.random.Generator, flat: dict[str, np.ndarray], schools: pd.DataFrame, providers: Providers
) -> PlacementWorld:
    """Providers (in the child's locality mostly), annual costs, s251 lines, ids and personal details."""
    order = np.lexsort((flat["child"], flat["start"]))
    child = flat["child"][order]
    ptype = flat["ptype"][order]
    start = flat["start"][order]
    end = flat["end"][order]
    reason = flat["reason"][order]
    n = len(order)
    sy = flat["child_sy"][child]
    nc = academic_year_start(start) - sy - 5
    loc_index = flat["child_locality"][child]
    loc_names = np.array(names.LOCALITIES, dtype=object)

    sch_kind = schools["kind"].to_numpy()
    sch_phase = schools["phase"].to_numpy()
    sch_gov = schools["governance"].to_numpy()
    sch_loc = schools["locality"].to_numpy()
    sch_rp = schools["has_rp"].to_numpy()
    provider_school = np.full(n, -1, dtype=np.int64)

    def pick(rows: np.ndarray, mask: np.ndarray, p_local: float) -> None:
        if len(rows):
            cand = np.flatnonzero(mask)
            provider_school[rows] = _choose_local(
                rng, rows, loc_names[loc_index[rows]], cand, sch_loc[cand], p_local
            )

    mainstream = sch_kind == "mainstream"
    secondary_phase = np.isin(sch_phase, ["secondary", "all_through"])
    for t, gov in ((MM, "maintained"), (MA, "academy")):
        for older in (False, True):
            rows = np.flatnonzero((ptype == t) & ((nc >= 7) == older))
            phase_ok = secondary_phase if older else (sch_phase == "primary")
            pick(rows, mainstream & phase_ok & (sch_gov == gov), 0.9)
    pick(np.flatnonzero(ptype == RP), sch_rp, 0.7)
    pick(np.flatnonzero(ptype == SM), (sch_kind == "special") & (sch_gov == "maintained"), 0.7)
    pick(np.flatnonzero(ptype == SA), (sch_kind == "special") & (sch_gov == "academy"), 0.7)
    pick(np.flatnonzero(ptype == SI), sch_kind == "indep_special", 0.5)
    pick(np.flatnonzero(ptype == SN), sch_kind == "nm_special", 0.3)
    ap_rows = np.flatnonzero(ptype == AP)
    ap_kind = np.array(["pru", "ap_academy", "indep_ap"])[rng.choice(3, size=len(ap_rows), p=[0.5, 0.3, 0.2])]
    for kind in ("pru", "ap_academy", "indep_ap"):
        pick(ap_rows[ap_kind == kind], sch_kind == kind, 0.8)
    pick(np.flatnonzero(ptype == HOSP), sch_kind == "hospital", 1.0)

    urn = np.full(n, "", dtype=object)
    name = np.full(n, "", dtype=object)
    at_school = provider_school >= 0
    urn[at_school] = schools["school_urn"].to_numpy()[provider_school[at_school]]
    name[at_school] = schools["school_name"].to_numpy()[provider_school[at_school]]
    for t, ukprns, pnames in (
        (FE, providers.fe_ukprn, providers.fe_name),
        (SP16, providers.specialist_ukprn, providers.specialist_name),
    ):
        rows = np.flatnonzero(ptype == t)
        k = rng.integers(0, len(pnames), size=len(rows))
        urn[rows], name[rows] = ukprns[k], pnames[k]
    for t, pnames in ((EY, providers.nursery_name), (EOTAS, providers.eotas_name)):
        rows = np.flatnonzero(ptype == t)
        name[rows] = pnames[rng.integers(0, len(pnames), size=len(rows))]

    # s251 line: the type's usual line; resourced and AP by the provider's governance
    usual = np.array(
        [
            LINE[c]
            for c in (
                "1.2.1",
                "1.2.2",
                "1.2.1",
                "1.2.1",
                "1.2.2",
                "1.2.3",
                "1.2.3",
                "1.2.1",
                "1.2.2",
                "1.2.3",
                "1.2.6",
                "1.2.3",
                "1.2.3",
            )
        ]
    )
    line = usual[ptype]
    gov = np.full(n, "maintained", dtype=object)
    gov[at_school] = sch_gov[provider_school[at_school]]
    by_gov = np.isin(ptype, [RP, AP])
    line = np.where(by_gov & (gov == "academy"), LINE["1.2.2"], line)
    line = np.where(by_gov & np.isin(gov, ["independent", "non_maintained"]), LINE["1.2.3"], line)

    # annual cost: triangular in 2021-22 prices, uplifted 4 % a year by start date
    tri = np.array([COST_TRIANGLE[t] for t in range(13)], dtype=float)
    low, mode, high = tri[ptype, 0], tri[ptype, 1], tri[ptype, 2]
    u = rng.random(n)
    cut = (mode - low) / (high - low)
    draw = np.where(
        u < cut,
        low + np.sqrt(u * (high - low) * (mode - low)),
        high - np.sqrt((1 - u) * (high - low) * (high - mode)),
    )
    years = np.clip((start - COST_BASE_DAY) / 365.25, -1.5, None)
    pounds = np.rint(draw * COST_GROWTH**years)
    pounds[np.isin(ptype, [MM, MA]) & (rng.random(n) < 0.015)] = (
        0  # school meets the need from its own budget
    )
    cost_pence = pounds.astype(np.int64) * 100

    # personal details per child, from the child's first placement
    _, first_row = np.unique(child, return_index=True)  # rows are in start order: first = earliest
    first_type = ptype[first_row]
    first_group = np.array([GROUP[int(t)] for t in range(13)], dtype=object)[first_type]
    children = make_children(
        rng,
        dob=flat["child_dob"],
        locality=loc_names[flat["child_locality"]],
        first_group=first_group,
        first_start=start[first_row],
        first_is_early_years=first_type == EY,
        known_before=np.where(first_type == EY, 60, 150),
    )
    width = max(7, len(str(n)))
    placement_id = np.char.add("PL", np.char.zfill(np.arange(1, n + 1).astype(str), width)).astype(object)
    return PlacementWorld(
        placement_id=placement_id,
        child=child,
        ptype=ptype,
        start=start,
        end=end,
        reason=reason,
        cost_pence=cost_pence,
        provider_urn=urn,
        provider_name=name,
        line=line,
        children=children,
    )


def simulate_placements(
    rng: np.random.Generator, schools: pd.DataFrame, providers: Providers, scale: int
) -> PlacementWorld:
    """The whole placement history of the demo world (see the module docstring)."""
    flat = simulate(rng, scale)
    return assign_providers_and_costs(rng, flat, schools, providers)


def open_on(world: PlacementWorld, on_day: int, known_by: int | None = None) -> np.ndarray:
    """Mask of placements open on a day (as known at `known_by`, default the day itself)."""
    mask = (world.start <= on_day) & (world.end >= on_day)
    if known_by is not None:
        mask &= world.start <= known_by
    return mask


def census_count(world: PlacementWorld, on_day: int = CENSUS_2021) -> int:
    """Children with an open placement on a census day (one placement per child at a time)."""
    return int(np.unique(world.child[open_on(world, on_day)]).size)
