"""Contract v2's reliability rules in the quality gate, each fault planted in a real landing folder.

Every refusal is checked the same way: the file, rows, column and rule are named in words a finance officer
can act on, the quarantine keeps the file with its report and letter, and not a byte of any raw table
changes (a refused month keeps its previous version). Warnings load the file and are kept with the file's
outcome, where the run summary and the pack's data-quality table read them.

The warehouse behind the tests holds a year of ledger months (2022-07 … 2023-06, each £26,166.66: five
lines of £5,000 and two of £583.33), so a month's median over the 12 months before it is £26,166.66, and
financial year 2022-23 is closed (its March month is loaded).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from expectations.folder import check_landing_folder, dataset_order
from expectations.report import FileReport, LandingFilesRefused
from orchestration.contract import DATASETS
from orchestration.ingest import landing_file_outcomes, load_landing_dataset
from orchestration.run import FileOutcome, RunOutcome, with_warnings
from orchestration.settings import Settings
from tests.support.landing import placement, write_landing_csv
from tests.support.pipeline import settings_for
from tests.test_quality_refusals import (
    UPNS,
    folder_fingerprint,
    ledger_month,
    load_everything,
    warehouse_fingerprint,
    write_good_landing,
)

MONTH_TOTAL_GBP = 26_166.66


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("reliability-golden")
    write_good_landing(root / "landing")
    settings = settings_for(root / "landing", root / "home")
    load_everything(settings)
    return settings


@pytest.fixture
def workspace(loaded: Settings, tmp_path: Path) -> Settings:
    """A copy of the loaded warehouse and of its landing folder, for one test to spoil."""
    shutil.copytree(loaded.landing, tmp_path / "landing")
    (tmp_path / "home").mkdir()
    shutil.copy2(loaded.warehouse, tmp_path / "home" / loaded.warehouse.name)
    return settings_for(tmp_path / "landing", tmp_path / "home")


def refused_report(settings: Settings, dataset: str, bad_file: Path) -> FileReport:
    """Load the dataset, expecting `bad_file` refused; the landing folder and raw tables stay as they were."""
    before_landing = folder_fingerprint(settings.landing)
    before_warehouse = warehouse_fingerprint(settings.warehouse)
    with pytest.raises(LandingFilesRefused) as refused:
        load_landing_dataset(settings, DATASETS[dataset])
    assert folder_fingerprint(settings.landing) == before_landing
    assert warehouse_fingerprint(settings.warehouse) == before_warehouse
    (report,) = [r for r in refused.value.reports if r.name == bad_file.name]
    assert bad_file.name in str(refused.value)
    return report


def assert_quarantined(report: FileReport, rule: str, column: str | None, says: str) -> None:
    """The refused bytes are kept beside a JSON report and a letter naming the rule, column and fault."""
    copy = report.quarantined_as
    assert copy is not None and copy.read_bytes()
    record = json.loads(copy.with_name(copy.name + ".report.json").read_text(encoding="utf-8"))
    assert record["refused"] is True
    assert any(
        p["rule"] == rule and p["column"] == column and says in p["message"] for p in record["problems"]
    )
    letter = copy.with_name(copy.name + ".txt").read_text(encoding="utf-8")
    assert rule in letter and says in letter
    if column:
        assert f"column '{column}'" in letter


def only_error(report: FileReport, rule: str):
    (problem,) = [p for p in report.errors if p.rule == rule]
    return problem


def raw_rows(settings: Settings, sql: str) -> list[tuple]:
    with duckdb.connect(str(settings.warehouse), read_only=True) as connection:
        return connection.execute(sql).fetchall()


def times(rows: list[dict[str, object]], factor: int) -> list[dict[str, object]]:
    return [{**row, "amount_gbp": f"{float(str(row['amount_gbp'])) * factor:.2f}"} for row in rows]


# ------------------------------------------------------------------------------- ledger lines


def test_a_line_for_another_month_inside_a_months_file_is_refused_and_the_month_kept(workspace: Settings):
    rows = ledger_month("2023-05")
    rows[1] = {**rows[1], "period": "2022-07"}  # line 3 would re-open a closed year
    bad = write_landing_csv(workspace.landing, "hn_ledger", rows, month="2023-05")

    report = refused_report(workspace, "hn_ledger", bad)

    problem = only_error(report, "period_not_file_month")
    assert problem.rows == (3,) and problem.column == "period"
    assert "1 line is for another month than the one the file is named for" in problem.message
    assert "'period 2022-07 in the file for 2023-05'" in problem.message
    assert_quarantined(report, "period_not_file_month", "period", "period 2022-07 in the file for 2023-05")
    assert raw_rows(workspace, "select count(*) from raw.hn_ledger where period = '2022-07'") == [(7,)]


@pytest.mark.parametrize(
    ("posting_date", "rule", "says"),
    [
        ("2099-12-31", "posting_date_too_late", "posted more than 12 months after its accounting month"),
        ("2024-06-01", "posting_date_too_late", "'posted 2024-06-01 to 2023-05'"),
        ("2023-04-30", "posting_date_before_period", "posted before its accounting month"),
    ],
)
def test_a_posting_date_outside_its_month_and_the_12_after_it_is_refused(
    workspace: Settings, posting_date: str, rule: str, says: str
):
    rows = ledger_month("2023-05")
    rows[4] = {**rows[4], "posting_date": posting_date}
    bad = write_landing_csv(workspace.landing, "hn_ledger", rows, month="2023-05")

    report = refused_report(workspace, "hn_ledger", bad)

    problem = only_error(report, rule)
    assert problem.rows == (6,) and problem.column == "posting_date" and says in problem.message
    assert_quarantined(report, rule, "posting_date", says)


def test_a_posting_date_12_months_after_its_period_is_accepted(workspace: Settings):
    rows = ledger_month("2023-07")
    rows[0] = {**rows[0], "posting_date": "2024-07-31"}  # July 2023 + 12 months, last day
    write_landing_csv(workspace.landing, "hn_ledger", rows, month="2023-07")

    result = load_landing_dataset(workspace, DATASETS["hn_ledger"])

    assert result.files_loaded == ["hn_ledger_2023-07.csv"]


def test_500_lines_repeated_under_new_ids_are_warned_and_kept_with_the_files_outcome(workspace: Settings):
    rows = ledger_month("2023-07")
    copies = [
        {**rows[5], "transaction_id": f"T2023-07-copy-{n}", "amount_gbp": "10.00", "s251_line": "1.2.5"}
        for n in range(501)
    ]  # 501 identical lines: the first is the original, 500 repeat it
    write_landing_csv(workspace.landing, "hn_ledger", rows + copies, month="2023-07")

    result = load_landing_dataset(workspace, DATASETS["hn_ledger"])

    assert result.files_loaded == ["hn_ledger_2023-07.csv"]
    (repeated,) = [p for p in result.warnings if p.rule == "repeated_ledger_line"]
    assert repeated.column == "transaction_id" and repeated.rows[:2] == (10, 11) and len(repeated.rows) == 500
    assert repeated.message.startswith(
        "500 lines repeat an earlier line of this file under another transaction id, with the same posting "
        "date, amount, placement and description (e.g. 'posted 2023-07-15, £10.00')"
    )
    with duckdb.connect(str(workspace.warehouse), read_only=True) as connection:
        (outcome,) = [o for o in landing_file_outcomes(connection) if o.file == "hn_ledger_2023-07.csv"]
    assert outcome.outcome == "loaded"
    assert any(w.startswith("rows 10, 11, 12") and "500 lines repeat" in w for w in outcome.warnings)

    # the CLI run summary lists them under the file it loaded
    files = with_warnings(workspace, [FileOutcome("hn_ledger_2023-07.csv", "loaded")])
    summary = RunOutcome(settings=workspace, success=True, run_id="0123456789", seconds=1.0, files=files)
    text = summary.summary_text()
    assert "  loaded    hn_ledger_2023-07.csv\n    ! rows 10, 11, 12" in text
    assert "500 lines repeat an earlier line of this file" in text


def test_a_line_repeated_in_a_later_chunk_of_a_large_file_is_warned(tmp_path: Path):
    """Read 3 rows at a time: the line on row 9 repeats row 3, two chunks earlier; row 6 repeats nothing."""
    from expectations.context import ValidationContext
    from expectations.gate import FileToCheck, check_dataset_files
    from orchestration.contract import identify_landing_file

    rows = ledger_month("2023-07") + ledger_month("2023-07")[:1]
    rows[7] = {**rows[1], "transaction_id": "T-late-copy"}
    path = write_landing_csv(tmp_path, "hn_ledger", rows, month="2023-07")
    landing_file = identify_landing_file(path)

    (report,) = check_dataset_files(
        [FileToCheck(landing_file)], ValidationContext(landing_file.dataset, None), None, batch_rows=3
    )

    (repeated,) = [p for p in report.warnings if p.rule == "repeated_ledger_line"]
    assert repeated.rows == (9,) and "1 line repeats an earlier line of this file" in repeated.message


# ----------------------------------------------------------------------------- month totals


def test_a_month_100_times_its_median_is_refused(workspace: Settings):
    bad = write_landing_csv(
        workspace.landing, "hn_ledger", times(ledger_month("2023-07"), 100), month="2023-07"
    )

    report = refused_report(workspace, "hn_ledger", bad)

    problem = only_error(report, "implausible_month_total")
    assert problem.rows == () and problem.column == "amount_gbp"
    says = "'2023-07: £2,616,666 against a median month of £26,167 over the 12 months before it'"
    assert problem.message.startswith("the month's total is more than 5× or less than a fifth of the median")
    assert (
        says in problem.message
        and "give the month's control total in ledger_control_totals" in problem.message
    )
    assert_quarantined(report, "implausible_month_total", "amount_gbp", says)


def test_a_month_under_a_fifth_of_its_median_is_refused(workspace: Settings):
    bad = write_landing_csv(workspace.landing, "hn_ledger", ledger_month("2023-07")[5:], month="2023-07")

    report = refused_report(workspace, "hn_ledger", bad)

    assert (
        "'2023-07: £1,167 against a median month of £26,167"
        in only_error(report, "implausible_month_total").message
    )


def test_the_same_month_with_a_matching_control_total_is_accepted_with_a_warning(workspace: Settings):
    write_landing_csv(workspace.landing, "hn_ledger", times(ledger_month("2023-07"), 100), month="2023-07")
    write_landing_csv(
        workspace.landing,
        "ledger_control_totals",
        [{"period": "2023-07", "s251_line": "", "amount_gbp": "2616666.00", "source": "trial balance"}],
    )

    load_landing_dataset(workspace, DATASETS["ledger_control_totals"])
    result = load_landing_dataset(workspace, DATASETS["hn_ledger"])

    assert result.files_loaded == ["hn_ledger_2023-07.csv"]
    assert [p.rule for p in result.warnings if p.rule == "unusual_month_total"] == ["unusual_month_total"]
    assert raw_rows(
        workspace, "select sum(amount_gbp)::double from raw.hn_ledger where period = '2023-07'"
    ) == [(pytest.approx(2_616_666.00),)]


def test_a_month_twice_its_median_is_only_warned(workspace: Settings):
    write_landing_csv(workspace.landing, "hn_ledger", times(ledger_month("2023-07"), 3), month="2023-07")

    result = load_landing_dataset(workspace, DATASETS["hn_ledger"])

    assert result.files_loaded == ["hn_ledger_2023-07.csv"]
    (warning,) = [p for p in result.warnings if p.rule == "unusual_month_total"]
    assert (
        "more than 2× or less than half of the median month (e.g. '2023-07: £78,500 against"
        in warning.message
    )


def test_the_median_needs_6_loaded_months_and_counts_months_accepted_earlier_in_the_run(tmp_path: Path):
    """A new installation's folder: months 1–6 are not judged; month 7 is, against months 1–6 of the run."""
    landing = tmp_path / "landing"
    months = [f"2023-{m:02d}" for m in range(1, 8)]
    for month in months[:6]:
        write_landing_csv(landing, "hn_ledger", ledger_month(month), month=month)
    write_landing_csv(landing, "hn_ledger", times(ledger_month(months[6]), 10), month=months[6])
    (landing / "hn_ledger_2023-01.csv").write_text(  # the first month alone is ten times the others
        (landing / "hn_ledger_2023-01.csv").read_text().replace("5000.00", "50000.00")
    )

    outcome = check_landing_folder(settings_for(landing, tmp_path / "home"))

    refused = {r.name: r for r in outcome.reports if r.refused}
    assert list(refused) == ["hn_ledger_2023-07.csv"]
    # median of six months: five of £26,166.66 and one of £251,166.66
    assert "£261,667 against a median month of £26,167 over the 6 months before it" in str(
        only_error(refused["hn_ledger_2023-07.csv"], "implausible_month_total").message
    )


