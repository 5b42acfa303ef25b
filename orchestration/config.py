"""The installation's configuration, `highneeds.yaml`: which LA this is, disclosure rules, header mapping.

One file per installation, found as `--config FILE`, else `$HIGHNEEDS_CONFIG`, else `<home>/highneeds.yaml`,
else the built-in defaults (the demo county, which takes Gloucestershire's published figures: LA 916).
It is validated by pydantic before anything is read, so a typo is one clear message naming the file, the key
and a suggestion — never a half-loaded warehouse. Every key is described in `docs/configuration.md`.
"""

from __future__ import annotations

import difflib
import os
import textwrap
from collections.abc import Iterable, Mapping
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
COMPUTED_NEIGHBOURS = 10
"""How many neighbours are computed when `statistical_neighbours` is empty."""


@cache
def _current_las() -> dict[int, tuple[str, str]]:
    """DfE 3-digit LA code → (name, region) of every LA in the vendored DfE data's latest year."""
    from orchestration.public_data.parse import current_las

    return {int(la.old_la_code): (str(la.la_name), str(la.region_name)) for la in current_las().itertuples()}


def known_la_codes() -> dict[int, str]:
    """DfE 3-digit LA code → LA name, for every LA in the vendored DfE data's latest year."""
    return {code: name for code, (name, _) in _current_las().items()}


@cache
def _former_la_codes() -> dict[int, tuple[str, int]]:
    """LA code → (name, last year published) of LAs that were abolished before the data's latest year."""
    from orchestration.public_data.parse import la_codes

    codes = la_codes()
    last = codes.groupby("old_la_code").last()
    return {
        int(code): (str(row.la_name), int(row.year))
        for code, row in last.iterrows()
        if int(code) not in _current_las()
    }


@cache
def las_with_population() -> frozenset[int]:
    """LAs with a 2-18 population in the vendored benchmarking table: the ones neighbours can be computed for.

    Every computed indicator is per head of that population, so an LA the table leaves out (City of London,
    Isles of Scilly) must list its neighbours instead.
    """
    from orchestration.public_data.parse import read_la_profile_figures

    figures = read_la_profile_figures()
    population = figures[(figures["figure"] == "population_2_18") & figures["value"].notna()]
    return frozenset(int(code) for code in population["old_la_code"])


class ConfigError(ValueError):
    """A configuration that cannot be used: the message names the file, the key and what to do."""


