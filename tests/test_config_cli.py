"""The configuration through the real `highneeds` command: `init`, `--config`, refusals that touch nothing."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from orchestration.config import CONFIG_ENV, CONFIG_FILE_NAME, load_config
from tests.conftest import DemoRun, highneeds_cli

BAD_CONFIGURATIONS = {
    "unknown key": ("la_code: 916\nneighbours: [885]\n", "neighbours: unknown key"),
    "unknown column": (
        'columns:\n  hn_ledger:\n    "Amount (£)": amount\n',
        "columns.hn_ledger.'Amount (£)': mapped to 'amount', which is not a hn_ledger column; "
        "did you mean 'amount_gbp'?",
    ),
    "two headers to one column": (
        'columns:\n  placements:\n    "Child UPN": upn\n    "UPN (pupil)": upn\n',
        "columns.placements: headers 'Child UPN' and 'UPN (pupil)' are both mapped to 'upn'",
    ),
    "unknown LA code": (
        "la_code: 917\n",
        "la_code: 917 is not an LA code in DfE's published data; did you mean",
    ),
}


def _tree(folder: Path) -> dict[str, str]:
    """Every file under `folder` with its SHA-256: equal before and after means nothing was written."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    (folder / "schools.csv").write_text(
        "school_urn,school_name,phase,governance,locality,opened_on,closed_on\n"
        "100001,Alpha Primary,primary,maintained,North,2001-09-01,\n",
        encoding="utf-8",
    )
    return folder


@pytest.mark.parametrize("mistake", sorted(BAD_CONFIGURATIONS))
def test_bad_configuration_stops_run_with_one_message_and_no_home_created(
    mistake: str, tmp_path: Path, landing: Path
) -> None:
    text, expected = BAD_CONFIGURATIONS[mistake]
    config = tmp_path / "highneeds.yaml"
    config.write_text(text, encoding="utf-8")
    home = tmp_path / "home"
    ran = highneeds_cli("run", "--landing", str(landing), "--home", str(home), "--config", str(config))
    assert ran.returncode == 2
    lines = ran.stderr.splitlines()
    assert len(lines) == 2, ran.stderr
    assert lines[0] == "Configuration refused, nothing done:"
    assert lines[1].startswith(f"{config}: {expected}")
    assert "Traceback" not in ran.stderr and ran.stdout == ""
    assert not home.exists()


def test_bad_configuration_leaves_an_existing_warehouse_and_home_untouched(
    tmp_path: Path, landing: Path
) -> None:
    home = tmp_path / "home"
    home.mkdir()
    with duckdb.connect(str(home / "warehouse.duckdb")) as connection:
        connection.execute("create schema raw; create table raw.hn_ledger as select 1 as transaction_id")
    (home / CONFIG_FILE_NAME).write_text("la_code: 917\n", encoding="utf-8")
    before = _tree(home)
    for command in (
        ["run", "--landing", str(landing), "--home", str(home)],
        ["check", "--landing", str(landing), "--home", str(home)],
        ["report", "--month", "2025-10", "--home", str(home)],
        ["ui", "--home", str(home), "--port", "3999"],
    ):
        ran = highneeds_cli(*command)
        assert ran.returncode == 2, (command, ran.stdout, ran.stderr)
        assert f"{home / CONFIG_FILE_NAME}: la_code: 917 is not an LA code" in ran.stderr, command
    assert _tree(home) == before
    assert sorted(path.name for path in home.iterdir()) == [CONFIG_FILE_NAME, "warehouse.duckdb"]


def test_config_option_wins_over_the_environment_which_wins_over_home(tmp_path: Path, landing: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    (home / CONFIG_FILE_NAME).write_text("la_code: 901\n", encoding="utf-8")
    from_env = tmp_path / "from_env.yaml"
    from_env.write_text("la_code: 902\n", encoding="utf-8")
    option = tmp_path / "option.yaml"
    option.write_text("la_code: 903\n", encoding="utf-8")
    base = ["check", "--landing", str(landing), "--home", str(home)]

    ran = highneeds_cli(*base)
    assert f"{home / CONFIG_FILE_NAME}: la_code: 901" in ran.stderr
    ran = highneeds_cli(*base, env={CONFIG_ENV: str(from_env)})
    assert f"{from_env}: la_code: 902" in ran.stderr
    ran = highneeds_cli(*base, "--config", str(option), env={CONFIG_ENV: str(from_env)})
    assert f"{option}: la_code: 903" in ran.stderr
    assert {ran.returncode} == {2}


def test_init_writes_a_starter_file_and_never_overwrites_without_force(tmp_path: Path) -> None:
    home = tmp_path / "home"
    written = highneeds_cli("init", "--home", str(home), "--la-code", "886")
    assert written.returncode == 0, written.stderr
    path = home / CONFIG_FILE_NAME
    assert f"Wrote {path} for Kent (886)" in written.stdout
    assert load_config(path).la_code == 886
    assert "# DfE 3-digit LA code (Kent, South East)" in path.read_text(encoding="utf-8")

    path.write_text("la_code: 886\nstatistical_neighbours: [936]\n", encoding="utf-8")
    again = highneeds_cli("init", "--home", str(home), "--la-code", "916")
    assert again.returncode == 1
    assert "already exists; nothing written" in again.stderr and "--force" in again.stderr
    assert load_config(path).statistical_neighbours == [936]

    forced = highneeds_cli("init", "--home", str(home), "--la-code", "916", "--force")
    assert forced.returncode == 0
    assert load_config(path).la_code == 916


def test_init_refuses_an_unknown_la_code_and_writes_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    refused = highneeds_cli("init", "--home", str(home), "--la-code", "917")
    assert refused.returncode == 2
    assert refused.stderr.startswith("Nothing written. --la-code: 917 is not an LA code")
    assert not home.exists()


def test_demo_writes_its_configuration_into_the_home_it_is_given(tmp_path: Path) -> None:
    home = tmp_path / "home"
    made = highneeds_cli(
        "demo", "--landing", str(tmp_path / "landing"), "--home", str(home), "--latest-month", "2021-06"
    )
    assert made.returncode == 0, made.stderr
    config = load_config(home / CONFIG_FILE_NAME)
    assert config.la_code == 916 and len(config.statistical_neighbours) == 10
    assert f"Configuration (LA 916, listed neighbours): {home / CONFIG_FILE_NAME}" in made.stdout


@pytest.mark.slow
def test_demo_run_finds_the_demo_configuration_in_its_home(demo_run: DemoRun) -> None:
    # `highneeds demo --home` wrote highneeds.yaml; `highneeds run --home` found it without being told.
    assert demo_run.returncode == 0, demo_run.output[-3000:]
    with duckdb.connect(str(demo_run.warehouse), read_only=True) as connection:
        areas = connection.execute(
            "select neighbour_role, area_name, selection from marts.statistical_neighbours "
            "order by neighbour_role, neighbour_rank"
        ).fetchall()
    assert areas[0] == ("la", "Gloucestershire", "listed")
    assert [name for _, name, _ in areas[1:]] == [
        "Worcestershire",
        "Warwickshire",
        "Wiltshire",
        "Somerset",
        "Devon",
        "Oxfordshire",
        "West Sussex",
        "Leicestershire",
        "Staffordshire",
        "Cambridgeshire",
    ]
