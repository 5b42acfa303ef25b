"""Exclusions, suspensions and attendance per school × term × characteristic, with planted effects.

The data-generating process, per school i, term t and SEN group g (ehcp, sen_support, no_sen), is
additive so that parallel trends hold in expectation whatever a school's level:

    expected rate_itg = school level_i (+ group offset) + common term effect_t + programme effect_itg

- suspensions per 100 pupils: level U(2.3, 3.6) primary … U(12, 20) AP; groups +5 (EHCP), +3 (SEN support);
  common effect: seasonality (spring +0.3, summer −0.2) and a rise of 0.04 a term. Counts are Poisson
  around the expectation with a school-term gamma shock of mean 1, sd 0.16 (over-dispersion, same mean).
- permanent exclusions per 100 pupils: level_i × group risk (2.5 EHCP, 2.0 SEN support, 0.8 none) plus
  a small common rise; Poisson.
- absence (% of sessions): level U(4.5, 6.5) primary … U(18, 24) AP; groups +3 / +1.5; seasonality and a
  post-pandemic decline; a school-term shock U(−1.2, 1.2) shared by the groups; sessions missed are
  binomial. Persistent absentees are binomial with probability 2.6 × the absence rate (so their rate
  moves exactly 2.6 × as much).

Planted effects (event time e = terms since the school's cohort began, cohort strength c_g):
- restorative_practice: suspensions −c_g (0.8 + 0.15 min(e, 3)) per 100, twice that for EHCP pupils in
  mainstream schools (growing with time, differing by cohort);
- trauma_informed: absence −c_g (0.8 + 0.15 min(e, 3)) points, 1.5× for EHCP pupils in mainstream;
- ap_outreach: permanent exclusions −c_g (0.4 + 0.08 min(e, 3)) × the school-group's own level;
- talc: nothing (a placebo).

Ethnic groups split the same totals (multinomial with relative risks), so each characteristic group sums
to the `total` row. The true effects are kept per school and term (`Panel.effect`) for the ground truth.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from orchestration.demo.interventions import PROGRAMMES, Assignment
from orchestration.demo.timeline import N_WORLD_TERMS

SEN_GROUPS = ("ehcp", "sen_support", "no_sen")
ETHNIC_GROUPS = ("white", "mixed", "asian", "black", "chinese", "other", "unclassified")
SESSIONS_PER_TERM = np.array([140, 118, 132])
PERSISTENT_FACTOR = 2.6
OUTCOMES = ("suspension_rate", "permanent_exclusion_rate", "absence_rate", "persistent_absence_rate")

# school levels by phase: (suspensions, permanent exclusions, absence) uniform ranges
_LEVELS = {
    "primary": ((2.3, 3.6), (0.01, 0.04), (4.5, 6.5)),
    "secondary": ((5.0, 9.0), (0.25, 0.45), (6.5, 9.5)),
    "all_through": ((4.0, 7.0), (0.12, 0.25), (6.0, 8.0)),
    "special": ((3.0, 6.0), (0.05, 0.15), (8.0, 12.0)),
    "ap": ((12.0, 20.0), (0.3, 0.8), (18.0, 24.0)),
}
# share of pupils with an EHCP, and share with SEN support among the others
_SEN_SHARES = {
    "primary": ((0.015, 0.035), (0.10, 0.16)),
    "secondary": ((0.02, 0.04), (0.10, 0.16)),
    "all_through": ((0.02, 0.04), (0.10, 0.16)),
    "special": ((0.88, 0.97), (0.5, 0.9)),
    "ap": ((0.10, 0.25), (0.5, 0.7)),
}
SUSPENSION_OFFSET = np.array([5.0, 3.0, 0.0])
PEX_RISK = np.array([2.5, 2.0, 0.8])
ABSENCE_OFFSET = np.array([3.0, 1.5, 0.0])
ETHNIC_SHARE = np.array([0.883, 0.051, 0.036, 0.021, 0.004, 0.009, 0.021])
RISK_SUSPENSION = np.array([1.0, 1.5, 0.4, 1.3, 0.2, 0.8, 1.2])
RISK_PEX = np.array([1.0, 1.6, 0.3, 1.5, 0.1, 0.7, 1.2])
RISK_ABSENCE = np.array([1.0, 1.1, 0.8, 0.9, 0.6, 1.0, 1.3])


@dataclass(frozen=True)
class PlantedEffect:
    """One programme's effect on one rate: −c_g × (base + slope × min(e, 3)) from the cohort's term on.

    `ehcp_multiplier` scales it for pupils with an EHCP in mainstream schools (1.0 elsewhere);
    `proportional` effects are that fraction of the school-group's own level instead of a rate.
    """

    programme: str
    outcome: str
    base: float
    slope: float
    ehcp_multiplier: float = 1.0
    proportional: bool = False

    def describe(self) -> str:
        size = f"c_g·({self.base} + {self.slope}·min(e,3))"
        unit = "percentage points" if "absence" in self.outcome else "per 100 pupils"
        if self.proportional:
            text = f"{self.outcome}: −{size} × the school-group's own expected level"
        else:
            text = f"{self.outcome}: −{size} {unit} per term"
        if self.ehcp_multiplier != 1.0:
            text += f", {self.ehcp_multiplier}× for pupils with an EHCP in mainstream schools"
        return text


PLANTED_EFFECTS = (
    PlantedEffect("restorative_practice", "suspension_rate", 0.8, 0.15, ehcp_multiplier=2.0),
    PlantedEffect("trauma_informed", "absence_rate", 0.8, 0.15, ehcp_multiplier=1.5),
    PlantedEffect("ap_outreach", "permanent_exclusion_rate", 0.4, 0.08, proportional=True),
)
"""talc has none: it is the placebo. persistent_absence_rate follows absence (× PERSISTENT_FACTOR)."""


def _common_effects(n_terms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    t = np.arange(n_terms)
    season = t % 3
    suspensions = np.array([0.0, 0.3, -0.2])[season] + 0.04 * t
    pex = np.array([0.0, 0.01, 0.02])[season] + 0.002 * t
    absence = np.array([0.0, 0.8, 0.5])[season] + 1.5 * 0.85**t
    return suspensions, pex, absence


def _path(cohort: np.ndarray, strength: np.ndarray, n_terms: int, base: float, slope: float) -> np.ndarray:
    """(school, term) effect size: strength × (base + slope × min(e, 3)) from the cohort's term on."""
    t = np.arange(n_terms)[None, :]
    e = t - cohort[:, None]
    treated = (cohort[:, None] >= 0) & (e >= 0)
    return np.where(treated, strength[:, None] * (base + slope * np.minimum(e, 3)), 0.0)


