"""The public content of the Schools Forum pack: headline, sections, tables and charts, built once.

The HTML and the PDF are two renderings of the same `PackContent`, so they cannot drift apart. Every table
here is made by `public_table` or `public_two_way`, which run disclosure control before anything is
formatted: that is the one door a figure goes through to reach the public pack. A section whose mart is
not built yet says so instead of failing the pack.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import pandas as pd

from orchestration.reports import charts
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import (
    MARKERS,
    SUPPRESSED,
    add_totals,
    protect_long,
    protect_two_way,
    refuse_child_level,
    unsuppressed_numbers,
)
from orchestration.reports.formatting import (
    KINDS,
    format_value,
    humanise,
    money,
    money_millions,
    month_label,
    need_name,
    provision_name,
    s251_name,
    year_end_label,
)

TOTAL = "Total"


class NotAvailable(Exception):
    """A section (or part of one) cannot be drawn yet: the message says why, in plain words."""


@dataclass(frozen=True)
class Column:
    """A column of a public table: the frame's column, its heading, and how its values are written."""

    key: Hashable
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind {self.kind!r} is not one of {KINDS}")

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    """A table as published: headings and formatted cells (already under disclosure control)."""

    title: str
    columns: list[Column]
    rows: list[list[str]]
    total_rows: list[bool]
    note: str = ""


