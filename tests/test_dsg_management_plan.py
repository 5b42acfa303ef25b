"""The DSG management plan against hand-worked examples: four blocks, EHC plans, workstreams, the workbook.

One small landing folder goes through the real ingest and the real `dbt build`. The ledger runs April 2023
to April 2024, so 2023-24 is closed and 2024-25 is in progress (as at 2024-04, m = 1); every month posts
£16,000 of SEN support services (1.2.5, not placements), so 2023-24's High Needs outturn is 12 × 16,000 =
192,000 and 2024-25's forecast is 16,000 + 16,000 ÷ 1 × 11 = 192,000 (no placements on the ledger, so no
growth; the closed year's even months make the seasonal view the same).
"""

from __future__ import annotations

from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from orchestration.reports.data import load_pack_data
from orchestration.reports.management_plan import (
    CHILDREN_SUMMARY,
    FINANCIAL_SUMMARY,
    WORKSTREAM_LOG,
    build_management_plan,
)
from orchestration.reports.sections import build_content
from orchestration.reports.workbook import CLASSIFICATION
from orchestration.settings import Settings
from tests.support.landing import (
    ledger_line,
    make_upn,
    placement,
    write_landing_csv,
    write_minimal_reference_files,
)
from tests.support.pipeline import load_and_build, query

LEDGER_MONTHS = [f"2023-{m:02d}" for m in range(4, 13)] + [f"2024-{m:02d}" for m in range(1, 5)]
MONTHLY_SPEND = 16_000
FUNDING = [
    # year, block, allocation, deductions, transfer in: £10,000 moves from schools to high needs in 2023-24
    ("2023-24", "schools", "1000000.00", "0", "-10000.00"),
    ("2023-24", "central_school_services", "50000.00", "0", "0"),
    ("2023-24", "early_years", "200000.00", "0", "0"),
    ("2023-24", "high_needs", "190000.00", "20000.00", "10000.00"),
    ("2024-25", "schools", "1020000.00", "0", "0"),
    ("2024-25", "central_school_services", "51000.00", "0", "0"),
    ("2024-25", "early_years", "205000.00", "0", "0"),
    ("2024-25", "high_needs", "200000.00", "21000.00", "0"),
]
BLOCK_OUTTURN = [
    # year, block, spend, status, as at: early years has sent no 2024-25 figure
    ("2023-24", "schools", "988000.00", "outturn", ""),
    ("2023-24", "central_school_services", "50500.00", "outturn", ""),
    ("2023-24", "early_years", "195000.00", "outturn", ""),
    ("2023-24", "high_needs", "191000.00", "outturn", ""),
    ("2024-25", "schools", "1030000.00", "forecast", "2024-03"),
    ("2024-25", "schools", "1020000.00", "forecast", "2024-04"),
    ("2024-25", "central_school_services", "51000.00", "forecast", "2024-04"),
]
MITIGATIONS = [
    # workstream, owner, year, target, delivered
    ("Inclusion in mainstream", "Head of Inclusion", "2023-24", "10000.00", "9500.00"),
    ("Local special school places", "Head of SEND Sufficiency", "2023-24", "10000.00", "6000.00"),
    ("Independent school fees", "Head of SEND Commissioning", "2023-24", "10000.00", "2000.00"),
    ("Inclusion in mainstream", "Head of Inclusion", "2024-25", "12000.00", ""),
]
# Children and their dates of birth. The January census date is 31 January 2024.
EXACTLY_11 = "2013-01-31"  # 11th birthday on the census date: 11, in 11_15
ELEVEN_TOMORROW = "2013-02-01"  # still 10 on the census date: 5_10; 11 by the newest snapshot (March)


