"""The one Dagster `Definitions` object of the High Needs platform (loaded by `workspace.yaml`)."""

from __future__ import annotations

import dagster as dg

from orchestration.assets.freshness import ledger_is_recent
from orchestration.assets.impact import impact_estimates
from orchestration.assets.landing import landing_assets
from orchestration.assets.projection import hn_projection
from orchestration.assets.public_data import dfe_benchmarks
from orchestration.assets.refusals import no_file_refused
from orchestration.assets.reports import schools_forum_pack
from orchestration.assets.transform import highneeds_dbt_models
from orchestration.automation import email_on_run_failure, monthly_schedule, new_landing_files_sensor
from orchestration.jobs import monthly_run_job
from orchestration.resources import build_resources

defs = dg.Definitions(
    assets=[
        *landing_assets,
        dfe_benchmarks,
        highneeds_dbt_models,
        hn_projection,
        impact_estimates,
        schools_forum_pack,
    ],
    asset_checks=[ledger_is_recent, no_file_refused],
    jobs=[monthly_run_job],
    schedules=[monthly_schedule],
    sensors=[new_landing_files_sensor, email_on_run_failure],
    resources=build_resources(),
)
