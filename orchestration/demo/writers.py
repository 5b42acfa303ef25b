"""Write each landing dataset to disk in the contract's format (and the style `messy.py` chose).

Column names come from `orchestration.contract.DATASETS`, so the files follow the contract as data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import xlsxwriter

from orchestration.contract import DATASETS
from orchestration.demo.dsg_plan_inputs import BlockFigure, Mitigation
from orchestration.demo.finance_reference import BudgetRow, DeficitPlan, Funding
from orchestration.demo.forecast_inputs import CONTROL_TOTAL_SOURCE, Adjustment
from orchestration.demo.formats import TEXT, dates, integers, money, repeat, text, write_csv
from orchestration.demo.ledger import LedgerMonth
from orchestration.demo.messy import BUDGET_TITLE, EXTRA_PLACEMENT_COLUMN, SCHOOLS_HEADER, FileStyle
from orchestration.demo.outcome_indicators import IndicatorValue
from orchestration.demo.outcomes import MEASURES, Panel, term_rows
from orchestration.demo.placements import END_REASONS, LINES, PlacementWorld
from orchestration.demo.timeline import (
    OPEN_END,
    academic_year_label,
    financial_year_label,
    month_label,
    month_last_day,
    term_name,
    term_year,
)


def _header(dataset: str) -> list[str]:
    return list(DATASETS[dataset].column_names)


def _write(path: Path, header: list[str], columns: list[pa.Array], style: FileStyle) -> int:
    return write_csv(
        path, header, columns, encoding=style.encoding, bom=style.bom, line_ending=style.line_ending
    )


_LINE_CODES = text(np.array(LINES, dtype=object))
_REASONS = text(np.array([*END_REASONS, ""], dtype=object))  # index 8 → blank (still open)
_TEAMS = text(
    np.array(["SEND Team North", "SEND Team South", "SEND Team East", "SEND Team West"], dtype=object)
)


def write_ledger_month(
    path: Path, lm: LedgerMonth, style: FileStyle, amount_pence: np.ndarray | None = None
) -> int:
    """One month's `hn_ledger` file (`amount_pence` replaces the amounts, for a corrected re-delivery)."""
    columns = [
        lm.transaction_id,
        repeat(month_label(lm.month), len(lm)),
        dates(lm.posting_day, style.dates),
        lm.cost_centre,
        _LINE_CODES.take(pa.array(lm.line)),
        lm.provision_type,
        lm.provider_urn,
        lm.provider_name,
        lm.placement_id,
        money(lm.amount_pence if amount_pence is None else amount_pence, style.money),
        lm.description,
    ]
    return _write(path, _header("hn_ledger"), columns, style)


class PlacementColumns:
    """Writes placements snapshots: each is a prefix of the world's placements (they are in start order)."""

    def __init__(self, world: PlacementWorld) -> None:
        self.world = world
        self.cost = money(world.cost_pence, "plain")
        self.dob = world.children.dob[world.child]
        self.ehcp_start = world.children.ehcp_start[world.child]

    def write(self, path: Path, month: int, style: FileStyle, extra_column: bool = False) -> int:
        """Snapshot taken in `month`: placements started by its end; later ends shown as still open."""
        w = self.world
        snapshot_end = month_last_day(month)
        n = int(np.searchsorted(w.start, snapshot_end, side="right"))
        ended = w.end[:n] <= snapshot_end
        by_name = {name: values.slice(0, n) for name, values in w.text.items()}
        by_name["annual_cost_gbp"] = self.cost.slice(0, n)
        by_name["date_of_birth"] = dates(self.dob[:n], style.dates)
        by_name["ehcp_start_date"] = dates(self.ehcp_start[:n], style.dates, blank=self.ehcp_start[:n] < 0)
        by_name["placement_start"] = dates(w.start[:n], style.dates)
        by_name["placement_end"] = dates(np.where(ended, w.end[:n], OPEN_END), style.dates, blank=~ended)
        by_name["end_reason"] = _REASONS.take(pa.array(np.where(ended, w.reason[:n], len(END_REASONS))))
        header = _header("placements")
        columns = [by_name[h] for h in header]
        if extra_column:
            header = [*header, EXTRA_PLACEMENT_COLUMN]
            columns.append(_TEAMS.take(pa.array(w.child[:n] % 4)))
        return _write(path, header, columns, style)


