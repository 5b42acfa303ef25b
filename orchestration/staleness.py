"""What a run must rebuild, decided before it starts: nothing whose inputs are unchanged since it was built.

An asset is stale when
- it is a landing dataset with a file that is new or changed since it was loaded (its sha256 against the
  load log `raw._file_loads`), or its raw table is missing;
- it was never built, it is a dbt model or seed missing from the warehouse, or its code version changed
  since it was built (the dbt assets carry the dbt project's fingerprint, so an edited model rebuilds the
  dbt project);
- a test of it failed the last time it ran (it is built and tested again, not built on);
- something it is built from changed after it was built: a landing dataset's newest load in the load log,
  another asset's latest materialization in Dagster's event log, or an asset that is stale in this run.
- the installation's configuration (`highneeds.yaml`: LA code, neighbours, thresholds, scenarios) is not
  the one the last complete run used: every asset built from landing data is rebuilt (landing loads keep
  their files; a header map only matters to files not loaded yet).
So a run with nothing new selects nothing; a new ledger month selects the ledger and what is built from it;
an asset left unbuilt by a refused file or a failure stays stale until a run builds it. Python assets carry
no code version: after an upgrade that changes how the pack is drawn, `highneeds report` redraws it.

Walking the graph needs the Dagster definitions and event log (seconds to load). So a run that built all
it planned also records, in the warehouse (`raw._outputs_state`), the digests of the landing files and
the dbt project and configuration fingerprints it started from; the next run compares those first and,
when nothing changed, knows there is nothing new without loading Dagster at all. The record travels with
the warehouse, so a warehouse restored from a backup or rebuilt from the archive is never mistaken for an
up-to-date one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from orchestration.contract import DATASETS, landing_files
from orchestration.settings import Settings
from orchestration.warehouse import connect

if TYPE_CHECKING:
    import dagster as dg

DBT_KIND_TAG = "dagster/kind/dbt"
OUTPUTS_STATE = "raw._outputs_state"
"""One row: when the outputs were last brought up to date, from which landing files and dbt project."""


def landing_digests(landing: Path) -> dict[str, str]:
    """Recognised landing file name → sha256 of its bytes."""
    digests = {}
    for landing_file in landing_files(landing):
        with landing_file.path.open("rb") as handle:
            digests[landing_file.name] = hashlib.file_digest(handle, "sha256").hexdigest()
    return digests


def config_fingerprint(settings: Settings) -> str:
    """The digest of the configuration file's bytes ('defaults' when there is none).

    The bytes, not the validated settings: validating reads the DfE files (pandas, most of a second), which
    a run with nothing new must not pay. An edited comment therefore counts as a change: one rebuild.
    """
    path = settings.config_file
    if path is None or not path.is_file():
        return "defaults"
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def _inputs_fingerprint(digests: Mapping[str, str], dbt_project: str, config: str) -> str:
    return hashlib.sha256(json.dumps([sorted(digests.items()), dbt_project, config]).encode()).hexdigest()


def _outputs_state(warehouse: Path) -> tuple[datetime, str, str | None] | None:
    """(up to date since, inputs fingerprint, configuration fingerprint) of the last complete run."""
    if not warehouse.exists():
        return None
    with connect(warehouse, read_only=True) as connection:
        schema, table = OUTPUTS_STATE.split(".")
        columns = {
            row[0]
            for row in connection.execute(
                "select column_name from information_schema.columns "
                "where table_schema = ? and table_name = ?",
                [schema, table],
            ).fetchall()
        }
        if not columns:
            return None
        config = "config" if "config" in columns else "null"
        row = connection.execute(f"select up_to_date_since, inputs, {config} from {OUTPUTS_STATE}").fetchone()
    return row


def up_to_date_since(
    warehouse: Path, digests: Mapping[str, str], dbt_project: str, config: str
) -> datetime | None:
    """When the outputs were brought up to date from exactly these landing files, dbt project and
    configuration; None when the warehouse holds no such record (something is, or may be, stale)."""
    row = _outputs_state(warehouse)
    if row is None or row[1] != _inputs_fingerprint(digests, dbt_project, config):
        return None
    return row[0]


def config_of_last_complete_run(warehouse: Path) -> str | None:
    """The configuration fingerprint the outputs were last brought up to date with (None: not known)."""
    row = _outputs_state(warehouse)
    return None if row is None else row[2]


def record_up_to_date(
    warehouse: Path, since: datetime, digests: Mapping[str, str], dbt_project: str, config: str
) -> None:
    """Remember that the outputs are up to date with these landing files, dbt project and configuration."""
    with connect(warehouse) as connection:
        connection.execute(f"create schema if not exists {OUTPUTS_STATE.split('.')[0]}")
        connection.execute(
            f"create or replace table {OUTPUTS_STATE} "
            "(up_to_date_since timestamp, inputs varchar, config varchar)"
        )
        connection.execute(
            f"insert into {OUTPUTS_STATE} values (?, ?, ?)",
            [since, _inputs_fingerprint(digests, dbt_project, config), config],
        )


@dataclass(frozen=True)
class WarehouseState:
    """What the warehouse holds, read once before a run: its tables, and what the load log says."""

    tables: frozenset[tuple[str, str]] = frozenset()
    loaded_sha256: Mapping[tuple[str, str], str] = field(default_factory=dict)
    """(dataset, extract month or '') → sha256 of the file loaded for it now."""
    last_loaded: Mapping[str, datetime] = field(default_factory=dict)
    """dataset → when a file of it was last loaded."""


def read_warehouse_state(warehouse: Path) -> WarehouseState:
    """Tables and load log of the warehouse (nothing, for a warehouse not made yet); read-only, brief."""
    if not warehouse.exists():
        return WarehouseState()
    from orchestration.ingest import LOAD_LOG, loaded_versions

    with connect(warehouse, read_only=True) as connection:
        tables = frozenset(
            connection.execute("select table_schema, table_name from information_schema.tables").fetchall()
        )
        if ("raw", LOAD_LOG.split(".")[1]) not in tables:
            return WarehouseState(tables=tables)
        loaded_sha256 = {
            (name, month): sha
            for name, dataset in DATASETS.items()
            for month, sha in loaded_versions(connection, dataset).items()
        }
        last_loaded = dict(
            connection.execute(f"select dataset, max(loaded_at) from {LOAD_LOG} group by dataset").fetchall()
        )
    return WarehouseState(tables=tables, loaded_sha256=loaded_sha256, last_loaded=last_loaded)


def changed_landing_files(
    landing: Path, digests: Mapping[str, str], state: WarehouseState
) -> dict[str, list[str]]:
    """dataset → names of its landing files that are new or differ from the version loaded for their month."""
    changed: dict[str, list[str]] = {}
    for landing_file in landing_files(landing):
        loaded = state.loaded_sha256.get((landing_file.dataset.name, landing_file.extract_month or ""))
        if loaded != digests.get(landing_file.name):
            changed.setdefault(landing_file.dataset.name, []).append(landing_file.name)
    return changed


@dataclass(frozen=True)
class Built:
    """An asset's latest materialization: when, with which code version, and whether a test of it failed."""

    timestamp: float
    code_version: str | None = None
    test_failed: bool = False


