"""Monte Carlo check of the impact evaluation's honest inference with few treated schools.

1. **Coverage.** 12 adopting schools in 2 cohorts of 6 (terms 4 and 6 of 8) and 40 comparison schools;
   adopters' outcomes are twice as noisy (high, volatile rates) with AR(1) shocks; a constant planted
   effect of 1.0 (``analyses.simulate.simulate_few_treated``). For each replication: the Callaway &
   Sant'Anna simple ATT's analytic 95 % CI, and the wild cluster bootstrap-t CI with Rademacher and with
   Webb weights. Prints how often each covers the truth.
2. **Planted pre-trend.** The same design with no effect but adopters drifting 0.5 a term away from the
   comparison schools all along, run through the pipeline's own evaluation
   (``analyses.evaluation.evaluate_programmes``, absence rate as the primary outcome): prints how often the
   breakdown M̄ is below 1 and how often the headline flag is withheld — and, for contrast, the same for a
   real effect of 2.0 with parallel trends.

Run from the repository root: ``.venv/bin/python benchmarks/sim_wild_bootstrap.py [--reps 500]``.
"""

from __future__ import annotations

import argparse
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyses.did import att_gt
from analyses.evaluation import evaluate_programmes
from analyses.plan import EvaluationPlan
from analyses.simulate import simulate_few_treated
from analyses.wild_bootstrap import wild_bootstrap

TRUTH = 1.0
PRETREND_PER_TERM = 0.5
CLEAR_EFFECT = 2.0
"""An effect this design detects most of the time: the contrast for the headline rule."""


def coverage(reps: int, draws: int, seed: int) -> pd.DataFrame:
    """One row per replication: does each 95 % CI cover the planted effect?"""
    rows = []
    for rep in range(reps):
        panel = simulate_few_treated(seed + rep, effect=TRUTH)
        result = att_gt(panel, "y", "id", "period", "first_treated", method="reg")
        analytic = result.aggregate("simple")
        row = {"analytic": analytic.ci_low <= TRUTH <= analytic.ci_high}
        for weights in ("rademacher", "webb"):
            boot = wild_bootstrap(result, ("simple",), n_draws=draws, weights=weights, seed=seed + rep)[
                "simple"
            ]
            row[weights] = boot.ci_low <= TRUTH <= boot.ci_high
            row[f"{weights}_critical"] = boot.critical_value
        rows.append(row)
    return pd.DataFrame(rows)


def as_impact_panel(panel: pd.DataFrame) -> pd.DataFrame:
    """The simulated panel in `marts.impact_panel`'s shape, the outcome as `absence_rate`."""
    return pd.DataFrame(
        {
            "school_urn": panel["id"].astype(str),
            "programme": "trial",
            "term_index": panel["period"],
            "first_treated_term_index": panel["first_treated"],
            "first_other_programme_term_index": 0,
            "phase": "primary",
            "programme_cost_gbp": 0.0,
            "headcount": 100.0,
            "absence_rate": panel["y"] + 10,
        }
    )


def through_the_evaluation(reps: int, draws: int, seed: int, effect: float, pretrend: float) -> pd.DataFrame:
    """One row per replication of the design through the whole evaluation: M̄, headline, pre-trend test."""
    plan = EvaluationPlan.model_validate(
        {
            "programmes": {"trial": {"label": "the trial", "primary_outcome": "absence_rate"}},
            "inference": {"bootstrap_draws": draws, "seed": seed},
        }
    )
    rows = []
    for rep in range(reps):
        panel = simulate_few_treated(seed + rep, effect=effect, pretrend_per_period=pretrend)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            estimates = evaluate_programmes(as_impact_panel(panel), plan).estimates
        headline = estimates[
            (estimates["estimator"] == "callaway_santanna") & (estimates["aggregation"] == "simple")
        ]
        row = headline.iloc[0]
        rows.append(
            {
                "breakdown_mbar": row["breakdown_mbar"],
                "may_headline": bool(row["may_headline"]),
                "pretrend_rejected": row["pretrend_p_value"] < 0.05,
                "ci_excludes_zero": row["ci_low"] > 0 or row["ci_high"] < 0,
                "security_rating": row["security_rating"],
            }
        )
    return pd.DataFrame(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--pretrend-reps", type=int, default=100)
    parser.add_argument("--draws", type=int, default=999)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()

    start = time.perf_counter()
    covered = coverage(args.reps, args.draws, args.seed)
    seconds = time.perf_counter() - start
    mc_se = 100 * np.sqrt(0.95 * 0.05 / args.reps)
    print(
        f"Coverage of the planted effect ({args.reps} replications, 12 adopting schools in 2 cohorts, "
        f"40 comparison schools, {args.draws} bootstrap draws; {seconds:.0f} s; "
        f"Monte Carlo SE ±{mc_se:.1f} points)"
    )
    print(f"  analytic influence-function CI       {100 * covered['analytic'].mean():5.1f} %")
    for weights in ("rademacher", "webb"):
        print(
            f"  wild cluster bootstrap-t, {weights:<10} {100 * covered[weights].mean():5.1f} %  "
            f"(median |t| critical value {covered[f'{weights}_critical'].median():.2f}, normal 1.96)"
        )

    scenarios = {
        f"Planted pre-trend, no effect (adopters drift {PRETREND_PER_TERM} a term)": (0.0, PRETREND_PER_TERM),
        f"Real effect {CLEAR_EFFECT}, parallel trends": (CLEAR_EFFECT, 0.0),
    }
    for title, (effect, pretrend) in scenarios.items():
        start = time.perf_counter()
        runs = through_the_evaluation(args.pretrend_reps, args.draws, args.seed, effect, pretrend)
        seconds = time.perf_counter() - start
        print(f"{title}: {args.pretrend_reps} replications through the evaluation ({seconds:.0f} s)")
        print(
            f"  interval excludes zero                        {100 * runs['ci_excludes_zero'].mean():5.1f} %"
        )
        print(
            f"  pre-trend test rejects                        {100 * runs['pretrend_rejected'].mean():5.1f} %"
        )
        below_one = 100 * (runs["breakdown_mbar"] < 1).mean()
        print(
            f"  breakdown M̄ below 1                           {below_one:5.1f} %  "
            f"(median {runs['breakdown_mbar'].median():.2f})"
        )
        print(f"  headlined                                     {100 * runs['may_headline'].mean():5.1f} %")
        print(f"  security rating, median                       {runs['security_rating'].median():.0f} / 5")


if __name__ == "__main__":
    main()
