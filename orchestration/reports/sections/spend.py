"""Spend this year to date by s251 line, and by provision type beside its number of placements."""

from __future__ import annotations

import pandas as pd

from orchestration.reports.content import Column, NotAvailable, Section
from orchestration.reports.data import PackData
from orchestration.reports.formatting import month_label
from orchestration.reports.labels import s251_name
from orchestration.reports.money import money_short
from orchestration.reports.public_tables import TOTAL, public_table
from orchestration.reports.sections.common import SectionSpec, line_sort_key, require, total_of
from orchestration.reports.spend_disclosure import line_totals_to_hide, spend_by_line, spend_by_type


def build(data: PackData, section: Section) -> Section:
    """The year's spend by line (named) and by provision type, both under the same disclosure decisions."""
    require(data, "spend_by_provision_type", ["financial_year", "month", "s251_line", "actual_gbp"], "Spend")
    by_line = spend_by_line(data, data.financial_year)
    if by_line is None:
        raise NotAvailable(f"Spend is not available yet: no ledger actuals for {data.financial_year}.")
    by_line = by_line.sort_values("s251_line", key=lambda s: s.map(line_sort_key)).reset_index(drop=True)
    by_line["line_label"] = [f"{s251_name(code)} ({code})" for code in by_line["s251_line"]]
    spent = total_of(by_line["actual_gbp"])
    by_line = pd.concat(
        [
            by_line,
            pd.DataFrame([{"s251_line": TOTAL, "line_label": "All High Needs lines", "actual_gbp": spent}]),
        ],
        ignore_index=True,
    )
    section.paragraphs.append(
        f"Ledger actuals from April to the end of {month_label(data.month)}: {money_short(spent)} in all."
    )
    section.tables.append(
        public_table(
            f"Spend to date in {data.financial_year} by s251 line",
            by_line,
            [Column("line_label", "s251 line"), Column("actual_gbp", "Spend to date", "money")],
            rules=data.rules,
            total_rows=by_line["s251_line"].eq(TOTAL),
            additive=["actual_gbp"],
            hidden=pd.DataFrame(
                {"actual_gbp": by_line["s251_line"].isin(line_totals_to_hide(data, data.financial_year))}
            ),
            note="A line's total is c where it would give back the spend on a provision type shown as c "
            "below.",
        )
    )
    by_type = spend_by_type(data, data.financial_year)
    if by_type is None:
        section.paragraphs.append(
            "Spend by provision type is shown once placement numbers (cost per placement) are available, "
            "because spend on a handful of placements would disclose what is paid for individual children."
        )
        return section
    section.tables.append(
        public_table(
            by_type.title,
            by_type.frame,
            [
                Column("provision_label", "Provision type"),
                Column("placements_headcount", "Placements in year", "count"),
                Column("actual_gbp", "Spend to date", "money"),
            ],
            note=f"Spend on fewer than {data.rules.min_count} placements is shown as c, and so is the "
            "spend of the next smallest type or s251 line that would let it be worked out by subtraction, so "
            "no child's placement cost can be worked out.",
            **by_type.protection,
        )
    )
    return section


SECTION = SectionSpec("spend", "Spend by s251 line and provision type", build)
