"""The demo data generator (`orchestration.demo`): deterministic, contract-valid, calibrated, with truth.

Most checks use a short extract (`latest_month="2022-06"`: 2021-22 is complete, placements go back before
it) so the suite stays fast; checks that need the programmes and the outcome panel use the full demo.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from orchestration.contract import CHARACTERISTICS_BY_GROUP, DATASETS, identify_landing_file, landing_files
from orchestration.demo import DemoSummary, generate_demo
from orchestration.parsing.upn import is_valid_upn

SHORT = "2022-06"
FULL = "2026-10"


@pytest.fixture(scope="module")
def short_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("short") / "landing", seed=42, latest_month=SHORT)


@pytest.fixture(scope="module")
def full_demo(tmp_path_factory: pytest.TempPathFactory) -> DemoSummary:
    return generate_demo(tmp_path_factory.mktemp("full") / "landing", seed=42, latest_month=FULL)


# ------------------------------------------------------------------------------------------- helpers
def read_csv(path: Path) -> pd.DataFrame:
    """A landing CSV as text, as the contract allows it to be encoded (UTF-8 with/without BOM, or 1252)."""
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("cp1252")
    from io import StringIO

    frame = pd.read_csv(StringIO(content), dtype=str, keep_default_na=False)
    frame.columns = [c.strip().lower() for c in frame.columns]
    return frame


def pounds(values: pd.Series) -> pd.Series:
    """Money text (`£1,234.56`, `(1,234.56)`, `-12.50`) to float pounds."""
    text = values.str.strip()
    negative = text.str.startswith("(") | text.str.startswith("-")
    number = text.str.replace(r"[£,()\-\s]", "", regex=True).astype(float)
    return number.where(~negative, -number)


def days(values: pd.Series) -> pd.Series:
    """ISO or UK dates to datetimes (never US order); blank → NaT."""
    iso = pd.to_datetime(values.where(values.str.contains("-")), format="%Y-%m-%d", errors="coerce")
    uk = pd.to_datetime(values.where(values.str.contains("/")), format="%d/%m/%Y", errors="coerce")
    return iso.fillna(uk)


def ledger(summary: DemoSummary) -> pd.DataFrame:
    frames = [read_csv(p) for p in sorted(summary.landing.glob("hn_ledger_*.csv"))]
    frame = pd.concat(frames, ignore_index=True)
    frame["amount"] = pounds(frame["amount_gbp"])
    return frame


def newest_snapshot(summary: DemoSummary) -> pd.DataFrame:
    return read_csv(sorted(summary.landing.glob("placements_*.csv"))[-1])


# ---------------------------------------------------------------------------------------- determinism
def test_same_seed_and_arguments_give_identical_bytes(short_demo: DemoSummary, tmp_path: Path) -> None:
    again = generate_demo(tmp_path / "again", seed=42, latest_month=SHORT)
    first = {
        p.relative_to(short_demo.landing): p.read_bytes()
        for p in short_demo.landing.rglob("*")
        if p.is_file()
    }
    second = {p.relative_to(again.landing): p.read_bytes() for p in again.landing.rglob("*") if p.is_file()}
    assert first.keys() == second.keys()
    different = [str(name) for name in first if first[name] != second[name]]
    assert not different, f"files differ between identical runs: {different}"


def test_another_seed_gives_other_data(short_demo: DemoSummary, tmp_path: Path) -> None:
    other = generate_demo(tmp_path / "other", seed=7, latest_month=SHORT)
    name = "hn_ledger_2021-04.csv"
    assert (other.landing / name).read_bytes() != (short_demo.landing / name).read_bytes()


def test_regenerating_into_a_demo_folder_replaces_it_but_a_real_folder_is_refused(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    generate_demo(landing, latest_month="2021-09")
    summary = generate_demo(landing, latest_month="2021-05")
    assert not (landing / "hn_ledger_2021-09.csv").exists()
    assert sorted(p.name for p in summary.files) == sorted(f.name for f in landing_files(landing))
    real = tmp_path / "real"
    real.mkdir()
    (real / "hn_ledger_2021-04.csv").write_text("transaction_id\n1\n")
    with pytest.raises(FileExistsError):
        generate_demo(real, latest_month="2021-05")


# ------------------------------------------------------------------------------------------ file names
DATASETS_NOT_IN_DEMO_YET: set[str] = set()
"""Contract v2 datasets the demo county does not ship yet: each leaves this set when the demo writes it."""


def test_file_names_match_the_contract(full_demo: DemoSummary) -> None:
    landing = full_demo.landing
    top = sorted(p for p in landing.iterdir() if p.is_file() and p.name != full_demo.ground_truth.name)
    datasets = {identify_landing_file(p).dataset.name for p in top}  # raises on any unexpected name
    assert datasets == set(DATASETS) - DATASETS_NOT_IN_DEMO_YET
    assert [p.name for p in full_demo.files] == [p.name for p in top]
    months = sorted(identify_landing_file(p).extract_month for p in landing.glob("hn_ledger_*.csv"))
    assert months[0] == "2021-04" and months[-1] == FULL and len(months) == 67  # every month, none missing
    snapshots = sorted(identify_landing_file(p).extract_month for p in landing.glob("placements_*.csv"))
    assert snapshots[0] == "2021-06" and snapshots[-1] == FULL
    assert all(m[5:] in ("01", "03", "06", "09", "12") for m in snapshots[:-1])
    assert {m for m in snapshots if m.endswith("-01")} == {f"{y}-01" for y in range(2022, 2027)}  # SEN2 month
    outcomes = sorted(identify_landing_file(p).extract_month for p in landing.glob("school_outcomes_*.csv"))
    assert len(outcomes) == 15 and outcomes[0] == "2022-01" and outcomes[-1] == "2026-09"
    assert {m[5:] for m in outcomes} == {"01", "05", "09"}
    assert (landing / "hn_budget.xlsx").exists() and not (landing / "hn_budget.csv").exists()


def test_rows_reported_match_the_files(short_demo: DemoSummary) -> None:
    counted: dict[str, int] = {}
    for landing_file in landing_files(short_demo.landing):
        if landing_file.path.suffix == ".csv":
            counted[landing_file.dataset.name] = counted.get(landing_file.dataset.name, 0) + len(
                read_csv(landing_file.path)
            )
    assert all(short_demo.rows[name] == rows for name, rows in counted.items())
    assert all(rows > 0 for rows in short_demo.rows.values())  # no empty extract


# -------------------------------------------------------------------------------------------- placements
def test_every_upn_is_valid_and_belongs_to_one_child(short_demo: DemoSummary) -> None:
    for path in short_demo.landing.glob("placements_*.csv"):
        snapshot = read_csv(path)
        upns = snapshot["upn"].unique()
        assert all(is_valid_upn(u) for u in upns), path.name
        assert snapshot["placement_id"].is_unique
    snapshot = newest_snapshot(short_demo)
    assert snapshot["upn"].str[-1].str.isalpha().any(), "some temporary UPNs (ending in a letter)"
    assert (snapshot["upn"].str[1:4] == "938").all()
    per_child = snapshot.groupby("upn")[["date_of_birth", "surname"]].nunique()
    assert (per_child == 1).all().all()
    assert snapshot["upn"].duplicated().any(), "some children have several consecutive placements"


def test_ehcps_in_january_2021_match_the_calibration(short_demo: DemoSummary) -> None:
    snapshot = newest_snapshot(short_demo)
    start, end = days(snapshot["placement_start"]), days(snapshot["placement_end"])
    census = pd.Timestamp("2021-01-21")
    open_then = (start <= census) & (end.isna() | (end >= census))
    children = snapshot.loc[open_then, "upn"].nunique()
    assert abs(children - 4300) <= 0.05 * 4300
    assert short_demo.finance["ehcps_january_2021_census"] == children


def test_placement_rules(short_demo: DemoSummary) -> None:
    snapshot = newest_snapshot(short_demo)
    start, end = days(snapshot["placement_start"]), days(snapshot["placement_end"])
    assert (end.isna() | (end >= start)).all()
    assert ((snapshot["end_reason"] == "") == end.isna()).all()
    assert (pounds(snapshot["annual_cost_gbp"]) >= 0).all()
    assert "NSA" not in set(snapshot["primary_need"])
    assert ((start < pd.Timestamp("2021-04-01")) & end.isna()).any(), (
        "open placements with history before 2021"
    )
    age = (start - days(snapshot["date_of_birth"])).dt.days / 365.25
    assert age.between(1.99, 25).all()
    assert age[snapshot["provision_type"].str.startswith("post16")].ge(15.9).all()
    assert age[snapshot["provision_type"] == "early_years"].le(5.1).all()


def test_older_snapshots_show_what_was_known_then(short_demo: DemoSummary) -> None:
    older = read_csv(short_demo.landing / "placements_2021-06.csv")
    newest = newest_snapshot(short_demo)
    assert set(older["placement_id"]) < set(newest["placement_id"])
    assert (days(older["placement_start"]) <= pd.Timestamp("2021-06-30")).all()
    assert (days(older["placement_end"]).dropna() <= pd.Timestamp("2021-06-30")).all()


# -------------------------------------------------------------------------------------------- ledger
def test_ledger_rules(short_demo: DemoSummary) -> None:
    lines = ledger(short_demo)
    assert lines["transaction_id"].is_unique
    assert (lines["amount"] != 0).all() and (lines["amount"] < 0).any()
    period_start = pd.to_datetime(lines["period"] + "-01")
    assert (days(lines["posting_date"]) >= period_start).all()
    ids = set(newest_snapshot(short_demo)["placement_id"])
    with_id = lines["placement_id"] != ""
    assert with_id.any() and lines.loc[with_id, "placement_id"].isin(ids).all()
    assert (lines.loc[~with_id & (lines["amount"] > 0), "provision_type"] == "").all()
    assert lines["description"].str.contains(",").any() and lines["description"].str.contains('"').any()
    assert set(lines.loc[lines["provision_type"] == "", "s251_line"]) >= {
        "1.0.2",
        "1.2.4",
        "1.2.5",
        "1.2.6",
        "1.2.7",
        "1.2.8",
        "1.2.11",
        "1.2.13",
    }


def test_resourced_and_ap_lines_follow_provider_governance(short_demo: DemoSummary) -> None:
    lines = ledger(short_demo)
    schools = read_csv(short_demo.landing / "schools.csv").set_index("school_urn")["governance"]
    by_governance = {
        "maintained": "1.2.1",
        "academy": "1.2.2",
        "independent": "1.2.3",
        "non_maintained": "1.2.3",
    }
    rows = lines[lines["provision_type"].isin(["resourced_provision", "alternative_provision"])]
    expected = rows["provider_urn"].map(schools).map(by_governance)
    assert len(rows) and (rows["s251_line"] == expected).all()


def test_2021_22_overspend_and_deficit(short_demo: DemoSummary) -> None:
    lines = ledger(short_demo)
    spend = lines.loc[lines["period"].between("2021-04", "2022-03"), "amount"].sum()
    funding = read_csv(short_demo.landing / "dsg_funding.csv")
    hn = funding[(funding["financial_year"] == "2021-22") & (funding["block"] == "high_needs")].iloc[0]
    income = (
        pounds(pd.Series([hn["allocation_gbp"]]))[0]
        - pounds(pd.Series([hn["deductions_gbp"]]))[0]
        + pounds(pd.Series([hn["transfer_in_gbp"]]))[0]
    )
    assert abs(spend - income - 6.9e6) <= 0.5e6
    balance = read_csv(short_demo.landing / "dsg_balance.csv")
    opening = pounds(balance.loc[balance["financial_year"] == "2021-22", "opening_balance_gbp"]).iloc[0]
    assert abs(opening + (income - spend) - -17e6) <= 0.5e6
    total_2022 = funding[funding["financial_year"] == "2022-23"]
    dsg = (pounds(total_2022["allocation_gbp"]) - pounds(total_2022["deductions_gbp"])).sum()
    assert abs(dsg - 562.5e6) < 1e6


def test_ledger_and_placements_agree(short_demo: DemoSummary) -> None:
    """A full month's placement line is the annual cost ÷ 12."""
    lines = ledger(short_demo)
    snapshot = newest_snapshot(short_demo).set_index("placement_id")
    june = lines[(lines["period"] == "2022-06") & (lines["placement_id"] != "") & (lines["amount"] > 0)]
    june = june[~june["description"].str.startswith("Refund")]
    start = days(snapshot.loc[june["placement_id"], "placement_start"]).to_numpy()
    end = days(snapshot.loc[june["placement_id"], "placement_end"]).to_numpy()
    whole = (start <= np.datetime64("2022-06-01")) & (pd.isna(end) | (end >= np.datetime64("2022-06-30")))
    annual = pounds(snapshot.loc[june["placement_id"], "annual_cost_gbp"]).to_numpy()
    assert np.allclose(june["amount"].to_numpy()[whole], np.round(annual[whole] / 12, 2), atol=0.011)


