"""The multi-year High Needs projection, `marts.hn_projection`: placements forecast × unit cost, by scenario.

The statistics live in `analyses.projection`; this module only reads the finance marts, hands them over,
and writes the result. statsmodels and matplotlib are imported when the asset runs, never when the
Dagster definitions load (both are slow to import).
"""

import base64
import io
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import duckdb
import pandas as pd
import yaml

# analyses.projection imports statsmodels inside its fitting function, so this import stays light
from analyses.projection import (
    MART_COLUMNS,
    HighNeedsProjection,
    IntervalCalibration,
    PlacementForecast,
    financial_year_months,
    following_years,
    forecast_placements,
    project_finances,
)
from analyses.projection_assumptions import (
    MIN_HISTORY_MONTHS,
    UNMITIGATED,
    ProjectionAssumptions,
    mitigated_scenario,
    parse_assumptions,
)
from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.progress import report
from orchestration.resources import HighNeedsHome
from orchestration.settings import DBT_PROJECT_DIR, PROJECT_ROOT
from orchestration.warehouse import connect, transaction

DEFAULT_ASSUMPTIONS_FILE = PROJECT_ROOT / "config" / "projection.yaml"
PROJECTION_KEY = dg.AssetKey(["marts", "hn_projection"])
_MONEY_AND_COUNTS = [
    c
    for c in MART_COLUMNS
    if c not in ("financial_year", "scenario", "scenario_description", "provision_type", "is_current_year")
]


class ProjectionConfig(dg.Config):
    """Run configuration: which assumptions file to use (default `config/projection.yaml`)."""

    assumptions_file: str | None = None


def read_assumptions(path: Path, known_provision_types: list[str]) -> ProjectionAssumptions:
    """The assumptions YAML, validated; errors name the file and the key at fault."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise FileNotFoundError(f"projection assumptions file not found: {path}") from error
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from error
    try:
        return parse_assumptions(raw, known_provision_types)
    except ValueError as error:
        raise ValueError(f"{path}: {error}") from error


@dataclass(frozen=True)
class ProjectionInputs:
    """What the projection reads from the warehouse, already shaped for `analyses.projection`."""

    monthly_counts: pd.DataFrame
    current_year: str
    as_at_month: str
    in_year_by_line: pd.DataFrame  # s251_line, forecast_expected_gbp, is_placement_line
    unit_cost_gbp: dict[str, float]
    provision_groups: dict[str, str]
    income_gbp: dict[str, float]
    opening_balance_gbp: float | None
    planned_closing_balance_gbp: dict[str, float]
    mitigation_savings_gbp: dict[str, float] = field(default_factory=dict)
    """Financial year → the workstreams' savings still to come (marts.mitigation_tracker)."""
    mitigation_workstreams: int = 0
    """Workstreams in the mitigations file; 0 when there is none (the configured scenarios are used)."""


class NotEnoughDataYet(RuntimeError):
    """The warehouse does not yet hold what a projection needs (a new LA, a short history): not a failure."""


def _exists(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    found = connection.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?",
        [schema, table],
    ).fetchone()
    return bool(found and found[0])


def _reference(connection: duckdb.DuckDBPyConnection, seed: str) -> pd.DataFrame:
    """A reference seed from the warehouse, else from the dbt project's seed file (same content)."""
    if _exists(connection, "reference", seed):
        return connection.execute(f"select * from reference.{seed}").df()
    return pd.read_csv(DBT_PROJECT_DIR / "seeds" / f"{seed}.csv", dtype=str)


