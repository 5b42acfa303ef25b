"""Which column of a landing file is which contract column: the header row, read through the LA's own map.

A finance or case-management system names its columns its own way ("Trans Ref", "Amount (£)"). The
installation's `highneeds.yaml` may map such headers to contract columns (`columns:`); this module applies
that map before any check, so every later message can name a column as the file spells it. Matching is
case-insensitive with surrounding spaces ignored, for contract names and mapped headers alike.

Columns that are neither contract columns nor mapped are not the platform's to keep (contract v2): the
reader drops them, and only their *names* are reported, with those that look personal (a child's name, a
postcode, an e-mail, a second UPN…) called out as personal data that was dropped and not stored.

A header row that names no contract column at all is most likely missing (the first line is data): it is
described by its shape only, because that line may well be a child's record.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.contract import Dataset
from orchestration.parsing.errors import LandingFileError

SOURCE_ROW = "source_row"
"""Column added to every table: the row number a person sees (CSV line, spreadsheet row)."""

_BOM_REMNANT = ("\ufeff", "ï»¿")
"""A BOM read as text: by a UTF-8 reader that does not expect it, or by a Windows-1252 one."""

_PERSONAL_HEADER = re.compile(
    r"name|birth|address|post\s*code|e-?mail|phone|mobile|(?<![a-z])(?:dob|nhs|uln|upn|tel)(?![a-z])"
)
"""Header words that say a column holds something about a person (checked on dropped columns only)."""


def normalise_header(name: str) -> str:
    """How header names are compared: surrounding spaces and a stray BOM ignored, case ignored."""
    name = name.strip()
    for remnant in _BOM_REMNANT:
        name = name.removeprefix(remnant)
    return name.strip().lower()


def looks_personal(header: str) -> bool:
    """True for a dropped column whose name says it holds personal data (name, birth, postcode, UPN…)."""
    return bool(_PERSONAL_HEADER.search(normalise_header(header)))


@dataclass(frozen=True)
class HeaderPlan:
    """What the reader keeps from each column of a file, decided from its header row."""

    names: tuple[str, ...]
    """Every column's name in the table the reader returns: the contract column, or (for extra columns)
    the header normalised (`unnamed_<n>` when blank)."""
    contract: tuple[str | None, ...]
    """For each column: the contract column it holds, or None for an extra column."""
    spelled: Mapping[str, str] = field(default_factory=dict)
    """Contract column → its header as the file spells it, for headers the map renamed."""
    dropped: tuple[str, ...] = ()
    """Extra columns' headers as the file spells them: never stored."""

    @property
    def personal(self) -> tuple[str, ...]:
        return tuple(name for name in self.dropped if looks_personal(name))

    def label(self, column: str) -> str:
        """How a message names a column: `'Amount (£)' (amount_gbp)` when mapped, else `'amount_gbp'`."""
        spelled = self.spelled.get(column)
        return f"'{spelled}' ({column})" if spelled else f"'{column}'"


