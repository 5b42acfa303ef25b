"""One plain-English sentence per estimate, for readers of evaluation reports who do not read tables.

The sentence states direction and size with the confidence interval in the same units, says "no clear
change" when the interval includes zero (or a rate ratio of one), and flags a failed pre-trend test,
because a DiD estimate is only as credible as its parallel-trends assumption (Roth et al. 2023, *J.
Econometrics* 235, 2218-2244).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from functools import partial

from analyses.did import AggregateResult, ATTgtResult
from analyses.its import ITSResult
from analyses.poisson import PoissonResult
from analyses.twfe import TWFEResult


def _number(value: float, decimals: int, prefix: str = "") -> str:
    return f"{prefix}{abs(value):,.{decimals}f}"


def _p_text(p_value: float) -> str:
    if p_value < 0.001:
        return "p < 0.001"
    if p_value < 0.01:
        return f"p = {p_value:.3f}"
    return f"p = {p_value:.2f}"


def _pretrend_clause(pretrend_p: float | None, alpha: float) -> str:
    if pretrend_p is None or math.isnan(pretrend_p):
        return ""
    if pretrend_p < alpha:
        return f"; pre-adoption trends differed ({_p_text(pretrend_p)}), so treat this with caution"
    return f"; pre-adoption trends were parallel ({_p_text(pretrend_p)})"


def _level(alpha: float) -> str:
    return f"{100 * (1 - alpha):g} % CI"


def describe_change(
    estimate: float,
    ci_low: float,
    ci_high: float,
    *,
    subject: str = "Schools that adopted the programme",
    outcome: str = "suspensions per 100 pupils a term",
    when: str = "after adoption",
    pretrend_p: float | None = None,
    alpha: float = 0.05,
    decimals: int = 1,
    prefix: str = "",
) -> str:
    """Sentence for an additive effect, e.g. "… saw 1.2 fewer suspensions per 100 pupils a term …".

    The interval is given as magnitudes in the direction of the effect; when it spans zero the sentence
    reports "no clear change" and shows both ends with their direction.
    """
    fmt = partial(_number, decimals=decimals, prefix=prefix)
    ci = _level(alpha)
    if ci_high < 0:
        body = f"saw {fmt(estimate)} fewer {outcome} {when} ({ci} {fmt(ci_high)} to {fmt(ci_low)})"
    elif ci_low > 0:
        body = f"saw {fmt(estimate)} more {outcome} {when} ({ci} {fmt(ci_low)} to {fmt(ci_high)})"
    else:
        direction = "fewer" if estimate < 0 else "more"
        body = (
            f"saw no clear change in {outcome} {when} (estimate {fmt(estimate)} {direction}, "
            f"{ci} {fmt(ci_low)} {'fewer' if ci_low < 0 else 'more'} to {fmt(ci_high)} "
            f"{'fewer' if ci_high < 0 else 'more'})"
        )
    return f"{subject} {body}{_pretrend_clause(pretrend_p, alpha)}."


def describe_rate_ratio(
    rate_ratio: float,
    ci_low: float,
    ci_high: float,
    *,
    subject: str = "Schools that adopted the programme",
    outcome: str = "suspensions",
    when: str = "after adoption",
    pretrend_p: float | None = None,
    alpha: float = 0.05,
) -> str:
    """Sentence for a rate ratio, e.g. "… had 18 % fewer suspensions per pupil after adoption (…)"."""
    ci = f"rate ratio {rate_ratio:.2f}, {_level(alpha)} {ci_low:.2f} to {ci_high:.2f}"
    percent = abs(100 * (rate_ratio - 1))
    if ci_high < 1:
        body = f"had {percent:.0f} % fewer {outcome} per pupil {when} ({ci})"
    elif ci_low > 1:
        body = f"had {percent:.0f} % more {outcome} per pupil {when} ({ci})"
    else:
        body = f"saw no clear change in {outcome} per pupil {when} ({ci})"
    return f"{subject} {body}{_pretrend_clause(pretrend_p, alpha)}."


def describe_its(
    result: ITSResult,
    *,
    outcome: str = "Monthly High Needs spend",
    prefix: str = "£",
    decimals: int = 0,
) -> str:
    """Sentence for an interrupted time series: the immediate level change, then the change in trend."""
    fmt = partial(_number, decimals=decimals, prefix=prefix)
    ci = _level(result.alpha)
    low, high = result.level_change_ci
    if high < 0:
        level = (
            f"fell by {fmt(result.level_change)} at {result.policy_month} ({ci} {fmt(high)} to {fmt(low)})"
        )
    elif low > 0:
        level = (
            f"rose by {fmt(result.level_change)} at {result.policy_month} ({ci} {fmt(low)} to {fmt(high)})"
        )
    else:
        level = (
            f"showed no clear jump at {result.policy_month} "
            f"({ci} {_signed(low, fmt)} to {_signed(high, fmt)})"
        )
    low, high = result.slope_change_ci
    if high < 0:
        slope = f"its growth slowed by {fmt(result.slope_change)} a month ({ci} {fmt(high)} to {fmt(low)})"
    elif low > 0:
        slope = f"its growth quickened by {fmt(result.slope_change)} a month ({ci} {fmt(low)} to {fmt(high)})"
    else:
        slope = f"its monthly trend showed no clear change ({ci} {_signed(low, fmt)} to {_signed(high, fmt)})"
    return f"{outcome} {level}, and {slope}."


def _signed(value: float, fmt: Callable[[float], str]) -> str:
    return ("−" if value < 0 else "+") + fmt(value)


def describe(result: object, **labels: object) -> str:
    """One sentence for any result from ``analyses``; ``labels`` go to the matching ``describe_*``.

    An :class:`ATTgtResult` is summarised by its ``simple`` aggregation with its own pre-trend test.
    """
    if isinstance(result, ATTgtResult):
        simple = result.aggregate("simple")
        labels.setdefault("pretrend_p", result.pretrend_test().p_value)
        return describe_change(simple.estimate, simple.ci_low, simple.ci_high, alpha=simple.alpha, **labels)
    if isinstance(result, AggregateResult | TWFEResult):
        return describe_change(result.estimate, result.ci_low, result.ci_high, alpha=result.alpha, **labels)
    if isinstance(result, PoissonResult):
        return describe_rate_ratio(
            result.rate_ratio, result.ci_low, result.ci_high, alpha=result.alpha, **labels
        )
    if isinstance(result, ITSResult):
        return describe_its(result, **labels)
    raise TypeError(f"no sentence template for {type(result).__name__}")
