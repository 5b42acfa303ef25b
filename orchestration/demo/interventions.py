"""Inclusion programmes rolled out to schools in staggered cohorts (`interventions.csv`).

Each programme is taken up independently by each eligible school (so programmes are not confounded
with one another), in cohorts that start in a given term from autumn 2022; some schools never take it
up. Restorative practice, trauma-informed practice and TALC are open to mainstream and special schools
(the same eligibility for all three, so uptake of one says nothing about another); AP outreach goes to
secondary and all-through schools only. The effects these programmes have are
planted in `outcomes.py`; TALC is the placebo with no effect at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.demo.timeline import term_bounds


@dataclass(frozen=True)
class Programme:
    name: str
    uptake: float
    """Share of eligible schools that ever take it up."""
    cohorts: tuple[int, ...]
    """Term indexes (0 = autumn 2021/22) in which cohorts start."""
    cohort_strength: tuple[float, ...]
    """Effect multiplier of each cohort (early adopters are keener): effects differ by cohort."""
    phases: tuple[str, ...] | None
    """Eligible phases (None: every school in the panel)."""
    cost_range: tuple[int, int]
    duration_days: int | None = None
    """Fixed-length programmes end; the others are ongoing."""


SCHOOL_PHASES = ("primary", "secondary", "all_through", "special")
"""Pupil referral units and AP academies deliver outreach rather than receive these programmes."""

PROGRAMMES: dict[str, Programme] = {
    p.name: p
    for p in (
        Programme(
            "restorative_practice", 0.55, (3, 4, 6, 9), (1.25, 1.0, 0.85, 0.7), SCHOOL_PHASES, (8_000, 15_000)
        ),
        Programme(
            "trauma_informed", 0.5, (3, 5, 6, 8, 9), (1.2, 1.0, 0.9, 0.8, 0.7), SCHOOL_PHASES, (5_000, 12_000)
        ),
        Programme("talc", 0.4, (3, 6, 9), (1.0, 1.0, 1.0), SCHOOL_PHASES, (3_000, 6_000), duration_days=365),
        Programme(
            "ap_outreach",
            0.6,
            (4, 6, 7, 10),
            (1.2, 1.0, 0.9, 0.8),
            ("secondary", "all_through"),
            (20_000, 40_000),
        ),
    )
}


@dataclass(frozen=True)
class Assignment:
    """Which panel school got which programme, from which term."""

    cohort: dict[str, np.ndarray]
    """Programme → term index of each panel school's cohort (-1: never treated)."""
    start_day: dict[str, np.ndarray]
    end_day: dict[str, np.ndarray]
    """-1 when ongoing."""
    cost_pence: dict[str, np.ndarray]


def _start_days(rng: np.random.Generator, terms: np.ndarray) -> np.ndarray:
    """A start date inside each term's teaching weeks (so the date falls in the contract's term)."""
    out = np.full(len(terms), -1, dtype=np.int64)
    for term in np.unique(terms[terms >= 0]):
        first, _ = term_bounds(int(term))
        # teaching weeks: autumn 1 Sep–15 Dec, spring 4 Jan–28 Mar, summer 15 Apr–20 Jul
        offset, length = {0: (2, 105), 1: (3, 83), 2: (14, 96)}[int(term) % 3]
        rows = np.flatnonzero(terms == term)
        out[rows] = first + offset + rng.integers(0, length, size=len(rows))
    return out


def assign_programmes(rng: np.random.Generator, panel_phase: np.ndarray) -> Assignment:
    """Independent uptake per programme; cohorts drawn uniformly among the programme's start terms."""
    cohort, start, end, cost = {}, {}, {}, {}
    n = len(panel_phase)
    for name, programme in PROGRAMMES.items():
        eligible = (
            np.ones(n, dtype=bool) if programme.phases is None else np.isin(panel_phase, programme.phases)
        )
        treated = eligible & (rng.random(n) < programme.uptake)
        which = rng.integers(0, len(programme.cohorts), size=n)
        cohort[name] = np.where(treated, np.array(programme.cohorts)[which], -1)
        start[name] = _start_days(rng, cohort[name])
        end[name] = (
            np.where(treated, start[name] + programme.duration_days, -1)
            if programme.duration_days
            else np.full(n, -1, dtype=np.int64)
        )
        low, high = programme.cost_range
        cost[name] = np.where(treated, np.round(rng.uniform(low, high, n), -1) * 100, 0).astype(np.int64)
    return Assignment(cohort=cohort, start_day=start, end_day=end, cost_pence=cost)


def interventions_table(
    assignment: Assignment, urns_on_days: Callable[[np.ndarray], np.ndarray], known_by: int
) -> pd.DataFrame:
    """Rows of `interventions.csv` as known at `known_by` (programmes not started yet are not listed).

    `urns_on_days` gives each panel school's URN on its start day: an academy's new URN from conversion.
    """
    parts = []
    for name in PROGRAMMES:
        start = assignment.start_day[name]
        panel_urn = urns_on_days(start)
        rows = np.flatnonzero((start >= 0) & (start <= known_by))
        end = assignment.end_day[name][rows]
        parts.append(
            pd.DataFrame(
                {
                    "school_urn": panel_urn[rows],
                    "programme": name,
                    "start_day": start[rows],
                    "end_day": np.where((end >= 0) & (end <= known_by), end, -1),
                    "cost_pence": assignment.cost_pence[name][rows],
                }
            )
        )
    table = pd.concat(parts, ignore_index=True)
    return table.sort_values(["start_day", "programme", "school_urn"], kind="stable").reset_index(drop=True)
