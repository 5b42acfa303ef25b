"""A refused landing file fails the run, but only after everything that does not depend on it is built.

A landing asset loads its dataset's good files and reports a refused one through its
`meets_landing_contract` check without failing its own step, so the run goes on: dbt leaves out the
models built from the refused dataset (`assets/transform.py`) and Dagster skips what is built from those.
The check here, `no_file_refused`, runs as a step of its own that nothing depends on; it fails when a
file was refused in this run, naming each one, so the run ends failed (the CLI exits non-zero, the failure
e-mail goes out) with everything independent of the bad file built.
"""

import dagster as dg

from orchestration.assets.landing import REFUSALS_METADATA, landing_asset_key
from orchestration.contract import DATASETS

NO_FILE_REFUSED = "no_file_refused"


def refusals_in_run(instance: dg.DagsterInstance, run_id: str) -> dict[str, dict[str, str]]:
    """dataset → {file name → why it was refused}, for each dataset with a file refused in this run."""
    events = instance.get_latest_materialization_events([landing_asset_key(name) for name in DATASETS])
    refusals = {}
    for key, event in events.items():
        if event is None or event.run_id != run_id:
            continue
        entry = event.asset_materialization.metadata.get(REFUSALS_METADATA)
        if entry is not None and entry.value:
            refusals[key.path[-1]] = dict(entry.value)
    return refusals


class LandingFilesRefusedInRun(Exception):
    """Files were refused in this run; everything that does not depend on them was built."""


@dg.multi_asset_check(
    specs=[
        dg.AssetCheckSpec(
            NO_FILE_REFUSED,
            asset=landing_asset_key(name),
            blocking=False,
            description=f"Fails the run when a new or changed `{name}` file was refused. Nothing waits for "
            "it: the models that do not depend on this dataset are still built.",
        )
        for name in DATASETS
    ],
    can_subset=True,
    name="landing_refusals",
)
def no_file_refused(context: dg.AssetCheckExecutionContext):
    refusals = refusals_in_run(context.instance, context.run.run_id)
    for check_key in context.selected_asset_check_keys:
        dataset = check_key.asset_key.path[-1]
        refused = refusals.get(dataset, {})
        yield dg.AssetCheckResult(
            asset_key=check_key.asset_key,
            check_name=NO_FILE_REFUSED,
            passed=not refused,
            metadata={"files_refused": dg.MetadataValue.json(sorted(refused))},
        )
    if refusals:
        raise LandingFilesRefusedInRun(
            "\n".join(
                refusals[dataset][name] for dataset in sorted(refusals) for name in sorted(refusals[dataset])
            )
        )