@dataclass(frozen=True)
class Chart:
    """A chart as PNG bytes, with the words a screen reader (and the PDF caption) uses."""

    name: str
    title: str
    alt: str
    png: bytes

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    """One part of the pack. `unavailable` says why it is empty when its data is not there yet."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    unavailable: str | None = None


@dataclass(frozen=True)
class KeyFigure:
    """A boxed figure under the headline; `tone` colours its edge (`bad`, `good`, `neutral`)."""

    label: str
    value: str
    note: str = ""
    tone: str = "neutral"


@dataclass
class PackContent:
    """Everything the public pack shows, in reading order."""

    month: str
    month_label: str
    financial_year: str
    generated_at: str
    headline: list[str]
    key_figures: list[KeyFigure]
    sections: list[Section]

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]


def _format_rows(frame: pd.DataFrame, columns: Sequence[Column]) -> list[list[str]]:
    return [[format_value(row[column.key], column.kind) for column in columns] for _, row in frame.iterrows()]


def public_table(
    title: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    counts: Sequence[Hashable] = (),
    derived: Mapping[Hashable, Sequence[Hashable]] | None = None,
    within: Sequence[Hashable] = (),
    total_rows: pd.Series | None = None,
    not_applicable: pd.DataFrame | None = None,
    published_sums: Sequence[Sequence[int]] = (),
    note: str = "",
) -> Table:
    """A long table under disclosure control (counts 1–4, figures built on them, secondary cells → `c`)."""
    refuse_child_level(frame, title)
    protected = protect_long(frame, counts, derived, within, total_rows, not_applicable, published_sums)
    is_total = (
        list(pd.Series(total_rows).fillna(False).astype(bool))
        if total_rows is not None
        else [False] * len(frame)
    )
    return Table(title, list(columns), _format_rows(protected, columns), is_total, note)


def public_two_way(title: str, counts: pd.DataFrame, row_heading: str, note: str = "") -> Table:
    """A two-way table of counts with totals, under primary and secondary suppression."""
    refuse_child_level(counts, title)
    protected = protect_two_way(add_totals(counts, TOTAL)).reset_index(names="_row")
    columns = [
        Column("_row", row_heading),
        *(Column(key, str(key), "count") for key in protected.columns[1:]),
    ]
    return Table(
        title, columns, _format_rows(protected, columns), [row == TOTAL for row in protected["_row"]], note
    )


def _require(data: PackData, name: str, columns: Sequence[str], what: str) -> pd.DataFrame:
    frame = data.table(name)
    if frame is None:
        raise NotAvailable(f"{what} is not available yet: {data.missing.get(name, f'no {name} table')}.")
    missing = [column for column in columns if column not in frame.columns]
    if missing:
        raise NotAvailable(
            f"{what} is not available yet: the {name} table has no {', '.join(missing)} column."
        )
    if frame.empty:
        raise NotAvailable(f"{what} is not available yet: the {name} table has no rows up to {data.month}.")
    return frame


def _numbers(values: pd.Series) -> pd.Series:
    return pd.to_numeric(values, errors="coerce").astype("float64")


def _sum(values: pd.Series) -> float:
    return float(_numbers(values).sum(min_count=1)) if len(values) else float("nan")


def _current_budget_lines(data: PackData) -> pd.DataFrame:
    columns = ["financial_year", "as_at_month", "s251_line", "budget_gbp", "forecast_with_growth_gbp"]
    frame = _require(data, "budget_vs_outturn", columns, "Forecast outturn")
    lines = frame[frame["as_at_month"] == data.month]
    if lines.empty:
        raise NotAvailable(f"Forecast outturn is not available yet: no forecast as at {data.month}.")
    return lines


def build_headline(data: PackData) -> tuple[list[str], list[KeyFigure]]:
    """Plain-English headline sentences and the key figures boxed at the top of the pack."""
    sentences: list[str] = []
    figures: list[KeyFigure] = []
    when = month_label(data.month)
    try:
        lines = _current_budget_lines(data)
        budget = _sum(lines["budget_gbp"].fillna(0))
        forecast = _sum(lines["forecast_with_growth_gbp"])
        variance = forecast - budget
        share = variance / budget * 100 if budget else float("nan")
        if abs(variance) < 0.005:
            verdict = "exactly on budget"
        else:
            direction = "overspend" if variance > 0 else "underspend"
            verdict = f"an {direction} of {money(abs(variance))}" + (
                f" ({abs(share):.1f}% of the budget)" if pd.notna(share) else ""
            )
        sentences.append(
            f"As at the end of {when}, High Needs spending in {data.financial_year} is forecast at "
            f"{money(forecast)} against a budget of {money(budget)}: {verdict}."
        )
        figures += [
            KeyFigure("Forecast outturn", money(forecast), f"{data.financial_year}, incl. expected growth"),
            KeyFigure("Budget", money(budget), f"{data.financial_year}, latest approved"),
            KeyFigure("Variance", money(variance), "+ = overspend", "bad" if variance > 0 else "good"),
        ]
    except NotAvailable as reason:
        sentences.append(str(reason))
    try:
        position = _require(
            data,
            "dsg_deficit_position",
            ["financial_year", "closing_balance_gbp", "planned_closing_balance_gbp", "gap_to_plan_gbp"],
            "The DSG deficit position",
        )
        year = position[position["financial_year"] == data.financial_year]
        if year.empty:
            raise NotAvailable(f"The DSG deficit position for {data.financial_year} is not available yet.")
        row = year.iloc[0]
        closing, planned, gap = (
            float(row[c]) if pd.notna(row[c]) else float("nan")
            for c in ("closing_balance_gbp", "planned_closing_balance_gbp", "gap_to_plan_gbp")
        )
        if pd.isna(closing):
            raise NotAvailable(f"The closing DSG balance for {data.financial_year} is not available yet.")
        balance_words = (
            f"a cumulative DSG deficit of {money(abs(closing))}"
            if closing < 0
            else f"a cumulative DSG surplus of {money(closing)}"
        )
        sentence = f"That leaves {balance_words} forecast at {year_end_label(data.financial_year)}"
        if "closing_balance_pct_of_dsg" in row and pd.notna(row["closing_balance_pct_of_dsg"]):
            sentence += f" ({abs(float(row['closing_balance_pct_of_dsg'])):.1f}% of total DSG income)"
        if pd.notna(planned) and pd.notna(gap):
            plan_words = (
                f"a deficit of {money(abs(planned))}" if planned < 0 else f"a balance of {money(planned)}"
            )
            better = "better" if gap >= 0 else "worse"
            sentence += (
                f"; the deficit management plan expected {plan_words}, so the position is "
                f"{money(abs(gap))} {better} than plan"
            )
        sentences.append(sentence + ".")
        figures += [
            KeyFigure(
                "Cumulative DSG balance",
                money(closing),
                f"forecast at {year_end_label(data.financial_year)}",
                "bad" if closing < 0 else "good",
            ),
            KeyFigure(
                "Deficit plan", money(planned) if pd.notna(planned) else "x", "planned closing balance"
            ),
            KeyFigure(
                "Gap to plan",
                money(gap) if pd.notna(gap) else "x",
                "+ = better than plan",
                "good" if pd.notna(gap) and gap >= 0 else "bad",
            ),
        ]
    except NotAvailable as reason:
        sentences.append(str(reason))
    return sentences, figures


def budget_section(data: PackData) -> Section:
    """Budget, actuals so far and forecast outturn for each s251 line, as at the month."""
    section = Section("budget", "Budget and forecast outturn by s251 line")
    lines = _current_budget_lines(data).copy()
    money_columns = [
        "budget_gbp",
        "actual_ytd_gbp",
        "committed_gbp",
        "growth_gbp",
        "forecast_with_growth_gbp",
        "variance_gbp",
    ]
    for column in [*money_columns, "variance_pct"]:
        if column not in lines:
            lines[column] = float("nan")
    lines = lines.sort_values("s251_line", key=lambda s: s.map(_line_sort_key)).reset_index(drop=True)
    lines["line_name"] = lines["s251_line"].map(s251_name)
    total = {column: _sum(lines[column]) for column in money_columns}
    total["variance_gbp"] = total["forecast_with_growth_gbp"] - _sum(lines["budget_gbp"].fillna(0))
    budget_total = _sum(lines["budget_gbp"])
    total_row = {
        "s251_line": TOTAL,
        "line_name": "All High Needs lines",
        **total,
        "variance_pct": total["variance_gbp"] / budget_total * 100 if budget_total else float("nan"),
    }
    table = pd.concat([lines, pd.DataFrame([total_row])], ignore_index=True)
    columns = [
        Column("s251_line", "s251 line"),
        Column("line_name", "Line"),
        Column("budget_gbp", "Budget", "money"),
        Column("actual_ytd_gbp", "Actual to date", "money"),
        Column("committed_gbp", "Committed", "money"),
        Column("growth_gbp", "Expected growth", "money"),
        Column("forecast_with_growth_gbp", "Forecast outturn", "money"),
        Column("variance_gbp", "Variance (+ = over)", "money"),
        Column("variance_pct", "Variance %", "pct"),
    ]
    section.tables.append(
        public_table(
            f"{data.financial_year} as at {month_label(data.month)}",
            table,
            columns,
            total_rows=table["s251_line"].eq(TOTAL),
            note="Forecast = actual to date + committed placements + run-rate of other spend; growth = "
            "placements expected to start later in the year. x = no budget set for the line.",
        )
    )
    section.charts.append(
        Chart(
            "spend_by_line",
            "Budget and forecast outturn by s251 line",
            f"Bar chart of budget against forecast outturn for each s251 line in {data.financial_year}.",
            charts.spend_by_line(lines),
        )
    )
    history = data.table("budget_vs_outturn")
    months = (
        history.groupby("as_at_month")["forecast_with_growth_gbp"].sum().sort_index()
        if history is not None
        else pd.Series(dtype=float)
    )
    if len(months) >= 2:
        change = months.iloc[-1] - months.iloc[-2]
        section.paragraphs.append(
            f"The forecast has {'risen' if change > 0 else 'fallen'} by {money(abs(change))} since "
            f"{month_label(months.index[-2])}, when it stood at {money(months.iloc[-2])}."
            if abs(change) >= 0.005
            else f"The forecast is unchanged since {month_label(months.index[-2])}."
        )
    return section


def _line_sort_key(line: object) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in str(line).split("."))
    except ValueError:
        return (999,)


def _headcount_of_year(data: PackData) -> pd.Series | None:
    cost = data.table("cost_per_placement")
    if cost is None or not {"financial_year", "provision_type", "placements_headcount"} <= set(cost.columns):
        return None
    year = cost[cost["financial_year"] == data.financial_year]
    return year.groupby("provision_type")["placements_headcount"].sum() if not year.empty else None


def spend_section(data: PackData) -> Section:
    """Spend this year to date by s251 line, and by provision type beside its number of placements."""
    section = Section("spend", "Spend by s251 line and provision type")
    spend = _require(
        data,
        "spend_by_provision_type",
        ["financial_year", "month", "s251_line", "provision_type", "actual_gbp"],
        "Spend",
    )
    year = spend[(spend["financial_year"] == data.financial_year) & (spend["month"] <= data.month)]
    if year.empty:
        raise NotAvailable(f"Spend is not available yet: no ledger actuals for {data.financial_year}.")
    by_line = (
        year.groupby("s251_line", as_index=False)["actual_gbp"]
        .sum()
        .sort_values("s251_line", key=lambda s: s.map(_line_sort_key))
    )
    by_line["line_name"] = by_line["s251_line"].map(s251_name)
    by_line = pd.concat(
        [
            by_line,
            pd.DataFrame(
                [
                    {
                        "s251_line": TOTAL,
                        "line_name": "All High Needs lines",
                        "actual_gbp": _sum(by_line["actual_gbp"]),
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    section.paragraphs.append(
        f"Ledger actuals from April to the end of {month_label(data.month)}: "
        f"{money(_sum(year['actual_gbp']))} in all."
    )
    section.tables.append(
        public_table(
            f"Spend to date in {data.financial_year} by s251 line",
            by_line,
            [
                Column("s251_line", "s251 line"),
                Column("line_name", "Line"),
                Column("actual_gbp", "Spend to date", "money"),
            ],
            total_rows=by_line["s251_line"].eq(TOTAL),
        )
    )
    by_type = year.groupby("provision_type", dropna=False, as_index=False)["actual_gbp"].sum()
    headcount = _headcount_of_year(data)
    if headcount is None:
        section.paragraphs.append(
            "Spend by provision type is shown once placement numbers (cost per placement) are available, "
            "because spend on a handful of placements would disclose what is paid for individual children."
        )
        return section
    by_type["placements_headcount"] = by_type["provision_type"].map(headcount)
    by_type["provision_label"] = by_type["provision_type"].map(provision_name)
    # Alphabetical, never by amount: the place of a suppressed row in a sorted list would bound its value.
    by_type = (
        by_type.assign(_services=by_type["provision_type"].isna())
        .sort_values(["_services", "provision_label"])
        .drop(columns="_services")
        .reset_index(drop=True)
    )
    total = pd.DataFrame(
        [
            {
                "provision_type": TOTAL,
                "provision_label": "All provision",
                "actual_gbp": _sum(by_type["actual_gbp"]),
                "placements_headcount": _sum(by_type["placements_headcount"]),
            }
        ]
    )
    # Spend on a placement type with no placement open in the year can't be checked for small numbers:
    # it is counted as 1 so that it is suppressed (shown as c) rather than published unchecked.
    unknown = by_type["provision_type"].notna() & by_type["placements_headcount"].isna()
    by_type.loc[unknown, "placements_headcount"] = 1
    by_type = pd.concat([by_type, total], ignore_index=True)
    not_applicable = pd.DataFrame({"placements_headcount": by_type["provision_type"].isna()})
    section.tables.append(
        public_table(
            f"Spend to date in {data.financial_year} by provision type",
            by_type,
            [
                Column("provision_label", "Provision type"),
                Column("placements_headcount", "Placements in year", "count"),
                Column("actual_gbp", "Spend to date", "money"),
            ],
            counts=["placements_headcount"],
            derived={"actual_gbp": ["placements_headcount"]},
            published_sums=_rows_by_line(by_type, year),
            total_rows=by_type["provision_type"].eq(TOTAL),
            not_applicable=not_applicable,
            note="Spend on fewer than 5 placements is shown as c, with the next smallest type, so no child's "
            "placement cost can be worked out.",
        )
    )
    return section


def _rows_by_line(by_type: pd.DataFrame, spend: pd.DataFrame) -> list[list[int]]:
    """For each s251 line, the rows of `by_type` paid from it: the line's total is published beside them."""
    position_of = {
        (None if pd.isna(code) else code): position
        for position, code in enumerate(by_type["provision_type"])
        if code != TOTAL
    }
    groups = []
    for _line, rows in spend.groupby("s251_line"):
        codes = {None if pd.isna(code) else code for code in rows["provision_type"]}
        groups.append(sorted(position_of[code] for code in codes if code in position_of))
    return groups


