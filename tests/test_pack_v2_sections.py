"""The pack shows what the forecast, impact, benchmark and quality marts of contract v2 hold.

Every figure is worked by hand from the marts of `tests/support/pack_marts_v2.py` and
`tests/test_report_pack.py` (as at October 2025, m = 7).
"""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from orchestration.reports.content import Section
from orchestration.reports.data import PackData, load_pack_data
from orchestration.reports.pack import PackResult, build_pack
from orchestration.reports.sections import build_content
from orchestration.reports.sections.quality import landing_file_outcomes
from orchestration.warehouse import connect
from tests.support import pack_marts_v2
from tests.test_report_pack import MONTH, _row, make_pack_home, parse_html


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> PackResult:
    return build_pack(make_pack_home(tmp_path_factory.mktemp("pack_v2_home")), MONTH)


@pytest.fixture(scope="module")
def tables(pack: PackResult) -> dict[str, list[list[str]]]:
    return parse_html(pack.paths["html"]).tables


def test_expected_forecast_sits_beside_the_commitment_based_one_line_by_line(tables):
    table = tables["Commitment-based and expected forecast outturn by s251 line"]

    assert table[0] == [
        "s251 line",
        "Budget",
        "Commitment-based forecast",
        "Expected leavers",
        "School-year pattern",
        "Officers' adjustments",
        "Expected forecast",
        "Expected variance (+ = over)",
    ]
    # 1.2.5: £2.4m × 1.03² = £2,546,160 a year, £212,180 a month; 7 months £1,485,260; run-rate
    # £1,485,260 ÷ 7 × 5 = £1,060,900; commitment forecast £2,546,160; pattern 10 % of the run-rate
    # £106,090; expected £2,652,250, £152,250 over the £2.5m budget.
    assert _row(table, "SEN support services (1.2.5)") == [
        "SEN support services (1.2.5)",
        "£2,500,000",
        "£2,546,160",
        "£0",
        "£106,090",
        "£0",
        "£2,652,250",
        "£152,250",
    ]
    # 1.2.3's spend would give back a suppressed provision type, so every figure built on it is c; the
    # adjustment of £185,000 still shows in the total
    independent = _row(table, "Top-up and other funding – non-maintained and independent providers (1.2.3)")
    assert independent[2:] == ["c"] * 6
    assert _row(table, "All High Needs lines")[5] == "£185,000"


def test_the_forecasts_track_record_is_a_chart_and_a_table_by_month_of_the_year(pack: PackResult, tables):
    html = unescape(pack.paths["html"].read_text(encoding="utf-8"))
    table = tables["Forecast accuracy by the month the forecast was made (closed years)"]

    assert table[1:] == [["June", "2", "4.5%", "0.8%", "0.4%"], ["September", "2", "2.5%", "0.2%", "0.2%"]]
    assert (
        "Scored against the outturn of each closed year (2023-24 to 2024-25), the expected forecast made in "
        "April to February was on average 0.5% off the outturn, and 0.3% too high on balance; the "
        "commitment-based forecast was 3.5% off on average."
    ) in html
    assert "falls from 0.8% of outturn when made in June to 0.2% when made in September" in html


def test_adjustments_audit_trail_is_in_the_officers_workbook_and_not_in_the_public_pack(pack: PackResult):
    public = unescape(pack.paths["html"].read_text(encoding="utf-8"))
    sheet = load_workbook(pack.paths["workbook"])["Forecast adjustments"]
    rows = list(sheet.iter_rows(values_only=True))
    record = dict(zip(rows[0], rows[1], strict=True))

    assert pack_marts_v2.OFFICER not in public and pack_marts_v2.ADJUSTMENT_REASON not in public
    assert record["s251_line"] == "1.2.3" and record["adjustment_gbp"] == 185_000
    assert record["reason"] == pack_marts_v2.ADJUSTMENT_REASON
    assert record["entered_by"] == pack_marts_v2.OFFICER


def test_a_stale_snapshot_is_a_warning_in_words_in_both_forecast_sections(tmp_path: Path):
    settings = make_pack_home(tmp_path)
    with connect(settings.warehouse) as connection:
        connection.execute(
            "update marts.budget_vs_outturn set forecast_quality = 'stale_snapshot', "
            "placements_snapshot_month = '2025-05' where as_at_month = ?",
            [MONTH],
        )
    sections = {section.key: section for section in build_content(load_pack_data(settings, MONTH)).sections}
    warning = (
        "Warning: the newest placements snapshot (May 2025) is more than 3 months older than October 2025, "
        "so placements that started or ended since are not in the forecast."
    )

    assert sections["budget"].paragraphs[0] == warning
    assert sections["forecast"].paragraphs[0] == warning