def test_budget_is_an_xlsx_with_a_title_row_and_revisions(short_demo: DemoSummary) -> None:
    from openpyxl import load_workbook

    rows = list(load_workbook(short_demo.landing / "hn_budget.xlsx").active.iter_rows(values_only=True))
    assert "budget" in str(rows[0][0]).lower()
    assert list(rows[1]) == list(DATASETS["hn_budget"].column_names)
    budget = pd.DataFrame(rows[2:], columns=rows[1])
    assert set(budget["budget_type"]) == {"original", "revised"}
    first = budget[budget["financial_year"] == "2021-22"]
    assert abs(first.loc[first["budget_type"] == "original", "amount_gbp"].sum() - 77e6) < 1e6


def test_control_totals_equal_the_ledger_months_but_the_latest_two_and_the_corrected_one(
    short_demo: DemoSummary,
) -> None:
    lines = ledger(short_demo)
    month_totals = lines.groupby("period")["amount"].sum()
    totals = read_csv(short_demo.landing / "ledger_control_totals.csv")
    totals["amount"] = pounds(totals["amount_gbp"])
    assert (totals["s251_line"] == "").all()  # whole-block totals
    unreported = sorted(set(month_totals.index) - set(totals["period"]))
    assert unreported == sorted([short_demo.correction.month, "2022-05", "2022-06"])
    expected = month_totals.loc[totals["period"]].to_numpy()
    assert np.allclose(totals["amount"].to_numpy(), expected, atol=0.001)


