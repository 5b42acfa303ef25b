"""The public pack as a PDF, drawn with ReportLab from the same `PackContent` as the HTML.

ReportLab is pure Python from PyPI: no browser, no Pango/Cairo system libraries, so the PDF builds on any
machine that can install the project. Text is set in DejaVu Sans, which matplotlib already ships, so the
pound sign, en dashes and any name typed in a finance system print as typed.

The PDF declares its title and language (en-GB) and shows the title in the viewer, but ReportLab cannot
write a tagged PDF (no structure tree), which a screen reader needs: so the first page says that the HTML
file is the accessible version. Headings and table captions keep with what follows them, so no page ends
on a heading.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

import matplotlib
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Image,
    KeepTogether,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from orchestration.reports.content import PackContent, Section
from orchestration.reports.content import Table as PackTable

BRAND = colors.HexColor("#1d3a5f")
BAND = colors.HexColor("#f4f6f8")
RULE = colors.HexColor("#d0d0d0")
TONES = {"bad": colors.HexColor("#b3261e"), "good": colors.HexColor("#1e6b3a"), "neutral": BRAND}
MARGIN = 14 * mm
PAGE_WIDTH, PAGE_HEIGHT = A4
TEXT_WIDTH = PAGE_WIDTH - 2 * MARGIN


@dataclass(frozen=True)
class PdfDocument:
    """The PDF's bytes and its number of pages (the test checks every page renders)."""

    content: bytes
    pages: int


@cache
def _fonts() -> tuple[str, str]:
    """DejaVu Sans from matplotlib's data folder, registered once; Helvetica if it is not there."""
    font_dir = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
    regular, bold = font_dir / "DejaVuSans.ttf", font_dir / "DejaVuSans-Bold.ttf"
    if not (regular.exists() and bold.exists()):
        return "Helvetica", "Helvetica-Bold"
    pdfmetrics.registerFont(TTFont("PackSans", str(regular)))
    pdfmetrics.registerFont(TTFont("PackSans-Bold", str(bold)))
    pdfmetrics.registerFontFamily("PackSans", normal="PackSans", bold="PackSans-Bold")
    return "PackSans", "PackSans-Bold"


@cache
def _styles() -> dict[str, ParagraphStyle]:
    regular, bold = _fonts()
    body = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=13, spaceAfter=5)
    return {
        "body": body,
        "headline": ParagraphStyle("headline", parent=body, fontSize=11, leading=15),
        "title": ParagraphStyle(
            "title", parent=body, fontName=bold, fontSize=18, leading=22, textColor=colors.white
        ),
        "subtitle": ParagraphStyle("subtitle", parent=body, fontSize=10, textColor=colors.white),
        "h2": ParagraphStyle(
            "h2",
            parent=body,
            fontName=bold,
            fontSize=14,
            leading=18,
            textColor=BRAND,
            spaceBefore=10,
            spaceAfter=6,
            keepWithNext=1,
        ),
        "caption": ParagraphStyle(
            "caption", parent=body, fontName=bold, fontSize=9.5, spaceBefore=6, keepWithNext=1
        ),
        "note": ParagraphStyle(
            "note", parent=body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#555555")
        ),
        "unavailable": ParagraphStyle(
            "unavailable",
            parent=body,
            backColor=colors.HexColor("#fff8e1"),
            borderPadding=6,
            spaceBefore=4,
            spaceAfter=10,
        ),
        "figure_label": ParagraphStyle(
            "figure_label",
            parent=body,
            fontSize=8,
            leading=10,
            textColor=colors.HexColor("#555555"),
            spaceAfter=0,
        ),
        "figure_value": ParagraphStyle(
            "figure_value", parent=body, fontName=bold, fontSize=12.5, leading=15, spaceAfter=0
        ),
    }


def _paragraph(text: str, style: str) -> Paragraph:
    return Paragraph(escape(text), _styles()[style])


