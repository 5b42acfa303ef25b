"""What an estimate may claim: the security rating, the headline rule and the one EEF-style line.

**Security rating** (0–5 padlocks, after the Education Endowment Foundation's): one padlock for each
design check passed —

1. *parallel pre-trends*: the joint pre-trend test was made and did not reject at 5 %;
2. *balance*: the outcome's baseline and every phase share differ between adopting and comparison schools
   by at most ``max_standardised_difference`` pooled standard deviations;
3. *attrition*: at most ``max_attrition_pct`` % of the design's schools dropped from the balanced panel, and
   treated and comparison rates within ``max_differential_attrition_pct`` points of each other;
4. *treated schools*: at least ``min_treated_schools`` adopting schools (clusters);
5. *power*: the minimum detectable effect is no larger than the estimated effect.

A failed pre-trend test caps the rating at 1: when the core assumption is contradicted by the data,
passing the other checks does not make the estimate secure.

**Headline rule**: a result may be headlined only if it is the programme's pre-specified primary outcome,
the pre-trend test was made and passed, the 95 % interval excludes zero, and the effect in the term of
adoption survives a break in trends at adoption as large as the largest term-to-term change seen before it
(breakdown M̄ ≥ 1, ``analyses.sensitivity``). The last condition is what catches a pre-trend too gentle
for the test to reject but large enough to pass for an effect. A result whose pre-trends fail, or whose
interval spans zero, is never worded as a finding: "no clear change; the study could detect changes of at
least <MDE>", so a null result is not read as "no effect".
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from analyses.outcomes import Outcome
from analyses.plan import SecurityPlan

CHECKS = ("parallel pre-trends", "balance", "attrition", "treated schools", "power")


@dataclass(frozen=True)
class Evidence:
    """Everything the line and the rating are made from, for one programme × outcome's headline row."""

    programme_label: str
    outcome: Outcome
    is_primary: bool
    estimate: float
    ci_low: float
    ci_high: float
    inference: str
    n_treated: int
    n_comparison: int
    baseline_rate: float
    comparison_baseline_rate: float
    baseline_standardised_difference: float
    balanced: bool
    attrition_rate: float
    differential_attrition: float
    mde: float
    pretrend_p_value: float
    pretrend_reason: str | None
    breakdown_mbar: float
    adjusted_estimate: float
    adjusted_ci_low: float
    adjusted_ci_high: float
    adjusted_reason: str | None
    cost_gbp: float
    events_avoided: float

    @property
    def pretrend_tested(self) -> bool:
        return _finite(self.pretrend_p_value)

    @property
    def pretrend_failed(self) -> bool:
        return self.pretrend_tested and self.pretrend_p_value < 0.05

    @property
    def excludes_zero(self) -> bool:
        return _finite(self.ci_low, self.ci_high) and (self.ci_low > 0 or self.ci_high < 0)

    @property
    def is_finding(self) -> bool:
        """Worded as a change: the interval excludes zero and the pre-trends did not fail."""
        return self.excludes_zero and not self.pretrend_failed

    @property
    def effect_pct_of_baseline(self) -> float:
        if not _finite(self.estimate, self.baseline_rate) or self.baseline_rate == 0:
            return float("nan")
        return 100 * self.estimate / self.baseline_rate

    @property
    def cost_per_event_avoided_gbp(self) -> float:
        """Programme cost ÷ events avoided to the last term, for a finding of fewer events; else NaN."""
        if not (self.outcome.events and self.is_finding and self.ci_high < 0):
            return float("nan")
        if not _finite(self.cost_gbp, self.events_avoided) or self.cost_gbp <= 0 or self.events_avoided <= 0:
            return float("nan")
        return self.cost_gbp / self.events_avoided


def _finite(*values: float | None) -> bool:
    return all(value is not None and math.isfinite(value) for value in values)


def checks_passed(evidence: Evidence, plan: SecurityPlan) -> dict[str, bool]:
    """Each design check of the security rating (module docstring), passed or not."""
    return {
        "parallel pre-trends": evidence.pretrend_tested and not evidence.pretrend_failed,
        "balance": evidence.balanced,
        "attrition": _finite(evidence.attrition_rate, evidence.differential_attrition)
        and 100 * evidence.attrition_rate <= plan.max_attrition_pct
        and 100 * evidence.differential_attrition <= plan.max_differential_attrition_pct,
        "treated schools": evidence.n_treated >= plan.min_treated_schools,
        "power": _finite(evidence.mde, evidence.estimate) and evidence.mde <= abs(evidence.estimate),
    }


