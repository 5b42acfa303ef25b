"""The outcomes dashboard's sparklines: one small chart per indicator, its values against its trajectory.

Small multiples rather than one chart: the indicators have different units, so each gets its own y axis
(two ticks, in its unit). Values are solid with markers, the straight line to the target dashed: the two
differ by line style as well as colour. The alt text says where each indicator started and stands.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass

import pandas as pd
from matplotlib.ticker import MaxNLocator

from orchestration.outcomes_framework import period_start
from orchestration.reports.charts import BLUE, GREY, _figure, _render

COLUMNS = 4


@dataclass(frozen=True)
class Sparklines:
    png: bytes
    alt: str
    axis_labels: tuple[tuple[str, ...], ...]


def indicator_trends(tracker: pd.DataFrame, latest: pd.DataFrame) -> Sparklines:
    """One panel per indicator of `latest`, in its order, from the tracker (values already made public)."""
    rows = math.ceil(len(latest) / COLUMNS)
    figure = _figure(width=10.0, height=1.75 * rows + 0.4)
    grid = figure.subplots(rows, COLUMNS, squeeze=False)
    sentences = []
    for position, indicator in enumerate(latest.itertuples()):
        axes = grid[position // COLUMNS][position % COLUMNS]
        series = tracker[tracker["indicator_id"] == indicator.indicator_id].copy()
        series["start"] = [
            period_start(str(p), k) for p, k in zip(series["period"], series["period_type"], strict=True)
        ]
        series = series.sort_values("start")
        values = pd.to_numeric(series["value"], errors="coerce")
        trajectory = pd.to_numeric(series["trajectory"], errors="coerce")
        axes.plot(series["start"], values, color=BLUE, marker="o", markersize=3, linewidth=1.6)
        axes.plot(series["start"], trajectory, color=GREY, linestyle="--", linewidth=1.2)
        axes.set_title(
            "\n".join(textwrap.wrap(str(indicator.indicator_name), 34)[:2]), fontsize=7.5, loc="left"
        )
        axes.xaxis.set_major_locator(MaxNLocator(3, integer=True))
        axes.yaxis.set_major_locator(MaxNLocator(3))
        axes.tick_params(labelsize=7)
        axes.spines[["top", "right"]].set_visible(False)
        known = series[values.notna()]
        if len(known):
            first, last = known.iloc[0], known.iloc[-1]
            sentences.append(
                f"{indicator.indicator_name}: {first['value']:.3g} in {first['period']}, "
                f"{last['value']:.3g} in {last['period']}"
            )
    for position in range(len(latest), rows * COLUMNS):
        grid[position // COLUMNS][position % COLUMNS].set_visible(False)
    drawn = _render(figure)
    alt = (
        f"{len(latest)} small line charts, one per indicator, each against the dashed line to its target. "
        + "; ".join(sentences)
        + "."
    )
    return Sparklines(drawn.png, alt, drawn.axis_labels)
