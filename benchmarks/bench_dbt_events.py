"""What Dagster adds to `dbt build`: the build plain, in Dagster with tests as asset checks, and without.

Over a copy of a warehouse a county run left (`--warehouse`), prints for each way of running it the wall
time, the CPU time of dbt (child processes) and of this process (Dagster's side: reading dbt's events,
recording materializations and check evaluations), and the number of Dagster events it recorded.
Usage: python benchmarks/bench_dbt_events.py --warehouse HOME/warehouse.duckdb [--runs 1]
"""

import argparse
import contextlib
import os
import resource
import shutil
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

import dagster as dg
from dagster_dbt import DagsterDbtTranslatorSettings, DbtCliResource, dbt_assets

from orchestration.assets.transform import BUILD_ARGS, SchemaQualifiedTranslator
from orchestration.dbt_launcher import parent_env
from orchestration.dbt_manifest import dbt_env, dbt_executable, dbt_project, manifest_json


def _cpu() -> tuple[float, float]:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def dbt_assets_with(checks: bool) -> dg.AssetsDefinition:
    @dbt_assets(
        manifest=manifest_json(),
        project=dbt_project(),
        dagster_dbt_translator=SchemaQualifiedTranslator(
            settings=DagsterDbtTranslatorSettings(enable_asset_checks=checks)
        ),
        name=f"dbt_{'with' if checks else 'without'}_checks",
    )
    def _models(context: dg.AssetExecutionContext, dbt: DbtCliResource):
        yield from dbt.cli(list(BUILD_ARGS), context=context, target_path=Path(tempfile.mkdtemp())).stream()

    return _models


def in_dagster(checks: bool) -> tuple[float, float, float, int]:
    """(wall, Dagster CPU, dbt CPU, events) of one materialisation of every dbt asset."""
    resources = {"dbt": DbtCliResource(project_dir=dbt_project(), dbt_executable=dbt_executable())}
    assets = dbt_assets_with(checks)
    own_before, children_before = _cpu()
    started = time.perf_counter()
    quiet = {"loggers": {"console": {"config": {"log_level": "CRITICAL"}}}}
    with (
        dg.DagsterInstance.ephemeral() as instance,
        open(os.devnull, "w") as devnull,
        contextlib.redirect_stdout(devnull),
    ):
        result = dg.materialize([assets], resources=resources, instance=instance, run_config=quiet)
        events = len(instance.all_logs(result.run_id))
    wall = time.perf_counter() - started
    own_after, children_after = _cpu()
    assert result.success
    return wall, own_after - own_before, children_after - children_before, events


def plain(target: Path) -> tuple[float, float]:
    """(wall, dbt CPU) of the same build by the dbt CLI alone."""
    _, children_before = _cpu()
    started = time.perf_counter()
    subprocess.run(
        [
            dbt_executable(),
            *BUILD_ARGS,
            "--quiet",
            "--project-dir",
            str(dbt_project().project_dir),
            "--profiles-dir",
            str(dbt_project().profiles_dir),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
        ],
        env=dbt_env(**parent_env()),
        check=True,
    )
    wall = time.perf_counter() - started
    return wall, _cpu()[1] - children_before


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("--warehouse", type=Path, required=True, help="a warehouse a county run left")
    parser.add_argument("--runs", type=int, default=1)
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-dbt-events-") as scratch:
        warehouse = Path(scratch) / "warehouse.duckdb"
        shutil.copy2(options.warehouse, warehouse)
        os.environ["HIGHNEEDS_WAREHOUSE"] = str(warehouse)
        os.environ.update(parent_env())
        rows = {}
        rows["plain dbt build"] = [
            (*plain(Path(scratch) / f"plain{i}"), None, None) for i in range(options.runs)
        ]
        rows["Dagster, tests as checks"] = [in_dagster(True) for _ in range(options.runs)]
        rows["Dagster, tests not checks"] = [in_dagster(False) for _ in range(options.runs)]
    print(f"{'':<28}{'wall s':>8}{'Dagster CPU s':>15}{'dbt CPU s':>11}{'events':>8}")
    for name, runs in rows.items():
        if name == "plain dbt build":
            wall, dbt_cpu = statistics.median(r[0] for r in runs), statistics.median(r[1] for r in runs)
            print(f"{name:<28}{wall:>8.1f}{'':>15}{dbt_cpu:>11.1f}{'':>8}")
        else:
            wall, own, dbt_cpu, events = (statistics.median(r[i] for r in runs) for i in range(4))
            print(f"{name:<28}{wall:>8.1f}{own:>15.1f}{dbt_cpu:>11.1f}{events:>8.0f}")


if __name__ == "__main__":
    main()
