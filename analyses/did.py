"""Callaway & Sant'Anna (2021) group-time average treatment effects for staggered adoption.

Naive two-way fixed effects is biased when schools adopt a programme at different dates and the effect
differs by cohort or grows with exposure (Goodman-Bacon 2021): already-treated schools end up as controls.
Callaway & Sant'Anna (2021, *J. Econometrics* 225(2), 200-230) avoid this by estimating one 2×2
difference-in-differences per (cohort g, period t), ATT(g,t) (their eq. 2.6/2.7), using only never-treated
or not-yet-treated schools as comparisons, and then averaging the ATT(g,t) with cohort-size weights
(their Section 3).

This module reproduces R ``did`` 2.x (``att_gt`` + ``aggte`` with ``bstrap = FALSE``) for balanced panels:

* the 2×2 estimators are those R ``did`` calls from ``DRDID``: ``reg_did_panel`` (outcome regression,
  Heckman, Ichimura & Todd 1997), ``std_ipw_did_panel`` (Hajek-normalised IPW, Abadie 2005) and
  ``drdid_panel`` (doubly robust, Sant'Anna & Zhao 2020 eq. 3.1, with R's propensity-score trimming);
* standard errors come from the influence functions (Callaway & Sant'Anna 2021, Theorem 2), which with a
  balanced panel is the standard unit-clustered analytical SE;
* aggregations follow ``did::compute.aggte`` including the extra influence-function term for the estimated
  cohort-size weights (``wif``).

Everything is vectorised: the only Python loops run over (cohort, comparison-set) designs, never units.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import linalg, special, stats

ControlGroup = Literal["never_treated", "not_yet_treated"]
Method = Literal["reg", "ipw", "dr"]
BasePeriod = Literal["varying", "universal"]
AggregationKind = Literal["simple", "dynamic", "group", "calendar"]

# R did reports an SE below this as NA (``se <= sqrt(.Machine$double.eps) * 10``).
_SE_FLOOR = float(np.sqrt(np.finfo(float).eps) * 10)
# DRDID caps fitted propensity scores so that ps / (1 - ps) stays finite.
_PS_CAP = 1 - 1e-6
# DRDID drops comparison units whose propensity score reaches this level (``trim.level``).
_TRIM_LEVEL = 0.995
# R did sets ATT(g,t) to NA when a preliminary logit finds max(ps) >= 0.999 (overlap fails).
_OVERLAP_LIMIT = 0.999


class DidDataWarning(UserWarning):
    """Rows, units or cohorts were dropped or recoded while preparing the panel, as R ``did`` does."""


@dataclass(frozen=True)
class _WidePanel:
    """A balanced panel in wide form: one row per unit, one column per period."""

    unit_ids: np.ndarray
    periods: np.ndarray
    cohort: np.ndarray  # first treated period per unit; 0 = never treated (within the window)
    outcome: np.ndarray  # (n_units, n_periods)
    covariates: np.ndarray | None  # (n_units, n_periods, k) without intercept
    covariates_time_invariant: bool
    cohorts: np.ndarray  # cohorts with an ATT(g,t) to estimate, ascending


@dataclass(frozen=True)
class AggregateResult:
    """An aggregated treatment effect (R ``did::aggte``) with its influence-function standard error.

    ``estimate``/``std_error`` are the overall figure R prints; ``table`` holds one row per event time
    (``dynamic``), cohort (``group``) or calendar period (``calendar``); for ``simple`` it has one row.
    ``table_influence`` (n_units × table rows) holds each row's influence function (R's
    ``inf.function$dynamic.inf.func.e`` for ``dynamic``), so joint tests and simultaneous bands on the table
    rows use the same covariance as their standard errors.
    """

    kind: AggregationKind
    estimate: float
    std_error: float
    ci_low: float
    ci_high: float
    p_value: float
    alpha: float
    n_units: int
    table: pd.DataFrame
    influence: np.ndarray = field(repr=False)
    table_influence: np.ndarray = field(repr=False)

    def summary(self) -> str:
        """A plain-text summary in the layout of R's ``summary(aggte(...))``."""
        level = round(100 * (1 - self.alpha))
        head = (
            f"Callaway & Sant'Anna aggregation: {self.kind}\n"
            f"Overall ATT {self.estimate:.4f} (SE {self.std_error:.4f}), "
            f"{level}% CI {self.ci_low:.4f} to {self.ci_high:.4f}, p = {self.p_value:.4g}; "
            f"{self.n_units} units"
        )
        if self.kind == "simple":
            return head
        return head + "\n" + self.table.to_string(index=False, float_format=lambda v: f"{v:.4f}")


@dataclass(frozen=True)
class PretrendTest:
    """Wald test that all pre-treatment ATT(g,t) are zero (R ``did``'s ``W``/``Wpval``)."""

    statistic: float
    df: int
    p_value: float


