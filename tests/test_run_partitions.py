"""Which months one `highneeds run` covers: those of its new files, not every month since 2014."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from orchestration.partitions import MONTHLY_PARTITIONS, RANGE_END_TAG, RANGE_START_TAG, months_tags
from orchestration.run import changed_months
from orchestration.staleness import RunPlan


def test_a_run_covers_the_first_to_the_last_month_of_its_new_files():
    tags = months_tags(["2023-07", "2021-04", "2022-01"])
    assert (tags[RANGE_START_TAG], tags[RANGE_END_TAG]) == ("2021-04", "2023-07")


def test_a_month_outside_the_partitions_is_left_out_and_with_no_month_the_run_covers_the_current_one():
    current = MONTHLY_PARTITIONS.get_last_partition_key()
    assert months_tags(["1999-01", "2022-05"]) == {RANGE_START_TAG: "2022-05", RANGE_END_TAG: "2022-05"}
    assert months_tags([]) == {RANGE_START_TAG: current, RANGE_END_TAG: current}


def test_the_months_of_a_plan_are_those_of_its_monthly_files_only(tmp_path: Path):
    plan = RunPlan(
        stale={},
        changed_files={
            "hn_ledger": ["hn_ledger_2024-03.csv", "hn_ledger_2023-11.csv"],
            "placements": ["placements_2024-01.csv"],
            "schools": ["schools.csv"],
        },
        up_to_date_since=datetime(2024, 1, 1),
    )
    assert changed_months(plan, tmp_path) == ["2023-11", "2024-01", "2024-03"]
