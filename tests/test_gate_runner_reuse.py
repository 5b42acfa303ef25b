"""A run's datasets share one GX context: made once per home, a new validation run each time."""

from __future__ import annotations

import shutil
from pathlib import Path

from expectations.gate import make_runner


def test_the_same_home_gets_the_same_context_with_a_new_run_each_time(tmp_path: Path) -> None:
    first = make_runner(tmp_path / "home")
    first_run = first._run_id
    first._kept.append("a result of the first dataset")
    second = make_runner(tmp_path / "home")

    assert second is first
    assert second._kept == [] and second._run_id != first_run


def test_another_home_or_a_removed_one_gets_a_new_context(tmp_path: Path) -> None:
    first = make_runner(tmp_path / "one")
    other = make_runner(tmp_path / "two")
    assert other is not first and Path(other.context.root_directory).parent == tmp_path / "two"

    shutil.rmtree(tmp_path / "two")
    again = make_runner(tmp_path / "two")
    assert again is not other and Path(again.context.root_directory).is_dir()


def test_an_ephemeral_runner_is_never_shared() -> None:
    assert make_runner() is not make_runner()
