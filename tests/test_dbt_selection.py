"""Which dbt nodes a run leaves out when a landing file is refused: asked of the real dbt CLI (`dbt ls`)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from orchestration.assets.transform import excluded_for_refusals
from orchestration.dbt_launcher import parent_env
from orchestration.dbt_manifest import dbt_env, dbt_executable, manifest_json
from orchestration.settings import DBT_PROJECT_DIR


def _dbt_ls(extra: list[str], scratch: Path) -> set[str]:
    listed = subprocess.run(
        [
            dbt_executable(),
            "ls",
            "--resource-type",
            "model",
            "--output",
            "json",
            "--output-keys",
            "name",
            "--quiet",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--profiles-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(scratch),
            "--log-path",
            str(scratch),
            *extra,
        ],
        env=dbt_env(**parent_env()),
        capture_output=True,
        text=True,
        check=True,
    )
    return {json.loads(line)["name"] for line in listed.stdout.splitlines() if line.startswith("{")}


def test_a_refused_school_outcomes_file_leaves_out_the_impact_models_and_keeps_the_finance_ones(
    tmp_path: Path,
) -> None:
    excluded = excluded_for_refusals(["school_outcomes", "not_a_dbt_source"], manifest_json())
    assert excluded == ["--exclude", "source:landing.school_outcomes+"]

    models = _dbt_ls(excluded, tmp_path)

    assert {"spend_by_provision_type", "budget_vs_outturn", "cost_per_placement", "placement_flows"} <= models
    assert {"stg_landing__school_outcomes", "exclusion_rates", "impact_panel"}.isdisjoint(models)
    assert "stg_landing__schools" in models  # read by the impact models too, but not built from the bad file
