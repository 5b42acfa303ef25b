"""The dbt project (staging → intermediate → marts) as Dagster assets; dbt tests become asset checks.

One `dbt build` per run, of the models the run selected (`orchestration/staleness.py` picks the stale ones):
- data tests run, unit tests do not (they belong to the test suite, which runs them);
- the models built from a landing dataset whose file was refused in this run are left out
  (`--exclude source:landing.<dataset>+`), so a bad school outcomes file stops the impact marts, not the
  finance marts; what was left out stays stale for the next run;
- dbt's target and logs go to `<home>/dbt/runs/` (`orchestration/dbt_runs.py`), never into `dbt_project/`;
- dbt is started through `highneeds-dbt` (`orchestration/dbt_launcher.py`), so it dies with the run.
"""

import os
from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.assets.landing import WAREHOUSE_POOL
from orchestration.assets.refusals import refusals_in_run
from orchestration.dbt_launcher import parent_env
from orchestration.dbt_manifest import dbt_project, manifest_json, project_fingerprint
from orchestration.dbt_runs import keep_partial_parse, new_run_target
from orchestration.progress import report
from orchestration.resources import HighNeedsHome
from orchestration.warm_imports import imports_warmed_meanwhile, modules_for

BUILD_ARGS = ("build", "--exclude-resource-type", "unit_test")
"""What a run asks of dbt: models, seeds and data tests; the unit tests run in the test suite instead."""
LANDING_SOURCE = "landing"


class SchemaQualifiedTranslator(DagsterDbtTranslator):
    """Models and seeds are keyed `<schema>/<name>` (e.g. `marts/cost_per_placement`), as in the warehouse.

    Every dbt asset's code version is the fingerprint of the whole dbt project, so a run after any change
    to the project rebuilds the dbt assets once (a macro or a test can change a model's result too).
    """

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            schema = dbt_resource_props["config"].get("schema") or "main"
            return dg.AssetKey([schema, dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] in ("model", "seed", "snapshot"):
            return dbt_resource_props["config"].get("schema") or "dbt"
        return super().get_group_name(dbt_resource_props)

    def get_code_version(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        return project_fingerprint()


def excluded_for_refusals(refused_datasets: list[str], manifest: Mapping[str, Any]) -> list[str]:
    """`--exclude` arguments leaving out everything built from the refused datasets that dbt reads."""
    sources = {
        source["name"] for source in manifest["sources"].values() if source["source_name"] == LANDING_SOURCE
    }
    args = []
    for dataset in sorted(set(refused_datasets) & sources):
        args += ["--exclude", f"source:{LANDING_SOURCE}.{dataset}+"]
    return args


@dbt_assets(
    manifest=manifest_json(),
    project=dbt_project(),
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
    settings = highneeds.settings
    settings.export_env()
    refused = sorted(refusals_in_run(context.instance, context.run_id))
    args = [*BUILD_ARGS, *excluded_for_refusals(refused, manifest_json())]
    if refused:
        report(context, f"dbt: leaving out what is built from {', '.join(refused)}: a file was refused")
    report(context, f"dbt: building {len(context.selected_asset_keys)} models and seeds, and testing them")
    target = new_run_target(settings, context.run_id)
    os.environ.update(parent_env())  # read by the launcher dbt.cli starts, in this very process
    selection = context.run.asset_selection
    warm = modules_for(None if selection is None else (tuple(key.path) for key in selection))
    with imports_warmed_meanwhile(warm):
        yield from dbt.cli(args, context=context, target_path=target).stream()
    keep_partial_parse(settings, target)
    report(context, "dbt: build finished")
