"""The pack's charts as PNG bytes, drawn with matplotlib's Agg renderer (no display, no global pyplot state).

Charts of public figures are drawn from tables that have been through disclosure control: a suppressed
value is a gap in a line or an empty bar marked `c`, never a point a reader could measure off the axis.
No chart carries meaning by colour alone: series also differ by line style, marker or hatching, and bars
carry their values as text. Money axes take k or m by their range (`money.axis_money_labels`).
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import Formatter, MaxNLocator

from orchestration.reports.data import financial_year_of
from orchestration.reports.money import axis_money_labels, money_short

# Okabe–Ito: distinguishable with the common colour-vision deficiencies, and in greyscale print.
BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, YELLOW, GREY = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#CC79A7",
    "#56B4E9",
    "#F0E442",
    "#7F7F7F",
)
SERIES_COLOURS = (BLUE, ORANGE, GREEN, VERMILION, PURPLE, SKY, "#000000", GREY, "#8C564B", YELLOW)
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*", "<", ">")
SERIES_STYLES = ("-", "--", "-.", ":")
DPI = 110
LABEL_WIDTH = 34
"""Characters per line of a wrapped category label (an s251 line's name)."""


@dataclass(frozen=True)
class DrawnChart:
    """A chart's PNG and the tick labels of each of its axes, as the reader sees them."""

    png: bytes
    axis_labels: tuple[tuple[str, ...], ...]


class MoneyFormatter(Formatter):
    """Money ticks in one unit for the whole axis, with just enough decimals to tell them apart."""

    def format_ticks(self, values: Sequence[float]) -> list[str]:
        return axis_money_labels(values)

    def __call__(self, x: float, pos: int | None = None) -> str:
        return money_short(x)


def _figure(width: float = 9.0, height: float = 4.6) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # Agg on this figure only: no display needed, no process-wide backend switch
    figure.set_facecolor("white")
    return figure


def _axis_texts(axes: Axes) -> list[tuple[str, ...]]:
    texts = []
    for axis in (axes.xaxis, axes.yaxis):
        low, high = sorted(axis.get_view_interval())
        labels = tuple(
            tick.label1.get_text()
            for tick in axis.get_major_ticks()
            if tick.label1.get_visible() and tick.label1.get_text() and low <= tick.get_loc() <= high
        )
        if labels:
            texts.append(labels)
    return texts


def _render(figure: Figure) -> DrawnChart:
    """The PNG, and the tick labels drawn on every visible axis (read after the final layout)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    labels = [texts for axes in figure.axes if axes.get_visible() for texts in _axis_texts(axes)]
    return DrawnChart(buffer.getvalue(), tuple(labels))


def _tidy_axes(axes: Axes, grid_axis: str = "y") -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis=grid_axis, color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)


def _wrapped(label: str) -> str:
    return "\n".join(textwrap.wrap(label, LABEL_WIDTH)) or label


def deficit_trajectory(
    position: pd.DataFrame,
    scenarios: pd.DataFrame | None,
    current_year: str,
    override_end: date | None = None,
) -> DrawnChart:
    """Cumulative DSG balance by financial year: actual/forecast, the deficit management plan, scenarios.

    `position` has `financial_year`, `closing_balance_gbp`, `planned_closing_balance_gbp`; `scenarios`
    (optional) has `financial_year`, `scenario_label`, `cumulative_balance_gbp`, and where given
    `cumulative_balance_p10_gbp`/`_p90_gbp`, drawn as a shaded 80 % interval. Negative = deficit.
    `override_end`, when its year is on the axis, is marked by a labelled vertical line: the day the DSG
    statutory override stops keeping the deficit off the council's accounts.
    """
    years = sorted(
        set(position["financial_year"])
        | (set(scenarios["financial_year"]) if scenarios is not None else set())
    )
    x_of = {year: index for index, year in enumerate(years)}
    figure = _figure()
    axes = figure.add_subplot()
    axes.axhline(0, color="#333333", linewidth=0.9)
    if current_year in x_of:
        axes.axvspan(x_of[current_year] - 0.5, len(years) - 0.5, color="#f2f2f2", zorder=0)
        axes.text(
            x_of[current_year] - 0.4,
            1.0,
            "forecast →",
            transform=axes.get_xaxis_transform(),
            va="top",
            fontsize=9,
            color="#555555",
        )
    ordered = position.sort_values("financial_year")
    xs = [x_of[year] for year in ordered["financial_year"]]
    closing = pd.to_numeric(ordered["closing_balance_gbp"], errors="coerce")
    planned = pd.to_numeric(ordered["planned_closing_balance_gbp"], errors="coerce")
    axes.plot(xs, closing, color=BLUE, marker="o", linewidth=2.6, label="Actual / forecast closing balance")
    axes.plot(
        xs, planned, color=ORANGE, marker="s", linestyle="--", linewidth=2, label="Deficit management plan"
    )
    if scenarios is not None and not scenarios.empty:
        anchor = ordered.loc[ordered["financial_year"] == current_year, "closing_balance_gbp"]
        for index, (label, rows) in enumerate(scenarios.groupby("scenario_label", sort=True)):
            colour = SERIES_COLOURS[(index + 2) % len(SERIES_COLOURS)]
            marker = SERIES_MARKERS[(index + 2) % len(SERIES_MARKERS)]
            rows = rows.sort_values("financial_year")
            scenario_x = [x_of[year] for year in rows["financial_year"]]
            scenario_y = list(pd.to_numeric(rows["cumulative_balance_gbp"], errors="coerce"))
            if {"cumulative_balance_p10_gbp", "cumulative_balance_p90_gbp"} <= set(rows.columns):
                axes.fill_between(
                    scenario_x,
                    pd.to_numeric(rows["cumulative_balance_p10_gbp"], errors="coerce"),
                    pd.to_numeric(rows["cumulative_balance_p90_gbp"], errors="coerce"),
                    color=colour,
                    alpha=0.12,
                    linewidth=0,
                )
            if len(anchor) and current_year not in set(rows["financial_year"]) and scenario_x:
                scenario_x = [x_of[current_year], *scenario_x]
                scenario_y = [float(anchor.iloc[0]), *scenario_y]
            axes.plot(
                scenario_x,
                scenario_y,
                color=colour,
                linestyle=":",
                marker=marker,
                linewidth=1.8,
                label=f"Scenario: {label}",
            )
    override_year = None if override_end is None else financial_year_of(f"{override_end:%Y-%m}")
    if override_year in x_of:
        year_start = date(int(override_year[:4]), 4, 1)
        elapsed = ((override_end - year_start).days + 1) / (date(year_start.year + 1, 4, 1) - year_start).days
        at = x_of[override_year] - 1 + elapsed  # a year's point is its closing balance, at 31 March
        axes.axvline(at, color="#333333", linestyle=(0, (6, 3)), linewidth=1.2)
        axes.text(
            at,
            0.02,
            f" statutory override ends {override_end.day} {override_end:%B %Y} ",
            transform=axes.get_xaxis_transform(),
            rotation=90,
            ha="right",
            va="bottom",
            fontsize=8.5,
            color="#333333",
        )
    axes.set_xticks(range(len(years)), years)
    axes.yaxis.set_major_formatter(MoneyFormatter())
    axes.set_ylabel("Cumulative DSG balance (negative = deficit)")
    _tidy_axes(axes)
    axes.legend(loc="lower left", fontsize=8.5, frameon=False)
    return _render(figure)


def spend_by_line(lines: pd.DataFrame) -> DrawnChart:
    """Budget beside forecast outturn for each s251 line (named), largest forecast at the top.

    `lines` has `line_name`, `budget_gbp` and `forecast_with_growth_gbp` (NaN where suppressed: no bar,
    a `c` beside it).
    """
    forecast = pd.to_numeric(lines["forecast_with_growth_gbp"], errors="coerce")
    ordered = lines.assign(_forecast=forecast, _size=forecast.fillna(0)).sort_values("_size")
    wrapped = [_wrapped(str(name)) for name in ordered["line_name"]]
    rows_of_text = sum(label.count("\n") + 1 for label in wrapped)
    figure = _figure(height=max(3.2, 0.16 * rows_of_text + 0.2 * len(ordered) + 1.2))
    axes = figure.add_subplot()
    positions = np.arange(len(ordered))
    budget = pd.to_numeric(ordered["budget_gbp"], errors="coerce")
    axes.barh(
        positions + 0.2,
        budget.fillna(0),
        height=0.4,
        color="#BBBBBB",
        hatch="///",
        edgecolor="#666666",
        linewidth=0.4,
        label="Budget (hatched)",
    )
    axes.barh(
        positions - 0.2,
        ordered["_forecast"].fillna(0),
        height=0.4,
        color=BLUE,
        label="Forecast outturn (solid)",
    )
    largest = float(np.nanmax([budget.max(), ordered["_forecast"].max(), 1.0]))
    for position, value in zip(positions, ordered["_forecast"], strict=True):
        if pd.isna(value):
            axes.text(largest * 0.01, position - 0.2, "c (suppressed)", va="center", fontsize=8)
    axes.set_yticks(positions, wrapped)
    axes.tick_params(axis="y", labelsize=8)
    axes.xaxis.set_major_formatter(MoneyFormatter())
    _tidy_axes(axes, grid_axis="x")
    axes.set_xlabel("£ this financial year")
    axes.legend(loc="lower right", fontsize=9, frameon=False)
    return _render(figure)


def cost_per_placement_trend(cost: pd.DataFrame) -> DrawnChart:
    """Annual cost per full-time placement by provision type and year; suppressed years are gaps.

    `cost` has `financial_year`, `provision_label`, `cost_per_fte_gbp` (NaN where suppressed).
    """
    years = sorted(cost["financial_year"].unique())
    x_of = {year: index for index, year in enumerate(years)}
    figure = _figure(height=4.8)
    axes = figure.add_subplot()
    latest = cost[cost["financial_year"] == years[-1]].set_index("provision_label")["cost_per_fte_gbp"]
    order = latest.sort_values(ascending=False, na_position="last").index.tolist()
    order += [label for label in cost["provision_label"].unique() if label not in order]
    for index, label in enumerate(order):
        rows = cost[cost["provision_label"] == label].sort_values("financial_year")
        axes.plot(
            [x_of[year] for year in rows["financial_year"]],
            rows["cost_per_fte_gbp"],
            color=SERIES_COLOURS[index % len(SERIES_COLOURS)],
            linestyle=SERIES_STYLES[(index // len(SERIES_COLOURS)) % len(SERIES_STYLES)],
            marker=SERIES_MARKERS[index % len(SERIES_MARKERS)],
            linewidth=2,
            label=_wrapped(str(label)),
        )
    axes.set_xticks(range(len(years)), years)
    axes.yaxis.set_major_formatter(MoneyFormatter())
    axes.set_ylabel("Cost per full-time placement")
    axes.set_ylim(bottom=0)
    _tidy_axes(axes)
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return _render(figure)


def event_study(estimates: pd.DataFrame, panels: Sequence[tuple[str, str, str, str]]) -> DrawnChart:
    """Effect by term relative to the programme's start, with 95 % confidence bars, one panel per pair.

    `estimates` has `programme`, `outcome`, `relative_period`, `estimate`, `ci_low`, `ci_high`, and may
    have the uniform band (`uniform_ci_low`, `uniform_ci_high`: covers every term at once, so a reader may
    judge the whole path, not one term), drawn shaded; each panel is (programme, outcome, title, unit).
    """
    columns = min(2, len(panels))
    rows_needed = (len(panels) + columns - 1) // columns
    figure = _figure(height=max(3.2, 3.1 * rows_needed))
    grid = figure.subplots(rows_needed, columns, squeeze=False)
    for axes in grid.flat[len(panels) :]:
        axes.set_visible(False)
    for axes, (programme, outcome, title, unit) in zip(grid.flat, panels, strict=False):
        rows = estimates[(estimates["programme"] == programme) & (estimates["outcome"] == outcome)]
        rows = rows.sort_values("relative_period")
        period = pd.to_numeric(rows["relative_period"], errors="coerce")
        estimate = pd.to_numeric(rows["estimate"], errors="coerce")
        low = estimate - pd.to_numeric(rows["ci_low"], errors="coerce")
        high = pd.to_numeric(rows["ci_high"], errors="coerce") - estimate
        after = period >= 0
        if {"uniform_ci_low", "uniform_ci_high"} <= set(rows.columns) and rows[
            "uniform_ci_low"
        ].notna().any():
            axes.fill_between(
                period,
                pd.to_numeric(rows["uniform_ci_low"], errors="coerce"),
                pd.to_numeric(rows["uniform_ci_high"], errors="coerce"),
                color=SKY,
                alpha=0.25,
                hatch="//",
                edgecolor=SKY,
                linewidth=0,
                label="uniform 95% band, every term at once (shaded)",
            )
        axes.axhline(0, color="#333333", linewidth=0.9)
        axes.axvline(-0.5, color=GREY, linestyle="--", linewidth=1)
        axes.errorbar(
            period[~after],
            estimate[~after],
            yerr=[low[~after], high[~after]],
            fmt="o",
            mfc="white",
            color=GREY,
            ecolor="#aaaaaa",
            capsize=3,
            label="before the start (open circles)",
        )
        axes.errorbar(
            period[after],
            estimate[after],
            yerr=[low[after], high[after]],
            fmt="s",
            color=VERMILION,
            ecolor=VERMILION,
            capsize=3,
            label="after the start (filled squares)",
        )
        axes.set_title(title, fontsize=10)
        axes.set_xlabel("terms since the programme started", fontsize=8.5)
        axes.xaxis.set_major_locator(MaxNLocator(integer=True))
        axes.set_ylabel("\n".join(textwrap.wrap(unit, 28)), fontsize=8)
        axes.tick_params(labelsize=8)
        _tidy_axes(axes)
    grid.flat[0].legend(loc="best", fontsize=7.5, frameon=False)
    return _render(figure)


def risk_ratios(ratios: pd.DataFrame) -> DrawnChart:
    """Suspension risk ratio of each group against all other pupils, with its 95 % interval; 1 = same rate.

    `ratios` has `label`, `risk_ratio`, `ci_low`, `ci_high` (NaN where suppressed or not available) and
    `clear` (the interval excludes 1): clearly higher groups are hatched, not only coloured.
    """
    figure = _figure(height=max(2.8, 0.38 * len(ratios) + 1.2))
    axes = figure.add_subplot()
    positions = np.arange(len(ratios))[::-1]
    values = pd.to_numeric(ratios["risk_ratio"], errors="coerce")
    low = pd.to_numeric(ratios["ci_low"], errors="coerce")
    high = pd.to_numeric(ratios["ci_high"], errors="coerce")
    clear = ratios["clear"].fillna(False).astype(bool).to_numpy()
    higher = clear & (values.fillna(0).to_numpy() > 1)
    axes.barh(
        positions,
        values.fillna(0),
        color=[VERMILION if flag else SKY for flag in higher],
        hatch=["///" if flag else "" for flag in higher],
        edgecolor="#333333",
        linewidth=0.4,
        height=0.6,
    )
    shown = values.notna() & low.notna() & high.notna()
    axes.errorbar(
        values[shown],
        positions[shown.to_numpy()],
        xerr=[(values - low)[shown], (high - values)[shown]],
        fmt="none",
        ecolor="#333333",
        capsize=3,
    )
    for position, value, top, flag in zip(positions, values, high, higher, strict=True):
        text = "c" if pd.isna(value) else f"{value:.2f}" + (" (clearly higher)" if flag else "")
        axes.text(
            (0 if pd.isna(value) else max(value, top if pd.notna(top) else value)) + 0.05,
            position,
            text,
            va="center",
            fontsize=8.5,
        )
    axes.axvline(1, color="#333333", linewidth=1, linestyle="--")
    axes.set_yticks(positions, list(ratios["label"]))
    axes.set_xlabel("suspension rate ÷ rate of all other pupils (1 = the same); bars: 95% interval")
    _tidy_axes(axes, grid_axis="x")
    return _render(figure)


def forecast_accuracy(summary: pd.DataFrame, views: Sequence[tuple[str, str]]) -> DrawnChart:
    """Mean absolute error of past forecasts (% of outturn) by the month they were made, one line per view.

    `summary` has `view`, `months_elapsed` (1 = April … 11 = February), `as_at_month_name`, `mape_pct`;
    `views` is (view code, legend label) in drawing order. Lines differ by style and marker, not colour only.
    """
    figure = _figure(height=3.8)
    axes = figure.add_subplot()
    months = summary.dropna(subset=["months_elapsed"]).drop_duplicates("months_elapsed")
    months = months.sort_values("months_elapsed")
    for index, (view, label) in enumerate(views):
        rows = (
            summary[summary["view"] == view].dropna(subset=["months_elapsed"]).sort_values("months_elapsed")
        )
        axes.plot(
            rows["months_elapsed"].astype(int),
            pd.to_numeric(rows["mape_pct"], errors="coerce"),
            color=SERIES_COLOURS[index],
            linestyle=SERIES_STYLES[index],
            marker=SERIES_MARKERS[index],
            linewidth=2,
            label=label,
        )
    axes.set_xticks(
        months["months_elapsed"].astype(int).tolist(), [str(m)[:3] for m in months["as_at_month_name"]]
    )
    axes.set_xlabel("month the forecast was made")
    axes.set_ylabel("average error, % of outturn")
    axes.yaxis.set_major_formatter(lambda value, _pos: f"{value:.1f}%")
    axes.set_ylim(bottom=0)
    _tidy_axes(axes)
    axes.legend(loc="best", fontsize=8.5, frameon=False)
    return _render(figure)
