"""The pre-specified evaluation plan (`config/evaluation.yaml`), validated by pydantic.

Pre-specification is what makes a primary outcome primary: the file names it before the results exist,
and the plan refuses an outcome name the catalogue (``analyses.outcomes``) does not know, so a typo cannot
silently turn every outcome secondary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from analyses.outcomes import OUTCOMES

POOLED_PROGRAMME = "any_programme"
"""The pseudo-programme `marts.impact_panel` adds: every programme pooled, treated from the first."""


class ProgrammePlan(BaseModel):
    """How a programme is named in sentences, and the one outcome it is judged on."""

    model_config = ConfigDict(extra="forbid")

    label: str
    primary_outcome: str | None = None

    @field_validator("primary_outcome")
    @classmethod
    def _known_outcome(cls, name: str | None) -> str | None:
        if name is not None and name not in OUTCOMES:
            raise ValueError(f"unknown outcome {name!r}; known: {', '.join(OUTCOMES)}")
        return name


class InferencePlan(BaseModel):
    """When and how the wild cluster bootstrap replaces analytic standard errors."""

    model_config = ConfigDict(extra="forbid")

    bootstrap_below_treated_schools: int = Field(default=30, ge=0)
    bootstrap_draws: int = Field(default=999, ge=99)
    bootstrap_weights: Literal["rademacher", "webb"] = "rademacher"
    seed: int = 20261127


class SecurityPlan(BaseModel):
    """Thresholds of the security rating's design checks (docs/impact-evaluation.md)."""

    model_config = ConfigDict(extra="forbid")

    max_standardised_difference: float = Field(default=0.25, gt=0)
    max_attrition_pct: float = Field(default=10.0, ge=0, le=100)
    max_differential_attrition_pct: float = Field(default=5.0, ge=0, le=100)
    min_treated_schools: int = Field(default=30, ge=1)
    min_breakdown_mbar_to_headline: float = Field(default=1.0, ge=0)


class EvaluationPlan(BaseModel):
    """The whole plan; every key has a default, so an empty file means "all outcomes secondary"."""

    model_config = ConfigDict(extra="forbid")

    programmes: dict[str, ProgrammePlan] = Field(default_factory=dict)
    inference: InferencePlan = Field(default_factory=InferencePlan)
    security: SecurityPlan = Field(default_factory=SecurityPlan)

    def label(self, programme: str) -> str:
        """The programme as a sentence names it; unlisted codes lose their underscores."""
        plan = self.programmes.get(programme)
        return plan.label if plan else programme.replace("_", " ")

    def primary_outcome(self, programme: str) -> str | None:
        plan = self.programmes.get(programme)
        return plan.primary_outcome if plan else None


def read_plan(path: Path) -> EvaluationPlan:
    """The plan in ``path``; a clear error naming the file and the key at fault."""
    try:
        raw = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except FileNotFoundError as error:
        raise FileNotFoundError(f"evaluation plan not found: {path}") from error
    except yaml.YAMLError as error:
        raise ValueError(f"{path}: not valid YAML: {error}") from error
    try:
        return EvaluationPlan.model_validate(raw)
    except ValidationError as error:
        problems = "; ".join(
            f"{'.'.join(str(part) for part in e['loc'])}: {e['msg']}" for e in error.errors()
        )
        raise ValueError(f"{path}: {problems}") from error
