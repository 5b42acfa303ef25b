"""The pack's charts as PNG bytes, drawn with matplotlib's Agg renderer (no display, no global pyplot state).

Charts of public figures are drawn from tables that have been through disclosure control: a suppressed
value is a gap in a line or an empty bar marked `c`, never a point a reader could measure off the axis.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

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
DPI = 110


def _figure(width: float = 9.0, height: float = 4.6) -> Figure:
    figure = Figure(figsize=(width, height), dpi=DPI, layout="constrained")
    FigureCanvasAgg(figure)  # Agg on this figure only: no display needed, no process-wide backend switch
    figure.set_facecolor("white")
    return figure


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor="white")
    return buffer.getvalue()


def _millions(value: float, _position: object = None) -> str:
    return f"-£{abs(value) / 1e6:,.0f}m" if value < 0 else f"£{value / 1e6:,.0f}m"


def _thousands(value: float, _position: object = None) -> str:
    return f"£{value / 1e3:,.0f}k"


def _tidy_axes(axes) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="y", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)


def deficit_trajectory(
    position: pd.DataFrame,
    scenarios: pd.DataFrame | None,
    current_year: str,
) -> bytes:
    """Cumulative DSG balance by financial year: actual/forecast, the deficit management plan, scenarios.

    `position` has `financial_year`, `closing_balance_gbp`, `planned_closing_balance_gbp`; `scenarios`
    (optional) has `financial_year`, `scenario`, `cumulative_balance_gbp`, and where given
    `cumulative_balance_p10_gbp`/`_p90_gbp`, drawn as a shaded 80 % interval. Negative = deficit.
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
        for colour, (scenario, rows) in zip(
            SERIES_COLOURS[2:], scenarios.groupby("scenario", sort=True), strict=False
        ):
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
                marker=".",
                linewidth=1.8,
                label=f"Scenario: {str(scenario).replace('_', ' ')}",
            )
    axes.set_xticks(range(len(years)), years)
    axes.yaxis.set_major_formatter(FuncFormatter(_millions))
    axes.set_ylabel("Cumulative DSG balance (negative = deficit)")
    _tidy_axes(axes)
    axes.legend(loc="lower left", fontsize=8.5, frameon=False)
    return _png(figure)


def spend_by_line(lines: pd.DataFrame) -> bytes:
    """Budget beside forecast outturn (with growth) for each s251 line, largest first."""
    ordered = lines.assign(
        _size=pd.to_numeric(lines["forecast_with_growth_gbp"], errors="coerce").fillna(0)
    ).sort_values("_size")
    figure = _figure(height=max(3.0, 0.42 * len(ordered) + 1.2))
    axes = figure.add_subplot()
    positions = np.arange(len(ordered))
    axes.barh(
        positions + 0.2,
        pd.to_numeric(ordered["budget_gbp"], errors="coerce").fillna(0),
        height=0.4,
        color="#BBBBBB",
        label="Budget",
    )
    axes.barh(positions - 0.2, ordered["_size"], height=0.4, color=BLUE, label="Forecast outturn with growth")
    axes.set_yticks(positions, [str(line) for line in ordered["s251_line"]])
    axes.xaxis.set_major_formatter(FuncFormatter(_millions))
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    axes.set_xlabel("£ this financial year")
    axes.legend(loc="lower right", fontsize=9, frameon=False)
    return _png(figure)


def cost_per_placement_trend(cost: pd.DataFrame) -> bytes:
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
        colour = SERIES_COLOURS[index % len(SERIES_COLOURS)]
        style = "-" if index < len(SERIES_COLOURS) else "--"
        axes.plot(
            [x_of[year] for year in rows["financial_year"]],
            rows["cost_per_fte_gbp"],
            color=colour,
            linestyle=style,
            marker="o",
            linewidth=2,
            label=label,
        )
    axes.set_xticks(range(len(years)), years)
    axes.yaxis.set_major_formatter(FuncFormatter(_thousands))
    axes.set_ylabel("Cost per full-time placement")
    axes.set_ylim(bottom=0)
    _tidy_axes(axes)
    axes.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8, frameon=False)
    return _png(figure)


def event_study(estimates: pd.DataFrame, panels: Sequence[tuple[str, str]]) -> bytes:
    """Effect by term relative to the programme's start, with 95 % confidence bars, one panel per pair.

    `estimates` has `programme`, `outcome`, `relative_period`, `estimate`, `ci_low`, `ci_high`.
    """
    columns = min(2, len(panels))
    rows_needed = (len(panels) + columns - 1) // columns
    figure = _figure(height=max(3.2, 2.9 * rows_needed))
    grid = figure.subplots(rows_needed, columns, squeeze=False)
    for axes in grid.flat[len(panels) :]:
        axes.set_visible(False)
    for axes, (programme, outcome) in zip(grid.flat, panels, strict=False):
        rows = estimates[(estimates["programme"] == programme) & (estimates["outcome"] == outcome)]
        rows = rows.sort_values("relative_period")
        period = pd.to_numeric(rows["relative_period"], errors="coerce")
        estimate = pd.to_numeric(rows["estimate"], errors="coerce")
        low = estimate - pd.to_numeric(rows["ci_low"], errors="coerce")
        high = pd.to_numeric(rows["ci_high"], errors="coerce") - estimate
        after = period >= 0
        axes.axhline(0, color="#333333", linewidth=0.9)
        axes.axvline(-0.5, color=GREY, linestyle="--", linewidth=1)
        axes.errorbar(
            period[~after],
            estimate[~after],
            yerr=[low[~after], high[~after]],
            fmt="o",
            color=GREY,
            ecolor="#aaaaaa",
            capsize=3,
            label="before",
        )
        axes.errorbar(
            period[after],
            estimate[after],
            yerr=[low[after], high[after]],
            fmt="o",
            color=VERMILION,
            ecolor=VERMILION,
            capsize=3,
            label="after start",
        )
        axes.set_title(f"{str(programme).replace('_', ' ')}: {str(outcome).replace('_', ' ')}", fontsize=10)
        axes.set_xlabel("terms since the programme started", fontsize=8.5)
        axes.set_ylabel("change per 100 pupils", fontsize=8.5)
        axes.tick_params(labelsize=8)
        _tidy_axes(axes)
    return _png(figure)


def risk_ratios(ratios: pd.DataFrame) -> bytes:
    """Suspension risk ratio of each group against all other pupils; 1 = same rate; `c` = suppressed.

    `ratios` has `label` and `risk_ratio` (NaN where suppressed or not available).
    """
    figure = _figure(height=max(2.8, 0.36 * len(ratios) + 1.1))
    axes = figure.add_subplot()
    positions = np.arange(len(ratios))[::-1]
    values = pd.to_numeric(ratios["risk_ratio"], errors="coerce")
    colours = [VERMILION if value >= 1.5 else (BLUE if value >= 1 else SKY) for value in values.fillna(0)]
    axes.barh(positions, values.fillna(0), color=colours, height=0.6)
    for position, value in zip(positions, values, strict=True):
        axes.text(
            (0 if pd.isna(value) else value) + 0.03,
            position,
            "c" if pd.isna(value) else f"{value:.2f}",
            va="center",
            fontsize=8.5,
        )
    axes.axvline(1, color="#333333", linewidth=1, linestyle="--")
    axes.set_yticks(positions, list(ratios["label"]))
    axes.set_xlabel("suspension rate ÷ rate of all other pupils (1 = the same)")
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis="x", color="#dddddd", linewidth=0.8)
    axes.set_axisbelow(True)
    return _png(figure)
