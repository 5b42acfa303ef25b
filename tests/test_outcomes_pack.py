"""The outcomes dashboard, the AP table and the workbook's tracker, drawn from hand-made marts.

The marts come from `tests/support/outcome_marts.py`: every catalogue indicator over four periods, the
first indicator's latest numerator 3 (below min_count 5), and one AP provider with 2 children.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest
from openpyxl import load_workbook

from orchestration.outcomes_framework import CatalogueError, read_catalogue, shipped_catalogue
from orchestration.reports.content import Section
from orchestration.reports.data import load_pack_data
from orchestration.reports.pack import build_pack
from orchestration.reports.sections import build_content
from tests.support import outcome_marts
from tests.test_report_pack import MONTH, make_pack_home


@pytest.fixture(scope="module")
def home(tmp_path_factory: pytest.TempPathFactory):
    return make_pack_home(tmp_path_factory.mktemp("outcomes") / "home")


def section(home, key: str) -> Section:
    content = build_content(load_pack_data(home, MONTH))
    (found,) = [s for s in content.sections if s.key == key]
    assert found.unavailable is None, found.unavailable
    return found


def test_the_dashboard_names_all_nine_priorities_and_rates_in_words_not_colour(home) -> None:
    dashboard = section(home, "outcomes")
    priorities, indicators = dashboard.tables
    assert [row[0][:2] for row in priorities.rows] == [f"{p}." for p in range(1, 10)]
    assert len(indicators.rows) == len(shipped_catalogue().indicators) == 20
    statuses = {row[5] for row in indicators.rows}
    assert statuses == {"✔ On track", "▲ Behind", "✖ Off track", "… Not enough data"}
    # the hand-made tracker rates period `step` of indicator `position` RAGS[(position + step) % 4]; the
    # latest complete period at 2025-10 is step 3, except 2025-26 (in progress): step 2, 2024-25
    expected = Counter(
        outcome_marts.RAGS[(position + (2 if item.period_type == "financial_year" else 3)) % 4]
        for position, item in enumerate(shipped_catalogue().indicators.values())
    )
    counts = ", ".join(
        f"{expected[rag]} {words}"
        for rag, words in (
            ("on_track", "on track"),
            ("behind", "behind"),
            ("off_track", "off track"),
            ("insufficient_data", "not enough data"),
        )
        if expected[rag]
    )
    assert dashboard.paragraphs[0].endswith(f"nine priorities: {counts}.")
    (reviews,) = [row for row in indicators.rows if row[0] == "Graduated pathway reviews completed"]
    assert reviews[3] == "2024-25"  # 2025-26 is still in progress at 2025-10
    (trends,) = dashboard.charts
    assert trends.name == "outcome_trends" and trends.png.startswith(b"\x89PNG")
    assert trends.alt.startswith("20 small line charts")


def test_a_latest_value_over_a_count_below_min_count_is_suppressed(home) -> None:
    _, indicators = section(home, "outcomes").tables
    first = shipped_catalogue().indicators["ehcp_suspension_rate"].label
    (row,) = [row for row in indicators.rows if row[0] == first]
    assert row[2] == "c"
    (shown,) = [row for row in indicators.rows if row[0].startswith("Absence rate among pupils with an EHCP")]
    assert shown[2] == "9.5%"  # 95 % of the 10 % target, shown: 120 + absences counted


def test_the_ap_table_suppresses_a_small_provider_and_what_would_reveal_it(home) -> None:
    (table,) = section(home, "ap-outcomes").tables
    assert table.title == "Alternative provision by provider, 2024/25"  # the last complete year
    rows = {row[0]: row for row in table.rows}
    assert rows["Forest Skills Hub"][1:] == ["c"] * 8  # 2 children: every figure is built on them
    # secondary suppression: the next smallest children count goes too, so a total cannot give 2 away
    assert rows["Open Door Education"][1] == "c"
    assert rows["New Horizons AP Academy"][1:3] == ["42", "21"]


def test_the_workbook_holds_the_full_tracker_unsuppressed(home, tmp_path: Path) -> None:
    result = build_pack(home, MONTH)
    book = load_workbook(result.paths["workbook"])
    sheet = book["Outcomes tracker"]
    header = [cell.value for cell in sheet[1]]
    assert {"indicator_id", "period", "value", "baseline", "target", "trajectory", "rag"} <= set(header)
    assert sheet.max_row - 1 == len(outcome_marts.outcomes_tracker()) == 80
    assert "AP outcomes" in book.sheetnames


def test_a_bad_catalogue_is_refused_naming_the_file_and_each_key(tmp_path: Path) -> None:
    bad = tmp_path / "outcomes_framework.yaml"
    bad.write_text(
        "priorities: {1: a, 2: b, 3: c, 4: d, 5: e, 6: f, 7: g, 8: h, 9: i}\n"
        "indicators:\n"
        "  late_target:\n"
        "    priority: 10\n"
        "    name: x\n"
        "    definition: x\n"
        "    source: derived\n"
        "    unit: percent\n"
        "    direction: higher_is_better\n"
        "    period_type: academic_year\n"
        "    baseline_year: 2024/25\n"
        "    target: 120\n"
        "    target_year: 2023/24\n"
        "    rag: {behind_within: 1}\n"
        "    comparater: england\n",
        encoding="utf-8",
    )
    with pytest.raises(CatalogueError) as refused:
        read_catalogue(bad)
    lines = str(refused.value).splitlines()
    assert all(line.startswith(f"{bad}: indicators.late_target") for line in lines)
    assert any(".priority: " in line for line in lines)
    assert any("unknown key; did you mean 'comparator'?" in line for line in lines)