# --------------------------------------------------------------------------- control totals


def test_a_control_total_mismatch_is_refused_and_the_old_month_kept(workspace: Settings):
    """Issue 9: the re-delivered May lacks one £5,000 line; the finance system says May is £26,166.66."""
    write_landing_csv(
        workspace.landing,
        "ledger_control_totals",
        [
            {"period": "2023-05", "s251_line": "", "amount_gbp": "26166.66", "source": "trial balance"},
            {"period": "2023-05", "s251_line": "1.2.1", "amount_gbp": "1166.66", "source": "trial balance"},
        ],
    )
    load_landing_dataset(workspace, DATASETS["ledger_control_totals"])
    bad = write_landing_csv(workspace.landing, "hn_ledger", ledger_month("2023-05")[1:], month="2023-05")
    may_before = raw_rows(
        workspace, "select count(*), sum(amount_gbp)::double from raw.hn_ledger where period = '2023-05'"
    )

    report = refused_report(workspace, "hn_ledger", bad)

    problem = only_error(report, "control_total_mismatch")
    says = "'2023-05 the whole month: ledger £21,166.66, control total £26,166.66, difference £-5,000.00'"
    assert problem.rows == () and problem.column == "amount_gbp"
    assert problem.message.startswith("1 total differs from ledger_control_totals by more than £1.00")
    assert says in problem.message
    assert_quarantined(report, "control_total_mismatch", "amount_gbp", says)
    letter = report.quarantined_as.with_name(report.quarantined_as.name + ".txt").read_text(encoding="utf-8")
    assert "The warehouse still holds the data it had for 2023-05" in letter
    assert may_before == [(7, pytest.approx(MONTH_TOTAL_GBP))]


