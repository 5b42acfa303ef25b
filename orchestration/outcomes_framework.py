"""The strategy's common outcomes framework (`config/outcomes_framework.yaml`), validated by pydantic.

One catalogue feeds three places, so an indicator is defined once: the quality gate checks supplied
`outcome_indicators` rows against it (known id, value within the unit's range, period of the right kind),
dbt reads it through the Python model `stg_config__outcomes_framework` to build `marts.outcomes_tracker`,
and the pack names indicators and units from it. Where an indicator is an outcome the impact evaluation
also estimates (`impact_outcome`), its name and unit words come from `analyses.outcomes`, never from a
second definition here. Import-light on purpose (pydantic and yaml only): the gate and dbt load it.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from analyses.outcomes import OUTCOMES
from orchestration.settings import OUTCOMES_CATALOGUE_FILE

CATALOGUE_FILE = OUTCOMES_CATALOGUE_FILE

Unit = Literal["percent", "rate_per_100", "ratio", "count", "gbp", "days"]
PeriodType = Literal["academic_year", "financial_year", "month"]

UNIT_RANGES: dict[str, tuple[float, float | None]] = {
    "percent": (0.0, 100.0),
    "rate_per_100": (0.0, None),
    "ratio": (0.0, None),
    "count": (0.0, None),
    "gbp": (0.0, None),
    "days": (0.0, None),
}
"""The values a unit can take: a percentage lies in 0–100; counts, rates, ratios, money and days are ≥ 0."""
UNIT_WORDS: dict[str, str] = {
    "percent": "%",
    "rate_per_100": "per 100 pupils",
    "ratio": "times the rate of other pupils",
    "count": "number",
    "gbp": "£",
    "days": "days",
}
PERIOD_PATTERNS: dict[str, re.Pattern[str]] = {
    "academic_year": re.compile(r"^(\d{4})/(\d{2})$"),
    "financial_year": re.compile(r"^(\d{4})-(\d{2})$"),
    "month": re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$"),
}
PERIOD_EXAMPLES = {"academic_year": "2025/26", "financial_year": "2025-26", "month": "2025-10"}


class CatalogueError(ValueError):
    """A catalogue that cannot be used: the message names the file, the key and what to do."""


def period_start(period: str, period_type: str) -> float:
    """The period as a number of years, for straight lines between periods (`2024/25` → 2024.0).

    A month is its year plus elapsed twelfths, so a monthly trajectory moves a twelfth of a year a month.
    """
    match = PERIOD_PATTERNS[period_type].match(period)
    if match is None:
        raise ValueError(
            f"{period!r} is not a {period_type.replace('_', ' ')} like {PERIOD_EXAMPLES[period_type]}"
        )
    year, second = int(match[1]), int(match[2])
    if period_type == "month":
        return year + (second - 1) / 12
    if (year + 1) % 100 != second:
        raise ValueError(f"{period!r}: the second year must follow the first ({year}/{(year + 1) % 100:02d})")
    return float(year)


class RagRule(BaseModel):
    """How a period's value is rated against the straight line from baseline to target."""

    model_config = ConfigDict(extra="forbid")

    behind_within: float = Field(
        ge=0,
        description="worse than the trajectory by at most this much (in the unit): behind, not off track",
    )
    min_denominator: float = Field(
        default=0, ge=0, description="a period whose denominator is below this is rated insufficient_data"
    )


