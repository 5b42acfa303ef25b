"""What the inclusion programmes did, worded only as far as the evidence goes.

Each programme's pre-specified primary outcome gets one line. A result the evaluation allows to be
headlined (`may_headline`) is printed as the evaluation wrote it (its `evidence_statement`); any other is
"not enough evidence of an effect" with the reasons (`analyses.evidence.headline_blockers`), so a fall the
design cannot support is never read as a finding. Then the design checks of those lines, every estimate
(two-way and Poisson fixed effects labelled as comparisons), the balance of adopting and comparison
schools, and the event study with its uniform band. Units come from the outcome catalogue
(`labels.outcome_unit`, `labels.outcome_change_words`), one interval per sentence.
"""

from __future__ import annotations

import math

import pandas as pd

from analyses.balance import IMBALANCE_THRESHOLD
from analyses.evidence import decimals_for, headline_blockers
from analyses.plan import SecurityPlan
from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, Section, Table
from orchestration.reports.data import PackData
from orchestration.reports.labels import (
    estimator_name,
    outcome_change_words,
    outcome_name,
    programme_name,
    sentence_start,
)
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec, require

REQUIRED = [
    "programme",
    "outcome",
    "estimator",
    "aggregation",
    "estimate",
    "ci_low",
    "ci_high",
    "p_value",
    "n_treated_units",
    "n_control_units",
    "is_primary",
    "may_headline",
    "evidence_statement",
    "security_rating",
    "breakdown_mbar",
    "mde",
]
HEADLINE_ESTIMATOR, HEADLINE_AGGREGATION = "callaway_santanna", "simple"
ESTIMATOR_ORDER = {"callaway_santanna": 0, "twfe": 1, "poisson_twfe": 2}
RATE_RATIO = "rate_ratio"
COMPARISON_THAT_DIFFERS = "for comparison; biased"
"""How the evaluation notes a fixed-effects estimate that differs from the headline one."""
PADLOCKS = 5
BALANCE_VARIABLES = {
    "phase_primary": "share of schools: primary",
    "phase_secondary": "share of schools: secondary",
    "phase_special": "share of schools: special",
    "phase_ap": "share of schools: alternative provision",
    "baseline_headcount": "pupils on roll before the programme",
    "attrition": "share of schools not in every term",
}


def _finite(value: object) -> bool:
    return value is not None and not pd.isna(value) and math.isfinite(float(value))  # type: ignore[arg-type]


def _signed(value: float, decimals: int) -> str:
    return f"{value:+,.{decimals}f}".replace("-", "−")


def mbar_text(value: object) -> str | None:
    """The breakdown M̄ as a reader sees it: `0.42`, `∞` (no break tried overturns it), None when not made."""
    if value is None or pd.isna(value):
        return None
    number = float(value)  # type: ignore[arg-type]
    return "∞" if number == math.inf else f"{number:.2f}"


def padlocks_text(value: object) -> str | None:
    return f"{int(value)} of {PADLOCKS}" if _finite(value) else None  # type: ignore[arg-type]


def withheld_reasons(row: pd.Series) -> list[str]:
    """Why this headline row is not worded as a finding, from its own design checks."""
    reasons = headline_blockers(
        is_primary=bool(row["is_primary"]),
        pretrend_p_value=row.get("pretrend_p_value"),
        ci_low=row["ci_low"],
        ci_high=row["ci_high"],
        breakdown_mbar=row["breakdown_mbar"],
        min_breakdown_mbar=SecurityPlan().min_breakdown_mbar_to_headline,
    )
    return reasons or ["the installation's evaluation plan sets a stricter headline rule than it meets"]


