"""The Schools Forum pack built from a small warehouse of hand-made marts (contract column names).

`make_pack_home` is shared with the browser test: it writes marts whose numbers are plausible for a shire
county, with a few small counts planted where the pack must show `c`, a formula planted in a text cell,
and a raw placements table holding canary values that must never reach any file of the pack.
"""

from __future__ import annotations

import base64
import io
import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from PIL import Image

from orchestration.reports.pack import PackResult, build_pack
from orchestration.reports.workbook import MONEY_FORMAT
from orchestration.settings import Settings
from orchestration.warehouse import connect

MONTH = "2025-10"
FINANCIAL_YEAR = "2025-26"
CANARY_PSEUDONYM = "CANARY-PSEUDONYM-7f3a"
CANARY_PLACEMENT = "CANARY-PLACEMENT-991"
FORMULA_TEXT = '=HYPERLINK("http://evil.example","click")'

# provision type → (s251 line, headcount per year 2023-24/2024-25/2025-26, annual cost £)
PROVISION = {
    "mainstream_maintained": ("1.2.1", (410, 445, 470), 7_200),
    "mainstream_academy": ("1.2.2", (380, 420, 455), 7_400),
    "special_maintained": ("1.2.1", (260, 270, 282), 21_500),
    "special_academy": ("1.2.2", (300, 318, 335), 23_000),
    "special_independent": ("1.2.3", (120, 138, 151), 62_000),
    "post16_fe": ("1.2.2", (150, 162, 170), 9_500),
    "post16_specialist": ("1.2.3", (40, 44, 47), 45_000),
    "eotas": ("1.2.3", (6, 7, 3), 38_000),
    "hospital_education": ("1.2.6", (2, 0, 2), 30_000),
}
SERVICES = {"1.2.5": 2_400_000, "1.0.2": 6_100_000, "1.2.7": 900_000}
YEARS = ("2023-24", "2024-25", "2025-26")


def _months_of(year: str, last: str | None = None) -> list[str]:
    start = int(year[:4])
    months = pd.period_range(f"{start}-04", f"{start + 1}-03", freq="M").strftime("%Y-%m").tolist()
    return [m for m in months if last is None or m <= last]


def _spend() -> pd.DataFrame:
    rows = []
    for year_index, year in enumerate(YEARS):
        for provision_type, (line, heads, cost) in PROVISION.items():
            annual = heads[year_index] * cost * (1.04**year_index)
            ytd = 0.0
            for month_index, month in enumerate(_months_of(year, MONTH)):
                actual = round(annual / 12 * (1 + 0.01 * ((month_index % 3) - 1)), 2)
                ytd += actual
                rows.append((year, month, line, provision_type, actual, round(ytd, 2)))
        for line, annual in SERVICES.items():
            ytd = 0.0
            for month in _months_of(year, MONTH):
                actual = round(annual * (1.03**year_index) / 12, 2)
                ytd += actual
                rows.append((year, month, line, None, actual, round(ytd, 2)))
    return pd.DataFrame(
        rows,
        columns=["financial_year", "month", "s251_line", "provision_type", "actual_gbp", "ytd_actual_gbp"],
    )


def _cost_per_placement() -> pd.DataFrame:
    rows = []
    for year_index, year in enumerate(YEARS):
        for provision_type, (_line, heads, cost) in PROVISION.items():
            headcount = heads[year_index]
            fte = headcount * 0.82
            spend = headcount * cost * (1.04**year_index) * (7 / 12 if year == FINANCIAL_YEAR else 1)
            per_fte = spend / fte * (12 / 7 if year == FINANCIAL_YEAR else 1) if fte else np.nan
            median = cost * (1.04**year_index) if headcount else np.nan
            rows.append((year, provision_type, headcount, fte, spend, per_fte, median))
    return pd.DataFrame(
        rows,
        columns=[
            "financial_year",
            "provision_type",
            "placements_headcount",
            "placements_fte",
            "spend_gbp",
            "cost_per_fte_gbp",
            "median_annual_cost_gbp",
        ],
    )


