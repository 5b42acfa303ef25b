"""Suspensions and permanent exclusions by SEN status and ethnic group, led by the clearest disproportion.

The lead sentence names the largest risk ratio whose 95 % confidence interval excludes 1, with the counts
behind it, rather than the largest group: a ratio of 3 over a handful of pupils may be chance, a ratio of
1.6 over thousands is not.
"""

from __future__ import annotations

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.content import Chart, Column, Section
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import NOT_APPLICABLE, NOT_AVAILABLE, SUPPRESSED, unsuppressed_numbers
from orchestration.reports.labels import characteristic_group_name, characteristic_name
from orchestration.reports.public_tables import public_table
from orchestration.reports.sections.common import SectionSpec, require

REQUIRED = [
    "academic_year",
    "characteristic_group",
    "characteristic",
    "headcount",
    "suspensions",
    "permanent_exclusions",
    "suspension_rate",
    "permanent_exclusion_rate",
    "suspension_risk_ratio",
    "permanent_exclusion_risk_ratio",
]
COUNTS = ["headcount", "suspensions", "permanent_exclusions"]
EVENTS = {"suspension": "suspensions", "permanent_exclusion": "permanent_exclusions"}
EVENT_VERBS = {"suspension": "suspended", "permanent_exclusion": "permanently excluded"}
GROUP_TITLES = {"sen_status": "By SEN status", "ethnicity_major": "By ethnic group"}


def _with_intervals(rates: pd.DataFrame) -> pd.DataFrame:
    """The rates with each risk ratio's 95 % interval (NaN where the mart has none), and a cell for both:
    `2.10 (1.80 to 2.40)`.

    The interval shares the cell of its ratio, so the table stays narrow enough for a 1280 px window.
    """
    rates = rates.copy()
    for event in EVENTS:
        ratio = f"{event}_risk_ratio"
        for end in ("ci_low", "ci_high"):
            if f"{ratio}_{end}" not in rates:
                rates[f"{ratio}_{end}"] = float("nan")
        values = [
            pd.to_numeric(rates[c], errors="coerce") for c in (ratio, f"{ratio}_ci_low", f"{ratio}_ci_high")
        ]
        rates[f"{ratio}_with_ci"] = [
            NOT_APPLICABLE
            if group == "total"
            else NOT_AVAILABLE
            if pd.isna(value)
            else f"{value:.2f}" + (f" ({low:.2f} to {high:.2f})" if pd.notna(low) and pd.notna(high) else "")
            for group, value, low, high in zip(rates["characteristic_group"], *values, strict=True)
        ]
    return rates


def _rate(per_100: float) -> str:
    """A rate per 100 to one decimal, or to two significant figures below 1 (0.43, 0.043)."""
    return f"{per_100:.1f}" if per_100 >= 1 else f"{per_100:.2g}"


def _clearest_disproportion(shown: pd.DataFrame) -> str | None:
    """The largest published risk ratio whose interval lies above 1, with its numerator and denominator."""
    best = None
    for event, count in EVENTS.items():
        ratio = unsuppressed_numbers(shown[f"{event}_risk_ratio"])
        low = pd.to_numeric(shown[f"{event}_risk_ratio_ci_low"], errors="coerce")
        clear = ratio.notna() & (low > 1)
        for index in shown.index[clear.to_numpy()]:
            if best is None or ratio[index] > best[0]:
                best = (float(ratio[index]), event, count, index)
    if best is None:
        return None
    value, event, count, index = best
    row = shown.loc[index]
    others = row.get(f"others_{event}_rate")
    against = f", against {_rate(float(others))} for all other pupils" if pd.notna(others) else ""
    return (
        f"The clearest disproportion: pupils in the group '{row['label']}' were {EVENT_VERBS[event]} "
        f"{value:.1f} times as often as all other pupils (95% confidence interval "
        f"{float(row[f'{event}_risk_ratio_ci_low']):.1f} to "
        f"{float(row[f'{event}_risk_ratio_ci_high']):.1f}): "
        f"{int(row[count]):,} {count.replace('_', ' ')} among {float(row['headcount']):,.0f} pupils, "
        f"{_rate(float(row[f'{event}_rate']))} per 100{against}."
    )