class Indicator(BaseModel):
    """One indicator of the framework: what it measures, where its values come from, and its target."""

    model_config = ConfigDict(extra="forbid")

    priority: int = Field(ge=1, le=9)
    name: str | None = None
    definition: str
    source: Literal["derived", "supplied"]
    unit: Unit
    direction: Literal["higher_is_better", "lower_is_better"]
    period_type: PeriodType
    baseline_year: str
    baseline_value: float | None = Field(
        default=None, description="only when the platform holds no value for the baseline year"
    )
    target: float
    target_year: str
    rag: RagRule
    impact_outcome: str | None = Field(
        default=None, description="the same outcome in the impact evaluation: its name and unit are used"
    )
    comparator: Literal["england", "statistical_neighbours"] | None = None

    @field_validator("impact_outcome")
    @classmethod
    def _known_outcome(cls, name: str | None) -> str | None:
        if name is not None and name not in OUTCOMES:
            raise ValueError(f"unknown impact outcome {name!r}; known: {', '.join(OUTCOMES)}")
        return name

    @model_validator(mode="after")
    def _consistent(self) -> Indicator:
        if self.name is None and self.impact_outcome is None:
            raise ValueError("give a name, or an impact_outcome whose name is used")
        for key in ("baseline_year", "target_year"):
            period_start(getattr(self, key), self.period_type)
        if period_start(self.target_year, self.period_type) <= period_start(
            self.baseline_year, self.period_type
        ):
            raise ValueError(
                f"target_year {self.target_year} must come after baseline_year {self.baseline_year}"
            )
        low, high = UNIT_RANGES[self.unit]
        for key in ("target", "baseline_value"):
            value = getattr(self, key)
            if value is not None and (value < low or (high is not None and value > high)):
                raise ValueError(
                    f"{key} {value} is outside the range of a {self.unit} ({low:g} to {high or '∞'})"
                )
        return self

    @property
    def label(self) -> str:
        """The indicator as a table names it: the impact outcome's words where it is one."""
        if self.impact_outcome is not None:
            words = OUTCOMES[self.impact_outcome].label.removeprefix("the ")
            return words[0].upper() + words[1:]
        return str(self.name)

    @property
    def unit_words(self) -> str:
        """The unit in words: the impact outcome's unit where it is one."""
        if self.impact_outcome is not None:
            return OUTCOMES[self.impact_outcome].unit
        return UNIT_WORDS[self.unit]


class OutcomesFramework(BaseModel):
    """The nine priorities in our words, and the indicators that measure each."""

    model_config = ConfigDict(extra="forbid")

    priorities: dict[int, str]
    indicators: dict[str, Indicator]

    @field_validator("priorities")
    @classmethod
    def _nine_priorities(cls, priorities: dict[int, str]) -> dict[int, str]:
        if sorted(priorities) != list(range(1, 10)):
            raise ValueError(f"name priorities 1 to 9, each once; found {sorted(priorities)}")
        return priorities

    @field_validator("indicators")
    @classmethod
    def _ids_are_codes(cls, indicators: dict[str, Indicator]) -> dict[str, Indicator]:
        for indicator_id in indicators:
            if not re.fullmatch(r"[a-z][a-z0-9_]*", indicator_id):
                raise ValueError(f"indicator id {indicator_id!r}: use lower-case letters, digits and _")
        return indicators

    def rows(self) -> list[dict[str, object]]:
        """One flat row per indicator, as dbt and the pack read the catalogue."""
        rows = []
        for indicator_id, item in self.indicators.items():
            low, high = UNIT_RANGES[item.unit]
            rows.append(
                {
                    "indicator_id": indicator_id,
                    "priority": item.priority,
                    "priority_name": self.priorities[item.priority],
                    "indicator_name": item.label,
                    "definition": " ".join(item.definition.split()),
                    "source": item.source,
                    "unit": item.unit,
                    "unit_words": item.unit_words,
                    "direction": item.direction,
                    "period_type": item.period_type,
                    "baseline_year": item.baseline_year,
                    "baseline_start": period_start(item.baseline_year, item.period_type),
                    "baseline_value": item.baseline_value,
                    "target": item.target,
                    "target_year": item.target_year,
                    "target_start": period_start(item.target_year, item.period_type),
                    "behind_within": item.rag.behind_within,
                    "min_denominator": item.rag.min_denominator,
                    "comparator": item.comparator,
                    "value_min": low,
                    "value_max": high,
                }
            )
        return rows


def read_catalogue(path: Path = CATALOGUE_FILE) -> OutcomesFramework:
    """The catalogue in `path`; one `CatalogueError` naming the file, each key at fault and what to do."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise CatalogueError(f"{path}: the outcomes framework catalogue does not exist") from None
    except yaml.YAMLError as error:
        raise CatalogueError(f"{path}: not valid YAML: {error}") from None
    try:
        return OutcomesFramework.model_validate(document)
    except ValidationError as error:
        lines = []
        for item in error.errors():
            key = ".".join(str(part) for part in item["loc"]) or "(top level)"
            message = str(item["msg"]).removeprefix("Value error, ")
            if item["type"] == "extra_forbidden":
                message = f"unknown key{_suggest(str(item['loc'][-1]), Indicator.model_fields)}"
            lines.append(f"{path}: {key}: {message}")
        raise CatalogueError("\n".join(lines)) from None


def _suggest(value: str, choices: Iterable[str]) -> str:
    near = difflib.get_close_matches(value, list(choices), n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


@cache
def shipped_catalogue() -> OutcomesFramework:
    """The catalogue this installation runs with (read once per process)."""
    return read_catalogue(CATALOGUE_FILE)
