"""Programme impact estimates, `marts.impact_estimates` and `marts.event_study`, from `marts.impact_panel`.

For every programme × outcome the school × term panel is balanced (schools seen in every term, with the
outcome known in every term; the others are dropped and counted), then three estimators run:

* `callaway_santanna` — `analyses.did.att_gt`, the estimate to report; its four aggregations each give a
  row, and the `dynamic` one fills `event_study`;
* `twfe` — `analyses.twfe.twfe`, the conventional benchmark (biased when effects differ by cohort or grow
  with exposure, so it is shown beside Callaway & Sant'Anna, never instead of it);
* `poisson_twfe` — `analyses.poisson.poisson_fe` on the counts behind suspension and permanent exclusion
  rates (rare events, often zero) with log(headcount) exposure. Its `estimate`, `ci_low` and `ci_high` are
  the **rate ratio** exp(β) and its 95 % CI (0.8 = 20 % fewer events per pupil), while `std_error` is the
  SE of the **log** rate ratio β, the scale on which the Wald test and CI are built; `estimate_scale` says
  which scale each row is on.

Choices: the comparison group is the never-treated schools when there are at least
`MIN_NEVER_TREATED_SCHOOLS` of them (a fixed comparison whose composition does not change over time and is
untouched by late adopters' anticipation), else the not-yet-treated ones (R ``did``'s two options). The
2×2 estimator is outcome regression (`reg`): with no covariates `reg`, `ipw` and `dr` give the same number,
and `reg` needs no propensity model that could fail on small cohorts. The interrupted time series of
monthly spend (`analyses.its`) is not a school-panel estimator and is kept out of these tables.

`pretrend_p_value` is a joint Wald test that the event-study estimates of the `PRETREND_TERMS` terms before
adoption are all zero, not `ATTgtResult.pretrend_test()` (every pre-adoption ATT(g,t) at once). On the
demo county's design, where parallel trends hold by construction, that many-cell test rejected at the 5 %
level in 11–28 % of simulated worlds (its covariance is estimated from cohorts of ~20 schools and has up
to ~20 degrees of freedom); the three-term event-study test rejected in 1–6 %. It is left NULL when a
cohort in it has fewer than `MIN_COHORT_FOR_PRETREND` schools, whose variance cannot be estimated well
enough for any such test. TWFE rows share the test (same linear parallel-trends assumption); Poisson rows
have none (their assumption is parallel trends in logs).

statsmodels, the estimators and matplotlib are imported when the asset runs, never when the Dagster
definitions load (they are slow to import).
"""

import base64
import io
import math
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import dagster as dg
import duckdb
import numpy as np
import pandas as pd

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.progress import report
from orchestration.resources import HighNeedsHome
from orchestration.warehouse import connect, transaction

if TYPE_CHECKING:
    from analyses.did import ATTgtResult

IMPACT_PANEL_KEY = dg.AssetKey(["marts", "impact_panel"])
IMPACT_ESTIMATES_KEY = dg.AssetKey(["marts", "impact_estimates"])
EVENT_STUDY_KEY = dg.AssetKey(["marts", "event_study"])

UNIT = "school_urn"
TIME = "term_index"
COHORT = "first_treated_term_index"

# below these the estimate is not worth publishing: influence-function SEs need more than a handful of units
MIN_TERMS = 3
MIN_TREATED_SCHOOLS = 5
MIN_COMPARISON_SCHOOLS = 5
# with this many never-treated schools they alone are the comparison group; fewer → not-yet-treated too
MIN_NEVER_TREATED_SCHOOLS = 20
PRETREND_TERMS = 3
MIN_COHORT_FOR_PRETREND = 5
ALPHA = 0.05

ESTIMATORS = ("callaway_santanna", "twfe", "poisson_twfe")
CS_AGGREGATIONS = ("simple", "dynamic", "group", "calendar")

ESTIMATE_COLUMNS: dict[str, str] = {
    "programme": "varchar",
    "outcome": "varchar",
    "estimator": "varchar",
    "aggregation": "varchar",
    "estimate": "double",
    "std_error": "double",
    "ci_low": "double",
    "ci_high": "double",
    "p_value": "double",
    "n_treated_units": "bigint",
    "n_control_units": "bigint",
    "pretrend_p_value": "double",
    "interpretation": "varchar",
    "minimum_detectable_effect": "double",
    "estimate_scale": "varchar",
    "control_group": "varchar",
    "n_terms": "bigint",
    "n_schools_dropped": "bigint",
}
EVENT_STUDY_COLUMNS: dict[str, str] = {
    "programme": "varchar",
    "outcome": "varchar",
    "relative_period": "bigint",
    "estimate": "double",
    "std_error": "double",
    "ci_low": "double",
    "ci_high": "double",
}


