"""The quality gate in Dagster: checks on the raw assets, a refused file failing the run, and Great
Expectations kept off the import path of the definitions and of `highneeds --help`."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg

from orchestration.assets.checks import CONTRACT_CHECK, PLAUSIBILITY_CHECK
from orchestration.assets.landing import landing_assets
from orchestration.assets.refusals import NO_FILE_REFUSED, no_file_refused
from orchestration.partitions import all_months_tags
from orchestration.resources import HighNeedsHome
from tests.support.landing import write_landing_csv
from tests.support.pipeline import settings_for
from tests.test_quality_refusals import ledger_month, warehouse_fingerprint, write_good_landing


def _no_great_expectations(code: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-c",
            f"{code}\nimport sys\n"
            "assert not [m for m in sys.modules if m.startswith('great_expectations')], 'GX imported'",
        ],
        capture_output=True,
        text=True,
        check=False,
    )


def test_definitions_and_cli_help_do_not_import_great_expectations():
    loaded = _no_great_expectations("import orchestration.definitions")
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    helped = _no_great_expectations(
        "from click.testing import CliRunner\nfrom orchestration.cli import main\n"
        "for args in (['--help'], ['check', '--help']):\n"
        "    out = CliRunner().invoke(main, args)\n"
        "    assert out.exit_code == 0, out.output\n"
    )
    assert helped.returncode == 0, helped.stderr[-2000:]


def _check_evaluations(result: dg.ExecuteInProcessResult) -> dict[tuple[str, str], dg.AssetCheckEvaluation]:
    return {
        (evaluation.asset_key.to_user_string(), evaluation.check_name): evaluation
        for evaluation in result.get_asset_check_evaluations()
    }


def test_a_refused_file_fails_its_contract_check_and_the_run_and_changes_nothing_loaded(tmp_path: Path):
    settings = settings_for(tmp_path / "landing", tmp_path / "home")
    write_good_landing(settings.landing)
    resources = {"highneeds": HighNeedsHome(home=str(settings.home), landing=str(settings.landing))}

    first = dg.materialize([*landing_assets, no_file_refused], resources=resources, tags=all_months_tags())
    assert first.success
    before = warehouse_fingerprint(settings.warehouse)

    july = ledger_month("2023-07")
    july[1] = {**july[1], "s251_line": "1.2.99", "amount_gbp": "950000.00"}
    write_landing_csv(settings.landing, "hn_ledger", july, month="2023-07")
    second = dg.materialize(
        [*landing_assets, no_file_refused], resources=resources, raise_on_error=False, tags=all_months_tags()
    )

    # the ledger's own step loads its good files and succeeds, so models not built from the ledger still
    # run (tests/test_incremental_runs.py); the separate refusals step fails the run, naming the file
    assert not second.success
    failure = next(e for e in second.all_events if e.is_step_failure)
    assert failure.step_key == "landing_refusals"
    assert "hn_ledger_2023-07.csv was refused" in failure.step_failure_data.error.cause.message
    evaluations = _check_evaluations(second)
    assert not evaluations[("raw/hn_ledger", NO_FILE_REFUSED)].passed
    assert evaluations[("raw/placements", NO_FILE_REFUSED)].passed
    contract = evaluations[("raw/hn_ledger", CONTRACT_CHECK)]
    assert not contract.passed and not contract.blocking and contract.severity == dg.AssetCheckSeverity.ERROR
    metadata = contract.metadata
    assert metadata["files_refused"].value == ["hn_ledger_2023-07.csv"]
    assert "unknown\\_code" in metadata["problems"].value and "s251\\_line" in metadata["problems"].value
    assert metadata["data_docs"].value.startswith("file://") and metadata["data_docs"].value.endswith(
        "index.html"
    )
    assert Path(metadata["data_docs"].value.removeprefix("file://")).exists()
    assert evaluations[("raw/placements", CONTRACT_CHECK)].passed  # nothing new: passes, says so
    assert evaluations[("raw/hn_ledger", PLAUSIBILITY_CHECK)].severity == dg.AssetCheckSeverity.WARN
    assert warehouse_fingerprint(settings.warehouse) == before
