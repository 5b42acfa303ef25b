"""Wild cluster bootstrap-t for Callaway & Sant'Anna aggregates: honest intervals with few treated schools.

The analytic influence-function SE (``analyses.did``) is a sandwich estimate that divides by n, paired with
normal critical values. With a dozen treated schools both are too optimistic: the treated schools' spread
is underestimated and the t-statistic has heavier tails than a normal, so "95 %" intervals cover less
often (Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017). The wild cluster bootstrap-t fixes both by
simulating the t-statistic itself:

1. split each school's outcome path into a fitted part Ŷ_it = ȳ_i + ȳ_{g(i),t} − ȳ_{g(i)} (school effect
   plus a term effect for each adoption cohort g, so every ATT(g,t) of Ŷ is the estimate) and a residual
   Û_it = Y_it − Ŷ_it;
2. draw one weight v_i per school (the cluster) — Rademacher ±1, or Webb's six-point weights, which give
   more distinct draws when clusters are very few (Webb 2023) — and set Y*_it = Ŷ_it + v_i·Û_it, so a
   school's residuals keep their serial correlation;
3. re-estimate every ATT(g,t) with the same design (``analyses.did.replicate_att_gt``), aggregate exactly as
   the reported estimate is aggregated, recompute the analytic SE, and keep t* = (θ* − θ(Ŷ)) / SE*.

The interval is θ̂ ± c·SE with c the (1 − α) quantile of |t*| (the symmetric bootstrap-t interval); the
p-value is the share of |t*| at least |θ̂ / SE|. Quantiles are order statistics of the draws (no
interpolation), so an interval excludes zero exactly when the p-value is at most α. Recomputing the SE
in every draw is what gives the refinement: draws whose treated schools all move one way also inflate
their own SE, exactly the heavy tail a normal approximation misses. For the rows of a table (the event
study) the same draws give pointwise intervals and a uniform (simultaneous) band from the quantile of
max_j |t*_j| — the sup-t band R ``did`` draws with ``cband = TRUE``, here from the wild bootstrap-t
rather than a multiplier bootstrap.

The draws are aggregated by the same code as the reported figures (``analyses.did.aggregate_replicates``
runs ``aggregate_att_gt``'s arithmetic on a batch of draws), so there is no second copy of the formulas.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd

from analyses.did import (
    AggregateResult,
    AggregationKind,
    ATTgtResult,
    aggregate_att_gt,
    aggregate_replicates,
    replicate_att_gt,
)

BootstrapWeights = Literal["rademacher", "webb"]
# draws solved together: bounds memory at units × cells × chunk doubles
_CHUNK = 128
# the smallest draw with at least a (1 − α) share of draws at or below it
_ORDER_STATISTIC = "inverted_cdf"


def _webb_points() -> np.ndarray:
    """Webb's six points ±√(1/2), ±1, ±√(3/2), each with probability 1/6 (mean 0, variance 1)."""
    magnitude = np.sqrt(np.array([0.5, 1.0, 1.5]))
    return np.concatenate([-magnitude[::-1], magnitude])


def draw_weights(
    kind: BootstrapWeights, n_draws: int, n_clusters: int, rng: np.random.Generator
) -> np.ndarray:
    """n_draws × n_clusters wild-bootstrap weights with mean 0 and variance 1."""
    if kind == "rademacher":
        return rng.integers(0, 2, size=(n_draws, n_clusters)) * 2.0 - 1.0
    if kind == "webb":
        return _webb_points()[rng.integers(0, 6, size=(n_draws, n_clusters))]
    raise ValueError("weights must be 'rademacher' or 'webb'")


@dataclass(frozen=True)
class BootstrapAggregate:
    """One aggregation with wild-bootstrap-t inference, beside the analytic figures it replaces.

    ``table`` has one row per table row of the aggregation (event time, cohort, term; one row for
    ``simple``) with ``estimate``, ``std_error`` (analytic), pointwise ``ci_low``/``ci_high`` and the
    uniform band ``uniform_ci_low``/``uniform_ci_high``.
    """

    kind: AggregationKind
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    critical_value: float
    uniform_critical_value: float
    n_draws: int
    weights: BootstrapWeights
    alpha: float
    table: pd.DataFrame
    table_t_draws: np.ndarray = field(repr=False)
    """The bootstrap t-statistics of the table rows (rows × draws), for joint tests on several rows."""

    def summary(self) -> str:
        """One line with the estimate, its bootstrap interval and the draws behind it."""
        level = round(100 * (1 - self.alpha))
        return (
            f"Wild cluster bootstrap-t ({self.weights}, {self.n_draws} draws), {self.kind}: "
            f"{self.estimate:.4f}, {level}% CI {self.ci_low:.4f} to {self.ci_high:.4f} "
            f"(|t| critical value {self.critical_value:.3f}), p = {self.p_value:.4g}"
        )


