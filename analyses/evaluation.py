"""The whole impact evaluation of `marts.impact_panel`: one call, three tables.

For every programme (and the pooled ``any_programme``) and every outcome of the catalogue:

* the design: comparison schools that ran no other programme in the window, the balanced panel and its
  attrition, baselines (``analyses.study_sample``), and the balance table (``analyses.balance``);
* ``callaway_santanna`` — ``analyses.did.att_gt`` (outcome regression, never-treated comparisons when at
  least ``MIN_NEVER_TREATED_SCHOOLS`` such schools, else not-yet-treated), its four aggregations, with the
  wild cluster bootstrap-t (``analyses.wild_bootstrap``) for intervals and p-values when fewer than the
  plan's threshold of schools adopted; the event study with pointwise and uniform bands; the pre-trend
  test (``analyses.event_study``); the relative-magnitudes breakdown M̄ (``analyses.sensitivity``); a
  doubly robust estimate adjusted for phase and baseline rate;
* ``twfe`` and ``poisson_twfe`` — the conventional benchmarks, labelled "for comparison; biased under
  staggered adoption" where they disagree with Callaway & Sant'Anna;
* multiplicity (``analyses.multiplicity``) and, for each headline row, the security rating, the headline
  rule and the EEF-style line (``analyses.evidence``).

Thin designs and failed fits are skipped with a reason, never raised, so one odd programme cannot stop
the others. Warnings from the estimators become notes.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from analyses.balance import balance_table, is_balanced
from analyses.did import att_gt
from analyses.event_study import pretrend_test, relative_magnitudes
from analyses.evidence import Evidence, decimals_for, evidence_statement, may_headline, security_rating
from analyses.mde import mde_from_panel
from analyses.multiplicity import benjamini_hochberg, primary_and_secondary
from analyses.outcomes import OUTCOME_NAMES, OUTCOMES, Outcome
from analyses.plain_english import describe_change, describe_rate_ratio
from analyses.plan import EvaluationPlan
from analyses.poisson import poisson_fe
from analyses.study_sample import TIME, UNIT, StudySample, design_schools, study_sample
from analyses.twfe import twfe
from analyses.wild_bootstrap import multiplier_band, wild_bootstrap

MIN_TERMS = 3
MIN_TREATED_SCHOOLS = 5
MIN_COMPARISON_SCHOOLS = 5
MIN_NEVER_TREATED_SCHOOLS = 20
ALPHA = 0.05
ESTIMATORS = ("callaway_santanna", "twfe", "poisson_twfe")
CS_AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
COMPARISON_LABEL = "for comparison; biased under staggered adoption"
_FAILURES = (ValueError, RuntimeError, ArithmeticError, np.linalg.LinAlgError)
_WHEN = {
    "simple": "after adoption",
    "dynamic": "after adoption, averaging the terms since adoption equally",
    "group": "after adoption, averaging the adoption cohorts",
    "calendar": "after adoption, averaging the calendar terms",
    "none": "after adoption by the two-way fixed effects benchmark",
}


class SkipEstimate(Exception):
    """This programme × outcome (× estimator) cannot be estimated; the message says why."""


@dataclass(frozen=True)
class Skipped:
    """An estimate left out of the tables, and why."""

    programme: str
    outcome: str
    estimator: str
    reason: str


@dataclass
class EvaluationResults:
    """The three tables the asset writes, what was skipped, and the notes on the way."""

    estimates: pd.DataFrame
    event_study: pd.DataFrame
    balance: pd.DataFrame
    skipped: list[Skipped] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _finite(*values: float | None) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


def _record(notes: list[str], where: str, caught: list[warnings.WarningMessage]) -> None:
    notes += [f"{where}: {w.message}" for w in caught]


def _check_design(sample: StudySample) -> None:
    """Refuse designs too thin to estimate: few terms, few adopters, or nobody to compare with."""
    if sample.n_terms < MIN_TERMS:
        raise SkipEstimate(f"only {sample.n_terms} term(s) in the panel; at least {MIN_TERMS} are needed")
    if sample.n_treated < MIN_TREATED_SCHOOLS:
        others = sample.design.n_other_programme_treated
        raise SkipEstimate(
            f"{sample.n_treated} adopting school(s) with a term before adoption in the balanced panel; "
            f"at least {MIN_TREATED_SCHOOLS} are needed"
            + (f" ({others} more ran another programme too: see any_programme)" if others else "")
        )
    cohorts = sample.schools["cohort"]
    later = int((cohorts > cohorts[cohorts > 0].min()).sum())
    if sample.n_never_treated + later < MIN_COMPARISON_SCHOOLS:
        raise SkipEstimate(
            f"{sample.n_never_treated} never-treated and {later} later-adopting school(s) to compare "
            f"with; at least {MIN_COMPARISON_SCHOOLS} are needed"
        )
    if sample.data[sample.outcome.name].nunique() <= 1:
        raise SkipEstimate("the outcome takes a single value in every school and term")


def n_comparison(cohort_by_school: pd.Series, control_group: str) -> int:
    """Schools that serve as a comparison in at least one post-adoption ATT(g,t)."""
    never = int((cohort_by_school == 0).sum())
    treated = cohort_by_school[cohort_by_school > 0]
    if control_group == "never_treated" or treated.empty:
        return never
    return never + int((treated > treated.min()).sum())


@dataclass
class _Pair:
    """Working state of one programme × outcome while its rows are built."""

    programme: str
    outcome: Outcome
    sample: StudySample
    plan: EvaluationPlan
    notes: list[str]
    rows: list[dict[str, object]] = field(default_factory=list)
    event_study: pd.DataFrame | None = None

    @property
    def where(self) -> str:
        return f"{self.programme} × {self.outcome.name}"

    @property
    def subject(self) -> str:
        return f"Schools that adopted {self.plan.label(self.programme)}"


def _interpret(pair: _Pair, aggregation: str, estimate: float, low: float, high: float, p: float) -> str:
    if not _finite(estimate, low, high):
        return (
            f"{pair.subject}: no confidence interval could be computed for {pair.outcome.label} "
            "(the outcome barely varies), so no conclusion is drawn."
        )
    return describe_change(
        estimate,
        low,
        high,
        subject=pair.subject,
        outcome=pair.outcome.change_words,
        when=_WHEN[aggregation],
        pretrend_p=p,
        alpha=ALPHA,
        decimals=decimals_for(low, high),
    )


def _callaway_santanna(pair: _Pair, control_group: str, use_bootstrap: bool) -> dict[str, object]:
    """The four aggregation rows and the event study; returns what the headline evidence needs."""
    sample, name, inference = pair.sample, pair.outcome.name, pair.plan.inference
    options = {"n_draws": inference.bootstrap_draws, "weights": inference.bootstrap_weights, "alpha": ALPHA}
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = att_gt(sample.data, name, UNIT, TIME, "cohort", control_group=control_group, method="reg")
        aggregates = {}
        for kind in CS_AGGREGATIONS:
            try:
                aggregates[kind] = result.aggregate(kind, na_rm=True)
            except ValueError as reason:
                pair.notes.append(f"{pair.where}: no {kind} aggregation ({reason})")
        if "dynamic" not in aggregates or "simple" not in aggregates:
            raise SkipEstimate("no post-adoption ATT(g,t) could be aggregated")
        boot = (
            wild_bootstrap(result, tuple(aggregates), seed=inference.seed, **options)
            if use_bootstrap
            else None
        )
        pretrend = pretrend_test(
            result,
            bootstrap={"seed": inference.seed, **options} if boot else None,
            bootstrap_draws=boot["dynamic"] if boot else None,
        )
    _record(pair.notes, f"{pair.where} (callaway_santanna)", caught)
    if pretrend.reason:
        pair.notes.append(f"{pair.where}: no pre-trend test ({pretrend.reason})")
    elif pretrend.left_out:
        sizes = ", ".join(map(str, pretrend.left_out))
        pair.notes.append(f"{pair.where}: pre-trend test leaves out adoption cohorts of {sizes} school(s)")

    unit_cohort = pd.Series(result.unit_cohort)
    n_treated = int(unit_cohort.isin(result.group_time["cohort"].unique()).sum())
    control_count = n_comparison(unit_cohort, control_group)
    label = "wild_bootstrap" if boot else "analytic"
    for kind, aggregate in aggregates.items():
        chosen = boot[kind] if boot else aggregate
        pair.rows.append(
            {
                "estimator": "callaway_santanna",
                "aggregation": kind,
                "estimate": aggregate.estimate,
                "std_error": aggregate.std_error,
                "ci_low": chosen.ci_low,
                "ci_high": chosen.ci_high,
                "p_value": chosen.p_value,
                "n_treated_units": n_treated,
                "n_control_units": control_count,
                "pretrend_p_value": pretrend.p_value,
                "pretrend_test": pretrend.method,
                "estimate_scale": "difference",
                "control_group": control_group,
                "inference": label,
                "interpretation": _interpret(
                    pair, kind, aggregate.estimate, chosen.ci_low, chosen.ci_high, pretrend.p_value
                ),
            }
        )
    if boot:
        table = boot["dynamic"].table
    else:
        table = aggregates["dynamic"].table
        band = multiplier_band(aggregates["dynamic"], seed=inference.seed, **options)
        table = table.assign(
            uniform_ci_low=table["estimate"] - band * table["std_error"],
            uniform_ci_high=table["estimate"] + band * table["std_error"],
        )
    pair.event_study = table.assign(
        programme=pair.programme,
        outcome=name,
        relative_period=table["relative_period"].round().astype("int64"),
        inference=label,
    )
    return {"pretrend": pretrend, "n_treated": n_treated, "n_comparison": control_count}


def _breakdown(pair: _Pair, control_group: str) -> float:
    """Relative-magnitudes breakdown M̄ of the simple ATT (universal-base event study)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        universal = att_gt(
            pair.sample.data,
            pair.outcome.name,
            UNIT,
            TIME,
            "cohort",
            control_group=control_group,
            method="reg",
            base_period="universal",
        )
        dynamic = universal.aggregate("dynamic", na_rm=True)
    return relative_magnitudes(universal, dynamic, alpha=ALPHA).breakdown()


