"""Multi-year High Needs projection: placements forecast × unit cost, income, balances and mitigations.

The shape follows DfE's Delivering Better Value framing: spend is driven by the number of placements
(children with an EHCP in each kind of provision) × the average cost per placement of that kind, plus the
spend that is not placements; savings are **costs avoided against the unmitigated forecast**.

Plain functions, no I/O (the assumptions themselves are validated in `analyses.projection_assumptions`):

- `forecast_placements` fits a time-series model per provision type to monthly active placements and
  returns mean paths with 80 % and 95 % prediction intervals that carry the uncertainty of the estimated
  growth and are calibrated by back-testing on the closed years of the history;
- `project_finances` turns placements into spend by financial year, anchors the current year to the
  in-year expected forecast, adds income and balances, and applies the scenarios.

statsmodels is imported inside the fitting function: it is slow to import and the Dagster definitions
load this module's siblings.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from analyses.projection_assumptions import (
    ALL_TYPES,
    MIN_HISTORY_MONTHS,
    UNMITIGATED,
    Action,
    GrowthMultiplier,
    Investment,
    ProjectionAssumptions,
    Saving,
    Scenario,
    Shift,
    UnitCostMultiplier,
)

PI_LEVELS = (0.80, 0.95)
"""The two prediction-interval levels every projection reports (columns `_p10/_p90` and `_p025/_p975`)."""

_SEASONAL_MIN_MONTHS = 36


# --------------------------------------------------------------------------------------------------
# Financial years


def financial_year_of(month: pd.Period) -> str:
    """`2025-26` for any month from April 2025 to March 2026."""
    start = month.year if month.month >= 4 else month.year - 1
    return f"{start}-{(start + 1) % 100:02d}"


def financial_year_months(financial_year: str) -> pd.PeriodIndex:
    """The twelve months April–March of a financial year written `2025-26`."""
    start = int(financial_year[:4])
    return pd.period_range(pd.Period(f"{start}-04", freq="M"), periods=12, freq="M")


def following_years(first_year: str, count: int) -> list[str]:
    """`count` consecutive financial years starting with `first_year`."""
    start = int(first_year[:4])
    return [f"{start + i}-{(start + i + 1) % 100:02d}" for i in range(count)]


def _to_periods(values: pd.Series) -> pd.PeriodIndex:
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    return pd.PeriodIndex(pd.to_datetime(values.astype(str), format="mixed").dt.to_period("M"))


# --------------------------------------------------------------------------------------------------
# Placements forecast


@dataclass(frozen=True)
class IntervalCalibration:
    """How the prediction intervals were checked against what happened, on the closed years of the history.

    At the end of each closed financial year with at least two years of history before it, the total
    placements are forecast as the projection would have forecast them then, and each later complete year's
    mean placements is compared with its predicted distribution. `factor` (≥ 1) widens every interval on the
    log scale (around the median path) by √(mean z²) of those comparisons, z being the error in predictive
    standard deviations: a model that was too sure of itself is made as unsure as its record says.
    Coverage is the share of comparisons inside the 80 % and 95 % intervals, before and after widening.
    """

    comparisons: int
    factor: float
    coverage_80_before: float | None
    coverage_95_before: float | None
    coverage_80_after: float | None
    coverage_95_after: float | None
    origins: tuple[str, ...] = ()
    note: str = ""

    @classmethod
    def none(cls, note: str) -> IntervalCalibration:
        return cls(0, 1.0, None, None, None, None, (), note)

    def summary(self) -> str:
        if not self.comparisons:
            return f"intervals not calibrated: {self.note}"
        return (
            f"back-test of total placements from {', '.join(self.origins)}: {self.comparisons} year(s) "
            f"compared; 80 % interval covered {self.coverage_80_before:.0%} before and "
            f"{self.coverage_80_after:.0%} after widening by {self.factor:.2f} "
            f"(95 %: {self.coverage_95_before:.0%} → {self.coverage_95_after:.0%})"
        )


@dataclass(frozen=True)
class PlacementForecast:
    """Monthly active placements per provision type: history, mean forecast and simulated paths.

    `mean_paths[t]` is the expected count (mean of the simulated paths, on the original scale) for each of
    `forecast_months`; `sim_paths[t]` holds `repetitions × months` simulated counts, jointly drawn across
    types, from which every interval (monthly or annual, per type or summed) is read as empirical quantiles.
    `table` is the monthly forecast in tidy form: `mean`, `median` and the 80 %/95 % limits.
    """

    provision_types: tuple[str, ...]
    history: pd.DataFrame  # month (Period), provision_type, active, starters, leavers
    forecast_months: pd.PeriodIndex
    mean_paths: Mapping[str, np.ndarray]
    sim_paths: Mapping[str, np.ndarray]
    leaver_rate_per_month: Mapping[str, float]
    models: pd.DataFrame
    table: pd.DataFrame
    n_history_months: int
    calibration: IntervalCalibration

    @property
    def last_history_month(self) -> pd.Period:
        return self.history["month"].max()

    def last_observed(self, provision_type: str) -> float:
        rows = self.history[
            (self.history["provision_type"] == provision_type)
            & (self.history["month"] == self.last_history_month)
        ]
        return float(rows["active"].sum())

    @classmethod
    def known(
        cls,
        history: pd.DataFrame,
        future: pd.DataFrame,
        leaver_rate_per_month: Mapping[str, float] | None = None,
    ) -> PlacementForecast:
        """A forecast without uncertainty from given paths (month, provision_type, active), for what-ifs."""
        history = _complete_grid(history)
        months = pd.PeriodIndex(sorted(_to_periods(future["month"]).unique()))
        future = future.assign(month=_to_periods(future["month"]))
        types = tuple(sorted(set(history["provision_type"])))
        means = {}
        for name in types:
            series = future[future["provision_type"] == name].set_index("month")["active"]
            means[name] = series.reindex(months).fillna(0.0).to_numpy(dtype=float)
        sims = {name: path[None, :] for name, path in means.items()}
        return cls(
            provision_types=types,
            history=history,
            forecast_months=months,
            mean_paths=means,
            sim_paths=sims,
            leaver_rate_per_month={
                name: float((leaver_rate_per_month or {}).get(name, 0.0)) for name in types
            },
            models=pd.DataFrame({"series": list(types), "model": "given", "provision_types": list(types)}),
            table=_forecast_table(months, means, sims),
            n_history_months=history["month"].nunique(),
            calibration=IntervalCalibration.none("paths given, not forecast"),
        )

    def summary(self) -> str:
        """One line per modelled series: the model chosen, its fit and the growth it implies."""
        lines = [
            f"Placements forecast: {self.n_history_months} months of history to {self.last_history_month}, "
            f"{len(self.forecast_months)} months ahead; mean on the original scale, 80 %/95 % intervals "
            f"from joint simulation; {self.calibration.summary()}"
        ]
        for row in self.models.itertuples(index=False):
            growth = getattr(row, "implied_growth_pct_per_year", float("nan"))
            lines.append(
                f"  {row.series}: {row.model}, {getattr(row, 'n_months', '?')} months, "
                f"implied growth {growth:+.1f} %/year"
            )
        return "\n".join(lines)


def _forecast_table(
    months: pd.PeriodIndex, means: Mapping[str, np.ndarray], sims: Mapping[str, np.ndarray]
) -> pd.DataFrame:
    quantiles = {"p10": 0.10, "p90": 0.90, "p025": 0.025, "p975": 0.975}
    return pd.concat(
        [
            pd.DataFrame(
                {
                    "month": months.astype(str),
                    "provision_type": name,
                    "mean": means[name],
                    "median": np.median(sims[name], axis=0),
                    **{label: np.quantile(sims[name], q, axis=0) for label, q in quantiles.items()},
                }
            )
            for name in means
        ],
        ignore_index=True,
    )


def _complete_grid(monthly_counts: pd.DataFrame) -> pd.DataFrame:
    """One row per month × provision type from the first to the last month, absent rows counting 0."""
    missing = {"month", "provision_type", "active"} - set(monthly_counts.columns)
    if missing:
        raise ValueError(f"monthly_counts lacks column(s) {sorted(missing)}")
    data = monthly_counts.assign(month=_to_periods(monthly_counts["month"]))
    for column in ("starters", "leavers"):
        if column not in data.columns:
            data[column] = 0.0
    summed = data.groupby(["month", "provision_type"], as_index=False)[
        ["active", "starters", "leavers"]
    ].sum()
    months = pd.period_range(summed["month"].min(), summed["month"].max(), freq="M")
    grid = pd.MultiIndex.from_product(
        [months, sorted(summed["provision_type"].unique())], names=["month", "provision_type"]
    )
    complete = summed.set_index(["month", "provision_type"]).reindex(grid, fill_value=0.0).reset_index()
    return complete.astype({"active": float, "starters": float, "leavers": float})


_CANDIDATES: tuple[tuple[str, str | None, bool, str | None], ...] = (
    ("ETS(A,N,N)", None, False, None),
    ("ETS(A,A,N)", "add", False, None),
    ("ETS(A,Ad,N)", "add", True, None),
    ("ETS(A,A,A)", "add", False, "add"),
    ("ETS(A,Ad,A)", "add", True, "add"),
)


def _fit_best_ets(log_counts: pd.Series) -> tuple[Any, str, dict[str, float]]:
    """Fit the candidate ETS models to one log series; return the lowest-AICc fit, its name and all AICcs.

    Initial states come from the standard heuristic (Hyndman et al. 2008) rather than being estimated:
    the smoothing parameters alone are optimised, five times faster, and every candidate is treated alike.
    """
    from statsmodels.tsa.exponential_smoothing.ets import ETSModel

    n = len(log_counts)
    fits: dict[str, Any] = {}
    aiccs: dict[str, float] = {}
    for name, trend, damped, seasonal in _CANDIDATES:
        if seasonal and n < _SEASONAL_MIN_MONTHS:
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            try:
                model = ETSModel(
                    log_counts,
                    error="add",
                    trend=trend,
                    damped_trend=damped,
                    seasonal=seasonal,
                    seasonal_periods=12 if seasonal else None,
                    initialization_method="heuristic",
                )
                result = model.fit(disp=False)
            except (ValueError, np.linalg.LinAlgError):  # a candidate that cannot be fitted is not chosen
                continue
        if np.isfinite(result.aicc):
            fits[name], aiccs[name] = result, float(result.aicc)
    if not fits:
        raise ValueError(f"no ETS model could be fitted to {log_counts.name!r}")
    best = min(aiccs, key=aiccs.__getitem__)
    return fits[best], best, aiccs


def _growth_standard_error(log_counts: np.ndarray) -> float:
    """Standard error a month of the series' estimated growth on the log scale (its parameter uncertainty).

    The growth a year is estimated by the mean of the year-on-year changes y(t) − y(t − 12), which are
    free of seasonality; overlapping changes are not independent, so their spread is divided by the root
    of the number of whole years they span, not of their count. 0 with under two years of history.
    """
    changes = log_counts[12:] - log_counts[:-12]
    if len(changes) < 12:
        return 0.0
    return float(np.std(changes, ddof=1) / math.sqrt(len(changes) / 12) / 12)


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """A valid correlation matrix close to `matrix` (eigenvalues clipped), so it has a Cholesky factor."""
    matrix = np.nan_to_num(matrix, nan=0.0)
    np.fill_diagonal(matrix, 1.0)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    fixed = vectors @ np.diag(np.clip(values, 1e-6, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


@dataclass(frozen=True)
class _SeriesModel:
    """One modelled log series: its fit, its growth's standard error and its last observed count."""

    result: Any
    name: str
    aiccs: dict[str, float]
    growth_se: float


