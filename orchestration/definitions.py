"""The one Dagster `Definitions` object of the High Needs platform (loaded by `workspace.yaml`)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.landing import landing_assets
from orchestration.assets.public_data import dfe_benchmarks
from orchestration.assets.transform import highneeds_dbt_models
from orchestration.jobs import monthly_run_job
from orchestration.resources import build_resources

defs = dg.Definitions(
    assets=[*landing_assets, dfe_benchmarks, highneeds_dbt_models],
    jobs=[monthly_run_job],
    resources=build_resources(),
)
