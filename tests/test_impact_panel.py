"""Exclusion rates and the impact panel, worked by hand: real landing files, real ingest, real dbt build.

Two schools, academic year 2022/23. School 100001 has autumn and spring; school 100002 has autumn and
summer (no spring, so its headcount is the mean of its two terms). Per school the year's figures are:

    characteristic   100001 (spring hc, events)   100002 (mean hc, events)   LA hc   LA suspensions
    ehcp             10, 1 + 2 = 3                (9 + 11) / 2 = 10, 1 + 0    20      4   → 20 per 100
    sen_support      20, 1 + 1 = 2                (19 + 21) / 2 = 20, 0 + 1   40      3
    no_sen           70, 1 + 1 = 2                (68 + 72) / 2 = 70, 1 + 0   140     3
    total            100, 3 + 4 = 7               (96 + 104) / 2 = 100, 2 + 1  200     10  → 5 per 100

ehcp against all other sen_status pupils: 6 / 180 = 3.333 per 100, risk ratio 20 / 3.333 = 6.0.
"""

from __future__ import annotations

import pandas as pd
import pytest

from orchestration.settings import Settings
from tests.support.landing import write_landing_csv, write_minimal_reference_files
from tests.support.pipeline import load_and_build, query

YEAR = "2022/23"
SCHOOL_A = "100001"
SCHOOL_B = "100002"

# (headcount, suspensions, permanent_exclusions, persistent_absentees) of each sen_status row, per school term
SEN_ROWS: dict[tuple[str, str], dict[str, tuple[int, int, int, int]]] = {
    (SCHOOL_A, "autumn"): {"ehcp": (12, 1, 0, 2), "sen_support": (22, 1, 0, 2), "no_sen": (75, 1, 0, 5)},
    (SCHOOL_A, "spring"): {"ehcp": (10, 2, 0, 3), "sen_support": (20, 1, 0, 2), "no_sen": (70, 1, 1, 5)},
    (SCHOOL_B, "autumn"): {"ehcp": (9, 1, 0, 1), "sen_support": (19, 0, 0, 2), "no_sen": (68, 1, 0, 4)},
    (SCHOOL_B, "summer"): {"ehcp": (11, 0, 0, 2), "sen_support": (21, 1, 0, 2), "no_sen": (72, 0, 0, 6)},
}
# black and unclassified rows per school term; white is the rest of the total
ETHNICITY_ROWS: dict[tuple[str, str], dict[str, tuple[int, int, int, int]]] = {
    (SCHOOL_A, "autumn"): {"black": (11, 1, 0, 0), "unclassified": (10, 0, 0, 0)},
    (SCHOOL_A, "spring"): {"black": (10, 2, 0, 0), "unclassified": (10, 1, 0, 0)},
    (SCHOOL_B, "autumn"): {"black": (9, 0, 0, 0), "unclassified": (10, 1, 0, 0)},
    (SCHOOL_B, "summer"): {"black": (11, 1, 0, 0), "unclassified": (10, 0, 0, 0)},
}


def _row(
    school: str, term: str, group: str, characteristic: str, counts: tuple[int, int, int, int]
) -> dict[str, object]:
    headcount, suspensions, permanent_exclusions, persistent_absentees = counts
    return {
        "school_urn": school,
        "academic_year": YEAR,
        "term": term,
        "characteristic_group": group,
        "characteristic": characteristic,
        "headcount": headcount,
        "suspensions": suspensions,
        "permanent_exclusions": permanent_exclusions,
        # 100 possible sessions per pupil, 5 missed: absence rate 5 per 100 sessions everywhere
        "sessions_possible": 100 * headcount,
        "sessions_missed": 5 * headcount,
        "persistent_absentees": persistent_absentees,
    }


