"""Minimum detectable effect (MDE) for a difference-in-differences panel.

Formula (Frison & Pocock 1992; McKenzie 2012, *J. Dev. Econ.* 99, 210-221, eq. 3; Burlig, Preonas &
Woerman 2020 under equicorrelated errors): with J treated and K comparison units, m_pre periods before and
m_post after adoption, outcome variance σ² (net of period effects) and intra-unit correlation ρ,

    Var(τ̂_DiD) = σ² (1 − ρ) (1/J + 1/K) (1/m_pre + 1/m_post)
    MDE = (z_{1−α/2} + z_{power}) · √Var(τ̂_DiD)

The unit fixed effect removes the persistent share ρ of the variance, so σ²(1 − ρ) is the residual variance
after unit and period fixed effects. The formula assumes that residual is serially uncorrelated; with
positively autocorrelated shocks the true MDE is larger (Burlig et al. 2020), so treat it as a lower bound.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from analyses.twfe import absorb_two_way


@dataclass(frozen=True)
class MDEResult:
    """The smallest effect a DiD on this design detects with the stated power, and its inputs."""

    mde: float
    se_effect: float
    alpha: float
    power: float
    n_treated: float
    n_control: float
    n_pre: float
    n_post: float
    outcome_variance: float
    icc: float
    residual_variance: float
    table: pd.DataFrame

    def summary(self) -> str:
        """One line a reader can quote: the MDE with the design behind it."""
        return (
            f"Minimum detectable effect {self.mde:.4g} ({round(100 * self.power)}% power, "
            f"{100 * self.alpha:g}% two-sided) with {self.n_treated:g} treated and "
            f"{self.n_control:g} comparison units, {self.n_pre:g} periods before and {self.n_post:g} after; "
            f"residual SD {np.sqrt(self.residual_variance):.4g}, intra-unit correlation {self.icc:.2f}"
        )


def mde_did(
    n_treated: float,
    n_control: float,
    n_pre: float,
    n_post: float,
    outcome_variance: float,
    icc: float,
    *,
    alpha: float = 0.05,
    power: float = 0.8,
) -> MDEResult:
    """MDE from the design and two variance inputs (module docstring gives the formula).

    ``outcome_variance`` is σ², the outcome's variance net of period effects; ``icc`` is ρ, the share of it
    that is persistent between units (intra-unit correlation).
    """
    if min(n_treated, n_control, n_pre, n_post) <= 0:
        raise ValueError("need at least one treated and one comparison unit, and periods before and after")
    if not 0 <= icc < 1:
        raise ValueError("icc must be in [0, 1)")
    residual_variance = outcome_variance * (1 - icc)
    se_effect = float(np.sqrt(residual_variance * (1 / n_treated + 1 / n_control) * (1 / n_pre + 1 / n_post)))
    multiplier = stats.norm.ppf(1 - alpha / 2) + stats.norm.ppf(power)
    mde = float(multiplier * se_effect)
    table = pd.DataFrame(
        {
            "quantity": [
                "mde",
                "se_effect",
                "n_treated",
                "n_control",
                "n_pre",
                "n_post",
                "outcome_variance",
                "icc",
                "residual_variance",
            ],
            "value": [
                mde,
                se_effect,
                n_treated,
                n_control,
                n_pre,
                n_post,
                outcome_variance,
                icc,
                residual_variance,
            ],
        }
    )
    return MDEResult(
        mde=mde,
        se_effect=se_effect,
        alpha=alpha,
        power=power,
        n_treated=n_treated,
        n_control=n_control,
        n_pre=n_pre,
        n_post=n_post,
        outcome_variance=float(outcome_variance),
        icc=float(icc),
        residual_variance=float(residual_variance),
        table=table,
    )


def mde_from_panel(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    *,
    n_treated: float | None = None,
    n_control: float | None = None,
    n_pre: float | None = None,
    n_post: float | None = None,
    alpha: float = 0.05,
    power: float = 0.8,
) -> MDEResult:
    """MDE for the panel at hand, with variance inputs estimated from it.

    The residual variance after unit and period fixed effects is SSR / (N − n_units − n_periods + 1); the
    between-unit variance is the one-way ANOVA estimate from unit means of the period-demeaned outcome,
    (MS_between − σ²_resid) / T̄ floored at 0, giving ρ = σ²_unit / (σ²_unit + σ²_resid). Design counts
    default to the data: treated units have ``cohort`` > 0, and m_pre / m_post are the treated units'
    average numbers of periods before and from adoption (an approximation for staggered adoption).
    Override any count to plan a different design with the same variance.
    """
    columns = [c for c in dict.fromkeys([outcome, unit, time, cohort]) if c]
    data = df[columns].dropna()
    unit_codes, _ = pd.factorize(data[unit])
    time_codes, periods = pd.factorize(data[time], sort=True)
    y = data[outcome].to_numpy(dtype=float)
    n_obs, n_units, n_periods = len(y), unit_codes.max() + 1, len(periods)

    residual = absorb_two_way(y, unit_codes, time_codes)
    residual_variance = float(residual @ residual / (n_obs - n_units - n_periods + 1))
    period_means = np.bincount(time_codes, weights=y) / np.bincount(time_codes)
    net_of_period = y - period_means[time_codes]
    obs_per_unit = np.bincount(unit_codes)
    unit_means = np.bincount(unit_codes, weights=net_of_period) / obs_per_unit
    ms_between = float(obs_per_unit @ (unit_means - net_of_period.mean()) ** 2 / (n_units - 1))
    unit_variance = max((ms_between - residual_variance) / obs_per_unit.mean(), 0.0)
    outcome_variance = unit_variance + residual_variance
    icc = unit_variance / outcome_variance

    if cohort is not None:
        first = data[cohort].to_numpy(dtype=float)
        unit_first = np.zeros(n_units)
        unit_first[unit_codes] = first
        treated = unit_first > 0
        if n_treated is None:
            n_treated = float(treated.sum())
        if n_control is None:
            n_control = float((~treated).sum())
        period_values = np.asarray(periods, dtype=float)
        pre_counts = (period_values[None, :] < unit_first[treated][:, None]).sum(axis=1)
        if n_pre is None:
            n_pre = float(pre_counts.mean())
        if n_post is None:
            n_post = float((n_periods - pre_counts).mean())
    if None in (n_treated, n_control, n_pre, n_post):
        raise ValueError("give cohort, or all of n_treated, n_control, n_pre and n_post")
    return mde_did(n_treated, n_control, n_pre, n_post, outcome_variance, icc, alpha=alpha, power=power)