def _budget_vs_outturn() -> pd.DataFrame:
    budgets = {
        "1.0.2": 6_300_000,
        "1.2.1": 9_500_000,
        "1.2.2": 12_500_000,
        "1.2.3": 11_500_000,
        "1.2.5": 2_500_000,
        "1.2.6": 50_000,
        "1.2.7": 950_000,
        "1.2.13": None,
    }
    spend = _spend()
    rows = []
    for month_index, month in enumerate(_months_of(FINANCIAL_YEAR, MONTH), start=1):
        actual = spend[(spend["financial_year"] == FINANCIAL_YEAR) & (spend["month"] <= month)]
        by_line = actual.groupby("s251_line")["actual_gbp"].sum()
        for line, budget in budgets.items():
            actual_ytd = float(by_line.get(line, 0.0))
            committed = actual_ytd / month_index * (12 - month_index)
            growth = 0.02 * (actual_ytd + committed) if line in ("1.2.1", "1.2.2", "1.2.3") else 0.0
            forecast = actual_ytd + committed
            with_growth = forecast + growth
            variance = with_growth - budget if budget is not None else None
            rows.append(
                (
                    FINANCIAL_YEAR,
                    month,
                    line,
                    budget,
                    actual_ytd,
                    committed,
                    forecast,
                    growth,
                    with_growth,
                    variance,
                    variance / budget * 100 if budget else None,
                )
            )
    return pd.DataFrame(
        rows,
        columns=[
            "financial_year",
            "as_at_month",
            "s251_line",
            "budget_gbp",
            "actual_ytd_gbp",
            "committed_gbp",
            "forecast_outturn_gbp",
            "growth_gbp",
            "forecast_with_growth_gbp",
            "variance_gbp",
            "variance_pct",
        ],
    )


def _deficit_position() -> pd.DataFrame:
    rows = [
        ("2022-23", -8_200_000.0, -3_900_000.0, -12_100_000.0, -11_500_000.0, 410_000_000.0),
        ("2023-24", -12_100_000.0, -4_800_000.0, -16_900_000.0, -15_800_000.0, 425_000_000.0),
        ("2024-25", -16_900_000.0, -5_600_000.0, -22_500_000.0, -19_900_000.0, 441_000_000.0),
        (FINANCIAL_YEAR, -22_500_000.0, -6_900_000.0, -29_400_000.0, -23_600_000.0, 456_000_000.0),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "financial_year",
            "opening_balance_gbp",
            "hn_in_year_gbp",
            "closing_balance_gbp",
            "planned_closing_balance_gbp",
            "_total_dsg",
        ],
    )
    frame["gap_to_plan_gbp"] = frame["closing_balance_gbp"] - frame["planned_closing_balance_gbp"]
    frame["closing_balance_pct_of_dsg"] = frame["closing_balance_gbp"] / frame["_total_dsg"] * 100
    return frame.drop(columns="_total_dsg")


NEEDS = ("ASD", "SEMH", "SLCN", "MLD", "SLD", "PMLD")


def _placement_flows() -> pd.DataFrame:
    rng = np.random.default_rng(7)
    rows = []
    for month in pd.period_range("2024-11", MONTH, freq="M").strftime("%Y-%m"):
        for provision_type, (_line, heads, _cost) in PROVISION.items():
            for need_index, need in enumerate(NEEDS):
                share = (0.34, 0.24, 0.16, 0.12, 0.09, 0.05)[need_index]
                active = round(heads[2] * share)
                if provision_type == "special_academy" and need == "PMLD":
                    active = 3  # a small count planted in the two-way table
                starters = int(rng.poisson(max(active, 1) * 0.02))
                leavers = int(rng.poisson(max(active, 1) * 0.015))
                rows.append((month, provision_type, need, starters, leavers, active))
    return pd.DataFrame(
        rows,
        columns=["month", "provision_type", "primary_need", "starters", "leavers", "active_end_of_month"],
    )


