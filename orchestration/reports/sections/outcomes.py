"""The outcomes dashboard: the strategy's nine priorities, each indicator's latest value, trend and target.

One page the Schools Forum can read at a glance: the lead sentence counts indicators on track, behind and
off track; a table gives each indicator's latest value beside its target and its rating in words and a
symbol (never colour alone); small multiples show each trend against the straight line to its target.
A value whose count is below `min_count` is shown as `c` (small groups are pooled over three years in the
mart first, so this is rare).
"""

from __future__ import annotations

import pandas as pd

from orchestration.outcomes_framework import PERIOD_PATTERNS, period_start, shipped_catalogue
from orchestration.reports.content import Chart, Column, Section, Table
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import SUPPRESSED, is_small_count
from orchestration.reports.labels import OUTCOME_STATUSES, outcome_status_name
from orchestration.reports.outcome_charts import indicator_trends
from orchestration.reports.public_tables import format_rows, protect_for_publication
from orchestration.reports.sections.common import SectionSpec, numbers, require

REQUIRED = [
    "indicator_id",
    "period",
    "priority",
    "indicator_name",
    "unit",
    "period_type",
    "value",
    "numerator",
    "target",
    "trajectory",
    "rag",
    "comparator_value",
    "comparator",
]
PRIORITY_COLUMNS = [
    Column("priority_label", "Priority"),
    Column("indicators", "Indicators", "count"),
    *(Column(rag, words, "count") for rag, words in OUTCOME_STATUSES.items()),
]
COLUMNS = [
    Column("indicator", "Indicator"),
    Column("priority", "Priority", "count"),
    Column("latest", "Latest"),
    Column("period", "Period"),
    Column("target_text", "Target"),
    Column("status", "Status"),
    Column("comparator_text", "Published comparator"),
]


def format_in_unit(value: object, unit: str) -> str:
    """A value as the dashboard writes it: `62.5%`, `1.84×`, `£17,981`, `0.42 per 100`, `940`."""
    if isinstance(value, str):
        return value
    if value is None or pd.isna(value):
        return "x"
    number = float(value)  # type: ignore[arg-type]
    if unit == "percent":
        return f"{number:.1f}%"
    if unit == "ratio":
        return f"{number:.2f}×"
    if unit == "gbp":
        return f"£{number:,.0f}"
    if unit == "rate_per_100":
        return f"{number:.2f} per 100"
    if unit == "days":
        return f"{number:,.0f} days"
    return f"{number:,.0f}"


def period_months(period: str, kind: str) -> tuple[int, int]:
    """The first and last month of a period, as year × 12 + month − 1 (September-August, April-March)."""
    year = int(period[:4])
    if kind == "month":
        month = year * 12 + int(period[5:7]) - 1
        return month, month
    first = year * 12 + (8 if kind == "academic_year" else 3)
    return first, first + 11


def as_at(tracker: pd.DataFrame, month: str) -> pd.DataFrame:
    """The periods that had begun by the pack's month (a past pack shows only what was known then), each
    marked complete once its last month is in."""
    pack_month = period_months(month, "month")[0]
    spans = [
        period_months(str(period), kind)
        if PERIOD_PATTERNS[kind].match(str(period))
        else (pack_month + 1,) * 2
        for period, kind in zip(tracker["period"], tracker["period_type"], strict=True)
    ]
    marked = tracker.assign(
        is_complete=[last <= pack_month for _, last in spans], _first=[first for first, _ in spans]
    )
    return marked[marked["_first"] <= pack_month].drop(columns="_first")


def latest_values(tracker: pd.DataFrame) -> pd.DataFrame:
    """Each indicator's latest complete period with a value (a year in progress would compare part of a
    year with a whole-year target), else its latest period with one; in the catalogue's order."""
    order = {indicator_id: position for position, indicator_id in enumerate(shipped_catalogue().indicators)}
    with_value = tracker[numbers(tracker["value"]).notna()].copy()
    with_value["_start"] = [
        period_start(str(p), k) for p, k in zip(with_value["period"], with_value["period_type"], strict=True)
    ]
    latest = with_value.sort_values(["is_complete", "_start"]).groupby("indicator_id", sort=False).tail(1)
    latest["_order"] = latest["indicator_id"].map(order)
    return latest.sort_values(["priority", "_order"]).reset_index(drop=True)


def comparators(tracker: pd.DataFrame) -> dict[str, tuple[str, float]]:
    """Each indicator's latest published comparator (its name says whose and which year), if any."""
    published = tracker[tracker["comparator"].notna() & numbers(tracker["comparator_value"]).notna()]
    return {
        str(row.indicator_id): (str(row.comparator), float(row.comparator_value))
        for row in published.sort_values("period").itertuples()
    }