def test_forecast_adjustments_move_the_current_year_with_reasons(short_demo: DemoSummary) -> None:
    adjustments = read_csv(short_demo.landing / "forecast_adjustments.csv")
    assert set(adjustments["financial_year"]) == {"2022-23"}  # the year of the latest month, 2022-06
    assert adjustments["as_from_month"].between("2022-04", SHORT).all()
    assert (adjustments["reason"].str.len() > 20).all() and (adjustments["entered_by"] != "").all()
    assert (days(adjustments["entered_on"]).dt.strftime("%Y-%m") == adjustments["as_from_month"]).all()


# ---------------------------------------------------------------------------------------- correction
def funding_income(summary: DemoSummary) -> pd.Series:
    """DSG income (allocation − deductions + transfer) by financial year and block, from dsg_funding."""
    funding = read_csv(summary.landing / "dsg_funding.csv")
    income = (
        pounds(funding["allocation_gbp"])
        - pounds(funding["deductions_gbp"])
        + pounds(funding["transfer_in_gbp"])
    )
    return income.set_axis(pd.MultiIndex.from_frame(funding[["financial_year", "block"]]))


def test_other_blocks_roughly_balance_and_high_needs_outturn_is_the_ledger(full_demo: DemoSummary) -> None:
    figures = read_csv(full_demo.landing / "dsg_block_outturn.csv")
    assert set(figures["block"]) == {"schools", "central_school_services", "early_years", "high_needs"}
    income = funding_income(full_demo)
    outturn = figures[figures["status"] == "outturn"]
    others = outturn[outturn["block"] != "high_needs"]
    ratio = (
        pounds(others["spend_gbp"]).to_numpy()
        / income.loc[list(zip(others["financial_year"], others["block"], strict=True))].to_numpy()
    )
    assert (abs(ratio - 1) < 0.03).all()  # within 3 % of income: the other blocks roughly balance
    assert outturn["as_at_month"].eq("").all()
    lines = ledger(full_demo)
    high_needs = outturn[outturn["block"] == "high_needs"].set_index("financial_year")
    spend_2024 = lines.loc[lines["period"].between("2024-04", "2025-03"), "amount"].sum()
    assert pounds(high_needs["spend_gbp"])["2024-25"] == pytest.approx(spend_2024, abs=0.01)
    # the year in progress: the other blocks' forecasts at each quarter end so far, each dated
    forecasts = figures[figures["status"] == "forecast"]
    assert set(forecasts["financial_year"]) == {"2026-27"}
    assert set(forecasts["as_at_month"]) == {"2026-06", "2026-09"}
    assert "high_needs" not in set(forecasts["block"])
    # a Schools Forum transfer sits on both blocks of dsg_funding, so each block's income already holds it
    funding = read_csv(full_demo.landing / "dsg_funding.csv")
    transfers = pounds(funding["transfer_in_gbp"]).groupby(funding["financial_year"]).sum()
    assert (transfers.abs() < 0.005).all()
    assert pounds(funding["transfer_in_gbp"]).gt(0).sum() == 3  # 2022-23, 2023-24 and 2025-26


