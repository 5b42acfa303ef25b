"""`demo_ground_truth.json`: the true effects planted in the outcome panel, aggregated as Callaway &
Sant'Anna aggregate, so an estimator run on the demo can be checked against the truth.

ATT(g, t) is computed from the simulation's own expected rates, not re-estimated: for every school and
term the generator knows the expected rate with and without the programme (given the realised
headcounts, which the programmes do not change), and ATT(g, t) is the mean of that difference over the
schools of cohort g.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from orchestration.demo.interventions import PROGRAMMES, Assignment
from orchestration.demo.outcomes import OUTCOMES, PERSISTENT_FACTOR, PLANTED_EFFECTS, Panel
from orchestration.demo.timeline import academic_year_label, term_name, term_year

DEFINITIONS = {
    "panel": (
        "School × term panel of the state-funded schools in school_outcomes (every school present in every "
        "term). Terms per the contract: autumn = September–December, spring = January–March, summer = "
        "April–August. A school is treated by a programme from the term its interventions.start_date falls "
        "in (its cohort g) onwards; schools never listed for the programme, or whose cohort term is after "
        "the last term in the panel, are untreated throughout the panel."
    ),
    "outcomes": (
        "Per 100 pupils per term, from the `total` rows: suspension_rate = suspensions / headcount × 100; "
        "permanent_exclusion_rate = permanent_exclusions / headcount × 100; absence_rate = sessions_missed "
        "/ sessions_possible × 100; persistent_absence_rate = persistent_absentees / headcount × 100. The "
        "`_ehcp` outcomes are the same rates from the `ehcp` rows."
    ),
    "att_gt": (
        "ATT(g,t) = mean over the schools of cohort g of (expected outcome in term t with the programme − "
        "expected outcome without it). Expectations are over the random draws of the counts given the "
        "realised headcounts and sessions possible (which no programme changes). 0 for t < g."
    ),
    "n_schools": "n_g = number of panel schools in cohort g (the weights below).",
    "simple": (
        "Σ_g Σ_{t ≥ g} n_g·ATT(g,t) / Σ_g Σ_{t ≥ g} n_g over the post-treatment cells in the panel "
        "(Callaway & Sant'Anna 'simple' aggregation: cells weighted by cohort size)."
    ),
    "dynamic": (
        "θ(e) = Σ_g n_g·ATT(g,g+e) / Σ_g n_g over cohorts observed at event time e (g+e within the panel); "
        "overall = unweighted mean of θ(e) over e ≥ 0."
    ),
    "group": "θ(g) = mean of ATT(g,t) over t ≥ g in the panel; overall = Σ_g n_g·θ(g) / Σ_g n_g.",
    "calendar": (
        "θ(t) = Σ_{g ≤ t} n_g·ATT(g,t) / Σ_{g ≤ t} n_g for terms with a treated cohort; overall = unweighted "
        "mean of θ(t)."
    ),
}


def _planted(programme: str) -> str:
    """Words for what was planted for a programme (from the same parameters the simulation used)."""
    effects = [p for p in PLANTED_EFFECTS if p.programme == programme]
    if not effects:
        return "no effect on anything (placebo)"
    parts = [p.describe() for p in effects]
    if any(p.outcome == "absence_rate" for p in effects):
        parts.append(f"persistent_absence_rate moves {PERSISTENT_FACTOR}× as much as absence_rate")
    strengths = ", ".join(str(c) for c in PROGRAMMES[programme].cohort_strength)
    phases = PROGRAMMES[programme].phases
    return (
        "; ".join(parts) + f"; c_g by cohort = {strengths}; eligible phases: {', '.join(phases or ['all'])}"
    )


def _term_label(term: int) -> dict[str, Any]:
    return {
        "term_index": term,
        "academic_year": academic_year_label(term_year(term)),
        "term": term_name(term),
    }


def _r(value: float) -> float:
    return round(float(value), 10)


def _aggregate(att: dict[tuple[int, int], float], n_g: dict[int, int], last_term: int) -> dict[str, Any]:
    groups = sorted(n_g)
    post = [(g, t) for g in groups for t in range(g, last_term + 1)]
    if not post:
        return {
            "simple": None,
            "dynamic": {"overall": None, "by_event_time": {}},
            "group": {"overall": None, "by_cohort": {}},
            "calendar": {"overall": None, "by_term": {}},
        }
    simple = sum(n_g[g] * att[(g, t)] for g, t in post) / sum(n_g[g] for g, _ in post)
    by_e: dict[int, float] = {}
    for e in range(-last_term, last_term + 1):
        cells = [g for g in groups if 0 <= g + e <= last_term]
        if cells:
            by_e[e] = sum(n_g[g] * att[(g, g + e)] for g in cells) / sum(n_g[g] for g in cells)
    post_e = [v for e, v in by_e.items() if e >= 0]
    by_g = {g: float(np.mean([att[(g, t)] for t in range(g, last_term + 1)])) for g in groups}
    by_t = {}
    for t in range(min(groups), last_term + 1):
        cells = [g for g in groups if g <= t]
        by_t[t] = sum(n_g[g] * att[(g, t)] for g in cells) / sum(n_g[g] for g in cells)
    return {
        "simple": _r(simple),
        "dynamic": {
            "overall": _r(np.mean(post_e)),
            "by_event_time": {str(e): _r(v) for e, v in by_e.items()},
        },
        "group": {
            "overall": _r(sum(n_g[g] * by_g[g] for g in groups) / sum(n_g.values())),
            "by_cohort": {str(g): _r(v) for g, v in by_g.items()},
        },
        "calendar": {
            "overall": _r(np.mean(list(by_t.values()))),
            "by_term": {str(t): _r(v) for t, v in by_t.items()},
        },
    }


def ground_truth(
    panel: Panel, assignment: Assignment, terms: list[int], extra: dict[str, Any]
) -> dict[str, Any]:
    """The JSON document: definitions, the panel's terms, and per programme × outcome the truth."""
    last_term = max(terms) if terms else -1
    outcomes = [*OUTCOMES, *(f"{o}_ehcp" for o in OUTCOMES)]
    programmes: dict[str, Any] = {}
    for name, programme in PROGRAMMES.items():
        cohort = assignment.cohort[name]
        in_panel = (cohort >= 0) & (cohort <= last_term)
        n_g = {int(g): int((cohort == g).sum()) for g in sorted(set(cohort[in_panel].tolist()))}
        strength = dict(zip(programme.cohorts, programme.cohort_strength, strict=True))
        entry: dict[str, Any] = {
            "cohorts": [
                {**_term_label(g), "n_schools": n, "cohort_strength": strength[g]} for g, n in n_g.items()
            ],
            "n_treated_schools": int(in_panel.sum()),
            "n_untreated_schools": int((~in_panel).sum()),
            "planted": _planted(name),
            "effects": {},
        }
        for outcome in outcomes:
            effect = panel.effect[(name, outcome)]
            att = {(g, t): float(effect[cohort == g, t].mean()) for g in n_g for t in terms}
            cells = [
                {"cohort": g, "term": t, "event_time": t - g, "att": _r(att[(g, t)])}
                for g in n_g
                for t in terms
            ]
            entry["effects"][outcome] = {"att_gt": cells, **_aggregate(att, n_g, last_term)}
        programmes[name] = entry
    return {
        "description": (
            "Ground truth of the demo data: the effects planted in school_outcomes by the programmes in "
            "interventions.csv. Cohorts and terms are term indexes (0 = autumn 2021/22); labels below."
        ),
        "definitions": DEFINITIONS,
        "panel": {
            "n_schools": len(panel.urn),
            "terms": [_term_label(t) for t in terms],
        },
        "programmes": programmes,
        **extra,
    }