def latest_builds(instance: dg.DagsterInstance, graph: dg.AssetGraph) -> dict[dg.AssetKey, Built]:
    """Every asset's latest materialization, and whether its checks passed since, from Dagster's log.

    A check whose latest execution failed at error severity, or never finished (the run was killed), leaves
    its asset unproven: it is built and tested again.
    """
    import dagster as dg
    from dagster._core.storage.asset_check_execution_record import AssetCheckExecutionRecordStatus

    events = instance.get_latest_materialization_events(graph.materializable_asset_keys)
    latest_checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        list(graph.asset_check_keys)
    )
    unproven: set[dg.AssetKey] = set()
    for check_key, record in latest_checks.items():
        if record.status == AssetCheckExecutionRecordStatus.SUCCEEDED:
            continue
        if record.status == AssetCheckExecutionRecordStatus.FAILED and record.event is not None:
            severity = record.event.dagster_event.asset_check_evaluation_data.severity
            if severity == dg.AssetCheckSeverity.WARN:
                continue
        unproven.add(check_key.asset_key)
    builds = {}
    for key, event in events.items():
        if event is None:
            continue
        tags = event.asset_materialization.tags or {}
        builds[key] = Built(
            timestamp=event.timestamp,
            code_version=tags.get("dagster/code_version"),
            test_failed=key in unproven,
        )
    return builds


@dataclass(frozen=True)
class RunPlan:
    """The assets one run will materialise, each with the reason it is stale."""

    stale: dict[dg.AssetKey, str]
    changed_files: dict[str, list[str]]
    up_to_date_since: datetime | None
    """When what the warehouse holds was last changed (a load or a build); None before the first run."""

    @property
    def nothing_new(self) -> bool:
        return not self.stale

    def reasons_text(self, limit: int = 12) -> list[str]:
        lines = [f"{key.to_user_string()}: {why}" for key, why in self.stale.items()]
        return lines[:limit] + ([f"… and {len(lines) - limit} more"] if len(lines) > limit else [])


def landing_dataset(key: dg.AssetKey) -> str | None:
    """The landing dataset an asset key `raw/<dataset>` loads, else None."""
    if len(key.path) == 2 and key.path[0] == "raw" and key.path[1] in DATASETS:
        return key.path[1]
    return None