def fitted_and_residual(outcome: np.ndarray, cohort: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Ŷ = school mean + cohort-specific term effect, and Û = Y − Ŷ (both units × periods).

    Each cohort's residuals are scaled by √(n_g / (n_g − 1)): its term means used one degree of freedom
    each, which leaves a small cohort's residuals too tight, and the bootstrap world would then be less
    dominated by the few treated schools than the real one is.
    """
    unit_mean = outcome.mean(axis=1, keepdims=True)
    fitted = np.empty_like(outcome)
    scale = np.ones((outcome.shape[0], 1))
    for g in np.unique(cohort):
        rows = cohort == g
        term_effect = outcome[rows].mean(axis=0) - outcome[rows].mean()
        fitted[rows] = unit_mean[rows] + term_effect[None, :]
        n_g = int(rows.sum())
        scale[rows] = np.sqrt(n_g / (n_g - 1)) if n_g > 1 else 1.0
    return fitted, (outcome - fitted) * scale


def _se(influence: np.ndarray) -> np.ndarray:
    """Analytic SE √(Σψ²/n) / √n along the units axis (axis 0); NaN where it is zero."""
    n = influence.shape[0]
    se = np.sqrt(np.mean(influence**2, axis=0) / n)
    return np.where(se > 0, se, np.nan)


def wild_bootstrap(
    result: ATTgtResult,
    kinds: Sequence[AggregationKind] = ("simple",),
    *,
    n_draws: int = 999,
    weights: BootstrapWeights = "rademacher",
    alpha: float = 0.05,
    seed: int = 0,
) -> dict[AggregationKind, BootstrapAggregate]:
    """Wild cluster bootstrap-t (schools as clusters) for each requested aggregation of ``result``.

    All aggregations share the same draws. Deterministic for a given ``seed``.
    """
    rng = np.random.default_rng(seed)
    outcome = result.outcome
    fitted, residual = fitted_and_residual(outcome, result.panel.cohort)

    def aggregated(att: np.ndarray, influence: np.ndarray) -> dict[AggregationKind, tuple[np.ndarray, ...]]:
        """Per kind: (overall estimate, its SE, row estimates, row SEs), each with a trailing draws axis."""
        out = {}
        for kind in kinds:
            estimate, psi, rows, rows_psi = aggregate_replicates(result, kind, att, influence)
            out[kind] = (estimate, _se(psi), rows, _se(rows_psi))
        return out

    centre = aggregated(*replicate_att_gt(result, fitted[:, :, None]))
    t_overall: dict[AggregationKind, list[np.ndarray]] = {kind: [] for kind in kinds}
    t_rows: dict[AggregationKind, list[np.ndarray]] = {kind: [] for kind in kinds}
    for start in range(0, n_draws, _CHUNK):
        v = draw_weights(weights, min(_CHUNK, n_draws - start), outcome.shape[0], rng)
        draws = aggregated(
            *replicate_att_gt(result, fitted[:, :, None] + residual[:, :, None] * v.T[:, None, :])
        )
        for kind, (estimate, se, rows, rows_se) in draws.items():
            t_overall[kind].append((estimate - centre[kind][0]) / se)
            t_rows[kind].append((rows - centre[kind][2]) / rows_se)

    out = {}
    for kind in kinds:
        reference = aggregate_att_gt(result, kind, na_rm=True, alpha=alpha)
        overall_t = np.concatenate(t_overall[kind])
        table_t = np.concatenate(t_rows[kind], axis=1)
        estimate, se = reference.estimate, reference.std_error
        critical = float(np.nanquantile(np.abs(overall_t), 1 - alpha, method=_ORDER_STATISTIC))
        table = reference.table.drop(columns=["ci_low", "ci_high"])
        rows_se = table["std_error"].to_numpy()
        usable = np.isfinite(rows_se) & np.isfinite(table_t).all(axis=1)
        pointwise = np.full(rows_se.size, np.nan)
        pointwise[usable] = np.quantile(np.abs(table_t[usable]), 1 - alpha, axis=1, method=_ORDER_STATISTIC)
        uniform = (
            float(np.quantile(np.max(np.abs(table_t[usable]), axis=0), 1 - alpha, method=_ORDER_STATISTIC))
            if usable.any()
            else np.nan
        )
        rows_estimate = table["estimate"].to_numpy()
        table = table.assign(
            ci_low=rows_estimate - pointwise * rows_se,
            ci_high=rows_estimate + pointwise * rows_se,
            uniform_ci_low=rows_estimate - uniform * rows_se,
            uniform_ci_high=rows_estimate + uniform * rows_se,
        )
        out[kind] = BootstrapAggregate(
            kind=kind,
            estimate=estimate,
            std_error=se,
            ci_low=estimate - critical * se,
            ci_high=estimate + critical * se,
            p_value=float(np.nanmean(np.abs(overall_t) >= abs(estimate / se))) if se > 0 else float("nan"),
            critical_value=critical,
            uniform_critical_value=uniform,
            n_draws=n_draws,
            weights=weights,
            alpha=alpha,
            table=table,
            table_t_draws=table_t,
        )
    return out


def multiplier_band(
    aggregate: AggregateResult,
    *,
    n_draws: int = 999,
    weights: BootstrapWeights = "rademacher",
    alpha: float = 0.05,
    seed: int = 0,
) -> float:
    """Sup-t critical value for a uniform band over the table rows of an analytic aggregation.

    R ``did``'s ``cband``: perturb the influence functions, θ*_j − θ̂_j = Σ_i v_i ψ_ij / n, and take the
    (1 − α) quantile of max_j |θ*_j − θ̂_j| / SE_j. With many treated schools this needs no re-estimation;
    the band is θ̂_j ± c·SE_j.
    """
    rng = np.random.default_rng(seed)
    se = aggregate.table["std_error"].to_numpy()
    usable = np.isfinite(se) & (se > 0)
    if not usable.any():
        return float("nan")
    psi = aggregate.table_influence[:, usable]
    n = psi.shape[0]
    v = draw_weights(weights, n_draws, n, rng)
    t = np.abs(v @ psi / n) / se[usable]
    return float(np.quantile(t.max(axis=1), 1 - alpha, method=_ORDER_STATISTIC))