def write_landing(folder: Path) -> None:
    write_minimal_reference_files(folder)
    write_landing_csv(
        folder,
        "dsg_funding",
        [
            dict(
                zip(
                    ("financial_year", "block", "allocation_gbp", "deductions_gbp", "transfer_in_gbp"),
                    row,
                    strict=True,
                )
            )
            for row in FUNDING
        ],
    )
    write_landing_csv(
        folder,
        "dsg_block_outturn",
        [
            dict(zip(("financial_year", "block", "spend_gbp", "status", "as_at_month"), row, strict=True))
            for row in BLOCK_OUTTURN
        ],
    )
    write_landing_csv(
        folder,
        "mitigations",
        [
            dict(
                zip(
                    ("workstream", "owner", "financial_year", "target_saving_gbp", "delivered_saving_gbp"),
                    row,
                    strict=True,
                ),
                status="on track" if row[4] else "",
            )
            for row in MITIGATIONS
        ],
    )
    for month in LEDGER_MONTHS:
        write_landing_csv(
            folder,
            "hn_ledger",
            [ledger_line(f"T{month}", month, "1.2.5", f"{MONTHLY_SPEND}.00")],
            month=month,
        )

    def children(snapshot: str) -> list[dict[str, object]]:
        rows = [
            placement(
                "P1",
                make_upn(823, 4001, 12, 1),
                "special_maintained",
                "2022-09-01",
                None,
                "21000.00",
                provider_urn="100001",
                date_of_birth=EXACTLY_11,
                primary_need="ASD",
            ),
            placement(
                "P2",
                make_upn(823, 4001, 12, 2),
                "special_maintained",
                "2022-09-01",
                None,
                "21000.00",
                provider_urn="100001",
                date_of_birth=ELEVEN_TOMORROW,
                primary_need="ASD",
            ),
            placement(
                "P3",
                make_upn(823, 4001, 12, 3),
                "special_independent",
                "2023-09-01",
                None,
                "60000.00",
                provider_urn="100003",
                date_of_birth="2008-06-01",
                primary_need="SEMH",
            ),
            # ended before the January census: counted in no census
            placement(
                "P4",
                make_upn(823, 4001, 12, 4),
                "mainstream_academy",
                "2022-09-01",
                "2023-12-31",
                "7000.00",
                provider_urn="100002",
                date_of_birth="2012-03-01",
                primary_need="SLCN",
            ),
        ]
        if snapshot == "2024-03":  # started after the January census
            rows.append(
                placement(
                    "P5",
                    make_upn(823, 4001, 12, 5),
                    "post16_fe",
                    "2024-02-15",
                    None,
                    "9000.00",
                    date_of_birth="2006-10-01",
                    primary_need="MLD",
                )
            )
        return rows

    for snapshot in ("2023-06", "2024-01", "2024-03"):
        write_landing_csv(folder, "placements", children(snapshot), month=snapshot)


@pytest.fixture(scope="module")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("dsg_plan")
    write_landing(root / "landing")
    return load_and_build(
        root / "landing",
        root / "home",
        "+dsg_deficit_position +ehcp_population_trend +mitigation_tracker",
    )


def money(value: object) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def block(settings: Settings, year: str) -> pd.DataFrame:
    frame = query(settings, "select * from marts.dsg_blocks where financial_year = ?", [year])
    return frame.set_index("dsg_block")


def test_four_blocks_with_a_transfer_and_the_whole_dsg_closing_balance(settings: Settings) -> None:
    blocks = block(settings, "2023-24")
    income = {"schools": 990_000, "central_school_services": 50_000, "early_years": 200_000}
    income["high_needs"] = 190_000 - 20_000 + 10_000  # 180,000: the transfer is on both blocks
    spend = {"schools": 988_000, "central_school_services": 50_500, "early_years": 195_000}
    spend["high_needs"] = 12 * MONTHLY_SPEND  # our ledger's 192,000, not the file's 191,000
    for name in income:
        assert money(blocks.at[name, "income_gbp"]) == income[name]
        assert money(blocks.at[name, "spend_gbp"]) == spend[name]
        assert money(blocks.at[name, "in_year_gbp"]) == income[name] - spend[name]
        assert blocks.at[name, "spend_status"] == "outturn"
    assert money(blocks.at["schools", "transfer_in_gbp"]) == -10_000
    assert money(blocks.at["high_needs", "transfer_in_gbp"]) == 10_000
    assert money(blocks.at["high_needs", "supplied_spend_gbp"]) == 191_000
    assert blocks.at["high_needs", "spend_source"] == "hn_ledger"

    position = query(settings, "select * from marts.dsg_deficit_position").set_index("financial_year")
    year = position.loc["2023-24"]
    # in-year: +2,000 − 500 + 5,000 − 12,000 = −5,500 on income 1,420,000 and spend 1,425,500
    assert money(year["total_dsg_income_gbp"]) == 1_420_000
    assert money(year["spend_all_blocks_gbp"]) == 1_425_500
    assert money(year["in_year_all_blocks_gbp"]) == -5_500
    assert money(year["opening_balance_all_blocks_gbp"]) == -50_000
    assert money(year["closing_balance_all_blocks_gbp"]) == -55_500
    assert money(year["closing_balance_gbp"]) == -50_000 - 12_000  # the High Needs view beside it
    assert pd.isna(year["blocks_without_spend"])