def test_mitigations_have_owners_and_every_rating_in_the_latest_ended_year(full_demo: DemoSummary) -> None:
    log = read_csv(full_demo.landing / "mitigations.csv")
    assert 4 <= log["workstream"].nunique() <= 6
    assert log["owner"].ne("").all() and log["workstream"].ne("").all()
    assert log.groupby("workstream")["owner"].nunique().eq(1).all()
    target = pounds(log["target_saving_gbp"])
    assert (target > 0).all()
    # as at 2026-10, 2025-26 is the latest year ended: rated on delivered ÷ target
    ended = log[log["financial_year"] == "2025-26"]
    share = pounds(ended["delivered_saving_gbp"]) / pounds(ended["target_saving_gbp"])
    ratings = share.map(lambda s: "green" if s >= 0.9 else "amber" if s >= 0.5 else "red")
    assert sorted(ratings) == ["amber", "amber", "green", "green", "red"]
    # a year not yet ended is left blank unless part-year progress is reported; no year ended is blank
    # but the one workstream that sent no return for its first year
    later = log[log["financial_year"] > "2026-27"]
    assert later["delivered_saving_gbp"].eq("").all()
    blank_ended = log[(log["financial_year"] < "2026-27") & log["delivered_saving_gbp"].eq("")]
    assert len(blank_ended) == 1 and blank_ended["status"].iloc[0] == "no return from the owner"


