"""One ingest asset per landing dataset, made by one factory over the contract's dataset specs."""


import dagster as dg

from orchestration.contract import DATASETS, Dataset
from orchestration.ingest import load_landing_dataset
from orchestration.progress import report
from orchestration.resources import HighNeedsHome

WAREHOUSE_POOL = "warehouse"
"""Every asset that writes the DuckDB file runs in this pool (limit 1: DuckDB allows one writer)."""


def build_landing_asset(dataset: Dataset) -> dg.AssetsDefinition:
    """An asset `raw/<dataset>` that loads the dataset's new or changed landing files."""

    @dg.asset(
        key=dg.AssetKey(["raw", dataset.name]),
        group_name="landing",
        description=f"{dataset.description}. Loaded from `{dataset.name}"
        f"{'_YYYY-MM' if dataset.periodic else ''}.csv|xlsx` in the landing folder.",
        pool=WAREHOUSE_POOL,
        kinds={"duckdb", "python"},
    )
    def _landing_asset(context: dg.AssetExecutionContext, highneeds: HighNeedsHome) -> dg.MaterializeResult:
        settings = highneeds.settings
        result = load_landing_dataset(settings, dataset, progress=lambda message: report(context, message))
        report(
            context,
            f"{dataset.name}: {len(result.files_loaded)} file(s) loaded ({result.rows_loaded:,} rows), "
            f"{len(result.files_unchanged)} unchanged; {result.rows_in_table:,} rows in raw.{dataset.name}",
        )
        return dg.MaterializeResult(
            metadata={
                "files_loaded": dg.MetadataValue.json(result.files_loaded),
                "files_unchanged": len(result.files_unchanged),
                "months_replaced": dg.MetadataValue.json(result.months_replaced),
                "rows_loaded": result.rows_loaded,
                "dagster/row_count": result.rows_in_table,
                "warnings": dg.MetadataValue.json(result.warnings[:50]),
            }
        )

    return _landing_asset


landing_assets = [build_landing_asset(dataset) for dataset in DATASETS.values()]
