"""The finance officer's assumptions for the multi-year projection (`config/projection.yaml`), validated.

pydantic models do the checking; `parse_assumptions` turns pydantic's first error into one line that starts
with the key at fault as the officer wrote it (`scenarios[1].shift.to: …`), so a typo is found at once.
Percentages are written as percent (3.0 = 3 %) because that is how a finance officer says them; the models
hold fractions.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictInt,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

UNMITIGATED = "unmitigated"
MITIGATED = "mitigated"
"""The scenario built from the mitigations file's workstream targets (it replaces the configured ones)."""
ALL_TYPES = "all"
MIN_HISTORY_MONTHS = 12
_FINANCIAL_YEAR = re.compile(r"^(\d{4})-(\d{2})$")
_SCENARIO_NAME = r"^[a-z][a-z0-9_]*$"


class AssumptionsError(ValueError):
    """An assumptions file that cannot be used; the message starts with the key at fault."""


def _financial_year(value: object) -> str:
    match = _FINANCIAL_YEAR.match(value) if isinstance(value, str) else None
    if not match or (int(match.group(1)) + 1) % 100 != int(match.group(2)):
        raise ValueError(f"must be a financial year written like 2026-27, got {value!r}")
    return str(value)


def _known_provision_type(value: str, info: ValidationInfo) -> str:
    known = (info.context or {}).get("provision_types")
    if known is not None and value not in known:
        raise ValueError(f"unknown provision type {value!r} (one of {', '.join(sorted(known))})")
    return value