def test_corrected_redelivery(short_demo: DemoSummary) -> None:
    correction = short_demo.correction
    assert correction.path.parent.name == "corrections" and correction.replaces.exists()
    original, corrected = read_csv(correction.replaces), read_csv(correction.path)
    assert list(original["transaction_id"]) == list(corrected["transaction_id"])
    changed = pounds(original["amount_gbp"]) != pounds(corrected["amount_gbp"])
    assert sorted(corrected.loc[changed, "transaction_id"]) == sorted(correction.transaction_ids)
    delta = pounds(corrected["amount_gbp"]).sum() - pounds(original["amount_gbp"]).sum()
    assert delta == pytest.approx(correction.delta_gbp, abs=0.01) and correction.delta_gbp != 0


# ----------------------------------------------------------------------------------------- the mess
def test_deliberate_mess_is_present(short_demo: DemoSummary) -> None:
    landing = short_demo.landing
    for kind, name in short_demo.mess.items():
        assert (landing / name).exists(), kind
    finance_export = (landing / short_demo.mess["windows_1252_pound_signs_crlf"]).read_bytes()
    with pytest.raises(UnicodeDecodeError):
        finance_export.decode("utf-8")
    assert b"\xa3" in finance_export and b"\r\n" in finance_export
    assert "(" in (landing / short_demo.mess["ledger_accounting_negatives_thousands"]).read_text()
    assert "/" in read_csv(landing / short_demo.mess["ledger_uk_dates"])["posting_date"].iloc[0]
    assert "/" in read_csv(landing / short_demo.mess["placements_uk_dates"])["placement_start"].iloc[0]
    assert "caseworker_team" in read_csv(landing / short_demo.mess["extra_unknown_column"]).columns
    header = (landing / "schools.csv").read_text().splitlines()[0]
    assert "SCHOOL_URN" in header and " " in header
    assert '"(' in (landing / "deficit_plan.csv").read_text()
    assert (landing / short_demo.mess["utf8_bom"]).read_bytes().startswith(b"\xef\xbb\xbf")