def cost_section(data: PackData) -> Section:
    """Cost per full-time placement by provision type over the years, under disclosure control."""
    section = Section("cost", "Cost per placement")
    columns_needed = [
        "financial_year",
        "provision_type",
        "placements_headcount",
        "placements_fte",
        "spend_gbp",
        "cost_per_fte_gbp",
        "median_annual_cost_gbp",
    ]
    cost = _require(data, "cost_per_placement", columns_needed, "Cost per placement").copy()
    cost = cost[cost["provision_type"].notna()]
    cost["provision_label"] = cost["provision_type"].map(provision_name)
    cost = cost.sort_values(["financial_year", "provision_label"])
    cost = cost.reset_index(drop=True)
    derived = {
        column: ["placements_headcount"]
        for column in ("placements_fte", "spend_gbp", "cost_per_fte_gbp", "median_annual_cost_gbp")
    }
    protected = protect_long(cost, ["placements_headcount"], derived, within=["financial_year"])
    trend = protected.assign(cost_per_fte_gbp=unsuppressed_numbers(protected["cost_per_fte_gbp"]))
    section.charts.append(
        Chart(
            "cost_per_placement_trend",
            "Annual cost per full-time placement, by provision type",
            "Line chart of the annual cost per full-time placement of each provision type by financial year; "
            "gaps are figures suppressed because fewer than 5 placements lie behind them.",
            charts.cost_per_placement_trend(trend),
        )
    )
    latest = cost[cost["financial_year"] == cost["financial_year"].max()]
    section.paragraphs.append(
        f"Cost per placement is the spend on a provision type divided by the full-time-equivalent number of "
        f"placements open in the year, scaled to a full year. {latest['financial_year'].iloc[0]} covers the "
        f"year to date."
    )
    section.tables.append(
        public_table(
            "Cost per placement by financial year and provision type",
            cost,
            [
                Column("financial_year", "Year"),
                Column("provision_label", "Provision type"),
                Column("placements_headcount", "Placements", "count"),
                Column("placements_fte", "FTE", "fte"),
                Column("spend_gbp", "Spend", "money"),
                Column("cost_per_fte_gbp", "Cost per FTE", "money"),
                Column("median_annual_cost_gbp", "Median annual cost", "money"),
            ],
            counts=["placements_headcount"],
            derived=derived,
            within=["financial_year"],
        )
    )
    return section


