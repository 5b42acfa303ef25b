"""What the impact asset shows in the Dagster UI: the headline table, what was skipped, balance, charts.

matplotlib is imported inside the chart function: it is slow to import and must stay off the path that
loads the Dagster definitions.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING

import pandas as pd

from analyses.outcomes import OUTCOMES

if TYPE_CHECKING:
    from analyses.evaluation import Skipped

HEADLINE_COLUMNS = {
    "programme": "programme",
    "outcome": "outcome",
    "is_primary": "primary",
    "estimate": "effect",
    "ci_low": "95 % CI low",
    "ci_high": "95 % CI high",
    "inference": "inference",
    "p_value_adjusted": "p (Holm)",
    "q_value": "q (BH)",
    "pretrend_p_value": "pre-trend p",
    "mde": "MDE",
    "breakdown_mbar": "breakdown M̄",
    "security_rating": "padlocks",
    "may_headline": "headline",
}


def headline_markdown(estimates: pd.DataFrame) -> str:
    """One row per programme × outcome: the Callaway & Sant'Anna simple ATT and its design checks."""
    if estimates.empty:
        return "No impact estimates: no programme had a panel to estimate from."
    rows = estimates[(estimates["estimator"] == "callaway_santanna") & (estimates["aggregation"] == "simple")]
    table = rows[list(HEADLINE_COLUMNS)].rename(columns=HEADLINE_COLUMNS)
    return table.to_markdown(index=False, floatfmt=".3g")


def statements_markdown(estimates: pd.DataFrame) -> str:
    """The EEF-style line of every primary outcome, as the pack will print it."""
    if estimates.empty:
        return "No primary outcome was estimated."
    primary = estimates[
        estimates["is_primary"].fillna(False).astype(bool) & estimates["evidence_statement"].notna()
    ]
    if primary.empty:
        return "No primary outcome was estimated."
    return "\n\n".join(
        f"- {'**headline** ' if headline else ''}{text}"
        for text, headline in zip(primary["evidence_statement"], primary["may_headline"], strict=True)
    )


def skipped_markdown(skipped: list[Skipped]) -> str:
    """What was not estimated and why, so an empty cell in a report has its reason beside it."""
    if not skipped:
        return "Nothing skipped."
    frame = pd.DataFrame([vars(s) for s in skipped])
    return frame.to_markdown(index=False)


def balance_markdown(balance: pd.DataFrame) -> str:
    if balance.empty:
        return "No balance table: no programme had adopting and comparison schools."
    columns = ["programme", "variable", "treated_mean", "comparison_mean", "standardised_difference"]
    return balance[columns].to_markdown(index=False, floatfmt=".3g")


def event_study_chart_png(programme: str, event_study: pd.DataFrame) -> bytes:
    """A panel per outcome: estimates, pointwise 95 % CIs (bars) and the uniform band (shaded)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(13, 6.5), dpi=72)
    FigureCanvasAgg(figure)
    axes = figure.subplots(2, 4, sharex=True)
    for ax, outcome in zip(axes.ravel(), OUTCOMES.values(), strict=True):
        rows = event_study[event_study["outcome"] == outcome.name].sort_values("relative_period")
        ax.set_title(outcome.name, fontsize=9)
        ax.set_ylabel(f"change ({outcome.change_unit})", fontsize=7)
        ax.axhline(0, color="grey", linewidth=0.8)
        ax.axvline(-0.5, color="grey", linestyle=":", linewidth=0.8)
        if rows.empty:
            ax.text(0.5, 0.5, "not estimated", ha="center", va="center", transform=ax.transAxes, fontsize=8)
            continue
        ax.fill_between(
            rows["relative_period"],
            rows["uniform_ci_low"],
            rows["uniform_ci_high"],
            color="tab:blue",
            alpha=0.15,
        )
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
        f"{programme}: event study (bars: 95 % pointwise CIs; shading: 95 % uniform band; "
        "grey = before adoption)",
        fontsize=10,
    )
    # Fixed margins: `tight_layout` measured every tick label of the eight panels, a third of the drawing.
    figure.subplots_adjust(left=0.05, right=0.99, bottom=0.09, top=0.88, wspace=0.32, hspace=0.28)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def _chart_of(programme_rows: tuple[str, pd.DataFrame]) -> bytes:
    return event_study_chart_png(*programme_rows)


def charts_markdown(
    event_study: pd.DataFrame, mapper: Callable[..., Iterable[bytes]] = map
) -> Iterator[tuple[str, str]]:
    """(programme, markdown image) for every programme with an event study; `mapper` draws the charts
    (`map`, or `orchestration.forked_map` to draw them side by side)."""
    if event_study.empty:
        return
    groups = [(str(programme), rows) for programme, rows in event_study.groupby("programme", sort=True)]
    for (programme, _), chart in zip(groups, mapper(_chart_of, groups), strict=True):
        png = base64.b64encode(chart).decode("ascii")
        yield programme, f"![{programme} event study](data:image/png;base64,{png})"