@dataclass(frozen=True)
class ATTgtResult:
    """Group-time average treatment effects ATT(g,t) and the influence functions behind their SEs.

    ``influence`` is the n_units × n_cells matrix ψ whose columns satisfy
    √n (ATT̂(g,t) − ATT(g,t)) ≈ n^{-1/2} Σ_i ψ_i(g,t) (Callaway & Sant'Anna 2021, Theorem 2).
    """

    group_time: pd.DataFrame
    influence: np.ndarray = field(repr=False)
    unit_cohort: np.ndarray = field(repr=False)
    n_units: int
    n_periods: int
    control_group: ControlGroup
    method: Method
    base_period: BasePeriod
    anticipation: int
    alpha: float
    covariates: tuple[str, ...]
    panel: _WidePanel = field(repr=False, compare=False)
    cells: _Cells = field(repr=False, compare=False)

    @property
    def table(self) -> pd.DataFrame:
        """Alias of ``group_time`` so every result in ``analyses`` has a ``.table``."""
        return self.group_time

    @property
    def outcome(self) -> np.ndarray:
        """The balanced outcome matrix behind the cells: units × periods, in estimation order."""
        return self.panel.outcome

    def aggregate(
        self,
        kind: AggregationKind = "simple",
        *,
        min_e: float = -np.inf,
        max_e: float = np.inf,
        na_rm: bool = False,
        alpha: float | None = None,
    ) -> AggregateResult:
        """Aggregate ATT(g,t) as ``did::aggte(type=kind, bstrap=FALSE)``; see :func:`aggregate_att_gt`."""
        return aggregate_att_gt(self, kind, min_e=min_e, max_e=max_e, na_rm=na_rm, alpha=alpha)

    def pretrend_test(self) -> PretrendTest:
        """Wald test of H0: every pre-treatment ATT(g,t) is zero, as R ``att_gt`` reports it.

        W = n · θ̂_pre' V̂_pre⁻¹ θ̂_pre with V̂ = ψ'ψ / n, χ² with as many degrees of freedom as usable
        pre-treatment cells (cells with zero or missing variance are dropped, as R does). Under the varying
        base period these are the short-gap placebo DiDs of Callaway & Sant'Anna (2021, Section 4.1).
        """
        gt = self.group_time
        pre = np.flatnonzero(gt["cohort"].to_numpy() - self.anticipation > gt["time"].to_numpy())
        psi = self.influence[:, pre]
        variance = np.einsum("ij,ij->j", psi, psi) / self.n_units
        usable = np.isfinite(variance) & (variance > 0)
        pre, psi = pre[usable], psi[:, usable]
        if pre.size == 0:
            warnings.warn("No pre-treatment ATT(g,t) to test.", stacklevel=2)
            return PretrendTest(statistic=float("nan"), df=0, p_value=float("nan"))
        cov = psi.T @ psi / self.n_units
        theta = gt["att"].to_numpy()[pre]
        if 1.0 / np.linalg.cond(cov, 1) <= np.finfo(float).eps:
            warnings.warn("Pre-treatment covariance is singular; no Wald statistic.", stacklevel=2)
            return PretrendTest(statistic=float("nan"), df=int(pre.size), p_value=float("nan"))
        statistic = float(self.n_units * theta @ np.linalg.solve(cov, theta))
        return PretrendTest(
            statistic=statistic, df=int(pre.size), p_value=float(stats.chi2.sf(statistic, pre.size))
        )

    def summary(self) -> str:
        """ATT(g,t) table with the pre-trend test, in the spirit of R's ``summary(att_gt(...))``."""
        test = self.pretrend_test()
        return (
            f"Callaway & Sant'Anna group-time ATTs ({self.method}, {self.control_group.replace('_', '-')} "
            f"comparisons, {self.base_period} base period); {self.n_units} units × {self.n_periods} periods\n"
            + self.group_time.to_string(index=False, float_format=lambda v: f"{v:.4f}")
            + f"\nPre-trend Wald test: W = {test.statistic:.3f}, df = {test.df}, p = {test.p_value:.4g}"
        )


