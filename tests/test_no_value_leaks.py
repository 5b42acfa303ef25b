"""No value from a landing file reaches any message unless its header was recognised and it is not personal.

A placements file whose header row is missing starts with a child's record (placement id, UPN, names, date
of birth). Checked and run through the real CLI, it is refused by its shape, and none of those values is
in `check`'s output (text or JSON), the run's summary, the quarantine letter and report, the Data Docs, the
Dagster event log, the run log, the warehouse, or the failure e-mail.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import highneeds_cli
from tests.support.landing import make_upn
from tests.support.leaks import found_in, home_text, warehouse_text
from tests.test_automation import _Inbox, smtp_server  # noqa: F401 - the fixture, used by name
from tests.test_quality_refusals import write_good_landing

pytestmark = pytest.mark.slow

CHILDREN = [
    ["PL0000122", make_upn(938, 2932, 12, 310), "Arthur", "Tucker", "2008-06-13"],
    ["PL0000123", make_upn(938, 2932, 12, 311), "Beatrix", "Okonkwo", "2009-02-27"],
]
"""Placement id, UPN, forename, surname, date of birth: the first line of the file is the first child."""


def headerless_placements(landing: Path) -> list[str]:
    """Write the file; return every value in it that must not be repeated anywhere."""
    tail = [
        "M",
        "WBRI",
        "ASD",
        "2019-09-01",
        "special_maintained",
        "100002",
        "Southfield School",
        "2023-01-09",
    ]
    lines = [",".join([*child, *tail, "", "21000.00", "", "Northvale"]) for child in CHILDREN]
    (landing / "placements_2023-07.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return [value for child in CHILDREN for value in child]


def test_a_headerless_file_is_refused_by_its_shape_and_none_of_its_values_reaches_any_output(
    tmp_path: Path,
    smtp_server: tuple[_Inbox, int],  # noqa: F811
):
    inbox, port = smtp_server
    landing, home = tmp_path / "landing", tmp_path / "home"
    write_good_landing(landing)
    secrets = headerless_placements(landing)

    checked = highneeds_cli("check", "--landing", str(landing), "--home", str(home))
    as_json = highneeds_cli("check", "--landing", str(landing), "--home", str(home), "--json")
    ran = highneeds_cli(
        "run",
        "--landing",
        str(landing),
        "--home",
        str(home),
        env={
            "HIGHNEEDS_SMTP_HOST": "127.0.0.1",
            "HIGHNEEDS_SMTP_PORT": str(port),
            "HIGHNEEDS_SMTP_TO": "finance@example.org",
        },
    )

    assert checked.returncode == 1 and as_json.returncode == 1 and ran.returncode != 0
    shape = "the first line holds 17 values and none is a placements column name"
    assert shape in checked.stdout
    problem = next(p for p in json.loads(as_json.stdout) if p["file"] == "placements_2023-07.csv")
    assert problem["rule"] == "no_header_row" and shape in problem["message"]
    assert "placements_2023-07.csv" in ran.stdout and len(inbox.messages) == 1
    letters = [p for p in (home / "quarantine").iterdir() if p.suffix in (".txt", ".json")]
    assert len(letters) == 2 and shape in letters[0].read_text(encoding="utf-8")
    assert (home / "gx").is_dir() and (home / "dagster").is_dir()

    quarantined_copy = next(p for p in (home / "quarantine").iterdir() if p.suffix == ".csv")
    channels = {
        "check": checked.stdout + checked.stderr,
        "check --json": as_json.stdout + as_json.stderr,
        "run summary": ran.stdout + ran.stderr,
        "e-mail": "\n".join(inbox.messages),
        # quarantine letters, Data Docs, the Dagster event log and the run log; the quarantined copy is
        # the refused file itself, kept for the officer by design
        "home": home_text(home).replace(quarantined_copy.read_text(encoding="utf-8"), ""),
        "warehouse": warehouse_text(home / "warehouse.duckdb"),
    }
    leaked = {channel: found_in(text, secrets) for channel, text in channels.items()}
    assert not any(leaked.values()), leaked