def placements_section(data: PackData) -> Section:
    """Open placements by type and primary need at the month end, and flows over the last 12 months."""
    section = Section("placements", "Placements by type and need")
    flows = _require(
        data,
        "placement_flows",
        ["month", "provision_type", "primary_need", "starters", "leavers", "active_end_of_month"],
        "Placement data",
    )
    at_month = flows[flows["month"] == flows["month"].max()]
    month = str(at_month["month"].iloc[0])
    grid = at_month.assign(provision_label=at_month["provision_type"].map(provision_name)).pivot_table(
        index="provision_label",
        columns="primary_need",
        values="active_end_of_month",
        aggfunc="sum",
        fill_value=0,
        observed=True,
    )
    grid.index.name = None
    grid.columns = [str(column) for column in grid.columns]
    active = int(_numbers(at_month["active_end_of_month"]).sum())
    section.paragraphs.append(
        f"{active:,} EHCP placements were open at the end of {month_label(month)}. Counts of 1 to 4 are "
        "shown as c, and so is the next smallest count in the same row or column, so no small number can be "
        "worked out from the totals."
    )
    section.tables.append(
        public_two_way(
            f"Open placements at the end of {month_label(month)}, by provision type and primary need",
            grid,
            "Provision type",
            note="Need codes: " + "; ".join(need_name(code) for code in grid.columns) + ".",
        )
    )
    last_year = pd.period_range(end=pd.Period(month, freq="M"), periods=12, freq="M").strftime("%Y-%m")
    window = flows[flows["month"].isin(list(last_year))]
    moves = window.groupby("provision_type", as_index=False)[["starters", "leavers"]].sum()
    moves = moves.merge(
        at_month.groupby("provision_type", as_index=False)["active_end_of_month"].sum(),
        on="provision_type",
        how="outer",
    ).fillna(0)
    moves["provision_label"] = moves["provision_type"].map(provision_name)
    moves = moves.sort_values("provision_label").reset_index(drop=True)
    moves = pd.concat(
        [
            moves,
            pd.DataFrame(
                [
                    {
                        "provision_type": TOTAL,
                        "provision_label": "All provision",
                        **{c: _sum(moves[c]) for c in ("starters", "leavers", "active_end_of_month")},
                    }
                ]
            ),
        ],
        ignore_index=True,
    )
    section.tables.append(
        public_table(
            f"Starters and leavers in the 12 months to {month_label(month)}",
            moves,
            [
                Column("provision_label", "Provision type"),
                Column("starters", "Starters", "count"),
                Column("leavers", "Leavers", "count"),
                Column("active_end_of_month", "Open at month end", "count"),
            ],
            counts=["starters", "leavers", "active_end_of_month"],
            total_rows=moves["provision_type"].eq(TOTAL),
        )
    )
    return section