def _cell_style(size: float, numeric: bool, bold: bool) -> ParagraphStyle:
    regular, bold_font = _fonts()
    return ParagraphStyle(
        f"cell-{size}-{numeric}-{bold}",
        fontName=bold_font if bold else regular,
        fontSize=size,
        leading=size * 1.2,
        alignment=TA_RIGHT if numeric else 0,
    )


CELL_PADDING = 3


def _cell_width(text: str, font: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font, size) * 1.02 + 2 * CELL_PADDING


def _layout(table: PackTable) -> tuple[float, list[float]]:
    """Font size and column widths: numbers never wrap, text wraps at word breaks, and it all fits the page.

    Tries font sizes from 8 pt down; numeric columns get their widest cell, text columns at least their
    longest word, and whatever room is left goes to the text columns that want it.
    """
    _regular, bold = _fonts()
    texts = [
        [column.label, *(row[index] for row in table.rows)] for index, column in enumerate(table.columns)
    ]
    for size in (8.0, 7.5, 7.0, 6.5, 6.0, 5.5):
        minimum, wanted = [], []
        for column, cells in zip(table.columns, texts, strict=True):
            header_word = max(_cell_width(word, bold, size) for word in column.label.split() or [""])
            if column.numeric:
                need = max([header_word, *(_cell_width(cell, bold, size) for cell in cells[1:])])
                minimum.append(need)
                wanted.append(max(need, min(_cell_width(column.label, bold, size), 24 * size)))
            else:
                words = (word for cell in cells for word in (cell.split() or [""]))
                minimum.append(max(_cell_width(word, bold, size) for word in words))
                wanted.append(min(max(_cell_width(cell, bold, size) for cell in cells), TEXT_WIDTH * 0.45))
        if sum(minimum) <= TEXT_WIDTH:
            break
    wanted = [max(w, m) for w, m in zip(wanted, minimum, strict=True)]
    if sum(wanted) <= TEXT_WIDTH:
        return size, wanted
    if sum(minimum) > TEXT_WIDTH:
        return size, [m * TEXT_WIDTH / sum(minimum) for m in minimum]
    spare, stretch = TEXT_WIDTH - sum(minimum), sum(wanted) - sum(minimum)
    return size, [m + (w - m) * spare / stretch for m, w in zip(minimum, wanted, strict=True)]


def _table(table: PackTable) -> list:
    size, widths = _layout(table)
    header = [
        Paragraph(escape(column.label), _cell_style(size, column.numeric, True)) for column in table.columns
    ]
    body = [
        [
            Paragraph(escape(cell), _cell_style(size, column.numeric, is_total))
            for cell, column in zip(row, table.columns, strict=True)
        ]
        for row, is_total in zip(table.rows, table.total_rows, strict=True)
    ]
    grid = Table([header, *body], colWidths=widths, repeatRows=1, hAlign="LEFT")
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    style += [
        ("LINEABOVE", (0, i + 1), (-1, i + 1), 1, colors.black) for i, t in enumerate(table.total_rows) if t
    ]
    grid.setStyle(TableStyle(style))
    flowables: list = [CondPageBreak(40 * mm), _paragraph(table.title, "caption"), grid]
    if table.note:
        flowables.append(_paragraph(table.note, "note"))
    return [*flowables, Spacer(1, 6)]


def _chart(png: bytes, title: str) -> KeepTogether:
    reader = ImageReader(io.BytesIO(png))
    width_px, height_px = reader.getSize()
    width = TEXT_WIDTH
    height = width * height_px / width_px
    if height > 150 * mm:
        height, width = 150 * mm, 150 * mm * width_px / height_px
    return KeepTogether(
        [Image(io.BytesIO(png), width=width, height=height), _paragraph(title, "note"), Spacer(1, 6)]
    )


