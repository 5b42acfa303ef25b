"""Interrupted time series (segmented regression) for a single monthly series such as High Needs spend.

y_t = b0 + b1·t + b2·post_t + b3·(t − t0)·post_t + e_t, with t counted in months and t0 the policy month:
b2 is the immediate level change and b3 the change in monthly slope (Wagner et al. 2002, *J. Clin. Pharm.
Ther.* 27, 299-309; Bernal, Cummins & Gasparrini 2017, *Int. J. Epidemiol.* 46, 348-355). Monthly spend is
autocorrelated, so SEs are Newey-West HAC (Newey & West 1987) rather than OLS ones.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import statsmodels.api as sm
from scipy import stats


@dataclass(frozen=True)
class ITSResult:
    """Level and slope change at the policy month, with HAC uncertainty."""

    level_change: float
    level_change_se: float
    level_change_ci: tuple[float, float]
    level_change_p: float
    slope_change: float
    slope_change_se: float
    slope_change_ci: tuple[float, float]
    slope_change_p: float
    pre_slope: float
    policy_month: str
    maxlags: int
    alpha: float
    n_months: int
    n_pre: int
    n_post: int
    table: pd.DataFrame
    model: object = field(repr=False)

    def summary(self) -> str:
        """Two lines: the level change and the slope change, with CIs and the months behind them."""
        level = round(100 * (1 - self.alpha))
        return (
            f"Interrupted time series at {self.policy_month} ({self.n_pre} months before, "
            f"{self.n_post} from; Newey-West SEs, {self.maxlags} lags)\n"
            f"level change {self.level_change:,.2f} (SE {self.level_change_se:,.2f}), {level}% CI "
            f"{self.level_change_ci[0]:,.2f} to {self.level_change_ci[1]:,.2f}, "
            f"p = {self.level_change_p:.4g}\n"
            f"slope change per month {self.slope_change:,.2f} (SE {self.slope_change_se:,.2f}), {level}% CI "
            f"{self.slope_change_ci[0]:,.2f} to {self.slope_change_ci[1]:,.2f}, p = {self.slope_change_p:.4g}"
        )


def _to_months(values: pd.Series) -> pd.PeriodIndex:
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    return pd.PeriodIndex(pd.to_datetime(values, format="mixed").dt.to_period("M"))


def interrupted_time_series(
    df: pd.DataFrame,
    value: str,
    month: str,
    policy_month: str,
    *,
    maxlags: int | None = None,
    alpha: float = 0.05,
) -> ITSResult:
    """Segmented regression of ``value`` on months with a break at ``policy_month`` (``"YYYY-MM"``).

    ``month`` may hold ``"YYYY-MM"`` strings, dates or monthly periods; gaps are allowed (t counts calendar
    months). The policy month is the first post-policy month. ``maxlags`` defaults to the Newey-West
    (1994) rule ⌊4 (n/100)^{2/9}⌋; HAC covariance uses Bartlett weights with statsmodels' small-sample
    correction, and CIs/p-values use t with n − 4 df.
    """
    data = df[[month, value]].dropna()
    months = _to_months(data[month])
    if months.has_duplicates:
        raise ValueError(f"more than one row per month in {month!r}")
    order = np.argsort(months.asi8)
    months = months[order]
    y = data[value].to_numpy(dtype=float)[order]
    policy = pd.Period(policy_month, freq="M")
    t = (months.asi8 - months[0].ordinal).astype(float)
    t0 = float(policy.ordinal - months[0].ordinal)
    post = (t >= t0).astype(float)
    n_pre, n_post = int((post == 0).sum()), int(post.sum())
    if n_pre < 3 or n_post < 3:
        raise ValueError("need at least 3 months before and 3 from the policy month")
    design = np.column_stack([np.ones_like(t), t, post, (t - t0) * post])
    n = len(y)
    if maxlags is None:
        maxlags = int(np.floor(4 * (n / 100) ** (2 / 9)))
    model = sm.OLS(y, design).fit(cov_type="HAC", cov_kwds={"maxlags": maxlags, "use_correction": True})
    params, ses = np.asarray(model.params), np.asarray(model.bse)
    df_resid = n - design.shape[1]
    t_crit = stats.t.ppf(1 - alpha / 2, df_resid)
    p_values = 2 * stats.t.sf(np.abs(params / ses), df_resid)
    table = pd.DataFrame(
        {
            "term": ["intercept", "pre_slope", "level_change", "slope_change"],
            "estimate": params,
            "std_error": ses,
            "ci_low": params - t_crit * ses,
            "ci_high": params + t_crit * ses,
            "p_value": p_values,
        }
    )
    return ITSResult(
        level_change=float(params[2]),
        level_change_se=float(ses[2]),
        level_change_ci=(float(table.ci_low[2]), float(table.ci_high[2])),
        level_change_p=float(p_values[2]),
        slope_change=float(params[3]),
        slope_change_se=float(ses[3]),
        slope_change_ci=(float(table.ci_low[3]), float(table.ci_high[3])),
        slope_change_p=float(p_values[3]),
        pre_slope=float(params[1]),
        policy_month=str(policy),
        maxlags=maxlags,
        alpha=alpha,
        n_months=n,
        n_pre=n_pre,
        n_post=n_post,
        table=table,
        model=model,
    )