_BALANCE_COLUMNS = ("cumulative_balance_gbp", "cumulative_balance_p10_gbp", "cumulative_balance_p90_gbp")


def _scenario_balances(projection: pd.DataFrame) -> pd.DataFrame:
    """One cumulative balance (with its 80 % interval where given) per financial year × scenario.

    The projection mart holds one row per provision type, a NULL-type row for spend that is not placements,
    and an `all` row with the totals and balances; that row is used. Without one, a balance repeated on
    every row is taken once, else the rows are summed.
    """
    kinds = projection["provision_type"].astype("string").str.lower()
    whole = kinds.isin(["all", "total"]).fillna(False).astype(bool)
    frame = projection[whole] if whole.any() else projection
    values = [column for column in _BALANCE_COLUMNS if column in frame.columns]
    grouped = frame.groupby(["financial_year", "scenario"])[values]
    spread = (grouped.max() - grouped.min()).abs()
    balances = grouped.first().where(spread < 0.005, grouped.sum(min_count=1))
    if "planned_closing_balance_gbp" in frame.columns:
        balances["planned_closing_balance_gbp"] = frame.groupby(["financial_year", "scenario"])[
            "planned_closing_balance_gbp"
        ].first()
    return balances.reset_index()


def _plan_beyond(position: pd.DataFrame, scenarios: pd.DataFrame | None) -> pd.DataFrame:
    """The deficit position with the plan's later years (from the projection) appended, closing blank."""
    if scenarios is None or "planned_closing_balance_gbp" not in scenarios.columns:
        return position
    later = (
        scenarios[~scenarios["financial_year"].isin(position["financial_year"])]
        .groupby("financial_year", as_index=False)["planned_closing_balance_gbp"]
        .first()
        .dropna()
    )
    return pd.concat([position, later], ignore_index=True) if not later.empty else position


def deficit_section(data: PackData) -> Section:
    """The cumulative DSG balance year by year against the deficit management plan, with scenarios."""
    section = Section("deficit", "Deficit trajectory")
    columns = [
        "financial_year",
        "opening_balance_gbp",
        "hn_in_year_gbp",
        "closing_balance_gbp",
        "planned_closing_balance_gbp",
        "gap_to_plan_gbp",
        "closing_balance_pct_of_dsg",
    ]
    position = _require(data, "dsg_deficit_position", columns, "The deficit trajectory")
    position = position.sort_values("financial_year").reset_index(drop=True)
    section.paragraphs.append(
        "A deficit is a negative balance. In-year = High Needs income less High Needs spend (forecast "
        f"for the current year, {data.financial_year}); gap to plan = closing balance less planned closing "
        "balance, so a positive gap is better than plan."
    )
    scenarios = None
    projection = data.table("hn_projection")
    needed = {"financial_year", "scenario", "provision_type", "cumulative_balance_gbp"}
    if projection is not None and needed <= set(projection.columns) and not projection.empty:
        scenarios = _scenario_balances(projection)
        last = scenarios[scenarios["financial_year"] == scenarios["financial_year"].max()]
        section.paragraphs.append(
            f"By {year_end_label(str(last['financial_year'].iloc[0]))} the projection puts the cumulative "
            "balance at "
            + "; ".join(
                f"{money_millions(row.cumulative_balance_gbp)} ({humanise(row.scenario)})"
                for row in last.sort_values("scenario")
                .sort_values("scenario", key=lambda names: names.ne("unmitigated"), kind="stable")
                .itertuples(index=False)
                if pd.notna(row.cumulative_balance_gbp)
            )
            + "."
        )
    else:
        section.paragraphs.append(
            "Scenarios are not available yet: the High Needs projection has not been built."
        )
    section.charts.append(
        Chart(
            "deficit_trajectory",
            "Cumulative DSG balance: actual and forecast, plan and scenarios (shaded: 80% interval)",
            "Line chart of the cumulative DSG balance by financial year (negative is a deficit), against the "
            "deficit management plan and the projection scenarios.",
            charts.deficit_trajectory(_plan_beyond(position, scenarios), scenarios, data.financial_year),
        )
    )
    if "is_forecast" in position.columns:
        forecast = position["is_forecast"].fillna(False).astype(bool)
        position["financial_year"] = position["financial_year"].where(
            ~forecast, position["financial_year"] + " (forecast)"
        )
    section.tables.append(
        public_table(
            "DSG balance by financial year",
            position,
            [
                Column("financial_year", "Year"),
                Column("opening_balance_gbp", "Opening balance", "money"),
                Column("hn_in_year_gbp", "High Needs in-year", "money"),
                Column("closing_balance_gbp", "Closing balance", "money"),
                Column("planned_closing_balance_gbp", "Plan closing balance", "money"),
                Column("gap_to_plan_gbp", "Gap to plan (+ = better)", "money"),
                Column("closing_balance_pct_of_dsg", "Closing % of DSG", "pct"),
            ],
        )
    )
    if scenarios is not None:
        wide = scenarios.pivot(index="financial_year", columns="scenario", values="cumulative_balance_gbp")
        wide = wide.reset_index()
        wide.columns.name = None
        section.tables.append(
            public_table(
                "Projected cumulative balance by scenario",
                wide,
                [
                    Column("financial_year", "Year"),
                    *(Column(name, humanise(name).capitalize(), "money") for name in wide.columns[1:]),
                ],
            )
        )
    return section