def _simulate_log_paths(
    models: Sequence[_SeriesModel],
    horizon: int,
    rng: np.random.Generator,
    repetitions: int,
    correlation: np.ndarray,
) -> np.ndarray:
    """Log paths (series × repetitions × months): the models' innovations drawn jointly across series
    with their residual correlation, plus a growth drawn once a path from its sampling distribution."""
    cholesky = np.linalg.cholesky(correlation)
    shocks = rng.standard_normal((horizon, repetitions, len(models))) @ cholesky.T
    growth_draws = rng.standard_normal((len(models), repetitions, 1))
    months_ahead = np.arange(1, horizon + 1)[None, :]
    paths = np.empty((len(models), repetitions, horizon))
    for index, model in enumerate(models):
        errors = math.sqrt(model.result.scale) * shocks[:, :, index]
        simulated = model.result.simulate(
            horizon, anchor="end", repetitions=repetitions, random_errors=errors
        )
        paths[index] = np.asarray(simulated, dtype=float).reshape(horizon, repetitions).T
        paths[index] += growth_draws[index] * model.growth_se * months_ahead
    return paths


def _simulate_until_stable(
    models: Sequence[_SeriesModel],
    horizon: int,
    rng: np.random.Generator,
    correlation: np.ndarray,
    max_repetitions: int,
    chunk: int = 250,
    tolerance: float = 0.005,
) -> np.ndarray:
    """Draw paths in chunks until the 10 % and 90 % points of the last month's total move less than
    `tolerance` (relative) between chunks, or `max_repetitions` are drawn: fewer paths where the interval
    is already stable."""
    batches: list[np.ndarray] = []
    previous: np.ndarray | None = None
    while sum(batch.shape[1] for batch in batches) < max_repetitions:
        size = min(chunk, max_repetitions - sum(batch.shape[1] for batch in batches))
        batches.append(_simulate_log_paths(models, horizon, rng, size, correlation))
        total = np.expm1(np.concatenate(batches, axis=1)[:, :, -1]).sum(axis=0)
        limits = np.quantile(total, [0.10, 0.90])
        if previous is not None and np.all(np.abs(limits - previous) <= tolerance * np.abs(previous)):
            break
        previous = limits
    return np.concatenate(batches, axis=1)


