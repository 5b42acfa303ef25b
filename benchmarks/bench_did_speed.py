"""Wall-clock time of analyses.did.att_gt plus all four aggregations against the peer csdid (0.4.x).

Both run the doubly robust estimator with never-treated comparisons and analytical SEs (csdid with
``bstrap=False``) on the same simulated panels. Best of several runs; csdid's printed tables are silenced.
Run from the repository root: ``.venv/bin/python benchmarks/bench_did_speed.py``.
"""

from __future__ import annotations

import contextlib
import io
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analyses.did import att_gt
from analyses.simulate import StaggeredDesign

AGGREGATIONS = ("simple", "dynamic", "group", "calendar")
SIZES = ((250, 15, 5), (20_000, 20, 3))  # units, periods, repeats


def ours(panel, covariates):
    result = att_gt(panel, "y", "id", "period", "first_treated", covariates=covariates, method="dr")
    return [result.aggregate(kind) for kind in AGGREGATIONS]


def peer(panel, covariates):
    from csdid.att_gt import ATTgt

    with contextlib.redirect_stdout(io.StringIO()), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = ATTgt(
            yname="y",
            tname="period",
            idname="id",
            gname="first_treated",
            data=panel,
            control_group="nevertreated",
            xformla="~ x" if covariates else None,
        ).fit(est_method="dr", bstrap=False)
        for kind in AGGREGATIONS:
            model.aggte(typec=kind, bstrap=False)
    return model


def best_time(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up: imports, caches
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    print(f"{'panel':<22}{'covariates':<12}{'analyses.did':>14}{'csdid':>10}{'csdid / ours':>14}")
    for n_units, n_periods, repeats in SIZES:
        cohorts = (0, 5, 8, 11, 14) if n_periods >= 15 else (0, 5, 8, 11)
        panel = StaggeredDesign(
            n_units=n_units, n_periods=n_periods, cohorts=cohorts, growth_per_period=0.1, trend_x=0.5
        ).simulate(seed=1)
        for covariates in (None, ["x"]):
            mine = best_time(lambda p=panel, c=covariates: ours(p, c), repeats)
            theirs = best_time(lambda p=panel, c=covariates: peer(p, c), repeats)
            label = f"{n_units:,} × {n_periods}"
            covariate_label = "x" if covariates else "none"
            print(f"{label:<22}{covariate_label:<12}{mine:>13.3f}s{theirs:>9.3f}s{theirs / mine:>13.1f}×")


if __name__ == "__main__":
    main()