def _section(section: Section) -> list:
    flowables: list = [CondPageBreak(60 * mm), _paragraph(section.title, "h2")]
    if section.unavailable:
        return [*flowables, _paragraph(section.unavailable, "unavailable")]
    flowables += [_paragraph(text, "body") for text in section.paragraphs]
    flowables += [_chart(chart.png, chart.title) for chart in section.charts]
    for table in section.tables:
        flowables += _table(table)
    return flowables


ACCESSIBLE_VERSION = (
    "This PDF is for printing. It is not tagged for screen readers: the HTML version of this pack, "
    "published with it, is the accessible version (WCAG 2.2 AA)."
)


def _masthead(pack: PackContent) -> Table:
    band = Table(
        [
            [_paragraph(pack.title, "title")],
            [
                _paragraph(
                    f"Dedicated Schools Grant monitoring as at the end of {pack.month_label} · "
                    f"financial year {pack.financial_year}",
                    "subtitle",
                )
            ],
        ],
        colWidths=[TEXT_WIDTH],
    )
    band.setStyle(
        TableStyle(
            [
                ("BACKGROUND", (0, 0), (-1, -1), BRAND),
                ("LEFTPADDING", (0, 0), (-1, -1), 10),
                ("TOPPADDING", (0, 0), (-1, -1), 6),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
            ]
        )
    )
    return band


def _key_figures(pack: PackContent) -> list:
    if not pack.key_figures:
        return []
    per_row = 3
    cells = [
        [
            _paragraph(figure.label, "figure_label"),
            _paragraph(figure.value, "figure_value"),
            _paragraph(figure.note, "figure_label"),
        ]
        for figure in pack.key_figures
    ]
    rows = [cells[i : i + per_row] for i in range(0, len(cells), per_row)]
    rows[-1] += [""] * (per_row - len(rows[-1]))
    grid = Table(rows, colWidths=[TEXT_WIDTH / per_row] * per_row)
    style = [("VALIGN", (0, 0), (-1, -1), "TOP"), ("BOTTOMPADDING", (0, 0), (-1, -1), 6)]
    for index, figure in enumerate(pack.key_figures):
        row, column = divmod(index, per_row)
        style.append(("LINEBEFORE", (column, row), (column, row), 4, TONES.get(figure.tone, BRAND)))
    grid.setStyle(TableStyle(style))
    return [grid, Spacer(1, 8)]


def render_pdf(pack: PackContent) -> PdfDocument:
    """The pack as PDF bytes (A4 portrait), page-numbered, with the same sections as the HTML."""
    regular, _bold = _fonts()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4,
        title=f"{pack.title}, {pack.month_label}",
        author=pack.la_name or "High Needs data platform",
        subject="Dedicated Schools Grant High Needs block monitoring",
        lang="en-GB",
    )

    def page_footer(canvas, doc) -> None:
        canvas.setViewerPreference("DisplayDocTitle", "true")
        canvas.saveState()
        canvas.setFont(regular, 7.5)
        canvas.setFillColor(colors.HexColor("#555555"))
        canvas.drawString(MARGIN, MARGIN - 2, f"{pack.la_name} Schools Forum pack · {pack.month_label}")
        canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN - 2, f"Page {doc.page}")
        canvas.restoreState()

    story: list = [_masthead(pack), Spacer(1, 6), _paragraph(ACCESSIBLE_VERSION, "note")]
    story += [_paragraph("Headline", "h2")]
    story += [_paragraph(sentence, "headline") for sentence in pack.headline]
    story += _key_figures(pack)
    for section in pack.sections:
        story += _section(section)
    story += [CondPageBreak(80 * mm), _paragraph("How small numbers are protected", "h2")]
    story += [_paragraph(rule, "body") for rule in pack.rules]
    story += [_paragraph(f"Produced {pack.generated_at} by the High Needs data platform.", "note")]
    document.build(story, onFirstPage=page_footer, onLaterPages=page_footer)
    return PdfDocument(buffer.getvalue(), document.page)
