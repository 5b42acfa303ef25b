"""How long the multi-year projection takes on a built warehouse (the county demo after `highneeds run`).

Prints wall-clock and CPU seconds of each step — reading the marts, forecasting placements (model fits,
back-test, simulation) and projecting the finances — the median over --runs, plus how many paths were
simulated. CPU seconds matter on a shared machine, where wall time mostly measures the other processes.
statsmodels' import (about a second, paid once per process) is measured apart.

Usage: python benchmarks/bench_projection.py HOME/warehouse.duckdb [--runs 3]
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import pandas as pd


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("warehouse", type=Path)
    parser.add_argument("--runs", type=int, default=3)
    options = parser.parse_args()

    started = time.perf_counter()
    import statsmodels.tsa.exponential_smoothing.ets  # noqa: F401  (the import the asset pays once)

    print(f"statsmodels import: {time.perf_counter() - started:.2f} s")
    from analyses.projection import (
        financial_year_months,
        following_years,
        forecast_placements,
        project_finances,
    )
    from orchestration.assets.projection import DEFAULT_ASSUMPTIONS_FILE, read_assumptions, read_inputs

    timings: dict[str, list[tuple[float, float]]] = {"read": [], "forecast": [], "finances": []}
    for _ in range(options.runs):
        clock = (time.perf_counter(), time.process_time())

        def lap(step: str) -> None:
            nonlocal clock
            now = (time.perf_counter(), time.process_time())
            timings[step].append((now[0] - clock[0], now[1] - clock[1]))
            clock = now

        inputs = read_inputs(options.warehouse)
        assumptions = read_assumptions(DEFAULT_ASSUMPTIONS_FILE, sorted(inputs.provision_groups))
        lap("read")
        last_year = following_years(inputs.current_year, assumptions.years)[-1]
        last_month = pd.Period(str(inputs.monthly_counts["month"].max()), freq="M")
        horizon = financial_year_months(last_year)[-1].ordinal - last_month.ordinal
        forecast = forecast_placements(
            inputs.monthly_counts,
            horizon,
            provision_groups=inputs.provision_groups,
            pool_below=assumptions.forecast.pool_below_placements,
            history_months=assumptions.forecast.history_months,
        )
        lap("forecast")
        by_line = inputs.in_year_by_line
        placement_lines = by_line["is_placement_line"]
        project_finances(
            forecast,
            assumptions,
            current_year=inputs.current_year,
            unit_cost_gbp=inputs.unit_cost_gbp,
            in_year_placement_spend_gbp=float(by_line.loc[placement_lines, "forecast_expected_gbp"].sum()),
            in_year_other_spend_gbp=float(by_line.loc[~placement_lines, "forecast_expected_gbp"].sum()),
            income_gbp=inputs.income_gbp,
            opening_balance_gbp=inputs.opening_balance_gbp,
            planned_closing_balance_gbp=inputs.planned_closing_balance_gbp,
        )
        lap("finances")
    for step, laps in timings.items():
        wall = statistics.median(w for w, _ in laps)
        cpu = statistics.median(c for _, c in laps)
        print(f"{step:<9} {wall:6.2f} s wall {cpu:6.2f} s CPU (median of {len(laps)})")
    total_wall = sum(statistics.median(w for w, _ in laps) for laps in timings.values())
    total_cpu = sum(statistics.median(c for _, c in laps) for laps in timings.values())
    paths = next(iter(forecast.sim_paths.values())).shape[0]
    print(f"projection total {total_wall:.2f} s wall, {total_cpu:.2f} s CPU; {paths} simulated paths")
    print(forecast.calibration.summary())


if __name__ == "__main__":
    main()
