"""How large a violation of parallel trends would overturn an effect: relative magnitudes, after HonestDiD.

Rambachan & Roth (2023, *Rev. Econ. Stud.* 90(5), 2555-2591) replace "parallel trends hold" by a bound on
how far they may fail. Under relative magnitudes Δ^RM(M̄), the change in the bias δ between consecutive
terms after adoption is at most M̄ times the largest such change before adoption. With event-study
coefficients β (universal base: the term before adoption is the reference, δ_{−1} = 0), β_pre = δ_pre
and β_post = τ_post + δ_post, so the effect θ = l'τ_post is only known to lie in

    l'β_post ± M̄ · D · L,   D = max |δ_{e+1} − δ_e| over the pre-adoption terms (ending at δ_{−1} = 0),
                             L = Σ_k |Σ_{t ≥ k} l_t|

(the worst post-adoption bias path moves by M̄·D every term, all in one direction). That identified set
is exact — the linear programmes of the R package ``HonestDiD`` return the same bounds.

Inference here is simpler than the package's conditional/hybrid test (Andrews, Roth & Pakes): θ0 is
rejected when, on one side, every linear inequality that puts θ0 outside the identified set is
individually significant at level α/2 — an intersection-union test (each side) with a Bonferroni split
between the two sides, so the interval accounts for the sampling error of the pre-trend estimates as
well as of the effect. It is valid and somewhat conservative; with M̄ = 0 it is the usual interval.

The **breakdown value** M̄* is the smallest M̄ at which the robust interval includes zero: an effect with
M̄* = 2 survives post-adoption trend breaks up to twice the worst one seen before adoption; M̄* < 1 means
a trend break no bigger than those already seen could explain the whole effect. Any l ≥ 0 works here;
the pipeline asks about the term of adoption (``analyses.event_study.relative_magnitudes``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import optimize, stats

# breakdown values are searched up to here; beyond, the effect is robust to any plausible violation
MAX_MBAR = 100.0


@dataclass(frozen=True)
class RelativeMagnitudes:
    """Event-study coefficients (pre-adoption first, reference term excluded) and their covariance."""

    betahat: np.ndarray
    sigma: np.ndarray
    n_pre: int
    l_vec: np.ndarray
    alpha: float = 0.05

    def __post_init__(self) -> None:
        n_post = self.betahat.size - self.n_pre
        if self.l_vec.size != n_post or n_post < 1:
            raise ValueError("l_vec needs one weight per post-adoption coefficient")
        if self.sigma.shape != (self.betahat.size, self.betahat.size):
            raise ValueError("sigma must be square with one row per coefficient")

    @property
    def pre_differences(self) -> np.ndarray:
        """A with A·β_pre = the first differences of the pre-adoption path, ending at the reference (0)."""
        a = np.zeros((self.n_pre, self.n_pre))
        for row in range(self.n_pre):
            a[row, row] = -1.0
            if row + 1 < self.n_pre:
                a[row, row + 1] = 1.0
        return a

    @property
    def accumulation(self) -> float:
        """L = Σ_k |Σ_{t ≥ k} l_t|: how a one-term bias step accumulates in l'δ_post."""
        return float(np.abs(np.cumsum(self.l_vec[::-1])[::-1]).sum())

    @property
    def estimate(self) -> float:
        return float(self.l_vec @ self.betahat[self.n_pre :])

    def identified_set(self, mbar: float) -> tuple[float, float]:
        """The bounds on θ if the coefficients were known exactly (β = β̂)."""
        if self.n_pre == 0:
            return float("nan"), float("nan")
        largest_step = float(np.max(np.abs(self.pre_differences @ self.betahat[: self.n_pre])))
        half_width = mbar * largest_step * self.accumulation
        return self.estimate - half_width, self.estimate + half_width

    def _side(self, mbar: float, sign: float) -> float:
        """The farthest θ0 is from l'β̂ on one side before every inequality for that side is rejected."""
        z = stats.norm.ppf(1 - self.alpha / 2)
        n_pre = self.n_pre
        weights_post = np.concatenate([np.zeros(n_pre), self.l_vec])
        scale = mbar * self.accumulation
        reach = -np.inf
        for row in self.pre_differences:
            step = np.concatenate([row, np.zeros(self.l_vec.size)])
            for direction in (1.0, -1.0):
                # the inequality sign·(l'β − θ0) − scale·direction·a'β > 0 puts θ0 outside the set
                contrast = sign * weights_post - scale * direction * step
                sd = float(np.sqrt(max(contrast @ self.sigma @ contrast, 0.0)))
                reach = max(reach, scale * direction * float(step @ self.betahat) + z * sd)
        return reach

    def interval(self, mbar: float) -> tuple[float, float]:
        """The robust (1 − α) interval for θ under Δ^RM(M̄)."""
        if self.n_pre == 0:
            return float("nan"), float("nan")
        return self.estimate - self._side(mbar, 1.0), self.estimate + self._side(mbar, -1.0)

    def breakdown(self) -> float:
        """Smallest M̄ whose robust interval includes 0; 0 if the usual interval already does, NaN if
        there is no pre-adoption term to learn from, ∞ if no M̄ up to ``MAX_MBAR`` overturns it."""
        if self.n_pre == 0:
            return float("nan")

        def excludes_zero(mbar: float) -> float:
            low, high = self.interval(mbar)
            return low if self.estimate > 0 else -high

        if excludes_zero(0.0) <= 0:
            return 0.0
        if excludes_zero(MAX_MBAR) > 0:
            return float("inf")
        return float(optimize.brentq(excludes_zero, 0.0, MAX_MBAR, xtol=1e-6))