def _widen(log_paths: np.ndarray, factor: float) -> np.ndarray:
    """Spread log paths `factor` times further from their median, month by month."""
    median = np.median(log_paths, axis=-2, keepdims=True)
    return median + factor * (log_paths - median)


_Z80, _Z95 = 1.2815515655446004, 1.959963984540054


def _calibrate_by_backtest(
    total: pd.Series, history_months: int, rng: np.random.Generator
) -> IntervalCalibration:
    """Back-test the total placements forecast at the end of each closed year (see IntervalCalibration)."""
    months = pd.PeriodIndex(total.index)
    z_scores: list[float] = []
    origins: list[str] = []
    for origin in [m for m in months if m.month == 3]:
        fitted = total[months <= origin].iloc[-history_months:]
        later = total[months > origin]
        whole_years = len(later) // 12
        if len(fitted) < 24 or whole_years == 0:
            continue
        log_counts = np.log1p(fitted.to_numpy(dtype=float))
        series = pd.Series(log_counts, index=pd.DatetimeIndex(fitted.index.to_timestamp(), freq="MS"))
        result, name, aiccs = _fit_best_ets(series)
        model = _SeriesModel(result, name, aiccs, _growth_standard_error(log_counts))
        paths = _simulate_log_paths([model], 12 * whole_years, rng, 500, np.ones((1, 1)))[0]
        annual = np.log1p(np.expm1(paths).reshape(500, whole_years, 12).mean(axis=2))
        actual = np.log1p(
            later.to_numpy(dtype=float)[: 12 * whole_years].reshape(whole_years, 12).mean(axis=1)
        )
        spread = annual.std(axis=0)
        z_scores += list((actual - annual.mean(axis=0)) / np.where(spread > 0, spread, np.inf))
        origins.append(str(origin))
    if len(z_scores) < 3:
        return IntervalCalibration.none(
            f"{len(z_scores)} closed year(s) to compare with a forecast made two years or more into the "
            "history: too few to calibrate the intervals (they carry the model's and the growth's "
            "uncertainty only)"
        )
    z = np.abs(np.array(z_scores))
    factor = max(1.0, float(np.sqrt(np.mean(z**2))))
    return IntervalCalibration(
        comparisons=len(z),
        factor=factor,
        coverage_80_before=float(np.mean(z <= _Z80)),
        coverage_95_before=float(np.mean(z <= _Z95)),
        coverage_80_after=float(np.mean(z / factor <= _Z80)),
        coverage_95_after=float(np.mean(z / factor <= _Z95)),
        origins=tuple(origins),
    )