def test_every_file_parses_under_the_contract(short_demo: DemoSummary) -> None:
    """The platform's own reader and value parsers accept every file, mess included."""
    from orchestration.parsing.reading import read_landing_table
    from orchestration.parsing.values import PARSERS

    for landing_file in landing_files(short_demo.landing):
        table = read_landing_table(landing_file.path, landing_file.dataset)
        assert table.n_rows > 0, landing_file.name
        for column in landing_file.dataset.columns:
            if column.optional_column and column.name not in table.frame:
                continue
            values = table.frame[column.name]
            blank = values.str.strip() == ""
            if column.required:
                assert not blank.any(), (landing_file.name, column.name)
            if column.type in PARSERS:
                assert PARSERS[column.type](values).n_invalid == 0, (landing_file.name, column.name)
            if column.codes:
                assert values[~blank].isin(column.codes).all(), (landing_file.name, column.name)


# ------------------------------------------------------------------------------------------ outcomes
def test_outcome_totals_equal_group_sums(full_demo: DemoSummary) -> None:
    outcomes = pd.concat([read_csv(p) for p in full_demo.landing.glob("school_outcomes_*.csv")])
    measures = [
        "headcount",
        "suspensions",
        "permanent_exclusions",
        "sessions_possible",
        "sessions_missed",
        "persistent_absentees",
    ]
    outcomes[measures] = outcomes[measures].astype(np.int64)
    assert (outcomes[measures] >= 0).all().all()
    assert (outcomes["sessions_missed"] <= outcomes["sessions_possible"]).all()
    assert (outcomes["persistent_absentees"] <= outcomes["headcount"]).all()
    key = ["school_urn", "academic_year", "term"]
    assert not outcomes.duplicated([*key, "characteristic_group", "characteristic"]).any()
    total = outcomes[outcomes["characteristic_group"] == "total"].set_index(key)[measures].sort_index()
    for group, characteristics in CHARACTERISTICS_BY_GROUP.items():
        rows = outcomes[outcomes["characteristic_group"] == group]
        assert set(rows["characteristic"]) == set(characteristics)
        summed = rows.groupby(key)[measures].sum().sort_index()
        pd.testing.assert_frame_equal(summed, total, check_names=False)
    assert outcomes.groupby(["academic_year", "term"]).ngroups == 15