def _estimate_words(row: pd.Series) -> str:
    """`−0.23 suspensions per 100 pupils per term (95% confidence interval −0.40 to −0.06)`."""
    estimate, low, high = (float(row[column]) for column in ("estimate", "ci_low", "ci_high"))
    if not (_finite(low) and _finite(high)):
        return "no confidence interval could be computed"
    decimals = decimals_for(low, high)
    mde = (
        f"; the study could detect changes of at least {float(row['mde']):.{decimals}f}"
        if _finite(row["mde"])
        else ""
    )
    return (
        f"the estimate was {_signed(estimate, decimals)} {outcome_change_words(row['outcome'])} (95% "
        f"confidence interval {_signed(low, decimals)} to {_signed(high, decimals)}){mde}"
    )


def evidence_line(row: pd.Series) -> str:
    """One line per programme's primary outcome: the finding, or "not enough evidence" and why."""
    if bool(row["may_headline"]) and isinstance(row["evidence_statement"], str):
        return f"Finding: {row['evidence_statement']}"
    subject = f"{sentence_start(programme_name(row['programme']))}, {outcome_name(row['outcome'])}"
    security = padlocks_text(row["security_rating"])
    rating = f" Security: {security} padlocks." if security else ""
    return (
        f"{subject}: not enough evidence of an effect, because {'; '.join(withheld_reasons(row))}. "
        f"For the record, {_estimate_words(row)}.{rating}"
    )


def headline_rows(estimates: pd.DataFrame) -> pd.DataFrame:
    """The row each programme × outcome is judged on: Callaway & Sant'Anna, overall (simple) effect."""
    rows = estimates[
        (estimates["estimator"] == HEADLINE_ESTIMATOR) & (estimates["aggregation"] == HEADLINE_AGGREGATION)
    ]
    return rows.sort_values(["programme", "outcome"]).reset_index(drop=True)


def _with_labels(rows: pd.DataFrame) -> pd.DataFrame:
    return rows.assign(
        programme_label=rows["programme"].map(programme_name),
        outcome_label=rows["outcome"].map(outcome_name),
        unit=[scale_words(row) for _, row in rows.iterrows()],
    )


def scale_words(row: pd.Series) -> str:
    """The unit an estimate is written in: the change in the outcome's unit, or a rate ratio."""
    if row.get("estimate_scale") == RATE_RATIO:
        return "rate ratio (1 = no change)"
    return outcome_change_words(row["outcome"])


def primary_outcomes_table(data: PackData, primary: pd.DataFrame) -> Table:
    """Each programme's primary outcome with the checks that decide whether it may be called an effect."""
    frame = _with_labels(primary).assign(
        mbar=primary["breakdown_mbar"].map(mbar_text),
        padlocks=primary["security_rating"].map(padlocks_text),
        verdict=[
            "finding" if headline else "not enough evidence"
            for headline in primary["may_headline"].fillna(False).astype(bool)
        ],
    )
    return public_table(
        "Primary outcomes: what the evidence allows us to say",
        frame,
        [
            Column("programme_label", "Programme"),
            Column("outcome_label", "Primary outcome"),
            Column("estimate", "Effect", "estimate"),
            Column("ci_low", "95% CI low", "estimate"),
            Column("ci_high", "95% CI high", "estimate"),
            Column("unit", "Unit"),
            Column("mde", "Smallest detectable change", "estimate"),
            Column("mbar", "Breakdown M̄"),
            Column("padlocks", "Security (padlocks)"),
            Column("verdict", "Verdict"),
        ],
        rules=data.rules,
        note="Breakdown M̄: how large a break in trends at adoption, as a multiple of the largest "
        "term-to-term change before it, would explain the effect (∞ = no break the analysis tried does; "
        "below 1 = a break no larger than those already seen could). Security: one padlock for each design "
        "check passed (parallel pre-trends, balance, attrition, enough adopting schools, power), at most 1 "
        "when pre-trends differed. x = not available.",
    )


