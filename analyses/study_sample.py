"""Who is compared with whom: the schools and terms behind one programme's estimates, and who dropped out.

Rules, in order, for a programme's panel (one row per school and term, `marts.impact_panel`):

1. The window is every term in the panel. A school's cohort is the term it adopted the programme (0 =
   never); adopting after the last term counts as never within the window.
2. Schools that adopted from the first term have no term before adoption to compare: dropped.
3. **The programme on its own**: a school that adopted *another* programme in the window is left out of both
   groups. As a comparison school its outcomes would move with the other programme's effect; as an adopter
   its "effect" would include the other programme's — and when schools take up several programmes, keeping
   adopters of two programmes while dropping such comparisons credits one programme with the other's effect
   (on the demo county a placebo programme then "cut" suspensions by 0.7 per 100). What several programmes
   do together is the pooled `any_programme` estimate, where nobody is left out.
4. **Attrition**: the estimators need every school in every term with the outcome known (and, for a rate
   per 100 pupils, pupils on roll). Schools that opened, closed or have a gap are dropped and counted —
   by treated and comparison, and by whether they entered late, left early or have a gap in between. An
   academy conversion is not attrition: dbt links the converted academy to its predecessor's series.
5. **Baseline**: a school's mean over the terms before the programme's first cohort adopted — the same
   calendar terms for every school, so treated and comparison baselines are comparable.

Phase is grouped for covariate adjustment into primary, secondary (with all-through) and specialist
(special and alternative provision), so no group is too small to have comparison schools.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from analyses.outcomes import Outcome

UNIT = "school_urn"
TIME = "term_index"
COHORT = "first_treated_term_index"
OTHER = "first_other_programme_term_index"
PHASES = ("primary", "secondary", "all_through", "special", "ap")
PHASE_GROUPS = {
    "primary": "primary",
    "secondary": "secondary",
    "all_through": "secondary",
    "special": "specialist",
    "ap": "specialist",
}
COVARIATE_PHASES = ("phase_secondary", "phase_specialist")


@dataclass(frozen=True)
class DesignSchools:
    """The schools a programme's design compares, one row each, before outcome-specific attrition."""

    schools: pd.DataFrame
    """school_urn, cohort (0 = comparison), phase, complete (in every term), first/last term seen,
    programme_cost_gbp, and baseline_<column> for each baseline column."""
    terms: np.ndarray
    first_cohort: int
    n_already_treated: int
    n_other_programme_treated: int
    n_other_programme_comparison: int

    @property
    def baseline_terms(self) -> np.ndarray:
        return self.terms[self.terms < self.first_cohort]

    @property
    def treated(self) -> pd.Series:
        return self.schools["cohort"] > 0


@dataclass(frozen=True)
class Attrition:
    """Schools of the design dropped from one outcome's balanced panel, by group and by reason."""

    n_treated: int
    n_comparison: int
    n_treated_dropped: int
    n_comparison_dropped: int
    n_entered_late: int
    n_left_early: int
    n_incomplete: int
    """Dropped for a gap, or for the outcome being unknown in a term they were seen in."""

    @property
    def treated_rate(self) -> float:
        return self.n_treated_dropped / self.n_treated if self.n_treated else float("nan")

    @property
    def comparison_rate(self) -> float:
        return self.n_comparison_dropped / self.n_comparison if self.n_comparison else float("nan")

    @property
    def overall_rate(self) -> float:
        total = self.n_treated + self.n_comparison
        return (self.n_treated_dropped + self.n_comparison_dropped) / total if total else float("nan")

    @property
    def differential(self) -> float:
        """|treated − comparison| attrition rate, in proportion points."""
        return abs(self.treated_rate - self.comparison_rate)

    @property
    def n_dropped(self) -> int:
        return self.n_treated_dropped + self.n_comparison_dropped


@dataclass(frozen=True)
class StudySample:
    """One programme × outcome's balanced panel (``data``) and the counts describing it."""

    data: pd.DataFrame
    """school_urn, term_index, cohort, the outcome (and its count and exposure), baseline, phase dummies,
    programme_cost_gbp."""
    outcome: Outcome
    design: DesignSchools
    attrition: Attrition
    schools: pd.DataFrame
    """One row per school of ``data`` (indexed by URN): cohort, baseline, phase, programme_cost_gbp."""

    @property
    def n_terms(self) -> int:
        return int(self.design.terms.size)

    @property
    def n_treated(self) -> int:
        return int((self.schools["cohort"] > 0).sum())

    @property
    def n_never_treated(self) -> int:
        return int((self.schools["cohort"] == 0).sum())

    @property
    def covariates(self) -> list[str]:
        """Phase-group dummies that vary in the sample, and the outcome's baseline."""
        schools = self.schools
        varying = [c for c in COVARIATE_PHASES if schools[c].nunique() > 1]
        return [*varying, "baseline"]