class _KeyProblem(ValueError):
    """A validator's complaint about one entry below the field it checks (`subkey` is appended to the key)."""

    def __init__(self, subkey: str, message: str) -> None:
        super().__init__(message)
        self.subkey = subkey


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
    statistical_neighbours_note: str | None = Field(
        default=None, description="how the listed neighbours were chosen, printed with the benchmarks"
    )
    disclosure: Disclosure = Field(default_factory=Disclosure)
    columns: dict[str, dict[str, str]] = Field(
        default_factory=dict, description="per dataset: the extract's header -> contract column"
    )
    statutory_override_end: date = Field(default=date(2028, 3, 31))

    @field_validator("la_code", mode="before")
    @classmethod
    def _code_not_name(cls, value: Any) -> Any:
        if isinstance(value, str) and not value.strip().isdigit():
            raise ValueError(f"{value!r} is not a 3-digit DfE LA code{_suggest_by_name(value)}")
        return value

    @field_validator("la_code")
    @classmethod
    def _known_la(cls, code: int) -> int:
        return _check_la_code(code)

    @field_validator("statistical_neighbours")
    @classmethod
    def _known_neighbours(cls, codes: list[int]) -> list[int]:
        seen: set[int] = set()
        for position, code in enumerate(codes):
            try:
                _check_la_code(code)
            except ValueError as problem:
                raise _KeyProblem(f"[{position}]", str(problem)) from None
            if code in seen:
                raise _KeyProblem(f"[{position}]", f"{code} ({known_la_codes()[code]}) is listed twice")
            seen.add(code)
        return codes

    @field_validator("columns", mode="before")
    @classmethod
    def _no_empty_dataset(cls, columns: Any) -> Any:
        # `hn_ledger:` with nothing under it reads as None: no headers to map.
        if isinstance(columns, Mapping):
            return {name: mapping if mapping is not None else {} for name, mapping in columns.items()}
        return columns

    @field_validator("columns")
    @classmethod
    def _mapped_to_contract(cls, columns: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
        for dataset_name, mapping in columns.items():
            if dataset_name not in DATASETS:
                raise _KeyProblem(
                    f".{dataset_name}",
                    f"unknown dataset{_suggest(dataset_name, DATASETS)} (datasets: {', '.join(DATASETS)})",
                )
            contract_columns = DATASETS[dataset_name].column_names
            headers_by_column: dict[str, str] = {}
            headers_as_matched: dict[str, str] = {}
            for header, column in mapping.items():
                where = f".{dataset_name}.{header!r}"
                if column not in contract_columns:
                    raise _KeyProblem(
                        where,
                        f"mapped to {column!r}, which is not a {dataset_name} column"
                        f"{_suggest(column, contract_columns)}",
                    )
                if column in headers_by_column:
                    raise _KeyProblem(
                        f".{dataset_name}",
                        f"headers {headers_by_column[column]!r} and {header!r} are both mapped to "
                        f"{column!r}; map one header to each column",
                    )
                # Headers are matched ignoring case and surrounding spaces, as contract headers are.
                matched_as = header.strip().casefold()
                if matched_as in headers_as_matched:
                    raise _KeyProblem(
                        f".{dataset_name}",
                        f"headers {headers_as_matched[matched_as]!r} and {header!r} are the same header "
                        "(case and surrounding spaces are ignored); list it once",
                    )
                headers_by_column[column] = header
                headers_as_matched[matched_as] = header
        return columns

    @model_validator(mode="after")
    def _neighbours_possible(self) -> InstallationConfig:
        if self.la_code in self.statistical_neighbours:
            position = self.statistical_neighbours.index(self.la_code)
            raise _KeyProblem(
                f"statistical_neighbours[{position}]", f"lists the LA itself ({self.la_code}, {self.la_name})"
            )
        if not self.statistical_neighbours and self.la_code not in las_with_population():
            raise _KeyProblem(
                "statistical_neighbours",
                f"is empty, but neighbours cannot be computed for {self.la_name} ({self.la_code}): DfE's "
                "benchmarking table gives it no 2-18 population. List its neighbours' LA codes instead",
            )
        return self

    @property
    def la_name(self) -> str:
        """The LA's name as DfE publishes it (the pack's title)."""
        return known_la_codes()[self.la_code]

    @property
    def la_region(self) -> str:
        """The LA's region (its benchmarks' `region` comparator)."""
        return _current_las()[self.la_code][1]

    def header_map(self, dataset: str) -> dict[str, str]:
        """The extract's headers (as configured) → contract columns, for one dataset."""
        return self.columns.get(dataset, {})


def _check_la_code(code: int) -> int:
    codes = known_la_codes()
    if code in codes:
        return code
    former = _former_la_codes().get(code)
    if former is not None:
        name, last_year = former
        raise ValueError(
            f"{code} ({name}) was abolished: DfE last published it in {last_year}. Use the code of the LA "
            "that replaced it"
        )
    near = difflib.get_close_matches(str(code), [str(c) for c in codes], n=3, cutoff=0.6)
    hint = f"; did you mean {' or '.join(f'{c} ({codes[int(c)]})' for c in near)}?" if near else ""
    raise ValueError(f"{code} is not an LA code in DfE's published data{hint}")


def _suggest_by_name(text: str) -> str:
    by_name = {name.casefold(): code for code, name in known_la_codes().items()}
    near = difflib.get_close_matches(text.strip().casefold(), list(by_name), n=1, cutoff=0.7)
    if not near:
        return ""
    code = by_name[near[0]]
    return f"; {known_la_codes()[code]} is {code}"


def _suggest(value: str, choices: Iterable[str]) -> str:
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


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML's safe loader, except that a key written twice is an error instead of the last one winning."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        first_line: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in first_line:
                raise yaml.constructor.ConstructorError(
                    None,
                    None,
                    f"key {key!r} is written twice "
                    f"(lines {first_line[key]} and {key_node.start_mark.line + 1})",
                    key_node.start_mark,
                )
            first_line[key] = key_node.start_mark.line + 1
        return super().construct_mapping(node, deep=deep)


def load_config(path: Path | None) -> InstallationConfig:
    """Read and validate a configuration file; None gives the built-in defaults (the demo county)."""
    if path is None:
        return InstallationConfig()
    if not path.is_file():
        raise ConfigError(f"{path}: the configuration file does not exist")
    try:
        document = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader) or {}
    except yaml.YAMLError as error:
        where = getattr(error, "problem_mark", None)
        line = f" (line {where.line + 1})" if where is not None else ""
        raise ConfigError(f"{path}{line}: not valid YAML: {getattr(error, 'problem', error)}") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save it as UTF-8") from None
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
        key = ".".join(str(part) for part in item["loc"])
        cause = item.get("ctx", {}).get("error")
        if isinstance(cause, _KeyProblem):
            key = f"{key}{cause.subkey}" if key else cause.subkey
        if item["type"] == "extra_forbidden":
            parent = item["loc"][:-1]
            model: type[BaseModel] = Disclosure if parent == ("disclosure",) else InstallationConfig
            message = f"unknown key{_suggest(str(item['loc'][-1]), model.model_fields)}"
        elif item["type"] in ("value_error", "assertion_error"):
            message = str(item["msg"]).removeprefix("Value error, ")
        else:
            message = f"{item['msg']} (found {item['input']!r})"
        lines.append(f"{path}: {key or '(top level)'}: {message}")
    return "\n".join(lines)