class HeaderMap:
    """The installation's header map for one dataset, matched the way header names are matched."""

    def __init__(self, dataset: Dataset, mapping: Mapping[str, str] | None = None) -> None:
        self.dataset = dataset
        self._mapped = {normalise_header(header): column for header, column in (mapping or {}).items()}
        self._contract = set(dataset.column_names)

    @property
    def maps_anything(self) -> bool:
        return bool(self._mapped)

    def column_for(self, header: str) -> str | None:
        """The contract column a header names (mapped first, then the contract's own name), or None."""
        key = normalise_header(header)
        return self._mapped.get(key) or (key if key in self._contract else None)

    def is_mapped(self, header: str) -> bool:
        return normalise_header(header) in self._mapped

    def plan(
        self, path: Path, headers: Sequence[str], labels: Sequence[str], header_row: int, unnamed: str
    ) -> HeaderPlan:
        """Resolve a header row, or refuse it (`LandingFileError`) naming what is wrong.

        `labels` say where each header is, as a person finds it (`3` in a CSV, `C` in a spreadsheet);
        `unnamed` is the prefix for a blank header (`unnamed_3`, `unnamed_C`).
        """
        spelled_headers = [header.strip() for header in headers]
        columns = [self.column_for(header) for header in headers]
        if not any(columns):
            if len(headers) == 1 and any(sep in headers[0] for sep in (";", "\t", "|")):
                self._refuse_missing(path, [], [], header_row, separator_hint=True)
            raise LandingFileError(
                path,
                f"the first line holds {len(headers)} values and none is a "
                f"{self.dataset.name} column name: the header row is probably missing (the file starts "
                "with data), or the columns are named differently and need mapping in highneeds.yaml",
                rows=[header_row],
                rule="no_header_row",
            )
        names = [
            column or normalise_header(header) or f"{unnamed}{label}"
            for header, column, label in zip(headers, columns, labels, strict=True)
        ]
        self._refuse_duplicates(path, headers, names, columns, labels, header_row)
        self._refuse_missing(path, names, columns, header_row)
        spelled = {
            column: header
            for header, column in zip(spelled_headers, columns, strict=True)
            if column is not None and self.is_mapped(header) and normalise_header(header) != column
        }
        dropped = tuple(
            header or name
            for header, name, column in zip(spelled_headers, names, columns, strict=True)
            if not column
        )
        return HeaderPlan(names=tuple(names), contract=tuple(columns), spelled=spelled, dropped=dropped)

    def _refuse_duplicates(
        self,
        path: Path,
        headers: Sequence[str],
        names: Sequence[str],
        columns: Sequence[str | None],
        labels: Sequence[str],
        header_row: int,
    ) -> None:
        if SOURCE_ROW in names:
            raise LandingFileError(
                path,
                f"a column is named '{SOURCE_ROW}', which the platform reserves for row numbers: rename it",
                rows=[header_row],
                column=SOURCE_ROW,
                rule="duplicate_column",
            )
        positions: dict[str, list[int]] = {}
        for index, name in enumerate(names):
            positions.setdefault(name, []).append(index)
        duplicated = {name: where for name, where in positions.items() if len(where) > 1}
        if not duplicated:
            return
        details = []
        for name, where in duplicated.items():
            spellings = {normalise_header(headers[i]) for i in where}
            if columns[where[0]] is not None and len(spellings) > 1:
                # a mapped header beside the contract name (or two mapped headers): two headers for one column
                both = " and ".join(f"'{headers[i].strip()}' (column {labels[i]})" for i in where)
                details.append(f"{both} are both read as {name}")
            else:
                details.append(f"'{name}' is in columns {', '.join(labels[i] for i in where)}")
        raise LandingFileError(
            path,
            f"the header names a column more than once ({'; '.join(details)}): keep one of each, or rename "
            "the others",
            rows=[header_row],
            column=next(iter(duplicated)) if len(duplicated) == 1 else None,
            rule="duplicate_column",
        )

    def _refuse_missing(
        self,
        path: Path,
        names: Sequence[str],
        columns: Sequence[str | None],
        header_row: int,
        separator_hint: bool = False,
    ) -> None:
        """Refuse a header without every required column, suggesting what a renamed column became.

        Names are quoted only from a header that was recognised (it names at least one contract column);
        a header of one cell holding separators is described, not quoted: it may be a line of data.
        """
        present = {column for column in columns if column}
        missing = [c.name for c in self.dataset.columns if not c.optional_column and c.name not in present]
        if not missing:
            return
        candidates = [
            n for n, c in zip(names, columns, strict=True) if c is None and not n.startswith("unnamed_")
        ]
        hints = []
        for name in missing:
            close = difflib.get_close_matches(name, candidates, n=1, cutoff=0.6)
            if close:
                hints.append(f"'{close[0]}' looks like '{name}' renamed")
                candidates.remove(close[0])
        listed = ", ".join(f"'{m}'" for m in missing)
        plural = "s" if len(missing) > 1 else ""
        message = f"the header row is missing the {self.dataset.name} column{plural} {listed}"
        if hints:
            message += (
                f" ({'; '.join(hints)}: rename it to the contract name, or map it under columns: in "
                "highneeds.yaml)"
            )
        if separator_hint:
            message += (
                "; the header is one single column: is the file separated by something other than commas?"
            )
        else:
            found = ", ".join(f"'{n}'" for n in names if not n.startswith("unnamed_")) or "nothing"
            message += f". Columns found: {found}"
        raise LandingFileError(
            path,
            message,
            rows=[header_row],
            column=missing[0] if len(missing) == 1 else None,
            rule="missing_column",
        )


def header_map_for(dataset: Dataset, columns: Mapping[str, Mapping[str, str]] | None) -> HeaderMap:
    """The header map of one dataset from the installation's `columns:` (None: contract names only)."""
    return HeaderMap(dataset, (columns or {}).get(dataset.name))