def write_outcomes(
    path: Path, panel: Panel, terms: list[int], style: FileStyle, urns_in_term: Callable[[int], np.ndarray]
) -> int:
    """One delivery of `school_outcomes`: every panel school × characteristic for the given terms, each
    school under the URN it held in that term."""
    parts = []
    for term in terms:
        rows = term_rows(panel, term, urns_in_term(term))
        n = len(rows["school_urn"])
        parts.append(
            [
                text(rows["school_urn"]),
                repeat(academic_year_label(term_year(term)), n),
                repeat(term_name(term), n),
                text(rows["characteristic_group"]),
                text(rows["characteristic"]),
                *[integers(rows[m]) for m in MEASURES],
            ]
        )
    columns = [pa.concat_arrays([p[i] for p in parts]) for i in range(len(parts[0]))]
    return _write(path, _header("school_outcomes"), columns, style)


def write_schools(path: Path, schools: pd.DataFrame) -> int:
    """All establishments, converted academies with their `predecessor_urn`; upper-case, padded header
    names (the contract ignores case and spaces)."""
    opened = schools["opened_on"].to_numpy()
    closed = schools["closed_on"].to_numpy()
    columns = [
        text(schools["school_urn"].to_numpy()),
        text(schools["school_name"].to_numpy()),
        text(schools["phase"].to_numpy()),
        text(schools["governance"].to_numpy()),
        text(schools["locality"].to_numpy()),
        dates(opened, "iso", blank=opened < 0),
        dates(closed, "iso", blank=closed < 0),
        text(schools["predecessor_urn"].to_numpy()),
    ]
    assert len(SCHOOLS_HEADER) == len(columns)
    return write_csv(path, list(SCHOOLS_HEADER), columns)


def write_interventions(path: Path, table: pd.DataFrame, style: FileStyle) -> int:
    end = table["end_day"].to_numpy()
    columns = [
        text(table["school_urn"].to_numpy()),
        text(table["programme"].to_numpy()),
        dates(table["start_day"].to_numpy(), style.dates),
        dates(end, style.dates, blank=end < 0),
        money(table["cost_pence"].to_numpy(), style.money),
    ]
    return _write(path, _header("interventions"), columns, style)


def write_dsg_funding(path: Path, funding: Funding, years: list[int], style: FileStyle) -> int:
    rows = funding.table[funding.table["year"].isin(years)]
    columns = [
        text([financial_year_label(int(y)) for y in rows["year"]]),
        text(rows["block"].to_numpy()),
        money(rows["allocation"].to_numpy(), style.money),
        money(rows["deductions"].to_numpy(), style.money),
        money(rows["transfer_in"].to_numpy(), style.money),
    ]
    return _write(path, _header("dsg_funding"), columns, style)


def write_dsg_balance(path: Path, year: int, opening_pence: int, style: FileStyle) -> int:
    columns = [text([financial_year_label(year)]), money(np.array([opening_pence]), style.money)]
    return _write(path, _header("dsg_balance"), columns, style)


def write_deficit_plan(path: Path, plan: DeficitPlan, style: FileStyle) -> int:
    n = len(plan.years)
    columns = [
        text([financial_year_label(y) for y in plan.years]),
        money(np.array(plan.planned_in_year), style.money),
        money(np.array(plan.planned_closing), style.money),
        repeat(plan.version, n),
    ]
    return _write(path, _header("deficit_plan"), columns, style)


def write_forecast_adjustments(path: Path, adjustments: list[Adjustment], style: FileStyle) -> int:
    columns = [
        text([a.financial_year for a in adjustments]),
        text([month_label(a.as_from_month) for a in adjustments]),
        text([a.s251_line for a in adjustments]),
        money(np.array([a.amount_pence for a in adjustments]), style.money),
        text([a.reason for a in adjustments]),
        text([a.entered_by for a in adjustments]),
        dates(np.array([a.entered_on for a in adjustments]), style.dates),
    ]
    return _write(path, _header("forecast_adjustments"), columns, style)