def test_ground_truth(full_demo: DemoSummary) -> None:
    truth = json.loads(full_demo.ground_truth.read_text(encoding="utf-8"))
    assert {"simple", "dynamic", "att_gt"} <= set(truth["definitions"]) | {"att_gt"}
    assert len(truth["panel"]["terms"]) == 15
    programmes = truth["programmes"]
    assert set(programmes) == {"restorative_practice", "trauma_informed", "talc", "ap_outreach"}
    effects = {name: p["effects"] for name, p in programmes.items()}
    assert effects["restorative_practice"]["suspension_rate"]["simple"] < -0.5
    assert effects["trauma_informed"]["absence_rate"]["simple"] < -0.5
    assert (
        effects["trauma_informed"]["absence_rate_ehcp"]["simple"]
        < effects["trauma_informed"]["absence_rate"]["simple"]
    )
    assert effects["ap_outreach"]["permanent_exclusion_rate"]["simple"] < 0
    assert all(v["simple"] == 0 for v in effects["talc"].values())
    assert effects["restorative_practice"]["absence_rate"]["simple"] == 0
    # the simple aggregation is the cohort-size-weighted mean of the post-treatment cells
    rp = programmes["restorative_practice"]
    n_g = {c["term_index"]: c["n_schools"] for c in rp["cohorts"]}
    assert len(n_g) >= 3 and rp["n_untreated_schools"] > 0
    cells = [c for c in rp["effects"]["suspension_rate"]["att_gt"] if c["event_time"] >= 0]
    simple = sum(n_g[c["cohort"]] * c["att"] for c in cells) / sum(n_g[c["cohort"]] for c in cells)
    assert simple == pytest.approx(rp["effects"]["suspension_rate"]["simple"], abs=1e-8)
    assert all(c["att"] == 0 for c in rp["effects"]["suspension_rate"]["att_gt"] if c["event_time"] < 0)
    dynamic = rp["effects"]["suspension_rate"]["dynamic"]["by_event_time"]
    assert dynamic["3"] < dynamic["0"] < 0, "the effect grows with time since adoption"


def test_interventions_are_staggered_from_autumn_2022(full_demo: DemoSummary) -> None:
    interventions = read_csv(full_demo.landing / "interventions.csv")
    start = days(interventions["start_date"])
    assert start.min() >= pd.Timestamp("2022-09-01") and start.max() <= pd.Timestamp("2026-10-31")
    assert set(interventions["programme"]) == {
        "restorative_practice",
        "trauma_informed",
        "talc",
        "ap_outreach",
    }
    assert interventions.groupby("programme")["start_date"].nunique().min() > 3
    panel = read_csv(sorted(full_demo.landing.glob("school_outcomes_*.csv"))[0])["school_urn"].unique()
    schools = read_csv(full_demo.landing / "schools.csv")
    academies = schools[schools["predecessor_urn"] != ""]
    first_urn = dict(zip(academies["school_urn"], academies["predecessor_urn"], strict=True))
    as_first = interventions["school_urn"].replace(first_urn)
    assert set(as_first) <= set(panel)


def test_converted_academies_report_under_their_new_urn_from_the_conversion_term(
    full_demo: DemoSummary,
) -> None:
    truth = json.loads(full_demo.ground_truth.read_text(encoding="utf-8"))
    conversions = truth["academy_conversions"]
    assert len(conversions) == 8
    schools = read_csv(full_demo.landing / "schools.csv").set_index("school_urn")
    outcomes = {
        path.stem.removeprefix("school_outcomes_"): set(read_csv(path)["school_urn"])
        for path in sorted(full_demo.landing.glob("school_outcomes_*.csv"))
    }
    months = sorted(outcomes)  # one file per term, in term order from autumn 2021/22 (term 0)
    for conversion in conversions:
        old, new, term = conversion["old_urn"], conversion["new_urn"], conversion["from_term_index"]
        academy, maintained = schools.loc[new], schools.loc[old]
        assert academy["predecessor_urn"] == old and academy["governance"] == "academy"
        assert maintained["governance"] == "maintained" and maintained["closed_on"] != ""
        assert days(pd.Series([academy["opened_on"]])).iloc[0] - days(
            pd.Series([maintained["closed_on"]])
        ).iloc[0] == pd.Timedelta(days=1)
        assert all(old in outcomes[month] and new not in outcomes[month] for month in months[:term])
        assert all(new in outcomes[month] and old not in outcomes[month] for month in months[term:])