def _adjusted(pair: _Pair, control_group: str, use_bootstrap: bool) -> tuple[float, float, float, str | None]:
    """Doubly robust simple ATT with phase group and baseline rate as covariates, or NaN and why."""
    sample, inference = pair.sample, pair.plan.inference
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            result = att_gt(
                sample.data,
                pair.outcome.name,
                UNIT,
                TIME,
                "cohort",
                covariates=sample.covariates,
                control_group=control_group,
                method="dr",
            )
            simple = result.aggregate("simple", na_rm=True)
            if use_bootstrap:
                simple = wild_bootstrap(
                    result,
                    ("simple",),
                    n_draws=inference.bootstrap_draws,
                    weights=inference.bootstrap_weights,
                    alpha=ALPHA,
                    seed=inference.seed,
                )["simple"]
        except _FAILURES as error:
            simple, failure = None, str(error)
    # the 2×2 estimators say why a cell was left out: "ATT(g,t) set to NA: overlap fails (...)"
    problems = sorted({str(w.message).split(": ", 1)[-1] for w in caught if "set to NA" in str(w.message)})
    if simple is None or not _finite(simple.estimate, simple.ci_low, simple.ci_high):
        return math.nan, math.nan, math.nan, "; ".join(problems) or failure
    if problems:
        pair.notes.append(f"{pair.where} (adjusted): some cells left out — {'; '.join(problems)}")
    return simple.estimate, simple.ci_low, simple.ci_high, None