def school_term_rows(school: str, term: str) -> list[dict[str, object]]:
    """Every row of one school term: sen_status rows, their total, and ethnicity rows adding up to it."""
    sen = SEN_ROWS[(school, term)]
    total = tuple(sum(values) for values in zip(*sen.values(), strict=True))
    ethnic = dict(ETHNICITY_ROWS[(school, term)])
    ethnic["white"] = tuple(
        t - sum(values) for t, values in zip(total, zip(*ethnic.values(), strict=True), strict=True)
    )
    return (
        [_row(school, term, "total", "total", total)]
        + [_row(school, term, "sen_status", name, counts) for name, counts in sen.items()]
        + [_row(school, term, "ethnicity_major", name, counts) for name, counts in ethnic.items()]
    )


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("impact")
    landing = root / "landing"
    write_minimal_reference_files(landing)
    # one programme per start date, all at school 100001; school 100002 never has any
    write_landing_csv(
        landing,
        "interventions",
        [
            {"school_urn": SCHOOL_A, "programme": "talc", "start_date": "2022-12-31", "cost_gbp": "1000.00"},
            {
                "school_urn": SCHOOL_A,
                "programme": "trauma_informed",
                "start_date": "2023-01-01",
                "cost_gbp": "1000.00",
            },
            {
                "school_urn": SCHOOL_A,
                "programme": "ap_outreach",
                "start_date": "2023-08-31",
                "cost_gbp": "1000.00",
            },
            {
                "school_urn": SCHOOL_A,
                "programme": "restorative_practice",
                "start_date": "2023-09-01",
                "end_date": "2024-07-31",
                "cost_gbp": "1000.00",
            },
            # a later second start of the same programme does not move the cohort
            {"school_urn": SCHOOL_A, "programme": "talc", "start_date": "2023-04-20", "cost_gbp": "500.00"},
        ],
    )
    # January delivery: both autumns, school 100001's with ehcp suspensions overstated (9, corrected below)
    first_autumn_a = school_term_rows(SCHOOL_A, "autumn")
    for row in first_autumn_a:
        if row["characteristic"] in ("ehcp", "total", "white"):
            row["suspensions"] = int(row["suspensions"]) + 8  # type: ignore[call-overload]
    write_landing_csv(
        landing, "school_outcomes", first_autumn_a + school_term_rows(SCHOOL_B, "autumn"), month="2023-01"
    )
    # September delivery: 100001's autumn again (corrected), its spring, and 100002's summer
    write_landing_csv(
        landing,
        "school_outcomes",
        school_term_rows(SCHOOL_A, "autumn")
        + school_term_rows(SCHOOL_A, "spring")
        + school_term_rows(SCHOOL_B, "summer"),
        month="2023-09",
    )
    return load_and_build(landing, root / "home", select="+exclusion_rates +impact_panel")


@pytest.fixture(scope="module")
def rates(warehouse: Settings) -> pd.DataFrame:
    frame = query(warehouse, "select * from marts.exclusion_rates where academic_year = ?", [YEAR])
    return frame.set_index("characteristic")


def test_ehcp_exclusion_rate_and_risk_ratio_worked_by_hand(rates: pd.DataFrame) -> None:
    ehcp = rates.loc["ehcp"]
    assert ehcp.characteristic_group == "sen_status"
    assert ehcp.headcount == pytest.approx(20.0)
    assert ehcp.suspensions == 4  # not 12: the corrected autumn replaced the January one
    assert ehcp.suspension_rate == pytest.approx(20.0)
    assert ehcp.others_suspension_rate == pytest.approx(6 / 180 * 100)
    assert ehcp.suspension_risk_ratio == pytest.approx(6.0)
    assert ehcp.n_schools == 2
    assert ehcp.terms_present == 3  # autumn, spring (100001) and summer (100002)


def test_headcount_is_spring_where_present_else_mean_of_terms(rates: pd.DataFrame) -> None:
    # 100001: spring 100 (not autumn 109); 100002: no spring, (96 + 104) / 2 = 100
    total = rates.loc["total"]
    assert total.headcount == pytest.approx(200.0)
    assert total.suspensions == 10
    assert total.suspension_rate == pytest.approx(5.0)
    assert total.permanent_exclusions == 1
    assert total.permanent_exclusion_rate == pytest.approx(0.5)
    assert pd.isna(total.suspension_risk_ratio) and pd.isna(total.permanent_exclusion_risk_ratio)


def test_permanent_exclusion_risk_ratio_is_null_when_no_other_pupil_was_excluded(rates: pd.DataFrame) -> None:
    no_sen = rates.loc["no_sen"]
    assert no_sen.headcount == pytest.approx(140.0)
    assert no_sen.permanent_exclusion_rate == pytest.approx(100 / 140)
    assert pd.isna(no_sen.permanent_exclusion_risk_ratio)  # the others' rate is 0
    assert rates.loc["ehcp"].permanent_exclusion_risk_ratio == pytest.approx(0.0)


def test_unclassified_is_its_own_row_and_counts_among_all_other_pupils(rates: pd.DataFrame) -> None:
    # black: 20 pupils, 4 suspensions; unclassified: 20 pupils, 2; white: 160 pupils, 4
    unclassified = rates.loc["unclassified"]
    assert unclassified.characteristic_group == "ethnicity_major"
    assert unclassified.headcount == pytest.approx(20.0)
    assert unclassified.suspension_rate == pytest.approx(10.0)
    assert unclassified.suspension_risk_ratio == pytest.approx(10.0 / (8 / 180 * 100))
    # black's others are white and unclassified pupils: 6 / 180 (it would be 4 / 160 without unclassified)
    assert rates.loc["black"].suspension_risk_ratio == pytest.approx(20.0 / (6 / 180 * 100))
    assert rates.loc["white"].suspension_risk_ratio == pytest.approx(2.5 / 15.0)
    assert rates.loc[["white", "black", "unclassified"], "headcount"].sum() == pytest.approx(200.0)