def build(data: PackData, section: Section) -> Section:
    """Lead sentence, one table per characteristic group, and a chart of suspension risk ratios."""
    rates = require(data, "exclusion_rates", REQUIRED, "Exclusion data")
    year = rates["academic_year"].max()
    rates = _with_intervals(rates[rates["academic_year"] == year])
    total = rates[rates["characteristic_group"] == "total"]
    derived = {
        f"{event}_{figure}": [count, "headcount"]
        for event, count in EVENTS.items()
        for figure in ("rate", "risk_ratio", "risk_ratio_ci_low", "risk_ratio_ci_high", "risk_ratio_with_ci")
    }
    columns = [
        Column("label", "Pupils"),
        Column("headcount", "Headcount", "count"),
        Column("suspensions", "Suspensions", "count"),
        Column("suspension_rate", "Suspensions per 100 pupils", "rate"),
        Column("suspension_risk_ratio_with_ci", "Suspension risk ratio (95% CI)", "number"),
        Column("permanent_exclusions", "Permanent exclusions", "count"),
        Column("permanent_exclusion_rate", "Permanent exclusions per 100 pupils", "rate"),
        Column("permanent_exclusion_risk_ratio_with_ci", "Permanent exclusion risk ratio (95% CI)", "number"),
    ]
    chart_rows: list[pd.DataFrame] = []
    shown_rows: list[pd.DataFrame] = []
    for group, title in GROUP_TITLES.items():
        rows = rates[rates["characteristic_group"] == group]
        if rows.empty:
            continue
        table = pd.concat([rows, total], ignore_index=True)
        table["label"] = table["characteristic"].map(characteristic_name)
        is_total = table["characteristic_group"].eq("total")
        published = public_table(
            f"{title}, {year}",
            table,
            columns,
            rules=data.rules,
            counts=COUNTS,
            derived=derived,
            total_rows=is_total,
            not_applicable=pd.DataFrame({f"{event}_risk_ratio": is_total for event in EVENTS}),
        )
        section.tables.append(published)
        shown = table[~is_total.to_numpy()].copy()
        protected = published.protected[~is_total.to_numpy()]
        for event in EVENTS:
            ratio = f"{event}_risk_ratio"
            hidden = protected[ratio].isin([SUPPRESSED]).to_numpy()
            for column in (ratio, f"{ratio}_ci_low", f"{ratio}_ci_high"):
                shown[column] = shown[column].astype(object).where(~hidden, SUPPRESSED)
        shown_rows.append(shown)
        chart_rows.append(
            pd.DataFrame(
                {
                    "label": shown["label"],
                    "risk_ratio": unsuppressed_numbers(shown["suspension_risk_ratio"]),
                    "ci_low": unsuppressed_numbers(shown["suspension_risk_ratio_ci_low"]),
                    "ci_high": unsuppressed_numbers(shown["suspension_risk_ratio_ci_high"]),
                }
            )
        )
    every_group = pd.concat(shown_rows, ignore_index=True) if shown_rows else pd.DataFrame()
    lead = _clearest_disproportion(every_group) if not every_group.empty else None
    section.paragraphs.append(
        lead
        or "No group's suspension or permanent exclusion risk ratio is clearly above 1: every 95% confidence "
        "interval includes the rate of all other pupils."
    )
    section.paragraphs.append(
        f"Academic year {year}, all schools in the area. Rates are events per 100 pupils; a risk ratio "
        "compares a group's rate with the rate of all other pupils of the same "
        f"{' or '.join(characteristic_group_name(group) for group in GROUP_TITLES)} (1 = the same, 2 = twice "
        "as likely); its 95% confidence interval shows how sure that is (an interval above 1 means clearly "
        "more likely)."
    )
    if chart_rows:
        ratios = pd.concat(chart_rows, ignore_index=True)
        ratios["clear"] = (ratios["ci_low"] > 1) | (ratios["ci_high"] < 1)
        drawn = charts.risk_ratios(ratios)
        higher = ratios[ratios["clear"] & (ratios["risk_ratio"] > 1)]
        finding = (
            "clearly higher than for other pupils for " + ", ".join(higher["label"]) + "."
            if not higher.empty
            else "no group is clearly above 1."
        )
        section.charts.append(
            Chart(
                "suspension_risk_ratios",
                f"Suspension risk ratios with 95% confidence intervals, {year}",
                "Bar chart of the suspension risk ratio of each SEN status and ethnic group against all "
                f"other pupils, with 95% confidence intervals and a dashed line at 1 (the same rate): "
                f"{finding}",
                drawn.png,
                drawn.axis_labels,
            )
        )
    return section


SECTION = SectionSpec("exclusions", "Exclusions and disproportionality", build)