def _twfe(pair: _Pair, pretrend_p: float) -> None:
    sample = pair.sample
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = twfe(sample.data, pair.outcome.name, UNIT, TIME, cohort="cohort", alpha=ALPHA)
    _record(pair.notes, f"{pair.where} (twfe)", caught)
    pair.rows.append(
        {
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
            "inference": "analytic",
            "interpretation": _interpret(
                pair, "none", result.estimate, result.ci_low, result.ci_high, pretrend_p
            ),
        }
    )


def _poisson(pair: _Pair) -> None:
    """Rate ratio with its CI (``std_error`` on the log scale); no linear pre-trend test applies."""
    outcome, data = pair.outcome, pair.sample.data
    if not (outcome.count and outcome.exposure):
        return
    events = data.groupby(UNIT)[outcome.count].sum()
    cohort_by_school = data.groupby(UNIT)["cohort"].first()
    if (cohort_by_school[events.index[events > 0]] > 0).sum() < MIN_TREATED_SCHOOLS:
        raise SkipEstimate(
            f"fewer than {MIN_TREATED_SCHOOLS} adopting schools have any {outcome.events}; a rate ratio "
            "needs events"
        )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = poisson_fe(data, outcome.count, outcome.exposure, UNIT, TIME, cohort="cohort", alpha=ALPHA)
    _record(pair.notes, f"{pair.where} (poisson_twfe)", caught)
    if result.n_units_all_zero:
        pair.notes.append(
            f"{pair.where} (poisson_twfe): {result.n_units_all_zero} school(s) with no {outcome.events} in "
            "any term carry no information on the rate ratio and were left out"
        )
    among = " among pupils with an EHCP" if outcome.is_ehcp else ""
    pair.rows.append(
        {
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
            "inference": "analytic",
            "interpretation": describe_rate_ratio(
                result.rate_ratio,
                result.ci_low,
                result.ci_high,
                subject=pair.subject,
                outcome=outcome.events or outcome.label,
                when=f"{among} after adoption".strip(),
                alpha=ALPHA,
            ),
        }
    )