def design_schools(rows: pd.DataFrame, baseline_columns: list[str]) -> DesignSchools:
    """Apply rules 1–3 and 5 of the module docstring to one programme's panel rows."""
    terms = np.sort(rows[TIME].unique())
    last = terms.max() if terms.size else 0
    per_school = rows.groupby(UNIT, sort=True)
    schools = pd.DataFrame(
        {
            "cohort": per_school[COHORT].first().astype("int64"),
            "other": per_school[OTHER].first().astype("int64"),
            "phase": per_school["phase"].first(),
            "programme_cost_gbp": per_school["programme_cost_gbp"].first().astype("float64"),
            "first_term": per_school[TIME].min(),
            "last_term": per_school[TIME].max(),
            "n_terms": per_school[TIME].nunique(),
        }
    )
    schools.loc[schools["cohort"] > last, "cohort"] = 0
    schools.loc[schools["other"] > last, "other"] = 0
    schools["complete"] = schools["n_terms"] == terms.size
    already = (schools["cohort"] > 0) & (schools["cohort"] <= (terms.min() if terms.size else 0))
    other = (schools["other"] > 0) & ~already
    n_other_treated = int((other & (schools["cohort"] > 0)).sum())
    n_other_comparison = int((other & (schools["cohort"] == 0)).sum())
    schools = schools[~already & ~other].drop(columns="other")
    treated_cohorts = schools.loc[schools["cohort"] > 0, "cohort"]
    first_cohort = int(treated_cohorts.min()) if len(treated_cohorts) else int(last) + 1
    in_baseline = rows[rows[TIME] < first_cohort]
    means = in_baseline.groupby(UNIT)[baseline_columns].mean()
    schools = schools.join(means.add_prefix("baseline_"))
    return DesignSchools(
        schools=schools,
        terms=terms,
        first_cohort=first_cohort,
        n_already_treated=int(already.sum()),
        n_other_programme_treated=n_other_treated,
        n_other_programme_comparison=n_other_comparison,
    )


def study_sample(rows: pd.DataFrame, design: DesignSchools, outcome: Outcome) -> StudySample:
    """Rule 4: the balanced panel of one outcome, with its attrition counted."""
    needed = [outcome.name] + [c for c in (outcome.count, outcome.exposure) if c]
    data = rows.loc[rows[UNIT].isin(design.schools.index), [UNIT, TIME, *dict.fromkeys(needed)]]
    known = data[needed].notna().all(axis=1)
    if outcome.exposure:
        known &= data[outcome.exposure].fillna(0) > 0
    known_terms = known.groupby(data[UNIT]).sum()
    schools = design.schools
    keep = schools.index[
        schools["complete"] & (known_terms.reindex(schools.index, fill_value=0) == design.terms.size)
    ]
    dropped = schools.drop(index=keep)
    treated = schools["cohort"] > 0
    attrition = Attrition(
        n_treated=int(treated.sum()),
        n_comparison=int((~treated).sum()),
        n_treated_dropped=int((dropped["cohort"] > 0).sum()),
        n_comparison_dropped=int((dropped["cohort"] == 0).sum()),
        n_entered_late=int((dropped["first_term"] > design.terms.min()).sum()) if design.terms.size else 0,
        n_left_early=int((dropped["last_term"] < design.terms.max()).sum()) if design.terms.size else 0,
        n_incomplete=int(
            (
                (dropped["first_term"] == design.terms.min()) & (dropped["last_term"] == design.terms.max())
            ).sum()
        )
        if design.terms.size
        else 0,
    )
    data = data[data[UNIT].isin(keep)]
    per_school = schools.loc[keep]
    group = per_school["phase"].map(PHASE_GROUPS)
    covariates = pd.DataFrame(
        {
            "cohort": per_school["cohort"].astype("float64"),
            "baseline": per_school[f"baseline_{outcome.name}"],
            "phase_secondary": (group == "secondary").astype("float64"),
            "phase_specialist": (group == "specialist").astype("float64"),
            "phase": per_school["phase"],
            "programme_cost_gbp": per_school["programme_cost_gbp"],
        }
    )
    data = data.merge(covariates, left_on=UNIT, right_index=True).sort_values([UNIT, TIME])
    return StudySample(
        data=data.reset_index(drop=True),
        outcome=outcome,
        design=design,
        attrition=attrition,
        schools=covariates.rename_axis(UNIT),
    )