def security_rating(evidence: Evidence, plan: SecurityPlan) -> int:
    """Padlocks 0–5: one per check passed, at most 1 when the pre-trend test failed."""
    rating = sum(checks_passed(evidence, plan).values())
    return min(rating, 1) if evidence.pretrend_failed else rating


def headline_blockers(
    *,
    is_primary: bool,
    pretrend_p_value: float | None,
    ci_low: float | None,
    ci_high: float | None,
    breakdown_mbar: float | None,
    min_breakdown_mbar: float,
) -> list[str]:
    """Why a result may not be headlined, in words (module docstring's rule); empty when it may.

    Takes plain values so the pack can say why from a row of `marts.impact_estimates`.
    """
    blockers = []
    if not is_primary:
        blockers.append("it is not the programme's pre-specified primary outcome")
    if not (_finite(ci_low, ci_high) and (ci_low > 0 or ci_high < 0)):  # type: ignore[operator]
        blockers.append("its 95% interval includes no change")
    if not _finite(pretrend_p_value):
        blockers.append("pre-adoption trends could not be tested")
    elif pretrend_p_value < 0.05:  # type: ignore[operator]
        blockers.append("adopting and comparison schools were already diverging before adoption")
    if not _finite(breakdown_mbar) and breakdown_mbar != math.inf:
        blockers.append("no sensitivity analysis to a break in trends was possible")
    elif breakdown_mbar == 0:
        blockers.append("the effect in the term of adoption is not clear of zero (breakdown M̄ = 0)")
    elif breakdown_mbar < min_breakdown_mbar:  # type: ignore[operator]
        blockers.append(
            f"a break in trends at adoption of {breakdown_mbar:.2f} times the largest seen before it "
            "could explain the effect (breakdown M̄)"
        )
    return blockers


def may_headline(evidence: Evidence, plan: SecurityPlan) -> bool:
    """Primary outcome, pre-trends tested and parallel, interval excluding zero, M̄ ≥ 1 (module docstring;
    the plan's ``min_breakdown_mbar_to_headline``)."""
    return not headline_blockers(
        is_primary=evidence.is_primary,
        pretrend_p_value=evidence.pretrend_p_value,
        ci_low=evidence.ci_low,
        ci_high=evidence.ci_high,
        breakdown_mbar=evidence.breakdown_mbar,
        min_breakdown_mbar=plan.min_breakdown_mbar_to_headline,
    )


def decimals_for(ci_low: float, ci_high: float) -> int:
    """Enough decimals that the interval's half-width shows two significant digits (1 to 4)."""
    half_width = (ci_high - ci_low) / 2
    if not _finite(half_width) or half_width <= 0:
        return 2
    return int(min(4, max(1, 1 - math.floor(math.log10(half_width)))))


def _signed(value: float, decimals: int) -> str:
    return f"{value:+,.{decimals}f}".replace("-", "−")


def _mbar_clause(mbar: float) -> str:
    if mbar == math.inf:
        return "the first term's effect survives any break in trends at adoption (breakdown M̄ above 100)"
    if not _finite(mbar):
        return "no sensitivity analysis was possible (no pre-adoption terms or no first-term estimate)"
    if mbar < 1:
        return (
            f"breakdown M̄ = {mbar:.2f}: a break in trends at adoption of {mbar:.2f} times the largest "
            "term-to-term change seen before it could explain the first term's effect"
        )
    return (
        f"breakdown M̄ = {mbar:.2f}: the first term's effect survives a break in trends at adoption as large "
        "as the largest seen before it"
    )


def _pretrend_clause(evidence: Evidence) -> str:
    if not evidence.pretrend_tested:
        return f"pre-adoption trends could not be tested ({evidence.pretrend_reason or 'too few terms'})"
    if evidence.pretrend_failed:
        return f"pre-adoption trends differed (p = {evidence.pretrend_p_value:.3f})"
    return f"no sign of diverging pre-adoption trends (p = {evidence.pretrend_p_value:.2f})"