def _exclusion_rates() -> pd.DataFrame:
    def rows_for(group: str, parts: dict[str, tuple[float, int, int]]) -> list[tuple]:
        total_head = sum(head for head, _s, _p in parts.values())
        total_s = sum(s for _h, s, _p in parts.values())
        total_p = sum(p for _h, _s, p in parts.values())
        out = []
        for name, (head, suspensions, exclusions) in parts.items():
            others_s, others_h, others_p = total_s - suspensions, total_head - head, total_p - exclusions
            s_rate, p_rate = suspensions / head * 100, exclusions / head * 100
            s_rr = s_rate / (others_s / others_h * 100) if others_s else None
            p_rr = p_rate / (others_p / others_h * 100) if others_p else None
            out.append(("2024/25", group, name, head, suspensions, exclusions, s_rate, p_rate, s_rr, p_rr))
        return out

    sen = {"ehcp": (2_100.0, 620, 9), "sen_support": (10_400.0, 2_050, 14), "no_sen": (70_500.0, 3_930, 21)}
    ethnicity = {
        "white": (64_000.0, 5_100, 35),
        "mixed": (6_100.0, 790, 6),
        "asian": (6_800.0, 340, 1),
        "black": (3_300.0, 330, 2),
        "chinese": (400.0, 3, 0),
        "other": (1_300.0, 25, 0),
        "unclassified": (1_100.0, 12, 0),
    }
    total_head = sum(head for head, _s, _p in sen.values())
    total_s = sum(s for _h, s, _p in sen.values())
    total_p = sum(p for _h, _s, p in sen.values())
    rows = [
        (
            "2024/25",
            "total",
            "total",
            total_head,
            total_s,
            total_p,
            total_s / total_head * 100,
            total_p / total_head * 100,
            None,
            None,
        )
    ]
    rows += rows_for("sen_status", sen) + rows_for("ethnicity_major", ethnicity)
    return pd.DataFrame(
        rows,
        columns=[
            "academic_year",
            "characteristic_group",
            "characteristic",
            "headcount",
            "suspensions",
            "permanent_exclusions",
            "suspension_rate",
            "permanent_exclusion_rate",
            "suspension_risk_ratio",
            "permanent_exclusion_risk_ratio",
        ],
    )


def _impact_estimates() -> pd.DataFrame:
    rows = [
        (
            "restorative_practice",
            "suspension_rate",
            "callaway_santanna",
            "simple",
            -0.62,
            0.21,
            12,
            48,
            0.71,
            "Schools using restorative practice suspended about 0.6 fewer pupils per 100 each term "
            "than similar schools that did not.",
        ),
        (
            "restorative_practice",
            "suspension_rate",
            "twfe",
            "none",
            -0.55,
            0.20,
            12,
            48,
            None,
            "The two-way fixed effects estimate agrees: about 0.55 fewer suspensions per 100 pupils "
            "per term.",
        ),
        (
            "trauma_informed",
            "suspension_rate",
            "callaway_santanna",
            "simple",
            -0.10,
            0.25,
            9,
            48,
            0.44,
            FORMULA_TEXT,
        ),
    ]
    frame = pd.DataFrame(
        rows,
        columns=[
            "programme",
            "outcome",
            "estimator",
            "aggregation",
            "estimate",
            "std_error",
            "n_treated_units",
            "n_control_units",
            "pretrend_p_value",
            "interpretation",
        ],
    )
    frame["ci_low"] = frame["estimate"] - 1.96 * frame["std_error"]
    frame["ci_high"] = frame["estimate"] + 1.96 * frame["std_error"]
    frame["p_value"] = [0.003, 0.006, 0.69]
    frame["estimate_scale"] = "difference"
    rate_ratio = {
        "programme": "restorative_practice",
        "outcome": "permanent_exclusion_rate",
        "estimator": "poisson_twfe",
        "aggregation": "none",
        "estimate": 0.81,
        "std_error": 0.09,
        "n_treated_units": 12,
        "n_control_units": 48,
        "pretrend_p_value": None,
        "interpretation": "Permanent exclusions were about a fifth lower in schools using restorative "
        "practice.",
        "ci_low": 0.66,
        "ci_high": 0.99,
        "p_value": 0.04,
        "estimate_scale": "rate_ratio",
    }
    return pd.concat([frame, pd.DataFrame([rate_ratio])], ignore_index=True)


