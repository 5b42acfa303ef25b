"""Problems found in landing files, in the shape finance officers and `highneeds check --json` see.

One problem names the file, the rows a person sees in Excel, the column (None for a file-level
problem), a short rule id, a severity, and a plain-English message with a few masked examples.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from typing import Literal

from orchestration.parsing.errors import LandingFileError, format_rows

Severity = Literal["error", "warning"]
MAX_EXAMPLES = 3


@dataclass(frozen=True)
class Problem:
    """One broken rule in one file."""

    file: str
    rows: tuple[int, ...]
    column: str | None
    rule: str
    severity: Severity
    message: str

    def to_json(self) -> dict[str, object]:
        record = asdict(self)
        record["rows"] = list(self.rows)
        return record

    def __str__(self) -> str:
        where = [
            part
            for part in (format_rows(self.rows), f"column '{self.column}'" if self.column else "")
            if part
        ]
        return f"{self.file}{' (' + ', '.join(where) + ')' if where else ''}: {self.message}"

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


def examples_text(values: Iterable[object], mask: bool = False) -> str:
    """`e.g. '12/31/2023', 'abc'` — a few distinct offending values, masked when they identify a child."""
    from orchestration.parsing.upn import mask_identifier

    shown: list[str] = []
    for value in values:
        text = "" if value is None else str(value)
        text = mask_identifier(text) if mask else text
        if text not in shown:
            shown.append(text)
        if len(shown) == MAX_EXAMPLES:
            break
    return "e.g. " + ", ".join(f"'{text}'" for text in shown) if shown else ""


class LandingFileRefused(LandingFileError):
    """A file with one or more blocking problems; `problems` lists them all, the first one is the message."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("a refused file has at least one problem")
        self.problems = list(problems)
        first = self.problems[0]
        more = f" (and {len(self.problems) - 1} more problem(s))" if len(self.problems) > 1 else ""
        super().__init__(
            first.file, first.message + more, rows=first.rows, column=first.column, rule=first.rule
        )

    def __reduce__(self):
        return (self.__class__, (self.problems,))
