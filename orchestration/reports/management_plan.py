"""The DSG management plan workbook: DfE's template tables filled from the marts, ready to paste across.

An LA in deficit keeps DfE's DSG management plan template up to date and takes it to Schools Forum at
least termly; officers used to rebuild its tables by hand. This workbook lays the same tables out the
template's way — Financial summary (each block by year: income, spend, in-year, cumulative), Children and
young people summary (EHC plans by placement type, age band and need over the January censuses, and the
share in independent or non-maintained special schools) and the Workstream log — from `dsg_blocks`,
`dsg_deficit_position`, `ehcp_population_trend` and `mitigation_tracker`, so its figures are the marts'
figures: no total is worked out here.

It is OFFICIAL-SENSITIVE: the children's counts are exact (the template wants them so), so small numbers
are not suppressed and the workbook is not for publication; the first sheet says so at the top. Every
value is written as a value (numbers with `write_number`, text through `neutralise_formula`): no formula.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from numbers import Number

import pandas as pd
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

from orchestration.parsing.safe_text import neutralise_formula
from orchestration.reports.data import PackData
from orchestration.reports.disclosure import refuse_child_level
from orchestration.reports.formatting import month_label
from orchestration.reports.labels import rag_basis_name, rag_name
from orchestration.reports.workbook import CLASSIFICATION, MONEY_FORMAT

WORKBOOK_NAME = "dsg_management_plan_{month}.xlsx"
FINANCIAL_SUMMARY = "Financial summary"
CHILDREN_SUMMARY = "Children and young people"
WORKSTREAM_LOG = "Workstream log"
COUNT_FORMAT = "#,##0"
PCT_FORMAT = '0.0"%"'
LABEL_WIDTH = 58
NOT_SUPPRESSED = (
    "The counts of children in this workbook are exact: small numbers are NOT suppressed. Do not publish it; "
    "the Schools Forum pack holds the disclosure-controlled figures."
)

BLOCK_LINES: tuple[tuple[str, str, str], ...] = (
    ("allocation_gbp", "Allocation before deductions", "money"),
    ("deductions_gbp", "Deductions (academy and FE place recoupment)", "money"),
    ("transfer_in_gbp", "Transfer between blocks (+ received, − given)", "money"),
    ("income_gbp", "Income (allocation − deductions + transfer)", "money"),
    ("spend_gbp", "Spend", "money"),
    ("spend_status", "Spend is (outturn, forecast or missing)", "text"),
    ("in_year_gbp", "In-year (income − spend; − = overspend)", "money"),
    ("cumulative_in_year_gbp", "Cumulative in-year, from the block's first year", "money"),
)
HIGH_NEEDS_SUPPLIED = ("supplied_spend_gbp", "Spend in the finance system's block file (not used)", "money")
DSG_TOTAL_LINES: tuple[tuple[str, str, str], ...] = (
    ("total_dsg_income_gbp", "Income, all blocks", "money"),
    ("spend_all_blocks_gbp", "Spend, all blocks", "money"),
    ("in_year_all_blocks_gbp", "In-year, all blocks", "money"),
    ("opening_balance_all_blocks_gbp", "Opening DSG balance", "money"),
    ("closing_balance_all_blocks_gbp", "Closing DSG balance (cumulative; − = deficit)", "money"),
    ("blocks_without_spend", "Blocks without a spend figure (whole-DSG figures blank)", "text"),
)
HIGH_NEEDS_VIEW_LINES: tuple[tuple[str, str, str], ...] = (
    ("opening_balance_gbp", "Opening DSG balance", "money"),
    ("hn_in_year_gbp", "High Needs in-year", "money"),
    ("closing_balance_gbp", "Closing DSG balance, other blocks assumed to balance", "money"),
    ("planned_closing_balance_gbp", "Deficit management plan: planned closing balance", "money"),
)
BREAKDOWNS: tuple[tuple[str, str], ...] = (
    ("placement_type", "Number of EHC plans by placement type"),
    ("age_band", "Number of EHC plans by age (SEN2 age bands, on the census date)"),
    ("primary_need", "Number of EHC plans by primary need"),
)
INDEPENDENT_SPECIAL = "independent_non_maintained"
WORKSTREAM_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("workstream", "Workstream", "text"),
    ("owner", "Owner", "text"),
    ("financial_year", "Financial year", "text"),
    ("target_saving_gbp", "Target saving", "money"),
    ("delivered_saving_gbp", "Delivered saving", "money"),
    ("delivered_pct", "Delivered % of target", "pct"),
    ("rag_label", "RAG rating", "text"),
    ("rag_reason", "Why rated so", "text"),
    ("status_note", "Owner's note", "text"),
)


@dataclass
class _Sheet:
    """A sheet being written top to bottom, with the formats every table on it shares."""

    sheet: Worksheet
    formats: dict[str, object]
    row: int = 0

    def text(self, column: int, value: str, style: str = "text") -> None:
        self.sheet.write_string(self.row, column, neutralise_formula(value), self.formats[style])

    def value(self, column: int, value: object, kind: str) -> None:
        """One value as a value: a number in its format, text as text, a blank (unknown) as blank."""
        if isinstance(value, Number | Decimal) and not isinstance(value, bool):
            number = float(value)  # type: ignore[arg-type]
            if math.isfinite(number):
                self.sheet.write_number(self.row, column, number, self.formats[kind])
                return
        if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[call-overload]
            self.sheet.write_blank(self.row, column, None, self.formats[kind])
            return
        self.text(column, str(value))

    def skip(self, rows: int = 1) -> None:
        self.row += rows


def _formats(book: xlsxwriter.Workbook) -> dict[str, object]:
    return {
        "text": book.add_format({"text_wrap": True, "valign": "top"}),
        "title": book.add_format({"bold": True, "font_size": 14}),
        "classification": book.add_format({"bold": True, "font_size": 13, "font_color": "#B3261E"}),
        "heading": book.add_format({"bold": True, "font_size": 12}),
        "header": book.add_format({"bold": True, "bg_color": "#F4F6F8", "bottom": 1, "text_wrap": True}),
        "total_label": book.add_format({"bold": True, "top": 1}),
        "money": book.add_format({"num_format": MONEY_FORMAT}),
        "count": book.add_format({"num_format": COUNT_FORMAT}),
        "total_count": book.add_format({"num_format": COUNT_FORMAT, "bold": True, "top": 1}),
        "pct": book.add_format({"num_format": PCT_FORMAT}),
    }


def _new_sheet(book: xlsxwriter.Workbook, name: str, formats: dict, data: PackData, title: str) -> _Sheet:
    """A sheet headed by the classification, its title and what is and is not in it."""
    sheet = book.add_worksheet(name)
    sheet.set_header(f'&C&"Calibri,Bold"&12{CLASSIFICATION}')
    sheet.set_footer(f"&C{CLASSIFICATION}")
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, 30, 16)
    page = _Sheet(sheet, formats)
    page.text(0, CLASSIFICATION, "classification")
    page.skip()
    page.text(0, f"{data.la_name}: DSG management plan, {title}, as at {month_label(data.month)}", "title")
    page.skip()
    page.text(0, NOT_SUPPRESSED)
    page.skip(2)
    return page


def _mart(data: PackData, name: str) -> pd.DataFrame | None:
    """The mart as at the workbook's month, or None when it is missing or empty."""
    frame = data.table(name)
    if frame is None or frame.empty:
        return None
    refuse_child_level(frame, name)
    return frame


