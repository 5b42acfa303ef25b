"""Poisson fixed-effects regression for counts such as suspensions and exclusions.

Counts of rare events per school are skewed and often zero, so a linear model on rates is a poor fit.
The Poisson quasi-MLE with unit and period fixed effects and log(headcount) as an offset estimates a rate
ratio exp(β) that is consistent whenever the conditional mean is right, even if the counts are over- or
under-dispersed (Wooldridge 1999, *J. Econometrics* 90, 77-97); unit-clustered sandwich SEs make the
inference robust to that and to serial correlation within a school.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats


@dataclass(frozen=True)
class PoissonResult:
    """Rate ratio for adoption from a two-way fixed-effects Poisson model."""

    rate_ratio: float
    ci_low: float
    ci_high: float
    log_rate_ratio: float
    std_error: float
    p_value: float
    alpha: float
    n_units: int
    n_obs: int
    n_treated_units: int
    n_units_all_zero: int
    table: pd.DataFrame

    @property
    def percent_change(self) -> float:
        """100 · (rate ratio − 1): the % change in the event rate after adoption."""
        return 100 * (self.rate_ratio - 1)

    def summary(self) -> str:
        """One line with the rate ratio, its CI and the sample behind it."""
        level = round(100 * (1 - self.alpha))
        return (
            f"Poisson FE (unit and period effects, log exposure offset, SEs clustered by unit): rate ratio "
            f"{self.rate_ratio:.3f}, {level}% CI {self.ci_low:.3f} to {self.ci_high:.3f}, "
            f"p = {self.p_value:.4g}; {self.n_units} units ({self.n_treated_units} ever treated, "
            f"{self.n_units_all_zero} with only zero counts dropped), {self.n_obs} observations"
        )


def poisson_fe(
    df: pd.DataFrame,
    count: str,
    exposure: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    treatment: str | None = None,
    alpha: float = 0.05,
) -> PoissonResult:
    """Fit count ~ treated + unit FE + period FE with offset log(exposure); return the rate ratio.

    ``exposure`` is the population at risk (e.g. headcount), so exp(β) compares rates per pupil. Give
    ``cohort`` (first treated period, 0 = never) or a 0/1 ``treatment`` column. Units whose counts are all
    zero are dropped: their fixed effect diverges and they carry no information on β (as ``ppmlhdfe``
    does). Unit effects are concentrated out, so this scales to any number of schools, and the result
    equals statsmodels' GLM(Poisson) with unit and period dummies. SEs are clustered by unit with the
    G/(G − 1) factor Stata uses for ML models; CIs are Wald intervals on the log scale.
    """
    if (cohort is None) == (treatment is None):
        raise ValueError("give exactly one of cohort (first treated period, 0 = never) or treatment (0/1)")
    columns = [c for c in dict.fromkeys([count, exposure, unit, time, cohort, treatment]) if c]
    data = df[columns].dropna()
    if (data[exposure] <= 0).any():
        raise ValueError(f"{exposure!r} must be positive")
    if (data[count] < 0).any():
        raise ValueError(f"{count!r} must be a non-negative count")
    all_zero = data.groupby(unit)[count].transform("sum").to_numpy() == 0
    n_all_zero = int(data.loc[all_zero, unit].nunique())
    data = data.loc[~all_zero]

    if treatment is not None:
        dummy = data[treatment].to_numpy(dtype=float)
    else:
        first = data[cohort].to_numpy(dtype=float)
        dummy = ((first > 0) & (data[time].to_numpy(dtype=float) >= first)).astype(float)
    unit_codes, _ = pd.factorize(data[unit])
    time_codes, time_values = pd.factorize(data[time], sort=True)
    n_obs, n_units = len(data), unit_codes.max() + 1
    # treatment and period dummies (first period is the reference); unit effects are concentrated out
    regressors = np.column_stack(
        [dummy, (time_codes[:, None] == np.arange(1, len(time_values))).astype(float)]
    )
    params, cov = _poisson_concentrated(
        data[count].to_numpy(dtype=float),
        regressors,
        np.log(data[exposure].to_numpy(dtype=float)),
        unit_codes,
    )
    beta = float(params[0])
    se = float(np.sqrt(cov[0, 0]))
    z = stats.norm.ppf(1 - alpha / 2)
    p_value = float(2 * stats.norm.sf(abs(beta / se)))
    table = pd.DataFrame(
        {
            "term": ["treated"],
            "log_rate_ratio": [beta],
            "std_error": [se],
            "rate_ratio": [np.exp(beta)],
            "ci_low": [np.exp(beta - z * se)],
            "ci_high": [np.exp(beta + z * se)],
            "p_value": [p_value],
        }
    )
    return PoissonResult(
        rate_ratio=float(np.exp(beta)),
        ci_low=float(np.exp(beta - z * se)),
        ci_high=float(np.exp(beta + z * se)),
        log_rate_ratio=beta,
        std_error=se,
        p_value=p_value,
        alpha=alpha,
        n_units=int(n_units),
        n_obs=int(n_obs),
        n_treated_units=int(np.unique(unit_codes[dummy > 0]).size),
        n_units_all_zero=n_all_zero,
        table=table,
    )


def _poisson_concentrated(
    counts: np.ndarray, x: np.ndarray, offset: np.ndarray, unit_codes: np.ndarray, tol: float = 1e-10
) -> tuple[np.ndarray, np.ndarray]:
    """Poisson MLE of θ with one fixed effect per unit concentrated out, and its cluster-robust covariance.

    Given θ the unit effect has the closed form exp(α_i) = Σ_t y_it / Σ_t e_it exp(x_it θ), so Newton's
    method runs on the profile likelihood, whose Hessian is the μ-weighted within-unit cross-product
    Σ μ_it (x_it − x̄_i)(x_it − x̄_i)' (Hausman, Hall & Griliches 1984). At the optimum each unit's score for
    α_i is exactly zero, so the clustered sandwich built from the profile Hessian equals the one from the
    full dummy-variable model.
    """
    n_units = unit_codes.max() + 1
    unit_totals = np.bincount(unit_codes, weights=counts, minlength=n_units)
    theta = np.zeros(x.shape[1])

    def fitted(theta: np.ndarray) -> np.ndarray:
        index = offset + x @ theta
        index -= index.max()
        base = np.exp(index)
        scale = unit_totals / np.bincount(unit_codes, weights=base, minlength=n_units)
        return base * scale[unit_codes]

    def within(mu: np.ndarray) -> np.ndarray:
        unit_mu = np.bincount(unit_codes, weights=mu, minlength=n_units)
        means = np.zeros((n_units, x.shape[1]))
        np.add.at(means, unit_codes, mu[:, None] * x)
        return x - (means / unit_mu[:, None])[unit_codes]

    for _ in range(100):
        mu = fitted(theta)
        centred = within(mu)
        hessian = (centred * mu[:, None]).T @ centred
        step = np.linalg.solve(hessian, centred.T @ (counts - mu))
        theta = theta + step
        if np.max(np.abs(step)) < tol:
            break
    else:
        raise RuntimeError("Poisson fixed-effects fit did not converge")
    mu = fitted(theta)
    centred = within(mu)
    bread = np.linalg.inv((centred * mu[:, None]).T @ centred)
    scores = np.zeros((n_units, x.shape[1]))
    np.add.at(scores, unit_codes, x * (counts - mu)[:, None])
    meat = scores.T @ scores * n_units / (n_units - 1)
    return theta, bread @ meat @ bread
