"""Readers never meet a writer half-way: during a run `report`, `check` and `ui` say so in one sentence and
exit 2, and a run that starts while a report is being drawn waits for it.

Finding reproduced (issue 16, item 6): `highneeds report` during a run died with a 34-line lock traceback.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from orchestration.run_lock import RunInProgress, exclusive_run, reading_warehouse
from tests.conftest import highneeds_cli
from tests.support.landing import write_minimal_reference_files


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    (home / "warehouse.duckdb").touch()
    return home


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--month", "2026-10"],
        ["check", "--landing", "{landing}"],
        ["ui", "--port", "3999"],
    ],
    ids=["report", "check", "ui"],
)
def test_a_reader_during_a_run_gets_one_sentence_and_exit_code_2(
    home: Path, tmp_path: Path, command: list[str]
) -> None:
    landing = tmp_path / "landing"
    write_minimal_reference_files(landing)
    arguments = [part.format(landing=landing) for part in command]

    with exclusive_run(home):
        answered = highneeds_cli(*arguments, "--home", str(home))

    assert answered.returncode == 2
    message = answered.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"A run is in progress in {home} (pid ")
    assert message.endswith("try again when it has.")
    assert message.count(". ") == 0  # one sentence


def test_a_run_waits_for_a_report_being_drawn_and_then_starts(home: Path) -> None:
    report_finished = threading.Event()

    def draw_a_report() -> None:
        with reading_warehouse(home):
            time.sleep(1.0)
        report_finished.set()

    reader = threading.Thread(target=draw_a_report)
    reader.start()
    time.sleep(0.2)
    with exclusive_run(home):
        started_after_the_report = report_finished.is_set()
    reader.join()

    assert started_after_the_report


def test_a_run_gives_up_on_a_reader_that_never_finishes(home: Path) -> None:
    with (
        reading_warehouse(home),
        pytest.raises(RunInProgress, match="was still reading"),
        exclusive_run(home, wait_for_readers_seconds=0.3),
    ):
        pass


def test_a_second_run_is_refused_at_once_while_readers_may_read_before_and_after(home: Path) -> None:
    with reading_warehouse(home):
        pass
    with (
        exclusive_run(home),
        pytest.raises(RunInProgress, match="another run is already using"),
        exclusive_run(home),
    ):
        pass
    with reading_warehouse(home):
        pass