def att_gt(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: Sequence[str] | str | None = None,
    control_group: ControlGroup = "never_treated",
    method: Method = "dr",
    *,
    base_period: BasePeriod = "varying",
    anticipation: int = 0,
    alpha: float = 0.05,
) -> ATTgtResult:
    """Estimate every ATT(g,t) of Callaway & Sant'Anna (2021) on a balanced panel, as R ``did::att_gt``.

    ``cohort`` holds the first treated period (0 = never treated). As R does: rows with missing values are
    dropped, then units observed in only some periods; cohorts treated after the last period become
    never-treated; units treated in the first period (no pre-period) are dropped; with no never-treated
    units the last cohort serves only as a comparison and later periods are dropped. ``covariates`` (column
    names, or an R-style ``"~ x1 + x2"``) enter the 2×2 estimators at the base period of each comparison.
    Standard errors are the analytical influence-function SEs (R ``bstrap = FALSE``).
    """
    if control_group not in ("never_treated", "not_yet_treated"):
        raise ValueError("control_group must be 'never_treated' or 'not_yet_treated'")
    if method not in ("reg", "ipw", "dr"):
        raise ValueError("method must be 'reg', 'ipw' or 'dr'")
    if base_period not in ("varying", "universal"):
        raise ValueError("base_period must be 'varying' or 'universal'")
    covariate_names = _parse_covariates(covariates)
    panel = _prepare_panel(df, outcome, unit, time, cohort, covariate_names, control_group, anticipation)
    cells = _plan_cells(panel, control_group, base_period, anticipation)
    att, influence = _estimate_cells(panel, cells, method)

    n_units = panel.outcome.shape[0]
    with np.errstate(invalid="ignore"):
        se = np.sqrt(np.einsum("ij,ij->j", influence, influence) / n_units) / np.sqrt(n_units)
    se[~(se > _SE_FLOOR)] = np.nan
    z = stats.norm.ppf(1 - alpha / 2)
    group_time = pd.DataFrame(
        {
            "cohort": cells.cohort,
            "time": cells.time,
            "event_time": cells.time - cells.cohort,
            "post": cells.cohort <= cells.time,
            "att": att,
            "std_error": se,
            "ci_low": att - z * se,
            "ci_high": att + z * se,
            "n_treated": cells.n_treated,
            "n_comparison": cells.n_comparison,
        }
    )
    return ATTgtResult(
        group_time=group_time,
        influence=influence,
        unit_cohort=panel.cohort,
        n_units=n_units,
        n_periods=panel.outcome.shape[1],
        control_group=control_group,
        method=method,
        base_period=base_period,
        anticipation=anticipation,
        alpha=alpha,
        covariates=tuple(covariate_names),
        panel=panel,
        cells=cells,
    )