def _not_available(page: _Sheet, what: str, data: PackData, name: str) -> None:
    reason = data.missing.get(name, f"the {name} table has no rows up to {data.month}")
    page.text(0, f"{what} is not available yet: {reason}.")
    page.skip(2)


def _year_rows(
    page: _Sheet, label_lines: Sequence[tuple[str, str, str]], by_year: pd.DataFrame, years: list[str]
) -> None:
    """One row per line, one column per financial year; a year the frame lacks stays blank, and a line
    whose column the mart does not hold (a column beyond the contract's) is left out."""
    for column, label, kind in label_lines:
        if column not in by_year.columns:
            continue
        page.text(0, label)
        for index, year in enumerate(years, start=1):
            value = by_year.at[year, column] if year in by_year.index else None
            page.value(index, value, kind)
        page.skip()


def _write_financial_summary(book: xlsxwriter.Workbook, formats: dict, data: PackData) -> None:
    page = _new_sheet(book, FINANCIAL_SUMMARY, formats, data, "financial summary")
    page.text(
        0,
        "Money in pounds; a balance below zero is a deficit. High Needs spend is the platform's own "
        "(ledger outturn for a closed year, forecast for the year in progress); the other blocks' spend is "
        "the finance system's block file. A blank is not known, never zero.",
    )
    page.skip(2)
    blocks = _mart(data, "dsg_blocks")
    if blocks is None:
        _not_available(page, "The DSG by block", data, "dsg_blocks")
        return
    years = sorted(blocks["financial_year"].astype(str).unique())
    page.text(0, "Financial year", "header")
    for index, year in enumerate(years, start=1):
        page.text(index, year, "header")
    page.skip()
    for _order, rows in blocks.sort_values("block_order").groupby("block_order", sort=True):
        page.text(0, str(rows["block_name"].iloc[0]), "heading")
        page.skip()
        by_year = rows.set_index(rows["financial_year"].astype(str))
        lines = BLOCK_LINES
        if rows["dsg_block"].iloc[0] == "high_needs":
            lines = (*BLOCK_LINES, HIGH_NEEDS_SUPPLIED)
        _year_rows(page, lines, by_year, years)
        page.skip()
    position = _mart(data, "dsg_deficit_position")
    if position is None:
        _not_available(page, "The whole-DSG balance", data, "dsg_deficit_position")
        return
    by_year = position.set_index(position["financial_year"].astype(str))
    page.text(0, "Total DSG", "heading")
    page.skip()
    _year_rows(page, DSG_TOTAL_LINES, by_year, years)
    page.skip()
    page.text(0, "High Needs view of the DSG balance", "heading")
    page.skip()
    _year_rows(page, HIGH_NEEDS_VIEW_LINES, by_year, years)
    page.sheet.freeze_panes(0, 1)