def all_estimates_table(data: PackData, estimates: pd.DataFrame) -> Table:
    """Every overall estimate of the headline method, and the comparison estimates that differ from it
    (labelled as biased under staggered adoption); the officers' workbook holds every estimate."""
    notes = estimates.get("estimator_note", pd.Series(index=estimates.index, dtype=object)).fillna("")
    shown = (estimates["estimator"] == HEADLINE_ESTIMATOR) | notes.str.startswith(COMPARISON_THAT_DIFFERS)
    overall = estimates[estimates["aggregation"].isin([HEADLINE_AGGREGATION, "none"]) & shown].copy()
    overall["_order"] = overall["estimator"].map(ESTIMATOR_ORDER).fillna(len(ESTIMATOR_ORDER))
    overall = overall.sort_values(["programme", "outcome", "_order"]).reset_index(drop=True)
    notes = overall.get("estimator_note", pd.Series(index=overall.index, dtype=object))
    overall = _with_labels(overall).assign(
        method=[
            f"{estimator_name(code)} ({note})" if isinstance(note, str) and note else estimator_name(code)
            for code, note in zip(overall["estimator"], notes, strict=True)
        ],
        role=["primary" if bool(flag) else "secondary" for flag in overall["is_primary"].fillna(False)],
        schools=[
            f"{int(treated)} / {int(control)}" if _finite(treated) and _finite(control) else None
            for treated, control in zip(overall["n_treated_units"], overall["n_control_units"], strict=True)
        ],
    )
    if "p_value_adjusted" not in overall:
        overall["p_value_adjusted"] = float("nan")
    return public_table(
        "Every estimate (overall effect after adoption)",
        overall,
        [
            Column("programme_label", "Programme"),
            Column("outcome_label", "Outcome"),
            Column("role", "Primary or secondary"),
            Column("method", "Method"),
            Column("unit", "Unit"),
            Column("estimate", "Estimate", "estimate"),
            Column("ci_low", "95% CI low", "estimate"),
            Column("ci_high", "95% CI high", "estimate"),
            Column("p_value_adjusted", "p (Holm-adjusted)", "p_value"),
            Column("schools", "Schools: adopting / comparison"),
        ],
        rules=data.rules,
        note="The units are schools, not pupils. Callaway & Sant'Anna is the headline method; the "
        "fixed-effects estimates are shown for comparison and are biased when schools adopt at different "
        "times. Secondary outcomes' p values are Holm-adjusted for the number of outcomes tested. An "
        "interval that spans no change (0, or 1 for a rate ratio) means no clear effect.",
    )


def balance_table(data: PackData, primary: pd.DataFrame) -> Table | None:
    """Adopting against comparison schools before the programme: primary outcome, phase, size, attrition."""
    balance = data.table("impact_balance")
    needed = {"programme", "variable", "unit", "treated_mean", "comparison_mean", "standardised_difference"}
    if balance is None or balance.empty or not needed <= set(balance.columns):
        return None
    primary_baseline = {row.programme: f"baseline_{row.outcome}" for row in primary.itertuples()}
    names = {
        **BALANCE_VARIABLES,
        **{
            variable: f"{outcome_name(variable.removeprefix('baseline_'))} before the programme"
            for variable in primary_baseline.values()
        },
    }
    shown = balance[
        balance["variable"].isin(BALANCE_VARIABLES)
        | (balance["variable"] == balance["programme"].map(primary_baseline))
    ].copy()
    if shown.empty:
        return None
    difference = pd.to_numeric(shown["standardised_difference"], errors="coerce")
    shown = shown.assign(
        programme_label=shown["programme"].map(programme_name),
        variable_label=shown["variable"].map(names),
        balanced=[
            "x" if pd.isna(d) else ("yes" if abs(d) <= IMBALANCE_THRESHOLD else "no") for d in difference
        ],
        _primary_first=(shown["variable"] != shown["programme"].map(primary_baseline)).astype(int),
    ).sort_values(["programme", "_primary_first"], kind="stable")
    return public_table(
        "Balance: adopting and comparison schools before the programme",
        shown,
        [
            Column("programme_label", "Programme"),
            Column("variable_label", "Characteristic"),
            Column("unit", "Unit"),
            Column("treated_mean", "Adopting schools (mean)", "rate"),
            Column("comparison_mean", "Comparison schools (mean)", "rate"),
            Column("standardised_difference", "Standardised difference", "estimate"),
            Column("balanced", f"Within ±{IMBALANCE_THRESHOLD:g}?"),
        ],
        rules=data.rules,
        note="Standardised difference = (adopting mean − comparison mean) ÷ pooled standard deviation. "
        f"Beyond ±{IMBALANCE_THRESHOLD:g} the groups differed before the programme by more than adjustment "
        "can be trusted to remove; part of any change may then be regression to the mean.",
    )