def replicate_att_gt(result: ATTgtResult, outcomes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Re-estimate every ATT(g,t) of ``result`` on B other outcome matrices with the same design.

    ``outcomes`` is units × periods × B, units and periods in the order of ``result.outcome``. Units,
    cohorts, comparison sets and covariates are kept, so each 2×2 estimator (and its propensity score) is
    the same linear map of the outcomes: that is what a wild bootstrap needs, at one batched solve per
    design instead of one ``att_gt`` call per draw. Returns ATT (cells × B) and the influence functions
    (units × cells × B).
    """
    outcomes = np.asarray(outcomes, dtype=float)
    if outcomes.ndim != 3 or outcomes.shape[:2] != result.panel.outcome.shape:
        raise ValueError(
            f"outcomes must be units × periods × B with units × periods {result.panel.outcome.shape}"
        )
    return _estimate_cells(result.panel, result.cells, result.method, outcomes)


def _parse_covariates(covariates: Sequence[str] | str | None) -> list[str]:
    if covariates is None:
        return []
    if isinstance(covariates, str):
        terms = covariates.replace("~", " ").split("+")
        names = [term.strip() for term in terms if term.strip() and term.strip() != "1"]
        return names
    return list(covariates)


def _prepare_panel(
    df: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    cohort: str,
    covariates: list[str],
    control_group: ControlGroup,
    anticipation: int,
) -> _WidePanel:
    """Apply R ``did::pre_process_did``'s sample rules and pivot to a wide balanced panel."""
    columns = [unit, time, cohort, outcome, *covariates]
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise KeyError(f"columns not in the data: {missing}")
    data = df[columns]
    for name in [time, cohort, outcome, *covariates]:
        if not pd.api.types.is_numeric_dtype(data[name]):
            raise TypeError(f"column {name!r} must be numeric")

    complete = data.notna().all(axis=1).to_numpy()
    unit_codes_all, unit_ids = pd.factorize(data[unit])
    times_all = data[time].to_numpy(dtype=float)
    cohort_all = data[cohort].to_numpy(dtype=float)
    if not complete.all():
        warnings.warn(f"Dropped {(~complete).sum()} rows with missing values.", DidDataWarning, stacklevel=3)
    if (cohort_all[complete] < 0).any():
        raise ValueError(f"{cohort!r} must be 0 (never treated) or the first treated period")

    # the cohort must be a unit attribute: R stops otherwise
    lo = np.full(len(unit_ids), np.inf)
    hi = np.full(len(unit_ids), -np.inf)
    np.minimum.at(lo, unit_codes_all[complete], cohort_all[complete])
    np.maximum.at(hi, unit_codes_all[complete], cohort_all[complete])
    observed = np.bincount(unit_codes_all[complete], minlength=len(unit_ids)) > 0
    if (lo != hi)[observed].any():
        raise ValueError(f"{cohort!r} must be the same in every period for each unit")

    keep = complete.copy()
    periods = np.unique(times_all[keep])
    unit_cohort = np.where(observed, lo, np.nan)
    # a unit first treated after the last period is never treated within the window (R recodes it to 0)
    unit_cohort[unit_cohort > periods.max() + anticipation] = 0

    glist = np.unique(unit_cohort[np.isfinite(unit_cohort) & (unit_cohort > 0)])
    if not (unit_cohort == 0).any():
        if glist.size == 0:
            raise ValueError("no treated and no never-treated units")
        latest = glist.max()
        keep &= times_all < latest - anticipation
        if control_group == "never_treated":
            # R did 2.x: coerce the last cohort to 'never treated' and drop periods from its adoption on
            warnings.warn(
                "No never-treated units: the last cohort is used as the comparison group and periods from "
                f"{latest - anticipation:g} on are dropped.",
                DidDataWarning,
                stacklevel=3,
            )
            unit_cohort[unit_cohort == latest] = 0
        else:
            warnings.warn(
                "No never-treated units: the last cohort serves only as a not-yet-treated comparison and "
                f"periods from {latest - anticipation:g} on are dropped.",
                DidDataWarning,
                stacklevel=3,
            )
        glist = glist[glist < latest]
        if not keep.any():
            raise ValueError("no periods left before the last cohort adopts")
        periods = np.unique(times_all[keep])

    first_period = periods.min()
    treated_first = (
        np.isfinite(unit_cohort) & (unit_cohort > 0) & (unit_cohort <= first_period + anticipation)
    )
    if treated_first.any():
        warnings.warn(
            f"Dropped {treated_first.sum()} units already treated in the first period.",
            DidDataWarning,
            stacklevel=3,
        )
        keep &= ~treated_first[unit_codes_all]
    glist = glist[glist > first_period + anticipation]

    # balance the panel: keep units observed in every period (R's makeBalancedPanel)
    time_codes = np.searchsorted(periods, times_all)
    row_units = unit_codes_all[keep]
    row_times = time_codes[keep]
    counts = np.bincount(row_units, minlength=len(unit_ids))
    duplicated = np.bincount(row_units * len(periods) + row_times, minlength=len(unit_ids) * len(periods))
    if (duplicated > 1).any():
        raise ValueError(f"more than one row per {unit!r} and {time!r}")
    complete_units = counts == len(periods)
    dropped_units = ((counts > 0) & ~complete_units).sum()
    if dropped_units:
        warnings.warn(
            f"Dropped {dropped_units} units not observed in every period (balanced panel required).",
            DidDataWarning,
            stacklevel=3,
        )
    kept_units = np.flatnonzero(complete_units)
    if kept_units.size == 0:
        raise ValueError("no units observed in every period")
    new_code = np.full(len(unit_ids), -1)
    new_code[kept_units] = np.arange(kept_units.size)
    rows = np.flatnonzero(keep & complete_units[unit_codes_all])
    r_unit = new_code[unit_codes_all[rows]]
    r_time = time_codes[rows]

    n, n_periods = kept_units.size, len(periods)
    y = np.empty((n, n_periods))
    y[r_unit, r_time] = data[outcome].to_numpy(dtype=float)[rows]
    x = None
    time_invariant = True
    if covariates:
        x = np.empty((n, n_periods, len(covariates)))
        x[r_unit, r_time, :] = data[covariates].to_numpy(dtype=float)[rows]
        time_invariant = bool(np.all(x == x[:, :1, :]))
    unit_cohort = unit_cohort[kept_units]
    glist = glist[np.isin(glist, unit_cohort)]
    if glist.size == 0:
        raise ValueError("no treated cohort with a pre-treatment period is left")
    return _WidePanel(
        unit_ids=np.asarray(unit_ids)[kept_units],
        periods=periods,
        cohort=unit_cohort,
        outcome=y,
        covariates=x,
        covariates_time_invariant=time_invariant,
        cohorts=glist,
    )


@dataclass(frozen=True)
class _Cells:
    """One entry per ATT(g,t): its cohort, period, the two period columns compared, and its design."""

    cohort: np.ndarray
    time: np.ndarray
    post_col: np.ndarray
    base_col: np.ndarray
    design: np.ndarray  # index into design_keys; -1 for a universal-base reference cell (ATT ≡ 0)
    design_keys: list[tuple[float, float, int]]
    n_treated: np.ndarray
    n_comparison: np.ndarray


def _plan_cells(
    panel: _WidePanel, control_group: ControlGroup, base_period: BasePeriod, anticipation: int
) -> _Cells:
    """List the (g,t) cells in R's order with the base period and comparison set of each.

    Base period (Callaway & Sant'Anna 2021, eq. 2.6 and Section 4.1): post-treatment cells compare with
    g − δ − 1, the last period before (anticipated) treatment; pre-treatment cells compare with t − 1
    (``varying``) or with g − δ − 1 (``universal``). Not-yet-treated comparisons are units first treated
    after the later of the two periods (+δ), excluding cohort g.
    """
    periods = panel.periods
    n_periods = len(periods)
    offset = 1 if base_period == "varying" else 0
    cohorts, times, post_cols, base_cols, designs = [], [], [], [], []
    n_treated, n_comparison = [], []
    keys: dict[tuple[float, float, int], int] = {}
    unit_cohort = panel.cohort
    for g in panel.cohorts:
        last_pre = int(np.flatnonzero(periods + anticipation < g)[-1])
        treated_count = int((unit_cohort == g).sum())
        for t_i in range(n_periods - offset):
            post_col = t_i + offset
            base_col = t_i if base_period == "varying" else last_pre
            if g - anticipation <= periods[post_col]:
                base_col = last_pre
            cohorts.append(g)
            times.append(periods[post_col])
            post_cols.append(post_col)
            base_cols.append(base_col)
            if base_col == post_col:
                designs.append(-1)
                n_treated.append(treated_count)
                n_comparison.append(0)
                continue
            later = periods[max(post_col, base_col)]
            threshold = -1.0 if control_group == "never_treated" else later + anticipation
            cov_col = -1 if panel.covariates_time_invariant else min(post_col, base_col)
            key = (float(g), float(threshold), cov_col)
            designs.append(keys.setdefault(key, len(keys)))
            n_treated.append(treated_count)
            n_comparison.append(int(_comparison_units(unit_cohort, g, threshold).sum()))
    return _Cells(
        cohort=np.asarray(cohorts, dtype=float),
        time=np.asarray(times, dtype=float),
        post_col=np.asarray(post_cols),
        base_col=np.asarray(base_cols),
        design=np.asarray(designs),
        design_keys=list(keys),
        n_treated=np.asarray(n_treated),
        n_comparison=np.asarray(n_comparison),
    )


def _comparison_units(unit_cohort: np.ndarray, g: float, threshold: float) -> np.ndarray:
    """Comparison units for cohort g: never treated, plus (threshold ≥ 0) those first treated after it."""
    if threshold < 0:
        return unit_cohort == 0
    return (unit_cohort == 0) | ((unit_cohort > threshold) & (unit_cohort != g))


def _estimate_cells(
    panel: _WidePanel, cells: _Cells, method: Method, outcomes: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """ATT(g,t) and the n × cells influence matrix, batching all cells that share a 2×2 design.

    Cells of one cohort with the same comparison units and covariate values share the propensity-score
    fit and the comparison-group Gram matrix; only ΔY differs, so they are solved as columns of one matrix.
    Following R did, a cell's influence function is rescaled by n / n_cell and is zero outside the cell.
    ``outcomes`` (units × periods × B) replaces the panel's outcome with B replicates solved as more
    columns; the results then gain a trailing replicate axis.
    """
    stacked = panel.outcome[:, :, None] if outcomes is None else outcomes
    n_replicates = stacked.shape[2]
    n = panel.outcome.shape[0]
    n_cells = len(cells.cohort)
    att = np.zeros((n_cells, n_replicates))
    influence = np.zeros((n, n_cells, n_replicates))
    for design_index, (g, threshold, cov_col) in enumerate(cells.design_keys):
        columns = np.flatnonzero(cells.design == design_index)
        rows = np.flatnonzero((panel.cohort == g) | _comparison_units(panel.cohort, g, threshold))
        treated = (panel.cohort[rows] == g).astype(float)
        outcome = stacked[rows]
        delta_y = (outcome[:, cells.post_col[columns]] - outcome[:, cells.base_col[columns]]).reshape(
            rows.size, -1
        )
        if panel.covariates is None:
            design = np.ones((rows.size, 1))
        else:
            x = panel.covariates[rows, 0 if cov_col < 0 else cov_col, :]
            design = np.column_stack([np.ones(rows.size), x])
        estimate, psi, problem = _did_2x2(delta_y, treated, design, method)
        if problem:
            g_label = f"{g:g}"
            for column in columns:
                warnings.warn(
                    f"ATT({g_label},{cells.time[column]:g}) set to NA: {problem}",
                    RuntimeWarning,
                    stacklevel=3,
                )
            att[columns] = np.nan
            influence[:, columns] = np.nan
            continue
        att[columns] = estimate.reshape(columns.size, n_replicates)
        influence[np.ix_(rows, columns)] = (n / rows.size) * psi.reshape(
            rows.size, columns.size, n_replicates
        )
    if outcomes is None:
        return att[:, 0], influence[:, :, 0]
    return att, influence


def _did_2x2(
    delta_y: np.ndarray, treated: np.ndarray, x: np.ndarray, method: Method
) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Panel 2×2 DiD for several outcome changes at once (columns of ``delta_y``).

    Returns ATT per column, the m × K influence functions (unscaled, DRDID's ``att.inf.func``), and a
    reason when R would set the cell to NA. Formulas follow DRDID's ``reg_did_panel``,
    ``std_ipw_did_panel`` and ``drdid_panel`` (Sant'Anna & Zhao 2020, Section 3 and Appendix).
    """
    m = treated.size
    control = 1.0 - treated
    if treated.sum() == 0 or control.sum() == 0:
        return np.empty(0), np.empty((0, 0)), "no treated or no comparison units"
    terms = _design_terms(method, treated, x)
    if terms.problem:
        return np.empty(0), np.empty((0, 0)), terms.problem

    if method in ("reg", "dr"):
        gram_control, xpx_inv = terms.gram_control, terms.xpx_inv
        # OLS of ΔY on X among comparison units (R: lm(deltaY ~ -1 + int.cov, subset = D == 0))
        beta = linalg.solve(gram_control, x.T @ (control[:, None] * delta_y), assume_a="pos")
        fitted = x @ beta
        residual = delta_y - fitted

    if method == "reg":
        mean_treated = treated.mean()
        eta_treat = treated @ delta_y / m / mean_treated
        eta_cont = treated @ fitted / m / mean_treated
        leverage = x @ (xpx_inv @ (treated @ x / m))
        inf_treat = treated[:, None] * (delta_y - eta_treat) / mean_treated
        inf_cont = treated[:, None] * (fitted - eta_cont) + control[:, None] * residual * leverage[:, None]
        return eta_treat - eta_cont, inf_treat - inf_cont / mean_treated, None

    ps, hessian = terms.ps, terms.hessian
    keep = np.where(treated == 1, True, ps < _TRIM_LEVEL)
    w_treat = keep * treated
    w_cont = keep * ps * control / (1 - ps)
    mean_w_treat, mean_w_cont = w_treat.mean(), w_cont.mean()
    # asy.lin.rep.ps = (D − ps)·X · m (X' diag(ps(1 − ps)) X)⁻¹: the logit's influence function
    asy_ps = ((treated - ps)[:, None] * x) @ hessian

    target = delta_y if method == "ipw" else residual
    eta_treat = w_treat @ target / m / mean_w_treat
    eta_cont = w_cont @ target / m / mean_w_cont
    centred_cont = w_cont[:, None] * (target - eta_cont)
    inf_treat = w_treat[:, None] * (target - eta_treat)
    # estimation effect of the propensity score on the comparison mean
    inf_cont = centred_cont + asy_ps @ (x.T @ centred_cont / m)
    if method == "dr":
        # estimation effect of the outcome regression on both means (Sant'Anna & Zhao 2020, eq. 3.4)
        lev_treat = x @ (xpx_inv @ (w_treat @ x / m))
        lev_cont = x @ (xpx_inv @ (w_cont @ x / m))
        inf_treat = inf_treat - control[:, None] * residual * lev_treat[:, None]
        inf_cont = inf_cont - control[:, None] * residual * lev_cont[:, None]
    return eta_treat - eta_cont, inf_treat / mean_w_treat - inf_cont / mean_w_cont, None


@dataclass(frozen=True)
class _DesignTerms:
    """What a 2×2 estimator needs from its design alone: the same for every outcome solved on it."""

    problem: str | None
    gram_control: np.ndarray | None = None
    """X'(1 − D)X, for the outcome regression (``reg``, ``dr``)."""
    xpx_inv: np.ndarray | None = None
    """m·(X'(1 − D)X)⁻¹: asy.lin.rep.wols = (1 − D)·(ΔY − Xβ)·X·xpx_inv, applied to a moment M."""
    ps: np.ndarray | None = None
    """Propensity scores, capped at ``_PS_CAP`` (``ipw``, ``dr``)."""
    hessian: np.ndarray | None = None
    """m·(X' diag(ps(1 − ps)) X)⁻¹ (DRDID's ``Hessian.ps``)."""


def _design_terms(method: Method, treated: np.ndarray, x: np.ndarray) -> _DesignTerms:
    """The design's terms, fitted once per design and reused for every outcome and bootstrap chunk.

    A wild bootstrap solves the same cell designs for 999 replicate outcomes in chunks, and every outcome
    of a programme shares them: refitting the propensity-score logit each time was most of an evaluation's
    run time. The terms are a deterministic function of (method, treated, x), so the cache changes no
    figure; it is keyed by the arrays' bytes and bounded.
    """
    treated = np.ascontiguousarray(treated, dtype=float)
    x = np.ascontiguousarray(x, dtype=float)
    return _cached_design_terms(method, x.shape, treated.tobytes(), x.tobytes())


@functools.lru_cache(maxsize=512)
def _cached_design_terms(
    method: Method, shape: tuple[int, int], treated_bytes: bytes, x_bytes: bytes
) -> _DesignTerms:
    treated = np.frombuffer(treated_bytes, dtype=float)
    x = np.frombuffer(x_bytes, dtype=float).reshape(shape)
    m = treated.size
    control = 1.0 - treated
    gram_control = xpx_inv = None
    if method in ("reg", "dr"):
        gram_control = (x * control[:, None]).T @ x
        if 1.0 / np.linalg.cond(gram_control, 1) < np.finfo(float).eps:
            return _DesignTerms("comparison-unit covariate matrix is singular")
        xpx_inv = m * linalg.inv(gram_control)
    if method == "reg":
        return _DesignTerms(None, gram_control, xpx_inv)
    ps_raw, hessian, problem = _logit(treated, x)
    if problem:
        return _DesignTerms(problem)
    if ps_raw.max() >= _OVERLAP_LIMIT:
        return _DesignTerms("overlap fails (a propensity score ≥ 0.999)")
    return _DesignTerms(None, gram_control, xpx_inv, np.minimum(ps_raw, _PS_CAP), hessian)


def _logit(treated: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, str | None]:
    """Logit MLE by Newton-Raphson; returns fitted scores and m·(X'WX)⁻¹ (DRDID's ``Hessian.ps``)."""
    m, k = x.shape
    share = treated.mean()
    if k == 1:
        ps = np.full(m, share)
        return ps, np.array([[1.0 / (share * (1 - share))]]), None
    beta = np.zeros(k)
    beta[0] = np.log(share / (1 - share))
    converged = False
    for _ in range(100):
        ps = special.expit(x @ beta)
        info = (x * (ps * (1 - ps))[:, None]).T @ x
        try:
            step = linalg.solve(info, x.T @ (treated - ps), assume_a="pos")
        except (linalg.LinAlgError, ValueError):
            return ps, info, "propensity-score design is singular"
        beta = beta + step
        if np.max(np.abs(step)) <= 1e-10 * (1 + np.max(np.abs(beta))):
            converged = True
            break
    ps = special.expit(x @ beta)
    if not converged or not np.all(np.isfinite(ps)):
        return ps, np.empty((k, k)), "propensity-score logit did not converge"
    info = (x * (ps * (1 - ps))[:, None]).T @ x
    if 1.0 / np.linalg.cond(info, 1) < np.finfo(float).eps:
        return ps, info, "propensity-score design is singular"
    return ps, m * linalg.inv(info), None


@dataclass(frozen=True)
class _Aggregated:
    """An aggregation of B sets of ATT(g,t) at once (B = 1 for the estimate itself)."""

    labels_name: str | None
    labels: np.ndarray | None
    estimate: np.ndarray  # (B,)
    influence: np.ndarray  # (n, B)
    row_estimates: np.ndarray  # (rows, B); the overall figure for ``simple``
    row_influence: np.ndarray  # (n, rows, B)


def _aggregate(
    result: ATTgtResult,
    kind: AggregationKind,
    att: np.ndarray,
    psi: np.ndarray,
    *,
    min_e: float,
    max_e: float,
    na_rm: bool,
) -> _Aggregated:
    """The aggregation arithmetic of :func:`aggregate_att_gt` for att (cells × B) and psi (n × cells × B).

    Cells left out (NA) are those of ``result``: replicates of one design share its NA pattern.
    """
    if kind not in ("simple", "dynamic", "group", "calendar"):
        raise ValueError("kind must be 'simple', 'dynamic', 'group' or 'calendar'")
    gt = result.group_time
    cohort = gt["cohort"].to_numpy()
    time = gt["time"].to_numpy()
    keep = gt["att"].notna().to_numpy(copy=True)
    if not na_rm and not keep.all():
        raise ValueError("Some ATT(g,t) are NA; pass na_rm=True to aggregate the others (as R's na.rm).")
    if na_rm and kind == "group":
        # R also drops cohorts whose post-treatment cells are all NA
        ok_cohorts = np.unique(cohort[keep & (cohort <= time)])
        keep &= np.isin(cohort, ok_cohorts)
    cohort, time, att, psi = cohort[keep], time[keep], att[keep], psi[:, keep]
    n_draws = att.shape[1]

    unit_cohort = result.unit_cohort
    cohorts = np.unique(cohort)
    cohort_share = np.array([(unit_cohort == g).mean() for g in cohorts])
    cell_share = cohort_share[np.searchsorted(cohorts, cohort)]
    # each unit's cohort as a position in ``cohorts`` (−1 for never-treated and comparison-only units)
    position = np.full(unit_cohort.size, -1)
    for index, g in enumerate(cohorts):
        position[unit_cohort == g] = index
    event = time - cohort
    in_window = (cohort <= time) & (event >= min_e) & (event <= max_e)

    def weighted(selected: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Cohort-share-weighted mean of the selected cells and its influence function with ``wif``."""
        share = cell_share[selected]
        total = share.sum()
        estimate = share @ att[selected] / total
        # wif_i = Σ_j (1{G_i = g_j} − p_j) θ_j / S − Σ_j (1{G_i = g_j} − p_j) · Σ_j p_j θ_j / S²,
        # which simplifies to (A_i − B_i θ̄) / S with A_i, B_i the sum and count of unit i's cohort cells
        cell_pos = np.searchsorted(cohorts, cohort[selected])
        in_cohort = (cell_pos[None, :] == np.arange(cohorts.size)[:, None]).astype(float)
        sums = np.vstack([in_cohort @ att[selected], np.zeros((1, n_draws))])  # row −1 → no cells
        counts = np.append(in_cohort.sum(axis=1), 0.0)
        wif = (sums[position] - counts[position][:, None] * estimate[None, :]) / total
        return estimate, np.einsum("ikb,k->ib", psi[:, selected], share / total) + wif

    if kind == "simple":
        selected = np.flatnonzero(in_window)
        if selected.size == 0:
            raise ValueError("no post-treatment ATT(g,t) in the requested window")
        estimate, influence = weighted(selected)
        return _Aggregated(None, None, estimate, influence, estimate[None, :], influence[:, None, :])
    if kind == "group":
        labels_name, labels = "cohort", cohorts
        parts, estimates = [], []
        for g in cohorts:
            selected = np.flatnonzero((cohort == g) & in_window)
            if selected.size == 0:
                raise ValueError(f"cohort {g:g} has no post-treatment ATT(g,t) in the window")
            estimates.append(att[selected].mean(axis=0))
            parts.append(psi[:, selected].mean(axis=1))
        estimates = np.stack(estimates)
        influence_g = np.stack(parts, axis=1)
        weights = cohort_share / cohort_share.sum()
        estimate = weights @ estimates
        treated_any = (position >= 0)[:, None]
        wif = np.where(treated_any, estimates[np.maximum(position, 0)] - estimate[None, :], 0.0)
        influence = np.einsum("igb,g->ib", influence_g, weights) + wif / cohort_share.sum()
    elif kind == "dynamic":
        events = np.unique(event)
        events = events[(events >= min_e) & (events <= max_e)]
        if events.size == 0:
            raise ValueError("no event times in the requested window")
        labels_name, labels = "relative_period", events
        parts, estimates = [], []
        for e in events:
            e_estimate, e_influence = weighted(np.flatnonzero(event == e))
            estimates.append(e_estimate)
            parts.append(e_influence)
        estimates = np.stack(estimates)
        post_events = events >= 0
        if not post_events.any():
            raise ValueError("no post-treatment event times in the requested window")
        estimate = estimates[post_events].mean(axis=0)
        influence = np.stack(parts, axis=1)[:, post_events].mean(axis=1)
    else:
        calendar = np.unique(time[time >= cohort.min()])
        calendar = np.array([t for t in calendar if ((time == t) & (cohort <= time)).any()])
        labels_name, labels = "time", calendar
        parts, estimates = [], []
        for t in calendar:
            t_estimate, t_influence = weighted(np.flatnonzero((time == t) & (cohort <= time)))
            estimates.append(t_estimate)
            parts.append(t_influence)
        estimates = np.stack(estimates)
        estimate = estimates.mean(axis=0)
        influence = np.stack(parts, axis=1).mean(axis=1)
    return _Aggregated(labels_name, labels, estimate, influence, estimates, np.stack(parts, axis=1))


def aggregate_att_gt(
    result: ATTgtResult,
    kind: AggregationKind = "simple",
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
    na_rm: bool = False,
    alpha: float | None = None,
) -> AggregateResult:
    """Aggregate ATT(g,t) into summary parameters as ``did::aggte`` (Callaway & Sant'Anna 2021, Section 3).

    * ``simple``: post-treatment ATT(g,t) averaged with cohort-size weights P(G = g).
    * ``dynamic``: θ_es(e) for every event time e = t − g (weights P(G = g | g + e observed)); the overall
      figure is the mean of θ_es(e) over e ≥ 0 (their eq. 3.5 averaged as in ``aggte``).
    * ``group``: θ_sel(g̃) = mean of post-treatment ATT(g̃,t); overall weighted by P(G = g̃).
    * ``calendar``: θ_c(t) averages cohorts treated by t; overall is the mean over calendar periods.

    Influence functions combine the cells' ones with the estimated-weights term (R's ``wif``), so the SEs
    equal ``aggte(..., bstrap = FALSE)``. ``min_e``/``max_e`` restrict event times as R does.
    """
    alpha = result.alpha if alpha is None else alpha
    n = result.n_units
    att = result.group_time["att"].to_numpy()[:, None]
    aggregated = _aggregate(
        result, kind, att, result.influence[:, :, None], min_e=min_e, max_e=max_e, na_rm=na_rm
    )
    estimate, influence = float(aggregated.estimate[0]), aggregated.influence[:, 0]
    row_influence = aggregated.row_influence[:, :, 0]

    def se_of(influence: np.ndarray) -> float:
        se = float(np.sqrt(np.mean(influence**2) / n))
        return se if se > _SE_FLOOR else float("nan")

    z = stats.norm.ppf(1 - alpha / 2)
    std_error = se_of(influence)
    if aggregated.labels is not None:
        estimates = aggregated.row_estimates[:, 0]
        ses = np.array([se_of(row_influence[:, j]) for j in range(estimates.size)])
        table = pd.DataFrame(
            {
                aggregated.labels_name: aggregated.labels,
                "estimate": estimates,
                "std_error": ses,
                "ci_low": estimates - z * ses,
                "ci_high": estimates + z * ses,
            }
        )
    else:
        table = pd.DataFrame(
            {
                "estimate": [estimate],
                "std_error": std_error,
                "ci_low": estimate - z * std_error,
                "ci_high": estimate + z * std_error,
            }
        )
    p_value = float(2 * stats.norm.sf(abs(estimate / std_error))) if std_error > 0 else float("nan")
    return AggregateResult(
        kind=kind,
        estimate=estimate,
        std_error=std_error,
        ci_low=estimate - z * std_error,
        ci_high=estimate + z * std_error,
        p_value=p_value,
        alpha=alpha,
        n_units=n,
        table=table,
        influence=influence,
        table_influence=row_influence,
    )


def aggregate_replicates(
    result: ATTgtResult,
    kind: AggregationKind,
    att: np.ndarray,
    influence: np.ndarray,
    *,
    min_e: float = -np.inf,
    max_e: float = np.inf,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Aggregate B replicates of ``result``'s ATT(g,t) exactly as :func:`aggregate_att_gt` (``na_rm``).

    ``att`` is cells × B and ``influence`` units × cells × B (as :func:`replicate_att_gt` returns them).
    Returns the overall estimates (B), their influence functions (units × B), and the table rows'
    estimates (rows × B) and influence functions (units × rows × B).
    """
    aggregated = _aggregate(result, kind, att, influence, min_e=min_e, max_e=max_e, na_rm=True)
    return aggregated.estimate, aggregated.influence, aggregated.row_estimates, aggregated.row_influence
