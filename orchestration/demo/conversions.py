"""Academy conversions: some maintained schools become academies, with a new URN, part-way through.

A conversion closes the maintained school (its URN) the day before and opens the academy (a new URN)
on the first day of a term, with `predecessor_urn` naming the old URN in `schools.csv`. The school's
outcomes from that term on are reported under the new URN, and a programme it starts from then on is
recorded under the new URN too — exactly the break in the series the platform must mend. Nothing about the
school changes: pupils, levels and planted effects carry on, so the ground truth is unaffected; placements
and payments keep naming the maintained school's URN (their s251 lines do not move).

Drawn from a stream of its own, so the rest of the world is the same with or without conversions.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from orchestration.demo.timeline import term_bounds

CONVERSIONS = 8
"""Maintained mainstream schools in the outcome panel that convert (county scale)."""
CONVERSION_TERMS = (3, 12)
"""World terms (0 = autumn 2021/22) a conversion may take effect in: autumn 2022 to summer 2025."""


@dataclass(frozen=True)
class Conversions:
    """Which panel schools convert, from which term, and their academies' URNs."""

    position: np.ndarray
    """Row of each converting school in the panel-schools table (the outcome panel's order)."""
    old_urn: np.ndarray
    new_urn: np.ndarray
    term: np.ndarray
    """World term from which the academy reports."""

    @property
    def day(self) -> np.ndarray:
        """Conversion day: the first day of the term."""
        return np.array([term_bounds(int(t))[0] for t in self.term], dtype=np.int64)

    def urns_in_term(self, panel_urn: np.ndarray, term: int) -> np.ndarray:
        """The URN each panel school reports a term under."""
        urns = panel_urn.copy()
        converted = self.term <= term
        urns[self.position[converted]] = self.new_urn[converted]
        return urns

    def urns_on_days(self, panel_urn: np.ndarray, days: np.ndarray) -> np.ndarray:
        """The URN each panel school holds on a given day (one day per school, −1 = none)."""
        urns = panel_urn.copy()
        converted = days[self.position] >= self.day
        urns[self.position[converted]] = self.new_urn[converted]
        return urns

    def schools_as_known(self, schools: pd.DataFrame, known_by: int) -> pd.DataFrame:
        """The establishments table as it stood on `known_by`: academies opened by then are added."""
        table = schools.assign(predecessor_urn="")
        done = self.day <= known_by
        old_rows = table["school_urn"].isin(self.old_urn[done])
        closing = pd.Series(self.day[done] - 1, index=self.old_urn[done])
        table.loc[old_rows, "closed_on"] = (
            table.loc[old_rows, "school_urn"].map(closing).to_numpy(dtype=np.int64)
        )
        academies = table[old_rows].copy()
        academies["school_urn"] = academies["school_urn"].map(
            dict(zip(self.old_urn[done], self.new_urn[done], strict=True))
        )
        academies["predecessor_urn"] = table.loc[old_rows, "school_urn"].to_numpy()
        academies["governance"] = "academy"
        academies["opened_on"] = academies["closed_on"] + 1
        academies["closed_on"] = -1
        return pd.concat([table, academies], ignore_index=True)


def make_conversions(
    rng: np.random.Generator, panel_schools: pd.DataFrame, all_urns: pd.Series, scale: int
) -> Conversions:
    """Pick the converting schools among maintained mainstream panel schools, their terms and new URNs."""
    candidates = np.flatnonzero(
        (panel_schools["kind"].to_numpy() == "mainstream")
        & (panel_schools["governance"].to_numpy() == "maintained")
    )
    position = np.sort(rng.choice(candidates, size=min(CONVERSIONS * scale, candidates.size), replace=False))
    # new academies' URNs are 14xxxx in the county; any unused six-digit URN at national scale
    low, high = (140_000, 150_000) if scale == 1 else (100_000, 1_000_000)
    pool = np.setdiff1d(np.arange(low, high), all_urns.astype(np.int64).to_numpy())
    new_urn = rng.choice(pool, size=position.size, replace=False).astype(str).astype(object)
    return Conversions(
        position=position,
        old_urn=panel_schools["school_urn"].to_numpy(dtype=object)[position],
        new_urn=new_urn,
        term=rng.integers(*CONVERSION_TERMS, size=position.size),
    )