def forecast_placements(
    monthly_counts: pd.DataFrame,
    horizon_months: int,
    *,
    provision_groups: Mapping[str, str] | None = None,
    pool_below: float = 20.0,
    history_months: int | None = 60,
    max_repetitions: int = 2000,
    seed: int = 20250401,
    calibrate: bool = True,
) -> PlacementForecast:
    """Forecast monthly active placements per provision type `horizon_months` past the last month.

    `monthly_counts` holds `month`, `provision_type`, `active` (placements open at the month's end) and
    optionally `starters`/`leavers`; several rows per month × type (e.g. one per need) are summed, absent
    months count 0. Only the last `history_months` months are used (older history undercounts: the case
    system keeps fewer ended placements).

    **Model.** Each series is modelled on log(1 + count), where growth is multiplicative (EHCP growth is
    talked about, and behaves, as a % a year), errors scale with the level and back-transformed intervals
    stay positive. Within the ETS family with additive errors (Hyndman et al. 2008) the candidates are
    ETS(A,N,N) (no growth), ETS(A,A,N) (a local, constant % growth — on log counts this is exponential
    growth), ETS(A,Ad,N) (growth that damps out: Gardner & McKenzie's robust default for multi-year
    horizons) and, with 36+ months, their additive-seasonal versions (September starts, July leavers).
    The lowest AICc wins; every candidate is fitted by maximum likelihood to the same series.

    **Small types.** A type whose mean count over the last 12 months is below `pool_below` is forecast
    as its share (over the last 12 months) of its `provision_groups` group's total, which is modelled as
    one series: a handful of placements gives an unstable trend and, on the log scale, an exploding
    mean. Large types keep their own model, so a group's parts need not add up to its modelled total.

    **Uncertainty.** Intervals are quantiles of simulated paths, which lets annual averages and totals
    across types have intervals too. A path carries (1) the model's innovations, drawn jointly across
    series with the correlation of the fitted models' residuals, so the total is not made falsely precise;
    (2) **parameter uncertainty**: a growth a month drawn once per path from the sampling distribution of
    the series' estimated growth (`_growth_standard_error`), which makes five-year intervals widen with
    the square of the horizon as they should; (3) **calibration**: every log path is spread further from the
    median by the back-test's factor (`IntervalCalibration`, `calibrate=True`) when past forecasts of the
    total missed more often than their intervals said. `mean` is the mean of the paths on the original
    scale, the expected count spend should be costed on; `median` is their median. Paths are drawn in
    chunks of 250 until the total's 10 %/90 % points are stable, up to `max_repetitions`.
    """
    if horizon_months < 1:
        raise ValueError("horizon_months must be at least 1")
    history = _complete_grid(monthly_counts)
    months = pd.PeriodIndex(sorted(history["month"].unique()))
    if history_months is not None and len(months) > history_months:
        history = history[history["month"] >= months[-history_months]].reset_index(drop=True)
        months = months[-history_months:]
    n = len(months)
    if n < MIN_HISTORY_MONTHS:
        raise ValueError(f"need at least {MIN_HISTORY_MONTHS} months of placement history, got {n}")
    forecast_months = pd.period_range(months[-1] + 1, periods=horizon_months, freq="M")
    wide = history.pivot(index="month", columns="provision_type", values="active").reindex(months)
    types = tuple(wide.columns)
    recent_mean = wide.iloc[-12:].mean()

    leaver_rate = {}
    for name in types:
        rows = history[history["provision_type"] == name].iloc[-12:]
        stock = float(wide[name].shift(1).iloc[-12:].fillna(wide[name].iloc[0]).sum())
        leaver_rate[name] = float(rows["leavers"].sum()) / stock if stock > 0 else 0.0

    # series to model: key -> (types summed into the series, types whose forecast is a share of it)
    groups = provision_groups or {}
    present = [name for name in types if float(wide[name].sum()) > 0]
    series: dict[str, tuple[list[str], list[str]]] = {}
    for name in present:
        if recent_mean[name] >= pool_below or name not in groups:
            series[name] = ([name], [name])
        else:
            group_types = [other for other in present if groups.get(other) == groups[name]]
            series.setdefault(f"group:{groups[name]}", (group_types, []))[1].append(name)
    series = {
        (summed[0] if len(summed) == 1 else key): (summed, members)
        for key, (summed, members) in series.items()
    }

    dates = pd.DatetimeIndex(months.to_timestamp(how="start"), freq="MS")
    rng = np.random.default_rng(seed)
    models: dict[str, _SeriesModel] = {}
    # BLAS threads only slow down the optimiser's tiny vectors (and fight other processes for the cores)
    with threadpool_limits(limits=1):
        for key, (summed, _) in series.items():
            log_counts = np.log1p(wide[summed].sum(axis=1).to_numpy(dtype=float))
            if len(np.unique(log_counts)) < 2:  # a constant series has no dynamics to fit
                continue
            result, chosen, aiccs = _fit_best_ets(pd.Series(log_counts, index=dates, name=key))
            models[key] = _SeriesModel(result, chosen, aiccs, _growth_standard_error(log_counts))
        calibration = (
            _calibrate_by_backtest(wide.sum(axis=1), n, rng)
            if calibrate
            else IntervalCalibration.none("calibration not asked for")
        )
        keys = list(models)
        log_paths = np.zeros((0, 0, horizon_months))
        if keys:
            residuals = np.vstack(
                [
                    np.asarray(models[k].result.resid, dtype=float) / math.sqrt(models[k].result.scale)
                    for k in keys
                ]
            )
            correlation = _nearest_correlation(np.corrcoef(residuals) if len(keys) > 1 else np.ones((1, 1)))
            log_paths = _widen(
                _simulate_until_stable(
                    list(models.values()), horizon_months, rng, correlation, max_repetitions
                ),
                calibration.factor,
            )
    repetitions = log_paths.shape[1] if keys else 1

    mean_paths: dict[str, np.ndarray] = {}
    sim_paths: dict[str, np.ndarray] = {}
    model_rows = []
    for key, (summed, members) in series.items():
        total_now = float(wide[summed].iloc[-1].sum())
        if key in models:
            sims = np.clip(np.expm1(log_paths[keys.index(key)]), 0, None)
            model = models[key]
            model_name, sigma = model.name, math.sqrt(model.result.scale)
            aicc_text = ", ".join(
                f"{name} {value:.1f}" for name, value in sorted(model.aiccs.items(), key=lambda item: item[1])
            )
        else:
            sims = np.full((repetitions, horizon_months), total_now)
            model_name, sigma, aicc_text = "constant (no variation in history)", 0.0, ""
        mean = sims.mean(axis=0)
        recent = wide[summed].iloc[-12:].sum()
        shares = recent / recent.sum() if recent.sum() > 0 else pd.Series(1 / len(summed), index=summed)
        for member in members:
            mean_paths[member] = mean * float(shares[member])
            sim_paths[member] = sims * float(shares[member])
        # last 12 forecast months against the last 12 observed: whole years, so seasonality cancels
        window = min(12, horizon_months)
        observed_recent = float(wide[summed].iloc[-window:].sum(axis=1).mean())
        growth = ((mean[-window:].mean() + 1) / (observed_recent + 1)) ** (12 / horizon_months) - 1
        model_rows.append(
            {
                "series": key,
                "provision_types": ", ".join(members),
                "modelled_on": " + ".join(summed),
                "model": model_name,
                "n_months": n,
                "sigma_log": sigma,
                "growth_se_pct_per_year": 1200 * models[key].growth_se if key in models else 0.0,
                "aicc_by_candidate": aicc_text,
                "implied_growth_pct_per_year": 100 * growth,
            }
        )
    for name in types:
        if name not in mean_paths:  # no placements at all in the window
            mean_paths[name] = np.zeros(horizon_months)
            sim_paths[name] = np.zeros((repetitions, horizon_months))

    return PlacementForecast(
        provision_types=types,
        history=history,
        forecast_months=forecast_months,
        mean_paths=mean_paths,
        sim_paths=sim_paths,
        leaver_rate_per_month=leaver_rate,
        models=pd.DataFrame(model_rows),
        table=_forecast_table(forecast_months, mean_paths, sim_paths),
        n_history_months=n,
        calibration=calibration,
    )