def _number(value: object) -> float:
    """YAML numbers only: `true` or `'3%'` are mistakes, not 1 and 3."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    return float(value)


def _as_list(value: object) -> object:
    """An action may be written once (a mapping) or several times (a list)."""
    return value if isinstance(value, list) else [value]


def _types_or_all(value: object) -> object:
    """`all` → None (every type); one type → a one-item list."""
    if value == ALL_TYPES:
        return None
    return [value] if isinstance(value, str) else value


FinancialYear = Annotated[str, BeforeValidator(_financial_year)]
ProvisionType = Annotated[str, AfterValidator(_known_provision_type)]
Percent = Annotated[float, BeforeValidator(_number), Field(ge=-50, le=100), AfterValidator(lambda p: p / 100)]
Number = Annotated[float, BeforeValidator(_number)]


class _Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class RateSchedule(_Spec):
    """A yearly growth rate (a fraction: 0.03 = 3 %) for named years, with a default for the others."""

    by_year: dict[FinancialYear, Percent] = {}
    default: Percent | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: object) -> object:
        """`3.0` for every year, or `{2026-27: 4.0, default: 3.0}`."""
        if isinstance(value, Mapping):
            return {
                "by_year": {year: rate for year, rate in value.items() if year != "default"},
                "default": value.get("default"),
            }
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ValueError(f"must be a percentage (3.0) or years with a default, got {value!r}")
        return {"default": value}

    def rate(self, financial_year: str) -> float | None:
        return self.by_year.get(financial_year, self.default)

    def needs_default(self) -> RateSchedule:
        if self.default is None:
            raise ValueError("add a `default:` percentage for the years not listed")
        return self


class UnitCostGrowth(_Spec):
    """Growth in the cost of one placement: `all`, and provision types that grow at their own rate."""

    all: RateSchedule
    by_type: dict[ProvisionType, RateSchedule] = {}

    @model_validator(mode="before")
    @classmethod
    def _from_yaml(cls, value: object) -> object:
        if not isinstance(value, Mapping):
            raise ValueError(f"must be a set of `provision type: percentage` entries, got {value!r}")
        by_type = {name: rate for name, rate in value.items() if name != ALL_TYPES}
        return {"by_type": by_type} | ({ALL_TYPES: value[ALL_TYPES]} if ALL_TYPES in value else {})

    @field_validator("all")
    @classmethod
    def _all_years_covered(cls, schedule: RateSchedule) -> RateSchedule:
        return schedule.needs_default()


class Shift(_Spec):
    """A share of the *new* placements of one provision type goes to another type instead."""

    from_type: ProvisionType = Field(alias="from")
    to_type: ProvisionType = Field(alias="to")
    share_of_new: Annotated[Number, Field(ge=0, le=1)]
    from_year: FinancialYear

    @field_validator("to_type")
    @classmethod
    def _moves_somewhere_else(cls, to_type: str, info: ValidationInfo) -> str:
        if to_type == info.data.get("from_type"):
            raise ValueError("must differ from `from`")
        return to_type


ProvisionTypes = Annotated[tuple[ProvisionType, ...] | None, BeforeValidator(_types_or_all)]


class GrowthMultiplier(_Spec):
    """The month-on-month growth in placements of some types is multiplied by `factor` from a year."""

    provision_types: ProvisionTypes = None
    factor: Annotated[Number, Field(ge=0, le=10)]
    from_year: FinancialYear


class UnitCostMultiplier(_Spec):
    """The cost per placement of some types is multiplied by `factor` from a year (e.g. a framework)."""

    provision_types: ProvisionTypes = None
    factor: Annotated[Number, Field(ge=0.01, le=10)]
    from_year: FinancialYear


class Investment(_Spec):
    """Extra non-placement spend a mitigation needs (e.g. an inclusion team), £ a year, not inflated."""

    amount_gbp: Annotated[Number, Field(ge=0, le=1e10)]
    from_year: FinancialYear
    until_year: FinancialYear | None = None

    @field_validator("until_year")
    @classmethod
    def _not_before_start(cls, until_year: str | None, info: ValidationInfo) -> str | None:
        if until_year is not None and until_year < info.data.get("from_year", ""):
            raise ValueError("is before from_year")
        return until_year


class Saving(_Spec):
    """A saving a workstream is to deliver in one year, £, not attributed to a provision type.

    It comes off the spend that is not placements (the mirror of `Investment`), so the scenario's total
    spend is exactly the unmitigated total less the saving.
    """

    amount_gbp: Annotated[Number, Field(ge=0, le=1e10)]
    financial_year: FinancialYear


Action = Shift | GrowthMultiplier | UnitCostMultiplier | Investment | Saving


class Scenario(_Spec):
    """A named mitigation: one or more actions, projected beside `unmitigated`."""

    name: Annotated[str, Field(pattern=_SCENARIO_NAME)]
    description: str = ""
    shift: Annotated[list[Shift], BeforeValidator(_as_list)] = []
    growth_multiplier: Annotated[list[GrowthMultiplier], BeforeValidator(_as_list)] = []
    unit_cost_multiplier: Annotated[list[UnitCostMultiplier], BeforeValidator(_as_list)] = []
    investment: Annotated[list[Investment], BeforeValidator(_as_list)] = []
    saving: Annotated[list[Saving], BeforeValidator(_as_list)] = []

    @field_validator("name")
    @classmethod
    def _not_the_baseline(cls, name: str) -> str:
        if name == UNMITIGATED:
            raise ValueError(f"`{UNMITIGATED}` is always projected; give the mitigation another name")
        return name

    @model_validator(mode="after")
    def _changes_something(self) -> Scenario:
        if not self.actions:
            raise ValueError(
                f"scenario {self.name!r} changes nothing: give it a shift, growth_multiplier, "
                "unit_cost_multiplier, investment or saving"
            )
        return self

    @property
    def actions(self) -> tuple[Action, ...]:
        return (
            *self.shift,
            *self.growth_multiplier,
            *self.unit_cost_multiplier,
            *self.investment,
            *self.saving,
        )


def mitigated_scenario(savings_gbp: Mapping[str, float], workstreams: int) -> Scenario:
    """The deficit management plan's mitigations as one scenario: each year's savings still to come.

    `savings_gbp` maps a financial year to the workstreams' saving the projection still counts on in it
    (`marts.mitigation_tracker.saving_still_to_come_gbp`, summed); a year with none saves 0.
    """
    return Scenario(
        name=MITIGATED,
        description=(
            f"The mitigation workstreams' target savings ({workstreams} workstream"
            f"{'' if workstreams == 1 else 's'}), less what each year has already delivered."
        ),
        saving=[
            Saving(amount_gbp=amount, financial_year=year) for year, amount in sorted(savings_gbp.items())
        ],
    )


class ForecastSettings(_Spec):
    history_months: Annotated[StrictInt, Field(ge=MIN_HISTORY_MONTHS)] = 60
    pool_below_placements: Annotated[Number, Field(ge=0, le=1e6)] = 20.0


class ProjectionAssumptions(_Spec):
    """Everything a user sets for the projection (see `config/projection.yaml`)."""

    years: Annotated[StrictInt, Field(ge=1, le=10)] = 5
    forecast: ForecastSettings = ForecastSettings()
    unit_cost_growth_pct: UnitCostGrowth
    income_growth_pct: Annotated[RateSchedule, AfterValidator(RateSchedule.needs_default)]
    non_placement_spend_growth_pct: Annotated[RateSchedule, AfterValidator(RateSchedule.needs_default)]
    scenarios: list[Scenario] = []

    @field_validator("scenarios", mode="before")
    @classmethod
    def _none_is_empty(cls, value: object) -> object:
        return [] if value is None else value

    def unit_cost_growth_rate(self, provision_type: str, financial_year: str) -> float:
        own = self.unit_cost_growth_pct.by_type.get(provision_type)
        rate = own.rate(financial_year) if own is not None else None
        if rate is None:
            rate = self.unit_cost_growth_pct.all.rate(financial_year)
        return float(rate or 0.0)


def _key_path(raw: object, location: tuple[int | str, ...], missing: bool) -> str:
    """pydantic's error location as the officer wrote the key: `scenarios[0].shift.to`.

    Parts that are not in the YAML (the list a single action is wrapped in, internal field names,
    `[key]` markers) are skipped by walking the raw document alongside the location; a missing key is
    named after the keys that hold it.
    """
    parts, node = [], raw
    for part in location:
        if isinstance(node, list) and isinstance(part, int) and part < len(node):
            parts.append(f"[{part}]")
            node = node[part]
        elif isinstance(node, Mapping) and part in node:
            parts.append(f".{part}")
            node = node[part]
    if missing and location and isinstance(location[-1], str):
        parts.append(f".{location[-1]}")
    return "".join(parts).lstrip(".") or "assumptions file"


def parse_assumptions(
    raw: object, known_provision_types: Iterable[str] | None = None
) -> ProjectionAssumptions:
    """Validate the assumptions as read from YAML; the error names the key, e.g. `scenarios[1].shift.to`."""
    if not isinstance(raw, Mapping):
        raise AssumptionsError(f"assumptions file: must be a set of `name: value` entries, got {raw!r}")
    context: dict[str, Any] = {
        "provision_types": None if known_provision_types is None else set(known_provision_types)
    }
    try:
        assumptions = ProjectionAssumptions.model_validate(raw, context=context)
    except ValidationError as invalid:
        first = invalid.errors()[0]
        message = str(first["ctx"]["error"]) if first["type"] == "value_error" else first["msg"]
        raise AssumptionsError(
            f"{_key_path(raw, first['loc'], first['type'] == 'missing')}: {message}"
        ) from None
    names: set[str] = set()
    for index, scenario in enumerate(assumptions.scenarios):
        if scenario.name in names:
            raise AssumptionsError(f"scenarios[{index}].name: {scenario.name!r} is used twice")
        names.add(scenario.name)
    return assumptions
