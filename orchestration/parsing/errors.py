"""The one exception a landing file raises when it cannot be read as a table.

A refused file is reported to the people who produce it (finance officers, case-system admins), so the
message always names the file and, where it applies, the rows they see in Excel and the column, plus a
short `rule` id that logs, quarantine reports and tests can match on without parsing English.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

MAX_ROWS_SHOWN = 10
"""A message lists this many row numbers and counts the rest: enough to find the pattern, short to read."""


def format_rows(rows: Iterable[int], limit: int = MAX_ROWS_SHOWN) -> str:
    """`row 7`, `rows 3, 7 and 9`, or `rows 3, 4, … (and 12 more)` for people who look rows up by number."""
    ordered = sorted(set(rows))
    if not ordered:
        return ""
    if len(ordered) == 1:
        return f"row {ordered[0]}"
    shown = ", ".join(str(r) for r in ordered[:limit])
    if len(ordered) > limit:
        return f"rows {shown} (and {len(ordered) - limit} more)"
    head, last = ordered[:-1], ordered[-1]
    return f"rows {', '.join(str(r) for r in head)} and {last}"


class LandingFileError(Exception):
    """A landing file that cannot be read as the table its name promises.

    `rule` is a snake_case id such as `file_empty`, `not_a_csv`, `not_an_xlsx`, `truncated`,
    `wrong_field_count`, `bad_quoting`, `missing_column`, `duplicate_column`, `merged_cells`.
    `rows` are the row numbers a person sees (CSV line numbers, spreadsheet row numbers).
    """

    def __init__(
        self,
        file: Path | str,
        message: str,
        rows: Iterable[int] | None = None,
        column: str | None = None,
        rule: str = "unreadable",
    ) -> None:
        self.file = Path(file)
        self.message = message
        self.rows: tuple[int, ...] | None = tuple(sorted(set(rows))) if rows is not None else None
        self.column = column
        self.rule = rule
        super().__init__(str(self))

    def __str__(self) -> str:
        where = [part for part in (format_rows(self.rows or ()), self._column_text()) if part]
        location = f" ({', '.join(where)})" if where else ""
        return f"{self.file.name}{location}: {self.message}"

    def _column_text(self) -> str:
        return f"column '{self.column}'" if self.column else ""

    def __reduce__(self):  # keep the fields when the error crosses a process boundary (Dagster, pytest-xdist)
        return (self.__class__, (self.file, self.message, self.rows, self.column, self.rule))