# --------------------------------------------------------------------------------------------------
# Scenarios on placements


def _first_index(months: pd.PeriodIndex, financial_year: str) -> int:
    """Index in `months` of the first month of `financial_year` (never 0: month 0 is already observed)."""
    start = financial_year_months(financial_year)[0]
    return max(1, int(np.searchsorted(months.asi8, start.ordinal)))


def _apply_placement_actions(
    paths: dict[str, np.ndarray],
    months: pd.PeriodIndex,
    actions: Sequence[Action],
    leaver_rate: Mapping[str, float],
) -> dict[str, np.ndarray]:
    """Mean placement paths under a scenario. Month 0 is the last observed month and is never changed.

    Growth multipliers act first (they change how many children need a placement), then shifts (they
    change where the new ones go). A shift redirects `share_of_new` of the `from` type's starters, where
    starters are inferred from the stock path and the type's historical monthly leaver rate ℓ:
    starters(m) = max(0, S(m) − (1 − ℓ)·S(m−1)); redirected children leave at the same rate ℓ.
    """
    paths = {name: path.copy() for name, path in paths.items()}
    for action in actions:
        if not isinstance(action, GrowthMultiplier):
            continue
        start = _first_index(months, action.from_year)
        for name in action.provision_types or tuple(paths):
            if name not in paths or start >= len(months):
                continue
            steps = np.diff(paths[name])
            steps[start - 1 :] *= action.factor
            paths[name] = np.clip(paths[name][0] + np.concatenate([[0.0], np.cumsum(steps)]), 0, None)
    for action in actions:
        if not isinstance(action, Shift):
            continue
        start = _first_index(months, action.from_year)
        source = paths.get(action.from_type)
        if source is None:
            continue
        target = paths.get(action.to_type, np.zeros_like(source))
        rate = float(leaver_rate.get(action.from_type, 0.0))
        new_source, new_target = source.copy(), target.copy()
        moved = 0.0
        for m in range(start, len(months)):
            starters = max(0.0, source[m] - (1 - rate) * source[m - 1])
            moved = min(moved * (1 - rate) + action.share_of_new * starters, source[m])
            new_source[m] = source[m] - moved
            new_target[m] = target[m] + moved
        paths[action.from_type], paths[action.to_type] = new_source, new_target
    return paths


