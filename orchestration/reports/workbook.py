"""The finance officers' workbook: one tidy, formatted sheet per mart, unsuppressed, never child-level.

Officers reconcile the pack to the ledger, so this workbook holds the figures as they are (no `c`); it is
marked OFFICIAL-SENSITIVE on its cover and is not for publication. Every value is written as a value: text
through `neutralise_formula` and `write_string`, numbers with `write_number`; no formula is ever written,
so opening the file runs nothing.
"""

from __future__ import annotations

import datetime as dt
import io
import math
from dataclasses import dataclass
from decimal import Decimal
from numbers import Number

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from orchestration.parsing.safe_text import neutralise_formula
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import refuse_child_level

MONEY_FORMAT = "£#,##0.00;[Red]-£#,##0.00"
CLASSIFICATION = "OFFICIAL-SENSITIVE, not for publication"


@dataclass(frozen=True)
class SheetSpec:
    """A mart as a sheet: its sheet name (≤ 31 characters) and what it holds, for the cover."""

    table: str
    sheet: str
    description: str


SHEETS = (
    SheetSpec(
        "budget_vs_outturn",
        "Budget vs outturn",
        "Budget, prior-year outturn, actuals, committed (placements and run-rate), growth and forecast "
        "outturn by s251 line, for each month of the year",
    ),
    SheetSpec(
        "spend_by_provision_type",
        "Spend by provision type",
        "Ledger actuals by month, s251 line and provision type, with year-to-date totals",
    ),
    SheetSpec(
        "cost_per_placement",
        "Cost per placement",
        "Placements (headcount and FTE), spend and cost per full-time placement by year and provision type",
    ),
    SheetSpec(
        "dsg_deficit_position",
        "DSG deficit position",
        "Opening, in-year and closing DSG balance against the deficit management plan",
    ),
    SheetSpec(
        "hn_projection",
        "High Needs projection",
        "Projected placements, spend, income and balance by scenario and provision type",
    ),
    SheetSpec(
        "placement_flows",
        "Placement flows",
        "Placement starters, leavers and open placements by month, provision type and primary need",
    ),
    SheetSpec(
        "exclusion_rates",
        "Exclusion rates",
        "Suspension and permanent exclusion rates and risk ratios (with 95% intervals) by SEN status and "
        "ethnic group",
    ),
    SheetSpec("benchmarks", "Benchmarks", "Published DfE figures for the LA, neighbours, region and England"),
    SheetSpec("impact_estimates", "Impact estimates", "Effects of inclusion programmes with 95% intervals"),
    SheetSpec("event_study", "Event study", "Effects term by term around each programme's start"),
    SheetSpec("_file_loads", "File loads", "Every landing file loaded into the warehouse"),
    SheetSpec("_quarantine", "Quarantine", "Landing files refused, with the rules they broke"),
    SheetSpec(
        "forecast_adjustments_applied",
        "Forecast adjustments",
        "Audit trail of the expected forecast's manual adjustments: line, amount, reason, who entered each "
        "and when (kept out of the public pack: a reason can name a case or an officer)",
    ),
    SheetSpec(
        "forecast_accuracy",
        "Forecast accuracy",
        "Every closed year's forecast as made each month, commitment-based and expected, against outturn",
    ),
    SheetSpec(
        "forecast_accuracy_summary",
        "Forecast accuracy summary",
        "Average error (MAPE) and bias of past forecasts by the month they were made",
    ),
    SheetSpec(
        "ledger_reconciliation",
        "Ledger reconciliation",
        "Each ledger month (and line with a control total) against the finance system's control total",
    ),
    SheetSpec(
        "_landing_files",
        "Landing files",
        "What became of each landing file at the latest run, with the quality gate's full reason",
    ),
    SheetSpec(
        "statistical_neighbours", "Statistical neighbours", "The LA's neighbours and how they were chosen"
    ),
    SheetSpec(
        "impact_balance", "Impact balance", "Adopting against comparison schools before each programme"
    ),
    SheetSpec(
        "outcomes_tracker",
        "Outcomes tracker",
        "Every outcomes framework indicator in every period: value, counts, baseline, target, trajectory, "
        "rating and published comparator",
    ),
    SheetSpec(
        "ap_outcomes",
        "AP outcomes",
        "Alternative provision by provider and academic year: children, stays, cost, returns to mainstream "
        "and funnel-plot limits",
    ),
)


def _number_format(column: str, series: pd.Series) -> str | None:
    name = column.lower()
    if name.endswith("_gbp"):
        return MONEY_FORMAT
    if pd.api.types.is_bool_dtype(series):
        return None
    if pd.api.types.is_datetime64_any_dtype(series):
        return "yyyy-mm-dd hh:mm"
    first = series.dropna().iloc[0] if series.notna().any() else None
    if isinstance(first, dt.datetime):
        return "yyyy-mm-dd hh:mm"
    if isinstance(first, dt.date):
        return "yyyy-mm-dd"
    if (
        pd.api.types.is_integer_dtype(series)
        or name in ("n_areas", "la_rank_among_neighbours")
        or name.startswith(("n_", "placements_headcount"))
    ):
        return "#,##0"
    if any(part in name for part in ("rate", "ratio", "estimate", "std_error", "ci_", "p_value")):
        return "0.000"
    if pd.api.types.is_numeric_dtype(series):
        return "#,##0.00"
    return None