def _mde(pair: _Pair, n_control: int) -> tuple[float, float]:
    """MDE (80 % power, 5 % two-sided) in the outcome's units, and as a rate ratio for Poisson rows."""
    data, name = pair.sample.data, pair.outcome.name
    mde = mde_from_panel(
        data, name, UNIT, TIME, "cohort", n_control=float(max(n_control, 1)), alpha=ALPHA
    ).mde
    untreated = (data["cohort"] == 0) | (data[TIME] < data["cohort"])
    baseline = float(data.loc[untreated, name].mean())
    as_ratio = 1 - mde / baseline if _finite(baseline, mde) and baseline > mde else math.nan
    return mde, as_ratio


def _differs(row: dict[str, object], headline: dict[str, object], baseline: float) -> bool:
    """A benchmark disagrees with Callaway & Sant'Anna: outside its interval, or a different conclusion."""
    low, high = float(headline["ci_low"]), float(headline["ci_high"])
    if row["estimate_scale"] == "rate_ratio":
        estimate = (float(row["estimate"]) - 1) * baseline
        excludes = float(row["ci_low"]) > 1 or float(row["ci_high"]) < 1
    else:
        estimate = float(row["estimate"])
        excludes = float(row["ci_low"]) > 0 or float(row["ci_high"]) < 0
    if not _finite(estimate, low, high):
        return False
    return not (low <= estimate <= high) or excludes != (low > 0 or high < 0)


def _events_avoided(pair: _Pair, estimate: float) -> float:
    """−ATT × pupil-terms of adopting schools after adoption ÷ 100: events avoided to the last term."""
    outcome, data = pair.outcome, pair.sample.data
    if not outcome.exposure:
        return math.nan
    after = (data["cohort"] > 0) & (data[TIME] >= data["cohort"])
    return -estimate * float(data.loc[after, outcome.exposure].sum()) / 100


def evaluate_pair(
    programme: str,
    outcome: Outcome,
    sample: StudySample,
    balance: pd.DataFrame,
    plan: EvaluationPlan,
    notes: list[str],
) -> tuple[list[dict[str, object]], pd.DataFrame | None, list[Skipped]]:
    """Every estimator, design check and sentence for one programme × outcome."""
    pair = _Pair(programme, outcome, sample, plan, notes)
    skipped: list[Skipped] = []
    _check_design(sample)
    control_group = (
        "never_treated" if sample.n_never_treated >= MIN_NEVER_TREATED_SCHOOLS else "not_yet_treated"
    )
    use_bootstrap = sample.n_treated < plan.inference.bootstrap_below_treated_schools
    cs: dict[str, object] | None = None
    try:
        cs = _callaway_santanna(pair, control_group, use_bootstrap)
    except (SkipEstimate, *_FAILURES) as reason:
        skipped.append(Skipped(programme, outcome.name, "callaway_santanna", str(reason)))
    pretrend_p = cs["pretrend"].p_value if cs else math.nan
    for estimator, build in (
        ("twfe", lambda: _twfe(pair, pretrend_p)),
        ("poisson_twfe", lambda: _poisson(pair)),
    ):
        try:
            build()
        except (SkipEstimate, *_FAILURES) as reason:
            skipped.append(Skipped(programme, outcome.name, estimator, str(reason)))
    if not pair.rows:
        return [], None, skipped

    schools = sample.schools
    treated = schools["cohort"] > 0
    baseline_rate = float(schools.loc[treated, "baseline"].mean())
    n_control = n_comparison(schools["cohort"], control_group)
    try:
        mde, mde_ratio = _mde(pair, n_control)
    except _FAILURES as reason:
        notes.append(f"{pair.where}: no minimum detectable effect ({reason})")
        mde, mde_ratio = math.nan, math.nan
    headline = next((r for r in pair.rows if r["aggregation"] == "simple"), None)
    is_primary = plan.primary_outcome(programme) == outcome.name
    for row in pair.rows:
        ratio = row["estimate_scale"] == "rate_ratio"
        estimate = float(row["estimate"])
        row.update(
            programme=programme,
            outcome=outcome.name,
            is_primary=is_primary,
            mde=mde_ratio if ratio else mde,
            baseline_rate=baseline_rate,
            effect_pct_of_baseline=100 * (estimate - 1)
            if ratio
            else (100 * estimate / baseline_rate if baseline_rate else math.nan),
            n_terms=sample.n_terms,
            n_schools_dropped=sample.attrition.n_dropped + sample.design.n_already_treated,
            may_headline=False,
        )
        if headline and row is not headline and _differs(row, headline, baseline_rate):
            row["estimator_note"] = COMPARISON_LABEL
            row["interpretation"] = (
                f"For comparison; biased under staggered adoption: {row['interpretation']}"
            )
        elif row["estimator"] != "callaway_santanna":
            row["estimator_note"] = "for comparison"
    if headline and cs:
        _headline_evidence(pair, headline, cs, balance, control_group, use_bootstrap, mde)
    return pair.rows, pair.event_study, skipped