def _strength(assignment: Assignment, programme: str) -> np.ndarray:
    cohorts = PROGRAMMES[programme].cohorts
    lookup = dict(zip(cohorts, PROGRAMMES[programme].cohort_strength, strict=True))
    return np.array([lookup.get(int(g), 0.0) for g in assignment.cohort[programme]])


def _respect_caps(counts: np.ndarray, caps: np.ndarray) -> np.ndarray:
    """Move counts above a group's cap (e.g. sessions missed > possible) to the group with most room."""
    counts = counts.copy()
    for _ in range(20):
        excess = np.maximum(counts - caps, 0)
        if not excess.any():
            return counts
        counts -= excess
        moved = excess.sum(axis=-1)
        room = caps - counts
        target = np.argmax(room, axis=-1)
        np.put_along_axis(
            counts,
            target[..., None],
            np.take_along_axis(counts, target[..., None], -1) + moved[..., None],
            axis=-1,
        )
    raise RuntimeError("could not keep group counts within their caps")  # pragma: no cover


@dataclass(frozen=True)
class Panel:
    """The whole outcome panel (school × term × group) and the true effects behind it."""

    urn: np.ndarray
    phase: np.ndarray
    sen: dict[str, np.ndarray]
    """Measure → (school, term, 3) counts for ehcp, sen_support, no_sen."""
    ethnic: dict[str, np.ndarray]
    """Measure → (school, term, 7) counts for the ethnic major groups."""
    effect: dict[tuple[str, str], np.ndarray]
    """(programme, outcome) → (school, term) expected effect on the rate (outcome `_ehcp` for EHCP rows)."""


