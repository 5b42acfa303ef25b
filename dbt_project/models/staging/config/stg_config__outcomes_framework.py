"""The outcomes framework catalogue (`config/outcomes_framework.yaml`) as a table, one row per indicator.

A Python model rather than a seed, so the YAML stays the one place an indicator is defined: it is read
through the same pydantic model the quality gate uses, and a bad catalogue fails this model with the
file and key at fault. `pool_below_count` is the installation's `disclosure.min_count` (`highneeds.yaml`):
a period whose count is below it is pooled over three years in `outcomes_tracker`.
"""

import os
from pathlib import Path

import pandas as pd


def model(dbt, session):
    dbt.config(materialized="table")
    from orchestration.outcomes_framework import read_catalogue
    from orchestration.settings import Settings

    # typed, so a column the catalogue leaves blank everywhere (baseline_value) is still a number
    catalogue = pd.DataFrame(read_catalogue().rows()).astype(
        {"baseline_value": "float64", "value_max": "float64", "comparator": "object"}
    )
    # the warehouse dbt writes is <home>/warehouse.duckdb: that home's highneeds.yaml (or $HIGHNEEDS_CONFIG);
    # named relative to dbt's working directory when the platform starts dbt in the home (`dbt_launcher`)
    home = Path(os.environ["HIGHNEEDS_WAREHOUSE"]).resolve().parent
    catalogue["pool_below_count"] = Settings.from_env(home=home).config.disclosure.min_count
    return catalogue
