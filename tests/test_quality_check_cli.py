"""`highneeds check`: validates a landing folder without loading anything; JSON problems; exit codes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from orchestration.cli import main
from tests.support.landing import write_landing_csv
from tests.support.pipeline import TEST_PSEUDONYM_KEY, settings_for
from tests.test_quality_refusals import (
    UPNS,
    binary_garbage,
    folder_fingerprint,
    ledger_month,
    load_everything,
    placement,
    placements_with,
    truncated_ledger,
    write_good_landing,
    write_text,
)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def test_check_json_lists_every_problem_and_exits_non_zero(tmp_path: Path):
    landing, home = tmp_path / "landing", tmp_path / "no-home-yet"
    write_good_landing(landing)
    truncated_ledger(landing)  # hn_ledger_2023-05.csv, cut off mid-line
    binary_garbage(landing)
    (landing / "hn_ledger_2023-05.csv").rename(landing / "hn_ledger_2023-08.csv")
    truncated_ledger(landing)
    write_text(landing, "schools.csv", "")
    placements_with(upn="Z" + UPNS[1][1:], provider_name='=HYPERLINK("http://evil.example","x")')(landing)
    before = folder_fingerprint(landing)

    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "highneeds"),
            "check",
            "--landing",
            str(landing),
            "--home",
            str(home),
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
        cwd="/",
        env={**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": TEST_PSEUDONYM_KEY},
    )

    assert completed.returncode == 1, completed.stderr[-3000:]
    problems = json.loads(completed.stdout)  # the whole of stdout is one JSON array
    assert isinstance(problems, list) and problems
    for problem in problems:
        assert set(problem) == {"file", "rows", "column", "rule", "severity", "message"}
        assert problem["severity"] in {"error", "warning"}
        assert isinstance(problem["rows"], list) and all(isinstance(r, int) for r in problem["rows"])
    by_file_rule = {(p["file"], p["rule"]): p for p in problems}
    for file, rule in [
        ("hn_ledger_2023-05.csv", "truncated"),
        ("hn_ledger_2023-08.csv", "not_a_csv"),
        ("schools.csv", "file_empty"),
    ]:
        problem = by_file_rule[(file, rule)]
        assert problem["column"] is None and problem["severity"] == "error"
    upn = by_file_rule[("placements_2023-07.csv", "invalid_upn")]
    assert upn["column"] == "upn" and upn["rows"] == [3] and "'Z93…'" in upn["message"]
    assert "Z" + UPNS[1][1:] not in completed.stdout
    formula = by_file_rule[("placements_2023-07.csv", "formula_text")]
    assert formula["severity"] == "warning" and "'=HYPERLINK" in formula["message"]
    assert not [s for s in _strings(problems) if s.startswith(("=", "+", "-", "@"))]
    # nothing was loaded or written
    assert folder_fingerprint(landing) == before
    assert not home.exists()


def test_check_passes_a_good_folder_and_warnings_do_not_fail_it(tmp_path: Path):
    landing = tmp_path / "landing"
    write_good_landing(landing)
    july = ledger_month("2023-07")
    july[0] = {**july[0], "description": "+44 1234 567890 call back"}
    write_landing_csv(landing, "hn_ledger", july, month="2023-07")

    result = CliRunner().invoke(main, ["check", "--landing", str(landing), "--home", str(tmp_path / "home")])

    assert result.exit_code == 0, result.output
    assert "would be REFUSED" not in result.output
    assert "warning [formula_text] row 2, column 'description'" in result.output
    assert "0 would be refused, 1 warning(s)." in result.output


def test_check_compares_with_the_warehouse_and_with_new_files_of_the_same_folder(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    write_good_landing(settings.landing)
    load_everything(settings)
    # a new snapshot with a new placement, and a ledger month paying for it: fine, the snapshot is newer
    snapshot = (settings.landing / "placements_2023-06.csv").read_text(encoding="utf-8")
    new_line = placement("P9", "", "special_academy", "2023-07-03", None, "21000.00")
    columns = snapshot.splitlines()[0].split(",")
    write_text(
        settings.landing,
        "placements_2023-07.csv",
        snapshot + ",".join(str(new_line.get(c, "")) if c != "upn" else UPNS[2] for c in columns) + "\r\n",
    )
    july = ledger_month("2023-07")
    july[0] = {**july[0], "placement_id": "P9"}
    write_landing_csv(settings.landing, "hn_ledger", july, month="2023-07")
    # …but August repeats a transaction id already loaded for April
    august = ledger_month("2023-08")
    august[2] = {**august[2], "transaction_id": "T2023-04-1"}
    write_landing_csv(settings.landing, "hn_ledger", august, month="2023-08")

    result = CliRunner().invoke(
        main, ["check", "--landing", str(settings.landing), "--home", str(settings.home), "--json"]
    )

    assert result.exit_code == 1, result.output
    problems = json.loads(result.output)
    errors = [(p["file"], p["rule"], p["rows"]) for p in problems if p["severity"] == "error"]
    assert errors == [("hn_ledger_2023-08.csv", "duplicate_transaction_id_across_deliveries", [4])]
    assert "hn_ledger_2023-04.csv" in next(p["message"] for p in problems if p["severity"] == "error")
    text = CliRunner().invoke(
        main, ["check", "--landing", str(settings.landing), "--home", str(settings.home)]
    )
    assert "= hn_ledger_2023-05.csv: loaded already, unchanged" in text.output
