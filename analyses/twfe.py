"""Two-way fixed effects (TWFE) difference-in-differences, the conventional benchmark for ``analyses.did``.

y_it = α_i + λ_t + β·D_it + ε_it with D_it = 1 once unit i has adopted. β is a valid ATT only when effects
are the same for every cohort and period; with staggered adoption and effects that vary, β mixes
comparisons against already-treated units and can even take the wrong sign (Goodman-Bacon 2021;
de Chaisemartin & D'Haultfœuille 2020). It is kept here as a transparent benchmark, not as the estimate to
report. Standard errors are cluster-robust by unit (Bertrand, Duflo & Mullainathan 2004).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats


@dataclass(frozen=True)
class TWFEResult:
    """The TWFE treatment coefficient with its unit-clustered uncertainty."""

    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float
    n_units: int
    n_obs: int
    n_treated_units: int
    table: pd.DataFrame
    model: object = field(repr=False)

    def summary(self) -> str:
        """One line with the estimate, its CI and the sample behind it."""
        level = round(100 * (1 - self.alpha))
        return (
            f"TWFE DiD (unit and period fixed effects, SEs clustered by unit): "
            f"{self.estimate:.4f} (SE {self.std_error:.4f}), {level}% CI {self.ci_low:.4f} to "
            f"{self.ci_high:.4f}, p = {self.p_value:.4g}; {self.n_units} units "
            f"({self.n_treated_units} ever treated), {self.n_obs} observations"
        )


@dataclass(frozen=True)
class EventStudyResult:
    """TWFE event-study coefficients, one per relative period, relative to the period before adoption."""

    table: pd.DataFrame
    reference_period: int
    alpha: float
    n_units: int
    n_obs: int
    model: object = field(repr=False)

    def summary(self) -> str:
        """The coefficient table with the sample size."""
        return (
            f"TWFE event study (reference: relative period {self.reference_period}); {self.n_units} units, "
            f"{self.n_obs} observations\n"
            + self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")
        )


def absorb_two_way(
    values: np.ndarray,
    unit_codes: np.ndarray,
    time_codes: np.ndarray,
    tol: float = 1e-12,
    max_iter: int = 10_000,
) -> np.ndarray:
    """Sweep out unit and time means (Frisch-Waugh-Lovell) by alternating projections.

    Exact after one sweep for a balanced panel; iterates to ``tol`` otherwise (Guimarães & Portugal 2010).
    """
    resid = np.asarray(values, dtype=float).copy()
    squeeze = resid.ndim == 1
    if squeeze:
        resid = resid[:, None]
    n_units, n_times = unit_codes.max() + 1, time_codes.max() + 1
    unit_n = np.bincount(unit_codes, minlength=n_units)[:, None]
    time_n = np.bincount(time_codes, minlength=n_times)[:, None]
    scale = np.maximum(np.abs(resid).max(axis=0), 1.0)
    for _ in range(max_iter):
        unit_mean = np.zeros((n_units, resid.shape[1]))
        np.add.at(unit_mean, unit_codes, resid)
        resid -= (unit_mean / unit_n)[unit_codes]
        time_mean = np.zeros((n_times, resid.shape[1]))
        np.add.at(time_mean, time_codes, resid)
        shift = (time_mean / time_n)[time_codes]
        resid -= shift
        if np.max(np.abs(shift) / scale) < tol:
            break
    return resid[:, 0] if squeeze else resid


def _clustered_ols(y: np.ndarray, x: np.ndarray, clusters: np.ndarray, n_absorbed_not_nested: int):
    """OLS with unit-clustered SEs; the small-sample factor matches R ``fixest`` defaults.

    fixest multiplies by G/(G − 1) · (N − 1)/(N − K) where K counts the regressors plus fixed effects that
    are not nested in the clusters (the period effects); unit effects, nested in unit clusters, are not
    counted. statsmodels' own factor counts only the columns it sees, so it is applied by hand here.
    """
    n_obs, k = x.shape
    model = sm.OLS(y, x).fit(cov_type="cluster", cov_kwds={"groups": clusters, "use_correction": False})
    n_clusters = len(np.unique(clusters))
    k_total = k + n_absorbed_not_nested
    factor = n_clusters / (n_clusters - 1) * (n_obs - 1) / (n_obs - k_total)
    cov = np.asarray(model.cov_params()) * factor
    return model, np.asarray(model.params), np.sqrt(np.diag(cov))


def _treatment_dummy(df: pd.DataFrame, time: str, cohort: str | None, treatment: str | None) -> np.ndarray:
    if (cohort is None) == (treatment is None):
        raise ValueError("give exactly one of cohort (first treated period, 0 = never) or treatment (0/1)")
    if treatment is not None:
        return df[treatment].to_numpy(dtype=float)
    first = df[cohort].to_numpy(dtype=float)
    return ((first > 0) & (df[time].to_numpy(dtype=float) >= first)).astype(float)


def twfe(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    treatment: str | None = None,
    covariates: Sequence[str] = (),
    alpha: float = 0.05,
) -> TWFEResult:
    """Static TWFE DiD: regress the outcome on a post-adoption dummy with unit and period fixed effects.

    Pass ``cohort`` (first treated period, 0 = never treated) to build D_it = 1{t ≥ g}, or ``treatment``
    for a ready-made 0/1 column. Fixed effects are absorbed by demeaning (identical β to dummy OLS);
    SEs are clustered by unit with fixest's small-sample factor, and CIs/p-values use t with G − 1 df.
    """
    data = df[[c for c in dict.fromkeys([outcome, unit, time, cohort, treatment, *covariates]) if c]].dropna()
    unit_codes, _ = pd.factorize(data[unit])
    time_codes, _ = pd.factorize(data[time])
    dummy = _treatment_dummy(data, time, cohort, treatment)
    names = ["treated", *covariates]
    regressors = np.column_stack([dummy, *(data[c].to_numpy(dtype=float) for c in covariates)])
    demeaned = absorb_two_way(
        np.column_stack([data[outcome].to_numpy(dtype=float), regressors]), unit_codes, time_codes
    )
    model, params, ses = _clustered_ols(
        demeaned[:, 0], demeaned[:, 1:], unit_codes, n_absorbed_not_nested=time_codes.max()
    )
    n_clusters = unit_codes.max() + 1
    # t reference with G − 1 df, as fixest/Stata do for clustered inference
    t_crit = stats.t.ppf(1 - alpha / 2, n_clusters - 1)
    table = pd.DataFrame(
        {
            "term": names,
            "estimate": params,
            "std_error": ses,
            "ci_low": params - t_crit * ses,
            "ci_high": params + t_crit * ses,
            "p_value": 2 * stats.t.sf(np.abs(params / ses), n_clusters - 1),
        }
    )
    treated_units = np.unique(unit_codes[dummy > 0]).size
    first = table.iloc[0]
    return TWFEResult(
        estimate=float(first.estimate),
        std_error=float(first.std_error),
        ci_low=float(first.ci_low),
        ci_high=float(first.ci_high),
        p_value=float(first.p_value),
        alpha=alpha,
        n_units=int(n_clusters),
        n_obs=len(data),
        n_treated_units=int(treated_units),
        table=table,
        model=model,
    )


def twfe_event_study(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    *,
    window: tuple[int, int] | None = None,
    reference_period: int = -1,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Dynamic TWFE: one dummy per relative period e = t − g for ever-treated units, e = −1 omitted.

    ``window=(lo, hi)`` bins event times below ``lo``/above ``hi`` into the end points. With no never-treated
    units the earliest relative period is also dropped, since otherwise the relative-period dummies and the
    fixed effects are collinear (Borusyak, Jaravel & Spiess 2024). Under heterogeneous effects these
    coefficients are contaminated by other periods' effects (Sun & Abraham 2021) — compare with
    ``att_gt(...).aggregate("dynamic")``.
    """
    data = df[[outcome, unit, time, cohort]].dropna()
    unit_codes, _ = pd.factorize(data[unit])
    time_codes, _ = pd.factorize(data[time])
    first = data[cohort].to_numpy(dtype=float)
    ever = first > 0
    relative = np.where(ever, data[time].to_numpy(dtype=float) - first, np.nan)
    if window is not None:
        relative = np.where(ever, np.clip(relative, window[0], window[1]), np.nan)
    periods = np.unique(relative[ever]).astype(int)
    omit = {reference_period}
    if not (~ever).any():
        omit.add(int(periods.min()))
    periods = np.array([e for e in periods if e not in omit])
    dummies = (relative[:, None] == periods[None, :]).astype(float)
    demeaned = absorb_two_way(
        np.column_stack([data[outcome].to_numpy(dtype=float), dummies]), unit_codes, time_codes
    )
    model, params, ses = _clustered_ols(
        demeaned[:, 0], demeaned[:, 1:], unit_codes, n_absorbed_not_nested=time_codes.max()
    )
    n_clusters = unit_codes.max() + 1
    t_crit = stats.t.ppf(1 - alpha / 2, n_clusters - 1)
    table = pd.DataFrame(
        {
            "relative_period": periods,
            "estimate": params,
            "std_error": ses,
            "ci_low": params - t_crit * ses,
            "ci_high": params + t_crit * ses,
            "p_value": 2 * stats.t.sf(np.abs(params / ses), n_clusters - 1),
        }
    )
    return EventStudyResult(
        table=table,
        reference_period=reference_period,
        alpha=alpha,
        n_units=int(n_clusters),
        n_obs=len(data),
        model=model,
    )
