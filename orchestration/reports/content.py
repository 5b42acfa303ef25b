"""What the public pack holds, as plain data: sections of paragraphs, charts and tables, a headline.

The HTML and the PDF are two renderings of the same `PackContent`, so they cannot drift apart.
"""

from __future__ import annotations

import base64
from collections.abc import Hashable
from dataclasses import dataclass, field

import pandas as pd

from orchestration.reports.formatting import KINDS


class NotAvailable(Exception):
    """A section (or part of one) cannot be drawn yet: the message says why, in plain words."""


@dataclass(frozen=True)
class Column:
    """A column of a public table: the frame's column, its heading, and how its values are written."""

    key: Hashable
    label: str
    kind: str = "text"

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"column {self.key!r}: kind {self.kind!r} is not one of {KINDS}")

    @property
    def numeric(self) -> bool:
        return self.kind != "text"


@dataclass
class Table:
    """A table as published: headings and formatted cells (already under disclosure control).

    The first column names the row: screen readers announce it with every cell (`<th scope="row">`).
    `protected` is the frame after disclosure control (markers in place of suppressed cells), for charts
    that draw the same figures.
    """

    title: str
    columns: list[Column]
    rows: list[list[str]]
    total_rows: list[bool]
    note: str = ""
    protected: pd.DataFrame | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Chart:
    """A chart as PNG bytes, with its alt text (which states the main finding) and each axis's tick labels.

    The tick labels are kept so a test can check that no axis repeats a label.
    """

    name: str
    title: str
    alt: str
    png: bytes
    axis_labels: tuple[tuple[str, ...], ...] = ()

    @property
    def data_uri(self) -> str:
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


@dataclass
class Section:
    """One part of the pack. `unavailable` says why it is empty when its data is not there yet."""

    key: str
    title: str
    paragraphs: list[str] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    unavailable: str | None = None


@dataclass(frozen=True)
class KeyFigure:
    """A boxed figure under the headline; `tone` colours its edge and `note` says the same in words."""

    label: str
    value: str
    note: str = ""
    tone: str = "neutral"


@dataclass(frozen=True)
class HeadlinePart:
    """What one part of the headline says: its sentences and the key figures boxed beneath them."""

    sentences: list[str] = field(default_factory=list)
    figures: list[KeyFigure] = field(default_factory=list)


@dataclass
class PackContent:
    """Everything the public pack shows, in reading order; `rules` is the closing page on disclosure."""

    la_name: str
    month: str
    month_label: str
    financial_year: str
    generated_at: str
    headline: list[str]
    key_figures: list[KeyFigure]
    sections: list[Section]
    rules: list[str] = field(default_factory=list)

    @property
    def title(self) -> str:
        return f"{self.la_name}: High Needs block Schools Forum pack"

    @property
    def charts(self) -> list[Chart]:
        return [chart for section in self.sections for chart in section.charts]
