"""A school that converts to an academy gets a new URN; it must stay one school in the impact panel.

Real landing files, real ingest, real dbt. Northvale Primary (100001) became Northvale Academy (140001) on
1 September 2023: `schools.csv` lists both, the academy with `predecessor_urn` 100001. Its outcomes for
autumn 2022 to summer 2023 were reported under 100001 and for autumn 2023 and spring 2024 under 140001.
It started TALC in spring 2023 as 100001 and restorative practice in spring 2024 as 140001. Southmere
Primary (100002) never converted and ran nothing.

Without the link the school would be two short series — neither in every term, so both dropped from the
balanced panel as attrition — and TALC would be recorded against a URN with no outcomes after conversion.
"""

from __future__ import annotations

import pandas as pd
import pytest

from analyses.outcomes import OUTCOMES
from analyses.study_sample import design_schools, study_sample
from orchestration.impact_tables import read_impact_panel
from orchestration.settings import Settings
from tests.support.landing import write_landing_csv, write_minimal_reference_files
from tests.support.pipeline import load_and_build, query

OLD_URN, ACADEMY_URN, NEIGHBOUR_URN = "100001", "140001", "100002"
TERMS = [  # (reporting URN of the converting school, academic year, term, term_index)
    (OLD_URN, "2022/23", "autumn", 6066),
    (OLD_URN, "2022/23", "spring", 6067),
    (OLD_URN, "2022/23", "summer", 6068),
    (ACADEMY_URN, "2023/24", "autumn", 6069),
    (ACADEMY_URN, "2023/24", "spring", 6070),
]


def _total_row(urn: str, year: str, term: str, suspensions: int) -> dict[str, object]:
    return {
        "school_urn": urn,
        "academic_year": year,
        "term": term,
        "characteristic_group": "total",
        "characteristic": "total",
        "headcount": 200,
        "suspensions": suspensions,
        "permanent_exclusions": 0,
        "sessions_possible": 20_000,
        "sessions_missed": 1_000,
        "persistent_absentees": 20,
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    root = tmp_path_factory.mktemp("conversion")
    landing = root / "landing"
    write_minimal_reference_files(landing)
    school = {"phase": "primary", "locality": "Northvale"}
    write_landing_csv(
        landing,
        "schools",
        [
            {"school_urn": OLD_URN, "school_name": "Northvale Primary", "governance": "maintained", **school}
            | {"opened_on": "1990-09-01", "closed_on": "2023-08-31"},
            {"school_urn": ACADEMY_URN, "school_name": "Northvale Academy", "governance": "academy", **school}
            | {"opened_on": "2023-09-01", "predecessor_urn": OLD_URN},
            {
                "school_urn": NEIGHBOUR_URN,
                "school_name": "Southmere Primary",
                "governance": "maintained",
                **school,
            },
        ],
    )
    write_landing_csv(
        landing,
        "interventions",
        [
            {"school_urn": OLD_URN, "programme": "talc", "start_date": "2023-01-10", "cost_gbp": "4000.00"},
            {
                "school_urn": ACADEMY_URN,
                "programme": "restorative_practice",
                "start_date": "2024-01-08",
                "cost_gbp": "9000.00",
            },
        ],
    )
    for urn, year, term, index in TERMS:
        rows = [_total_row(urn, year, term, 10 + index % 3), _total_row(NEIGHBOUR_URN, year, term, 8)]
        month = {"autumn": "01", "spring": "04", "summer": "09"}[term]
        write_landing_csv(landing, "school_outcomes", rows, month=f"{int(year[:4]) + 1}-{month}")
    return load_and_build(landing, root / "home", select="+impact_panel")


def test_the_converted_academy_is_one_series_under_its_current_urn(warehouse: Settings) -> None:
    panel = query(
        warehouse,
        "select school_urn, reported_urn, term_index, phase from marts.impact_panel "
        "where programme = 'talc' order by school_urn, term_index",
    )
    academy = panel[panel["school_urn"] == ACADEMY_URN]
    assert academy["term_index"].tolist() == [6066, 6067, 6068, 6069, 6070]
    assert academy["reported_urn"].tolist() == [OLD_URN] * 3 + [ACADEMY_URN] * 2
    assert OLD_URN not in set(panel["school_urn"])
    assert set(panel["school_urn"]) == {ACADEMY_URN, NEIGHBOUR_URN}


def test_programmes_started_under_either_urn_count_for_the_school(warehouse: Settings) -> None:
    cohorts = query(
        warehouse,
        "select programme, first_treated_term_index, first_other_programme_term_index, programme_cost_gbp "
        "from intermediate.int_school_programme_cohorts where school_urn = ? order by programme",
        [ACADEMY_URN],
    ).set_index("programme")
    assert cohorts.loc["talc", "first_treated_term_index"] == 6067  # spring 2023, as 100001
    assert cohorts.loc["restorative_practice", "first_treated_term_index"] == 6070  # spring 2024, as 140001
    assert cohorts.loc["talc", "first_other_programme_term_index"] == 6070
    assert cohorts.loc["restorative_practice", "first_other_programme_term_index"] == 6067
    assert cohorts.loc["any_programme", "first_treated_term_index"] == 6067
    assert float(cohorts.loc["any_programme", "programme_cost_gbp"]) == pytest.approx(13_000.00)


def test_a_converted_academy_is_not_attrition_in_the_estimation_sample(warehouse: Settings) -> None:
    panel = read_impact_panel(warehouse.warehouse)
    rows = panel[panel["programme"] == "any_programme"]  # per programme, it ran two: left out of both
    design = design_schools(rows, ["suspension_rate"])
    sample = study_sample(rows, design, OUTCOMES["suspension_rate"])
    assert sample.attrition.n_dropped == 0
    assert sample.schools.loc[ACADEMY_URN, "cohort"] == 6067  # TALC, its first programme
    # its baseline is the autumn 2022 term reported under the old URN: 10 + 6066 % 3 = 10 per 200 pupils
    assert sample.schools.loc[ACADEMY_URN, "baseline"] == pytest.approx(5.0)
    assert isinstance(sample.data, pd.DataFrame) and sample.data["school_urn"].nunique() == 2