def test_a_line_control_total_mismatch_is_refused_and_a_month_within_a_pound_loads(workspace: Settings):
    write_landing_csv(
        workspace.landing,
        "ledger_control_totals",
        [
            {"period": "2023-07", "s251_line": "", "amount_gbp": "26167.50", "source": "trial balance"},
            {"period": "2023-08", "s251_line": "1.2.1", "amount_gbp": "1200.00", "source": "trial balance"},
        ],
    )
    load_landing_dataset(workspace, DATASETS["ledger_control_totals"])
    write_landing_csv(workspace.landing, "hn_ledger", ledger_month("2023-07"), month="2023-07")  # 84p off
    write_landing_csv(workspace.landing, "hn_ledger", ledger_month("2023-08"), month="2023-08")
    write_landing_csv(workspace.landing, "hn_ledger", ledger_month("2023-09"), month="2023-09")  # none

    result = load_landing_dataset(workspace, DATASETS["hn_ledger"], raise_on_refusal=False)

    assert result.files_loaded == ["hn_ledger_2023-07.csv", "hn_ledger_2023-09.csv"]
    (report,) = result.refused
    problem = only_error(report, "control_total_mismatch")
    assert "'2023-08 s251 line 1.2.1: ledger £1,166.66, control total £1,200.00, difference £-33.34'" in (
        problem.message
    )
    assert problem.rows == (7,)  # the first line of s251 line 1.2.1 in the file


