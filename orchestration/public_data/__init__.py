"""Real DfE statistics (vendored under OGL v3.0) for benchmarking the installation's LA against England, its
region and its statistical neighbours: parsing in `parse`, the configured LA and listed neighbours in `areas`;
the comparison itself, and the computed neighbours, are dbt models (`marts/benchmarks`)."""

from orchestration.public_data.areas import AREA_COLUMNS, installation_areas
from orchestration.public_data.parse import (
    MEASURES,
    PROFILE_COLUMNS,
    PROFILE_FIGURES,
    TIDY_COLUMNS,
    clean_area_name,
    current_las,
    load_public_benchmarks,
    measure_catalogue,
    parse_value,
    read_cin_with_ehc_plan,
    read_dsg_cumulative_balance,
    read_ehc_requests_and_new_plans,
    read_hn_budget_per_head,
    read_la_profile_figures,
)

__all__ = [
    "AREA_COLUMNS",
    "MEASURES",
    "PROFILE_COLUMNS",
    "PROFILE_FIGURES",
    "TIDY_COLUMNS",
    "clean_area_name",
    "current_las",
    "installation_areas",
    "load_public_benchmarks",
    "measure_catalogue",
    "parse_value",
    "read_cin_with_ehc_plan",
    "read_dsg_cumulative_balance",
    "read_ehc_requests_and_new_plans",
    "read_hn_budget_per_head",
    "read_la_profile_figures",
]
