"""The outcome catalogue: every outcome the impact evaluation estimates, in one place.

Each entry says what the panel column measures and how a sentence, a table or a chart axis names it, so
the estimates, their sentences and the pack all use the same words and units. Import-light on purpose (no
numpy, pandas or statsmodels): ``analyses.outcomes.OUTCOMES["absence_rate"].unit`` is cheap anywhere.

Units follow `int_school_term_panel`: suspensions and permanent exclusions are events per 100 pupils on
roll in the term; absence is sessions missed per 100 possible sessions (a percentage of sessions, so a
change is in percentage points); persistent absence is persistent absentees per 100 pupils (a percentage
of pupils).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Direction = Literal["lower_is_better", "higher_is_better"]


@dataclass(frozen=True)
class Outcome:
    """One outcome: its panel column, its words, its unit, and the counts behind it (if any)."""

    name: str
    label: str
    """Names the measure in a sentence: "the suspension rate"."""
    unit: str
    """The unit of a level, for tables and chart axes: "suspensions per 100 pupils per term"."""
    change_unit: str
    """The unit of a difference: the same for rates per 100, "percentage points" for percentages."""
    change_words: str
    """What a difference counts, after "fewer"/"more": "suspensions per 100 pupils per term",
    "percentage points of sessions missed"."""
    direction: Direction
    population: str
    """Whose outcome it is: "all pupils" or "pupils with an EHCP"."""
    count: str | None = None
    """Panel column of the events behind a rate per 100 pupils (None for percentages of sessions)."""
    exposure: str | None = None
    """Panel column of the pupils the events are counted among."""
    events: str | None = None
    """The events in words, plural: "suspensions" (None when the outcome is not a count of events)."""

    @property
    def is_ehcp(self) -> bool:
        return self.name.endswith("_ehcp")


def _catalogue() -> dict[str, Outcome]:
    entries = []
    for suffix, pupils, population in (
        ("", "pupils", "all pupils"),
        ("_ehcp", "pupils with an EHCP", "pupils with an EHCP"),
    ):
        among = "" if not suffix else " among pupils with an EHCP"
        by = "" if not suffix else " by pupils with an EHCP"
        for name, label, events in (
            ("suspension_rate", "suspension rate", "suspensions"),
            ("permanent_exclusion_rate", "permanent exclusion rate", "permanent exclusions"),
        ):
            unit = f"{events} per 100 {pupils} per term"
            entries.append(
                Outcome(
                    name=f"{name}{suffix}",
                    label=f"the {label}{among}",
                    unit=unit,
                    change_unit=unit,
                    change_words=unit,
                    direction="lower_is_better",
                    population=population,
                    count=f"{events.replace(' ', '_')}{suffix}",
                    exposure=f"headcount{suffix}",
                    events=events,
                )
            )
        entries += [
            Outcome(
                name=f"absence_rate{suffix}",
                label=f"the absence rate{among}",
                unit=f"% of sessions missed{by}",
                change_unit="percentage points",
                change_words=f"percentage points of sessions missed{by}",
                direction="lower_is_better",
                population=population,
            ),
            Outcome(
                name=f"persistent_absence_rate{suffix}",
                label=f"the persistent absence rate{among}",
                unit=f"% of {pupils} persistently absent in the term",
                change_unit="percentage points",
                change_words=f"percentage points of {pupils} persistently absent",
                direction="lower_is_better",
                population=population,
            ),
        ]
    return {outcome.name: outcome for outcome in entries}


OUTCOMES: dict[str, Outcome] = _catalogue()
"""Every outcome, all pupils first, then pupils with an EHCP, in the contract's order."""
OUTCOME_NAMES: tuple[str, ...] = tuple(OUTCOMES)