def _regression_to_mean_clause(evidence: Evidence, plan: SecurityPlan, decimals: int) -> str | None:
    """Said when adopters started far from their comparison schools and the estimate moves them towards
    them: that much of a change is expected from regression to the mean alone."""
    d = evidence.baseline_standardised_difference
    if not _finite(d, evidence.estimate) or abs(d) <= plan.max_standardised_difference:
        return None
    if d * evidence.estimate >= 0:
        return None
    side = "above" if d > 0 else "below"
    unit = evidence.outcome.unit
    treated, comparison = evidence.baseline_rate, evidence.comparison_baseline_rate
    clause = (
        f"adopting schools started well {side} comparison schools ({treated:.{decimals}f} vs "
        f"{comparison:.{decimals}f} {unit}), so part of the change may be regression to the mean; "
    )
    if _finite(evidence.adjusted_estimate, evidence.adjusted_ci_low, evidence.adjusted_ci_high):
        # one interval per line: the adjusted estimate says only whether its own interval excludes zero
        clear = evidence.adjusted_ci_low > 0 or evidence.adjusted_ci_high < 0
        adjusted = _signed(evidence.adjusted_estimate, decimals)
        verdict = "still clear of zero" if clear else "no longer clear of zero"
        return clause + f"adjusted for phase and baseline rate the estimate is {adjusted} ({verdict})"
    return clause + f"it could not be adjusted for phase and baseline rate ({evidence.adjusted_reason})"


def evidence_statement(evidence: Evidence, plan: SecurityPlan) -> str:
    """The EEF-style line: effect in natural units and as % of baseline, one 95 % CI, MDE, pre-trends,
    sensitivity, padlocks and cost per event avoided — worded as a finding only when it is one."""
    o = evidence.outcome
    decimals = decimals_for(evidence.ci_low, evidence.ci_high)
    interval = f"95 % CI {_signed(evidence.ci_low, decimals)} to {_signed(evidence.ci_high, decimals)}"
    if evidence.inference == "wild_bootstrap":
        interval += ", wild cluster bootstrap"
    role = "primary outcome" if evidence.is_primary else "secondary outcome"
    head = (
        f"{evidence.programme_label[:1].upper()}{evidence.programme_label[1:]} "
        f"({evidence.n_treated} adopting vs {evidence.n_comparison} comparison schools; {role}): "
    )
    mde = f"{evidence.mde:.{decimals}f} {o.change_unit}" if _finite(evidence.mde) else "an unknown size"
    if not _finite(evidence.estimate, evidence.ci_low, evidence.ci_high):
        return head + f"no estimate could be made for {o.label}."
    if evidence.pretrend_failed:
        body = (
            f"no finding — adopting and comparison schools were already diverging before adoption "
            f"(pre-trend p = {evidence.pretrend_p_value:.3f}), so the estimated change in {o.label} of "
            f"{_signed(evidence.estimate, decimals)} {o.change_unit} ({interval}) cannot be attributed to "
            f"the programme; the study could detect changes of at least {mde}"
        )
    elif not evidence.excludes_zero:
        body = (
            f"no clear change in {o.label} (estimate {_signed(evidence.estimate, decimals)} {o.change_unit}, "
            f"{interval}); the study could detect changes of at least {mde}; {_pretrend_clause(evidence)}"
        )
    else:
        verb = "fell" if evidence.estimate < 0 else "rose"
        pct = evidence.effect_pct_of_baseline
        baseline = (
            f", {abs(pct):.0f} % {'below' if pct < 0 else 'above'} the adopting schools' baseline of "
            f"{evidence.baseline_rate:.{decimals}f} {o.unit}"
            if _finite(pct)
            else ""
        )
        size = f"{abs(evidence.estimate):.{decimals}f} {o.change_unit}"
        body = (
            f"{o.label} {verb} by {size} ({interval}){baseline}; "
            f"the study could detect changes of {mde}; {_pretrend_clause(evidence)}; "
            f"{_mbar_clause(evidence.breakdown_mbar)}"
        )
    parts = [body]
    rtm = _regression_to_mean_clause(evidence, plan, decimals)
    if rtm:
        parts.append(rtm)
    failed = [check for check, passed in checks_passed(evidence, plan).items() if not passed]
    security = f"security {security_rating(evidence, plan)}/5 padlocks"
    parts.append(security + (f" (not met: {', '.join(failed)})" if failed else ""))
    cost = evidence.cost_per_event_avoided_gbp
    if _finite(cost) and o.events:
        parts.append(
            f"£{cost:,.0f} per {o.events[:-1]} avoided (£{evidence.cost_gbp:,.0f} for about "
            f"{evidence.events_avoided:,.0f} {o.events} avoided)"
        )
    return head + "; ".join(parts) + "."
