"""The installation's LA and the neighbours it lists, as rows dbt reads (`raw.installation_benchmark_areas`).

Written from `highneeds.yaml` on every run, so changing `la_code` or `statistical_neighbours` changes the
benchmarks at the next run. Without listed neighbours only the LA's row is written and dbt computes the
nearest ones (`int_las__profile_distance`).
"""

from __future__ import annotations

import pandas as pd

from orchestration.config import InstallationConfig

AREA_COLUMNS = {
    "old_la_code": "integer",
    "role": "varchar",
    "list_position": "integer",
    "neighbours_note": "varchar",
}
"""Column → DuckDB type of `raw.installation_benchmark_areas`."""


def installation_areas(config: InstallationConfig) -> pd.DataFrame:
    """The LA (role `la`, carrying the neighbours' note) and each listed neighbour (role `neighbour`, 1…n)."""
    the_la = {
        "old_la_code": config.la_code,
        "role": "la",
        "list_position": None,
        "neighbours_note": config.statistical_neighbours_note,
    }
    neighbours = [
        {"old_la_code": code, "role": "neighbour", "list_position": position, "neighbours_note": None}
        for position, code in enumerate(config.statistical_neighbours, start=1)
    ]
    areas = pd.DataFrame([the_la, *neighbours], columns=list(AREA_COLUMNS))
    return areas.astype({"old_la_code": "int64", "list_position": "Int64", "neighbours_note": "object"})