def _event_study_chart(data: PackData, primary: pd.DataFrame) -> Chart | None:
    study = data.table("event_study")
    needed = {"programme", "outcome", "relative_period", "estimate", "ci_low", "ci_high"}
    if study is None or not needed <= set(study.columns) or study.empty:
        return None
    pairs = study[["programme", "outcome"]].drop_duplicates()
    wanted = pairs.merge(primary[["programme", "outcome"]], on=["programme", "outcome"])
    pairs = wanted if not wanted.empty else pairs
    panels = [
        (str(p), str(o), f"{sentence_start(programme_name(p))}: {outcome_name(o)}", outcome_change_words(o))
        for p, o in pairs.sort_values(["programme", "outcome"]).itertuples(index=False)
    ][:6]
    drawn = charts.event_study(study, panels)
    band = "uniform_ci_low" in study and study["uniform_ci_low"].notna().any()
    return Chart(
        "event_study",
        "Event study: effect term by term around the programme's start",
        "Dot-and-whisker charts, one per programme, of the estimated effect on "
        + ", ".join(sorted({unit for _p, _o, _t, unit in panels}))
        + " in each term before and after the programme started, with 95% confidence intervals"
        + (" and a shaded uniform 95% band that covers every term at once" if band else "")
        + " (terms before the start should sit near zero). "
        + " ".join(_terms_after_start(study, programme, outcome) for programme, outcome, _t, _u in panels),
        drawn.png,
        drawn.axis_labels,
    )


def _terms_after_start(study: pd.DataFrame, programme: str, outcome: str) -> str:
    """`Restorative practice: 9 of 11 terms after the start clearly below zero, none clearly above.`"""
    after = study[
        (study["programme"] == programme) & (study["outcome"] == outcome) & (study["relative_period"] >= 0)
    ]
    below = int((after["ci_high"] < 0).sum())
    above = int((after["ci_low"] > 0).sum())
    return (
        f"{sentence_start(programme_name(programme))}: {below} of {len(after)} terms after the start clearly "
        f"below zero, {above or 'none'} clearly above."
    )


def build(data: PackData, section: Section) -> Section:
    """Evidence lines, the primary outcomes' design checks, every estimate, balance, the event study."""
    estimates = require(data, "impact_estimates", REQUIRED, "Impact evaluation")
    headline = headline_rows(estimates)
    primary = headline[headline["is_primary"].fillna(False).astype(bool)].reset_index(drop=True)
    section.paragraphs.append(
        "Only a programme's pre-specified primary outcome can be reported as an effect, and only when "
        "adopting and comparison schools moved alike before adoption, the 95% confidence interval excludes "
        "no change and the result survives a break in trends as large as any seen before. Anything else "
        "is reported as not enough evidence, with the reason."
    )
    if primary.empty:
        section.paragraphs.append("No programme has an estimate for its primary outcome yet.")
    else:
        section.paragraphs += [evidence_line(row) for _, row in primary.iterrows()]
        section.tables.append(primary_outcomes_table(data, primary))
    section.tables.append(all_estimates_table(data, estimates))
    balance = balance_table(data, primary)
    if balance is not None:
        section.tables.append(balance)
    chart = _event_study_chart(data, primary)
    if chart is None:
        section.paragraphs.append("The event study (effects term by term) is not available yet.")
    else:
        section.charts.append(chart)
    return section


SECTION = SectionSpec("impact", "Impact of inclusion programmes", build)
