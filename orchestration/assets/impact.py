"""Programme impact evaluation: `marts.impact_panel` in; estimates, event study and balance out.

The asset reads the panel and the pre-specified evaluation plan (`config/evaluation.yaml`), calls
`analyses.evaluation.evaluate_programmes` — where every statistic lives — and writes the three tables in
one transaction, with a headline table, the EEF-style lines, the balance table and event-study charts as
metadata. statsmodels, scipy's estimators and matplotlib are imported inside the asset body: they are slow
to import and must stay off the path that loads the Dagster definitions.
"""

from pathlib import Path

import dagster as dg

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.progress import report
from orchestration.resources import HighNeedsHome
from orchestration.settings import PROJECT_ROOT

IMPACT_PANEL_KEY = dg.AssetKey(["marts", "impact_panel"])
IMPACT_ESTIMATES_KEY = dg.AssetKey(["marts", "impact_estimates"])
EVENT_STUDY_KEY = dg.AssetKey(["marts", "event_study"])
IMPACT_BALANCE_KEY = dg.AssetKey(["marts", "impact_balance"])
DEFAULT_PLAN_FILE = PROJECT_ROOT / "config" / "evaluation.yaml"


class ImpactConfig(dg.Config):
    """Run configuration: which evaluation plan to use (default `config/evaluation.yaml`)."""

    plan_file: str | None = None


def _spec(key: dg.AssetKey, description: str) -> dg.AssetSpec:
    return dg.AssetSpec(
        key, deps=[IMPACT_PANEL_KEY], group_name="impact", kinds={"duckdb", "python"}, description=description
    )


@dg.multi_asset(
    specs=[
        _spec(
            IMPACT_ESTIMATES_KEY,
            "Programme × outcome × estimator × aggregation impact estimates: Callaway & Sant'Anna (simple, "
            "dynamic, group, calendar) with wild cluster bootstrap-t intervals when fewer than 30 schools "
            "adopted, and the TWFE and Poisson benchmarks (labelled where they disagree). Per programme × "
            "outcome: primary or secondary (config/evaluation.yaml), Holm and BH adjusted p-values, MDE, "
            "baseline, breakdown M̄, security rating (0-5), the EEF-style line and whether it may be "
            "headlined.",
        ),
        _spec(
            EVENT_STUDY_KEY,
            "Programme × outcome × relative_period (terms since adoption): the Callaway & Sant'Anna event "
            "study with 95 % pointwise intervals and a 95 % uniform (sup-t) band; negative periods are "
            "short-gap pre-trend placebos.",
        ),
        _spec(
            IMPACT_BALANCE_KEY,
            "Programme × variable: adopting vs comparison schools before adoption (baseline of every "
            "outcome, phase mix, pupils on roll, attrition) with standardised differences.",
        ),
    ],
    pool=WAREHOUSE_POOL,
)
def impact_estimates(context: dg.AssetExecutionContext, config: ImpactConfig, highneeds: HighNeedsHome):
    """Read the panel and the plan, evaluate every programme × outcome, write the three tables together."""
    from analyses.evaluation import evaluate_programmes
    from analyses.plan import read_plan
    from orchestration.forked_map import forked_map
    from orchestration.impact_metadata import (
        balance_markdown,
        charts_markdown,
        headline_markdown,
        skipped_markdown,
        statements_markdown,
    )
    from orchestration.impact_tables import read_impact_panel, write_impact_tables

    warehouse = highneeds.settings.warehouse
    plan = read_plan(Path(config.plan_file) if config.plan_file else DEFAULT_PLAN_FILE)
    panel = read_impact_panel(warehouse)
    report(
        context,
        f"impact: {panel['programme'].nunique()} programme(s), {panel['school_urn'].nunique()} schools, "
        f"{panel['term_index'].nunique()} terms",
    )
    # programmes are evaluated, and their charts drawn, side by side on the cores there are
    mapper = forked_map()
    results = evaluate_programmes(panel, plan, progress=lambda line: report(context, line), mapper=mapper)
    for skipped in results.skipped:
        context.log.warning(
            f"impact: skipped {skipped.programme} × {skipped.outcome} ({skipped.estimator}): {skipped.reason}"
        )
    for note in results.notes:
        context.log.info(f"impact: {note}")
    write_impact_tables(warehouse, results.estimates, results.event_study, results.balance)
    report(
        context,
        f"impact: wrote {len(results.estimates)} estimates, {len(results.event_study)} event-study rows and "
        f"{len(results.balance)} balance rows; {len(results.skipped)} skipped",
    )
    yield dg.MaterializeResult(
        asset_key=IMPACT_ESTIMATES_KEY,
        metadata={
            "dagster/row_count": len(results.estimates),
            "headline": dg.MetadataValue.md(headline_markdown(results.estimates)),
            "statements": dg.MetadataValue.md(statements_markdown(results.estimates)),
            "skipped": dg.MetadataValue.md(skipped_markdown(results.skipped)),
            "n_skipped": len(results.skipped),
            "notes": dg.MetadataValue.json(results.notes),
        },
    )
    yield dg.MaterializeResult(
        asset_key=EVENT_STUDY_KEY,
        metadata={
            "dagster/row_count": len(results.event_study),
            **{
                f"event_study_{programme}": dg.MetadataValue.md(chart)
                for programme, chart in charts_markdown(results.event_study, mapper)
            },
        },
    )
    yield dg.MaterializeResult(
        asset_key=IMPACT_BALANCE_KEY,
        metadata={
            "dagster/row_count": len(results.balance),
            "balance": dg.MetadataValue.md(balance_markdown(results.balance)),
        },
    )