def test_control_totals_are_loaded_before_the_ledger_and_the_ledger_before_adjustments():
    from orchestration.assets.landing import landing_asset_key, landing_assets

    order = dataset_order()
    assert order.index("placements") < order.index("hn_ledger")
    assert (
        order.index("ledger_control_totals") < order.index("hn_ledger") < order.index("forecast_adjustments")
    )
    deps = {next(iter(asset.keys)): set(asset.asset_deps[next(iter(asset.keys))]) for asset in landing_assets}
    assert landing_asset_key("ledger_control_totals") in deps[landing_asset_key("hn_ledger")]
    assert landing_asset_key("hn_ledger") in deps[landing_asset_key("forecast_adjustments")]


# ------------------------------------------------------------------------------- placements


def test_a_52m_placement_is_refused_and_a_300k_one_only_warned(workspace: Settings):
    rows = [
        placement(
            "P1", UPNS[0], "special_independent", "2023-04-01", None, "52,000,000.00", provider_urn="100003"
        ),
        placement("P3", UPNS[2], "special_academy", "2023-01-09", None, "300000.00", provider_urn="100002"),
    ]
    bad = write_landing_csv(workspace.landing, "placements", rows, month="2023-07")

    report = refused_report(workspace, "placements", bad)

    problem = only_error(report, "annual_cost_over_limit")
    says = "1 placement costs more than £1,000,000 a year (e.g. '52,000,000.00')"
    assert problem.rows == (2,) and problem.column == "annual_cost_gbp" and problem.message.startswith(says)
    (warning,) = [p for p in report.warnings if p.rule == "implausible_annual_cost"]
    assert warning.rows == (3,)  # the £52m row is refused, not warned as well
    assert_quarantined(report, "annual_cost_over_limit", "annual_cost_gbp", says)
    assert UPNS[0] not in json.dumps(report.to_json())