def write_ledger_control_totals(path: Path, totals_pence: dict[int, int], style: FileStyle) -> int:
    """One whole-block control total (blank s251_line) per reported ledger month."""
    months = sorted(totals_pence)
    columns = [
        text([month_label(m) for m in months]),
        repeat("", len(months)),
        money(np.array([totals_pence[m] for m in months]), style.money),
        repeat(CONTROL_TOTAL_SOURCE, len(months)),
    ]
    return _write(path, _header("ledger_control_totals"), columns, style)


def write_dsg_block_outturn(path: Path, figures: list[BlockFigure], style: FileStyle) -> int:
    """Each block's outturn or forecast by year; an outturn leaves `as_at_month` blank."""
    columns = [
        text([f.financial_year for f in figures]),
        text([f.block for f in figures]),
        money(np.array([f.spend_pence for f in figures], dtype=np.int64), style.money),
        text([f.status for f in figures]),
        text(["" if f.as_at_month is None else month_label(f.as_at_month) for f in figures]),
    ]
    return _write(path, _header("dsg_block_outturn"), columns, style)


def write_mitigations(path: Path, rows: list[Mitigation], style: FileStyle) -> int:
    """The workstream log: a delivered saving not yet known is left blank (never 0)."""
    delivered = money(np.array([r.delivered_pence or 0 for r in rows], dtype=np.int64), style.money)
    columns = [
        text([r.workstream for r in rows]),
        text([r.owner for r in rows]),
        text([r.financial_year for r in rows]),
        money(np.array([r.target_pence for r in rows], dtype=np.int64), style.money),
        pc.if_else(pa.array([r.delivered_pence is None for r in rows]), pa.scalar("", TEXT), delivered),
        text([r.status for r in rows]),
    ]
    return _write(path, _header("mitigations"), columns, style)


def write_budget_xlsx(path: Path, rows: list[BudgetRow]) -> int:
    """`hn_budget.xlsx`: a title row, then the header, then one row per budget line (dates as dates).

    Creation time is fixed so the file is byte-identical between runs.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = xlsxwriter.Workbook(str(path))
    workbook.set_properties(
        {"title": "High Needs budget", "author": "Finance", "created": dt.datetime(2021, 3, 1)}
    )
    sheet = workbook.add_worksheet("hn_budget")
    bold = workbook.add_format({"bold": True})
    date_format = workbook.add_format({"num_format": "dd/mm/yyyy"})
    money_format = workbook.add_format({"num_format": "#,##0.00"})
    sheet.write(0, 0, BUDGET_TITLE, bold)
    for col, name in enumerate(_header("hn_budget")):
        sheet.write(1, col, name, bold)
    for i, row in enumerate(rows, start=2):
        sheet.write_string(i, 0, financial_year_label(row.year))
        sheet.write_string(i, 1, row.line)
        sheet.write_string(i, 2, row.budget_type)
        sheet.write_number(i, 3, row.amount_pence / 100, money_format)
        approved = np.datetime64(row.approved_on, "D").astype(object)
        sheet.write_datetime(i, 4, dt.datetime(approved.year, approved.month, approved.day), date_format)
    sheet.set_column(0, 0, 14)
    sheet.set_column(3, 4, 16)
    workbook.close()
    return len(rows)


def write_outcome_indicators(path: Path, rows: list[IndicatorValue], style: FileStyle) -> int:
    """Supplied outcomes-framework indicators: a count without a numerator leaves both counts blank."""

    def counts(values: list[int | None]) -> pa.Array:
        return text(["" if value is None else str(value) for value in values])

    columns = [
        text([r.indicator_id for r in rows]),
        text([r.period for r in rows]),
        text([f"{r.value:g}" for r in rows]),
        counts([r.numerator for r in rows]),
        counts([r.denominator for r in rows]),
        text([r.note for r in rows]),
    ]
    return _write(path, _header("outcome_indicators"), columns, style)