# --------------------------------------------------------------------------------------------------
# Finances


@dataclass(frozen=True)
class HighNeedsProjection:
    """Projected High Needs finances by financial year × scenario × provision type.

    `table` has one row per year × scenario × provision type, one row with `provision_type` NULL for the
    spend that is not placements, and one row with `provision_type = 'all'` holding the totals, income,
    in-year and cumulative balance (negative = deficit) and the plan. `anchor_factor` is the ratio of the
    in-year expected forecast on placement lines to the bottom-up placements × agreed cost.
    """

    table: pd.DataFrame
    headline: pd.DataFrame
    current_year: str
    financial_years: tuple[str, ...]
    scenarios: tuple[str, ...]
    anchor_factor: float
    notes: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """The closing balance and costs avoided by scenario in the last projected year."""
        last = self.headline[self.headline["financial_year"] == self.financial_years[-1]]
        lines = [
            f"High Needs projection {self.financial_years[0]} to {self.financial_years[-1]} "
            f"(current year anchored to the expected forecast; anchor factor {self.anchor_factor:.3f})"
        ]
        for row in last.itertuples(index=False):
            low, high = row.cumulative_balance_p10_gbp / 1e6, row.cumulative_balance_p90_gbp / 1e6
            lines.append(
                f"  {row.scenario}: spend £{row.spend_gbp / 1e6:,.1f}m in {row.financial_year}, closing "
                f"balance £{row.cumulative_balance_gbp / 1e6:,.1f}m (80 % PI £{low:,.1f}m to £{high:,.1f}m), "
                f"costs avoided £{row.costs_avoided_gbp / 1e6:,.1f}m"
            )
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)


MART_COLUMNS = (
    "financial_year",
    "scenario",
    "scenario_description",
    "provision_type",
    "is_current_year",
    "placements",
    "placements_p10",
    "placements_p90",
    "placements_p025",
    "placements_p975",
    "cost_per_placement_gbp",
    "spend_gbp",
    "spend_p10_gbp",
    "spend_p90_gbp",
    "spend_p025_gbp",
    "spend_p975_gbp",
    "income_gbp",
    "in_year_balance_gbp",
    "cumulative_balance_gbp",
    "cumulative_balance_p10_gbp",
    "cumulative_balance_p90_gbp",
    "cumulative_balance_p025_gbp",
    "cumulative_balance_p975_gbp",
    "planned_closing_balance_gbp",
    "costs_avoided_gbp",
)
_QUANTILES = {"p10": 0.10, "p90": 0.90, "p025": 0.025, "p975": 0.975}