# -------------------------------------------------------------------------- reference files


def adjustment(
    year: str, month: str, line: str, amount: str, reason: str = "Tribunal decision", by: str = "P Shah"
):
    return {
        "financial_year": year,
        "as_from_month": month,
        "s251_line": line,
        "amount_gbp": amount,
        "reason": reason,
        "entered_by": by,
        "entered_on": f"{month}-10",
    }


@pytest.mark.parametrize(
    ("row", "rule", "column", "says"),
    [
        (
            adjustment("2023-24", "2023-06", "1.2.3", "5000", reason=""),
            "required_value_missing",
            "reason",
            "reason is required",
        ),
        (
            adjustment("2023-24", "2023-06", "1.2.3", "5000", by=""),
            "required_value_missing",
            "entered_by",
            "entered_by is required",
        ),
        (
            adjustment("2023-24", "2023-06", "9.9.9", "5000"),
            "unknown_code",
            "s251_line",
            "not an accepted s251_line (e.g. '9.9.9')",
        ),
        (
            adjustment("2022-23", "2023-02", "1.2.3", "5000"),
            "adjustment_for_closed_year",
            "financial_year",
            "1 adjustment is for a financial year that is closed, its March ledger month being loaded "
            "(e.g. '2022-23 from 2023-02, s251 line 1.2.3')",
        ),
    ],
    ids=["no reason", "no entered_by", "unknown line", "closed year"],
)
def test_a_bad_adjustment_is_refused_with_file_row_column_and_rule(
    workspace: Settings, row: dict[str, object], rule: str, column: str, says: str
):
    good = adjustment("2023-24", "2023-05", "1.2.1", "-1200.50", reason="New banded contract")
    bad = write_landing_csv(workspace.landing, "forecast_adjustments", [good, row])

    report = refused_report(workspace, "forecast_adjustments", bad)

    problem = only_error(report, rule)
    assert problem.rows == (3,) and problem.column == column and says in problem.message
    assert_quarantined(report, rule, column, says)