def _required(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    if not _exists(connection, schema, table):
        raise RuntimeError(f"{schema}.{table} is missing: build the finance marts before the projection")


def read_inputs(warehouse: Path) -> ProjectionInputs:
    """Monthly placements, the latest in-year expected forecast by line, unit costs, income, balance, plan."""
    with connect(warehouse, read_only=True) as connection:
        for schema, table in (
            ("marts", "placement_flows"),
            ("marts", "budget_vs_outturn"),
            ("marts", "dsg_deficit_position"),
            ("marts", "projection_unit_costs"),
        ):
            _required(connection, schema, table)
        monthly_counts = connection.execute(
            """
            select month, provision_type,
                sum(active_end_of_month)::double as active,
                sum(starters)::double as starters,
                sum(leavers)::double as leavers
            from marts.placement_flows
            group by month, provision_type
            order by month, provision_type
            """
        ).df()
        if monthly_counts.empty:
            raise NotEnoughDataYet("marts.placement_flows is empty: no placement history to forecast from")

        in_year = connection.execute(
            """
            select financial_year, as_at_month, s251_line,
                forecast_expected_gbp::double as forecast_expected_gbp
            from marts.budget_vs_outturn
            where as_at_month = (select max(as_at_month) from marts.budget_vs_outturn)
            """
        ).df()
        if in_year.empty:
            raise NotEnoughDataYet(
                "marts.budget_vs_outturn is empty: no in-year forecast to anchor the projection to"
            )
        current_year = str(in_year["financial_year"].iloc[0])
        as_at_month = str(in_year["as_at_month"].iloc[0])
        lines = _reference(connection, "s251_lines")
        placement_lines = set(
            lines.loc[lines["is_placement_line"].astype(str).str.lower() == "true", "s251_line"]
        )
        in_year["is_placement_line"] = in_year["s251_line"].isin(placement_lines)

        types = _reference(connection, "provision_types")
        provision_groups = dict(zip(types["provision_type"], types["provision_group"], strict=True))

        unit_cost_gbp = {
            str(provision_type): float(cost)
            for provision_type, cost in connection.execute(
                "select provision_type, unit_cost_gbp::double from marts.projection_unit_costs"
            ).fetchall()
        }

        position = connection.execute("select * from marts.dsg_deficit_position").df()
        # the plan runs beyond the years the position covers; its staging view holds all its years
        staged_plan = (
            connection.execute(
                "select financial_year, planned_closing_balance_gbp::double as planned_closing_balance_gbp "
                "from staging.stg_landing__deficit_plan"
            ).df()
            if _exists(connection, "staging", "stg_landing__deficit_plan")
            else pd.DataFrame(columns=["financial_year", "planned_closing_balance_gbp"])
        )
        mitigation_savings: dict[str, float] = {}
        mitigation_workstreams = 0
        if _exists(connection, "marts", "mitigation_tracker"):
            mitigation_savings = {
                str(year): float(saving)
                for year, saving in connection.execute(
                    "select financial_year, sum(saving_still_to_come_gbp)::double "
                    "from marts.mitigation_tracker group by financial_year"
                ).fetchall()
            }
            found = connection.execute("select count(distinct workstream) from marts.mitigation_tracker")
            mitigation_workstreams = int((found.fetchone() or (0,))[0])

    position = position.set_index(position["financial_year"].astype(str))
    if current_year not in position.index:
        raise NotEnoughDataYet(f"marts.dsg_deficit_position has no row for the current year {current_year}")
    current = position.loc[current_year]
    in_year_total = float(in_year["forecast_expected_gbp"].sum())
    income_gbp: dict[str, float] = {}
    if "hn_income_gbp" in position.columns:  # not in the contract, but the finance mart publishes it
        income_gbp = {
            year: float(value)
            for year, value in position["hn_income_gbp"].dropna().items()
            if year >= current_year
        }
    if current_year not in income_gbp:
        if pd.isna(current["hn_in_year_expected_gbp"]):
            raise NotEnoughDataYet(f"no High Needs income for {current_year} in marts.dsg_deficit_position")
        # hn_in_year_expected = income − Σ forecast_expected (contract), so income = that + the sum
        income_gbp[current_year] = float(current["hn_in_year_expected_gbp"]) + in_year_total
    opening = None if pd.isna(current["opening_balance_gbp"]) else float(current["opening_balance_gbp"])
    plan = {
        str(year): float(value)
        for year, value in staged_plan.set_index("financial_year")["planned_closing_balance_gbp"]
        .dropna()
        .items()
    }
    plan |= {year: float(value) for year, value in position["planned_closing_balance_gbp"].dropna().items()}
    return ProjectionInputs(
        monthly_counts=monthly_counts,
        current_year=current_year,
        as_at_month=as_at_month,
        in_year_by_line=in_year[["s251_line", "forecast_expected_gbp", "is_placement_line"]],
        unit_cost_gbp=unit_cost_gbp,
        provision_groups=provision_groups,
        income_gbp=income_gbp,
        opening_balance_gbp=opening,
        planned_closing_balance_gbp=plan,
        mitigation_savings_gbp=mitigation_savings,
        mitigation_workstreams=mitigation_workstreams,
    )


def run_projection(
    inputs: ProjectionInputs, assumptions: ProjectionAssumptions
) -> tuple[HighNeedsProjection, PlacementForecast]:
    """Forecast placements to the end of the last projected year, then project finances per scenario.

    Where the LA keeps a mitigations file, its workstreams' targets are the one mitigated scenario and the
    configured scenarios are not projected: the plan's own savings, not hand-written what-ifs.
    """
    projected_years = following_years(inputs.current_year, assumptions.years)
    if inputs.mitigation_workstreams:
        savings = {year: inputs.mitigation_savings_gbp.get(year, 0.0) for year in projected_years}
        assumptions = assumptions.model_copy(
            update={"scenarios": [mitigated_scenario(savings, inputs.mitigation_workstreams)]}
        )
    last_year = projected_years[-1]
    last_month = pd.Period(str(inputs.monthly_counts["month"].max()), freq="M")
    horizon = max(1, financial_year_months(last_year)[-1].ordinal - last_month.ordinal)
    forecast = forecast_placements(
        inputs.monthly_counts,
        horizon,
        provision_groups=inputs.provision_groups,
        pool_below=assumptions.forecast.pool_below_placements,
        history_months=assumptions.forecast.history_months,
    )
    by_line = inputs.in_year_by_line
    projection = project_finances(
        forecast,
        assumptions,
        current_year=inputs.current_year,
        unit_cost_gbp=inputs.unit_cost_gbp,
        in_year_placement_spend_gbp=float(
            by_line.loc[by_line["is_placement_line"], "forecast_expected_gbp"].sum()
        ),
        in_year_other_spend_gbp=float(
            by_line.loc[~by_line["is_placement_line"], "forecast_expected_gbp"].sum()
        ),
        income_gbp=inputs.income_gbp,
        opening_balance_gbp=inputs.opening_balance_gbp,
        planned_closing_balance_gbp=inputs.planned_closing_balance_gbp,
    )
    return projection, forecast


def _money(value: float | None) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{'−' if value < 0 else ''}£{abs(value) / 1e6:,.1f}m"


def headline_markdown(projection: HighNeedsProjection) -> str:
    """Scenario × year: spend, income, in-year, closing balance with its 80 % range, costs avoided."""
    lines = [
        "| scenario | year | spend | income | in-year | closing balance (80 % range) | plan "
        "| costs avoided |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in projection.headline.itertuples(index=False):
        balance = (
            f"{_money(row.cumulative_balance_gbp)} ({_money(row.cumulative_balance_p10_gbp)} to "
            f"{_money(row.cumulative_balance_p90_gbp)})"
        )
        lines.append(
            f"| {row.scenario} | {row.financial_year} | {_money(row.spend_gbp)} | {_money(row.income_gbp)} "
            f"| {_money(row.in_year_balance_gbp)} | {balance} | {_money(row.planned_closing_balance_gbp)} "
            f"| {_money(row.costs_avoided_gbp)} |"
        )
    return "\n".join(lines)


def models_markdown(models: pd.DataFrame) -> str:
    """The model chosen for each placement series and the growth it implies, as a markdown table."""
    lines = [
        "| series | provision types | model (lowest AICc) | months | implied growth %/year |",
        "|---|---|---|---:|---:|",
    ]
    for row in models.itertuples(index=False):
        lines.append(
            f"| {row.series} | {row.provision_types} | {row.model} | {row.n_months} "
            f"| {row.implied_growth_pct_per_year:+.1f} |"
        )
    return "\n".join(lines)


def balance_chart_png(projection: HighNeedsProjection) -> bytes:
    """Cumulative DSG balance by scenario (80 % band on unmitigated) with the deficit plan where known."""
    from matplotlib.figure import Figure

    headline = projection.headline
    figure = Figure(figsize=(8, 4.5), dpi=100)
    axes = figure.subplots()
    for scenario in projection.scenarios:
        rows = headline[headline["scenario"] == scenario]
        axes.plot(rows["financial_year"], rows["cumulative_balance_gbp"] / 1e6, marker="o", label=scenario)
        if scenario == UNMITIGATED:
            axes.fill_between(
                rows["financial_year"],
                rows["cumulative_balance_p10_gbp"] / 1e6,
                rows["cumulative_balance_p90_gbp"] / 1e6,
                alpha=0.2,
                label="unmitigated, 80 % range",
            )
    plan = headline[headline["scenario"] == UNMITIGATED].dropna(subset=["planned_closing_balance_gbp"])
    if not plan.empty:
        axes.plot(
            plan["financial_year"],
            plan["planned_closing_balance_gbp"] / 1e6,
            "k--",
            marker="s",
            label="deficit management plan",
        )
    axes.axhline(0, color="grey", linewidth=0.8)
    axes.set_ylabel("cumulative DSG balance, £m (negative = deficit)")
    axes.set_title("High Needs projection: closing DSG balance by scenario")
    axes.legend(fontsize=8)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def calibration_metadata(calibration: IntervalCalibration) -> dict[str, object]:
    """The back-test of the intervals as the UI shows it: what was compared and the coverage achieved."""
    return {
        "summary": calibration.summary(),
        "comparisons": calibration.comparisons,
        "origins": list(calibration.origins),
        "widening_factor": round(calibration.factor, 3),
        "coverage_80_before": calibration.coverage_80_before,
        "coverage_80_after": calibration.coverage_80_after,
        "coverage_95_before": calibration.coverage_95_before,
        "coverage_95_after": calibration.coverage_95_after,
    }


def _sql_type(column: str) -> str:
    if column == "is_current_year":
        return "boolean"
    return "double" if column in _MONEY_AND_COUNTS else "varchar"


def write_projection(warehouse: Path, table: pd.DataFrame) -> None:
    """Replace marts.hn_projection in one transaction, with explicit types (money as DOUBLE)."""
    typed = table.copy()
    typed[_MONEY_AND_COUNTS] = typed[_MONEY_AND_COUNTS].astype(float)
    with transaction(warehouse) as connection:
        connection.execute("create schema if not exists marts")
        connection.register("projection_rows", typed)
        columns = ", ".join(f"cast({name} as {_sql_type(name)}) as {name}" for name in MART_COLUMNS)
        connection.execute(
            f"create or replace table marts.hn_projection as select {columns} from projection_rows"
        )
        connection.unregister("projection_rows")


@dg.asset(
    key=PROJECTION_KEY,
    deps=[
        dg.AssetKey(["marts", "budget_vs_outturn"]),
        dg.AssetKey(["marts", "dsg_deficit_position"]),
        dg.AssetKey(["marts", "mitigation_tracker"]),
        dg.AssetKey(["marts", "placement_flows"]),
        dg.AssetKey(["marts", "projection_unit_costs"]),
        dg.AssetKey(["staging", "stg_landing__deficit_plan"]),
    ],
    pool=WAREHOUSE_POOL,
    group_name="finance",
    kinds={"duckdb", "python"},
    description=(
        "Five-year High Needs projection by financial year × scenario × provision type: placements (ETS "
        "forecast on log counts, mean with 80 %/95 % prediction intervals), cost per placement, spend, and "
        "on the `provision_type = 'all'` row income, in-year and cumulative balance; `provision_type` NULL "
        "is non-placement spend. Intervals carry the growth's parameter uncertainty and are calibrated by "
        "back-testing on the closed years. The current year equals Σ forecast_expected_gbp (the expected "
        "in-year view); unit costs come from marts.projection_unit_costs; mitigations are reported as costs "
        "avoided against `unmitigated`: where the LA keeps a mitigations file, one `mitigated` scenario = "
        "unmitigated − the workstreams' savings still to come (marts.mitigation_tracker), else the "
        "scenarios of config/projection.yaml. Assumptions: config/projection.yaml."
    ),
)
def hn_projection(
    context: dg.AssetExecutionContext, config: ProjectionConfig, highneeds: HighNeedsHome
) -> dg.MaterializeResult:
    """Read the finance marts, forecast placements, project finances per scenario, write the mart."""
    settings = highneeds.settings
    try:
        inputs = read_inputs(settings.warehouse)
        history_months = inputs.monthly_counts["month"].nunique()
        if history_months < MIN_HISTORY_MONTHS:
            raise NotEnoughDataYet(
                f"{history_months} month(s) of placement history; the projection needs {MIN_HISTORY_MONTHS}"
            )
    except NotEnoughDataYet as why:
        # A young warehouse (a new LA, a short demo) is not an error: say why there is no projection yet.
        report(context, f"projection: not built yet ({why})")
        return dg.MaterializeResult(metadata={"built": False, "reason": str(why)})
    assumptions_file = Path(config.assumptions_file) if config.assumptions_file else DEFAULT_ASSUMPTIONS_FILE
    assumptions = read_assumptions(assumptions_file, sorted(inputs.provision_groups))
    scenarios_from = (
        f"the mitigations file ({inputs.mitigation_workstreams} workstreams)"
        if inputs.mitigation_workstreams
        else f"{assumptions_file.name} ({len(assumptions.scenarios)} scenario(s))"
    )
    report(
        context,
        f"projection: forecasting placements from {inputs.monthly_counts['month'].nunique()} months, "
        f"{inputs.current_year} as at {inputs.as_at_month}, mitigations from {scenarios_from}",
    )
    projection, forecast = run_projection(inputs, assumptions)

    first_year = projection.headline[
        (projection.headline["scenario"] == UNMITIGATED)
        & (projection.headline["financial_year"] == inputs.current_year)
    ]
    in_year_total = float(inputs.in_year_by_line["forecast_expected_gbp"].sum())
    first_year_spend = float(first_year["spend_gbp"].iloc[0])
    if abs(first_year_spend - in_year_total) > 0.01:
        raise RuntimeError(
            f"projection's {inputs.current_year} spend £{first_year_spend:,.2f} does not equal the "
            f"in-year expected forecast £{in_year_total:,.2f}"
        )
    write_projection(settings.warehouse, projection.table)
    report(context, "projection: " + projection.summary().splitlines()[0])

    chart = base64.b64encode(balance_chart_png(projection)).decode("ascii")
    return dg.MaterializeResult(
        metadata={
            "dagster/row_count": len(projection.table),
            "current_year": inputs.current_year,
            "as_at_month": inputs.as_at_month,
            "last_placement_month": str(forecast.last_history_month),
            "first_year_spend_gbp": first_year_spend,
            "anchor_factor": float(projection.anchor_factor),
            "scenarios": dg.MetadataValue.json(list(projection.scenarios)),
            "assumptions_file": str(assumptions_file),
            "scenarios_from": scenarios_from,
            "headline": dg.MetadataValue.md(
                headline_markdown(projection)
                + f"\n\n![closing DSG balance by scenario](data:image/png;base64,{chart})"
            ),
            "placement_models": dg.MetadataValue.md(models_markdown(forecast.models)),
            "simulated_paths": int(next(iter(forecast.sim_paths.values())).shape[0]),
            "interval_calibration": dg.MetadataValue.json(calibration_metadata(forecast.calibration)),
            "notes": dg.MetadataValue.json(list(projection.notes)),
        }
    )
