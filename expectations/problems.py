"""Problems found in landing files, in the shape finance officers and `highneeds check --json` see.

One problem names the file, the rows a person sees in Excel, the column (None for a file-level problem), a
short rule id, a severity, and a plain-English message with a few masked examples. A column the LA's
header map renamed is shown as the file spells it: `column 'Amount (£)' (amount_gbp)`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from orchestration.parsing.errors import LandingFileError, format_rows

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    """One broken rule in one file."""

    file: str
    rows: tuple[int, ...]
    column: str | None
    rule: str
    severity: Severity
    message: str
    header: str | None = None
    """The column's header as the file spells it, when the installation's header map renamed it."""

    def to_json(self) -> dict[str, object]:
        """The machine-readable record: `column` is always the contract column."""
        return {
            "file": self.file,
            "rows": list(self.rows),
            "column": self.column,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
        }

    @property
    def column_text(self) -> str:
        """`column 'amount_gbp'`, or `column 'Amount (£)' (amount_gbp)` for a mapped header; '' for none."""
        if not self.column:
            return ""
        return f"column '{self.header}' ({self.column})" if self.header else f"column '{self.column}'"

    def where(self) -> str:
        """`rows 3 and 5, column 'amount_gbp'`: where a person finds the problem ('' for the whole file)."""
        return ", ".join(part for part in (format_rows(self.rows), self.column_text) if part)

    def located_message(self) -> str:
        """`rows 3 and 5, column 'amount_gbp': message`, for a list that names the file already."""
        where = self.where()
        return f"{where}: {self.message}" if where else self.message

    def __str__(self) -> str:
        where = self.where()
        return f"{self.file}{f' ({where})' if where else ''}: {self.message}"

    @classmethod
    def from_error(cls, error: LandingFileError) -> Problem:
        return cls(
            file=error.file.name,
            rows=tuple(error.rows or ()),
            column=error.column,
            rule=error.rule,
            severity="error",
            message=error.message,
        )