def _headline_evidence(
    pair: _Pair,
    headline: dict[str, object],
    cs: dict[str, object],
    balance: pd.DataFrame,
    control_group: str,
    use_bootstrap: bool,
    mde: float,
) -> None:
    """Breakdown M̄, adjusted estimate, security rating, headline flag and the EEF-style line."""
    sample, outcome, plan = pair.sample, pair.outcome, pair.plan
    try:
        breakdown = _breakdown(pair, control_group)
    except _FAILURES as reason:
        pair.notes.append(f"{pair.where}: no sensitivity analysis ({reason})")
        breakdown = math.nan
    adjusted, adjusted_low, adjusted_high, adjusted_reason = _adjusted(pair, control_group, use_bootstrap)
    baseline_row = balance[balance["variable"] == f"baseline_{outcome.name}"]
    estimate = float(headline["estimate"])
    treated_schools = sample.schools[sample.schools["cohort"] > 0]
    evidence = Evidence(
        programme_label=plan.label(pair.programme),
        outcome=outcome,
        is_primary=bool(headline["is_primary"]),
        estimate=estimate,
        ci_low=float(headline["ci_low"]),
        ci_high=float(headline["ci_high"]),
        inference=str(headline["inference"]),
        n_treated=int(cs["n_treated"]),
        n_comparison=int(cs["n_comparison"]),
        baseline_rate=float(headline["baseline_rate"]),
        comparison_baseline_rate=float(baseline_row["comparison_mean"].iloc[0])
        if len(baseline_row)
        else math.nan,
        baseline_standardised_difference=float(baseline_row["standardised_difference"].iloc[0])
        if len(baseline_row)
        else math.nan,
        balanced=is_balanced(balance, outcome.name, plan.security.max_standardised_difference),
        attrition_rate=sample.attrition.overall_rate,
        differential_attrition=sample.attrition.differential,
        mde=mde,
        pretrend_p_value=cs["pretrend"].p_value,
        pretrend_reason=cs["pretrend"].reason,
        breakdown_mbar=breakdown,
        adjusted_estimate=adjusted,
        adjusted_ci_low=adjusted_low,
        adjusted_ci_high=adjusted_high,
        adjusted_reason=adjusted_reason,
        cost_gbp=float(treated_schools["programme_cost_gbp"].sum()),
        events_avoided=_events_avoided(pair, estimate),
    )
    headline.update(
        breakdown_mbar=breakdown,
        adjusted_estimate=adjusted,
        adjusted_ci_low=adjusted_low,
        adjusted_ci_high=adjusted_high,
        security_rating=security_rating(evidence, plan.security),
        may_headline=may_headline(evidence, plan.security),
        evidence_statement=evidence_statement(evidence, plan.security),
        cost_per_event_avoided_gbp=evidence.cost_per_event_avoided_gbp,
    )


def _adjust_p_values(estimates: pd.DataFrame) -> pd.DataFrame:
    """Holm within each programme (primary as it is) and BH across the table, on the headline rows."""
    headline = (estimates["estimator"] == "callaway_santanna") & (estimates["aggregation"] == "simple")
    estimates["p_value_adjusted"] = np.nan
    estimates["q_value"] = np.nan
    for _, rows in estimates[headline].groupby("programme"):
        estimates.loc[rows.index, "p_value_adjusted"] = primary_and_secondary(
            rows["p_value"], rows["is_primary"]
        )
    estimates.loc[headline, "q_value"] = benjamini_hochberg(estimates.loc[headline, "p_value"])
    return estimates


