"""The vendored DfE files read as published: figures below were looked up by eye in the files themselves."""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import pytest

from orchestration.demo.installation import GLOUCESTERSHIRE_NEIGHBOURS, write_demo_config
from orchestration.public_data import (
    MEASURES,
    TIDY_COLUMNS,
    clean_area_name,
    current_las,
    load_public_benchmarks,
    measure_catalogue,
    parse_value,
    read_la_profile_figures,
)
from orchestration.public_data.parse import FILES_DIR, canonical_region

GLOUCESTERSHIRE = 916


@pytest.fixture(scope="module")
def tidy() -> pd.DataFrame:
    return load_public_benchmarks()


COMPARISON_COLUMNS = [
    "measure",
    "period",
    "s251_line",
    "comparator",
    "area_name",
    "value",
    "n_areas",
    "la_rank_among_neighbours",
]


@pytest.fixture(scope="module")
def comparison(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """`marts.benchmarks` as the pipeline builds it for the demo's configuration (Gloucestershire and its
    listed neighbours): the DfE asset materialised, then the real dbt build."""
    import dagster as dg

    from orchestration.assets.public_data import dfe_benchmarks
    from orchestration.resources import HighNeedsHome
    from tests.support.pipeline import dbt_build, query, settings_for

    root = tmp_path_factory.mktemp("benchmarks")
    (root / "landing").mkdir()
    settings = settings_for(root / "landing", root / "home")
    config = settings.home / "highneeds.yaml"
    write_demo_config(config)
    resource = HighNeedsHome(home=str(settings.home), config=str(config))
    assert dg.materialize([dfe_benchmarks], resources={"highneeds": resource}).success
    dbt_build(settings, "+benchmarks")
    return query(settings, "select * from marts.benchmarks")


def one(
    tidy: pd.DataFrame,
    measure: str,
    period: str,
    *,
    old_la_code: int | None = None,
    level: str = "la",
    area_name: str | None = None,
    s251_line: str | None = None,
) -> pd.Series:
    rows = tidy[
        (tidy["measure"] == measure) & (tidy["period"] == period) & (tidy["geography_level"] == level)
    ]
    if old_la_code is not None:
        rows = rows[rows["old_la_code"] == old_la_code]
    if area_name is not None:
        rows = rows[rows["area_name"] == area_name]
    rows = rows[rows["s251_line"] == s251_line] if s251_line else rows[rows["s251_line"].isna()]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def test_vendored_files_are_the_published_bytes() -> None:
    notice = (FILES_DIR / "NOTICE.md").read_text(encoding="utf-8")
    assert "Open Government Licence v3.0" in notice
    for path in sorted(FILES_DIR.glob("*.*")):
        if path.name == "NOTICE.md":
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        assert f"{digest}  {path.name}" in notice, f"{path.name} changed or is not listed in NOTICE.md"


def test_tidy_table_shape_and_types(tidy: pd.DataFrame) -> None:
    assert list(tidy.columns) == TIDY_COLUMNS
    assert set(tidy["measure"]) == set(MEASURES)
    assert set(tidy["geography_level"]) == {"england", "region", "la"}
    assert set(tidy["value_note"].dropna()) <= {"c", "x", "z"}
    # a value is NULL exactly when a note says why
    assert (tidy["value"].isna() == tidy["value_note"].notna()).all()
    assert not tidy.duplicated(["measure", "period", "geography_level", "area_code", "s251_line"]).any()
    assert tidy.loc[tidy["geography_level"] != "la", "old_la_code"].isna().all()
    assert tidy.loc[tidy["geography_level"] == "la", "old_la_code"].between(201, 941).all()
    assert set(tidy.loc[tidy["geography_level"] == "england", "area_code"]) == {"E92000001"}
    assert tidy.loc[tidy["geography_level"] == "region", "area_code"].str.match(r"^E12\d{6}$").all()
    assert tidy.loc[tidy["geography_level"] == "england", "region_name"].isna().all()
    assert tidy["old_la_code"].dtype == "Int64" and tidy["value"].dtype == "float64"
    assert list(measure_catalogue()["name"]) == list(MEASURES)


def test_periods_are_written_as_published(tidy: pd.DataFrame) -> None:
    periods = tidy.groupby("measure")["period"].agg(lambda p: sorted(set(p)))
    assert periods["dsg_cumulative_balance_pct_of_dsg"] == ["2019-20", "2020-21", "2021-22"]
    assert periods["ehc_requests"] == [str(year) for year in range(2014, 2023)]
    assert periods["hn_budget_per_head_gbp"] == ["2021-22"]
    assert periods["cin_with_ehc_plan_pct"][-1] == "2021/22"


def test_dsg_cumulative_balance_as_published(tidy: pd.DataFrame) -> None:
    measure = "dsg_cumulative_balance_pct_of_dsg"
    glos = one(tidy, measure, "2021-22", old_la_code=GLOUCESTERSHIRE)
    assert glos["value"] == pytest.approx(-3.26)  # a deficit is negative
    assert (glos["area_code"], glos["area_name"], glos["region_name"]) == (
        "E10000013",
        "Gloucestershire",
        "South West",
    )
    assert one(tidy, measure, "2019-20", old_la_code=GLOUCESTERSHIRE)["value"] == pytest.approx(-1.48)
    assert one(tidy, measure, "2021-22", level="england")["value"] == pytest.approx(-2.26)
    south_west = one(tidy, measure, "2021-22", level="region", area_name="South West")
    assert (south_west["area_code"], south_west["value"]) == ("E12000009", pytest.approx(-6.21))
    # the file names LAs without codes: the code is the one the LA had that year
    bucks_2019 = one(tidy, measure, "2019-20", old_la_code=825)
    bucks_2021 = one(tidy, measure, "2021-22", old_la_code=825)
    assert (bucks_2019["area_code"], bucks_2021["area_code"]) == ("E10000002", "E06000060")


def test_ehc_requests_and_new_plans_as_published(tidy: pd.DataFrame) -> None:
    assert one(tidy, "ehc_requests", "2022", old_la_code=GLOUCESTERSHIRE)["value"] == 1116
    assert one(tidy, "ehc_new_plans", "2022", old_la_code=GLOUCESTERSHIRE)["value"] == 866
    assert one(tidy, "ehc_requests", "2021", old_la_code=GLOUCESTERSHIRE)["value"] == 907
    assert one(tidy, "ehc_new_plans", "2021", old_la_code=GLOUCESTERSHIRE)["value"] == 582
    assert one(tidy, "ehc_requests", "2022", level="england")["value"] == 114482
    assert one(tidy, "ehc_new_plans", "2022", level="england")["value"] == 68665
    # requests were not collected before 2016: `z`, not zero
    before = one(tidy, "ehc_requests", "2015", old_la_code=GLOUCESTERSHIRE)
    assert math.isnan(before["value"]) and before["value_note"] == "z"


def test_suppressed_cell_is_null_with_note_c(tidy: pd.DataFrame) -> None:
    # sen_la.csv, Rutland, 2021/22, CINO at 31 March: pt_statement_or_EHC_plan is `c`
    rutland = one(tidy, "cin_with_ehc_plan_pct", "2021/22", old_la_code=857)
    assert math.isnan(rutland["value"]) and rutland["value_note"] == "c"
    assert one(tidy, "cin_with_ehc_plan_pct", "2021/22", old_la_code=GLOUCESTERSHIRE)["value"] == 16.5
    assert one(tidy, "cin_with_ehc_plan_pct", "2021/22", level="england")["value"] == 26.9


def test_hn_budget_per_head_from_totals_and_population(tidy: pd.DataFrame) -> None:
    population = 125867.15599999993  # 2-18, ONS mid-2021 projection, Gloucestershire's row
    measure = "hn_budget_per_head_gbp"
    independent = one(tidy, measure, "2021-22", old_la_code=GLOUCESTERSHIRE, s251_line="1.2.3")
    assert independent["value"] == pytest.approx(17_572_725 / population)
    top_up = one(tidy, measure, "2021-22", old_la_code=GLOUCESTERSHIRE, s251_line="1.2.1+1.2.2")
    assert top_up["value"] == pytest.approx(34_825_624 / population)
    # place funding 1.0.2 is the whole line: primary 412,000 + secondary 80,000 + special 13,306,667 + AP
    # 2,579,002 (the file's own 'Place funding' headline, 15,885,669, leaves out the mainstream places)
    places = one(tidy, measure, "2021-22", old_la_code=GLOUCESTERSHIRE, s251_line="1.0.2")
    assert places["value"] == pytest.approx((412_000 + 80_000 + 13_306_667 + 2_579_002) / population)
    lines = set(tidy.loc[tidy["measure"] == measure, "s251_line"])
    assert lines == {"1.0.2", "1.2.1+1.2.2", "1.2.3", "1.2.5+1.2.8", "1.2.6", "1.2.7", "1.2.13"}
    # LAs abolished before 2021-22 carry #N/A in the file
    northants = one(tidy, measure, "2021-22", old_la_code=928, s251_line="1.2.3")
    assert math.isnan(northants["value"]) and northants["value_note"] == "x"
    # INNER/OUTER LONDON in capitals are London; 'Dorset (New, LA code 838)' is Dorset
    assert one(tidy, measure, "2021-22", old_la_code=202, s251_line="1.2.3")["region_name"] == "London"
    assert one(tidy, measure, "2021-22", old_la_code=838, s251_line="1.2.3")["area_name"] == "Dorset"
    regions = tidy[(tidy["measure"] == measure) & (tidy["geography_level"] == "region")]
    assert regions.groupby("s251_line")["area_code"].nunique().eq(9).all()


def test_england_per_head_lies_within_the_las(tidy: pd.DataFrame) -> None:
    # Σ budget ÷ Σ population is a population-weighted mean of the LAs' per-head values
    measure, line = "hn_budget_per_head_gbp", "1.2.3"
    las = tidy[(tidy["measure"] == measure) & (tidy["s251_line"] == line) & (tidy["geography_level"] == "la")]
    england = one(tidy, measure, "2021-22", level="england", s251_line=line)["value"]
    counted = las.dropna(subset=["value"])
    assert counted["value"].min() < england < counted["value"].max()


def test_symbols_names_and_regions() -> None:
    assert parse_value(" 17.2939") == (17.2939, None)
    assert parse_value("1,234") == (1234.0, None)
    for symbol, note in [
        ("c", "c"),
        ("x", "x"),
        ("z", "z"),
        ("#N/A", "x"),
        ("#DIV/0!", "x"),
        ("not applicable", "z"),
        (None, "x"),
        ("", "x"),
    ]:
        value, got = parse_value(symbol)
        assert math.isnan(value) and got == note, symbol
    with pytest.raises(ValueError, match="not a number"):
        parse_value("approx 12")
    assert clean_area_name("Southend\u2013on\u2013Sea") == "Southend-on-Sea"
    mis_encoded = "Southend\u2013on\u2013Sea".encode().decode("cp1252")  # 'Southendâ€“onâ€“Sea'
    assert clean_area_name(mis_encoded) == "Southend-on-Sea"
    assert clean_area_name("Bournemouth, Christchurch & Poole") == "Bournemouth, Christchurch and Poole"
    assert clean_area_name("Dorset (New, LA code 838)") == "Dorset"
    assert clean_area_name("Cheshire West And Chester") == "Cheshire West and Chester"
    assert canonical_region("YORKSHIRE AND THE HUMBER ") == "Yorkshire and The Humber"
    assert canonical_region("OUTER LONDON ") == "London"


def test_demo_neighbours_are_current_las_present_in_every_measure(tidy: pd.DataFrame) -> None:
    current = current_las().set_index("old_la_code")
    assert (
        set(GLOUCESTERSHIRE_NEIGHBOURS) <= set(current.index)
        and GLOUCESTERSHIRE not in GLOUCESTERSHIRE_NEIGHBOURS
    )
    for measure in MEASURES:
        rows = tidy[(tidy["measure"] == measure) & (tidy["geography_level"] == "la")]
        latest_period = rows["period"].max()
        present = rows.loc[(rows["period"] == latest_period) & rows["value"].notna(), "old_la_code"]
        assert set(GLOUCESTERSHIRE_NEIGHBOURS) <= set(present), measure


def test_current_las_are_the_latest_sen2_year_without_abolished_ones() -> None:
    las = current_las()
    assert len(las) == 152 and las["old_la_code"].is_unique
    assert {928, 835, 836, 837}.isdisjoint(las["old_la_code"])  # Northamptonshire, Dorset, Poole, Bournemouth
    glos = las.set_index("old_la_code").loc[GLOUCESTERSHIRE]
    assert (glos["new_la_code"], glos["la_name"], glos["region_name"]) == (
        "E10000013",
        "Gloucestershire",
        "South West",
    )


def test_la_profile_figures_as_published() -> None:
    figures = read_la_profile_figures().set_index(["old_la_code", "figure"])
    assert len(figures) == 3 * 152
    # Outturn data 202122.xlsx, Gloucestershire's row: 2-18 population, EHC plans, of which NMSS/independent
    assert figures.loc[(GLOUCESTERSHIRE, "population_2_18"), "value"] == pytest.approx(125867.156)
    assert figures.loc[(GLOUCESTERSHIRE, "ehc_plans"), "value"] == 4332
    assert figures.loc[(GLOUCESTERSHIRE, "ehc_plans_independent_special"), "value"] == 296
    assert figures.loc[(GLOUCESTERSHIRE, "ehc_plans"), "period"] == "2021-22"
    # Kent's row: 334,809.436 aged 2-18, 15,281 plans, 1,396 in NMSS or independent schools
    assert figures.loc[(886, "ehc_plans_independent_special"), "value"] == 1396
    # not in the table, or #N/A in it: NULL with note x, never zero
    for code, figure in [(420, "population_2_18"), (201, "ehc_plans"), (940, "ehc_plans")]:
        row = figures.loc[(code, figure)]
        assert math.isnan(row["value"]) and row["value_note"] == "x"
    assert figures.loc[(940, "population_2_18"), "value"] == 75388


def test_comparison_rows_and_hand_checked_mean(comparison: pd.DataFrame) -> None:
    assert [c for c in comparison.columns if c in COMPARISON_COLUMNS] == COMPARISON_COLUMNS
    summaries = comparison[comparison["comparator"] != "neighbour"]
    assert summaries.groupby(["measure", "period", "s251_line"], dropna=False).size().eq(4).all()
    rows = comparison[
        (comparison["measure"] == "dsg_cumulative_balance_pct_of_dsg") & (comparison["period"] == "2021-22")
    ]
    each_neighbour = rows[rows["comparator"] == "neighbour"].set_index("area_name")["value"]
    assert each_neighbour.to_dict() == pytest.approx(
        {
            "Worcestershire": -2.37,
            "Warwickshire": -2.24,
            "Wiltshire": -6.38,
            "Somerset": -4.58,
            "Devon": -13.84,
            "Oxfordshire": -4.26,
            "West Sussex": -3.68,
            "Leicestershire": -4.20,
            "Staffordshire": -1.21,
            "Cambridgeshire": -7.33,
        }
    )
    rows = rows[rows["comparator"] != "neighbour"].set_index("comparator")
    assert sorted(rows.index) == ["england", "la", "region", "statistical_neighbours"]
    assert rows.at["la", "value"] == pytest.approx(-3.26)
    assert rows.at["region", "area_name"] == "South West"
    assert rows.at["region", "value"] == pytest.approx(-6.21)
    assert rows.at["england", "value"] == pytest.approx(-2.26)
    # Worcestershire -2.37, Warwickshire -2.24, Wiltshire -6.38, Somerset -4.58, Devon -13.84,
    # Oxfordshire -4.26, West Sussex -3.68, Leicestershire -4.20, Staffordshire -1.21, Cambridgeshire -7.33
    assert rows.at["statistical_neighbours", "value"] == pytest.approx(-50.09 / 10)
    assert rows.at["statistical_neighbours", "n_areas"] == 10
    # higher than -3.26: Staffordshire, Warwickshire, Worcestershire → 4th of 11
    assert rows.at["la", "la_rank_among_neighbours"] == 4
    assert rows.drop(index="la")["la_rank_among_neighbours"].isna().all()

    requests = comparison[(comparison["measure"] == "ehc_requests") & (comparison["period"] == "2022")]
    neighbours_mean = requests.loc[requests["comparator"] == "statistical_neighbours", "value"].item()
    assert neighbours_mean == pytest.approx(
        (1142 + 1349 + 971 + 1061 + 2017 + 1117 + 1735 + 1199 + 1665 + 1313) / 10
    )
    assert requests.loc[requests["comparator"] == "la", "la_rank_among_neighbours"].item() == 9


def test_neighbour_means_leave_out_missing_figures_and_count_the_rest(
    tidy: pd.DataFrame, comparison: pd.DataFrame
) -> None:
    # Worked out here from the tidy table, independently of the mart's SQL: suppressed or missing
    # neighbour figures are dropped from the mean, never counted as zero.
    codes = list(GLOUCESTERSHIRE_NEIGHBOURS)
    neighbours = tidy[(tidy["geography_level"] == "la") & tidy["old_la_code"].isin(codes)]
    expected = (
        neighbours.groupby(["measure", "period", "s251_line"], dropna=False)["value"]
        .agg(["mean", "count"])
        .reset_index()
    )
    mart = comparison[comparison["comparator"] == "statistical_neighbours"]
    joined = mart.merge(expected, on=["measure", "period", "s251_line"], how="left", validate="one_to_one")
    assert len(joined) == len(mart) > 30
    assert (joined["n_areas"] == joined["count"]).all()
    with_values = joined[joined["count"] > 0]
    assert with_values["value"].to_numpy() == pytest.approx(with_values["mean"].to_numpy())