def _event_study() -> pd.DataFrame:
    rows = []
    for programme, effect in (("restorative_practice", -0.7), ("trauma_informed", -0.1)):
        for period in range(-4, 5):
            estimate = effect * min(1, (period + 1) / 3) if period >= 0 else 0.05 * ((period % 2) - 0.5)
            rows.append(
                (programme, "suspension_rate", period, estimate, 0.22, estimate - 0.43, estimate + 0.43)
            )
    return pd.DataFrame(
        rows,
        columns=["programme", "outcome", "relative_period", "estimate", "std_error", "ci_low", "ci_high"],
    )


def _hn_projection() -> pd.DataFrame:
    """Shaped like analyses.projection's mart: rows per provision type (no balance), a NULL-type row for
    spend that is not placements, and an `all` row holding totals, balances, their interval and the plan."""
    rows = []
    closing = {  # current year (anchored to the forecast) then three projected years
        "unmitigated": (-29.4e6, -38e6, -48e6, -59e6),
        "deficit_plan_actions": (-29.4e6, -33e6, -36e6, -38e6),
        "high_growth": (-29.4e6, -41e6, -55e6, -71e6),
    }
    plan = (-23.6e6, -25.0e6, -24.0e6, -21.0e6)
    for scenario, balances in closing.items():
        for index, year in enumerate((FINANCIAL_YEAR, "2026-27", "2027-28", "2028-29")):
            spread = 2.5e6 * index
            base = {"financial_year": year, "scenario": scenario, "is_current_year": index == 0}
            for provision_type, (_line, heads, cost) in PROVISION.items():
                placements = heads[2] * 1.06**index
                rows.append(
                    base
                    | {
                        "provision_type": provision_type,
                        "placements": placements,
                        "cost_per_placement_gbp": cost * 1.05**index,
                        "spend_gbp": placements * cost * 1.05**index,
                    }
                )
            rows.append(base | {"provision_type": None, "spend_gbp": 10.2e6 * 1.03**index})
            previous = balances[index - 1] if index else -22.5e6
            rows.append(
                base
                | {
                    "provision_type": "all",
                    "spend_gbp": 59e6 - (balances[index] - previous),
                    "income_gbp": 59e6,
                    "in_year_balance_gbp": balances[index] - previous,
                    "cumulative_balance_gbp": balances[index],
                    "cumulative_balance_p10_gbp": balances[index] - spread,
                    "cumulative_balance_p90_gbp": balances[index] + spread,
                    "planned_closing_balance_gbp": plan[index],
                }
            )
    return pd.DataFrame(rows)


