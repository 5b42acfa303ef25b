"""What the inclusion programmes did: one sentence per programme and outcome, a table, the event study.

Each sentence states its estimate and one 95 % confidence interval, in the unit of its outcome as
`labels.outcome_unit` gives it, so no sentence can carry a second interval or another outcome's unit.
"""

from __future__ import annotations

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.labels import (
    estimator_name,
    outcome_name,
    outcome_unit,
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
]
ESTIMATOR_ORDER = {"callaway_santanna": 0, "twfe": 1, "poisson_twfe": 2}
RATE_RATIO = "rate_ratio"
PRETREND_ALPHA = 0.05


def _is_rate_ratio(row: pd.Series) -> bool:
    return row.get("estimate_scale") == RATE_RATIO


def scale_words(row: pd.Series) -> str:
    """The unit an estimate is written in: the outcome's unit, or a rate ratio of its events."""
    return "rate ratio (1 = no change)" if _is_rate_ratio(row) else outcome_unit(row["outcome"])


def _difference_words(estimate: float, low: float, high: float, unit: str) -> str:
    if high < 0:
        return (
            f"saw {abs(estimate):.2f} fewer {unit} "
            f"(95% confidence interval {abs(high):.2f} to {abs(low):.2f} fewer)"
        )
    if low > 0:
        return f"saw {estimate:.2f} more {unit} (95% confidence interval {low:.2f} to {high:.2f} more)"
    return (
        f"saw no clear change in {unit}: {abs(estimate):.2f} {'fewer' if estimate < 0 else 'more'} "
        f"(95% confidence interval {abs(low):.2f} {'fewer' if low < 0 else 'more'} to {abs(high):.2f} "
        f"{'fewer' if high < 0 else 'more'})"
    )


def _rate_ratio_words(ratio: float, low: float, high: float, events: str) -> str:
    interval = f"(rate ratio {ratio:.2f}, 95% confidence interval {low:.2f} to {high:.2f})"
    percent = abs(100 * (ratio - 1))
    if high < 1:
        return f"had {percent:.0f}% fewer {events} per pupil {interval}"
    if low > 1:
        return f"had {percent:.0f}% more {events} per pupil {interval}"
    return f"saw no clear change in {events} per pupil {interval}"


def effect_sentence(row: pd.Series) -> str:
    """One plain-English sentence for an estimate, with one interval in its outcome's unit."""
    subject = f"Schools that adopted {programme_name(row['programme'])}"
    estimate, low, high = (float(row[column]) for column in ("estimate", "ci_low", "ci_high"))
    if pd.isna(low) or pd.isna(high):
        return f"{subject}: no confidence interval could be computed for {outcome_name(row['outcome'])}."
    body = (
        _rate_ratio_words(estimate, low, high, outcome_name(row["outcome"]))
        if _is_rate_ratio(row)
        else _difference_words(estimate, low, high, outcome_unit(row["outcome"]))
    )
    schools = (
        f"; {int(row['n_treated_units'])} schools took part, compared with {int(row['n_control_units'])}"
        if pd.notna(row["n_treated_units"]) and pd.notna(row["n_control_units"])
        else ""
    )
    pretrend = row.get("pretrend_p_value")
    caution = (
        "; their trends differed before adoption, so treat this with caution"
        if pretrend is not None and pd.notna(pretrend) and float(pretrend) < PRETREND_ALPHA
        else ""
    )
    return f"{subject} {body}{schools}{caution}."


def _event_study_chart(data: PackData) -> Chart | None:
    study = data.table("event_study")
    needed = {"programme", "outcome", "relative_period", "estimate", "ci_low", "ci_high"}
    if study is None or not needed <= set(study.columns) or study.empty:
        return None
    pairs = study[["programme", "outcome"]].drop_duplicates()
    preferred = pairs[pairs["outcome"] == "suspension_rate"]
    pairs = preferred if not preferred.empty else pairs
    panels = [
        (str(p), str(o), f"{sentence_start(programme_name(p))}: {outcome_name(o)}", outcome_unit(o))
        for p, o in pairs.sort_values(["programme", "outcome"]).itertuples(index=False)
    ][:6]
    drawn = charts.event_study(study, panels)
    return Chart(
        "event_study",
        "Event study: effect term by term around the programme's start",
        "Dot-and-whisker charts, one per programme, of the estimated effect on "
        + ", ".join(sorted({outcome_unit(outcome) for _p, outcome, _t, _u in panels}))
        + " in each term before and after the programme started, with 95% confidence intervals (terms "
        "before the start should sit near zero). "
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
    """A sentence per programme × outcome (the preferred estimator), every overall estimate in a table."""
    estimates = require(data, "impact_estimates", REQUIRED, "Impact evaluation")
    overall = estimates[estimates["aggregation"].isin(["simple", "none"])].copy()
    overall["_order"] = overall["estimator"].map(ESTIMATOR_ORDER).fillna(len(ESTIMATOR_ORDER))
    overall = overall.sort_values(["programme", "outcome", "_order"]).reset_index(drop=True)
    main = overall.drop_duplicates(["programme", "outcome"])
    main = main[~main["outcome"].astype(str).str.endswith("_ehcp")] if len(main) > 4 else main
    section.paragraphs += [effect_sentence(row) for _, row in main.iterrows()]
    overall["programme_label"] = overall["programme"].map(programme_name)
    overall["outcome_label"] = overall["outcome"].map(outcome_name)
    overall["estimator_label"] = overall["estimator"].map(estimator_name)
    overall["scale_label"] = [scale_words(row) for _, row in overall.iterrows()]
    section.tables.append(
        public_table(
            "Estimated effects (overall)",
            overall,
            [
                Column("programme_label", "Programme"),
                Column("outcome_label", "Outcome"),
                Column("estimator_label", "Method"),
                Column("scale_label", "Unit"),
                Column("estimate", "Estimate", "estimate"),
                Column("ci_low", "95% CI low", "estimate"),
                Column("ci_high", "95% CI high", "estimate"),
                Column("p_value", "p value", "p_value"),
                Column("n_treated_units", "Schools in programme", "count"),
                Column("n_control_units", "Comparison schools", "count"),
            ],
            rules=data.rules,
            note="The units are schools, not pupils; school-level exclusion and absence figures are "
            "published by DfE. An interval that spans no change (0, or 1 for a rate ratio) means no clear "
            "effect.",
        )
    )
    chart = _event_study_chart(data)
    if chart is None:
        section.paragraphs.append("The event study (effects term by term) is not available yet.")
    else:
        section.charts.append(chart)
    return section


SECTION = SectionSpec("impact", "Impact of inclusion programmes", build)