@dataclass(frozen=True)
class OutcomeSpec:
    """A contract outcome: its panel column, how a sentence names it, and its count model (if any)."""

    name: str
    words: str
    count: str | None = None
    exposure: str | None = None
    count_words: str | None = None
    among: str = ""

    @property
    def is_ehcp(self) -> bool:
        return self.name.endswith("_ehcp")


def _outcome_specs() -> tuple[OutcomeSpec, ...]:
    """The eight contract outcomes, all pupils first, then pupils with an EHCP."""
    specs = []
    for suffix, pupils, among in (
        ("", "pupils", ""),
        ("_ehcp", "pupils with an EHCP", " among pupils with an EHCP"),
    ):
        specs += [
            OutcomeSpec(
                f"suspension_rate{suffix}",
                f"suspensions per 100 {pupils} a term",
                count=f"suspensions{suffix}",
                exposure=f"headcount{suffix}",
                count_words="suspensions",
                among=among,
            ),
            OutcomeSpec(
                f"permanent_exclusion_rate{suffix}",
                f"permanent exclusions per 100 {pupils} a term",
                count=f"permanent_exclusions{suffix}",
                exposure=f"headcount{suffix}",
                count_words="permanent exclusions",
                among=among,
            ),
            OutcomeSpec(
                f"absence_rate{suffix}",
                "sessions missed per 100 possible sessions" + (f" of {pupils}" if suffix else ""),
            ),
            OutcomeSpec(f"persistent_absence_rate{suffix}", f"persistent absentees per 100 {pupils}"),
        ]
    return tuple(specs)


OUTCOMES = _outcome_specs()
OUTCOME_NAMES = tuple(spec.name for spec in OUTCOMES)
# how reports name programmes whose code is an acronym or needs a hyphen; others: underscores → spaces
PROGRAMME_LABELS = {
    "talc": "TALC",
    "ap_outreach": "AP outreach",
    "trauma_informed": "trauma-informed practice",
}


def programme_label(programme: str) -> str:
    """The programme as a sentence names it: `restorative_practice` → `restorative practice`."""
    return PROGRAMME_LABELS.get(programme, programme.replace("_", " "))


class SkipEstimate(Exception):
    """This programme × outcome (× estimator) cannot be estimated; the message says why."""


@dataclass(frozen=True)
class Skipped:
    """An estimate left out of the tables, and why."""

    programme: str
    outcome: str
    estimator: str
    reason: str


@dataclass(frozen=True)
class BalancedPanel:
    """One programme × outcome's estimation sample and the counts describing it."""

    data: pd.DataFrame  # school_urn, term_index, cohort (0 = untreated in the window), outcome, count columns
    n_terms: int
    n_dropped_unbalanced: int
    n_dropped_missing_outcome: int
    n_dropped_already_treated: int
    n_treated: int
    n_never_treated: int

    @property
    def n_dropped(self) -> int:
        return self.n_dropped_unbalanced + self.n_dropped_missing_outcome + self.n_dropped_already_treated


@dataclass
class ImpactResults:
    """Everything the asset writes or shows: both tables, what was skipped, and the notes on the way."""

    estimates: pd.DataFrame
    event_study: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def balanced_panel(rows: pd.DataFrame, spec: OutcomeSpec) -> BalancedPanel:
    """Keep schools observed in every term of the panel with a known outcome (and count) in each.

    The cohort is recoded as `att_gt` would (after the last term → 0, untreated in the window), and schools
    treated from the first term, which have no pre-adoption term to compare with, are dropped from every
    estimator so all of them describe the same schools.
    """
    terms = np.sort(rows[TIME].unique())
    needed = [spec.name] + [c for c in (spec.count, spec.exposure) if c]
    columns = [UNIT, TIME, COHORT, *dict.fromkeys(needed)]
    data = rows[columns].rename(columns={COHORT: "cohort"})
    terms_seen = data.groupby(UNIT)[TIME].nunique()
    complete = terms_seen.index[terms_seen == len(terms)]
    n_unbalanced = int(len(terms_seen) - len(complete))
    data = data[data[UNIT].isin(complete)]

    known = data[needed].notna().all(axis=1)
    if spec.exposure:
        # a count model needs a positive exposure and the rate needs a denominator in every term
        known &= data[spec.exposure].fillna(0) > 0
    schools_known = known.groupby(data[UNIT]).all()
    keep = schools_known.index[schools_known]
    n_missing = int(len(schools_known) - len(keep))
    data = data[data[UNIT].isin(keep)].copy()

    data["cohort"] = data["cohort"].astype(float)
    if len(terms):
        data.loc[data["cohort"] > terms.max(), "cohort"] = 0.0
        already = data["cohort"].gt(0) & data["cohort"].le(terms.min())
        n_already = int(data.loc[already, UNIT].nunique())
        data = data[~already]
    else:
        n_already = 0
    cohort_by_school = data.groupby(UNIT)["cohort"].first()
    return BalancedPanel(
        data=data.sort_values([UNIT, TIME]).reset_index(drop=True),
        n_terms=len(terms),
        n_dropped_unbalanced=n_unbalanced,
        n_dropped_missing_outcome=n_missing,
        n_dropped_already_treated=n_already,
        n_treated=int((cohort_by_school > 0).sum()),
        n_never_treated=int((cohort_by_school == 0).sum()),
    )