def _write_cell(sheet: Worksheet, row: int, column: int, value: object, cell_format) -> int:
    """Write one value as a value; returns the width its text needs."""
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        sheet.write_blank(row, column, None, cell_format)
        return 0
    if isinstance(value, bool):
        sheet.write_boolean(row, column, value, cell_format)
        return 5
    if isinstance(value, pd.Timestamp):
        value = value.tz_localize(None).to_pydatetime() if value.tzinfo else value.to_pydatetime()
    if isinstance(value, dt.date):  # datetimes too: a real date, so officers can filter and sort by it
        sheet.write_datetime(row, column, value, cell_format)
        return 17
    if isinstance(value, Number | Decimal) and not isinstance(value, bool):
        number = float(value)  # type: ignore[arg-type]
        if math.isinf(number):
            sheet.write_blank(row, column, None, cell_format)
            return 0
        sheet.write_number(row, column, number, cell_format)
        return len(f"{number:,.2f}") + 2
    text = neutralise_formula(str(value))
    sheet.write_string(row, column, text, cell_format)
    return len(text)


def _write_table(book: xlsxwriter.Workbook, name: str, frame: pd.DataFrame, formats: dict) -> None:
    sheet = book.add_worksheet(name)
    columns = [str(column) for column in frame.columns]
    widths = [len(column) + 2 for column in columns]
    column_formats = []
    for index, column in enumerate(columns):
        sheet.write_string(0, index, neutralise_formula(column), formats["header"])
        pattern = _number_format(column, frame.iloc[:, index])
        if pattern and pattern not in formats:
            formats[pattern] = book.add_format({"num_format": pattern})
        column_formats.append(formats[pattern] if pattern else formats["text"])
    for row_number, row in enumerate(frame.itertuples(index=False, name=None), start=1):
        for index, value in enumerate(row):
            widths[index] = max(
                widths[index], _write_cell(sheet, row_number, index, value, column_formats[index])
            )
    for index, width in enumerate(widths):
        sheet.set_column(index, index, min(max(width, 8), 60))
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(frame), 1), max(len(columns) - 1, 0))


def _write_cover(book: xlsxwriter.Workbook, data: PackData, written: list[tuple[SheetSpec, int]]) -> None:
    sheet = book.add_worksheet("Cover")
    title = book.add_format({"bold": True, "font_size": 16})
    warning = book.add_format({"bold": True, "font_size": 13, "font_color": "#B3261E"})
    bold = book.add_format({"bold": True})
    sheet.set_column(0, 0, 28)
    sheet.set_column(1, 1, 90)
    sheet.set_column(2, 2, 10)
    sheet.write_string(0, 0, CLASSIFICATION, warning)
    sheet.write_string(
        1, 0, f"High Needs block: finance workbook as at {data.month} ({data.financial_year})", title
    )
    sheet.write_string(
        3,
        0,
        "Figures here are NOT suppressed for small numbers. Do not copy them into public "
        "papers: use the Schools Forum pack (HTML/PDF), which is under disclosure control.",
    )
    sheet.write_string(
        4, 0, "No row in this workbook is about an individual child: every sheet is an aggregate."
    )
    sheet.write_string(5, 0, "Money is in pounds; a deficit is a negative balance; variance + = overspend.")
    sheet.write_string(7, 0, "Sheet", bold)
    sheet.write_string(7, 1, "What it holds", bold)
    sheet.write_string(7, 2, "Rows", bold)
    for offset, (spec, rows) in enumerate(written, start=8):
        sheet.write_url(offset, 0, f"internal:'{spec.sheet}'!A1", string=spec.sheet)
        sheet.write_string(offset, 1, spec.description)
        sheet.write_number(offset, 2, rows)
    if data.missing:
        sheet.write_string(9 + len(written), 0, "Not built yet: " + ", ".join(sorted(data.missing)))
    sheet.set_header(f'&C&"Calibri,Bold"&12{CLASSIFICATION}')
    sheet.set_footer(f"&C{CLASSIFICATION}")
    sheet.activate()


def build_workbook(data: PackData) -> bytes:
    """The officers' workbook as XLSX bytes: cover sheet first, then one sheet per available table."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
            "default_date_format": "yyyy-mm-dd",
        },
    )
    book.set_properties(
        {
            "title": f"High Needs finance workbook {data.month}",
            "subject": "Dedicated Schools Grant High Needs block",
            "keywords": CLASSIFICATION,
            "comments": CLASSIFICATION,
            "category": "OFFICIAL-SENSITIVE",
        }
    )
    book.set_custom_property("Classification", CLASSIFICATION)
    formats = {
        "header": book.add_format(
            {"bold": True, "bg_color": "#F4F6F8", "bottom": 1, "text_wrap": True, "valign": "top"}
        ),
        "text": book.add_format({}),
    }
    tables = {**data.tables, "_quarantine": data.quarantine, "_landing_files": data.landing_files}
    if data.file_loads is not None:
        tables["_file_loads"] = data.file_loads
    written = [
        (spec, len(tables[spec.table]))
        for spec in SHEETS
        if spec.table in tables and tables[spec.table] is not None
    ]
    _write_cover(book, data, written)
    for spec, _rows in written:
        frame = tables[spec.table]
        refuse_child_level(frame, spec.table)
        _write_table(book, spec.sheet, frame, formats)
    book.close()
    return buffer.getvalue()
