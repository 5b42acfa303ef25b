"""Real DfE statistics (vendored under OGL v3.0) for benchmarking the county against England, its region
and its statistical neighbours: parsing in `parse`, the neighbour set in `compare`;
the comparison itself is the dbt mart `benchmarks`."""

from orchestration.public_data.compare import NeighbourSet, load_neighbours
from orchestration.public_data.parse import (
    MEASURES,
    TIDY_COLUMNS,
    clean_area_name,
    load_public_benchmarks,
    measure_catalogue,
    parse_value,
    read_cin_with_ehc_plan,
    read_dsg_cumulative_balance,
    read_ehc_requests_and_new_plans,
    read_hn_budget_per_head,
)

__all__ = [
    "MEASURES",
    "TIDY_COLUMNS",
    "NeighbourSet",
    "clean_area_name",
    "load_neighbours",
    "load_public_benchmarks",
    "measure_catalogue",
    "parse_value",
    "read_cin_with_ehc_plan",
    "read_dsg_cumulative_balance",
    "read_ehc_requests_and_new_plans",
    "read_hn_budget_per_head",
]