def choose_control_group(panel: BalancedPanel) -> str:
    """Never-treated schools when there are enough of them, else not-yet-treated (module docstring)."""
    return "never_treated" if panel.n_never_treated >= MIN_NEVER_TREATED_SCHOOLS else "not_yet_treated"


def _check_design(panel: BalancedPanel, spec: OutcomeSpec) -> None:
    """Refuse designs too thin to estimate: few terms, few adopters, or nobody to compare with."""
    if panel.n_terms < MIN_TERMS:
        raise SkipEstimate(f"only {panel.n_terms} term(s) in the panel; at least {MIN_TERMS} are needed")
    if panel.n_treated < MIN_TREATED_SCHOOLS:
        raise SkipEstimate(
            f"{panel.n_treated} adopting school(s) with a term before adoption in the balanced panel; "
            f"at least {MIN_TREATED_SCHOOLS} are needed"
        )
    cohorts = panel.data.groupby(UNIT)["cohort"].first()
    later_adopters = int((cohorts > cohorts[cohorts > 0].min()).sum())
    if panel.n_never_treated + later_adopters < MIN_COMPARISON_SCHOOLS:
        raise SkipEstimate(
            f"{panel.n_never_treated} never-treated and {later_adopters} later-adopting school(s) to compare "
            f"with; at least {MIN_COMPARISON_SCHOOLS} are needed"
        )
    if panel.data[spec.name].nunique() <= 1:
        raise SkipEstimate("the outcome takes a single value in every school and term")


def _finite(*values: float) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


def _decimals(ci_low: float, ci_high: float) -> int:
    """Enough decimals that the CI's half-width shows at least one significant digit (1 to 4)."""
    half_width = (ci_high - ci_low) / 2
    if not _finite(half_width) or half_width <= 0:
        return 2
    return int(min(4, max(1, -math.floor(math.log10(half_width)))))


def _subject(programme: str) -> str:
    return f"Schools that adopted {programme_label(programme)}"


_WHEN = {
    "simple": "after adoption",
    "dynamic": "after adoption, averaging the terms since adoption equally",
    "group": "after adoption, averaging the adoption cohorts",
    "calendar": "after adoption, averaging the calendar terms",
    "none": "after adoption by the two-way fixed effects benchmark",
}


def interpret_difference(
    programme: str, spec: OutcomeSpec, aggregation: str, row: dict[str, float], pretrend_p: float | None
) -> str:
    """One sentence for an additive estimate (per 100 pupils / sessions), via `analyses.plain_english`."""
    from analyses.plain_english import describe_change

    estimate, ci_low, ci_high = row["estimate"], row["ci_low"], row["ci_high"]
    if not _finite(estimate, ci_low, ci_high):
        return (
            f"{_subject(programme)}: no confidence interval could be computed for {spec.words} "
            f"(the outcome barely varies), so no conclusion is drawn."
        )
    return describe_change(
        estimate,
        ci_low,
        ci_high,
        subject=_subject(programme),
        outcome=spec.words,
        when=_WHEN[aggregation],
        pretrend_p=pretrend_p,
        alpha=ALPHA,
        decimals=_decimals(ci_low, ci_high),
    )


def interpret_rate_ratio(programme: str, spec: OutcomeSpec, row: dict[str, float]) -> str:
    """One sentence for a Poisson rate ratio, e.g. "… had 18 % fewer suspensions per pupil …"."""
    from analyses.plain_english import describe_rate_ratio

    return describe_rate_ratio(
        row["estimate"],
        row["ci_low"],
        row["ci_high"],
        subject=_subject(programme),
        outcome=spec.count_words or spec.words,
        when=f"{spec.among.strip()} after adoption".strip(),
        alpha=ALPHA,
    )


def _n_comparison(cohort_by_school: pd.Series, control_group: str) -> int:
    """Schools that serve as a comparison in at least one post-adoption ATT(g,t).

    Never-treated comparisons: the never-treated schools. Not-yet-treated: those plus every school adopting
    after the earliest cohort (it is a comparison for that cohort until it adopts itself).
    """
    never = int((cohort_by_school == 0).sum())
    if control_group == "never_treated":
        return never
    treated = cohort_by_school[cohort_by_school > 0]
    return never + int((treated > treated.min()).sum()) if len(treated) else never