def _dashboard_table(latest: pd.DataFrame, tracker: pd.DataFrame, data: PackData) -> Table:
    catalogue = shipped_catalogue()
    frame = latest[
        ["indicator_id", "indicator_name", "priority", "period", "unit", "value", "numerator"]
    ].copy()
    frame["numerator"] = numbers(frame["numerator"])
    frame["value"] = numbers(frame["value"])
    # a value is suppressed with the count behind it (ratios, money and counts of pounds are not counts)
    protected = protect_for_publication(
        "Outcomes framework",
        frame[["indicator_name", "numerator", "value"]],
        rules=data.rules,
        counts=["numerator"],
        derived={"value": ["numerator"]},
        within=["indicator_name"],
    )
    frame["indicator"] = frame["indicator_name"]
    frame["latest"] = [
        format_in_unit(value, unit) for value, unit in zip(protected["value"], frame["unit"], strict=True)
    ]
    frame["target_text"] = [
        f"{format_in_unit(catalogue.indicators[i].target, catalogue.indicators[i].unit)} by "
        f"{catalogue.indicators[i].target_year}"
        for i in frame["indicator_id"]
    ]
    frame["status"] = [outcome_status_name(rag) for rag in latest["rag"]]
    published = comparators(tracker)
    frame["comparator_text"] = [
        f"{published[i][0]}: {format_in_unit(published[i][1], unit)}" if i in published else "none published"
        for i, unit in zip(frame["indicator_id"], frame["unit"], strict=True)
    ]
    note = (
        "Latest: the most recent complete period with a value (a period in progress only when none is "
        "complete). Status compares it with the straight line from the "
        "strategy's baseline to its target: on track (no worse), behind (worse by no more than the "
        "catalogue allows), off track, or not enough data (before the baseline year, or too few counted). "
        f"{SUPPRESSED} = fewer than {data.rules.min_count} counted. Definitions: docs/outcomes-framework.md."
    )
    return Table(
        "Outcomes framework: each indicator's latest value against its target",
        COLUMNS,
        format_rows(frame, COLUMNS),
        [False] * len(frame),
        note,
        protected,
    )


def _priorities_table(latest: pd.DataFrame) -> Table:
    """The nine priorities, each with how many of its indicators are on track, behind, off track."""
    catalogue = shipped_catalogue()
    rows = []
    for priority, aim in catalogue.priorities.items():
        rated = latest.loc[latest["priority"] == priority, "rag"]
        rows.append(
            {
                "priority_label": f"{priority}. {aim}",
                "indicators": len(rated),
                **{rag: int((rated == rag).sum()) for rag in OUTCOME_STATUSES},
            }
        )
    # ratings of indicators, not counts of children: nothing here to suppress
    return Table(
        "The nine priorities: how their indicators stand",
        PRIORITY_COLUMNS,
        format_rows(pd.DataFrame(rows), PRIORITY_COLUMNS),
        [False] * len(rows),
    )


def _lead(latest: pd.DataFrame) -> str:
    counts = latest["rag"].value_counts()
    parts = [
        f"{int(counts.get(rag, 0))} {words.split(' ', 1)[1].lower()}"
        for rag, words in OUTCOME_STATUSES.items()
        if counts.get(rag, 0)
    ]
    priorities = latest["priority"].nunique()
    return (
        f"The strategy's common outcomes framework tracks {len(latest)} indicators with a value across "
        f"{priorities} of its nine priorities: " + ", ".join(parts) + "."
    )


def build(data: PackData, section: Section) -> Section:
    tracker = as_at(require(data, "outcomes_tracker", REQUIRED, "The outcomes framework"), data.month)
    latest = latest_values(tracker)
    section.paragraphs.append(_lead(latest))
    missing = sorted(set(range(1, 10)) - {int(p) for p in latest["priority"]})
    if missing:
        section.paragraphs.append(
            "No indicator has a value yet for priority " + ", ".join(str(p) for p in missing) + "."
        )
    section.tables.append(_priorities_table(latest))
    section.tables.append(_dashboard_table(latest, tracker, data))
    # the trend of complete periods (the table's latest value is the last point), a suppressed value a gap
    complete = set(tracker.loc[tracker["is_complete"], "indicator_id"])
    shown = tracker[
        tracker["indicator_id"].isin(latest["indicator_id"])
        & (tracker["is_complete"] | ~tracker["indicator_id"].isin(complete))
    ].copy()
    shown.loc[is_small_count(shown["numerator"], data.rules).to_numpy(), "value"] = float("nan")
    drawn = indicator_trends(shown, latest)
    section.charts.append(
        Chart(
            "outcome_trends",
            "Each indicator by the year its period starts (solid) against the line to its target (dashed)",
            drawn.alt,
            drawn.png,
            drawn.axis_labels,
        )
    )
    return section


SECTION = SectionSpec("outcomes", "Outcomes framework: the nine priorities", build)
