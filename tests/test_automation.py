"""Schedule, sensor, failure e-mail, one run at a time: real Dagster instances, a real SMTP server."""

from __future__ import annotations

import email
import email.policy
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest
from aiosmtpd.controller import Controller

from orchestration.alerts import SmtpSettings, send_failure_alert
from orchestration.automation import email_on_run_failure, monthly_schedule, new_landing_files_sensor
from orchestration.run_lock import exclusive_run
from tests.conftest import highneeds_cli
from tests.support.landing import ledger_line, write_landing_csv, write_minimal_reference_files
from tests.support.pipeline import query, settings_for


class _Inbox:
    """An aiosmtpd handler that keeps every message it receives."""

    def __init__(self) -> None:
        self.messages: list[str] = []

    async def handle_DATA(self, server, session, envelope):
        parsed = email.message_from_bytes(envelope.content, policy=email.policy.default)
        self.messages.append(f"Subject: {parsed['Subject']}\n{parsed.get_content()}")
        return "250 OK"


@pytest.fixture
def smtp_server() -> tuple[_Inbox, int]:
    inbox = _Inbox()
    with socket.socket() as probe:  # a free port on loopback
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


def test_the_schedule_runs_at_six_in_the_morning_london_time_on_the_sixth() -> None:
    assert monthly_schedule.cron_schedule == "0 6 6 * *"
    assert monthly_schedule.execution_timezone == "Europe/London"
    ticks = dg.ScheduleDefinition(  # dagster's own cron iterator tells the next two ticks
        name="probe",
        cron_schedule=monthly_schedule.cron_schedule,
        job_name="probe",
        execution_timezone="Europe/London",
    )
    from dagster._utils.schedules import cron_string_iterator

    start = datetime(2026, 3, 20, tzinfo=ZoneInfo("Europe/London")).timestamp()
    iterator = cron_string_iterator(start, ticks.cron_schedule, "Europe/London")
    first, second = next(iterator), next(iterator)
    assert (first.month, first.day, first.hour) == (
        4,
        6,
        6,
    ) and first.utcoffset().total_seconds() == 3600  # BST
    assert (second.month, second.day, second.hour) == (5, 6, 6)