def _warning_notes(caught: list[warnings.WarningMessage], where: str) -> list[str]:
    return [f"{where}: {w.message}" for w in caught]


def event_study_pretrend_p(result: "ATTgtResult", terms: int = PRETREND_TERMS) -> tuple[float, str | None]:
    """p-value of H0: event-study estimates θ(e), e = −terms … −1, are all zero; NaN and why if untestable.

    θ(e) and their influence functions are built as `analyses.did.aggregate_att_gt(kind="dynamic")` builds
    them (cohort-share weights plus the estimated-weights term), so the test matches the `event_study` rows:
    W = n · θ' V⁻¹ θ with V = ψ'ψ / n, χ² with one degree of freedom per term tested.
    """
    from scipy import stats

    gt = result.group_time
    estimated = gt["att"].notna().to_numpy()
    cohort = gt["cohort"].to_numpy()[estimated]
    event = (gt["time"] - gt["cohort"]).to_numpy()[estimated]
    att = gt["att"].to_numpy()[estimated]
    psi = result.influence[:, estimated]
    unit_cohort = result.unit_cohort
    tested = np.flatnonzero((event < 0) & (event >= -terms))
    if tested.size == 0:
        return float("nan"), "no term before adoption to test"
    smallest = min(int((unit_cohort == g).sum()) for g in np.unique(cohort[tested]))
    if smallest < MIN_COHORT_FOR_PRETREND:
        return float("nan"), (
            f"an adoption cohort of {smallest} school(s) is too small to estimate its variance; "
            f"at least {MIN_COHORT_FOR_PRETREND} are needed"
        )

    cohorts = np.unique(cohort)
    cohort_share = np.array([(unit_cohort == g).mean() for g in cohorts])
    cell_share = cohort_share[np.searchsorted(cohorts, cohort)]
    position = np.full(unit_cohort.size, -1)
    for index, g in enumerate(cohorts):
        position[unit_cohort == g] = index
    estimates, influences = [], []
    for e in np.unique(event[tested]):
        cells = np.flatnonzero(event == e)
        share = cell_share[cells] / cell_share[cells].sum()
        theta = float(share @ att[cells])
        cell_pos = np.searchsorted(cohorts, cohort[cells])
        sums = np.append(np.bincount(cell_pos, weights=att[cells], minlength=cohorts.size), 0.0)
        counts = np.append(np.bincount(cell_pos, minlength=cohorts.size).astype(float), 0.0)
        weights_term = (sums[position] - counts[position] * theta) / cell_share[cells].sum()
        estimates.append(theta)
        influences.append(psi[:, cells] @ share + weights_term)
    theta_pre, influence = np.asarray(estimates), np.column_stack(influences)
    n = result.n_units
    covariance = influence.T @ influence / n
    if not np.all(np.isfinite(covariance)) or 1.0 / np.linalg.cond(covariance, 1) <= np.finfo(float).eps:
        return float("nan"), "the pre-adoption estimates' covariance is singular"
    statistic = float(n * theta_pre @ np.linalg.solve(covariance, theta_pre))
    return float(stats.chi2.sf(statistic, theta_pre.size)), None


def estimate_callaway_santanna(
    programme: str, spec: OutcomeSpec, panel: BalancedPanel, control_group: str, notes: list[str]
) -> tuple[list[dict[str, object]], pd.DataFrame, float]:
    """Rows for the four aggregations, the event-study table, and the pre-trend p-value."""
    from analyses.did import att_gt

    where = f"{programme} × {spec.name} (callaway_santanna)"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = att_gt(
            panel.data,
            spec.name,
            UNIT,
            TIME,
            "cohort",
            control_group=control_group,
            method="reg",
            alpha=ALPHA,
        )
        pretrend_p, pretrend_problem = event_study_pretrend_p(result)
        n_na = int(result.group_time["att"].isna().sum())
        aggregates = {}
        for kind in CS_AGGREGATIONS:
            try:
                aggregates[kind] = result.aggregate(kind, na_rm=True)
            except ValueError as reason:
                notes.append(f"{where}: no {kind} aggregation ({reason})")
    notes += _warning_notes(caught, where)
    if pretrend_problem:
        notes.append(f"{where}: no pre-trend test ({pretrend_problem})")
    if "dynamic" not in aggregates:
        raise SkipEstimate("no post-adoption ATT(g,t) could be aggregated")
    if n_na:
        notes.append(f"{where}: {n_na} ATT(g,t) could not be estimated and were left out of the aggregations")

    unit_cohort = pd.Series(result.unit_cohort)
    estimated_cohorts = result.group_time["cohort"].unique()
    n_treated = int(unit_cohort.isin(estimated_cohorts).sum())
    n_control = _n_comparison(unit_cohort, control_group)
    rows = []
    for kind, aggregate in aggregates.items():
        row: dict[str, object] = {
            "estimator": "callaway_santanna",
            "aggregation": kind,
            "estimate": aggregate.estimate,
            "std_error": aggregate.std_error,
            "ci_low": aggregate.ci_low,
            "ci_high": aggregate.ci_high,
            "p_value": aggregate.p_value,
            "n_treated_units": n_treated,
            "n_control_units": n_control,
            "pretrend_p_value": pretrend_p,
            "estimate_scale": "difference",
            "control_group": control_group,
        }
        row["interpretation"] = interpret_difference(programme, spec, kind, row, pretrend_p)
        rows.append(row)
    event_study = aggregates["dynamic"].table.assign(programme=programme, outcome=spec.name)
    return rows, event_study, pretrend_p