def test_a_block_without_spend_makes_the_whole_dsg_figures_null_not_zero(settings: Settings) -> None:
    blocks = block(settings, "2024-25")
    assert blocks.at["early_years", "spend_status"] == "missing"
    assert pd.isna(blocks.at["early_years", "spend_gbp"]) and pd.isna(blocks.at["early_years", "in_year_gbp"])
    assert money(blocks.at["schools", "spend_gbp"]) == 1_020_000  # the forecast as at 2024-04 stands
    assert blocks.at["schools", "spend_status"] == "forecast"
    assert money(blocks.at["high_needs", "spend_gbp"]) == 192_000
    assert money(blocks.at["high_needs", "in_year_gbp"]) == 179_000 - 192_000

    year = query(settings, "select * from marts.dsg_deficit_position where financial_year = '2024-25'").iloc[
        0
    ]
    for column in ("spend_all_blocks_gbp", "in_year_all_blocks_gbp", "closing_balance_all_blocks_gbp"):
        assert pd.isna(year[column]), column
    assert year["blocks_without_spend"] == "early_years"
    assert money(year["opening_balance_all_blocks_gbp"]) == -55_500
    assert money(year["closing_balance_gbp"]) == -62_000 - 13_000  # the High Needs view goes on


def test_a_child_exactly_11_on_the_census_date_is_counted_in_11_15(settings: Settings) -> None:
    population = query(
        settings,
        "select snapshot_month, age_band, primary_need, provision_type, ehcps, is_january, is_latest "
        "from marts.ehcp_population order by snapshot_month, age_band, provision_type",
    )
    rows = [tuple(row) for row in population.itertuples(index=False)]
    assert rows == [
        # 31 January 2024: P1 turned 11 that day (11_15), P2 turns 11 tomorrow (5_10), P3 is 15; P4 ended
        ("2024-01", "11_15", "SEMH", "special_independent", 1, True, False),
        ("2024-01", "11_15", "ASD", "special_maintained", 1, True, False),
        ("2024-01", "5_10", "ASD", "special_maintained", 1, True, False),
        # 31 March 2024, the newest snapshot: P2 is 11 now, P5 (17) has started; 2023-06 is no census
        ("2024-03", "11_15", "SEMH", "special_independent", 1, False, True),
        ("2024-03", "11_15", "ASD", "special_maintained", 2, False, True),
        ("2024-03", "16_19", "MLD", "post16_fe", 1, False, True),
    ]


def test_the_template_trend_tables_count_every_placement_type(settings: Settings) -> None:
    trend = query(
        settings,
        "select * from marts.ehcp_population_trend where breakdown = 'placement_type' "
        "and snapshot_month = '2024-01' order by category_order",
    ).set_index("category")
    assert len(trend) == 7  # every placement type of the template, 0 where nobody is placed
    assert trend["ehcps"].to_dict() == {
        "mainstream": 0,
        "resourced": 0,
        "special": 2,
        "independent_non_maintained": 1,
        "ap_hospital": 0,
        "post16": 0,
        "other": 0,
    }
    assert (trend["all_ehcps"] == 3).all()
    assert trend.at["independent_non_maintained", "share_pct"] == pytest.approx(100 / 3)


def test_workstreams_are_rated_green_amber_red_and_grey(settings: Settings) -> None:
    tracker = query(settings, "select * from marts.mitigation_tracker").set_index(
        ["workstream", "financial_year"]
    )
    # as at 2024-04, 2023-24 (ended 31 March 2024) is due; 2024-25 is not
    assert (tracker["as_at_month"] == "2024-04").all()
    rating = tracker["rag"].to_dict()
    assert rating == {
        ("Independent school fees", "2023-24"): "red",  # 20 %
        ("Inclusion in mainstream", "2023-24"): "green",  # 95 %
        ("Local special school places", "2023-24"): "amber",  # 60 %
        ("Inclusion in mainstream", "2024-25"): "grey",  # not yet due
    }
    assert tracker["delivered_pct"].to_dict()[("Inclusion in mainstream", "2023-24")] == pytest.approx(95)
    still_to_come = tracker["saving_still_to_come_gbp"].map(float).to_dict()
    assert still_to_come[("Inclusion in mainstream", "2024-25")] == 12_000
    assert still_to_come[("Independent school fees", "2023-24")] == 0


# ------------------------------------------------------------------------------ the workbook and the pack


@pytest.fixture(scope="module")
def workbook(settings: Settings, tmp_path_factory: pytest.TempPathFactory) -> openpyxl.Workbook:
    path = tmp_path_factory.mktemp("plan") / "dsg_management_plan_2024-04.xlsx"
    path.write_bytes(build_management_plan(load_pack_data(settings, "2024-04")))
    return openpyxl.load_workbook(path)


def rows_of(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def row_after(rows: list[tuple], heading: str, label: str) -> tuple:
    """The row labelled `label` in the first table after the row whose first cell is `heading`."""
    start = next(index for index, row in enumerate(rows) if row[0] == heading)
    return next(row for row in rows[start:] if row[0] == label)


def test_management_plan_workbook_holds_values_only_and_says_it_is_official_sensitive(workbook) -> None:
    assert workbook.sheetnames == [FINANCIAL_SUMMARY, CHILDREN_SUMMARY, WORKSTREAM_LOG]
    first = workbook[FINANCIAL_SUMMARY]
    assert first["A1"].value == CLASSIFICATION
    assert "NOT suppressed" in first["A3"].value
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} holds a formula"
                if isinstance(cell.value, str):
                    assert not cell.value.startswith("="), f"{sheet.title}!{cell.coordinate}"


