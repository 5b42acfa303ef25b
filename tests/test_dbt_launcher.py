"""dbt is started through `highneeds-dbt`, which ties it to the process that started it, and dbt's files
go under home: a killed run leaves no dbt behind, and nothing is written into `dbt_project/`."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path

from orchestration.dbt_launcher import PARENT_PID_ENV, WAREHOUSE_ENV, enter_warehouse_folder
from orchestration.dbt_manifest import dbt_env, dbt_executable
from orchestration.dbt_runs import RUNS_KEPT, cached_manifest_dir, keep_partial_parse, new_run_target
from orchestration.settings import DBT_PROJECT_DIR, Settings


def _alive(pid: int) -> bool:
    """Running (not a zombie waiting for its parent to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_the_launcher_answers_the_version_question_from_the_installed_dbt() -> None:
    answered = subprocess.run([dbt_executable(), "--version"], capture_output=True, text=True, check=True)
    assert f"installed: {version('dbt-core')}" in answered.stdout


def test_the_launcher_does_not_start_dbt_when_the_process_that_asked_for_it_has_gone() -> None:
    gone = subprocess.Popen(["true"])
    gone.wait()
    refused = subprocess.run(
        [dbt_executable(), "parse"],
        env={**dbt_env(), PARENT_PID_ENV: str(gone.pid)},
        capture_output=True,
        text=True,
        check=False,
    )
    assert refused.returncode != 0
    assert "the process that started dbt has gone; dbt not started" in refused.stderr


def test_dbt_dies_when_the_process_that_started_it_is_killed(tmp_path: Path) -> None:
    before = sorted(str(path) for path in DBT_PROJECT_DIR.rglob("*"))
    project, scratch = str(DBT_PROJECT_DIR), str(tmp_path)
    parent_code = (
        "import os, subprocess, sys, time\n"
        "from orchestration.dbt_launcher import parent_env\n"
        "from orchestration.dbt_manifest import dbt_env, dbt_executable\n"
        f"args = [dbt_executable(), 'parse', '--no-partial-parse', '--project-dir', {project!r},\n"
        f"        '--profiles-dir', {project!r}, '--target-path', {scratch!r}, '--log-path', {scratch!r}]\n"
        "child = subprocess.Popen(args, env=dbt_env(**parent_env()))\n"
        "print(child.pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True)
    dbt_pid = int(parent.stdout.readline())
    time.sleep(1.0)  # dbt is past the launcher and parsing
    assert _alive(dbt_pid)
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    deadline = time.monotonic() + 10
    while _alive(dbt_pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _alive(dbt_pid), "dbt outlived the process that started it"
    assert sorted(str(path) for path in DBT_PROJECT_DIR.rglob("*")) == before


def test_a_home_keeps_the_last_five_dbt_run_folders_and_its_parse_state(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "home")
    targets = []
    for number in range(7):
        target = new_run_target(settings, f"run{number:05d}")
        (target / "partial_parse.msgpack").write_bytes(f"state {number}".encode())
        keep_partial_parse(settings, target)
        targets.append(target)
    kept = sorted(path.name for path in (settings.home / "dbt" / "runs").iterdir())
    assert RUNS_KEPT == 5 and kept == [target.name for target in targets[2:]]
    newest = new_run_target(settings, "run00007")
    assert (newest / "partial_parse.msgpack").read_bytes() == b"state 6"


def test_the_launcher_moves_dbt_into_the_warehouse_folder_keeping_every_other_path(
    tmp_path: Path, monkeypatch
) -> None:
    project = tmp_path / "project"
    project.mkdir()
    (project / "profiles.yml").write_text("highneeds: {}\n")
    monkeypatch.chdir(project)
    warehouse = tmp_path / "home" / "warehouse.duckdb"
    env = {WAREHOUSE_ENV: str(warehouse), "DBT_TARGET_PATH": "target"}

    args = enter_warehouse_folder(["build", "--target-path", "out", "--state=prod", "--select", "a+"], env)

    assert Path.cwd() == warehouse.parent
    assert env[WAREHOUSE_ENV] == "warehouse.duckdb"
    assert env["DBT_PROJECT_DIR"] == str(project) and env["DBT_PROFILES_DIR"] == str(project)
    assert env["DBT_TARGET_PATH"] == str(project / "target")
    assert args == [
        "build",
        "--target-path",
        str(project / "out"),
        f"--state={project / 'prod'}",
        "--select",
        "a+",
    ]


def test_the_launcher_leaves_dbt_where_it_is_when_the_warehouse_path_is_relative(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    env = {WAREHOUSE_ENV: "warehouse.duckdb"}
    assert enter_warehouse_folder(["build", "--target-path", "out"], env) == ["build", "--target-path", "out"]
    assert Path.cwd() == tmp_path and env == {WAREHOUSE_ENV: "warehouse.duckdb"}


def test_a_new_home_s_first_dbt_run_reuses_the_parse_made_with_the_cached_manifest(tmp_path: Path) -> None:
    settings = Settings(home=tmp_path / "new home")
    target = new_run_target(settings, "first-run")
    assert (target / "partial_parse.msgpack").read_bytes() == (
        cached_manifest_dir() / "partial_parse.msgpack"
    ).read_bytes()

    subprocess.run(
        [
            dbt_executable(),
            "parse",
            "--project-dir",
            str(DBT_PROJECT_DIR),
            "--target-path",
            str(target),
            "--log-path",
            str(target),
            "--log-format-file",
            "text",
        ],
        env={**dbt_env(HIGHNEEDS_WAREHOUSE=str(settings.warehouse)), PARENT_PID_ENV: ""},
        cwd=DBT_PROJECT_DIR,
        capture_output=True,
        check=True,
    )
    log = (target / "dbt.log").read_text()
    assert "Partial parsing enabled: 0 files deleted, 0 files added, 0 files changed" in log
    assert "Unable to do partial parsing" not in log