def estimate_twfe(
    programme: str, spec: OutcomeSpec, panel: BalancedPanel, pretrend_p: float | None, notes: list[str]
) -> dict[str, object]:
    """The static TWFE row; it shares the Callaway & Sant'Anna pre-trend test (same linear assumption)."""
    from analyses.twfe import twfe

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = twfe(panel.data, spec.name, UNIT, TIME, cohort="cohort", alpha=ALPHA)
    notes += _warning_notes(caught, f"{programme} × {spec.name} (twfe)")
    row: dict[str, object] = {
        "estimator": "twfe",
        "aggregation": "none",
        "estimate": result.estimate,
        "std_error": result.std_error,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "p_value": result.p_value,
        "n_treated_units": result.n_treated_units,
        "n_control_units": result.n_units - result.n_treated_units,
        "pretrend_p_value": pretrend_p,
        "estimate_scale": "difference",
        "control_group": None,
    }
    row["interpretation"] = interpret_difference(programme, spec, "none", row, pretrend_p)
    return row


def estimate_poisson(
    programme: str, spec: OutcomeSpec, panel: BalancedPanel, notes: list[str]
) -> dict[str, object]:
    """The Poisson TWFE row: rate ratio with its CI; `std_error` is the SE of the log rate ratio.

    `pretrend_p_value` is NULL: the linear pre-trend test does not test the multiplicative parallel trends
    this model assumes.
    """
    from analyses.poisson import poisson_fe

    if not (spec.count and spec.exposure):
        raise SkipEstimate(f"{spec.name} has no count and exposure for a Poisson model")
    data = panel.data
    events = data.groupby(UNIT)[spec.count].sum()
    cohort_by_school = data.groupby(UNIT)["cohort"].first()
    with_events = events.index[events > 0]
    if (cohort_by_school[with_events] > 0).sum() < MIN_TREATED_SCHOOLS:
        raise SkipEstimate(
            f"fewer than {MIN_TREATED_SCHOOLS} adopting schools have any {spec.count_words}; a rate ratio "
            "needs events"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = poisson_fe(data, spec.count, spec.exposure, UNIT, TIME, cohort="cohort", alpha=ALPHA)
    notes += _warning_notes(caught, f"{programme} × {spec.name} (poisson_twfe)")
    if result.n_units_all_zero:
        notes.append(
            f"{programme} × {spec.name} (poisson_twfe): {result.n_units_all_zero} school(s) with no "
            f"{spec.count_words} in any term carry no information on the rate ratio and were left out"
        )
    row: dict[str, object] = {
        "estimator": "poisson_twfe",
        "aggregation": "none",
        "estimate": result.rate_ratio,
        "std_error": result.std_error,
        "ci_low": result.ci_low,
        "ci_high": result.ci_high,
        "p_value": result.p_value,
        "n_treated_units": result.n_treated_units,
        "n_control_units": result.n_units - result.n_treated_units,
        "pretrend_p_value": None,
        "estimate_scale": "rate_ratio",
        "control_group": None,
    }
    row["interpretation"] = interpret_rate_ratio(programme, spec, row)
    return row


def minimum_detectable_effects(
    spec: OutcomeSpec, panel: BalancedPanel, n_control: int
) -> tuple[float, float]:
    """MDE (80 % power, 5 % two-sided) in the outcome's units, and the same as a rate ratio.

    The rate-ratio form, for `poisson_twfe` rows, is 1 − MDE ÷ the mean outcome of untreated school-terms:
    the smallest detectable reduction expressed as the estimate of those rows is (NaN if that would be ≤ 0).
    """
    from analyses.mde import mde_from_panel

    data = panel.data
    mde = mde_from_panel(
        data, spec.name, UNIT, TIME, "cohort", n_control=float(max(n_control, 1)), alpha=ALPHA, power=0.8
    ).mde
    untreated = (data["cohort"] == 0) | (data[TIME] < data["cohort"])
    baseline = float(data.loc[untreated, spec.name].mean())
    as_ratio = 1 - mde / baseline if _finite(baseline, mde) and baseline > mde else float("nan")
    return mde, as_ratio


def estimate_programme_outcome(
    programme: str, rows: pd.DataFrame, spec: OutcomeSpec, results: ImpactResults
) -> tuple[list[dict[str, object]], pd.DataFrame | None]:
    """Every estimator for one programme × outcome; thin designs and failed fits are skipped, not raised."""
    panel = balanced_panel(rows, spec)
    if panel.n_dropped:
        results.notes.append(
            f"{programme} × {spec.name}: dropped {panel.n_dropped_unbalanced} school(s) missing a term, "
            f"{panel.n_dropped_missing_outcome} with the outcome unknown in a term, "
            f"{panel.n_dropped_already_treated} treated from the first term"
        )
    try:
        _check_design(panel, spec)
    except SkipEstimate as reason:
        results.skipped.append(Skipped(programme, spec.name, "all", str(reason)))
        return [], None

    control_group = choose_control_group(panel)
    out: list[dict[str, object]] = []
    event_study = None
    pretrend_p: float | None = None
    n_control_cs = _n_comparison(panel.data.groupby(UNIT)["cohort"].first(), control_group)
    try:
        cs_rows, event_study, pretrend_p = estimate_callaway_santanna(
            programme, spec, panel, control_group, results.notes
        )
        out += cs_rows
    except (SkipEstimate, ValueError, RuntimeError, ArithmeticError) as reason:
        results.skipped.append(Skipped(programme, spec.name, "callaway_santanna", str(reason)))
    try:
        out.append(estimate_twfe(programme, spec, panel, pretrend_p, results.notes))
    except (SkipEstimate, ValueError, RuntimeError, ArithmeticError) as reason:
        results.skipped.append(Skipped(programme, spec.name, "twfe", str(reason)))
    if spec.count:
        try:
            out.append(estimate_poisson(programme, spec, panel, results.notes))
        except (SkipEstimate, ValueError, RuntimeError, ArithmeticError) as reason:
            results.skipped.append(Skipped(programme, spec.name, "poisson_twfe", str(reason)))

    try:
        mde, mde_ratio = minimum_detectable_effects(spec, panel, n_control_cs)
    except (ValueError, RuntimeError, ArithmeticError) as reason:
        results.notes.append(f"{programme} × {spec.name}: no minimum detectable effect ({reason})")
        mde, mde_ratio = float("nan"), float("nan")
    for row in out:
        row.update(
            programme=programme,
            outcome=spec.name,
            minimum_detectable_effect=mde_ratio if row["estimate_scale"] == "rate_ratio" else mde,
            n_terms=panel.n_terms,
            n_schools_dropped=panel.n_dropped,
        )
    return out, event_study


def estimate_impacts(
    impact_panel: pd.DataFrame, progress: Callable[[str], None] | None = None
) -> ImpactResults:
    """Run every programme × outcome of `marts.impact_panel`; returns both tables in contract order.

    `progress` (optional) is called with a line per programme, so a long run shows where it is.
    """
    results = ImpactResults(estimates=_empty(ESTIMATE_COLUMNS), event_study=_empty(EVENT_STUDY_COLUMNS))
    estimate_rows: list[dict[str, object]] = []
    event_studies: list[pd.DataFrame] = []
    for programme, rows in impact_panel.groupby("programme", sort=True):
        programme = str(programme)
        before = len(estimate_rows)
        for spec in OUTCOMES:
            if spec.name not in rows.columns:
                results.skipped.append(
                    Skipped(programme, spec.name, "all", "outcome column not in the panel")
                )
                continue
            new_rows, event_study = estimate_programme_outcome(programme, rows, spec, results)
            estimate_rows += new_rows
            if event_study is not None:
                event_studies.append(event_study)
        if progress is not None:
            progress(f"impact: {programme_label(programme)} — {len(estimate_rows) - before} estimate(s)")

    if estimate_rows:
        estimates = pd.DataFrame(estimate_rows)[list(ESTIMATE_COLUMNS)]
        order = {
            "outcome": {name: i for i, name in enumerate(OUTCOME_NAMES)},
            "estimator": {name: i for i, name in enumerate(ESTIMATORS)},
            "aggregation": {name: i for i, name in enumerate((*CS_AGGREGATIONS, "none"))},
        }
        results.estimates = estimates.sort_values(
            ["programme", "outcome", "estimator", "aggregation"],
            key=lambda column: column.map(order[column.name]) if column.name in order else column,
        ).reset_index(drop=True)
    if event_studies:
        event_study = pd.concat(event_studies, ignore_index=True)
        event_study["relative_period"] = event_study["relative_period"].round().astype("int64")
        results.event_study = event_study[list(EVENT_STUDY_COLUMNS)].reset_index(drop=True)
    return results


def _empty(columns: dict[str, str]) -> pd.DataFrame:
    return pd.DataFrame(
        {name: pd.Series(dtype="float64" if kind == "double" else "object") for name, kind in columns.items()}
    )


def read_impact_panel(warehouse: Path) -> pd.DataFrame:
    """`marts.impact_panel` as built by dbt; a clear error if dbt has not built it yet."""
    with connect(warehouse, read_only=True) as connection:
        found = connection.execute(
            "select count(*) from information_schema.tables "
            "where table_schema = 'marts' and table_name = 'impact_panel'"
        ).fetchone()
        if not (found and found[0]):
            raise RuntimeError(
                "marts.impact_panel is missing: build the dbt models before the impact estimates"
            )
        panel = connection.execute(
            "select * from marts.impact_panel order by programme, school_urn, term_index"
        ).df()
    panel[UNIT] = panel[UNIT].astype(str)
    for column in (TIME, COHORT):
        panel[column] = panel[column].astype("int64")
    numeric = [
        c
        for c in panel.columns
        if c
        not in (UNIT, "programme", "academic_year", "term", "term_start_date", "term_end_date", "is_treated")
    ]
    panel[numeric] = panel[numeric].apply(pd.to_numeric, errors="coerce").astype("float64")
    return panel


def _write_table(
    connection: duckdb.DuckDBPyConnection, name: str, frame: pd.DataFrame, columns: dict[str, str]
) -> None:
    view = f"{name}_rows"
    connection.register(view, frame)
    select = ", ".join(f"cast({column} as {kind}) as {column}" for column, kind in columns.items())
    connection.execute(f"create or replace table marts.{name} as select {select} from {view}")
    connection.unregister(view)


def write_impact_tables(warehouse: Path, results: ImpactResults) -> None:
    """Replace `marts.impact_estimates` and `marts.event_study` together, in one transaction."""
    with transaction(warehouse) as connection:
        connection.execute("create schema if not exists marts")
        _write_table(connection, "impact_estimates", results.estimates, ESTIMATE_COLUMNS)
        _write_table(connection, "event_study", results.event_study, EVENT_STUDY_COLUMNS)


def _fmt(value: object, decimals: int = 2) -> str:
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "–"
    return f"{value:.{decimals}f}"


def headline_markdown(estimates: pd.DataFrame) -> str:
    """Programme × outcome: Callaway & Sant'Anna simple ATT with CI, pre-trend p, MDE, and the benchmarks."""
    if estimates.empty:
        return "No impact estimates: no programme had a panel to estimate from."
    lines = [
        "| programme | outcome | ATT (95 % CI) | p | pre-trend p | MDE | treated / comparison | TWFE "
        "| Poisson rate ratio (95 % CI) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for (programme, outcome), rows in estimates.groupby(["programme", "outcome"], sort=False):
        by_estimator = {(r.estimator, r.aggregation): r for r in rows.itertuples(index=False)}
        cs = by_estimator.get(("callaway_santanna", "simple"))
        tw = by_estimator.get(("twfe", "none"))
        po = by_estimator.get(("poisson_twfe", "none"))
        att = f"{_fmt(cs.estimate)} ({_fmt(cs.ci_low)} to {_fmt(cs.ci_high)})" if cs else "–"
        rr = f"{_fmt(po.estimate)} ({_fmt(po.ci_low)} to {_fmt(po.ci_high)})" if po else "–"
        lines.append(
            f"| {programme_label(programme)} | {outcome} | {att} | {_fmt(cs.p_value, 3) if cs else '–'} "
            f"| {_fmt(cs.pretrend_p_value) if cs else '–'} "
            f"| {_fmt(cs.minimum_detectable_effect) if cs else '–'} "
            f"| {f'{cs.n_treated_units} / {cs.n_control_units}' if cs else '–'} "
            f"| {_fmt(tw.estimate) if tw else '–'} | {rr} |"
        )
    return "\n".join(lines)


def skipped_markdown(skipped: list[Skipped]) -> str:
    """What was not estimated and why, so an empty cell in a report has its reason beside it."""
    if not skipped:
        return "Nothing skipped."
    lines = ["| programme | outcome | estimator | reason |", "|---|---|---|---|"]
    lines += [f"| {s.programme} | {s.outcome} | {s.estimator} | {s.reason} |" for s in skipped]
    return "\n".join(lines)


def event_study_chart_png(programme: str, event_study: pd.DataFrame) -> bytes:
    """A panel per outcome (all pupils on top, EHCP below): estimates, 95 % CIs by term since adoption."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 6), dpi=72)
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 4, sharex=True)
    for ax, spec in zip(axes.ravel(), OUTCOMES, strict=True):
        rows = event_study[event_study["outcome"] == spec.name]
        ax.set_title(spec.name, fontsize=9)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
        if rows.empty:
            ax.text(0.5, 0.5, "not estimated", ha="center", va="center", transform=ax.transAxes, fontsize=8)
            continue
        pre = rows["relative_period"] < 0
        for mask, colour in ((pre, "tab:grey"), (~pre, "tab:blue")):
            part = rows[mask]
            ax.errorbar(
                part["relative_period"],
                part["estimate"],
                yerr=[part["estimate"] - part["ci_low"], part["ci_high"] - part["estimate"]],
                fmt="o",
                color=colour,
                markersize=3,
                capsize=2,
            )
        ax.tick_params(labelsize=7)
    for ax in axes[1]:
        ax.set_xlabel("terms since adoption", fontsize=8)
    figure.suptitle(
        f"{programme_label(programme)}: Callaway & Sant'Anna event study (95 % pointwise CIs; "
        "grey = before adoption)",
        fontsize=10,
    )
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _charts_markdown(event_study: pd.DataFrame) -> Iterator[tuple[str, str]]:
    for programme, rows in event_study.groupby("programme", sort=True):
        png = base64.b64encode(event_study_chart_png(str(programme), rows)).decode("ascii")
        yield str(programme), f"![{programme} event study](data:image/png;base64,{png})"


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            IMPACT_ESTIMATES_KEY,
            deps=[IMPACT_PANEL_KEY],
            group_name="impact",
            kinds={"duckdb", "python"},
            description=(
                "Programme × outcome × estimator × aggregation impact estimates: Callaway & Sant'Anna "
                "(simple, dynamic, group, calendar; never-treated comparisons when ≥ 20 such schools, else "
                "not-yet-treated), the TWFE benchmark, and Poisson TWFE rate ratios for suspensions and "
                "permanent exclusions (estimate and CI are rate ratios, std_error is on the log scale). "
                "Each row has a plain-English interpretation and the design's minimum detectable effect."
            ),
        ),
        dg.AssetSpec(
            EVENT_STUDY_KEY,
            deps=[IMPACT_PANEL_KEY],
            group_name="impact",
            kinds={"duckdb", "python"},
            description=(
                "Programme × outcome × relative_period (terms since adoption): the Callaway & Sant'Anna "
                "dynamic aggregation with 95 % pointwise CIs; negative periods are short-gap pre-trend "
                "placebos."
            ),
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def impact_estimates(context: dg.AssetExecutionContext, highneeds: HighNeedsHome):
    """Read the impact panel, estimate every programme × outcome, write both tables in one transaction."""
    warehouse = highneeds.settings.warehouse
    panel = read_impact_panel(warehouse)
    report(
        context,
        f"impact: {panel['programme'].nunique()} programme(s), {panel[UNIT].nunique()} schools, "
        f"{panel[TIME].nunique()} terms",
    )
    results = estimate_impacts(panel, progress=lambda line: report(context, line))
    for skipped in results.skipped:
        context.log.warning(
            f"impact: skipped {skipped.programme} × {skipped.outcome} ({skipped.estimator}): {skipped.reason}"
        )
    for note in results.notes:
        context.log.info(f"impact: {note}")
    write_impact_tables(warehouse, results)
    report(
        context,
        f"impact: wrote {len(results.estimates)} estimates and {len(results.event_study)} event-study rows; "
        f"{len(results.skipped)} skipped",
    )

    charts = dict(_charts_markdown(results.event_study))
    yield dg.MaterializeResult(
        asset_key=IMPACT_ESTIMATES_KEY,
        metadata={
            "dagster/row_count": len(results.estimates),
            "headline": dg.MetadataValue.md(headline_markdown(results.estimates)),
            "skipped": dg.MetadataValue.md(skipped_markdown(results.skipped)),
            "n_skipped": len(results.skipped),
            "notes": dg.MetadataValue.json(results.notes),
        },
    )
    yield dg.MaterializeResult(
        asset_key=EVENT_STUDY_KEY,
        metadata={
            "dagster/row_count": len(results.event_study),
            **{f"event_study_{programme}": dg.MetadataValue.md(md) for programme, md in charts.items()},
        },
    )