_BENCHMARK_COMPARATORS = {
    "la": "This LA",
    "statistical_neighbours": "Statistical neighbours (mean)",
    "region": "Region",
    "england": "England",
}


def _benchmark_kind(measure: str) -> str:
    if measure.endswith("_pct") or "_pct_" in measure:
        return "pct"
    return "money" if measure.endswith("_gbp") else "count"


def benchmarks_section(data: PackData) -> Section:
    """The LA's latest published figures beside its statistical neighbours, region and England."""
    section = Section("benchmarks", "Benchmarks against England and neighbours")
    frame = _require(
        data, "benchmarks", ["measure", "period", "s251_line", "comparator", "value"], "Benchmarking"
    )
    frame = frame.assign(_line=frame["s251_line"].fillna(""))
    latest = frame.groupby(["measure", "_line"])["period"].transform("max")
    frame = frame[frame["period"] == latest]
    keys = ["measure", "_line", "period"]
    # groupby (not pivot_table) keeps only the measure × line × period rows that exist.
    wide = (
        frame.groupby([*keys, "comparator"], sort=True)["value"].first().unstack("comparator").reset_index()
    )
    wide.columns.name = None
    notes = (
        frame.groupby([*keys, "comparator"])["value_note"].first().unstack("comparator")
        if "value_note" in frame
        else pd.DataFrame()
    )
    for comparator in _BENCHMARK_COMPARATORS:
        if comparator not in wide:
            wide[comparator] = float("nan")
        if comparator in notes:
            # DfE's own symbol (c, x, z) where it published no figure.
            note = notes[comparator].reindex(pd.MultiIndex.from_frame(wide[keys])).to_numpy()
            blank = wide[comparator].isna().to_numpy() & pd.Series(note).isin(MARKERS).to_numpy()
            wide[comparator] = wide[comparator].astype(object).where(~blank, note)
    if "la_rank_among_neighbours" in frame and "n_areas" in frame:
        rank = frame[frame["comparator"] == "la"].set_index(keys)["la_rank_among_neighbours"]
        size = frame[frame["comparator"] == "statistical_neighbours"].set_index(keys)["n_areas"]
        index = pd.MultiIndex.from_frame(wide[keys])
        ranks, sizes = rank.reindex(index).to_numpy(), size.reindex(index).to_numpy()
        wide["rank"] = [
            f"{int(r)} of {int(n) + 1}" if pd.notna(r) and pd.notna(n) else "x"
            for r, n in zip(ranks, sizes, strict=True)
        ]
    else:
        wide["rank"] = "x"
    section.paragraphs.append(
        "Published DfE figures; statistical neighbours are the mean of the LA's documented neighbours. "
        "Rank 1 = the highest value among the LA and its neighbours. "
        "Source: DfE, Open Government Licence v3.0."
    )
    value_columns = list(_BENCHMARK_COMPARATORS)
    for kind in ("money", "pct", "count"):
        rows = wide[wide["measure"].map(_benchmark_kind) == kind].reset_index(drop=True)
        if rows.empty:
            continue
        rows = rows.assign(
            measure_label=rows["measure"].map(humanise), line=rows["_line"].where(rows["_line"] != "", "—")
        )
        title = {"money": "Money per head", "pct": "Percentages", "count": "Counts"}[kind]
        section.tables.append(
            public_table(
                f"Benchmarks: {title}",
                rows,
                [
                    Column("measure_label", "Measure"),
                    Column("line", "s251 line"),
                    Column("period", "Period"),
                    *(Column(c, label, kind) for c, label in _BENCHMARK_COMPARATORS.items()),
                    Column("rank", "LA rank among neighbours"),
                ],
                counts=value_columns if kind == "count" else (),
                within=keys if kind == "count" else (),
            )
        )
    return section


