"""The jobs a person or a schedule starts."""

from __future__ import annotations

import dagster as dg

MONTHLY_RUN_JOB_NAME = "highneeds_monthly_run"

monthly_run_job = dg.define_asset_job(
    name=MONTHLY_RUN_JOB_NAME,
    selection=dg.AssetSelection.all(),
    description="Load new landing files, rebuild every model and mart, and produce the reports.",
)
