"""Balance table: were adopting schools like their comparison schools before the programme started?

For each variable, the mean among adopting (treated) and comparison schools and the standardised
difference d = (mean_T − mean_C) / √((s²_T + s²_C) / 2) (Austin 2009, *Stat. Med.* 28, 3083-3107) — the
difference in pooled standard deviations, comparable across variables and free of sample size, unlike a
p-value. For a share, s² = p(1 − p). |d| above 0.25 is the usual threshold for a difference that
regression adjustment cannot be trusted to remove (Stuart 2010; What Works Clearinghouse).

Variables, per programme: every outcome's baseline (its mean over the terms before the first cohort
adopted), the share of each phase, pupils on roll at baseline, and attrition (the share of schools
dropped from the all-pupils panel for not being in every term). The contract's `schools` file has no
free-school-meals figure, so FSM cannot be balanced on.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analyses.outcomes import OUTCOMES
from analyses.study_sample import PHASES, DesignSchools

IMBALANCE_THRESHOLD = 0.25


def standardised_difference(treated: pd.Series, comparison: pd.Series, binary: bool = False) -> float:
    """(mean_T − mean_C) / pooled SD; 0 when both groups are constant and equal, NaN when constant and not."""
    treated, comparison = treated.dropna().astype(float), comparison.dropna().astype(float)
    if treated.empty or comparison.empty:
        return float("nan")
    mean_t, mean_c = treated.mean(), comparison.mean()
    if binary:
        var_t, var_c = mean_t * (1 - mean_t), mean_c * (1 - mean_c)
    else:
        var_t = treated.var(ddof=1) if len(treated) > 1 else 0.0
        var_c = comparison.var(ddof=1) if len(comparison) > 1 else 0.0
    pooled = np.sqrt((var_t + var_c) / 2)
    if pooled == 0:
        return 0.0 if mean_t == mean_c else float("nan")
    return float((mean_t - mean_c) / pooled)


def balance_table(design: DesignSchools) -> pd.DataFrame:
    """One row per variable: its treated and comparison means and standardised difference, and the
    numbers of schools behind each mean."""
    schools = design.schools
    treated = schools["cohort"] > 0
    rows = []

    def add(variable: str, values: pd.Series, unit: str, binary: bool = False) -> None:
        rows.append(
            {
                "variable": variable,
                "unit": unit,
                "treated_mean": float(values[treated].mean()) if treated.any() else float("nan"),
                "comparison_mean": float(values[~treated].mean()) if (~treated).any() else float("nan"),
                "standardised_difference": standardised_difference(values[treated], values[~treated], binary),
                "n_treated": int(values[treated].notna().sum()),
                "n_comparison": int(values[~treated].notna().sum()),
            }
        )

    for name, outcome in OUTCOMES.items():
        column = f"baseline_{name}"
        if column in schools:
            add(column, schools[column], outcome.unit)
    for phase in PHASES:
        add(f"phase_{phase}", (schools["phase"] == phase).astype(float), "share of schools", binary=True)
    if "baseline_headcount" in schools:
        add("baseline_headcount", schools["baseline_headcount"], "pupils on roll")
    add("attrition", (~schools["complete"]).astype(float), "share of schools not in every term", binary=True)
    return pd.DataFrame(rows)


def is_balanced(balance: pd.DataFrame, outcome: str, threshold: float = IMBALANCE_THRESHOLD) -> bool:
    """The outcome's baseline and every phase share within ±``threshold`` standardised units."""
    checked = balance[balance["variable"].isin([f"baseline_{outcome}", *(f"phase_{p}" for p in PHASES)])]
    differences = checked["standardised_difference"]
    return bool(len(checked) and differences.notna().all() and (differences.abs() <= threshold).all())
