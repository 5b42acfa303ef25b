"""One ingest asset per landing dataset, made by one factory over the contract's dataset specs.

The ingest itself (pandas, the quality gate) is imported when an asset runs, not when the Dagster
definitions load.
"""

import warnings

import dagster as dg

from expectations.rules import REFERENCED_DATASETS
from orchestration.assets.checks import landing_check_results, landing_check_specs
from orchestration.contract import DATASETS, Dataset
from orchestration.partitions import MONTHLY_PARTITIONS
from orchestration.progress import report
from orchestration.resources import HighNeedsHome

WAREHOUSE_POOL = "warehouse"
"""Every asset that writes the DuckDB file runs in this pool (limit 1: DuckDB allows one writer)."""
REFUSALS_METADATA = "refusals"
"""Materialization metadata: file name → why it was refused, for each file refused in the run."""


def landing_asset_key(dataset_name: str) -> dg.AssetKey:
    return dg.AssetKey(["raw", dataset_name])


def _partitioned(dataset: Dataset) -> bool:
    """Monthly extracts are partitioned by month; a dataset also delivered whole is loaded whole."""
    return dataset.periodic and not dataset.reference_name_allowed


def build_landing_asset(dataset: Dataset) -> dg.AssetsDefinition:
    """An asset `raw/<dataset>` that checks and loads the dataset's new or changed landing files.

    Its checks are reported by the same step (see `assets/checks.py`). A refused file does not fail the
    step: the dataset's good files are loaded, the models built from this dataset are left out of the run's
    dbt build, and `assets/refusals.py` fails the run once everything else is built.
    """
    key = landing_asset_key(dataset.name)

    @dg.asset(
        key=key,
        group_name="landing",
        description=f"{dataset.description}. Loaded from `{dataset.name}"
        f"{'_YYYY-MM' if dataset.periodic else ''}.csv|xlsx` in the landing folder.",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "python"},
        check_specs=landing_check_specs(dataset, key),
        partitions_def=MONTHLY_PARTITIONS if _partitioned(dataset) else None,
        backfill_policy=dg.BackfillPolicy.single_run() if _partitioned(dataset) else None,
        # a ledger line's placement_id is checked against the newest placements snapshot: load that first
        deps=[landing_asset_key(name) for name in REFERENCED_DATASETS.get(dataset.name, ())],
    )
    def _landing_asset(context: dg.AssetExecutionContext, highneeds: HighNeedsHome):
        from orchestration.ingest import load_landing_dataset

        settings = highneeds.settings
        months = (
            context.partition_keys if context.has_partition_key_range or context.has_partition_key else None
        )
        result = load_landing_dataset(
            settings,
            dataset,
            progress=lambda message: report(context, message),
            raise_on_refusal=False,
            months=months,
        )
        report(
            context,
            f"{dataset.name}: {len(result.files_loaded)} file(s) loaded ({result.rows_loaded:,} rows), "
            f"{len(result.refused)} refused, {len(result.files_unchanged)} unchanged; "
            f"{result.rows_in_table:,} rows in raw.{dataset.name}",
        )
        yield dg.MaterializeResult(
            metadata={
                "files_loaded": dg.MetadataValue.json(result.files_loaded),
                "files_refused": dg.MetadataValue.json([r.name for r in result.refused]),
                REFUSALS_METADATA: dg.MetadataValue.json({r.name: r.headline() for r in result.refused}),
                "files_unchanged": len(result.files_unchanged),
                "months_replaced": dg.MetadataValue.json(result.months_replaced),
                "columns_dropped": dg.MetadataValue.json(
                    {r.name: list(r.dropped_columns) for r in result.reports if r.dropped_columns}
                ),
                "files_ignored": dg.MetadataValue.json({e.name: e.reason for e in result.ignored}),
                "rows_loaded": result.rows_loaded,
                "dagster/row_count": result.rows_in_table,
                "warnings": dg.MetadataValue.json([str(problem) for problem in result.warnings[:50]]),
            },
            check_results=landing_check_results(dataset, result),
        )

    return _landing_asset


with warnings.catch_warnings():
    # BackfillPolicy is marked beta; single-run backfills are exactly what one DuckDB writer needs.
    warnings.simplefilter("ignore", dg.BetaWarning)
    landing_assets = [build_landing_asset(dataset) for dataset in DATASETS.values()]