def _missing_dbt_relation(key: dg.AssetKey, node, tables: frozenset[tuple[str, str]]) -> bool:
    """A dbt model or seed (keyed `<schema>/<name>`) that the warehouse does not hold."""
    return DBT_KIND_TAG in node.tags and tuple(key.path) not in tables


def plan_run(
    graph: dg.AssetGraph,
    builds: Mapping[dg.AssetKey, Built],
    state: WarehouseState,
    changed_files: Mapping[str, list[str]],
) -> RunPlan:
    """Walk the asset graph from the landing datasets down and keep what is stale (see the module doc).

    Assets made by one step that cannot run in part (a multi-asset that is not subsettable) are stale
    together: the walk is repeated with the partners of every stale asset counted as stale too.
    """
    partners: dict[dg.AssetKey, str] = {}
    while True:
        stale = _walk(graph, builds, state, changed_files, partners)
        missing = {
            partner: f"made in one step with {key.to_user_string()}"
            for key in stale
            for partner in graph.get(key).execution_set_asset_keys
            if partner not in stale
        }
        if not missing:
            break
        partners.update(missing)
    return RunPlan(
        stale=stale, changed_files=dict(changed_files), up_to_date_since=_latest_change(builds, state)
    )


def _walk(
    graph: dg.AssetGraph,
    builds: Mapping[dg.AssetKey, Built],
    state: WarehouseState,
    changed_files: Mapping[str, list[str]],
    partners: Mapping[dg.AssetKey, str],
) -> dict[dg.AssetKey, str]:
    changed_at: dict[dg.AssetKey, float] = {}
    rebuilt = float("inf")
    stale: dict[dg.AssetKey, str] = {}
    for key in graph.toposorted_asset_keys:
        node = graph.get(key)
        if not node.is_materializable:
            continue
        dataset = landing_dataset(key)
        if dataset is not None:
            if dataset in changed_files:
                stale[key] = "new or changed file(s): " + ", ".join(changed_files[dataset])
            elif ("raw", dataset) not in state.tables:
                stale[key] = "its raw table is not in the warehouse yet"
            loaded = state.last_loaded.get(dataset)
            changed_at[key] = rebuilt if key in stale else (loaded.timestamp() if loaded else 0.0)
            continue
        built = builds.get(key)
        why = _why_stale(key, node, built, state, changed_at) or partners.get(key)
        if why:
            stale[key] = why
        changed_at[key] = rebuilt if why else built.timestamp
    return stale


def _why_stale(
    key: dg.AssetKey,
    node,
    built: Built | None,
    state: WarehouseState,
    changed_at: Mapping[dg.AssetKey, float],
) -> str | None:
    if built is None:
        return "never built"
    if _missing_dbt_relation(key, node, state.tables):
        return "not in the warehouse"
    if node.code_version and built.code_version != node.code_version:
        return "its code changed since it was built"
    if built.test_failed:
        return "a test of it failed, or did not finish, when it was last built"
    newer = sorted(
        parent.to_user_string()
        for parent in node.parent_keys
        if changed_at.get(parent, 0.0) > built.timestamp
    )
    if newer:
        return "built from " + ", ".join(newer[:3]) + (" …" if len(newer) > 3 else "") + ", which changed"
    return None


def _latest_change(builds: Mapping[dg.AssetKey, Built], state: WarehouseState) -> datetime | None:
    times = [datetime.fromtimestamp(built.timestamp) for built in builds.values()]
    times += list(state.last_loaded.values())
    return max(times).replace(microsecond=0) if times else None


def plan_for(
    settings: Settings, digests: Mapping[str, str], graph: dg.AssetGraph, instance: dg.DagsterInstance
) -> RunPlan:
    """The plan of a run over the settings' landing folder (whose files have these digests) and home."""
    if settings.landing is None:
        raise ValueError("no landing folder given: pass --landing DIR or set HIGHNEEDS_LANDING")
    state = read_warehouse_state(settings.warehouse)
    changed = changed_landing_files(settings.landing, digests, state)
    plan = plan_run(graph, latest_builds(instance, graph), state, changed)
    recorded = config_of_last_complete_run(settings.warehouse)
    if recorded is None or recorded == config_fingerprint(settings):
        return plan
    return with_configuration_changed(plan, graph)


def with_configuration_changed(plan: RunPlan, graph: dg.AssetGraph) -> RunPlan:
    """The plan with every asset built from landing data stale too: the configuration changed."""
    stale = dict(plan.stale)
    for key in graph.toposorted_asset_keys:
        if graph.get(key).is_materializable and landing_dataset(key) is None:
            stale.setdefault(key, "highneeds.yaml changed since the last complete run")
    return RunPlan(stale=stale, changed_files=plan.changed_files, up_to_date_since=plan.up_to_date_since)