def _benchmarks() -> pd.DataFrame:
    rows = []
    figures = {
        ("dsg_cumulative_balance_pct_of_dsg", "2021-22", None): (-4.9, -2.1, -1.8, -3.0),
        ("ehc_requests", "2022", None): (1_450, 14_200, 114_500, 1_180),
        ("ehc_new_plans", "2022", None): (890, 8_700, 66_200, 760),
        ("hn_budget_per_head_gbp", "2021-22", "1.2.3"): (132.4, 118.0, 121.7, 109.9),
        ("hn_budget_per_head_gbp", "2021-22", "1.0.2"): (61.0, 66.3, 70.8, 64.1),
    }
    for (measure, period, line), (la, region, england, neighbours) in figures.items():
        for comparator, area, value, n_areas, rank in (
            ("la", FORMULA_TEXT if measure == "ehc_requests" else "Shire County", la, 1, 3),
            ("region", "South East", region, 1, None),
            ("england", "England", england, 1, None),
            ("statistical_neighbours", "Statistical neighbours", neighbours, 10, None),
        ):
            rows.append((measure, period, line, comparator, area, value, None, n_areas, rank))
    return pd.DataFrame(
        rows,
        columns=[
            "measure",
            "period",
            "s251_line",
            "comparator",
            "area_name",
            "value",
            "value_note",
            "n_areas",
            "la_rank_among_neighbours",
        ],
    )


def _file_loads() -> pd.DataFrame:
    loaded = pd.Timestamp("2025-11-03 07:15:00")
    rows = [
        (
            "hn_ledger",
            month,
            f"hn_ledger_{month}.csv",
            "ab" * 32,
            4_800 + i * 37,
            loaded,
            f"archive/x{i}.csv",
            False,
        )
        for i, month in enumerate(_months_of(FINANCIAL_YEAR, MONTH))
    ]
    rows += [
        ("placements", "2025-09", "placements_2025-09.csv", "cd" * 32, 1_912, loaded, "archive/p.csv", False),
        ("hn_budget", None, "hn_budget.csv", "ef" * 32, 24, loaded, "archive/b.csv", False),
        (
            "school_outcomes",
            "2025-12",
            "school_outcomes_2025-12.csv",
            "12" * 32,
            99,
            loaded,
            "archive/s.csv",
            False,
        ),
    ]
    return pd.DataFrame(
        rows,
        columns=[
            "dataset",
            "extract_month",
            "source_file",
            "source_sha256",
            "row_count",
            "loaded_at",
            "archived_as",
            "replaced",
        ],
    )


MART_BUILDERS = {
    "spend_by_provision_type": _spend,
    "cost_per_placement": _cost_per_placement,
    "budget_vs_outturn": _budget_vs_outturn,
    "dsg_deficit_position": _deficit_position,
    "placement_flows": _placement_flows,
    "exclusion_rates": _exclusion_rates,
    "impact_estimates": _impact_estimates,
    "event_study": _event_study,
    "hn_projection": _hn_projection,
    "benchmarks": _benchmarks,
}


def make_pack_home(home: Path, marts: tuple[str, ...] | None = None) -> Settings:
    """A home whose warehouse holds the given marts (all by default), the load log and a quarantine report."""
    settings = Settings.from_env(home=home)
    settings.ensure_dirs()
    with connect(settings.warehouse) as connection:
        connection.execute("create schema marts")
        connection.execute("create schema raw")
        for name in marts if marts is not None else tuple(MART_BUILDERS):
            frame = MART_BUILDERS[name]()  # noqa: F841 - read by DuckDB's replacement scan
            connection.execute(f"create table marts.{name} as select * from frame")
        loads = _file_loads()  # noqa: F841
        connection.execute("create table raw._file_loads as select * from loads")
        connection.execute(
            "create table raw.placements as select ? as placement_id, ? as pupil_pseudonym, "
            "61000.0 as annual_cost_gbp",
            [CANARY_PLACEMENT, CANARY_PSEUDONYM],
        )
    report = {
        "file": "placements_2025-10.csv",
        "dataset": "placements",
        "problems": [
            {
                "file": "placements_2025-10.csv",
                "rows": [4, 9],
                "column": "upn",
                "rule": "upn_check_letter",
                "severity": "error",
                "message": "UPN check letter wrong, e.g. 'A91…'",
            },
        ],
    }
    (settings.quarantine_dir / "placements_2025-10.csv.report.json").write_text(json.dumps(report))
    return settings