def test_a_later_delivery_replaces_the_school_term(warehouse: Settings) -> None:
    latest = query(
        warehouse,
        """
        select school_urn, term, delivery_month, suspensions
        from intermediate.int_school_outcomes__latest
        where characteristic = 'ehcp'
        order by school_urn, term
    """,
    )
    assert latest.to_dict("list") == {
        "school_urn": [SCHOOL_A, SCHOOL_A, SCHOOL_B, SCHOOL_B],
        "term": ["autumn", "spring", "autumn", "summer"],
        "delivery_month": ["2023-09", "2023-09", "2023-01", "2023-09"],
        "suspensions": [1, 2, 1, 0],
    }


def test_panel_terms_are_indexed_dated_and_rated(warehouse: Settings) -> None:
    panel = query(
        warehouse,
        """
        select school_urn, term, term_index, term_start_date, term_end_date, headcount, suspension_rate,
               absence_rate, persistent_absence_rate, headcount_ehcp, suspension_rate_ehcp
        from intermediate.int_school_term_panel
        order by school_urn, term_index
    """,
    )
    assert panel.term_index.tolist() == [6066, 6067, 6066, 6068]  # 100002 has no spring: a visible gap
    assert panel.term.tolist() == ["autumn", "spring", "autumn", "summer"]
    assert [str(d.date()) for d in pd.to_datetime(panel.term_start_date)] == [
        "2022-09-01",
        "2023-01-01",
        "2022-09-01",
        "2023-04-01",
    ]
    assert [str(d.date()) for d in pd.to_datetime(panel.term_end_date)] == [
        "2022-12-31",
        "2023-03-31",
        "2022-12-31",
        "2023-08-31",
    ]
    spring_a = panel.iloc[1]
    assert spring_a.headcount == 100
    assert spring_a.suspension_rate == pytest.approx(4.0)
    assert spring_a.absence_rate == pytest.approx(5.0)
    assert spring_a.persistent_absence_rate == pytest.approx(10.0)
    assert spring_a.headcount_ehcp == 10
    assert spring_a.suspension_rate_ehcp == pytest.approx(20.0)


def test_start_dates_fall_in_their_term_and_never_treated_schools_are_cohort_zero(
    warehouse: Settings,
) -> None:
    cohorts = query(
        warehouse,
        """
        select school_urn, programme, first_treated_academic_year, first_treated_term,
               first_treated_term_index
        from intermediate.int_school_programme_cohorts
        order by school_urn, first_treated_term_index, programme
    """,
    )
    assert cohorts.fillna("never").values.tolist() == [
        [SCHOOL_A, "any_programme", "2022/23", "autumn", 6066],  # the first of them all, pooled
        [SCHOOL_A, "talc", "2022/23", "autumn", 6066],  # 2022-12-31 (the 2023-04-20 restart does not count)
        [SCHOOL_A, "trauma_informed", "2022/23", "spring", 6067],  # 2023-01-01
        [SCHOOL_A, "ap_outreach", "2022/23", "summer", 6068],  # 2023-08-31
        [SCHOOL_A, "restorative_practice", "2023/24", "autumn", 6069],  # 2023-09-01
        [SCHOOL_B, "any_programme", "never", "never", 0],
        [SCHOOL_B, "ap_outreach", "never", "never", 0],
        [SCHOOL_B, "restorative_practice", "never", "never", 0],
        [SCHOOL_B, "talc", "never", "never", 0],
        [SCHOOL_B, "trauma_informed", "never", "never", 0],
    ]


def test_impact_panel_marks_treated_terms(warehouse: Settings) -> None:
    panel = query(
        warehouse,
        """
        select school_urn, programme, term_index, first_treated_term_index, is_treated, relative_term
        from marts.impact_panel
        order by school_urn, programme, term_index
    """,
    )
    assert len(panel) == 2 * 5 * 2  # schools × (programmes + any_programme) × their two terms
    treated = panel[panel.is_treated]
    assert sorted(zip(treated.programme, treated.term_index, strict=True)) == [
        ("any_programme", 6066),
        ("any_programme", 6067),
        ("talc", 6066),
        ("talc", 6067),
        ("trauma_informed", 6067),
    ]
    assert set(treated.school_urn) == {SCHOOL_A}
    never = panel[panel.school_urn == SCHOOL_B]
    assert (never.first_treated_term_index == 0).all() and not never.is_treated.any()
    assert never.relative_term.isna().all()
    trauma = panel[(panel.school_urn == SCHOOL_A) & (panel.programme == "trauma_informed")]
    assert trauma.relative_term.tolist() == [-1, 0]