def _census_label(row: pd.Series) -> str:
    label = month_label(str(row["snapshot_month"]))
    return f"{label} (latest)" if bool(row["is_latest"]) and not bool(row["is_january"]) else label


def _write_children(book: xlsxwriter.Workbook, formats: dict, data: PackData) -> None:
    page = _new_sheet(book, CHILDREN_SUMMARY, formats, data, "children and young people summary")
    page.text(
        0,
        "EHC plans open on each census date: the last day of each January placements snapshot (the month "
        "of DfE's SEN2 census) and of the newest snapshot. A January without a snapshot has no column.",
    )
    page.skip(2)
    trend = _mart(data, "ehcp_population_trend")
    if trend is None:
        _not_available(page, "The EHC plan tables", data, "ehcp_population_trend")
        return
    censuses = trend.drop_duplicates("snapshot_month").sort_values("snapshot_month")
    months = list(censuses["snapshot_month"].astype(str))
    labels = [_census_label(row) for _, row in censuses.iterrows()]

    def header(first: str) -> None:
        page.text(0, first, "header")
        for index, label in enumerate(labels, start=1):
            page.text(index, label, "header")
        page.skip()

    for breakdown, title in BREAKDOWNS:
        rows = trend[trend["breakdown"] == breakdown]
        page.text(0, title, "heading")
        page.skip()
        header("Category")
        counts = rows.pivot(
            index=["category_order", "category_name"], columns="snapshot_month", values="ehcps"
        )
        for (_order, name), values in counts.sort_index().iterrows():
            page.text(0, str(name))
            for index, month in enumerate(months, start=1):
                page.value(index, values.get(month), "count")
            page.skip()
        totals = rows.drop_duplicates("snapshot_month").set_index("snapshot_month")["all_ehcps"]
        page.text(0, "Total", "total_label")
        for index, month in enumerate(months, start=1):
            page.value(index, totals.get(month), "total_count")
        page.skip(2)
    share = trend[(trend["breakdown"] == "placement_type") & (trend["category"] == INDEPENDENT_SPECIAL)]
    page.text(0, "Share of EHC plans in independent or non-maintained special schools", "heading")
    page.skip()
    header("Share")
    by_month = share.set_index("snapshot_month")["share_pct"]
    page.text(0, "% of all EHC plans")
    for index, month in enumerate(months, start=1):
        page.value(index, by_month.get(month), "pct")
    page.skip()
    page.sheet.freeze_panes(0, 1)


def _write_workstreams(book: xlsxwriter.Workbook, formats: dict, data: PackData) -> None:
    page = _new_sheet(book, WORKSTREAM_LOG, formats, data, "workstream log")
    tracker = _mart(data, "mitigation_tracker")
    if tracker is None:
        _not_available(page, "The workstream log (no mitigations file)", data, "mitigation_tracker")
        return
    as_at = tracker["as_at_month"].dropna()
    page.text(
        0,
        "A year's saving is due once the financial year has ended"
        + (f" (rated as at {month_label(str(as_at.iloc[0]))})" if len(as_at) else "")
        + ": green = 90% or more of the target delivered, amber = 50% or more, red = less (or nothing "
        "reported), grey = not yet due.",
    )
    page.skip(2)
    log = tracker.sort_values(["workstream", "financial_year"]).assign(rag_label=tracker["rag"].map(rag_name))
    if "rag_basis" in log.columns:
        log["rag_reason"] = log["rag_basis"].map(rag_basis_name)
    columns = [spec for spec in WORKSTREAM_COLUMNS if spec[0] in log.columns]
    for index, (_column, label, _kind) in enumerate(columns):
        page.text(index, label, "header")
    page.skip()
    page.sheet.freeze_panes(page.row, 1)
    for _, row in log.iterrows():
        for index, (column, _label, kind) in enumerate(columns):
            page.value(index, row[column], kind)
        page.skip()
    page.sheet.set_column(0, 0, 40)
    page.sheet.set_column(1, 1, 30)
    page.sheet.set_column(7, 8, 40)


def build_management_plan(data: PackData) -> bytes:
    """The DSG management plan workbook as XLSX bytes: three sheets laid out like DfE's template."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(
        buffer,
        {
            "in_memory": True,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    book.set_properties(
        {
            "title": f"DSG management plan {data.month}",
            "subject": "Dedicated Schools Grant management plan tables",
            "keywords": CLASSIFICATION,
            "comments": CLASSIFICATION,
            "category": "OFFICIAL-SENSITIVE",
        }
    )
    book.set_custom_property("Classification", CLASSIFICATION)
    formats = _formats(book)
    _write_financial_summary(book, formats, data)
    _write_children(book, formats, data)
    _write_workstreams(book, formats, data)
    book.close()
    return buffer.getvalue()