Mapper = Callable[..., Iterable["ProgrammeResults"]]
"""How the programmes are mapped to their results: `map` (one after another, the default) or a mapper that
spreads them over processes (the asset's, `orchestration/forked_map.py`); results come back in order."""


@dataclass
class ProgrammeResults:
    """One programme's part of `EvaluationResults`, made on its own (possibly in another process)."""

    programme: str
    estimate_rows: list[dict[str, object]]
    event_studies: list[pd.DataFrame]
    balance: pd.DataFrame
    skipped: list[Skipped]
    notes: list[str]


def evaluate_programme(task: tuple[str, pd.DataFrame, EvaluationPlan]) -> ProgrammeResults:
    """Every outcome of one programme (its rows of the panel): estimates, event studies, balance, notes.

    Programmes share nothing until their p-values are adjusted together, so they can be evaluated apart.
    """
    programme, rows, plan = task
    out = ProgrammeResults(programme, [], [], pd.DataFrame(), [], [])
    baseline_columns = [c for c in (*OUTCOME_NAMES, "headcount") if c in rows.columns]
    design = design_schools(rows, baseline_columns)
    if design.n_other_programme_treated or design.n_other_programme_comparison or design.n_already_treated:
        out.notes.append(
            f"{programme}: {design.n_other_programme_treated} adopting and "
            f"{design.n_other_programme_comparison} other school(s) ran another programme in the window "
            f"and are left out; {design.n_already_treated} treated from the first term are dropped"
        )
    balance = balance_table(design)
    out.balance = balance.assign(programme=programme)
    for name, outcome in OUTCOMES.items():
        if name not in rows.columns:
            out.skipped.append(Skipped(programme, name, "all", "outcome column not in the panel"))
            continue
        sample = study_sample(rows, design, outcome)
        if sample.attrition.n_dropped:
            a = sample.attrition
            out.notes.append(
                f"{programme} × {name}: {a.n_treated_dropped} adopting and {a.n_comparison_dropped} "
                f"comparison school(s) left the balanced panel ({a.n_entered_late} entered late, "
                f"{a.n_left_early} left early, {a.n_incomplete} with a gap or unknown outcome)"
            )
        try:
            new_rows, event_study, skipped = evaluate_pair(
                programme, outcome, sample, balance, plan, out.notes
            )
        except SkipEstimate as reason:
            out.skipped.append(Skipped(programme, name, "all", str(reason)))
            continue
        out.skipped += skipped
        out.estimate_rows += new_rows
        if event_study is not None:
            out.event_studies.append(event_study)
    return out


def evaluate_programmes(
    panel: pd.DataFrame,
    plan: EvaluationPlan,
    progress: Callable[[str], None] | None = None,
    mapper: Mapper = map,
) -> EvaluationResults:
    """Evaluate every programme × outcome of ``panel`` (rows of `marts.impact_panel`) under ``plan``.

    The figures do not depend on ``mapper``: each programme is evaluated alone, and the results are put
    together in programme order before the p-values are adjusted across them.
    """
    results = EvaluationResults(estimates=pd.DataFrame(), event_study=pd.DataFrame(), balance=pd.DataFrame())
    estimate_rows: list[dict[str, object]] = []
    event_studies: list[pd.DataFrame] = []
    balances: list[pd.DataFrame] = []
    tasks = [(str(programme), rows, plan) for programme, rows in panel.groupby("programme", sort=True)]
    for part in mapper(evaluate_programme, tasks):
        results.notes += part.notes
        results.skipped += part.skipped
        estimate_rows += part.estimate_rows
        event_studies += part.event_studies
        balances.append(part.balance)
        if progress is not None:
            progress(f"impact: {plan.label(part.programme)} — {len(part.estimate_rows)} estimate(s)")
    if estimate_rows:
        estimates = pd.DataFrame(estimate_rows)
        order = {
            "outcome": {name: i for i, name in enumerate(OUTCOME_NAMES)},
            "estimator": {name: i for i, name in enumerate(ESTIMATORS)},
            "aggregation": {name: i for i, name in enumerate((*CS_AGGREGATIONS, "none"))},
        }
        estimates = estimates.sort_values(
            ["programme", "outcome", "estimator", "aggregation"],
            key=lambda column: column.map(order[column.name]) if column.name in order else column,
        ).reset_index(drop=True)
        results.estimates = _adjust_p_values(estimates)
    if event_studies:
        results.event_study = pd.concat(event_studies, ignore_index=True)
    if balances:
        results.balance = pd.concat(balances, ignore_index=True)
    return results
