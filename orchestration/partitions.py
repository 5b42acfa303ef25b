"""Monthly partitions of the monthly landing datasets (ledger, placements, school outcomes).

A partition is an extract month `YYYY-MM`: materialising it loads that month's file (a month with no
file, such as a placements snapshot taken quarterly, is a no-op). Backfills over many months run as one
run (`BackfillPolicy.single_run`), so partitions never fight over the DuckDB file. The current month is
included (`end_offset=1`) because extracts are named by the month they are taken in.
"""

from __future__ import annotations

import dagster as dg

FIRST_MONTH = "2014-09"
"""EHC plans began in September 2014: no High Needs extract in this contract is older."""

MONTHLY_PARTITIONS = dg.MonthlyPartitionsDefinition(start_date=FIRST_MONTH, fmt="%Y-%m", end_offset=1)

RANGE_START_TAG = "dagster/asset_partition_range_start"
RANGE_END_TAG = "dagster/asset_partition_range_end"


def range_tags(first: str, last: str) -> dict[str, str]:
    """Run tags that make one run cover the months `first`..`last` of every partitioned asset."""
    return {RANGE_START_TAG: first, RANGE_END_TAG: last}


def months_tags(months: list[str]) -> dict[str, str]:
    """One run over the first to the last of `months` (the extract months of new files); with none, the
    current month. Each month of the range is a partition Dagster logs twice (planned, then materialised),
    so a run covers the months with something new rather than every month since 2014."""
    keys = MONTHLY_PARTITIONS.get_partition_keys()
    known = sorted(set(months) & set(keys))  # a month outside the partitions is no partition to run
    first, last = (known[0], known[-1]) if known else (keys[-1], keys[-1])
    return range_tags(first, last)


def all_months_tags() -> dict[str, str]:
    """Every month from the first partition to the current one: what `highneeds run` loads."""
    keys = MONTHLY_PARTITIONS.get_partition_keys()
    return range_tags(keys[0], keys[-1])
