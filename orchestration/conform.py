"""Conform a landing table (all text) to the contract's column types and value rules.

This is where a value that cannot be loaded is stopped: unparseable money or dates, blanks in required
columns, codes not in the reference lists, UPNs with a wrong check letter. Every problem names the rows
and column; identifiers are masked. Rules that look across rows or files (uniqueness, totals, plausibility)
live in the Great Expectations suites of `expectations/`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from orchestration.contract import Column, Dataset, LandingFile
from orchestration.parsing.reading import RawTable
from orchestration.parsing.values import PARSERS, as_text
from orchestration.problems import LandingFileRefused, Problem, examples_text

_IDENTIFYING_TYPES = {"upn"}


@dataclass
class ConformedTable:
    """Typed columns (contract names) plus `source_row`, and the extra columns kept as text."""

    frame: pd.DataFrame
    extras: pd.DataFrame
    extra_columns: list[str]
    warnings: list[str] = field(default_factory=list)


def _rows(raw: pd.DataFrame, mask: pd.Series) -> tuple[int, ...]:
    return tuple(int(row) for row in raw.loc[mask.fillna(False).astype(bool), "source_row"])


def _problem(file: str, raw: pd.DataFrame, mask: pd.Series, column: Column, rule: str, message: str) -> Problem:
    count = int(mask.fillna(False).sum())
    noun = "value" if count == 1 else "values"
    return Problem(
        file=file,
        rows=_rows(raw, mask),
        column=column.name,
        rule=rule,
        severity="error",
        message=f"{count} {noun} {message}",
    )


def conform_column(file: str, raw: pd.DataFrame, column: Column) -> tuple[pd.Series, list[Problem]]:
    """Parse one column and check its per-value rules; returns typed values and any problems."""
    text = as_text(raw[column.name]) if column.name in raw else pd.Series(pd.NA, index=raw.index, dtype="str")
    problems: list[Problem] = []
    blank = text.isna() | (text.str.strip() == "")
    if column.type in PARSERS:
        parsed = PARSERS[column.type](text)
        values = parsed.values
        if parsed.n_invalid:
            invalid = parsed.invalid
            reasons = parsed.reasons[invalid].dropna().unique().tolist()
            mask = column.type in _IDENTIFYING_TYPES or column.personal
            problems.append(
                _problem(
                    file, raw, invalid, column, f"invalid_{column.type}",
                    f"{'; '.join(reasons[:2])}: {examples_text(text[invalid], mask=mask)}",
                )
            )
    else:
        values = text.str.strip().where(~blank)
        if column.codes is not None:
            unknown = ~blank & ~values.isin(column.codes)
            if unknown.any():
                allowed = ", ".join(column.codes) if len(column.codes) <= 15 else "the codes in reference.md"
                problems.append(
                    _problem(
                        file, raw, unknown, column, "unknown_code",
                        f"not an accepted {column.name} ({examples_text(text[unknown])}); allowed: {allowed}",
                    )
                )
    if column.required and blank.any():
        problems.append(_problem(file, raw, blank, column, "required_value_missing", "blank, but this column is required"))
    return values, problems


def conform_table(raw_table: RawTable, landing_file: LandingFile) -> ConformedTable:
    """All of a file's columns typed, or `LandingFileRefused` listing every problem found."""
    dataset: Dataset = landing_file.dataset
    raw = raw_table.frame
    problems: list[Problem] = []
    if dataset.periodic and len(raw) == 0:
        problems.append(
            Problem(
                file=landing_file.name, rows=(), column=None, rule="no_data_rows", severity="error",
                message="the file has a header but no data rows; an empty month is a broken extract",
            )
        )
        raise LandingFileRefused(problems)
    typed = pd.DataFrame({"source_row": raw["source_row"].astype("int64")}, index=raw.index)
    for column in dataset.columns:
        if column.name not in raw and column.optional_column:
            typed[column.name] = pd.Series(pd.NA, index=raw.index, dtype="str")
            continue
        values, column_problems = conform_column(landing_file.name, raw, column)
        typed[column.name] = values
        problems.extend(column_problems)
    if problems:
        raise LandingFileRefused(problems)
    known = set(dataset.column_names) | {"source_row"}
    extra_columns = [name for name in raw.columns if name not in known]
    return ConformedTable(frame=typed, extras=raw[extra_columns], extra_columns=extra_columns)
