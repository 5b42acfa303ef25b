"""Simulated data with planted effects, so each estimator in ``analyses`` can be checked against a truth.

Used by the tests and the coverage benchmark; nothing here touches real school data.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class StaggeredDesign:
    """A staggered-adoption panel: units join cohorts (first treated period; 0 = never) at random.

    The effect of treatment at event time e = t − g ≥ 0 for cohort g is
    ``base_effect · (1 + cohort_gradient · r_g) + growth_per_period · e`` where r_g runs from 1 for the
    earliest cohort to 0 for the latest, so ``cohort_gradient = growth_per_period = 0`` gives a constant
    effect and positive values give the heterogeneous, dynamic effects that bias two-way fixed effects.
    Outcomes are y_it = α_i + λ_t + trend_x · x_i · t / T + effect + ε_it with parallel trends holding
    conditional on x (and unconditionally when ``trend_x = 0`` or x is independent of the cohort).
    """

    n_units: int = 250
    n_periods: int = 15
    cohorts: tuple[int, ...] = (0, 5, 8, 11)
    cohort_probs: tuple[float, ...] | None = None
    base_effect: float = 1.0
    cohort_gradient: float = 0.0
    growth_per_period: float = 0.0
    noise_sd: float = 1.0
    trend_x: float = 0.0
    x_shift_treated: float = 0.0

    @property
    def probabilities(self) -> np.ndarray:
        """Population probability of each cohort in ``cohorts``."""
        if self.cohort_probs is None:
            return np.full(len(self.cohorts), 1 / len(self.cohorts))
        probs = np.asarray(self.cohort_probs, dtype=float)
        return probs / probs.sum()

    def effect(self, cohort: float, period: float) -> float:
        """The planted ATT(g,t): zero before adoption and for the never treated."""
        if cohort == 0 or period < cohort:
            return 0.0
        treated = sorted(c for c in self.cohorts if c > 0)
        span = max(treated) - min(treated)
        rank = (max(treated) - cohort) / span if span else 0.0
        return self.base_effect * (1 + self.cohort_gradient * rank) + self.growth_per_period * (
            period - cohort
        )

    def simulate(self, seed: int | np.random.Generator = 0) -> pd.DataFrame:
        """One draw of the panel: columns ``id, period, first_treated, x, y`` (long, balanced)."""
        rng = np.random.default_rng(seed)
        n, n_t = self.n_units, self.n_periods
        unit_cohort = rng.choice(np.asarray(self.cohorts), size=n, p=self.probabilities)
        x = rng.normal(size=n) + self.x_shift_treated * (unit_cohort > 0)
        unit_effect = rng.normal(size=n) + 0.5 * (unit_cohort > 0)
        periods = np.arange(1, n_t + 1)
        time_effect = 0.1 * periods + 0.3 * np.sin(periods)
        effects = np.array([[self.effect(g, t) for t in periods] for g in self.cohorts])
        order = np.argsort(np.asarray(self.cohorts))
        cohort_index = order[np.searchsorted(np.asarray(self.cohorts)[order], unit_cohort)]
        y = (
            unit_effect[:, None]
            + time_effect[None, :]
            + self.trend_x * x[:, None] * periods[None, :] / n_t
            + effects[cohort_index]
            + self.noise_sd * rng.normal(size=(n, n_t))
        )
        return pd.DataFrame(
            {
                "id": np.repeat(np.arange(1, n + 1), n_t),
                "period": np.tile(periods, n),
                "first_treated": np.repeat(unit_cohort, n_t),
                "x": np.repeat(x, n_t),
                "y": y.ravel(),
            }
        )

    def _treated_cells(self) -> list[tuple[float, int, int, float]]:
        """(probability, cohort, period, ATT) for every post-treatment cell att_gt estimates."""
        cells = []
        for prob, g in zip(self.probabilities, self.cohorts, strict=True):
            if g <= 1 or g > self.n_periods:
                continue
            for t in range(g, self.n_periods + 1):
                cells.append((prob, g, t, self.effect(g, t)))
        return cells

    def true_simple_att(self) -> float:
        """Population target of ``aggregate('simple')``: cohort-share-weighted mean of post ATT(g,t)."""
        cells = self._treated_cells()
        weights = np.array([c[0] for c in cells])
        return float(weights @ np.array([c[3] for c in cells]) / weights.sum())

    def true_event_study(self) -> dict[int, float]:
        """Population θ(e) for e ≥ 0: cohorts observed at g + e weighted by their shares."""
        by_event: dict[int, list[tuple[float, float]]] = {}
        for prob, g, t, value in self._treated_cells():
            by_event.setdefault(t - g, []).append((prob, value))
        return {
            e: float(sum(p * v for p, v in pairs) / sum(p for p, _ in pairs))
            for e, pairs in sorted(by_event.items())
        }

    def true_dynamic_att(self) -> float:
        """Population target of ``aggregate('dynamic').estimate``: the mean of θ(e) over e ≥ 0."""
        return float(np.mean(list(self.true_event_study().values())))


def simulate_few_treated(
    seed: int | np.random.Generator = 0,
    *,
    n_per_cohort: int = 6,
    cohorts: tuple[int, ...] = (4, 6),
    n_comparison: int = 40,
    n_periods: int = 8,
    effect: float = 1.0,
    treated_noise_sd: float = 2.0,
    autocorrelation: float = 0.5,
    pretrend_per_period: float = 0.0,
) -> pd.DataFrame:
    """A small trial: ``n_per_cohort`` adopting schools per cohort and ``n_comparison`` that never adopt.

    y_it = α_i + 0.2·t + effect·1{t ≥ g_i} + pretrend_per_period·t·1{i adopts} + σ_i·ε_it, with ε an AR(1)
    series per school (correlation ``autocorrelation``, variance 1) and σ_i = ``treated_noise_sd`` for the
    adopting schools, 1 for the others: adopters are picked for their high, volatile rates, as exclusion
    rates are. The planted ATT is ``effect`` in every post-adoption cell; a non-zero
    ``pretrend_per_period`` makes adopters drift away before (and after) adoption, violating parallel trends.
    Columns ``id, period, first_treated, y``.
    """
    rng = np.random.default_rng(seed)
    cohort = np.concatenate([np.repeat(np.asarray(cohorts), n_per_cohort), np.zeros(n_comparison, dtype=int)])
    n = cohort.size
    periods = np.arange(1, n_periods + 1)
    shocks = np.empty((n, n_periods))
    shocks[:, 0] = rng.normal(size=n)
    innovation_sd = np.sqrt(1 - autocorrelation**2)
    for t in range(1, n_periods):
        shocks[:, t] = autocorrelation * shocks[:, t - 1] + innovation_sd * rng.normal(size=n)
    adopts = cohort > 0
    treated = adopts[:, None] & (periods[None, :] >= cohort[:, None])
    sigma = np.where(adopts, treated_noise_sd, 1.0)
    y = (
        2 * rng.normal(size=(n, 1))
        + 0.2 * periods[None, :]
        + effect * treated
        + pretrend_per_period * adopts[:, None] * periods[None, :]
        + sigma[:, None] * shocks
    )
    return pd.DataFrame(
        {
            "id": np.repeat(np.arange(1, n + 1), n_periods),
            "period": np.tile(periods, n),
            "first_treated": np.repeat(cohort, n_periods),
            "y": y.ravel(),
        }
    )


def simulate_count_panel(
    n_units: int = 300,
    n_periods: int = 12,
    cohorts: tuple[int, ...] = (0, 5, 8),
    rate_ratio: float = 0.8,
    base_rate_per_100: float = 4.0,
    seed: int = 0,
) -> pd.DataFrame:
    """School × term counts (e.g. suspensions) with a planted multiplicative effect after adoption.

    suspensions ~ Poisson(headcount / 100 · base_rate · exp(α_i + λ_t) · rate_ratio^{treated}).
    """
    rng = np.random.default_rng(seed)
    unit_cohort = rng.choice(np.asarray(cohorts), size=n_units)
    headcount = rng.integers(150, 1500, size=n_units)
    unit_effect = rng.normal(scale=0.4, size=n_units)
    periods = np.arange(1, n_periods + 1)
    time_effect = 0.05 * np.cos(periods)
    treated = (unit_cohort[:, None] > 0) & (periods[None, :] >= unit_cohort[:, None])
    mean = (
        headcount[:, None]
        / 100
        * base_rate_per_100
        * np.exp(unit_effect[:, None] + time_effect[None, :])
        * np.where(treated, rate_ratio, 1.0)
    )
    return pd.DataFrame(
        {
            "school": np.repeat(np.arange(1, n_units + 1), n_periods),
            "term": np.tile(periods, n_units),
            "first_treated": np.repeat(unit_cohort, n_periods),
            "headcount": np.repeat(headcount, n_periods),
            "suspensions": rng.poisson(mean).ravel(),
        }
    )


def simulate_monthly_spend(
    start: str = "2019-04",
    n_months: int = 72,
    policy_month: str = "2022-04",
    level_change: float = -40_000.0,
    slope_change: float = -3_000.0,
    baseline_gbp: float = 1_000_000.0,
    slope_gbp: float = 5_000.0,
    noise_sd: float = 15_000.0,
    ar: float = 0.4,
    seed: int = 0,
) -> pd.DataFrame:
    """Monthly spend with a planted level and slope change at ``policy_month`` and AR(1) noise."""
    rng = np.random.default_rng(seed)
    months = pd.period_range(start=start, periods=n_months, freq="M")
    t = np.arange(n_months)
    t0 = (pd.Period(policy_month, freq="M") - months[0]).n
    post = (t >= t0).astype(float)
    noise = np.empty(n_months)
    noise[0] = rng.normal(scale=noise_sd)
    for i in range(1, n_months):
        noise[i] = ar * noise[i - 1] + rng.normal(scale=noise_sd * np.sqrt(1 - ar**2))
    spend = baseline_gbp + slope_gbp * t + level_change * post + slope_change * (t - t0) * post + noise
    return pd.DataFrame({"month": months.strftime("%Y-%m"), "spend_gbp": spend})
