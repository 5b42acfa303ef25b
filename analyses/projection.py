"""Multi-year High Needs projection: placements forecast × unit cost, income, balances and mitigations.

The shape follows DfE's Delivering Better Value framing: spend is driven by the number of placements
(children with an EHCP in each kind of provision) × the average cost per placement of that kind, plus the
spend that is not placements; savings are **costs avoided against the unmitigated forecast**.

Three plain functions, no I/O:

- `parse_assumptions` validates the finance officer's assumptions (unit-cost, income and non-placement
  growth; named mitigation scenarios) and names the offending key in every error;
- `forecast_placements` fits a time-series model per provision type to monthly active placements and
  returns mean paths with 80 % and 95 % prediction intervals;
- `project_finances` turns placements into spend by financial year, anchors the current year to the
  in-year forecast with growth, adds income and balances, and applies the scenarios.

statsmodels is imported inside the fitting function: it is slow to import and the Dagster definitions
load this module's siblings.
"""

from __future__ import annotations

import math
import re
import warnings
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

PI_LEVELS = (0.80, 0.95)
"""The two prediction-interval levels every projection reports (columns `_p10/_p90` and `_p025/_p975`)."""

UNMITIGATED = "unmitigated"
ALL_TYPES = "all"
_FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_SCENARIO_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
MIN_HISTORY_MONTHS = 12
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


def _is_financial_year(value: object) -> bool:
    if not isinstance(value, str):
        return False
    match = _FINANCIAL_YEAR.match(value)
    return bool(match) and (int(match.group(1)) + 1) % 100 == int(match.group(2))


def _to_periods(values: pd.Series) -> pd.PeriodIndex:
    if isinstance(values.dtype, pd.PeriodDtype):
        return pd.PeriodIndex(values).asfreq("M")
    return pd.PeriodIndex(pd.to_datetime(values.astype(str), format="mixed").dt.to_period("M"))


# --------------------------------------------------------------------------------------------------
# Assumptions


class AssumptionsError(ValueError):
    """An assumptions file that cannot be used; the message starts with the key at fault."""


@dataclass(frozen=True)
class RateSchedule:
    """A yearly growth rate (a fraction: 0.03 = 3 %) for named years, with a default for the others."""

    by_year: Mapping[str, float]
    default: float | None

    def rate(self, financial_year: str) -> float | None:
        return self.by_year.get(financial_year, self.default)


@dataclass(frozen=True)
class Shift:
    """A share of the *new* placements of one provision type goes to another type instead."""

    from_type: str
    to_type: str
    share_of_new: float
    from_year: str


@dataclass(frozen=True)
class GrowthMultiplier:
    """The month-on-month growth in placements of some types is multiplied by `factor` from a year."""

    provision_types: tuple[str, ...] | None  # None = every type
    factor: float
    from_year: str


@dataclass(frozen=True)
class UnitCostMultiplier:
    """The cost per placement of some types is multiplied by `factor` from a year (e.g. a framework)."""

    provision_types: tuple[str, ...] | None
    factor: float
    from_year: str


@dataclass(frozen=True)
class Investment:
    """Extra non-placement spend a mitigation needs (e.g. an inclusion team), £ a year, not inflated."""

    amount_gbp: float
    from_year: str
    until_year: str | None


Action = Shift | GrowthMultiplier | UnitCostMultiplier | Investment


@dataclass(frozen=True)
class Scenario:
    name: str
    description: str
    actions: tuple[Action, ...]


@dataclass(frozen=True)
class ProjectionAssumptions:
    """Everything a user sets for the projection, validated (see `config/projection.yaml`)."""

    years: int
    history_months: int
    pool_below_placements: float
    unit_cost_growth: Mapping[str, RateSchedule]  # key `all` always present
    income_growth: RateSchedule
    non_placement_spend_growth: RateSchedule
    scenarios: tuple[Scenario, ...]

    def unit_cost_growth_rate(self, provision_type: str, financial_year: str) -> float:
        own = self.unit_cost_growth.get(provision_type)
        rate = own.rate(financial_year) if own is not None else None
        if rate is None:
            rate = self.unit_cost_growth[ALL_TYPES].rate(financial_year)
        return float(rate or 0.0)