STARTER_TEMPLATE = """\
# High Needs platform: this installation's configuration (highneeds.yaml).
# Found as --config FILE, else $HIGHNEEDS_CONFIG, else <home>/highneeds.yaml.
# Every key is described in docs/configuration.md.
{written_by}
# DfE 3-digit LA code ({la_name}, {la_region}). Names the LA, its region and its benchmarks.
la_code: {la_code}

# LA codes to compare with, in the order the pack lists them. Empty: the {computed} nearest LAs by published
# indicators (size, EHC plans per head, placements in independent schools, High Needs budget per head and
# new EHC plans per head; see docs/configuration.md).
{neighbours}
disclosure:
  min_count: 5                # counts below this are suppressed in public outputs
  min_values_for_median: 10   # a median, minimum or maximum needs at least this many values

# Your extracts' headers -> contract columns, per dataset (only where they differ). Columns that are
# neither contract columns nor mapped are dropped when read and never stored.
{columns}
# End of the DSG statutory override (shown on the deficit chart).
statutory_override_end: 2028-03-31
"""


def _neighbours_block(la_code: int, neighbours: list[int], note: str | None) -> str:
    names = known_la_codes()
    if not neighbours:
        if la_code in las_with_population():
            return "statistical_neighbours: []\n"
        return (
            f"# {names[la_code]} has no 2-18 population in DfE's benchmarking table, so its neighbours\n"
            "# cannot be computed: list them before the first run.\n"
            "statistical_neighbours: []\n"
        )
    lines = ["statistical_neighbours:"] + [f"  - {code}   # {names[code]}" for code in neighbours]
    if note:
        lines += [
            "statistical_neighbours_note: >-",
            *textwrap.wrap(note, 106, initial_indent="  ", subsequent_indent="  ", break_on_hyphens=False),
        ]
    return "\n".join(lines) + "\n"


def _columns_block(columns: dict[str, dict[str, str]] | None) -> str:
    if not columns:
        return 'columns: {}\n#  hn_ledger:\n#    "Trans Ref": transaction_id\n#    "Amount (£)": amount_gbp\n'
    return yaml.safe_dump({"columns": columns}, sort_keys=False, allow_unicode=True, default_flow_style=False)


def starter_config(
    la_code: int = DEMO_LA_CODE,
    statistical_neighbours: Iterable[int] = (),
    statistical_neighbours_note: str | None = None,
    columns: dict[str, dict[str, str]] | None = None,
    written_by: str = "",
) -> str:
    """The commented file `highneeds init` and `highneeds demo` write; ValueError for an unknown LA code.

    `written_by`, when given, is a first comment line saying which command wrote the file, so that command
    knows it may replace it and a file someone edited by hand is never overwritten.
    """
    neighbours = [_check_la_code(code) for code in statistical_neighbours]
    _check_la_code(la_code)
    return STARTER_TEMPLATE.format(
        written_by=f"# {written_by}\n" if written_by else "",
        la_code=la_code,
        la_name=known_la_codes()[la_code],
        la_region=_current_las()[la_code][1],
        computed=COMPUTED_NEIGHBOURS,
        neighbours=_neighbours_block(la_code, neighbours, statistical_neighbours_note),
        columns=_columns_block(columns),
    )
