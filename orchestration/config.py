"""The installation's configuration, `highneeds.yaml`: which LA this is, disclosure rules, header mapping.

One file per installation, found as `--config FILE`, else `$HIGHNEEDS_CONFIG`, else `<home>/highneeds.yaml`,
else the built-in defaults (the demo county, which takes Gloucestershire's published figures: LA 916).
It is validated by pydantic before anything is read, so a typo is one clear message naming the file, the key
and a suggestion — never a half-loaded warehouse.
"""

from __future__ import annotations

import csv
import difflib
import os
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from orchestration.contract import DATASETS

CONFIG_ENV = "HIGHNEEDS_CONFIG"
CONFIG_FILE_NAME = "highneeds.yaml"
DEMO_LA_CODE = 916
_SEN2_LA_FILE = Path(__file__).resolve().parent / "public_data" / "files" / "sen_la.csv"


@cache
def known_la_codes() -> dict[int, str]:
    """DfE 3-digit LA code → LA name, from the vendored SEN2 file (every LA England has published)."""
    with _SEN2_LA_FILE.open(encoding="utf-8-sig", newline="") as handle:
        return {
            int(row["old_la_code"]): row["la_name"].strip()
            for row in csv.DictReader(handle)
            if row["geographic_level"] == "Local authority" and row["old_la_code"].strip().isdigit()
        }


class ConfigError(ValueError):
    """A configuration that cannot be used: the message names the file, the key and what to do."""


class Disclosure(BaseModel):
    """Statistical disclosure control for public outputs (the Schools Forum pack)."""

    model_config = ConfigDict(extra="forbid")

    min_count: int = Field(default=5, ge=1, description="counts below this are suppressed")
    min_values_for_median: int = Field(
        default=10, ge=1, description="a median, minimum or maximum is published only over this many values"
    )