def test_no_snapshot_says_the_forecast_is_far_too_low(tmp_path: Path):
    settings = make_pack_home(tmp_path, marts=("budget_vs_outturn", "spend_by_provision_type"))
    with connect(settings.warehouse) as connection:
        connection.execute(
            "update marts.budget_vs_outturn set forecast_quality = 'no_snapshot', "
            "placements_snapshot_month = null where as_at_month = ?",
            [MONTH],
        )
    sections = {section.key: section for section in build_content(load_pack_data(settings, MONTH)).sections}

    assert (
        sections["forecast"]
        .paragraphs[0]
        .startswith(
            "Warning: no placements snapshot was taken in or before October 2025, so the forecast counts no "
            "placement commitments and no growth: it is far too low"
        )
    )
    assert "How good were our forecasts? Not known yet" in sections["forecast"].paragraphs[-1]


def test_neighbours_are_listed_once_with_how_they_were_chosen_and_never_in_the_benchmark_tables(tables):
    captions = [caption for caption in tables if caption.startswith("Statistical neighbours of ")]
    benchmarks = [rows for caption, rows in tables.items() if caption.startswith("Benchmarks: ")]

    assert len(captions) == 1
    assert captions[0].endswith("(computed: the nearest by published profile)")
    assert tables[captions[0]][1:] == [
        ["1", "Worcestershire", "West Midlands", "0.64"],
        ["2", "Somerset", "South West", "0.26"],
    ]
    for rows in benchmarks:
        assert "Worcestershire" not in rows[0] and "Somerset" not in rows[0]
        assert [cell for row in rows for cell in row if cell in ("-3.0", "-4.0", "-2.0")] == []


def test_balance_table_leads_with_the_primary_outcomes_baseline_and_flags_imbalance(tables):
    table = tables["Balance: adopting and comparison schools before the programme"]

    assert table[1] == [
        "restorative practice",
        "suspension rate before the programme",
        "suspensions per 100 pupils per term",
        "2.41",
        "1.95",
        "0.31",
        "no",
    ]
    assert _row(table, "trauma-informed practice")[-2:] == ["-0.08", "yes"]
    assert not any("absence" in row[1] for row in table[1:])  # not a primary outcome


def test_data_quality_shows_each_landing_files_outcome_without_the_refusals_values(pack: PackResult, tables):
    html = unescape(pack.paths["html"].read_text(encoding="utf-8"))
    table = tables["What became of each landing file at the latest run"]

    assert _row(table, "placements_2025-10.csv") == [
        "placements_2025-10.csv",
        "placements",
        "2025-10",
        "refused (in quarantine)",
        "broke: upn_check_letter",
    ]
    assert _row(table, "notes.txt") == [
        "notes.txt",
        "not a dataset",
        "",
        "ignored",
        "not a landing file name",
    ]
    assert _row(table, "hn_ledger_2025-09.csv")[3] == "unchanged since it was loaded"
    assert pack_marts_v2.REFUSED_MESSAGE_VALUE not in html
    assert (
        "At the latest run: 1 file(s) loaded, 1 file(s) unchanged, 1 file(s) refused, 1 file(s) ignored."
        in (html)
    )


def test_data_quality_lists_ledger_months_not_reconciled_to_a_control_total(pack: PackResult, tables):
    html = unescape(pack.paths["html"].read_text(encoding="utf-8"))
    table = tables["Ledger months not reconciled to a control total"]

    assert "5 of 7 ledger months reconcile to the finance system's control totals (within £1)." in html
    assert table[1:] == [
        ["2025-09", "whole block", "£4,200,000", "x", "x", "not reconciled: no control total supplied"],
        [
            "2025-10",
            "whole block",
            "£4,210,013",
            "£4,210,000",
            "£13",
            "mismatch: differs from the control total by more than £1",
        ],
    ]


def test_soft_warnings_get_a_column_only_when_the_gate_records_them():
    files = pack_marts_v2.landing_files()
    without, with_warnings = Section("quality", "Data quality"), Section("quality", "Data quality")
    none_warned = files.assign(warnings=[[], [], [], []])
    landing_file_outcomes(PackData(MONTH, "2025-26", "2025/26", landing_files=none_warned), without)
    warned = files.assign(warnings=[["2 amounts over £1m"], [], [], []])
    landing_file_outcomes(PackData(MONTH, "2025-26", "2025/26", landing_files=warned), with_warnings)

    assert [column.label for column in without.tables[0].columns][-1] == "Why"
    table = with_warnings.tables[0]
    assert [column.label for column in table.columns][-1] == "Warnings"
    assert table.rows[0][-1] == "2 amounts over £1m"
    assert pd.isna(files["reason"].iloc[0])