def test_the_scheduled_run_loads_the_month_before_the_run_date(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("HIGHNEEDS_LANDING", raising=False)  # no landing folder: the schedule asks for all
    tick = datetime(2026, 11, 6, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    with dg.DagsterInstance.ephemeral() as instance:
        request = monthly_schedule(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=tick)
        )
    assert request.partition_key == "2026-10"
    january = datetime(2027, 1, 6, 6, 0, tzinfo=ZoneInfo("Europe/London"))
    with dg.DagsterInstance.ephemeral() as instance:
        request = monthly_schedule(
            dg.build_schedule_context(instance=instance, scheduled_execution_time=january)
        )
    assert request.partition_key == "2026-12"


def test_monthly_datasets_are_partitioned_by_month_and_backfill_in_a_single_run() -> None:
    from orchestration.assets.landing import landing_assets
    from orchestration.partitions import MONTHLY_PARTITIONS

    by_name = {a.key.path[-1]: a for a in landing_assets}
    for name in ("hn_ledger", "placements", "school_outcomes"):
        assert by_name[name].partitions_def == MONTHLY_PARTITIONS
        assert by_name[name].backfill_policy == dg.BackfillPolicy.single_run()
    assert by_name["schools"].partitions_def is None


def test_the_sensor_requests_a_run_for_new_files_and_again_only_when_a_file_changes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing = tmp_path / "landing"
    path = write_landing_csv(
        landing, "hn_ledger", [ledger_line("T1", "2024-04", "1.2.5", "1.00")], month="2024-04"
    )
    (landing / "notes.txt").write_text("not a landing file")
    monkeypatch.setenv("HIGHNEEDS_LANDING", str(landing))
    monkeypatch.setenv("HIGHNEEDS_HOME", str(tmp_path / "home"))
    with dg.DagsterInstance.ephemeral() as instance:
        first = new_landing_files_sensor(dg.build_sensor_context(instance=instance))
        assert len(first.run_requests) == 1
        assert dg.AssetKey(["raw", "hn_ledger"]) in first.run_requests[0].asset_selection  # what is stale
        second = new_landing_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert isinstance(second, dg.SkipReason)
        time.sleep(0.01)
        write_landing_csv(
            landing, "hn_ledger", [ledger_line("T1", "2024-04", "1.2.5", "2.00")], month="2024-04"
        )
        third = new_landing_files_sensor(dg.build_sensor_context(instance=instance, cursor=first.cursor))
        assert len(third.run_requests) == 1
        assert third.run_requests[0].tags["highneeds/changed_files"] == path.name
        assert third.run_requests[0].run_key != first.run_requests[0].run_key
        assert third.run_requests[0].tags["dagster/asset_partition_range_start"] == "2024-04"
        assert third.run_requests[0].tags["dagster/asset_partition_range_end"] == "2024-04"


def test_a_failure_alert_reaches_a_real_smtp_server(smtp_server: tuple[_Inbox, int]) -> None:
    inbox, port = smtp_server
    smtp = SmtpSettings(
        host="127.0.0.1", port=port, sender="hn@example.org", recipients=("finance@example.org",)
    )
    assert send_failure_alert(
        "highneeds_monthly_run", "abcdef123456", ["raw/hn_ledger: hn_ledger_2024-04.csv refused"], smtp
    )
    assert len(inbox.messages) == 1
    assert "Subject: High Needs run failed: highneeds_monthly_run (abcdef12)" in inbox.messages[0]
    assert "hn_ledger_2024-04.csv refused" in inbox.messages[0]


def _failing_job() -> dg.JobDefinition:
    @dg.op
    def breaks() -> None:
        raise RuntimeError("hn_ledger_2024-04.csv: the file is empty")

    @dg.job(name="failing_job")
    def failing_job() -> None:
        breaks()

    return failing_job


def test_the_run_failure_sensor_emails_what_failed(
    smtp_server: tuple[_Inbox, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox, port = smtp_server
    monkeypatch.setenv("HIGHNEEDS_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("HIGHNEEDS_SMTP_PORT", str(port))
    monkeypatch.setenv("HIGHNEEDS_SMTP_TO", "finance@example.org")
    with dg.DagsterInstance.ephemeral() as instance:
        result = _failing_job().execute_in_process(instance=instance, raise_on_error=False)
        failure_event = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
        context = dg.build_run_status_sensor_context(
            sensor_name="email_on_run_failure",
            dagster_event=failure_event,
            dagster_instance=instance,
            dagster_run=result.dagster_run,
        ).for_run_failure()
        email_on_run_failure(context)
    assert len(inbox.messages) == 1
    assert "breaks: hn_ledger_2024-04.csv: the file is empty" in inbox.messages[0]


def _small_landing(folder: Path) -> None:
    write_minimal_reference_files(folder)
    for month in ("2023-04", "2023-05", "2023-06"):
        write_landing_csv(
            folder,
            "hn_ledger",
            [ledger_line(f"T{month}-{i}", month, "1.2.5", "10.00") for i in range(3)],
            month=month,
        )


@pytest.mark.slow
def test_a_second_run_on_the_same_home_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    _small_landing(tmp_path / "landing")
    with exclusive_run(tmp_path / "home"):
        refused = highneeds_cli(
            "run", "--landing", str(tmp_path / "landing"), "--home", str(tmp_path / "home")
        )
    assert refused.returncode == 2
    assert "another run is already using" in refused.stderr and "wait for it to finish" in refused.stderr


@pytest.mark.slow
def test_a_failed_cli_run_exits_non_zero_and_emails_the_failure(
    tmp_path: Path, smtp_server: tuple[_Inbox, int]
) -> None:
    inbox, port = smtp_server
    landing = tmp_path / "landing"
    _small_landing(landing)
    write_landing_csv(landing, "hn_ledger", [ledger_line("T9", "2023-07", "9.9.9", "10.00")], month="2023-07")
    ran = highneeds_cli(
        "run",
        "--landing",
        str(landing),
        "--home",
        str(tmp_path / "home"),
        env={
            "HIGHNEEDS_SMTP_HOST": "127.0.0.1",
            "HIGHNEEDS_SMTP_PORT": str(port),
            "HIGHNEEDS_SMTP_TO": "finance@example.org",
        },
    )
    assert ran.returncode != 0
    assert "hn_ledger_2023-07.csv" in ran.stdout
    assert len(inbox.messages) == 1 and "hn_ledger_2023-07.csv" in inbox.messages[0]


@pytest.mark.slow
def test_a_run_killed_half_way_and_run_again_leaves_no_duplicates(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    _small_landing(landing)
    executable = Path(sys.executable).parent / "highneeds"
    env = {**os.environ, "HIGHNEEDS_PSEUDONYM_KEY": "k"}
    args = [str(executable), "run", "--landing", str(landing), "--home", str(tmp_path / "home")]
    killed = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 120
    for line in killed.stderr:  # kill as soon as the first dataset is being loaded
        if "hn_ledger" in line or time.monotonic() > deadline:
            break
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    again = subprocess.run(args, env=env, capture_output=True, text=True, check=False)
    assert again.returncode == 0, again.stderr[-2000:]
    settings = settings_for(landing, tmp_path / "home")
    counts = query(
        settings,
        "select count(*) as n, count(distinct transaction_id) as ids, sum(amount_gbp) as total "
        "from raw.hn_ledger",
    )
    assert (counts.n[0], counts.ids[0], float(counts.total[0])) == (9, 9, 90.0)
    spend = query(settings, "select sum(actual_gbp) as total from marts.spend_by_provision_type")
    assert float(spend.total[0]) == 90.0


def test_the_ledger_is_stale_when_its_newest_month_ended_more_than_40_days_ago() -> None:
    from datetime import date

    from orchestration.assets.freshness import ledger_staleness

    assert ledger_staleness("2026-10", date(2026, 12, 10))[0] is True  # 31 Oct + 40 days = 10 Dec
    fresh, why = ledger_staleness("2026-10", date(2026, 12, 11))
    assert fresh is False and "41 days ago" in why
    assert ledger_staleness(None, date(2026, 12, 1))[0] is False


def test_the_freshness_check_warns_but_never_blocks(tmp_path: Path) -> None:
    from orchestration.assets.freshness import ledger_is_recent
    from orchestration.resources import HighNeedsHome
    from orchestration.warehouse import connect

    home = tmp_path / "home"
    home.mkdir()
    with connect(home / "warehouse.duckdb") as connection:
        connection.execute("create schema raw; create table raw.hn_ledger as select '2020-01' as period")
    result = ledger_is_recent(HighNeedsHome(home=str(home)))
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["newest_ledger_month"].value == "2020-01"


def test_a_backfill_over_a_range_of_months_loads_exactly_those_months_in_one_run(tmp_path: Path) -> None:
    from orchestration.assets.landing import landing_assets
    from orchestration.partitions import range_tags
    from orchestration.resources import HighNeedsHome

    landing = tmp_path / "landing"
    _small_landing(landing)  # ledger files for 2023-04, 2023-05 and 2023-06
    settings = settings_for(landing, tmp_path / "home")
    ledger_asset = next(a for a in landing_assets if a.key.path[-1] == "hn_ledger")
    result = dg.materialize(
        [ledger_asset],
        resources={"highneeds": HighNeedsHome(home=str(settings.home), landing=str(landing))},
        tags=range_tags("2023-05", "2023-06"),
    )
    assert result.success
    materialised = {e.partition for e in result.get_asset_materialization_events()}
    assert materialised == {"2023-05", "2023-06"}  # both months recorded by one run
    loaded = query(settings, "select distinct _extract_month as m from raw.hn_ledger order by 1")
    assert loaded.m.tolist() == ["2023-05", "2023-06"]