def test_an_adjustment_loaded_while_its_year_was_open_stays_once_the_year_closes(workspace: Settings):
    kept = adjustment("2023-24", "2023-06", "1.2.3", "5000.00")
    write_landing_csv(workspace.landing, "forecast_adjustments", [kept])
    load_landing_dataset(workspace, DATASETS["forecast_adjustments"])
    write_landing_csv(
        workspace.landing, "hn_ledger", ledger_month("2024-03"), month="2024-03"
    )  # closes 2023-24
    load_landing_dataset(workspace, DATASETS["hn_ledger"])

    late = adjustment("2023-24", "2024-03", "1.2.3", "750.00")
    bad = write_landing_csv(workspace.landing, "forecast_adjustments", [kept, late])
    report = refused_report(workspace, "forecast_adjustments", bad)
    assert only_error(report, "adjustment_for_closed_year").rows == (3,)

    next_year = adjustment("2024-25", "2024-04", "1.2.3", "750.00")
    write_landing_csv(workspace.landing, "forecast_adjustments", [kept, next_year])
    assert load_landing_dataset(workspace, DATASETS["forecast_adjustments"]).files_loaded == [
        "forecast_adjustments.csv"
    ]


def test_a_forecast_block_outturn_without_as_at_month_is_refused(workspace: Settings):
    rows = [
        {"financial_year": "2022-23", "block": "schools", "spend_gbp": "1000", "status": "outturn"},
        {"financial_year": "2023-24", "block": "schools", "spend_gbp": "1000", "status": "forecast"},
        {
            "financial_year": "2023-24",
            "block": "early_years",
            "spend_gbp": "9",
            "status": "forecast",
            "as_at_month": "2023-06",
        },
        {"financial_year": "2023-24", "block": "nursery", "spend_gbp": "9", "status": "outturn"},
    ]
    bad = write_landing_csv(workspace.landing, "dsg_block_outturn", rows)

    report = refused_report(workspace, "dsg_block_outturn", bad)

    problem = only_error(report, "forecast_without_as_at_month")
    says = "1 forecast row has no as_at_month: a forecast is made as at a month"
    assert problem.rows == (3,) and problem.column == "as_at_month" and problem.message.startswith(says)
    assert only_error(report, "unknown_code").rows == (5,)
    assert_quarantined(report, "forecast_without_as_at_month", "as_at_month", says)


@pytest.mark.parametrize(
    ("change", "rule", "column", "says"),
    [
        ({"owner": ""}, "required_value_missing", "owner", "owner is required"),
        ({"workstream": ""}, "required_value_missing", "workstream", "workstream is required"),
        (
            {"target_saving_gbp": "-100"},
            "negative_amount",
            "target_saving_gbp",
            "a saving target is 0 or more",
        ),
        (
            {"delivered_saving_gbp": "(50.00)"},
            "negative_amount",
            "delivered_saving_gbp",
            "a delivered saving",
        ),
    ],
    ids=["no owner", "no workstream", "negative target", "negative delivered"],
)
def test_a_bad_mitigation_is_refused(
    workspace: Settings, change: dict[str, object], rule: str, column: str, says: str
):
    rows = [
        {
            "workstream": "Banding review",
            "owner": "Head of SEND",
            "financial_year": "2023-24",
            "target_saving_gbp": "250000",
            "delivered_saving_gbp": "",
            "status": "on track",
        },
        {
            "workstream": "Transport",
            "owner": "Head of Transport",
            "financial_year": "2023-24",
            "target_saving_gbp": "100000",
            "delivered_saving_gbp": "40000",
            "status": "",
            **change,
        },
    ]
    bad = write_landing_csv(workspace.landing, "mitigations", rows)

    report = refused_report(workspace, "mitigations", bad)

    problem = only_error(report, rule)
    assert problem.rows == (3,) and problem.column == column and says in problem.message
    assert_quarantined(report, rule, column, says)


def test_a_mitigation_with_no_delivered_saving_yet_loads(workspace: Settings):
    rows = [
        {
            "workstream": "Banding review",
            "owner": "Head of SEND",
            "financial_year": "2023-24",
            "target_saving_gbp": "0",
            "delivered_saving_gbp": "",
            "status": "not started",
        },
    ]
    write_landing_csv(workspace.landing, "mitigations", rows)

    assert load_landing_dataset(workspace, DATASETS["mitigations"]).files_loaded == ["mitigations.csv"]
