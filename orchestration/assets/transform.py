"""The dbt project (staging → intermediate → marts) as Dagster assets; dbt tests become asset checks."""

from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.dbt_manifest import DBT_PROJECT, ensure_manifest
from orchestration.progress import report
from orchestration.resources import HighNeedsHome


class SchemaQualifiedTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed `<schema>/<name>` (e.g. `marts/cost_per_placement`), as in the warehouse."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["config"].get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props["config"].get("schema") or "dbt"
        return super().get_group_name(dbt_resource_props)


@dbt_assets(
    manifest=ensure_manifest(DBT_PROJECT),
    project=DBT_PROJECT,
    dagster_dbt_translator=SchemaQualifiedTranslator(
        settings=DagsterDbtTranslatorSettings(enable_asset_checks=True)
    ),
    pool=WAREHOUSE_POOL,
)
def highneeds_dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, highneeds: HighNeedsHome):
    """`dbt build` over the selected models: seeds, models and their tests, in dependency order.

    The warehouse path is handed to dbt through the environment; no Python connection is open while
    dbt runs, because DuckDB lets only one process write the file.
    """
    highneeds.settings.export_env()
    report(context, "dbt: building staging, intermediate and mart models and running their tests")
    yield from dbt.cli(["build"], context=context).stream()
    report(context, "dbt: build finished")
