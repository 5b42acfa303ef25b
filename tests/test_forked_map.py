"""Pure computations spread over forked workers give what `map` gives, in order, one BLAS thread each."""

from __future__ import annotations

import os

import pandas as pd
from threadpoolctl import threadpool_info, threadpool_limits

from analyses.evaluation import evaluate_programmes
from analyses.plan import read_plan
from orchestration.assets.impact import DEFAULT_PLAN_FILE
from orchestration.forked_map import forked_map
from tests.test_impact_assets import simulate_impact_panel


def _square_and_pid(number: int) -> tuple[int, int]:
    return number * number, os.getpid()


def _blas_threads(_item: object) -> list[int]:
    return [pool["num_threads"] for pool in threadpool_info() if pool["user_api"] == "blas"]


def test_results_come_back_in_the_items_order_from_other_processes() -> None:
    results = list(forked_map(2)(_square_and_pid, range(7)))
    assert [square for square, _ in results] == [0, 1, 4, 9, 16, 25, 36]
    assert os.getpid() not in {pid for _, pid in results}


def test_one_worker_or_one_item_runs_in_this_process() -> None:
    assert {pid for _, pid in forked_map(1)(_square_and_pid, range(3))} == {os.getpid()}
    assert list(forked_map(2)(_square_and_pid, [5])) == [(25, os.getpid())]


def test_each_worker_computes_with_one_blas_thread() -> None:
    per_worker = list(forked_map(2)(_blas_threads, range(4)))
    assert per_worker and all(threads and set(threads) == {1} for threads in per_worker)


def test_programmes_evaluated_in_two_workers_match_those_evaluated_one_after_another() -> None:
    panel = simulate_impact_panel()
    plan = read_plan(DEFAULT_PLAN_FILE)
    with threadpool_limits(limits=1):  # the workers' BLAS, so that sums are added up in the same order
        alone = evaluate_programmes(panel, plan)
    lines: list[str] = []
    forked = evaluate_programmes(panel, plan, progress=lines.append, mapper=forked_map(2))

    assert len(forked.estimates) > 0 and len(lines) == panel["programme"].nunique()
    pd.testing.assert_frame_equal(forked.estimates, alone.estimates)
    pd.testing.assert_frame_equal(forked.event_study, alone.event_study)
    pd.testing.assert_frame_equal(forked.balance, alone.balance)
    assert forked.notes == alone.notes and forked.skipped == alone.skipped


def test_pack_sections_drawn_side_by_side_are_those_drawn_one_after_another(tmp_path) -> None:
    from datetime import datetime

    from orchestration.reports.data import load_pack_data
    from orchestration.reports.sections import build_content
    from tests.test_report_pack import MONTH, make_pack_home

    data = load_pack_data(make_pack_home(tmp_path / "home"), MONTH)
    at = datetime(2026, 11, 1, 9, 30)
    alone = build_content(data, at)
    side_by_side = build_content(data, at, mapper=forked_map(2))

    assert [section.key for section in side_by_side.sections] == [section.key for section in alone.sections]
    assert side_by_side == alone  # every table, sentence and chart's PNG bytes
    assert any(section.charts for section in alone.sections)
