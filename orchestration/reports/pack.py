"""Where the Schools Forum pack is drawn: `build_pack(settings, month)` writes `<home>/reports/<month>/`.

The public HTML and PDF come from one `PackContent` (under disclosure control); the officers' workbook
and the DSG management plan workbook come from the marts as they are (both OFFICIAL-SENSITIVE). Files are
written beside their final name and moved into place, so a reader never opens a half-written pack and a
failed build leaves the previous one as it was.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from pathlib import Path

from orchestration.forked_map import Mapper, forked_map
from orchestration.reports.content import PackContent
from orchestration.reports.data import PackData, check_month, check_month_in_range, load_pack_data
from orchestration.reports.html import render_html
from orchestration.reports.management_plan import WORKBOOK_NAME as MANAGEMENT_PLAN_NAME
from orchestration.reports.management_plan import build_management_plan
from orchestration.reports.pdf import PdfDocument, render_pdf
from orchestration.reports.sections import build_content
from orchestration.reports.workbook import build_workbook
from orchestration.settings import Settings

HTML_NAME = "schools_forum_pack_{month}.html"
PDF_NAME = "schools_forum_pack_{month}.pdf"
WORKBOOK_NAME = "high_needs_finance_{month}_OFFICIAL-SENSITIVE.xlsx"
CHARTS_DIR = "charts"


@dataclass(frozen=True)
class PackResult:
    """Where the pack's files are (`html`, `pdf`, `workbook`, `management_plan`, `chart:<name>`) and how long
    it took."""

    month: str
    paths: dict[str, Path]
    seconds: float
    pdf_pages: int = 0
    unavailable_sections: list[str] = field(default_factory=list)
    headline: list[str] = field(default_factory=list)

    @property
    def folder(self) -> Path:
        return self.paths["html"].parent


def _write_atomically(path: Path, content: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.write_bytes(content)
    os.replace(partial, path)


def _render(task: tuple[str, PackContent | PackData]) -> PdfDocument | bytes:
    """One of the pack's files that do not depend on each other: the PDF, or one of the two workbooks."""
    kind, source = task
    if kind == "pdf":
        return render_pdf(source)  # type: ignore[arg-type]
    if kind == "workbook":
        return build_workbook(source)  # type: ignore[arg-type]
    return build_management_plan(source)  # type: ignore[arg-type]


def build_pack(settings: Settings, month: str, mapper: Mapper | None = None) -> PackResult:
    """Draw the pack for `month` (`YYYY-MM`) from the warehouse into `<home>/reports/<month>/`.

    A month outside the ledger's months is refused (`MonthOutOfRange`, naming the months it can draw).
    The sections, then the PDF and the workbooks, are drawn side by side on the cores there are
    (`mapper`, by default `forked_map()`; `map` draws them one after another, to the same files).
    """
    started = time.monotonic()
    mapper = mapper or forked_map()
    check_month(month)
    check_month_in_range(settings, month)
    data = load_pack_data(settings, month)
    content = build_content(data, mapper=mapper)
    folder = settings.reports_dir / month
    paths = {
        "html": folder / HTML_NAME.format(month=month),
        "pdf": folder / PDF_NAME.format(month=month),
        "workbook": folder / WORKBOOK_NAME.format(month=month),
        "management_plan": folder / MANAGEMENT_PLAN_NAME.format(month=month),
    }
    html_text = render_html(content)
    pdf, workbook, management_plan = mapper(
        _render, [("pdf", content), ("workbook", data), ("management_plan", data)]
    )
    for chart in content.charts:
        paths[f"chart:{chart.name}"] = folder / CHARTS_DIR / f"{chart.name}.png"
        _write_atomically(paths[f"chart:{chart.name}"], chart.png)
    _write_atomically(paths["html"], html_text.encode("utf-8"))
    _write_atomically(paths["pdf"], pdf.content)
    _write_atomically(paths["workbook"], workbook)
    _write_atomically(paths["management_plan"], management_plan)
    return PackResult(
        month=month,
        paths=paths,
        seconds=time.monotonic() - started,
        pdf_pages=pdf.pages,
        unavailable_sections=[section.key for section in content.sections if section.unavailable],
        headline=content.headline,
    )