def simulate_panel(
    rng: np.random.Generator, urn: np.ndarray, phase: np.ndarray, size: np.ndarray, assignment: Assignment
) -> Panel:
    """Draw every school-term of the horizon (see the module docstring for the model)."""
    n_schools, n_terms = len(urn), N_WORLD_TERMS
    t = np.arange(n_terms)

    def level(which: int) -> np.ndarray:
        out = np.empty(n_schools)
        for ph, ranges in _LEVELS.items():
            rows = np.flatnonzero(phase == ph)
            out[rows] = rng.uniform(*ranges[which], size=len(rows))
        return out

    level_s, level_p, level_a = level(0), level(1), level(2)
    share_e, share_ss = np.empty(n_schools), np.empty(n_schools)
    for ph, (ehcp, support) in _SEN_SHARES.items():
        rows = np.flatnonzero(phase == ph)
        share_e[rows] = rng.uniform(*ehcp, size=len(rows))
        share_ss[rows] = rng.uniform(*support, size=len(rows))
    mainstream = np.isin(phase, ["primary", "secondary", "all_through"])

    # headcounts: slow growth, January census a touch higher, a little noise
    season_h = np.array([1.0, 1.005, 0.995])[t % 3]
    headcount = np.rint(
        size[:, None]
        * (1 + 0.005 * t / 3)[None, :]
        * season_h[None, :]
        * rng.normal(1, 0.01, (n_schools, n_terms))
    ).astype(np.int64)
    headcount = np.maximum(headcount, 12)
    h_e = np.maximum(rng.binomial(headcount, share_e[:, None]), 1)
    h_ss = rng.binomial(headcount - h_e, share_ss[:, None])
    h = np.stack([h_e, h_ss, headcount - h_e - h_ss], axis=-1)  # (S, T, 3)
    possible = h * SESSIONS_PER_TERM[t % 3][None, :, None]

    common_s, common_p, common_a = _common_effects(n_terms)
    base_s = level_s[:, None, None] + SUSPENSION_OFFSET[None, None, :] + common_s[None, :, None]
    base_p_level = level_p[:, None, None] * PEX_RISK[None, None, :]
    base_p = base_p_level + common_p[None, :, None]
    base_a = level_a[:, None, None] + ABSENCE_OFFSET[None, None, :] + common_a[None, :, None]

    # planted effects per (programme, rate) and pupil group
    planted_tau: dict[tuple[str, str], np.ndarray] = {}
    for planted in PLANTED_EFFECTS:
        size = _path(
            assignment.cohort[planted.programme],
            _strength(assignment, planted.programme),
            n_terms,
            planted.base,
            planted.slope,
        )[:, :, None]
        multiplier = np.ones((n_schools, 1, 3))
        multiplier[mainstream, 0, 0] = planted.ehcp_multiplier
        level_now = base_p_level if planted.proportional else 1.0
        planted_tau[(planted.programme, planted.outcome)] = -size * multiplier * level_now

    def tau(outcome: str) -> np.ndarray:
        return sum(
            (v for (_, o), v in planted_tau.items() if o == outcome), np.zeros((n_schools, n_terms, 3))
        )

    lam_s = base_s + tau("suspension_rate")
    lam_p = base_p + tau("permanent_exclusion_rate")
    lam_a = base_a + tau("absence_rate")

    shock_a = rng.uniform(-1.2, 1.2, (n_schools, n_terms, 1))
    p_absent = (lam_a + shock_a) / 100
    p_persistent = PERSISTENT_FACTOR * p_absent
    if lam_s.min() <= 0 or lam_p.min() < 0 or p_absent.min() <= 0 or p_persistent.max() >= 1:
        raise RuntimeError(
            "demo outcome model left its valid range; check the level ranges"
        )  # pragma: no cover

    shock_s = rng.gamma(40.0, 1 / 40.0, (n_schools, n_terms, 1))
    suspensions = rng.poisson(h * lam_s / 100 * shock_s)
    exclusions = np.minimum(rng.poisson(h * lam_p / 100), h)
    missed = rng.binomial(possible, p_absent)
    persistent = rng.binomial(h, p_persistent)
    sen = {
        "headcount": h,
        "suspensions": suspensions,
        "permanent_exclusions": exclusions,
        "sessions_possible": possible,
        "sessions_missed": missed,
        "persistent_absentees": persistent,
    }

    # ethnic groups: headcount from the school's mix, events split by relative risk
    mix = rng.dirichlet(ETHNIC_SHARE * 150, size=n_schools)
    total_h = h.sum(-1)
    h_eth = rng.multinomial(total_h, np.broadcast_to(mix[:, None, :], (n_schools, n_terms, 7)))

    def split(total: np.ndarray, weight: np.ndarray) -> np.ndarray:
        p = weight / np.maximum(weight.sum(-1, keepdims=True), 1e-12)
        p = np.where(weight.sum(-1, keepdims=True) > 0, p, 1 / 7)
        return rng.multinomial(total, p)

    possible_eth = h_eth * SESSIONS_PER_TERM[t % 3][None, :, None]
    ethnic = {
        "headcount": h_eth,
        "suspensions": split(suspensions.sum(-1), h_eth * RISK_SUSPENSION),
        "permanent_exclusions": _respect_caps(split(exclusions.sum(-1), h_eth * RISK_PEX), h_eth),
        "sessions_possible": possible_eth,
        "sessions_missed": _respect_caps(split(missed.sum(-1), possible_eth * RISK_ABSENCE), possible_eth),
        "persistent_absentees": _respect_caps(split(persistent.sum(-1), h_eth * RISK_ABSENCE), h_eth),
    }

    # true expected effects on the rates (total rows weight groups by headcount = sessions possible)
    weight = h / h.sum(-1, keepdims=True)
    effect: dict[tuple[str, str], np.ndarray] = {}
    zero = np.zeros((n_schools, n_terms))
    per_group = dict(planted_tau)
    for (programme, outcome), value in planted_tau.items():
        if outcome == "absence_rate":  # persistent absence moves PERSISTENT_FACTOR × as much
            per_group[(programme, "persistent_absence_rate")] = PERSISTENT_FACTOR * value
    for programme in PROGRAMMES:
        for outcome in OUTCOMES:
            by_group = per_group.get((programme, outcome))
            if by_group is None:
                effect[(programme, outcome)] = zero
                effect[(programme, f"{outcome}_ehcp")] = zero
            else:
                effect[(programme, outcome)] = (weight * by_group).sum(-1)
                effect[(programme, f"{outcome}_ehcp")] = np.array(by_group[:, :, 0])
    return Panel(urn=urn, phase=phase, sen=sen, ethnic=ethnic, effect=effect)


MEASURES = (
    "headcount",
    "suspensions",
    "permanent_exclusions",
    "sessions_possible",
    "sessions_missed",
    "persistent_absentees",
)


def term_rows(panel: Panel, term: int, urns: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Long-format rows of one term: per school, the total row, 3 SEN rows and 7 ethnic rows.

    `urns` replaces the schools' URNs (an academy reports under its new URN from its conversion term).
    """
    n = len(panel.urn)
    blocks = []
    for measure in MEASURES:
        sen = panel.sen[measure][:, term, :]
        eth = panel.ethnic[measure][:, term, :]
        blocks.append(np.concatenate([sen.sum(-1, keepdims=True), sen, eth], axis=1).reshape(-1))
    group = np.array(["total"] + ["sen_status"] * 3 + ["ethnicity_major"] * 7, dtype=object)
    characteristic = np.array(["total", *SEN_GROUPS, *ETHNIC_GROUPS], dtype=object)
    out = {
        "school_urn": np.repeat(panel.urn if urns is None else urns, 11),
        "characteristic_group": np.tile(group, n),
        "characteristic": np.tile(characteristic, n),
    }
    out.update(dict(zip(MEASURES, blocks, strict=True)))
    return out