class _Tables(HTMLParser):
    """Tables of an HTML page by caption, as lists of cell texts; and every <img> src."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.images: list[dict[str, str | None]] = []
        self._caption: str | None = None
        self._rows: list[list[str]] = []
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "img":
            self.images.append(dict(attrs))
        elif tag == "table":
            self._rows, self._caption = [], None
        elif tag == "tr":
            self._rows.append([])
        elif tag in ("td", "th", "caption"):
            self._text = []

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._text is not None:
            self._rows[-1].append("".join(self._text).strip())
            self._text = None
        elif tag == "caption" and self._text is not None:
            self._caption = "".join(self._text).strip()
            self._text = None
        elif tag == "table" and self._caption:
            self.tables[self._caption] = self._rows


def parse_html(path: Path) -> _Tables:
    parser = _Tables()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def _row(table: list[list[str]], first_cell: str) -> list[str]:
    return next(row for row in table if row and row[0] == first_cell)


@pytest.fixture(scope="module")
def pack(tmp_path_factory: pytest.TempPathFactory) -> PackResult:
    settings = make_pack_home(tmp_path_factory.mktemp("pack_home"))
    return build_pack(settings, MONTH)


def test_pack_files_are_written_to_the_month_folder(pack: PackResult):
    assert pack.folder.name == MONTH and pack.folder.parent.name == "reports"
    for name in (
        "html",
        "pdf",
        "workbook",
        "chart:deficit_trajectory",
        "chart:cost_per_placement_trend",
        "chart:event_study",
        "chart:spend_by_line",
    ):
        assert pack.paths[name].is_file() and pack.paths[name].stat().st_size > 1000, name
    assert not list(pack.folder.rglob("*.partial"))
    assert pack.unavailable_sections == []
    assert pack.seconds < 60


def test_html_has_every_section_and_a_plain_english_headline(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    for section in (
        "headline",
        "budget",
        "spend",
        "cost",
        "placements",
        "deficit",
        "benchmarks",
        "exclusions",
        "impact",
        "quality",
    ):
        assert f'id="{section}"' in html, section
    assert "not available yet" not in html
    assert re.search(
        r"forecast at £[\d,]+\.\d\d against a budget of £[\d,]+\.\d\d: an overspend of £[\d,]+\.\d\d", html
    )
    assert "cumulative DSG deficit of £29,400,000.00" in html
    assert "£5,800,000.00 worse than plan" in html
    assert "95% confidence interval -1.03 to -0.21 per 100 pupils per term" in html
    assert "95% confidence interval 0.66 to 0.99 as a rate ratio" in html
    assert "the projection puts the cumulative balance at -£59.0m (unmitigated)" in html


def test_html_is_self_contained_and_every_chart_is_an_embedded_png(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    parsed = parse_html(pack.paths["html"])
    assert len(parsed.images) >= 5
    for image in parsed.images:
        source = image.get("src") or ""
        assert source.startswith("data:image/png;base64,"), source[:40]
        png = base64.b64decode(source.split(",", 1)[1])
        assert Image.open(io.BytesIO(png)).size[0] >= 400
        assert image.get("alt")
    assert not re.search(r'(src|href)="(https?:)?//', html)
    assert "<link" not in html


def test_small_counts_show_c_with_secondary_suppression(pack: PackResult):
    tables = parse_html(pack.paths["html"]).tables
    placements = tables["Open placements at the end of October 2025, by provision type and primary need"]
    header = placements[0]
    maintained_special = _row(placements, "LA-maintained special school")
    special_academy = _row(placements, "special academy or free school")
    assert special_academy[header.index("PMLD")] == "c"  # 3 planted
    assert special_academy.count("c") >= 2  # and the next smallest in its row
    assert maintained_special[header.index("Total")] != "c"
    cost = tables["Cost per placement by financial year and provision type"]
    eotas_now = next(
        row for row in cost if row[0] == FINANCIAL_YEAR and row[1].startswith("education otherwise")
    )
    assert eotas_now[2:] == ["c", "c", "c", "c", "c"]  # 3 placements: count and every figure built on it
    hospital_last_year = next(
        row for row in cost if row[0] == "2024-25" and row[1] == "hospital education service"
    )
    assert hospital_last_year[2] == "0"  # zero is shown
    eotas_2024 = next(row for row in cost if row[0] == "2024-25" and row[1].startswith("education otherwise"))
    assert eotas_2024[2] == "7"
    by_type = tables[f"Spend to date in {FINANCIAL_YEAR} by provision type"]
    assert _row(by_type, "education otherwise than at school (bespoke package)")[1:] == ["c", "c"]
    assert _row(by_type, "hospital education service")[1:] == ["c", "c"]
    # s251 line 1.2.3 (published) = independent special + specialist post-16 + eotas: one more goes.
    assert _row(by_type, "specialist post-16 institution")[1:] == ["c", "c"]
    assert _row(by_type, "independent special school")[1] == "151"
    assert _row(by_type, "not a placement (services, targeted funding)")[1] == "z"
    ethnic = tables["By ethnic group, 2024/25"]
    chinese = _row(ethnic, "Chinese")
    assert chinese[2:5] == ["c", "c", "c"]  # 3 suspensions: count, rate and risk ratio
    assert _row(ethnic, "All pupils")[4] == "z"  # no risk ratio for the whole population


def test_no_child_level_row_reaches_any_file(pack: PackResult):
    html = pack.paths["html"].read_text(encoding="utf-8")
    pdf_text = (
        subprocess.run(
            ["pdftotext", str(pack.paths["pdf"]), "-"], capture_output=True, text=True, check=True
        ).stdout
        if shutil.which("pdftotext")
        else ""
    )
    book = load_workbook(pack.paths["workbook"], read_only=True)
    cells = " ".join(
        str(value)
        for sheet in book.worksheets
        for row in sheet.iter_rows(values_only=True)
        for value in row
        if value is not None
    )
    for text in (html, pdf_text, cells):
        for canary in (CANARY_PSEUDONYM, CANARY_PLACEMENT, "pupil_pseudonym", "placement_id"):
            assert canary not in text


def test_workbook_is_formatted_for_officers_and_neutralises_formulas(pack: PackResult):
    book = load_workbook(pack.paths["workbook"])
    assert book.sheetnames[0] == "Cover"
    assert "OFFICIAL-SENSITIVE, not for publication" in str(book["Cover"]["A1"].value)
    for name in (
        "Budget vs outturn",
        "Spend by provision type",
        "Cost per placement",
        "DSG deficit position",
        "High Needs projection",
        "Placement flows",
        "Exclusion rates",
        "Benchmarks",
        "Impact estimates",
        "Event study",
        "File loads",
        "Quarantine",
    ):
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{name}!{cell.coordinate} is a formula"
    budget = book["Budget vs outturn"]
    header = [cell.value for cell in budget[1]]
    for column in ("budget_gbp", "forecast_with_growth_gbp", "variance_gbp"):
        cell = budget.cell(row=2, column=header.index(column) + 1)
        assert cell.number_format == MONEY_FORMAT
        assert isinstance(cell.value, int | float)
    cost = book["Cost per placement"]
    cost_header = [cell.value for cell in cost[1]]
    eotas_small = [
        row
        for row in cost.iter_rows(min_row=2, values_only=True)
        if row[cost_header.index("provision_type")] == "eotas" and row[0] == FINANCIAL_YEAR
    ]
    assert eotas_small[0][cost_header.index("placements_headcount")] == 3  # unsuppressed for officers
    texts = [
        cell.value
        for sheet in (book["Benchmarks"], book["Impact estimates"])
        for row in sheet.iter_rows()
        for cell in row
        if isinstance(cell.value, str) and "HYPERLINK" in cell.value
    ]
    assert texts and all(text == "'" + FORMULA_TEXT for text in texts)


def test_pdf_pages_render_with_pdftoppm(pack: PackResult, tmp_path: Path):
    for tool in ("pdfinfo", "pdftoppm"):
        assert shutil.which(tool), f"{tool} is missing: apt-get install -y poppler-utils"
    info = subprocess.run(
        ["pdfinfo", str(pack.paths["pdf"])], capture_output=True, text=True, check=True
    ).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.MULTILINE).group(1))
    assert pages == pack.pdf_pages >= 4
    subprocess.run(
        ["pdftoppm", "-r", "60", "-png", str(pack.paths["pdf"]), str(tmp_path / "page")], check=True
    )
    rendered = sorted(tmp_path.glob("page-*.png"))
    assert len(rendered) == pages
    for page in rendered:
        pixels = np.asarray(Image.open(page).convert("L"))
        assert (pixels < 200).mean() > 0.005, f"{page.name} is blank"
    first = np.asarray(Image.open(rendered[0]).convert("RGB")).astype(int)
    navy_band = (
        (abs(first[..., 0] - 0x1D) < 12) & (abs(first[..., 1] - 0x3A) < 12) & (abs(first[..., 2] - 0x5F) < 12)
    )
    assert navy_band.mean() > 0.01  # the masthead printed


def test_a_mart_not_built_yet_is_reported_in_its_section(tmp_path: Path):
    settings = make_pack_home(tmp_path, marts=("spend_by_provision_type", "budget_vs_outturn"))

    result = build_pack(settings, MONTH)

    html = result.paths["html"].read_text(encoding="utf-8")
    assert "Cost per placement is not available yet" in html
    assert "The deficit trajectory is not available yet" in html
    assert {"cost", "placements", "deficit", "benchmarks", "exclusions", "impact"} <= set(
        result.unavailable_sections
    )
    assert "budget" not in result.unavailable_sections
    assert "Spend by provision type is shown once placement numbers" in html
    assert result.pdf_pages >= 1 and result.paths["workbook"].is_file()


def test_cli_report_builds_the_pack_and_refuses_a_bad_month(tmp_path: Path):
    from orchestration.cli import main

    make_pack_home(tmp_path)
    runner = CliRunner()

    built = runner.invoke(main, ["report", "--month", MONTH, "--home", str(tmp_path)])
    refused = runner.invoke(main, ["report", "--month", "2025-13", "--home", str(tmp_path)])
    no_warehouse = runner.invoke(main, ["report", "--month", MONTH, "--home", str(tmp_path / "empty")])

    assert built.exit_code == 0, built.output
    assert (tmp_path / "reports" / MONTH / f"schools_forum_pack_{MONTH}.pdf").is_file()
    assert refused.exit_code != 0 and "YYYY-MM" in refused.output
    assert no_warehouse.exit_code != 0 and "highneeds run" in no_warehouse.output


def test_dagster_asset_draws_the_pack_for_the_latest_ledger_month(tmp_path: Path):
    import dagster as dg

    from orchestration.assets.reports import schools_forum_pack
    from orchestration.reports.data import MART_NAMES
    from orchestration.resources import HighNeedsHome

    assert set(schools_forum_pack.dependency_keys) == {dg.AssetKey(["marts", name]) for name in MART_NAMES}
    make_pack_home(tmp_path)

    result = dg.materialize([schools_forum_pack], resources={"highneeds": HighNeedsHome(home=str(tmp_path))})

    assert result.success
    metadata = result.asset_materializations_for_node("reports__schools_forum_pack")[0].metadata
    assert metadata["month"].value == MONTH
    assert "data:image/png;base64," in metadata["chart_deficit_trajectory"].value  # the chart is in the UI
    assert (tmp_path / "reports" / MONTH / f"schools_forum_pack_{MONTH}.html").is_file()