def project_finances(
    forecast: PlacementForecast,
    assumptions: ProjectionAssumptions,
    *,
    current_year: str,
    unit_cost_gbp: Mapping[str, float],
    in_year_placement_spend_gbp: float,
    in_year_other_spend_gbp: float,
    income_gbp: Mapping[str, float],
    opening_balance_gbp: float | None,
    planned_closing_balance_gbp: Mapping[str, float] | None = None,
) -> HighNeedsProjection:
    """Spend, income and balances for `assumptions.years` financial years from `current_year`, per scenario.

    Placements are the annual mean of month-end counts (observed months of the current year, forecast
    after), which is the full-time-equivalent count that spend scales with. Spend of a type = placements ×
    cost per placement. **Anchoring:** the current year's unmitigated placement spend is made to equal
    `in_year_placement_spend_gbp` (Σ forecast_expected_gbp on placement s251 lines) by one factor k on every
    unit cost, k = that forecast ÷ Σ placements × `unit_cost_gbp` (the agreed annual costs); k absorbs what
    the agreed costs miss (recoupment, part-year top-ups, non-placement lines coded to placement lines).
    Non-placement spend starts at `in_year_other_spend_gbp`. So the first year's unmitigated total equals
    Σ forecast_expected_gbp exactly; later years grow unit costs, non-placement spend and income at the
    assumed rates. Income of a year in `income_gbp` is used as given (a known allocation), else grown.

    Scenarios change the *expected* placement path (`_apply_placement_actions`) from their `from_year`, and
    never the months already observed; the uncertainty around a scenario is the unmitigated model's, moved
    by the same amount. Unit-cost multipliers take effect no earlier than the year after the current one
    (this year's costs are largely committed). A saving comes off the spend that is not placements in its
    year, so the scenario's total is the unmitigated total less the saving (the mitigations file's
    scenario: unmitigated − targets). `costs_avoided_gbp` = unmitigated spend − scenario spend.
    """
    years = following_years(current_year, assumptions.years)
    if current_year not in income_gbp:
        raise ValueError(f"income for the current year {current_year} is needed")
    grid = pd.PeriodIndex([m for year in years for m in financial_year_months(year)])
    last_seen = forecast.last_history_month
    missing_months = [m for m in grid if m > last_seen and m not in forecast.forecast_months]
    if missing_months:
        raise ValueError(f"the placements forecast stops before {missing_months[0]}: forecast further ahead")
    observed = forecast.history.pivot(index="month", columns="provision_type", values="active")
    if grid[0] <= last_seen and grid[0] < observed.index.min():
        raise ValueError(f"placement history does not reach back to the start of {current_year}")
    # types with placements in the projection, plus any a shift sends children to
    targets = {a.to_type for s in assumptions.scenarios for a in s.actions if isinstance(a, Shift)}
    types = [
        t
        for t in forecast.provision_types
        if forecast.mean_paths[t].any() or observed[t].loc[observed.index >= grid[0]].any() or t in targets
    ]
    types += sorted(targets - set(types))
    lacking = [t for t in types if t not in unit_cost_gbp or not np.isfinite(unit_cost_gbp[t])]
    if lacking:
        raise ValueError(f"no unit cost for provision type(s) {', '.join(lacking)}")

    ext_months = pd.PeriodIndex([last_seen, *forecast.forecast_months])
    notes: list[str] = []
    offset = grid.asi8 - last_seen.ordinal  # > 0: index into the forecast path; ≤ 0: an observed month
    is_forecast = offset > 0

    def annual(paths: dict[str, np.ndarray], sims: dict[str, np.ndarray]) -> tuple[dict, dict]:
        """Annual mean placements per type: (mean [years], simulated [repetitions × years])."""
        means, draws = {}, {}
        for name in types:
            seen = (
                observed[name].reindex(grid).fillna(0.0).to_numpy(dtype=float)
                if name in observed
                else np.zeros(len(grid))
            )
            index = np.where(is_forecast, offset, 0)
            monthly_mean = np.where(is_forecast, paths[name][index], seen)
            monthly_sims = np.where(is_forecast, sims[name][:, index], seen)
            means[name] = monthly_mean.reshape(len(years), 12).mean(axis=1)
            draws[name] = monthly_sims.reshape(-1, len(years), 12).mean(axis=2)
        return means, draws

    repetitions = next(iter(forecast.sim_paths.values())).shape[0]
    horizon = len(forecast.forecast_months)
    base_paths, base_sims = {}, {}
    for t in types:
        last = forecast.last_observed(t) if t in forecast.mean_paths else 0.0
        mean_path = forecast.mean_paths.get(t, np.zeros(horizon))
        sim_path = forecast.sim_paths.get(t, np.zeros((repetitions, horizon)))
        base_paths[t] = np.concatenate([[last], mean_path])
        base_sims[t] = np.column_stack([np.full(repetitions, last), sim_path])
    unmitigated_mean, _ = annual(base_paths, base_sims)
    bottom_up = sum(unmitigated_mean[t][0] * float(unit_cost_gbp[t]) for t in types)
    if bottom_up <= 0:
        raise ValueError("no placements with a cost in the current year: nothing to anchor the projection to")
    anchor = float(in_year_placement_spend_gbp / bottom_up)
    if not 0.5 <= anchor <= 2.0:
        notes.append(
            f"anchor factor {anchor:.2f}: the in-year forecast and placements × agreed cost differ a lot"
        )

    base_cost = {}
    for name in types:
        costs = [float(unit_cost_gbp[name]) * anchor]
        for year in years[1:]:
            costs.append(costs[-1] * (1 + assumptions.unit_cost_growth_rate(name, year)))
        base_cost[name] = np.array(costs)
    other = [float(in_year_other_spend_gbp)]
    income = [float(income_gbp[current_year])]
    for year in years[1:]:
        other.append(other[-1] * (1 + (assumptions.non_placement_spend_growth_pct.rate(year) or 0.0)))
        income.append(
            float(income_gbp[year])
            if year in income_gbp
            else income[-1] * (1 + (assumptions.income_growth_pct.rate(year) or 0.0))
        )
    other_spend, income_by_year = np.array(other), np.array(income)
    plan = planned_closing_balance_gbp or {}

    scenarios: list[Scenario] = [
        # built without validation: the baseline's name is the one a user may not give a scenario
        Scenario.model_construct(
            name=UNMITIGATED, description="No mitigation: placements follow the forecast."
        ),
        *assumptions.scenarios,
    ]
    rows: list[dict[str, Any]] = []
    for scenario in scenarios:
        scenario_paths = _apply_placement_actions(
            base_paths, ext_months, scenario.actions, forecast.leaver_rate_per_month
        )
        scenario_sims = {
            t: np.clip(base_sims[t] + (scenario_paths[t] - base_paths[t]), 0, None) for t in types
        }
        placements, draws = annual(scenario_paths, scenario_sims)
        cost = {t: base_cost[t].copy() for t in types}
        for action in scenario.actions:
            if isinstance(action, UnitCostMultiplier):
                if action.from_year <= current_year:
                    notes.append(
                        f"{scenario.name}: a unit-cost change takes effect from the year after "
                        f"{current_year}, not in it"
                    )
                effective = [y for y, year in enumerate(years) if y > 0 and year >= action.from_year]
                for name in action.provision_types or tuple(types):
                    if name in cost and effective:
                        cost[name][effective[0] :] *= action.factor
        scenario_other = other_spend.copy()
        for action in scenario.actions:
            if isinstance(action, Investment):
                for y, year in enumerate(years):
                    if action.from_year <= year and (action.until_year is None or year <= action.until_year):
                        scenario_other[y] += action.amount_gbp
            elif isinstance(action, Saving) and action.financial_year in years:
                scenario_other[years.index(action.financial_year)] -= action.amount_gbp

        total_spend = scenario_other.copy()
        total_draws = np.tile(scenario_other, (repetitions, 1))
        total_placements = np.zeros(len(years))
        placement_draws = np.zeros_like(total_draws)
        for name in types:
            spend = placements[name] * cost[name]
            total_spend += spend
            total_draws += draws[name] * cost[name]
            total_placements += placements[name]
            placement_draws += draws[name]
            rows.extend(_rows(years, scenario, name, placements[name], draws[name], cost[name], spend))
        rows.extend(_rows(years, scenario, None, None, None, None, scenario_other))

        in_year = income_by_year - total_spend
        opening = np.nan if opening_balance_gbp is None else float(opening_balance_gbp)
        cumulative = opening + np.cumsum(in_year)
        cumulative_draws = opening + np.cumsum(income_by_year - total_draws, axis=1)
        for y, year in enumerate(years):
            row = _base_row(year, scenario, ALL_TYPES, years)
            row.update(
                {
                    "placements": total_placements[y],
                    **{
                        f"placements_{k}": float(np.quantile(placement_draws[:, y], q))
                        for k, q in _QUANTILES.items()
                    },
                    "cost_per_placement_gbp": (total_spend[y] - scenario_other[y]) / total_placements[y]
                    if total_placements[y] > 0
                    else None,
                    "spend_gbp": total_spend[y],
                    **{
                        f"spend_{k}_gbp": float(np.quantile(total_draws[:, y], q))
                        for k, q in _QUANTILES.items()
                    },
                    "income_gbp": income_by_year[y],
                    "in_year_balance_gbp": in_year[y],
                    "cumulative_balance_gbp": cumulative[y],
                    **{
                        f"cumulative_balance_{k}_gbp": float(np.quantile(cumulative_draws[:, y], q))
                        for k, q in _QUANTILES.items()
                    },
                    "planned_closing_balance_gbp": plan.get(year),
                }
            )
            rows.append(row)

    table = pd.DataFrame(rows)
    key = ["financial_year", "provision_type"]
    spend_unmitigated = table[table["scenario"] == UNMITIGATED].set_index(key)["spend_gbp"]
    unmitigated_spend = table[key].apply(tuple, axis=1).map(spend_unmitigated.to_dict())
    table["costs_avoided_gbp"] = unmitigated_spend.astype(float) - table["spend_gbp"]
    table = table.reindex(columns=list(MART_COLUMNS))
    if opening_balance_gbp is None:
        notes.append("no opening DSG balance for the current year: cumulative balances are unknown")
        for column in [c for c in MART_COLUMNS if c.startswith("cumulative_balance")]:
            table[column] = np.nan
    headline = table[table["provision_type"] == ALL_TYPES][
        [
            "financial_year",
            "scenario",
            "spend_gbp",
            "income_gbp",
            "in_year_balance_gbp",
            "cumulative_balance_gbp",
            "cumulative_balance_p10_gbp",
            "cumulative_balance_p90_gbp",
            "cumulative_balance_p025_gbp",
            "cumulative_balance_p975_gbp",
            "planned_closing_balance_gbp",
            "costs_avoided_gbp",
        ]
    ].reset_index(drop=True)
    return HighNeedsProjection(
        table=table,
        headline=headline,
        current_year=current_year,
        financial_years=tuple(years),
        scenarios=tuple(s.name for s in scenarios),
        anchor_factor=anchor,
        notes=tuple(dict.fromkeys(notes)),
    )


def _base_row(
    year: str, scenario: Scenario, provision_type: str | None, years: Sequence[str]
) -> dict[str, Any]:
    return {
        "financial_year": year,
        "scenario": scenario.name,
        "scenario_description": scenario.description,
        "provision_type": provision_type,
        "is_current_year": year == years[0],
    }


def _rows(
    years: Sequence[str],
    scenario: Scenario,
    provision_type: str | None,
    placements: np.ndarray | None,
    draws: np.ndarray | None,
    cost: np.ndarray | None,
    spend: np.ndarray,
) -> list[dict[str, Any]]:
    """Rows of one provision type (or the non-placement row when `provision_type` is None) for every year."""
    rows = []
    for y, year in enumerate(years):
        row = _base_row(year, scenario, provision_type, years)
        row["spend_gbp"] = float(spend[y])
        if placements is not None and draws is not None and cost is not None:
            row["placements"] = float(placements[y])
            row["cost_per_placement_gbp"] = float(cost[y])
            for k, q in _QUANTILES.items():
                quantile = float(np.quantile(draws[:, y], q))
                row[f"placements_{k}"] = quantile
                row[f"spend_{k}_gbp"] = quantile * float(cost[y])
        rows.append(row)
    return rows