def test_management_plan_workbook_totals_equal_the_marts(workbook, settings: Settings) -> None:
    rows = rows_of(workbook[FINANCIAL_SUMMARY])
    header = next(row for row in rows if row[0] == "Financial year")
    assert header[1:3] == ("2023-24", "2024-25")
    position = query(settings, "select * from marts.dsg_deficit_position").set_index("financial_year")
    closing = row_after(rows, "Total DSG", "Closing DSG balance (cumulative; − = deficit)")
    assert closing[1] == pytest.approx(float(position.at["2023-24", "closing_balance_all_blocks_gbp"]))
    assert closing[1] == pytest.approx(-55_500)
    assert closing[2] is None  # early years missing: blank, never 0
    income = row_after(rows, "Total DSG", "Income, all blocks")
    assert income[1:3] == pytest.approx((1_420_000, 1_020_000 + 51_000 + 205_000 + 179_000))
    transfers = row_after(rows, "Schools block", "Transfer between blocks (+ received, − given)")
    assert transfers[1] == -10_000
    high_needs_spend = row_after(rows, "High needs block", "Spend")
    assert high_needs_spend[1:3] == (192_000, 192_000)
    money_cell = workbook[FINANCIAL_SUMMARY].cell(row=rows.index(closing) + 1, column=2)
    assert "£#,##0.00" in money_cell.number_format

    children = rows_of(workbook[CHILDREN_SUMMARY])
    trend = query(settings, "select * from marts.ehcp_population_trend where breakdown = 'placement_type'")
    totals = row_after(children, "Number of EHC plans by placement type", "Total")
    all_by_month = trend.drop_duplicates("snapshot_month").sort_values("snapshot_month")["all_ehcps"]
    assert list(totals[1:3]) == list(all_by_month) == [3, 4]
    special = row_after(
        children, "Number of EHC plans by placement type", "maintained and academy special schools"
    )
    assert special[1:3] == (2, 2)
    share = row_after(
        children, "Share of EHC plans in independent or non-maintained special schools", "% of all EHC plans"
    )
    assert share[1:3] == pytest.approx((100 / 3, 25.0))

    log = rows_of(workbook[WORKSTREAM_LOG])
    header_index = next(index for index, row in enumerate(log) if row[0] == "Workstream")
    entries = [row for row in log[header_index + 1 :] if row[0]]
    tracker = query(settings, "select * from marts.mitigation_tracker")
    assert len(entries) == len(tracker) == 4
    assert sum(row[3] for row in entries) == pytest.approx(tracker["target_saving_gbp"].astype(float).sum())
    assert sum(row[3] for row in entries) == 42_000
    assert sum(row[4] or 0 for row in entries) == pytest.approx(17_500)
    ratings = {(row[0], row[2]): row[6] for row in entries}
    assert ratings[("Independent school fees", "2023-24")] == "Red"
    assert ratings[("Inclusion in mainstream", "2024-25")] == "Grey"


def test_pack_section_suppresses_small_counts_the_workbook_keeps(settings: Settings) -> None:
    data = load_pack_data(settings, "2024-04")
    content = build_content(data)
    section = next(s for s in content.sections if s.key == "dsg_plan")
    assert section.unavailable is None
    titles = [table.title for table in section.tables]
    assert titles == [
        "DSG by block, 2024-25",
        "In-year by block and the closing DSG balance, year by year",
        "EHC plans by placement type, January censuses",
        "Deficit mitigation workstreams: savings against target",
    ]
    blocks, _history, census, workstreams = section.tables
    by_block = {row[0]: row for row in blocks.rows}
    assert by_block["Early years block"][3] == "x" and by_block["Early years block"][4] == "not supplied"
    assert by_block["Total DSG"][3] == "x"  # never £0
    assert by_block["Schools block"][1] == "£1,020,000"
    # 1, 2 and 3 plans: every count below 5 is c in public, while the workbook keeps 2 and 1
    counts = [cell for row in census.rows for cell in row[1:]]
    assert set(counts) <= {"c", "0"}
    assert "c" in counts
    ratings = {(row[0], row[2]): row[6] for row in workstreams.rows}
    assert ratings[("Local special school places", "2023-24")] == "Amber"  # in words, not by colour
    assert any("1 green, 1 amber, 1 red" in paragraph for paragraph in section.paragraphs)