_EXCLUSION_COLUMNS = [
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
_EXCLUSION_DERIVED = {
    "suspension_rate": ["suspensions", "headcount"],
    "suspension_risk_ratio": ["suspensions", "headcount"],
    "permanent_exclusion_rate": ["permanent_exclusions", "headcount"],
    "permanent_exclusion_risk_ratio": ["permanent_exclusions", "headcount"],
}
_GROUP_TITLES = {"sen_status": "By SEN status", "ethnicity_major": "By ethnic group"}
_CHARACTERISTIC_LABELS = {
    "ehcp": "EHC plan",
    "sen_support": "SEN support",
    "no_sen": "No SEN",
    "total": "All pupils",
}


def exclusions_section(data: PackData) -> Section:
    """Suspension and permanent exclusion rates and risk ratios by SEN status and ethnic group."""
    section = Section("exclusions", "Exclusions and disproportionality")
    rates = _require(data, "exclusion_rates", _EXCLUSION_COLUMNS, "Exclusion data")
    year = rates["academic_year"].max()
    rates = rates[rates["academic_year"] == year]
    total = rates[rates["characteristic_group"] == "total"]
    section.paragraphs.append(
        f"Academic year {year}, all schools in the area. Rates are events per 100 pupils; a risk ratio "
        f"compares a group's rate with the rate of all other pupils (1 = the same, 2 = twice as likely)."
    )
    columns = [
        Column("label", "Pupils"),
        Column("headcount", "Headcount", "count"),
        Column("suspensions", "Suspensions", "count"),
        Column("suspension_rate", "Suspension rate", "rate"),
        Column("suspension_risk_ratio", "Suspension risk ratio", "ratio"),
        Column("permanent_exclusions", "Permanent exclusions", "count"),
        Column("permanent_exclusion_rate", "Permanent exclusion rate", "rate"),
        Column("permanent_exclusion_risk_ratio", "Permanent exclusion risk ratio", "ratio"),
    ]
    chart_rows = []
    for group, title in _GROUP_TITLES.items():
        rows = rates[rates["characteristic_group"] == group]
        if rows.empty:
            continue
        table = pd.concat([rows, total], ignore_index=True)
        table["label"] = table["characteristic"].map(
            lambda c: _CHARACTERISTIC_LABELS.get(str(c), str(c).capitalize())
        )
        is_total = table["characteristic_group"].eq("total")
        not_applicable = pd.DataFrame(
            {c: is_total for c in ("suspension_risk_ratio", "permanent_exclusion_risk_ratio")}
        )
        protected = protect_long(
            table,
            ["headcount", "suspensions", "permanent_exclusions"],
            _EXCLUSION_DERIVED,
            total_rows=is_total,
            not_applicable=not_applicable,
        )
        section.tables.append(
            public_table(
                f"{title}, {year}",
                table,
                columns,
                counts=["headcount", "suspensions", "permanent_exclusions"],
                derived=_EXCLUSION_DERIVED,
                total_rows=is_total,
                not_applicable=not_applicable,
            )
        )
        shown = protected[~is_total.to_numpy()]
        chart_rows += [
            {"label": f"{label}", "risk_ratio": ratio}
            for label, ratio in zip(
                shown["label"], unsuppressed_numbers(shown["suspension_risk_ratio"]), strict=True
            )
        ]
        section.paragraphs += _disproportion_sentences(shown)
    if chart_rows:
        section.charts.append(
            Chart(
                "suspension_risk_ratios",
                f"Suspension risk ratios, {year}",
                "Bar chart of the suspension risk ratio of each SEN status and ethnic group against all "
                "other pupils; a dashed line marks 1, the same rate.",
                charts.risk_ratios(pd.DataFrame(chart_rows)),
            )
        )
    return section


def _disproportion_sentences(shown: pd.DataFrame) -> list[str]:
    sentences = []
    for _, row in shown.iterrows():
        ratio = row["suspension_risk_ratio"]
        if ratio == SUPPRESSED or not isinstance(ratio, int | float) or pd.isna(ratio) or ratio < 1.5:
            continue
        sentences.append(
            f"Pupils in the group '{row['label']}' were suspended {float(ratio):.1f} times as often as "
            "other pupils."
        )
    return sentences


_ESTIMATOR_LABELS = {
    "callaway_santanna": "Callaway & Sant'Anna",
    "twfe": "Two-way fixed effects",
    "poisson_twfe": "Poisson fixed effects",
}


def _interval_words(row: pd.Series) -> str:
    """`95% confidence interval -1.03 to -0.21 per 100 pupils per term`, or as a rate ratio."""
    if pd.isna(row["ci_low"]) or pd.isna(row["ci_high"]):
        return "confidence interval not available"
    if row.get("estimate_scale") == "rate_ratio":
        return f"95% confidence interval {row['ci_low']:.2f} to {row['ci_high']:.2f} as a rate ratio"
    return f"95% confidence interval {row['ci_low']:+.2f} to {row['ci_high']:+.2f} per 100 pupils per term"


def impact_section(data: PackData) -> Section:
    """What the inclusion programmes did, in plain English with 95 % confidence intervals; the event study."""
    section = Section("impact", "Impact of inclusion programmes")
    columns = [
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
        "interpretation",
    ]
    estimates = _require(data, "impact_estimates", columns, "Impact evaluation")
    headline = estimates[estimates["aggregation"].isin(["simple", "none"])].copy()
    headline["_order"] = (
        headline["estimator"].map({"callaway_santanna": 0, "twfe": 1, "poisson_twfe": 2}).fillna(3)
    )
    headline = headline.sort_values(["programme", "outcome", "_order"]).reset_index(drop=True)
    main = headline.drop_duplicates(["programme", "outcome"])
    main = main[~main["outcome"].astype(str).str.endswith("_ehcp")] if len(main) > 4 else main
    for _, row in main.iterrows():
        sentence = (
            str(row["interpretation"]).strip()
            if pd.notna(row["interpretation"])
            else f"{humanise(row['programme']).capitalize()}: estimated change in {humanise(row['outcome'])} "
            f"of {row['estimate']:+.2f}."
        )
        schools = (
            f"; {int(row['n_treated_units'])} schools took part, compared with {int(row['n_control_units'])}"
            if pd.notna(row["n_treated_units"]) and pd.notna(row["n_control_units"])
            else ""
        )
        section.paragraphs.append(f"{format_value(sentence, 'text')} ({_interval_words(row)}{schools}.)")
    headline["estimator_label"] = headline["estimator"].map(lambda e: _ESTIMATOR_LABELS.get(e, humanise(e)))
    headline["programme_label"] = headline["programme"].map(humanise)
    headline["outcome_label"] = headline["outcome"].map(humanise)
    headline["scale_label"] = [
        "rate ratio (1 = no change)" if scale == "rate_ratio" else "change per 100 pupils per term"
        for scale in headline.get("estimate_scale", pd.Series(index=headline.index, dtype=object))
    ]
    section.tables.append(
        public_table(
            "Estimated effects (overall)",
            headline,
            [
                Column("programme_label", "Programme"),
                Column("outcome_label", "Outcome"),
                Column("estimator_label", "Method"),
                Column("scale_label", "Scale"),
                Column("estimate", "Estimate", "estimate"),
                Column("ci_low", "95% CI low", "estimate"),
                Column("ci_high", "95% CI high", "estimate"),
                Column("p_value", "p value", "p_value"),
                Column("n_treated_units", "Schools in programme", "count"),
                Column("n_control_units", "Comparison schools", "count"),
            ],
            note="The units are schools, not pupils; school-level exclusion and absence figures are "
            "published by DfE. An interval that spans no change (0, or 1 for a rate ratio) means no clear "
            "effect.",
        )
    )
    study = data.table("event_study")
    needed = {"programme", "outcome", "relative_period", "estimate", "ci_low", "ci_high"}
    if study is None or not needed <= set(study.columns) or study.empty:
        section.paragraphs.append("The event study (effects term by term) is not available yet.")
        return section
    pairs = study[["programme", "outcome"]].drop_duplicates()
    preferred = pairs[pairs["outcome"] == "suspension_rate"]
    pairs = preferred if not preferred.empty else pairs
    panels = [
        (str(p), str(o)) for p, o in pairs.sort_values(["programme", "outcome"]).itertuples(index=False)
    ][:6]
    section.charts.append(
        Chart(
            "event_study",
            "Event study: effect term by term around the programme's start",
            "Dot-and-whisker charts of the estimated effect in each term before and after each programme "
            "started, with 95% confidence intervals; terms before the start should sit near zero.",
            charts.event_study(study, panels),
        )
    )
    return section


def _dataset_summary(file_loads: pd.DataFrame) -> pd.DataFrame:
    loads = file_loads.copy()
    loads["extract_month"] = loads["extract_month"].fillna("").astype(str)
    loads = loads.sort_values(["dataset", "extract_month", "loaded_at"])
    latest = loads.groupby("dataset").tail(1).set_index("dataset")
    summary = loads.groupby("dataset").agg(files=("source_file", "count"), last_loaded=("loaded_at", "max"))
    summary["latest_extract"] = latest["extract_month"].replace("", "reference file")
    summary["latest_rows"] = latest["row_count"]
    summary["last_loaded"] = pd.to_datetime(summary["last_loaded"]).dt.strftime("%Y-%m-%d %H:%M")
    return summary.reset_index()


def quality_section(data: PackData) -> Section:
    """What was loaded, what was refused, and which parts of the pack are waiting for data."""
    section = Section("quality", "Data quality")
    if data.file_loads is None or data.file_loads.empty:
        section.paragraphs.append("No landing files have been loaded yet.")
    else:
        summary = _dataset_summary(data.file_loads)
        section.tables.append(
            public_table(
                "Files loaded, by dataset",
                summary,
                [
                    Column("dataset", "Dataset"),
                    Column("files", "Files loaded", "count"),
                    Column("latest_extract", "Latest extract"),
                    Column("latest_rows", "Rows in latest file", "count"),
                    Column("last_loaded", "Last loaded"),
                ],
                note="File row counts are counts of records in a delivery, not of children.",
            )
        )
    if data.quarantine.empty:
        section.paragraphs.append("No file is in quarantine: every file delivered passed its checks.")
    else:
        section.paragraphs.append(
            f"{len(data.quarantine)} file(s) were refused and are in quarantine; the teams that send them "
            f"have the detailed reports."
        )
        section.tables.append(
            public_table(
                "Files in quarantine",
                data.quarantine,
                [
                    Column("dataset", "Dataset"),
                    Column("source_file", "File"),
                    Column("quarantined_at", "Refused on"),
                    Column("problems", "Problems", "count"),
                    Column("rules", "Rules broken"),
                ],
            )
        )
    if data.missing:
        section.paragraphs.append(
            "Not built yet: " + ", ".join(humanise(name) for name in sorted(data.missing)) + "."
        )
    return section


SECTION_BUILDERS: tuple[tuple[str, str, Callable[[PackData], Section]], ...] = (
    ("budget", "Budget and forecast outturn by s251 line", budget_section),
    ("spend", "Spend by s251 line and provision type", spend_section),
    ("cost", "Cost per placement", cost_section),
    ("placements", "Placements by type and need", placements_section),
    ("deficit", "Deficit trajectory", deficit_section),
    ("benchmarks", "Benchmarks against England and neighbours", benchmarks_section),
    ("exclusions", "Exclusions and disproportionality", exclusions_section),
    ("impact", "Impact of inclusion programmes", impact_section),
    ("quality", "Data quality", quality_section),
)


def build_content(data: PackData, generated_at: datetime | None = None) -> PackContent:
    """The whole public pack for `data.month`; a section without its data says why, the rest still draw."""
    sections = []
    for key, title, builder in SECTION_BUILDERS:
        try:
            sections.append(builder(data))
        except NotAvailable as reason:
            sections.append(Section(key, title, unavailable=str(reason)))
    headline, key_figures = build_headline(data)
    return PackContent(
        month=data.month,
        month_label=month_label(data.month),
        financial_year=data.financial_year,
        generated_at=(generated_at or datetime.now()).strftime("%d %B %Y %H:%M"),
        headline=headline,
        key_figures=key_figures,
        sections=sections,
    )
