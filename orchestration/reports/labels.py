"""The one table of names the public pack uses for codes: in charts, tables and sentences alike.

Where a dbt seed already names a code (s251 lines, provision types, needs, end reasons) the name is read
from the seed, so the warehouse and the pack cannot disagree; the other names (programmes, benchmark
measures, pupil characteristics, estimators, outcomes) live here. A code with no name falls back to its
words (`new_code` → `new code`), so a new code reads plainly until it is named.

Impact outcomes are named and given their units by the outcome catalogue (`analyses.outcomes`), the
same words the estimates are made with; `outcome_name`, `outcome_unit` and `outcome_change_words` only
read it.
"""

from __future__ import annotations

import csv
from functools import cache

import pandas as pd

from analyses.outcomes import OUTCOMES
from orchestration.settings import DBT_PROJECT_DIR

PROGRAMMES = {
    "restorative_practice": "restorative practice",
    "trauma_informed": "trauma-informed practice",
    "talc": "TALC",
    "ap_outreach": "AP outreach",
    "any_programme": "any programme (pooled)",
}

BENCHMARK_MEASURES = {
    "dsg_cumulative_balance_pct_of_dsg": "DSG cumulative balance as % of DSG (negative = deficit)",
    "ehc_requests": "Requests for an EHC needs assessment",
    "ehc_new_plans": "New EHC plans issued",
    "hn_budget_per_head_gbp": "High Needs budget per head aged 2 to 18",
    "cin_with_ehc_plan_pct": "Children in need with an EHC plan (%)",
}

COMPARATORS = {
    "la": "This LA",
    "statistical_neighbours": "Statistical neighbours (mean)",
    "region": "Region",
    "england": "England",
}

CHARACTERISTICS = {
    "total": "All pupils",
    "ehcp": "EHC plan",
    "sen_support": "SEN support",
    "no_sen": "No SEN",
    "white": "White",
    "mixed": "Mixed",
    "asian": "Asian",
    "black": "Black",
    "chinese": "Chinese",
    "other": "Any other ethnic group",
    "unclassified": "Unclassified (not obtained or refused)",
}

CHARACTERISTIC_GROUPS = {"sen_status": "SEN status", "ethnicity_major": "ethnic group", "total": "all pupils"}

ESTIMATORS = {
    "callaway_santanna": "Callaway & Sant'Anna",
    "twfe": "Two-way fixed effects",
    "poisson_twfe": "Poisson fixed effects",
}

SCENARIOS = {
    "unmitigated": "unmitigated",
    "deficit_plan_actions": "with deficit plan actions",
    "mitigated": "mitigated (workstream targets)",
}

RAG_RATINGS = {"green": "Green", "amber": "Amber", "red": "Red", "grey": "Grey"}

RAG_BASES = {
    "delivered_share": "rated on the share of the target delivered",
    "not_reported": "the year has ended and no delivered saving is reported",
    "year_not_ended": "not yet due: the year has not ended",
    "no_target": "no saving was due in the year",
}

NOT_A_PLACEMENT = "not a placement (services, targeted funding)"


def words(code: object) -> str:
    """`new_code` → `new code`: a code with no name yet, readable without a glossary."""
    return str(code).replace("_", " ")


def sentence_start(text: str) -> str:
    """The text with its first letter capitalised, for a name that opens a sentence or a chart title."""
    return text[:1].upper() + text[1:]


@cache
def _seed(name: str, key: str, label: str) -> dict[str, str]:
    path = DBT_PROJECT_DIR / "seeds" / f"{name}.csv"
    with path.open(encoding="utf-8", newline="") as handle:
        return {row[key]: row[label] for row in csv.DictReader(handle) if row.get(key)}


def _is_blank(code: object) -> bool:
    return code is None or (not isinstance(code, str) and bool(pd.isna(code)))


def s251_name(line: object) -> str:
    """The s251 line's name (seed); a pooled line as published (`1.2.1+1.2.2`) names each of its lines."""
    names = _seed("s251_lines", "s251_line", "s251_name")
    parts = str(line).split("+")
    return " and ".join(names.get(part, part) for part in parts)


def provision_name(code: object) -> str:
    """`special_independent` → `independent special school` (seed); blank → not a placement."""
    if _is_blank(code):
        return NOT_A_PLACEMENT
    return _seed("provision_types", "provision_type", "provision_name").get(str(code), words(code))


def need_name(code: object) -> str:
    """`SEMH` → `SEMH (social, emotional and mental health)` (seed)."""
    name = _seed("sen_need_codes", "primary_need", "need_name").get(str(code))
    return f"{code} ({name})" if name else str(code)


def end_reason_name(code: object) -> str:
    """`returned_to_mainstream` → `returned to mainstream` (seed)."""
    return _seed("end_reasons", "end_reason", "end_reason_name").get(str(code), words(code))


def programme_name(code: object) -> str:
    """`ap_outreach` → `AP outreach`."""
    return PROGRAMMES.get(str(code), words(code))


def measure_name(code: object) -> str:
    """`hn_budget_per_head_gbp` → `High Needs budget per head aged 2 to 18`."""
    return BENCHMARK_MEASURES.get(str(code), sentence_start(words(code)))


def comparator_name(code: object) -> str:
    return COMPARATORS.get(str(code), sentence_start(words(code)))


def characteristic_name(code: object) -> str:
    """`sen_support` → `SEN support`; `other` → `Any other ethnic group`."""
    return CHARACTERISTICS.get(str(code), sentence_start(words(code)))


def characteristic_group_name(code: object) -> str:
    return CHARACTERISTIC_GROUPS.get(str(code), words(code))


def estimator_name(code: object) -> str:
    return ESTIMATORS.get(str(code), sentence_start(words(code)))


def scenario_name(code: object) -> str:
    return SCENARIOS.get(str(code), words(code))


def rag_name(rating: object) -> str:
    """`amber` → `Amber`: a workstream's rating in words, so no table relies on colour."""
    return RAG_RATINGS.get(str(rating), sentence_start(words(rating)))


def rag_basis_name(basis: object) -> str:
    """Why a workstream has its rating: `year_not_ended` → `not yet due: the year has not ended`."""
    return RAG_BASES.get(str(basis), words(basis))


def outcome_name(outcome: object) -> str:
    """`suspension_rate_ehcp` → `suspension rate among pupils with an EHCP` (the outcome catalogue's)."""
    found = OUTCOMES.get(str(outcome))
    return found.label.removeprefix("the ") if found else words(outcome)


def outcome_unit(outcome: object) -> str:
    """The unit an outcome's level is measured in: `suspensions per 100 pupils per term`.

    Read from the outcome catalogue (`analyses.outcomes`), the one definition the estimates share.
    """
    found = OUTCOMES.get(str(outcome))
    return found.unit if found else f"{words(outcome)} per 100 pupils"


def outcome_change_words(outcome: object) -> str:
    """What a difference in the outcome counts, after `fewer`/`more`: `percentage points of sessions
    missed` (the outcome catalogue's)."""
    found = OUTCOMES.get(str(outcome))
    return found.change_words if found else outcome_unit(outcome)


OUTCOME_STATUSES = {
    "on_track": "✔ On track",
    "behind": "▲ Behind",
    "off_track": "✖ Off track",
    "insufficient_data": "… Not enough data",
}
"""An outcomes indicator's rating as a symbol and words, so the dashboard never relies on colour."""


def outcome_status_name(rag: object) -> str:
    """`off_track` → `✖ Off track`."""
    return OUTCOME_STATUSES.get(str(rag), sentence_start(words(rag)))