class InstallationConfig(BaseModel):
    """Everything that differs between one LA's installation and another's."""

    model_config = ConfigDict(extra="forbid")

    la_code: int = Field(default=DEMO_LA_CODE, description="DfE 3-digit LA code")
    statistical_neighbours: list[int] = Field(
        default_factory=list, description="LA codes; empty = the 10 nearest by public indicators"
    )
    disclosure: Disclosure = Field(default_factory=Disclosure)
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="per dataset: the extract's header -> contract column"
    )
    statutory_override_end: date = Field(default=date(2028, 3, 31))

    @field_validator("la_code")
    @classmethod
    def _known_la(cls, code: int) -> int:
        return _check_la_code(code, "la_code")

    @field_validator("statistical_neighbours")
    @classmethod
    def _known_neighbours(cls, codes: list[int]) -> list[int]:
        for code in codes:
            _check_la_code(code, "statistical_neighbours")
        if len(set(codes)) != len(codes):
            raise ValueError("an LA is listed twice")
        return codes

    @field_validator("columns")
    @classmethod
    def _mapped_to_contract(cls, columns: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for dataset_name, mapping in columns.items():
            if dataset_name not in DATASETS:
                raise ValueError(f"unknown dataset {dataset_name!r}{_suggest(dataset_name, DATASETS)}")
            contract_columns = DATASETS[dataset_name].column_names
            targets: dict[str, str] = {}
            for header, column in (mapping or {}).items():
                if column not in contract_columns:
                    raise ValueError(
                        f"{dataset_name}: header {header!r} is mapped to {column!r}, which is not a "
                        f"{dataset_name} column{_suggest(column, contract_columns)}"
                    )
                if column in targets:
                    raise ValueError(
                        f"{dataset_name}: headers {targets[column]!r} and {header!r} are both mapped to "
                        f"{column!r}; map one header to each column"
                    )
                targets[column] = header
        return {name: dict(mapping or {}) for name, mapping in columns.items()}

    @model_validator(mode="after")
    def _not_own_neighbour(self) -> InstallationConfig:
        if self.la_code in self.statistical_neighbours:
            raise ValueError(f"statistical_neighbours lists the LA itself ({self.la_code})")
        return self

    @property
    def la_name(self) -> str:
        return known_la_codes()[self.la_code]

    def header_map(self, dataset: str) -> dict[str, str]:
        """The extract's headers (as configured) → contract columns, for one dataset."""
        return self.columns.get(dataset, {})


def _check_la_code(code: int, key: str) -> int:
    codes = known_la_codes()
    if code not in codes:
        near = difflib.get_close_matches(str(code), [str(c) for c in codes], n=3, cutoff=0.6)
        hint = f"; did you mean {' or '.join(f'{c} ({codes[int(c)]})' for c in near)}?" if near else ""
        raise ValueError(f"{code} is not an LA code in DfE's published data{hint}")
    return code


def _suggest(value: str, choices: Any) -> str:
    near = difflib.get_close_matches(str(value), list(choices), n=1)
    return f"; did you mean {near[0]!r}?" if near else ""


def find_config_file(explicit: Path | str | None, home: Path) -> Path | None:
    """`--config`, else `$HIGHNEEDS_CONFIG`, else `<home>/highneeds.yaml` if it exists, else None."""
    if explicit:
        return Path(explicit).expanduser().resolve()
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        return Path(from_env).expanduser().resolve()
    in_home = home / CONFIG_FILE_NAME
    return in_home if in_home.exists() else None


def load_config(path: Path | None) -> InstallationConfig:
    """Read and validate a configuration file; None gives the built-in defaults (the demo county)."""
    if path is None:
        return InstallationConfig()
    if not path.is_file():
        raise ConfigError(f"{path}: the configuration file does not exist")
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: expected keys such as la_code: 916, found a {type(document).__name__}")
    try:
        return InstallationConfig.model_validate(document)
    except ValidationError as error:
        raise ConfigError(_plain_errors(path, error)) from None


def _plain_errors(path: Path, error: ValidationError) -> str:
    """Pydantic's errors as one line each: the file, the key path, what is wrong and a suggestion."""
    lines = []
    for item in error.errors():
        key = ".".join(str(part) for part in item["loc"]) or "(top level)"
        if item["type"] == "extra_forbidden":
            parent = item["loc"][:-1]
            model: type[BaseModel] = Disclosure if parent == ("disclosure",) else InstallationConfig
            message = f"unknown key{_suggest(str(item['loc'][-1]), model.model_fields)}"
        else:
            message = str(item["msg"]).removeprefix("Value error, ")
        lines.append(f"{path}: {key}: {message}")
    return "\n".join(lines)


STARTER_TEMPLATE = """\
# High Needs platform: this installation's configuration.
# Found as --config FILE, else $HIGHNEEDS_CONFIG, else <home>/highneeds.yaml.

# DfE 3-digit LA code ({la_name}). Names the LA, its region and its benchmarks.
la_code: {la_code}

# LA codes to compare with. Empty: the 10 nearest LAs by public indicators (see docs/configuration.md).
statistical_neighbours: []

disclosure:
  min_count: 5                # counts below this are suppressed in public outputs
  min_values_for_median: 10   # a median, minimum or maximum needs at least this many values

# Your extracts' headers -> contract columns, per dataset (only where they differ). Columns that are
# neither contract columns nor mapped are dropped when read and never stored.
columns: {{}}
#  hn_ledger:
#    "Trans Ref": transaction_id
#    "Amount (£)": amount_gbp

# End of the DSG statutory override (shown on the deficit chart).
statutory_override_end: 2028-03-31
"""


def starter_config(la_code: int = DEMO_LA_CODE) -> str:
    """The commented file `highneeds init` writes."""
    _check_la_code(la_code, "la_code")
    return STARTER_TEMPLATE.format(la_code=la_code, la_name=known_la_codes()[la_code])