def _fail(key: str, message: str) -> AssumptionsError:
    return AssumptionsError(f"{key}: {message}")


def _mapping(value: object, key: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise _fail(key, f"must be a set of `name: value` entries, got {value!r}")
    return value


def _only_keys(value: Mapping[str, Any], allowed: Iterable[str], key: str) -> None:
    allowed = list(allowed)
    for name in value:
        if name not in allowed:
            raise _fail(
                f"{key}.{name}" if key else str(name), f"unknown key; expected one of {', '.join(allowed)}"
            )


def _number(value: object, key: str, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise _fail(key, f"must be a number, got {value!r}")
    if not low <= value <= high:
        raise _fail(key, f"must be between {low:g} and {high:g}, got {value!r}")
    return float(value)


def _year(value: object, key: str) -> str:
    if not _is_financial_year(value):
        raise _fail(key, f"must be a financial year written like 2026-27, got {value!r}")
    return str(value)


def _provision_types(value: object, key: str, known: set[str] | None) -> tuple[str, ...] | None:
    if value == ALL_TYPES:
        return None
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not names or not all(isinstance(name, str) for name in names):
        raise _fail(key, f"must be `all`, a provision type, or a list of provision types, got {value!r}")
    for name in names:
        _provision_type(name, key, known)
    return tuple(names)


def _provision_type(value: object, key: str, known: set[str] | None) -> str:
    if not isinstance(value, str) or (known is not None and value not in known):
        hint = f" (one of {', '.join(sorted(known))})" if known else ""
        raise _fail(key, f"unknown provision type {value!r}{hint}")
    return value


def _rate_schedule(value: object, key: str, need_default: bool) -> RateSchedule:
    """A percentage for every year (`3.0`) or per year (`{2026-27: 4.0, default: 3.0}`), as a fraction."""
    if not isinstance(value, Mapping):
        return RateSchedule({}, _number(value, key, -50, 100) / 100)
    by_year: dict[str, float] = {}
    default = None
    for name, rate in value.items():
        if name == "default":
            default = _number(rate, f"{key}.default", -50, 100) / 100
        else:
            by_year[_year(name, f"{key}.{name}")] = _number(rate, f"{key}.{name}", -50, 100) / 100
    if need_default and default is None:
        raise _fail(key, "add a `default:` percentage for the years not listed")
    return RateSchedule(by_year, default)


def _action_entries(value: object, key: str) -> list[tuple[Mapping[str, Any], str]]:
    entries = value if isinstance(value, list) else [value]
    keyed = [(entry, f"{key}[{i}]" if isinstance(value, list) else key) for i, entry in enumerate(entries)]
    return [(_mapping(entry, entry_key), entry_key) for entry, entry_key in keyed]


def _parse_scenario(raw: object, key: str, known: set[str] | None) -> Scenario:
    spec = _mapping(raw, key)
    _only_keys(
        spec,
        ["name", "description", "shift", "growth_multiplier", "unit_cost_multiplier", "investment"],
        key,
    )
    name = spec.get("name")
    if not isinstance(name, str) or not _SCENARIO_NAME.match(name):
        raise _fail(
            f"{key}.name", f"must be lower-case words joined by _ (e.g. fewer_independent), got {name!r}"
        )
    if name == UNMITIGATED:
        raise _fail(f"{key}.name", f"`{UNMITIGATED}` is always projected; give the mitigation another name")
    description = spec.get("description", "")
    if not isinstance(description, str):
        raise _fail(f"{key}.description", "must be text")
    actions: list[Action] = []
    for entry, entry_key in _action_entries(spec.get("shift", []), f"{key}.shift"):
        _only_keys(entry, ["from", "to", "share_of_new", "from_year"], entry_key)
        for required in ("from", "to", "share_of_new", "from_year"):
            if required not in entry:
                raise _fail(f"{entry_key}.{required}", "required")
        shift = Shift(
            from_type=_provision_type(entry["from"], f"{entry_key}.from", known),
            to_type=_provision_type(entry["to"], f"{entry_key}.to", known),
            share_of_new=_number(entry["share_of_new"], f"{entry_key}.share_of_new", 0, 1),
            from_year=_year(entry["from_year"], f"{entry_key}.from_year"),
        )
        if shift.from_type == shift.to_type:
            raise _fail(f"{entry_key}.to", "must differ from `from`")
        actions.append(shift)
    for kind, low, high in (("growth_multiplier", 0, 10), ("unit_cost_multiplier", 0.01, 10)):
        for entry, entry_key in _action_entries(spec.get(kind, []), f"{key}.{kind}"):
            _only_keys(entry, ["provision_types", "factor", "from_year"], entry_key)
            for required in ("factor", "from_year"):
                if required not in entry:
                    raise _fail(f"{entry_key}.{required}", "required")
            types = _provision_types(
                entry.get("provision_types", ALL_TYPES), f"{entry_key}.provision_types", known
            )
            factor = _number(entry["factor"], f"{entry_key}.factor", low, high)
            from_year = _year(entry["from_year"], f"{entry_key}.from_year")
            cls = GrowthMultiplier if kind == "growth_multiplier" else UnitCostMultiplier
            actions.append(cls(types, factor, from_year))
    for entry, entry_key in _action_entries(spec.get("investment", []), f"{key}.investment"):
        _only_keys(entry, ["amount_gbp", "from_year", "until_year"], entry_key)
        for required in ("amount_gbp", "from_year"):
            if required not in entry:
                raise _fail(f"{entry_key}.{required}", "required")
        until = entry.get("until_year")
        investment = Investment(
            amount_gbp=_number(entry["amount_gbp"], f"{entry_key}.amount_gbp", 0, 1e10),
            from_year=_year(entry["from_year"], f"{entry_key}.from_year"),
            until_year=None if until is None else _year(until, f"{entry_key}.until_year"),
        )
        if investment.until_year is not None and investment.until_year < investment.from_year:
            raise _fail(f"{entry_key}.until_year", "is before from_year")
        actions.append(investment)
    if not actions:
        raise _fail(
            key,
            f"scenario {name!r} changes nothing: give it a shift, growth_multiplier, "
            "unit_cost_multiplier or investment",
        )
    return Scenario(name=name, description=description, actions=tuple(actions))


def parse_assumptions(
    raw: object, known_provision_types: Iterable[str] | None = None
) -> ProjectionAssumptions:
    """Validate the assumptions as read from YAML; every error names the key, e.g. `scenarios[1].shift.to`.

    Percentages are written as percent (3.0 = 3 %) because that is how a finance officer says them; the
    result holds fractions.
    """
    known = set(known_provision_types) if known_provision_types is not None else None
    spec = _mapping(raw, "assumptions file")
    _only_keys(
        spec,
        [
            "years",
            "forecast",
            "unit_cost_growth_pct",
            "income_growth_pct",
            "non_placement_spend_growth_pct",
            "scenarios",
        ],
        "",
    )
    for required in ("unit_cost_growth_pct", "income_growth_pct", "non_placement_spend_growth_pct"):
        if required not in spec:
            raise _fail(required, "required")
    years = spec.get("years", 5)
    if isinstance(years, bool) or not isinstance(years, int) or not 1 <= years <= 10:
        raise _fail("years", f"must be a whole number of financial years from 1 to 10, got {years!r}")
    forecast = _mapping(spec.get("forecast", {}), "forecast")
    _only_keys(forecast, ["history_months", "pool_below_placements"], "forecast")
    history_months = forecast.get("history_months", 60)
    if (
        isinstance(history_months, bool)
        or not isinstance(history_months, int)
        or history_months < MIN_HISTORY_MONTHS
    ):
        raise _fail(
            "forecast.history_months",
            f"must be a whole number of months ≥ {MIN_HISTORY_MONTHS}, got {history_months!r}",
        )
    pool_below = _number(forecast.get("pool_below_placements", 20), "forecast.pool_below_placements", 0, 1e6)

    unit_cost_raw = _mapping(spec["unit_cost_growth_pct"], "unit_cost_growth_pct")
    if ALL_TYPES not in unit_cost_raw:
        raise _fail("unit_cost_growth_pct.all", "required: the growth for every provision type not listed")
    unit_cost_growth = {}
    for name, value in unit_cost_raw.items():
        key = f"unit_cost_growth_pct.{name}"
        if name != ALL_TYPES:
            _provision_type(name, key, known)
        unit_cost_growth[name] = _rate_schedule(value, key, need_default=name == ALL_TYPES)

    scenarios_raw = spec.get("scenarios") or []
    if not isinstance(scenarios_raw, list):
        raise _fail("scenarios", "must be a list of scenarios (each starting with `- name:`)")
    scenarios = tuple(_parse_scenario(item, f"scenarios[{i}]", known) for i, item in enumerate(scenarios_raw))
    seen: set[str] = set()
    for i, scenario in enumerate(scenarios):
        if scenario.name in seen:
            raise _fail(f"scenarios[{i}].name", f"{scenario.name!r} is used twice")
        seen.add(scenario.name)

    return ProjectionAssumptions(
        years=years,
        history_months=history_months,
        pool_below_placements=pool_below,
        unit_cost_growth=unit_cost_growth,
        income_growth=_rate_schedule(spec["income_growth_pct"], "income_growth_pct", need_default=True),
        non_placement_spend_growth=_rate_schedule(
            spec["non_placement_spend_growth_pct"], "non_placement_spend_growth_pct", need_default=True
        ),
        scenarios=scenarios,
    )


# --------------------------------------------------------------------------------------------------
# Placements forecast


@dataclass(frozen=True)
class PlacementForecast:
    """Monthly active placements per provision type: history, mean forecast and simulated paths.

    `mean_paths[t]` is the expected count (mean on the original scale) for each of `forecast_months`;
    `sim_paths[t]` holds `repetitions × months` simulated counts, jointly drawn across types, from which
    every interval (monthly or annual, per type or summed) is read as empirical quantiles.
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
        table = pd.concat(
            [
                pd.DataFrame(
                    {
                        "month": months.astype(str),
                        "provision_type": name,
                        "mean": path,
                        "median": path,
                        "p10": path,
                        "p90": path,
                        "p025": path,
                        "p975": path,
                    }
                )
                for name, path in means.items()
            ],
            ignore_index=True,
        )
        return cls(
            provision_types=types,
            history=history,
            forecast_months=months,
            mean_paths=means,
            sim_paths={name: path[None, :] for name, path in means.items()},
            leaver_rate_per_month={
                name: float((leaver_rate_per_month or {}).get(name, 0.0)) for name in types
            },
            models=pd.DataFrame({"series": list(types), "model": "given", "provision_types": list(types)}),
            table=table,
            n_history_months=history["month"].nunique(),
        )

    def summary(self) -> str:
        """One line per modelled series: the model chosen, its fit and the growth it implies."""
        lines = [
            f"Placements forecast: {self.n_history_months} months of history to {self.last_history_month}, "
            f"{len(self.forecast_months)} months ahead; mean on the original scale, 80 %/95 % intervals "
            "from joint simulation"
        ]
        for row in self.models.itertuples(index=False):
            growth = getattr(row, "implied_growth_pct_per_year", float("nan"))
            lines.append(
                f"  {row.series}: {row.model}, {getattr(row, 'n_months', '?')} months, "
                f"implied growth {growth:+.1f} %/year"
            )
        return "\n".join(lines)


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
    """Fit the candidate ETS models to one log series; return the lowest-AICc fit, its name and all AICcs."""
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


def _nearest_correlation(matrix: np.ndarray) -> np.ndarray:
    """A valid correlation matrix close to `matrix` (eigenvalues clipped), so it has a Cholesky factor."""
    matrix = np.nan_to_num(matrix, nan=0.0)
    np.fill_diagonal(matrix, 1.0)
    values, vectors = np.linalg.eigh((matrix + matrix.T) / 2)
    fixed = vectors @ np.diag(np.clip(values, 1e-6, None)) @ vectors.T
    scale = np.sqrt(np.diag(fixed))
    return fixed / np.outer(scale, scale)


def forecast_placements(
    monthly_counts: pd.DataFrame,
    horizon_months: int,
    *,
    provision_groups: Mapping[str, str] | None = None,
    pool_below: float = 20.0,
    history_months: int | None = 60,
    repetitions: int = 2000,
    seed: int = 20250401,
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
    The lowest AICc wins; AICc is comparable here because every candidate is fitted by maximum likelihood
    to the same series, which would not hold between ETS and a differenced ARIMA.

    **Small types.** A type whose mean count over the last 12 months is below `pool_below` is forecast
    as its share (over the last 12 months) of its `provision_groups` group's total, which is modelled as
    one series: a handful of placements gives an unstable trend and, on the log scale, an exploding
    mean. Large types keep their own model, so a group's parts need not add up to its modelled total.

    **Uncertainty.** `mean` is the mean on the original scale, exp(μ + σ²/2) − 1 from the model's
    Gaussian forecast distribution of the log, i.e. the expected count spend should be costed on (the
    back-transformed point forecast exp(μ) − 1 would be the median, `median`). Intervals are quantiles
    of `repetitions` simulated paths: the monotone back-transform carries quantiles over exactly, and
    simulating lets annual averages and totals across types have intervals too. Innovations are drawn
    jointly across series with the correlation of the fitted models' residuals, so the total is not made
    falsely precise by assuming independence. The intervals are conditional on the estimated parameters
    (as in standard ETS practice), so they are, if anything, too narrow at five years.
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

    dates = months.to_timestamp(how="start")
    fits: dict[str, tuple[Any, str, dict[str, float]]] = {}
    residuals = {}
    for key, (summed, _) in series.items():
        log_counts = pd.Series(
            np.log1p(wide[summed].sum(axis=1).to_numpy(dtype=float)),
            index=pd.DatetimeIndex(dates, freq="MS"),
            name=key,
        )
        if log_counts.nunique() < 2:  # a constant series has no dynamics to fit
            continue
        fits[key] = _fit_best_ets(log_counts)
        result = fits[key][0]
        residuals[key] = np.asarray(result.resid, dtype=float) / math.sqrt(result.scale)

    rng = np.random.default_rng(seed)
    keys = list(fits)
    if keys:
        correlation = _nearest_correlation(
            np.corrcoef(np.vstack([residuals[k] for k in keys])) if len(keys) > 1 else np.ones((1, 1))
        )
        shocks = (
            rng.standard_normal((horizon_months, repetitions, len(keys))) @ np.linalg.cholesky(correlation).T
        )

    mean_paths: dict[str, np.ndarray] = {}
    sim_paths: dict[str, np.ndarray] = {}
    model_rows = []
    for key, (summed, members) in series.items():
        total_now = float(wide[summed].iloc[-1].sum())
        if key in fits:
            result, chosen, aiccs = fits[key]
            prediction = result.get_prediction(start=n, end=n + horizon_months - 1)
            mu = np.asarray(prediction.predicted_mean, dtype=float)
            variance = np.asarray(prediction.forecast_variance, dtype=float)
            mean = np.expm1(mu + variance / 2)
            errors = math.sqrt(result.scale) * shocks[:, :, keys.index(key)]
            sims = np.expm1(
                np.asarray(
                    result.simulate(
                        horizon_months, anchor="end", repetitions=repetitions, random_errors=errors
                    ),
                    dtype=float,
                ).T
            )
            model_name, sigma, aicc_text = (
                chosen,
                math.sqrt(result.scale),
                ", ".join(
                    f"{name} {value:.1f}" for name, value in sorted(aiccs.items(), key=lambda item: item[1])
                ),
            )
        else:
            mean = np.full(horizon_months, total_now)
            sims = np.tile(mean, (repetitions, 1))
            model_name, sigma, aicc_text = "constant (no variation in history)", 0.0, ""
        mean, sims = np.clip(mean, 0, None), np.clip(sims, 0, None)
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
                "aicc_by_candidate": aicc_text,
                "implied_growth_pct_per_year": 100 * growth,
            }
        )
    for name in types:
        if name not in mean_paths:  # no placements at all in the window
            mean_paths[name] = np.zeros(horizon_months)
            sim_paths[name] = np.zeros((repetitions, horizon_months))

    table = pd.concat(
        [
            pd.DataFrame(
                {
                    "month": forecast_months.astype(str),
                    "provision_type": name,
                    "mean": mean_paths[name],
                    "median": np.median(sim_paths[name], axis=0),
                    "p10": np.quantile(sim_paths[name], 0.10, axis=0),
                    "p90": np.quantile(sim_paths[name], 0.90, axis=0),
                    "p025": np.quantile(sim_paths[name], 0.025, axis=0),
                    "p975": np.quantile(sim_paths[name], 0.975, axis=0),
                }
            )
            for name in types
        ],
        ignore_index=True,
    )
    return PlacementForecast(
        provision_types=types,
        history=history,
        forecast_months=forecast_months,
        mean_paths=mean_paths,
        sim_paths=sim_paths,
        leaver_rate_per_month=leaver_rate,
        models=pd.DataFrame(model_rows),
        table=table,
        n_history_months=n,
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
    in-year forecast with growth on placement lines to the bottom-up placements × agreed cost.
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
            f"(current year anchored to the forecast with growth; anchor factor {self.anchor_factor:.3f})"
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
    `in_year_placement_spend_gbp` (Σ forecast_with_growth on placement s251 lines) by one factor k on every
    unit cost, k = that forecast ÷ Σ placements × `unit_cost_gbp` (the agreed annual costs); k absorbs what
    the agreed costs miss (recoupment, part-year top-ups, non-placement lines coded to placement lines).
    Non-placement spend starts at `in_year_other_spend_gbp`. So the first year's unmitigated total equals
    Σ forecast_with_growth exactly; later years grow unit costs, non-placement spend and income at the
    assumed rates. Income of a year in `income_gbp` is used as given (a known allocation), else grown.

    Scenarios change the *expected* placement path (`_apply_placement_actions`) from their `from_year`, and
    never the months already observed; the uncertainty around a scenario is the unmitigated model's, moved
    by the same amount. Unit-cost multipliers take effect no earlier than the year after the current one
    (this year's costs are largely committed). `costs_avoided_gbp` = unmitigated spend − scenario spend.
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
        other.append(other[-1] * (1 + (assumptions.non_placement_spend_growth.rate(year) or 0.0)))
        income.append(
            float(income_gbp[year])
            if year in income_gbp
            else income[-1] * (1 + (assumptions.income_growth.rate(year) or 0.0))
        )
    other_spend, income_by_year = np.array(other), np.array(income)
    plan = planned_closing_balance_gbp or {}

    scenarios: list[Scenario] = [
        Scenario(UNMITIGATED, "No mitigation: placements follow the forecast.", ()),
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
